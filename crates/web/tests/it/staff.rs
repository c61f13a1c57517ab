//! Staff accounts (issue 13, items 4 and 5): every role that reads personal data or can change
//! results needs an authenticator app, set up at the first sign-in before anything else, so a
//! password alone is refused to each; only a demo may let staff in with a password alone. Changing
//! one's own password asks for the current one; an administrator's reset of someone else's is a
//! separate action in the audit log.

use axum::http::StatusCode;
use chrono::Duration;
use cuocthi_engine::console::Role;
use cuocthi_store::{AuditFilter, ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};
use cuocthi_web::{Limits, SecondFactor, WebConfig};

use crate::harness::{App, OFFICE, PASSWORD, app};

on_both_backends!(
    a_password_alone_is_refused_to_a_system_administrator,
    a_password_alone_is_refused_to_an_organiser,
    a_password_alone_is_refused_to_a_judge,
    a_password_alone_is_refused_to_the_secretariat,
    a_password_alone_is_refused_to_a_unit_coordinator,
    a_password_alone_is_refused_to_a_viewer,
    only_a_demo_lets_staff_in_with_a_password_alone,
    changing_ones_password_asks_for_the_current_one,
    guessing_the_current_password_is_told_when_to_come_back,
    an_administrator_resets_another_accounts_password,
);

/// An account with `role` (a system administrator, or a role on `thi-thu`) and no authenticator
/// yet; the page that role reads personal data or results on.
async fn account(app: &App, username: &str, role: Role) -> &'static str {
    if role == Role::SystemAdmin {
        app.engine.create_account(username, PASSWORD.into(), Role::SystemAdmin).await.unwrap();
        return "/admin/tai-khoan";
    }
    let id = app.engine.create_account(username, PASSWORD.into(), Role::Viewer).await.unwrap();
    let contest = app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().contest.id;
    let unit = if role == Role::UnitCoordinator { "X" } else { "" };
    app.store.insert_grant(id, contest, role.as_str(), unit, app.engine.now()).await.unwrap();
    "/admin/cuoc-thi/thi-thu/thi-sinh"
}

/// The password alone opens only the set-up of the authenticator app (and the way out); once set
/// up, the password alone is refused and the password with a code lets the person in.
async fn a_password_alone_is_refused(db: TestDb, role: Role) {
    let app = app(db).await;
    let page = account(&app, "nhan.vien", role).await;
    let password_alone = [("username", "nhan.vien"), ("password", PASSWORD), ("code", "")];
    // Signing out stays possible before the set-up.
    let cookie = app.sign_in_form(&password_alone, None, OFFICE).await.session().unwrap();
    assert_eq!(app.post("/admin/dang-xuat", &cookie, &[]).await.location(), "/admin/dang-nhap");
    assert_eq!(app.get("/admin/bao-mat", &cookie).await.location(), "/admin/dang-nhap", "{role:?}: signed out");
    let r = app.sign_in_form(&password_alone, None, OFFICE).await;
    assert_eq!(r.location(), "/admin", "{}", r.body);
    let cookie = r.session().unwrap();
    for uri in [page, "/admin", "/admin/cuoc-thi/thi-thu"] {
        assert_eq!(app.get(uri, &cookie).await.location(), "/admin/bao-mat", "{role:?} {uri}");
    }
    let r = app.post("/admin/cuoc-thi/thi-thu/thi-sinh/gop", &cookie, &[]).await;
    assert_eq!(r.location(), "/admin/bao-mat", "{role:?}: no form either");
    let setup = app.get("/admin/bao-mat", &cookie).await;
    assert!(setup.body.contains("bắt buộc bật xác thực hai lớp"), "{}", setup.body);

    app.set_up_second_factor("nhan.vien", &cookie).await;
    assert_eq!(app.get(page, &cookie).await.status, StatusCode::OK, "{role:?} {page}");

    app.clock.advance(Duration::seconds(30));
    let r = app.sign_in_form(&password_alone, None, OFFICE).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{role:?}: {}", r.body);
    assert!(r.body.contains("Nhập mã xác thực 6 số từ ứng dụng xác thực."), "{}", r.body);
    assert!(r.session().is_none(), "{role:?}: no session for a password alone");
    let code = app.code("nhan.vien").await;
    let r = app.sign_in_form(&[("username", "nhan.vien"), ("password", PASSWORD), ("code", &code)], None, OFFICE).await;
    let cookie = r.session().expect("the password and a code sign in");
    assert_eq!(app.get(page, &cookie).await.status, StatusCode::OK, "{role:?} {page}");
}

async fn a_password_alone_is_refused_to_a_system_administrator(db: TestDb) {
    a_password_alone_is_refused(db, Role::SystemAdmin).await;
}

async fn a_password_alone_is_refused_to_an_organiser(db: TestDb) {
    a_password_alone_is_refused(db, Role::Organiser).await;
}

async fn a_password_alone_is_refused_to_a_judge(db: TestDb) {
    a_password_alone_is_refused(db, Role::Judge).await;
}

async fn a_password_alone_is_refused_to_the_secretariat(db: TestDb) {
    a_password_alone_is_refused(db, Role::Secretariat).await;
}

async fn a_password_alone_is_refused_to_a_unit_coordinator(db: TestDb) {
    a_password_alone_is_refused(db, Role::UnitCoordinator).await;
}

