//! Results in the console: approved as locked versions, published, checked by judges, changed
//! by a review; certificates and their public check; a participant's own place.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use cuocthi_engine::console::Role;
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::harness::{app, person};

on_both_backends!(
    published_results_certificates_and_their_check,
    the_committee_reviews_the_draft_and_approves_it_in_a_meeting
);

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils; scripts/ensure-pdf-tools installs it)");
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The address of the first "publish this version" form on the console's results page.
fn publish_address(page: &str) -> String {
    page.split("action=\"")
        .map(|a| a.split('"').next().unwrap_or_default())
        .find(|a| a.ends_with("/cong-bo"))
        .unwrap_or_else(|| panic!("no publish form in {page}"))
        .to_string()
}

async fn published_results_certificates_and_their_check(db: TestDb) {
    use cuocthi_domain::vntime;
    let app = app(db).await;
    let now = app.engine.now();
    let source = format!(
        r#"slug = "ket-qua-thu"
title = "Cuộc thi “Tìm hiểu pháp luật” năm 2026"
organiser = "Sở Tư pháp tỉnh Tuyên Quang"
question_bank = "bank.csv"

[certificate]
heading = "UBND TỈNH TUYÊN QUANG\nBAN TỔ CHỨC CUỘC THI"
place = "Tuyên Quang"
signatory_title = "TM. BAN TỔ CHỨC\nTRƯỞNG BAN"
signatory_name = "Hoàng Văn Thái"

[review]
min_seconds = 60

[[rounds]]
name = "Tuần 1"
opens = "{}"
closes = "{}"
questions_per_attempt = 10
time_limit_minutes = 10
attempts_per_person = 1
tiebreak = {{ prompt = "Dự đoán số người tham gia?", predicts = "people" }}
prizes = [{{ name = "Giải Nhất", count = 1, amount_vnd = 2000000 }}, {{ name = "Giải Nhì", count = 1, amount_vnd = 1000000 }}]
"#,
        vntime::format(now - Duration::hours(1)),
        vntime::format(now + Duration::hours(1))
    );
    app.engine.import_contest(&source, Some(("bank.csv", cuocthi_engine::demo::DEMO_BANK))).await.unwrap();
    let round = app.engine.contest("ket-qua-thu").await.unwrap().rounds[0].id;
    let names = ["Nguyễn Thị Thu Hằng", "Trần Văn Bình", "Lê Hoàng Yến"];
    for (i, name) in names.iter().enumerate() {
        let (claims, attempt) = app.start_attempt("ket-qua-thu", &person(name, &format!("2{i}")), round).await;
        // The first person answers more questions than the second, the third none.
        for pos in 0..(2 - i) * 5 {
            app.engine.save_answer(claims, attempt, pos, Some(0)).await.unwrap();
        }
        app.clock.advance(Duration::seconds(20));
        app.engine.submit(claims, attempt, None).await.unwrap();
    }
    let organiser = app.staff("btc", Role::Viewer, &[("ket-qua-thu", Role::Organiser, "")]).await;
    // Not before the round closes.
    let r = app.post("/admin/cuoc-thi/ket-qua-thu/ket-qua/phe-duyet", &organiser, &[("dot", "1")]).await;
    assert!(r.body.contains("Chỉ phê duyệt kết quả sau khi đợt thi kết thúc."), "{}", r.body);
    app.clock.advance(Duration::hours(2));
    // Two hours idle ended the session: sign in again.
    let organiser = app.sign_in("btc", "", "10.0.0.1").await;
    let judge = app.staff("giamkhao", Role::Viewer, &[("ket-qua-thu", Role::Judge, "")]).await;
    let approve = async |cookie: &str, reason: &str| {
        app.post("/admin/cuoc-thi/ket-qua-thu/ket-qua/phe-duyet", cookie, &[("dot", "1"), ("reason", reason)]).await
    };
    assert_eq!(approve(&judge, "").await.status, StatusCode::FORBIDDEN, "judges check, organisers approve");
    let r = approve(&organiser, "").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua", "{}", r.body);
    // Approved is locked but not yet public; the organiser publishes that version.
    let page = app.admin(Method::GET, "/cuoc-thi/ket-qua-thu/ket-qua", None, None, "10.0.0.9").await.body;
    assert!(!page.contains("Giải Nhất"), "approved, not yet published");
    let console = app.get("/admin/cuoc-thi/ket-qua-thu/ket-qua", &organiser).await;
    let publish_v1 = publish_address(&console.body);
    let r = app.post(&publish_v1, &organiser, &[]).await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua", "{}", r.body);

    // The public page: winners with unit, locality and prize, never CCCD or phone.
    let page = app.admin(Method::GET, "/cuoc-thi/ket-qua-thu/ket-qua", None, None, "10.0.0.9").await.body;
    assert!(page.contains("Giải Nhất") && page.contains("Giải Nhì"), "{page}");
    assert_eq!(names.iter().filter(|n| page.contains(*n)).count(), 2, "two prizes, two winners");
    assert!(!page.contains("036195000120") && !page.contains("0912000120"), "no personal data");
    let serial = page.split("href=\"/chung-nhan/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let check = app.admin(Method::GET, &format!("/chung-nhan/{serial}"), None, None, "10.0.0.9").await;
    assert!(check.body.contains("Giấy chứng nhận hợp lệ") && check.body.contains("Giải Nhất"), "{}", check.body);
    let winner = *names.iter().find(|n| check.body.contains(*n)).unwrap();
    let forged = format!("{}0", &serial[..serial.len() - 1]);
    let forged = if forged == serial { format!("{}1", &serial[..serial.len() - 1]) } else { forged };
    assert_eq!(
        app.admin(Method::GET, &format!("/chung-nhan/{forged}"), None, None, "10.0.0.9").await.status,
        StatusCode::NOT_FOUND
    );

    // The certificate itself: the Vietnamese name extracted intact by a real PDF tool.
    let req = Request::get(format!("/chung-nhan/{serial}/giay-chung-nhan.pdf")).body(Body::empty()).unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers().get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    let pdf = resp.into_body().collect().await.unwrap().to_bytes();
    let text = pdf_text(&pdf);
    for want in [winner, "Giải Nhất", "Tuần 1", "UBND TỈNH TUYÊN QUANG", "Hoàng Văn Thái", "GIẤY CHỨNG NHẬN"]
    {
        assert!(text.contains(want), "{want} in {text}");
    }
    // Every certificate of the round at once, a page each.
    let ranking = serial.split('-').next().unwrap();
    let pdf =
        app.download(&format!("/admin/cuoc-thi/ket-qua-thu/ket-qua/{ranking}/chung-nhan.pdf"), Some(&judge)).await;
    let text = pdf_text(&pdf);
    assert_eq!(names.iter().filter(|n| text.contains(*n)).count(), 2, "{text}");
    assert_eq!(text.matches("GIẤY CHỨNG NHẬN").count(), 2);

    // The workbook: the whole ranking for judges; the prize list's contact data for organisers only.
    let book = |cookie: String| {
        let app = &app;
        async move {
            let bytes = app.download("/admin/cuoc-thi/ket-qua-thu/ket-qua.xlsx?dot=1", Some(&cookie)).await;
            let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
            use calamine::Reader;
            let rows = |wb: &mut calamine::Xlsx<_>, name: &str| -> Vec<Vec<String>> {
                wb.worksheet_range(name).unwrap().rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
            };
            (rows(&mut wb, "Xếp hạng"), rows(&mut wb, "Danh sách giải"), wb.sheet_names())
        }
    };
    let (ranking, prizes, sheets) = book(judge.clone()).await;
    assert_eq!(sheets, vec!["Xếp hạng", "Danh sách giải", "Giải tập thể", "Tham gia theo đơn vị"]);
    assert_eq!(ranking.len(), 4, "a heading and everyone ranked: {ranking:?}");
    assert_eq!(ranking[0][..2], ["Hạng".to_string(), "Họ và tên".to_string()]);
    assert_eq!(prizes.len(), 3);
    assert!(!prizes[0].contains(&"Số CCCD".to_string()), "no contact data for judges");
    let (_, prizes, _) = book(organiser.clone()).await;
    assert!(
        prizes[0].contains(&"Số CCCD".to_string()) && prizes[1].iter().any(|c| c.starts_with("03619500012")),
        "{prizes:?}"
    );
    // LibreOffice (where installed) opens the workbook too; its first sheet is the ranking.
    let bytes = app.download("/admin/cuoc-thi/ket-qua-thu/ket-qua.xlsx?dot=1", Some(&judge)).await;
    if let Some(csv) =
        cuocthi_testkit::libreoffice_convert("ket-qua.xlsx", &bytes, "csv:Text - txt - csv (StarCalc):44,34,76")
    {
        let csv = csv.unwrap();
        assert!(csv.starts_with("Hạng,Họ và tên") && names.iter().all(|n| csv.contains(n)), "{csv}");
    }

    // The judges' check: the publication follows from the raw answers.
    let r = app.post("/admin/cuoc-thi/ket-qua-thu/ket-qua/kiem-tra", &judge, &[("dot", "1")]).await;
    assert!(
        r.body.contains("Đã chấm lại 3 lượt thi") && r.body.contains("Kết quả khớp với bản đã công bố."),
        "{}",
        r.body
    );

    // The judge's review: every attempt took 20 s, under the contest's minimum of 60 s; the
    // judge disqualifies the winner's attempt with a reason.
    let review = app.get("/admin/cuoc-thi/ket-qua-thu/ra-soat", &judge).await;
    assert!(review.body.contains("Làm bài quá nhanh"), "{}", review.body);
    let winner_attempt = review
        .body
        .split("<tr>")
        .find(|row| row.contains(winner))
        .and_then(|row| row.split("name=\"attempt\"><option value=\"").nth(1))
        .and_then(|x| x.split('"').next())
        .unwrap()
        .to_string();
    let disqualify = async |reason: &str| {
        let form = [("dot", "1"), ("attempt", winner_attempt.as_str()), ("reason", reason)];
        app.post("/admin/cuoc-thi/ket-qua-thu/ra-soat/loai", &judge, &form).await
    };
    let r = disqualify("x").await;
    assert!(r.body.contains("Hãy ghi rõ lý do"), "a reason is required: {}", r.body);
    let r = disqualify("Nộp bài sau 20 giây, biên bản số 3").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ra-soat?dot=1", "{}", r.body);
    let review = app.get("/admin/cuoc-thi/ket-qua-thu/ra-soat", &judge).await;
    assert!(review.body.contains("Nộp bài sau 20 giây, biên bản số 3") && review.body.contains("Đã loại"));
    // The console shows the draft differs; a new version needs a reason.
    let console = app.get("/admin/cuoc-thi/ket-qua-thu/ket-qua", &organiser).await;
    assert!(console.body.contains("Bảng xếp hạng nháp đã khác phiên bản đã phê duyệt gần nhất"), "{}", console.body);
    let r = approve(&organiser, "").await;
    assert!(r.body.contains("phiên bản mới cần ghi lý do"), "{}", r.body);
    let r = approve(&organiser, "Loại lượt thi theo biên bản số 3").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua");
    let console = app.get("/admin/cuoc-thi/ket-qua-thu/ket-qua", &organiser).await;
    assert!(console.body.contains("Loại lượt thi theo biên bản số 3") && console.body.contains("Công bố phiên bản 2"));
    let publish_v2 = publish_address(&console.body);
    let r = app.post(&publish_v2, &organiser, &[]).await;
    assert_eq!(r.location(), "/admin/cuoc-thi/ket-qua-thu/ket-qua", "{}", r.body);
    let page = app.admin(Method::GET, "/cuoc-thi/ket-qua-thu/ket-qua", None, None, "10.0.0.9").await.body;
    assert!(page.contains("phiên bản 2") && !page.contains(winner), "{page}");
    // The winner's old certificate still verifies, and says a newer version exists.
    let check = app.admin(Method::GET, &format!("/chung-nhan/{serial}"), None, None, "10.0.0.9").await;
    assert!(check.body.contains("đã công bố một phiên bản kết quả mới"), "{}", check.body);

    // A participant looks up their own place by CCCD and date of birth, never in the address.
    let lookup = async |cccd: &str, dob: &str| {
        let form = [("key", cccd), ("date_of_birth", dob)];
        app.admin(Method::POST, "/cuoc-thi/ket-qua-thu/ket-qua", None, Some(&form), "10.0.0.9").await
    };
    let mine = lookup("036195000122", "02/09/1995").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains("Hạng 2 trên 2 người"), "{}", mine.body);
    let wrong = lookup("036195000122", "03/09/1995").await;
    assert!(!wrong.body.contains("Hạng "), "{}", wrong.body);
    assert_ne!(wrong.status, StatusCode::OK);
}

