//! The audit log (nhật ký thao tác): every administrative action with who, when, what, and the
//! before/after, in an append-only hash chain (`cuocthi_domain::audit`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cuocthi_domain::audit::{self, ChainError};
use cuocthi_store::{AuditFilter, AuditRow, NewAudit};
use serde_json::Value;

use super::access::{Action, Staff};
use crate::{Engine, EngineError, Result};

/// How many entries the console shows per page.
pub const AUDIT_PAGE: i64 = 100;

/// The Vietnamese name of every action code the log records, so the console shows "Giao vai
/// trò" rather than `grant.add`. The codes themselves stay in the chain (they are hashed, and
/// filters and exports use them). A test reads the engine's sources for quoted `kind.what` codes and
/// fails on one missing here; the materials' codes are built as `{kind}.add`/`{kind}.remove`.
pub const ACTION_LABELS: &[(&str, &str)] = &[
    ("session.sign_in", "Đăng nhập"),
    ("session.sign_out", "Đăng xuất"),
    ("account.create", "Tạo tài khoản"),
    ("account.profile", "Sửa thông tin tài khoản"),
    ("account.password", "Đặt mật khẩu mới"),
    ("account.password_reset", "Đặt lại mật khẩu cho tài khoản khác"),
    ("account.disabled", "Khoá hoặc mở khoá tài khoản"),
    ("account.totp_on", "Bật xác thực hai lớp"),
    ("account.totp_reset", "Gỡ xác thực hai lớp (phải cài đặt lại)"),
    ("grant.add", "Giao vai trò"),
    ("grant.remove", "Thu hồi vai trò"),
    ("contest.create", "Tạo cuộc thi"),
    ("contest.update", "Sửa định nghĩa cuộc thi"),
    ("contest.units", "Cập nhật danh sách đơn vị"),
    ("contest.exclusions", "Cập nhật danh sách loại trừ"),
    ("unit.registered", "Cập nhật danh sách đăng ký của đơn vị"),
    ("unit.staff_list", "Tải lên danh sách cán bộ của đơn vị"),
    ("round.open", "Mở đợt thi ngay"),
    ("question.add", "Thêm câu hỏi"),
    ("question.revise", "Sửa câu hỏi"),
    ("question.retire", "Rút câu hỏi khỏi đề"),
    ("question.restore", "Dùng lại câu hỏi"),
    ("question.import", "Nhập câu hỏi từ tệp"),
    ("question.void", "Hủy câu hỏi và chấm lại các bài thi có câu hỏi đó"),
    ("question.feedback_reply", "Trả lời góp ý về câu hỏi"),
    ("material.add", "Thêm tài liệu tham khảo"),
    ("material.remove", "Xoá tài liệu tham khảo"),
    ("logo.add", "Đặt biểu trưng"),
    ("logo.remove", "Xoá biểu trưng"),
    ("participant.merge", "Gộp hồ sơ thí sinh"),
    ("personal.view", "Xem hồ sơ thí sinh (dữ liệu cá nhân)"),
    ("personal.search", "Tìm kiếm, xem danh sách thí sinh"),
    ("personal.export", "Xuất tệp có dữ liệu cá nhân"),
    ("personal.self_view", "Người dự thi xem dữ liệu cá nhân của mình"),
    ("personal.self_download", "Người dự thi tải dữ liệu cá nhân của mình"),
    ("privacy.request", "Người dự thi gửi yêu cầu về dữ liệu cá nhân"),
    ("privacy.correct", "Sửa dữ liệu cá nhân theo yêu cầu"),
    ("privacy.erase", "Xóa dữ liệu cá nhân theo yêu cầu"),
    ("privacy.refuse", "Từ chối yêu cầu về dữ liệu cá nhân"),
    ("privacy.purge", "Xóa dữ liệu cá nhân hết thời hạn lưu trữ"),
    ("attempts.seal", "Niêm phong các bài thi đã nộp"),
    ("review.disqualify", "Loại khỏi xếp hạng"),
    ("review.reinstate", "Huỷ quyết định loại"),
    ("results.approve", "Phê duyệt kết quả"),
    ("results.approve_publish", "Phê duyệt và công bố kết quả"),
    ("results.publish", "Công bố kết quả"),
    ("event.team_save", "Đăng ký hoặc sửa đội thi"),
    ("event.performance_order", "Bốc thăm thứ tự thi của các đội"),
    ("event.part_open", "Mở phần thi để giám khảo chấm"),
    ("event.part_close", "Đóng chấm phần thi"),
    ("event.sheet_submit", "Nộp phiếu chấm"),
    ("event.sheet_reopen", "Mở lại phiếu chấm đã nộp"),
    ("event.answers", "Ghi số câu trả lời đúng của đội"),
    ("event.adjustment", "Cộng hoặc trừ điểm đội thi"),
    ("event.tie_lot", "Bốc thăm phân định các đội bằng điểm"),
    ("event.question_sets", "Tạo bộ câu hỏi phần thi kiến thức"),
    ("event.set_lot", "Đội bốc thăm bộ câu hỏi"),
    ("event.stage", "Điều khiển sân khấu và màn hình trình chiếu"),
    ("event.stage_answer", "Ghi câu trả lời của đội trên sân khấu"),
];

