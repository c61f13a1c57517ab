//! Contests in the console: created from the short form, edited once begun, their study
//! materials, logo and portals, and the audit log that names what was done.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use cuocthi_engine::console::Role;
use cuocthi_store::{ConsoleStore, Store};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::harness::{App, PASSWORD, Reply, app};

on_both_backends!(
    a_contest_is_created_from_the_short_form,
    a_contest_that_has_begun_keeps_what_decides_scores,
    study_materials_logo_colour_and_portals,
    the_audit_log_names_actions_accounts_and_contests,
);

/// The practice contest's definition as its editing page shows it, unescaped.
async fn definition(app: &App, cookie: &str) -> String {
    let page = app.get("/admin/cuoc-thi/thi-thu/dinh-nghia", cookie).await.body;
    let source = page.split("spellcheck=\"false\">").nth(1).unwrap().split("</textarea>").next().unwrap();
    source
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

/// Sends `source` as the practice contest's new definition, with `reason`.
async fn save_definition(app: &App, cookie: &str, source: &str, reason: &str) -> Reply {
    app.post("/admin/cuoc-thi/thi-thu/dinh-nghia", cookie, &[("source", source), ("reason", reason)]).await
}

async fn a_contest_is_created_from_the_short_form(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    let tomorrow = cuocthi_domain::vntime::format(app.engine.now() + Duration::days(1));
    let later = cuocthi_domain::vntime::format(app.engine.now() + Duration::days(8));
    for (slug, tiebreak) in [("co-du-doan", "Dự đoán số người tham gia?"), ("khong-du-doan", "")] {
        let form = [
            ("slug", slug),
            ("title", "Tìm hiểu Luật Phòng cháy, chữa cháy và cứu nạn, cứu hộ"),
            ("organiser", "Công an tỉnh Tuyên Quang"),
            ("round_name", "Đợt 1"),
            ("opens", tomorrow.as_str()),
            ("closes", later.as_str()),
            ("questions_per_attempt", "10"),
            ("time_limit_minutes", "15"),
            ("attempts_per_person", "2"),
            ("tiebreak_prompt", tiebreak),
        ];
        let r = app.post("/admin/cuoc-thi", &admin, &form).await;
        assert_eq!(r.location(), format!("/admin/cuoc-thi/{slug}"), "{}", r.body);
    }
    let c = app.engine.contest("khong-du-doan").await.unwrap();
    assert!(c.rounds[0].tiebreak_prompt.is_none());
    // A bad date is reported next to the form, which keeps what was typed.
    let r = app
        .post(
            "/admin/cuoc-thi",
            &admin,
            &[("slug", "sai-ngay"), ("title", "X"), ("organiser", "Y"), ("opens", "32/13/2025")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"sai-ngay\"") && r.body.contains("Chưa tạo được cuộc thi"), "{}", r.body);
}

async fn a_contest_that_has_begun_keeps_what_decides_scores(db: TestDb) {
    let app = app(db).await;
    let cookie = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let source = definition(&app, &cookie).await;
    assert!(source.contains("time_limit_minutes = 20"), "{source}");
    // The round has opened: a longer time limit would be unfair to those who already took part.
    let unfair = source.replace("time_limit_minutes = 20", "time_limit_minutes = 25");
    let r = save_definition(&app, &cookie, &unfair, "thử").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("đã mở: không được đổi thời gian làm bài"), "{}", r.body);
    // A new title is fine, and recorded with its reason.
    let retitled = source.replace("Thi thử: Tìm hiểu", "Thi thử (bản sửa): Tìm hiểu");
    let r = save_definition(&app, &cookie, &retitled, "Sửa tên theo Kế hoạch").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/thi-thu", "{}", r.body);
    let public = app.admin(Method::GET, "/cuoc-thi/thi-thu", None, None, "10.0.0.1").await.body;
    assert!(public.contains("Thi thử (bản sửa)"), "the participant page shows the new title at once");
    let contest = app.store.contest_by_slug("thi-thu").await.unwrap().unwrap().contest.id;
    let log = app
        .store
        .audit_entries(&cuocthi_store::AuditFilter {
            contest_id: Some(contest),
            action_prefix: Some("contest.".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].detail.contains("Sửa tên theo Kế hoạch") && log[0].detail.contains("bản sửa"));
}

async fn study_materials_logo_colour_and_portals(db: TestDb) {
    let app = app(db).await;
    let organiser = app.staff("btc", Role::Viewer, &[("thi-thu", Role::Organiser, "")]).await;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
    let upload = |title: &'static str, name: &'static str, bytes: Vec<u8>| {
        let app = &app;
        let organiser = organiser.clone();
        async move {
            let boundary = "----b";
            let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n{title}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").into_bytes();
            body.extend_from_slice(&bytes);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let req = Request::post("/admin/cuoc-thi/thi-thu/tai-lieu")
                .header(header::COOKIE, organiser)
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .body(Body::from(body))
                .unwrap();
            app.send(req).await
        }
    };
    let r = upload("Tài liệu: Luật An ninh mạng 2018", "luat.pdf", pdf.to_vec()).await;
    assert!(r.body.contains("Đã thêm tài liệu"), "{}", r.body);
    // A file is known by its content, not its name.
    let r = upload("Giả mạo", "virus.pdf", b"MZ\x90\x00 not a pdf".to_vec()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Chỉ nhận tài liệu PDF hoặc Word (.docx)."));
    let r =
        app.upload("/admin/cuoc-thi/thi-thu/bieu-trung", &organiser, "logo.svg", b"<svg onload=\"alert(1)\"/>").await;
    assert!(r.body.contains("Biểu trưng cần là ảnh PNG hoặc JPEG."), "{}", r.body);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let r = app.upload("/admin/cuoc-thi/thi-thu/bieu-trung", &organiser, "logo.png", &png).await;
    assert!(r.body.contains("Đã đặt biểu trưng."), "{}", r.body);

    // The contest page offers the material for download, shows the logo and uses it as og:image.
    let page = app.admin(Method::GET, "/cuoc-thi/thi-thu", None, None, "10.0.0.1").await.body;
    assert!(page.contains("Tài liệu tham khảo") && page.contains("Tài liệu: Luật An ninh mạng 2018"), "{page}");
    assert!(page.contains("download=\"tai-lieu-luat-an-ninh-mang-2018.pdf\""));
    assert!(page.contains("property=\"og:image\""));
    let href = page.split("href=\"/cuoc-thi/thi-thu/tai-lieu/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let r = app.admin(Method::GET, &format!("/cuoc-thi/thi-thu/tai-lieu/{href}"), None, None, "10.0.0.1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers.get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    assert_eq!(
        r.headers.get(header::CONTENT_DISPOSITION).unwrap(),
        "attachment; filename=\"tai-lieu-luat-an-ninh-mang-2018.pdf\""
    );
    assert!(r.body.starts_with("%PDF-1.4"));
    // Another contest's slug does not reach this contest's files.
    let other = app
        .admin(
            Method::GET,
            &format!("/cuoc-thi/chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023/tai-lieu/{href}"),
            None,
            None,
            "10.0.0.1",
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // Colour and portals from the definition: a bad colour is refused with its place.
    let source = definition(&app, &organiser).await;
    let (head, rest) = source.split_once("\n[").unwrap();
    let bad = format!("{head}\naccent_colour = \"đỏ\"\n[{rest}");
    let r = save_definition(&app, &organiser, &bad, "màu").await;
    assert!(r.body.contains("accent_colour: Màu"), "{}", r.body);
    let register = app.admin(Method::GET, "/cuoc-thi/thi-thu/dang-ky", None, None, "10.0.0.1").await.body;
    assert!(
        register.contains("12 tháng kể từ ngày công bố kết quả cuộc thi"),
        "the default retention until organisers set theirs"
    );
    let good = format!(
        "{head}\naccent_colour = \"#0b5394\"\nportal_origins = [\"https://congthongtin.tinh.gov.vn\"]\ndata_retention = \"24 tháng kể từ ngày kết thúc cuộc thi\"\n[{rest}"
    );
    let r = save_definition(&app, &organiser, &good, "Giao diện theo cổng tỉnh").await;
    assert_eq!(r.location(), "/admin/cuoc-thi/thi-thu", "{}", r.body);
    let r = app.admin(Method::GET, "/cuoc-thi/thi-thu", None, None, "10.0.0.1").await;
    assert!(r.body.contains("/cuoc-thi/thi-thu/giao-dien.css"));
    let csp = r.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'self' https://congthongtin.tinh.gov.vn"), "{csp}");
    let register = app.admin(Method::GET, "/cuoc-thi/thi-thu/dang-ky", None, None, "10.0.0.1").await.body;
    assert!(register.contains("24 tháng kể từ ngày kết thúc cuộc thi"), "the consent names the organiser's retention");
    let css = app.admin(Method::GET, "/cuoc-thi/thi-thu/giao-dien.css", None, None, "10.0.0.1").await.body;
    assert_eq!(css, ":root{--accent:#0b5394}\n");
}

async fn the_audit_log_names_actions_accounts_and_contests(db: TestDb) {
    let app = app(db).await;
    let admin = app.staff("quantri", Role::SystemAdmin, &[]).await;
    app.engine.create_account("nguyen.thu.ha", PASSWORD.into(), Role::Viewer).await.unwrap();
    let r = app
        .post(
            "/admin/cuoc-thi/thi-thu/nhan-su",
            &admin,
            &[("username", "nguyen.thu.ha"), ("role", "judge"), ("unit", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let title = app.engine.contest("thi-thu").await.unwrap().title;
    let id = app.store.account_by_username("nguyen.thu.ha").await.unwrap().unwrap().id;

    let page = app.get("/admin/nhat-ky", &admin).await.body;
    let row = page.split("<tr><td>").skip(1).find(|r| r.contains("grant.add")).unwrap_or_else(|| panic!("{page}"));
    // The name in words, the code kept beside it; the contest's title and the account's name, not ids.
    assert!(
        row.contains(r#"<td class="wrap" title="grant.add">Giao vai trò<span class="code">grant.add</span></td>"#),
        "{row}"
    );
    assert!(row.contains(&format!("<td class=\"wrap\">{}</td>", title.replace('"', "&#34;"))), "{row}");
    assert!(row.contains(&format!(r#"title="account:{id}">tài khoản nguyen.thu.ha</td>"#)), "{row}");
    assert!(page.contains(r#"<option value="account.totp_reset">"#), "the filter offers every code");
    let sign_in = page.split("<tr><td>").skip(1).find(|r| r.contains("session.sign_in")).unwrap();
    assert!(sign_in.contains("Đăng nhập") && sign_in.contains("phiên đăng nhập"), "{sign_in}");

    // The filter still takes codes (or their start).
    let page = app.get("/admin/nhat-ky?loai=grant.", &admin).await.body;
    assert!(page.contains("Giao vai trò") && !page.contains("session.sign_in</span>"), "{page}");
    // On the contest's own page the contest goes without saying.
    let page = app.get("/admin/cuoc-thi/thi-thu/nhat-ky", &admin).await.body;
    assert!(page.contains("Giao vai trò") && !page.contains(r#"<th scope="col">Cuộc thi</th>"#), "{page}");

    // The CSV keeps the codes and adds the names.
    let csv = app.get("/admin/nhat-ky.csv?loai=grant.", &admin).await.body;
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert!(lines.next().unwrap().starts_with(
        "#,Thời điểm (giờ VN),Người thực hiện,Thao tác,Tên thao tác,Cuộc thi,Tên cuộc thi,Đối tượng,Mô tả đối tượng,"
    ));
    let line = lines.next().unwrap();
    assert!(line.contains(",quantri,grant.add,Giao vai trò,"), "{line}");
    assert!(line.contains(&format!("account:{id},tài khoản nguyen.thu.ha,")), "{line}");
    assert!(line.contains(&title) || line.contains(&format!("\"{}\"", title.replace('"', "\"\""))), "{line}");
}
