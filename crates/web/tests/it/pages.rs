//! The participant's pages through the real router, without JavaScript: plain forms, a session
//! cookie, redirects. And what the pages must never do: show the key, accept a cross-site post,
//! be cached.

use std::io::Write;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use cuocthi_store::Store;
use cuocthi_testkit::{TestDb, on_both_backends};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::harness::{app, encode, escape, right_on_even};

on_both_backends!(
    the_participant_path_without_javascript,
    cross_site_posts_are_refused,
    pages_in_english,
    sharing_and_embedding
);

/// Every page links the style sheet and scripts with their content's version; the versioned
/// address is cached for a year, anything else (the bare name, an old version) briefly.
#[tokio::test]
async fn static_files_are_versioned_and_cached_for_a_year() {
    use cuocthi_web::assets::{APP_CSS, CONTEST_JS, IMMUTABLE, SHORT};
    let app = app(TestDb::sqlite().await).await;
    let css = APP_CSS.url();
    assert!(css.starts_with("/static/app.css?v=") && css.len() == "/static/app.css?v=".len() + 10, "{css}");
    let home = app.page(Method::GET, "/", None, None, &[]).await;
    assert!(home.body.contains(&format!("<link rel=\"stylesheet\" href=\"{css}\">")), "{}", home.body);
    assert!(!home.body.contains("href=\"/static/app.css\""));
    let contest = app.page(Method::GET, "/cuoc-thi/thi-thu", None, None, &[]).await;
    assert!(contest.body.contains(&format!("<script src=\"{}\" defer></script>", CONTEST_JS.url())));
    let signin = app.page(Method::GET, "/admin/dang-nhap", None, None, &[]).await;
    assert!(signin.body.contains(css), "the console links the same file");

    // The current version: a year, immutable, with the content and an ETag.
    let r = app.page(Method::GET, css, None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header(header::CACHE_CONTROL), IMMUTABLE);
    assert_eq!(r.header(header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert_eq!(r.header(header::CONTENT_TYPE), "text/css; charset=utf-8");
    assert_eq!(r.header(header::ETAG), format!("\"{}\"", APP_CSS.version()));
    assert!(r.body.contains("--accent"), "the style sheet itself");
    let current = r.body;
    // The bare address and an old or wrong version still answer, but are not kept for long.
    for uri in ["/static/app.css", "/static/app.css?v=0123456789", "/static/app.css?v=", "/static/app.css?v=%ZZ&x"] {
        let r = app.page(Method::GET, uri, None, None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.header(header::CACHE_CONTROL), SHORT, "{uri}");
        assert!(!r.header(header::CACHE_CONTROL).contains("immutable"), "{uri}");
        assert_eq!(r.body, current, "{uri}");
    }
    // A revalidation with the current ETag is answered without the body.
    let etag = format!("\"{}\"", APP_CSS.version());
    let r = app.page(Method::GET, "/static/app.css", None, None, &[("if-none-match", etag.as_str())]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    // Every script is served the same way; an unknown file is not found.
    for a in cuocthi_web::assets::ALL {
        let r = app.page(Method::GET, a.url(), None, None, &[]).await;
        assert_eq!((r.status, r.header(header::CACHE_CONTROL)), (StatusCode::OK, IMMUTABLE), "{}", a.name);
    }
    assert_eq!(app.page(Method::GET, "/static/nothing.js", None, None, &[]).await.status, StatusCode::NOT_FOUND);
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap().len()
}

/// Every `<label class="opt">…</label>` of a page.
fn option_labels(html: &str) -> Vec<&str> {
    html.split("<label class=\"opt\">").skip(1).map(|s| s.split("</label>").next().unwrap()).collect()
}

async fn the_participant_path_without_javascript(db: TestDb) {
    let app = app(db).await;
    let contest = app.engine.contest("thi-thu").await.unwrap();
    let round = contest.rounds[0].id;

    // The home page links to the contest; the contest page says everything and links to register.
    let home = app.page(Method::GET, "/", None, None, &[]).await;
    assert!(home.body.contains("href=\"/cuoc-thi/thi-thu\""));
    let page = app.page(Method::GET, "/cuoc-thi/thi-thu", None, None, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    for needle in [
        "Thi thử: Tìm hiểu về chuyển đổi số và Đề án 06",
        "property=\"og:title\"",
        "property=\"og:description\"",
        "giờ Việt Nam",
        "Số người tham gia",
        "Số lượt tham gia",
        "<ol>",
        "href=\"/cuoc-thi/thi-thu/dang-ky\"",
    ] {
        assert!(page.body.contains(needle), "contest page lacks {needle}");
    }
    assert!(page.header(header::CONTENT_SECURITY_POLICY).contains("script-src 'self'"));
    let qn = "/cuoc-thi/tim-hieu-chuyen-doi-so-quang-ninh-2024";
    let closed = app.page(Method::GET, qn, None, None, &[]).await;
    assert!(closed.body.contains("Cuộc thi đã kết thúc lúc"), "a closed contest says so");
    assert!(!closed.body.contains("/dang-ky\""), "and offers no registration");
    // Its registration page says registration is closed, with no form (the grouping of communes
    // under districts, for the 2020 scheme, is checked in `participant::register`'s own tests).
    let form = app.page(Method::GET, &format!("{qn}/dang-ky"), None, None, &[]).await;
    assert!(form.body.contains("không nhận đăng ký mới"), "{}", form.body);
    assert!(!form.body.contains("<select id=\"f-locality\" name=\"locality\""));

    // The form asks for the contest's fields; consent is never pre-ticked.
    let form = app.page(Method::GET, "/cuoc-thi/thi-thu/dang-ky", None, None, &[]).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("/static/register.js"), "long lists get a search box with JavaScript");
    for name in ["full_name", "date_of_birth", "cccd", "phone", "consent"] {
        assert!(form.body.contains(&format!("name=\"{name}\"")), "no field {name}");
    }
    let consent = form.body.split("name=\"consent\"").nth(1).unwrap().split('>').next().unwrap();
    assert!(!consent.contains("checked"));
    assert_eq!(form.header(header::CACHE_CONTROL), "no-store");

    // A mistake: the message next to the field, what was typed kept (and escaped).
    let typed = [
        ("full_name", "Trần Thị <b>Bình</b>"),
        ("date_of_birth", "02/09/1995"),
        ("cccd", "0361950"),
        ("phone", "0912000123"),
        ("consent", "1"),
    ];
    let bad = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(&typed), &[]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cccd_field = bad.body.split("id=\"f-cccd\"").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(cccd_field.contains("class=\"error\" id=\"e-cccd\""), "error next to the CCCD field: {cccd_field}");
    assert!(bad.body.contains("value=\"0361950\""), "the typed CCCD is kept");
    assert!(bad.body.contains("value=\"Trần Thị &#60;b&#62;Bình&#60;/b&#62;\"") || bad.body.contains("&lt;b&gt;"));
    assert!(!bad.body.contains("<b>Bình</b>"), "typed text is escaped");
    // Without consent: said so, nothing stored.
    let mut no_consent = typed.to_vec();
    no_consent[2] = ("cccd", "036195000123");
    no_consent.pop();
    let refused = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(&no_consent), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("đồng ý với việc xử lý dữ liệu cá nhân"));

    // Registered: a session cookie, no personal data in the address.
    no_consent.push(("consent", "1"));
    no_consent[0] = ("full_name", "Trần Thị Bình");
    let done = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(&no_consent), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/cuoc-thi/thi-thu");
    let set = done.header(header::SET_COOKIE).to_string();
    for attr in ["ct_phien=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "cookie lacks {attr}: {set}");
    }
    let cookie = set.split(';').next().unwrap().to_string();

    // A returning person identifies with CCCD and date of birth.
    let wrong = [("key", "036195000123"), ("date_of_birth", "03/09/1995")];
    let p = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-nhap", None, Some(&wrong), &[]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Không tìm thấy đăng ký nào có số giấy tờ và ngày sinh này"));
    assert!(p.body.contains("value=\"036195000123\""));
    let right = [("key", "036195000123"), ("date_of_birth", "02/09/1995")];
    let p = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-nhap", None, Some(&right), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(p.header(header::SET_COOKIE).contains("HttpOnly"));

    // The contest page knows the person and offers one button.
    let page = app.page(Method::GET, "/cuoc-thi/thi-thu", Some(&cookie), None, &[]).await;
    assert!(page.body.contains("Trần Thị Bình"));
    assert!(page.body.contains(&format!("action=\"/cuoc-thi/thi-thu/vao-thi/{round}\"")));
    assert_eq!(page.header(header::CACHE_CONTROL), "no-store");

    // Start: to the attempt page.
    let p = app.page(Method::POST, &format!("/cuoc-thi/thi-thu/vao-thi/{round}"), Some(&cookie), None, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let at = p.location().to_string();
    assert!(at.starts_with("/bai-thi/"), "{at}");
    let id: i64 = at.trim_start_matches("/bai-thi/").parse().unwrap();

    let attempt = app.page(Method::GET, &at, Some(&cookie), None, &[]).await;
    assert_eq!(attempt.status, StatusCode::OK);
    assert_eq!(attempt.header(header::CACHE_CONTROL), "no-store");
    assert!(attempt.header(header::CONTENT_SECURITY_POLICY).contains("default-src 'self'"));
    assert!(!attempt.body.contains("<script>"), "no inline script");
    assert_eq!(attempt.body.matches("<fieldset class=\"q\" id=\"cau-").count(), 20);
    let row = app.store.attempt(id).await.unwrap().unwrap();
    let ids: Vec<i64> = row.draw.iter().map(|d| d.question_id).collect();
    let bank = app.store.questions_by_id(&ids).await.unwrap();
    let options: usize = row.draw.iter().map(|d| d.order.len()).sum();
    assert_eq!(attempt.body.matches("type=\"radio\"").count(), options);

    // The key is nowhere: every option is marked up the same way, no explanation, no "correct".
    let labels = option_labels(&attempt.body);
    assert_eq!(labels.len(), options);
    let mut shapes = std::collections::HashSet::new();
    for (pos, d) in row.draw.iter().enumerate() {
        let q = &bank.iter().find(|q| q.id == d.question_id).unwrap().question;
        for (shown, orig) in d.order.iter().enumerate() {
            let label = labels.iter().find(|l| l.contains(&format!("name=\"q{pos}\" value=\"{shown}\""))).unwrap();
            let text = escape(&q.options[*orig as usize]);
            assert!(label.contains(&text), "option text shown as typed: {label}");
            let shape = label
                .replace(&format!("name=\"q{pos}\" value=\"{shown}\""), "")
                .replace(&format!("<span class=\"l\">{}.</span>", ["A", "B", "C", "D", "E"][shown]), "")
                .replace(&text, "");
            shapes.insert(shape);
        }
        if let Some(e) = &q.explanation {
            assert!(!attempt.body.contains(e.as_str()), "an explanation leaked");
        }
    }
    assert_eq!(shapes.len(), 1, "options differ in markup: {shapes:?}");
    for word in ["correct", "dap-an", "đáp án đúng", "explanation"] {
        assert!(!attempt.body.to_lowercase().contains(word), "{word} on the attempt page");
    }

    // The page weight: HTML + CSS + JS, compressed.
    let css = app.page(Method::GET, "/static/app.css", None, None, &[]).await;
    let js = app.page(Method::GET, "/static/attempt.js", None, None, &[]).await;
    assert_eq!(js.status, StatusCode::OK);
    let sizes = [gzip_len(attempt.body.as_bytes()), gzip_len(css.body.as_bytes()), gzip_len(js.body.as_bytes())];
    let total: usize = sizes.iter().sum();
    println!(
        "attempt page weight (gzip): html {} + css {} + js {} = {} bytes (raw html {} bytes)",
        sizes[0],
        sizes[1],
        sizes[2],
        total,
        attempt.body.len()
    );
    assert!(total < 60 * 1024, "attempt page weighs {total} bytes compressed");

    // One question per screen: a toggle remembered in a cookie; the form still holds every
    // question, so the page works without the script that pages through it.
    assert!(attempt.body.contains("href=\"?che-do=tung-cau\""));
    assert!(!attempt.body.contains("data-mode=\"one\""));
    let p = app.page(Method::GET, &format!("{at}?che-do=tung-cau"), Some(&cookie), None, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), at);
    let mode = p.header(header::SET_COOKIE).to_string();
    assert!(mode.starts_with("che_do=tung-cau;") && mode.contains("SameSite=Lax"), "{mode}");
    let one = app.page(Method::GET, &at, Some(&format!("{cookie}; che_do=tung-cau")), None, &[]).await;
    assert!(one.body.contains("data-mode=\"one\""));
    assert!(one.body.contains("href=\"?che-do=tat-ca\""));
    assert_eq!(one.body.matches("<fieldset class=\"q\" id=\"cau-").count(), 20);

    // The script's path: the API takes the session cookie for a same-origin save.
    let req = Request::put(format!("/api/v1/attempts/{id}/answers/0"))
        .header(header::HOST, "thi.example.vn")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"choice\":0}"))
        .unwrap();
    assert_eq!(app.router.clone().oneshot(req).await.unwrap().status(), StatusCode::OK);

    // Answers posted as a plain form: right on even questions, wrong on odd ones.
    let (choices, right) = right_on_even(&row.draw, &bank);
    let answers: Vec<(String, String)> =
        choices.iter().enumerate().map(|(pos, choice)| (format!("q{pos}"), choice.to_string())).collect();
    let mut fields: Vec<(&str, &str)> = answers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.push(("du_doan", "1.234"));
    fields.push(("action", "luu"));
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/luu"), Some(&cookie), Some(&fields), &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(p.location().starts_with(&format!("/bai-thi/{id}")));

    // A reload shows them checked and saved.
    let again = app.page(Method::GET, &at, Some(&cookie), None, &[]).await;
    assert_eq!(again.body.matches(" checked>").count(), 20);
    assert_eq!(again.body.matches("data-state=\"saved\"").count(), 21, "20 answers and the prediction");
    assert!(again.body.contains("value=\"1.234\""));
    assert!(again.body.contains("Đã trả lời 20/20"));

    // Submit: first the count of unanswered questions, then the result.
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "nop"));
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/luu"), Some(&cookie), Some(&fields), &[]).await;
    assert_eq!(p.location(), format!("/bai-thi/{id}/nop"));
    let confirm = app.page(Method::GET, &format!("/bai-thi/{id}/nop"), Some(&cookie), None, &[]).await;
    assert!(confirm.body.contains("Bạn đã trả lời đủ 20/20 câu hỏi."), "{}", confirm.body);
    app.clock.advance(Duration::seconds(754));
    let p = app.page(Method::POST, &format!("/bai-thi/{id}/nop"), Some(&cookie), None, &[]).await;
    assert_eq!(p.location(), format!("/bai-thi/{id}/ket-qua"));
    let result = app.page(Method::GET, &format!("/bai-thi/{id}/ket-qua"), Some(&cookie), None, &[]).await;
    assert_eq!(result.status, StatusCode::OK);
    assert_eq!(result.header(header::CACHE_CONTROL), "no-store");
    assert!(result.body.contains(&format!("{right}/20")), "the score");
    assert!(result.body.contains("12 phút 34 giây"));
    assert!(result.body.contains("Số lượt thi còn lại</dt><dd>2"));
    assert!(!result.body.contains("Đáp án và giải thích"), "no key while the round is open");
    // The attempt page of a submitted attempt goes to the result.
    let p = app.page(Method::GET, &at, Some(&cookie), None, &[]).await;
    assert_eq!(p.location(), format!("/bai-thi/{id}/ket-qua"));

    // Two more attempts (with an unanswered question on the confirmation page), then the limit.
    for _ in 0..2 {
        let p = app.page(Method::POST, &format!("/cuoc-thi/thi-thu/vao-thi/{round}"), Some(&cookie), None, &[]).await;
        let next = p.location().to_string();
        let confirm = app.page(Method::GET, &format!("{next}/nop"), Some(&cookie), None, &[]).await;
        assert!(confirm.body.contains("Bạn còn <strong>20</strong> câu chưa trả lời"));
        let p = app.page(Method::POST, &format!("{next}/nop"), Some(&cookie), None, &[]).await;
        assert!(p.location().ends_with("/ket-qua"));
    }
    let limit = "Bạn đã sử dụng hết 3 lượt thi của đợt này.";
    let page = app.page(Method::GET, "/cuoc-thi/thi-thu", Some(&cookie), None, &[]).await;
    assert!(page.body.contains(limit), "the contest page says the limit is reached");
    assert!(!page.body.contains("/vao-thi/"), "and offers no start button");
    let p = app.page(Method::POST, &format!("/cuoc-thi/thi-thu/vao-thi/{round}"), Some(&cookie), None, &[]).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.body.contains(limit));

    // After the close: the key with explanations.
    app.clock.advance(Duration::days(61));
    let result = app.page(Method::GET, &format!("/bai-thi/{id}/ket-qua"), Some(&cookie), None, &[]).await;
    assert!(result.body.contains("Đáp án và giải thích"));
    assert_eq!(result.body.matches("– đáp án đúng").count(), 20);

    // Without a session: a page that says so, not the attempt.
    let p = app.page(Method::GET, &at, None, None, &[]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("đăng nhập lại"));
}

