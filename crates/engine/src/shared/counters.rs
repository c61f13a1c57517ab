//! Reading the live counters (`stat_counters`): the public live counter of a contest and the
//! figures of a round on the contest page. The console's dashboard reads the same rows
//! (`console::stats`), which also counts attempts into them.

use cuocthi_domain::stats::{CONTEST, Measures};
use cuocthi_store::{CounterRow, RoundCounts};
use serde::Serialize;

use crate::{Engine, Result};

/// Attempts counted per transaction.
pub(crate) const BATCH: i64 = 5_000;

/// The public live counter of a contest.
#[derive(Clone, Copy, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct LiveCounts {
    /// People who started at least one attempt.
    pub people: i64,
    pub attempts: i64,
    /// Submitted attempts.
    pub completed: i64,
}

pub(crate) fn pick(rows: &[CounterRow], round_id: i64, dim: &str, bucket: &str) -> Measures {
    rows.iter()
        .find(|r| r.round_id == round_id && r.dim == dim && r.bucket == bucket)
        .map(CounterRow::measures)
        .unwrap_or_default()
}

impl Engine {
    /// A round's live figures from its counters, counting one batch of what is pending first (so
    /// a page does not lag the attempts by more than its cache, nor wait for a backlog: after a
    /// bulk import of a million attempts, counting them all took the first page view 12 s; the
    /// background task counts the rest).
    pub(crate) async fn round_live_counts(&self, contest_id: i64, round_id: i64) -> Result<RoundCounts> {
        self.store.count_attempts(BATCH).await?;
        let rows = self.store.counters(contest_id, Some(round_id)).await?;
        let m = pick(&rows, round_id, "all", "");
        Ok(RoundCounts { people: m.people, attempts: m.attempts, submitted: m.completed })
    }

    /// The public live counter: people and attempts of the whole contest.
    pub async fn live_counts(&self, slug: &str) -> Result<LiveCounts> {
        let c = self.contest_by_slug(slug).await?;
        // Counted by the server's background task every 2 seconds: reading never writes here.
        let rows = self.store.counters(c.stored.contest.id, None).await?;
        let all = pick(&rows, CONTEST, "all", "");
        Ok(LiveCounts { people: all.people, attempts: all.attempts, completed: all.completed })
    }
}
