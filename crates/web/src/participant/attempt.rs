//! The attempt: starting one, the page with every question (one form), saving it without
//! JavaScript, the confirmation before submitting, and the submission.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::review::Origin;
use cuocthi_engine::token::Claims;
use cuocthi_engine::views::AttemptView;

use super::{LETTERS, Refused, refused_report, sent_number, who};
use crate::cookies;
use crate::http::{Form, PageResult, Path, Peer, client_address, private, see_other};
use crate::i18n::{self, FeedbackTexts, Texts};
use crate::{AppState, session};

pub(super) async fn start(
    State(s): State<AppState>,
    Path((slug, round_id)): Path<(String, i64)>,
    Peer(peer): Peer,
    headers: HeaderMap,
) -> PageResult {
    let Some(claims) = session::claims(&s.engine, &headers) else {
        return Ok(see_other(&format!("/cuoc-thi/{slug}/dang-nhap")));
    };
    let _place = s.starts.enter()?;
    let (device, new_device) = session::device(&headers);
    let origin = Origin {
        address: client_address(&headers, peer, &s.config.trusted_proxies).parse().ok(),
        device: Some(device),
    };
    match s.engine.start_for_page(claims, round_id, &origin).await {
        Ok((id, _resumed)) => {
            let resp = see_other(&format!("/bai-thi/{id}"));
            Ok(match new_device {
                Some(c) => cookies::with(c, resp),
                None => resp,
            })
        }
        Err(
            e @ (EngineError::AttemptLimit(_)
            | EngineError::RoundNotOpen(_)
            | EngineError::RoundClosed(_)
            | EngineError::Ineligible(_)),
        ) => {
            let status = crate::http::status_of(&e);
            super::contest::render_contest(&s, &slug, &headers, peer, Some(e.to_string()), status).await
        }
        Err(e) => Err(e.into()),
    }
}

struct OptionRow {
    index: usize,
    letter: &'static str,
    text: String,
    checked: bool,
}

struct QuestionRow {
    position: usize,
    number: usize,
    stem: String,
    options: Vec<OptionRow>,
    answered: bool,
    /// The person has reported a problem with this question already.
    reported: bool,
    /// Why a report on this question was just refused.
    feedback_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "attempt.html")]
struct AttemptPage {
    t: &'static Texts,
    id: i64,
    slug: String,
    contest_title: String,
    seq: i64,
    total: usize,
    answered: usize,
    remaining_ms: i64,
    remaining_text: String,
    clock: String,
    deadline: String,
    questions: Vec<QuestionRow>,
    tiebreak_prompt: Option<String>,
    prediction: String,
    error: Option<String>,
    /// One question per screen (with JavaScript) rather than all of them on one page.
    one_per_screen: bool,
    f: &'static FeedbackTexts,
    /// "Your report was sent", after one.
    notice: Option<String>,
}

/// The attempt page's layout, remembered in a cookie ([`cookies::MODE`]): `tung-cau` (one question
/// per screen, the script pages through the form) or `tat-ca` (all on one page, the default).
fn one_per_screen(headers: &HeaderMap) -> bool {
    cookies::MODE.read(headers).as_deref() == Some("tung-cau")
}

fn clock_text(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{:02}:{:02}", s / 60, s % 60)
}

fn attempt_page_of(
    a: AttemptView,
    slug: String,
    contest_title: String,
    error: Option<String>,
    one_per_screen: bool,
) -> AttemptPage {
    let total = a.questions.len();
    let t = i18n::t();
    AttemptPage {
        t,
        id: a.id,
        slug,
        contest_title,
        seq: a.seq,
        total,
        answered: a.answered,
        remaining_ms: a.remaining_to_end_ms,
        remaining_text: (t.duration)(a.remaining_to_end_ms),
        clock: clock_text(a.remaining_to_end_ms),
        deadline: (t.at_seconds)(a.ends_at),
        questions: a
            .questions
            .into_iter()
            .map(|q| QuestionRow {
                position: q.position,
                number: q.position + 1,
                stem: q.stem,
                answered: q.answer.is_some(),
                reported: false,
                feedback_error: None,
                options: q
                    .options
                    .into_iter()
                    .enumerate()
                    .map(|(i, text)| OptionRow {
                        index: i,
                        letter: LETTERS.get(i).copied().unwrap_or(""),
                        text,
                        checked: q.answer == u8::try_from(i).ok(),
                    })
                    .collect(),
            })
            .collect(),
        tiebreak_prompt: a.tiebreak_prompt,
        prediction: a.prediction.map(text::thousands).unwrap_or_default(),
        error,
        one_per_screen,
        f: FeedbackTexts::of(i18n::t()),
        notice: None,
    }
}

pub(super) async fn attempt_page(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    // `?che-do=…` switches the layout: remembered, then the plain address again.
    if let Some(mode) = q.as_deref().and_then(|q| q.strip_prefix("che-do="))
        && matches!(mode, "tung-cau" | "tat-ca")
    {
        return Ok(cookies::with(cookies::MODE.set(mode, &headers), see_other(&format!("/bai-thi/{id}"))));
    }
    let claims = who(&s, &headers)?;
    let error = (q.as_deref() == Some("loi=du-doan")).then(|| i18n::t().bad_prediction.to_string());
    let sent = q.as_deref().and_then(sent_number);
    attempt_with_feedback(&s, claims, id, &headers, error, sent, None).await
}

