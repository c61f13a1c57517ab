//! The question bank (`questions`): versions never change; an edit is a new row.

use chrono::{DateTime, Utc};
use cuocthi_domain::question::Question;
use tracing::instrument;

use super::SqlStore;
use crate::model::*;
use crate::pool::{WritePool, on};
use crate::{Result, StoreError};

#[instrument(skip_all, fields(contest_id, n = questions.len()))]
pub(super) async fn insert_questions(
    store: &SqlStore,
    contest_id: i64,
    questions: &[Question],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let mut ids = Vec::with_capacity(questions.len());
        for q in questions {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO questions (contest_id, lineage, version, topic, stem, options, correct, explanation, fingerprint, status, created_at)
                 VALUES ($1, NULL, 1, $2, $3, $4, $5, $6, $7, 'active', $8) RETURNING id",
            )
            .bind(contest_id)
            .bind(&q.topic)
            .bind(&q.stem)
            .bind(serde_json::to_string(&q.options)?)
            .bind(i64::from(q.correct))
            .bind(&q.explanation)
            .bind(q.fingerprint())
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    })
}

pub(super) async fn bank(store: &SqlStore, contest_id: i64) -> Result<Vec<StoredQuestion>> {
    let raw: Vec<RawQuestion> = on!(store, read, |p| sqlx::query_as(
        "SELECT * FROM questions WHERE contest_id = $1 AND status = 'active' ORDER BY id"
    )
    .bind(contest_id)
    .fetch_all(p)
    .await)?;
    raw.into_iter().map(StoredQuestion::try_from).collect()
}

pub(super) async fn questions_by_id(store: &SqlStore, ids: &[i64]) -> Result<Vec<StoredQuestion>> {
    let raw: Vec<RawQuestion> = store.rows_by_id("questions", ids).await?;
    raw.into_iter().map(StoredQuestion::try_from).collect()
}

pub(super) async fn revise_question(store: &SqlStore, id: i64, q: &Question, now: DateTime<Utc>) -> Result<i64> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let old: Option<(i64, Option<i64>, i64)> =
            sqlx::query_as("SELECT contest_id, lineage, version FROM questions WHERE id = $1 AND status = 'active'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (contest_id, lineage, version) = old.ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE questions SET status = 'superseded' WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let (new_id,): (i64,) = sqlx::query_as(
            "INSERT INTO questions (contest_id, lineage, version, topic, stem, options, correct, explanation, fingerprint, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10) RETURNING id",
        )
        .bind(contest_id)
        .bind(lineage.unwrap_or(id))
        .bind(version + 1)
        .bind(&q.topic)
        .bind(&q.stem)
        .bind(serde_json::to_string(&q.options)?)
        .bind(i64::from(q.correct))
        .bind(&q.explanation)
        .bind(q.fingerprint())
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(new_id)
    })
}

pub(super) async fn current_questions(store: &SqlStore, contest_id: i64) -> Result<Vec<StoredQuestion>> {
    let raw: Vec<RawQuestion> = on!(store, read, |p| sqlx::query_as(
        "SELECT * FROM questions WHERE contest_id = $1 AND status <> 'superseded' ORDER BY id"
    )
    .bind(contest_id)
    .fetch_all(p)
    .await)?;
    raw.into_iter().map(StoredQuestion::try_from).collect()
}

pub(super) async fn question_versions(store: &SqlStore, lineage: i64) -> Result<Vec<StoredQuestion>> {
    let raw: Vec<RawQuestion> =
        on!(store, read, |p| sqlx::query_as("SELECT * FROM questions WHERE id = $1 OR lineage = $1 ORDER BY version")
            .bind(lineage)
            .fetch_all(p)
            .await)?;
    raw.into_iter().map(StoredQuestion::try_from).collect()
}

pub(super) async fn set_question_status(store: &SqlStore, id: i64, status: &str) -> Result<bool> {
    let n = on!(store, write, |p| sqlx::query(
        "UPDATE questions SET status = $2 WHERE id = $1 AND status <> 'superseded'"
    )
    .bind(id)
    .bind(status)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
