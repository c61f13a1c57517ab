//! What both sides of the personal-data duties need (Luật 91/2025/QH15, Nghị định 356/2025): when
//! a contest ended and its retention periods run out, whether a published prize depends on a
//! person's data, the removal of a person's personal fields, and the audit entries of it all.
//! The participant's rights are in `participant/privacy.rs`, the secretariat's queue, the purge,
//! the record of processing and the audit of access in `console/privacy.rs`.

use chrono::{DateTime, Utc};
use cuocthi_domain::identity::Phone;
use cuocthi_domain::{text, vntime};
use cuocthi_store::{NewAudit, PrivacyRequestRow, PurgeCounts};
use serde::Serialize;
use serde_json::Value;

use crate::shared::catalog::CachedContest;
use crate::{Engine, Result};

/// The longest value a correction keeps.
const MAX_VALUE_CHARS: usize = 200;

/// The fields a person may ask to have corrected, with the words the pages use. The identity key
/// (CCCD) is not among them: it is who the person is; a wrong one is a new registration.
pub const CORRECTABLE: [(&str, &str); 5] = [
    ("full_name", "Họ và tên"),
    ("date_of_birth", "Ngày sinh"),
    ("phone", "Số điện thoại"),
    ("email", "Thư điện tử"),
    ("other", "Thông tin khác (đơn vị, nơi cư trú…)"),
];

/// A request, as the person (and the secretariat) reads it.
#[derive(Clone, Debug, Serialize)]
pub struct MyRequest {
    pub id: i64,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub field_label: Option<&'static str>,
    pub status: String,
    pub status_label: &'static str,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub created_vn: String,
    pub due_vn: String,
    pub answer: Option<String>,
}

pub(crate) fn kind_label(kind: &str) -> &'static str {
    match kind {
        "correction" => "Yêu cầu sửa dữ liệu",
        _ => "Rút lại sự đồng ý và yêu cầu xóa dữ liệu",
    }
}

pub(crate) fn status_label(status: &str) -> &'static str {
    match status {
        "open" => "Đang chờ xử lý",
        "done" => "Đã thực hiện",
        _ => "Từ chối",
    }
}

pub(crate) fn field_label(field: &str) -> Option<&'static str> {
    CORRECTABLE.iter().find(|(f, _)| *f == field).map(|(_, l)| *l)
}

/// A request as people read it.
pub fn request_view(r: &PrivacyRequestRow) -> MyRequest {
    let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    MyRequest {
        id: r.id,
        kind: if r.kind == "correction" { "correction" } else { "erasure" },
        kind_label: kind_label(&r.kind),
        field_label: r.field.as_deref().and_then(field_label),
        status: r.status.clone(),
        status_label: status_label(&r.status),
        created_at: at(r.created_at),
        due_at: at(r.due_at),
        created_vn: vntime::format(at(r.created_at)),
        due_vn: vntime::format(at(r.due_at)),
        answer: r.answer.clone(),
    }
}

/// The value a correction asks for, checked and written as it is stored; an error names the
/// problem in Vietnamese.
pub fn checked_value(field: &str, value: &str) -> std::result::Result<String, String> {
    let value = text::clean(value);
    if value.is_empty() {
        return Err("Hãy ghi giá trị đúng.".into());
    }
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(format!("Giá trị dài quá {MAX_VALUE_CHARS} ký tự."));
    }
    match field {
        "date_of_birth" => vntime::parse_date(&value).map(|d| d.format("%Y-%m-%d").to_string()),
        "phone" => Phone::parse(&value).map(|p| p.as_str().to_string()),
        "email" if !value.contains('@') || value.contains(char::is_whitespace) => {
            Err("Địa chỉ thư điện tử chưa đúng.".into())
        }
        _ => Ok(value),
    }
}

/// Where a contest stands with its retention periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// When the contest ended: its last round closed, or its results were last made public if
    /// that came later. `None` while a round is still to close.
    pub ended_at: Option<DateTime<Utc>>,
    /// When the data of people without a prize falls due for removal.
    pub due_at: Option<DateTime<Utc>>,
    /// When prize winners' data falls due.
    pub winners_due_at: Option<DateTime<Utc>>,
}

impl Engine {
    /// The contest's retention periods, from its definition's `[privacy]`.
    pub(crate) async fn retention_of(&self, c: &CachedContest) -> Result<Retention> {
        let now = self.now();
        let closed = c.stored.rounds.iter().map(|r| r.closes_at).max();
        let Some(closed) = closed.filter(|t| *t <= now) else {
            return Ok(Retention { ended_at: None, due_at: None, winners_due_at: None });
        };
        let published =
            self.store.last_publication(c.stored.contest.id).await?.and_then(DateTime::from_timestamp_millis);
        let ended = published.map_or(closed, |p| p.max(closed));
        let p = &c.spec.settings.privacy;
        Ok(Retention {
            ended_at: Some(ended),
            due_at: Some(p.purge_due(ended)),
            winners_due_at: Some(p.winners_due(ended)),
        })
    }

    /// Why a person's data may not be erased now, in Vietnamese, or `None` when nothing depends
    /// on it: a prize in a version of the results the committee approved names them, and the
    /// award records (and the published list) must keep them until the winners' period ends.
    pub(crate) async fn prize_keeps(&self, c: &CachedContest, participant_id: i64) -> Result<Option<String>> {
        if !self.store.prize_holders(c.stored.contest.id).await?.contains(&participant_id) {
            return Ok(None);
        }
        let until = match self.retention_of(c).await?.winners_due_at {
            Some(t) => format!("đến ngày {}", vntime::format_date(vntime::local_date(t))),
            None => {
                format!("trong {} tháng kể từ khi cuộc thi kết thúc", c.spec.settings.privacy.winners_retention_months)
            }
        };
        Ok(Some(format!(
            "Không thể xóa dữ liệu vì bạn có tên trong danh sách đạt giải đã được Ban Tổ chức phê duyệt: \
             họ tên, đơn vị, số CCCD và thông tin liên hệ của người đạt giải là một phần hồ sơ khen thưởng \
             và chứng từ chi trả tiền thưởng, được lưu {until}; sau thời hạn đó dữ liệu được xóa, chỉ \
             giữ họ tên đã công bố cùng kết quả."
        )))
    }

    /// Removes the personal fields of some people of a contest for good (see the store's
    /// `purge_participants`), a thousand at a time.
    pub(crate) async fn remove_personal_fields(
        &self,
        contest_id: i64,
        ids: &[i64],
        keep_published: bool,
    ) -> Result<PurgeCounts> {
        let mut counts = PurgeCounts::default();
        let at = self.now().timestamp_millis();
        for chunk in ids.chunks(1_000) {
            counts.add(self.store.purge_participants(contest_id, chunk, keep_published, at).await?);
        }
        Ok(counts)
    }

    /// An entry of the audit chain written by someone other than a signed-in staff member (a
    /// participant about their own data, the scheduled purge). `detail` never holds personal data.
    pub(crate) async fn privacy_audit(
        &self,
        actor: &str,
        action: &str,
        contest_id: Option<i64>,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        self.store
            .append_audit(&NewAudit {
                at: self.now(),
                account_id: None,
                actor: actor.to_string(),
                action: action.to_string(),
                contest_id,
                subject: subject.to_string(),
                detail: detail.to_string(),
            })
            .await?;
        Ok(())
    }
}
