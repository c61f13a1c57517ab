//! Feedback on questions through the real router, without JavaScript: a report sent from the
//! attempt page (the answers above it saved first) and from the result page, the secretariat's
//! queue and reply, the reply on the participant's result page, a void refused to judges and
//! viewers, and the participant's score after an organiser's void.

use axum::http::{Method, StatusCode, header};
use cuocthi_engine::Role;
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{app, escape};

on_both_backends!(reports_go_from_the_pages_to_the_queue_and_a_void_changes_the_result);

async fn reports_go_from_the_pages_to_the_queue_and_a_void_changes_the_result(db: TestDb) {
    let app = app(db).await;
    let contest = app.engine.contest("thi-thu").await.unwrap();
    let round = contest.rounds[0].id;
    let contest_id = app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().contest.id;
    let person = [
        ("full_name", "Lê Thị Hồng Nhung"),
        ("date_of_birth", "12/05/1993"),
        ("cccd", "001193000777"),
        ("phone", "0912000777"),
        ("consent", "1"),
    ];
    let done = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(&person), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let set = done.header(header::SET_COOKIE);
    let cookie = set.split(';').next().unwrap().to_string();
    let p = app.page(Method::POST, &format!("/cuoc-thi/thi-thu/vao-thi/{round}"), Some(&cookie), None, &[]).await;
    let at = p.location().to_string();
    let id: i64 = at.trim_start_matches("/bai-thi/").parse().unwrap();
    let row = app.store.attempt(id).await.unwrap().unwrap();

    // The attempt page offers a report under every question, inside the one form.
    let page = app.page(Method::GET, &at, Some(&cookie), None, &[]).await;
    assert_eq!(page.body.matches("<summary>Góp ý / báo lỗi câu hỏi</summary>").count(), 20);
    assert!(page.body.contains("name=\"gop_y_0\""));
    assert!(page.body.contains("name=\"action\" value=\"gop-y-0\""));
    let english = app.page(Method::GET, &at, Some(&format!("{cookie}; lang=en")), None, &[]).await;
    assert_eq!(english.body.matches("<summary>Report a problem with this question</summary>").count(), 20);

    // Without JavaScript: an answer picked and a report typed under question 1, sent with its
    // button — the answer is saved, the report recorded, and the page comes back saying so.
    let message = "Câu này có hai phương án đúng (B và C).";
    let form = [("q3", "1"), ("gop_y_0", message), ("gop_y_1", ""), ("action", "gop-y-0")];
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/luu"), Some(&cookie), Some(&form), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location(), format!("/bai-thi/{id}?gop-y=1#cau-1"));
    assert_eq!(app.store.attempt(id).await.unwrap().unwrap().answers.get(3), row.draw[3].original(1));
    let back = app.page(Method::GET, p.location(), Some(&cookie), None, &[]).await;
    assert!(back.body.contains("Đã gửi góp ý về câu 1."), "{}", back.body);
    assert!(back.body.contains("<p class=\"muted gop-y\">Đã gửi góp ý</p>"));
    assert_eq!(back.body.matches("<summary>Góp ý / báo lỗi câu hỏi</summary>").count(), 19);
    // The same question again: refused on the page, next to the question, never a 500.
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/luu"), Some(&cookie), Some(&form), &[]).await;
    assert_eq!(p.status, StatusCode::CONFLICT, "a replayed post");
    assert!(p.body.contains("Bạn đã gửi góp ý về câu 1 của bài thi này."), "{}", p.body);
    let again = [("gop_y_1", "  "), ("action", "gop-y-1")];
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/luu"), Some(&cookie), Some(&again), &[]).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("Hãy viết nội dung góp ý trước khi gửi."));

    // Submitted with one answer: the result page lists the questions to report on (no key yet).
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/nop"), Some(&cookie), None, &[]).await;
    assert_eq!(p.location(), format!("/bai-thi/{id}/ket-qua"));
    let result = app.page(Method::GET, &format!("/bai-thi/{id}/ket-qua"), Some(&cookie), None, &[]).await;
    let before = app.engine.store().attempt(id).await.unwrap().unwrap().correct.unwrap();
    assert!(result.body.contains(&format!("<dd class=\"score\">{before}/20</dd>")));
    assert!(result.body.contains(message), "the person's own report");
    assert!(result.body.contains("Ban Tổ chức chưa trả lời góp ý này."));
    assert!(!result.body.contains("Đáp án và giải thích"), "still no key");
    let second = [("vi_tri", "4"), ("noi_dung", "Câu 5 có lỗi chính tả ở phương án A.")];
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/gop-y"), Some(&cookie), Some(&second), &[]).await;
    assert_eq!(
        (p.status, p.location()),
        (StatusCode::SEE_OTHER, format!("/bai-thi/{id}/ket-qua?gop-y=5#cau-5").as_str())
    );
    let twice = app.page(Method::POST, &format!("/bai-thi/{id}/gop-y"), Some(&cookie), Some(&second), &[]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(twice.body.contains("Bạn đã gửi góp ý về câu 5"), "{}", twice.body);
    // Someone else's attempt: not found.
    let stranger =
        app.page(Method::POST, &format!("/bai-thi/{}/gop-y", id + 1000), Some(&cookie), Some(&second), &[]).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);

    // The secretariat's queue: both reports, with the question and its key.
    let secretariat = app.staff("thuky", Role::Viewer, &[("thi-thu", Role::Secretariat, "")]).await;
    let judge = app.staff("giamkhao", Role::Viewer, &[("thi-thu", Role::Judge, "")]).await;
    let viewer = app.staff("xem", Role::Viewer, &[("thi-thu", Role::Viewer, "")]).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let queue = app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/gop-y", Some(&secretariat), None, "10.0.0.1").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains(message));
    assert!(queue.body.contains("2 góp ý đang mở"));
    let target = row.draw[0].question_id;
    let q = &app.store.questions_by_id(&[target]).await.unwrap()[0];
    assert!(queue.body.contains(&escape(&q.question.stem)), "the question's stem");
    assert!(queue.body.contains("(đáp án đúng)"), "the key, for the secretariat");
    assert_eq!(
        app.admin(Method::GET, "/admin/cuoc-thi/thi-thu/gop-y", Some(&viewer), None, "10.0.0.1").await.status,
        StatusCode::FORBIDDEN
    );
    let report_id = app
        .store
        .reports(
            contest_id,
            &cuocthi_store::ReportFilter { question_id: Some(target), limit: 10, ..Default::default() },
        )
        .await
        .unwrap()[0]
        .id;

    // A reply, read by the person on their result page.
    let reply = "Cảm ơn bạn; Ban Tổ chức đã kiểm tra và sẽ hủy câu hỏi này.";
    let r = app
        .admin(
            Method::POST,
            &format!("/admin/cuoc-thi/thi-thu/gop-y/{report_id}/tra-loi"),
            Some(&secretariat),
            Some(&[("reply", reply), ("close", "1")]),
            "10.0.0.1",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let result = app.page(Method::GET, &format!("/bai-thi/{id}/ket-qua"), Some(&cookie), None, &[]).await;
    assert!(result.body.contains(reply), "the reply under the question");

    // Judges read the question's page but may not void; viewers may not even read it.
    let void_at = format!("/admin/cuoc-thi/thi-thu/gop-y/cau-hoi/{target}/huy");
    let report = report_id.to_string();
    let void_form = [("mode", "award"), ("reason", "Hai phương án đúng."), ("report", report.as_str())];
    let page = app
        .admin(Method::GET, &format!("/admin/cuoc-thi/thi-thu/gop-y/cau-hoi/{target}"), Some(&judge), None, "10.0.0.1")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Hủy câu hỏi và chấm lại"), "no void form for a judge");
    for who in [&judge, &viewer] {
        let r = app.admin(Method::POST, &void_at, Some(who), Some(&void_form), "10.0.0.1").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // A void without the committee's choice is refused on the page.
    let r = app
        .admin(Method::POST, &void_at, Some(&organiser), Some(&[("reason", "Hai phương án đúng.")]), "10.0.0.1")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Hãy chọn cách xử lý"));
    // The organiser voids it: everyone asked it gets the point.
    let r = app.admin(Method::POST, &void_at, Some(&organiser), Some(&void_form), "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().to_string();
    assert_eq!(to, format!("/admin/cuoc-thi/thi-thu/gop-y/cau-hoi/{target}?da-huy=1"));
    let page = app.admin(Method::GET, &to, Some(&organiser), None, "10.0.0.1").await;
    assert!(page.body.contains("Đã hủy câu hỏi và chấm lại"));
    assert!(page.body.contains("1 bài thi đã nộp có câu hỏi này; 1 bài được tăng điểm"), "{}", page.body);

    // The participant's result counts one more correct answer, and says why.
    let result = app.page(Method::GET, &format!("/bai-thi/{id}/ket-qua"), Some(&cookie), None, &[]).await;
    assert!(result.body.contains(&format!("<dd class=\"score\">{}/20</dd>", before + 1)), "the awarded point");
    assert!(result.body.contains("Câu hỏi đã bị hủy: mọi người được hỏi câu này đều được tính đúng."));
}
