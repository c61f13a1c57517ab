use proptest::prelude::*;

use super::*;
use crate::event::{Aggregation, Criterion, PartSpec};

fn p(text: &str) -> Points {
    Points::parse(text).unwrap()
}

/// Seed 002's shape: an introduction judged on three criteria, the knowledge round, a skit.
fn spec(method: Method, decimals: u32, round_at: RoundAt) -> EventSpec {
    let judged = |key: &str, criteria: &[(&str, &str)]| PartSpec {
        key: key.into(),
        name: key.into(),
        weight_percent: 100,
        kind: PartKind::Judged {
            criteria: criteria
                .iter()
                .map(|(k, m)| Criterion { key: (*k).into(), name: (*k).into(), max: p(m) })
                .collect(),
            step: p("0,25"),
        },
    };
    EventSpec {
        name: "Hội thi".into(),
        max_team_size: 5,
        parts: vec![
            judged("gioi-thieu", &[("noi-dung", "40"), ("kha-thi", "30"), ("trinh-bay", "30")]),
            PartSpec {
                key: "kien-thuc".into(),
                name: "Kiến thức".into(),
                weight_percent: 100,
                kind: PartKind::Knowledge { questions: 5, points: p("10"), seconds_per_question: 30, answering: 3 },
            },
            judged("tieu-pham", &[("kich-ban", "50"), ("dien-xuat", "50")]),
        ],
        aggregation: Aggregation { method, decimals, round_at },
        tie_breaks: vec!["kien-thuc".into(), "gioi-thieu".into()],
    }
}

fn sheet(judge: i64, team: i64, part: &str, scores: &[(&str, &str)]) -> Sheet {
    Sheet { judge, team, part: part.into(), scores: scores.iter().map(|(k, v)| ((*k).into(), p(v))).collect() }
}

#[test]
fn a_small_event_adds_up_as_the_committee_would_by_hand() {
    let spec = spec(Method::TrimmedMean { min_judges: 5 }, 2, RoundAt::Criterion);
    let mut sheets = Vec::new();
    // Team 1, introduction: five judges; per criterion the highest and lowest are dropped.
    for (judge, (a, b, c)) in [
        (1, ("30", "20", "25")),
        (2, ("32", "22", "26")),
        (3, ("35", "21", "24,5")),
        (4, ("20", "29", "25")),
        (5, ("31", "25", "27")),
    ] {
        sheets.push(sheet(judge, 1, "gioi-thieu", &[("noi-dung", a), ("kha-thi", b), ("trinh-bay", c)]));
        sheets.push(sheet(judge, 2, "gioi-thieu", &[("noi-dung", "30"), ("kha-thi", "20"), ("trinh-bay", "25")]));
    }
    // noi-dung 30,32,35,20,31 → (30+31+32)/3 = 31; kha-thi 20,22,21,29,25 → (21+22+25)/3 = 22,67;
    // trinh-bay 25,26,24.5,25,27 → (25+25+26)/3 = 25,33: 79,00 before the knowledge round.
    let answered = [
        Answered { team: 1, part: "kien-thuc".into(), correct: 4 },
        Answered { team: 2, part: "kien-thuc".into(), correct: 5 },
    ];
    let adjustments = [Adjustment { team: 2, points: p("-2"), reason: "quá giờ".into() }];
    let out = aggregate(&spec, &[2, 1], &sheets, &answered, &adjustments, &[]).unwrap();
    let one = out.iter().find(|r| r.team == 1).unwrap();
    assert_eq!(one.parts["gioi-thieu"], Some(Exact::from_hundredths(7900)));
    assert_eq!(one.parts["kien-thuc"], Some(Exact::from_hundredths(4000)));
    assert_eq!(one.parts["tieu-pham"], None, "the skit is not judged yet");
    assert!(!one.complete);
    assert_eq!(one.total, Exact::from_hundredths(11900));
    let two = out.iter().find(|r| r.team == 2).unwrap();
    assert_eq!(two.total, Exact::from_hundredths(7500 + 5000 - 200));
    assert_eq!(two.adjustments, Exact::from_hundredths(-200));
    assert_eq!((out[0].team, out[0].rank, out[1].rank), (2, 1, 2), "123 beats 119");
}

#[test]
fn rounding_where_the_rules_say_changes_what_is_shown_and_ranked() {
    // One criterion, three judges: 10, 10, 10,25 → 10,0833…
    let sheets: Vec<Sheet> = [("10", 1), ("10", 2), ("10,25", 3)]
        .iter()
        .map(|(v, j)| sheet(*j, 1, "gioi-thieu", &[("noi-dung", v), ("kha-thi", v), ("trinh-bay", v)]))
        .collect();
    let at_criterion = aggregate(&spec(Method::Mean, 1, RoundAt::Criterion), &[1], &sheets, &[], &[], &[]).unwrap();
    // Each criterion 10,1 (rounded): 30,3.
    assert_eq!(at_criterion[0].total, Exact::new(303, 10));
    let at_total = aggregate(&spec(Method::Mean, 1, RoundAt::Total), &[1], &sheets, &[], &[], &[]).unwrap();
    // 30,25 exactly, rounded half away from zero once: 30,3 as well, but the part stays exact.
    assert_eq!(at_total[0].parts["gioi-thieu"], Some(Exact::new(3025, 100)));
    assert_eq!(at_total[0].total, Exact::new(303, 10));
    let whole = aggregate(&spec(Method::Mean, 0, RoundAt::Part), &[1], &sheets, &[], &[], &[]).unwrap();
    assert_eq!(whole[0].total, Exact::new(30, 1));
}

