//! Attempts (`attempts`): the participant's path — start, answer and prediction saves, submission
//! — and the reads of results and verification over them.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use cuocthi_domain::attempt::Answers;
use cuocthi_domain::ranking::Scored;
use rusqlite::{OptionalExtension, named_params};
use tracing::instrument;

use super::SqlStore;
use super::participants::participant_insert;
use super::stats::{QUEUE, STARTED, SUBMITTED};
use crate::model::*;
use crate::pg_writer;
use crate::pool::{Pools, WritePool, on, statement};
use crate::sqlite_direct;
use crate::{Result, Scorer, StoreError};

/// The status is bound ([`OPEN`]), not written, as in every statement that finds an attempt by id.
const SAVE_ANSWER: &str = "UPDATE attempts SET answers = substr(answers, 1, CAST($3 AS INTEGER)) || $4 || substr(answers, CAST($3 AS INTEGER) + 2)
     WHERE id = $1 AND participant_id = $2 AND status = $6 AND deadline_at >= $5 AND length(answers) > $3";
const SAVE_PREDICTION: &str =
    "UPDATE attempts SET prediction = $3 WHERE id = $1 AND participant_id = $2 AND status = $5 AND deadline_at >= $4";

const ATTEMPTS_USED: &str = "SELECT COUNT(*) FROM attempts WHERE round_id = $1 AND participant_id = $2";

/// The small conditional writes of a participant in the middle of an attempt: the bulk of all
/// writes (one per answer given).
use crate::pg_writer::Save as SmallWrite;

impl SmallWrite {
    /// Runs the write on the direct SQLite path; returns the rows changed.
    fn run(&self, c: &rusqlite::Connection) -> Result<u64> {
        let changed = match self {
            SmallWrite::Answer { attempt_id, participant_id, position, slot, now } => {
                c.prepare_cached(SAVE_ANSWER)?.execute(named_params! {
                    "$1": attempt_id, "$2": participant_id, "$3": position, "$4": slot, "$5": now, "$6": OPEN,
                })?
            }
            SmallWrite::Prediction { attempt_id, participant_id, prediction, now } => {
                c.prepare_cached(SAVE_PREDICTION)?.execute(
                    named_params! {"$1": attempt_id, "$2": participant_id, "$3": prediction, "$4": now, "$5": OPEN},
                )?
            }
        };
        Ok(changed as u64)
    }
}

/// The statement of a [`SmallWrite`], for whichever backend's executor it is run on.
macro_rules! small_write_query {
    ($w:expr) => {
        match $w {
            SmallWrite::Answer { attempt_id, participant_id, position, slot, now } => sqlx::query(SAVE_ANSWER)
                .bind(*attempt_id)
                .bind(*participant_id)
                .bind(*position)
                .bind(slot.clone())
                .bind(*now)
                .bind(OPEN),
            SmallWrite::Prediction { attempt_id, participant_id, prediction, now } => sqlx::query(SAVE_PREDICTION)
                .bind(*attempt_id)
                .bind(*participant_id)
                .bind(*prediction)
                .bind(*now)
                .bind(OPEN),
        }
    };
}

/// Runs a small write in a group commit: the SQLite writer's next batch, or PostgreSQL's
/// ([`crate::pg_writer`]). Returns the rows changed.
async fn small_write(store: &SqlStore, write: SmallWrite) -> Result<u64> {
    if let Some(d) = &store.direct {
        return d.write(move |c| write.run(c)).await;
    }
    if let Pools::Postgres(p) = &store.pools
        && pg_writer::enabled()
    {
        return Ok(u64::from(pg_writer::save(p, &store.pg_saves, write).await?));
    }
    Ok(on!(store, write, |p| small_write_query!(&write).execute(p).await.map(|r| r.rows_affected()))?)
}

