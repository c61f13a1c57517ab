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

/// The address to try for `pattern`: on the practice contest, its question `question` where the
/// route names a question, unit `X`, round 1, and an id that exists nowhere else; the workbooks
/// and the analysis of round 1.
fn address(pattern: &str, question: i64) -> String {
    let uri = pattern
        .replace("cau-hoi/{id}", &format!("cau-hoi/{question}"))
        .replace("{slug}", "thi-thu")
        .replace("{number}", "1")
        .replace("{code}", "X")
        .replace("{unit}", "X");
    let uri = ["{id}", "{staged}", "{ranking}"].iter().fold(uri, |uri, id| uri.replace(id, "999"));
    let of_round =
        ["/thong-ke.xlsx", "/ket-qua.xlsx", "/bien-ban.docx", "/phan-tich"].iter().any(|end| uri.ends_with(end));
    if of_round { format!("{uri}?dot=1") } else { uri }
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
    let list_keepers: &[Role] = &[Organiser, UnitCoordinator];
    let figure_readers: &[Role] = &[Organiser, Judge, Secretariat, Viewer];
    let event_keepers: &[Role] = &[Organiser, Secretariat];
    let table: Vec<(Method, &str, May)> = vec![
        (Method::GET, "/admin/dang-nhap", May::Anyone),
        (Method::POST, "/admin/dang-nhap", May::Anyone),
        (Method::GET, "/admin/bao-mat", May::Signed),
        (Method::POST, "/admin/bao-mat/bat-dau", May::Signed),
        (Method::POST, "/admin/bao-mat/xac-nhan", May::Signed),
        (Method::POST, "/admin/bao-mat/mat-khau", May::Signed),
        (Method::GET, "/admin", May::Signed),
        (Method::GET, "/admin/tai-khoan", May::Admin),
        (Method::POST, "/admin/tai-khoan", May::Admin),
        (Method::POST, "/admin/tai-khoan/{id}/khoa", May::Admin),
        (Method::POST, "/admin/tai-khoan/{id}/go-xac-thuc", May::Admin),
        (Method::POST, "/admin/tai-khoan/{id}/mat-khau", May::Admin),
        (Method::GET, "/admin/nhat-ky", May::Admin),
        (Method::GET, "/admin/nhat-ky.csv", May::Admin),
        (Method::GET, "/admin/sao-luu", May::Admin),
        (Method::POST, "/admin/sao-luu/kiem-tra", May::Admin),
        (Method::GET, "/admin/cuoc-thi/moi", May::Admin),
        (Method::POST, "/admin/cuoc-thi", May::Admin),
        (Method::GET, "/admin/cuoc-thi/{slug}", May::Roles(everyone_on_contest)),
        (Method::GET, "/admin/cuoc-thi/{slug}/dinh-nghia", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/dinh-nghia", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/dot/{number}/mo", May::Roles(organisers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/nhan-su", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/nhan-su", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/nhan-su/{id}/xoa", May::Roles(organisers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/nhat-ky", May::Roles(auditors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/nhat-ky.csv", May::Roles(auditors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/cau-hoi", May::Roles(bank_readers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/cau-hoi", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/cau-hoi.csv", May::Roles(bank_readers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/cau-hoi.xlsx", May::Roles(bank_readers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/cau-hoi/moi", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/cau-hoi/{id}", May::Roles(bank_readers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/cau-hoi/{id}", May::Roles(bank_editors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/cau-hoi/{id}/trang-thai", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/nhap-cau-hoi", May::Roles(bank_editors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/nhap-cau-hoi", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}/tien-do", May::Roles(bank_editors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}/xac-nhan", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/thi-sinh", May::Roles(everyone_on_contest)),
        (Method::POST, "/admin/cuoc-thi/{slug}/thi-sinh/gop", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/thi-sinh/{id}", May::Roles(everyone_on_contest)),
        (Method::GET, "/admin/cuoc-thi/{slug}/du-lieu-ca-nhan", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/du-lieu-ca-nhan/{id}", May::Roles(event_keepers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/du-lieu-ca-nhan/truy-cap.csv", May::Roles(auditors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/ho-so-xu-ly", May::Roles(event_keepers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/don-vi", May::Roles(everyone_on_contest)),
        (Method::POST, "/admin/cuoc-thi/{slug}/don-vi", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/loai-tru", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/don-vi/{code}/danh-sach", May::Roles(list_keepers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/tai-lieu", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/tai-lieu", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/tai-lieu/{id}/xoa", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/bieu-trung", May::Roles(organisers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/ket-qua", May::Roles(auditors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/ket-qua/phe-duyet", May::Roles(organisers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/ket-qua/{ranking}/cong-bo", May::Roles(organisers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/thong-ke", May::Roles(figure_readers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/thong-ke.xlsx", May::Roles(figure_readers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/bao-cao.docx", May::Roles(figure_readers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/tham-gia", May::Roles(everyone_on_contest)),
        (Method::POST, "/admin/cuoc-thi/{slug}/tham-gia/{unit}/danh-sach-can-bo", May::Roles(list_keepers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/tham-gia/{unit}/chua-tham-gia.xlsx", May::Roles(everyone_on_contest)),
        (Method::GET, "/admin/cuoc-thi/{slug}/phan-tich", May::Roles(bank_readers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/ra-soat", May::Roles(auditors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/ra-soat/loai", May::Roles(auditors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/ra-soat/{id}/huy-loai", May::Roles(auditors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/ket-qua/kiem-tra", May::Roles(auditors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/ket-qua/{ranking}/chung-nhan.pdf", May::Roles(auditors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/ket-qua.xlsx", May::Roles(auditors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/ket-qua/bien-ban.docx", May::Roles(auditors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/gop-y", May::Roles(bank_readers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/gop-y/{id}/tra-loi", May::Roles(bank_editors)),
        (Method::POST, "/admin/cuoc-thi/{slug}/gop-y/{id}/dong", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/gop-y/cau-hoi/{id}", May::Roles(bank_readers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/gop-y/cau-hoi/{id}/huy", May::Roles(bank_editors)),
        (Method::GET, "/admin/cuoc-thi/{slug}/hoi-thi", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/doi", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/thu-tu", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/phan-thi", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/phieu/{id}/mo-lai", May::Roles(&[Secretariat])),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/phieu-giay", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/kien-thuc", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/cong-tru", May::Roles(event_keepers)),
        (Method::POST, "/admin/cuoc-thi/{slug}/hoi-thi/boc-tham", May::Roles(organisers)),
        (Method::GET, "/admin/cuoc-thi/{slug}/hoi-thi/phieu-trang.pdf", May::Roles(&[Organiser, Secretariat, Judge])),
        (Method::GET, "/admin/cuoc-thi/{slug}/cham-diem", May::Roles(&[Judge])),
        (Method::POST, "/admin/cuoc-thi/{slug}/cham-diem/phieu", May::Roles(&[Judge])),
        // The event's stage: run by the organisers, the secretariat and the MC; its question sets by the
        // first two only.
        (Method::GET, "/admin/cuoc-thi/{slug}/san-khau", May::Roles(&[Organiser, Secretariat, Mc])),
        (Method::POST, "/admin/cuoc-thi/{slug}/san-khau", May::Roles(&[Organiser, Secretariat, Mc])),
        (Method::POST, "/admin/cuoc-thi/{slug}/san-khau/bo-cau-hoi", May::Roles(bank_editors)),
        (Method::POST, "/admin/dang-xuat", May::Signed),
    ];
    let uploads =
        ["/nhap-cau-hoi", "/don-vi", "/loai-tru", "/danh-sach", "/tai-lieu", "/bieu-trung", "/danh-sach-can-bo"];
    // The console's router is built from its own table of routes: this table must name each of
    // them, and nothing else.
    let listed: BTreeSet<&str> = table.iter().map(|(_, pattern, _)| *pattern).collect();
    let declared: BTreeSet<&str> = cuocthi_web::console_route_paths().into_iter().collect();
    assert_eq!(listed, declared, "the table must name every console route");

    for (method, pattern, may) in &table {
        let uri = &address(pattern, question);
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
        let r = app.post("/admin/dang-xuat", cookie, &[]).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/admin/dang-nhap"), "{who}");
        let r = app.get("/admin", cookie).await;
        assert_eq!(r.location(), "/admin/dang-nhap", "{who}: the session ended");
    }
}
