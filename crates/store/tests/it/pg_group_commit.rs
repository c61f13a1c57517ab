//! The group commit of answer and prediction saves (SQLite's writer thread, PostgreSQL's
//! `pg_writer`): many saves at once each get the outcome the single statement would give them, an
//! acknowledged save is in the database and never lost to a submission racing it, and on
//! PostgreSQL a batch that fails acknowledges none of its saves.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cuocthi_domain::contest::ContestDef;
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_domain::identity::Identity;
use cuocthi_domain::question::Question;
use cuocthi_store::{
    AttemptRow, AttemptStatus, ConsoleStore, NewAttempt, NewAudit, NewVoid, Scorer, SqlStore, StartOutcome, Store,
    StoreError,
};
use cuocthi_testkit::{TestDb, on_both_backends};
use sqlx::Connection;
use tokio::sync::Barrier;

const QUESTIONS: usize = 10;

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A contest and round, and `n` people with an open attempt of `QUESTIONS` questions each; the
/// attempts in `late` have a deadline already passed.
async fn attempts(store: &SqlStore, n: usize, late: std::ops::Range<usize>) -> Vec<(i64, i64)> {
    let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
    let spec = ContestDef::from_toml(source).expect("reads").validate().expect("validates");
    let contest = store.insert_contest(&spec, now()).await.expect("contest");
    let round = store.contest_by_id(contest).await.expect("read").expect("the contest").rounds[0].id;
    let draw: Vec<DrawnQuestion> =
        (1..).take(QUESTIONS).map(|q| DrawnQuestion { question_id: q, order: vec![0, 1, 2, 3] }).collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let who = Identity { full_name: Some(format!("Người thi {i}")), ..Identity::default() };
        let person = store
            .insert_participant(contest, &format!("0010901{i:05}"), &who, true, None, now())
            .await
            .expect("a participant");
        let (started, deadline) = if late.contains(&i) {
            (now() - chrono::Duration::hours(2), now() - chrono::Duration::hours(1))
        } else {
            (now(), now() + chrono::Duration::hours(1))
        };
        let new = NewAttempt {
            round_id: round,
            participant_id: person.id,
            allowed: 1,
            seed: i as u64,
            draw: draw.clone(),
            started_at: started,
            deadline_at: deadline,
            client_tag: None,
            device_tag: None,
        };
        let StartOutcome::Started(row) = store.start_attempt(&new).await.expect("a start") else {
            panic!("a first attempt starts");
        };
        out.push((row.id, person.id));
    }
    out
}

fn scorer() -> Scorer {
    Arc::new(|row: &AttemptRow| {
        let correct = row.answers.encode().bytes().filter(|b| *b == b'1').count();
        (u32::try_from(correct).expect("a few answers"), 1000)
    })
}

/// The choice a task saves at a position: distinct enough to tell saves apart.
fn choice(position: usize) -> u8 {
    u8::try_from(position % 4).expect("below 4")
}

/// The prediction a task saves for attempt `i`.
fn prediction(i: usize) -> i64 {
    1000 + i64::try_from(i).expect("a few attempts")
}

fn slot(position: usize) -> char {
    char::from(b'0' + choice(position))
}

/// 500 answer saves over 50 attempts (10 each, one per position) and 50 prediction saves, all at
/// once through two stores (two app nodes) on one database: each answered as the single
/// statement would (saved; or refused: submitted, past the deadline, another person's, a position
/// beyond the answers, no such attempt), and the database holds exactly the acknowledged ones.
async fn concurrent_saves_each_get_their_own_outcome(db: TestDb) {
    const N: usize = 50;
    let store = db.store().await;
    let other_node = db.store().await;
    let attempts = attempts(&store, N, 40..45).await;
    // 35..40 submitted before any save, 40..45 late, 45..50 saved by the wrong person.
    for &(id, _) in &attempts[35..40] {
        store.submit_attempt(id, now(), false, scorer()).await.expect("submit").expect("it was open");
    }
    let expected = |i: usize, position: usize| i < 35 && position < QUESTIONS;
    let barrier = Arc::new(Barrier::new(N * QUESTIONS + N + 2 * N));
    let mut tasks = Vec::new();
    for k in 0..N * QUESTIONS + N + 2 * N {
        let s = if k % 2 == 0 { store.clone() } else { other_node.clone() };
        let barrier = barrier.clone();
        let i = k % N;
        let (attempt, person) = attempts[i];
        let person = if (45..50).contains(&i) { attempts[(i + 1) % N].1 } else { person };
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            if k < N * QUESTIONS {
                let position = k / N;
                let outcome = s.save_answer(attempt, person, position, slot(position), now()).await;
                (k, outcome, expected(i, position))
            } else if k < N * QUESTIONS + N {
                let outcome = s.save_prediction(attempt, person, prediction(i), now()).await;
                (k, outcome, expected(i, 0))
            } else if k < N * QUESTIONS + N + N {
                // A position beyond the attempt's answers.
                let outcome = s.save_answer(attempt, person, QUESTIONS + i % 3, '1', now()).await;
                (k, outcome, false)
            } else {
                // No such attempt.
                let outcome = s.save_answer(attempt + 1_000_000, person, 0, '1', now()).await;
                (k, outcome, false)
            }
        }));
    }
    for t in tasks {
        let (k, outcome, expected) = t.await.expect("the task");
        let saved = outcome.unwrap_or_else(|e| panic!("save {k} failed: {e:?}"));
        assert_eq!(saved, expected, "save {k}");
    }
    let all: String = (0..QUESTIONS).map(slot).collect();
    for (i, &(id, _)) in attempts.iter().enumerate() {
        let row = store.attempt(id).await.expect("read").expect("the attempt");
        if i < 35 {
            assert_eq!(row.answers.encode(), all, "attempt {i}: every acknowledged answer is stored");
            assert_eq!(row.prediction, Some(prediction(i)), "attempt {i}");
        } else {
            assert_eq!(row.answers.encode(), "-".repeat(QUESTIONS), "attempt {i}: nothing refused is stored");
            assert_eq!(row.prediction, None, "attempt {i}");
        }
    }
}

