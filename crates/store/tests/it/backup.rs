//! Backups restore what they hold: a round trip with every table's count equal, a store that holds
//! data left alone unless forced, and a damaged file refused — on SQLite and on PostgreSQL
//! (PostgreSQL's need pg_dump and pg_restore on PATH).

use std::path::{Path, PathBuf};

use chrono::Utc;
use cuocthi_domain::contest::ContestDef;
use cuocthi_domain::identity::Identity;
use cuocthi_store::backup::{self, BackupError};
use cuocthi_store::{SqlStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};

async fn fresh_like(db: &TestDb) -> TestDb {
    if db.is_postgres() { TestDb::postgres().await } else { TestDb::sqlite().await }
}

/// A contest with `people` participants: rows in several tables, linked by foreign keys.
async fn fill(store: &SqlStore, people: usize) -> i64 {
    let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
    let spec = ContestDef::from_toml(source).expect("reads").validate().expect("validates");
    let contest = store.insert_contest(&spec, Utc::now()).await.expect("contest");
    for n in 0..people {
        let who = Identity { full_name: Some(format!("Người thi {n}")), ..Identity::default() };
        store.insert_participant(contest, &format!("key-{n}"), &who, true, None, Utc::now()).await.expect("person");
    }
    contest
}

async fn backed_up(db: &TestDb, people: usize) -> (tempfile::TempDir, PathBuf) {
    let store = db.store().await;
    fill(&store, people).await;
    let dir = tempfile::tempdir().expect("a folder");
    let file = dir.path().join("cuocthi.backup.zip");
    // Taken with the store's pools still open, as under a running server.
    let manifest = backup::create(&db.url, &file).await.expect("backup");
    assert_eq!(manifest.tables.get("participants"), Some(&i64::try_from(people).expect("a few people")));
    store.close().await;
    (dir, file)
}

async fn a_backup_restores_with_every_count_equal(db: TestDb) {
    let (_dir, file) = backed_up(&db, 3).await;
    let verified = backup::verify(&file).await.expect("verifies");
    assert_eq!(verified.manifest.backend, if db.is_postgres() { "postgres" } else { "sqlite" });
    assert!(verified.manifest.schema_version > 0);
    assert_eq!(verified.manifest.tables, backup::row_counts(&db.url).await.expect("counts"));

    // Into a migrated, empty store: empty, so no --force is needed.
    let target = fresh_like(&db).await;
    target.store().await.close().await;
    let restored = backup::restore(&target.url, &file, false).await.expect("restores");
    assert_eq!(restored, verified.manifest);
    assert_eq!(backup::row_counts(&target.url).await.expect("counts"), verified.manifest.tables);

    // The copy is a working store: migrations are current and the people are there.
    let copy = target.store().await;
    let contest = copy.list_contests().await.expect("contests")[0].id;
    assert_eq!(copy.participants_of(contest).await.expect("people").len(), 3);
    copy.close().await;
}

async fn a_store_holding_data_is_replaced_only_when_forced(db: TestDb) {
    let (_dir, file) = backed_up(&db, 2).await;
    let target = fresh_like(&db).await;
    let store = target.store().await;
    fill(&store, 5).await;
    store.close().await;

    let refused = backup::restore(&target.url, &file, false).await.expect_err("refused");
    assert!(matches!(refused, BackupError::NotEmpty { .. }), "{refused:?}");
    assert!(refused.to_string().contains("--force"), "{refused}");
    assert_eq!(backup::row_counts(&target.url).await.expect("counts").get("participants"), Some(&5));

    let manifest = backup::restore(&target.url, &file, true).await.expect("forced");
    assert_eq!(backup::row_counts(&target.url).await.expect("counts"), manifest.tables);
    assert_eq!(manifest.tables.get("participants"), Some(&2));
}

async fn a_damaged_backup_is_refused(db: TestDb) {
    let (_dir, file) = backed_up(&db, 2).await;
    flip_a_byte(&file);
    let refused = backup::verify(&file).await.expect_err("damaged");
    assert!(matches!(refused, BackupError::Corrupt(_)), "{refused:?}");
    assert!(refused.to_string().starts_with("tệp sao lưu bị hỏng"), "{refused}");

    let target = fresh_like(&db).await;
    let refused = backup::restore(&target.url, &file, false).await.expect_err("damaged");
    assert!(matches!(refused, BackupError::Corrupt(_)), "{refused:?}");
}

/// Flips one byte in the middle of the image (past the manifest at the file's start).
fn flip_a_byte(file: &Path) {
    let mut bytes = std::fs::read(file).expect("reads");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(file, bytes).expect("writes");
}

async fn a_backup_of_another_backend_is_refused(db: TestDb) {
    let (_dir, file) = backed_up(&db, 1).await;
    let other = if db.is_postgres() { TestDb::sqlite().await } else { TestDb::postgres().await };
    let refused = backup::restore(&other.url, &file, false).await.expect_err("another backend");
    assert!(matches!(refused, BackupError::Backend { .. }), "{refused:?}");
}

on_both_backends!(
    a_backup_restores_with_every_count_equal,
    a_store_holding_data_is_replaced_only_when_forced,
    a_damaged_backup_is_refused,
    a_backup_of_another_backend_is_refused,
);
