//! `cuocthi-load`: the load generator of cuocthi.
//!
//! It plays participants through the JSON API over real HTTP on loopback, the way browsers would
//! (register → start → each answer → prediction → submit → result), measures every request, keeps
//! a ledger of every write the server acknowledged and, with `--verify-db`, checks at the end that
//! each one is in the database with the right score. Every run is bounded: a number of people and
//! `--max-seconds`, after which it stops by itself, lets requests in flight finish, and reports.
//!
//! Progress and a readable summary go to stderr; stdout gets one line, a JSON object, so that
//! `scripts/bench` (and anyone) can read the figures with `tail -n1`.

mod fleet;
mod http;
mod ledger;
mod people;
mod play;
mod procfs;
mod scenarios;
mod stats;
mod think;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::Serialize;

use crate::http::Api;
use crate::ledger::{Ledger, Tally};
use crate::play::{Ctx, Phase, Stop, Think};
use crate::scenarios::{OwnPlan, Plan, Scenario};
use crate::stats::Kind;

/// Hard caps, whatever the flags say: a typo must not start an unbounded run.
const MAX_USERS: usize = 200_000;
const MAX_CONCURRENCY: usize = 10_000;
const MAX_ATTEMPTS: u64 = 10_000_000;
const MAX_SECONDS: f64 = 3_600.0;

#[derive(Parser, Debug)]
#[command(
    name = "cuocthi-load",
    version,
    about = "Plays participants against a cuocthi server on loopback, measures, and checks every acknowledged write."
)]
struct Args {
    /// What to play.
    #[arg(value_enum)]
    scenario: Scenario,
    /// The server: http://HOST:PORT, loopback only (127.0.0.0/8, localhost, [::1]).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    target: String,
    /// The contest's slug; its first open round is played.
    #[arg(long, default_value = "thi-thu")]
    contest: String,
    /// Play this round instead of the first open one.
    #[arg(long)]
    round_id: Option<i64>,
    /// Virtual users in a closed loop (full, save, ceiling).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// full: stop after this many attempts in all.
    #[arg(long, default_value_t = 100_000)]
    attempts: u64,
    /// full, steady: attempts each person takes (the demo round allows 3).
    #[arg(long, default_value_t = 1)]
    attempts_per_person: u32,
    /// Participants registered beforehand (herd, flood, steady, save).
    #[arg(long, default_value_t = 1_000)]
    users: usize,
    /// herd: starts spread over this many seconds (default 10); flood: submissions (default 5).
    #[arg(long)]
    spread_seconds: Option<f64>,
    /// Think time before each answer, ms: `0`, `500` or `MIN-MAX`. Defaults: full, flood and save 0;
    /// herd 1000-3000; steady 30000-90000.
    #[arg(long, value_parser = Think::parse)]
    think_ms: Option<Think>,
    /// Length of the measured phase in seconds (steady default 60, save and ceiling 10; full runs
    /// until --attempts or --max-seconds).
    #[arg(long)]
    duration: Option<f64>,
    /// The whole run (preparation included) stops after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    max_seconds: f64,
    /// Worker threads of the generator's runtime: 1 leaves the other core to the server.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Registrations in parallel during the preparation phase.
    #[arg(long, default_value_t = 32)]
    prep_concurrency: usize,
    /// Requests in flight at most (and so connections to the server).
    #[arg(long, default_value_t = 512)]
    max_inflight: usize,
    /// Seconds before a request without an answer counts as a timeout.
    #[arg(long, default_value_t = 30.0)]
    request_timeout: f64,
    /// Send a save, prediction or submission that got no answer at all (refused, reset, timeout:
    /// the server is down or restarting) again up to this many times, pausing 0.1 s, 0.2 s, …
    /// 1.6 s between tries; 0: move on at once. Only a 2xx answer received is acknowledged.
    #[arg(long, default_value_t = 0)]
    retries: u32,
    /// The server's database URL: check every acknowledged write in it at the end.
    #[arg(long)]
    verify_db: Option<String>,
    /// The server's process id: sample its memory (VmRSS) and CPU time during the run.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Index of the first synthetic person; runs against one database need distinct ranges
    /// (default: a random block of 100,000).
    #[arg(long)]
    id_start: Option<u64>,
    /// connections: chance, before each answer, that the taker's connection is lost (a phone
    /// losing its signal) and a new one is opened for the answer.
    #[arg(long, default_value_t = 0.02)]
    drop_probability: f64,
    /// connections: loopback source addresses to spread the sockets over (127.0.0.2, 127.0.0.3,
    /// …), each with the whole ephemeral port range towards the server.
    #[arg(long, default_value_t = 8)]
    source_addresses: u32,
    /// connections: generator processes to spread the takers over, each holding one socket per
    /// taker under its own open-file limit (`ulimit -n`, which an unprivileged process cannot
    /// raise past its hard limit). Default: as many as the limit asks, takers / (limit − 1,024).
    #[arg(long)]
    processes: Option<u32>,
    /// Internal: this process is one of the children of a `connections` run (see `fleet.rs`):
    /// it says `ready` after its preparation, waits for `go` on stdin, and writes its raw
    /// measurements as one JSON line instead of the report.
    #[arg(long, hide = true)]
    child: bool,
    /// Internal: the index of this child's first taker among the run's.
    #[arg(long, hide = true, default_value_t = 0)]
    first_user: usize,
    /// Internal: this child's first source address, as an offset from 127.0.0.2.
    #[arg(long, hide = true, default_value_t = 0)]
    first_source: u32,
    /// Seed of the random choices (default: random).
    #[arg(long)]
    seed: Option<u64>,
    /// Print each measured request at least this slow (ms), with its instant since the run began.
    #[arg(long)]
    slow_log_ms: Option<f64>,
    /// No progress lines on stderr.
    #[arg(long)]
    quiet: bool,
}

