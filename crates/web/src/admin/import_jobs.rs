//! Question files being read in the background, so that the upload returns at once and the
//! organiser watches a progress bar instead of a request that seems to hang on a large bank.
//!
//! The file itself is staged in the database by the upload (`Engine::stage_questions`); a job
//! here is only this node's reading of it, keyed by the staged file's id and its uploader. Jobs
//! live in this process's memory: when a poll reaches a node that has no job for the file (a
//! restart, or another node behind a round-robin balancer), that node reads the staged file itself
//! and reports on its own — the same report, at the cost of reading twice. A staged file that is
//! gone (confirmed, or older than two hours) ends as a page that asks to upload it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cuocthi_domain::text;
use cuocthi_engine::console::{ImportPreview, Staff};
use cuocthi_engine::import::{Progress, Snapshot, Stage};
use cuocthi_engine::{Engine, EngineError};
use tokio::sync::Notify;

use crate::http::PageError;

/// How long a finished job's report is kept: as long as its staged file.
const KEEP: Duration = Duration::from_secs(2 * 60 * 60);
/// Most jobs held at once; beyond it new readings are refused until old ones finish.
const MAX_JOBS: usize = 64;

/// A job is its uploader's alone: another account asking for the same id gets a job of its own,
/// which the engine refuses (the staged file is not theirs).
type Key = (i64, i64);

/// What a reading came to: the report, or the page saying why there is none.
pub(crate) type Outcome = Result<ImportPreview, PageError>;

struct Job {
    slug: String,
    started: Instant,
    progress: Arc<Progress>,
    outcome: Option<Outcome>,
    finished: Arc<Notify>,
}

/// Where a job stands.
pub(crate) enum Seen {
    Running(Snapshot),
    Done(Outcome),
}

#[derive(Default)]
pub struct ImportJobs {
    jobs: Mutex<HashMap<Key, Job>>,
}

impl ImportJobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Job>> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts reading a file just staged, forgetting any earlier job under the same id (SQLite
    /// may give a deleted row's id again).
    pub(crate) fn start(self: &Arc<Self>, engine: &Engine, staff: &Staff, slug: &str, staged: i64) {
        self.forget(staff, staged);
        self.look(engine, staff, slug, staged);
    }

    /// Where `staff`'s reading of staged file `staged` stands, starting it on this node if this
    /// node has none (see the module's note on several nodes).
    pub(crate) fn look(self: &Arc<Self>, engine: &Engine, staff: &Staff, slug: &str, staged: i64) -> Seen {
        let key = (staff.account_id, staged);
        let mut jobs = self.lock();
        if let Some(job) = jobs.get(&key) {
            if job.slug != slug {
                return Seen::Done(Err(gone().into()));
            }
            return match &job.outcome {
                Some(outcome) => Seen::Done(outcome.clone()),
                None => Seen::Running(job.progress.snapshot()),
            };
        }
        let now = Instant::now();
        jobs.retain(|_, j| j.outcome.is_none() || now.duration_since(j.started) < KEEP);
        if jobs.len() >= MAX_JOBS {
            // Make room by forgetting the oldest finished report; a reload reads its file again.
            let oldest =
                jobs.iter().filter(|(_, j)| j.outcome.is_some()).min_by_key(|(_, j)| j.started).map(|(k, _)| *k);
            match oldest {
                Some(k) => {
                    jobs.remove(&k);
                }
                None => {
                    let busy = EngineError::Unavailable("too many question files being read".into());
                    return Seen::Done(Err(busy.into()));
                }
            }
        }
        let progress = Arc::new(Progress::default());
        let finished = Arc::new(Notify::new());
        jobs.insert(
            key,
            Job {
                slug: slug.to_string(),
                started: now,
                progress: progress.clone(),
                outcome: None,
                finished: finished.clone(),
            },
        );
        drop(jobs);
        let (registry, engine, staff, slug) = (self.clone(), engine.clone(), staff.clone(), slug.to_string());
        let snapshot = progress.snapshot();
        tokio::spawn(async move {
            let outcome = engine.preview_staged(&staff, &slug, staged, progress).await.map_err(PageError::from);
            if let Some(job) = registry.lock().get_mut(&key) {
                job.outcome = Some(outcome);
            }
            finished.notify_waiters();
        });
        Seen::Running(snapshot)
    }

    /// Waits up to `at_most` for a running job to finish, so that a small file's report shows
    /// at once instead of after a progress page.
    pub(crate) async fn wait(&self, staff: &Staff, staged: i64, at_most: Duration) {
        let key = (staff.account_id, staged);
        let Some(signal) = self.lock().get(&key).filter(|j| j.outcome.is_none()).map(|j| j.finished.clone()) else {
            return;
        };
        let notified = signal.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        // Finished between the look above and the registration: nothing to wait for.
        if self.lock().get(&key).is_none_or(|j| j.outcome.is_some()) {
            return;
        }
        let _ = tokio::time::timeout(at_most, notified).await;
    }

    /// Forgets a job whose file was imported (its report would offer a confirmation that can
    /// no longer succeed).
    pub(crate) fn forget(&self, staff: &Staff, staged: i64) {
        self.lock().remove(&(staff.account_id, staged));
    }
}

/// The engine's answer for a staged file that is not there (or not this contest's).
fn gone() -> EngineError {
    EngineError::NotFound("tệp đang chờ nhập (có thể đã quá 2 giờ; hãy tải lên lại)")
}

/// The progress as one line of Vietnamese: "Đang đọc tệp… 1.234/5.678 KB".
pub(crate) fn progress_text(p: &Snapshot) -> String {
    let kb = |bytes: u64| text::thousands(i64::try_from(bytes.div_ceil(1024)).unwrap_or(i64::MAX));
    let count = |n: u64| text::thousands(i64::try_from(n).unwrap_or(i64::MAX));
    match p.stage {
        Stage::Waiting => "Đang chờ tới lượt đọc tệp…".to_string(),
        Stage::Reading if p.total == 0 => "Đang đọc tệp…".to_string(),
        Stage::Reading => format!("Đang đọc tệp… {}/{} KB", kb(p.done), kb(p.total)),
        Stage::Checking => format!("Đang kiểm tra câu hỏi… {}/{} câu", count(p.done), count(p.total)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_reads_as_a_sentence() {
        let at = |stage, done, total| progress_text(&Snapshot { stage, done, total });
        assert_eq!(at(Stage::Waiting, 0, 0), "Đang chờ tới lượt đọc tệp…");
        assert_eq!(at(Stage::Reading, 0, 0), "Đang đọc tệp…");
        assert_eq!(at(Stage::Reading, 1_263_616, 5_814_272), "Đang đọc tệp… 1.234/5.678 KB");
        assert_eq!(at(Stage::Checking, 1200, 4000), "Đang kiểm tra câu hỏi… 1.200/4.000 câu");
    }
}
