//! `cuocthi store copy` as an operator moving a province from SQLite to PostgreSQL uses it, and
//! back: a store filled by the engine (`cuocthi demo`: contests, 3,000 people with scored
//! attempts, published and approved results, audit entries) copied; every table's count and
//! checksum equal, `results verify` (the ranking recomputed and the audit hash chain) passes on the
//! copy with the same digest; the copy takes new rows; a store holding data is never written.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use cuocthi_store::{SqlStore, Store, backup};
use cuocthi_testkit::TestDb;

const SLUG: &str = "tim-hieu-de-an-06-thai-binh-2023";

fn cuocthi(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cuocthi"))
        .args(args)
        .env("CUOCTHI_DATABASE_URL", url)
        .env("CUOCTHI_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// What `results verify` says of seed 004's round 1 on the store at `url` (it fails otherwise).
fn verified(url: &str) -> String {
    ok(cuocthi(url, &["results", "verify", "--contest", SLUG, "--round", "1"]))
}

/// Rows per data table.
async fn counts(url: &str) -> BTreeMap<String, i64> {
    let mut counts = backup::row_counts(url).await.expect("counts");
    counts.remove("_sqlx_migrations");
    counts
}

/// The table lines of a copy's report (name, rows, checksum), which both directions must share.
fn table_lines(report: &str) -> Vec<String> {
    report.lines().filter(|l| l.starts_with("  ")).map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect()
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_moves_from_sqlite_to_postgresql_and_back_whole() {
    let dir = tempfile::tempdir().expect("a folder");
    let source = sqlite_url(&dir.path().join("tinh.db"));
    let out = ok(cuocthi(&source, &["demo"]));
    assert!(out.contains("công bố kết quả"), "{out}");
    let before = verified(&source);
    assert!(before.contains("Kết quả khớp"), "{before}");

    // SQLite → PostgreSQL.
    let pg = TestDb::postgres().await;
    let there = ok(cuocthi(&source, &["store", "copy", "--from", &source, "--to", &pg.url]));
    assert!(there.contains("số dòng và mã kiểm tra từng bảng khớp"), "{there}");
    let source_counts = counts(&source).await;
    assert!(source_counts["attempts"] >= 3000 && source_counts["audit_log"] > 0, "{source_counts:?}");
    assert_eq!(counts(&pg.url).await, source_counts, "every table, every row");
    assert_eq!(verified(&pg.url), before, "the same recomputed results and audit digest on the copy");

    // Never into a store holding data: refused, and nothing of it changed.
    let held = counts(&pg.url).await;
    let again = cuocthi(&source, &["store", "copy", "--from", &source, "--to", &pg.url]);
    assert!(!again.status.success());
    assert!(text(&again).contains("đã có dữ liệu"), "{}", text(&again));
    assert_eq!(counts(&pg.url).await, held);

    // And back: PostgreSQL → a new SQLite file, the same checksums as the first copy's.
    let back = sqlite_url(&dir.path().join("lai.db"));
    let home = ok(cuocthi(&back, &["store", "copy", "--from", &pg.url, "--to", &back]));
    assert_eq!(table_lines(&home), table_lines(&there), "{home}\n{there}");
    assert_eq!(counts(&back).await, source_counts);
    assert_eq!(verified(&back), before);

    // The copy takes new rows: PostgreSQL's identity sequences were moved past the copied ids.
    let store = SqlStore::connect(&pg.url).await.expect("connect");
    let contest = store.contest_by_slug(SLUG).await.expect("read").expect("copied").contest.id;
    let who = cuocthi_domain::identity::Identity { full_name: Some("Người mới".into()), ..Default::default() };
    let newcomer = store
        .insert_participant(contest, "001099999999", &who, true, None, chrono::Utc::now())
        .await
        .expect("a new row");
    let largest = store.participants_of(contest).await.expect("read").iter().map(|p| p.id).max().expect("people");
    assert_eq!(newcomer.id, largest);
    store.close().await;
}

#[test]
fn addresses_that_cannot_be_copied_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("a folder");
    let db = sqlite_url(&dir.path().join("a.db"));
    let same = cuocthi(&db, &["store", "copy", "--from", &db, "--to", &db]);
    assert!(!same.status.success());
    assert!(text(&same).contains("cùng một cơ sở dữ liệu"), "{}", text(&same));
    let odd = cuocthi(&db, &["store", "copy", "--from", &db, "--to", "mysql://x/y"]);
    assert!(!odd.status.success());
    assert!(text(&odd).contains("sqlite://… hoặc postgres://…"), "{}", text(&odd));
}
