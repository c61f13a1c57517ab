//! The organisers' console (trang quản trị) under `/admin`: server-rendered pages in the same
//! style as the participant's, behind a staff session. Every page takes a [`StaffUser`]; the
//! engine checks the role of every use case, so a page cannot show what its viewer may not see.

mod accounts;
mod auth;
mod bank;
mod contests;
mod event;
mod feedback;
mod import_jobs;
mod lists;
mod materials;
mod people;
mod privacy;
mod results;
mod review;
mod stage;
mod statistics;
mod system;
mod units;

use axum::Router;
use axum::extract::{FromRequestParts, Multipart};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use cuocthi_domain::vntime;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, Staff};
use cuocthi_engine::shared::catalog::CachedContest;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::cookies::{self, STAFF};
use crate::http::{PageError, Path, private, see_other};

pub use import_jobs::ImportJobs;
pub use system::BackupPlace;
pub(crate) use system::newest_backup_age;

/// One row of the console's route table: a path and the handlers that answer it.
type Route = (&'static str, MethodRouter<AppState>);

/// Every page and form of the console, in one table: the console's router is built from it, and
/// the tests check every row against the roles that may use it.
fn table() -> Vec<Route> {
    vec![
        // Signing in and out, the second factor (auth.rs)
        ("/admin/dang-nhap", get(auth::sign_in_page).post(auth::sign_in)),
        ("/admin/dang-xuat", post(auth::sign_out)),
        ("/admin/bao-mat", get(auth::security)),
        ("/admin/bao-mat/bat-dau", post(auth::begin_totp)),
        ("/admin/bao-mat/xac-nhan", post(auth::confirm_totp)),
        ("/admin/bao-mat/mat-khau", post(auth::change_password)),
        // Staff accounts and the whole audit log (system administrators) (accounts.rs)
        ("/admin/tai-khoan", get(accounts::accounts).post(accounts::create)),
        ("/admin/tai-khoan/{id}/khoa", post(accounts::lock)),
        ("/admin/tai-khoan/{id}/go-xac-thuc", post(accounts::reset_second_factor)),
        ("/admin/tai-khoan/{id}/mat-khau", post(accounts::reset_password)),
        ("/admin/nhat-ky", get(accounts::audit_all)),
        ("/admin/nhat-ky.csv", get(accounts::audit_all_csv)),
        // The backup folder and its files (system administrators) (system.rs)
        ("/admin/sao-luu", get(system::backups)),
        ("/admin/sao-luu/kiem-tra", post(system::check)),
        // Contests, their rounds, team and audit log (contests.rs)
        ("/admin", get(contests::dashboard)),
        ("/admin/cuoc-thi/moi", get(contests::new_page)),
        ("/admin/cuoc-thi", post(contests::create)),
        ("/admin/cuoc-thi/{slug}", get(contests::overview)),
        ("/admin/cuoc-thi/{slug}/dinh-nghia", get(contests::definition).post(contests::save_definition)),
        ("/admin/cuoc-thi/{slug}/dot/{number}/mo", post(contests::open_round)),
        ("/admin/cuoc-thi/{slug}/nhan-su", get(contests::team).post(contests::add_member)),
        ("/admin/cuoc-thi/{slug}/nhan-su/{id}/xoa", post(contests::remove_member)),
        ("/admin/cuoc-thi/{slug}/nhat-ky", get(contests::contest_audit)),
        ("/admin/cuoc-thi/{slug}/nhat-ky.csv", get(contests::contest_audit_csv)),
        // Participants' feedback on questions (feedback.rs)
        ("/admin/cuoc-thi/{slug}/gop-y", get(feedback::queue)),
        ("/admin/cuoc-thi/{slug}/gop-y/{id}/tra-loi", post(feedback::reply)),
        ("/admin/cuoc-thi/{slug}/gop-y/{id}/dong", post(feedback::close)),
        ("/admin/cuoc-thi/{slug}/gop-y/cau-hoi/{id}", get(feedback::question)),
        ("/admin/cuoc-thi/{slug}/gop-y/cau-hoi/{id}/huy", post(feedback::void)),
        // The question bank and its imports (bank.rs)
        ("/admin/cuoc-thi/{slug}/cau-hoi", get(bank::bank).post(bank::add)),
        ("/admin/cuoc-thi/{slug}/cau-hoi.csv", get(bank::export_csv)),
        ("/admin/cuoc-thi/{slug}/cau-hoi.xlsx", get(bank::export_xlsx)),
        ("/admin/cuoc-thi/{slug}/cau-hoi/moi", get(bank::new_question)),
        ("/admin/cuoc-thi/{slug}/cau-hoi/{id}", get(bank::question).post(bank::revise)),
        ("/admin/cuoc-thi/{slug}/cau-hoi/{id}/trang-thai", post(bank::set_status)),
        ("/admin/cuoc-thi/{slug}/nhap-cau-hoi", get(bank::import_page).post(bank::upload)),
        ("/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}", get(bank::import_job)),
        ("/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}/tien-do", get(bank::import_progress)),
        ("/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}/xac-nhan", post(bank::confirm)),
        // Participants (people.rs)
        ("/admin/cuoc-thi/{slug}/thi-sinh", get(people::people)),
        ("/admin/cuoc-thi/{slug}/thi-sinh/gop", post(people::merge)),
        ("/admin/cuoc-thi/{slug}/thi-sinh/{id}", get(people::person)),
        // Personal data: people's requests, the record of processing, the audit of access (privacy.rs)
        ("/admin/cuoc-thi/{slug}/du-lieu-ca-nhan", get(privacy::queue)),
        ("/admin/cuoc-thi/{slug}/du-lieu-ca-nhan/{id}", post(privacy::decide)),
        ("/admin/cuoc-thi/{slug}/du-lieu-ca-nhan/truy-cap.csv", get(privacy::access_csv)),
        ("/admin/cuoc-thi/{slug}/ho-so-xu-ly", get(privacy::record)),
        // Unit lists and exclusions (lists.rs)
        ("/admin/cuoc-thi/{slug}/don-vi", get(lists::units).post(lists::upload_units)),
        ("/admin/cuoc-thi/{slug}/loai-tru", post(lists::upload_exclusions)),
        ("/admin/cuoc-thi/{slug}/don-vi/{code}/danh-sach", post(lists::upload_registered)),
        // Study materials and the logo (materials.rs)
        ("/admin/cuoc-thi/{slug}/tai-lieu", get(materials::materials).post(materials::add)),
        ("/admin/cuoc-thi/{slug}/tai-lieu/{id}/xoa", post(materials::remove)),
        ("/admin/cuoc-thi/{slug}/bieu-trung", post(materials::logo)),
        // Results, approval, publication, certificates (results.rs)
        ("/admin/cuoc-thi/{slug}/ket-qua", get(results::results)),
        ("/admin/cuoc-thi/{slug}/ket-qua/phe-duyet", post(results::approve)),
        ("/admin/cuoc-thi/{slug}/ket-qua/{ranking}/cong-bo", post(results::publish)),
        ("/admin/cuoc-thi/{slug}/ket-qua/kiem-tra", post(results::verify)),
        ("/admin/cuoc-thi/{slug}/ket-qua/{ranking}/chung-nhan.pdf", get(results::certificates)),
        ("/admin/cuoc-thi/{slug}/ket-qua.xlsx", get(results::workbook)),
        ("/admin/cuoc-thi/{slug}/ket-qua/bien-ban.docx", get(results::meeting_record)),
        // The judges' review (review.rs)
        ("/admin/cuoc-thi/{slug}/ra-soat", get(review::review)),
        ("/admin/cuoc-thi/{slug}/ra-soat/loai", post(review::disqualify)),
        ("/admin/cuoc-thi/{slug}/ra-soat/{id}/huy-loai", post(review::lift)),
        // Statistics and reports (statistics.rs)
        ("/admin/cuoc-thi/{slug}/thong-ke", get(statistics::statistics)),
        ("/admin/cuoc-thi/{slug}/thong-ke.xlsx", get(statistics::workbook)),
        ("/admin/cuoc-thi/{slug}/bao-cao.docx", get(statistics::report)),
        ("/admin/cuoc-thi/{slug}/phan-tich", get(statistics::analysis)),
        // Each unit's participation (units.rs)
        ("/admin/cuoc-thi/{slug}/tham-gia", get(units::unit_page)),
        ("/admin/cuoc-thi/{slug}/tham-gia/{unit}/danh-sach-can-bo", post(units::upload_staff)),
        ("/admin/cuoc-thi/{slug}/tham-gia/{unit}/chua-tham-gia.xlsx", get(units::absentees)),
        // The event's stage: the control page and the knowledge round's question sets (stage.rs)
        ("/admin/cuoc-thi/{slug}/san-khau", get(stage::control).post(stage::step)),
        ("/admin/cuoc-thi/{slug}/san-khau/bo-cau-hoi", post(stage::prepare_sets)),
        // The in-person event: the secretariat's page, the judges' sheets, paper sheets (event/)
        ("/admin/cuoc-thi/{slug}/hoi-thi", get(event::secretariat)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/doi", post(event::save_team)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/thu-tu", post(event::draw_order)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/phan-thi", post(event::open_part)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/phieu/{id}/mo-lai", post(event::reopen)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/phieu-giay", post(event::paper_sheet)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/kien-thuc", post(event::answers)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/cong-tru", post(event::adjustment)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/boc-tham", post(event::tie_lots)),
        ("/admin/cuoc-thi/{slug}/hoi-thi/phieu-trang.pdf", get(event::paper::blank)),
        ("/admin/cuoc-thi/{slug}/cham-diem", get(event::judge::judge)),
        ("/admin/cuoc-thi/{slug}/cham-diem/phieu", post(event::judge::submit)),
    ]
}

pub fn routes() -> Router<AppState> {
    table().into_iter().fold(Router::new(), |router, (path, handlers)| router.route(path, handlers))
}

/// The paths of [`table`], in its order.
pub fn paths() -> Vec<&'static str> {
    table().into_iter().map(|(path, _)| path).collect()
}

