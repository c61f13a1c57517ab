//! The demo contests: the five seed contests of `examples/contests/` (closed, with their real
//! dates) and a practice contest open from now on, all with the demo question bank.

use chrono::Duration;
use cuocthi_domain::vntime;

use crate::{Engine, EngineError, Result};

/// The example definitions, compiled in so `serve --demo` works from any directory.
pub const EXAMPLES: [(&str, &str); 5] = [
    ("000-quang-ninh-2024.toml", include_str!("../../../examples/contests/000-quang-ninh-2024.toml")),
    ("001-cao-bang-2024.toml", include_str!("../../../examples/contests/001-cao-bang-2024.toml")),
    ("002-dak-nong-2023.toml", include_str!("../../../examples/contests/002-dak-nong-2023.toml")),
    ("003-thai-binh-2024.toml", include_str!("../../../examples/contests/003-thai-binh-2024.toml")),
    ("004-thai-binh-2023-de-an-06.toml", include_str!("../../../examples/contests/004-thai-binh-2023-de-an-06.toml")),
];

/// The demo question bank (CSV in the layout of docs/IMPORT.md).
pub const DEMO_BANK: &[u8] = include_bytes!("../../../examples/questions/demo-bank.csv");

pub const PRACTICE_SLUG: &str = "thi-thu";

/// A practice contest whose round opened an hour ago and stays open for 60 days.
pub fn practice_definition(now: chrono::DateTime<chrono::Utc>) -> String {
    let opens = vntime::format(now - Duration::hours(1));
    let closes = vntime::format(now + Duration::days(60));
    format!(
        r#"slug = "{PRACTICE_SLUG}"
title = "Thi thử: Tìm hiểu về chuyển đổi số và Đề án 06"
organiser = "Ban Tổ chức cuộc thi (dữ liệu trình diễn)"
summary = "Cuộc thi thử để làm quen với cách dự thi trực tuyến: 20 câu hỏi rút ngẫu nhiên, 20 phút, tối đa 3 lượt."
audience = "Mọi người dùng muốn làm quen với hệ thống. Kết quả thi thử không xét giải."
rules = """
1. Mỗi lượt thi gồm 20 câu hỏi trắc nghiệm được rút ngẫu nhiên từ ngân hàng câu hỏi; mỗi câu có một đáp án đúng.
2. Thời gian làm bài tối đa 20 phút; hết giờ, hệ thống tự động nộp bài với các câu trả lời đã lưu.
3. Mỗi người được thi tối đa 03 lượt; lượt có kết quả cao nhất được tính.
4. Xếp hạng theo số câu trả lời đúng, sau đó theo câu hỏi dự đoán, thời gian làm bài và thời điểm nộp bài.
"""
question_bank = "../questions/demo-bank.csv"

[eligibility]
required_fields = ["full_name", "date_of_birth", "cccd", "phone"]

[[rounds]]
name = "Đợt thi thử"
opens = "{opens}"
closes = "{closes}"
questions_per_attempt = 20
time_limit_minutes = 20
attempts_per_person = 3
show_key_after_close = true
tiebreak = {{ prompt = "Dự đoán có bao nhiêu người tham gia đợt thi thử?", predicts = "people" }}
"#
    )
}

/// Loads every demo contest that is not there yet; returns the slugs loaded.
pub async fn load(engine: &Engine) -> Result<Vec<String>> {
    let practice = practice_definition(engine.now());
    let mut loaded = Vec::new();
    let all = EXAMPLES.iter().map(|(_, s)| *s).chain(std::iter::once(practice.as_str()));
    for source in all {
        match engine.import_contest(source, Some(("demo-bank.csv", DEMO_BANK))).await {
            Ok(done) => loaded.push(done.slug),
            Err(EngineError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(loaded)
}

/// Fills round `number` of a contest with `n` synthetic people, one submitted attempt each —
/// drawn, answered with a varied skill and scored exactly as real attempts are — for benchmarks
/// at the scale of a province (`cuocthi demo --synthetic 1000000`). Deterministic for a seed.
pub async fn synthetic(engine: &Engine, slug: &str, number: i64, n: u64, seed: u64) -> Result<u64> {
    use cuocthi_domain::attempt::{self, Answers};
    use cuocthi_domain::draw::{self, SplitMix64};
    use cuocthi_domain::identity::{Cccd, Identity, Phone};

    let c = engine.contest_by_slug(slug).await?;
    let round = c.stored.rounds.iter().find(|r| r.number == number).cloned().ok_or(EngineError::NotFound("đợt thi"))?;
    let bank = engine.bank(c.stored.contest.id).await?;
    let all_ids: Vec<i64> = bank.entries.iter().map(|e| e.question_id).collect();
    let keys: std::collections::HashMap<i64, u8> =
        engine.questions(&all_ids).await?.into_iter().map(|(id, q)| (id, q.question.correct)).collect();
    let units: Vec<String> = c.spec.units.iter().map(|u| u.code.clone()).collect();
    let rules = &round.rules;
    let window_ms = (round.closes_at - round.opens_at).num_milliseconds().max(1) as u64;
    let mut rng = SplitMix64::new(seed);
    let mut done = 0u64;
    while done < n {
        let chunk = (n - done).min(10_000);
        let mut rows = Vec::with_capacity(chunk as usize);
        for i in done..done + chunk {
            let year = 1960 + (i % 40) as i32;
            let cccd = Cccd::parse(&format!(
                "001{}{:02}{:06}",
                if year >= 2000 { 2 } else { 0 },
                year % 100,
                (i / 40) % 1_000_000
            ))
            .map_err(EngineError::BadRequest)?;
            let phone = Phone::parse(&format!("03{:08}", i % 100_000_000)).map_err(EngineError::BadRequest)?;
            let attempt_seed = rng.next_u64();
            let drawn = draw::draw(&bank.entries, rules.questions_per_attempt, &rules.quotas, attempt_seed)
                .map_err(EngineError::Draw)?;
            let skill = 30 + rng.below(70);
            let mut answers = Answers::empty(drawn.len());
            for (pos, d) in drawn.iter().enumerate() {
                let pick =
                    if rng.below(100) < skill { keys[&d.question_id] } else { rng.below(d.order.len() as u64) as u8 };
                answers.set(pos, Some(pick));
            }
            let correct = attempt::score(&drawn, &answers, |q| keys.get(&q).copied());
            let started_at = round.opens_at + chrono::Duration::milliseconds(rng.below(window_ms) as i64);
            let taken = (60_000 + rng.below(rules.time_limit_ms() as u64)) as i64;
            let submitted_at = started_at + chrono::Duration::milliseconds(taken);
            rows.push(cuocthi_store::BulkAttempt {
                person_key: cccd.as_str().to_string(),
                identity: Identity {
                    full_name: Some(format!("Người dự thi {i}")),
                    date_of_birth: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
                    cccd: Some(cccd),
                    phone: Some(phone),
                    email: None,
                    // Spread over the contest's units, when it has any, so unit figures and
                    // collective prizes have something to show.
                    unit: (!units.is_empty()).then(|| units[(i % units.len() as u64) as usize].clone()),
                    locality: None,
                    group: None,
                },
                seed: attempt_seed,
                draw: drawn,
                answers,
                prediction: Some(rng.below(2 * n.max(1)) as i64),
                started_at,
                submitted_at,
                correct,
                time_taken_ms: attempt::time_taken_ms(started_at, submitted_at, rules.time_limit_ms(), round.closes_at),
            });
        }
        engine.store.bulk_insert_submitted(c.stored.contest.id, round.id, &rows).await?;
        done += chunk;
    }
    Ok(done)
}
