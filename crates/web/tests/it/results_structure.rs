//! Results a province can sign, through the real router (issues 14 and 17): the committee
//! adjusts the collective prize structure on the console's results page with a reason, which the
//! public page shows; the in-person event's team prizes are approved, published, checked and
//! certified, a team certificate's QR address verifying at the certificate check page.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use chrono::Duration;
use cuocthi_domain::event::Points;
use cuocthi_domain::vntime;
use cuocthi_engine::console::event::MemberInput;
use cuocthi_engine::console::{Grant, Role, Staff};
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{App, app, person};

on_both_backends!(
    the_committee_adjusts_the_collective_prizes_on_the_results_page,
    the_event_team_prizes_are_published_and_their_certificates_verify
);

const SLUG: &str = "ket-qua-ky";

/// A contest asking for the unit, whose round is open now for an hour; with a collective prize
/// and an in-person event of two parts with three team prizes.
async fn contest(app: &App) -> i64 {
    let now = app.engine.now();
    let source = format!(
        r#"slug = "{SLUG}"
title = "Hội thi “Chuyển đổi số” năm 2026"
organiser = "Sở Khoa học và Công nghệ"
question_bank = "bank.csv"

[eligibility]
required_fields = ["full_name", "date_of_birth", "cccd", "phone", "unit"]

[[units]]
code = "SO-A"
name = "Sở A"
headcount = 10

[[units]]
code = "SO-B"
name = "Sở B"
headcount = 10

[[units]]
code = "SO-C"
name = "Sở C"
headcount = 10

[[rounds]]
name = "Tuần 1"
opens = "{}"
closes = "{}"
questions_per_attempt = 10
time_limit_minutes = 10
attempts_per_person = 1
ranking_order = ["correct_desc", "time_taken_asc", "submitted_at_asc"]
prizes = [{{ name = "Giải Nhất", count = 1, amount_vnd = 2000000 }}]

[[collective_prizes]]
name = "Đơn vị có nhiều người tham gia nhất"
basis = "participants"
tiers = [{{ name = "Giải Nhất", count = 1, amount_vnd = 5000000 }}, {{ name = "Giải Nhì", count = 1, amount_vnd = 3000000 }}]

[event]
name = "Hội thi trực tiếp"
max_team_size = 5
aggregation = {{ method = "mean", decimals = 2, round_at = "criterion" }}
tie_breaks = ["kien-thuc"]

[[event.parts]]
key = "gioi-thieu"
name = "Giới thiệu đội thi"
kind = "judged"
step = 0.5
criteria = [{{ key = "noi-dung", name = "Nội dung", max = 40 }}]

[[event.parts]]
key = "kien-thuc"
name = "Tìm hiểu kiến thức"
kind = "knowledge"
questions = 5
points = 10
seconds_per_question = 30
answering = 3

[[event_prizes]]
name = "Giải Nhất"
count = 1
amount_vnd = 3000000

[[event_prizes]]
name = "Giải Nhì"
count = 1
amount_vnd = 2000000
"#,
        vntime::format(now - Duration::hours(1)),
        vntime::format(now + Duration::hours(1))
    );
    app.engine.import_contest(&source, Some(("bank.csv", cuocthi_engine::demo::DEMO_BANK))).await.unwrap();
    app.engine.contest(SLUG).await.unwrap().rounds[0].id
}

/// The address of the first "publish this version" form on the console's results page.
fn publish_address(page: &str) -> String {
    page.split("action=\"")
        .map(|a| a.split('"').next().unwrap_or_default())
        .find(|a| a.ends_with("/cong-bo"))
        .unwrap_or_else(|| panic!("no publish form in {page}"))
        .to_string()
}

/// A PDF's text as a real reader extracts it (Debian's poppler-utils).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The serials the public page links to, in its order.
fn serials(page: &str) -> Vec<String> {
    page.split("href=\"/chung-nhan/").skip(1).filter_map(|x| x.split('"').next()).map(str::to_string).collect()
}

async fn public(app: &App, uri: &str) -> String {
    let r = app.admin(Method::GET, uri, None, None, "10.0.0.9").await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
    r.body
}