/// The Vietnamese name of an action code, if it has one.
pub fn action_label(code: &str) -> Option<&'static str> {
    ACTION_LABELS.iter().find(|(c, _)| *c == code).map(|(_, label)| *label)
}

/// An audit entry as the console shows it: the stored row, with names in place of codes and ids.
#[derive(Clone, Debug)]
pub struct NamedEntry {
    pub row: AuditRow,
    /// The action's Vietnamese name ([`action_label`]), or the code when it has none.
    pub label: String,
    /// The contest's title, when the entry is about a contest.
    pub contest: Option<String>,
    /// What was acted on, in words: "tài khoản nguyen.thu.ha", "câu hỏi #12", "đợt Tuần 1".
    pub subject: String,
}

/// The names behind the ids of some entries.
#[derive(Default)]
struct Names {
    accounts: HashMap<i64, String>,
    contests: HashMap<i64, String>,
    rounds: HashMap<i64, String>,
}

impl Names {
    /// The subject (`kind:id`) of an entry of `action` in words; an unknown kind is shown as stored.
    fn subject(&self, action: &str, subject: &str) -> String {
        let Some((kind, id)) = subject.split_once(':') else {
            return match subject {
                "session" => "phiên đăng nhập".into(),
                "event" => "hội thi trực tiếp".into(),
                "stage" => "sân khấu".into(),
                other => other.into(),
            };
        };
        let number = id.parse::<i64>().ok();
        let named = |map: &HashMap<i64, String>| number.and_then(|n| map.get(&n)).cloned();
        match kind {
            "account" => format!("tài khoản {}", named(&self.accounts).unwrap_or_else(|| format!("#{id}"))),
            "contest" => named(&self.contests).unwrap_or_else(|| format!("cuộc thi #{id}")),
            "round" => named(&self.rounds).map_or_else(|| format!("đợt thi #{id}"), |n| format!("đợt {n}")),
            "question" => format!("câu hỏi #{id}"),
            "participant" => format!("thí sinh #{id}"),
            "ranking" => format!("bảng xếp hạng #{id}"),
            "disqualification" => format!("quyết định loại #{id}"),
            "team" => format!("đội thi #{id}"),
            "part" => format!("phần thi {id}"),
            // An imported question file's name, or a material's (or logo's) id.
            "file" if action.starts_with("question.") => format!("tệp {id}"),
            "file" => format!("tài liệu #{id}"),
            _ => subject.into(),
        }
    }
}

/// The outcome of following the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainCheck {
    pub entries: u64,
    /// The hash of the last entry (the digest a ranking publishes).
    pub digest: String,
}

