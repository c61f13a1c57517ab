//! The in-person event's stage (sân khấu, issue 14): the knowledge round's question sets (bộ câu
//! hỏi) made from the bank with a recorded seed, each team's set drawn by lot (bốc thăm) on the
//! server, the steps the control page takes (a team on stage → its lot → a question with its
//! countdown → the answer, marked by the MC or given on the team's tablet → the correct answer
//! revealed with the points → … → the scoreboard), and the scoreboard's freeze.
//!
//! What the hall's screen and the public see is a [`ScreenState`]: a type of its own that holds
//! no correct option until the control page reveals it ([`Revealed`] exists only then), so no
//! key can reach a browser early by mistake. Every change bumps the stored `version`; this node
//! pushes the new state at once to its open screens through a `watch` channel per contest, and a
//! poller per contest (only while a screen is open here) reads the version every 400 ms, so that
//! a change made on another app node reaches them too.

mod push;
mod screen;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cuocthi_domain::draw::SplitMix64;
use cuocthi_domain::event::{EventSpec, PartKind, PartSpec, lots};
use cuocthi_store::{NewAudit, SetLotRow, SetQuestionRow, StageAnswerRow, StageRow, StoredQuestion};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use push::{Frame, Hub, POLL};
pub use screen::{Board, BoardRow, Revealed, ScreenQuestion, ScreenState, ScreenTeam};

use super::access::{Action, Staff};
use crate::shared::catalog::CachedContest;
use crate::{Engine, EngineError, Result};

/// Seconds after a question's deadline during which a tablet's answer still counts (the tap made
/// as the countdown ended, on the hall's Wi-Fi).
const TABLET_GRACE_MS: i64 = 2_000;

/// Makes `sets` question sets of `per_set` questions each from `bank` (question ids), from
/// `seed`: the bank in id order, shuffled by the seed, and set `i` the `per_set` questions from
/// place `i × per_set` on, going round. No question is twice in a set; none is in two sets when
/// the bank has `sets × per_set` questions or more (the second value says when it has fewer).
/// The result depends only on the seed and the set of ids, so the audit entry replays it.
pub fn question_sets(seed: u64, bank: &[i64], sets: u32, per_set: u32) -> Result<(Vec<Vec<i64>>, bool), String> {
    let mut ids = bank.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let per = usize::try_from(per_set).map_err(|e| e.to_string())?;
    let n = usize::try_from(sets).map_err(|e| e.to_string())?;
    if per == 0 || n == 0 {
        return Err("Cần ít nhất một bộ câu hỏi, mỗi bộ ít nhất một câu.".into());
    }
    if ids.len() < per {
        return Err(format!("Ngân hàng chỉ có {} câu hỏi, chưa đủ {per} câu cho một bộ.", ids.len()));
    }
    SplitMix64::new(seed).shuffle(&mut ids);
    let made = (0..n).map(|i| (0..per).map(|j| ids[(i * per + j) % ids.len()]).collect()).collect();
    Ok((made, ids.len() < n * per))
}

/// The step the stage is at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The event's title, waiting.
    Idle,
    /// A team on stage.
    Team,
    /// The team's lot, revealed.
    Lot,
    /// A question and its countdown.
    Question,
    /// The answer is in, not yet revealed.
    Answered,
    /// The correct answer and the points.
    Revealed,
    /// The scoreboard.
    Scoreboard,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Idle => "idle",
            Step::Team => "team",
            Step::Lot => "lot",
            Step::Question => "question",
            Step::Answered => "answered",
            Step::Revealed => "revealed",
            Step::Scoreboard => "scoreboard",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        [Step::Idle, Step::Team, Step::Lot, Step::Question, Step::Answered, Step::Revealed, Step::Scoreboard]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Who enters the knowledge round's answers (the contest's choice, kept with the stage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answering {
    /// The MC marks the team's spoken answer right or wrong on the control page.
    Mc,
    /// The team taps its option on one tablet.
    Tablet,
}

impl Answering {
    pub fn as_str(self) -> &'static str {
        match self {
            Answering::Mc => "mc",
            Answering::Tablet => "tablet",
        }
    }
}

