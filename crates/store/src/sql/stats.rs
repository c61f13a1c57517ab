//! Counting attempts into the live statistics' counters (`stat_counters`) from the queue of what
//! is left to count (`stat_pending`) and reading them back;
//! units' staff lists (`unit_staff`) and who of them took part.

use std::collections::{BTreeMap, BTreeSet};

use cuocthi_domain::stats::{self, CountRow, CounterKey, Measures};

use super::{SqlStore, in_list};
use crate::model::{at, count};
use crate::pool::{WritePool, on, statement};
use crate::stats::{CounterRow, StaffMember};
use crate::{Result, StoreError};

/// What is left to count (`stat_pending`): a start, queued as `(attempt, STARTED)` in the
/// transaction that writes the attempt, and a submission, `(attempt, SUBMITTED)` in the one that
/// closes it. Counting deletes the rows it counted in its own transaction: each start and each
/// submission acknowledged is counted exactly once, whenever the counting runs, crash or not.
/// (Before issue 16 a mark on the attempt row, `attempts.counted`, said the same; rewriting that
/// wide row and its indexes twice per attempt, with the correlated look-ups of the first attempts,
/// was more than half of PostgreSQL's CPU per attempt: docs/PERFORMANCE.md.)
pub(super) const STARTED: i64 = 1;
pub(super) const SUBMITTED: i64 = 2;
/// Queues a start or a submission for counting; binds the attempt and [`STARTED`] or
/// [`SUBMITTED`]. The same text on both backends.
pub(super) const QUEUE: &str = "INSERT INTO stat_pending (attempt_id, kind) VALUES ($1, $2)";

/// The first attempts in the queue with what their counting needs, one row per attempt: `lo` and
/// `hi` the kinds queued (a start, a submission, or both). The attempt's columns are NULL when it
/// was deleted since (its queue rows are dropped uncounted, as a recount would not see it either).
/// One statement, so the queue rows and the attempts they name are read from one snapshot: a
/// submission queued is always read with its submitted row.
const PENDING: &str = "SELECT q.attempt_id, q.lo, q.hi, a.participant_id, r.contest_id, a.round_id, a.seq, a.status,
        a.started_at, a.submitted_at, a.correct, a.questions, p.unit_code, p.locality_code, p.group_code
   FROM (SELECT attempt_id, MIN(kind) AS lo, MAX(kind) AS hi FROM stat_pending
          GROUP BY attempt_id ORDER BY attempt_id LIMIT $1) q
   LEFT JOIN attempts a ON a.id = q.attempt_id
   LEFT JOIN rounds r ON r.id = a.round_id
   LEFT JOIN participants p ON p.id = a.participant_id
  ORDER BY q.attempt_id";

/// Every attempt of a contest with what counting needs, in id order: what a recount reads.
const ALL_OF_CONTEST: &str = "SELECT a.id AS attempt_id, CAST(1 AS BIGINT) AS lo, CAST(2 AS BIGINT) AS hi, a.participant_id, r.contest_id, a.round_id, a.seq, a.status,
        a.started_at, a.submitted_at, a.correct, a.questions, p.unit_code, p.locality_code, p.group_code
   FROM attempts a JOIN rounds r ON r.id = a.round_id JOIN participants p ON p.id = a.participant_id
  WHERE r.contest_id = $1
  ORDER BY a.id";

/// Whether a submitted attempt has every answer right, in SQL over `b`, as
/// [`cuocthi_domain::stats::tally`] decides it.
macro_rules! full_score {
    () => {
        "b.status = 'submitted' AND b.questions > 0 AND b.correct = b.questions"
    };
}

