//! Moving a whole store to another database (chuyển dữ liệu): `cuocthi store copy --from
//! sqlite://… --to postgres://…` when a province outgrows one machine, or back.
//!
//! A backup ([`crate::backup`]) restores only into the backend it came from; this copies rows, so
//! it works across backends. The target is migrated by this binary and must hold no data (a copy
//! never merges into a store in use). Every table goes, parents before children (the foreign keys
//! read from the target's catalogue), in multi-row inserts inside **one transaction on the
//! target**, read from one snapshot of the source. Before that transaction commits, each table is
//! read back from the target and compared with what was read from the source: the row count and a
//! checksum of the rows (SHA-256 over the sorted SHA-256 of each row's values, so the two
//! backends' orderings of text do not matter). Any difference rolls the whole copy back. On
//! PostgreSQL the identity sequences are then set past the largest id copied, so the next row
//! inserted does not collide with a copied one.
//!
//! Ids are copied as they are: the audit log's hash chain, the published rankings' checksums and
//! the signed tokens all refer to them, and `results verify` passes on the copy.
//!
//! Uses `error` and `sql` (to migrate the target).

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::{ConnectOptions, Connection, PgConnection, Row, SqliteConnection};

use crate::error::StoreError;

/// The migrations' own table: each side's is its binary's, not data.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";
/// Most parameters in one insert: within both PostgreSQL's (65,535) and SQLite's (32,766) limits.
const MAX_PARAMETERS: usize = 30_000;
/// Most rows in one insert.
const MAX_ROWS: usize = 1_000;

/// What was copied of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    /// SHA-256 of the sorted SHA-256 of each row (hex): equal on the source and the target.
    pub checksum: String,
}

/// What a copy did, table by table in the order copied.
#[derive(Clone, Debug)]
pub struct CopyReport {
    pub schema_version: i64,
    pub tables: Vec<TableCopy>,
}

impl CopyReport {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

/// Why a copy did not happen. Nothing is left in the target in any of these cases: the copy is
/// one transaction. The messages are for the operator, in Vietnamese; the driver's words stay in
/// `source()`.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("nguồn và đích là cùng một cơ sở dữ liệu")]
    SameStore,
    #[error("địa chỉ cơ sở dữ liệu không dùng được: {0} (dùng sqlite://… hoặc postgres://…)")]
    Url(String),
    #[error(
        "cơ sở dữ liệu đích đã có dữ liệu (bảng {table}: {rows} dòng); chỉ chép vào một cơ sở dữ liệu trống, vừa tạo"
    )]
    NotEmpty { table: String, rows: i64 },
    #[error(
        "phiên bản cấu trúc của nguồn ({source_version}) khác của chương trình ({target_version}); chạy `cuocthi migrate` trên nguồn bằng chương trình này trước"
    )]
    SchemaVersion { source_version: i64, target_version: i64 },
    #[error("cấu trúc của nguồn và đích khác nhau: {0}")]
    Schema(String),
    #[error("không chép được cột {table}.{column}: kiểu {kind} chưa được hỗ trợ")]
    UnsupportedType { table: String, column: String, kind: String },
    #[error("các khóa ngoại của những bảng {0} tạo thành vòng: không có thứ tự chép")]
    Cycle(String),
    #[error("bảng {table} chép không khớp: {what}; không có gì được ghi vào đích")]
    Mismatch { table: String, what: String },
    #[error("lỗi cơ sở dữ liệu khi chép")]
    Database(#[source] StoreError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Database(StoreError::from(e))
    }
}

impl From<StoreError> for CopyError {
    fn from(e: StoreError) -> Self {
        CopyError::Database(e)
    }
}

pub type Result<T, E = CopyError> = std::result::Result<T, E>;

/// How a column's values are read, hashed and written on both backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bytes,
    Float,
}

/// One value read from the source.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Float(Option<f64>),
}

