//! The event's stage through the engine: question sets made from a seed and made again from the
//! audit entry alone, a team's lot drawn once (fifty draws at once keep one), answers on stage
//! feeding the event's ranking, the screen's state without the key before the reveal, the
//! tablet's answer, the scoreboard's freeze, who may control the stage, and a step taken on one
//! app node reaching the screens of another.

use std::collections::BTreeSet;
use std::time::Duration;

use cuocthi_domain::event::lots;
use cuocthi_engine::console::stage::{self, Answering, Control, Step};
use cuocthi_engine::console::{Role, Staff};
use cuocthi_engine::{Engine, EngineError};
use cuocthi_store::AuditFilter;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(
    question_sets_are_made_from_a_seed_the_audit_log_replays,
    a_team_draws_its_set_once_even_when_fifty_draws_come_at_once,
    answers_on_stage_feed_the_ranking_and_the_key_waits_for_the_reveal,
    a_tablet_answers_once_and_only_in_time,
    the_frozen_scoreboard_keeps_the_standings_of_its_instant,
    only_the_stage_roles_control_it,
    a_step_on_one_node_reaches_the_screens_of_another,
    the_scoreboard_follows_entries_made_beside_the_stage,
);

const SLUG: &str = "san-khau";
const PART: &str = "kien-thuc";

/// The test contest with three units and an event whose knowledge round has 4 questions of 10
/// points, 30 seconds each, and a judged part.
fn stage_toml() -> String {
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
tie_breaks = ["kien-thuc"]

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
questions = 4
points = 10
seconds_per_question = 30
answering = 3
"#
}

struct Stage {
    f: Fixture,
    contest_id: i64,
    secretariat: Staff,
    mc: Staff,
    judge: Staff,
    viewer: Staff,
    teams: Vec<i64>,
}

/// The contest, its staff (secretariat, MC, judge, viewer) and a team per unit.
async fn stage(db: TestDb) -> Stage {
    let f = fixture(db, "").await;
    f.engine.import_contest(&stage_toml(), Some(("bank.csv", &bank_csv(10)))).await.expect("import");
    let store = f.engine.store().clone();
    let contest_id = store.contest_by_slug(SLUG).await.unwrap().expect("contest").contest.id;
    let account = async |name: &str, role: Role| account_on(store.as_ref(), contest_id, name, role).await;
    let secretariat = account("thuky", Role::Secretariat).await;
    let mc = account("dancchuongtrinh", Role::Mc).await;
    let judge = account("giamkhao", Role::Judge).await;
    let viewer = account("xem", Role::Viewer).await;
    let members = members(3);
    let mut teams = Vec::new();
    for unit in ["SO-A", "SO-B", "SO-C"] {
        teams.push(f.engine.save_team(&secretariat, SLUG, unit, "", &members).await.expect("team").id);
    }
    Stage { f, contest_id, secretariat, mc, judge, viewer, teams }
}

/// The details of the contest's audit entries of `action`, newest first.
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

fn seed_of(detail: &serde_json::Value) -> u64 {
    detail["seed"].as_str().expect("the seed, as text").parse().expect("a 64-bit seed")
}

fn ids(v: &serde_json::Value) -> Vec<i64> {
    v.as_array().expect("a list").iter().map(|x| x.as_i64().expect("an id")).collect()
}

async fn question_sets_are_made_from_a_seed_the_audit_log_replays(db: TestDb) {
    let s = stage(db).await;
    let e = &s.f.engine;
    assert!(matches!(
        e.prepare_question_sets(&s.secretariat, SLUG, "gioi-thieu", None).await,
        Err(EngineError::BadRequest(m)) if m.contains("không phải phần thi kiến thức")
    ));
    assert!(matches!(
        e.prepare_question_sets(&s.secretariat, SLUG, PART, Some(2)).await,
        Err(EngineError::BadRequest(m)) if m.contains("ít nhất 3 bộ")
    ));
    let made = e.prepare_question_sets(&s.secretariat, SLUG, PART, None).await.expect("sets");
    assert_eq!((made.sets, made.per_set, made.repeats), (3, 4, false));
    let stored = stage::stored_sets(&e.store().question_sets(s.contest_id).await.unwrap(), PART);
    assert_eq!(stored.len(), 3);
    let all: BTreeSet<i64> = stored.values().flatten().copied().collect();
    assert_eq!(all.len(), 12, "no question in two sets while the bank has enough");
    // The audit entry alone makes the same sets again.
    let entry = &audit(e, s.contest_id, "event.question_sets").await[0];
    let (replayed, repeats) = stage::question_sets(
        seed_of(entry),
        &ids(&entry["bank"]),
        u32::try_from(entry["sets"].as_u64().unwrap()).unwrap(),
        u32::try_from(entry["per_set"].as_u64().unwrap()).unwrap(),
    )
    .unwrap();
    assert!(!repeats);
    assert_eq!(replayed, stored.values().cloned().collect::<Vec<_>>());
    assert_eq!(entry["seed"].as_str(), Some(made.seed.as_str()));
    // A bank too small for sets without repeats says so; once a team drew, the sets stay.
    let more = e.prepare_question_sets(&s.secretariat, SLUG, PART, Some(8)).await.expect("eight sets");
    assert!(more.repeats, "32 places from 30 questions");
    e.draw_question_set(&s.mc, SLUG, s.teams[0], PART).await.expect("a lot");
    assert!(matches!(
        e.prepare_question_sets(&s.secretariat, SLUG, PART, None).await,
        Err(EngineError::Conflict(m)) if m.contains("Đã có đội bốc thăm")
    ));
}

