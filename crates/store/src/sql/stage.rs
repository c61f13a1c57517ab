//! The stage's tables (`event_question_sets`, `event_set_lots`, `event_stage_answers`,
//! `event_stage`). Sets and lots are written with their audit entry in one transaction, so that
//! none stands without its record; a lot drawn twice at once is stored, and recorded, once. An
//! answer keeps the knowledge round's count (`event_answers.correct`) in step in the same
//! transaction, so the event's ranking reads one source. The stage row changes only from the
//! version the caller read (compare and set), so two control pages never skip a step.

use super::SqlStore;
use super::audit::{AUDIT_LOCK, append_in};
use crate::console::NewAudit;
use crate::pool::{WritePool, on, statement};
use crate::stage::*;
use crate::{Result, StoreError};

/// Replaces a knowledge part's sets with `rows`, with the audit entry; false, and nothing
/// written, once a team has drawn a set of the part.
pub(super) async fn replace_question_sets(
    store: &SqlStore,
    contest_id: i64,
    part_key: &str,
    rows: &[SetQuestionRow],
    entry: &NewAudit,
) -> Result<bool> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let (drawn,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM event_set_lots WHERE contest_id = $1 AND part_key = $2")
                .bind(contest_id)
                .bind(part_key)
                .fetch_one(&mut *tx)
                .await?;
        if drawn > 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM event_question_sets WHERE contest_id = $1 AND part_key = $2")
            .bind(contest_id)
            .bind(part_key)
            .execute(&mut *tx)
            .await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO event_question_sets (contest_id, part_key, set_no, seq, question_id, seed, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(contest_id)
            .bind(part_key)
            .bind(r.set_no)
            .bind(r.seq)
            .bind(r.question_id)
            .bind(&r.seed)
            .bind(&r.created_by)
            .bind(r.created_at)
            .execute(&mut *tx)
            .await?;
        }
        append_in!(tx, entry);
        tx.commit().await?;
        Ok::<bool, StoreError>(true)
    })
}

/// A contest's question sets, by part, set and place.
pub(super) async fn question_sets(store: &SqlStore, contest_id: i64) -> Result<Vec<SetQuestionRow>> {
    let sql = "SELECT * FROM event_question_sets WHERE contest_id = $1 ORDER BY part_key, set_no, seq";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

/// Stores a team's lot with its audit entry; `None`, nothing written, when the team already
/// drew in the part or the set was drawn by another team meanwhile.
pub(super) async fn insert_set_lot(store: &SqlStore, lot: &SetLotRow, entry: &NewAudit) -> Result<Option<SetLotRow>> {
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let row: Option<SetLotRow> = sqlx::query_as(
            "INSERT INTO event_set_lots (contest_id, part_key, team_id, set_no, seed, drawn_by, drawn_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING *",
        )
        .bind(lot.contest_id)
        .bind(&lot.part_key)
        .bind(lot.team_id)
        .bind(lot.set_no)
        .bind(&lot.seed)
        .bind(&lot.drawn_by)
        .bind(lot.drawn_at)
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_some() {
            append_in!(tx, entry);
            tx.commit().await?;
        }
        Ok(row)
    })
}

