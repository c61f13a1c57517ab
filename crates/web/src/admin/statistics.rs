//! The console's live statistics (thống kê): one round's figures from the counters, charts drawn
//! on the server, and the page refreshed in place every 20 seconds by a small script.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use cuocthi_domain::text;
use cuocthi_engine::console::Action;
use cuocthi_engine::stats::{Bar, Dashboard, UnitFigure};

use super::{Console, Frame, RoundQuery, XLSX, download, round_choices};
use crate::charts;
use crate::http::{PageResult, private};

/// The statistics workbook of a round: participation by unit, locality, group and day, and the
/// question statistics.
pub(super) async fn workbook(Console { s, staff, path: slug }: Console, Query(q): Query<RoundQuery>) -> PageResult {
    let number = q.dot.unwrap_or(1);
    let body = s.engine.statistics_workbook(&staff, &slug, number).await?;
    Ok(download(XLSX, &format!("{slug}-thong-ke-dot-{number}.xlsx"), body))
}

/// The summary report to send to the province, as a Word document to edit.
pub(super) async fn report(Console { s, staff, path: slug }: Console) -> PageResult {
    let body = s.engine.summary_report(&staff, &slug).await?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("{slug}-bao-cao.docx"),
        body,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/analysis.html")]
struct AnalysisPage {
    frame: Option<Frame>,
    notice: Option<String>,
    slug: String,
    title: String,
    rounds: Vec<(i64, String)>,
    number: i64,
    items: Vec<cuocthi_engine::analysis::ItemStat>,
}

/// Question statistics: share right, discrimination, options chosen, and flags.
pub(super) async fn analysis(Console { s, staff, path: slug }: Console, Query(q): Query<RoundQuery>) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewBank).await?;
    let number = q.dot.unwrap_or(1);
    let items = s.engine.item_analysis(&staff, &slug, number).await?;
    Ok(private(AnalysisPage {
        frame: Some(Frame::of(&staff)),
        notice: None,
        slug: slug.clone(),
        title: c.stored.contest.title.clone(),
        rounds: round_choices(&c),
        number,
        items,
    }))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/statistics.html")]
struct StatisticsPage {
    frame: Option<Frame>,
    notice: Option<String>,
    slug: String,
    title: String,
    rounds: Vec<(i64, String)>,
    d: Dashboard,
    day_chart: charts::Columns,
    hour_chart: charts::Columns,
    score_chart: charts::Columns,
    units_chart: charts::Rows,
    rate_chart: charts::Rows,
    localities_chart: charts::Rows,
    updated: String,
    can_analyse: bool,
}

impl StatisticsPage {
    fn n(&self, v: &i64) -> String {
        text::thousands(*v)
    }

    fn permille(&self, u: &UnitFigure) -> String {
        u.rate_permille.map(|r| format!("{},{}%", r / 10, r % 10)).unwrap_or_else(|| "—".into())
    }
}

pub(super) async fn statistics(Console { s, staff, path: slug }: Console, Query(q): Query<RoundQuery>) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewStatistics).await?;
    let d = s.engine.dashboard(&staff, &slug, q.dot).await?;
    let unit_bars = |units: &[UnitFigure], rate: bool| -> Vec<Bar> {
        units
            .iter()
            .map(|u| Bar { label: u.name.clone(), value: if rate { u.rate_permille.unwrap_or(0) } else { u.people } })
            .collect()
    };
    let page = StatisticsPage {
        frame: Some(Frame::of(&staff)),
        notice: None,
        slug: slug.clone(),
        title: c.stored.contest.title.clone(),
        rounds: round_choices(&c),
        day_chart: charts::columns("Lượt thi theo ngày", &d.by_day),
        hour_chart: charts::columns("Lượt thi theo giờ (48 giờ gần nhất có lượt thi)", &d.by_hour),
        score_chart: charts::columns("Phân bố số câu trả lời đúng", &d.scores),
        units_chart: charts::rows("Đơn vị có nhiều người tham gia nhất", &unit_bars(&d.units_by_people, false), ""),
        rate_chart: charts::rows(
            "Đơn vị có tỷ lệ tham gia cao nhất (‰ số cán bộ)",
            &unit_bars(&d.units_by_rate, true),
            "‰",
        ),
        localities_chart: charts::rows("Địa phương có nhiều người tham gia nhất", &d.localities, ""),
        updated: cuocthi_domain::vntime::format(s.engine.now()),
        can_analyse: staff.can(Action::ViewBank, Some(c.stored.contest.id)),
        d,
    };
    Ok(private(page))
}
