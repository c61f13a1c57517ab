//! What the hall's screen and the public see of the stage: [`ScreenState`] holds no correct
//! option before the reveal ([`Revealed`] is only built then), and the scoreboard [`Board`] shows
//! the live standings or those of the freeze instant.

use std::collections::BTreeSet;

use cuocthi_domain::vntime;
use cuocthi_store::StageRow;
use serde::{Deserialize, Serialize};

use super::{Staged, Step};
use crate::{Engine, EngineError, Result};

/// A team as the screen names it.
#[derive(Clone, Debug, Serialize)]
pub struct ScreenTeam {
    pub id: i64,
    pub name: String,
    pub order: Option<i64>,
}

/// The question on screen, without its key.
#[derive(Clone, Debug, Serialize)]
pub struct ScreenQuestion {
    /// Its place in the team's set (1 first), of `of`.
    pub seq: i64,
    pub of: i64,
    pub stem: String,
    pub options: Vec<String>,
    pub seconds: u32,
    /// When the countdown ends (ms since the epoch, UTC).
    pub deadline_ms: Option<i64>,
    /// The answer is in (whether it is right is not said before the reveal).
    pub answered: bool,
}

/// What the reveal shows: only built once the control page revealed the question.
#[derive(Clone, Debug, Serialize)]
pub struct Revealed {
    /// The correct option's index and letter.
    pub correct: u8,
    pub letter: String,
    pub text: String,
    /// The team's answer was right (false also when it gave none).
    pub team_correct: bool,
    /// Points the question gave the team (`10` or `0`).
    pub points: String,
    pub explanation: Option<String>,
}

/// A line of the public scoreboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRow {
    pub rank: u32,
    pub team: String,
    pub unit_code: String,
    /// Each part's score in the event's order, empty while nothing is entered.
    pub parts: Vec<String>,
    pub total: String,
}

/// The public scoreboard (bảng điểm): live, or as it stood at the freeze.
#[derive(Clone, Debug, Serialize)]
pub struct Board {
    pub parts: Vec<String>,
    pub rows: Vec<BoardRow>,
    pub frozen: bool,
    /// When it was frozen, Vietnam time (`10:00 20/03/2023`).
    pub frozen_at: Option<String>,
}

/// What the hall's screen and the public may see of the stage: never a key before the reveal.
#[derive(Clone, Debug, Serialize)]
pub struct ScreenState {
    pub version: i64,
    pub contest: String,
    pub event: String,
    pub step: Step,
    pub team: Option<ScreenTeam>,
    pub part: Option<String>,
    /// The team's drawn set, and how many sets the lot was among.
    pub set_no: Option<i64>,
    pub sets: i64,
    pub question: Option<ScreenQuestion>,
    pub revealed: Option<Revealed>,
    pub board: Board,
}

/// The letter of option `i` (A first), as the screen writes it.
fn letter(i: usize) -> String {
    ["A", "B", "C", "D", "E", "F"].get(i).map_or_else(|| (i + 1).to_string(), |l| (*l).to_string())
}

impl Engine {
    /// What the hall's screen shows now (public; no key before the reveal).
    pub async fn screen_state(&self, slug: &str) -> Result<ScreenState> {
        let st = self.staged(slug).await?;
        let row = self.stage_row(&st).await?;
        self.build_screen(&st, &row).await
    }

    /// The public scoreboard: live, or as it stood when the organisers froze it.
    pub async fn scoreboard(&self, slug: &str) -> Result<Board> {
        let st = self.staged(slug).await?;
        let row = self.stage_row(&st).await?;
        self.board(&st, &row).await
    }

    pub(super) async fn live_board(&self, st: &Staged) -> Result<Board> {
        let decimals = st.spec.aggregation.decimals;
        let rows = self
            .ranking_of(st.id(), &st.spec)
            .await?
            .into_iter()
            .map(|s| BoardRow {
                rank: s.result.rank,
                team: s.name,
                unit_code: s.unit_code,
                parts: st
                    .spec
                    .parts
                    .iter()
                    .map(|p| {
                        s.result.parts.get(&p.key).copied().flatten().map(|e| e.display(decimals)).unwrap_or_default()
                    })
                    .collect(),
                total: s.result.total.display(decimals),
            })
            .collect();
        let parts = st.spec.parts.iter().map(|p| p.name.clone()).collect();
        Ok(Board { parts, rows, frozen: false, frozen_at: None })
    }

    async fn board(&self, st: &Staged, row: &StageRow) -> Result<Board> {
        let (Some(at), Some(json), true) = (row.frozen_at, row.frozen_board.as_deref(), row.frozen != 0) else {
            return self.live_board(st).await;
        };
        let rows: Vec<BoardRow> = serde_json::from_str(json).map_err(|e| EngineError::Internal(Box::new(e)))?;
        let parts = st.spec.parts.iter().map(|p| p.name.clone()).collect();
        let frozen_at = chrono::DateTime::from_timestamp_millis(at).map(vntime::format);
        Ok(Board { parts, rows, frozen: true, frozen_at })
    }

    pub(super) async fn build_screen(&self, st: &Staged, row: &StageRow) -> Result<ScreenState> {
        let step = Step::parse(&row.step).unwrap_or(Step::Idle);
        let teams = self.store.event_teams(st.id()).await?;
        let team = row.team_id.and_then(|id| teams.iter().find(|t| t.id == id));
        let part = row.part_key.as_deref().and_then(|k| st.spec.part(k));
        let mut state = ScreenState {
            version: row.version,
            contest: st.contest.stored.contest.title.clone(),
            event: st.spec.name.clone(),
            step,
            team: team.map(|t| ScreenTeam { id: t.id, name: t.name.clone(), order: t.performance_order }),
            part: part.map(|p| p.name.clone()),
            set_no: None,
            sets: 0,
            question: None,
            revealed: None,
            board: self.board(st, row).await?,
        };
        let (Some(team), Some(part)) = (team, part) else { return Ok(state) };
        let Ok((questions, points, seconds)) = st.knowledge(&part.key) else { return Ok(state) };
        let made: BTreeSet<i64> = self
            .store
            .question_sets(st.id())
            .await?
            .into_iter()
            .filter(|r| r.part_key == part.key)
            .map(|r| r.set_no)
            .collect();
        state.sets = i64::try_from(made.len()).unwrap_or(0);
        state.set_no = self.lot_of(st, team.id, &part.key).await?.map(|l| l.set_no);
        let Some(seq) = row.question_seq.filter(|_| matches!(step, Step::Question | Step::Answered | Step::Revealed))
        else {
            return Ok(state);
        };
        let Some(q) = self.set_question(st, team.id, &part.key, seq).await? else { return Ok(state) };
        let answer = self
            .store
            .stage_answers(st.id())
            .await?
            .into_iter()
            .find(|a| a.team_id == team.id && a.part_key == part.key && a.seq == seq);
        state.question = Some(ScreenQuestion {
            seq,
            of: i64::from(questions),
            stem: q.question.stem.clone(),
            options: q.question.options.clone(),
            seconds,
            deadline_ms: row.deadline_at,
            answered: answer.is_some(),
        });
        if row.revealed != 0 {
            let right = answer.is_some_and(|a| a.correct != 0);
            let correct = usize::from(q.question.correct);
            state.revealed = Some(Revealed {
                correct: q.question.correct,
                letter: letter(correct),
                text: q.question.options.get(correct).cloned().unwrap_or_default(),
                team_correct: right,
                points: if right { points.exact().display(2) } else { "0".into() },
                explanation: q.question.explanation.clone(),
            });
        }
        Ok(state)
    }
}
