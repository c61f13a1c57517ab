//! The errors the engine acts on, from both backends and both SQLite drivers (sqlx, and rusqlite
//! on the participant's path): `NotFound`, `Conflict` (the driver's message kept as the cause,
//! never in the text shown) and `Unavailable` (a busy or locked database, a closed pool, a server
//! that does not answer).

use std::error::Error;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cuocthi_domain::contest::ContestDef;
use cuocthi_domain::identity::Identity;
use cuocthi_store::{ConsoleStore, SqlStore, Store, StoreError};
use cuocthi_testkit::{TestDb, on_both_backends};
use sqlx::Connection;

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The error and every cause under it, as one line.
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

async fn contest(store: &SqlStore) -> i64 {
    let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
    let spec = ContestDef::from_toml(source).expect("reads").validate().expect("validates");
    store.insert_contest(&spec, now()).await.expect("contest")
}

fn person() -> Identity {
    Identity { full_name: Some("Nguyễn Văn An".into()), ..Identity::default() }
}

/// What the driver says of a broken unique rule, on each backend.
fn unique_words(db: &TestDb) -> &'static str {
    if db.is_postgres() { "duplicate key" } else { "UNIQUE constraint failed" }
}

async fn missing_rows_are_not_found(db: TestDb) {
    let store = db.store().await;
    let e = store.set_account_profile(4242, "Không ai", "staff", false).await.expect_err("no such account");
    assert!(matches!(e, StoreError::NotFound), "{e:?}");
    let q = cuocthi_domain::question::Question {
        topic: "T".into(),
        stem: "Câu hỏi?".into(),
        options: vec!["A".into(), "B".into()],
        correct: 0,
        explanation: None,
    };
    let e = store.revise_question(4242, &q, now()).await.expect_err("no such question");
    assert!(matches!(e, StoreError::NotFound), "{e:?}");
    assert!(store.participant(4242).await.expect("a read").is_none());
    assert!(store.attempt(4242).await.expect("a read").is_none());
}

/// A registration twice: on SQLite through rusqlite (the participant's path), on PostgreSQL
/// through sqlx; an account twice: through sqlx on both.
async fn a_broken_unique_rule_is_a_conflict_with_its_cause(db: TestDb) {
    let store = db.store().await;
    let contest = contest(&store).await;
    let key = "001090123456";
    store.insert_participant(contest, key, &person(), true, None, now()).await.expect("first registration");
    let e = store.insert_participant(contest, key, &person(), true, None, now()).await.expect_err("a second one");
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert!(!e.to_string().contains(unique_words(&db)), "the driver's words stay out of the text: {e}");
    assert!(chain(&e).contains(unique_words(&db)), "and are kept as its cause: {}", chain(&e));

    store.insert_account("btc", "hash", "staff", now()).await.expect("first account");
    let e = store.insert_account("btc", "hash", "staff", now()).await.expect_err("a second one");
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert!(chain(&e).contains(unique_words(&db)), "{}", chain(&e));
}

async fn a_closed_pool_is_unavailable(db: TestDb) {
    let store = db.store().await;
    store.close().await;
    let e = store.accounts().await.expect_err("closed");
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
}

async fn a_database_that_cannot_be_opened_is_unavailable(db: TestDb) {
    let url = if db.is_postgres() { "postgres://postgres@127.0.0.1:1/none" } else { "sqlite:///proc/cuocthi/none.db" };
    let e = SqlStore::connect(url).await.expect_err("nothing there");
    assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
}

