//! The in-person event through the engine: teams registered by the secretariat, the order on
//! stage drawn from a seed the audit log keeps, judges' sheets checked, locked once submitted,
//! reopened only by the secretariat with a reason, never read or written by another judge or
//! while the part is closed, fifty submissions at once kept as one; and a small event (three
//! teams, three judges, three parts) ranked as a computation in the test says.

use std::collections::BTreeMap;

use cuocthi_domain::event::{Points, lots};
use cuocthi_engine::console::{Role, Staff};
use cuocthi_engine::{Engine, EngineError};
use cuocthi_store::AuditFilter;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

#[path = "event_sheets.rs"]
mod sheets;

on_both_backends!(
    teams_are_registered_and_drawn_on_stage,
    sheets_are_checked_locked_and_reopened_by_the_secretariat,
    fifty_submissions_of_one_sheet_keep_one,
    a_small_event_ranks_as_computed_by_hand,
    ties_go_to_the_listed_parts_then_to_the_committee_lot,
    the_scoring_rules_stay_once_a_sheet_is_in
);

const SLUG: &str = "hoi-thi";
const UNITS: [&str; 3] = ["SO-A", "SO-B", "SO-C"];

/// The test contest with three units and an event: two judged parts (one counted at half
/// weight) and a knowledge round, criteria means rounded to hundredths.
fn event_toml() -> String {
    contest_toml(SLUG, "")
        + r#"
[[units]]
code = "SO-B"
name = "Sở B"

[[units]]
code = "SO-C"
name = "Sở C"

[event]
name = "Hội thi trực tiếp"
max_team_size = 4
aggregation = { method = "mean", decimals = 2, round_at = "criterion" }
tie_breaks = ["kien-thuc", "gioi-thieu"]

[[event.parts]]
key = "gioi-thieu"
name = "Giới thiệu đội thi và sáng kiến"
kind = "judged"
step = 0.25
criteria = [{ key = "noi-dung", name = "Nội dung", max = 40 }, { key = "trinh-bay", name = "Trình bày", max = 30 }]

[[event.parts]]
key = "kien-thuc"
name = "Tìm hiểu kiến thức"
kind = "knowledge"
questions = 5
points = 10
seconds_per_question = 30
answering = 3

[[event.parts]]
key = "tieu-pham"
name = "Tiểu phẩm"
kind = "judged"
weight_percent = 50
step = 0.5
criteria = [{ key = "kich-ban", name = "Kịch bản", max = 50 }]
"#
}

struct Event {
    f: Fixture,
    contest_id: i64,
    secretariat: Staff,
    organiser: Staff,
    judges: Vec<Staff>,
}

/// The contest, and accounts with their grants: a secretariat, an organiser, three judges.
async fn event(db: TestDb) -> Event {
    let f = fixture(db, "").await;
    f.engine.import_contest(&event_toml(), Some(("bank.csv", &bank_csv(10)))).await.expect("import");
    let store = f.engine.store().clone();
    let contest_id = store.contest_by_slug(SLUG).await.unwrap().expect("contest").contest.id;
    let account = async |name: &str, role: Role| account_on(store.as_ref(), contest_id, name, role).await;
    let secretariat = account("thuky", Role::Secretariat).await;
    let organiser = account("btc", Role::Organiser).await;
    let mut judges = Vec::new();
    for n in 1..=3 {
        judges.push(account(&format!("giamkhao{n}"), Role::Judge).await);
    }
    Event { f, contest_id, secretariat, organiser, judges }
}

/// Registers a team for each unit; their ids in the units' order.
async fn teams(ev: &Event) -> Vec<i64> {
    let mut ids = Vec::new();
    for unit in UNITS {
        ids.push(ev.f.engine.save_team(&ev.secretariat, SLUG, unit, "", &members(3)).await.expect("team").id);
    }
    ids
}

fn scores(pairs: &[(&str, i64)]) -> BTreeMap<String, Points> {
    pairs.iter().map(|(k, h)| (k.to_string(), Points::hundredths(*h))).collect()
}

/// The details of a contest's audit entries of `action`, newest first.
async fn audit(e: &Engine, contest_id: i64, action: &str) -> Vec<serde_json::Value> {
    let filter = AuditFilter {
        contest_id: Some(contest_id),
        action_prefix: Some("event.".into()),
        limit: 500,
        ..Default::default()
    };
    let entries = e.audit_log(&system_admin(), filter).await.unwrap();
    entries.iter().filter(|a| a.action == action).map(|a| serde_json::from_str(&a.detail).unwrap()).collect()
}

