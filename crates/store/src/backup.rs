//! Backups that restore (sao lưu): one file holding a consistent image of the whole store and a
//! manifest that says what the image must hold, so that a copy can be checked without trusting
//! the machine that made it.
//!
//! The file is a zip with `manifest.json` first and the image after it: a SQLite database made
//! with `VACUUM INTO` (deflated), or PostgreSQL's `pg_dump --format=custom` (stored: it is
//! compressed already). Zip rather than a format of our own so that an operator can open it with
//! ordinary tools; the manifest's SHA-256 of the image (not the zip's CRC) is the check we rely on.
//!
//! Everything here works from the database URL, not from a running [`SqlStore`](crate::SqlStore):
//! a backup opens its own connection (it must hold one snapshot for its whole length), and a
//! restore must not run under the pools of a store it is replacing.
//!
//! Rooms: `sqlite` and `postgres` make, check and restore their backend's image; this module holds
//! what they share (the manifest, the archive, the errors). Uses `error` only.

mod postgres;
mod sqlite;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::error::StoreError;

/// The layout of the file; a reader refuses any other, so an old binary never half-restores a
/// newer backup.
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
/// The migrations' own table: rows there are not data, so a store with only these is empty.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// What a backup holds, written beside the image and checked against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// `sqlite` or `postgres`: an image restores only into the same backend.
    pub backend: String,
    /// The highest migration applied in the image.
    pub schema_version: i64,
    /// Rows per table in the image, taken in the image's own snapshot.
    pub tables: BTreeMap<String, i64>,
    /// The image's name inside the archive.
    pub image: String,
    pub image_bytes: u64,
    /// SHA-256 of the image, lower-case hex.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// The version of cuocthi that made it.
    pub made_by: String,
}

impl Manifest {
    pub fn total_rows(&self) -> i64 {
        self.tables.iter().filter(|(t, _)| t.as_str() != MIGRATIONS_TABLE).map(|(_, n)| n).sum()
    }
}

/// What `verify` found, beyond the manifest: the check the image's own tool passed.
#[derive(Clone, Debug)]
pub struct Verified {
    pub manifest: Manifest,
    /// SQLite: the result of `PRAGMA integrity_check`; PostgreSQL: how many entries
    /// `pg_restore --list` read.
    pub check: String,
}

/// Why a backup could not be made, checked or restored. The messages are for the operator who ran
/// the command, in Vietnamese; a driver's or tool's own words stay in `source()` or are quoted.
#[derive(Debug, Error)]
pub enum BackupError {
    #[error("không đọc hoặc ghi được {}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("tệp sao lưu bị hỏng hoặc đã bị sửa: {0}")]
    Corrupt(String),
    #[error("tệp sao lưu có định dạng {0}, phiên bản cuocthi này chỉ đọc định dạng {FORMAT_VERSION}")]
    Format(u32),
    #[error("bản sao lưu là của {found}, không khôi phục được vào cơ sở dữ liệu {target}")]
    Backend { found: String, target: &'static str },
    #[error(
        "cơ sở dữ liệu đích đã có dữ liệu ({rows} dòng); khôi phục sẽ xóa hết chúng — thêm --force nếu đúng là muốn vậy"
    )]
    NotEmpty { rows: i64 },
    #[error("không tìm thấy lệnh {0} trên PATH: hãy cài postgresql-client cùng phiên bản với máy chủ PostgreSQL")]
    ToolMissing(&'static str),
    #[error("{tool} báo lỗi (mã {code}): {stderr}")]
    Tool { tool: &'static str, code: String, stderr: String },
    #[error("số dòng không khớp với bản kê: {0}")]
    Counts(String),
    #[error("địa chỉ cơ sở dữ liệu không dùng được cho sao lưu: {0}")]
    Url(String),
    #[error("lỗi cơ sở dữ liệu")]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        BackupError::Store(e.into())
    }
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        BackupError::Store(e.into())
    }
}

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

/// A consistent copy of the store at `url`, written to `dest` (replaced if it exists). The file
/// appears only once complete and on disk, so a crash never leaves a half backup under its name.
pub async fn create(url: &str, dest: &Path) -> Result<Manifest> {
    let work = work_dir(dest)?;
    let image = work.path().join("image");
    let taken = if is_postgres(url) {
        postgres::dump(url, &image).await?
    } else {
        let path = sqlite::path_of(url)?;
        let to = image.clone();
        blocking(move || sqlite::dump(&path, &to)).await?
    };
    let dest = dest.to_path_buf();
    blocking(move || {
        let manifest = manifest_for(taken, &image)?;
        let part = work.path().join("backup.part");
        write_archive(&part, &manifest, &image)?;
        std::fs::rename(&part, &dest).map_err(|e| file_error(&dest, e))?;
        Ok(manifest)
    })
    .await
}