/// Each person's first attempt, first submitted attempt and first with every answer right per
/// round (the lowest ids), for the people of one batch (`IN (…)` pushed after): the batch's "first"
/// figures come from one grouped look-up per person through `attempts_person`, not three
/// correlated sub-selects per attempt.
const FIRSTS: &str = concat!(
    "SELECT b.participant_id, b.round_id, MIN(b.id) AS first_id,
            MIN(CASE WHEN b.status = 'submitted' THEN b.id END) AS first_finish,
            MIN(CASE WHEN ",
    full_score!(),
    " THEN b.id END) AS first_full
       FROM attempts b WHERE b.participant_id"
);

#[derive(sqlx::FromRow)]
struct RawPending {
    attempt_id: i64,
    /// The kinds queued: [`STARTED`] and/or [`SUBMITTED`].
    lo: i64,
    hi: i64,
    participant_id: Option<i64>,
    contest_id: Option<i64>,
    round_id: Option<i64>,
    seq: Option<i64>,
    status: Option<String>,
    started_at: Option<i64>,
    submitted_at: Option<i64>,
    correct: Option<i64>,
    questions: Option<i64>,
    unit_code: Option<String>,
    locality_code: Option<String>,
    group_code: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RawFirsts {
    participant_id: i64,
    round_id: i64,
    first_id: i64,
    first_finish: Option<i64>,
    first_full: Option<i64>,
}

/// A person's first attempts: in the contest, and per round the first submitted and the first with
/// every answer right.
#[derive(Default)]
struct Firsts {
    in_contest: BTreeMap<i64, i64>,
    in_round: BTreeMap<(i64, i64), (Option<i64>, Option<i64>)>,
}

impl Firsts {
    fn add(&mut self, f: RawFirsts) {
        let first = self.in_contest.entry(f.participant_id).or_insert(f.first_id);
        *first = (*first).min(f.first_id);
        self.in_round.insert((f.participant_id, f.round_id), (f.first_finish, f.first_full));
    }

    /// The firsts of every attempt of `rows` taken as all there is (a recount): the lowest ids,
    /// as [`FIRSTS`] finds them in the database.
    fn of_all(rows: &[RawPending]) -> Firsts {
        let mut out = Firsts::default();
        for r in rows {
            let (Some(pid), Some(round)) = (r.participant_id, r.round_id) else { continue };
            out.in_contest.entry(pid).or_insert(r.attempt_id);
            let e = out.in_round.entry((pid, round)).or_default();
            if r.status.as_deref() == Some("submitted") {
                e.0.get_or_insert(r.attempt_id);
                if r.questions.is_some_and(|q| q > 0) && r.correct == r.questions {
                    e.1.get_or_insert(r.attempt_id);
                }
            }
        }
        out
    }

    /// What counting needs of `r`, or `None` for an attempt deleted since it was queued.
    fn row(&self, r: &RawPending) -> Result<Option<CountRow>> {
        let (Some(pid), Some(contest_id), Some(round_id), Some(seq), Some(status), Some(started_at), Some(questions)) =
            (r.participant_id, r.contest_id, r.round_id, r.seq, &r.status, r.started_at, r.questions)
        else {
            return Ok(None);
        };
        let id = Some(r.attempt_id);
        let (first_finish, first_full) = self.in_round.get(&(pid, round_id)).copied().unwrap_or_default();
        Ok(Some(CountRow {
            attempt_id: r.attempt_id,
            contest_id,
            round_id,
            // Only the start queued: nothing counted yet; only the submission: the start was.
            counted: if r.lo == STARTED { 0 } else { 1 },
            submitted: r.hi == SUBMITTED && status == "submitted",
            first_in_round: seq == 1,
            first_in_contest: self.in_contest.get(&pid).copied() == id,
            first_finish: first_finish == id,
            first_full_score: first_full == id,
            started_at: at(started_at),
            submitted_at: r.submitted_at.map(at),
            correct: r.correct.map(|c| count(c.max(0))).transpose()?,
            questions: count(questions.max(0))?,
            unit: r.unit_code.clone(),
            locality: r.locality_code.clone(),
            group: r.group_code.clone(),
        }))
    }
}

/// Arbitrary, distinct from the audit chain's lock: two nodes never count the same attempt.
const COUNT_LOCK: i64 = 0x0063_7374_6174_7321;

/// Most values bound in one `IN (…)` list.
const IN_CHUNK: usize = 1000;

/// Counts the first `limit` attempts of the queue (`stat_pending`): their starts and submissions
/// not counted yet, in one transaction that adds them to the counters and takes them off the
/// queue; returns how many attempts were taken off.
pub(super) async fn count_attempts(store: &SqlStore, limit: i64) -> Result<usize> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(COUNT_LOCK).await?;
        let pending: Vec<RawPending> = sqlx::query_as(PENDING).bind(limit).fetch_all(&mut *tx).await?;
        if pending.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        // Read after the batch (on PostgreSQL from a snapshot as new or newer): an earlier attempt
        // of the same person committed since is seen, so it is the first, not this one.
        let people: BTreeSet<i64> = pending.iter().filter_map(|r| r.participant_id).collect();
        let people: Vec<i64> = people.into_iter().collect();
        let mut firsts = Firsts::default();
        for chunk in people.chunks(IN_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(FIRSTS);
            in_list(&mut q, chunk.iter().copied());
            q.push(" GROUP BY b.participant_id, b.round_id");
            let rows: Vec<RawFirsts> = q.build_query_as().fetch_all(&mut *tx).await?;
            rows.into_iter().for_each(|f| firsts.add(f));
        }
        let mut rows = Vec::with_capacity(pending.len());
        for r in &pending {
            rows.extend(firsts.row(r)?);
        }
        let (counters, _) = stats::tally(&rows);
        let counters: Vec<(CounterKey, Measures)> = counters.into_iter().collect();
        for chunk in counters.chunks(500) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO stat_counters (contest_id, round_id, dim, bucket, people, attempts, finishers, completed, full_scores, full_score_people) ",
            );
            q.push_values(chunk, |mut b, (k, m)| {
                b.push_bind(k.contest_id)
                    .push_bind(k.round_id)
                    .push_bind(k.dim)
                    .push_bind(k.key.clone())
                    .push_bind(m.people)
                    .push_bind(m.attempts)
                    .push_bind(m.finishers)
                    .push_bind(m.completed)
                    .push_bind(m.full_scores)
                    .push_bind(m.full_score_people);
            });
            q.push(
                " ON CONFLICT (contest_id, round_id, dim, bucket) DO UPDATE SET
                  people = stat_counters.people + excluded.people,
                  attempts = stat_counters.attempts + excluded.attempts,
                  finishers = stat_counters.finishers + excluded.finishers,
                  completed = stat_counters.completed + excluded.completed,
                  full_scores = stat_counters.full_scores + excluded.full_scores,
                  full_score_people = stat_counters.full_score_people + excluded.full_score_people",
            );
            q.build().execute(&mut *tx).await?;
        }
        // Exactly the rows read: a submission queued since this batch was read stays queued.
        for kind in [STARTED, SUBMITTED] {
            let ids: Vec<i64> =
                pending.iter().filter(|r| (r.lo..=r.hi).contains(&kind)).map(|r| r.attempt_id).collect();
            for chunk in ids.chunks(IN_CHUNK) {
                let mut q = sqlx::QueryBuilder::new("DELETE FROM stat_pending WHERE kind = ");
                q.push_bind(kind).push(" AND attempt_id");
                in_list(&mut q, chunk.iter().copied());
                q.build().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<_, StoreError>(pending.len())
    })
}

