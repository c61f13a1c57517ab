//! Text: the embedded fonts, shaping (rustybuzz), measuring and line breaking.
//!
//! Text is shaped once per paragraph, span by span (a span is a run of one style), each span cut
//! into runs of one font: a character the style's font lacks is set in the other family (Be Vietnam
//! Pro for Noto Serif and back), combining marks staying with their base letter. Lines are then
//! broken greedily on the shaped clusters: after spaces, failing that after punctuation such as
//! `/` or `-` (addresses), failing that anywhere, so that no line is ever wider than its room.

use std::ops::Range;
use std::str::FromStr;

use krilla::text::{GlyphId, KrillaGlyph};

/// Embedded fonts (OFL 1.1, see `fonts/README.md`), as static slices: no copy at start.
const SERIF: &[u8] = include_bytes!("../fonts/NotoSerif-Regular.ttf");
const SERIF_BOLD: &[u8] = include_bytes!("../fonts/NotoSerif-Bold.ttf");
const SERIF_ITALIC: &[u8] = include_bytes!("../fonts/NotoSerif-Italic.ttf");
const SANS: &[u8] = include_bytes!("../fonts/BeVietnamPro-Regular.ttf");

/// One of the embedded faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    Serif,
    SerifBold,
    SerifItalic,
    Sans,
}

impl Face {
    const ALL: [Face; 4] = [Face::Serif, Face::SerifBold, Face::SerifItalic, Face::Sans];

    fn index(self) -> usize {
        self as usize
    }

    fn data(self) -> &'static [u8] {
        match self {
            Face::Serif => SERIF,
            Face::SerifBold => SERIF_BOLD,
            Face::SerifItalic => SERIF_ITALIC,
            Face::Sans => SANS,
        }
    }

    /// The face that sets a character this one lacks.
    fn fallback(self) -> Face {
        match self {
            Face::Sans => Face::Serif,
            _ => Face::Sans,
        }
    }
}

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl From<Rgb> for krilla::color::rgb::Color {
    fn from(c: Rgb) -> Self {
        Self::new(c.0, c.1, c.2)
    }
}

/// How a span of text is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Style {
    pub face: Face,
    /// Font size in points.
    pub size: f32,
    pub color: Rgb,
    /// Extra space after each character, in points.
    pub tracking: f32,
}

impl Style {
    pub fn new(face: Face, size: f32, color: Rgb) -> Self {
        Self { face, size, color, tracking: 0.0 }
    }

    pub fn sized(self, size: f32) -> Self {
        Self { size, ..self }
    }
}

/// A parsed face: for shaping and measuring (rustybuzz) and for the PDF (krilla).
struct Loaded {
    shaper: rustybuzz::Face<'static>,
    /// The shaping plan for Vietnamese (Latin script, left to right), made once.
    plan: rustybuzz::ShapePlan,
    pdf: krilla::text::Font,
    /// Cap height per em.
    cap_height: f32,
}

/// The embedded fonts, parsed once (see [`crate::Renderer`]).
pub(crate) struct Fonts {
    faces: Vec<Loaded>,
    vietnamese: rustybuzz::Language,
}

