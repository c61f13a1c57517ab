//! PostgreSQL's image: `pg_dump --format=custom` run inside a snapshot this module exports from a
//! REPEATABLE READ transaction, so the manifest's row counts and the dump see the same instant
//! while the server goes on writing; restored with `pg_restore`. The client tools are found on
//! PATH and must be at least the server's major version.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use sqlx::{Connection, PgConnection};

use super::{BackupError, MIGRATIONS_TABLE, Result, Taken, blocking};

pub(super) const NAME: &str = "postgres";
const IMAGE: &str = "cuocthi.pgdump";

pub(super) async fn dump(url: &str, image: &Path) -> Result<Taken> {
    let mut conn = PgConnection::connect(url).await?;
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut conn).await?;
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut conn).await?;
    let tables = counts(&mut conn).await?;
    let schema_version = schema_version(&mut conn, &tables).await?;
    let image_arg = format!("--file={}", image.display());
    let dumped =
        run_tool("pg_dump", url, vec!["--format=custom".into(), format!("--snapshot={snapshot}"), image_arg]).await;
    // The snapshot must outlive pg_dump's import of it: end the transaction only now.
    sqlx::query("COMMIT").execute(&mut conn).await?;
    let _ = conn.close().await;
    dumped?;
    Ok(Taken { backend: NAME, image_name: IMAGE, schema_version, tables })
}

/// `pg_restore --list` reads the whole table of contents: a dump it cannot read fails here.
pub(super) async fn check(image: &Path) -> Result<String> {
    let out = run_tool_plain("pg_restore", vec!["--list".into(), image.display().to_string()]).await?;
    let entries = String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with(';') && !l.is_empty()).count();
    Ok(format!("pg_restore --list đọc được {entries} mục"))
}

/// Empties the target schema, then restores in one transaction: a failed restore leaves the
/// tables dropped but nothing half-loaded.
pub(super) async fn load(url: &str, image: &Path) -> Result<()> {
    let mut conn = PgConnection::connect(url).await?;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()")
            .fetch_all(&mut conn)
            .await?;
    if !tables.is_empty() {
        let list: Vec<String> = tables.iter().map(|t| quote(t)).collect();
        let sql = format!("DROP TABLE IF EXISTS {} CASCADE", list.join(", "));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await?;
    }
    let _ = conn.close().await;
    let args = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"];
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.push(image.display().to_string());
    run_tool("pg_restore", url, args).await.map(|_| ())
}

pub(super) async fn row_counts(url: &str) -> Result<BTreeMap<String, i64>> {
    let mut conn = PgConnection::connect(url).await?;
    let counts = counts(&mut conn).await;
    let _ = conn.close().await;
    counts
}

async fn counts(conn: &mut PgConnection) -> Result<BTreeMap<String, i64>> {
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()")
            .fetch_all(&mut *conn)
            .await?;
    let mut counts = BTreeMap::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {}", quote(&table));
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await?;
        counts.insert(table, n);
    }
    Ok(counts)
}

async fn schema_version(conn: &mut PgConnection, tables: &BTreeMap<String, i64>) -> Result<i64> {
    if !tables.contains_key(MIGRATIONS_TABLE) {
        return Ok(0);
    }
    let sql = format!("SELECT COALESCE(MAX(version), 0)::BIGINT FROM {MIGRATIONS_TABLE} WHERE success");
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await?)
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Runs a client tool against the database at `url`; the password travels in `PGPASSWORD`, not
/// in the arguments that every user of the machine can list.
async fn run_tool(tool: &'static str, url: &str, mut args: Vec<String>) -> Result<Output> {
    let (address, password) = split_password(url)?;
    args.push(format!("--dbname={address}"));
    run(tool, args, password).await
}

async fn run_tool_plain(tool: &'static str, args: Vec<String>) -> Result<Output> {
    run(tool, args, None).await
}

async fn run(tool: &'static str, args: Vec<String>, password: Option<String>) -> Result<Output> {
    blocking(move || {
        let mut command = Command::new(tool);
        command.args(&args);
        if let Some(p) = password {
            command.env("PGPASSWORD", p);
        }
        let out = command.output().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => BackupError::ToolMissing(tool),
            _ => BackupError::File { path: tool.into(), source: e },
        })?;
        if !out.status.success() {
            return Err(BackupError::Tool {
                tool,
                code: out.status.code().map_or("tín hiệu".into(), |c| c.to_string()),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(out)
    })
    .await
}

/// The URL without its password, and the password decoded.
fn split_password(url: &str) -> Result<(String, Option<String>)> {
    let mut parsed = url::Url::parse(url).map_err(|e| BackupError::Url(e.to_string()))?;
    let Some(encoded) = parsed.password().map(str::to_string) else { return Ok((url.to_string(), None)) };
    parsed.set_password(None).map_err(|()| BackupError::Url("không bỏ được mật khẩu khỏi địa chỉ".into()))?;
    Ok((parsed.to_string(), Some(percent_decode(&encoded))))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_arguments() {
        let (address, password) = split_password("postgres://app:p%40ss%3Aw@db.local:5432/cuocthi").expect("a URL");
        assert_eq!(address, "postgres://app@db.local:5432/cuocthi");
        assert_eq!(password.as_deref(), Some("p@ss:w"));
        let (address, password) = split_password("postgres://postgres@127.0.0.1:5432/x").expect("a URL");
        assert_eq!((address.as_str(), password), ("postgres://postgres@127.0.0.1:5432/x", None));
    }
}