async fn a_team_draws_its_set_once_even_when_fifty_draws_come_at_once(db: TestDb) {
    let s = stage(db).await;
    let e = &s.f.engine;
    assert!(matches!(
        e.draw_question_set(&s.mc, SLUG, s.teams[0], PART).await,
        Err(EngineError::Conflict(m)) if m.contains("Chưa chuẩn bị")
    ));
    e.prepare_question_sets(&s.secretariat, SLUG, PART, None).await.expect("sets");
    let draws: Vec<_> = (0..50)
        .map(|_| {
            let (e, mc, team) = (e.clone(), s.mc.clone(), s.teams[0]);
            tokio::spawn(async move { e.draw_question_set(&mc, SLUG, team, PART).await })
        })
        .collect();
    let mut kept = Vec::new();
    for d in draws {
        match d.await.unwrap() {
            Ok(lot) => kept.push(lot),
            Err(EngineError::Conflict(m)) => assert!(m.contains("đã bốc thăm"), "{m}"),
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(kept.len(), 1, "one draw of the fifty is kept");
    let lots_now = e.store().set_lots(s.contest_id).await.unwrap();
    assert_eq!(lots_now.len(), 1);
    let entries = audit(e, s.contest_id, "event.set_lot").await;
    assert_eq!(entries.len(), 1, "and recorded once");
    // The entry replays the lot: the seed among the sets left.
    let among = ids(&entries[0]["among"]);
    let drawn = lots::draw(seed_of(&entries[0]), &[s.teams[0]], u32::try_from(among.len()).unwrap()).unwrap();
    let place = usize::try_from(drawn[0].1).unwrap() - 1;
    assert_eq!(among[place], kept[0].set_no);
    assert!(matches!(
        e.draw_question_set(&s.secretariat, SLUG, s.teams[0], PART).await,
        Err(EngineError::Conflict(m)) if m.contains("mỗi đội chỉ bốc một lần")
    ));
    // The other teams draw the other sets; then none is left.
    let b = e.draw_question_set(&s.mc, SLUG, s.teams[1], PART).await.unwrap();
    let c = e.draw_question_set(&s.mc, SLUG, s.teams[2], PART).await.unwrap();
    let numbers: BTreeSet<i64> = [kept[0].set_no, b.set_no, c.set_no].into();
    assert_eq!(numbers, BTreeSet::from([1, 2, 3]));
}

/// The correct option of the question on stage, as the control page (staff) sees it.
async fn key_on_stage(e: &Engine, by: &Staff) -> (u8, String) {
    let q = e.stage_control(by, SLUG).await.unwrap().question.expect("a question on stage");
    (q.correct, q.options[usize::from(q.correct)].clone())
}

async fn answers_on_stage_feed_the_ranking_and_the_key_waits_for_the_reveal(db: TestDb) {
    let s = stage(db).await;
    let e = &s.f.engine;
    let mc = &s.mc;
    e.prepare_question_sets(&s.secretariat, SLUG, PART, None).await.unwrap();
    assert!(matches!(e.control_stage(mc, SLUG, Control::Lot).await, Err(EngineError::Conflict(_))));
    let team = s.teams[1];
    e.control_stage(mc, SLUG, Control::Team { team_id: team, part_key: PART.into() }).await.unwrap();
    let lot = e.control_stage(mc, SLUG, Control::Lot).await.unwrap();
    assert_eq!(lot.step, "lot");
    let screen = e.screen_state(SLUG).await.unwrap();
    assert_eq!((screen.step, screen.sets), (Step::Lot, 3));
    let drawn = screen.set_no.expect("the lot on screen");
    // Showing the lot again keeps it.
    e.control_stage(mc, SLUG, Control::Lot).await.unwrap();
    assert_eq!(e.screen_state(SLUG).await.unwrap().set_no, Some(drawn));
    for (n, right) in [(1, true), (2, false), (3, true), (4, false)] {
        let q = e.control_stage(mc, SLUG, Control::NextQuestion).await.unwrap();
        assert_eq!(q.question_seq, Some(n));
        assert_eq!(q.deadline_at, Some(t0().timestamp_millis() + 30_000));
        assert!(matches!(
            e.control_stage(mc, SLUG, Control::NextQuestion).await,
            Err(EngineError::Conflict(m)) if m.contains("công bố đáp án")
        ));
        let (correct, _) = key_on_stage(e, mc).await;
        // The screen's state holds no key before the reveal, neither when shown nor when marked.
        for step in [None, Some(Control::Mark { correct: right })] {
            if let Some(step) = step {
                e.control_stage(mc, SLUG, step).await.unwrap();
            }
            let screen = e.screen_state(SLUG).await.unwrap();
            let json = serde_json::to_value(&screen).unwrap();
            assert!(json["revealed"].is_null(), "{json}");
            let text = json.to_string();
            for leak in ["\"correct\"", "Vì đó là đáp án", "team_correct", "letter"] {
                assert!(!text.contains(leak), "{leak} in the screen's state before the reveal: {text}");
            }
            assert_eq!(json["question"]["seq"], n);
            assert!(json["question"]["options"].as_array().unwrap().len() > usize::from(correct));
        }
        assert!(e.screen_state(SLUG).await.unwrap().question.unwrap().answered);
        e.control_stage(mc, SLUG, Control::Reveal).await.unwrap();
        let shown = e.screen_state(SLUG).await.unwrap();
        let revealed = shown.revealed.expect("revealed");
        assert_eq!((revealed.correct, revealed.team_correct), (correct, right));
        assert_eq!(revealed.points, if right { "10" } else { "0" });
    }
    assert!(matches!(
        e.control_stage(mc, SLUG, Control::NextQuestion).await,
        Err(EngineError::Conflict(m)) if m.contains("hết 4 câu")
    ));
    // Two right answers: 20 points in the knowledge part, in the ranking the console reads.
    let answers = e.store().stage_answers(s.contest_id).await.unwrap();
    assert_eq!(answers.len(), 4);
    assert!(answers.iter().all(|a| a.source == "mc" && a.entered_by == "dancchuongtrinh"));
    let ranking = e.event_ranking(&s.secretariat, SLUG).await.unwrap();
    let line = ranking.iter().find(|l| l.result.team == team).unwrap();
    assert_eq!(line.result.parts[PART].map(|x| x.display(2)), Some("20".into()));
    assert_eq!(line.result.rank, 1);
    assert_eq!(audit(e, s.contest_id, "event.stage_answer").await.len(), 4);
    // A question left unanswered counts as wrong once revealed.
    e.control_stage(mc, SLUG, Control::Team { team_id: s.teams[0], part_key: PART.into() }).await.unwrap();
    e.control_stage(mc, SLUG, Control::Lot).await.unwrap();
    e.control_stage(mc, SLUG, Control::NextQuestion).await.unwrap();
    e.control_stage(mc, SLUG, Control::Reveal).await.unwrap();
    let shown = e.screen_state(SLUG).await.unwrap();
    assert!(!shown.revealed.unwrap().team_correct);
    let board = e.scoreboard(SLUG).await.unwrap();
    assert!(!board.frozen);
    assert_eq!(board.rows[0].total, "20");
}

async fn a_tablet_answers_once_and_only_in_time(db: TestDb) {
    let s = stage(db).await;
    let e = &s.f.engine;
    let mc = &s.mc;
    e.prepare_question_sets(&s.secretariat, SLUG, PART, None).await.unwrap();
    e.control_stage(mc, SLUG, Control::Answering(Answering::Tablet)).await.unwrap();
    e.control_stage(mc, SLUG, Control::Team { team_id: s.teams[2], part_key: PART.into() }).await.unwrap();
    e.control_stage(mc, SLUG, Control::Lot).await.unwrap();
    let key = e.stage_control(mc, SLUG).await.unwrap().stage.tablet_key;
    assert!(e.tablet_allowed(SLUG, &key).await.unwrap());
    assert!(!e.tablet_allowed(SLUG, "0123").await.unwrap());
    assert!(matches!(e.tablet_answer(SLUG, &key, 0).await, Err(EngineError::Conflict(_))), "no question yet");
    e.control_stage(mc, SLUG, Control::NextQuestion).await.unwrap();
    let (correct, _) = key_on_stage(e, mc).await;
    assert!(matches!(e.tablet_answer(SLUG, "not-the-key", correct).await, Err(EngineError::Forbidden)));
    assert!(matches!(e.tablet_answer(SLUG, &key, 9).await, Err(EngineError::BadRequest(_))));
    s.f.clock.advance(chrono::Duration::seconds(12));
    e.tablet_answer(SLUG, &key, correct).await.expect("the team's answer");
    let screen = e.screen_state(SLUG).await.unwrap();
    assert_eq!(screen.step, Step::Answered);
    assert!(screen.revealed.is_none());
    let wrong = (correct + 1) % 3;
    assert!(matches!(e.tablet_answer(SLUG, &key, wrong).await, Err(EngineError::Conflict(_))), "an answer given stays");
    let answers = e.store().stage_answers(s.contest_id).await.unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(
        (answers[0].chosen, answers[0].correct, answers[0].source.as_str()),
        (Some(i64::from(correct)), 1, "tablet")
    );
    assert_eq!(answers[0].entered_at, (t0() + chrono::Duration::seconds(12)).timestamp_millis());
    e.control_stage(mc, SLUG, Control::Reveal).await.unwrap();
    // Too late for the next question: 30 s and the grace are over.
    e.control_stage(mc, SLUG, Control::NextQuestion).await.unwrap();
    s.f.clock.advance(chrono::Duration::seconds(33));
    assert!(matches!(
        e.tablet_answer(SLUG, &key, 0).await,
        Err(EngineError::Conflict(m)) if m.contains("hết thời gian")
    ));
    // With the MC marking, the tablet is refused.
    e.control_stage(mc, SLUG, Control::Answering(Answering::Mc)).await.unwrap();
    assert!(!e.tablet_allowed(SLUG, &key).await.unwrap());
}

async fn the_frozen_scoreboard_keeps_the_standings_of_its_instant(db: TestDb) {
    let s = stage(db).await;
    let e = &s.f.engine;
    let mc = &s.mc;
    e.prepare_question_sets(&s.secretariat, SLUG, PART, None).await.unwrap();
    let answer_one = async |team: i64, right: bool| {
        e.control_stage(mc, SLUG, Control::Team { team_id: team, part_key: PART.into() }).await.unwrap();
        e.control_stage(mc, SLUG, Control::Lot).await.unwrap();
        e.control_stage(mc, SLUG, Control::NextQuestion).await.unwrap();
        e.control_stage(mc, SLUG, Control::Mark { correct: right }).await.unwrap();
        e.control_stage(mc, SLUG, Control::Reveal).await.unwrap();
    };
    answer_one(s.teams[0], true).await;
    let before = e.scoreboard(SLUG).await.unwrap();
    s.f.clock.advance(chrono::Duration::minutes(5));
    e.control_stage(mc, SLUG, Control::Freeze(true)).await.unwrap();
    answer_one(s.teams[1], true).await;
    e.control_stage(mc, SLUG, Control::NextQuestion).await.unwrap();
    e.control_stage(mc, SLUG, Control::Mark { correct: true }).await.unwrap();
    e.control_stage(mc, SLUG, Control::Reveal).await.unwrap();
    let frozen = e.scoreboard(SLUG).await.unwrap();
    assert!(frozen.frozen);
    assert_eq!(frozen.frozen_at.as_deref(), Some("10:05 10/03/2026"), "Vietnam time of the freeze");
    assert_eq!(frozen.rows, before.rows, "the standings of the freeze instant");
    assert_eq!(frozen.rows[0].total, "10");
    assert_eq!(e.screen_state(SLUG).await.unwrap().board.rows, before.rows, "the screen shows the frozen board too");
    // The console's ranking is live; unfreezing shows it to everyone.
    let live = e.event_ranking(&s.secretariat, SLUG).await.unwrap();
    assert_eq!(live[0].result.total.display(2), "20");
    e.control_stage(mc, SLUG, Control::Freeze(false)).await.unwrap();
    let board = e.scoreboard(SLUG).await.unwrap();
    assert!(!board.frozen);
    assert_eq!(board.rows[0].total, "20");
}

async fn only_the_stage_roles_control_it(db: TestDb) {
    let s = stage(db).await;
    let e = &s.f.engine;
    for who in [&s.judge, &s.viewer] {
        assert!(matches!(e.control_stage(who, SLUG, Control::Scoreboard).await, Err(EngineError::Forbidden)));
        assert!(matches!(e.stage_control(who, SLUG).await, Err(EngineError::Forbidden)));
        assert!(matches!(e.draw_question_set(who, SLUG, s.teams[0], PART).await, Err(EngineError::Forbidden)));
    }
    // The MC runs the stage and nothing of the secretariat's.
    assert!(matches!(e.prepare_question_sets(&s.mc, SLUG, PART, None).await, Err(EngineError::Forbidden)));
    assert!(matches!(e.reopen_sheet(&s.mc, SLUG, 1, "lý do").await, Err(EngineError::Forbidden)));
    assert!(matches!(e.event_sheets(&s.mc, SLUG).await, Err(EngineError::Forbidden)));
    e.control_stage(&s.mc, SLUG, Control::Scoreboard).await.expect("the MC shows the scoreboard");
    e.control_stage(&s.secretariat, SLUG, Control::Idle).await.expect("so may the secretariat");
    assert_eq!(audit(e, s.contest_id, "event.stage").await.len(), 2);
    // Another contest's staff cannot control this one.
    let other = staff(s.mc.account_id, "khac", s.contest_id + 1000, Role::Mc);
    assert!(matches!(e.control_stage(&other, SLUG, Control::Idle).await, Err(EngineError::Forbidden)));
}

async fn a_step_on_one_node_reaches_the_screens_of_another(db: TestDb) {
    let s = stage(db).await;
    let here = &s.f.engine;
    // A second app node on the same database.
    let there = Engine::new(here.store().clone(), s.f.clock.clone()).await.unwrap();
    let mut screen_here = here.stage_updates(SLUG).await.unwrap();
    let mut screen_there = there.stage_updates(SLUG).await.unwrap();
    let first = screen_there.borrow_and_update().clone().expect("the current state at once");
    assert_eq!((first.version, first.state.step), (0, Step::Idle));
    screen_here.borrow_and_update();
    let started = std::time::Instant::now();
    let saved = here.control_stage(&s.mc, SLUG, Control::Scoreboard).await.unwrap();
    // This node pushes at once; the other notices within its poll.
    tokio::time::timeout(Duration::from_millis(200), screen_here.changed()).await.expect("pushed here").unwrap();
    assert_eq!(screen_here.borrow().as_ref().unwrap().version, saved.version);
    tokio::time::timeout(Duration::from_secs(1), screen_there.changed()).await.expect("polled there").unwrap();
    let frame = screen_there.borrow().clone().unwrap();
    assert_eq!((frame.version, frame.state.step), (saved.version, Step::Scoreboard));
    assert!(frame.json.contains("\"step\":\"scoreboard\""));
    assert!(started.elapsed() < Duration::from_secs(1));
    // When every screen is gone the poller stops; a new screen starts it again.
    drop(screen_there);
    tokio::time::sleep(stage::POLL * 3).await;
    let mut again = there.stage_updates(SLUG).await.unwrap();
    assert_eq!(again.borrow_and_update().as_ref().unwrap().version, saved.version);
    there.control_stage(&s.secretariat, SLUG, Control::Idle).await.unwrap();
    tokio::time::timeout(Duration::from_secs(1), screen_here.changed()).await.expect("polled here").unwrap();
    assert_eq!(screen_here.borrow().as_ref().unwrap().state.step, Step::Idle);
}

/// The secretariat's entries (a knowledge count typed in, a judge's sheet) are no stage step: the
/// open screens still get the new standings within a few polls.
async fn the_scoreboard_follows_entries_made_beside_the_stage(db: TestDb) {
    let s = stage(db).await;
    let e = &s.f.engine;
    let mut screen = e.stage_updates(SLUG).await.unwrap();
    let first = screen.borrow_and_update().clone().unwrap();
    assert!(first.state.board.rows.iter().all(|r| r.total == "0"));
    e.enter_answers(&s.secretariat, SLUG, s.teams[2], PART, 3).await.unwrap();
    tokio::time::timeout(Duration::from_secs(3), screen.changed()).await.expect("the new standings").unwrap();
    let frame = screen.borrow().clone().unwrap();
    assert_eq!(frame.version, first.version, "no stage step was taken");
    assert_eq!((frame.state.board.rows[0].team.as_str(), frame.state.board.rows[0].total.as_str()), ("Sở C", "30"));
}
