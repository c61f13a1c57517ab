//! The event's stage over HTTP, on the real router: who may control it, the server-sent events
//! that carry each step to the hall's screen within a second (read from the stream itself), the
//! projector page and the public scoreboard rendered on the server, the key kept off the screen
//! until the reveal, the frozen scoreboard hiding later points, and the team tablet's page.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use cuocthi_engine::console::event::MemberInput;
use cuocthi_engine::console::{Role, Staff};
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::harness::{App, app};

on_both_backends!(
    only_the_stage_roles_control_it_and_the_mc_reopens_nothing,
    the_stream_carries_a_step_within_a_second,
    the_projector_shows_the_key_only_after_the_reveal,
    a_frozen_scoreboard_hides_later_points,
    the_team_tablet_answers_with_its_key_only,
);

const SLUG: &str = "chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023";
const PART: &str = "kien-thuc";
const CONTROL: &str = "/admin/cuoc-thi/chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023/san-khau";

fn admin() -> Staff {
    Staff {
        account_id: 0,
        username: "quantri".into(),
        full_name: "Quản trị".into(),
        system_admin: true,
        has_totp: true,
        grants: vec![],
        session: String::new(),
    }
}

/// Three teams (Gia Nghĩa, Cư Jút, Đắk Mil) and the knowledge round's sets; their ids.
async fn teams(app: &App) -> Vec<i64> {
    let members = [MemberInput { name: "Nguyễn Văn An".into(), position: "Chuyên viên".into(), captain: true }];
    let mut ids = Vec::new();
    for unit in ["gia-nghia", "cu-jut", "dak-mil"] {
        ids.push(app.engine.save_team(&admin(), SLUG, unit, "", &members).await.expect("team").id);
    }
    app.engine.prepare_question_sets(&admin(), SLUG, PART, None).await.expect("sets");
    ids
}

/// The MC's session on the contest.
async fn mc(app: &App) -> String {
    app.staff("dan-chuong-trinh", Role::Viewer, &[(SLUG, Role::Mc, "")]).await
}

async fn step(app: &App, cookie: &str, form: &[(&str, &str)]) {
    let r = app.post(CONTROL, cookie, form).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, CONTROL), "{form:?}: {}", r.body);
}

async fn public(app: &App, uri: &str) -> crate::harness::Reply {
    app.page(Method::GET, uri, None, None, &[]).await
}

async fn only_the_stage_roles_control_it_and_the_mc_reopens_nothing(db: TestDb) {
    let app = app(db).await;
    let ids = teams(&app).await;
    let mc = mc(&app).await;
    let judge = app.staff("giam-khao", Role::Viewer, &[(SLUG, Role::Judge, "")]).await;
    let viewer = app.staff("chi-xem", Role::Viewer, &[(SLUG, Role::Viewer, "")]).await;
    let secretariat = app.staff("thu-ky", Role::Viewer, &[(SLUG, Role::Secretariat, "")]).await;
    let team = ids[0].to_string();
    let on_stage = [("buoc", "len-san-khau"), ("doi", team.as_str()), ("phan", PART)];
    for cookie in [&judge, &viewer] {
        assert_eq!(app.get(CONTROL, cookie).await.status, StatusCode::FORBIDDEN);
        let r = app.post(CONTROL, cookie, &on_stage).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Bạn không có quyền truy cập nội dung này."));
    }
    let page = app.get(CONTROL, &mc).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Điều khiển sân khấu") && page.body.contains("Thành phố Gia Nghĩa"));
    step(&app, &mc, &on_stage).await;
    step(&app, &secretariat, &[("buoc", "boc-tham")]).await;
    // A step out of order is a message on the page, not an error page.
    let r = app.post(CONTROL, &mc, &[("buoc", "dap-an")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Không có câu hỏi nào để công bố đáp án."), "{}", r.body);
    let r = app.post(CONTROL, &mc, &[("buoc", "khong-co")]).await;
    assert!(r.body.contains("Bước điều khiển không hợp lệ"));
    // The MC neither makes the question sets nor reopens a judge's sheet.
    let r = app.post(&format!("{CONTROL}/bo-cau-hoi"), &mc, &[("phan", PART)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let reopen = format!("/admin/cuoc-thi/{SLUG}/hoi-thi/phieu/1/mo-lai");
    let r = app.post(&reopen, &mc, &[("reason", "Giám khảo nhập nhầm")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // The audit log names who took each step.
    let c = app.store.contest_by_slug(SLUG).await.unwrap().unwrap().contest.id;
    let filter = cuocthi_store::AuditFilter {
        contest_id: Some(c),
        action_prefix: Some("event.".into()),
        limit: 50,
        ..Default::default()
    };
    let entries = app.engine.audit_log(&admin(), filter).await.unwrap();
    let actors: Vec<&str> = entries.iter().filter(|e| e.action == "event.stage").map(|e| e.actor.as_str()).collect();
    assert_eq!(actors, vec!["thu-ky", "dan-chuong-trinh"]);
    assert!(entries.iter().any(|e| e.action == "event.set_lot" && e.actor == "thu-ky"));
}

/// Reads the stream until the next `state` event; its data as JSON.
async fn next_state(body: &mut Body, buffer: &mut String, limit: Duration) -> serde_json::Value {
    let until = Instant::now() + limit;
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                assert!(event.contains("event: state"), "{event}");
                return serde_json::from_str(data).expect("JSON data");
            }
            continue; // a keep-alive comment
        }
        let left = until.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, body.frame()).await.expect("an event in time");
        let frame = frame.expect("the stream goes on").expect("a frame");
        if let Ok(data) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&data).expect("UTF-8"));
        }
    }
}

