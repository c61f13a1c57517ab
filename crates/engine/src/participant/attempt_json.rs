//! The JSON of an attempt's page, written from pieces rendered once per question.
//!
//! A start answers with every drawn question, its stem and its options (issue 16's herd: 50,000
//! starts within 10 s). Serialising an [`AttemptView`] cloned each of those strings and escaped it
//! again at every start, for text that never changes: a question id is one version of a question.
//! Here the questions of a loaded bank are rendered once (`"topic":…,"stem":…,"options":[` and each
//! option as a JSON string), and a start only joins the pieces in its draw's order. The bytes are
//! exactly those `serde_json` writes for the [`AttemptView`] of the same attempt (tests compare
//! them on both stores), so the API's schema and its answers are unchanged.
//!
//! **Invalidation.** The pieces belong to one [`CachedBank`], the catalog's snapshot of a contest's
//! bank: they are found by that snapshot's identity, so a bank read again (after its time to live,
//! or forgotten at once when the bank or the contest is edited) gets new pieces, and an attempt
//! drawn from questions no longer in the current snapshot (a resumed one) is written by `serde_json`
//! from its [`AttemptView`] instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use cuocthi_domain::attempt::Answers;
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_store::StoredQuestion;
use serde::Serialize;

use crate::shared::catalog::CachedBank;
use crate::shared::views::AttemptView;

/// One question's JSON, but for its position, the order of its options and the answer.
struct Pieces {
    /// `,"topic":"…","stem":"…","options":[`
    head: Box<str>,
    /// Each option as a JSON string, in the bank's order.
    options: Vec<Box<str>>,
}

/// The pieces of every question of one bank snapshot.
pub(crate) struct RenderedBank {
    questions: HashMap<i64, Pieces>,
}

impl RenderedBank {
    /// Renders `questions` (those of the snapshot that the catalog holds).
    fn new<'a>(questions: impl Iterator<Item = &'a StoredQuestion>) -> RenderedBank {
        let questions = questions
            .map(|q| {
                let mut head = String::from(",\"topic\":");
                head.push_str(&json(&q.question.topic));
                head.push_str(",\"stem\":");
                head.push_str(&json(&q.question.stem));
                head.push_str(",\"options\":[");
                let options = q.question.options.iter().map(|o| json(o).into_boxed_str()).collect();
                (q.id, Pieces { head: head.into_boxed_str(), options })
            })
            .collect();
        RenderedBank { questions }
    }
}

/// A string as JSON. `serde_json` cannot fail on a `&str` written to a `String`.
fn json(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

/// Rendered banks by the identity of their snapshot. The catalog's snapshots are replaced (never
/// changed in place), so a snapshot's pointer names one version of a bank as long as the entry
/// holds a `Weak` to it (the allocation cannot be reused meanwhile); entries whose snapshot is
/// gone are dropped when another is added. A process holds a handful of contests' banks, each
/// replaced every few seconds at most, so a short list is enough.
static RENDERED: Mutex<Vec<(Weak<CachedBank>, Arc<RenderedBank>)>> = Mutex::new(Vec::new());

fn rendered_banks() -> std::sync::MutexGuard<'static, Vec<(Weak<CachedBank>, Arc<RenderedBank>)>> {
    // A panic while holding the lock leaves a list of immutable renderings behind: still usable.
    RENDERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The rendered questions of `bank`, rendered now from `question` (the catalog's look-up) if this
/// snapshot has none yet.
pub(crate) fn rendered(
    bank: &Arc<CachedBank>,
    question: impl Fn(i64) -> Option<Arc<StoredQuestion>>,
) -> Arc<RenderedBank> {
    if let Some(found) = rendered_banks().iter().find(|(b, _)| std::ptr::eq(b.as_ptr(), Arc::as_ptr(bank))) {
        return found.1.clone();
    }
    // Rendered outside the lock: a few hundred questions take a millisecond or so, and two
    // requests that both find none at once merely render twice.
    let questions: Vec<Arc<StoredQuestion>> = bank.entries.iter().filter_map(|e| question(e.question_id)).collect();
    let made = Arc::new(RenderedBank::new(questions.iter().map(|q| &**q)));
    let mut list = rendered_banks();
    list.retain(|(b, _)| b.strong_count() > 0);
    if let Some(found) = list.iter().find(|(b, _)| std::ptr::eq(b.as_ptr(), Arc::as_ptr(bank))) {
        return found.1.clone();
    }
    list.push((Arc::downgrade(bank), made.clone()));
    made
}

/// An attempt's page but for its questions: the fields of [`AttemptView`] around `questions`,
/// in its order.
#[derive(Serialize)]
pub(crate) struct Before<'a> {
    pub id: i64,
    pub round_id: i64,
    pub seq: i64,
    pub status: &'a str,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub deadline_at: chrono::DateTime<chrono::Utc>,
    pub server_now: chrono::DateTime<chrono::Utc>,
    pub remaining_ms: i64,
    pub ends_at: chrono::DateTime<chrono::Utc>,
    pub remaining_to_end_ms: i64,
    pub answered: usize,
}

/// The fields of [`AttemptView`] after `questions`.
#[derive(Serialize)]
pub(crate) struct After<'a> {
    pub tiebreak_prompt: Option<&'a str>,
    pub prediction: Option<i64>,
    pub resumed: bool,
}

