//! Contests, their rounds, units and registered lists (`contests`, `rounds`, `units`,
//! `registered`): the Store's "Contests" section and the console's contest set-up.

use chrono::{DateTime, Utc};
use cuocthi_domain::contest::{ContestSpec, RegisteredPerson};
use rusqlite::named_params;
use tracing::instrument;

use super::SqlStore;
use crate::model::*;
use crate::pool::{WritePool, on, statement};
use crate::{Result, StoreError};

// Run by both drivers (sqlx, and rusqlite on SQLite's participant path): one text.
const IS_REGISTERED: &str = "SELECT EXISTS (SELECT 1 FROM registered WHERE contest_id = $1 AND person_key = $2)";

/// The insert of one round, its parameters numbered as [`bind_round`] binds them.
const INSERT_ROUND: &str =
    "INSERT INTO rounds (contest_id, number, name, opens_at, closes_at, rules) VALUES ($1, $2, $3, $4, $5, $6)";

/// Binds a contest's own columns to `$query` in the order its insert and its update number them:
/// `$1` slug … `$7` settings (JSON), `$8` the instant of the change.
macro_rules! bind_contest {
    ($query:expr, $spec:expr, $settings:expr, $now:expr) => {
        $query
            .bind(&$spec.slug)
            .bind(&$spec.title)
            .bind(&$spec.organiser)
            .bind(&$spec.summary)
            .bind(&$spec.audience)
            .bind(&$spec.rules)
            .bind($settings)
            .bind(ms($now))
    };
}

/// Binds a round to `$query`: `$1` the contest, `$2` the round's number, `$3` its name, `$4` and
/// `$5` when it opens and closes, `$6` its rules (JSON); as creating and replacing a definition
/// number them.
macro_rules! bind_round {
    ($query:expr, $contest_id:expr, $number:expr, $round:expr, $rules:expr) => {
        $query
            .bind($contest_id)
            .bind($number)
            .bind(&$round.name)
            .bind(ms($round.opens_at))
            .bind(ms($round.closes_at))
            .bind($rules)
    };
}

/// Writes a contest's units (in order) and registered lists inside transaction `$tx`, for
/// whichever backend's transaction it is: shared by creating and replacing a definition.
macro_rules! insert_lists {
    ($tx:ident, $contest_id:expr, $spec:expr) => {
        for (position, u) in (0_i64..).zip(&$spec.units) {
            sqlx::query("INSERT INTO units (contest_id, code, name, parent_code, headcount, position) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind($contest_id)
                .bind(&u.code)
                .bind(&u.name)
                .bind(&u.parent)
                .bind(u.headcount.map(i64::from))
                .bind(position)
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

/// Each round's rules as stored (JSON), in the order of the definition.
fn rules_json(spec: &ContestSpec) -> Result<Vec<String>> {
    Ok(spec.rounds.iter().map(|r| serde_json::to_string(&r.rules)).collect::<Result<_, _>>()?)
}

#[instrument(skip_all, fields(slug = %spec.slug))]
pub(super) async fn insert_contest(store: &SqlStore, spec: &ContestSpec, now: DateTime<Utc>) -> Result<i64> {
    let settings = serde_json::to_string(&spec.settings)?;
    let rules = rules_json(spec)?;
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let insert = sqlx::query_as(
            "INSERT INTO contests (slug, title, organiser, summary, audience, rules, settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        );
        let (id,): (i64,) = bind_contest!(insert, spec, &settings, now).fetch_one(&mut *tx).await?;
        for (number, (r, rules)) in (1_i64..).zip(spec.rounds.iter().zip(&rules)) {
            bind_round!(sqlx::query(INSERT_ROUND), id, number, r, rules).execute(&mut *tx).await?;
        }
        insert_lists!(tx, id, spec);
        tx.commit().await?;
        Ok(id)
    })
}

pub(super) async fn list_contests(store: &SqlStore) -> Result<Vec<ContestRow>> {
    let raw: Vec<RawContest> = statement!(store, read, fetch_all, "SELECT * FROM contests ORDER BY id")?;
    raw.into_iter().map(ContestRow::try_from).collect()
}

pub(super) async fn contest_by_slug(store: &SqlStore, slug: &str) -> Result<Option<StoredContest>> {
    let raw = statement!(store, read, fetch_optional, "SELECT * FROM contests WHERE slug = $1", slug)?;
    load_contest(store, raw).await
}

pub(super) async fn contest_by_id(store: &SqlStore, id: i64) -> Result<Option<StoredContest>> {
    let raw = statement!(store, read, fetch_optional, "SELECT * FROM contests WHERE id = $1", id)?;
    load_contest(store, raw).await
}

pub(super) async fn round(store: &SqlStore, round_id: i64) -> Result<Option<RoundRow>> {
    let raw: Option<RawRound> =
        statement!(store, read, fetch_optional, "SELECT * FROM rounds WHERE id = $1", round_id)?;
    raw.map(RoundRow::try_from).transpose()
}

pub(super) async fn freeze_figure(store: &SqlStore, round_id: i64, figure: i64, now: DateTime<Utc>) -> Result<bool> {
    let sql = "UPDATE rounds SET real_figure = $2, figure_frozen_at = $3 WHERE id = $1 AND figure_frozen_at IS NULL";
    Ok(statement!(store, write, execute, sql, round_id, figure, ms(now))? == 1)
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
    let rules = rules_json(spec)?;
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let update = sqlx::query(
            "UPDATE contests SET slug = $1, title = $2, organiser = $3, summary = $4, audience = $5, rules = $6,
             settings = $7, updated_at = $8 WHERE id = $9",
        );
        let n = bind_contest!(update, spec, &settings, now).bind(contest_id).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        for (number, (r, rules)) in (1_i64..).zip(spec.rounds.iter().zip(&rules)) {
            let update = sqlx::query(
                "UPDATE rounds SET name = $3, opens_at = $4, closes_at = $5, rules = $6 WHERE contest_id = $1 AND number = $2",
            );
            let n = bind_round!(update, contest_id, number, r, rules).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                bind_round!(sqlx::query(INSERT_ROUND), contest_id, number, r, rules).execute(&mut *tx).await?;
            }
        }
        sqlx::query("DELETE FROM rounds WHERE contest_id = $1 AND number > $2")
            .bind(contest_id)
            .bind(bigint(spec.rounds.len()))
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