#[instrument(skip_all, fields(round_id = new.round_id))]
pub(super) async fn start_attempt(store: &SqlStore, new: &NewAttempt) -> Result<StartOutcome> {
    let draw = serde_json::to_string(&new.draw)?;
    let blank = Answers::empty(new.draw.len()).encode();
    let open_sql = format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE round_id = $1 AND participant_id = $2 AND status = 'open'"
    );
    let insert_sql = format!(
        "INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, status, started_at, deadline_at, client_tag, device_tag)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11) RETURNING {ATTEMPT_COLUMNS}"
    );
    if let Some(d) = &store.direct {
        return start_direct(d, new, draw, blank).await;
    }
    if let Pools::Postgres(p) = &store.pools {
        return start_on_postgres(p, &store.pg_saves, new, draw, blank).await;
    }
    // SQLite in memory (sqlx's pool, one connection): two simultaneous starts both see no open
    // attempt; the unique indexes let one insert win and the other retry, finding the winner's.
    for _ in 0..5 {
        // The body is an async block so that `?` and `return` end this try, not the retry loop.
        let outcome: Result<StartOutcome> = on!(store, write, |p| async {
            let mut tx = p.begin_write().await?;
            let open: Option<RawAttempt> = sqlx::query_as(sqlx::AssertSqlSafe(open_sql.clone()))
                .bind(new.round_id)
                .bind(new.participant_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(open) = open {
                tx.commit().await?;
                return Ok(StartOutcome::Resumed(open.try_into()?));
            }
            let (used,): (i64,) =
                sqlx::query_as(ATTEMPTS_USED).bind(new.round_id).bind(new.participant_id).fetch_one(&mut *tx).await?;
            if used >= i64::from(new.allowed) {
                // Under READ COMMITTED a start racing the person's last allowed start may miss
                // the winner's open attempt above yet count it here: look once more, and
                // resume it rather than refuse.
                let open: Option<RawAttempt> = sqlx::query_as(sqlx::AssertSqlSafe(open_sql.clone()))
                    .bind(new.round_id)
                    .bind(new.participant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(match open {
                    Some(open) => StartOutcome::Resumed(open.try_into()?),
                    None => StartOutcome::LimitReached { used: count(used)? },
                });
            }
            let row: RawAttempt = sqlx::query_as(sqlx::AssertSqlSafe(insert_sql.clone()))
                .bind(new.round_id)
                .bind(new.participant_id)
                .bind(used + 1)
                .bind(stored_seed(new.seed))
                .bind(&draw)
                .bind(bigint(new.draw.len()))
                .bind(&blank)
                .bind(ms(new.started_at))
                .bind(ms(new.deadline_at))
                .bind(&new.client_tag)
                .bind(&new.device_tag)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(QUEUE).bind(row.id).bind(STARTED).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(StartOutcome::Started(row.try_into()?))
        }
        .await);
        match outcome {
            Err(StoreError::Conflict(_)) => continue,
            other => return other,
        }
    }
    Err(StoreError::unavailable("could not start the attempt under contention"))
}

/// The person's attempts in a round as the writer sees them: how many, and the open one's id.
/// Two index seeks (the unique `(round_id, participant_id, seq)` and the partial `attempts_one_open`):
/// written as one `COUNT` with `MAX(CASE status …)`, SQLite chose the covering `attempts_ranking`
/// and scanned the whole round at every start (a herd's starts then cost O(round) each).
const ATTEMPTS_HELD: &str = "SELECT COUNT(*),
       (SELECT id FROM attempts WHERE round_id = $1 AND participant_id = $2 AND status = 'open')
     FROM attempts WHERE round_id = $1 AND participant_id = $2";

/// A start on the direct SQLite path. One writer: nothing can slip between the look-up and the
/// insert. The job runs on the writer's thread, which every write of the server waits for (a
/// herd of starts at a round's opening is bound by it), so it does the least there: one read of
/// the person's attempts in the round (their count and the open one's id), the insert, and the
/// start's place in the statistics' queue; the row answered is built from what was inserted
/// rather than read back and its draw parsed again. The open attempt, when there is one, is read
/// whole (a resumption: rare).
async fn start_direct(
    d: &sqlite_direct::Direct,
    new: &NewAttempt,
    draw: String,
    blank: String,
) -> Result<StartOutcome> {
    const INSERT: &str = "INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, status, started_at, deadline_at, client_tag, device_tag)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11)";
    let open_sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = $1");
    let (round_id, participant_id, allowed, seed) = (new.round_id, new.participant_id, new.allowed, new.seed);
    let (started_at, deadline_at, questions) = (ms(new.started_at), ms(new.deadline_at), bigint(new.draw.len()));
    let (client_tag, device_tag) = (new.client_tag.clone(), new.device_tag.clone());
    let held = d
        .write(move |c| {
            sqlite_direct::all_or_nothing(c, |c| {
                let key = named_params! {"$1": round_id, "$2": participant_id};
                let (used, open): (i64, Option<i64>) =
                    c.prepare_cached(ATTEMPTS_HELD)?.query_row(key, |r| Ok((r.get(0)?, r.get(1)?)))?;
                if let Some(open) = open {
                    let row = c.prepare_cached(&open_sql)?.query_row([open], sqlite_direct::attempt_from)?;
                    return Ok(Held::Open(Box::new(row)));
                }
                if used >= i64::from(allowed) {
                    return Ok(Held::Full(used));
                }
                c.prepare_cached(INSERT)?.execute(named_params! {
                    "$1": round_id,
                    "$2": participant_id,
                    "$3": used + 1,
                    "$4": stored_seed(seed),
                    "$5": draw,
                    "$6": questions,
                    "$7": blank,
                    "$8": started_at,
                    "$9": deadline_at,
                    "$10": client_tag,
                    "$11": device_tag,
                })?;
                let id = c.last_insert_rowid();
                c.prepare_cached(QUEUE)?.execute(named_params! {"$1": id, "$2": STARTED})?;
                Ok(Held::Started { id, seq: used + 1 })
            })
        })
        .await?;
    Ok(match held {
        Held::Open(row) => StartOutcome::Resumed((*row).try_into()?),
        Held::Full(used) => StartOutcome::LimitReached { used: count(used)? },
        // As the row reads back: times to the millisecond, the seed's bits, no answer yet.
        Held::Started { id, seq } => StartOutcome::Started(AttemptRow {
            id,
            round_id,
            participant_id,
            seq,
            seed: stored_seed(seed).cast_unsigned(),
            draw: new.draw.clone(),
            answers: Answers::empty(new.draw.len()),
            prediction: None,
            status: AttemptStatus::Open,
            started_at: at(started_at),
            deadline_at: at(deadline_at),
            submitted_at: None,
            auto_submitted: false,
            correct: None,
            time_taken_ms: None,
        }),
    })
}

/// What the writer found or did for a start.
enum Held {
    Open(Box<RawAttempt>),
    Full(i64),
    Started { id: i64, seq: i64 },
}

/// A start on PostgreSQL in one statement: the open attempt, the count of attempts used and the
/// insert read one snapshot, so that a start racing the person's last allowed start either sees
/// the winner's attempt (open and counted) or neither; never "limit reached" while the attempt
/// that reached it is open. `ON CONFLICT DO NOTHING`: an insert that collides with one committed
/// after the snapshot (another node's start) writes nothing and fails nothing; the statement is
/// run again, with a new snapshot that sees the winner's attempt. The third branch carries the
/// count when neither of the others has a row. `queued` queues the start for the statistics
/// (`stat_pending`, see `sql::stats`) in the same statement.
const START_PG: &str = "WITH open AS (
    SELECT id, round_id, participant_id, seq, seed, draw, answers, prediction, status, started_at, deadline_at, submitted_at, auto_submitted, correct, time_taken_ms
      FROM attempts WHERE round_id = $1 AND participant_id = $2 AND status = 'open'),
  used AS (SELECT COUNT(*) AS n FROM attempts WHERE round_id = $1 AND participant_id = $2),
  started AS (
    INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, status, started_at, deadline_at, client_tag, device_tag)
    SELECT $1, $2, used.n + 1, $3, $4, $5, $6, 'open', $7, $8, $9, $10 FROM used
     WHERE used.n < $11 AND NOT EXISTS (SELECT 1 FROM open)
    ON CONFLICT DO NOTHING
    RETURNING id, round_id, participant_id, seq, seed, draw, answers, prediction, status, started_at, deadline_at, submitted_at, auto_submitted, correct, time_taken_ms),
  queued AS (INSERT INTO stat_pending (attempt_id, kind) SELECT id, 1 FROM started)
