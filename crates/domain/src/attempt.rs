//! An attempt (lượt thi / bài thi): its deadline, its saved answers and its score.

use chrono::{DateTime, Duration, Utc};

use crate::draw::DrawnQuestion;

/// The last instant an answer or a submission is accepted: the time limit or the round's close,
/// whichever comes first, plus the grace for answers already on their way.
pub fn deadline(
    started_at: DateTime<Utc>,
    time_limit_ms: i64,
    closes_at: DateTime<Utc>,
    grace_s: u32,
) -> DateTime<Utc> {
    let own_end = started_at + Duration::milliseconds(time_limit_ms);
    own_end.min(closes_at) + Duration::seconds(i64::from(grace_s))
}

/// Time taken (thời gian làm bài): from the start to the submission, never more than the time the
/// person actually had (a submission inside the grace counts as at the limit).
pub fn time_taken_ms(
    started_at: DateTime<Utc>,
    submitted_at: DateTime<Utc>,
    time_limit_ms: i64,
    closes_at: DateTime<Utc>,
) -> i64 {
    let had = (closes_at - started_at).num_milliseconds().clamp(0, time_limit_ms);
    (submitted_at - started_at).num_milliseconds().clamp(0, had)
}

/// The saved answers of an attempt, one slot per drawn question, holding the *original* index of
/// the chosen option. Stored as a short string, one character per question: `-` for no answer,
/// `0`–`3` for an option, so a save is one small in-place update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers(Vec<Option<u8>>);

impl serde::Serialize for Answers {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl Answers {
    pub fn empty(n: usize) -> Answers {
        Answers(vec![None; n])
    }

    pub fn decode(s: &str) -> Answers {
        Answers(s.bytes().map(|b| if b.is_ascii_digit() { Some(b - b'0') } else { None }).collect())
    }

    pub fn encode(&self) -> String {
        self.0.iter().map(|a| Self::slot(*a)).collect()
    }

    /// The character stored for one answer.
    pub fn slot(choice: Option<u8>) -> char {
        choice.map_or('-', |i| char::from(b'0' + i))
    }

    pub fn get(&self, position: usize) -> Option<u8> {
        self.0.get(position).copied().flatten()
    }

    pub fn set(&mut self, position: usize, choice: Option<u8>) {
        if let Some(slot) = self.0.get_mut(position) {
            *slot = choice;
        }
    }

    pub fn answered(&self) -> usize {
        self.0.iter().filter(|a| a.is_some()).count()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Counts correct answers. `key` gives a question's correct original option index, or `None` for
/// a question voided by the committee and dropped from scoring.
pub fn score(drawn: &[DrawnQuestion], answers: &Answers, key: impl Fn(i64) -> Option<u8>) -> u32 {
    tally(drawn, answers, |q| key(q).map_or(Key::Drop, Key::Option)).correct
}

/// How many drawn questions count as asked (what a full score is measured against): all but those
/// the committee dropped.
pub fn asked(drawn: &[DrawnQuestion], dropped: impl Fn(i64) -> bool) -> u32 {
    let n = drawn.iter().filter(|d| !dropped(d.question_id)).count();
    // A draw holds at most a round's question count, itself a u32.
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What the committee decided about a flawed question (hủy câu hỏi). A void never changes the
/// stored answers: scores are derived again from them, so `results verify` can re-derive every
/// score after a void exactly as it did before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Void {
    /// Everyone who was asked the question gets its point, whatever they answered (or not).
    Award,
    /// The question is dropped from scoring: it counts neither as asked nor as answered right,
    /// so a full score is still reachable with one question fewer.
    Drop,
}

impl Void {
    pub fn as_str(self) -> &'static str {
        match self {
            Void::Award => "award",
            Void::Drop => "drop",
        }
    }

    pub fn parse(s: &str) -> Option<Void> {
        match s {
            "award" => Some(Void::Award),
            "drop" => Some(Void::Drop),
            _ => None,
        }
    }
}

/// How one drawn question is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// The original index of the correct option.
    Option(u8),
    /// Voided: counts as right for everyone asked it.
    Award,
    /// Voided: not scored at all.
    Drop,
}

impl Key {
    /// The key of a question from its bank key and the committee's void, if any: a void overrides
    /// the bank; a question whose key is unknown is dropped rather than counted against anyone.
    pub fn of(bank: Option<u8>, void: Option<Void>) -> Key {
        match (void, bank) {
            (Some(Void::Award), _) => Key::Award,
            (Some(Void::Drop), _) | (None, None) => Key::Drop,
            (None, Some(k)) => Key::Option(k),
        }
    }
}

/// An attempt's score: correct answers out of the questions that count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub correct: u32,
    /// Questions scored: those drawn, less the dropped ones.
    pub questions: u32,
}

