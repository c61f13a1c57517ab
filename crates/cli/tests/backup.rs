//! `cuocthi backup` as an operator uses it, and the server's scheduled backups, on throwaway
//! SQLite stores (the store's own tests run the same round trip on PostgreSQL too).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn cuocthi(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cuocthi"))
        .args(args)
        .env("CUOCTHI_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("CUOCTHI_LOG", "warn")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn a_store_with_a_contest(dir: &Path) -> PathBuf {
    let db = dir.join("live.db");
    let definition = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contests/000-quang-ninh-2024.toml");
    let out = cuocthi(&db, &["contest", "import", path(&definition)]);
    assert!(out.status.success(), "{}", text(&out));
    db
}

#[test]
fn a_backup_is_created_verified_and_restored_once_unless_forced() {
    let dir = tempfile::tempdir().expect("a folder");
    let db = a_store_with_a_contest(dir.path());
    let file = dir.path().join("sao-luu.zip");

    let out = cuocthi(&db, &["backup", "create", path(&file)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Đã sao lưu vào"), "{}", text(&out));
    let out = cuocthi(&db, &["backup", "verify", path(&file)]);
    assert!(out.status.success(), "{}", text(&out));
    for expected in ["hợp lệ: mã SHA-256 khớp", "integrity_check: ok", "phiên bản cấu trúc", "questions"] {
        assert!(text(&out).contains(expected), "{expected}: {}", text(&out));
    }

    let copy = dir.path().join("copy/restored.db");
    let out = cuocthi(&copy, &["backup", "restore", path(&file)]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("số dòng từng bảng khớp với bản kê"), "{}", text(&out));
    let listed = cuocthi(&copy, &["contest", "list"]);
    assert!(text(&listed).contains("quang-ninh"), "{}", text(&listed));

    let again = cuocthi(&copy, &["backup", "restore", path(&file)]);
    assert!(!again.status.success());
    assert!(text(&again).contains("đã có dữ liệu") && text(&again).contains("--force"), "{}", text(&again));
    let forced = cuocthi(&copy, &["backup", "restore", "--force", path(&file)]);
    assert!(forced.status.success(), "{}", text(&forced));
}

#[test]
fn a_damaged_backup_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("a folder");
    let db = a_store_with_a_contest(dir.path());
    let file = dir.path().join("sao-luu.zip");
    assert!(cuocthi(&db, &["backup", "create", path(&file)]).status.success());
    let mut bytes = std::fs::read(&file).expect("reads");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&file, bytes).expect("writes");

    let out = cuocthi(&db, &["backup", "verify", path(&file)]);
    assert!(!out.status.success());
    assert!(text(&out).contains("tệp sao lưu bị hỏng hoặc đã bị sửa"), "{}", text(&out));
}

#[test]
fn the_server_takes_backups_on_schedule_and_keeps_the_newest() {
    let dir = tempfile::tempdir().expect("a folder");
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).expect("a folder");
    std::fs::write(backups.join("ghi-chu.txt"), "not a backup").expect("writes");
    let log = std::fs::File::create(dir.path().join("server.log")).expect("a log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_cuocthi"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--backup-dir", path(&backups)])
        .args(["--backup-every", "1s", "--backup-keep", "2"])
        .env("CUOCTHI_DATABASE_URL", format!("sqlite://{}", dir.path().join("live.db").display()))
        .env("CUOCTHI_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the server starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut pruned = false;
    while Instant::now() < deadline && !pruned {
        std::thread::sleep(Duration::from_millis(250));
        pruned = std::fs::read_to_string(dir.path().join("server.log")).is_ok_and(|l| l.contains("old backup deleted"));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(pruned, "{}", std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default());

    let names: Vec<String> = std::fs::read_dir(&backups)
        .expect("lists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    let kept: Vec<&String> = names.iter().filter(|n| n.ends_with(".backup.zip")).collect();
    assert!(names.contains(&"ghi-chu.txt".to_string()), "{names:?}");
    assert!(!kept.is_empty() && kept.len() <= 2, "{names:?}");
    for name in kept {
        let out = cuocthi(&dir.path().join("unused.db"), &["backup", "verify", path(&backups.join(name))]);
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
}

#[test]
fn a_backup_interval_needs_a_unit_and_a_count() {
    let dir = tempfile::tempdir().expect("a folder");
    for wrong in ["0h", "6", "6 giờ"] {
        let out = cuocthi(&dir.path().join("x.db"), &["serve", "--demo", "--backup-dir", "b", "--backup-every", wrong]);
        assert!(!out.status.success(), "{wrong}");
        assert!(text(&out).contains("--backup-every"), "{wrong}: {}", text(&out));
    }
}