/// Writes the attempt's JSON as `serde_json` writes its [`AttemptView`]; `None` when a drawn
/// question is not in `bank` (then the caller writes the view itself).
pub(crate) fn write(
    before: &Before<'_>,
    draw: &[DrawnQuestion],
    answers: &Answers,
    after: &After<'_>,
    bank: &RenderedBank,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(256 + draw.len() * 512);
    // `Before` and `After` are objects; their braces are trimmed to splice them with the questions.
    let before = serde_json::to_vec(before).ok()?;
    out.extend_from_slice(before.strip_suffix(b"}")?);
    out.extend_from_slice(b",\"questions\":[");
    let mut number = itoa_buffer();
    for (position, d) in draw.iter().enumerate() {
        let pieces = bank.questions.get(&d.question_id)?;
        if position > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"position\":");
        out.extend_from_slice(number.format(position).as_bytes());
        out.extend_from_slice(pieces.head.as_bytes());
        for (i, original) in d.order.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(pieces.options.get(usize::from(*original))?.as_bytes());
        }
        out.extend_from_slice(b"],\"answer\":");
        match answers.get(position).and_then(|original| d.shown(original)) {
            Some(shown) => out.extend_from_slice(number.format(shown).as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],");
    let after = serde_json::to_vec(after).ok()?;
    out.extend_from_slice(after.strip_prefix(b"{")?);
    Some(out)
}

/// Integers written as `serde_json` writes them.
fn itoa_buffer() -> Decimal {
    Decimal(String::with_capacity(20))
}

struct Decimal(String);

impl Decimal {
    fn format(&mut self, n: impl std::fmt::Display) -> &str {
        use std::fmt::Write;
        self.0.clear();
        let _ = write!(self.0, "{n}");
        &self.0
    }
}

