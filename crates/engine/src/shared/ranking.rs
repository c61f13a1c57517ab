//! Rankings as both sides read them: the scores of a round without disqualified attempts and
//! people, the ranking and prizes computed from them, and the public view of a ranking (names,
//! units and places, never personal numbers). The console approves and publishes rankings
//! (`console::results`), participants and the public read what is published
//! (`participant::results`), and `console::verify` computes them again from the answers.

use std::collections::{HashMap, HashSet};

use std::collections::BTreeMap;

use cuocthi_domain::contest::Predicts;
use cuocthi_domain::event::EventSpec;
use cuocthi_domain::event::Points;
use cuocthi_domain::event::aggregate::{self, Adjustment, Answered, Sheet, TieLot};
use cuocthi_domain::identity::normalise_key;
use cuocthi_domain::prize::{self, Award, CollectivePrize, PrizeTier, UnitResult, UnitStanding};
use cuocthi_domain::ranking::{self, Criterion, Scored, Standing};
use cuocthi_store::{DisqualificationRow, MemberRow, ParticipantRow, RoundPhase, RoundRow, SheetRow, TeamRow};
use serde::{Deserialize, Serialize};

use crate::shared::catalog::CachedContest;
use crate::shared::naming::{locality_name, unit_name};
use crate::shared::views::{
    AppliedPrize, AppliedTier, CollectiveStructure, CollectiveView, EventPartView, EventResultsView, RankingRow,
    RankingView, TeamRankingRow, UnitRankingRow,
};
use crate::{Engine, EngineError, Result};

/// A round's ranking with its prizes, before or after publication.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoundResults {
    pub round_id: i64,
    pub round_name: String,
    /// The real tiebreak figure: frozen at the close, or counted now for a draft.
    pub real_figure: Option<i64>,
    pub standings: Vec<Standing>,
    pub awards: Vec<Award>,
}

/// A collective prize with the units' places.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CollectiveResults {
    pub prize: String,
    pub units: Vec<UnitStanding>,
}

/// Attempts and people taken out of rankings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Exclusions {
    attempts: HashSet<i64>,
    people: HashSet<i64>,
}

impl Exclusions {
    /// The disqualifications standing at `as_of` (ms; `None`: now).
    fn of(rows: &[DisqualificationRow], as_of: Option<i64>) -> Exclusions {
        let mut out = Exclusions::default();
        let standing = |d: &&DisqualificationRow| match as_of {
            None => d.lifted_at.is_none(),
            Some(t) => d.created_at <= t && d.lifted_at.is_none_or(|l| l > t),
        };
        for d in rows.iter().filter(standing) {
            match d.attempt_id {
                Some(a) => out.attempts.insert(a),
                None => out.people.insert(d.participant_id),
            };
        }
        out
    }

    pub(crate) fn keeps(&self, s: &Scored) -> bool {
        !self.attempts.contains(&s.attempt_id) && !self.people.contains(&s.participant_id)
    }

    pub(crate) fn covers(&self, attempt_id: i64, participant_id: i64) -> bool {
        self.attempts.contains(&attempt_id) || self.people.contains(&participant_id)
    }
}

impl Engine {
    pub(crate) async fn people(&self, contest_id: i64) -> Result<HashMap<i64, ParticipantRow>> {
        Ok(self.store.participants_of(contest_id).await?.into_iter().map(|p| (p.id, p)).collect())
    }