SELECT 0::BIGINT AS outcome, (SELECT n FROM used) AS used, started.* FROM started
UNION ALL SELECT 1, (SELECT n FROM used), open.* FROM open
UNION ALL SELECT 2, used.n, 0, 0, 0, 0, 0, '', '', NULL, '', 0, 0, NULL, 0, NULL, NULL FROM used
  WHERE NOT EXISTS (SELECT 1 FROM started) AND NOT EXISTS (SELECT 1 FROM open)";

/// A row of [`START_PG`]: which branch (0 started, 1 the open attempt, 2 neither) and the count.
#[derive(sqlx::FromRow)]
struct StartRow {
    outcome: i64,
    used: i64,
    #[sqlx(flatten)]
    attempt: RawAttempt,
}

async fn start_on_postgres(
    pool: &sqlx::PgPool,
    group: &std::sync::Arc<pg_writer::Group>,
    new: &NewAttempt,
    draw: String,
    blank: String,
) -> Result<StartOutcome> {
    let new = std::sync::Arc::new((new.clone(), draw, blank));
    pg_writer::transaction(pool, group, move |c| {
        let new = new.clone();
        Box::pin(async move {
            let (new, draw, blank) = &*new;
            for _ in 0..5 {
                let row: StartRow = sqlx::query_as(START_PG)
                    .bind(new.round_id)
                    .bind(new.participant_id)
                    .bind(stored_seed(new.seed))
                    .bind(draw)
                    .bind(bigint(new.draw.len()))
                    .bind(blank)
                    .bind(ms(new.started_at))
                    .bind(ms(new.deadline_at))
                    .bind(&new.client_tag)
                    .bind(&new.device_tag)
                    .bind(i64::from(new.allowed))
                    .fetch_one(&mut *c)
                    .await?;
                match row.outcome {
                    0 => return Ok(Ok(StartOutcome::Started(row.attempt.try_into()?))),
                    1 => return Ok(Ok(StartOutcome::Resumed(row.attempt.try_into()?))),
                    _ if row.used >= i64::from(new.allowed) => {
                        return Ok(Ok(StartOutcome::LimitReached { used: count(row.used)? }));
                    }
                    // Collided with a start committed after this statement's snapshot: again.
                    _ => continue,
                }
            }
            Ok(Err(StoreError::unavailable("could not start the attempt under contention")))
        })
    })
    .await
}

