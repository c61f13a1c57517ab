//! The group commit of every write of the participant's path (registrations, starts, saves,
//! submissions): writes queued together are committed in one transaction and answered in the
//! order they came; one write that fails for itself fails alone; every "only once" rule holds with
//! 200 requests at once. On PostgreSQL (`pg_writer`), and the rules on SQLite's writer thread too.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cuocthi_domain::contest::ContestDef;
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_domain::identity::Identity;
use cuocthi_store::{AttemptRow, AttemptStatus, NewAttempt, Scorer, SqlStore, StartOutcome, Store, StoreError};
use cuocthi_testkit::{TestDb, on_both_backends};
use sqlx::Connection;
use tokio::sync::Barrier;

const QUESTIONS: usize = 5;

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn chain(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

/// A contest and the id of its first round.
async fn contest(store: &SqlStore) -> (i64, i64) {
    let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
    let spec = ContestDef::from_toml(source).expect("reads").validate().expect("validates");
    let contest = store.insert_contest(&spec, now()).await.expect("contest");
    let round = store.contest_by_id(contest).await.expect("read").expect("the contest").rounds[0].id;
    (contest, round)
}

fn who(i: usize) -> Identity {
    Identity { full_name: Some(format!("Người thi {i}")), ..Identity::default() }
}

fn key(i: usize) -> String {
    format!("0010902{i:05}")
}

fn new_attempt(round: i64, participant: i64, allowed: u32) -> NewAttempt {
    NewAttempt {
        round_id: round,
        participant_id: participant,
        allowed,
        seed: 7,
        draw: (1..).take(QUESTIONS).map(|q| DrawnQuestion { question_id: q, order: vec![0, 1, 2, 3] }).collect(),
        started_at: now(),
        deadline_at: now() + chrono::Duration::hours(1),
        client_tag: None,
        device_tag: None,
    }
}

fn scorer() -> Scorer {
    Arc::new(|row: &AttemptRow| {
        let correct = row.answers.encode().bytes().filter(|b| *b == b'1').count();
        (u32::try_from(correct).expect("a few answers"), 1000)
    })
}

/// A person registered, with an open attempt (allowed: one): (participant id, attempt id).
async fn person_with_attempt(store: &SqlStore, contest: i64, round: i64, i: usize) -> (i64, i64) {
    let p = store.insert_participant(contest, &key(i), &who(i), true, None, now()).await.expect("registered");
    let StartOutcome::Started(a) = store.start_attempt(&new_attempt(round, p.id, 1)).await.expect("a start") else {
        panic!("a first attempt starts");
    };
    (p.id, a.id)
}

/// The backend of the batch statement that waits on the row lock the test holds.
async fn blocked_batch(admin: &mut sqlx::PgConnection) {
    for _ in 0..500 {
        let waiting: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND wait_event_type = 'Lock' AND query LIKE 'UPDATE attempts AS a%'",
        )
        .fetch_one(&mut *admin)
        .await
        .expect("pg_stat_activity");
        if waiting.0 > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no batch statement waited on the lock");
}

/// A connection of its own holding attempt `id`'s row locked in an open transaction, until it
/// commits or is dropped.
async fn lock_attempt(db: &TestDb, id: i64) -> sqlx::PgConnection {
    let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query("BEGIN").execute(&mut c).await.expect("begin");
    sqlx::query("SELECT id FROM attempts WHERE id = $1 FOR UPDATE").bind(id).execute(&mut c).await.expect("lock");
    c
}

/// Holds attempt `plug`'s row so that a first batch (one save of it) waits, while the writes the
/// test then queues gather into the next batch; releases it with the returned connection.
async fn plug_the_writer(
    db: &TestDb,
    store: &Arc<SqlStore>,
    plug: (i64, i64),
) -> (sqlx::PgConnection, tokio::task::JoinHandle<()>) {
    let holder = lock_attempt(db, plug.1).await;
    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let s = store.clone();
    let first = tokio::spawn(async move {
        assert!(s.save_answer(plug.1, plug.0, 0, '1', now()).await.expect("the plug's save"));
    });
    blocked_batch(&mut admin).await;
    (holder, first)
}

/// Spawns `f` and waits a little, so that the writes queue in the order the test spawns them.
async fn queued<T: Send + 'static>(
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> tokio::task::JoinHandle<T> {
    let t = tokio::spawn(f);
    tokio::time::sleep(Duration::from_millis(30)).await;
    t
}

/// The transaction that wrote a row (PostgreSQL's `xmin`).
async fn writer_of(db: &TestDb, table: &str, id: i64) -> String {
    let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let sql = format!("SELECT xmin::text FROM {table} WHERE id = $1");
    let (xmin,): (String,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut c).await.expect("xmin");
    xmin
}

/// A registration, two starts of one person, a save and the submission of its attempt, queued
/// together: one transaction writes them all (the rows share their `xmin`), each is answered as it
/// would be alone and in the order they came — the second start resumes the first's attempt, the
/// submission scores the save queued before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_of_every_kind_queued_together_commit_in_one_transaction_in_order() {
    let db = TestDb::postgres().await;
    let store = db.store().await;
    let (contest, round) = contest(&store).await;
    let plug = person_with_attempt(&store, contest, round, 0).await;
    let (p1, a1) = person_with_attempt(&store, contest, round, 1).await;
    let p2 = store.insert_participant(contest, &key(2), &who(2), true, None, now()).await.expect("registered").id;

    let (mut holder, first) = plug_the_writer(&db, &store, plug).await;
    let s = store.clone();
    let register =
        queued(async move { s.insert_participant(contest, &key(3), &who(3), true, None, now()).await }).await;
    let s = store.clone();
    let start = queued(async move { s.start_attempt(&new_attempt(round, p2, 1)).await }).await;
    let s = store.clone();
    let again = queued(async move { s.start_attempt(&new_attempt(round, p2, 1)).await }).await;
    let s = store.clone();
    let save = queued(async move { s.save_answer(a1, p1, 2, '1', now()).await }).await;
    let s = store.clone();
    let submit = queued(async move { s.submit_attempt(a1, now(), false, scorer()).await }).await;
    sqlx::query("ROLLBACK").execute(&mut holder).await.expect("release");
    first.await.expect("the plug's task");

    let registered = register.await.expect("task").expect("registered");
    let StartOutcome::Started(started) = start.await.expect("task").expect("a start") else {
        panic!("the first start starts");
    };
    let StartOutcome::Resumed(resumed) = again.await.expect("task").expect("a start") else {
        panic!("the second start, queued after the first, resumes its attempt");
    };
    assert_eq!(resumed.id, started.id);
    assert!(save.await.expect("task").expect("a save"), "the save is acknowledged");
    let submitted = submit.await.expect("task").expect("a submission").expect("it was open");
    assert_eq!(submitted.answers.encode(), "--1--", "the submission holds the save queued before it");
    assert_eq!(submitted.correct, Some(1));

    let batch = writer_of(&db, "participants", registered.id).await;
    assert_eq!(writer_of(&db, "attempts", started.id).await, batch, "the start is in the registration's transaction");
    assert_eq!(writer_of(&db, "attempts", a1).await, batch, "and the save and the submission");
    let stored = store.attempt(a1).await.expect("read").expect("the attempt");
    assert_eq!(stored.correct, Some(1));
    assert_eq!(store.attempts_of(p2).await.expect("read").len(), 1, "one attempt for two starts");
}

