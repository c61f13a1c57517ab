//! SQLite without sqlx on the participant's path: registration, start, answer saves, submission
//! and the reads between them.
//!
//! sqlx's SQLite driver runs each connection on its own thread and hands every statement (and
//! every row) across a channel, so on a busy server most of the CPU went to waking threads, not to
//! SQLite: `perf` showed 55% of the server's time in the kernel's scheduler and 1.5% in SQLite
//! (docs/PERFORMANCE.md). Here instead:
//!
//! - **One writer thread** owns a rusqlite connection and takes every write waiting in its queue
//!   into one transaction: one thread hand-off and one fsync for the whole batch (group commit),
//!   each write acknowledged only after the commit. A job that fails rolls back alone (savepoint).
//! - **Point reads run on the caller's thread**, on a connection from a small pool: a lookup by
//!   key in SQLite's page cache takes microseconds, less than one hand-off. Long reads (a round's
//!   scores for a ranking) go to tokio's blocking pool.
//!
//! The rest of the store (console, imports, statistics) keeps sqlx; its write transactions begin
//! `IMMEDIATE` ([`crate::pool::WritePool`]) so that they wait for this writer instead of failing.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql};
use tokio::sync::{mpsc, oneshot};

use crate::model::{RawAttempt, RawParticipant};
use crate::{Result, StoreError};

/// Most jobs committed together.
const BATCH_MAX: usize = 512;
/// Read connections kept open between uses.
const IDLE_READERS: usize = 8;
/// How long a connection waits for another one's write lock (a console transaction, another process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs on the writer thread inside the batch's transaction (`Err` if the transaction could not
/// begin) and returns what to send once the batch is committed.
type Job = Box<dyn FnOnce(std::result::Result<&Connection, &BatchFailed>) -> Deliver + Send>;
/// Sends a job's answer; given why the batch failed, if it did.
type Deliver = Box<dyn FnOnce(Option<&BatchFailed>) + Send>;

/// Why a whole batch failed: its transaction could not begin or commit, or SQLite rolled it back
/// under the job. Each job of the batch is answered `Unavailable` with a copy of it as the cause.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub(crate) struct BatchFailed {
    what: &'static str,
    #[source]
    cause: Option<rusqlite::Error>,
}

impl BatchFailed {
    fn new(what: &'static str, cause: Option<&rusqlite::Error>) -> BatchFailed {
        BatchFailed { what, cause: cause.map(copy_error) }
    }

    /// The error a job of the failed batch is answered with.
    fn for_job(&self) -> StoreError {
        StoreError::Unavailable(Box::new(BatchFailed::new(self.what, self.cause.as_ref())))
    }
}

/// A copy of a rusqlite error (which is not `Clone`), to hand one to each job of a batch.
fn copy_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => rusqlite::Error::SqliteFailure(*code, message.clone()),
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

/// The writer thread's queue and a pool of read connections on one SQLite file.
pub(crate) struct Direct {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
    idle: Mutex<Vec<Connection>>,
}

impl Direct {
    /// Opens the writer (on its own thread) and one reader on the database file at `path`, which
    /// sqlx has already created in WAL mode.
    pub(crate) fn open(path: &Path) -> Result<Direct> {
        let writer = open_writer(path)?;
        let (jobs, queue) = mpsc::channel::<Job>(8192);
        std::thread::Builder::new()
            .name("cuocthi-sqlite-writer".into())
            .spawn(move || run_writer(writer, queue))
            .map_err(|e| StoreError::Unavailable(Box::new(io_context("cannot start the SQLite writer", e))))?;
        let first = open_reader(path)?;
        Ok(Direct { path: path.to_path_buf(), jobs, idle: Mutex::new(vec![first]) })
    }

    /// Runs `f` in the writer's next batch; answers after that batch is committed.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (done, reply) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = match conn {
                Ok(c) => f(c),
                Err(failed) => Err(failed.for_job()),
            };
            Box::new(move |failed: Option<&BatchFailed>| {
                let answer = match failed {
                    Some(failed) if outcome.is_ok() => Err(failed.for_job()),
                    _ => outcome,
                };
                let _ = done.send(answer);
            })
        });
        let stopped = || StoreError::unavailable("the SQLite writer did not answer");
        self.jobs.send(job).await.map_err(|_| stopped())?;
        reply.await.map_err(|_| stopped())?
    }

    /// Runs a short read on the calling thread (see the module's comment for why).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.idle().pop();
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.path)?,
        };
        let out = f(&conn);
        let mut idle = self.idle();
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Reads at most one row with a cached statement, as [`Direct::read`] does.
    pub(crate) fn read_row<T>(
        &self,
        sql: &str,
        params: &[(&str, &dyn ToSql)],
        row: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        self.read(|c| Ok(c.prepare_cached(sql)?.query_row(params, row).optional()?))
    }

    /// Runs a long read on tokio's blocking pool.
    pub(crate) async fn read_long<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || me.read(f)).await.map_err(|e| StoreError::Unavailable(Box::new(e)))?
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A panic while holding the lock leaves only a list of connections behind: still usable.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn open(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "cache_size", -32000)?;
    conn.pragma_update(None, "temp_store", "memory")?;
    Ok(conn)
}

