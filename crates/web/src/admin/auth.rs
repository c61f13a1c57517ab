//! Signing in and out, and the account's own security page (second factor, password).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{ABSOLUTE_TIMEOUT, MIN_PASSWORD_CHARS, SignIn};
use serde::Deserialize;

use super::{Frame, StaffUser};
use crate::AppState;
use crate::cookies::{self, STAFF};
use crate::http::{Form, PageResult, Peer, client_address, private, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "admin/signin.html")]
struct SignInPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    username: String,
}

pub(super) async fn sign_in_page(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = STAFF.read(&headers)
        && s.engine.staff(&token).await.is_ok()
    {
        return see_other("/admin");
    }
    private(SignInPage { frame: None, notice: None, error: None, username: String::new() })
}

#[derive(Deserialize)]
pub(super) struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// A successful sign-in always gets a new session id, whatever cookie came with the request.
pub(super) async fn sign_in(
    State(s): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Response {
    let address = client_address(&headers, peer, &s.config.trusted_proxies);
    let form = SignIn { username: &f.username, password: &f.password, code: Some(f.code.as_str()), address: &address };
    match s.engine.sign_in(form).await {
        Ok(session) => {
            let cookie = STAFF.set_for(session.token, ABSOLUTE_TIMEOUT.num_seconds(), &headers);
            cookies::with(cookie, see_other("/admin"))
        }
        Err(e @ (EngineError::SignInFailed(_) | EngineError::Throttled(_))) => {
            let status = crate::http::status_of(&e);
            let page = SignInPage {
                frame: None,
                notice: None,
                error: Some(e.to_string()),
                username: f.username.trim().to_string(),
            };
            let mut resp = private((status, page));
            if let EngineError::Throttled(seconds) = e
                && let Ok(v) = seconds.to_string().parse()
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(e) => crate::http::PageError::from(e).into_response(),
    }
}

pub(super) async fn sign_out(State(s): State<AppState>, StaffUser(staff): StaffUser) -> PageResult {
    s.engine.sign_out(&staff).await?;
    Ok(cookies::with(STAFF.clear(), see_other("/admin/dang-nhap")))
}

struct Setup {
    secret: String,
    /// The QR code as a `data:` image (the CSP allows `data:` images and nothing remote).
    qr: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/security.html")]
struct SecurityPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    username: String,
    has_totp: bool,
    must: bool,
    setup: Option<Setup>,
    min_password: usize,
}

fn qr_data_uri(text: &str) -> String {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map(|c| c.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build())
        .unwrap_or_default();
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

async fn security_page(
    s: &AppState,
    staff: &cuocthi_engine::console::Staff,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let setup = if staff.has_totp { None } else { s.engine.pending_totp(staff).await? };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(private((
        status,
        SecurityPage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            username: staff.username.clone(),
            has_totp: staff.has_totp,
            must: s.config.second_factor.required(staff.system_admin),
            setup: setup.map(|t| Setup { qr: qr_data_uri(&t.url), secret: t.secret }),
            min_password: MIN_PASSWORD_CHARS,
        },
    )))
}

pub(super) async fn security(State(s): State<AppState>, StaffUser(staff): StaffUser) -> PageResult {
    security_page(&s, &staff, None, None).await
}

pub(super) async fn begin_totp(State(s): State<AppState>, StaffUser(staff): StaffUser) -> PageResult {
    if staff.has_totp {
        return Err(EngineError::Conflict("Tài khoản đã bật xác thực hai lớp.".into()).into());
    }
    s.engine.begin_totp(&staff).await?;
    Ok(see_other("/admin/bao-mat"))
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    #[serde(default)]
    code: String,
}

pub(super) async fn confirm_totp(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Form(f): Form<CodeForm>,
) -> PageResult {
    match s.engine.confirm_totp(&staff, &f.code).await {
        Ok(()) => Ok(see_other("/admin")),
        Err(EngineError::BadRequest(m)) => security_page(&s, &staff, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

/// One's own password, after the current one (an administrator's reset of someone else's is
/// another action). A refusal shows the page again and changes nothing.
pub(super) async fn change_password(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    match s.engine.change_own_password(&staff, &f.current, f.password).await {
        Ok(()) => Ok(cookies::with(STAFF.clear(), see_other("/admin/dang-nhap"))),
        Err(e @ EngineError::BadRequest(_)) => security_page(&s, &staff, Some(e.to_string()), None).await,
        // Like every throttle: the page again, with 429 and the wait.
        Err(e @ EngineError::Throttled(_)) => {
            let mut page = security_page(&s, &staff, Some(e.to_string()), None).await?;
            *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            if let Some(wait) = crate::http::retry_after(&e) {
                page.headers_mut().insert(axum::http::header::RETRY_AFTER, wait);
            }
            Ok(page)
        }
        Err(e) => Err(e.into()),
    }
}
