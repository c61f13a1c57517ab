//! The participant's path as plain HTML pages that work without JavaScript: the contest page
//! (`contest`), registration and identification (`register`), the attempt, one form with every
//! question, and its submission (`attempt`), and the result with the reports on questions
//! (`result`). Every page calls the same engine use cases as the JSON API. Uses `http`, `i18n`,
//! `cookies`, `session` and `markdown`; never the console or the API.

mod attempt;
mod contest;
mod dates;
mod privacy;
mod register;
mod result;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use cuocthi_domain::text;
use cuocthi_engine::EngineError;
use cuocthi_engine::token::Claims;

use crate::http::PageError;
use crate::{AppState, session};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cuoc-thi/{slug}", get(contest::contest_page))
        .route("/cuoc-thi/{slug}/dang-ky", get(register::register_form).post(register::register))
        .route("/cuoc-thi/{slug}/dang-nhap", get(register::identify_form).post(register::identify))
        .route("/cuoc-thi/{slug}/dang-xuat", post(contest::sign_out))
        .route("/cuoc-thi/{slug}/du-lieu-ca-nhan", get(privacy::form).post(privacy::show))
        .route("/cuoc-thi/{slug}/du-lieu-ca-nhan/tai-ve", post(privacy::download))
        .route("/cuoc-thi/{slug}/du-lieu-ca-nhan/sua", post(privacy::correction))
        .route("/cuoc-thi/{slug}/du-lieu-ca-nhan/xoa", post(privacy::erasure))
        .route("/cuoc-thi/{slug}/vao-thi/{round_id}", post(attempt::start))
        .route("/cuoc-thi/{slug}/tai-lieu/{id}", get(contest::material))
        .route("/cuoc-thi/{slug}/giao-dien.css", get(contest::brand_css))
        .route("/bai-thi/{id}", get(attempt::attempt_page))
        .route("/bai-thi/{id}/luu", post(attempt::save))
        .route("/bai-thi/{id}/nop", get(attempt::confirm_submit).post(attempt::submit))
        .route("/bai-thi/{id}/ket-qua", get(result::result_page))
        .route("/bai-thi/{id}/gop-y", post(result::report_from_result))
}

/// The session's participant, or a page asking to sign in again.
fn who(s: &AppState, headers: &HeaderMap) -> Result<Claims, PageError> {
    session::claims(&s.engine, headers).ok_or_else(|| EngineError::Unauthenticated.into())
}

fn count(n: i64) -> String {
    text::thousands(n)
}

const LETTERS: [&str; 8] = ["A", "B", "C", "D", "E", "F", "G", "H"];

/// `gop-y=3` in a page's query: question 3 was just reported.
fn sent_number(query: &str) -> Option<usize> {
    query.split('&').find_map(|kv| kv.strip_prefix("gop-y=")).and_then(|n| n.parse().ok()).filter(|n| *n > 0)
}

/// A report just refused: the question's position, why, and the status the page answers with.
type Refused = (usize, String, StatusCode);

/// A refused report is shown on the page it was sent from, next to its question; anything else
/// (someone else's attempt, the database down) is an error page.
fn refused_report(position: usize, e: EngineError) -> Result<Refused, EngineError> {
    match e {
        EngineError::BadRequest(_) | EngineError::Conflict(_) => {
            let status = crate::http::status_of(&e);
            Ok((position, e.to_string(), status))
        }
        e => Err(e),
    }
}
