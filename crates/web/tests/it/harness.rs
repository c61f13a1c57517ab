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
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_domain::identity::IdentityInput;
use cuocthi_engine::console::Role;
use cuocthi_engine::token::Claims;
use cuocthi_engine::{Engine, ManualClock};
use cuocthi_store::{ConsoleStore, Store, StoredQuestion};
use cuocthi_testkit::TestDb;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The password of every staff account the tests create.
pub const PASSWORD: &str = "mat-khau-du-dai-2025";

/// The secret of the tests' authenticator app, given to every account [`App::staff`] creates.
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The address the tests' staff use the console from.
pub const OFFICE: &str = "10.0.0.1";

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

/// `req` with the browser's `cookie` and `form` as its body (`application/x-www-form-urlencoded`),
/// or an empty body.
fn with_cookie_and_form(
    mut req: axum::http::request::Builder,
    cookie: Option<&str>,
    form: Option<&[(&str, &str)]>,
) -> Request<Body> {
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    match form {
        Some(f) => req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(encode(f))),
        None => req.body(Body::empty()),
    }
    .unwrap()
}

/// Someone born on 2 September 1995 whose CCCD and phone number end in `tail`.
pub fn person(name: &str, tail: &str) -> IdentityInput {
    IdentityInput {
        full_name: Some(name.to_string()),
        date_of_birth: Some("02/09/1995".into()),
        cccd: Some(format!("0361950001{tail}")),
        phone: Some(format!("09120001{tail}")),
        ..Default::default()
    }
}

/// The options, as the attempt shows them, that answer the even questions of `draw` right and
/// the odd ones wrong, and how many that makes right: a score a test can predict.
pub fn right_on_even(draw: &[DrawnQuestion], bank: &[StoredQuestion]) -> (Vec<usize>, usize) {
    let choices: Vec<usize> = draw
        .iter()
        .enumerate()
        .map(|(pos, d)| {
            let key = bank.iter().find(|q| q.id == d.question_id).unwrap().question.correct;
            let shown = d.order.iter().position(|o| *o == key).unwrap();
            if pos % 2 == 0 { shown } else { (shown + 1) % d.order.len() }
        })
        .collect();
    (choices, draw.len().div_ceil(2))
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
        self.send(with_cookie_and_form(req, cookie, form)).await
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
        let mut req = with_cookie_and_form(Request::builder().method(method).uri(uri), cookie, form);
        let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        self.send(req).await
    }

    /// A console page as the holder of `cookie` sees it from the [`OFFICE`].
    pub async fn get(&self, uri: &str, cookie: &str) -> Reply {
        self.admin(Method::GET, uri, Some(cookie), None, OFFICE).await
    }

    /// A console form sent by the holder of `cookie` from the [`OFFICE`].
    pub async fn post(&self, uri: &str, cookie: &str, form: &[(&str, &str)]) -> Reply {
        self.admin(Method::POST, uri, Some(cookie), Some(form), OFFICE).await
    }

    /// The console's sign-in form sent from `from`, with the session cookie the browser already
    /// holds, if any.
    pub async fn sign_in_form(&self, form: &[(&str, &str)], cookie: Option<&str>, from: &str) -> Reply {
        self.admin(Method::POST, "/admin/dang-nhap", cookie, Some(form), from).await
    }

    /// `who` registered on `slug`, with an attempt started on `round`: their claims and the
    /// attempt's id.
    pub async fn start_attempt(&self, slug: &str, who: &IdentityInput, round: i64) -> (Claims, i64) {
        let session = self.engine.register(slug, who, true, "127.0.0.1").await.unwrap();
        let claims = self.engine.authenticate(&session.token).unwrap();
        (claims, self.engine.start(claims, round).await.unwrap().id)
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
            let r = self.get(page, cookie).await;
            if !r.body.contains("data-progress-url") {
                return r;
            }
            assert!(r.body.contains(r#"<noscript><meta http-equiv="refresh" content="1"></noscript>"#));
            deadline.pause(Duration::from_millis(50)).await;
        }
    }

    /// Creates an account with the tests' authenticator app ([`TOTP_SECRET`]) and signs it in
    /// with a code; returns its session cookie.
    pub async fn staff(&self, username: &str, role: Role, grants: &[(&str, Role, &str)]) -> String {
        let id = self.engine.create_account(username, PASSWORD.into(), role).await.unwrap();
        for (slug, r, unit) in grants {
            let c = self.store.contest_by_slug(slug).await.unwrap().unwrap();
            self.store.insert_grant(id, c.contest.id, r.as_str(), unit, self.engine.now()).await.unwrap();
        }
        self.store.set_totp_secret(id, Some(TOTP_SECRET)).await.unwrap();
        self.sign_in(username, "", OFFICE).await
    }

    /// The code `username`'s authenticator app shows now; empty when it has none.
    pub async fn code(&self, username: &str) -> String {
        let account = self.store.account_by_username(username).await.unwrap().unwrap();
        account.totp_secret.map(|s| Engine::totp_code(&s, self.engine.now()).unwrap()).unwrap_or_default()
    }

    /// Signs `username` in with [`PASSWORD`] from `from` as its owner would: with `code`, or when
    /// it is empty the code its authenticator app shows now; an account without one sets it up
    /// first, as the console makes it. Returns the session cookie.
    pub async fn sign_in(&self, username: &str, code: &str, from: &str) -> String {
        let code = if code.is_empty() { self.code(username).await } else { code.to_string() };
        let r = self.sign_in_form(&[("username", username), ("password", PASSWORD), ("code", &code)], None, from).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{username}: {}", r.body);
        let cookie = r.session().unwrap();
        if code.is_empty() {
            self.set_up_second_factor(username, &cookie).await;
        }
        cookie
    }

    /// Sets up an authenticator app through the console's security page, as a person does at
    /// their first sign-in (the secret read back from the store stands for the QR code).
    pub async fn set_up_second_factor(&self, username: &str, cookie: &str) {
        let r = self.post("/admin/bao-mat/bat-dau", cookie, &[]).await;
        assert_eq!(r.location(), "/admin/bao-mat", "{username}: {}", r.body);
        let account = self.store.account_by_username(username).await.unwrap().unwrap();
        let code = Engine::totp_code(&account.totp_pending.unwrap(), self.engine.now()).unwrap();
        let r = self.post("/admin/bao-mat/xac-nhan", cookie, &[("code", &code)]).await;
        assert_eq!(r.location(), "/admin", "{username}: {}", r.body);
    }
}
