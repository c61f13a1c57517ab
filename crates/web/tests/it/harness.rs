//! What every test file shares: the whole application on a test database holding the demo
//! contests, and requests through its router as a script, a browser or a staff member sends them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use cuocthi_engine::console::Role;
use cuocthi_engine::{Engine, ManualClock};
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::TestDb;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The password of every staff account the tests create.
pub const PASSWORD: &str = "mat-khau-du-dai-2025";

/// The longest a background reading may take before its test fails (a 30,000-question file on a
/// busy machine takes a few seconds; a reading that never ends must fail, not hang).
pub const READING_LIMIT: Duration = Duration::from_secs(120);

pub struct App {
    pub router: Router,
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub store: Arc<cuocthi_store::SqlStore>,
    _db: TestDb,
}

/// The application on `db`, with the demo contests loaded, at 10:00 on 22 November 2026 (VN).
pub async fn app(db: TestDb) -> App {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()));
    let store = db.store().await;
    let engine = Engine::new(store.clone() as Arc<dyn Store>, clock.clone()).await.unwrap();
    cuocthi_engine::demo::load(&engine).await.unwrap();
    App { router: cuocthi_web::router(engine.clone()), engine, clock, store, _db: db }
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.header(header::LOCATION)
    }

    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The staff session cookie this reply sets (`ct_quantri=…`), if any.
    pub fn session(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("ct_quantri=") && !v.starts_with("ct_quantri=;"))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
    }
}

/// A request through `router` (a node), read whole.
pub async fn send_to(router: &Router, req: Request<Body>) -> Reply {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).to_string() }
}

/// A form as `application/x-www-form-urlencoded`.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// Text as askama escapes it.
pub fn escape(s: &str) -> String {
    s.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

/// A time limit for a polling loop: a regression that never finishes fails its test with a
/// message instead of hanging the run.
pub struct Deadline {
    what: String,
    limit: Duration,
    started: Instant,
}

impl Deadline {
    /// `what` is waited for, for at most `limit`.
    pub fn after(limit: Duration, what: impl Into<String>) -> Deadline {
        Deadline { what: what.into(), limit, started: Instant::now() }
    }

    /// Pauses before the next try; fails the test once the time is up.
    pub async fn pause(&self, pause: Duration) {
        let waited = self.started.elapsed();
        assert!(waited < self.limit, "{}: still not done after {waited:.1?} (at most {:?})", self.what, self.limit);
        tokio::time::sleep(pause).await;
    }

    /// How long it has waited so far.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl App {
    /// A JSON API request: its status, its body as JSON (`Null` when not JSON) and as text.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let r = self.send(req).await;
        (r.status, serde_json::from_str(&r.body).unwrap_or(Value::Null), r.body)
    }

    /// A browser request: same-origin unless `extra` says otherwise.
    pub async fn page(
        &self,
        method: Method,
        uri: &str,
        cookie: Option<&str>,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method.clone()).uri(uri).header(header::HOST, "thi.example.vn");
        if method != Method::GET && extra.is_empty() {
            req = req.header("sec-fetch-site", "same-origin").header(header::ORIGIN, "https://thi.example.vn");
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let req = match form {
            Some(f) => {
                req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(encode(f)))
            }
            None => req.body(Body::empty()),
        }
        .unwrap();
        self.send(req).await
    }

    /// A console request from the client address `from`.
    pub async fn admin(
        &self,
        method: Method,
        uri: &str,
        cookie: Option<&str>,
        form: Option<&[(&str, &str)]>,
        from: &str,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let mut req = match form {
            Some(f) => {
                req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(encode(f)))
            }
            None => req.body(Body::empty()),
        }
        .unwrap();
        let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        self.send(req).await
    }

    /// A GET with `cookie`, its body as bytes (a workbook, a PDF, a Word file).
    pub async fn download(&self, uri: &str, cookie: Option<&str>) -> Vec<u8> {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let resp = self.router.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
        resp.into_body().collect().await.unwrap().to_bytes().to_vec()
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        send_to(&self.router, req).await
    }

    /// A form with one file, `file`.
    pub async fn upload(&self, uri: &str, cookie: &str, file_name: &str, bytes: &[u8]) -> Reply {
        let boundary = "----cuocthi-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Uploads a question file to `slug`'s import page and follows the redirect to its reading
    /// (a background task) until the report shows; returns the reading's address and the report.
    pub async fn import_file(&self, slug: &str, cookie: &str, file_name: &str, bytes: &[u8]) -> (String, Reply) {
        let r = self.upload(&format!("/admin/cuoc-thi/{slug}/nhap-cau-hoi"), cookie, file_name, bytes).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = r.location().to_string();
        assert!(page.starts_with(&format!("/admin/cuoc-thi/{slug}/nhap-cau-hoi/")), "{page}");
        let report = self.follow_reading(&page, cookie).await;
        (page, report)
    }

    /// Reloads the page of a reading (as its meta refresh does) until it is not the progress page.
    pub async fn follow_reading(&self, page: &str, cookie: &str) -> Reply {
        let deadline = Deadline::after(READING_LIMIT, format!("the reading at {page}"));
        loop {
            let r = self.admin(Method::GET, page, Some(cookie), None, "10.0.0.1").await;
            if !r.body.contains("data-progress-url") {
                return r;
            }
            assert!(r.body.contains(r#"<noscript><meta http-equiv="refresh" content="1"></noscript>"#));
            deadline.pause(Duration::from_millis(50)).await;
        }
    }

    /// Creates an account (a system administrator gets a second factor) and signs it in;
    /// returns its session cookie.
    pub async fn staff(&self, username: &str, role: Role, grants: &[(&str, Role, &str)]) -> String {
        let id = self.engine.create_account(username, PASSWORD.into(), role).await.unwrap();
        for (slug, r, unit) in grants {
            let c = self.store.contest_by_slug(slug).await.unwrap().unwrap();
            self.store.insert_grant(id, c.contest.id, r.as_str(), unit, self.engine.now()).await.unwrap();
        }
        let code = if role == Role::SystemAdmin {
            let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
            self.store.set_totp_secret(id, Some(secret)).await.unwrap();
            Engine::totp_code(secret, self.engine.now()).unwrap()
        } else {
            String::new()
        };
        self.sign_in(username, &code, "10.0.0.1").await
    }

    /// Signs `username` in with [`PASSWORD`] and `code` (empty without a second factor) from
    /// `from`; returns the session cookie.
    pub async fn sign_in(&self, username: &str, code: &str, from: &str) -> String {
        let form = [("username", username), ("password", PASSWORD), ("code", code)];
        let r = self.admin(Method::POST, "/admin/dang-nhap", None, Some(&form), from).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{username}: {}", r.body);
        r.session().unwrap()
    }
}