    /// Who may receive a prize: complete data and not on the exclusion list (which organisers may
    /// extend after people registered).
    pub(crate) fn prize_eligible<'a>(
        c: &'a CachedContest,
        people: &'a HashMap<i64, ParticipantRow>,
    ) -> impl Fn(i64) -> bool + 'a {
        let excluded: HashSet<String> =
            c.spec.settings.eligibility.exclusions.iter().map(|x| normalise_key(x)).collect();
        move |pid| {
            people.get(&pid).is_some_and(|p| p.complete && !p.identity.list_keys().iter().any(|k| excluded.contains(k)))
        }
    }

    pub(crate) fn round_by_number(c: &CachedContest, number: i64) -> Result<RoundRow> {
        c.stored.rounds.iter().find(|r| r.number == number).cloned().ok_or(EngineError::NotFound("đợt thi"))
    }

    pub(crate) fn figure(&self, round: &RoundRow, scored: &[Scored]) -> Option<i64> {
        let predicts: Predicts = round.rules.tiebreak.as_ref()?.predicts;
        round
            .real_figure
            .or_else(|| (round.phase(self.now()) == RoundPhase::Closed).then(|| ranking::real_figure(scored, predicts)))
    }

    /// Gives the prizes down the ranking, reading only the people near the top: deciding who is
    /// eligible in a ranking of a million needs the data of a few dozen.
    pub(crate) async fn awards(
        &self,
        c: &CachedContest,
        standings: &[Standing],
        tiers: &[PrizeTier],
    ) -> Result<Vec<Award>> {
        let total: usize = tiers.iter().map(|t| t.count as usize).sum();
        let mut take = (total * 2).max(64);
        loop {
            let head = &standings[..take.min(standings.len())];
            let ids: Vec<i64> = head.iter().map(|s| s.participant_id).collect();
            let people: HashMap<i64, ParticipantRow> =
                self.store.participants_by_id(&ids).await?.into_iter().map(|p| (p.id, p)).collect();
            let awards = prize::allocate(head, tiers, Self::prize_eligible(c, &people));
            if awards.len() >= total || head.len() == standings.len() {
                return Ok(awards);
            }
            take *= 4;
        }
    }

    pub(crate) async fn rank(&self, c: &CachedContest, round: &RoundRow) -> Result<RoundResults> {
        let scored = self.scored(c, round).await?;
        self.rank_scored(c, round, scored).await
    }

    /// The scores of a round, without disqualified attempts and people.
    pub(crate) async fn scored(&self, c: &CachedContest, round: &RoundRow) -> Result<Vec<Scored>> {
        let excluded = self.exclusions(c.stored.contest.id, None).await?;
        let mut scored = self.store.scored_attempts(round.id).await?;
        scored.retain(|s| excluded.keeps(s));
        Ok(scored)
    }

    /// The ranking and prizes of a round from given scores (stored, or recomputed by a check).
    pub(crate) async fn rank_scored(
        &self,
        c: &CachedContest,
        round: &RoundRow,
        scored: Vec<Scored>,
    ) -> Result<RoundResults> {
        let real = self.figure(round, &scored);
        let standings = ranking::rank_round(&scored, &round.rules.ranking_order, real);
        let awards = self.awards(c, &standings, &round.rules.prizes).await?;
        Ok(RoundResults { round_id: round.id, round_name: round.name.clone(), real_figure: real, standings, awards })
    }

    /// The public view of results: prize winners with name, unit and locality, never personal numbers.
    pub(crate) fn public_view(
        &self,
        c: &CachedContest,
        results: &RoundResults,
        round_id: Option<i64>,
        people: &HashMap<i64, ParticipantRow>,
    ) -> RankingView {
        let by_pid: HashMap<i64, &Standing> = results.standings.iter().map(|s| (s.participant_id, s)).collect();
        let order = Self::ranking_order(c, round_id);
        let by_submission = order.contains(&Criterion::SubmittedAtAsc);
        let rows = results
            .awards
            .iter()
            .filter_map(|a| {
                let s = by_pid.get(&a.participant_id)?;
                let p = people.get(&a.participant_id)?;
                Some(RankingRow {
                    public_id: Some(self.public_id(c.stored.contest.id, a.participant_id)),
                    rank: s.rank,
                    name: p.identity.full_name.clone().unwrap_or_default(),
                    unit: unit_name(c, p.identity.unit.as_deref()),
                    locality: locality_name(c, p.identity.locality.as_deref()),
                    correct: s.correct,
                    time_taken_ms: s.time_taken_ms,
                    prediction: s.prediction,
                    distance: s.distance,
                    prize: Some(a.prize.clone()),
                    amount_vnd: a.amount_vnd,
                    submitted_at_ms: by_submission.then_some(s.submitted_at_ms),
                })
            })
            .collect();
        RankingView {
            contest_slug: c.spec.slug.clone(),
            round_id,
            title: format!("{} — {}", c.spec.title, results.round_name),
            published_at: None,
            real_figure: results.real_figure,
            participants: results.standings.len(),
            rows,
            audit_last_id: None,
            audit_digest: None,
            version: None,
            meeting_reference: None,
            collective: Vec::new(),
            columns: order.iter().map(|c| column_of(*c).to_string()).collect(),
            collective_structure: None,
            event: None,
        }
    }

    /// The criteria a scope's ranking compares, in the order its rules list them.
    fn ranking_order(c: &CachedContest, round_id: Option<i64>) -> Vec<Criterion> {
        match round_id {
            Some(id) => c.stored.rounds.iter().find(|r| r.id == id).map(|r| r.rules.ranking_order.clone()),
            None => c.spec.settings.overall.as_ref().map(|o| o.ranking_order.clone()),
        }
        .unwrap_or_else(Criterion::default_order)
    }

    /// A person's public id in a contest: a keyed tag, so it is stable across versions and
    /// rounds without being stored, and tells nothing to whoever lacks the deployment's secret.
    pub(crate) fn public_id(&self, contest_id: i64, participant_id: i64) -> String {
        self.signer.tag(&format!("public-id:{contest_id}:{participant_id}"), 16)
    }

    /// The scope whose versions carry the collective results (`Some(None)` the overall ranking,
    /// `Some(Some(round))` the last round's), or `None` when the contest awards none: units are
    /// ranked on the whole contest, so they are approved with the ranking approved last.
    pub(crate) fn collective_scope(c: &CachedContest) -> Option<Option<i64>> {
        if c.spec.settings.collective_prizes.is_empty() {
            return None;
        }
        if c.spec.settings.overall.is_some() {
            return Some(None);
        }
        c.stored.rounds.iter().max_by_key(|r| r.number).map(|r| Some(r.id))
    }

    /// Collective prizes from every round's results: units at the top of the tree, each counting
    /// its sub-units' people ranked in at least one round, and the unit points of their prizes.
    pub(crate) async fn collective_of(
        &self,
        c: &CachedContest,
        rounds: &[RoundResults],
        prizes: &[CollectivePrize],
    ) -> Result<Vec<CollectiveResults>> {
        let people = self.people(c.stored.contest.id).await?;
        let mut took_part: HashSet<i64> = HashSet::new();
        let mut points: HashMap<i64, u64> = HashMap::new();
        for results in rounds {
            let rules = c.stored.rounds.iter().find(|r| r.id == results.round_id).map(|r| &r.rules);
            took_part.extend(results.standings.iter().map(|s| s.participant_id));
            for a in &results.awards {
                let p = rules.and_then(|r| r.prizes.get(a.tier)).and_then(|t| t.unit_points).unwrap_or(0);
                *points.entry(a.participant_id).or_default() += u64::from(p);
            }
        }
        let unit_of = |pid: &i64| people.get(pid).and_then(|p| p.identity.unit.as_deref());
        let units: Vec<UnitResult> = c
            .spec
            .units
            .iter()
            .filter(|u| u.parent.is_none())
            .map(|top| {
                let codes: HashSet<&str> = c.spec.subtree(&top.code).iter().map(|u| u.code.as_str()).collect();
                let members: Vec<i64> =
                    took_part.iter().copied().filter(|pid| unit_of(pid).is_some_and(|u| codes.contains(u))).collect();
                UnitResult {
                    unit: top.code.clone(),
                    participants: members.len() as u64,
                    headcount: top.headcount.map(u64::from),
                    prize_points: members.iter().map(|m| points.get(m).copied().unwrap_or(0)).sum(),
                }
            })
            .collect();
        Ok(prizes
            .iter()
            .map(|p| CollectiveResults { prize: p.name.clone(), units: prize::rank_units(&units, p) })
            .collect())
    }

    /// The public view of collective results: units named as the definition names them.
    pub(crate) fn collective_view(c: &CachedContest, results: &[CollectiveResults]) -> Vec<CollectiveView> {
        results
            .iter()
            .map(|r| CollectiveView {
                prize: r.prize.clone(),
                units: r
                    .units
                    .iter()
                    .map(|u| UnitRankingRow {
                        rank: u.rank,
                        unit_code: u.unit.clone(),
                        unit: unit_name(c, Some(&u.unit)).unwrap_or_else(|| u.unit.clone()),
                        score: u.score,
                        participants: u.participants,
                        rate_per_mille: u.rate_per_mille,
                        prize: u.prize.clone(),
                        amount_vnd: u.amount_vnd,
                    })
                    .collect(),
            })
            .collect()
    }

    /// The collective prizes as a version applies them: the definition's, each level's count and
    /// amount replaced by `adjusted[prize][level]` where given; with the structure to store.
    pub(crate) fn applied_collective(
        c: &CachedContest,
        adjusted: Option<&[Vec<(u32, i64)>]>,
    ) -> (Vec<CollectivePrize>, Vec<AppliedPrize>) {
        let mut prizes = c.spec.settings.collective_prizes.clone();
        let mut applied = Vec::with_capacity(prizes.len());
        for (i, p) in prizes.iter_mut().enumerate() {
            let mut tiers = Vec::with_capacity(p.tiers.len());
            for (j, t) in p.tiers.iter_mut().enumerate() {
                let (defined_count, defined_amount_vnd) = (t.count, t.amount_vnd);
                if let Some((count, amount)) = adjusted.and_then(|a| a.get(i)).and_then(|a| a.get(j)) {
                    (t.count, t.amount_vnd) = (*count, *amount);
                }
                tiers.push(AppliedTier {
                    name: t.name.clone(),
                    count: t.count,
                    amount_vnd: t.amount_vnd,
                    defined_count,
                    defined_amount_vnd,
                });
            }
            applied.push(AppliedPrize { prize: p.name.clone(), tiers });
        }
        (prizes, applied)
    }

    /// The collective prizes a stored structure applied: the definition's bases and rules with the
    /// levels the version recorded (what `results verify` recomputes with).
    pub(crate) fn collective_prizes_of(c: &CachedContest, stored: &CollectiveStructure) -> Vec<CollectivePrize> {
        let levels: Vec<Vec<(u32, i64)>> =
            stored.prizes.iter().map(|p| p.tiers.iter().map(|t| (t.count, t.amount_vnd)).collect()).collect();
        let (mut prizes, _) = Self::applied_collective(c, Some(&levels));
        for (p, s) in prizes.iter_mut().zip(&stored.prizes) {
            for (t, st) in p.tiers.iter_mut().zip(&s.tiers) {
                t.name.clone_from(&st.name);
            }
        }
        prizes
    }

    /// The in-person event's stored inputs, or `None` when the contest has no event.
    pub(crate) async fn event_inputs(&self, c: &CachedContest) -> Result<Option<EventInputs>> {
        let Some(spec) = c.spec.settings.event.clone() else { return Ok(None) };
        let id = c.stored.contest.id;
        let sheets = self.store.event_sheets(id, None).await?;
        let counted = sheets
            .iter()
            .filter(|s| s.status == "submitted")
            .map(|s| {
                Ok(Sheet { judge: s.judge_id, team: s.team_id, part: s.part_key.clone(), scores: sheet_scores(s)? })
            })
            .collect::<Result<Vec<_>>>()?;
        let answered = self
            .store
            .event_answers(id)
            .await?
            .into_iter()
            .map(|a| Answered { team: a.team_id, part: a.part_key, correct: u32::try_from(a.correct).unwrap_or(0) })
            .collect();
        let adjustments = self
            .store
            .event_adjustments(id)
            .await?
            .into_iter()
            .map(|a| Adjustment { team: a.team_id, points: Points::hundredths(a.points), reason: a.reason })
            .collect();
        let lots = self
            .store
            .event_tie_lots(id)
            .await?
            .iter()
            .map(|l| TieLot { team: l.team_id, order: u32::try_from(l.lot_order).unwrap_or(u32::MAX) })
            .collect();
        Ok(Some(EventInputs {
            spec,
            teams: self.store.event_teams(id).await?,
            members: self.store.event_members(id).await?,
            sheets,
            counted,
            answered,
            adjustments,
            lots,
        }))
    }

    /// The event's prize levels as the definition states them.
    pub(crate) fn event_tiers(c: &CachedContest) -> Vec<AppliedTier> {
        c.spec
            .settings
            .event_prizes
            .iter()
            .map(|t| AppliedTier {
                name: t.name.clone(),
                count: t.count,
                amount_vnd: t.amount_vnd,
                defined_count: t.count,
                defined_amount_vnd: t.amount_vnd,
            })
            .collect()
    }

    /// The event's ranking and team prizes from its inputs, and what stops its approval: a tie at
    /// a prize boundary the rules left for the committee's lot, a team without every part's score.
    pub(crate) fn event_view(
        c: &CachedContest,
        inputs: &EventInputs,
        tiers: &[AppliedTier],
    ) -> Result<(EventResultsView, Vec<String>)> {
        let spec = &inputs.spec;
        let ids: Vec<i64> = inputs.teams.iter().map(|t| t.id).collect();
        let results =
            aggregate::aggregate(spec, &ids, &inputs.counted, &inputs.answered, &inputs.adjustments, &inputs.lots)
                .map_err(|e| EngineError::Internal(Box::new(e)))?;
        let slots: Vec<&AppliedTier> = tiers.iter().flat_map(|t| std::iter::repeat_n(t, t.count as usize)).collect();
        let mut problems = Vec::new();
        let mut teams: Vec<TeamRankingRow> = Vec::with_capacity(results.len());
        for r in &results {
            let Some(t) = inputs.teams.iter().find(|t| t.id == r.team) else { continue };
            if !r.complete {
                problems.push(format!("Đội “{}” chưa có đủ điểm các phần thi.", t.name));
            }
            teams.push(TeamRankingRow {
                rank: r.rank,
                team_id: t.id,
                team: t.name.clone(),
                unit_code: t.unit_code.clone(),
                unit: unit_name(c, Some(&t.unit_code)).unwrap_or_else(|| t.unit_code.clone()),
                members: inputs.members.iter().filter(|m| m.team_id == t.id).map(member_line).collect(),
                parts: spec
                    .parts
                    .iter()
                    .map(|p| r.parts.get(&p.key).copied().flatten().map(|x| x.display(6)))
                    .collect(),
                adjustments: r.adjustments.display(2),
                total: r.total.display(spec.aggregation.decimals),
                lot: inputs.lots.iter().find(|l| l.team == t.id).map(|l| l.order),
                needs_lot: r.needs_lot,
                prize: None,
                amount_vnd: 0,
            });
        }
        // Teams sharing a place share its prize when the place's slots are all of one level;
        // a shared place across two levels (or the last prize) waits for the committee's lot.
        let mut i = 0;
        while i < teams.len() {
            let n = teams[i..].iter().take_while(|t| t.rank == teams[i].rank).count();
            let levels: Vec<Option<&AppliedTier>> = (i..i + n).map(|k| slots.get(k).copied()).collect();
            if levels.windows(2).all(|w| w[0].map(|t| &t.name) == w[1].map(|t| &t.name)) {
                for (team, level) in teams[i..i + n].iter_mut().zip(&levels) {
                    team.prize = level.map(|t| t.name.clone());
                    team.amount_vnd = level.map_or(0, |t| t.amount_vnd);
                }
            } else {
                let names: Vec<&str> = teams[i..i + n].iter().map(|t| t.team.as_str()).collect();
                problems.push(format!(
                    "Các đội {} bằng điểm ở ranh giới giải, sau khi xét {}; Ban Tổ chức cần bốc thăm phân định.",
                    names.join(", "),
                    if spec.tie_breaks.is_empty() {
                        "tổng điểm".to_string()
                    } else {
                        "các tiêu chí phụ".to_string()
                    }
                ));
            }
            i += n;
        }
        let view = EventResultsView {
            name: spec.name.clone(),
            parts: spec
                .parts
                .iter()
                .map(|p| EventPartView { key: p.key.clone(), name: p.name.clone(), weight_percent: p.weight_percent })
                .collect(),
            tie_breaks: spec
                .tie_breaks
                .iter()
                .map(|k| spec.part(k).map_or_else(|| k.clone(), |p| p.name.clone()))
                .collect(),
            teams,
            prizes: tiers.to_vec(),
        };
        Ok((view, problems))
    }

    /// The disqualifications of a contest standing now, or at a publication's instant.
    pub(crate) async fn exclusions(&self, contest_id: i64, as_of: Option<i64>) -> Result<Exclusions> {
        Ok(Exclusions::of(&self.store.disqualifications(contest_id).await?, as_of))
    }
}

