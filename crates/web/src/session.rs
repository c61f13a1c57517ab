//! The participant's browser session: the signed participant token in an HttpOnly cookie.
//! The same token the API takes as `Authorization: Bearer`; the API also reads the cookie, so the
//! attempt page's script saves answers without ever seeing the token.

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::{DateTime, Utc};
use cuocthi_engine::Engine;
use cuocthi_engine::token::Claims;

pub const COOKIE: &str = "ct_phien";

/// The browser's own random id, for the judges' review of many identities from one device.
pub const DEVICE_COOKIE: &str = "ct_thietbi";

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The raw token from the `Cookie` header, if any.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, COOKIE)
}

/// The browser's device id, and the `Set-Cookie` that gives it one when it has none yet. The id
/// is random and says nothing of the person; the store keeps only a keyed tag of it.
pub fn device(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    if let Some(id) = cookie(headers, DEVICE_COOKIE)
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return (id.to_string(), None);
    }
    let id: String = cuocthi_engine::token::random_secret().chars().take(32).collect();
    let value = format!("{DEVICE_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000");
    (id, HeaderValue::from_str(&value).ok())
}

/// The participant a valid session cookie names.
pub fn claims(engine: &Engine, headers: &HeaderMap) -> Option<Claims> {
    token(headers).and_then(|t| engine.authenticate(t).ok())
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, Path=/, until the token expires;
/// `Secure` when the request came over HTTPS through a proxy that says so.
pub fn set_cookie(token: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>, request: &HeaderMap) -> HeaderValue {
    let max_age = (expires_at - now).num_seconds().max(0);
    let secure = request.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let value = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("ct_phien=; Path=/; Max-Age=0"))
}

/// `Set-Cookie` that ends the session.
pub fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("ct_phien=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}
