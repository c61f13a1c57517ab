//! The units page: the tree with headcounts and registered counts against the minimum, and the
//! uploads of the units tree, the exclusion list and each unit's registered list.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, Staff};

use super::{Frame, StaffUser, the_file};
use crate::AppState;
use crate::http::{PageResult, Path, private};

struct Line {
    code: String,
    name: String,
    indent: String,
    headcount: String,
    registered: usize,
    minimum: u32,
    short: bool,
    can_upload: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    units: Vec<Line>,
    minimum: Option<u32>,
    exclusions: usize,
    can_edit: bool,
}

async fn page(s: &AppState, staff: &Staff, slug: &str, error: Option<String>, notice: Option<String>) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ViewParticipants).await?;
    let minimum = c.spec.settings.eligibility.min_registered_per_unit;
    let units = s
        .engine
        .unit_lines(staff, slug)
        .await?
        .into_iter()
        .map(|u| Line {
            short: u.minimum.is_some_and(|m| u64::try_from(u.registered).unwrap_or(u64::MAX) < u64::from(m)),
            minimum: u.minimum.unwrap_or(0),
            indent: "— ".repeat(u.depth),
            headcount: u.headcount.map(|h| cuocthi_domain::text::thousands(i64::from(h))).unwrap_or_default(),
            code: u.code,
            name: u.name,
            registered: u.registered,
            can_upload: u.can_upload,
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(private((
        status,
        UnitsPage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            units,
            minimum,
            exclusions: c.spec.settings.eligibility.exclusions.len(),
            can_edit: staff.can(Action::EditContest, Some(c.stored.contest.id)),
        },
    )))
}

pub(super) async fn units(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
) -> PageResult {
    page(&s, &staff, &slug, None, None).await
}

/// Shows the outcome of an upload on the units page: what was done, or what is wrong with the file.
async fn outcome(s: &AppState, staff: &Staff, slug: &str, done: Result<String, EngineError>) -> PageResult {
    let (error, notice) = super::outcome(done)?;
    page(s, staff, slug, error, notice).await
}

pub(super) async fn upload_units(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::EditContest).await?;
    let done = match the_file(multipart).await {
        Ok((name, bytes)) => {
            s.engine.import_units(&staff, &slug, &name, &bytes).await.map(|n| format!("Đã nhập {n} đơn vị."))
        }
        Err(m) => Err(EngineError::BadRequest(m)),
    };
    outcome(&s, &staff, &slug, done).await
}

pub(super) async fn upload_exclusions(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::EditContest).await?;
    let done = match the_file(multipart).await {
        Ok((name, bytes)) => s
            .engine
            .import_exclusions(&staff, &slug, &name, &bytes)
            .await
            .map(|n| format!("Danh sách không được dự thi nay có {n} số định danh.")),
        Err(m) => Err(EngineError::BadRequest(m)),
    };
    outcome(&s, &staff, &slug, done).await
}

pub(super) async fn upload_registered(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path((slug, code)): Path<(String, String)>,
    multipart: Multipart,
) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::ManageUnitList).await?;
    let done = match the_file(multipart).await {
        Ok((name, bytes)) => s
            .engine
            .import_registered(&staff, &slug, &code, &name, &bytes)
            .await
            .map(|n| format!("Đơn vị {code}: danh sách đăng ký nay có {n} người.")),
        Err(m) => Err(EngineError::BadRequest(m)),
    };
    outcome(&s, &staff, &slug, done).await
}