pub(super) async fn attempt(store: &SqlStore, id: i64) -> Result<Option<AttemptRow>> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = $1");
    if let Some(d) = &store.direct {
        let raw = d.read_row(&sql, named_params! {"$1": id}, sqlite_direct::attempt_from)?;
        return raw.map(AttemptRow::try_from).transpose();
    }
    let raw: Option<RawAttempt> = statement!(store, read, fetch_optional, sqlx::AssertSqlSafe(sql), id)?;
    raw.map(AttemptRow::try_from).transpose()
}

pub(super) async fn attempts_of(store: &SqlStore, participant_id: i64) -> Result<Vec<AttemptRow>> {
    let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE participant_id = $1 ORDER BY id");
    if let Some(d) = &store.direct {
        let raw = d.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(named_params! {"$1": participant_id}, sqlite_direct::attempt_from)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        return raw.into_iter().map(AttemptRow::try_from).collect();
    }
    let raw: Vec<RawAttempt> = statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), participant_id)?;
    raw.into_iter().map(AttemptRow::try_from).collect()
}

/// An attempt with the number of attempts its person has started in its round and its contest's
/// voids, in one read: the submission and the result page need all three, and asked them apart, a
/// round trip each. The count goes through the index of the person's attempts, not their rows
/// (reading the rows decoded every draw of them); the voids (a handful of rows at most) come as
/// `id:mode` joined by commas (`string_agg`, which SQLite has since 3.44).
pub(super) async fn attempt_in_context(store: &SqlStore, id: i64) -> Result<Option<AttemptInContext>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {ATTEMPT_COLUMNS}, (SELECT COUNT(*) FROM attempts u
               WHERE u.participant_id = a.participant_id AND u.round_id = a.round_id) AS used,
             (SELECT string_agg(CAST(v.question_id AS TEXT) || ':' || v.mode, ',') FROM question_voids v
               WHERE v.contest_id = (SELECT r.contest_id FROM rounds r WHERE r.id = a.round_id)) AS voids
             FROM attempts a WHERE a.id = $1"
        )
    });
    let raw = if let Some(d) = &store.direct {
        d.read_row(&SQL, named_params! {"$1": id}, |r| {
            Ok(RawInContext { attempt: sqlite_direct::attempt_from(r)?, used: r.get(15)?, voids: r.get(16)? })
        })?
    } else {
        statement!(store, read, fetch_optional, sqlx::AssertSqlSafe(SQL.as_str()), id)?
    };
    raw.map(|r: RawInContext| {
        let voids = r.voids.as_deref().map_or(Ok(Vec::new()), voids_from)?;
        Ok(AttemptInContext { row: AttemptRow::try_from(r.attempt)?, used: count(r.used)?, voids })
    })
    .transpose()
}

/// [`AttemptInContext`] as read.
#[derive(sqlx::FromRow)]
struct RawInContext {
    #[sqlx(flatten)]
    attempt: RawAttempt,
    used: i64,
    voids: Option<String>,
}

/// The voids as [`attempt_in_context`] reads them: `id:mode,id:mode…`.
fn voids_from(joined: &str) -> Result<Vec<(i64, String)>> {
    joined
        .split(',')
        .map(|v| {
            let (id, mode) = v.split_once(':').ok_or_else(|| StoreError::Corrupt(format!("void {v:?}").into()))?;
            let id = id.parse().map_err(|e| StoreError::Corrupt(Box::new(e)))?;
            Ok((id, mode.to_string()))
        })
        .collect()
}

pub(super) async fn save_answer(
    store: &SqlStore,
    attempt_id: i64,
    participant_id: i64,
    position: usize,
    slot: char,
    now: DateTime<Utc>,
) -> Result<bool> {
    // One statement: the condition and the write are atomic on both backends, and a concurrent
    // submission (which flips the status under the same row lock) can never miss this answer.
    let write = SmallWrite::Answer {
        attempt_id,
        participant_id,
        position: bigint(position),
        slot: slot.to_string(),
        now: ms(now),
    };
    let done = small_write(store, write).await?;
    Ok(done == 1)
}

