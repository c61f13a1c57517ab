//! The catalog: contests, rounds, banks and questions held in memory for the hot path.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use cuocthi_domain::contest::ContestSpec;
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_store::{RoundCounts, StoredContest, StoredQuestion};

/// How long a contest read from the store is trusted before it is read again.
const CONTEST_TTL: Duration = Duration::from_secs(5);

/// A contest as the hot path needs it.
pub struct CachedContest {
    pub stored: StoredContest,
    pub spec: ContestSpec,
    loaded: Instant,
}

impl CachedContest {
    pub fn new(stored: StoredContest) -> CachedContest {
        let spec = stored.spec();
        CachedContest { stored, spec, loaded: Instant::now() }
    }
}

/// The drawable bank of a contest: question ids with topics and option counts.
pub struct CachedBank {
    pub entries: Vec<cuocthi_domain::draw::BankEntry>,
    loaded: Instant,
}

#[derive(Default)]
pub struct Catalog {
    contests: RwLock<HashMap<i64, Arc<CachedContest>>>,
    slugs: RwLock<HashMap<String, i64>>,
    banks: RwLock<HashMap<i64, Arc<CachedBank>>>,
    /// Question versions never change, so they are kept for the life of the process.
    questions: RwLock<HashMap<i64, Arc<StoredQuestion>>>,
    draws: DrawCache,
    /// Live participation figures per round: counted at most once per TTL, not per page view.
    counts: RwLock<HashMap<i64, (RoundCounts, Instant)>>,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl Catalog {
    pub fn contest(&self, id: i64) -> Option<Arc<CachedContest>> {
        read(&self.contests).get(&id).filter(|c| c.loaded.elapsed() < CONTEST_TTL).cloned()
    }

    pub fn contest_id(&self, slug: &str) -> Option<i64> {
        read(&self.slugs).get(slug).copied()
    }

    pub fn put_contest(&self, c: StoredContest) -> Arc<CachedContest> {
        let id = c.contest.id;
        let slug = c.contest.slug.clone();
        let cached = Arc::new(CachedContest::new(c));
        write(&self.contests).insert(id, cached.clone());
        write(&self.slugs).insert(slug, id);
        cached
    }

    pub fn forget_contest(&self, id: i64) {
        write(&self.contests).remove(&id);
    }

    pub fn bank(&self, contest_id: i64) -> Option<Arc<CachedBank>> {
        read(&self.banks).get(&contest_id).filter(|b| b.loaded.elapsed() < CONTEST_TTL).cloned()
    }

    /// Keeps a contest's bank, and its questions for scoring and display.
    pub fn put_bank(&self, contest_id: i64, questions: Vec<StoredQuestion>) -> Arc<CachedBank> {
        let entries = questions
            .iter()
            .map(|q| cuocthi_domain::draw::BankEntry {
                question_id: q.id,
                topic: q.question.topic.clone(),
                option_count: q.question.option_count(),
            })
            .collect();
        self.put_questions(questions);
        let bank = Arc::new(CachedBank { entries, loaded: Instant::now() });
        write(&self.banks).insert(contest_id, bank.clone());
        bank
    }

    pub fn counts(&self, round_id: i64) -> Option<RoundCounts> {
        read(&self.counts).get(&round_id).filter(|(_, at)| at.elapsed() < CONTEST_TTL).map(|(c, _)| *c)
    }

    pub fn put_counts(&self, round_id: i64, counts: RoundCounts) {
        write(&self.counts).insert(round_id, (counts, Instant::now()));
    }

    pub fn forget_bank(&self, contest_id: i64) {
        write(&self.banks).remove(&contest_id);
    }

    pub fn question(&self, id: i64) -> Option<Arc<StoredQuestion>> {
        read(&self.questions).get(&id).cloned()
    }

    pub fn put_questions(&self, questions: Vec<StoredQuestion>) {
        let mut map = write(&self.questions);
        for q in questions {
            map.insert(q.id, Arc::new(q));
        }
    }
}

/// An attempt's draw with the participant it belongs to.
pub type OwnedDraw = (i64, Arc<Vec<DrawnQuestion>>);

/// Draws of recent attempts, so a save needs no read: a draw never changes once made.
#[derive(Default)]
pub struct DrawCache {
    map: RwLock<HashMap<i64, OwnedDraw>>,
}

/// Beyond this many attempts the cache starts again: above the attempts open at once at a peak
/// (tens of thousands), and small enough for the memory budget (~1.4 KB a draw of 30).
const DRAW_CACHE_MAX: usize = 50_000;

impl Catalog {
    pub fn drawn(&self, attempt_id: i64) -> Option<OwnedDraw> {
        read(&self.draws.map).get(&attempt_id).cloned()
    }

    pub fn put_drawn(&self, attempt_id: i64, owner: i64, draw: Vec<DrawnQuestion>) -> Arc<Vec<DrawnQuestion>> {
        let d = Arc::new(draw);
        let mut map = write(&self.draws.map);
        if map.len() >= DRAW_CACHE_MAX {
            map.clear();
        }
        map.insert(attempt_id, (owner, d.clone()));
        d
    }
}
