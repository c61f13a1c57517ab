//! The certificate page: where everything goes, in points (y down from the top of the content area).
//!
//! A4 landscape. A gold outer frame and a dark red inner frame with gold diamonds at its corners;
//! inside the margins, three bands:
//! - top: the issuing body on the left (lines centred, the last one bold, a short rule under) and
//!   the national title and motto on the right (a rule as long as the motto, as Decree
//!   30/2020/NĐ-CP lays them out);
//! - middle, centred in the room left between the other two: "GIẤY CHỨNG NHẬN", the ornament,
//!   "Trao tặng", the recipient (shrunk to fit one line, then wrapped), the detail lines, the award
//!   and round, the contest title (the largest size at which it fits its height);
//! - bottom: the QR code with the serial and address on the left; place and date, the signatory's
//!   title, room for the signature and seal, and the signatory's name on the right.
//!
//! Should the content be taller than the page (every field near its length limit), the page is
//! laid out again wider and scaled down as a whole, so that a certificate is always one page and
//! nothing is cut.

use crate::text::{Face, Fonts, Line, Rgb, Style};

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;

pub(crate) const PAGE_WIDTH: f32 = 297.0 * MM;
pub(crate) const PAGE_HEIGHT: f32 = 210.0 * MM;
pub(crate) const MARGIN_X: f32 = 20.0 * MM;
pub(crate) const MARGIN_TOP: f32 = 16.0 * MM;
const MARGIN_BOTTOM: f32 = 15.0 * MM;
pub(crate) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
pub(crate) const CONTENT_HEIGHT: f32 = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;

/// The frames, from the page's edges.
pub(crate) const OUTER_FRAME: f32 = 8.0 * MM;
pub(crate) const INNER_FRAME: f32 = 10.5 * MM;

pub(crate) const RED: Rgb = Rgb(0x8b, 0x1e, 0x1e);
pub(crate) const GOLD: Rgb = Rgb(0xb4, 0x8a, 0x32);
const INK: Rgb = Rgb(0x1d, 0x1d, 0x1d);
const GREY: Rgb = Rgb(0x4a, 0x4a, 0x4a);
pub(crate) const BLACK: Rgb = Rgb(0, 0, 0);

/// Width of the middle band's text (the recipient, details, award and title).
const MIDDLE_WIDTH: f32 = 215.0 * MM;
const QR_SIZE: f32 = 27.0 * MM;
/// Least space between the middle band and the bands above and below it.
const BAND_GAP: f32 = 4.0 * MM;

/// What one page prints, validated and cleaned (see `page_text` in lib.rs).
#[derive(Clone, Debug, Default)]
pub(crate) struct PageText {
    pub serial: String,
    pub heading: Vec<String>,
    pub contest_title: String,
    pub recipient: String,
    pub details: Vec<String>,
    pub award: String,
    /// Empty for the overall ranking.
    pub round: String,
    pub place_and_date: String,
    pub signatory_title: Vec<String>,
    pub signatory_name: String,
    pub verify_url: String,
    pub qr: QrModules,
}

/// A QR code's modules, row by row, without the quiet zone.
#[derive(Clone, Debug, Default)]
pub(crate) struct QrModules {
    pub width: usize,
    pub dark: Vec<bool>,
}

/// Something drawn on the page.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// A line of text, `x` its left end.
    Text { x: f32, baseline: f32, line: Line },
    /// A horizontal rule from `x` to `x + length`, centred on `y`.
    Rule { x: f32, y: f32, length: f32, width: f32, color: Rgb },
    /// A square on its corner: centre and half its diagonal.
    Diamond { cx: f32, cy: f32, half: f32, fill: Rgb },
    /// A QR code with its top-left corner at `(x, y)`, `size` wide including the quiet zone.
    Qr { x: f32, y: f32, size: f32, modules: QrModules },
}

/// A rectangle: left, top, right, bottom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bounds {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

impl Item {
    /// The ink's extent (text from ascender to descender, not just its line box).
    pub fn bounds(&self) -> Bounds {
        match self {
            Item::Text { x, baseline, line } => Bounds {
                left: *x,
                top: baseline - line.metrics.ascent,
                right: x + line.width,
                bottom: baseline + line.metrics.descent,
            },
            Item::Rule { x, y, length, width, .. } => {
                Bounds { left: *x, top: y - width / 2.0, right: x + length, bottom: y + width / 2.0 }
            }
            Item::Diamond { cx, cy, half, .. } => {
                Bounds { left: cx - half, top: cy - half, right: cx + half, bottom: cy + half }
            }
            Item::Qr { x, y, size, .. } => Bounds { left: *x, top: *y, right: x + size, bottom: y + size },
        }
    }

