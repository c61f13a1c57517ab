//! The server process: its settings (`ServeArgs`, also the keys of the configuration file), tracing,
//! the HTTP listener with read timeouts, the metrics listener, the deadline sweeper and the other
//! background tasks, and a graceful stop on Ctrl-C / SIGTERM.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use cuocthi_engine::Engine;
use cuocthi_store::{SqlStore, Store};
use cuocthi_web::metrics::{MetricsConfig, task_done};

use crate::connections::{Connections, Settings};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// How often open attempts past their deadline are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// Submissions are sealed into the audit chain every 30 seconds (see `cuocthi_engine` `seal`).
const SEAL_EVERY_SWEEPS: u64 = 15;
/// Throttle rows of quiet keys are deleted hourly (1,800 sweeps of 2 s): a small table scan.
const FORGET_EVERY_SWEEPS: u64 = 1_800;

/// How often the store's pool use is recorded for `/metrics`.
const POOL_EVERY: Duration = Duration::from_secs(5);
/// How often PostgreSQL's `attempts` is checked for having doubled since its last analysis.
const ANALYSE_EVERY: Duration = Duration::from_secs(2);
/// The shortest metrics token accepted: a scraper's secret, not a password a person types.
const MIN_TOKEN_CHARS: usize = 16;

/// Every option of `cuocthi serve`. Each is also a key of the configuration file (its table's
/// name and the key: `[backup] dir` is `--backup-dir`) and an environment variable
/// (`CUOCTHI_BACKUP_DIR`); see `config` and deploy/cuocthi.toml.example.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CUOCTHI_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Load the demo contests first if they are absent.
    #[arg(long, env = "CUOCTHI_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,
    /// Portal origins allowed to show the pages in a frame, space-separated
    /// (`https://congthongtin.example.vn https://*.tinh.gov.vn`); none by default.
    #[arg(long, env = "CUOCTHI_FRAME_ANCESTORS", default_value = "")]
    pub frame_ancestors: String,
    /// The site's public address (`https://thi.example.vn`), for share links, embedding
    /// snippets and what is printed, such as certificates' QR codes. Required, except with
    /// `--demo`, where it defaults to the address the server listens on.
    #[arg(long, env = "CUOCTHI_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Reverse proxies whose X-Forwarded-For, -Proto and -Host are believed, comma-separated
    /// addresses or CIDR ranges (`127.0.0.1,10.0.0.0/8`); none by default.
    #[arg(long, env = "CUOCTHI_TRUSTED_PROXIES", value_delimiter = ',', value_parser = proxy)]
    pub trusted_proxies: Vec<String>,
    /// Requests in flight beyond which new ones are refused at once with 503 and Retry-After.
    #[arg(long, env = "CUOCTHI_MAX_IN_FLIGHT", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,
    /// Starts of attempts in progress beyond which a new one is refused at once with 503 and
    /// Retry-After (a herd at a round's opening): about what the node starts in a second.
    #[arg(long, env = "CUOCTHI_MAX_STARTS", default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_starts: u32,
    /// Seconds a connection that has answered may wait for its next request (a phone thinking
    /// over a question keeps its connection). A request's headers must still arrive within 10 s.
    /// At least 20: the stage's event streams send a keep-alive every 15 s.
    #[arg(long, env = "CUOCTHI_IDLE_TIMEOUT", default_value_t = 120, value_parser = clap::value_parser!(u32).range(20..=3600))]
    pub idle_timeout: u32,
    /// Open connections beyond which the longest-idle are closed to make room. By default the
    /// open-file limit (raised to its hard limit, `LimitNOFILE=`) less 1,024 for the store.
    #[arg(long, env = "CUOCTHI_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// For a demo only (refused without `--demo`): staff other than system administrators
    /// sign in with a password alone, without an authenticator app.
    #[arg(long, env = "CUOCTHI_WITHOUT_SECOND_FACTOR", requires = "demo", value_parser = clap::builder::BoolishValueParser::new())]
    pub without_second_factor: bool,
    /// Take backups from the server itself into this folder (none without it).
    #[arg(long, env = "CUOCTHI_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How often a scheduled backup is taken: `30m`, `6h`, `1d`.
    #[arg(long, env = "CUOCTHI_BACKUP_EVERY", default_value = "6h", value_parser = crate::backup::parse_every)]
    pub backup_every: Duration,
    /// How many scheduled backups are kept; the oldest beyond this are deleted.
    #[arg(long, env = "CUOCTHI_BACKUP_KEEP", default_value_t = 14, value_parser = clap::value_parser!(u16).range(1..))]
    pub backup_keep: u16,
    /// Serve `/metrics` (Prometheus) on this separate address, such as `127.0.0.1:9464`, and
    /// never on the public one. Bind it to loopback or a private network.
    #[arg(long, env = "CUOCTHI_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// The bearer token a scraper must send for `/metrics`. Without `--metrics-listen`, the
    /// public port serves `/metrics` with this token (and never without one).
    #[arg(long, env = "CUOCTHI_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

