//! Contests in the console: the list, a new contest, its overview, its definition, its team and
//! its audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use cuocthi_domain::contest::DefError;
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, ConsoleRound, NewContest, Role, Staff};
use serde::Deserialize;

use super::accounts::{AuditQuery, audit_csv, audit_page};
use super::{Console, Frame, StaffUser, after_action, after_form};
use crate::AppState;
use crate::http::{Form, PageResult, private, see_other};

struct RoundLine {
    number: i64,
    name: String,
    opens_vn: String,
    closes_vn: String,
    phase_label: &'static str,
    upcoming: bool,
    people: String,
    attempts: String,
    submitted: String,
}

fn round_line(r: &ConsoleRound) -> RoundLine {
    RoundLine {
        number: r.number,
        name: r.name.clone(),
        opens_vn: r.opens_vn.clone(),
        closes_vn: r.closes_vn.clone(),
        phase_label: match r.phase {
            "upcoming" => "Chưa mở",
            "open" => "Đang mở",
            _ => "Đã kết thúc",
        },
        upcoming: r.phase == "upcoming",
        people: text::thousands(r.counts.people),
        attempts: text::thousands(r.counts.attempts),
        submitted: text::thousands(r.counts.submitted),
    }
}

struct ContestLine {
    slug: String,
    title: String,
    organiser: String,
    rounds: Vec<RoundLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    frame: Option<Frame>,
    notice: Option<String>,
    can_create: bool,
    contests: Vec<ContestLine>,
}

pub(super) async fn dashboard(State(s): State<AppState>, StaffUser(staff): StaffUser) -> PageResult {
    let contests = s
        .engine
        .console_contests(&staff)
        .await?
        .into_iter()
        .map(|c| ContestLine {
            rounds: c.rounds.iter().map(round_line).collect(),
            slug: c.slug,
            title: c.title,
            organiser: c.organiser,
        })
        .collect();
    Ok(private(Dashboard {
        frame: Some(Frame::of(&staff)),
        notice: None,
        can_create: staff.can(Action::CreateContest, None),
        contests,
    }))
}

#[derive(Deserialize, Default)]
pub(super) struct NewForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    organiser: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    round_name: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    closes: String,
    #[serde(default)]
    questions_per_attempt: String,
    #[serde(default)]
    time_limit_minutes: String,
    #[serde(default)]
    attempts_per_person: String,
    #[serde(default)]
    tiebreak_prompt: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/contest_new.html")]
struct NewPage {
    frame: Option<Frame>,
    notice: Option<String>,
    errors: Vec<String>,
    f: NewForm,
}

pub(super) async fn new_page(StaffUser(staff): StaffUser) -> PageResult {
    staff.require(Action::CreateContest, None)?;
    let f = NewForm {
        round_name: "Đợt 1".into(),
        questions_per_attempt: "20".into(),
        time_limit_minutes: "30".into(),
        attempts_per_person: "1".into(),
        tiebreak_prompt: "Dự đoán có bao nhiêu người tham gia đợt thi này?".into(),
        ..NewForm::default()
    };
    Ok(private(NewPage { frame: Some(Frame::of(&staff)), notice: None, errors: Vec::new(), f }))
}

fn number(s: &str) -> u32 {
    s.trim().parse().unwrap_or(0)
}

/// The definition names the address `slug`; the form calls it "Địa chỉ cuộc thi", and so does
/// its error.
fn as_the_form_names_it(e: DefError) -> String {
    match e.path.as_str() {
        "slug" => SLUG_RULE.to_string(),
        _ => e.message,
    }
}

/// What the address field accepts, in the form's words (its `pattern` says the same).
const SLUG_RULE: &str = "Địa chỉ cuộc thi chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang, dài 3–60 ký tự, không bắt đầu hay kết thúc bằng dấu gạch ngang (vd: phap-luat-2025).";

pub(super) async fn create(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Form(f): Form<NewForm>,
) -> PageResult {
    let form = NewContest {
        slug: f.slug.clone(),
        title: f.title.clone(),
        organiser: f.organiser.clone(),
        summary: f.summary.clone(),
        audience: f.audience.clone(),
        rules: f.rules.clone(),
        round_name: f.round_name.clone(),
        opens: f.opens.clone(),
        closes: f.closes.clone(),
        questions_per_attempt: number(&f.questions_per_attempt),
        time_limit_minutes: number(&f.time_limit_minutes),
        attempts_per_person: number(&f.attempts_per_person),
        tiebreak_prompt: f.tiebreak_prompt.clone(),
    };
    match s.engine.new_contest(&staff, &form).await {
        Ok(slug) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}"))),
        Err(EngineError::Definition(errors)) => Ok(private((
            StatusCode::UNPROCESSABLE_ENTITY,
            NewPage {
                frame: Some(Frame::of(&staff)),
                notice: None,
                errors: errors.into_iter().map(as_the_form_names_it).collect(),
                f,
            },
        ))),
        Err(e) => Err(e.into()),
    }
}

