//! One place maps every refusal to a status: JSON with a machine code and a Vietnamese message for
//! the API (pages get [`super::PageError`], with the same status). The cause of an internal error
//! is never shown: the response carries it in its extensions, and one middleware,
//! [`log_causes`], logs it once with the route (as axum's `error-handling` example and crates.io
//! do).

use std::any::Any;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cuocthi_domain::identity::FieldError;
use cuocthi_engine::EngineError;
use cuocthi_engine::import::ImportReport;
use serde::Serialize;
use utoipa::ToSchema;

/// The error body of every API response that is not a success.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine code, e.g. `attempt_limit`.
    pub code: String,
    /// The message to show, in Vietnamese.
    pub message: String,
    /// Problems with individual fields of a form, to show next to them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldError>,
    /// The validation report of an import.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<ImportReport>,
}

#[derive(Debug)]
pub struct ApiError(pub EngineError);

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        ApiError(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        ApiError(EngineError::BadRequest(format!(
            "Dữ liệu gửi lên không đúng định dạng JSON yêu cầu ({}).",
            r.body_text()
        )))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError(EngineError::BadRequest("Đường dẫn không hợp lệ.".into()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        ApiError(EngineError::BadRequest("Tham số truy vấn không hợp lệ.".into()))
    }
}

/// The HTTP status of every refusal, for the API and the pages alike.
pub fn status_of(e: &EngineError) -> StatusCode {
    use EngineError::*;
    match e {
        NotFound(_) => StatusCode::NOT_FOUND,
        Unauthenticated | SignInFailed(_) => StatusCode::UNAUTHORIZED,
        Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        Forbidden | Ineligible(_) | IdentityMismatch => StatusCode::FORBIDDEN,
        InvalidIdentity(_) | ConsentRequired | Definition(_) | Import(_) => StatusCode::UNPROCESSABLE_ENTITY,
        RoundNotOpen(_) | RoundClosed(_) | AttemptLimit(_) | AttemptSubmitted | PastDeadline | NotSubmitted
        | Conflict(_) => StatusCode::CONFLICT,
        BadRequest(_) => StatusCode::BAD_REQUEST,
        Draw(_) | Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// `Retry-After` for a refusal that says when to come back: a throttle's wait in seconds (429),
/// or 5 s while the server is unavailable (503).
pub fn retry_after(e: &EngineError) -> Option<HeaderValue> {
    match e {
        EngineError::Throttled(seconds) => HeaderValue::from_str(&(*seconds).max(1).to_string()).ok(),
        _ if status_of(e) == StatusCode::SERVICE_UNAVAILABLE => Some(HeaderValue::from_static("5")),
        _ => None,
    }
}

/// The cause of an error response that the operators must hear about (an internal error, the
/// database unavailable, a bank that cannot serve a draw), riding in the response's extensions
/// to [`log_causes`].
#[derive(Clone)]
pub(crate) struct Cause(Arc<EngineError>);

impl Cause {
    /// The cause to log for `e`, if it is one to log.
    pub(crate) fn of(e: EngineError) -> Option<Cause> {
        matches!(e, EngineError::Internal(_) | EngineError::Unavailable(_) | EngineError::Draw(_))
            .then(|| Cause(Arc::new(e)))
    }

    /// The detail of the error and every cause under it, `: `-separated.
    fn detail(&self) -> String {
        let e = &*self.0;
        let mut out = match e {
            EngineError::Internal(d) | EngineError::Unavailable(d) => d.to_string(),
            other => other.to_string(),
        };
        // The first source of a boxed cause is the detail just written.
        let mut source = std::error::Error::source(e);
        if matches!(e, EngineError::Internal(_) | EngineError::Unavailable(_)) {
            source = source.and_then(|s| s.source());
        }
        while let Some(s) = source {
            out.push_str(": ");
            out.push_str(&s.to_string());
            source = s.source();
        }
        out
    }
}

/// Logs the cause an error response carries, once, with its route: an internal error or a bank
/// that cannot serve a draw as an error, an unavailable database as a warning.
pub async fn log_causes(req: Request, next: Next) -> Response {
    // Cheap clones (an `Arc<str>` and a `Bytes`): this runs for every request.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let request_id = req.headers().get("x-request-id").cloned();
    let resp = next.run(req).await;
    if let Some(cause) = resp.extensions().get::<Cause>() {
        let route = route.as_ref().map_or("-", MatchedPath::as_str);
        let request_id = request_id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("-");
        let status = resp.status().as_u16();
        let detail = cause.detail();
        match &*cause.0 {
            EngineError::Unavailable(_) => tracing::warn!(route, request_id, status, %detail, "unavailable"),
            EngineError::Draw(_) => tracing::error!(route, request_id, status, %detail, "bank cannot serve a draw"),
            _ => tracing::error!(route, request_id, status, %detail, "internal error"),
        }
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = status_of(&e);
        let (fields, report) = match &e {
            EngineError::InvalidIdentity(f) => (f.clone(), None),
            EngineError::Import(r) => (Vec::new(), Some((**r).clone())),
            EngineError::Definition(d) => {
                (d.iter().map(|x| FieldError { field: x.path.clone(), message: x.message.clone() }).collect(), None)
            }
            _ => (Vec::new(), None),
        };
        let body = ErrorBody { error: ErrorDetail { code: e.code().into(), message: e.to_string(), fields, report } };
        let mut resp = (status, Json(body)).into_response();
        if let Some(v) = retry_after(&e) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if let Some(cause) = Cause::of(e) {
            resp.extensions_mut().insert(cause);
        }
        resp
    }
}

/// The answer when the server is at its limit: a quick 503 the client can retry.
pub fn overloaded() -> ApiError {
    ApiError(EngineError::Unavailable("overloaded: too many requests in flight".into()))
}

pub async fn not_found() -> ApiError {
    ApiError(EngineError::NotFound("trang"))
}

/// A panic never reaches the client as a dropped connection: it becomes a logged 500.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    ApiError(EngineError::Internal(format!("panic: {detail}").into())).into_response()
}

/// A cross-site POST (or API write) refused by the CSRF layer: a plain 403 page in Vietnamese.
pub fn cross_site(_: tower_http::csrf::ProtectionError) -> Response {
    let mut resp = (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Yêu cầu bị từ chối vì được gửi từ một trang web khác. Hãy mở lại trang của cuộc thi và thử lại.",
    )
        .into_response();
    super::no_store(&mut resp);
    resp
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use cuocthi_domain::draw::DrawError;

    use super::*;

    /// Every refusal the engine can give, its status and its machine code: a new variant must be
    /// added here (the match below is exhaustive) and so decided on purpose.
    #[test]
    fn every_engine_error_has_its_status_and_code() {
        use EngineError::*;
        let now = Utc::now();
        let table: Vec<(EngineError, u16, &str)> = vec![
            (NotFound("trang"), 404, "not_found"),
            (Unauthenticated, 401, "unauthenticated"),
            (Forbidden, 403, "forbidden"),
            (InvalidIdentity(Vec::new()), 422, "invalid_identity"),
            (ConsentRequired, 422, "consent_required"),
            (IdentityMismatch, 403, "identity_mismatch"),
            (RoundNotOpen(now), 409, "round_not_open"),
            (RoundClosed(now), 409, "round_closed"),
            (Ineligible(cuocthi_domain::identity::Ineligible::Excluded), 403, "ineligible"),
            (AttemptLimit(1), 409, "attempt_limit"),
            (AttemptSubmitted, 409, "attempt_submitted"),
            (PastDeadline, 409, "past_deadline"),
            (NotSubmitted, 409, "not_submitted"),
            (BadRequest("x".into()), 400, "bad_request"),
            (Draw(DrawError::BankShort { wanted: 10, available: 3 }), 503, "bank_not_ready"),
            (Definition(Vec::new()), 422, "invalid_definition"),
            (Import(Box::default()), 422, "invalid_import"),
            (Conflict("x".into()), 409, "conflict"),
            (SignInFailed("x".into()), 401, "sign_in_failed"),
            (Throttled(5), 429, "throttled"),
            (Unavailable("pool timed out".into()), 503, "unavailable"),
            (Internal("disk full".into()), 500, "internal"),
        ];
        for (e, status, code) in &table {
            // Exhaustive: a variant missing from the table fails to compile here.
            match e {
                NotFound(_) | Unauthenticated | Forbidden | InvalidIdentity(_) | ConsentRequired | IdentityMismatch
                | RoundNotOpen(_) | RoundClosed(_) | Ineligible(_) | AttemptLimit(_) | AttemptSubmitted
                | PastDeadline | NotSubmitted | BadRequest(_) | Draw(_) | Definition(_) | Import(_) | Conflict(_)
                | SignInFailed(_) | Throttled(_) | Unavailable(_) | Internal(_) => {}
            }
            assert_eq!(status_of(e).as_u16(), *status, "{e:?}");
            assert_eq!(e.code(), *code, "{e:?}");
        }
        let codes: std::collections::HashSet<&str> = table.iter().map(|(_, _, c)| *c).collect();
        assert_eq!(codes.len(), table.len(), "one code per variant");
    }

    #[tokio::test]
    async fn the_cause_rides_with_the_response_and_is_never_shown() {
        let resp = ApiError(EngineError::Internal("secret detail".into())).into_response();
        let cause = resp.extensions().get::<Cause>().map(Cause::detail);
        assert_eq!(cause.as_deref(), Some("secret detail"));
        let body = http_body_util::BodyExt::collect(resp.into_body()).await.map(|b| b.to_bytes()).unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        assert!(!body.contains("secret") && body.contains("\"code\":\"internal\""), "{body}");
        // A refusal meant for the person carries nothing to log.
        let resp = ApiError(EngineError::AttemptLimit(2)).into_response();
        assert!(resp.extensions().get::<Cause>().is_none());
        let page = crate::http::PageError::from(EngineError::Unavailable("pool".into())).into_response();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(page.extensions().get::<Cause>().is_some());
    }
}
