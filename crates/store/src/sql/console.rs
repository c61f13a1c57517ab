//! [`ConsoleStore`] for [`SqlStore`]: each method hands over to the module of its table family.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cuocthi_domain::contest::ContestSpec;

use super::{SqlStore, accounts, attempts, audit, contests, feedback, files, participants, questions, results, stats};
use crate::Result;
use crate::console::*;
use crate::model::*;
use crate::review::*;

#[async_trait]
impl ConsoleStore for SqlStore {
    async fn insert_account(&self, username: &str, password_hash: &str, role: &str, now: DateTime<Utc>) -> Result<i64> {
        accounts::insert_account(self, username, password_hash, role, now).await
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<AccountRow>> {
        accounts::account_by_username(self, username).await
    }

    async fn account(&self, id: i64) -> Result<Option<AccountRow>> {
        accounts::account(self, id).await
    }

    async fn accounts(&self) -> Result<Vec<AccountRow>> {
        accounts::accounts(self).await
    }

    async fn set_account_profile(&self, id: i64, full_name: &str, role: &str, disabled: bool) -> Result<()> {
        accounts::set_account_profile(self, id, full_name, role, disabled).await
    }

    async fn set_password(&self, id: i64, password_hash: &str) -> Result<()> {
        accounts::set_password(self, id, password_hash).await
    }

    async fn set_totp_pending(&self, id: i64, secret: Option<&str>) -> Result<()> {
        accounts::set_totp_pending(self, id, secret).await
    }

    async fn set_totp_secret(&self, id: i64, secret: Option<&str>) -> Result<()> {
        accounts::set_totp_secret(self, id, secret).await
    }

    async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool> {
        accounts::use_totp_step(self, id, step).await
    }

    async fn grants_of(&self, account_id: i64) -> Result<Vec<GrantRow>> {
        accounts::grants_of(self, account_id).await
    }

    async fn grants_on(&self, contest_id: i64) -> Result<Vec<GrantRow>> {
        accounts::grants_on(self, contest_id).await
    }

    async fn insert_grant(
        &self,
        account_id: i64,
        contest_id: i64,
        role: &str,
        unit_code: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        accounts::insert_grant(self, account_id, contest_id, role, unit_code, now).await
    }

    async fn delete_grant(&self, id: i64) -> Result<Option<GrantRow>> {
        accounts::delete_grant(self, id).await
    }

    async fn insert_staff_session(&self, row: &StaffSessionRow) -> Result<()> {
        accounts::insert_staff_session(self, row).await
    }

    async fn staff_session(&self, token_hash: &str) -> Result<Option<StaffSessionRow>> {
        accounts::staff_session(self, token_hash).await
    }

    async fn touch_staff_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        accounts::touch_staff_session(self, token_hash, now).await
    }

    async fn delete_staff_session(&self, token_hash: &str) -> Result<()> {
        accounts::delete_staff_session(self, token_hash).await
    }

    async fn delete_staff_sessions_of(&self, account_id: i64) -> Result<()> {
        accounts::delete_staff_sessions_of(self, account_id).await
    }

    async fn throttle(&self, key: &str) -> Result<Option<ThrottleRow>> {
        accounts::throttle(self, key).await
    }

    async fn take_try(&self, key: &str, now: DateTime<Utc>, rule: &ThrottleRule) -> Result<Option<ThrottleRow>> {
        accounts::take_try(self, key, now.timestamp_millis(), rule).await
    }

    async fn give_back_try(&self, key: &str) -> Result<()> {
        accounts::give_back_try(self, key).await
    }

    async fn clear_throttle(&self, key: &str) -> Result<()> {
        accounts::clear_throttle(self, key).await
    }

    async fn append_audit(&self, e: &NewAudit) -> Result<AuditRow> {
        audit::append_audit(self, e).await
    }

