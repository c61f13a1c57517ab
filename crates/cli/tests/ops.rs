//! The server as an operator runs it (issue 15): one configuration file under the environment and
//! the command line, unknown keys refused; JSON logs that carry the route, status, latency and
//! request id and never a person's data, on SQLite and PostgreSQL; `/metrics` on its own listener
//! and not on the public port.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cuocthi_testkit::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_cuocthi");

/// Every variable of the server's settings, so that the test's own environment does not leak in.
const SETTINGS: [&str; 18] = [
    "CUOCTHI_CONFIG",
    "CUOCTHI_DATABASE_URL",
    "CUOCTHI_LOG_FORMAT",
    "CUOCTHI_LOG_JSON",
    "CUOCTHI_LISTEN",
    "CUOCTHI_DEMO",
    "CUOCTHI_FRAME_ANCESTORS",
    "CUOCTHI_PUBLIC_URL",
    "CUOCTHI_TRUSTED_PROXIES",
    "CUOCTHI_MAX_IN_FLIGHT",
    "CUOCTHI_IDLE_TIMEOUT",
    "CUOCTHI_MAX_CONNECTIONS",
    "CUOCTHI_WITHOUT_SECOND_FACTOR",
    "CUOCTHI_BACKUP_DIR",
    "CUOCTHI_BACKUP_EVERY",
    "CUOCTHI_BACKUP_KEEP",
    "CUOCTHI_METRICS_LISTEN",
    "CUOCTHI_METRICS_TOKEN",
];

fn cuocthi(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    for v in SETTINGS {
        c.env_remove(v);
    }
    c.args(args).envs(env.iter().copied()).env("CUOCTHI_LOG", "warn").output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

#[test]
fn the_command_line_beats_the_environment_which_beats_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cuocthi.toml");
    std::fs::write(
        &file,
        "listen = \"10.0.0.1:8001\"\ndemo = true\n\n[backup]\ndir = \"/var/lib/cuocthi/backups\"\nkeep = 3\n\n\
         [metrics]\nlisten = \"127.0.0.1:9464\"\ntoken = \"mot-chuoi-bi-mat-rat-dai\"\n",
    )
    .unwrap();
    let f = path(&file);

    let defaults = cuocthi(&["config", "show"], &[]);
    assert!(defaults.status.success(), "{}", text(&defaults));
    for line in ["listen = \"127.0.0.1:8080\"", "keep = 14", "every = \"6h\"", "format = \"text\"", "demo = false"] {
        assert!(text(&defaults).contains(line), "{line}: {}", text(&defaults));
    }

    let from_file = cuocthi(&["--config", f, "config", "show"], &[]);
    assert!(from_file.status.success(), "{}", text(&from_file));
    for line in ["listen = \"10.0.0.1:8001\"", "keep = 3", "dir = \"/var/lib/cuocthi/backups\"", "demo = true"] {
        assert!(text(&from_file).contains(line), "{line}: {}", text(&from_file));
    }
    assert!(!text(&from_file).contains("mot-chuoi-bi-mat-rat-dai"), "the token is never printed");

    let env = [("CUOCTHI_LISTEN", "10.0.0.2:8002"), ("CUOCTHI_BACKUP_KEEP", "5"), ("CUOCTHI_LOG_FORMAT", "json")];
    let over_file = cuocthi(&["--config", f, "config", "show"], &env);
    assert!(over_file.status.success(), "{}", text(&over_file));
    for line in ["listen = \"10.0.0.2:8002\"", "keep = 5", "format = \"json\"", "dir = \"/var/lib/cuocthi/backups\""] {
        assert!(text(&over_file).contains(line), "{line}: {}", text(&over_file));
    }

    let over_env = cuocthi(&["--config", f, "config", "show", "--listen", "10.0.0.3:8003"], &env);
    assert!(text(&over_env).contains("listen = \"10.0.0.3:8003\""), "{}", text(&over_env));
    assert!(text(&over_env).contains("keep = 5"), "{}", text(&over_env));

    // The file's location may come from the environment too.
    let by_env = cuocthi(&["config", "show"], &[("CUOCTHI_CONFIG", f)]);
    assert!(text(&by_env).contains("listen = \"10.0.0.1:8001\""), "{}", text(&by_env));

    // The documented example, every key commented out, is a valid file that changes nothing.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/cuocthi.toml.example");
    let out = cuocthi(&["--config", path(&example), "config", "show"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("listen = \"127.0.0.1:8080\""), "{}", text(&out));
}

#[test]
fn unknown_keys_and_bad_values_in_the_file_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cuocthi.toml");
    for (body, expected) in [
        ("[backup]\ndri = \"/srv/sao-luu\"\n", "dri"),
        ("listne = \"0.0.0.0:80\"\n", "listne"),
        ("[metrics]\nlisten = \"127.0.0.1:9464\"\nport = 9464\n", "port"),
        ("[backup]\nkeep = \"nhiều\"\n", "keep"),
        ("[backup]\nevery = \"6 giờ\"\n", "6 giờ"),
    ] {
        std::fs::write(&file, body).unwrap();
        for args in [vec!["--config", path(&file), "config", "show"], vec!["--config", path(&file), "serve"]] {
            let out = cuocthi(&args, &[("CUOCTHI_DATABASE_URL", "sqlite:///khong/duoc/mo.db")]);
            assert!(!out.status.success(), "{body} accepted");
            assert!(text(&out).contains(expected), "{body}: {}", text(&out));
            assert!(text(&out).contains("cuocthi.toml"), "names the file: {}", text(&out));
        }
    }
    // An idle timeout shorter than the stage's keep-alive (15 s) would cut its event streams.
    for bad in ["5", "3601"] {
        let out = cuocthi(&["config", "show", "--idle-timeout", bad], &[]);
        assert!(!out.status.success(), "--idle-timeout {bad} is refused");
    }
    let kept = cuocthi(&["config", "show", "--idle-timeout", "90"], &[]);
    assert!(text(&kept).contains("idle_timeout = 90"), "{}", text(&kept));
    let missing = cuocthi(&["--config", "/khong/co/tep.toml", "config", "show"], &[]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("không đọc được tệp cấu hình"), "{}", text(&missing));
    // A metrics token too short to be a secret stops the server before it listens.
    let db = dir.path().join("khong-duoc-tao.db");
    let url = format!("sqlite://{}", db.display());
    let env = [("CUOCTHI_DATABASE_URL", url.as_str())];
    let out = cuocthi(&["serve", "--demo", "--listen", "127.0.0.1:0", "--metrics-token", "ngan"], &env);
    assert!(!out.status.success());
    assert!(text(&out).contains("ít nhất 16 ký tự"), "{}", text(&out));
    assert!(!db.exists(), "refused before the store is opened");
}

