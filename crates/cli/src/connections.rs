//! The server's client connections (kết nối): a phone keeps its connection between two answers,
//! and the server never holds more connections than its open-file limit allows.
//!
//! hyper's `header_read_timeout` starts as soon as a keep-alive connection waits for its next
//! request, so with it a phone thinking 30–90 s per question found its connection closed at every
//! answer and paid a new connect (and, behind a proxy, a new TLS handshake). Here the two waits are
//! told apart by watching the bytes that cross the socket ([`Watched`]): a request's head must
//! arrive within [`HEADER_TIMEOUT`] of its first byte (slow-header clients are still cut off), and
//! a connection that has answered may then wait [`Settings::idle`] for the next request.
//!
//! Every connection is one open file. When the connections reach [`Settings::capacity`] (from the
//! process's file limit, raised to its hard limit at start), the longest-idle ones are closed to
//! make room, as nginx reuses its keep-alive connections: a new participant is served, and an idle
//! one reconnects when it next answers, instead of the server failing to accept (EMFILE).

use std::collections::HashMap;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

/// A client must send a request's headers within this time of their first byte, and a new
/// connection its first request's within this time of being accepted.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Open files kept for everything but client connections: the store's pools, SQLite's files,
/// backups, logs.
const RESERVED_FILES: u64 = 1_024;
/// Connections the kernel may hold for the server before it accepts them (capped by
/// `net.core.somaxconn`). tokio's `TcpListener::bind` asks for 1,024: at 1,700 new connections a
/// second (100,000 phones, each reconnecting at each answer) that queue overflowed on a busy
/// server, and each connection dropped there waited for its SYN to be sent again, one second later.
const LISTEN_BACKLOG: u32 = 65_535;
/// How often timeouts are looked for (their granularity).
const REAP_EVERY: Duration = Duration::from_secs(1);

/// How long connections may wait, and how many may be open.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How long a connection that has answered may wait for its next request.
    pub idle: Duration,
    /// How long a request's head may take to arrive (see [`HEADER_TIMEOUT`]).
    pub header: Duration,
    /// Connections beyond which the longest-idle ones are closed.
    pub capacity: usize,
}

/// Raises the soft limit on open files to the hard limit (as nginx's `worker_rlimit_nofile` or
/// Go's runtime do: the hard limit is what the operator allowed, `LimitNOFILE=`), and returns the
/// limit now in force.
pub fn raise_file_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some() && limit.current != limit.maximum {
        let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(error = %e, "cannot raise the open-file limit to its hard limit");
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// The connections a file limit leaves room for: all but [`RESERVED_FILES`], and at least half.
pub fn capacity_for(file_limit: u64) -> usize {
    let room = file_limit.saturating_sub(RESERVED_FILES).max(file_limit / 2).max(1);
    usize::try_from(room).unwrap_or(usize::MAX)
}

/// Why the server closed a connection (the `reason` label of
/// `cuocthi_http_connections_closed_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    /// A request's head (or a new connection's first request) did not arrive in time.
    Header,
    /// No request came within the idle timeout.
    Idle,
    /// Room was needed for a new connection.
    Room,
}

impl Reason {
    fn label(self) -> &'static str {
        match self {
            Reason::Header => "header_timeout",
            Reason::Idle => "idle_timeout",
            Reason::Room => "room_needed",
        }
    }
}

/// Where a connection stands, as seen from its bytes.
const HEAD: u8 = 0;
/// A request's head has arrived: its body is read and it is answered, with no time limit.
const BUSY: u8 = 1;
/// The answer has begun: waiting for the next request.
const IDLE: u8 = 2;
/// HTTP/2 (prior knowledge): requests are multiplexed, so only silence counts.
const H2: u8 = 3;

/// One connection's state, shared by its socket wrapper, its task and the registry.
struct Control {
    state: AtomicU8,
    /// When the current request head began (state `HEAD`), in ms since the registry started.
    head_since: AtomicU64,
    /// When a byte last crossed the socket, in ms since the registry started.
    last: AtomicU64,
    closing: AtomicBool,
    close: Notify,
}

