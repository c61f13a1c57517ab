//! Results as staff handle them: the draft ranking of a round and overall, collective prizes, the
//! committee's approval in locked versions, publication, and what a draft changes against the
//! last version. The computing is `shared::ranking`; what the public reads is
//! `participant::results`.

use std::collections::HashMap;

use cuocthi_domain::ranking;
use cuocthi_domain::{text, vntime};
use cuocthi_store::{NewRankingVersion, RankingVersionRow, RoundPhase, StandingRecord};

use crate::console::access::{Action, Staff};
use crate::shared::catalog::CachedContest;
use crate::shared::lookup::in_contest;
use crate::shared::ranking::{CollectiveResults, RoundResults};
use crate::shared::views::{CollectiveStructure, RankingView};
use crate::{Engine, EngineError, Result};

/// The longest meeting reference an approval records.
const MEETING_REFERENCE_CHARS: usize = 200;

/// What an approval records beside the ranking.
/// A meeting's reference as entered, cleaned and bounded.
fn meeting_reference_of(text: &str) -> Result<String> {
    let meeting = text::clean(text);
    if meeting.chars().count() > MEETING_REFERENCE_CHARS {
        return Err(EngineError::BadRequest(format!("Số hiệu biên bản họp dài quá {MEETING_REFERENCE_CHARS} ký tự.")));
    }
    Ok(meeting)
}

/// The most prizes of one level a committee may set.
const MAX_LEVEL_COUNT: u32 = 1_000;

struct Approval<'a> {
    /// Why this version replaces the last (required after the first).
    reason: Option<&'a str>,
    /// The committee meeting's reference (biên bản), if entered.
    meeting: Option<&'a str>,
    /// The committee's change to the collective prize structure, if any.
    collective: Option<&'a CollectiveAdjustment>,
}

