//! The judge's page (trang chấm điểm), made for a 360-px phone: the teams in the order they go on
//! stage and, for each team and each judged part open now, the judge's own sheet: each criterion
//! with its maximum and step, the total as typed, a submit with a confirmation. A submitted sheet
//! is shown locked; a sheet the secretariat reopened is editable again with its reason.
//!
//! Each sheet's form carries an idempotency key (khóa gửi phiếu) made when the page was drawn:
//! `event.js` keeps a sheet sent while the hall's network is down in `localStorage` and sends it
//! again, with the same key, until the server answers; the engine stores it once. Without
//! JavaScript the form is a plain POST answered by a redirect back to the sheet.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cuocthi_domain::event::Points;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::event::SheetView;
use cuocthi_engine::console::{Action, Staff};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Fields, JudgedPart, event_spec, field, id_field, judged_parts, points, read_scores, sheet_total};
use crate::AppState;
use crate::admin::{Console, Frame};
use crate::http::{ApiError, Form, PageResult, private, see_other};

/// A criterion's input on a sheet: what to show in it.
struct Input {
    key: String,
    name: String,
    max: String,
    max_attr: String,
    step_attr: String,
    /// For the input: a decimal point (`35.25`).
    value: String,
    /// For the reader: a decimal comma (`35,25`).
    shown: String,
}

/// One sheet on the page: a team and a part.
struct Card {
    anchor: String,
    team_id: i64,
    team: String,
    order: String,
    part_key: String,
    part: String,
    step: String,
    key: String,
    /// `new`, `locked` or `reopened`.
    state: &'static str,
    inputs: Vec<Input>,
    total: String,
    reason: Option<String>,
    error: Option<String>,
}

struct PartBlock {
    key: String,
    name: String,
    open: bool,
    cards: Vec<Card>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/event_judge.html")]
struct JudgePage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    event: String,
    judge: String,
    /// Scopes the sheets kept in the browser to this judge (two judges may share a tablet).
    account: i64,
    parts: Vec<PartBlock>,
    no_teams: bool,
}

/// A fresh idempotency key for a sheet's form: unique per page drawn (a counter, the time, the
/// judge and the sheet, hashed), 32 hex digits.
fn fresh_key(judge: i64, team: i64, part: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let digest = Sha256::digest(format!("{n}:{now}:{judge}:{team}:{part}:{}", std::process::id()));
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// What the judge last typed into a sheet refused by the server, and why.
struct Refused<'a> {
    team: i64,
    part: &'a str,
    fields: &'a Fields,
    message: String,
    /// 422 for a score the rules refuse, 409 for a sheet already locked or a part closed.
    status: StatusCode,
}

async fn page(s: &AppState, staff: &Staff, slug: &str, refused: Option<Refused<'_>>) -> Result<Response, EngineError> {
    let c = s.engine.contest_for(staff, slug, Action::ScoreEvent).await?;
    let spec = event_spec(s, staff, slug, Action::ScoreEvent).await?;
    let teams = s.engine.event_teams(staff, slug).await?;
    let mine = s.engine.my_sheets(staff, slug).await?;
    let mut parts = Vec::new();
    for part in judged_parts(&spec) {
        // The engine answers a judge's own sheet only while the part is open.
        let open = match s.engine.my_sheet(staff, slug, 0, &part.key).await {
            Ok(_) => true,
            Err(EngineError::Conflict(_)) => false,
            Err(e) => return Err(e),
        };
        let cards = if open { cards(staff, &part, &teams, &mine, refused.as_ref()) } else { Vec::new() };
        parts.push(PartBlock { key: part.key, name: part.name, open, cards });
    }
    let error = refused.as_ref().map(|r| r.message.clone());
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.status);
    let page = JudgePage {
        frame: Some(Frame::of(staff)),
        notice: None,
        error,
        slug: slug.to_string(),
        title: c.stored.contest.title.clone(),
        event: spec.name.clone(),
        judge: if staff.full_name.is_empty() { staff.username.clone() } else { staff.full_name.clone() },
        account: staff.account_id,
        parts,
        no_teams: teams.is_empty(),
    };
    Ok(private((status, page)))
}

