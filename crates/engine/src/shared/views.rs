//! What the engine shows: serialisable views, free of anything a participant must not see (the
//! key is only in [`ResultView::key`], filled once the round has closed and the rules allow it).

use chrono::{DateTime, Utc};
use cuocthi_store::{RoundPhase, RoundRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A contest in a list.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ContestSummary {
    pub slug: String,
    pub title: String,
    pub organiser: String,
    pub summary: String,
    /// `upcoming`, `open` or `closed`: the state of the contest's rounds as a whole.
    pub phase: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Vietnam time, as shown on pages: `10:00 10/10/2024`.
    pub opens_at_vn: String,
    pub closes_at_vn: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CodeName {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PrizeView {
    pub name: String,
    pub count: u32,
    pub amount_vnd: i64,
}

/// A round (đợt thi) with its rules and live figures.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RoundView {
    pub id: i64,
    pub number: i64,
    pub name: String,
    pub phase: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub opens_at_vn: String,
    pub closes_at_vn: String,
    pub questions_per_attempt: u32,
    pub time_limit_minutes: u32,
    pub attempts_per_person: u32,
    pub tiebreak_prompt: Option<String>,
    pub prizes: Vec<PrizeView>,
    /// Số người tham gia.
    pub people: i64,
    /// Số lượt tham gia.
    pub attempts: i64,
    /// The real tiebreak figure, once frozen after the close.
    pub real_figure: Option<i64>,
}

/// A contest's public page data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ContestView {
    pub slug: String,
    /// How long personal data is kept, when the organiser has said (the consent text names it).
    pub data_retention: Option<String>,
    pub title: String,
    pub organiser: String,
    pub summary: String,
    pub audience: String,
    /// Thể lệ, Markdown.
    pub rules: String,
    /// Identity fields asked at registration: full_name, date_of_birth, cccd, phone, email, unit, locality, group.
    pub required_fields: Vec<String>,
    /// The field that identifies a returning person: cccd, phone or email.
    pub identity_key: String,
    pub min_age: Option<u32>,
    pub groups: Vec<CodeName>,
    pub units: Vec<UnitView>,
    /// `2025` (provinces and communes) or `2020` (provinces, districts, communes).
    pub locality_scheme: String,
    /// The province (statistics office code) whose localities registration offers, if set.
    pub province_code: Option<String>,
    pub rounds: Vec<RoundView>,
}

/// A participant as they see themselves: personal numbers masked.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ParticipantView {
    pub id: i64,
    pub full_name: Option<String>,
    pub cccd_masked: Option<String>,
    pub phone_masked: Option<String>,
    pub unit: Option<String>,
    pub locality: Option<String>,
    pub group: Option<String>,
    /// Every required field is filled: a condition for prizes.
    pub complete: bool,
}

/// The result of registering or identifying: a bearer token for the participant API.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// True when this call created the registration, false when it recognised a returning person.
    pub created: bool,
    pub participant: ParticipantView,
}

/// One question of an attempt, with its options in the order this attempt shows them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct QuestionView {
    pub position: usize,
    pub topic: String,
    pub stem: String,
    pub options: Vec<String>,
    /// The saved answer, as an index into `options`.
    pub answer: Option<u8>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub round_id: i64,
    /// 1 for the first attempt in the round, 2 for the second…
    pub seq: i64,
    /// `open` or `submitted`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    /// The server's deadline (grace included); the countdown runs on `deadline_at − server_now`.
    pub deadline_at: DateTime<Utc>,
    pub server_now: DateTime<Utc>,
    /// Until `deadline_at`: what the server still accepts.
    pub remaining_ms: i64,
    /// The official end of the attempt (the deadline without the grace for answers in flight):
    /// what the countdown shows.
    pub ends_at: DateTime<Utc>,
    pub remaining_to_end_ms: i64,
    pub answered: usize,
    pub questions: Vec<QuestionView>,
    pub tiebreak_prompt: Option<String>,
    pub prediction: Option<i64>,
    /// True when a start found this person's open attempt and handed it back: a client that
    /// asked for a new attempt learns it is continuing one (answers and time already spent).
    #[serde(default)]
    pub resumed: bool,
}

