//! Contests (cuộc thi) and their rounds (đợt thi): the rules a contest runs by, as written in a
//! definition file (TOML) and as the engine holds them once validated.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::EventSpec;
use crate::identity::{Field, FieldError, Identity, IdentityInput};
use crate::locality::Scheme;
use crate::prize::{CollectiveBasis, CollectivePrize, CollectiveTie, PrizeTier};
use crate::ranking::{Criterion, OverallMode};
use crate::review::ReviewRules;
use crate::{text, vntime};

// Defined beside the rules that use them, and named here too: a contest's definition is read
// through this module.
pub use crate::draw::TopicQuota;
pub use crate::identity::{Eligibility, Group};
pub use crate::ranking::Predicts;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiebreak {
    pub prompt: String,
    pub predicts: Predicts,
}

/// How a round runs: stored as one JSON value beside the round, written in TOML by organisers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundRules {
    pub questions_per_attempt: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<TopicQuota>,
    /// Thời gian làm bài.
    pub time_limit_minutes: u32,
    /// Số lần thi tối đa của mỗi người.
    pub attempts_per_person: u32,
    /// Seconds accepted after the deadline for answers already on their way (network latency).
    #[serde(default = "default_grace")]
    pub grace_seconds: u32,
    #[serde(default)]
    pub show_key_after_close: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiebreak: Option<Tiebreak>,
    #[serde(default = "Criterion::default_order")]
    pub ranking_order: Vec<Criterion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prizes: Vec<PrizeTier>,
}

fn default_grace() -> u32 {
    15
}

/// A round as written in a definition file: times in Vietnam time. Unknown keys are refused by the
/// flattened [`RoundRules`], which receives every key this struct does not take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundDef {
    pub name: String,
    /// e.g. "10:00 20/03/2023" (giờ Việt Nam).
    pub opens: String,
    pub closes: String,
    #[serde(flatten)]
    pub rules: RoundRules,
}

/// A round once validated: instants in UTC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundSpec {
    pub name: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub rules: RoundRules,
}

impl IdentityInput {
    /// Checks the fields against a contest: formats, required fields, CCCD against the date of birth,
    /// known unit, locality and group. Returns every problem at once.
    pub fn validate(&self, contest: &ContestSpec) -> Result<Identity, Vec<FieldError>> {
        let units = &contest.units;
        self.check(&contest.settings.eligibility, contest.settings.locality_scheme, |u| {
            units.iter().any(|x| x.code == u)
        })
    }
}

/// A unit (đơn vị): a department, commune, school… with its headcount (tổng số CBCCVC, NLĐ).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitSpec {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headcount: Option<u32>,
}

/// A person on a unit's registered list (danh sách đăng ký), by CCCD or phone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisteredPerson {
    pub unit: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Ranking across all rounds (bảng xếp hạng chung cuộc).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverallSpec {
    pub mode: OverallMode,
    #[serde(default = "Criterion::default_order")]
    pub ranking_order: Vec<Criterion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prizes: Vec<PrizeTier>,
}

/// The settings of a contest other than rounds, units and lists: stored as one JSON value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ContestSettings {
    #[serde(default)]
    pub eligibility: Eligibility,
    #[serde(default)]
    pub locality_scheme: Scheme,
    /// The province the contest belongs to (statistics office code), to offer its localities first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overall: Option<OverallSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collective_prizes: Vec<CollectivePrize>,
    /// Free text of the prize structure's notes (e.g. "BTC có thể điều chỉnh cơ cấu giải").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prize_notes: Option<String>,
    /// Portals (`https://congthongtin.tinh.gov.vn`) allowed to show this contest's pages in a
    /// frame, besides those the deployment allows for every contest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub portal_origins: Vec<String>,
    /// The contest's colour on its pages (`#0b5394`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_colour: Option<String>,
    /// How long personal data is kept, as the consent text says it (`12 tháng kể từ ngày công bố
    /// kết quả`); the organiser confirms it. A default text when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_retention: Option<String>,
    /// `[privacy]`: how long personal data is kept, for winners and everyone else, and how long
    /// the secretariat has for a person's request (crate::privacy).
    #[serde(default, skip_serializing_if = "is_default_privacy")]
    pub privacy: crate::privacy::PrivacySpec,
    /// What the certificates (giấy chứng nhận) say of who issues them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateText>,
    /// How the judges' review list recognises suspicious attempts.
    #[serde(default, skip_serializing_if = "is_default_review")]
    pub review: ReviewRules,
    /// The in-person event (hội thi trực tiếp) of the units' teams, if the contest has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventSpec>,
    /// The event's team prizes (giải tập thể của đội thi), best first: kept beside the event
    /// rather than in it, because the event's rules compute a ranking and prizes are the
    /// committee's to approve from it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_prizes: Vec<PrizeTier>,
}

