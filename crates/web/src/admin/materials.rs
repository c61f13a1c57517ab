//! A contest's study materials and logo.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, MAX_LOGO_BYTES, MAX_MATERIAL_BYTES, MaterialView, Staff};

use super::{Frame, StaffUser, upload_form};
use crate::AppState;
use crate::http::{PageResult, Path, private, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "admin/materials.html")]
struct MaterialsPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    materials: Vec<MaterialView>,
    logo: Option<MaterialView>,
    accent: Option<String>,
    portals: Vec<String>,
    max_mb: usize,
    max_logo_kb: usize,
}

async fn page(s: &AppState, staff: &Staff, slug: &str, error: Option<String>, notice: Option<String>) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::EditContest).await?;
    let (materials, logo) = s.engine.materials(slug).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(private((
        status,
        MaterialsPage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            materials,
            logo,
            accent: c.spec.settings.accent_colour.clone(),
            portals: c.spec.settings.portal_origins.clone(),
            max_mb: MAX_MATERIAL_BYTES / 1024 / 1024,
            max_logo_kb: MAX_LOGO_BYTES / 1024,
        },
    )))
}

pub(super) async fn materials(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
) -> PageResult {
    page(&s, &staff, &slug, None, None).await
}

async fn outcome(s: &AppState, staff: &Staff, slug: &str, done: Result<String, EngineError>) -> PageResult {
    let (error, notice) = super::outcome(done)?;
    page(s, staff, slug, error, notice).await
}

pub(super) async fn add(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::EditContest).await?;
    let done = match upload_form(multipart).await {
        Ok(form) => match form.file {
            Some((_, bytes)) => {
                let title = form.fields.get("title").cloned().unwrap_or_default();
                s.engine
                    .add_material(&staff, &slug, &title, &bytes)
                    .await
                    .map(|_| format!("Đã thêm tài liệu \"{}\".", title.trim()))
            }
            None => Err(EngineError::BadRequest("Hãy chọn một tệp.".into())),
        },
        Err(m) => Err(EngineError::BadRequest(m)),
    };
    outcome(&s, &staff, &slug, done).await
}

pub(super) async fn logo(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::EditContest).await?;
    let done = match super::the_file(multipart).await {
        Ok((_, bytes)) => s.engine.set_logo(&staff, &slug, &bytes).await.map(|_| "Đã đặt biểu trưng.".to_string()),
        Err(m) => Err(EngineError::BadRequest(m)),
    };
    outcome(&s, &staff, &slug, done).await
}

pub(super) async fn remove(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path((slug, id)): Path<(String, i64)>,
) -> PageResult {
    s.engine.remove_material(&staff, &slug, id).await?;
    Ok(see_other(&format!("/admin/cuoc-thi/{slug}/tai-lieu")))
}
