//! Results in the console: the committee's approval of a closed round's ranking as a locked
//! version (each later one with its reason), its publication, the check of a publication against
//! the raw answers and the audit chain, and every certificate of a version.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::http::HeaderMap;
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::meeting::{
    MeetingDraft, deciding_cells, deciding_headings, deciding_order, order_in_words, structure_lines,
};
use cuocthi_engine::console::results::CollectiveAdjustment;
use cuocthi_engine::console::{Action, Staff};
use cuocthi_engine::shared::catalog::CachedContest;
use cuocthi_engine::views::{EventResultsView, RankingView, UnitRankingRow};
use serde::Deserialize;
use std::collections::HashMap;

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
    /// The committee's adjustment of the collective prizes in this version, and why.
    structure: Vec<String>,
}

/// A collective prize level in the approval form, prefilled with what the draft applies.
struct LevelField {
    label: String,
    /// The form's field names' stem: `muc-{prize}-{level}`.
    name: String,
    count: u32,
    amount: i64,
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
    /// The collective prize levels the committee may adjust before approving (this scope
    /// carries them).
    levels: Vec<LevelField>,
}

/// The in-person event's results in the console: versions, the draft with what stops its
/// approval, and the approval form.
struct EventScope {
    name: String,
    versions: Vec<VersionView>,
    changes: Option<Vec<String>>,
    problems: Vec<String>,
    parts: Vec<String>,
    teams: Vec<TeamLine>,
    can_approve: bool,
    published: bool,
}

struct TeamLine {
    rank: u32,
    team: String,
    unit: String,
    parts: Vec<String>,
    adjustments: String,
    total: String,
    lot: String,
    prize: String,
    needs_lot: bool,
}

impl TeamLine {
    fn all(e: &EventResultsView) -> Vec<TeamLine> {
        e.teams
            .iter()
            .map(|t| TeamLine {
                rank: t.rank,
                team: t.team.clone(),
                unit: t.unit.clone(),
                parts: t.parts.iter().map(|p| p.clone().unwrap_or_else(|| "—".into())).collect(),
                adjustments: t.adjustments.clone(),
                total: t.total.clone(),
                lot: t.lot.map(|l| l.to_string()).unwrap_or_default(),
                prize: t.prize.clone().unwrap_or_default(),
                needs_lot: t.needs_lot,
            })
            .collect()
    }
}

/// A winner of the draft with the columns that decided the order.
struct DraftRow {
    rank: u32,
    name: String,
    unit: String,
    /// The columns that decided the order, in the order the rules compare them.
    deciding: Vec<String>,
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
    /// The deciding columns' headings, and the order in words.
    headings: Vec<&'static str>,
    order: String,
    people: String,
    real_figure: Option<String>,
    winners: Vec<DraftRow>,
    collective: Vec<(String, Vec<UnitRow>)>,
    exclusions: Vec<String>,
}