    fn translate(&mut self, dx: f32, dy: f32) {
        match self {
            Item::Text { x, baseline: y, .. } | Item::Rule { x, y, .. } | Item::Qr { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
            Item::Diamond { cx, cy, .. } => {
                *cx += dx;
                *cy += dy;
            }
        }
    }
}

/// A page laid out: its items in content coordinates, drawn scaled by `scale` from the content
/// area's top-left corner (1 unless the content had to shrink to fit).
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    pub items: Vec<Item>,
    pub scale: f32,
}

impl Placed {
    /// Where an item's ink lands on the page, in page coordinates.
    pub fn page_bounds(&self, item: &Item) -> Bounds {
        let b = item.bounds();
        let s = self.scale;
        Bounds {
            left: MARGIN_X + s * b.left,
            top: MARGIN_TOP + s * b.top,
            right: MARGIN_X + s * b.right,
            bottom: MARGIN_TOP + s * b.bottom,
        }
    }

    /// Whether every item lies inside the inner frame.
    pub fn fits_inside_the_frame(&self) -> bool {
        let (left, top) = (INNER_FRAME, INNER_FRAME);
        let (right, bottom) = (PAGE_WIDTH - INNER_FRAME, PAGE_HEIGHT - INNER_FRAME);
        self.items.iter().all(|item| {
            let b = self.page_bounds(item);
            b.left >= left && b.top >= top && b.right <= right && b.bottom <= bottom
        })
    }
}

/// Lays out one certificate's page.
pub(crate) fn place(fonts: &Fonts, page: &PageText) -> Placed {
    let mut scale = 1.0_f32;
    let mut composed = compose(fonts, page, CONTENT_WIDTH, CONTENT_HEIGHT);
    // Too tall: lay out again on a wider, taller area that is then scaled down to the page (a
    // wider area may wrap long lines into fewer, so a second round may be needed). Widths and
    // heights do not shrink proportionally, so the rounds are capped; whatever is left is scaled
    // down without a new layout, which always fits.
    for _ in 0..3 {
        if composed.1 <= CONTENT_HEIGHT / scale {
            break;
        }
        scale *= CONTENT_HEIGHT / scale / composed.1;
        composed = compose(fonts, page, CONTENT_WIDTH / scale, CONTENT_HEIGHT / scale);
    }
    let (items, height) = composed;
    let scale = scale.min(CONTENT_HEIGHT / height);
    Placed { items, scale }
}

/// Lays the page out on a `width` × `height` content area; returns the items and the height
/// used: `height`, or more when the content does not fit it (the bottom band then sits under the
/// middle one rather than on it).
pub(crate) fn compose(fonts: &Fonts, page: &PageText, width: f32, height: f32) -> (Vec<Item>, f32) {
    let top = top_band(fonts, page, width);
    let middle = middle_band(fonts, page, width);
    let bottom = bottom_band(fonts, page, width);

    let natural = top.height + BAND_GAP + middle.height + BAND_GAP + bottom.height;
    let used = natural.max(height);
    // The middle band sits halfway between the other two.
    let room = used - top.height - bottom.height;
    let middle_y = top.height + (room - middle.height) / 2.0;
    let mut items = top.items;
    items.extend(middle.items.into_iter().map(|mut item| {
        item.translate(0.0, middle_y);
        item
    }));
    let bottom_y = used - bottom.height;
    items.extend(bottom.items.into_iter().map(|mut item| {
        item.translate(0.0, bottom_y);
        item
    }));
    (items, used)
}

/// A column of items built top-down; `height` is the bottom of what is there so far.
struct Stack {
    width: f32,
    items: Vec<Item>,
    height: f32,
    /// Whether anything (an item or space) is there yet: gaps go only between things.
    started: bool,
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
}

impl Stack {
    fn new(width: f32) -> Self {
        Self { width, items: Vec::new(), height: 0.0, started: false }
    }

    /// Space before the next item, unless it is the first.
    fn gap(&mut self, gap: f32) {
        if self.started {
            self.height += gap;
        }
        self.started = true;
    }

    /// Space, even at the top.
    fn space(&mut self, space: f32) {
        self.height += space;
        self.started = true;
    }

    /// Lines of one paragraph, `gap` above the first, each line's leading between them.
    fn lines(&mut self, lines: Vec<Line>, gap: f32, align: Align) {
        let mut leading = gap;
        for line in lines {
            self.gap(leading);
            leading = line.metrics.leading;
            self.height += line.metrics.cap;
            let x = match align {
                Align::Left => 0.0,
                Align::Center => (self.width - line.width) / 2.0,
            };
            self.items.push(Item::Text { x, baseline: self.height, line });
        }
    }