/// A registration of a key already taken, queued in one batch with good writes of every kind:
/// it alone fails (`Conflict`, the driver's words as its cause); the others are answered and
/// stored as if it had not been there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_write_in_a_batch_fails_alone() {
    let db = TestDb::postgres().await;
    let store = db.store().await;
    let (contest, round) = contest(&store).await;
    let plug = person_with_attempt(&store, contest, round, 0).await;
    let (p1, a1) = person_with_attempt(&store, contest, round, 1).await;
    let p2 = store.insert_participant(contest, &key(2), &who(2), true, None, now()).await.expect("registered").id;

    let (mut holder, first) = plug_the_writer(&db, &store, plug).await;
    let s = store.clone();
    let good = queued(async move { s.insert_participant(contest, &key(3), &who(3), true, None, now()).await }).await;
    let s = store.clone();
    let save = queued(async move { s.save_answer(a1, p1, 0, '1', now()).await }).await;
    let s = store.clone();
    let bad = queued(async move { s.insert_participant(contest, &key(1), &who(1), true, None, now()).await }).await;
    let s = store.clone();
    let start = queued(async move { s.start_attempt(&new_attempt(round, p2, 1)).await }).await;
    let s = store.clone();
    let submit = queued(async move { s.submit_attempt(a1, now(), false, scorer()).await }).await;
    sqlx::query("ROLLBACK").execute(&mut holder).await.expect("release");
    first.await.expect("the plug's task");

    let e = bad.await.expect("task").expect_err("the key is taken");
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert!(chain(&e).contains("duplicate key"), "the driver's words are its cause: {}", chain(&e));
    let registered = good.await.expect("task").expect("the other registration");
    assert!(save.await.expect("task").expect("a save"));
    let StartOutcome::Started(started) = start.await.expect("task").expect("a start") else {
        panic!("the start starts");
    };
    let submitted = submit.await.expect("task").expect("a submission").expect("it was open");
    assert_eq!(submitted.answers.encode(), "1----");

    assert_eq!(store.participant(registered.id).await.expect("read").expect("stored").person_key, key(3));
    assert_eq!(store.attempt(started.id).await.expect("read").expect("stored").participant_id, p2);
    assert_eq!(store.attempt(a1).await.expect("read").expect("stored").correct, Some(1));
    assert_eq!(store.participants_of(contest).await.expect("read").len(), 4, "no second row for the taken key");
}

