//! Signing staff in: password (Argon2id), a TOTP second factor, server-side sessions with idle
//! and absolute timeouts, and throttling that slows guessing without letting an attacker lock the
//! real user out. An account with an authenticator app must give its code at every sign-in; one
//! without is let in to set it up first (the console sends it nowhere else: every role reads
//! personal data or can change results, so every account needs one outside a demo).

use chrono::{DateTime, Duration, Utc};
use cuocthi_store::StaffSessionRow;
use serde_json::json;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

use super::access::Staff;
use super::accounts::grant_of;
use crate::shared::throttle::{STAFF_ACCOUNT, STAFF_ADDRESS, STAFF_PAIR};
use crate::{Engine, EngineError, Result, token};

/// A session ends after this long without a request…
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// …and after this long in any case.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// A session's last-seen time is written at most this often.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// What a sign-in form sends.
pub struct SignIn<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The six-digit code of the authenticator app, when the account has one.
    pub code: Option<&'a str>,
    /// The client's address, as the web layer trusts it.
    pub address: &'a str,
}

/// A new staff session: the id goes in a cookie and is never stored.
pub struct StaffSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The secret shown while an account sets up its authenticator app.
pub struct TotpSetup {
    pub secret: String,
    /// `otpauth://` address for the QR code.
    pub url: String,
}

fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn totp(secret_b32: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    Builder::new().with_secret(secret).build().ok()
}

/// The time step of a valid code for `secret` at `now`, if the code is one.
fn totp_step(secret_b32: &str, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let t = totp(secret_b32)?;
    t.check(&code, u64::try_from(now.timestamp()).ok()?).and_then(|s| i64::try_from(s).ok())
}

const BAD_CREDENTIALS: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";

impl Engine {
    /// Signs a staff member in and opens a new session (a new id every time, so an id planted
    /// before sign-in is worth nothing after it).
    pub async fn sign_in(&self, form: SignIn<'_>) -> Result<StaffSession> {
        let now = self.now();
        let username = form.username.trim().to_lowercase();
        let pair_key = format!("u:{username}|a:{}", form.address);
        let account_key = format!("u:{username}");
        let address_key = format!("a:{}", form.address);
        // The try is counted before the password is checked (one atomic step per key), so
        // guesses sent at once are checked at most as many times as the throttle allows.
        let taken = self
            .take_try(&[(&pair_key, STAFF_PAIR), (&account_key, STAFF_ACCOUNT), (&address_key, STAFF_ADDRESS)])
            .await?;
        let account = self.store.account_by_username(&username).await?;
        // Unknown accounts cost the same hash as known ones: timing tells nothing.
        let hash = match &account {
            Some(a) => a.password_hash.clone(),
            None => self.dummy_hash().await?,
        };
        let password_ok = self.verify_password(form.password.to_string(), hash).await?;
        let account = match account {
            Some(a) if password_ok && a.disabled == 0 => a,
            _ => {
                taken.failed();
                return Err(EngineError::SignInFailed(BAD_CREDENTIALS.into()));
            }
        };
        if let Some(secret) = &account.totp_secret {
            let Some(code) = form.code.filter(|c| !c.trim().is_empty()) else {
                // The right password without the code yet: the form's first step, not a guess.
                self.give_back(taken).await?;
                return Err(EngineError::SignInFailed("Nhập mã xác thực 6 số từ ứng dụng xác thực.".into()));
            };
            let fresh = match totp_step(secret, code, now) {
                Some(step) => self.store.use_totp_step(account.id, step).await?,
                None => false,
            };
            if !fresh {
                taken.failed();
                return Err(EngineError::SignInFailed("Mã xác thực không đúng hoặc đã được dùng.".into()));
            }
        }
        // The pair starts again; the account and the address only get this try back, so the
        // real user signing in does not wipe out guesses counted against them from elsewhere.
        self.try_succeeded(taken, &[&pair_key]).await?;
        let token = token::random_secret();
        let expires_at = now + ABSOLUTE_TIMEOUT;
        self.store
            .insert_staff_session(&StaffSessionRow {
                token_hash: hash_token(&token),
                account_id: account.id,
                created_at: now.timestamp_millis(),
                last_seen_at: now.timestamp_millis(),
                expires_at: expires_at.timestamp_millis(),
            })
            .await?;
        self.record_as(
            Some(account.id),
            &account.username,
            "session.sign_in",
            None,
            "session",
            json!({"address": form.address}),
        )
        .await?;
        Ok(StaffSession { token, expires_at })
    }

    async fn dummy_hash(&self) -> Result<String> {
        if let Some(h) = self.dummy_hash.get() {
            return Ok(h.clone());
        }
        let h = self.hash_password(token::random_secret()).await?;
        Ok(self.dummy_hash.get_or_init(|| h).clone())
    }