fn is_bad_request(r: &Result<impl std::fmt::Debug, EngineError>, needle: &str) -> bool {
    matches!(r, Err(EngineError::BadRequest(m)) if m.contains(needle))
}

async fn teams_are_registered_and_drawn_on_stage(db: TestDb) {
    let ev = event(db).await;
    let e = &ev.f.engine;
    let by = &ev.secretariat;
    assert!(is_bad_request(&e.save_team(by, SLUG, "SO-A", "", &members(5)).await, "từ 1 đến 4"));
    let mut two = members(2);
    two[1].captain = true;
    assert!(is_bad_request(&e.save_team(by, SLUG, "SO-A", "", &two).await, "đúng một đội trưởng"));
    assert!(matches!(e.save_team(by, SLUG, "SO-Z", "", &members(2)).await, Err(EngineError::NotFound(_))));
    assert!(matches!(e.save_team(&ev.judges[0], SLUG, "SO-A", "", &members(2)).await, Err(EngineError::Forbidden)));
    let a = e.save_team(by, SLUG, "SO-A", "  ", &members(2)).await.unwrap();
    assert_eq!((a.name.as_str(), a.members.len()), ("Sở A", 2), "the unit's name when none is given");
    let edited = e.save_team(&ev.organiser, SLUG, "SO-A", "Đội Sở A", &members(4)).await.unwrap();
    assert_eq!((edited.id, edited.name.as_str(), edited.members.len()), (a.id, "Đội Sở A", 4));
    let ids = teams(&ev).await;
    assert_eq!(ids[0], a.id, "one team per unit");

    let drawn = e.draw_performance_order(by, SLUG).await.unwrap();
    let places: Vec<Option<i64>> = drawn.iter().map(|t| t.performance_order).collect();
    assert_eq!(places, vec![Some(1), Some(2), Some(3)], "listed in the order drawn");
    // The draw replays from the seed the audit log keeps.
    let logged = audit(e, ev.contest_id, "event.performance_order").await;
    let seed: u64 = logged[0]["seed"].as_str().unwrap().parse().unwrap();
    let replay = lots::draw(seed, &ids, 3).unwrap();
    for t in &drawn {
        let lot = replay.iter().find(|(id, _)| *id == t.id).unwrap().1;
        assert_eq!(t.performance_order, Some(i64::from(lot)));
    }
    assert_eq!(e.event_teams(&ev.judges[0], SLUG).await.unwrap().len(), 3, "judges see the teams in order");
}