fn is_default_privacy(p: &crate::privacy::PrivacySpec) -> bool {
    *p == crate::privacy::PrivacySpec::default()
}

fn is_default_review(r: &ReviewRules) -> bool {
    *r == ReviewRules::default()
}

/// The issuing body and the signature block of a contest's certificates, as organisers choose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateText {
    /// Top-left lines, `\n` between them: `UBND TỈNH HÀ GIANG\nBAN TỔ CHỨC CUỘC THI`.
    pub heading: String,
    /// The place before the date: `Hà Giang`.
    pub place: String,
    /// `TM. BAN TỔ CHỨC\nTRƯỞNG BAN`.
    pub signatory_title: String,
    pub signatory_name: String,
}

/// Whether `o` is a plain http(s) origin (a `*.` wildcard allowed in the host), nothing that
/// could carry anything else into a header.
pub fn is_origin(o: &str) -> bool {
    let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://"));
    rest.is_some_and(|h| {
        !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*'))
    })
}

/// Whether `c` is a `#RRGGBB` colour.
pub fn is_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

/// A contest definition file (TOML), exactly as organisers write it. Unknown keys are refused by the
/// flattened [`ContestSettings`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContestDef {
    pub slug: String,
    pub title: String,
    pub organiser: String,
    #[serde(default)]
    pub summary: String,
    /// Who may take part, in words (đối tượng dự thi).
    #[serde(default)]
    pub audience: String,
    /// The rules (thể lệ), Markdown.
    #[serde(default)]
    pub rules: String,
    /// A question file (.csv or .xlsx) to import with the contest, relative to the definition file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_bank: Option<String>,
    #[serde(flatten)]
    pub settings: ContestSettings,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registered: Vec<RegisteredPerson>,
    pub rounds: Vec<RoundDef>,
}

/// A validated contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestSpec {
    pub slug: String,
    pub title: String,
    pub organiser: String,
    pub summary: String,
    pub audience: String,
    pub rules: String,
    pub settings: ContestSettings,
    pub units: Vec<UnitSpec>,
    pub registered: Vec<RegisteredPerson>,
    pub rounds: Vec<RoundSpec>,
}

/// A problem in a definition, located by a dotted path (`rounds[1].closes`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DefError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> DefError {
    DefError { path: path.into(), message: message.into() }
}

