//! Staff accounts (tài khoản quản trị) and their grants on contests. The first administrator
//! comes from the CLI (`cuocthi admin create`) — there is never a default password.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use cuocthi_store::{AccountRow, StoreError};
use serde::Serialize;
use serde_json::json;

use super::access::{Action, Grant, Role, Staff};
use crate::shared::throttle::STAFF_ACCOUNT;
use crate::{Engine, EngineError, Result};

/// Shortest password accepted for a staff account.
pub const MIN_PASSWORD_CHARS: usize = 12;

const WRONG_CURRENT_PASSWORD: &str = "Mật khẩu hiện tại không đúng; mật khẩu chưa được đổi.";

/// An account as the console lists it: never the hash or the TOTP secret.
#[derive(Clone, Debug, Serialize)]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub system_admin: bool,
    pub has_totp: bool,
    pub disabled: bool,
    pub grants: Vec<Grant>,
}

fn check_username(username: &str) -> Result<String> {
    let username = username.trim().to_lowercase();
    if !(3..=50).contains(&username.len()) || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(EngineError::BadRequest(
            "Tên đăng nhập gồm 3–50 ký tự: chữ không dấu, chữ số, dấu chấm, gạch ngang, @.".into(),
        ));
    }
    Ok(username)
}

fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(EngineError::BadRequest(format!("Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự.")));
    }
    Ok(())
}

pub(crate) fn grant_of(g: &cuocthi_store::GrantRow) -> Option<Grant> {
    Some(Grant {
        id: g.id,
        contest_id: g.contest_id,
        role: Role::parse(&g.role)?,
        unit: Some(g.unit_code.clone()).filter(|u| !u.is_empty()),
    })
}

