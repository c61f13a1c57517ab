//! The HTTP face of cuocthi: the versioned JSON API under `/api/v1` (documented at
//! `/api/openapi.json`), the health checks, and the server-rendered pages.

mod admin;
mod api;
pub mod assets;
mod certificates;
mod charts;
mod cookies;
mod http;
pub mod i18n;
mod markdown;
pub mod metrics;
mod pages;
mod participant;
mod results;
mod session;
mod stage;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderName, HeaderValue, header};
use cuocthi_engine::Engine;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{BoxError, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

pub use admin::BackupPlace;
pub use http::{ApiError, TrustedProxy, UPLOAD_ROUTES};

/// What every handler shares. Behind one `Arc`: axum clones the state for every request, and
/// cloning the engine's handles one by one showed in the profile of the participant's path.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The contents of [`AppState`].
pub struct Shared {
    pub engine: Engine,
    pub config: WebConfig,
    /// Question files being read for the console, in this process (see `admin::import_jobs`).
    pub imports: Arc<admin::ImportJobs>,
    /// Starts in progress in this process, against `Limits::max_starts`.
    pub starts: http::StartGate,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The path of every console route, from the one table the console's router is built from (for
/// the tests that try each against every role).
#[doc(hidden)]
pub fn console_route_paths() -> Vec<&'static str> {
    admin::paths()
}

/// No inline script or style, nothing from another origin; framing by the same site only.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'self'";

/// [`CSP`] with the configured portals allowed to frame the pages too.
pub fn csp(frame_ancestors: &[String]) -> String {
    let mut csp = String::from(CSP);
    for origin in frame_ancestors {
        csp.push(' ');
        csp.push_str(origin);
    }
    csp
}

/// What the deployment says about the site's place on the web.
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// Origins allowed to show the pages in a frame (`https://congthongtin.example.vn`), besides
    /// the site itself. None by default.
    pub frame_ancestors: Vec<String>,
    /// The site's public address (`https://thi.example.vn`), for share links, embedding snippets
    /// and what is printed (a certificate's QR code). Without it, links are built from the
    /// request's `Host` (or a trusted proxy's `X-Forwarded-Host` and `-Proto`), and printing does
    /// the same with a warning in the log.
    pub public_url: Option<String>,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For`, `-Proto` and `-Host`
    /// are believed: the client's address (throttling, the judges' review) and the public
    /// address. None by default: the connection's peer is the client.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Which staff accounts need an authenticator app before anything else in the console.
    pub second_factor: SecondFactor,
    /// Whether `/metrics` is recorded and where it is served (see [`metrics`]).
    pub metrics: metrics::MetricsConfig,
    /// The server's scheduled backups (`--backup-dir`), listed for system administrators at
    /// `/admin/sao-luu` and watched by `/metrics`. None without a backup folder.
    pub backups: Option<BackupPlace>,
}

/// Which staff accounts must sign in with a code from an authenticator app (TOTP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecondFactor {
    /// Every account: every role on a contest reads participants' personal data or can change
    /// results, and a password alone is too easily guessed, reused or phished. An account without
    /// an authenticator yet is let in only to set one up.
    #[default]
    EveryAccount,
    /// System administrators only; the other accounts sign in with a password alone. For a demo
    /// only: `cuocthi serve` accepts it only with `--demo`.
    AdministratorsOnly,
}

impl SecondFactor {
    /// Whether an account (a system administrator or not) may use the console only once an
    /// authenticator app is set up.
    pub fn required(self, system_admin: bool) -> bool {
        self == SecondFactor::EveryAccount || system_admin
    }
}

impl WebConfig {
    /// Reads one trusted proxy: an address (`127.0.0.1`) or a CIDR range (`10.0.0.0/8`).
    pub fn parse_proxy(s: &str) -> Result<TrustedProxy, String> {
        s.parse()
    }

    /// Reads a space-separated list of origins (`https://a.vn https://*.b.gov.vn`), refusing
    /// anything that is not a plain http(s) origin, so nothing can be slipped into the CSP.
    pub fn parse_origins(list: &str) -> Result<Vec<String>, String> {
        list.split_whitespace()
            .map(|o| {
                if cuocthi_domain::contest::is_origin(o) {
                    Ok(o.to_string())
                } else {
                    Err(format!("không phải một nguồn (origin) hợp lệ: {o}"))
                }
            })
            .collect()
    }
}