/// The attempt page with the person's reports on its questions: a question already reported
/// says so instead of offering the form again; `sent` is the number of the question just
/// reported, `refused` a report just refused (position, why).
async fn attempt_with_feedback(
    s: &AppState,
    claims: Claims,
    id: i64,
    headers: &HeaderMap,
    error: Option<String>,
    sent: Option<usize>,
    refused: Option<Refused>,
) -> PageResult {
    let a = s.engine.attempt(claims, id).await?;
    if a.status != "open" {
        return Ok(see_other(&format!("/bai-thi/{id}/ket-qua")));
    }
    let me = s.engine.me(claims).await?;
    let c = s.engine.contest(&me.contest_slug).await?;
    let fb = s.engine.attempt_feedback(claims, id).await?;
    let mut page = attempt_page_of(a, c.slug, c.title, error, one_per_screen(headers));
    for q in &mut page.questions {
        q.reported = fb.report_at(q.position).is_some();
    }
    page.notice = sent.map(|n| (page.f.sent_notice)(&n));
    let status = match refused {
        Some((position, why, status)) => {
            match page.questions.iter_mut().find(|q| q.position == position) {
                Some(q) => q.feedback_error = Some(why),
                None => page.error = Some(why),
            }
            status
        }
        None => StatusCode::OK,
    };
    Ok(private((status, page)))
}

/// Reads a prediction as people type it: `12.500`, `12 500` or `12500`.
fn parse_prediction(s: &str) -> Option<i64> {
    let digits: String = s.chars().filter(|c| !matches!(c, '.' | ' ' | ',' | '\u{a0}')).collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The form without JavaScript: every answer and the prediction at once. Saves what changed,
/// then shows the attempt again, or goes on to submission.
pub(super) async fn save(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let claims = who(&s, &headers)?;
    // Posted by the page's clock at zero: the result says the time ran out.
    let done = match form.get("het_gio").map(String::as_str) {
        Some("1") => format!("/bai-thi/{id}/ket-qua?{}", super::result::TIME_UP),
        _ => format!("/bai-thi/{id}/ket-qua"),
    };
    let a = s.engine.attempt(claims, id).await?;
    if a.status != "open" {
        return Ok(see_other(&done));
    }
    let closed = |e: &EngineError| matches!(e, EngineError::AttemptSubmitted | EngineError::PastDeadline);
    for q in &a.questions {
        let Some(choice) = form.get(&format!("q{}", q.position)).and_then(|v| v.parse::<u8>().ok()) else {
            continue;
        };
        if q.answer == Some(choice) {
            continue;
        }
        match s.engine.save_answer(claims, id, q.position, Some(choice)).await {
            Ok(_) => {}
            Err(e) if closed(&e) => return Ok(see_other(&done)),
            Err(e) => return Err(e.into()),
        }
    }
    let mut bad_prediction = false;
    if let Some(raw) = form.get("du_doan").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match parse_prediction(raw) {
            Some(p) if Some(p) != a.prediction => match s.engine.save_prediction(claims, id, p).await {
                Ok(()) => {}
                Err(e) if closed(&e) => return Ok(see_other(&done)),
                Err(EngineError::BadRequest(_)) => bad_prediction = true,
                Err(e) => return Err(e.into()),
            },
            Some(_) => {}
            None => bad_prediction = true,
        }
    }
    if bad_prediction {
        return Ok(see_other(&format!("/bai-thi/{id}?loi=du-doan#du-doan")));
    }
    // "Gửi góp ý" under a question: the answers above are saved first, so a page without
    // JavaScript loses nothing by sending a report.
    if let Some(position) =
        form.get("action").and_then(|a| a.strip_prefix("gop-y-")).and_then(|p| p.parse::<usize>().ok())
    {
        let message = form.get(&format!("gop_y_{position}")).map(String::as_str).unwrap_or_default();
        return match s.engine.report_question(claims, id, position, message).await {
            Ok(()) => Ok(see_other(&format!("/bai-thi/{id}?gop-y={n}#cau-{n}", n = position + 1))),
            Err(e) => {
                let refused = refused_report(position, e)?;
                attempt_with_feedback(&s, claims, id, &headers, None, None, Some(refused)).await
            }
        };
    }
    if form.get("action").map(String::as_str) == Some("nop") {
        if form.get("xac_nhan").map(String::as_str) == Some("1") {
            s.engine.submit(claims, id, None).await?;
            return Ok(see_other(&done));
        }
        return Ok(see_other(&format!("/bai-thi/{id}/nop")));
    }
    Ok(see_other(&format!("/bai-thi/{id}#luu")))
}

#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    t: &'static Texts,
    id: i64,
    total: usize,
    unanswered: Vec<usize>,
    remaining_text: String,
}

/// Before submitting without JavaScript: the number of questions left unanswered.
pub(super) async fn confirm_submit(State(s): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> PageResult {
    let claims = who(&s, &headers)?;
    let a = s.engine.attempt(claims, id).await?;
    if a.status != "open" {
        return Ok(see_other(&format!("/bai-thi/{id}/ket-qua")));
    }
    let t = i18n::t();
    Ok(private(ConfirmPage {
        t,
        id,
        total: a.questions.len(),
        unanswered: a.questions.iter().filter(|q| q.answer.is_none()).map(|q| q.position + 1).collect(),
        remaining_text: (t.duration)(a.remaining_to_end_ms),
    }))
}

pub(super) async fn submit(State(s): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> PageResult {
    let claims = who(&s, &headers)?;
    s.engine.submit(claims, id, None).await?;
    Ok(see_other(&format!("/bai-thi/{id}/ket-qua")))
}