impl ContestDef {
    pub fn from_toml(source: &str) -> Result<ContestDef, Vec<DefError>> {
        toml::from_str(source).map_err(|e| vec![err("tệp", format!("Tệp TOML không hợp lệ: {e}"))])
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Validates everything and lists every problem, so an organiser fixes a file in one pass.
    pub fn validate(&self) -> Result<ContestSpec, Vec<DefError>> {
        let mut errors = Vec::new();
        if !is_slug(&self.slug) {
            errors
                .push(err("slug", "Mã cuộc thi chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (3–60 ký tự)."));
        }
        if text::clean(&self.title).is_empty() {
            errors.push(err("title", "Thiếu tên cuộc thi."));
        }
        if text::clean(&self.organiser).is_empty() {
            errors.push(err("organiser", "Thiếu tên cơ quan tổ chức."));
        }
        if self.rounds.is_empty() {
            errors.push(err("rounds", "Cuộc thi cần ít nhất một đợt thi."));
        }
        let rounds: Vec<RoundSpec> = self
            .rounds
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.validate(&format!("rounds[{}]", i + 1), &mut errors))
            .collect();
        validate_units(&self.units, &mut errors);
        for (i, o) in self.settings.portal_origins.iter().enumerate() {
            if !is_origin(o) {
                errors.push(err(
                    format!("portal_origins[{}]", i + 1),
                    format!("\"{o}\" không phải địa chỉ cổng thông tin dạng https://ten-mien."),
                ));
            }
        }
        if let Some(c) = self.settings.accent_colour.as_deref().filter(|c| !is_colour(c)) {
            errors.push(err("accent_colour", format!("Màu \"{c}\" cần ở dạng #RRGGBB, ví dụ #0b5394.")));
        }
        self.validate_settings(&mut errors);
        let codes: HashSet<&str> = self.units.iter().map(|u| u.code.as_str()).collect();
        for (i, p) in self.registered.iter().enumerate() {
            if !codes.contains(p.unit.as_str()) {
                errors.push(err(format!("registered[{}].unit", i + 1), format!("Không có đơn vị mã \"{}\".", p.unit)));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ContestSpec {
            slug: self.slug.clone(),
            title: text::clean(&self.title),
            organiser: text::clean(&self.organiser),
            summary: self.summary.trim().to_string(),
            audience: self.audience.trim().to_string(),
            rules: self.rules.trim().to_string(),
            settings: self.settings.clone(),
            units: self.units.clone(),
            registered: self.registered.clone(),
            rounds,
        })
    }

    fn validate_settings(&self, errors: &mut Vec<DefError>) {
        let e = &self.settings.eligibility;
        if !e.required_fields.contains(&e.identity_key.field()) {
            errors.push(err(
                "eligibility.identity_key",
                "Trường dùng để nhận diện người dự thi phải nằm trong các trường bắt buộc.",
            ));
        }
        // The key alone (a CCCD, a phone number, an e-mail address) is known to others: a
        // returning person must also prove the date of birth they gave, so it must be asked.
        if !e.required_fields.contains(&Field::DateOfBirth) {
            errors.push(err(
                "eligibility.required_fields",
                format!(
                    "Không thể chỉ dùng {} để nhận diện người dự thi vì người khác có thể biết thông tin này: \
                     hãy thêm \"date_of_birth\" (ngày sinh) vào eligibility.required_fields để người dự thi \
                     xác nhận thêm bằng ngày sinh khi đăng nhập lại.",
                    match e.identity_key.field() {
                        Field::Cccd => "số CCCD",
                        Field::Phone => "số điện thoại",
                        _ => "thư điện tử",
                    }
                ),
            ));
        }
        if e.registered_only && self.units.is_empty() {
            errors.push(err("eligibility.registered_only", "Cuộc thi theo danh sách đăng ký cần danh sách đơn vị."));
        }
        if let Some(o) = &self.settings.overall {
            validate_order(&o.ranking_order, "overall.ranking_order", errors);
            if self.rounds.len() < 2 {
                errors.push(err("overall", "Xếp hạng chung cuộc chỉ dùng khi có từ hai đợt thi."));
            }
        }
        self.validate_event(errors);
        for (key, message) in self.settings.privacy.problems(self.settings.data_retention.is_some()) {
            errors.push(err(key, message));
        }
        for (i, c) in self.settings.collective_prizes.iter().enumerate() {
            if c.tiers.is_empty() {
                errors.push(err(format!("collective_prizes[{}]", i + 1), "Giải tập thể cần ít nhất một hạng giải."));
            }
            if c.basis == CollectiveBasis::Participants && c.tie_break == CollectiveTie::MoreParticipants {
                errors.push(err(
                    format!("collective_prizes[{}].tie_break", i + 1),
                    "Giải xét theo số người tham gia không thể phân định bằng nhau theo số người tham gia; \
                     hãy chọn \"shared\" (đồng giải) hoặc \"higher_rate\" (tỷ lệ tham gia cao hơn).",
                ));
            }
        }
    }

    /// The event's own rules, and what it needs of the contest: teams are the units', so an
    /// event needs units; its prizes need an event to rank.
    fn validate_event(&self, errors: &mut Vec<DefError>) {
        let Some(event) = &self.settings.event else {
            if !self.settings.event_prizes.is_empty() {
                errors.push(err("event_prizes", "Giải của đội thi cần có hội thi trực tiếp ([event])."));
            }
            return;
        };
        for message in event.validate() {
            // The event's messages begin with where they are (`event.parts[0].step: …`).
            let (path, message) = message.split_once(": ").unwrap_or(("event", message.as_str()));
            errors.push(err(path, message));
        }
        if self.units.is_empty() {
            errors.push(err("event", "Hội thi trực tiếp cần danh sách đơn vị: mỗi đơn vị có một đội thi."));
        }
        for (i, p) in self.settings.event_prizes.iter().enumerate() {
            if p.count == 0 || p.amount_vnd < 0 {
                errors
                    .push(err(format!("event_prizes[{}]", i + 1), "Số giải phải lớn hơn 0 và giá trị giải không âm."));
            }
        }
    }

    /// The definition that exports a stored contest, so `contest export` round-trips `contest import`.
    pub fn from_spec(spec: &ContestSpec) -> ContestDef {
        ContestDef {
            slug: spec.slug.clone(),
            title: spec.title.clone(),
            organiser: spec.organiser.clone(),
            summary: spec.summary.clone(),
            audience: spec.audience.clone(),
            rules: spec.rules.clone(),
            question_bank: None,
            settings: spec.settings.clone(),
            units: spec.units.clone(),
            registered: spec.registered.clone(),
            rounds: spec
                .rounds
                .iter()
                .map(|r| RoundDef {
                    name: r.name.clone(),
                    opens: vntime::format(r.opens_at),
                    closes: vntime::format(r.closes_at),
                    rules: r.rules.clone(),
                })
                .collect(),
        }
    }
}

impl RoundDef {
    fn validate(&self, path: &str, errors: &mut Vec<DefError>) -> Option<RoundSpec> {
        let before = errors.len();
        let opens = vntime::parse(&self.opens).map_err(|m| errors.push(err(format!("{path}.opens"), m))).ok();
        let closes = vntime::parse(&self.closes).map_err(|m| errors.push(err(format!("{path}.closes"), m))).ok();
        if let (Some(o), Some(c)) = (opens, closes)
            && c <= o
        {
            errors.push(err(format!("{path}.closes"), "Thời điểm đóng phải sau thời điểm mở."));
        }
        if text::clean(&self.name).is_empty() {
            errors.push(err(format!("{path}.name"), "Thiếu tên đợt thi."));
        }
        self.rules.validate(path, errors);
        if errors.len() > before {
            return None;
        }
        Some(RoundSpec {
            name: text::clean(&self.name),
            opens_at: opens?,
            closes_at: closes?,
            rules: self.rules.clone(),
        })
    }
}

impl RoundRules {
    fn validate(&self, path: &str, errors: &mut Vec<DefError>) {
        if !(1..=200).contains(&self.questions_per_attempt) {
            errors.push(err(format!("{path}.questions_per_attempt"), "Số câu hỏi mỗi lượt phải từ 1 đến 200."));
        }
        if !(1..=600).contains(&self.time_limit_minutes) {
            errors.push(err(format!("{path}.time_limit_minutes"), "Thời gian làm bài phải từ 1 đến 600 phút."));
        }
        if !(1..=100).contains(&self.attempts_per_person) {
            errors.push(err(format!("{path}.attempts_per_person"), "Số lần thi tối đa phải từ 1 đến 100."));
        }
        if self.grace_seconds > 300 {
            errors.push(err(format!("{path}.grace_seconds"), "Thời gian gia hạn không quá 300 giây."));
        }
        let quota: u32 = self.quotas.iter().map(|q| q.count).sum();
        if quota > self.questions_per_attempt {
            errors.push(err(format!("{path}.quotas"), "Tổng số câu theo chủ đề vượt số câu mỗi lượt."));
        }
        let mut topics = HashSet::new();
        for q in &self.quotas {
            if !topics.insert(q.topic.as_str()) {
                errors.push(err(format!("{path}.quotas"), format!("Chủ đề \"{}\" khai báo hai lần.", q.topic)));
            }
        }
        validate_order(&self.ranking_order, &format!("{path}.ranking_order"), errors);
        if self.ranking_order.contains(&Criterion::PredictionDistanceAsc) && self.tiebreak.is_none() {
            errors.push(err(
                format!("{path}.ranking_order"),
                "Xếp hạng theo câu dự đoán nhưng đợt thi chưa có câu hỏi dự đoán.",
            ));
        }
        for (i, p) in self.prizes.iter().enumerate() {
            if p.count == 0 || p.amount_vnd < 0 {
                errors
                    .push(err(format!("{path}.prizes[{}]", i + 1), "Số giải phải lớn hơn 0 và giá trị giải không âm."));
            }
        }
    }

