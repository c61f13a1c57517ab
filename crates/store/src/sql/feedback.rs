//! Feedback on questions (`question_reports`) and the questions the committee voided
//! (`question_voids`) — a void written together with its audit entry and the scores it changes,
//! in one transaction, so that no void ever stands without its record or its re-scoring.

use rusqlite::{Connection, named_params};

use super::SqlStore;
use super::audit::{AUDIT_LOCK, append_in};
use crate::console::{AuditRow, NewAudit};
use crate::feedback::*;
use crate::model::*;
use crate::pool::{WritePool, on, statement};
use crate::{Result, StoreError};

/// A contest's voids, oldest first, with [`VoidRow`]'s columns in order (read by both drivers).
const VOIDS_OF_CONTEST: &str =
    "SELECT id, contest_id, question_id, mode, reason, report_id, created_by, created_at, audit_id
     FROM question_voids WHERE contest_id = $1 ORDER BY id";

/// An attempt with the number of its questions that count (`attempts.questions`).
#[derive(sqlx::FromRow)]
struct RawDrawing {
    #[sqlx(flatten)]
    attempt: RawAttempt,
    questions: i64,
}

const REPORT_ORDER: &str = "ORDER BY CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END, id DESC";

/// Writes `$rows` ([`Rescore`]s) inside transaction `$tx`. The score a submission's seal covered
/// is kept (`sealed_correct`) the first time a void changes a sealed attempt, so the seal stays
/// checkable; the caller holds the audit lock, which the sealing also takes, so no seal is made
/// between reading a score and changing it.
macro_rules! apply_rescores {
    ($tx:ident, $rows:expr) => {{
        let mut changed: u64 = 0;
        for r in $rows {
            let n = match r.correct {
                Some(correct) => sqlx::query(
                    "UPDATE attempts SET
                        sealed_correct = CASE WHEN sealed_in IS NOT NULL AND sealed_correct IS NULL THEN correct ELSE sealed_correct END,
                        correct = $2, questions = $3
                     WHERE id = $1 AND status = 'submitted'",
                )
                .bind(r.attempt_id)
                .bind(correct)
                .bind(r.questions)
                .execute(&mut *$tx)
                .await?
                .rows_affected(),
                None => sqlx::query("UPDATE attempts SET questions = $2 WHERE id = $1 AND status = $3")
                    .bind(r.attempt_id)
                    .bind(r.questions)
                    .bind(crate::model::OPEN)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected(),
            };
            changed += n;
        }
        changed
    }};
}

/// Records a report unless the person already sent their quota in the window (`None`). The
/// count and the insert are one transaction, and concurrent reports of one person wait for
/// each other (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the person's row locked), so two sent at
/// once cannot both pass a count of four.
pub(super) async fn insert_report(store: &SqlStore, r: &NewReport<'_>) -> Result<Option<i64>> {
    let postgres = store.pools.is_postgres();
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        if postgres {
            sqlx::query("SELECT id FROM participants WHERE id = $1 FOR NO KEY UPDATE")
                .bind(r.participant_id)
                .execute(&mut *tx)
                .await?;
        }
        let (sent,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM question_reports q JOIN attempts a ON a.id = q.attempt_id
             WHERE a.participant_id = $1 AND q.created_at > $2",
        )
        .bind(r.participant_id)
        .bind(r.window_start)
        .fetch_one(&mut *tx)
        .await?;
        if sent >= r.per_window {
            return Ok(None);
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO question_reports (contest_id, attempt_id, question_id, position, message, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(r.contest_id)
        .bind(r.attempt_id)
        .bind(r.question_id)
        .bind(r.position)
        .bind(r.message)
        .bind(r.created_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    })
}

pub(super) async fn reports(store: &SqlStore, contest_id: i64, filter: &ReportFilter) -> Result<Vec<ReportRow>> {
    let ReportFilter { question_id, attempt_id, open_only, limit } = *filter;
    let sql = format!(
        "SELECT * FROM question_reports WHERE contest_id = $1 AND ($2 IS NULL OR question_id = $2)
           AND ($3 IS NULL OR attempt_id = $3) AND ($4 = 0 OR closed_at IS NULL) {REPORT_ORDER} LIMIT $5"
    );
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(statement!(store, read, fetch_all, sql, contest_id, question_id, attempt_id, flag(open_only), limit)?)
}

pub(super) async fn report(store: &SqlStore, id: i64) -> Result<Option<ReportRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM question_reports WHERE id = $1", id)?)
}

