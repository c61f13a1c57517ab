//! What the organisers' console stores beside the contests: staff accounts, their grants on
//! contests, staff sessions, sign-in throttling, the audit log, and the edits of contests,
//! questions and participants that only staff make.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cuocthi_domain::contest::ContestSpec;
use cuocthi_domain::stats::{CounterKey, Measures};
use serde::Serialize;

use crate::model::{AttemptRow, ParticipantRow, StoredQuestion};
use crate::review::*;
use crate::{Result, declare};

/// A staff account (tài khoản quản trị). The password hash and TOTP secret never leave the
/// engine.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub password_hash: String,
    /// `system_admin`, or `staff` for an account whose rights come from its grants.
    pub role: String,
    pub totp_secret: Option<String>,
    pub totp_pending: Option<String>,
    pub totp_last_step: i64,
    pub disabled: i64,
    pub created_at: i64,
}

/// A role on one contest; `unit_code` is set for unit coordinators (and empty otherwise).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub account_id: i64,
    pub contest_id: i64,
    pub role: String,
    pub unit_code: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StaffSessionRow {
    pub token_hash: String,
    pub account_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// How a throttle counts: `free` tries within a quiet period pass at once; the try that reaches
/// `free`, and every one after it, makes the next wait 1 s, 2 s, 4 s… up to `max_wait_ms`. A key
/// without a try for `forget_after_ms` starts again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRule {
    pub free: i64,
    pub max_wait_ms: i64,
    pub forget_after_ms: i64,
}

#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct ThrottleRow {
    pub key: String,
    pub failures: i64,
    pub blocked_until: i64,
    pub updated_at: i64,
}

/// An audit entry to append; the store gives it its id, chain link and hash.
#[derive(Clone, Debug)]
pub struct NewAudit {
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub contest_id: Option<i64>,
    pub subject: String,
    /// JSON: before/after, reason.
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub account_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub contest_id: Option<i64>,
    pub subject: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// An uploaded file kept until its import is confirmed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StagedFile {
    pub id: i64,
    pub account_id: i64,
    pub contest_id: i64,
    /// What the file is for (`questions`, `units`, `exclusions`, `registered`).
    pub purpose: String,
    pub file_name: String,
    pub body: Vec<u8>,
    pub created_at: i64,
}

/// A contest's file (study material or logo), without its bytes.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct MaterialRow {
    pub id: i64,
    pub contest_id: i64,
    /// `material` (for participants to read) or `logo`.
    pub kind: String,
    pub title: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

/// Which audit entries to list, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub contest_id: Option<i64>,
    /// Entries whose action starts with this (`contest.`, `question.`…).
    pub action_prefix: Option<String>,
    pub actor: Option<String>,
    /// Only entries older than this id (paging).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// The text of [`ConsoleStore`], handed to the macro `$then` as [`crate::store_trait`] hands