/// Each of 40 attempts gets its 10 answers saved while it is being submitted: every save is
/// answered (none fails), and the submission's final answers hold exactly the acknowledged ones —
/// a submission after an acknowledged save sees it.
async fn a_save_racing_a_submission_is_never_lost(db: TestDb) {
    const N: usize = 40;
    let store = db.store().await;
    let attempts = attempts(&store, N, 0..0).await;
    let barrier = Arc::new(Barrier::new(N * (QUESTIONS + 1)));
    let mut saves = Vec::new();
    let mut submits = Vec::new();
    for (i, &(attempt, person)) in attempts.iter().enumerate() {
        for position in 0..QUESTIONS {
            let (s, barrier) = (store.clone(), barrier.clone());
            saves.push(tokio::spawn(async move {
                barrier.wait().await;
                // Spread the saves over the submission's time.
                tokio::time::sleep(Duration::from_micros((position * 300) as u64)).await;
                (i, position, s.save_answer(attempt, person, position, slot(position), now()).await)
            }));
        }
        let (s, barrier) = (store.clone(), barrier.clone());
        submits.push(tokio::spawn(async move {
            barrier.wait().await;
            tokio::time::sleep(Duration::from_micros((i % QUESTIONS * 300) as u64)).await;
            s.submit_attempt(attempt, now(), false, scorer()).await
        }));
    }
    let mut finals = Vec::new();
    for t in submits {
        let row = t.await.expect("the task").expect("submit").expect("it was open");
        finals.push(row.answers.encode().into_bytes());
    }
    let (mut acknowledged, mut refused) = (0, 0);
    for t in saves {
        let (i, position, outcome) = t.await.expect("the task");
        let saved = outcome.unwrap_or_else(|e| panic!("attempt {i}, position {position}: {e:?}"));
        let stored = finals[i][position];
        if saved {
            acknowledged += 1;
            assert_eq!(char::from(stored), slot(position), "attempt {i}: acknowledged answer {position} lost");
        } else {
            refused += 1;
            assert_eq!(stored, b'-', "attempt {i}: refused answer {position} stored");
        }
    }
    for (i, &(id, _)) in attempts.iter().enumerate() {
        let row = store.attempt(id).await.expect("read").expect("the attempt");
        assert_eq!(row.answers.encode().into_bytes(), finals[i], "attempt {i}: the submitted answers are stored");
    }
    eprintln!("{acknowledged} saves acknowledged before their submission, {refused} refused after it");
}

