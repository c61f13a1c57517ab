//! The blank paper score sheet (phiếu chấm giấy) of the in-person event, as PDF: what a judge
//! fills in by hand when the hall's network fails, and the secretariat later types in. One A4
//! portrait page per sheet (more if the teams do not fit): the contest and the event, the part,
//! the judge, a table with a row per team in performance order and a column per criterion with
//! its maximum, a total, and the judge's signature line.
//!
//! It reuses the certificates' embedded fonts and shaping (`text.rs`), so every Vietnamese letter
//! is drawn and extracted exactly; the page itself is drawn here, without the certificate's
//! frame.

use krilla::Document;
use krilla::SerializeSettings;
use krilla::geom::{PathBuilder, Point, Size};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;

use crate::Renderer;
use crate::layout::MM;
use crate::text::{Face, Fonts, Line, Rgb, Style};

const WIDTH: f32 = 210.0 * MM;
const HEIGHT: f32 = 297.0 * MM;
const MARGIN: f32 = 15.0 * MM;
const INK: Rgb = Rgb(0, 0, 0);
const GREY: Rgb = Rgb(0x55, 0x55, 0x55);
/// Most criteria a sheet has columns for (seed 002 has three per part).
pub const MAX_CRITERIA: usize = 8;
/// Longest text accepted in any field, in characters.
pub const MAX_TEXT: usize = 250;

/// A criterion's column: its name and its maximum as printed (`40`, `12,5`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetCriterion {
    pub name: String,
    pub max: String,
}

/// Everything printed on one blank sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlankSheet {
    /// The contest, e.g. `Hội thi “Chuyển đổi số…” năm 2023`.
    pub contest_title: String,
    /// The event's name.
    pub event_name: String,
    /// The part (phần thi), e.g. `Phần thi giới thiệu đội thi và sáng kiến`.
    pub part_name: String,
    /// The judge the sheet is for; empty prints a line to write the name on.
    pub judge: String,
    /// The part's step, as printed (`0,25`).
    pub step: String,
    pub criteria: Vec<SheetCriterion>,
    /// The teams in performance order (one row each).
    pub teams: Vec<String>,
}

