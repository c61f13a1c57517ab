//! The JSON API through the real router on a real database, on SQLite and on PostgreSQL.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Duration, Utc};
use cuocthi_engine::{Engine, ManualClock};
use cuocthi_store::Store;
use cuocthi_testkit::{TestDb, on_both_backends};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::harness::app;

on_both_backends!(
    the_whole_participant_path_through_the_api,
    errors_are_json_in_vietnamese,
    whole_numbers_written_with_a_point_zero_are_accepted,
    results_a_province_can_sign_through_the_api
);

/// What schemathesis found (issue 13, item 7): statuses the server answers that the document did
/// not list, an unbounded position, and a registration body that was valid by the schema but can
/// never be accepted. `scripts/schemathesis` checks the rest against a running server.
#[tokio::test]
async fn the_openapi_document_lists_what_the_server_answers() {
    let app = app(TestDb::sqlite().await).await;
    let (s, doc, _) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap().iter().filter(|(p, _)| p.starts_with("/api/v1")) {
        for (method, op) in item.as_object().unwrap() {
            let listed = |status: &str| op["responses"].get(status).is_some();
            let at = format!("{method} {path}");
            assert!(listed("400") && listed("503"), "{at}: 400 and 503 are answered by every operation");
            assert_eq!(listed("401"), op.get("security").is_some(), "{at}: 401 exactly where a token is needed");
            if path.contains('{') {
                assert!(listed("404"), "{at}: a path that names something can name nothing");
            }
            if op.get("requestBody").is_some() {
                assert!(listed("413"), "{at}: a body can be too large");
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked} operations");
    let answer = &doc["paths"]["/api/v1/attempts/{attempt_id}/answers/{position}"]["put"];
    let position = answer["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "position").unwrap();
    assert_eq!(position["schema"]["maximum"], 199, "an attempt has at most 200 questions");
    let registration = &doc["paths"]["/api/v1/contests/{slug}/participants"]["post"]["responses"];
    assert!(registration.get("409").is_some(), "a closed contest refuses new registrations");
    let start = &doc["paths"]["/api/v1/rounds/{round_id}/attempts"]["post"]["responses"];
    assert!(start.get("200").is_some() && start.get("201").is_some(), "a resumed attempt and a new one");
    assert!(
        doc["paths"].get("/api/v1/me/places").is_some()
            && doc["paths"].get("/api/v1/contests/{slug}/collective").is_some()
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["AnswerRequest"]["properties"]["choice"]["maximum"], 3);
    assert_eq!(schemas["PredictionRequest"]["properties"]["value"]["minimum"], 0);
    let required = schemas["RegisterRequest"]["required"].as_array().expect("RegisterRequest lists what it requires");
    assert!(required.contains(&json!("date_of_birth")), "`{{}}` must not be a valid registration");
}

#[tokio::test]
async fn malformed_page_addresses_and_forms_get_a_vietnamese_page() {
    let app = app(TestDb::sqlite().await).await;
    for uri in ["/bai-thi/abc", "/bai-thi/99999999999999999999999/ket-qua"] {
        let (s, _, text) = app.call(Method::GET, uri, None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert!(text.contains("Không tìm thấy trang."), "{uri}: {text}");
        assert!(text.contains("<html"), "an HTML page, not plain text");
    }
    // A form posted as JSON is not a form: a clear page, not axum's plain text.
    let (s, _, text) = app.call(Method::POST, "/cuoc-thi/thi-thu/dang-ky", None, Some(json!({"x": 1}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(text.contains("Biểu mẫu gửi lên không hợp lệ"), "{text}");
}

#[tokio::test]
async fn overload_is_answered_with_503_and_retry_after() {
    let db = TestDb::sqlite().await;
    let engine = Engine::new(db.dyn_store().await, Arc::new(ManualClock::new(Utc::now()))).await.unwrap();
    // No room at all: every request is shed at once instead of waiting.
    let router = cuocthi_web::router_with(
        engine,
        cuocthi_web::Limits { max_in_flight: 0, ..Default::default() },
        Default::default(),
    );
    let resp = router.oneshot(Request::get("/api/v1/contests").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers().get(header::RETRY_AFTER).unwrap(), "5");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(body["error"]["message"], "Hệ thống đang bận; vui lòng thử lại sau ít giây.");
}

#[tokio::test]
async fn the_limit_on_requests_in_flight_is_one_for_the_whole_server() {
    let db = TestDb::sqlite().await;
    let engine = Engine::new(db.dyn_store().await, Arc::new(ManualClock::new(Utc::now()))).await.unwrap();
    let router = cuocthi_web::router_with(
        engine,
        cuocthi_web::Limits { max_in_flight: 1, ..Default::default() },
        Default::default(),
    );
    // A registration whose body never arrives holds the one place…
    let body = Body::from_stream(futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>());
    let slow = Request::post("/api/v1/contests/thi-thu/participants")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .unwrap();
    let held = tokio::spawn(router.clone().oneshot(slow));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // …so a request for another route is shed: axum layers each route separately, and a
    // per-route limit would have let it through.
    let other = router.clone().oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(other.status(), StatusCode::SERVICE_UNAVAILABLE);
    held.abort();
    let _ = held.await;
    let after = router.oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(after.status(), StatusCode::OK, "the place is given back");
}

async fn the_whole_participant_path_through_the_api(db: TestDb) {
    let app = app(db).await;
    let (s, contests, _) = app.call(Method::GET, "/api/v1/contests", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(contests.as_array().unwrap().len(), 6);
    let (_, contest, _) = app.call(Method::GET, "/api/v1/contests/thi-thu", None, None).await;
    let round = contest["rounds"][0]["id"].as_i64().unwrap();
    assert_eq!(contest["rounds"][0]["phase"], "open");

    let person = json!({"full_name": "Trần Thị Bình", "date_of_birth": "02/09/1995", "cccd": "036195000123", "phone": "+84 912 000 123", "consent": true});
    let (s, session, _) =
        app.call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(person.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap().to_string();
    assert_eq!(session["participant"]["phone_masked"], "091****123");
    let (s, again, _) = app
        .call(
            Method::POST,
            "/api/v1/contests/thi-thu/sessions",
            None,
            Some(json!({"key": "036195000123", "date_of_birth": "1995-09-02"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["participant"]["id"], session["participant"]["id"]);

    let (s, attempt, raw) =
        app.call(Method::POST, &format!("/api/v1/rounds/{round}/attempts"), Some(&token), None).await;
    assert_eq!(s, StatusCode::CREATED, "{raw}");
    let id = attempt["id"].as_i64().unwrap();
    let questions = attempt["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 20);
    // Nothing in the attempt reveals the key: no such field, and the stored key is nowhere.
    let row = app.store.attempt(id).await.unwrap().unwrap();
    let ids: Vec<i64> = row.draw.iter().map(|d| d.question_id).collect();
    let bank = app.store.questions_by_id(&ids).await.unwrap();
    for word in ["correct", "explanation", "key", "order", "seed"] {
        assert!(!raw.contains(&format!("\"{word}\"")), "attempt JSON has a {word} field");
    }
    for q in &bank {
        if let Some(e) = &q.question.explanation {
            assert!(!raw.contains(e.as_str()), "an explanation leaked");
        }
    }
    let mut right = 0;
    for (pos, d) in row.draw.iter().enumerate() {
        let key = bank.iter().find(|q| q.id == d.question_id).unwrap().question.correct;
        let shown = d.order.iter().position(|o| *o == key).unwrap();
        let choice = if pos % 2 == 0 {
            right += 1;
            shown
        } else {
            (shown + 1) % d.order.len()
        };
        let (s, ack, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/attempts/{id}/answers/{pos}"),
                Some(&token),
                Some(json!({"choice": choice})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{ack}");
        assert_eq!(ack["answer"], choice);
    }
    let (s, _, _) = app
        .call(Method::PUT, &format!("/api/v1/attempts/{id}/prediction"), Some(&token), Some(json!({"value": 4321})))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // A reload resumes the attempt exactly where it stood.
    let (_, resumed, _) = app.call(Method::GET, &format!("/api/v1/attempts/{id}"), Some(&token), None).await;
    assert_eq!(resumed["answered"], 20);
    assert_eq!(resumed["prediction"], 4321);
    let (s, _, _) = app.call(Method::GET, &format!("/api/v1/attempts/{id}/result"), Some(&token), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "no result before submission");

    app.clock.advance(Duration::seconds(754));
    let (s, result, _) =
        app.call(Method::POST, &format!("/api/v1/attempts/{id}/submit"), Some(&token), Some(json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{result}");
    assert_eq!(result["correct"], right);
    assert_eq!(result["time_taken_text"], "12 phút 34 giây");
    assert_eq!(result["attempts_left"], 2);
    let (_, me, _) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me["attempts"][0]["correct"], right);

    // Published results: none yet; after the close, the prize list with no personal numbers.
    let (s, _, _) = app.call(Method::GET, &format!("/api/v1/rounds/{round}/ranking"), None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.clock.advance(Duration::days(61));
    let (s, body, _) = app.call(Method::POST, &format!("/api/v1/rounds/{round}/attempts"), Some(&token), None).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("round_closed")));
    app.engine.sweep().await.unwrap();
    app.engine.publish("thi-thu", Some(1), None).await.unwrap();
    let (s, ranking, raw) = app.call(Method::GET, &format!("/api/v1/rounds/{round}/ranking"), None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ranking["participants"], 1);
    assert_eq!(ranking["real_figure"], 1);
    // The practice contest has no prizes: the published list is empty, and never personal numbers.
    assert_eq!(ranking["rows"].as_array().unwrap().len(), 0);
    assert!(!raw.contains("036195000123") && !raw.contains("0912000123"));
    let (_, result, _) = app.call(Method::GET, &format!("/api/v1/attempts/{id}/result"), Some(&token), None).await;
    assert_eq!(result["key"].as_array().map(Vec::len), Some(20), "the key after the close");
    let (s, body, _) = app.call(Method::POST, &format!("/api/v1/rounds/{round}/attempts"), None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
}

async fn errors_are_json_in_vietnamese(db: TestDb) {
    let app = app(db).await;
    let (s, body, _) = app.call(Method::GET, "/api/v1/contests/khong-co", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["message"], "Không tìm thấy cuộc thi.");
    let (s, body, _) = app
        .call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(json!({"cccd": "12", "consent": true})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"cccd") && fields.contains(&"full_name") && fields.contains(&"phone"), "{body}");
    let (s, body, _) = app.call(Method::GET, "/api/v1/attempts/abc", Some("x"), None).await;
    assert!(s.is_client_error());
    assert!(body["error"]["message"].as_str().is_some());
    let (s, body, _) = app.call(Method::GET, "/khong-ton-tai", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (s, _, text) = app.call(Method::GET, "/", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text.contains("Thi thử: Tìm hiểu về chuyển đổi số và Đề án 06"));
    let (s, openapi, _) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(openapi["paths"].as_object().unwrap().keys().filter(|p| p.starts_with("/api/v1")).count() >= 8);
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.0, StatusCode::OK);
    app.store.close().await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::SERVICE_UNAVAILABLE,
        "503 when the store is gone"
    );
}

/// JSON Schema counts `12.0` as an integer, and a JavaScript client may well send it so: the
/// prediction and the choice accept it, and refuse a real fraction with a message.
async fn whole_numbers_written_with_a_point_zero_are_accepted(db: TestDb) {
    let app = app(db).await;
    let (_, contest, _) = app.call(Method::GET, "/api/v1/contests/thi-thu", None, None).await;
    let round = contest["rounds"][0]["id"].as_i64().unwrap();
    let person = json!({"full_name": "Lê Văn Số", "date_of_birth": "02/09/1995", "cccd": "036095000456", "phone": "0912000456", "consent": true});
    let (s, session, _) = app.call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(person)).await;
    assert_eq!(s, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap().to_string();
    let (s, attempt, raw) =
        app.call(Method::POST, &format!("/api/v1/rounds/{round}/attempts"), Some(&token), None).await;
    assert_eq!(s, StatusCode::CREATED, "{raw}");
    let id = attempt["id"].as_i64().unwrap();

    let prediction = format!("/api/v1/attempts/{id}/prediction");
    let (s, _, raw) = app.call(Method::PUT, &prediction, Some(&token), Some(json!({"value": 1234.0}))).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{raw}");
    let (s, body, _) = app.call(Method::PUT, &prediction, Some(&token), Some(json!({"value": 12.5}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("không đúng định dạng"), "{body}");

    let answer = format!("/api/v1/attempts/{id}/answers/0");
    let (s, saved, raw) = app.call(Method::PUT, &answer, Some(&token), Some(json!({"choice": 1.0}))).await;
    assert_eq!(s, StatusCode::OK, "{raw}");
    assert_eq!(saved["answer"], 1);
    let (s, cleared, _) = app.call(Method::PUT, &answer, Some(&token), Some(json!({"choice": null}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cleared["answer"], Value::Null);
    let (s, _, _) = app.call(Method::PUT, &answer, Some(&token), Some(json!({"choice": 256}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a choice beyond a byte is refused, not wrapped");

    let (s, result, raw) = app
        .call(Method::POST, &format!("/api/v1/attempts/{id}/submit"), Some(&token), Some(json!({"prediction": 99.0})))
        .await;
    assert_eq!(s, StatusCode::OK, "{raw}");
    assert_eq!(result["prediction"], 99, "the prediction sent with the submission");
}

/// A contest open around the tests' clock, with two units and a collective prize.
fn contest_with_units(app: &crate::harness::App) -> String {
    let now = app.engine.now();
    format!(
        r#"slug = "don-vi"
title = "Cuộc thi có giải tập thể"
organiser = "Sở Tư pháp"
question_bank = "bank.csv"

[eligibility]
required_fields = ["full_name", "date_of_birth", "cccd", "unit"]

[[units]]
code = "SO-A"
name = "Sở A"

[[units]]
code = "SO-B"
name = "Sở B"

[[rounds]]
name = "Đợt 1"
opens = "{}"
closes = "{}"
questions_per_attempt = 10
time_limit_minutes = 10
attempts_per_person = 1
tiebreak = {{ prompt = "Dự đoán số người tham gia?", predicts = "people" }}
prizes = [{{ name = "Giải Nhất", count = 1, amount_vnd = 2000000 }}]

[[collective_prizes]]
name = "Giải tập thể"
basis = "participants"
tiers = [{{ name = "Giải Nhất", count = 1, amount_vnd = 5000000 }}]
"#,
        cuocthi_domain::vntime::format(now - Duration::hours(1)),
        cuocthi_domain::vntime::format(now + Duration::hours(1))
    )
}

/// Issue 17 through the API: a resumed attempt says so (200), rows carry a public id the person
/// finds in `/me/places`, collective prizes are published, and a closed contest takes no new
/// registration (409).
async fn results_a_province_can_sign_through_the_api(db: TestDb) {
    let app = app(db).await;
    let source = contest_with_units(&app);
    app.engine.import_contest(&source, Some(("bank.csv", cuocthi_engine::demo::DEMO_BANK))).await.unwrap();
    let (_, contest, _) = app.call(Method::GET, "/api/v1/contests/don-vi", None, None).await;
    let round = contest["rounds"][0]["id"].as_i64().unwrap();
    let register = |n: u32, unit: &str| json!({"full_name": format!("Phạm Văn {n}"), "date_of_birth": "02/09/1995", "cccd": format!("0360950001{n:02}"), "unit": unit, "consent": true});
    let mut tokens = Vec::new();
    for (n, unit) in [(1, "SO-A"), (2, "SO-B")] {
        let (s, session, _) =
            app.call(Method::POST, "/api/v1/contests/don-vi/participants", None, Some(register(n, unit))).await;
        assert_eq!(s, StatusCode::CREATED, "{session}");
        let token = session["token"].as_str().unwrap().to_string();
        let start = format!("/api/v1/rounds/{round}/attempts");
        let (s, first, raw) = app.call(Method::POST, &start, Some(&token), None).await;
        assert_eq!((s, &first["resumed"]), (StatusCode::CREATED, &json!(false)), "{raw}");
        let (s, again, raw) = app.call(Method::POST, &start, Some(&token), None).await;
        assert_eq!((s, &again["resumed"]), (StatusCode::OK, &json!(true)), "{raw}");
        assert_eq!(again["id"], first["id"]);
        let id = first["id"].as_i64().unwrap();
        let submit = format!("/api/v1/attempts/{id}/submit");
        assert_eq!(app.call(Method::POST, &submit, Some(&token), Some(json!({}))).await.0, StatusCode::OK);
        tokens.push(token);
    }
    let (s, places, _) = app.call(Method::GET, "/api/v1/me/places", Some(&tokens[0]), None).await;
    assert_eq!((s, places), (StatusCode::OK, json!([])), "nothing published yet");
    let (s, _, _) = app.call(Method::GET, "/api/v1/contests/don-vi/collective", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    app.clock.advance(Duration::hours(2));
    let (s, body, _) =
        app.call(Method::POST, "/api/v1/contests/don-vi/participants", None, Some(register(3, "SO-A"))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("không nhận đăng ký mới"), "{body}");

    app.engine.publish("don-vi", Some(1), None).await.unwrap();
    let (_, ranking, _) = app.call(Method::GET, &format!("/api/v1/rounds/{round}/ranking"), None, None).await;
    let winner = &ranking["rows"][0];
    let public_id = winner["public_id"].as_str().expect("a public id");
    assert_eq!(public_id.len(), 16);
    assert!(!public_id.contains("036095"), "not personal");
    let (s, collective, raw) = app.call(Method::GET, "/api/v1/contests/don-vi/collective", None, None).await;
    assert_eq!(s, StatusCode::OK, "{raw}");
    let units = collective[0]["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert!(units.iter().all(|u| u["rank"] == 1 && u["prize"] == "Giải Nhất"), "one person each: a shared place");
    assert_eq!(ranking["collective"], collective, "the round's version carries them");

    let mut seen = Vec::new();
    for token in &tokens {
        let (s, places, raw) = app.call(Method::GET, "/api/v1/me/places", Some(token), None).await;
        assert_eq!(s, StatusCode::OK, "{raw}");
        assert_eq!(places.as_array().unwrap().len(), 1);
        assert!(places[0]["place"].as_i64().is_some(), "{places}");
        seen.push(places[0]["public_id"].clone());
    }
    assert!(seen.contains(&json!(public_id)), "the winner finds their row by its public id");
    assert_ne!(seen[0], seen[1]);
}
