//! Units in the console: the unit tree, registered lists and exclusions from spreadsheets, and
//! a unit coordinator's view of who has not taken part.

use axum::http::StatusCode;
use cuocthi_domain::identity::IdentityInput;
use cuocthi_engine::console::Role;
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{PASSWORD, app, person};

on_both_backends!(units_and_registered_lists_come_from_spreadsheets, a_unit_coordinator_sees_who_has_not_taken_part,);

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
    let coordinator = app.sign_in("daumoi", "", "10.0.0.2").await;
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
        let who = IdentityInput { unit: Some("THPT1".into()), ..person(name, &format!("4{i}")) };
        app.start_attempt("thi-thu", &who, round).await;
    }
    let coordinator = app.staff("daumoi", Role::Viewer, &[("thi-thu", Role::UnitCoordinator, "SGD")]).await;
    let page = app.get("/admin/cuoc-thi/thi-thu/tham-gia", &coordinator).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Sở Giáo dục và Đào tạo") && page.body.contains("Trường THPT Chuyên"));
    assert!(page.body.contains("<dt>Người đã tham gia</dt><dd>2</dd>"), "{}", page.body);
    assert!(page.body.contains("chưa tải lên danh sách cán bộ"));
    let closed = app.get("/admin/cuoc-thi/thi-thu/tham-gia?don_vi=CA", &coordinator).await;
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

    let bytes = app.download("/admin/cuoc-thi/thi-thu/tham-gia/SGD/chua-tham-gia.xlsx", Some(&coordinator)).await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    use calamine::Reader;
    let rows: Vec<Vec<String>> = wb
        .worksheet_range("Chưa tham gia")
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][1..], ["Vũ Thị Mai".to_string(), "0361******49".into(), "Trường THPT Chuyên".into()]);
    // The export of names is in the audit of personal data (Luật 91/2025), without the rows.
    let filter =
        cuocthi_store::AuditFilter { action_prefix: Some("personal.export".into()), limit: 5, ..Default::default() };
    let exports = app.store.audit_entries(&filter).await.unwrap();
    let export = exports.first().expect("the export is recorded");
    assert!(export.detail.contains("chua-tham-gia.xlsx") && !export.detail.contains("Vũ Thị Mai"), "{}", export.detail);
}
