//! `cuocthi`: one binary for the server and every administrative task.

mod backup;
mod config;
mod connections;
mod privacy;
mod serve;
mod store_copy;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use cuocthi_domain::{text, vntime};
use cuocthi_engine::{Engine, EngineError, Role, SystemClock};
use cuocthi_store::{SqlStore, Store};

#[derive(Parser)]
#[command(name = "cuocthi", version, about = "Cuộc thi trắc nghiệm trực tuyến — online multiple-choice contests")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    /// A TOML configuration file (deploy/cuocthi.toml.example): every `serve` option is a key;
    /// the command line and the environment override it.
    #[arg(long, global = true, env = "CUOCTHI_CONFIG")]
    config: Option<PathBuf>,
    /// Log lines as text or as JSON (one object a line: level, message, route, request id…).
    #[arg(long, global = true, env = "CUOCTHI_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: serve::LogFormat,
    /// Write logs as JSON lines (the same as `--log-format json`, kept for older set-ups).
    #[arg(long, global = true, env = "CUOCTHI_LOG_JSON", hide = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DbArgs {
    /// `sqlite://path` (created if missing) or `postgres://user@host/db`.
    #[arg(long, global = true, env = "CUOCTHI_DATABASE_URL", default_value = "sqlite://data/cuocthi.db")]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (participant pages, JSON API, health checks).
    Serve(Box<serve::ServeArgs>),
    /// The configuration: what `serve` would run with, or the documented example file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Apply the database migrations.
    Migrate,
    /// Contest definitions (TOML).
    #[command(subcommand)]
    Contest(ContestCommand),
    /// The question bank.
    #[command(subcommand)]
    Questions(QuestionsCommand),
    /// Load the demo contests (the five seed contests and an open practice contest).
    Demo {
        /// Also fill a round with this many synthetic people, one scored attempt each (benchmarks).
        #[arg(long)]
        synthetic: Option<u64>,
        /// The contest to fill with --synthetic.
        #[arg(long, default_value = "thi-thu")]
        contest: String,
        /// The round number to fill with --synthetic.
        #[arg(long, default_value_t = 1)]
        round: i64,
    },
    /// Staff accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Rankings, prizes and publication.
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Backups: create, verify, restore (SQLite directly; PostgreSQL with pg_dump/pg_restore).
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Personal data: the purge when a contest's retention period has ended.
    #[command(subcommand)]
    Privacy(privacy::PrivacyCommand),
    /// The whole store: copy it into another, empty database (SQLite ⇄ PostgreSQL).
    #[command(subcommand)]
    Store(store_copy::StoreCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the settings `serve` would use (command line > environment > file > default), as
    /// a configuration file; the metrics token is not shown.
    Show(Box<serve::ServeArgs>),
}

#[derive(Subcommand)]
enum ContestCommand {
    /// Import a contest definition and its question file (`question_bank`, relative to the file).
    Import { file: PathBuf },
    /// Print a contest's definition (TOML), optionally writing its question bank as CSV.
    Export {
        slug: String,
        #[arg(long)]
        questions: Option<PathBuf>,
    },
    /// List the contests.
    List,
}

#[derive(Subcommand)]
enum QuestionsCommand {
    /// Import questions from .xlsx, .csv or Word .docx (layout: docs/IMPORT.md). A file with errors imports
    /// nothing unless --skip-invalid is given.
    Import {
        #[arg(long)]
        contest: String,
        file: PathBuf,
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account. The password is read from CUOCTHI_ADMIN_PASSWORD or standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum, default_value = "system-admin")]
        role: RoleArg,
    },
    /// Remove an account's second factor (a lost phone) and end its sessions; the account sets up
    /// a new one at its next sign-in. Recorded in the audit log.
    ResetTotp {
        #[arg(long)]
        username: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    SystemAdmin,
    Organiser,
    Judge,
    Secretariat,
    UnitCoordinator,
    Viewer,
    /// Người dẫn chương trình: controls the in-person event's stage, nothing else.
    Mc,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::SystemAdmin => Role::SystemAdmin,
            RoleArg::Organiser => Role::Organiser,
            RoleArg::Judge => Role::Judge,
            RoleArg::Secretariat => Role::Secretariat,
            RoleArg::UnitCoordinator => Role::UnitCoordinator,
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Mc => Role::Mc,
        }
    }
}