impl Engine {
    /// Hashes a password with Argon2id off the async threads, a few at a time (each takes
    /// ~19 MiB and tens of ms): a burst of sign-ins queues instead of exhausting memory.
    pub(crate) async fn hash_password(&self, password: String) -> Result<String> {
        let _permit = self.hashing.acquire().await.map_err(|e| EngineError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()))
            .await
            .map_err(|e| EngineError::Internal(e.into()))?
            .map_err(|e| EngineError::Internal(e.into()))
    }

    /// Whether `password` matches `hash`, under the same bound as [`Engine::hash_password`].
    pub(crate) async fn verify_password(&self, password: String, hash: String) -> Result<bool> {
        let _permit = self.hashing.acquire().await.map_err(|e| EngineError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        })
        .await
        .map_err(|e| EngineError::Internal(e.into()))
    }

    /// Creates a staff account: a system administrator, or an account whose rights come from the
    /// grants it is given later. Used by the CLI (no actor) and by administrators in the console.
    pub async fn create_account(&self, username: &str, password: String, role: Role) -> Result<i64> {
        let username = check_username(username)?;
        check_password(&password)?;
        let hash = self.hash_password(password).await?;
        let stored_role = if role == Role::SystemAdmin { "system_admin" } else { "staff" };
        let id = match self.store.insert_account(&username, &hash, stored_role, self.now()).await {
            Err(StoreError::Conflict(_)) => {
                return Err(EngineError::Conflict(format!("Tài khoản \"{username}\" đã tồn tại.")));
            }
            other => other?,
        };
        self.record(
            None,
            "account.create",
            None,
            &format!("account:{id}"),
            json!({"username": username, "role": stored_role}),
        )
        .await?;
        Ok(id)
    }

    /// Creates an account from the console.
    pub async fn add_account(
        &self,
        by: &Staff,
        username: &str,
        full_name: &str,
        password: String,
        admin: bool,
    ) -> Result<i64> {
        by.require(Action::ManageAccounts, None)?;
        let id = self.create_account(username, password, if admin { Role::SystemAdmin } else { Role::Viewer }).await?;
        self.store
            .set_account_profile(id, full_name.trim(), if admin { "system_admin" } else { "staff" }, false)
            .await?;
        self.record(
            Some(by),
            "account.profile",
            None,
            &format!("account:{id}"),
            json!({"full_name": full_name.trim()}),
        )
        .await?;
        Ok(id)
    }

    fn account_view(a: AccountRow, grants: Vec<Grant>) -> AccountView {
        AccountView {
            id: a.id,
            username: a.username,
            full_name: a.full_name,
            system_admin: a.role == "system_admin",
            has_totp: a.totp_secret.is_some(),
            disabled: a.disabled != 0,
            grants,
        }
    }

    pub async fn accounts(&self, by: &Staff) -> Result<Vec<AccountView>> {
        by.require(Action::ManageAccounts, None)?;
        let mut out = Vec::new();
        for a in self.store.accounts().await? {
            let grants = self.store.grants_of(a.id).await?.iter().filter_map(grant_of).collect();
            out.push(Engine::account_view(a, grants));
        }
        Ok(out)
    }

    /// Accounts with a role on a contest, for its organisers.
    pub async fn contest_team(&self, by: &Staff, contest_id: i64) -> Result<Vec<(Grant, String)>> {
        by.require(Action::ManageGrants, Some(contest_id))?;
        let mut out = Vec::new();
        for g in self.store.grants_on(contest_id).await? {
            let name = self.store.account(g.account_id).await?.map(|a| a.username).unwrap_or_default();
            if let Some(grant) = grant_of(&g) {
                out.push((grant, name));
            }
        }
        Ok(out)
    }

    /// Gives an account a role on a contest. Organisers may staff their own contest; only a
    /// system administrator makes organisers.
    pub async fn grant(
        &self,
        by: &Staff,
        username: &str,
        contest_id: i64,
        role: Role,
        unit: Option<&str>,
    ) -> Result<i64> {
        by.require(Action::ManageGrants, Some(contest_id))?;
        if role == Role::SystemAdmin || (role == Role::Organiser && !by.system_admin) {
            return Err(EngineError::Forbidden);
        }
        let unit = unit.map(str::trim).filter(|u| !u.is_empty()).unwrap_or_default();
        if (role == Role::UnitCoordinator) == unit.is_empty() {
            return Err(EngineError::BadRequest("Chỉ đầu mối đơn vị gắn với một đơn vị; hãy chọn đơn vị.".into()));
        }
        let c = self.contest_by_id(contest_id).await?;
        if !unit.is_empty() && !c.spec.units.iter().any(|u| u.code == unit) {
            return Err(EngineError::BadRequest(format!("Không có đơn vị mã \"{unit}\" trong cuộc thi.")));
        }
        let account = self
            .store
            .account_by_username(&username.trim().to_lowercase())
            .await?
            .ok_or(EngineError::NotFound("tài khoản"))?;
        let id = match self.store.insert_grant(account.id, contest_id, role.as_str(), unit, self.now()).await {
            Err(StoreError::Conflict(_)) => return Err(EngineError::Conflict("Tài khoản đã có vai trò này.".into())),
            other => other?,
        };
        self.record(
            Some(by),
            "grant.add",
            Some(contest_id),
            &format!("account:{}", account.id),
            json!({"username": account.username, "role": role.as_str(), "unit": unit}),
        )
        .await?;
        Ok(id)
    }

    pub async fn revoke(&self, by: &Staff, contest_id: i64, grant_id: i64) -> Result<()> {
        by.require(Action::ManageGrants, Some(contest_id))?;
        let on_contest = self.store.grants_on(contest_id).await?;
        let g = on_contest.iter().find(|g| g.id == grant_id).ok_or(EngineError::NotFound("vai trò"))?;
        if g.role == Role::Organiser.as_str() && !by.system_admin {
            return Err(EngineError::Forbidden);
        }
        self.store.delete_grant(grant_id).await?;
        self.record(
            Some(by),
            "grant.remove",
            Some(contest_id),
            &format!("account:{}", g.account_id),
            json!({"role": g.role, "unit": g.unit_code}),
        )
        .await
    }

    /// Changes one's own password. The current password is asked first, so that a session left
    /// open (or stolen) is not enough to take the account over; a wrong one is counted against the
    /// account like a failed sign-in. Every session of the account ends.
    pub async fn change_own_password(&self, by: &Staff, current: &str, new: String) -> Result<()> {
        check_password(&new)?;
        let account = self.store.account(by.account_id).await?.ok_or(EngineError::Unauthenticated)?;
        let account_key = format!("u:{}", account.username);
        let taken = self.take_try(&[(&account_key, STAFF_ACCOUNT)]).await?;
        if !self.verify_password(current.to_string(), account.password_hash).await? {
            taken.failed();
            return Err(EngineError::BadRequest(WRONG_CURRENT_PASSWORD.into()));
        }
        self.give_back(taken).await?;
        self.store_password(by, account.id, new, "account.password", json!({})).await
    }

    /// Sets another account's password (a forgotten one): a system administrator's action of its
    /// own in the audit log, naming whose password it was; that account's sessions end. One's own
    /// password is changed with [`Engine::change_own_password`], which asks for the current one.
    /// Returns the account's username.
    pub async fn reset_password(&self, by: &Staff, account_id: i64, new: String) -> Result<String> {
        by.require(Action::ManageAccounts, None)?;
        if account_id == by.account_id {
            return Err(EngineError::BadRequest(
                "Đổi mật khẩu của chính mình ở trang Bảo mật, bằng mật khẩu hiện tại.".into(),
            ));
        }
        check_password(&new)?;
        let a = self.store.account(account_id).await?.ok_or(EngineError::NotFound("tài khoản"))?;
        self.store_password(by, a.id, new, "account.password_reset", json!({"username": a.username})).await?;
        Ok(a.username)
    }

    /// Stores a new password and ends every session of the account, so that whoever held one
    /// with the old password is out at once on every node.
    async fn store_password(
        &self,
        by: &Staff,
        account_id: i64,
        password: String,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let hash = self.hash_password(password).await?;
        self.store.set_password(account_id, &hash).await?;
        self.store.delete_staff_sessions_of(account_id).await?;
        self.record(Some(by), action, None, &format!("account:{account_id}"), detail).await
    }

    /// Removes another account's second factor (a lost or replaced phone), from the console: the
    /// account signs in with its password alone and must set up an authenticator app again
    /// before anything else (see `cuocthi_web::SecondFactor`). Its sessions end at once. The CLI's
    /// `admin reset-totp` does the same for whoever runs the server (see
    /// [`Engine::reset_second_factor`]).
    pub async fn reset_account_second_factor(&self, by: &Staff, account_id: i64) -> Result<String> {
        by.require(Action::ManageAccounts, None)?;
        if account_id == by.account_id {
            return Err(EngineError::BadRequest(
                "Không gỡ xác thực hai lớp của chính tài khoản đang dùng; hãy nhờ một quản trị hệ thống khác.".into(),
            ));
        }
        let a = self.store.account(account_id).await?.ok_or(EngineError::NotFound("tài khoản"))?;
        self.store.set_totp_pending(a.id, None).await?;
        self.store.set_totp_secret(a.id, None).await?;
        self.store.delete_staff_sessions_of(a.id).await?;
        self.record(
            Some(by),
            "account.totp_reset",
            None,
            &format!("account:{}", a.id),
            json!({"username": a.username}),
        )
        .await?;
        Ok(a.username)
    }

    /// Locks or unlocks an account; a locked account's sessions end at once.
    pub async fn set_disabled(&self, by: &Staff, account_id: i64, disabled: bool) -> Result<()> {
        by.require(Action::ManageAccounts, None)?;
        if account_id == by.account_id {
            return Err(EngineError::BadRequest("Không thể tự khoá tài khoản đang dùng.".into()));
        }
        let a = self.store.account(account_id).await?.ok_or(EngineError::NotFound("tài khoản"))?;
        self.store.set_account_profile(account_id, &a.full_name, &a.role, disabled).await?;
        if disabled {
            self.store.delete_staff_sessions_of(account_id).await?;
        }
        self.record(Some(by), "account.disabled", None, &format!("account:{account_id}"), json!({"disabled": disabled}))
            .await
    }
}
