//! The attempt (lượt thi): start with a draw, show, save answers, submit — by the person or by
//! the server at the deadline — and show the result.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use cuocthi_domain::attempt::{self, Answers, Key, Void};
use cuocthi_domain::identity::check_eligible;
use cuocthi_domain::question::Question;
use cuocthi_domain::{draw, text, vntime};
use cuocthi_store::{
    AttemptInContext, AttemptRow, AttemptStatus, NewAttempt, Rescore, RoundPhase, RoundRow, StartOutcome,
    StoredQuestion,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attempt_json;
use crate::shared::catalog::{CachedBank, CachedContest};
use crate::shared::lookup::voids_read;
use crate::shared::naming::status_name;
use crate::shared::text::ms_between;
use crate::shared::token::Claims;
use crate::shared::views::*;
use crate::{Engine, EngineError, Result};

/// The acknowledgement of a saved answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AnswerSaved {
    pub position: usize,
    pub answer: Option<u8>,
    pub saved_at: DateTime<Utc>,
}

/// Where a start came from: the client's address and the browser's own device cookie.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub address: Option<IpAddr>,
    pub device: Option<String>,
}

/// The person's own attempt as [`Engine::own_attempt`] reads it.
struct Own {
    round: RoundRow,
    row: AttemptRow,
    /// How many attempts the person has started in the round (this one included).
    used: u32,
    /// The contest's voids, read with the attempt: its score and its result count the same ones.
    voids: HashMap<i64, Void>,
}

impl Engine {
    /// The keyed tags stored for an attempt's origin: the same address or device gives the same
    /// tag within this deployment, and the tag does not give the address back.
    pub(crate) fn origin_tags(&self, origin: &Origin) -> (Option<String>, Option<String>) {
        let address = origin.address.map(|a| self.signer.tag(&format!("address:{a}"), 16));
        let device = origin.device.as_deref().map(|d| self.signer.tag(&format!("device:{d}"), 16));
        (address, device)
    }

    fn round_in(&self, c: &CachedContest, round_id: i64) -> Result<RoundRow> {
        c.stored.rounds.iter().find(|r| r.id == round_id).cloned().ok_or(EngineError::NotFound("đợt thi"))
    }

    /// Starts an attempt in a round with a new draw, or hands back the person's open one (a lost
    /// connection, a closed tab or another device).
    pub async fn start(&self, who: Claims, round_id: i64) -> Result<AttemptView> {
        self.start_from(who, round_id, &Origin::default()).await
    }

    /// [`Engine::start`], remembering where the start came from for the judges' review.
    pub async fn start_from(&self, who: Claims, round_id: i64, origin: &Origin) -> Result<AttemptView> {
        let Begun { contest, round_index, row, resumed, .. } = self.begin(who, round_id, origin).await?;
        let view = self.view(&contest.stored.rounds[round_index], row).await?;
        Ok(AttemptView { resumed, ..view })
    }

    /// [`Engine::start_from`] for a page that goes on to the attempt's own address: the attempt's
    /// id and whether it was resumed, without its questions.
    pub async fn start_for_page(&self, who: Claims, round_id: i64, origin: &Origin) -> Result<(i64, bool)> {
        let s = self.begin(who, round_id, origin).await?;
        self.catalog.put_drawn(s.row.id, s.row.participant_id, s.row.draw.clone());
        Ok((s.row.id, s.resumed))
    }

    /// [`Engine::start_from`] for the JSON API: the attempt written as JSON, byte for byte what
    /// `serde_json` writes for its [`AttemptView`], from the questions' pieces rendered once per
    /// bank snapshot (`participant::attempt_json`) rather than cloned and escaped again
    /// at every start.
    pub async fn start_json(&self, who: Claims, round_id: i64, origin: &Origin) -> Result<StartedJson> {
        let Begun { contest, round_index, row, resumed, bank } = self.begin(who, round_id, origin).await?;
        let round = &contest.stored.rounds[round_index];
        let id = row.id;
        if let Some(bank) = &bank {
            let rendered = attempt_json::rendered(bank, |q| self.catalog.question(q));
            let (before, after) = parts(round, &row, self.now(), resumed);
            if let Some(body) = attempt_json::write(&before, &row.draw, &row.answers, &after, &rendered) {
                self.catalog.put_drawn(row.id, row.participant_id, row.draw);
                return Ok(StartedJson { attempt_id: id, resumed, body });
            }
        }
        let view = self.view(round, row).await?;
        let body = attempt_json::of_view(&AttemptView { resumed, ..view })?;
        Ok(StartedJson { attempt_id: id, resumed, body })
    }