impl Engine {
    /// Appends an entry; `by` is `None` for the CLI and the system itself.
    pub async fn record(
        &self,
        by: Option<&Staff>,
        action: &str,
        contest: Option<i64>,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        let (id, actor) = match by {
            Some(s) => (Some(s.account_id), s.actor()),
            None => (None, "hệ thống".to_string()),
        };
        self.record_as(id, &actor, action, contest, subject, detail).await
    }

    pub(crate) async fn record_as(
        &self,
        account_id: Option<i64>,
        actor: &str,
        action: &str,
        contest_id: Option<i64>,
        subject: &str,
        detail: Value,
    ) -> Result<()> {
        self.store
            .append_audit(&NewAudit {
                at: self.now(),
                account_id,
                actor: actor.to_string(),
                action: action.to_string(),
                contest_id,
                subject: subject.to_string(),
                detail: detail.to_string(),
            })
            .await?;
        Ok(())
    }

    /// Entries a staff member may read: a contest's for its organisers and judges, everything
    /// for a system administrator.
    pub async fn audit_log(&self, by: &Staff, mut filter: AuditFilter) -> Result<Vec<AuditRow>> {
        match filter.contest_id {
            Some(c) => by.require(Action::ViewAudit, Some(c))?,
            None => by.require(Action::ManageAccounts, None)?,
        }
        if filter.limit <= 0 {
            filter.limit = AUDIT_PAGE;
        }
        Ok(self.store.audit_entries(&filter).await?)
    }

    /// Every entry whose action starts with `prefix` (of one contest, when given), newest first,
    /// read a page at a time: for the checks that must see them all (seals, voids), whatever
    /// their number.
    pub(crate) async fn all_audit_entries(&self, contest_id: Option<i64>, prefix: &str) -> Result<Vec<AuditRow>> {
        let mut out: Vec<AuditRow> = Vec::new();
        loop {
            let filter = AuditFilter {
                contest_id,
                action_prefix: Some(prefix.into()),
                before_id: out.last().map(|e| e.id),
                limit: 500,
                ..Default::default()
            };
            let page = self.store.audit_entries(&filter).await?;
            if page.is_empty() {
                return Ok(out);
            }
            out.extend(page);
        }
    }

    /// [`Engine::audit_log`] with the names the console shows: the actions' Vietnamese names, the
    /// contests' titles, the accounts' usernames and the rounds' names. Only ids that appear in
    /// the entries the staff member may read are looked up.
    pub async fn audit_log_named(&self, by: &Staff, filter: AuditFilter) -> Result<Vec<NamedEntry>> {
        let rows = self.audit_log(by, filter).await?;
        let mut names = Names::default();
        let subject_ids = |kind: &str| -> Vec<i64> {
            rows.iter().filter_map(|r| r.subject.strip_prefix(kind)?.strip_prefix(':')?.parse::<i64>().ok()).collect()
        };
        let mut contest_ids: Vec<i64> = rows.iter().filter_map(|r| r.contest_id).collect();
        contest_ids.extend(subject_ids("contest"));
        contest_ids.sort_unstable();
        contest_ids.dedup();
        for id in contest_ids {
            if let Some(c) = self.store.contest_by_id(id).await? {
                for round in &c.rounds {
                    names.rounds.insert(round.id, round.name.clone());
                }
                names.contests.insert(id, c.contest.title);
            }
        }
        if !subject_ids("account").is_empty() {
            names.accounts = self.store.accounts().await?.into_iter().map(|a| (a.id, a.username)).collect();
        }
        Ok(rows
            .into_iter()
            .map(|row| NamedEntry {
                label: action_label(&row.action).map_or_else(|| row.action.clone(), str::to_string),
                contest: row.contest_id.and_then(|c| names.contests.get(&c).cloned()),
                subject: names.subject(&row.action, &row.subject),
                row,
            })
            .collect())
    }

