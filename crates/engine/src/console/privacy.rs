//! The organiser's side of the personal-data duties (Luật 91/2025/QH15, Nghị định 356/2025): the
//! purge when a retention period ends (`cuocthi privacy purge`, and the server on a schedule),
//! the secretariat's queue of people's requests, the record of processing (hồ sơ xử lý dữ liệu
//! cá nhân) generated from the definitions and the role table, and the audit of who viewed or
//! exported personal data.
//!
//! The purge removes the personal fields of people who won no prize once `retention_months` have
//! passed since the contest ended; winners keep theirs for the award records until
//! `winners_retention_months`, and then keep only the name published with their prize. Results
//! stay verifiable: a ranking is derived from attempts, ids, units and localities, which stay; the
//! published rows name winners only, whose names stay; removed people lose their prize
//! eligibility, which changes no prize given (nobody above the last prize given was eligible).

use chrono::{DateTime, Utc};
use cuocthi_domain::identity::Field;
use cuocthi_domain::vntime;
use cuocthi_store::{AuditRow, PurgeCounts};
use serde::Serialize;
use serde_json::json;

use super::access::{Action, Role, Staff};
use crate::shared::catalog::CachedContest;
use crate::shared::privacy::{MyRequest, checked_value, request_view};
use crate::{Engine, EngineError, Result};

/// What the purge did (or, dry, would do) in one contest.
#[derive(Clone, Debug, Serialize)]
pub struct ContestPurge {
    pub slug: String,
    pub title: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub winners_due_at: Option<DateTime<Utc>>,
    /// People without a prize whose fields were (or would be) removed.
    pub people: u64,
    /// Winners whose fields were (or would be) removed, their published name kept.
    pub winners: u64,
    /// Everything the removal changed (zero in a dry run but for the lists).
    pub counts: PurgeCounts,
    /// What the console and the command line say of the contest, in Vietnamese.
    pub status: String,
}

/// One request in the secretariat's queue.
#[derive(Clone, Debug, Serialize)]
pub struct QueueItem {
    pub request: MyRequest,
    pub participant_id: i64,
    /// The person's name, and a correction's value and the reason, for roles that see personal data.
    pub name: String,
    pub new_value: String,
    pub reason: String,
    pub overdue: bool,
    pub decided_by: String,
}

/// The contest's retention as the console states it.
#[derive(Clone, Debug, Serialize)]
pub struct RetentionView {
    pub text: String,
    pub retention_months: u32,
    pub winners_retention_months: u32,
    pub request_days: u32,
    pub ended_vn: Option<String>,
    pub due_vn: Option<String>,
    pub winners_due_vn: Option<String>,
}

/// The secretariat's queue (hàng chờ yêu cầu về dữ liệu cá nhân).
#[derive(Clone, Debug, Serialize)]
pub struct PrivacyQueue {
    pub title: String,
    pub retention: RetentionView,
    pub items: Vec<QueueItem>,
}

/// One field a contest collects, in the record of processing.
#[derive(Clone, Debug, Serialize)]
pub struct FieldRecord {
    pub label: &'static str,
    pub purpose: &'static str,
    pub sensitive: bool,
    /// Who can see it, from the role table.
    pub who_sees: String,
    pub published: bool,
}

/// The record of processing of one contest (hồ sơ xử lý dữ liệu cá nhân).
#[derive(Clone, Debug, Serialize)]
pub struct ProcessingRecord {
    pub title: String,
    pub slug: String,
    pub organiser: String,
    pub purposes: Vec<&'static str>,
    pub fields: Vec<FieldRecord>,
    pub retention: RetentionView,
    pub people_stored: usize,
    pub requests_open: usize,
    pub safeguards: Vec<&'static str>,
}

/// What the record says each purpose is.
const PURPOSES: [&str; 5] = [
    "Xác minh người dự thi và giới hạn số lượt thi của mỗi người (không theo trình duyệt).",
    "Chấm điểm, xếp hạng, xét và trao giải cá nhân, giải tập thể theo đơn vị.",
    "Thống kê số người tham gia theo đơn vị, địa bàn, đối tượng để báo cáo (chỉ số liệu tổng hợp).",
    "Liên hệ và chi trả tiền thưởng cho người đạt giải; lập hồ sơ khen thưởng.",
    "Rà soát bài thi bất thường (chỉ dùng mã băm của địa chỉ mạng và thiết bị, không lưu địa chỉ).",
];

