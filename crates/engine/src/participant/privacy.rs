//! A person's rights over their data (quyền của chủ thể dữ liệu, Luật 91/2025/QH15): once they
//! have identified with their key and date of birth (the identification and its throttles of
//! `register.rs`), they see everything stored about them, download it, ask for a correction, and
//! withdraw consent and ask for erasure. Every one of these is written to the audit chain, with
//! counts and codes only, never the data itself.

use chrono::{DateTime, Duration, Utc};
use cuocthi_domain::identity::Field;
use cuocthi_domain::{text, vntime};
use cuocthi_store::NewPrivacyRequest;
use serde::Serialize;
use serde_json::json;

use crate::shared::catalog::CachedContest;
use crate::shared::naming::{locality_name, status_name, unit_name};
use crate::shared::privacy::{MyRequest, checked_value, field_label, request_view};
use crate::shared::token::Claims;
use crate::{Engine, EngineError, Result};

/// Open requests one person may have at a time.
const OPEN_REQUESTS: usize = 5;
/// The longest reason a request keeps.
const MAX_REASON_CHARS: usize = 1_000;

/// One stored field, as the person reads it.
#[derive(Clone, Debug, Serialize)]
pub struct MyField {
    pub field: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// One attempt, as the person reads it.
#[derive(Clone, Debug, Serialize)]
pub struct MyAttempt {
    pub round: String,
    pub seq: i64,
    pub status: &'static str,
    pub started_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub correct: Option<u32>,
    pub questions: i64,
    pub prediction: Option<i64>,
    pub time_taken_ms: Option<i64>,
}

/// Everything stored about a person in one contest: what the page shows and the download holds.
#[derive(Clone, Debug, Serialize)]
pub struct MyData {
    pub contest: String,
    pub slug: String,
    pub organiser: String,
    pub participant_id: i64,
    pub fields: Vec<MyField>,
    /// Prizes need every required field: whether this person's are all there.
    pub complete: bool,
    pub consent_version: Option<String>,
    pub registered_at: DateTime<Utc>,
    pub registered_vn: String,
    pub attempts: Vec<MyAttempt>,
    pub requests: Vec<MyRequest>,
    /// When the personal fields were removed, if they were.
    pub purged_vn: Option<String>,
    /// How long the data is kept, as the consent text said it.
    pub retention: String,
    /// When the data falls due for removal, if the contest has ended.
    pub removal_due_vn: Option<String>,
    /// Days the secretariat has to settle a request.
    pub request_days: u32,
    /// Why the data cannot be erased now (a published prize), if it cannot.
    pub kept_for_prize: Option<String>,
}

/// What a request for erasure comes to, as the confirmation page tells it beforehand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Erasure {
    /// Refused, and why: a prize the committee approved depends on the data.
    Refused(String),
    /// Erased at once: the contest is over and nothing depends on it.
    AtOnce,
    /// The contest is still running: the secretariat decides by the deadline.
    Queued(DateTime<Utc>),
    /// Already erased.
    Done,
}

impl Engine {
    /// Whether a participant's session is one of the contest at `slug`: the pages of a contest
    /// act only for its own people.
    pub async fn session_in(&self, who: Claims, slug: &str) -> Result<bool> {
        Ok(self.contest_by_slug(slug).await?.stored.contest.id == who.contest_id)
    }

    async fn my_row(&self, who: Claims) -> Result<(std::sync::Arc<CachedContest>, cuocthi_store::ParticipantRow)> {
        let c = self.contest_by_id(who.contest_id).await?;
        let p =
            self.participant_in(who.contest_id, who.participant_id).await.map_err(|_| EngineError::Unauthenticated)?;
        Ok((c, p))
    }

    /// Everything stored about the signed-in person; the view is audited.
    pub async fn my_data(&self, who: Claims) -> Result<MyData> {
        let data = self.collect_my_data(who).await?;
        self.privacy_audit(&actor(who), "personal.self_view", Some(who.contest_id), &subject(who), json!({})).await?;
        Ok(data)
    }

    /// [`Engine::my_data`] as a JSON document to keep; the download is audited.
    pub async fn my_data_json(&self, who: Claims) -> Result<String> {
        let data = self.collect_my_data(who).await?;
        let body = serde_json::to_string_pretty(&data).map_err(|e| EngineError::Internal(e.into()))?;
        self.privacy_audit(&actor(who), "personal.self_download", Some(who.contest_id), &subject(who), json!({}))
            .await?;
        Ok(body)
    }

