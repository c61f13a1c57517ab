//! The scenarios: how many participants do what, when. Each has a preparation phase (not
//! measured: registering the people a herd, a flood or a steady state needs beforehand) and a
//! measured phase, both bounded by the run's time limit.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use hyper::{Method, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinSet;

use crate::http::Reply;
use crate::http::own::{OWN, OnConnect, OwnConnection, Signal, Sources};
use crate::play::{Ctx, Phase, Saved, Started, random_choice};
use crate::stats::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Closed loop at maximum throughput: `--concurrency` users, each playing participant after
    /// participant (register, start, answers, prediction, submit, result).
    Full,
    /// `--users` registered beforehand all start within `--spread-seconds`, then finish.
    Herd,
    /// `--users` with open attempts and saved answers all submit within `--spread-seconds`.
    Flood,
    /// `--users` takers in the middle of their attempts, 30–90 s between answers, for `--duration`.
    Steady,
    /// Answer saves only, closed loop: `--concurrency` users over `--users` open attempts.
    Save,
    /// `GET /livez` in a closed loop: the no-op ceiling of the server and this client.
    Ceiling,
    /// `--users` takers, each on its own TCP connection, starting over `--spread-seconds`
    /// (default 60), 30–90 s between answers, sometimes losing the connection, for `--duration`.
    Connections,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Full => "full",
            Scenario::Herd => "herd",
            Scenario::Flood => "flood",
            Scenario::Steady => "steady",
            Scenario::Save => "save",
            Scenario::Ceiling => "ceiling",
            Scenario::Connections => "connections",
        }
    }
}

/// What a scenario is told.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario: Scenario,
    pub concurrency: usize,
    pub users: usize,
    pub attempts: u64,
    pub attempts_per_person: u32,
    pub spread: Duration,
    pub prep_concurrency: usize,
    pub seed: u64,
    /// When in-flight requests are given up after a phase stops.
    pub drain: Duration,
    /// The index of this process's first user among the run's (`connections` over several
    /// processes): users draw their random streams by their index in the whole run.
    pub first_user: usize,
    /// Where and how the `connections` scenario connects.
    pub own: Option<OwnPlan>,
}

/// The `connections` scenario's sockets: the server, the source addresses, the lost signals.
#[derive(Clone, Debug)]
pub struct OwnPlan {
    pub target: SocketAddr,
    pub authority: Arc<str>,
    pub sources: Sources,
    pub signal: Signal,
}

/// A user's own random stream: runs with the same `--seed` make the same choices.
pub fn rng_for(seed: u64, i: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Waits for a phase's tasks; those still running `drain` after the phase stopped are aborted
/// (their requests have each their own timeout, so this only fires if something hangs).
async fn drain(mut set: JoinSet<()>, ph: &Phase, drain: Duration) {
    let stop = ph.stop.clone();
    loop {
        tokio::select! {
            next = set.join_next() => if next.is_none() { return },
            _ = stop.sleep(Duration::from_secs(3600)) => break,
        }
    }
    // Stopped: give the requests in flight their time, then abort.
    let _ = tokio::time::timeout(drain, async { while set.join_next().await.is_some() {} }).await;
    set.abort_all();
    while set.join_next().await.is_some() {}
}

/// Runs `f(i)` for every `i < n`, `conc` at a time, until done or the phase stops.
async fn pool<F, Fut>(n: usize, conc: usize, ph: &Arc<Phase>, grace: Duration, f: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let f = Arc::new(f);
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..conc.clamp(1, n.max(1)) {
        let (f, next, ph) = (f.clone(), next.clone(), ph.clone());
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || ph.stop.stopped() {
                    break;
                }
                f(i).await;
            }
        });
    }
    drain(set, ph, grace).await;
}

/// A participant ready for the measured phase.
#[derive(Clone)]
pub struct Ready {
    pub token: String,
    pub attempt: Option<Started>,
}

