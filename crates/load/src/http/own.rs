//! One TCP connection per virtual user, as real phones hold them (the `connections` scenario).
//!
//! The shared keep-alive pool of [`crate::http::Api`] makes 20,000 takers look like a few hundred
//! connections: it measures the server's requests, not the cost of holding a socket per person.
//! Here each user opens its own connection when it starts, keeps it between answers, loses it now
//! and then as a phone losing its signal does, and opens a new one for the next request. The
//! sockets are bound to several loopback source addresses (127.0.0.2, 127.0.0.3, …) because one
//! source address has only the ephemeral port range (about 28,000 ports) towards one server port.
//!
//! The connection rides in a task-local ([`OWN`]) so that the participant's requests
//! (`Ctx::start`, `Ctx::save`, …) stay the same code whichever transport carries them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use tokio::net::TcpSocket;

use crate::think::Think;

tokio::task_local! {
    /// The connection of the virtual user whose task this is; absent, requests use the pool.
    pub static OWN: Arc<tokio::sync::Mutex<OwnConnection>>;
}

/// The loopback source addresses sockets are bound to: 127.0.0.2, 127.0.0.3, … (127.0.0.1 is
/// left to the shared pool and to anything else on the machine). Generator processes of one run
/// each take their own block of them (`first`), so that no two share a source address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    first: u32,
    count: u32,
}

impl Sources {
    /// At most 250, so that every address stays within 127.0.0.2..=127.0.0.251.
    pub const MAX: u32 = 250;

    /// `count` addresses from 127.0.0.(2 + first); clamped so that the block stays within the
    /// [`Sources::MAX`] addresses.
    pub fn block(first: u32, count: u32) -> Sources {
        let first = first.min(Sources::MAX - 1);
        Sources { first, count: count.clamp(1, Sources::MAX - first) }
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// The address of user `user` after `reopened` new connections: users are spread evenly
    /// over the addresses, and a phone back after a lost signal moves on to the next one, as a
    /// carrier's NAT often gives it another.
    pub fn for_user(&self, user: usize, reopened: u64) -> Ipv4Addr {
        let turn = (user as u64).wrapping_add(reopened) % u64::from(self.count);
        // first + turn < first + count ≤ 250, so 2 + first + turn fits in a byte.
        Ipv4Addr::new(127, 0, 0, 2 + u8::try_from(u64::from(self.first) + turn).unwrap_or(0))
    }
}

/// The counts of [`ConnStats`] at one moment, as plain numbers (a child process sends them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnCounts {
    pub opened: u64,
    pub reopened: u64,
    pub dropped: u64,
    pub closed_by_server: u64,
    pub connect_failed: u64,
    pub peak_open: u64,
    pub peak_users: u64,
}

/// Connection counts of a run, shared by every user.
#[derive(Default)]
pub struct ConnStats {
    pub opened: AtomicU64,
    /// Opened again after a lost signal.
    pub reopened: AtomicU64,
    /// Dropped by the user (a lost signal).
    pub dropped: AtomicU64,
    /// Found closed by the server when the user came back (its idle or header timeout).
    pub closed_by_server: AtomicU64,
    pub connect_failed: AtomicU64,
    open_now: AtomicU64,
    pub peak_open: AtomicU64,
    users_now: AtomicU64,
    pub peak_users: AtomicU64,
}

impl ConnStats {
    fn opened_one(&self) {
        let now = self.open_now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_open.fetch_max(now, Ordering::Relaxed);
    }

