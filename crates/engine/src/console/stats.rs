//! Live statistics (thống kê trực tiếp): counting attempts into counters as they happen (in the
//! background, a batch at a time), the console's dashboard built from the counters and the
//! statistics workbook. No view scans the attempts; the public live counter is
//! `shared::counters`.

use std::collections::HashMap;

use cuocthi_domain::contest::Predicts;
use cuocthi_domain::stats::{CONTEST, Measures};
use cuocthi_store::{CounterRow, RoundPhase};
use serde::Serialize;

use crate::console::access::{Action, Staff};
use crate::shared::catalog::CachedContest;
use crate::shared::counters::{BATCH, pick};
use crate::shared::naming::locality_name;
use crate::{Engine, EngineError, Result};

/// A labelled figure of a chart or a table.
#[derive(Clone, Debug, Serialize)]
pub struct Bar {
    pub label: String,
    pub value: i64,
}

/// A unit at the top of the tree with its sub-units' participation.
#[derive(Clone, Debug, Serialize)]
pub struct UnitFigure {
    pub code: String,
    pub name: String,
    pub people: i64,
    pub completed: i64,
    pub headcount: Option<i64>,
    /// People per thousand of headcount (‰).
    pub rate_permille: Option<i64>,
}

/// Everything the dashboard shows for a contest and one of its rounds.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    pub round_number: i64,
    pub round_name: String,
    pub phase: &'static str,
    pub contest: Measures,
    pub round: Measures,
    /// Attempts started per day (Vietnam dates), oldest first.
    pub by_day: Vec<Bar>,
    /// Attempts started per hour over the last 48 hours with any.
    pub by_hour: Vec<Bar>,
    /// Submitted attempts per number of correct answers, 0 to the question count.
    pub scores: Vec<Bar>,
    pub units_by_people: Vec<UnitFigure>,
    pub units_by_rate: Vec<UnitFigure>,
    pub localities: Vec<Bar>,
    pub groups: Vec<Bar>,
    /// The tiebreak's real figure so far, for organisers while the round is open (after it
    /// closes, the frozen figure is public anyway).
    pub figure_so_far: Option<(String, i64)>,
}

impl Engine {
    /// Counts every attempt whose start or submission is not counted yet; returns how many.
    pub async fn count_attempts(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.store.count_attempts(BATCH).await?;
            total += n;
            if i64::try_from(n).is_ok_and(|n| n < BATCH) {
                return Ok(total);
            }
        }
    }

    /// Counts a contest's attempts again from the start (after a voided question changed scores,
    /// or people were merged).
    pub async fn recount_statistics(&self, contest_id: i64) -> Result<usize> {
        self.store.reset_counters(contest_id).await?;
        self.count_attempts().await
    }

    /// The dashboard of round `number` (the first without one).
    pub async fn dashboard(&self, by: &Staff, slug: &str, number: Option<i64>) -> Result<Dashboard> {
        let c = self.contest_for(by, slug, Action::ViewStatistics).await?;
        let round = match number {
            Some(n) => c.stored.rounds.iter().find(|r| r.number == n),
            None => c.stored.rounds.first(),
        }
        .ok_or(EngineError::NotFound("đợt thi"))?;
        let rows = self.store.counters(c.stored.contest.id, Some(round.id)).await?;
        let of_dim = |round_id: i64, dim: &str| -> Vec<&CounterRow> {
            rows.iter().filter(|r| r.round_id == round_id && r.dim == dim).collect()
        };
        let mut days = of_dim(round.id, "day");
        days.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        let by_day: Vec<Bar> = days.iter().map(|r| Bar { label: short_day(&r.bucket), value: r.attempts }).collect();
        let mut hours: Vec<&CounterRow> = of_dim(round.id, "hour");
        hours.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        let by_hour = hours
            .iter()
            .skip(hours.len().saturating_sub(48))
            .map(|r| Bar { label: short_hour(&r.bucket), value: r.attempts })
            .collect();
        let questions = i64::from(round.rules.questions_per_attempt);
        let score_of: HashMap<i64, i64> = of_dim(round.id, "score")
            .into_iter()
            .filter_map(|r| r.bucket.parse::<i64>().ok().map(|k| (k, r.completed)))
            .collect();
        let scores = (0..=questions)
            .map(|k| Bar { label: k.to_string(), value: score_of.get(&k).copied().unwrap_or(0) })
            .collect();
        let units = unit_figures(&c, &of_dim(CONTEST, "unit"));
        let mut units_by_people = units.clone();
        units_by_people.sort_by(|a, b| b.people.cmp(&a.people).then(a.name.cmp(&b.name)));
        units_by_people.truncate(10);
        let mut units_by_rate: Vec<UnitFigure> = units.into_iter().filter(|u| u.rate_permille.is_some()).collect();
        units_by_rate.sort_by(|a, b| b.rate_permille.cmp(&a.rate_permille).then(a.name.cmp(&b.name)));
        units_by_rate.truncate(10);
        let mut localities: Vec<Bar> = of_dim(CONTEST, "locality")
            .into_iter()
            .map(|r| Bar {
                label: locality_name(&c, Some(&r.bucket)).unwrap_or_else(|| r.bucket.clone()),
                value: r.people,
            })
            .collect();
        localities.sort_by(|a, b| b.value.cmp(&a.value).then(a.label.cmp(&b.label)));
        localities.truncate(15);
        let group_names: HashMap<&str, &str> =
            c.spec.settings.eligibility.groups.iter().map(|g| (g.code.as_str(), g.name.as_str())).collect();
        let mut groups: Vec<Bar> = of_dim(CONTEST, "group")
            .into_iter()
            .map(|r| Bar {
                label: group_names.get(r.bucket.as_str()).map(|n| n.to_string()).unwrap_or_else(|| r.bucket.clone()),
                value: r.people,
            })
            .collect();
        groups.sort_by_key(|b| std::cmp::Reverse(b.value));
        let measures = pick(&rows, round.id, "all", "");
        let phase = round.phase(self.now());
        let figure_so_far = match (&round.rules.tiebreak, phase) {
            (Some(t), RoundPhase::Open) if by.can(Action::ManageResults, Some(c.stored.contest.id)) => {
                Some(match t.predicts {
                    Predicts::People => ("Số người đã nộp bài".to_string(), measures.finishers),
                    Predicts::Attempts => ("Số lượt đã nộp bài".to_string(), measures.completed),
                    Predicts::FullScorePeople => {
                        ("Số người đạt điểm tuyệt đối".to_string(), measures.full_score_people)
                    }
                })
            }
            _ => None,
        };
        Ok(Dashboard {
            round_number: round.number,
            round_name: round.name.clone(),
            phase: match phase {
                RoundPhase::Upcoming => "Chưa mở",
                RoundPhase::Open => "Đang mở",
                RoundPhase::Closed => "Đã kết thúc",
            },
            contest: pick(&rows, CONTEST, "all", ""),
            round: measures,
            by_day,
            by_hour,
            scores,
            units_by_people,
            units_by_rate,
            localities,
            groups,
            figure_so_far,
        })
    }
}

