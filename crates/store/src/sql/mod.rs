//! [`SqlStore`]: the one implementation of [`Store`] and [`ConsoleStore`], over SQLite or
//! PostgreSQL.
//!
//! Each method is written once; the [`on!`](crate::pool::on) macro expands its body for the
//! backend in use, so the same SQL text is type-checked against both drivers without `sqlx::Any`
//! (which has no instants). Each method is a function of the same name in the module of its table
//! family; `delegate!` below implements both traits from their text by calling those functions.
//!
//! | module | tables | may use (besides `crate::{model, error, pool}`) |
//! |---|---|---|
//! | `contests` | contests, rounds, units, registered | `sqlite_direct` |
//! | `questions` | questions | |
//! | `participants` | participants | `sqlite_direct` |
//! | `attempts` | attempts (the participant's path) | `participants`, `sqlite_direct` |
//! | `results` | published_rankings, ranking_standings, disqualifications | |
//! | `accounts` | accounts, grants, staff_sessions, login_throttle | |
//! | `audit` | audit_log, attempt seals | |
//! | `files` | staged_files, materials | |
//! | `feedback` | question_reports, question_voids | `audit`, `sqlite_direct` |
//! | `stats` | stat_counters, unit_staff | |
//! | `privacy` | participants' personal columns (and those of registered, unit_staff, question_reports, attempts), privacy_requests | |
//! | `event` | event_teams, event_members, event_parts, event_sheets, event_answers, event_adjustments, event_tie_lots | `audit` |
//! | `stage` | event_question_sets, event_set_lots, event_stage_answers, event_stage (and event_answers' count) | `audit` |

mod accounts;
mod attempts;
mod audit;
mod contests;
mod event;
mod feedback;
mod files;
mod participants;
mod privacy;
mod questions;
mod results;
mod stage;
mod stats;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cuocthi_domain::contest::ContestSpec;
use cuocthi_domain::identity::Identity;
use cuocthi_domain::question::Question;
use cuocthi_domain::ranking::Scored;
use cuocthi_domain::stats::{CounterKey, Measures};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use accounts::*;
use attempts::*;
use audit::*;
use contests::*;
use event::*;
use feedback::*;
use files::*;
use participants::*;
use privacy::*;
use questions::*;
use results::*;
use stage::*;
use stats::*;

use crate::console::*;
use crate::model::*;
use crate::pool::{Backend, Pools, on, statement};
use crate::review::*;
use crate::sqlite_direct::Direct;
use crate::{Result, Scorer, Store, StoreError};

#[derive(Clone)]
pub struct SqlStore {
    pub(crate) pools: Pools,
    url: String,
    /// SQLite only: the participant's path without sqlx (see [`crate::sqlite_direct`]).
    pub(crate) direct: Option<Arc<Direct>>,
    /// PostgreSQL only: the queue of the saves' group commit (see [`crate::pg_writer`]).
    pub(crate) pg_saves: Arc<crate::pg_writer::Group>,
    /// PostgreSQL only: connections kept between reads (see [`crate::pool::Kept`]).
    pub(crate) pg_reads: Arc<crate::pool::Kept>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore").field("url", &redact(&self.url)).finish()
    }
}

/// A database URL with every secret replaced, for logs and `Debug`: the password of the user part
/// and the value of any query parameter that may carry one (`?password=…`, `sslpassword`, …). A
/// text that does not parse as a URL is not printed at all, since it could hold anything.
pub fn redact(url: &str) -> String {
    const HIDDEN: &str = "***";
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "(an address that is not a valid URL)".to_string();
    };
    if parsed.password().is_some() {
        // Only fails for URLs that cannot have a password, which this one has.
        let _ = parsed.set_password(Some(HIDDEN));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let secret =
                    ["password", "pass", "secret", "token", "key"].iter().any(|s| k.to_lowercase().contains(s));
                (k.into_owned(), if secret { HIDDEN.to_string() } else { v.into_owned() })
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // The `url` crate percent-encodes what it writes back; show the stars as stars.
    parsed.to_string().replace("%2A%2A%2A", HIDDEN)
}

