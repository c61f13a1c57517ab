//! What the store hands back: domain values plus the ids and instants the database adds, and the
//! raw rows (`Raw*`) that sqlx reads on either backend.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cuocthi_domain::attempt::Answers;
use cuocthi_domain::contest::{ContestSettings, ContestSpec, RegisteredPerson, RoundRules, RoundSpec, UnitSpec};
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_domain::identity::{Cccd, Identity, Phone};
use cuocthi_domain::question::Question;
use serde::Serialize;

use crate::{Result, StoreError};

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A flag as stored: 0 or 1.
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

pub(crate) fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A length or position held in memory, as stored (`BIGINT`). A slice holds at most `isize::MAX`
/// items, so a real one always fits; a position beyond that (from input) becomes one beyond every
/// answer, which no statement matches.
pub(crate) fn bigint(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A count read back as `u32` (correct answers, questions, attempts used): a stored value out of
/// that range is corrupt data, not a number to wrap around.
pub(crate) fn count(n: i64) -> Result<u32> {
    u32::try_from(n).map_err(|e| StoreError::Corrupt(Box::new(e)))
}

/// A draw's seed as stored: `BIGINT` is signed, so the seed's 64 bits are kept as they are (one
/// above `i64::MAX` reads as negative) and [`AttemptRow`] takes them back unchanged.
pub(crate) fn stored_seed(seed: u64) -> i64 {
    seed.cast_signed()
}

#[derive(Clone, Debug, Serialize)]
pub struct ContestRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub organiser: String,
    pub summary: String,
    pub audience: String,
    pub rules: String,
    pub settings: ContestSettings,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawContest {
    id: i64,
    slug: String,
    title: String,
    organiser: String,
    summary: String,
    audience: String,
    rules: String,
    settings: String,
    created_at: i64,
}

impl TryFrom<RawContest> for ContestRow {
    type Error = StoreError;
    fn try_from(r: RawContest) -> Result<Self> {
        Ok(ContestRow {
            id: r.id,
            slug: r.slug,
            title: r.title,
            organiser: r.organiser,
            summary: r.summary,
            audience: r.audience,
            rules: r.rules,
            settings: serde_json::from_str(&r.settings)?,
            created_at: at(r.created_at),
        })
    }
}

/// A round (đợt thi) as stored, with the tiebreak figure once frozen at the close.
#[derive(Clone, Debug, Serialize)]
pub struct RoundRow {
    pub id: i64,
    pub contest_id: i64,
    pub number: i64,
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub rules: RoundRules,
    pub real_figure: Option<i64>,
    pub figure_frozen_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawRound {
    id: i64,
    contest_id: i64,
    number: i64,
    name: String,
    opens_at: i64,
    closes_at: i64,
    rules: String,
    real_figure: Option<i64>,
    figure_frozen_at: Option<i64>,
}

impl TryFrom<RawRound> for RoundRow {
    type Error = StoreError;
    fn try_from(r: RawRound) -> Result<Self> {
        Ok(RoundRow {
            id: r.id,
            contest_id: r.contest_id,
            number: r.number,
            name: r.name,
            opens_at: at(r.opens_at),
            closes_at: at(r.closes_at),
            rules: serde_json::from_str(&r.rules)?,
            real_figure: r.real_figure,
            figure_frozen_at: r.figure_frozen_at.map(at),
        })
    }
}

/// Where a round stands at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundPhase {
    Upcoming,
    Open,
    Closed,
}

impl RoundRow {
    pub fn phase(&self, now: DateTime<Utc>) -> RoundPhase {
        if now < self.opens_at {
            RoundPhase::Upcoming
        } else if now < self.closes_at {
            RoundPhase::Open
        } else {
            RoundPhase::Closed
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawUnit {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub headcount: Option<i64>,
}

impl From<RawUnit> for UnitSpec {
    fn from(u: RawUnit) -> Self {
        UnitSpec {
            code: u.code,
            name: u.name,
            parent: u.parent_code,
            headcount: u.headcount.and_then(|h| u32::try_from(h).ok()),
        }
    }
}

/// A contest with everything that belongs to it.
#[derive(Clone, Debug)]
pub struct StoredContest {
    pub contest: ContestRow,
    pub rounds: Vec<RoundRow>,
    pub units: Vec<UnitSpec>,
    pub registered: Vec<RegisteredPerson>,
}

impl StoredContest {
    pub fn spec(&self) -> ContestSpec {
        let c = &self.contest;
        ContestSpec {
            slug: c.slug.clone(),
            title: c.title.clone(),
            organiser: c.organiser.clone(),
            summary: c.summary.clone(),
            audience: c.audience.clone(),
            rules: c.rules.clone(),
            settings: c.settings.clone(),
            units: self.units.clone(),
            registered: self.registered.clone(),
            rounds: self
                .rounds
                .iter()
                .map(|r| RoundSpec {
                    name: r.name.clone(),
                    opens_at: r.opens_at,
                    closes_at: r.closes_at,
                    rules: r.rules.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StoredQuestion {
    pub id: i64,
    pub contest_id: i64,
    /// The id of the first version: what stays the same across edits.
    pub lineage: i64,
    pub version: i64,
    pub status: String,
    pub question: Question,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawQuestion {
    id: i64,
    contest_id: i64,
    lineage: Option<i64>,
    version: i64,
    topic: String,
    stem: String,
    options: String,
    correct: i64,
    explanation: Option<String>,
    status: String,
}

impl TryFrom<RawQuestion> for StoredQuestion {
    type Error = StoreError;
    fn try_from(r: RawQuestion) -> Result<Self> {
        Ok(StoredQuestion {
            id: r.id,
            contest_id: r.contest_id,
            lineage: r.lineage.unwrap_or(r.id),
            version: r.version,
            status: r.status,
            question: Question {
                topic: r.topic,
                stem: r.stem,
                options: serde_json::from_str(&r.options)?,
                correct: u8::try_from(r.correct).map_err(|e| StoreError::Corrupt(Box::new(e)))?,
                explanation: r.explanation,
            },
        })
    }
}

/// A participant (người dự thi) of one contest.
#[derive(Clone, Debug, Serialize)]
pub struct ParticipantRow {
    pub id: i64,
    pub contest_id: i64,
    /// The value of the contest's identity key (CCCD, phone or email).
    pub person_key: String,
    pub identity: Identity,
    pub complete: bool,
    pub consent_version: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawParticipant {
    pub(crate) id: i64,
    pub(crate) contest_id: i64,
    pub(crate) person_key: String,
    pub(crate) full_name: Option<String>,
    pub(crate) date_of_birth: Option<String>,
    pub(crate) cccd: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) unit_code: Option<String>,
    pub(crate) locality_code: Option<String>,
    pub(crate) group_code: Option<String>,
    pub(crate) complete: i64,
    pub(crate) consent_version: Option<String>,
    pub(crate) created_at: i64,
}

impl From<RawParticipant> for ParticipantRow {
    fn from(r: RawParticipant) -> Self {
        ParticipantRow {
            id: r.id,
            contest_id: r.contest_id,
            person_key: r.person_key,
            identity: Identity {
                full_name: r.full_name,
                date_of_birth: r.date_of_birth.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                // Stored values were checked on the way in; one that no longer parses (a province
                // code list change) is kept out rather than failing the whole read.
                cccd: r.cccd.and_then(|c| Cccd::parse(&c).ok()),
                phone: r.phone.and_then(|p| Phone::parse(&p).ok()),
                email: r.email,
                unit: r.unit_code,
                locality: r.locality_code,
                group: r.group_code,
            },
            complete: r.complete != 0,
            consent_version: r.consent_version,
            created_at: at(r.created_at),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Open,
    Submitted,
}

/// An attempt (lượt thi) as stored.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptRow {
    pub id: i64,
    pub round_id: i64,
    pub participant_id: i64,
    /// 1 for a person's first attempt in the round, 2 for the second…
    pub seq: i64,
    /// The seed the draw was made from, so a judge can replay it.
    pub seed: u64,
    pub draw: Vec<DrawnQuestion>,
    pub answers: Answers,
    pub prediction: Option<i64>,
    pub status: AttemptStatus,
    pub started_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub auto_submitted: bool,
    pub correct: Option<u32>,
    pub time_taken_ms: Option<i64>,
}

/// An attempt as its submission and its result page read it, in one statement: the row, how many
/// attempts its person has started in its round (what the result shows as used and left), and the
/// voids of its contest at that moment (question id, mode: `award` or `drop`), which the score and
/// the result count.
#[derive(Clone, Debug)]
pub struct AttemptInContext {
    pub row: AttemptRow,
    pub used: u32,
    pub voids: Vec<(i64, String)>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct RawAttempt {
    pub(crate) id: i64,
    pub(crate) round_id: i64,
    pub(crate) participant_id: i64,
    pub(crate) seq: i64,
    pub(crate) seed: i64,
    pub(crate) draw: String,
    pub(crate) answers: String,
    pub(crate) prediction: Option<i64>,
    pub(crate) status: String,
    pub(crate) started_at: i64,
    pub(crate) deadline_at: i64,
    pub(crate) submitted_at: Option<i64>,
    pub(crate) auto_submitted: i64,
    pub(crate) correct: Option<i64>,
    pub(crate) time_taken_ms: Option<i64>,
}

/// `attempts.status` of an attempt not yet submitted, bound as a parameter wherever PostgreSQL
/// finds an attempt by its id. Written as a literal, `status = 'open'` lets PostgreSQL's plan (made
/// once per connection and kept) use the partial indexes on open attempts (`attempts_one_open`,
/// `attempts_due`); where the statistics say that few attempts are open — a round just opened after
/// another closed, or no ANALYZE yet — the plan walked every open attempt to find one id. Bound, it
/// cannot use them and seeks the id (docs/PERFORMANCE.md, issue 16's eighth part).
pub(crate) const OPEN: &str = "open";

pub(crate) const ATTEMPT_COLUMNS: &str = "id, round_id, participant_id, seq, seed, draw, answers, prediction, status, started_at, deadline_at, submitted_at, auto_submitted, correct, time_taken_ms";

impl TryFrom<RawAttempt> for AttemptRow {
    type Error = StoreError;
    fn try_from(r: RawAttempt) -> Result<Self> {
        Ok(AttemptRow {
            id: r.id,
            round_id: r.round_id,
            participant_id: r.participant_id,
            seq: r.seq,
            seed: r.seed.cast_unsigned(),
            draw: serde_json::from_str(&r.draw)?,
            answers: Answers::decode(&r.answers),
            prediction: r.prediction,
            status: if r.status == "open" { AttemptStatus::Open } else { AttemptStatus::Submitted },
            started_at: at(r.started_at),
            deadline_at: at(r.deadline_at),
            submitted_at: r.submitted_at.map(at),
            auto_submitted: r.auto_submitted != 0,
            correct: r.correct.and_then(|c| u32::try_from(c).ok()),
            time_taken_ms: r.time_taken_ms,
        })
    }
}

/// A new attempt, drawn by the engine before it asks the store to start it.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    pub round_id: i64,
    pub participant_id: i64,
    pub allowed: u32,
    pub seed: u64,
    pub draw: Vec<DrawnQuestion>,
    pub started_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    /// Keyed tags of the client's address and device (see [`crate::AttemptOrigin`]).
    pub client_tag: Option<String>,
    pub device_tag: Option<String>,
}

#[derive(Clone, Debug)]
pub enum StartOutcome {
    Started(AttemptRow),
    /// The person already holds an open attempt in this round.
    Resumed(AttemptRow),
    LimitReached {
        used: u32,
    },
}

/// Live figures of a round (số người / số lượt tham gia).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RoundCounts {
    pub people: i64,
    pub attempts: i64,
    pub submitted: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PublishedRanking {
    pub id: i64,
    /// When the committee approved it.
    pub published_at: DateTime<Utc>,
    pub version: i64,
    /// The published document (JSON), exactly as it was published.
    pub body: String,
}

/// A person with one submitted, scored attempt, for [`crate::Store::bulk_insert_submitted`].
#[derive(Clone, Debug)]
pub struct BulkAttempt {
    pub person_key: String,
    pub identity: Identity,
    pub seed: u64,
    pub draw: Vec<DrawnQuestion>,
    pub answers: Answers,
    pub prediction: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub submitted_at: DateTime<Utc>,
    pub correct: u32,
    pub time_taken_ms: i64,
}