impl Value {
    /// The value's bytes for the row's checksum: a tag, then the value (lengths spelled out, so
    /// that no two rows hash alike by shifting text between columns).
    fn hash_into(&self, h: &mut Sha256) {
        match self {
            Value::Int(None) | Value::Text(None) | Value::Bytes(None) | Value::Float(None) => h.update(b"n"),
            Value::Int(Some(v)) => {
                h.update(b"i");
                h.update(v.to_le_bytes());
            }
            Value::Float(Some(v)) => {
                h.update(b"f");
                h.update(v.to_bits().to_le_bytes());
            }
            Value::Text(Some(v)) => {
                h.update(b"t");
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
            Value::Bytes(Some(v)) => {
                h.update(b"b");
                h.update((v.len() as u64).to_le_bytes());
                h.update(v);
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    /// The primary key's columns (all columns if there is none): the order rows are read in.
    key: Vec<String>,
    /// Tables this one refers to.
    parents: BTreeSet<String>,
    /// PostgreSQL identity columns, whose sequences are set past the copied ids.
    identity: Vec<String>,
}

enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Runs `$body` with `$c` bound to the connection of whichever backend `$conn` is (as
/// `crate::pool::on!` does for the pools), so one text serves both drivers.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

async fn connect(url: &str, must_exist: bool) -> Result<Conn> {
    if is_postgres(url) {
        // A whole table read as one stream is "slow" to sqlx: its statement log would only alarm.
        let opts = sqlx::postgres::PgConnectOptions::from_str(url)?.disable_statement_logging();
        Ok(Conn::Postgres(PgConnection::connect_with(&opts).await?))
    } else if is_sqlite(url) {
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
            .create_if_missing(!must_exist)
            .foreign_keys(true)
            .disable_statement_logging();
        Ok(Conn::Sqlite(SqliteConnection::connect_with(&opts).await?))
    } else {
        Err(CopyError::Url(crate::redact(url)))
    }
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Copies every row of the store at `from` into the store at `to` (migrated here first, and
/// empty): see the module's comment. Returns what it copied, once it is committed.
pub async fn copy(from: &str, to: &str) -> Result<CopyReport> {
    for url in [from, to] {
        if !is_postgres(url) && !is_sqlite(url) {
            return Err(CopyError::Url(crate::redact(url)));
        }
    }
    if from.trim_end_matches('/') == to.trim_end_matches('/') {
        return Err(CopyError::SameStore);
    }
    // The target gets this binary's schema; the source must already have it.
    let store = crate::SqlStore::connect(to).await?;
    let migrated = store.migrate().await;
    store.close().await;
    migrated?;

    let mut source = connect(from, true).await?;
    let mut target = connect(to, false).await?;
    let outcome = copy_between(&mut source, &mut target).await;
    on_conn!(source, |c| {
        let _ = c.close().await;
    });
    on_conn!(target, |c| {
        let _ = c.close().await;
    });
    outcome
}

async fn copy_between(source: &mut Conn, target: &mut Conn) -> Result<CopyReport> {
    let (source_version, target_version) = (schema_version(source).await?, schema_version(target).await?);
    if source_version != target_version {
        return Err(CopyError::SchemaVersion { source_version, target_version });
    }
    let tables = order(schema(target).await?)?;
    let source_tables = schema(source).await?;
    same_schema(&tables, &source_tables)?;

    // One snapshot of the source; one transaction on the target, committed only if every table
    // read back equals what was read.
    match source {
        Conn::Postgres(c) => {
            sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *c).await?;
        }
        Conn::Sqlite(c) => {
            sqlx::query("BEGIN").execute(&mut *c).await?;
        }
    }
    match target {
        Conn::Postgres(c) => {
            sqlx::query("BEGIN").execute(&mut *c).await?;
        }
        Conn::Sqlite(c) => {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await?;
        }
    }
    let copied = copy_tables(source, target, &tables).await;
    let end = if copied.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = on_conn!(target, |c| sqlx::query(end).execute(&mut *c).await.map(|_| ()));
    let _ = on_conn!(source, |c| sqlx::query("ROLLBACK").execute(&mut *c).await.map(|_| ()));
    let tables = copied?;
    ended?;
    Ok(CopyReport { schema_version: target_version, tables })
}

async fn copy_tables(source: &mut Conn, target: &mut Conn, tables: &[Table]) -> Result<Vec<TableCopy>> {
    for t in tables {
        let rows = count(target, &t.name).await?;
        if rows > 0 {
            return Err(CopyError::NotEmpty { table: t.name.clone(), rows });
        }
    }
    let mut report = Vec::with_capacity(tables.len());
    for t in tables {
        let read = copy_table(source, target, t).await?;
        let (rows, checksum) = checksum(target, t).await?;
        if rows != read.rows || checksum != read.checksum {
            return Err(CopyError::Mismatch {
                table: t.name.clone(),
                what: format!("nguồn {} dòng, mã {}; đích {} dòng, mã {}", read.rows, read.checksum, rows, checksum),
            });
        }
        reset_identity(target, t).await?;
        report.push(read);
    }
    Ok(report)
}

fn select_sql(t: &Table) -> String {
    let columns: Vec<String> = t.columns.iter().map(|(c, _)| quote(c)).collect();
    let key: Vec<String> = t.key.iter().map(|c| quote(c)).collect();
    format!("SELECT {} FROM {} ORDER BY {}", columns.join(", "), quote(&t.name), key.join(", "))
}

/// Reads `t` from the source in key order and inserts it into the target in chunks; the count
/// and checksum of what was read.
async fn copy_table(source: &mut Conn, target: &mut Conn, t: &Table) -> Result<TableCopy> {
    let sql = select_sql(t);
    let chunk = (MAX_PARAMETERS / t.columns.len().max(1)).clamp(1, MAX_ROWS);
    let mut hashes: Vec<[u8; 32]> = Vec::new();
    let mut buffer: Vec<Vec<Value>> = Vec::with_capacity(chunk);
    on_conn!(source, |c| {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch(&mut *c);
        while let Some(row) = rows.try_next().await? {
            let values = on_row(&row, t)?;
            hashes.push(row_hash(&values));
            buffer.push(values);
            if buffer.len() == chunk {
                insert(target, t, &buffer).await?;
                buffer.clear();
            }
        }
    });
    if !buffer.is_empty() {
        insert(target, t, &buffer).await?;
    }
    Ok(TableCopy { table: t.name.clone(), rows: hashes.len() as u64, checksum: combine(hashes) })
}

/// The values of one row, read as their columns' kinds.
macro_rules! read_values {
    ($row:expr, $t:expr) => {{
        let mut values = Vec::with_capacity($t.columns.len());
        for (i, (_, kind)) in $t.columns.iter().enumerate() {
            values.push(match kind {
                Kind::Int => Value::Int($row.try_get(i)?),
                Kind::Text => Value::Text($row.try_get(i)?),
                Kind::Bytes => Value::Bytes($row.try_get(i)?),
                Kind::Float => Value::Float($row.try_get(i)?),
            });
        }
        Ok::<Vec<Value>, CopyError>(values)
    }};
}

trait OnRow {
    fn values(&self, t: &Table) -> Result<Vec<Value>>;
}

impl OnRow for sqlx::sqlite::SqliteRow {
    fn values(&self, t: &Table) -> Result<Vec<Value>> {
        read_values!(self, t)
    }
}

impl OnRow for sqlx::postgres::PgRow {
    fn values(&self, t: &Table) -> Result<Vec<Value>> {
        read_values!(self, t)
    }
}

fn on_row(row: &impl OnRow, t: &Table) -> Result<Vec<Value>> {
    row.values(t)
}

fn row_hash(values: &[Value]) -> [u8; 32] {
    let mut h = Sha256::new();
    for v in values {
        v.hash_into(&mut h);
    }
    h.finalize().into()
}

/// The table's checksum from its rows' hashes, whatever order they were read in.
fn combine(mut hashes: Vec<[u8; 32]>) -> String {
    hashes.sort_unstable();
    let mut h = Sha256::new();
    for row in &hashes {
        h.update(row);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

async fn insert(target: &mut Conn, t: &Table, rows: &[Vec<Value>]) -> Result<()> {
    let columns: Vec<String> = t.columns.iter().map(|(c, _)| quote(c)).collect();
    let head = format!("INSERT INTO {} ({}) ", quote(&t.name), columns.join(", "));
    on_conn!(target, |c| {
        let mut q = sqlx::QueryBuilder::new(head);
        q.push_values(rows, |mut b, row| {
            for v in row {
                match v {
                    Value::Int(x) => b.push_bind(*x),
                    Value::Text(x) => b.push_bind(x.clone()),
                    Value::Bytes(x) => b.push_bind(x.clone()),
                    Value::Float(x) => b.push_bind(*x),
                };
            }
        });
        q.build().execute(&mut *c).await?;
    });
    Ok(())
}

/// The count and checksum of `t` as the target holds it now (inside the copy's transaction).
async fn checksum(target: &mut Conn, t: &Table) -> Result<(u64, String)> {
    let sql = select_sql(t);
    let mut hashes = Vec::new();
    on_conn!(target, |c| {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch(&mut *c);
        while let Some(row) = rows.try_next().await? {
            hashes.push(row_hash(&on_row(&row, t)?));
        }
    });
    Ok((hashes.len() as u64, combine(hashes)))
}

async fn count(conn: &mut Conn, table: &str) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {}", quote(table));
    Ok(on_conn!(conn, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *c).await)?)
}

/// Sets each identity sequence of `t` (PostgreSQL) so that the next id follows the largest copied.
async fn reset_identity(target: &mut Conn, t: &Table) -> Result<()> {
    let Conn::Postgres(c) = target else { return Ok(()) };
    for column in &t.identity {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({col}), 0) + 1, false) FROM {table}",
            col = quote(column),
            table = quote(&t.name),
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(quote(&t.name)).bind(column).execute(&mut *c).await?;
    }
    Ok(())
}

/// The highest migration applied (0 for a store never migrated).
async fn schema_version(conn: &mut Conn) -> Result<i64> {
    let tables = table_names(conn).await?;
    if !tables.iter().any(|t| t == MIGRATIONS_TABLE) {
        return Ok(0);
    }
    let sql = format!("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM {MIGRATIONS_TABLE} WHERE success");
    Ok(on_conn!(conn, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *c).await)?)
}

async fn table_names(conn: &mut Conn) -> Result<Vec<String>> {
    Ok(match conn {
        Conn::Postgres(c) => {
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
                .fetch_all(&mut *c)
                .await?
        }
        Conn::Sqlite(c) => {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
            )
            .fetch_all(&mut *c)
            .await?
        }
    })
}

fn kind_of(table: &str, column: &str, declared: &str) -> Result<Kind> {
    let d = declared.to_ascii_lowercase();
    let kind = if d.contains("int") {
        Kind::Int
    } else if d.contains("char") || d.contains("text") || d.contains("clob") {
        Kind::Text
    } else if d.contains("blob") || d.contains("bytea") {
        Kind::Bytes
    } else if d.contains("real") || d.contains("double") || d.contains("float") {
        Kind::Float
    } else {
        return Err(CopyError::UnsupportedType { table: table.into(), column: column.into(), kind: declared.into() });
    };
    Ok(kind)
}

/// Every data table of the store with its columns, key, parents and identity columns.
async fn schema(conn: &mut Conn) -> Result<Vec<Table>> {
    let mut tables = Vec::new();
    for name in table_names(conn).await? {
        if name == MIGRATIONS_TABLE {
            continue;
        }
        let table = match conn {
            Conn::Postgres(c) => postgres_table(c, name).await?,
            Conn::Sqlite(c) => sqlite_table(c, name).await?,
        };
        tables.push(table);
    }
    Ok(tables)
}

async fn postgres_table(c: &mut PgConnection, name: String) -> Result<Table> {
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text, is_identity::text FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(&name)
    .fetch_all(&mut *c)
    .await?;
    let key: Vec<String> = sqlx::query_scalar(
        "SELECT a.attname::text FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary
          ORDER BY array_position(i.indkey::int2[], a.attnum)",
    )
    .bind(&name)
    .fetch_all(&mut *c)
    .await?;
    let parents: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT p.relname::text FROM pg_constraint f JOIN pg_class p ON p.oid = f.confrelid
          WHERE f.contype = 'f' AND f.conrelid = to_regclass(quote_ident($1))",
    )
    .bind(&name)
    .fetch_all(&mut *c)
    .await?;
    let mut kinds = Vec::with_capacity(columns.len());
    let mut identity = Vec::new();
    for (column, declared, is_identity) in columns {
        kinds.push((column.clone(), kind_of(&name, &column, &declared)?));
        if is_identity == "YES" {
            identity.push(column);
        }
    }
    let key = if key.is_empty() { kinds.iter().map(|(c, _)| c.clone()).collect() } else { key };
    Ok(Table { name, columns: kinds, key, parents: parents.into_iter().collect(), identity })
}

async fn sqlite_table(c: &mut SqliteConnection, name: String) -> Result<Table> {
    let info = format!("PRAGMA table_info({})", quote(&name));
    // cid, name, type, notnull, dflt_value, pk (its position in the key, 0 if not in it).
    let rows = sqlx::query(sqlx::AssertSqlSafe(info)).fetch_all(&mut *c).await?;
    let mut columns = Vec::with_capacity(rows.len());
    let mut key: Vec<(i64, String)> = Vec::new();
    for r in rows {
        let column: String = r.try_get("name")?;
        let declared: String = r.try_get("type")?;
        let pk: i64 = r.try_get("pk")?;
        if pk > 0 {
            key.push((pk, column.clone()));
        }
        columns.push((column.clone(), kind_of(&name, &column, &declared)?));
    }
    key.sort();
    let key = if key.is_empty() {
        columns.iter().map(|(c, _)| c.clone()).collect()
    } else {
        key.into_iter().map(|(_, c)| c).collect()
    };
    let fks = format!("PRAGMA foreign_key_list({})", quote(&name));
    let parents = sqlx::query(sqlx::AssertSqlSafe(fks))
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("table"))
        .collect::<sqlx::Result<BTreeSet<String>>>()?;
    Ok(Table { name, columns, key, parents, identity: Vec::new() })
}