impl Args {
    fn check(&self) -> Result<()> {
        if self.users == 0 || self.users > MAX_USERS {
            bail!("--users must be within 1..={MAX_USERS}");
        }
        if self.concurrency == 0 || self.concurrency > MAX_CONCURRENCY {
            bail!("--concurrency must be within 1..={MAX_CONCURRENCY}");
        }
        if self.attempts == 0 || self.attempts > MAX_ATTEMPTS {
            bail!("--attempts must be within 1..={MAX_ATTEMPTS}");
        }
        if !(1..=3).contains(&self.attempts_per_person) {
            bail!("--attempts-per-person must be 1, 2 or 3");
        }
        for (name, v) in [
            ("--max-seconds", Some(self.max_seconds)),
            ("--duration", self.duration),
            ("--spread-seconds", self.spread_seconds),
            ("--request-timeout", Some(self.request_timeout)),
        ] {
            if let Some(v) = v
                && !(v > 0.0 && v <= MAX_SECONDS)
            {
                bail!("{name} must be above 0 and at most {MAX_SECONDS} s");
            }
        }
        if !(0.0..=1.0).contains(&self.drop_probability) {
            bail!("--drop-probability must be within 0..=1");
        }
        if self.source_addresses == 0 || self.source_addresses > http::own::Sources::MAX {
            bail!("--source-addresses must be within 1..={}", http::own::Sources::MAX);
        }
        if self.first_source >= http::own::Sources::MAX
            || self.first_source + self.source_addresses > http::own::Sources::MAX
        {
            bail!("--first-source and --source-addresses leave 127.0.0.2..=127.0.0.251");
        }
        if let Some(n) = self.processes {
            if n == 0 || n > fleet::MAX_PROCESSES {
                bail!("--processes must be within 1..={}", fleet::MAX_PROCESSES);
            }
            if n > 1 && self.scenario != Scenario::Connections {
                bail!("--processes above 1 is for the connections scenario only");
            }
        }
        if self.child && (self.scenario != Scenario::Connections || self.processes != Some(1)) {
            bail!("--child is for the children of a connections run, with --processes 1");
        }
        if self.retries > 100 {
            bail!("--retries must be within 0..=100");
        }
        if self.workers == 0 || self.workers > 64 {
            bail!("--workers must be within 1..=64");
        }
        if self.prep_concurrency == 0
            || self.prep_concurrency > MAX_CONCURRENCY
            || self.max_inflight == 0
            || self.max_inflight > 16_000
        {
            bail!("--prep-concurrency must be within 1..={MAX_CONCURRENCY} and --max-inflight within 1..=16000");
        }
        Ok(())
    }

    /// Generator processes for this run: 1 but for `connections`, where the takers' sockets must
    /// fit each process's open-file limit.
    fn processes(&self) -> Result<u32> {
        match (self.scenario, self.processes) {
            (_, Some(n)) => Ok(n),
            (Scenario::Connections, None) => fleet::processes_for(self.users, procfs::open_file_limit()),
            _ => Ok(1),
        }
    }

