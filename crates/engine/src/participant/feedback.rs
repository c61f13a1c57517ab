//! Feedback from participants (góp ý, báo lỗi câu hỏi): a participant reports a problem with a
//! question of one of their attempts and reads the secretariat's reply on their result page. The
//! secretariat's side (the queue, replies, voids) is `console::feedback`.

use chrono::{DateTime, Duration, Utc};
use cuocthi_domain::attempt::Void;
use cuocthi_store::{AttemptRow, NewReport, ReportFilter, StoreError};
use serde::Serialize;

pub use crate::shared::text::MAX_MESSAGE_CHARS;
use crate::shared::text::{clean_message, instant, refuse_if_too_long};
use crate::shared::token::Claims;
use crate::{Engine, EngineError, Result};

/// Reports one person may send in an hour, across their attempts: feedback, not a channel for
/// flooding the secretariat.
pub const REPORTS_PER_HOUR: i64 = 5;

/// A participant's own report, as their pages show it.
#[derive(Clone, Debug, Serialize)]
pub struct OwnReport {
    /// The question's place in the attempt (0-based).
    pub position: usize,
    pub message: String,
    pub sent_at: DateTime<Utc>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
    pub closed: bool,
}

/// What the participant's pages show beside the questions of one attempt.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AttemptFeedback {
    pub reports: Vec<OwnReport>,
    /// Voided questions of the attempt, by position.
    pub voids: Vec<(usize, Void)>,
}

impl AttemptFeedback {
    pub fn report_at(&self, position: usize) -> Option<&OwnReport> {
        self.reports.iter().find(|r| r.position == position)
    }

    pub fn void_at(&self, position: usize) -> Option<Void> {
        self.voids.iter().find(|(p, _)| *p == position).map(|(_, v)| *v)
    }
}

impl Engine {
    /// The person's own attempt in their contest, or "not found" (ids reveal nothing).
    async fn owned(&self, who: Claims, attempt_id: i64) -> Result<AttemptRow> {
        let row = self.store.attempt(attempt_id).await?;
        let row = row.filter(|a| a.participant_id == who.participant_id).ok_or(EngineError::NotFound("bài thi"))?;
        let c = self.contest_by_id(who.contest_id).await?;
        if !c.stored.rounds.iter().any(|r| r.id == row.round_id) {
            return Err(EngineError::NotFound("bài thi"));
        }
        Ok(row)
    }

    /// A participant reports a problem with question `position` of their attempt (open or
    /// submitted). One report per question and attempt, and [`REPORTS_PER_HOUR`] per person;
    /// a refusal says why in Vietnamese. Nothing about the key is said or changed.
    pub async fn report_question(&self, who: Claims, attempt_id: i64, position: usize, message: &str) -> Result<()> {
        let message = clean_message(message);
        if message.is_empty() {
            return Err(EngineError::BadRequest("Hãy viết nội dung góp ý trước khi gửi.".into()));
        }
        refuse_if_too_long(&message, "Nội dung góp ý", "; hãy viết ngắn gọn hơn.")?;
        let row = self.owned(who, attempt_id).await?;
        let no_such = || EngineError::BadRequest(format!("Bài thi không có câu số {}.", position + 1));
        let drawn = row.draw.get(position).ok_or_else(no_such)?;
        let stored_position = i64::try_from(position).map_err(|_| no_such())?;
        let already = || {
            EngineError::Conflict(format!(
                "Bạn đã gửi góp ý về câu {} của bài thi này. Ban Tổ chức sẽ xem xét và trả lời tại trang kết quả bài thi.",
                position + 1
            ))
        };
        let filter = ReportFilter { attempt_id: Some(attempt_id), limit: 1_000, ..Default::default() };
        if self.store.reports(who.contest_id, &filter).await?.iter().any(|r| r.question_id == drawn.question_id) {
            return Err(already());
        }
        let now = self.now();
        let new = NewReport {
            contest_id: who.contest_id,
            participant_id: who.participant_id,
            window_start: (now - Duration::hours(1)).timestamp_millis(),
            per_window: REPORTS_PER_HOUR,
            attempt_id,
            question_id: drawn.question_id,
            position: stored_position,
            message: &message,
            created_at: now.timestamp_millis(),
        };
        match self.store.insert_report(&new).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(EngineError::Conflict(format!(
                "Bạn đã gửi {REPORTS_PER_HOUR} góp ý trong một giờ qua. Vui lòng gửi tiếp sau ít phút."
            ))),
            // The same report sent twice at once (a double click): the first one stands.
            Err(StoreError::Conflict(_)) => Err(already()),
            Err(e) => Err(e.into()),
        }
    }

    /// The person's reports on an attempt, with the replies, and the attempt's voided questions.
    pub async fn attempt_feedback(&self, who: Claims, attempt_id: i64) -> Result<AttemptFeedback> {
        let row = self.owned(who, attempt_id).await?;
        let filter = ReportFilter { attempt_id: Some(attempt_id), limit: 1_000, ..Default::default() };
        let reports = self
            .store
            .reports(who.contest_id, &filter)
            .await?
            .into_iter()
            .map(|r| OwnReport {
                position: usize::try_from(r.position).unwrap_or(0),
                message: r.message,
                sent_at: instant(r.created_at),
                reply: r.reply,
                replied_at: r.replied_at.map(instant),
                closed: r.closed_at.is_some(),
            })
            .collect();
        let voids = self.voids(who.contest_id).await?;
        let voids =
            row.draw.iter().enumerate().filter_map(|(i, d)| voids.get(&d.question_id).map(|v| (i, *v))).collect();
        Ok(AttemptFeedback { reports, voids })
    }
}
