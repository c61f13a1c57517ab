//! The static files (`/static/…`): the style sheet and the small scripts, compiled into the binary.
//!
//! Pages link every file through [`Asset::url`], which carries a version made from the file's
//! content (`/static/app.css?v=<10 hex of SHA-256>`), computed once per process. A versioned
//! address names one content for ever, so it is served with a year-long, `immutable` cache
//! lifetime: a participant on a slow mobile connection downloads the style sheet and scripts once,
//! not on every page of the attempt. A new release changes the version and so the address.
//!
//! The bare address (and any other version, such as the one in a page cached before a release)
//! still answers with the current content, for a short time only, so a page from an older release
//! never shows up unstyled and is up to date within minutes.

use std::sync::OnceLock;

use axum::extract::RawQuery;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One file under `/static/`.
pub struct Asset {
    /// Its name under `/static/`.
    pub name: &'static str,
    content_type: &'static str,
    body: &'static str,
    /// The version and versioned address, computed on first use.
    version: OnceLock<(String, String)>,
}

/// How long a versioned address is kept: a year, the most HTTP caches honour.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// How long an unversioned (or outdated) address is kept: five minutes, so a page cached before a
/// release gets the new files soon after it.
pub const SHORT: &str = "public, max-age=300";

/// Hex digits of the SHA-256 kept in the version: 40 bits tell releases apart.
const VERSION_HEX: usize = 10;

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

impl Asset {
    const fn new(name: &'static str, content_type: &'static str, body: &'static str) -> Asset {
        Asset { name, content_type, body, version: OnceLock::new() }
    }

    fn versioned(&self) -> &(String, String) {
        self.version.get_or_init(|| {
            let digest = Sha256::digest(self.body.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let version = hex[..VERSION_HEX].to_string();
            let url = format!("/static/{}?v={version}", self.name);
            (version, url)
        })
    }

    /// The content's version: the first hex digits of its SHA-256.
    pub fn version(&self) -> &str {
        &self.versioned().0
    }

    /// The address pages link: `/static/<name>?v=<version>`.
    pub fn url(&self) -> &str {
        &self.versioned().1
    }
}

pub static APP_CSS: Asset = Asset::new("app.css", CSS, include_str!("../static/app.css"));
pub static ATTEMPT_JS: Asset = Asset::new("attempt.js", JS, include_str!("../static/attempt.js"));
pub static CONTEST_JS: Asset = Asset::new("contest.js", JS, include_str!("../static/contest.js"));
pub static REGISTER_JS: Asset = Asset::new("register.js", JS, include_str!("../static/register.js"));
pub static IMPORT_JS: Asset = Asset::new("import.js", JS, include_str!("../static/import.js"));
pub static LIVE_JS: Asset = Asset::new("live.js", JS, include_str!("../static/live.js"));
pub static EVENT_JS: Asset = Asset::new("event.js", JS, include_str!("../static/event.js"));

/// The in-person event's stage: the projector page, the public scoreboard and the control page.
pub static STAGE_JS: Asset = Asset::new("stage.js", JS, include_str!("../static/stage.js"));
pub static STAGE_CSS: Asset = Asset::new("stage.css", CSS, include_str!("../static/stage.css"));

/// Every static file, for the route and for computing the versions at start-up.
pub static ALL: [&Asset; 9] =
    [&APP_CSS, &ATTEMPT_JS, &CONTEST_JS, &REGISTER_JS, &IMPORT_JS, &LIVE_JS, &EVENT_JS, &STAGE_JS, &STAGE_CSS];

/// The site's icon (16×16, the accent colour), for the request every browser makes on its own.
static FAVICON: &[u8] = include_bytes!("../static/favicon.ico");

/// `GET /favicon.ico`: browsers ask for it whatever the page links, so a 404 would fill the
/// logs; kept a week, it changes with a release at most.
pub(crate) async fn favicon() -> Response {
    ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "public, max-age=604800")], FAVICON)
        .into_response()
}

/// Computes every version now, so the first page served does not pay for the hashing.
pub fn init() {
    for a in ALL {
        a.versioned();
    }
}

/// `GET /static/{name}`: the file, cached for a year when the address carries its current
/// version, for [`SHORT`] otherwise; `If-None-Match` with the current ETag gets a 304.
pub(crate) async fn serve(
    axum::extract::Path(name): axum::extract::Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = ALL.iter().find(|a| a.name == name) else {
        return crate::http::not_found().await.into_response();
    };
    // Read by hand: a malformed query is just not the current version, never a 400.
    let asked = query.as_deref().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("v=")));
    respond(asset, asked, &headers)
}

fn respond(asset: &Asset, asked: Option<&str>, headers: &HeaderMap) -> Response {
    let cache = if asked == Some(asset.version()) { IMMUTABLE } else { SHORT };
    let etag = format!("\"{}\"", asset.version());
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().trim_start_matches("W/") == etag);
    let etag = HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    let common = [(header::CACHE_CONTROL, HeaderValue::from_static(cache)), (header::ETAG, etag)];
    if matches {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (common, [(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_ten_hex_digits_of_the_content() {
        for a in ALL {
            assert_eq!(a.version().len(), VERSION_HEX);
            assert!(a.version().chars().all(|c| c.is_ascii_hexdigit()));
            assert_eq!(a.url(), format!("/static/{}?v={}", a.name, a.version()));
        }
        assert_ne!(APP_CSS.version(), ATTEMPT_JS.version());
    }
}