    /// What every start does: the checks, the draw and the store's start (once per person and
    /// round at a time, whatever the number of starts sent at once).
    async fn begin(&self, who: Claims, round_id: i64, origin: &Origin) -> Result<Begun> {
        let c = self.contest_by_id(who.contest_id).await?;
        let round_index =
            c.stored.rounds.iter().position(|r| r.id == round_id).ok_or(EngineError::NotFound("đợt thi"))?;
        let round = &c.stored.rounds[round_index];
        let now = self.now();
        match round.phase(now) {
            RoundPhase::Upcoming => return Err(EngineError::RoundNotOpen(round.opens_at)),
            RoundPhase::Closed => return Err(EngineError::RoundClosed(round.closes_at)),
            RoundPhase::Open => {}
        }
        let p = self.store.participant(who.participant_id).await?.ok_or(EngineError::Unauthenticated)?;
        let rules = &c.spec.settings.eligibility;
        let registered =
            rules.registered_only && self.store.is_registered(c.stored.contest.id, &p.identity.list_keys()).await?;
        check_eligible(&p.identity, rules, vntime::local_date(round.opens_at), registered)
            .map_err(EngineError::Ineligible)?;

        let bank = self.bank(c.stored.contest.id).await?;
        let seed: u64 = rand::random();
        let drawn = draw::draw(&bank.entries, round.rules.questions_per_attempt, &round.rules.quotas, seed)
            .map_err(EngineError::Draw)?;
        let (client_tag, device_tag) = self.origin_tags(origin);
        let new = NewAttempt {
            client_tag,
            device_tag,
            round_id,
            participant_id: p.id,
            allowed: round.rules.attempts_per_person,
            seed,
            draw: drawn,
            started_at: now,
            deadline_at: attempt::deadline(
                now,
                round.rules.time_limit_ms(),
                round.closes_at,
                round.rules.grace_seconds,
            ),
        };
        // An open attempt found past its deadline is submitted first; then the start is retried once.
        for _ in 0..2 {
            match self.store.start_attempt(&new).await? {
                StartOutcome::Started(row) => {
                    return Ok(Begun { contest: c, round_index, row, resumed: false, bank: Some(bank) });
                }
                StartOutcome::Resumed(row) if row.deadline_at >= now => {
                    // Drawn from whatever bank was current then: written from its questions.
                    return Ok(Begun { contest: c, round_index, row, resumed: true, bank: None });
                }
                StartOutcome::Resumed(row) => {
                    self.finish(round, &row, true).await?;
                }
                StartOutcome::LimitReached { .. } => {
                    return Err(EngineError::AttemptLimit(round.rules.attempts_per_person));
                }
            }
        }
        Err(EngineError::AttemptLimit(round.rules.attempts_per_person))
    }

    /// The person's own attempt, with its context, how many attempts the person has started in
    /// its round and the contest's voids, in one read; submitted first if its deadline has passed.
    async fn own_attempt(&self, who: Claims, attempt_id: i64) -> Result<Own> {
        let found = self.store.attempt_in_context(attempt_id).await?;
        // Someone else's attempt is "not found", not "forbidden": ids reveal nothing.
        let AttemptInContext { row, used, voids } =
            found.filter(|a| a.row.participant_id == who.participant_id).ok_or(EngineError::NotFound("bài thi"))?;
        let voids = voids_read(&voids)?;
        let c = self.contest_by_id(who.contest_id).await?;
        let round = self.round_in(&c, row.round_id)?;
        if row.status == AttemptStatus::Open && row.deadline_at < self.now() {
            let row = match self.finish_with(&round, &row, true, &voids).await? {
                Some(r) => r,
                None => self.store.attempt(attempt_id).await?.ok_or(EngineError::NotFound("bài thi"))?,
            };
            return Ok(Own { round, row, used, voids });
        }
        Ok(Own { round, row, used, voids })
    }

    pub async fn attempt(&self, who: Claims, attempt_id: i64) -> Result<AttemptView> {
        let Own { round, row, .. } = self.own_attempt(who, attempt_id).await?;
        self.view(&round, row).await
    }