    fn think(&self) -> Think {
        self.think_ms.unwrap_or(match self.scenario {
            Scenario::Herd => Think { min_ms: 1_000, max_ms: 3_000 },
            Scenario::Steady | Scenario::Connections => Think { min_ms: 30_000, max_ms: 90_000 },
            _ => Think::NONE,
        })
    }

    fn duration(&self) -> Option<Duration> {
        let d = self.duration.or(match self.scenario {
            Scenario::Steady => Some(60.0),
            Scenario::Save | Scenario::Ceiling => Some(10.0),
            // The ramp, then a minute with every taker in.
            Scenario::Connections => Some(self.spread().as_secs_f64() + 60.0),
            _ => None,
        });
        d.map(Duration::from_secs_f64)
    }

    /// herd: starts within 10 s; flood: submissions within 5 s; connections: a 60-s ramp.
    fn spread(&self) -> Duration {
        Duration::from_secs_f64(self.spread_seconds.unwrap_or(match self.scenario {
            Scenario::Flood => 5.0,
            Scenario::Connections => 60.0,
            _ => 10.0,
        }))
    }
}

/// The last line of stdout.
#[derive(Serialize)]
struct Report {
    scenario: &'static str,
    users: usize,
    target: String,
    workers: usize,
    think_ms: String,
    /// Seconds of the measured phase.
    duration_s: f64,
    /// Seconds of the preparation phase (registrations and the like, not measured).
    prep_s: f64,
    stopped_by_time_limit: bool,
    attempts: u64,
    attempts_per_s: f64,
    /// Requests answered by the server (any status) in the measured phase.
    requests: u64,
    requests_per_s: f64,
    /// Acknowledged answer saves per second in the measured phase.
    saves_per_s: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// `<kind>_count`, `<kind>_p50_ms`, `<kind>_p95_ms`, `<kind>_p99_ms`, `<kind>_max_ms`.
    #[serde(flatten)]
    kinds: BTreeMap<String, serde_json::Value>,
    errors: u64,
    error_kinds: BTreeMap<String, u64>,
    prep_errors: u64,
    prep_error_kinds: BTreeMap<String, u64>,
    /// People the server already knew (an `--id-start` used before on this database).
    recognised: u64,
    /// Writes acknowledged in the whole run (saves + submissions, preparation included).
    acknowledged: u64,
    acknowledged_saves: u64,
    acknowledged_submits: u64,
    verified: Option<u64>,
    verified_missing: Option<u64>,
    verified_wrong: Option<u64>,
    verified_uncertain: Option<u64>,
    verify: Option<Tally>,
    verify_error: Option<String>,
    server_rss_max_mb: Option<f64>,
    /// Server CPU in the measured phase, % of one core.
    server_cpu_pct: Option<f64>,
    /// This generator's CPU in the measured phase, % of one core.
    load_cpu_pct: Option<f64>,
    /// Time the server's threads were ready to run but waited for a CPU, % of the measured
    /// phase (summed over threads): high when something else (a compiler) shared its core.
    server_runq_wait_pct: Option<f64>,
    /// The same for this generator.
    load_runq_wait_pct: Option<f64>,
    /// Generator processes that played the run (`connections` spreads its takers over several,
    /// each under its open-file limit; 1 otherwise).
    generator_processes: u32,
    /// connections only: the most files the server held open at once (its sockets, one per
    /// connected taker, and a few dozen others), from /proc/PID/fd sampled every second.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_open_files_peak: Option<u64>,
    /// connections only: sockets opened (reopenings included), reopened after a lost signal,
    /// dropped as a lost signal, found closed by the server, failed to connect; the most open at
    /// once, and the most takers in the middle of an attempt at once.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    connections: Option<ConnReport>,
}

struct ConnReport {
    counts: http::own::ConnCounts,
    /// Source addresses used by all the generator processes together.
    source_addresses: u32,
    drop_probability: f64,
}