/// A question after the round: the key and the explanation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    pub position: usize,
    pub stem: String,
    pub options: Vec<String>,
    pub correct: u8,
    pub answer: Option<u8>,
    pub explanation: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultView {
    pub attempt_id: i64,
    pub round_id: i64,
    pub seq: i64,
    pub correct: u32,
    pub questions: u32,
    pub time_taken_ms: i64,
    /// `29 phút 41 giây`.
    pub time_taken_text: String,
    pub submitted_at: DateTime<Utc>,
    /// Submitted by the server at the deadline.
    pub auto_submitted: bool,
    pub prediction: Option<i64>,
    pub attempts_used: u32,
    pub attempts_left: u32,
    /// The key with explanations, once the round has closed and if the contest shows it.
    pub key: Option<Vec<KeyView>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptSummary {
    pub id: i64,
    pub round_id: i64,
    pub seq: i64,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub correct: Option<u32>,
    pub questions: u32,
    pub time_taken_ms: Option<i64>,
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MeView {
    pub participant: ParticipantView,
    pub contest_slug: String,
    pub attempts: Vec<AttemptSummary>,
}

/// A row of a published ranking: never a CCCD, phone or date of birth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RankingRow {
    /// The person's stable public id in this contest: a keyed tag (never the database id or a
    /// personal number), the same in every round and version, and in `/api/v1/me/places`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_id: Option<String>,
    pub rank: u32,
    pub name: String,
    pub unit: Option<String>,
    pub locality: Option<String>,
    pub correct: u32,
    pub time_taken_ms: i64,
    pub prediction: Option<i64>,
    pub distance: Option<u64>,
    pub prize: Option<String>,
    pub amount_vnd: i64,
    /// When the counted attempt was submitted (ms since the epoch): shown where the rules rank by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at_ms: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RankingView {
    pub contest_slug: String,
    /// `None` for the overall ranking across rounds.
    pub round_id: Option<i64>,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
    pub real_figure: Option<i64>,
    pub participants: usize,
    pub rows: Vec<RankingRow>,
    /// The audit log as it stood when this ranking was published: its last entry and that
    /// entry's hash (the chain's digest), so anyone can check nothing before it changed since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_last_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_digest: Option<String>,
    /// The ranking's version (1, 2…): each approval after the first records why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The committee meeting that approved this version (its biên bản), when entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_reference: Option<String>,
    /// The collective prizes (giải tập thể), approved and locked with this version: carried by the
    /// version that closes the contest (the overall ranking, or the last round's when there is
    /// none); empty in the others and in versions approved before collective results were.
    #[serde(default)]
    pub collective: Vec<CollectiveView>,
    /// The columns that decided the order, in the order the rules compare them (`correct`,
    /// `prediction`, `time`, `submitted`): pages show them so. Empty in versions approved before
    /// they were recorded (the default order then).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The collective prize structure (cơ cấu giải tập thể) this version applied, with the
    /// committee's reason when it differs from the definition's: `results verify` recomputes the
    /// collective results with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collective_structure: Option<CollectiveStructure>,
    /// The in-person event's team ranking and team prizes (a version of scope `event`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventResultsView>,
}

/// A prize level as a version applied it, beside what the definition states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppliedTier {
    pub name: String,
    pub count: u32,
    pub amount_vnd: i64,
    pub defined_count: u32,
    pub defined_amount_vnd: i64,
}

/// A collective prize's levels as applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppliedPrize {
    pub prize: String,
    pub tiers: Vec<AppliedTier>,
}

/// The collective prize structure of a version and, when the committee adjusted it, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CollectiveStructure {
    pub prizes: Vec<AppliedPrize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A part of the in-person event as its results show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventPartView {
    pub key: String,
    pub name: String,
    pub weight_percent: u32,
}

/// A team's line of the in-person event's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TeamRankingRow {
    pub rank: u32,
    pub team_id: i64,
    pub team: String,
    pub unit_code: String,
    pub unit: String,
    pub members: Vec<String>,
    /// Each part's score before weighting, in the parts' order (`None`: nothing entered).
    pub parts: Vec<Option<String>>,
    pub adjustments: String,
    pub total: String,
    /// The committee's lot among teams the rules left tied (1 first).
    pub lot: Option<u32>,
    /// Still tied after every rule and lot.
    pub needs_lot: bool,
    pub prize: Option<String>,
    pub amount_vnd: i64,
}

/// The in-person event's ranking and team prizes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EventResultsView {
    pub name: String,
    pub parts: Vec<EventPartView>,
    /// The parts compared, in order, when totals are equal (their names), then the lot.
    pub tie_breaks: Vec<String>,
    pub teams: Vec<TeamRankingRow>,
    pub prizes: Vec<AppliedTier>,
}

/// A collective prize with every ranked unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CollectiveView {
    pub prize: String,
    pub units: Vec<UnitRankingRow>,
}

/// A unit's place in a collective ranking: units with equal values share a place, as the
/// definition's `tie_break` says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitRankingRow {
    pub rank: u32,
    pub unit_code: String,
    pub unit: String,
    /// What the prize ranks by: participants, the rate in per mille, or the combined score.
    pub score: u64,
    pub participants: u64,
    pub rate_per_mille: Option<u64>,
    pub prize: Option<String>,
    pub amount_vnd: i64,
}

pub(crate) fn phase_name(p: RoundPhase) -> &'static str {
    match p {
        RoundPhase::Upcoming => "upcoming",
        RoundPhase::Open => "open",
        RoundPhase::Closed => "closed",
    }
}

pub(crate) fn contest_phase(rounds: &[RoundRow], now: DateTime<Utc>) -> RoundPhase {
    if rounds.iter().any(|r| r.phase(now) == RoundPhase::Open) {
        RoundPhase::Open
    } else if rounds.iter().any(|r| r.phase(now) == RoundPhase::Upcoming) {
        RoundPhase::Upcoming
    } else {
        RoundPhase::Closed
    }
}
