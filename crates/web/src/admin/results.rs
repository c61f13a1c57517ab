//! Results in the console: publish a closed round's prize list, check a publication against the
//! raw answers and the audit chain, and print every certificate of a publication.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cuocthi_domain::vntime;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, Staff};
use serde::Deserialize;

use super::{Frame, StaffUser};
use crate::AppState;
use crate::participant::{Form, PageError, PageResult, Path, private, public_base, see_other};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/cuoc-thi/{slug}/ket-qua", get(results))
        .route("/admin/cuoc-thi/{slug}/ket-qua/cong-bo", post(publish))
        .route("/admin/cuoc-thi/{slug}/ket-qua/kiem-tra", post(verify))
        .route("/admin/cuoc-thi/{slug}/ket-qua/{ranking}/chung-nhan.pdf", get(certificates))
        .route("/admin/cuoc-thi/{slug}/ket-qua.xlsx", get(workbook))
}

struct Scope {
    /// The round number, or empty for the overall ranking.
    key: String,
    name: String,
    phase: &'static str,
    published: Option<String>,
    winners: usize,
    ranking_id: Option<i64>,
    can_publish: bool,
}

struct VerificationView {
    scope: String,
    ok: bool,
    attempts: u64,
    entries: u64,
    digest: String,
    problems: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/results.html")]
struct ResultsPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    scopes: Vec<Scope>,
    verification: Option<VerificationView>,
}

async fn page(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    error: Option<String>,
    verification: Option<VerificationView>,
) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ViewResults).await?;
    let id = c.stored.contest.id;
    let published = s.engine.public_results(slug).await?;
    let now = s.engine.now();
    let may_publish = staff.can(Action::ManageResults, Some(id));
    let mut scopes: Vec<Scope> = c
        .stored
        .rounds
        .iter()
        .map(|r| {
            let p = published.iter().find(|p| p.view.round_id == Some(r.id));
            let closed = now >= r.closes_at;
            Scope {
                key: r.number.to_string(),
                name: format!("Đợt {}: {}", r.number, r.name),
                phase: if now < r.opens_at {
                    "Chưa mở"
                } else if closed {
                    "Đã kết thúc"
                } else {
                    "Đang mở"
                },
                published: p.and_then(|p| p.view.published_at).map(vntime::format),
                winners: p.map(|p| p.view.rows.len()).unwrap_or(0),
                ranking_id: p.map(|p| p.ranking_id),
                can_publish: may_publish && closed,
            }
        })
        .collect();
    if c.spec.settings.overall.is_some() {
        let p = published.iter().find(|p| p.view.round_id.is_none());
        let all_closed = c.stored.rounds.iter().all(|r| now >= r.closes_at);
        scopes.push(Scope {
            key: String::new(),
            name: "Chung cuộc".into(),
            phase: if all_closed { "Đã kết thúc" } else { "Chưa kết thúc" },
            published: p.and_then(|p| p.view.published_at).map(vntime::format),
            winners: p.map(|p| p.view.rows.len()).unwrap_or(0),
            ranking_id: p.map(|p| p.ranking_id),
            can_publish: may_publish && all_closed,
        });
    }
    let status = if error.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok(private((
        status,
        ResultsPage {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            scopes,
            verification,
        },
    )))
}

async fn results(State(s): State<AppState>, StaffUser(staff): StaffUser, Path(slug): Path<String>) -> PageResult {
    page(&s, &staff, &slug, None, None).await
}

#[derive(Deserialize)]
struct ScopeForm {
    #[serde(default)]
    dot: String,
}

fn number(dot: &str) -> Option<i64> {
    dot.trim().parse().ok()
}

async fn publish(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    Form(f): Form<ScopeForm>,
) -> PageResult {
    match s.engine.publish_as(&staff, &slug, number(&f.dot)).await {
        Ok(_) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/ket-qua"))),
        Err(e @ (EngineError::BadRequest(_) | EngineError::NotFound(_))) => {
            page(&s, &staff, &slug, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn verify(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    Form(f): Form<ScopeForm>,
) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::ViewResults).await?;
    let n = number(&f.dot);
    let v = s.engine.verify_results(&slug, n).await?;
    let view = VerificationView {
        scope: n.map(|n| format!("đợt {n}")).unwrap_or_else(|| "chung cuộc".into()),
        ok: v.problems.is_empty(),
        attempts: v.attempts_checked,
        entries: v.audit_entries,
        digest: v.audit_digest,
        problems: v.problems,
    };
    page(&s, &staff, &slug, None, Some(view)).await
}

async fn certificates(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path((slug, ranking)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let c = s.engine.contest_for(&staff, &slug, Action::ViewResults).await?;
        let all = s.engine.certificates_of(ranking).await?;
        if all.first().is_some_and(|x| x.contest_slug != c.spec.slug) {
            return Err(EngineError::NotFound("kết quả đã công bố"));
        }
        let base = public_base(&s, &headers);
        crate::results::render(all.iter().map(|x| crate::results::for_print(&base, x)).collect()).await
    }
    .await;
    match result {
        Ok(pdf) => crate::results::pdf_response(&format!("{slug}-giay-chung-nhan.pdf"), pdf, "private, no-store"),
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct WorkbookQuery {
    #[serde(default)]
    dot: String,
}

/// The results workbook of a round (`?dot=1`) or overall (`?dot=`).
async fn workbook(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(slug): Path<String>,
    axum::extract::Query(q): axum::extract::Query<WorkbookQuery>,
) -> Response {
    match s.engine.results_workbook(&staff, &slug, number(&q.dot)).await {
        Ok(body) => private((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{slug}-ket-qua.xlsx\"")),
            ],
            body,
        )),
        Err(e) => PageError::from(e).into_response(),
    }
}
