//! The result of an attempt: the score, the key once the round shows it, and the reports on
//! questions with the committee's replies and voids.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cuocthi_domain::attempt::Void;
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::feedback::OwnReport;
use cuocthi_engine::token::Claims;
use cuocthi_engine::views::ResultView;

use super::{LETTERS, Refused, refused_report, sent_number, who};
use crate::AppState;
use crate::http::{Form, PageResult, Path, private, see_other};
use crate::i18n::{self, FeedbackTexts, Texts};

struct KeyOption {
    letter: &'static str,
    text: String,
    correct: bool,
    chosen: bool,
}

struct KeyRow {
    number: usize,
    stem: String,
    right: bool,
    /// Dropped from scoring by the committee: neither right nor wrong.
    dropped: bool,
    options: Vec<KeyOption>,
    explanation: Option<String>,
    fb: FeedbackRow,
}

/// What the result page shows about one question beside its key (or, before the key is shown,
/// in the list of questions to report on): the committee's void, the person's report and its
/// reply, or the form to send one.
struct FeedbackRow {
    position: usize,
    number: usize,
    stem: String,
    void: Option<&'static str>,
    report: Option<OwnReport>,
    /// Why a report on this question was just refused.
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "result.html")]
struct ResultPage {
    t: &'static Texts,
    r: ResultView,
    slug: String,
    contest_title: String,
    submitted_at: String,
    time_taken: String,
    prediction: Option<String>,
    key: Option<Vec<KeyRow>>,
    f: &'static FeedbackTexts,
    /// Every question, to report on, while the key is not shown yet.
    feedback: Vec<FeedbackRow>,
    /// The list above starts open: the person has reported, or just tried to.
    feedback_open: bool,
    notice: Option<String>,
    error: Option<String>,
    /// Questions the person answered, of those asked.
    answered: usize,
    /// At least half right: the score in the success colour; a low score stays neutral.
    good_score: bool,
    /// The time ran out: submitted by the server, or by the page's own clock at zero.
    time_up: bool,
}

pub(super) async fn result_page(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let claims = who(&s, &headers)?;
    let q = q.as_deref().unwrap_or_default();
    let time_up = q.split('&').any(|kv| kv == TIME_UP);
    render_result(&s, claims, id, sent_number(q), None, time_up).await
}

/// In the result's address when the attempt page's clock reached zero and posted the answers.
pub(super) const TIME_UP: &str = "het-gio=1";

/// The result page; `sent` and `refused` as for [`attempt_with_feedback`].
async fn render_result(
    s: &AppState,
    claims: Claims,
    id: i64,
    sent: Option<usize>,
    refused: Option<Refused>,
    time_up: bool,
) -> PageResult {
    let r = match s.engine.result(claims, id).await {
        Ok(r) => r,
        Err(EngineError::NotSubmitted) => return Ok(see_other(&format!("/bai-thi/{id}"))),
        Err(e) => return Err(e.into()),
    };
    let me = s.engine.me(claims).await?;
    let c = s.engine.contest(&me.contest_slug).await?;
    let fb = s.engine.attempt_feedback(claims, id).await?;
    let f = FeedbackTexts::of(i18n::t());
    let (refused_at, mut error, status) = match refused {
        Some((position, why, status)) => (Some(position), Some(why), status),
        None => (None, None, StatusCode::OK),
    };
    let mut feedback_row = |position: usize, stem: &str| FeedbackRow {
        position,
        number: position + 1,
        stem: stem.to_string(),
        void: fb.void_at(position).map(|v| f.void(v)),
        report: fb.report_at(position).cloned(),
        error: if refused_at == Some(position) { error.take() } else { None },
    };
    let key = r.key.as_ref().map(|k| {
        k.iter()
            .map(|q| KeyRow {
                number: q.position + 1,
                stem: q.stem.clone(),
                right: q.answer == Some(q.correct) || fb.void_at(q.position) == Some(Void::Award),
                dropped: fb.void_at(q.position) == Some(Void::Drop),
                fb: feedback_row(q.position, &q.stem),
                options: q
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, t)| KeyOption {
                        letter: LETTERS.get(i).copied().unwrap_or(""),
                        text: t.clone(),
                        correct: u8::try_from(i) == Ok(q.correct),
                        chosen: q.answer == u8::try_from(i).ok(),
                    })
                    .collect(),
                explanation: q.explanation.clone(),
            })
            .collect()
    });
    let attempt = s.engine.attempt(claims, id).await?;
    let answered = attempt.questions.iter().filter(|q| q.answer.is_some()).count();
    // Before the key is shown, the questions as the attempt showed them, to report on.
    let feedback = match &key {
        Some(_) => Vec::new(),
        None => attempt.questions.iter().map(|q| feedback_row(q.position, &q.stem)).collect(),
    };
    let t = i18n::t();
    let notice = sent.map(|n| (f.sent_notice)(&n));
    Ok(private((
        status,
        ResultPage {
            t,
            submitted_at: (t.at_seconds)(r.submitted_at),
            time_taken: (t.duration)(r.time_taken_ms),
            prediction: r.prediction.map(text::thousands),
            slug: c.slug,
            contest_title: c.title,
            feedback_open: !fb.reports.is_empty() || refused_at.is_some() || notice.is_some(),
            key,
            feedback,
            f,
            notice,
            // A refusal about no question shown (a tampered form) is said at the top.
            error,
            answered,
            good_score: r.correct > 0 && r.correct * 2 >= r.questions,
            time_up: time_up || r.auto_submitted,
            r,
        },
    )))
}

/// A report sent from the result page (a plain form: the question's position and the text).
pub(super) async fn report_from_result(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let claims = who(&s, &headers)?;
    let Some(position) = form.get("vi_tri").and_then(|p| p.trim().parse::<usize>().ok()) else {
        return Err(
            EngineError::BadRequest("Biểu mẫu góp ý không chỉ rõ câu hỏi; vui lòng tải lại trang.".into()).into()
        );
    };
    let message = form.get("noi_dung").map(String::as_str).unwrap_or_default();
    match s.engine.report_question(claims, id, position, message).await {
        Ok(()) => Ok(see_other(&format!("/bai-thi/{id}/ket-qua?gop-y={n}#cau-{n}", n = position + 1))),
        Err(e) => render_result(&s, claims, id, None, Some(refused_report(position, e)?), false).await,
    }
}