impl Control {
    fn close(&self, reason: Reason) {
        if !self.closing.swap(true, Ordering::AcqRel) {
            metrics::counter!("cuocthi_http_connections_closed_total", "reason" => reason.label()).increment(1);
            self.close.notify_one();
        }
    }
}

struct Registry {
    settings: Settings,
    epoch: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Control>>>,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// The server's open client connections.
#[derive(Clone)]
pub struct Connections {
    registry: Arc<Registry>,
}

/// A connection's place in the registry; dropping it (when the connection's task ends) frees it.
pub struct Admitted {
    id: u64,
    control: Arc<Control>,
    registry: Arc<Registry>,
}

impl Admitted {
    /// Resolves when the server decides to close this connection (a timeout, or room needed).
    pub async fn closed(&self) {
        self.control.close.notified().await;
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.registry.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.remove(&self.id);
        metrics::gauge!("cuocthi_http_connections_open").set(open.len() as f64);
    }
}

impl Connections {
    pub fn new(settings: Settings) -> Self {
        let registry =
            Registry { settings, epoch: Instant::now(), next_id: AtomicU64::new(0), open: Mutex::new(HashMap::new()) };
        Connections { registry: Arc::new(registry) }
    }

    /// Registers a newly accepted connection, closing the longest-idle ones if there is no room
    /// for it, and wraps its socket so that its requests and silences are seen.
    pub fn admit<T>(&self, io: T) -> (Watched<T>, Admitted) {
        let r = &self.registry;
        let now = r.now_ms();
        let control = Arc::new(Control {
            state: AtomicU8::new(HEAD),
            head_since: AtomicU64::new(now),
            last: AtomicU64::new(now),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        let id = r.next_id.fetch_add(1, Ordering::Relaxed);
        let mut open = r.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.insert(id, control.clone());
        if open.len() > r.settings.capacity {
            make_room(&open, r.settings.capacity);
        }
        metrics::gauge!("cuocthi_http_connections_open").set(open.len() as f64);
        drop(open);
        let watched = Watched { io, control: control.clone(), registry: r.clone(), crlf: 0, first: true };
        (watched, Admitted { id, control, registry: r.clone() })
    }

    /// How many connections are open now.
    pub fn open(&self) -> usize {
        self.registry.open.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Closes, every second, the connections whose head or whose idle wait took too long.
    pub async fn reap_forever(self) {
        let mut tick = tokio::time::interval(REAP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.reap();
        }
    }

    fn reap(&self) {
        let r = &self.registry;
        let now = r.now_ms();
        let header = u64::try_from(r.settings.header.as_millis()).unwrap_or(u64::MAX);
        let idle = u64::try_from(r.settings.idle.as_millis()).unwrap_or(u64::MAX);
        let open = r.open.lock().unwrap_or_else(PoisonError::into_inner);
        for c in open.values() {
            match c.state.load(Ordering::Acquire) {
                HEAD if now.saturating_sub(c.head_since.load(Ordering::Acquire)) > header => c.close(Reason::Header),
                IDLE | H2 if now.saturating_sub(c.last.load(Ordering::Acquire)) > idle => c.close(Reason::Idle),
                _ => {}
            }
        }
    }
}

/// Listens on `addr` (`127.0.0.1:8080`, `[::]:8080`, `localhost:8080`) with a backlog of
/// [`LISTEN_BACKLOG`].
pub async fn listen(addr: &str) -> std::io::Result<TcpListener> {
    let mut last = None;
    for at in tokio::net::lookup_host(addr).await? {
        let socket = if at.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        match socket.bind(at).and_then(|()| socket.listen(LISTEN_BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address to listen on")))
}

/// Accepts and serves connections until `stop` resolves, then lets the requests in flight finish
/// (10 s at most).
pub async fn serve(listener: TcpListener, app: axum::Router, connections: Connections, stop: impl Future<Output = ()>) {
    let reaper = tokio::spawn(connections.clone().reap_forever());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The head's time limit is kept here (`Watched`), not by hyper: hyper's would also close a
    // keep-alive connection waiting for its next request.
    builder.http1().header_read_timeout(None);
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(s) => s,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little instead of spinning.
                        tracing::warn!(error = %e, open = connections.open(), "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (io, admitted) = connections.admit(stream);
                // The peer address goes with each request (sign-in throttling reads it).
                let service = TowerToHyperService::new(app.clone().map_request(move |mut req: axum::http::Request<_>| {
                    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    req
                }));
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    tokio::select! {
                        _ = conn => {}
                        () = admitted.closed() => {}
                    }
                });
            }
            () = &mut stop => break,
        }
    }
    reaper.abort();
    tracing::info!("stopping: finishing requests in flight");
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections did not finish in time");
    }
}

/// Closes the longest-idle connections until a twentieth of the capacity is free (so that the
/// scan runs once per many new connections, not at each).
fn make_room(open: &HashMap<u64, Arc<Control>>, capacity: usize) {
    let target = capacity - capacity / 20;
    let excess = open.len().saturating_sub(target);
    let mut idle: Vec<(u64, &Arc<Control>)> = open
        .values()
        .filter(|c| c.state.load(Ordering::Acquire) == IDLE && !c.closing.load(Ordering::Acquire))
        .map(|c| (c.last.load(Ordering::Acquire), c))
        .collect();
    if idle.is_empty() {
        tracing::warn!(open = open.len(), capacity, "connections at capacity and none idle to close");
        return;
    }
    let n = excess.min(idle.len());
    if n < idle.len() {
        idle.select_nth_unstable_by_key(n, |(last, _)| *last);
    }
    for (_, c) in &idle[..n] {
        c.close(Reason::Room);
    }
}

/// A socket whose reads and writes tell its connection's state: the first byte of a request
/// starts its head's clock, the blank line ending the head stops it, the first byte of the answer
/// starts the idle wait.
pub struct Watched<T> {
    io: T,
    control: Arc<Control>,
    registry: Arc<Registry>,
    /// How much of "\r\n\r\n" the last bytes read have matched.
    crlf: u8,
    first: bool,
}

impl<T> Watched<T> {
    fn saw_read(&mut self, bytes: &[u8]) {
        let c = &self.control;
        let now = self.registry.now_ms();
        c.last.store(now, Ordering::Release);
        if std::mem::take(&mut self.first) && bytes.starts_with(b"PRI ") {
            c.state.store(H2, Ordering::Release);
            return;
        }
        match c.state.load(Ordering::Acquire) {
            IDLE => {
                c.head_since.store(now, Ordering::Release);
                c.state.store(HEAD, Ordering::Release);
                self.crlf = 0;
            }
            HEAD => {}
            _ => return,
        }
        for &b in bytes {
            self.crlf = match (self.crlf, b) {
                (0 | 2, b'\r') | (1 | 3, b'\n') => self.crlf + 1,
                (_, b'\r') => 1,
                _ => 0,
            };
            if self.crlf == 4 {
                c.state.store(BUSY, Ordering::Release);
                return;
            }
        }
    }

