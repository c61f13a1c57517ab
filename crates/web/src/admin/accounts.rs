//! Accounts (system administrators only) and the audit log pages.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cuocthi_domain::vntime;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{ACTION_LABELS, AUDIT_PAGE, MIN_PASSWORD_CHARS, Staff};
use cuocthi_store::AuditFilter;
use serde::Deserialize;

use super::{Frame, StaffUser};
use crate::http::{Form, PageResult, Path, private, see_other};
use crate::{AppState, SecondFactor};

struct AccountLine {
    id: i64,
    username: String,
    full_name: String,
    system_admin: bool,
    has_totp: bool,
    disabled: bool,
    grants: Vec<(i64, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    accounts: Vec<AccountLine>,
    min_password: usize,
    /// The viewer's own account (it cannot lock itself).
    me: i64,
    /// Whether every account must set up an authenticator app (not only administrators).
    second_factor_for_all: bool,
}

async fn accounts_page(s: &AppState, staff: &Staff, error: Option<String>, notice: Option<String>) -> PageResult {
    let titles: HashMap<i64, String> =
        s.engine.console_contests(staff).await?.into_iter().map(|c| (c.id, c.title)).collect();
    let accounts = s
        .engine
        .accounts(staff)
        .await?
        .into_iter()
        .map(|a| AccountLine {
            id: a.id,
            username: a.username,
            full_name: a.full_name,
            system_admin: a.system_admin,
            has_totp: a.has_totp,
            disabled: a.disabled,
            grants: a
                .grants
                .iter()
                .map(|g| {
                    let unit = g.unit.as_deref().map(|u| format!(" ({u})")).unwrap_or_default();
                    let title = titles.get(&g.contest_id).cloned().unwrap_or_default();
                    (g.id, format!("{}{unit} – {title}", g.role.label()))
                })
                .collect(),
        })
        .collect();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(private((
        status,
        AccountsPage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            accounts,
            min_password: MIN_PASSWORD_CHARS,
            me: staff.account_id,
            second_factor_for_all: s.config.second_factor == SecondFactor::EveryAccount,
        },
    )))
}

#[derive(Deserialize, Default)]
pub(super) struct AccountsQuery {
    /// Set by the redirect after a second factor was removed: the account's id.
    #[serde(default, rename = "da-go")]
    reset: Option<i64>,
}

pub(super) async fn accounts(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Query(q): Query<AccountsQuery>,
) -> PageResult {
    let notice = match q.reset {
        Some(id) => s.engine.accounts(&staff).await?.into_iter().find(|a| a.id == id).map(|a| {
            format!(
                "Đã gỡ xác thực hai lớp của tài khoản {}: các phiên đăng nhập của tài khoản đã kết thúc; \
                 lần đăng nhập tới, {}",
                a.username,
                if s.config.second_factor.required(a.system_admin) {
                    "tài khoản phải cài đặt lại ứng dụng xác thực trước khi làm việc khác."
                } else {
                    "người dùng nên cài đặt lại ứng dụng xác thực ở trang Bảo mật."
                }
            )
        }),
        None => None,
    };
    accounts_page(&s, &staff, None, notice).await
}

#[derive(Deserialize)]
pub(super) struct NewAccount {
    #[serde(default)]
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    admin: Option<String>,
}

