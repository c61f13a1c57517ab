//! The audit log (nhật ký thao tác): every administrative action with who, when, what, and the
//! before/after, in an append-only hash chain (`cuocthi_domain::audit`).

use chrono::{DateTime, Utc};
use cuocthi_domain::audit::{self, ChainError};
use cuocthi_store::{AuditFilter, AuditRow, NewAudit};
use serde_json::Value;

use super::access::{Action, Staff};
use crate::{Engine, EngineError, Result};

/// How many entries the console shows per page.
pub const AUDIT_PAGE: i64 = 100;

/// The outcome of following the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainCheck {
    pub entries: u64,
    /// The hash of the last entry (the digest a ranking publishes).
    pub digest: String,
}

impl Engine {
    /// Appends an entry; `by` is `None` for the CLI and the system itself.
    pub async fn record(
        &self,
        by: Option<&Staff>,
        action: &str,
        contest: Option<i64>,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        let (id, actor) = match by {
            Some(s) => (Some(s.account_id), s.actor()),
            None => (None, "hệ thống".to_string()),
        };
        self.record_as(id, &actor, action, contest, subject, detail).await
    }

    pub(crate) async fn record_as(
        &self,
        account_id: Option<i64>,
        actor: &str,
        action: &str,
        contest_id: Option<i64>,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        self.store
            .append_audit(&NewAudit {
                at: self.now(),
                account_id,
                actor: actor.to_string(),
                action: action.to_string(),
                contest_id,
                subject: subject.to_string(),
                detail: detail.to_string(),
            })
            .await?;
        Ok(())
    }

    /// Entries a staff member may read: a contest's for its organisers and judges, everything
    /// for a system administrator.
    pub async fn audit_log(&self, by: &Staff, mut filter: AuditFilter) -> Result<Vec<AuditRow>> {
        match filter.contest_id {
            Some(c) => by.require(Action::ViewAudit, Some(c))?,
            None => by.require(Action::ManageAccounts, None)?,
        }
        if filter.limit <= 0 {
            filter.limit = AUDIT_PAGE;
        }
        Ok(self.store.audit_entries(&filter).await?)
    }

    /// Follows the chain from the first entry to the last.
    pub async fn verify_audit_chain(&self) -> Result<Result<ChainCheck, ChainError>> {
        let mut prev = audit::GENESIS.to_string();
        let mut after = 0;
        let mut entries = 0u64;
        loop {
            let rows = self.store.audit_chain(after, 5_000).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            entries += rows.len() as u64;
            let chain = rows.iter().map(|r| {
                (
                    audit::Entry {
                        id: r.id,
                        at_ms: r.at,
                        account_id: r.account_id,
                        actor: &r.actor,
                        action: &r.action,
                        contest_id: r.contest_id,
                        subject: &r.subject,
                        detail: &r.detail,
                    },
                    r.prev_hash.as_str(),
                    r.hash.as_str(),
                )
            });
            match audit::verify(prev, chain) {
                Ok(h) => prev = h,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(ChainCheck { entries, digest: prev }))
    }
}

/// An entry's instant, for display.
pub fn entry_time(row: &AuditRow) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(row.at).unwrap_or_default()
}

impl From<ChainError> for EngineError {
    fn from(e: ChainError) -> Self {
        EngineError::Conflict(e.to_string())
    }
}
