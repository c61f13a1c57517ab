//! A person's personal data (dữ liệu cá nhân của tôi, Luật 91/2025/QH15): they identify with their
//! key and date of birth (the identification of `register.rs`, with its throttles), see what is
//! stored about them, download it as JSON, ask for a correction, and withdraw consent and ask for
//! erasure after a confirmation page that says beforehand what will happen. The data is shown
//! only in the answer to the identification itself, never on a page a saved session opens; the
//! requests then use the session that identification set.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use cuocthi_domain::identity::{Cccd, Field};
use cuocthi_engine::EngineError;
use cuocthi_engine::participant::privacy::{Erasure, MyData};
use cuocthi_engine::shared::privacy::CORRECTABLE;
use cuocthi_engine::token::Claims;

use super::{dates, who};
use crate::http::{Form, PageResult, Path, Peer, client_address, field_of, private, retry_after};
use crate::i18n::{self, PrivacyTexts, Texts};
use crate::{AppState, cookies, session};

#[derive(Template, WebTemplate)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    t: &'static Texts,
    p: &'static PrivacyTexts,
    slug: String,
    title: String,
    key_label: &'static str,
    key_inputmode: &'static str,
    dob_label: &'static str,
    dob_hint: &'static str,
    error: Option<String>,
    /// After the identification: everything stored, and the forms of the requests.
    data: Option<MyData>,
    correctable: &'static [(&'static str, &'static str)],
}

#[derive(Template, WebTemplate)]
#[template(path = "privacy_notice.html")]
struct NoticePage {
    t: &'static Texts,
    p: &'static PrivacyTexts,
    slug: String,
    title: String,
    heading: String,
    message: String,
    /// The confirmation step of an erasure: the form that carries it out.
    confirm: bool,
    alert: bool,
}

async fn page(s: &AppState, slug: &str) -> Result<PrivacyPage, EngineError> {
    let c = s.engine.contest(slug).await?;
    let key = field_of(&c.identity_key).unwrap_or(Field::Cccd);
    let t = i18n::t();
    Ok(PrivacyPage {
        t,
        p: PrivacyTexts::of(t),
        slug: c.slug,
        title: c.title,
        key_label: (t.field)(key),
        key_inputmode: match key {
            Field::Phone => "tel",
            Field::Email => "email",
            _ => "numeric",
        },
        dob_label: (t.field)(Field::DateOfBirth),
        dob_hint: (t.hint)(Field::DateOfBirth),
        error: None,
        data: None,
        correctable: &CORRECTABLE,
    })
}

async fn notice(s: &AppState, slug: &str, heading: &str, message: String) -> Result<NoticePage, EngineError> {
    let c = s.engine.contest(slug).await?;
    let t = i18n::t();
    Ok(NoticePage {
        t,
        p: PrivacyTexts::of(t),
        slug: c.slug,
        title: c.title,
        heading: heading.to_string(),
        message,
        confirm: false,
        alert: false,
    })
}

fn value(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name).map(|v| v.trim().to_string()).unwrap_or_default()
}

/// The session's person, when the session is of this contest.
async fn person_of(s: &AppState, slug: &str, headers: &HeaderMap) -> Result<Claims, EngineError> {
    let claims = who(s, headers).map_err(|_| EngineError::Unauthenticated)?;
    if !s.engine.session_in(claims, slug).await? {
        return Err(EngineError::Unauthenticated);
    }
    Ok(claims)
}

pub(super) async fn form(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    Ok(private(page(&s, &slug).await?))
}

