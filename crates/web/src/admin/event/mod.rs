//! The in-person event (hội thi trực tiếp) in the console, for the secretariat (Tổ Thư ký) and
//! the organisers: the units' teams and their members, the order on stage drawn by lot, the
//! judged parts opened and closed, the sheets still missing (refreshed every few seconds by
//! `event.js`, a plain reload without it), every sheet with its reopening, paper sheets typed in
//! for a judge, the knowledge round's answers, adjustments with their reasons, the committee's
//! tie lots and the ranking. The judges' own page is `judge.rs`; the blank paper sheet `paper.rs`.
//!
//! Every form is a plain POST answered by a redirect back here (or this page again, with what was
//! wrong); the engine checks each role and writes each audit entry.

pub(super) mod judge;
pub(super) mod paper;

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::response::Response;
use cuocthi_domain::event::aggregate::TeamResult;
use cuocthi_domain::event::{EventSpec, PartKind, PartSpec, Points};
use cuocthi_engine::EngineError;
use cuocthi_engine::console::event::{MemberInput, SheetView, TeamView};
use cuocthi_engine::console::{Action, Staff};
use serde::Deserialize;

use super::{Console, Frame, after_action, after_form};
use crate::AppState;
use crate::http::{Form, PageResult, see_other};

/// A form's fields by name: the event's forms have fields named after criteria and members.
pub(super) type Fields = HashMap<String, String>;

/// A field, trimmed; empty when absent.
pub(super) fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map(|v| v.trim()).unwrap_or("")
}

/// A numeric id field, or the message naming what to choose.
pub(super) fn id_field(f: &Fields, name: &str, what: &str) -> Result<i64, EngineError> {
    field(f, name).parse().map_err(|_| EngineError::BadRequest(format!("Hãy chọn {what}.")))
}

/// The scores a sheet's form gives for a judged part (`c.<criterion>` fields), each read as the
/// judge typed it (`35`, `35,5`, `27.25`); the engine then checks maxima and steps.
pub(super) fn read_scores(part: &PartSpec, f: &Fields) -> Result<BTreeMap<String, Points>, EngineError> {
    let PartKind::Judged { criteria, .. } = &part.kind else {
        return Err(EngineError::BadRequest(format!("Phần thi “{}” không chấm theo phiếu.", part.name)));
    };
    criteria
        .iter()
        .map(|c| {
            let typed = field(f, &format!("c.{}", c.key));
            if typed.is_empty() {
                return Err(EngineError::BadRequest(format!("Hãy nhập điểm tiêu chí “{}”.", c.name)));
            }
            let points =
                Points::parse(typed).map_err(|m| EngineError::BadRequest(format!("Tiêu chí “{}”: {m}", c.name)))?;
            Ok((c.key.clone(), points))
        })
        .collect()
}

/// Points as the console writes them: decimal comma, no trailing zeros (`27,25`).
pub(super) fn points(p: Points) -> String {
    p.exact().display(2)
}

/// A sheet's total, as the judge's form adds it up.
pub(super) fn sheet_total(scores: &BTreeMap<String, Points>) -> String {
    points(Points::hundredths(scores.values().map(|p| p.as_hundredths()).sum()))
}

/// A judged part's criteria as a page lists them: `(key, name, max, step)`, max and step with a
/// decimal point for the inputs' attributes and with a comma for the reader.
pub(super) struct CriterionLine {
    pub key: String,
    pub name: String,
    pub max: String,
    pub max_attr: String,
    pub step_attr: String,
}

/// A judged part with its criteria, for the forms.
pub(super) struct JudgedPart {
    pub key: String,
    pub name: String,
    pub step: String,
    pub criteria: Vec<CriterionLine>,
}

fn attr(p: Points) -> String {
    points(p).replace(',', ".")
}

pub(super) fn judged_parts(spec: &EventSpec) -> Vec<JudgedPart> {
    spec.parts
        .iter()
        .filter_map(|p| match &p.kind {
            PartKind::Judged { criteria, step } => Some(JudgedPart {
                key: p.key.clone(),
                name: p.name.clone(),
                step: points(*step),
                criteria: criteria
                    .iter()
                    .map(|c| CriterionLine {
                        key: c.key.clone(),
                        name: c.name.clone(),
                        max: points(c.max),
                        max_attr: attr(c.max),
                        step_attr: attr(*step),
                    })
                    .collect(),
            }),
            PartKind::Knowledge { .. } => None,
        })
        .collect()
}

