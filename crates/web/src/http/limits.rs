//! How much of a request body each route reads. The unauthenticated forms (staff sign-in, a
//! participant's identification and registration, the results look-up) and the JSON API need a
//! few hundred bytes, so a guesser or a flood cannot make the server read megabytes before the
//! first check; only the console's upload forms take files. A body over its route's limit is
//! answered 413 whether its length was declared (`Content-Length`, refused before reading) or
//! not (a chunked body, cut off at the limit).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::{ErrorBody, ErrorDetail};
use super::page::PageError;

/// Forms and JSON bodies of the public side and the console's sign-in.
pub const FORM_LIMIT: usize = 16 * 1024;
/// The attempt page's one form: up to 200 answers, each question with its report box (up to 1,000
/// characters, up to 9 KB once form-encoded), which a person without JavaScript may fill several of.
pub const ATTEMPT_FORM_LIMIT: usize = 256 * 1024;
/// A signed-in staff member's forms: a contest's definition is tens of KiB once form-encoded.
pub const CONSOLE_FORM_LIMIT: usize = 1024 * 1024;
/// Files uploaded to the console: question banks, unit and staff lists, materials, the logo.
pub const UPLOAD_LIMIT: usize = 25 * 1024 * 1024;

/// The console's sign-in: anyone may post to it, so it gets the public forms' limit.
const SIGN_IN: &str = "/admin/dang-nhap";

/// The routes the attempt page's form posts to (`crates/web/src/participant/mod.rs`).
const ATTEMPT_FORM_ROUTES: [&str; 2] = ["/bai-thi/{id}/luu", "/bai-thi/{id}/nop"];

/// The console's routes whose forms carry a file (`crates/web/src/admin/mod.rs`; a test checks
/// each is one of the console's routes).
pub const UPLOAD_ROUTES: [&str; 7] = [
    "/admin/cuoc-thi/{slug}/nhap-cau-hoi",
    "/admin/cuoc-thi/{slug}/don-vi",
    "/admin/cuoc-thi/{slug}/loai-tru",
    "/admin/cuoc-thi/{slug}/don-vi/{code}/danh-sach",
    "/admin/cuoc-thi/{slug}/tai-lieu",
    "/admin/cuoc-thi/{slug}/bieu-trung",
    "/admin/cuoc-thi/{slug}/tham-gia/{unit}/danh-sach-can-bo",
];

/// The most a route (its pattern, as the router matched it) reads of a body.
pub fn limit_of(route: &str) -> usize {
    if UPLOAD_ROUTES.contains(&route) {
        UPLOAD_LIMIT
    } else if ATTEMPT_FORM_ROUTES.contains(&route) {
        ATTEMPT_FORM_LIMIT
    } else if route.starts_with("/admin/") && route != SIGN_IN {
        CONSOLE_FORM_LIMIT
    } else {
        FORM_LIMIT
    }
}

/// Caps the body of the matched route at [`limit_of`] it. A handler sees an over-long body as a
/// read error and would answer it as a malformed form (400); the cut is remembered instead, and
/// the answer is 413 whatever the handler made of it.
pub async fn limit_body(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_default();
    let limit = limit_of(&route);
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large(&route, limit);
    }
    let cut = Arc::new(AtomicBool::new(false));
    let seen = cut.clone();
    let (parts, body) = req.into_parts();
    let body = Limited::new(body, limit).map_err(move |e| {
        if e.is::<LengthLimitError>() {
            seen.store(true, Ordering::Relaxed);
        }
        e
    });
    let resp = next.run(Request::from_parts(parts, Body::new(body))).await;
    if cut.load(Ordering::Relaxed) { too_large(&route, limit) } else { resp }
}

/// 413, as JSON for the API and as a page elsewhere.
fn too_large(route: &str, limit: usize) -> Response {
    let message = format!("Dữ liệu gửi lên quá lớn: tối đa {}.", size(limit));
    if route.starts_with("/api/") {
        let error = ErrorDetail { code: "too_large".into(), message, fields: Vec::new(), report: None };
        (StatusCode::PAYLOAD_TOO_LARGE, Json(ErrorBody { error })).into_response()
    } else {
        PageError::with_status(StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
    }
}

/// A limit as people write it: `16 KB`, `25 MB`.
fn size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB { format!("{} MB", bytes / MB) } else { format!("{} KB", bytes / 1024) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_has_the_limit_it_needs() {
        assert_eq!(limit_of("/admin/dang-nhap"), FORM_LIMIT, "anyone may post to the sign-in");
        assert_eq!(limit_of("/api/v1/contests/{slug}/sessions"), FORM_LIMIT);
        assert_eq!(limit_of("/cuoc-thi/{slug}/ket-qua"), FORM_LIMIT);
        assert_eq!(limit_of("/bai-thi/{id}/nop"), ATTEMPT_FORM_LIMIT, "answers and reports");
        assert_eq!(limit_of("/admin/cuoc-thi/{slug}/dinh-nghia"), CONSOLE_FORM_LIMIT);
        assert_eq!(limit_of("/admin/cuoc-thi/{slug}/nhap-cau-hoi"), UPLOAD_LIMIT);
        assert_eq!(limit_of(""), FORM_LIMIT, "no route: the smallest");
        assert_eq!((size(FORM_LIMIT), size(UPLOAD_LIMIT)), ("16 KB".to_string(), "25 MB".to_string()));
    }
}
