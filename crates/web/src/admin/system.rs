//! The system administrator's page of backups (sao lưu): what the backup folder holds, the
//! schedule, the age of the newest copy, and a check of any one of them (`cuocthi backup verify`
//! from the console, recorded in the audit log). Files are read where the server writes them
//! (`serve --backup-dir`), so a copy made by `cuocthi backup create` into the same folder shows
//! too. Only system administrators: a backup holds every person's data.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use chrono::{DateTime, Utc};
use cuocthi_domain::{text, vntime};
use cuocthi_engine::console::{Action, Staff};
use cuocthi_store::backup::{self, Manifest};
use serde::Deserialize;

use super::{Frame, StaffUser};
use crate::AppState;
use crate::http::{Form, PageResult, private};

/// Backups whose names end so are listed (scheduled ones and those an operator made by hand).
const SUFFIXES: [&str; 2] = [".backup.zip", ".zip"];

/// Where the server's scheduled backups go and how often (`--backup-dir`, `--backup-every`,
/// `--backup-keep`), with the checks run from the console in this process.
#[derive(Clone, Debug)]
pub struct BackupPlace {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
    /// The outcome of the last check of each file, by name (kept in memory: a check is quick to
    /// run again, and a restarted server has checked nothing).
    pub checks: Arc<Mutex<HashMap<String, Check>>>,
}

impl BackupPlace {
    pub fn new(dir: PathBuf, every: Duration, keep: usize) -> BackupPlace {
        BackupPlace { dir, every, keep, checks: Arc::default() }
    }
}

/// The outcome of checking one backup file.
#[derive(Clone, Debug)]
pub struct Check {
    pub at: DateTime<Utc>,
    /// What the check found (`integrity_check: ok`), or why the file cannot be used.
    pub outcome: Result<String, String>,
}

/// One file of the backup folder, as the page shows it.
struct FileLine {
    name: String,
    /// When the copy was taken (the manifest's time, else the file's), in Vietnam time.
    taken_vn: String,
    size: String,
    /// `sqlite, phiên bản cấu trúc 20, 1.234 dòng`, or why the manifest cannot be read.
    summary: String,
    sha256: String,
    /// `None`: not checked since the server started.
    check: Option<(String, bool, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/backups.html")]
struct BackupsPage {
    frame: Option<Frame>,
    notice: Option<String>,
    /// `None`: the server takes no backups (no `--backup-dir`).
    place: Option<PlaceLine>,
    files: Vec<FileLine>,
}

struct PlaceLine {
    dir: String,
    every: String,
    keep: usize,
    /// How old the newest copy is, and whether that is older than the schedule allows.
    newest: Option<(String, bool)>,
}

/// A backup file's name, time and size, and its manifest if it can be read.
struct Found {
    name: String,
    taken: DateTime<Utc>,
    bytes: u64,
    manifest: Result<Manifest, String>,
}

/// Reads the manifest (the archive's first member) without unpacking the image.
fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(file).map_err(|_| "không phải tệp zip".to_string())?;
    let mut entry = archive.by_name("manifest.json").map_err(|_| "không có bản kê (manifest.json)".to_string())?;
    let mut json = String::new();
    entry.by_ref().take(1 << 20).read_to_string(&mut json).map_err(|e| e.to_string())?;
    serde_json::from_str(&json).map_err(|_| "bản kê không đọc được".to_string())
}

/// The backup files of `dir`, newest first.
fn list(dir: &Path) -> Vec<Found> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<Found> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let meta = e.metadata().ok()?;
            if !meta.is_file() || !SUFFIXES.iter().any(|s| name.ends_with(s)) {
                return None;
            }
            let manifest = read_manifest(&e.path());
            let modified: DateTime<Utc> = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH).into();
            let taken = manifest.as_ref().map_or(modified, |m| m.created_at);
            Some(Found { name, taken, bytes: meta.len(), manifest })
        })
        .collect();
    found.sort_by(|a, b| b.taken.cmp(&a.taken).then_with(|| b.name.cmp(&a.name)));
    found
}

/// The age of the newest readable backup in `dir` (for `/metrics`).
pub(crate) fn newest_backup_age(dir: &Path) -> Option<Duration> {
    let newest = list(dir).into_iter().find(|f| f.manifest.is_ok())?;
    (Utc::now() - newest.taken).to_std().ok()
}

/// `2 giờ 5 phút`: an age or an interval, to the minute.
fn span(d: Duration) -> String {
    let minutes = d.as_secs() / 60;
    let (days, hours, mins) = (minutes / 1_440, minutes / 60 % 24, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} ngày"));
    }
    if hours > 0 {
        parts.push(format!("{hours} giờ"));
    }
    if mins > 0 || parts.is_empty() {
        parts.push(format!("{mins} phút"));
    }
    parts.join(" ")
}

