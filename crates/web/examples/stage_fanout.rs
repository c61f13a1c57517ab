//! The stage's fan-out: how long a control step takes to reach 1,000 open projector and
//! scoreboard pages (issue 14 asks p99 ≤ 1 s on one node).
//!
//! `ulimit -n 8192; cargo run --release -p cuocthi-web --example stage_fanout -- [N] [STEPS]`
//! serves the real application on 127.0.0.1 (its own runtime and threads) over a fresh SQLite
//! database in a temporary folder (or `CUOCTHI_DATABASE_URL`) with the demo contests, registers
//! three teams and the knowledge round's sets of seed 002's event, signs an MC in, opens `N`
//! (default 1,000) server-sent-event streams of `/su-kien/{slug}/truc-tiep` over plain TCP, waits
//! for each to receive the current state, then posts `STEPS` (default 30) control steps one
//! after another (a team on stage, its lot, questions, marks, reveals, the scoreboard: the real
//! flow) and, for each, waits until every stream has the new state. The delay measured is from
//! the moment the control POST is sent to the moment a client has read the event carrying the
//! step's version. The last line is JSON.
//!
//! Against a server already running elsewhere: `CUOCTHI_BASE_URL=http://host:port`,
//! `CUOCTHI_STAGE_SLUG` and `CUOCTHI_STAGE_COOKIE=ct_quantri=…` (a signed-in MC or secretary;
//! its teams and sets prepared), and the steps alternate the scoreboard and the waiting screen.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cuocthi_engine::console::event::MemberInput;
use cuocthi_engine::console::{SignIn, Staff};
use cuocthi_engine::{Engine, Role, Store, SystemClock};
use cuocthi_store::{ConsoleStore, SqlStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

const PASSWORD: &str = "mat-khau-do-hieu-nang-2026";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SLUG: &str = "chuyen-doi-so-nhan-thuc-va-hanh-dong-dak-nong-2023";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let steps: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(30);
    let external = std::env::var("CUOCTHI_BASE_URL").ok();
    let (addr, slug, cookie, flow, _server) = match external {
        Some(url) => {
            let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
            let slug = std::env::var("CUOCTHI_STAGE_SLUG")?;
            let cookie = std::env::var("CUOCTHI_STAGE_COOKIE")?;
            (addr, slug, cookie, Vec::new(), None)
        }
        None => {
            let (addr, cookie, teams, server) = serve()?;
            (addr.to_string(), SLUG.to_string(), cookie, flow_of(&teams), Some(server))
        }
    };
    let clients = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    clients.block_on(measure(&addr, &slug, &cookie, n, steps, &flow))
}

/// The real flow of control steps: each team on stage, its lot, three questions marked and
/// revealed, the scoreboard.
fn flow_of(teams: &[i64]) -> Vec<Vec<(String, String)>> {
    let s = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut flow = Vec::new();
    for team in teams {
        let team = team.to_string();
        flow.push(s(&[("buoc", "len-san-khau"), ("doi", &team), ("phan", "kien-thuc")]));
        flow.push(s(&[("buoc", "boc-tham")]));
        for mark in ["dung", "sai", "dung"] {
            flow.push(s(&[("buoc", "cau-tiep")]));
            flow.push(s(&[("buoc", mark)]));
            flow.push(s(&[("buoc", "dap-an")]));
        }
        flow.push(s(&[("buoc", "bang-diem")]));
    }
    flow
}

/// The application on its own runtime (two threads of its own, as a small server has), with the
/// demo contests, three teams, the knowledge round's sets and an MC; its address, the MC's
/// cookie and the teams.
fn serve() -> Result<(SocketAddr, String, Vec<i64>, std::thread::JoinHandle<()>), BoxError> {
    let (tx, rx) = std::sync::mpsc::channel::<Result<(SocketAddr, String, Vec<i64>), String>>();
    let handle = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return drop(tx.send(Err(e.to_string()))),
        };
        rt.block_on(async move {
            match prepare().await {
                Ok((engine, cookie, teams)) => {
                    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                        Ok(l) => l,
                        Err(e) => return drop(tx.send(Err(e.to_string()))),
                    };
                    let addr = listener.local_addr().map_err(|e| e.to_string());
                    let _ = tx.send(addr.map(|a| (a, cookie, teams)));
                    let app = cuocthi_web::router(engine).into_make_service_with_connect_info::<SocketAddr>();
                    if let Err(e) = axum::serve(listener, app).await {
                        eprintln!("server: {e}");
                    }
                }
                Err(e) => drop(tx.send(Err(e.to_string()))),
            }
        });
    });
    let (addr, cookie, teams) = rx.recv()??;
    Ok((addr, cookie, teams, handle))
}

