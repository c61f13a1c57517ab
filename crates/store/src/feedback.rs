//! What feedback on questions stores: participants' reports on a question of one of their attempts
//! (góp ý, báo lỗi câu hỏi) with the secretariat's reply, and the questions the committee voided
//! (hủy câu hỏi) — written together with their audit entry and the scores they change, in one
//! transaction, so that no void ever stands without its record or its re-scoring.

use serde::Serialize;

/// A participant's report on one question of one attempt, with the secretariat's answer.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub contest_id: i64,
    pub attempt_id: i64,
    pub question_id: i64,
    /// The question's place in the attempt (0-based).
    pub position: i64,
    pub message: String,
    pub created_at: i64,
    pub reply: Option<String>,
    pub replied_by: Option<String>,
    pub replied_at: Option<i64>,
    pub closed_by: Option<String>,
    pub closed_at: Option<i64>,
}

/// A report to record.
#[derive(Clone, Debug)]
pub struct NewReport<'a> {
    pub contest_id: i64,
    /// The person whose attempt it is: at most `per_window` of their reports may be newer than
    /// `window_start` (ms), counted in the same transaction as the insert.
    pub participant_id: i64,
    pub window_start: i64,
    pub per_window: i64,
    pub attempt_id: i64,
    pub question_id: i64,
    pub position: i64,
    pub message: &'a str,
    pub created_at: i64,
}

/// Which reports of a contest to read: newest first, open ones before closed ones.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportFilter {
    pub question_id: Option<i64>,
    pub attempt_id: Option<i64>,
    pub open_only: bool,
    pub limit: i64,
}

/// A question version voided by the committee.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct VoidRow {
    pub id: i64,
    pub contest_id: i64,
    pub question_id: i64,
    /// `award` or `drop` (`cuocthi_domain::attempt::Void`).
    pub mode: String,
    pub reason: String,
    /// The report that led to it, if any.
    pub report_id: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    /// The audit entry recorded with it.
    pub audit_id: i64,
}

/// A void to record.
#[derive(Clone, Debug)]
pub struct NewVoid<'a> {
    pub contest_id: i64,
    pub question_id: i64,
    pub mode: &'a str,
    pub reason: &'a str,
    pub report_id: Option<i64>,
    pub created_by: &'a str,
    pub created_at: i64,
}

/// An attempt's score derived again after a void: a submitted attempt gets its correct answers
/// and its count of scored questions; an open one only the count (it is scored at submission).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rescore {
    pub attempt_id: i64,
    /// `Some` for a submitted attempt.
    pub correct: Option<i64>,
    pub questions: i64,
}
