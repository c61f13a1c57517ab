//! Who is asking, and where the site is: the client's address (for throttling and the judges'
//! review) and the site's public address (for links). Forwarded headers (`X-Forwarded-For`,
//! `X-Forwarded-Proto`, `X-Forwarded-Host`) are believed only from the configured trusted proxies
//! (`--trusted-proxies`, none by default); anything printed (a certificate's QR code) uses the
//! configured public address (`--public-url`), and an https one makes every request count as
//! HTTPS ([`settle_scheme`]).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::{AppState, WebConfig};

/// The peer address of the connection, when the server put it in the request.
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

/// A reverse proxy, or a range of them, whose forwarded headers are believed: an address
/// (`127.0.0.1`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedProxy(IpNet);

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map(TrustedProxy)
            .map_err(|_| format!("không phải địa chỉ IP hoặc dải CIDR: {s}"))
    }
}

impl TrustedProxy {
    /// Whether `ip` is this proxy (an IPv4 address seen as IPv6, `::ffff:a.b.c.d`, counts as itself).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

fn trusted(peer: Option<SocketAddr>, proxies: &[TrustedProxy]) -> bool {
    peer.is_some_and(|p| proxies.iter().any(|t| t.contains(p.ip())))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// The client's address: the connection's peer or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy (the first entries are
/// whatever the client wrote).
pub fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>, proxies: &[TrustedProxy]) -> String {
    let Some(peer) = peer else { return "unknown".into() };
    if trusted(Some(peer), proxies)
        && let Some(forwarded) = header(headers, "x-forwarded-for")
    {
        let mut hops = forwarded.rsplit(',').map(|v| v.trim().parse::<IpAddr>());
        let mut last = None;
        for hop in hops.by_ref() {
            let Ok(ip) = hop else { break };
            last = Some(ip);
            if !proxies.iter().any(|t| t.contains(ip)) {
                break;
            }
        }
        if let Some(ip) = last {
            return ip.to_string();
        }
    }
    peer.ip().to_string()
}

/// The site's public address for links shown to the person asking: the configured one, or
/// the request's own `Host` (with the scheme and host a trusted proxy forwarded).
pub fn public_base(config: &WebConfig, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if let Some(url) = &config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let proxied = trusted(peer, &config.trusted_proxies);
    let https = proxied && header(headers, "x-forwarded-proto") == Some("https");
    let host = proxied
        .then(|| header(headers, "x-forwarded-host"))
        .flatten()
        .or_else(|| header(headers, header::HOST.as_str()))
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')))
        .unwrap_or("localhost");
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// Whether the request reached the site over HTTPS, as the deployment says: every request does
/// when the public address (`--public-url`) is https; otherwise only when a trusted proxy
/// forwards `X-Forwarded-Proto: https`.
fn over_https(config: &WebConfig, headers: &HeaderMap, peer: Option<SocketAddr>) -> bool {
    config.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
        || (trusted(peer, &config.trusted_proxies) && header(headers, "x-forwarded-proto") == Some("https"))
}

/// Rewrites `X-Forwarded-Proto` to the deployment's answer ([`over_https`]) before anything
/// reads it, so that whatever depends on the scheme (the cookies' `Secure` flag, links) follows
/// the configuration and never a header any client can send.
pub async fn settle_scheme(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let https = over_https(&s.config, req.headers(), peer);
    req.headers_mut().remove("x-forwarded-proto");
    if https {
        req.headers_mut().insert("x-forwarded-proto", HeaderValue::from_static("https"));
    }
    next.run(req).await
}

static WARNED: AtomicBool = AtomicBool::new(false);

/// The site's public address for what is printed and kept (a certificate's QR code): the
/// configured `--public-url`, which `cuocthi serve` requires (a demo defaults it to the address
/// it listens on). A router built without one (tests) falls back to the address of the request
/// (as [`public_base`]) with a warning once, since a printed address outlives the request.
pub fn printed_base(config: &WebConfig, headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    if config.public_url.is_none() && !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!("no public URL configured (--public-url): printed addresses use the request's host");
    }
    public_base(config, headers, peer)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])), 40000))
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let proxies: Vec<TrustedProxy> = ["10.0.0.0/8", "192.168.1.5"].iter().filter_map(|p| p.parse().ok()).collect();
        assert_eq!(proxies.len(), 2);
        assert!("nginx".parse::<TrustedProxy>().is_err());
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7, 10.1.1.1")]);
        assert_eq!(client_address(&h, peer("198.51.100.1"), &proxies), "198.51.100.1", "not a proxy");
        assert_eq!(client_address(&h, peer("10.9.9.9"), &proxies), "203.0.113.7", "the last hop not a proxy");
        assert_eq!(client_address(&h, peer("::ffff:192.168.1.5"), &proxies), "203.0.113.7");
        assert_eq!(client_address(&headers(&[]), peer("10.9.9.9"), &proxies), "10.9.9.9");
        assert_eq!(client_address(&h, None, &proxies), "unknown");

        let h = headers(&[
            ("host", "thi.example.vn"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "cuocthi.gov.vn"),
        ]);
        let mut config = WebConfig { trusted_proxies: proxies, ..Default::default() };
        assert_eq!(public_base(&config, &h, peer("198.51.100.1")), "http://thi.example.vn");
        assert_eq!(public_base(&config, &h, peer("10.0.0.2")), "https://cuocthi.gov.vn");
        assert_eq!(public_base(&config, &headers(&[("host", "a\"b")]), None), "http://localhost");
        config.public_url = Some("https://thi.tinh.gov.vn/".into());
        assert_eq!(printed_base(&config, &h, peer("198.51.100.1")), "https://thi.tinh.gov.vn");
    }

    #[test]
    fn the_scheme_is_the_deployments_word() {
        let proxies: Vec<TrustedProxy> = ["10.0.0.0/8"].iter().filter_map(|p| p.parse().ok()).collect();
        let mut config = WebConfig { trusted_proxies: proxies, ..Default::default() };
        let says_https = headers(&[("x-forwarded-proto", "https")]);
        assert!(!over_https(&config, &says_https, peer("203.0.113.7")), "anyone may send the header");
        assert!(!over_https(&config, &says_https, None));
        assert!(over_https(&config, &says_https, peer("10.0.0.2")), "a trusted proxy");
        assert!(!over_https(&config, &headers(&[("x-forwarded-proto", "http")]), peer("10.0.0.2")));
        config.public_url = Some("https://thi.tinh.gov.vn".into());
        assert!(over_https(&config, &headers(&[]), peer("203.0.113.7")), "the public address is https");
        config.public_url = Some("http://localhost:8080".into());
        assert!(!over_https(&config, &says_https, peer("203.0.113.7")));
    }
}
