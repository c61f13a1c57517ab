//! Uploads awaiting confirmation and a contest's files (`staged_files`, `materials`).

use chrono::{DateTime, Utc};

use super::SqlStore;
use crate::Result;
use crate::console::*;
use crate::model::*;
use crate::pool::{WritePool, on, statement};

pub(super) async fn stage_file(
    store: &SqlStore,
    account_id: i64,
    contest_id: i64,
    purpose: &str,
    file_name: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<i64> {
    let sql = "INSERT INTO staged_files (account_id, contest_id, purpose, file_name, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let (id,): (i64,) =
        statement!(store, write, fetch_one, sql, account_id, contest_id, purpose, file_name, body, ms(now))?;
    Ok(id)
}

pub(super) async fn staged_file(store: &SqlStore, id: i64) -> Result<Option<StagedFile>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM staged_files WHERE id = $1", id)?)
}

pub(super) async fn drop_staged_file(store: &SqlStore, id: i64, stale_before: DateTime<Utc>) -> Result<()> {
    statement!(
        store,
        write,
        execute,
        "DELETE FROM staged_files WHERE id = $1 OR created_at < $2",
        id,
        ms(stale_before)
    )?;
    Ok(())
}

pub(super) async fn insert_material(store: &SqlStore, m: &MaterialRow, body: &[u8]) -> Result<i64> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        if m.kind == "logo" {
            sqlx::query("DELETE FROM materials WHERE contest_id = $1 AND kind = 'logo'")
                .bind(m.contest_id)
                .execute(&mut *tx)
                .await?;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO materials (contest_id, kind, title, file_name, content_type, size, sha256, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(m.contest_id)
        .bind(&m.kind)
        .bind(&m.title)
        .bind(&m.file_name)
        .bind(&m.content_type)
        .bind(m.size)
        .bind(&m.sha256)
        .bind(body)
        .bind(m.created_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    })
}

/// A material's columns in [`MaterialRow`]'s order.
const MATERIAL_COLUMNS: &str = "id, contest_id, kind, title, file_name, content_type, size, sha256, created_at";

pub(super) async fn materials_of(store: &SqlStore, contest_id: i64) -> Result<Vec<MaterialRow>> {
    let sql = format!("SELECT {MATERIAL_COLUMNS} FROM materials WHERE contest_id = $1 ORDER BY id");
    Ok(statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), contest_id)?)
}

/// A material's columns in [`MaterialRow`]'s order, then its bytes.
type MaterialWithBody = (i64, i64, String, String, String, String, i64, String, i64, Vec<u8>);

pub(super) async fn material_body(store: &SqlStore, id: i64) -> Result<Option<(MaterialRow, Vec<u8>)>> {
    let sql = format!("SELECT {MATERIAL_COLUMNS}, body FROM materials WHERE id = $1");
    let row: Option<MaterialWithBody> = statement!(store, read, fetch_optional, sqlx::AssertSqlSafe(sql), id)?;
    Ok(row.map(|(id, contest_id, kind, title, file_name, content_type, size, sha256, created_at, body)| {
        (MaterialRow { id, contest_id, kind, title, file_name, content_type, size, sha256, created_at }, body)
    }))
}

pub(super) async fn delete_material(store: &SqlStore, id: i64) -> Result<Option<MaterialRow>> {
    let sql = format!("DELETE FROM materials WHERE id = $1 RETURNING {MATERIAL_COLUMNS}");
    Ok(statement!(store, write, fetch_optional, sqlx::AssertSqlSafe(sql), id)?)
}
