//! What can go wrong in storage, in the terms the layers above act on, each with its cause kept as
//! a value (`source()`): the layers above choose what to tell people and log the cause once.
//!
//! Both drivers map alike: a unique violation is [`StoreError::Conflict`], "busy"/"locked" (SQLite)
//! and a lost or refused connection, a lock time-out, too many clients (PostgreSQL) are
//! [`StoreError::Unavailable`], a missing row asked for with `fetch_one` is
//! [`StoreError::NotFound`]. A leaf: it uses nothing else of this crate.

use thiserror::Error;

/// Any error, as the cause of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong in storage. `Display` never includes the driver's text: that is the
/// [`source`](std::error::Error::source), for logs.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique rule was broken: the thing exists already. The cause is the driver's error, whose
    /// message names the table and columns: for logs, never for users.
    #[error("conflict: a row with this key exists already")]
    Conflict(#[source] BoxError),
    /// The database cannot be reached, is overloaded, or is busy with another writer: worth
    /// trying again a little later.
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    /// Stored data that does not read back (a bug or a hand edit).
    #[error("corrupt data in the database")]
    Corrupt(#[source] BoxError),
    /// Any other error of sqlx (a bug in a statement, a type that does not decode…).
    #[error(transparent)]
    Sql(sqlx::Error),
    /// Any other error of the direct SQLite path (`sqlite_direct`, rusqlite).
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// `Unavailable` with a cause that is only a message.
    pub(crate) fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError::Unavailable(message.into().into())
    }
}

/// SQLite's primary result codes for "another connection holds the lock" (extended codes keep
/// them in their low byte).
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

/// Whether a PostgreSQL SQLSTATE says "try again later": connection exceptions (08), insufficient
/// resources (53, e.g. too many clients), the server shutting down or starting (57P01–57P03), a
/// lock not obtained in `lock_timeout` (55P03), and a serialization failure or deadlock (40001,
/// 40P01) whose transaction was rolled back whole.
fn postgres_says_retry(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(code, "57P01" | "57P02" | "57P03" | "55P03" | "40001" | "40P01")
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(Box::new(e)),
            sqlx::Error::Database(d) => {
                let retry = match (d.try_downcast_ref::<sqlx::sqlite::SqliteError>(), d.code()) {
                    (Some(_), Some(code)) => {
                        code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
                    }
                    (None, Some(code)) => postgres_says_retry(&code),
                    (_, None) => false,
                };
                if retry { StoreError::Unavailable(Box::new(e)) } else { StoreError::Sql(e) }
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(Box::new(e)),
            _ => StoreError::Sql(e),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::{ErrorCode, SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
        match &e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == SQLITE_CONSTRAINT_UNIQUE || f.extended_code == SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::Conflict(Box::new(e))
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) =>
            {
                StoreError::Unavailable(Box::new(e))
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_states_worth_a_retry() {
        for code in ["08006", "53300", "57P03", "55P03", "40001", "40P01"] {
            assert!(postgres_says_retry(code), "{code}");
        }
        for code in ["23505", "42P01", "22001"] {
            assert!(!postgres_says_retry(code), "{code}");
        }
    }
}