/// A batch whose connection drops while it waits for a row lock — after its registration and
/// start were written in its transaction — acknowledges none of them: each is answered
/// `Unavailable` and nothing of it is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_acknowledges_none_of_its_writes() {
    let db = TestDb::postgres().await;
    let store = db.store().await;
    let (contest, round) = contest(&store).await;
    let plug = person_with_attempt(&store, contest, round, 0).await;
    let held = person_with_attempt(&store, contest, round, 1).await;
    let p2 = store.insert_participant(contest, &key(2), &who(2), true, None, now()).await.expect("registered").id;
    // `held`'s row stays locked throughout; the plug's only until the writes below are queued.
    let mut keeper = lock_attempt(&db, held.1).await;
    let (mut holder, first) = plug_the_writer(&db, &store, plug).await;
    let s = store.clone();
    let register =
        queued(async move { s.insert_participant(contest, &key(3), &who(3), true, None, now()).await }).await;
    let s = store.clone();
    let start = queued(async move { s.start_attempt(&new_attempt(round, p2, 1)).await }).await;
    let s = store.clone();
    let submit = queued(async move { s.submit_attempt(held.1, now(), false, scorer()).await }).await;

    // The next batch, holding the three writes, writes the registration and the start, then waits
    // on `held`'s row for the submission: its connection is cut there.
    sqlx::query("ROLLBACK").execute(&mut holder).await.expect("release");
    first.await.expect("the plug's task");
    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let mut waiting = None;
    for _ in 0..500 {
        waiting = sqlx::query_as::<_, (i32,)>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND query LIKE 'SELECT % FROM attempts WHERE id = $1 AND status = $2 FOR UPDATE'",
        )
        .fetch_optional(&mut admin)
        .await
        .expect("pg_stat_activity");
        if waiting.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (pid,) = waiting.expect("the batch waits on the held row");
    sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&mut admin).await.expect("terminate");
    for e in [
        register.await.expect("task").map(|_| ()).expect_err("its batch failed"),
        start.await.expect("task").map(|_| ()).expect_err("its batch failed"),
        submit.await.expect("task").map(|_| ()).expect_err("its batch failed"),
    ] {
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
    }
    sqlx::query("ROLLBACK").execute(&mut keeper).await.expect("release");
    assert!(
        store.participant_by_key(contest, &key(3)).await.expect("read").is_none(),
        "the registration is not stored"
    );
    assert!(store.attempts_of(p2).await.expect("read").is_empty(), "nor the start");
    assert_eq!(store.attempt(held.1).await.expect("read").expect("held").status, AttemptStatus::Open);
}

