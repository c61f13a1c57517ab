//! Feedback on questions (góp ý, báo lỗi câu hỏi) and voided questions (hủy câu hỏi).
//!
//! A participant reports a problem with a question of one of their attempts; the secretariat
//! (Tổ Thư ký) reads the queue, replies (the person reads the reply on their result page) and
//! closes it. When a question is wrong, the committee voids it: everyone who was asked it gets
//! the point (`award`) or it is dropped from scoring (`drop`). The stored answers never change:
//! every score is derived again from them with the same rule ([`cuocthi_domain::attempt::tally`]),
//! here, at submission, and in `results verify`, so verification still holds after a void.
//!
//! The participant's side (sending a report, reading the reply) is `participant::feedback`.

use std::collections::HashMap;

use cuocthi_domain::attempt::{self, Key, Void};
use cuocthi_store::{
    AttemptStatus, NewAudit, NewVoid, ReportFilter, ReportRow, Rescore, StoreError, StoredQuestion, VoidRow,
};
use serde::Serialize;
use serde_json::json;

use crate::console::access::{Action, Staff};
use crate::shared::lookup::in_contest;
use crate::shared::text::{clean_message, refuse_if_too_long};
use crate::{Engine, EngineError, Result};

/// Reports the queue shows at once.
const QUEUE_LIMIT: i64 = 500;
/// Attempts read per page when a void re-scores them.
const PAGE: i64 = 2_000;

/// One report in the secretariat's queue, with the question it is about (stem, options, key).
#[derive(Clone, Debug, Serialize)]
pub struct QueueItem {
    pub report: ReportRow,
    pub question: StoredQuestion,
    pub void: Option<VoidRow>,
}

/// The secretariat's queue: open reports first, newest first.
#[derive(Clone, Debug, Serialize)]
pub struct FeedbackQueue {
    pub items: Vec<QueueItem>,
    /// Open reports in the whole contest (the list may be cut at its limit).
    pub open: usize,
    /// Questions voided so far, with their question.
    pub voids: Vec<(VoidRow, StoredQuestion)>,
    /// Whether the reader may reply, close and void.
    pub can_manage: bool,
}

/// One question with everything said and decided about it.
#[derive(Clone, Debug, Serialize)]
pub struct QuestionFeedback {
    pub question: StoredQuestion,
    pub reports: Vec<ReportRow>,
    pub void: Option<VoidRow>,
    /// What the void changed, from its audit entry.
    pub void_effect: Option<VoidOutcome>,
    pub can_manage: bool,
}

/// What a void changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct VoidOutcome {
    /// Submitted attempts that had the question.
    pub attempts: u64,
    /// Of those, attempts whose score went up (an award to people who got it wrong) or down (a
    /// drop of a question answered right).
    pub raised: u64,
    pub lowered: u64,
}

/// The new scores of the attempts that drew a question, for those that differ from what is
/// stored, with what they change.
#[derive(Default)]
struct Plan {
    rescores: Vec<Rescore>,
    outcome: VoidOutcome,
}

impl Engine {
    /// A question of the contest, whatever its status.
    async fn question_in(&self, contest_id: i64, question_id: i64) -> Result<StoredQuestion> {
        let q = self.store.questions_by_id(&[question_id]).await?.into_iter().next();
        in_contest(q, contest_id, |q| q.contest_id, "câu hỏi")
    }

    /// The secretariat's queue (`open_only`: without the closed reports).
    pub async fn feedback_queue(&self, by: &Staff, slug: &str, open_only: bool) -> Result<FeedbackQueue> {
        let c = self.contest_for(by, slug, Action::ViewFeedback).await?;
        let contest_id = c.stored.contest.id;
        let reports = self
            .store
            .reports(contest_id, &ReportFilter { open_only, limit: QUEUE_LIMIT, ..Default::default() })
            .await?;
        let open = if open_only && i64::try_from(reports.len()).is_ok_and(|n| n < QUEUE_LIMIT) {
            reports.len()
        } else {
            let all_open = ReportFilter { open_only: true, limit: i64::MAX, ..Default::default() };
            self.store.reports(contest_id, &all_open).await?.len()
        };
        let voids = self.store.question_voids(contest_id).await?;
        let mut ids: Vec<i64> =
            reports.iter().map(|r| r.question_id).chain(voids.iter().map(|v| v.question_id)).collect();
        ids.sort_unstable();
        ids.dedup();
        let questions = self.questions(&ids).await?;
        let question = |id: i64| {
            questions
                .get(&id)
                .map(|q| (**q).clone())
                .ok_or_else(|| EngineError::Internal(format!("question {id} is missing").into()))
        };
        let void_of = |id: i64| voids.iter().find(|v| v.question_id == id).cloned();
        let items = reports
            .into_iter()
            .map(|r| Ok(QueueItem { question: question(r.question_id)?, void: void_of(r.question_id), report: r }))
            .collect::<Result<Vec<_>>>()?;
        let voids = voids.iter().map(|v| Ok((v.clone(), question(v.question_id)?))).collect::<Result<Vec<_>>>()?;
        Ok(FeedbackQueue { items, open, voids, can_manage: by.can(Action::ManageFeedback, Some(contest_id)) })
    }

