//! The question bank (`questions`): versions never change; an edit is a new row.

use chrono::{DateTime, Utc};
use cuocthi_domain::question::Question;
use tracing::instrument;

use super::SqlStore;
use crate::model::*;
use crate::pool::{WritePool, on, statement};
use crate::{Result, StoreError};

/// Adds one version of question `$q` inside transaction `$tx`, for whichever backend's transaction
/// it is: `$lineage` is `None` for a new question (it is then its own lineage). Evaluates to the
/// new row's id.
macro_rules! insert_version {
    ($tx:ident, $contest_id:expr, $lineage:expr, $version:expr, $q:expr, $now:expr) => {{
        let q: &Question = $q;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO questions (contest_id, lineage, version, topic, stem, options, correct, explanation, fingerprint, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10) RETURNING id",
        )
        .bind($contest_id)
        .bind($lineage)
        .bind($version)
        .bind(&q.topic)
        .bind(&q.stem)
        .bind(serde_json::to_string(&q.options)?)
        .bind(i64::from(q.correct))
        .bind(&q.explanation)
        .bind(q.fingerprint())
        .bind(ms($now))
        .fetch_one(&mut *$tx)
        .await?;
        id
    }};
}

/// Questions as stored, read back.
fn stored(raw: Vec<RawQuestion>) -> Result<Vec<StoredQuestion>> {
    raw.into_iter().map(StoredQuestion::try_from).collect()
}

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
            ids.push(insert_version!(tx, contest_id, None::<i64>, 1_i64, q, now));
        }
        tx.commit().await?;
        Ok(ids)
    })
}

pub(super) async fn bank(store: &SqlStore, contest_id: i64) -> Result<Vec<StoredQuestion>> {
    let sql = "SELECT * FROM questions WHERE contest_id = $1 AND status = 'active' ORDER BY id";
    stored(statement!(store, read, fetch_all, sql, contest_id)?)
}

pub(super) async fn questions_by_id(store: &SqlStore, ids: &[i64]) -> Result<Vec<StoredQuestion>> {
    stored(store.rows_by_id("questions", ids).await?)
}

pub(super) async fn revise_question(store: &SqlStore, id: i64, question: &Question, now: DateTime<Utc>) -> Result<i64> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let old: Option<(i64, Option<i64>, i64)> =
            sqlx::query_as("SELECT contest_id, lineage, version FROM questions WHERE id = $1 AND status = 'active'")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (contest_id, lineage, version) = old.ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE questions SET status = 'superseded' WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let new_id = insert_version!(tx, contest_id, Some(lineage.unwrap_or(id)), version + 1, question, now);
        tx.commit().await?;
        Ok(new_id)
    })
}

pub(super) async fn current_questions(store: &SqlStore, contest_id: i64) -> Result<Vec<StoredQuestion>> {
    let sql = "SELECT * FROM questions WHERE contest_id = $1 AND status <> 'superseded' ORDER BY id";
    stored(statement!(store, read, fetch_all, sql, contest_id)?)
}

pub(super) async fn question_versions(store: &SqlStore, lineage: i64) -> Result<Vec<StoredQuestion>> {
    let sql = "SELECT * FROM questions WHERE id = $1 OR lineage = $1 ORDER BY version";
    stored(statement!(store, read, fetch_all, sql, lineage)?)
}

pub(super) async fn set_question_status(store: &SqlStore, id: i64, status: &str) -> Result<bool> {
    let sql = "UPDATE questions SET status = $2 WHERE id = $1 AND status <> 'superseded'";
    Ok(statement!(store, write, execute, sql, id, status)? == 1)
}
