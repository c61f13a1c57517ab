//! Participants (`participants`): registration and look-ups on the participant's path, and the
//! console's search and merge of people.

use chrono::{DateTime, Utc};
use cuocthi_domain::identity::Identity;
use rusqlite::named_params;

use std::sync::Arc;

use super::SqlStore;
use crate::Result;
use crate::model::*;
use crate::pg_writer;
use crate::pool::{Pools, WritePool, on, statement};
use crate::sqlite_direct;

// Run by both drivers (sqlx, and rusqlite on SQLite's participant path): one text each.
const PARTICIPANT_BY_KEY: &str = "SELECT * FROM participants WHERE contest_id = $1 AND person_key = $2";
const PARTICIPANT_BY_ID: &str = "SELECT * FROM participants WHERE id = $1";

pub(super) const INSERT_PARTICIPANT: &str = "INSERT INTO participants (contest_id, person_key, full_name, date_of_birth, cccd, phone, email, unit_code, locality_code, group_code, complete, consent_version, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *";

/// The insert of one participant, for whichever backend's executor it runs on.
macro_rules! participant_insert {
    ($contest_id:expr, $key:expr, $who:expr, $complete:expr, $consent:expr, $now_ms:expr) => {{
        let who: &cuocthi_domain::identity::Identity = $who;
        sqlx::query_as($crate::sql::participants::INSERT_PARTICIPANT)
            .bind($contest_id)
            .bind($key)
            .bind(&who.full_name)
            .bind(who.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()))
            .bind(who.cccd.as_ref().map(|c| c.as_str().to_string()))
            .bind(who.phone.as_ref().map(|c| c.as_str().to_string()))
            .bind(&who.email)
            .bind(&who.unit)
            .bind(&who.locality)
            .bind(&who.group)
            .bind($crate::model::flag($complete))
            .bind($consent)
            .bind($now_ms)
    }};
}
pub(super) use participant_insert;

pub(super) async fn insert_participant(
    store: &SqlStore,
    contest_id: i64,
    key: &str,
    who: &Identity,
    complete: bool,
    consent: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ParticipantRow> {
    if let Some(d) = &store.direct {
        let (key, who, consent) = (key.to_string(), who.clone(), consent.map(str::to_string));
        let raw = d
            .write(move |c| {
                Ok(c.prepare_cached(INSERT_PARTICIPANT)?.query_row(
                    named_params! {
                        "$1": contest_id,
                        "$2": key,
                        "$3": who.full_name,
                        "$4": who.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()),
                        "$5": who.cccd.as_ref().map(|c| c.as_str()),
                        "$6": who.phone.as_ref().map(|c| c.as_str()),
                        "$7": who.email,
                        "$8": who.unit,
                        "$9": who.locality,
                        "$10": who.group,
                        "$11": flag(complete),
                        "$12": consent,
                        "$13": ms(now),
                    },
                    sqlite_direct::participant_from,
                )?)
            })
            .await?;
        return Ok(raw.into());
    }
    if let Pools::Postgres(p) = &store.pools {
        // In the pool's group commit. The same key registered twice at once breaks the unique
        // rule inside the batch: the batch runs again write by write, and the second is answered
        // `Conflict` with the driver's error as its cause, as a lone insert would be.
        let input = Arc::new((key.to_string(), who.clone(), consent.map(str::to_string)));
        let raw: RawParticipant = pg_writer::transaction(p, &store.pg_saves, move |c| {
            let input = input.clone();
            Box::pin(async move {
                let (key, who, consent) = &*input;
                let raw: RawParticipant =
                    participant_insert!(contest_id, key, who, complete, consent.as_deref(), ms(now))
                        .fetch_one(&mut *c)
                        .await?;
                Ok(Ok(raw))
            })
        })
        .await?;
        return Ok(raw.into());
    }
    let raw: RawParticipant =
        on!(store, write, |p| participant_insert!(contest_id, key, who, complete, consent, ms(now))
            .fetch_one(p)
            .await)?;
    Ok(raw.into())
}

