//! The in-person event's tables (`event_teams`, `event_members`, `event_parts`, `event_sheets`,
//! `event_answers`, `event_adjustments`, `event_tie_lots`). A sheet and its audit entry are
//! written in one transaction, so that no sheet stands without its record and a sheet sent twice
//! at once is stored, and recorded, once.

use super::SqlStore;
use super::audit::{AUDIT_LOCK, append_in};
use crate::console::NewAudit;
use crate::event::*;
use crate::model::flag;
use crate::pool::{WritePool, on, statement};
use crate::{Result, StoreError};

/// Registers a team, or replaces its name and members, in one transaction.
pub(super) async fn save_team(store: &SqlStore, t: &NewTeam<'_>) -> Result<TeamRow> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        let team: TeamRow = sqlx::query_as(
            "INSERT INTO event_teams (contest_id, unit_code, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (contest_id, unit_code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
             RETURNING *",
        )
        .bind(t.contest_id)
        .bind(t.unit_code)
        .bind(t.name)
        .bind(t.at)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM event_members WHERE team_id = $1").bind(team.id).execute(&mut *tx).await?;
        for ((name, position, captain), seq) in t.members.iter().zip(1_i64..) {
            sqlx::query(
                "INSERT INTO event_members (team_id, seq, name, position, captain) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(team.id)
            .bind(seq)
            .bind(name)
            .bind(position)
            .bind(flag(*captain))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(team)
    })
}

pub(super) async fn event_teams(store: &SqlStore, contest_id: i64) -> Result<Vec<TeamRow>> {
    let sql = "SELECT * FROM event_teams WHERE contest_id = $1 ORDER BY id";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

pub(super) async fn event_members(store: &SqlStore, contest_id: i64) -> Result<Vec<MemberRow>> {
    let sql = "SELECT m.* FROM event_members m JOIN event_teams t ON t.id = m.team_id
               WHERE t.contest_id = $1 ORDER BY m.team_id, m.seq";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

/// Sets the teams' places on stage (`(team, place)`), all in one transaction.
pub(super) async fn set_performance_order(store: &SqlStore, contest_id: i64, order: &[(i64, i64)]) -> Result<()> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        for (team, place) in order {
            sqlx::query("UPDATE event_teams SET performance_order = $3 WHERE id = $1 AND contest_id = $2")
                .bind(team)
                .bind(contest_id)
                .bind(place)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

pub(super) async fn set_part_open(
    store: &SqlStore,
    contest_id: i64,
    part_key: &str,
    open: bool,
    by: &str,
    at: i64,
) -> Result<()> {
    let sql =
        "INSERT INTO event_parts (contest_id, part_key, is_open, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (contest_id, part_key) DO UPDATE SET
                 is_open = excluded.is_open, changed_by = excluded.changed_by, changed_at = excluded.changed_at";
    statement!(store, write, execute, sql, contest_id, part_key, flag(open), by, at)?;
    Ok(())
}

pub(super) async fn event_parts(store: &SqlStore, contest_id: i64) -> Result<Vec<PartStateRow>> {
    let sql = "SELECT * FROM event_parts WHERE contest_id = $1 ORDER BY part_key";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

/// Stores a sheet, or the correction of a reopened one, with its audit entry; `None` (and
/// nothing written) when the sheet is already submitted. The unique key decides between sheets
/// sent at once: one inserts, the others find it submitted.
pub(super) async fn submit_sheet(store: &SqlStore, s: &NewSheet<'_>, entry: &NewAudit) -> Result<Option<SheetRow>> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let row: Option<SheetRow> = sqlx::query_as(
            "INSERT INTO event_sheets (contest_id, judge_id, team_id, part_key, scores, status, paper, entered_by, submitted_at)
             VALUES ($1, $2, $3, $4, $5, 'submitted', $6, $7, $8)
             ON CONFLICT (contest_id, judge_id, team_id, part_key) DO UPDATE SET
               scores = excluded.scores, status = 'submitted', paper = excluded.paper,
               entered_by = excluded.entered_by, submitted_at = excluded.submitted_at
             WHERE event_sheets.status = 'reopened'
             RETURNING *",
        )
        .bind(s.contest_id)
        .bind(s.judge_id)
        .bind(s.team_id)
        .bind(s.part_key)
        .bind(s.scores)
        .bind(flag(s.paper))
        .bind(s.entered_by)
        .bind(s.at)
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_some() {
            append_in!(tx, entry);
            tx.commit().await?;
        }
        Ok(row)
    })
}

/// Reopens a submitted sheet of the contest, with its audit entry; `None` if there is no such
/// submitted sheet.
pub(super) async fn reopen_sheet(
    store: &SqlStore,
    contest_id: i64,
    sheet_id: i64,
    reason: &str,
    entry: &NewAudit,
) -> Result<Option<SheetRow>> {
    let at = crate::model::ms(entry.at);
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let row: Option<SheetRow> = sqlx::query_as(
            "UPDATE event_sheets SET status = 'reopened', reopened_by = $3, reopened_at = $4, reopen_reason = $5
             WHERE id = $1 AND contest_id = $2 AND status = 'submitted' RETURNING *",
        )
        .bind(sheet_id)
        .bind(contest_id)
        .bind(&entry.actor)
        .bind(at)
        .bind(reason)
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_some() {
            append_in!(tx, entry);
            tx.commit().await?;
        }
        Ok(row)
    })
}

