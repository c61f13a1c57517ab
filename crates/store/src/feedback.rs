//! What feedback on questions stores: participants' reports on a question of one of their attempts
//! (góp ý, báo lỗi câu hỏi) with the secretariat's reply, and the questions the committee voided
//! (hủy câu hỏi) — written together with their audit entry and the scores they change, in one
//! transaction, so that no void ever stands without its record or its re-scoring.

use serde::Serialize;

use crate::console::{AuditRow, NewAudit};
use crate::model::*;
use crate::sql::WritePool;
use crate::sql::{Pools, on};
use crate::sql_console::{AUDIT_LOCK, append_in};
use crate::{Result, SqlStore};
use cuocthi_domain::audit;

/// A participant's report on one question of one attempt, with the secretariat's answer.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub contest_id: i64,
    pub attempt_id: i64,
    pub question_id: i64,
    /// The question's place in the attempt (0-based).
    pub position: i64,
    pub message: String,
    pub created_at: i64,
    pub reply: Option<String>,
    pub replied_by: Option<String>,
    pub replied_at: Option<i64>,
    pub closed_by: Option<String>,
    pub closed_at: Option<i64>,
}

/// A report to record.
#[derive(Clone, Debug)]
pub struct NewReport<'a> {
    pub contest_id: i64,
    /// The person whose attempt it is: at most `per_window` of their reports may be newer than
    /// `window_start` (ms), counted in the same transaction as the insert.
    pub participant_id: i64,
    pub window_start: i64,
    pub per_window: i64,
    pub attempt_id: i64,
    pub question_id: i64,
    pub position: i64,
    pub message: &'a str,
    pub created_at: i64,
}

/// Which reports of a contest to read: newest first, open ones before closed ones.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportFilter {
    pub question_id: Option<i64>,
    pub attempt_id: Option<i64>,
    pub open_only: bool,
    pub limit: i64,
}

/// A contest's voids, oldest first, with [`VoidRow`]'s columns in order (read by both drivers).
pub(crate) const VOIDS_OF_CONTEST: &str =
    "SELECT id, contest_id, question_id, mode, reason, report_id, created_by, created_at, audit_id
     FROM question_voids WHERE contest_id = $1 ORDER BY id";

/// A question version voided by the committee.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct VoidRow {
    pub id: i64,
    pub contest_id: i64,
    pub question_id: i64,
    /// `award` or `drop` (`cuocthi_domain::attempt::Void`).
    pub mode: String,
    pub reason: String,
    /// The report that led to it, if any.
    pub report_id: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    /// The audit entry recorded with it.
    pub audit_id: i64,
}

/// A void to record.
#[derive(Clone, Debug)]
pub struct NewVoid<'a> {
    pub contest_id: i64,
    pub question_id: i64,
    pub mode: &'a str,
    pub reason: &'a str,
    pub report_id: Option<i64>,
    pub created_by: &'a str,
    pub created_at: i64,
}

/// An attempt's score derived again after a void: a submitted attempt gets its correct answers
/// and its count of scored questions; an open one only the count (it is scored at submission).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rescore {
    pub attempt_id: i64,
    /// `Some` for a submitted attempt.
    pub correct: Option<i64>,
    pub questions: i64,
}

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
                None => sqlx::query("UPDATE attempts SET questions = $2 WHERE id = $1 AND status = 'open'")
                    .bind(r.attempt_id)
                    .bind(r.questions)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected(),
            };
            changed += n;
        }
        changed
    }};
}