/// The event of a contest the staff member may use with `action`.
pub(super) async fn event_spec(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    action: Action,
) -> Result<EventSpec, EngineError> {
    let c = s.engine.contest_for(staff, slug, action).await?;
    c.spec
        .settings
        .event
        .clone()
        .ok_or_else(|| EngineError::BadRequest("Cuộc thi này không có hội thi trực tiếp.".into()))
}

struct PartLine {
    key: String,
    name: String,
    kind: String,
    weight: u32,
    judged: bool,
    open: bool,
}

struct TeamLine {
    id: i64,
    order: String,
    unit_code: String,
    unit: String,
    name: String,
    members: Vec<String>,
}

struct MissingLine {
    judge: String,
    team: String,
    part: String,
    reopened: bool,
}

struct SheetLine {
    id: i64,
    judge: String,
    team: String,
    part: String,
    scores: String,
    total: String,
    status: String,
    reopened: bool,
    paper: bool,
    entered_by: String,
    reason: Option<String>,
}

struct RankLine {
    rank: u32,
    team_id: i64,
    team: String,
    parts: Vec<String>,
    adjustments: String,
    total: String,
    decided: String,
    needs_lot: bool,
    complete: bool,
}

/// One member row of the team form.
struct MemberSlot {
    n: usize,
    name: String,
    position: String,
    captain: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/event.html")]
struct EventPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    event: String,
    parts: Vec<PartLine>,
    judged: Vec<JudgedPart>,
    knowledge: Vec<(String, String, u32)>,
    units: Vec<(String, String)>,
    teams: Vec<TeamLine>,
    editing: String,
    team_name: String,
    slots: Vec<MemberSlot>,
    max_team_size: u32,
    missing: Vec<MissingLine>,
    judges: Vec<(i64, String)>,
    sheets: Vec<SheetLine>,
    ranking: Vec<RankLine>,
    part_heads: Vec<String>,
    decimals: u32,
    aggregation: String,
    can_reopen: bool,
    can_draw_lots: bool,
    tied: Vec<(i64, String)>,
}

#[derive(Deserialize, Default)]
pub(super) struct EventQuery {
    /// `?doi=<unit code>`: the team whose form is filled in for editing.
    #[serde(default)]
    doi: Option<String>,
}

fn aggregation_note(spec: &EventSpec) -> String {
    use cuocthi_domain::event::{Method, RoundAt};
    let a = &spec.aggregation;
    let method = match a.method {
        Method::Mean => "trung bình cộng điểm của các giám khảo".to_string(),
        Method::TrimmedMean { min_judges } => format!(
            "trung bình cộng sau khi bỏ một điểm cao nhất và một điểm thấp nhất (khi có từ {min_judges} giám khảo)"
        ),
    };
    let at = match a.round_at {
        RoundAt::Criterion => "từng tiêu chí",
        RoundAt::Part => "từng phần thi",
        RoundAt::Total => "tổng điểm",
    };
    format!("Mỗi tiêu chí lấy {method}; làm tròn {} chữ số thập phân ở {at}.", a.decimals)
}

/// What decided a team's place against a neighbour with the same total — the team just above,
/// else the one just below: the first listed part that tells them apart, else the committee's lot.
fn decided_by(spec: &EventSpec, results: &[TeamResult], i: usize) -> String {
    let me = &results[i];
    let shown = |r: &TeamResult| r.total.display(spec.aggregation.decimals);
    let tied = [i.checked_sub(1), Some(i + 1)]
        .into_iter()
        .flatten()
        .filter_map(|j| results.get(j))
        .find(|r| shown(r) == shown(me));
    let Some(other) = tied else {
        return String::new();
    };
    if me.needs_lot {
        return "Bằng điểm: cần Ban Tổ chức bốc thăm phân định".into();
    }
    let score = |r: &TeamResult, key: &String| r.parts.get(key).copied().flatten().map(|e| e.display(2));
    match spec.tie_breaks.iter().find(|key| score(me, key) != score(other, key)) {
        Some(key) => {
            let name = spec.part(key).map(|p| p.name.clone()).unwrap_or_else(|| key.clone());
            format!("Bằng điểm, phân định theo phần thi “{name}”")
        }
        None => "Bằng điểm, phân định theo kết quả bốc thăm của Ban Tổ chức".into(),
    }
}

