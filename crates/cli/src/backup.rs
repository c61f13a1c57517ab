//! `cuocthi backup create|verify|restore` and the server's scheduled backups (docs/OPERATIONS.md,
//! "Sao lưu và khôi phục"). The work is `cuocthi_store::backup`; this module words it for the
//! operator and keeps the last N scheduled files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Subcommand;
use cuocthi_domain::text;
use cuocthi_store::backup::{self, Manifest};

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Write a consistent, compressed copy of the store (the server may keep serving) with its
    /// manifest: schema version, rows per table, SHA-256. PostgreSQL needs pg_dump on PATH.
    Create { file: PathBuf },
    /// Check a backup file (manifest, SHA-256, and the image itself) and print what it holds.
    Verify { file: PathBuf },
    /// Restore a backup into the configured store, which must be empty unless --force. Stop the
    /// server on that store first. PostgreSQL needs pg_restore on PATH.
    Restore {
        file: PathBuf,
        /// Replace whatever the store holds.
        #[arg(long)]
        force: bool,
    },
}

pub async fn run(database_url: &str, command: BackupCommand) -> Result<()> {
    match command {
        BackupCommand::Create { file } => {
            let manifest = backup::create(database_url, &file).await.context("Sao lưu không thành công")?;
            println!("Đã sao lưu vào {}.", file.display());
            print_manifest(&manifest);
        }
        BackupCommand::Verify { file } => {
            let verified =
                backup::verify(&file).await.with_context(|| format!("{} không dùng được", file.display()))?;
            println!("Tệp sao lưu {} hợp lệ: mã SHA-256 khớp, {}.", file.display(), verified.check);
            print_manifest(&verified.manifest);
        }
        BackupCommand::Restore { file, force } => {
            let manifest = backup::restore(database_url, &file, force).await.context("Khôi phục không thành công")?;
            println!(
                "Đã khôi phục {} vào {}: số dòng từng bảng khớp với bản kê.",
                file.display(),
                cuocthi_store::redact(database_url)
            );
            print_manifest(&manifest);
        }
    }
    Ok(())
}

fn print_manifest(m: &Manifest) {
    println!("  cơ sở dữ liệu:       {}", m.backend);
    println!("  tạo lúc:             {} (UTC), bởi {}", backup::utc_text(m.created_at), m.made_by);
    println!("  phiên bản cấu trúc:  {}", m.schema_version);
    println!("  ảnh dữ liệu:         {} ({} byte)", m.image, text::thousands(m.image_bytes));
    println!("  SHA-256:             {}", m.sha256);
    println!("  số dòng:             {} trong {} bảng", text::thousands(m.total_rows()), m.tables.len());
    for (table, rows) in &m.tables {
        println!("    {table:<28} {:>12}", text::thousands(*rows));
    }
}

/// The server's backups: every `every`, into `dir`, keeping the newest `keep`.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub database_url: String,
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

/// `90s`, `30m`, `6h`, `1d`: the interval of `--backup-every`.
pub fn parse_every(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let unit = value.chars().last().ok_or("một khoảng thời gian như 6h, 30m hoặc 1d")?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(format!("{value}: hãy ghi số kèm đơn vị s, m, h hoặc d (ví dụ 6h)")),
    };
    let count: u64 = value[..value.len() - 1].parse().map_err(|_| format!("{value}: không phải một số nguyên"))?;
    if count == 0 {
        return Err("khoảng cách giữa hai lần sao lưu phải lớn hơn 0".into());
    }
    Ok(Duration::from_secs(count.saturating_mul(seconds)))
}

/// Runs beside the server until it stops. A failed backup is logged and tried again at the next
/// turn: a full disk must never take the contest down with it.
pub async fn schedule_forever(schedule: Schedule) {
    let start = tokio::time::Instant::now() + schedule.every;
    let mut tick = tokio::time::interval_at(start, schedule.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(dir = %schedule.dir.display(), every_s = schedule.every.as_secs(), keep = schedule.keep, "scheduled backups");
    loop {
        tick.tick().await;
        let started = std::time::Instant::now();
        match take_one(&schedule).await {
            Ok((file, manifest)) => {
                cuocthi_web::metrics::backup_done(started.elapsed(), Some(manifest.image_bytes));
                tracing::info!(file = %file.display(), bytes = manifest.image_bytes, "backup written")
            }
            Err(e) => {
                cuocthi_web::metrics::backup_done(started.elapsed(), None);
                tracing::warn!(error = format!("{e:#}"), "scheduled backup failed")
            }
        }
        if let Err(e) = prune(&schedule.dir, schedule.keep) {
            tracing::warn!(error = format!("{e:#}"), "deleting old backups failed");
        }
    }
}

async fn take_one(schedule: &Schedule) -> Result<(PathBuf, Manifest)> {
    std::fs::create_dir_all(&schedule.dir).with_context(|| format!("cannot create {}", schedule.dir.display()))?;
    let file = schedule.dir.join(backup::file_name(chrono::Utc::now()));
    let manifest = backup::create(&schedule.database_url, &file).await?;
    Ok((file, manifest))
}

/// Deletes the oldest scheduled backups beyond `keep`; other files in the folder are left alone.
fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| backup::is_scheduled_name(name))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    let mut deleted = Vec::new();
    for name in names.into_iter().take(excess) {
        let path = dir.join(name);
        std::fs::remove_file(&path).with_context(|| format!("cannot delete {}", path.display()))?;
        tracing::info!(file = %path.display(), "old backup deleted");
        deleted.push(path);
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_read_with_their_unit() {
        assert_eq!(parse_every("6h"), Ok(Duration::from_secs(6 * 3_600)));
        assert_eq!(parse_every("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_every("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_every("45s"), Ok(Duration::from_secs(45)));
        for wrong in ["", "6", "h", "0h", "-1h", "6 giờ", "1.5h"] {
            assert!(parse_every(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn pruning_keeps_the_newest_and_touches_nothing_else() {
        let dir = tempfile::tempdir().expect("a folder");
        let at = |h: u32| backup::file_name(chrono::DateTime::from_timestamp(i64::from(h) * 3_600, 0).expect("a time"));
        for h in 0..5 {
            std::fs::write(dir.path().join(at(h)), b"x").expect("writes");
        }
        std::fs::write(dir.path().join("notes.txt"), b"x").expect("writes");
        let deleted = prune(dir.path(), 2).expect("prunes");
        assert_eq!(deleted, vec![dir.path().join(at(0)), dir.path().join(at(1)), dir.path().join(at(2))]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("lists")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .collect();
        left.sort();
        assert_eq!(left, vec![at(3), at(4), "notes.txt".to_string()]);
    }
}
