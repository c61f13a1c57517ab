//! The engine on a real database, each test on SQLite and on PostgreSQL.

mod accounts;
mod common;
mod event;
mod feedback;
mod import_docx;
mod meeting;
mod privacy;
mod results_gate;
mod results_structure;
mod review;
mod seed_001;
mod stage;
mod start_json;
mod stats;
mod throttle;
mod untrusted;
mod verify;

use std::collections::HashSet;

use chrono::Duration;
use common::*;
use cuocthi_engine::shared::token::Claims;
use cuocthi_engine::{Engine, EngineError};
use cuocthi_store::{AttemptStatus, SqlStore};
use cuocthi_testkit::{TestDb, on_both_backends};

#[test]
fn both_migration_sets_list_the_same_versions() {
    let (sqlite, postgres) = SqlStore::migration_versions();
    assert!(sqlite.len() >= 2, "{sqlite:?}");
    assert_eq!(sqlite, postgres);
}

/// `n` starts of one person's attempt sent at once: the ids of the attempts they were given.
async fn started_at_once(e: &Engine, who: Claims, round: i64, n: usize) -> HashSet<i64> {
    let starts: Vec<_> = (0..n)
        .map(|_| {
            let e = e.clone();
            tokio::spawn(async move { e.start(who, round).await.map(|a| a.id) })
        })
        .collect();
    let mut ids = HashSet::new();
    for s in starts {
        ids.insert(s.await.unwrap().expect("a start is given the open attempt, never refused"));
    }
    ids
}

on_both_backends!(
    the_participant_path,
    fifty_simultaneous_starts_give_the_allowed_attempts,
    the_deadline_submits_what_was_saved,
    registration_rules,
    eligibility_rules,
    revising_a_question_keeps_old_attempts,
    question_imports_report_every_bad_row,
    every_example_contest_imports_and_exports,
    collective_prizes_rank_units,
    racing_starts_on_the_last_attempt_resume_it,
    console_writes_go_on_beside_the_participants_writes,
);

async fn the_participant_path(db: TestDb) {
    let (f, who, round) = with_person(db, 1, 1990).await;
    let e = &f.engine;

    let a = e.start(who, round).await.unwrap();
    assert_eq!(a.questions.len(), 6);
    assert_eq!(a.questions.iter().filter(|q| q.topic == "T1").count(), 2, "the quota holds");
    assert_eq!(a.deadline_at, t0() + Duration::minutes(10) + Duration::seconds(10));
    assert_eq!(a.ends_at, t0() + Duration::minutes(10), "the countdown ends at the time limit, without the grace");
    assert_eq!((a.remaining_ms, a.remaining_to_end_ms), (610_000, 600_000));
    // Resuming returns the same attempt with its answers.
    let right = choice(e, a.id, 0, true).await;
    e.save_answer(who, a.id, 0, Some(right)).await.unwrap();
    e.save_answer(who, a.id, 1, Some(0)).await.unwrap();
    e.save_answer(who, a.id, 1, None).await.unwrap();
    let again = e.start(who, round).await.unwrap();
    assert_eq!(again.id, a.id);
    assert_eq!(again.questions[0].answer, Some(right));
    assert_eq!(again.questions[1].answer, None);
    assert_eq!(again.answered, 1);
    // Bad positions and choices are refused clearly.
    assert!(matches!(e.save_answer(who, a.id, 6, Some(0)).await, Err(EngineError::BadRequest(_))));
    assert!(matches!(e.save_answer(who, a.id, 0, Some(7)).await, Err(EngineError::BadRequest(_))));
    // Someone else cannot see or touch it.
    let other = register(e, "kiem-thu", &person(2, 1991)).await;
    assert!(matches!(e.attempt(other, a.id).await, Err(EngineError::NotFound(_))));
    assert!(matches!(e.save_answer(other, a.id, 0, Some(0)).await, Err(EngineError::NotFound(_))));

    f.clock.advance(Duration::seconds(95));
    let r = e.submit(who, a.id, Some(1234)).await.unwrap();
    assert_eq!((r.correct, r.questions, r.attempts_used, r.attempts_left), (1, 6, 1, 1));
    assert_eq!(r.time_taken_ms, 95_000);
    assert_eq!(r.time_taken_text, "1 phút 35 giây");
    assert_eq!(r.prediction, Some(1234));
    assert!(r.key.is_none(), "no key while the round is open");
    // Submitting twice gives the same result; saving after submission is refused.
    assert_eq!(e.submit(who, a.id, None).await.unwrap().correct, 1);
    assert!(matches!(e.save_answer(who, a.id, 2, Some(0)).await, Err(EngineError::AttemptSubmitted)));

    let b = e.start(who, round).await.unwrap();
    assert_ne!(b.id, a.id);
    let r = e.submit(who, b.id, None).await.unwrap();
    assert_eq!((r.attempts_used, r.attempts_left), (2, 0), "both attempts counted, the other person's not");
    assert_eq!(e.result(who, a.id).await.unwrap().attempts_used, 2, "the first attempt's result counts both");
    assert!(matches!(e.start(who, round).await, Err(EngineError::AttemptLimit(2))));
    let me = e.me(who).await.unwrap();
    assert_eq!(me.attempts.len(), 2);
    assert_eq!(me.participant.cccd_masked.as_deref(), Some("0010******01"));

    // After the close the key shows, and the real figure is frozen by the sweep.
    f.clock.advance(Duration::hours(3));
    let r = e.result(who, a.id).await.unwrap();
    let key = r.key.expect("key after the close");
    assert_eq!(key[0].correct, right);
    assert_eq!(key[0].answer, Some(right));
    e.sweep().await.unwrap();
    let round_row = e.store().round(round).await.unwrap().unwrap();
    assert_eq!(round_row.real_figure, Some(1), "one person submitted");
    assert!(matches!(e.start(who, round).await, Err(EngineError::RoundClosed(_))));
}