/// The signed-in staff member of a console request. Without a live session the request is sent
/// to the sign-in page; an account that needs a second factor (`WebConfig::second_factor`) and
/// has none yet is sent to set one up, and may do nothing else.
pub struct StaffUser(pub Staff);

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = STAFF.read(&parts.headers) else {
            return Err(see_other("/admin/dang-nhap"));
        };
        let staff = match s.engine.staff(&token).await {
            Ok(staff) => staff,
            Err(EngineError::Unauthenticated) => {
                return Err(cookies::with(STAFF.clear(), see_other("/admin/dang-nhap")));
            }
            Err(e) => return Err(PageError::from(e).into_response()),
        };
        let must_set_up = !staff.has_totp && s.config.second_factor.required(staff.system_admin);
        let path = parts.uri.path();
        if must_set_up && !path.starts_with("/admin/bao-mat") && path != "/admin/dang-xuat" {
            return Err(see_other("/admin/bao-mat"));
        }
        Ok(StaffUser(staff))
    }
}

/// A request to one contest's pages (`/admin/cuoc-thi/{slug}/…`): the application, the signed-in
/// staff member and the address's parameters (`{slug}` alone unless `P` names more). Read in that
/// order, as `State`, [`StaffUser`] and `Path` written out one by one would be: a visitor without
/// a session is sent to sign in before a malformed address is looked at.
pub struct Console<P = String> {
    pub s: AppState,
    pub staff: Staff,
    pub path: P,
}

