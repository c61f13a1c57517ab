//! Drawing laid-out pages with krilla, and the document around them.
//!
//! Fonts are embedded as subsets with a ToUnicode map built from the text each glyph run stands
//! for, so text extracted from the PDF is the text given. The PDF is not PDF/A: krilla's PDF/A-2b
//! validator requires a creation date (the bytes would then change from one render to the next,
//! or carry a made-up date) and refuses any `.notdef` glyph (a character missing from both fonts
//! in a user's name would make the render fail instead of showing a box). The typst renderer
//! before this one did not write PDF/A either.

use krilla::Document;
use krilla::SerializeSettings;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;

use crate::layout::{
    BLACK, GOLD, INNER_FRAME, Item, MARGIN_TOP, MARGIN_X, OUTER_FRAME, PAGE_HEIGHT, PAGE_WIDTH, Placed, QrModules, RED,
};
use crate::text::{Fonts, Rgb};

/// What went wrong in krilla (a bug here: nothing in the input reaches it unchecked).
#[derive(Debug)]
pub(crate) struct PdfError(pub String);

/// The PDF of `pages`, one page each, with `title` as its document title and `id` as its
/// document identifier. No creation date is written, so the same input gives the same bytes.
pub(crate) fn document(fonts: &Fonts, pages: &[Placed], title: &str, id: &str) -> Result<Vec<u8>, PdfError> {
    let settings = SerializeSettings { enable_tagging: false, ..SerializeSettings::default() };
    let mut document = Document::new_with(settings);
    let size = Size::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or_else(|| PdfError("page size".into()))?;
    for placed in pages {
        let mut page = document.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();
        draw_page(&mut surface, fonts, placed);
        surface.finish();
        page.finish();
    }
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language("vi".to_owned())
            .creator("cuocthi".to_owned())
            .document_id(id.to_owned()),
    );
    document.finish().map_err(|e| PdfError(e.to_string()))
}

fn draw_page(surface: &mut Surface<'_>, fonts: &Fonts, placed: &Placed) {
    draw_border(surface);
    let s = placed.scale;
    surface.push_transform(&Transform::from_row(s, 0.0, 0.0, s, MARGIN_X, MARGIN_TOP));
    for item in &placed.items {
        draw_item(surface, fonts, item);
    }
    surface.pop();
}

/// Gold outer frame, dark red inner frame, gold diamonds edged in red at the inner corners.
fn draw_border(surface: &mut Surface<'_>) {
    frame(surface, OUTER_FRAME, 2.4, GOLD);
    frame(surface, INNER_FRAME, 0.7, RED);
    let half = 2.5 * crate::layout::MM * std::f32::consts::SQRT_2;
    for (cx, cy) in [
        (INNER_FRAME, INNER_FRAME),
        (PAGE_WIDTH - INNER_FRAME, INNER_FRAME),
        (INNER_FRAME, PAGE_HEIGHT - INNER_FRAME),
        (PAGE_WIDTH - INNER_FRAME, PAGE_HEIGHT - INNER_FRAME),
    ] {
        diamond(surface, cx, cy, half, GOLD, Some((0.7, RED)));
    }
}

/// A rectangle `inset` from the page's edges, stroked.
fn frame(surface: &mut Surface<'_>, inset: f32, width: f32, color: Rgb) {
    let mut path = PathBuilder::new();
    path.move_to(inset, inset);
    path.line_to(PAGE_WIDTH - inset, inset);
    path.line_to(PAGE_WIDTH - inset, PAGE_HEIGHT - inset);
    path.line_to(inset, PAGE_HEIGHT - inset);
    path.close();
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(stroke(width, color)));
        surface.draw_path(&path);
    }
}

fn diamond(surface: &mut Surface<'_>, cx: f32, cy: f32, half: f32, color: Rgb, edge: Option<(f32, Rgb)>) {
    let mut path = PathBuilder::new();
    path.move_to(cx, cy - half);
    path.line_to(cx + half, cy);
    path.line_to(cx, cy + half);
    path.line_to(cx - half, cy);
    path.close();
    if let Some(path) = path.finish() {
        surface.set_fill(Some(fill(color)));
        surface.set_stroke(edge.map(|(width, color)| stroke(width, color)));
        surface.draw_path(&path);
    }
}

fn fill(color: Rgb) -> Fill {
    Fill { paint: krilla::color::rgb::Color::from(color).into(), opacity: NormalizedF32::ONE, ..Fill::default() }
}

fn stroke(width: f32, color: Rgb) -> Stroke {
    Stroke { paint: krilla::color::rgb::Color::from(color).into(), width, ..Stroke::default() }
}

fn draw_item(surface: &mut Surface<'_>, fonts: &Fonts, item: &Item) {
    match item {
        Item::Text { x, baseline, line } => {
            surface.set_stroke(None);
            for run in &line.runs {
                surface.set_fill(Some(fill(run.color)));
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
        Item::Rule { x, y, length, width, color } => {
            let mut path = PathBuilder::new();
            path.move_to(*x, *y);
            path.line_to(x + length, *y);
            if let Some(path) = path.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(*width, *color)));
                surface.draw_path(&path);
            }
        }
        Item::Diamond { cx, cy, half, fill } => diamond(surface, *cx, *cy, *half, *fill, None),
        Item::Qr { x, y, size, modules } => draw_qr(surface, *x, *y, *size, modules),
    }
}

/// The QR code as vector squares, one rectangle per horizontal run of dark modules, all in one
/// path (so no hairline seams between modules), inside the standard 4-module quiet zone.
fn draw_qr(surface: &mut Surface<'_>, x: f32, y: f32, size: f32, modules: &QrModules) {
    const QUIET: usize = 4;
    let n = modules.width;
    if n == 0 {
        return;
    }
    let module = size / (n + 2 * QUIET) as f32;
    let origin = |i: usize| (i + QUIET) as f32 * module;
    let mut path = PathBuilder::new();
    for (row, cells) in modules.dark.chunks(n).enumerate() {
        let mut col = 0;
        while col < n {
            if !cells[col] {
                col += 1;
                continue;
            }
            let start = col;
            while col < n && cells[col] {
                col += 1;
            }
            let (left, top) = (x + origin(start), y + origin(row));
            let (right, bottom) = (x + origin(col), y + origin(row + 1));
            path.move_to(left, top);
            path.line_to(right, top);
            path.line_to(right, bottom);
            path.line_to(left, bottom);
            path.close();
        }
    }
    if let Some(path) = path.finish() {
        surface.set_stroke(None);
        surface.set_fill(Some(fill(BLACK)));
        surface.draw_path(&path);
    }
}