/// One step asked by the control page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    Idle,
    /// Puts a team on stage for a part.
    Team {
        team_id: i64,
        part_key: String,
    },
    /// The team on stage draws its set (or shows the set it drew).
    Lot,
    /// The next question of the team's set, with its countdown.
    NextQuestion,
    /// The MC marks the team's answer to the question on screen.
    Mark {
        correct: bool,
    },
    /// The correct answer and the points (a question left unanswered counts as wrong).
    Reveal,
    Scoreboard,
    /// Freezes the public scoreboard at this instant, or shows it live again.
    Freeze(bool),
    Answering(Answering),
}

/// The question on stage as the control page shows it: with its key, for staff only.
#[derive(Clone, Debug, Serialize)]
pub struct ControlQuestion {
    pub seq: i64,
    pub of: i64,
    pub question_id: i64,
    pub stem: String,
    pub options: Vec<String>,
    pub correct: u8,
    pub explanation: Option<String>,
    pub answer: Option<StageAnswerRow>,
}

/// A knowledge part's sets, as the control page lists them.
#[derive(Clone, Debug, Serialize)]
pub struct PartSets {
    pub key: String,
    pub name: String,
    pub knowledge: bool,
    pub sets: i64,
    pub per_set: u32,
    pub seconds: u32,
}

/// A team and the sets it drew.
#[derive(Clone, Debug, Serialize)]
pub struct ControlTeam {
    pub id: i64,
    pub name: String,
    pub unit_code: String,
    pub order: Option<i64>,
    /// `(part key, set number)`.
    pub lots: Vec<(String, i64)>,
}

/// Everything the control page shows.
#[derive(Clone, Debug, Serialize)]
pub struct StageControl {
    pub stage: StageRow,
    pub teams: Vec<ControlTeam>,
    pub parts: Vec<PartSets>,
    pub question: Option<ControlQuestion>,
    /// The team on stage's answers in its part.
    pub answers: Vec<StageAnswerRow>,
    pub screen: ScreenState,
}

/// What preparing a part's sets came to.
#[derive(Clone, Debug, Serialize)]
pub struct SetsPrepared {
    pub sets: u32,
    pub per_set: u32,
    pub seed: String,
    /// The bank was too small for sets without a question in common.
    pub repeats: bool,
}

/// The contest and its event, for the stage.
struct Staged {
    contest: Arc<CachedContest>,
    spec: EventSpec,
}

impl Staged {
    fn id(&self) -> i64 {
        self.contest.stored.contest.id
    }

    fn part(&self, key: &str) -> Result<&PartSpec> {
        self.spec.part(key).ok_or(EngineError::NotFound("phần thi"))
    }

    /// A knowledge part's `(questions, points, seconds)`.
    fn knowledge(&self, key: &str) -> Result<(u32, cuocthi_domain::event::Points, u32)> {
        let part = self.part(key)?;
        match part.kind {
            PartKind::Knowledge { questions, points, seconds_per_question, .. } => {
                Ok((questions, points, seconds_per_question))
            }
            PartKind::Judged { .. } => {
                Err(EngineError::BadRequest(format!("Phần thi “{}” không phải phần thi kiến thức.", part.name)))
            }
        }
    }
}

fn busy() -> EngineError {
    EngineError::Conflict("Sân khấu vừa được điều khiển từ một máy khác; hãy xem lại và thử lại.".into())
}