/// The identification; on success the data page itself, with the session set for the requests.
pub(super) async fn show(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let mut pg = page(&s, &slug).await?;
    let key = value(&form, "key");
    let dob = dates::as_typed(&value(&form, "date_of_birth"));
    let problem = if key.is_empty() {
        Some((pg.t.please_enter)(pg.key_label))
    } else if dob.is_empty() {
        Some((pg.t.please_enter)(pg.dob_label))
    } else if pg.key_inputmode == "numeric" {
        Cccd::parse(&key).err()
    } else {
        None
    };
    if let Some(m) = problem {
        pg.error = Some(m);
        return Ok(private((StatusCode::UNPROCESSABLE_ENTITY, pg)));
    }
    let address = client_address(&headers, peer, &s.config.trusted_proxies);
    match s.engine.identify(&slug, &key, &dob, &address).await {
        Ok(session) => {
            let claims = s.engine.authenticate(&session.token)?;
            pg.data = Some(s.engine.my_data(claims).await?);
            let cookie = session::set_cookie(&session.token, session.expires_at, s.engine.now(), &headers);
            Ok(cookies::with(cookie, private(pg)))
        }
        Err(EngineError::BadRequest(m)) => {
            pg.error = Some(m);
            Ok(private((StatusCode::UNPROCESSABLE_ENTITY, pg)))
        }
        Err(EngineError::IdentityMismatch) => {
            pg.error = Some(pg.t.identify_no_match.to_string());
            Ok(private((StatusCode::UNPROCESSABLE_ENTITY, pg)))
        }
        Err(e @ EngineError::Throttled(_)) => {
            pg.error = Some(e.to_string());
            let mut resp = private((StatusCode::TOO_MANY_REQUESTS, pg));
            if let Some(v) = retry_after(&e) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

/// Everything stored about the person, as a JSON file.
pub(super) async fn download(State(s): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> PageResult {
    let who = person_of(&s, &slug, &headers).await?;
    let body = s.engine.my_data_json(who).await?;
    Ok(private((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"du-lieu-ca-nhan-{slug}.json\"")),
        ],
        body,
    )))
}

/// A request for a correction: it goes to the secretariat's queue.
pub(super) async fn correction(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let who = person_of(&s, &slug, &headers).await?;
    let asked =
        s.engine.ask_correction(who, &value(&form, "field"), &value(&form, "value"), &value(&form, "reason")).await;
    let t = PrivacyTexts::of(i18n::t());
    match asked {
        Ok(r) => Ok(private(notice(&s, &slug, t.correction, (t.sent)(&r.due_vn)).await?)),
        Err(e @ (EngineError::BadRequest(_) | EngineError::Conflict(_))) => {
            // A value to fix is the form's fault (422), a full queue the state's (409).
            let status = match e {
                EngineError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => crate::http::status_of(&e),
            };
            let mut pg = notice(&s, &slug, t.correction, e.to_string()).await?;
            pg.alert = true;
            Ok(private((status, pg)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Withdrawal of consent and erasure: first the confirmation page saying what will happen,
/// then (`xac_nhan=1`) the request itself.
pub(super) async fn erasure(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let who = person_of(&s, &slug, &headers).await?;
    let t = PrivacyTexts::of(i18n::t());
    if value(&form, "xac_nhan") != "1" {
        let (message, confirm) = match s.engine.erasure_plan(who).await? {
            Erasure::Refused(why) => (why, false),
            Erasure::AtOnce => (t.at_once.to_string(), true),
            Erasure::Queued(due) => ((t.queued)(&cuocthi_domain::vntime::format(due)), true),
            Erasure::Done => (t.erased.to_string(), false),
        };
        let mut pg = notice(&s, &slug, t.confirm_heading, message).await?;
        pg.confirm = confirm;
        return Ok(private(pg));
    }
    let (outcome, request) = match s.engine.ask_erasure(who, &value(&form, "reason")).await {
        Ok(done) => done,
        Err(e @ EngineError::Conflict(_)) => {
            return Ok(private((StatusCode::CONFLICT, notice(&s, &slug, t.erasure, e.to_string()).await?)));
        }
        Err(e) => return Err(e.into()),
    };
    let pg = match outcome {
        Erasure::Refused(why) => {
            let mut pg = notice(&s, &slug, t.refused, why).await?;
            pg.alert = true;
            return Ok(private((StatusCode::CONFLICT, pg)));
        }
        Erasure::AtOnce | Erasure::Done => notice(&s, &slug, t.erasure, t.erased.to_string()).await?,
        Erasure::Queued(_) => notice(&s, &slug, t.erasure, (t.sent)(&request.due_vn)).await?,
    };
    Ok(private(pg))
}
