//! Personal data (dữ liệu cá nhân) under Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15 and Nghị định
//! 356/2025/NĐ-CP: how long a contest keeps what people gave when they registered, and when the
//! removal of it falls due. Written in a definition as `[privacy]`; the consent text shown at
//! registration states the same period.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

/// The default retention, as the default consent text says it: 12 months.
pub const DEFAULT_RETENTION_MONTHS: u32 = 12;
/// The default for prize winners: 10 years, the shortest period accounting vouchers (the signed
/// lists of prize money paid) are kept under Luật Kế toán 2015 and Nghị định 174/2016/NĐ-CP; the
/// organiser confirms it with their accountant.
pub const DEFAULT_WINNERS_RETENTION_MONTHS: u32 = 120;
/// The default time the secretariat gives itself to settle a request: the organiser's setting,
/// within what Nghị định 356/2025 allows (the organiser checks it with their legal adviser).
pub const DEFAULT_REQUEST_DAYS: u32 = 15;

/// `[privacy]` of a contest definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySpec {
    /// Months after the contest ends — its last round closed and its results last made public,
    /// whichever is later — that the personal data of people who won no prize is kept.
    #[serde(default = "default_retention")]
    pub retention_months: u32,
    /// Months after the same day that prize winners' data is kept for the award records (hồ sơ
    /// khen thưởng, chứng từ chi tiền thưởng). Their name stays with the published results.
    #[serde(default = "default_winners_retention")]
    pub winners_retention_months: u32,
    /// Days the secretariat has to settle a person's request about their data.
    #[serde(default = "default_request_days")]
    pub request_days: u32,
}

fn default_retention() -> u32 {
    DEFAULT_RETENTION_MONTHS
}
fn default_winners_retention() -> u32 {
    DEFAULT_WINNERS_RETENTION_MONTHS
}
fn default_request_days() -> u32 {
    DEFAULT_REQUEST_DAYS
}

impl Default for PrivacySpec {
    fn default() -> Self {
        PrivacySpec {
            retention_months: DEFAULT_RETENTION_MONTHS,
            winners_retention_months: DEFAULT_WINNERS_RETENTION_MONTHS,
            request_days: DEFAULT_REQUEST_DAYS,
        }
    }
}

impl PrivacySpec {
    /// What is wrong with the settings, as `(key, message)`.
    pub fn problems(&self, has_retention_text: bool) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(1..=120).contains(&self.retention_months) {
            out.push(("privacy.retention_months", "Thời hạn lưu trữ phải từ 1 đến 120 tháng.".to_string()));
        }
        if self.winners_retention_months < self.retention_months || self.winners_retention_months > 600 {
            out.push((
                "privacy.winners_retention_months",
                "Thời hạn lưu dữ liệu người đạt giải không được ngắn hơn thời hạn lưu trữ chung (và không quá 600 tháng)."
                    .to_string(),
            ));
        }
        if !(1..=90).contains(&self.request_days) {
            out.push(("privacy.request_days", "Thời hạn giải quyết yêu cầu phải từ 1 đến 90 ngày.".to_string()));
        }
        // The default consent text says 12 months: another period must be written out for people.
        if self.retention_months != DEFAULT_RETENTION_MONTHS && !has_retention_text {
            out.push((
                "data_retention",
                format!(
                    "Thời hạn lưu trữ là {} tháng: hãy ghi data_retention (câu người dự thi đọc khi đồng ý) \
                     đúng thời hạn này, ví dụ \"{} tháng kể từ ngày công bố kết quả cuộc thi\".",
                    self.retention_months, self.retention_months
                ),
            ));
        }
        out
    }

    /// When non-winners' data falls due for removal, the contest having ended at `ended`.
    pub fn purge_due(&self, ended: DateTime<Utc>) -> DateTime<Utc> {
        add_months(ended, self.retention_months)
    }

    /// When winners' data falls due for removal.
    pub fn winners_due(&self, ended: DateTime<Utc>) -> DateTime<Utc> {
        add_months(ended, self.winners_retention_months)
    }
}

/// `t` plus whole calendar months (the last day of a shorter month when the day is missing).
pub fn add_months(t: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    t.checked_add_months(Months::new(months)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn defaults_hold_and_periods_are_calendar_months() {
        let p = PrivacySpec::default();
        assert!(p.problems(false).is_empty());
        let ended = Utc.with_ymd_and_hms(2026, 1, 31, 3, 0, 0).unwrap();
        assert_eq!(p.purge_due(ended), Utc.with_ymd_and_hms(2027, 1, 31, 3, 0, 0).unwrap());
        assert_eq!(add_months(ended, 1), Utc.with_ymd_and_hms(2026, 2, 28, 3, 0, 0).unwrap());
        assert_eq!(p.winners_due(ended), Utc.with_ymd_and_hms(2036, 1, 31, 3, 0, 0).unwrap());
    }

    #[test]
    fn another_period_needs_its_own_consent_text() {
        let p = PrivacySpec { retention_months: 24, ..PrivacySpec::default() };
        assert_eq!(p.problems(false).len(), 1);
        assert!(p.problems(true).is_empty());
        let short = PrivacySpec { retention_months: 24, winners_retention_months: 12, request_days: 0 };
        let keys: Vec<&str> = short.problems(true).iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec!["privacy.winners_retention_months", "privacy.request_days"]);
    }
}