/// The committee's adjustment of the collective prize structure for one approval (seed 004: the
/// committee may adjust the prize structure): each prize's levels as (count, amount in đồng), in
/// the definition's order, and the reason, required when anything differs from the definition.
#[derive(Clone, Debug, Default)]
pub struct CollectiveAdjustment {
    pub levels: Vec<Vec<(u32, i64)>>,
    pub reason: String,
}

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

    /// Collective prizes (giải tập thể) as they stand now, from every round's draft ranking.
    pub async fn collective_results(&self, slug: &str) -> Result<Vec<CollectiveResults>> {
        let c = self.contest_by_slug(slug).await?;
        let rounds = self.rank_every_round(&c).await?;
        self.collective_of(&c, &rounds, &c.spec.settings.collective_prizes).await
    }

    async fn rank_every_round(&self, c: &CachedContest) -> Result<Vec<RoundResults>> {
        let mut out = Vec::with_capacity(c.stored.rounds.len());
        for r in &c.stored.rounds {
            out.push(self.rank(c, r).await?);
        }
        Ok(out)
    }

    /// Approves and publishes at once the ranking of round `number` (or the overall one with
    /// `None`), from the command line. A version after the first needs a reason.
    pub async fn publish(&self, slug: &str, number: Option<i64>, reason: Option<&str>) -> Result<RankingView> {
        self.publish_in_meeting(slug, number, reason, "").await
    }

    /// [`Engine::publish`] recording the meeting that decided it (its biên bản's number), for
    /// the command line, where no staff account signs in.
    pub async fn publish_in_meeting(
        &self,
        slug: &str,
        number: Option<i64>,
        reason: Option<&str>,
        meeting_reference: &str,
    ) -> Result<RankingView> {
        let meeting = meeting_reference_of(meeting_reference)?;
        let approval = Approval { reason, meeting: Some(meeting.as_str()).filter(|m| !m.is_empty()), collective: None };
        self.approve_by(None, slug, number, approval, true).await.map(|(_, v)| v)
    }

    /// The committee's approval (phê duyệt) of the draft ranking of a closed round, entered by an
    /// organiser: a new locked version, not yet public. A version after the first needs a reason.
    /// Returns the version's id.
    pub async fn approve_as(&self, by: &Staff, slug: &str, number: Option<i64>, reason: &str) -> Result<i64> {
        self.approve_in_meeting(by, slug, number, reason, "").await
    }

    /// [`Engine::approve_as`] recording the meeting that decided it (its biên bản's number, e.g.
    /// "Biên bản số 05/BB-BTC ngày 08/10/2024"): the version then names the document the
    /// committee signed, and the version's row names who entered it.
    pub async fn approve_in_meeting(
        &self,
        by: &Staff,
        slug: &str,
        number: Option<i64>,
        reason: &str,
        meeting_reference: &str,
    ) -> Result<i64> {
        self.approve_adjusted(by, slug, number, reason, meeting_reference, None).await
    }

    /// [`Engine::approve_in_meeting`] with the committee's adjustment of the collective prize
    /// structure (counts and amounts of each level), stored in the version with its reason and
    /// audited; only the scope that carries the collective prizes takes one.
    pub async fn approve_adjusted(
        &self,
        by: &Staff,
        slug: &str,
        number: Option<i64>,
        reason: &str,
        meeting_reference: &str,
        collective: Option<&CollectiveAdjustment>,
    ) -> Result<i64> {
        self.contest_for(by, slug, Action::ManageResults).await?;
        let meeting = meeting_reference_of(meeting_reference)?;
        let approval =
            Approval { reason: Some(reason), meeting: Some(meeting.as_str()).filter(|m| !m.is_empty()), collective };
        self.approve_by(Some(by), slug, number, approval, false).await.map(|(id, _)| id)
    }

    /// The draft ranking of a closed round (or the overall one) as the committee reviews it
    /// before approving: the winners with the columns that decided their order, and the
    /// collective results when this scope carries them.
    pub async fn draft_ranking(&self, by: &Staff, slug: &str, number: Option<i64>) -> Result<RankingView> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let last = self.last_structure(&c, number).await?;
        let levels = last.as_ref().map(levels_of);
        let (mut view, _) = self.draft(&c, number, levels.as_deref()).await?;
        if let (Some(s), Some(last)) = (view.collective_structure.as_mut(), last) {
            s.reason = last.reason;
        }
        Ok(view)
    }

    /// The collective levels the scope's last version applied (a draft keeps the committee's
    /// structure until it changes it again); `None` when there is none.
    async fn last_levels(&self, c: &CachedContest, number: Option<i64>) -> Result<Option<Vec<Vec<(u32, i64)>>>> {
        Ok(self.last_structure(c, number).await?.map(|s| levels_of(&s)))
    }

    /// The collective structure the scope's last version applied.
    async fn last_structure(&self, c: &CachedContest, number: Option<i64>) -> Result<Option<CollectiveStructure>> {
        let round_id = Self::scope_id(c, number)?;
        let Some(last) = self.store.ranking_versions(c.stored.contest.id, round_id).await?.into_iter().next() else {
            return Ok(None);
        };
        let Some((_, body)) = self.store.published_by_id(last.id).await? else { return Ok(None) };
        let approved: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.into()))?;
        Ok(approved.collective_structure)
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
            serde_json::json!({"round_id": version.round_id, "version": version.version,
                "scope": self.store.version_scope(ranking_id).await?}),
        )
        .await
    }

    /// An approved version of a contest's results as it was locked (any scope).
    pub async fn approved_version(&self, by: &Staff, slug: &str, ranking_id: i64) -> Result<RankingView> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let found = self.store.published_by_id(ranking_id).await?;
        let (version, body) = in_contest(found, c.stored.contest.id, |(v, _)| v.contest_id, "phiên bản kết quả")?;
        let mut view: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.into()))?;
        view.version = Some(version.version);
        Ok(view)
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
        let levels = self.last_levels(&c, number).await?;
        let Ok((draft, _)) = self.draft(&c, number, levels.as_deref()).await else { return Ok(None) };
        let mut changes = Vec::new();
        crate::console::verify::compare(&approved, &draft, &mut changes);
        crate::console::verify::compare_collective(&approved.collective, &draft.collective, &mut changes);
        Ok(Some(changes))
    }

    /// Refuses an approval while an attempt of the scope is open (the grace after the close
    /// included) or the tiebreak figure is not frozen: a version approved then would differ from
    /// what the answers decide a minute later. The refusal says from when it will be possible.
    async fn ensure_settled(&self, c: &CachedContest, number: Option<i64>) -> Result<()> {
        // The scope that carries the collective results waits for every round.
        let rounds = match number {
            Some(n) if Self::collective_scope(c) != Some(Some(Self::round_by_number(c, n)?.id)) => {
                vec![Self::round_by_number(c, n)?]
            }
            _ => c.stored.rounds.clone(),
        };
        for r in rounds.iter().filter(|r| r.phase(self.now()) == RoundPhase::Closed) {
            let (open, latest) = self.store.open_attempts(r.id).await?;
            if let (true, Some(deadline)) = (open > 0, latest) {
                return Err(EngineError::Conflict(format!(
                    "{}: còn {} lượt thi chưa nộp bài; chỉ phê duyệt và công bố kết quả khi mọi lượt thi đã nộp, \
                     chậm nhất là sau hạn nộp {} (giờ Việt Nam).",
                    r.name,
                    text::thousands(open),
                    vntime::format_long(deadline)
                )));
            }
            if r.rules.tiebreak.is_some() && r.figure_frozen_at.is_none() {
                let settles = r.closes_at + chrono::Duration::seconds(i64::from(r.rules.grace_seconds));
                return Err(EngineError::Conflict(format!(
                    "{}: con số thực tế của câu hỏi dự đoán chưa được chốt; có thể phê duyệt và công bố từ {} (giờ Việt Nam).",
                    r.name,
                    vntime::format_long(settles.max(self.now()))
                )));
            }
        }
        Ok(())
    }

    /// Checks a committee's collective adjustment: only where the scope carries the collective
    /// prizes, bounded counts and amounts, and a written reason when anything differs from the
    /// definition. Returns that reason (`None`: the definition's structure, unchanged).
    fn checked_adjustment(
        c: &CachedContest,
        round_id: Option<i64>,
        a: &CollectiveAdjustment,
    ) -> Result<Option<String>> {
        let (_, applied) = Self::applied_collective(c, Some(&a.levels));
        let changed = applied
            .iter()
            .flat_map(|p| &p.tiers)
            .any(|t| (t.count, t.amount_vnd) != (t.defined_count, t.defined_amount_vnd));
        if !changed {
            return Ok(None);
        }
        if Self::collective_scope(c) != Some(round_id) {
            return Err(EngineError::BadRequest("Phạm vi này không xét giải tập thể.".into()));
        }
        if let Some(t) = applied.iter().flat_map(|p| &p.tiers).find(|t| t.count > MAX_LEVEL_COUNT || t.amount_vnd < 0) {
            return Err(EngineError::BadRequest(format!(
                "{}: số giải từ 0 đến {} và trị giá giải không âm.",
                t.name,
                text::thousands(i64::from(MAX_LEVEL_COUNT))
            )));
        }
        if a.reason.trim().is_empty() {
            return Err(EngineError::BadRequest(
                "Điều chỉnh cơ cấu giải tập thể cần ghi lý do (theo quyết định của Hội đồng).".into(),
            ));
        }
        crate::console::review::written_reason(&a.reason).map(|r| Some(r.to_string()))
    }

    fn scope_id(c: &CachedContest, number: Option<i64>) -> Result<Option<i64>> {
        number.map(|n| Self::round_by_number(c, n).map(|r| r.id)).transpose()
    }

    /// The draft of a closed scope: its public view and the full results behind it, the
    /// collective prizes (where this scope carries them) with `levels` in place of the
    /// definition's counts and amounts when given.
    async fn draft(
        &self,
        c: &CachedContest,
        number: Option<i64>,
        levels: Option<&[Vec<(u32, i64)>]>,
    ) -> Result<(RankingView, RoundResults)> {
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
        let mut view = self.public_view(c, &results, round_id, &people);
        if Self::collective_scope(c) == Some(round_id) {
            let rounds = self.rank_every_round(c).await?;
            let (prizes, applied) = Self::applied_collective(c, levels);
            view.collective = Self::collective_view(c, &self.collective_of(c, &rounds, &prizes).await?);
            view.collective_structure = Some(CollectiveStructure { prizes: applied, reason: None });
        }
        Ok((view, results))
    }

    async fn approve_by(
        &self,
        by: Option<&Staff>,
        slug: &str,
        number: Option<i64>,
        approval: Approval<'_>,
        public: bool,
    ) -> Result<(i64, RankingView)> {
        let Approval { reason, meeting, collective } = approval;
        // Attempts past their deadline are submitted and closed rounds' figures frozen first, so an
        // approval from the command line does not wait for a server's sweeper.
        self.sweep().await?;
        let c = self.contest_by_slug(slug).await?;
        let round_id = Self::scope_id(&c, number)?;
        self.ensure_settled(&c, number).await?;
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
        // Without a new adjustment, a version keeps the structure (and its reason) the last applied.
        let (levels, why) = match collective {
            Some(a) => (Some(a.levels.clone()), Self::checked_adjustment(&c, round_id, a)?),
            None => match self.last_structure(&c, number).await? {
                Some(last) => (Some(levels_of(&last)), last.reason),
                None => (None, None),
            },
        };
        let (mut view, results) = self.draft(&c, number, levels.as_deref()).await?;
        if let Some(s) = view.collective_structure.as_mut() {
            s.reason = why;
        }
        let now = self.now();
        view.published_at = Some(now);
        view.meeting_reference = meeting.map(str::to_string);
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
            serde_json::json!({"round_id": round_id, "version": version, "reason": reason, "meeting_reference": meeting, "rows": view.rows.len(), "audit_last_id": view.audit_last_id, "audit_digest": view.audit_digest, "collective_structure": view.collective_structure.as_ref().filter(|s| s.reason.is_some())}),
        )
        .await?;
        view.version = Some(version);
        Ok((id, view))
    }
}

