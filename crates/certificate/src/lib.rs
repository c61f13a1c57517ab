//! Certificates (giấy chứng nhận) as PDF.
//!
//! Plain data in, PDF bytes out: no HTTP, no SQL. A [`Certificate`] is laid out by a typst template
//! (`certificate.typ`, compiled into the crate) on one A4 landscape page, in fonts embedded in the
//! crate (Noto Serif and Be Vietnam Pro, both OFL, both covering every Vietnamese letter), with a QR
//! code that encodes the public verification address.
//!
//! User text (names, units, contest titles) reaches typst as *string values* in `sys.inputs`, never
//! spliced into typst source, so a name such as `#panic("x")` or `*bold* $x$ ]` prints literally.
//!
//! Typical use in the web server: build one [`Renderer`] at start-up (it parses the fonts and the
//! template once), share it (`Arc<Renderer>` or a `static`), and call [`Renderer::render`] inside
//! `tokio::task::spawn_blocking`, because a render is a few milliseconds of CPU work that must not
//! stall the async executor. The free functions [`render`] and [`render_many`] use a process-wide
//! renderer created on first use.

use std::sync::LazyLock;

use qrcode::{EcLevel, QrCode};
use typst::diag::SourceDiagnostic;
use typst::ecow::EcoVec;
use typst::foundations::{Array, Bytes, Dict, IntoValue, Smart, Value};
use typst_as_lib::{TypstAsLibError, TypstEngine, TypstTemplateMainFile};
use typst_layout::PagedDocument;

/// The typst template; it reads everything it prints from `sys.inputs` (see [`Renderer`]).
const TEMPLATE: &str = include_str!("certificate.typ");

/// Embedded fonts (OFL 1.1, see `fonts/README.md`). Static slices, so typst borrows them without a
/// copy. Noto Serif sets the certificate; Be Vietnam Pro sets the small print.
const FONTS: [&[u8]; 4] = [
    include_bytes!("../fonts/NotoSerif-Regular.ttf"),
    include_bytes!("../fonts/NotoSerif-Bold.ttf"),
    include_bytes!("../fonts/NotoSerif-Italic.ttf"),
    include_bytes!("../fonts/BeVietnamPro-Regular.ttf"),
];

/// How many compilations a memoised typst result may go unused before comemo drops it. Typst's
/// memoisation cache is global to the process and would otherwise grow with every certificate
/// rendered. Keeping results longer does not pay here: nearly every result depends on the inputs,
/// which differ per certificate (measured over 100 renders: ages 4 and 30 were no faster than 0 per
/// certificate, while peak memory rose from 137 to 160 and 212 MB). So evict after each render.
const CACHE_MAX_AGE: usize = 0;

/// Longest accepted values, in characters (and lines). They keep every field in its place on the
/// page at a readable size (a test renders every field at its limit and still gets one page) and
/// reject garbage early with a message the organiser can act on. Should a page overflow all the
/// same, the template scales its content down rather than cut text or start a second page.
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
    /// The content did not fit one page per certificate. Not expected: the length limits and the
    /// template's scale-to-fit prevent it; checked so that a template bug cannot misalign a bulk
    /// PDF (page N no longer being certificate N).
    #[error("Nội dung giấy chứng nhận không vừa một trang: {certificates} giấy chứng nhận thành {pages} trang.")]
    Overflow {
        /// Certificates asked for.
        certificates: usize,
        /// Pages produced.
        pages: usize,
    },
    /// The template failed to compile or lay out (a bug in this crate).
    #[error("Lỗi khi dàn trang giấy chứng nhận: {0}")]
    Template(String),
    /// The PDF export failed (a bug in this crate or typst).
    #[error("Lỗi khi xuất tệp PDF giấy chứng nhận: {0}")]
    Pdf(String),
}

/// Renders certificates; build once, reuse for every request.
///
/// Holds the typst engine with the parsed template, the fonts and the standard library. It is
/// `Send + Sync` (checked at compile time below): share it by reference or `Arc` between threads;
/// renders on several threads at once are safe. Each render is CPU-bound (milliseconds), so from
/// async code call it inside `tokio::task::spawn_blocking`.
pub struct Renderer {
    engine: TypstEngine<TypstTemplateMainFile>,
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
    /// Parses the embedded fonts and sets up the typst engine. Costs a few milliseconds; do it once.
    pub fn new() -> Self {
        let engine = TypstEngine::builder()
            .main_file(("certificate.typ", TEMPLATE))
            .fonts(FONTS.map(Bytes::new))
            .comemo_evict_max_age(Some(CACHE_MAX_AGE))
            .build();
        Self { engine }
    }

    /// One certificate as a one-page PDF (A4 landscape).
    pub fn render(&self, cert: &Certificate) -> Result<Vec<u8>, CertificateError> {
        self.render_many(std::slice::from_ref(cert))
    }

    /// Several certificates in one PDF, one page each, in order (a round's bulk download).
    pub fn render_many(&self, certs: &[Certificate]) -> Result<Vec<u8>, CertificateError> {
        let inputs = document_inputs(certs)?;
        let doc = self.layout(inputs, certs.len())?;
        // A stable identifier from the serials: rendering the same certificates again gives the
        // same document ID, and no creation date is written, so the bytes are reproducible.
        let ident = certs.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>().join(",");
        let options = typst_pdf::PdfOptions { ident: Smart::Custom(ident), ..Default::default() };
        typst_pdf::pdf(&doc, &options).map_err(|diags| CertificateError::Pdf(messages(&diags)))
    }

