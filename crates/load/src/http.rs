//! The HTTP client: one hyper keep-alive pool shared by every virtual user, or the user's own
//! connection in the `connections` scenario (`crate::own`), aimed at loopback only.
//!
//! Load is only ever sent to this machine (the workplace forbids any other target, and a load
//! generator aimed at a wrong address by a typo would be an attack), so the target is checked
//! before any connection: an IP in 127.0.0.0/8 or ::1, or the name `localhost`, which is mapped to
//! 127.0.0.1 here rather than asked of a resolver.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;

pub mod own;

use self::own::OwnConnection;

/// Where the load goes: a loopback socket address, and the `Host` header to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub addr: SocketAddr,
    pub authority: String,
}

/// Parses `http://HOST:PORT` (path ignored) and refuses anything that is not loopback.
pub fn parse_target(s: &str) -> Result<Target> {
    let uri: Uri = s.parse().with_context(|| format!("target {s:?} is not a URL"))?;
    match uri.scheme_str() {
        Some("http") | None => {}
        Some(other) => bail!("target scheme {other:?} is not supported: plain http over loopback only"),
    }
    let authority = uri.authority().with_context(|| format!("target {s:?} has no host"))?;
    let host = authority.host();
    let port = authority.port_u16().unwrap_or(80);
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        bare.parse().with_context(|| format!("target host {host:?} is neither a loopback address nor localhost"))?
    };
    if !ip.is_loopback() {
        bail!(
            "target {ip} is not a loopback address (127.0.0.0/8, ::1): this generator sends load to this machine only"
        );
    }
    Ok(Target { addr: SocketAddr::new(ip, port), authority: authority.as_str().to_string() })
}

/// What came back: the status and the whole body, or why nothing did.
pub enum Reply {
    Answered {
        status: StatusCode,
        body: Bytes,
    },
    /// No answer: connection refused or reset, or the per-request timeout.
    Failed(String),
}

impl Reply {
    /// `STATUS code` for an error answer (the API's `error.code`), or the transport failure.
    pub fn describe(&self) -> String {
        match self {
            Reply::Answered { status, body } => {
                let code = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v.pointer("/error/code").and_then(|c| c.as_str()).map(String::from))
                    .unwrap_or_else(|| "-".into());
                format!("{} {code}", status.as_u16())
            }
            Reply::Failed(why) => format!("transport {why}"),
        }
    }
}

/// The shared client. Cloning is cheap (the pool and the semaphore are shared).
#[derive(Clone)]
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: Arc<str>,
    authority: Arc<str>,
    timeout: Duration,
    /// Caps requests in flight, and so connections: a herd of 20,000 tasks must not open 20,000
    /// sockets (the file limit here is 20,000) when the server falls behind.
    inflight: Arc<Semaphore>,
}

impl Api {
    pub fn new(target: &Target, timeout: Duration, max_inflight: usize) -> Api {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.enforce_http(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(max_inflight)
            .build(connector);
        Api {
            client,
            base: format!("http://{}", target.addr).into(),
            authority: target.authority.clone().into(),
            timeout,
            inflight: Arc::new(Semaphore::new(max_inflight.max(1))),
        }
    }

    /// Sends one request and reads the whole answer. `json` is the body, if any; `token` the
    /// participant's bearer token. A task that holds its own connection ([`own::OWN`]) sends it
    /// there; any other through the shared pool.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, json: Option<String>) -> Reply {
        if let Ok(conn) = own::OWN.try_with(Arc::clone) {
            return self.call_own(&conn, request(method, path.to_string(), token, json)).await;
        }
        let Ok(_permit) = self.inflight.acquire().await else {
            return Reply::Failed("closed".into());
        };
        let req = match request(method, format!("{}{path}", self.base), token, json) {
            Ok(r) => with_host(r, &self.authority),
            Err(why) => return Reply::Failed(why),
        };
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| short_error(&e))?;
            let status = resp.status();
            let body = resp.into_body().collect().await.map_err(|e| short_error(&e))?.to_bytes();
            Ok::<_, String>(Reply::Answered { status, body })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(why)) => Reply::Failed(why),
            Err(_) => Reply::Failed("timeout".into()),
        }
    }

    /// On the user's own connection: not capped by `--max-inflight` (each user holds one socket
    /// whatever), and a connection left in the middle of an exchange by the timeout is closed.
    async fn call_own(
        &self,
        conn: &tokio::sync::Mutex<OwnConnection>,
        req: Result<Request<Full<Bytes>>, String>,
    ) -> Reply {
        let req = match req {
            Ok(r) => r,
            Err(why) => return Reply::Failed(why),
        };
        let mut conn = conn.lock().await;
        match tokio::time::timeout(self.timeout, conn.exchange(req)).await {
            Ok(Ok((status, body))) => Reply::Answered { status, body },
            Ok(Err(why)) => Reply::Failed(why),
            Err(_) => {
                conn.close();
                Reply::Failed("timeout".into())
            }
        }
    }
}

/// Names the server in the `Host` header (a value that is not a header leaves it out).
pub fn with_host(mut req: Request<Full<Bytes>>, authority: &str) -> Request<Full<Bytes>> {
    if let Ok(v) = HeaderValue::from_str(authority) {
        req.headers_mut().insert(hyper::header::HOST, v);
    }
    req
}

/// A request to `uri` with the participant's token and a JSON body, if any.
fn request(
    method: Method,
    uri: String,
    token: Option<&str>,
    json: Option<String>,
) -> Result<Request<Full<Bytes>>, String> {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        let v = HeaderValue::from_str(&format!("Bearer {t}")).map_err(|_| "token is not a header value".to_string())?;
        req = req.header(AUTHORIZATION, v);
    }
    let body = match json {
        Some(j) => {
            req = req.header(CONTENT_TYPE, "application/json");
            Full::new(Bytes::from(j))
        }
        None => Full::new(Bytes::new()),
    };
    req.body(body).map_err(|e| format!("bad request: {e}"))
}

/// A transport error in a few words: the error keys of the report group by it.
pub fn short_error(e: &dyn std::error::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    let lower = last.to_lowercase();
    if lower.contains("refused") {
        "refused".into()
    } else if lower.contains("reset") {
        "reset".into()
    } else if lower.contains("closed") || lower.contains("incomplete") {
        "closed".into()
    } else {
        last.chars().take(60).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_are_accepted() {
        assert_eq!(parse_target("http://127.0.0.1:8080").unwrap().addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(parse_target("http://127.3.4.5:81/x").unwrap().addr, "127.3.4.5:81".parse().unwrap());
        assert_eq!(parse_target("http://localhost:9000").unwrap().addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(parse_target("http://[::1]:9000").unwrap().addr, "[::1]:9000".parse().unwrap());
        assert_eq!(parse_target("127.0.0.1:7").unwrap().addr, "127.0.0.1:7".parse().unwrap());
    }

    #[test]
    fn other_targets_are_refused() {
        for t in [
            "http://10.0.0.1:80",
            "http://192.168.1.2:8080",
            "http://8.8.8.8",
            "http://example.com:80",
            "https://127.0.0.1:443",
            "http://[::2]:80",
            "http://0.0.0.0:80",
        ] {
            assert!(parse_target(t).is_err(), "{t} should be refused");
        }
    }
}