    /// A centred horizontal rule.
    fn rule(&mut self, gap: f32, length: f32, width: f32, color: Rgb) {
        self.gap(gap);
        let x = (self.width - length) / 2.0;
        self.items.push(Item::Rule { x, y: self.height + width / 2.0, length, width, color });
        self.height += width;
    }

    /// Moves every item by `(dx, dy)` and hands them over.
    fn into_items(self, dx: f32, dy: f32) -> Vec<Item> {
        self.items
            .into_iter()
            .map(|mut item| {
                item.translate(dx, dy);
                item
            })
            .collect()
    }
}

/// A band's items and height, laid out from its top.
struct Band {
    items: Vec<Item>,
    height: f32,
}

/// `text` on one line at `style`, shrunk to fit `width` but not below `min`; past that, wrapped.
fn fit_line(fonts: &Fonts, text: &str, style: Style, min: f32, width: f32) -> Vec<Line> {
    let shaped = fonts.shape(&[(text, style)]);
    let natural = shaped.width();
    if natural <= width {
        return vec![shaped.single_line()];
    }
    // 0.99: stay clear of rounding at exactly the width.
    let size = (style.size * width / natural * 0.99).max(min);
    fonts.shape(&[(text, style.sized(size))]).break_lines(width)
}

/// A paragraph made by `spans(size)` at the first of `sizes` (largest first) at which it is at
/// most `max_height` tall once wrapped to `width`, else at the last.
fn fit_block<'a>(
    fonts: &Fonts,
    spans: impl Fn(f32) -> Vec<(&'a str, Style)>,
    sizes: &[f32],
    width: f32,
    max_height: f32,
) -> Vec<Line> {
    let mut lines = Vec::new();
    for &size in sizes {
        lines = fonts.shape(&spans(size)).break_lines(width);
        if block_height(&lines) <= max_height {
            break;
        }
    }
    lines
}

fn block_height(lines: &[Line]) -> f32 {
    let caps: f32 = lines.iter().map(|l| l.metrics.cap).sum();
    let leading: f32 = lines.iter().rev().skip(1).map(|l| l.metrics.leading).sum();
    caps + leading
}

fn serif(size: f32) -> Style {
    Style::new(Face::Serif, size, INK)
}

fn bold(size: f32) -> Style {
    Style::new(Face::SerifBold, size, INK)
}

fn italic(size: f32) -> Style {
    Style::new(Face::SerifItalic, size, INK)
}

/// The issuing body (left) and the national title and motto (right).
fn top_band(fonts: &Fonts, page: &PageText, width: f32) -> Band {
    // Columns 1 : 1.2 with an 8 mm gutter.
    let gutter = 8.0 * MM;
    let left_width = (width - gutter) / 2.2;
    let right_width = width - gutter - left_width;

    let mut issuer = Stack::new(left_width);
    if !page.heading.is_empty() {
        let last = page.heading.len() - 1;
        for (i, line) in page.heading.iter().enumerate() {
            let style = if i == last { bold(12.0) } else { serif(12.0) };
            issuer.lines(fit_line(fonts, line, style, 8.0, left_width), 6.0, Align::Center);
        }
        issuer.rule(1.2 * MM + 6.0, 28.0 * MM, 0.6, INK);
    }

    let mut national = Stack::new(right_width);
    national.lines(
        fit_line(fonts, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold(12.0), 8.0, right_width),
        0.0,
        Align::Center,
    );
    let motto = fonts.shape(&[("Độc lập - Tự do - Hạnh phúc", bold(13.0))]).single_line();
    let motto_width = motto.width;
    national.lines(vec![motto], 6.5, Align::Center);
    national.rule(1.2 * MM + 6.5, motto_width, 0.6, INK);

    let height = issuer.height.max(national.height);
    let mut items = issuer.into_items(0.0, 0.0);
    items.extend(national.into_items(left_width + gutter, 0.0));
    Band { items, height }
}

