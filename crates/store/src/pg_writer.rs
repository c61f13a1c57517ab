//! PostgreSQL's group commit for the participant's small writes (answer and prediction saves), as
//! SQLite has its writer thread ([`crate::sqlite_direct`]).
//!
//! On PostgreSQL each save used to be its own statement, transaction and WAL flush. Here every save
//! waiting for a pool goes into one queue; one flush task at a time takes all of them (up to
//! [`BATCH_MAX`]) and writes them with one `UPDATE attempts … FROM unnest(…)` — each row under the
//! same conditions as the single statement (the attempt, its participant, `status = 'open'`, the
//! deadline not passed, the position within the answers) — and `RETURNING` which saves were
//! written. A save is answered only after that statement's transaction has committed
//! (`synchronous_commit` stays on), each with its own outcome; if the batch fails (a dropped
//! connection, a failed commit) every save of it is answered with the error, none acknowledged. A
//! lone save is a batch of one and waits for nothing.
//!
//! - Two saves of one attempt in a batch go into successive statements of one transaction, in the
//!   order they came (an `UPDATE … FROM` joining one row twice would apply only one of them).
//! - Rows are given in attempt id order, so two batches (of two app nodes) lock rows in the same
//!   order; a deadlock or serialization failure (the transaction rolled back whole) is retried.
//! - A save the batch statement could fail on for itself alone (a position beyond `INTEGER`, a NUL
//!   in the slot) runs alone, so that it cannot fail the others.
//!
//! The queue is a field of the store (`SqlStore::pg_saves`); the flush task holds a clone of the
//! pool only while there is work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::model::bigint;
use crate::{Result, StoreError};

/// Most saves written together.
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
/// statement. The conditions are those of the single statements in `sql/attempts.rs`.
const BATCH_SQL: &str = "UPDATE attempts AS a SET
    answers = CASE WHEN u.pos IS NULL THEN a.answers
              ELSE substr(a.answers, 1, CAST(u.pos AS INTEGER)) || u.slot || substr(a.answers, CAST(u.pos AS INTEGER) + 2) END,
    prediction = CASE WHEN u.pos IS NULL THEN u.prediction ELSE a.prediction END
  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
    AS u(id, participant_id, pos, slot, prediction, now, n)
  WHERE a.id = u.id AND a.participant_id = u.participant_id AND a.status = 'open' AND a.deadline_at >= u.now
    AND (u.pos IS NULL OR length(a.answers) > u.pos)
  RETURNING u.n";

struct Job {
    save: Save,
    done: oneshot::Sender<Result<bool>>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// A flush task is running (and will take what is queued before it stops).
    busy: bool,
}

/// The queue of one store's PostgreSQL pool, held by the store (`SqlStore::pg_saves`).
#[derive(Default)]
pub(crate) struct Group {
    queue: Mutex<Queue>,
}

/// Whether saves go through the group commit: yes unless `CUOCTHI_PG_GROUP_COMMIT=0`, which
/// writes each save alone as before (kept for measuring one against the other in one build).
pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var("CUOCTHI_PG_GROUP_COMMIT").map_or(true, |v| v != "0"))
}

/// Runs `save` in the pool's next batch; answers once that batch is committed: whether it was
/// saved (the attempt is the person's, open, before its deadline, and the position exists).
pub(crate) async fn save(pool: &PgPool, group: &Arc<Group>, save: Save) -> Result<bool> {
    if !save.batchable() {
        return Ok(write_batch(pool, std::slice::from_ref(&save)).await?[0]);
    }
    let (done, reply) = oneshot::channel();
    let start = {
        let mut q = group.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.jobs.push(Job { save, done });
        !std::mem::replace(&mut q.busy, true)
    };
    if start {
        tokio::spawn(flush(group.clone(), pool.clone()));
    }
    reply.await.map_err(|_| StoreError::unavailable("the PostgreSQL group commit did not answer"))?
}

/// Clears `busy` if the flush task ends other than by finding the queue empty (a panic, the
/// runtime shutting down): the saves still queued are dropped, so answered as failed, and the next
/// save starts a new task.
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

/// Takes every waiting save, writes them, answers each; until the queue is empty.
async fn flush(group: Arc<Group>, pool: PgPool) {
    let mut flushing = Flushing { group, finished: false };
    loop {
        let batch: Vec<Job> = {
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
        let saves: Vec<Save> = batch.iter().map(|j| j.save.clone()).collect();
        match write_batch(&pool, &saves).await {
            Ok(saved) => {
                for (job, saved) in batch.into_iter().zip(saved) {
                    let _ = job.done.send(Ok(saved));
                }
            }
            Err(e) => {
                let cause = Arc::new(e);
                for job in batch {
                    let _ = job.done.send(Err(StoreError::Unavailable(Box::new(BatchFailed(cause.clone())))));
                }
            }
        }
    }
}

/// The error each save of a failed batch is answered with (`Unavailable`), the batch's as its cause.
#[derive(Debug, thiserror::Error)]
#[error("the batch of saves this one was written in failed")]
struct BatchFailed(#[source] Arc<StoreError>);

/// Writes `saves` in one transaction; returns whether each was saved. Retries a batch that
/// PostgreSQL rolled back whole for a deadlock or a serialization failure.
async fn write_batch(pool: &PgPool, saves: &[Save]) -> Result<Vec<bool>> {
    let mut tries = 0;
    loop {
        tries += 1;
        match try_batch(pool, saves).await {
            Err(sqlx::Error::Database(d))
                if tries < TRIES && matches!(d.code().as_deref(), Some("40P01") | Some("40001")) => {}
            other => return other.map_err(StoreError::from),
        }
    }
}

async fn try_batch(pool: &PgPool, saves: &[Save]) -> sqlx::Result<Vec<bool>> {
    // Statement k holds the (k+1)-th save of each attempt, so that no statement joins one row twice.
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
    let mut saved = vec![false; saves.len()];
    if let [rows] = statements.as_slice() {
        // One statement is its own transaction: committed when it returns.
        for n in batch_query(saves, rows).fetch_all(pool).await? {
            mark(&mut saved, n);
        }
        return Ok(saved);
    }
    let mut tx = pool.begin().await?;
    for rows in &statements {
        for n in batch_query(saves, rows).fetch_all(&mut *tx).await? {
            mark(&mut saved, n);
        }
    }
    tx.commit().await?;
    Ok(saved)
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
    sqlx::query_as(BATCH_SQL).bind(ids).bind(people).bind(positions).bind(slots).bind(predictions).bind(nows).bind(ns)
}
