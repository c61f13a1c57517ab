//! How far the reading of an uploaded question file has got. A bank of thousands of questions in
//! Word takes seconds to read; the console shows this while the organiser waits, instead of a
//! request that seems to hang.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use serde::Serialize;

/// What the reader is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Waiting for its turn: only a few files are read at once (each takes a processor).
    Waiting,
    /// Reading the file; the counts are bytes (of the unpacked Word XML, or of the CSV text;
    /// an Excel workbook is read in one go, so it jumps from 0 to the end).
    Reading,
    /// Checking the questions read; the counts are questions.
    Checking,
}

impl Stage {
    fn from_u8(n: u8) -> Stage {
        match n {
            1 => Stage::Reading,
            2 => Stage::Checking,
            _ => Stage::Waiting,
        }
    }
}

/// Counts shared between the task that reads a file and whoever shows its progress. Updated with
/// relaxed atomics: a reading a moment old is good enough for a progress bar, and the reader never
/// waits for a reader of the counts.
#[derive(Debug, Default)]
pub struct Progress {
    stage: AtomicU8,
    done: AtomicU64,
    total: AtomicU64,
}

/// One reading of a [`Progress`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub stage: Stage,
    /// How much of `total` is done (never more than `total`).
    pub done: u64,
    /// 0 when not known yet.
    pub total: u64,
}

impl Progress {
    pub fn snapshot(&self) -> Snapshot {
        let stage = Stage::from_u8(self.stage.load(Ordering::Acquire));
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed).min(total);
        Snapshot { stage, done, total }
    }

    /// Starts a stage of `total` units, none done.
    pub(crate) fn begin(&self, stage: Stage, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.stage.store(stage as u8, Ordering::Release);
    }

    /// `done` units of the current stage are done.
    pub(crate) fn set(&self, done: u64) {
        self.done.store(done, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_never_shows_more_done_than_the_total() {
        let p = Progress::default();
        assert_eq!(p.snapshot(), Snapshot { stage: Stage::Waiting, done: 0, total: 0 });
        p.begin(Stage::Reading, 100);
        p.set(40);
        assert_eq!(p.snapshot(), Snapshot { stage: Stage::Reading, done: 40, total: 100 });
        p.set(140);
        assert_eq!(p.snapshot().done, 100);
        p.begin(Stage::Checking, 7);
        assert_eq!(p.snapshot(), Snapshot { stage: Stage::Checking, done: 0, total: 7 });
    }
}
