//! The audit chain (`audit_log`) and the seals of submitted attempts written into it.

use chrono::{DateTime, Utc};
use cuocthi_domain::audit;

use super::{SqlStore, in_list};
use crate::Result;
use crate::console::*;
use crate::pool::{WritePool, on, statement};
use crate::review::SubmissionRecord;

/// Appends audit entry `$e` after the chain's last inside transaction `$tx` (holding the audit
/// lock on PostgreSQL), for whichever backend's transaction it is; evaluates to the new row.
macro_rules! append_in {
    ($tx:ident, $e:expr) => {{
        let e: &$crate::console::NewAudit = $e;
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut *$tx).await?;
        let (last_id, prev_hash) = last.unwrap_or((0, cuocthi_domain::audit::GENESIS.to_string()));
        let id = last_id + 1;
        let hash = cuocthi_domain::audit::chain_hash(
            &prev_hash,
            &cuocthi_domain::audit::Entry {
                id,
                at_ms: $crate::model::ms(e.at),
                account_id: e.account_id,
                actor: &e.actor,
                action: &e.action,
                contest_id: e.contest_id,
                subject: &e.subject,
                detail: &e.detail,
            },
        );
        let row: $crate::console::AuditRow = sqlx::query_as(
            "INSERT INTO audit_log (id, at, account_id, actor, action, contest_id, subject, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(id)
        .bind($crate::model::ms(e.at))
        .bind(e.account_id)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(e.contest_id)
        .bind(&e.subject)
        .bind(&e.detail)
        .bind(&prev_hash)
        .bind(&hash)
        .fetch_one(&mut *$tx)
        .await?;
        row
    }};
}
pub(super) use append_in;

/// The PostgreSQL advisory lock that serialises appends to the audit chain across app nodes.
pub(super) const AUDIT_LOCK: i64 = 0x0063_756f_6374_6869; // "cuocthi"

/// The score is the one the seal covered: a void re-scores sealed attempts (`super::feedback`).
const SUBMISSION_SELECT: &str = "SELECT id, participant_id, answers, prediction, COALESCE(sealed_correct, correct) AS correct, time_taken_ms, submitted_at FROM attempts";

pub(super) async fn append_audit(store: &SqlStore, entry: &NewAudit) -> Result<AuditRow> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let row = append_in!(tx, entry);
        tx.commit().await?;
        Ok(row)
    })
}

pub(super) async fn audit_entries(store: &SqlStore, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
    let AuditFilter { contest_id, action_prefix, actor, before_id, limit } = filter;
    // Actions are written with `_` (`event.sheet_submit`): LIKE's wildcards are escaped, not dropped.
    let prefix =
        action_prefix.as_ref().map(|a| format!("{}%", a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let sql =
        "SELECT * FROM audit_log WHERE ($1 IS NULL OR contest_id = $1) AND ($2 IS NULL OR action LIKE $2 ESCAPE '\\')
           AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5";
    Ok(statement!(store, read, fetch_all, sql, contest_id, &prefix, actor, before_id, limit)?)
}

pub(super) async fn audit_chain(store: &SqlStore, after_id: i64, limit: i64) -> Result<Vec<AuditRow>> {
    let sql = "SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2";
    Ok(statement!(store, read, fetch_all, sql, after_id, limit)?)
}

pub(super) async fn audit_entry(store: &SqlStore, id: i64) -> Result<Option<AuditRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM audit_log WHERE id = $1", id)?)
}

pub(super) async fn seal_submissions(
    store: &SqlStore,
    limit: i64,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<Option<(AuditRow, u64)>> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let rows: Vec<SubmissionRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SUBMISSION_SELECT} WHERE sealed_in IS NULL AND status = 'submitted' ORDER BY id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            tx.commit().await?;
            return Ok(None);
        };
        let digest = audit::submissions_digest(rows.iter().map(SubmissionRecord::as_submission));
        let entry = NewAudit {
            at,
            account_id: None,
            actor: actor.to_string(),
            action: "attempts.seal".into(),
            contest_id: None,
            subject: format!("attempts:{}-{}", first.id, last.id),
            detail:
                serde_json::json!({"count": rows.len(), "first_id": first.id, "last_id": last.id, "digest": digest})
                    .to_string(),
        };
        let row = append_in!(tx, &entry);
        let mut q = sqlx::QueryBuilder::new("UPDATE attempts SET sealed_in = ");
        q.push_bind(row.id).push(" WHERE id");
        in_list(&mut q, rows.iter().map(|r| r.id));
        q.build().execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some((row, rows.len() as u64)))
    })
}

pub(super) async fn sealed_submissions(store: &SqlStore, entry_id: i64) -> Result<Vec<SubmissionRecord>> {
    let sql = format!("{SUBMISSION_SELECT} WHERE sealed_in = $1 ORDER BY id");
    Ok(statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), entry_id)?)
}