fn new_tablet_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Equal keys, compared in a time that does not tell how much of a guess was right.
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Engine {
    async fn staged(&self, slug: &str) -> Result<Staged> {
        let contest = self.contest_by_slug(slug).await?;
        let spec = contest
            .spec
            .settings
            .event
            .clone()
            .ok_or_else(|| EngineError::BadRequest("Cuộc thi này không có hội thi trực tiếp.".into()))?;
        Ok(Staged { contest, spec })
    }

    /// The event, for a staff member allowed `action` (the role first: a refusal must not tell
    /// whether the contest has an event).
    async fn staged_for(&self, by: &Staff, slug: &str, action: Action) -> Result<Staged> {
        let contest = self.contest_by_slug(slug).await?;
        by.require(action, Some(contest.stored.contest.id))?;
        self.staged(slug).await
    }

    /// The stage row, or the waiting stage of a contest never put on stage (version 0).
    async fn stage_row(&self, st: &Staged) -> Result<StageRow> {
        Ok(self.store.stage(st.id()).await?.unwrap_or_else(|| StageRow {
            contest_id: st.id(),
            version: 0,
            step: Step::Idle.as_str().into(),
            team_id: None,
            part_key: None,
            question_seq: None,
            deadline_at: None,
            revealed: 0,
            answering: Answering::Mc.as_str().into(),
            tablet_key: new_tablet_key(),
            frozen: 0,
            frozen_at: None,
            frozen_board: None,
            updated_by: String::new(),
            updated_at: 0,
        }))
    }

    fn stage_entry(
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

    /// Makes a knowledge part's question sets from the contest's active bank, from a fresh seed
    /// written to the audit log with the bank's ids (so the sets can be made again from the entry
    /// alone): `sets` of them, one per team by default. Refused once a team has drawn a set.
    pub async fn prepare_question_sets(
        &self,
        by: &Staff,
        slug: &str,
        part_key: &str,
        sets: Option<u32>,
    ) -> Result<SetsPrepared> {
        let st = self.staged_for(by, slug, Action::ManageEvent).await?;
        let (per_set, _, _) = st.knowledge(part_key)?;
        let teams = u32::try_from(self.store.event_teams(st.id()).await?.len()).unwrap_or(u32::MAX);
        let sets = sets.unwrap_or(teams).max(1);
        if sets < teams {
            return Err(EngineError::BadRequest(format!(
                "Cần ít nhất {teams} bộ câu hỏi: mỗi đội bốc một bộ khác nhau."
            )));
        }
        let bank: Vec<i64> = self.store.bank(st.id()).await?.iter().map(|q| q.id).collect();
        let seed: u64 = rand::random();
        let (made, repeats) = question_sets(seed, &bank, sets, per_set).map_err(EngineError::BadRequest)?;
        let (actor, at, contest_id) = (by.actor(), self.now().timestamp_millis(), st.id());
        let rows: Vec<SetQuestionRow> = made
            .iter()
            .zip(1_i64..)
            .flat_map(|(set, set_no)| {
                let (actor, seed) = (actor.clone(), seed.to_string());
                set.iter().zip(1_i64..).map(move |(q, seq)| SetQuestionRow {
                    contest_id,
                    part_key: part_key.to_string(),
                    set_no,
                    seq,
                    question_id: *q,
                    seed: seed.clone(),
                    created_by: actor.clone(),
                    created_at: at,
                })
            })
            .collect();
        let mut sorted = bank.clone();
        sorted.sort_unstable();
        let detail = json!({"part": part_key, "seed": seed.to_string(), "sets": sets, "per_set": per_set,
            "bank": sorted, "repeats": repeats, "made": made});
        let entry = self.stage_entry(by, "event.question_sets", st.id(), format!("part:{part_key}"), detail);
        if !self.store.replace_question_sets(st.id(), part_key, &rows, &entry).await? {
            return Err(EngineError::Conflict(
                "Đã có đội bốc thăm trong phần thi này: không thể làm lại bộ câu hỏi.".into(),
            ));
        }
        Ok(SetsPrepared { sets, per_set, seed: seed.to_string(), repeats })
    }

    /// The team draws its question set by lot among the sets no team has drawn, from a fresh seed
    /// written to the audit log with the sets it was drawn among. A team draws once per part: a
    /// second draw is refused, and of draws sent at once exactly one is kept.
    pub async fn draw_question_set(&self, by: &Staff, slug: &str, team_id: i64, part_key: &str) -> Result<SetLotRow> {
        let st = self.staged_for(by, slug, Action::ControlStage).await?;
        self.draw_set(by, &st, team_id, part_key).await
    }

    async fn draw_set(&self, by: &Staff, st: &Staged, team_id: i64, part_key: &str) -> Result<SetLotRow> {
        st.knowledge(part_key)?;
        let team = self.store.event_teams(st.id()).await?.into_iter().find(|t| t.id == team_id);
        let team = team.ok_or(EngineError::NotFound("đội thi"))?;
        let made: BTreeSet<i64> = self
            .store
            .question_sets(st.id())
            .await?
            .into_iter()
            .filter(|r| r.part_key == part_key)
            .map(|r| r.set_no)
            .collect();
        if made.is_empty() {
            return Err(EngineError::Conflict("Chưa chuẩn bị bộ câu hỏi cho phần thi này.".into()));
        }
        // Another team may take the set drawn here in between: draw again among those left.
        for _ in 0..8 {
            let lots_now: Vec<SetLotRow> =
                self.store.set_lots(st.id()).await?.into_iter().filter(|l| l.part_key == part_key).collect();
            if let Some(mine) = lots_now.iter().find(|l| l.team_id == team.id) {
                return Err(EngineError::Conflict(format!(
                    "Đội “{}” đã bốc thăm bộ câu hỏi số {}; mỗi đội chỉ bốc một lần.",
                    team.name, mine.set_no
                )));
            }
            let taken: BTreeSet<i64> = lots_now.iter().map(|l| l.set_no).collect();
            let left: Vec<i64> = made.difference(&taken).copied().collect();
            if left.is_empty() {
                return Err(EngineError::Conflict("Không còn bộ câu hỏi nào chưa được bốc.".into()));
            }
            let seed: u64 = rand::random();
            let n = u32::try_from(left.len()).map_err(|e| EngineError::Internal(Box::new(e)))?;
            let drawn = lots::draw(seed, &[team.id], n).map_err(EngineError::BadRequest)?;
            let lot = drawn.first().and_then(|(_, k)| left.get(usize::try_from(*k).ok()?.checked_sub(1)?)).copied();
            let set_no = lot.ok_or_else(|| EngineError::Internal("an empty lot".into()))?;
            let row = SetLotRow {
                contest_id: st.id(),
                part_key: part_key.to_string(),
                team_id: team.id,
                set_no,
                seed: seed.to_string(),
                drawn_by: by.actor(),
                drawn_at: self.now().timestamp_millis(),
            };
            let detail = json!({"part": part_key, "seed": seed.to_string(), "among": left, "set_no": set_no});
            let entry = self.stage_entry(by, "event.set_lot", st.id(), format!("team:{}", team.id), detail);
            if let Some(stored) = self.store.insert_set_lot(&row, &entry).await? {
                return Ok(stored);
            }
        }
        Err(busy())
    }

    /// Takes one step on the stage for the control page, and pushes the new state to the
    /// screens. Steps out of order are refused with a message for the control page.
    pub async fn control_stage(&self, by: &Staff, slug: &str, step: Control) -> Result<StageRow> {
        let st = self.staged_for(by, slug, Action::ControlStage).await?;
        let cur = self.stage_row(&st).await?;
        let mut next = cur.clone();
        let now = self.now().timestamp_millis();
        let at = |s: &str| cur.step == s;
        let on_question = at("question") || at("answered");
        match &step {
            Control::Idle => next.step = Step::Idle.as_str().into(),
            Control::Team { team_id, part_key } => {
                st.part(part_key)?;
                let known = self.store.event_teams(st.id()).await?.iter().any(|t| t.id == *team_id);
                if !known {
                    return Err(EngineError::NotFound("đội thi"));
                }
                next.step = Step::Team.as_str().into();
                (next.team_id, next.part_key) = (Some(*team_id), Some(part_key.clone()));
                (next.question_seq, next.deadline_at, next.revealed) = (None, None, 0);
            }
            Control::Lot => {
                let (team, part) = on_stage(&cur)?;
                match self.draw_set(by, &st, team, &part).await {
                    Ok(_) => {}
                    // Shown again: the lot it drew stays.
                    Err(EngineError::Conflict(_)) if self.lot_of(&st, team, &part).await?.is_some() => {}
                    Err(e) => return Err(e),
                }
                next.step = Step::Lot.as_str().into();
            }
            Control::NextQuestion => {
                let (team, part) = on_stage(&cur)?;
                let (questions, _, seconds) = st.knowledge(&part)?;
                if self.lot_of(&st, team, &part).await?.is_none() {
                    return Err(EngineError::Conflict("Đội chưa bốc thăm bộ câu hỏi.".into()));
                }
                if on_question && cur.revealed == 0 {
                    return Err(EngineError::Conflict("Hãy công bố đáp án câu hiện tại trước.".into()));
                }
                let seq = cur.question_seq.unwrap_or(0) + 1;
                if seq > i64::from(questions) {
                    return Err(EngineError::Conflict(format!("Đội đã trả lời hết {questions} câu hỏi của bộ.")));
                }
                next.step = Step::Question.as_str().into();
                (next.question_seq, next.revealed) = (Some(seq), 0);
                next.deadline_at = Some(now + i64::from(seconds) * 1000);
            }
            Control::Mark { correct } => {
                if !on_question || cur.revealed != 0 {
                    return Err(EngineError::Conflict("Không có câu hỏi nào đang chờ trả lời.".into()));
                }
                self.record_answer(by.account_id, &by.actor(), &st, &cur, None, Some(*correct), "mc", true).await?;
                next.step = Step::Answered.as_str().into();
            }
            Control::Reveal => {
                if !on_question {
                    return Err(EngineError::Conflict("Không có câu hỏi nào để công bố đáp án.".into()));
                }
                // A question left unanswered counts as wrong, and is recorded so.
                self.record_answer(by.account_id, &by.actor(), &st, &cur, None, Some(false), "mc", false).await?;
                next.step = Step::Revealed.as_str().into();
                next.revealed = 1;
            }
            Control::Scoreboard => next.step = Step::Scoreboard.as_str().into(),
            Control::Freeze(true) => {
                let board = self.live_board(&st).await?;
                next.frozen = 1;
                next.frozen_at = Some(now);
                next.frozen_board =
                    Some(serde_json::to_string(&board.rows).map_err(|e| EngineError::Internal(Box::new(e)))?);
            }
            Control::Freeze(false) => (next.frozen, next.frozen_at, next.frozen_board) = (0, None, None),
            Control::Answering(a) => next.answering = a.as_str().into(),
        }
        next.updated_by = by.actor();
        next.updated_at = now;
        let saved = self.store.save_stage(&next, cur.version).await?.ok_or_else(busy)?;
        let detail = json!({"step": format!("{step:?}"), "version": saved.version, "team_id": saved.team_id,
            "part": saved.part_key, "question": saved.question_seq, "frozen": saved.frozen});
        self.record(Some(by), "event.stage", Some(st.id()), "stage", detail).await?;
        self.push_stage(&st, &saved).await;
        Ok(saved)
    }

    async fn lot_of(&self, st: &Staged, team: i64, part: &str) -> Result<Option<SetLotRow>> {
        Ok(self.store.set_lots(st.id()).await?.into_iter().find(|l| l.team_id == team && l.part_key == part))
    }

    /// The question at place `seq` of the set the team drew in `part`.
    async fn set_question(&self, st: &Staged, team: i64, part: &str, seq: i64) -> Result<Option<StoredQuestion>> {
        let Some(lot) = self.lot_of(st, team, part).await? else { return Ok(None) };
        let sets = self.store.question_sets(st.id()).await?;
        let Some(row) = sets.iter().find(|r| r.part_key == part && r.set_no == lot.set_no && r.seq == seq) else {
            return Ok(None);
        };
        Ok(self.store.questions_by_id(&[row.question_id]).await?.into_iter().next())
    }

    /// Records the team's answer to the question on stage: `chosen` (a tablet's option) or
    /// `marked` (the MC's mark); correct when the marked or chosen option is the key.
    #[allow(clippy::too_many_arguments)]
    async fn record_answer(
        &self,
        account_id: i64,
        actor: &str,
        st: &Staged,
        cur: &StageRow,
        chosen: Option<u8>,
        marked: Option<bool>,
        source: &str,
        replace: bool,
    ) -> Result<bool> {
        let (team, part) = on_stage(cur)?;
        let seq = cur.question_seq.ok_or_else(|| EngineError::Conflict("Chưa có câu hỏi nào trên màn hình.".into()))?;
        let q = self.set_question(st, team, &part, seq).await?.ok_or(EngineError::NotFound("câu hỏi"))?;
        let correct = match (chosen, marked) {
            (Some(c), _) => c == q.question.correct,
            (None, Some(m)) => m,
            (None, None) => false,
        };
        let row = StageAnswerRow {
            contest_id: st.id(),
            team_id: team,
            part_key: part.clone(),
            seq,
            question_id: q.id,
            chosen: chosen.map(i64::from),
            correct: i64::from(correct),
            source: source.into(),
            entered_by: actor.into(),
            entered_at: self.now().timestamp_millis(),
        };
        let detail = json!({"part": part, "question": seq, "question_id": q.id, "chosen": chosen,
            "correct": correct, "source": source});
        let entry = NewAudit {
            at: self.now(),
            account_id: (account_id != 0).then_some(account_id),
            actor: actor.into(),
            action: "event.stage_answer".into(),
            contest_id: Some(st.id()),
            subject: format!("team:{team}"),
            detail: detail.to_string(),
        };
        Ok(self.store.record_stage_answer(&row, replace, &entry).await?)
    }

    /// The team on stage answers on its tablet (the contest chose tablets): the address's key
    /// must be the stage's, the question on screen and its time not over. An answer given once
    /// stays.
    pub async fn tablet_answer(&self, slug: &str, key: &str, option: u8) -> Result<()> {
        let st = self.staged(slug).await?;
        let cur = self.stage_row(&st).await?;
        if cur.version == 0 || !same_key(key, &cur.tablet_key) {
            return Err(EngineError::Forbidden);
        }
        if cur.answering != Answering::Tablet.as_str() {
            return Err(EngineError::Conflict("Câu trả lời do người dẫn chương trình ghi nhận.".into()));
        }
        if cur.step != Step::Question.as_str() {
            return Err(EngineError::Conflict("Chưa có câu hỏi nào đang chờ trả lời.".into()));
        }
        let now = self.now().timestamp_millis();
        if cur.deadline_at.is_some_and(|d| now > d + TABLET_GRACE_MS) {
            return Err(EngineError::Conflict("Đã hết thời gian trả lời câu hỏi này.".into()));
        }
        let (team, part) = on_stage(&cur)?;
        let q = self.set_question(&st, team, &part, cur.question_seq.unwrap_or(0)).await?;
        let q = q.ok_or(EngineError::NotFound("câu hỏi"))?;
        if usize::from(option) >= q.question.options.len() {
            return Err(EngineError::BadRequest("Phương án trả lời không hợp lệ.".into()));
        }
        let actor = format!("máy tính bảng của đội {team}");
        if !self.record_answer(0, &actor, &st, &cur, Some(option), None, "tablet", false).await? {
            return Err(EngineError::Conflict("Đội đã trả lời câu hỏi này.".into()));
        }
        let mut next = cur.clone();
        next.step = Step::Answered.as_str().into();
        next.updated_by = actor;
        next.updated_at = now;
        // The control page may have moved on meanwhile; the answer is recorded either way.
        if let Some(saved) = self.store.save_stage(&next, cur.version).await? {
            self.push_stage(&st, &saved).await;
        }
        Ok(())
    }

    /// Whether `key` opens the team tablet's page of the contest.
    pub async fn tablet_allowed(&self, slug: &str, key: &str) -> Result<bool> {
        let st = self.staged(slug).await?;
        let cur = self.stage_row(&st).await?;
        Ok(cur.version != 0 && cur.answering == Answering::Tablet.as_str() && same_key(key, &cur.tablet_key))
    }

    /// Everything the control page shows, the key of the question on stage included.
    pub async fn stage_control(&self, by: &Staff, slug: &str) -> Result<StageControl> {
        let st = self.staged_for(by, slug, Action::ControlStage).await?;
        let stage = self.stage_row(&st).await?;
        let lots = self.store.set_lots(st.id()).await?;
        let sets = self.store.question_sets(st.id()).await?;
        let mut teams: Vec<ControlTeam> = self
            .store
            .event_teams(st.id())
            .await?
            .into_iter()
            .map(|t| ControlTeam {
                lots: lots.iter().filter(|l| l.team_id == t.id).map(|l| (l.part_key.clone(), l.set_no)).collect(),
                id: t.id,
                name: t.name,
                unit_code: t.unit_code,
                order: t.performance_order,
            })
            .collect();
        teams.sort_by_key(|t| (t.order.unwrap_or(i64::MAX), t.id));
        let parts = st
            .spec
            .parts
            .iter()
            .map(|p| {
                let made: BTreeSet<i64> = sets.iter().filter(|r| r.part_key == p.key).map(|r| r.set_no).collect();
                let (knowledge, per_set, seconds) = match p.kind {
                    PartKind::Knowledge { questions, seconds_per_question, .. } => {
                        (true, questions, seconds_per_question)
                    }
                    PartKind::Judged { .. } => (false, 0, 0),
                };
                PartSets {
                    key: p.key.clone(),
                    name: p.name.clone(),
                    knowledge,
                    sets: i64::try_from(made.len()).unwrap_or(i64::MAX),
                    per_set,
                    seconds,
                }
            })
            .collect();
        let answers: Vec<StageAnswerRow> = match (stage.team_id, &stage.part_key) {
            (Some(t), Some(p)) => self
                .store
                .stage_answers(st.id())
                .await?
                .into_iter()
                .filter(|a| a.team_id == t && &a.part_key == p)
                .collect(),
            _ => Vec::new(),
        };
        let question = match (stage.team_id, &stage.part_key, stage.question_seq) {
            (Some(t), Some(p), Some(seq)) => self.set_question(&st, t, p, seq).await?.map(|q| ControlQuestion {
                seq,
                of: st.knowledge(p).map(|(n, _, _)| i64::from(n)).unwrap_or(0),
                question_id: q.id,
                stem: q.question.stem.clone(),
                options: q.question.options.clone(),
                correct: q.question.correct,
                explanation: q.question.explanation.clone(),
                answer: answers.iter().find(|a| a.seq == seq).cloned(),
            }),
            _ => None,
        };
        let screen = self.build_screen(&st, &stage).await?;
        Ok(StageControl { stage, teams, parts, question, answers, screen })
    }
}

/// The team and part on stage.
fn on_stage(row: &StageRow) -> Result<(i64, String)> {
    match (row.team_id, &row.part_key) {
        (Some(t), Some(p)) => Ok((t, p.clone())),
        _ => Err(EngineError::Conflict("Chưa có đội nào trên sân khấu.".into())),
    }
}

/// The sets of a part as stored: set number → question ids in order (to compare with a replay of
/// the audit entry).
pub fn stored_sets(rows: &[SetQuestionRow], part_key: &str) -> BTreeMap<i64, Vec<i64>> {
    let mut sets: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.part_key == part_key) {
        sets.entry(r.set_no).or_default().push(r.question_id);
    }
    sets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_reproducible_and_disjoint_when_the_bank_allows() {
        let bank: Vec<i64> = (1..=30).collect();
        let (a, repeats) = question_sets(7, &bank, 3, 10).unwrap();
        assert!(!repeats);
        let mut reversed = bank.clone();
        reversed.reverse();
        assert_eq!(question_sets(7, &reversed, 3, 10).unwrap().0, a, "the bank's order does not matter");
        let all: BTreeSet<i64> = a.iter().flatten().copied().collect();
        assert_eq!(all.len(), 30);
        let (b, repeats) = question_sets(7, &bank, 4, 10).unwrap();
        assert!(repeats, "40 places from 30 questions");
        assert!(b.iter().all(|s| s.iter().collect::<BTreeSet<_>>().len() == 10), "never twice in a set");
        assert!(question_sets(7, &bank[..5], 1, 10).unwrap_err().contains("5 câu hỏi"));
    }

    #[test]
    fn keys_compare_whole() {
        assert!(same_key("abc", "abc"));
        assert!(!same_key("abc", "abd"));
        assert!(!same_key("abc", "ab"));
    }
}