/// The units at the top of the tree, each with its own and its sub-units' people.
pub(crate) fn unit_figures(c: &CachedContest, unit_rows: &[&CounterRow]) -> Vec<UnitFigure> {
    let by_code: HashMap<&str, &CounterRow> = unit_rows.iter().map(|r| (r.bucket.as_str(), *r)).collect();
    c.spec
        .units
        .iter()
        .filter(|u| u.parent.is_none())
        .map(|top| {
            let mut people = 0;
            let mut completed = 0;
            for u in c.spec.subtree(&top.code) {
                if let Some(r) = by_code.get(u.code.as_str()) {
                    people += r.people;
                    completed += r.completed;
                }
            }
            let headcount = top.headcount.map(i64::from);
            UnitFigure {
                code: top.code.clone(),
                name: top.name.clone(),
                people,
                completed,
                headcount,
                rate_permille: headcount.filter(|h| *h > 0).map(|h| (people * 1000 / h).min(1000)),
            }
        })
        .collect()
}

/// `2026-03-10` → `10/03`.
fn short_day(iso: &str) -> String {
    match (iso.get(8..10), iso.get(5..7)) {
        (Some(d), Some(m)) => format!("{d}/{m}"),
        _ => iso.to_string(),
    }
}

/// `2026-03-10 14` → `14h 10/03`.
fn short_hour(bucket: &str) -> String {
    match bucket.split_once(' ') {
        Some((day, h)) => format!("{h}h {}", short_day(day)),
        None => bucket.to_string(),
    }
}

/// The Vietnam date a counter's day bucket names, for reports.
pub fn day_of(bucket: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(bucket, "%Y-%m-%d").ok()
}