async fn the_stream_carries_a_step_within_a_second(db: TestDb) {
    let app = app(db).await;
    let ids = teams(&app).await;
    let mc = mc(&app).await;
    let req = Request::builder()
        .uri(format!("/su-kien/{SLUG}/truc-tiep"))
        .header(header::ACCEPT, "text/event-stream")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "text/event-stream");
    assert!(h.get(header::CONTENT_ENCODING).is_none(), "never compressed, so never buffered");
    assert!(h.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().contains("script-src 'self'"));
    assert_eq!(h.get("x-accel-buffering").unwrap(), "no");
    let mut body = resp.into_body();
    let mut buffer = String::new();
    let first = next_state(&mut body, &mut buffer, Duration::from_secs(2)).await;
    assert_eq!(first["state"]["step"], "idle", "the current state first");
    let team = ids[1].to_string();
    for (form, expected) in [
        (vec![("buoc", "len-san-khau"), ("doi", team.as_str()), ("phan", PART)], "team"),
        (vec![("buoc", "boc-tham")], "lot"),
        (vec![("buoc", "cau-tiep")], "question"),
    ] {
        let sent = Instant::now();
        step(&app, &mc, &form).await;
        let got = next_state(&mut body, &mut buffer, Duration::from_secs(1)).await;
        assert!(sent.elapsed() < Duration::from_secs(1));
        assert_eq!(got["state"]["step"], expected, "{got}");
        assert_eq!(got["state"]["team"]["name"], "Huyện Cư Jút");
        assert!(got["now_ms"].is_i64());
    }
    let got_question = app.engine.screen_state(SLUG).await.unwrap();
    assert!(got_question.question.is_some());
    // A new connection (a reconnect) starts with the current state.
    let again = Request::builder().uri(format!("/su-kien/{SLUG}/truc-tiep")).body(Body::empty()).unwrap();
    let mut body2 = app.router.clone().oneshot(again).await.unwrap().into_body();
    let mut buffer2 = String::new();
    let current = next_state(&mut body2, &mut buffer2, Duration::from_secs(2)).await;
    assert_eq!(current["state"]["step"], "question");
    assert!(current["state"]["revealed"].is_null());
}

