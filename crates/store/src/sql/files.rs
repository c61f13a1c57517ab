//! Uploads awaiting confirmation and a contest's files (`staged_files`, `materials`).

use chrono::{DateTime, Utc};

use super::SqlStore;
use crate::Result;
use crate::console::*;
use crate::model::*;
use crate::pool::{WritePool, on};

pub(super) async fn stage_file(
    store: &SqlStore,
    account_id: i64,
    contest_id: i64,
    purpose: &str,
    file_name: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<i64> {
    let (id,): (i64,) = on!(store, write, |p| {
        sqlx::query_as(
        "INSERT INTO staged_files (account_id, contest_id, purpose, file_name, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(contest_id)
    .bind(purpose)
    .bind(file_name)
    .bind(body)
    .bind(ms(now))
    .fetch_one(p)
    .await
    })?;
    Ok(id)
}

pub(super) async fn staged_file(store: &SqlStore, id: i64) -> Result<Option<StagedFile>> {
    Ok(on!(store, read, |p| sqlx::query_as("SELECT * FROM staged_files WHERE id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)?)
}

pub(super) async fn drop_staged_file(store: &SqlStore, id: i64, stale_before: DateTime<Utc>) -> Result<()> {
    on!(store, write, |p| sqlx::query("DELETE FROM staged_files WHERE id = $1 OR created_at < $2")
        .bind(id)
        .bind(ms(stale_before))
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
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

pub(super) async fn materials_of(store: &SqlStore, contest_id: i64) -> Result<Vec<MaterialRow>> {
    Ok(on!(store, read, |p| {
        sqlx::query_as(
        "SELECT id, contest_id, kind, title, file_name, content_type, size, sha256, created_at FROM materials WHERE contest_id = $1 ORDER BY id"
    )
    .bind(contest_id)
    .fetch_all(p)
    .await
    })?)
}

/// A material's columns in [`MaterialRow`]'s order, then its bytes.
type MaterialWithBody = (i64, i64, String, String, String, String, i64, String, i64, Vec<u8>);

pub(super) async fn material_body(store: &SqlStore, id: i64) -> Result<Option<(MaterialRow, Vec<u8>)>> {
    let row: Option<MaterialWithBody> = on!(store, read, |p| {
        sqlx::query_as(
        "SELECT id, contest_id, kind, title, file_name, content_type, size, sha256, created_at, body FROM materials WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await
    })?;
    Ok(row.map(|(id, contest_id, kind, title, file_name, content_type, size, sha256, created_at, body)| {
        (MaterialRow { id, contest_id, kind, title, file_name, content_type, size, sha256, created_at }, body)
    }))
}

pub(super) async fn delete_material(store: &SqlStore, id: i64) -> Result<Option<MaterialRow>> {
    Ok(on!(store, write, |p| {
        sqlx::query_as(
        "DELETE FROM materials WHERE id = $1 RETURNING id, contest_id, kind, title, file_name, content_type, size, sha256, created_at"
    )
    .bind(id)
    .fetch_optional(p)
    .await
    })?)
}