impl ServeArgs {
    /// Refuses settings that cannot work before the store is opened (and created, for SQLite).
    pub fn check(&self) -> Result<()> {
        if let Some(token) = &self.metrics_token {
            anyhow::ensure!(
                token.chars().count() >= MIN_TOKEN_CHARS && !token.chars().any(char::is_whitespace),
                "--metrics-token (CUOCTHI_METRICS_TOKEN) phải dài ít nhất {MIN_TOKEN_CHARS} ký tự, không có khoảng trắng"
            );
        }
        cuocthi_web::WebConfig::parse_origins(&self.frame_ancestors)
            .map_err(|e| anyhow::anyhow!("CUOCTHI_FRAME_ANCESTORS: {e}"))?;
        Ok(())
    }
}

/// A trusted proxy as written (checked here, read again by the web layer), so that `config show`
/// prints it back as given.
fn proxy(s: &str) -> Result<String, String> {
    cuocthi_web::WebConfig::parse_proxy(s).map(|_| s.trim().to_string())
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line (for a log collector): the event's fields flattened, with the
    /// request's span (route, method, request id) when it is recorded.
    Json,
}

pub fn init_tracing(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("CUOCTHI_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => {
            builder.json().flatten_event(true).with_current_span(true).with_span_list(false).init();
        }
        LogFormat::Text => builder.init(),
    }
}

/// The settings `serve` would run with, as a configuration file (the metrics token hidden).
pub fn show(args: &ServeArgs, database_url: &str, log: LogFormat, file: Option<&Path>) -> String {
    use crate::config::{BackupKeys, ConfigFile, DatabaseKeys, LogKeys, MetricsKeys};
    let every = args.backup_every.as_secs();
    let every = match every {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    };
    let shown = ConfigFile {
        listen: Some(args.listen.clone()),
        public_url: args.public_url.clone(),
        frame_ancestors: Some(args.frame_ancestors.clone()),
        trusted_proxies: Some(args.trusted_proxies.clone()),
        max_in_flight: Some(args.max_in_flight),
        max_starts: Some(args.max_starts),
        idle_timeout: Some(args.idle_timeout),
        max_connections: args.max_connections,
        demo: Some(args.demo),
        without_second_factor: Some(args.without_second_factor),
        database: Some(DatabaseKeys { url: Some(cuocthi_store::redact(database_url)) }),
        log: Some(LogKeys { format: Some(if log == LogFormat::Json { "json" } else { "text" }.into()) }),
        backup: Some(BackupKeys { dir: args.backup_dir.clone(), every: Some(every), keep: Some(args.backup_keep) }),
        metrics: Some(MetricsKeys {
            listen: args.metrics_listen.clone(),
            token: args.metrics_token.as_ref().map(|_| "(đã đặt, không hiện)".into()),
        }),
    };
    let origin = file.map_or("không có tệp cấu hình".to_string(), |f| format!("tệp cấu hình {}", f.display()));
    format!(
        "# Cấu hình cuocthi serve sẽ dùng ({origin}; dòng lệnh > biến môi trường > tệp > mặc định)\n{}",
        toml::to_string(&shown).unwrap_or_default()
    )
}