impl<P: DeserializeOwned + Send> FromRequestParts<AppState> for Console<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let StaffUser(staff) = StaffUser::from_request_parts(parts, s).await?;
        let Path(path) = Path::<P>::from_request_parts(parts, s).await.map_err(IntoResponse::into_response)?;
        Ok(Console { s: s.clone(), staff, path })
    }
}

/// What every console page shows in its frame.
pub struct Frame {
    pub username: String,
    pub system_admin: bool,
}

impl Frame {
    pub fn of(staff: &Staff) -> Frame {
        Frame { username: staff.username.clone(), system_admin: staff.system_admin }
    }
}

/// An upload form: its text fields and its one file (`file`).
pub(crate) struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Option<(String, Vec<u8>)>,
}

/// Reads an upload form; a broken or oversized upload is a message, not a 500.
pub(crate) async fn upload_form(mut multipart: Multipart) -> Result<Upload, String> {
    let unreadable = |_| "Không đọc được tệp tải lên (tệp quá lớn hoặc quá trình tải bị ngắt).".to_string();
    let mut form = Upload { fields: Default::default(), file: None };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("tep").to_string();
            let bytes = field.bytes().await.map_err(unreadable)?;
            if !bytes.is_empty() {
                form.file = Some((file_name, bytes.to_vec()));
            }
        } else if form.fields.len() < 20 {
            let value = field.text().await.map_err(unreadable)?;
            form.fields.insert(name, value);
        }
    }
    Ok(form)
}

