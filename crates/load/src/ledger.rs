//! The ledger: every write the server acknowledged, and the check at the end that each one is in
//! the store.
//!
//! An acknowledgement is a promise to a participant ("đã lưu", "đã nộp bài"); the check reads the
//! database the server wrote, through the project's own store crate, and compares:
//! - each answered position holds the last acknowledged choice, mapped from the order the attempt
//!   showed to the bank's original order through the stored draw (`order[shown] = original`);
//! - each acknowledged submission is stored submitted, with the score the server reported, and
//!   that score equals one recomputed from the stored answers and the bank's keys.
//!
//! A save whose outcome the generator cannot know (timeout, reset, 5xx: the write may or may not
//! have happened) is remembered as uncertain; a stored value that matches such a save is counted
//! apart, neither verified nor wrong.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use cuocthi_domain::attempt;
use cuocthi_store::{AttemptRow, AttemptStatus, SqlStore, Store};
use serde::{Deserialize, Serialize};

/// What the generator knows of one attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptEntry {
    /// Per position: the last acknowledged choice, as an index into the options as shown.
    pub acked: Vec<Option<u8>>,
    /// Per position: choices sent whose outcome is unknown.
    pub uncertain: Vec<Vec<u8>>,
    /// The score reported by an acknowledged submission.
    pub submitted: Option<u32>,
}

impl AttemptEntry {
    fn grow(&mut self, position: usize) {
        if self.acked.len() <= position {
            self.acked.resize(position + 1, None);
            self.uncertain.resize(position + 1, Vec::new());
        }
    }
}

/// Shared by every virtual user; an attempt is only ever played by one user at a time, so the
/// order of its entries is the order of its acknowledgements.
#[derive(Default)]
pub struct Ledger {
    attempts: Mutex<HashMap<i64, AttemptEntry>>,
    saves: AtomicU64,
    submits: AtomicU64,
}

impl Ledger {
    fn with<R>(&self, id: i64, f: impl FnOnce(&mut AttemptEntry) -> R) -> R {
        let mut g = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        f(g.entry(id).or_default())
    }

    /// An attempt was started (or resumed) with `questions` questions.
    pub fn open(&self, id: i64, questions: usize) {
        self.with(id, |e| e.grow(questions.saturating_sub(1)));
    }

    pub fn save_acked(&self, id: i64, position: usize, shown: u8) {
        self.saves.fetch_add(1, Ordering::Relaxed);
        self.with(id, |e| {
            e.grow(position);
            e.acked[position] = Some(shown);
        });
    }

    pub fn save_uncertain(&self, id: i64, position: usize, shown: u8) {
        self.with(id, |e| {
            e.grow(position);
            e.uncertain[position].push(shown);
        });
    }

    pub fn submit_acked(&self, id: i64, correct: u32) {
        self.submits.fetch_add(1, Ordering::Relaxed);
        self.with(id, |e| e.submitted = Some(correct));
    }

    pub fn acknowledged_saves(&self) -> u64 {
        self.saves.load(Ordering::Relaxed)
    }

    pub fn acknowledged_submits(&self) -> u64 {
        self.submits.load(Ordering::Relaxed)
    }

    /// Adds what another generator process acknowledged (the `connections` scenario over several
    /// processes), so that the check at the end covers every process's writes. Each process plays
    /// its own people, so no attempt can be in two ledgers: one that is anyway is refused (its
    /// writes could not both be "the last acknowledged").
    pub fn absorb(&self, entries: Vec<(i64, AttemptEntry)>, saves: u64, submits: u64) -> Result<()> {
        let mut g = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        for (id, e) in entries {
            if g.insert(id, e).is_some() {
                bail!("attempt {id} was played by two generator processes");
            }
        }
        self.saves.fetch_add(saves, Ordering::Relaxed);
        self.submits.fetch_add(submits, Ordering::Relaxed);
        Ok(())
    }

