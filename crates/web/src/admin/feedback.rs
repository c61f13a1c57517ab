//! The secretariat's queue of feedback on questions (góp ý về câu hỏi) in the console: each
//! report with its question (stem, options, key), the reply the participant will read on their
//! result page, closing it; and a question's own page, where the committee voids it (hủy câu hỏi)
//! with a written reason — every attempt that had it is then scored again.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::http::StatusCode;
use cuocthi_domain::attempt::Void;
use cuocthi_domain::question::option_letter;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, Staff};
use cuocthi_engine::feedback::{VoidOutcome, void_label};
use cuocthi_store::{ReportRow, StoredQuestion, VoidRow};
use serde::Deserialize;

use super::{Console, Frame, at};
use crate::AppState;
use crate::http::{Form, PageResult, private, see_other};

/// A question as the queue shows it: the key marked, and its void if it has one.
struct QuestionBox {
    id: i64,
    topic: String,
    stem: String,
    /// (letter, text, is the key)
    options: Vec<(char, String, bool)>,
    explanation: Option<String>,
    /// The void in words: what it does, why, who and when.
    void: Option<String>,
}

fn question_box(q: &StoredQuestion, void: Option<&VoidRow>) -> QuestionBox {
    QuestionBox {
        id: q.id,
        topic: q.question.topic.clone(),
        stem: q.question.stem.clone(),
        options: q
            .question
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| (option_letter(i), o.clone(), i == usize::from(q.question.correct)))
            .collect(),
        explanation: q.question.explanation.clone(),
        void: void.map(|v| {
            let what = Void::parse(&v.mode).map_or_else(|| v.mode.clone(), |m| void_label(m).to_string());
            format!("{what} Lý do: {} ({}, {}).", v.reason, v.created_by, at(v.created_at))
        }),
    }
}

/// One report: the participant's words and the secretariat's answer.
struct ReportLine {
    id: i64,
    attempt_id: i64,
    /// The question's number in that attempt.
    number: i64,
    message: String,
    sent: String,
    reply: Option<String>,
    replied: Option<String>,
    closed: Option<String>,
}

fn report_line(r: &ReportRow) -> ReportLine {
    ReportLine {
        id: r.id,
        attempt_id: r.attempt_id,
        number: r.position + 1,
        message: r.message.clone(),
        sent: at(r.created_at),
        reply: r.reply.clone(),
        replied: r.replied_at.map(|t| format!("{}, {}", r.replied_by.clone().unwrap_or_default(), at(t))),
        closed: r.closed_at.map(|t| format!("{}, {}", r.closed_by.clone().unwrap_or_default(), at(t))),
    }
}

/// The question's page: its reports, its void or the form to void it.
struct Focus {
    q: QuestionBox,
    reports: Vec<ReportLine>,
    effect: Option<String>,
    /// The report the void form names (from the queue's link), and what was typed.
    report_id: Option<i64>,
    mode: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/feedback.html")]
struct FeedbackPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    can_manage: bool,
    open_only: bool,
    open: usize,
    items: Vec<(ReportLine, QuestionBox)>,
    voids: Vec<QuestionBox>,
    /// Set on a question's page (then the queue's lists are empty).
    focus: Option<Focus>,
}

#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    /// `chi-mo=1`: open reports only.
    #[serde(default, rename = "chi-mo")]
    open_only: Option<String>,
}

async fn queue_page(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    open_only: bool,
    error: Option<(String, StatusCode)>,
) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ViewFeedback).await?;
    let q = s.engine.feedback_queue(staff, slug, open_only).await?;
    let (error, status) = error.map_or((None, StatusCode::OK), |(e, st)| (Some(e), st));
    Ok(private((
        status,
        FeedbackPage {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            can_manage: q.can_manage,
            open_only,
            open: q.open,
            items: q
                .items
                .iter()
                .map(|i| (report_line(&i.report), question_box(&i.question, i.void.as_ref())))
                .collect(),
            voids: q.voids.iter().map(|(v, qn)| question_box(qn, Some(v))).collect(),
            focus: None,
        },
    )))
}

pub(super) async fn queue(Console { s, staff, path: slug }: Console, Query(q): Query<QueueQuery>) -> PageResult {
    queue_page(&s, &staff, &slug, q.open_only.as_deref() == Some("1"), None).await
}