impl DraftView {
    fn of(m: MeetingDraft) -> DraftView {
        let order = deciding_order(&m.draft);
        let headings = deciding_headings(&order);
        let words = order_in_words(&order);
        let winners = m
            .draft
            .rows
            .into_iter()
            .map(|r| DraftRow {
                rank: r.rank,
                deciding: deciding_cells(&order, &r),
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
            headings,
            order: words,
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
    event: Option<EventScope>,
    verification: Option<VerificationView>,
}

/// Each version as the table lists it, with the collective structure its body records.
async fn versions(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    rows: Vec<cuocthi_store::RankingVersionRow>,
) -> Result<Vec<VersionView>, PageError> {
    let mut out = Vec::with_capacity(rows.len());
    for v in rows {
        let body = s.engine.approved_version(staff, slug, v.id).await?;
        let mut structure = body.collective_structure.as_ref().map(structure_lines).unwrap_or_default();
        if let Some(why) = body.collective_structure.and_then(|c| c.reason).filter(|_| !structure.is_empty()) {
            structure.push(format!("Lý do điều chỉnh: {why}"));
        }
        out.push(VersionView {
            id: v.id,
            version: v.version,
            approved: format!("{} · {}", at(v.approved_at), v.approved_by.unwrap_or_else(|| "dòng lệnh".into())),
            reason: v.reason.unwrap_or_default(),
            public: v.public_at.map(at),
            structure,
        });
    }
    Ok(out)
}

/// The collective levels of a draft, for the approval form.
fn level_fields(draft: &RankingView) -> Vec<LevelField> {
    draft
        .collective_structure
        .iter()
        .flat_map(|s| s.prizes.iter().enumerate())
        .flat_map(|(i, p)| {
            p.tiers.iter().enumerate().map(move |(j, t)| LevelField {
                label: format!("{} – {}", p.prize, t.name),
                name: format!("muc-{i}-{j}"),
                count: t.count,
                amount: t.amount_vnd,
            })
        })
        .collect()
}

/// The in-person event's card, when the contest has one.
async fn event_scope(s: &AppState, staff: &Staff, slug: &str, may_approve: bool) -> Result<EventScope, PageError> {
    let (draft, problems) = s.engine.event_draft(staff, slug).await?;
    let rows = s.engine.event_versions(staff, slug).await?;
    let versions = versions(s, staff, slug, rows).await?;
    let changes = s.engine.event_draft_changes(staff, slug).await?;
    let event = draft.event.unwrap_or_else(|| EventResultsView {
        name: String::new(),
        parts: Vec::new(),
        tie_breaks: Vec::new(),
        teams: Vec::new(),
        prizes: Vec::new(),
    });
    Ok(EventScope {
        name: event.name.clone(),
        published: versions.iter().any(|v| v.public.is_some()),
        versions,
        changes,
        problems,
        parts: event.parts.iter().map(|p| p.name.clone()).collect(),
        teams: TeamLine::all(&event),
        can_approve: may_approve,
    })
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
        let rows = s.engine.ranking_versions(staff, slug, number).await?;
        let versions = versions(s, staff, slug, rows).await?;
        let changes = if closed { s.engine.draft_changes(staff, slug, number).await? } else { None };
        let under_review = closed && (versions.is_empty() || changes.as_ref().is_some_and(|c| !c.is_empty()));
        let (draft, levels) = if under_review { draft(s, staff, slug, number).await? } else { (None, Vec::new()) };
        let levels = if carries_collective(&c, number) && may_approve && closed && levels.is_empty() {
            match s.engine.draft_ranking(staff, slug, number).await {
                Ok(d) => level_fields(&d),
                Err(_) => Vec::new(),
            }
        } else {
            levels
        };
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
            levels,
        });
    }
    let event = match &c.spec.settings.event {
        Some(_) => Some(event_scope(s, staff, slug, may_approve).await?),
        None => None,
    };
    Ok(after_action(
        error.is_some(),
        ResultsPage {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            scopes,
            event,
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

/// The draft of a closed scope with its collective levels, or nothing where there is none yet
/// to show (no overall ranking).
async fn draft(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    number: Option<i64>,
) -> Result<(Option<DraftView>, Vec<LevelField>), PageError> {
    match s.engine.meeting_draft(staff, slug, number).await {
        Ok(m) => {
            let levels = level_fields(&m.draft);
            Ok((Some(DraftView::of(m)), levels))
        }
        Err(EngineError::BadRequest(_) | EngineError::NotFound(_)) => Ok((None, Vec::new())),
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
    /// Why the committee changed the collective prize structure (required when it did).
    #[serde(default)]
    ly_do_co_cau: String,
    /// The collective levels: `muc-{prize}-{level}-so` (count) and `-tien` (amount).
    #[serde(flatten)]
    levels: HashMap<String, String>,
}

/// The `dot` of the in-person event's scope.
const EVENT_DOT: &str = "su-kien";

/// The collective levels a form sent, or `None` when it sent none; a number that cannot be
/// read is refused with the level's place.
fn adjustment_of(f: &ApproveForm) -> Result<Option<CollectiveAdjustment>, EngineError> {
    let mut levels: Vec<Vec<(u32, i64)>> = Vec::new();
    for i in 0.. {
        let mut tiers = Vec::new();
        for j in 0.. {
            let (Some(count), Some(amount)) =
                (f.levels.get(&format!("muc-{i}-{j}-so")), f.levels.get(&format!("muc-{i}-{j}-tien")))
            else {
                break;
            };
            let bad = || {
                EngineError::BadRequest(format!(
                    "Giải tập thể {}, mức {}: số giải và trị giá là số nguyên không âm.",
                    i + 1,
                    j + 1
                ))
            };
            let count: u32 = count.trim().parse().map_err(|_| bad())?;
            let amount: i64 = amount.trim().replace('.', "").parse().map_err(|_| bad())?;
            tiers.push((count, amount));
        }
        if tiers.is_empty() {
            break;
        }
        levels.push(tiers);
    }
    Ok((!levels.is_empty()).then(|| CollectiveAdjustment { levels, reason: f.ly_do_co_cau.clone() }))
}

pub(super) async fn approve(Console { s, staff, path: slug }: Console, Form(f): Form<ApproveForm>) -> PageResult {
    let done = if f.dot == EVENT_DOT {
        s.engine.approve_event(&staff, &slug, &f.reason, &f.meeting).await.map(|_| ())
    } else {
        match adjustment_of(&f) {
            Ok(adjustment) => s
                .engine
                .approve_adjusted(&staff, &slug, number(&f.dot), &f.reason, &f.meeting, adjustment.as_ref())
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        }
    };
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
    let event = f.dot == EVENT_DOT;
    let v = if event { s.engine.verify_event_results(&slug).await? } else { s.engine.verify_results(&slug, n).await? };
    let view = VerificationView {
        scope: if event {
            "kết quả hội thi".into()
        } else {
            n.map(|n| format!("đợt {n}")).unwrap_or_else(|| "chung cuộc".into())
        },
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
    if q.dot == EVENT_DOT {
        let body = s.engine.event_meeting_record(&staff, &slug).await?;
        return Ok(download(DOCX, &format!("{slug}-bien-ban-hoi-thi.docx"), body));
    }
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