/// over `Store`'s: declared here, implemented by `SqlStore` from the same words.
macro_rules! console_trait {
    ($then:ident) => {
        $then! {
            #[async_trait]
            pub trait ConsoleStore: Send + Sync {
                // Accounts.
                async fn insert_account(
                    &self,
                    username: &str,
                    password_hash: &str,
                    role: &str,
                    now: DateTime<Utc>,
                ) -> Result<i64>;
                async fn account_by_username(&self, username: &str) -> Result<Option<AccountRow>>;
                async fn account(&self, id: i64) -> Result<Option<AccountRow>>;
                async fn accounts(&self) -> Result<Vec<AccountRow>>;
                async fn set_account_profile(&self, id: i64, full_name: &str, role: &str, disabled: bool) -> Result<()>;
                async fn set_password(&self, id: i64, password_hash: &str) -> Result<()>;
                /// Sets (or clears) the secret being set up; the confirmed one is unchanged.
                async fn set_totp_pending(&self, id: i64, secret: Option<&str>) -> Result<()>;
                /// Makes the pending secret (or none) the account's second factor.
                async fn set_totp_secret(&self, id: i64, secret: Option<&str>) -> Result<()>;
                /// Records a TOTP time step as used; false if it (or a later one) was used already, so a
                /// code seen once can never open a second session.
                async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool>;

                // Grants.
                async fn grants_of(&self, account_id: i64) -> Result<Vec<GrantRow>>;
                async fn grants_on(&self, contest_id: i64) -> Result<Vec<GrantRow>>;
                async fn insert_grant(
                    &self,
                    account_id: i64,
                    contest_id: i64,
                    role: &str,
                    unit_code: &str,
                    now: DateTime<Utc>,
                ) -> Result<i64>;
                async fn delete_grant(&self, id: i64) -> Result<Option<GrantRow>>;

                // Staff sessions.
                async fn insert_staff_session(&self, row: &StaffSessionRow) -> Result<()>;
                async fn staff_session(&self, token_hash: &str) -> Result<Option<StaffSessionRow>>;
                async fn touch_staff_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()>;
                async fn delete_staff_session(&self, token_hash: &str) -> Result<()>;
                async fn delete_staff_sessions_of(&self, account_id: i64) -> Result<()>;

                // Throttling of guesses (staff sign-in, participants' identification, the results look-up).
                async fn throttle(&self, key: &str) -> Result<Option<ThrottleRow>>;
                /// Counts one try for `key` and checks it in one atomic statement: `Some(row after counting)`
                /// when the try may go ahead, `None` while the key must wait (nothing counted).
                async fn take_try(
                    &self,
                    key: &str,
                    now: DateTime<Utc>,
                    rule: &ThrottleRule,
                ) -> Result<Option<ThrottleRow>>;
                /// Uncounts one try (never below zero); the wait already set stays.
                async fn give_back_try(&self, key: &str) -> Result<()>;
                async fn clear_throttle(&self, key: &str) -> Result<()>;
                /// Deletes the rows of keys last tried before `before` whose wait has passed by
                /// then: the count a key would start again from anyway once its rule forgets it.
                /// Returns how many went.
                async fn forget_throttles(&self, before: DateTime<Utc>) -> Result<u64>;

                // The audit log.
                /// Appends one entry, chained to the last one, atomically even with several app nodes.
                async fn append_audit(&self, entry: &NewAudit) -> Result<AuditRow>;
                async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>>;
                /// Entries with ids above `after_id`, oldest first, for verifying the chain.
                async fn audit_chain(&self, after_id: i64, limit: i64) -> Result<Vec<AuditRow>>;

                // Contest set-up.
                /// Replaces a contest's definition: the contest row, its rounds (matched by number; rounds
                /// beyond the new count are removed), its units and its registered lists.
                async fn update_contest(&self, contest_id: i64, spec: &ContestSpec, now: DateTime<Utc>) -> Result<()>;

                // The question bank, as staff see it.
                /// Every current question of a contest (active and retired; not superseded versions).
                async fn current_questions(&self, contest_id: i64) -> Result<Vec<StoredQuestion>>;
                /// Versions of one question, oldest first.
                async fn question_versions(&self, lineage: i64) -> Result<Vec<StoredQuestion>>;
                async fn set_question_status(&self, id: i64, status: &str) -> Result<bool>;

                // Uploads awaiting confirmation.
                async fn stage_file(
                    &self,
                    account_id: i64,
                    contest_id: i64,
                    purpose: &str,
                    file_name: &str,
                    body: &[u8],
                    now: DateTime<Utc>,
                ) -> Result<i64>;
                async fn staged_file(&self, id: i64) -> Result<Option<StagedFile>>;
                /// Removes a staged file and any older than `stale_before` (uploads never confirmed).
                async fn drop_staged_file(&self, id: i64, stale_before: DateTime<Utc>) -> Result<()>;

                // A contest's files.
                /// Stores a file; a new logo replaces the old one.
                async fn insert_material(&self, row: &MaterialRow, body: &[u8]) -> Result<i64>;
                async fn materials_of(&self, contest_id: i64) -> Result<Vec<MaterialRow>>;
                async fn material_body(&self, id: i64) -> Result<Option<(MaterialRow, Vec<u8>)>>;
                async fn delete_material(&self, id: i64) -> Result<Option<MaterialRow>>;

                // Verification.
                /// Submitted attempts of a round with their answers, by id after `after_id`, for re-scoring.
                async fn submitted_attempts(&self, round_id: i64, after_id: i64, limit: i64) -> Result<Vec<AttemptRow>>;
                /// A ranking version by its id, with its body.
                async fn published_by_id(&self, id: i64) -> Result<Option<(RankingVersionRow, String)>>;
                /// One audit entry.
                async fn audit_entry(&self, id: i64) -> Result<Option<AuditRow>>;

                // Participants, as staff see them.
                async fn participants_matching(
                    &self,
                    contest_id: i64,
                    key: Option<&str>,
                    unit: Option<&str>,
                    limit: i64,
                ) -> Result<Vec<ParticipantRow>>;
                /// Moves every attempt of `merged` to `kept` (renumbered after kept's own) and removes
                /// `merged`. Refused (false) when both hold an open attempt in the same round.
                async fn merge_participants(&self, kept: i64, merged: i64) -> Result<bool>;

                // Review and approval of results.
                /// Where each attempt of a round came from.
                async fn attempt_origins(&self, round_id: i64) -> Result<Vec<AttemptOrigin>>;
                async fn disqualify(&self, d: &NewDisqualification<'_>) -> Result<i64>;
                /// Lifts a standing disqualification of the contest; false if there is none with that id.
                async fn lift_disqualification(
                    &self,
                    contest_id: i64,
                    id: i64,
                    by: &str,
                    reason: &str,
                    at: i64,
                ) -> Result<bool>;
                /// Every disqualification of a contest, lifted or not, oldest first.
                async fn disqualifications(&self, contest_id: i64) -> Result<Vec<DisqualificationRow>>;
                /// Stores an approved ranking version numbered after the scope's last; returns (id, version).
                async fn approve_ranking(&self, v: &NewRankingVersion<'_>) -> Result<(i64, i64)>;
                /// Shows an approved version to the public; false if it already was or does not exist.
                async fn make_ranking_public(&self, id: i64, at: i64) -> Result<bool>;
                /// The versions of a scope (a round, or `None` for overall), newest first.
                async fn ranking_versions(
                    &self,
                    contest_id: i64,
                    round_id: Option<i64>,
                ) -> Result<Vec<RankingVersionRow>>;
                /// A person's row in a ranking version.
                async fn standing_in(&self, ranking_id: i64, participant_id: i64) -> Result<Option<StandingRecord>>;
                /// Stores an approved version of the in-person event's results (scope `event`, no round,
                /// no standings) numbered after the event's last; returns (id, version).
                async fn approve_event_version(&self, v: &NewRankingVersion<'_>) -> Result<(i64, i64)>;
                /// The in-person event's versions, newest first.
                async fn event_versions(&self, contest_id: i64) -> Result<Vec<RankingVersionRow>>;
                /// The newest public version of the in-person event's results.
                async fn published_event(&self, contest_id: i64) -> Result<Option<crate::model::PublishedRanking>>;
                /// What a version is of: `ranking` or `event`; `None` when there is no such version.
                async fn version_scope(&self, id: i64) -> Result<Option<String>>;
                /// Seals up to `limit` submitted attempts not sealed yet: one audit entry, chained, holding
                /// their digest; each attempt then names that entry. `None` when nothing waits.
                async fn seal_submissions(
                    &self,
                    limit: i64,
                    at: DateTime<Utc>,
                    actor: &str,
                ) -> Result<Option<(AuditRow, u64)>>;
                /// The attempts a seal entry covers, in the order they were sealed.
                async fn sealed_submissions(&self, entry_id: i64) -> Result<Vec<SubmissionRecord>>;

                // Live statistics.
                /// Counts up to `limit` attempts whose start or submission is not counted yet; returns how
                /// many were counted.
                async fn count_attempts(&self, limit: i64) -> Result<usize>;
                /// The counters of a contest (round 0) and of one of its rounds.
                async fn counters(&self, contest_id: i64, round_id: Option<i64>) -> Result<Vec<crate::CounterRow>>;
                /// Drops a contest's counters and queues its attempts' starts and submissions again, to count them again.
                async fn reset_counters(&self, contest_id: i64) -> Result<()>;
                /// The counters recomputed from every attempt of a contest, leaving the stored ones alone.
                async fn recount(
                    &self,
                    contest_id: i64,
                ) -> Result<BTreeMap<CounterKey, Measures>>;
                /// Replaces the staff list of one unit.
                async fn replace_staff_list(
                    &self,
                    contest_id: i64,
                    unit: &str,
                    people: &[crate::StaffMember],
                    by: &str,
                    at: i64,
                ) -> Result<()>;
                /// The staff lists of the given units.
                async fn staff_lists(&self, contest_id: i64, units: &[String]) -> Result<Vec<crate::StaffMember>>;
                /// Which of `keys` belong to people of the contest who started at least one attempt.
                async fn keys_that_took_part(&self, contest_id: i64, keys: &[String]) -> Result<Vec<String>>;

                // Feedback on questions, and questions voided by the committee.
                /// Records a participant's report, or `None` if they already sent `per_window` reports after
                /// `window_start`; a second one on the same question of the same attempt is a `Conflict`.
                async fn insert_report(&self, r: &crate::NewReport<'_>) -> Result<Option<i64>>;
                /// A contest's reports, open ones first, newest first.
                async fn reports(&self, contest_id: i64, filter: &crate::ReportFilter) -> Result<Vec<crate::ReportRow>>;
                async fn report(&self, id: i64) -> Result<Option<crate::ReportRow>>;
                /// Sets a report's reply, closing it with `close`; false if there is no such report.
                async fn reply_report(&self, id: i64, reply: &str, by: &str, at: i64, close: bool) -> Result<bool>;
                /// Closes a report (`Some((by, at))`) or opens it again (`None`).
                async fn close_report(&self, id: i64, closed: Option<(&str, i64)>) -> Result<bool>;
                /// Every void of a contest, oldest first.
                async fn question_voids(&self, contest_id: i64) -> Result<Vec<crate::VoidRow>>;
                /// Attempts of a contest (open or submitted) that drew a question, by id after `after_id`,
                /// each with its stored count of scored questions.
                async fn attempts_drawing(
                    &self,
                    contest_id: i64,
                    question_id: i64,
                    after_id: i64,
                    limit: i64,
                ) -> Result<Vec<(AttemptRow, i64)>>;
                /// Records a void with its audit entry and the scores it changes, in one transaction.
                async fn void_question(
                    &self,
                    v: &crate::NewVoid<'_>,
                    entry: &NewAudit,
                    rescores: &[crate::Rescore],
                ) -> Result<(crate::VoidRow, AuditRow)>;
                /// Stores scores derived again; returns how many attempts changed.
                async fn rescore_attempts(&self, rescores: &[crate::Rescore]) -> Result<u64>;

                // The in-person event (crate::event).
                /// Registers a unit's team, or replaces its name and members.
                async fn save_team(&self, team: &crate::event::NewTeam<'_>) -> Result<crate::event::TeamRow>;
                async fn event_teams(&self, contest_id: i64) -> Result<Vec<crate::event::TeamRow>>;
                /// Every member of the contest's teams, by team and list order.
                async fn event_members(&self, contest_id: i64) -> Result<Vec<crate::event::MemberRow>>;
                /// Sets the teams' places on stage, `(team, place)`.
                async fn set_performance_order(&self, contest_id: i64, order: &[(i64, i64)]) -> Result<()>;
                async fn set_part_open(&self, contest_id: i64, part_key: &str, open: bool, by: &str, at: i64) -> Result<()>;
                async fn event_parts(&self, contest_id: i64) -> Result<Vec<crate::event::PartStateRow>>;
                /// Stores a sheet (or a reopened sheet's correction) with its audit entry, in one
                /// transaction; `None`, nothing written, when it is already submitted.
                async fn submit_sheet(
                    &self,
                    sheet: &crate::event::NewSheet<'_>,
                    entry: &NewAudit,
                ) -> Result<Option<crate::event::SheetRow>>;
                /// Reopens a submitted sheet with its audit entry; `None` if it is not submitted.
                async fn reopen_sheet(
                    &self,
                    contest_id: i64,
                    sheet_id: i64,
                    reason: &str,
                    entry: &NewAudit,
                ) -> Result<Option<crate::event::SheetRow>>;
                /// The sheets of a contest, of one judge or all.
                async fn event_sheets(&self, contest_id: i64, judge_id: Option<i64>) -> Result<Vec<crate::event::SheetRow>>;
                async fn event_sheet(&self, id: i64) -> Result<Option<crate::event::SheetRow>>;
                async fn set_answers(&self, answers: &crate::event::AnswerRow) -> Result<()>;
                async fn event_answers(&self, contest_id: i64) -> Result<Vec<crate::event::AnswerRow>>;
                async fn insert_adjustment(&self, adjustment: &crate::event::AdjustmentRow) -> Result<i64>;
                async fn event_adjustments(&self, contest_id: i64) -> Result<Vec<crate::event::AdjustmentRow>>;
                async fn set_tie_lots(&self, lots: &[crate::event::TieLotRow]) -> Result<()>;
                async fn event_tie_lots(&self, contest_id: i64) -> Result<Vec<crate::event::TieLotRow>>;

                // The event's stage (crate::stage).
                /// Replaces a knowledge part's question sets with their audit entry; false, nothing
                /// written, once a team has drawn a set of the part.
                async fn replace_question_sets(
                    &self,
                    contest_id: i64,
                    part_key: &str,
                    rows: &[crate::stage::SetQuestionRow],
                    entry: &NewAudit,
                ) -> Result<bool>;
                async fn question_sets(&self, contest_id: i64) -> Result<Vec<crate::stage::SetQuestionRow>>;
                /// Stores a team's lot with its audit entry; `None` when the team already drew in the
                /// part or another team drew that set meanwhile.
                async fn insert_set_lot(
                    &self,
                    lot: &crate::stage::SetLotRow,
                    entry: &NewAudit,
                ) -> Result<Option<crate::stage::SetLotRow>>;
                async fn set_lots(&self, contest_id: i64) -> Result<Vec<crate::stage::SetLotRow>>;
                /// Stores an answer given on stage with its audit entry and the team's count of correct
                /// answers; without `replace`, an answer already given stays (false).
                async fn record_stage_answer(
                    &self,
                    answer: &crate::stage::StageAnswerRow,
                    replace: bool,
                    entry: &NewAudit,
                ) -> Result<bool>;
                async fn stage_answers(&self, contest_id: i64) -> Result<Vec<crate::stage::StageAnswerRow>>;
                async fn stage(&self, contest_id: i64) -> Result<Option<crate::stage::StageRow>>;
                async fn stage_version(&self, contest_id: i64) -> Result<Option<i64>>;
                /// Writes the stage if it is still at version `expected` (0: none yet); `None` when it
                /// changed meanwhile.
                async fn save_stage(
                    &self,
                    row: &crate::stage::StageRow,
                    expected: i64,
                ) -> Result<Option<crate::stage::StageRow>>;

                // Personal data (crate::privacy): retention, removal, people's requests.
                /// Everyone holding a prize in any approved version of the contest's rankings.
                async fn prize_holders(&self, contest_id: i64) -> Result<Vec<i64>>;
                /// When the contest's results were last made public (ms), if ever.
                async fn last_publication(&self, contest_id: i64) -> Result<Option<i64>>;
                /// The people of a contest whose personal fields are still stored.
                async fn unpurged_participants(&self, contest_id: i64) -> Result<Vec<i64>>;
                /// When a person's personal fields were removed, if they were.
                async fn purged_at(&self, participant_id: i64) -> Result<Option<i64>>;
                /// Removes the personal fields of `ids` for good, in one transaction (see
                /// `sql/privacy.rs`); `keep_published` keeps the name published with a prize.
                async fn purge_participants(
                    &self,
                    contest_id: i64,
                    ids: &[i64],
                    keep_published: bool,
                    at: i64,
                ) -> Result<crate::PurgeCounts>;
                /// Deletes the rows of registered and staff lists whose key is not in `keep`.
                async fn purge_lists(&self, contest_id: i64, keep: &[String]) -> Result<u64>;
                async fn insert_privacy_request(&self, r: &crate::NewPrivacyRequest<'_>) -> Result<i64>;
                /// A contest's requests, open ones first by deadline.
                async fn privacy_requests(&self, contest_id: i64, open_only: bool) -> Result<Vec<crate::PrivacyRequestRow>>;
                async fn privacy_requests_of(&self, participant_id: i64) -> Result<Vec<crate::PrivacyRequestRow>>;
                async fn privacy_request(&self, id: i64) -> Result<Option<crate::PrivacyRequestRow>>;
                /// Settles an open request; false if it is not open.
                async fn decide_privacy_request(&self, id: i64, status: &str, by: &str, answer: &str, at: i64) -> Result<bool>;
                /// Sets one personal field (`full_name`, `date_of_birth` as `YYYY-MM-DD`, `phone`, `email`).
                async fn correct_participant(&self, id: i64, field: &str, value: &str) -> Result<bool>;
            }
        }
    };
}
pub(crate) use console_trait;

console_trait!(declare);
