//! Question statistics (phân tích câu hỏi): for each question of a round, how often it was
//! answered right, how well it separates the strongest from the weakest participants, and how
//! often each option was chosen — with a flag on questions that look wrong.
//!
//! One pass over the submitted attempts: the score thresholds of the strongest and weakest 27%
//! come first from the score counters, so no attempt is held in memory.

use std::collections::HashMap;

use cuocthi_domain::question::LETTERS;
use cuocthi_domain::stats::CONTEST;
use serde::Serialize;

use crate::console::access::{Action, Staff};
use crate::{Engine, EngineError, Result};

/// The share of attempts at each end that make the strongest and the weakest groups.
const GROUP: f64 = 0.27;

/// One option of a question: its letter as written in the bank, how often it was chosen.
#[derive(Clone, Debug, Serialize)]
pub struct OptionFigure {
    pub letter: char,
    pub chosen: u64,
    pub share_percent: f64,
    pub is_key: bool,
}

/// One question's figures.
#[derive(Clone, Debug, Serialize)]
pub struct ItemStat {
    pub question_id: i64,
    pub topic: String,
    pub stem: String,
    pub asked: u64,
    pub answered: u64,
    pub correct_percent: f64,
    /// Share right in the strongest group minus share right in the weakest (−1 to 1).
    pub discrimination: Option<f64>,
    pub options: Vec<OptionFigure>,
    /// Why the question should be looked at, if it should.
    pub flag: Option<String>,
}

#[derive(Default)]
struct Acc {
    asked: u64,
    answered: u64,
    correct: u64,
    chosen: Vec<u64>,
    upper: (u64, u64),
    lower: (u64, u64),
    /// Options chosen by the strongest group.
    upper_chosen: Vec<u64>,
}

impl Engine {
    /// The statistics of every question asked in round `number`, flagged ones first.
    pub async fn item_analysis(&self, by: &Staff, slug: &str, number: i64) -> Result<Vec<ItemStat>> {
        let c = self.contest_for(by, slug, Action::ViewBank).await?;
        let round = c.stored.rounds.iter().find(|r| r.number == number).ok_or(EngineError::NotFound("đợt thi"))?;
        self.item_analysis_unchecked(&c, round).await
    }

    /// [`Engine::item_analysis`] for a caller that checked the staff member's rights.
    pub(crate) async fn item_analysis_unchecked(
        &self,
        c: &crate::shared::catalog::CachedContest,
        round: &cuocthi_store::RoundRow,
    ) -> Result<Vec<ItemStat>> {
        let (low, high) = self.score_thresholds(c.stored.contest.id, round.id).await?;
        let mut acc: HashMap<i64, Acc> = HashMap::new();
        self.each_submitted(round, |a, key| {
            let score = a.correct.unwrap_or(0);
            let (upper, lower) = (high.is_some_and(|h| score >= h), low.is_some_and(|l| score <= l));
            for (i, d) in a.draw.iter().enumerate() {
                let q = acc.entry(d.question_id).or_default();
                q.asked += 1;
                if q.chosen.len() < d.order.len() {
                    q.chosen.resize(d.order.len(), 0);
                    q.upper_chosen.resize(d.order.len(), 0);
                }
                let given = a.answers.get(i);
                let right = given.is_some() && given == key(d.question_id);
                if let Some(g) = given {
                    q.answered += 1;
                    if let Some(n) = q.chosen.get_mut(usize::from(g)) {
                        *n += 1;
                    }
                    if upper && let Some(n) = q.upper_chosen.get_mut(usize::from(g)) {
                        *n += 1;
                    }
                }
                q.correct += u64::from(right);
                if upper {
                    q.upper.0 += u64::from(right);
                    q.upper.1 += 1;
                }
                if lower {
                    q.lower.0 += u64::from(right);
                    q.lower.1 += 1;
                }
            }
        })
        .await?;
        let ids: Vec<i64> = acc.keys().copied().collect();
        let questions = self.questions(&ids).await?;
        let mut out: Vec<ItemStat> = acc
            .into_iter()
            .filter_map(|(id, a)| {
                let q = &questions.get(&id)?.question;
                Some(item(id, q, a))
            })
            .collect();
        // A voided question is scored by the committee's rule, not its key: say so instead.
        let voids = self.voids(c.stored.contest.id).await?;
        for s in &mut out {
            if let Some(v) = voids.get(&s.question_id) {
                s.flag = Some(crate::shared::naming::void_label(*v).to_string());
            }
        }
        out.sort_by(|a, b| b.flag.is_some().cmp(&a.flag.is_some()).then(a.question_id.cmp(&b.question_id)));
        Ok(out)
    }