async fn fifty_simultaneous_starts_give_the_allowed_attempts(db: TestDb) {
    let (f, who, round) = with_person(db, 7, 1985).await;
    // 50 starts at once: one attempt, everyone resumes it.
    assert_eq!(started_at_once(&f.engine, who, round, 50).await.len(), 1);
    // 50 people-in-a-hurry loops of start-and-submit: exactly the 2 allowed attempts exist.
    let loops: Vec<_> = (0..50)
        .map(|_| {
            let e = f.engine.clone();
            tokio::spawn(async move {
                for _ in 0..3 {
                    match e.start(who, round).await {
                        Ok(a) => match e.submit(who, a.id, None).await {
                            // Another loop may have submitted the same attempt first.
                            Ok(_) | Err(EngineError::AttemptSubmitted) => {}
                            Err(other) => panic!("submit: {other:?}"),
                        },
                        Err(EngineError::AttemptLimit(_)) => return,
                        Err(other) => panic!("unexpected: {other:?}"),
                    }
                }
            })
        })
        .collect();
    for l in loops {
        l.await.unwrap();
    }
    let attempts = f.engine.store().attempts_of(who.participant_id).await.unwrap();
    assert_eq!(attempts.len(), 2);
    assert!(attempts.iter().all(|a| a.status == AttemptStatus::Submitted));
    let _ = &f.db;
}

async fn the_deadline_submits_what_was_saved(db: TestDb) {
    let (f, who, round) = with_person(db, 3, 1970).await;
    let e = &f.engine;
    let a = e.start(who, round).await.unwrap();
    for pos in 0..3 {
        let right = choice(e, a.id, pos, true).await;
        e.save_answer(who, a.id, pos, Some(right)).await.unwrap();
    }
    // Inside the grace an answer is still accepted; after it, refused, and the sweep submits.
    f.clock.advance(Duration::minutes(10) + Duration::seconds(5));
    e.save_answer(who, a.id, 3, Some(choice(e, a.id, 3, true).await)).await.unwrap();
    f.clock.advance(Duration::seconds(6));
    assert_eq!(e.sweep().await.unwrap(), 1);
    let row = e.store().attempt(a.id).await.unwrap().unwrap();
    assert_eq!(row.status, AttemptStatus::Submitted);
    assert!(row.auto_submitted);
    assert_eq!(row.correct, Some(4));
    assert_eq!(row.time_taken_ms, Some(600_000), "the whole time limit");
    assert_eq!(row.submitted_at, Some(t0() + Duration::minutes(10)), "submitted at the end of the person's time");
    assert!(matches!(e.save_answer(who, a.id, 4, Some(0)).await, Err(EngineError::PastDeadline)));
    // An attempt left open and read after its deadline is submitted on the spot too.
    let b = e.start(who, round).await.unwrap();
    f.clock.advance(Duration::minutes(11));
    let view = e.attempt(who, b.id).await.unwrap();
    assert_eq!(view.status, "submitted");
    assert_eq!(e.sweep().await.unwrap(), 0);
}

