//! What the in-person event (hội thi trực tiếp) stores: the units' teams (đội thi) and their
//! members, which parts are open for scoring, the judges' score sheets (phiếu chấm), the
//! knowledge round's answers, the secretariat's adjustments and the committee's tie lots. The
//! event's rules live in the contest's settings; its ranking is computed from these rows.

use serde::Serialize;

/// A team of one unit of the contest.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct TeamRow {
    pub id: i64,
    pub contest_id: i64,
    pub unit_code: String,
    pub name: String,
    /// The place on stage (1 first), once drawn.
    pub performance_order: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A member of a team, in the team's list order (`seq`, 1 first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MemberRow {
    pub team_id: i64,
    pub seq: i64,
    pub name: String,
    /// Chức vụ, đơn vị công tác.
    pub position: String,
    /// 1 for the captain (đội trưởng).
    pub captain: i64,
}

/// A team to register, or to replace with its members.
#[derive(Clone, Debug)]
pub struct NewTeam<'a> {
    pub contest_id: i64,
    pub unit_code: &'a str,
    pub name: &'a str,
    /// `(name, position, captain)`, in list order.
    pub members: &'a [(String, String, bool)],
    pub at: i64,
}

/// Whether judges may score a part now.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PartStateRow {
    pub contest_id: i64,
    pub part_key: String,
    pub is_open: i64,
    pub changed_by: String,
    pub changed_at: i64,
}

/// A judge's sheet for one team and one judged part.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct SheetRow {
    pub id: i64,
    pub contest_id: i64,
    pub judge_id: i64,
    pub team_id: i64,
    pub part_key: String,
    /// JSON: criterion key → points in hundredths.
    pub scores: String,
    /// `submitted` (locked, counted) or `reopened` (waiting for the judge's correction).
    pub status: String,
    /// 1: a paper sheet typed in by the secretariat on the judge's behalf.
    pub paper: i64,
    pub entered_by: String,
    pub submitted_at: i64,
    pub reopened_by: Option<String>,
    pub reopened_at: Option<i64>,
    pub reopen_reason: Option<String>,
}

/// A sheet to submit.
#[derive(Clone, Debug)]
pub struct NewSheet<'a> {
    pub contest_id: i64,
    pub judge_id: i64,
    pub team_id: i64,
    pub part_key: &'a str,
    pub scores: &'a str,
    pub paper: bool,
    pub entered_by: &'a str,
    pub at: i64,
}

/// A team's correct answers in a knowledge part, and who entered them.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AnswerRow {
    pub contest_id: i64,
    pub team_id: i64,
    pub part_key: String,
    pub correct: i64,
    pub entered_by: String,
    pub entered_at: i64,
}

/// A bonus or penalty (hundredths of a point) with its reason.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AdjustmentRow {
    pub id: i64,
    pub contest_id: i64,
    pub team_id: i64,
    pub points: i64,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
}

/// The committee's lot for a team the rules leave tied (1 first), and the seed it came from.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct TieLotRow {
    pub team_id: i64,
    pub contest_id: i64,
    pub lot_order: i64,
    pub seed: String,
    pub drawn_by: String,
    pub drawn_at: i64,
}
