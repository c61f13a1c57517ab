//! Review of submitted attempts (rà soát): which ones look suspicious and why, so that a judge
//! decides. Nothing here disqualifies anyone; it only lists, with the reason in Vietnamese.
//!
//! The signals are the ones the organisers' plans name: finished faster than a minimum, many
//! identities from one device or one address, identical answer sequences in bursts, and identity
//! data that fails the CCCD checks. Identical *wrong* answers are what is compared: everyone who
//! answers every question right gives the same answers, and that is not suspicious.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::identity::{Cccd, Identity};
use crate::text;

/// How suspicious attempts are recognised; `[review]` in a contest definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewRules {
    /// Attempts finished in fewer seconds are listed; without it, 2 seconds per question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_seconds: Option<u32>,
    /// More people than this starting from one browser are listed.
    pub max_people_per_device: u32,
    /// More people than this from one network address are listed (a school or an office shares
    /// one address, so the default is generous).
    pub max_people_per_address: u32,
    /// Identical wrong answers from at least `burst_size` people within `burst_minutes` are listed…
    pub burst_minutes: u32,
    pub burst_size: u32,
    /// …when they share at least this many wrong answers.
    pub min_shared_wrong: u32,
}

impl Default for ReviewRules {
    fn default() -> Self {
        ReviewRules {
            min_seconds: None,
            max_people_per_device: 2,
            max_people_per_address: 30,
            burst_minutes: 15,
            burst_size: 3,
            min_shared_wrong: 3,
        }
    }
}

impl ReviewRules {
    /// The minimum time for an attempt of `questions` questions, in milliseconds.
    pub fn min_ms(&self, questions: u32) -> i64 {
        i64::from(self.min_seconds.unwrap_or(questions.saturating_mul(2))) * 1000
    }
}

/// What the review needs of one submitted attempt.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub attempt_id: i64,
    pub participant_id: i64,
    pub questions: u32,
    pub time_taken_ms: i64,
    pub submitted_at_ms: i64,
    /// Keyed tags of the browser and the network address it was started from.
    pub device: Option<String>,
    pub address: Option<String>,
    /// The wrong answers given: (question id, option chosen), in any order.
    pub wrong: Vec<(i64, u8)>,
    /// What is wrong with the person's identity data, if anything.
    pub identity: Option<String>,
}

/// One reason an attempt is listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Concern {
    TooFast { taken_ms: i64, min_ms: i64 },
    SharedDevice { people: usize },
    SharedAddress { people: usize },
    SameWrongAnswers { people: usize, wrong: usize },
    Identity(String),
}

impl Concern {
    /// The reason as a judge reads it.
    pub fn describe(&self) -> String {
        match self {
            Concern::TooFast { taken_ms, min_ms } => {
                format!("Làm bài quá nhanh: {} (tối thiểu {}).", text::duration(*taken_ms), text::duration(*min_ms))
            }
            Concern::SharedDevice { people } => {
                format!("Cùng một thiết bị (trình duyệt) được dùng cho {people} người dự thi.")
            }
            Concern::SharedAddress { people } => {
                format!("Cùng một địa chỉ mạng được dùng cho {people} người dự thi.")
            }
            Concern::SameWrongAnswers { people, wrong } => {
                format!("{people} người nộp bài gần nhau với {wrong} câu trả lời sai giống hệt nhau.")
            }
            Concern::Identity(why) => format!("Thông tin cá nhân không hợp lệ: {why}"),
        }
    }
}

/// A listed attempt with every reason found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flagged {
    pub attempt_id: i64,
    pub participant_id: i64,
    pub concerns: Vec<Concern>,
}

/// What is wrong with identity data that registration would refuse today (data may come from an
/// import, a registered list or an older version of the rules).
pub fn identity_concern(who: &Identity) -> Option<String> {
    let cccd = who.cccd.as_ref()?;
    if let Err(e) = Cccd::parse(cccd.as_str()) {
        return Some(e);
    }
    who.date_of_birth.and_then(|dob| cccd.check_birth(dob).err())
}

