//! PostgreSQL's group commit for every write of the participant's path — answer and prediction
//! saves, registrations, starts and submissions — as SQLite has its writer thread
//! ([`crate::sqlite_direct`]).
//!
//! On PostgreSQL each of those writes used to be its own transaction and WAL flush (and a start
//! five round trips, a submission four). Here every write waiting for a pool goes into one queue;
//! one flush task at a time takes all of them (up to [`BATCH_MAX`]) and runs them in one
//! transaction: the saves with one `UPDATE attempts … FROM unnest(…)` — each row under the same
//! conditions as the single statement (the attempt, its participant, `status = 'open'`, the
//! deadline not passed, the position within the answers) — and `RETURNING` which saves were
//! written; then each other write ([`transaction`]: a registration, a start, a submission) with
//! its own statements, in the order they came. Each write is answered only after that
//! transaction has committed (`synchronous_commit` stays on), with its own outcome; if the batch
//! fails (a dropped connection, a failed commit) every write of it is answered with the error,
//! none acknowledged. A lone write is a batch of one and waits for nothing.
//!
//! - A write that fails for itself alone (a unique rule — the same person registering twice at
//!   once —, a value PostgreSQL refuses) would abort the whole transaction: the batch is rolled
//!   back, nothing of it acknowledged, and its writes are run again each in a transaction of its
//!   own, so that only the failing one fails, with the driver's error as its cause.
//! - Two saves of one attempt in a batch go into successive statements of one transaction, in the
//!   order they came (an `UPDATE … FROM` joining one row twice would apply only one of them).
//! - Rows are given in attempt id order, so two batches (of two app nodes) lock rows in the same
//!   order; a deadlock or serialization failure (the transaction rolled back whole) is retried.
//! - A save the batch statement could fail on for itself alone (a position beyond `INTEGER`, a NUL
//!   in the slot) runs alone, so that it cannot fail the others.
//!
//! The queue is a field of the store (`SqlStore::pg_saves`). The flush task runs on a thread and
//! runtime of its own ([`Writer`]) with two connections of its own, and keeps one of them from
//! batch to batch while there is work. `CUOCTHI_PG_GROUP_COMMIT=0` runs every write alone (its own
//! transaction, as before), for measuring one against the other in one build.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres};
use tokio::sync::oneshot;

use crate::model::bigint;
use crate::{Result, StoreError};

/// Most writes run together.
const BATCH_MAX: usize = 1024;
/// Tries of a batch rolled back whole by a deadlock or a serialization failure.
const TRIES: usize = 3;

/// One save, as the single statement takes it.
#[derive(Debug, Clone)]
pub(crate) enum Save {
    Answer { attempt_id: i64, participant_id: i64, position: i64, slot: String, now: i64 },
    Prediction { attempt_id: i64, participant_id: i64, prediction: i64, now: i64 },
}

impl Save {
    fn attempt_id(&self) -> i64 {
        match self {
            Save::Answer { attempt_id, .. } | Save::Prediction { attempt_id, .. } => *attempt_id,
        }
    }

    /// Whether the batch statement can take it without risking an error of its own.
    pub(crate) fn batchable(&self) -> bool {
        match self {
            Save::Answer { position, slot, .. } => (0..i64::from(i32::MAX)).contains(position) && !slot.contains('\0'),
            Save::Prediction { .. } => true,
        }
    }
}

/// Every save of a batch, one row each: answers (`pos` ≥ 0) and predictions (`pos` NULL) in one
/// statement. The conditions are those of the single statements in `sql/attempts.rs`, the status
/// bound as there (`$8`, [`crate::model::OPEN`]).
pub(crate) const BATCH_SQL: &str = "UPDATE attempts AS a SET
    answers = CASE WHEN u.pos IS NULL THEN a.answers
              ELSE substr(a.answers, 1, CAST(u.pos AS INTEGER)) || u.slot || substr(a.answers, CAST(u.pos AS INTEGER) + 2) END,
    prediction = CASE WHEN u.pos IS NULL THEN u.prediction ELSE a.prediction END
  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
    AS u(id, participant_id, pos, slot, prediction, now, n)
  WHERE a.id = u.id AND a.participant_id = u.participant_id AND a.status = $8 AND a.deadline_at >= u.now
    AND (u.pos IS NULL OR length(a.answers) > u.pos)
  RETURNING u.n";

/// Why a write run by [`transaction`] stopped half-way: its transaction must not be committed with
/// it. (A refusal that wrote nothing — the attempt limit, say — is an `Ok` answer instead.)
#[derive(Debug)]
pub(crate) enum JobError {
    /// A statement failed: the transaction is aborted.
    Db(sqlx::Error),
    /// The write cannot go on (a stored value it cannot read back); what it wrote must go.
    Store(StoreError),
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        JobError::Db(e)
    }
}

impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        JobError::Store(e)
    }
}

impl From<JobError> for StoreError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::Db(e) => StoreError::from(e),
            JobError::Store(e) => e,
        }
    }
}

/// What a write run by [`transaction`] returns: `Err` to have its statements undone, `Ok` with
/// its answer (which may be a refusal) to keep them.
pub(crate) type JobFuture<'c, T> = Pin<Box<dyn Future<Output = std::result::Result<Result<T>, JobError>> + Send + 'c>>;

/// A write of several statements, type-erased so that writes of every kind share one queue. It is
/// `Fn`, not `FnOnce`: a batch rolled back (a deadlock, another write's failure) runs it again.
type Run = Box<dyn for<'c> Fn(&'c mut PgConnection) -> JobFuture<'c, Box<dyn Any + Send>> + Send + Sync>;

enum Work {
    Save { save: Save, done: oneshot::Sender<Result<bool>> },
    Write { run: Run, done: oneshot::Sender<Result<Box<dyn Any + Send>>> },
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Work>,
    /// A flush task is running (and will take what is queued before it stops).
    busy: bool,
}

/// The queue of one store's PostgreSQL pool, held by the store (`SqlStore::pg_saves`).
#[derive(Default)]
pub(crate) struct Group {
    queue: Mutex<Queue>,
    /// Started with the first write; `None` if its thread could not be started (the flush task
    /// then runs on the caller's runtime).
    writer: OnceLock<Option<Writer>>,
}

/// The group commit's own thread, runtime and connections. A batch is a chain of round trips
/// (begin, the saves, each other write, commit), and on the server's runtime every one of them
/// waited for a worker thread busy with requests to come back to the flush task; on a thread of
/// its own the flush task runs as soon as PostgreSQL answers, as SQLite's writer thread does.
struct Writer {
    handle: tokio::runtime::Handle,
    /// Connections opened on the writer's runtime, whose I/O it drives.
    pool: PgPool,
    /// Dropped with the group: the thread's runtime stops, and its connections close.
    _stop: oneshot::Sender<()>,
}

impl Writer {
    fn start(main: &PgPool) -> std::io::Result<Writer> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let handle = rt.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new().name("cuocthi-pg-writer".into()).spawn(move || {
            rt.block_on(async {
                let _ = stopped.await;
            });
        })?;
        let pool = {
            let _in_writer = handle.enter();
            crate::pool::pg_options(2).connect_lazy_with((*main.connect_options()).clone())
        };
        Ok(Writer { handle, pool, _stop: stop })
    }
}

impl Group {
    /// Closes the writer's connections (the store is closing).
    pub(crate) async fn close(&self) {
        if let Some(Some(w)) = self.writer.get() {
            w.pool.close().await;
        }
    }
}

/// Whether writes go through the group commit: yes unless `CUOCTHI_PG_GROUP_COMMIT=0`, which
/// writes each alone as before (kept for measuring one against the other in one build).
pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("CUOCTHI_PG_GROUP_COMMIT").map_or(true, |v| v != "0"))
}

/// Queues `work`, starting the flush task if none runs.
fn enqueue(pool: &PgPool, group: &Arc<Group>, work: Work) {
    let start = {
        let mut q = group.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.jobs.push(work);
        !std::mem::replace(&mut q.busy, true)
    };
    if start {
        let writer = group.writer.get_or_init(|| match Writer::start(pool) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "the PostgreSQL group commit's thread did not start; it runs on the server's");
                None
            }
        });
        match writer {
            Some(w) => drop(w.handle.spawn(flush(group.clone(), w.pool.clone()))),
            None => drop(tokio::spawn(flush(group.clone(), pool.clone()))),
        }
    }
}

fn no_answer() -> StoreError {
    StoreError::unavailable("the PostgreSQL group commit did not answer")
}

/// Runs `save` in the pool's next batch; answers once that batch is committed: whether it was
/// saved (the attempt is the person's, open, before its deadline, and the position exists).
pub(crate) async fn save(pool: &PgPool, group: &Arc<Group>, save: Save) -> Result<bool> {
    if !save.batchable() {
        return Ok(write_batch(pool, std::slice::from_ref(&save)).await?[0]);
    }
    let (done, reply) = oneshot::channel();
    enqueue(pool, group, Work::Save { save, done });
    reply.await.map_err(|_| no_answer())?
}