    async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        audit::audit_entries(self, f).await
    }

    async fn audit_chain(&self, after_id: i64, limit: i64) -> Result<Vec<AuditRow>> {
        audit::audit_chain(self, after_id, limit).await
    }

    async fn update_contest(&self, contest_id: i64, spec: &ContestSpec, now: DateTime<Utc>) -> Result<()> {
        contests::update_contest(self, contest_id, spec, now).await
    }

    async fn current_questions(&self, contest_id: i64) -> Result<Vec<StoredQuestion>> {
        questions::current_questions(self, contest_id).await
    }

    async fn question_versions(&self, lineage: i64) -> Result<Vec<StoredQuestion>> {
        questions::question_versions(self, lineage).await
    }

    async fn set_question_status(&self, id: i64, status: &str) -> Result<bool> {
        questions::set_question_status(self, id, status).await
    }

    async fn stage_file(
        &self,
        account_id: i64,
        contest_id: i64,
        purpose: &str,
        file_name: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        files::stage_file(self, account_id, contest_id, purpose, file_name, body, now).await
    }

    async fn staged_file(&self, id: i64) -> Result<Option<StagedFile>> {
        files::staged_file(self, id).await
    }

    async fn drop_staged_file(&self, id: i64, stale_before: DateTime<Utc>) -> Result<()> {
        files::drop_staged_file(self, id, stale_before).await
    }

    async fn insert_material(&self, m: &MaterialRow, body: &[u8]) -> Result<i64> {
        files::insert_material(self, m, body).await
    }

    async fn materials_of(&self, contest_id: i64) -> Result<Vec<MaterialRow>> {
        files::materials_of(self, contest_id).await
    }

    async fn material_body(&self, id: i64) -> Result<Option<(MaterialRow, Vec<u8>)>> {
        files::material_body(self, id).await
    }

    async fn delete_material(&self, id: i64) -> Result<Option<MaterialRow>> {
        files::delete_material(self, id).await
    }

    async fn submitted_attempts(&self, round_id: i64, after_id: i64, limit: i64) -> Result<Vec<AttemptRow>> {
        attempts::submitted_attempts(self, round_id, after_id, limit).await
    }

    async fn published_by_id(&self, id: i64) -> Result<Option<(RankingVersionRow, String)>> {
        results::published_by_id(self, id).await
    }

    async fn audit_entry(&self, id: i64) -> Result<Option<AuditRow>> {
        audit::audit_entry(self, id).await
    }

    async fn participants_matching(
        &self,
        contest_id: i64,
        key: Option<&str>,
        unit: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ParticipantRow>> {
        participants::participants_matching(self, contest_id, key, unit, limit).await
    }

    async fn merge_participants(&self, kept: i64, merged: i64) -> Result<bool> {
        participants::merge_participants(self, kept, merged).await
    }

    async fn attempt_origins(&self, round_id: i64) -> Result<Vec<AttemptOrigin>> {
        results::attempt_origins(self, round_id).await
    }

    async fn disqualify(&self, d: &NewDisqualification<'_>) -> Result<i64> {
        results::disqualify(self, d).await
    }

    async fn lift_disqualification(&self, contest_id: i64, id: i64, by: &str, reason: &str, at: i64) -> Result<bool> {
        results::lift_disqualification(self, contest_id, id, by, reason, at).await
    }

    async fn disqualifications(&self, contest_id: i64) -> Result<Vec<DisqualificationRow>> {
        results::disqualifications(self, contest_id).await
    }

    async fn approve_ranking(&self, v: &NewRankingVersion<'_>) -> Result<(i64, i64)> {
        results::approve_ranking(self, v).await
    }

    async fn make_ranking_public(&self, id: i64, at: i64) -> Result<bool> {
        results::make_ranking_public(self, id, at).await
    }

    async fn ranking_versions(&self, contest_id: i64, round_id: Option<i64>) -> Result<Vec<RankingVersionRow>> {
        results::ranking_versions(self, contest_id, round_id).await
    }

    async fn standing_in(&self, ranking_id: i64, participant_id: i64) -> Result<Option<StandingRecord>> {
        results::standing_in(self, ranking_id, participant_id).await
    }

    async fn seal_submissions(&self, limit: i64, at: DateTime<Utc>, actor: &str) -> Result<Option<(AuditRow, u64)>> {
        audit::seal_submissions(self, limit, at, actor).await
    }

    async fn sealed_submissions(&self, entry_id: i64) -> Result<Vec<SubmissionRecord>> {
        audit::sealed_submissions(self, entry_id).await
    }

    async fn count_attempts(&self, limit: i64) -> Result<usize> {
        stats::count_pending(self, limit).await
    }

    async fn counters(&self, contest_id: i64, round_id: Option<i64>) -> Result<Vec<crate::CounterRow>> {
        stats::read_counters(self, contest_id, round_id).await
    }

    async fn reset_counters(&self, contest_id: i64) -> Result<()> {
        stats::reset_contest_counters(self, contest_id).await
    }

    async fn recount(
        &self,
        contest_id: i64,
    ) -> Result<std::collections::BTreeMap<cuocthi_domain::stats::CounterKey, cuocthi_domain::stats::Measures>> {
        stats::recount_contest(self, contest_id).await
    }

    async fn replace_staff_list(
        &self,
        contest_id: i64,
        unit: &str,
        people: &[crate::StaffMember],
        by: &str,
        at: i64,
    ) -> Result<()> {
        stats::replace_staff_list(self, contest_id, unit, people, by, at).await
    }

    async fn staff_lists(&self, contest_id: i64, units: &[String]) -> Result<Vec<crate::StaffMember>> {
        stats::read_staff_lists(self, contest_id, units).await
    }

    async fn keys_that_took_part(&self, contest_id: i64, keys: &[String]) -> Result<Vec<String>> {
        stats::keys_that_took_part(self, contest_id, keys).await
    }

    async fn insert_report(&self, r: &crate::NewReport<'_>) -> Result<Option<i64>> {
        feedback::add_report(self, r).await
    }

    async fn reports(&self, contest_id: i64, filter: &crate::ReportFilter) -> Result<Vec<crate::ReportRow>> {
        feedback::read_reports(self, contest_id, filter).await
    }

    async fn report(&self, id: i64) -> Result<Option<crate::ReportRow>> {
        feedback::read_report(self, id).await
    }

    async fn reply_report(&self, id: i64, reply: &str, by: &str, at: i64, close: bool) -> Result<bool> {
        feedback::write_reply(self, id, reply, by, at, close).await
    }

    async fn close_report(&self, id: i64, closed: Option<(&str, i64)>) -> Result<bool> {
        feedback::write_report_closed(self, id, closed).await
    }

    async fn question_voids(&self, contest_id: i64) -> Result<Vec<crate::VoidRow>> {
        feedback::read_voids(self, contest_id).await
    }

    async fn attempts_drawing(
        &self,
        contest_id: i64,
        question_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(AttemptRow, i64)>> {
        feedback::read_attempts_drawing(self, contest_id, question_id, after_id, limit).await
    }

    async fn void_question(
        &self,
        v: &crate::NewVoid<'_>,
        entry: &NewAudit,
        rescores: &[crate::Rescore],
    ) -> Result<(crate::VoidRow, AuditRow)> {
        feedback::write_void(self, v, entry, rescores).await
    }

    async fn rescore_attempts(&self, rescores: &[crate::Rescore]) -> Result<u64> {
        feedback::write_rescores(self, rescores).await
    }
}
