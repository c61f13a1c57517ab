//! Server-rendered pages (Vietnamese first, English as a second language: see `i18n`). Templates are askama: compiled, auto-escaped.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use cuocthi_engine::views::ContestSummary;

use crate::AppState;
use crate::http::ApiError;
use crate::i18n::{self, Texts};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/livez", get(|| async { "ok" }))
        .route("/static/{name}", get(crate::assets::serve))
        .route("/favicon.ico", get(crate::assets::favicon))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home {
    t: &'static Texts,
    sections: Vec<Section>,
}

struct Section {
    heading: &'static str,
    empty: &'static str,
    contests: Vec<ContestSummary>,
}

/// The contests open now, upcoming and closed.
async fn home(State(s): State<AppState>) -> Result<Home, ApiError> {
    let all = s.engine.contests().await?;
    let section = |heading, empty, phase: &str| Section {
        heading,
        empty,
        contests: all.iter().filter(|c| c.phase == phase).cloned().collect(),
    };
    let t = i18n::t();
    Ok(Home {
        t,
        sections: vec![
            section(t.open_now, t.open_none, "open"),
            section(t.upcoming, t.upcoming_none, "upcoming"),
            section(t.closed, t.closed_none, "closed"),
        ],
    })
}
