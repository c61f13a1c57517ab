//! The participant's rough edges (issue 17) through the real router: dates typed on a number
//! pad, a mistyped CCCD told as such, a result that says what happened, a closed contest that
//! leads to its results, the running attempt first, and the columns the ranking used.

use axum::http::{Method, StatusCode, header};
use chrono::Duration;
use cuocthi_engine::console::Role;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{App, app};

on_both_backends!(
    dates_are_read_as_typed_and_missing_days_named,
    sign_in_checks_the_number_before_looking_it_up,
    the_result_says_the_time_ran_out_and_what_was_answered,
    a_closed_contest_leads_to_its_results,
    the_running_attempt_is_at_the_top,
    the_console_s_rough_edges
);

const PRACTICE: &str = "/cuoc-thi/thi-thu";

/// Registers on the practice contest through the form; the session cookie.
async fn register(app: &App, cccd: &str, date_of_birth: &str) -> String {
    let form = [
        ("full_name", "Lê Văn Cường"),
        ("date_of_birth", date_of_birth),
        ("cccd", cccd),
        ("phone", "0912000456"),
        ("consent", "1"),
    ];
    let done = app.page(Method::POST, &format!("{PRACTICE}/dang-ky"), None, Some(&form), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    done.header(header::SET_COOKIE).split(';').next().unwrap_or_default().to_string()
}

/// Starts the practice round through the contest page's button; the attempt's address.
async fn start(app: &App, cookie: &str) -> String {
    let round = app.engine.contest("thi-thu").await.unwrap().rounds[0].id;
    let p = app.page(Method::POST, &format!("{PRACTICE}/vao-thi/{round}"), Some(cookie), None, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    p.location().to_string()
}

async fn dates_are_read_as_typed_and_missing_days_named(db: TestDb) {
    let app = app(db).await;
    let form = |dob| {
        [
            ("full_name", "Lê Văn Cường"),
            ("date_of_birth", dob),
            ("cccd", "036195000321"),
            ("phone", "0912000456"),
            ("consent", "1"),
        ]
    };
    // 31 February: the date does not exist; the form it was written in is not blamed.
    let bad = app.page(Method::POST, &format!("{PRACTICE}/dang-ky"), None, Some(&form("31/02/1995")), &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let field = bad.body.split("id=\"f-date_of_birth\"").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(field.contains("Ngày 31/02/1995 không tồn tại"), "{field}");
    assert!(!field.contains("hãy viết dạng"), "{field}");
    assert!(
        bad.body.contains("inputmode=\"numeric\"") && bad.body.contains("data-date"),
        "the script adds the slashes"
    );

    // Eight digits from a number pad are a day, a month and a year.
    let done = app.page(Method::POST, &format!("{PRACTICE}/dang-ky"), None, Some(&form("02091995")), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // Signing in again: digits accepted (the date stored is 02/09/1995), a missing day named.
    let sign_in = |dob| [("key", "036195000321"), ("date_of_birth", dob)];
    let p = app.page(Method::POST, &format!("{PRACTICE}/dang-nhap"), None, Some(&sign_in("02091995")), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app.page(Method::POST, &format!("{PRACTICE}/dang-nhap"), None, Some(&sign_in("30/02/1995")), &[]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Ngày 30/02/1995 không tồn tại"), "{}", p.body);
    assert!(p.body.contains("/static/register.js"), "the sign-in page adds the slashes too");
}

async fn sign_in_checks_the_number_before_looking_it_up(db: TestDb) {
    let app = app(db).await;
    register(&app, "036195000654", "02/09/1995").await;
    let try_with = |key| [("key", key), ("date_of_birth", "02/09/1995")];
    // Seven digits: the format, next to the field, and no look-up.
    let p = app.page(Method::POST, &format!("{PRACTICE}/dang-nhap"), None, Some(&try_with("0361950")), &[]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let field = p.body.split("id=\"f-key\"").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(field.contains("12 chữ số"), "{field}");
    assert!(!p.body.contains("không khớp") && !p.body.contains("Không tìm thấy đăng ký"), "{}", p.body);
    // A well-formed number nobody registered, or a wrong date: one wording, which does not say
    // that someone registered with the number.
    for (key, dob) in [("036195000999", "02/09/1995"), ("036195000654", "03/09/1995")] {
        let form = [("key", key), ("date_of_birth", dob)];
        let p = app.page(Method::POST, &format!("{PRACTICE}/dang-nhap"), None, Some(&form), &[]).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("Không tìm thấy đăng ký nào có số giấy tờ và ngày sinh này"), "{}", p.body);
        assert!(!p.body.contains("người đã đăng ký"), "{}", p.body);
    }
}

async fn the_result_says_the_time_ran_out_and_what_was_answered(db: TestDb) {
    let app = app(db).await;
    let cookie = register(&app, "036195000777", "02/09/1995").await;
    let at = start(&app, &cookie).await;
    // One answer saved, then the page's clock reaches zero and posts the form.
    let form = [("q0", "0"), ("action", "nop"), ("xac_nhan", "1"), ("het_gio", "1")];
    let p = app.page(Method::POST, &format!("{at}/luu"), Some(&cookie), Some(&form), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), format!("{at}/ket-qua?het-gio=1"));
    let result = app.page(Method::GET, p.location(), Some(&cookie), None, &[]).await;
    assert_eq!(result.status, StatusCode::OK);
    assert!(result.body.contains("Hết giờ: bài của bạn đã được nộp tự động với các câu đã lưu"), "{}", result.body);
    assert!(result.body.contains("<dt>Số câu đã trả lời</dt><dd>1/20</dd>"), "{}", result.body);
    // Submitted by hand, the same result says nothing about time.
    let plain = app.page(Method::GET, &format!("{at}/ket-qua"), Some(&cookie), None, &[]).await;
    assert!(!plain.body.contains("Hết giờ"));
    // A low score is not in the success colour.
    let low = plain.body.contains("<div class=\"low-score\"><dt>Số câu trả lời đúng</dt>");
    let correct: u32 =
        plain.body.split("<dd class=\"score\">").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    assert_eq!(low, correct < 10, "{correct}/20 shown as {}", if low { "low" } else { "good" });

    // Submitted by the server at the deadline (the sweep): the notice without the address's help.
    let cookie = register(&app, "036195000778", "02/09/1995").await;
    let at = start(&app, &cookie).await;
    app.clock.advance(Duration::hours(1));
    app.engine.sweep().await.unwrap();
    let swept = app.page(Method::GET, &format!("{at}/ket-qua"), Some(&cookie), None, &[]).await;
    assert_eq!(swept.status, StatusCode::OK, "{}", swept.body);
    assert!(swept.body.contains("Hết giờ: bài của bạn đã được nộp tự động"), "{}", swept.body);
    assert!(swept.body.contains("<dt>Số câu đã trả lời</dt><dd>0/20</dd>"));
    assert!(
        swept.body.contains("<div class=\"low-score\"><dt>Số câu trả lời đúng</dt><dd class=\"score\">0/20</dd>"),
        "0/20 is not a success"
    );
}

async fn a_closed_contest_leads_to_its_results(db: TestDb) {
    let app = app(db).await;
    let slug = "tim-hieu-chuyen-doi-so-quang-ninh-2024";
    let page = format!("/cuoc-thi/{slug}");
    // Closed, nothing published yet: no link to an empty page; registration closed all the same.
    let closed = app.page(Method::GET, &page, None, None, &[]).await;
    assert!(!closed.body.contains(&format!("href=\"{page}/ket-qua\"")));
    let form = app.page(Method::GET, &format!("{page}/dang-ky"), None, None, &[]).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Cuộc thi đã kết thúc nên không nhận đăng ký mới."), "{}", form.body);
    assert!(!form.body.contains(&format!("action=\"{page}/dang-ky\"")), "no form");
    // A registration posted anyway: the engine refuses it, and the page says why, kindly.
    let typed = [("full_name", "Lê Văn Cường"), ("date_of_birth", "02/09/1995"), ("consent", "1")];
    let late = app.page(Method::POST, &format!("{page}/dang-ky"), None, Some(&typed), &[]).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    assert!(late.body.contains("không nhận đăng ký mới"), "{}", late.body);
    assert!(late.body.contains(&format!("href=\"{page}/ket-qua\"")));

    // Played and published: the contest page links to its results, which show the columns that
    // decided the order.
    cuocthi_engine::demo::synthetic(&app.engine, slug, 1, 40, 17).await.unwrap();
    app.engine.publish(slug, Some(1), None).await.unwrap();
    let closed = app.page(Method::GET, &page, None, None, &[]).await;
    assert!(closed.body.contains(&format!("href=\"{page}/ket-qua\"")), "{}", closed.body);
    let results = app.page(Method::GET, &format!("{page}/ket-qua"), None, None, &[]).await;
    assert_eq!(results.status, StatusCode::OK);
    let head = results.body.split("<thead>").nth(1).unwrap().split("</thead>").next().unwrap();
    let columns = ["Số câu đúng", "Số dự đoán", "Chênh lệch dự đoán", "Thời gian"];
    let at: Vec<usize> = columns.iter().map(|c| head.find(c).unwrap_or_else(|| panic!("no {c} in {head}"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "the columns in the ranking's order: {head}");
}

async fn the_running_attempt_is_at_the_top(db: TestDb) {
    let app = app(db).await;
    let cookie = register(&app, "036195000888", "02/09/1995").await;
    let at = start(&app, &cookie).await;
    let page = app.page(Method::GET, PRACTICE, Some(&cookie), None, &[]).await;
    let running = page.body.find("Bạn có bài thi đang làm dở").expect("the running attempt is shown");
    let link = page.body.find(&format!("href=\"{at}\"")).expect("with a link back to it");
    let rounds = page.body.find("<section class=\"round\"").unwrap();
    assert!(running < rounds && link < rounds, "before the rounds");
    // The practice contest awards no prizes: its tiebreak question is said to be for practice.
    assert!(page.body.contains("câu hỏi dự đoán trong bài chỉ để bạn làm quen"));
    // … and its rules say the ranking is only for practice, not how prizes are given.
    assert!(page.body.contains("Kết quả thi thử không xét giải. Bảng xếp hạng thi thử chỉ để làm quen"));
}

async fn the_console_s_rough_edges(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    // The address field: a pattern Chromium accepts with the `v` flag (`-` escaped in a class),
    // and the server's error names the field as the form does.
    let form = app.get("/admin/cuoc-thi/moi", &admin).await;
    assert!(form.body.contains(r#"pattern="[a-z0-9]([a-z0-9\-]*[a-z0-9])?""#), "{}", form.body);
    assert!(form.body.contains("Địa chỉ cuộc thi"));
    let r = app.post("/admin/cuoc-thi", &admin, &[("slug", "Sai Địa Chỉ"), ("title", "X"), ("organiser", "Y")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Địa chỉ cuộc thi chỉ gồm chữ thường"), "{}", r.body);
    assert!(!r.body.contains("Mã cuộc thi"), "{}", r.body);

    // No attempts yet: an empty state, not three blank charts.
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let stats = app.get("/admin/cuoc-thi/thi-thu/thong-ke", &organiser).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    assert!(stats.body.contains("chưa có lượt thi nào"), "{}", stats.body);
    assert!(!stats.body.contains("<h3>Theo ngày</h3>"));

    // The import page carries its own help.
    let import = app.get("/admin/cuoc-thi/thi-thu/nhap-cau-hoi", &organiser).await;
    assert_eq!(import.status, StatusCode::OK);
    assert!(import.body.contains("Hướng dẫn chuẩn bị tệp câu hỏi") && import.body.contains("Đáp án: B"));
    assert!(!import.body.contains("docs/IMPORT.md"));

    // The icon every browser asks for.
    let icon = app.page(Method::GET, "/favicon.ico", None, None, &[]).await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.header(header::CONTENT_TYPE), "image/x-icon");
    assert!(icon.header(header::CACHE_CONTROL).contains("max-age="));
}