/// Runs the server with its settings until Ctrl-C or SIGTERM.
pub async fn start(args: ServeArgs, database_url: &str, store: Arc<SqlStore>, engine: Engine) -> Result<()> {
    let frame_ancestors = cuocthi_web::WebConfig::parse_origins(&args.frame_ancestors)
        .map_err(|e| anyhow::anyhow!("CUOCTHI_FRAME_ANCESTORS: {e}"))?;
    let second_factor = if args.without_second_factor {
        cuocthi_web::SecondFactor::AdministratorsOnly
    } else {
        cuocthi_web::SecondFactor::EveryAccount
    };
    let metrics = MetricsConfig {
        enabled: args.metrics_listen.is_some() || args.metrics_token.is_some(),
        separate_listener: args.metrics_listen.is_some(),
        token: args.metrics_token.clone(),
    };
    let backups = args
        .backup_dir
        .clone()
        .map(|dir| cuocthi_web::BackupPlace::new(dir, args.backup_every, usize::from(args.backup_keep)));
    // Settings the web layer gains later keep their defaults until `serve` is given a flag for them.
    #[allow(clippy::needless_update)]
    let web = cuocthi_web::WebConfig {
        frame_ancestors,
        public_url: args.public_url.clone(),
        trusted_proxies: args
            .trusted_proxies
            .iter()
            .map(|p| cuocthi_web::WebConfig::parse_proxy(p))
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("CUOCTHI_TRUSTED_PROXIES: {e}"))?,
        second_factor,
        metrics,
        backups,
        ..Default::default()
    };
    if args.demo {
        let loaded = cuocthi_engine::demo::load(&engine).await.map_err(crate::explain)?;
        if !loaded.is_empty() {
            tracing::info!(?loaded, "demo contests loaded");
        }
        let played = cuocthi_engine::demo::play_seed_004(&engine).await.map_err(crate::explain)?;
        if played > 0 {
            tracing::info!(played, "demo seed 004 played and its results published");
        }
        let teams = cuocthi_engine::demo::register_seed_002_teams(&engine).await.map_err(crate::explain)?;
        if teams > 0 {
            tracing::info!(teams, "demo seed 002's event teams registered");
        }
    }
    let schedule = args.backup_dir.map(|dir| crate::backup::Schedule {
        database_url: database_url.to_string(),
        dir,
        every: args.backup_every,
        keep: usize::from(args.backup_keep),
    });
    let limits = cuocthi_web::Limits {
        max_in_flight: usize::try_from(args.max_in_flight).unwrap_or(usize::MAX),
        max_starts: usize::try_from(args.max_starts).unwrap_or(usize::MAX),
    };
    let connections = connections(args.idle_timeout, args.max_connections);
    run(engine, store, &args.listen, args.metrics_listen.as_deref(), web, limits, connections, args.demo, schedule)
        .await
}

/// The client connections' settings, with the open-file limit raised to its hard limit.
fn connections(idle_timeout: u32, max: Option<u32>) -> Connections {
    let files = crate::connections::raise_file_limit();
    let capacity = match max {
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => crate::connections::capacity_for(files),
    };
    tracing::info!(open_files = files, capacity, idle_timeout, "client connections");
    Connections::new(Settings {
        idle: Duration::from_secs(u64::from(idle_timeout)),
        header: crate::connections::HEADER_TIMEOUT,
        capacity,
    })
}

#[allow(clippy::too_many_arguments)] // the server's parts, each used once, from `start`
async fn run(
    engine: Engine,
    store: Arc<SqlStore>,
    listen: &str,
    metrics_listen: Option<&str>,
    mut web: cuocthi_web::WebConfig,
    limits: cuocthi_web::Limits,
    connections: Connections,
    demo: bool,
    backups: Option<crate::backup::Schedule>,
) -> Result<()> {
    let listener = crate::connections::listen(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    web.public_url = Some(public_url(web.public_url.take(), addr, demo)?);
    tracing::info!(%addr, public_url = web.public_url.as_deref().unwrap_or_default(), "cuocthi listening");
    let mut tasks = Vec::new();
    if let Some(at) = metrics_listen {
        let metrics =
            TcpListener::bind(at).await.with_context(|| format!("cannot listen on {at} (--metrics-listen)"))?;
        tracing::info!(addr = %metrics.local_addr()?, "metrics listening on /metrics");
        let app = cuocthi_web::metrics::router(engine.clone(), web.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics, app).await {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        }));
    }
    if web.metrics.enabled {
        tasks.push(tokio::spawn(observe_pools(store.clone())));
    }
    tasks.push(tokio::spawn(analyse_forever(store)));
    tasks.push(tokio::spawn(sweep_forever(engine.clone())));
    // Personal data past its retention period (Luật 91/2025), every 6 hours.
    tasks.push(tokio::spawn(crate::privacy::purge_forever(engine.clone())));
    if let Some(schedule) = backups {
        tasks.push(tokio::spawn(crate::backup::schedule_forever(schedule)));
    }
    let app = cuocthi_web::router_with(engine, limits, web);
    crate::connections::serve(listener, app, connections, shutdown_signal()).await;
    for task in tasks {
        task.abort();
    }
    Ok(())
}