    fn closed_one(&self) {
        self.open_now.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a user in the middle of an attempt until the guard is dropped.
    pub fn taker(self: &Arc<Self>) -> TakerGuard {
        let now = self.users_now.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_users.fetch_max(now, Ordering::Relaxed);
        TakerGuard(self.clone())
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn counts(&self) -> ConnCounts {
        let get = ConnStats::get;
        ConnCounts {
            opened: get(&self.opened),
            reopened: get(&self.reopened),
            dropped: get(&self.dropped),
            closed_by_server: get(&self.closed_by_server),
            connect_failed: get(&self.connect_failed),
            peak_open: get(&self.peak_open),
            peak_users: get(&self.peak_users),
        }
    }

    /// Takers in the middle of an attempt and sockets open, now.
    pub fn now(&self) -> (u64, u64) {
        (self.users_now.load(Ordering::Relaxed), self.open_now.load(Ordering::Relaxed))
    }
}

/// A user counted as taking part, until dropped.
pub struct TakerGuard(Arc<ConnStats>);

impl Drop for TakerGuard {
    fn drop(&mut self) {
        self.0.users_now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a user does before its next answer: think, and perhaps lose the signal first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signal {
    pub think: Think,
    /// Chance, before each answer, that the connection is lost (0 ≤ p ≤ 1).
    pub drop_probability: f64,
}

/// One step of a user's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub pause: Duration,
    pub lose_signal: bool,
}

impl Signal {
    pub fn next(&self, rng: &mut StdRng) -> Step {
        let p = self.drop_probability.clamp(0.0, 1.0);
        let lose_signal = p > 0.0 && rng.random_bool(p);
        Step { pause: self.think.sample(rng), lose_signal }
    }
}

/// Told how long each connection took to open (from before the socket to the handshake done), so
/// that the phase's recorder keeps the connects apart from the requests they delay.
pub type OnConnect = Arc<dyn Fn(Instant) + Send + Sync>;

/// A user's own HTTP/1.1 connection, opened on first use and again after it was lost.
pub struct OwnConnection {
    target: SocketAddr,
    authority: Arc<str>,
    sources: Sources,
    user: usize,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Lost by the user: the next opening counts as a reopening.
    lost: bool,
    reopened: u64,
    stats: Arc<ConnStats>,
    on_connect: OnConnect,
}

impl OwnConnection {
    pub fn new(
        target: SocketAddr,
        authority: Arc<str>,
        sources: Sources,
        user: usize,
        stats: Arc<ConnStats>,
        on_connect: OnConnect,
    ) -> Self {
        OwnConnection { target, authority, sources, user, sender: None, lost: false, reopened: 0, stats, on_connect }
    }

    /// Connects from this user's source address.
    pub async fn open(&mut self) -> Result<(), String> {
        // Back after a lost signal: the next address, as if the carrier gave another.
        let source = self.sources.for_user(self.user, self.reopened + u64::from(self.lost));
        let began = Instant::now();
        let connect = async {
            let socket = TcpSocket::new_v4()?;
            socket.set_nodelay(true)?;
            socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
            socket.connect(self.target).await
        };
        let stream = match connect.await {
            Ok(s) => s,
            Err(e) => {
                self.stats.connect_failed.fetch_add(1, Ordering::Relaxed);
                return Err(format!("connect {}", e.kind()));
            }
        };
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("handshake {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        (self.on_connect)(began);
        self.sender = Some(sender);
        self.stats.opened_one();
        self.stats.opened.fetch_add(1, Ordering::Relaxed);
        if std::mem::take(&mut self.lost) {
            self.reopened += 1;
            self.stats.reopened.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The signal is lost: the connection is closed under the user.
    pub fn lose_signal(&mut self) {
        if self.sender.is_some() {
            self.close();
            self.lost = true;
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Closes the connection (dropping the sender ends its task, which closes the socket).
    pub fn close(&mut self) {
        if self.sender.take().is_some() {
            self.stats.closed_one();
        }
    }

    /// Sends one request (`req`'s URI a path) and reads the whole answer, opening the connection
    /// first if there is none or the server closed it meanwhile. A request that finds its kept
    /// connection closed by the server before any answer (the server's idle close crossing it on
    /// the wire) is sent once more on a new connection, as browsers do for a reused connection
    /// (Chromium's `ShouldResendRequest`): the server never saw it.
    pub async fn exchange(&mut self, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), String> {
        if self.sender.as_ref().is_some_and(SendRequest::is_closed) {
            self.close();
            self.stats.closed_by_server.fetch_add(1, Ordering::Relaxed);
        }
        let reused = self.sender.is_some();
        if !reused {
            self.open().await?;
        }
        let req = super::with_host(req, &self.authority);
        let again = reused.then(|| copy(&req));
        match self.send(req).await {
            Err(Sent::BeforeAnswer(_)) if again.is_some() => {
                self.stats.closed_by_server.fetch_add(1, Ordering::Relaxed);
                self.open().await?;
                let req = again.ok_or("not connected")?;
                self.send(req).await.map_err(Sent::into_message)
            }
            answer => answer.map_err(Sent::into_message),
        }
    }

    async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), Sent> {
        let Some(sender) = self.sender.as_mut() else { return Err(Sent::BeforeAnswer("not connected".into())) };
        let answered = async {
            sender.ready().await.map_err(|e| Sent::BeforeAnswer(super::short_error(&e)))?;
            let resp = sender.send_request(req).await.map_err(|e| Sent::BeforeAnswer(super::short_error(&e)))?;
            let status = resp.status();
            let body = resp.into_body().collect().await.map_err(|e| Sent::DuringAnswer(super::short_error(&e)))?;
            Ok((status, body.to_bytes()))
        };
        let answer = answered.await;
        if answer.is_err() {
            self.close();
        }
        answer
    }
}

/// How a request failed: before any answer came (the server may never have seen it), or while
/// its answer was read.
enum Sent {
    BeforeAnswer(String),
    DuringAnswer(String),
}

impl Sent {
    fn into_message(self) -> String {
        match self {
            Sent::BeforeAnswer(m) | Sent::DuringAnswer(m) => m,
        }
    }
}

/// A copy of a request to send again (its method, path, headers and body).
fn copy(req: &Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    let mut again = Request::new(req.body().clone());
    *again.method_mut() = req.method().clone();
    *again.uri_mut() = req.uri().clone();
    *again.headers_mut() = req.headers().clone();
    again
}

impl Drop for OwnConnection {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn users_are_spread_evenly_over_the_source_addresses() {
        let s = Sources::block(0, 8);
        let mut per = std::collections::BTreeMap::new();
        for u in 0..80_000 {
            *per.entry(s.for_user(u, 0)).or_insert(0) += 1;
        }
        assert_eq!(per.len(), 8);
        assert!(per.values().all(|&n| n == 10_000), "{per:?}");
        assert_eq!(per.keys().next(), Some(&Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(per.keys().last(), Some(&Ipv4Addr::new(127, 0, 0, 9)));
        // After a lost signal the user moves on to the next address, wrapping round.
        assert_eq!(s.for_user(7, 1), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(s.for_user(3, 2), Ipv4Addr::new(127, 0, 0, 7));
    }

    #[test]
    fn blocks_of_source_addresses_do_not_overlap() {
        let a = Sources::block(0, 2);
        let b = Sources::block(2, 2);
        let of = |s: &Sources| {
            (0..1000)
                .flat_map(|u| (0..4).map(move |r| (u, r)))
                .map(|(u, r)| s.for_user(u, r))
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(of(&a).into_iter().collect::<Vec<_>>(), [Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3)]);
        assert_eq!(of(&b).into_iter().collect::<Vec<_>>(), [Ipv4Addr::new(127, 0, 0, 4), Ipv4Addr::new(127, 0, 0, 5)]);
        // The last block ends at 127.0.0.251 whatever is asked.
        let last = Sources::block(249, 5);
        assert_eq!((last.count(), last.for_user(1, 0)), (1, Ipv4Addr::new(127, 0, 0, 251)));
        assert_eq!(Sources::block(400, 1).for_user(0, 0), Ipv4Addr::new(127, 0, 0, 251));
    }

    #[test]
    fn source_addresses_stay_on_loopback() {
        assert_eq!(Sources::block(0, 0).for_user(5, 0), Ipv4Addr::new(127, 0, 0, 2));
        let wide = Sources::block(0, 10_000);
        assert!((0..1000).all(|u| wide.for_user(u, 3).octets()[3] <= 251));
        assert!((0..1000).all(|u| wide.for_user(u, 0).is_loopback()));
    }

    #[test]
    fn signal_is_lost_at_the_given_rate_and_think_stays_in_range() {
        let mut rng = StdRng::seed_from_u64(7);
        let s = Signal { think: Think { min_ms: 30_000, max_ms: 90_000 }, drop_probability: 0.05 };
        let steps: Vec<Step> = (0..20_000).map(|_| s.next(&mut rng)).collect();
        let lost = steps.iter().filter(|st| st.lose_signal).count();
        assert!((800..1200).contains(&lost), "{lost}");
        assert!(steps.iter().all(|st| (30_000..=90_000).contains(&st.pause.as_millis())));
        let never = Signal { drop_probability: 0.0, ..s };
        assert!((0..1000).all(|_| !never.next(&mut rng).lose_signal));
        let always = Signal { drop_probability: 1.0, ..s };
        assert!((0..1000).all(|_| always.next(&mut rng).lose_signal));
    }

    #[test]
    fn peaks_follow_the_highest_count_at_once() {
        let stats = Arc::new(ConnStats::default());
        let a = stats.taker();
        let b = stats.taker();
        drop(a);
        let _c = stats.taker();
        drop(b);
        assert_eq!(ConnStats::get(&stats.peak_users), 2);
        stats.opened_one();
        stats.opened_one();
        stats.closed_one();
        stats.opened_one();
        assert_eq!(ConnStats::get(&stats.peak_open), 2);
    }
}
