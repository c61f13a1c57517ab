//! Counting the live statistics from the queue of starts and submissions (`stat_pending`): the
//! counters kept batch by batch, between new starts and submissions, equal a full recount from the
//! attempts; a reset counts everything again to the same figures; and migration 0013 turns the
//! old marks on attempts (`attempts.counted`) into the queue without losing or repeating a count.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use cuocthi_domain::contest::ContestDef;
use cuocthi_domain::draw::{DrawnQuestion, SplitMix64};
use cuocthi_domain::identity::Identity;
use cuocthi_domain::stats::Measures;
use cuocthi_store::{AttemptRow, ConsoleStore, NewAttempt, Scorer, SqlStore, StartOutcome, Store};
use cuocthi_testkit::{TestDb, on_both_backends};
use sqlx::Connection;

on_both_backends!(
    counting_in_small_batches_between_writes_equals_a_recount,
    random_mixes_count_to_the_recount,
    migration_queues_what_the_marks_left_uncounted,
);

const QUESTIONS: usize = 4;

/// (round, dimension, bucket) → figures, zero counters left out.
type Counters = BTreeMap<(i64, String, String), Measures>;

/// A contest `slug` of several rounds (those of example 000 and two more), its id and round ids.
async fn contest(store: &SqlStore, slug: &str) -> (i64, Vec<i64>) {
    let mut source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml")
        .replace("slug = \"tim-hieu-chuyen-doi-so-quang-ninh-2024\"", &format!("slug = \"{slug}\""));
    for (n, (opens, closes)) in [("01/11/2024", "20/11/2024"), ("01/12/2024", "20/12/2024")].into_iter().enumerate() {
        source.push_str(&format!(
            "\n[[rounds]]\nname = \"Đợt {}\"\nopens = \"00:00 {opens}\"\ncloses = \"23:59 {closes}\"\n\
             questions_per_attempt = 20\ntime_limit_minutes = 30\nattempts_per_person = 3\n\
             tiebreak = {{ prompt = \"Bao nhiêu lượt thi?\", predicts = \"attempts\" }}\n",
            n + 2
        ));
    }
    let spec = ContestDef::from_toml(&source).expect("reads").validate().expect("validates");
    let contest = store.insert_contest(&spec, Utc::now()).await.expect("contest");
    let rounds = store.contest_by_id(contest).await.expect("read").expect("the contest").rounds;
    assert!(rounds.len() >= 3, "several rounds");
    (contest, rounds.iter().map(|r| r.id).collect())
}

/// `n` people spread over three units, two localities and two groups (some with none).
async fn people(store: &SqlStore, contest: i64, n: u32) -> Vec<i64> {
    let mut out = Vec::new();
    for i in 0..n {
        let who = Identity {
            full_name: Some(format!("Người thi {i}")),
            unit: (i % 4 != 3).then(|| format!("DV-{}", i % 3)),
            locality: (i % 5 != 4).then(|| format!("XA-{}", i % 2)),
            group: Some(["cbcc", "hssv"][(i % 2) as usize].to_string()),
            ..Identity::default()
        };
        let p = store
            .insert_participant(contest, &format!("0220900{i:05}"), &who, true, None, Utc::now())
            .await
            .expect("a participant");
        out.push(p.id);
    }
    out
}

/// Scores an attempt from its id: every answer right for about one in four.
fn scorer() -> Scorer {
    Arc::new(|row: &AttemptRow| {
        // 0 to 4 right of QUESTIONS (4).
        let correct = u32::try_from(row.id.rem_euclid(5)).expect("small");
        (correct, 1000 + row.id)
    })
}

/// The stored counters of every round and of the contest.
async fn kept(store: &SqlStore, contest: i64, rounds: &[i64]) -> Counters {
    let mut out = Counters::new();
    for &r in rounds {
        for row in store.counters(contest, Some(r)).await.expect("counters") {
            let m = row.measures();
            if m != Measures::default() {
                out.insert((row.round_id, row.dim, row.bucket), m);
            }
        }
    }
    out
}

/// What a recount from every attempt gives.
async fn recounted(store: &SqlStore, contest: i64) -> Counters {
    store
        .recount(contest)
        .await
        .expect("recount")
        .into_iter()
        .map(|(k, m)| ((k.round_id, k.dim.to_string(), k.key), m))
        .filter(|(_, m)| *m != Measures::default())
        .collect()
}

/// Counts the whole queue; returns the attempts taken off it.
async fn count_all(store: &SqlStore) -> usize {
    let mut total = 0;
    loop {
        let n = store.count_attempts(1000).await.expect("counting");
        total += n;
        if n < 1000 {
            return total;
        }
    }
}