/// Registers `plan.users` people; with `start`, opens an attempt for each; with `answer`, saves
/// every answer and the prediction too (a flood's takers have done everything but submit).
pub async fn prepare(ctx: &Arc<Ctx>, prep: &Arc<Phase>, plan: &Plan, start: bool, answer: bool) -> Vec<Ready> {
    let slots: Arc<Mutex<Vec<Option<Ready>>>> = Arc::new(Mutex::new(vec![None; plan.users]));
    let (c, p, s, seed) = (ctx.clone(), prep.clone(), slots.clone(), plan.seed);
    pool(plan.users, plan.prep_concurrency, prep, plan.drain, move |i| {
        let (c, p, s) = (c.clone(), p.clone(), s.clone());
        async move {
            let mut rng = rng_for(seed ^ 0x5EED, i);
            let Some(token) = c.register(&p).await else { return };
            let mut attempt = None;
            if start {
                let Some(a) = c.start(&p, &token, Instant::now()).await else { return };
                if answer {
                    if c.answer(&p, &mut rng, &token, &a, 0, a.options.len()).await != Some(a.options.len()) {
                        return;
                    }
                    c.prediction(&p, &token, a.id, rng.random_range(1_000..1_000_000)).await;
                }
                attempt = Some(a);
            }
            if let Ok(mut g) = s.lock() {
                g[i] = Some(Ready { token, attempt });
            }
        }
    })
    .await;
    let ready = slots.lock().map(|mut g| std::mem::take(&mut *g)).unwrap_or_default();
    ready.into_iter().flatten().collect()
}

/// The measured phase of a scenario. Returns how many users took part in it.
pub async fn run(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan, ready: Vec<Ready>) -> usize {
    match plan.scenario {
        Scenario::Full => full(ctx, ph, plan).await,
        Scenario::Herd => herd(ctx, ph, plan, ready).await,
        Scenario::Flood => flood(ctx, ph, plan, ready).await,
        Scenario::Steady => steady(ctx, ph, plan, ready).await,
        Scenario::Save => save(ctx, ph, plan, ready).await,
        Scenario::Ceiling => ceiling(ctx, ph, plan).await,
        Scenario::Connections => connections(ctx, ph, plan, ready).await,
    }
}

async fn full(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan) -> usize {
    let per = u64::from(plan.attempts_per_person.max(1));
    let people = plan.attempts.div_ceil(per);
    let claimed = Arc::new(AtomicU64::new(0));
    let mut set = JoinSet::new();
    for u in 0..plan.concurrency {
        let (c, p, claimed, seed) = (ctx.clone(), ph.clone(), claimed.clone(), plan.seed);
        set.spawn(async move {
            let mut rng = rng_for(seed, u);
            while !p.stop.stopped() && claimed.fetch_add(1, Ordering::Relaxed) < people {
                let Some(token) = c.register(&p).await else {
                    // The server refuses or is gone: do not spin on it.
                    p.stop.sleep(Duration::from_millis(50)).await;
                    continue;
                };
                for _ in 0..per {
                    if !c.play(&p, &mut rng, &token).await {
                        break;
                    }
                }
            }
        });
    }
    drain(set, ph, plan.drain).await;
    plan.concurrency
}

/// Instants spread evenly over `spread` from `t0`, jittered within each slot.
fn schedule(t0: Instant, spread: Duration, i: usize, n: usize, rng: &mut StdRng) -> Instant {
    let slot = (i as f64 + rng.random_range(0.0..1.0)) / n.max(1) as f64;
    t0 + spread.mul_f64(slot)
}