/// Why the embedded fonts could not be loaded (a broken build: the files are compiled in).
#[derive(Debug)]
pub(crate) struct FontError(pub &'static str);

impl Fonts {
    pub fn new() -> Result<Self, FontError> {
        let vietnamese = rustybuzz::Language::from_str("vi").map_err(|_| FontError("language tag"))?;
        let mut faces = Vec::with_capacity(Face::ALL.len());
        for face in Face::ALL {
            let shaper =
                rustybuzz::Face::from_slice(face.data(), 0).ok_or(FontError("font unreadable by rustybuzz"))?;
            let pdf = krilla::text::Font::new(face.data().into(), 0).ok_or(FontError("font unreadable by krilla"))?;
            let plan = rustybuzz::ShapePlan::new(
                &shaper,
                rustybuzz::Direction::LeftToRight,
                Some(rustybuzz::script::LATIN),
                Some(&vietnamese),
                &[],
            );
            let upem = shaper.units_per_em() as f32;
            let ascender = f32::from(shaper.ascender()) / upem;
            let cap_height = shaper.capital_height().map_or(ascender * 0.7, |h| f32::from(h) / upem);
            faces.push(Loaded { shaper, plan, pdf, cap_height });
        }
        Ok(Self { faces, vietnamese })
    }

    fn get(&self, face: Face) -> &Loaded {
        &self.faces[face.index()]
    }

    pub fn pdf_font(&self, face: Face) -> krilla::text::Font {
        self.get(face).pdf.clone()
    }

    /// Cap height of `style`'s face at its size, in points.
    pub fn cap_height(&self, style: Style) -> f32 {
        self.get(style.face).cap_height * style.size
    }

    /// Shapes a paragraph made of styled spans.
    pub fn shape(&self, spans: &[(&str, Style)]) -> Shaped {
        let mut shaped = Shaped::default();
        for &(text, style) in spans {
            let offset = shaped.text.len();
            shaped.text.push_str(text);
            for (range, face) in self.font_runs(text, style.face) {
                let start = offset + range.start;
                self.shape_run(&mut shaped, start..offset + range.end, face, style);
            }
        }
        shaped
    }

    /// Cuts `text` into runs of one face: `primary` where it has the character, else its fallback.
    fn font_runs(&self, text: &str, primary: Face) -> Vec<(Range<usize>, Face)> {
        let has = |face: Face, c: char| self.get(face).shaper.glyph_index(c).is_some();
        let mut runs: Vec<(Range<usize>, Face)> = Vec::new();
        for (i, c) in text.char_indices() {
            let face = match runs.last() {
                Some((_, prev)) if is_combining(c) => *prev,
                _ if c == ' ' || has(primary, c) || !has(primary.fallback(), c) => primary,
                _ => primary.fallback(),
            };
            let end = i + c.len_utf8();
            match runs.last_mut() {
                Some((range, prev)) if *prev == face => range.end = end,
                _ => runs.push((i..end, face)),
            }
        }
        runs
    }

    /// Shapes `shaped.text[range]` in `face` and appends its glyphs and clusters.
    fn shape_run(&self, shaped: &mut Shaped, range: Range<usize>, face: Face, style: Style) {
        let loaded = self.get(face);
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(&shaped.text[range.clone()]);
        buffer.set_language(self.vietnamese.clone());
        buffer.guess_segment_properties();
        let ltr = buffer.direction() == rustybuzz::Direction::LeftToRight;
        let output = if ltr && buffer.script() == rustybuzz::script::LATIN {
            rustybuzz::shape_with_plan(&loaded.shaper, &loaded.plan, buffer)
        } else {
            rustybuzz::shape(&loaded.shaper, &[], buffer)
        };
        let per_em = 1.0 / loaded.shaper.units_per_em() as f32;
        let style_metrics =
            LineMetrics { cap: loaded.cap_height * style.size, ascent: 0.0, descent: 0.0, leading: 0.5 * style.size };
        let first_glyph = shaped.glyphs.len();
        for (info, pos) in output.glyph_infos().iter().zip(output.glyph_positions()) {
            // Clusters are byte offsets into the run; right-to-left text (not expected here) is
            // kept in visual order, its clusters then decreasing.
            let start = range.start + info.cluster as usize;
            // The glyph's ink above and below the baseline, from its outline's bounding box.
            let (ink_top, ink_bottom) = u16::try_from(info.glyph_id)
                .ok()
                .and_then(|id| loaded.shaper.glyph_bounding_box(rustybuzz::ttf_parser::GlyphId(id)))
                .map_or((0.0, 0.0), |b| (f32::from(b.y_max), -f32::from(b.y_min)));
            let y_offset = pos.y_offset as f32;
            shaped.glyphs.push(Glyph {
                ascent: (ink_top + y_offset) * per_em * style.size,
                descent: (ink_bottom - y_offset) * per_em * style.size,
                id: info.glyph_id,
                face,
                style,
                advance: pos.x_advance as f32 * per_em * style.size,
                x_offset: pos.x_offset as f32 * per_em * style.size,
                y_offset: pos.y_offset as f32 * per_em * style.size,
                text: start..start,
            });
        }
        // Group glyphs into clusters and give each glyph its cluster's text.
        let glyphs = &mut shaped.glyphs[first_glyph..];
        let mut i = 0;
        while i < glyphs.len() {
            let start = glyphs[i].text.start;
            let mut j = i + 1;
            while j < glyphs.len() && glyphs[j].text.start == start {
                j += 1;
            }
            // The cluster's text runs to the next cluster's start (the smallest start above this
            // one: the next glyph's in left-to-right text), or to the end of the run.
            let end = match glyphs.get(j) {
                Some(next) if ltr => next.text.start,
                _ => glyphs.iter().map(|g| g.text.start).filter(|&s| s > start).min().unwrap_or(range.end),
            };
            let text = &shaped.text[start..end];
            let width: f32 = glyphs[i..j].iter().map(|g| g.advance).sum::<f32>() + style.tracking;
            for glyph in &mut glyphs[i..j] {
                glyph.text = start..end;
            }
            if let Some(last) = glyphs[i..j].last_mut() {
                last.advance += style.tracking;
            }
            let space = !text.is_empty() && text.chars().all(|c| c == ' ');
            let soft_break = text.ends_with(['/', '-', '–', '?', '&', '=', '_', '.', ',', ';', ':', '\\']);
            let metrics = glyphs[i..j].iter().fold(style_metrics, |m, g| LineMetrics {
                ascent: m.ascent.max(g.ascent),
                descent: m.descent.max(g.descent),
                ..m
            });
            shaped.clusters.push(Cluster {
                glyphs: first_glyph + i..first_glyph + j,
                width,
                space,
                soft_break,
                metrics,
            });
            i = j;
        }
    }
}

/// Combining marks stay in the font of the letter they sit on.
fn is_combining(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// One shaped glyph, positioned in points.
#[derive(Clone, Debug)]
pub(crate) struct Glyph {
    pub id: u32,
    pub face: Face,
    pub style: Style,
    pub advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
    /// Ink above and below the baseline, in points.
    pub ascent: f32,
    pub descent: f32,
    /// The bytes of the paragraph's text this glyph's cluster stands for.
    pub text: Range<usize>,
}

impl Glyph {
    /// The glyph for krilla: metrics per em, text range relative to `base`.
    pub fn to_krilla(&self, base: usize) -> KrillaGlyph {
        let size = self.style.size;
        KrillaGlyph::new(
            GlyphId::new(self.id),
            self.advance / size,
            self.x_offset / size,
            self.y_offset / size,
            0.0,
            self.text.start - base..self.text.end - base,
            None,
        )
    }
}

/// Vertical metrics of a line, in points: it stands from `cap` above the baseline (the line box
/// used for spacing, as the earlier typst template did) but its glyphs' outlines reach from `ascent` above
/// to `descent` below (Vietnamese stacked accents rise above the cap height).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct LineMetrics {
    pub cap: f32,
    pub ascent: f32,
    pub descent: f32,
    /// Space before the next line of the same paragraph.
    pub leading: f32,
}

impl LineMetrics {
    fn max(self, other: LineMetrics) -> LineMetrics {
        LineMetrics {
            cap: self.cap.max(other.cap),
            ascent: self.ascent.max(other.ascent),
            descent: self.descent.max(other.descent),
            leading: self.leading.max(other.leading),
        }
    }
}

#[derive(Clone, Debug)]
struct Cluster {
    glyphs: Range<usize>,
    width: f32,
    space: bool,
    /// A line may end after this cluster when no space allows it (`/`, `-`… in addresses).
    soft_break: bool,
    metrics: LineMetrics,
}

/// A shaped paragraph.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shaped {
    text: String,
    glyphs: Vec<Glyph>,
    clusters: Vec<Cluster>,
}

