//! Live statistics (thống kê) as counters: each attempt is counted once when it starts and once
//! when it is submitted, into per-round and per-contest counters by day, hour, unit, locality,
//! participant group and score. The dashboard reads a few hundred counter rows instead of
//! scanning a million attempts; a recount from the attempts gives the same counters.

use std::collections::BTreeMap;

use chrono::{DateTime, Timelike, Utc};
use serde::Serialize;

use crate::vntime;

/// `round_id` of the counters of a whole contest.
pub const CONTEST: i64 = 0;

/// What the counting of one attempt needs, as read with the person's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountRow {
    pub attempt_id: i64,
    pub contest_id: i64,
    pub round_id: i64,
    /// What was already counted: 0 nothing, 1 the start, 2 the start and the submission.
    pub counted: u8,
    pub submitted: bool,
    /// The person's first attempt in the round; in the contest.
    pub first_in_round: bool,
    pub first_in_contest: bool,
    /// The person's first submitted attempt in the round; first with every answer right.
    pub first_finish: bool,
    pub first_full_score: bool,
    pub started_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub correct: Option<u32>,
    pub questions: u32,
    pub unit: Option<String>,
    pub locality: Option<String>,
    pub group: Option<String>,
}

/// Which counter: a round's (or the contest's, [`CONTEST`]) figure along one dimension.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CounterKey {
    pub contest_id: i64,
    pub round_id: i64,
    /// `all`, `day` (`2026-03-10`, Vietnam date), `hour` (`2026-03-10 14`), `unit`, `locality`,
    /// `group`, `score` (correct answers of submitted attempts); and for the contest `unit_day`
    /// (`SO-A|2026-03-10`), each unit's progress by day.
    pub dim: &'static str,
    pub key: String,
}

/// The figures of one counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Measures {
    /// Distinct people who started an attempt.
    pub people: i64,
    pub attempts: i64,
    /// Distinct people who submitted an attempt.
    pub finishers: i64,
    /// Submitted attempts.
    pub completed: i64,
    /// Submitted attempts with every answer right.
    pub full_scores: i64,
    /// Distinct people with such an attempt.
    pub full_score_people: i64,
}

impl Measures {
    pub fn add(&mut self, o: &Measures) {
        self.people += o.people;
        self.attempts += o.attempts;
        self.finishers += o.finishers;
        self.completed += o.completed;
        self.full_scores += o.full_scores;
        self.full_score_people += o.full_score_people;
    }
}

fn day(at: DateTime<Utc>) -> String {
    vntime::local_date(at).format("%Y-%m-%d").to_string()
}

fn hour(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&vntime::offset());
    format!("{} {:02}", local.format("%Y-%m-%d"), local.hour())
}

/// The counters a batch of attempts adds, and what each attempt is counted as afterwards.
pub fn tally(rows: &[CountRow]) -> (BTreeMap<CounterKey, Measures>, Vec<(i64, u8)>) {
    let mut out: BTreeMap<CounterKey, Measures> = BTreeMap::new();
    let mut marks = Vec::with_capacity(rows.len());
    for r in rows {
        if r.counted == 0 {
            let m = Measures { people: i64::from(r.first_in_round), attempts: 1, ..Default::default() };
            let c = Measures { people: i64::from(r.first_in_contest), attempts: 1, ..Default::default() };
            count(&mut out, r, r.started_at, &m, &c);
        }
        if r.submitted && r.counted < 2 {
            let full = r.questions > 0 && r.correct == Some(r.questions);
            let m = Measures {
                finishers: i64::from(r.first_finish),
                completed: 1,
                full_scores: i64::from(full),
                full_score_people: i64::from(r.first_full_score),
                ..Default::default()
            };
            // Across rounds, "first" means nothing per round: the contest counts attempts only.
            let c = Measures { completed: 1, full_scores: i64::from(full), ..Default::default() };
            count(&mut out, r, r.submitted_at.unwrap_or(r.started_at), &m, &c);
            let score = CounterKey {
                contest_id: r.contest_id,
                round_id: r.round_id,
                dim: "score",
                key: r.correct.unwrap_or(0).to_string(),
            };
            out.entry(score).or_default().add(&m);
        }
        marks.push((r.attempt_id, if r.submitted { 2 } else { 1 }));
    }
    (out, marks)
}

