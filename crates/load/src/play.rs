//! What a participant does, one request at a time, with every acknowledgement written to the
//! ledger and every latency to the phase's recorder.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hyper::{Method, StatusCode};
use rand::Rng;
use rand::rngs::StdRng;
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::sync::watch;

use crate::http::{Api, Reply};
use crate::ledger::Ledger;
use crate::people;
use crate::stats::{Kind, Recorder};

pub use crate::think::Think;

/// Tells every virtual user of a phase when to stop: at the phase's end, the run's time limit,
/// or Ctrl-C. Users check it before each request and wake from think time when it fires.
#[derive(Clone)]
pub struct Stop(watch::Receiver<bool>);

/// Set by Ctrl-C: a phase that begins after it stops at once (the run goes on to its report).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Wakes the phases when [`interrupt`] is called.
static INTERRUPT: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Stops every phase as Ctrl-C does: a generator process whose parent is gone (its stdin closed)
/// must not go on loading the server until its own time limit.
pub fn interrupt(why: &str) {
    if !INTERRUPTED.swap(true, Ordering::Relaxed) {
        eprintln!("interrupted: {why}; stopping, finishing requests in flight");
    }
    INTERRUPT.notify_waiters();
}

impl Stop {
    pub fn at(deadline: Instant) -> Stop {
        let (tx, rx) = watch::channel(INTERRUPTED.load(Ordering::Relaxed));
        // Registered before the flag is read again, so an interrupt in between is not lost.
        let mut interrupted = Box::pin(INTERRUPT.notified());
        interrupted.as_mut().enable();
        let already = INTERRUPTED.load(Ordering::Relaxed);
        tokio::spawn(async move {
            tokio::select! {
                _ = async {}, if already => {}
                _ = interrupted => {}
                _ = tokio::time::sleep_until(deadline.into()) => {}
                _ = tokio::signal::ctrl_c() => {
                    if !INTERRUPTED.swap(true, Ordering::Relaxed) {
                        eprintln!("interrupted: stopping, finishing requests in flight");
                    }
                }
                _ = tx.closed() => {}
            }
            let _ = tx.send(true);
        });
        Stop(rx)
    }

    pub fn stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Sleeps `d`; false if the phase stopped meanwhile.
    pub async fn sleep(&self, d: Duration) -> bool {
        if d.is_zero() {
            return !self.stopped();
        }
        let mut rx = self.0.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.stopped(),
            _ = rx.wait_for(|s| *s) => false,
        }
    }

    pub async fn sleep_until(&self, t: Instant) -> bool {
        self.sleep(t.saturating_duration_since(Instant::now())).await
    }
}

/// One phase of a run (preparation, or the measured part): where latencies go, when it stops.
pub struct Phase {
    pub rec: Recorder,
    pub stop: Stop,
    /// Attempts submitted and acknowledged in this phase.
    pub attempts: AtomicU64,
    /// Registrations answered "recognised" (200) instead of "registered" (201): the person was
    /// already in the database, from an earlier run with the same `--id-start`.
    pub recognised: AtomicU64,
}

impl Phase {
    pub fn new(stop: Stop, rec: Recorder) -> Phase {
        Phase { rec, stop, attempts: AtomicU64::new(0), recognised: AtomicU64::new(0) }
    }
}

/// What every virtual user shares.
pub struct Ctx {
    pub api: Api,
    pub slug: String,
    pub round_id: i64,
    pub ledger: Ledger,
    pub think: Think,
    /// The index of the next synthetic person.
    pub next_person: AtomicU64,
    /// Times a save, prediction or submission that got no answer at all (refused, reset, closed,
    /// timeout: the server is down or restarting) is sent again, after a pause, while the phase
    /// goes on. 0: the participant moves on at once. Each failed try is counted as an error; a
    /// save of unknown outcome is remembered as uncertain whether or not a later try is answered.
    pub retries: u32,
    /// Connections opened, lost and reopened (the `connections` scenario; zeros otherwise).
    pub connections: std::sync::Arc<crate::http::own::ConnStats>,
}