/// The people's attempts as they go: starts (up to three per person and round, at times spread
/// over days and hours in Vietnam's time) and submissions, driven by `rng`, with counting in
/// batches of 1 to 7 attempts interleaved.
struct Mix<'a> {
    store: &'a SqlStore,
    rounds: Vec<i64>,
    people: Vec<i64>,
    open: Vec<i64>,
    rng: SplitMix64,
    at: DateTime<Utc>,
}

impl Mix<'_> {
    async fn step(&mut self) {
        self.at += Duration::minutes(i64::try_from(self.rng.below(400)).expect("small"));
        match self.rng.below(5) {
            0..=2 => {
                let person = self.people[self.rng.index_below(self.people.len())];
                let round = self.rounds[self.rng.index_below(self.rounds.len())];
                let new = NewAttempt {
                    round_id: round,
                    participant_id: person,
                    allowed: 3,
                    seed: self.rng.next_u64(),
                    draw: (1..)
                        .take(QUESTIONS)
                        .map(|q| DrawnQuestion { question_id: q, order: vec![0, 1, 2, 3] })
                        .collect(),
                    started_at: self.at,
                    deadline_at: self.at + Duration::minutes(30),
                    client_tag: None,
                    device_tag: None,
                };
                if let StartOutcome::Started(a) = self.store.start_attempt(&new).await.expect("a start") {
                    self.open.push(a.id);
                }
            }
            _ if !self.open.is_empty() => {
                let id = self.open.swap_remove(self.rng.index_below(self.open.len()));
                let closed = self.store.submit_attempt(id, self.at, false, scorer()).await.expect("a submission");
                assert!(closed.is_some(), "attempt {id} was open");
            }
            _ => {}
        }
        if self.rng.below(3) == 0 {
            let limit = 1 + i64::try_from(self.rng.below(7)).expect("small");
            let n = self.store.count_attempts(limit).await.expect("a batch");
            assert!(i64::try_from(n).expect("small") <= limit, "{n} > {limit}");
        }
    }
}

/// 40 people, three rounds, up to three attempts each per round: 400 starts and submissions with
/// counting in batches of 1 to 7 between them. After each stretch, once the queue is counted, the
/// counters equal a full recount; a reset counts everything again to the same figures.
async fn counting_in_small_batches_between_writes_equals_a_recount(db: TestDb) {
    let store = db.store().await;
    let (contest, rounds) = contest(&store, "thong-ke-tung-lo").await;
    let people = people(&store, contest, 40).await;
    let at = Utc.with_ymd_and_hms(2024, 10, 10, 1, 0, 0).single().expect("a time");
    let mut mix = Mix { store: &store, rounds: rounds.clone(), people, open: Vec::new(), rng: SplitMix64::new(16), at };
    for stretch in 0..4 {
        for _ in 0..100 {
            mix.step().await;
        }
        count_all(&store).await;
        let counters = kept(&store, contest, &rounds).await;
        assert_eq!(counters, recounted(&store, contest).await, "stretch {stretch}: counters = recount");
    }
    let counters = kept(&store, contest, &rounds).await;
    let all = |round: i64| counters.get(&(round, "all".to_string(), String::new())).copied().unwrap_or_default();
    let c = all(0);
    assert!(c.attempts > 100 && c.completed > 50 && c.full_scores > 5, "a real mix: {c:?}");
    assert!(c.people < c.attempts, "people with several attempts: {c:?}");
    for &r in &rounds {
        let m = all(r);
        assert!(m.finishers < m.completed && m.full_score_people <= m.full_scores, "round {r}: {m:?}");
        assert!(m.people <= c.people);
    }
    assert_eq!(count_all(&store).await, 0, "nothing left in the queue");

    // A reset queues every start and submission again: the same figures.
    store.reset_counters(contest).await.expect("reset");
    assert!(kept(&store, contest, &rounds).await.is_empty(), "the counters are dropped");
    assert_eq!(count_all(&store).await, usize::try_from(c.attempts).expect("positive"), "each attempt once");
    assert_eq!(kept(&store, contest, &rounds).await, counters, "after a reset");
}

/// Property-style: ten random mixes (seeds), each counted in random small batches, equal their
/// recount; the open attempts left are counted as started only.
async fn random_mixes_count_to_the_recount(db: TestDb) {
    let store = db.store().await;
    for seed in 0..10u64 {
        let (contest, rounds) = contest(&store, &format!("thong-ke-{seed}")).await;
        let people = people(&store, contest, 6).await;
        let at = Utc.with_ymd_and_hms(2024, 10, 10, 1, 0, 0).single().expect("a time");
        let mut mix =
            Mix { store: &store, rounds: rounds.clone(), people, open: Vec::new(), rng: SplitMix64::new(seed), at };
        for _ in 0..40 {
            mix.step().await;
        }
        count_all(&store).await;
        assert_eq!(kept(&store, contest, &rounds).await, recounted(&store, contest).await, "seed {seed}");
    }
}