async fn page(s: &AppState, staff: &Staff, slug: &str, editing: Option<&str>, error: Option<String>) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ManageEvent).await?;
    let spec = event_spec(s, staff, slug, Action::ManageEvent).await?;
    let id = c.stored.contest.id;
    let teams = s.engine.event_teams(staff, slug).await?;
    let missing = s.engine.missing_sheets(staff, slug).await?;
    let sheets = s.engine.event_sheets(staff, slug).await?;
    let results = s.engine.event_ranking(staff, slug).await?;
    // Which parts are open: read after the engine has let this staff member manage the event.
    let open: Vec<String> = s
        .engine
        .store()
        .event_parts(id)
        .await
        .map_err(EngineError::from)?
        .into_iter()
        .filter(|p| p.is_open != 0)
        .map(|p| p.part_key)
        .collect();
    let unit_name = |code: &str| c.spec.units.iter().find(|u| u.code == code).map(|u| u.name.clone());
    let team_name = |id: i64| teams.iter().find(|t| t.id == id).map(|t| t.name.clone()).unwrap_or_default();
    let part_name = |key: &str| spec.part(key).map(|p| p.name.clone()).unwrap_or_else(|| key.to_string());
    let mut judges: Vec<(i64, String)> = missing.iter().map(|m| (m.judge_id, m.judge.clone())).collect();
    judges.sort();
    judges.dedup();
    let editing_team: Option<&TeamView> = editing.and_then(|code| teams.iter().find(|t| t.unit_code == code));
    let max = usize::try_from(spec.max_team_size).unwrap_or(0);
    let slots = (1..=max)
        .map(|n| {
            let m = editing_team.and_then(|t| t.members.get(n - 1));
            MemberSlot {
                n,
                name: m.map(|m| m.name.clone()).unwrap_or_default(),
                position: m.map(|m| m.position.clone()).unwrap_or_default(),
                captain: m.map(|m| m.captain != 0).unwrap_or(n == 1 && editing_team.is_none()),
            }
        })
        .collect();
    let standings: Vec<TeamResult> = results.iter().map(|r| r.result.clone()).collect();
    let decimals = spec.aggregation.decimals;
    let ranking = results
        .iter()
        .enumerate()
        .map(|(i, r)| RankLine {
            rank: r.result.rank,
            team_id: r.result.team,
            team: r.name.clone(),
            parts: spec
                .parts
                .iter()
                .map(|p| r.result.parts.get(&p.key).copied().flatten().map(|e| e.display(2)).unwrap_or("—".into()))
                .collect(),
            adjustments: r.result.adjustments.display(2),
            total: r.result.total.display(decimals),
            decided: decided_by(&spec, &standings, i),
            needs_lot: r.result.needs_lot,
            complete: r.result.complete,
        })
        .collect::<Vec<_>>();
    let tied = ranking.iter().filter(|r| r.needs_lot).map(|r| (r.team_id, r.team.clone())).collect();
    let sheet_line = |v: &SheetView| {
        let judge = judges_name(&missing, &sheets, v.judge_id);
        SheetLine {
            id: v.id,
            judge,
            team: team_name(v.team_id),
            part: part_name(&v.part_key),
            scores: v.scores.iter().map(|(k, p)| format!("{k}: {}", points(*p))).collect::<Vec<_>>().join(" · "),
            total: sheet_total(&v.scores),
            status: if v.status == "submitted" {
                "Đã nộp (khóa)".into()
            } else {
                "Đã mở lại, chờ giám khảo".into()
            },
            reopened: v.status != "submitted",
            paper: v.paper,
            entered_by: v.entered_by.clone(),
            reason: v.reopen_reason.clone(),
        }
    };
    let page = EventPage {
        frame: Some(Frame::of(staff)),
        notice: None,
        error: error.clone(),
        slug: slug.to_string(),
        title: c.stored.contest.title.clone(),
        event: spec.name.clone(),
        parts: spec
            .parts
            .iter()
            .map(|p| PartLine {
                key: p.key.clone(),
                name: p.name.clone(),
                kind: match p.kind {
                    PartKind::Judged { .. } => "chấm theo phiếu".into(),
                    PartKind::Knowledge { .. } => "kiến thức".into(),
                },
                weight: p.weight_percent,
                judged: matches!(p.kind, PartKind::Judged { .. }),
                open: open.contains(&p.key),
            })
            .collect(),
        judged: judged_parts(&spec),
        knowledge: spec
            .parts
            .iter()
            .filter_map(|p| match p.kind {
                PartKind::Knowledge { questions, .. } => Some((p.key.clone(), p.name.clone(), questions)),
                PartKind::Judged { .. } => None,
            })
            .collect(),
        units: c.spec.units.iter().map(|u| (u.code.clone(), u.name.clone())).collect(),
        teams: teams
            .iter()
            .map(|t| TeamLine {
                id: t.id,
                order: t.performance_order.map(|o| o.to_string()).unwrap_or("—".into()),
                unit_code: t.unit_code.clone(),
                unit: unit_name(&t.unit_code).unwrap_or_else(|| t.unit_code.clone()),
                name: t.name.clone(),
                members: t
                    .members
                    .iter()
                    .map(|m| {
                        let captain = if m.captain != 0 { " (đội trưởng)" } else { "" };
                        if m.position.is_empty() {
                            format!("{}{captain}", m.name)
                        } else {
                            format!("{}{captain}, {}", m.name, m.position)
                        }
                    })
                    .collect(),
            })
            .collect(),
        editing: editing_team.map(|t| t.unit_code.clone()).unwrap_or_default(),
        team_name: editing_team.map(|t| t.name.clone()).unwrap_or_default(),
        slots,
        max_team_size: spec.max_team_size,
        missing: missing
            .iter()
            .map(|m| MissingLine {
                judge: m.judge.clone(),
                team: team_name(m.team_id),
                part: part_name(&m.part_key),
                reopened: m.reopened,
            })
            .collect(),
        judges,
        sheets: sheets.iter().map(sheet_line).collect(),
        ranking,
        part_heads: spec.parts.iter().map(|p| format!("{} (×{}%)", p.name, p.weight_percent)).collect(),
        decimals,
        aggregation: aggregation_note(&spec),
        can_reopen: staff.can(Action::ReopenSheet, Some(id)),
        can_draw_lots: staff.can(Action::ManageResults, Some(id)),
        tied,
    };
    Ok(match &error {
        Some(_) => after_form(true, page),
        None => after_action(false, page),
    })
}