/// The pause before try `n + 1` of a request that got no answer: 100 ms, doubling, at most 1.6 s.
/// A random option among `options` (at least one), as the one-byte index the API takes; a question
/// has at most a handful of options, so the index always fits.
pub fn random_choice(rng: &mut impl Rng, options: usize) -> u8 {
    let n = u8::try_from(options.clamp(1, usize::from(u8::MAX))).unwrap_or(u8::MAX);
    rng.random_range(0..n)
}

pub fn backoff(n: u32) -> Duration {
    Duration::from_millis(100 << n.min(4))
}

/// A started attempt: its id and the number of options each question shows.
#[derive(Clone, Debug)]
pub struct Started {
    pub id: i64,
    pub options: Vec<usize>,
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize)]
struct AttemptBody {
    id: i64,
    questions: Vec<QuestionBody>,
}

#[derive(Deserialize)]
struct QuestionBody {
    position: usize,
    options: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct ResultBody {
    correct: u32,
}

/// How a save ended, for the caller to go on or give the attempt up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    Acked,
    /// Refused by the server (4xx): not stored. 409 means the attempt is closed.
    Refused {
        closed: bool,
    },
    /// No answer or a 5xx: may or may not be stored.
    Unknown,
}

/// Records a failed request and says whether the server answered at all.
fn fail(ph: &Phase, kind: Kind, since: Instant, reply: &Reply) {
    ph.rec.error(kind, since, &reply.describe(), matches!(reply, Reply::Answered { .. }));
}

/// Parses a success body; a body the generator cannot read is counted as an error of its kind.
fn parse<T: for<'a> Deserialize<'a>>(ph: &Phase, kind: Kind, since: Instant, body: &[u8]) -> Option<T> {
    match serde_json::from_slice(body) {
        Ok(v) => Some(v),
        Err(_) => {
            ph.rec.error(kind, since, "unreadable body", true);
            None
        }
    }
}

impl Ctx {
    /// The round to play: the first open round of the contest.
    pub async fn discover_round(api: &Api, slug: &str) -> Result<i64> {
        let reply = api.call(Method::GET, &format!("/api/v1/contests/{slug}"), None, None).await;
        let Reply::Answered { status, body } = &reply else {
            bail!("GET /api/v1/contests/{slug}: {}", reply.describe())
        };
        if *status != StatusCode::OK {
            bail!("GET /api/v1/contests/{slug}: {} (is the server started with --demo?)", reply.describe());
        }
        let v: serde_json::Value = serde_json::from_slice(body).context("contest view is not JSON")?;
        let rounds = v.get("rounds").and_then(|r| r.as_array()).context("contest view has no rounds")?;
        rounds
            .iter()
            .find(|r| r.get("phase").and_then(|p| p.as_str()) == Some("open"))
            .and_then(|r| r.get("id")?.as_i64())
            .with_context(|| format!("contest {slug} has no open round"))
    }

    /// Registers the next synthetic person; returns the bearer token.
    pub async fn register(&self, ph: &Phase) -> Option<String> {
        let n = self.next_person.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::to_string(&people::person(n)).ok()?;
        let since = Instant::now();
        let reply = self
            .api
            .call(Method::POST, &format!("/api/v1/contests/{}/participants", self.slug), None, Some(body))
            .await;
        match &reply {
            Reply::Answered { status, body } if *status == StatusCode::CREATED || *status == StatusCode::OK => {
                if *status == StatusCode::OK {
                    ph.recognised.fetch_add(1, Ordering::Relaxed);
                }
                let t: TokenBody = parse(ph, Kind::Register, since, body)?;
                ph.rec.ok(Kind::Register, since);
                Some(t.token)
            }
            _ => {
                fail(ph, Kind::Register, since, &reply);
                None
            }
        }
    }

    /// Starts (or resumes) an attempt; `since` is when the participant pressed "start".
    pub async fn start(&self, ph: &Phase, token: &str, since: Instant) -> Option<Started> {
        let reply =
            self.api.call(Method::POST, &format!("/api/v1/rounds/{}/attempts", self.round_id), Some(token), None).await;
        match &reply {
            Reply::Answered { status, body } if status.is_success() => {
                let a: AttemptBody = parse(ph, Kind::Start, since, body)?;
                ph.rec.ok(Kind::Start, since);
                let mut options = vec![0; a.questions.len()];
                for q in &a.questions {
                    if let Some(slot) = options.get_mut(q.position) {
                        *slot = q.options.len();
                    }
                }
                self.ledger.open(a.id, options.len());
                Some(Started { id: a.id, options })
            }
            _ => {
                fail(ph, Kind::Start, since, &reply);
                None
            }
        }
    }

