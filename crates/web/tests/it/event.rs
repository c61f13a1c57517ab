//! The in-person event's pages (issue 14) through the real router on each store: the judges'
//! sheets (only their own, only while the part is open, locked once sent, a resubmission with its
//! key stored once, a different one refused with 409, bad scores explained in Vietnamese), the
//! secretariat's reopening with a reason and paper sheets (both in the audit log), fifty sheets
//! sent at once kept as one, and the blank paper sheet read back from its PDF.

use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cuocthi_engine::console::Role;
use cuocthi_store::{AuditFilter, ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};
use serde_json::Value;

use crate::harness::{App, Reply, app, encode};

on_both_backends!(
    judges_score_only_their_own_open_sheets,
    the_secretariat_reopens_with_a_reason_and_enters_paper_sheets,
    fifty_submissions_of_one_sheet_over_http_keep_one,
    ties_are_explained_and_the_committee_draws_the_lot,
    the_blank_paper_sheet_reads_back
);

/// Seed 002, whose definition holds the in-person event (three parts, 8 district teams).
const SLUG: &str = "chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023";
const UNITS: [&str; 3] = ["gia-nghia", "cu-jut", "krong-no"];
const INTRO: &str = "gioi-thieu";

fn url(tail: &str) -> String {
    format!("/admin/cuoc-thi/{SLUG}{tail}")
}

struct Event {
    app: App,
    contest_id: i64,
    secretariat: String,
    organiser: String,
    judges: Vec<String>,
    teams: Vec<i64>,
}

/// The demo with a secretariat, an organiser and two judges on seed 002, three teams registered
/// through the form and their order drawn.
async fn event(db: TestDb) -> Event {
    let app = app(db).await;
    let contest_id = app.store.contest_by_slug(SLUG).await.unwrap().unwrap().contest.id;
    let secretariat = app.staff("thuky", Role::Viewer, &[(SLUG, Role::Secretariat, "")]).await;
    let organiser = app.staff("btc", Role::Viewer, &[(SLUG, Role::Organiser, "")]).await;
    let mut judges = Vec::new();
    for n in 1..=2 {
        judges.push(app.staff(&format!("giamkhao{n}"), Role::Viewer, &[(SLUG, Role::Judge, "")]).await);
    }
    for unit in UNITS {
        let form = [
            ("unit", unit),
            ("name", ""),
            ("name_1", "Nguyễn Văn An"),
            ("position_1", "Phó Chủ tịch UBND"),
            ("name_2", "Trần Thị Bình"),
            ("position_2", "Chuyên viên"),
            ("captain", "1"),
        ];
        let r = app.post(&url("/hoi-thi/doi"), &secretariat, &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = app.post(&url("/hoi-thi/thu-tu"), &secretariat, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut teams: Vec<(i64, i64)> = app
        .store
        .event_teams(contest_id)
        .await
        .unwrap()
        .iter()
        .map(|t| (t.performance_order.expect("drawn"), t.id))
        .collect();
    teams.sort();
    let teams = teams.into_iter().map(|(_, id)| id).collect();
    Event { app, contest_id, secretariat, organiser, judges, teams }
}

/// A sheet's form for the introduction part: `(nội dung, khả thi, trình bày)` as typed.
fn sheet<'a>(team: &'a str, key: &'a str, scores: [&'a str; 3]) -> Vec<(&'a str, &'a str)> {
    vec![
        ("team", team),
        ("part", INTRO),
        ("key", key),
        ("c.noi-dung", scores[0]),
        ("c.kha-thi", scores[1]),
        ("c.trinh-bay", scores[2]),
    ]
}

/// A sheet sent as `event.js` sends it (asking for JSON).
async fn send_json(app: &App, cookie: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let req = Request::post(url("/cham-diem/phieu"))
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encode(form)))
        .unwrap();
    let r = app.send(req).await;
    (r.status, serde_json::from_str(&r.body).unwrap_or(Value::Null))
}

