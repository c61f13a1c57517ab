//! Results a province can sign (issues 14 and 17): the committee adjusts the collective prize
//! structure with a recorded reason and `results verify` recomputes with what the version stored;
//! the workbook's collective sheet comes from the approved version; the columns follow the
//! stated tie-break order; and the in-person event's team prizes go through approval, locked
//! versions, publication, verification and team certificates, a boundary tie waiting for the
//! committee's lot.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use chrono::Duration;
use cuocthi_domain::event::Points;
use cuocthi_engine::console::event::MemberInput;
use cuocthi_engine::console::meeting::{deciding_headings, deciding_order};
use cuocthi_engine::console::results::CollectiveAdjustment;
use cuocthi_engine::console::{Role, Staff};
use cuocthi_engine::{Engine, EngineError, ManualClock};
use cuocthi_store::AuditFilter;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(
    an_adjusted_collective_structure_is_stored_verified_and_in_the_workbook,
    columns_follow_the_stated_tie_break_order,
    an_event_version_is_approved_published_verified_and_certified,
    a_boundary_tie_goes_to_the_tie_breaks_then_the_committee_lot
);

const SLUG: &str = "tap-the";

/// A contest asking for the unit, with a collective prize of two levels: Sở A brings three
/// people, Sở B two.
async fn collective_contest(db: &TestDb) -> (Engine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0()));
    let e = Engine::new(db.dyn_store().await, clock.clone()).await.unwrap();
    let toml = asking_unit(
        SLUG,
        r#"
[[units]]
code = "SO-B"
name = "Sở B"
headcount = 4

[[collective_prizes]]
name = "Đơn vị có nhiều người tham gia nhất"
basis = "participants"
tiers = [{ name = "Giải Nhất", count = 1, amount_vnd = 5000000 }, { name = "Giải Nhì", count = 1, amount_vnd = 2000000 }]
"#,
    );
    e.import_contest(&toml, Some(("bank.csv", &bank_csv(10)))).await.unwrap();
    let round = round_id(&e, SLUG, 1).await;
    for (n, unit) in [(21, "SO-A"), (22, "SO-A"), (23, "SO-A"), (24, "SO-B"), (25, "SO-B")] {
        let mut p = person(n, 1980);
        p.unit = Some(unit.into());
        let who = register(&e, SLUG, &p).await;
        let a = e.start(who, round).await.unwrap();
        e.submit(who, a.id, Some(5)).await.unwrap();
    }
    (e, clock)
}