    /// Lays out `count` certificates, one page each. First at natural size; only if a certificate
    /// ran over its page, again with every page scaled to fit (`one-page` in the template, which
    /// costs a second layout of each page, hence not the default).
    fn layout(&self, inputs: Dict, count: usize) -> Result<PagedDocument, CertificateError> {
        let mut doc = self.compile(inputs.clone(), false)?;
        if doc.pages().len() != count {
            doc = self.compile(inputs, true)?;
        }
        if doc.pages().len() != count {
            return Err(CertificateError::Overflow { certificates: count, pages: doc.pages().len() });
        }
        Ok(doc)
    }

    fn compile(&self, mut inputs: Dict, shrink: bool) -> Result<PagedDocument, CertificateError> {
        inputs.insert("shrink".into(), shrink.into_value());
        self.engine.compile_with_input(inputs).output.map_err(template_error)
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

/// Validates the certificates and turns them into the template's `sys.inputs`.
fn document_inputs(certs: &[Certificate]) -> Result<Dict, CertificateError> {
    if certs.is_empty() {
        return Err(CertificateError::Empty);
    }
    let pages: Array =
        certs.iter().enumerate().map(|(i, cert)| page_inputs(i, cert).map(Value::Dict)).collect::<Result<_, _>>()?;
    let title = match certs {
        [one] => format!("Giấy chứng nhận – {}", single_line(&one.recipient)),
        many => format!("{} giấy chứng nhận", many.len()),
    };
    let mut inputs = Dict::new();
    inputs.insert("title".into(), title.into_value());
    inputs.insert("certificates".into(), Value::Array(pages));
    Ok(inputs)
}

/// Validates one certificate and turns it into the dictionary the template reads.
fn page_inputs(index: usize, cert: &Certificate) -> Result<Dict, CertificateError> {
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
        qr_svg(&verify_url).map_err(|e| CertificateError::QrCode { which: which.clone(), reason: qr_reason(e) })?;

    let mut dict = Dict::new();
    let mut put = |key: &str, value: Value| {
        dict.insert(key.into(), value);
    };
    put("serial", serial.into_value());
    put("heading", heading);
    put("contest_title", contest_title.into_value());
    put("recipient", recipient.into_value());
    put("details", details);
    put("award", award.into_value());
    put("round", round.into_value());
    put("place_and_date", place_and_date.into_value());
    put("signatory_title", signatory_title);
    put("signatory_name", signatory_name.into_value());
    put("verify_url", verify_url.into_value());
    put("qr", Bytes::new(qr.into_bytes()).into_value());
    Ok(dict)
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

    /// Non-blank lines, each cleaned and at most `max_chars` long, as a typst array.
    fn lines<'s>(
        &self,
        lines: impl Iterator<Item = &'s str>,
        field: &'static str,
        max_chars: usize,
        max_lines: usize,
    ) -> Result<Value, CertificateError> {
        let mut out = Array::new();
        for line in lines {
            let line = self.optional(line, field, max_chars)?;
            if line.is_empty() {
                continue;
            }
            if out.len() == max_lines {
                return Err(self.too_long(field, max_lines, "dòng"));
            }
            out.push(line.into_value());
        }
        Ok(Value::Array(out))
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

/// The verification address as an SVG QR code, one unit per module with the standard 4-module
/// quiet zone; the template scales it. Level M survives a little wear or a stamp's edge.
fn qr_svg(url: &str) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().module_dimensions(1, 1).quiet_zone(true).build())
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

fn template_error(err: TypstAsLibError) -> CertificateError {
    match err {
        TypstAsLibError::TypstSource(diags) => CertificateError::Template(messages(&diags)),
        other => CertificateError::Template(other.to_string()),
    }
}

fn messages(diags: &EcoVec<SourceDiagnostic>) -> String {
    diags.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("; ")
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
        let mut inputs = document_inputs(&[cert(), cert()]).expect("valid inputs");
        let line = "Trường Trung học phổ thông Chuyên Hà Giang, tỉnh Tuyên Quang".into_value();
        let mut overfull = page_inputs(0, &cert()).expect("valid inputs");
        overfull.insert("details".into(), Value::Array((0..15).map(|_| line.clone()).collect()));
        let pages: Array =
            [Value::Dict(overfull), Value::Dict(page_inputs(1, &cert()).expect("valid"))].into_iter().collect();
        inputs.insert("certificates".into(), Value::Array(pages));

        let natural = renderer.compile(inputs.clone(), false).expect("compiles");
        assert_eq!(natural.pages().len(), 3, "the first certificate should run over its page");
        let doc = renderer.layout(inputs, 2).expect("scaled to fit");
        assert_eq!(doc.pages().len(), 2);
    }

    #[test]
    fn control_characters_and_runs_of_spaces_become_one_space() {
        assert_eq!(single_line("  Nguyễn\tThị\u{0}  Thu\r\nHằng \u{7f}"), "Nguyễn Thị Thu Hằng");
    }
}
