//! The in-person event (hội thi trực tiếp, seed 002 §II.3): teams (đội thi) of a contest's units
//! perform parts (phần thi) in a hall; judged parts are scored on criteria by a jury (Ban Giám
//! khảo) on score sheets (phiếu chấm), the knowledge round is answered from question sets drawn
//! by lot (bốc thăm). The team total and the ranking are a deterministic function of the stored
//! sheets, answers, adjustments and lots ([`aggregate`]); lots are drawn from a recorded seed
//! ([`lots`]), so the committee can replay any of them.
//!
//! Uses `draw` (the seeded generator) and nothing else of the crate.

pub mod aggregate;
mod exact;
pub mod lots;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use exact::Exact;

/// Points in hundredths (7,25 → 725): judges score in steps of 0,25 or 0,5, never finer, so
/// every score is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Points(i64);

impl Points {
    pub const fn hundredths(h: i64) -> Points {
        Points(h)
    }

    pub const fn as_hundredths(self) -> i64 {
        self.0
    }

    pub fn exact(self) -> Exact {
        Exact::from_hundredths(self.0)
    }

    /// Reads what a judge or secretary types: `7`, `7,5`, `7.25`, `-1` (a penalty); at most two
    /// decimals.
    pub fn parse(text: &str) -> Result<Points, String> {
        let t = text.trim().replace(',', ".");
        let bad = || format!("\"{}\" không phải là số điểm (ví dụ 7,5).", text.trim());
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, t),
        };
        let (whole, frac) = match t.split_once('.') {
            Some((_, "")) => return Err(bad()),
            Some(parts) => parts,
            None => (t.as_str(), ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if frac.len() > 2 {
            return Err(format!("\"{}\": điểm chỉ có tối đa hai chữ số thập phân.", text.trim()));
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let h = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).filter(|h| *h <= 1_000_000).ok_or_else(bad)?;
        Ok(Points(if negative { -h } else { h }))
    }
}

impl TryFrom<f64> for Points {
    type Error = String;

    /// From a definition file (`max = 40`, `step = 0.25`): hundredths exactly, or refused.
    fn try_from(f: f64) -> Result<Points, String> {
        let h = (f * 100.0).round();
        if !f.is_finite() || (f * 100.0 - h).abs() > 1e-6 || h.abs() > 1e6 {
            return Err(format!("{f} không phải là số điểm có tối đa hai chữ số thập phân."));
        }
        Points::parse(&format!("{f}"))
    }
}

impl From<Points> for f64 {
    fn from(p: Points) -> f64 {
        // Hundredths of at most a million points: exact in an f64.
        f64::from(i32::try_from(p.0).unwrap_or(i32::MAX)) / 100.0
    }
}

/// One criterion of a judged part (tiêu chí chấm), with its maximum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub key: String,
    pub name: String,
    pub max: Points,
}

/// How a part is scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartKind {
    /// Judges score each criterion, in steps of `step` (0,25 or 0,5), up to its maximum.
    Judged { criteria: Vec<Criterion>, step: Points },
    /// The knowledge round: each team answers the question set its lot gives it; `points` per
    /// correct answer; at most `answering` members answer (seed 002: 3).
    Knowledge { questions: u32, points: Points, seconds_per_question: u32, answering: u32 },
}

/// A part of the event (phần thi) and its weight in the total, in percent (100: counted once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PartFile", into = "PartFile")]
pub struct PartSpec {
    pub key: String,
    pub name: String,
    pub weight_percent: u32,
    pub kind: PartKind,
}

/// A part as the definition file writes it: one table whose `kind` says which keys it has, and
/// no other key (serde's `flatten` would let a mistyped key pass).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum PartFile {
    Judged {
        key: String,
        name: String,
        #[serde(default = "full_weight")]
        weight_percent: u32,
        criteria: Vec<Criterion>,
        step: Points,
    },
    Knowledge {
        key: String,
        name: String,
        #[serde(default = "full_weight")]
        weight_percent: u32,
        questions: u32,
        points: Points,
        seconds_per_question: u32,
        answering: u32,
    },
}

const fn full_weight() -> u32 {
    100
}