/// A judge's name: from the missing list, else from a sheet they sent themselves (its
/// `entered_by` is their account), else their account number.
fn judges_name(missing: &[cuocthi_engine::console::event::MissingSheet], sheets: &[SheetView], id: i64) -> String {
    missing
        .iter()
        .find(|m| m.judge_id == id)
        .map(|m| m.judge.clone())
        .or_else(|| sheets.iter().find(|s| s.judge_id == id && !s.paper).map(|s| s.entered_by.clone()))
        .unwrap_or_else(|| format!("giám khảo #{id}"))
}

pub(in crate::admin) async fn secretariat(
    Console { s, staff, path: slug }: Console,
    Query(q): Query<EventQuery>,
) -> PageResult {
    page(&s, &staff, &slug, q.doi.as_deref(), None).await
}

/// Back to the event's page after a form, or the page again with what was wrong (422); a state
/// that does not allow it (a sheet already open) answers 409 with the page.
async fn back(s: &AppState, staff: &Staff, slug: &str, anchor: &str, done: Result<(), EngineError>) -> PageResult {
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/hoi-thi#{anchor}"))),
        Err(e @ (EngineError::BadRequest(_) | EngineError::NotFound(_))) => {
            page(s, staff, slug, None, Some(e.to_string())).await
        }
        Err(EngineError::Conflict(m)) => {
            let r: Response = page(s, staff, slug, None, Some(m)).await?;
            let (mut parts, body) = r.into_parts();
            parts.status = axum::http::StatusCode::CONFLICT;
            Ok(Response::from_parts(parts, body))
        }
        Err(e) => Err(e.into()),
    }
}