/// Counts one event of an attempt, its start or its submission (at `at`), in every counter it
/// belongs to: `round` in the round's, `contest` in the contest's.
fn count(
    out: &mut BTreeMap<CounterKey, Measures>,
    r: &CountRow,
    at: DateTime<Utc>,
    round: &Measures,
    contest: &Measures,
) {
    let mut add = |round_id: i64, dim: &'static str, key: String, m: &Measures| {
        out.entry(CounterKey { contest_id: r.contest_id, round_id, dim, key }).or_default().add(m);
    };
    add(r.round_id, "all", String::new(), round);
    add(r.round_id, "day", day(at), round);
    add(r.round_id, "hour", hour(at), round);
    add(CONTEST, "all", String::new(), contest);
    add(CONTEST, "day", day(at), contest);
    for (dim, key) in [("unit", &r.unit), ("locality", &r.locality), ("group", &r.group)] {
        if let Some(k) = key {
            add(r.round_id, dim, k.clone(), round);
            add(CONTEST, dim, k.clone(), contest);
        }
    }
    if let Some(u) = &r.unit {
        add(CONTEST, "unit_day", format!("{u}|{}", day(at)), contest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn row(id: i64, counted: u8, submitted: bool) -> CountRow {
        CountRow {
            attempt_id: id,
            contest_id: 1,
            round_id: 7,
            counted,
            submitted,
            first_in_round: id == 1,
            first_in_contest: id == 1,
            first_finish: submitted && id == 1,
            first_full_score: false,
            // 16:59 UTC is 23:59 in Vietnam; 17:00 UTC is the next day there.
            started_at: Utc.with_ymd_and_hms(2026, 3, 10, 16, 59, 0).unwrap(),
            submitted_at: submitted.then(|| Utc.with_ymd_and_hms(2026, 3, 10, 17, 5, 0).unwrap()),
            correct: submitted.then_some(30),
            questions: 30,
            unit: Some("SO-A".into()),
            locality: None,
            group: None,
        }
    }

    fn get(m: &BTreeMap<CounterKey, Measures>, round_id: i64, dim: &'static str, key: &str) -> Measures {
        m.get(&CounterKey { contest_id: 1, round_id, dim, key: key.into() }).copied().unwrap_or_default()
    }

    #[test]
    fn a_start_and_a_submission_are_counted_once_each_in_vietnam_days_and_hours() {
        let (m, marks) = tally(&[row(1, 0, true), row(2, 1, true), row(3, 0, false)]);
        assert_eq!(marks, vec![(1, 2), (2, 2), (3, 1)]);
        let all = get(&m, 7, "all", "");
        assert_eq!((all.people, all.attempts, all.finishers, all.completed, all.full_scores), (1, 2, 1, 2, 2));
        assert_eq!(get(&m, 7, "day", "2026-03-10").attempts, 2, "started 23:59 Vietnam time");
        assert_eq!(get(&m, 7, "day", "2026-03-11").completed, 2, "submitted 00:05 the next day");
        assert_eq!(get(&m, 7, "hour", "2026-03-10 23").attempts, 2);
        assert_eq!(get(&m, 7, "score", "30").completed, 2);
        assert_eq!(get(&m, CONTEST, "unit", "SO-A").people, 1);
        assert_eq!(get(&m, CONTEST, "unit_day", "SO-A|2026-03-10").attempts, 2);
        assert_eq!(get(&m, CONTEST, "unit_day", "SO-A|2026-03-11").completed, 2);
        assert_eq!(get(&m, CONTEST, "all", "").completed, 2);
        assert_eq!(get(&m, CONTEST, "all", "").finishers, 0, "distinct finishers are per round");
    }

    proptest! {
        /// Counting in any split into batches gives the counters of counting everything at once.
        #[test]
        fn batches_add_up_to_the_whole(
            states in proptest::collection::vec((any::<bool>(), any::<bool>()), 1..40),
            split in 0usize..40,
        ) {
            let rows: Vec<CountRow> = states.iter().zip(1i64..).map(|(&(sub, first), id)| {
                let mut r = row(id, 0, sub);
                r.first_in_round = first;
                r
            }).collect();
            let (whole, _) = tally(&rows);
            let cut = split.min(rows.len());
            // The first part is seen before any submission: starts only, then the rest later.
            let early: Vec<CountRow> = rows[..cut].iter().map(|r| CountRow { submitted: false, ..r.clone() }).collect();
            let (mut parts, marks) = tally(&early);
            let later: Vec<CountRow> = rows[..cut]
                .iter()
                .zip(&marks)
                .map(|(r, (_, c))| CountRow { counted: *c, ..r.clone() })
                .chain(rows[cut..].iter().cloned())
                .collect();
            for (k, m) in tally(&later).0 {
                parts.entry(k).or_default().add(&m);
            }
            prop_assert_eq!(whole, parts);
        }
    }
}
