//! The HTTP edge (issue 13, items 5 and 6): each route reads no more of a body than it needs and
//! answers 413 past it, whether the length was declared or the body came in chunks over a real
//! connection; the results look-up's 429 says when to come back; and the cookies' `Secure` flag
//! follows the configuration, never a header any client can send.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use cuocthi_engine::console::Role;
use cuocthi_testkit::{TestDb, on_both_backends};
use cuocthi_web::{Limits, WebConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{App, OFFICE, PASSWORD, Reply, app, encode};

on_both_backends!(
    bodies_over_their_routes_limit_get_413_declared_or_chunked,
    larger_bodies_pass_where_the_route_needs_them,
    the_results_look_up_says_when_to_come_back,
    a_forwarded_scheme_from_anyone_does_not_decide_secure,
    an_https_public_address_marks_every_cookie_secure,
);

/// Serves `app`'s router on a loopback port, as `cuocthi serve` does (the peer in each request).
async fn serve(app: &App) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.router.clone().into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    addr
}

/// How a body goes over the wire.
#[derive(Clone, Copy, Debug)]
enum Framing {
    /// `Content-Length`: the server knows the size before reading.
    Declared,
    /// `Transfer-Encoding: chunked`, 4 KiB a chunk: the size shows only while reading.
    Chunked,
}

/// Sends `body` to `path` over a real HTTP/1.1 connection; the status and the body of the answer.
async fn post_raw(addr: SocketAddr, path: &str, content_type: &str, body: &[u8], framing: Framing) -> (u16, String) {
    let mut request =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\n");
    let mut payload = Vec::new();
    match framing {
        Framing::Declared => {
            request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            payload.extend_from_slice(body);
        }
        Framing::Chunked => {
            request.push_str("Transfer-Encoding: chunked\r\n\r\n");
            for chunk in body.chunks(4096) {
                payload.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                payload.extend_from_slice(chunk);
                payload.extend_from_slice(b"\r\n");
            }
            payload.extend_from_slice(b"0\r\n\r\n");
        }
    }
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // The server may answer and close before the whole body is sent: write beside the read.
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(request.as_bytes()).await;
        let _ = writer.write_all(&payload).await;
        writer
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer within 30 s");
    writing.await.ok();
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

async fn bodies_over_their_routes_limit_get_413_declared_or_chunked(db: TestDb) {
    let app = app(db).await;
    let addr = serve(&app).await;
    // The unauthenticated sign-in: 20 KiB is over its 16 KiB, far below the uploads' 25 MB.
    let padding = "x".repeat(20 * 1024);
    let sign_in = format!("username=btc&password={PASSWORD}&code=&pad={padding}");
    // The API's identification: 100 KiB of JSON.
    let identify =
        format!(r#"{{"key":"036195000123","date_of_birth":"02/09/1995","pad":"{}"}}"#, "x".repeat(100 * 1024));
    let form = "application/x-www-form-urlencoded";
    for framing in [Framing::Declared, Framing::Chunked] {
        let (status, answer) = post_raw(addr, "/admin/dang-nhap", form, sign_in.as_bytes(), framing).await;
        assert_eq!(status, 413, "{framing:?}: {answer}");
        assert!(answer.contains("Dữ liệu gửi lên quá lớn: tối đa 16 KB."), "{framing:?}: {answer}");
        let path = "/api/v1/contests/thi-thu/sessions";
        let (status, answer) = post_raw(addr, path, "application/json", identify.as_bytes(), framing).await;
        assert_eq!(status, 413, "{framing:?}: {answer}");
        assert!(answer.contains(r#""code":"too_large""#), "{framing:?}: {answer}");
        let (status, answer) = post_raw(addr, "/cuoc-thi/thi-thu/ket-qua", form, sign_in.as_bytes(), framing).await;
        assert_eq!(status, 413, "the results look-up, {framing:?}: {answer}");
    }
    // Under the limit, the same form is read and checked as ever.
    let (status, answer) =
        post_raw(addr, "/admin/dang-nhap", form, b"username=btc&password=sai-mat-khau-roi", Framing::Chunked).await;
    assert_eq!(status, 401, "{answer}");
}

async fn larger_bodies_pass_where_the_route_needs_them(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    // A contest's definition of 100 KiB, from a signed-in organiser: read, and judged on its merits.
    let definition = format!("# {}\n", "chú thích ".repeat(10_000));
    let form = [("source", definition.as_str()), ("reason", "Thử một định nghĩa dài")];
    let r = app.post("/admin/cuoc-thi/thi-thu/dinh-nghia", &admin, &form).await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    // A 2 MB file to an upload form (the logo): read, and refused for what it is, not its size.
    let file = vec![b'x'; 2 * 1024 * 1024];
    let r = app.upload("/admin/cuoc-thi/thi-thu/bieu-trung", &admin, "logo.png", &file).await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("Biểu trưng lớn hơn 512 KB."), "{}", r.body);
    // 2 MB to a form that is no upload is refused.
    let big = "x".repeat(2 * 1024 * 1024);
    let r = app.post("/admin/cuoc-thi/thi-thu/dinh-nghia", &admin, &[("source", &big), ("reason", "x")]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("Dữ liệu gửi lên quá lớn: tối đa 1 MB."), "{}", r.body);
    // The attempt's one form (answers and report boxes) may carry 40 KB; identification may not.
    let form = format!("q0=1&gop_y_0={}", "%C3%A2".repeat(7_000));
    for (path, refused) in [("/bai-thi/1/luu", false), ("/cuoc-thi/thi-thu/dang-nhap", true)] {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, form.len())
            .body(Body::from(form.clone()))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status == StatusCode::PAYLOAD_TOO_LARGE, refused, "{path}: {} {}", r.status, r.body);
    }
    // Every route given the uploads' limit is one of the console's routes (a renamed route would
    // silently fall back to the forms' limit).
    let console = cuocthi_web::console_route_paths();
    for route in cuocthi_web::UPLOAD_ROUTES {
        assert!(console.contains(&route), "{route} is not a console route");
    }
}

async fn the_results_look_up_says_when_to_come_back(db: TestDb) {
    let app = app(db).await;
    let mut refused = None;
    for day in 1..=20 {
        let dob = format!("{day:02}/01/1990");
        let form = [("key", "036190000123"), ("date_of_birth", dob.as_str())];
        let r = app.page(Method::POST, "/cuoc-thi/thi-thu/ket-qua", None, Some(&form), &[]).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("guesses of one person's date of birth are throttled");
    let wait: i64 = r.header(header::RETRY_AFTER).parse().expect("Retry-After in seconds");
    assert!(wait >= 1, "{wait}");
}

/// The `Set-Cookie` header of `name` in a reply.
fn set_cookie<'r>(r: &'r Reply, name: &str) -> &'r str {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

/// A request from `from`, saying `X-Forwarded-Proto: https` when `forwarded`.
fn from_peer(req: axum::http::request::Builder, from: &str, forwarded: bool, body: String) -> Request<Body> {
    let req = if forwarded { req.header("x-forwarded-proto", "https") } else { req };
    let mut req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body)).unwrap();
    req.extensions_mut().insert(ConnectInfo(format!("{from}:40000").parse::<SocketAddr>().unwrap()));
    req
}

