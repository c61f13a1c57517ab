//! The `connections` scenario over several generator processes.
//!
//! A taker holds a socket, and so a file, in the generator as in the server; a process may hold no
//! more files than its open-file limit (20,000 on the machine of docs/PERFORMANCE.md, and raising
//! the hard limit needs root). So a run of 100,000 takers re-executes this program in `N` child
//! processes, each under its limit: each plays a disjoint range of people (its own `--id-start`,
//! so every person is registered once, by the one child that plays them) from its own block of
//! source addresses, registers them (not measured), says `ready` on its stdout and waits for `go`
//! on its stdin, so that every child's ramp starts at the same instant. At the end each child
//! writes one JSON line ([`ChildOutcome`]): its raw histograms (merged exactly, bucket by bucket,
//! see [`crate::stats::Snapshot`]), its counters, its ledger of acknowledged writes (the parent
//! checks them all against the database) and a timeline of its takers and sockets, so that
//! "at once" means at once across the children, not a sum of peaks reached at different instants.
//!
//! A child whose stdin closes (the parent is gone: killed, or Ctrl-C) stops as if interrupted:
//! nothing keeps loading the server after its parent.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::http::own::{ConnCounts, ConnStats};
use crate::ledger::AttemptEntry;
use crate::play::Stop;
use crate::stats::Snapshot;

/// At most this many generator processes for one run.
pub const MAX_PROCESSES: u32 = 64;

/// Files a generator process keeps besides its takers' sockets: the pooled connections of the
/// registrations, the runtime, stdio, the store when it verifies. The same margin as
/// `scripts/bench`'s "takers + 1,024".
pub const RESERVE_FILES: u64 = 1_024;

/// The interval of the takers' and sockets' timeline.
pub const TICK: Duration = Duration::from_millis(100);

/// Processes needed for `users` takers, each holding one socket, under an open-file limit of
/// `limit` per process (`None`: unlimited).
pub fn processes_for(users: usize, limit: Option<u64>) -> Result<u32> {
    let Some(limit) = limit else { return Ok(1) };
    let per = limit.saturating_sub(RESERVE_FILES);
    if per < 100 {
        bail!(
            "the open-file limit ({limit}) leaves fewer than 100 sockets per process after {RESERVE_FILES} for the rest: raise it (ulimit -n)"
        );
    }
    let n = (users as u64).div_ceil(per).max(1);
    if n > u64::from(MAX_PROCESSES) {
        bail!(
            "{users} takers at {per} per process need {n} processes, more than {MAX_PROCESSES}: raise the open-file limit (ulimit -n)"
        );
    }
    Ok(u32::try_from(n).unwrap_or(MAX_PROCESSES))
}

/// One child's part of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    /// Its first taker, as an index among all the run's takers.
    pub first_user: usize,
    pub users: usize,
    /// Its first source address, as an offset from 127.0.0.2, and how many it has.
    pub first_source: u32,
    pub sources: u32,
}

/// Splits `users` takers over `processes` children as evenly as can be, and `sources` source
/// addresses into disjoint blocks of equal size (at least one address each, so the total may grow
/// to a multiple of `processes`).
pub fn split(users: usize, processes: u32, sources: u32) -> Result<Vec<Share>> {
    let n = processes.max(1);
    if users < n as usize {
        bail!("{users} takers cannot be shared among {n} processes");
    }
    let per_source = sources.max(1).div_ceil(n);
    if per_source * n > crate::http::own::Sources::MAX {
        bail!(
            "{n} processes with {per_source} source addresses each need {} addresses, more than {}",
            per_source * n,
            crate::http::own::Sources::MAX
        );
    }
    let n_us = n as usize;
    Ok((0..n_us)
        .map(|k| {
            let first_user = users * k / n_us;
            let k32 = u32::try_from(k).unwrap_or(u32::MAX);
            Share {
                first_user,
                users: users * (k + 1) / n_us - first_user,
                first_source: k32 * per_source,
                sources: per_source,
            }
        })
        .collect())
}