/// A submission answers the attempt as it is then stored — closed at the submission's time (to
/// the millisecond), by the person or by the server, with its score — and the scorer is given it
/// closed, with the answers saved before; submitted again, it finds nothing open; read with its
/// person's count of attempts, it is the same row. (PostgreSQL
/// locks the open row, then closes and scores it in one statement: the answer is built, not read
/// back.)
async fn a_submission_answers_the_row_as_stored(db: TestDb) {
    let store = db.store().await;
    let attempts = attempts(&store, 2, 1..2).await;
    for (i, &(id, person)) in attempts.iter().enumerate() {
        let auto = i == 1;
        if !auto {
            assert!(store.save_answer(id, person, 3, '1', now()).await.expect("a save"));
        }
        let seen = Arc::new(std::sync::Mutex::new(None));
        let watching: Scorer = {
            let seen = seen.clone();
            Arc::new(move |row: &AttemptRow| {
                *seen.lock().expect("not poisoned") = Some((row.status, row.submitted_at, row.auto_submitted));
                scorer()(row)
            })
        };
        let at = now() - chrono::Duration::microseconds(1_234_567);
        let closed = store.submit_attempt(id, at, auto, watching).await.expect("submit").expect("it was open");
        let stored = store.attempt(id).await.expect("read").expect("the attempt");
        let json = |row: &AttemptRow| serde_json::to_value(row).expect("an attempt as JSON");
        assert_eq!(json(&closed), json(&stored), "attempt {i}: answered as stored");
        assert_eq!(stored.status, AttemptStatus::Submitted);
        assert_eq!(stored.submitted_at.map(|t| t.timestamp_millis()), Some(at.timestamp_millis()));
        assert_eq!(stored.auto_submitted, auto);
        assert_eq!(stored.correct, Some(u32::from(!auto)), "attempt {i}: the answer saved before is scored");
        assert_eq!(stored.time_taken_ms, Some(1000));
        let scored = *seen.lock().expect("not poisoned");
        assert_eq!(scored, Some((AttemptStatus::Submitted, stored.submitted_at, auto)), "the scorer saw it closed");
        assert!(store.submit_attempt(id, now(), false, scorer()).await.expect("submit").is_none());
        let read = store.attempt_in_context(id).await.expect("read").expect("the attempt");
        assert_eq!(
            (json(&read.row), read.used, read.voids),
            (json(&stored), 1, Vec::new()),
            "attempt {i}: read with its person's count of attempts and no voids"
        );
    }
    assert!(store.attempt_in_context(4242).await.expect("read").is_none());
}

/// An attempt read for its submission or its result comes with the voids of its contest, both
/// modes, and none of another contest's.
async fn an_attempt_is_read_with_its_contests_voids(db: TestDb) {
    let store = db.store().await;
    let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
    let mut contests = Vec::new();
    for slug in ["cuoc-thi-mot", "cuoc-thi-hai"] {
        let toml = source.replace("tim-hieu-chuyen-doi-so-quang-ninh-2024", slug);
        let spec = ContestDef::from_toml(&toml).expect("reads").validate().expect("validates");
        let contest = store.insert_contest(&spec, now()).await.expect("contest");
        let question = |n: usize| Question {
            topic: "Chuyển đổi số".into(),
            stem: format!("Câu hỏi {n} của {slug}?"),
            options: vec!["A".into(), "B".into()],
            correct: 0,
            explanation: None,
        };
        let ids = store.insert_questions(contest, &(0..3).map(question).collect::<Vec<_>>(), now()).await.expect("qs");
        contests.push((contest, ids));
    }
    let store = &store;
    let void = |contest: i64, question: i64, mode: &'static str| async move {
        let v = NewVoid {
            contest_id: contest,
            question_id: question,
            mode,
            reason: "Hai đáp án đúng.",
            report_id: None,
            created_by: "thu-ky",
            created_at: now().timestamp_millis(),
        };
        let entry = NewAudit {
            at: now(),
            account_id: None,
            actor: "thu-ky".into(),
            action: "question.void".into(),
            contest_id: Some(contest),
            subject: format!("question:{question}"),
            detail: "{}".into(),
        };
        store.void_question(&v, &entry, &[]).await.expect("a void");
    };
    let (first, ref asked) = contests[0];
    void(first, asked[0], "award").await;
    void(first, asked[2], "drop").await;
    void(contests[1].0, contests[1].1[1], "drop").await;

    let round = store.contest_by_id(first).await.expect("read").expect("the contest").rounds[0].id;
    let person = store.insert_participant(first, "001090100001", &Identity::default(), true, None, now()).await;
    let new = NewAttempt {
        round_id: round,
        participant_id: person.expect("a participant").id,
        allowed: 1,
        seed: 7,
        draw: asked.iter().map(|&q| DrawnQuestion { question_id: q, order: vec![0, 1] }).collect(),
        started_at: now(),
        deadline_at: now() + chrono::Duration::hours(1),
        client_tag: None,
        device_tag: None,
    };
    let StartOutcome::Started(row) = store.start_attempt(&new).await.expect("a start") else {
        panic!("a first attempt starts");
    };
    let read = store.attempt_in_context(row.id).await.expect("read").expect("the attempt");
    let mut voids = read.voids;
    voids.sort_unstable();
    assert_eq!(voids, vec![(asked[0], "award".to_string()), (asked[2], "drop".to_string())]);
    assert_eq!(read.used, 1);
}

on_both_backends!(
    an_attempt_is_read_with_its_contests_voids,
    concurrent_saves_each_get_their_own_outcome,
    a_save_racing_a_submission_is_never_lost,
    a_submission_answers_the_row_as_stored
);