    /// Follows the chain from the first entry to the last.
    pub async fn verify_audit_chain(&self) -> Result<Result<ChainCheck, ChainError>> {
        let mut prev = audit::GENESIS.to_string();
        let mut after = 0;
        let mut entries = 0u64;
        loop {
            let rows = self.store.audit_chain(after, 5_000).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            entries += rows.len() as u64;
            let chain = rows.iter().map(|r| {
                (
                    audit::Entry {
                        id: r.id,
                        at_ms: r.at,
                        account_id: r.account_id,
                        actor: &r.actor,
                        action: &r.action,
                        contest_id: r.contest_id,
                        subject: &r.subject,
                        detail: &r.detail,
                    },
                    r.prev_hash.as_str(),
                    r.hash.as_str(),
                )
            });
            match audit::verify(prev, chain) {
                Ok(h) => prev = h,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(ChainCheck { entries, digest: prev }))
    }
}

/// An entry's instant, for display.
pub fn entry_time(row: &AuditRow) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(row.at).unwrap_or_default()
}

impl From<ChainError> for EngineError {
    fn from(e: ChainError) -> Self {
        EngineError::Conflict(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every quoted `kind.what` string in the engine's sources that is not a file name: the action codes
    /// given to `record`.
    fn codes_in_sources() -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        let mut sources = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut sources);
        let extensions = ["csv", "docx", "json", "pdf", "png", "rels", "toml", "xlsx", "xml"];
        let mut codes = Vec::new();
        for source in &sources {
            // Every piece between two quotes, so an escaped quote cannot put the scan out of step;
            // outside strings a piece is never just `word.word`.
            for quoted in source.split('"') {
                let Some((kind, what)) = quoted.split_once('.') else { continue };
                let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if word(kind) && word(what) && !extensions.contains(&what) {
                    codes.push(quoted.to_string());
                }
            }
        }
        codes.sort();
        codes.dedup();
        codes
    }

    #[test]
    fn every_recorded_action_has_a_vietnamese_name() {
        let codes = codes_in_sources();
        assert!(codes.len() >= 20, "the scan finds the codes: {codes:?}");
        let missing: Vec<&String> = codes.iter().filter(|c| action_label(c).is_none()).collect();
        assert!(missing.is_empty(), "add these to ACTION_LABELS: {missing:?}");
        for kind in ["material", "logo"] {
            assert!(
                action_label(&format!("{kind}.add")).is_some() && action_label(&format!("{kind}.remove")).is_some()
            );
        }
    }

    #[test]
    fn subjects_are_named() {
        let names = Names {
            accounts: HashMap::from([(5, "nguyen.thu.ha".to_string())]),
            contests: HashMap::from([(2, "Tìm hiểu pháp luật 2025".to_string())]),
            rounds: HashMap::from([(7, "Tuần 1".to_string())]),
        };
        assert_eq!(names.subject("grant.add", "account:5"), "tài khoản nguyen.thu.ha");
        assert_eq!(names.subject("grant.add", "account:6"), "tài khoản #6");
        assert_eq!(names.subject("contest.update", "contest:2"), "Tìm hiểu pháp luật 2025");
        assert_eq!(names.subject("round.open", "round:7"), "đợt Tuần 1");
        assert_eq!(names.subject("question.revise", "question:12"), "câu hỏi #12");
        assert_eq!(names.subject("question.import", "file:ngan-hang.xlsx"), "tệp ngan-hang.xlsx");
        assert_eq!(names.subject("question.import", "file:2025"), "tệp 2025");
        assert_eq!(names.subject("material.add", "file:3"), "tài liệu #3");
        assert_eq!(names.subject("session.sign_in", "session"), "phiên đăng nhập");
        assert_eq!(names.subject("event.sheet_submit", "team:4"), "đội thi #4");
        assert_eq!(names.subject("event.part_open", "part:kien-thuc"), "phần thi kien-thuc");
        assert_eq!(names.subject("event.stage", "stage"), "sân khấu");
        assert_eq!(names.subject("grant.add", "khac:1"), "khac:1");
    }
}
