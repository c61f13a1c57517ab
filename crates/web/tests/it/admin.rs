//! The organisers' console through the real router on a real database: every route refused to
//! every role that may not use it, sign-in throttling, session fixation and timeouts, the second
//! factor, a question import with its report, and edits of a contest that has begun.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::Duration;
use cuocthi_engine::Engine;
use cuocthi_engine::console::Role;
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::{App, app};

on_both_backends!(
    every_console_route_refuses_every_role_that_may_not_use_it,
    sign_in_is_throttled_per_account_and_address,
    sessions_are_new_at_sign_in_and_end_on_time,
    system_administrators_need_a_second_factor,
    a_question_file_is_imported_only_after_its_report,
    a_contest_that_has_begun_keeps_what_decides_scores,
    units_and_registered_lists_come_from_spreadsheets,
    study_materials_logo_colour_and_portals,
    published_results_certificates_and_their_check,
    a_contest_is_created_from_the_short_form,
);

const PASSWORD: &str = "mat-khau-du-dai-2025";

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The session cookie this reply sets (`ct_quantri=…`), if any.
    fn session(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("ct_quantri=") && !v.starts_with("ct_quantri=;"))
            .and_then(|v| v.split(';').next())
            .map(str::to_string)
    }
}

fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl App {
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

    async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).to_string() }
    }

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
        let r = self
            .admin(
                Method::POST,
                "/admin/dang-nhap",
                None,
                Some(&[("username", username), ("password", PASSWORD), ("code", &code)]),
                "10.0.0.1",
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{username}: {}", r.body);
        r.session().unwrap()
    }
}

