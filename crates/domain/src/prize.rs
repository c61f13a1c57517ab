//! Prizes (giải thưởng): individual prizes walk a ranking, one prize per person; collective prizes
//! (giải tập thể) rank units by participants, participation rate, or a combined score.

use serde::{Deserialize, Serialize};

use crate::ranking::Standing;

/// A prize level: "Giải Nhất", 1 prize of 3,000,000 ₫.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrizeTier {
    pub name: String,
    pub count: u32,
    #[serde(default)]
    pub amount_vnd: i64,
    /// Points a member's prize brings to their unit in a combined collective score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_points: Option<u32>,
}

/// A prize given to a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    pub participant_id: i64,
    pub rank: u32,
    /// Index into the tiers (0 = the highest prize).
    pub tier: usize,
    pub prize: String,
    pub amount_vnd: i64,
}

/// Walks the ranking from the top and gives each tier's prizes in turn to eligible people.
/// A ranking has one row per person, so nobody wins twice in it; the ineligible (incomplete data,
/// excluded, disqualified) are passed over and the prize goes to the next person.
pub fn allocate(ranking: &[Standing], tiers: &[PrizeTier], eligible: impl Fn(i64) -> bool) -> Vec<Award> {
    let mut slots = tiers.iter().enumerate().flat_map(|(i, t)| std::iter::repeat_n(i, t.count as usize));
    let mut awards = Vec::new();
    let mut next = slots.next();
    for row in ranking {
        let Some(tier) = next else { break };
        if !eligible(row.participant_id) {
            continue;
        }
        awards.push(Award {
            participant_id: row.participant_id,
            rank: row.rank,
            tier,
            prize: tiers[tier].name.clone(),
            amount_vnd: tiers[tier].amount_vnd,
        });
        next = slots.next();
    }
    awards
}

/// What a collective prize ranks units by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "basis")]
pub enum CollectiveBasis {
    /// Most participants (people, not attempts).
    Participants,
    /// Highest share of the unit's headcount that took part; units without a headcount are left out.
    ParticipationRate,
    /// `rate in ‰ × rate_weight + the unit_points of the prizes its members won`.
    Combined { rate_weight: u32 },
}

/// How units with equal values are ordered (`tie_break` in a definition): the plan states the rule
/// the committee signs, so a tie at a prize boundary is never settled silently by a unit's code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectiveTie {
    /// Equal values share the place and its prize (đồng giải), and use up the places they cover:
    /// two units tied for the last first prize both get it, and the next place starts one lower.
    #[default]
    Shared,
    /// More participants first; units still equal share the place and the prize.
    MoreParticipants,
    /// The higher participation rate first; units still equal share the place and the prize.
    HigherRate,
}

/// A collective prize structure of a contest. (No `deny_unknown_fields`: serde does not support it
/// beside a flattened field, and it would refuse the `basis` key itself.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectivePrize {
    pub name: String,
    #[serde(flatten)]
    pub basis: CollectiveBasis,
    /// Units with fewer participants are not ranked.
    #[serde(default)]
    pub min_participants: u64,
    #[serde(default)]
    pub tie_break: CollectiveTie,
    pub tiers: Vec<PrizeTier>,
}

/// What a unit (counting its sub-units) achieved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitResult {
    pub unit: String,
    pub participants: u64,
    pub headcount: Option<u64>,
    pub prize_points: u64,
}

impl UnitResult {
    /// Participation rate in per mille, capped at 1000 (headcounts are often out of date).
    pub fn rate_per_mille(&self) -> Option<u64> {
        match self.headcount {
            Some(h) if h > 0 => Some((self.participants * 1000 / h).min(1000)),
            _ => None,
        }
    }
}

/// A unit's place in a collective ranking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitStanding {
    pub rank: u32,
    pub unit: String,
    pub score: u64,
    pub participants: u64,
    pub rate_per_mille: Option<u64>,
    pub prize: Option<String>,
    pub amount_vnd: i64,
}

