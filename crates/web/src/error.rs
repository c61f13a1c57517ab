//! One place maps every refusal to a response: JSON with a machine code and a Vietnamese message
//! for the API; the detail of an internal error is logged, never shown.

use std::any::Any;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
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

pub(crate) fn status_of(e: &EngineError) -> StatusCode {
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = status_of(&e);
        match &e {
            EngineError::Internal(detail) => tracing::error!(%detail, "internal error"),
            EngineError::Unavailable(detail) => tracing::warn!(%detail, "unavailable"),
            EngineError::Draw(detail) => tracing::error!(%detail, "bank cannot serve a draw"),
            _ => {}
        }
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
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
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
    ApiError(EngineError::Internal(format!("panic: {detail}"))).into_response()
}

/// A cross-site POST (or API write) refused by the CSRF layer: a plain 403 page in Vietnamese.
pub fn cross_site(_: tower_http::csrf::ProtectionError) -> Response {
    let mut resp = (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Yêu cầu bị từ chối vì được gửi từ một trang web khác. Hãy mở lại trang của cuộc thi và thử lại.",
    )
        .into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