/// Every route the console's source declares, so the table below cannot miss a new one.
fn declared_routes() -> BTreeSet<String> {
    let sources = [
        include_str!("../../src/admin/auth.rs"),
        include_str!("../../src/admin/accounts.rs"),
        include_str!("../../src/admin/contests.rs"),
        include_str!("../../src/admin/bank.rs"),
        include_str!("../../src/admin/people.rs"),
        include_str!("../../src/admin/lists.rs"),
        include_str!("../../src/admin/materials.rs"),
        include_str!("../../src/admin/results.rs"),
    ];
    sources
        .iter()
        .flat_map(|s| s.split(".route(\"").skip(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Who may use a route: `All` signed-in staff, or the named rights.
#[derive(Clone, Copy, Debug)]
enum May {
    Anyone,
    Signed,
    Admin,
    /// Roles on the contest (a system administrator always may).
    Roles(&'static [Role]),
}

async fn every_console_route_refuses_every_role_that_may_not_use_it(db: TestDb) {
    use Role::*;
    let app = app(db).await;
    let other = "chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023";
    let cast = vec![
        ("admin", app.staff("quantri", SystemAdmin, &[]).await, None),
        ("organiser", app.staff("btc", Viewer, &[("thi-thu", Organiser, "")]).await, Some(Organiser)),
        ("judge", app.staff("giamkhao", Viewer, &[("thi-thu", Judge, "")]).await, Some(Judge)),
        ("secretariat", app.staff("thuky", Viewer, &[("thi-thu", Secretariat, "")]).await, Some(Secretariat)),
        ("coordinator", app.staff("daumoi", Viewer, &[("thi-thu", UnitCoordinator, "X")]).await, Some(UnitCoordinator)),
        ("viewer", app.staff("xem", Viewer, &[("thi-thu", Viewer, "")]).await, Some(Viewer)),
        ("elsewhere", app.staff("btc-khac", Viewer, &[(other, Organiser, "")]).await, None),
    ];
    let question =
        app.store.bank(app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().contest.id).await.unwrap()[0].id;
    let everyone_on_contest: &[Role] = &[Organiser, Judge, Secretariat, UnitCoordinator, Viewer];
    let bank_readers: &[Role] = &[Organiser, Judge, Secretariat];
    let bank_editors: &[Role] = &[Organiser, Secretariat];
    let organisers: &[Role] = &[Organiser];
    let auditors: &[Role] = &[Organiser, Judge];
    let q = question.to_string();
    let table: Vec<(Method, &str, String, May)> = vec![
        (Method::GET, "/admin/dang-nhap", "/admin/dang-nhap".into(), May::Anyone),
        (Method::POST, "/admin/dang-nhap", "/admin/dang-nhap".into(), May::Anyone),
        (Method::GET, "/admin/bao-mat", "/admin/bao-mat".into(), May::Signed),
        (Method::POST, "/admin/bao-mat/bat-dau", "/admin/bao-mat/bat-dau".into(), May::Signed),
        (Method::POST, "/admin/bao-mat/xac-nhan", "/admin/bao-mat/xac-nhan".into(), May::Signed),
        (Method::POST, "/admin/bao-mat/mat-khau", "/admin/bao-mat/mat-khau".into(), May::Signed),
        (Method::GET, "/admin", "/admin".into(), May::Signed),
        (Method::GET, "/admin/tai-khoan", "/admin/tai-khoan".into(), May::Admin),
        (Method::POST, "/admin/tai-khoan", "/admin/tai-khoan".into(), May::Admin),
        (Method::POST, "/admin/tai-khoan/{id}/khoa", "/admin/tai-khoan/999/khoa".into(), May::Admin),
        (Method::GET, "/admin/nhat-ky", "/admin/nhat-ky".into(), May::Admin),
        (Method::GET, "/admin/nhat-ky.csv", "/admin/nhat-ky.csv".into(), May::Admin),
        (Method::GET, "/admin/cuoc-thi/moi", "/admin/cuoc-thi/moi".into(), May::Admin),
        (Method::POST, "/admin/cuoc-thi", "/admin/cuoc-thi".into(), May::Admin),
        (Method::GET, "/admin/cuoc-thi/{slug}", "/admin/cuoc-thi/thi-thu".into(), May::Roles(everyone_on_contest)),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/dinh-nghia",
            "/admin/cuoc-thi/thi-thu/dinh-nghia".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/dinh-nghia",
            "/admin/cuoc-thi/thi-thu/dinh-nghia".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/dot/{number}/mo",
            "/admin/cuoc-thi/thi-thu/dot/1/mo".into(),
            May::Roles(organisers),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/nhan-su",
            "/admin/cuoc-thi/thi-thu/nhan-su".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/nhan-su",
            "/admin/cuoc-thi/thi-thu/nhan-su".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/nhan-su/{id}/xoa",
            "/admin/cuoc-thi/thi-thu/nhan-su/999/xoa".into(),
            May::Roles(organisers),
        ),
        (Method::GET, "/admin/cuoc-thi/{slug}/nhat-ky", "/admin/cuoc-thi/thi-thu/nhat-ky".into(), May::Roles(auditors)),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/nhat-ky.csv",
            "/admin/cuoc-thi/thi-thu/nhat-ky.csv".into(),
            May::Roles(auditors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/cau-hoi",
            "/admin/cuoc-thi/thi-thu/cau-hoi".into(),
            May::Roles(bank_readers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/cau-hoi",
            "/admin/cuoc-thi/thi-thu/cau-hoi".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/cau-hoi.csv",
            "/admin/cuoc-thi/thi-thu/cau-hoi.csv".into(),
            May::Roles(bank_readers),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/cau-hoi.xlsx",
            "/admin/cuoc-thi/thi-thu/cau-hoi.xlsx".into(),
            May::Roles(bank_readers),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/cau-hoi/moi",
            "/admin/cuoc-thi/thi-thu/cau-hoi/moi".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/cau-hoi/{id}",
            format!("/admin/cuoc-thi/thi-thu/cau-hoi/{q}"),
            May::Roles(bank_readers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/cau-hoi/{id}",
            format!("/admin/cuoc-thi/thi-thu/cau-hoi/{q}"),
            May::Roles(bank_editors),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/cau-hoi/{id}/trang-thai",
            format!("/admin/cuoc-thi/thi-thu/cau-hoi/{q}/trang-thai"),
            May::Roles(bank_editors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/nhap-cau-hoi",
            "/admin/cuoc-thi/thi-thu/nhap-cau-hoi".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/nhap-cau-hoi",
            "/admin/cuoc-thi/thi-thu/nhap-cau-hoi".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}/xac-nhan",
            "/admin/cuoc-thi/thi-thu/nhap-cau-hoi/999/xac-nhan".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/thi-sinh",
            "/admin/cuoc-thi/thi-thu/thi-sinh".into(),
            May::Roles(everyone_on_contest),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/thi-sinh/gop",
            "/admin/cuoc-thi/thi-thu/thi-sinh/gop".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/thi-sinh/{id}",
            "/admin/cuoc-thi/thi-thu/thi-sinh/999".into(),
            May::Roles(everyone_on_contest),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/don-vi",
            "/admin/cuoc-thi/thi-thu/don-vi".into(),
            May::Roles(everyone_on_contest),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/don-vi",
            "/admin/cuoc-thi/thi-thu/don-vi".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/loai-tru",
            "/admin/cuoc-thi/thi-thu/loai-tru".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/don-vi/{code}/danh-sach",
            "/admin/cuoc-thi/thi-thu/don-vi/X/danh-sach".into(),
            May::Roles(&[Organiser, UnitCoordinator]),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/tai-lieu",
            "/admin/cuoc-thi/thi-thu/tai-lieu".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/tai-lieu",
            "/admin/cuoc-thi/thi-thu/tai-lieu".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/tai-lieu/{id}/xoa",
            "/admin/cuoc-thi/thi-thu/tai-lieu/999/xoa".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/bieu-trung",
            "/admin/cuoc-thi/thi-thu/bieu-trung".into(),
            May::Roles(organisers),
        ),
        (Method::GET, "/admin/cuoc-thi/{slug}/ket-qua", "/admin/cuoc-thi/thi-thu/ket-qua".into(), May::Roles(auditors)),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/ket-qua/cong-bo",
            "/admin/cuoc-thi/thi-thu/ket-qua/cong-bo".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/ket-qua/kiem-tra",
            "/admin/cuoc-thi/thi-thu/ket-qua/kiem-tra".into(),
            May::Roles(auditors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/ket-qua/{ranking}/chung-nhan.pdf",
            "/admin/cuoc-thi/thi-thu/ket-qua/999/chung-nhan.pdf".into(),
            May::Roles(auditors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/ket-qua.xlsx",
            "/admin/cuoc-thi/thi-thu/ket-qua.xlsx?dot=1".into(),
            May::Roles(auditors),
        ),
        (Method::POST, "/admin/dang-xuat", "/admin/dang-xuat".into(), May::Signed),
    ];
    let uploads = ["/nhap-cau-hoi", "/don-vi", "/loai-tru", "/danh-sach", "/tai-lieu", "/bieu-trung"];
    let listed: BTreeSet<String> = table.iter().map(|(_, pattern, _, _)| pattern.to_string()).collect();
    assert_eq!(listed, declared_routes(), "the table must name every console route");

    for (method, _, uri, may) in &table {
        // Anonymous visitors are sent to sign in, except on the sign-in page itself.
        let r = app.admin(method.clone(), uri, None, Some(&[]), "10.0.0.9").await;
        match may {
            May::Anyone => assert_ne!(r.status, StatusCode::FORBIDDEN, "{method} {uri} anonymous"),
            _ => assert_eq!(
                (r.status, r.location()),
                (StatusCode::SEE_OTHER, "/admin/dang-nhap"),
                "{method} {uri} anonymous"
            ),
        }
        for (who, cookie, role) in &cast {
            if *method == Method::POST && uri.ends_with("/dang-xuat") {
                continue; // Signing out is tried last, once for everyone.
            }
            let r = if *method == Method::POST && uploads.iter().any(|u| uri.ends_with(u)) {
                app.upload(uri, cookie, "cau-hoi.csv", "Câu hỏi,A,B,C,Đáp án\n".as_bytes()).await
            } else {
                app.admin(method.clone(), uri, Some(cookie), Some(&[]), "10.0.0.1").await
            };
            let allowed = match may {
                May::Anyone | May::Signed => true,
                May::Admin => *who == "admin",
                May::Roles(roles) => *who == "admin" || role.is_some_and(|r| roles.contains(&r)),
            };
            if allowed {
                assert!(
                    r.status != StatusCode::FORBIDDEN
                        && !(r.status == StatusCode::SEE_OTHER && r.location() == "/admin/dang-nhap"),
                    "{who} may use {method} {uri}, got {} {}",
                    r.status,
                    r.location()
                );
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} may not use {method} {uri}: {}", r.body);
                assert!(r.body.contains("Bạn không có quyền truy cập nội dung này."), "{who} {uri}: a Vietnamese page");
            }
        }
    }
    for (who, cookie, _) in &cast {
        let r = app.admin(Method::POST, "/admin/dang-xuat", Some(cookie), Some(&[]), "10.0.0.1").await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/admin/dang-nhap"), "{who}");
        let r = app.admin(Method::GET, "/admin", Some(cookie), None, "10.0.0.1").await;
        assert_eq!(r.location(), "/admin/dang-nhap", "{who}: the session ended");
    }
}

async fn sign_in_is_throttled_per_account_and_address(db: TestDb) {
    let app = app(db).await;
    app.engine.create_account("btc", PASSWORD.into(), Role::Viewer).await.unwrap();
    let try_from = |password: &'static str, from: &'static str| {
        let app = &app;
        async move {
            app.admin(
                Method::POST,
                "/admin/dang-nhap",
                None,
                Some(&[("username", "btc"), ("password", password)]),
                from,
            )
            .await
        }
    };
    for _ in 0..5 {
        let r = try_from("doan-mo-sai-123", "203.0.113.7").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Tên đăng nhập hoặc mật khẩu không đúng."));
    }
    // After five failures each try waits; while waiting even the right password is not tried.
    let r = try_from(PASSWORD, "203.0.113.7").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("Đăng nhập sai nhiều lần; hãy thử lại sau"));
    assert!(r.headers.get(header::RETRY_AFTER).is_some());
    // The real user elsewhere is not locked out by the attacker.
    let r = try_from(PASSWORD, "198.51.100.20").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // After the wait the right password works from the attacker's address too, and clears it.
    app.clock.advance(Duration::seconds(3));
    let r = try_from(PASSWORD, "203.0.113.7").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The waits double with each further failure.
    for _ in 0..8 {
        try_from("doan-mo-sai-123", "203.0.113.8").await;
        app.clock.advance(Duration::seconds(600));
    }
    let t = app.store.throttle("u:btc|a:203.0.113.8").await.unwrap().unwrap();
    assert_eq!(t.failures, 8);
    assert_eq!(t.blocked_until - t.updated_at, 8_000, "1, 2, 4, 8 s after the 5 free failures");
}

async fn sessions_are_new_at_sign_in_and_end_on_time(db: TestDb) {
    let app = app(db).await;
    app.engine.create_account("btc", PASSWORD.into(), Role::Viewer).await.unwrap();
    // A session id planted before sign-in (session fixation) is never the one given after.
    let planted = "ct_quantri=ke-tan-cong-chon-san";
    let r = app
        .admin(
            Method::POST,
            "/admin/dang-nhap",
            Some(planted),
            Some(&[("username", "btc"), ("password", PASSWORD)]),
            "10.0.0.1",
        )
        .await;
    let cookie = r.session().unwrap();
    assert_ne!(cookie, planted);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(set.contains(attr), "{set}");
    }
    assert_eq!(app.admin(Method::GET, "/admin", Some(planted), None, "10.0.0.1").await.location(), "/admin/dang-nhap");
    assert_eq!(app.admin(Method::GET, "/admin", Some(&cookie), None, "10.0.0.1").await.status, StatusCode::OK);
    assert_eq!(app.admin(Method::GET, "/admin/dang-nhap", Some(&cookie), None, "10.0.0.1").await.location(), "/admin");
    // Signing in again gives yet another id; both stay valid until signed out.
    let again = app
        .admin(
            Method::POST,
            "/admin/dang-nhap",
            Some(&cookie),
            Some(&[("username", "btc"), ("password", PASSWORD)]),
            "10.0.0.1",
        )
        .await
        .session()
        .unwrap();
    assert_ne!(again, cookie);
    // Idle for 31 minutes: the session is over.
    app.clock.advance(Duration::minutes(31));
    let r = app.admin(Method::GET, "/admin", Some(&cookie), None, "10.0.0.1").await;
    assert_eq!(r.location(), "/admin/dang-nhap");
    // Active every 20 minutes: still over after 12 hours.
    let cookie = app
        .admin(Method::POST, "/admin/dang-nhap", None, Some(&[("username", "btc"), ("password", PASSWORD)]), "10.0.0.1")
        .await
        .session()
        .unwrap();
    for _ in 0..35 {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(app.admin(Method::GET, "/admin", Some(&cookie), None, "10.0.0.1").await.status, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(20));
    assert_eq!(app.admin(Method::GET, "/admin", Some(&cookie), None, "10.0.0.1").await.location(), "/admin/dang-nhap");
}

async fn system_administrators_need_a_second_factor(db: TestDb) {
    let app = app(db).await;
    let id = app.engine.create_account("quantri", PASSWORD.into(), Role::SystemAdmin).await.unwrap();
    let sign_in = |code: String| {
        let app = &app;
        async move {
            app.admin(
                Method::POST,
                "/admin/dang-nhap",
                None,
                Some(&[("username", "quantri"), ("password", PASSWORD), ("code", &code)]),
                "10.0.0.1",
            )
            .await
        }
    };
    let cookie = sign_in(String::new()).await.session().unwrap();
    // Until a second factor is set up, every page leads to setting it up.
    for uri in ["/admin", "/admin/tai-khoan", "/admin/cuoc-thi/thi-thu"] {
        assert_eq!(
            app.admin(Method::GET, uri, Some(&cookie), None, "10.0.0.1").await.location(),
            "/admin/bao-mat",
            "{uri}"
        );
    }
    let r = app.admin(Method::POST, "/admin/bao-mat/bat-dau", Some(&cookie), Some(&[]), "10.0.0.1").await;
    assert_eq!(r.location(), "/admin/bao-mat");
    let page = app.admin(Method::GET, "/admin/bao-mat", Some(&cookie), None, "10.0.0.1").await.body;
    assert!(page.contains("data:image/svg+xml;base64,"), "a QR code to scan");
    let secret = app.store.account(id).await.unwrap().unwrap().totp_pending.unwrap();
    assert!(page.contains(&secret));
    let r = app
        .admin(Method::POST, "/admin/bao-mat/xac-nhan", Some(&cookie), Some(&[("code", "000000")]), "10.0.0.1")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Mã xác thực không đúng"));
    let code = Engine::totp_code(&secret, app.engine.now()).unwrap();
    let r =
        app.admin(Method::POST, "/admin/bao-mat/xac-nhan", Some(&cookie), Some(&[("code", &code)]), "10.0.0.1").await;
    assert_eq!(r.location(), "/admin");
    assert_eq!(
        app.admin(Method::GET, "/admin/tai-khoan", Some(&cookie), None, "10.0.0.1").await.status,
        StatusCode::OK
    );

    // From now on the password alone is not enough, and a code is good once.
    app.clock.advance(Duration::seconds(30));
    let r = sign_in(String::new()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Nhập mã xác thực 6 số"));
    let code = Engine::totp_code(&secret, app.engine.now()).unwrap();
    assert_eq!(sign_in(code.clone()).await.status, StatusCode::SEE_OTHER);
    let r = sign_in(code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a code seen once cannot open a second session");
    assert!(r.body.contains("đã được dùng"));
    // A lost phone: the server's administrator removes the second factor; it is set up again.
    app.engine.reset_second_factor("quantri").await.unwrap();
    let r = sign_in(String::new()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r.session().unwrap();
    assert_eq!(app.admin(Method::GET, "/admin", Some(&cookie), None, "10.0.0.1").await.location(), "/admin/bao-mat");
}

async fn a_question_file_is_imported_only_after_its_report(db: TestDb) {
    let app = app(db).await;
    let cookie = app.staff("thuky", Role::Viewer, &[("thi-thu", Role::Secretariat, "")]).await;
    let contest = app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().contest.id;
    let before = app.store.bank(contest).await.unwrap().len();
    let csv = "Chủ đề,Câu hỏi,A,B,C,D,Đáp án\n\
        An toàn,Mật khẩu nào mạnh nhất?,123456,Abc@2024!xY,qwerty,,B\n\
        An toàn,Câu thiếu đáp án,Một,Hai,Ba,,\n\
        Pháp luật,Luật An ninh mạng được thông qua năm nào?,2016,2017,2018,2019,C\n";
    let r = app.upload("/admin/cuoc-thi/thi-thu/nhap-cau-hoi", &cookie, "ngan-hang.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Đã đọc 3 câu hỏi: <strong>2</strong> câu hợp lệ sẽ được nhập, 1 câu có lỗi"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Dòng 3") && r.body.contains("Chưa chỉ ra đáp án đúng."), "the bad row and why");
    assert_eq!(app.store.bank(contest).await.unwrap().len(), before, "nothing imported before confirmation");
    let staged = r.body.split("/nhap-cau-hoi/").nth(1).and_then(|s| s.split('/').next()).unwrap().to_string();
    let confirm = format!("/admin/cuoc-thi/thi-thu/nhap-cau-hoi/{staged}/xac-nhan");
    // Without agreeing to leave the bad row out, nothing is imported.
    let r = app.admin(Method::POST, &confirm, Some(&cookie), Some(&[]), "10.0.0.1").await;
    assert!(r.body.contains("hãy đánh dấu bỏ qua các câu lỗi"), "{}", r.body);
    assert_eq!(app.store.bank(contest).await.unwrap().len(), before);
    let r = app.admin(Method::POST, &confirm, Some(&cookie), Some(&[("skip_invalid", "1")]), "10.0.0.1").await;
    // Redirected, so a reload cannot confirm twice; the bank page says what was done.
    assert_eq!(r.location(), "/admin/cuoc-thi/thi-thu/cau-hoi?da-nhap=2");
    let r = app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/cau-hoi?da-nhap=2", Some(&cookie), None, "10.0.0.1").await;
    assert!(r.body.contains("Đã nhập 2 câu hỏi vào ngân hàng."), "{}", r.body);
    // Typing the same question by hand is refused, naming its twin.
    let twin = [
        ("topic", "Pháp luật"),
        ("stem", "Luật An ninh mạng được thông qua năm nào?"),
        ("opt_A", "2016"),
        ("opt_B", "2017"),
        ("opt_C", "2018"),
        ("opt_D", "2019"),
        ("correct", "C"),
    ];
    let r = app.admin(Method::POST, "/admin/cuoc-thi/thi-thu/cau-hoi", Some(&cookie), Some(&twin), "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Câu hỏi này đã có trong ngân hàng (câu #"), "{}", r.body);
    // An image is not taken for a CSV saved in the wrong encoding.
    let r = app
        .upload("/admin/cuoc-thi/thi-thu/nhap-cau-hoi", &cookie, "anh.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0")
        .await;
    assert!(r.body.contains("Không nhận ra định dạng tệp"), "{}", r.body);
    assert!(!r.body.contains("Đã đọc"), "no counts for a file that could not be read");
    assert_eq!(app.store.bank(contest).await.unwrap().len(), before + 2);
    // The same file again: both questions are duplicates of the bank now.
    let r = app.upload("/admin/cuoc-thi/thi-thu/nhap-cau-hoi", &cookie, "ngan-hang.csv", csv.as_bytes()).await;
    assert!(r.body.contains("<strong>0</strong> câu hợp lệ sẽ được nhập, 1 câu có lỗi, 2 câu trùng"), "{}", r.body);
    // A staged file is the uploader's own.
    let other = app.staff("thuky2", Role::Viewer, &[("thi-thu", Role::Secretariat, "")]).await;
    let r = app.admin(Method::POST, &confirm, Some(&other), Some(&[("skip_invalid", "1")]), "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Searching without marks finds the new question; the import is in the audit log.
    let r = app
        .admin(Method::GET, "/admin/cuoc-thi/thi-thu/cau-hoi?q=luat+an+ninh+mang", Some(&cookie), None, "10.0.0.1")
        .await;
    assert!(r.body.contains("Luật An ninh mạng được thông qua năm nào?"), "{}", r.body);
    let log = app
        .store
        .audit_entries(&cuocthi_store::AuditFilter { contest_id: Some(contest), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert!(
        log.iter().any(|e| e.action == "question.import" && e.actor == "thuky" && e.detail.contains("\"imported\":2"))
    );
    let check = app.engine.verify_audit_chain().await.unwrap().unwrap();
    assert!(check.entries >= 3);
}

async fn a_contest_that_has_begun_keeps_what_decides_scores(db: TestDb) {
    let app = app(db).await;
    let cookie = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let page = app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/dinh-nghia", Some(&cookie), None, "10.0.0.1").await.body;
    let source = page.split("spellcheck=\"false\">").nth(1).unwrap().split("</textarea>").next().unwrap();
    let source = source
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let source = source.replace("&#60;", "<").replace("&#62;", ">").replace("&#38;", "&");
    assert!(source.contains("time_limit_minutes = 20"), "{source}");
    // The round has opened: a longer time limit would be unfair to those who already took part.
    let unfair = source.replace("time_limit_minutes = 20", "time_limit_minutes = 25");
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/thi-thu/dinh-nghia",
            Some(&cookie),
            Some(&[("source", &unfair), ("reason", "thử")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("đã mở: không được đổi thời gian làm bài"), "{}", r.body);
    // A new title is fine, and recorded with its reason.
    let retitled = source.replace("Thi thử: Tìm hiểu", "Thi thử (bản sửa): Tìm hiểu");
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/thi-thu/dinh-nghia",
            Some(&cookie),
            Some(&[("source", &retitled), ("reason", "Sửa tên theo Kế hoạch")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.location(), "/admin/cuoc-thi/thi-thu", "{}", r.body);
    let public = app.admin(Method::GET, "/cuoc-thi/thi-thu", None, None, "10.0.0.1").await.body;
    assert!(public.contains("Thi thử (bản sửa)"), "the participant page shows the new title at once");
    let contest = app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().contest.id;
    let log = app
        .store
        .audit_entries(&cuocthi_store::AuditFilter {
            contest_id: Some(contest),
            action_prefix: Some("contest.".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].detail.contains("Sửa tên theo Kế hoạch") && log[0].detail.contains("bản sửa"));
}

async fn units_and_registered_lists_come_from_spreadsheets(db: TestDb) {
    let app = app(db).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let units = "DANH SÁCH ĐƠN VỊ\nMã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Số cán bộ\nSGD,Sở Giáo dục và Đào tạo,,40\nTHPT1,Trường THPT Chuyên,SGD,\"1.200\"\nCA,Công an tỉnh,,900\n";
    let r = app.upload("/admin/cuoc-thi/thi-thu/don-vi", &organiser, "don-vi.csv", units.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã nhập 3 đơn vị."));
    assert!(
        r.body.contains("— Trường THPT Chuyên") && r.body.contains("1.200"),
        "sub-units indented, headcounts shown"
    );
    let bad = "Mã đơn vị,Tên đơn vị,Số cán bộ\nX,,mười\n";
    let r = app.upload("/admin/cuoc-thi/thi-thu/don-vi", &organiser, "don-vi.csv", bad.as_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Dòng 2: thiếu mã hoặc tên đơn vị."), "{}", r.body);
    assert!(r.body.contains("Sở Giáo dục và Đào tạo"), "the old tree stays");

    // The coordinator of the department uploads the list of a school under it, not of the police.
    app.engine.create_account("daumoi", PASSWORD.into(), Role::Viewer).await.unwrap();
    let contest = app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().contest.id;
    let account = app.store.account_by_username("daumoi").await.unwrap().unwrap().id;
    app.store.insert_grant(account, contest, "unit_coordinator", "SGD", app.engine.now()).await.unwrap();
    let r = app
        .admin(
            Method::POST,
            "/admin/dang-nhap",
            None,
            Some(&[("username", "daumoi"), ("password", PASSWORD)]),
            "10.0.0.2",
        )
        .await;
    let coordinator = r.session().unwrap();
    let list = "Họ và tên,Số CCCD\nNguyễn Thị Hoa,036195000123\nLê Văn Nam,001090123456\n";
    let r = app.upload("/admin/cuoc-thi/thi-thu/don-vi/THPT1/danh-sach", &coordinator, "ds.csv", list.as_bytes()).await;
    assert!(r.body.contains("Đơn vị THPT1: danh sách đăng ký nay có 2 người."), "{}", r.body);
    assert!(!r.body.contains("Công an tỉnh"), "a coordinator sees their own units only");
    let r = app.upload("/admin/cuoc-thi/thi-thu/don-vi/CA/danh-sach", &coordinator, "ds.csv", list.as_bytes()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The same person cannot be on two units' lists.
    let r = app.upload("/admin/cuoc-thi/thi-thu/don-vi/CA/danh-sach", &organiser, "ds.csv", list.as_bytes()).await;
    assert!(r.body.contains("đã có trong danh sách của đơn vị THPT1"), "{}", r.body);
    // Exclusions: read from the CCCD column, normalised.
    let r = app
        .upload(
            "/admin/cuoc-thi/thi-thu/loai-tru",
            &organiser,
            "loai-tru.csv",
            "STT,Số CCCD\n1,001 090 999 888\n".as_bytes(),
        )
        .await;
    assert!(r.body.contains("nay có 1 số định danh"), "{}", r.body);
    let spec = app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().spec();
    assert_eq!(spec.settings.eligibility.exclusions, vec!["001090999888"]);
    assert_eq!(spec.registered.len(), 2);
    let log = app
        .store
        .audit_entries(&cuocthi_store::AuditFilter { contest_id: Some(contest), limit: 20, ..Default::default() })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"contest.units")
            && actions.contains(&"unit.registered")
            && actions.contains(&"contest.exclusions"),
        "{actions:?}"
    );
}

async fn study_materials_logo_colour_and_portals(db: TestDb) {
    let app = app(db).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let upload = |title: &'static str, name: &'static str, bytes: Vec<u8>| {
        let app = &app;
        let organiser = organiser.clone();
        async move {
            let boundary = "----b";
            let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").into_bytes();
            body.extend_from_slice(&bytes);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let req = Request::post("/admin/cuoc-thi/thi-thu/tai-lieu")
                .header(header::COOKIE, organiser)
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .body(Body::from(body))
                .unwrap();
            app.send(req).await
        }
    };
    let r = upload("Tài liệu: Luật An ninh mạng 2018", "luat.pdf", pdf.to_vec()).await;
    assert!(r.body.contains("Đã thêm tài liệu"), "{}", r.body);
    // A file is known by its content, not its name.
    let r = upload("Giả mạo", "virus.pdf", b"MZ\x90\x00 not a pdf".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Chỉ nhận tài liệu PDF hoặc Word (.docx)."));
    let r =
        app.upload("/admin/cuoc-thi/thi-thu/bieu-trung", &organiser, "logo.svg", b"<svg onload=\"alert(1)\"/>").await;
    assert!(r.body.contains("Biểu trưng cần là ảnh PNG hoặc JPEG."), "{}", r.body);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let r = app.upload("/admin/cuoc-thi/thi-thu/bieu-trung", &organiser, "logo.png", &png).await;
    assert!(r.body.contains("Đã đặt biểu trưng."), "{}", r.body);

    // The contest page offers the material for download, shows the logo and uses it as og:image.
    let page = app.admin(Method::GET, "/cuoc-thi/thi-thu", None, None, "10.0.0.1").await.body;
    assert!(page.contains("Tài liệu tham khảo") && page.contains("Tài liệu: Luật An ninh mạng 2018"), "{page}");
    assert!(page.contains("download=\"tai-lieu-luat-an-ninh-mang-2018.pdf\""));
    assert!(page.contains("property=\"og:image\""));
    let href = page.split("href=\"/cuoc-thi/thi-thu/tai-lieu/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = app.admin(Method::GET, &format!("/cuoc-thi/thi-thu/tai-lieu/{href}"), None, None, "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    assert_eq!(
        r.headers.get(header::CONTENT_DISPOSITION).unwrap(),
        "attachment; filename=\"tai-lieu-luat-an-ninh-mang-2018.pdf\""
    );
    assert!(r.body.starts_with("%PDF-1.4"));
    // Another contest's slug does not reach this contest's files.
    let other = app
        .admin(
            Method::GET,
            &format!("/cuoc-thi/chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023/tai-lieu/{href}"),
            None,
            None,
            "10.0.0.1",
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // Colour and portals from the definition: a bad colour is refused with its place.
    let page =
        app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/dinh-nghia", Some(&organiser), None, "10.0.0.1").await.body;
    let source = page.split("spellcheck=\"false\">").nth(1).unwrap().split("</textarea>").next().unwrap();
    let source = source
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&");
    let (head, rest) = source.split_once("\n[").unwrap();
    let bad = format!("{head}\naccent_colour = \"đỏ\"\n[{rest}");
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/thi-thu/dinh-nghia",
            Some(&organiser),
            Some(&[("source", &bad), ("reason", "màu")]),
            "10.0.0.1",
        )
        .await;
    assert!(r.body.contains("accent_colour: Màu"), "{}", r.body);
    let register = app.admin(Method::GET, "/cuoc-thi/thi-thu/dang-ky", None, None, "10.0.0.1").await.body;
    assert!(
        register.contains("12 tháng kể từ ngày công bố kết quả cuộc thi"),
        "the default retention until organisers set theirs"
    );
    let good = format!(
        "{head}\naccent_colour = \"#0b5394\"\nportal_origins = [\"https://congthongtin.tinh.gov.vn\"]\ndata_retention = \"24 tháng kể từ ngày kết thúc cuộc thi\"\n[{rest}"
    );
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/thi-thu/dinh-nghia",
            Some(&organiser),
            Some(&[("source", &good), ("reason", "Giao diện theo cổng tỉnh")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.location(), "/admin/cuoc-thi/thi-thu", "{}", r.body);
    let r = app.admin(Method::GET, "/cuoc-thi/thi-thu", None, None, "10.0.0.1").await;
    assert!(r.body.contains("/cuoc-thi/thi-thu/giao-dien.css"));
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'self' https://congthongtin.tinh.gov.vn"), "{csp}");
    let register = app.admin(Method::GET, "/cuoc-thi/thi-thu/dang-ky", None, None, "10.0.0.1").await.body;
    assert!(register.contains("24 tháng kể từ ngày kết thúc cuộc thi"), "the consent names the organiser's retention");
    let css = app.admin(Method::GET, "/cuoc-thi/thi-thu/giao-dien.css", None, None, "10.0.0.1").await.body;
    assert_eq!(css, ":root{--accent:#0b5394}\n");
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils; scripts/ensure-pdf-tools installs it)");
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn published_results_certificates_and_their_check(db: TestDb) {
    use cuocthi_domain::vntime;
    let app = app(db).await;
    let now = app.engine.now();
    let source = format!(
        r#"slug = "ket-qua-thu"
title = "Cuộc thi “Tìm hiểu pháp luật” năm 2026"
organiser = "Sở Tư pháp tỉnh Tuyên Quang"
question_bank = "bank.csv"

[certificate]
heading = "UBND TỈNH TUYÊN QUANG\nBAN TỔ CHỨC CUỘC THI"
place = "Tuyên Quang"
signatory_title = "TM. BAN TỔ CHỨC\nTRƯỞNG BAN"
signatory_name = "Hoàng Văn Thái"

[[rounds]]
name = "Tuần 1"
opens = "{}"
closes = "{}"
questions_per_attempt = 10
time_limit_minutes = 10
attempts_per_person = 1
tiebreak = {{ prompt = "Dự đoán số người tham gia?", predicts = "people" }}
prizes = [{{ name = "Giải Nhất", count = 1, amount_vnd = 2000000 }}, {{ name = "Giải Nhì", count = 1, amount_vnd = 1000000 }}]
"#,
        vntime::format(now - Duration::hours(1)),
        vntime::format(now + Duration::hours(1))
    );
    app.engine.import_contest(&source, Some(("bank.csv", cuocthi_engine::demo::DEMO_BANK))).await.unwrap();
    let round = app.engine.contest("ket-qua-thu").await.unwrap().rounds[0].id;
    let names = ["Nguyễn Thị Thu Hằng", "Trần Văn Bình", "Lê Hoàng Yến"];
    for (i, name) in names.iter().enumerate() {
        let who = cuocthi_domain::identity::IdentityInput {
            full_name: Some(name.to_string()),
            date_of_birth: Some("02/09/1995".into()),
            cccd: Some(format!("03619500012{i}")),
            phone: Some(format!("091200012{i}")),
            ..Default::default()
        };
        let s = app.engine.register("ket-qua-thu", &who, true).await.unwrap();
        let claims = app.engine.authenticate(&s.token).unwrap();
        let a = app.engine.start(claims, round).await.unwrap();
        // The first person answers more questions than the second, the third none.
        for pos in 0..(2 - i) * 5 {
            app.engine.save_answer(claims, a.id, pos, Some(0)).await.unwrap();
        }
        app.clock.advance(Duration::seconds(20));
        app.engine.submit(claims, a.id, None).await.unwrap();
    }
    let organiser = app.staff("btc", Role::Viewer, &[("ket-qua-thu", Role::Organiser, "")]).await;
    // Not before the round closes.
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/ket-qua-thu/ket-qua/cong-bo",
            Some(&organiser),
            Some(&[("dot", "1")]),
            "10.0.0.1",
        )
        .await;
    assert!(r.body.contains("Chỉ công bố kết quả sau khi đợt thi kết thúc."), "{}", r.body);
    app.clock.advance(Duration::hours(2));
    // Two hours idle ended the session: sign in again.
    let organiser = app
        .admin(Method::POST, "/admin/dang-nhap", None, Some(&[("username", "btc"), ("password", PASSWORD)]), "10.0.0.1")
        .await
        .session()
        .unwrap();
    let judge = app.staff("giamkhao", Role::Viewer, &[("ket-qua-thu", Role::Judge, "")]).await;
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/ket-qua-thu/ket-qua/cong-bo",
            Some(&judge),
            Some(&[("dot", "1")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "judges check, organisers publish");
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/ket-qua-thu/ket-qua/cong-bo",
            Some(&organiser),
            Some(&[("dot", "1")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua", "{}", r.body);

    // The public page: winners with unit, locality and prize, never CCCD or phone.
    let page = app.admin(Method::GET, "/cuoc-thi/ket-qua-thu/ket-qua", None, None, "10.0.0.9").await.body;
    assert!(page.contains("Giải Nhất") && page.contains("Giải Nhì"), "{page}");
    assert_eq!(names.iter().filter(|n| page.contains(*n)).count(), 2, "two prizes, two winners");
    assert!(!page.contains("036195000120") && !page.contains("0912000120"), "no personal data");
    let serial = page.split("href=\"/chung-nhan/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let check = app.admin(Method::GET, &format!("/chung-nhan/{serial}"), None, None, "10.0.0.9").await;
    assert!(check.body.contains("Giấy chứng nhận hợp lệ") && check.body.contains("Giải Nhất"), "{}", check.body);
    let winner = *names.iter().find(|n| check.body.contains(*n)).unwrap();
    let forged = format!("{}0", &serial[..serial.len() - 1]);
    let forged = if forged == serial { format!("{}1", &serial[..serial.len() - 1]) } else { forged };
    assert_eq!(
        app.admin(Method::GET, &format!("/chung-nhan/{forged}"), None, None, "10.0.0.9").await.status,
        StatusCode::NOT_FOUND
    );

    // The certificate itself: the Vietnamese name extracted intact by a real PDF tool.
    let req = Request::get(format!("/chung-nhan/{serial}/giay-chung-nhan.pdf")).body(Body::empty()).unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers().get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    let pdf = resp.into_body().collect().await.unwrap().to_bytes();
    let text = pdf_text(&pdf);
    for want in [winner, "Giải Nhất", "Tuần 1", "UBND TỈNH TUYÊN QUANG", "Hoàng Văn Thái", "GIẤY CHỨNG NHẬN"]
    {
        assert!(text.contains(want), "{want} in {text}");
    }
    // Every certificate of the round at once, a page each.
    let ranking = serial.split('-').next().unwrap();
    let req = Request::get(format!("/admin/cuoc-thi/ket-qua-thu/ket-qua/{ranking}/chung-nhan.pdf"))
        .header(header::COOKIE, &judge)
        .body(Body::empty())
        .unwrap();
    let pdf = app.router.clone().oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes();
    let text = pdf_text(&pdf);
    assert_eq!(names.iter().filter(|n| text.contains(*n)).count(), 2, "{text}");
    assert_eq!(text.matches("GIẤY CHỨNG NHẬN").count(), 2);

    // The workbook: the whole ranking for judges; the prize list's contact data for organisers only.
    let book = |cookie: String| {
        let app = &app;
        async move {
            let req = Request::get("/admin/cuoc-thi/ket-qua-thu/ket-qua.xlsx?dot=1")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap();
            let bytes = app.router.clone().oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes();
            let mut wb: calamine::Xlsx<_> =
                calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
            use calamine::Reader;
            let rows = |wb: &mut calamine::Xlsx<_>, name: &str| -> Vec<Vec<String>> {
                wb.worksheet_range(name).unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
            };
            (rows(&mut wb, "Xếp hạng"), rows(&mut wb, "Danh sách giải"), wb.sheet_names())
        }
    };
    let (ranking, prizes, sheets) = book(judge.clone()).await;
    assert_eq!(sheets, vec!["Xếp hạng", "Danh sách giải", "Giải tập thể", "Tham gia theo đơn vị"]);
    assert_eq!(ranking.len(), 4, "a heading and everyone ranked: {ranking:?}");
    assert_eq!(ranking[0][..2], ["Hạng".to_string(), "Họ và tên".to_string()]);
    assert_eq!(prizes.len(), 3);
    assert!(!prizes[0].contains(&"Số CCCD".to_string()), "no contact data for judges");
    let (_, prizes, _) = book(organiser.clone()).await;
    assert!(
        prizes[0].contains(&"Số CCCD".to_string()) && prizes[1].iter().any(|c| c.starts_with("03619500012")),
        "{prizes:?}"
    );

    // The judges' check: the publication follows from the raw answers.
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/ket-qua-thu/ket-qua/kiem-tra",
            Some(&judge),
            Some(&[("dot", "1")]),
            "10.0.0.1",
        )
        .await;
    assert!(
        r.body.contains("Đã chấm lại 3 lượt thi") && r.body.contains("Kết quả khớp với bản đã công bố."),
        "{}",
        r.body
    );
}

async fn a_contest_is_created_from_the_short_form(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    let tomorrow = cuocthi_domain::vntime::format(app.engine.now() + Duration::days(1));
    let later = cuocthi_domain::vntime::format(app.engine.now() + Duration::days(8));
    for (slug, tiebreak) in [("co-du-doan", "Dự đoán số người tham gia?"), ("khong-du-doan", "")] {
        let form = [
            ("slug", slug),
            ("title", "Tìm hiểu Luật Phòng cháy, chữa cháy và cứu nạn, cứu hộ"),
            ("organiser", "Công an tỉnh Tuyên Quang"),
            ("round_name", "Đợt 1"),
            ("opens", tomorrow.as_str()),
            ("closes", later.as_str()),
            ("questions_per_attempt", "10"),
            ("time_limit_minutes", "15"),
            ("attempts_per_person", "2"),
            ("tiebreak_prompt", tiebreak),
        ];
        let r = app.admin(Method::POST, "/admin/cuoc-thi", Some(&admin), Some(&form), "10.0.0.1").await;
        assert_eq!(r.location(), format!("/admin/cuoc-thi/{slug}"), "{}", r.body);
    }
    let c = app.engine.contest("khong-du-doan").await.unwrap();
    assert!(c.rounds[0].tiebreak_prompt.is_none());
    // A bad date is reported next to the form, which keeps what was typed.
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi",
            Some(&admin),
            Some(&[("slug", "sai-ngay"), ("title", "X"), ("organiser", "Y"), ("opens", "32/13/2025")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"sai-ngay\"") && r.body.contains("Chưa tạo được cuộc thi"), "{}", r.body);
}