/// From "GIẤY CHỨNG NHẬN" to the contest title, centred.
fn middle_band(fonts: &Fonts, page: &PageText, width: f32) -> Band {
    let mut stack = Stack::new(width);
    let text_width = MIDDLE_WIDTH.min(width);

    let title = Style { tracking: 1.5, ..Style::new(Face::SerifBold, 36.0, RED) };
    stack.lines(vec![fonts.shape(&[("GIẤY CHỨNG NHẬN", title)]).single_line()], 0.0, Align::Center);

    // The ornament: gold rules either side of a diamond, 90 mm in all.
    stack.gap(1.0 * MM + 18.0);
    let (ornament, side, diamond, gutter) = (90.0 * MM, 2.6 * MM, 2.6 * MM * std::f32::consts::SQRT_2, 2.0 * MM);
    let rule = (ornament - side - 2.0 * gutter) / 2.0;
    let (left, cy) = ((width - ornament) / 2.0, stack.height + diamond / 2.0);
    stack.items.push(Item::Rule { x: left, y: cy, length: rule, width: 0.8, color: GOLD });
    stack.items.push(Item::Diamond { cx: width / 2.0, cy, half: diamond / 2.0, fill: GOLD });
    stack.items.push(Item::Rule { x: left + ornament - rule, y: cy, length: rule, width: 0.8, color: GOLD });
    stack.space(diamond);

    stack.lines(vec![fonts.shape(&[("Trao tặng", italic(15.0))]).single_line()], 3.0 * MM + 6.5, Align::Center);

    let recipient = Style::new(Face::SerifBold, 32.0, RED);
    stack.lines(fit_line(fonts, &page.recipient, recipient, 16.0, text_width), 2.5 * MM + 7.5, Align::Center);
    for (i, detail) in page.details.iter().enumerate() {
        let gap = if i == 0 { 1.5 * MM + 7.0 } else { 7.0 };
        stack.lines(fit_line(fonts, detail, serif(14.0), 10.0, text_width), gap, Align::Center);
    }

    let round = if page.round.is_empty() { String::new() } else { format!(" – {}", page.round) };
    let award = fit_block(
        fonts,
        |size| {
            let mut spans =
                vec![("Đã đạt ", serif(size)), (page.award.as_str(), Style::new(Face::SerifBold, size + 2.0, RED))];
            if !round.is_empty() {
                spans.push((round.as_str(), serif(size)));
            }
            spans
        },
        &[15.0, 14.0, 13.0, 12.0],
        text_width,
        9.0 * MM,
    );
    stack.lines(award, 4.0 * MM + 6.5, Align::Center);

    let contest = fit_block(
        fonts,
        |size| vec![(page.contest_title.as_str(), bold(size))],
        &[15.0, 14.0, 13.0, 12.0, 11.0],
        text_width,
        15.0 * MM,
    );
    stack.lines(contest, 1.0 * MM + 6.5, Align::Center);

    let height = stack.height;
    Band { items: stack.into_items(0.0, 0.0), height }
}

/// The QR code, serial and address (left); place, date and signatory (right).
fn bottom_band(fonts: &Fonts, page: &PageText, width: f32) -> Band {
    let gutter = 10.0 * MM;
    let column = (width - gutter) / 2.0;

    // Left: the QR code, and beside it, bottom-aligned, the small print.
    let qr_gutter = 3.0 * MM;
    let small = Style::new(Face::Sans, 7.5, GREY);
    let mut print = Stack::new(column - QR_SIZE - qr_gutter);
    let print_width = print.width;
    for text in [format!("Số: {}", page.serial), "Tra cứu tại:".to_owned(), page.verify_url.clone()] {
        let lines = fonts.shape(&[(&text, small)]).break_lines(print_width);
        print.lines(lines, 0.5 * small.size, Align::Left);
    }
    let print_bottom = 1.5 * MM;
    let left_height = QR_SIZE.max(print.height + print_bottom);

    // Right: place and date, the signatory's title, room to sign and stamp, the name.
    let mut sign = Stack::new(column);
    if !page.place_and_date.is_empty() {
        sign.lines(fit_line(fonts, &page.place_and_date, italic(13.0), 10.0, column), 0.0, Align::Center);
    }
    for line in &page.signatory_title {
        sign.lines(fit_line(fonts, line, bold(13.0), 9.0, column), 6.5, Align::Center);
    }
    // The room for the signature and seal stays even when nothing is printed under it, and the
    // name's baseline stays on the content's bottom edge.
    sign.space(22.0 * MM + 7.0);
    if page.signatory_name.is_empty() {
        sign.space(fonts.cap_height(bold(14.0)));
    } else {
        sign.lines(fit_line(fonts, &page.signatory_name, bold(14.0), 10.0, column), 0.0, Align::Center);
    }

    let height = left_height.max(sign.height);
    let mut items = Vec::new();
    items.push(Item::Qr { x: 0.0, y: height - QR_SIZE, size: QR_SIZE, modules: page.qr.clone() });
    let print_height = print.height;
    items.extend(print.into_items(QR_SIZE + qr_gutter, height - print_bottom - print_height));
    let sign_height = sign.height;
    items.extend(sign.into_items(column + gutter, height - sign_height));
    Band { items, height }
}
