//! Ranking (xếp hạng). Each person's best attempt counts; ties run through the configured criteria
//! and end on a stable id, so no two rows ever tie and the same inputs always give the same order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// What the tiebreak question (câu hỏi dự đoán) asks participants to predict; the real figure is
/// counted when the round closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicts {
    /// Distinct people who submitted an attempt (số người tham gia).
    People,
    /// Submitted attempts (số lượt tham gia).
    Attempts,
    /// Distinct people with at least one attempt answering every question correctly.
    FullScorePeople,
}

/// One ranking criterion, in the order a contest's rules list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Most correct answers first.
    CorrectDesc,
    /// Prediction closest to the real figure first; no prediction ranks last.
    PredictionDistanceAsc,
    /// Shortest time taken first.
    TimeTakenAsc,
    /// Earliest submission first.
    SubmittedAtAsc,
}

impl Criterion {
    /// The order published rules use: correct ↓, |prediction − real| ↑, time ↑, submitted ↑.
    pub fn default_order() -> Vec<Criterion> {
        vec![
            Criterion::CorrectDesc,
            Criterion::PredictionDistanceAsc,
            Criterion::TimeTakenAsc,
            Criterion::SubmittedAtAsc,
        ]
    }
}

/// How the overall ranking across rounds is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverallMode {
    /// Sum over rounds of each person's best attempt in the round.
    SumOfBest,
    /// The single best attempt over all rounds.
    BestSingle,
}

/// A submitted attempt, as ranking sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    pub attempt_id: i64,
    pub participant_id: i64,
    pub correct: u32,
    /// The number of questions asked (for full-score counts).
    pub questions: u32,
    pub prediction: Option<i64>,
    pub time_taken_ms: i64,
    /// Milliseconds since the Unix epoch.
    pub submitted_at_ms: i64,
}

/// A row of a ranking: a person with the figures that placed them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub rank: u32,
    pub participant_id: i64,
    /// The attempt that counts (the best single one), if the ranking is of one attempt.
    pub attempt_id: Option<i64>,
    pub correct: u32,
    pub prediction: Option<i64>,
    /// |prediction − real figure|; `None` when there is no prediction or no real figure yet.
    pub distance: Option<u64>,
    pub time_taken_ms: i64,
    pub submitted_at_ms: i64,
    /// The last resort of the order: the attempt id, or the person's id for sums.
    pub stable_id: i64,
}

impl Standing {
    fn from_scored(s: &Scored, real: Option<i64>) -> Standing {
        Standing {
            rank: 0,
            participant_id: s.participant_id,
            attempt_id: Some(s.attempt_id),
            correct: s.correct,
            prediction: s.prediction,
            distance: distance(s.prediction, real),
            time_taken_ms: s.time_taken_ms,
            submitted_at_ms: s.submitted_at_ms,
            stable_id: s.attempt_id,
        }
    }
}

fn distance(prediction: Option<i64>, real: Option<i64>) -> Option<u64> {
    Some(prediction?.abs_diff(real?))
}

