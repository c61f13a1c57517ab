//! One span per request, named by what was asked rather than who asked: the matched route's
//! template (`/bai-thi/{id}`), the method and the request id (`x-request-id`, set by the server
//! when the client sent none, and returned in the response); on completion the status and the
//! latency: at warn for a server error or an answer slower than a second, at info for a refusal
//! (4xx), at debug for the rest — a line per request at info cost a fifth of the throughput of
//! `scripts/bench` `full` (`CUOCTHI_LOG=info,cuocthi_web=debug` turns the access log on). Never
//! the address's query string, a header's value or a body: they may hold personal data.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tracing::Span;

/// The span of a request (for `TraceLayer::make_span_with`).
pub fn span<B>(req: &Request<B>) -> Span {
    let route = req.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str);
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    // At debug: a span per request recorded at info cost as much again as the line below. The
    // one error line (`log_causes`) carries the route and the request id itself.
    tracing::debug_span!("request", route, method = %req.method(), request_id = id)
}

/// An answer slower than this is logged as a warning whatever its status.
const SLOW: Duration = Duration::from_secs(1);

/// The line logged when the response is ready (for `TraceLayer::on_response`).
pub fn on_response<B>(resp: &Response<B>, latency: Duration, _: &Span) {
    let status = resp.status().as_u16();
    if resp.status().is_server_error() || latency >= SLOW {
        tracing::warn!(status, ?latency, "answered");
    } else if resp.status().is_client_error() {
        tracing::info!(status, ?latency, "answered");
    } else {
        tracing::debug!(status, ?latency, "answered");
    }
}