pub(super) async fn save_prediction(
    store: &SqlStore,
    attempt_id: i64,
    participant_id: i64,
    prediction: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done =
        small_write(store, SmallWrite::Prediction { attempt_id, participant_id, prediction, now: ms(now) }).await?;
    Ok(done == 1)
}

#[instrument(skip_all, fields(attempt_id))]
pub(super) async fn submit_attempt(
    store: &SqlStore,
    attempt_id: i64,
    submitted_at: DateTime<Utc>,
    auto: bool,
    scorer: Scorer,
) -> Result<Option<AttemptRow>> {
    if let Pools::Postgres(p) = &store.pools {
        return submit_on_postgres(p, &store.pg_saves, attempt_id, submitted_at, auto, scorer).await;
    }
    let close_sql = format!(
        "UPDATE attempts SET status = 'submitted', submitted_at = $2, auto_submitted = $3 WHERE id = $1 AND status = 'open' RETURNING {ATTEMPT_COLUMNS}"
    );
    const SCORE_SQL: &str = "UPDATE attempts SET correct = $2, time_taken_ms = $3 WHERE id = $1";
    if let Some(d) = &store.direct {
        return d
            .write(move |c| {
                sqlite_direct::all_or_nothing(c, |c| {
                    let closed = c
                        .prepare_cached(&close_sql)?
                        .query_row(
                            named_params! {"$1": attempt_id, "$2": ms(submitted_at), "$3": flag(auto)},
                            sqlite_direct::attempt_from,
                        )
                        .optional()?;
                    let Some(closed) = closed else { return Ok(None) };
                    let mut row = AttemptRow::try_from(closed)?;
                    let (correct, taken) = scorer(&row);
                    c.prepare_cached(SCORE_SQL)?
                        .execute(named_params! {"$1": attempt_id, "$2": i64::from(correct), "$3": taken})?;
                    c.prepare_cached(QUEUE)?.execute(named_params! {"$1": attempt_id, "$2": SUBMITTED})?;
                    row.correct = Some(correct);
                    row.time_taken_ms = Some(taken);
                    Ok(Some(row))
                })
            })
            .await;
    }
    let close_sql = sqlx::AssertSqlSafe(close_sql);
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let closed: Option<RawAttempt> = sqlx::query_as(close_sql)
            .bind(attempt_id)
            .bind(ms(submitted_at))
            .bind(flag(auto))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(closed) = closed else {
            tx.commit().await?;
            return Ok(None);
        };
        let mut row = AttemptRow::try_from(closed)?;
        let (correct, taken) = scorer(&row);
        sqlx::query(SCORE_SQL).bind(attempt_id).bind(i64::from(correct)).bind(taken).execute(&mut *tx).await?;
        sqlx::query(QUEUE).bind(attempt_id).bind(SUBMITTED).execute(&mut *tx).await?;
        tx.commit().await?;
        row.correct = Some(correct);
        row.time_taken_ms = Some(taken);
        Ok(Some(row))
    })
}

/// The open attempt read and locked by a submission on PostgreSQL (the status bound: [`OPEN`]).
static LOCK_OPEN: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = $1 AND status = $2 FOR UPDATE"));

/// A submission on PostgreSQL, in the pool's group commit: the open row is read and locked, then
/// closed, scored and queued for the statistics in one statement — one new version of the row
/// instead of two. Each version changes indexed columns (the status, the score), so each wrote an
/// entry in every index of `attempts` (docs/PERFORMANCE.md, issue 16's sixth part).
async fn submit_on_postgres(
    pool: &sqlx::PgPool,
    group: &std::sync::Arc<pg_writer::Group>,
    attempt_id: i64,
    submitted_at: DateTime<Utc>,
    auto: bool,
    scorer: Scorer,
) -> Result<Option<AttemptRow>> {
    const CLOSE_AND_QUEUE: &str = "WITH closed AS (
        UPDATE attempts SET status = 'submitted', submitted_at = $2, auto_submitted = $3, correct = $4, time_taken_ms = $5
         WHERE id = $1)
        INSERT INTO stat_pending (attempt_id, kind) VALUES ($1, 2)";
    pg_writer::transaction(pool, group, move |c| {
        let scorer = scorer.clone();
        Box::pin(async move {
            let open: Option<RawAttempt> = sqlx::query_as(sqlx::AssertSqlSafe(LOCK_OPEN.as_str()))
                .bind(attempt_id)
                .bind(OPEN)
                .fetch_optional(&mut *c)
                .await?;
            let Some(open) = open else { return Ok(Ok(None)) };
            // The row as the close writes it, as SQLite's close returns it to the scorer.
            let mut row = AttemptRow::try_from(open)?;
            row.status = AttemptStatus::Submitted;
            row.submitted_at = Some(at(ms(submitted_at)));
            row.auto_submitted = auto;
            let (correct, taken) = scorer(&row);
            sqlx::query(CLOSE_AND_QUEUE)
                .bind(attempt_id)
                .bind(ms(submitted_at))
                .bind(flag(auto))
                .bind(i64::from(correct))
                .bind(taken)
                .execute(&mut *c)
                .await?;
            row.correct = Some(correct);
            row.time_taken_ms = Some(taken);
            Ok(Ok(Some(row)))
        })
    })
    .await
}

