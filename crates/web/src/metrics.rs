//! `/metrics` (số liệu vận hành): the server's figures in Prometheus's text format, for the peak
//! day's dashboard and alerts (`deploy/grafana`, `deploy/prometheus`, docs/OPERATIONS.md).
//!
//! The figures are recorded through the `metrics` facade and rendered by
//! `metrics-exporter-prometheus`'s recorder, installed once per process and only when the
//! deployment asks for metrics (`--metrics-listen` or `--metrics-token`): without it every
//! `metrics::…!` call in the store and here is a no-op. The exporter's own HTTP listener is not
//! used: the text is served here, either on a separate address (bound to loopback or a private
//! network) or on the public one behind a bearer token, compared in constant time. The public port
//! never serves it without a token.
//!
//! What is recorded where:
//! - requests by route *template* (the matched path, never the address asked for: it would hold
//!   ids and be unbounded), method and status, with a latency histogram; requests in flight;
//!   requests refused by load shedding (here, [`track`] and [`shed`]);
//! - group-commit batch sizes, commit latency and failed commits (`cuocthi-store`'s SQLite writer
//!   and PostgreSQL writer);
//! - the background tasks' last success and duration ([`task_done`], called by the server's loop),
//!   store pool use ([`pool_use`]), the scheduled backups' result ([`backup_done`]);
//! - read at each scrape: attempts started, submitted and open per contest (the live statistics'
//!   counters, a few rows per contest), the age of the newest backup in the backup folder, and how
//!   long ago each background task last succeeded.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;

/// Latency buckets (seconds): from a point read to the 30 s request timeout.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Group-commit batch sizes: powers of two up to the PostgreSQL writer's 1,024.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
/// How often the recorder's histograms are drained when nobody scrapes (they grow until then).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The Prometheus `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Where and how `/metrics` is served (`serve --metrics-listen`, `--metrics-token`).
#[derive(Clone, Debug, Default)]
pub struct MetricsConfig {
    /// Whether metrics are recorded at all (a listen address or a token was given).
    pub enabled: bool,
    /// Served on a separate listener (`--metrics-listen`): then never on the public port.
    pub separate_listener: bool,
    /// The bearer token a scraper must send (`Authorization: Bearer …`); required on the public
    /// port, optional on the separate one.
    pub token: Option<String>,
}

impl MetricsConfig {
    /// Whether the public router answers `/metrics`: only with a token, and only when there is no
    /// separate listener for it.
    pub fn on_public_port(&self) -> bool {
        self.enabled && !self.separate_listener && self.token.is_some()
    }
}

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's recorder, installed on the first call. `None` if another recorder was installed
/// first (then nothing is recorded through this module, and `/metrics` answers 503).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full("cuocthi_group_commit_batch_size".into()), BATCH_BUCKETS)
                })
                .and_then(PrometheusBuilder::install_recorder);
            match built {
                Ok(handle) => {
                    describe();
                    let upkeep = handle.clone();
                    let started = std::thread::Builder::new().name("cuocthi-metrics-upkeep".into()).spawn(move || {
                        loop {
                            std::thread::sleep(UPKEEP_EVERY);
                            upkeep.run_upkeep();
                        }
                    });
                    if let Err(e) = started {
                        tracing::warn!(error = %e, "the metrics upkeep thread did not start");
                    }
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the metrics recorder could not be installed");
                    None
                }
            }
        })
        .as_ref()
}

