//! Results in the console: the committee's approval of a closed round's ranking as a locked
//! version (each later one with its reason), its publication, the check of a publication against
//! the raw answers and the audit chain, and every certificate of a version.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::http::HeaderMap;
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::meeting::{MeetingDraft, deciding_columns};
use cuocthi_engine::console::{Action, Staff};
use cuocthi_engine::shared::catalog::CachedContest;
use cuocthi_engine::views::UnitRankingRow;
use serde::Deserialize;

use super::{Console, Frame, XLSX, after_action, at, download};
use crate::AppState;
use crate::certificates;
use crate::http::{Form, PageError, PageResult, Peer, printed_base, see_other};

/// A Word document's media type.
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

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
    /// This scope's versions lock the collective prizes: their public ones print the units'
    /// certificates.
    collective: bool,
    /// The draft as the committee reviews it: before the first version, or when it has changed.
    draft: Option<DraftView>,
}

/// A winner of the draft with the columns that decided the order.
struct DraftRow {
    rank: u32,
    name: String,
    unit: String,
    /// Correct answers, prediction, its distance, time: as [`deciding_columns`] writes them.
    deciding: [String; 4],
    prize: String,
}

struct UnitRow {
    rank: u32,
    unit: String,
    participants: String,
    rate: String,
    prize: String,
}

/// What the committee reviews before approving: the draft's winners, the collective prizes
/// and the exclusions standing.
struct DraftView {
    people: String,
    real_figure: Option<String>,
    winners: Vec<DraftRow>,
    collective: Vec<(String, Vec<UnitRow>)>,
    exclusions: Vec<String>,
}

impl DraftView {
    fn of(m: MeetingDraft) -> DraftView {
        let winners = m
            .draft
            .rows
            .into_iter()
            .map(|r| DraftRow {
                rank: r.rank,
                deciding: deciding_columns(r.correct, r.prediction, r.distance, r.time_taken_ms),
                name: r.name,
                unit: r.unit.or(r.locality).unwrap_or_default(),
                prize: r.prize.unwrap_or_default(),
            })
            .collect();
        let collective = m
            .draft
            .collective
            .into_iter()
            .map(|c| {
                let units = c.units.into_iter().filter(|u| u.prize.is_some()).map(UnitRow::of).collect();
                (c.prize, units)
            })
            .collect();
        let exclusions = m
            .exclusions
            .into_iter()
            .map(|e| {
                let scope = if e.whole_person { "mọi lượt thi" } else { "một lượt thi" };
                format!("{} ({scope}): {} — {}, {}", e.name, e.reason, e.by, at(e.at.timestamp_millis()))
            })
            .collect();
        DraftView {
            people: text::thousands(m.draft.participants),
            real_figure: m.draft.real_figure.map(text::thousands),
            winners,
            collective,
            exclusions,
        }
    }
}

impl UnitRow {
    fn of(u: UnitRankingRow) -> UnitRow {
        UnitRow {
            rank: u.rank,
            participants: text::thousands(i64::try_from(u.participants).unwrap_or(i64::MAX)),
            rate: u.rate_per_mille.map(|r| format!("{},{}%", r / 10, r % 10)).unwrap_or_default(),
            unit: u.unit,
            prize: u.prize.unwrap_or_default(),
        }
    }
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
        let under_review = closed && (versions.is_empty() || changes.as_ref().is_some_and(|c| !c.is_empty()));
        let draft = if under_review { draft(s, staff, slug, number).await? } else { None };
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
            collective: carries_collective(&c, number),
            draft,
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

/// Whether scope `number` carries the collective prizes: the overall ranking, or the last
/// round's where there is none (as the engine locks them).
fn carries_collective(c: &CachedContest, number: Option<i64>) -> bool {
    let last = c.stored.rounds.iter().map(|r| r.number).max();
    !c.spec.settings.collective_prizes.is_empty()
        && match c.spec.settings.overall {
            Some(_) => number.is_none(),
            None => number.is_some() && number == last,
        }
}

/// The draft of a closed scope, or nothing where there is none yet to show (no overall ranking).
async fn draft(s: &AppState, staff: &Staff, slug: &str, number: Option<i64>) -> Result<Option<DraftView>, PageError> {
    match s.engine.meeting_draft(staff, slug, number).await {
        Ok(m) => Ok(Some(DraftView::of(m))),
        Err(EngineError::BadRequest(_) | EngineError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
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
    /// The meeting's record number (biên bản số …).
    #[serde(default)]
    meeting: String,
}

pub(super) async fn approve(Console { s, staff, path: slug }: Console, Form(f): Form<ApproveForm>) -> PageResult {
    let done = s.engine.approve_in_meeting(&staff, &slug, number(&f.dot), &f.reason, &f.meeting).await.map(|_| ());
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

#[derive(Deserialize)]
pub(super) struct CertificatesQuery {
    /// `tap-the`: the units' certificates only; otherwise every certificate of the version.
    #[serde(default)]
    loai: String,
}

pub(super) async fn certificates(
    Console { s, staff, path: (slug, ranking) }: Console<(String, i64)>,
    Query(q): Query<CertificatesQuery>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewResults).await?;
    let mut all = s.engine.certificates_of(ranking).await?;
    if all.first().is_some_and(|x| x.contest_slug != c.spec.slug) {
        return Err(EngineError::NotFound("kết quả đã công bố").into());
    }
    let units = q.loai == "tap-the";
    if units {
        all.retain(|x| x.collective);
        if all.is_empty() {
            return Err(EngineError::NotFound("giải tập thể trong phiên bản này").into());
        }
    }
    let base = printed_base(&s.config, &headers, peer);
    let pdf = certificates::render(all.iter().map(|x| certificates::for_print(&base, x)).collect()).await?;
    let name =
        if units { format!("{slug}-giay-chung-nhan-tap-the.pdf") } else { format!("{slug}-giay-chung-nhan.pdf") };
    Ok(certificates::pdf_response(&name, pdf, "private, no-store"))
}

/// The meeting's record (biên bản) of a round (`?dot=1`) or overall (`?dot=`), to print and sign.
pub(super) async fn meeting_record(
    Console { s, staff, path: slug }: Console,
    Query(q): Query<WorkbookQuery>,
) -> PageResult {
    let number = number(&q.dot);
    let body = s.engine.meeting_record(&staff, &slug, number).await?;
    let scope = number.map(|n| format!("dot-{n}")).unwrap_or_else(|| "chung-cuoc".into());
    Ok(download(DOCX, &format!("{slug}-bien-ban-{scope}.docx"), body))
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