/// The counters of a contest (round 0) and of one of its rounds.
pub(super) async fn counters(store: &SqlStore, contest_id: i64, round_id: Option<i64>) -> Result<Vec<CounterRow>> {
    let sql = "SELECT round_id, dim, bucket, people, attempts, finishers, completed, full_scores, full_score_people
         FROM stat_counters WHERE contest_id = $1 AND (round_id = 0 OR round_id = $2)";
    Ok(statement!(store, read, fetch_all, sql, contest_id, round_id.unwrap_or(0))?)
}

/// Drops a contest's counters and queues every start and submission of its attempts again, so
/// that counting starts again from the attempts (after a voided question or a merge changed what
/// they say). Under the counting's lock, so no node counts half of it against the old counters.
pub(super) async fn reset_counters(store: &SqlStore, contest_id: i64) -> Result<()> {
    const OF_CONTEST: &str = "SELECT a.id FROM attempts a JOIN rounds r ON r.id = a.round_id WHERE r.contest_id = $1";
    on!(store, write, |p| {
        let mut tx = p.begin_locked(COUNT_LOCK).await?;
        sqlx::query("DELETE FROM stat_counters WHERE contest_id = $1").bind(contest_id).execute(&mut *tx).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM stat_pending WHERE attempt_id IN ({OF_CONTEST})")))
            .bind(contest_id)
            .execute(&mut *tx)
            .await?;
        // A start or submission committed by another transaction between these statements
        // (PostgreSQL, READ COMMITTED) is queued by it already: not twice.
        sqlx::query(
            "INSERT INTO stat_pending (attempt_id, kind)
             SELECT a.id, $2 FROM attempts a JOIN rounds r ON r.id = a.round_id WHERE r.contest_id = $1
             ON CONFLICT DO NOTHING",
        )
        .bind(contest_id)
        .bind(STARTED)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO stat_pending (attempt_id, kind)
             SELECT a.id, $2 FROM attempts a JOIN rounds r ON r.id = a.round_id
              WHERE r.contest_id = $1 AND a.status = 'submitted'
             ON CONFLICT DO NOTHING",
        )
        .bind(contest_id)
        .bind(SUBMITTED)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The counters recomputed from every attempt, without touching the stored ones: what a
/// recount would give. The "first" attempts are found here by reading the attempts in id order,
/// not by the grouped look-up of the counting, so the two are checked against each other.
pub(super) async fn recount(store: &SqlStore, contest_id: i64) -> Result<BTreeMap<CounterKey, Measures>> {
    let raw: Vec<RawPending> = statement!(store, read, fetch_all, ALL_OF_CONTEST, contest_id)?;
    let firsts = Firsts::of_all(&raw);
    let mut rows = Vec::with_capacity(raw.len());
    for r in &raw {
        rows.extend(firsts.row(r)?);
    }
    Ok(stats::tally(&rows).0)
}

/// Replaces the staff list of one unit.
pub(super) async fn replace_staff_list(
    store: &SqlStore,
    contest_id: i64,
    unit: &str,
    people: &[StaffMember],
    by: &str,
    at: i64,
) -> Result<()> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        sqlx::query("DELETE FROM unit_staff WHERE contest_id = $1 AND unit_code = $2")
            .bind(contest_id)
            .bind(unit)
            .execute(&mut *tx)
            .await?;
        for chunk in people.chunks(500) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO unit_staff (contest_id, unit_code, person_key, full_name, uploaded_by, uploaded_at) ",
            );
            q.push_values(chunk, |mut b, m| {
                b.push_bind(contest_id)
                    .push_bind(unit.to_string())
                    .push_bind(m.person_key.clone())
                    .push_bind(m.full_name.clone())
                    .push_bind(by.to_string())
                    .push_bind(at);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The staff lists of the given units, by unit then name.
pub(super) async fn staff_lists(store: &SqlStore, contest_id: i64, units: &[String]) -> Result<Vec<StaffMember>> {
    let mut out = Vec::new();
    for chunk in units.chunks(500) {
        let rows: Vec<StaffMember> = on!(store, read, |p| {
            let mut q =
                sqlx::QueryBuilder::new("SELECT unit_code, person_key, full_name FROM unit_staff WHERE contest_id = ");
            q.push_bind(contest_id).push(" AND unit_code");
            in_list(&mut q, chunk.iter().cloned());
            q.push(" ORDER BY unit_code, full_name, person_key");
            q.build_query_as().fetch_all(p).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

/// Which of `keys` belong to people of the contest who started at least one attempt.
pub(super) async fn keys_that_took_part(store: &SqlStore, contest_id: i64, keys: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        let rows: Vec<(String,)> = on!(store, read, |p| {
            let mut q = sqlx::QueryBuilder::new("SELECT p.person_key FROM participants p WHERE p.contest_id = ");
            q.push_bind(contest_id).push(" AND p.person_key");
            in_list(&mut q, chunk.iter().cloned());
            q.push(" AND EXISTS (SELECT 1 FROM attempts a WHERE a.participant_id = p.id)");
            q.build_query_as().fetch_all(p).await
        })?;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(out)
}