fn cards(
    staff: &Staff,
    part: &JudgedPart,
    teams: &[cuocthi_engine::console::event::TeamView],
    mine: &[SheetView],
    refused: Option<&Refused<'_>>,
) -> Vec<Card> {
    teams
        .iter()
        .map(|t| {
            let sheet = mine.iter().find(|s| s.team_id == t.id && s.part_key == part.key);
            let state = match sheet {
                Some(s) if s.status == "submitted" => "locked",
                Some(_) => "reopened",
                None => "new",
            };
            let typed = refused.filter(|r| r.team == t.id && r.part == part.key);
            let stored = |key: &str| sheet.and_then(|s| s.scores.get(key)).map(|p| points(*p)).unwrap_or_default();
            let inputs = part
                .criteria
                .iter()
                .map(|c| Input {
                    key: c.key.clone(),
                    name: c.name.clone(),
                    max: c.max.clone(),
                    max_attr: c.max_attr.clone(),
                    step_attr: c.step_attr.clone(),
                    value: match typed {
                        Some(r) => field(r.fields, &format!("c.{}", c.key)).replace(',', "."),
                        None => stored(&c.key).replace(',', "."),
                    },
                    shown: stored(&c.key),
                })
                .collect();
            Card {
                anchor: format!("phieu-{}-{}", t.id, part.key),
                team_id: t.id,
                team: t.name.clone(),
                order: t.performance_order.map(|o| o.to_string()).unwrap_or_default(),
                part_key: part.key.clone(),
                part: part.name.clone(),
                step: part.step.clone(),
                key: fresh_key(staff.account_id, t.id, &part.key),
                state,
                inputs,
                total: sheet.map(|s| sheet_total(&s.scores)).unwrap_or_default(),
                reason: sheet.and_then(|s| s.reopen_reason.clone()).filter(|_| state == "reopened"),
                error: typed.map(|r| r.message.clone()),
            }
        })
        .collect()
}

pub(in crate::admin) async fn judge(Console { s, staff, path: slug }: Console) -> PageResult {
    Ok(page(&s, &staff, &slug, None).await?)
}

/// Whether the request came from `event.js` (it asks for JSON) rather than a plain form.
fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

/// The sheet as `event.js` reads it back.
fn sheet_json(v: &SheetView) -> Response {
    let scores: BTreeMap<&str, String> = v.scores.iter().map(|(k, p)| (k.as_str(), points(*p))).collect();
    private(Json(json!({
        "sheet": {
            "id": v.id,
            "team_id": v.team_id,
            "part": v.part_key,
            "status": v.status,
            "scores": scores,
            "total": sheet_total(&v.scores),
            "reopen_reason": v.reopen_reason,
        }
    })))
}

/// `POST …/cham-diem/phieu`: a judge's sheet. Sent again with its key and the same scores, it is
/// answered as the first time and nothing new is stored; with other scores, 409.
pub(in crate::admin) async fn submit(
    Console { s, staff, path: slug }: Console,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let json = wants_json(&headers);
    let done = async {
        let spec = event_spec(&s, &staff, &slug, Action::ScoreEvent).await?;
        let team = id_field(&f, "team", "đội thi")?;
        let part = spec.part(field(&f, "part")).ok_or(EngineError::NotFound("phần thi"))?;
        let scores: BTreeMap<String, Points> = read_scores(part, &f)?;
        let key = Some(field(&f, "key")).filter(|k| !k.is_empty());
        s.engine.submit_sheet_once(&staff, &slug, team, &part.key, &scores, key).await
    }
    .await;
    match (done, json) {
        (Ok(v), true) => sheet_json(&v),
        (Err(e), true) => ApiError(e).into_response(),
        (Ok(v), false) => see_other(&format!("/admin/cuoc-thi/{slug}/cham-diem#phieu-{}-{}", v.team_id, v.part_key)),
        (Err(e @ (EngineError::BadRequest(_) | EngineError::Conflict(_))), false) => {
            let team = field(&f, "team").parse().unwrap_or_default();
            let status = match e {
                EngineError::Conflict(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let refused = Refused { team, part: field(&f, "part"), fields: &f, message: e.to_string(), status };
            page(&s, &staff, &slug, Some(refused))
                .await
                .unwrap_or_else(|e| crate::http::PageError::from(e).into_response())
        }
        (Err(e), false) => crate::http::PageError::from(e).into_response(),
    }
}
