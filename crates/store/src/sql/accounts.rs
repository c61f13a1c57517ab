//! Staff accounts, their grants, sessions and sign-in throttling (`accounts`, `grants`,
//! `staff_sessions`, `login_throttle`).

use chrono::{DateTime, Utc};

use super::SqlStore;
use crate::console::*;
use crate::model::*;
use crate::pool::statement;
use crate::{Result, StoreError};

pub(super) async fn insert_account(
    store: &SqlStore,
    username: &str,
    password_hash: &str,
    role: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let (id,): (i64,) = statement!(
        store,
        write,
        fetch_one,
        "INSERT INTO accounts (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        username,
        password_hash,
        role,
        ms(now),
    )?;
    Ok(id)
}

pub(super) async fn account_by_username(store: &SqlStore, username: &str) -> Result<Option<AccountRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM accounts WHERE username = $1", username)?)
}

pub(super) async fn account(store: &SqlStore, id: i64) -> Result<Option<AccountRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM accounts WHERE id = $1", id)?)
}

pub(super) async fn accounts(store: &SqlStore) -> Result<Vec<AccountRow>> {
    Ok(statement!(store, read, fetch_all, "SELECT * FROM accounts ORDER BY username")?)
}

pub(super) async fn set_account_profile(
    store: &SqlStore,
    id: i64,
    full_name: &str,
    role: &str,
    disabled: bool,
) -> Result<()> {
    let sql = "UPDATE accounts SET full_name = $2, role = $3, disabled = $4 WHERE id = $1";
    let n = statement!(store, write, execute, sql, id, full_name, role, flag(disabled))?;
    if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

pub(super) async fn set_password(store: &SqlStore, id: i64, password_hash: &str) -> Result<()> {
    statement!(store, write, execute, "UPDATE accounts SET password_hash = $2 WHERE id = $1", id, password_hash)?;
    Ok(())
}

pub(super) async fn set_totp_pending(store: &SqlStore, id: i64, secret: Option<&str>) -> Result<()> {
    statement!(store, write, execute, "UPDATE accounts SET totp_pending = $2 WHERE id = $1", id, secret)?;
    Ok(())
}

pub(super) async fn set_totp_secret(store: &SqlStore, id: i64, secret: Option<&str>) -> Result<()> {
    let sql = "UPDATE accounts SET totp_secret = $2, totp_pending = NULL WHERE id = $1";
    statement!(store, write, execute, sql, id, secret)?;
    Ok(())
}

pub(super) async fn use_totp_step(store: &SqlStore, id: i64, step: i64) -> Result<bool> {
    let sql = "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2";
    Ok(statement!(store, write, execute, sql, id, step)? == 1)
}

pub(super) async fn grants_of(store: &SqlStore, account_id: i64) -> Result<Vec<GrantRow>> {
    let sql = "SELECT * FROM grants WHERE account_id = $1 ORDER BY contest_id, id";
    Ok(statement!(store, read, fetch_all, sql, account_id)?)
}

pub(super) async fn grants_on(store: &SqlStore, contest_id: i64) -> Result<Vec<GrantRow>> {
    Ok(statement!(store, read, fetch_all, "SELECT * FROM grants WHERE contest_id = $1 ORDER BY id", contest_id)?)
}

pub(super) async fn insert_grant(
    store: &SqlStore,
    account_id: i64,
    contest_id: i64,
    role: &str,
    unit_code: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let sql = "INSERT INTO grants (account_id, contest_id, role, unit_code, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let (id,): (i64,) = statement!(store, write, fetch_one, sql, account_id, contest_id, role, unit_code, ms(now))?;
    Ok(id)
}

pub(super) async fn delete_grant(store: &SqlStore, id: i64) -> Result<Option<GrantRow>> {
    Ok(statement!(store, write, fetch_optional, "DELETE FROM grants WHERE id = $1 RETURNING *", id)?)
}

pub(super) async fn insert_staff_session(store: &SqlStore, row: &StaffSessionRow) -> Result<()> {
    let sql = "INSERT INTO staff_sessions (token_hash, account_id, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)";
    let StaffSessionRow { token_hash, account_id, created_at, last_seen_at, expires_at } = row;
    statement!(store, write, execute, sql, token_hash, account_id, created_at, last_seen_at, expires_at)?;
    Ok(())
}

pub(super) async fn staff_session(store: &SqlStore, token_hash: &str) -> Result<Option<StaffSessionRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM staff_sessions WHERE token_hash = $1", token_hash)?)
}

pub(super) async fn touch_staff_session(store: &SqlStore, token_hash: &str, now: DateTime<Utc>) -> Result<()> {
    let sql = "UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1";
    statement!(store, write, execute, sql, token_hash, ms(now))?;
    Ok(())
}

pub(super) async fn delete_staff_session(store: &SqlStore, token_hash: &str) -> Result<()> {
    statement!(store, write, execute, "DELETE FROM staff_sessions WHERE token_hash = $1", token_hash)?;
    Ok(())
}

pub(super) async fn delete_staff_sessions_of(store: &SqlStore, account_id: i64) -> Result<()> {
    statement!(store, write, execute, "DELETE FROM staff_sessions WHERE account_id = $1", account_id)?;
    Ok(())
}

pub(super) async fn throttle(store: &SqlStore, key: &str) -> Result<Option<ThrottleRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM login_throttle WHERE key = $1", key)?)
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
    now: DateTime<Utc>,
    rule: &ThrottleRule,
) -> Result<Option<ThrottleRow>> {
    const SQL: &str =
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
     RETURNING key, failures, blocked_until, updated_at";
    let first_wait = if rule.free <= 1 { 1000.min(rule.max_wait_ms) } else { 0 };
    let ThrottleRule { free, max_wait_ms, forget_after_ms } = *rule;
    Ok(statement!(store, write, fetch_optional, SQL, key, ms(now), forget_after_ms, free, max_wait_ms, first_wait)?)
}

/// Gives back a try taken with [`take_try`] that turned out not to be a guess (a success, or a
/// try refused by another key before anything was checked).
pub(super) async fn give_back_try(store: &SqlStore, key: &str) -> Result<()> {
    let sql = "UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END WHERE key = $1";
    statement!(store, write, execute, sql, key)?;
    Ok(())
}

pub(super) async fn clear_throttle(store: &SqlStore, key: &str) -> Result<()> {
    statement!(store, write, execute, "DELETE FROM login_throttle WHERE key = $1", key)?;
    Ok(())
}

pub(super) async fn forget_throttles(store: &SqlStore, before: DateTime<Utc>) -> Result<u64> {
    let sql = "DELETE FROM login_throttle WHERE updated_at < $1 AND blocked_until < $1";
    Ok(statement!(store, write, execute, sql, ms(before))?)
}