/// The attempts that look suspicious, in the order of `samples`, each with every reason.
pub fn review(samples: &[Sample], rules: &ReviewRules) -> Vec<Flagged> {
    let mut concerns: HashMap<i64, Vec<Concern>> = HashMap::new();
    for s in samples {
        let min_ms = rules.min_ms(s.questions);
        if s.time_taken_ms < min_ms {
            concerns.entry(s.attempt_id).or_default().push(Concern::TooFast { taken_ms: s.time_taken_ms, min_ms });
        }
        if let Some(why) = &s.identity {
            concerns.entry(s.attempt_id).or_default().push(Concern::Identity(why.clone()));
        }
    }
    for (attempt_id, people) in shared(samples, |s| s.device.as_deref(), rules.max_people_per_device) {
        concerns.entry(attempt_id).or_default().push(Concern::SharedDevice { people });
    }
    for (attempt_id, people) in shared(samples, |s| s.address.as_deref(), rules.max_people_per_address) {
        concerns.entry(attempt_id).or_default().push(Concern::SharedAddress { people });
    }
    bursts(samples, rules, &mut concerns);
    samples
        .iter()
        .filter_map(|s| {
            let c = concerns.remove(&s.attempt_id)?;
            Some(Flagged { attempt_id: s.attempt_id, participant_id: s.participant_id, concerns: c })
        })
        .collect()
}

/// Every attempt whose tag (a device, an address) is shared by more than `max` people, with how
/// many people share it, in the order of `samples`.
fn shared<'a>(samples: &'a [Sample], tag: impl Fn(&'a Sample) -> Option<&'a str>, max: u32) -> Vec<(i64, usize)> {
    let mut people: HashMap<&str, HashSet<i64>> = HashMap::new();
    for s in samples {
        if let Some(t) = tag(s) {
            people.entry(t).or_default().insert(s.participant_id);
        }
    }
    samples
        .iter()
        .filter_map(|s| {
            let n = tag(s).and_then(|t| people.get(t)).map(HashSet::len)?;
            (n > max as usize).then_some((s.attempt_id, n))
        })
        .collect()
}