/// A staff sign-in and a language switch from `from`: the staff session's and the language's
/// cookies.
async fn cookies_from(app: &App, from: &str, forwarded: bool) -> (String, String) {
    let form = encode(&[("username", "btc"), ("password", PASSWORD)]);
    let r = app.send(from_peer(Request::post("/admin/dang-nhap"), from, forwarded, form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let staff = set_cookie(&r, "ct_quantri").to_string();
    let r = app.send(from_peer(Request::get("/?lang=en"), from, forwarded, String::new())).await;
    (staff, set_cookie(&r, "lang").to_string())
}

async fn a_forwarded_scheme_from_anyone_does_not_decide_secure(db: TestDb) {
    let mut app = app(db).await;
    app.engine.create_account("btc", PASSWORD.into(), Role::Viewer).await.unwrap();
    let proxies = vec![WebConfig::parse_proxy("10.0.0.0/8").unwrap()];
    let config = WebConfig { trusted_proxies: proxies, ..Default::default() };
    app.router = cuocthi_web::router_with(app.engine.clone(), Limits::default(), config);
    let (staff, lang) = cookies_from(&app, "203.0.113.7", true).await;
    assert!(!staff.contains("Secure") && !lang.contains("Secure"), "an untrusted peer: {staff} | {lang}");
    // The same header from the trusted proxy is believed.
    let (staff, lang) = cookies_from(&app, "10.0.0.2", true).await;
    assert!(staff.contains("Secure") && lang.contains("Secure"), "the proxy: {staff} | {lang}");
    let (staff, _) = cookies_from(&app, "10.0.0.2", false).await;
    assert!(!staff.contains("Secure"), "the proxy says nothing: {staff}");
}

async fn an_https_public_address_marks_every_cookie_secure(db: TestDb) {
    let mut app = app(db).await;
    app.engine.create_account("btc", PASSWORD.into(), Role::Viewer).await.unwrap();
    let config = WebConfig { public_url: Some("https://thi.tinh.gov.vn".into()), ..Default::default() };
    app.router = cuocthi_web::router_with(app.engine.clone(), Limits::default(), config);
    // No header at all: the configuration alone decides.
    let (staff, lang) = cookies_from(&app, OFFICE, false).await;
    assert!(staff.contains("Secure") && lang.contains("Secure"), "{staff} | {lang}");
}
