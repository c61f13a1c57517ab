//! A person's personal data through the real router (Luật 91/2025/QH15): identification with
//! CCCD and date of birth before anything is shown, the readable page and the JSON download of
//! their own data only, a correction request that reaches the secretariat's queue and is carried
//! out there, the erasure's confirmation step, the record of processing, and the audit of who
//! viewed personal data exported as CSV.

use axum::http::{Method, StatusCode, header};
use cuocthi_engine::Role;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{App, app};

on_both_backends!(a_person_sees_downloads_and_asks_and_the_secretariat_answers);

/// Registers someone on the practice contest through its form; returns their session cookie.
async fn registered(app: &App, name: &str, cccd: &str, phone: &str) -> String {
    let form =
        [("full_name", name), ("date_of_birth", "12/05/1993"), ("cccd", cccd), ("phone", phone), ("consent", "1")];
    let done = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(&form), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    done.header(header::SET_COOKIE).split(';').next().unwrap().to_string()
}

async fn a_person_sees_downloads_and_asks_and_the_secretariat_answers(db: TestDb) {
    let app = app(db).await;
    registered(&app, "Trần Thị Bích Ngọc", "001193000888", "0912000888").await;
    registered(&app, "Phạm Văn Khoa", "001193000999", "0912000999").await;
    let mine = "/cuoc-thi/thi-thu/du-lieu-ca-nhan";

    // The form asks for the key and the date of birth; a wrong date shows nothing.
    let form = app.page(Method::GET, mine, None, None, &[]).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"date_of_birth\"") && form.body.contains("Dữ liệu cá nhân của tôi"));
    let wrong = [("key", "001193000888"), ("date_of_birth", "13/05/1993")];
    let r = app.page(Method::POST, mine, None, Some(&wrong), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.body.contains("Bích Ngọc") && !r.body.contains("0912000888"), "{}", r.body);
    assert!(r.header(header::SET_COOKIE).is_empty(), "no session for a wrong date");
    let unknown = [("key", "001193000777"), ("date_of_birth", "12/05/1993")];
    let r = app.page(Method::POST, mine, None, Some(&unknown), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.body.contains("Bích Ngọc") && !r.body.contains("Khoa") && r.header(header::SET_COOKIE).is_empty());
    // A form posted from another site is refused before anything is looked at.
    let cross = [("sec-fetch-site", "cross-site"), ("origin", "https://ke-gian.example")];
    let right = [("key", "001193000888"), ("date_of_birth", "12/05/1993")];
    assert_eq!(app.page(Method::POST, mine, None, Some(&right), &cross).await.status, StatusCode::FORBIDDEN);

    // The right date: the readable page, never stored, and the session for the requests.
    let r = app.page(Method::POST, mine, None, Some(&right), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.header(header::CACHE_CONTROL).contains("no-store"));
    for shown in ["Trần Thị Bích Ngọc", "001193000888", "0912000888", "12/05/1993", "Yêu cầu sửa dữ liệu"]
    {
        assert!(r.body.contains(shown), "{shown}");
    }
    assert!(!r.body.contains("001193000999") && !r.body.contains("Phạm Văn Khoa"));
    let cookie = r.header(header::SET_COOKIE).split(';').next().unwrap().to_string();
    let english = app.page(Method::POST, mine, Some("lang=en"), Some(&right), &[]).await;
    assert!(english.body.contains("My personal data") && english.body.contains("Download my data (JSON)"));

    // The download: JSON of this person only.
    let d = app.page(Method::POST, &format!("{mine}/tai-ve"), Some(&cookie), Some(&[]), &[]).await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.header(header::CONTENT_DISPOSITION).contains("attachment"));
    let json: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    let fields: Vec<String> =
        json["fields"].as_array().unwrap().iter().map(|f| f["value"].as_str().unwrap().to_string()).collect();
    assert!(fields.contains(&"001193000888".to_string()) && fields.contains(&"Trần Thị Bích Ngọc".to_string()));
    assert!(!d.body.contains("001193000999") && !d.body.contains("Khoa"));
    // Without a session nothing is downloaded.
    let none = app.page(Method::POST, &format!("{mine}/tai-ve"), None, Some(&[]), &[]).await;
    assert_ne!(none.status, StatusCode::OK);

    // A correction: refused when the value is wrong, otherwise sent to the queue with its deadline.
    let bad = [("field", "phone"), ("value", "123"), ("reason", "")];
    assert_eq!(
        app.page(Method::POST, &format!("{mine}/sua"), Some(&cookie), Some(&bad), &[]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let ask = [("field", "phone"), ("value", "0987000111"), ("reason", "Tôi đã đổi số điện thoại.")];
    let r = app.page(Method::POST, &format!("{mine}/sua"), Some(&cookie), Some(&ask), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã gửi yêu cầu"), "{}", r.body);

    let secretariat = app.staff("thuky", Role::Viewer, &[("thi-thu", Role::Secretariat, "")]).await;
    let queue = app.get("/admin/cuoc-thi/thi-thu/du-lieu-ca-nhan", &secretariat).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains("Yêu cầu sửa dữ liệu: Số điện thoại") && queue.body.contains("0987000111"));
    assert!(queue.body.contains("12 tháng") && queue.body.contains("120 tháng"), "the retention is stated");
    let id = queue.body.split("id=\"yeu-cau-").nth(1).unwrap().split('"').next().unwrap().to_string();
    let uri = format!("/admin/cuoc-thi/thi-thu/du-lieu-ca-nhan/{id}");
    let refused = app.post(&uri, &secretariat, &[("quyet_dinh", "tu-choi"), ("tra_loi", "")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "a refusal needs its reason");
    let done = app.post(&uri, &secretariat, &[("quyet_dinh", "dong-y"), ("tra_loi", "")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let again = app.page(Method::POST, mine, None, Some(&right), &[]).await;
    assert!(again.body.contains("0987000111") && again.body.contains("Đã thực hiện"), "{}", again.body);

    // Erasure asks for confirmation first; while the contest runs it goes to the secretariat.
    let r = app.page(Method::POST, &format!("{mine}/xoa"), Some(&cookie), Some(&[]), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Xác nhận yêu cầu xóa dữ liệu") && r.body.contains("name=\"xac_nhan\""), "{}", r.body);
    let confirmed = [("xac_nhan", "1"), ("reason", "Tôi rút lại sự đồng ý.")];
    let r = app.page(Method::POST, &format!("{mine}/xoa"), Some(&cookie), Some(&confirmed), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã gửi yêu cầu"), "{}", r.body);

    // Staff looking at people is audited; the organiser exports who viewed personal data.
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    assert_eq!(app.get("/admin/cuoc-thi/thi-thu/thi-sinh?q=001193000999", &organiser).await.status, StatusCode::OK);
    let record = app.get("/admin/cuoc-thi/thi-thu/ho-so-xu-ly", &organiser).await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(record.body.contains("Hồ sơ xử lý dữ liệu cá nhân") && record.body.contains("Số CCCD"));
    let csv = app.get("/admin/cuoc-thi/thi-thu/du-lieu-ca-nhan/truy-cap.csv", &organiser).await;
    assert_eq!(csv.status, StatusCode::OK);
    for action in ["personal.self_view", "personal.self_download", "personal.search"] {
        assert!(csv.body.contains(action), "{action} in\n{}", csv.body);
    }
    assert!(csv.body.contains(",btc,"), "the organiser's search names them:\n{}", csv.body);
    assert!(!csv.body.contains("001193000999"), "what was searched for is not written down");
    // The secretariat's answers are in the audit chain too.
    let chain = app.engine.verify_audit_chain().await.unwrap().unwrap();
    assert!(chain.entries > 0);
}
