//! Charts drawn on the server as SVG: nothing to download, no script, readable without colour
//! (every bar carries its figure), and each chart has a plain table beside it for screen readers.

use cuocthi_engine::stats::Bar;

/// Escapes text for SVG (XML) content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `1.234` with the Vietnamese thousands separator.
fn num(n: i64) -> String {
    cuocthi_domain::text::thousands(n)
}

/// Vertical bars (a series over time or over scores), labelled below; every `step`-th label is
/// written when there are many.
pub fn columns(title: &str, bars: &[Bar]) -> String {
    const H: i64 = 160;
    let n = bars.len().max(1) as i64;
    let w = (n * 28).clamp(240, 960);
    let slot = w as f64 / n as f64;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let step = ((n as f64 * 28.0 / w as f64) * 1.6).ceil().max(1.0) as usize;
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {}" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet"><title>{}</title>"#,
        H + 40,
        esc(title),
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let h = (b.value as f64 / max as f64 * H as f64).round() as i64;
        let x = i as f64 * slot;
        let bw = (slot * 0.8).max(1.0);
        out.push_str(&format!(
            r#"<rect x="{:.1}" y="{}" width="{bw:.1}" height="{h}"><title>{}: {}</title></rect>"#,
            x + slot * 0.1,
            H + 12 - h,
            esc(&b.label),
            num(b.value)
        ));
        if b.value > 0 && slot >= 24.0 {
            out.push_str(&format!(
                r#"<text x="{:.1}" y="{}" class="v">{}</text>"#,
                x + slot / 2.0,
                H + 8 - h,
                num(b.value)
            ));
        }
        if i % step == 0 {
            out.push_str(&format!(
                r#"<text x="{:.1}" y="{}" class="l">{}</text>"#,
                x + slot / 2.0,
                H + 30,
                esc(&b.label)
            ));
        }
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars (a ranking of units or localities), the label on the left and the figure at
/// the end of each bar; `suffix` follows each figure (`‰`).
pub fn rows(title: &str, bars: &[Bar], suffix: &str) -> String {
    const ROW: i64 = 26;
    const W: i64 = 640;
    const LABEL: i64 = 240;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let h = ROW * bars.len().max(1) as i64;
    let mut out = format!(
        r#"<svg class="chart" viewBox="0 0 {W} {h}" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as i64 * ROW;
        let len = (b.value as f64 / max as f64 * (W - LABEL - 70) as f64).round() as i64;
        let label: String = b.label.chars().take(34).collect();
        out.push_str(&format!(
            r#"<text x="{}" y="{}" class="rl">{}</text><rect x="{LABEL}" y="{}" width="{len}" height="{}"><title>{}: {}{suffix}</title></rect><text x="{}" y="{}" class="rv">{}{suffix}</text>"#,
            LABEL - 8,
            y + 17,
            esc(&label),
            y + 4,
            ROW - 8,
            esc(&b.label),
            num(b.value),
            LABEL + len + 6,
            y + 17,
            num(b.value)
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_figures_written() {
        let bars = vec![
            Bar { label: "<script>alert(1)</script>".into(), value: 1200 },
            Bar { label: "Xã Đồng Văn".into(), value: 0 },
        ];
        for svg in [columns("Theo ngày", &bars), rows("Đơn vị & xã", &bars, "‰")] {
            assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"), "{svg}");
            assert!(svg.contains("1.200") && svg.contains("Xã Đồng Văn"));
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        }
        assert!(rows("Đơn vị & xã", &bars, "‰").contains("aria-label=\"Đơn vị &amp; xã\""));
        assert!(columns("Trống", &[]).ends_with("</svg>"));
    }
}