    pub fn time_limit_ms(&self) -> i64 {
        i64::from(self.time_limit_minutes) * 60_000
    }
}

fn validate_order(order: &[Criterion], path: &str, errors: &mut Vec<DefError>) {
    let mut seen = HashSet::new();
    if order.is_empty() {
        errors.push(err(path, "Cần ít nhất một tiêu chí xếp hạng."));
    }
    for c in order {
        if !seen.insert(*c) {
            errors.push(err(path, "Một tiêu chí xếp hạng khai báo hai lần."));
        }
    }
}

fn validate_units(units: &[UnitSpec], errors: &mut Vec<DefError>) {
    let mut codes = HashSet::new();
    for (i, u) in units.iter().enumerate() {
        if u.code.trim().is_empty() || !codes.insert(u.code.as_str()) {
            errors.push(err(format!("units[{}].code", i + 1), format!("Mã đơn vị \"{}\" trống hoặc trùng.", u.code)));
        }
    }
    for (i, u) in units.iter().enumerate() {
        if let Some(p) = &u.parent
            && !codes.contains(p.as_str())
        {
            errors.push(err(format!("units[{}].parent", i + 1), format!("Không có đơn vị cấp trên mã \"{p}\".")));
        }
        // A cycle would make "a unit and its sub-units" endless.
        let mut seen = HashSet::new();
        let mut at = Some(u);
        while let Some(x) = at {
            if !seen.insert(x.code.as_str()) {
                errors.push(err(format!("units[{}].parent", i + 1), "Cây đơn vị có vòng lặp."));
                break;
            }
            at = x.parent.as_ref().and_then(|p| units.iter().find(|y| &y.code == p));
        }
    }
}

fn is_slug(s: &str) -> bool {
    (3..=60).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

impl ContestSpec {
    /// The units below `code`, itself included: what a unit coordinator and a collective prize see.
    pub fn subtree(&self, code: &str) -> Vec<&UnitSpec> {
        let mut out: Vec<&UnitSpec> = self.units.iter().filter(|u| u.code == code).collect();
        let mut i = 0;
        while i < out.len() {
            let c = out[i].code.clone();
            out.extend(self.units.iter().filter(|u| u.parent.as_deref() == Some(c.as_str())));
            i += 1;
        }
        out
    }
}

/// Why an edit of a contest that has begun would be unfair to the people who already took part:
/// once a round has opened, what decides a score or a place (questions, quotas, time, attempts,
/// grace, tiebreak, ranking order, opening time) and who may take part stay as they were. Texts,
/// prizes (approved later by the committee) and a later close stay editable, and are audited.
pub fn unfair_changes(old: &ContestSpec, new: &ContestSpec, now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    let started = old.rounds.iter().any(|r| r.opens_at <= now);
    if started {
        let (a, b) = (&old.settings.eligibility, &new.settings.eligibility);
        if a.required_fields != b.required_fields
            || a.identity_key != b.identity_key
            || a.min_age != b.min_age
            || a.groups != b.groups
            || a.registered_only != b.registered_only
        {
            out.push("Cuộc thi đã bắt đầu: không được đổi điều kiện dự thi (thông tin bắt buộc, cách định danh, tuổi tối thiểu, đối tượng, danh sách đăng ký).".into());
        }
        if old.slug != new.slug {
            out.push(
                "Cuộc thi đã bắt đầu: không được đổi địa chỉ (slug) vì người dự thi đã dùng đường dẫn này.".into(),
            );
        }
    }
    for (i, was) in old.rounds.iter().enumerate() {
        if was.opens_at > now {
            continue;
        }
        let label = format!("Đợt {} ({})", i + 1, was.name);
        let Some(is) = new.rounds.get(i) else {
            out.push(format!("{label} đã mở: không được xoá đợt thi."));
            continue;
        };
        let (a, b) = (&was.rules, &is.rules);
        let mut changed = Vec::new();
        if a.questions_per_attempt != b.questions_per_attempt || a.quotas != b.quotas {
            changed.push("số câu hỏi và cơ cấu chủ đề");
        }
        if a.time_limit_minutes != b.time_limit_minutes || a.grace_seconds != b.grace_seconds {
            changed.push("thời gian làm bài");
        }
        if a.attempts_per_person != b.attempts_per_person {
            changed.push("số lượt thi");
        }
        if a.tiebreak.as_ref().map(|t| t.predicts) != b.tiebreak.as_ref().map(|t| t.predicts) {
            changed.push("câu hỏi dự đoán");
        }
        if a.ranking_order != b.ranking_order {
            changed.push("thứ tự xếp hạng");
        }
        if was.opens_at != is.opens_at {
            changed.push("thời điểm mở");
        }
        if !changed.is_empty() {
            out.push(format!("{label} đã mở: không được đổi {}.", changed.join(", ")));
        }
        if is.closes_at < was.closes_at && was.closes_at <= now {
            out.push(format!("{label} đã kết thúc: không được rút ngắn thời gian thi."));
        } else if is.closes_at < was.closes_at && is.closes_at < now {
            out.push(format!(
                "{label}: thời điểm kết thúc mới đã qua; chỉ được kéo dài hoặc kết thúc từ bây giờ trở đi."
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
slug = "thu-nghiem"
title = "Cuộc thi thử nghiệm"
organiser = "Sở Khoa học và Công nghệ"

[[units]]
code = "A"
name = "Đơn vị A"
headcount = 10

[[units]]
code = "A1"
name = "Phòng A1"
parent = "A"

[[rounds]]
name = "Đợt 1"
opens = "10:00 10/10/2024"
closes = "17:00 30/10/2024"
questions_per_attempt = 30
time_limit_minutes = 30
attempts_per_person = 2
tiebreak = { prompt = "Dự đoán có bao nhiêu người tham gia dự thi?", predicts = "people" }
prizes = [{ name = "Giải Nhất", count = 1, amount_vnd = 3000000 }]
"#;

    #[test]
    fn reads_and_round_trips_a_definition() {
        let def = ContestDef::from_toml(MINIMAL).unwrap();
        let spec = def.validate().unwrap();
        assert_eq!(spec.rounds[0].rules.ranking_order, Criterion::default_order());
        assert_eq!(spec.rounds[0].opens_at.to_rfc3339(), "2024-10-10T03:00:00+00:00");
        let again = ContestDef::from_toml(&ContestDef::from_spec(&spec).to_toml()).unwrap().validate().unwrap();
        assert_eq!(again, spec);
        assert_eq!(spec.subtree("A").len(), 2);
    }

    #[test]
    fn lists_every_problem() {
        let bad = MINIMAL
            .replace("thu-nghiem", "Thử nghiệm")
            .replace("closes = \"17:00 30/10/2024\"", "closes = \"17:00 30/09/2024\"")
            .replace("parent = \"A\"", "parent = \"Z\"");
        let errors = ContestDef::from_toml(&bad).unwrap().validate().unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"slug"), "{errors:?}");
        assert!(paths.contains(&"rounds[1].closes"), "{errors:?}");
        assert!(paths.contains(&"units[2].parent"), "{errors:?}");
    }

    const EVENT: &str = r#"
[event]
name = "Hội thi trực tiếp"
max_team_size = 5
aggregation = { method = "mean", decimals = 2, round_at = "total" }
tie_breaks = ["kien-thuc"]

[[event.parts]]
key = "gioi-thieu"
name = "Giới thiệu đội thi"
kind = "judged"
step = 0.25
criteria = [{ key = "noi-dung", name = "Nội dung", max = 40 }, { key = "trinh-bay", name = "Trình bày", max = 30 }]

[[event.parts]]
key = "kien-thuc"
name = "Tìm hiểu kiến thức"
kind = "knowledge"
questions = 5
points = 10
seconds_per_question = 30
answering = 3

[[event_prizes]]
name = "Giải Nhất"
count = 1
"#;

    /// The event is read with the rest of the definition, checked with it (its own rules and
    /// the units its teams come from), and written back by `contest export`.
    #[test]
    fn an_event_is_read_checked_and_round_trips() {
        let spec = ContestDef::from_toml(&format!("{MINIMAL}{EVENT}")).unwrap().validate().unwrap();
        let event = spec.settings.event.as_ref().expect("the event");
        assert_eq!((event.parts.len(), event.max_team_size), (2, 5));
        assert_eq!(spec.settings.event_prizes[0].name, "Giải Nhất");
        let again = ContestDef::from_toml(&ContestDef::from_spec(&spec).to_toml()).unwrap().validate().unwrap();
        assert_eq!(again, spec);

        let broken = EVENT.replace("answering = 3", "answering = 9").replace("step = 0.25", "step = 0.3");
        let errors = ContestDef::from_toml(&format!("{MINIMAL}{broken}")).unwrap().validate().unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"event.parts[0].step") && paths.contains(&"event.parts[1].answering"), "{errors:?}");
        let without_units = MINIMAL.split("[[units]]").next().unwrap().to_string()
            + MINIMAL.split_once("[[rounds]]").map(|(_, r)| format!("[[rounds]]{r}")).unwrap().as_str();
        let errors = ContestDef::from_toml(&format!("{without_units}{EVENT}")).unwrap().validate().unwrap_err();
        assert!(errors.iter().any(|e| e.path == "event" && e.message.contains("đơn vị")), "{errors:?}");
        let prizes_alone = format!("{MINIMAL}\n[[event_prizes]]\nname = \"Giải Nhất\"\ncount = 1\n");
        let errors = ContestDef::from_toml(&prizes_alone).unwrap().validate().unwrap_err();
        assert_eq!(errors[0].path, "event_prizes");
        let typo = EVENT.replace("max_team_size", "max_team");
        assert!(ContestDef::from_toml(&format!("{MINIMAL}{typo}")).is_err(), "a mistyped key is refused");
    }

    #[test]
    fn an_identity_that_is_only_a_public_number_is_refused() {
        for key in ["phone", "cccd", "email"] {
            let toml = MINIMAL.replacen(
                "[[units]]",
                &format!(
                    "[eligibility]\nrequired_fields = [\"full_name\", \"{key}\"]\nidentity_key = \"{key}\"\n\n[[units]]"
                ),
                1,
            );
            let errors = ContestDef::from_toml(&toml).unwrap().validate().unwrap_err();
            let e = errors.iter().find(|e| e.path == "eligibility.required_fields").expect("refused");
            assert!(e.message.contains("\"date_of_birth\" (ngày sinh)"), "{}", e.message);
        }
        let with_date = MINIMAL.replacen(
            "[[units]]",
            "[eligibility]\nrequired_fields = [\"full_name\", \"date_of_birth\", \"phone\"]\nidentity_key = \"phone\"\n\n[[units]]",
            1,
        );
        assert!(ContestDef::from_toml(&with_date).unwrap().validate().is_ok());
    }

    /// A collective tie rule that cannot separate units (more participants, when the prize ranks
    /// by participants) is refused, and so is a rule the format does not know.
    #[test]
    fn a_collective_tie_rule_must_be_able_to_decide() {
        let with = |rule: &str| {
            format!(
                "{MINIMAL}\n[[collective_prizes]]\nname = \"Giải tập thể\"\nbasis = \"participants\"\n\
                 tie_break = \"{rule}\"\ntiers = [{{ name = \"Giải Nhất\", count = 1 }}]\n"
            )
        };
        assert!(ContestDef::from_toml(&with("shared")).unwrap().validate().is_ok());
        let errors = ContestDef::from_toml(&with("more_participants")).unwrap().validate().unwrap_err();
        assert_eq!(errors[0].path, "collective_prizes[1].tie_break");
        assert!(ContestDef::from_toml(&with("unit_code")).is_err(), "an unknown rule is refused");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = ContestDef::from_toml(&MINIMAL.replace("organiser =", "organizer =")).unwrap_err();
        assert!(e[0].message.contains("TOML"));
    }

    #[test]
    fn an_opened_round_keeps_what_decides_scores() {
        let def = ContestDef::from_toml(include_str!("../../../examples/contests/000-quang-ninh-2024.toml")).unwrap();
        let old = def.validate().unwrap();
        let before_opening = old.rounds[0].opens_at - chrono::Duration::minutes(1);
        let after_opening = old.rounds[0].opens_at + chrono::Duration::minutes(1);
        let mut new = old.clone();
        new.rounds[0].rules.time_limit_minutes += 5;
        new.rounds[0].name = "Đợt mới".into();
        assert!(unfair_changes(&old, &new, before_opening).is_empty());
        let why = unfair_changes(&old, &new, after_opening);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(why[0].contains("thời gian làm bài"));

        let mut texts_only = old.clone();
        texts_only.title = "Tiêu đề mới".into();
        texts_only.rounds[0].name = "Tên mới".into();
        texts_only.rounds[0].closes_at += chrono::Duration::days(2);
        assert!(unfair_changes(&old, &texts_only, after_opening).is_empty());

        let mut dropped = old.clone();
        dropped.rounds.clear();
        assert!(unfair_changes(&old, &dropped, after_opening)[0].contains("không được xoá"));
    }
}
