//! A fresh database for each test, on either backend, dropped when the test ends — no shared
//! database, no test order. PostgreSQL is found at `CUOCTHI_TEST_PG`
//! (default `postgres://postgres@127.0.0.1:5432`); `scripts/test` starts one if none answers.

use std::sync::Arc;

use cuocthi_store::{SqlStore, Store};
use sqlx::Connection;

pub struct TestDb {
    pub url: String,
    kind: Kind,
}

enum Kind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server: String, name: String },
}

fn pg_server() -> String {
    std::env::var("CUOCTHI_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}/test.db", dir.path().display());
        TestDb { url, kind: Kind::Sqlite(dir) }
    }

    pub async fn postgres() -> TestDb {
        let server = pg_server();
        let name = format!("cuocthi_test_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {server} is needed for this test (scripts/test starts one): {e}")
        });
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        let _ = admin.close().await;
        TestDb { url: format!("{server}/{name}"), kind: Kind::Postgres { server, name } }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    /// A migrated store on this database.
    pub async fn store(&self) -> Arc<SqlStore> {
        let s = SqlStore::connect(&self.url).await.expect("connect");
        s.migrate().await.expect("migrate");
        Arc::new(s)
    }

    pub async fn dyn_store(&self) -> Arc<dyn Store> {
        self.store().await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Kind::Postgres { server, name } = &self.kind {
            let (server, name) = (server.clone(), name.clone());
            // Drop runs inside the test's runtime: do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await.ok()?;
                    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut admin)
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

/// Runs each named `async fn(TestDb)` once on SQLite and once on PostgreSQL, as
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$test($crate::TestDb::sqlite().await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$test($crate::TestDb::postgres().await).await;
                }
            }
        )*
    };
}

/// Converts an office document with LibreOffice headless (Debian's `soffice`), when it is
/// installed, into `format` (`csv`, `txt:Text`…) and returns the converted text; `None` when
/// LibreOffice is not on this machine. A file LibreOffice cannot open yields an error.
pub fn libreoffice_convert(name: &str, body: &[u8], format: &str) -> Option<Result<String, String>> {
    let soffice = ["/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let run = || -> Result<String, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let input = dir.path().join(name);
        std::fs::write(&input, body).map_err(|e| e.to_string())?;
        // Its own profile, so parallel tests and a user's LibreOffice never share a lock.
        let profile = format!("-env:UserInstallation=file://{}", dir.path().join("profile").display());
        let out = std::process::Command::new(soffice)
            .args([profile.as_str(), "--headless", "--convert-to", format, "--outdir"])
            .arg(dir.path().join("out"))
            .arg(&input)
            .output()
            .map_err(|e| e.to_string())?;
        let produced = std::fs::read_dir(dir.path().join("out"))
            .map_err(|_| format!("LibreOffice produced nothing: {}", String::from_utf8_lossy(&out.stderr)))?
            .filter_map(|e| e.ok())
            .next()
            .ok_or_else(|| format!("LibreOffice could not open {name}: {}", String::from_utf8_lossy(&out.stderr)))?;
        let bytes = std::fs::read(produced.path()).map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&bytes).to_string())
    };
    Some(run())
}
