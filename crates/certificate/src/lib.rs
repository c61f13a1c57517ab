//! Certificates (giấy chứng nhận) as PDF.
//!
//! Plain data in, PDF bytes out: no HTTP, no SQL. A [`Certificate`] is laid out on one A4
//! landscape page (`layout.rs`) in fonts embedded in the crate (Noto Serif and Be Vietnam Pro,
//! both OFL, both covering every Vietnamese letter), shaped with rustybuzz (`text.rs`) and written
//! by krilla (`pdf.rs`), which subsets the fonts and maps every glyph back to its text, so that
//! copying, searching and screen readers get the Vietnamese text exactly. A QR code, drawn as
//! vector squares, encodes the public verification address.
//!
//! User text (names, units, contest titles) is only ever shaped and drawn as text: nothing in it
//! is interpreted, so a name such as `#panic("x")` or `*bold* $x$ ]` prints literally.
//!
//! Typical use in the web server: build one [`Renderer`] at start-up (it parses the fonts once),
//! share it (`Arc<Renderer>` or a `static`), and call [`Renderer::render`] inside
//! `tokio::task::spawn_blocking`, because a render is a fraction of a millisecond to a few
//! milliseconds of CPU work that must not stall the async executor. The free functions
//! [`render`] and [`render_many`] use a process-wide renderer created on first use.

mod layout;
mod pdf;
pub mod sheet;
mod text;

pub use sheet::{BlankSheet, SheetCriterion, SheetError};

use std::sync::LazyLock;

use qrcode::{EcLevel, QrCode};

use crate::layout::{PageText, Placed, QrModules};
use crate::text::Fonts;

/// Longest accepted values, in characters (and lines). They keep every field in its place on the
/// page at a readable size (a test renders every field at its limit and still gets one page) and
/// reject garbage early with a message the organiser can act on. Should a page overflow all the
/// same, its content is scaled down rather than cut or continued on a second page.
/// Public so that the forms that collect these texts (prize names, headings) can check them as
/// they are typed rather than when the first certificate is printed.
pub mod limits {
    pub const SERIAL: usize = 64;
    /// Per line of the issuing body and of the signatory's title (real ones are under 45).
    pub const BLOCK_LINE: usize = 50;
    pub const BLOCK_LINES: usize = 3;
    pub const CONTEST_TITLE: usize = 250;
    pub const RECIPIENT: usize = 100;
    pub const DETAIL_LINE: usize = 100;
    pub const DETAIL_LINES: usize = 3;
    pub const AWARD: usize = 80;
    pub const ROUND: usize = 40;
    pub const PLACE_AND_DATE: usize = 80;
    pub const SIGNATORY_NAME: usize = 60;
    pub const VERIFY_URL: usize = 200;
}

/// Everything printed on one certificate. Text should be Unicode NFC, as the project stores it:
/// the PDF carries the text as given, so text extracted from it (copy, search, screen readers)
/// matches what was stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Certificate {
    /// Serial number, e.g. `TDX-2025-V1-000123`; printed small beside the QR code.
    pub serial: String,
    /// Issuing body, one line per `\n`, e.g. `UBND TỈNH HÀ GIANG\nBAN TỔ CHỨC CUỘC THI`; printed
    /// top-left, the last line in bold as on official documents. May be empty.
    pub heading: String,
    /// e.g. `Cuộc thi trực tuyến “Tìm hiểu pháp luật về an ninh mạng” năm 2025`.
    pub contest_title: String,
    /// Full name with diacritics, e.g. `Nguyễn Thị Thu Hằng` (or a unit's name for a collective
    /// prize); shrunk to fit one line when long.
    pub recipient: String,
    /// Lines under the name (unit, locality); may be empty. Blank lines are skipped.
    pub recipient_detail: Vec<String>,
    /// e.g. `Giải Nhất`, `Giải Khuyến khích`, or a collective prize's name.
    pub award: String,
    /// e.g. `Tuần 2`; `None` for the overall ranking.
    pub round: Option<String>,
    /// e.g. `Hà Giang, ngày 20 tháng 11 năm 2025`, formatted by the caller. May be empty.
    pub place_and_date: String,
    /// Signatory's title, one line per `\n`, e.g. `TM. BAN TỔ CHỨC\nTRƯỞNG BAN`. May be empty.
    pub signatory_title: String,
    /// e.g. `Trần Văn Bình`; printed under the space left for the signature and seal. May be empty.
    pub signatory_name: String,
    /// The public verification page: encoded in the QR code and printed small.
    pub verify_url: String,
}

