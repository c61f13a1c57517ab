//! Published results for everyone: the prize lists of each round and overall (names, unit,
//! locality, prize; never CCCD, phone or date of birth), and certificates with their public
//! verification page, the address their QR code holds. Uses `http`, `i18n` and `certificates`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use cuocthi_domain::{text, vntime};
use cuocthi_engine::EngineError;
use cuocthi_engine::certificates::CertificateData;
use std::collections::HashMap;

use crate::AppState;
use crate::certificates;
use crate::http::{Form, PageError, PageResult, Path, Peer, client_address, field_of, printed_base, private};
use crate::i18n::{self, Texts};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cuoc-thi/{slug}/ket-qua", get(results).post(lookup))
        .route("/chung-nhan/{serial}", get(certificate))
        .route("/chung-nhan/{serial}/giay-chung-nhan.pdf", get(certificate_pdf))
}

struct Row {
    rank: u32,
    name: String,
    unit: String,
    locality: String,
    correct: u32,
    /// The tiebreak prediction and its distance from the real figure: the ranking used them
    /// before the time, so they are shown, or faster people below slower ones look wrong.
    prediction: String,
    distance: String,
    time: String,
    prize: String,
    serial: String,
}

struct List {
    title: String,
    version: i64,
    published: String,
    participants: String,
    figure: Option<String>,
    /// The round asked a prediction: its two columns are shown.
    predicted: bool,
    rows: Vec<Row>,
}

/// A person's own row in one published list.
struct Mine {
    title: String,
    place: Option<String>,
    correct: Option<i64>,
    time: Option<String>,
    prize: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "results.html")]
struct ResultsPage {
    t: &'static Texts,
    slug: String,
    title: String,
    lists: Vec<List>,
    key_label: &'static str,
    dob_label: &'static str,
    key: String,
    date_of_birth: String,
    mine: Option<Vec<Mine>>,
    lookup_error: Option<String>,
}

async fn results(State(s): State<AppState>, Path(slug): Path<String>) -> PageResult {
    Ok(results_page(&s, &slug).await?.into_response())
}

/// A participant looks up their own place (POST: the identity number never goes in an address).
async fn lookup(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let mut page = results_page(&s, &slug).await?;
    page.key = form.get("key").map(|v| v.trim().to_string()).unwrap_or_default();
    page.date_of_birth = form.get("date_of_birth").map(|v| v.trim().to_string()).unwrap_or_default();
    let address = client_address(&headers, peer, &s.config.trusted_proxies);
    let mut status = axum::http::StatusCode::OK;
    let mut retry = None;
    if page.key.is_empty() || page.date_of_birth.is_empty() {
        page.lookup_error =
            Some((page.t.please_enter)(if page.key.is_empty() { page.key_label } else { page.dob_label }));
        status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    } else {
        match s.engine.own_standings(&slug, &page.key, &page.date_of_birth, &address).await {
            Ok(rows) => {
                page.mine = Some(
                    rows.into_iter()
                        .map(|r| Mine {
                            place: r.place.map(|p| (page.t.lookup_place)(&p, &r.ranked)),
                            title: r.title,
                            correct: r.correct,
                            time: r.time_taken_ms.map(text::duration),
                            prize: r.prize,
                        })
                        .collect(),
                )
            }
            Err(e @ (EngineError::IdentityMismatch | EngineError::BadRequest(_) | EngineError::Throttled(_))) => {
                status = crate::http::status_of(&e);
                page.lookup_error = Some(e.to_string());
                retry = crate::http::retry_after(&e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut resp = private((status, page));
    if let Some(v) = retry {
        resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    Ok(resp)
}

async fn results_page(s: &AppState, slug: &str) -> Result<ResultsPage, PageError> {
    let slug = slug.to_string();
    let c = s.engine.contest(&slug).await?;
    let lists = s
        .engine
        .public_results(&slug)
        .await?
        .into_iter()
        .map(|p| List {
            title: p.view.title.clone(),
            version: p.version,
            published: p.view.published_at.map(vntime::format).unwrap_or_default(),
            participants: text::thousands(p.view.participants),
            figure: p.view.real_figure.map(text::thousands),
            predicted: p.view.rows.iter().any(|r| r.prediction.is_some()),
            rows: p
                .view
                .rows
                .iter()
                .zip(p.serials)
                .map(|(r, serial)| Row {
                    rank: r.rank,
                    name: r.name.clone(),
                    unit: r.unit.clone().unwrap_or_default(),
                    locality: r.locality.clone().unwrap_or_default(),
                    correct: r.correct,
                    prediction: r.prediction.map(text::thousands).unwrap_or_default(),
                    distance: r.distance.map(text::thousands).unwrap_or_default(),
                    time: text::duration(r.time_taken_ms),
                    prize: r.prize.clone().unwrap_or_default(),
                    serial,
                })
                .collect(),
        })
        .collect();
    let t = i18n::t();
    let key = field_of(&c.identity_key).unwrap_or(cuocthi_domain::identity::Field::Cccd);
    Ok(ResultsPage {
        t,
        slug,
        title: c.title,
        lists,
        key_label: (t.field)(key),
        dob_label: (t.field)(cuocthi_domain::identity::Field::DateOfBirth),
        key: String::new(),
        date_of_birth: String::new(),
        mine: None,
        lookup_error: None,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "certificate.html")]
struct CertificatePage {
    t: &'static Texts,
    c: CertificateData,
    published: String,
}

async fn certificate(State(s): State<AppState>, Path(serial): Path<String>) -> PageResult {
    let c = s.engine.certificate(&serial).await?;
    Ok(CertificatePage { t: i18n::t(), published: vntime::format(c.published_at), c }.into_response())
}

async fn certificate_pdf(
    State(s): State<AppState>,
    Path(serial): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> PageResult {
    let c = s.engine.certificate(&serial).await?;
    let pdf = certificates::render(vec![certificates::for_print(&printed_base(&s.config, &headers, peer), &c)]).await?;
    Ok(certificates::pdf_response(&format!("giay-chung-nhan-{serial}.pdf"), pdf, "public, max-age=3600"))
}
