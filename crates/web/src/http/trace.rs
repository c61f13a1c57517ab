//! One span per request, named by what was asked rather than who asked: the matched route's
//! template (`/bai-thi/{id}`), the method and the request id (`x-request-id`, set by the server
//! when the client sent none, and returned in the response); on completion the status and the
//! latency, at info. Never the address's query string, a header's value or a body: they may hold
//! personal data.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tracing::Span;

/// The span of a request (for `TraceLayer::make_span_with`).
pub fn span<B>(req: &Request<B>) -> Span {
    let route = req.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str);
    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!("request", route, method = %req.method(), request_id = id)
}

/// The line logged when the response is ready (for `TraceLayer::on_response`).
pub fn on_response<B>(resp: &Response<B>, latency: Duration, _: &Span) {
    tracing::info!(status = resp.status().as_u16(), ?latency, "answered");
}