/// Lists attempts whose set of wrong answers (at least `min_shared_wrong` of them) is shared by
/// `burst_size` or more people submitting within `burst_minutes` of each other.
fn bursts(samples: &[Sample], rules: &ReviewRules, concerns: &mut HashMap<i64, Vec<Concern>>) {
    let mut groups: HashMap<BTreeSet<(i64, u8)>, Vec<&Sample>> = HashMap::new();
    for s in samples.iter().filter(|s| s.wrong.len() >= rules.min_shared_wrong.max(1) as usize) {
        groups.entry(s.wrong.iter().copied().collect()).or_default().push(s);
    }
    let window = i64::from(rules.burst_minutes) * 60_000;
    for (wrong, mut group) in groups {
        if group.len() < rules.burst_size as usize {
            continue;
        }
        group.sort_by_key(|s| s.submitted_at_ms);
        for s in &group {
            let people: HashSet<i64> = group
                .iter()
                .filter(|o| (o.submitted_at_ms - s.submitted_at_ms).abs() <= window)
                .map(|o| o.participant_id)
                .collect();
            if people.len() >= rules.burst_size as usize {
                concerns
                    .entry(s.attempt_id)
                    .or_default()
                    .push(Concern::SameWrongAnswers { people: people.len(), wrong: wrong.len() });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample(id: i64) -> Sample {
        Sample {
            attempt_id: id,
            participant_id: id,
            questions: 30,
            time_taken_ms: 600_000,
            submitted_at_ms: id * 3_600_000,
            device: Some(format!("d{id}")),
            address: Some(format!("a{id}")),
            wrong: vec![(id, 1)],
            identity: None,
        }
    }

    fn reasons(flagged: &[Flagged], id: i64) -> Vec<Concern> {
        flagged.iter().find(|f| f.attempt_id == id).map(|f| f.concerns.clone()).unwrap_or_default()
    }

    #[test]
    fn too_fast_uses_the_configured_minimum_or_two_seconds_a_question() {
        let mut fast = sample(1);
        fast.time_taken_ms = 59_000;
        let ok = sample(2);
        let flagged = review(&[fast.clone(), ok], &ReviewRules::default());
        assert_eq!(reasons(&flagged, 1), vec![Concern::TooFast { taken_ms: 59_000, min_ms: 60_000 }]);
        assert!(reasons(&flagged, 2).is_empty());
        let rules = ReviewRules { min_seconds: Some(30), ..Default::default() };
        assert!(review(&[fast], &rules).is_empty());
    }

    #[test]
    fn one_device_for_three_people_is_listed_but_a_person_retaking_is_not() {
        let mut s: Vec<Sample> = (1..=4).map(sample).collect();
        for x in &mut s[..3] {
            x.device = Some("shared".into());
        }
        s[3].device = Some("mine".into());
        let mut again = sample(5);
        again.participant_id = 4;
        again.device = Some("mine".into());
        s.push(again);
        let flagged = review(&s, &ReviewRules::default());
        for id in 1..=3 {
            assert_eq!(reasons(&flagged, id), vec![Concern::SharedDevice { people: 3 }]);
        }
        assert!(reasons(&flagged, 4).is_empty() && reasons(&flagged, 5).is_empty());
    }

    #[test]
    fn identical_wrong_answers_in_a_burst_are_listed_and_far_apart_are_not() {
        let wrong = [(10, 2), (11, 0), (12, 3)];
        let mut s: Vec<Sample> = (1..=4).map(sample).collect();
        for (x, minute) in s.iter_mut().zip(0i64..) {
            x.wrong = wrong.iter().rev().copied().collect();
            x.submitted_at_ms = 1_000_000 + minute * 60_000;
        }
        s[3].submitted_at_ms += 24 * 3_600_000;
        let flagged = review(&s, &ReviewRules::default());
        for id in 1..=3 {
            assert_eq!(reasons(&flagged, id), vec![Concern::SameWrongAnswers { people: 3, wrong: 3 }]);
        }
        assert!(reasons(&flagged, 4).is_empty());
        // Two wrong answers in common are too few to mean anything.
        for x in &mut s {
            x.wrong.truncate(2);
        }
        assert!(review(&s, &ReviewRules::default()).is_empty());
    }

    #[test]
    fn identity_data_that_fails_the_cccd_checks_is_named() {
        let who = Identity {
            cccd: Cccd::parse("001099012345").ok(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1985, 1, 2),
            ..Default::default()
        };
        let why = identity_concern(&who).unwrap_or_default();
        assert!(why.contains("1985"), "{why}");
        let fine = Identity { date_of_birth: chrono::NaiveDate::from_ymd_opt(1999, 1, 2), ..who };
        assert_eq!(identity_concern(&fine), None);
        let mut s = sample(1);
        s.identity = Some(why.clone());
        assert_eq!(reasons(&review(&[s], &ReviewRules::default()), 1), vec![Concern::Identity(why)]);
    }

    proptest! {
        /// Whatever the mix, every listed attempt has a reason, exists, and is listed once; and
        /// people with their own device, address and wrong answers, taking their time, never are.
        #[test]
        fn listed_attempts_always_have_a_reason(
            raw in proptest::collection::vec((0i64..6, 0u8..4, 0i64..200_000, 0i64..4, 0u8..3), 0..40)
        ) {
            let samples: Vec<Sample> = raw
                .iter()
                .zip(1i64..)
                .map(|(&(person, dev, taken, minute, wrong), attempt_id)| Sample {
                    attempt_id,
                    participant_id: person,
                    questions: 30,
                    time_taken_ms: taken,
                    submitted_at_ms: minute * 600_000,
                    device: Some(format!("d{dev}")),
                    address: None,
                    wrong: (0..i64::from(wrong) + 2).map(|q| (q, 1)).collect(),
                    identity: None,
                })
                .collect();
            let flagged = review(&samples, &ReviewRules::default());
            let mut seen = HashSet::new();
            for f in &flagged {
                prop_assert!(!f.concerns.is_empty());
                prop_assert!(seen.insert(f.attempt_id));
                prop_assert!(samples.iter().any(|s| s.attempt_id == f.attempt_id && s.participant_id == f.participant_id));
            }
            let honest: Vec<Sample> = samples
                .iter()
                .map(|s| Sample {
                    device: Some(format!("p{}", s.participant_id)),
                    wrong: vec![(s.attempt_id, 0)],
                    time_taken_ms: 600_000,
                    ..s.clone()
                })
                .collect();
            prop_assert!(review(&honest, &ReviewRules::default()).is_empty());
        }
    }
}
