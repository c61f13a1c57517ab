//! `cuocthi privacy purge`: removes the personal data whose retention period has ended (Luật
//! 91/2025/QH15), and the server's schedule that does the same every few hours.

use std::time::Duration;

use anyhow::Result;
use clap::Subcommand;
use cuocthi_domain::vntime;
use cuocthi_engine::Engine;

/// How often the server looks for data whose retention has ended.
const PURGE_EVERY: Duration = Duration::from_secs(6 * 3600);
/// The first look, a little after start-up (not in the way of the first requests).
const FIRST_PURGE_AFTER: Duration = Duration::from_secs(120);

#[derive(Subcommand)]
pub enum PrivacyCommand {
    /// Remove the personal fields (name, date of birth, CCCD, phone, e-mail) of people who won no
    /// prize once the contest's retention period has passed, and of winners once theirs has
    /// (keeping the name published with the prize). Irreversible; the purge is audited.
    Purge {
        /// Only this contest (its slug); every contest when left out.
        #[arg(long)]
        contest: Option<String>,
        /// Say what would be removed, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(engine: &Engine, cmd: PrivacyCommand) -> Result<()> {
    match cmd {
        PrivacyCommand::Purge { contest, dry_run } => {
            let done = engine
                .purge_personal_data(contest.as_deref(), dry_run, "dòng lệnh (cuocthi privacy purge)")
                .await
                .map_err(crate::explain)?;
            for c in done {
                let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map(|t| vntime::format_date(vntime::local_date(t))).unwrap_or_else(|| "—".into())
                };
                println!(
                    "{} ({}): kết thúc {}, hạn xóa {}, hạn xóa dữ liệu người đạt giải {}. {}",
                    c.title,
                    c.slug,
                    day(c.ended_at),
                    day(c.due_at),
                    day(c.winners_due_at),
                    c.status
                );
                if !dry_run && c.counts.participants > 0 {
                    println!(
                        "  {} hồ sơ, {} dòng danh sách, {} góp ý, {} yêu cầu đã được xóa nội dung cá nhân.",
                        c.counts.participants, c.counts.list_rows, c.counts.reports, c.counts.requests
                    );
                }
            }
            Ok(())
        }
    }
}

/// The server's schedule: every [`PURGE_EVERY`], the purge of every contest whose retention has
/// ended. Idempotent, so several nodes may run it.
pub async fn purge_forever(engine: Engine) {
    tokio::time::sleep(FIRST_PURGE_AFTER).await;
    let mut tick = tokio::time::interval(PURGE_EVERY);
    loop {
        tick.tick().await;
        match engine.purge_personal_data(None, false, "hệ thống (lịch xóa dữ liệu)").await {
            Ok(done) => {
                let removed: u64 = done.iter().map(|c| c.counts.participants).sum();
                if removed > 0 {
                    tracing::info!(removed, "personal data past its retention period removed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "the personal-data purge failed"),
        }
    }
}