/// The in-person event's stored sheets, answers, adjustments and lots, as read for its ranking.
pub(crate) struct EventInputs {
    pub spec: EventSpec,
    pub teams: Vec<TeamRow>,
    pub members: Vec<MemberRow>,
    /// Every sheet, reopened ones too (the workbook lists them).
    pub sheets: Vec<SheetRow>,
    /// The submitted sheets, which the ranking counts.
    pub counted: Vec<Sheet>,
    pub answered: Vec<Answered>,
    pub adjustments: Vec<Adjustment>,
    pub lots: Vec<TieLot>,
}

/// A sheet's scores (criterion → hundredths).
pub(crate) fn sheet_scores(s: &SheetRow) -> Result<BTreeMap<String, Points>> {
    let hundredths: BTreeMap<String, i64> = serde_json::from_str(&s.scores)
        .map_err(|e| EngineError::Internal(format!("phiếu chấm {}: {e}", s.id).into()))?;
    Ok(hundredths.into_iter().map(|(k, h)| (k, Points::hundredths(h))).collect())
}

/// A member as the results name them: `Nguyễn Văn A (đội trưởng)`.
fn member_line(m: &MemberRow) -> String {
    if m.captain != 0 { format!("{} (đội trưởng)", m.name) } else { m.name.clone() }
}