impl Shaped {
    /// Width on one line, in points.
    pub fn width(&self) -> f32 {
        self.line(0..self.clusters.len()).width
    }

    /// The whole paragraph on one line.
    pub fn single_line(&self) -> Line {
        self.line(0..self.clusters.len())
    }

    /// Breaks the paragraph into lines no wider than `max_width` (unless one cluster is wider).
    pub fn break_lines(&self, max_width: f32) -> Vec<Line> {
        let clusters = &self.clusters;
        let mut lines = Vec::new();
        let mut start = 0;
        while start < clusters.len() {
            let mut width = 0.0;
            let mut end = start;
            let (mut space_break, mut soft_break) = (None, None);
            while end < clusters.len() {
                let cluster = &clusters[end];
                if !cluster.space && end > start && width + cluster.width > max_width {
                    break;
                }
                width += cluster.width;
                end += 1;
                let next_is_space = clusters.get(end).is_some_and(|c| c.space);
                if cluster.space && !next_is_space {
                    space_break = Some(end);
                } else if cluster.soft_break && !next_is_space {
                    soft_break = Some(end);
                }
            }
            let stop = if end == clusters.len() { end } else { space_break.or(soft_break).unwrap_or(end) };
            lines.push(self.line(start..stop));
            start = stop;
            // Spaces at the start of the next line are dropped (only when breaking elsewhere
            // than after them, which the greedy loop avoids, or in a run of spaces).
            while start < clusters.len() && clusters[start].space {
                start += 1;
            }
        }
        lines
    }