/// Sets the reply (replacing an earlier one) and, with `close`, closes the report.
pub(super) async fn reply_report(
    store: &SqlStore,
    id: i64,
    reply: &str,
    by: &str,
    at: i64,
    close: bool,
) -> Result<bool> {
    let sql = "UPDATE question_reports SET reply = $2, replied_by = $3, replied_at = $4,
            closed_by = CASE WHEN $5 = 1 AND closed_at IS NULL THEN $3 ELSE closed_by END,
            closed_at = CASE WHEN $5 = 1 AND closed_at IS NULL THEN $4 ELSE closed_at END
         WHERE id = $1";
    Ok(statement!(store, write, execute, sql, id, reply, by, at, flag(close))? == 1)
}

/// Closes a report (`Some((by, at))`) or opens it again (`None`).
pub(super) async fn close_report(store: &SqlStore, id: i64, closed: Option<(&str, i64)>) -> Result<bool> {
    let (by, at) = closed.map_or((None, None), |(b, a)| (Some(b), Some(a)));
    let sql = "UPDATE question_reports SET closed_by = $2, closed_at = $3 WHERE id = $1";
    Ok(statement!(store, write, execute, sql, id, by, at)? == 1)
}

pub(super) async fn question_voids(store: &SqlStore, contest_id: i64) -> Result<Vec<VoidRow>> {
    if let Some(d) = &store.direct {
        return d.read(|c| voids_direct(c, contest_id));
    }
    Ok(statement!(store, read, fetch_all, VOIDS_OF_CONTEST, contest_id)?)
}

/// Attempts of a contest (open or submitted) whose draw holds `question_id`, by id after
/// `after_id`, with their count of scored questions. The draw is JSON (`{"q":12,"o":[…]}`), so
/// `"q":12,` finds exactly question 12 without parsing every draw in the database.
pub(super) async fn attempts_drawing(
    store: &SqlStore,
    contest_id: i64,
    question_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<(AttemptRow, i64)>> {
    let pattern = format!("%\"q\":{question_id},%");
    let sql = format!(
        "SELECT {ATTEMPT_COLUMNS}, questions FROM attempts
         WHERE round_id IN (SELECT id FROM rounds WHERE contest_id = $1) AND draw LIKE $2 AND id > $3
         ORDER BY id LIMIT $4"
    );
    let raw: Vec<RawDrawing> =
        statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), contest_id, &pattern, after_id, limit)?;
    raw.into_iter().map(|r| Ok((AttemptRow::try_from(r.attempt)?, r.questions))).collect()
}

/// Records a void, its chained audit entry (`audit.detail` as given) and the scores it changes,
/// in one transaction. A second void of the same question is a `Conflict`.
pub(super) async fn void_question(
    store: &SqlStore,
    v: &NewVoid<'_>,
    entry: &NewAudit,
    rescores: &[Rescore],
) -> Result<(VoidRow, AuditRow)> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let row: AuditRow = append_in!(tx, entry);
        let void: VoidRow = sqlx::query_as(
            "INSERT INTO question_voids (contest_id, question_id, mode, reason, report_id, created_by, created_at, audit_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(v.contest_id)
        .bind(v.question_id)
        .bind(v.mode)
        .bind(v.reason)
        .bind(v.report_id)
        .bind(v.created_by)
        .bind(v.created_at)
        .bind(row.id)
        .fetch_one(&mut *tx)
        .await?;
        apply_rescores!(tx, rescores);
        tx.commit().await?;
        Ok((void, row))
    })
}

/// Stores scores derived again (after a void, for attempts that were being submitted while
/// it was recorded); returns how many rows changed.
pub(super) async fn rescore_attempts(store: &SqlStore, rescores: &[Rescore]) -> Result<u64> {
    let mut total = 0;
    for chunk in rescores.chunks(500) {
        total += on!(store, write, |p| {
            let mut tx = p.begin_locked(AUDIT_LOCK).await?;
            let n = apply_rescores!(tx, chunk);
            tx.commit().await?;
            Ok::<u64, StoreError>(n)
        })?;
    }
    Ok(total)
}

/// The voids of a contest, in the order they were made.
fn voids_direct(conn: &Connection, contest_id: i64) -> Result<Vec<VoidRow>> {
    let mut stmt = conn.prepare_cached(VOIDS_OF_CONTEST)?;
    let rows = stmt.query_map(named_params! {"$1": contest_id}, |r| {
        Ok(VoidRow {
            id: r.get(0)?,
            contest_id: r.get(1)?,
            question_id: r.get(2)?,
            mode: r.get(3)?,
            reason: r.get(4)?,
            report_id: r.get(5)?,
            created_by: r.get(6)?,
            created_at: r.get(7)?,
            audit_id: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
