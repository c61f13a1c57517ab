//! `cuocthi privacy purge` on a throwaway SQLite database: the example contests ended long ago,
//! so their retention has run out; a dry run says what would go and changes nothing, the real run
//! is audited only when it removes something, and an unknown contest is explained.

use std::path::Path;
use std::process::{Command, Output};

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

#[test]
fn the_purge_runs_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cuocthi.db");
    let help = text(&cuocthi(&db, &["privacy", "purge", "--help"]));
    assert!(help.contains("--dry-run") && help.contains("--contest"), "{help}");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contests/000-quang-ninh-2024.toml");
    let out = cuocthi(&db, &["contest", "import", example.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));

    let dry = cuocthi(&db, &["privacy", "purge", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("Chạy thử: sẽ xóa dữ liệu của 0 người không đạt giải"), "{}", text(&dry));
    let slug = "tim-hieu-chuyen-doi-so-quang-ninh-2024";
    let run = cuocthi(&db, &["privacy", "purge", "--contest", slug]);
    assert!(run.status.success(), "{}", text(&run));
    assert!(text(&run).contains("Đã xóa dữ liệu cá nhân của 0 người"), "{}", text(&run));
    let unknown = cuocthi(&db, &["privacy", "purge", "--contest", "khong-co"]);
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("Không tìm thấy cuộc thi"), "{}", text(&unknown));
}
