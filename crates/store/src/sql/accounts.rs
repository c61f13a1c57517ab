//! Staff accounts, their grants, sessions and sign-in throttling (`accounts`, `grants`,
//! `staff_sessions`, `login_throttle`).

use chrono::{DateTime, Utc};

use super::SqlStore;
use crate::console::*;
use crate::model::*;
use crate::pool::on;
use crate::{Result, StoreError};

pub(super) async fn insert_account(
    store: &SqlStore,
    username: &str,
    password_hash: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (id,): (i64,) = on!(store, write, |p| sqlx::query_as(
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

pub(super) async fn account_by_username(store: &SqlStore, username: &str) -> Result<Option<AccountRow>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_optional(p)
        .await)?)
}

pub(super) async fn account(store: &SqlStore, id: i64) -> Result<Option<AccountRow>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM accounts WHERE id = $1").bind(id).fetch_optional(p).await)?)
}

pub(super) async fn accounts(store: &SqlStore) -> Result<Vec<AccountRow>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM accounts ORDER BY username").fetch_all(p).await)?)
}

pub(super) async fn set_account_profile(
    store: &SqlStore,
    id: i64,
    full_name: &str,
    role: &str,
    disabled: bool,
) -> Result<()> {
    let n = on!(store, write, |p| sqlx::query(
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

pub(super) async fn set_password(store: &SqlStore, id: i64, password_hash: &str) -> Result<()> {
    on!(store, write, |p| sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(password_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) async fn set_totp_pending(store: &SqlStore, id: i64, secret: Option<&str>) -> Result<()> {
    on!(store, write, |p| sqlx::query("UPDATE accounts SET totp_pending = $2 WHERE id = $1")
        .bind(id)
        .bind(secret)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) async fn set_totp_secret(store: &SqlStore, id: i64, secret: Option<&str>) -> Result<()> {
    on!(store, write, |p| sqlx::query("UPDATE accounts SET totp_secret = $2, totp_pending = NULL WHERE id = $1")
        .bind(id)
        .bind(secret)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) async fn use_totp_step(store: &SqlStore, id: i64, step: i64) -> Result<bool> {
    let n = on!(store, write, |p| sqlx::query(
        "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2"
    )
    .bind(id)
    .bind(step)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub(super) async fn grants_of(store: &SqlStore, account_id: i64) -> Result<Vec<GrantRow>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM grants WHERE account_id = $1 ORDER BY contest_id, id")
        .bind(account_id)
        .fetch_all(p)
        .await)?)
}

pub(super) async fn grants_on(store: &SqlStore, contest_id: i64) -> Result<Vec<GrantRow>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM grants WHERE contest_id = $1 ORDER BY id")
        .bind(contest_id)
        .fetch_all(p)
        .await)?)
}

pub(super) async fn insert_grant(
    store: &SqlStore,
    account_id: i64,
    contest_id: i64,
    role: &str,
    unit_code: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (id,): (i64,) = on!(store, write, |p| {
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

pub(super) async fn delete_grant(store: &SqlStore, id: i64) -> Result<Option<GrantRow>> {
    Ok(on!(store, write, |p| sqlx::query_as("DELETE FROM grants WHERE id = $1 RETURNING *")
        .bind(id)
        .fetch_optional(p)
        .await)?)
}

pub(super) async fn insert_staff_session(store: &SqlStore, row: &StaffSessionRow) -> Result<()> {
    on!(store, write, |p| {
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

pub(super) async fn staff_session(store: &SqlStore, token_hash: &str) -> Result<Option<StaffSessionRow>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM staff_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(p)
        .await)?)
}

pub(super) async fn touch_staff_session(store: &SqlStore, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
    on!(store, write, |p| sqlx::query("UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(ms(now))
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) async fn delete_staff_session(store: &SqlStore, token_hash: &str) -> Result<()> {
    on!(store, write, |p| sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) async fn delete_staff_sessions_of(store: &SqlStore, account_id: i64) -> Result<()> {
    on!(store, write, |p| sqlx::query("DELETE FROM staff_sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) async fn throttle(store: &SqlStore, key: &str) -> Result<Option<ThrottleRow>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM login_throttle WHERE key = $1")
        .bind(key)
        .fetch_optional(p)
        .await)?)
}

/// Takes one try for `key` in one statement, the count and the check together, so that tries sent
/// at once cannot all pass one read of the count: `Some(row)` (the row after counting this try)
/// when the key was not waiting, `None` when it was (nothing is counted then). The try that
/// reaches `rule.free` tries, and each after it, makes the next one wait: 1 s, then twice the
/// previous wait, up to `rule.max_wait_ms`; a key left alone for `rule.forget_after_ms` starts
/// again from one. The previous wait is read back as `blocked_until - updated_at`.
pub(super) async fn take_try(
    store: &SqlStore,
    key: &str,
    now_ms: i64,
    rule: &ThrottleRule,
) -> Result<Option<ThrottleRow>> {
    let first_wait = if rule.free <= 1 { 1000.min(rule.max_wait_ms) } else { 0 };
    Ok(on!(store, write, |p| sqlx::query_as(
        "INSERT INTO login_throttle AS t (key, failures, blocked_until, updated_at) VALUES ($1, 1, $2 + $6, $2)
         ON CONFLICT (key) DO UPDATE SET
            failures = CASE WHEN $2 - t.updated_at > $3 THEN 1 ELSE t.failures + 1 END,
            blocked_until = $2 + CASE
                WHEN (CASE WHEN $2 - t.updated_at > $3 THEN 1 ELSE t.failures + 1 END) < $4 THEN 0
                WHEN t.blocked_until - t.updated_at < 1000 THEN 1000
                WHEN 2 * (t.blocked_until - t.updated_at) > $5 THEN $5
                ELSE 2 * (t.blocked_until - t.updated_at) END,
            updated_at = $2
         WHERE t.blocked_until <= $2
         RETURNING key, failures, blocked_until, updated_at",
    )
    .bind(key)
    .bind(now_ms)
    .bind(rule.forget_after_ms)
    .bind(rule.free)
    .bind(rule.max_wait_ms)
    .bind(first_wait)
    .fetch_optional(p)
    .await)?)
}

/// Gives back a try taken with [`take_try`] that turned out not to be a guess (a success, or a
/// try refused by another key before anything was checked).
pub(super) async fn give_back_try(store: &SqlStore, key: &str) -> Result<()> {
    on!(store, write, |p| sqlx::query(
        "UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END WHERE key = $1"
    )
    .bind(key)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub(super) async fn clear_throttle(store: &SqlStore, key: &str) -> Result<()> {
    on!(store, write, |p| sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