fn open_writer(path: &Path) -> Result<Connection> {
    let conn = open(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    // FULL: a write acknowledged to a participant survives a machine crash (docs/ARCHITECTURE.md).
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection> {
    let conn = open(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// The writer thread: a batch is every job waiting when the previous commit ended.
fn run_writer(conn: Connection, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut delivers: Vec<Deliver> = Vec::with_capacity(batch.len());
        // Metrics (a no-op unless the server installed a recorder): one sample per batch, not per job.
        let batch_started = std::time::Instant::now();
        #[allow(clippy::cast_precision_loss)] // at most BATCH_MAX
        metrics::histogram!("cuocthi_group_commit_batch_size", "store" => "sqlite").record(batch.len() as f64);
        let mut began = begin(&conn);
        // Jobs before this index lost their writes: SQLite rolled the whole transaction back under
        // them (an I/O error, a full disk), so they must not be acknowledged.
        let mut lost = 0;
        for job in batch {
            match &began {
                Ok(()) => match std::panic::catch_unwind(AssertUnwindSafe(|| job(Ok(&conn)))) {
                    Ok(deliver) => {
                        delivers.push(deliver);
                        if conn.is_autocommit() {
                            lost = delivers.len();
                            began = begin(&conn);
                        }
                    }
                    // A bug in a job: its writes may be half done, so the whole batch so far goes.
                    Err(_) => {
                        tracing::error!("a job panicked on the SQLite writer; its batch is rolled back");
                        let _ = conn.execute_batch("ROLLBACK");
                        lost = delivers.len();
                        began = begin(&conn);
                    }
                },
                Err(e) => delivers.push(job(Err(e))),
            }
        }
        let commit_failed = match began {
            Ok(()) => conn.execute_batch("COMMIT").err().map(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                tracing::error!(error = %e, "the SQLite writer could not commit a batch");
                BatchFailed::new("the SQLite writer could not commit a batch", Some(&e))
            }),
            Err(_) => None,
        };
        metrics::histogram!("cuocthi_group_commit_seconds", "store" => "sqlite").record(batch_started.elapsed());
        if commit_failed.is_some() {
            metrics::counter!("cuocthi_group_commit_failures_total", "store" => "sqlite").increment(1);
        }
        let rolled_back = BatchFailed::new("the SQLite writer's transaction was rolled back", None);
        for (i, deliver) in delivers.into_iter().enumerate() {
            if i < lost {
                deliver(Some(&rolled_back));
            } else {
                deliver(commit_failed.as_ref());
            }
        }
    }
}

fn begin(conn: &Connection) -> std::result::Result<(), BatchFailed> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| {
        tracing::error!(error = %e, "the SQLite writer could not begin a batch");
        BatchFailed::new("the SQLite writer could not begin a batch", Some(&e))
    })
}

/// An I/O error with what was being done.
fn io_context(what: &str, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Runs a job of several statements so that, if it fails, none of its writes stays in the batch.
pub(crate) fn all_or_nothing<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    conn.execute_batch("SAVEPOINT job")?;
    let out = f(conn);
    let end = if out.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
    conn.execute_batch(end)?;
    out
}

/// An attempt row selected with [`crate::model::ATTEMPT_COLUMNS`].
pub(crate) fn attempt_from(r: &Row<'_>) -> rusqlite::Result<RawAttempt> {
    Ok(RawAttempt {
        id: r.get(0)?,
        round_id: r.get(1)?,
        participant_id: r.get(2)?,
        seq: r.get(3)?,
        seed: r.get(4)?,
        draw: r.get(5)?,
        answers: r.get(6)?,
        prediction: r.get(7)?,
        status: r.get(8)?,
        started_at: r.get(9)?,
        deadline_at: r.get(10)?,
        submitted_at: r.get(11)?,
        auto_submitted: r.get(12)?,
        correct: r.get(13)?,
        time_taken_ms: r.get(14)?,
    })
}