/// Ranks units for a collective prize and gives its tiers in order. Units equal on the score and
/// the prize's `tie_break` share a place (1, 2, 2, 4) and the prize of the first slot they reach;
/// the unit code only orders the rows of a shared place, never a place or a prize.
pub fn rank_units(results: &[UnitResult], prize: &CollectivePrize) -> Vec<UnitStanding> {
    let mut rows: Vec<(u64, &UnitResult)> = results
        .iter()
        .filter(|r| r.participants >= prize.min_participants)
        .filter_map(|r| Some((score(r, &prize.basis)?, r)))
        .collect();
    let tie = |r: &UnitResult| match prize.tie_break {
        CollectiveTie::Shared => 0,
        CollectiveTie::MoreParticipants => r.participants,
        CollectiveTie::HigherRate => r.rate_per_mille().unwrap_or(0),
    };
    let key = |(score, r): &(u64, &UnitResult)| (*score, tie(r));
    rows.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| a.1.unit.cmp(&b.1.unit)));
    let slots: Vec<&PrizeTier> = prize.tiers.iter().flat_map(|t| std::iter::repeat_n(t, t.count as usize)).collect();
    let mut out: Vec<UnitStanding> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        // The first row of a shared place decides its rank and tier for every row of it.
        let first = out.last().filter(|_| i > 0 && key(&rows[i - 1]) == key(row)).map(|prev| prev.rank);
        let rank = first.unwrap_or_else(|| u32::try_from(i + 1).unwrap_or(u32::MAX));
        let tier = slots.get(rank as usize - 1).copied();
        let (score, r) = *row;
        out.push(UnitStanding {
            rank,
            unit: r.unit.clone(),
            score,
            participants: r.participants,
            rate_per_mille: r.rate_per_mille(),
            prize: tier.map(|t| t.name.clone()),
            amount_vnd: tier.map_or(0, |t| t.amount_vnd),
        });
    }
    out
}

