//! Results as staff handle them: the draft ranking of a round and overall, collective prizes, the
//! committee's approval in locked versions, publication, and what a draft changes against the
//! last version. The computing is `shared::ranking`; what the public reads is
//! `participant::results`.

use std::collections::{HashMap, HashSet};

use cuocthi_domain::prize::{self, CollectivePrize, UnitResult};
use cuocthi_domain::ranking;
use cuocthi_store::{NewRankingVersion, RankingVersionRow, RoundPhase, StandingRecord};

use crate::console::access::{Action, Staff};
use crate::shared::catalog::CachedContest;
use crate::shared::lookup::in_contest;
use crate::shared::ranking::{CollectiveResults, RoundResults};
use crate::shared::views::RankingView;
use crate::{Engine, EngineError, Result};

impl Engine {
    /// The ranking and prizes of round `number` (1-based) of a contest.
    pub async fn round_results(&self, slug: &str, number: i64) -> Result<RoundResults> {
        let c = self.contest_by_slug(slug).await?;
        let round = Self::round_by_number(&c, number)?;
        self.rank(&c, &round).await
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
        let found = self.store.published_by_id(ranking_id).await?;
        let (version, _) = in_contest(found, c.stored.contest.id, |(v, _)| v.contest_id, "phiên bản kết quả")?;
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
        let approved: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.into()))?;
        let Ok((draft, _)) = self.draft(&c, number).await else { return Ok(None) };
        let mut changes = Vec::new();
        crate::console::verify::compare(&approved, &draft, &mut changes);
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
            (_, Some(r)) => Some(crate::console::review::written_reason(r)?),
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
        let body = serde_json::to_string(&view).map_err(|e| EngineError::Internal(e.into()))?;
        let prizes: HashMap<i64, &str> = results.awards.iter().map(|a| (a.participant_id, a.prize.as_str())).collect();
        let standings: Vec<StandingRecord> = results
            .standings
            .iter()
            .map(|s| StandingRecord {
                participant_id: s.participant_id,
                place: i64::from(s.rank),
                correct: i64::from(s.correct),
                time_taken_ms: s.time_taken_ms,
                distance: s.distance.map(|d| i64::try_from(d).unwrap_or(i64::MAX)),
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
}