/// A free loopback port (the listener is closed at once; the server binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP/1.1 request: the status and the body.
fn http(port: u16, method: &str, target: &str, content_type: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, answer)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const PASSWORD: &str = "mat-khau-cua-ban-to-chuc-2026";

async fn logs_carry_requests_and_never_personal_data(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let env = [("CUOCTHI_DATABASE_URL", db.url.as_str()), ("CUOCTHI_ADMIN_PASSWORD", PASSWORD)];
    let out = cuocthi(&["admin", "create", "--username", "btc-nhat-ky", "--role", "organiser"], &env);
    assert!(out.status.success(), "{}", text(&out));

    let (port, metrics_port) = (free_port(), free_port());
    let log = dir.path().join("server.log");
    let mut c = Command::new(BIN);
    for v in SETTINGS {
        c.env_remove(v);
    }
    let child = c
        .args(["serve", "--demo", "--without-second-factor", "--log-format", "json"])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
        .env("CUOCTHI_DATABASE_URL", &db.url)
        // The most our own code says: every request's line and span, and the debug lines.
        .env("CUOCTHI_LOG", "debug,sqlx=warn,hyper=info,h2=info,tower=info,tokio=info,runtime=info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("the server starts");
    let server = Server(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() || http(port, "GET", "/healthz", "text/plain", "").0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server did not start: {:?}",
            std::fs::read_to_string(&log)
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let (cccd, phone, email, name, dob) =
        ("036195000888", "0912000888", "mai.anh@example.vn", "Đỗ Thị Mai Anh", "02/09/1995");
    let json = "application/json";
    let person = serde_json::json!({"full_name": name, "date_of_birth": dob, "cccd": cccd, "phone": phone,
                                    "email": email, "consent": true});
    let (status, body) = http(port, "POST", "/api/v1/contests/thi-thu/participants", json, &person.to_string());
    assert_eq!(status, 201, "{body}");
    let again = serde_json::json!({"key": cccd, "date_of_birth": dob});
    let (status, body) = http(port, "POST", "/api/v1/contests/thi-thu/sessions", json, &again.to_string());
    assert_eq!(status, 200, "{body}");
    let wrong = serde_json::json!({"key": cccd, "date_of_birth": "03/09/1995"});
    let (status, _) = http(port, "POST", "/api/v1/contests/thi-thu/sessions", json, &wrong.to_string());
    assert!(status >= 400, "a wrong date of birth is refused");
    let form = "application/x-www-form-urlencoded";
    let sign_in = format!("username=btc-nhat-ky&password={PASSWORD}&code=");
    let (status, body) = http(port, "POST", "/admin/dang-nhap", form, &sign_in);
    assert_eq!(status, 303, "{body}");
    let (status, _) =
        http(port, "POST", "/admin/dang-nhap", form, "username=btc-nhat-ky&password=sai-mat-khau-roi&code=");
    assert!(status >= 400);

    // /metrics on its own listener, not on the public port.
    let (status, body) = http(metrics_port, "GET", "/metrics", "text/plain", "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("cuocthi_http_requests_total{"), "{body}");
    assert!(body.contains("route=\"/api/v1/contests/{slug}/participants\""), "{body}");
    assert_eq!(http(port, "GET", "/metrics", "text/plain", "").0, 404);
    drop(server);

    let logged = std::fs::read_to_string(&log).unwrap();
    let mut requests = 0;
    for line in logged.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        let span = &entry["span"];
        if entry["message"] == "answered" && span["route"] == "/api/v1/contests/{slug}/participants" {
            assert!(entry["status"].is_u64() && entry["latency"].is_string(), "{line}");
            assert!(span["request_id"].as_str().is_some_and(|id| id.len() >= 32), "{line}");
            assert_eq!(span["method"], "POST");
            requests += 1;
        }
    }
    assert!(requests >= 1, "no request line in {logged}");
    let secrets = [
        cccd,
        phone,
        "912000888",
        email,
        "mai.anh",
        name,
        "Mai Anh",
        "Mai%20Anh",
        "Do Thi Mai",
        dob,
        "1995-09-02",
        "03/09/1995",
        PASSWORD,
        "sai-mat-khau-roi",
    ];
    for secret in secrets {
        assert!(!logged.contains(secret), "{secret} appears in the log:\n{logged}");
    }
    // JSON escapes non-ASCII letters only if asked to; check the escaped name too.
    assert!(!logged.contains(&serde_json::to_string(name).unwrap()[1..8]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_requests_and_never_personal_data_on_sqlite() {
    logs_carry_requests_and_never_personal_data(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_requests_and_never_personal_data_on_postgres() {
    logs_carry_requests_and_never_personal_data(TestDb::postgres().await).await;
}
