//! Rankings as both sides read them: the scores of a round without disqualified attempts and
//! people, the ranking and prizes computed from them, and the public view of a ranking (names,
//! units and places, never personal numbers). The console approves and publishes rankings
//! (`console::results`), participants and the public read what is published
//! (`participant::results`), and `console::verify` computes them again from the answers.

use std::collections::{HashMap, HashSet};

use cuocthi_domain::contest::Predicts;
use cuocthi_domain::identity::normalise_key;
use cuocthi_domain::prize::{self, Award, PrizeTier, UnitResult, UnitStanding};
use cuocthi_domain::ranking::{self, Scored, Standing};
use cuocthi_store::{DisqualificationRow, ParticipantRow, RoundPhase, RoundRow};
use serde::{Deserialize, Serialize};

use crate::shared::catalog::CachedContest;
use crate::shared::naming::{locality_name, unit_name};
use crate::shared::views::{CollectiveView, RankingRow, RankingView, UnitRankingRow};
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
        }
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
        Ok(c.spec
            .settings
            .collective_prizes
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

    /// The disqualifications of a contest standing now, or at a publication's instant.
    pub(crate) async fn exclusions(&self, contest_id: i64, as_of: Option<i64>) -> Result<Exclusions> {
        Ok(Exclusions::of(&self.store.disqualifications(contest_id).await?, as_of))
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
