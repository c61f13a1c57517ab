//! [`SqlStore`]: the one implementation of [`Store`], over SQLite or PostgreSQL.
//!
//! Each method is written once; the [`on!`] macro expands its body for the backend in use, so the
//! same SQL text is type-checked against both drivers without `sqlx::Any` (which has no instants).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cuocthi_domain::attempt::Answers;
use cuocthi_domain::contest::{ContestSpec, RegisteredPerson};
use cuocthi_domain::identity::Identity;
use cuocthi_domain::question::Question;
use cuocthi_domain::ranking::Scored;
use rusqlite::{OptionalExtension, named_params};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tracing::instrument;

use crate::model::*;
use crate::sqlite_direct::{self, Direct};
use crate::{Result, Scorer, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Pools {
    /// SQLite allows one writer: writes go through a one-connection pool so they queue in the app
    /// instead of spinning on SQLITE_BUSY; reads use their own connections beside it (WAL).
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// Begins write transactions.
pub(crate) trait WritePool {
    type Db: sqlx::Database;
    /// On SQLite `BEGIN IMMEDIATE`: the transaction takes the write lock at once, waiting
    /// (busy_timeout) while the participant path's writer ([`crate::sqlite_direct`]) commits. A
    /// deferred transaction that read first would instead fail with SQLITE_BUSY when that writer
    /// committed between its read and its first write.
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send;
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(&self) -> impl Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send {
        self.begin()
    }
}

/// Runs `$body` with `$p` bound to the pool for reads or writes of the backend in use.
macro_rules! on {
    ($self:ident, write, |$p:ident| $body:expr) => {
        match &$self.pools {
            Pools::Sqlite { write: $p, .. } => $body,
            Pools::Postgres($p) => $body,
        }
    };
    ($self:ident, read, |$p:ident| $body:expr) => {
        match &$self.pools {
            Pools::Sqlite { read: $p, .. } => $body,
            Pools::Postgres($p) => $body,
        }
    };
}
pub(crate) use on;

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
pub(crate) use insert_lists;

#[derive(Clone)]
pub struct SqlStore {
    pub(crate) pools: Pools,
    url: String,
    /// SQLite only: the participant's path without sqlx (see [`crate::sqlite_direct`]).
    pub(crate) direct: Option<Arc<Direct>>,
}

const SAVE_ANSWER: &str = "UPDATE attempts SET answers = substr(answers, 1, CAST($3 AS INTEGER)) || $4 || substr(answers, CAST($3 AS INTEGER) + 2)
     WHERE id = $1 AND participant_id = $2 AND status = 'open' AND deadline_at >= $5 AND length(answers) > $3";
const SAVE_PREDICTION: &str = "UPDATE attempts SET prediction = $3 WHERE id = $1 AND participant_id = $2 AND status = 'open' AND deadline_at >= $4";

// Statements run by both drivers (sqlx, and rusqlite on SQLite's participant path): one text each.
const IS_REGISTERED: &str = "SELECT EXISTS (SELECT 1 FROM registered WHERE contest_id = $1 AND person_key = $2)";
const PARTICIPANT_BY_KEY: &str = "SELECT * FROM participants WHERE contest_id = $1 AND person_key = $2";
const PARTICIPANT_BY_ID: &str = "SELECT * FROM participants WHERE id = $1";
const ATTEMPTS_USED: &str = "SELECT COUNT(*) FROM attempts WHERE round_id = $1 AND participant_id = $2";

const INSERT_PARTICIPANT: &str = "INSERT INTO participants (contest_id, person_key, full_name, date_of_birth, cccd, phone, email, unit_code, locality_code, group_code, complete, consent_version, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *";

/// The insert of one participant, for whichever backend's executor it runs on.
macro_rules! participant_insert {
    ($contest_id:expr, $key:expr, $who:expr, $complete:expr, $consent:expr, $now_ms:expr) => {{
        let who: &Identity = $who;
        sqlx::query_as(INSERT_PARTICIPANT)
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
            .bind(flag($complete))
            .bind($consent)
            .bind($now_ms)
    }};
}

/// The small conditional writes of a participant in the middle of an attempt: the bulk of all
/// writes (one per answer given).
#[derive(Debug)]
enum SmallWrite {
    Answer { attempt_id: i64, participant_id: i64, position: i64, slot: String, now: i64 },
    Prediction { attempt_id: i64, participant_id: i64, prediction: i64, now: i64 },
}

impl SmallWrite {
    /// Runs the write on the direct SQLite path; returns the rows changed.
    fn run(&self, c: &rusqlite::Connection) -> Result<u64> {
        let changed = match self {
            SmallWrite::Answer { attempt_id, participant_id, position, slot, now } => {
                c.prepare_cached(SAVE_ANSWER)?.execute(named_params! {
                    "$1": attempt_id, "$2": participant_id, "$3": position, "$4": slot, "$5": now,
                })?
            }
            SmallWrite::Prediction { attempt_id, participant_id, prediction, now } => c
                .prepare_cached(SAVE_PREDICTION)?
                .execute(named_params! {"$1": attempt_id, "$2": participant_id, "$3": prediction, "$4": now})?,
        };
        Ok(changed as u64)
    }
}

/// The statement of a [`SmallWrite`], for whichever backend's executor it is run on.
macro_rules! small_write_query {
    ($w:expr) => {
        match $w {
            SmallWrite::Answer { attempt_id, participant_id, position, slot, now } => sqlx::query(SAVE_ANSWER)
                .bind(*attempt_id)
                .bind(*participant_id)
                .bind(*position)
                .bind(slot.clone())
                .bind(*now),
            SmallWrite::Prediction { attempt_id, participant_id, prediction, now } => {
                sqlx::query(SAVE_PREDICTION).bind(*attempt_id).bind(*participant_id).bind(*prediction).bind(*now)
            }
        }
    };
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore").field("url", &redact(&self.url)).finish()
    }
}

/// A database URL with its password replaced, for logs and `Debug`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(a)) if a > s => {
            let creds = &url[s + 3..a];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[a..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl SqlStore {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`; any other scheme is refused.
    pub async fn connect(url: &str) -> Result<SqlStore> {
        let mut sqlite_path = std::path::PathBuf::new();
        let pools = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a submission acknowledged to a participant survives a machine crash
                // (see docs/ARCHITECTURE.md, "Durability").
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-32000");
            sqlite_path = opts.get_filename().to_path_buf();
            if let Some(dir) = Path::new(opts.get_filename()).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
            }
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.read_only(false))
                .await?;
            Pools::Sqlite { read, write }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool =
                PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::Unavailable(format!(
                "unknown database URL scheme in {} (use sqlite:// or postgres://)",
                redact(url)
            )));
        };
        let direct = match &pools {
            // An in-memory database is private to its connection: it can only use sqlx's pools.
            Pools::Sqlite { .. } if sqlite_path.as_os_str() != ":memory:" => {
                Some(Arc::new(Direct::open(&sqlite_path)?))
            }
            Pools::Sqlite { .. } => None,
            Pools::Postgres(_) => None,
        };
        Ok(SqlStore { pools, url: url.to_string(), direct })
    }

    /// Applies the migrations of the backend in use.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Pools::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// The migration versions of each backend, for the test that keeps them in step.
    pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
        let s = sqlx::migrate!("./migrations/sqlite").iter().map(|m| m.version).collect();
        let p = sqlx::migrate!("./migrations/postgres").iter().map(|m| m.version).collect();
        (s, p)
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }

    async fn load_contest(&self, raw: Option<RawContest>) -> Result<Option<StoredContest>> {
        let Some(raw) = raw else { return Ok(None) };
        let contest = ContestRow::try_from(raw)?;
        let id = contest.id;
        let (rounds, units, registered) = on!(self, read, |p| {
            let rounds: Vec<RawRound> = sqlx::query_as("SELECT * FROM rounds WHERE contest_id = $1 ORDER BY number")
                .bind(id)
                .fetch_all(p)
                .await?;
            let units: Vec<RawUnit> = sqlx::query_as(
                "SELECT code, name, parent_code, headcount FROM units WHERE contest_id = $1 ORDER BY position",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let registered: Vec<(String, String, Option<String>)> =
                sqlx::query_as("SELECT unit_code, person_key, name FROM registered WHERE contest_id = $1 ORDER BY unit_code, person_key").bind(id).fetch_all(p).await?;
            (rounds, units, registered)
        });
        Ok(Some(StoredContest {
            contest,
            rounds: rounds.into_iter().map(RoundRow::try_from).collect::<Result<_>>()?,
            units: units.into_iter().map(Into::into).collect(),
            registered: registered.into_iter().map(|(unit, key, name)| RegisteredPerson { unit, key, name }).collect(),
        }))
    }
}

impl SqlStore {
    /// The rows of `table` with these ids, in chunks that keep each statement within both
    /// backends' parameter limits.
    async fn rows_by_id<R>(&self, table: &'static str, ids: &[i64]) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT * FROM {table} WHERE id IN ({})", placeholders.join(", "));
            let rows: Vec<R> = on!(self, read, |p| {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Runs a small write: in the SQLite writer's next batch (group commit), directly on PostgreSQL
    /// (whose concurrent commits already share WAL flushes). Returns the rows changed.
    async fn small_write(&self, write: SmallWrite) -> Result<u64> {
        if let Some(d) = &self.direct {
            return d.write(move |c| write.run(c)).await;
        }
        Ok(on!(self, write, |p| small_write_query!(&write).execute(p).await.map(|r| r.rows_affected()))?)
    }
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    async fn ping(&self) -> Result<()> {
        on!(self, read, |p| sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn secret(&self, name: &str, candidate: &str) -> Result<String> {
        on!(self, write, |p| {
            sqlx::query("INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name)
                .bind(candidate)
                .execute(p)
                .await?;
            let v: (String,) =
                sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1").bind(name).fetch_one(p).await?;
            Ok(v.0)
        })
    }

    #[instrument(skip_all, fields(slug = %spec.slug))]
    async fn insert_contest(&self, spec: &ContestSpec, now: DateTime<Utc>) -> Result<i64> {
        let settings = serde_json::to_string(&spec.settings)?;
        let rounds: Vec<(String, String)> = spec
            .rounds
            .iter()
            .map(|r| Ok((r.name.clone(), serde_json::to_string(&r.rules)?)))
            .collect::<Result<_>>()?;
        on!(self, write, |p| {
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

    async fn list_contests(&self) -> Result<Vec<ContestRow>> {
        let raw: Vec<RawContest> =
            on!(self, read, |p| sqlx::query_as("SELECT * FROM contests ORDER BY id").fetch_all(p).await)?;
        raw.into_iter().map(ContestRow::try_from).collect()
    }

    async fn contest_by_slug(&self, slug: &str) -> Result<Option<StoredContest>> {
        let raw = on!(self, read, |p| sqlx::query_as("SELECT * FROM contests WHERE slug = $1")
            .bind(slug)
            .fetch_optional(p)
            .await)?;
        self.load_contest(raw).await
    }

    async fn contest_by_id(&self, id: i64) -> Result<Option<StoredContest>> {
        let raw = on!(self, read, |p| sqlx::query_as("SELECT * FROM contests WHERE id = $1")
            .bind(id)
            .fetch_optional(p)
            .await)?;
        self.load_contest(raw).await
    }

    async fn round(&self, round_id: i64) -> Result<Option<RoundRow>> {
        let raw: Option<RawRound> = on!(self, read, |p| sqlx::query_as("SELECT * FROM rounds WHERE id = $1")
            .bind(round_id)
            .fetch_optional(p)
            .await)?;
        raw.map(RoundRow::try_from).transpose()
    }

    async fn freeze_figure(&self, round_id: i64, figure: i64, now: DateTime<Utc>) -> Result<bool> {
        let changed = on!(self, write, |p| sqlx::query(
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

    async fn is_registered(&self, contest_id: i64, keys: &[String]) -> Result<bool> {
        if let Some(d) = &self.direct {
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
                on!(self, read, |p| sqlx::query_as(IS_REGISTERED).bind(contest_id).bind(k).fetch_one(p).await)?;
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }

    #[instrument(skip_all, fields(contest_id, n = questions.len()))]
    async fn insert_questions(&self, contest_id: i64, questions: &[Question], now: DateTime<Utc>) -> Result<Vec<i64>> {
        on!(self, write, |p| {
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

    async fn bank(&self, contest_id: i64) -> Result<Vec<StoredQuestion>> {
        let raw: Vec<RawQuestion> = on!(self, read, |p| sqlx::query_as(
            "SELECT * FROM questions WHERE contest_id = $1 AND status = 'active' ORDER BY id"
        )
        .bind(contest_id)
        .fetch_all(p)
        .await)?;
        raw.into_iter().map(StoredQuestion::try_from).collect()
    }

    async fn questions_by_id(&self, ids: &[i64]) -> Result<Vec<StoredQuestion>> {
        let raw: Vec<RawQuestion> = self.rows_by_id("questions", ids).await?;
        raw.into_iter().map(StoredQuestion::try_from).collect()
    }

    async fn revise_question(&self, id: i64, q: &Question, now: DateTime<Utc>) -> Result<i64> {
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let old: Option<(i64, Option<i64>, i64)> = sqlx::query_as(
                "SELECT contest_id, lineage, version FROM questions WHERE id = $1 AND status = 'active'",
            )
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

    async fn insert_participant(
        &self,
        contest_id: i64,
        key: &str,
        who: &Identity,
        complete: bool,
        consent: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ParticipantRow> {
        if let Some(d) = &self.direct {
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
        let raw: RawParticipant =
            on!(self, write, |p| participant_insert!(contest_id, key, who, complete, consent, ms(now))
                .fetch_one(p)
                .await)?;
        Ok(raw.into())
    }

    async fn participant_by_key(&self, contest_id: i64, key: &str) -> Result<Option<ParticipantRow>> {
        if let Some(d) = &self.direct {
            let params = named_params! {"$1": contest_id, "$2": key};
            return Ok(d.read_row(PARTICIPANT_BY_KEY, params, sqlite_direct::participant_from)?.map(Into::into));
        }
        let raw: Option<RawParticipant> =
            on!(self, read, |p| sqlx::query_as(PARTICIPANT_BY_KEY).bind(contest_id).bind(key).fetch_optional(p).await)?;
        Ok(raw.map(Into::into))
    }

    async fn participant(&self, id: i64) -> Result<Option<ParticipantRow>> {
        if let Some(d) = &self.direct {
            let params = named_params! {"$1": id};
            return Ok(d.read_row(PARTICIPANT_BY_ID, params, sqlite_direct::participant_from)?.map(Into::into));
        }
        let raw: Option<RawParticipant> =
            on!(self, read, |p| sqlx::query_as(PARTICIPANT_BY_ID).bind(id).fetch_optional(p).await)?;
        Ok(raw.map(Into::into))
    }

    async fn participants_of(&self, contest_id: i64) -> Result<Vec<ParticipantRow>> {
        let raw: Vec<RawParticipant> =
            on!(self, read, |p| sqlx::query_as("SELECT * FROM participants WHERE contest_id = $1 ORDER BY id")
                .bind(contest_id)
                .fetch_all(p)
                .await)?;
        Ok(raw.into_iter().map(Into::into).collect())
    }

    async fn participants_by_id(&self, ids: &[i64]) -> Result<Vec<ParticipantRow>> {
        let raw: Vec<RawParticipant> = self.rows_by_id("participants", ids).await?;
        Ok(raw.into_iter().map(ParticipantRow::from).collect())
    }

    #[instrument(skip_all, fields(round_id = new.round_id))]
    async fn start_attempt(&self, new: &NewAttempt) -> Result<StartOutcome> {
        let draw = serde_json::to_string(&new.draw)?;
        let blank = Answers::empty(new.draw.len()).encode();
        let open_sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE round_id = $1 AND participant_id = $2 AND status = 'open'"
        );
        let insert_sql = format!(
            "INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, status, started_at, deadline_at, client_tag, device_tag)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11) RETURNING {ATTEMPT_COLUMNS}"
        );
        if let Some(d) = &self.direct {
            // One writer: nothing can slip between the look-up, the count and the insert.
            let new = new.clone();
            return d
                .write(move |c| {
                    sqlite_direct::all_or_nothing(c, |c| {
                        let key = named_params! {"$1": new.round_id, "$2": new.participant_id};
                        let open =
                            c.prepare_cached(&open_sql)?.query_row(key, sqlite_direct::attempt_from).optional()?;
                        if let Some(open) = open {
                            return Ok(StartOutcome::Resumed(open.try_into()?));
                        }
                        let used: i64 = c.prepare_cached(ATTEMPTS_USED)?.query_row(key, |r| r.get(0))?;
                        if used >= i64::from(new.allowed) {
                            return Ok(StartOutcome::LimitReached { used: used as u32 });
                        }
                        let row = c.prepare_cached(&insert_sql)?.query_row(
                            named_params! {
                                "$1": new.round_id,
                                "$2": new.participant_id,
                                "$3": used + 1,
                                "$4": new.seed as i64,
                                "$5": draw,
                                "$6": new.draw.len() as i64,
                                "$7": blank,
                                "$8": ms(new.started_at),
                                "$9": ms(new.deadline_at),
                                "$10": new.client_tag,
                                "$11": new.device_tag,
                            },
                            sqlite_direct::attempt_from,
                        )?;
                        Ok(StartOutcome::Started(row.try_into()?))
                    })
                })
                .await;
        }
        // Two simultaneous starts (even on two app nodes) both see no open attempt; the unique
        // indexes let one insert win and the other retry, finding the winner's attempt.
        for _ in 0..5 {
            // The body is an async block so that `?` and `return` end this try, not the retry loop.
            let outcome: Result<StartOutcome> = on!(self, write, |p| async {
                let mut tx = p.begin_write().await?;
                let open: Option<RawAttempt> = sqlx::query_as(sqlx::AssertSqlSafe(open_sql.clone()))
                    .bind(new.round_id)
                    .bind(new.participant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(open) = open {
                    tx.commit().await?;
                    return Ok(StartOutcome::Resumed(open.try_into()?));
                }
                let (used,): (i64,) = sqlx::query_as(ATTEMPTS_USED)
                    .bind(new.round_id)
                    .bind(new.participant_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if used >= i64::from(new.allowed) {
                    // Under READ COMMITTED a start racing the person's last allowed start may miss
                    // the winner's open attempt above yet count it here: look once more, and
                    // resume it rather than refuse.
                    let open: Option<RawAttempt> = sqlx::query_as(sqlx::AssertSqlSafe(open_sql.clone()))
                        .bind(new.round_id)
                        .bind(new.participant_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    return Ok(match open {
                        Some(open) => StartOutcome::Resumed(open.try_into()?),
                        None => StartOutcome::LimitReached { used: used as u32 },
                    });
                }
                let row: RawAttempt = sqlx::query_as(sqlx::AssertSqlSafe(insert_sql.clone()))
                    .bind(new.round_id)
                    .bind(new.participant_id)
                    .bind(used + 1)
                    .bind(new.seed as i64)
                    .bind(&draw)
                    .bind(new.draw.len() as i64)
                    .bind(&blank)
                    .bind(ms(new.started_at))
                    .bind(ms(new.deadline_at))
                    .bind(&new.client_tag)
                    .bind(&new.device_tag)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(StartOutcome::Started(row.try_into()?))
            }
            .await);
            match outcome {
                Err(StoreError::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(StoreError::Unavailable("could not start the attempt under contention".into()))
    }

    async fn attempt(&self, id: i64) -> Result<Option<AttemptRow>> {
        let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = $1");
        if let Some(d) = &self.direct {
            let raw = d.read_row(&sql, named_params! {"$1": id}, sqlite_direct::attempt_from)?;
            return raw.map(AttemptRow::try_from).transpose();
        }
        let sql = sqlx::AssertSqlSafe(sql);
        let raw: Option<RawAttempt> = on!(self, read, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?;
        raw.map(AttemptRow::try_from).transpose()
    }

    async fn attempts_of(&self, participant_id: i64) -> Result<Vec<AttemptRow>> {
        let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE participant_id = $1 ORDER BY id");
        if let Some(d) = &self.direct {
            let raw = d.read(|c| {
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt.query_map(named_params! {"$1": participant_id}, sqlite_direct::attempt_from)?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })?;
            return raw.into_iter().map(AttemptRow::try_from).collect();
        }
        let sql = sqlx::AssertSqlSafe(sql);
        let raw: Vec<RawAttempt> = on!(self, read, |p| sqlx::query_as(sql).bind(participant_id).fetch_all(p).await)?;
        raw.into_iter().map(AttemptRow::try_from).collect()
    }

    async fn save_answer(
        &self,
        attempt_id: i64,
        participant_id: i64,
        position: usize,
        slot: char,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        // One statement: the condition and the write are atomic on both backends, and a concurrent
        // submission (which flips the status under the same row lock) can never miss this answer.
        let write = SmallWrite::Answer {
            attempt_id,
            participant_id,
            position: position as i64,
            slot: slot.to_string(),
            now: ms(now),
        };
        let done = self.small_write(write).await?;
        Ok(done == 1)
    }

    async fn save_prediction(
        &self,
        attempt_id: i64,
        participant_id: i64,
        prediction: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done =
            self.small_write(SmallWrite::Prediction { attempt_id, participant_id, prediction, now: ms(now) }).await?;
        Ok(done == 1)
    }

    #[instrument(skip_all, fields(attempt_id))]
    async fn submit_attempt(
        &self,
        attempt_id: i64,
        submitted_at: DateTime<Utc>,
        auto: bool,
        scorer: Scorer,
    ) -> Result<Option<AttemptRow>> {
        let close_sql = format!(
            "UPDATE attempts SET status = 'submitted', submitted_at = $2, auto_submitted = $3 WHERE id = $1 AND status = 'open' RETURNING {ATTEMPT_COLUMNS}"
        );
        const SCORE_SQL: &str = "UPDATE attempts SET correct = $2, time_taken_ms = $3 WHERE id = $1";
        if let Some(d) = &self.direct {
            return d
                .write(move |c| {
                    sqlite_direct::all_or_nothing(c, |c| {
                        let closed = c
                            .prepare_cached(&close_sql)?
                            .query_row(
                                named_params! {"$1": attempt_id, "$2": ms(submitted_at), "$3": flag(auto)},
                                sqlite_direct::attempt_from,
                            )
                            .optional()?;
                        let Some(closed) = closed else { return Ok(None) };
                        let mut row = AttemptRow::try_from(closed)?;
                        let (correct, taken) = scorer(&row);
                        c.prepare_cached(SCORE_SQL)?
                            .execute(named_params! {"$1": attempt_id, "$2": i64::from(correct), "$3": taken})?;
                        row.correct = Some(correct);
                        row.time_taken_ms = Some(taken);
                        Ok(Some(row))
                    })
                })
                .await;
        }
        let close_sql = sqlx::AssertSqlSafe(close_sql);
        on!(self, write, |p| {
            let mut tx = p.begin_write().await?;
            let closed: Option<RawAttempt> = sqlx::query_as(close_sql)
                .bind(attempt_id)
                .bind(ms(submitted_at))
                .bind(flag(auto))
                .fetch_optional(&mut *tx)
                .await?;
            let Some(closed) = closed else {
                tx.commit().await?;
                return Ok(None);
            };
            let mut row = AttemptRow::try_from(closed)?;
            let (correct, taken) = scorer(&row);
            sqlx::query(SCORE_SQL).bind(attempt_id).bind(i64::from(correct)).bind(taken).execute(&mut *tx).await?;
            tx.commit().await?;
            row.correct = Some(correct);
            row.time_taken_ms = Some(taken);
            Ok(Some(row))
        })
    }

    async fn due_attempts(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on!(self, read, |p| sqlx::query_as(
            "SELECT id FROM attempts WHERE status = 'open' AND deadline_at < $1 ORDER BY deadline_at LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn scored_attempts(&self, round_id: i64) -> Result<Vec<Scored>> {
        const SQL: &str = "SELECT id, participant_id, correct, questions, prediction, time_taken_ms, submitted_at
             FROM attempts WHERE round_id = $1 AND status = 'submitted' ORDER BY id";
        type Raw = (i64, i64, Option<i64>, i64, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Raw> = match &self.direct {
            // A million rows: read in place, not one channel message per row as through sqlx.
            Some(d) => {
                d.read_long(move |c| {
                    let mut stmt = c.prepare_cached(SQL)?;
                    let rows = stmt.query_map(named_params! {"$1": round_id}, |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                    })?;
                    Ok(rows.collect::<rusqlite::Result<Vec<Raw>>>()?)
                })
                .await?
            }
            None => on!(self, read, |p| sqlx::query_as(SQL).bind(round_id).fetch_all(p).await)?,
        };
        Ok(rows
            .into_iter()
            .map(|(attempt_id, participant_id, correct, questions, prediction, taken, at)| Scored {
                attempt_id,
                participant_id,
                correct: correct.unwrap_or(0) as u32,
                questions: questions as u32,
                prediction,
                time_taken_ms: taken.unwrap_or(i64::MAX),
                submitted_at_ms: at.unwrap_or(i64::MAX),
            })
            .collect())
    }

    async fn round_counts(&self, round_id: i64) -> Result<RoundCounts> {
        let (people, attempts, submitted): (i64, i64, Option<i64>) = on!(self, read, |p| {
            sqlx::query_as(
            "SELECT COUNT(DISTINCT participant_id), COUNT(*), SUM(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END) FROM attempts WHERE round_id = $1",
        )
        .bind(round_id)
        .fetch_one(p)
        .await
        })?;
        Ok(RoundCounts { people, attempts, submitted: submitted.unwrap_or(0) })
    }

    #[instrument(skip_all, fields(round_id, n = rows.len()))]
    async fn bulk_insert_submitted(&self, contest_id: i64, round_id: i64, rows: &[BulkAttempt]) -> Result<usize> {
        for chunk in rows.chunks(5000) {
            on!(self, write, |p| {
                let mut tx = p.begin_write().await?;
                for r in chunk {
                    let who = &r.identity;
                    let person: RawParticipant =
                        participant_insert!(contest_id, &r.person_key, who, true, Some("bulk"), ms(r.started_at))
                            .fetch_one(&mut *tx)
                            .await?;
                    let pid = person.id;
                    sqlx::query(
                        "INSERT INTO attempts (round_id, participant_id, seq, seed, draw, questions, answers, prediction, status, started_at, deadline_at, submitted_at, auto_submitted, correct, time_taken_ms)
                         VALUES ($1, $2, 1, $3, $4, $5, $6, $7, 'submitted', $8, $9, $9, 0, $10, $11)",
                    )
                    .bind(round_id)
                    .bind(pid)
                    .bind(r.seed as i64)
                    .bind(serde_json::to_string(&r.draw)?)
                    .bind(r.draw.len() as i64)
                    .bind(r.answers.encode())
                    .bind(r.prediction)
                    .bind(ms(r.started_at))
                    .bind(ms(r.submitted_at))
                    .bind(i64::from(r.correct))
                    .bind(r.time_taken_ms)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            });
        }
        Ok(rows.len())
    }

    async fn published_ranking(&self, contest_id: i64, round_id: Option<i64>) -> Result<Option<PublishedRanking>> {
        // `IS NOT DISTINCT FROM` is PostgreSQL; SQLite spells it `IS`. Written twice for that.
        let row: Option<(i64, i64, String, i64)> = match &self.pools {
            Pools::Sqlite { read, .. } => sqlx::query_as(
                "SELECT id, published_at, body, version FROM published_rankings WHERE contest_id = $1 AND round_id IS $2 AND public_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            )
            .bind(contest_id)
            .bind(round_id)
            .fetch_optional(read)
            .await?,
            Pools::Postgres(p) => sqlx::query_as(
                "SELECT id, published_at, body, version FROM published_rankings WHERE contest_id = $1 AND round_id IS NOT DISTINCT FROM $2 AND public_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            )
            .bind(contest_id)
            .bind(round_id)
            .fetch_optional(p)
            .await?,
        };
        Ok(row.map(|(id, at_ms, body, version)| PublishedRanking { id, published_at: at(at_ms), version, body }))
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact("postgres://app:s3cret@db:5432/cuocthi"), "postgres://app:***@db:5432/cuocthi");
        assert_eq!(redact("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
        assert_eq!(redact("sqlite://data/cuocthi.db"), "sqlite://data/cuocthi.db");
    }
}