/// The report's names for the counts, unchanged since the scenario had one process.
impl Serialize for ConnReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let c = &self.counts;
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("connections_opened", &c.opened)?;
        m.serialize_entry("connections_reopened", &c.reopened)?;
        m.serialize_entry("connections_dropped", &c.dropped)?;
        m.serialize_entry("connections_closed_by_server", &c.closed_by_server)?;
        m.serialize_entry("connections_failed", &c.connect_failed)?;
        m.serialize_entry("peak_connections", &c.peak_open)?;
        m.serialize_entry("peak_users", &c.peak_users)?;
        m.serialize_entry("source_addresses", &self.source_addresses)?;
        m.serialize_entry("drop_probability", &self.drop_probability)?;
        m.end()
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn per_s(n: u64, d: Duration) -> f64 {
    if d.is_zero() { 0.0 } else { round2(n as f64 / d.as_secs_f64()) }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = args.check() {
        eprintln!("cuocthi-load: {e:#}");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(args.workers).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cuocthi-load: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cuocthi-load: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// CPU and run-queue seconds of this process when its measured phase began.
struct CpuAtStart {
    cpu: Option<f64>,
    wait: Option<f64>,
}

/// A child's end: its raw measurements, ledger and counters as one JSON line on stdout, for the
/// parent to merge (`fleet.rs`), instead of a report of its own.
fn child_report(
    ctx: &Ctx,
    prep: &Phase,
    measured: &Phase,
    users: usize,
    stopped_by_time_limit: bool,
    timeline: Vec<(u64, u64)>,
    at_start: &CpuAtStart,
) -> Result<ExitCode> {
    let delta = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| b - a);
    let outcome = fleet::ChildOutcome {
        users,
        prep: prep.rec.snapshot(),
        measured: measured.rec.snapshot(),
        recognised: measured.recognised.load(Ordering::Relaxed) + prep.recognised.load(Ordering::Relaxed),
        attempts: measured.attempts.load(Ordering::Relaxed),
        acknowledged_saves: ctx.ledger.acknowledged_saves(),
        acknowledged_submits: ctx.ledger.acknowledged_submits(),
        entries: ctx.ledger.take_entries().into_iter().collect(),
        connections: ctx.connections.counts(),
        timeline,
        stopped_by_time_limit,
        cpu_s: delta(at_start.cpu, procfs::cpu_seconds("self")),
        runq_wait_s: delta(at_start.wait, procfs::runqueue_wait_seconds("self")),
    };
    let line = serde_json::to_string(&outcome).context("cannot write the child's outcome")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).context("cannot send the outcome to the parent")?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a progress line every 5 s of the measured phase.
fn progress(ph: Arc<Phase>, t0: Instant) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while ph.stop.sleep(Duration::from_secs(5)).await {
            eprintln!(
                "  {:>5.0} s  {:>9} answered  {:>7} attempts  {:>6} errors",
                t0.elapsed().as_secs_f64(),
                ph.rec.answered(),
                ph.attempts.load(Ordering::Relaxed),
                ph.rec.error_count()
            );
        }
    })
}

/// How the measured phase is played: here, or by child processes (`fleet`).
enum Players {
    Here { plan: Plan, ready: Vec<scenarios::Ready> },
    Fleet(fleet::Fleet),
}