/// Runs `job` inside the pool's next batch transaction (with the group commit off, in one of its
/// own) and answers once that transaction has committed. `job` may run more than once — each run
/// after the transaction of the one before was rolled back — so it must take its inputs by clone.
pub(crate) async fn transaction<T, F>(pool: &PgPool, group: &Arc<Group>, job: F) -> Result<T>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut PgConnection) -> JobFuture<'c, T> + Send + Sync + 'static,
{
    let run: Run = Box::new(move |c| {
        let fut = job(c);
        Box::pin(async move { fut.await.map(|answer| answer.map(|t| Box::new(t) as Box<dyn Any + Send>)) })
    });
    let answer = if enabled() {
        let (done, reply) = oneshot::channel();
        enqueue(pool, group, Work::Write { run, done });
        reply.await.map_err(|_| no_answer())??
    } else {
        alone(pool, &run).await?
    };
    answer.downcast::<T>().map(|t| *t).map_err(|_| StoreError::unavailable("a group-commit answer of the wrong type"))
}

/// Clears `busy` if the flush task ends other than by finding the queue empty (a panic, the
/// runtime shutting down): the writes still queued are dropped, so answered as failed, and the
/// next write starts a new task.
struct Flushing {
    group: Arc<Group>,
    finished: bool,
}

impl Drop for Flushing {
    fn drop(&mut self) {
        if !self.finished {
            let mut q = self.group.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.jobs.clear();
            q.busy = false;
        }
    }
}

/// The flush task's connection, kept from one batch to the next while there is work: taken from
/// the pool for every batch, it cost two round trips more each time (sqlx pings a connection as it
/// hands it out and again as it takes it back).
struct Held {
    pool: PgPool,
    conn: Option<PoolConnection<Postgres>>,
}

impl Held {
    async fn conn(&mut self) -> sqlx::Result<&mut PgConnection> {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => self.pool.acquire().await?,
        };
        Ok(&mut **self.conn.insert(conn))
    }

    /// After a failed batch: the connection goes back to the pool, which tests it (a broken one
    /// is closed) before anyone uses it again.
    fn give_back(&mut self) {
        self.conn = None;
    }
}

/// Takes every waiting write, runs them, answers each; until the queue is empty.
async fn flush(group: Arc<Group>, pool: PgPool) {
    let mut flushing = Flushing { group, finished: false };
    let mut held = Held { pool: pool.clone(), conn: None };
    loop {
        let batch: Vec<Work> = {
            let mut q = flushing.group.queue.lock().unwrap_or_else(|e| e.into_inner());
            if q.jobs.is_empty() {
                q.busy = false;
                drop(q);
                flushing.finished = true;
                return;
            }
            let n = q.jobs.len().min(BATCH_MAX);
            q.jobs.drain(..n).collect()
        };
        let (mut saves, mut save_dones, mut runs, mut run_dones) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for work in batch {
            match work {
                Work::Save { save, done } => {
                    saves.push(save);
                    save_dones.push(done);
                }
                Work::Write { run, done } => {
                    runs.push(run);
                    run_dones.push(done);
                }
            }
        }
        // Metrics (a no-op unless the server installed a recorder): one sample per batch.
        let batch_started = std::time::Instant::now();
        #[allow(clippy::cast_precision_loss)] // at most BATCH_MAX
        metrics::histogram!("cuocthi_group_commit_batch_size", "store" => "postgres")
            .record((saves.len() + runs.len()) as f64);
        let written = write_mixed(&mut held, &saves, &runs).await;
        if written.is_err() {
            held.give_back();
        }
        metrics::histogram!("cuocthi_group_commit_seconds", "store" => "postgres").record(batch_started.elapsed());
        match written {
            Ok((saved, answers)) => {
                for (done, saved) in save_dones.into_iter().zip(saved) {
                    let _ = done.send(Ok(saved));
                }
                for (done, answer) in run_dones.into_iter().zip(answers) {
                    let _ = done.send(answer);
                }
            }
            Err(Isolate) => {
                // One write failed for itself and took the batch's transaction with it: nothing
                // was committed; each write runs again alone and gets its own outcome.
                metrics::counter!("cuocthi_group_commit_failures_total", "store" => "postgres").increment(1);
                let saved = if saves.is_empty() { Ok(Vec::new()) } else { write_batch(&pool, &saves).await };
                answer_saves(save_dones, saved);
                for (run, done) in runs.iter().zip(run_dones) {
                    let _ = done.send(alone(&pool, run).await);
                }
            }
            Err(Failed(e)) => {
                metrics::counter!("cuocthi_group_commit_failures_total", "store" => "postgres").increment(1);
                let cause = Arc::new(e);
                let failed = || StoreError::Unavailable(Box::new(BatchFailed(cause.clone())));
                for done in save_dones {
                    let _ = done.send(Err(failed()));
                }
                for done in run_dones {
                    let _ = done.send(Err(failed()));
                }
            }
        }
    }
}