async fn sheets_are_checked_locked_and_reopened_by_the_secretariat(db: TestDb) {
    let ev = event(db).await;
    let e = &ev.f.engine;
    let ids = teams(&ev).await;
    let (j1, j2, j3) = (&ev.judges[0], &ev.judges[1], &ev.judges[2]);
    let good = scores(&[("noi-dung", 3525), ("trinh-bay", 2750)]);
    let closed = e.submit_sheet(j1, SLUG, ids[0], "gioi-thieu", &good).await;
    assert!(matches!(closed, Err(EngineError::Conflict(m)) if m.contains("chưa mở")), "the part is closed");
    assert!(matches!(e.set_part_open(j1, SLUG, "gioi-thieu", true).await, Err(EngineError::Forbidden)));
    e.set_part_open(&ev.secretariat, SLUG, "gioi-thieu", true).await.unwrap();

    for (bad, needle) in [
        (scores(&[("noi-dung", 4025), ("trinh-bay", 2750)]), "từ 0 đến 40"),
        (scores(&[("noi-dung", 3510), ("trinh-bay", 2750)]), "bước 0,25"),
        (scores(&[("noi-dung", 3500)]), "Thiếu điểm tiêu chí “Trình bày”"),
        (scores(&[("noi-dung", 3500), ("trinh-bay", 2750), ("khac", 100)]), "không có tiêu chí"),
    ] {
        assert!(is_bad_request(&e.submit_sheet(j1, SLUG, ids[0], "gioi-thieu", &bad).await, needle), "{needle}");
    }
    assert!(is_bad_request(&e.submit_sheet(j1, SLUG, ids[0], "kien-thuc", &good).await, "không chấm theo phiếu"));
    assert!(matches!(
        e.submit_sheet(&ev.secretariat, SLUG, ids[0], "gioi-thieu", &good).await,
        Err(EngineError::Forbidden)
    ));

    let sheet = e.submit_sheet(j1, SLUG, ids[0], "gioi-thieu", &good).await.unwrap();
    // Sent again with the same scores (a lost answer): the same sheet; with others: locked.
    assert_eq!(e.submit_sheet(j1, SLUG, ids[0], "gioi-thieu", &good).await.unwrap(), sheet);
    let changed = scores(&[("noi-dung", 3000), ("trinh-bay", 2750)]);
    assert!(matches!(
        e.submit_sheet(j1, SLUG, ids[0], "gioi-thieu", &changed).await,
        Err(EngineError::Conflict(m)) if m.contains("đã khóa")
    ));
    // Another judge sees only their own sheets, and cannot list or reopen others'.
    assert_eq!(e.my_sheet(j2, SLUG, ids[0], "gioi-thieu").await.unwrap(), None);
    assert_eq!(e.my_sheet(j1, SLUG, ids[0], "gioi-thieu").await.unwrap(), Some(sheet.clone()));
    assert_eq!(e.my_sheets(j1, SLUG).await.unwrap(), vec![sheet.clone()]);
    assert!(e.my_sheets(j2, SLUG).await.unwrap().is_empty());
    let admin = system_admin();
    let by_admin = e.submit_sheet(&admin, SLUG, ids[1], "gioi-thieu", &good).await;
    assert!(matches!(by_admin, Err(EngineError::Forbidden)), "only the jury's sheets count");
    assert!(matches!(e.event_sheets(j2, SLUG).await, Err(EngineError::Forbidden)));
    for not_secretariat in [j1, j2, &ev.organiser] {
        assert!(matches!(e.reopen_sheet(not_secretariat, SLUG, sheet.id, "sửa").await, Err(EngineError::Forbidden)));
    }
    assert!(is_bad_request(&e.reopen_sheet(&ev.secretariat, SLUG, sheet.id, "  ").await, "lý do"));
    let reopened = e.reopen_sheet(&ev.secretariat, SLUG, sheet.id, "Giám khảo nhập nhầm điểm").await.unwrap();
    assert_eq!(reopened.status, "reopened");
    let logged = audit(e, ev.contest_id, "event.sheet_reopen").await;
    assert_eq!(logged[0]["reason"], "Giám khảo nhập nhầm điểm");
    assert_eq!(logged[0]["scores_before"]["noi-dung"], 3525);
    let corrected = e.submit_sheet(j1, SLUG, ids[0], "gioi-thieu", &changed).await.unwrap();
    assert_eq!((corrected.id, corrected.status.as_str(), &corrected.scores), (sheet.id, "submitted", &changed));

    // What is missing: every judge, team and judged part not submitted.
    let missing = e.missing_sheets(&ev.secretariat, SLUG).await.unwrap();
    assert_eq!(missing.len(), 3 * 3 * 2 - 1);
    assert!(!missing.iter().any(|m| m.judge_id == j1.account_id && m.team_id == ids[0] && m.part_key == "gioi-thieu"));
    // A paper sheet typed in by the secretariat for a judge, marked in the audit log.
    let paper = e.enter_paper_sheet(&ev.secretariat, SLUG, j3.account_id, ids[1], "gioi-thieu", &good).await.unwrap();
    assert!(paper.paper && paper.judge_id == j3.account_id);
    let logged = audit(e, ev.contest_id, "event.sheet_submit").await;
    assert!(logged.iter().any(|d| d["paper"] == true && d["judge_id"] == j3.account_id));
    let not_judge = ev.organiser.account_id;
    let refused = e.enter_paper_sheet(&ev.secretariat, SLUG, not_judge, ids[1], "gioi-thieu", &good).await;
    assert!(is_bad_request(&refused, "không phải giám khảo"));
    // Once the part is closed a judge can neither read nor write it.
    e.set_part_open(&ev.secretariat, SLUG, "gioi-thieu", false).await.unwrap();
    assert!(matches!(e.my_sheet(j1, SLUG, ids[0], "gioi-thieu").await, Err(EngineError::Conflict(_))));
    assert!(e.my_sheets(j1, SLUG).await.unwrap().is_empty(), "nor list it");
    assert!(matches!(e.submit_sheet(j2, SLUG, ids[0], "gioi-thieu", &good).await, Err(EngineError::Conflict(_))));
}