/// The target's tables with every parent before its children (a table referring to itself is
/// its own business: rows are copied in key order).
fn order(tables: Vec<Table>) -> Result<Vec<Table>> {
    let mut left: BTreeMap<String, Table> = tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready: Vec<String> = left
            .values()
            .filter(|t| t.parents.iter().all(|p| p == &t.name || done.contains(p) || !left.contains_key(p)))
            .map(|t| t.name.clone())
            .collect();
        if ready.is_empty() {
            return Err(CopyError::Cycle(left.keys().cloned().collect::<Vec<_>>().join(", ")));
        }
        for name in ready {
            if let Some(t) = left.remove(&name) {
                done.insert(name);
                ordered.push(t);
            }
        }
    }
    Ok(ordered)
}

/// The source must hold the same tables with the same columns (names; the kinds are the target's).
fn same_schema(target: &[Table], source: &[Table]) -> Result<()> {
    let source: BTreeMap<&str, &Table> = source.iter().map(|t| (t.name.as_str(), t)).collect();
    let target_names: BTreeSet<&str> = target.iter().map(|t| t.name.as_str()).collect();
    let mut differences = Vec::new();
    for t in target {
        match source.get(t.name.as_str()) {
            None => differences.push(format!("nguồn không có bảng {}", t.name)),
            Some(s) => {
                let want: BTreeSet<&str> = t.columns.iter().map(|(c, _)| c.as_str()).collect();
                let have: BTreeSet<&str> = s.columns.iter().map(|(c, _)| c.as_str()).collect();
                if want != have {
                    differences.push(format!(
                        "bảng {}: cột ở đích {:?}, ở nguồn {:?}",
                        t.name,
                        want.difference(&have).collect::<Vec<_>>(),
                        have.difference(&want).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    for name in source.keys() {
        if !target_names.contains(name) {
            differences.push(format!("đích không có bảng {name}"));
        }
    }
    if differences.is_empty() { Ok(()) } else { Err(CopyError::Schema(differences.join("; "))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, parents: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: vec![("id".into(), Kind::Int)],
            key: vec!["id".into()],
            parents: parents.iter().map(|p| p.to_string()).collect(),
            identity: Vec::new(),
        }
    }

    #[test]
    fn parents_come_before_their_children_and_a_cycle_is_refused() {
        let tables = vec![table("attempts", &["participants", "rounds"]), table("rounds", &["contests"])];
        let tables = [tables, vec![table("participants", &["contests"]), table("contests", &[])]].concat();
        let names: Vec<String> = order(tables).expect("an order").into_iter().map(|t| t.name).collect();
        let at = |n: &str| names.iter().position(|x| x == n).expect("listed");
        assert!(at("contests") < at("rounds") && at("rounds") < at("attempts"));
        assert!(at("participants") < at("attempts"));
        assert!(order(vec![table("a", &["b"]), table("b", &["a"])]).is_err());
        assert!(order(vec![table("a", &["a"])]).is_ok(), "a table referring to itself");
    }

    #[test]
    fn checksums_ignore_row_order_and_see_every_value() {
        let row = |id: i64, text: &str| row_hash(&[Value::Int(Some(id)), Value::Text(Some(text.into()))]);
        assert_eq!(combine(vec![row(1, "a"), row(2, "b")]), combine(vec![row(2, "b"), row(1, "a")]));
        assert_ne!(combine(vec![row(1, "a"), row(2, "b")]), combine(vec![row(1, "a"), row(2, "c")]));
        // Text moved between columns, or a NULL for an empty text, is another row.
        let two = |a: Option<&str>, b: Option<&str>| {
            row_hash(&[Value::Text(a.map(str::to_string)), Value::Text(b.map(str::to_string))])
        };
        assert_ne!(two(Some("ab"), Some("")), two(Some("a"), Some("b")));
        assert_ne!(two(Some(""), None), two(None, Some("")));
    }
}