pub(in crate::admin) async fn save_team(
    Console { s, staff, path: slug }: Console,
    Form(f): Form<Fields>,
) -> PageResult {
    let done = async {
        let spec = event_spec(&s, &staff, &slug, Action::ManageEvent).await?;
        let captain = field(&f, "captain");
        let members: Vec<MemberInput> = (1..=spec.max_team_size)
            .filter_map(|n| {
                let name = field(&f, &format!("name_{n}"));
                (!name.is_empty()).then(|| MemberInput {
                    name: name.to_string(),
                    position: field(&f, &format!("position_{n}")).to_string(),
                    captain: captain == n.to_string(),
                })
            })
            .collect();
        s.engine.save_team(&staff, &slug, field(&f, "unit"), field(&f, "name"), &members).await.map(|_| ())
    }
    .await;
    back(&s, &staff, &slug, "doi-thi", done).await
}

pub(in crate::admin) async fn draw_order(Console { s, staff, path: slug }: Console) -> PageResult {
    let done = s.engine.draw_performance_order(&staff, &slug).await.map(|_| ());
    back(&s, &staff, &slug, "thu-tu", done).await
}

pub(in crate::admin) async fn open_part(
    Console { s, staff, path: slug }: Console,
    Form(f): Form<Fields>,
) -> PageResult {
    let open = field(&f, "open") == "1";
    let done = s.engine.set_part_open(&staff, &slug, field(&f, "part"), open).await;
    back(&s, &staff, &slug, "phan-thi", done).await
}

pub(in crate::admin) async fn reopen(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<Fields>,
) -> PageResult {
    let done = s.engine.reopen_sheet(&staff, &slug, id, field(&f, "reason")).await.map(|_| ());
    back(&s, &staff, &slug, "phieu", done).await
}

pub(in crate::admin) async fn paper_sheet(
    Console { s, staff, path: slug }: Console,
    Form(f): Form<Fields>,
) -> PageResult {
    let done = async {
        let spec = event_spec(&s, &staff, &slug, Action::ManageEvent).await?;
        let part = spec.part(field(&f, "part")).ok_or(EngineError::NotFound("phần thi"))?;
        let judge = id_field(&f, "judge", "giám khảo")?;
        let team = id_field(&f, "team", "đội thi")?;
        let scores = read_scores(part, &f)?;
        s.engine.enter_paper_sheet(&staff, &slug, judge, team, &part.key, &scores).await.map(|_| ())
    }
    .await;
    back(&s, &staff, &slug, "phieu-giay", done).await
}

pub(in crate::admin) async fn answers(Console { s, staff, path: slug }: Console, Form(f): Form<Fields>) -> PageResult {
    let done = async {
        s.engine.contest_for(&staff, &slug, Action::ManageEvent).await?;
        let team = id_field(&f, "team", "đội thi")?;
        let correct = field(&f, "correct")
            .parse()
            .map_err(|_| EngineError::BadRequest("Số câu trả lời đúng phải là số nguyên không âm.".into()))?;
        s.engine.enter_answers(&staff, &slug, team, field(&f, "part"), correct).await
    }
    .await;
    back(&s, &staff, &slug, "kien-thuc", done).await
}

pub(in crate::admin) async fn adjustment(
    Console { s, staff, path: slug }: Console,
    Form(f): Form<Fields>,
) -> PageResult {
    let done = async {
        s.engine.contest_for(&staff, &slug, Action::ManageEvent).await?;
        let team = id_field(&f, "team", "đội thi")?;
        let pts = Points::parse(field(&f, "points")).map_err(EngineError::BadRequest)?;
        s.engine.add_adjustment(&staff, &slug, team, pts, field(&f, "reason")).await.map(|_| ())
    }
    .await;
    back(&s, &staff, &slug, "cong-tru", done).await
}

pub(in crate::admin) async fn tie_lots(Console { s, staff, path: slug }: Console, Form(f): Form<Fields>) -> PageResult {
    let ids: Vec<i64> = f
        .iter()
        .filter(|(k, v)| k.starts_with("team_") && v.as_str() == "1")
        .filter_map(|(k, _)| k[5..].parse().ok())
        .collect();
    let done = s.engine.draw_tie_lots(&staff, &slug, &ids).await.map(|_| ());
    back(&s, &staff, &slug, "xep-hang", done).await
}