impl Engine {
    /// The statistics workbook of round `number`: participation by unit (every unit, with its
    /// headcount), locality, participant group and day, and the question statistics.
    pub async fn statistics_workbook(&self, by: &Staff, slug: &str, number: i64) -> Result<Vec<u8>> {
        use crate::console::exports::{sheet, xlsx};
        let c = self.contest_for(by, slug, Action::ViewStatistics).await?;
        let round =
            c.stored.rounds.iter().find(|r| r.number == number).ok_or(EngineError::NotFound("đợt thi"))?.clone();
        self.count_attempts().await?;
        let rows = self.store.counters(c.stored.contest.id, Some(round.id)).await?;
        let of = |round_id: i64, dim: &str| -> HashMap<String, Measures> {
            rows.iter()
                .filter(|r| r.round_id == round_id && r.dim == dim)
                .map(|r| (r.bucket.clone(), r.measures()))
                .collect()
        };
        let n = |v: i64| v.to_string();
        let units = of(CONTEST, "unit");
        let unit_rows: Vec<Vec<String>> = c
            .spec
            .units
            .iter()
            .map(|u| {
                let mut m = Measures::default();
                for s in c.spec.subtree(&u.code) {
                    if let Some(x) = units.get(&s.code) {
                        m.add(x);
                    }
                }
                let rate = u
                    .headcount
                    .filter(|h| *h > 0)
                    .map(|h| format!("{:.1}%", (m.people as f64 * 100.0 / f64::from(h)).min(100.0)))
                    .unwrap_or_default();
                vec![
                    u.code.clone(),
                    u.name.clone(),
                    u.parent.clone().unwrap_or_default(),
                    u.headcount.map(|h| h.to_string()).unwrap_or_default(),
                    n(m.people),
                    n(m.attempts),
                    n(m.completed),
                    rate,
                ]
            })
            .collect();
        let named = |dim: &str, name: &dyn Fn(&str) -> String| -> Vec<Vec<String>> {
            let mut v: Vec<(String, Measures)> = of(CONTEST, dim).into_iter().collect();
            v.sort_by(|a, b| b.1.people.cmp(&a.1.people).then(a.0.cmp(&b.0)));
            v.into_iter().map(|(k, m)| vec![name(&k), n(m.people), n(m.attempts), n(m.completed)]).collect()
        };
        let localities = named("locality", &|k| locality_name(&c, Some(k)).unwrap_or_else(|| k.to_string()));
        let groups: HashMap<&str, &str> =
            c.spec.settings.eligibility.groups.iter().map(|g| (g.code.as_str(), g.name.as_str())).collect();
        let group_rows = named("group", &|k| groups.get(k).map(|s| s.to_string()).unwrap_or_else(|| k.to_string()));
        let mut days: Vec<(String, Measures)> = of(round.id, "day").into_iter().collect();
        days.sort_by(|a, b| a.0.cmp(&b.0));
        let day_rows: Vec<Vec<String>> = days
            .into_iter()
            .map(|(d, m)| {
                let shown = day_of(&d).map(vntime_date).unwrap_or(d);
                vec![shown, n(m.people), n(m.attempts), n(m.completed), n(m.full_scores)]
            })
            .collect();
        let items = self.item_analysis_unchecked(&c, &round).await?;
        let item_rows: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                let mut row = vec![
                    i.question_id.to_string(),
                    i.topic.clone(),
                    i.stem.clone(),
                    i.asked.to_string(),
                    format!("{:.1}%", i.correct_percent),
                    i.discrimination.map(|d| format!("{d:.2}")).unwrap_or_default(),
                ];
                for l in 0..4 {
                    row.push(
                        i.options
                            .get(l)
                            .map(|o| format!("{:.1}%{}", o.share_percent, if o.is_key { " (đáp án)" } else { "" }))
                            .unwrap_or_default(),
                    );
                }
                row.push(i.flag.clone().unwrap_or_default());
                row
            })
            .collect();
        let mut book = rust_xlsxwriter::Workbook::new();
        let count = [("Người tham gia", 16.0), ("Lượt thi", 12.0), ("Lượt đã nộp", 14.0)];
        let unit_heads = [("Mã đơn vị", 14.0), ("Đơn vị", 40.0), ("Thuộc đơn vị", 14.0), ("Số cán bộ", 12.0)];
        let unit_heads: Vec<(&str, f64)> =
            unit_heads.iter().chain(count.iter()).copied().chain([("Tỷ lệ tham gia", 14.0)]).collect();
        sheet(&mut book, "Theo đơn vị", &unit_heads, &unit_rows).map_err(xlsx)?;
        let with =
            |first: (&'static str, f64)| -> Vec<(&'static str, f64)> { std::iter::once(first).chain(count).collect() };
        sheet(&mut book, "Theo địa phương", &with(("Địa phương", 48.0)), &localities).map_err(xlsx)?;
        sheet(&mut book, "Theo đối tượng", &with(("Đối tượng", 30.0)), &group_rows).map_err(xlsx)?;
        let day_heads: Vec<(&str, f64)> =
            with(("Ngày", 14.0)).into_iter().chain([("Lượt điểm tuyệt đối", 18.0)]).collect();
        sheet(&mut book, "Theo ngày", &day_heads, &day_rows).map_err(xlsx)?;
        let item_heads = [
            ("Mã câu hỏi", 12.0),
            ("Chủ đề", 20.0),
            ("Câu hỏi", 60.0),
            ("Số lần hỏi", 12.0),
            ("Trả lời đúng", 14.0),
            ("Độ phân biệt", 14.0),
            ("A", 14.0),
            ("B", 14.0),
            ("C", 14.0),
            ("D", 14.0),
            ("Cần xem lại", 50.0),
        ];
        sheet(&mut book, "Phân tích câu hỏi", &item_heads, &item_rows).map_err(xlsx)?;
        book.save_to_buffer().map_err(xlsx)
    }
}

fn vntime_date(d: chrono::NaiveDate) -> String {
    cuocthi_domain::vntime::format_date(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cuocthi_domain::vntime;

    #[test]
    fn labels_are_short_and_days_sort_across_months() {
        assert_eq!(short_day("2026-03-10"), "10/03");
        assert_eq!(short_hour("2026-03-10 07"), "07h 10/03");
        assert_eq!(day_of("2026-03-10").map(vntime::format_date), Some("10/03/2026".into()));
    }
}
