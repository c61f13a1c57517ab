//! `/metrics` (issue 15): Prometheus's text format read back with a real parser
//! (`openmetrics-parser`), the counters moving after requests, labelled by route template and never
//! by the address asked for; the token required; the public port never serving it without one.
//! And the system administrator's page of backups (`/admin/sao-luu`).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use cuocthi_engine::Store;
use cuocthi_engine::console::Role;
use cuocthi_testkit::{TestDb, on_both_backends};
use cuocthi_web::metrics::MetricsConfig;
use cuocthi_web::{BackupPlace, Limits, WebConfig};
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use serde_json::json;

use crate::harness::{App, Reply, app, send_to};

on_both_backends!(
    metrics_parse_and_count_requests_by_route_template,
    the_public_port_serves_metrics_only_with_a_token,
    backups_are_listed_and_checked_for_system_administrators_only,
);

const TOKEN: &str = "ma-bi-mat-cho-prometheus-2026";

fn with_metrics(token: Option<&str>, separate_listener: bool) -> WebConfig {
    WebConfig {
        metrics: MetricsConfig { enabled: true, separate_listener, token: token.map(str::to_string) },
        ..Default::default()
    }
}

async fn scrape_with(router: &axum::Router, token: Option<&str>) -> Reply {
    let mut req = Request::builder().uri("/metrics");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    send_to(router, req.body(Body::empty()).unwrap()).await
}

type Scrape = MetricsExposition<PrometheusType, PrometheusValue>;

/// The scrape, parsed by the Prometheus text parser.
async fn scrape(router: &axum::Router) -> Scrape {
    let r = scrape_with(router, Some(TOKEN)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.header(header::CONTENT_TYPE).starts_with("text/plain; version=0.0.4"));
    parse_prometheus(&r.body).unwrap_or_else(|e| panic!("not the Prometheus text format ({e:?}):\n{}", r.body))
}