    async fn view(&self, round: &RoundRow, row: AttemptRow) -> Result<AttemptView> {
        let qs = self.questions_drawn(&row.draw).await?;
        let now = self.now();
        self.catalog.put_drawn(row.id, row.participant_id, row.draw.clone());
        let questions = as_shown(&row, &qs)
            .map(|(position, d, q, answer)| QuestionView {
                position,
                topic: q.topic.clone(),
                stem: q.stem.clone(),
                options: d.arrange(&q.options),
                answer,
            })
            .collect();
        let (b, a) = parts(round, &row, now, false);
        Ok(AttemptView {
            id: b.id,
            round_id: b.round_id,
            seq: b.seq,
            status: b.status.into(),
            started_at: b.started_at,
            deadline_at: b.deadline_at,
            server_now: b.server_now,
            remaining_ms: b.remaining_ms,
            ends_at: b.ends_at,
            remaining_to_end_ms: b.remaining_to_end_ms,
            answered: b.answered,
            questions,
            tiebreak_prompt: a.tiebreak_prompt.map(str::to_string),
            prediction: a.prediction,
            resumed: a.resumed,
        })
    }

    /// Saves one answer (`choice` is the index of the option as this attempt shows it; `None`
    /// clears the answer). Any number of times until the deadline.
    pub async fn save_answer(
        &self,
        who: Claims,
        attempt_id: i64,
        position: usize,
        choice: Option<u8>,
    ) -> Result<AnswerSaved> {
        let drawn = self.drawn(who, attempt_id).await?;
        let q = drawn
            .get(position)
            .ok_or_else(|| EngineError::BadRequest(format!("Bài thi không có câu số {}.", position + 1)))?;
        let original = match choice {
            Some(shown) => Some(
                q.original(shown).ok_or_else(|| EngineError::BadRequest("Phương án trả lời không hợp lệ.".into()))?,
            ),
            None => None,
        };
        let now = self.now();
        if self.store.save_answer(attempt_id, who.participant_id, position, Answers::slot(original), now).await? {
            return Ok(AnswerSaved { position, answer: choice, saved_at: now });
        }
        Err(self.why_not_open(who, attempt_id).await)
    }

    /// The tiebreak prediction (câu hỏi dự đoán).
    pub async fn save_prediction(&self, who: Claims, attempt_id: i64, prediction: i64) -> Result<()> {
        if !(0..=1_000_000_000_000).contains(&prediction) {
            return Err(EngineError::BadRequest("Số dự đoán phải là số nguyên không âm.".into()));
        }
        if self.store.save_prediction(attempt_id, who.participant_id, prediction, self.now()).await? {
            return Ok(());
        }
        Err(self.why_not_open(who, attempt_id).await)
    }

    /// The draw of an attempt, checking that it is the person's.
    async fn drawn(&self, who: Claims, attempt_id: i64) -> Result<Arc<Vec<draw::DrawnQuestion>>> {
        if let Some((owner, d)) = self.catalog.drawn(attempt_id) {
            return if owner == who.participant_id { Ok(d) } else { Err(EngineError::NotFound("bài thi")) };
        }
        let row = self.store.attempt(attempt_id).await?;
        let row = row.filter(|a| a.participant_id == who.participant_id).ok_or(EngineError::NotFound("bài thi"))?;
        Ok(self.catalog.put_drawn(attempt_id, row.participant_id, row.draw))
    }

    /// Explains a refused save, submitting the attempt if its deadline has passed.
    async fn why_not_open(&self, who: Claims, attempt_id: i64) -> EngineError {
        match self.own_attempt(who, attempt_id).await {
            Ok(own) if own.row.auto_submitted => EngineError::PastDeadline,
            Ok(own) if own.row.status == AttemptStatus::Submitted => EngineError::AttemptSubmitted,
            Ok(_) => EngineError::PastDeadline,
            Err(e) => e,
        }
    }

    /// Submits (nộp bài), with the prediction if given; submitting twice returns the result.
    pub async fn submit(&self, who: Claims, attempt_id: i64, prediction: Option<i64>) -> Result<ResultView> {
        if let Some(p) = prediction {
            match self.save_prediction(who, attempt_id, p).await {
                Ok(()) | Err(EngineError::AttemptSubmitted) | Err(EngineError::PastDeadline) => {}
                Err(e) => return Err(e),
            }
        }
        // The voids are read with the attempt, at the submission: the score and the result count
        // the same ones.
        let Own { round, row, used, voids } = self.own_attempt(who, attempt_id).await?;
        let row = match row.status {
            AttemptStatus::Submitted => row,
            AttemptStatus::Open => match self.finish_with(&round, &row, false, &voids).await? {
                Some(closed) => closed,
                None => self.store.attempt(attempt_id).await?.ok_or(EngineError::NotFound("bài thi"))?,
            },
        };
        self.result_with(&round, row, used, &voids).await
    }

