//! Shared fixtures of the engine tests.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cuocthi_domain::identity::IdentityInput;
use cuocthi_domain::vntime;
use cuocthi_engine::shared::token::Claims;
use cuocthi_engine::{Engine, ManualClock};
use cuocthi_testkit::TestDb;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap()
}

/// A contest whose one round is open from `t0 − 1h` to `t0 + 2h`; `extra` is appended to its
/// `[eligibility]` table.
pub fn contest_toml(slug: &str, eligibility_extra: &str) -> String {
    format!(
        r#"slug = "{slug}"
title = "Cuộc thi kiểm thử"
organiser = "Sở Khoa học và Công nghệ"
question_bank = "bank.csv"

[eligibility]
required_fields = ["full_name", "date_of_birth", "cccd", "phone"]
{eligibility_extra}

[[units]]
code = "SO-A"
name = "Sở A"
headcount = 10

[[rounds]]
name = "Đợt 1"
opens = "{}"
closes = "{}"
questions_per_attempt = 6
quotas = [{{ topic = "T1", count = 2 }}]
time_limit_minutes = 10
attempts_per_person = 2
grace_seconds = 10
show_key_after_close = true
tiebreak = {{ prompt = "Dự đoán có bao nhiêu người tham gia?", predicts = "people" }}
prizes = [{{ name = "Giải Nhất", count = 1, amount_vnd = 1000000 }}, {{ name = "Giải Nhì", count = 2, amount_vnd = 500000 }}]
"#,
        vntime::format(t0() - Duration::hours(1)),
        vntime::format(t0() + Duration::hours(2)),
    )
}

/// A bank of `per_topic` questions in each of topics T1, T2, T3; the key of question i is i % 4
/// (i % 3 for the 3-option ones).
pub fn bank_csv(per_topic: usize) -> Vec<u8> {
    let mut s = String::from("Chủ đề,Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Giải thích\n");
    for t in 1..=3 {
        for i in 0..per_topic {
            let four = i % 5 != 0;
            let key = if four { i % 4 } else { i % 3 };
            let d = if four { format!("Phương án D {t}-{i}") } else { String::new() };
            s.push_str(&format!(
                "T{t},Câu hỏi số {i} của chủ đề {t}?,Phương án A {t}-{i},Phương án B {t}-{i},Phương án C {t}-{i},{d},{},Vì đó là đáp án.\n",
                ["A", "B", "C", "D"][key]
            ));
        }
    }
    s.into_bytes()
}

pub struct Fixture {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub db: TestDb,
}

pub async fn fixture(db: TestDb, eligibility_extra: &str) -> Fixture {
    let clock = Arc::new(ManualClock::new(t0()));
    let engine = Engine::new(db.dyn_store().await, clock.clone()).await.expect("engine");
    engine
        .import_contest(&contest_toml("kiem-thu", eligibility_extra), Some(("bank.csv", &bank_csv(10))))
        .await
        .expect("import");
    Fixture { engine, clock, db }
}

/// A valid identity for person `n` born in `year`.
pub fn person(n: u32, year: i32) -> IdentityInput {
    let century = if year >= 2000 { 2 } else { 0 };
    IdentityInput {
        full_name: Some(format!("Nguyễn Văn Thử {n}")),
        date_of_birth: Some(format!("15/06/{year}")),
        cccd: Some(format!("001{century}{:02}{n:06}", year % 100)),
        phone: Some(format!("09{n:08}")),
        ..IdentityInput::default()
    }
}

pub async fn register(engine: &Engine, slug: &str, who: &IdentityInput) -> Claims {
    let s = engine.register(slug, who, true, "127.0.0.1").await.expect("register");
    engine.authenticate(&s.token).expect("token")
}

pub async fn round_id(engine: &Engine, slug: &str, number: usize) -> i64 {
    engine.contest(slug).await.expect("contest").rounds[number - 1].id
}

/// A system administrator, who may do anything the console does.
pub fn system_admin() -> cuocthi_engine::console::Staff {
    cuocthi_engine::console::Staff {
        account_id: 0,
        username: "bantochuc".into(),
        full_name: "Ban tổ chức".into(),
        system_admin: true,
        has_totp: true,
        grants: vec![],
        session: String::new(),
    }
}