async fn registration_rules(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let p = person(4, 1999);
    assert!(matches!(e.register("kiem-thu", &p, false, "10.0.0.1").await, Err(EngineError::ConsentRequired)));
    let first = e.register("kiem-thu", &p, true, "10.0.0.1").await.unwrap();
    assert!(first.created);
    // The same CCCD and date of birth recognise the person; another date is refused.
    let again = e.register("kiem-thu", &p, false, "10.0.0.1").await.unwrap();
    assert!(!again.created);
    assert_eq!(again.participant.id, first.participant.id);
    let mut wrong = p.clone();
    wrong.date_of_birth = Some("16/06/1999".into());
    assert!(matches!(e.register("kiem-thu", &wrong, true, "10.0.0.1").await, Err(EngineError::IdentityMismatch)));
    assert!(e.identify("kiem-thu", "001099000004", "15/06/1999", "10.0.0.1").await.is_ok());
    assert!(matches!(
        e.identify("kiem-thu", "001099000004", "15/06/1998", "10.0.0.1").await,
        Err(EngineError::IdentityMismatch)
    ));
    assert!(matches!(
        e.identify("kiem-thu", "001099999999", "15/06/1999", "10.0.0.1").await,
        Err(EngineError::IdentityMismatch)
    ));
    // Every bad field is reported at once, in Vietnamese.
    let mut bad = person(5, 1999);
    bad.cccd = Some("001088000005".into());
    bad.phone = Some("123".into());
    bad.full_name = None;
    match e.register("kiem-thu", &bad, true, "10.0.0.1").await {
        Err(EngineError::InvalidIdentity(fields)) => {
            let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(names, vec!["cccd", "phone", "full_name"], "{fields:?}");
            assert!(fields[0].message.contains("năm sinh"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(e.authenticate("1.1.99999999999.forged"), Err(EngineError::Unauthenticated)));
}

async fn eligibility_rules(db: TestDb) {
    let f = fixture(db, "min_age = 18\nexclusions = [\"0900000009\"]").await;
    let e = &f.engine;
    let round = f.round;
    let young = register(e, "kiem-thu", &person(8, 2010)).await;
    assert!(matches!(e.start(young, round).await, Err(EngineError::Ineligible(_))));
    let excluded = register(e, "kiem-thu", &person(9, 1980)).await;
    assert!(matches!(e.start(excluded, round).await, Err(EngineError::Ineligible(_))));
    let fine = register(e, "kiem-thu", &person(10, 1980)).await;
    assert!(e.start(fine, round).await.is_ok());

    // Registered lists: only people on a unit's list may start.
    let toml = contest_toml("danh-sach", "registered_only = true\nmin_registered_per_unit = 1")
        + "\n[[registered]]\nunit = \"SO-A\"\nkey = \"001080000011\"\n";
    e.import_contest(&toml, Some(("bank.csv", &bank_csv(10)))).await.unwrap();
    let round = round_id(e, "danh-sach", 1).await;
    let listed = register(e, "danh-sach", &person(11, 1980)).await;
    let unlisted = register(e, "danh-sach", &person(12, 1980)).await;
    e.start(listed, round).await.unwrap();
    assert!(matches!(e.start(unlisted, round).await, Err(EngineError::Ineligible(_))));
    let _ = &f.clock;
}

async fn revising_a_question_keeps_old_attempts(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let (who, a) = started(&f, &person(13, 1975)).await;
    let row = e.store().attempt(a.id).await.unwrap().unwrap();
    let qid = row.draw[0].question_id;
    let old = e.store().questions_by_id(&[qid]).await.unwrap().remove(0);
    let mut changed = old.question.clone();
    changed.stem = "Câu hỏi đã được sửa?".into();
    let new_id = e.store().revise_question(qid, &changed, t0()).await.unwrap();
    assert_ne!(new_id, qid);
    let new = e.store().questions_by_id(&[new_id]).await.unwrap().remove(0);
    assert_eq!((new.lineage, new.version), (qid, 2));
    assert_eq!(
        e.attempt(who, a.id).await.unwrap().questions[0].stem,
        old.question.stem,
        "the attempt keeps its version"
    );
    let bank = e.store().bank(new.contest_id).await.unwrap();
    assert!(bank.iter().any(|q| q.id == new_id) && !bank.iter().any(|q| q.id == qid));
}

async fn question_imports_report_every_bad_row(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let before = bank_size(e).await;
    let csv = "Chủ đề,Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Phương án E,Đáp án\n\
               T1,Câu tốt?,Một,Hai,Ba,,,A\n\
               T1,Năm phương án?,1,2,3,4,5,A\n\
               T1,Hai đáp án?,1,2,3,4,,\"A, C\"\n\
               T1,,1,2,3,4,,B\n\
               T1,Không đáp án?,1,2,3,4,,\n\
               T1,Câu hỏi số 0 của chủ đề 1?,Phương án A 1-0,Phương án B 1-0,Phương án C 1-0,,,A\n";
    let report = match e.import_questions("kiem-thu", "x.csv", csv.as_bytes(), false).await {
        Err(EngineError::Import(r)) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(report.problems.iter().map(|p| p.row).collect::<Vec<_>>(), vec![3, 4, 5, 6]);
    let text = report.to_string();
    for needle in [
        "Dòng 3 (“Năm phương án?”): Câu hỏi phải có 3 hoặc 4 phương án",
        "Dòng 4 (“Hai đáp án?”): Chỉ được có đúng một đáp án đúng",
        "Dòng 5: Thiếu nội dung câu hỏi",
        "Dòng 6 (“Không đáp án?”): Chưa chỉ ra đáp án đúng",
        "Dòng 7 (“Câu hỏi số 0 của chủ đề 1?”): đã có trong ngân hàng",
    ] {
        assert!(text.contains(needle), "{needle} not in:\n{text}");
    }
    assert_eq!(bank_size(e).await, before, "a file with errors imports nothing");
    let report = e.import_questions("kiem-thu", "x.csv", csv.as_bytes(), true).await.unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(bank_size(e).await, before + 1);

    // A real .xlsx, with the header on row 2 under a title row.
    let bytes = xlsx_bytes(&[
        &["Ngân hàng câu hỏi"],
        &["Chủ đề", "Câu hỏi", "A", "B", "C", "D", "Đáp án"],
        &["T2", "Ngày Chuyển đổi số quốc gia?", "10/10", "1/1", "2/9", "", "A"],
        &["T2", "Câu sai?", "x", "y", "z", "w", "E"],
    ]);
    match e.import_questions("kiem-thu", "bank.xlsx", &bytes, false).await {
        Err(EngineError::Import(r)) => {
            assert_eq!(r.rows, 2);
            assert_eq!(r.problems[0].row, 4, "rows numbered as Excel shows them");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.import_questions("kiem-thu", "bank.xlsx", &bytes, true).await.unwrap().imported, 1);
    // Not a spreadsheet at all.
    assert!(
        matches!(e.import_questions("kiem-thu", "bank.xlsx", b"PK\x03\x04 not really", false).await, Err(EngineError::Import(r)) if !r.file_errors.is_empty())
    );
}

async fn bank_size(e: &Engine) -> usize {
    let id = e.store().contest_by_slug("kiem-thu").await.unwrap().unwrap().contest.id;
    e.store().bank(id).await.unwrap().len()
}

async fn every_example_contest_imports_and_exports(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let loaded = cuocthi_engine::demo::load(e).await.unwrap();
    assert_eq!(loaded.len(), 6, "five seed contests and the practice one");
    assert!(cuocthi_engine::demo::load(e).await.unwrap().is_empty(), "loading twice changes nothing");
    for slug in &loaded {
        let c = e.contest(slug).await.unwrap();
        assert!(!c.rounds.is_empty());
        // Export, rename, import: the same contest again.
        let exported = e.export_contest(slug).await.unwrap();
        let copy = exported.replacen(&format!("slug = \"{slug}\""), &format!("slug = \"{slug}-ban-sao\""), 1);
        e.import_contest(&copy, None).await.unwrap();
        let again = e.contest(&format!("{slug}-ban-sao")).await.unwrap();
        assert_eq!(again.rounds.len(), c.rounds.len());
        assert_eq!(again.rounds[0].opens_at, c.rounds[0].opens_at);
        assert_eq!(again.rounds[0].prizes.len(), c.rounds[0].prizes.len());
    }
    let qn = e.contest("tim-hieu-chuyen-doi-so-quang-ninh-2024").await.unwrap();
    let prizes: Vec<(u32, i64)> = qn.rounds[0].prizes.iter().map(|p| (p.count, p.amount_vnd)).collect();
    assert_eq!(prizes, vec![(1, 3_000_000), (3, 2_000_000), (5, 1_000_000), (20, 500_000)], "seed 000 prize structure");
    let csv = e.export_questions_csv(&loaded[0]).await.unwrap();
    assert!(csv.lines().count() > 200, "the demo bank has at least 200 questions");
}

async fn collective_prizes_rank_units(db: TestDb) {
    let clock = std::sync::Arc::new(cuocthi_engine::ManualClock::new(t0()));
    let e = Engine::new(db.dyn_store().await, clock.clone()).await.unwrap();
    let toml = asking_unit(
        "tap-the",
        r#"
[[units]]
code = "SO-B"
name = "Sở B"
headcount = 4

[[units]]
code = "SO-B-1"
name = "Phòng thuộc Sở B"
parent = "SO-B"

[[collective_prizes]]
name = "Đơn vị có nhiều người tham gia nhất"
basis = "participants"
tiers = [{ name = "Giải Nhất", count = 1, amount_vnd = 5000000 }]

[[collective_prizes]]
name = "Đơn vị có tỷ lệ tham gia cao nhất"
basis = "participation_rate"
tiers = [{ name = "Giải Nhất", count = 1, amount_vnd = 5000000 }]
"#,
    );
    e.import_contest(&toml, Some(("bank.csv", &bank_csv(10)))).await.unwrap();
    let round = round_id(&e, "tap-the", 1).await;
    // Sở A (headcount 10): 3 people. Sở B (headcount 4): 1 in the Sở, 2 in its sub-unit.
    for (n, unit) in [(21, "SO-A"), (22, "SO-A"), (23, "SO-A"), (24, "SO-B"), (25, "SO-B-1"), (26, "SO-B-1")] {
        let mut p = person(n, 1980);
        p.unit = Some(unit.into());
        let who = register(&e, "tap-the", &p).await;
        let a = e.start(who, round).await.unwrap();
        e.submit(who, a.id, None).await.unwrap();
    }
    // Someone who registered but never submitted does not count.
    let mut idle = person(27, 1980);
    idle.unit = Some("SO-A".into());
    register(&e, "tap-the", &idle).await;
    let results = e.collective_results("tap-the").await.unwrap();
    let most = &results[0].units;
    assert_eq!((most[0].unit.as_str(), most[0].participants), ("SO-A", 3));
    assert_eq!((most[1].unit.as_str(), most[1].participants), ("SO-B", 3), "sub-units count for their parent");
    // Equal values share the place and the prize (the default `tie_break`), never decided by the code.
    assert_eq!((most[0].rank, most[1].rank), (1, 1));
    assert_eq!((most[0].prize.as_deref(), most[1].prize.as_deref()), (Some("Giải Nhất"), Some("Giải Nhất")));
    let rate = &results[1].units;
    assert_eq!((rate[0].unit.as_str(), rate[0].rate_per_mille), ("SO-B", Some(750)));
    assert_eq!(rate[0].prize.as_deref(), Some("Giải Nhất"));
    assert_eq!(rate[1].rate_per_mille, Some(300));
}

/// Found on two nodes: a start racing the person's last allowed start could be told "no attempts
/// left" while that attempt was open. Every one of them must get the open attempt.
async fn racing_starts_on_the_last_attempt_resume_it(db: TestDb) {
    let f = fixture(db, "").await;
    for n in 0..10 {
        let (who, first) = started(&f, &person(40 + n, 1977)).await;
        f.engine.submit(who, first.id, None).await.unwrap();
        assert_eq!(started_at_once(&f.engine, who, f.round, 40).await.len(), 1, "the last attempt is resumed");
    }
}

/// On SQLite the participant's writes have a writer of their own beside the console's pool: a
/// console transaction that reads before it writes (an audit append reads the chain's last hash)
/// must wait for that writer, never fail with "database is locked", while saves keep coming.
async fn console_writes_go_on_beside_the_participants_writes(db: TestDb) {
    let f = fixture(db, "").await;
    let mut savers = Vec::new();
    for n in 0..16 {
        let (who, a) = started(&f, &person(100 + n, 1990)).await;
        let e = f.engine.clone();
        savers.push(tokio::spawn(async move {
            for i in 0..60u8 {
                e.save_answer(who, a.id, usize::from(i % 6), Some(i % 3)).await.expect("save");
            }
            a.id
        }));
    }
    let store = f.engine.store().clone();
    let audits = tokio::spawn(async move {
        for i in 0..40 {
            let entry = cuocthi_store::NewAudit {
                at: t0(),
                account_id: None,
                actor: "kiểm thử".into(),
                action: "test.append".into(),
                contest_id: None,
                subject: format!("lần {i}"),
                detail: "{}".into(),
            };
            store.append_audit(&entry).await.expect("an audit append beside the saves");
        }
    });
    audits.await.expect("audits");
    for s in savers {
        let id = s.await.expect("saver");
        let row = f.engine.store().attempt(id).await.expect("read").expect("attempt");
        assert_eq!(row.answers.answered(), 6, "every acknowledged save is stored");
    }
    let chain = f.engine.store().audit_chain(0, 1000).await.expect("chain");
    assert_eq!(chain.iter().filter(|a| a.action == "test.append").count(), 40);
}