/// Samples, every [`TICK`] from now until `stop`, the takers in the middle of an attempt and the
/// sockets open. Entry `k` is the value at `k` ticks after the start; a tick the runtime was too
/// busy to take keeps the value before it.
pub fn timeline(stats: Arc<ConnStats>, stop: Stop) -> tokio::task::JoinHandle<Vec<(u64, u64)>> {
    tokio::spawn(async move {
        let t0 = Instant::now();
        let mut out: Vec<(u64, u64)> = Vec::new();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.sleep(Duration::from_secs(3600)) => break,
            }
            let k = usize::try_from(t0.elapsed().as_millis() / TICK.as_millis()).unwrap_or(usize::MAX);
            let now = stats.now();
            let last = out.last().copied().unwrap_or((0, 0));
            while out.len() < k {
                out.push(last);
            }
            if out.len() == k {
                out.push(now);
            }
        }
        out
    })
}

/// The most takers and the most sockets at one instant across processes whose timelines started
/// together: the sum tick by tick (a process whose timeline has ended counts 0), then the maximum.
/// A peak between two ticks is missed, so this never overstates "at once".
pub fn merged_peaks(timelines: &[Vec<(u64, u64)>]) -> (u64, u64) {
    let len = timelines.iter().map(Vec::len).max().unwrap_or(0);
    (0..len).fold((0, 0), |(pu, po), k| {
        let (u, o) = timelines.iter().filter_map(|t| t.get(k)).fold((0, 0), |(u, o), &(tu, to)| (u + tu, o + to));
        (pu.max(u), po.max(o))
    })
}

/// What a child sends back at the end: everything the parent needs to report as if the run had
/// been one process.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ChildOutcome {
    /// Takers it prepared and played.
    pub users: usize,
    pub prep: Snapshot,
    pub measured: Snapshot,
    /// Registrations answered "recognised", in preparation and in the measured phase.
    pub recognised: u64,
    /// Attempts submitted in the measured phase.
    pub attempts: u64,
    pub acknowledged_saves: u64,
    pub acknowledged_submits: u64,
    /// Its ledger: every attempt it played, with its acknowledged writes.
    pub entries: Vec<(i64, AttemptEntry)>,
    pub connections: ConnCounts,
    /// (takers, sockets) every [`TICK`] from `go`.
    pub timeline: Vec<(u64, u64)>,
    pub stopped_by_time_limit: bool,
    /// Its CPU seconds and its threads' seconds waiting for a CPU, in its measured phase.
    pub cpu_s: Option<f64>,
    pub runq_wait_s: Option<f64>,
}

/// The line a child writes once its takers are registered.
const READY: &str = "ready";
/// The line the parent writes to every child to start the measured phase.
const GO: &str = "go";

enum Event {
    Ready(usize),
    Done(usize, Box<ChildOutcome>),
    Gone(usize, String),
}

/// The children of one run, seen from the parent.
pub struct Fleet {
    children: Vec<Child>,
    stdins: Vec<Option<ChildStdin>>,
    events: mpsc::UnboundedReceiver<Event>,
}

