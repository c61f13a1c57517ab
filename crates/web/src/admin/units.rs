//! A unit's participation page (tham gia theo đơn vị): for unit coordinators their own unit and
//! the units under it; the staff list upload, and the list of staff who have not taken part.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query};
use cuocthi_engine::EngineError;
use cuocthi_engine::console::Staff;
use cuocthi_engine::units::UnitView;
use serde::Deserialize;

use super::{Console, Frame, Shown, XLSX, after_form, download, outcome, the_file};
use crate::AppState;
use crate::http::PageResult;

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

async fn page(s: &AppState, staff: &Staff, slug: &str, unit: Option<&str>, (error, notice): Shown) -> PageResult {
    let v = s.engine.unit_view(staff, slug, unit).await?;
    let title = s.engine.contest(slug).await?.title;
    let bars: Vec<cuocthi_engine::stats::Bar> = v.by_day.iter().map(|(b, _)| b.clone()).collect();
    Ok(after_form(
        error.is_some(),
        UnitPage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            slug: slug.to_string(),
            title,
            chart: crate::charts::columns("Số người bắt đầu tham gia theo ngày", &bars),
            v,
        },
    ))
}

pub(super) async fn unit_page(Console { s, staff, path: slug }: Console, Query(q): Query<UnitQuery>) -> PageResult {
    page(&s, &staff, &slug, q.don_vi.as_deref().filter(|u| !u.is_empty()), (None, None)).await
}

pub(super) async fn upload_staff(
    Console { s, staff, path: (slug, unit) }: Console<(String, String)>,
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
    page(&s, &staff, &slug, Some(&unit), outcome(done)?).await
}

pub(super) async fn absentees(Console { s, staff, path: (slug, unit) }: Console<(String, String)>) -> PageResult {
    let body = s.engine.absentees_workbook(&staff, &slug, &unit).await?;
    Ok(download(XLSX, &format!("{slug}-{unit}-chua-tham-gia.xlsx"), body))
}