/// A workbook's sheet as text rows.
fn sheet_rows(bytes: Vec<u8>, name: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

/// The collective sheet's (unit code, prize, status) rows.
fn collective_sheet(bytes: Vec<u8>) -> Vec<(String, String, String)> {
    sheet_rows(bytes, "Giải tập thể").into_iter().skip(1).map(|r| (r[2].clone(), r[7].clone(), r[9].clone())).collect()
}

async fn an_adjusted_collective_structure_is_stored_verified_and_in_the_workbook(db: TestDb) {
    let (e, clock) = collective_contest(&db).await;
    let admin = system_admin();
    clock.advance(Duration::hours(3));
    let draft = collective_sheet(e.results_workbook(&admin, SLUG, Some(1)).await.unwrap());
    assert_eq!(draft[1].0, "SO-B");
    assert_eq!(draft[1].1, "Giải Nhì", "the definition's structure in the draft");
    assert!(draft.iter().all(|r| r.2 == "Dự thảo, chưa phê duyệt"), "{draft:?}");

    // Two first prizes instead of a first and a second: only with the committee's reason.
    let mut adjustment =
        CollectiveAdjustment { levels: vec![vec![(2, 4_000_000), (0, 2_000_000)]], reason: " ".into() };
    let refused = e.approve_adjusted(&admin, SLUG, Some(1), "", "", Some(&adjustment)).await;
    assert!(matches!(&refused, Err(EngineError::BadRequest(m)) if m.contains("lý do")), "{refused:?}");
    adjustment.reason = "Hai đơn vị đều vượt chỉ tiêu; Hội đồng trao hai giải Nhất".into();
    let id = e.approve_adjusted(&admin, SLUG, Some(1), "", "Biên bản số 01/BB-BTC", Some(&adjustment)).await.unwrap();
    let version = e.approved_version(&admin, SLUG, id).await.unwrap();
    let structure = version.collective_structure.clone().expect("the structure applied is in the version");
    assert_eq!(structure.reason.as_deref(), Some(adjustment.reason.as_str()));
    let first = &structure.prizes[0].tiers[0];
    assert_eq!(
        (first.count, first.amount_vnd, first.defined_count, first.defined_amount_vnd),
        (2, 4_000_000, 1, 5_000_000)
    );
    let awarded: Vec<(&str, Option<&str>, i64)> =
        version.collective[0].units.iter().map(|u| (u.unit_code.as_str(), u.prize.as_deref(), u.amount_vnd)).collect();
    assert_eq!(awarded, vec![("SO-A", Some("Giải Nhất"), 4_000_000), ("SO-B", Some("Giải Nhất"), 4_000_000)]);
    let contest_id = e.store().contest_by_slug(SLUG).await.unwrap().unwrap().contest.id;
    let filter = AuditFilter { contest_id: Some(contest_id), limit: 100, ..Default::default() };
    let approval = e.audit_log(&admin, filter).await.unwrap().into_iter().find(|a| a.action == "results.approve");
    assert!(approval.is_some_and(|a| a.detail.contains("hai giải Nhất")), "the adjustment is audited");
    assert_eq!(e.draft_changes(&admin, SLUG, Some(1)).await.unwrap(), Some(vec![]), "the draft keeps the structure");

    // The workbook reads the approved version, not the definition.
    let approved = collective_sheet(e.results_workbook(&admin, SLUG, Some(1)).await.unwrap());
    assert_eq!(approved[1].1, "Giải Nhất");
    assert!(approved.iter().all(|r| r.2 == "Phiên bản 1 đã phê duyệt, chưa công bố"), "{approved:?}");
    let text = docx_text(&e.meeting_record(&admin, SLUG, Some(1)).await.unwrap());
    assert!(text.contains("Hội đồng điều chỉnh cơ cấu giải tập thể") && text.contains(&adjustment.reason), "{text}");

    // Verified with the stored structure (the definition's would give Sở B the second prize).
    e.make_public_as(&admin, SLUG, id).await.unwrap();
    let checked = e.verify_results(SLUG, Some(1)).await.unwrap();
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    assert_eq!(e.published_collective(SLUG).await.unwrap()[0].units[1].prize.as_deref(), Some("Giải Nhất"));
    // A stored collective row changed behind the engine's back is found.
    execute(&db, r#"UPDATE published_rankings SET body = REPLACE(body, '"unit_code":"SO-B"', '"unit_code":"SO-Z"')"#)
        .await;
    let checked = e.verify_results(SLUG, Some(1)).await.unwrap();
    assert!(checked.problems.iter().any(|p| p.contains("Giải tập thể")), "{:?}", checked.problems);
}

/// The text of a .docx's body, its XML tags dropped.
fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml").expect("the document").read_to_string(&mut xml).expect("UTF-8");
    let mut text = String::new();
    let mut in_tag = false;
    for ch in xml.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn columns_follow_the_stated_tie_break_order(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let toml = contest_toml("thu-tu", "").replace(
        "tiebreak = { prompt = \"Dự đoán có bao nhiêu người tham gia?\", predicts = \"people\" }",
        "ranking_order = [\"correct_desc\", \"submitted_at_asc\", \"time_taken_asc\"]",
    );
    assert!(toml.contains("submitted_at_asc"));
    e.import_contest(&toml, Some(("bank.csv", &bank_csv(10)))).await.unwrap();
    let round = round_id(e, "thu-tu", 1).await;
    for n in 0..3 {
        let who = register(e, "thu-tu", &person(60 + n, 1985)).await;
        let a = e.start(who, round).await.unwrap();
        f.clock.advance(Duration::seconds(30));
        e.submit(who, a.id, None).await.unwrap();
    }
    f.clock.advance(Duration::hours(3));
    let admin = system_admin();
    let draft = e.draft_ranking(&admin, "thu-tu", Some(1)).await.unwrap();
    assert_eq!(draft.columns, vec!["correct", "submitted", "time"]);
    let order = deciding_order(&draft);
    assert_eq!(order, vec!["correct", "submitted", "time"], "no prediction column without a prediction");
    assert_eq!(deciding_headings(&order), vec!["Số câu đúng", "Nộp bài lúc", "Thời gian"]);
    assert!(draft.rows.iter().all(|r| r.submitted_at_ms.is_some()), "the submission time is shown");
    let text = docx_text(&e.meeting_record(&admin, "thu-tu", Some(1)).await.unwrap());
    assert!(text.contains("xếp theo số câu đúng, rồi thời điểm nộp bài, rồi thời gian làm bài"), "{text}");
    assert!(text.contains("Số câu đúng Nộp bài lúc Thời gian Giải"), "{text}");
    assert!(!text.contains("Chênh lệch"), "{text}");
    let id = e.approve_as(&admin, "thu-tu", Some(1), "").await.unwrap();
    assert_eq!(
        e.approved_version(&admin, "thu-tu", id).await.unwrap().columns,
        draft.columns,
        "locked with the version"
    );
}

const EVENT: &str = "hoi-thi-giai";

/// A contest with four units' teams, an event of an introduction judged on one criterion and a
/// knowledge round, tie-breaks on the knowledge round then the introduction, and three team prizes.
fn event_toml() -> String {
    contest_toml(EVENT, "")
        + r#"
[[units]]
code = "SO-B"
name = "Sở B"

[[units]]
code = "SO-C"
name = "Sở C"

[[units]]
code = "SO-D"
name = "Sở D"

[event]
name = "Hội thi trực tiếp"
max_team_size = 4
aggregation = { method = "mean", decimals = 2, round_at = "criterion" }
tie_breaks = ["kien-thuc", "gioi-thieu"]

[[event.parts]]
key = "gioi-thieu"
name = "Giới thiệu đội thi"
kind = "judged"
step = 0.25
criteria = [{ key = "noi-dung", name = "Nội dung", max = 40 }]

[[event.parts]]
key = "kien-thuc"
name = "Tìm hiểu kiến thức"
kind = "knowledge"
questions = 5
points = 10
seconds_per_question = 30
answering = 3

[[event_prizes]]
name = "Giải Nhất"
count = 1
amount_vnd = 3000000

[[event_prizes]]
name = "Giải Nhì"
count = 1
amount_vnd = 2000000

[[event_prizes]]
name = "Giải Ba"
count = 1
amount_vnd = 1000000
"#
}

struct Event {
    f: Fixture,
    contest_id: i64,
    secretariat: Staff,
    organiser: Staff,
    judge: Staff,
    /// Teams of Sở A, B, C, D.
    teams: Vec<i64>,
}

/// The event with its four teams; one judge scores the introduction (`intro`, hundredths) and
/// the secretariat enters the knowledge round's correct answers.
async fn event(db: TestDb, intro: [i64; 4], correct: [u32; 4]) -> Event {
    let f = fixture(db, "").await;
    let e = &f.engine;
    e.import_contest(&event_toml(), Some(("bank.csv", &bank_csv(10)))).await.expect("import");
    let store = e.store().clone();
    let contest_id = store.contest_by_slug(EVENT).await.unwrap().expect("contest").contest.id;
    let account = async |name: &str, role: Role| account_on(store.as_ref(), contest_id, name, role).await;
    let secretariat = account("thuky", Role::Secretariat).await;
    let organiser = account("btc", Role::Organiser).await;
    let judge = account("giamkhao", Role::Judge).await;
    let mut teams = Vec::new();
    for (i, unit) in ["SO-A", "SO-B", "SO-C", "SO-D"].iter().enumerate() {
        let members: Vec<MemberInput> = (0..3)
            .map(|m| MemberInput {
                name: format!("Thành viên {m} đội {}", i + 1),
                position: "Chuyên viên".into(),
                captain: m == 0,
            })
            .collect();
        teams.push(e.save_team(&secretariat, EVENT, unit, "", &members).await.expect("team").id);
    }
    e.set_part_open(&secretariat, EVENT, "gioi-thieu", true).await.unwrap();
    for (t, team) in teams.iter().enumerate() {
        let scores: BTreeMap<String, Points> = [("noi-dung".to_string(), Points::hundredths(intro[t]))].into();
        e.submit_sheet(&judge, EVENT, *team, "gioi-thieu", &scores).await.unwrap();
        e.enter_answers(&secretariat, EVENT, *team, "kien-thuc", correct[t]).await.unwrap();
    }
    Event { f, contest_id, secretariat, organiser, judge, teams }
}

async fn an_event_version_is_approved_published_verified_and_certified(db: TestDb) {
    // Totals: A 35 + 40 = 75, B 30 + 30 = 60, C 38 + 10 = 48, D 20 + 20 = 40.
    let ev = event(db, [3500, 3000, 3800, 2000], [4, 3, 1, 2]).await;
    let e = &ev.f.engine;
    let by = &ev.organiser;
    // Not while the judges may still score.
    let open = e.approve_event(by, EVENT, "", "").await;
    assert!(matches!(&open, Err(EngineError::Conflict(m)) if m.contains("chưa đóng chấm điểm")), "{open:?}");
    assert!(matches!(e.approve_event(&ev.judge, EVENT, "", "").await, Err(EngineError::Forbidden)));
    e.set_part_open(&ev.secretariat, EVENT, "gioi-thieu", false).await.unwrap();
    let (draft, problems) = e.event_draft(by, EVENT).await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let lines: Vec<(i64, u32, String, Option<String>)> = draft
        .event
        .as_ref()
        .unwrap()
        .teams
        .iter()
        .map(|t| (t.team_id, t.rank, t.total.clone(), t.prize.clone()))
        .collect();
    let t = &ev.teams;
    assert_eq!(
        lines,
        vec![
            (t[0], 1, "75".to_string(), Some("Giải Nhất".to_string())),
            (t[1], 2, "60".into(), Some("Giải Nhì".into())),
            (t[2], 3, "48".into(), Some("Giải Ba".into())),
            (t[3], 4, "40".into(), None),
        ]
    );
    let id = e.approve_event(by, EVENT, "", "Biên bản số 02/BB-BTC").await.unwrap();
    assert_eq!(e.event_versions(by, EVENT).await.unwrap().len(), 1);
    assert!(e.ranking_versions(by, EVENT, Some(1)).await.unwrap().is_empty(), "a scope of its own");
    assert!(e.public_event_results(EVENT).await.unwrap().is_none(), "approved, not yet public");
    e.make_public_as(by, EVENT, id).await.unwrap();
    let published = e.public_event_results(EVENT).await.unwrap().expect("public");
    assert_eq!(published.serials.len(), 3, "one certificate per awarded team");
    let checked = e.verify_event_results(EVENT).await.unwrap();
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    assert!(checked.audit_entries > 0);

    // The team certificate: the team, its unit and its members, verifiable by its serial.
    let cert = e.checked_certificate(&published.serials[0]).await.unwrap();
    assert!(cert.team && !cert.superseded);
    assert_eq!((cert.recipient.as_str(), cert.award.as_str()), ("Sở A", "Giải Nhất"));
    assert_eq!(cert.recipient_detail[0], "Sở A");
    assert!(cert.recipient_detail[1].contains("Thành viên 0 đội 1 (đội trưởng)"), "{:?}", cert.recipient_detail);
    let mut forged = published.serials[0].clone();
    let last = forged.pop().unwrap_or('0');
    forged.push(if last == '0' { '1' } else { '0' });
    assert!(matches!(e.checked_certificate(&forged).await, Err(EngineError::NotFound(_))));

    // The workbook gains the event's sheets: each judge's score, the aggregation, the ranking.
    let book = e.results_workbook(by, EVENT, Some(1)).await.unwrap();
    let scores = sheet_rows(book.clone(), "Hội thi - phiếu chấm");
    assert_eq!(scores.len(), 5, "a row per sheet and criterion under the heading");
    assert!(scores.iter().any(|r| r[0] == "Sở C" && r[3] == "giamkhao" && r[4] == "38"), "{scores:?}");
    let ranking = sheet_rows(book.clone(), "Hội thi - xếp hạng");
    assert_eq!(ranking[1][1], "Sở A");
    assert!(ranking[1].last().is_some_and(|s| s == "Phiên bản 1 đã phê duyệt"), "{:?}", ranking[1]);
    assert!(sheet_rows(book, "Hội thi - tổng hợp").len() > 4);

    // A sheet changed behind the engine's back after the approval: verify names the team.
    execute(&ev.f.db, r#"UPDATE event_sheets SET scores = '{"noi-dung":4000}' WHERE scores = '{"noi-dung":2000}'"#)
        .await;
    let checked = e.verify_event_results(EVENT).await.unwrap();
    assert!(
        checked.problems.iter().any(|p| p.contains("Kết quả hội thi") && p.contains("Sở D")),
        "{:?}",
        checked.problems
    );
    let logged = checked.problems.iter().any(|p| p.contains("khác với điểm ghi trong nhật ký"));
    assert!(logged, "the sheet against its audit entry: {:?}", checked.problems);
    let _ = ev.contest_id;
}

async fn a_boundary_tie_goes_to_the_tie_breaks_then_the_committee_lot(db: TestDb) {
    // A 30 + 20 = 50 and B 30 + 20 = 50: equal on every rule, for the first and second prizes.
    // C 20 + 20 = 40 and D 30 + 10 = 40 for the third: the knowledge round puts C first.
    let ev = event(db, [3000, 3000, 2000, 3000], [2, 2, 2, 1]).await;
    let e = &ev.f.engine;
    let by = &ev.organiser;
    e.set_part_open(&ev.secretariat, EVENT, "gioi-thieu", false).await.unwrap();
    let (draft, problems) = e.event_draft(by, EVENT).await.unwrap();
    let teams = &draft.event.as_ref().unwrap().teams;
    let t = &ev.teams;
    let lines: Vec<(i64, u32, bool)> = teams.iter().map(|x| (x.team_id, x.rank, x.needs_lot)).collect();
    assert_eq!(lines[2..], [(t[2], 3, false), (t[3], 4, false)], "the stated tie-break decides C before D");
    assert_eq!(lines[..2].iter().map(|l| (l.1, l.2)).collect::<Vec<_>>(), vec![(1, true), (1, true)]);
    assert_eq!(teams[2].prize.as_deref(), Some("Giải Ba"));
    assert!(teams[..2].iter().all(|x| x.prize.is_none()), "no prize decided by a team's id");
    assert!(problems.iter().any(|p| p.contains("bốc thăm")), "{problems:?}");
    let refused = e.approve_event(by, EVENT, "", "").await;
    assert!(matches!(&refused, Err(EngineError::Conflict(m)) if m.contains("bốc thăm")), "{refused:?}");

    let drawn = e.draw_tie_lots(by, EVENT, &t[..2]).await.unwrap();
    let first = drawn.iter().find(|(_, lot)| *lot == 1).unwrap().0;
    let second = if first == t[0] { t[1] } else { t[0] };
    let id = e.approve_event(by, EVENT, "", "").await.unwrap();
    let version = e.approved_version(by, EVENT, id).await.unwrap();
    let prizes: Vec<(i64, Option<&str>, Option<u32>)> =
        version.event.as_ref().unwrap().teams.iter().map(|x| (x.team_id, x.prize.as_deref(), x.lot)).collect();
    assert_eq!(
        prizes,
        vec![
            (first, Some("Giải Nhất"), Some(1)),
            (second, Some("Giải Nhì"), Some(2)),
            (t[2], Some("Giải Ba"), None),
            (t[3], None, None)
        ]
    );
    e.make_public_as(by, EVENT, id).await.unwrap();
    let checked = e.verify_event_results(EVENT).await.unwrap();
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    // A second version needs a reason.
    assert!(matches!(e.approve_event(by, EVENT, "", "").await, Err(EngineError::BadRequest(_))));
}