const SAFEGUARDS: [&str; 7] = [
    "Dữ liệu lưu trên máy chủ của Ban Tổ chức; không chuyển cho bên thứ ba, không chuyển ra nước ngoài.",
    "Số CCCD, điện thoại, thư điện tử và ngày sinh được che khi người xem không có quyền xem đầy đủ.",
    "Mọi lần xem hồ sơ, tìm kiếm thí sinh và xuất tệp có dữ liệu cá nhân được ghi vào nhật ký thao tác có chuỗi mã băm.",
    "Tài khoản quản trị đăng nhập hai lớp (TOTP); phiên đăng nhập hết hạn khi không dùng.",
    "Kết quả công bố chỉ có họ tên, đơn vị, địa bàn của người đạt giải; không công bố số giấy tờ, ngày sinh, liên hệ.",
    "Hết thời hạn lưu trữ, dữ liệu cá nhân được xóa không khôi phục được; kết quả và thống kê vẫn kiểm tra lại được.",
    "Không ghi dữ liệu cá nhân vào nhật ký máy chủ (log).",
];

fn roles_text(action: Action) -> String {
    let mut names = vec![Role::SystemAdmin.label()];
    names.extend(action.roles().iter().map(|r| r.label()));
    names.join(", ")
}

fn day(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| vntime::format_date(vntime::local_date(t)))
}

impl Engine {
    async fn retention_view(&self, c: &CachedContest) -> Result<RetentionView> {
        let r = self.retention_of(c).await?;
        let p = &c.spec.settings.privacy;
        Ok(RetentionView {
            text: c
                .spec
                .settings
                .data_retention
                .clone()
                .unwrap_or_else(|| format!("{} tháng kể từ ngày công bố kết quả cuộc thi", p.retention_months)),
            retention_months: p.retention_months,
            winners_retention_months: p.winners_retention_months,
            request_days: p.request_days,
            ended_vn: day(r.ended_at),
            due_vn: day(r.due_at),
            winners_due_vn: day(r.winners_due_at),
        })
    }

    /// Removes (or with `dry_run` only counts) the personal data whose retention has ended, in
    /// one contest or every one. `actor` is who runs it, as the audit entry names them.
    pub async fn purge_personal_data(
        &self,
        slug: Option<&str>,
        dry_run: bool,
        actor: &str,
    ) -> Result<Vec<ContestPurge>> {
        let ids: Vec<i64> = match slug {
            Some(s) => vec![self.contest_by_slug(s).await?.stored.contest.id],
            None => self.store.list_contests().await?.into_iter().map(|c| c.id).collect(),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let c = self.contest_by_id(id).await?;
            out.push(self.purge_contest(&c, dry_run, actor).await?);
        }
        Ok(out)
    }

    async fn purge_contest(&self, c: &CachedContest, dry_run: bool, actor: &str) -> Result<ContestPurge> {
        let now = self.now();
        let r = self.retention_of(c).await?;
        let mut done = ContestPurge {
            slug: c.spec.slug.clone(),
            title: c.spec.title.clone(),
            ended_at: r.ended_at,
            due_at: r.due_at,
            winners_due_at: r.winners_due_at,
            people: 0,
            winners: 0,
            counts: PurgeCounts::default(),
            status: String::new(),
        };
        let (Some(due), Some(winners_due)) = (r.due_at, r.winners_due_at) else {
            done.status = "Cuộc thi chưa kết thúc; chưa đến thời hạn xóa dữ liệu.".into();
            return Ok(done);
        };
        if now < due {
            done.status = format!("Chưa đến hạn: dữ liệu được xóa từ ngày {}.", day(Some(due)).unwrap_or_default());
            return Ok(done);
        }
        let id = c.stored.contest.id;
        let holders = self.store.prize_holders(id).await?;
        let winners_too = now >= winners_due;
        let (winners, people): (Vec<i64>, Vec<i64>) =
            self.store.unpurged_participants(id).await?.into_iter().partition(|p| holders.contains(p));
        let winners = if winners_too { winners } else { Vec::new() };
        // The lists' rows of winners stay with their data; everyone else's go.
        let mut keep = Vec::new();
        if !winners_too {
            for p in self.store.participants_by_id(&holders).await? {
                let i = &p.identity;
                keep.push(p.person_key.clone());
                keep.extend(i.cccd.as_ref().map(|x| x.as_str().to_string()));
                keep.extend(i.phone.as_ref().map(|x| x.as_str().to_string()));
                keep.extend(i.email.clone());
            }
        }
        done.people = people.len() as u64;
        done.winners = winners.len() as u64;
        if dry_run {
            done.status = format!(
                "Chạy thử: sẽ xóa dữ liệu của {} người không đạt giải và {} người đạt giải (giữ họ tên đã công bố); chưa thay đổi gì.",
                done.people, done.winners
            );
            return Ok(done);
        }
        done.counts.add(self.remove_personal_fields(id, &people, false).await?);
        done.counts.add(self.remove_personal_fields(id, &winners, true).await?);
        done.counts.list_rows += self.store.purge_lists(id, &keep).await?;
        done.status = format!(
            "Đã xóa dữ liệu cá nhân của {} người không đạt giải và {} người đạt giải (giữ họ tên đã công bố).",
            done.people, done.winners
        );
        if done.counts != PurgeCounts::default() {
            self.privacy_audit(
                actor,
                "privacy.purge",
                Some(id),
                &format!("contest:{id}"),
                json!({
                    "people": done.people,
                    "winners": done.winners,
                    "removed": done.counts,
                    "retention_months": c.spec.settings.privacy.retention_months,
                    "winners_retention_months": c.spec.settings.privacy.winners_retention_months,
                    "ended_at": r.ended_at.map(|t| t.timestamp_millis()),
                }),
            )
            .await?;
        }
        Ok(done)
    }

