//! Latencies per request kind in HDR histograms, and errors counted by kind, status and code.
//!
//! HDR histograms keep every percentile to 3 significant digits in a fixed few kB whatever the
//! number of samples, so a run of millions of requests costs no memory and the p99 is exact enough
//! to compare runs. Samples are microseconds, from 1 µs to 10 minutes.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// What a request does; each has its own histogram and its own fields in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Register,
    Start,
    Save,
    Prediction,
    Submit,
    Result,
    Livez,
    /// A taker's own connection opened (TCP connect and HTTP/1.1 handshake; the `connections`
    /// scenario): not a request, so not in the overall figures, but part of the request that
    /// needed it, so that a save's tail can be told apart from its connect's.
    Connect,
}

/// How many kinds there are: the length of every per-kind array.
const KINDS: usize = 8;

impl Kind {
    pub const ALL: [Kind; KINDS] = [
        Kind::Register,
        Kind::Start,
        Kind::Save,
        Kind::Prediction,
        Kind::Submit,
        Kind::Result,
        Kind::Livez,
        Kind::Connect,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Register => "register",
            Kind::Start => "start",
            Kind::Save => "save",
            Kind::Prediction => "prediction",
            Kind::Submit => "submit",
            Kind::Result => "result",
            Kind::Livez => "livez",
            Kind::Connect => "connect",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The kinds that are requests (all but [`Kind::Connect`]): what the overall figures count.
    fn requests() -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(|&k| k != Kind::Connect)
    }
}

/// Largest latency a histogram holds (10 minutes, in µs); longer ones are clamped to it.
const MAX_US: u64 = 600_000_000;

fn new_histogram() -> Histogram<u64> {
    // Bounds are constants that hdrhistogram accepts (low ≥ 1, high ≥ 2·low, sigfig ≤ 5).
    Histogram::new_with_bounds(1, MAX_US, 3).expect("constant histogram bounds are valid")
}

/// Percentiles of one histogram, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

/// Rounds to 0.01 ms: finer digits are noise at loopback latencies and clutter the report.
fn ms(us: f64) -> f64 {
    (us / 10.0).round() / 100.0
}

pub fn summarize(h: &Histogram<u64>) -> Summary {
    if h.is_empty() {
        return Summary::default();
    }
    Summary {
        count: h.len(),
        p50_ms: ms(h.value_at_quantile(0.50) as f64),
        p95_ms: ms(h.value_at_quantile(0.95) as f64),
        p99_ms: ms(h.value_at_quantile(0.99) as f64),
        max_ms: ms(h.max() as f64),
        mean_ms: ms(h.mean()),
    }
}

#[derive(Default)]
struct Inner {
    hist: Vec<Histogram<u64>>,
    /// Requests answered (any status) per kind.
    done: [u64; KINDS],
    /// Requests whose answer was the expected success, per kind.
    ok: [u64; KINDS],
    errors: BTreeMap<String, u64>,
}

/// A recorder's raw content, to carry from a generator process to the one that merges (the
/// `connections` scenario over several processes): every histogram as its non-empty buckets, each
/// `(lowest value of the bucket, count)`, and the plain counters. Recording each bucket's lowest
/// equivalent value into a histogram of the same bounds lands in the same bucket, so the merged
/// histogram has exactly the counts of one fed every sample, and every percentile, the max and the
/// mean agree with it (percentiles of percentiles would not).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// One entry per [`Kind::ALL`], in that order.
    hist: Vec<Vec<(u64, u64)>>,
    done: [u64; KINDS],
    ok: [u64; KINDS],
    errors: BTreeMap<String, u64>,
}

fn buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded().map(|v| (h.lowest_equivalent(v.value_iterated_to()), v.count_at_value())).collect()
}

