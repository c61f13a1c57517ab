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
    a_large_question_file_is_read_in_the_background,
    an_administrator_resets_another_accounts_second_factor,
    the_audit_log_names_actions_accounts_and_contests,
    a_contest_that_has_begun_keeps_what_decides_scores,
    units_and_registered_lists_come_from_spreadsheets,
    study_materials_logo_colour_and_portals,
    published_results_certificates_and_their_check,
    a_contest_is_created_from_the_short_form,
    live_statistics_come_from_the_counters,
    a_unit_coordinator_sees_who_has_not_taken_part,
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

/// A request through `router` (a node), read whole.
async fn send_to(router: &axum::Router, req: Request<Body>) -> Reply {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).to_string() }
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
        send_to(&self.router, req).await
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
    async fn follow_reading(&self, page: &str, cookie: &str) -> Reply {
        for _ in 0..600 {
            let r = self.admin(Method::GET, page, Some(cookie), None, "10.0.0.1").await;
            if !r.body.contains("data-progress-url") {
                return r;
            }
            assert!(r.body.contains(r#"<noscript><meta http-equiv="refresh" content="1"></noscript>"#));
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{page}: still reading after 30 s");
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
    // Every file of the console's folder, so that a new file's routes cannot escape the table.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/admin");
    let sources: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
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
        (Method::POST, "/admin/tai-khoan/{id}/go-xac-thuc", "/admin/tai-khoan/999/go-xac-thuc".into(), May::Admin),
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
            Method::GET,
            "/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}",
            "/admin/cuoc-thi/thi-thu/nhap-cau-hoi/999".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}/tien-do",
            "/admin/cuoc-thi/thi-thu/nhap-cau-hoi/999/tien-do".into(),
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
            "/admin/cuoc-thi/{slug}/ket-qua/phe-duyet",
            "/admin/cuoc-thi/thi-thu/ket-qua/phe-duyet".into(),
            May::Roles(organisers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/ket-qua/{ranking}/cong-bo",
            "/admin/cuoc-thi/thi-thu/ket-qua/999/cong-bo".into(),
            May::Roles(organisers),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/thong-ke",
            "/admin/cuoc-thi/thi-thu/thong-ke".into(),
            May::Roles(&[Organiser, Judge, Secretariat, Viewer]),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/thong-ke.xlsx",
            "/admin/cuoc-thi/thi-thu/thong-ke.xlsx?dot=1".into(),
            May::Roles(&[Organiser, Judge, Secretariat, Viewer]),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/bao-cao.docx",
            "/admin/cuoc-thi/thi-thu/bao-cao.docx".into(),
            May::Roles(&[Organiser, Judge, Secretariat, Viewer]),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/tham-gia",
            "/admin/cuoc-thi/thi-thu/tham-gia".into(),
            May::Roles(everyone_on_contest),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/tham-gia/{unit}/danh-sach-can-bo",
            "/admin/cuoc-thi/thi-thu/tham-gia/X/danh-sach-can-bo".into(),
            May::Roles(&[Organiser, UnitCoordinator]),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/tham-gia/{unit}/chua-tham-gia.xlsx",
            "/admin/cuoc-thi/thi-thu/tham-gia/X/chua-tham-gia.xlsx".into(),
            May::Roles(everyone_on_contest),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/phan-tich",
            "/admin/cuoc-thi/thi-thu/phan-tich?dot=1".into(),
            May::Roles(&[Organiser, Judge, Secretariat]),
        ),
        (Method::GET, "/admin/cuoc-thi/{slug}/ra-soat", "/admin/cuoc-thi/thi-thu/ra-soat".into(), May::Roles(auditors)),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/ra-soat/loai",
            "/admin/cuoc-thi/thi-thu/ra-soat/loai".into(),
            May::Roles(auditors),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/ra-soat/{id}/huy-loai",
            "/admin/cuoc-thi/thi-thu/ra-soat/999/huy-loai".into(),
            May::Roles(auditors),
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
        (Method::GET, "/admin/cuoc-thi/{slug}/gop-y", "/admin/cuoc-thi/thi-thu/gop-y".into(), May::Roles(bank_readers)),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/gop-y/{id}/tra-loi",
            "/admin/cuoc-thi/thi-thu/gop-y/999/tra-loi".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/gop-y/{id}/dong",
            "/admin/cuoc-thi/thi-thu/gop-y/999/dong".into(),
            May::Roles(bank_editors),
        ),
        (
            Method::GET,
            "/admin/cuoc-thi/{slug}/gop-y/cau-hoi/{id}",
            format!("/admin/cuoc-thi/thi-thu/gop-y/cau-hoi/{q}"),
            May::Roles(bank_readers),
        ),
        (
            Method::POST,
            "/admin/cuoc-thi/{slug}/gop-y/cau-hoi/{id}/huy",
            format!("/admin/cuoc-thi/thi-thu/gop-y/cau-hoi/{q}/huy"),
            May::Roles(bank_editors),
        ),
        (Method::POST, "/admin/dang-xuat", "/admin/dang-xuat".into(), May::Signed),
    ];
    let uploads =
        ["/nhap-cau-hoi", "/don-vi", "/loai-tru", "/danh-sach", "/tai-lieu", "/bieu-trung", "/danh-sach-can-bo"];
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
    let (reading, r) = app.import_file("thi-thu", &cookie, "ngan-hang.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Đã đọc 3 câu hỏi: <strong>2</strong> câu hợp lệ sẽ được nhập, 1 câu có lỗi"),
        "{}",
        r.body
    );
    // The bad row, the start of its question (no need to open the file to find it), and why.
    assert!(
        r.body.contains("<tr><td>Dòng 3</td><td>Câu thiếu đáp án</td><td>Chưa chỉ ra đáp án đúng.</td></tr>"),
        "{}",
        r.body
    );
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
    // The reading of an imported file is over: its page asks for the file again.
    let r = app.admin(Method::GET, &reading, Some(&cookie), None, "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("hãy tải lên lại") && r.body.contains("Tải lên và kiểm tra"), "{}", r.body);
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
    let (_, r) = app.import_file("thi-thu", &cookie, "anh.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không nhận ra định dạng tệp"), "{}", r.body);
    assert!(!r.body.contains("Đã đọc"), "no counts for a file that could not be read");
    assert_eq!(app.store.bank(contest).await.unwrap().len(), before + 2);
    // The same file again: both questions are duplicates of the bank now.
    let (reading, r) = app.import_file("thi-thu", &cookie, "ngan-hang.csv", csv.as_bytes()).await;
    assert!(r.body.contains("<strong>0</strong> câu hợp lệ sẽ được nhập, 1 câu có lỗi, 2 câu trùng"), "{}", r.body);
    assert!(
        r.body.contains("<tr><td>Dòng 2</td><td>Mật khẩu nào mạnh nhất?</td><td>câu #"),
        "a duplicate names its question too: {}",
        r.body
    );
    // A staged file and its reading are the uploader's own.
    let other = app.staff("thuky2", Role::Viewer, &[("thi-thu", Role::Secretariat, "")]).await;
    let r = app.admin(Method::POST, &confirm, Some(&other), Some(&[("skip_invalid", "1")]), "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.admin(Method::GET, &reading, Some(&other), None, "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("Đã đọc") && !r.body.contains("Mật khẩu nào mạnh nhất?"), "{}", r.body);
    let r = app.admin(Method::GET, &format!("{reading}/tien-do"), Some(&other), None, "10.0.0.1").await;
    assert!(!r.body.contains("Mật khẩu"), "{}", r.body);
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

