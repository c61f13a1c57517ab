//! Personal data (`participants.purged_at`, `privacy_requests`, and the personal columns of
//! `participants`, `registered`, `unit_staff`, `question_reports` and `attempts`): removing a
//! person's personal fields for good, and the requests people make about their data.
//!
//! A removal keeps the row and its id, unit, locality and group (results, collective prizes and
//! statistics are computed from those), replaces the identity key by the pseudonym `xoa:<id>` (no
//! function of the CCCD, so it cannot be reversed by trying numbers) and clears everything else
//! that names or reaches the person. The audit chain is never touched.

use super::{SqlStore, in_list};
use crate::Result;
use crate::pool::{WritePool, on, statement};
use crate::privacy::*;

/// A person's identity key, CCCD, phone and e-mail: what lists may name them by.
type Keys = (String, Option<String>, Option<String>, Option<String>);

const REQUEST_COLUMNS: &str = "id, contest_id, participant_id, kind, field, new_value, reason, status, created_at, due_at, decided_at, decided_by, answer";

pub(super) async fn prize_holders(store: &SqlStore, contest_id: i64) -> Result<Vec<i64>> {
    let sql = "SELECT DISTINCT s.participant_id FROM ranking_standings s
         JOIN published_rankings r ON r.id = s.ranking_id
         WHERE r.contest_id = $1 AND s.prize IS NOT NULL ORDER BY s.participant_id";
    let rows: Vec<(i64,)> = statement!(store, read, fetch_all, sql, contest_id)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub(super) async fn last_publication(store: &SqlStore, contest_id: i64) -> Result<Option<i64>> {
    let sql = "SELECT MAX(public_at) FROM published_rankings WHERE contest_id = $1";
    let (at,): (Option<i64>,) = statement!(store, read, fetch_one, sql, contest_id)?;
    Ok(at)
}

pub(super) async fn unpurged_participants(store: &SqlStore, contest_id: i64) -> Result<Vec<i64>> {
    let sql = "SELECT id FROM participants WHERE contest_id = $1 AND purged_at IS NULL ORDER BY id";
    let rows: Vec<(i64,)> = statement!(store, read, fetch_all, sql, contest_id)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub(super) async fn purged_at(store: &SqlStore, participant_id: i64) -> Result<Option<i64>> {
    let sql = "SELECT purged_at FROM participants WHERE id = $1";
    let row: Option<(Option<i64>,)> = statement!(store, read, fetch_optional, sql, participant_id)?;
    Ok(row.and_then(|(at,)| at))
}

pub(super) async fn purge_participants(
    store: &SqlStore,
    contest_id: i64,
    ids: &[i64],
    keep_published: bool,
    at: i64,
) -> Result<PurgeCounts> {
    if ids.is_empty() {
        return Ok(PurgeCounts::default());
    }
    let keep = i64::from(keep_published);
    // Set-based, a chunk of people per statement: one round trip per table, not per person
    // (PostgreSQL removed 730 people a second one by one).
    on!(store, write, |p| {
        let mut counts = PurgeCounts::default();
        let mut tx = p.begin_write().await?;
        for chunk in ids.chunks(1_000) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT person_key, cccd, phone, email FROM participants WHERE purged_at IS NULL AND contest_id = ",
            );
            q.push_bind(contest_id).push(" AND id");
            in_list(&mut q, chunk.iter().copied());
            let keys: Vec<Keys> = q.build_query_as().fetch_all(&mut *tx).await?;
            // A person kept for the award records keeps the name published with their prize and
            // their place among the eligible; anyone else is left out of prizes from now on (a
            // removed identity is no longer complete), which changes no prize already given:
            // prizes go down the ranking, and nobody above the last one given was eligible.
            let mut q = sqlx::QueryBuilder::new(
                "UPDATE participants SET person_key = 'xoa:' || CAST(id AS TEXT), full_name = CASE WHEN ",
            );
            q.push_bind(keep)
                .push(" = 1 THEN full_name ELSE NULL END, date_of_birth = NULL, cccd = NULL, phone = NULL, email = NULL, complete = CASE WHEN ")
                .push_bind(keep)
                .push(" = 1 THEN complete ELSE 0 END, purged_at = ")
                .push_bind(at)
                .push(" WHERE purged_at IS NULL AND contest_id = ")
                .push_bind(contest_id)
                .push(" AND id");
            in_list(&mut q, chunk.iter().copied());
            q.push(" RETURNING id");
            // Those this transaction removed (another node may have removed some first).
            let done: Vec<(i64,)> = q.build_query_as().fetch_all(&mut *tx).await?;
            if done.is_empty() {
                continue;
            }
            counts.participants += done.len() as u64;
            let done: Vec<i64> = done.into_iter().map(|(id,)| id).collect();
            // Where the attempts came from (keyed tags of address and device).
            let mut q = sqlx::QueryBuilder::new(
                "UPDATE attempts SET client_tag = NULL, device_tag = NULL WHERE participant_id",
            );
            in_list(&mut q, done.iter().copied());
            q.build().execute(&mut *tx).await?;
            let mut q = sqlx::QueryBuilder::new(
                "UPDATE question_reports SET message = '' WHERE message <> '' AND attempt_id IN (SELECT id FROM attempts WHERE participant_id",
            );
            in_list(&mut q, done.iter().copied());
            q.push(")");
            counts.reports += q.build().execute(&mut *tx).await?.rows_affected();
            let mut q = sqlx::QueryBuilder::new(
                "UPDATE privacy_requests SET new_value = NULL, reason = '' WHERE (new_value IS NOT NULL OR reason <> '') AND participant_id",
            );
            in_list(&mut q, done.iter().copied());
            counts.requests += q.build().execute(&mut *tx).await?.rows_affected();
            let keys: Vec<String> = keys
                .into_iter()
                .flat_map(|(key, cccd, phone, email)| [Some(key), cccd, phone, email])
                .flatten()
                .collect();
            for table in ["registered", "unit_staff"] {
                for part in keys.chunks(1_000) {
                    let mut q = sqlx::QueryBuilder::new(match table {
                        "registered" => "DELETE FROM registered WHERE contest_id = ",
                        _ => "DELETE FROM unit_staff WHERE contest_id = ",
                    });
                    q.push_bind(contest_id).push(" AND person_key");
                    in_list(&mut q, part.iter().cloned());
                    counts.list_rows += q.build().execute(&mut *tx).await?.rows_affected();
                }
            }
        }
        tx.commit().await?;
        Ok(counts)
    })
}