/// A refusal shown on the page the form was on, with its status; anything else is an error page.
fn shown(e: EngineError) -> Result<(String, StatusCode), EngineError> {
    match e {
        EngineError::BadRequest(m) => Ok((m, StatusCode::UNPROCESSABLE_ENTITY)),
        e @ (EngineError::Conflict(_) | EngineError::NotFound(_)) => {
            let status = crate::http::status_of(&e);
            Ok((e.to_string(), status))
        }
        e => Err(e),
    }
}

#[derive(Deserialize)]
pub(super) struct ReplyForm {
    #[serde(default)]
    reply: String,
    /// `1`: close the report with the reply.
    #[serde(default)]
    close: String,
}

pub(super) async fn reply(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<ReplyForm>,
) -> PageResult {
    let done = s.engine.reply_feedback(&staff, &slug, id, &f.reply, f.close == "1").await;
    back_to_queue(&s, &staff, &slug, id, done).await
}

#[derive(Deserialize)]
pub(super) struct CloseForm {
    /// `1`: open the report again.
    #[serde(default)]
    reopen: String,
}

pub(super) async fn close(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<CloseForm>,
) -> PageResult {
    let done = s.engine.close_feedback(&staff, &slug, id, f.reopen != "1").await;
    back_to_queue(&s, &staff, &slug, id, done).await
}

/// Back to report `id` in the queue, or the whole queue again with why it was refused.
async fn back_to_queue(s: &AppState, staff: &Staff, slug: &str, id: i64, done: Result<(), EngineError>) -> PageResult {
    match done {
        Ok(()) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/gop-y#gop-y-{id}"))),
        Err(e) => queue_page(s, staff, slug, false, Some(shown(e)?)).await,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct QuestionQuery {
    /// The report the void is about (the queue's link).
    #[serde(default, rename = "gop-y")]
    report: Option<i64>,
    /// `da-huy=1`: just voided.
    #[serde(default, rename = "da-huy")]
    voided: Option<String>,
}

/// What the void form held, kept when it is refused.
#[derive(Deserialize, Default)]
pub(super) struct VoidForm {
    /// `award` or `drop`.
    #[serde(default)]
    mode: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    report: String,
}

async fn question_page(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    id: i64,
    notice: Option<String>,
    error: Option<(String, StatusCode)>,
    typed: VoidForm,
) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::ViewFeedback).await?;
    let page = s.engine.question_feedback(staff, slug, id).await?;
    let effect = page.void_effect.map(|o: VoidOutcome| {
        format!(
            "{} bài thi đã nộp có câu hỏi này; {} bài được tăng điểm, {} bài bị giảm điểm.",
            o.attempts, o.raised, o.lowered
        )
    });
    let (error, status) = error.map_or((None, StatusCode::OK), |(e, st)| (Some(e), st));
    Ok(private((
        status,
        FeedbackPage {
            frame: Some(Frame::of(staff)),
            notice,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            can_manage: page.can_manage,
            open_only: false,
            open: 0,
            items: Vec::new(),
            voids: Vec::new(),
            focus: Some(Focus {
                q: question_box(&page.question, page.void.as_ref()),
                reports: page.reports.iter().map(report_line).collect(),
                effect,
                report_id: typed.report.trim().parse().ok(),
                mode: typed.mode,
                reason: typed.reason,
            }),
        },
    )))
}

pub(super) async fn question(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Query(q): Query<QuestionQuery>,
) -> PageResult {
    let notice = (q.voided.as_deref() == Some("1"))
        .then(|| "Đã hủy câu hỏi và chấm lại mọi bài thi có câu hỏi này; thống kê đã được tính lại.".to_string());
    let typed = VoidForm { report: q.report.map(|r| r.to_string()).unwrap_or_default(), ..Default::default() };
    question_page(&s, &staff, &slug, id, notice, None, typed).await
}

pub(super) async fn void(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<VoidForm>,
) -> PageResult {
    let report = f.report.trim().parse::<i64>().ok();
    match s.engine.void_question(&staff, &slug, id, Void::parse(&f.mode), &f.reason, report).await {
        Ok(_) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/gop-y/cau-hoi/{id}?da-huy=1"))),
        Err(e) => {
            let error = shown(e)?;
            question_page(&s, &staff, &slug, id, None, Some(error), f).await
        }
    }
}
