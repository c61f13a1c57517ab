//! The participant's browser session: the signed participant token in an HttpOnly cookie
//! ([`cookies::SESSION`]). The same token the API takes as `Authorization: Bearer`; the API also
//! reads the cookie, so the attempt page's script saves answers without ever seeing the token.
//! Used by the participant pages and the API; uses `http`.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use cuocthi_engine::Engine;
use cuocthi_engine::token::Claims;

use crate::cookies::{self, Cookie};

/// The raw token from the `Cookie` header, if any.
pub fn token(headers: &HeaderMap) -> Option<String> {
    cookies::SESSION.read(headers)
}

/// The browser's device id, and the cookie that gives it one when it has none yet. The id is
/// random and says nothing of the person; the store keeps only a keyed tag of it.
pub fn device(headers: &HeaderMap) -> (String, Option<Cookie<'static>>) {
    if let Some(id) = cookies::DEVICE
        .read(headers)
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return (id, None);
    }
    let id: String = cuocthi_engine::token::random_secret().chars().take(32).collect();
    let cookie = cookies::DEVICE.set(id.clone(), headers);
    (id, Some(cookie))
}

/// The participant a valid session cookie names.
pub fn claims(engine: &Engine, headers: &HeaderMap) -> Option<Claims> {
    token(headers).and_then(|t| engine.authenticate(&t).ok())
}

/// The cookie of a new session, until the token expires.
pub fn set_cookie(token: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>, request: &HeaderMap) -> Cookie<'static> {
    cookies::SESSION.set_for(token, (expires_at - now).num_seconds(), request)
}

/// The cookie that ends the session.
pub fn clear_cookie() -> Cookie<'static> {
    cookies::SESSION.clear()
}
