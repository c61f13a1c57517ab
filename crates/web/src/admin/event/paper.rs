//! The blank paper score sheet (phiếu chấm giấy) as PDF, per judged part: for a judge (their
//! name printed) or for the secretariat (a line for the name), the teams in performance order.
//! Printed before the event, it is what the jury falls back on when the hall's network fails;
//! the secretariat then types the filled-in sheet in (marked as paper in the audit log).

use std::sync::LazyLock;

use axum::extract::Query;
use axum::response::Response;
use cuocthi_certificate::{BlankSheet, Renderer, SheetCriterion};
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, Role};
use serde::Deserialize;

use super::{event_spec, judged_parts};
use crate::admin::Console;
use crate::certificates::pdf_response;
use crate::http::PageResult;

/// The fonts, parsed once for every blank sheet of the process.
static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

#[derive(Deserialize, Default)]
pub(in crate::admin) struct SheetQuery {
    /// The part's key.
    #[serde(default)]
    phan: String,
}

pub(in crate::admin) async fn blank(
    Console { s, staff, path: slug }: Console,
    Query(q): Query<SheetQuery>,
) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewContest).await?;
    let id = c.stored.contest.id;
    let action = if staff.can(Action::ManageEvent, Some(id)) { Action::ManageEvent } else { Action::ScoreEvent };
    let spec = event_spec(&s, &staff, &slug, action).await?;
    let part = judged_parts(&spec).into_iter().find(|p| p.key == q.phan).ok_or(EngineError::NotFound("phần thi"))?;
    let teams = s.engine.event_teams(&staff, &slug).await?;
    let is_judge = staff.grants.iter().any(|g| g.contest_id == id && g.role == Role::Judge);
    let sheet = BlankSheet {
        contest_title: c.stored.contest.title.clone(),
        event_name: spec.name.clone(),
        part_name: part.name.clone(),
        judge: match (is_judge, staff.full_name.trim().is_empty()) {
            (false, _) => String::new(),
            (true, true) => staff.username.clone(),
            (true, false) => staff.full_name.clone(),
        },
        step: part.step.clone(),
        criteria: part.criteria.iter().map(|c| SheetCriterion { name: c.name.clone(), max: c.max.clone() }).collect(),
        teams: teams.iter().map(|t| t.name.clone()).collect(),
    };
    let pdf = tokio::task::spawn_blocking(move || RENDERER.render_blank_sheet(&sheet))
        .await
        .map_err(|e| EngineError::Internal(Box::new(e)))?
        .map_err(|e| EngineError::BadRequest(e.to_string()))?;
    let response: Response = pdf_response(&format!("phieu-cham-{}.pdf", part.key), pdf, "private, no-store");
    Ok(response)
}
