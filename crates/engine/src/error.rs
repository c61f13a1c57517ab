//! What a use case can refuse, with a machine code and the Vietnamese message shown to people.

use chrono::{DateTime, Utc};
use cuocthi_domain::contest::DefError;
use cuocthi_domain::draw::DrawError;
use cuocthi_domain::identity::{FieldError, Ineligible};
use cuocthi_domain::{text, vntime};
use cuocthi_store::StoreError;

use crate::import::report::ImportReport;

/// The cause of an [`EngineError::Internal`] or [`EngineError::Unavailable`], kept as a value so
/// that whoever logs the error logs its whole chain (`std::error::Error::source`). A string
/// works too: `EngineError::Internal("what happened".into())`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What people are told when the database refuses a write as a duplicate and no use case chose
/// a more precise message: the driver's own words name tables and constraints, and are logged
/// instead.
pub const DUPLICATE_MESSAGE: &str = "Dữ liệu này đã có (có thể vừa được lưu cùng lúc); hãy tải lại trang và kiểm tra.";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("Không tìm thấy {0}.")]
    NotFound(&'static str),
    #[error("Cần xác thực người dự thi: hãy đăng ký hoặc đăng nhập lại.")]
    Unauthenticated,
    #[error("Bạn không có quyền truy cập nội dung này.")]
    Forbidden,
    #[error("Thông tin chưa hợp lệ; vui lòng kiểm tra các trường được đánh dấu.")]
    InvalidIdentity(Vec<FieldError>),
    #[error("Vui lòng đọc và đánh dấu đồng ý với việc xử lý dữ liệu cá nhân để tham gia.")]
    ConsentRequired,
    #[error("Thông tin không khớp; vui lòng kiểm tra lại số giấy tờ, ngày sinh và các thông tin đã nhập.")]
    IdentityMismatch,
    #[error("Đợt thi chưa mở; thời gian mở: {} (giờ Việt Nam).", vntime::format_long(*.0))]
    RoundNotOpen(DateTime<Utc>),
    #[error("Đợt thi đã kết thúc lúc {} (giờ Việt Nam).", vntime::format_long(*.0))]
    RoundClosed(DateTime<Utc>),
    #[error("{0}")]
    Ineligible(Ineligible),
    #[error("Bạn đã sử dụng hết {} lượt thi của đợt này.", text::thousands(i64::from(*.0)))]
    AttemptLimit(u32),
    #[error("Bài thi đã được nộp; không thể thay đổi câu trả lời.")]
    AttemptSubmitted,
    #[error("Đã hết thời gian làm bài; bài thi được nộp với các câu trả lời đã lưu.")]
    PastDeadline,
    #[error("Bài thi chưa nộp nên chưa có kết quả.")]
    NotSubmitted,
    #[error("{0}")]
    BadRequest(String),
    #[error("Ngân hàng câu hỏi chưa sẵn sàng cho đợt thi này: {0}")]
    Draw(DrawError),
    #[error("Tệp định nghĩa cuộc thi có lỗi.")]
    Definition(Vec<DefError>),
    #[error("Tệp câu hỏi có lỗi; không câu hỏi nào được nhập.")]
    Import(Box<ImportReport>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    SignInFailed(String),
    #[error("Đăng nhập sai nhiều lần; hãy thử lại sau {0} giây.")]
    Throttled(i64),
    #[error("Hệ thống đang bận; vui lòng thử lại sau ít giây.")]
    Unavailable(#[source] BoxError),
    #[error("Đã có lỗi ở máy chủ; vui lòng thử lại.")]
    Internal(#[source] BoxError),
}

impl EngineError {
    /// A stable machine code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::NotFound(_) => "not_found",
            EngineError::Unauthenticated => "unauthenticated",
            EngineError::Forbidden => "forbidden",
            EngineError::InvalidIdentity(_) => "invalid_identity",
            EngineError::ConsentRequired => "consent_required",
            EngineError::IdentityMismatch => "identity_mismatch",
            EngineError::RoundNotOpen(_) => "round_not_open",
            EngineError::RoundClosed(_) => "round_closed",
            EngineError::Ineligible(_) => "ineligible",
            EngineError::AttemptLimit(_) => "attempt_limit",
            EngineError::AttemptSubmitted => "attempt_submitted",
            EngineError::PastDeadline => "past_deadline",
            EngineError::NotSubmitted => "not_submitted",
            EngineError::BadRequest(_) => "bad_request",
            EngineError::Draw(_) => "bank_not_ready",
            EngineError::Definition(_) => "invalid_definition",
            EngineError::Import(_) => "invalid_import",
            EngineError::Conflict(_) => "conflict",
            EngineError::SignInFailed(_) => "sign_in_failed",
            EngineError::Throttled(_) => "throttled",
            EngineError::Unavailable(_) => "unavailable",
            EngineError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => EngineError::NotFound("dữ liệu"),
            StoreError::Conflict(_) => {
                // `Conflict(String)` has no room for a cause: the driver's words are logged here.
                tracing::info!(cause = %e, "a write refused as a duplicate");
                EngineError::Conflict(DUPLICATE_MESSAGE.into())
            }
            e @ StoreError::Unavailable(_) => EngineError::Unavailable(Box::new(e)),
            other => EngineError::Internal(Box::new(other)),
        }
    }
}
