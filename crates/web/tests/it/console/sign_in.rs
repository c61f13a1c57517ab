//! Signing in to the console: throttling per account and address, session fixation and
//! timeouts, the second factor and its reset by another administrator.

use axum::http::{StatusCode, header};
use chrono::Duration;
use cuocthi_engine::Engine;
use cuocthi_engine::console::Role;
use cuocthi_store::ConsoleStore;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{OFFICE, PASSWORD, TOTP_SECRET, app};

on_both_backends!(
    sign_in_is_throttled_per_account_and_address,
    sessions_are_new_at_sign_in_and_end_on_time,
    system_administrators_need_a_second_factor,
    an_administrator_resets_another_accounts_second_factor,
);

async fn sign_in_is_throttled_per_account_and_address(db: TestDb) {
    let app = app(db).await;
    app.engine.create_account("btc", PASSWORD.into(), Role::Viewer).await.unwrap();
    let try_from = async |password: &str, from: &str| {
        app.sign_in_form(&[("username", "btc"), ("password", password)], None, from).await
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
    let id = app.engine.create_account("btc", PASSWORD.into(), Role::Viewer).await.unwrap();
    app.store.set_totp_secret(id, Some(TOTP_SECRET)).await.unwrap();
    // A session id planted before sign-in (session fixation) is never the one given after.
    let planted = "ct_quantri=ke-tan-cong-chon-san";
    let code = app.code("btc").await;
    let r =
        app.sign_in_form(&[("username", "btc"), ("password", PASSWORD), ("code", &code)], Some(planted), OFFICE).await;
    let cookie = r.session().unwrap();
    assert_ne!(cookie, planted);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(set.contains(attr), "{set}");
    }
    assert_eq!(app.get("/admin", planted).await.location(), "/admin/dang-nhap");
    assert_eq!(app.get("/admin", &cookie).await.status, StatusCode::OK);
    assert_eq!(app.get("/admin/dang-nhap", &cookie).await.location(), "/admin");
    // Signing in again (with the next code: each is good once) gives yet another id; both stay
    // valid until signed out.
    app.clock.advance(Duration::seconds(30));
    let code = app.code("btc").await;
    let again = app
        .sign_in_form(&[("username", "btc"), ("password", PASSWORD), ("code", &code)], Some(&cookie), OFFICE)
        .await
        .session()
        .unwrap();
    assert_ne!(again, cookie);
    // Idle for 31 minutes: the session is over.
    app.clock.advance(Duration::minutes(31));
    let r = app.get("/admin", &cookie).await;
    assert_eq!(r.location(), "/admin/dang-nhap");
    // Active every 20 minutes: still over after 12 hours.
    let cookie = app.sign_in("btc", "", "10.0.0.1").await;
    for _ in 0..35 {
        app.clock.advance(Duration::minutes(20));
        assert_eq!(app.get("/admin", &cookie).await.status, StatusCode::OK);
    }
    app.clock.advance(Duration::minutes(20));
    assert_eq!(app.get("/admin", &cookie).await.location(), "/admin/dang-nhap");
}

