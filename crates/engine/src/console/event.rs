//! The in-person event (hội thi trực tiếp, issue 14): the units' teams (đội thi) and their
//! members, the order they go on stage, the judges' score sheets (phiếu chấm), the knowledge
//! round's answers, the secretariat's adjustments, the committee's tie lots, and the ranking
//! computed from all of them by the domain's [`aggregate`].
//!
//! Who does what: the organisers and the secretariat (Tổ Thư ký) register teams, open and close
//! parts, type in paper sheets, enter answers and adjustments; a judge (Ban Giám khảo) reads and
//! writes only their own sheets, only while the part is open; only the secretariat reopens a
//! submitted sheet, with a reason. Every lot is drawn on the server from a seed written to the
//! audit log, so the committee can replay it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cuocthi_domain::event::aggregate::{self, Adjustment, Answered, Sheet, TeamResult, TieLot};
use cuocthi_domain::event::{EventSpec, PartKind, PartSpec, Points, lots};
use cuocthi_domain::text;
use cuocthi_store::{AdjustmentRow, AnswerRow, MemberRow, NewAudit, NewSheet, NewTeam, SheetRow, TeamRow, TieLotRow};
use serde::Serialize;
use serde_json::json;

use super::access::{Action, Role, Staff};
use crate::shared::catalog::CachedContest;
use crate::shared::lookup::in_contest;
use crate::{Engine, EngineError, Result};

/// A member as the team's form gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInput {
    pub name: String,
    /// Chức vụ, đơn vị công tác.
    pub position: String,
    pub captain: bool,
}

/// A team with its members, as the console lists it.
#[derive(Clone, Debug, Serialize)]
pub struct TeamView {
    pub id: i64,
    pub unit_code: String,
    pub name: String,
    pub performance_order: Option<i64>,
    pub members: Vec<MemberRow>,
}

/// A sheet with its scores read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SheetView {
    pub id: i64,
    pub judge_id: i64,
    pub team_id: i64,
    pub part_key: String,
    pub scores: BTreeMap<String, Points>,
    /// `submitted` or `reopened`.
    pub status: String,
    pub paper: bool,
    pub entered_by: String,
    /// Why the secretariat reopened it (lý do mở lại), shown to the judge who corrects it.
    pub reopen_reason: Option<String>,
}

/// A sheet the secretariat is still waiting for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingSheet {
    pub judge_id: i64,
    pub judge: String,
    pub team_id: i64,
    pub part_key: String,
    /// Reopened and not yet corrected (rather than never sent).
    pub reopened: bool,
}

/// A line of the event's ranking, with the team's name.
#[derive(Clone, Debug)]
pub struct TeamStanding {
    pub unit_code: String,
    pub name: String,
    pub result: TeamResult,
}

/// The contest and its event, for a staff member allowed `action`.
struct EventOf {
    contest: Arc<CachedContest>,
    spec: EventSpec,
}

impl EventOf {
    fn id(&self) -> i64 {
        self.contest.stored.contest.id
    }

    fn part(&self, key: &str) -> Result<&PartSpec> {
        self.spec.part(key).ok_or(EngineError::NotFound("phần thi"))
    }
}

fn no_event() -> EngineError {
    EngineError::BadRequest("Cuộc thi này không có hội thi trực tiếp.".into())
}

fn sheet_view(row: &SheetRow) -> Result<SheetView> {
    let hundredths: BTreeMap<String, i64> = serde_json::from_str(&row.scores)
        .map_err(|e| EngineError::Internal(format!("sheet {}: scores {e}", row.id).into()))?;
    Ok(SheetView {
        id: row.id,
        judge_id: row.judge_id,
        team_id: row.team_id,
        part_key: row.part_key.clone(),
        scores: hundredths.into_iter().map(|(k, h)| (k, Points::hundredths(h))).collect(),
        status: row.status.clone(),
        paper: row.paper != 0,
        entered_by: row.entered_by.clone(),
        reopen_reason: row.reopen_reason.clone(),
    })
}