async fn herd(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan, ready: Vec<Ready>) -> usize {
    let n = ready.len();
    let t0 = Instant::now();
    let mut set = JoinSet::new();
    for (i, r) in ready.into_iter().enumerate() {
        let (c, p, seed, spread) = (ctx.clone(), ph.clone(), plan.seed, plan.spread);
        set.spawn(async move {
            let mut rng = rng_for(seed, i);
            let at = schedule(t0, spread, i, n, &mut rng);
            if !p.stop.sleep_until(at).await {
                return;
            }
            // The latency of a start counts from the instant it was due, not when a connection
            // was free: under overload the queue is part of what a participant waits.
            let Some(a) = c.start(&p, &r.token, at).await else { return };
            if c.answer(&p, &mut rng, &r.token, &a, 0, a.options.len()).await == Some(a.options.len()) {
                c.finish(&p, &mut rng, &r.token, &a).await;
            }
        });
    }
    drain(set, ph, plan.drain).await;
    n
}

async fn flood(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan, ready: Vec<Ready>) -> usize {
    let ready: Vec<(String, Started)> = ready.into_iter().filter_map(|r| Some((r.token, r.attempt?))).collect();
    let n = ready.len();
    let t0 = Instant::now();
    let mut set = JoinSet::new();
    for (i, (token, a)) in ready.into_iter().enumerate() {
        let (c, p, seed, spread) = (ctx.clone(), ph.clone(), plan.seed, plan.spread);
        set.spawn(async move {
            let mut rng = rng_for(seed, i);
            let at = schedule(t0, spread, i, n, &mut rng);
            if !p.stop.sleep_until(at).await {
                return;
            }
            if let Some(correct) = c.submit(&p, &token, a.id, at).await
                && !p.stop.stopped()
            {
                c.result(&p, &token, a.id, correct).await;
            }
        });
    }
    drain(set, ph, plan.drain).await;
    n
}

async fn steady(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan, ready: Vec<Ready>) -> usize {
    let n = ready.len();
    let mut set = JoinSet::new();
    for (i, r) in ready.into_iter().enumerate() {
        let (c, p, seed, per) = (ctx.clone(), ph.clone(), plan.seed, plan.attempts_per_person.max(1));
        set.spawn(async move {
            let mut rng = rng_for(seed, i);
            let Some(mut a) = r.attempt else { return };
            // Already in the middle of an attempt: the next answer comes after the residual of
            // a think time, not a whole one.
            if !p.stop.sleep(c.think.residual(&mut rng)).await {
                return;
            }
            let mut pos = 0;
            let mut taken = 1;
            loop {
                if p.stop.stopped() {
                    return;
                }
                if pos < a.options.len() {
                    let choice = random_choice(&mut rng, a.options[pos]);
                    if let Saved::Refused { closed: true } = c.save(&p, &r.token, a.id, pos, choice).await {
                        return;
                    }
                    pos += 1;
                } else {
                    if !c.finish(&p, &mut rng, &r.token, &a).await || taken >= per {
                        return;
                    }
                    let Some(next) = c.start(&p, &r.token, Instant::now()).await else { return };
                    (a, pos, taken) = (next, 0, taken + 1);
                }
                if !p.stop.sleep(c.think.sample(&mut rng)).await {
                    return;
                }
            }
        });
    }
    drain(set, ph, plan.drain).await;
    n
}

async fn save(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan, ready: Vec<Ready>) -> usize {
    let attempts: Vec<(String, Started)> = ready.into_iter().filter_map(|r| Some((r.token, r.attempt?))).collect();
    let attempts = Arc::new(attempts);
    let users = plan.concurrency.min(attempts.len());
    let mut set = JoinSet::new();
    for u in 0..users {
        let (c, p, seed, all) = (ctx.clone(), ph.clone(), plan.seed, attempts.clone());
        set.spawn(async move {
            let mut rng = rng_for(seed, u);
            // Each attempt belongs to one user, so its saves are in order and the ledger's "last
            // acknowledged" is the one the store must hold.
            let mut mine: Vec<usize> = (u..all.len()).step_by(users).collect();
            let mut k = 0;
            while !mine.is_empty() && !p.stop.stopped() {
                k = (k + 1) % mine.len();
                let (token, a) = &all[mine[k]];
                let pos = rng.random_range(0..a.options.len().max(1));
                let choice = random_choice(&mut rng, a.options.get(pos).copied().unwrap_or(1));
                if let Saved::Refused { closed: true } = c.save(&p, token, a.id, pos, choice).await {
                    mine.swap_remove(k);
                }
            }
        });
    }
    drain(set, ph, plan.drain).await;
    users
}