fn answer_saves(dones: Vec<oneshot::Sender<Result<bool>>>, saved: Result<Vec<bool>>) {
    match saved {
        Ok(saved) => {
            for (done, saved) in dones.into_iter().zip(saved) {
                let _ = done.send(Ok(saved));
            }
        }
        Err(e) => {
            let cause = Arc::new(e);
            for done in dones {
                let _ = done.send(Err(StoreError::Unavailable(Box::new(BatchFailed(cause.clone())))));
            }
        }
    }
}

/// Runs one write in a transaction of its own: committed if it answers, rolled back if it fails.
async fn alone(pool: &PgPool, run: &Run) -> Result<Box<dyn Any + Send>> {
    let mut tx = pool.begin().await?;
    match run(&mut tx).await {
        Ok(answer) => {
            tx.commit().await?;
            answer
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e.into())
        }
    }
}

/// How a batch of several kinds of writes failed.
enum MixedError {
    /// One write's own failure (a unique rule, a value refused): run each alone.
    Isolate,
    /// The batch's (the connection, the commit): every write of it fails.
    Failed(StoreError),
}
use MixedError::{Failed, Isolate};

/// Whether a failure inside a batch is a write's own — PostgreSQL's data exceptions (class 22)
/// and broken rules (23), or a value the write could not read back — and not the connection's,
/// the server's or the batch's as a whole.
fn own_failure(e: &JobError) -> bool {
    match e {
        JobError::Store(_) => true,
        JobError::Db(sqlx::Error::Database(d)) => d.code().is_some_and(|c| c.starts_with("22") || c.starts_with("23")),
        JobError::Db(_) => false,
    }
}

fn retryable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("40P01") | Some("40001")))
}

type Answers = (Vec<bool>, Vec<Result<Box<dyn Any + Send>>>);

/// Writes `saves` and runs `runs` in one transaction, retrying one rolled back whole for a
/// deadlock or a serialization failure.
async fn write_mixed(held: &mut Held, saves: &[Save], runs: &[Run]) -> std::result::Result<Answers, MixedError> {
    if runs.is_empty() {
        return write_batch_on(held, saves).await.map(|saved| (saved, Vec::new())).map_err(Failed);
    }
    let mut tries = 0;
    loop {
        tries += 1;
        let tried = match held.conn().await {
            Ok(c) => try_mixed(c, saves, runs).await,
            Err(e) => Err(e.into()),
        };
        match tried {
            Err(JobError::Db(e)) if tries < TRIES && retryable(&e) => {}
            Err(e) if own_failure(&e) => return Err(Isolate),
            Err(e) => return Err(Failed(e.into())),
            Ok(done) => return Ok(done),
        }
    }
}

async fn try_mixed(c: &mut PgConnection, saves: &[Save], runs: &[Run]) -> std::result::Result<Answers, JobError> {
    let mut tx = c.begin().await?;
    // The saves first: a submission in the same batch as a save of its attempt then scores it.
    let saved = save_statements(&mut tx, saves).await?;
    let mut answers = Vec::with_capacity(runs.len());
    for run in runs {
        answers.push(run(&mut tx).await?);
    }
    tx.commit().await?;
    Ok((saved, answers))
}

