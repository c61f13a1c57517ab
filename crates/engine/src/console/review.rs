//! The judges' review of a round (rà soát): the list of suspicious attempts with their reasons,
//! and disqualifications (loại) of an attempt or a person with a written reason, which take the
//! attempt or the person out of every ranking computed afterwards. Each is in the audit log.

use std::collections::HashMap;

use cuocthi_domain::review::{self, Concern, Sample};
use cuocthi_store::{DisqualificationRow, NewDisqualification, ParticipantRow};
use serde_json::json;

use crate::console::access::{Action, Staff};
use crate::{Engine, EngineError, Result};

/// What a judge disqualifies.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// One attempt (lượt thi).
    Attempt(i64),
    /// A person, in every round of the contest.
    Person(i64),
}

/// A suspicious attempt with the person and every reason.
#[derive(Clone, Debug)]
pub struct Suspicious {
    pub attempt_id: i64,
    pub participant_id: i64,
    pub name: String,
    pub correct: u32,
    pub time_taken_ms: i64,
    pub reasons: Vec<String>,
    /// Already disqualified (the attempt or the person).
    pub disqualified: bool,
}

impl Engine {
    /// The suspicious attempts of round `number`, for judges and organisers.
    pub async fn review_list(&self, by: &Staff, slug: &str, number: i64) -> Result<Vec<Suspicious>> {
        let c = self.contest_for(by, slug, Action::Review).await?;
        let round = c.stored.rounds.iter().find(|r| r.number == number).ok_or(EngineError::NotFound("đợt thi"))?;
        let origins: HashMap<i64, (Option<String>, Option<String>)> = self
            .store
            .attempt_origins(round.id)
            .await?
            .into_iter()
            .map(|o| (o.attempt_id, (o.client_tag, o.device_tag)))
            .collect();
        let people: HashMap<i64, ParticipantRow> =
            self.store.participants_of(c.stored.contest.id).await?.into_iter().map(|p| (p.id, p)).collect();
        let mut samples = Vec::new();
        let mut scores = HashMap::new();
        self.each_submitted(round, |a, key| {
            let mut wrong = Vec::new();
            for (i, d) in a.draw.iter().enumerate() {
                if let (Some(given), Some(k)) = (a.answers.get(i), key(d.question_id))
                    && given != k
                {
                    wrong.push((d.question_id, given));
                }
            }
            let (address, device) = origins.get(&a.id).cloned().unwrap_or_default();
            scores.insert(a.id, (a.correct.unwrap_or(0), a.time_taken_ms.unwrap_or(0)));
            samples.push(Sample {
                attempt_id: a.id,
                participant_id: a.participant_id,
                questions: u32::try_from(a.draw.len()).unwrap_or(u32::MAX),
                time_taken_ms: a.time_taken_ms.unwrap_or(0),
                submitted_at_ms: a.submitted_at.unwrap_or(a.deadline_at).timestamp_millis(),
                device,
                address,
                wrong,
                identity: people.get(&a.participant_id).and_then(|p| review::identity_concern(&p.identity)),
            });
        })
        .await?;
        let excluded = self.exclusions(c.stored.contest.id, None).await?;
        Ok(review::review(&samples, &c.spec.settings.review)
            .into_iter()
            .map(|f| {
                let (correct, time_taken_ms) = scores.get(&f.attempt_id).copied().unwrap_or_default();
                Suspicious {
                    attempt_id: f.attempt_id,
                    participant_id: f.participant_id,
                    name: people
                        .get(&f.participant_id)
                        .and_then(|p| p.identity.full_name.clone())
                        .unwrap_or_else(|| format!("#{}", f.participant_id)),
                    correct,
                    time_taken_ms,
                    reasons: f.concerns.iter().map(Concern::describe).collect(),
                    disqualified: excluded.covers(f.attempt_id, f.participant_id),
                }
            })
            .collect())
    }

    /// Disqualifies one attempt, or a person in every round, with the judge's written reason.
    /// Rankings computed afterwards leave them out; an approved ranking stays as approved until a
    /// new version is approved.
    pub async fn disqualify(&self, by: &Staff, slug: &str, target: Target, reason: &str) -> Result<i64> {
        let c = self.contest_for(by, slug, Action::Review).await?;
        let reason = written_reason(reason)?;
        let (participant_id, attempt_id) = match target {
            Target::Attempt(id) => {
                let a = self
                    .store
                    .attempt(id)
                    .await?
                    .filter(|a| c.stored.rounds.iter().any(|r| r.id == a.round_id))
                    .ok_or(EngineError::NotFound("lượt thi"))?;
                (a.participant_id, Some(a.id))
            }
            Target::Person(id) => (self.participant_in(c.stored.contest.id, id).await?.id, None),
        };
        let id = self
            .store
            .disqualify(&NewDisqualification {
                contest_id: c.stored.contest.id,
                participant_id,
                attempt_id,
                reason,
                created_by: &by.username,
                created_at: self.now().timestamp_millis(),
            })
            .await?;
        self.record(
            Some(by),
            "review.disqualify",
            Some(c.stored.contest.id),
            &format!("participant:{participant_id}"),
            json!({"disqualification": id, "attempt_id": attempt_id, "reason": reason}),
        )
        .await?;
        Ok(id)
    }

    /// Lifts a disqualification (a judge's mistake), with the reason.
    pub async fn lift_disqualification(&self, by: &Staff, slug: &str, id: i64, reason: &str) -> Result<()> {
        let c = self.contest_for(by, slug, Action::Review).await?;
        let reason = written_reason(reason)?;
        let now = self.now().timestamp_millis();
        if !self.store.lift_disqualification(c.stored.contest.id, id, &by.username, reason, now).await? {
            return Err(EngineError::NotFound("quyết định loại"));
        }
        self.record(
            Some(by),
            "review.reinstate",
            Some(c.stored.contest.id),
            &format!("disqualification:{id}"),
            json!({"reason": reason}),
        )
        .await
    }

    /// Every disqualification of a contest with the person's name, newest first.
    pub async fn disqualifications(&self, by: &Staff, slug: &str) -> Result<Vec<(DisqualificationRow, String)>> {
        let c = self.contest_for(by, slug, Action::Review).await?;
        let rows = self.store.disqualifications(c.stored.contest.id).await?;
        let ids: Vec<i64> = rows.iter().map(|d| d.participant_id).collect();
        let names: HashMap<i64, String> = self
            .store
            .participants_by_id(&ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p.identity.full_name.unwrap_or_default()))
            .collect();
        Ok(rows
            .into_iter()
            .rev()
            .map(|d| {
                let name = names.get(&d.participant_id).cloned().unwrap_or_else(|| format!("#{}", d.participant_id));
                (d, name)
            })
            .collect())
    }
}

/// A reason a judge wrote: required, and kept to a sensible length.
pub(crate) fn written_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        return Err(EngineError::BadRequest("Hãy ghi rõ lý do (ít nhất 5 ký tự).".into()));
    }
    if reason.chars().count() > 1000 {
        return Err(EngineError::BadRequest("Lý do quá dài (tối đa 1.000 ký tự).".into()));
    }
    Ok(reason)
}
