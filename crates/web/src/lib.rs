//! The HTTP face of cuocthi: the versioned JSON API under `/api/v1` (documented at
//! `/api/openapi.json`), the health checks, and the server-rendered pages.

mod api;
mod error;
mod pages;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use cuocthi_engine::Engine;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
}

/// Largest request body: answers and registrations are tiny.
const BODY_LIMIT: usize = 64 * 1024;

/// The whole application as one router.
pub fn router(engine: Engine) -> Router {
    let state = AppState { engine };
    let (api, openapi) = api::routes().split_for_parts();
    let openapi_json = serde_json::to_string(&openapi).unwrap_or_else(|_| "{}".into());
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move {
                ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_json)
            }),
        )
        .merge(pages::routes())
        .fallback(error::not_found)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
}
