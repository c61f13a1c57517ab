//! The console's statistics page with a million attempts stored: how long it answers.
//!
//! `cargo run --release -p cuocthi-web --example dashboard_bench -- [DB] [N]` fills the practice
//! contest of a fresh SQLite database `DB` (default `target/bench-dashboard.db`; kept, so a second
//! run measures at once) with `N` synthetic people (default 1,000,000), one scored attempt each,
//! counts them into the statistics' counters as the server's background task does, then asks the
//! real router for `/admin/cuoc-thi/thi-thu/thong-ke` as a signed-in organiser, 5 times to warm up
//! and 50 times measured. The last line is JSON.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cuocthi_engine::console::{Action, SignIn};
use cuocthi_engine::{Engine, Role, Store, SystemClock};
use cuocthi_store::{ConsoleStore, SqlStore};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PASSWORD: &str = "mat-khau-do-hieu-nang-2026";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "target/bench-dashboard.db".into());
    let n: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let store = Arc::new(SqlStore::connect(&format!("sqlite:{path}")).await?);
    store.migrate().await?;
    let engine = Engine::new(store.clone() as Arc<dyn Store>, Arc::new(SystemClock)).await?;
    cuocthi_engine::demo::load(&engine).await?;
    let have = engine.round_results("thi-thu", 1).await.map(|r| r.standings.len() as u64).unwrap_or(0);
    if have < n {
        let t = Instant::now();
        cuocthi_engine::demo::synthetic(&engine, "thi-thu", 1, n - have, 2026).await?;
        eprintln!("{} synthetic attempts stored in {:.1} s", n - have, t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let counted = engine.count_attempts().await?;
    let count_s = t.elapsed().as_secs_f64();
    eprintln!("{counted} attempts counted into the counters in {count_s:.1} s");

    let username = "bench-organiser";
    if engine.create_account(username, PASSWORD.into(), Role::Viewer).await.is_ok() {
        let id = store.account_by_username(username).await?.map(|a| a.id).unwrap_or_default();
        let c = store.contest_by_slug("thi-thu").await?.ok_or("no practice contest")?;
        store.insert_grant(id, c.contest.id, Role::Organiser.as_str(), "", engine.now()).await?;
    }
    let session = engine.sign_in(SignIn { username, password: PASSWORD, code: None, address: "127.0.0.1" }).await?;
    let staff = engine.staff(&session.token).await?;
    engine.contest_for(&staff, "thi-thu", Action::ViewStatistics).await?;
    // The organiser signs in with a password alone, as in a demo: measuring the page, not TOTP.
    let config =
        cuocthi_web::WebConfig { second_factor: cuocthi_web::SecondFactor::AdministratorsOnly, ..Default::default() };
    let router = cuocthi_web::router_with(engine.clone(), cuocthi_web::Limits::default(), config);
    let cookie = format!("ct_quantri={}", session.token);
    let mut times = Vec::new();
    for i in 0..55 {
        let req =
            Request::get("/admin/cuoc-thi/thi-thu/thong-ke").header(header::COOKIE, &cookie).body(Body::empty())?;
        let t = Instant::now();
        let resp = router.clone().oneshot(req).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if status != StatusCode::OK {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)).into());
        }
        if i >= 5 {
            times.push(ms);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    // A quantile's index: between 0 and len - 1, so the float-to-index cast is exact enough and safe.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 ≤ index < len")]
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    let stored = engine.live_counts("thi-thu").await?;
    println!(
        "{}",
        serde_json::json!({
            "bench": "dashboard",
            "attempts_stored": stored.attempts,
            "count_s": count_s,
            "requests": times.len(),
            "p50_ms": at(0.5),
            "p95_ms": at(0.95),
            "max_ms": at(1.0),
        })
    );
    Ok(())
}
