//! Counting attempts into the live statistics' counters (`stat_counters`) and reading them back;
//! units' staff lists (`unit_staff`) and who of them took part.

use std::collections::BTreeMap;

use cuocthi_domain::stats::{self, CountRow, CounterKey, Measures};

use super::{SqlStore, in_list};
use crate::model::{at, count};
use crate::pool::{WritePool, on, statement};
use crate::stats::{CounterRow, StaffMember};
use crate::{Result, StoreError};

#[derive(sqlx::FromRow)]
struct RawCount {
    id: i64,
    contest_id: i64,
    round_id: i64,
    counted: i64,
    status: String,
    started_at: i64,
    submitted_at: Option<i64>,
    correct: Option<i64>,
    questions: i64,
    unit_code: Option<String>,
    locality_code: Option<String>,
    group_code: Option<String>,
    first_in_round: i64,
    first_in_contest: i64,
    first_finish: i64,
    first_full: i64,
}

impl TryFrom<RawCount> for CountRow {
    type Error = StoreError;
    fn try_from(r: RawCount) -> Result<CountRow> {
        Ok(CountRow {
            attempt_id: r.id,
            contest_id: r.contest_id,
            round_id: r.round_id,
            counted: match r.counted {
                ..=0 => 0,
                1 => 1,
                _ => 2,
            },
            submitted: r.status == "submitted",
            first_in_round: r.first_in_round == 1,
            first_in_contest: r.first_in_contest == 1,
            first_finish: r.first_finish == 1,
            first_full_score: r.first_full == 1,
            started_at: at(r.started_at),
            submitted_at: r.submitted_at.map(at),
            correct: r.correct.map(|c| count(c.max(0))).transpose()?,
            questions: count(r.questions.max(0))?,
            unit: r.unit_code,
            locality: r.locality_code,
            group: r.group_code,
        })
    }
}

/// Attempts to count, read back.
fn count_rows(raw: Vec<RawCount>) -> Result<Vec<CountRow>> {
    raw.into_iter().map(CountRow::try_from).collect()
}

/// Whether `a` is the person's first attempt (in the round, with `extra` true) as 0/1 on both
/// backends. The unary `+` on `round_id` keeps SQLite from walking a round's index in id order
/// to find one person's attempts (quadratic at a million); it then uses `attempts_person`.
macro_rules! first {
    ($scope:literal, $extra:literal) => {
        concat!(
            "CAST(CASE WHEN (SELECT MIN(b.id) FROM attempts b WHERE b.participant_id = a.participant_id ",
            $scope,
            $extra,
            ") = a.id THEN 1 ELSE 0 END AS BIGINT)"
        )
    };
}

const PENDING: &str = concat!(
    "SELECT a.id, r.contest_id, a.round_id, a.counted, a.status, a.started_at, a.submitted_at, a.correct, a.questions,
            p.unit_code, p.locality_code, p.group_code,
            CAST(CASE WHEN a.seq = 1 THEN 1 ELSE 0 END AS BIGINT) AS first_in_round, ",
    first!("", ""),
    " AS first_in_contest, ",
    first!("AND +b.round_id = a.round_id ", "AND b.status = 'submitted'"),
    " AS first_finish, ",
    first!(
        "AND +b.round_id = a.round_id ",
        "AND b.status = 'submitted' AND b.questions > 0 AND b.correct = b.questions"
    ),
    " AS first_full
     FROM attempts a JOIN rounds r ON r.id = a.round_id JOIN participants p ON p.id = a.participant_id
     WHERE a.counted = 0 OR (a.counted = 1 AND a.status = 'submitted')
     ORDER BY a.id LIMIT $1"
);

/// Arbitrary, distinct from the audit chain's lock: two nodes never count the same attempt.
const COUNT_LOCK: i64 = 0x0063_7374_6174_7321;

/// Counts up to `limit` attempts whose start or submission is not counted yet, in one
/// transaction; returns how many attempts were counted.
pub(super) async fn count_attempts(store: &SqlStore, limit: i64) -> Result<usize> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(COUNT_LOCK).await?;
        let raw: Vec<RawCount> = sqlx::query_as(PENDING).bind(limit).fetch_all(&mut *tx).await?;
        let rows = count_rows(raw)?;
        let (counters, marks) = stats::tally(&rows);
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
        for state in [1u8, 2] {
            let ids: Vec<i64> = marks.iter().filter(|(_, c)| *c == state).map(|(id, _)| *id).collect();
            for chunk in ids.chunks(1000) {
                let mut q = sqlx::QueryBuilder::new("UPDATE attempts SET counted = ");
                q.push_bind(i64::from(state)).push(" WHERE id");
                in_list(&mut q, chunk.iter().copied());
                q.build().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok::<_, StoreError>(rows.len())
    })
}

/// The counters of a contest (round 0) and of one of its rounds.
pub(super) async fn counters(store: &SqlStore, contest_id: i64, round_id: Option<i64>) -> Result<Vec<CounterRow>> {
    let sql = "SELECT round_id, dim, bucket, people, attempts, finishers, completed, full_scores, full_score_people
         FROM stat_counters WHERE contest_id = $1 AND (round_id = 0 OR round_id = $2)";
    Ok(statement!(store, read, fetch_all, sql, contest_id, round_id.unwrap_or(0))?)
}

/// Drops a contest's counters and marks its attempts uncounted, so that counting starts
/// again from the attempts (after a voided question or a merge changed what they say).
pub(super) async fn reset_counters(store: &SqlStore, contest_id: i64) -> Result<()> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        sqlx::query("DELETE FROM stat_counters WHERE contest_id = $1").bind(contest_id).execute(&mut *tx).await?;
        sqlx::query(
            "UPDATE attempts SET counted = 0 WHERE counted <> 0 AND round_id IN (SELECT id FROM rounds WHERE contest_id = $1)",
        )
        .bind(contest_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The counters recomputed from every attempt, without touching the stored ones: what a
/// recount would give.
pub(super) async fn recount(store: &SqlStore, contest_id: i64) -> Result<BTreeMap<CounterKey, Measures>> {
    let sql = PENDING
        .replace("WHERE a.counted = 0 OR (a.counted = 1 AND a.status = 'submitted')", "WHERE r.contest_id = $2")
        .replace("a.counted,", "CAST(0 AS BIGINT) AS counted,");
    let raw: Vec<RawCount> = statement!(store, read, fetch_all, sqlx::AssertSqlSafe(sql), i64::MAX, contest_id)?;
    Ok(stats::tally(&count_rows(raw)?).0)
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