    /// Saves answer `choice` (an index into the options as shown) at `position`.
    pub async fn save(&self, ph: &Phase, token: &str, attempt: i64, position: usize, choice: u8) -> Saved {
        let body = format!("{{\"choice\":{choice}}}");
        let path = format!("/api/v1/attempts/{attempt}/answers/{position}");
        let mut tries = 0;
        loop {
            let since = Instant::now();
            let reply = self.api.call(Method::PUT, &path, Some(token), Some(body.clone())).await;
            match &reply {
                Reply::Answered { status, .. } if *status == StatusCode::OK => {
                    ph.rec.ok(Kind::Save, since);
                    self.ledger.save_acked(attempt, position, choice);
                    return Saved::Acked;
                }
                Reply::Answered { status, .. } if status.is_client_error() => {
                    fail(ph, Kind::Save, since, &reply);
                    return Saved::Refused {
                        closed: *status == StatusCode::CONFLICT || *status == StatusCode::NOT_FOUND,
                    };
                }
                _ => {
                    fail(ph, Kind::Save, since, &reply);
                    self.ledger.save_uncertain(attempt, position, choice);
                    if !self.again(ph, &reply, &mut tries).await {
                        return Saved::Unknown;
                    }
                }
            }
        }
    }

    /// After a request that got no answer: waits and says to send it again, if retries are left
    /// and the phase goes on.
    async fn again(&self, ph: &Phase, reply: &Reply, tries: &mut u32) -> bool {
        if !matches!(reply, Reply::Failed(_)) || *tries >= self.retries {
            return false;
        }
        let pause = backoff(*tries);
        *tries += 1;
        ph.stop.sleep(pause).await
    }

    pub async fn prediction(&self, ph: &Phase, token: &str, attempt: i64, value: i64) -> bool {
        let body = format!("{{\"value\":{value}}}");
        let path = format!("/api/v1/attempts/{attempt}/prediction");
        let mut tries = 0;
        loop {
            let since = Instant::now();
            let reply = self.api.call(Method::PUT, &path, Some(token), Some(body.clone())).await;
            match &reply {
                Reply::Answered { status, .. } if status.is_success() => {
                    ph.rec.ok(Kind::Prediction, since);
                    return true;
                }
                _ => {
                    fail(ph, Kind::Prediction, since, &reply);
                    if !self.again(ph, &reply, &mut tries).await {
                        return false;
                    }
                }
            }
        }
    }

    /// Submits; returns the score the server reported. `since` is when the participant pressed
    /// "nộp bài" (a flood schedules it).
    pub async fn submit(&self, ph: &Phase, token: &str, attempt: i64, since: Instant) -> Option<u32> {
        let path = format!("/api/v1/attempts/{attempt}/submit");
        let mut tries = 0;
        let mut since = since;
        loop {
            let reply = self.api.call(Method::POST, &path, Some(token), Some("{}".into())).await;
            match &reply {
                Reply::Answered { status, body } if *status == StatusCode::OK => {
                    let r: ResultBody = parse(ph, Kind::Submit, since, body)?;
                    ph.rec.ok(Kind::Submit, since);
                    self.ledger.submit_acked(attempt, r.correct);
                    ph.attempts.fetch_add(1, Ordering::Relaxed);
                    return Some(r.correct);
                }
                _ => {
                    fail(ph, Kind::Submit, since, &reply);
                    // A retried submission may find the first one stored (409): not acknowledged.
                    if !self.again(ph, &reply, &mut tries).await {
                        return None;
                    }
                    since = Instant::now();
                }
            }
        }
    }