async fn the_committee_adjusts_the_collective_prizes_on_the_results_page(db: TestDb) {
    let app = app(db).await;
    let round = contest(&app).await;
    // Sở A: three people; Sở B: two; Sở C: one.
    for (i, unit) in ["SO-A", "SO-A", "SO-A", "SO-B", "SO-B", "SO-C"].iter().enumerate() {
        let mut who = person(&format!("Người dự thi {i}"), &format!("3{i}"));
        who.unit = Some(unit.to_string());
        let (claims, attempt) = app.start_attempt(SLUG, &who, round).await;
        app.clock.advance(Duration::seconds(20));
        app.engine.submit(claims, attempt, None).await.unwrap();
    }
    app.clock.advance(Duration::hours(2));
    let organiser = app.staff("btc", Role::Viewer, &[(SLUG, Role::Organiser, "")]).await;
    let console = app.get(&format!("/admin/cuoc-thi/{SLUG}/ket-qua"), &organiser).await;
    for field in ["name=\"muc-0-0-so\"", "name=\"muc-0-1-tien\"", "name=\"ly_do_co_cau\"", "value=\"5000000\""] {
        assert!(console.body.contains(field), "{field} in {}", console.body);
    }
    // The draft shows the columns that decided the order, in the order the round states.
    let stated = "<th scope=\"col\">Số câu đúng</th><th scope=\"col\">Thời gian</th><th scope=\"col\">Nộp bài lúc</th>";
    assert!(console.body.contains(stated), "{}", console.body);
    assert!(console.body.contains("xếp theo số câu đúng, rồi thời gian làm bài, rồi thời điểm nộp bài"));
    let approve = format!("/admin/cuoc-thi/{SLUG}/ket-qua/phe-duyet");
    let mut form = vec![
        ("dot", "1"),
        ("muc-0-0-so", "1"),
        ("muc-0-0-tien", "5000000"),
        ("muc-0-1-so", "2"),
        ("muc-0-1-tien", "3000000"),
        ("ly_do_co_cau", ""),
    ];
    let r = app.post(&approve, &organiser, &form).await;
    assert!(r.body.contains("cần ghi lý do"), "a changed structure needs its reason: {}", r.body);
    let reason = "Hội đồng bổ sung một giải Nhì cho đơn vị có tỷ lệ tham gia cao";
    form[5].1 = reason;
    let r = app.post(&approve, &organiser, &form).await;
    assert_eq!(r.location(), format!("/admin/cuoc-thi/{SLUG}/ket-qua"), "{}", r.body);
    let console = app.get(&format!("/admin/cuoc-thi/{SLUG}/ket-qua"), &organiser).await;
    assert!(console.body.contains("Giải Nhì: 2 giải") && console.body.contains(reason), "shown in the version");
    let r = app.post(&publish_address(&console.body), &organiser, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The public page: the collective prizes with the committee's reason, a certificate for
    // each awarded unit.
    let page = public(&app, &format!("/cuoc-thi/{SLUG}/ket-qua")).await;
    assert!(page.contains("Giải tập thể") && page.contains("Đơn vị có nhiều người tham gia nhất"), "{page}");
    assert!(page.contains(&format!("Cơ cấu giải do Hội đồng điều chỉnh: {reason}")), "{page}");
    assert!(page.contains("Xếp hạng lần lượt theo các cột: Số câu đúng, Thời gian, Nộp bài lúc"), "{page}");
    assert!(page.contains(stated), "the public columns in the stated order: {page}");
    let all = serials(&page);
    assert_eq!(all.len(), 4, "one winner, then Sở A, B and C: {all:?}");
    let unit = public(&app, &format!("/chung-nhan/{}", all[3])).await;
    assert!(unit.contains("Sở C") && unit.contains("Giải Nhì"), "{unit}");
    // A unit's certificate names a collective (tập thể), not a person.
    assert!(unit.contains("<dt>Tập thể</dt><dd>Sở C</dd>") && !unit.contains("Họ và tên"), "{unit}");
    // The judges' check passes with the structure the version stored.
    let judge = app.staff("giamkhao", Role::Viewer, &[(SLUG, Role::Judge, "")]).await;
    let r = app.post(&format!("/admin/cuoc-thi/{SLUG}/ket-qua/kiem-tra"), &judge, &[("dot", "1")]).await;
    assert!(r.body.contains("Kết quả khớp với bản đã công bố."), "{}", r.body);
}

/// The staff member an account's grant makes, for the engine's calls.
async fn staff_of(app: &App, username: &str, role: Role) -> Staff {
    let account = app.store.account_by_username(username).await.unwrap().unwrap();
    let contest_id = app.store.contest_by_slug(SLUG).await.unwrap().unwrap().contest.id;
    Staff {
        account_id: account.id,
        username: username.into(),
        full_name: username.into(),
        system_admin: false,
        has_totp: true,
        grants: vec![Grant { id: account.id, contest_id, role, unit: None }],
        session: String::new(),
    }
}

async fn the_event_team_prizes_are_published_and_their_certificates_verify(db: TestDb) {
    let app = app(db).await;
    contest(&app).await;
    let organiser = app.staff("btc", Role::Viewer, &[(SLUG, Role::Organiser, "")]).await;
    app.staff("thuky", Role::Viewer, &[(SLUG, Role::Secretariat, "")]).await;
    let judge_cookie = app.staff("giamkhao", Role::Viewer, &[(SLUG, Role::Judge, "")]).await;
    let (secretariat, judge) =
        (staff_of(&app, "thuky", Role::Secretariat).await, staff_of(&app, "giamkhao", Role::Judge).await);
    let e = &app.engine;
    e.set_part_open(&secretariat, SLUG, "gioi-thieu", true).await.unwrap();
    // Sở A 30 + 30, Sở B 35 + 30, Sở C 25 + 20.
    for (unit, intro, correct) in [("SO-A", 3000, 3), ("SO-B", 3500, 3), ("SO-C", 2500, 2)] {
        let members: Vec<MemberInput> = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Yến"]
            .iter()
            .enumerate()
            .map(|(i, n)| MemberInput {
                name: format!("{n} {unit}"), position: "Chuyên viên".into(), captain: i == 0
            })
            .collect();
        let team = e.save_team(&secretariat, SLUG, unit, &format!("Đội {unit}"), &members).await.unwrap().id;
        let scores: BTreeMap<String, Points> = [("noi-dung".to_string(), Points::hundredths(intro))].into();
        e.submit_sheet(&judge, SLUG, team, "gioi-thieu", &scores).await.unwrap();
        e.enter_answers(&secretariat, SLUG, team, "kien-thuc", correct).await.unwrap();
    }
    let console = app.get(&format!("/admin/cuoc-thi/{SLUG}/ket-qua"), &organiser).await;
    assert!(
        console.body.contains("Xếp hạng nháp các đội thi") && console.body.contains("Đội SO-B"),
        "{}",
        console.body
    );
    assert!(console.body.contains("chưa đóng chấm điểm"), "what stops the approval is shown: {}", console.body);
    e.set_part_open(&secretariat, SLUG, "gioi-thieu", false).await.unwrap();
    let approve = format!("/admin/cuoc-thi/{SLUG}/ket-qua/phe-duyet");
    let r = app.post(&approve, &organiser, &[("dot", "su-kien"), ("meeting", "Biên bản số 03/BB-BTC")]).await;
    assert_eq!(r.location(), format!("/admin/cuoc-thi/{SLUG}/ket-qua"), "{}", r.body);
    let console = app.get(&format!("/admin/cuoc-thi/{SLUG}/ket-qua"), &organiser).await;
    let r = app.post(&publish_address(&console.body), &organiser, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let page = public(&app, &format!("/cuoc-thi/{SLUG}/ket-qua")).await;
    assert!(page.contains("Hội thi trực tiếp") && page.contains("Nguyễn Văn An SO-B (đội trưởng)"), "{page}");
    let b = page.find("Đội SO-B").unwrap();
    assert!(b < page.find("Đội SO-A").unwrap() && page.find("Đội SO-A").unwrap() < page.find("Đội SO-C").unwrap());
    let all = serials(&page);
    assert_eq!(all.len(), 2, "two team prizes: {all:?}");
    // The QR code's address: the check page names the team, its unit and its members.
    let check = public(&app, &format!("/chung-nhan/{}", all[0])).await;
    for want in ["Giấy chứng nhận hợp lệ", "Đội SO-B", "Sở B", "Trần Thị Bình SO-B", "Giải Nhất"]
    {
        assert!(check.contains(want), "{want} in {check}");
    }
    let pdf = app.download(&format!("/chung-nhan/{}/giay-chung-nhan.pdf", all[0]), None).await;
    let text = pdf_text(&pdf);
    for want in ["Đội SO-B", "Sở B", "Nguyễn Văn An SO-B (đội trưởng)", "Giải Nhất", "Hội thi trực tiếp"]
    {
        assert!(text.contains(want), "{want} in {text}");
    }
    let record =
        app.download(&format!("/admin/cuoc-thi/{SLUG}/ket-qua/bien-ban.docx?dot=su-kien"), Some(&organiser)).await;
    assert!(record.starts_with(b"PK"), "the event's meeting record, a Word document");
    // The judges' check recomputes the teams from the stored sheets.
    let r = app.post(&format!("/admin/cuoc-thi/{SLUG}/ket-qua/kiem-tra"), &judge_cookie, &[("dot", "su-kien")]).await;
    assert!(
        r.body.contains("Kiểm tra kết quả hội thi") && r.body.contains("Kết quả khớp với bản đã công bố."),
        "{}",
        r.body
    );
    // The workbook holds the event's sheets.
    let book = app.download(&format!("/admin/cuoc-thi/{SLUG}/ket-qua.xlsx?dot=1"), Some(&organiser)).await;
    let wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(book)).unwrap();
    use calamine::Reader;
    let names = wb.sheet_names();
    for want in ["Hội thi - phiếu chấm", "Hội thi - tổng hợp", "Hội thi - xếp hạng"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
}
