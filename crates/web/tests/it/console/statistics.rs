//! Live statistics in the console, the statistics workbook and the summary report.

use axum::http::{Method, StatusCode};
use cuocthi_engine::console::Role;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{app, person};

on_both_backends!(live_statistics_come_from_the_counters);

/// The statistics page reads the counters: after three people start and two submit, it shows
/// them, in figures and in charts; the tiebreak figure so far is for organisers only.
async fn live_statistics_come_from_the_counters(db: TestDb) {
    let app = app(db).await;
    let round = app.engine.contest("thi-thu").await.unwrap().rounds[0].id;
    for i in 0..3 {
        let who = person(&format!("Người thống kê {i}"), &format!("3{i}"));
        let (claims, attempt) = app.start_attempt("thi-thu", &who, round).await;
        if i < 2 {
            app.engine.submit(claims, attempt, Some(3)).await.unwrap();
        }
    }
    assert_eq!(app.engine.count_attempts().await.unwrap(), 3);
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let viewer = app.staff("xem", Role::Viewer, &[("thi-thu", Role::Viewer, "")]).await;
    let page = app.get("/admin/cuoc-thi/thi-thu/thong-ke", &organiser).await;
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
    let seen = app.get("/admin/cuoc-thi/thi-thu/thong-ke", &viewer).await;
    assert_eq!(figure(&seen.body, "Lượt đã nộp bài"), "2");
    assert!(!seen.body.contains("chỉ Ban Tổ chức xem"), "not for viewers");
    // The workbook and the summary report, read back by real readers.
    let book = app.download("/admin/cuoc-thi/thi-thu/thong-ke.xlsx?dot=1", Some(&organiser)).await;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(book)).unwrap();
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
    let docx = app.download("/admin/cuoc-thi/thi-thu/bao-cao.docx", Some(&organiser)).await;
    assert!(docx.starts_with(b"PK"), "a Word document");
    if let Some(text) = cuocthi_testkit::libreoffice_convert("bao-cao.docx", &docx, "txt:Text") {
        let text = text.unwrap();
        assert!(
            text.contains("BÁO CÁO KẾT QUẢ CUỘC THI") && text.contains("3 người tham gia với 3 lượt thi"),
            "{text}"
        );
    }
    let analysis = app.get("/admin/cuoc-thi/thi-thu/phan-tich?dot=1", &organiser).await;
    assert!(analysis.body.contains("Độ phân biệt"), "{}", analysis.body);
    // The public counter says the same.
    let live = app.admin(Method::GET, "/api/v1/contests/thi-thu/live", None, None, "10.0.0.9").await;
    let live: serde_json::Value = serde_json::from_str(&live.body).unwrap();
    assert_eq!((live["people"].as_i64(), live["attempts"].as_i64()), (Some(3), Some(3)));
}
