//! Personal data in the console (Luật 91/2025/QH15, Nghị định 356/2025): the secretariat's queue
//! of people's requests with their deadlines and the retention the contest applies; the record
//! of processing (hồ sơ xử lý dữ liệu cá nhân), printable; and the audit of who viewed or
//! exported personal data, as CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{StatusCode, header};
use axum::response::Response;
use cuocthi_domain::vntime;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::privacy::{PrivacyQueue, ProcessingRecord};
use cuocthi_engine::console::{Staff, action_label};
use serde::Deserialize;

use super::{Console, Frame};
use crate::AppState;
use crate::http::{Form, PageResult, private, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "admin/privacy.html")]
struct QueuePage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    q: PrivacyQueue,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/processing_record.html")]
struct RecordPage {
    frame: Option<Frame>,
    notice: Option<String>,
    r: ProcessingRecord,
    printed_vn: String,
}

async fn queue_page(s: &AppState, staff: &Staff, slug: &str, shown: (Option<String>, Option<String>)) -> PageResult {
    let q = s.engine.privacy_queue(staff, slug).await?;
    let status = if shown.0.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok(private((
        status,
        QueuePage { frame: Some(Frame::of(staff)), notice: shown.1, error: shown.0, slug: slug.to_string(), q },
    )))
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    da: Option<i64>,
}

pub(super) async fn queue(
    Console { s, staff, path: slug }: Console,
    axum::extract::Query(d): axum::extract::Query<Done>,
) -> PageResult {
    let notice = d.da.map(|id| format!("Đã xử lý yêu cầu #{id}."));
    queue_page(&s, &staff, &slug, (None, notice)).await
}

#[derive(Deserialize)]
pub(super) struct DecideForm {
    /// `dong-y` (carry it out) or `tu-choi` (refuse, with the answer as the reason).
    #[serde(default)]
    quyet_dinh: String,
    #[serde(default)]
    tra_loi: String,
}

pub(super) async fn decide(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    let grant = match f.quyet_dinh.as_str() {
        "dong-y" => true,
        "tu-choi" => false,
        _ => return queue_page(&s, &staff, &slug, (Some("Hãy chọn đồng ý hoặc từ chối.".into()), None)).await,
    };
    match s.engine.decide_privacy_request(&staff, &slug, id, grant, &f.tra_loi).await {
        Ok(_) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/du-lieu-ca-nhan?da={id}"))),
        Err(e @ (EngineError::BadRequest(_) | EngineError::Conflict(_) | EngineError::NotFound(_))) => {
            queue_page(&s, &staff, &slug, (Some(e.to_string()), None)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn record(Console { s, staff, path: slug }: Console) -> PageResult {
    let r = s.engine.processing_record(&staff, &slug).await?;
    let printed_vn = vntime::format(s.engine.now());
    Ok(private(RecordPage { frame: Some(Frame::of(&staff)), notice: None, r, printed_vn }))
}

/// Who viewed or exported personal data, as CSV (UTF-8 with BOM so Excel reads the marks).
pub(super) async fn access_csv(Console { s, staff, path: slug }: Console) -> Result<Response, crate::http::PageError> {
    let rows = s.engine.personal_data_access(&staff, &slug).await?;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let fail = |e: csv::Error| EngineError::Internal(Box::new(e));
    w.write_record([
        "#",
        "Thời điểm (giờ VN)",
        "Người thực hiện",
        "Thao tác",
        "Tên thao tác",
        "Đối tượng",
        "Chi tiết",
        "Mã băm",
    ])
    .map_err(fail)?;
    for r in &rows {
        let at = vntime::format(cuocthi_engine::console::audit::entry_time(r));
        let label = action_label(&r.action).unwrap_or_default();
        w.write_record([&r.id.to_string(), &at, &r.actor, &r.action, label, &r.subject, &r.detail, &r.hash])
            .map_err(fail)?;
    }
    let body = w.into_inner().map_err(|e| EngineError::Internal(Box::new(e.into_error())))?;
    Ok(private((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"truy-cap-du-lieu-ca-nhan-{slug}.csv\"")),
        ],
        body,
    )))
}
