//! From the stored sheets to the team totals and the ranking, exactly as the rules say: per
//! criterion the judges' mean (or the mean without the highest and the lowest), the part's score
//! as the sum of its criteria, the team's total as the weighted sum of its parts plus the
//! secretariat's adjustments, rounded where the definition says; ties broken by the listed parts,
//! then by the committee's lot. The inputs are sets: any order gives the same result.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::{EventSpec, Exact, Method, PartKind, Points, RoundAt};

/// A submitted score sheet (phiếu chấm): one judge, one team, one judged part.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    pub judge: i64,
    pub team: i64,
    pub part: String,
    /// Criterion key → points.
    pub scores: BTreeMap<String, Points>,
}

/// A team's answers in the knowledge round.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered {
    pub team: i64,
    pub part: String,
    pub correct: u32,
}

/// A bonus or penalty entered by the secretariat with its reason (e.g. over time).
#[derive(Clone, Debug, PartialEq)]
pub struct Adjustment {
    pub team: i64,
    pub points: Points,
    pub reason: String,
}

/// The order a lot drawn by the committee gives a team among those still tied (1 first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TieLot {
    pub team: i64,
    pub order: u32,
}

/// A team's line of the event's ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamResult {
    pub team: i64,
    /// Part key → score before weighting (`None`: nothing entered for it yet).
    pub parts: BTreeMap<String, Option<Exact>>,
    pub adjustments: Exact,
    /// Rounded to the definition's decimals.
    pub total: Exact,
    /// 1-based; teams the rules and lots leave tied share a rank.
    pub rank: u32,
    /// Every part has its scores (every judge's sheet is not required: the mean is of those in).
    pub complete: bool,
    /// Still tied with another team after every rule and lot: the committee must draw a lot.
    pub needs_lot: bool,
}

/// Why sheets cannot be aggregated: what was stored breaks the definition (the console refuses
/// such a sheet when it is entered; this guards what is read back).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    #[error("Phiếu chấm của giám khảo {judge} cho đội {team}: phần thi \"{part}\" không chấm theo tiêu chí.")]
    NotJudged { judge: i64, team: i64, part: String },
    #[error(
        "Phiếu chấm của giám khảo {judge} cho đội {team}: tiêu chí \"{criterion}\" không có hoặc điểm ngoài 0 đến tối đa."
    )]
    BadScore { judge: i64, team: i64, criterion: String },
    #[error("Phần thi \"{0}\" không phải là phần thi kiến thức.")]
    NotKnowledge(String),
}

/// The event's results for `teams`, best first.
pub fn aggregate(
    spec: &EventSpec,
    teams: &[i64],
    sheets: &[Sheet],
    answered: &[Answered],
    adjustments: &[Adjustment],
    lots: &[TieLot],
) -> Result<Vec<TeamResult>, AggregateError> {
    check(spec, sheets, answered)?;
    let decimals = spec.aggregation.decimals;
    let mut results: Vec<TeamResult> = Vec::with_capacity(teams.len());
    let mut teams = teams.to_vec();
    teams.sort_unstable();
    teams.dedup();
    for team in teams {
        let parts: BTreeMap<String, Option<Exact>> =
            spec.parts.iter().map(|p| (p.key.clone(), part_score(spec, &p.key, team, sheets, answered))).collect();
        let weighted = spec.parts.iter().fold(Exact::ZERO, |sum, p| match parts.get(&p.key).copied().flatten() {
            Some(score) => sum + score * Exact::new(i128::from(p.weight_percent), 100),
            None => sum,
        });
        let adjustment =
            adjustments.iter().filter(|a| a.team == team).fold(Exact::ZERO, |sum, a| sum + a.points.exact());
        let complete = parts.values().all(Option::is_some);
        results.push(TeamResult {
            team,
            parts,
            adjustments: adjustment,
            total: (weighted + adjustment).round(decimals),
            rank: 0,
            complete,
            needs_lot: false,
        });
    }
    rank(spec, &mut results, lots);
    Ok(results)
}