/// The scores of a judged part checked against its criteria: every criterion once, none other,
/// each between 0 and its maximum in the part's steps.
fn check_scores(part: &PartSpec, scores: &BTreeMap<String, Points>) -> Result<()> {
    let PartKind::Judged { criteria, step } = &part.kind else {
        return Err(EngineError::BadRequest(format!("Phần thi “{}” không chấm theo phiếu.", part.name)));
    };
    if let Some(unknown) = scores.keys().find(|k| !criteria.iter().any(|c| &c.key == *k)) {
        return Err(EngineError::BadRequest(format!("Phần thi “{}” không có tiêu chí “{unknown}”.", part.name)));
    }
    for c in criteria {
        let Some(p) = scores.get(&c.key) else {
            return Err(EngineError::BadRequest(format!("Thiếu điểm tiêu chí “{}”.", c.name)));
        };
        let (h, max) = (p.as_hundredths(), c.max.as_hundredths());
        if !(0..=max).contains(&h) {
            return Err(EngineError::BadRequest(format!(
                "Điểm tiêu chí “{}” phải từ 0 đến {}.",
                c.name,
                c.max.exact().display(2)
            )));
        }
        if h % step.as_hundredths().max(1) != 0 {
            return Err(EngineError::BadRequest(format!(
                "Điểm tiêu chí “{}” chấm theo bước {}.",
                c.name,
                step.exact().display(2)
            )));
        }
    }
    Ok(())
}

/// The members checked as the rules ask: 1 to `max` people, each named, exactly one captain.
fn check_members(members: &[MemberInput], max: u32) -> Result<Vec<(String, String, bool)>> {
    let n = u32::try_from(members.len()).unwrap_or(u32::MAX);
    if n == 0 || n > max {
        return Err(EngineError::BadRequest(format!("Đội thi có từ 1 đến {max} thành viên.")));
    }
    if members.iter().filter(|m| m.captain).count() != 1 {
        return Err(EngineError::BadRequest("Mỗi đội thi có đúng một đội trưởng.".into()));
    }
    members
        .iter()
        .map(|m| {
            let name = text::clean(&m.name);
            if name.is_empty() {
                return Err(EngineError::BadRequest("Thiếu họ tên của một thành viên.".into()));
            }
            Ok((name, text::clean(&m.position), m.captain))
        })
        .collect()
}

impl Engine {
    async fn event_for(&self, by: &Staff, slug: &str, action: Action) -> Result<EventOf> {
        self.event_for_any(by, slug, &[action]).await
    }

    /// The event, for a staff member allowed any of `actions`.
    async fn event_for_any(&self, by: &Staff, slug: &str, actions: &[Action]) -> Result<EventOf> {
        let contest = self.contest_by_slug(slug).await?;
        let id = contest.stored.contest.id;
        if !actions.iter().any(|a| by.can(*a, Some(id))) {
            return Err(EngineError::Forbidden);
        }
        let spec = contest.spec.settings.event.clone().ok_or_else(no_event)?;
        Ok(EventOf { contest, spec })
    }

    async fn team_in(&self, ev: &EventOf, team_id: i64) -> Result<TeamRow> {
        let team = self.store.event_teams(ev.id()).await?.into_iter().find(|t| t.id == team_id);
        in_contest(team, ev.id(), |t| t.contest_id, "đội thi")
    }

    fn audit_entry(
        &self,
        by: &Staff,
        action: &str,
        contest: i64,
        subject: String,
        detail: serde_json::Value,
    ) -> NewAudit {
        NewAudit {
            at: self.now(),
            account_id: Some(by.account_id),
            actor: by.actor(),
            action: action.into(),
            contest_id: Some(contest),
            subject,
            detail: detail.to_string(),
        }
    }