impl Fleet {
    /// Starts this program once per argument list (each a whole command line after the program's
    /// name), stdout read by a thread each, stderr shared with the parent.
    pub fn spawn(argv: Vec<Vec<String>>) -> Result<Fleet> {
        let exe = std::env::current_exe().context("cannot find this program to run it again")?;
        let (tx, events) = mpsc::unbounded_channel();
        let mut fleet = Fleet { children: Vec::new(), stdins: Vec::new(), events };
        for (k, args) in argv.into_iter().enumerate() {
            let mut child = Command::new(&exe)
                .args(&args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .with_context(|| format!("cannot start generator process {k}"))?;
            let stdout = child.stdout.take().context("a child without its stdout")?;
            fleet.stdins.push(child.stdin.take());
            fleet.children.push(child);
            let tx = tx.clone();
            std::thread::spawn(move || read_child(k, BufReader::new(stdout), &tx));
        }
        Ok(fleet)
    }

    /// Waits until every child has registered its takers; returns how many each prepared.
    pub async fn ready(&mut self) -> Result<Vec<usize>> {
        let mut ready = vec![None; self.children.len()];
        while ready.iter().any(Option::is_none) {
            match self.events.recv().await {
                Some(Event::Ready(k)) => ready[k] = Some(0),
                Some(Event::Gone(k, why)) => bail!("generator process {k} ended before its takers were ready: {why}"),
                Some(Event::Done(k, _)) => bail!("generator process {k} reported before it was told to go"),
                None => bail!("every generator process is gone"),
            }
        }
        Ok(ready.into_iter().flatten().collect())
    }

    /// Tells every child to start its measured phase, all within a few microseconds.
    pub fn go(&mut self) -> Result<()> {
        for (k, stdin) in self.stdins.iter_mut().enumerate() {
            let Some(stdin) = stdin.as_mut() else { bail!("generator process {k} has no stdin") };
            writeln!(stdin, "{GO}")
                .and_then(|()| stdin.flush())
                .with_context(|| format!("telling process {k} to go"))?;
        }
        Ok(())
    }

    /// Waits for every child's outcome, until `deadline`.
    pub async fn collect(&mut self, deadline: Instant) -> Result<Vec<ChildOutcome>> {
        let mut done: Vec<Option<ChildOutcome>> = (0..self.children.len()).map(|_| None).collect();
        while done.iter().any(Option::is_none) {
            let event = tokio::time::timeout_at(deadline.into(), self.events.recv())
                .await
                .context("the generator processes did not report in time")?;
            match event {
                Some(Event::Done(k, outcome)) => done[k] = Some(*outcome),
                Some(Event::Gone(k, why)) if done[k].is_none() => {
                    bail!("generator process {k} ended without its report: {why}")
                }
                Some(_) => {}
                None => bail!("every generator process is gone"),
            }
        }
        for (k, child) in self.children.iter_mut().enumerate() {
            let status = child.wait().with_context(|| format!("waiting for generator process {k}"))?;
            if !status.success() {
                bail!("generator process {k} exited with {status} after its report");
            }
        }
        Ok(done.into_iter().flatten().collect())
    }
}

impl Drop for Fleet {
    /// Closing the stdins stops every child still running; those that do not stop within 5 s
    /// (the parent failed, a child hangs) are killed, each by its own process id.
    fn drop(&mut self) {
        self.stdins.clear();
        let until = Instant::now() + Duration::from_secs(5);
        for child in &mut self.children {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A child's stdout, line by line: `ready`, then one JSON line, then the end.
fn read_child(k: usize, out: impl BufRead, tx: &mpsc::UnboundedSender<Event>) {
    for line in out.lines() {
        let event = match line {
            Ok(l) if l.trim() == READY => Event::Ready(k),
            Ok(l) if l.starts_with('{') => match serde_json::from_str::<ChildOutcome>(&l) {
                Ok(o) => Event::Done(k, Box::new(o)),
                Err(e) => Event::Gone(k, format!("unreadable report: {e}")),
            },
            Ok(_) => continue,
            Err(e) => Event::Gone(k, format!("reading its output: {e}")),
        };
        if tx.send(event).is_err() {
            return;
        }
    }
    let _ = tx.send(Event::Gone(k, "its output ended".into()));
}

/// In a child: says its takers are ready and waits for the parent's `go`. Its stdin is then
/// watched to the end: closed, the parent is gone and the run stops ([`crate::play::interrupt`]).
/// Returns false if the parent went away before `go`.
pub async fn child_ready() -> bool {
    println!("{READY}");
    let _ = std::io::stdout().flush();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        let mut line = String::new();
        let stdin = std::io::stdin();
        loop {
            line.clear();
            match stdin.lock().read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.trim() == GO => {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(_) => {}
            }
        }
        crate::play::interrupt("the parent generator process is gone");
    });
    rx.await.is_ok()
}

/// The command line of child `share` of a `connections` run over several processes: the same
/// run, restricted to its takers, people and source addresses, told the round, the seed and the
/// time left so that every child plays alike and stops with the parent.
pub fn child_args(
    args: &crate::Args,
    share: &Share,
    round_id: i64,
    seed: u64,
    id_start: u64,
    left: Duration,
    processes: u32,
) -> Vec<String> {
    let think = args.think();
    let mut v: Vec<String> =
        vec!["connections".into(), "--child".into(), "--processes".into(), "1".into(), "--quiet".into()];
    let mut put = |k: &str, val: String| {
        v.push(format!("--{k}"));
        v.push(val);
    };
    put("target", args.target.clone());
    put("contest", args.contest.clone());
    put("round-id", round_id.to_string());
    put("users", share.users.to_string());
    put("id-start", (id_start + share.first_user as u64).to_string());
    put("first-user", share.first_user.to_string());
    put("first-source", share.first_source.to_string());
    put("source-addresses", share.sources.to_string());
    put("seed", seed.to_string());
    put("think-ms", format!("{}-{}", think.min_ms, think.max_ms));
    put("spread-seconds", args.spread().as_secs_f64().to_string());
    if let Some(d) = args.duration() {
        put("duration", d.as_secs_f64().to_string());
    }
    put("max-seconds", left.as_secs_f64().max(1.0).to_string());
    put("workers", args.workers.to_string());
    put("prep-concurrency", args.prep_concurrency.div_ceil(processes as usize).to_string());
    put("max-inflight", args.max_inflight.to_string());
    put("request-timeout", args.request_timeout.to_string());
    put("retries", args.retries.to_string());
    put("drop-probability", args.drop_probability.to_string());
    if let Some(ms) = args.slow_log_ms {
        put("slow-log-ms", ms.to_string());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_follow_the_open_file_limit() {
        assert_eq!(processes_for(100_000, None).unwrap(), 1);
        assert_eq!(processes_for(2_000, Some(20_000)).unwrap(), 1);
        assert_eq!(processes_for(18_976, Some(20_000)).unwrap(), 1);
        assert_eq!(processes_for(18_977, Some(20_000)).unwrap(), 2);
        assert_eq!(processes_for(100_000, Some(20_000)).unwrap(), 6);
        assert_eq!(processes_for(200_000, Some(20_000)).unwrap(), 11);
        assert!(processes_for(10, Some(1_100)).is_err());
        assert!(processes_for(200_000, Some(2_000)).is_err());
    }

    #[test]
    fn takers_and_source_addresses_are_split_without_overlap() {
        let shares = split(100_000, 6, 8).unwrap();
        assert_eq!(shares.len(), 6);
        // Every taker in exactly one share, in order, sizes within one of each other.
        assert_eq!(shares[0].first_user, 0);
        for w in shares.windows(2) {
            assert_eq!(w[0].first_user + w[0].users, w[1].first_user);
        }
        assert_eq!(shares.iter().map(|s| s.users).sum::<usize>(), 100_000);
        let (lo, hi) = (shares.iter().map(|s| s.users).min().unwrap(), shares.iter().map(|s| s.users).max().unwrap());
        assert!(hi - lo <= 1 && hi <= 18_976, "{shares:?}");
        // Source addresses: 2 each (8 over 6 rounded up), disjoint, contiguous from 127.0.0.2.
        assert!(shares.iter().all(|s| s.sources == 2));
        for w in shares.windows(2) {
            assert_eq!(w[0].first_source + w[0].sources, w[1].first_source);
        }
        let addresses: std::collections::BTreeSet<_> = shares
            .iter()
            .flat_map(|s| {
                let src = crate::http::own::Sources::block(s.first_source, s.sources);
                (0..s.users).flat_map(move |u| [src.for_user(u, 0), src.for_user(u, 1)])
            })
            .collect();
        assert_eq!(addresses.len(), 12);
        // One process: today's run, unchanged.
        assert_eq!(
            split(2_000, 1, 8).unwrap(),
            vec![Share { first_user: 0, users: 2_000, first_source: 0, sources: 8 }]
        );
        assert!(split(3, 4, 8).is_err());
        assert!(split(100_000, 60, 8).is_ok());
        assert!(split(100_000, 60, 250).is_err());
    }

    #[test]
    fn peaks_are_summed_at_the_same_instant_not_peak_by_peak() {
        // Process a peaks at tick 1, b at tick 3: at once they never held more than 7 takers.
        let a = vec![(1, 1), (5, 5), (2, 2), (2, 2)];
        let b = vec![(0, 0), (1, 1), (3, 4), (5, 6)];
        assert_eq!(merged_peaks(&[a.clone(), b]), (7, 8));
        // A timeline that ended early counts nothing after its end.
        assert_eq!(merged_peaks(&[a, vec![(9, 9)]]), (10, 10));
        assert_eq!(merged_peaks(&[]), (0, 0));
    }

    #[tokio::test]
    async fn the_timeline_samples_every_tick_until_the_stop() {
        let stats = Arc::new(ConnStats::default());
        let stop = Stop::at(Instant::now() + Duration::from_millis(600));
        let samples = timeline(stats.clone(), stop);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let _a = stats.taker();
        let _b = stats.taker();
        let t = samples.await.unwrap();
        assert!((4..=8).contains(&t.len()), "{t:?}");
        assert_eq!(t[0], (0, 0));
        assert_eq!(t[t.len() - 1], (2, 0));
    }
}
