//! Shared fixtures of the engine tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cuocthi_domain::identity::IdentityInput;
use cuocthi_domain::stats::Measures;
use cuocthi_domain::vntime;
use cuocthi_engine::console::event::MemberInput;
use cuocthi_engine::console::{Grant, Role, Staff};
use cuocthi_engine::shared::token::Claims;
use cuocthi_engine::shared::views::AttemptView;
use cuocthi_engine::{Engine, ManualClock, Store};
use cuocthi_testkit::TestDb;
use sqlx::Connection;

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
    /// The id of the round of the contest `kiem-thu`.
    pub round: i64,
}

pub async fn fixture(db: TestDb, eligibility_extra: &str) -> Fixture {
    let clock = Arc::new(ManualClock::new(t0()));
    let engine = Engine::new(db.dyn_store().await, clock.clone()).await.expect("engine");
    engine
        .import_contest(&contest_toml("kiem-thu", eligibility_extra), Some(("bank.csv", &bank_csv(10))))
        .await
        .expect("import");
    // From the store, not the contest page: reading the page here would cache it before the test.
    let stored = engine.store().contest_by_slug("kiem-thu").await.expect("read").expect("the contest");
    let round = stored.rounds[0].id;
    Fixture { engine, clock, db, round }
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

/// The fixture with one person (`n`, born in `year`) registered, and the id of its round: where
/// most tests of the participant's path begin.
pub async fn with_person(db: TestDb, n: u32, year: i32) -> (Fixture, Claims, i64) {
    let f = fixture(db, "").await;
    let who = register(&f.engine, "kiem-thu", &person(n, year)).await;
    let round = f.round;
    (f, who, round)
}

/// Registers `who` for `kiem-thu` and starts an attempt for them in its round.
pub async fn started(f: &Fixture, who: &IdentityInput) -> (Claims, AttemptView) {
    let claims = register(&f.engine, "kiem-thu", who).await;
    (claims, f.engine.start(claims, f.round).await.expect("start"))
}

/// The shown index of the correct option of question `position` of an attempt, or with `right`
/// false of a wrong one.
pub async fn choice(e: &Engine, attempt_id: i64, position: usize, right: bool) -> u8 {
    let row = e.store().attempt(attempt_id).await.unwrap().unwrap();
    let d = &row.draw[position];
    let q = &e.store().questions_by_id(&[d.question_id]).await.unwrap()[0];
    let key = d.shown(q.question.correct).unwrap();
    if right { key } else { (key + 1) % u8::try_from(d.order.len()).unwrap() }
}

/// Runs one statement on the test database behind the engine's back: how a test alters what
/// verification must then find.
pub async fn execute(db: &TestDb, sql: &'static str) {
    if db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

/// Statistics counters by (round, dimension, bucket), the empty ones left out.
pub type Counters = BTreeMap<(i64, String, String), Measures>;

/// The counters the engine kept as attempts happened.
pub async fn stored_counters(store: &Arc<dyn Store>, contest: i64, round: i64) -> Counters {
    store
        .counters(contest, Some(round))
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.round_id, r.dim.clone(), r.bucket.clone()), r.measures()))
        .filter(|(_, m)| *m != Measures::default())
        .collect()
}

/// The counters counted again from the attempts: what [`stored_counters`] must equal.
pub async fn recounted_counters(store: &Arc<dyn Store>, contest: i64) -> Counters {
    store
        .recount(contest)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, m)| ((k.round_id, k.dim.to_string(), k.key), m))
        .filter(|(_, m)| *m != Measures::default())
        .collect()
}

/// A workbook of one sheet holding `rows` as text from the top-left cell, empty cells left out.
pub fn xlsx_bytes(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, r) in rows.iter().zip(0u32..) {
        for (v, c) in row.iter().zip(0u16..).filter(|(v, _)| !v.is_empty()) {
            sheet.write_string(r, c, *v).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

/// The contest `slug` of [`contest_toml`] whose registration also asks for the unit, with these
/// `[[units]]` tables: where collective prizes are tested.
pub fn asking_unit(slug: &str, units: &str) -> String {
    contest_toml(slug, "").replace(
        "required_fields = [\"full_name\", \"date_of_birth\", \"cccd\", \"phone\"]",
        "required_fields = [\"full_name\", \"date_of_birth\", \"cccd\", \"phone\", \"unit\"]",
    ) + units
}

/// A staff member holding `role` on one contest, with the second factor set up.
pub fn staff(account_id: i64, username: &str, contest_id: i64, role: Role) -> Staff {
    Staff {
        account_id,
        username: username.into(),
        full_name: username.into(),
        system_admin: false,
        has_totp: true,
        grants: vec![Grant { id: account_id, contest_id, role, unit: None }],
        session: String::new(),
    }
}

/// An account stored with `role` on contest `contest_id`, as the engine sees it signed in.
pub async fn account_on(store: &dyn Store, contest_id: i64, name: &str, role: Role) -> Staff {
    let id = store.insert_account(name, "hash", "staff", t0()).await.expect("account");
    store.insert_grant(id, contest_id, role.as_str(), "", t0()).await.expect("grant");
    staff(id, name, contest_id, role)
}

/// `n` members of an event team, the first its captain.
pub fn members(n: usize) -> Vec<MemberInput> {
    (0..n)
        .map(|i| MemberInput { name: format!("Thành viên {i}"), position: "Chuyên viên".into(), captain: i == 0 })
        .collect()
}
