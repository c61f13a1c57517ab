//! Results: the ranking of a round and overall, individual and collective prizes, publication.

use std::collections::{HashMap, HashSet};

use cuocthi_domain::contest::Predicts;
use cuocthi_domain::identity::normalise_key;
use cuocthi_domain::prize::{self, Award, CollectivePrize, PrizeTier, UnitResult, UnitStanding};
use cuocthi_domain::ranking::{self, Scored, Standing};
use cuocthi_store::{NewRankingVersion, ParticipantRow, RankingVersionRow, RoundPhase, RoundRow, StandingRecord};
use serde::{Deserialize, Serialize};

use crate::cache::CachedContest;
use crate::console::{Action, Staff};
use crate::participants::{locality_name, unit_name};
use crate::views::{RankingRow, RankingView};
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

impl Engine {
    async fn people(&self, contest_id: i64) -> Result<HashMap<i64, ParticipantRow>> {
        Ok(self.store.participants_of(contest_id).await?.into_iter().map(|p| (p.id, p)).collect())
    }

    /// Who may receive a prize: complete data and not on the exclusion list (which organisers may
    /// extend after people registered).
    fn prize_eligible<'a>(c: &'a CachedContest, people: &'a HashMap<i64, ParticipantRow>) -> impl Fn(i64) -> bool + 'a {
        let excluded: HashSet<String> =
            c.spec.settings.eligibility.exclusions.iter().map(|x| normalise_key(x)).collect();
        move |pid| {
            people.get(&pid).is_some_and(|p| p.complete && !p.identity.list_keys().iter().any(|k| excluded.contains(k)))
        }
    }