    fn saw_write(&self, first: &[u8]) {
        let c = &self.control;
        c.last.store(self.registry.now_ms(), Ordering::Release);
        // An interim answer (100 Continue) comes before the request's body, not after the request.
        if c.state.load(Ordering::Acquire) != H2 && !first.starts_with(b"HTTP/1.1 1") {
            c.state.store(IDLE, Ordering::Release);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let this = &mut *self;
            this.saw_read(&buf.filled()[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.saw_write(buf);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
            self.saw_write(first);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    /// A server answering "ok" at `/`, with these limits; its address.
    async fn server(idle: Duration, header: Duration, capacity: usize) -> std::net::SocketAddr {
        let listener = listen("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let connections = Connections::new(Settings { idle, header, capacity });
        tokio::spawn(serve(listener, app, connections, std::future::pending()));
        addr
    }

    /// Sends one request on `s` and reads its whole answer (a two-byte body).
    async fn ask(s: &mut TcpStream) -> std::io::Result<String> {
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await?;
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !got.ends_with(b"\r\n\r\nok") {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            got.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8_lossy(&got).into_owned())
    }

    /// Whether the server has closed `s` (reads end of file, or a reset), waiting up to 3 s.
    async fn closed_by_server(s: &mut TcpStream) -> bool {
        let mut buf = [0u8; 64];
        match tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => true,
            Ok(Ok(_)) | Err(_) => false,
        }
    }

    #[tokio::test]
    async fn a_connection_waits_for_its_next_request_longer_than_a_head_may_take() {
        let addr = server(Duration::from_secs(30), Duration::from_millis(300), 100).await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        assert!(ask(&mut s).await.expect("first answer").starts_with("HTTP/1.1 200"));
        // Hyper's header timeout closed such a connection after its limit; the idle wait is longer.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        assert!(ask(&mut s).await.expect("the same connection answers again").starts_with("HTTP/1.1 200"));
    }

    #[tokio::test]
    async fn a_connection_idle_past_the_idle_timeout_is_closed() {
        let addr = server(Duration::from_secs(1), Duration::from_secs(10), 100).await;
        let mut s = TcpStream::connect(addr).await.expect("connect");
        ask(&mut s).await.expect("answer");
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        assert!(closed_by_server(&mut s).await);
    }

    #[tokio::test]
    async fn a_slow_head_and_a_silent_connection_are_cut_off() {
        let addr = server(Duration::from_secs(30), Duration::from_millis(300), 100).await;
        let mut slow = TcpStream::connect(addr).await.expect("connect");
        slow.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n").await.expect("write");
        let mut silent = TcpStream::connect(addr).await.expect("connect");
        // After one answer, the next request's head has the same limit from its first byte.
        let mut again = TcpStream::connect(addr).await.expect("connect");
        ask(&mut again).await.expect("answer");
        again.write_all(b"GET / HTT").await.expect("write");
        assert!(closed_by_server(&mut slow).await);
        assert!(closed_by_server(&mut silent).await);
        assert!(closed_by_server(&mut again).await);
    }

    #[tokio::test]
    async fn the_longest_idle_connection_makes_room_for_a_new_one() {
        let addr = server(Duration::from_secs(30), Duration::from_secs(10), 4).await;
        let mut idle = Vec::new();
        for _ in 0..3 {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            ask(&mut s).await.expect("answer");
            idle.push(s);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A request half sent is not idle: it is never closed for room.
        let mut busy = TcpStream::connect(addr).await.expect("connect");
        busy.write_all(b"GET / HTTP/1.1\r\n").await.expect("write");
        let mut new = TcpStream::connect(addr).await.expect("connect");
        assert!(ask(&mut new).await.expect("the new connection is served").starts_with("HTTP/1.1 200"));
        assert!(closed_by_server(&mut idle[0]).await, "the longest idle is closed");
        busy.write_all(b"Host: t\r\n\r\n").await.expect("write");
        let mut buf = [0u8; 256];
        let n = busy.read(&mut buf).await.expect("the half-sent request is answered");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        for s in &mut idle[1..] {
            assert!(ask(s).await.expect("the others still answer").starts_with("HTTP/1.1 200"));
        }
    }

    #[tokio::test]
    async fn the_server_listens_on_a_name_or_an_address() {
        for addr in ["localhost:0", "127.0.0.1:0"] {
            let listener = listen(addr).await.expect(addr);
            let at = listener.local_addr().expect("address");
            assert!(at.ip().is_loopback() && at.port() != 0, "{addr} → {at}");
        }
        assert!(listen("127.0.0.1:99999").await.is_err(), "a port out of range is refused");
    }

    #[test]
    fn the_capacity_leaves_the_store_its_files() {
        assert_eq!(capacity_for(20_000), 18_976);
        assert_eq!(capacity_for(1_024), 512);
        assert_eq!(capacity_for(262_144), 261_120);
    }
}