/// Why a certificate could not be rendered. Display messages are Vietnamese, written for the
/// organiser who asked for the PDF; [`CertificateError::Template`] and [`CertificateError::Pdf`]
/// mean a bug here rather than bad data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// `render_many` was given an empty list.
    #[error("Không có giấy chứng nhận nào để xuất.")]
    Empty,
    /// A field that every certificate needs is blank.
    #[error("Giấy chứng nhận {which} chưa có {field}.")]
    MissingField {
        /// `số …` (the serial) or `thứ N` (position in the list) when the serial itself is missing.
        which: String,
        /// The field, in Vietnamese, e.g. `họ và tên người nhận`.
        field: &'static str,
    },
    /// A field is longer than fits on the page.
    #[error("Giấy chứng nhận {which}: {field} quá dài (tối đa {max} {unit}).")]
    TooLong {
        /// As in [`CertificateError::MissingField`].
        which: String,
        /// The field, in Vietnamese.
        field: &'static str,
        /// The limit.
        max: usize,
        /// `ký tự` (characters) or `dòng` (lines).
        unit: &'static str,
    },
    /// The verification address cannot be put in a QR code.
    #[error("Không tạo được mã QR cho địa chỉ tra cứu của giấy chứng nhận {which}: {reason}.")]
    QrCode {
        /// As in [`CertificateError::MissingField`].
        which: String,
        /// The QR encoder's reason.
        reason: String,
    },
    /// The content did not fit one page per certificate. Not returned any more: every certificate
    /// is drawn on a page of its own and scaled to fit it (see [`CertificateError::Template`] for
    /// the check that remains). Kept so that callers matching on it still compile.
    #[error("Nội dung giấy chứng nhận không vừa một trang: {certificates} giấy chứng nhận thành {pages} trang.")]
    Overflow {
        /// Certificates asked for.
        certificates: usize,
        /// Pages produced.
        pages: usize,
    },
    /// The layout put something outside the page's frame (a bug in this crate; checked on every
    /// page so that a layout bug shows as an error rather than as a cut-off certificate).
    #[error("Lỗi khi dàn trang giấy chứng nhận: {0}")]
    Template(String),
    /// Writing the PDF failed (a bug in this crate or in krilla).
    #[error("Lỗi khi xuất tệp PDF giấy chứng nhận: {0}")]
    Pdf(String),
}

/// Renders certificates; build once, reuse for every request.
///
/// Holds the parsed fonts and their shaping plans. It is `Send + Sync` (checked at compile time
/// below): share it by reference or `Arc` between threads; renders on several threads at once are
/// safe. Each render is CPU-bound, so from async code call it inside
/// `tokio::task::spawn_blocking`.
pub struct Renderer {
    fonts: Fonts,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Renderer>();
};

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// Parses the embedded fonts. Costs well under a millisecond; do it once.
    ///
    /// # Panics
    /// Only if the fonts compiled into the crate cannot be read, which the tests rule out.
    pub fn new() -> Self {
        let fonts = Fonts::new().unwrap_or_else(|e| panic!("the embedded fonts cannot be read: {}", e.0));
        Self { fonts }
    }

    /// One certificate as a one-page PDF (A4 landscape).
    pub fn render(&self, cert: &Certificate) -> Result<Vec<u8>, CertificateError> {
        self.render_many(std::slice::from_ref(cert))
    }

    /// Several certificates in one PDF, one page each, in order (a round's bulk download).
    pub fn render_many(&self, certs: &[Certificate]) -> Result<Vec<u8>, CertificateError> {
        if certs.is_empty() {
            return Err(CertificateError::Empty);
        }
        let pages = certs.iter().enumerate().map(|(i, cert)| page_text(i, cert)).collect::<Result<Vec<_>, _>>()?;
        let title = match certs {
            [one] => format!("Giấy chứng nhận – {}", single_line(&one.recipient)),
            many => format!("{} giấy chứng nhận", many.len()),
        };
        // A stable identifier from the serials: rendering the same certificates again gives the
        // same document ID, and no creation date is written, so the bytes are reproducible.
        let id = certs.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>().join(",");
        self.pdf(&pages, &title, &id)
    }

    fn pdf(&self, pages: &[PageText], title: &str, id: &str) -> Result<Vec<u8>, CertificateError> {
        let placed = pages.iter().map(|page| self.place(page)).collect::<Result<Vec<_>, _>>()?;
        pdf::document(&self.fonts, &placed, title, id).map_err(|e| CertificateError::Pdf(e.0))
    }

    /// Lays out one page and checks that everything landed inside the frame.
    fn place(&self, page: &PageText) -> Result<Placed, CertificateError> {
        let placed = layout::place(&self.fonts, page);
        if !placed.fits_inside_the_frame() {
            return Err(CertificateError::Template(format!(
                "nội dung giấy chứng nhận số {} vượt ra ngoài khung",
                page.serial
            )));
        }
        Ok(placed)
    }
}

