//! SQLite's image: `VACUUM INTO` from a connection of its own, which reads one snapshot of the
//! live database (WAL: the server's writers go on meanwhile) and writes a compact copy; restored
//! with SQLite's backup API, page by page under SQLite's own locks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use rusqlite::{Connection, MAIN_DB, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;

use super::{BackupError, MIGRATIONS_TABLE, Manifest, Result, Taken, compare};

pub(super) const NAME: &str = "sqlite";
const IMAGE: &str = "cuocthi.sqlite";

/// The file a `sqlite://` URL names; an in-memory database has no file to back up.
pub(super) fn path_of(url: &str) -> Result<PathBuf> {
    let opts = SqliteConnectOptions::from_str(url).map_err(|e| BackupError::Url(e.to_string()))?;
    let path = opts.get_filename().to_path_buf();
    if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
        return Err(BackupError::Url("cơ sở dữ liệu trong bộ nhớ không có tệp để sao lưu".into()));
    }
    Ok(path)
}

/// Opens an existing database, waiting as the server's connections do for a writer to finish.
fn open_existing(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

pub(super) fn dump(path: &Path, image: &Path) -> Result<Taken> {
    if !path.exists() {
        return Err(BackupError::File { path: path.to_path_buf(), source: std::io::ErrorKind::NotFound.into() });
    }
    let live = open_existing(path)?;
    let into = image.to_str().ok_or_else(|| BackupError::Url(format!("{} không phải UTF-8", image.display())))?;
    live.execute("VACUUM INTO ?1", [into])?;
    drop(live);
    let copy = open_existing(image)?;
    Ok(Taken { backend: NAME, image_name: IMAGE, schema_version: schema_version(&copy)?, tables: row_counts(&copy)? })
}

/// Checks an extracted image: SQLite's own integrity check, then the manifest's figures.
pub(super) fn check(image: &Path, manifest: &Manifest) -> Result<String> {
    let copy = open_existing(image)?;
    let verdict: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(BackupError::Corrupt(format!("ảnh dữ liệu không toàn vẹn: {verdict}")));
    }
    compare(&manifest.tables, &row_counts(&copy)?)?;
    let version = schema_version(&copy)?;
    if version != manifest.schema_version {
        return Err(BackupError::Corrupt(format!(
            "phiên bản cấu trúc là {version}, bản kê ghi {}",
            manifest.schema_version
        )));
    }
    Ok(format!("PRAGMA integrity_check: {verdict}"))
}

/// Replaces the database at `path` by the image through SQLite's backup API, so that the file
/// keeps its name and any stale `-wal` is superseded by SQLite itself rather than by a rename.
pub(super) fn load(path: &Path, image: &Path, manifest: &Manifest) -> Result<()> {
    check(image, manifest)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| BackupError::File { path: dir.to_path_buf(), source: e })?;
    }
    let mut target = Connection::open(path)?;
    target.busy_timeout(Duration::from_secs(10))?;
    target.restore(MAIN_DB, image, None::<fn(rusqlite::backup::Progress)>)?;
    // The server runs SQLite in WAL mode (docs/ARCHITECTURE.md, "Durability").
    let _mode: String = target.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    Ok(())
}

pub(super) fn row_counts_at(path: &Path) -> Result<BTreeMap<String, i64>> {
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    row_counts(&open_existing(path)?)
}

fn row_counts(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut tables =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?;
    let names = tables.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut counts = BTreeMap::new();
    for name in names {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\""));
        counts.insert(name, conn.query_row(&sql, [], |r| r.get(0))?);
    }
    Ok(counts)
}

fn schema_version(conn: &Connection) -> Result<i64> {
    let has_migrations: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [MIGRATIONS_TABLE],
        |r| r.get(0),
    )?;
    if !has_migrations {
        return Ok(0);
    }
    let sql = format!("SELECT COALESCE(MAX(version), 0) FROM {MIGRATIONS_TABLE} WHERE success");
    Ok(conn.query_row(&sql, [], |r| r.get(0))?)
}