    /// Registers a unit's team, or replaces its name and members (the organisers or the
    /// secretariat). An empty name takes the unit's.
    pub async fn save_team(
        &self,
        by: &Staff,
        slug: &str,
        unit_code: &str,
        name: &str,
        members: &[MemberInput],
    ) -> Result<TeamView> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        let unit = ev.contest.spec.units.iter().find(|u| u.code == unit_code).ok_or(EngineError::NotFound("đơn vị"))?;
        let members = check_members(members, ev.spec.max_team_size)?;
        let name = Some(text::clean(name)).filter(|n| !n.is_empty()).unwrap_or_else(|| unit.name.clone());
        let at = self.now().timestamp_millis();
        let team = NewTeam { contest_id: ev.id(), unit_code, name: &name, members: &members, at };
        let row = self.store.save_team(&team).await?;
        let list: Vec<_> = members.iter().map(|(n, p, c)| json!({"name": n, "position": p, "captain": c})).collect();
        let detail = json!({"unit": unit_code, "name": name, "members": list});
        self.record(Some(by), "event.team_save", Some(ev.id()), &format!("team:{}", row.id), detail).await?;
        self.teams_of(ev.id()).await?.into_iter().find(|t| t.id == row.id).ok_or(EngineError::NotFound("đội thi"))
    }

    /// The teams in performance order (those without a place last, in registration order).
    async fn teams_of(&self, contest_id: i64) -> Result<Vec<TeamView>> {
        let mut members = self.store.event_members(contest_id).await?;
        let mut teams: Vec<TeamView> = self
            .store
            .event_teams(contest_id)
            .await?
            .into_iter()
            .map(|t| {
                let (mine, rest) = members.drain(..).partition(|m| m.team_id == t.id);
                members = rest;
                TeamView {
                    id: t.id,
                    unit_code: t.unit_code,
                    name: t.name,
                    performance_order: t.performance_order,
                    members: mine,
                }
            })
            .collect();
        teams.sort_by_key(|t| (t.performance_order.unwrap_or(i64::MAX), t.id));
        Ok(teams)
    }

    /// The event's teams, in the order they go on stage.
    pub async fn event_teams(&self, by: &Staff, slug: &str) -> Result<Vec<TeamView>> {
        let ev = self.event_for(by, slug, Action::ViewContest).await?;
        self.teams_of(ev.id()).await
    }

    /// Draws the order on stage by lot, from a fresh seed written to the audit log.
    pub async fn draw_performance_order(&self, by: &Staff, slug: &str) -> Result<Vec<TeamView>> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        let ids: Vec<i64> = self.store.event_teams(ev.id()).await?.iter().map(|t| t.id).collect();
        let seed: u64 = rand::random();
        let n = u32::try_from(ids.len()).map_err(|e| EngineError::Internal(Box::new(e)))?;
        let drawn = lots::draw(seed, &ids, n).map_err(EngineError::BadRequest)?;
        let order: Vec<(i64, i64)> = drawn.iter().map(|(t, lot)| (*t, i64::from(*lot))).collect();
        self.store.set_performance_order(ev.id(), &order).await?;
        let detail = json!({"seed": seed.to_string(), "order": order});
        self.record(Some(by), "event.performance_order", Some(ev.id()), "event", detail).await?;
        self.teams_of(ev.id()).await
    }

    /// Opens a part for the judges' sheets, or closes it.
    pub async fn set_part_open(&self, by: &Staff, slug: &str, part_key: &str, open: bool) -> Result<()> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        ev.part(part_key)?;
        let at = self.now().timestamp_millis();
        self.store.set_part_open(ev.id(), part_key, open, &by.actor(), at).await?;
        let action = if open { "event.part_open" } else { "event.part_close" };
        self.record(Some(by), action, Some(ev.id()), &format!("part:{part_key}"), json!({})).await
    }

    async fn part_is_open(&self, contest_id: i64, part_key: &str) -> Result<bool> {
        let parts = self.store.event_parts(contest_id).await?;
        Ok(parts.iter().any(|p| p.part_key == part_key && p.is_open != 0))
    }

    async fn require_open(&self, ev: &EventOf, part: &PartSpec) -> Result<()> {
        if self.part_is_open(ev.id(), &part.key).await? {
            Ok(())
        } else {
            Err(EngineError::Conflict(format!("Phần thi “{}” chưa mở hoặc đã đóng chấm điểm.", part.name)))
        }
    }

    /// A judge submits their sheet for a team and an open judged part. Sent again with the same
    /// scores (a phone resending after a lost answer), it returns the stored sheet; with other
    /// scores it is refused: a submitted sheet is locked.
    pub async fn submit_sheet(
        &self,
        by: &Staff,
        slug: &str,
        team_id: i64,
        part_key: &str,
        scores: &BTreeMap<String, Points>,
    ) -> Result<SheetView> {
        self.submit_sheet_once(by, slug, team_id, part_key, scores, None).await
    }

    /// [`Engine::submit_sheet`] with the idempotency key (khóa gửi phiếu) the judge's phone gave
    /// this submission when it was typed, and resends with it until it gets an answer. The key is
    /// written to the audit entry; a key already recorded for this sheet is answered with the
    /// stored sheet and writes nothing, even after the secretariat has reopened it: a retry that
    /// was held offline must not overwrite the reopened sheet with the scores it had before.
    pub async fn submit_sheet_once(
        &self,
        by: &Staff,
        slug: &str,
        team_id: i64,
        part_key: &str,
        scores: &BTreeMap<String, Points>,
        key: Option<&str>,
    ) -> Result<SheetView> {
        let key = key.map(str::trim).filter(|k| !k.is_empty());
        if key.is_some_and(|k| k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            return Err(EngineError::BadRequest("Khóa gửi phiếu không hợp lệ; hãy tải lại trang.".into()));
        }
        let ev = self.event_for(by, slug, Action::ScoreEvent).await?;
        // A system administrator may do everything else, but only the jury's sheets are counted.
        if !by.grants.iter().any(|g| g.contest_id == ev.id() && g.role == Role::Judge) {
            return Err(EngineError::Forbidden);
        }
        let part = ev.part(part_key)?;
        check_scores(part, scores)?;
        self.require_open(&ev, part).await?;
        if let Some(key) = key {
            let mine = self.store.event_sheets(ev.id(), Some(by.account_id)).await?;
            let reopened =
                mine.iter().find(|s| s.team_id == team_id && s.part_key == part.key && s.status == "reopened");
            if let Some(sheet) = reopened
                && self.sheet_key_recorded(by, ev.id(), sheet, key).await?
            {
                return sheet_view(sheet);
            }
        }
        self.store_sheet(by, &ev, by.account_id, team_id, part, scores, false, key).await
    }

    /// Whether a submission of `sheet` with `key` is in the audit log already.
    async fn sheet_key_recorded(&self, by: &Staff, contest_id: i64, sheet: &SheetRow, key: &str) -> Result<bool> {
        let filter = cuocthi_store::AuditFilter {
            contest_id: Some(contest_id),
            action_prefix: Some("event.sheet_submit".into()),
            actor: Some(by.actor()),
            before_id: None,
            limit: 100_000,
        };
        let subject = format!("team:{}", sheet.team_id);
        Ok(self.store.audit_entries(&filter).await?.iter().any(|a| {
            a.action == "event.sheet_submit"
                && a.subject == subject
                && serde_json::from_str::<serde_json::Value>(&a.detail).is_ok_and(|d| {
                    d["key"] == key && d["part"] == sheet.part_key.as_str() && d["judge_id"] == sheet.judge_id
                })
        }))
    }

    /// The secretariat types in a judge's paper sheet; the audit log marks it as such.
    pub async fn enter_paper_sheet(
        &self,
        by: &Staff,
        slug: &str,
        judge_id: i64,
        team_id: i64,
        part_key: &str,
        scores: &BTreeMap<String, Points>,
    ) -> Result<SheetView> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        if !self.judges_of(ev.id()).await?.contains_key(&judge_id) {
            return Err(EngineError::BadRequest("Tài khoản này không phải giám khảo của cuộc thi.".into()));
        }
        let part = ev.part(part_key)?;
        self.store_sheet(by, &ev, judge_id, team_id, part, scores, true, None).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_sheet(
        &self,
        by: &Staff,
        ev: &EventOf,
        judge_id: i64,
        team_id: i64,
        part: &PartSpec,
        scores: &BTreeMap<String, Points>,
        paper: bool,
        key: Option<&str>,
    ) -> Result<SheetView> {
        let team = self.team_in(ev, team_id).await?;
        check_scores(part, scores)?;
        let hundredths: BTreeMap<&str, i64> = scores.iter().map(|(k, p)| (k.as_str(), p.as_hundredths())).collect();
        let scores_json = serde_json::to_string(&hundredths).map_err(|e| EngineError::Internal(Box::new(e)))?;
        let actor = by.actor();
        let sheet = NewSheet {
            contest_id: ev.id(),
            judge_id,
            team_id: team.id,
            part_key: &part.key,
            scores: &scores_json,
            paper,
            entered_by: &actor,
            at: self.now().timestamp_millis(),
        };
        let mut detail = json!({"judge_id": judge_id, "part": part.key, "scores": hundredths, "paper": paper});
        if let Some(key) = key {
            detail["key"] = json!(key);
        }
        let entry = self.audit_entry(by, "event.sheet_submit", ev.id(), format!("team:{}", team.id), detail);
        if let Some(row) = self.store.submit_sheet(&sheet, &entry).await? {
            return sheet_view(&row);
        }
        let stored = self.store.event_sheets(ev.id(), Some(judge_id)).await?;
        let same =
            stored.iter().find(|s| s.team_id == team.id && s.part_key == part.key).map(sheet_view).transpose()?;
        match same {
            Some(s) if s.scores == *scores => Ok(s),
            _ => Err(EngineError::Conflict(
                "Phiếu chấm này đã nộp và đã khóa; chỉ Tổ Thư ký có thể mở lại phiếu, kèm lý do.".into(),
            )),
        }
    }

    /// A judge's own sheet for a team and an open part (`None` before they send it).
    pub async fn my_sheet(&self, by: &Staff, slug: &str, team_id: i64, part_key: &str) -> Result<Option<SheetView>> {
        let ev = self.event_for(by, slug, Action::ScoreEvent).await?;
        let part = ev.part(part_key)?;
        self.require_open(&ev, part).await?;
        let mine = self.store.event_sheets(ev.id(), Some(by.account_id)).await?;
        mine.iter().find(|s| s.team_id == team_id && s.part_key == part_key).map(sheet_view).transpose()
    }

    /// A judge's own sheets in the parts open now.
    pub async fn my_sheets(&self, by: &Staff, slug: &str) -> Result<Vec<SheetView>> {
        let ev = self.event_for(by, slug, Action::ScoreEvent).await?;
        let open: BTreeSet<String> =
            self.store.event_parts(ev.id()).await?.into_iter().filter(|p| p.is_open != 0).map(|p| p.part_key).collect();
        let mine = self.store.event_sheets(ev.id(), Some(by.account_id)).await?;
        mine.iter().filter(|s| open.contains(&s.part_key)).map(sheet_view).collect()
    }

    /// Every sheet of the event (the secretariat).
    pub async fn event_sheets(&self, by: &Staff, slug: &str) -> Result<Vec<SheetView>> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        self.store.event_sheets(ev.id(), None).await?.iter().map(sheet_view).collect()
    }

    /// Reopens a submitted sheet so the judge can correct it (the secretariat, with a reason).
    pub async fn reopen_sheet(&self, by: &Staff, slug: &str, sheet_id: i64, reason: &str) -> Result<SheetView> {
        let ev = self.event_for(by, slug, Action::ReopenSheet).await?;
        let reason = text::clean(reason);
        if reason.is_empty() {
            return Err(EngineError::BadRequest("Hãy ghi lý do mở lại phiếu chấm.".into()));
        }
        let sheet = in_contest(self.store.event_sheet(sheet_id).await?, ev.id(), |s| s.contest_id, "phiếu chấm")?;
        let detail = json!({"sheet_id": sheet.id, "judge_id": sheet.judge_id, "part": sheet.part_key,
            "scores_before": serde_json::from_str::<serde_json::Value>(&sheet.scores).unwrap_or_default(), "reason": reason});
        let entry = self.audit_entry(by, "event.sheet_reopen", ev.id(), format!("team:{}", sheet.team_id), detail);
        let row = self.store.reopen_sheet(ev.id(), sheet.id, &reason, &entry).await?;
        let row = row.ok_or_else(|| EngineError::Conflict("Phiếu chấm này đang mở, chưa nộp lại.".into()))?;
        sheet_view(&row)
    }

    /// The contest's judges (accounts with the judge role on it), by account id, with their names.
    async fn judges_of(&self, contest_id: i64) -> Result<BTreeMap<i64, String>> {
        let mut judges = BTreeMap::new();
        for g in self.store.grants_on(contest_id).await? {
            if Role::parse(&g.role) == Some(Role::Judge) && !judges.contains_key(&g.account_id) {
                let name = self.store.account(g.account_id).await?.map(|a| a.username).unwrap_or_default();
                judges.insert(g.account_id, name);
            }
        }
        Ok(judges)
    }

    /// The sheets not submitted yet: every judge, every team, every judged part.
    pub async fn missing_sheets(&self, by: &Staff, slug: &str) -> Result<Vec<MissingSheet>> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        let judges = self.judges_of(ev.id()).await?;
        let teams = self.teams_of(ev.id()).await?;
        let sheets = self.store.event_sheets(ev.id(), None).await?;
        let status = |j: i64, t: i64, p: &str| {
            sheets.iter().find(|s| s.judge_id == j && s.team_id == t && s.part_key == p).map(|s| s.status.as_str())
        };
        let judged = ev.spec.parts.iter().filter(|p| matches!(p.kind, PartKind::Judged { .. }));
        let mut missing = Vec::new();
        for part in judged {
            for team in &teams {
                for (judge_id, judge) in &judges {
                    let s = status(*judge_id, team.id, &part.key);
                    if s != Some("submitted") {
                        missing.push(MissingSheet {
                            judge_id: *judge_id,
                            judge: judge.clone(),
                            team_id: team.id,
                            part_key: part.key.clone(),
                            reopened: s == Some("reopened"),
                        });
                    }
                }
            }
        }
        Ok(missing)
    }

    /// Enters (or corrects) a team's correct answers in a knowledge part.
    pub async fn enter_answers(
        &self,
        by: &Staff,
        slug: &str,
        team_id: i64,
        part_key: &str,
        correct: u32,
    ) -> Result<()> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        let part = ev.part(part_key)?;
        let PartKind::Knowledge { questions, .. } = part.kind else {
            return Err(EngineError::BadRequest(format!("Phần thi “{}” không phải phần thi kiến thức.", part.name)));
        };
        if correct > questions {
            return Err(EngineError::BadRequest(format!("Mỗi đội chỉ có {questions} câu hỏi.")));
        }
        let team = self.team_in(&ev, team_id).await?;
        let row = AnswerRow {
            contest_id: ev.id(),
            team_id: team.id,
            part_key: part.key.clone(),
            correct: i64::from(correct),
            entered_by: by.actor(),
            entered_at: self.now().timestamp_millis(),
        };
        self.store.set_answers(&row).await?;
        let detail = json!({"part": part.key, "correct": correct});
        self.record(Some(by), "event.answers", Some(ev.id()), &format!("team:{}", team.id), detail).await
    }

    /// Adds a bonus or a penalty to a team's total, with its reason.
    pub async fn add_adjustment(
        &self,
        by: &Staff,
        slug: &str,
        team_id: i64,
        points: Points,
        reason: &str,
    ) -> Result<i64> {
        let ev = self.event_for(by, slug, Action::ManageEvent).await?;
        let team = self.team_in(&ev, team_id).await?;
        let reason = text::clean(reason);
        if reason.is_empty() {
            return Err(EngineError::BadRequest("Hãy ghi lý do cộng hoặc trừ điểm.".into()));
        }
        if points.as_hundredths() == 0 {
            return Err(EngineError::BadRequest("Số điểm cộng hoặc trừ phải khác 0.".into()));
        }
        let row = AdjustmentRow {
            id: 0,
            contest_id: ev.id(),
            team_id: team.id,
            points: points.as_hundredths(),
            reason: reason.clone(),
            created_by: by.actor(),
            created_at: self.now().timestamp_millis(),
        };
        let id = self.store.insert_adjustment(&row).await?;
        let detail = json!({"adjustment_id": id, "points": points.as_hundredths(), "reason": reason});
        self.record(Some(by), "event.adjustment", Some(ev.id()), &format!("team:{}", team.id), detail).await?;
        Ok(id)
    }

    /// The committee draws the lot between teams the rules leave tied: `(team, order)`, 1 first,
    /// from a fresh seed written to the audit log.
    pub async fn draw_tie_lots(&self, by: &Staff, slug: &str, team_ids: &[i64]) -> Result<Vec<(i64, u32)>> {
        let ev = self.event_for(by, slug, Action::ManageResults).await?;
        let teams: BTreeSet<i64> = team_ids.iter().copied().collect();
        for t in &teams {
            self.team_in(&ev, *t).await?;
        }
        if teams.len() < 2 {
            return Err(EngineError::BadRequest("Bốc thăm phân định cần ít nhất hai đội bằng điểm.".into()));
        }
        let ids: Vec<i64> = teams.into_iter().collect();
        let seed: u64 = rand::random();
        let n = u32::try_from(ids.len()).map_err(|e| EngineError::Internal(Box::new(e)))?;
        let drawn = lots::draw(seed, &ids, n).map_err(EngineError::BadRequest)?;
        let (actor, at) = (by.actor(), self.now().timestamp_millis());
        let rows: Vec<TieLotRow> = drawn
            .iter()
            .map(|(t, lot)| TieLotRow {
                team_id: *t,
                contest_id: ev.id(),
                lot_order: i64::from(*lot),
                seed: seed.to_string(),
                drawn_by: actor.clone(),
                drawn_at: at,
            })
            .collect();
        self.store.set_tie_lots(&rows).await?;
        let detail = json!({"seed": seed.to_string(), "lots": drawn});
        self.record(Some(by), "event.tie_lot", Some(ev.id()), "event", detail).await?;
        Ok(drawn)
    }

    /// The event's ranking from the stored submitted sheets, answers, adjustments and lots.
    pub async fn event_ranking(&self, by: &Staff, slug: &str) -> Result<Vec<TeamStanding>> {
        let ev = self.event_for_any(by, slug, &[Action::ManageEvent, Action::ViewResults]).await?;
        self.ranking_of(ev.id(), &ev.spec).await
    }

    /// The ranking of a contest's event, for whoever the caller checked (the stage's public
    /// scoreboard shows it to everyone).
    pub(super) async fn ranking_of(&self, id: i64, spec: &EventSpec) -> Result<Vec<TeamStanding>> {
        let teams = self.store.event_teams(id).await?;
        let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
        let sheets = self.store.event_sheets(id, None).await?;
        let sheets = sheets
            .iter()
            .filter(|s| s.status == "submitted")
            .map(|s| {
                let v = sheet_view(s)?;
                Ok(Sheet { judge: v.judge_id, team: v.team_id, part: v.part_key, scores: v.scores })
            })
            .collect::<Result<Vec<_>>>()?;
        let answered: Vec<Answered> = self
            .store
            .event_answers(id)
            .await?
            .into_iter()
            .map(|a| Answered { team: a.team_id, part: a.part_key, correct: u32::try_from(a.correct).unwrap_or(0) })
            .collect();
        let adjustments: Vec<Adjustment> = self
            .store
            .event_adjustments(id)
            .await?
            .into_iter()
            .map(|a| Adjustment { team: a.team_id, points: Points::hundredths(a.points), reason: a.reason })
            .collect();
        let lots: Vec<TieLot> = self
            .store
            .event_tie_lots(id)
            .await?
            .iter()
            .map(|l| TieLot { team: l.team_id, order: u32::try_from(l.lot_order).unwrap_or(u32::MAX) })
            .collect();
        let results = aggregate::aggregate(spec, &ids, &sheets, &answered, &adjustments, &lots)
            .map_err(|e| EngineError::Internal(Box::new(e)))?;
        Ok(results
            .into_iter()
            .filter_map(|result| {
                let t = teams.iter().find(|t| t.id == result.team)?;
                Some(TeamStanding { unit_code: t.unit_code.clone(), name: t.name.clone(), result })
            })
            .collect())
    }
}