    /// The clusters in `range`, without trailing spaces, as a line.
    fn line(&self, range: Range<usize>) -> Line {
        let mut end = range.end;
        while end > range.start && self.clusters[end - 1].space {
            end -= 1;
        }
        let clusters = &self.clusters[range.start..end];
        let width = clusters.iter().map(|c| c.width).sum();
        let metrics = clusters.iter().fold(LineMetrics::default(), |m, c| m.max(c.metrics));
        // An empty line (all spaces) still takes the height of the paragraph's text.
        let metrics = if clusters.is_empty() {
            self.clusters.iter().fold(LineMetrics::default(), |m, c| m.max(c.metrics))
        } else {
            metrics
        };
        let glyphs = match (clusters.first(), clusters.last()) {
            (Some(first), Some(last)) => first.glyphs.start..last.glyphs.end,
            _ => 0..0,
        };
        let mut runs: Vec<Run> = Vec::new();
        let mut x = 0.0;
        for glyph in &self.glyphs[glyphs] {
            match runs.last_mut() {
                Some(run) if run.face == glyph.face && run.style == glyph.style => {
                    run.text_range.start = run.text_range.start.min(glyph.text.start);
                    run.text_range.end = run.text_range.end.max(glyph.text.end);
                    run.glyphs.push(glyph.clone());
                }
                _ => runs.push(Run {
                    x,
                    face: glyph.face,
                    style: glyph.style,
                    text_range: glyph.text.clone(),
                    glyphs: vec![glyph.clone()],
                }),
            }
            x += glyph.advance;
        }
        let runs = runs
            .into_iter()
            .map(|run| {
                let base = run.text_range.start;
                DrawRun {
                    x: run.x,
                    face: run.face,
                    size: run.style.size,
                    color: run.style.color,
                    text: self.text[run.text_range].to_owned(),
                    glyphs: run.glyphs.iter().map(|g| g.to_krilla(base)).collect(),
                }
            })
            .collect();
        Line { width, metrics, runs }
    }
}

struct Run {
    x: f32,
    face: Face,
    style: Style,
    text_range: Range<usize>,
    glyphs: Vec<Glyph>,
}

/// Glyphs of one face, size and colour, ready for krilla's `draw_glyphs`.
#[derive(Clone, Debug)]
pub(crate) struct DrawRun {
    /// Offset from the line's start, in points.
    pub x: f32,
    pub face: Face,
    pub size: f32,
    pub color: Rgb,
    /// The text these glyphs stand for (what a PDF reader extracts).
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
}

/// One laid-out line of text.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub width: f32,
    pub metrics: LineMetrics,
    pub runs: Vec<DrawRun>,
}