async fn fifty_submissions_of_one_sheet_keep_one(db: TestDb) {
    let ev = event(db).await;
    let ids = teams(&ev).await;
    ev.f.engine.set_part_open(&ev.secretariat, SLUG, "tieu-pham", true).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (e, judge, team) = (ev.f.engine.clone(), ev.judges[0].clone(), ids[0]);
            tokio::spawn(async move {
                let s = scores(&[("kich-ban", 50 * (i % 100))]);
                e.submit_sheet(&judge, SLUG, team, "tieu-pham", &s).await
            })
        })
        .collect();
    let mut kept = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(s) => kept.push(s),
            Err(EngineError::Conflict(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(kept.len(), 1, "exactly one of fifty different sheets sent at once is kept");
    let all = ev.f.engine.event_sheets(&ev.secretariat, SLUG).await.unwrap();
    assert_eq!(all, kept);
    let logged = audit(&ev.f.engine, ev.contest_id, "event.sheet_submit").await;
    assert_eq!(logged.len(), 1);
}

/// Hundredths rounded half away from zero from a numerator over a positive denominator.
fn round_div(num: i64, den: i64) -> i64 {
    (2 * num + den) / (2 * den)
}

async fn a_small_event_ranks_as_computed_by_hand(db: TestDb) {
    let ev = event(db).await;
    let e = &ev.f.engine;
    let ids = teams(&ev).await;
    for part in ["gioi-thieu", "tieu-pham"] {
        e.set_part_open(&ev.secretariat, SLUG, part, true).await.unwrap();
    }
    // sheets[team][judge] = (nội dung, trình bày, kịch bản), hundredths.
    let sheets: [[(i64, i64, i64); 3]; 3] = [
        [(3525, 2500, 4000), (3600, 2675, 4150), (3300, 2800, 3900)],
        [(3800, 2900, 3500), (3725, 2850, 3650), (3900, 2925, 3600)],
        [(3000, 2000, 4800), (3125, 2250, 4650), (2975, 2100, 4900)],
    ];
    let correct = [4_u32, 3, 5];
    for (t, team) in ids.iter().enumerate() {
        for (j, judge) in ev.judges.iter().enumerate() {
            let (n, p, k) = sheets[t][j];
            let intro = scores(&[("noi-dung", n), ("trinh-bay", p)]);
            e.submit_sheet(judge, SLUG, *team, "gioi-thieu", &intro).await.unwrap();
            e.submit_sheet(judge, SLUG, *team, "tieu-pham", &scores(&[("kich-ban", k)])).await.unwrap();
        }
        e.enter_answers(&ev.secretariat, SLUG, *team, "kien-thuc", correct[t]).await.unwrap();
    }
    assert!(is_bad_request(&e.enter_answers(&ev.secretariat, SLUG, ids[0], "kien-thuc", 6).await, "5 câu"));
    e.add_adjustment(&ev.secretariat, SLUG, ids[2], Points::hundredths(-150), "Quá thời gian 30 giây").await.unwrap();
    assert!(is_bad_request(
        &e.add_adjustment(&ev.secretariat, SLUG, ids[2], Points::hundredths(-100), " ").await,
        "lý do"
    ));

    // Independently: each criterion's mean rounded to hundredths, parts summed, the skit at half
    // weight, plus the adjustment; ranked by total, then the knowledge round.
    let mean = |t: usize, pick: fn(&(i64, i64, i64)) -> i64| round_div(sheets[t].iter().map(pick).sum(), 3);
    let expected: Vec<(i64, i64, i64)> = (0..3)
        .map(|t| {
            let intro = mean(t, |s| s.0) + mean(t, |s| s.1);
            let knowledge = i64::from(correct[t]) * 1000;
            let skit = mean(t, |s| s.2);
            let adjustment = if t == 2 { -150 } else { 0 };
            (ids[t], intro + knowledge + round_div(skit * 50, 100) + adjustment, knowledge)
        })
        .collect();
    let mut order = expected.clone();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)));

    let ranking = e.event_ranking(&ev.secretariat, SLUG).await.unwrap();
    let got: Vec<(i64, i64)> =
        ranking.iter().map(|s| (s.result.team, s.result.total.hundredths().expect("two decimals"))).collect();
    let want: Vec<(i64, i64)> = order.iter().map(|(t, total, _)| (*t, *total)).collect();
    assert_eq!(got, want);
    assert_eq!(ranking.iter().map(|s| s.result.rank).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(ranking.iter().all(|s| s.result.complete && !s.result.needs_lot));
    assert_eq!(ranking[0].name, ["Sở A", "Sở B", "Sở C"][ids.iter().position(|i| *i == want[0].0).unwrap()]);
    assert!(e.event_ranking(&ev.judges[0], SLUG).await.is_ok(), "the jury reads the results");

    // A reopened sheet is out of the count until corrected.
    let sheet = e.event_sheets(&ev.secretariat, SLUG).await.unwrap().remove(0);
    e.reopen_sheet(&ev.secretariat, SLUG, sheet.id, "Kiểm tra lại").await.unwrap();
    let ranking = e.event_ranking(&ev.organiser, SLUG).await.unwrap();
    assert_ne!(ranking.iter().map(|s| (s.result.team, s.result.total.hundredths().unwrap())).collect::<Vec<_>>(), want);
}

