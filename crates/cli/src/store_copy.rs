//! `cuocthi store copy --from URL --to URL`: the whole store moved to another database, across
//! backends (docs/OPERATIONS.md, "Chuyển từ SQLite sang PostgreSQL"). The work and its checks are
//! `cuocthi_store::copy`; this module words the outcome for the operator.

use anyhow::{Context, Result};
use clap::Subcommand;
use cuocthi_domain::text;
use cuocthi_store::copy;
use cuocthi_store::redact;

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Copy every table of one store into another, empty one (migrated first), in one
    /// transaction; each table's row count and checksum compared before it commits. Stop the
    /// server on the source first. Works between SQLite and PostgreSQL either way.
    Copy {
        /// The store to copy: sqlite://PATH or postgres://…
        #[arg(long)]
        from: String,
        /// The empty store to fill: postgres://… or sqlite://PATH (created if missing).
        #[arg(long)]
        to: String,
    },
}

pub async fn run(command: StoreCommand) -> Result<()> {
    match command {
        StoreCommand::Copy { from, to } => {
            let report = copy::copy(&from, &to)
                .await
                .with_context(|| format!("Không chép được dữ liệu từ {} sang {}", redact(&from), redact(&to)))?;
            println!(
                "Đã chép {} dòng của {} bảng từ {} sang {} (phiên bản cấu trúc {}): số dòng và mã kiểm tra từng bảng khớp.",
                text::thousands(report.total_rows()),
                report.tables.len(),
                redact(&from),
                redact(&to),
                report.schema_version
            );
            for t in &report.tables {
                println!(
                    "  {:<28} {:>12} dòng  {}",
                    t.table,
                    text::thousands(t.rows),
                    &t.checksum[..16.min(t.checksum.len())]
                );
            }
        }
    }
    Ok(())
}