/// A client must send its body within this time (slow-body clients are cut off).
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// How much the server takes on at once.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Requests in flight beyond which new ones are refused at once with 503 and `Retry-After`,
    /// rather than queueing until every request times out.
    pub max_in_flight: usize,
    /// Starts in progress beyond which a new one is refused at once with 503 and `Retry-After`
    /// (`http::StartGate`): about what the server starts in a second.
    pub max_starts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_in_flight: 4096, max_starts: 2000 }
    }
}

/// The whole application as one router, with the default limits.
pub fn router(engine: Engine) -> Router {
    router_with(engine, Limits::default(), WebConfig::default())
}

/// The whole application as one router.
pub fn router_with(engine: Engine, limits: Limits, config: WebConfig) -> Router {
    let csp = HeaderValue::from_str(&csp(&config.frame_ancestors)).unwrap_or_else(|_| {
        tracing::warn!("the frame ancestors cannot go in a header: framing by the site only");
        HeaderValue::from_static(CSP)
    });
    assets::init();
    let metrics_on = config.metrics.enabled && metrics::install().is_some();
    let metrics_public = config.metrics.on_public_port();
    let starts = http::StartGate::new(limits.max_starts);
    let state = AppState(Arc::new(Shared { engine, config, imports: Arc::default(), starts }));
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
        .merge(participant::routes())
        .merge(results::routes())
        .merge(admin::routes())
        .merge(stage::routes())
        .merge(if metrics_public {
            Router::new().route("/metrics", axum::routing::get(metrics::serve))
        } else {
            Router::new()
        })
        // Each route reads its body only as far as its own limit (`http::limits`); axum's
        // extractors are allowed the largest, so that the route's limit is the one that answers.
        .route_layer(axum::middleware::from_fn(http::limit_body))
        .layer(axum::extract::DefaultBodyLimit::max(http::UPLOAD_LIMIT))
        .fallback(http::not_found)
        .with_state(state.clone())
        // Every middleware in one stack given to one `Router::layer`: axum wraps each route in
        // what each `layer` call gives and boxes it, so seventeen calls cloned and boxed seventeen
        // services per request; one call boxes once. Still inside the router, so that the span,
        // the metrics and the logged causes see the matched route. Outermost first.
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(PropagateRequestIdLayer::x_request_id())
                // One span per request, by route (never the query string); the request id set
                // before it and returned with the response.
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(http::trace::span::<axum::body::Body>)
                        .on_request(())
                        .on_response(http::trace::on_response::<axum::body::Body>)
                        .on_failure(()),
                )
                // Requests by route template and status, their latency, those in flight (`/metrics`).
                .layer(axum::middleware::from_fn_with_state(metrics_on, metrics::track))
                // The cause of an error response, logged once with its route and request id.
                .layer(axum::middleware::from_fn(http::log_causes))
                .layer(CatchPanicLayer::custom(http::panic_response))
                .layer(HandleErrorLayer::new(|_: BoxError| async {
                    metrics::shed();
                    http::overloaded()
                }))
                .load_shed()
                // One semaphore for the whole server: axum applies a router's layer to each route
                // separately, and `concurrency_limit` would make a limit per route.
                .layer(GlobalConcurrencyLimitLayer::new(limits.max_in_flight))
                .layer(RequestBodyTimeoutLayer::new(BODY_READ_TIMEOUT))
                .layer(SetResponseHeaderLayer::if_not_present(
                    HeaderName::from_static("referrer-policy"),
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp))
                .layer(SetResponseHeaderLayer::if_not_present(
                    HeaderName::from_static("x-content-type-options"),
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(30),
                ))
                .layer(CompressionLayer::new())
                // Cross-site form posts and API writes are refused (Sec-Fetch-Site / Origin checks).
                .layer(CsrfLayer::new().with_rejection_response(http::cross_site))
                // The middleware below take axum's own body type.
                .map_request(|req: axum::http::Request<_>| req.map(axum::body::Body::new))
                // Before anything sets a cookie or builds a link: the scheme is the deployment's word.
                .layer(axum::middleware::from_fn_with_state(state, http::settle_scheme))
                .layer(axum::middleware::from_fn(i18n::middleware)),
        )
}