    /// One question with its reports and its void, if any.
    pub async fn question_feedback(&self, by: &Staff, slug: &str, question_id: i64) -> Result<QuestionFeedback> {
        let c = self.contest_for(by, slug, Action::ViewFeedback).await?;
        let contest_id = c.stored.contest.id;
        let question = self.question_in(contest_id, question_id).await?;
        let filter = ReportFilter { question_id: Some(question_id), limit: QUEUE_LIMIT, ..Default::default() };
        let reports = self.store.reports(contest_id, &filter).await?;
        let void = self.store.question_voids(contest_id).await?.into_iter().find(|v| v.question_id == question_id);
        let void_effect = match &void {
            Some(v) => self
                .store
                .audit_entry(v.audit_id)
                .await?
                .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.detail).ok())
                .and_then(|d| serde_json::from_value(d["effect"].clone()).ok()),
            None => None,
        };
        Ok(QuestionFeedback {
            question,
            reports,
            void,
            void_effect,
            can_manage: by.can(Action::ManageFeedback, Some(contest_id)),
        })
    }

    /// A report of the contest, for a staff member who may manage feedback.
    async fn managed_report(&self, by: &Staff, slug: &str, report_id: i64) -> Result<ReportRow> {
        let c = self.contest_for(by, slug, Action::ManageFeedback).await?;
        in_contest(self.store.report(report_id).await?, c.stored.contest.id, |r| r.contest_id, "góp ý")
    }

    /// Replies to a report (replacing an earlier reply), and closes it with `close`. The person
    /// reads the reply on their result page, under the question.
    pub async fn reply_feedback(&self, by: &Staff, slug: &str, report_id: i64, reply: &str, close: bool) -> Result<()> {
        let r = self.managed_report(by, slug, report_id).await?;
        let reply = clean_message(reply);
        if reply.is_empty() {
            return Err(EngineError::BadRequest("Hãy viết nội dung trả lời.".into()));
        }
        refuse_if_too_long(&reply, "Nội dung trả lời", ".")?;
        let now = self.now().timestamp_millis();
        if !self.store.reply_report(r.id, &reply, &by.actor(), now, close).await? {
            return Err(EngineError::NotFound("góp ý"));
        }
        // The reply is the committee's word to a participant: it goes in the log.
        let detail = json!({"report_id": r.id, "attempt_id": r.attempt_id, "reply": reply, "close": close});
        self.record(
            Some(by),
            "question.feedback_reply",
            Some(r.contest_id),
            &format!("question:{}", r.question_id),
            detail,
        )
        .await
    }

    /// Closes a report (or opens it again with `close = false`).
    pub async fn close_feedback(&self, by: &Staff, slug: &str, report_id: i64, close: bool) -> Result<()> {
        let r = self.managed_report(by, slug, report_id).await?;
        let actor = by.actor();
        let closed = close.then(|| (actor.as_str(), self.now().timestamp_millis()));
        if self.store.close_report(r.id, closed).await? { Ok(()) } else { Err(EngineError::NotFound("góp ý")) }
    }

    /// The new scores of every attempt of the contest that drew `question_id`, under `voids`,
    /// where they differ from the stored ones.
    async fn rescore_plan(&self, contest_id: i64, question_id: i64, voids: &HashMap<i64, Void>) -> Result<Plan> {
        let mut plan = Plan::default();
        let mut after = 0;
        loop {
            let page = self.store.attempts_drawing(contest_id, question_id, after, PAGE).await?;
            let Some((last, _)) = page.last() else { break };
            after = last.id;
            let keys = self.keys_of(page.iter().map(|(a, _)| a.draw.as_slice())).await?;
            for (a, stored_questions) in &page {
                if !a.draw.iter().any(|d| d.question_id == question_id) {
                    continue;
                }
                let t = attempt::tally(&a.draw, &a.answers, |q| Key::of(keys.get(&q).copied(), voids.get(&q).copied()));
                let questions = i64::from(t.questions);
                match a.status {
                    AttemptStatus::Submitted => {
                        plan.outcome.attempts += 1;
                        let before = a.correct.unwrap_or_default();
                        plan.outcome.raised += u64::from(t.correct > before);
                        plan.outcome.lowered += u64::from(t.correct < before);
                        if a.correct != Some(t.correct) || *stored_questions != questions {
                            plan.rescores.push(Rescore {
                                attempt_id: a.id,
                                correct: Some(i64::from(t.correct)),
                                questions,
                            });
                        }
                    }
                    AttemptStatus::Open if *stored_questions != questions => {
                        plan.rescores.push(Rescore { attempt_id: a.id, correct: None, questions });
                    }
                    AttemptStatus::Open => {}
                }
            }
            if i64::try_from(page.len()).is_ok_and(|n| n < PAGE) {
                break;
            }
        }
        Ok(plan)
    }

    /// Voids a question (hủy câu hỏi) with the committee's choice and written reason: every
    /// submitted attempt that drew it is scored again from its stored answers, in the same
    /// transaction as the void and its audit entry; the question is retired so that no new draw
    /// holds it, and the statistics are counted again. Rankings already approved keep their
    /// version until the committee approves a new one (and `results verify` names what differs).
    pub async fn void_question(
        &self,
        by: &Staff,
        slug: &str,
        question_id: i64,
        mode: Option<Void>,
        reason: &str,
        report_id: Option<i64>,
    ) -> Result<VoidOutcome> {
        let c = self.contest_for(by, slug, Action::ManageFeedback).await?;
        let contest_id = c.stored.contest.id;
        let mode = mode.ok_or_else(|| {
            EngineError::BadRequest(
                "Hãy chọn cách xử lý: tính đúng cho mọi người được hỏi, hoặc không tính điểm câu hỏi này.".into(),
            )
        })?;
        let reason = clean_message(reason);
        if reason.chars().count() < 5 {
            return Err(EngineError::BadRequest("Hãy ghi rõ lý do hủy câu hỏi (ít nhất 5 ký tự).".into()));
        }
        refuse_if_too_long(&reason, "Lý do hủy", ".")?;
        let q = self.question_in(contest_id, question_id).await?;
        if let Some(id) = report_id {
            let r = self.store.report(id).await?;
            r.filter(|r| r.contest_id == contest_id && r.question_id == question_id)
                .ok_or(EngineError::NotFound("góp ý"))?;
        }
        let already = || EngineError::Conflict(format!("Câu hỏi #{question_id} đã được hủy trước đó."));
        let mut voids = self.voids(contest_id).await?;
        if voids.contains_key(&question_id) {
            return Err(already());
        }
        voids.insert(question_id, mode);
        let plan = self.rescore_plan(contest_id, question_id, &voids).await?;
        let entry = NewAudit {
            at: self.now(),
            account_id: Some(by.account_id),
            actor: by.actor(),
            action: "question.void".into(),
            contest_id: Some(contest_id),
            subject: format!("question:{question_id}"),
            detail: json!({
                "question_id": question_id,
                "lineage": q.lineage,
                "mode": mode.as_str(),
                "reason": reason,
                "report_id": report_id,
                "effect": plan.outcome,
            })
            .to_string(),
        };
        let actor = by.actor();
        let new = NewVoid {
            contest_id,
            question_id,
            mode: mode.as_str(),
            reason: &reason,
            report_id,
            created_by: &actor,
            created_at: entry.at.timestamp_millis(),
        };
        match self.store.void_question(&new, &entry, &plan.rescores).await {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => return Err(already()),
            Err(e) => return Err(e.into()),
        }
        // Never drawn again: a retired question stays readable for the attempts that had it.
        if q.status == "active" {
            self.store.set_question_status(question_id, "retired").await?;
        }
        self.catalog.forget_bank(contest_id);
        // An attempt being submitted while the void was written was scored without it (the
        // submission read the voids first): derive those once more.
        let late = self.rescore_plan(contest_id, question_id, &voids).await?;
        if !late.rescores.is_empty() {
            self.store.rescore_attempts(&late.rescores).await?;
        }
        self.recount_statistics(contest_id).await?;
        Ok(plan.outcome)
    }

    /// Every void of the contest against the audit chain, both ways: each void must have its
    /// entry (same question and mode), and each void entry its void — scores are derived with the
    /// voids, so a void added, removed or changed in the database must not pass unseen.
    pub(crate) async fn verify_voids(&self, contest_id: i64, problems: &mut Vec<String>) -> Result<()> {
        let voids = self.store.question_voids(contest_id).await?;
        for v in &voids {
            let entry = self.store.audit_entry(v.audit_id).await?;
            let detail = entry.as_ref().and_then(|e| serde_json::from_str::<serde_json::Value>(&e.detail).ok());
            let matches = entry.as_ref().is_some_and(|e| {
                e.action == "question.void"
                    && e.contest_id == Some(contest_id)
                    && e.subject == format!("question:{}", v.question_id)
            }) && detail
                .as_ref()
                .is_some_and(|d| d["mode"] == v.mode.as_str() && d["question_id"] == v.question_id);
            if !matches {
                problems.push(format!(
                    "Quyết định hủy câu hỏi #{} (lưu là \"{}\") không khớp với mục nhật ký #{}: quyết định đã bị sửa hoặc thêm ngoài hệ thống.",
                    v.question_id, v.mode, v.audit_id
                ));
            }
        }
        let entries = self.all_audit_entries(Some(contest_id), "question.void").await?;
        for e in entries.iter().filter(|e| e.action == "question.void") {
            if !voids.iter().any(|v| v.audit_id == e.id) {
                problems.push(format!(
                    "Mục nhật ký #{} ghi việc hủy {} nhưng không còn quyết định hủy tương ứng: quyết định đã bị xoá ngoài hệ thống.",
                    e.id,
                    e.subject.replace("question:", "câu hỏi #")
                ));
            }
        }
        Ok(())
    }
}
