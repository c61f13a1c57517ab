//! [`ConsoleStore`] for [`SqlStore`]: the same SQL on both backends, as in `sql.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cuocthi_domain::audit;
use cuocthi_domain::contest::ContestSpec;

use crate::console::*;
use crate::model::*;
use crate::review::*;
use crate::sql::WritePool;
use crate::sql::{Pools, flag, insert_lists, on};
use crate::{Result, SqlStore, StoreError};

/// Appends audit entry `$e` after the chain's last inside transaction `$tx` (holding the audit
/// lock on PostgreSQL), for whichever backend's transaction it is; evaluates to the new row.
macro_rules! append_in {
    ($tx:ident, $e:expr) => {{
        let e: &NewAudit = $e;
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetch_optional(&mut *$tx).await?;
        let (last_id, prev_hash) = last.unwrap_or((0, audit::GENESIS.to_string()));
        let id = last_id + 1;
        let hash = audit::chain_hash(
            &prev_hash,
            &audit::Entry {
                id,
                at_ms: ms(e.at),
                account_id: e.account_id,
                actor: &e.actor,
                action: &e.action,
                contest_id: e.contest_id,
                subject: &e.subject,
                detail: &e.detail,
            },
        );
        let row: AuditRow = sqlx::query_as(
            "INSERT INTO audit_log (id, at, account_id, actor, action, contest_id, subject, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(id)
        .bind(ms(e.at))
        .bind(e.account_id)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(e.contest_id)
        .bind(&e.subject)
        .bind(&e.detail)
        .bind(&prev_hash)
        .bind(&hash)
        .fetch_one(&mut *$tx)
        .await?;
        row
    }};
}
pub(crate) use append_in;

/// The PostgreSQL advisory lock that serialises appends to the audit chain across app nodes.
pub(crate) const AUDIT_LOCK: i64 = 0x0063_756f_6374_6869; // "cuocthi"

#[async_trait]
impl ConsoleStore for SqlStore {
    async fn insert_account(&self, username: &str, password_hash: &str, role: &str, now: DateTime<Utc>) -> Result<i64> {
        let (id,): (i64,) = on!(self, write, |p| sqlx::query_as(
            "INSERT INTO accounts (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(role)
        .bind(ms(now))
        .fetch_one(p)
        .await)?;
        Ok(id)
    }

    async fn account_by_username(&self, username: &str) -> Result<Option<AccountRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(p)
            .await)?)
    }

    async fn account(&self, id: i64) -> Result<Option<AccountRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    async fn accounts(&self) -> Result<Vec<AccountRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM accounts ORDER BY username").fetch_all(p).await)?)
    }

    async fn set_account_profile(&self, id: i64, full_name: &str, role: &str, disabled: bool) -> Result<()> {
        let n = on!(self, write, |p| sqlx::query(
            "UPDATE accounts SET full_name = $2, role = $3, disabled = $4 WHERE id = $1"
        )
        .bind(id)
        .bind(full_name)
        .bind(role)
        .bind(flag(disabled))
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn set_password(&self, id: i64, password_hash: &str) -> Result<()> {
        on!(self, write, |p| sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
            .bind(id)
            .bind(password_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn set_totp_pending(&self, id: i64, secret: Option<&str>) -> Result<()> {
        on!(self, write, |p| sqlx::query("UPDATE accounts SET totp_pending = $2 WHERE id = $1")
            .bind(id)
            .bind(secret)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn set_totp_secret(&self, id: i64, secret: Option<&str>) -> Result<()> {
        on!(self, write, |p| sqlx::query("UPDATE accounts SET totp_secret = $2, totp_pending = NULL WHERE id = $1")
            .bind(id)
            .bind(secret)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool> {
        let n = on!(self, write, |p| sqlx::query(
            "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2"
        )
        .bind(id)
        .bind(step)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    async fn grants_of(&self, account_id: i64) -> Result<Vec<GrantRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM grants WHERE account_id = $1 ORDER BY contest_id, id")
            .bind(account_id)
            .fetch_all(p)
            .await)?)
    }

    async fn grants_on(&self, contest_id: i64) -> Result<Vec<GrantRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM grants WHERE contest_id = $1 ORDER BY id")
            .bind(contest_id)
            .fetch_all(p)
            .await)?)
    }

    async fn insert_grant(
        &self,
        account_id: i64,
        contest_id: i64,
        role: &str,
        unit_code: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let (id,): (i64,) = on!(self, write, |p| {
            sqlx::query_as(
            "INSERT INTO grants (account_id, contest_id, role, unit_code, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account_id)
        .bind(contest_id)
        .bind(role)
        .bind(unit_code)
        .bind(ms(now))
        .fetch_one(p)
        .await
        })?;
        Ok(id)
    }

    async fn delete_grant(&self, id: i64) -> Result<Option<GrantRow>> {
        Ok(on!(self, write, |p| sqlx::query_as("DELETE FROM grants WHERE id = $1 RETURNING *")
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    async fn insert_staff_session(&self, row: &StaffSessionRow) -> Result<()> {
        on!(self, write, |p| {
            sqlx::query(
            "INSERT INTO staff_sessions (token_hash, account_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.token_hash)
        .bind(row.account_id)
        .bind(row.created_at)
        .bind(row.last_seen_at)
        .bind(row.expires_at)
        .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    async fn staff_session(&self, token_hash: &str) -> Result<Option<StaffSessionRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    async fn touch_staff_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
        on!(self, write, |p| sqlx::query("UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(ms(now))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn delete_staff_session(&self, token_hash: &str) -> Result<()> {
        on!(self, write, |p| sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn delete_staff_sessions_of(&self, account_id: i64) -> Result<()> {
        on!(self, write, |p| sqlx::query("DELETE FROM staff_sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn throttle(&self, key: &str) -> Result<Option<ThrottleRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(p)
            .await)?)
    }

    async fn put_throttle(&self, row: &ThrottleRow) -> Result<()> {
        on!(self, write, |p| {
            sqlx::query(
            "INSERT INTO login_throttle (key, failures, blocked_until, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until, updated_at = excluded.updated_at",
        )
        .bind(&row.key)
        .bind(row.failures)
        .bind(row.blocked_until)
        .bind(row.updated_at)
        .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    async fn clear_throttle(&self, key: &str) -> Result<()> {
        on!(self, write, |p| sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn append_audit(&self, e: &NewAudit) -> Result<AuditRow> {
        let postgres = matches!(self.pools, Pools::Postgres(_));
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK).execute(&mut *tx).await?;
            }
            let row = append_in!(tx, e);
            tx.commit().await?;
            Ok(row)
        })
    }

    async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let prefix = f.action_prefix.as_ref().map(|a| format!("{}%", a.replace(['%', '_'], "")));
        Ok(on!(self, read, |p| sqlx::query_as(
            "SELECT * FROM audit_log WHERE ($1 IS NULL OR contest_id = $1) AND ($2 IS NULL OR action LIKE $2)
               AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
        )
        .bind(f.contest_id)
        .bind(&prefix)
        .bind(&f.actor)
        .bind(f.before_id)
        .bind(f.limit)
        .fetch_all(p)
        .await)?)
    }

    async fn audit_chain(&self, after_id: i64, limit: i64) -> Result<Vec<AuditRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after_id)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    async fn update_contest(&self, contest_id: i64, spec: &ContestSpec, now: DateTime<Utc>) -> Result<()> {
        let settings = serde_json::to_string(&spec.settings)?;
        let rounds: Vec<String> =
            spec.rounds.iter().map(|r| serde_json::to_string(&r.rules)).collect::<Result<_, _>>()?;
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(
                "UPDATE contests SET slug = $2, title = $3, organiser = $4, summary = $5, audience = $6, rules = $7, settings = $8, updated_at = $9 WHERE id = $1",
            )
            .bind(contest_id)
            .bind(&spec.slug)
            .bind(&spec.title)
            .bind(&spec.organiser)
            .bind(&spec.summary)
            .bind(&spec.audience)
            .bind(&spec.rules)
            .bind(&settings)
            .bind(ms(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            for (i, (r, rules)) in spec.rounds.iter().zip(&rounds).enumerate() {
                let number = i as i64 + 1;
                let n = sqlx::query(
                    "UPDATE rounds SET name = $3, opens_at = $4, closes_at = $5, rules = $6 WHERE contest_id = $1 AND number = $2",
                )
                .bind(contest_id)
                .bind(number)
                .bind(&r.name)
                .bind(ms(r.opens_at))
                .bind(ms(r.closes_at))
                .bind(rules)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    sqlx::query("INSERT INTO rounds (contest_id, number, name, opens_at, closes_at, rules) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(contest_id)
                        .bind(number)
                        .bind(&r.name)
                        .bind(ms(r.opens_at))
                        .bind(ms(r.closes_at))
                        .bind(rules)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            sqlx::query("DELETE FROM rounds WHERE contest_id = $1 AND number > $2")
                .bind(contest_id)
                .bind(spec.rounds.len() as i64)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM units WHERE contest_id = $1").bind(contest_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM registered WHERE contest_id = $1").bind(contest_id).execute(&mut *tx).await?;
            insert_lists!(tx, contest_id, spec);
            tx.commit().await?;
            Ok(())
        })
    }

    async fn current_questions(&self, contest_id: i64) -> Result<Vec<StoredQuestion>> {
        let raw: Vec<RawQuestion> = on!(self, read, |p| sqlx::query_as(
            "SELECT * FROM questions WHERE contest_id = $1 AND status <> 'superseded' ORDER BY id"
        )
        .bind(contest_id)
        .fetch_all(p)
        .await)?;
        raw.into_iter().map(StoredQuestion::try_from).collect()
    }

    async fn question_versions(&self, lineage: i64) -> Result<Vec<StoredQuestion>> {
        let raw: Vec<RawQuestion> = on!(self, read, |p| sqlx::query_as(
            "SELECT * FROM questions WHERE id = $1 OR lineage = $1 ORDER BY version"
        )
        .bind(lineage)
        .fetch_all(p)
        .await)?;
        raw.into_iter().map(StoredQuestion::try_from).collect()
    }

    async fn set_question_status(&self, id: i64, status: &str) -> Result<bool> {
        let n = on!(self, write, |p| sqlx::query(
            "UPDATE questions SET status = $2 WHERE id = $1 AND status <> 'superseded'"
        )
        .bind(id)
        .bind(status)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
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
        let (id,): (i64,) = on!(self, write, |p| {
            sqlx::query_as(
            "INSERT INTO staged_files (account_id, contest_id, purpose, file_name, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account_id)
        .bind(contest_id)
        .bind(purpose)
        .bind(file_name)
        .bind(body)
        .bind(ms(now))
        .fetch_one(p)
        .await
        })?;
        Ok(id)
    }

    async fn staged_file(&self, id: i64) -> Result<Option<StagedFile>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM staged_files WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    async fn drop_staged_file(&self, id: i64, stale_before: DateTime<Utc>) -> Result<()> {
        on!(self, write, |p| sqlx::query("DELETE FROM staged_files WHERE id = $1 OR created_at < $2")
            .bind(id)
            .bind(ms(stale_before))
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn insert_material(&self, m: &MaterialRow, body: &[u8]) -> Result<i64> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            if m.kind == "logo" {
                sqlx::query("DELETE FROM materials WHERE contest_id = $1 AND kind = 'logo'")
                    .bind(m.contest_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO materials (contest_id, kind, title, file_name, content_type, size, sha256, body, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(m.contest_id)
            .bind(&m.kind)
            .bind(&m.title)
            .bind(&m.file_name)
            .bind(&m.content_type)
            .bind(m.size)
            .bind(&m.sha256)
            .bind(body)
            .bind(m.created_at)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    async fn materials_of(&self, contest_id: i64) -> Result<Vec<MaterialRow>> {
        Ok(on!(self, read, |p| {
            sqlx::query_as(
            "SELECT id, contest_id, kind, title, file_name, content_type, size, sha256, created_at FROM materials WHERE contest_id = $1 ORDER BY id"
        )
        .bind(contest_id)
        .fetch_all(p)
        .await
        })?)
    }

    async fn material_body(&self, id: i64) -> Result<Option<(MaterialRow, Vec<u8>)>> {
        let row: Option<(i64, i64, String, String, String, String, i64, String, i64, Vec<u8>)> = on!(
            self,
            read,
            |p| {
                sqlx::query_as(
            "SELECT id, contest_id, kind, title, file_name, content_type, size, sha256, created_at, body FROM materials WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(p)
        .await
            }
        )?;
        Ok(row.map(|(id, contest_id, kind, title, file_name, content_type, size, sha256, created_at, body)| {
            (MaterialRow { id, contest_id, kind, title, file_name, content_type, size, sha256, created_at }, body)
        }))
    }

    async fn delete_material(&self, id: i64) -> Result<Option<MaterialRow>> {
        Ok(on!(self, write, |p| {
            sqlx::query_as(
            "DELETE FROM materials WHERE id = $1 RETURNING id, contest_id, kind, title, file_name, content_type, size, sha256, created_at"
        )
        .bind(id)
        .fetch_optional(p)
        .await
        })?)
    }

    async fn submitted_attempts(&self, round_id: i64, after_id: i64, limit: i64) -> Result<Vec<AttemptRow>> {
        let raw: Vec<RawAttempt> = on!(self, read, |p| sqlx::query_as(
            "SELECT * FROM attempts WHERE round_id = $1 AND status = 'submitted' AND id > $2 ORDER BY id LIMIT $3"
        )
        .bind(round_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        raw.into_iter().map(AttemptRow::try_from).collect()
    }

    async fn published_by_id(&self, id: i64) -> Result<Option<(RankingVersionRow, String)>> {
        let version: Option<RankingVersionRow> =
            on!(self, read, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!("{VERSION_SELECT} WHERE id = $1")))
                .bind(id)
                .fetch_optional(p)
                .await)?;
        let Some(version) = version else { return Ok(None) };
        let (body,): (String,) =
            on!(self, read, |p| sqlx::query_as("SELECT body FROM published_rankings WHERE id = $1")
                .bind(id)
                .fetch_one(p)
                .await)?;
        Ok(Some((version, body)))
    }

    async fn audit_entry(&self, id: i64) -> Result<Option<AuditRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM audit_log WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    async fn participants_matching(
        &self,
        contest_id: i64,
        key: Option<&str>,
        unit: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ParticipantRow>> {
        let raw: Vec<RawParticipant> = on!(self, read, |p| sqlx::query_as(
            "SELECT * FROM participants WHERE contest_id = $1
               AND ($2 IS NULL OR person_key = $2 OR cccd = $2 OR phone = $2 OR email = $2)
               AND ($3 IS NULL OR unit_code = $3) ORDER BY id LIMIT $4",
        )
        .bind(contest_id)
        .bind(key)
        .bind(unit)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(raw.into_iter().map(ParticipantRow::from).collect())
    }

    async fn merge_participants(&self, kept: i64, merged: i64) -> Result<bool> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let (clash,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM attempts a JOIN attempts b ON a.round_id = b.round_id
                 WHERE a.participant_id = $1 AND b.participant_id = $2 AND a.status = 'open' AND b.status = 'open'",
            )
            .bind(kept)
            .bind(merged)
            .fetch_one(&mut *tx)
            .await?;
            if clash > 0 {
                return Ok(false);
            }
            let moving: Vec<(i64, i64)> =
                sqlx::query_as("SELECT id, round_id FROM attempts WHERE participant_id = $1 ORDER BY round_id, seq")
                    .bind(merged)
                    .fetch_all(&mut *tx)
                    .await?;
            for (id, round_id) in moving {
                let (last,): (i64,) = sqlx::query_as(
                    "SELECT COALESCE(MAX(seq), 0) FROM attempts WHERE participant_id = $1 AND round_id = $2",
                )
                .bind(kept)
                .bind(round_id)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("UPDATE attempts SET participant_id = $2, seq = $3 WHERE id = $1")
                    .bind(id)
                    .bind(kept)
                    .bind(last + 1)
                    .execute(&mut *tx)
                    .await?;
            }
            // A disqualification of the merged person stays with the person kept.
            sqlx::query("UPDATE disqualifications SET participant_id = $1 WHERE participant_id = $2")
                .bind(kept)
                .bind(merged)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM participants WHERE id = $1").bind(merged).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    async fn attempt_origins(&self, round_id: i64) -> Result<Vec<AttemptOrigin>> {
        Ok(on!(self, read, |p| sqlx::query_as(
            "SELECT id AS attempt_id, client_tag, device_tag FROM attempts WHERE round_id = $1 ORDER BY id"
        )
        .bind(round_id)
        .fetch_all(p)
        .await)?)
    }

    async fn disqualify(&self, d: &NewDisqualification<'_>) -> Result<i64> {
        let (id,): (i64,) = on!(self, write, |p| sqlx::query_as(
            "INSERT INTO disqualifications (contest_id, participant_id, attempt_id, reason, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        )
        .bind(d.contest_id)
        .bind(d.participant_id)
        .bind(d.attempt_id)
        .bind(d.reason)
        .bind(d.created_by)
        .bind(d.created_at)
        .fetch_one(p)
        .await)?;
        Ok(id)
    }

    async fn lift_disqualification(&self, contest_id: i64, id: i64, by: &str, reason: &str, at: i64) -> Result<bool> {
        let done = on!(self, write, |p| sqlx::query(
            "UPDATE disqualifications SET lifted_at = $3, lifted_by = $4, lift_reason = $5
             WHERE id = $1 AND contest_id = $2 AND lifted_at IS NULL"
        )
        .bind(id)
        .bind(contest_id)
        .bind(at)
        .bind(by)
        .bind(reason)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    async fn disqualifications(&self, contest_id: i64) -> Result<Vec<DisqualificationRow>> {
        Ok(on!(self, read, |p| sqlx::query_as("SELECT * FROM disqualifications WHERE contest_id = $1 ORDER BY id")
            .bind(contest_id)
            .fetch_all(p)
            .await)?)
    }

    async fn approve_ranking(&self, v: &NewRankingVersion<'_>) -> Result<(i64, i64)> {
        on!(self, write, |p| {
            async {
            let mut tx = p.begin_write().await?;
            // Two approvals of one scope at once would both read the same last version; the
            // scope's rows are few, and on PostgreSQL the advisory lock orders them.
            if matches!(self.pools, Pools::Postgres(_)) {
                sqlx::query("SELECT pg_advisory_xact_lock(7420011, CAST($1 AS INTEGER))")
                    .bind(v.contest_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let (last,): (Option<i64>,) = sqlx::query_as(
                "SELECT MAX(version) FROM published_rankings
                 WHERE contest_id = $1 AND (round_id = $2 OR (round_id IS NULL AND $2 IS NULL))",
            )
            .bind(v.contest_id)
            .bind(v.round_id)
            .fetch_one(&mut *tx)
            .await?;
            let version = last.unwrap_or(0) + 1;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO published_rankings (contest_id, round_id, published_at, body, version, reason, approved_by, public_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(v.contest_id)
            .bind(v.round_id)
            .bind(v.approved_at)
            .bind(v.body)
            .bind(version)
            .bind(v.reason)
            .bind(v.approved_by)
            .bind(v.public.then_some(v.approved_at))
            .fetch_one(&mut *tx)
            .await?;
            for chunk in v.standings.chunks(500) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO ranking_standings (ranking_id, participant_id, place, correct, time_taken_ms, distance, prize) ",
                );
                q.push_values(chunk, |mut b, s| {
                    b.push_bind(id)
                        .push_bind(s.participant_id)
                        .push_bind(s.place)
                        .push_bind(s.correct)
                        .push_bind(s.time_taken_ms)
                        .push_bind(s.distance)
                        .push_bind(s.prize.clone());
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>((id, version))
        }
        .await
        })
    }

    async fn make_ranking_public(&self, id: i64, at: i64) -> Result<bool> {
        let done = on!(self, write, |p| sqlx::query(
            "UPDATE published_rankings SET public_at = $2 WHERE id = $1 AND public_at IS NULL"
        )
        .bind(id)
        .bind(at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    async fn ranking_versions(&self, contest_id: i64, round_id: Option<i64>) -> Result<Vec<RankingVersionRow>> {
        Ok(on!(self, read, |p| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{VERSION_SELECT} WHERE contest_id = $1 AND (round_id = $2 OR (round_id IS NULL AND $2 IS NULL)) ORDER BY id DESC"
        )))
        .bind(contest_id)
        .bind(round_id)
        .fetch_all(p)
        .await
        })?)
    }

    async fn standing_in(&self, ranking_id: i64, participant_id: i64) -> Result<Option<StandingRecord>> {
        Ok(on!(self, read, |p| sqlx::query_as(
            "SELECT participant_id, place, correct, time_taken_ms, distance, prize FROM ranking_standings
             WHERE ranking_id = $1 AND participant_id = $2"
        )
        .bind(ranking_id)
        .bind(participant_id)
        .fetch_optional(p)
        .await)?)
    }

    async fn seal_submissions(&self, limit: i64, at: DateTime<Utc>, actor: &str) -> Result<Option<(AuditRow, u64)>> {
        let postgres = matches!(self.pools, Pools::Postgres(_));
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            if postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK).execute(&mut *tx).await?;
            }
            let rows: Vec<SubmissionRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SUBMISSION_SELECT} WHERE sealed_in IS NULL AND status = 'submitted' ORDER BY id LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                tx.commit().await?;
                return Ok(None);
            };
            let digest = audit::submissions_digest(rows.iter().map(SubmissionRecord::as_submission));
            let entry = NewAudit {
                at,
                account_id: None,
                actor: actor.to_string(),
                action: "attempts.seal".into(),
                contest_id: None,
                subject: format!("attempts:{}-{}", first.id, last.id),
                detail:
                    serde_json::json!({"count": rows.len(), "first_id": first.id, "last_id": last.id, "digest": digest})
                        .to_string(),
            };
            let row = append_in!(tx, &entry);
            let mut q = sqlx::QueryBuilder::new("UPDATE attempts SET sealed_in = ");
            q.push_bind(row.id).push(" WHERE id IN (");
            let mut ids = q.separated(", ");
            for r in &rows {
                ids.push_bind(r.id);
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some((row, rows.len() as u64)))
        })
    }

    async fn sealed_submissions(&self, entry_id: i64) -> Result<Vec<SubmissionRecord>> {
        Ok(on!(self, read, |p| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SUBMISSION_SELECT} WHERE sealed_in = $1 ORDER BY id"
        )))
        .bind(entry_id)
        .fetch_all(p)
        .await)?)
    }

    async fn count_attempts(&self, limit: i64) -> Result<usize> {
        self.count_pending(limit).await
    }

    async fn counters(&self, contest_id: i64, round_id: Option<i64>) -> Result<Vec<crate::CounterRow>> {
        self.read_counters(contest_id, round_id).await
    }

    async fn reset_counters(&self, contest_id: i64) -> Result<()> {
        self.reset_contest_counters(contest_id).await
    }

    async fn recount(
        &self,
        contest_id: i64,
    ) -> Result<std::collections::BTreeMap<cuocthi_domain::stats::CounterKey, cuocthi_domain::stats::Measures>> {
        self.recount_contest(contest_id).await
    }

    async fn replace_staff_list(
        &self,
        contest_id: i64,
        unit: &str,
        people: &[crate::StaffMember],
        by: &str,
        at: i64,
    ) -> Result<()> {
        SqlStore::replace_staff_list(self, contest_id, unit, people, by, at).await
    }

    async fn staff_lists(&self, contest_id: i64, units: &[String]) -> Result<Vec<crate::StaffMember>> {
        self.read_staff_lists(contest_id, units).await
    }

    async fn keys_that_took_part(&self, contest_id: i64, keys: &[String]) -> Result<Vec<String>> {
        SqlStore::keys_that_took_part(self, contest_id, keys).await
    }

    async fn insert_report(&self, r: &crate::NewReport<'_>) -> Result<Option<i64>> {
        self.add_report(r).await
    }

    async fn reports(&self, contest_id: i64, filter: &crate::ReportFilter) -> Result<Vec<crate::ReportRow>> {
        self.read_reports(contest_id, filter).await
    }

    async fn report(&self, id: i64) -> Result<Option<crate::ReportRow>> {
        self.read_report(id).await
    }

    async fn reply_report(&self, id: i64, reply: &str, by: &str, at: i64, close: bool) -> Result<bool> {
        self.write_reply(id, reply, by, at, close).await
    }

    async fn close_report(&self, id: i64, closed: Option<(&str, i64)>) -> Result<bool> {
        self.write_report_closed(id, closed).await
    }

    async fn question_voids(&self, contest_id: i64) -> Result<Vec<crate::VoidRow>> {
        self.read_voids(contest_id).await
    }

    async fn attempts_drawing(
        &self,
        contest_id: i64,
        question_id: i64,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(AttemptRow, i64)>> {
        self.read_attempts_drawing(contest_id, question_id, after_id, limit).await
    }

    async fn void_question(
        &self,
        v: &crate::NewVoid<'_>,
        entry: &NewAudit,
        rescores: &[crate::Rescore],
    ) -> Result<(crate::VoidRow, AuditRow)> {
        self.write_void(v, entry, rescores).await
    }

    async fn rescore_attempts(&self, rescores: &[crate::Rescore]) -> Result<u64> {
        self.write_rescores(rescores).await
    }
}

/// The score is the one the seal covered: a void re-scores sealed attempts (`crate::feedback`).
const SUBMISSION_SELECT: &str = "SELECT id, participant_id, answers, prediction, COALESCE(sealed_correct, correct) AS correct, time_taken_ms, submitted_at FROM attempts";

const VERSION_SELECT: &str =
    "SELECT id, contest_id, round_id, version, published_at, approved_by, reason, public_at FROM published_rankings";
