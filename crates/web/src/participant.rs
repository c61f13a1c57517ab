//! The participant's path as plain HTML pages that work without JavaScript: the contest page,
//! registration and identification, the attempt (one form with every question), submission and
//! the result. Every page calls the same engine use cases as the JSON API.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cuocthi_domain::attempt::Void;
use cuocthi_domain::identity::{Field, IdentityInput};
use cuocthi_domain::locality::{self, Scheme};
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::MaterialView;
use cuocthi_engine::feedback::OwnReport;
use cuocthi_engine::review::Origin;
use cuocthi_engine::token::Claims;
use cuocthi_engine::views::{AttemptSummary, AttemptView, ContestView, ResultView};

use crate::i18n::{self, Texts};
use crate::{AppState, markdown, session};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cuoc-thi/{slug}", get(contest_page))
        .route("/cuoc-thi/{slug}/dang-ky", get(register_form).post(register))
        .route("/cuoc-thi/{slug}/dang-nhap", get(identify_form).post(identify))
        .route("/cuoc-thi/{slug}/dang-xuat", post(sign_out))
        .route("/cuoc-thi/{slug}/vao-thi/{round_id}", post(start))
        .route("/cuoc-thi/{slug}/tai-lieu/{id}", get(material))
        .route("/cuoc-thi/{slug}/giao-dien.css", get(brand_css))
        .route("/bai-thi/{id}", get(attempt_page))
        .route("/bai-thi/{id}/luu", post(save))
        .route("/bai-thi/{id}/nop", get(confirm_submit).post(submit))
        .route("/bai-thi/{id}/ket-qua", get(result_page))
        .route("/bai-thi/{id}/gop-y", post(report_from_result))
}

// ---------------------------------------------------------------------------------------------
// Errors and common response shapes

/// A refusal shown as an HTML page (the API's errors are JSON; pages get a page).
#[derive(Clone)]
pub struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    pub(crate) back: Option<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Texts,
    message: &'a str,
    back: Option<(String, &'static str)>,
}