pub(super) async fn due_attempts(store: &SqlStore, now: DateTime<Utc>, limit: i64) -> Result<Vec<i64>> {
    let sql = "SELECT id FROM attempts WHERE status = 'open' AND deadline_at < $1 ORDER BY deadline_at LIMIT $2";
    let rows: Vec<(i64,)> = statement!(store, read, fetch_all, sql, ms(now), limit)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub(super) async fn scored_attempts(store: &SqlStore, round_id: i64) -> Result<Vec<Scored>> {
    const SQL: &str = "SELECT id, participant_id, correct, questions, prediction, time_taken_ms, submitted_at
         FROM attempts WHERE round_id = $1 AND status = 'submitted' ORDER BY id";
    type Raw = (i64, i64, Option<i64>, i64, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<Raw> = match &store.direct {
        // A million rows: read in place, not one channel message per row as through sqlx.
        Some(d) => {
            d.read_long(move |c| {
                let mut stmt = c.prepare_cached(SQL)?;
                let rows = stmt.query_map(named_params! {"$1": round_id}, |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })?;
                Ok(rows.collect::<rusqlite::Result<Vec<Raw>>>()?)
            })
            .await?
        }
        None => statement!(store, read, fetch_all, SQL, round_id)?,
    };
    rows.into_iter()
        .map(|(attempt_id, participant_id, correct, questions, prediction, taken, at)| {
            Ok(Scored {
                attempt_id,
                participant_id,
                correct: count(correct.unwrap_or(0))?,
                questions: count(questions)?,
                prediction,
                time_taken_ms: taken.unwrap_or(i64::MAX),
                submitted_at_ms: at.unwrap_or(i64::MAX),
            })
        })
        .collect()
}

pub(super) async fn round_counts(store: &SqlStore, round_id: i64) -> Result<RoundCounts> {
    let sql = "SELECT COUNT(DISTINCT participant_id), COUNT(*), SUM(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END)
         FROM attempts WHERE round_id = $1";
    let (people, attempts, submitted): (i64, i64, Option<i64>) = statement!(store, read, fetch_one, sql, round_id)?;
    Ok(RoundCounts { people, attempts, submitted: submitted.unwrap_or(0) })
}

#[instrument(skip_all, fields(round_id, n = rows.len()))]
pub(super) async fn bulk_insert_submitted(
    store: &SqlStore,
    contest_id: i64,
    round_id: i64,
    rows: &[BulkAttempt],
) -> Result<usize> {
    for chunk in rows.chunks(5000) {
        on!(store, write, |p| {
            let mut tx = p.begin_write().await?;
            let mut queued = Vec::with_capacity(chunk.len());
            for r in chunk {
                let who = &r.identity;
                let person: RawParticipant =
                    participant_insert!(contest_id, &r.person_key, who, true, Some("bulk"), ms(r.started_at))
                        .fetch_one(&mut *tx)
                        .await?;
                let pid = person.id;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, prediction, status, started_at, deadline_at, submitted_at, auto_submitted, correct, time_taken_ms)
                     VALUES ($1, $2, 1, $3, $4, $5, $6, $7, 'submitted', $8, $9, $9, 0, $10, $11) RETURNING id",
                )
                .bind(round_id)
                .bind(pid)
                .bind(stored_seed(r.seed))
                .bind(serde_json::to_string(&r.draw)?)
                .bind(bigint(r.draw.len()))
                .bind(r.answers.encode())
                .bind(r.prediction)
                .bind(ms(r.started_at))
                .bind(ms(r.submitted_at))
                .bind(i64::from(r.correct))
                .bind(r.time_taken_ms)
                .fetch_one(&mut *tx)
                .await?;
                queued.push(id);
            }
            // Each attempt's start and submission wait for the statistics' counting.
            for ids in queued.chunks(1000) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO stat_pending (attempt_id, kind) ");
                q.push_values(ids.iter().flat_map(|id| [(id, STARTED), (id, SUBMITTED)]), |mut b, (id, kind)| {
                    b.push_bind(*id).push_bind(kind);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
    }
    Ok(rows.len())
}

pub(super) async fn submitted_attempts(
    store: &SqlStore,
    round_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<AttemptRow>> {
    let sql = "SELECT * FROM attempts WHERE round_id = $1 AND status = 'submitted' AND id > $2 ORDER BY id LIMIT $3";
    let raw: Vec<RawAttempt> = statement!(store, read, fetch_all, sql, round_id, after_id, limit)?;
    raw.into_iter().map(AttemptRow::try_from).collect()
}

/// Below this many attempts the plans do not matter yet ([`SqlStore::analyse_if_grown`]).
const ANALYSE_FROM: f64 = 200.0;
/// The advisory lock of the node analysing `attempts` (every node checks; one analyses).
const ANALYSE_LOCK: i64 = 0x0063_7561_6e61_6c79;

impl SqlStore {
    /// Analyses `attempts` on PostgreSQL when it holds at least [`ANALYSE_FROM`] rows and more
    /// than twice as many as at its last analysis; whether it did (a no-op on SQLite).
    ///
    /// PostgreSQL keeps each connection's plan of a statement until the table's statistics
    /// change, and a plan made over a nearly empty table reads all of it: on a brand-new database
    /// a round's first herd ran on plans made over none (every start counted the person's attempts
    /// through every entry of the round: 20,000 starts, p99 72 s), and autovacuum, where it runs,
    /// analyses a minute later at best. Analysed at each doubling, every connection plans again
    /// over the table as it is — a handful of times in the table's life.
    pub async fn analyse_if_grown(&self) -> Result<bool> {
        let Pools::Postgres(p) = &self.pools else { return Ok(false) };
        let (analysed, live): (f64, i64) = sqlx::query_as(
            "SELECT c.reltuples::float8, COALESCE(s.n_live_tup, 0) FROM pg_class c
               LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = 'attempts'::regclass",
        )
        .fetch_one(p)
        .await?;
        #[allow(clippy::cast_precision_loss)] // a count of rows, compared with an estimate
        let live = live as f64;
        if live < ANALYSE_FROM || live <= 2.0 * analysed.max(0.0) {
            return Ok(false);
        }
        let mut tx = p.begin().await?;
        let (locked,): (bool,) =
            sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)").bind(ANALYSE_LOCK).fetch_one(&mut *tx).await?;
        if locked {
            sqlx::query("ANALYZE attempts").execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(locked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer's look-up at every start seeks the person's attempts by index: it must not
    /// scan the round (a covering index on `round_id` alone tempted SQLite once).
    #[tokio::test]
    async fn a_start_looks_up_the_person_by_index() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqlStore::connect(&format!("sqlite://{}/t.db", dir.path().display())).await.expect("connect");
        store.migrate().await.expect("migrate");
        let d = store.direct.as_ref().expect("the direct SQLite path");
        let sql = format!("EXPLAIN QUERY PLAN {ATTEMPTS_HELD}");
        let plan: Vec<String> = d
            .read(|c| {
                let mut stmt = c.prepare(&sql)?;
                let rows = stmt.query_map(named_params! {"$1": 1, "$2": 2}, |r| r.get::<_, String>(3))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .expect("plan");
        let reads: Vec<&String> = plan.iter().filter(|s| s.starts_with("SEARCH") || s.starts_with("SCAN")).collect();
        assert_eq!(reads.len(), 2, "{plan:?}");
        assert!(reads.iter().all(|s| s.contains("(round_id=? AND participant_id=?)")), "{plan:?}");
        assert!(plan.iter().any(|step| step.contains("attempts_one_open")), "{plan:?}");
    }

    /// A migrated PostgreSQL store with one contest (the Quảng Ninh example), a connection of the
    /// test's own, and the SQL that gives people `from..=to` a submitted attempt each in the
    /// contest's first round.
    async fn postgres_with_a_round(
        db: &cuocthi_testkit::TestDb,
    ) -> (SqlStore, sqlx::PgConnection, impl Fn(i64, i64) -> String) {
        use sqlx::Connection;

        use crate::Store;

        let store = SqlStore::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
        let spec = cuocthi_domain::contest::ContestDef::from_toml(source).expect("reads").validate().expect("valid");
        let contest = store.insert_contest(&spec, Utc::now()).await.expect("a contest");
        let round = store.contest_by_id(contest).await.expect("read").expect("the contest").rounds[0].id;
        let c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        let fill = move |from: i64, to: i64| {
            format!(
                "INSERT INTO participants (contest_id, person_key, complete, created_at)
                   SELECT {contest}, 'k' || g, 1, 0 FROM generate_series({from}, {to}) g;
                 INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, status, started_at, deadline_at)
                   SELECT {round}, p.id, 1, 0, '[]', 0, '', 'submitted', 0, 0 FROM participants p
                    WHERE NOT EXISTS (SELECT 1 FROM attempts a WHERE a.participant_id = p.id);"
            )
        };
        (store, c, fill)
    }

    /// PostgreSQL plans each statement once per connection and keeps the plan. Planned where the
    /// statistics say that no attempt is open — a round behind, the next one just opened — every
    /// statement that finds an attempt by id must still seek it through an index on the
    /// index's first column: with `status = 'open'` written as a literal, the plans read the whole
    /// partial index of open attempts (`attempts_one_open`, `attempts_due`) to find one id, which
    /// with 100,000 takers is 100,000 entries for every answer saved.
    #[tokio::test]
    async fn statements_by_id_seek_the_attempt_however_few_were_open_when_planned() {
        let db = cuocthi_testkit::TestDb::postgres().await;
        let (_, mut c, fill) = postgres_with_a_round(&db).await;
        // A round behind: 2,000 people, each with a submitted attempt; then the statistics.
        sqlx::raw_sql(sqlx::AssertSqlSafe(fill(1, 2000))).execute(&mut c).await.expect("attempts");
        sqlx::raw_sql("ANALYZE attempts; SET plan_cache_mode = force_generic_plan").execute(&mut c).await.expect("set");
        let statements = [
            (
                "saves",
                pg_writer::BATCH_SQL,
                "bigint[], bigint[], bigint[], text[], bigint[], bigint[], bigint[], text",
                "'{1}', '{1}', '{0}', '{1}', '{NULL}', '{0}', '{0}', 'open'",
            ),
            ("save", SAVE_ANSWER, "bigint, bigint, bigint, text, bigint, text", "1, 1, 0, '1', 0, 'open'"),
            ("prediction", SAVE_PREDICTION, "bigint, bigint, bigint, bigint, text", "1, 1, 7, 0, 'open'"),
            ("lock", LOCK_OPEN.as_str(), "bigint, text", "1, 'open'"),
        ];
        for (name, sql, types, args) in statements {
            let prepare = format!("PREPARE {name} ({types}) AS {sql}");
            sqlx::raw_sql(sqlx::AssertSqlSafe(prepare)).execute(&mut c).await.expect("prepare");
            let explain = format!("EXPLAIN EXECUTE {name} ({args})");
            let plan: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(explain)).fetch_all(&mut c).await.expect("a plan");
            let scans: Vec<usize> =
                plan.iter().enumerate().filter(|(_, l)| l.contains("Scan")).map(|(i, _)| i).collect();
            assert!(!scans.is_empty(), "{name}: {plan:#?}");
            for i in scans.into_iter().filter(|&i| plan[i].contains(" on attempts")) {
                let index = plan[i]
                    .split("Index Scan using ")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .unwrap_or_else(|| panic!("{name}: attempts read through an index: {plan:#?}"));
                let (first,): (String,) = sqlx::query_as(
                    "SELECT a.attname::text FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                      WHERE x.relname = $1",
                )
                .bind(index)
                .fetch_one(&mut c)
                .await
                .expect("the index's first column");
                let sought =
                    plan.get(i + 1).is_some_and(|l| l.contains("Index Cond:") && l.contains(&format!("({first} = ")));
                assert!(sought, "{name}: {index} sought by its first column, {first}: {plan:#?}");
            }
        }
    }

    /// `attempts` is analysed once it holds 200 rows, then again only when it has doubled; on
    /// SQLite never.
    #[tokio::test]
    async fn attempts_are_analysed_as_the_table_doubles() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let sqlite = SqlStore::connect(&format!("sqlite://{}/t.db", dir.path().display())).await.expect("connect");
        sqlite.migrate().await.expect("migrate");
        assert!(!sqlite.analyse_if_grown().await.expect("a check"), "SQLite: nothing to do");

        let db = cuocthi_testkit::TestDb::postgres().await;
        let (store, mut c, fill) = postgres_with_a_round(&db).await;
        let mut analysed = Vec::new();
        let mut rows = 0;
        for to in [150, 250, 400, 520, 1100] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(fill(rows + 1, to))).execute(&mut c).await.expect("attempts");
            rows = to;
            // The statistics of the table are flushed by the backend that wrote, within a second.
            let mut did = false;
            for _ in 0..50 {
                let (live,): (i64,) =
                    sqlx::query_as("SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = 'attempts'::regclass")
                        .fetch_one(&mut c)
                        .await
                        .expect("stats");
                if live == to {
                    did = store.analyse_if_grown().await.expect("a check");
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            analysed.push((to, did));
        }
        assert_eq!(analysed, vec![(150, false), (250, true), (400, false), (520, true), (1100, true)]);
    }
}
