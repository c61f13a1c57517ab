//! Server-rendered pages (Vietnamese first). Templates are askama: compiled, auto-escaped.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use cuocthi_engine::views::ContestSummary;

use crate::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/livez", get(|| async { "ok" }))
        .route("/admin", get(admin))
        .route("/static/app.css", get(css))
        .route("/static/attempt.js", get(js))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home {
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
    Ok(Home {
        sections: vec![
            section("Đang diễn ra", "Hiện chưa có cuộc thi nào đang mở.", "open"),
            section("Sắp diễn ra", "Chưa có cuộc thi nào sắp mở.", "upcoming"),
            section("Đã kết thúc", "Chưa có cuộc thi nào đã kết thúc.", "closed"),
        ],
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_signin.html")]
struct AdminSignin;

/// The organisers' console needs an account (created with `cuocthi admin create`).
async fn admin() -> impl IntoResponse {
    (StatusCode::UNAUTHORIZED, AdminSignin)
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../static/app.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../static/attempt.js"),
    )
}