async fn the_projector_shows_the_key_only_after_the_reveal(db: TestDb) {
    let app = app(db).await;
    let ids = teams(&app).await;
    let mc = mc(&app).await;
    let screen = format!("/su-kien/{SLUG}/man-hinh");
    let r = public(&app, &screen).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("data-stage-stream") && r.body.contains("stage.js"), "{}", r.body);
    assert!(!r.body.contains("<script>"), "no inline script");
    let team = ids[2].to_string();
    step(&app, &mc, &[("buoc", "len-san-khau"), ("doi", &team), ("phan", PART)]).await;
    let r = public(&app, &screen).await;
    assert!(r.body.contains("Huyện Đắk Mil") && r.body.contains("stage-team"), "{}", r.body);
    step(&app, &mc, &[("buoc", "boc-tham")]).await;
    let r = public(&app, &screen).await;
    let lot = app.engine.screen_state(SLUG).await.unwrap().set_no.unwrap();
    assert!(r.body.contains(&format!("data-set-no=\"{lot}\"")), "{}", r.body);
    step(&app, &mc, &[("buoc", "cau-tiep")]).await;
    step(&app, &mc, &[("buoc", "dung")]).await;
    let control = app.get(CONTROL, &mc).await;
    assert!(control.body.contains("đáp án đúng (chỉ hiện ở trang này)"), "staff see the key");
    let r = public(&app, &screen).await;
    assert!(r.body.contains("stage-stem") && r.body.contains("Đội đã trả lời"), "{}", r.body);
    assert!(!r.body.contains("is-correct") && !r.body.contains("Đáp án đúng"), "no key before the reveal");
    assert!(r.body.contains("data-deadline-ms"));
    step(&app, &mc, &[("buoc", "dap-an")]).await;
    let r = public(&app, &screen).await;
    assert!(r.body.contains("is-correct") && r.body.contains("Đáp án đúng"), "{}", r.body);
    assert!(r.body.contains("Đội trả lời đúng, cộng 10 điểm"));
    step(&app, &mc, &[("buoc", "bang-diem")]).await;
    let r = public(&app, &screen).await;
    assert!(r.body.contains("stage-board") && r.body.contains("Huyện Đắk Mil"));
    // A contest without an event has no stage.
    let r = public(&app, "/su-kien/thi-thu/man-hinh").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn a_frozen_scoreboard_hides_later_points(db: TestDb) {
    let app = app(db).await;
    let ids = teams(&app).await;
    let mc = mc(&app).await;
    let organiser = app.staff("ban-to-chuc", Role::Viewer, &[(SLUG, Role::Organiser, "")]).await;
    let answer = async |team: i64| {
        let team = team.to_string();
        step(&app, &mc, &[("buoc", "len-san-khau"), ("doi", &team), ("phan", PART)]).await;
        step(&app, &mc, &[("buoc", "boc-tham")]).await;
        step(&app, &mc, &[("buoc", "cau-tiep")]).await;
        step(&app, &mc, &[("buoc", "dung")]).await;
        step(&app, &mc, &[("buoc", "dap-an")]).await;
    };
    answer(ids[0]).await;
    let board = format!("/su-kien/{SLUG}/bang-diem");
    let r = public(&app, &board).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Thành phố Gia Nghĩa") && r.body.contains("data-stage-stream"), "{}", r.body);
    step(&app, &organiser, &[("buoc", "dong-bang")]).await;
    answer(ids[1]).await;
    step(&app, &mc, &[("buoc", "cau-tiep")]).await;
    step(&app, &mc, &[("buoc", "dung")]).await;
    step(&app, &mc, &[("buoc", "dap-an")]).await;
    let r = public(&app, &board).await;
    assert!(r.body.contains("Bảng điểm đóng băng từ 10:00 22/11/2026"), "{}", r.body);
    let cu_jut = r.body.find("Huyện Cư Jút").expect("the team");
    let row_end = r.body[cu_jut..].find("</tr>").unwrap() + cu_jut;
    assert!(!r.body[cu_jut..row_end].contains("20"), "Cư Jút's 20 points stay hidden: {}", &r.body[cu_jut..row_end]);
    let live = app.engine.event_ranking(&admin(), SLUG).await.unwrap();
    assert_eq!(live[0].name, "Huyện Cư Jút");
    step(&app, &organiser, &[("buoc", "mo-bang")]).await;
    let r = public(&app, &board).await;
    assert!(!r.body.contains("đóng băng"));
    let first_row = r.body.find("<tbody>").unwrap();
    assert!(r.body[first_row..].find("Huyện Cư Jút") < r.body[first_row..].find("Thành phố Gia Nghĩa"));
}

async fn the_team_tablet_answers_with_its_key_only(db: TestDb) {
    let app = app(db).await;
    let ids = teams(&app).await;
    let mc = mc(&app).await;
    let team = ids[0].to_string();
    step(&app, &mc, &[("buoc", "may-tinh-bang")]).await;
    step(&app, &mc, &[("buoc", "len-san-khau"), ("doi", &team), ("phan", PART)]).await;
    step(&app, &mc, &[("buoc", "boc-tham")]).await;
    step(&app, &mc, &[("buoc", "cau-tiep")]).await;
    let key = app.engine.stage_control(&admin(), SLUG).await.unwrap().stage.tablet_key;
    let control = app.get(CONTROL, &mc).await;
    assert!(control.body.contains(&format!("/may-tinh-bang/{key}")), "the link on the control page");
    let wrong = public(&app, &format!("/su-kien/{SLUG}/may-tinh-bang/0000")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let tablet = format!("/su-kien/{SLUG}/may-tinh-bang/{key}");
    let r = public(&app, &tablet).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("name=\"phuong_an\""), "{}", r.body);
    let r = app.page(Method::POST, &tablet, None, Some(&[("phuong_an", "1")]), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.page(Method::GET, r.location(), None, None, &[]).await;
    assert!(r.body.contains("Đội đã chọn phương án B"), "{}", r.body);
    let r = app.page(Method::POST, &tablet, None, Some(&[("phuong_an", "2")]), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "an answer given stays");
    let answers = app.store.stage_answers(app.store.contest_by_slug(SLUG).await.unwrap().unwrap().contest.id).await;
    let answers = answers.unwrap();
    assert_eq!((answers.len(), answers[0].chosen, answers[0].source.as_str()), (1, Some(1), "tablet"));
    // A cross-site post is refused like every form.
    let r =
        app.page(Method::POST, &tablet, None, Some(&[("phuong_an", "0")]), &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