impl SqlStore {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`; any other scheme is refused.
    pub async fn connect(url: &str) -> Result<SqlStore> {
        let mut sqlite_path = std::path::PathBuf::new();
        let pools = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a submission acknowledged to a participant survives a machine crash
                // (see docs/ARCHITECTURE.md, "Durability").
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-32000");
            sqlite_path = opts.get_filename().to_path_buf();
            if let Some(dir) = Path::new(opts.get_filename()).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Unavailable(Box::new(std::io::Error::new(e.kind(), format!("{}: {e}", dir.display()))))
                })?;
            }
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.read_only(false))
                .await?;
            Pools::Sqlite { read, write }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = crate::pool::pg_options(16).connect(url).await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::unavailable(format!(
                "unknown database URL scheme in {} (use sqlite:// or postgres://)",
                redact(url)
            )));
        };
        let direct = match &pools {
            // An in-memory database is private to its connection: it can only use sqlx's pools.
            Pools::Sqlite { .. } if sqlite_path.as_os_str() != ":memory:" => {
                Some(Arc::new(Direct::open(&sqlite_path)?))
            }
            Pools::Sqlite { .. } => None,
            Pools::Postgres(_) => None,
        };
        Ok(SqlStore { pools, url: url.to_string(), direct, pg_saves: Arc::default(), pg_reads: Arc::default() })
    }

    /// Applies the migrations of the backend in use.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Pools::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// The migration versions of each backend, for the test that keeps them in step.
    pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
        let s = sqlx::migrate!("./migrations/sqlite").iter().map(|m| m.version).collect();
        let p = sqlx::migrate!("./migrations/postgres").iter().map(|m| m.version).collect();
        (s, p)
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(p) => {
                self.pg_reads.clear();
                self.pg_saves.close().await;
                p.close().await;
            }
        }
    }

    /// The rows of `table` with these ids, in chunks that keep each statement within both
    /// backends' parameter limits.
    pub(super) async fn rows_by_id<R>(&self, table: &'static str, ids: &[i64]) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<R> = on!(self, read, |p| {
                let mut q = sqlx::QueryBuilder::new(format!("SELECT * FROM {table} WHERE id"));
                in_list(&mut q, chunk.iter().copied());
                q.build_query_as().fetch_all(p).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }
}

/// Appends ` IN (…)` with one parameter per item to a statement being built, for either backend.
pub(super) fn in_list<DB, T>(q: &mut sqlx::QueryBuilder<DB>, items: impl IntoIterator<Item = T>)
where
    DB: sqlx::Database,
    T: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(" IN (");
    let mut list = q.separated(", ");
    for item in items {
        list.push_bind(item);
    }
    q.push(")");
}

fn backend(store: &SqlStore) -> Backend {
    store.pools.backend()
}

async fn ping(store: &SqlStore) -> Result<()> {
    statement!(store, read, execute, "SELECT 1")?;
    Ok(())
}

async fn secret(store: &SqlStore, name: &str, candidate: &str) -> Result<String> {
    on!(store, write, |p| {
        sqlx::query("INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .execute(p)
            .await?;
        let v: (String,) =
            sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1").bind(name).fetch_one(p).await?;
        Ok(v.0)
    })
}

/// Implements the trait whose text it is given (from [`crate::store_trait`] or
/// [`crate::console::console_trait`]) for [`SqlStore`]: each method calls the function of the
/// same name and parameters, found in the module of its table family (imported above) or here.
macro_rules! delegate {
    ($(#[$attr:meta])* pub trait $name:ident: $first:ident $(+ $bound:tt)* { $($methods:tt)* }) => {
        delegate!(@methods $name [] $($methods)*);
    };
    (@methods $name:ident [$($done:tt)*]) => {
        #[async_trait]
        impl $name for SqlStore {
            $($done)*
        }
    };
    (@methods $name:ident [$($done:tt)*]
        $(#[$attr:meta])* fn $f:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty; $($rest:tt)*) => {
        delegate!(@methods $name [$($done)* fn $f(&self $(, $arg: $ty)*) -> $ret { $f(self $(, $arg)*) }] $($rest)*);
    };
    (@methods $name:ident [$($done:tt)*]
        $(#[$attr:meta])* async fn $f:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty; $($rest:tt)*) => {
        delegate!(@methods $name
            [$($done)* async fn $f(&self $(, $arg: $ty)*) -> $ret { $f(self $(, $arg)*).await }] $($rest)*);
    };
}

crate::store_trait!(delegate);
crate::console::console_trait!(delegate);

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/cuocthi"), "postgres://app:***@db:5432/cuocthi");
        assert_eq!(redact("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
        assert_eq!(redact("sqlite://data/cuocthi.db"), "sqlite://data/cuocthi.db");
        assert_eq!(
            redact("postgres://db/cuocthi?user=app&password=s3cret&sslmode=require"),
            "postgres://db/cuocthi?user=app&password=***&sslmode=require"
        );
        assert_eq!(redact("postgres://app:p%40ss@db/x?sslpassword=k3y"), "postgres://app:***@db/x?sslpassword=***");
        assert!(!redact("not a url with s3cret").contains("s3cret"));
    }
}
