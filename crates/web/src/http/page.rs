//! A refusal as an HTML page (the API's refusals are JSON; pages get a page), and the common
//! shapes of a page response.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cuocthi_engine::EngineError;

use super::error::Cause;
use crate::i18n::{self, Texts};

/// A refusal shown as an HTML page in the visitor's language.
#[derive(Clone)]
pub struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) back: Option<(String, &'static str)>,
    /// What went wrong inside, for the log (never shown): see [`super::log_causes`].
    cause: Option<Cause>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Texts,
    message: &'a str,
    back: Option<(String, &'static str)>,
}

impl From<EngineError> for PageError {
    fn from(e: EngineError) -> Self {
        let status = super::status_of(&e);
        let back = match e {
            EngineError::Unauthenticated => Some(("/".to_string(), i18n::t().home_to_choose)),
            _ => None,
        };
        let message = e.to_string();
        PageError { status, message, back, cause: Cause::of(e) }
    }
}

impl PageError {
    /// A refusal that no engine error names (a body over the route's limit).
    pub(crate) fn with_status(status: StatusCode, message: String) -> PageError {
        PageError { status, message, back: None, cause: None }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = ErrorPage { t: i18n::t(), message: &self.message, back: self.back.clone() }
            .render()
            .unwrap_or_else(|_| self.message.clone());
        let mut resp = (self.status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
        no_store(&mut resp);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let Some(cause) = self.cause {
            resp.extensions_mut().insert(cause);
        }
        resp
    }
}

/// What a page handler answers.
pub type PageResult = Result<Response, PageError>;

/// Marks a response as never to be stored by the browser or a proxy.
pub fn no_store(resp: &mut Response) {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A page with personal data: never stored by the browser or a proxy.
pub fn private(page: impl IntoResponse) -> Response {
    let mut resp = page.into_response();
    no_store(&mut resp);
    resp
}

/// `303 See Other` to `to`, not stored.
pub fn see_other(to: &str) -> Response {
    private(Redirect::to(to))
}
