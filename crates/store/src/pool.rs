//! The database pools of either backend (PostgreSQL's with the connections its reads keep out of
//! it, [`Kept`]) and the [`on!`] macro that runs one body on whichever is in use. A leaf: it uses
//! nothing else of this crate, and every SQL module uses it.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

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

/// How long a PostgreSQL connection may have been idle and still be used without a ping.
const PING_IDLE: Duration = Duration::from_secs(1);

/// The options of a PostgreSQL pool of `max` connections. sqlx pings every connection it hands
/// out, a round trip before every statement (as many round trips as the statements themselves on
/// the participant's path); here only one idle for [`PING_IDLE`] is pinged. One used a moment ago
/// that the server has since dropped fails its statement and is closed when it comes back.
pub(crate) fn pg_options(max: u32) -> sqlx::postgres::PgPoolOptions {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

type PgConn = sqlx::pool::PoolConnection<sqlx::Postgres>;

/// PostgreSQL connections kept out of the pool between single-statement reads. sqlx also pings a
/// connection as it takes it back (a round trip that cannot be turned off), so every read through
/// the pool cost two round trips; kept here, a connection goes from one read to the next as it
/// is. One that failed a statement, or was idle for [`PING_IDLE`], goes back to the pool instead,
/// which tests it (as with the pool's own, one the server dropped less than that ago fails one
/// read); at most [`KEPT_MAX`] are kept, so the pool always has the rest for transactions.
#[derive(Default)]
pub(crate) struct Kept {
    idle: Mutex<Vec<(PgConn, Instant)>>,
}

/// Most connections kept out of the pool (of its 16).
const KEPT_MAX: usize = 6;

impl Kept {
    fn lock(&self) -> MutexGuard<'_, Vec<(PgConn, Instant)>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A kept connection used a moment ago, or one from the pool.
    pub(crate) async fn take(&self, pool: &sqlx::PgPool) -> sqlx::Result<PgConn> {
        let recent = {
            let mut idle = self.lock();
            // The most recently used last: stale ones are at the front.
            idle.retain(|(_, at)| at.elapsed() < PING_IDLE);
            idle.pop()
        };
        match recent {
            Some((c, _)) => Ok(c),
            None => pool.acquire().await,
        }
    }

    /// Keeps `c` after a statement that succeeded (dropped, it goes back to the pool).
    pub(crate) fn put(&self, c: PgConn) {
        let mut idle = self.lock();
        if idle.len() < KEPT_MAX {
            idle.push((c, Instant::now()));
        }
    }

    /// Gives every kept connection back to the pool (before it closes: it waits for them all).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

/// A transaction on either backend's pool.
pub(crate) type Tx<Db> = sqlx::Transaction<'static, Db>;

/// Begins write transactions.
pub(crate) trait WritePool {
    type Db: sqlx::Database;
    /// On SQLite `BEGIN IMMEDIATE`: the transaction takes the write lock at once, waiting
    /// (busy_timeout) while the participant path's writer (`sqlite_direct`) commits. A deferred
    /// transaction that read first would instead fail with SQLITE_BUSY when that writer committed
    /// between its read and its first write.
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<Tx<Self::Db>>> + Send;

    /// A write transaction that also holds advisory lock `lock` until it ends, so that app nodes
    /// take turns at what the lock guards (the audit chain, the statistics' counting). Only
    /// PostgreSQL needs it: on SQLite `BEGIN IMMEDIATE` already lets one writer in at a time.
    fn begin_locked(&self, lock: i64) -> impl Future<Output = sqlx::Result<Tx<Self::Db>>> + Send;
}

impl WritePool for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<Tx<Self::Db>>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }

    fn begin_locked(&self, _lock: i64) -> impl Future<Output = sqlx::Result<Tx<Self::Db>>> + Send {
        self.begin_write()
    }
}

impl WritePool for sqlx::PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<Tx<Self::Db>>> + Send {
        self.begin()
    }

    async fn begin_locked(&self, lock: i64) -> sqlx::Result<Tx<Self::Db>> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock).execute(&mut *tx).await?;
        Ok(tx)
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

/// One statement on the pool for reads or writes of the backend in use (as [`on!`]), its
/// parameters bound in order. With `execute` it evaluates to the rows the statement changed; with
/// `fetch_one`, `fetch_optional` or `fetch_all` to the rows it returns, read as the type the caller
/// names. Most of the store's methods are a single statement: this leaves each with its SQL and
/// its parameters, and nothing else to read.
macro_rules! statement {
    ($store:ident, $pool:ident, execute, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::pool::on!($store, $pool, |p| {
            sqlx::query($sql)$(.bind($arg))*.execute(p).await.map(|r| r.rows_affected())
        })
    };
    // Reads on PostgreSQL on a kept connection ([`Kept`]).
    ($store:ident, read, $fetch:ident, $sql:expr $(, $arg:expr)* $(,)?) => {
        match &$store.pools {
            $crate::pool::Pools::Sqlite { read: p, .. } => sqlx::query_as($sql)$(.bind($arg))*.$fetch(p).await,
            $crate::pool::Pools::Postgres(p) => {
                async {
                    let mut c = $store.pg_reads.take(p).await?;
                    let rows = sqlx::query_as($sql)$(.bind($arg))*.$fetch(&mut *c).await;
                    if rows.is_ok() {
                        $store.pg_reads.put(c);
                    }
                    rows
                }
                .await
            }
        }
    };
    ($store:ident, $pool:ident, $fetch:ident, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::pool::on!($store, $pool, |p| sqlx::query_as($sql)$(.bind($arg))*.$fetch(p).await)
    };
}
pub(crate) use statement;