impl Line {
    /// The text of the line, as a reader extracts it.
    #[cfg(test)]
    pub fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::new().expect("embedded fonts load")
    }

    const BLACK: Rgb = Rgb(0, 0, 0);

    #[test]
    fn wider_text_is_wider_and_size_scales_widths() {
        let fonts = fonts();
        let style = Style::new(Face::Serif, 10.0, BLACK);
        let short = fonts.shape(&[("Hằng", style)]).width();
        let long = fonts.shape(&[("Nguyễn Thị Thu Hằng", style)]).width();
        assert!(short > 0.0 && long > 2.0 * short, "{short} {long}");
        let double = fonts.shape(&[("Nguyễn Thị Thu Hằng", style.sized(20.0))]).width();
        assert!((double - 2.0 * long).abs() < 0.01, "{double} vs {long}");
        let bold = fonts.shape(&[("Nguyễn Thị Thu Hằng", Style { face: Face::SerifBold, ..style })]).width();
        assert!(bold > long);
    }

    #[test]
    fn lines_break_at_spaces_and_keep_every_word() {
        let fonts = fonts();
        let text = "Cuộc thi trực tuyến “Tìm hiểu pháp luật về an ninh mạng” năm 2025";
        let shaped = fonts.shape(&[(text, Style::new(Face::SerifBold, 12.0, BLACK))]);
        let lines = shaped.break_lines(shaped.width() / 2.5);
        assert_eq!(lines.len(), 3, "{:?}", lines.iter().map(Line::text).collect::<Vec<_>>());
        for line in &lines {
            assert!(line.width <= shaped.width() / 2.5 + 0.01);
            assert!(!line.text().starts_with(' ') && !line.text().ends_with(' '));
        }
        let joined = lines.iter().map(Line::text).collect::<Vec<_>>().join(" ");
        assert_eq!(joined, text);
    }

    #[test]
    fn a_long_address_breaks_after_slashes_then_anywhere() {
        let fonts = fonts();
        let url = "https://cuocthi.example.gov.vn/xac-minh/TDX-2025-V1-000123";
        let shaped = fonts.shape(&[(url, Style::new(Face::Sans, 7.5, BLACK))]);
        let room = shaped.width() * 0.6;
        let lines = shaped.break_lines(room);
        assert!(lines.len() >= 2);
        assert!(lines.iter().all(|l| l.width <= room + 0.01));
        assert_eq!(lines.iter().map(Line::text).collect::<String>(), url);
        let token = "a1b2c3".repeat(30);
        let shaped = fonts.shape(&[(&token, Style::new(Face::Sans, 7.5, BLACK))]);
        let lines = shaped.break_lines(shaped.width() / 4.0);
        assert!(lines.len() >= 4);
        assert_eq!(lines.iter().map(Line::text).collect::<String>(), token);
    }

    #[test]
    fn every_vietnamese_letter_is_in_the_serif_and_styles_keep_their_runs() {
        let fonts = fonts();
        let line = fonts.shape(&[("Đặng Văn Ân ỹỵ", Style::new(Face::Serif, 10.0, BLACK))]).single_line();
        assert_eq!(line.runs.len(), 1);
        assert!(line.runs[0].glyphs.iter().all(|g| g.glyph_id.to_u32() != 0), "no .notdef");
        // Mixed styles keep their own runs and the text in order.
        let bold = Style::new(Face::SerifBold, 12.0, Rgb(139, 30, 30));
        let regular = Style::new(Face::Serif, 10.0, BLACK);
        let line = fonts.shape(&[("Đã đạt ", regular), ("Giải Nhất", bold), (" – Tuần 2", regular)]).single_line();
        assert_eq!(line.text(), "Đã đạt Giải Nhất – Tuần 2");
        assert_eq!(line.runs.len(), 3);
        assert!(line.runs[1].x > 0.0 && line.runs[2].x > line.runs[1].x);
    }

    #[test]
    fn a_character_missing_from_the_serif_comes_from_the_sans() {
        let fonts = fonts();
        let has = |face: Face, c: char| fonts.get(face).shaper.glyph_index(c).is_some();
        let candidates = "→←↑↓★☆✓✔№⁄€₫©®™•…‰′″≤≥≠∞♥①ʻ";
        let Some(c) = candidates.chars().find(|&c| !has(Face::Serif, c) && has(Face::Sans, c)) else {
            panic!("no character of {candidates} is in Be Vietnam Pro but not in Noto Serif");
        };
        let text = format!("Hằng {c} Hà");
        let line = fonts.shape(&[(&text, Style::new(Face::Serif, 10.0, BLACK))]).single_line();
        let faces: Vec<Face> = line.runs.iter().map(|r| r.face).collect();
        assert_eq!(faces, [Face::Serif, Face::Sans, Face::Serif], "{c:?}");
        assert_eq!(line.text(), text);
        assert!(line.runs.iter().flat_map(|r| &r.glyphs).all(|g| g.glyph_id.to_u32() != 0), "no .notdef");
    }

    #[test]
    fn tracking_widens_each_character() {
        let fonts = fonts();
        let style = Style::new(Face::SerifBold, 36.0, BLACK);
        let plain = fonts.shape(&[("GIẤY", style)]).width();
        let tracked = fonts.shape(&[("GIẤY", Style { tracking: 1.5, ..style })]).width();
        assert!((tracked - plain - 4.0 * 1.5).abs() < 0.01, "{plain} {tracked}");
    }
}