impl SqlStore {
    /// Records a report unless the person already sent their quota in the window (`None`). The
    /// count and the insert are one transaction, and concurrent reports of one person wait for
    /// each other (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the person's row locked), so two sent at
    /// once cannot both pass a count of four.
    pub(crate) async fn add_report(&self, r: &NewReport<'_>) -> Result<Option<i64>> {
        let postgres = matches!(self.pools, Pools::Postgres(_));
        on!(self, write, |p| {
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

    pub(crate) async fn read_reports(&self, contest_id: i64, f: &ReportFilter) -> Result<Vec<ReportRow>> {
        let sql = format!(
            "SELECT * FROM question_reports WHERE contest_id = $1 AND ($2 IS NULL OR question_id = $2)
               AND ($3 IS NULL OR attempt_id = $3) AND ($4 = 0 OR closed_at IS NULL) {REPORT_ORDER} LIMIT $5"
        );
        Ok(on!(self, read, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(contest_id)
            .bind(f.question_id)
            .bind(f.attempt_id)
            .bind(i64::from(f.open_only))
            .bind(f.limit)
            .fetch_all(p)
            .await)?)
    }

    pub(crate) async fn read_report(&self, id: i64) -> Result<Option<ReportRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM question_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Sets the reply (replacing an earlier one) and, with `close`, closes the report.
    pub(crate) async fn write_reply(&self, id: i64, reply: &str, by: &str, at: i64, close: bool) -> Result<bool> {
        let n = on!(self, write, |p| sqlx::query(
            "UPDATE question_reports SET reply = $2, replied_by = $3, replied_at = $4,
                closed_by = CASE WHEN $5 = 1 AND closed_at IS NULL THEN $3 ELSE closed_by END,
                closed_at = CASE WHEN $5 = 1 AND closed_at IS NULL THEN $4 ELSE closed_at END
             WHERE id = $1"
        )
        .bind(id)
        .bind(reply)
        .bind(by)
        .bind(at)
        .bind(i64::from(close))
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Closes a report (`Some((by, at))`) or opens it again (`None`).
    pub(crate) async fn write_report_closed(&self, id: i64, closed: Option<(&str, i64)>) -> Result<bool> {
        let (by, at) = closed.map_or((None, None), |(b, a)| (Some(b), Some(a)));
        let n = on!(self, write, |p| sqlx::query(
            "UPDATE question_reports SET closed_by = $2, closed_at = $3 WHERE id = $1"
        )
        .bind(id)
        .bind(by)
        .bind(at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    pub(crate) async fn read_voids(&self, contest_id: i64) -> Result<Vec<VoidRow>> {
        if let Some(d) = &self.direct {
            return d.read(|c| crate::sqlite_direct::voids(c, contest_id));
        }
        Ok(on!(self, read, |p| sqlx::query_as(VOIDS_OF_CONTEST).bind(contest_id).fetch_all(p).await)?)
    }

    /// Attempts of a contest (open or submitted) whose draw holds `question_id`, by id after
    /// `after_id`, with their count of scored questions. The draw is JSON (`{"q":12,"o":[…]}`), so
    /// `"q":12,` finds exactly question 12 without parsing every draw in the database.
    pub(crate) async fn read_attempts_drawing(
        &self,
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
        let raw: Vec<RawDrawing> = on!(self, read, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(contest_id)
            .bind(&pattern)
            .bind(after_id)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        raw.into_iter().map(|r| Ok((AttemptRow::try_from(r.attempt)?, r.questions))).collect()
    }

    /// Records a void, its chained audit entry (`audit.detail` as given) and the scores it changes,
    /// in one transaction. A second void of the same question is a `Conflict`.
    pub(crate) async fn write_void(
        &self,
        v: &NewVoid<'_>,
        entry: &NewAudit,
        rescores: &[Rescore],
    ) -> Result<(VoidRow, AuditRow)> {
        let postgres = matches!(self.pools, Pools::Postgres(_));
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK).execute(&mut *tx).await?;
            }
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
    pub(crate) async fn write_rescores(&self, rescores: &[Rescore]) -> Result<u64> {
        let postgres = matches!(self.pools, Pools::Postgres(_));
        let mut total = 0;
        for chunk in rescores.chunks(500) {
            total += on!(self, write, |p| {
                let mut tx = p.begin_write().await?;
                if postgres {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK).execute(&mut *tx).await?;
                }
                let n = apply_rescores!(tx, chunk);
                tx.commit().await?;
                Ok::<u64, crate::StoreError>(n)
            })?;
        }
        Ok(total)
    }
}