async fn a_large_question_file_is_read_in_the_background(db: TestDb) {
    let app = app(db).await;
    let cookie = app.staff("thuky", Role::Viewer, &[("thi-thu", Role::Secretariat, "")]).await;
    // 30,000 questions (about 2 MB): long enough to read that the upload returns before it is read.
    let mut csv = String::from("Chủ đề,Câu hỏi,A,B,C,D,Đáp án\n");
    for i in 0..30_000 {
        csv.push_str(&format!(
            "Phép cộng,Câu số {i}: {i} cộng 1 bằng bao nhiêu?,{},{},{},{},A\n",
            i + 1,
            i + 2,
            i + 3,
            i
        ));
    }
    let r = app.upload("/admin/cuoc-thi/thi-thu/nhap-cau-hoi", &cookie, "lon.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let reading = r.location().to_string();
    // The script's question, asked at once: still reading, how far, in words.
    let r = app.admin(Method::GET, &format!("{reading}/tien-do"), Some(&cookie), None, "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let p: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(p["finished"], false, "{p}");
    assert!(["waiting", "reading", "checking"].contains(&p["stage"].as_str().unwrap()), "{p}");
    assert!(p["text"].as_str().unwrap().starts_with("Đang "), "{p}");
    // The page the browser polls: the progress (refreshed without JavaScript, by import.js with
    // it), then the report.
    let started = std::time::Instant::now();
    let mut progress_pages = 0;
    let report = loop {
        let r = app.admin(Method::GET, &reading, Some(&cookie), None, "10.0.0.1").await;
        if !r.body.contains("data-progress-url") {
            break r;
        }
        progress_pages += 1;
        assert!(r.body.contains(r#"<noscript><meta http-equiv="refresh" content="1"></noscript>"#));
        assert!(r.body.contains("<progress") && r.body.contains("Đang "), "{}", r.body);
        assert!(r.body.contains(cuocthi_web::assets::IMPORT_JS.url()), "{}", r.body);
        assert!(!r.body.contains("<script>"), "no inline script");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    println!("{progress_pages} progress pages before the report, {:?}", started.elapsed());
    // Another node (its own memory, the same database) reads the staged file itself.
    let other_node = cuocthi_web::router(app.engine.clone());
    let seen_elsewhere = loop {
        let req = Request::get(&reading).header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        let r = send_to(&other_node, req).await;
        if !r.body.contains("data-progress-url") {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    for page in [&report, &seen_elsewhere] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("Đã đọc 30000 câu hỏi: <strong>30000</strong> câu hợp lệ sẽ được nhập, 0 câu có lỗi"),
            "{}",
            page.body
        );
    }
    let r = app.admin(Method::GET, &format!("{reading}/tien-do"), Some(&cookie), None, "10.0.0.1").await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["finished"], true);
}

async fn an_administrator_resets_another_accounts_second_factor(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    let lost_phone = app.staff("quantri2", Role::SystemAdmin, &[]).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let id = app.store.account_by_username("quantri2").await.unwrap().unwrap().id;
    let reset = format!("/admin/tai-khoan/{id}/go-xac-thuc");
    let accounts = app.admin(Method::GET, "/admin/tai-khoan", Some(&admin), None, "10.0.0.1").await.body;
    assert!(accounts.contains(&format!("action=\"{reset}\"")), "a button for the other administrator");
    assert!(
        !accounts.contains(&format!(
            "action=\"/admin/tai-khoan/{}/go-xac-thuc\"",
            app.store.account_by_username("quantri").await.unwrap().unwrap().id
        )),
        "none for oneself"
    );

    // Only a system administrator may.
    let r = app.admin(Method::POST, &reset, Some(&organiser), Some(&[]), "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.store.account(id).await.unwrap().unwrap().totp_secret.is_some());
    // Not one's own (that would lock the only administrator out of the console's pages).
    let me = app.store.account_by_username("quantri").await.unwrap().unwrap().id;
    let r = app
        .admin(Method::POST, &format!("/admin/tai-khoan/{me}/go-xac-thuc"), Some(&admin), Some(&[]), "10.0.0.1")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không gỡ xác thực hai lớp của chính tài khoản đang dùng"), "{}", r.body);

    let r = app.admin(Method::POST, &reset, Some(&admin), Some(&[]), "10.0.0.1").await;
    assert_eq!(r.location(), format!("/admin/tai-khoan?da-go={id}"), "{}", r.body);
    let page = app.admin(Method::GET, r.location(), Some(&admin), None, "10.0.0.1").await.body;
    assert!(page.contains("Đã gỡ xác thực hai lớp của tài khoản quantri2"), "{page}");
    let account = app.store.account(id).await.unwrap().unwrap();
    assert!(account.totp_secret.is_none() && account.totp_pending.is_none());
    // Its sessions ended; the password alone signs in, and the second factor must be set up again.
    assert_eq!(
        app.admin(Method::GET, "/admin", Some(&lost_phone), None, "10.0.0.1").await.location(),
        "/admin/dang-nhap"
    );
    let r = app
        .admin(
            Method::POST,
            "/admin/dang-nhap",
            None,
            Some(&[("username", "quantri2"), ("password", PASSWORD)]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.session().unwrap();
    assert_eq!(app.admin(Method::GET, "/admin", Some(&cookie), None, "10.0.0.1").await.location(), "/admin/bao-mat");
    // Recorded, by whom and for whom.
    let log = app.store.audit_entries(&cuocthi_store::AuditFilter { limit: 50, ..Default::default() }).await.unwrap();
    let entry = log.iter().find(|e| e.action == "account.totp_reset").unwrap();
    assert_eq!((entry.actor.as_str(), entry.subject.clone()), ("quantri", format!("account:{id}")));
}

async fn the_audit_log_names_actions_accounts_and_contests(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    app.engine.create_account("nguyen.thu.ha", PASSWORD.into(), Role::Viewer).await.unwrap();
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/thi-thu/nhan-su",
            Some(&admin),
            Some(&[("username", "nguyen.thu.ha"), ("role", "judge"), ("unit", "")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let title = app.engine.contest("thi-thu").await.unwrap().title;
    let id = app.store.account_by_username("nguyen.thu.ha").await.unwrap().unwrap().id;

    let page = app.admin(Method::GET, "/admin/nhat-ky", Some(&admin), None, "10.0.0.1").await.body;
    let row = page.split("<tr><td>").skip(1).find(|r| r.contains("grant.add")).unwrap_or_else(|| panic!("{page}"));
    // The name in words, the code kept beside it; the contest's title and the account's name, not ids.
    assert!(
        row.contains(r#"<td class="wrap" title="grant.add">Giao vai trò<span class="code">grant.add</span></td>"#),
        "{row}"
    );
    assert!(row.contains(&format!("<td class=\"wrap\">{}</td>", title.replace('"', "&#34;"))), "{row}");
    assert!(row.contains(&format!(r#"title="account:{id}">tài khoản nguyen.thu.ha</td>"#)), "{row}");
    assert!(page.contains(r#"<option value="account.totp_reset">"#), "the filter offers every code");
    let sign_in = page.split("<tr><td>").skip(1).find(|r| r.contains("session.sign_in")).unwrap();
    assert!(sign_in.contains("Đăng nhập") && sign_in.contains("phiên đăng nhập"), "{sign_in}");

    // The filter still takes codes (or their start).
    let page = app.admin(Method::GET, "/admin/nhat-ky?loai=grant.", Some(&admin), None, "10.0.0.1").await.body;
    assert!(page.contains("Giao vai trò") && !page.contains("session.sign_in</span>"), "{page}");
    // On the contest's own page the contest goes without saying.
    let page = app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/nhat-ky", Some(&admin), None, "10.0.0.1").await.body;
    assert!(page.contains("Giao vai trò") && !page.contains(r#"<th scope="col">Cuộc thi</th>"#), "{page}");

    // The CSV keeps the codes and adds the names.
    let csv = app.admin(Method::GET, "/admin/nhat-ky.csv?loai=grant.", Some(&admin), None, "10.0.0.1").await.body;
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert!(lines.next().unwrap().starts_with(
        "#,Thời điểm (giờ VN),Người thực hiện,Thao tác,Tên thao tác,Cuộc thi,Tên cuộc thi,Đối tượng,Mô tả đối tượng,"
    ));
    let line = lines.next().unwrap();
    assert!(line.contains(",quantri,grant.add,Giao vai trò,"), "{line}");
    assert!(line.contains(&format!("account:{id},tài khoản nguyen.thu.ha,")), "{line}");
    assert!(line.contains(&title) || line.contains(&format!("\"{}\"", title.replace('"', "\"\""))), "{line}");
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

/// The address of the first "publish this version" form on the console's results page.
fn publish_address(page: &str) -> String {
    page.split("action=\"")
        .map(|a| a.split('"').next().unwrap_or_default())
        .find(|a| a.ends_with("/cong-bo"))
        .unwrap_or_else(|| panic!("no publish form in {page}"))
        .to_string()
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

[review]
min_seconds = 60

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
            "/admin/cuoc-thi/ket-qua-thu/ket-qua/phe-duyet",
            Some(&organiser),
            Some(&[("dot", "1")]),
            "10.0.0.1",
        )
        .await;
    assert!(r.body.contains("Chỉ phê duyệt kết quả sau khi đợt thi kết thúc."), "{}", r.body);
    app.clock.advance(Duration::hours(2));
    // Two hours idle ended the session: sign in again.
    let organiser = app
        .admin(Method::POST, "/admin/dang-nhap", None, Some(&[("username", "btc"), ("password", PASSWORD)]), "10.0.0.1")
        .await
        .session()
        .unwrap();
    let judge = app.staff("giamkhao", Role::Viewer, &[("ket-qua-thu", Role::Judge, "")]).await;
    let approve = |cookie: String, reason: &'static str| {
        let app = &app;
        async move {
            app.admin(
                Method::POST,
                "/admin/cuoc-thi/ket-qua-thu/ket-qua/phe-duyet",
                Some(&cookie),
                Some(&[("dot", "1"), ("reason", reason)]),
                "10.0.0.1",
            )
            .await
        }
    };
    assert_eq!(approve(judge.clone(), "").await.status, StatusCode::FORBIDDEN, "judges check, organisers approve");
    let r = approve(organiser.clone(), "").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua", "{}", r.body);
    // Approved is locked but not yet public; the organiser publishes that version.
    let page = app.admin(Method::GET, "/cuoc-thi/ket-qua-thu/ket-qua", None, None, "10.0.0.9").await.body;
    assert!(!page.contains("Giải Nhất"), "approved, not yet published");
    let console =
        app.admin(Method::GET, "/admin/cuoc-thi/ket-qua-thu/ket-qua", Some(&organiser), None, "10.0.0.1").await;
    let publish_v1 = publish_address(&console.body);
    let r = app.admin(Method::POST, &publish_v1, Some(&organiser), Some(&[]), "10.0.0.1").await;
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
    // LibreOffice (where installed) opens the workbook too; its first sheet is the ranking.
    let req = Request::get("/admin/cuoc-thi/ket-qua-thu/ket-qua.xlsx?dot=1")
        .header(header::COOKIE, &judge)
        .body(Body::empty())
        .unwrap();
    let bytes = app.router.clone().oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes();
    if let Some(csv) =
        cuocthi_testkit::libreoffice_convert("ket-qua.xlsx", &bytes, "csv:Text - txt - csv (StarCalc):44,34,76")
    {
        let csv = csv.unwrap();
        assert!(csv.starts_with("Hạng,Họ và tên") && names.iter().all(|n| csv.contains(n)), "{csv}");
    }

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

    // The judge's review: every attempt took 20 s, under the contest's minimum of 60 s; the
    // judge disqualifies the winner's attempt with a reason.
    let review = app.admin(Method::GET, "/admin/cuoc-thi/ket-qua-thu/ra-soat", Some(&judge), None, "10.0.0.1").await;
    assert!(review.body.contains("Làm bài quá nhanh"), "{}", review.body);
    let winner_attempt = review
        .body
        .split("<tr>")
        .find(|row| row.contains(winner))
        .and_then(|row| row.split("name=\"attempt\"><option value=\"").nth(1))
        .and_then(|x| x.split('"').next())
        .unwrap()
        .to_string();
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/ket-qua-thu/ra-soat/loai",
            Some(&judge),
            Some(&[("dot", "1"), ("attempt", &winner_attempt), ("reason", "x")]),
            "10.0.0.1",
        )
        .await;
    assert!(r.body.contains("Hãy ghi rõ lý do"), "a reason is required: {}", r.body);
    let r = app
        .admin(
            Method::POST,
            "/admin/cuoc-thi/ket-qua-thu/ra-soat/loai",
            Some(&judge),
            Some(&[("dot", "1"), ("attempt", &winner_attempt), ("reason", "Nộp bài sau 20 giây, biên bản số 3")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ra-soat?dot=1", "{}", r.body);
    let review = app.admin(Method::GET, "/admin/cuoc-thi/ket-qua-thu/ra-soat", Some(&judge), None, "10.0.0.1").await;
    assert!(review.body.contains("Nộp bài sau 20 giây, biên bản số 3") && review.body.contains("Đã loại"));
    // The console shows the draft differs; a new version needs a reason.
    let console =
        app.admin(Method::GET, "/admin/cuoc-thi/ket-qua-thu/ket-qua", Some(&organiser), None, "10.0.0.1").await;
    assert!(console.body.contains("Bảng xếp hạng nháp đã khác phiên bản đã phê duyệt gần nhất"), "{}", console.body);
    let r = approve(organiser.clone(), "").await;
    assert!(r.body.contains("phiên bản mới cần ghi lý do"), "{}", r.body);
    let r = approve(organiser.clone(), "Loại lượt thi theo biên bản số 3").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua");
    let console =
        app.admin(Method::GET, "/admin/cuoc-thi/ket-qua-thu/ket-qua", Some(&organiser), None, "10.0.0.1").await;
    assert!(console.body.contains("Loại lượt thi theo biên bản số 3") && console.body.contains("Công bố phiên bản 2"));
    let publish_v2 = publish_address(&console.body);
    let r = app.admin(Method::POST, &publish_v2, Some(&organiser), Some(&[]), "10.0.0.1").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua", "{}", r.body);
    let page = app.admin(Method::GET, "/cuoc-thi/ket-qua-thu/ket-qua", None, None, "10.0.0.9").await.body;
    assert!(page.contains("phiên bản 2") && !page.contains(winner), "{page}");
    // The winner's old certificate still verifies, and says a newer version exists.
    let check = app.admin(Method::GET, &format!("/chung-nhan/{serial}"), None, None, "10.0.0.9").await;
    assert!(check.body.contains("đã công bố một phiên bản kết quả mới"), "{}", check.body);

    // A participant looks up their own place by CCCD and date of birth, never in the address.
    let lookup = |cccd: &'static str, dob: &'static str| {
        let app = &app;
        async move {
            app.admin(
                Method::POST,
                "/cuoc-thi/ket-qua-thu/ket-qua",
                None,
                Some(&[("key", cccd), ("date_of_birth", dob)]),
                "10.0.0.9",
            )
            .await
        }
    };
    let mine = lookup("036195000122", "02/09/1995").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains("Hạng 2 trên 2 người"), "{}", mine.body);
    let wrong = lookup("036195000122", "03/09/1995").await;
    assert!(!wrong.body.contains("Hạng "), "{}", wrong.body);
    assert_ne!(wrong.status, StatusCode::OK);
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

/// The statistics page reads the counters: after three people start and two submit, it shows
/// them, in figures and in charts; the tiebreak figure so far is for organisers only.
async fn live_statistics_come_from_the_counters(db: TestDb) {
    let app = app(db).await;
    let round = app.engine.contest("thi-thu").await.unwrap().rounds[0].id;
    for i in 0..3 {
        let who = cuocthi_domain::identity::IdentityInput {
            full_name: Some(format!("Người thống kê {i}")),
            date_of_birth: Some("02/09/1995".into()),
            cccd: Some(format!("03619500013{i}")),
            phone: Some(format!("091200013{i}")),
            ..Default::default()
        };
        let s = app.engine.register("thi-thu", &who, true).await.unwrap();
        let claims = app.engine.authenticate(&s.token).unwrap();
        let a = app.engine.start(claims, round).await.unwrap();
        if i < 2 {
            app.engine.submit(claims, a.id, Some(3)).await.unwrap();
        }
    }
    assert_eq!(app.engine.count_attempts().await.unwrap(), 3);
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let viewer = app.staff("xem", Role::Viewer, &[("thi-thu", Role::Viewer, "")]).await;
    let page = app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/thong-ke", Some(&organiser), None, "10.0.0.1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let figure = |body: &str, label: &str| -> String {
        body.split(&format!("<dt>{label}</dt><dd>"))
            .nth(1)
            .and_then(|x| x.split('<').next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(figure(&page.body, "Người tham gia"), "3");
    assert_eq!(figure(&page.body, "Lượt thi"), "3");
    assert_eq!(figure(&page.body, "Lượt đã nộp bài"), "2");
    assert!(page.body.contains("<svg class=\"chart\"") && page.body.contains("Phân bố số câu trả lời đúng"));
    assert!(page.body.contains("chỉ Ban Tổ chức xem"), "the tiebreak figure so far, for organisers");
    assert!(page.body.contains(cuocthi_web::assets::LIVE_JS.url()), "refreshed live");
    let seen = app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/thong-ke", Some(&viewer), None, "10.0.0.1").await;
    assert_eq!(figure(&seen.body, "Lượt đã nộp bài"), "2");
    assert!(!seen.body.contains("chỉ Ban Tổ chức xem"), "not for viewers");
    // The workbook and the summary report, read back by real readers.
    let get = |uri: &'static str| {
        let app = &app;
        let cookie = organiser.clone();
        async move {
            let req = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
            app.router.clone().oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes().to_vec()
        }
    };
    let book = get("/admin/cuoc-thi/thi-thu/thong-ke.xlsx?dot=1").await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(book.clone())).unwrap();
    {
        use calamine::Reader;
        assert_eq!(
            wb.sheet_names(),
            vec!["Theo đơn vị", "Theo địa phương", "Theo đối tượng", "Theo ngày", "Phân tích câu hỏi"]
        );
        let days = wb.worksheet_range("Theo ngày").unwrap();
        let row: Vec<String> = days.rows().nth(1).unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(row[1..4], ["3".to_string(), "3".into(), "2".into()], "{row:?}");
        let items = wb.worksheet_range("Phân tích câu hỏi").unwrap();
        assert!(items.rows().count() > 1, "questions asked are analysed");
    }
    let docx = get("/admin/cuoc-thi/thi-thu/bao-cao.docx").await;
    assert!(docx.starts_with(b"PK"), "a Word document");
    if let Some(text) = cuocthi_testkit::libreoffice_convert("bao-cao.docx", &docx, "txt:Text") {
        let text = text.unwrap();
        assert!(
            text.contains("BÁO CÁO KẾT QUẢ CUỘC THI") && text.contains("3 người tham gia với 3 lượt thi"),
            "{text}"
        );
    }
    let analysis =
        app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/phan-tich?dot=1", Some(&organiser), None, "10.0.0.1").await;
    assert!(analysis.body.contains("Độ phân biệt"), "{}", analysis.body);
    // The public counter says the same.
    let live = app.admin(Method::GET, "/api/v1/contests/thi-thu/live", None, None, "10.0.0.9").await;
    let live: serde_json::Value = serde_json::from_str(&live.body).unwrap();
    assert_eq!((live["people"].as_i64(), live["attempts"].as_i64()), (Some(3), Some(3)));
}

/// A school's coordinator sees the school and its department's figures, uploads the staff list,
/// and downloads who has not taken part; other units stay closed to them.
async fn a_unit_coordinator_sees_who_has_not_taken_part(db: TestDb) {
    let app = app(db).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let units = "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Số cán bộ\nSGD,Sở Giáo dục và Đào tạo,,40\nTHPT1,Trường THPT Chuyên,SGD,4\nCA,Công an tỉnh,,900\n";
    let r = app.upload("/admin/cuoc-thi/thi-thu/don-vi", &organiser, "don-vi.csv", units.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let round = app.engine.contest("thi-thu").await.unwrap().rounds[0].id;
    for (i, name) in ["Phạm Thị Lan", "Đỗ Văn Hùng"].iter().enumerate() {
        let who = cuocthi_domain::identity::IdentityInput {
            full_name: Some(name.to_string()),
            date_of_birth: Some("02/09/1995".into()),
            cccd: Some(format!("03619500014{i}")),
            phone: Some(format!("091200014{i}")),
            unit: Some("THPT1".into()),
            ..Default::default()
        };
        let s = app.engine.register("thi-thu", &who, true).await.unwrap();
        let claims = app.engine.authenticate(&s.token).unwrap();
        app.engine.start(claims, round).await.unwrap();
    }
    let coordinator = app.staff("daumoi", Role::Viewer, &[("thi-thu", Role::UnitCoordinator, "SGD")]).await;
    let page = app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/tham-gia", Some(&coordinator), None, "10.0.0.1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Sở Giáo dục và Đào tạo") && page.body.contains("Trường THPT Chuyên"));
    assert!(page.body.contains("<dt>Người đã tham gia</dt><dd>2</dd>"), "{}", page.body);
    assert!(page.body.contains("chưa tải lên danh sách cán bộ"));
    let closed = app
        .admin(Method::GET, "/admin/cuoc-thi/thi-thu/tham-gia?don_vi=CA", Some(&coordinator), None, "10.0.0.1")
        .await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);

    let staff = "Họ và tên,Số CCCD\nPhạm Thị Lan,036195000140\nĐỗ Văn Hùng,036195000141\nVũ Thị Mai,036195000149\n";
    let r = app
        .upload("/admin/cuoc-thi/thi-thu/tham-gia/THPT1/danh-sach-can-bo", &coordinator, "can-bo.csv", staff.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã nhận danh sách 3 cán bộ"), "{}", r.body);
    assert!(r.body.contains("1 người chưa tham gia") && r.body.contains("Vũ Thị Mai"), "{}", r.body);
    assert!(r.body.contains("0361******49") && !r.body.contains("036195000149"), "masked for coordinators");
    let r = app
        .upload("/admin/cuoc-thi/thi-thu/tham-gia/CA/danh-sach-can-bo", &coordinator, "can-bo.csv", staff.as_bytes())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let req = Request::get("/admin/cuoc-thi/thi-thu/tham-gia/SGD/chua-tham-gia.xlsx")
        .header(header::COOKIE, &coordinator)
        .body(Body::empty())
        .unwrap();
    let bytes = app.router.clone().oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    use calamine::Reader;
    let rows: Vec<Vec<String>> = wb
        .worksheet_range("Chưa tham gia")
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1..], ["Vũ Thị Mai".to_string(), "0361******49".into(), "Trường THPT Chuyên".into()]);
}