pub(super) async fn set_lots(store: &SqlStore, contest_id: i64) -> Result<Vec<SetLotRow>> {
    let sql = "SELECT * FROM event_set_lots WHERE contest_id = $1 ORDER BY part_key, drawn_at, team_id";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

/// Stores an answer given on stage with its audit entry, and sets the team's count of correct
/// answers in the part to match; with `replace` false (a tablet) an answer already given stays
/// and `false` is returned, nothing written.
pub(super) async fn record_stage_answer(
    store: &SqlStore,
    a: &StageAnswerRow,
    replace: bool,
    entry: &NewAudit,
) -> Result<bool> {
    let insert = if replace {
        "INSERT INTO event_stage_answers
           (contest_id, team_id, part_key, seq, question_id, chosen, correct, source, entered_by, entered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (team_id, part_key, seq) DO UPDATE SET question_id = excluded.question_id,
           chosen = excluded.chosen, correct = excluded.correct, source = excluded.source,
           entered_by = excluded.entered_by, entered_at = excluded.entered_at"
    } else {
        "INSERT INTO event_stage_answers
           (contest_id, team_id, part_key, seq, question_id, chosen, correct, source, entered_by, entered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"
    };
    on!(store, write, |p| {
        let mut tx = p.begin_locked(AUDIT_LOCK).await?;
        let written = sqlx::query(insert)
            .bind(a.contest_id)
            .bind(a.team_id)
            .bind(&a.part_key)
            .bind(a.seq)
            .bind(a.question_id)
            .bind(a.chosen)
            .bind(a.correct)
            .bind(&a.source)
            .bind(&a.entered_by)
            .bind(a.entered_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if written == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO event_answers (contest_id, team_id, part_key, correct, entered_by, entered_at)
             SELECT $1, $2, $3, COUNT(*) FILTER (WHERE correct = 1), $4, $5
               FROM event_stage_answers WHERE team_id = $2 AND part_key = $3
             ON CONFLICT (team_id, part_key) DO UPDATE SET
               correct = excluded.correct, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
        )
        .bind(a.contest_id)
        .bind(a.team_id)
        .bind(&a.part_key)
        .bind(&a.entered_by)
        .bind(a.entered_at)
        .execute(&mut *tx)
        .await?;
        append_in!(tx, entry);
        tx.commit().await?;
        Ok::<bool, StoreError>(true)
    })
}

pub(super) async fn stage_answers(store: &SqlStore, contest_id: i64) -> Result<Vec<StageAnswerRow>> {
    let sql = "SELECT * FROM event_stage_answers WHERE contest_id = $1 ORDER BY team_id, part_key, seq";
    Ok(statement!(store, read, fetch_all, sql, contest_id)?)
}

pub(super) async fn stage(store: &SqlStore, contest_id: i64) -> Result<Option<StageRow>> {
    Ok(statement!(store, read, fetch_optional, "SELECT * FROM event_stage WHERE contest_id = $1", contest_id)?)
}

/// The stage's version alone: what every node polls.
pub(super) async fn stage_version(store: &SqlStore, contest_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        statement!(store, read, fetch_optional, "SELECT version FROM event_stage WHERE contest_id = $1", contest_id)?;
    Ok(row.map(|(v,)| v))
}

/// Writes the stage as `row` says if it is still at version `expected` (0: no row yet), and
/// returns it at its new version; `None`, nothing written, when it changed meanwhile.
pub(super) async fn save_stage(store: &SqlStore, row: &StageRow, expected: i64) -> Result<Option<StageRow>> {
    let r = row;
    let saved: Option<StageRow> = if expected == 0 {
        let sql = "INSERT INTO event_stage (contest_id, version, step, team_id, part_key, question_seq, deadline_at,
               revealed, answering, tablet_key, frozen, frozen_at, frozen_board, updated_by, updated_at)
             VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (contest_id) DO NOTHING RETURNING *";
        statement!(
            store,
            write,
            fetch_optional,
            sql,
            r.contest_id,
            &r.step,
            r.team_id,
            &r.part_key,
            r.question_seq,
            r.deadline_at,
            r.revealed,
            &r.answering,
            &r.tablet_key,
            r.frozen,
            r.frozen_at,
            &r.frozen_board,
            &r.updated_by,
            r.updated_at
        )?
    } else {
        let sql = "UPDATE event_stage SET version = version + 1, step = $2, team_id = $3, part_key = $4,
               question_seq = $5, deadline_at = $6, revealed = $7, answering = $8, tablet_key = $9, frozen = $10,
               frozen_at = $11, frozen_board = $12, updated_by = $13, updated_at = $14
             WHERE contest_id = $1 AND version = $15 RETURNING *";
        statement!(
            store,
            write,
            fetch_optional,
            sql,
            r.contest_id,
            &r.step,
            r.team_id,
            &r.part_key,
            r.question_seq,
            r.deadline_at,
            r.revealed,
            &r.answering,
            &r.tablet_key,
            r.frozen,
            r.frozen_at,
            &r.frozen_board,
            &r.updated_by,
            r.updated_at,
            expected
        )?
    };
    Ok(saved)
}
