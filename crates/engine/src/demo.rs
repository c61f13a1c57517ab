//! The demo contests: the five seed contests of `examples/contests/` (closed, with their real
//! dates) and a practice contest open from now on, all with the demo question bank.

use std::collections::HashMap;

use chrono::Duration;
use cuocthi_domain::attempt::{self, Answers};
use cuocthi_domain::draw::{self, BankEntry, DrawnQuestion, SplitMix64};
use cuocthi_domain::identity::{Cccd, Identity, Phone};
use cuocthi_domain::vntime;
use cuocthi_store::{BulkAttempt, RoundRow};

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
4. Kết quả thi thử không xét giải. Bảng xếp hạng thi thử chỉ để làm quen với cách xếp hạng của các cuộc thi thật: theo số câu trả lời đúng, sau đó theo câu hỏi dự đoán, thời gian làm bài và thời điểm nộp bài.
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

/// Seed 004, the one with collective prizes, as a newcomer should find it: played.
pub const PLAYED_SLUG: &str = "tim-hieu-de-an-06-thai-binh-2023";

/// How many synthetic people play seed 004: enough that every unit has a different count (the
/// collective prize ranks units by participants) and start-up stays a matter of seconds.
pub const PLAYED_PEOPLE: u64 = 3_000;

/// Plays seed 004 with [`PLAYED_PEOPLE`] synthetic people spread over its units and groups, then
/// approves and publishes its results through the same path as `cuocthi results publish`: so
/// `serve --demo` shows a finished contest with winners, collective prizes and certificates, all
/// computed from the synthetic answers. Does nothing once seed 004 has an approved version (a
/// second start), and does not play again after a start that stopped before approving. Returns
/// the number of people added.
pub async fn play_seed_004(engine: &Engine) -> Result<u64> {
    let c = engine.contest_by_slug(PLAYED_SLUG).await?;
    let Some(round) = c.stored.rounds.first() else { return Ok(0) };
    if !engine.store.ranking_versions(c.stored.contest.id, Some(round.id)).await?.is_empty() {
        return Ok(0);
    }
    let added = if engine.store.round_counts(round.id).await?.attempts == 0 {
        synthetic(engine, PLAYED_SLUG, round.number, PLAYED_PEOPLE, 2023).await?
    } else {
        0
    };
    engine.publish(PLAYED_SLUG, Some(round.number), None).await?;
    if c.spec.settings.overall.is_some() {
        engine.publish(PLAYED_SLUG, None, None).await?;
    }
    Ok(added)
}

/// Seed 002, the one with an in-person event (hội thi trực tiếp).
pub const EVENT_SLUG: &str = "chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023";

/// Registers a team for each of seed 002's units (eight districts), with synthetic members marked
/// as demo data, and draws their order on stage: so `serve --demo` opens the event's desk, the
/// judges' page, the stage and the projector on a real event instead of an empty one. Nothing is
/// scored: a newcomer plays the judges and the MC. Does nothing once a team is registered.
/// Returns the number of teams registered.
pub async fn register_seed_002_teams(engine: &Engine) -> Result<usize> {
    let c = engine.contest_by_slug(EVENT_SLUG).await?;
    let by = crate::console::Staff {
        account_id: 0,
        username: "demo".into(),
        full_name: "Dữ liệu trình diễn".into(),
        system_admin: true,
        has_totp: true,
        grants: Vec::new(),
        session: String::new(),
    };
    if c.spec.settings.event.is_none() || !engine.event_teams(&by, EVENT_SLUG).await?.is_empty() {
        return Ok(0);
    }
    let positions = ["Phó Chủ tịch UBND", "Trưởng phòng Văn hóa và Thông tin", "Chuyên viên", "Đoàn viên", "Hội viên"];
    for (n, unit) in c.spec.units.iter().enumerate() {
        let members: Vec<crate::console::event::MemberInput> = positions
            .iter()
            .enumerate()
            .map(|(i, position)| crate::console::event::MemberInput {
                name: format!("Thành viên {} đội {} (dữ liệu trình diễn)", i + 1, n + 1),
                position: format!("{position} {}", unit.name),
                captain: i == 0,
            })
            .collect();
        engine.save_team(&by, EVENT_SLUG, &unit.code, "", &members).await?;
    }
    engine.draw_performance_order(&by, EVENT_SLUG).await?;
    Ok(c.spec.units.len())
}

/// Fills round `number` of a contest with `n` synthetic people, one submitted attempt each —
/// drawn, answered with a varied skill and scored exactly as real attempts are — for benchmarks
/// at the scale of a province (`cuocthi demo --synthetic 1000000`). Deterministic for a seed.
pub async fn synthetic(engine: &Engine, slug: &str, number: i64, n: u64, seed: u64) -> Result<u64> {
    let c = engine.contest_by_slug(slug).await?;
    let round = c.stored.rounds.iter().find(|r| r.number == number).cloned().ok_or(EngineError::NotFound("đợt thi"))?;
    let bank = engine.bank(c.stored.contest.id).await?;
    let all_ids: Vec<i64> = bank.entries.iter().map(|e| e.question_id).collect();
    let keys = engine.questions(&all_ids).await?.into_iter().map(|(id, q)| (id, q.question.correct)).collect();
    let units = c.spec.units.iter().map(|u| u.code.clone()).collect();
    let groups = c.spec.settings.eligibility.groups.iter().map(|g| g.code.clone()).collect();
    let filler = Synthetic { round: &round, bank: &bank.entries, keys, units, groups, people: n };
    let mut rng = SplitMix64::new(seed);
    let mut done = 0u64;
    while done < n {
        let chunk = (n - done).min(10_000);
        let rows = (done..done + chunk).map(|i| filler.attempt(&mut rng, i)).collect::<Result<Vec<_>>>()?;
        engine.store.bulk_insert_submitted(c.stored.contest.id, round.id, &rows).await?;
        done += chunk;
    }
    Ok(done)
}