/// Reads the one file of an upload form.
pub(crate) async fn the_file(multipart: Multipart) -> Result<(String, Vec<u8>), String> {
    upload_form(multipart).await?.file.ok_or_else(|| "Hãy chọn một tệp.".to_string())
}

/// What a form came to, for its page: `(error, notice)`.
pub(crate) type Shown = (Option<String>, Option<String>);

/// What an upload form's use case came to, for its page: `(error, notice)`. Mistakes in the file
/// (bad request, invalid definition) are shown on the page; anything else is an error page.
pub(crate) fn outcome(done: Result<String, EngineError>) -> Result<Shown, EngineError> {
    match done {
        Ok(notice) => Ok((None, Some(notice))),
        Err(EngineError::BadRequest(m)) => Ok((Some(m), None)),
        Err(EngineError::Definition(errors)) => {
            Ok((Some(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ")), None))
        }
        Err(e) => Err(e),
    }
}

/// Hands the one file of an upload form to `import` once the staff member may do `needs` on the
/// contest (the role first: a refusal must not depend on the file), and says what came of it for
/// the form's page, as [`outcome`] does.
pub(crate) async fn import_upload(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    needs: Action,
    multipart: Multipart,
    import: impl AsyncFnOnce(String, Vec<u8>) -> Result<String, EngineError>,
) -> Result<Shown, EngineError> {
    s.engine.contest_for(staff, slug, needs).await?;
    let done = match the_file(multipart).await {
        Ok((name, bytes)) => import(name, bytes).await,
        Err(m) => Err(EngineError::BadRequest(m)),
    };
    outcome(done)
}

/// A page that shows why the form just sent was refused answers 422, so that scripts and tests
/// see the refusal; otherwise 200. Never stored.
pub(crate) fn after_form(refused: bool, page: impl IntoResponse) -> Response {
    answered(refused, StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// A contest's page that shows why an action on the contest was refused (a round that cannot
/// open yet, results that cannot be approved) answers 409: the form was right, the contest's
/// state does not allow it. Otherwise 200. Never stored.
pub(crate) fn after_action(refused: bool, page: impl IntoResponse) -> Response {
    answered(refused, StatusCode::CONFLICT, page)
}

fn answered(refused: bool, refusal: StatusCode, page: impl IntoResponse) -> Response {
    private((if refused { refusal } else { StatusCode::OK }, page))
}

/// The spreadsheet type, for the console's workbooks.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file download of the console: saved under `name`, private, never cached.
pub(crate) fn download(content_type: &str, name: &str, body: impl IntoResponse) -> Response {
    private((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    ))
}

/// `?dot=2`: the round a page or a workbook is about.
#[derive(Deserialize)]
pub(super) struct RoundQuery {
    #[serde(default)]
    pub dot: Option<i64>,
}

/// The contest's rounds as a round picker lists them: `(number, "Đợt 1: name")`.
pub(crate) fn round_choices(c: &CachedContest) -> Vec<(i64, String)> {
    c.stored.rounds.iter().map(|r| (r.number, format!("Đợt {}: {}", r.number, r.name))).collect()
}

/// An instant (ms) as the console writes it, Vietnam time; nothing for an impossible one.
pub(crate) fn at(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(vntime::format).unwrap_or_default()
}