impl From<PartFile> for PartSpec {
    fn from(f: PartFile) -> PartSpec {
        match f {
            PartFile::Judged { key, name, weight_percent, criteria, step } => {
                PartSpec { key, name, weight_percent, kind: PartKind::Judged { criteria, step } }
            }
            PartFile::Knowledge { key, name, weight_percent, questions, points, seconds_per_question, answering } => {
                PartSpec {
                    key,
                    name,
                    weight_percent,
                    kind: PartKind::Knowledge { questions, points, seconds_per_question, answering },
                }
            }
        }
    }
}

impl From<PartSpec> for PartFile {
    fn from(p: PartSpec) -> PartFile {
        let PartSpec { key, name, weight_percent, kind } = p;
        match kind {
            PartKind::Judged { criteria, step } => PartFile::Judged { key, name, weight_percent, criteria, step },
            PartKind::Knowledge { questions, points, seconds_per_question, answering } => {
                PartFile::Knowledge { key, name, weight_percent, questions, points, seconds_per_question, answering }
            }
        }
    }
}

/// How the judges' scores of one criterion become one score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The mean of every judge's score.
    Mean,
    /// With at least `min_judges` scores, the highest and the lowest are dropped first (one each,
    /// by value, per criterion); with fewer, the plain mean.
    TrimmedMean { min_judges: u32 },
}

/// Where the stated rounding happens: each criterion's mean, each part's score, or only the
/// total. The total is always rounded to the same decimals, and the ranking compares what is
/// shown, so that two teams shown equal are equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundAt {
    Criterion,
    Part,
    Total,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AggregationFile", into = "AggregationFile")]
pub struct Aggregation {
    pub method: Method,
    /// Decimals kept, 0 to 2.
    pub decimals: u32,
    pub round_at: RoundAt,
}

/// `aggregation = { method = "trimmed_mean", min_judges = 5, decimals = 2, round_at = "criterion" }`
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregationFile {
    method: MethodName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_judges: Option<u32>,
    decimals: u32,
    round_at: RoundAt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MethodName {
    Mean,
    TrimmedMean,
}

impl TryFrom<AggregationFile> for Aggregation {
    type Error = String;

    fn try_from(f: AggregationFile) -> Result<Aggregation, String> {
        let method = match (f.method, f.min_judges) {
            (MethodName::Mean, None) => Method::Mean,
            (MethodName::Mean, Some(_)) => return Err("min_judges chỉ dùng với method = \"trimmed_mean\".".into()),
            (MethodName::TrimmedMean, n) => Method::TrimmedMean { min_judges: n.unwrap_or(3) },
        };
        Ok(Aggregation { method, decimals: f.decimals, round_at: f.round_at })
    }
}

impl From<Aggregation> for AggregationFile {
    fn from(a: Aggregation) -> AggregationFile {
        let (method, min_judges) = match a.method {
            Method::Mean => (MethodName::Mean, None),
            Method::TrimmedMean { min_judges } => (MethodName::TrimmedMean, Some(min_judges)),
        };
        AggregationFile { method, min_judges, decimals: a.decimals, round_at: a.round_at }
    }
}

/// The in-person event of a contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub name: String,
    /// Members a team may register at most.
    pub max_team_size: u32,
    pub parts: Vec<PartSpec>,
    pub aggregation: Aggregation,
    /// Part keys compared, in order, when totals are equal; a lot drawn by the committee decides
    /// what they leave tied.
    #[serde(default)]
    pub tie_breaks: Vec<String>,
}

impl EventSpec {
    /// Every problem of the definition, in Vietnamese, each naming where it is.
    pub fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.max_team_size == 0 {
            errors.push("event.max_team_size: một đội phải có ít nhất 1 thành viên.".to_string());
        }
        if self.parts.is_empty() {
            errors.push("event.parts: hội thi cần ít nhất một phần thi.".to_string());
        }
        if self.aggregation.decimals > 2 {
            errors.push("event.aggregation.decimals: chỉ làm tròn đến 0, 1 hoặc 2 chữ số thập phân.".to_string());
        }
        if let Method::TrimmedMean { min_judges } = self.aggregation.method
            && min_judges < 3
        {
            errors.push(
                "event.aggregation.min_judges: bỏ điểm cao nhất và thấp nhất cần ít nhất 3 giám khảo.".to_string(),
            );
        }
        let mut keys = BTreeSet::new();
        for (i, part) in self.parts.iter().enumerate() {
            let at = format!("event.parts[{i}]");
            if !keys.insert(part.key.as_str()) {
                errors.push(format!("{at}.key: mã phần thi \"{}\" bị trùng.", part.key));
            }
            if part.weight_percent == 0 {
                errors.push(format!("{at}.weight_percent: trọng số phải lớn hơn 0."));
            }
            errors.extend(validate_kind(&at, &part.kind, self.max_team_size));
        }
        for key in &self.tie_breaks {
            if !keys.contains(key.as_str()) {
                errors.push(format!("event.tie_breaks: không có phần thi \"{key}\"."));
            }
        }
        errors
    }

    pub fn part(&self, key: &str) -> Option<&PartSpec> {
        self.parts.iter().find(|p| p.key == key)
    }
}