async fn cross_site_posts_are_refused(db: TestDb) {
    let app = app(db).await;
    let person = [
        ("full_name", "Lê Văn Cường"),
        ("date_of_birth", "15/04/1990"),
        ("cccd", "036090000456"),
        ("phone", "0912000456"),
        ("consent", "1"),
    ];
    let p = app
        .page(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(&person), &[("sec-fetch-site", "cross-site")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.header(header::SET_COOKIE).is_empty());
    // Old browsers without Sec-Fetch-Site: the Origin must be this site.
    let req = Request::post("/cuoc-thi/thi-thu/dang-ky")
        .header(header::HOST, "thi.example.vn")
        .header(header::ORIGIN, "https://lua-dao.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encode(&person)))
        .unwrap();
    assert_eq!(app.router.clone().oneshot(req).await.unwrap().status(), StatusCode::FORBIDDEN);
    // The same post from the site itself works; a cross-site start or save is refused too.
    let ok = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(&person), &[]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.header(header::SET_COOKIE).split(';').next().unwrap().to_string();
    let round = app.engine.contest("thi-thu").await.unwrap().rounds[0].id;
    let p = app
        .page(
            Method::POST,
            &format!("/cuoc-thi/thi-thu/vao-thi/{round}"),
            Some(&cookie),
            None,
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = app
        .page(
            Method::PUT,
            "/api/v1/attempts/1/answers/0",
            Some(&cookie),
            Some(&[("choice", "0")]),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

async fn pages_in_english(db: TestDb) {
    let app = app(db).await;
    // Vietnamese by default, with a link to English.
    let vi = app.page(Method::GET, "/cuoc-thi/thi-thu", None, None, &[]).await;
    assert!(vi.body.contains("<html lang=\"vi\">"));
    assert!(vi.body.contains("href=\"?lang=en\""));
    assert!(vi.body.contains("Số người tham gia"));
    // The open practice round counts down to its close (60 days from when the demo was loaded).
    assert!(vi.body.contains("Đợt thi kết thúc sau <strong data-left-ms=\""), "no countdown");
    assert!(vi.body.contains(">60 ngày 0 giờ 0 phút</strong>"), "countdown text");
    assert!(vi.body.contains("/static/contest.js"));

    // `?lang=en` sets the cookie once and leads back to the address without it.
    let p = app.page(Method::GET, "/cuoc-thi/thi-thu?lang=en", None, None, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/cuoc-thi/thi-thu");
    let set = p.header(header::SET_COOKIE).to_string();
    for attr in ["lang=en", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "cookie lacks {attr}: {set}");
    }
    let p = app.page(Method::GET, "/?a=1&lang=en&b=2", None, None, &[]).await;
    assert_eq!(p.location(), "/?a=1&b=2");

    let en = app.page(Method::GET, "/cuoc-thi/thi-thu", Some("lang=en"), None, &[]).await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.body.contains("<html lang=\"en\">"));
    for needle in ["Participants", "Attempts", "Register to take part", "<h2>Rules</h2>", "Organiser:", "Vietnam time"]
    {
        assert!(en.body.contains(needle), "English contest page lacks {needle}");
    }
    assert!(en.body.contains("href=\"?lang=vi\" lang=\"vi\""), "a link back to Vietnamese");
    assert!(!en.body.contains("Số người tham gia"), "no Vietnamese label left");
    assert!(en.header(header::VARY).contains("Cookie"));
    let home = app.page(Method::GET, "/", Some("lang=en"), None, &[]).await;
    assert!(home.body.contains("<h2>Open now</h2>"));
    // The organiser's own text stays as written.
    assert!(en.body.contains("Thi thử: Tìm hiểu về chuyển đổi số và Đề án 06"));
}

async fn sharing_and_embedding(db: TestDb) {
    let app = app(db).await;
    // By default only the site itself may frame the pages.
    let page = app.page(Method::GET, "/cuoc-thi/thi-thu", None, None, &[]).await;
    assert!(page.header(header::CONTENT_SECURITY_POLICY).ends_with("frame-ancestors 'self'"));
    // Share links are plain URLs built from the request's host; nothing is loaded from elsewhere.
    let url = "http://thi.example.vn/cuoc-thi/thi-thu";
    assert!(page.body.contains(&format!("value=\"{url}\"")), "a copyable link");
    assert!(page.body.contains(
        "href=\"https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2Fthi.example.vn%2Fcuoc-thi%2Fthi-thu\""
    ));
    assert!(page.body.contains("<summary>Nhúng vào cổng thông tin</summary>"));
    assert!(page.body.contains(&format!("&#60;iframe src=&#34;{url}&#34;")), "the iframe snippet, shown as text");
    assert!(!page.body.contains("<iframe"), "never a live frame");
    assert!(!page.body.contains("<script src=\"http"), "no script from elsewhere on the contest page");
    assert!(!page.body.contains("<base target"), "not framed");

    // Configured portals: in the CSP; the public address in the links.
    let config = cuocthi_web::WebConfig {
        frame_ancestors: cuocthi_web::WebConfig::parse_origins("https://congthongtin.example.vn https://*.tinh.gov.vn")
            .unwrap(),
        public_url: Some("https://thi.example.vn/".into()),
        ..Default::default()
    };
    let router = cuocthi_web::router_with(app.engine.clone(), cuocthi_web::Limits::default(), config);
    let req = Request::get("/cuoc-thi/thi-thu")
        .header(header::HOST, "thi.example.vn")
        .header("sec-fetch-dest", "iframe")
        .body(Body::empty())
        .unwrap();
    let resp = router.oneshot(req).await.unwrap();
    let csp = resp.headers().get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'self' https://congthongtin.example.vn https://*.tinh.gov.vn"), "{csp}");
    let body = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(body.contains("value=\"https://thi.example.vn/cuoc-thi/thi-thu\""));
    assert!(body.contains("<base target=\"_blank\">"), "inside a portal's frame, links open a new tab");
    // Nothing but plain origins gets into the header.
    assert!(cuocthi_web::WebConfig::parse_origins("https://a.vn; script-src *").is_err());
    assert!(cuocthi_web::WebConfig::parse_origins("javascript:x").is_err());
    assert_eq!(cuocthi_web::WebConfig::parse_origins("  ").unwrap(), Vec::<String>::new());
}