pub(super) async fn participant_by_key(store: &SqlStore, contest_id: i64, key: &str) -> Result<Option<ParticipantRow>> {
    if let Some(d) = &store.direct {
        let params = named_params! {"$1": contest_id, "$2": key};
        return Ok(d.read_row(PARTICIPANT_BY_KEY, params, sqlite_direct::participant_from)?.map(Into::into));
    }
    let raw: Option<RawParticipant> = statement!(store, read, fetch_optional, PARTICIPANT_BY_KEY, contest_id, key)?;
    Ok(raw.map(Into::into))
}

pub(super) async fn participant(store: &SqlStore, id: i64) -> Result<Option<ParticipantRow>> {
    if let Some(d) = &store.direct {
        let params = named_params! {"$1": id};
        return Ok(d.read_row(PARTICIPANT_BY_ID, params, sqlite_direct::participant_from)?.map(Into::into));
    }
    let raw: Option<RawParticipant> = statement!(store, read, fetch_optional, PARTICIPANT_BY_ID, id)?;
    Ok(raw.map(Into::into))
}

pub(super) async fn participants_of(store: &SqlStore, contest_id: i64) -> Result<Vec<ParticipantRow>> {
    let sql = "SELECT * FROM participants WHERE contest_id = $1 ORDER BY id";
    Ok(rows(statement!(store, read, fetch_all, sql, contest_id)?))
}

pub(super) async fn participants_by_id(store: &SqlStore, ids: &[i64]) -> Result<Vec<ParticipantRow>> {
    Ok(rows(store.rows_by_id("participants", ids).await?))
}

pub(super) async fn participants_matching(
    store: &SqlStore,
    contest_id: i64,
    key: Option<&str>,
    unit: Option<&str>,
    limit: i64,
) -> Result<Vec<ParticipantRow>> {
    let sql = "SELECT * FROM participants WHERE contest_id = $1
           AND ($2 IS NULL OR person_key = $2 OR cccd = $2 OR phone = $2 OR email = $2)
           AND ($3 IS NULL OR unit_code = $3) ORDER BY id LIMIT $4";
    Ok(rows(statement!(store, read, fetch_all, sql, contest_id, key, unit, limit)?))
}

/// Participants as stored, read back.
fn rows(raw: Vec<RawParticipant>) -> Vec<ParticipantRow> {
    raw.into_iter().map(ParticipantRow::from).collect()
}

pub(super) async fn merge_participants(store: &SqlStore, kept: i64, merged: i64) -> Result<bool> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let (clash,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM attempts a JOIN attempts b ON a.round_id = b.round_id
             WHERE a.participant_id = $1 AND b.participant_id = $2 AND a.status = $3 AND b.status = $3",
        )
        .bind(kept)
        .bind(merged)
        .bind(crate::model::OPEN)
        .fetch_one(&mut *tx)
        .await?;
        if clash > 0 {
            return Ok(false);
        }
        let moving: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, round_id FROM attempts WHERE participant_id = $1 ORDER BY round_id, seq")
                .bind(merged)
                .fetch_all(&mut *tx)
                .await?;
        for (id, round_id) in moving {
            let (last,): (i64,) = sqlx::query_as(
                "SELECT COALESCE(MAX(seq), 0) FROM attempts WHERE participant_id = $1 AND round_id = $2",
            )
            .bind(kept)
            .bind(round_id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE attempts SET participant_id = $2, seq = $3 WHERE id = $1")
                .bind(id)
                .bind(kept)
                .bind(last + 1)
                .execute(&mut *tx)
                .await?;
        }
        // A disqualification of the merged person stays with the person kept.
        sqlx::query("UPDATE disqualifications SET participant_id = $1 WHERE participant_id = $2")
            .bind(kept)
            .bind(merged)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM participants WHERE id = $1").bind(merged).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}
