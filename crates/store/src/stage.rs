//! What the in-person event's stage (sân khấu) stores: the knowledge round's question sets (bộ
//! câu hỏi), the set each team drew by lot (bốc thăm), every answer given on stage, and the one
//! row per contest that says what the hall's screen shows now, with a version that grows with
//! every change so that every app node can notice it.

use serde::Serialize;

/// One question of one set of a knowledge part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SetQuestionRow {
    pub contest_id: i64,
    pub part_key: String,
    /// The set's number, the number written on its lot (1 first).
    pub set_no: i64,
    /// The question's place in the set (1 first).
    pub seq: i64,
    pub question_id: i64,
    /// The seed the sets were made from (decimal, as the audit entry writes it).
    pub seed: String,
    pub created_by: String,
    pub created_at: i64,
}

/// The set a team drew in a knowledge part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SetLotRow {
    pub contest_id: i64,
    pub part_key: String,
    pub team_id: i64,
    pub set_no: i64,
    pub seed: String,
    pub drawn_by: String,
    pub drawn_at: i64,
}

/// A team's answer to one question of its set, as entered on stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StageAnswerRow {
    pub contest_id: i64,
    pub team_id: i64,
    pub part_key: String,
    pub seq: i64,
    pub question_id: i64,
    /// The option chosen on the team's tablet (original index); none when the MC marked it.
    pub chosen: Option<i64>,
    /// 1 when correct.
    pub correct: i64,
    /// `mc` or `tablet`.
    pub source: String,
    pub entered_by: String,
    pub entered_at: i64,
}

/// What the stage shows now; `version` grows by one with every change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StageRow {
    pub contest_id: i64,
    pub version: i64,
    /// `idle`, `team`, `lot`, `question`, `answered`, `revealed` or `scoreboard`.
    pub step: String,
    pub team_id: Option<i64>,
    pub part_key: Option<String>,
    pub question_seq: Option<i64>,
    pub deadline_at: Option<i64>,
    pub revealed: i64,
    /// `mc` or `tablet`.
    pub answering: String,
    /// SHA-256 (hex) of the key in the team tablet's address.
    #[serde(skip)]
    pub tablet_key: String,
    pub frozen: i64,
    pub frozen_at: Option<i64>,
    /// JSON: the public standings at the freeze instant.
    pub frozen_board: Option<String>,
    pub updated_by: String,
    pub updated_at: i64,
}