#[derive(Subcommand)]
enum ResultsCommand {
    /// Print the ranking and prizes of a round (the draft, from the stored attempts).
    Rank {
        #[arg(long)]
        contest: String,
        /// Round number (1, 2…); omit for the overall ranking.
        #[arg(long)]
        round: Option<i64>,
        /// How many rows to print.
        #[arg(long, default_value_t = 50)]
        top: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the collective (unit) rankings.
    Collective {
        #[arg(long)]
        contest: String,
    },
    /// Approve and publish the ranking and prize list of a closed round (or the overall one) as
    /// a new version. A version after the first needs `--reason`.
    Publish {
        #[arg(long)]
        contest: String,
        #[arg(long)]
        round: Option<i64>,
        /// Why this version replaces the one before (a disqualification, a voided question…).
        #[arg(long)]
        reason: Option<String>,
        /// The reference of the committee's meeting that approved it (its biên bản), recorded
        /// with the version and in the audit log.
        #[arg(long, default_value = "")]
        meeting: String,
        /// The in-person event's team ranking and team prizes instead of a round's.
        #[arg(long, conflicts_with = "round")]
        event: bool,
    },
    /// Recompute a published ranking from the raw answers and check it, and the audit chain,
    /// against the publication. Exits with an error naming every difference.
    Verify {
        #[arg(long)]
        contest: String,
        #[arg(long)]
        round: Option<i64>,
        /// The in-person event's published results, recomputed from the stored score sheets.
        #[arg(long, conflicts_with = "round")]
        event: bool,
    },
}

/// mimalloc, not glibc's malloc: malloc and free were ≈ 15% of the server's samples on the
/// PostgreSQL path (docs/PERFORMANCE.md, "Issue 16, fifth part"), where mimalloc gave 23–30% more
/// attempts a second in three alternated pairs, for ≈ 35 MB more memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = match config::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("Lỗi: {e:#}");
            std::process::exit(2);
        }
    };
    serve::init_tracing(if cli.log_json { serve::LogFormat::Json } else { cli.log_format });
    if let Err(e) = run(cli).await {
        eprintln!("Lỗi: {e:#}");
        std::process::exit(1);
    }
}

async fn open(db: &DbArgs) -> Result<(Arc<SqlStore>, Engine)> {
    let store = Arc::new(
        SqlStore::connect(&db.database_url)
            .await
            .with_context(|| format!("cannot open {}", cuocthi_store::redact(&db.database_url)))?,
    );
    store.migrate().await.context("migrations failed")?;
    let engine = Engine::new(store.clone() as Arc<dyn Store>, Arc::new(SystemClock)).await?;
    Ok((store, engine))
}