    async fn collect_my_data(&self, who: Claims) -> Result<MyData> {
        let (c, p) = self.my_row(who).await?;
        let purged = self.store.purged_at(p.id).await?.and_then(DateTime::from_timestamp_millis);
        let i = &p.identity;
        let mut fields = vec![
            (Field::FullName, i.full_name.clone()),
            (Field::DateOfBirth, i.date_of_birth.map(vntime::format_date)),
            (Field::Cccd, i.cccd.as_ref().map(|x| x.as_str().to_string())),
            (Field::Phone, i.phone.as_ref().map(|x| x.as_str().to_string())),
            (Field::Email, i.email.clone()),
            (Field::Unit, unit_name(&c, i.unit.as_deref())),
            (Field::Locality, locality_name(&c, i.locality.as_deref())),
            (
                Field::Group,
                i.group.as_ref().and_then(|g| {
                    c.spec.settings.eligibility.groups.iter().find(|x| &x.code == g).map(|x| x.name.clone())
                }),
            ),
        ];
        fields.retain(|(_, v)| v.is_some());
        let rounds = &c.stored.rounds;
        let attempts = self
            .store
            .attempts_of(p.id)
            .await?
            .into_iter()
            .map(|a| MyAttempt {
                round: rounds.iter().find(|r| r.id == a.round_id).map(|r| r.name.clone()).unwrap_or_default(),
                seq: a.seq,
                status: status_name(a.status),
                started_at: a.started_at,
                submitted_at: a.submitted_at,
                correct: a.correct,
                questions: i64::try_from(a.draw.len()).unwrap_or(i64::MAX),
                prediction: a.prediction,
                time_taken_ms: a.time_taken_ms,
            })
            .collect();
        let requests = self.store.privacy_requests_of(p.id).await?.iter().map(request_view).collect();
        let retention = self.retention_of(&c).await?;
        let privacy = &c.spec.settings.privacy;
        Ok(MyData {
            contest: c.spec.title.clone(),
            slug: c.spec.slug.clone(),
            organiser: c.spec.organiser.clone(),
            participant_id: p.id,
            fields: fields
                .into_iter()
                .map(|(f, v)| MyField { field: f.name(), label: f.label(), value: v.unwrap_or_default() })
                .collect(),
            complete: p.complete,
            consent_version: p.consent_version.clone(),
            registered_at: p.created_at,
            registered_vn: vntime::format(p.created_at),
            attempts,
            requests,
            purged_vn: purged.map(vntime::format),
            retention: c
                .spec
                .settings
                .data_retention
                .clone()
                .unwrap_or_else(|| format!("{} tháng kể từ ngày công bố kết quả cuộc thi", privacy.retention_months)),
            removal_due_vn: retention.due_at.map(|t| vntime::format_date(vntime::local_date(t))),
            request_days: privacy.request_days,
            kept_for_prize: self.prize_keeps(&c, p.id).await?,
        })
    }

    fn request_due(&self, c: &CachedContest) -> DateTime<Utc> {
        self.now() + Duration::days(i64::from(c.spec.settings.privacy.request_days))
    }