struct Head {
    slug: String,
    title: String,
    organiser: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/contest.html")]
struct Overview {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    c: Head,
    rounds: Vec<RoundLine>,
    can_edit: bool,
    can_bank: bool,
    can_audit: bool,
    can_stats: bool,
    bank_size: usize,
    /// The definition has an in-person event (`[event]`) and this staff member runs it (the
    /// secretariat's page) or judges it (the judge's sheets): link those pages.
    event_desk: bool,
    event_judge: bool,
    /// The stage's control page (sân khấu): the secretariat, the organiser, the MC.
    event_stage: bool,
}

async fn overview_page(s: &AppState, staff: &Staff, slug: &str, error: Option<String>) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ViewContest).await?;
    let id = c.stored.contest.id;
    let view = s.engine.console_contest(&c).await?;
    let can_bank = staff.can(Action::ViewBank, Some(id));
    let bank_size = if can_bank { s.engine.store().bank(id).await.map(|b| b.len()).unwrap_or(0) } else { 0 };
    Ok(after_action(
        error.is_some(),
        Overview {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            rounds: view.rounds.iter().map(round_line).collect(),
            c: Head { slug: view.slug, title: view.title, organiser: view.organiser },
            can_edit: staff.can(Action::EditContest, Some(id)),
            can_bank,
            can_audit: staff.can(Action::ViewAudit, Some(id)),
            can_stats: staff.can(Action::ViewStatistics, Some(id)),
            bank_size,
            event_desk: c.spec.settings.event.is_some() && staff.can(Action::ManageEvent, Some(id)),
            event_judge: c.spec.settings.event.is_some() && staff.can(Action::ScoreEvent, Some(id)),
            event_stage: c.spec.settings.event.is_some() && staff.can(Action::ControlStage, Some(id)),
        },
    ))
}

pub(super) async fn overview(Console { s, staff, path: slug }: Console) -> PageResult {
    overview_page(&s, &staff, &slug, None).await
}

pub(super) async fn open_round(Console { s, staff, path: (slug, number) }: Console<(String, i64)>) -> PageResult {
    match s.engine.open_round_now(&staff, &slug, number).await {
        Ok(()) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}"))),
        Err(EngineError::Conflict(m)) => overview_page(&s, &staff, &slug, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/definition.html")]
struct DefinitionPage {
    frame: Option<Frame>,
    notice: Option<String>,
    slug: String,
    title: String,
    source: String,
    reason: String,
    errors: Vec<String>,
}

pub(super) async fn definition(Console { s, staff, path: slug }: Console) -> PageResult {
    let source = s.engine.definition(&staff, &slug).await?;
    let c = s.engine.contest_for(&staff, &slug, Action::EditContest).await?;
    Ok(private(DefinitionPage {
        frame: Some(Frame::of(&staff)),
        notice: None,
        title: c.stored.contest.title.clone(),
        slug,
        source,
        reason: String::new(),
        errors: Vec::new(),
    }))
}

#[derive(Deserialize)]
pub(super) struct DefinitionForm {
    #[serde(default)]
    source: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn save_definition(
    Console { s, staff, path: slug }: Console,
    Form(f): Form<DefinitionForm>,
) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::EditContest).await?;
    let errors = if f.reason.trim().is_empty() {
        vec!["Hãy ghi lý do thay đổi.".to_string()]
    } else {
        match s.engine.save_definition(&staff, &slug, &f.source, &f.reason).await {
            Ok(new_slug) => return Ok(see_other(&format!("/admin/cuoc-thi/{new_slug}"))),
            Err(EngineError::Definition(errors)) => errors
                .into_iter()
                .map(|e| if e.path.is_empty() { e.message } else { format!("{}: {}", e.path, e.message) })
                .collect(),
            Err(e) => return Err(e.into()),
        }
    };
    Ok(private((
        StatusCode::UNPROCESSABLE_ENTITY,
        DefinitionPage {
            frame: Some(Frame::of(&staff)),
            notice: None,
            title: c.stored.contest.title.clone(),
            slug,
            source: f.source,
            reason: f.reason,
            errors,
        },
    )))
}

struct Member {
    id: i64,
    username: String,
    role: &'static str,
    unit: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/team.html")]
struct TeamPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    members: Vec<Member>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
}

async fn team_page(s: &AppState, staff: &Staff, slug: &str, error: Option<String>) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ManageGrants).await?;
    let members = s
        .engine
        .contest_team(staff, c.stored.contest.id)
        .await?
        .into_iter()
        .map(|(g, username)| Member { id: g.id, username, role: g.role.label(), unit: g.unit.unwrap_or_default() })
        .collect();
    let roles = Role::ON_CONTEST
        .into_iter()
        .filter(|r| *r != Role::Organiser || staff.system_admin)
        .map(|r| (r.as_str(), r.label()))
        .collect();
    let units = c.spec.units.iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    Ok(after_form(
        error.is_some(),
        TeamPage {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            members,
            roles,
            units,
        },
    ))
}

pub(super) async fn team(Console { s, staff, path: slug }: Console) -> PageResult {
    team_page(&s, &staff, &slug, None).await
}

#[derive(Deserialize)]
pub(super) struct MemberForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
}

pub(super) async fn add_member(Console { s, staff, path: slug }: Console, Form(f): Form<MemberForm>) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ManageGrants).await?;
    let role = Role::parse(&f.role).ok_or_else(|| EngineError::BadRequest("Vai trò không hợp lệ.".into()))?;
    match s.engine.grant(&staff, &f.username, c.stored.contest.id, role, Some(&f.unit)).await {
        Ok(_) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/nhan-su"))),
        Err(e @ (EngineError::BadRequest(_) | EngineError::Conflict(_) | EngineError::NotFound(_))) => {
            team_page(&s, &staff, &slug, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn remove_member(Console { s, staff, path: (slug, id) }: Console<(String, i64)>) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ManageGrants).await?;
    s.engine.revoke(&staff, c.stored.contest.id, id).await?;
    Ok(see_other(&format!("/admin/cuoc-thi/{slug}/nhan-su")))
}

pub(super) async fn contest_audit(
    Console { s, staff, path: slug }: Console,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewAudit).await?;
    audit_page(&s, &staff, Some((c.stored.contest.id, slug, c.stored.contest.title.clone())), q).await
}

pub(super) async fn contest_audit_csv(
    Console { s, staff, path: slug }: Console,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewAudit).await?;
    Ok(audit_csv(&s, &staff, Some(c.stored.contest.id), q).await?)
}
