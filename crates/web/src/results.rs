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
use cuocthi_engine::certificates::{CertificateData, PublishedResults};
use cuocthi_engine::console::meeting::{deciding_cells, deciding_order};
use cuocthi_engine::views::RankingView;
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
    /// The columns the ranking compared, in the order it compared them (the prediction and its
    /// distance included where there is one: without them faster people below slower ones look
    /// wrong).
    deciding: Vec<String>,
    prize: String,
    serial: String,
}

struct UnitLine {
    rank: u32,
    unit: String,
    participants: String,
    rate: String,
    prize: String,
    serial: String,
}

/// A collective prize with its awarded units.
struct CollectiveList {
    prize: String,
    units: Vec<UnitLine>,
}

struct List {
    title: String,
    version: i64,
    published: String,
    participants: String,
    figure: Option<String>,
    headings: Vec<&'static str>,
    rows: Vec<Row>,
    collective: Vec<CollectiveList>,
    /// The committee's reason for adjusting the collective prize structure, when it did.
    structure_reason: Option<String>,
}

struct TeamLine {
    rank: u32,
    team: String,
    unit: String,
    members: String,
    parts: Vec<String>,
    adjustments: String,
    total: String,
    prize: String,
    serial: Option<String>,
}

/// The in-person event's published ranking and team prizes.
struct EventList {
    title: String,
    version: i64,
    published: String,
    parts: Vec<String>,
    tie_breaks: String,
    teams: Vec<TeamLine>,
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
    event: Option<EventList>,
}

/// The headings of the deciding columns, in the page's language.
fn headings(t: &Texts, order: &[&str]) -> Vec<&'static str> {
    order
        .iter()
        .flat_map(|c| match *c {
            "correct" => vec![t.col_correct],
            "prediction" => vec![t.col_prediction, t.col_distance],
            "time" => vec![t.col_time],
            _ => vec![t.col_submitted],
        })
        .collect()
}

/// A publication as its list on the page: winners, then the collective prizes whose units'
/// certificates follow the people's in the serials' numbering.
fn list_of(s: &AppState, t: &Texts, mut p: PublishedResults) -> List {
    let order = deciding_order(&p.view);
    let people = p.view.rows.len();
    let units: usize = p.view.collective.iter().map(|c| c.units.iter().filter(|u| u.prize.is_some()).count()).sum();
    p.serials = s.engine.serials_of(p.ranking_id, people + units);
    let rows = p
        .view
        .rows
        .iter()
        .zip(&p.serials)
        .map(|(r, serial)| Row {
            rank: r.rank,
            name: r.name.clone(),
            unit: r.unit.clone().unwrap_or_default(),
            locality: r.locality.clone().unwrap_or_default(),
            deciding: deciding_cells(&order, r),
            prize: r.prize.clone().unwrap_or_default(),
            serial: serial.clone(),
        })
        .collect();
    let mut next = people;
    let collective = p
        .view
        .collective
        .iter()
        .map(|c| CollectiveList {
            prize: c.prize.clone(),
            units: c
                .units
                .iter()
                .filter(|u| u.prize.is_some())
                .map(|u| {
                    let serial = p.serials.get(next).cloned().unwrap_or_default();
                    next += 1;
                    UnitLine {
                        rank: u.rank,
                        unit: u.unit.clone(),
                        participants: text::thousands(i64::try_from(u.participants).unwrap_or(i64::MAX)),
                        rate: u.rate_per_mille.map(|r| format!("{},{}%", r / 10, r % 10)).unwrap_or_default(),
                        prize: u.prize.clone().unwrap_or_default(),
                        serial,
                    }
                })
                .collect(),
        })
        .collect();
    let structure_reason = p.view.collective_structure.as_ref().and_then(|s| s.reason.clone());
    List {
        title: p.view.title.clone(),
        version: p.version,
        published: p.view.published_at.map(vntime::format).unwrap_or_default(),
        participants: text::thousands(p.view.participants),
        figure: p.view.real_figure.map(text::thousands),
        headings: headings(t, &order),
        rows,
        collective,
        structure_reason,
    }
}

fn event_list(p: PublishedResults) -> Option<EventList> {
    let PublishedResults { version, view, serials, .. } = p;
    let RankingView { title, published_at, event, .. } = view;
    let e = event?;
    let mut serials = serials.into_iter();
    Some(EventList {
        title,
        version,
        published: published_at.map(vntime::format).unwrap_or_default(),
        parts: e.parts.iter().map(|p| p.name.clone()).collect(),
        tie_breaks: e.tie_breaks.join(", "),
        teams: e
            .teams
            .into_iter()
            .map(|t| TeamLine {
                serial: if t.prize.is_some() { serials.next() } else { None },
                rank: t.rank,
                team: t.team,
                unit: t.unit,
                members: t.members.join(", "),
                parts: t.parts.into_iter().map(|p| p.unwrap_or_else(|| "—".into())).collect(),
                adjustments: t.adjustments,
                total: t.total,
                prize: t.prize.unwrap_or_default(),
            })
            .collect(),
    })
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
    let t = i18n::t();
    let lists = s.engine.public_results(&slug).await?.into_iter().map(|p| list_of(s, t, p)).collect();
    let event = s.engine.public_event_results(&slug).await?.and_then(event_list);
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
        event,
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
    let c = s.engine.checked_certificate(&serial).await?;
    Ok(CertificatePage { t: i18n::t(), published: vntime::format(c.published_at), c }.into_response())
}

async fn certificate_pdf(
    State(s): State<AppState>,
    Path(serial): Path<String>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> PageResult {
    let c = s.engine.checked_certificate(&serial).await?;
    let pdf = certificates::render(vec![certificates::for_print(&printed_base(&s.config, &headers, peer), &c)]).await?;
    Ok(certificates::pdf_response(&format!("giay-chung-nhan-{serial}.pdf"), pdf, "public, max-age=3600"))
}