/// What the synthetic attempts of a round are made from.
struct Synthetic<'a> {
    round: &'a RoundRow,
    bank: &'a [BankEntry],
    /// The key (the correct original option) of every question of the bank.
    keys: HashMap<i64, u8>,
    units: Vec<String>,
    /// The contest's groups (đối tượng), so people of a contest that asks for one may win.
    groups: Vec<String>,
    /// How many people fill the round: the predictions spread up to twice as many.
    people: u64,
}

impl Synthetic<'_> {
    /// Person `i`'s one submitted attempt. Every number comes from `rng`, in a fixed order, so a
    /// seed always gives the same attempts.
    fn attempt(&self, rng: &mut SplitMix64, i: u64) -> Result<BulkAttempt> {
        let (person_key, identity) = self.person(i)?;
        let rules = &self.round.rules;
        let seed = rng.next_u64();
        let drawn =
            draw::draw(self.bank, rules.questions_per_attempt, &rules.quotas, seed).map_err(EngineError::Draw)?;
        let answers = self.answers(rng, &drawn);
        let correct = attempt::score(&drawn, &answers, |q| self.keys.get(&q).copied());
        let window = (self.round.closes_at - self.round.opens_at).num_milliseconds();
        let started_at = self.round.opens_at + Duration::milliseconds(below(rng, window));
        let submitted_at = started_at + Duration::milliseconds(60_000 + below(rng, rules.time_limit_ms()));
        Ok(BulkAttempt {
            person_key,
            identity,
            seed,
            draw: drawn,
            answers,
            prediction: i64::try_from(rng.below(2 * self.people.max(1))).ok(),
            started_at,
            submitted_at,
            correct,
            time_taken_ms: attempt::time_taken_ms(
                started_at,
                submitted_at,
                rules.time_limit_ms(),
                self.round.closes_at,
            ),
        })
    }

    /// Person `i`: a valid CCCD (their key) and phone, born in 1960–1999, spread over the
    /// contest's units when it has any — unevenly, so unit figures and collective prizes have
    /// something to show rather than a tie — and over its groups.
    fn person(&self, i: u64) -> Result<(String, Identity)> {
        let year = 1960 + i32::try_from(i % 40).unwrap_or_default();
        let century = if year >= 2000 { 2 } else { 0 };
        let cccd = Cccd::parse(&format!("001{century}{:02}{:06}", year % 100, (i / 40) % 1_000_000))
            .map_err(EngineError::BadRequest)?;
        let phone = Phone::parse(&format!("03{:08}", i % 100_000_000)).map_err(EngineError::BadRequest)?;
        let identity = Identity {
            full_name: Some(format!("Người dự thi {i}")),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
            cccd: Some(cccd.clone()),
            phone: Some(phone),
            email: None,
            unit: usize::try_from(i).ok().and_then(|i| self.units.get(uneven(i, self.units.len()))).cloned(),
            locality: None,
            group: usize::try_from(i).ok().and_then(|i| self.groups.get(i % self.groups.len().max(1))).cloned(),
        };
        Ok((cccd.as_str().to_string(), identity))
    }

    /// Answers every question: right with a chance of the person's skill (30–99%), otherwise any
    /// option at random.
    fn answers(&self, rng: &mut SplitMix64, drawn: &[DrawnQuestion]) -> Answers {
        let skill = 30 + rng.below(70);
        let mut answers = Answers::empty(drawn.len());
        for (pos, d) in drawn.iter().enumerate() {
            let pick = if rng.below(100) < skill {
                self.keys[&d.question_id]
            } else {
                u8::try_from(rng.index_below(d.order.len())).unwrap_or_default()
            };
            answers.set(pos, Some(pick));
        }
        answers
    }
}

/// Which of `k` units person `i` belongs to: unit `j` gets `j + 1` people in every
/// `k (k + 1) / 2`, so no two units end with the same count.
fn uneven(i: usize, k: usize) -> usize {
    let mut slot = i % (k * (k + 1) / 2).max(1);
    let mut unit = 0;
    while slot > unit {
        slot -= unit + 1;
        unit += 1;
    }
    unit
}

/// A uniform integer in `0..n` for a positive `n` held in an i64 (a span of milliseconds).
fn below(rng: &mut SplitMix64, n: i64) -> i64 {
    // Below `n`, itself an i64: the conversion back never fails.
    i64::try_from(rng.below(n.max(1).unsigned_abs())).unwrap_or_default()
}