fn check(spec: &EventSpec, sheets: &[Sheet], answered: &[Answered]) -> Result<(), AggregateError> {
    for s in sheets {
        let Some(PartKind::Judged { criteria, .. }) = spec.part(&s.part).map(|p| &p.kind) else {
            return Err(AggregateError::NotJudged { judge: s.judge, team: s.team, part: s.part.clone() });
        };
        for (key, points) in &s.scores {
            let fits =
                criteria.iter().any(|c| &c.key == key && (0..=c.max.as_hundredths()).contains(&points.as_hundredths()));
            if !fits {
                return Err(AggregateError::BadScore { judge: s.judge, team: s.team, criterion: key.clone() });
            }
        }
    }
    for a in answered {
        if !matches!(spec.part(&a.part).map(|p| &p.kind), Some(PartKind::Knowledge { .. })) {
            return Err(AggregateError::NotKnowledge(a.part.clone()));
        }
    }
    Ok(())
}

/// A part's score for a team before weighting; `None` while nothing is entered for it.
fn part_score(spec: &EventSpec, key: &str, team: i64, sheets: &[Sheet], answered: &[Answered]) -> Option<Exact> {
    let part = spec.part(key)?;
    let agg = spec.aggregation;
    let score = match &part.kind {
        PartKind::Knowledge { points, .. } => {
            let correct: u32 = answered.iter().filter(|a| a.team == team && a.part == key).map(|a| a.correct).sum();
            let entered = answered.iter().any(|a| a.team == team && a.part == key);
            entered.then(|| points.exact() * Exact::new(i128::from(correct), 1))?
        }
        PartKind::Judged { criteria, .. } => {
            let mine: Vec<&Sheet> = sheets.iter().filter(|s| s.team == team && s.part == key).collect();
            if mine.is_empty() {
                return None;
            }
            criteria.iter().fold(Exact::ZERO, |sum, c| {
                let values: Vec<Points> = mine.iter().filter_map(|s| s.scores.get(&c.key).copied()).collect();
                let mean = criterion_score(&values, agg.method);
                sum + if agg.round_at == RoundAt::Criterion { mean.round(agg.decimals) } else { mean }
            })
        }
    };
    Some(if agg.round_at == RoundAt::Part { score.round(agg.decimals) } else { score })
}

/// The judges' scores of one criterion made one: the mean, or the trimmed mean (one highest and
/// one lowest dropped by value) when there are enough judges. No score yet counts as zero.
pub fn criterion_score(values: &[Points], method: Method) -> Exact {
    let mut sorted: Vec<i64> = values.iter().map(|p| p.as_hundredths()).collect();
    sorted.sort_unstable();
    let kept: &[i64] = match method {
        Method::TrimmedMean { min_judges } if u32::try_from(sorted.len()).is_ok_and(|n| n >= min_judges.max(3)) => {
            &sorted[1..sorted.len() - 1]
        }
        _ => &sorted,
    };
    let Ok(n) = u32::try_from(kept.len()) else { return Exact::ZERO };
    if n == 0 {
        return Exact::ZERO;
    }
    kept.iter().fold(Exact::ZERO, |sum, h| sum + Exact::from_hundredths(*h)).over(n)
}

/// Orders by total, then by the tie-break parts in order, then by lot; gives shared ranks to what
/// stays tied and marks it as needing a lot.
fn rank(spec: &EventSpec, results: &mut [TeamResult], lots: &[TieLot]) {
    let lot = |team: i64| lots.iter().find(|l| l.team == team).map(|l| l.order);
    let by_rules = |a: &TeamResult, b: &TeamResult| -> Ordering {
        b.total.cmp(&a.total).then_with(|| {
            spec.tie_breaks.iter().fold(Ordering::Equal, |o, key| {
                o.then_with(|| {
                    let score = |r: &TeamResult| r.parts.get(key).copied().flatten().unwrap_or(Exact::ZERO);
                    score(b).cmp(&score(a))
                })
            })
        })
    };
    let by_lot = |a: &TeamResult, b: &TeamResult| match (lot(a.team), lot(b.team)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => Ordering::Equal,
    };
    results.sort_by(|a, b| by_rules(a, b).then_with(|| by_lot(a, b)).then_with(|| a.team.cmp(&b.team)));
    for i in 0..results.len() {
        let tied_before =
            i > 0 && by_rules(&results[i - 1], &results[i]).is_eq() && by_lot(&results[i - 1], &results[i]).is_eq();
        let tied_after = i + 1 < results.len()
            && by_rules(&results[i], &results[i + 1]).is_eq()
            && by_lot(&results[i], &results[i + 1]).is_eq();
        results[i].rank = if tied_before { results[i - 1].rank } else { u32::try_from(i + 1).unwrap_or(u32::MAX) };
        results[i].needs_lot = tied_before || tied_after;
    }
}

#[cfg(test)]
mod tests;