/// Another writer holds the database: SQLite's "busy" after its busy timeout (10 s) on both
/// drivers, PostgreSQL's lock time-out. Both are `Unavailable` (a 503, try again), not a 500.
async fn a_busy_database_is_unavailable(db: TestDb) {
    if db.is_postgres() {
        let mut holder = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        let name = db.url.rsplit('/').next().expect("a database name").to_string();
        sqlx::query(sqlx::AssertSqlSafe(format!("ALTER DATABASE {name} SET lock_timeout = '300ms'")))
            .execute(&mut holder)
            .await
            .expect("lock_timeout");
        let store = db.store().await;
        sqlx::query("BEGIN").execute(&mut holder).await.expect("begin");
        sqlx::query("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE").execute(&mut holder).await.expect("lock");
        let e = store.insert_account("bận", "hash", "staff", now()).await.expect_err("locked");
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        sqlx::query("ROLLBACK").execute(&mut holder).await.expect("rollback");
        store.insert_account("bận", "hash", "staff", now()).await.expect("free again");
        return;
    }
    let store: Arc<SqlStore> = db.store().await;
    let contest = contest(&store).await;
    let path = db.url.strip_prefix("sqlite://").expect("a file");
    let holder = rusqlite::Connection::open(path).expect("open");
    holder.execute_batch("BEGIN IMMEDIATE").expect("the write lock");
    let who = person();
    let (through_sqlx, through_rusqlite) = tokio::join!(
        store.insert_account("bận", "hash", "staff", now()),
        store.insert_participant(contest, "001090123456", &who, true, None, now()),
    );
    for (path, outcome) in [("sqlx", through_sqlx.map(|_| ())), ("rusqlite", through_rusqlite.map(|_| ()))] {
        let e = outcome.expect_err("busy");
        assert!(matches!(e, StoreError::Unavailable(_)), "{path}: {e:?}");
        assert!(chain(&e).contains("locked"), "{path}: {}", chain(&e));
    }
    holder.execute_batch("ROLLBACK").expect("release");
    store.insert_account("bận", "hash", "staff", now()).await.expect("free again (sqlx)");
    store.insert_participant(contest, "001090123456", &person(), true, None, now()).await.expect("and rusqlite");
}

on_both_backends!(
    missing_rows_are_not_found,
    a_broken_unique_rule_is_a_conflict_with_its_cause,
    a_closed_pool_is_unavailable,
    a_database_that_cannot_be_opened_is_unavailable,
    a_busy_database_is_unavailable,
);

/// The mapping of each driver's errors, for the cases a database cannot easily be made to give.
#[test]
fn each_driver_error_maps_to_what_the_engine_acts_on() {
    use rusqlite::ffi;
    let sqlite = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some("msg".into()));
    assert!(matches!(StoreError::from(sqlx::Error::RowNotFound), StoreError::NotFound));
    assert!(matches!(StoreError::from(rusqlite::Error::QueryReturnedNoRows), StoreError::NotFound));
    assert!(matches!(StoreError::from(sqlx::Error::PoolTimedOut), StoreError::Unavailable(_)));
    for code in [ffi::SQLITE_BUSY, ffi::SQLITE_LOCKED, ffi::SQLITE_BUSY_SNAPSHOT] {
        let e = StoreError::from(sqlite(code));
        assert!(matches!(e, StoreError::Unavailable(_)), "{code}: {e:?}");
        assert!(e.source().is_some(), "the cause is kept");
    }
    for code in [ffi::SQLITE_CONSTRAINT_UNIQUE, ffi::SQLITE_CONSTRAINT_PRIMARYKEY] {
        let e = StoreError::from(sqlite(code));
        assert!(matches!(e, StoreError::Conflict(_)), "{code}: {e:?}");
        assert!(!e.to_string().contains("msg") && chain(&e).contains("msg"), "{}", chain(&e));
    }
    let other = StoreError::from(sqlite(ffi::SQLITE_CONSTRAINT_FOREIGNKEY));
    assert!(matches!(other, StoreError::Sqlite(rusqlite::Error::SqliteFailure(..))), "{other:?}");
    let corrupt = StoreError::from(serde_json::from_str::<u8>("x").expect_err("not JSON"));
    assert!(matches!(corrupt, StoreError::Corrupt(_)) && corrupt.source().is_some(), "{corrupt:?}");
}