async fn system_administrators_need_a_second_factor(db: TestDb) {
    let app = app(db).await;
    let id = app.engine.create_account("quantri", PASSWORD.into(), Role::SystemAdmin).await.unwrap();
    let sign_in = async |code: &str| {
        app.sign_in_form(&[("username", "quantri"), ("password", PASSWORD), ("code", code)], None, OFFICE).await
    };
    let cookie = sign_in("").await.session().unwrap();
    // Until a second factor is set up, every page leads to setting it up.
    for uri in ["/admin", "/admin/tai-khoan", "/admin/cuoc-thi/thi-thu"] {
        assert_eq!(app.get(uri, &cookie).await.location(), "/admin/bao-mat", "{uri}");
    }
    let r = app.post("/admin/bao-mat/bat-dau", &cookie, &[]).await;
    assert_eq!(r.location(), "/admin/bao-mat");
    let page = app.get("/admin/bao-mat", &cookie).await.body;
    assert!(page.contains("data:image/svg+xml;base64,"), "a QR code to scan");
    let secret = app.store.account(id).await.unwrap().unwrap().totp_pending.unwrap();
    assert!(page.contains(&secret));
    let r = app.post("/admin/bao-mat/xac-nhan", &cookie, &[("code", "000000")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Mã xác thực không đúng"));
    let code = Engine::totp_code(&secret, app.engine.now()).unwrap();
    let r = app.post("/admin/bao-mat/xac-nhan", &cookie, &[("code", &code)]).await;
    assert_eq!(r.location(), "/admin");
    assert_eq!(app.get("/admin/tai-khoan", &cookie).await.status, StatusCode::OK);

    // From now on the password alone is not enough, and a code is good once.
    app.clock.advance(Duration::seconds(30));
    let r = sign_in("").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Nhập mã xác thực 6 số"));
    let code = Engine::totp_code(&secret, app.engine.now()).unwrap();
    assert_eq!(sign_in(&code).await.status, StatusCode::SEE_OTHER);
    let r = sign_in(&code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a code seen once cannot open a second session");
    assert!(r.body.contains("đã được dùng"));
    // A lost phone: the server's administrator removes the second factor; it is set up again.
    app.engine.reset_second_factor("quantri").await.unwrap();
    let r = sign_in("").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r.session().unwrap();
    assert_eq!(app.get("/admin", &cookie).await.location(), "/admin/bao-mat");
}

async fn an_administrator_resets_another_accounts_second_factor(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    let lost_phone = app.staff("quantri2", Role::SystemAdmin, &[]).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let id = app.store.account_by_username("quantri2").await.unwrap().unwrap().id;
    let reset = format!("/admin/tai-khoan/{id}/go-xac-thuc");
    let accounts = app.get("/admin/tai-khoan", &admin).await.body;
    assert!(accounts.contains(&format!("action=\"{reset}\"")), "a button for the other administrator");
    assert!(
        !accounts.contains(&format!(
            "action=\"/admin/tai-khoan/{}/go-xac-thuc\"",
            app.store.account_by_username("quantri").await.unwrap().unwrap().id
        )),
        "none for oneself"
    );

    // Only a system administrator may.
    let r = app.post(&reset, &organiser, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.store.account(id).await.unwrap().unwrap().totp_secret.is_some());
    // Not one's own (that would lock the only administrator out of the console's pages).
    let me = app.store.account_by_username("quantri").await.unwrap().unwrap().id;
    let r = app.post(&format!("/admin/tai-khoan/{me}/go-xac-thuc"), &admin, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Không gỡ xác thực hai lớp của chính tài khoản đang dùng"), "{}", r.body);

    let r = app.post(&reset, &admin, &[]).await;
    assert_eq!(r.location(), format!("/admin/tai-khoan?da-go={id}"), "{}", r.body);
    let page = app.get(r.location(), &admin).await.body;
    assert!(page.contains("Đã gỡ xác thực hai lớp của tài khoản quantri2"), "{page}");
    let account = app.store.account(id).await.unwrap().unwrap();
    assert!(account.totp_secret.is_none() && account.totp_pending.is_none());
    // Its sessions ended; the password alone signs in, and the second factor must be set up again.
    assert_eq!(app.get("/admin", &lost_phone).await.location(), "/admin/dang-nhap");
    let r = app.sign_in_form(&[("username", "quantri2"), ("password", PASSWORD)], None, OFFICE).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.session().unwrap();
    assert_eq!(app.get("/admin", &cookie).await.location(), "/admin/bao-mat");
    // Recorded, by whom and for whom.
    let log = app.store.audit_entries(&cuocthi_store::AuditFilter { limit: 50, ..Default::default() }).await.unwrap();
    let entry = log.iter().find(|e| e.action == "account.totp_reset").unwrap();
    assert_eq!((entry.actor.as_str(), entry.subject.clone()), ("quantri", format!("account:{id}")));
}