/// The details of the contest's audit entries of `action`, newest first, with their actors.
async fn audit(app: &App, contest_id: i64, action: &str) -> Vec<(String, Value)> {
    // The store's prefix drops `_` (a LIKE wildcard): the action is compared here.
    let filter = AuditFilter {
        contest_id: Some(contest_id),
        action_prefix: Some("event.".into()),
        limit: 1000,
        ..Default::default()
    };
    let rows = app.store.audit_entries(&filter).await.unwrap();
    rows.into_iter()
        .filter(|a| a.action == action)
        .map(|a| (a.actor, serde_json::from_str(&a.detail).unwrap()))
        .collect()
}

fn assert_page(r: &Reply, status: StatusCode, needle: &str) {
    assert_eq!(r.status, status, "{needle}: {}", r.body);
    assert!(r.body.contains(needle), "{needle} in {}", r.body);
}

async fn judges_score_only_their_own_open_sheets(db: TestDb) {
    let ev = event(db).await;
    let app = &ev.app;
    let (j1, j2) = (&ev.judges[0], &ev.judges[1]);
    let team = ev.teams[0].to_string();

    // A closed part: the page says so, a sheet is refused (409), never a 500.
    let r = app.get(&url("/cham-diem"), j1).await;
    assert_page(&r, StatusCode::OK, "Phần thi này chưa mở chấm điểm hoặc đã đóng");
    assert!(!r.body.contains("data-sheet="), "no sheet while the part is closed");
    let r = app.post(&url("/cham-diem/phieu"), j1, &sheet(&team, "k-closed", ["35", "25", "25"])).await;
    assert_page(&r, StatusCode::CONFLICT, "chưa mở hoặc đã đóng chấm điểm");
    // Only the secretariat or the organisers open a part.
    let open = [("part", INTRO), ("open", "1")];
    assert_eq!(app.post(&url("/hoi-thi/phan-thi"), j1, &open).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&url("/hoi-thi/phan-thi"), &ev.secretariat, &open).await.status, StatusCode::SEE_OTHER);

    // The sheets of the open part, in performance order, with each criterion's bounds.
    let r = app.get(&url("/cham-diem"), j1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.matches("data-sheet=").count(), 3, "one sheet per team");
    assert!(r.body.contains(r#"inputmode="decimal" min="0" max="40" step="0.25""#), "{}", r.body);
    let first = r.body.find(&format!("data-sheet=\"{}|", ev.teams[0])).unwrap();
    let last = r.body.find(&format!("data-sheet=\"{}|", ev.teams[2])).unwrap();
    assert!(first < last, "teams in performance order");

    // Bad scores: a message in Vietnamese on the page (422) or in JSON (400), nothing stored.
    for (scores, needle) in [
        (["41", "25", "25"], "phải từ 0 đến 40"),
        (["7,3", "25", "25"], "chấm theo bước 0,25"),
        (["abc", "25", "25"], "không phải là số điểm"),
        (["", "25", "25"], "Hãy nhập điểm tiêu chí"),
    ] {
        let r = app.post(&url("/cham-diem/phieu"), j1, &sheet(&team, "k-bad", scores)).await;
        assert_page(&r, StatusCode::UNPROCESSABLE_ENTITY, needle);
        let (status, body) = send_json(app, j1, &sheet(&team, "k-bad", scores)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(needle), "{body}");
    }
    assert!(audit(app, ev.contest_id, "event.sheet_submit").await.is_empty());

    // A plain POST, then the sheet locked on the page.
    let good = sheet(&team, "k-1", ["35,5", "27.25", "25"]);
    let r = app.post(&url("/cham-diem/phieu"), j1, &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), url(&format!("/cham-diem#phieu-{team}-{INTRO}")));
    let r = app.get(&url("/cham-diem"), j1).await;
    assert!(r.body.contains("Đã nộp — phiếu đã khóa."));
    assert_eq!(r.body.matches("data-sheet=").count(), 2, "the sent sheet is no longer a form");
    assert!(r.body.contains("87,75"), "the total");
    // Sent again with its key and the same scores: the same sheet, nothing new stored.
    let (status, body) = send_json(app, j1, &good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["sheet"]["status"].as_str(), body["sheet"]["total"].as_str()), (Some("submitted"), Some("87,75")));
    assert_eq!(audit(app, ev.contest_id, "event.sheet_submit").await.len(), 1);
    // Other scores: 409 with a clear message, as JSON and as a page.
    let other = sheet(&team, "k-2", ["30", "27.25", "25"]);
    let (status, body) = send_json(app, j1, &other).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["error"]["message"].as_str().unwrap().contains("đã khóa"), "{body}");
    let r = app.post(&url("/cham-diem/phieu"), j1, &other).await;
    assert_page(&r, StatusCode::CONFLICT, "chỉ Tổ Thư ký có thể mở lại phiếu");

    // Another judge sees no trace of it and cannot reach anyone's sheets.
    let r = app.get(&url("/cham-diem"), j2).await;
    assert_eq!(r.body.matches("data-sheet=").count(), 3, "judge 2 has all three sheets to fill");
    assert!(!r.body.contains("87,75") && !r.body.contains("Đã nộp"));
    assert_eq!(app.get(&url("/hoi-thi"), j2).await.status, StatusCode::FORBIDDEN, "no one else's sheets");
    let sheet_id = app.store.event_sheets(ev.contest_id, None).await.unwrap()[0].id;
    let r = app.post(&url(&format!("/hoi-thi/phieu/{sheet_id}/mo-lai")), j2, &[("reason", "Sửa hộ")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let paper = [("judge", "1"), ("team", team.as_str()), ("part", INTRO), ("c.noi-dung", "1")];
    assert_eq!(app.post(&url("/hoi-thi/phieu-giay"), j2, &paper).await.status, StatusCode::FORBIDDEN);
    // A team of no such event: 404, not 500.
    let (status, _) = send_json(app, j2, &sheet("999999", "k-x", ["35", "25", "25"])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Closed again: neither read nor written.
    let close = [("part", INTRO), ("open", "0")];
    assert_eq!(app.post(&url("/hoi-thi/phan-thi"), &ev.secretariat, &close).await.status, StatusCode::SEE_OTHER);
    let r = app.get(&url("/cham-diem"), j1).await;
    assert!(r.body.contains("chưa mở chấm điểm hoặc đã đóng") && !r.body.contains("87,75"));
    let (status, _) = send_json(app, j2, &sheet(&team, "k-late", ["35", "25", "25"])).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn the_secretariat_reopens_with_a_reason_and_enters_paper_sheets(db: TestDb) {
    let ev = event(db).await;
    let app = &ev.app;
    let j1 = &ev.judges[0];
    let team = ev.teams[1].to_string();
    app.post(&url("/hoi-thi/phan-thi"), &ev.secretariat, &[("part", INTRO), ("open", "1")]).await;
    let r = app.get(&url("/hoi-thi"), &ev.secretariat).await;
    assert_page(&r, StatusCode::OK, "Phiếu còn thiếu: <span data-missing-count>12</span>");
    let r = app.post(&url("/cham-diem/phieu"), j1, &sheet(&team, "k-1", ["30", "20", "20"])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sheet_id = app.store.event_sheets(ev.contest_id, None).await.unwrap()[0].id;
    let reopen = url(&format!("/hoi-thi/phieu/{sheet_id}/mo-lai"));

    // Only the secretariat reopens, and only with a reason; the reopening is audited.
    assert_eq!(app.post(&reopen, &ev.organiser, &[("reason", "Kiểm tra")]).await.status, StatusCode::FORBIDDEN);
    assert_page(
        &app.post(&reopen, &ev.secretariat, &[("reason", "  ")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "lý do",
    );
    let r = app.post(&reopen, &ev.secretariat, &[("reason", "Giám khảo nhập nhầm tiêu chí")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let logged = audit(app, ev.contest_id, "event.sheet_reopen").await;
    assert_eq!((logged[0].0.as_str(), &logged[0].1["reason"]), ("thuky", &Value::from("Giám khảo nhập nhầm tiêu chí")));
    assert_page(&app.post(&reopen, &ev.secretariat, &[("reason", "Lần nữa")]).await, StatusCode::CONFLICT, "đang mở");

    // The judge sees the reason and corrects the sheet.
    let r = app.get(&url("/cham-diem"), j1).await;
    assert!(r.body.contains("Tổ Thư ký đã mở lại phiếu này với lý do: “Giám khảo nhập nhầm tiêu chí”"));
    assert!(r.body.contains(r#"value="30""#), "the sheet's scores to correct");
    // The phone's stale retry of the first submission changes nothing.
    let (status, body) = send_json(app, j1, &sheet(&team, "k-1", ["30", "20", "20"])).await;
    assert_eq!((status, body["sheet"]["status"].as_str()), (StatusCode::OK, Some("reopened")));
    let r = app.post(&url("/cham-diem/phieu"), j1, &sheet(&team, "k-2", ["31", "20", "20"])).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = app.store.event_sheet(sheet_id).await.unwrap().unwrap();
    assert_eq!((stored.status.as_str(), stored.scores.contains("3100")), ("submitted", true));

    // A paper sheet typed in for judge 2, marked as such in the audit log and on the page.
    let judge2 = app.store.account_by_username("giamkhao2").await.unwrap().unwrap().id.to_string();
    let mut paper = vec![("judge", judge2.as_str()), ("team", team.as_str()), ("part", INTRO)];
    paper.extend([("c.noi-dung", "41"), ("c.kha-thi", "20"), ("c.trinh-bay", "20")]);
    assert_page(
        &app.post(&url("/hoi-thi/phieu-giay"), &ev.secretariat, &paper).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "từ 0 đến 40",
    );
    paper[3] = ("c.noi-dung", "38,5");
    let r = app.post(&url("/hoi-thi/phieu-giay"), &ev.secretariat, &paper).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let logged = audit(app, ev.contest_id, "event.sheet_submit").await;
    let (actor, detail) = &logged[0];
    assert_eq!(
        (actor.as_str(), &detail["paper"], detail["judge_id"].to_string()),
        ("thuky", &Value::Bool(true), judge2.clone())
    );
    let r = app.get(&url("/hoi-thi"), &ev.secretariat).await;
    assert!(r.body.contains("phiếu giấy do thuky nhập"));
    assert!(r.body.contains("Phiếu còn thiếu: <span data-missing-count>10</span>"), "12 less the two sheets");

    // An adjustment with its reason, and the ranking with every part.
    let adj = [("team", team.as_str()), ("points", "-1,5"), ("reason", "Quá thời gian 30 giây")];
    assert_eq!(app.post(&url("/hoi-thi/cong-tru"), &ev.secretariat, &adj).await.status, StatusCode::SEE_OTHER);
    let no_reason = [("team", team.as_str()), ("points", "-1"), ("reason", "")];
    assert_page(
        &app.post(&url("/hoi-thi/cong-tru"), &ev.secretariat, &no_reason).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "lý do",
    );
    let r = app.get(&url("/hoi-thi"), &ev.organiser).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("data-ranking") && r.body.contains("-1,5"), "{}", r.body);
}

async fn fifty_submissions_of_one_sheet_over_http_keep_one(db: TestDb) {
    let ev = event(db).await;
    let app = &ev.app;
    app.post(&url("/hoi-thi/phan-thi"), &ev.secretariat, &[("part", INTRO), ("open", "1")]).await;
    let team = ev.teams[2].to_string();
    // Two phones' worth of the same sheet: 25 resends of one content and key, 25 of another.
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (router, cookie, team) = (app.router.clone(), ev.judges[0].clone(), team.clone());
            tokio::spawn(async move {
                let (key, first) = if i % 2 == 0 { ("k-even", "35") } else { ("k-odd", "36") };
                let form = sheet(&team, key, [first, "25", "25"]);
                let req = Request::post(url("/cham-diem/phieu"))
                    .header(header::COOKIE, cookie)
                    .header(header::ACCEPT, "application/json")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(encode(&form)))
                    .unwrap();
                let r = crate::harness::send_to(&router, req).await;
                (r.status, first, serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let stored = app.store.event_sheets(ev.contest_id, None).await.unwrap();
    assert_eq!(stored.len(), 1, "one sheet");
    assert_eq!(audit(app, ev.contest_id, "event.sheet_submit").await.len(), 1, "recorded once");
    let kept = if stored[0].scores.contains("3500") { "35" } else { "36" };
    for (status, first, body) in &answers {
        if *first == kept {
            assert_eq!(*status, StatusCode::OK, "{body}");
            assert_eq!(body["sheet"]["id"], stored[0].id);
        } else {
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        }
    }
}

async fn the_blank_paper_sheet_reads_back(db: TestDb) {
    let ev = event(db).await;
    let app = &ev.app;
    let r = app.get(&url("/hoi-thi/phieu-trang.pdf?phan=khong-co"), &ev.judges[0]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let viewer = app.staff("xem", Role::Viewer, &[(SLUG, Role::Viewer, "")]).await;
    assert_eq!(app.get(&url("/hoi-thi/phieu-trang.pdf?phan=gioi-thieu"), &viewer).await.status, StatusCode::FORBIDDEN);
    let req = Request::get(url("/hoi-thi/phieu-trang.pdf?phan=gioi-thieu"))
        .header(header::COOKIE, &ev.judges[0])
        .body(Body::empty())
        .unwrap();
    let resp = crate::harness::send_to(&app.router, req).await;
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(resp.header(header::CONTENT_TYPE), "application/pdf");
    let pdf = app.download(&url("/hoi-thi/phieu-trang.pdf?phan=gioi-thieu"), Some(&ev.judges[0])).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phieu.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext: run scripts/ensure-pdf-tools");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "PHIẾU CHẤM",
        "Nội dung giải pháp, sáng kiến (tối đa 40)",
        "Tính khả thi (tối đa 30)",
        "Hình thức trình bày (tối đa 30)",
        "Thành phố Gia Nghĩa",
        "Huyện Cư Jút",
        "Huyện Krông Nô",
        "Giám khảo: giamkhao1",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

async fn ties_are_explained_and_the_committee_draws_the_lot(db: TestDb) {
    let ev = event(db).await;
    let app = &ev.app;
    for part in [INTRO, "tieu-pham"] {
        app.post(&url("/hoi-thi/phan-thi"), &ev.secretariat, &[("part", part), ("open", "1")]).await;
    }
    // Every team 100 points: teams 0 and 2 alike in every part, team 1 lower in the introduction
    // (the second tie-break, after the knowledge round none of them has).
    let intro = [["30", "15", "15"], ["25", "15", "10"], ["30", "15", "15"]];
    let skit = [["20", "20"], ["25", "25"], ["20", "20"]];
    for judge in &ev.judges {
        for (t, team) in ev.teams.iter().enumerate() {
            let team = team.to_string();
            let (status, body) = send_json(app, judge, &sheet(&team, "", intro[t])).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let form = [
                ("team", team.as_str()),
                ("part", "tieu-pham"),
                ("c.kich-ban", skit[t][0]),
                ("c.dien-xuat", skit[t][1]),
            ];
            let (status, body) = send_json(app, judge, &form).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    let r = app.get(&url("/hoi-thi"), &ev.organiser).await;
    assert!(r.body.contains("Bằng điểm, phân định theo phần thi “Giới thiệu đội thi"), "{}", r.body);
    assert_eq!(r.body.matches("Bằng điểm: cần Ban Tổ chức bốc thăm phân định").count(), 2);
    assert!(r.body.contains("Bốc thăm phân định"), "the organisers' lot form");
    let secretariat = app.get(&url("/hoi-thi"), &ev.secretariat).await;
    assert!(!secretariat.body.contains("Bốc thăm phân định</button>"), "the committee's, not the secretariat's");

    let (a, c) = (format!("team_{}", ev.teams[0]), format!("team_{}", ev.teams[2]));
    let lot = [(a.as_str(), "1"), (c.as_str(), "1")];
    assert_eq!(app.post(&url("/hoi-thi/boc-tham"), &ev.secretariat, &lot).await.status, StatusCode::FORBIDDEN);
    let r = app.post(&url("/hoi-thi/boc-tham"), &ev.organiser, &lot).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(audit(app, ev.contest_id, "event.tie_lot").await.len(), 1, "the lot and its seed in the audit log");
    let r = app.get(&url("/hoi-thi"), &ev.organiser).await;
    assert_eq!(r.body.matches("Bằng điểm, phân định theo kết quả bốc thăm của Ban Tổ chức").count(), 2, "{}", r.body);
    assert!(!r.body.contains("cần Ban Tổ chức bốc thăm"));
}