/// A contest's sheets, of one judge or of all (`None`), in the order they were first sent.
pub(super) async fn event_sheets(store: &SqlStore, contest_id: i64, judge_id: Option<i64>) -> Result<Vec<SheetRow>> {
    let sql = "SELECT * FROM event_sheets WHERE contest_id = $1 AND ($2 IS NULL OR judge_id = $2) ORDER BY id";
    Ok(statement!(store, read, fetch_all, sql, contest_id, judge_id)?)
}

pub(super) async fn event_sheet(store: &SqlStore, id: i64) -> Result<Option<SheetRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM event_sheets WHERE id = $1", id)?)
}

/// Sets a team's correct answers in a knowledge part (a correction replaces them).
pub(super) async fn set_answers(store: &SqlStore, a: &AnswerRow) -> Result<()> {
    let sql = "INSERT INTO event_answers (contest_id, team_id, part_key, correct, entered_by, entered_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (team_id, part_key) DO UPDATE SET
                 correct = excluded.correct, entered_by = excluded.entered_by, entered_at = excluded.entered_at";
    statement!(
        store,
        write,
        execute,
        sql,
        a.contest_id,
        a.team_id,
        &a.part_key,
        a.correct,
        &a.entered_by,
        a.entered_at
    )?;
    Ok(())
}

pub(super) async fn event_answers(store: &SqlStore, contest_id: i64) -> Result<Vec<AnswerRow>> {
    let sql = "SELECT * FROM event_answers WHERE contest_id = $1 ORDER BY team_id, part_key";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

/// Records a bonus or penalty; `a.id` is ignored and the new id returned.
pub(super) async fn insert_adjustment(store: &SqlStore, a: &AdjustmentRow) -> Result<i64> {
    let sql = "INSERT INTO event_adjustments (contest_id, team_id, points, reason, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let (id,): (i64,) = statement!(
        store,
        write,
        fetch_one,
        sql,
        a.contest_id,
        a.team_id,
        a.points,
        &a.reason,
        &a.created_by,
        a.created_at
    )?;
    Ok(id)
}

pub(super) async fn event_adjustments(store: &SqlStore, contest_id: i64) -> Result<Vec<AdjustmentRow>> {
    let sql = "SELECT * FROM event_adjustments WHERE contest_id = $1 ORDER BY id";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

/// Stores the lots of one draw, replacing any earlier lot of the same teams.
pub(super) async fn set_tie_lots(store: &SqlStore, lots: &[TieLotRow]) -> Result<()> {
    on!(store, write, |p| {
        let mut tx = p.begin_write().await?;
        for l in lots {
            sqlx::query(
                "INSERT INTO event_tie_lots (team_id, contest_id, lot_order, seed, drawn_by, drawn_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (team_id) DO UPDATE SET lot_order = excluded.lot_order, seed = excluded.seed,
                   drawn_by = excluded.drawn_by, drawn_at = excluded.drawn_at",
            )
            .bind(l.team_id)
            .bind(l.contest_id)
            .bind(l.lot_order)
            .bind(&l.seed)
            .bind(&l.drawn_by)
            .bind(l.drawn_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok::<(), StoreError>(())
    })
}

pub(super) async fn event_tie_lots(store: &SqlStore, contest_id: i64) -> Result<Vec<TieLotRow>> {
    let sql = "SELECT * FROM event_tie_lots WHERE contest_id = $1 ORDER BY lot_order";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}