/// What a unit is ranked by under `basis`; `None` leaves it out (a rate without a headcount).
fn score(r: &UnitResult, basis: &CollectiveBasis) -> Option<u64> {
    match *basis {
        CollectiveBasis::Participants => Some(r.participants),
        CollectiveBasis::ParticipationRate => r.rate_per_mille(),
        CollectiveBasis::Combined { rate_weight } => {
            Some(r.rate_per_mille().unwrap_or(0) * u64::from(rate_weight) + r.prize_points)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::{Criterion, Scored, rank_round};
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn tiers(counts: &[u32]) -> Vec<PrizeTier> {
        counts
            .iter()
            .zip(0i64..)
            .map(|(c, i)| PrizeTier {
                name: format!("Giải {i}"),
                count: *c,
                amount_vnd: 1000 * (4 - i),
                unit_points: None,
            })
            .collect()
    }

    fn ranking(n: i64) -> Vec<Standing> {
        let attempts: Vec<Scored> = (0..n)
            .map(|i| Scored {
                attempt_id: i + 1,
                participant_id: i + 1,
                correct: u32::try_from(30 - i % 30).unwrap(),
                questions: 30,
                prediction: None,
                time_taken_ms: i,
                submitted_at_ms: i,
            })
            .collect();
        rank_round(&attempts, &Criterion::default_order(), None)
    }

    #[test]
    fn seed_000_structure_gives_29_prizes_in_order() {
        let t = vec![
            PrizeTier { name: "Giải Nhất".into(), count: 1, amount_vnd: 3_000_000, unit_points: None },
            PrizeTier { name: "Giải Nhì".into(), count: 3, amount_vnd: 2_000_000, unit_points: None },
            PrizeTier { name: "Giải Ba".into(), count: 5, amount_vnd: 1_000_000, unit_points: None },
            PrizeTier { name: "Giải Khuyến khích".into(), count: 20, amount_vnd: 500_000, unit_points: None },
        ];
        let awards = allocate(&ranking(100), &t, |_| true);
        assert_eq!(awards.len(), 29);
        assert_eq!(awards[0].prize, "Giải Nhất");
        assert_eq!(awards[3].prize, "Giải Nhì");
        assert_eq!(awards[4].prize, "Giải Ba");
        assert_eq!(awards.iter().map(|a| a.amount_vnd).sum::<i64>(), 3_000_000 + 6_000_000 + 5_000_000 + 10_000_000);
    }

    #[test]
    fn fewer_people_than_prizes_and_ineligible_people_are_passed_over() {
        let awards = allocate(&ranking(3), &tiers(&[1, 2, 3]), |p| p != 1);
        assert_eq!(awards.iter().map(|a| (a.participant_id, a.tier)).collect::<Vec<_>>(), vec![(2, 0), (3, 1)]);
    }

    /// Seed 003: a person who tops two weekly rounds wins in each round's list, but only once
    /// in the overall list, whose next prize goes to the next person.
    #[test]
    fn a_person_best_in_two_rounds_wins_each_round_and_once_overall() {
        let week = |offset: i64| -> Vec<Scored> {
            (1..=4)
                .map(|p| Scored {
                    attempt_id: offset + p,
                    participant_id: p,
                    correct: if p == 1 { 30 } else { u32::try_from(20 - p).unwrap() },
                    questions: 30,
                    prediction: None,
                    time_taken_ms: 1_000,
                    submitted_at_ms: offset + p,
                })
                .collect()
        };
        let order = Criterion::default_order();
        for w in [week(0), week(100)] {
            let awards = allocate(&rank_round(&w, &order, None), &tiers(&[1, 1]), |_| true);
            assert_eq!(awards.iter().map(|a| a.participant_id).collect::<Vec<_>>(), vec![1, 2]);
        }
        for mode in [crate::ranking::OverallMode::SumOfBest, crate::ranking::OverallMode::BestSingle] {
            let overall = crate::ranking::rank_overall(&[(week(0), None), (week(100), None)], mode, &order);
            assert_eq!(overall.iter().filter(|s| s.participant_id == 1).count(), 1, "{mode:?}: one row a person");
            let awards = allocate(&overall, &tiers(&[1, 2]), |_| true);
            assert_eq!(awards.iter().map(|a| a.participant_id).collect::<Vec<_>>(), vec![1, 2, 3], "{mode:?}");
        }
    }

    /// Nobody is left out when ties run through every criterion: the stable id decides, and the
    /// prizes follow that order.
    #[test]
    fn ties_through_every_criterion_still_give_each_prize_once() {
        let same: Vec<Scored> = (1..=5)
            .map(|p| Scored {
                attempt_id: 10 - p,
                participant_id: p,
                correct: 25,
                questions: 30,
                prediction: Some(100),
                time_taken_ms: 60_000,
                submitted_at_ms: 5,
            })
            .collect();
        let ranked = rank_round(&same, &Criterion::default_order(), Some(100));
        let awards = allocate(&ranked, &tiers(&[1, 2]), |_| true);
        // The lowest attempt id wins the last tie.
        assert_eq!(awards.iter().map(|a| a.participant_id).collect::<Vec<_>>(), vec![5, 4, 3]);
        assert_eq!(awards.iter().map(|a| a.tier).collect::<Vec<_>>(), vec![0, 1, 1]);
    }

    #[test]
    fn collective_prizes_by_rate_skip_units_without_headcount() {
        let r = |u: &str, p, h| UnitResult { unit: u.into(), participants: p, headcount: h, prize_points: 0 };
        let results = vec![r("A", 50, Some(100)), r("B", 90, Some(100)), r("C", 500, None), r("D", 90, Some(90))];
        let prize = CollectivePrize {
            name: "Tỷ lệ".into(),
            basis: CollectiveBasis::ParticipationRate,
            min_participants: 0,
            tie_break: CollectiveTie::Shared,
            tiers: tiers(&[1, 1]),
        };
        let rows = rank_units(&results, &prize);
        assert_eq!(rows.iter().map(|r| r.unit.as_str()).collect::<Vec<_>>(), vec!["D", "B", "A"]);
        assert_eq!(rows[0].prize.as_deref(), Some("Giải 0"));
        assert_eq!(rows[2].prize, None);
        let most = CollectivePrize { basis: CollectiveBasis::Participants, ..prize.clone() };
        assert_eq!(rank_units(&results, &most)[0].unit, "C");
        let combined = CollectivePrize { basis: CollectiveBasis::Combined { rate_weight: 1 }, ..prize };
        let mut with_points = results.clone();
        with_points[0].prize_points = 600;
        assert_eq!(rank_units(&with_points, &combined)[0].unit, "A");
    }

    /// Two units with equal values at a prize boundary: the stated rule decides, never the code.
    #[test]
    fn a_tie_at_a_collective_boundary_follows_the_stated_rule() {
        let r = |u: &str, p, h| UnitResult { unit: u.into(), participants: p, headcount: Some(h), prize_points: 0 };
        // B and A have the same rate (50 %), at the boundary between the one first prize and the second.
        let results = vec![r("C", 90, 100), r("B", 40, 80), r("A", 50, 100), r("D", 10, 100)];
        let mut prize = CollectivePrize {
            name: "Tỷ lệ".into(),
            basis: CollectiveBasis::ParticipationRate,
            min_participants: 0,
            tie_break: CollectiveTie::Shared,
            tiers: tiers(&[1, 1, 1]),
        };
        let shown = |rows: &[UnitStanding]| {
            rows.iter().map(|u| (u.unit.clone(), u.rank, u.prize.clone().unwrap_or_default())).collect::<Vec<_>>()
        };
        let s = |u: &str, rank, p: &str| (u.to_string(), rank, p.to_string());
        assert_eq!(
            shown(&rank_units(&results, &prize)),
            vec![s("C", 1, "Giải 0"), s("A", 2, "Giải 1"), s("B", 2, "Giải 1"), s("D", 4, "")],
            "equal rates share the place and the prize; the fourth place gets no third prize"
        );
        prize.tie_break = CollectiveTie::MoreParticipants;
        assert_eq!(
            shown(&rank_units(&results, &prize)),
            vec![s("C", 1, "Giải 0"), s("A", 2, "Giải 1"), s("B", 3, "Giải 2"), s("D", 4, "")]
        );
        // Reversed input, same answer: the order of the rows read never decides.
        let reversed: Vec<UnitResult> = results.iter().rev().cloned().collect();
        assert_eq!(shown(&rank_units(&reversed, &prize)), shown(&rank_units(&results, &prize)));
    }

    #[test]
    fn collective_prizes_read_from_toml() {
        #[derive(Deserialize)]
        struct F {
            collective_prizes: Vec<CollectivePrize>,
        }
        let f: F = toml::from_str(
            r#"
[[collective_prizes]]
name = "Đơn vị có tỷ lệ tham gia cao nhất"
basis = "combined"
rate_weight = 2
tie_break = "more_participants"
tiers = [{ name = "Giải Nhất", count = 1, amount_vnd = 8000000 }]
"#,
        )
        .unwrap();
        assert_eq!(f.collective_prizes[0].basis, CollectiveBasis::Combined { rate_weight: 2 });
        assert_eq!(f.collective_prizes[0].tie_break, CollectiveTie::MoreParticipants);
    }

    proptest! {
        #[test]
        fn allocation_is_one_prize_per_person_in_rank_order(n in 0i64..80, counts in prop::collection::vec(0u32..10, 1..5), banned in prop::collection::hash_set(1i64..80, 0..20)) {
            let r = ranking(n);
            let t = tiers(&counts);
            let awards = allocate(&r, &t, |p| !banned.contains(&p));
            let total: u32 = counts.iter().sum();
            let eligible = r.iter().filter(|s| !banned.contains(&s.participant_id)).count();
            prop_assert_eq!(awards.len(), (total as usize).min(eligible));
            let people: HashSet<i64> = awards.iter().map(|a| a.participant_id).collect();
            prop_assert_eq!(people.len(), awards.len());
            for w in awards.windows(2) {
                prop_assert!(w[0].rank < w[1].rank && w[0].tier <= w[1].tier);
            }
            prop_assert!(awards.iter().all(|a| !banned.contains(&a.participant_id)));
        }
    }
}