/// Compares two standings under an order; never `Equal` for different stable ids.
pub fn compare(a: &Standing, b: &Standing, order: &[Criterion]) -> Ordering {
    for c in order {
        let o = match c {
            Criterion::CorrectDesc => b.correct.cmp(&a.correct),
            Criterion::PredictionDistanceAsc => a.distance.unwrap_or(u64::MAX).cmp(&b.distance.unwrap_or(u64::MAX)),
            Criterion::TimeTakenAsc => a.time_taken_ms.cmp(&b.time_taken_ms),
            Criterion::SubmittedAtAsc => a.submitted_at_ms.cmp(&b.submitted_at_ms),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.stable_id.cmp(&b.stable_id)
}

fn finish(mut rows: Vec<Standing>, order: &[Criterion]) -> Vec<Standing> {
    rows.sort_by(|a, b| compare(a, b, order));
    for (r, rank) in rows.iter_mut().zip(1u32..) {
        r.rank = rank;
    }
    rows
}

/// Each person's best attempt under `order`.
fn best_per_person(attempts: &[Scored], order: &[Criterion], real: Option<i64>) -> BTreeMap<i64, Standing> {
    let mut best: BTreeMap<i64, Standing> = BTreeMap::new();
    for a in attempts {
        let s = Standing::from_scored(a, real);
        match best.get(&a.participant_id) {
            Some(current) if compare(current, &s, order) != Ordering::Greater => {}
            _ => {
                best.insert(a.participant_id, s);
            }
        }
    }
    best
}

/// The ranking of one round: one row per person, their best attempt.
pub fn rank_round(attempts: &[Scored], order: &[Criterion], real_figure: Option<i64>) -> Vec<Standing> {
    finish(best_per_person(attempts, order, real_figure).into_values().collect(), order)
}

/// The overall ranking across rounds; `rounds` holds each round's submitted attempts and real figure.
/// For sums, the distance is the sum of the per-round distances (a missing prediction counts as
/// the worst), the time the sum of times, and the submission the latest of the counted attempts.
pub fn rank_overall(rounds: &[(Vec<Scored>, Option<i64>)], mode: OverallMode, order: &[Criterion]) -> Vec<Standing> {
    match mode {
        OverallMode::BestSingle => {
            let mut best: BTreeMap<i64, Standing> = BTreeMap::new();
            for (attempts, real) in rounds {
                for (pid, s) in best_per_person(attempts, order, *real) {
                    match best.get(&pid) {
                        Some(current) if compare(current, &s, order) != Ordering::Greater => {}
                        _ => {
                            best.insert(pid, s);
                        }
                    }
                }
            }
            finish(best.into_values().collect(), order)
        }
        OverallMode::SumOfBest => {
            let mut sums: BTreeMap<i64, Standing> = BTreeMap::new();
            for (attempts, real) in rounds {
                for (pid, s) in best_per_person(attempts, order, *real) {
                    let e = sums.entry(pid).or_insert(Standing {
                        rank: 0,
                        participant_id: pid,
                        attempt_id: None,
                        correct: 0,
                        prediction: None,
                        distance: Some(0),
                        time_taken_ms: 0,
                        submitted_at_ms: 0,
                        stable_id: pid,
                    });
                    e.correct += s.correct;
                    e.distance = match (e.distance, s.distance) {
                        (Some(a), Some(b)) => Some(a.saturating_add(b)),
                        _ => None,
                    };
                    e.time_taken_ms += s.time_taken_ms;
                    e.submitted_at_ms = e.submitted_at_ms.max(s.submitted_at_ms);
                }
            }
            finish(sums.into_values().collect(), order)
        }
    }
}

/// The real figure the tiebreak question asks about, counted over a round's submitted attempts.
pub fn real_figure(attempts: &[Scored], predicts: Predicts) -> i64 {
    let count = match predicts {
        Predicts::Attempts => attempts.len(),
        Predicts::People => attempts.iter().map(|a| a.participant_id).collect::<HashSet<_>>().len(),
        Predicts::FullScorePeople => attempts
            .iter()
            .filter(|a| a.questions > 0 && a.correct == a.questions)
            .map(|a| a.participant_id)
            .collect::<HashSet<_>>()
            .len(),
    };
    // A collection's length always fits an i64 where we run; saturating keeps it from wrapping.
    i64::try_from(count).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scored(
        attempt_id: i64,
        participant_id: i64,
        correct: u32,
        prediction: Option<i64>,
        time_s: i64,
        at_s: i64,
    ) -> Scored {
        Scored {
            attempt_id,
            participant_id,
            correct,
            questions: 30,
            prediction,
            time_taken_ms: time_s * 1000,
            submitted_at_ms: at_s * 1000,
        }
    }

    #[test]
    fn ties_run_through_every_criterion() {
        let order = Criterion::default_order();
        let rows = rank_round(
            &[
                scored(1, 10, 28, Some(900), 600, 50),
                scored(2, 11, 29, None, 900, 60),
                scored(3, 12, 28, Some(1010), 600, 40),
                scored(4, 13, 28, Some(1010), 500, 70),
                scored(5, 14, 28, Some(990), 500, 30),
                scored(6, 15, 28, Some(990), 500, 30),
            ],
            &order,
            Some(1000),
        );
        let ids: Vec<i64> = rows.iter().map(|r| r.participant_id).collect();
        assert_eq!(ids, vec![11, 14, 15, 13, 12, 10]);
        assert_eq!(rows[1].distance, Some(10));
        assert_eq!(rows.iter().map(|r| r.rank).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn the_best_attempt_of_each_person_counts() {
        let rows = rank_round(
            &[scored(1, 7, 20, None, 100, 1), scored(2, 7, 25, None, 900, 2)],
            &Criterion::default_order(),
            None,
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].attempt_id, Some(2));
    }

    #[test]
    fn overall_sums_the_best_of_each_round() {
        let r1 = vec![
            scored(1, 1, 20, Some(10), 100, 1),
            scored(2, 2, 25, Some(10), 100, 2),
            scored(3, 1, 22, Some(10), 50, 3),
        ];
        let r2 = vec![scored(4, 1, 30, Some(20), 100, 5), scored(5, 2, 20, Some(20), 100, 6)];
        let sum = rank_overall(
            &[(r1.clone(), Some(10)), (r2.clone(), Some(20))],
            OverallMode::SumOfBest,
            &Criterion::default_order(),
        );
        assert_eq!((sum[0].participant_id, sum[0].correct), (1, 52));
        assert_eq!((sum[1].participant_id, sum[1].correct), (2, 45));
        let single =
            rank_overall(&[(r1, Some(10)), (r2, Some(20))], OverallMode::BestSingle, &Criterion::default_order());
        assert_eq!(single[0].attempt_id, Some(4));
    }

    #[test]
    fn real_figures_count_people_attempts_and_full_scores() {
        let a = vec![scored(1, 1, 30, None, 1, 1), scored(2, 1, 20, None, 1, 1), scored(3, 2, 29, None, 1, 1)];
        assert_eq!(real_figure(&a, Predicts::Attempts), 3);
        assert_eq!(real_figure(&a, Predicts::People), 2);
        assert_eq!(real_figure(&a, Predicts::FullScorePeople), 1);
    }

    fn arb_scored() -> impl Strategy<Value = Vec<Scored>> {
        prop::collection::vec((0i64..30, 0u32..31, prop::option::of(0i64..2000), 0i64..1800, 0i64..100), 0..80)
            .prop_map(|v| {
                v.into_iter().zip(1i64..).map(|((p, c, pred, t, at), id)| scored(id, p, c, pred, t, at)).collect()
            })
    }

    proptest! {
        #[test]
        fn rankings_are_total_unique_and_order_independent(attempts in arb_scored(), real in prop::option::of(0i64..2000)) {
            let order = Criterion::default_order();
            let rows = rank_round(&attempts, &order, real);
            let people: HashSet<i64> = attempts.iter().map(|a| a.participant_id).collect();
            prop_assert_eq!(rows.len(), people.len());
            for w in rows.windows(2) {
                prop_assert_eq!(compare(&w[0], &w[1], &order), Ordering::Less);
            }
            // Each row is that person's best attempt: no attempt of theirs beats it.
            for r in &rows {
                for a in attempts.iter().filter(|a| a.participant_id == r.participant_id) {
                    prop_assert_ne!(compare(&Standing::from_scored(a, real), r, &order), Ordering::Less);
                }
            }
            let mut shuffled = attempts.clone();
            shuffled.reverse();
            prop_assert_eq!(rank_round(&shuffled, &order, real), rows);
        }

        #[test]
        fn more_correct_always_ranks_higher_by_default(attempts in arb_scored(), real in prop::option::of(0i64..2000)) {
            let rows = rank_round(&attempts, &Criterion::default_order(), real);
            for w in rows.windows(2) {
                prop_assert!(w[0].correct >= w[1].correct);
            }
        }
    }
}