    /// Takes every entry out, for the check at the end.
    pub fn take_entries(&self) -> HashMap<i64, AttemptEntry> {
        std::mem::take(&mut *self.attempts.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The counts of the check. Saves are counted per (attempt, position) holding an acknowledged
/// answer: several acknowledged saves of one position are one check, of the last.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub saves_checked: u64,
    pub saves_verified: u64,
    pub saves_missing: u64,
    pub saves_wrong: u64,
    pub saves_uncertain: u64,
    pub submits_checked: u64,
    pub submits_verified: u64,
    pub submits_missing: u64,
    pub submits_wrong: u64,
}

impl Tally {
    pub fn verified(&self) -> u64 {
        self.saves_verified + self.submits_verified
    }
    pub fn missing(&self) -> u64 {
        self.saves_missing + self.submits_missing
    }
    pub fn wrong(&self) -> u64 {
        self.saves_wrong + self.submits_wrong
    }
}

/// Checks one attempt of the ledger against its stored row (`None`: not in the store). `key`
/// gives a question's correct original option index.
pub fn verify_attempt(e: &AttemptEntry, row: Option<&AttemptRow>, key: &dyn Fn(i64) -> Option<u8>, t: &mut Tally) {
    for (position, acked) in e.acked.iter().enumerate() {
        let Some(shown) = *acked else { continue };
        t.saves_checked += 1;
        let Some(row) = row else {
            t.saves_missing += 1;
            continue;
        };
        let Some(drawn) = row.draw.get(position) else {
            t.saves_wrong += 1;
            continue;
        };
        let stored = row.answers.get(position);
        let original = |s: u8| drawn.original(s);
        if stored.is_none() {
            t.saves_missing += 1;
        } else if stored == original(shown) {
            t.saves_verified += 1;
        } else if e.uncertain.get(position).is_some_and(|u| u.iter().any(|s| original(*s) == stored)) {
            t.saves_uncertain += 1;
        } else {
            t.saves_wrong += 1;
        }
    }
    if let Some(reported) = e.submitted {
        t.submits_checked += 1;
        match row {
            Some(r) if r.status == AttemptStatus::Submitted => {
                let recomputed = attempt::score(&r.draw, &r.answers, key);
                if r.correct == Some(reported) && recomputed == reported {
                    t.submits_verified += 1;
                } else {
                    t.submits_wrong += 1;
                }
            }
            _ => t.submits_missing += 1,
        }
    }
}

/// The file behind a `sqlite:` URL, to refuse a path with no database (connecting would create
/// an empty one and every check would then read "missing").
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// Reads every attempt of the ledger from the database the server uses and checks it.
pub async fn verify_db(url: &str, entries: &HashMap<i64, AttemptEntry>) -> Result<Tally> {
    if let Some(file) = sqlite_file(url)
        && !file.is_empty()
        && !file.starts_with(':')
        && !Path::new(file).exists()
    {
        bail!("--verify-db: no SQLite database at {file}");
    }
    let store = SqlStore::connect(url).await.context("--verify-db: cannot open the store")?;
    let mut keys: HashMap<i64, u8> = HashMap::new();
    let mut tally = Tally::default();
    let mut ids: Vec<i64> = entries.keys().copied().collect();
    ids.sort_unstable();
    for chunk in ids.chunks(256) {
        let mut rows = Vec::with_capacity(chunk.len());
        for id in chunk {
            rows.push(store.attempt(*id).await.with_context(|| format!("reading attempt {id}"))?);
        }
        let mut wanted: Vec<i64> = rows
            .iter()
            .flatten()
            .flat_map(|r| r.draw.iter().map(|d| d.question_id))
            .filter(|q| !keys.contains_key(q))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if !wanted.is_empty() {
            for q in store.questions_by_id(&wanted).await.context("reading the question bank")? {
                keys.insert(q.id, q.question.correct);
            }
        }
        for (id, row) in chunk.iter().zip(&rows) {
            if let Some(e) = entries.get(id) {
                verify_attempt(e, row.as_ref(), &|q| keys.get(&q).copied(), &mut tally);
            }
        }
    }
    store.close().await;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use cuocthi_domain::attempt::Answers;
    use cuocthi_domain::draw::DrawnQuestion;

    /// Two questions: q10 shows its options reversed (shown 0 = original 3), q20 in bank order.
    /// Keys: q10 → original 3, q20 → original 1.
    fn row(answers: &str, status: AttemptStatus, correct: Option<u32>) -> AttemptRow {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap();
        AttemptRow {
            id: 7,
            round_id: 1,
            participant_id: 1,
            seq: 1,
            seed: 42,
            draw: vec![
                DrawnQuestion { question_id: 10, order: vec![3, 2, 1, 0] },
                DrawnQuestion { question_id: 20, order: vec![0, 1, 2, 3] },
            ],
            answers: Answers::decode(answers),
            prediction: None,
            status,
            started_at: t,
            deadline_at: t,
            submitted_at: None,
            auto_submitted: false,
            correct,
            time_taken_ms: None,
        }
    }

    fn key(q: i64) -> Option<u8> {
        match q {
            10 => Some(3),
            20 => Some(1),
            _ => None,
        }
    }

    fn check(e: &AttemptEntry, r: Option<&AttemptRow>) -> Tally {
        let mut t = Tally::default();
        verify_attempt(e, r, &key, &mut t);
        t
    }

    fn entry(acked: [Option<u8>; 2], submitted: Option<u32>) -> AttemptEntry {
        AttemptEntry { acked: acked.to_vec(), uncertain: vec![Vec::new(); 2], submitted }
    }

    #[test]
    fn stored_answers_are_mapped_through_the_shown_order() {
        // Shown 0 of q10 is original 3; shown 1 of q20 is original 1: both right, score 2.
        let e = entry([Some(0), Some(1)], Some(2));
        let t = check(&e, Some(&row("31", AttemptStatus::Submitted, Some(2))));
        assert_eq!((t.saves_checked, t.saves_verified, t.submits_verified), (2, 2, 1));
        assert_eq!((t.missing(), t.wrong()), (0, 0));
    }

    #[test]
    fn a_lost_answer_is_missing_and_a_changed_one_wrong() {
        let e = entry([Some(0), Some(1)], None);
        let t = check(&e, Some(&row("-2", AttemptStatus::Open, None)));
        assert_eq!((t.saves_missing, t.saves_wrong, t.saves_verified), (1, 1, 0));
    }

    #[test]
    fn an_unsaved_position_is_not_checked() {
        let e = entry([None, Some(2)], None);
        let t = check(&e, Some(&row("-2", AttemptStatus::Open, None)));
        assert_eq!((t.saves_checked, t.saves_verified), (1, 1));
    }

    #[test]
    fn a_submission_must_be_stored_with_the_reported_and_recomputed_score() {
        let e = entry([Some(0), Some(1)], Some(2));
        // Not submitted in the store: missing.
        assert_eq!(check(&e, Some(&row("31", AttemptStatus::Open, None))).submits_missing, 1);
        // Stored score differs from the reported one.
        assert_eq!(check(&e, Some(&row("31", AttemptStatus::Submitted, Some(1)))).submits_wrong, 1);
        // Stored score agrees with the report, but the stored answers give another score.
        let e1 = entry([None, None], Some(2));
        assert_eq!(check(&e1, Some(&row("30", AttemptStatus::Submitted, Some(2)))).submits_wrong, 1);
        // The attempt is not in the store at all.
        let t = check(&e, None);
        assert_eq!((t.submits_missing, t.saves_missing), (1, 2));
    }

    #[test]
    fn a_value_from_a_save_of_unknown_outcome_is_uncertain_not_wrong() {
        let mut e = entry([Some(0), None], None);
        e.uncertain[0].push(1); // shown 1 of q10 = original 2
        let t = check(&e, Some(&row("2-", AttemptStatus::Open, None)));
        assert_eq!((t.saves_uncertain, t.saves_wrong), (1, 0));
    }

    #[test]
    fn the_ledger_keeps_the_last_acknowledged_choice() {
        let l = Ledger::default();
        l.open(7, 2);
        l.save_acked(7, 1, 3);
        l.save_acked(7, 1, 2);
        l.submit_acked(7, 1);
        assert_eq!((l.acknowledged_saves(), l.acknowledged_submits()), (2, 1));
        let e = &l.take_entries()[&7];
        assert_eq!(e.acked, vec![None, Some(2)]);
        assert_eq!(e.submitted, Some(1));
    }

    #[test]
    fn ledgers_of_several_processes_add_up() {
        let (a, b, all) = (Ledger::default(), Ledger::default(), Ledger::default());
        a.save_acked(1, 0, 2);
        a.save_uncertain(1, 1, 3);
        b.save_acked(2, 4, 1);
        b.submit_acked(2, 1);
        for l in [&a, &b] {
            let wire = serde_json::to_string(&l.take_entries().into_iter().collect::<Vec<_>>()).unwrap();
            all.absorb(serde_json::from_str(&wire).unwrap(), l.acknowledged_saves(), l.acknowledged_submits()).unwrap();
        }
        assert_eq!((all.acknowledged_saves(), all.acknowledged_submits()), (2, 1));
        let e = all.take_entries();
        assert_eq!(e[&1].acked, vec![Some(2), None]);
        assert_eq!(e[&1].uncertain, vec![vec![], vec![3]]);
        assert_eq!((e[&2].acked[4], e[&2].submitted), (Some(1), Some(1)));
        // One attempt in two processes' ledgers is refused.
        let twice = Ledger::default();
        twice.absorb(vec![(5, AttemptEntry::default())], 0, 0).unwrap();
        assert!(twice.absorb(vec![(5, AttemptEntry::default())], 0, 0).is_err());
    }

    #[test]
    fn sqlite_paths_are_read_from_urls() {
        assert_eq!(sqlite_file("sqlite:///tmp/x/db.sqlite"), Some("/tmp/x/db.sqlite"));
        assert_eq!(sqlite_file("sqlite://data/c.db?mode=rwc"), Some("data/c.db"));
        assert_eq!(sqlite_file("postgres://postgres@127.0.0.1/x"), None);
    }
}