async fn ceiling(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan) -> usize {
    let mut set = JoinSet::new();
    for _ in 0..plan.concurrency {
        let (c, p) = (ctx.clone(), ph.clone());
        set.spawn(async move {
            while !p.stop.stopped() {
                let since = Instant::now();
                let reply = c.api.call(Method::GET, "/livez", None, None).await;
                match &reply {
                    Reply::Answered { status, .. } if *status == StatusCode::OK => p.rec.ok(Kind::Livez, since),
                    _ => {
                        p.rec.error(Kind::Livez, since, &reply.describe(), matches!(reply, Reply::Answered { .. }));
                        p.stop.sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        });
    }
    drain(set, ph, plan.drain).await;
    plan.concurrency
}

/// Each taker opens its own connection at its instant in the ramp and keeps it for its attempt.
async fn connections(ctx: &Arc<Ctx>, ph: &Arc<Phase>, plan: &Plan, ready: Vec<Ready>) -> usize {
    let Some(own) = plan.own.clone() else { return 0 };
    let n = ready.len();
    let t0 = Instant::now();
    let mut set = JoinSet::new();
    for (i, r) in ready.into_iter().enumerate() {
        let (c, p, seed, spread, own) = (ctx.clone(), ph.clone(), plan.seed, plan.spread, own.clone());
        let user = plan.first_user + i;
        set.spawn(async move {
            let mut rng = rng_for(seed, user);
            let at = schedule(t0, spread, i, n, &mut rng);
            if !p.stop.sleep_until(at).await {
                return;
            }
            let timed = p.clone();
            let on_connect: OnConnect = Arc::new(move |began| timed.rec.ok(Kind::Connect, began));
            let conn =
                OwnConnection::new(own.target, own.authority, own.sources, user, c.connections.clone(), on_connect);
            let conn = Arc::new(tokio::sync::Mutex::new(conn));
            OWN.scope(conn.clone(), take_on_own_connection(&c, &p, &mut rng, &r.token, at, &conn, own.signal)).await;
        });
    }
    drain(set, ph, plan.drain).await;
    n
}

/// One taker's attempt on its own connection: opened at the start (timed from `at`, the start's
/// due instant, so a slow connect counts), answers with think time, lost now and then.
async fn take_on_own_connection(
    c: &Ctx,
    p: &Phase,
    rng: &mut StdRng,
    token: &str,
    at: Instant,
    conn: &tokio::sync::Mutex<OwnConnection>,
    signal: Signal,
) {
    let _taking = c.connections.taker();
    if let Err(why) = conn.lock().await.open().await {
        p.rec.error(Kind::Start, at, &format!("transport {why}"), false);
        return;
    }
    let Some(a) = c.start(p, token, at).await else { return };
    for pos in 0..a.options.len() {
        let step = signal.next(rng);
        if step.lose_signal {
            conn.lock().await.lose_signal();
        }
        if !p.stop.sleep(step.pause).await {
            return;
        }
        let choice = random_choice(rng, a.options[pos]);
        if let Saved::Refused { closed: true } = c.save(p, token, a.id, pos, choice).await {
            return;
        }
    }
    c.finish(p, rng, token, &a).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_cover_the_spread_in_order() {
        let t0 = Instant::now();
        let spread = Duration::from_secs(10);
        let mut rng = rng_for(1, 0);
        let times: Vec<Instant> = (0..100).map(|i| schedule(t0, spread, i, 100, &mut rng)).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times[0] < t0 + Duration::from_millis(100));
        assert!(times[99] >= t0 + Duration::from_millis(9900) && times[99] <= t0 + spread);
    }
}
