//! The judges' review in the console (rà soát): a round's suspicious attempts with their reasons,
//! disqualifying an attempt or a person with a written reason, and lifting a disqualification.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, Staff};
use cuocthi_engine::review::{Suspicious, Target};
use serde::Deserialize;

use super::{Console, Frame, RoundQuery, after_form, at, round_choices};
use crate::AppState;
use crate::http::{Form, PageResult, see_other};

struct Decision {
    id: i64,
    name: String,
    what: String,
    reason: String,
    by: String,
    at: String,
    lifted: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/review.html")]
struct ReviewPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    rounds: Vec<(i64, String)>,
    number: i64,
    rows: Vec<Suspicious>,
    decisions: Vec<Decision>,
    min_note: String,
}

impl ReviewPage {
    fn time(&self, ms: &i64) -> String {
        text::duration(*ms)
    }
}

async fn page(s: &AppState, staff: &Staff, slug: &str, number: Option<i64>, error: Option<String>) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::Review).await?;
    let rounds = round_choices(&c);
    let number = number.or_else(|| rounds.first().map(|r| r.0)).unwrap_or(1);
    let rows = s.engine.review_list(staff, slug, number).await?;
    let decisions = s
        .engine
        .disqualifications(staff, slug)
        .await?
        .into_iter()
        .map(|(d, name)| Decision {
            id: d.id,
            name,
            what: match d.attempt_id {
                Some(a) => format!("lượt thi #{a}"),
                None => "cả người dự thi (mọi đợt)".into(),
            },
            reason: d.reason,
            by: d.created_by,
            at: at(d.created_at),
            lifted: d.lifted_at.map(|l| {
                format!(
                    "Đã hủy lúc {} bởi {}: {}",
                    at(l),
                    d.lifted_by.unwrap_or_default(),
                    d.lift_reason.unwrap_or_default()
                )
            }),
        })
        .collect();
    let rules = &c.spec.settings.review;
    let min_note = match rules.min_seconds {
        Some(m) => format!("dưới {m} giây"),
        None => "dưới 2 giây cho mỗi câu hỏi".into(),
    };
    let min_note = format!(
        "Bài làm {min_note}; hơn {} người trên một thiết bị, hơn {} người trên một địa chỉ mạng; từ {} người nộp trong {} phút với ít nhất {} câu sai giống hệt nhau; số CCCD không hợp lệ.",
        rules.max_people_per_device,
        rules.max_people_per_address,
        rules.burst_size,
        rules.burst_minutes,
        rules.min_shared_wrong
    );
    Ok(after_form(
        error.is_some(),
        ReviewPage {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            rounds,
            number,
            rows,
            decisions,
            min_note,
        },
    ))
}

pub(super) async fn review(Console { s, staff, path: slug }: Console, Query(q): Query<RoundQuery>) -> PageResult {
    page(&s, &staff, &slug, q.dot, None).await
}

#[derive(Deserialize)]
pub(super) struct DisqualifyForm {
    #[serde(default)]
    dot: Option<i64>,
    /// An attempt number (`lượt thi #…`), or empty for the person.
    #[serde(default)]
    attempt: String,
    #[serde(default)]
    participant: String,
    #[serde(default)]
    reason: String,
}

pub(super) async fn disqualify(Console { s, staff, path: slug }: Console, Form(f): Form<DisqualifyForm>) -> PageResult {
    let target = match (f.attempt.trim().trim_start_matches('#').parse(), f.participant.trim().parse()) {
        (Ok(a), _) => Some(Target::Attempt(a)),
        (Err(_), Ok(p)) => Some(Target::Person(p)),
        _ => None,
    };
    let done = match target {
        Some(t) => s.engine.disqualify(&staff, &slug, t, &f.reason).await.map(|_| ()),
        None => Err(EngineError::BadRequest("Hãy nhập số lượt thi cần loại.".into())),
    };
    back(&s, &staff, &slug, f.dot, done).await
}

#[derive(Deserialize)]
pub(super) struct LiftForm {
    #[serde(default)]
    dot: Option<i64>,
    #[serde(default)]
    reason: String,
}

pub(super) async fn lift(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<LiftForm>,
) -> PageResult {
    let done = s.engine.lift_disqualification(&staff, &slug, id, &f.reason).await;
    back(&s, &staff, &slug, f.dot, done).await
}

/// Back to the review page after a decision, or the page again with what was wrong.
async fn back(s: &AppState, staff: &Staff, slug: &str, dot: Option<i64>, done: Result<(), EngineError>) -> PageResult {
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/ra-soat?dot={}", dot.unwrap_or(1)))),
        Err(e @ (EngineError::BadRequest(_) | EngineError::NotFound(_))) => {
            page(s, staff, slug, dot, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}