/// 200 registrations at once, each of 100 keys twice: one of each pair is registered, the other
/// is answered `Conflict`; then 200 starts at once, 10 for each of 20 people allowed one attempt:
/// each person gets one attempt, and every start of a person is given that same attempt; then
/// 200 submissions at once, 10 of each attempt: one closes it, the others find it closed.
async fn two_hundred_at_once_keep_every_only_once_rule(db: TestDb) {
    let store = db.store().await;
    let (contest, round) = contest(&store).await;
    let barrier = Arc::new(Barrier::new(200));
    let registrations: Vec<_> = (0..200)
        .map(|k| {
            let (s, barrier) = (store.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                (k % 100, s.insert_participant(contest, &key(k % 100), &who(k % 100), true, None, now()).await)
            })
        })
        .collect();
    let mut winners = vec![0; 100];
    for r in registrations {
        match r.await.expect("task") {
            (i, Ok(p)) => {
                assert_eq!(p.person_key, key(i));
                winners[i] += 1;
            }
            (_, Err(StoreError::Conflict(_))) => {}
            (i, Err(e)) => panic!("registration of key {i}: {e:?}"),
        }
    }
    assert!(winners.iter().all(|&n| n == 1), "one registration of each key: {winners:?}");
    assert_eq!(store.participants_of(contest).await.expect("read").len(), 100);

    let people: Vec<i64> = store.participants_of(contest).await.expect("read").iter().take(20).map(|p| p.id).collect();
    let barrier = Arc::new(Barrier::new(200));
    let starts: Vec<_> = (0..200)
        .map(|k| {
            let (s, barrier, person) = (store.clone(), barrier.clone(), people[k % 20]);
            tokio::spawn(async move {
                barrier.wait().await;
                (person, s.start_attempt(&new_attempt(round, person, 1)).await)
            })
        })
        .collect();
    let mut given: std::collections::HashMap<i64, std::collections::HashSet<i64>> = Default::default();
    for s in starts {
        let (person, outcome) = s.await.expect("task");
        match outcome.unwrap_or_else(|e| panic!("a start of {person}: {e:?}")) {
            StartOutcome::Started(a) | StartOutcome::Resumed(a) => {
                given.entry(person).or_default().insert(a.id);
            }
            StartOutcome::LimitReached { used } => {
                panic!("{person} refused with {used} used while the attempt is open")
            }
        }
    }
    for person in &people {
        assert_eq!(given[person].len(), 1, "every start of {person} is given the same attempt");
        assert_eq!(store.attempts_of(*person).await.expect("read").len(), 1);
    }

    // 200 submissions at once, 10 of each of the 20 attempts: each closed and scored once.
    let attempts: Vec<i64> = people.iter().flat_map(|p| given[p].iter().copied()).collect();
    let barrier = Arc::new(Barrier::new(200));
    let submits: Vec<_> = (0..200)
        .map(|k| {
            let (s, barrier, attempt) = (store.clone(), barrier.clone(), attempts[k % 20]);
            tokio::spawn(async move {
                barrier.wait().await;
                (attempt, s.submit_attempt(attempt, now(), false, scorer()).await)
            })
        })
        .collect();
    let mut closed: std::collections::HashMap<i64, usize> = Default::default();
    for s in submits {
        let (attempt, outcome) = s.await.expect("task");
        if outcome.unwrap_or_else(|e| panic!("a submission of {attempt}: {e:?}")).is_some() {
            *closed.entry(attempt).or_default() += 1;
        }
    }
    assert_eq!(closed.len(), 20, "every attempt closed");
    assert!(closed.values().all(|&n| n == 1), "each by one submission only: {closed:?}");
}

on_both_backends!(two_hundred_at_once_keep_every_only_once_rule);