    /// Asks the secretariat to correct one field (`CORRECTABLE`): the value is checked as the
    /// registration form checks it, and waits in the queue with its deadline.
    pub async fn ask_correction(&self, who: Claims, field: &str, value: &str, reason: &str) -> Result<MyRequest> {
        let (c, p) = self.my_row(who).await?;
        if self.store.purged_at(p.id).await?.is_some() {
            return Err(EngineError::Conflict("Dữ liệu cá nhân của bạn đã được xóa; không còn gì để sửa.".into()));
        }
        if field_label(field).is_none() {
            return Err(EngineError::BadRequest("Hãy chọn thông tin cần sửa.".into()));
        }
        let value = checked_value(field, value).map_err(EngineError::BadRequest)?;
        let reason = text::clean(reason);
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(EngineError::BadRequest(format!("Lý do dài quá {MAX_REASON_CHARS} ký tự.")));
        }
        let mine = self.store.privacy_requests_of(p.id).await?;
        if mine.iter().filter(|r| r.status == "open").count() >= OPEN_REQUESTS {
            return Err(EngineError::Conflict(format!(
                "Bạn đang có {OPEN_REQUESTS} yêu cầu chờ xử lý; vui lòng chờ Tổ Thư ký trả lời."
            )));
        }
        let now = self.now().timestamp_millis();
        let id = self
            .store
            .insert_privacy_request(&NewPrivacyRequest {
                contest_id: c.stored.contest.id,
                participant_id: p.id,
                kind: "correction",
                field: Some(field),
                new_value: Some(&value),
                reason: &reason,
                status: "open",
                created_at: now,
                due_at: self.request_due(&c).timestamp_millis(),
                decided: None,
            })
            .await?;
        self.privacy_audit(
            &actor(who),
            "privacy.request",
            Some(who.contest_id),
            &subject(who),
            json!({"request": id, "kind": "correction", "field": field}),
        )
        .await?;
        self.my_request(id).await
    }

    async fn my_request(&self, id: i64) -> Result<MyRequest> {
        let row = self.store.privacy_request(id).await?.ok_or(EngineError::NotFound("yêu cầu"))?;
        Ok(request_view(&row))
    }

    /// What a request for erasure would come to now, for the confirmation step.
    pub async fn erasure_plan(&self, who: Claims) -> Result<Erasure> {
        let (c, p) = self.my_row(who).await?;
        if self.store.purged_at(p.id).await?.is_some() {
            return Ok(Erasure::Done);
        }
        if let Some(reason) = self.prize_keeps(&c, p.id).await? {
            return Ok(Erasure::Refused(reason));
        }
        if self.retention_of(&c).await?.ended_at.is_some() {
            return Ok(Erasure::AtOnce);
        }
        Ok(Erasure::Queued(self.request_due(&c)))
    }

    /// Withdraws consent and asks for erasure. Refused with the reason when a prize the
    /// committee approved depends on the data; carried out at once when the contest is over
    /// (no attempt, ranking or statistic needs the person's name or numbers any more: results
    /// keep the id, unit and locality); while the contest runs the secretariat decides, since
    /// erasing then ends the person's part in it. The request is recorded either way.
    pub async fn ask_erasure(&self, who: Claims, reason: &str) -> Result<(Erasure, MyRequest)> {
        let (c, p) = self.my_row(who).await?;
        let plan = self.erasure_plan(who).await?;
        if plan == Erasure::Done {
            return Err(EngineError::Conflict("Dữ liệu cá nhân của bạn đã được xóa.".into()));
        }
        let reason = text::clean(reason);
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let now = self.now().timestamp_millis();
        let (status, decided) = match &plan {
            Erasure::Refused(why) => ("refused", Some(("hệ thống", why.as_str()))),
            Erasure::AtOnce => ("done", Some(("hệ thống", "Dữ liệu cá nhân đã được xóa ngay khi nhận yêu cầu."))),
            _ => ("open", None),
        };
        let id = self
            .store
            .insert_privacy_request(&NewPrivacyRequest {
                contest_id: c.stored.contest.id,
                participant_id: p.id,
                kind: "erasure",
                field: None,
                new_value: None,
                reason: &reason,
                status,
                created_at: now,
                due_at: self.request_due(&c).timestamp_millis(),
                decided,
            })
            .await?;
        let (action, mut detail) = match &plan {
            Erasure::Refused(_) => ("privacy.refuse", json!({"request": id, "kind": "erasure", "why": "prize"})),
            Erasure::AtOnce => ("privacy.erase", json!({"request": id, "kind": "erasure"})),
            _ => ("privacy.request", json!({"request": id, "kind": "erasure"})),
        };
        if plan == Erasure::AtOnce {
            let counts = self.remove_personal_fields(c.stored.contest.id, &[p.id], false).await?;
            detail["removed"] = json!(counts);
        }
        self.privacy_audit(&actor(who), action, Some(who.contest_id), &subject(who), detail).await?;
        Ok((plan, self.my_request(id).await?))
    }
}

fn actor(who: Claims) -> String {
    format!("người dự thi #{}", who.participant_id)
}

fn subject(who: Claims) -> String {
    format!("participant:{}", who.participant_id)
}
