//! The server's memory and CPU as Linux reports them in /proc, sampled during a run.
//!
//! CPU time tells what limits a figure: a server near 100% of its core is CPU-bound; one well
//! below it while latencies grow is waiting (on the SQLite writer, fsync, a lock).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Clock ticks per second of /proc/PID/stat: USER_HZ, 100 on every Linux architecture we run on.
const USER_HZ: f64 = 100.0;

/// Resident memory in kB, from the `VmRSS:` line of /proc/PID/status.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vmrss(&status)
}

fn parse_vmrss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU seconds of a process ("self" for this one).
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu(&stat)
}

fn parse_cpu(stat: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the
    // last ')'. utime and stime are fields 14 and 15, so 12th and 13th after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// Seconds the process's threads spent runnable but waiting for a CPU (field 2 of
/// /proc/PID/task/*/schedstat, ns). On a machine shared with a compiler this is the time other
/// processes took from the server: a run where it is large measured the neighbours too.
pub fn runqueue_wait_seconds(pid: &str) -> Option<f64> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        if let Ok(s) = std::fs::read_to_string(task.path().join("schedstat")) {
            total += s.split_whitespace().nth(1).and_then(|w| w.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    Some(total as f64 / 1e9)
}

/// Files the process holds open (sockets included): the entries of /proc/PID/fd. Reading them
/// costs about 0.2 µs per entry, some 20 ms at 100,000 sockets, hence a sample a second.
pub fn open_files(pid: u32) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

/// The soft limit on open files of this process ("Max open files" of /proc/self/limits); `None`
/// when unlimited or unreadable.
pub fn open_file_limit() -> Option<u64> {
    parse_open_file_limit(&std::fs::read_to_string("/proc/self/limits").ok()?)
}

fn parse_open_file_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

/// The highest value of one reading of a process (its RSS, its open files), taken at an interval
/// while the run lasts, until the process is gone.
pub struct PeakSampler {
    max: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl PeakSampler {
    /// The server's RSS in KB, every 200 ms.
    pub fn rss(pid: u32) -> PeakSampler {
        PeakSampler::start(pid, rss_kb, Duration::from_millis(200))
    }

    /// The server's open files, every second (a reading costs ~20 ms at 100,000 sockets).
    pub fn open_files(pid: u32) -> PeakSampler {
        PeakSampler::start(pid, open_files, Duration::from_secs(1))
    }

    fn start(pid: u32, read: fn(u32) -> Option<u64>, every: Duration) -> PeakSampler {
        let max = Arc::new(AtomicU64::new(read(pid).unwrap_or(0)));
        let m = max.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match read(pid) {
                    Some(v) => {
                        m.fetch_max(v, Ordering::Relaxed);
                    }
                    None => break, // the process is gone
                }
            }
        });
        PeakSampler { max, task }
    }

    /// Stops sampling and returns the highest reading.
    pub fn finish(self) -> u64 {
        self.task.abort();
        self.max.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_cpu_lines() {
        assert_eq!(parse_vmrss("Name:\tcuocthi\nVmPeak:\t 9 kB\nVmRSS:\t   52344 kB\n"), Some(52344));
        let stat = "4242 (cuocthi (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(parse_cpu(stat), Some(3.0));
        assert!(cpu_seconds("self").is_some());
        assert!(runqueue_wait_seconds("self").is_some());
    }

    #[test]
    fn reads_open_files_and_their_limit() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63704                63704                processes \n\
                      Max open files            20000                20000                files     \n";
        assert_eq!(parse_open_file_limit(limits), Some(20_000));
        assert_eq!(
            parse_open_file_limit("Max open files            unlimited            unlimited            files"),
            None
        );
        assert!(open_files(std::process::id()).is_some_and(|n| n >= 3));
    }
}