    /// The highest score of the weakest 27% and the lowest of the strongest 27%, from the score
    /// counters; `None` before anyone submitted.
    async fn score_thresholds(&self, contest_id: i64, round_id: i64) -> Result<(Option<u32>, Option<u32>)> {
        self.count_attempts().await?;
        let mut scores: Vec<(u32, i64)> = self
            .store
            .counters(contest_id, Some(round_id))
            .await?
            .into_iter()
            .filter(|r| r.round_id == round_id && r.round_id != CONTEST && r.dim == "score")
            .filter_map(|r| r.bucket.parse().ok().map(|s| (s, r.completed)))
            .collect();
        scores.sort_unstable();
        let total: i64 = scores.iter().map(|s| s.1).sum();
        if total == 0 {
            return Ok((None, None));
        }
        let want = group_size(total);
        let mut seen = 0;
        let low = scores.iter().find(|(_, n)| {
            seen += n;
            seen >= want
        });
        let mut seen = 0;
        let high = scores.iter().rev().find(|(_, n)| {
            seen += n;
            seen >= want
        });
        Ok((low.map(|s| s.0), high.map(|s| s.0)))
    }
}

/// How many of `total` submitted attempts make the strongest (or the weakest) group: 27%,
/// rounded up, at least one.
#[expect(clippy::cast_possible_truncation, reason = "27% of an i64 count, rounded up, stays within i64")]
fn group_size(total: i64) -> i64 {
    ((total as f64 * GROUP).ceil() as i64).max(1)
}

/// The letter of option `i` as the bank writes it; a question has at most four options.
fn letter(i: usize) -> char {
    LETTERS.get(i).copied().unwrap_or('?')
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { (part as f64 * 1000.0 / whole as f64).round() / 10.0 }
}

fn item(id: i64, q: &cuocthi_domain::question::Question, a: Acc) -> ItemStat {
    let share = |(right, n): (u64, u64)| (n > 0).then(|| right as f64 / n as f64);
    let discrimination = match (share(a.upper), share(a.lower)) {
        (Some(u), Some(l)) => Some(((u - l) * 100.0).round() / 100.0),
        _ => None,
    };
    let key = usize::from(q.correct);
    let options: Vec<OptionFigure> = (0..q.options.len())
        .map(|i| {
            let chosen = a.chosen.get(i).copied().unwrap_or(0);
            OptionFigure { letter: letter(i), chosen, share_percent: percent(chosen, a.answered), is_key: i == key }
        })
        .collect();
    let key_upper = a.upper_chosen.get(key).copied().unwrap_or(0);
    let (top, top_n) =
        a.upper_chosen.iter().enumerate().max_by_key(|(_, n)| **n).map(|(i, n)| (i, *n)).unwrap_or((0, 0));
    let correct_percent = percent(a.correct, a.asked);
    let flag = if a.upper.1 >= 5 && top != key && top_n > key_upper {
        Some(format!(
            "Nhóm làm bài tốt nhất chọn {} nhiều hơn đáp án {}: kiểm tra lại đáp án.",
            letter(top),
            letter(key)
        ))
    } else if discrimination.is_some_and(|d| d < 0.0) {
        Some("Nhóm làm bài yếu trả lời đúng nhiều hơn nhóm làm bài tốt: câu hỏi có thể gây hiểu nhầm.".into())
    } else if a.asked >= 30 && correct_percent < 10.0 {
        Some("Rất ít người trả lời đúng (dưới 10%): kiểm tra đáp án và cách hỏi.".into())
    } else {
        None
    };
    ItemStat {
        question_id: id,
        topic: q.topic.clone(),
        stem: q.stem.chars().take(120).collect(),
        asked: a.asked,
        answered: a.answered,
        correct_percent,
        discrimination,
        options,
        flag,
    }
}
