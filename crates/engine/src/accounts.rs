//! Staff accounts (tài khoản quản trị). The console that uses them is built on top; this is the
//! part the CLI needs to create the first administrator — never a default password.

use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use serde::{Deserialize, Serialize};

use crate::{Engine, EngineError, Result};

/// Who a staff member is, from the widest rights to the narrowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Quản trị hệ thống.
    SystemAdmin,
    /// Ban Tổ chức.
    Organiser,
    /// Ban Giám khảo.
    Judge,
    /// Tổ Thư ký.
    Secretariat,
    /// Đầu mối đơn vị.
    UnitCoordinator,
    /// Chỉ xem.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::Organiser => "organiser",
            Role::Judge => "judge",
            Role::Secretariat => "secretariat",
            Role::UnitCoordinator => "unit_coordinator",
            Role::Viewer => "viewer",
        }
    }
}

/// Shortest password accepted for a staff account.
pub const MIN_PASSWORD_CHARS: usize = 12;

impl Engine {
    /// Creates a staff account; the password is hashed with Argon2id off the async threads.
    pub async fn create_account(&self, username: &str, password: String, role: Role) -> Result<i64> {
        let username = username.trim().to_lowercase();
        if !(3..=50).contains(&username.len())
            || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(EngineError::BadRequest(
                "Tên đăng nhập gồm 3–50 ký tự: chữ không dấu, chữ số, dấu chấm, gạch ngang, @.".into(),
            ));
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(EngineError::BadRequest(format!("Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự.")));
        }
        let hash = tokio::task::spawn_blocking(move || {
            Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string())
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?
        .map_err(|e| EngineError::Internal(e.to_string()))?;
        match self.store.insert_account(&username, &hash, role.as_str(), self.now()).await {
            Err(cuocthi_store::StoreError::Conflict(_)) => {
                Err(EngineError::Conflict(format!("Tài khoản \"{username}\" đã tồn tại.")))
            }
            other => Ok(other?),
        }
    }
}