pub(super) async fn create(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Form(f): Form<NewAccount>,
) -> PageResult {
    match s.engine.add_account(&staff, &f.username, &f.full_name, f.password, f.admin.is_some()).await {
        Ok(_) => accounts_page(&s, &staff, None, Some(format!("Đã tạo tài khoản {}.", f.username.trim()))).await,
        Err(e @ (EngineError::BadRequest(_) | EngineError::Conflict(_))) => {
            accounts_page(&s, &staff, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct LockForm {
    #[serde(default)]
    disabled: String,
}

pub(super) async fn lock(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<LockForm>,
) -> PageResult {
    s.engine.set_disabled(&staff, id, f.disabled == "1").await?;
    Ok(see_other("/admin/tai-khoan"))
}

#[derive(Deserialize)]
pub(super) struct NewPassword {
    #[serde(default)]
    password: String,
}

/// Sets another account's forgotten password (a system administrator's audited action; one's
/// own is changed on the security page, with the current one).
pub(super) async fn reset_password(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<i64>,
    Form(f): Form<NewPassword>,
) -> PageResult {
    match s.engine.reset_password(&staff, id, f.password).await {
        Ok(username) => {
            let notice =
                format!("Đã đặt lại mật khẩu của tài khoản {username}: các phiên đăng nhập của tài khoản đã kết thúc.");
            accounts_page(&s, &staff, None, Some(notice)).await
        }
        Err(EngineError::BadRequest(m)) => accounts_page(&s, &staff, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}

/// Removes another account's second factor (a lost phone); the account sets it up again.
pub(super) async fn reset_second_factor(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<i64>,
) -> PageResult {
    match s.engine.reset_account_second_factor(&staff, id).await {
        Ok(_) => Ok(see_other(&format!("/admin/tai-khoan?da-go={id}"))),
        Err(EngineError::BadRequest(m)) => accounts_page(&s, &staff, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The audit log

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    loai: String,
    #[serde(default)]
    nguoi: String,
    #[serde(default)]
    truoc: Option<i64>,
}

struct AuditLine {
    id: i64,
    at_vn: String,
    actor: String,
    /// The code, kept visible (small, and in the title) and used by the filter.
    action: String,
    label: String,
    contest: String,
    subject: String,
    /// The subject as stored (`account:5`), for the title attribute.
    subject_code: String,
    detail: String,
    hash: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    frame: Option<Frame>,
    notice: Option<String>,
    contest_title: Option<String>,
    base: String,
    action: String,
    actor: String,
    entries: Vec<AuditLine>,
    older: Option<i64>,
    /// Every action code with its name, offered by the filter's box.
    codes: &'static [(&'static str, &'static str)],
}

fn filter_of(q: &AuditQuery, contest_id: Option<i64>, limit: i64) -> AuditFilter {
    AuditFilter {
        contest_id,
        action_prefix: Some(q.loai.trim().to_string()).filter(|a| !a.is_empty()),
        actor: Some(q.nguoi.trim().to_lowercase()).filter(|a| !a.is_empty()),
        before_id: q.truoc,
        limit,
    }
}

/// The audit page of one contest (`contest = Some`) or of everything.
pub(super) async fn audit_page(
    s: &AppState,
    staff: &Staff,
    contest: Option<(i64, String, String)>,
    q: AuditQuery,
) -> PageResult {
    let contest_id = contest.as_ref().map(|c| c.0);
    let rows = s.engine.audit_log_named(staff, filter_of(&q, contest_id, AUDIT_PAGE)).await?;
    let older = (i64::try_from(rows.len()) == Ok(AUDIT_PAGE)).then(|| rows.last().map(|r| r.row.id)).flatten();
    let base = match &contest {
        Some((_, slug, _)) => format!("/admin/cuoc-thi/{slug}/nhat-ky"),
        None => "/admin/nhat-ky".into(),
    };
    let entries = rows
        .into_iter()
        .map(|named| {
            let r = named.row;
            AuditLine {
                id: r.id,
                at_vn: vntime::format(cuocthi_engine::console::audit::entry_time(&r)),
                detail: serde_json::from_str::<serde_json::Value>(&r.detail)
                    .and_then(|v| serde_json::to_string_pretty(&v))
                    .unwrap_or(r.detail),
                actor: r.actor,
                action: r.action,
                label: named.label,
                contest: named.contest.unwrap_or_default(),
                subject: named.subject,
                subject_code: r.subject,
                hash: r.hash,
            }
        })
        .collect();
    Ok(private(AuditPage {
        frame: Some(Frame::of(staff)),
        notice: None,
        contest_title: contest.map(|c| c.2),
        base,
        action: q.loai,
        actor: q.nguoi,
        entries,
        older,
        codes: ACTION_LABELS,
    }))
}

/// The audit log as CSV (UTF-8 with BOM so Excel reads the marks), oldest entries last.
pub(super) async fn audit_csv(
    s: &AppState,
    staff: &Staff,
    contest_id: Option<i64>,
    q: AuditQuery,
) -> Result<Response, EngineError> {
    let rows = s.engine.audit_log_named(staff, filter_of(&q, contest_id, 100_000)).await?;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    // The stored codes first (what the hash chain covers), then their names for people.
    let header = [
        "#",
        "Thời điểm (giờ VN)",
        "Người thực hiện",
        "Thao tác",
        "Tên thao tác",
        "Cuộc thi",
        "Tên cuộc thi",
        "Đối tượng",
        "Mô tả đối tượng",
        "Chi tiết",
        "Mã băm trước",
        "Mã băm",
    ];
    let write = |w: &mut csv::Writer<Vec<u8>>, rec: &[String]| {
        w.write_record(rec).map_err(|e| EngineError::Internal(Box::new(e)))
    };
    write(&mut w, &header.map(String::from))?;
    for named in &rows {
        let r = &named.row;
        let at = vntime::format(cuocthi_engine::console::audit::entry_time(r));
        let contest = r.contest_id.map(|c| c.to_string()).unwrap_or_default();
        write(
            &mut w,
            &[
                r.id.to_string(),
                at,
                r.actor.clone(),
                r.action.clone(),
                named.label.clone(),
                contest,
                named.contest.clone().unwrap_or_default(),
                r.subject.clone(),
                named.subject.clone(),
                r.detail.clone(),
                r.prev_hash.clone(),
                r.hash.clone(),
            ],
        )?;
    }
    let body = w.into_inner().map_err(|e| EngineError::Internal(Box::new(e.into_error())))?;
    Ok(private((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"nhat-ky.csv\""),
        ],
        body,
    )))
}

pub(super) async fn audit_all(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    audit_page(&s, &staff, None, q).await
}

pub(super) async fn audit_all_csv(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Query(q): Query<AuditQuery>,
) -> Response {
    audit_csv(&s, &staff, None, q).await.map_err(crate::http::PageError::from).into_response()
}