/// The process-wide renderer behind [`render`] and [`render_many`].
static SHARED: LazyLock<Renderer> = LazyLock::new(Renderer::new);

/// One certificate as a one-page PDF, with a process-wide [`Renderer`] made on first use.
pub fn render(cert: &Certificate) -> Result<Vec<u8>, CertificateError> {
    SHARED.render(cert)
}

/// Several certificates in one PDF, one page each, with a process-wide [`Renderer`].
pub fn render_many(certs: &[Certificate]) -> Result<Vec<u8>, CertificateError> {
    SHARED.render_many(certs)
}

/// Validates one certificate and cleans its text for the page.
fn page_text(index: usize, cert: &Certificate) -> Result<PageText, CertificateError> {
    // Name the certificate by its serial, or by its position when the serial is unusable.
    let serial_text = single_line(&cert.serial);
    let which = if serial_text.is_empty() || serial_text.chars().count() > limits::SERIAL {
        format!("thứ {}", index + 1)
    } else {
        format!("số {serial_text}")
    };
    let check = Check { which: &which };

    let serial = check.required(&cert.serial, "số hiệu", limits::SERIAL)?;
    let recipient = check.required(&cert.recipient, "họ và tên người nhận", limits::RECIPIENT)?;
    let award = check.required(&cert.award, "tên giải", limits::AWARD)?;
    let contest_title = check.required(&cert.contest_title, "tên cuộc thi", limits::CONTEST_TITLE)?;
    let verify_url = check.required(&cert.verify_url, "địa chỉ tra cứu", limits::VERIFY_URL)?;
    let round = match &cert.round {
        Some(round) => check.optional(round, "tên đợt thi", limits::ROUND)?,
        None => String::new(),
    };
    let place_and_date = check.optional(&cert.place_and_date, "địa danh, ngày tháng", limits::PLACE_AND_DATE)?;
    let signatory_name = check.optional(&cert.signatory_name, "họ và tên người ký", limits::SIGNATORY_NAME)?;
    let (block_line, block_lines) = (limits::BLOCK_LINE, limits::BLOCK_LINES);
    let heading = check.lines(cert.heading.lines(), "tên cơ quan tổ chức", block_line, block_lines)?;
    let signatory_title = check.lines(cert.signatory_title.lines(), "chức vụ người ký", block_line, block_lines)?;
    let details = check.lines(
        cert.recipient_detail.iter().map(String::as_str),
        "thông tin người nhận",
        limits::DETAIL_LINE,
        limits::DETAIL_LINES,
    )?;

    let qr =
        qr_modules(&verify_url).map_err(|e| CertificateError::QrCode { which: which.clone(), reason: qr_reason(e) })?;

    Ok(PageText {
        serial,
        heading,
        contest_title,
        recipient,
        details,
        award,
        round,
        place_and_date,
        signatory_title,
        signatory_name,
        verify_url,
        qr,
    })
}

/// Field checks that name the certificate in their errors.
struct Check<'a> {
    which: &'a str,
}

impl Check<'_> {
    fn required(&self, value: &str, field: &'static str, max: usize) -> Result<String, CertificateError> {
        let value = self.optional(value, field, max)?;
        if value.is_empty() {
            return Err(CertificateError::MissingField { which: self.which.to_owned(), field });
        }
        Ok(value)
    }

    fn optional(&self, value: &str, field: &'static str, max: usize) -> Result<String, CertificateError> {
        let value = single_line(value);
        if value.chars().count() > max {
            return Err(self.too_long(field, max, "ký tự"));
        }
        Ok(value)
    }

    /// Non-blank lines, each cleaned and at most `max_chars` long.
    fn lines<'s>(
        &self,
        lines: impl Iterator<Item = &'s str>,
        field: &'static str,
        max_chars: usize,
        max_lines: usize,
    ) -> Result<Vec<String>, CertificateError> {
        let mut out = Vec::new();
        for line in lines {
            let line = self.optional(line, field, max_chars)?;
            if line.is_empty() {
                continue;
            }
            if out.len() == max_lines {
                return Err(self.too_long(field, max_lines, "dòng"));
            }
            out.push(line);
        }
        Ok(out)
    }

    fn too_long(&self, field: &'static str, max: usize, unit: &'static str) -> CertificateError {
        CertificateError::TooLong { which: self.which.to_owned(), field, max, unit }
    }
}

