//! Seed 001 (Cao Bằng 2024) played by a few hundred synthetic participants: 30 questions drawn
//! at random, 30 minutes, at most 2 attempts, prizes 1+2+3+5. The prize list the engine gives
//! must equal one computed independently here, from the raw stored answers and the rules as
//! the plan states them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_domain::identity::IdentityInput;
use cuocthi_domain::locality::{self, Scheme};
use cuocthi_engine::demo::{DEMO_BANK, EXAMPLES};
use cuocthi_engine::{Engine, ManualClock};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::register;

const PEOPLE: u32 = 240;

/// (participant, attempt, correct, prediction, time taken ms, submitted at ms)
type Row = (i64, i64, u32, Option<i64>, i64, i64);

on_both_backends!(seed_001_prize_list_matches_an_independent_computation);

/// A tiny deterministic generator for the synthetic behaviour (not the draw's).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The correct original option of every question of a draw, read from the store.
async fn keys_of(e: &Engine, draw: &[DrawnQuestion]) -> HashMap<i64, u8> {
    let ids: Vec<i64> = draw.iter().map(|d| d.question_id).collect();
    e.store().questions_by_id(&ids).await.unwrap().into_iter().map(|q| (q.id, q.question.correct)).collect()
}

/// A choice known with probability `skill` per cent, otherwise a guess among the options.
fn answer(rng: &mut Lcg, skill: u64, key: u8, d: &DrawnQuestion) -> u8 {
    let original = if rng.next(100) < skill { key } else { u8::try_from(rng.next(d.order.len() as u64)).unwrap() };
    d.shown(original).unwrap()
}

async fn seed_001_prize_list_matches_an_independent_computation(db: TestDb) {
    // 10:00 on 05/11/2024, inside the round (01/11 – 20/11/2024).
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2024, 11, 5, 3, 0, 0).unwrap()));
    let e = Engine::new(db.dyn_store().await, clock.clone()).await.unwrap();
    let (_, source) = EXAMPLES.iter().find(|(name, _)| name.starts_with("001")).unwrap();
    let slug = e.import_contest(source, Some(("demo-bank.csv", DEMO_BANK))).await.unwrap().slug;
    let contest = e.contest(&slug).await.unwrap();
    let round = &contest.rounds[0];
    assert_eq!((round.questions_per_attempt, round.time_limit_minutes, round.attempts_per_person), (30, 30, 2));
    assert_eq!(round.prizes.iter().map(|p| p.count).collect::<Vec<_>>(), vec![1, 2, 3, 5]);
    let commune = locality::atlas(Scheme::Y2020)
        .all
        .iter()
        .find(|l| l.kind == "xa" && locality::atlas(Scheme::Y2020).path(&l.code).last().is_some_and(|p| p.code == "04"))
        .unwrap()
        .code
        .clone();

    let mut rng = Lcg(2024);
    let mut people = Vec::new();
    for n in 0..PEOPLE {
        let year = 1960 + i32::try_from(n % 45).unwrap();
        let who = IdentityInput {
            full_name: Some(format!("Người dự thi {n}")),
            date_of_birth: Some(format!("01/01/{year}")),
            cccd: Some(format!("004{}{:02}{n:06}", if year >= 2000 { 2 } else { 0 }, year % 100)),
            phone: Some(format!("08{n:08}")),
            locality: Some(commune.clone()),
            group: Some("nguoi-dan".into()),
            ..IdentityInput::default()
        };
        let claims = register(&e, &slug, &who).await;
        people.push(claims.participant_id);
        let skill = 40 + rng.next(60); // per cent of questions known
        let tries = if n % 3 == 0 { 2 } else { 1 };
        for _ in 0..tries {
            let a = e.start(claims, round.id).await.unwrap();
            let row = e.store().attempt(a.id).await.unwrap().unwrap();
            let keys = keys_of(&e, &row.draw).await;
            for (pos, d) in row.draw.iter().enumerate() {
                if rng.next(10) == 0 {
                    continue; // left blank
                }
                let shown = answer(&mut rng, skill, keys[&d.question_id], d);
                e.save_answer(claims, a.id, pos, Some(shown)).await.unwrap();
            }
            clock.advance(Duration::seconds(300 + i64::try_from(rng.next(1500)).unwrap()));
            // Some leave without submitting: the server submits at the deadline.
            if rng.next(8) == 0 {
                clock.advance(Duration::minutes(31));
                e.sweep().await.unwrap();
            } else {
                e.submit(claims, a.id, Some(250 + i64::try_from(rng.next(150)).unwrap())).await.unwrap();
            }
            clock.advance(Duration::seconds(7));
        }
    }
    // The round closes at 23:59 on 20/11/2024; the sweep freezes the real figure.
    clock.set(Utc.with_ymd_and_hms(2024, 11, 21, 0, 0, 0).unwrap());
    e.sweep().await.unwrap();
    let results = e.round_results(&slug, 1).await.unwrap();

    // The independent computation, from the stored rows.
    let mut attempts = Vec::new();
    for pid in &people {
        for a in e.store().attempts_of(*pid).await.unwrap() {
            let keys = keys_of(&e, &a.draw).await;
            let correct = a.draw.iter().enumerate().filter(|(i, d)| a.answers.get(*i) == Some(keys[&d.question_id]));
            let correct = u32::try_from(correct.count()).unwrap();
            assert_eq!(a.correct, Some(correct), "stored score of attempt {}", a.id);
            let submitted = a.submitted_at.unwrap();
            let taken = (submitted - a.started_at).num_milliseconds().min(30 * 60_000);
            attempts.push((a.participant_id, a.id, correct, a.prediction, taken, submitted.timestamp_millis()));
        }
    }
    let real = i64::try_from(attempts.len()).unwrap(); // seed 001 predicts the number of attempts ("lượt")
    assert_eq!(results.real_figure, Some(real));
    let key = |&(_, id, correct, prediction, taken, at): &Row| {
        (u32::MAX - correct, prediction.map_or(u64::MAX, |p| p.abs_diff(real)), taken, at, id)
    };
    let mut best: HashMap<i64, Row> = HashMap::new();
    for a in &attempts {
        let e = best.entry(a.0).or_insert(*a);
        if key(a) < key(e) {
            *e = *a;
        }
    }
    let mut order: Vec<_> = best.values().copied().collect();
    order.sort_by_key(key);
    let tiers = [("Giải Nhất", 1), ("Giải Nhì", 2), ("Giải Ba", 3), ("Giải Khuyến khích", 5)];
    let expected: Vec<(i64, &str)> = tiers
        .iter()
        .flat_map(|(name, n)| std::iter::repeat_n(*name, *n))
        .zip(order.iter())
        .map(|(name, a)| (a.0, name))
        .collect();
    let got: Vec<(i64, &str)> = results.awards.iter().map(|a| (a.participant_id, a.prize.as_str())).collect();
    assert_eq!(got, expected);
    assert_eq!(results.standings.len(), PEOPLE as usize);
    assert!(attempts.len() > PEOPLE as usize);
}