/// The view's JSON by `serde_json`, for an attempt whose questions are not all rendered.
pub(crate) fn of_view(view: &AttemptView) -> crate::Result<Vec<u8>> {
    serde_json::to_vec(view).map_err(|e| crate::EngineError::Internal(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::catalog::Catalog;
    use cuocthi_domain::question::Question;

    fn question(id: i64, stem: &str, options: &[&str]) -> StoredQuestion {
        StoredQuestion {
            id,
            contest_id: 1,
            lineage: id,
            version: 1,
            status: "active".into(),
            question: Question {
                topic: "Chủ đề \"A\"".into(),
                stem: stem.into(),
                options: options.iter().map(|o| (*o).to_string()).collect(),
                correct: 0,
                explanation: None,
            },
        }
    }

    /// A snapshot of a bank as the catalog makes one.
    fn bank_of(questions: &[StoredQuestion]) -> Arc<CachedBank> {
        Catalog::default().put_bank(1, questions.to_vec())
    }

    /// The pieces joined give the bytes `serde_json` writes for the same view, escapes included.
    #[test]
    fn the_pieces_write_what_serde_json_writes() {
        let qs = vec![
            question(7, "Câu \"một\"\nxuống dòng \\ và </script>", &["A\tB", "Đúng", "Sai", "\u{1}"]),
            question(9, "Hai", &["x", "y", "z"]),
        ];
        let lookup: HashMap<i64, Arc<StoredQuestion>> = qs.iter().map(|q| (q.id, Arc::new(q.clone()))).collect();
        let bank = bank_of(&qs);
        let rendered = rendered(&bank, |id| lookup.get(&id).cloned());
        let draw = vec![
            DrawnQuestion { question_id: 9, order: vec![2, 0, 1] },
            DrawnQuestion { question_id: 7, order: vec![3, 1, 0, 2] },
        ];
        let mut answers = Answers::empty(2);
        answers.set(1, Some(1));
        let t = chrono::DateTime::from_timestamp_millis(1_765_000_000_123).unwrap_or_default();
        let view = AttemptView {
            id: 12,
            round_id: 3,
            seq: 1,
            status: "open".into(),
            started_at: t,
            deadline_at: t + chrono::Duration::minutes(10),
            server_now: t,
            remaining_ms: 600_000,
            ends_at: t + chrono::Duration::minutes(9),
            remaining_to_end_ms: 540_000,
            answered: 1,
            questions: draw
                .iter()
                .enumerate()
                .map(|(position, d)| crate::shared::views::QuestionView {
                    position,
                    topic: lookup[&d.question_id].question.topic.clone(),
                    stem: lookup[&d.question_id].question.stem.clone(),
                    options: d.arrange(&lookup[&d.question_id].question.options),
                    answer: answers.get(position).and_then(|o| d.shown(o)),
                })
                .collect(),
            tiebreak_prompt: Some("Bao nhiêu \"người\"?".into()),
            prediction: None,
            resumed: true,
        };
        let before = Before {
            id: view.id,
            round_id: view.round_id,
            seq: view.seq,
            status: &view.status,
            started_at: view.started_at,
            deadline_at: view.deadline_at,
            server_now: view.server_now,
            remaining_ms: view.remaining_ms,
            ends_at: view.ends_at,
            remaining_to_end_ms: view.remaining_to_end_ms,
            answered: view.answered,
        };
        let after = After { tiebreak_prompt: view.tiebreak_prompt.as_deref(), prediction: None, resumed: true };
        let fast = write(&before, &draw, &answers, &after, &rendered).expect("every question is rendered");
        assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&of_view(&view).expect("serialised")));

        // A question outside the snapshot: no answer from the pieces, the caller uses serde_json.
        let stranger = [DrawnQuestion { question_id: 8, order: vec![0, 1, 2] }];
        assert!(write(&before, &stranger, &Answers::empty(1), &after, &rendered).is_none());
    }

    /// A snapshot keeps its rendering; a new snapshot of the bank (read again, or after an edit)
    /// is rendered anew from the questions it holds, and a dropped snapshot's rendering goes.
    #[test]
    fn a_new_bank_snapshot_is_rendered_anew() {
        let first = vec![question(101, "Trước khi sửa", &["a", "b", "c"])];
        let edited = vec![question(102, "Sau khi sửa", &["a", "b", "c"])];
        let lookup: HashMap<i64, Arc<StoredQuestion>> =
            first.iter().chain(&edited).map(|q| (q.id, Arc::new(q.clone()))).collect();
        let get = |id: i64| lookup.get(&id).cloned();
        let old = bank_of(&first);
        let a = rendered(&old, get);
        assert!(Arc::ptr_eq(&a, &rendered(&old, get)), "the same snapshot is rendered once");
        let new = bank_of(&edited);
        let b = rendered(&new, get);
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(b.questions.contains_key(&102) && !b.questions.contains_key(&101));
        drop(old);
        // Rendering another snapshot drops the renderings of snapshots that are gone.
        let third = bank_of(&first);
        let c = rendered(&third, get);
        assert!(!Arc::ptr_eq(&a, &c), "a new snapshot of the same questions is rendered anew");
        assert!(!rendered_banks().iter().any(|(_, r)| Arc::ptr_eq(r, &a)), "the dropped snapshot's rendering is gone");
    }
}