/// One phase's measurements, shared by every virtual user. A plain mutex is enough: a record is
/// a few dozen nanoseconds and the generator runs on one or two threads.
pub struct Recorder {
    inner: Mutex<Inner>,
    /// With `--slow-log-ms`: requests at least this slow are printed with their instant, to be
    /// lined up with the server's own timeline (a checkpoint, a sweep, a GC of the OS).
    slow: Option<(Duration, Instant)>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        let hist = Kind::ALL.iter().map(|_| new_histogram()).collect();
        Recorder { inner: Mutex::new(Inner { hist, ..Inner::default() }), slow: None }
    }

    /// Prints every request slower than `threshold`, timed from `origin`.
    pub fn log_slow(mut self, threshold: Option<Duration>, origin: Instant) -> Recorder {
        self.slow = threshold.map(|t| (t, origin));
        self
    }

    fn note(&self, kind: Kind, since: Instant, took: Duration, what: &str) {
        if let Some((threshold, origin)) = self.slow
            && took >= threshold
        {
            let at = since.saturating_duration_since(origin).as_secs_f64();
            eprintln!("slow: +{at:.3} s {} {:.1} ms {what}", kind.name(), took.as_secs_f64() * 1000.0);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain counters behind: still worth reporting.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A request answered as expected, `since` the instant it was due (not merely sent, so that
    /// queueing in the generator under overload counts against the server, as a user sees it).
    pub fn ok(&self, kind: Kind, since: Instant) {
        let took = since.elapsed();
        self.note(kind, since, took, "ok");
        let us = micros(took);
        let mut g = self.lock();
        let _ = g.hist[kind.index()].record(us.clamp(1, MAX_US));
        g.done[kind.index()] += 1;
        g.ok[kind.index()] += 1;
    }

    /// A request that failed: `what` is `STATUS code` or `transport …`. Its latency is kept too
    /// when the server answered, since a slow refusal is still load the server carried.
    pub fn error(&self, kind: Kind, since: Instant, what: &str, answered: bool) {
        let took = since.elapsed();
        self.note(kind, since, took, what);
        let us = micros(took);
        let mut g = self.lock();
        if answered {
            let _ = g.hist[kind.index()].record(us.clamp(1, MAX_US));
            g.done[kind.index()] += 1;
        }
        *g.errors.entry(format!("{} {what}", kind.name())).or_default() += 1;
    }

    pub fn summary(&self, kind: Kind) -> Summary {
        summarize(&self.lock().hist[kind.index()])
    }

    /// Every request merged (connects are part of the requests that made them): the overall
    /// p50/p95/p99.
    pub fn overall(&self) -> Summary {
        let g = self.lock();
        let mut all = new_histogram();
        for k in Kind::requests() {
            let _ = all.add(&g.hist[k.index()]);
        }
        summarize(&all)
    }

    /// Everything recorded so far, to be merged elsewhere with [`Recorder::absorb`].
    pub fn snapshot(&self) -> Snapshot {
        let g = self.lock();
        Snapshot { hist: g.hist.iter().map(buckets).collect(), done: g.done, ok: g.ok, errors: g.errors.clone() }
    }

    /// Adds another recorder's snapshot to this one, as if its requests had been recorded here.
    pub fn absorb(&self, s: &Snapshot) -> Result<()> {
        if s.hist.len() > Kind::ALL.len() {
            bail!("a snapshot with {} histograms, not {}", s.hist.len(), Kind::ALL.len());
        }
        let mut g = self.lock();
        for (h, buckets) in g.hist.iter_mut().zip(&s.hist) {
            for &(value, count) in buckets {
                if value > MAX_US || h.record_n(value, count).is_err() {
                    bail!("a snapshot's latency {value} µs is outside the histograms' bounds");
                }
            }
        }
        for i in 0..Kind::ALL.len() {
            g.done[i] += s.done[i];
            g.ok[i] += s.ok[i];
        }
        for (what, n) in &s.errors {
            *g.errors.entry(what.clone()).or_default() += n;
        }
        Ok(())
    }

    /// Requests answered by the server, any status.
    pub fn answered(&self) -> u64 {
        let g = self.lock();
        Kind::requests().map(|k| g.done[k.index()]).sum()
    }

    pub fn ok_count(&self, kind: Kind) -> u64 {
        self.lock().ok[kind.index()]
    }

    pub fn errors(&self) -> BTreeMap<String, u64> {
        self.lock().errors.clone()
    }

    pub fn error_count(&self) -> u64 {
        self.lock().errors.values().sum()
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_a_known_distribution() {
        let mut h = new_histogram();
        // 1..=1000 ms: p50 ≈ 500 ms, p95 ≈ 950 ms, p99 ≈ 990 ms.
        for ms in 1..=1000u64 {
            h.record(ms * 1000).unwrap();
        }
        let s = summarize(&h);
        assert_eq!(s.count, 1000);
        assert!((s.p50_ms - 500.0).abs() <= 1.0, "{s:?}");
        assert!((s.p95_ms - 950.0).abs() <= 1.0, "{s:?}");
        assert!((s.p99_ms - 990.0).abs() <= 1.0, "{s:?}");
        assert!((s.max_ms - 1000.0).abs() <= 1.0, "{s:?}");
        assert!((s.mean_ms - 500.5).abs() <= 1.0, "{s:?}");
    }

    #[test]
    fn empty_histogram_summarises_to_zeros() {
        assert_eq!(summarize(&new_histogram()), Summary::default());
    }

    #[test]
    fn recorder_merges_kinds_and_counts_errors() {
        let r = Recorder::new();
        let t = Instant::now();
        r.ok(Kind::Save, t);
        r.ok(Kind::Start, t);
        r.error(Kind::Save, t, "409 past_deadline", true);
        r.error(Kind::Submit, t, "transport timeout", false);
        assert_eq!(r.overall().count, 3);
        assert_eq!(r.answered(), 3);
        assert_eq!(r.ok_count(Kind::Save), 1);
        assert_eq!(r.error_count(), 2);
        assert_eq!(r.errors().get("save 409 past_deadline"), Some(&1));
        assert_eq!(r.errors().get("submit transport timeout"), Some(&1));
    }

    #[test]
    fn connects_are_kept_apart_from_the_requests() {
        let r = Recorder::new();
        let t = Instant::now();
        r.ok(Kind::Save, t);
        r.ok(Kind::Connect, t - Duration::from_millis(300));
        assert_eq!((r.summary(Kind::Connect).count, r.overall().count, r.answered()), (1, 1, 1));
        assert!(r.summary(Kind::Connect).p99_ms >= 300.0 && r.overall().max_ms < 300.0, "{:?}", r.overall());
        // And travel between processes with the rest.
        let merged = Recorder::new();
        merged.absorb(&r.snapshot()).unwrap();
        assert_eq!(merged.summary(Kind::Connect), r.summary(Kind::Connect));
    }

    /// Latencies from 1 µs to past the 10-minute cap, spread over several orders of magnitude.
    fn samples(n: u64) -> Vec<u64> {
        (0..n).map(|i| 1 + (i * 7_919 % 1_000) * (i * 104_729 % 997).pow(2) + i % 13).collect()
    }

    #[test]
    fn merged_snapshots_give_the_percentiles_of_one_recorder_fed_everything() {
        let all = samples(30_000);
        let one = Recorder::new();
        let parts: Vec<Recorder> = (0..3).map(|_| Recorder::new()).collect();
        let feed = |r: &Recorder, us: u64| {
            let mut g = r.lock();
            g.hist[Kind::Save.index()].record(us.clamp(1, MAX_US)).unwrap();
            g.hist[Kind::Start.index()].record((us / 3).clamp(1, MAX_US)).unwrap();
            g.done[Kind::Save.index()] += 1;
            g.ok[Kind::Save.index()] += 1;
        };
        for (i, &us) in all.iter().enumerate() {
            feed(&one, us);
            feed(&parts[i % 3], us);
        }
        for r in [&one, &parts[1]] {
            r.error(Kind::Start, Instant::now(), "transport connect", false);
        }
        for r in [&one, &parts[0], &one, &parts[2]] {
            r.error(Kind::Save, Instant::now(), "transport timeout", false);
        }
        let merged = Recorder::new();
        for p in &parts {
            // Through JSON, as a child process sends it.
            let wire = serde_json::to_string(&p.snapshot()).unwrap();
            merged.absorb(&serde_json::from_str(&wire).unwrap()).unwrap();
        }
        for k in Kind::ALL {
            assert_eq!(merged.summary(k), one.summary(k), "{k:?}");
        }
        assert_eq!(merged.overall(), one.overall());
        assert_eq!(merged.snapshot(), one.snapshot());
        assert!(merged.summary(Kind::Save).max_ms > 100_000.0, "{:?}", merged.summary(Kind::Save));
        assert_eq!(merged.errors().get("save transport timeout"), Some(&2));
        assert_eq!(merged.errors().get("start transport connect"), Some(&1));
        assert_eq!((merged.answered(), merged.ok_count(Kind::Save)), (30_000, 30_000));
    }

    #[test]
    fn a_snapshot_out_of_bounds_is_refused() {
        let mut s = Recorder::new().snapshot();
        s.hist[0].push((MAX_US * 4, 1));
        assert!(Recorder::new().absorb(&s).is_err());
        let mut s = Recorder::new().snapshot();
        s.hist.push(Vec::new());
        assert!(Recorder::new().absorb(&s).is_err());
    }
}