/// Trims and turns control characters (tabs, stray newlines, NUL…) into single spaces: they have no
/// place on a certificate and would otherwise show as tofu or break the layout.
fn single_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_control() || c.is_whitespace()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The verification address as QR code modules; drawn with the standard 4-module quiet zone.
/// Level M survives a little wear or a stamp's edge.
fn qr_modules(url: &str) -> Result<QrModules, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)?;
    let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
    Ok(QrModules { width: code.width(), dark })
}

/// The QR encoder's error in Vietnamese. With the URL length limit none is expected.
fn qr_reason(err: qrcode::types::QrError) -> String {
    use qrcode::types::QrError;
    match err {
        QrError::DataTooLong => "địa chỉ quá dài".into(),
        QrError::UnsupportedCharacterSet | QrError::InvalidCharacter => "địa chỉ có ký tự không mã hóa được".into(),
        other => format!("lỗi của bộ mã hóa QR ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert() -> Certificate {
        Certificate {
            serial: "TDX-2025-V1-000001".into(),
            contest_title: "Cuộc thi trực tuyến “Tìm hiểu pháp luật về an ninh mạng” năm 2025".into(),
            recipient: "Nguyễn Thị Thu Hằng".into(),
            award: "Giải Nhất".into(),
            verify_url: "https://cuocthi.example.gov.vn/xac-minh/TDX-2025-V1-000001".into(),
            ..Certificate::default()
        }
    }

    /// The length limits keep real input from running over a page, so the scale-to-fit fallback
    /// is reached here by going around them: 15 detail lines instead of at most 3.
    #[test]
    fn an_overfull_page_is_scaled_onto_one_page() {
        let renderer = Renderer::new();
        let mut overfull = page_text(0, &cert()).expect("valid inputs");
        overfull.details = vec!["Trường Trung học phổ thông Chuyên Hà Giang, tỉnh Tuyên Quang".into(); 15];
        let normal = page_text(1, &cert()).expect("valid inputs");

        // At natural size the first certificate is taller than its page…
        let (_, natural) = layout::compose(&renderer.fonts, &overfull, layout::CONTENT_WIDTH, layout::CONTENT_HEIGHT);
        assert!(natural > layout::CONTENT_HEIGHT, "{natural} should overflow {}", layout::CONTENT_HEIGHT);
        // …so it is scaled onto it, and everything stays inside the frame; the normal one is not.
        let placed = renderer.place(&overfull).expect("scaled to fit");
        assert!(placed.scale < 0.9, "scale {}", placed.scale);
        assert!(placed.fits_inside_the_frame());
        assert_eq!(renderer.place(&normal).expect("fits").scale, 1.0);

        let pdf = renderer.pdf(&[overfull, normal], "t", "id").expect("renders");
        assert_eq!(count_pages(&pdf), 2);
    }

    /// The page count of a PDF as krilla writes it (`/Type/Pages/Count N`, uncompressed).
    fn count_pages(pdf: &[u8]) -> usize {
        let needle = b"/Type/Pages/Count ";
        let at = pdf.windows(needle.len()).position(|w| w == needle).expect("a page tree") + needle.len();
        let digits: String = pdf[at..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| char::from(b)).collect();
        digits.parse().expect("a page count")
    }

    #[test]
    fn the_middle_band_is_centred_and_nothing_overlaps() {
        let renderer = Renderer::new();
        let page = page_text(
            0,
            &Certificate {
                heading: "UBND TỈNH HÀ GIANG\nBAN TỔ CHỨC CUỘC THI".into(),
                recipient_detail: vec!["Trường THPT Chuyên Hà Giang".into()],
                place_and_date: "Hà Giang, ngày 20 tháng 11 năm 2025".into(),
                signatory_title: "TM. BAN TỔ CHỨC\nTRƯỞNG BAN".into(),
                signatory_name: "Trần Văn Bình".into(),
                ..cert()
            },
        )
        .expect("valid");
        let placed = renderer.place(&page).expect("fits");
        assert_eq!(placed.scale, 1.0);
        assert!(placed.fits_inside_the_frame());
        let boxes: Vec<_> = placed.items.iter().map(|item| placed.page_bounds(item)).collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                // Ink boxes: each line's from its highest accent to its deepest descender. Lines
                // set close, as official documents are, may have a `g` above an `Ổ` with their
                // boxes meeting by a hair without the glyphs touching; more than 1 pt is a clash.
                let overlap_x = a.right.min(b.right) - a.left.max(b.left);
                let overlap_y = a.bottom.min(b.bottom) - a.top.max(b.top);
                assert!(overlap_x <= 0.0 || overlap_y <= 1.0, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn control_characters_and_runs_of_spaces_become_one_space() {
        assert_eq!(single_line("  Nguyễn\tThị\u{0}  Thu\r\nHằng \u{7f}"), "Nguyễn Thị Thu Hằng");
    }
}