async fn run(args: Args) -> Result<ExitCode> {
    let run_start = Instant::now();
    let run_deadline = run_start + Duration::from_secs_f64(args.max_seconds);
    let target = http::parse_target(&args.target)?;
    let api = Api::new(&target, Duration::from_secs_f64(args.request_timeout), args.max_inflight);
    let think = args.think();
    let seed = args.seed.unwrap_or_else(rand::random);
    let id_start = args.id_start.unwrap_or_else(|| rand::random_range(0..people::CAPACITY / 100_000) * 100_000);
    let processes = args.processes()?;

    let round_id = match (args.scenario, args.round_id) {
        (Scenario::Ceiling, _) => 0,
        (_, Some(id)) => id,
        (_, None) => Ctx::discover_round(&api, &args.contest).await?,
    };
    let ctx = Arc::new(Ctx {
        api,
        slug: args.contest.clone(),
        round_id,
        ledger: Ledger::default(),
        think,
        next_person: AtomicU64::new(id_start),
        retries: args.retries,
        connections: Arc::new(http::own::ConnStats::default()),
    });
    let sources = http::own::Sources::block(args.first_source, args.source_addresses);
    let drain = Duration::from_secs_f64(args.request_timeout + 5.0);
    let plan = Plan {
        scenario: args.scenario,
        concurrency: args.concurrency,
        users: args.users,
        attempts: args.attempts,
        attempts_per_person: args.attempts_per_person,
        spread: args.spread(),
        prep_concurrency: args.prep_concurrency,
        seed,
        drain,
        first_user: args.first_user,
        own: (args.scenario == Scenario::Connections).then(|| OwnPlan {
            target: target.addr,
            authority: target.authority.clone().into(),
            sources: sources.clone(),
            signal: http::own::Signal { think, drop_probability: args.drop_probability },
        }),
    };
    let think_text = if think.min_ms == think.max_ms {
        think.min_ms.to_string()
    } else {
        format!("{}-{}", think.min_ms, think.max_ms)
    };
    eprintln!(
        "cuocthi-load {}: target {} round {round_id}, think {think_text} ms, id-start {id_start}, seed {seed}, {} worker(s){}",
        args.scenario.name(),
        target.addr,
        args.workers,
        if args.child {
            format!(", takers {}..{}", args.first_user, args.first_user + args.users)
        } else if processes > 1 {
            format!(", {processes} processes")
        } else {
            String::new()
        }
    );
    if args.child
        && let Some(limit) = procfs::open_file_limit()
        && args.users as u64 + fleet::RESERVE_FILES > limit
    {
        eprintln!(
            "warning: {} takers and {} other files exceed this process's open-file limit {limit}",
            args.users,
            fleet::RESERVE_FILES
        );
    }

    // Preparation: people (and their open attempts) that the scenario needs beforehand; with
    // several processes, each child registers its own.
    let prep = Arc::new(Phase::new(Stop::at(run_deadline), stats::Recorder::new()));
    let mut source_addresses = sources.count();
    let players = if processes > 1 {
        let shares = fleet::split(args.users, processes, args.source_addresses)?;
        source_addresses = shares.iter().map(|s| s.sources).sum();
        let left = run_deadline.saturating_duration_since(Instant::now());
        let argv =
            shares.iter().map(|s| fleet::child_args(&args, s, round_id, seed, id_start, left, processes)).collect();
        eprintln!(
            "preparing {} participants in {processes} processes ({} each at most, {} source addresses each)…",
            args.users,
            shares.iter().map(|s| s.users).max().unwrap_or(0),
            shares[0].sources
        );
        let mut f = fleet::Fleet::spawn(argv)?;
        f.ready().await?;
        eprintln!("all {processes} processes ready in {:.1} s", run_start.elapsed().as_secs_f64());
        Players::Fleet(f)
    } else {
        let needs = match args.scenario {
            Scenario::Herd | Scenario::Connections => Some((false, false)),
            Scenario::Flood => Some((true, true)),
            Scenario::Steady | Scenario::Save => Some((true, false)),
            Scenario::Full | Scenario::Ceiling => None,
        };
        let ready = match needs {
            Some((start, answer)) => {
                eprintln!("preparing {} participants…", args.users);
                let r = scenarios::prepare(&ctx, &prep, &plan, start, answer).await;
                eprintln!("prepared {} of {} in {:.1} s", r.len(), args.users, run_start.elapsed().as_secs_f64());
                r
            }
            None => Vec::new(),
        };
        if needs.is_some() && ready.is_empty() && !args.child {
            bail!("no participant could be prepared: {:?}", prep.rec.errors());
        }
        if args.child && !fleet::child_ready().await {
            bail!("the parent generator process went away before the run began");
        }
        Players::Here { plan, ready }
    };
    let prep_s = run_start.elapsed();

    // The measured phase.
    let t0 = Instant::now();
    let stop_at = args.duration().map_or(run_deadline, |d| (t0 + d).min(run_deadline));
    let slow = args.slow_log_ms.map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    let measured = Arc::new(Phase::new(Stop::at(stop_at), stats::Recorder::new().log_slow(slow, run_start)));
    let sampler = args.server_pid.map(procfs::PeakSampler::rss);
    let fds = args.server_pid.filter(|_| args.scenario == Scenario::Connections).map(procfs::PeakSampler::open_files);
    let server_cpu0 = args.server_pid.and_then(|p| procfs::cpu_seconds(&p.to_string()));
    let self_cpu0 = procfs::cpu_seconds("self");
    let server_wait0 = args.server_pid.and_then(|p| procfs::runqueue_wait_seconds(&p.to_string()));
    let self_wait0 = procfs::runqueue_wait_seconds("self");
    // Seconds of CPU and of waiting for one that child processes report for themselves.
    let (mut child_cpu, mut child_wait) = (Some(0.0), Some(0.0));
    let conn_counts;
    let mut stopped_by_child = false;
    let users = match players {
        Players::Here { plan, ready } => {
            let ticker = (!args.quiet).then(|| progress(measured.clone(), t0));
            let timeline = args.child.then(|| fleet::timeline(ctx.connections.clone(), measured.stop.clone()));
            let users = scenarios::run(&ctx, &measured, &plan, ready).await;
            if let Some(t) = ticker {
                t.abort();
            }
            if let Some(timeline) = timeline {
                let stopped = measured.stop.stopped() && stop_at == run_deadline && Instant::now() >= run_deadline;
                let timeline = timeline.await.unwrap_or_default();
                let at_start = CpuAtStart { cpu: self_cpu0, wait: self_wait0 };
                return child_report(&ctx, &prep, &measured, users, stopped, timeline, &at_start);
            }
            conn_counts = ctx.connections.counts();
            users
        }
        Players::Fleet(mut f) => {
            f.go()?;
            let outcomes = f.collect(run_deadline + drain + Duration::from_secs(60)).await?;
            let mut users = 0;
            let mut timelines = Vec::with_capacity(outcomes.len());
            let mut counts = http::own::ConnCounts::default();
            for o in outcomes {
                users += o.users;
                prep.rec.absorb(&o.prep)?;
                measured.rec.absorb(&o.measured)?;
                prep.recognised.fetch_add(o.recognised, Ordering::Relaxed);
                measured.attempts.fetch_add(o.attempts, Ordering::Relaxed);
                ctx.ledger.absorb(o.entries, o.acknowledged_saves, o.acknowledged_submits)?;
                let c = o.connections;
                counts.opened += c.opened;
                counts.reopened += c.reopened;
                counts.dropped += c.dropped;
                counts.closed_by_server += c.closed_by_server;
                counts.connect_failed += c.connect_failed;
                timelines.push(o.timeline);
                stopped_by_child |= o.stopped_by_time_limit;
                child_cpu = child_cpu.zip(o.cpu_s).map(|(a, b)| a + b);
                child_wait = child_wait.zip(o.runq_wait_s).map(|(a, b)| a + b);
            }
            (counts.peak_users, counts.peak_open) = fleet::merged_peaks(&timelines);
            conn_counts = counts;
            if users == 0 {
                bail!("no participant could be prepared: {:?}", prep.rec.errors());
            }
            users
        }
    };
    let duration = t0.elapsed();
    let stopped_by_time_limit =
        stopped_by_child || (measured.stop.stopped() && stop_at == run_deadline && Instant::now() >= run_deadline);
    // Per cent of the measured phase, from two readings of a /proc counter in seconds.
    let pct = |before: Option<f64>, after: Option<f64>| match (before, after) {
        (Some(a), Some(b)) => Some(round2((b - a) / duration.as_secs_f64() * 100.0)),
        _ => None,
    };
    let plus = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a + b);
    let server_cpu_pct = pct(server_cpu0, args.server_pid.and_then(|p| procfs::cpu_seconds(&p.to_string())));
    let load_cpu_pct = pct(self_cpu0, plus(procfs::cpu_seconds("self"), child_cpu));
    let server_runq_wait_pct =
        pct(server_wait0, args.server_pid.and_then(|p| procfs::runqueue_wait_seconds(&p.to_string())));
    let load_runq_wait_pct = pct(self_wait0, plus(procfs::runqueue_wait_seconds("self"), child_wait));
    let server_rss_max_mb = sampler.map(|s| round2(s.finish() as f64 / 1024.0));
    let server_open_files_peak = fds.map(procfs::PeakSampler::finish);

    // What was measured.
    let rec = &measured.rec;
    let overall = rec.overall();
    let mut kinds = BTreeMap::new();
    eprintln!("\n{:<11} {:>9} {:>9} {:>9} {:>9} {:>9}", "request", "count", "p50 ms", "p95 ms", "p99 ms", "max ms");
    for k in Kind::ALL {
        let s = rec.summary(k);
        // Only the scenarios that make them report these (the JSON lines of the others stay as they were).
        if matches!(k, Kind::Livez | Kind::Connect) && s.count == 0 {
            continue;
        }
        let n = k.name();
        kinds.insert(format!("{n}_count"), s.count.into());
        kinds.insert(format!("{n}_p50_ms"), s.p50_ms.into());
        kinds.insert(format!("{n}_p95_ms"), s.p95_ms.into());
        kinds.insert(format!("{n}_p99_ms"), s.p99_ms.into());
        kinds.insert(format!("{n}_max_ms"), s.max_ms.into());
        if s.count > 0 {
            eprintln!("{n:<11} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2}", s.count, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms);
        }
    }
    eprintln!(
        "{:<11} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        "all", overall.count, overall.p50_ms, overall.p95_ms, overall.p99_ms, overall.max_ms
    );
    let errors = rec.errors();
    for (what, n) in &errors {
        eprintln!("error: {what} × {n}");
    }
    let prep_errors = prep.rec.errors();
    for (what, n) in &prep_errors {
        eprintln!("preparation error: {what} × {n}");
    }

    // The ledger against the database.
    let (acked_saves, acked_submits) = (ctx.ledger.acknowledged_saves(), ctx.ledger.acknowledged_submits());
    let (mut verify, mut verify_error) = (None, None);
    if let Some(url) = &args.verify_db {
        let entries = ctx.ledger.take_entries();
        let started = Instant::now();
        match ledger::verify_db(url, &entries).await {
            Ok(t) => {
                eprintln!(
                    "verified in {:.1} s: saves acknowledged {acked_saves} (positions checked {}: {} stored, {} missing, {} wrong, {} of unknown outcome); \
                     submissions acknowledged {acked_submits} (checked {}: {} stored with the right score, {} missing, {} wrong)",
                    started.elapsed().as_secs_f64(),
                    t.saves_checked,
                    t.saves_verified,
                    t.saves_missing,
                    t.saves_wrong,
                    t.saves_uncertain,
                    t.submits_checked,
                    t.submits_verified,
                    t.submits_missing,
                    t.submits_wrong
                );
                verify = Some(t);
            }
            Err(e) => {
                eprintln!("verification failed: {e:#}");
                verify_error = Some(format!("{e:#}"));
            }
        }
    } else {
        eprintln!("acknowledged: {acked_saves} saves, {acked_submits} submissions (not verified: no --verify-db)");
    }

    let attempts = measured.attempts.load(Ordering::Relaxed);
    let report = Report {
        scenario: args.scenario.name(),
        users,
        target: args.target.clone(),
        workers: args.workers,
        think_ms: think_text,
        duration_s: round2(duration.as_secs_f64()),
        prep_s: round2(prep_s.as_secs_f64()),
        stopped_by_time_limit,
        attempts,
        attempts_per_s: per_s(attempts, duration),
        requests: rec.answered(),
        requests_per_s: per_s(rec.answered(), duration),
        saves_per_s: per_s(rec.ok_count(Kind::Save), duration),
        p50_ms: overall.p50_ms,
        p95_ms: overall.p95_ms,
        p99_ms: overall.p99_ms,
        max_ms: overall.max_ms,
        kinds,
        errors: errors.values().sum(),
        error_kinds: errors,
        prep_errors: prep_errors.values().sum(),
        prep_error_kinds: prep_errors,
        recognised: measured.recognised.load(Ordering::Relaxed) + prep.recognised.load(Ordering::Relaxed),
        acknowledged: acked_saves + acked_submits,
        acknowledged_saves: acked_saves,
        acknowledged_submits: acked_submits,
        verified: verify.map(|t| t.verified()),
        verified_missing: verify.map(|t| t.missing()),
        verified_wrong: verify.map(|t| t.wrong()),
        verified_uncertain: verify.map(|t| t.saves_uncertain),
        verify,
        verify_error,
        server_rss_max_mb,
        server_cpu_pct,
        load_cpu_pct,
        server_runq_wait_pct,
        load_runq_wait_pct,
        generator_processes: processes,
        server_open_files_peak,
        connections: (args.scenario == Scenario::Connections).then_some(ConnReport {
            counts: conn_counts,
            source_addresses,
            drop_probability: args.drop_probability,
        }),
    };
    let line = serde_json::to_string(&report).context("cannot write the report")?;
    println!("{line}");
    // Lost or wrong acknowledged writes, or a check that could not run, fail the run.
    let bad = report.verify_error.is_some()
        || report.verified_missing.unwrap_or(0) > 0
        || report.verified_wrong.unwrap_or(0) > 0;
    Ok(if bad { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse_and_are_bounded() {
        let a =
            Args::try_parse_from(["cuocthi-load", "steady", "--users", "20000", "--think-ms", "30000-90000"]).unwrap();
        assert_eq!(a.think(), Think { min_ms: 30_000, max_ms: 90_000 });
        assert_eq!(a.duration(), Some(Duration::from_secs(60)));
        a.check().unwrap();
        let a = Args::try_parse_from(["cuocthi-load", "full"]).unwrap();
        assert_eq!(a.think(), Think::NONE);
        assert_eq!(a.duration(), None);
        assert!(Args::try_parse_from(["cuocthi-load", "full", "--think-ms", "9-1"]).is_err());
        assert!(Args::try_parse_from(["cuocthi-load", "herd", "--users", "300000"]).unwrap().check().is_err());
        assert!(Args::try_parse_from(["cuocthi-load", "full", "--max-seconds", "0"]).unwrap().check().is_err());
        assert!(Args::try_parse_from(["cuocthi-load", "nope"]).is_err());
    }

    #[test]
    fn connections_default_to_a_phone_s_pace_over_a_minute_s_ramp() {
        let a = Args::try_parse_from(["cuocthi-load", "connections", "--users", "100000"]).unwrap();
        a.check().unwrap();
        assert_eq!(a.think(), Think { min_ms: 30_000, max_ms: 90_000 });
        assert_eq!(a.spread(), Duration::from_secs(60));
        assert_eq!(a.duration(), Some(Duration::from_secs(120)));
        let bad_p = Args::try_parse_from(["cuocthi-load", "connections", "--drop-probability", "1.5"]).unwrap();
        assert!(bad_p.check().is_err());
        let no_source = Args::try_parse_from(["cuocthi-load", "connections", "--source-addresses", "0"]).unwrap();
        assert!(no_source.check().is_err());
    }

    #[test]
    fn processes_are_for_connections_and_bounded() {
        let parse = |extra: &[&str]| {
            let mut v = vec!["cuocthi-load"];
            v.extend_from_slice(extra);
            Args::try_parse_from(v).unwrap()
        };
        let a = parse(&["connections", "--users", "100000", "--processes", "6"]);
        a.check().unwrap();
        assert_eq!(a.processes().unwrap(), 6);
        assert!(parse(&["connections", "--processes", "0"]).check().is_err());
        assert!(parse(&["connections", "--processes", "65"]).check().is_err());
        assert!(parse(&["steady", "--processes", "2"]).check().is_err());
        assert_eq!(parse(&["steady"]).processes().unwrap(), 1);
        // A child is one process of a connections run.
        assert!(parse(&["connections", "--child"]).check().is_err());
        assert!(parse(&["steady", "--child", "--processes", "1"]).check().is_err());
        assert!(parse(&["connections", "--first-source", "249", "--source-addresses", "2"]).check().is_err());
    }

    #[test]
    fn each_child_is_told_its_own_takers_people_and_addresses() {
        let base = ["cuocthi-load", "connections", "--users", "100000", "--spread-seconds", "60"];
        let with = |more: &[&'static str]| Args::try_parse_from(base.iter().chain(more));
        assert!(with(&["--conn-seconds-unused-check"]).is_err(), "unknown flags are refused");
        let a = with(&[
            "--duration",
            "90",
            "--think-ms",
            "5000",
            "--source-addresses",
            "8",
            "--prep-concurrency",
            "64",
            "--slow-log-ms",
            "500",
        ])
        .unwrap();
        let shares = fleet::split(a.users, 6, a.source_addresses).unwrap();
        let children: Vec<Args> = shares
            .iter()
            .map(|s| {
                let argv = fleet::child_args(&a, s, 7, 42, 3_000_000, Duration::from_secs(200), 6);
                Args::try_parse_from(std::iter::once("cuocthi-load".to_string()).chain(argv)).unwrap()
            })
            .collect();
        let mut next_id = 3_000_000;
        let mut next_source = 0;
        for c in &children {
            c.check().unwrap();
            assert!(c.child && c.quiet && c.processes().unwrap() == 1);
            assert_eq!((c.round_id, c.seed, c.id_start), (Some(7), Some(42), Some(next_id)));
            assert_eq!(c.id_start.unwrap() - 3_000_000, c.first_user as u64);
            assert_eq!((c.first_source, c.source_addresses), (next_source, 2));
            assert_eq!(
                (c.think(), c.spread(), c.duration()),
                (Think { min_ms: 5_000, max_ms: 5_000 }, a.spread(), a.duration())
            );
            assert_eq!((c.max_seconds, c.prep_concurrency, c.slow_log_ms), (200.0, 11, Some(500.0)));
            next_id += c.users as u64;
            next_source += c.source_addresses;
        }
        assert_eq!(next_id, 3_100_000);
        assert_eq!(next_source, 12);
    }
}
