//! Look-ups through the in-memory catalog that both sides make: a contest by id or address, its
//! question bank, questions by id, and the committee's voids (read from the store every time).

use std::collections::HashMap;
use std::sync::Arc;

use cuocthi_domain::attempt::Void;
use cuocthi_domain::draw::DrawnQuestion;
use cuocthi_store::{ParticipantRow, StoredQuestion, VoidRow};

use crate::shared::catalog::{CachedBank, CachedContest};
use crate::{Engine, EngineError, Result};

/// A row read by id that must belong to contest `contest_id`: one of another contest is not found,
/// so a console page cannot reach past its contest by changing an id in its address.
pub(crate) fn in_contest<T>(
    row: Option<T>,
    contest_id: i64,
    contest_of: impl Fn(&T) -> i64,
    what: &'static str,
) -> Result<T> {
    row.filter(|r| contest_of(r) == contest_id).ok_or(EngineError::NotFound(what))
}

fn parse_void(row: &VoidRow) -> Result<Void> {
    Void::parse(&row.mode)
        .ok_or_else(|| EngineError::Internal(format!("void {} has mode {:?}", row.id, row.mode).into()))
}

/// The voids as read with an attempt ([`cuocthi_store::AttemptInContext`]), by question id.
pub(crate) fn voids_read(voids: &[(i64, String)]) -> Result<HashMap<i64, Void>> {
    voids
        .iter()
        .map(|(id, mode)| {
            let void = Void::parse(mode)
                .ok_or_else(|| EngineError::Internal(format!("void of question {id} has mode {mode:?}").into()))?;
            Ok((*id, void))
        })
        .collect()
}

impl Engine {
    pub(crate) async fn contest_by_id(&self, id: i64) -> Result<Arc<CachedContest>> {
        if let Some(c) = self.catalog.contest(id) {
            return Ok(c);
        }
        let stored = self.store.contest_by_id(id).await?.ok_or(EngineError::NotFound("cuộc thi"))?;
        Ok(self.catalog.put_contest(stored))
    }

    pub(crate) async fn contest_by_slug(&self, slug: &str) -> Result<Arc<CachedContest>> {
        if let Some(id) = self.catalog.contest_id(slug)
            && let Some(c) = self.catalog.contest(id)
        {
            return Ok(c);
        }
        let stored = self.store.contest_by_slug(slug).await?.ok_or(EngineError::NotFound("cuộc thi"))?;
        Ok(self.catalog.put_contest(stored))
    }

    pub(crate) async fn bank(&self, contest_id: i64) -> Result<Arc<CachedBank>> {
        if let Some(b) = self.catalog.bank(contest_id) {
            return Ok(b);
        }
        let questions = self.store.bank(contest_id).await?;
        Ok(self.catalog.put_bank(contest_id, questions))
    }

    /// A participant of one contest: an id of another contest's participant is not found, so a
    /// console page cannot reach past its contest.
    pub(crate) async fn participant_in(&self, contest_id: i64, id: i64) -> Result<ParticipantRow> {
        in_contest(self.store.participant(id).await?, contest_id, |p| p.contest_id, "người dự thi")
    }

    /// The questions behind ids, from memory or, once, from the store.
    pub(crate) async fn questions(&self, ids: &[i64]) -> Result<HashMap<i64, Arc<StoredQuestion>>> {
        let mut out = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.catalog.question(*id) {
                Some(q) => {
                    out.insert(*id, q);
                }
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            let loaded = self.store.questions_by_id(&missing).await?;
            self.catalog.put_questions(loaded);
            for id in missing {
                let q = self
                    .catalog
                    .question(id)
                    .ok_or_else(|| EngineError::Internal(format!("question {id} is missing").into()))?;
                out.insert(id, q);
            }
        }
        Ok(out)
    }

    /// The questions of one draw, through the catalog: a page of an attempt reads them all.
    pub(crate) async fn questions_drawn(&self, draw: &[DrawnQuestion]) -> Result<HashMap<i64, Arc<StoredQuestion>>> {
        let ids: Vec<i64> = draw.iter().map(|d| d.question_id).collect();
        self.questions(&ids).await
    }

    /// The key (the correct original option) of every question in some draws, each read once.
    pub(crate) async fn keys_of<'a>(
        &self,
        draws: impl IntoIterator<Item = &'a [DrawnQuestion]>,
    ) -> Result<HashMap<i64, u8>> {
        let mut ids: Vec<i64> = draws.into_iter().flatten().map(|d| d.question_id).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(self.questions(&ids).await?.into_iter().map(|(id, q)| (id, q.question.correct)).collect())
    }

    /// The committee's voids of a contest's questions, read from the store every time: a score
    /// computed with a stale list would stay wrong until `results verify` found it, and the list
    /// is a handful of rows read through an index.
    pub(crate) async fn voids(&self, contest_id: i64) -> Result<HashMap<i64, Void>> {
        self.store.question_voids(contest_id).await?.iter().map(|v| Ok((v.question_id, parse_void(v)?))).collect()
    }
}