/// The help text of each series (`# HELP`).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("cuocthi_http_requests_total", "HTTP requests answered, by route template, method and status");
    describe_histogram!(
        "cuocthi_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (headers ready), by route template, method and status"
    );
    describe_gauge!("cuocthi_http_requests_in_flight", "HTTP requests being answered now");
    describe_gauge!("cuocthi_http_connections_open", "Client connections open now (one open file each)");
    describe_counter!(
        "cuocthi_http_connections_closed_total",
        "Client connections closed by the server, by reason (header_timeout, idle_timeout, room_needed)"
    );
    describe_counter!(
        "cuocthi_http_load_shed_total",
        "Requests refused at once with 503 because too many were in flight"
    );
    describe_histogram!("cuocthi_group_commit_batch_size", "Writes committed together by the group commit, by store");
    describe_histogram!(
        "cuocthi_group_commit_seconds",
        metrics::Unit::Seconds,
        "Time to run and commit one group-commit batch, by store"
    );
    describe_counter!("cuocthi_group_commit_failures_total", "Group-commit batches that failed (none acknowledged)");
    describe_gauge!(
        "cuocthi_store_pool_connections",
        "Connections of a store pool, by pool and state (busy, idle, max)"
    );
    describe_gauge!("cuocthi_attempts_started", "Attempts started, per contest (live statistics counters)");
    describe_gauge!("cuocthi_attempts_submitted", "Attempts submitted, per contest (live statistics counters)");
    describe_gauge!("cuocthi_attempts_open", "Attempts started and not yet submitted, per contest");
    describe_gauge!("cuocthi_participants_started", "People who started at least one attempt, per contest");
    describe_histogram!(
        "cuocthi_background_run_seconds",
        metrics::Unit::Seconds,
        "Time of one run of a background task (sweeper, statistics, sealing)"
    );
    describe_counter!("cuocthi_background_items_total", "Items handled by a background task");
    describe_counter!("cuocthi_background_failures_total", "Failed runs of a background task");
    describe_gauge!("cuocthi_background_lag_seconds", "Seconds since a background task last succeeded");
    describe_gauge!("cuocthi_backup_schedule_seconds", "The interval of the scheduled backups");
    describe_gauge!("cuocthi_backup_newest_age_seconds", "Age of the newest backup file in the backup folder");
    describe_gauge!("cuocthi_backup_last_success", "1 if the last scheduled backup succeeded, 0 if it failed");
    describe_gauge!(
        "cuocthi_backup_last_success_timestamp_seconds",
        "When the last scheduled backup succeeded (Unix time)"
    );
    describe_histogram!("cuocthi_backup_duration_seconds", metrics::Unit::Seconds, "Time to make one scheduled backup");
    describe_gauge!("cuocthi_backup_bytes", "Size of the last scheduled backup's image");
}

/// Counts a request refused by load shedding (the 503 of `http::overloaded`).
pub fn shed() {
    metrics::counter!("cuocthi_http_load_shed_total").increment(1);
}

/// Decrements the in-flight gauge however the request ends (answered, or dropped by the client).
struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("cuocthi_http_requests_in_flight").decrement(1.0);
    }
}

/// The middleware that counts every request by its route template and status, with its latency
/// (`State` is whether metrics are on: off, it costs one branch).
pub async fn track(State(on): State<bool>, req: Request, next: Next) -> Response {
    if !on {
        return next.run(req).await;
    }
    // The template (`/api/v1/attempts/{attempt_id}`), never the path asked for.
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_string();
    let method = req.method().as_str().to_string();
    metrics::gauge!("cuocthi_http_requests_in_flight").increment(1.0);
    let guard = InFlight;
    let started = Instant::now();
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    drop(guard);
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("cuocthi_http_requests_total", &labels).increment(1);
    metrics::histogram!("cuocthi_http_request_duration_seconds", &labels).record(elapsed);
    response
}

/// When each background task last succeeded.
fn last_success() -> &'static Mutex<HashMap<&'static str, Instant>> {
    static LAST: OnceLock<Mutex<HashMap<&'static str, Instant>>> = OnceLock::new();
    LAST.get_or_init(Mutex::default)
}

/// Records one run of a background task (`sweeper`, `statistics`, `sealing`, `throttle_cleanup`):
/// how long it took, how many items it handled, whether it failed. `/metrics` shows each task's
/// lag, the time since its last success, so that a task that stops or keeps failing is seen.
pub fn task_done(task: &'static str, took: Duration, outcome: Result<usize, ()>) {
    metrics::histogram!("cuocthi_background_run_seconds", "task" => task).record(took);
    match outcome {
        Ok(items) => {
            metrics::counter!("cuocthi_background_items_total", "task" => task)
                .increment(u64::try_from(items).unwrap_or(u64::MAX));
            last_success().lock().unwrap_or_else(|e| e.into_inner()).insert(task, Instant::now());
        }
        Err(()) => metrics::counter!("cuocthi_background_failures_total", "task" => task).increment(1),
    }
}

/// Records the use of the store's pools (called every few seconds by the server).
pub fn pool_use(pools: &[cuocthi_store::PoolUse]) {
    for p in pools {
        let busy = p.open.saturating_sub(u32::try_from(p.idle).unwrap_or(u32::MAX));
        metrics::gauge!("cuocthi_store_pool_connections", "pool" => p.pool, "state" => "busy").set(busy);
        metrics::gauge!("cuocthi_store_pool_connections", "pool" => p.pool, "state" => "idle")
            .set(u32::try_from(p.idle).unwrap_or(u32::MAX));
        metrics::gauge!("cuocthi_store_pool_connections", "pool" => p.pool, "state" => "max").set(p.max);
    }
}

