//! Results in the console: the committee's approval of a closed round's ranking as a locked
//! version (each later one with its reason), its publication, the check of a publication against
//! the raw answers and the audit chain, and every certificate of a version.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::http::HeaderMap;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, Staff};
use serde::Deserialize;

use super::{Console, Frame, XLSX, after_action, at, download};
use crate::AppState;
use crate::certificates;
use crate::http::{Form, PageResult, Peer, printed_base, see_other};

struct VersionView {
    id: i64,
    version: i64,
    approved: String,
    reason: String,
    public: Option<String>,
}

struct Scope {
    /// The round number, or empty for the overall ranking.
    key: String,
    name: String,
    phase: &'static str,
    closed: bool,
    versions: Vec<VersionView>,
    /// How the draft differs from the last approved version (`None` before any approval).
    changes: Option<Vec<String>>,
    can_approve: bool,
    published: bool,
}

struct VerificationView {
    scope: String,
    ok: bool,
    attempts: u64,
    sealed: u64,
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
    let now = s.engine.now();
    let may_approve = staff.can(Action::ManageResults, Some(id));
    let mut wanted: Vec<(Option<i64>, String, bool)> = c
        .stored
        .rounds
        .iter()
        .map(|r| (Some(r.number), format!("Đợt {}: {}", r.number, r.name), now >= r.closes_at))
        .collect();
    if c.spec.settings.overall.is_some() {
        wanted.push((None, "Chung cuộc".into(), c.stored.rounds.iter().all(|r| now >= r.closes_at)));
    }
    let mut scopes = Vec::new();
    for (number, name, closed) in wanted {
        let versions: Vec<VersionView> = s
            .engine
            .ranking_versions(staff, slug, number)
            .await?
            .into_iter()
            .map(|v| VersionView {
                id: v.id,
                version: v.version,
                approved: format!("{} · {}", at(v.approved_at), v.approved_by.unwrap_or_else(|| "dòng lệnh".into())),
                reason: v.reason.unwrap_or_default(),
                public: v.public_at.map(at),
            })
            .collect();
        let changes = if closed { s.engine.draft_changes(staff, slug, number).await? } else { None };
        let phase = match (number, closed) {
            (_, true) => "Đã kết thúc",
            (None, false) => "Chưa kết thúc",
            (Some(n), false) if c.stored.rounds.iter().any(|r| r.number == n && now < r.opens_at) => "Chưa mở",
            _ => "Đang mở",
        };
        scopes.push(Scope {
            key: number.map(|n| n.to_string()).unwrap_or_default(),
            name,
            phase,
            closed,
            published: versions.iter().any(|v| v.public.is_some()),
            versions,
            changes,
            can_approve: may_approve && closed,
        });
    }
    Ok(after_action(
        error.is_some(),
        ResultsPage {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            scopes,
            verification,
        },
    ))
}

pub(super) async fn results(Console { s, staff, path: slug }: Console) -> PageResult {
    page(&s, &staff, &slug, None, None).await
}

#[derive(Deserialize)]
pub(super) struct ScopeForm {
    #[serde(default)]
    dot: String,
}

fn number(dot: &str) -> Option<i64> {
    dot.trim().parse().ok()
}

#[derive(Deserialize)]
pub(super) struct ApproveForm {
    #[serde(default)]
    dot: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn approve(Console { s, staff, path: slug }: Console, Form(f): Form<ApproveForm>) -> PageResult {
    let done = s.engine.approve_as(&staff, &slug, number(&f.dot), &f.reason).await.map(|_| ());
    back(&s, &staff, &slug, done).await
}

pub(super) async fn publish(Console { s, staff, path: (slug, ranking) }: Console<(String, i64)>) -> PageResult {
    let done = s.engine.make_public_as(&staff, &slug, ranking).await;
    back(&s, &staff, &slug, done).await
}

async fn back(s: &AppState, staff: &Staff, slug: &str, done: Result<(), EngineError>) -> PageResult {
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/ket-qua"))),
        Err(e @ (EngineError::BadRequest(_) | EngineError::NotFound(_))) => {
            page(s, staff, slug, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn verify(Console { s, staff, path: slug }: Console, Form(f): Form<ScopeForm>) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::ViewResults).await?;
    let n = number(&f.dot);
    let v = s.engine.verify_results(&slug, n).await?;
    let view = VerificationView {
        scope: n.map(|n| format!("đợt {n}")).unwrap_or_else(|| "chung cuộc".into()),
        ok: v.problems.is_empty(),
        attempts: v.attempts_checked,
        sealed: v.sealed_checked,
        entries: v.audit_entries,
        digest: v.audit_digest,
        problems: v.problems,
    };
    page(&s, &staff, &slug, None, Some(view)).await
}

pub(super) async fn certificates(
    Console { s, staff, path: (slug, ranking) }: Console<(String, i64)>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewResults).await?;
    let all = s.engine.certificates_of(ranking).await?;
    if all.first().is_some_and(|x| x.contest_slug != c.spec.slug) {
        return Err(EngineError::NotFound("kết quả đã công bố").into());
    }
    let base = printed_base(&s.config, &headers, peer);
    let pdf = certificates::render(all.iter().map(|x| certificates::for_print(&base, x)).collect()).await?;
    Ok(certificates::pdf_response(&format!("{slug}-giay-chung-nhan.pdf"), pdf, "private, no-store"))
}

#[derive(Deserialize)]
pub(super) struct WorkbookQuery {
    #[serde(default)]
    dot: String,
}

/// The results workbook of a round (`?dot=1`) or overall (`?dot=`).
pub(super) async fn workbook(Console { s, staff, path: slug }: Console, Query(q): Query<WorkbookQuery>) -> PageResult {
    let body = s.engine.results_workbook(&staff, &slug, number(&q.dot)).await?;
    Ok(download(XLSX, &format!("{slug}-ket-qua.xlsx"), body))
}
