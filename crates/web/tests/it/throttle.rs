//! Guessing a person's date of birth through the API and the pages (issue 13): 200 guesses sent
//! at once are checked at most as often as the throttle allows, the rest get 429 with
//! `Retry-After`; registration never hands back another person's session.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use cuocthi_testkit::{TestDb, on_both_backends};
use serde_json::{Value, json};

use crate::harness::{app, send_to};

on_both_backends!(two_hundred_parallel_identifications_check_at_most_the_limit);

/// The free tries of a person's key (`cuocthi_engine::shared::throttle::PERSON_KEY`).
const PERSON_FREE: usize = 5;

fn identify_request(body: Value, from: &str) -> Request<Body> {
    let mut req = Request::post("/api/v1/contests/thi-thu/sessions")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

async fn two_hundred_parallel_identifications_check_at_most_the_limit(db: TestDb) {
    let app = app(db).await;
    let person = json!({"full_name": "Trần Thị Bình", "date_of_birth": "02/09/1995", "cccd": "036195000123",
                        "phone": "0912000123", "consent": true});
    let (s, first, _) =
        app.call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(person.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");

    // 200 wrong dates of 1995 at once, from 200 addresses.
    let dates: Vec<String> = (1..=12)
        .flat_map(|m| (1..=28).map(move |d| format!("{d:02}/{m:02}/1995")))
        .filter(|d| d != "02/09/1995")
        .collect();
    let tries: Vec<_> = dates
        .iter()
        .take(200)
        .enumerate()
        .map(|(i, dob)| {
            let router = app.router.clone();
            let req = identify_request(
                json!({"key": "036195000123", "date_of_birth": dob}),
                &format!("10.7.{}.{}", i / 100, i % 100),
            );
            tokio::spawn(async move { send_to(&router, req).await })
        })
        .collect();
    let (mut checked, mut throttled) = (0, 0);
    for t in tries {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::FORBIDDEN => {
                assert!(r.body.contains("identity_mismatch"), "{}", r.body);
                checked += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                let wait: i64 = r.header(header::RETRY_AFTER).parse().expect("Retry-After in seconds");
                assert!(wait >= 1, "{wait}");
                assert!(r.body.contains("\"throttled\""), "{}", r.body);
                throttled += 1;
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!(checked + throttled, 200);
    assert!(checked <= PERSON_FREE, "{checked} of 200 parallel guesses were checked");

    // The HTML sign-in shares the key's count: even the right date waits, told how long.
    let form = [("key", "036195000123"), ("date_of_birth", "02/09/1995")];
    let r = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-nhap", None, Some(&form), &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.header(header::RETRY_AFTER).parse::<i64>().is_ok_and(|s| s >= 1));
    app.clock.advance(Duration::seconds(1));
    let r = app.page(Method::POST, "/cuoc-thi/thi-thu/dang-nhap", None, Some(&form), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the right date after the wait: {}", r.body);

    // Registration with her CCCD and date of birth but another name and phone: refused, and
    // nothing in the answer says the number is registered.
    let mut other = person.clone();
    other["full_name"] = json!("Nguyễn Văn Kẻ Gian");
    other["phone"] = json!("0987654321");
    let (s, body, raw) = app.call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(other)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{raw}");
    assert!(body.get("token").is_none() && !raw.contains("token"), "{raw}");
    assert_eq!(body["error"]["code"], "identity_mismatch");
    assert!(!raw.contains("đã đăng ký"), "{raw}");
}
