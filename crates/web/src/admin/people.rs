//! Participants in the console: search, one person's attempts, merging duplicates.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use cuocthi_domain::{text, vntime};
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, PersonView, SEARCH_LIMIT, Staff};
use serde::Deserialize;

use super::{Console, Frame, Shown, after_form};
use crate::AppState;
use crate::http::{Form, PageResult, private, see_other};

#[derive(Template, WebTemplate)]
#[template(path = "admin/people.html")]
struct PeoplePage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    q: String,
    unit: String,
    units: Vec<(String, String)>,
    people: Vec<PersonView>,
    limit: usize,
    masked: bool,
    can_merge: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct Search {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "don-vi")]
    unit: String,
}

async fn people_page(s: &AppState, staff: &Staff, slug: &str, search: Search, (error, notice): Shown) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ViewParticipants).await?;
    let id = c.stored.contest.id;
    let people = s.engine.find_people(staff, slug, &search.q, &search.unit).await?;
    let scope = staff.unit_scope(id);
    let units = c
        .spec
        .units
        .iter()
        .filter(|u| {
            scope.as_ref().is_none_or(|s| s.contains(&u.code) || u.parent.as_ref().is_some_and(|p| s.contains(p)))
        })
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    Ok(after_form(
        error.is_some(),
        PeoplePage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            q: search.q,
            unit: search.unit,
            units,
            people,
            limit: SEARCH_LIMIT,
            masked: !staff.can(Action::SeePersonalData, Some(id)),
            can_merge: staff.can(Action::MergeParticipants, Some(id)),
        },
    ))
}

pub(super) async fn people(Console { s, staff, path: slug }: Console, Query(q): Query<Search>) -> PageResult {
    people_page(&s, &staff, &slug, q, (None, None)).await
}

#[derive(Deserialize)]
pub(super) struct MergeForm {
    #[serde(default)]
    kept: String,
    #[serde(default)]
    merged: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn merge(Console { s, staff, path: slug }: Console, Form(f): Form<MergeForm>) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::MergeParticipants).await?;
    let refused = |error: String| people_page(&s, &staff, &slug, Search::default(), (Some(error), None));
    let (Ok(kept), Ok(merged)) = (f.kept.trim().parse::<i64>(), f.merged.trim().parse::<i64>()) else {
        return refused("Hãy nhập mã hồ sơ bằng số.".into()).await;
    };
    match s.engine.merge_people(&staff, &slug, kept, merged, &f.reason).await {
        Ok(()) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/thi-sinh/{kept}"))),
        Err(e @ (EngineError::BadRequest(_) | EngineError::Conflict(_) | EngineError::NotFound(_))) => {
            refused(e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

struct AttemptLine {
    id: i64,
    seq: i64,
    round: String,
    started: String,
    submitted: String,
    score: String,
    taken: String,
    prediction: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/person.html")]
struct PersonPage {
    frame: Option<Frame>,
    notice: Option<String>,
    slug: String,
    p: PersonView,
    attempts: Vec<AttemptLine>,
}

pub(super) async fn person(Console { s, staff, path: (slug, id) }: Console<(String, i64)>) -> PageResult {
    let (p, rows) = s.engine.person(&staff, &slug, id).await?;
    let c = s.engine.contest_for(&staff, &slug, Action::ViewParticipants).await?;
    let attempts = rows
        .into_iter()
        .map(|a| AttemptLine {
            id: a.id,
            seq: a.seq,
            round: c.stored.rounds.iter().find(|r| r.id == a.round_id).map(|r| r.name.clone()).unwrap_or_default(),
            started: vntime::format(a.started_at),
            submitted: a
                .submitted_at
                .map(|t| format!("{}{}", vntime::format(t), if a.auto_submitted { " (tự động)" } else { "" }))
                .unwrap_or_else(|| "chưa nộp".into()),
            score: a.correct.map(|n| format!("{n}/{}", a.draw.len())).unwrap_or_default(),
            taken: a.time_taken_ms.map(text::duration).unwrap_or_default(),
            prediction: a.prediction.map(text::thousands).unwrap_or_default(),
        })
        .collect();
    Ok(private(PersonPage { frame: Some(Frame::of(&staff)), notice: None, slug, p, attempts }))
}