    /// The secretariat's queue of requests, open ones first by deadline.
    pub async fn privacy_queue(&self, by: &Staff, slug: &str) -> Result<PrivacyQueue> {
        let c = self.contest_for(by, slug, Action::HandlePrivacyRequests).await?;
        let id = c.stored.contest.id;
        let open = by.can(Action::SeePersonalData, Some(id));
        let rows = self.store.privacy_requests(id, false).await?;
        let mut ids: Vec<i64> = rows.iter().map(|r| r.participant_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let names: std::collections::HashMap<i64, String> = self
            .store
            .participants_by_id(&ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p.identity.full_name.unwrap_or_else(|| "(đã xóa)".into())))
            .collect();
        let now = self.now().timestamp_millis();
        let items = rows
            .iter()
            .map(|r| QueueItem {
                request: request_view(r),
                participant_id: r.participant_id,
                name: if open { names.get(&r.participant_id).cloned().unwrap_or_default() } else { String::new() },
                new_value: if open { r.new_value.clone().unwrap_or_default() } else { String::new() },
                reason: r.reason.clone(),
                overdue: r.status == "open" && r.due_at < now,
                decided_by: r.decided_by.clone().unwrap_or_default(),
            })
            .collect();
        Ok(PrivacyQueue { title: c.spec.title.clone(), retention: self.retention_view(&c).await?, items })
    }

