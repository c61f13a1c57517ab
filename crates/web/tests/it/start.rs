//! The API's start (issue 16's herd): its body, written by the engine from the questions' JSON
//! rendered once per bank, is byte for byte the attempt's JSON as `GET /api/v1/attempts/{id}`
//! writes it through `serde_json`, with the same status codes and content type as before.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use cuocthi_testkit::{TestDb, on_both_backends};
use serde_json::json;

use crate::harness::app;

on_both_backends!(a_start_answers_the_attempt_as_its_own_address_does, starts_beyond_the_gate_are_told_to_come_back);

async fn a_start_answers_the_attempt_as_its_own_address_does(db: TestDb) {
    let app = app(db).await;
    let (_, contest, _) = app.call(Method::GET, "/api/v1/contests/thi-thu", None, None).await;
    let round = contest["rounds"][0]["id"].as_i64().unwrap();
    let person = json!({"full_name": "Lê Văn Khởi", "date_of_birth": "12/03/1992", "cccd": "001092000456",
        "phone": "0912000456", "consent": true});
    let (s, session, _) = app.call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(person)).await;
    assert_eq!(s, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap().to_string();

    let start = || {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/rounds/{round}/attempts"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let first = app.send(start()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.header(header::CONTENT_TYPE), "application/json");
    let started: serde_json::Value = serde_json::from_str(&first.body).expect("JSON");
    let id = started["id"].as_i64().unwrap();
    assert_eq!(started["questions"].as_array().map(Vec::len), Some(20));
    let (s, _, read) = app.call(Method::GET, &format!("/api/v1/attempts/{id}"), Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(first.body, read, "the start's body is the attempt's JSON");

    // Resumed: 200, the same attempt, `resumed` true and nothing else different.
    let (s, _, _) = app
        .call(Method::PUT, &format!("/api/v1/attempts/{id}/answers/3"), Some(&token), Some(json!({"choice": 1})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let again = app.send(start()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.header(header::CONTENT_TYPE), "application/json");
    let (_, _, read) = app.call(Method::GET, &format!("/api/v1/attempts/{id}"), Some(&token), None).await;
    assert!(read.ends_with(",\"resumed\":false}"), "{read}");
    assert_eq!(again.body, read.replace(",\"resumed\":false}", ",\"resumed\":true}"));
    assert!(again.body.contains("\"position\":3,") && again.body.contains("\"answer\":1}"));
}

/// `Limits::max_starts` starts in progress: a start beyond them, from the API or the contest
/// page's button, is refused at once with 503 and `Retry-After` and writes nothing; a place given
/// back is taken again. (No place at all here, so the refusal does not depend on timing.)
async fn starts_beyond_the_gate_are_told_to_come_back(db: TestDb) {
    let mut app = app(db).await;
    let limits = |max_starts| cuocthi_web::Limits { max_starts, ..Default::default() };
    app.router = cuocthi_web::router_with(app.engine.clone(), limits(0), Default::default());
    let (_, contest, _) = app.call(Method::GET, "/api/v1/contests/thi-thu", None, None).await;
    let round = contest["rounds"][0]["id"].as_i64().unwrap();
    let person = json!({"full_name": "Đỗ Thị Hạnh", "date_of_birth": "01/06/1990", "cccd": "001190000789",
        "phone": "0912000789", "consent": true});
    let (s, session, _) = app.call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(person)).await;
    assert_eq!(s, StatusCode::CREATED, "{session}");
    let token = session["token"].as_str().unwrap().to_string();

    let api = app.send(
        Request::post(format!("/api/v1/rounds/{round}/attempts"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    );
    let api = api.await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.body);
    assert_eq!(api.header(header::RETRY_AFTER), "5");
    let cookie = format!("ct_phien={token}");
    let page = app.page(Method::POST, &format!("/cuoc-thi/thi-thu/vao-thi/{round}"), Some(&cookie), None, &[]).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{}", page.body);
    assert!(page.body.contains("thử lại"), "the page says to try again: {}", page.body);
    let (_, me, _) = app.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me["attempts"].as_array().map(Vec::len), Some(0), "nothing written: {me}");

    app.router = cuocthi_web::router_with(app.engine.clone(), limits(1), Default::default());
    let p = app.page(Method::POST, &format!("/cuoc-thi/thi-thu/vao-thi/{round}"), Some(&cookie), None, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let (s, _, raw) = app.call(Method::POST, &format!("/api/v1/rounds/{round}/attempts"), Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "the place was given back: the API resumes the attempt: {raw}");
}