impl From<EngineError> for PageError {
    fn from(e: EngineError) -> Self {
        let status = crate::error::status_of(&e);
        match &e {
            EngineError::Internal(d) => tracing::error!(detail = %d, "internal error"),
            EngineError::Unavailable(d) => tracing::warn!(detail = %d, "unavailable"),
            _ => {}
        }
        let back = match e {
            EngineError::Unauthenticated => Some(("/".to_string(), i18n::t().home_to_choose)),
            _ => None,
        };
        PageError { status, message: e.to_string(), back }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = ErrorPage { t: i18n::t(), message: &self.message, back: self.back.clone() }
            .render()
            .unwrap_or_else(|_| self.message.clone());
        let mut resp = (self.status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
        no_store(&mut resp);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        resp
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

/// `axum::extract::Path` whose rejection (`/bai-thi/abc`) is the "not found" page, in the
/// visitor's language, rather than axum's plain text.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(PageError))]
pub(crate) struct Path<T>(pub(crate) T);

/// `axum::extract::Form` whose rejection is a page saying what to do.
#[derive(FromRequest)]
#[from_request(via(axum::extract::Form), rejection(PageError))]
pub(crate) struct Form<T>(pub(crate) T);

impl From<PathRejection> for PageError {
    fn from(_: PathRejection) -> Self {
        EngineError::NotFound("trang").into()
    }
}

impl From<FormRejection> for PageError {
    fn from(_: FormRejection) -> Self {
        EngineError::BadRequest("Biểu mẫu gửi lên không hợp lệ; vui lòng tải lại trang và thử lại.".into()).into()
    }
}

fn no_store(resp: &mut Response) {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A page with personal data: never stored by the browser or a proxy.
pub(crate) fn private(page: impl IntoResponse) -> Response {
    let mut resp = page.into_response();
    no_store(&mut resp);
    resp
}

pub(crate) fn see_other(to: &str) -> Response {
    private(Redirect::to(to))
}

/// The session's participant, or a page asking to sign in again.
fn who(s: &AppState, headers: &HeaderMap) -> Result<Claims, PageError> {
    session::claims(&s.engine, headers).ok_or_else(|| EngineError::Unauthenticated.into())
}

fn count(n: i64) -> String {
    text::thousands(n)
}

const LETTERS: [&str; 8] = ["A", "B", "C", "D", "E", "F", "G", "H"];

// ---------------------------------------------------------------------------------------------
// The contest page

struct RoundCard {
    id: i64,
    name: String,
    window: String,
    facts: String,
    people: String,
    attempts: String,
    prizes: Vec<String>,
    /// What the person can do now: `start` (a button), `register` (links), or nothing.
    action: &'static str,
    button: String,
    notice: Option<String>,
    /// Until the round opens (upcoming) or closes (open): the words, the time left as text, and
    /// in milliseconds for the script that keeps it ticking.
    countdown: Option<(&'static str, String, i64)>,
    results: Vec<AttemptLink>,
}

struct AttemptLink {
    href: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contest.html")]
struct ContestPage {
    t: &'static Texts,
    c: ContestView,
    rules_html: String,
    og_description: String,
    phase_note: String,
    rounds: Vec<RoundCard>,
    person: Option<String>,
    flash: Option<String>,
    share: Share,
    /// Shown in a portal's frame: links and forms open a new tab, where the session cookie works.
    framed: bool,
    materials: Vec<MaterialView>,
    logo: Option<MaterialView>,
    /// The contest has its own colour (`giao-dien.css`).
    branded: bool,
}

/// The contest page's address as the world sees it, and what is built from it: share links as
/// plain URLs (no third-party script) and the snippets a portal pastes to embed the contest.
struct Share {
    url: String,
    facebook: String,
    iframe: String,
    banner: String,
}

/// The site's public address: the configured one, or the request's own host.
pub(crate) fn public_base(s: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &s.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("{}://{host}", if https { "https" } else { "http" })
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// For text inside the HTML snippets (which the page then escapes once more to show them).
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn share_of(base: &str, c: &ContestView, t: &Texts) -> Share {
    let url = format!("{base}/cuoc-thi/{}", percent_encode(&c.slug));
    let title = html_escape(&c.title);
    Share {
        facebook: format!("https://www.facebook.com/sharer/sharer.php?u={}", percent_encode(&url)),
        iframe: format!(
            "<iframe src=\"{url}\" title=\"{title}\" width=\"100%\" height=\"720\" style=\"border:0\" loading=\"lazy\"></iframe>"
        ),
        banner: format!(
            "<a href=\"{url}\" target=\"_blank\" rel=\"noopener\" style=\"display:block;padding:12px 16px;background:#b3261e;color:#fff;font:bold 18px/1.4 sans-serif;text-decoration:none;border-radius:8px\">{title} – {}</a>",
            t.banner_cta
        ),
        url,
    }
}

async fn contest_page(State(s): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> PageResult {
    render_contest(&s, &slug, &headers, None, StatusCode::OK).await
}

async fn render_contest(
    s: &AppState,
    slug: &str,
    headers: &HeaderMap,
    flash: Option<String>,
    status: StatusCode,
) -> PageResult {
    let t = i18n::t();
    let c = s.engine.contest(slug).await?;
    // The session counts only for this contest.
    let me = match session::claims(&s.engine, headers) {
        Some(claims) => match s.engine.me(claims).await {
            Ok(me) if me.contest_slug == c.slug => Some(me),
            _ => None,
        },
        None => None,
    };
    let mut rounds = Vec::new();
    for r in &c.rounds {
        let mine: Vec<&AttemptSummary> =
            me.as_ref().map(|m| m.attempts.iter().filter(|a| a.round_id == r.id).collect()).unwrap_or_default();
        let used = mine.len() as u32;
        let open = mine.iter().any(|a| a.status == "open");
        let (action, button, notice) = match r.phase.as_str() {
            "upcoming" => ("", String::new(), Some((t.round_upcoming)(r.opens_at))),
            "closed" => ("", String::new(), Some((t.round_closed)(r.closes_at))),
            _ if me.is_none() => ("register", String::new(), None),
            _ if open => ("start", t.continue_attempt.to_string(), None),
            _ if used >= r.attempts_per_person => {
                ("", String::new(), Some(EngineError::AttemptLimit(r.attempts_per_person).to_string()))
            }
            _ if used == 0 => ("start", t.start.to_string(), None),
            _ => ("start", (t.attempt_again)(used + 1), None),
        };
        rounds.push(RoundCard {
            id: r.id,
            name: r.name.clone(),
            window: (t.window)(r.opens_at, r.closes_at),
            facts: (t.facts)(r.questions_per_attempt, r.time_limit_minutes, r.attempts_per_person),
            people: count(r.people),
            attempts: count(r.attempts),
            prizes: r.prizes.iter().map(|p| (t.prize)(&p.name, p.count, p.amount_vnd)).collect(),
            action,
            button,
            notice,
            countdown: {
                let now = s.engine.now();
                let until = |label, at: chrono::DateTime<chrono::Utc>| {
                    let ms = (at - now).num_milliseconds();
                    Some((label, i18n::countdown(ms, t.countdown_units), ms))
                };
                match r.phase.as_str() {
                    "upcoming" => until(t.opens_in, r.opens_at),
                    "open" => until(t.closes_in, r.closes_at),
                    _ => None,
                }
            },
            results: mine
                .iter()
                .filter(|a| a.status == "submitted")
                .map(|a| AttemptLink {
                    href: format!("/bai-thi/{}/ket-qua", a.id),
                    label: (t.attempt_line)(
                        a.seq,
                        a.correct.unwrap_or_default(),
                        a.questions,
                        a.time_taken_ms.unwrap_or_default(),
                    ),
                })
                .collect(),
        });
    }
    let phase_note = match (c.rounds.iter().map(|r| r.opens_at).min(), c.rounds.iter().map(|r| r.closes_at).max()) {
        (Some(first), Some(last)) => {
            let now = s.engine.now();
            if now < first {
                (t.contest_upcoming)(first)
            } else if now >= last {
                (t.contest_closed)(last)
            } else if c.rounds.iter().any(|r| r.phase == "open") {
                (t.contest_open_until)(last)
            } else {
                t.between_rounds.to_string()
            }
        }
        _ => String::new(),
    };
    let og_description = match (c.rounds.first(), c.rounds.last()) {
        (Some(f), Some(l)) => (t.og_description)(&c.summary, f.opens_at, l.closes_at),
        _ => c.summary.clone(),
    };
    let person = me.as_ref().map(|m| m.participant.full_name.clone().unwrap_or_else(|| t.a_participant.into()));
    let share = share_of(&public_base(s, headers), &c, t);
    let framed = headers.get("sec-fetch-dest").and_then(|v| v.to_str().ok()) == Some("iframe");
    let (materials, logo) = s.engine.materials(slug).await?;
    let (accent, portals) = s.engine.branding(slug).await?;
    let page = ContestPage {
        t,
        materials,
        logo,
        branded: accent.is_some(),
        share,
        framed,
        rules_html: markdown::to_html(&c.rules),
        og_description: og_description.trim().to_string(),
        phase_note,
        rounds,
        person,
        flash,
        c,
    };
    let mut resp = (status, page).into_response();
    if !portals.is_empty() {
        // This contest's portals may frame it, besides those the deployment allows.
        let mut origins = s.config.frame_ancestors.clone();
        origins.extend(portals);
        if let Ok(v) = HeaderValue::from_str(&crate::csp(&origins)) {
            resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if me.is_some() {
        no_store(&mut resp);
    } else {
        // Public, but the live counts change: revalidate every time.
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    Ok(resp)
}

/// A contest's file: study materials are downloaded, the logo shown inline; both are public and
/// never change under their id.
async fn material(State(s): State<AppState>, Path((slug, id)): Path<(String, i64)>) -> PageResult {
    let (name, content_type, body) = s.engine.material_file(&slug, id).await?;
    let disposition = if content_type.starts_with("image/") {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{name}\"")
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    for (k, v) in [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CACHE_CONTROL, "public, max-age=86400, immutable".into()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    Ok(resp)
}

/// The contest's colour as a style sheet (the CSP allows no inline style).
async fn brand_css(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    let (accent, _) = s.engine.branding(&slug).await?;
    let css = accent.map(|c| format!(":root{{--accent:{c}}}\n")).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], css)
        .into_response())
}

async fn sign_out(Path(slug): Path<String>) -> Response {
    let mut resp = see_other(&format!("/cuoc-thi/{slug}"));
    resp.headers_mut().insert(header::SET_COOKIE, session::clear_cookie());
    resp
}

// ---------------------------------------------------------------------------------------------
// Registration and identification

struct Choice {
    code: String,
    name: String,
    selected: bool,
}

struct ChoiceGroup {
    label: String,
    choices: Vec<Choice>,
}

struct FormField {
    name: &'static str,
    label: &'static str,
    /// `text`, `tel`, `email` or `select`.
    kind: &'static str,
    inputmode: &'static str,
    autocomplete: &'static str,
    hint: &'static str,
    value: String,
    error: Option<String>,
    groups: Vec<ChoiceGroup>,
}

#[derive(Template, WebTemplate)]
#[template(path = "register.html")]
struct RegisterPage {
    t: &'static Texts,
    slug: String,
    title: String,
    organiser: String,
    /// The organiser's retention period, or the default text of the page's language.
    retention: String,
    fields: Vec<FormField>,
    consent_error: Option<String>,
    general_error: Option<String>,
}

pub(crate) fn field_of(name: &str) -> Option<Field> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// Units in tree order, each sub-unit under its parent and marked by its depth ("— Phòng …"), so
/// a person finds their own office under their department.
fn unit_tree(units: &[cuocthi_engine::views::UnitView]) -> impl Iterator<Item = (String, String)> + '_ {
    fn walk(
        units: &[cuocthi_engine::views::UnitView],
        parent: Option<&str>,
        depth: usize,
        out: &mut Vec<(String, String)>,
    ) {
        for u in units.iter().filter(|u| u.parent.as_deref() == parent) {
            out.push((u.code.clone(), format!("{}{}", "— ".repeat(depth), u.name)));
            if depth < 16 {
                walk(units, Some(&u.code), depth + 1, out);
            }
        }
    }
    let mut out = Vec::with_capacity(units.len());
    walk(units, None, 0, &mut out);
    out.into_iter()
}

fn choices(list: impl Iterator<Item = (String, String)>, value: &str) -> Vec<Choice> {
    list.map(|(code, name)| Choice { selected: code == value, code, name }).collect()
}

/// The communes of the contest's province (under its districts for the 2020 scheme), or the
/// provinces when the contest names none.
fn locality_groups(scheme: Scheme, province: Option<&str>, value: &str) -> Vec<ChoiceGroup> {
    let atlas = locality::atlas(scheme);
    let named = |l: &locality::Locality| (l.code.clone(), l.name.clone());
    match province {
        Some(p) if atlas.get(p).is_some() => {
            let below: Vec<&locality::Locality> = atlas.children(p).collect();
            let has_grandchildren = below.iter().any(|d| atlas.children(&d.code).next().is_some());
            if has_grandchildren {
                below
                    .iter()
                    .map(|d| ChoiceGroup {
                        label: d.name.clone(),
                        choices: choices(atlas.children(&d.code).map(named), value),
                    })
                    .collect()
            } else {
                vec![ChoiceGroup { label: String::new(), choices: choices(below.into_iter().map(named), value) }]
            }
        }
        _ => vec![ChoiceGroup {
            label: String::new(),
            choices: choices(atlas.all.iter().filter(|l| l.is_province()).map(named), value),
        }],
    }
}

fn registration_fields(
    c: &ContestView,
    province: Option<&str>,
    typed: &HashMap<String, String>,
    errors: &[(String, String)],
) -> Vec<FormField> {
    let mut names: Vec<String> = c.required_fields.clone();
    if !names.contains(&c.identity_key) {
        names.insert(0, c.identity_key.clone());
    }
    let scheme = if c.locality_scheme == "2020" { Scheme::Y2020 } else { Scheme::Y2025 };
    let t = i18n::t();
    names
        .iter()
        .filter_map(|n| field_of(n))
        .map(|f| {
            let value = typed.get(f.name()).cloned().unwrap_or_default();
            let error = errors.iter().find(|(k, _)| k == f.name()).map(|(_, m)| m.clone());
            let mut field = FormField {
                name: f.name(),
                label: (t.field)(f),
                kind: "text",
                inputmode: "text",
                autocomplete: "off",
                hint: (t.hint)(f),
                value: String::new(),
                error,
                groups: Vec::new(),
            };
            match f {
                Field::FullName => field.autocomplete = "name",
                Field::DateOfBirth => {
                    field.inputmode = "numeric";
                    field.autocomplete = "bday";
                }
                Field::Cccd => field.inputmode = "numeric",
                Field::Phone => {
                    field.kind = "tel";
                    field.inputmode = "tel";
                    field.autocomplete = "tel";
                }
                Field::Email => {
                    field.kind = "email";
                    field.inputmode = "email";
                    field.autocomplete = "email";
                }
                Field::Unit => {
                    field.kind = "select";
                    field.groups =
                        vec![ChoiceGroup { label: String::new(), choices: choices(unit_tree(&c.units), &value) }];
                }
                Field::Group => {
                    field.kind = "select";
                    field.groups = vec![ChoiceGroup {
                        label: String::new(),
                        choices: choices(c.groups.iter().map(|g| (g.code.clone(), g.name.clone())), &value),
                    }];
                }
                Field::Locality => {
                    field.kind = "select";
                    field.groups = locality_groups(scheme, province, &value);
                }
            }
            field.value = value;
            field
        })
        .collect()
}

async fn register_page(
    s: &AppState,
    slug: &str,
    typed: &HashMap<String, String>,
    errors: &[(String, String)],
    consent_error: Option<String>,
    general_error: Option<String>,
) -> Result<RegisterPage, PageError> {
    let c = s.engine.contest(slug).await?;
    Ok(RegisterPage {
        t: i18n::t(),
        fields: registration_fields(&c, c.province_code.as_deref(), typed, errors),
        slug: c.slug,
        title: c.title,
        retention: c.data_retention.clone().unwrap_or_else(|| i18n::t().retention.to_string()),
        organiser: c.organiser,
        consent_error,
        general_error,
    })
}

async fn register_form(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    Ok(private(register_page(&s, &slug, &HashMap::new(), &[], None, None).await?))
}

fn typed_value(form: &HashMap<String, String>, name: &str) -> Option<String> {
    form.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

async fn register(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let input = IdentityInput {
        full_name: typed_value(&form, "full_name"),
        date_of_birth: typed_value(&form, "date_of_birth"),
        cccd: typed_value(&form, "cccd"),
        phone: typed_value(&form, "phone"),
        email: typed_value(&form, "email"),
        unit: typed_value(&form, "unit"),
        locality: typed_value(&form, "locality"),
        group: typed_value(&form, "group"),
    };
    let consent = form.get("consent").is_some_and(|v| v == "1" || v == "on");
    let refused = |errors: Vec<(String, String)>, consent_error: Option<String>, general: Option<String>| {
        let (s, slug, form) = (&s, &slug, &form);
        async move {
            let page = register_page(s, slug, form, &errors, consent_error, general).await?;
            Ok::<_, PageError>(private((StatusCode::UNPROCESSABLE_ENTITY, page)))
        }
    };
    match s.engine.register(&slug, &input, consent).await {
        Ok(session) => Ok(signed_in(&s, &slug, &session, &headers)),
        Err(EngineError::InvalidIdentity(fields)) => {
            let errors = fields.into_iter().map(|f| (f.field, f.message)).collect();
            let consent_error = (!consent).then(|| EngineError::ConsentRequired.to_string());
            refused(errors, consent_error, Some(EngineError::InvalidIdentity(Vec::new()).to_string())).await
        }
        Err(e @ EngineError::ConsentRequired) => refused(Vec::new(), Some(e.to_string()), None).await,
        Err(e @ EngineError::IdentityMismatch) => refused(Vec::new(), None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

fn signed_in(s: &AppState, slug: &str, session: &cuocthi_engine::views::Session, headers: &HeaderMap) -> Response {
    let mut resp = see_other(&format!("/cuoc-thi/{slug}"));
    resp.headers_mut()
        .insert(header::SET_COOKIE, session::set_cookie(&session.token, session.expires_at, s.engine.now(), headers));
    resp
}

#[derive(Template, WebTemplate)]
#[template(path = "identify.html")]
struct IdentifyPage {
    t: &'static Texts,
    slug: String,
    title: String,
    key_label: &'static str,
    dob_label: &'static str,
    dob_hint: &'static str,
    key_inputmode: &'static str,
    key: String,
    date_of_birth: String,
    key_error: Option<String>,
    dob_error: Option<String>,
    general_error: Option<String>,
}

async fn identify_page(s: &AppState, slug: &str) -> Result<IdentifyPage, PageError> {
    let c = s.engine.contest(slug).await?;
    let key = field_of(&c.identity_key).unwrap_or(Field::Cccd);
    let t = i18n::t();
    Ok(IdentifyPage {
        t,
        slug: c.slug,
        title: c.title,
        key_label: (t.field)(key),
        dob_label: (t.field)(Field::DateOfBirth),
        dob_hint: (t.hint)(Field::DateOfBirth),
        key_inputmode: match key {
            Field::Phone => "tel",
            Field::Email => "email",
            _ => "numeric",
        },
        key: String::new(),
        date_of_birth: String::new(),
        key_error: None,
        dob_error: None,
        general_error: None,
    })
}

async fn identify_form(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    Ok(private(identify_page(&s, &slug).await?))
}

async fn identify(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let key = typed_value(&form, "key").unwrap_or_default();
    let dob = typed_value(&form, "date_of_birth").unwrap_or_default();
    let mut page = identify_page(&s, &slug).await?;
    if key.is_empty() {
        page.key_error = Some((page.t.please_enter)(page.key_label));
    }
    if dob.is_empty() {
        page.dob_error = Some((page.t.please_enter)(page.dob_label));
    }
    if page.key_error.is_none() && page.dob_error.is_none() {
        match s.engine.identify(&slug, &key, &dob).await {
            Ok(session) => return Ok(signed_in(&s, &slug, &session, &headers)),
            Err(EngineError::BadRequest(m)) => page.dob_error = Some(m),
            Err(e @ EngineError::IdentityMismatch) => page.general_error = Some(e.to_string()),
            Err(e) => return Err(e.into()),
        }
    }
    page.key = key;
    page.date_of_birth = dob;
    Ok(private((StatusCode::UNPROCESSABLE_ENTITY, page)))
}

// ---------------------------------------------------------------------------------------------
// The attempt

async fn start(
    State(s): State<AppState>,
    Path((slug, round_id)): Path<(String, i64)>,
    crate::admin::Peer(peer): crate::admin::Peer,
    headers: HeaderMap,
) -> PageResult {
    let Some(claims) = session::claims(&s.engine, &headers) else {
        return Ok(see_other(&format!("/cuoc-thi/{slug}/dang-nhap")));
    };
    let (device, new_device) = session::device(&headers);
    let origin = Origin {
        address: crate::admin::client_address(&headers, peer, &s.config.trusted_proxies).parse().ok(),
        device: Some(device),
    };
    match s.engine.start_from(claims, round_id, &origin).await {
        Ok(a) => {
            let mut resp = see_other(&format!("/bai-thi/{}", a.id));
            if let Some(c) = new_device {
                resp.headers_mut().append(header::SET_COOKIE, c);
            }
            Ok(resp)
        }
        Err(
            e @ (EngineError::AttemptLimit(_)
            | EngineError::RoundNotOpen(_)
            | EngineError::RoundClosed(_)
            | EngineError::Ineligible(_)),
        ) => {
            let status = crate::error::status_of(&e);
            render_contest(&s, &slug, &headers, Some(e.to_string()), status).await
        }
        Err(e) => Err(e.into()),
    }
}

struct OptionRow {
    index: usize,
    letter: &'static str,
    text: String,
    checked: bool,
}

struct QuestionRow {
    position: usize,
    number: usize,
    stem: String,
    options: Vec<OptionRow>,
    answered: bool,
    /// The person has reported a problem with this question already.
    reported: bool,
    /// Why a report on this question was just refused.
    feedback_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "attempt.html")]
struct AttemptPage {
    t: &'static Texts,
    id: i64,
    slug: String,
    contest_title: String,
    seq: i64,
    total: usize,
    answered: usize,
    remaining_ms: i64,
    remaining_text: String,
    clock: String,
    deadline: String,
    questions: Vec<QuestionRow>,
    tiebreak_prompt: Option<String>,
    prediction: String,
    error: Option<String>,
    /// One question per screen (with JavaScript) rather than all of them on one page.
    one_per_screen: bool,
    f: &'static FeedbackTexts,
    /// "Your report was sent", after one.
    notice: Option<String>,
}

/// The attempt page's layout, remembered in a cookie: `tung-cau` (one question per screen, the
/// script pages through the form) or `tat-ca` (all on one page, the default).
const MODE_COOKIE: &str = "che_do";

fn one_per_screen(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .any(|(k, v)| k == MODE_COOKIE && v.trim() == "tung-cau")
}

fn clock_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{:02}:{:02}", s / 60, s % 60)
}

fn attempt_page_of(
    a: AttemptView,
    slug: String,
    contest_title: String,
    error: Option<String>,
    one_per_screen: bool,
) -> AttemptPage {
    let total = a.questions.len();
    let t = i18n::t();
    AttemptPage {
        t,
        id: a.id,
        slug,
        contest_title,
        seq: a.seq,
        total,
        answered: a.answered,
        remaining_ms: a.remaining_to_end_ms,
        remaining_text: (t.duration)(a.remaining_to_end_ms),
        clock: clock_text(a.remaining_to_end_ms),
        deadline: (t.at_seconds)(a.ends_at),
        questions: a
            .questions
            .into_iter()
            .map(|q| QuestionRow {
                position: q.position,
                number: q.position + 1,
                stem: q.stem,
                answered: q.answer.is_some(),
                reported: false,
                feedback_error: None,
                options: q
                    .options
                    .into_iter()
                    .enumerate()
                    .map(|(i, text)| OptionRow {
                        index: i,
                        letter: LETTERS.get(i).copied().unwrap_or(""),
                        text,
                        checked: q.answer == Some(i as u8),
                    })
                    .collect(),
            })
            .collect(),
        tiebreak_prompt: a.tiebreak_prompt,
        prediction: a.prediction.map(text::thousands).unwrap_or_default(),
        error,
        one_per_screen,
        f: FeedbackTexts::of(i18n::t()),
        notice: None,
    }
}

async fn attempt_page(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    // `?che-do=…` switches the layout: remembered, then the plain address again.
    if let Some(mode) = q.as_deref().and_then(|q| q.strip_prefix("che-do="))
        && matches!(mode, "tung-cau" | "tat-ca")
    {
        let mut resp = see_other(&format!("/bai-thi/{id}"));
        let cookie = format!("{MODE_COOKIE}={mode}; Path=/; SameSite=Lax; Max-Age=31536000");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        return Ok(resp);
    }
    let claims = who(&s, &headers)?;
    let error = (q.as_deref() == Some("loi=du-doan")).then(|| i18n::t().bad_prediction.to_string());
    let sent = q.as_deref().and_then(sent_number);
    attempt_with_feedback(&s, claims, id, &headers, error, sent, None).await
}

/// The attempt page with the person's reports on its questions: a question already reported
/// says so instead of offering the form again; `sent` is the number of the question just
/// reported, `refused` a report just refused (position, why).
async fn attempt_with_feedback(
    s: &AppState,
    claims: Claims,
    id: i64,
    headers: &HeaderMap,
    error: Option<String>,
    sent: Option<usize>,
    refused: Option<(usize, String, StatusCode)>,
) -> PageResult {
    let a = s.engine.attempt(claims, id).await?;
    if a.status != "open" {
        return Ok(see_other(&format!("/bai-thi/{id}/ket-qua")));
    }
    let me = s.engine.me(claims).await?;
    let c = s.engine.contest(&me.contest_slug).await?;
    let fb = s.engine.attempt_feedback(claims, id).await?;
    let mut page = attempt_page_of(a, c.slug, c.title, error, one_per_screen(headers));
    for q in &mut page.questions {
        q.reported = fb.report_at(q.position).is_some();
    }
    page.notice = sent.map(|n| (page.f.sent_notice)(&n));
    let status = match refused {
        Some((position, why, status)) => {
            match page.questions.iter_mut().find(|q| q.position == position) {
                Some(q) => q.feedback_error = Some(why),
                None => page.error = Some(why),
            }
            status
        }
        None => StatusCode::OK,
    };
    Ok(private((status, page)))
}

/// `gop-y=3` in a page's query: question 3 was just reported.
fn sent_number(query: &str) -> Option<usize> {
    query.split('&').find_map(|kv| kv.strip_prefix("gop-y=")).and_then(|n| n.parse().ok()).filter(|n| *n > 0)
}

/// Reads a prediction as people type it: `12.500`, `12 500` or `12500`.
fn parse_prediction(s: &str) -> Option<i64> {
    let digits: String = s.chars().filter(|c| !matches!(c, '.' | ' ' | ',' | '\u{a0}')).collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The form without JavaScript: every answer and the prediction at once. Saves what changed,
/// then shows the attempt again, or goes on to submission.
async fn save(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let claims = who(&s, &headers)?;
    let a = s.engine.attempt(claims, id).await?;
    if a.status != "open" {
        return Ok(see_other(&format!("/bai-thi/{id}/ket-qua")));
    }
    let closed = |e: &EngineError| matches!(e, EngineError::AttemptSubmitted | EngineError::PastDeadline);
    for q in &a.questions {
        let Some(choice) = form.get(&format!("q{}", q.position)).and_then(|v| v.parse::<u8>().ok()) else {
            continue;
        };
        if q.answer == Some(choice) {
            continue;
        }
        match s.engine.save_answer(claims, id, q.position, Some(choice)).await {
            Ok(_) => {}
            Err(e) if closed(&e) => return Ok(see_other(&format!("/bai-thi/{id}/ket-qua"))),
            Err(e) => return Err(e.into()),
        }
    }
    let mut bad_prediction = false;
    if let Some(raw) = form.get("du_doan").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match parse_prediction(raw) {
            Some(p) if Some(p) != a.prediction => match s.engine.save_prediction(claims, id, p).await {
                Ok(()) => {}
                Err(e) if closed(&e) => return Ok(see_other(&format!("/bai-thi/{id}/ket-qua"))),
                Err(EngineError::BadRequest(_)) => bad_prediction = true,
                Err(e) => return Err(e.into()),
            },
            Some(_) => {}
            None => bad_prediction = true,
        }
    }
    if bad_prediction {
        return Ok(see_other(&format!("/bai-thi/{id}?loi=du-doan#du-doan")));
    }
    // "Gửi góp ý" under a question: the answers above are saved first, so a page without
    // JavaScript loses nothing by sending a report.
    if let Some(position) =
        form.get("action").and_then(|a| a.strip_prefix("gop-y-")).and_then(|p| p.parse::<usize>().ok())
    {
        let message = form.get(&format!("gop_y_{position}")).map(String::as_str).unwrap_or_default();
        return match s.engine.report_question(claims, id, position, message).await {
            Ok(()) => Ok(see_other(&format!("/bai-thi/{id}?gop-y={n}#cau-{n}", n = position + 1))),
            Err(e) if refusable(&e) => {
                let status = crate::error::status_of(&e);
                attempt_with_feedback(&s, claims, id, &headers, None, None, Some((position, e.to_string(), status)))
                    .await
            }
            Err(e) => Err(e.into()),
        };
    }
    if form.get("action").map(String::as_str) == Some("nop") {
        if form.get("xac_nhan").map(String::as_str) == Some("1") {
            s.engine.submit(claims, id, None).await?;
            return Ok(see_other(&format!("/bai-thi/{id}/ket-qua")));
        }
        return Ok(see_other(&format!("/bai-thi/{id}/nop")));
    }
    Ok(see_other(&format!("/bai-thi/{id}#luu")))
}

#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    t: &'static Texts,
    id: i64,
    total: usize,
    unanswered: Vec<usize>,
    remaining_text: String,
}

/// Before submitting without JavaScript: the number of questions left unanswered.
async fn confirm_submit(State(s): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> PageResult {
    let claims = who(&s, &headers)?;
    let a = s.engine.attempt(claims, id).await?;
    if a.status != "open" {
        return Ok(see_other(&format!("/bai-thi/{id}/ket-qua")));
    }
    let t = i18n::t();
    Ok(private(ConfirmPage {
        t,
        id,
        total: a.questions.len(),
        unanswered: a.questions.iter().filter(|q| q.answer.is_none()).map(|q| q.position + 1).collect(),
        remaining_text: (t.duration)(a.remaining_to_end_ms),
    }))
}

async fn submit(State(s): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> PageResult {
    let claims = who(&s, &headers)?;
    s.engine.submit(claims, id, None).await?;
    Ok(see_other(&format!("/bai-thi/{id}/ket-qua")))
}

// ---------------------------------------------------------------------------------------------
// The result

struct KeyOption {
    letter: &'static str,
    text: String,
    correct: bool,
    chosen: bool,
}

struct KeyRow {
    number: usize,
    stem: String,
    right: bool,
    /// Dropped from scoring by the committee: neither right nor wrong.
    dropped: bool,
    options: Vec<KeyOption>,
    explanation: Option<String>,
    fb: FeedbackRow,
}

/// What the result page shows about one question beside its key (or, before the key is shown,
/// in the list of questions to report on): the committee's void, the person's report and its
/// reply, or the form to send one.
struct FeedbackRow {
    position: usize,
    number: usize,
    stem: String,
    void: Option<&'static str>,
    report: Option<OwnReport>,
    /// Why a report on this question was just refused.
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "result.html")]
struct ResultPage {
    t: &'static Texts,
    r: ResultView,
    slug: String,
    contest_title: String,
    submitted_at: String,
    time_taken: String,
    prediction: Option<String>,
    key: Option<Vec<KeyRow>>,
    f: &'static FeedbackTexts,
    /// Every question, to report on, while the key is not shown yet.
    feedback: Vec<FeedbackRow>,
    /// The list above starts open: the person has reported, or just tried to.
    feedback_open: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn result_page(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let claims = who(&s, &headers)?;
    render_result(&s, claims, id, q.as_deref().and_then(sent_number), None).await
}

/// The result page; `sent` and `refused` as for [`attempt_with_feedback`].
async fn render_result(
    s: &AppState,
    claims: Claims,
    id: i64,
    sent: Option<usize>,
    refused: Option<(usize, String, StatusCode)>,
) -> PageResult {
    let r = match s.engine.result(claims, id).await {
        Ok(r) => r,
        Err(EngineError::NotSubmitted) => return Ok(see_other(&format!("/bai-thi/{id}"))),
        Err(e) => return Err(e.into()),
    };
    let me = s.engine.me(claims).await?;
    let c = s.engine.contest(&me.contest_slug).await?;
    let fb = s.engine.attempt_feedback(claims, id).await?;
    let f = FeedbackTexts::of(i18n::t());
    let (refused_at, mut error, status) = match refused {
        Some((position, why, status)) => (Some(position), Some(why), status),
        None => (None, None, StatusCode::OK),
    };
    let mut feedback_row = |position: usize, stem: &str| FeedbackRow {
        position,
        number: position + 1,
        stem: stem.to_string(),
        void: fb.void_at(position).map(|v| f.void(v)),
        report: fb.report_at(position).cloned(),
        error: if refused_at == Some(position) { error.take() } else { None },
    };
    let key = r.key.as_ref().map(|k| {
        k.iter()
            .map(|q| KeyRow {
                number: q.position + 1,
                stem: q.stem.clone(),
                right: q.answer == Some(q.correct) || fb.void_at(q.position) == Some(Void::Award),
                dropped: fb.void_at(q.position) == Some(Void::Drop),
                fb: feedback_row(q.position, &q.stem),
                options: q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, t)| KeyOption {
                        letter: LETTERS.get(i).copied().unwrap_or(""),
                        text: t.clone(),
                        correct: i as u8 == q.correct,
                        chosen: q.answer == Some(i as u8),
                    })
                    .collect(),
                explanation: q.explanation.clone(),
            })
            .collect()
    });
    // Before the key is shown, the questions as the attempt showed them, to report on.
    let feedback = match &key {
        Some(_) => Vec::new(),
        None => {
            s.engine.attempt(claims, id).await?.questions.iter().map(|q| feedback_row(q.position, &q.stem)).collect()
        }
    };
    let t = i18n::t();
    let notice = sent.map(|n| (f.sent_notice)(&n));
    Ok(private((
        status,
        ResultPage {
            t,
            submitted_at: (t.at_seconds)(r.submitted_at),
            time_taken: (t.duration)(r.time_taken_ms),
            prediction: r.prediction.map(text::thousands),
            slug: c.slug,
            contest_title: c.title,
            feedback_open: !fb.reports.is_empty() || refused_at.is_some() || notice.is_some(),
            key,
            feedback,
            f,
            notice,
            // A refusal about no question shown (a tampered form) is said at the top.
            error,
            r,
        },
    )))
}

/// A report sent from the result page (a plain form: the question's position and the text).
async fn report_from_result(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let claims = who(&s, &headers)?;
    let Some(position) = form.get("vi_tri").and_then(|p| p.trim().parse::<usize>().ok()) else {
        return Err(
            EngineError::BadRequest("Biểu mẫu góp ý không chỉ rõ câu hỏi; vui lòng tải lại trang.".into()).into()
        );
    };
    let message = form.get("noi_dung").map(String::as_str).unwrap_or_default();
    match s.engine.report_question(claims, id, position, message).await {
        Ok(()) => Ok(see_other(&format!("/bai-thi/{id}/ket-qua?gop-y={n}#cau-{n}", n = position + 1))),
        Err(e) if refusable(&e) => {
            let status = crate::error::status_of(&e);
            render_result(&s, claims, id, None, Some((position, e.to_string(), status))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A refused report is shown on the page it was sent from, next to its question; anything else
/// (someone else's attempt, the database down) is an error page.
fn refusable(e: &EngineError) -> bool {
    matches!(e, EngineError::BadRequest(_) | EngineError::Conflict(_))
}

/// The texts of the feedback forms and notes, in the page's language. (Refusals are the
/// engine's Vietnamese messages, as everywhere.)
pub struct FeedbackTexts {
    pub summary: &'static str,
    pub label: &'static str,
    pub send: &'static str,
    pub sent: &'static str,
    pub sent_notice: fn(&usize) -> String,
    pub heading: &'static str,
    pub intro: &'static str,
    pub your_report: &'static str,
    pub reply: &'static str,
    pub waiting: &'static str,
    pub award: &'static str,
    pub drop: &'static str,
    pub not_scored: &'static str,
}

impl FeedbackTexts {
    /// The texts in the language of `t` (the request's).
    pub fn of(t: &Texts) -> &'static FeedbackTexts {
        if t.lang == "en" { &FEEDBACK_EN } else { &FEEDBACK_VI }
    }

    fn void(&self, v: Void) -> &'static str {
        match v {
            Void::Award => self.award,
            Void::Drop => self.drop,
        }
    }
}

pub static FEEDBACK_VI: FeedbackTexts = FeedbackTexts {
    summary: "Góp ý / báo lỗi câu hỏi",
    label: "Nội dung góp ý (tối đa 1.000 ký tự)",
    send: "Gửi góp ý",
    sent: "Đã gửi góp ý",
    sent_notice: |n| {
        format!("Đã gửi góp ý về câu {n}. Ban Tổ chức sẽ xem xét và trả lời tại trang kết quả bài thi của bạn.")
    },
    heading: "Góp ý về câu hỏi",
    intro: "Nếu thấy câu hỏi có sai sót, bạn có thể góp ý để Ban Tổ chức xem xét (mỗi câu hỏi một lần).",
    your_report: "Góp ý của bạn:",
    reply: "Trả lời của Ban Tổ chức:",
    waiting: "Ban Tổ chức chưa trả lời góp ý này.",
    award: "Câu hỏi đã bị hủy: mọi người được hỏi câu này đều được tính đúng.",
    drop: "Câu hỏi đã bị hủy: câu này không được tính điểm.",
    not_scored: "Không tính điểm",
};

pub static FEEDBACK_EN: FeedbackTexts = FeedbackTexts {
    summary: "Report a problem with this question",
    label: "Your remark (at most 1,000 characters)",
    send: "Send",
    sent: "Report sent",
    sent_notice: |n| format!("Your report on question {n} was sent. The organisers will reply on your result page."),
    heading: "Remarks on the questions",
    intro: "If a question looks wrong, you may tell the organisers (once per question).",
    your_report: "Your report:",
    reply: "The organisers' reply:",
    waiting: "The organisers have not replied yet.",
    award: "This question was voided: everyone asked it is counted as right.",
    drop: "This question was voided: it is not scored.",
    not_scored: "Not scored",
};

#[cfg(test)]
mod unit_tree_tests {
    use cuocthi_engine::views::UnitView;

    fn unit(code: &str, parent: Option<&str>) -> UnitView {
        UnitView { code: code.into(), name: format!("Đơn vị {code}"), parent: parent.map(Into::into) }
    }

    #[test]
    fn sub_units_follow_their_parent_marked_by_depth() {
        let units = vec![unit("B", None), unit("A1", Some("A")), unit("A", None), unit("A1a", Some("A1"))];
        let labels: Vec<String> = super::unit_tree(&units).map(|(_, name)| name).collect();
        assert_eq!(labels, vec!["Đơn vị B", "Đơn vị A", "— Đơn vị A1", "— — Đơn vị A1a"]);
    }
}
