//! Extractors whose rejections are our own pages, in the visitor's language, rather than axum's
//! plain text; and reading a form's field names.

use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts};
use cuocthi_domain::identity::Field;
use cuocthi_engine::EngineError;

use super::PageError;

/// `axum::extract::Path` whose rejection (`/bai-thi/abc`) is the "not found" page.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(PageError))]
pub struct Path<T>(pub T);

/// `axum::extract::Form` whose rejection is a page saying what to do.
#[derive(FromRequest)]
#[from_request(via(axum::extract::Form), rejection(PageError))]
pub struct Form<T>(pub T);

impl From<PathRejection> for PageError {
    fn from(_: PathRejection) -> Self {
        EngineError::NotFound("trang").into()
    }
}

impl From<FormRejection> for PageError {
    fn from(_: FormRejection) -> Self {
        EngineError::BadRequest("Biểu mẫu gửi lên không hợp lệ; vui lòng tải lại trang và thử lại.".into()).into()
    }
}

/// The identity field a contest names by its wire name (`cccd`, `date_of_birth`, …).
pub fn field_of(name: &str) -> Option<Field> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}