/// A ranking criterion's column name in a version's `columns`.
pub fn column_of(c: Criterion) -> &'static str {
    match c {
        Criterion::CorrectDesc => "correct",
        Criterion::PredictionDistanceAsc => "prediction",
        Criterion::TimeTakenAsc => "time",
        Criterion::SubmittedAtAsc => "submitted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, person: i64, attempt: Option<i64>, at: i64, lifted: Option<i64>) -> DisqualificationRow {
        DisqualificationRow {
            id,
            contest_id: 1,
            participant_id: person,
            attempt_id: attempt,
            reason: "lý do".into(),
            created_by: "giamkhao".into(),
            created_at: at,
            lifted_at: lifted,
            lifted_by: None,
            lift_reason: None,
        }
    }

    fn scored(attempt_id: i64, participant_id: i64) -> Scored {
        Scored {
            attempt_id,
            participant_id,
            correct: 1,
            questions: 1,
            prediction: None,
            time_taken_ms: 1,
            submitted_at_ms: 1,
        }
    }

    #[test]
    fn exclusions_as_of_an_instant_see_only_what_stood_then() {
        let rows = [row(1, 10, None, 100, None), row(2, 11, Some(7), 100, Some(200)), row(3, 12, None, 300, None)];
        let now = Exclusions::of(&rows, None);
        assert!(!now.keeps(&scored(1, 10)) && now.keeps(&scored(7, 11)) && !now.keeps(&scored(2, 12)));
        let then = Exclusions::of(&rows, Some(150));
        assert!(!then.keeps(&scored(1, 10)) && !then.keeps(&scored(7, 11)) && then.keeps(&scored(8, 11)));
        assert!(then.keeps(&scored(2, 12)));
    }
}