/// A database with attempts counted under the old marks (0 nothing, 1 the start, 2 both) is
/// migrated: what each mark left uncounted is queued, and counting then gives the recount.
async fn migration_queues_what_the_marks_left_uncounted(db: TestDb) {
    let folder = if db.is_postgres() { "migrations/postgres" } else { "migrations/sqlite" };
    let mut before = sqlx::migrate::Migrator::new(Path::new(folder)).await.expect("the migrations");
    before.migrations = before.migrations.iter().filter(|m| m.version < 13).cloned().collect::<Vec<_>>().into();
    if db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        before.run(&mut c).await.expect("migrations up to 0012");
    } else {
        let mut c = sqlx::SqliteConnection::connect(&format!("{}?mode=rwc", db.url)).await.expect("connect");
        before.run(&mut c).await.expect("migrations up to 0012");
    }
    let store = SqlStore::connect(&db.url).await.expect("connect");
    let (contest, rounds) = contest(&store, "thong-ke-chuyen-doi").await;
    let people = people(&store, contest, 4).await;
    // (person, round, seq, submitted, correct, the old mark). Ids are 1, 2, … in a fresh database.
    let attempts: [(usize, usize, i64, bool, i64, i64); 7] = [
        (0, 0, 1, true, 4, 2),
        (0, 0, 2, true, 4, 1),
        (0, 1, 1, false, 0, 1),
        (1, 0, 1, true, 2, 0),
        (1, 0, 2, false, 0, 0),
        (2, 2, 1, true, 4, 2),
        (3, 1, 1, true, 3, 1),
    ];
    let at = Utc.with_ymd_and_hms(2024, 10, 12, 3, 0, 0).single().expect("a time").timestamp_millis();
    let insert = "INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, status, started_at, deadline_at, submitted_at, correct, counted)
                  VALUES ($1, $2, $3, 1, '[]', 4, '....', $4, $5, $6, $7, $8, $9)";
    let mut want = Vec::new();
    for (i, &(p, r, seq, submitted, correct, mark)) in attempts.iter().enumerate() {
        let id = i64::try_from(i).expect("small") + 1;
        let start = at + id * 3_600_000;
        macro_rules! insert_on {
            ($conn:ty) => {
                sqlx::query(insert)
                    .bind(rounds[r])
                    .bind(people[p])
                    .bind(seq)
                    .bind(if submitted { "submitted" } else { "open" })
                    .bind(start)
                    .bind(start + 1_800_000)
                    .bind(submitted.then_some(start + 600_000))
                    .bind(submitted.then_some(correct))
                    .bind(mark)
                    .execute(&mut <$conn>::connect(&db.url).await.expect("connect"))
                    .await
                    .expect("an old attempt")
            };
        }
        if db.is_postgres() {
            insert_on!(sqlx::PgConnection);
        } else {
            insert_on!(sqlx::SqliteConnection);
        }
        if mark == 0 {
            want.push((id, 1));
        }
        if submitted && mark < 2 {
            want.push((id, 2));
        }
    }
    store.migrate().await.expect("migration 0013 on a database with attempts");
    let sql = "SELECT attempt_id, kind FROM stat_pending ORDER BY attempt_id, kind";
    let queued: Vec<(i64, i64)> = if db.is_postgres() {
        let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_as(sql).fetch_all(&mut c).await.expect("the queue")
    } else {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.expect("connect");
        sqlx::query_as(sql).fetch_all(&mut c).await.expect("the queue")
    };
    assert_eq!(queued, want, "the starts of marks 0 and the submissions of marks 0 and 1");
    assert_eq!(want.len(), 5);
    assert_eq!(count_all(&store).await, 4, "four attempts with something left to count");
    // Counting everything from nothing equals the recount: a reset queues it all.
    store.reset_counters(contest).await.expect("reset");
    assert_eq!(count_all(&store).await, attempts.len());
    let full = recounted(&store, contest).await;
    assert_eq!(kept(&store, contest, &rounds).await, full, "counted = recount after the migration");
    let m = full.get(&(0, "all".to_string(), String::new())).copied().unwrap_or_default();
    assert_eq!((m.people, m.attempts, m.completed, m.full_scores), (4, 7, 5, 3), "{m:?}");
}