/// Scores an attempt with the committee's voids: each drawn question counts once at most, an
/// awarded one always, a dropped one never.
pub fn tally(drawn: &[DrawnQuestion], answers: &Answers, key: impl Fn(i64) -> Key) -> Tally {
    let mut t = Tally::default();
    for (i, q) in drawn.iter().enumerate() {
        let right = match key(q.question_id) {
            Key::Drop => continue,
            Key::Award => true,
            Key::Option(k) => answers.get(i) == Some(k),
        };
        t.questions += 1;
        t.correct += u32::from(right);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 10, 10, 3, 0, 0).unwrap() + Duration::minutes(min)
    }

    /// `n` questions whose ids are their positions, each showing its options in their own order.
    fn in_order(n: usize) -> Vec<DrawnQuestion> {
        (0..n).map(|i| DrawnQuestion { question_id: i64::try_from(i).unwrap(), order: vec![0, 1, 2, 3] }).collect()
    }

    /// The position of a question of [`in_order`].
    fn at(question_id: i64) -> usize {
        usize::try_from(question_id).unwrap()
    }

    #[test]
    fn the_round_close_cuts_an_attempt_short() {
        assert_eq!(deadline(t(0), 30 * 60_000, t(100), 15), t(30) + Duration::seconds(15));
        assert_eq!(deadline(t(0), 30 * 60_000, t(10), 15), t(10) + Duration::seconds(15));
        assert_eq!(time_taken_ms(t(0), t(12), 30 * 60_000, t(10)), 10 * 60_000);
        assert_eq!(time_taken_ms(t(0), t(31), 30 * 60_000, t(100)), 30 * 60_000);
    }

    #[test]
    fn void_modes_read_back() {
        for v in [Void::Award, Void::Drop] {
            assert_eq!(Void::parse(v.as_str()), Some(v));
        }
        assert_eq!(Void::parse("khac"), None);
        assert_eq!(Key::of(Some(2), None), Key::Option(2));
        assert_eq!(Key::of(Some(2), Some(Void::Drop)), Key::Drop);
        assert_eq!(Key::of(None, Some(Void::Award)), Key::Award);
        assert_eq!(Key::of(None, None), Key::Drop);
    }

    #[test]
    fn a_dropped_question_is_not_counted_as_asked() {
        let drawn = in_order(5);
        assert_eq!(asked(&drawn, |q| q == 2), 4);
        assert_eq!(asked(&drawn, |_| false), 5);
    }

    #[test]
    fn answers_encode_one_character_each() {
        let mut a = Answers::empty(4);
        a.set(1, Some(2));
        a.set(3, Some(0));
        a.set(9, Some(1));
        assert_eq!(a.encode(), "-2-0");
        assert_eq!(Answers::decode("-2-0"), a);
        assert_eq!(a.answered(), 2);
    }

    proptest! {
        #[test]
        fn deadlines_never_exceed_limit_or_close(start in 0i64..1000, limit in 1i64..120, close in 0i64..2000, grace in 0u32..60) {
            let d = deadline(t(start), limit * 60_000, t(close), grace);
            prop_assert!(d <= t(start + limit) + Duration::seconds(i64::from(grace)));
            prop_assert!(d <= t(close) + Duration::seconds(i64::from(grace)));
        }

        #[test]
        fn time_taken_is_within_the_time_had(start in 0i64..100, submit in 0i64..300, limit in 1i64..120, close in 0i64..300) {
            let tt = time_taken_ms(t(start), t(submit), limit * 60_000, t(close));
            prop_assert!(tt >= 0 && tt <= limit * 60_000);
        }

        #[test]
        fn score_counts_matches_and_skips_voided(keys in prop::collection::vec(0u8..4, 1..40), answers in prop::collection::vec(prop::option::of(0u8..4), 1..40), void in 0usize..40) {
            let n = keys.len().min(answers.len());
            let drawn = in_order(n);
            let a = Answers(answers[..n].to_vec());
            let expected = (0..n).filter(|i| *i != void && answers[*i] == Some(keys[*i])).count();
            let scored = score(&drawn, &a, |q| if at(q) == void { None } else { Some(keys[at(q)]) });
            prop_assert_eq!(usize::try_from(scored).unwrap(), expected);
        }

        /// Voids against the same attempt without the voided question: a dropped question never
        /// counts, an awarded one counts exactly once, and a void of a question not drawn changes
        /// nothing.
        #[test]
        fn voids_drop_or_award_exactly_one_question(
            keys in prop::collection::vec(0u8..4, 1..40),
            answers in prop::collection::vec(prop::option::of(0u8..4), 1..40),
            voided in 0usize..40,
            award in any::<bool>(),
        ) {
            let n = keys.len().min(answers.len());
            let drawn = in_order(n);
            let a = Answers(answers[..n].to_vec());
            let mode = if award { Void::Award } else { Void::Drop };
            let bank = |q: i64| Key::Option(keys[at(q)]);
            let with_void = |q: i64| Key::of(Some(keys[at(q)]), (at(q) == voided).then_some(mode));
            let plain = tally(&drawn, &a, bank);
            let voided_tally = tally(&drawn, &a, with_void);
            prop_assert!(voided_tally.correct <= voided_tally.questions);
            prop_assert_eq!(plain.correct, score(&drawn, &a, |q| Some(keys[at(q)])));
            if voided >= n {
                prop_assert_eq!(voided_tally, plain, "a question not drawn changes nothing");
            } else {
                // The same attempt without the voided question.
                let rest: Vec<usize> = (0..n).filter(|i| *i != voided).collect();
                let rest_drawn: Vec<DrawnQuestion> = rest.iter().map(|i| drawn[*i].clone()).collect();
                let rest_answers = Answers(rest.iter().map(|i| answers[*i]).collect());
                let without = tally(&rest_drawn, &rest_answers, bank);
                match mode {
                    Void::Drop => prop_assert_eq!(voided_tally, without),
                    Void::Award => prop_assert_eq!(
                        voided_tally,
                        Tally { correct: without.correct + 1, questions: without.questions + 1 }
                    ),
                }
                // Never below the score before the award, never above it after a drop.
                match mode {
                    Void::Award => prop_assert!(voided_tally.correct >= plain.correct),
                    Void::Drop => prop_assert!(voided_tally.correct <= plain.correct),
                }
            }
        }

        /// An awarded question counts whatever was answered there (or nothing); a dropped one
        /// never, even answered right.
        #[test]
        fn an_award_ignores_the_answer(answer in prop::option::of(0u8..4), key in 0u8..4) {
            let drawn = vec![DrawnQuestion { question_id: 7, order: vec![0, 1, 2, 3] }];
            let a = Answers(vec![answer]);
            prop_assert_eq!(tally(&drawn, &a, |_| Key::Award), Tally { correct: 1, questions: 1 });
            prop_assert_eq!(tally(&drawn, &a, |_| Key::Drop), Tally { correct: 0, questions: 0 });
            prop_assert_eq!(tally(&drawn, &a, |_| Key::Option(key)).correct, u32::from(answer == Some(key)));
        }
    }
}