    /// Closes and scores an open attempt (`row` as last read: its draw and deadline, which never
    /// change; the answers are re-read inside the closing transaction); `None` if someone else
    /// closed it first.
    pub(crate) async fn finish(&self, round: &RoundRow, row: &AttemptRow, auto: bool) -> Result<Option<AttemptRow>> {
        // Read at every submission: a question voided a moment ago is scored as voided.
        let voids = self.voids(round.contest_id).await?;
        self.finish_with(round, row, auto, &voids).await
    }

    /// [`Self::finish`] with the contest's voids as just read.
    async fn finish_with(
        &self,
        round: &RoundRow,
        row: &AttemptRow,
        auto: bool,
        voids: &HashMap<i64, Void>,
    ) -> Result<Option<AttemptRow>> {
        let attempt_id = row.id;
        let keys: HashMap<i64, Key> = self
            .questions_drawn(&row.draw)
            .await?
            .into_iter()
            .map(|(id, q)| (id, Key::of(Some(q.question.correct), voids.get(&id).copied())))
            .collect();
        let counted = row.draw.iter().filter(|d| !matches!(keys.get(&d.question_id), Some(Key::Drop) | None)).count();
        let now = self.now();
        // Submitted by the server: at the end of the person's time, not when the sweep ran.
        let submitted_at =
            if auto { now.min(row.deadline_at - Duration::seconds(i64::from(round.rules.grace_seconds))) } else { now };
        let (limit, closes) = (round.rules.time_limit_ms(), round.closes_at);
        let scorer: cuocthi_store::Scorer = Arc::new(move |r: &AttemptRow| {
            let correct = attempt::tally(&r.draw, &r.answers, |q| keys.get(&q).copied().unwrap_or(Key::Drop)).correct;
            (correct, attempt::time_taken_ms(r.started_at, submitted_at, limit, closes))
        });
        let closed = self.store.submit_attempt(attempt_id, submitted_at, auto, scorer).await?;
        // A dropped question is not counted as asked either: the stored count of questions (what a
        // full score is measured against) leaves it out.
        if let Some(r) = &closed
            && counted != r.draw.len()
        {
            let questions = i64::try_from(counted).unwrap_or(i64::MAX);
            let fix = Rescore { attempt_id, correct: r.correct.map(i64::from), questions };
            self.store.rescore_attempts(&[fix]).await?;
        }
        Ok(closed)
    }

    /// The result of a submitted attempt (kết quả), with the key once the round has closed.
    pub async fn result(&self, who: Claims, attempt_id: i64) -> Result<ResultView> {
        let Own { round, row, used, voids } = self.own_attempt(who, attempt_id).await?;
        if row.status != AttemptStatus::Submitted {
            return Err(EngineError::NotSubmitted);
        }
        self.result_with(&round, row, used, &voids).await
    }

    /// The key of an attempt's questions, with the explanations, each as the attempt showed it.
    async fn key_views(&self, row: &AttemptRow) -> Result<Vec<KeyView>> {
        let qs = self.questions_drawn(&row.draw).await?;
        Ok(as_shown(row, &qs)
            .map(|(position, d, q, answer)| KeyView {
                position,
                stem: q.stem.clone(),
                options: d.arrange(&q.options),
                correct: d.shown(q.correct).unwrap_or_default(),
                answer,
                explanation: q.explanation.clone(),
            })
            .collect())
    }

    /// The result of a submitted attempt, with the contest's voids as just read and the person's
    /// attempts in the round as read with the attempt (a submission does not change their number).
    async fn result_with(
        &self,
        round: &RoundRow,
        row: AttemptRow,
        used: u32,
        voids: &HashMap<i64, Void>,
    ) -> Result<ResultView> {
        let show_key = round.rules.show_key_after_close && round.phase(self.now()) == RoundPhase::Closed;
        let key = if show_key { Some(self.key_views(&row).await?) } else { None };
        let taken = row.time_taken_ms.unwrap_or_default();
        Ok(ResultView {
            attempt_id: row.id,
            round_id: row.round_id,
            seq: row.seq,
            correct: row.correct.unwrap_or_default(),
            questions: attempt::asked(&row.draw, |q| voids.get(&q) == Some(&Void::Drop)),
            time_taken_ms: taken,
            time_taken_text: text::duration(taken),
            submitted_at: row.submitted_at.unwrap_or(row.deadline_at),
            auto_submitted: row.auto_submitted,
            prediction: row.prediction,
            attempts_used: used,
            attempts_left: round.rules.attempts_per_person.saturating_sub(used),
            key,
        })
    }

