//! Every console route refused to every role that may not use it: the role table below is
//! checked against the console's own route table, so a new route cannot be left out.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use cuocthi_engine::console::Role;
use cuocthi_store::Store;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::app;

on_both_backends!(every_console_route_refuses_every_role_that_may_not_use_it);

/// Who may use a route: anyone, any signed-in staff member, system administrators, or the named
/// roles on the contest.
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
    // The console's router is built from its own table of routes: this table must name each of
    // them, and nothing else.
    let listed: BTreeSet<&str> = table.iter().map(|(_, pattern, _, _)| *pattern).collect();
    let declared: BTreeSet<&str> = cuocthi_web::console_route_paths().into_iter().collect();
    assert_eq!(listed, declared, "the table must name every console route");

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