/// Why a blank sheet could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    #[error("Phiếu chấm chưa có {0}.")]
    Missing(&'static str),
    #[error("Phiếu chấm có tối đa {MAX_CRITERIA} tiêu chí.")]
    TooManyCriteria,
    #[error("Phiếu chấm: {0} quá dài (tối đa {MAX_TEXT} ký tự).")]
    TooLong(&'static str),
    /// Writing the PDF failed (a bug here or in krilla).
    #[error("Lỗi khi xuất tệp PDF phiếu chấm: {0}")]
    Pdf(String),
}

impl Renderer {
    /// The blank sheet as PDF. Text is only shaped and drawn, never interpreted.
    pub fn render_blank_sheet(&self, sheet: &BlankSheet) -> Result<Vec<u8>, SheetError> {
        check(sheet)?;
        let pages = Pages::new(&self.fonts, sheet).lay_out();
        let settings = SerializeSettings { enable_tagging: false, ..SerializeSettings::default() };
        let mut document = Document::new_with(settings);
        let size = Size::from_wh(WIDTH, HEIGHT).ok_or_else(|| SheetError::Pdf("page size".into()))?;
        for items in &pages {
            let mut page = document.start_page_with(PageSettings::new(size));
            let mut surface = page.surface();
            for item in items {
                draw(&mut surface, &self.fonts, item);
            }
            surface.finish();
            page.finish();
        }
        let title = format!("Phiếu chấm – {} – {}", clean(&sheet.part_name), clean(&sheet.judge));
        document.set_metadata(
            Metadata::new()
                .title(title.clone())
                .language("vi".to_owned())
                .creator("cuocthi".to_owned())
                .document_id(title),
        );
        document.finish().map_err(|e| SheetError::Pdf(e.to_string()))
    }
}

fn clean(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn check(sheet: &BlankSheet) -> Result<(), SheetError> {
    let long = |s: &str| s.chars().count() > MAX_TEXT;
    for (value, field) in
        [(&sheet.contest_title, "tên cuộc thi"), (&sheet.event_name, "tên hội thi"), (&sheet.part_name, "tên phần thi")]
    {
        if clean(value).is_empty() {
            return Err(SheetError::Missing(field));
        }
        if long(value) {
            return Err(SheetError::TooLong(field));
        }
    }
    if sheet.criteria.is_empty() {
        return Err(SheetError::Missing("tiêu chí chấm"));
    }
    if sheet.criteria.len() > MAX_CRITERIA {
        return Err(SheetError::TooManyCriteria);
    }
    if sheet.teams.is_empty() {
        return Err(SheetError::Missing("đội thi"));
    }
    let texts = sheet.criteria.iter().flat_map(|c| [&c.name, &c.max]).chain(&sheet.teams);
    if long(&sheet.judge) || long(&sheet.step) || texts.into_iter().any(|t| long(t)) {
        return Err(SheetError::TooLong("một dòng"));
    }
    Ok(())
}

/// Something drawn on a sheet's page, in points from its top-left corner.
enum Item {
    Text { x: f32, baseline: f32, line: Line },
    Stroke { from: (f32, f32), to: (f32, f32), width: f32 },
}

/// The sheet laid out page by page.
struct Pages<'a> {
    fonts: &'a Fonts,
    sheet: &'a BlankSheet,
    pages: Vec<Vec<Item>>,
    y: f32,
}

impl<'a> Pages<'a> {
    fn new(fonts: &'a Fonts, sheet: &'a BlankSheet) -> Self {
        Pages { fonts, sheet, pages: vec![Vec::new()], y: MARGIN }
    }

    fn items(&mut self) -> &mut Vec<Item> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// `text` broken into lines no wider than `width`.
    fn lines(&self, text: &str, style: Style, width: f32) -> Vec<Line> {
        self.fonts.shape(&[(&clean(text), style)]).break_lines(width)
    }

    /// A paragraph across the page, centred or from the left margin; moves down past it.
    fn paragraph(&mut self, text: &str, style: Style, centred: bool) {
        let width = WIDTH - 2.0 * MARGIN;
        for line in self.lines(text, style, width) {
            let x = if centred { MARGIN + (width - line.width) / 2.0 } else { MARGIN };
            self.y += style.size;
            let baseline = self.y;
            self.items().push(Item::Text { x, baseline, line });
            self.y += style.size * 0.35;
        }
    }

    fn rule(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, width: f32) {
        self.items().push(Item::Stroke { from: (x0, y0), to: (x1, y1), width });
    }

    /// The page's head: contest, event, title, part, judge.
    fn head(&mut self, continued: bool) {
        let serif = Style::new(Face::Serif, 10.5, INK);
        let bold = Style::new(Face::SerifBold, 12.0, INK);
        let sheet = self.sheet;
        self.paragraph(&sheet.contest_title, serif, true);
        self.paragraph(&sheet.event_name, serif, true);
        self.y += 6.0;
        self.paragraph(if continued { "PHIẾU CHẤM (tiếp theo)" } else { "PHIẾU CHẤM" }, bold.sized(16.0), true);
        self.paragraph(&format!("Phần thi: {}", sheet.part_name), bold, true);
        self.y += 4.0;
        let judge = if clean(&sheet.judge).is_empty() {
            "Giám khảo: ………………………………………………".to_string()
        } else {
            format!("Giám khảo: {}", sheet.judge)
        };
        self.paragraph(&judge, serif.sized(11.0), false);
        let step = if clean(&sheet.step).is_empty() { String::new() } else { format!(" theo bước {}", sheet.step) };
        let note = format!("Chấm từng tiêu chí từ 0 đến điểm tối đa{step}; ghi số rõ ràng, sửa chữa phải ký bên cạnh.");
        self.paragraph(&note, Style::new(Face::SerifItalic, 9.5, GREY), false);
        self.y += 6.0;
    }

    /// Column edges: number, team, each criterion, total.
    fn columns(&self) -> Vec<f32> {
        let (left, right) = (MARGIN, WIDTH - MARGIN);
        let number = 10.0 * MM;
        let team = 52.0 * MM;
        let n = self.sheet.criteria.len() as f32 + 1.0;
        let each = (right - left - number - team) / n;
        let mut edges = vec![left, left + number, left + number + team];
        for i in 1..=self.sheet.criteria.len() + 1 {
            edges.push(left + number + team + each * i as f32);
        }
        edges
    }

    /// Lines of `text` set in the cell between `x0` and `x1` below `top`; returns its height.
    fn cell(&mut self, text: &str, style: Style, x0: f32, x1: f32, top: f32, centred: bool) -> f32 {
        let pad = 2.0 * MM;
        let lines = self.lines(text, style, x1 - x0 - 2.0 * pad);
        let mut y = top + pad;
        for line in lines {
            y += style.size;
            let x = if centred { x0 + (x1 - x0 - line.width) / 2.0 } else { x0 + pad };
            self.items().push(Item::Text { x, baseline: y, line });
            y += style.size * 0.3;
        }
        y - top + pad
    }

    /// The table's header row; returns its bottom.
    fn header(&mut self, edges: &[f32]) -> f32 {
        let style = Style::new(Face::SerifBold, 9.5, INK);
        let top = self.y;
        let mut height: f32 = 0.0;
        let mut heads = vec!["TT".to_string(), "Đội thi".to_string()];
        heads.extend(self.sheet.criteria.iter().map(|c| format!("{} (tối đa {})", c.name, c.max)));
        heads.push("Tổng điểm".into());
        for (i, head) in heads.iter().enumerate() {
            height = height.max(self.cell(head, style, edges[i], edges[i + 1], top, true));
        }
        let bottom = top + height.max(12.0 * MM);
        self.grid_row(edges, top, bottom, 1.0);
        bottom
    }

    fn grid_row(&mut self, edges: &[f32], top: f32, bottom: f32, width: f32) {
        let (left, right) = (edges[0], edges[edges.len() - 1]);
        self.rule(left, top, right, top, width);
        self.rule(left, bottom, right, bottom, width);
        for x in edges {
            self.rule(*x, top, *x, bottom, 0.6);
        }
    }

    /// The signature block under the table.
    fn signature(&mut self) {
        let serif = Style::new(Face::Serif, 10.5, INK);
        let x = WIDTH / 2.0;
        let width = WIDTH - MARGIN - x;
        self.y += 10.0 * MM;
        for (text, style) in [
            ("Ngày …… tháng …… năm ……", Style::new(Face::SerifItalic, 10.5, INK)),
            ("GIÁM KHẢO", Style::new(Face::SerifBold, 11.0, INK)),
            ("(Ký và ghi rõ họ tên)", Style::new(Face::SerifItalic, 9.5, GREY)),
        ] {
            for line in self.lines(text, style, width) {
                self.y += style.size;
                let lx = x + (width - line.width) / 2.0;
                let baseline = self.y;
                self.items().push(Item::Text { x: lx, baseline, line });
                self.y += style.size * 0.4;
            }
        }
        self.y += 22.0 * MM;
        let name = clean(&self.sheet.judge);
        if !name.is_empty() {
            for line in self.lines(&name, serif, width) {
                self.y += serif.size;
                let lx = x + (width - line.width) / 2.0;
                let baseline = self.y;
                self.items().push(Item::Text { x: lx, baseline, line });
            }
        }
    }

    fn lay_out(mut self) -> Vec<Vec<Item>> {
        let edges = self.columns();
        let team_style = Style::new(Face::Serif, 10.5, INK);
        let signature_room = 52.0 * MM;
        self.head(false);
        self.y = self.header(&edges);
        let teams = self.sheet.teams.clone();
        for (i, team) in teams.iter().enumerate() {
            let last = i + 1 == teams.len();
            // Measure the row first: a row that does not fit (with the signature after the last
            // one) starts a new page with the head and header again.
            let measured = self.lines(team, team_style, edges[2] - edges[1] - 4.0 * MM).len() as f32;
            let height = (measured * team_style.size * 1.3 + 4.0 * MM).max(13.0 * MM);
            let needed = height + if last { signature_room } else { 0.0 };
            if self.y + needed > HEIGHT - MARGIN {
                self.pages.push(Vec::new());
                self.y = MARGIN;
                self.head(true);
                self.y = self.header(&edges);
            }
            let top = self.y;
            self.cell(&(i + 1).to_string(), team_style, edges[0], edges[1], top, true);
            self.cell(team, team_style, edges[1], edges[2], top, false);
            self.grid_row(&edges, top, top + height, 0.6);
            self.y = top + height;
        }
        self.signature();
        self.pages
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, item: &Item) {
    match item {
        Item::Text { x, baseline, line } => {
            surface.set_stroke(None);
            for run in &line.runs {
                let paint = krilla::color::rgb::Color::from(run.color).into();
                surface.set_fill(Some(Fill { paint, opacity: NormalizedF32::ONE, ..Fill::default() }));
                surface.draw_glyphs(
                    Point::from_xy(x + run.x, *baseline),
                    &run.glyphs,
                    fonts.pdf_font(run.face),
                    &run.text,
                    run.size,
                    false,
                );
            }
        }
        Item::Stroke { from, to, width } => {
            let mut path = PathBuilder::new();
            path.move_to(from.0, from.1);
            path.line_to(to.0, to.1);
            if let Some(path) = path.finish() {
                let paint = krilla::color::rgb::Color::from(INK).into();
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke { paint, width: *width, ..Stroke::default() }));
                surface.draw_path(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(teams: usize) -> BlankSheet {
        BlankSheet {
            contest_title: "Hội thi “Chuyển đổi số – Nhận thức và hành động” tỉnh Đắk Nông năm 2023".into(),
            event_name: "Hội thi trực tiếp".into(),
            part_name: "Giới thiệu đội thi và sáng kiến".into(),
            judge: "Nguyễn Thị Hằng".into(),
            step: "0,25".into(),
            criteria: vec![
                SheetCriterion { name: "Nội dung".into(), max: "40".into() },
                SheetCriterion { name: "Tính khả thi".into(), max: "30".into() },
                SheetCriterion { name: "Trình bày".into(), max: "30".into() },
            ],
            teams: (1..=teams).map(|i| format!("Đội huyện Đắk Glong số {i}")).collect(),
        }
    }

    #[test]
    fn a_sheet_is_checked_before_it_is_drawn() {
        let r = Renderer::new();
        let mut s = sample(3);
        s.teams.clear();
        assert_eq!(r.render_blank_sheet(&s), Err(SheetError::Missing("đội thi")));
        let mut s = sample(3);
        s.criteria = vec![SheetCriterion::default(); MAX_CRITERIA + 1];
        assert_eq!(r.render_blank_sheet(&s), Err(SheetError::TooManyCriteria));
        let mut s = sample(3);
        s.part_name = "x".repeat(MAX_TEXT + 1);
        assert_eq!(r.render_blank_sheet(&s), Err(SheetError::TooLong("tên phần thi")));
    }

    /// `pdftotext` (poppler-utils, `scripts/ensure-pdf-tools`) of the PDF, whitespace collapsed.
    fn text(pdf: &[u8]) -> (String, usize) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("phieu-cham.pdf");
        std::fs::write(&path, pdf).expect("write");
        let run = |tool: &str, args: &[&str]| {
            let out = std::process::Command::new(tool)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("`{tool}`: {e}; run scripts/ensure-pdf-tools"));
            assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).expect("UTF-8")
        };
        let file = path.to_str().expect("UTF-8 path");
        let text = run("pdftotext", &["-raw", "-enc", "UTF-8", file, "-"]);
        let info = run("pdfinfo", &[file]);
        let pages = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("page count");
        (text.split_whitespace().collect::<Vec<_>>().join(" "), pages)
    }

    #[test]
    fn the_sheet_reads_back_with_its_criteria_and_teams() {
        let r = Renderer::new();
        let pdf = r.render_blank_sheet(&sample(8)).expect("eight teams");
        // As the certificate tests do: `CERTIFICATE_KEEP_DIR=/some/dir` keeps the PDF to look at.
        if let Ok(keep) = std::env::var("CERTIFICATE_KEEP_DIR") {
            std::fs::write(std::path::Path::new(&keep).join("phieu-cham.pdf"), &pdf).expect("keep");
        }
        let (one, pages) = text(&pdf);
        assert_eq!(pages, 1, "eight teams fit one page");
        for needle in [
            "PHIẾU CHẤM",
            "Phần thi: Giới thiệu đội thi và sáng kiến",
            "Giám khảo: Nguyễn Thị Hằng",
            "(tối đa 40)",
            "Tính khả thi",
            "Đội huyện Đắk Glong số 1",
            "Đội huyện Đắk Glong số 8",
            "Tổng điểm",
            "(Ký và ghi rõ họ tên)",
        ] {
            assert!(one.contains(needle), "{needle} in {one}");
        }
        let (many, pages) = text(&r.render_blank_sheet(&sample(40)).expect("forty teams"));
        assert!(pages >= 2, "forty teams continue on another page");
        assert!(many.contains("PHIẾU CHẤM (tiếp theo)") && many.contains("Đội huyện Đắk Glong số 40"));
    }
}