/// Prints an engine refusal with everything the person needs to fix it.
fn explain(e: EngineError) -> anyhow::Error {
    let mut msg = e.to_string();
    match &e {
        EngineError::Import(report) => msg = format!("{msg}\n{report}"),
        EngineError::Definition(errors) => {
            for d in errors {
                msg.push_str(&format!("\n  {}: {}", d.path, d.message));
            }
        }
        EngineError::Internal(detail) => msg = format!("{msg} ({detail})"),
        _ => {}
    }
    anyhow::anyhow!(msg)
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => {
            args.check()?;
            let (store, engine) = open(&cli.db).await?;
            serve::start(*args, &cli.db.database_url, store.clone(), engine).await?;
            store.close().await;
        }
        Command::Config(ConfigCommand::Show(args)) => {
            print!("{}", serve::show(&args, &cli.db.database_url, cli.log_format, cli.config.as_deref()));
        }
        Command::Migrate => {
            let (store, _) = open(&cli.db).await?;
            println!("Đã cập nhật cấu trúc cơ sở dữ liệu ({:?}).", store.backend());
        }
        Command::Demo { synthetic, contest, round } => {
            let (_, engine) = open(&cli.db).await?;
            let loaded = cuocthi_engine::demo::load(&engine).await.map_err(explain)?;
            if loaded.is_empty() {
                println!("Các cuộc thi mẫu đã có sẵn.");
            }
            for slug in loaded {
                println!("Đã nạp cuộc thi mẫu: {slug}");
            }
            let played = cuocthi_engine::demo::play_seed_004(&engine).await.map_err(explain)?;
            if played > 0 {
                println!(
                    "Đã cho {} người dự thi mẫu làm bài cuộc thi 004 và công bố kết quả.",
                    text::thousands(played)
                );
            }
            let teams = cuocthi_engine::demo::register_seed_002_teams(&engine).await.map_err(explain)?;
            if teams > 0 {
                println!("Đã đăng ký {teams} đội thi mẫu cho hội thi trực tiếp của cuộc thi 002.");
            }
            if let Some(n) = synthetic {
                let started = std::time::Instant::now();
                let done = cuocthi_engine::demo::synthetic(&engine, &contest, round, n, 2024).await.map_err(explain)?;
                println!(
                    "Đã tạo {} lượt thi mẫu trong {:.1} giây.",
                    text::thousands(done),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Command::Contest(ContestCommand::Import { file }) => {
            let (_, engine) = open(&cli.db).await?;
            let source = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let bank = bank_file(&source, &file)?;
            let done = engine
                .import_contest(&source, bank.as_ref().map(|(name, bytes)| (name.as_str(), bytes.as_slice())))
                .await
                .map_err(explain)?;
            println!("Đã nhập cuộc thi \"{}\".", done.slug);
            if let Some(report) = done.questions {
                println!("{report}");
            }
        }
        Command::Contest(ContestCommand::Export { slug, questions }) => {
            let (_, engine) = open(&cli.db).await?;
            print!("{}", engine.export_contest(&slug).await.map_err(explain)?);
            if let Some(path) = questions {
                std::fs::write(&path, engine.export_questions_csv(&slug).await.map_err(explain)?)?;
                eprintln!("Đã ghi ngân hàng câu hỏi vào {}.", path.display());
            }
        }
        Command::Contest(ContestCommand::List) => {
            let (_, engine) = open(&cli.db).await?;
            for c in engine.contests().await.map_err(explain)? {
                println!("{:<32} {:<9} {} → {}  {}", c.slug, c.phase, c.opens_at_vn, c.closes_at_vn, c.title);
            }
        }
        Command::Questions(QuestionsCommand::Import { contest, file, skip_invalid }) => {
            let (_, engine) = open(&cli.db).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let report = engine.import_questions(&contest, name, &bytes, skip_invalid).await.map_err(explain)?;
            println!("{report}");
        }
        Command::Admin(AdminCommand::Create { username, role }) => {
            let password = match std::env::var("CUOCTHI_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("Nhập mật khẩu (ít nhất {} ký tự), rồi Enter:", cuocthi_engine::MIN_PASSWORD_CHARS);
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let (_, engine) = open(&cli.db).await?;
            let id = engine.create_account(&username, password, role.into()).await.map_err(explain)?;
            println!("Đã tạo tài khoản \"{username}\" (số {id}).");
        }
        Command::Admin(AdminCommand::ResetTotp { username }) => {
            let (_, engine) = open(&cli.db).await?;
            engine.reset_second_factor(&username).await.map_err(explain)?;
            println!("Đã gỡ xác thực hai lớp của tài khoản \"{username}\"; tài khoản sẽ cài lại khi đăng nhập.");
        }
        Command::Results(cmd) => results(&cli.db, cmd).await?,
        Command::Backup(cmd) => backup::run(&cli.db.database_url, cmd).await?,
        Command::Privacy(cmd) => privacy::run(&open(&cli.db).await?.1, cmd).await?,
        Command::Store(cmd) => store_copy::run(cmd).await?,
    }
    Ok(())
}

/// Reads the question file a definition names, relative to the definition.
fn bank_file(source: &str, def_path: &Path) -> Result<Option<(String, Vec<u8>)>> {
    let def =
        cuocthi_domain::contest::ContestDef::from_toml(source).map_err(|e| explain(EngineError::Definition(e)))?;
    let Some(rel) = def.question_bank else { return Ok(None) };
    let path = def_path.parent().unwrap_or(Path::new(".")).join(&rel);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read the question file {}", path.display()))?;
    Ok(Some((rel, bytes)))
}

async fn results(db: &DbArgs, cmd: ResultsCommand) -> Result<()> {
    let (_, engine) = open(db).await?;
    match cmd {
        ResultsCommand::Rank { contest, round, top, json } => {
            let r = match round {
                Some(n) => engine.round_results(&contest, n).await.map_err(explain)?,
                None => match engine.overall_results(&contest).await.map_err(explain)? {
                    Some(r) => r,
                    None => bail!("Cuộc thi không có xếp hạng chung cuộc; hãy chỉ ra --round."),
                },
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            println!(
                "{} — {} người; số thực tế của câu dự đoán: {}",
                r.round_name,
                text::thousands(r.standings.len()),
                r.real_figure.map_or("chưa có".into(), text::thousands)
            );
            let prize: std::collections::HashMap<i64, &str> =
                r.awards.iter().map(|a| (a.participant_id, a.prize.as_str())).collect();
            println!(
                "{:>6} {:>10} {:>6} {:>10} {:>12} {:>12}  giải",
                "hạng", "người", "đúng", "dự đoán", "lệch", "thời gian"
            );
            for s in r.standings.iter().take(top) {
                println!(
                    "{:>6} {:>10} {:>6} {:>10} {:>12} {:>12}  {}",
                    s.rank,
                    s.participant_id,
                    s.correct,
                    s.prediction.map_or("-".into(), |p| p.to_string()),
                    s.distance.map_or("-".into(), |d| d.to_string()),
                    text::duration(s.time_taken_ms),
                    prize.get(&s.participant_id).unwrap_or(&"")
                );
            }
        }
        ResultsCommand::Collective { contest } => {
            for c in engine.collective_results(&contest).await.map_err(explain)? {
                println!("{}", c.prize);
                for u in c.units {
                    println!(
                        "{:>4} {:<24} {:>8} người  điểm {:>8}  {}",
                        u.rank,
                        u.unit,
                        u.participants,
                        u.score,
                        u.prize.unwrap_or_default()
                    );
                }
            }
        }
        ResultsCommand::Publish { contest, round, reason, meeting, event } => {
            let v = if event {
                engine
                    .publish_event(&contest, reason.as_deref().unwrap_or_default(), &meeting)
                    .await
                    .map_err(explain)?
            } else {
                engine.publish_in_meeting(&contest, round, reason.as_deref(), &meeting).await.map_err(explain)?
            };
            println!(
                "Đã phê duyệt và công bố {}, phiên bản {} ({} người đoạt giải) lúc {}.",
                v.title,
                v.version.unwrap_or(1),
                v.rows.len() + v.event.as_ref().map_or(0, |e| e.teams.iter().filter(|t| t.prize.is_some()).count()),
                v.published_at.map(vntime::format_long).unwrap_or_default()
            );
        }
        ResultsCommand::Verify { contest, round, event } => {
            let v = if event {
                engine.verify_event_results(&contest).await.map_err(explain)?
            } else {
                engine.verify_results(&contest, round).await.map_err(explain)?
            };
            println!(
                "Đã chấm lại {} lượt thi; đối chiếu {} bài đã niêm phong; nhật ký thao tác có {} mục, mã băm cuối {}.",
                v.attempts_checked, v.sealed_checked, v.audit_entries, v.audit_digest
            );
            if !v.problems.is_empty() {
                for p in &v.problems {
                    eprintln!("  {p}");
                }
                anyhow::bail!("Kết quả KHÔNG khớp: {} điểm khác biệt.", v.problems.len());
            }
            println!("Kết quả khớp với bản đã công bố.");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command};

    #[test]
    fn only_a_demo_may_do_without_the_second_factor() {
        assert!(Cli::try_parse_from(["cuocthi", "serve", "--without-second-factor"]).is_err());
        let demo = Cli::try_parse_from(["cuocthi", "serve", "--demo", "--without-second-factor"]).expect("a demo");
        assert!(matches!(demo.command, Command::Serve(a) if a.without_second_factor));
        let plain =
            Cli::try_parse_from(["cuocthi", "serve", "--public-url", "https://thi.tinh.gov.vn"]).expect("serve");
        assert!(matches!(plain.command, Command::Serve(a) if !a.without_second_factor));
    }
}
