//! Results (`published_rankings`, `ranking_standings`, `disqualifications`): the judges' review,
//! ranking versions approved and made public, and each person's row in them. A version's `scope`
//! is `ranking` (a round's or the overall ranking) or `event` (the in-person event's teams).

use super::SqlStore;
use crate::model::*;
use crate::pool::{Pools, WritePool, on, statement};
use crate::review::*;
use crate::{Result, StoreError};
use chrono::{DateTime, Utc};

const VERSION_SELECT: &str =
    "SELECT id, contest_id, round_id, version, published_at, approved_by, reason, public_at FROM published_rankings";

/// The scope of the online rounds' versions.
const RANKING: &str = "ranking";
/// The scope of the in-person event's versions.
const EVENT: &str = "event";

pub(super) async fn published_ranking(
    store: &SqlStore,
    contest_id: i64,
    round_id: Option<i64>,
) -> Result<Option<PublishedRanking>> {
    published_in(store, contest_id, round_id, RANKING).await
}

pub(super) async fn published_event(store: &SqlStore, contest_id: i64) -> Result<Option<PublishedRanking>> {
    published_in(store, contest_id, None, EVENT).await
}

/// The newest public version of a scope.
async fn published_in(
    store: &SqlStore,
    contest_id: i64,
    round_id: Option<i64>,
    scope: &str,
) -> Result<Option<PublishedRanking>> {
    // `IS NOT DISTINCT FROM` is PostgreSQL; SQLite spells it `IS`. Written twice for that.
    let row: Option<(i64, i64, String, i64)> = match &store.pools {
        Pools::Sqlite { read, .. } => sqlx::query_as(
            "SELECT id, published_at, body, version FROM published_rankings WHERE contest_id = $1 AND round_id IS $2 AND scope = $3 AND public_at IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(contest_id)
        .bind(round_id)
        .bind(scope)
        .fetch_optional(read)
        .await?,
        Pools::Postgres(p) => sqlx::query_as(
            "SELECT id, published_at, body, version FROM published_rankings WHERE contest_id = $1 AND round_id IS NOT DISTINCT FROM $2 AND scope = $3 AND public_at IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(contest_id)
        .bind(round_id)
        .bind(scope)
        .fetch_optional(p)
        .await?,
    };
    Ok(row.map(|(id, at_ms, body, version)| PublishedRanking { id, published_at: at(at_ms), version, body }))
}

pub(super) async fn open_attempts(store: &SqlStore, round_id: i64) -> Result<(i64, Option<DateTime<Utc>>)> {
    let sql = "SELECT COUNT(*), MAX(deadline_at) FROM attempts WHERE round_id = $1 AND status = 'open'";
    let (count, latest): (i64, Option<i64>) = statement!(store, read, fetch_one, sql, round_id)?;
    Ok((count, latest.map(at)))
}

pub(super) async fn published_by_id(store: &SqlStore, id: i64) -> Result<Option<(RankingVersionRow, String)>> {
    let sql = sqlx::AssertSqlSafe(format!("{VERSION_SELECT} WHERE id = $1"));
    let version: Option<RankingVersionRow> = statement!(store, read, fetch_optional, sql, id)?;
    let Some(version) = version else { return Ok(None) };
    let (body,): (String,) =
        statement!(store, read, fetch_one, "SELECT body FROM published_rankings WHERE id = $1", id)?;
    Ok(Some((version, body)))
}

pub(super) async fn attempt_origins(store: &SqlStore, round_id: i64) -> Result<Vec<AttemptOrigin>> {
    let sql = "SELECT id AS attempt_id, client_tag, device_tag FROM attempts WHERE round_id = $1 ORDER BY id";
    Ok(statement!(store, read, fetch_all, sql, round_id)?)
}

pub(super) async fn disqualify(store: &SqlStore, d: &NewDisqualification<'_>) -> Result<i64> {
    let NewDisqualification { contest_id, participant_id, attempt_id, reason, created_by, created_at } = *d;
    let sql = "INSERT INTO disqualifications (contest_id, participant_id, attempt_id, reason, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let (id,): (i64,) = statement!(
        store,
        write,
        fetch_one,
        sql,
        contest_id,
        participant_id,
        attempt_id,
        reason,
        created_by,
        created_at
    )?;
    Ok(id)
}

pub(super) async fn lift_disqualification(
    store: &SqlStore,
    contest_id: i64,
    id: i64,
    by: &str,
    reason: &str,
    at: i64,
) -> Result<bool> {
    let sql = "UPDATE disqualifications SET lifted_at = $3, lifted_by = $4, lift_reason = $5
         WHERE id = $1 AND contest_id = $2 AND lifted_at IS NULL";
    Ok(statement!(store, write, execute, sql, id, contest_id, at, by, reason)? == 1)
}

pub(super) async fn disqualifications(store: &SqlStore, contest_id: i64) -> Result<Vec<DisqualificationRow>> {
    let sql = "SELECT * FROM disqualifications WHERE contest_id = $1 ORDER BY id";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

pub(super) async fn approve_ranking(store: &SqlStore, v: &NewRankingVersion<'_>) -> Result<(i64, i64)> {
    approve_in(store, v, RANKING).await
}

pub(super) async fn approve_event_version(store: &SqlStore, v: &NewRankingVersion<'_>) -> Result<(i64, i64)> {
    approve_in(store, &NewRankingVersion { round_id: None, standings: &[], ..v.clone() }, EVENT).await
}

/// Stores a version of a scope numbered after that scope's last.
async fn approve_in(store: &SqlStore, v: &NewRankingVersion<'_>, scope: &str) -> Result<(i64, i64)> {
    on!(store, write, |p| {
        async {
        let mut tx = p.begin_write().await?;
        // Two approvals of one scope at once would both read the same last version; the
        // scope's rows are few, and on PostgreSQL the advisory lock orders them.
        if store.pools.is_postgres() {
            sqlx::query("SELECT pg_advisory_xact_lock(7420011, CAST($1 AS INTEGER))")
                .bind(v.contest_id)
                .execute(&mut *tx)
                .await?;
        }
        let (last,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(version) FROM published_rankings
             WHERE contest_id = $1 AND (round_id = $2 OR (round_id IS NULL AND $2 IS NULL)) AND scope = $3",
        )
        .bind(v.contest_id)
        .bind(v.round_id)
        .bind(scope)
        .fetch_one(&mut *tx)
        .await?;
        let version = last.unwrap_or(0) + 1;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO published_rankings (contest_id, round_id, published_at, body, version, reason, approved_by, public_at, scope)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(v.contest_id)
        .bind(v.round_id)
        .bind(v.approved_at)
        .bind(v.body)
        .bind(version)
        .bind(v.reason)
        .bind(v.approved_by)
        .bind(v.public.then_some(v.approved_at))
        .bind(scope)
        .fetch_one(&mut *tx)
        .await?;
        for chunk in v.standings.chunks(500) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO ranking_standings (ranking_id, participant_id, place, correct, time_taken_ms, distance, prize) ",
            );
            q.push_values(chunk, |mut b, s| {
                b.push_bind(id)
                    .push_bind(s.participant_id)
                    .push_bind(s.place)
                    .push_bind(s.correct)
                    .push_bind(s.time_taken_ms)
                    .push_bind(s.distance)
                    .push_bind(s.prize.clone());
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>((id, version))
    }
    .await
    })
}

pub(super) async fn make_ranking_public(store: &SqlStore, id: i64, at: i64) -> Result<bool> {
    let sql = "UPDATE published_rankings SET public_at = $2 WHERE id = $1 AND public_at IS NULL";
    Ok(statement!(store, write, execute, sql, id, at)? == 1)
}

pub(super) async fn ranking_versions(
    store: &SqlStore,
    contest_id: i64,
    round_id: Option<i64>,
) -> Result<Vec<RankingVersionRow>> {
    versions_in(store, contest_id, round_id, RANKING).await
}

pub(super) async fn event_versions(store: &SqlStore, contest_id: i64) -> Result<Vec<RankingVersionRow>> {
    versions_in(store, contest_id, None, EVENT).await
}

pub(super) async fn version_scope(store: &SqlStore, id: i64) -> Result<Option<String>> {
    let sql = "SELECT scope FROM published_rankings WHERE id = $1";
    let row: Option<(String,)> = statement!(store, read, fetch_optional, sql, id)?;
    Ok(row.map(|(s,)| s))
}

async fn versions_in(
    store: &SqlStore,
    contest_id: i64,
    round_id: Option<i64>,
    scope: &str,
) -> Result<Vec<RankingVersionRow>> {
    let sql = format!(
        "{VERSION_SELECT} WHERE contest_id = $1 AND (round_id = $2 OR (round_id IS NULL AND $2 IS NULL)) AND scope = $3 ORDER BY id DESC"
    );
    Ok(statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), contest_id, round_id, scope)?)
}

pub(super) async fn standing_in(
    store: &SqlStore,
    ranking_id: i64,
    participant_id: i64,
) -> Result<Option<StandingRecord>> {
    let sql = "SELECT participant_id, place, correct, time_taken_ms, distance, prize FROM ranking_standings
         WHERE ranking_id = $1 AND participant_id = $2";
    Ok(statement!(store, read, fetch_optional, sql, ranking_id, participant_id)?)
}