/// Checks a backup without touching any store: the manifest, the image's SHA-256, and the image
/// itself (SQLite: integrity and row counts; PostgreSQL: `pg_restore --list` reads it).
pub async fn verify(path: &Path) -> Result<Verified> {
    let work = work_dir(path)?;
    let (manifest, image) = unpack(path, work.path()).await?;
    let check = if manifest.backend == postgres::NAME {
        postgres::check(&image).await?
    } else {
        let (m, i) = (manifest.clone(), image.clone());
        blocking(move || sqlite::check(&i, &m)).await?
    };
    Ok(Verified { manifest, check })
}

/// Restores a backup into the store at `url`, which must be empty unless `force` (then whatever
/// it held is replaced). Returns the manifest once the restored rows match it table by table.
/// The server must be stopped on that store while this runs.
pub async fn restore(url: &str, path: &Path, force: bool) -> Result<Manifest> {
    let target = if is_postgres(url) { postgres::NAME } else { sqlite::NAME };
    let work = work_dir(path)?;
    let (manifest, image) = unpack(path, work.path()).await?;
    if manifest.backend != target {
        return Err(BackupError::Backend { found: manifest.backend, target });
    }
    let held = row_counts(url).await?;
    let rows: i64 = held.iter().filter(|(t, _)| t.as_str() != MIGRATIONS_TABLE).map(|(_, n)| n).sum();
    if rows > 0 && !force {
        return Err(BackupError::NotEmpty { rows });
    }
    if target == postgres::NAME {
        postgres::load(url, &image).await?;
    } else {
        let (p, i, m) = (sqlite::path_of(url)?, image.clone(), manifest.clone());
        blocking(move || sqlite::load(&p, &i, &m)).await?;
    }
    compare(&manifest.tables, &row_counts(url).await?)?;
    Ok(manifest)
}

/// Rows per table of the store at `url` (a missing SQLite file holds none).
pub async fn row_counts(url: &str) -> Result<BTreeMap<String, i64>> {
    if is_postgres(url) {
        postgres::row_counts(url).await
    } else {
        let path = sqlite::path_of(url)?;
        blocking(move || sqlite::row_counts_at(&path)).await
    }
}

/// The name of a scheduled backup taken at `at`: UTC, so that names sort as times do.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("cuocthi-{}.backup.zip", at.format("%Y%m%dT%H%M%SZ"))
}

