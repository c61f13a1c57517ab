//! The units page: the tree with headcounts and registered counts against the minimum, and the
//! uploads of the units tree, the exclusion list and each unit's registered list.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Multipart;
use cuocthi_engine::console::{Action, Staff};

use super::{Console, Frame, Shown, after_form, import_upload};
use crate::AppState;
use crate::http::PageResult;

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

async fn page(s: &AppState, staff: &Staff, slug: &str, (error, notice): Shown) -> PageResult {
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
    Ok(after_form(
        error.is_some(),
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
    ))
}

pub(super) async fn units(Console { s, staff, path: slug }: Console) -> PageResult {
    page(&s, &staff, &slug, (None, None)).await
}

pub(super) async fn upload_units(Console { s, staff, path: slug }: Console, multipart: Multipart) -> PageResult {
    let shown = import_upload(&s, &staff, &slug, Action::EditContest, multipart, async |name, bytes| {
        let n = s.engine.import_units(&staff, &slug, &name, &bytes).await?;
        Ok(format!("Đã nhập {n} đơn vị."))
    })
    .await?;
    page(&s, &staff, &slug, shown).await
}

pub(super) async fn upload_exclusions(Console { s, staff, path: slug }: Console, multipart: Multipart) -> PageResult {
    let shown = import_upload(&s, &staff, &slug, Action::EditContest, multipart, async |name, bytes| {
        let n = s.engine.import_exclusions(&staff, &slug, &name, &bytes).await?;
        Ok(format!("Danh sách không được dự thi nay có {n} số định danh."))
    })
    .await?;
    page(&s, &staff, &slug, shown).await
}

pub(super) async fn upload_registered(
    Console { s, staff, path: (slug, code) }: Console<(String, String)>,
    multipart: Multipart,
) -> PageResult {
    let shown = import_upload(&s, &staff, &slug, Action::ManageUnitList, multipart, async |name, bytes| {
        let n = s.engine.import_registered(&staff, &slug, &code, &name, &bytes).await?;
        Ok(format!("Đơn vị {code}: danh sách đăng ký nay có {n} người."))
    })
    .await?;
    page(&s, &staff, &slug, shown).await
}
