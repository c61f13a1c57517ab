//! Every cookie the site sets, with its flags, in one table ([`SESSION`], [`DEVICE`], [`LANG`],
//! [`MODE`], [`STAFF`]); read and written through `axum-extra`'s [`CookieJar`]. Every cookie gets
//! `SameSite` and `Path` from its row, `HttpOnly` unless a script needs it (none does today),
//! `Max-Age` from its row or its caller, and `Secure` when the site is served over HTTPS.
//! A leaf room: it uses nothing of the crate, and `i18n`, `session`, the participant pages and
//! the console use it.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
pub use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cookie::time::Duration;

/// One cookie of the site and what every copy of it carries.
pub struct Spec {
    pub name: &'static str,
    path: &'static str,
    http_only: bool,
    same_site: SameSite,
    /// How long the browser keeps it, unless the caller says (a session's own lifetime).
    max_age_seconds: i64,
}

const YEAR: i64 = 365 * 24 * 3600;

/// The participant's session: the signed participant token (see `session`).
pub const SESSION: Spec =
    Spec { name: "ct_phien", path: "/", http_only: true, same_site: SameSite::Lax, max_age_seconds: 0 };

/// The browser's own random id, for the judges' review of many identities from one device.
pub const DEVICE: Spec =
    Spec { name: "ct_thietbi", path: "/", http_only: true, same_site: SameSite::Lax, max_age_seconds: YEAR };

/// The pages' language, `vi` or `en` (see `i18n`).
pub const LANG: Spec =
    Spec { name: "lang", path: "/", http_only: false, same_site: SameSite::Lax, max_age_seconds: YEAR };

/// The attempt page's layout: `tung-cau` (one question per screen) or `tat-ca` (all on one page).
pub const MODE: Spec =
    Spec { name: "che_do", path: "/", http_only: false, same_site: SameSite::Lax, max_age_seconds: YEAR };

/// The staff session of the console: only ever sent to `/admin`, never across sites.
pub const STAFF: Spec =
    Spec { name: "ct_quantri", path: "/admin", http_only: true, same_site: SameSite::Strict, max_age_seconds: 0 };

impl Spec {
    /// This cookie's value in the request, if it has a non-empty one.
    pub fn get<'j>(&self, jar: &'j CookieJar) -> Option<&'j str> {
        jar.get(self.name).map(|c| c.value().trim()).filter(|v| !v.is_empty())
    }

    /// This cookie's value in the request's headers.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        self.get(&CookieJar::from_headers(headers)).map(str::to_string)
    }

    /// The cookie holding `value` for this row's lifetime, `Secure` when the request (its
    /// `headers`) came over HTTPS.
    pub fn set(&self, value: impl Into<String>, headers: &HeaderMap) -> Cookie<'static> {
        self.set_for(value, self.max_age_seconds, headers)
    }

    /// The cookie holding `value` for `max_age_seconds`.
    pub fn set_for(&self, value: impl Into<String>, max_age_seconds: i64, headers: &HeaderMap) -> Cookie<'static> {
        Cookie::build((self.name, value.into()))
            .path(self.path)
            .http_only(self.http_only)
            .same_site(self.same_site)
            .max_age(Duration::seconds(max_age_seconds.max(0)))
            .secure(is_https(headers))
            .build()
    }

    /// The cookie that makes the browser forget this one.
    pub fn clear(&self) -> Cookie<'static> {
        let mut c =
            Cookie::build((self.name, "")).path(self.path).http_only(self.http_only).same_site(self.same_site).build();
        c.make_removal();
        c
    }
}

/// Whether the site is served over HTTPS, as the deployment says: a layer of the router
/// (`http::settle_scheme`, outside every handler and the language switch) rewrites
/// `X-Forwarded-Proto` from `--public-url` and `--trusted-proxies`, so what a client sends never
/// decides, and a site whose public address is https marks every cookie `Secure` even behind a
/// proxy that forwards no scheme.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(str::trim) == Some("https")
}

/// `resp` with `cookie` added (a `Set-Cookie` header appended).
pub fn with(cookie: Cookie<'static>, resp: Response) -> Response {
    (CookieJar::new().add(cookie), resp).into_response()
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

    use super::*;

    #[test]
    fn each_cookie_carries_its_flags() {
        let mut https = HeaderMap::new();
        https.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let s = STAFF.set_for("abc", 600, &https).to_string();
        for attr in ["ct_quantri=abc", "HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=600", "Secure"] {
            assert!(s.contains(attr), "{attr} in {s}");
        }
        let s = LANG.set("en", &HeaderMap::new()).to_string();
        assert!(s.starts_with("lang=en;") && s.contains("SameSite=Lax") && s.contains("Max-Age=31536000"), "{s}");
        assert!(!s.contains("HttpOnly") && !s.contains("Secure"), "{s}");
        let s = SESSION.clear().to_string();
        assert!(s.starts_with("ct_phien=;") && s.contains("Max-Age=0") && s.contains("Path=/"), "{s}");

        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("ct_phien=x; lang=en; ct_quantri="));
        assert_eq!(SESSION.read(&h).as_deref(), Some("x"));
        assert_eq!(LANG.read(&h).as_deref(), Some("en"));
        assert_eq!(STAFF.read(&h), None, "an empty value is no cookie");
    }
}
