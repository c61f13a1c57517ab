//! A unit's participation page (tham gia theo đơn vị): for unit coordinators their own unit and
//! the units under it; the staff list upload, and the list of staff who have not taken part.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::Staff;
use cuocthi_engine::units::UnitView;
use serde::Deserialize;

use super::{Frame, StaffUser, outcome, the_file};
use crate::AppState;
use crate::http::{PageError, PageResult, Path, private};

#[derive(Template, WebTemplate)]
#[template(path = "admin/units_view.html")]
struct UnitPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    v: UnitView,
    chart: crate::charts::Columns,
}

impl UnitPage {
    fn n(&self, v: &i64) -> String {
        cuocthi_domain::text::thousands(*v)
    }

    fn rate(&self, r: &Option<i64>) -> String {
        r.map(|r| format!("{},{}%", r / 10, r % 10)).unwrap_or_else(|| "—".into())
    }

    fn indent(&self, depth: &usize) -> String {
        "— ".repeat(*depth)
    }
}

#[derive(Deserialize)]
pub(super) struct UnitQuery {
    #[serde(default)]
    don_vi: Option<String>,
}

async fn page(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    unit: Option<&str>,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let v = s.engine.unit_view(staff, slug, unit).await?;
    let title = s.engine.contest(slug).await?.title;
    let bars: Vec<cuocthi_engine::stats::Bar> = v.by_day.iter().map(|(b, _)| b.clone()).collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(private((
        status,
        UnitPage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            slug: slug.to_string(),
            title,
            chart: crate::charts::columns("Số người bắt đầu tham gia theo ngày", &bars),
            v,
        },
    )))
}

pub(super) async fn unit_page(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    Query(q): Query<UnitQuery>,
) -> PageResult {
    page(&s, &staff, &slug, q.don_vi.as_deref().filter(|u| !u.is_empty()), None, None).await
}

pub(super) async fn upload_staff(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path((slug, unit)): Path<(String, String)>,
    multipart: Multipart,
) -> PageResult {
    let done = match the_file(multipart).await {
        Ok((name, bytes)) => s
            .engine
            .import_staff_list(&staff, &slug, &unit, &name, &bytes)
            .await
            .map(|n| format!("Đã nhận danh sách {n} cán bộ của đơn vị.")),
        Err(m) => Err(EngineError::BadRequest(m)),
    };
    let (error, notice) = outcome(done)?;
    page(&s, &staff, &slug, Some(&unit), error, notice).await
}

pub(super) async fn absentees(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path((slug, unit)): Path<(String, String)>,
) -> axum::response::Response {
    match s.engine.absentees_workbook(&staff, &slug, &unit).await {
        Ok(body) => private((
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{slug}-{unit}-chua-tham-gia.xlsx\"")),
            ],
            body,
        )),
        Err(e) => PageError::from(e).into_response(),
    }
}
