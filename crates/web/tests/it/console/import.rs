//! Question files imported through the console: the report before anything is imported, and
//! a large file read in the background with its progress.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cuocthi_engine::console::Role;
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{Deadline, READING_LIMIT, Reply, app, send_to};

on_both_backends!(a_question_file_is_imported_only_after_its_report, a_large_question_file_is_read_in_the_background,);

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
    let r = app.post(&confirm, &cookie, &[]).await;
    assert!(r.body.contains("hãy đánh dấu bỏ qua các câu lỗi"), "{}", r.body);
    assert_eq!(app.store.bank(contest).await.unwrap().len(), before);
    let r = app.post(&confirm, &cookie, &[("skip_invalid", "1")]).await;
    // Redirected, so a reload cannot confirm twice; the bank page says what was done.
    assert_eq!(r.location(), "/admin/cuoc-thi/thi-thu/cau-hoi?da-nhap=2");
    let r = app.get("/admin/cuoc-thi/thi-thu/cau-hoi?da-nhap=2", &cookie).await;
    assert!(r.body.contains("Đã nhập 2 câu hỏi vào ngân hàng."), "{}", r.body);
    // The reading of an imported file is over: its page asks for the file again. (Its reload
    // starts a new reading on this node, which finds the file gone: followed until it does.)
    let r = app.follow_reading(&reading, &cookie).await;
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
    let r = app.post("/admin/cuoc-thi/thi-thu/cau-hoi", &cookie, &twin).await;
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
    let r = app.post(&confirm, &other, &[("skip_invalid", "1")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.follow_reading(&reading, &other).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("Đã đọc") && !r.body.contains("Mật khẩu nào mạnh nhất?"), "{}", r.body);
    let r = app.get(&format!("{reading}/tien-do"), &other).await;
    assert!(!r.body.contains("Mật khẩu"), "{}", r.body);
    // Searching without marks finds the new question; the import is in the audit log.
    let r = app.get("/admin/cuoc-thi/thi-thu/cau-hoi?q=luat+an+ninh+mang", &cookie).await;
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
    // 30,000 questions (about 2 MB): long enough to read to show its progress on most machines.
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
    // Until the reading is over, the script's question (import.js asks it every second) and the
    // page the browser reloads: each answer says how far in words, its stages only ever go
    // forward, and the page is the progress until it is the report. How many answers come before
    // the end depends on the machine, so none is required.
    let stages = ["waiting", "reading", "checking"];
    let mut stage = 0;
    let mut seen = Vec::new();
    let deadline = Deadline::after(READING_LIMIT, format!("the reading of {reading}"));
    let report = loop {
        let r = app.get(&format!("{reading}/tien-do"), &cookie).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
        let p: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        if p["finished"] == false {
            let now = stages.iter().position(|s| p["stage"] == *s).unwrap_or_else(|| panic!("a stage: {p}"));
            assert!(now >= stage, "{p} after {:?}: a reading never goes back", stages[stage]);
            stage = now;
            assert!(p["text"].as_str().unwrap().starts_with("Đang "), "{p}");
            assert!(p["done"].as_u64().unwrap() <= p["total"].as_u64().unwrap(), "{p}");
            seen.push(stages[now]);
        } else {
            assert_eq!(p, serde_json::json!({"finished": true}));
        }
        let r = app.get(&reading, &cookie).await;
        if !r.body.contains("data-progress-url") {
            break r;
        }
        progress_page(&r);
        deadline.pause(std::time::Duration::from_millis(50)).await;
    };
    println!("stages seen before the report: {seen:?}, after {:?}", deadline.elapsed());
    // Another node (its own memory, the same database) reads the staged file itself: its
    // progress page first, or the report at once.
    let other_node = cuocthi_web::router(app.engine.clone());
    let deadline = Deadline::after(READING_LIMIT, format!("the reading of {reading} on another node"));
    let seen_elsewhere = loop {
        let req = Request::get(&reading).header(header::COOKIE, &cookie).body(Body::empty()).unwrap();
        let r = send_to(&other_node, req).await;
        if !r.body.contains("data-progress-url") {
            break r;
        }
        progress_page(&r);
        deadline.pause(std::time::Duration::from_millis(100)).await;
    };
    for page in [&report, &seen_elsewhere] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("Đã đọc 30000 câu hỏi: <strong>30000</strong> câu hợp lệ sẽ được nhập, 0 câu có lỗi"),
            "{}",
            page.body
        );
    }
    let r = app.get(&format!("{reading}/tien-do"), &cookie).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["finished"], true);
}

/// What the page of a reading shows while it lasts: a progress bar and the stage in words,
/// refreshed without JavaScript (a meta refresh) and by import.js with it; no inline script.
fn progress_page(r: &Reply) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(r#"<noscript><meta http-equiv="refresh" content="1"></noscript>"#));
    assert!(r.body.contains("<progress") && r.body.contains("Đang "), "{}", r.body);
    assert!(r.body.contains(cuocthi_web::assets::IMPORT_JS.url()), "{}", r.body);
    assert!(!r.body.contains("<script>"), "no inline script");
}