pub(super) async fn purge_lists(store: &SqlStore, contest_id: i64, keep: &[String]) -> Result<u64> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let mut removed = 0;
        for (select, delete) in [
            (
                "SELECT DISTINCT person_key FROM registered WHERE contest_id = $1",
                "DELETE FROM registered WHERE contest_id = $1 AND person_key = $2",
            ),
            (
                "SELECT DISTINCT person_key FROM unit_staff WHERE contest_id = $1",
                "DELETE FROM unit_staff WHERE contest_id = $1 AND person_key = $2",
            ),
        ] {
            let keys: Vec<(String,)> = sqlx::query_as(select).bind(contest_id).fetch_all(&mut *tx).await?;
            for (k,) in keys.into_iter().filter(|(k,)| !keep.contains(k)) {
                removed += sqlx::query(delete).bind(contest_id).bind(&k).execute(&mut *tx).await?.rows_affected();
            }
        }
        tx.commit().await?;
        Ok(removed)
    })
}

pub(super) async fn insert_privacy_request(store: &SqlStore, r: &NewPrivacyRequest<'_>) -> Result<i64> {
    let sql = "INSERT INTO privacy_requests
         (contest_id, participant_id, kind, field, new_value, reason, status, created_at, due_at, decided_at, decided_by, answer)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
    let decided_at = r.decided.map(|_| r.created_at);
    let (id,): (i64,) = statement!(
        store,
        write,
        fetch_one,
        sql,
        r.contest_id,
        r.participant_id,
        r.kind,
        r.field,
        r.new_value,
        r.reason,
        r.status,
        r.created_at,
        r.due_at,
        decided_at,
        r.decided.map(|d| d.0),
        r.decided.map(|d| d.1)
    )?;
    Ok(id)
}

pub(super) async fn privacy_requests(
    store: &SqlStore,
    contest_id: i64,
    open_only: bool,
) -> Result<Vec<PrivacyRequestRow>> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM privacy_requests WHERE contest_id = $1 AND ($2 = 0 OR status = 'open')
         ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, due_at, id"
    );
    Ok(statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), contest_id, i64::from(open_only))?)
}

pub(super) async fn privacy_requests_of(store: &SqlStore, participant_id: i64) -> Result<Vec<PrivacyRequestRow>> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM privacy_requests WHERE participant_id = $1 ORDER BY id");
    Ok(statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), participant_id)?)
}

pub(super) async fn privacy_request(store: &SqlStore, id: i64) -> Result<Option<PrivacyRequestRow>> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM privacy_requests WHERE id = $1");
    Ok(statement!(store, read, fetch_optional, sqlx::AssertSqlSafe(sql), id)?)
}

pub(super) async fn decide_privacy_request(
    store: &SqlStore,
    id: i64,
    status: &str,
    by: &str,
    answer: &str,
    at: i64,
) -> Result<bool> {
    let sql = "UPDATE privacy_requests SET status = $2, decided_by = $3, answer = $4, decided_at = $5
         WHERE id = $1 AND status = 'open'";
    Ok(statement!(store, write, execute, sql, id, status, by, answer, at)? == 1)
}

pub(super) async fn correct_participant(store: &SqlStore, id: i64, field: &str, value: &str) -> Result<bool> {
    // The column comes from this fixed list, never from the request.
    let sql = match field {
        "full_name" => "UPDATE participants SET full_name = $2 WHERE id = $1 AND purged_at IS NULL",
        "date_of_birth" => "UPDATE participants SET date_of_birth = $2 WHERE id = $1 AND purged_at IS NULL",
        "phone" => "UPDATE participants SET phone = $2 WHERE id = $1 AND purged_at IS NULL",
        "email" => "UPDATE participants SET email = $2 WHERE id = $1 AND purged_at IS NULL",
        _ => return Ok(false),
    };
    Ok(statement!(store, write, execute, sql, id, value)? == 1)
}
