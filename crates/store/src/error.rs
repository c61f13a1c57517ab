use thiserror::Error;

/// What can go wrong in storage, in the terms the layers above act on.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique rule was broken: the thing exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or is overloaded.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data that does not read back (a bug or a hand edit).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Sql(sqlx::Error),
    /// An error of the direct SQLite path (`sqlite_direct`), as text.
    #[error("sqlite: {0}")]
    Sqlite(String),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(d.message().to_string()),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Sql(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