fn validate_kind(at: &str, kind: &PartKind, max_team_size: u32) -> Vec<String> {
    let mut errors = Vec::new();
    match kind {
        PartKind::Judged { criteria, step } => {
            if criteria.is_empty() {
                errors.push(format!("{at}.criteria: phần thi chấm điểm cần ít nhất một tiêu chí."));
            }
            if ![25, 50, 100].contains(&step.as_hundredths()) {
                errors.push(format!("{at}.step: bước điểm là 0,25, 0,5 hoặc 1."));
            }
            let mut keys = BTreeSet::new();
            for (j, c) in criteria.iter().enumerate() {
                if !keys.insert(c.key.as_str()) {
                    errors.push(format!("{at}.criteria[{j}].key: mã tiêu chí \"{}\" bị trùng.", c.key));
                }
                if c.max.as_hundredths() <= 0 || c.max.as_hundredths() % step.as_hundredths().max(1) != 0 {
                    errors.push(format!("{at}.criteria[{j}].max: điểm tối đa phải dương và là bội của bước điểm."));
                }
            }
        }
        PartKind::Knowledge { questions, points, answering, .. } => {
            if *questions == 0 {
                errors.push(format!("{at}.questions: mỗi đội cần ít nhất một câu hỏi."));
            }
            if points.as_hundredths() <= 0 {
                errors.push(format!("{at}.points: điểm mỗi câu đúng phải dương."));
            }
            if *answering == 0 || *answering > max_team_size {
                errors.push(format!("{at}.answering: số người trả lời phải từ 1 đến số thành viên của đội."));
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_read_as_typed_and_refused_in_vietnamese() {
        assert_eq!(Points::parse("7,5"), Ok(Points(750)));
        assert_eq!(Points::parse(" 7.25 "), Ok(Points(725)));
        assert_eq!(Points::parse("40"), Ok(Points(4000)));
        assert_eq!(Points::parse("-1"), Ok(Points(-100)));
        assert!(Points::parse("7,125").unwrap_err().contains("hai chữ số"));
        for bad in ["", "abc", "7,", ",5", "1e3", "--1", "7 5", "99999999999"] {
            assert!(Points::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Points::try_from(0.25), Ok(Points(25)));
        assert!(Points::try_from(0.125).is_err());
        assert_eq!(f64::from(Points(725)), 7.25);
    }

    #[test]
    fn a_definition_is_checked_whole() {
        let spec: EventSpec = toml::from_str(
            r#"
            name = "Hội thi"
            max_team_size = 5
            tie_breaks = ["kien-thuc", "khong-co"]
            aggregation = { method = "trimmed_mean", min_judges = 2, decimals = 3, round_at = "part" }
            [[parts]]
            key = "gioi-thieu"
            name = "Giới thiệu đội và sáng kiến"
            kind = "judged"
            step = 0.3
            criteria = [{ key = "noi-dung", name = "Nội dung", max = 40 }, { key = "noi-dung", name = "Khác", max = 30 }]
            [[parts]]
            key = "kien-thuc"
            name = "Kiến thức"
            kind = "knowledge"
            questions = 5
            points = 10
            seconds_per_question = 30
            answering = 6
            "#,
        )
        .expect("parses");
        let errors = spec.validate();
        for want in ["decimals", "min_judges", "step", "bị trùng", "answering", "khong-co"] {
            assert!(errors.iter().any(|e| e.contains(want)), "{want} missing from {errors:#?}");
        }
        let typo = "key = \"a\"\nname = \"A\"\nkind = \"knowledge\"\nquestions = 5\npoints = 10\nseconds_per_question = 30\nanswering = 3\nanswring = 4";
        assert!(toml::from_str::<PartSpec>(typo).is_err(), "a mistyped key is refused");
    }
}
