//! The API's start (issue 16's herd): its body, written by the engine from the questions' JSON
//! rendered once per bank, is byte for byte the attempt's JSON as `GET /api/v1/attempts/{id}`
//! writes it through `serde_json`, with the same status codes and content type as before.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use cuocthi_testkit::{TestDb, on_both_backends};
use serde_json::json;

use crate::harness::app;

on_both_backends!(a_start_answers_the_attempt_as_its_own_address_does);

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
