//! Contests, their rounds, units and registered lists (`contests`, `rounds`, `units`,
//! `registered`): the Store's "Contests" section and the console's contest set-up.

use chrono::{DateTime, Utc};
use cuocthi_domain::contest::{ContestSpec, RegisteredPerson};
use rusqlite::named_params;
use tracing::instrument;

use super::SqlStore;
use crate::model::*;
use crate::pool::{WritePool, on};
use crate::{Result, StoreError};

// Run by both drivers (sqlx, and rusqlite on SQLite's participant path): one text.
const IS_REGISTERED: &str = "SELECT EXISTS (SELECT 1 FROM registered WHERE contest_id = $1 AND person_key = $2)";

/// Writes a contest's units (in order) and registered lists inside transaction `$tx`, for
/// whichever backend's transaction it is: shared by creating and replacing a definition.
macro_rules! insert_lists {
    ($tx:ident, $contest_id:expr, $spec:expr) => {
        for (i, u) in $spec.units.iter().enumerate() {
            sqlx::query("INSERT INTO units (contest_id, code, name, parent_code, headcount, position) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind($contest_id)
                .bind(&u.code)
                .bind(&u.name)
                .bind(&u.parent)
                .bind(u.headcount.map(i64::from))
                .bind(i as i64)
                .execute(&mut *$tx)
                .await?;
        }
        for r in &$spec.registered {
            sqlx::query("INSERT INTO registered (contest_id, person_key, unit_code, name) VALUES ($1, $2, $3, $4)")
                .bind($contest_id)
                .bind(cuocthi_domain::identity::normalise_key(&r.key))
                .bind(&r.unit)
                .bind(&r.name)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

#[instrument(skip_all, fields(slug = %spec.slug))]
pub(super) async fn insert_contest(store: &SqlStore, spec: &ContestSpec, now: DateTime<Utc>) -> Result<i64> {
    let settings = serde_json::to_string(&spec.settings)?;
    let rounds: Vec<(String, String)> =
        spec.rounds.iter().map(|r| Ok((r.name.clone(), serde_json::to_string(&r.rules)?))).collect::<Result<_>>()?;
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO contests (slug, title, organiser, summary, audience, rules, settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&spec.slug)
        .bind(&spec.title)
        .bind(&spec.organiser)
        .bind(&spec.summary)
        .bind(&spec.audience)
        .bind(&spec.rules)
        .bind(&settings)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await?;
        for (i, (r, (name, rules))) in spec.rounds.iter().zip(&rounds).enumerate() {
            sqlx::query("INSERT INTO rounds (contest_id, number, name, opens_at, closes_at, rules) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(i as i64 + 1)
                .bind(name)
                .bind(ms(r.opens_at))
                .bind(ms(r.closes_at))
                .bind(rules)
                .execute(&mut *tx)
                .await?;
        }
        insert_lists!(tx, id, spec);
        tx.commit().await?;
        Ok(id)
    })
}

pub(super) async fn list_contests(store: &SqlStore) -> Result<Vec<ContestRow>> {
    let raw: Vec<RawContest> =
        on!(store, read, |p| sqlx::query_as("SELECT * FROM contests ORDER BY id").fetch_all(p).await)?;
    raw.into_iter().map(ContestRow::try_from).collect()
}

pub(super) async fn contest_by_slug(store: &SqlStore, slug: &str) -> Result<Option<StoredContest>> {
    let raw = on!(store, read, |p| sqlx::query_as("SELECT * FROM contests WHERE slug = $1")
        .bind(slug)
        .fetch_optional(p)
        .await)?;
    load_contest(store, raw).await
}

pub(super) async fn contest_by_id(store: &SqlStore, id: i64) -> Result<Option<StoredContest>> {
    let raw =
        on!(store, read, |p| sqlx::query_as("SELECT * FROM contests WHERE id = $1").bind(id).fetch_optional(p).await)?;
    load_contest(store, raw).await
}

pub(super) async fn round(store: &SqlStore, round_id: i64) -> Result<Option<RoundRow>> {
    let raw: Option<RawRound> = on!(store, read, |p| sqlx::query_as("SELECT * FROM rounds WHERE id = $1")
        .bind(round_id)
        .fetch_optional(p)
        .await)?;
    raw.map(RoundRow::try_from).transpose()
}

pub(super) async fn freeze_figure(store: &SqlStore, round_id: i64, figure: i64, now: DateTime<Utc>) -> Result<bool> {
    let changed = on!(store, write, |p| sqlx::query(
        "UPDATE rounds SET real_figure = $2, figure_frozen_at = $3 WHERE id = $1 AND figure_frozen_at IS NULL"
    )
    .bind(round_id)
    .bind(figure)
    .bind(ms(now))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

pub(super) async fn is_registered(store: &SqlStore, contest_id: i64, keys: &[String]) -> Result<bool> {
    if let Some(d) = &store.direct {
        return d.read(|c| {
            let mut stmt = c.prepare_cached(IS_REGISTERED)?;
            for k in keys {
                if stmt.query_row(named_params! {"$1": contest_id, "$2": k}, |r| r.get::<_, bool>(0))? {
                    return Ok(true);
                }
            }
            Ok(false)
        });
    }
    for k in keys {
        let (found,): (bool,) =
            on!(store, read, |p| sqlx::query_as(IS_REGISTERED).bind(contest_id).bind(k).fetch_one(p).await)?;
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) async fn update_contest(
    store: &SqlStore,
    contest_id: i64,
    spec: &ContestSpec,
    now: DateTime<Utc>,
) -> Result<()> {
    let settings = serde_json::to_string(&spec.settings)?;
    let rounds: Vec<String> = spec.rounds.iter().map(|r| serde_json::to_string(&r.rules)).collect::<Result<_, _>>()?;
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let n = sqlx::query(
            "UPDATE contests SET slug = $2, title = $3, organiser = $4, summary = $5, audience = $6, rules = $7, settings = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(contest_id)
        .bind(&spec.slug)
        .bind(&spec.title)
        .bind(&spec.organiser)
        .bind(&spec.summary)
        .bind(&spec.audience)
        .bind(&spec.rules)
        .bind(&settings)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        for (i, (r, rules)) in spec.rounds.iter().zip(&rounds).enumerate() {
            let number = i as i64 + 1;
            let n = sqlx::query(
                "UPDATE rounds SET name = $3, opens_at = $4, closes_at = $5, rules = $6 WHERE contest_id = $1 AND number = $2",
            )
            .bind(contest_id)
            .bind(number)
            .bind(&r.name)
            .bind(ms(r.opens_at))
            .bind(ms(r.closes_at))
            .bind(rules)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                sqlx::query("INSERT INTO rounds (contest_id, number, name, opens_at, closes_at, rules) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(contest_id)
                    .bind(number)
                    .bind(&r.name)
                    .bind(ms(r.opens_at))
                    .bind(ms(r.closes_at))
                    .bind(rules)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("DELETE FROM rounds WHERE contest_id = $1 AND number > $2")
            .bind(contest_id)
            .bind(spec.rounds.len() as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM units WHERE contest_id = $1").bind(contest_id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM registered WHERE contest_id = $1").bind(contest_id).execute(&mut *tx).await?;
        insert_lists!(tx, contest_id, spec);
        tx.commit().await?;
        Ok(())
    })
}

/// A contest row with its rounds, units and registered lists.
async fn load_contest(store: &SqlStore, raw: Option<RawContest>) -> Result<Option<StoredContest>> {
    let Some(raw) = raw else { return Ok(None) };
    let contest = ContestRow::try_from(raw)?;
    let id = contest.id;
    let (rounds, units, registered) = on!(store, read, |p| {
        let rounds: Vec<RawRound> =
            sqlx::query_as("SELECT * FROM rounds WHERE contest_id = $1 ORDER BY number").bind(id).fetch_all(p).await?;
        let units: Vec<RawUnit> = sqlx::query_as(
            "SELECT code, name, parent_code, headcount FROM units WHERE contest_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(p)
        .await?;
        let registered: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT unit_code, person_key, name FROM registered WHERE contest_id = $1 ORDER BY unit_code, person_key",
        )
        .bind(id)
        .fetch_all(p)
        .await?;
        (rounds, units, registered)
    });
    Ok(Some(StoredContest {
        contest,
        rounds: rounds.into_iter().map(RoundRow::try_from).collect::<Result<_>>()?,
        units: units.into_iter().map(Into::into).collect(),
        registered: registered.into_iter().map(|(unit, key, name)| RegisteredPerson { unit, key, name }).collect(),
    }))
}