/// Whether `name` is one of [`file_name`]'s, so that pruning never deletes anything else.
pub fn is_scheduled_name(name: &str) -> bool {
    name.strip_prefix("cuocthi-")
        .and_then(|rest| rest.strip_suffix(".backup.zip"))
        .is_some_and(|stamp| chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").is_ok())
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// What a backend's dump learnt about its image while it still held the snapshot.
struct Taken {
    backend: &'static str,
    image_name: &'static str,
    schema_version: i64,
    tables: BTreeMap<String, i64>,
}

fn manifest_for(taken: Taken, image: &Path) -> Result<Manifest> {
    let (sha256, image_bytes) = hash_file(image)?;
    Ok(Manifest {
        format_version: FORMAT_VERSION,
        backend: taken.backend.to_string(),
        schema_version: taken.schema_version,
        tables: taken.tables,
        image: taken.image_name.to_string(),
        image_bytes,
        sha256,
        created_at: Utc::now(),
        made_by: format!("cuocthi {}", env!("CARGO_PKG_VERSION")),
    })
}

/// A scratch folder beside `near`, so that large images are written on the disk that holds the
/// backups (not a small /tmp) and the final rename stays on one file system.
fn work_dir(near: &Path) -> Result<tempfile::TempDir> {
    let parent = near.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::Builder::new().prefix(".cuocthi-backup-").tempdir_in(parent).map_err(|e| file_error(parent, e))
}

fn write_archive(part: &Path, manifest: &Manifest, image: &Path) -> Result<()> {
    use zip::write::SimpleFileOptions;
    let file = File::create(part).map_err(|e| file_error(part, e))?;
    let mut zip = zip::ZipWriter::new(file);
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let method = if manifest.backend == postgres::NAME {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    };
    let zip_error = |e: zip::result::ZipError| file_error(part, io::Error::other(e));
    zip.start_file(MANIFEST, stored).map_err(zip_error)?;
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| file_error(part, e.into()))?;
    zip.write_all(&json).map_err(|e| file_error(part, e))?;
    zip.start_file(&manifest.image, stored.compression_method(method).large_file(true)).map_err(zip_error)?;
    let mut source = File::open(image).map_err(|e| file_error(image, e))?;
    io::copy(&mut source, &mut zip).map_err(|e| file_error(part, e))?;
    let file = zip.finish().map_err(zip_error)?;
    file.sync_all().map_err(|e| file_error(part, e))
}

/// Reads the manifest and extracts the image into `work`, checking its SHA-256 on the way.
async fn unpack(path: &Path, work: &Path) -> Result<(Manifest, PathBuf)> {
    let (path, work) = (path.to_path_buf(), work.to_path_buf());
    blocking(move || {
        let file = File::open(&path).map_err(|e| file_error(&path, e))?;
        let mut zip = zip::ZipArchive::new(file).map_err(corrupt)?;
        let manifest = read_manifest(&mut zip)?;
        let image = work.join("image");
        let mut entry = zip.by_name(&manifest.image).map_err(corrupt)?;
        let mut out = HashingWriter::create(&image)?;
        io::copy(&mut entry, &mut out)
            .map_err(|e| BackupError::Corrupt(format!("không giải nén được ảnh dữ liệu ({e})")))?;
        let (sha, bytes) = out.finish()?;
        if sha != manifest.sha256 || bytes != manifest.image_bytes {
            return Err(BackupError::Corrupt(format!(
                "mã SHA-256 của ảnh dữ liệu là {sha}, bản kê ghi {}",
                manifest.sha256
            )));
        }
        Ok((manifest, image))
    })
    .await
}

fn read_manifest(zip: &mut zip::ZipArchive<File>) -> Result<Manifest> {
    let mut text = String::new();
    zip.by_name(MANIFEST)
        .map_err(corrupt)?
        .read_to_string(&mut text)
        .map_err(|e| BackupError::Corrupt(e.to_string()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| BackupError::Corrupt(format!("bản kê không đọc được ({e})")))?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(BackupError::Format(manifest.format_version));
    }
    if manifest.backend != sqlite::NAME && manifest.backend != postgres::NAME {
        return Err(BackupError::Corrupt(format!("bản kê ghi một loại cơ sở dữ liệu lạ: {}", manifest.backend)));
    }
    Ok(manifest)
}

fn corrupt(e: zip::result::ZipError) -> BackupError {
    BackupError::Corrupt(format!("không đọc được tệp nén ({e})"))
}

/// Names each table whose count differs, so that a failed restore says where.
fn compare(want: &BTreeMap<String, i64>, got: &BTreeMap<String, i64>) -> Result<()> {
    let differ: Vec<String> = want
        .iter()
        .filter(|(t, n)| got.get(*t) != Some(n))
        .map(|(t, n)| format!("{t}: bản kê {n}, thực có {}", got.get(t).map_or("không có bảng".into(), i64::to_string)))
        .collect();
    if differ.is_empty() { Ok(()) } else { Err(BackupError::Counts(differ.join("; "))) }
}

fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut file, &mut hasher).map_err(|e| file_error(path, e))?;
    Ok((format!("{:x}", hasher.finalize()), bytes))
}

/// Writes a file and hashes what it writes, so an extracted image is checked without reading it
/// twice.
struct HashingWriter {
    file: File,
    path: PathBuf,
    hasher: Sha256,
    bytes: u64,
}

impl HashingWriter {
    fn create(path: &Path) -> Result<HashingWriter> {
        let file = File::create(path).map_err(|e| file_error(path, e))?;
        Ok(HashingWriter { file, path: path.to_path_buf(), hasher: Sha256::new(), bytes: 0 })
    }

    fn finish(mut self) -> Result<(String, u64)> {
        self.file.flush().map_err(|e| file_error(&self.path, e))?;
        Ok((format!("{:x}", self.hasher.finalize()), self.bytes))
    }
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn file_error(path: &Path, source: io::Error) -> BackupError {
    BackupError::File { path: path.to_path_buf(), source }
}

/// Runs file and SQLite work off the async runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| BackupError::Store(StoreError::unavailable(e.to_string())))?
}

/// An RFC 3339 instant to the second, as the CLI prints it.
pub fn utc_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn scheduled_names_sort_as_times_and_nothing_else_matches() {
        let a = file_name(Utc.with_ymd_and_hms(2026, 3, 9, 23, 0, 0).single().expect("a time"));
        let b = file_name(Utc.with_ymd_and_hms(2026, 3, 10, 5, 0, 0).single().expect("a time"));
        assert_eq!(a, "cuocthi-20260309T230000Z.backup.zip");
        assert!(a < b);
        assert!(is_scheduled_name(&a));
        for other in ["cuocthi-latest.backup.zip", "notes.txt", "cuocthi-20260309T230000Z.backup.zip.part"] {
            assert!(!is_scheduled_name(other), "{other}");
        }
    }

    #[test]
    fn compare_names_every_table_that_differs() {
        let want = BTreeMap::from([("attempts".to_string(), 3), ("people".to_string(), 2)]);
        let got = BTreeMap::from([("attempts".to_string(), 3), ("people".to_string(), 1)]);
        assert!(compare(&want, &want).is_ok());
        let message = compare(&want, &got).expect_err("differs").to_string();
        assert!(message.contains("people: bản kê 2, thực có 1"), "{message}");
    }
}
