//! What the review and approval of results store: where attempts came from, disqualifications,
//! and the ranking versions the committee approves, each with every row of its ranking.

use serde::Serialize;

/// Where an attempt was started from, as keyed tags (never the raw address or cookie), so a judge
/// sees that several people shared one device without the store holding their addresses.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AttemptOrigin {
    pub attempt_id: i64,
    pub client_tag: Option<String>,
    pub device_tag: Option<String>,
}

/// A disqualification (loại) of a person (every attempt in the contest) or of one attempt.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DisqualificationRow {
    pub id: i64,
    pub contest_id: i64,
    pub participant_id: i64,
    /// `None`: the person; otherwise that attempt only.
    pub attempt_id: Option<i64>,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
    pub lifted_at: Option<i64>,
    pub lifted_by: Option<String>,
    pub lift_reason: Option<String>,
}

/// A disqualification to record.
#[derive(Clone, Debug)]
pub struct NewDisqualification<'a> {
    pub contest_id: i64,
    pub participant_id: i64,
    pub attempt_id: Option<i64>,
    pub reason: &'a str,
    pub created_by: &'a str,
    pub created_at: i64,
}

/// A ranking version (phiên bản bảng xếp hạng): approved, and so locked, at `approved_at`;
/// shown to the public from `public_at`.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct RankingVersionRow {
    pub id: i64,
    pub contest_id: i64,
    pub round_id: Option<i64>,
    pub version: i64,
    #[sqlx(rename = "published_at")]
    pub approved_at: i64,
    pub approved_by: Option<String>,
    pub reason: Option<String>,
    pub public_at: Option<i64>,
}

/// One person's row in an approved ranking, kept so that they can look up their own place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StandingRecord {
    pub participant_id: i64,
    pub place: i64,
    pub correct: i64,
    pub time_taken_ms: i64,
    pub distance: Option<i64>,
    pub prize: Option<String>,
}

/// A ranking version to approve.
#[derive(Clone, Debug)]
pub struct NewRankingVersion<'a> {
    pub contest_id: i64,
    pub round_id: Option<i64>,
    /// The published document (JSON).
    pub body: &'a str,
    pub approved_at: i64,
    pub approved_by: Option<&'a str>,
    pub reason: Option<&'a str>,
    /// Shown to the public at once (the CLI's publish), or only when an organiser says so.
    pub public: bool,
    pub standings: &'a [StandingRecord],
}

/// A submitted attempt as its seal covers it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SubmissionRecord {
    pub id: i64,
    pub participant_id: i64,
    pub answers: String,
    pub prediction: Option<i64>,
    pub correct: Option<i64>,
    pub time_taken_ms: Option<i64>,
    pub submitted_at: Option<i64>,
}

impl SubmissionRecord {
    pub fn as_submission(&self) -> cuocthi_domain::audit::Submission<'_> {
        cuocthi_domain::audit::Submission {
            attempt_id: self.id,
            participant_id: self.participant_id,
            answers: &self.answers,
            prediction: self.prediction,
            correct: self.correct,
            time_taken_ms: self.time_taken_ms,
            submitted_at_ms: self.submitted_at,
        }
    }
}