/// The labels of every sample of `name`, with its value: a counter's or a gauge's, or the number
/// of observations of a histogram.
fn samples(s: &Scrape, name: &str) -> Vec<(Vec<(String, String)>, f64)> {
    let Some(family) = s.families.get(name) else { return Vec::new() };
    family
        .iter_samples()
        .map(|x| {
            let labels = x
                .get_labelset()
                .map(|set| set.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            let value = match &x.value {
                PrometheusValue::Counter(c) => c.value.as_f64(),
                PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => n.as_f64(),
                PrometheusValue::Histogram(h) => h.buckets.iter().map(|b| b.count.as_f64()).fold(0.0, f64::max),
                PrometheusValue::Summary(_) => 0.0,
            };
            (labels, value)
        })
        .collect()
}

/// The sum of the samples of `name` that carry these labels (0 when there are none).
fn total(s: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(s, name)
        .into_iter()
        .filter(|(have, _)| labels.iter().all(|(k, v)| have.iter().any(|(hk, hv)| hk == k && hv == v)))
        .map(|(_, v)| v)
        .sum()
}

async fn metrics_parse_and_count_requests_by_route_template(db: TestDb) {
    let mut a = app(db).await;
    a.router = cuocthi_web::router_with(a.engine.clone(), Limits::default(), with_metrics(Some(TOKEN), false));
    let contest = [("route", "/api/v1/contests/{slug}"), ("method", "GET"), ("status", "200")];
    let before = scrape(&a.router).await;

    let mut round = 0;
    for _ in 0..3 {
        let (status, contest, body) = a.call(Method::GET, "/api/v1/contests/thi-thu", None, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        round = contest["rounds"][0]["id"].as_i64().expect("a round");
    }
    let person = json!({"full_name": "Đỗ Thị Mai", "date_of_birth": "02/09/1995", "cccd": "036195000777",
                        "phone": "0912000777", "consent": true});
    let (status, session, body) =
        a.call(Method::POST, "/api/v1/contests/thi-thu/participants", None, Some(person)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = session["token"].as_str().expect("a token").to_string();
    let (status, _, body) = a.call(Method::POST, &format!("/api/v1/rounds/{round}/attempts"), Some(&token), None).await;
    assert!(status.is_success(), "{body}");
    a.engine.count_attempts().await.unwrap();
    let (status, _, _) = a.call(Method::GET, "/khong-co-trang-nay", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let after = scrape(&a.router).await;
    // Other tests share the process's recorder: the counters moved by at least this test's requests.
    let moved = total(&after, "cuocthi_http_requests_total", &contest)
        - total(&before, "cuocthi_http_requests_total", &contest);
    assert!(moved >= 3.0, "the contest route moved by {moved}");
    assert!(
        total(&after, "cuocthi_http_request_duration_seconds", &contest)
            >= total(&before, "cuocthi_http_request_duration_seconds", &contest) + 3.0
    );
    let created = [("route", "/api/v1/contests/{slug}/participants"), ("method", "POST"), ("status", "201")];
    assert!(total(&after, "cuocthi_http_requests_total", &created) >= 1.0);
    assert!(total(&after, "cuocthi_http_requests_total", &[("route", "unmatched"), ("status", "404")]) >= 1.0);
    // Routes are templates: no address asked for (a slug, an id) is ever a label.
    for name in ["cuocthi_http_requests_total", "cuocthi_http_request_duration_seconds"] {
        for (labels, _) in samples(&after, name) {
            for (_, route) in labels.iter().filter(|(k, _)| k == "route") {
                assert!(!route.contains("thi-thu") && !route.contains("khong-co"), "{route}");
            }
        }
    }
    // The figures read at each scrape: the contest's attempts from the live counters.
    for series in ["cuocthi_attempts_started", "cuocthi_attempts_submitted", "cuocthi_attempts_open"] {
        let of_contest = samples(&after, series)
            .into_iter()
            .filter(|(l, _)| l.iter().any(|(k, v)| k == "contest" && v == "thi-thu"));
        assert_eq!(of_contest.count(), 1, "{series} of thi-thu");
    }
    assert_eq!(samples(&after, "cuocthi_http_requests_in_flight").len(), 1);
    let help = &after.families["cuocthi_http_requests_total"].help;
    assert!(help.contains("route template"), "described with # HELP: {help}");
    // On SQLite the start went through the group commit.
    if a.store.backend() == cuocthi_store::Backend::Sqlite {
        assert!(total(&after, "cuocthi_group_commit_batch_size", &[("store", "sqlite")]) >= 1.0);
    }
}

async fn the_public_port_serves_metrics_only_with_a_token(db: TestDb) {
    let a = app(db).await;
    // Without any metrics setting, and with a separate listener: the public port does not know it.
    for config in [WebConfig::default(), with_metrics(None, true), with_metrics(Some(TOKEN), true)] {
        let public = cuocthi_web::router_with(a.engine.clone(), Limits::default(), config);
        assert_eq!(scrape_with(&public, Some(TOKEN)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(scrape_with(&public, None).await.status, StatusCode::NOT_FOUND);
    }
    // On the public port with a token: only with that token, compared whole.
    let public = cuocthi_web::router_with(a.engine.clone(), Limits::default(), with_metrics(Some(TOKEN), false));
    let refused = scrape_with(&public, None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.header(header::WWW_AUTHENTICATE), "Bearer");
    assert!(!refused.body.contains("cuocthi_"));
    for wrong in ["ma-bi-mat", "ma-bi-mat-cho-prometheus-2025", ""] {
        assert_eq!(scrape_with(&public, Some(wrong)).await.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    assert_eq!(scrape_with(&public, Some(TOKEN)).await.status, StatusCode::OK);
    // The separate listener's router: open without a token, closed with one.
    let open = cuocthi_web::metrics::router(a.engine.clone(), with_metrics(None, true));
    assert_eq!(scrape_with(&open, None).await.status, StatusCode::OK);
    let closed = cuocthi_web::metrics::router(a.engine.clone(), with_metrics(Some(TOKEN), true));
    assert_eq!(scrape_with(&closed, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape_with(&closed, Some(TOKEN)).await.status, StatusCode::OK);
}

async fn backups_are_listed_and_checked_for_system_administrators_only(db: TestDb) {
    let url = db.url.clone();
    let mut a: App = app(db).await;
    let dir = tempfile::tempdir().unwrap();
    let name = cuocthi_store::backup::file_name(chrono::Utc::now());
    let manifest = cuocthi_store::backup::create(&url, &dir.path().join(&name)).await.expect("a backup");
    std::fs::write(dir.path().join("notes.txt"), "không phải bản sao lưu").unwrap();
    let place = BackupPlace::new(dir.path().to_path_buf(), std::time::Duration::from_secs(6 * 3_600), 14);
    let config = WebConfig { backups: Some(place), ..with_metrics(Some(TOKEN), false) };
    a.router = cuocthi_web::router_with(a.engine.clone(), Limits::default(), config);

    let admin = a.staff("quantri", Role::SystemAdmin, &[]).await;
    let page = a.get("/admin/sao-luu", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&name), "{}", page.body);
    assert!(!page.body.contains("notes.txt"));
    assert!(page.body.contains("mỗi 6 giờ, giữ 14 bản gần nhất"), "{}", page.body);
    assert!(page.body.contains(&format!("phiên bản cấu trúc {}", manifest.schema_version)), "{}", page.body);
    assert!(page.body.contains(&manifest.sha256[..16]));
    assert!(page.body.contains("Chưa kiểm tra"));
    assert!(page.body.contains("0 phút trước"), "the newest copy's age: {}", page.body);

    let checked = a.post("/admin/sao-luu/kiem-tra", &admin, &[("file", &name)]).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert!(checked.body.contains(&format!("Tệp {name} hợp lệ")), "{}", checked.body);
    assert!(checked.body.contains("Hợp lệ"));
    let audit = a.get("/admin/nhat-ky?loai=backup.", &admin).await;
    assert!(audit.body.contains("backup.verify"), "the check is in the audit log");
    // Only a file the folder lists is checked: never a path from the form.
    let outside = a.post("/admin/sao-luu/kiem-tra", &admin, &[("file", "../../etc/passwd")]).await;
    assert!(outside.body.contains("Không có tệp sao lưu này"), "{}", outside.body);

    // The age of the newest copy is on /metrics too.
    let scrape = scrape(&a.router).await;
    assert_eq!(samples(&scrape, "cuocthi_backup_newest_age_seconds").len(), 1);
    assert!(total(&scrape, "cuocthi_backup_schedule_seconds", &[]) > 0.0);

    // Nobody else: an organiser of every contest is refused, a visitor sent to sign in.
    let organiser = a.staff("btc", Role::Organiser, &[("thi-thu", Role::Organiser, "")]).await;
    assert_eq!(a.get("/admin/sao-luu", &organiser).await.status, StatusCode::FORBIDDEN);
    let refused = a.post("/admin/sao-luu/kiem-tra", &organiser, &[("file", &name)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let visitor = a.admin(Method::GET, "/admin/sao-luu", None, None, crate::harness::OFFICE).await;
    assert_eq!(visitor.location(), "/admin/dang-nhap");
}
