//! The database pools of either backend and the [`on!`] macro that runs one body on whichever is
//! in use. A leaf: it uses nothing else of this crate, and every SQL module uses it.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Pools {
    /// SQLite allows one writer: writes go through a one-connection pool so they queue in the app
    /// instead of spinning on SQLITE_BUSY; reads use their own connections beside it (WAL).
    Sqlite {
        read: sqlx::SqlitePool,
        write: sqlx::SqlitePool,
    },
    Postgres(sqlx::PgPool),
}

impl Pools {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Pools::Postgres(_))
    }
}

/// Begins write transactions.
pub(crate) trait WritePool {
    type Db: sqlx::Database;
    /// On SQLite `BEGIN IMMEDIATE`: the transaction takes the write lock at once, waiting
    /// (busy_timeout) while the participant path's writer (`sqlite_direct`) commits. A deferred
    /// transaction that read first would instead fail with SQLITE_BUSY when that writer committed
    /// between its read and its first write.
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send;
}

impl WritePool for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WritePool for sqlx::PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send {
        self.begin()
    }
}

/// Runs `$body` with `$p` bound to the pool for reads or writes of the backend in use, so that
/// one text of SQL is type-checked against both drivers. `$store` is anything with a `pools`
/// field (the `SqlStore`).
macro_rules! on {
    ($store:ident, write, |$p:ident| $body:expr) => {
        match &$store.pools {
            $crate::pool::Pools::Sqlite { write: $p, .. } => $body,
            $crate::pool::Pools::Postgres($p) => $body,
        }
    };
    ($store:ident, read, |$p:ident| $body:expr) => {
        match &$store.pools {
            $crate::pool::Pools::Sqlite { read: $p, .. } => $body,
            $crate::pool::Pools::Postgres($p) => $body,
        }
    };
}
pub(crate) use on;