    /// The staff member a session id belongs to, if the session is still alive.
    pub async fn staff(&self, token: &str) -> Result<Staff> {
        let now = self.now();
        let key = hash_token(token);
        let s = self.store.staff_session(&key).await?.ok_or(EngineError::Unauthenticated)?;
        let idle_end = s.last_seen_at + IDLE_TIMEOUT.num_milliseconds();
        if now.timestamp_millis() >= s.expires_at || now.timestamp_millis() >= idle_end {
            self.store.delete_staff_session(&key).await?;
            return Err(EngineError::Unauthenticated);
        }
        let a = self.store.account(s.account_id).await?.ok_or(EngineError::Unauthenticated)?;
        if a.disabled != 0 {
            return Err(EngineError::Unauthenticated);
        }
        if now.timestamp_millis() - s.last_seen_at >= TOUCH_EVERY.num_milliseconds() {
            self.store.touch_staff_session(&key, now).await?;
        }
        let grants = self.store.grants_of(a.id).await?.iter().filter_map(grant_of).collect();
        Ok(Staff {
            account_id: a.id,
            username: a.username,
            full_name: a.full_name,
            system_admin: a.role == "system_admin",
            has_totp: a.totp_secret.is_some(),
            grants,
            session: key,
        })
    }

    pub async fn sign_out(&self, staff: &Staff) -> Result<()> {
        self.store.delete_staff_session(&staff.session).await?;
        self.record(Some(staff), "session.sign_out", None, "session", json!({})).await
    }

    /// Starts (or restarts) setting up an authenticator app: a fresh secret, kept pending until a
    /// code from the app proves it was scanned.
    pub async fn begin_totp(&self, staff: &Staff) -> Result<TotpSetup> {
        let bytes: [u8; 20] = rand::random();
        let secret = Secret::from(bytes.to_vec()).to_base32();
        self.store.set_totp_pending(staff.account_id, Some(&secret)).await?;
        Ok(TotpSetup { url: otpauth_url(&staff.username, &secret), secret })
    }

    /// The pending secret, to show again after a wrong code.
    pub async fn pending_totp(&self, staff: &Staff) -> Result<Option<TotpSetup>> {
        let a = self.store.account(staff.account_id).await?.ok_or(EngineError::Unauthenticated)?;
        Ok(a.totp_pending.map(|secret| TotpSetup { url: otpauth_url(&staff.username, &secret), secret }))
    }

    /// Confirms the pending secret with a code from the app; from now on sign-in asks for a code.
    pub async fn confirm_totp(&self, staff: &Staff, code: &str) -> Result<()> {
        let now = self.now();
        let a = self.store.account(staff.account_id).await?.ok_or(EngineError::Unauthenticated)?;
        let secret = a
            .totp_pending
            .ok_or_else(|| EngineError::BadRequest("Hãy bắt đầu lại việc cài đặt mã xác thực.".into()))?;
        let step = totp_step(&secret, code, now).ok_or_else(|| {
            EngineError::BadRequest("Mã xác thực không đúng; hãy nhập mã đang hiện trong ứng dụng.".into())
        })?;
        self.store.use_totp_step(a.id, step).await?;
        self.store.set_totp_secret(a.id, Some(&secret)).await?;
        self.record(Some(staff), "account.totp_on", None, &format!("account:{}", a.id), json!({})).await
    }

    /// Removes an account's second factor and ends its sessions (the CLI's recovery for a lost
    /// phone, run by whoever administers the server).
    pub async fn reset_second_factor(&self, username: &str) -> Result<()> {
        let a = self
            .store
            .account_by_username(&username.trim().to_lowercase())
            .await?
            .ok_or(EngineError::NotFound("tài khoản"))?;
        self.store.set_totp_secret(a.id, None).await?;
        self.store.delete_staff_sessions_of(a.id).await?;
        self.record(None, "account.totp_reset", None, &format!("account:{}", a.id), json!({"username": a.username}))
            .await
    }

    /// The current code for a secret: for tests and for the CLI's recovery help.
    pub fn totp_code(secret_b32: &str, at: DateTime<Utc>) -> Option<String> {
        Some(totp(secret_b32)?.generate(u64::try_from(at.timestamp()).ok()?).to_string())
    }
}

fn otpauth_url(username: &str, secret: &str) -> String {
    let label: String = username
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c.to_string()
            } else {
                format!("%{:02X}", u32::from(c))
            }
        })
        .collect();
    format!("otpauth://totp/cuocthi:{label}?secret={secret}&issuer=cuocthi&algorithm=SHA1&digits=6&period=30")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_valid_in_its_step_and_the_next() {
        let secret = Secret::from([7u8; 20].to_vec()).to_base32();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let code = Engine::totp_code(&secret, now).unwrap_or_default();
        assert!(totp_step(&secret, &code, now).is_some());
        assert!(totp_step(&secret, &code, now + Duration::seconds(30)).is_some());
        assert!(totp_step(&secret, &code, now + Duration::seconds(120)).is_none());
        assert!(totp_step(&secret, "12345x", now).is_none());
    }

    #[test]
    fn usernames_are_escaped_in_the_otpauth_label() {
        assert!(otpauth_url("a@b.vn", "ABC").starts_with("otpauth://totp/cuocthi:a%40b.vn?secret=ABC"));
    }
}