    /// Reads the result page and checks it shows the score the submission reported.
    pub async fn result(&self, ph: &Phase, token: &str, attempt: i64, expected: u32) -> bool {
        let since = Instant::now();
        let reply = self.api.call(Method::GET, &format!("/api/v1/attempts/{attempt}/result"), Some(token), None).await;
        match &reply {
            Reply::Answered { status, body } if *status == StatusCode::OK => {
                let Some(r) = parse::<ResultBody>(ph, Kind::Result, since, body) else { return false };
                if r.correct == expected {
                    ph.rec.ok(Kind::Result, since);
                    true
                } else {
                    ph.rec.error(Kind::Result, since, "score differs from the submission's", true);
                    false
                }
            }
            _ => {
                fail(ph, Kind::Result, since, &reply);
                false
            }
        }
    }

    /// Answers positions `from..` with think time before each, or until the phase stops. Returns
    /// the next unanswered position, or `None` if the attempt was closed under the user.
    pub async fn answer(
        &self,
        ph: &Phase,
        rng: &mut StdRng,
        token: &str,
        a: &Started,
        from: usize,
        to: usize,
    ) -> Option<usize> {
        let mut pos = from;
        while pos < to.min(a.options.len()) {
            if !ph.stop.sleep(self.think.sample(rng)).await {
                return Some(pos);
            }
            let choice = random_choice(rng, a.options[pos]);
            if let Saved::Refused { closed: true } = self.save(ph, token, a.id, pos, choice).await {
                return None;
            }
            pos += 1;
        }
        Some(pos)
    }

    /// Prediction, submission and result, unless the phase has stopped. True if submitted.
    pub async fn finish(&self, ph: &Phase, rng: &mut StdRng, token: &str, a: &Started) -> bool {
        if ph.stop.stopped() {
            return false;
        }
        self.prediction(ph, token, a.id, rng.random_range(1_000..1_000_000)).await;
        if ph.stop.stopped() {
            return false;
        }
        let Some(correct) = self.submit(ph, token, a.id, Instant::now()).await else { return false };
        if !ph.stop.stopped() {
            self.result(ph, token, a.id, correct).await;
        }
        true
    }

    /// One whole attempt: start, every answer, prediction, submission, result.
    pub async fn play(&self, ph: &Phase, rng: &mut StdRng, token: &str) -> bool {
        if ph.stop.stopped() {
            return false;
        }
        let Some(a) = self.start(ph, token, Instant::now()).await else { return false };
        match self.answer(ph, rng, token, &a, 0, usize::MAX).await {
            Some(p) if p == a.options.len() => self.finish(ph, rng, token, &a).await,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn think_times_parse() {
        assert_eq!(Think::parse("0"), Ok(Think::NONE));
        assert_eq!(Think::parse("250"), Ok(Think { min_ms: 250, max_ms: 250 }));
        assert_eq!(Think::parse("30000-90000"), Ok(Think { min_ms: 30_000, max_ms: 90_000 }));
        assert_eq!(Think::parse(" 5 - 10 "), Ok(Think { min_ms: 5, max_ms: 10 }));
        assert!(Think::parse("90-30").is_err());
        assert!(Think::parse("abc").is_err());
        assert!(Think::parse("-5").is_err());
        assert!(Think::parse("1-").is_err());
        assert!(Think::parse("0-7200000").is_err());
    }

    #[test]
    fn think_samples_stay_in_range_and_residuals_average_right() {
        let t = Think { min_ms: 30_000, max_ms: 90_000 };
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..1000 {
            let d = t.sample(&mut rng).as_millis();
            assert!((30_000..=90_000).contains(&d));
        }
        // The residual of uniform(30, 90) s has mean E[X²]/(2E[X]) = 3900/120 = 32.5 s.
        let n = 20_000;
        let mean = (0..n).map(|_| t.residual(&mut rng).as_secs_f64()).sum::<f64>() / f64::from(n);
        assert!((mean - 32.5).abs() < 1.0, "{mean}");
        assert_eq!(Think::NONE.sample(&mut rng), Duration::ZERO);
    }

    #[test]
    fn retries_back_off_and_are_bounded() {
        assert_eq!(backoff(0), Duration::from_millis(100));
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(4), Duration::from_millis(1600));
        assert_eq!(backoff(30), Duration::from_millis(1600));
    }
}