/// Records the outcome of a scheduled backup: its time and the image's size, or a failure.
pub fn backup_done(took: Duration, bytes: Option<u64>) {
    metrics::histogram!("cuocthi_backup_duration_seconds").record(took);
    match bytes {
        Some(bytes) => {
            metrics::gauge!("cuocthi_backup_last_success").set(1.0);
            #[allow(clippy::cast_precision_loss)] // a size in bytes, far below 2^53
            metrics::gauge!("cuocthi_backup_bytes").set(bytes as f64);
            #[allow(clippy::cast_precision_loss)] // seconds since 1970
            metrics::gauge!("cuocthi_backup_last_success_timestamp_seconds").set(chrono::Utc::now().timestamp() as f64);
        }
        None => metrics::gauge!("cuocthi_backup_last_success").set(0.0),
    }
}

/// Whether the request carries the configured token (SHA-256 of both sides compared in constant
/// time, so neither the token's bytes nor its length leak through timing).
fn authorised(headers: &HeaderMap, token: Option<&str>) -> bool {
    let Some(token) = token else { return true };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let (a, b) = (Sha256::digest(sent.as_bytes()), Sha256::digest(token.as_bytes()));
    !sent.is_empty() && bool::from(a.as_slice().ct_eq(b.as_slice()))
}

/// `GET /metrics`: the figures, after refreshing those read at scrape time.
pub async fn serve(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if !authorised(&headers, s.config.metrics.token.as_deref()) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "").into_response();
    }
    let Some(handle) = install() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable").into_response();
    };
    refresh(&s).await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE), (header::CACHE_CONTROL, "no-store")], handle.render()).into_response()
}

/// The router of a separate metrics listener (`--metrics-listen`): `/metrics` alone, behind the
/// token if one is configured. Installs the recorder.
pub fn router(engine: cuocthi_engine::Engine, config: crate::WebConfig) -> axum::Router {
    install();
    // No route here starts an attempt: a gate with no place.
    let starts = crate::http::StartGate::new(0);
    let state = AppState(std::sync::Arc::new(crate::Shared { engine, config, imports: Default::default(), starts }));
    axum::Router::new().route("/metrics", axum::routing::get(serve)).with_state(state)
}

/// The figures read at scrape time.
async fn refresh(s: &AppState) {
    match s.engine.contests().await {
        Ok(contests) => {
            for c in contests {
                let Ok(live) = s.engine.live_counts(&c.slug).await else { continue };
                #[allow(clippy::cast_precision_loss)] // counts far below 2^53
                {
                    let slug = c.slug;
                    metrics::gauge!("cuocthi_attempts_started", "contest" => slug.clone()).set(live.attempts as f64);
                    metrics::gauge!("cuocthi_attempts_submitted", "contest" => slug.clone()).set(live.completed as f64);
                    metrics::gauge!("cuocthi_attempts_open", "contest" => slug.clone())
                        .set((live.attempts - live.completed).max(0) as f64);
                    metrics::gauge!("cuocthi_participants_started", "contest" => slug).set(live.people as f64);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the contests could not be read"),
    }
    let lags: Vec<(&'static str, Duration)> =
        last_success().lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(t, at)| (*t, at.elapsed())).collect();
    for (task, lag) in lags {
        metrics::gauge!("cuocthi_background_lag_seconds", "task" => task).set(lag.as_secs_f64());
    }
    if let Some(place) = &s.config.backups {
        metrics::gauge!("cuocthi_backup_schedule_seconds").set(place.every.as_secs_f64());
        let dir = place.dir.clone();
        let newest = tokio::task::spawn_blocking(move || crate::admin::newest_backup_age(&dir)).await.ok().flatten();
        if let Some(age) = newest {
            metrics::gauge!("cuocthi_backup_newest_age_seconds").set(age.as_secs_f64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_must_match_exactly() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().expect("a header value"));
            h
        };
        assert!(authorised(&HeaderMap::new(), None));
        assert!(!authorised(&HeaderMap::new(), Some("bi-mat-dai")));
        assert!(authorised(&with("Bearer bi-mat-dai"), Some("bi-mat-dai")));
        for wrong in ["Bearer bi-mat", "Bearer bi-mat-dai ", "bi-mat-dai", "Basic bi-mat-dai", "Bearer "] {
            assert!(!authorised(&with(wrong), Some("bi-mat-dai")), "{wrong}");
        }
        assert!(MetricsConfig { enabled: true, separate_listener: false, token: Some("x".into()) }.on_public_port());
        assert!(!MetricsConfig { enabled: true, separate_listener: false, token: None }.on_public_port());
        assert!(!MetricsConfig { enabled: true, separate_listener: true, token: Some("x".into()) }.on_public_port());
    }
}