async fn a_password_alone_is_refused_to_a_viewer(db: TestDb) {
    a_password_alone_is_refused(db, Role::Viewer).await;
}

async fn only_a_demo_lets_staff_in_with_a_password_alone(db: TestDb) {
    let mut app = app(db).await;
    let config = WebConfig { second_factor: SecondFactor::AdministratorsOnly, ..Default::default() };
    app.router = cuocthi_web::router_with(app.engine.clone(), Limits::default(), config);
    let page = account(&app, "btc", Role::Organiser).await;
    account(&app, "quantri", Role::SystemAdmin).await;
    let cookie = app.sign_in_form(&[("username", "btc"), ("password", PASSWORD)], None, OFFICE).await.session();
    assert_eq!(app.get(page, &cookie.unwrap()).await.status, StatusCode::OK, "the demo's organiser");
    let cookie = app.sign_in_form(&[("username", "quantri"), ("password", PASSWORD)], None, OFFICE).await.session();
    assert_eq!(app.get("/admin", &cookie.unwrap()).await.location(), "/admin/bao-mat", "never an administrator");
    assert_eq!(WebConfig::default().second_factor, SecondFactor::EveryAccount, "on unless said otherwise");
}

async fn changing_ones_password_asks_for_the_current_one(db: TestDb) {
    let app = app(db).await;
    let cookie = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let new = "mat-khau-moi-cua-btc-2026";
    let r =
        app.post("/admin/bao-mat/mat-khau", &cookie, &[("current", "khong-phai-mat-khau"), ("password", new)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Mật khẩu hiện tại không đúng; mật khẩu chưa được đổi."), "{}", r.body);
    let r = app.post("/admin/bao-mat/mat-khau", &cookie, &[("password", new)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no current password at all: {}", r.body);
    // Nothing changed: the session goes on and the old password still signs in.
    assert_eq!(app.get("/admin", &cookie).await.status, StatusCode::OK);
    app.clock.advance(Duration::seconds(30));
    app.sign_in("btc", "", OFFICE).await;

    let r = app.post("/admin/bao-mat/mat-khau", &cookie, &[("current", PASSWORD), ("password", new)]).await;
    assert_eq!(r.location(), "/admin/dang-nhap", "{}", r.body);
    assert_eq!(app.get("/admin", &cookie).await.location(), "/admin/dang-nhap", "every session ended");
    app.clock.advance(Duration::seconds(30));
    let code = app.code("btc").await;
    let r = app.sign_in_form(&[("username", "btc"), ("password", new), ("code", &code)], None, OFFICE).await;
    assert!(r.session().is_some(), "the new password: {}", r.body);
    let log = app.store.audit_entries(&AuditFilter { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "account.password").count(), 1);
}

/// A stolen session guessing the current password meets the account's throttle, and the page
/// answers like every throttle: 429 with the wait in `Retry-After`.
async fn guessing_the_current_password_is_told_when_to_come_back(db: TestDb) {
    let app = app(db).await;
    let cookie = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let mut refused = None;
    for n in 0..30 {
        let guess = format!("doan-mat-khau-{n}");
        let r = app
            .post("/admin/bao-mat/mat-khau", &cookie, &[("current", &guess), ("password", "mat-khau-moi-2026")])
            .await;
        if r.status != StatusCode::UNPROCESSABLE_ENTITY {
            refused = Some((n, r));
            break;
        }
    }
    let (n, r) = refused.expect("the throttle holds within 30 guesses");
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "guess {n}: {}", r.body);
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait >= 1, "a wait in seconds");
    assert!(r.body.contains("<form"), "the page again, with the message");
}

async fn an_administrator_resets_another_accounts_password(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let id = app.store.account_by_username("btc").await.unwrap().unwrap().id;
    let me = app.store.account_by_username("quantri").await.unwrap().unwrap().id;
    let new = "mat-khau-cap-lai-2026";
    let reset = format!("/admin/tai-khoan/{id}/mat-khau");
    assert!(app.get("/admin/tai-khoan", &admin).await.body.contains(&format!("action=\"{reset}\"")));
    // Only a system administrator, and never for themselves (that needs the current password).
    let r = app.post(&reset, &organiser, &[("password", new)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post(&format!("/admin/tai-khoan/{me}/mat-khau"), &admin, &[("password", new)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let r = app.post(&reset, &admin, &[("password", new)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã đặt lại mật khẩu của tài khoản btc"), "{}", r.body);
    assert_eq!(app.get("/admin", &organiser).await.location(), "/admin/dang-nhap", "its sessions ended");
    app.clock.advance(Duration::seconds(30));
    let code = app.code("btc").await;
    let r = app.sign_in_form(&[("username", "btc"), ("password", new), ("code", &code)], None, OFFICE).await;
    assert!(r.session().is_some(), "the new password: {}", r.body);
    let log = app.store.audit_entries(&AuditFilter { limit: 50, ..Default::default() }).await.unwrap();
    let entry = log.iter().find(|e| e.action == "account.password_reset").expect("recorded");
    assert_eq!((entry.actor.as_str(), entry.subject.clone()), ("quantri", format!("account:{id}")));
    assert!(!log.iter().any(|e| e.action == "account.password"), "not the change of one's own password");
}