    fn round_by_number(c: &CachedContest, number: i64) -> Result<RoundRow> {
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

    /// The ranking and prizes of round `number` (1-based) of a contest.
    pub async fn round_results(&self, slug: &str, number: i64) -> Result<RoundResults> {
        let c = self.contest_by_slug(slug).await?;
        let round = Self::round_by_number(&c, number)?;
        self.rank(&c, &round).await
    }

    async fn rank(&self, c: &CachedContest, round: &RoundRow) -> Result<RoundResults> {
        let scored = self.scored(c, round).await?;
        self.rank_scored(c, round, scored).await
    }

    /// The scores of a round, without disqualified attempts and people.
    async fn scored(&self, c: &CachedContest, round: &RoundRow) -> Result<Vec<Scored>> {
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

    /// The overall ranking across rounds, if the contest has one.
    pub async fn overall_results(&self, slug: &str) -> Result<Option<RoundResults>> {
        let c = self.contest_by_slug(slug).await?;
        let Some(overall) = &c.spec.settings.overall else { return Ok(None) };
        let mut rounds = Vec::new();
        for r in &c.stored.rounds {
            let scored = self.scored(&c, r).await?;
            let real = self.figure(r, &scored);
            rounds.push((scored, real));
        }
        let standings = ranking::rank_overall(&rounds, overall.mode, &overall.ranking_order);
        let awards = self.awards(&c, &standings, &overall.prizes).await?;
        Ok(Some(RoundResults { round_id: 0, round_name: "Chung cuộc".into(), real_figure: None, standings, awards }))
    }

    /// Collective prizes (giải tập thể): units at the top of the tree, each counting its
    /// sub-units' people who submitted at least one attempt, and the unit points of their prizes.
    pub async fn collective_results(&self, slug: &str) -> Result<Vec<CollectiveResults>> {
        let c = self.contest_by_slug(slug).await?;
        let people = self.people(c.stored.contest.id).await?;
        let mut took_part: HashSet<i64> = HashSet::new();
        let mut points: HashMap<i64, u64> = HashMap::new();
        for r in &c.stored.rounds {
            let results = self.rank(&c, r).await?;
            took_part.extend(results.standings.iter().map(|s| s.participant_id));
            for a in &results.awards {
                let p = r.rules.prizes.get(a.tier).and_then(|t| t.unit_points).unwrap_or(0);
                *points.entry(a.participant_id).or_default() += u64::from(p);
            }
        }
        let units: Vec<UnitResult> = c
            .spec
            .units
            .iter()
            .filter(|u| u.parent.is_none())
            .map(|top| {
                let codes: HashSet<&str> = c.spec.subtree(&top.code).iter().map(|u| u.code.as_str()).collect();
                let members: Vec<i64> = took_part
                    .iter()
                    .copied()
                    .filter(|pid| {
                        people.get(pid).and_then(|p| p.identity.unit.as_deref()).is_some_and(|u| codes.contains(u))
                    })
                    .collect();
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
            .map(|p: &CollectivePrize| CollectiveResults { prize: p.name.clone(), units: prize::rank_units(&units, p) })
            .collect())
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
        }
    }

    /// Approves and publishes at once the ranking of round `number` (or the overall one with
    /// `None`), from the command line. A version after the first needs a reason.
    pub async fn publish(&self, slug: &str, number: Option<i64>, reason: Option<&str>) -> Result<RankingView> {
        self.approve_by(None, slug, number, reason, true).await.map(|(_, v)| v)
    }

    /// The committee's approval (phê duyệt) of the draft ranking of a closed round, entered by an
    /// organiser: a new locked version, not yet public. A version after the first needs a reason.
    /// Returns the version's id.
    pub async fn approve_as(&self, by: &Staff, slug: &str, number: Option<i64>, reason: &str) -> Result<i64> {
        self.contest_for(by, slug, Action::ManageResults).await?;
        self.approve_by(Some(by), slug, number, Some(reason), false).await.map(|(id, _)| id)
    }

    /// Shows an approved version on the public results page and its certificates as genuine.
    pub async fn make_public_as(&self, by: &Staff, slug: &str, ranking_id: i64) -> Result<()> {
        let c = self.contest_for(by, slug, Action::ManageResults).await?;
        let (version, _) = self
            .store
            .published_by_id(ranking_id)
            .await?
            .filter(|(v, _)| v.contest_id == c.stored.contest.id)
            .ok_or(EngineError::NotFound("phiên bản kết quả"))?;
        if !self.store.make_ranking_public(ranking_id, self.now().timestamp_millis()).await? {
            return Err(EngineError::BadRequest("Phiên bản này đã được công bố.".into()));
        }
        self.record(
            Some(by),
            "results.publish",
            Some(c.stored.contest.id),
            &format!("ranking:{ranking_id}"),
            serde_json::json!({"round_id": version.round_id, "version": version.version}),
        )
        .await
    }

    /// Every approved version of a round's (or the overall) ranking, newest first.
    pub async fn ranking_versions(
        &self,
        by: &Staff,
        slug: &str,
        number: Option<i64>,
    ) -> Result<Vec<RankingVersionRow>> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let round_id = Self::scope_id(&c, number)?;
        Ok(self.store.ranking_versions(c.stored.contest.id, round_id).await?)
    }

    /// How the draft ranking now differs from the last approved version (after a
    /// disqualification, say): each difference named; empty when they agree; `None` before any
    /// approval or before the round closes.
    pub async fn draft_changes(&self, by: &Staff, slug: &str, number: Option<i64>) -> Result<Option<Vec<String>>> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let round_id = Self::scope_id(&c, number)?;
        let Some(last) = self.store.ranking_versions(c.stored.contest.id, round_id).await?.into_iter().next() else {
            return Ok(None);
        };
        let Some((_, body)) = self.store.published_by_id(last.id).await? else { return Ok(None) };
        let approved: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.to_string()))?;
        let Ok((draft, _)) = self.draft(&c, number).await else { return Ok(None) };
        let mut changes = Vec::new();
        crate::verify::compare(&approved, &draft, &mut changes);
        Ok(Some(changes))
    }

    fn scope_id(c: &CachedContest, number: Option<i64>) -> Result<Option<i64>> {
        number.map(|n| Self::round_by_number(c, n).map(|r| r.id)).transpose()
    }

    /// The draft of a closed scope: its public view and the full results behind it.
    async fn draft(&self, c: &CachedContest, number: Option<i64>) -> Result<(RankingView, RoundResults)> {
        let now = self.now();
        let (results, round_id) = match number {
            Some(n) => {
                let round = Self::round_by_number(c, n)?;
                if round.phase(now) != RoundPhase::Closed {
                    return Err(EngineError::BadRequest("Chỉ phê duyệt kết quả sau khi đợt thi kết thúc.".into()));
                }
                (self.rank(c, &round).await?, Some(round.id))
            }
            None => {
                if c.stored.rounds.iter().any(|r| r.phase(now) != RoundPhase::Closed) {
                    return Err(EngineError::BadRequest(
                        "Chỉ phê duyệt kết quả chung cuộc sau khi mọi đợt thi kết thúc.".into(),
                    ));
                }
                (self.overall_results(&c.spec.slug).await?.ok_or(EngineError::NotFound("xếp hạng chung cuộc"))?, None)
            }
        };
        let winners: Vec<i64> = results.awards.iter().map(|a| a.participant_id).collect();
        let people = self.store.participants_by_id(&winners).await?.into_iter().map(|p| (p.id, p)).collect();
        Ok((self.public_view(c, &results, round_id, &people), results))
    }

    async fn approve_by(
        &self,
        by: Option<&Staff>,
        slug: &str,
        number: Option<i64>,
        reason: Option<&str>,
        public: bool,
    ) -> Result<(i64, RankingView)> {
        let c = self.contest_by_slug(slug).await?;
        let round_id = Self::scope_id(&c, number)?;
        let earlier = self.store.ranking_versions(c.stored.contest.id, round_id).await?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let reason = match (earlier.is_empty(), reason) {
            (_, Some(r)) => Some(crate::review::written_reason(r)?),
            (true, None) => None,
            (false, None) => {
                return Err(EngineError::BadRequest(
                    "Bảng xếp hạng đã được phê duyệt; phiên bản mới cần ghi lý do thay đổi.".into(),
                ));
            }
        };
        let (mut view, results) = self.draft(&c, number).await?;
        let now = self.now();
        view.published_at = Some(now);
        // The audit log's digest as it stands: anything changed before this point afterwards
        // breaks the chain up to the approved entry.
        let last = self.store.audit_entries(&cuocthi_store::AuditFilter { limit: 1, ..Default::default() }).await?;
        view.audit_last_id = last.first().map(|e| e.id);
        view.audit_digest = last.first().map(|e| e.hash.clone());
        let body = serde_json::to_string(&view).map_err(|e| EngineError::Internal(e.to_string()))?;
        let prizes: HashMap<i64, &str> = results.awards.iter().map(|a| (a.participant_id, a.prize.as_str())).collect();
        let standings: Vec<StandingRecord> = results
            .standings
            .iter()
            .map(|s| StandingRecord {
                participant_id: s.participant_id,
                place: i64::from(s.rank),
                correct: i64::from(s.correct),
                time_taken_ms: s.time_taken_ms,
                distance: s.distance.map(|d| d.min(i64::MAX as u64) as i64),
                prize: prizes.get(&s.participant_id).map(|p| p.to_string()),
            })
            .collect();
        let (id, version) = self
            .store
            .approve_ranking(&NewRankingVersion {
                contest_id: c.stored.contest.id,
                round_id,
                body: &body,
                approved_at: now.timestamp_millis(),
                approved_by: by.map(|b| b.username.as_str()),
                reason,
                public,
                standings: &standings,
            })
            .await?;
        self.record(
            by,
            if public { "results.approve_publish" } else { "results.approve" },
            Some(c.stored.contest.id),
            &format!("ranking:{id}"),
            serde_json::json!({"round_id": round_id, "version": version, "reason": reason, "rows": view.rows.len(), "audit_last_id": view.audit_last_id, "audit_digest": view.audit_digest}),
        )
        .await?;
        view.version = Some(version);
        Ok((id, view))
    }

    /// The published results of a round, by its id.
    pub async fn published_round(&self, round_id: i64) -> Result<RankingView> {
        let round = self.store.round(round_id).await?.ok_or(EngineError::NotFound("đợt thi"))?;
        let c = self.contest_by_id(round.contest_id).await?;
        self.published(&c.spec.slug, Some(round_id)).await
    }

    /// The published results of a round (`Some(round_id)`) or the overall ones (`None`).
    pub async fn published(&self, slug: &str, round_id: Option<i64>) -> Result<RankingView> {
        let c = self.contest_by_slug(slug).await?;
        let p = self
            .store
            .published_ranking(c.stored.contest.id, round_id)
            .await?
            .ok_or(EngineError::NotFound("kết quả đã công bố"))?;
        let mut view: RankingView = serde_json::from_str(&p.body).map_err(|e| EngineError::Internal(e.to_string()))?;
        view.version = Some(p.version);
        Ok(view)
    }
}
