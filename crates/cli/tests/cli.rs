//! The `cuocthi` binary as an organiser uses it, on a throwaway SQLite database.

use std::path::Path;
use std::process::{Command, Output};

fn cuocthi(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cuocthi"))
        .args(args)
        .env("CUOCTHI_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("CUOCTHI_LOG", "warn")
        .env_remove("CUOCTHI_ADMIN_PASSWORD")
        .output()
        .expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn organiser_commands_work_and_explain_failures() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/cuocthi.db");
    let help = text(&cuocthi(&db, &["--help"]));
    for c in ["serve", "migrate", "contest", "questions", "demo", "admin", "results"] {
        assert!(help.contains(c), "{c} missing from --help");
    }
    assert!(cuocthi(&db, &["migrate"]).status.success(), "creates the database and its folder");

    let mut slugs = Vec::new();
    for entry in std::fs::read_dir(examples().join("contests")).unwrap() {
        let path = entry.unwrap().path();
        let out = cuocthi(&db, &["contest", "import", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}: {}", path.display(), text(&out));
        assert!(text(&out).contains("233 câu được nhập"), "{}", text(&out));
        slugs.push(text(&out));
    }
    assert_eq!(slugs.len(), 5);
    let again =
        cuocthi(&db, &["contest", "import", examples().join("contests/000-quang-ninh-2024.toml").to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(text(&again).contains("đã có trong hệ thống"), "{}", text(&again));

    // A question file with a bad row imports nothing and names the row.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Câu hỏi,A,B,C,D,Đáp án\nCâu tốt?,1,2,3,,A\nCâu xấu?,1,2,3,4,\n").unwrap();
    let slug = "tim-hieu-chuyen-doi-so-cao-bang-2024";
    let out = cuocthi(&db, &["questions", "import", "--contest", slug, bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("Dòng 3 (“Câu xấu?”): Chưa chỉ ra đáp án đúng."), "{}", text(&out));
    let out = cuocthi(&db, &["questions", "import", "--contest", slug, "--skip-invalid", bad.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(text(&out).contains("1 câu được nhập"), "{}", text(&out));

    // Export writes a definition that imports again, and the bank as CSV.
    let bank = dir.path().join("bank.csv");
    let out = cuocthi(&db, &["contest", "export", slug, "--questions", bank.to_str().unwrap()]);
    assert!(out.status.success());
    let toml = String::from_utf8_lossy(&out.stdout).replace(slug, "ban-sao-cao-bang");
    let copy = dir.path().join("copy.toml");
    std::fs::write(&copy, toml).unwrap();
    assert!(cuocthi(&db, &["contest", "import", copy.to_str().unwrap()]).status.success());
    assert!(std::fs::read_to_string(&bank).unwrap().lines().count() > 200);

    // Accounts: never a weak password; the password never comes from the command line.
    let weak = Command::new(env!("CARGO_BIN_EXE_cuocthi"))
        .args(["admin", "create", "--username", "admin"])
        .env("CUOCTHI_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("CUOCTHI_ADMIN_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(text(&weak).contains("ít nhất 12 ký tự"));
    let ok = Command::new(env!("CARGO_BIN_EXE_cuocthi"))
        .args(["admin", "create", "--username", "admin"])
        .env("CUOCTHI_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("CUOCTHI_ADMIN_PASSWORD", "một mật khẩu đủ dài")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", text(&ok));

    let out = cuocthi(&db, &["results", "rank", "--contest", slug, "--round", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 người"));

    let out =
        Command::new(env!("CARGO_BIN_EXE_cuocthi")).args(["--database-url", "mysql://x", "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("unknown database URL scheme"), "{}", text(&out));
}
