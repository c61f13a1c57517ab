//! The server process: tracing, the HTTP listener with read timeouts, the deadline sweeper, and a
//! graceful stop on Ctrl-C / SIGTERM.

use std::time::Duration;

use anyhow::{Context, Result};
use cuocthi_engine::Engine;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tracing_subscriber::EnvFilter;

/// A client must send its request headers within this time (slow-header clients are cut off).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How often open attempts past their deadline are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// Submissions are sealed into the audit chain every 30 seconds (see `cuocthi_engine` `seal`).
const SEAL_EVERY_SWEEPS: u64 = 15;
/// Throttle rows of quiet keys are deleted hourly (1,800 sweeps of 2 s): a small table scan.
const FORGET_EVERY_SWEEPS: u64 = 1_800;

pub fn init_tracing(json: bool) {
    let filter =
        EnvFilter::try_from_env("CUOCTHI_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

pub async fn run(
    engine: Engine,
    listen: &str,
    mut web: cuocthi_web::WebConfig,
    demo: bool,
    backups: Option<crate::backup::Schedule>,
) -> Result<()> {
    let listener = TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    web.public_url = Some(public_url(web.public_url.take(), addr, demo)?);
    tracing::info!(%addr, public_url = web.public_url.as_deref().unwrap_or_default(), "cuocthi listening");
    let sweeper = tokio::spawn(sweep_forever(engine.clone()));
    let backups = backups.map(|schedule| tokio::spawn(crate::backup::schedule_forever(schedule)));
    let app = cuocthi_web::router_with(engine, cuocthi_web::Limits::default(), web);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // The peer address goes with each request (sign-in throttling reads it).
                let service = TowerToHyperService::new(app.clone().map_request(move |mut req: axum::http::Request<_>| {
                    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    req
                }));
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut stop => break,
        }
    }
    tracing::info!("stopping: finishing requests in flight");
    sweeper.abort();
    if let Some(task) = backups {
        task.abort();
    }
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish in time");
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

async fn sweep_forever(engine: Engine) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    for n in 0u64.. {
        tick.tick().await;
        match engine.sweep().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(submitted = n, "attempts submitted at their deadline"),
            Err(e) => tracing::warn!(error = %e, "sweep failed"),
        }
        match engine.count_attempts().await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "counting attempts for the statistics failed"),
        }
        if n % FORGET_EVERY_SWEEPS == 0 {
            match engine.forget_old_tries().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(forgotten = n, "throttle rows of quiet keys deleted"),
                Err(e) => tracing::warn!(error = %e, "forgetting old throttle rows failed"),
            }
        }
        if n % SEAL_EVERY_SWEEPS == 0 {
            match engine.seal_submissions().await {
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