async fn prepare() -> Result<(Engine, String, Vec<i64>), BoxError> {
    let url = match std::env::var("CUOCTHI_DATABASE_URL") {
        Ok(u) => u,
        Err(_) => {
            let dir = std::env::temp_dir().join(format!("cuocthi-stage-fanout-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite:{}", dir.join("bench.db").display())
        }
    };
    let store = Arc::new(SqlStore::connect(&url).await?);
    store.migrate().await?;
    let engine = Engine::new(store.clone() as Arc<dyn Store>, Arc::new(SystemClock)).await?;
    cuocthi_engine::demo::load(&engine).await?;
    let admin = Staff {
        account_id: 0,
        username: "bench".into(),
        full_name: "bench".into(),
        system_admin: true,
        has_totp: true,
        grants: vec![],
        session: String::new(),
    };
    let members = [MemberInput { name: "Nguyễn Văn An".into(), position: "Chuyên viên".into(), captain: true }];
    let mut teams = Vec::new();
    for unit in ["gia-nghia", "cu-jut", "dak-mil"] {
        teams.push(engine.save_team(&admin, SLUG, unit, "", &members).await?.id);
    }
    engine.prepare_question_sets(&admin, SLUG, "kien-thuc", None).await?;
    let username = "bench-mc";
    engine.create_account(username, PASSWORD.into(), Role::Viewer).await?;
    let id = store.account_by_username(username).await?.map(|a| a.id).unwrap_or_default();
    let c = store.contest_by_slug(SLUG).await?.ok_or("no seed 002")?;
    store.insert_grant(id, c.contest.id, Role::Mc.as_str(), "", engine.now()).await?;
    // Every account needs its authenticator app (the console's default): one, and its code now.
    store.set_totp_secret(id, Some(TOTP_SECRET)).await?;
    let code = Engine::totp_code(TOTP_SECRET, engine.now()).ok_or("no code")?;
    let session =
        engine.sign_in(SignIn { username, password: PASSWORD, code: Some(&code), address: "127.0.0.1" }).await?;
    Ok((engine, format!("ct_quantri={}", session.token), teams))
}

/// Reads chunked HTTP and hands each decoded byte run on; the chunk sizes are not part of it.
#[derive(Default)]
struct Chunked {
    raw: Vec<u8>,
    left: usize,
    in_body: bool,
}

impl Chunked {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.raw.extend_from_slice(bytes);
        loop {
            if !self.in_body {
                let Some(end) = find(&self.raw, b"\r\n\r\n") else { return };
                self.raw.drain(..end + 4);
                self.in_body = true;
            }
            if self.left == 0 {
                let Some(end) = find(&self.raw, b"\r\n") else { return };
                let line = String::from_utf8_lossy(&self.raw[..end]).to_string();
                self.raw.drain(..end + 2);
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                if size == 0 {
                    continue;
                }
                self.left = size + 2; // the chunk and its CRLF
            }
            let take = self.left.min(self.raw.len());
            if take == 0 {
                return;
            }
            let chunk: Vec<u8> = self.raw.drain(..take).collect();
            self.left -= take;
            // Leave out the chunk's trailing CRLF.
            let keep = if self.left < 2 { chunk.len().saturating_sub(2 - self.left) } else { chunk.len() };
            out.extend_from_slice(&chunk[..keep]);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One stream: sends `(client, version, when)` for every state event read.
async fn client(i: usize, addr: String, slug: String, seen: mpsc::UnboundedSender<(usize, i64, Instant)>) {
    let Ok(mut s) = TcpStream::connect(&addr).await else {
        eprintln!("client {i}: cannot connect");
        return;
    };
    let req = format!(
        "GET /su-kien/{slug}/truc-tiep HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nAccept-Encoding: gzip\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).await.is_err() {
        return;
    }
    let mut dechunk = Chunked::default();
    let (mut text, mut buf) = (Vec::new(), vec![0u8; 16 * 1024]);
    loop {
        let Ok(n) = s.read(&mut buf).await else { return };
        if n == 0 {
            return;
        }
        let at = Instant::now();
        dechunk.feed(&buf[..n], &mut text);
        while let Some(end) = find(&text, b"\n\n") {
            let event: Vec<u8> = text.drain(..end + 2).collect();
            let event = String::from_utf8_lossy(&event);
            if let Some(id) = event.lines().find_map(|l| l.strip_prefix("id: "))
                && let Ok(v) = id.trim().parse::<i64>()
            {
                let _ = seen.send((i, v, at));
            }
        }
    }
}

/// One control step over its own connection; the status code.
async fn post(addr: &str, slug: &str, cookie: &str, form: &[(String, String)]) -> Result<u16, BoxError> {
    let body: String = form.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let req = format!(
        "POST /admin/cuoc-thi/{slug}/san-khau HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nSec-Fetch-Site: same-origin\r\n\
         Origin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(req.as_bytes()).await?;
    let mut head = Vec::new();
    s.read_to_end(&mut head).await?;
    let text = String::from_utf8_lossy(&head);
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    // A step taken answers with the control page again; anything else (the sign-in, the second
    // factor's set-up) is not a step.
    let to_control = text.lines().any(|l| l.to_ascii_lowercase().starts_with("location:") && l.ends_with("/san-khau"));
    Ok(if to_control { status } else { status.max(1) * 1000 })
}

/// The nearest-rank percentile `p` (a whole number, 1 to 100) of sorted values.
fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len()).div_ceil(100);
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn measure(
    addr: &str,
    slug: &str,
    cookie: &str,
    n: usize,
    steps: usize,
    flow: &[Vec<(String, String)>],
) -> Result<(), BoxError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let opened = Instant::now();
    for i in 0..n {
        tokio::spawn(client(i, addr.to_string(), slug.to_string(), tx.clone()));
        if i % 100 == 99 {
            tokio::task::yield_now().await;
        }
    }
    drop(tx);
    // Every stream first receives the current state.
    let mut latest: HashMap<usize, i64> = HashMap::new();
    let connect_deadline = Instant::now() + Duration::from_secs(60);
    while latest.len() < n && Instant::now() < connect_deadline {
        if let Ok(Some((i, v, _))) = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
            latest.insert(i, v);
        }
    }
    eprintln!("{} of {n} streams open in {:.1} s", latest.len(), opened.elapsed().as_secs_f64());
    let mut version = latest.values().copied().max().unwrap_or(0);
    let alternate =
        [vec![("buoc".to_string(), "bang-diem".to_string())], vec![("buoc".to_string(), "cho".to_string())]];
    let mut delays_ms: Vec<f64> = Vec::new();
    let mut posts_ms: Vec<f64> = Vec::new();
    let mut missed = 0usize;
    for k in 0..steps {
        let form = if flow.is_empty() { &alternate[k % 2] } else { &flow[k % flow.len()] };
        let sent = Instant::now();
        let status = post(addr, slug, cookie, form).await?;
        posts_ms.push(sent.elapsed().as_secs_f64() * 1000.0);
        if status != 303 {
            eprintln!("step {k} {form:?}: HTTP {status}");
            continue;
        }
        version += 1;
        let mut got = 0usize;
        let until = Instant::now() + Duration::from_secs(5);
        while got < latest.len() && Instant::now() < until {
            match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                Ok(Some((_, v, at))) if v == version => {
                    got += 1;
                    delays_ms.push(at.duration_since(sent).as_secs_f64() * 1000.0);
                }
                Ok(Some(_)) | Err(_) => {}
                Ok(None) => break,
            }
        }
        missed += latest.len() - got;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    delays_ms.sort_by(f64::total_cmp);
    posts_ms.sort_by(f64::total_cmp);
    let (p50, p99, max) = (percentile(&delays_ms, 50), percentile(&delays_ms, 99), percentile(&delays_ms, 100));
    eprintln!(
        "{} deliveries of {steps} steps to {} streams: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms; \
         {missed} missed; the control POST itself p50 {:.1} ms",
        delays_ms.len(),
        latest.len(),
        percentile(&posts_ms, 50)
    );
    println!(
        "{{\"streams\":{},\"steps\":{steps},\"deliveries\":{},\"missed\":{missed},\"p50_ms\":{p50:.1},\"p99_ms\":{p99:.1},\"max_ms\":{max:.1},\"post_p50_ms\":{:.1}}}",
        latest.len(),
        delays_ms.len(),
        percentile(&posts_ms, 50)
    );
    Ok(())
}
