//! A contest's study materials and logo.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Multipart;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, MAX_LOGO_BYTES, MAX_MATERIAL_BYTES, MaterialView, Staff};

use super::{Console, Frame, Shown, after_form, import_upload, outcome, upload_form};
use crate::AppState;
use crate::http::{PageResult, see_other};

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

async fn page(s: &AppState, staff: &Staff, slug: &str, (error, notice): Shown) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::EditContest).await?;
    let (materials, logo) = s.engine.materials(slug).await?;
    Ok(after_form(
        error.is_some(),
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
    ))
}

pub(super) async fn materials(Console { s, staff, path: slug }: Console) -> PageResult {
    page(&s, &staff, &slug, (None, None)).await
}

/// A material is a titled file: the form has a title besides its file.
pub(super) async fn add(Console { s, staff, path: slug }: Console, multipart: Multipart) -> PageResult {
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
    page(&s, &staff, &slug, outcome(done)?).await
}

pub(super) async fn logo(Console { s, staff, path: slug }: Console, multipart: Multipart) -> PageResult {
    let shown = import_upload(&s, &staff, &slug, Action::EditContest, multipart, async |_, bytes| {
        s.engine.set_logo(&staff, &slug, &bytes).await?;
        Ok("Đã đặt biểu trưng.".to_string())
    })
    .await?;
    page(&s, &staff, &slug, shown).await
}

pub(super) async fn remove(Console { s, staff, path: (slug, id) }: Console<(String, i64)>) -> PageResult {
    s.engine.remove_material(&staff, &slug, id).await?;
    Ok(see_other(&format!("/admin/cuoc-thi/{slug}/tai-lieu")))
}