/// The error each save of a failed batch is answered with (`Unavailable`), the batch's as its cause.
#[derive(Debug, thiserror::Error)]
#[error("the batch of saves this one was written in failed")]
struct BatchFailed(#[source] Arc<StoreError>);

/// Writes `saves` in one transaction; returns whether each was saved. Retries a batch that
/// PostgreSQL rolled back whole for a deadlock or a serialization failure.
async fn write_batch(pool: &PgPool, saves: &[Save]) -> Result<Vec<bool>> {
    write_batch_on(&mut Held { pool: pool.clone(), conn: None }, saves).await
}

/// [`write_batch`] on the flush task's connection.
async fn write_batch_on(held: &mut Held, saves: &[Save]) -> Result<Vec<bool>> {
    let mut tries = 0;
    loop {
        tries += 1;
        let tried = match held.conn().await {
            Ok(c) => try_batch(c, saves).await,
            Err(e) => Err(e),
        };
        match tried {
            Err(e) if tries < TRIES && retryable(&e) => {}
            other => return other.map_err(StoreError::from),
        }
    }
}

async fn try_batch(c: &mut PgConnection, saves: &[Save]) -> sqlx::Result<Vec<bool>> {
    let statements = statements(saves);
    if let [rows] = statements.as_slice() {
        // One statement is its own transaction: committed when it returns.
        let mut saved = vec![false; saves.len()];
        for n in batch_query(saves, rows).fetch_all(&mut *c).await? {
            mark(&mut saved, n);
        }
        return Ok(saved);
    }
    let mut tx = c.begin().await?;
    let saved = save_statements(&mut tx, saves).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The saves' statements, on a transaction begun by the caller; whether each was saved.
async fn save_statements(c: &mut PgConnection, saves: &[Save]) -> sqlx::Result<Vec<bool>> {
    let mut saved = vec![false; saves.len()];
    for rows in &statements(saves) {
        for n in batch_query(saves, rows).fetch_all(&mut *c).await? {
            mark(&mut saved, n);
        }
    }
    Ok(saved)
}

/// Splits saves into statements: statement k holds the (k+1)-th save of each attempt, so that no
/// statement joins one row twice; each in attempt id order.
fn statements(saves: &[Save]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<i64, usize> = HashMap::with_capacity(saves.len());
    let mut statements: Vec<Vec<usize>> = Vec::new();
    for (i, s) in saves.iter().enumerate() {
        let k = seen.entry(s.attempt_id()).or_insert(0);
        if statements.len() <= *k {
            statements.push(Vec::new());
        }
        statements[*k].push(i);
        *k += 1;
    }
    for rows in &mut statements {
        rows.sort_by_key(|&i| saves[i].attempt_id());
    }
    statements
}

fn mark(saved: &mut [bool], n: (i64,)) {
    if let Some(s) = usize::try_from(n.0).ok().and_then(|i| saved.get_mut(i)) {
        *s = true;
    }
}

type BatchQuery = sqlx::query::QueryAs<'static, sqlx::Postgres, (i64,), sqlx::postgres::PgArguments>;

/// The batch statement for the saves at `rows` (indexes into `saves`, each attempt once).
fn batch_query(saves: &[Save], rows: &[usize]) -> BatchQuery {
    let len = rows.len();
    let (mut ids, mut people, mut positions, mut slots, mut predictions, mut nows, mut ns) = (
        Vec::with_capacity(len),
        Vec::with_capacity(len),
        Vec::<Option<i64>>::with_capacity(len),
        Vec::<Option<String>>::with_capacity(len),
        Vec::<Option<i64>>::with_capacity(len),
        Vec::with_capacity(len),
        Vec::with_capacity(len),
    );
    for &i in rows {
        match &saves[i] {
            Save::Answer { attempt_id, participant_id, position, slot, now } => {
                ids.push(*attempt_id);
                people.push(*participant_id);
                positions.push(Some(*position));
                slots.push(Some(slot.clone()));
                predictions.push(None);
                nows.push(*now);
            }
            Save::Prediction { attempt_id, participant_id, prediction, now } => {
                ids.push(*attempt_id);
                people.push(*participant_id);
                positions.push(None);
                slots.push(None);
                predictions.push(Some(*prediction));
                nows.push(*now);
            }
        }
        ns.push(bigint(i));
    }
    sqlx::query_as(BATCH_SQL)
        .bind(ids)
        .bind(people)
        .bind(positions)
        .bind(slots)
        .bind(predictions)
        .bind(nows)
        .bind(ns)
        .bind(crate::model::OPEN)
}

/// How many connections of each pool are open and how many of them are busy, for the server's
/// `cuocthi_store_pool_connections` gauge (docs/OPERATIONS.md, "Ngày cao điểm"): a pool always full
/// means requests wait for the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolUse {
    /// `read`, `write` (SQLite's sqlx pools), `main` (PostgreSQL).
    pub pool: &'static str,
    /// Connections open.
    pub open: u32,
    /// Connections open and not in use.
    pub idle: usize,
    /// The most the pool opens.
    pub max: u32,
}

impl crate::SqlStore {
    /// The use of each sqlx pool now (SQLite's hot path has its own writer thread and readers).
    pub fn pool_use(&self) -> Vec<PoolUse> {
        fn of<Db: sqlx::Database>(pool: &'static str, p: &sqlx::Pool<Db>) -> PoolUse {
            PoolUse { pool, open: p.size(), idle: p.num_idle(), max: p.options().get_max_connections() }
        }
        match &self.pools {
            crate::pool::Pools::Sqlite { read, write } => vec![of("read", read), of("write", write)],
            crate::pool::Pools::Postgres(p) => vec![of("main", p)],
        }
    }
}
