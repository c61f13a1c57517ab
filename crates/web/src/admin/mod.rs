//! The organisers' console (trang quản trị) under `/admin`: server-rendered pages in the same
//! style as the participant's, behind a staff session. Every page takes a [`StaffUser`]; the
//! engine checks the role of every use case, so a page cannot show what its viewer may not see.

mod accounts;
mod auth;
mod bank;
mod contests;
mod feedback;
mod import_jobs;
mod lists;
mod materials;
mod people;
mod results;
mod review;
mod statistics;
mod units;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Multipart};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use cuocthi_engine::EngineError;
use cuocthi_engine::console::Staff;

use crate::AppState;
use crate::participant::{PageError, see_other};

pub use import_jobs::ImportJobs;

/// The staff session cookie: only ever sent to `/admin`.
pub const COOKIE: &str = "ct_quantri";

/// The largest file an organiser may upload (question banks, unit lists).
pub const UPLOAD_LIMIT: usize = 25 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(accounts::routes())
        .merge(contests::routes())
        .merge(feedback::routes())
        .merge(bank::routes())
        .merge(people::routes())
        .merge(lists::routes())
        .merge(materials::routes())
        .merge(results::routes())
        .merge(review::routes())
        .merge(statistics::routes())
        .merge(units::routes())
}

/// The signed-in staff member of a console request. Without a live session the request is sent
/// to the sign-in page; a system administrator without a second factor is sent to set one up.
pub struct StaffUser(pub Staff);

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers) else {
            return Err(see_other("/admin/dang-nhap"));
        };
        let staff = match s.engine.staff(token).await {
            Ok(staff) => staff,
            Err(EngineError::Unauthenticated) => {
                let mut resp = see_other("/admin/dang-nhap");
                resp.headers_mut().insert(header::SET_COOKIE, clear_cookie());
                return Err(resp);
            }
            Err(e) => return Err(PageError::from(e).into_response()),
        };
        if staff.system_admin && !staff.has_totp && !parts.uri.path().starts_with("/admin/bao-mat") {
            return Err(see_other("/admin/bao-mat"));
        }
        Ok(StaffUser(staff))
    }
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// HttpOnly, SameSite=Strict, only for `/admin`, for the session's whole life at most; `Secure`
/// behind an HTTPS proxy that says so.
fn set_cookie(token: &str, max_age_seconds: i64, request: &HeaderMap) -> HeaderValue {
    let secure = request.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let value = format!(
        "{COOKIE}={token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| clear_cookie())
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("ct_quantri=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The client's address for sign-in throttling: the connection's peer, or the address a trusted
/// proxy appended last to `X-Forwarded-For` (the first entries are whatever the client wrote).
pub fn client_address(parts_headers: &HeaderMap, peer: Option<SocketAddr>, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer else { return "unknown".into() };
    if trusted.contains(&peer.ip())
        && let Some(forwarded) = parts_headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return forwarded.to_string();
    }
    peer.ip().to_string()
}

/// The peer address, when the server put it in the request.
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

/// What every console page shows in its frame.
pub struct Frame {
    pub username: String,
    pub system_admin: bool,
}

impl Frame {
    pub fn of(staff: &Staff) -> Frame {
        Frame { username: staff.username.clone(), system_admin: staff.system_admin }
    }
}

/// An upload form: its text fields and its one file (`file`).
pub(crate) struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Option<(String, Vec<u8>)>,
}

/// Reads an upload form; a broken or oversized upload is a message, not a 500.
pub(crate) async fn upload_form(mut multipart: Multipart) -> Result<Upload, String> {
    let unreadable = |_| "Không đọc được tệp tải lên (tệp quá lớn hoặc quá trình tải bị ngắt).".to_string();
    let mut form = Upload { fields: Default::default(), file: None };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("tep").to_string();
            let bytes = field.bytes().await.map_err(unreadable)?;
            if !bytes.is_empty() {
                form.file = Some((file_name, bytes.to_vec()));
            }
        } else if form.fields.len() < 20 {
            let value = field.text().await.map_err(unreadable)?;
            form.fields.insert(name, value);
        }
    }
    Ok(form)
}

/// Reads the one file of an upload form.
pub(crate) async fn the_file(multipart: Multipart) -> Result<(String, Vec<u8>), String> {
    upload_form(multipart).await?.file.ok_or_else(|| "Hãy chọn một tệp.".to_string())
}

/// What an upload form's use case came to, for its page: `(error, notice)`. Mistakes in the file
/// (bad request, invalid definition) are shown on the page; anything else is an error page.
pub(crate) fn outcome(done: Result<String, EngineError>) -> Result<(Option<String>, Option<String>), EngineError> {
    match done {
        Ok(notice) => Ok((None, Some(notice))),
        Err(EngineError::BadRequest(m)) => Ok((Some(m), None)),
        Err(EngineError::Definition(errors)) => {
            Ok((Some(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ")), None))
        }
        Err(e) => Err(e),
    }
}