/// The address printed on certificates and in share links. A QR code outlives the request that
/// made it, and a server behind a reverse proxy cannot know the name people reach it by, so the
/// address must be configured; only a demo may fall back to the one it listens on.
fn public_url(configured: Option<String>, addr: std::net::SocketAddr, demo: bool) -> Result<String> {
    match configured {
        Some(url) => {
            let parsed = url::Url::parse(&url).with_context(|| format!("--public-url: not an address: {url}"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some(),
                "--public-url must be an http(s) address with a host, such as https://thi.tinh.gov.vn (got {url})"
            );
            Ok(url.trim_end_matches('/').to_string())
        }
        // A demo listening on every interface (0.0.0.0) prints the loopback name people can open.
        None if demo && addr.ip().is_unspecified() => Ok(format!("http://localhost:{}", addr.port())),
        None if demo => Ok(format!("http://{addr}")),
        None => anyhow::bail!(
            "--public-url (CUOCTHI_PUBLIC_URL) is required: the address people reach this server by, \
             printed on certificates (QR codes) and in share links, such as https://thi.tinh.gov.vn"
        ),
    }
}

/// Analyses PostgreSQL's `attempts` each time it has doubled (`SqlStore::analyse_if_grown`):
/// while the table is young, the plans each connection keeps go stale within seconds. Checked every
/// [`ANALYSE_EVERY`]; nothing to do on SQLite.
async fn analyse_forever(store: Arc<SqlStore>) {
    if store.backend() != cuocthi_store::Backend::Postgres {
        return;
    }
    let mut tick = tokio::time::interval(ANALYSE_EVERY);
    loop {
        tick.tick().await;
        match store.analyse_if_grown().await {
            Ok(true) => tracing::info!("attempts analysed: the table has doubled since its last analysis"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "analysing attempts failed"),
        }
    }
}

/// Records the store's pool use for `/metrics` every few seconds.
async fn observe_pools(store: Arc<SqlStore>) {
    let mut tick = tokio::time::interval(POOL_EVERY);
    loop {
        tick.tick().await;
        cuocthi_web::metrics::pool_use(&store.pool_use());
    }
}

/// Records one run of a background task for `/metrics` (its time, what it did, or that it failed)
/// and hands its outcome back.
fn timed<T: TryInto<usize> + Copy, E>(task: &'static str, started: Instant, outcome: Result<T, E>) -> Result<T, E> {
    let items = outcome.as_ref().map(|n| (*n).try_into().unwrap_or(usize::MAX)).map_err(|_| ());
    task_done(task, started.elapsed(), items);
    outcome
}

async fn sweep_forever(engine: Engine) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    for n in 0u64.. {
        tick.tick().await;
        match timed("sweeper", Instant::now(), engine.sweep().await) {
            Ok(0) => {}
            Ok(n) => tracing::info!(submitted = n, "attempts submitted at their deadline"),
            Err(e) => tracing::warn!(error = %e, "sweep failed"),
        }
        match timed("statistics", Instant::now(), engine.count_attempts().await) {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "counting attempts for the statistics failed"),
        }
        if n % FORGET_EVERY_SWEEPS == 0 {
            match timed("throttle_cleanup", Instant::now(), engine.forget_old_tries().await) {
                Ok(0) => {}
                Ok(n) => tracing::info!(forgotten = n, "throttle rows of quiet keys deleted"),
                Err(e) => tracing::warn!(error = %e, "forgetting old throttle rows failed"),
            }
        }
        if n % SEAL_EVERY_SWEEPS == 0 {
            match timed("sealing", Instant::now(), engine.seal_submissions().await) {
                Ok(0) => {}
                Ok(n) => tracing::info!(sealed = n, "submissions sealed into the audit chain"),
                Err(e) => tracing::warn!(error = %e, "sealing failed"),
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn a_public_url_is_required_outside_a_demo() {
        let addr = "127.0.0.1:8080".parse().expect("address");
        assert!(public_url(None, addr, false).is_err());
        assert_eq!(public_url(None, addr, true).expect("demo"), "http://127.0.0.1:8080");
        let any = "0.0.0.0:8080".parse().expect("address");
        assert_eq!(public_url(None, any, true).expect("demo"), "http://localhost:8080");
        assert_eq!(
            public_url(Some("https://thi.tinh.gov.vn/".into()), addr, false).expect("configured"),
            "https://thi.tinh.gov.vn"
        );
        for bad in ["thi.tinh.gov.vn", "ftp://thi.tinh.gov.vn", "https://"] {
            assert!(public_url(Some(bad.into()), addr, false).is_err(), "{bad}");
        }
    }
}