/// `12,3 MB`.
fn size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // shown to one decimal
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9).replace('.', ",")
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6).replace('.', ",")
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3).replace('.', ",")
    } else {
        format!("{bytes} byte")
    }
}

async fn page(s: &AppState, staff: &Staff, notice: Option<String>) -> PageResult {
    let Some(place) = s.config.backups.clone() else {
        return Ok(private(BackupsPage { frame: Some(Frame::of(staff)), notice, place: None, files: Vec::new() }));
    };
    let dir = place.dir.clone();
    let found = tokio::task::spawn_blocking(move || list(&dir)).await.unwrap_or_default();
    let checks = place.checks.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let newest = found.iter().find(|f| f.manifest.is_ok()).map(|f| {
        let age = (Utc::now() - f.taken).to_std().unwrap_or_default();
        // Late once a whole turn and a half has passed: a backup takes a while to write.
        (span(age), age > place.every + place.every / 2)
    });
    let files = found
        .into_iter()
        .map(|f| {
            let (summary, sha256) = match &f.manifest {
                Ok(m) => (
                    format!(
                        "{}, phiên bản cấu trúc {}, {} dòng trong {} bảng",
                        m.backend,
                        m.schema_version,
                        text::thousands(m.total_rows()),
                        m.tables.len()
                    ),
                    m.sha256.chars().take(16).collect(),
                ),
                Err(why) => (format!("Không đọc được: {why}"), String::new()),
            };
            let check = checks.get(&f.name).map(|c| match &c.outcome {
                Ok(found) => (vntime::format(c.at), true, found.clone()),
                Err(why) => (vntime::format(c.at), false, why.clone()),
            });
            FileLine { name: f.name, taken_vn: vntime::format(f.taken), size: size(f.bytes), summary, sha256, check }
        })
        .collect();
    let line = PlaceLine { dir: place.dir.display().to_string(), every: span(place.every), keep: place.keep, newest };
    Ok(private(BackupsPage { frame: Some(Frame::of(staff)), notice, place: Some(line), files }))
}

/// `GET /admin/sao-luu`.
pub(super) async fn backups(State(s): State<AppState>, StaffUser(staff): StaffUser) -> PageResult {
    staff.require(Action::ManageAccounts, None)?;
    page(&s, &staff, None).await
}

#[derive(Deserialize)]
pub(super) struct CheckForm {
    #[serde(default)]
    file: String,
}

/// `POST /admin/sao-luu/kiem-tra`: checks one file as `cuocthi backup verify` does (the
/// manifest, the image's SHA-256, the image itself), and records that it was checked.
pub(super) async fn check(
    State(s): State<AppState>,
    StaffUser(staff): StaffUser,
    Form(f): Form<CheckForm>,
) -> PageResult {
    staff.require(Action::ManageAccounts, None)?;
    let Some(place) = s.config.backups.clone() else { return page(&s, &staff, None).await };
    // Only a file the folder lists: never a path from the form.
    let dir = place.dir.clone();
    let listed = tokio::task::spawn_blocking(move || list(&dir)).await.unwrap_or_default();
    let Some(file) = listed.into_iter().find(|x| x.name == f.file) else {
        return page(&s, &staff, Some("Không có tệp sao lưu này trong thư mục.".into())).await;
    };
    let outcome = match backup::verify(&place.dir.join(&file.name)).await {
        Ok(v) => Ok(format!("mã SHA-256 khớp, {}", v.check)),
        Err(e) => Err(e.to_string()),
    };
    s.engine
        .record(
            Some(&staff),
            "backup.verify",
            None,
            &file.name,
            serde_json::json!({ "ok": outcome.is_ok(), "result": outcome.clone().unwrap_or_else(|e| e) }),
        )
        .await?;
    let notice = match &outcome {
        Ok(found) => format!("Tệp {} hợp lệ: {found}.", file.name),
        Err(why) => format!("Tệp {} KHÔNG dùng được: {why}", file.name),
    };
    place.checks.lock().unwrap_or_else(|e| e.into_inner()).insert(file.name, Check { at: Utc::now(), outcome });
    page(&s, &staff, Some(notice)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_sizes_read_as_people_say_them() {
        assert_eq!(span(Duration::from_secs(30)), "0 phút");
        assert_eq!(span(Duration::from_secs(6 * 3_600)), "6 giờ");
        assert_eq!(span(Duration::from_secs(86_400 + 3_600 + 120)), "1 ngày 1 giờ 2 phút");
        assert_eq!(size(999), "999 byte");
        assert_eq!(size(12_345_678), "12,3 MB");
    }
}