    /// The background duty of every app node: submit attempts whose deadline passed (the browser
    /// may be gone) and freeze the tiebreak figure of rounds that have closed. Returns how many
    /// attempts it submitted. Idempotent, so several nodes may run it at once.
    pub async fn sweep(&self) -> Result<usize> {
        let now = self.now();
        let due = self.store.due_attempts(now, 1000).await?;
        let mut submitted = 0;
        for id in &due {
            let Some(row) = self.store.attempt(*id).await? else { continue };
            let round = self.store.round(row.round_id).await?.ok_or(EngineError::NotFound("đợt thi"))?;
            if self.finish(&round, &row, true).await?.is_some() {
                submitted += 1;
            }
        }
        if due.len() < 1000 {
            self.freeze_closed_rounds(now).await?;
        }
        Ok(submitted)
    }

    async fn freeze_closed_rounds(&self, now: DateTime<Utc>) -> Result<()> {
        for contest in self.store.list_contests().await? {
            let c = self.contest_by_id(contest.id).await?;
            for r in &c.stored.rounds {
                let settled = r.closes_at + Duration::seconds(i64::from(r.rules.grace_seconds)) < now;
                if let (true, None, Some(t)) = (settled, r.figure_frozen_at, &r.rules.tiebreak) {
                    let figure =
                        cuocthi_domain::ranking::real_figure(&self.store.scored_attempts(r.id).await?, t.predicts);
                    if self.store.freeze_figure(r.id, figure, now).await? {
                        tracing::info!(round_id = r.id, figure, "tiebreak figure frozen");
                    }
                    // Read the round again next time, with its frozen figure.
                    self.catalog.forget_contest(contest.id);
                }
            }
        }
        Ok(())
    }
}

/// An attempt's questions in its order, each with its draw (the options' order), the question and
/// the answer saved there as the attempt shows it: the attempt's page and the key after the round
/// must show every question the same way.
fn as_shown<'a>(
    row: &'a AttemptRow,
    questions: &'a HashMap<i64, Arc<StoredQuestion>>,
) -> impl Iterator<Item = (usize, &'a draw::DrawnQuestion, &'a Question, Option<u8>)> {
    row.draw.iter().enumerate().map(|(i, d)| {
        (i, d, &questions[&d.question_id].question, row.answers.get(i).and_then(|original| d.shown(original)))
    })
}

/// A start's answer for the JSON API ([`Engine::start_json`]).
pub struct StartedJson {
    pub attempt_id: i64,
    /// The person's open attempt was handed back rather than a new one drawn.
    pub resumed: bool,
    /// The attempt as `serde_json` writes its [`AttemptView`].
    pub body: Vec<u8>,
}

/// A start done: the attempt with its contest and round, and the bank snapshot it was drawn from
/// (none for an attempt resumed, drawn before).
struct Begun {
    contest: Arc<CachedContest>,
    round_index: usize,
    row: AttemptRow,
    resumed: bool,
    bank: Option<Arc<CachedBank>>,
}

/// The fields of an attempt's page around its questions, as of `now`: the one computation behind
/// both [`Engine::view`] and the JSON written from rendered pieces.
fn parts<'a>(
    round: &'a RoundRow,
    row: &AttemptRow,
    now: DateTime<Utc>,
    resumed: bool,
) -> (attempt_json::Before<'static>, attempt_json::After<'a>) {
    let ends_at = row.deadline_at - chrono::Duration::seconds(i64::from(round.rules.grace_seconds));
    let open = row.status == AttemptStatus::Open;
    let before = attempt_json::Before {
        id: row.id,
        round_id: row.round_id,
        seq: row.seq,
        status: status_name(row.status),
        started_at: row.started_at,
        deadline_at: row.deadline_at,
        server_now: now,
        remaining_ms: if open { ms_between(now, row.deadline_at).max(0) } else { 0 },
        ends_at,
        remaining_to_end_ms: if open { ms_between(now, ends_at).max(0) } else { 0 },
        answered: row.answers.answered(),
    };
    let after = attempt_json::After {
        tiebreak_prompt: round.rules.tiebreak.as_ref().map(|t| t.prompt.as_str()),
        prediction: row.prediction,
        resumed,
    };
    (before, after)
}
