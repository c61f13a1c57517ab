//! Charts drawn on the server as SVG: nothing to download, no script, readable without colour
//! (every bar carries its figure), and each chart has a plain table beside it for screen readers.
//! The geometry is computed here; the SVG is an askama template (`templates/charts/`), so every
//! label is escaped by askama. Uses nothing of the crate's other rooms.

use askama::Template;
use cuocthi_engine::stats::Bar;

/// `1.234` with the Vietnamese thousands separator.
fn num(n: i64) -> String {
    cuocthi_domain::text::thousands(n)
}

/// One vertical bar.
struct Column {
    x: String,
    y: i64,
    width: String,
    height: i64,
    label: String,
    figure: String,
    /// Where the figure is written above the bar (when there is room and it is not zero).
    figure_at: Option<(String, i64)>,
    /// Where the label is written below the bar (every `step`-th one).
    label_at: Option<(String, i64)>,
}

/// Vertical bars (a series over time or over scores), labelled below.
#[derive(Template)]
#[template(path = "charts/columns.svg")]
pub struct Columns {
    title: String,
    width: i64,
    height: i64,
    bars: Vec<Column>,
}

/// The chart's labels are escaped by its own template: it may go into a page as it is.
impl askama::filters::HtmlSafe for Columns {}

/// Vertical bars (a series over time or over scores), labelled below; every `step`-th label is
/// written when there are many.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "counts of bars and pixel positions: small, non-negative, well inside every type used"
)]
pub fn columns(title: &str, bars: &[Bar]) -> Columns {
    const MAX_SLOT: f64 = 60.0;
    const H: i64 = 160;
    let n = bars.len().max(1) as i64;
    let w = (n * 28).clamp(240, 960);
    // A few bars (the first day of a round) stay narrow, on the left, rather than one bar
    // across the whole chart.
    let slot = (w as f64 / n as f64).min(MAX_SLOT);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let step = ((n as f64 * 28.0 / w as f64) * 1.6).ceil().max(1.0) as usize;
    let columns = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let h = (b.value as f64 / max as f64 * H as f64).round() as i64;
            let x = i as f64 * slot;
            let middle = format!("{:.1}", x + slot / 2.0);
            Column {
                x: format!("{:.1}", x + slot * 0.1),
                y: H + 12 - h,
                width: format!("{:.1}", (slot * 0.8).max(1.0)),
                height: h,
                label: b.label.clone(),
                figure: num(b.value),
                figure_at: (b.value > 0 && slot >= 24.0).then(|| (middle.clone(), H + 8 - h)),
                label_at: (i % step == 0).then_some((middle, H + 30)),
            }
        })
        .collect();
    Columns { title: title.to_string(), width: w, height: H + 40, bars: columns }
}

/// One horizontal bar.
struct RowBar {
    y: i64,
    text_y: i64,
    length: i64,
    label: String,
    /// The label cut to fit on the left.
    short_label: String,
    figure: String,
    figure_x: i64,
}

/// Horizontal bars (a ranking of units or localities).
#[derive(Template)]
#[template(path = "charts/rows.svg")]
pub struct Rows {
    title: String,
    width: i64,
    height: i64,
    label_x: i64,
    bar_x: i64,
    bar_height: i64,
    suffix: String,
    bars: Vec<RowBar>,
}

/// The chart's labels are escaped by its own template: it may go into a page as it is.
impl askama::filters::HtmlSafe for Rows {}

/// Horizontal bars (a ranking of units or localities), the label on the left and the figure at
/// the end of each bar; `suffix` follows each figure (`‰`).
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "counts of bars and pixel lengths: small, non-negative, well inside every type used"
)]
pub fn rows(title: &str, bars: &[Bar], suffix: &str) -> Rows {
    const ROW: i64 = 26;
    const W: i64 = 640;
    const LABEL: i64 = 240;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let rows = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let y = i as i64 * ROW;
            let length = (b.value as f64 / max as f64 * (W - LABEL - 70) as f64).round() as i64;
            RowBar {
                y: y + 4,
                text_y: y + 17,
                length,
                label: b.label.clone(),
                short_label: b.label.chars().take(34).collect(),
                figure: num(b.value),
                figure_x: LABEL + length + 6,
            }
        })
        .collect();
    Rows {
        title: title.to_string(),
        width: W,
        height: ROW * bars.len().max(1) as i64,
        label_x: LABEL - 8,
        bar_x: LABEL,
        bar_height: ROW - 8,
        suffix: suffix.to_string(),
        bars: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One day of a new round: one narrow bar, drawn at the chart's own size (the page never
    /// stretches it, so its labels keep their size).
    #[test]
    fn a_single_day_is_a_narrow_bar_at_natural_size() {
        let svg = columns("Theo ngày", &[Bar { label: "7/12".into(), value: 3 }]).to_string();
        assert!(svg.contains(r#"width="240" height="200""#), "{svg}");
        assert!(svg.contains(r#"<rect x="6.0" y="12" width="48.0" height="160">"#), "{svg}");
    }

    #[test]
    fn labels_are_escaped_and_figures_written() {
        let bars = vec![
            Bar { label: "<script>alert(1)</script>".into(), value: 1200 },
            Bar { label: "Xã Đồng Văn".into(), value: 0 },
        ];
        let both = [columns("Theo ngày", &bars).to_string(), rows("Đơn vị & xã", &bars, "‰").to_string()];
        for svg in both {
            assert!(!svg.contains("<script>") && svg.contains("&#60;script&#62;"), "{svg}");
            assert!(svg.contains("1.200") && svg.contains("Xã Đồng Văn"));
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        }
        assert!(rows("Đơn vị & xã", &bars, "‰").to_string().contains("aria-label=\"Đơn vị &#38; xã\""));
        assert!(rows("Đơn vị & xã", &bars, "‰").to_string().contains("1.200‰</text>"));
        assert!(columns("Trống", &[]).to_string().ends_with("</svg>"));
    }

    #[test]
    fn the_geometry_is_that_of_the_hand_drawn_charts() {
        let bars = vec![Bar { label: "1/12".into(), value: 10 }, Bar { label: "2/12".into(), value: 5 }];
        let svg = columns("Ngày", &bars).to_string();
        assert!(svg.starts_with(r#"<svg class="chart" viewBox="0 0 240 200" width="240" height="200""#), "{svg}");
        assert!(
            svg.contains(r#"<rect x="6.0" y="12" width="48.0" height="160"><title>1/12: 10</title></rect>"#),
            "{svg}"
        );
        assert!(svg.contains(r#"<text x="30.0" y="8" class="v">10</text>"#), "{svg}");
        assert!(svg.contains(r#"<text x="90.0" y="190" class="l">2/12</text>"#), "{svg}");
        let svg = rows("Đơn vị", &bars, "").to_string();
        assert!(
            svg.contains(r#"<text x="232" y="17" class="rl">1/12</text><rect x="240" y="4" width="330" height="18">"#),
            "{svg}"
        );
    }
}
