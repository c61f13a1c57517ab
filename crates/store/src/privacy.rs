//! What the personal-data duties store (Luật 91/2025/QH15, Nghị định 356/2025): the requests
//! people make about their data (yêu cầu của chủ thể dữ liệu) and what a removal of personal
//! fields (xóa, ẩn danh hóa) changed. Row types only; the SQL is in `sql/privacy.rs`.

use serde::Serialize;

/// A request about a person's own data, as the secretariat's queue shows it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PrivacyRequestRow {
    pub id: i64,
    pub contest_id: i64,
    pub participant_id: i64,
    /// `correction` or `erasure`.
    pub kind: String,
    /// A correction's field (`full_name`, `date_of_birth`, `phone`, `email`, `other`).
    pub field: Option<String>,
    /// A correction's value as the person wrote it; `None` once their data is removed.
    pub new_value: Option<String>,
    pub reason: String,
    /// `open`, `done` or `refused`.
    pub status: String,
    pub created_at: i64,
    pub due_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub answer: Option<String>,
}

/// A request to record; `decided` is `Some((by, answer))` for one settled at once.
#[derive(Clone, Debug)]
pub struct NewPrivacyRequest<'a> {
    pub contest_id: i64,
    pub participant_id: i64,
    pub kind: &'a str,
    pub field: Option<&'a str>,
    pub new_value: Option<&'a str>,
    pub reason: &'a str,
    pub status: &'a str,
    pub created_at: i64,
    pub due_at: i64,
    pub decided: Option<(&'a str, &'a str)>,
}

/// What one removal of personal fields changed: counts only, never who.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PurgeCounts {
    /// People whose personal fields were removed.
    pub participants: u64,
    /// Rows of registered lists and unit staff lists removed.
    pub list_rows: u64,
    /// Their reports on questions whose message was blanked.
    pub reports: u64,
    /// Their requests whose correction values and reasons were blanked.
    pub requests: u64,
}

impl PurgeCounts {
    pub fn add(&mut self, other: PurgeCounts) {
        self.participants += other.participants;
        self.list_rows += other.list_rows;
        self.reports += other.reports;
        self.requests += other.requests;
    }
}