/// Seed 004 after its close, played by 120 synthetic people: the committee sees the draft it
/// approves (winners with their deciding columns, collective prizes, the judges' exclusion),
/// downloads the meeting's record, approves with the record's number and, once published,
/// prints each awarded unit's certificate.
async fn the_committee_reviews_the_draft_and_approves_it_in_a_meeting(db: TestDb) {
    use cuocthi_engine::console::review::Target;
    let app = app(db).await;
    let slug = cuocthi_engine::demo::PLAYED_SLUG;
    cuocthi_engine::demo::synthetic(&app.engine, slug, 1, 120, 5).await.unwrap();
    let judge = app.staff("giamkhao", Role::Viewer, &[(slug, Role::Judge, "")]).await;
    let organiser = app.staff("btc", Role::Viewer, &[(slug, Role::Organiser, "")]).await;
    let leader = app.engine.round_results(slug, 1).await.unwrap().awards[0].participant_id;
    let admin = cuocthi_engine::console::Staff {
        account_id: 0,
        username: "quantri".into(),
        full_name: "Quản trị".into(),
        system_admin: true,
        has_totp: true,
        grants: vec![],
        session: String::new(),
    };
    let reason = "Khai báo sai đơn vị, biên bản rà soát số 2";
    app.engine.disqualify(&admin, slug, Target::Person(leader), reason).await.unwrap();
    let draft = app.engine.round_results(slug, 1).await.unwrap();
    let first = draft.awards[0].participant_id;
    let first = app.store.participants_by_id(&[first]).await.unwrap().remove(0).identity.full_name.unwrap();

    let page = app.get(&format!("/admin/cuoc-thi/{slug}/ket-qua"), &judge).await.body;
    for want in [
        "Bảng xếp hạng nháp trình Hội đồng",
        first.as_str(),
        "Chênh lệch",
        "Giải tập thể",
        "Giải Khuyến khích",
        reason,
        "ket-qua/bien-ban.docx?dot=1",
    ] {
        assert!(page.contains(want), "{want} in {page}");
    }
    assert!(!page.contains("name=\"meeting\""), "judges review, organisers approve");
    let record = app.download(&format!("/admin/cuoc-thi/{slug}/ket-qua/bien-ban.docx?dot=1"), Some(&judge)).await;
    assert!(record.starts_with(b"PK"), "a .docx is a zip");

    let page = app.get(&format!("/admin/cuoc-thi/{slug}/ket-qua"), &organiser).await.body;
    assert!(page.contains("name=\"meeting\""), "the approval asks for the meeting's record");
    let meeting = "Biên bản số 05/BB-BTC ngày 07/12/2026";
    let form = [("dot", "1"), ("reason", ""), ("meeting", meeting)];
    let r = app.post(&format!("/admin/cuoc-thi/{slug}/ket-qua/phe-duyet"), &organiser, &form).await;
    assert_eq!(r.location(), format!("/admin/cuoc-thi/{slug}/ket-qua"), "{}", r.body);
    let stored = app.store.contest_by_slug(slug).await.unwrap().unwrap();
    let versions = app.store.ranking_versions(stored.contest.id, Some(stored.rounds[0].id)).await.unwrap();
    assert_eq!(versions[0].approved_by.as_deref(), Some("btc"), "who approved");
    let (_, body) = app.store.published_by_id(versions[0].id).await.unwrap().unwrap();
    assert!(body.contains(meeting), "the meeting's reference with the version: {body}");
    let page = app.get(&format!("/admin/cuoc-thi/{slug}/ket-qua"), &organiser).await.body;
    assert!(!page.contains("trình Hội đồng"), "approved as it stands: no draft to review");
    assert!(!page.contains("loai=tap-the"), "the units' certificates wait for the publication");

    // Published, each awarded unit has its certificate, checked by its QR code's address.
    let r = app.post(&publish_address(&page), &organiser, &[]).await;
    assert_eq!(r.location(), format!("/admin/cuoc-thi/{slug}/ket-qua"), "{}", r.body);
    let page = app.get(&format!("/admin/cuoc-thi/{slug}/ket-qua"), &organiser).await.body;
    let units = format!("/admin/cuoc-thi/{slug}/ket-qua/{}/chung-nhan.pdf?loai=tap-the", versions[0].id);
    assert!(page.contains(&units), "{page}");
    let awarded: Vec<String> = app.engine.published_collective(slug).await.unwrap()[0]
        .units
        .iter()
        .filter(|u| u.prize.is_some())
        .map(|u| u.unit.clone())
        .collect();
    let text = pdf_text(&app.download(&units, Some(&judge)).await);
    assert_eq!(text.matches("GIẤY CHỨNG NHẬN").count(), awarded.len(), "{text}");
    for want in
        [awarded[0].as_str(), awarded[awarded.len() - 1].as_str(), "Giải Nhất", "Giải tập thể", "người tham gia"]
    {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert!(!text.contains(&first), "no person's certificate among the units'");
    let unit = app.engine.certificates_of(versions[0].id).await.unwrap().into_iter().find(|c| c.collective).unwrap();
    let check = app.admin(Method::GET, &unit.verify_path, None, None, "10.0.0.9").await;
    assert!(check.body.contains("Giấy chứng nhận hợp lệ") && check.body.contains(&awarded[0]), "{}", check.body);
}