async fn ties_go_to_the_listed_parts_then_to_the_committee_lot(db: TestDb) {
    let ev = event(db).await;
    let e = &ev.f.engine;
    let ids = teams(&ev).await;
    // A and B: 30 points from the knowledge round; C: 20 and a bonus of 10, below them by the rule.
    for (team, correct) in [(ids[0], 3), (ids[1], 3), (ids[2], 2)] {
        e.enter_answers(&ev.secretariat, SLUG, team, "kien-thuc", correct).await.unwrap();
    }
    e.add_adjustment(&ev.secretariat, SLUG, ids[2], Points::hundredths(1000), "Điểm thưởng").await.unwrap();
    let ranking = e.event_ranking(&ev.organiser, SLUG).await.unwrap();
    let lines: Vec<(i64, u32, bool)> =
        ranking.iter().map(|s| (s.result.team, s.result.rank, s.result.needs_lot)).collect();
    assert_eq!(lines, vec![(ids[0], 1, true), (ids[1], 1, true), (ids[2], 3, false)]);
    assert!(!ranking[0].result.complete, "the judged parts are not in yet");

    for not_committee in [&ev.secretariat, &ev.judges[0]] {
        assert!(matches!(e.draw_tie_lots(not_committee, SLUG, &ids[..2]).await, Err(EngineError::Forbidden)));
    }
    assert!(is_bad_request(&e.draw_tie_lots(&ev.organiser, SLUG, &ids[..1]).await, "hai đội"));
    let drawn = e.draw_tie_lots(&ev.organiser, SLUG, &ids[..2]).await.unwrap();
    let logged = audit(e, ev.contest_id, "event.tie_lot").await;
    let seed: u64 = logged[0]["seed"].as_str().unwrap().parse().unwrap();
    assert_eq!(lots::draw(seed, &ids[..2], 2).unwrap(), drawn, "the lot replays from the logged seed");
    let first = drawn.iter().find(|(_, lot)| *lot == 1).unwrap().0;
    let ranking = e.event_ranking(&ev.organiser, SLUG).await.unwrap();
    let lines: Vec<(i64, u32, bool)> =
        ranking.iter().map(|s| (s.result.team, s.result.rank, s.result.needs_lot)).collect();
    let second = if first == ids[0] { ids[1] } else { ids[0] };
    assert_eq!(lines, vec![(first, 1, false), (second, 2, false), (ids[2], 3, false)]);
}

/// Once a sheet is stored, the parts, criteria, maxima, weights, aggregation and tie-breaks stay
/// as the judges scored them; the event's name may still change.
async fn the_scoring_rules_stay_once_a_sheet_is_in(db: TestDb) {
    let ev = event(db).await;
    let e = &ev.f.engine;
    let admin = system_admin();
    let raised = event_toml().replace("max = 40", "max = 50");
    let renamed = event_toml().replace("name = \"Hội thi trực tiếp\"", "name = \"Hội thi trực tiếp năm 2026\"");
    // Before any sheet the committee may still change the criteria.
    e.save_definition(&admin, SLUG, &raised, "Sửa điểm tối đa").await.expect("no sheet yet");
    e.save_definition(&admin, SLUG, &event_toml(), "Trả lại như cũ").await.expect("no sheet yet");
    let ids = teams(&ev).await;
    e.set_part_open(&ev.secretariat, SLUG, "gioi-thieu", true).await.unwrap();
    e.submit_sheet(&ev.judges[0], SLUG, ids[0], "gioi-thieu", &scores(&[("noi-dung", 3525), ("trinh-bay", 2750)]))
        .await
        .unwrap();
    let refused = e.save_definition(&admin, SLUG, &raised, "Sửa điểm tối đa").await;
    assert!(
        matches!(&refused, Err(EngineError::Definition(errs)) if errs.iter().any(|d| d.message.contains("đã có phiếu chấm"))),
        "{refused:?}"
    );
    e.save_definition(&admin, SLUG, &renamed, "Đổi tên hội thi").await.expect("the name may change");
}