    /// Settles a request: `grant` carries out a correction or an erasure, otherwise it is refused
    /// with `answer` as the reason the person reads. Returns the notice for the page.
    pub async fn decide_privacy_request(
        &self,
        by: &Staff,
        slug: &str,
        request_id: i64,
        grant: bool,
        answer: &str,
    ) -> Result<String> {
        let c = self.contest_for(by, slug, Action::HandlePrivacyRequests).await?;
        let id = c.stored.contest.id;
        let r = self
            .store
            .privacy_request(request_id)
            .await?
            .filter(|r| r.contest_id == id)
            .ok_or(EngineError::NotFound("yêu cầu"))?;
        if r.status != "open" {
            return Err(EngineError::Conflict("Yêu cầu này đã được xử lý.".into()));
        }
        let answer = cuocthi_domain::text::clean(answer);
        let subject = format!("participant:{}", r.participant_id);
        let at = self.now().timestamp_millis();
        if !grant {
            if answer.chars().count() < 5 {
                return Err(EngineError::BadRequest("Hãy ghi rõ lý do từ chối (ít nhất 5 ký tự).".into()));
            }
            self.store.decide_privacy_request(r.id, "refused", &by.actor(), &answer, at).await?;
            self.record(Some(by), "privacy.refuse", Some(id), &subject, json!({"request": r.id, "kind": r.kind}))
                .await?;
            return Ok(format!("Đã từ chối yêu cầu #{}.", r.id));
        }
        if let Some(reason) = self.prize_keeps(&c, r.participant_id).await? {
            let name_change = r.kind == "correction" && r.field.as_deref() == Some("full_name");
            if r.kind == "erasure" || name_change {
                return Err(EngineError::Conflict(format!(
                    "Không thể thực hiện: người này có tên trong kết quả đã phê duyệt. {reason}"
                )));
            }
        }
        if r.kind == "erasure" {
            let counts = self.remove_personal_fields(id, &[r.participant_id], false).await?;
            let answer =
                if answer.is_empty() { "Dữ liệu cá nhân đã được xóa.".to_string() } else { answer };
            self.store.decide_privacy_request(r.id, "done", &by.actor(), &answer, at).await?;
            self.record(Some(by), "privacy.erase", Some(id), &subject, json!({"request": r.id, "removed": counts}))
                .await?;
            return Ok(format!("Đã xóa dữ liệu cá nhân theo yêu cầu #{}.", r.id));
        }
        let field = r.field.clone().unwrap_or_default();
        if field != "other" {
            let value = checked_value(&field, r.new_value.as_deref().unwrap_or_default())
                .map_err(|m| EngineError::BadRequest(format!("Giá trị người dự thi ghi chưa hợp lệ: {m}")))?;
            if !self.store.correct_participant(r.participant_id, &field, &value).await? {
                return Err(EngineError::Conflict("Dữ liệu của người này đã được xóa; không thể sửa.".into()));
            }
        }
        let answer =
            if answer.is_empty() { "Dữ liệu đã được sửa theo yêu cầu.".to_string() } else { answer };
        self.store.decide_privacy_request(r.id, "done", &by.actor(), &answer, at).await?;
        self.record(Some(by), "privacy.correct", Some(id), &subject, json!({"request": r.id, "field": field})).await?;
        Ok(format!("Đã thực hiện yêu cầu sửa dữ liệu #{}.", r.id))
    }

    /// The record of processing of a contest, generated from its definition and the role table.
    pub async fn processing_record(&self, by: &Staff, slug: &str) -> Result<ProcessingRecord> {
        let c = self.contest_for(by, slug, Action::ViewProcessingRecord).await?;
        let id = c.stored.contest.id;
        let e = &c.spec.settings.eligibility;
        let full = roles_text(Action::SeePersonalData);
        let listed = roles_text(Action::ViewParticipants);
        let fields = e
            .required_fields
            .iter()
            .map(|f| {
                let (purpose, sensitive, published) = match f {
                    Field::FullName => ("Xác minh người dự thi; công bố và trao giải cho người đạt giải.", false, true),
                    Field::DateOfBirth => ("Xác nhận khi đăng nhập lại; kiểm tra độ tuổi dự thi.", true, false),
                    Field::Cccd => {
                        ("Nhận diện mỗi người một lần, kiểm tra khớp ngày sinh; hồ sơ chi thưởng.", true, false)
                    }
                    Field::Phone => ("Liên hệ người đạt giải.", true, false),
                    Field::Email => ("Liên hệ người đạt giải.", true, false),
                    Field::Unit => ("Giải tập thể và thống kê theo đơn vị.", false, true),
                    Field::Locality => ("Thống kê theo địa bàn.", false, true),
                    Field::Group => ("Thống kê theo đối tượng dự thi.", false, false),
                };
                let who_sees = if sensitive {
                    format!(
                        "Xem đầy đủ: {full}. Xem dạng che: {listed}. Danh sách giải kèm liên hệ: {}.",
                        roles_text(Action::ManageResults)
                    )
                } else {
                    format!("{listed}.")
                };
                FieldRecord { label: f.label(), purpose, sensitive, who_sees, published }
            })
            .collect();
        Ok(ProcessingRecord {
            title: c.spec.title.clone(),
            slug: c.spec.slug.clone(),
            organiser: c.spec.organiser.clone(),
            purposes: PURPOSES.to_vec(),
            fields,
            retention: self.retention_view(&c).await?,
            people_stored: self.store.unpurged_participants(id).await?.len(),
            requests_open: self.store.privacy_requests(id, true).await?.len(),
            safeguards: SAFEGUARDS.to_vec(),
        })
    }

    /// Every audit entry of a contest about access to personal data (`personal.*`: staff viewing
    /// a person, searching people, exporting files with personal fields; people reading and
    /// downloading their own), newest first.
    pub async fn personal_data_access(&self, by: &Staff, slug: &str) -> Result<Vec<AuditRow>> {
        let c = self.contest_for(by, slug, Action::ViewAudit).await?;
        self.all_audit_entries(Some(c.stored.contest.id), "personal.").await
    }
}