#[test]
fn ties_go_to_the_listed_parts_then_to_the_committees_lot() {
    let spec = spec(Method::Mean, 2, RoundAt::Part);
    let intro = |team, v| sheet(1, team, "gioi-thieu", &[("noi-dung", v), ("kha-thi", "0"), ("trinh-bay", "0")]);
    // Totals: team 1 = 30 + 20, team 2 = 40 + 10, team 3 = 40 + 10: all 50.
    let sheets = [intro(1, "30"), intro(2, "40"), intro(3, "40")];
    let answered = [(1, 2), (2, 1), (3, 1)].map(|(team, correct)| Answered { team, part: "kien-thuc".into(), correct });
    let out = aggregate(&spec, &[1, 2, 3], &sheets, &answered, &[], &[]).unwrap();
    assert_eq!(
        out.iter().map(|r| (r.team, r.rank, r.needs_lot)).collect::<Vec<_>>(),
        vec![(1, 1, false), (2, 2, true), (3, 2, true)]
    );
    let lots = [TieLot { team: 3, order: 1 }, TieLot { team: 2, order: 2 }];
    let out = aggregate(&spec, &[1, 2, 3], &sheets, &answered, &[], &lots).unwrap();
    assert_eq!(
        out.iter().map(|r| (r.team, r.rank, r.needs_lot)).collect::<Vec<_>>(),
        vec![(1, 1, false), (3, 2, false), (2, 3, false)]
    );
}

#[test]
fn a_sheet_that_breaks_the_definition_is_refused() {
    let spec = spec(Method::Mean, 2, RoundAt::Part);
    let over = [sheet(1, 1, "gioi-thieu", &[("noi-dung", "41")])];
    assert!(matches!(aggregate(&spec, &[1], &over, &[], &[], &[]), Err(AggregateError::BadScore { .. })));
    let wrong_part = [sheet(1, 1, "kien-thuc", &[("noi-dung", "1")])];
    assert!(matches!(aggregate(&spec, &[1], &wrong_part, &[], &[], &[]), Err(AggregateError::NotJudged { .. })));
}

/// A score in steps of 0,25 from 0 to 30 (every criterion's maximum here is at least 30).
fn quarter() -> impl Strategy<Value = Points> {
    (0..=120_i64).prop_map(|q| Points::hundredths(q * 25))
}

proptest! {
    #[test]
    fn a_criterion_score_lies_between_the_judges(values in prop::collection::vec(quarter(), 1..9), trimmed: bool) {
        let method = if trimmed { Method::TrimmedMean { min_judges: 3 } } else { Method::Mean };
        let score = criterion_score(&values, method);
        let lo = values.iter().min().unwrap().exact();
        let hi = values.iter().max().unwrap().exact();
        prop_assert!(lo <= score && score <= hi);
        let mut shuffled = values.clone();
        shuffled.reverse();
        prop_assert_eq!(criterion_score(&shuffled, method), score);
    }

    #[test]
    fn the_same_sheets_in_any_order_give_the_same_ranking(
        scores in prop::collection::vec((1..5_i64, 1..7_i64, quarter(), quarter(), quarter()), 1..60),
        correct in prop::collection::vec(0..6_u32, 6),
        rotate in 0..60_usize,
    ) {
        let spec = spec(Method::TrimmedMean { min_judges: 3 }, 2, RoundAt::Criterion);
        let mut seen = std::collections::BTreeSet::new();
        let sheets: Vec<Sheet> = scores
            .iter()
            .filter(|(team, judge, ..)| seen.insert((*team, *judge)))
            .map(|(team, judge, a, b, c)| Sheet {
                judge: *judge,
                team: *team,
                part: "gioi-thieu".into(),
                scores: [("noi-dung", *a), ("kha-thi", *b), ("trinh-bay", *c)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            })
            .collect();
        let answered: Vec<Answered> =
            (1..5_i64).zip(&correct).map(|(team, c)| Answered { team, part: "kien-thuc".into(), correct: *c }).collect();
        let teams = [1, 2, 3, 4];
        let base = aggregate(&spec, &teams, &sheets, &answered, &[], &[]).unwrap();
        let mut turned = sheets.clone();
        let len = turned.len().max(1);
        turned.rotate_left(rotate % len);
        turned.reverse();
        let mut answered_turned = answered.clone();
        answered_turned.reverse();
        let again = aggregate(&spec, &[4, 3, 2, 1], &turned, &answered_turned, &[], &[]).unwrap();
        prop_assert_eq!(&base, &again);
        // Ranks never rise down the list, and a team ahead has a total at least as high.
        for w in base.windows(2) {
            prop_assert!(w[0].rank <= w[1].rank && w[0].total >= w[1].total);
        }
    }
}