/// A structure's levels as (count, amount), prize by prize.
fn levels_of(s: &CollectiveStructure) -> Vec<Vec<(u32, i64)>> {
    s.prizes.iter().map(|p| p.tiers.iter().map(|t| (t.count, t.amount_vnd)).collect()).collect()
}

/// The scope name of the in-person event's versions in audit entries.
const EVENT_SCOPE: &str = "event";

impl Engine {
    /// The in-person event's draft results (team ranking and team prizes) as the committee reviews
    /// them, with what still stops their approval (empty when nothing does).
    pub async fn event_draft(&self, by: &Staff, slug: &str) -> Result<(RankingView, Vec<String>)> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let (view, mut problems) = self.event_draft_of(&c).await?;
        problems.extend(self.event_unsettled(&c).await?);
        Ok((view, problems))
    }

    /// The event's draft as a version body, and the boundary ties and missing scores it holds.
    pub(crate) async fn event_draft_of(&self, c: &CachedContest) -> Result<(RankingView, Vec<String>)> {
        let inputs = self
            .event_inputs(c)
            .await?
            .ok_or_else(|| EngineError::BadRequest("Cuộc thi này không có hội thi trực tiếp.".into()))?;
        let (event, problems) = Self::event_view(c, &inputs, &Self::event_tiers(c))?;
        let view = RankingView {
            contest_slug: c.spec.slug.clone(),
            round_id: None,
            title: format!("{} — {}", c.spec.title, event.name),
            published_at: None,
            real_figure: None,
            participants: event.teams.len(),
            rows: Vec::new(),
            audit_last_id: None,
            audit_digest: None,
            version: None,
            meeting_reference: None,
            collective: Vec::new(),
            columns: Vec::new(),
            collective_structure: None,
            event: Some(event),
        };
        Ok((view, problems))
    }

    /// What stops the event's approval besides its ranking: a part still open for the judges, a
    /// sheet reopened and not corrected, a judge's sheet not in.
    async fn event_unsettled(&self, c: &CachedContest) -> Result<Vec<String>> {
        let Some(spec) = &c.spec.settings.event else { return Ok(Vec::new()) };
        let id = c.stored.contest.id;
        let mut problems = Vec::new();
        for p in self.store.event_parts(id).await?.iter().filter(|p| p.is_open != 0) {
            let name = spec.part(&p.part_key).map_or(p.part_key.as_str(), |x| x.name.as_str());
            problems.push(format!("Phần thi “{name}” chưa đóng chấm điểm."));
        }
        let judges: std::collections::BTreeSet<i64> = self
            .store
            .grants_on(id)
            .await?
            .into_iter()
            .filter(|g| crate::console::access::Role::parse(&g.role) == Some(crate::console::access::Role::Judge))
            .map(|g| g.account_id)
            .collect();
        let sheets = self.store.event_sheets(id, None).await?;
        let teams = self.store.event_teams(id).await?;
        let mut missing = 0usize;
        for part in spec.parts.iter().filter(|p| matches!(p.kind, cuocthi_domain::event::PartKind::Judged { .. })) {
            for t in &teams {
                for j in &judges {
                    let s = sheets.iter().find(|s| s.judge_id == *j && s.team_id == t.id && s.part_key == part.key);
                    if s.is_none_or(|s| s.status != "submitted") {
                        missing += 1;
                    }
                }
            }
        }
        if missing > 0 {
            problems.push(format!("Còn {missing} phiếu chấm chưa nộp hoặc đã mở lại chưa nộp lại."));
        }
        Ok(problems)
    }

    /// The event's versions, newest first.
    pub async fn event_versions(&self, by: &Staff, slug: &str) -> Result<Vec<RankingVersionRow>> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        Ok(self.store.event_versions(c.stored.contest.id).await?)
    }

    /// How the event's draft now differs from its last approved version (a sheet reopened and
    /// corrected, a lot drawn); `None` before any approval.
    pub async fn event_draft_changes(&self, by: &Staff, slug: &str) -> Result<Option<Vec<String>>> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let Some(last) = self.store.event_versions(c.stored.contest.id).await?.into_iter().next() else {
            return Ok(None);
        };
        let Some((_, body)) = self.store.published_by_id(last.id).await? else { return Ok(None) };
        let approved: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.into()))?;
        let (draft, _) = self.event_draft_of(&c).await?;
        let mut changes = Vec::new();
        crate::console::verify::compare_event(approved.event.as_ref(), draft.event.as_ref(), &mut changes);
        Ok(Some(changes))
    }

    /// The committee approves the event's team ranking and prizes as a locked version (scope
    /// `event`), not yet public: only when every part is closed, every judge's sheet is in,
    /// every team has every part's score and no tie at a prize boundary waits for a lot. A
    /// version after the first needs a reason.
    pub async fn approve_event(&self, by: &Staff, slug: &str, reason: &str, meeting_reference: &str) -> Result<i64> {
        let c = self.contest_for(by, slug, Action::ManageResults).await?;
        self.approve_event_by(Some(by), &c, reason, meeting_reference, false).await.map(|(id, _)| id)
    }

    /// [`Engine::approve_event`] and publication at once, from the command line.
    pub async fn publish_event(&self, slug: &str, reason: &str, meeting_reference: &str) -> Result<RankingView> {
        let c = self.contest_by_slug(slug).await?;
        self.approve_event_by(None, &c, reason, meeting_reference, true).await.map(|(_, v)| v)
    }

    async fn approve_event_by(
        &self,
        by: Option<&Staff>,
        c: &CachedContest,
        reason: &str,
        meeting_reference: &str,
        public: bool,
    ) -> Result<(i64, RankingView)> {
        let meeting = meeting_reference_of(meeting_reference)?;
        let (mut view, mut problems) = self.event_draft_of(c).await?;
        problems.extend(self.event_unsettled(c).await?);
        if !problems.is_empty() {
            return Err(EngineError::Conflict(format!("Chưa thể phê duyệt kết quả hội thi: {}", problems.join(" "))));
        }
        let earlier = self.store.event_versions(c.stored.contest.id).await?;
        let reason = match (earlier.is_empty(), reason.trim()) {
            (_, r) if !r.is_empty() => Some(crate::console::review::written_reason(r)?),
            (true, _) => None,
            (false, _) => {
                return Err(EngineError::BadRequest(
                    "Kết quả hội thi đã được phê duyệt; phiên bản mới cần ghi lý do thay đổi.".into(),
                ));
            }
        };
        let now = self.now();
        view.published_at = Some(now);
        view.meeting_reference = Some(meeting).filter(|m| !m.is_empty());
        let last = self.store.audit_entries(&cuocthi_store::AuditFilter { limit: 1, ..Default::default() }).await?;
        view.audit_last_id = last.first().map(|e| e.id);
        view.audit_digest = last.first().map(|e| e.hash.clone());
        let body = serde_json::to_string(&view).map_err(|e| EngineError::Internal(e.into()))?;
        let (id, version) = self
            .store
            .approve_event_version(&NewRankingVersion {
                contest_id: c.stored.contest.id,
                round_id: None,
                body: &body,
                approved_at: now.timestamp_millis(),
                approved_by: by.map(|b| b.username.as_str()),
                reason,
                public,
                standings: &[],
            })
            .await?;
        let prizes: Vec<_> = view
            .event
            .iter()
            .flat_map(|e| &e.teams)
            .filter(|t| t.prize.is_some())
            .map(|t| serde_json::json!({"team_id": t.team_id, "total": t.total, "prize": t.prize}))
            .collect();
        self.record(
            by,
            if public { "results.approve_publish" } else { "results.approve" },
            Some(c.stored.contest.id),
            &format!("ranking:{id}"),
            serde_json::json!({"scope": EVENT_SCOPE, "version": version, "reason": reason, "meeting_reference": view.meeting_reference, "teams": view.participants, "prizes": prizes, "audit_last_id": view.audit_last_id, "audit_digest": view.audit_digest}),
        )
        .await?;
        view.version = Some(version);
        Ok((id, view))
    }
}
