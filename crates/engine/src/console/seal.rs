//! Submissions sealed into the audit chain (niêm phong): in the background, every submitted
//! attempt not sealed yet is covered by one chained audit entry holding the digest of its answers,
//! prediction, score and times, a batch at a time. `results verify` recomputes each digest, so an
//! answer or a score edited after submission is found even when the ranking it changed was never
//! published. Answer saves before submission are not chained one by one (a chained row per save
//! would serialise the busiest write of all); the final answers are what the seal covers.

use cuocthi_domain::audit;
use serde::Deserialize;

use crate::{Engine, EngineError, Result};

/// Attempts per seal.
const BATCH: i64 = 5_000;

/// Who the seal entries name as actor.
const SYSTEM: &str = "hệ thống";

#[derive(Deserialize)]
struct SealDetail {
    count: u64,
    first_id: i64,
    last_id: i64,
    digest: String,
}

impl Engine {
    /// Seals every submission not sealed yet; returns how many were sealed.
    pub async fn seal_submissions(&self) -> Result<u64> {
        let mut total = 0;
        while let Some((_, n)) = self.store.seal_submissions(BATCH, self.now(), SYSTEM).await? {
            total += n;
            if i64::try_from(n).is_ok_and(|n| n < BATCH) {
                break;
            }
        }
        Ok(total)
    }

    /// Checks every seal against the attempts it covers, naming each that no longer matches.
    /// Returns how many sealed attempts were checked.
    pub(crate) async fn verify_seals(&self, problems: &mut Vec<String>) -> Result<u64> {
        let mut checked = 0;
        for e in self.all_audit_entries(None, "attempts.seal").await? {
            let seal: SealDetail = serde_json::from_str(&e.detail).map_err(|err| EngineError::Internal(err.into()))?;
            let rows = self.store.sealed_submissions(e.id).await?;
            checked += rows.len() as u64;
            let digest = audit::submissions_digest(rows.iter().map(|r| r.as_submission()));
            if rows.len() as u64 != seal.count || digest != seal.digest {
                problems.push(format!(
                    "Các bài đã nộp được niêm phong ở mục nhật ký #{} (lượt thi #{}–#{}, {} bài) không còn khớp với bản niêm phong: câu trả lời, điểm hoặc thời gian đã bị sửa sau khi nộp.",
                    e.id, seal.first_id, seal.last_id, seal.count
                ));
            }
        }
        Ok(checked)
    }
}