/// The PostgreSQL backend of the batch statement this test waits for: blocked on a row lock.
async fn blocked_batch(admin: &mut sqlx::PgConnection, not: &[i32]) -> i32 {
    for _ in 0..500 {
        let pid: Option<(i32,)> = sqlx::query_as(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND wait_event_type = 'Lock' AND query LIKE 'UPDATE attempts AS a%' AND NOT (pid = ANY($1))",
        )
        .bind(not)
        .fetch_optional(&mut *admin)
        .await
        .expect("pg_stat_activity");
        if let Some((pid,)) = pid {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no batch statement waited on the lock");
}

/// A batch whose connection drops (its backend terminated while it waits for a row lock) answers
/// every save in it as failed, none acknowledged and none stored; the next save is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_acknowledges_none_of_its_saves() {
    let db = TestDb::postgres().await;
    let store = db.store().await;
    let attempts = attempts(&store, 6, 0..0).await;
    let (plug, plug_person) = attempts[0];
    let mut holder = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query("BEGIN").execute(&mut holder).await.expect("begin");
    sqlx::query("SELECT id FROM attempts WHERE id = $1 FOR UPDATE")
        .bind(plug)
        .execute(&mut holder)
        .await
        .expect("lock");

    // A first batch of one save waits on the locked row...
    let s = store.clone();
    let first = tokio::spawn(async move { s.save_answer(plug, plug_person, 0, '1', now()).await });
    let first_pid = blocked_batch(&mut admin, &[]).await;
    // ... while 26 saves queue for the next one: on the locked attempt too, and several per attempt.
    let mut queued = Vec::new();
    for &(attempt, person) in &attempts {
        for position in 1..5 {
            let s = store.clone();
            queued.push(tokio::spawn(async move { s.save_answer(attempt, person, position, '2', now()).await }));
        }
    }
    let (a, p) = attempts[1];
    let s = store.clone();
    queued.push(tokio::spawn(async move { s.save_prediction(a, p, 77, now()).await }));
    let s = store.clone();
    queued.push(tokio::spawn(async move { s.save_answer(a, p, 9, '3', now()).await }));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let kill = |pid: i32| sqlx::query("SELECT pg_terminate_backend($1)").bind(pid);
    kill(first_pid).execute(&mut admin).await.expect("terminate");
    let e = first.await.expect("the task").expect_err("its batch failed");
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    // The second batch (all 26) now waits on the row: its connection drops too.
    let second_pid = blocked_batch(&mut admin, &[first_pid]).await;
    kill(second_pid).execute(&mut admin).await.expect("terminate");
    for (k, t) in queued.into_iter().enumerate() {
        let e = t.await.expect("the task").expect_err("its batch failed");
        assert!(matches!(e, StoreError::Unavailable(_)), "save {k}: {e:?}");
    }
    sqlx::query("ROLLBACK").execute(&mut holder).await.expect("rollback");
    for &(id, _) in &attempts {
        let row = store.attempt(id).await.expect("read").expect("the attempt");
        assert_eq!(row.answers.encode(), "-".repeat(QUESTIONS), "nothing of a failed batch is stored");
        assert_eq!(row.prediction, None);
    }
    // The group commit carries on with new connections.
    assert!(store.save_answer(plug, plug_person, 0, '1', now()).await.expect("a save"));
    assert_eq!(store.attempt(plug).await.expect("read").expect("the attempt").answers.get(0), Some(1));
}

/// Connections of the database other than `admin`'s own.
async fn others(admin: &mut sqlx::PgConnection) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut *admin)
    .await
    .expect("pg_stat_activity");
    n
}

/// The connections kept out of the pool (the reads', the group commit's) are not a trap: after
/// PostgreSQL dropped every one of them (a restart, a failover), reads and saves a second later
/// are answered on new ones; and closing the store leaves no connection behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_replaced_and_close_leaves_none() {
    let db = TestDb::postgres().await;
    let store = db.store().await;
    let attempts = attempts(&store, 3, 0..0).await;
    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    for &(id, person) in &attempts {
        assert!(store.save_answer(id, person, 0, '1', now()).await.expect("a save"));
        assert!(store.attempt(id).await.expect("read").is_some());
    }
    assert!(others(&mut admin).await > 0);
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .await
    .expect("terminate");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for &(id, person) in &attempts {
        let row = store.attempt(id).await.expect("a read after the drop").expect("the attempt");
        assert_eq!(row.answers.get(0), Some(1));
        assert!(store.save_answer(id, person, 1, '2', now()).await.expect("a save after the drop"));
        assert_eq!(store.attempt(id).await.expect("read").expect("the attempt").answers.get(1), Some(2));
    }
    store.close().await;
    // Closing returns at once; the backends end a moment later.
    let mut left = others(&mut admin).await;
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = others(&mut admin).await;
    }
    assert_eq!(left, 0, "connections left open after close");
}