/// A participant row (`SELECT *` or `RETURNING *`: read by column name).
pub(crate) fn participant_from(r: &Row<'_>) -> rusqlite::Result<RawParticipant> {
    Ok(RawParticipant {
        id: r.get("id")?,
        contest_id: r.get("contest_id")?,
        person_key: r.get("person_key")?,
        full_name: r.get("full_name")?,
        date_of_birth: r.get("date_of_birth")?,
        cccd: r.get("cccd")?,
        phone: r.get("phone")?,
        email: r.get("email")?,
        unit_code: r.get("unit_code")?,
        locality_code: r.get("locality_code")?,
        group_code: r.get("group_code")?,
        complete: r.get("complete")?,
        consent_version: r.get("consent_version")?,
        created_at: r.get("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_table() -> (tempfile::TempDir, Arc<Direct>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("t.db");
        let setup = Connection::open(&path).expect("open");
        setup.execute_batch("PRAGMA journal_mode = wal; CREATE TABLE t (x INTEGER UNIQUE)").expect("schema");
        drop(setup);
        (dir, Arc::new(Direct::open(&path).expect("direct")))
    }

    fn count(d: &Direct, sql: &str) -> i64 {
        d.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).expect("count")
    }

    /// Jobs sent together share transactions; one that fails half-way leaves none of its writes,
    /// and the others of its batch are kept and acknowledged.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_undoes_only_itself() {
        let (_dir, d) = store_with_table().await;
        // The row the failing jobs collide with is written before any job is spawned: were it
        // written by one of them, a failing job could reach the writer first, pass, and make
        // that one fail instead (issue 18).
        d.write(|c| Ok(c.execute("INSERT INTO t (x) VALUES (0)", []).map(|_| ())?)).await.expect("row 0");
        let mut tasks = Vec::new();
        for i in 1..300_i64 {
            let d = Arc::clone(&d);
            tasks.push(tokio::spawn(async move {
                if i % 50 == 7 {
                    // Writes a row of its own, then breaks the unique rule: all or nothing.
                    d.write(move |c| {
                        all_or_nothing(c, |c| {
                            c.execute("INSERT INTO t (x) VALUES ($1)", [1000 + i])?;
                            c.execute("INSERT INTO t (x) VALUES (0)", [])?;
                            Ok(())
                        })
                    })
                    .await
                } else {
                    d.write(move |c| Ok(c.execute("INSERT INTO t (x) VALUES ($1)", [i]).map(|_| ())?)).await
                }
            }));
        }
        let mut refused = 0;
        for (i, t) in (1..).zip(tasks) {
            match t.await.expect("task") {
                Ok(()) => assert!(i % 50 != 7, "job {i} should have failed"),
                Err(StoreError::Conflict(_)) if i % 50 == 7 => refused += 1,
                Err(e) => panic!("job {i}: {e}"),
            }
        }
        assert_eq!(refused, 6);
        assert_eq!(count(&d, "SELECT COUNT(*) FROM t WHERE x < 1000"), 294, "every acknowledged row is stored");
        assert_eq!(count(&d, "SELECT COUNT(*) FROM t WHERE x >= 1000"), 0, "no half of a failed job is kept");
    }

    /// A bug that panics inside a job loses nothing acknowledged and does not stop the writer.
    #[tokio::test]
    async fn a_panicking_job_is_refused_and_the_writer_goes_on() {
        let (_dir, d) = store_with_table().await;
        let broken = d
            .write(|c| -> Result<()> {
                c.execute("INSERT INTO t (x) VALUES (5)", [])?;
                panic!("a bug in a job");
            })
            .await;
        assert!(matches!(broken, Err(StoreError::Unavailable(_))), "{broken:?}");
        d.write(|c| Ok(c.execute("INSERT INTO t (x) VALUES (6)", []).map(|_| ())?)).await.expect("next write");
        assert_eq!(count(&d, "SELECT COUNT(*) FROM t WHERE x = 5"), 0);
        assert_eq!(count(&d, "SELECT COUNT(*) FROM t WHERE x = 6"), 1);
    }

    /// Readers see what the writer acknowledged, and are refused writes.
    #[tokio::test]
    async fn readers_see_acknowledged_writes_and_cannot_write() {
        let (_dir, d) = store_with_table().await;
        d.write(|c| Ok(c.execute("INSERT INTO t (x) VALUES (1)", []).map(|_| ())?)).await.expect("write");
        assert_eq!(count(&d, "SELECT COUNT(*) FROM t"), 1);
        let refused = d.read(|c| Ok(c.execute("INSERT INTO t (x) VALUES (2)", [])?));
        assert!(refused.is_err(), "{refused:?}");
        let long = d.read_long(|c| Ok(c.query_row("SELECT MAX(x) FROM t", [], |r| r.get::<_, i64>(0))?)).await;
        assert_eq!(long.expect("long read"), 1);
    }
}
