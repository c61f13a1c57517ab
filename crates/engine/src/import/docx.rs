//! Word (.docx) question banks.
//!
//! A .docx is a zip that anyone can upload, so it is read defensively: at most [`MAX_ZIP_ENTRIES`]
//! entries, only `word/document.xml` is opened, and that part is inflated through a cap of
//! [`MAX_DOCUMENT_XML_BYTES`] counted while reading (the size a zip declares can lie), then parsed by
//! a streaming XML reader, one event at a time, keeping only text and its formatting. Comments, footnotes,
//! headers and pictures live in other parts and are never read; tracked deletions, hidden text,
//! text boxes and field codes are skipped, tracked insertions are kept.
//!
//! Organisers write banks in four shapes (docs/IMPORT.md, "Word (.docx)"):
//! "Câu 1: …" paragraphs followed by "A. …" options and a "Đáp án: B" line; the same with the
//! correct option marked by bold, underline, highlight or a star; Word's auto-numbered lists; and
//! tables, either with the spreadsheet's columns or with one question per row. This module only
//! decides which text is a stem, an option, a key, a topic or an explanation: judging the question
//! (five options, two keys, no stem…) is left to [`QuestionDraft::validate`], so every format
//! gets the same Vietnamese messages.

use std::collections::BTreeSet;
use std::io::{self, BufReader, Cursor, Read};
use std::ops::Range;

use cuocthi_domain::question::QuestionDraft;
use cuocthi_domain::text;
use quick_xml::NsReader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use zip::ZipArchive;

use super::progress::{Progress, Stage};
use super::questions::{self, Column, Table};

/// Largest unpacked `word/document.xml` read: a bank of thousands of questions is a few MB of XML.
pub const MAX_DOCUMENT_XML_BYTES: u64 = 30 * 1024 * 1024;
/// Most entries a .docx may hold: Word writes about a dozen, plus one per picture.
pub const MAX_ZIP_ENTRIES: usize = 2000;
/// Deepest element nesting followed; Word's own documents stay far below.
const MAX_DEPTH: usize = 256;
const DOCUMENT_PART: &str = "word/document.xml";
const DEFAULT_TOPIC: &str = "Chung";

/// WordprocessingML, transitional and strict.
const WORD_NAMESPACES: [&str; 2] = [
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];
/// Markup compatibility: `mc:AlternateContent` wraps content Word offers in two forms.
const COMPAT_NAMESPACE: &str = "http://schemas.openxmlformats.org/markup-compatibility/2006";

type Errors = Vec<String>;

fn refuse<T>(message: impl Into<String>) -> Result<T, Errors> {
    Err(vec![message.into()])
}

// ---------------------------------------------------------------------------------------------
// Messages

const NOT_DOCX: &str = "Tệp không phải là tài liệu Word (.docx)";

fn too_big() -> String {
    format!(
        "Nội dung tài liệu Word khi giải nén lớn hơn {} MB nên không được đọc (tệp quá lớn hoặc là tệp nén \
         bất thường). Hãy chia ngân hàng câu hỏi thành nhiều tệp nhỏ hơn.",
        MAX_DOCUMENT_XML_BYTES / 1024 / 1024
    )
}

fn too_many_entries() -> String {
    format!("{NOT_DOCX} thông thường: tệp nén chứa hơn {MAX_ZIP_ENTRIES} thành phần.")
}

fn no_questions() -> String {
    "Không tìm thấy câu hỏi nào trong tài liệu Word. Mỗi câu hỏi bắt đầu bằng \"Câu 1:\", \"Câu 2:\"… \
     (hoặc là một mục của danh sách đánh số, hoặc một dòng của bảng), tiếp theo là các phương án \
     \"A.\", \"B.\", \"C.\", \"D.\" (xem hướng dẫn trong docs/IMPORT.md)."
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// The questions of a document

/// The questions of a Word document, each with its position, or the reasons the file cannot be
/// read (in Vietnamese).
///
/// The position is what the report shows as "Đoạn N": the paragraphs of the document body that
/// hold text and the table rows that hold text are numbered 1, 2, 3… in reading order — empty
/// paragraphs are not counted, and the paragraphs inside a table row share the row's number. A
/// question takes the number of the paragraph or row where it starts: its "Câu N" line, its list
/// item, its first option when it has no stem, or its table row.
pub fn read_docx(bytes: &[u8]) -> Result<Vec<(usize, QuestionDraft)>, Vec<String>> {
    read_docx_with_progress(bytes, &Progress::default())
}

/// [`read_docx`], telling `progress` how many bytes of `word/document.xml` it has read, out of the
/// size the zip declares for it.
pub(crate) fn read_docx_with_progress(
    bytes: &[u8],
    progress: &Progress,
) -> Result<Vec<(usize, QuestionDraft)>, Vec<String>> {
    let blocks = read_body(bytes, progress)?;
    let drafts = drafts_from_blocks(&blocks)?;
    if drafts.is_empty() {
        return refuse(no_questions());
    }
    Ok(drafts)
}

fn drafts_from_blocks(blocks: &[Block]) -> Result<Vec<(usize, QuestionDraft)>, Errors> {
    let mut flow = Flow::new(DEFAULT_TOPIC.to_string());
    for block in blocks {
        match block {
            Block::Para(p) => flow.paragraph(p),
            Block::Table(rows) => flow.table(rows)?,
        }
    }
    flow.finish();
    Ok(flow.done)
}

// ---------------------------------------------------------------------------------------------
// The container

/// Whether `bytes` look like a Word document without unpacking anything: a zip whose central
/// directory (where entry names are stored in clear) names `word/document.xml`.
pub(crate) fn looks_like_docx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") && contains(directory_region(bytes), DOCUMENT_PART.as_bytes())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The end-of-central-directory record: the last `PK\x05\x06` of the final 64 KiB (the record is
/// 22 bytes and its comment at most 65,535).
fn end_record(bytes: &[u8]) -> Option<&[u8]> {
    let tail = &bytes[bytes.len().saturating_sub(22 + 65_535)..];
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    tail.get(at..at + 22)
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The number of entries the archive declares, read before the zip library indexes them all
/// (0xFFFF marks a zip64 archive, which no .docx needs, and is refused as too many).
fn declared_entries(bytes: &[u8]) -> Option<usize> {
    end_record(bytes).and_then(|r| le16(r, 10)).map(usize::from)
}

/// The central directory's bytes, or the whole file when the record is missing or points outside.
fn directory_region(bytes: &[u8]) -> &[u8] {
    end_record(bytes)
        .and_then(|r| {
            let size = le32(r, 12)? as usize;
            let start = le32(r, 16)? as usize;
            bytes.get(start..start.checked_add(size)?)
        })
        .unwrap_or(bytes)
}

/// Recognises files that are not a .docx by their first bytes, to say what they are instead.
fn check_signature(bytes: &[u8]) -> Result<(), Errors> {
    if bytes.is_empty() {
        return refuse(format!("{NOT_DOCX}: tệp rỗng, không có nội dung."));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return refuse(
            "Tệp là tài liệu Word đời cũ (.doc) hoặc tài liệu Word có đặt mật khẩu, chưa đọc được. Hãy mở tệp \
             bằng Word (bỏ mật khẩu nếu có), chọn Lưu thành (Save As) → Word Document (*.docx), rồi nhập tệp \
             .docx đó.",
        );
    }
    if bytes.starts_with(b"%PDF") {
        return refuse(format!("{NOT_DOCX} mà là tệp PDF. Hãy nhập tệp Word gốc (.docx) thay cho bản PDF."));
    }
    if bytes.starts_with(b"{\\rtf") {
        return refuse(format!(
            "{NOT_DOCX} mà là văn bản RTF. Hãy mở bằng Word, chọn Lưu thành (Save As) → Word Document (*.docx)."
        ));
    }
    if !bytes.starts_with(b"PK") {
        return refuse(format!(
            "{NOT_DOCX}: nội dung không phải là tệp nén của Word. Hãy mở tệp bằng Word rồi lưu lại thành .docx."
        ));
    }
    Ok(())
}

/// What a zip without `word/document.xml` is, for the message.
fn other_package<R: Read + io::Seek>(archive: &ZipArchive<R>) -> String {
    if archive.index_for_name("xl/workbook.xml").is_some() {
        format!("{NOT_DOCX} mà là bảng tính Excel (.xlsx). Hãy đổi đuôi tệp thành .xlsx rồi nhập lại.")
    } else if archive.index_for_name("ppt/presentation.xml").is_some() {
        format!("{NOT_DOCX} mà là bản trình chiếu PowerPoint (.pptx).")
    } else if archive.index_for_name("content.xml").is_some() {
        format!("{NOT_DOCX} mà là tài liệu OpenDocument (.odt). Hãy mở bằng LibreOffice hoặc Word và lưu thành .docx.")
    } else {
        format!("{NOT_DOCX}: trong tệp nén không có phần nội dung word/document.xml.")
    }
}

/// Opens the zip and streams `word/document.xml` into blocks, within the caps.
fn read_body(bytes: &[u8], progress: &Progress) -> Result<Vec<Block>, Errors> {
    if bytes.len() > questions::MAX_FILE_BYTES {
        return refuse(format!("Tệp lớn hơn {} MB.", questions::MAX_FILE_BYTES / 1024 / 1024));
    }
    check_signature(bytes)?;
    if declared_entries(bytes).is_some_and(|n| n > MAX_ZIP_ENTRIES) {
        return refuse(too_many_entries());
    }
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        vec![format!("{NOT_DOCX}: tệp nén bị hỏng hoặc không đúng định dạng. Hãy mở bằng Word và lưu lại thành .docx.")]
    })?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return refuse(too_many_entries());
    }
    if archive.index_for_name(DOCUMENT_PART).is_none() {
        return refuse(other_package(&archive));
    }
    let part = archive.by_name(DOCUMENT_PART).map_err(|e| {
        vec![format!(
            "Tài liệu Word bị hỏng, có mật khẩu hoặc được nén theo cách không hỗ trợ: không đọc được \
             word/document.xml (chi tiết: {e})."
        )]
    })?;
    // The declared size refuses an honest bomb at once. A lying one is stopped by the zip reader
    // just past the size it declared, and in any case by the cap counted here.
    if part.size() > MAX_DOCUMENT_XML_BYTES {
        return refuse(too_big());
    }
    progress.begin(Stage::Reading, part.size());
    parse_body(Capped::new(part, MAX_DOCUMENT_XML_BYTES).reporting(progress))
}

/// A reader that fails once more than `limit` bytes came through (`take` stops it one byte past),
/// so an inflating bomb ends at the cap instead of filling memory; `exceeded` tells that failure
/// from a broken file.
struct Capped<'p, R> {
    inner: io::Take<R>,
    limit: u64,
    seen: u64,
    exceeded: bool,
    /// Told the bytes seen so far, for the console's progress bar.
    progress: Option<&'p Progress>,
}

impl<'p, R: Read> Capped<'p, R> {
    fn new(inner: R, limit: u64) -> Capped<'p, R> {
        Capped { inner: inner.take(limit.saturating_add(1)), limit, seen: 0, exceeded: false, progress: None }
    }

    fn reporting(self, progress: &'p Progress) -> Capped<'p, R> {
        Capped { progress: Some(progress), ..self }
    }
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        if self.seen > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("word/document.xml is over the size cap"));
        }
        if let Some(p) = self.progress {
            p.set(self.seen);
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// The body as paragraphs and tables

/// Formats that can mark the correct option, as bits.
const BOLD: u8 = 1;
const UNDERLINE: u8 = 2;
const HIGHLIGHT: u8 = 4;

/// Text of one format.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Span {
    text: String,
    format: u8,
}

/// A paragraph that holds text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Para {
    /// Its position (see [`read_docx`]).
    pos: usize,
    spans: Vec<Span>,
    /// A Heading style or an outline level: a topic title.
    heading: bool,
    /// Word's list numbering: `w:numId` and `w:ilvl`; the number itself is not in the text.
    num_id: Option<String>,
    level: u8,
}

/// A list a paragraph belongs to, and its level in it.
type ListKey = (String, u8);

impl Para {
    fn push(&mut self, s: &str, format: u8) {
        match self.spans.last_mut() {
            Some(last) if last.format == format => last.text.push_str(s),
            _ => self.spans.push(Span { text: s.to_string(), format }),
        }
    }

    fn is_blank(&self) -> bool {
        self.spans.iter().all(|s| s.text.trim().is_empty())
    }

    fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }

    fn list_key(&self) -> Option<ListKey> {
        self.num_id.as_ref().filter(|id| id.as_str() != "0").map(|id| (id.clone(), self.level))
    }
}

/// A table row that holds text: its cells' paragraphs, empty cells kept so columns line up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Row {
    pos: usize,
    cells: Vec<Vec<Para>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Block {
    Para(Para),
    Table(Vec<Row>),
}

/// Which namespace an element is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ns {
    Word,
    Compat,
    Other,
}

impl Ns {
    fn of(resolved: &ResolveResult<'_>) -> Ns {
        match resolved {
            ResolveResult::Bound(ns) if WORD_NAMESPACES.contains(&ns.0) => Ns::Word,
            ResolveResult::Bound(ns) if ns.0 == COMPAT_NAMESPACE => Ns::Compat,
            _ => Ns::Other,
        }
    }
}

/// The open elements that matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Para,
    ParaProps,
    NumProps,
    Run,
    RunProps,
    Text,
    Table,
    Row,
    Cell,
    Other,
}

/// Subtrees whose text is not the document's visible text, or whose formatting is not the run's:
/// tracked deletions and old formatting, field codes, pictures and text boxes, properties of
/// sections, tables and content controls.
const SKIPPED: &[&str] = &[
    "del",
    "moveFrom",
    "delText",
    "delInstrText",
    "instrText",
    "rPrChange",
    "pPrChange",
    "numberingChange",
    "drawing",
    "pict",
    "object",
    "txbxContent",
    "sdtPr",
    "sdtEndPr",
    "sectPr",
    "tblPr",
    "tblPrEx",
    "tblGrid",
    "trPr",
    "tcPr",
    "customXmlPr",
    "smartTagPr",
];

/// The formatting of the run being read.
#[derive(Clone, Copy, Debug, Default)]
struct RunProps {
    format: u8,
    hidden: bool,
}

/// Whether a toggle such as `<w:b/>` or `<w:b w:val="0"/>` is on.
fn toggle_on(val: Option<&str>) -> bool {
    !matches!(val, Some("0" | "false" | "off" | "none"))
}

/// An attribute's value by its local name (`w:val` → "val").
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local).map(|a| a.value.to_string())
}

impl RunProps {
    fn apply(&mut self, name: &str, e: &BytesStart<'_>) {
        let val = attr(e, "val");
        let val = val.as_deref();
        match name {
            "b" => self.set(BOLD, toggle_on(val)),
            "u" => self.set(UNDERLINE, toggle_on(val)),
            "highlight" => self.set(HIGHLIGHT, toggle_on(val)),
            "shd" => {
                let fill = attr(e, "fill").unwrap_or_default().to_ascii_lowercase();
                self.set(HIGHLIGHT, !matches!(fill.as_str(), "" | "auto" | "ffffff"));
            }
            "rStyle" if val.is_some_and(|v| v.to_ascii_lowercase().contains("strong")) => self.set(BOLD, true),
            "vanish" => self.hidden = toggle_on(val),
            _ => {}
        }
    }

    fn set(&mut self, bit: u8, on: bool) {
        if on {
            self.format |= bit;
        } else {
            self.format &= !bit;
        }
    }
}

/// The state of the streaming read of `word/document.xml`.
#[derive(Default)]
struct Body {
    blocks: Vec<Block>,
    /// The last position given (see [`read_docx`]).
    position: usize,
    stack: Vec<Ctx>,
    /// Depth inside a skipped subtree (0: not skipping).
    skipping: usize,
    para: Option<Para>,
    run: RunProps,
    /// Depth of nested tables; an inner table's paragraphs belong to the outer table's cell.
    tables: usize,
    rows: Vec<Row>,
    row: Option<Row>,
    cell: Option<Vec<Para>>,
}

/// Reads the body's paragraphs and tables from the XML of `word/document.xml`.
fn parse_body<R: Read>(source: Capped<'_, R>) -> Result<Vec<Block>, Errors> {
    let mut reader = NsReader::from_reader(BufReader::new(source));
    let mut body = Body::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_resolved_event_into(&mut buf) {
            Ok((ns, event)) => {
                let ns = Ns::of(&ns);
                if body.event(ns, event)? {
                    break;
                }
            }
            Err(e) => return Err(vec![xml_failure(e, reader.get_mut().get_mut().exceeded)]),
        }
    }
    if !body.stack.is_empty() {
        return refuse("Tài liệu Word bị hỏng: nội dung word/document.xml bị cắt cụt.");
    }
    Ok(body.blocks)
}

/// Why the XML could not be read: over the cap, not inflatable (a bad checksum, more data than the
/// zip declared), or not well-formed.
fn xml_failure(e: quick_xml::Error, over_the_cap: bool) -> String {
    match e {
        _ if over_the_cap => too_big(),
        quick_xml::Error::Io(e) => {
            format!("Tài liệu Word bị hỏng: không giải nén được word/document.xml (chi tiết: {e}).")
        }
        e => format!("Tài liệu Word bị hỏng: nội dung word/document.xml không phải XML hợp lệ (chi tiết: {e})."),
    }
}

impl Body {
    /// Handles one event; true at the end of the document.
    fn event(&mut self, ns: Ns, event: Event<'_>) -> Result<bool, Errors> {
        match event {
            Event::Start(e) => self.start(ns, &e)?,
            Event::Empty(e) if self.skipping == 0 && ns == Ns::Word => {
                self.property_or_mark(e.local_name().as_ref(), &e);
            }
            Event::End(_) => self.end(),
            Event::Text(t) if self.in_text() => self.push_text(&t.xml10_content()),
            Event::CData(t) if self.in_text() => self.push_text(&t.xml10_content()),
            Event::GeneralRef(r) if self.in_text() => {
                if let Some(c) = entity(&r) {
                    self.push_text(c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::Eof => return Ok(true),
            _ => {}
        }
        Ok(false)
    }

    fn in_text(&self) -> bool {
        self.skipping == 0 && self.stack.last() == Some(&Ctx::Text)
    }

    fn start(&mut self, ns: Ns, e: &BytesStart<'_>) -> Result<(), Errors> {
        if self.skipping > 0 {
            self.skipping += 1;
            return Ok(());
        }
        if self.stack.len() >= MAX_DEPTH {
            return refuse(format!(
                "Tài liệu Word bất thường: các thành phần lồng nhau quá {MAX_DEPTH} tầng, không đọc được."
            ));
        }
        let local = e.local_name();
        let ctx = match ns {
            Ns::Word => self.open_word(local.as_ref(), e),
            // mc:Choice holds what Word shows; mc:Fallback repeats it for older readers.
            Ns::Compat if local.as_ref() != "Fallback" => Some(Ctx::Other),
            _ => None,
        };
        match ctx {
            Some(ctx) => self.stack.push(ctx),
            None => self.skipping = 1,
        }
        Ok(())
    }

    /// Opens a WordprocessingML element; `None` skips its whole subtree.
    fn open_word(&mut self, name: &str, e: &BytesStart<'_>) -> Option<Ctx> {
        let top = self.stack.last().copied();
        if SKIPPED.contains(&name) {
            return None;
        }
        Some(match name {
            "p" if self.para.is_none() => {
                self.para = Some(Para::default());
                Ctx::Para
            }
            "pPr" if top == Some(Ctx::Para) => Ctx::ParaProps,
            "numPr" if top == Some(Ctx::ParaProps) => Ctx::NumProps,
            // The paragraph mark's formatting and tab stops are not text.
            "rPr" | "tabs" if top == Some(Ctx::ParaProps) => return None,
            "rPr" if top == Some(Ctx::Run) => Ctx::RunProps,
            "r" => {
                self.run = RunProps::default();
                Ctx::Run
            }
            "t" if top == Some(Ctx::Run) => Ctx::Text,
            "tbl" => {
                self.tables += 1;
                Ctx::Table
            }
            "tr" if self.tables == 1 => {
                self.row = Some(Row::default());
                Ctx::Row
            }
            "tc" if self.tables == 1 && self.row.is_some() => {
                self.cell = Some(Vec::new());
                Ctx::Cell
            }
            _ => {
                self.property_or_mark(name, e);
                Ctx::Other
            }
        })
    }

    /// A property of the paragraph or run being read, or a tab or break inside a run.
    fn property_or_mark(&mut self, name: &str, e: &BytesStart<'_>) {
        match (self.stack.last().copied(), name) {
            (Some(Ctx::Run), "tab" | "ptab") => self.push_text("\t"),
            (Some(Ctx::Run), "br" | "cr") => self.push_text(" "),
            (Some(Ctx::Run), "noBreakHyphen") => self.push_text("-"),
            (Some(Ctx::RunProps), _) => self.run.apply(name, e),
            (Some(Ctx::ParaProps), "pStyle") => {
                let style = attr(e, "val").unwrap_or_default().to_ascii_lowercase();
                self.with_para(|p| p.heading |= style.starts_with("heading"));
            }
            (Some(Ctx::ParaProps), "outlineLvl") => {
                let level = attr(e, "val").and_then(|v| v.parse::<u8>().ok());
                self.with_para(|p| p.heading |= level.is_some_and(|l| l < 9));
            }
            (Some(Ctx::NumProps), "numId") => {
                let id = attr(e, "val");
                self.with_para(|p| p.num_id = id);
            }
            (Some(Ctx::NumProps), "ilvl") => {
                let level = attr(e, "val").and_then(|v| v.parse().ok()).unwrap_or(0);
                self.with_para(|p| p.level = level);
            }
            _ => {}
        }
    }

    fn with_para(&mut self, f: impl FnOnce(&mut Para)) {
        if let Some(p) = self.para.as_mut() {
            f(p);
        }
    }

    fn push_text(&mut self, s: &str) {
        if self.run.hidden {
            return;
        }
        let format = self.run.format;
        self.with_para(|p| p.push(s, format));
    }

    fn end(&mut self) {
        if self.skipping > 0 {
            self.skipping -= 1;
            return;
        }
        match self.stack.pop() {
            Some(Ctx::Para) => self.close_para(),
            Some(Ctx::Run) => self.run = RunProps::default(),
            Some(Ctx::Table) => self.close_table(),
            Some(Ctx::Row) => self.close_row(),
            Some(Ctx::Cell) => self.close_cell(),
            _ => {}
        }
    }

    fn close_para(&mut self) {
        let Some(para) = self.para.take() else { return };
        if para.is_blank() {
            return;
        }
        if self.tables > 0 {
            // A paragraph of a table is numbered with its row, when the row closes.
            if let Some(cell) = self.cell.as_mut() {
                cell.push(para);
            }
            return;
        }
        self.position += 1;
        self.blocks.push(Block::Para(Para { pos: self.position, ..para }));
    }

    fn close_cell(&mut self) {
        if let (Some(cell), Some(row)) = (self.cell.take(), self.row.as_mut()) {
            row.cells.push(cell);
        }
    }

    fn close_row(&mut self) {
        let Some(mut row) = self.row.take() else { return };
        if row.cells.iter().all(Vec::is_empty) {
            return;
        }
        self.position += 1;
        row.pos = self.position;
        for p in row.cells.iter_mut().flatten() {
            p.pos = self.position;
        }
        self.rows.push(row);
    }

    fn close_table(&mut self) {
        self.tables = self.tables.saturating_sub(1);
        if self.tables == 0 {
            let rows = std::mem::take(&mut self.rows);
            if !rows.is_empty() {
                self.blocks.push(Block::Table(rows));
            }
        }
    }
}

/// The character of `&amp;`, `&#7841;`…; unknown entities (none in Word's output) are dropped.
fn entity(r: &BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    match r.xml10_content().as_ref() {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Labels: "Câu 1:", "A.", "Đáp án:", "Giải thích:", "Chủ đề:", "PHẦN I"

/// A paragraph's text with the format of every byte, for the option and mark rules.
struct Line<'p> {
    para: &'p Para,
    text: String,
    /// The end byte and format of each span, in order.
    ends: Vec<(usize, u8)>,
}

impl<'p> Line<'p> {
    fn new(para: &'p Para) -> Line<'p> {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(para.spans.len());
        for span in &para.spans {
            text.push_str(&span.text);
            ends.push((text.len(), span.format));
        }
        Line { para, text, ends }
    }

    /// The formats every letter and digit of `range` carries; `None` if it holds none.
    fn marks(&self, range: Range<usize>) -> Option<u8> {
        let slice = self.text.get(range.clone())?;
        let mut span = 0;
        let mut all: Option<u8> = None;
        for (i, c) in slice.char_indices() {
            while self.ends.get(span).is_some_and(|(end, _)| *end <= range.start + i) {
                span += 1;
            }
            if c.is_alphanumeric() {
                let format = self.ends.get(span).map_or(0, |(_, f)| *f);
                all = Some(all.map_or(format, |a| a & format));
            }
        }
        all
    }
}

/// The first word of `s` (up to white space, a digit or ASCII punctuation) and what follows; marks
/// of decomposed (NFD) text stay inside the word.
fn first_word(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| c.is_whitespace() || c.is_ascii_digit() || c.is_ascii_punctuation()).unwrap_or(s.len());
    s.split_at(end)
}

/// `s` after its first word, if that word folds to `word` ("Câu", "CÂU", "câu" → "cau").
fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let (w, rest) = first_word(s.trim_start());
    (!w.is_empty() && text::fold(w) == word).then_some(rest)
}

/// `s` after one of the separators that end a label.
fn strip_separator<'a>(s: &'a str, separators: &[char]) -> Option<&'a str> {
    s.trim_start().strip_prefix(separators)
}

const LABEL_SEPARATORS: &[char] = &[':', '.', '-', '–', '—', ')'];

/// Digits or a roman numeral at the start of `s` ("2", "III"), and what follows.
fn strip_section_number(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        return Some(&s[digits..]);
    }
    let (w, rest) = first_word(s);
    (!w.is_empty() && w.chars().all(|c| "IVXLCivxlc".contains(c))).then_some(rest)
}

/// The stem after a question label: "Câu 1:", "Câu 1.", "Câu 1 -", "Câu hỏi 1:", "Câu số 1:",
/// "Bài 1:", "Câu 1 (0,5 điểm):".
fn question_label(s: &str) -> Option<&str> {
    let rest = strip_word(s, "cau").or_else(|| strip_word(s, "bai"))?;
    let rest = strip_word(rest, "hoi").unwrap_or(rest);
    let rest = strip_word(rest, "so").unwrap_or(rest).trim_start();
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let mut rest = &rest[digits..];
    if let Some((_, after)) = rest.trim_start().strip_prefix('(').and_then(|r| r.split_once(')')) {
        rest = after;
    }
    Some(strip_separator(rest, LABEL_SEPARATORS).unwrap_or(rest).trim_start())
}

/// A question typed with its bare number: "1." "12)" "3:" followed by a space.
fn number_label(s: &str) -> Option<&str> {
    let t = s.trim_start();
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if !(1..=4).contains(&digits) {
        return None;
    }
    let rest = t[digits..].strip_prefix(['.', ')', ':'])?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

/// What follows a key label: "Đáp án: B", "Đáp án đúng: B", "ĐA: B", "Đáp án B".
fn answer_label(s: &str) -> Option<&str> {
    let separators: &[char] = &[':', '.', '-', '–', '='];
    if let Some(rest) = strip_word(s, "dap").and_then(|r| strip_word(r, "an")) {
        let rest = strip_word(rest, "dung").unwrap_or(rest);
        // Without a separator only a letter may follow, so a stem "Đáp án nào đúng?" is not a key.
        return match strip_separator(rest, separators) {
            Some(after) => Some(after),
            None => (!answer_letters(rest).is_empty()).then_some(rest),
        };
    }
    strip_separator(strip_word(s, "da")?, separators)
}

/// The letters at the start of a key: "B", "b.", "B, C", "B và C", "2"; it stops at the first other
/// word, so "B. Hà Nội" gives B.
fn answer_letters(s: &str) -> Vec<char> {
    let mut letters = Vec::new();
    for token in text::fold(s).split(' ') {
        match token {
            "va" | "and" => {}
            t => match questions::correct_marks(t).as_slice() {
                [one] => letters.push(*one),
                _ => break,
            },
        }
    }
    letters
}

/// What follows an explanation label: "Giải thích:", "Lời giải:".
fn explanation_label(s: &str) -> Option<&str> {
    let rest = strip_word(s, "giai").and_then(|r| strip_word(r, "thich"));
    let rest = rest.or_else(|| strip_word(s, "loi").and_then(|r| strip_word(r, "giai")))?;
    strip_separator(rest, &[':', '.', '-', '–'])
}

/// A topic title: "Chủ đề: An toàn giao thông", "Chuyên đề 2: …", "Lĩnh vực: …", "PHẦN I: Lịch sử
/// Đoàn" (the text after the number), "Phần 2" (the whole line when nothing follows).
fn topic_label(s: &str) -> Option<&str> {
    for (a, b) in [("chu", "de"), ("chuyen", "de"), ("linh", "vuc")] {
        if let Some(rest) = strip_word(s, a).and_then(|r| strip_word(r, b)) {
            let rest = strip_section_number(rest).unwrap_or(rest);
            let title = strip_separator(rest, LABEL_SEPARATORS)?.trim();
            return (!title.is_empty()).then_some(title);
        }
    }
    let rest = strip_section_number(strip_word(s, "phan")?)?;
    let title = strip_separator(rest, LABEL_SEPARATORS).unwrap_or(rest).trim();
    Some(if title.is_empty() { s.trim() } else { title })
}

/// One option found in a paragraph: its letter and where it is, and where its text is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Piece {
    letter: char,
    letter_at: Range<usize>,
    body: Range<usize>,
    star: bool,
}

/// An option label at `from` (after white space): "A.", "A)", "a.", "A/", "A:", "(A)", "*C.".
fn option_label(text: &str, from: usize) -> Option<Piece> {
    let skip_space = |at: usize| text[at..].len() - text[at..].trim_start().len() + at;
    let mut at = skip_space(from);
    let star = text[at..].starts_with('*');
    if star {
        at = skip_space(at + 1);
    }
    let paren = text[at..].starts_with('(');
    at += usize::from(paren);
    let letter = text[at..].chars().next().filter(|c| matches!(c, 'A'..='F' | 'a'..='f'))?;
    let letter_at = at..at + 1;
    let after = &text[at + 1..];
    let closed = if paren { after.starts_with(')') } else { after.starts_with(['.', ')', '/', ':']) };
    closed.then(|| Piece { letter: letter.to_ascii_uppercase(), letter_at, body: at + 2..text.len(), star })
}

/// The options of a paragraph whose text starts with an option label: one per tab-separated part
/// ("A. Đúng\tB. Sai"), or after two spaces when the next letter follows ("A. Có  B. Không"); a
/// part without a label continues the option before it. `None` if the paragraph is not options.
fn split_options(text: &str) -> Option<Vec<Piece>> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut start = 0;
    for part in text.split('\t') {
        let range = start..start + part.len();
        start = range.end + 1;
        if part.trim().is_empty() {
            continue;
        }
        match option_label(&text[..range.end], range.start) {
            Some(piece) => pieces.extend(split_spaced(text, piece)),
            None => pieces.last_mut()?.body.end = range.end,
        }
    }
    if pieces.is_empty() {
        return None;
    }
    for piece in &mut pieces {
        trailing_star(text, piece);
    }
    Some(pieces)
}

/// Splits an option where two or more spaces are followed by the next letter's label.
fn split_spaced(text: &str, mut piece: Piece) -> Vec<Piece> {
    let mut out = Vec::new();
    loop {
        let next = char::from_u32(u32::from(piece.letter) + 1).unwrap_or('?');
        let body = &text[piece.body.clone()];
        let split = body.match_indices(char::is_whitespace).find_map(|(i, _)| {
            let at = piece.body.start + i;
            let spaces = text[at..].chars().take_while(|c| c.is_whitespace()).count();
            let run_starts = text[..at].ends_with(|c: char| !c.is_whitespace());
            let found = (spaces >= 2 && run_starts).then(|| option_label(&text[..piece.body.end], at)).flatten();
            found.filter(|p| p.letter == next).map(|p| (at, p))
        });
        match split {
            Some((at, second)) => {
                piece.body.end = at;
                out.push(piece);
                piece = second;
            }
            None => {
                out.push(piece);
                return out;
            }
        }
    }
}

/// "C. Hà Nội *": a star after the text marks the option too.
fn trailing_star(text: &str, piece: &mut Piece) {
    let body = text[piece.body.clone()].trim_end();
    if let Some(stripped) = body.strip_suffix('*') {
        piece.star = true;
        piece.body.end = piece.body.start + stripped.len();
    }
}

// ---------------------------------------------------------------------------------------------
// From paragraphs to questions

/// An option being read, with what can mark it correct.
#[derive(Clone, Debug, Default)]
struct Choice {
    text: String,
    star: bool,
    /// The formats of its letter (none for a list item, whose letter Word draws).
    letter: Option<u8>,
    /// The formats of its text.
    body: Option<u8>,
}

impl Choice {
    fn from_piece(line: &Line<'_>, piece: &Piece) -> Choice {
        Choice {
            text: line.text[piece.body.clone()].to_string(),
            star: piece.star,
            letter: line.marks(piece.letter_at.clone()),
            body: line.marks(piece.body.clone()),
        }
    }

    /// A list item that is an option: the whole paragraph, a star before or after it marking it.
    fn whole(line: &Line<'_>) -> Choice {
        let mut piece = Piece { letter: 'A', letter_at: 0..0, body: 0..line.text.len(), star: false };
        if let Some(rest) = line.text.trim_start().strip_prefix('*') {
            piece.star = true;
            piece.body.start = line.text.len() - rest.len();
        }
        trailing_star(&line.text, &mut piece);
        Choice { letter: None, ..Choice::from_piece(line, &piece) }
    }
}

/// A question being read.
#[derive(Clone, Debug, Default)]
struct Pending {
    pos: usize,
    stem: Vec<String>,
    options: Vec<Choice>,
    /// The letters of a "Đáp án" line and its text, to match an answer written out in full.
    answer: Option<(Vec<char>, String)>,
    explanation: Vec<String>,
    in_explanation: bool,
    /// The list the options are items of, so the next item of another list starts a question.
    options_key: Option<ListKey>,
}

impl Pending {
    /// Whether the question is complete enough that what follows belongs to the next one.
    fn closed(&self) -> bool {
        self.answer.is_some() || self.in_explanation
    }
}

/// The reading of a sequence of paragraphs into questions.
struct Flow {
    topic: String,
    current: Option<Pending>,
    done: Vec<(usize, QuestionDraft)>,
    /// The list whose items are questions (shape c).
    question_key: Option<ListKey>,
}

impl Flow {
    fn new(topic: String) -> Flow {
        Flow { topic, current: None, done: Vec::new(), question_key: None }
    }

    fn paragraph(&mut self, para: &Para) {
        let line = Line::new(para);
        let t = line.text.as_str();
        if !t.chars().any(char::is_alphanumeric) {
            return;
        }
        if let Some(stem) = question_label(t) {
            self.start(para.pos, stem);
        } else if let Some(rest) = answer_label(t) {
            self.answer(rest);
        } else if let Some(rest) = explanation_label(t) {
            self.explain(rest);
        } else if let Some(title) = topic_label(t) {
            self.set_topic(title);
        } else if let Some(pieces) = split_options(t) {
            self.options(&line, pieces);
        } else if para.heading {
            self.set_topic(t);
        } else if let Some(stem) = number_label(t).filter(|_| self.may_start()) {
            self.start(para.pos, stem);
        } else if let Some(key) = para.list_key() {
            self.list_item(&line, key);
        } else {
            self.plain(t);
        }
    }

    /// Whether a bare number may start a question here: not in the middle of a stem, where "1."
    /// is more likely an item the stem lists.
    fn may_start(&self) -> bool {
        self.current.as_ref().is_none_or(|c| !c.options.is_empty() || c.closed())
    }

    fn start(&mut self, pos: usize, stem: &str) {
        self.finish();
        self.current = Some(Pending { pos, stem: vec![stem.to_string()], ..Pending::default() });
    }

    fn answer(&mut self, rest: &str) {
        // A key with no question before it has nothing to attach to.
        let Some(c) = self.current.as_mut() else { return };
        let letters = answer_letters(rest);
        match c.answer.as_mut() {
            Some((earlier, _)) => earlier.extend(letters),
            None => c.answer = Some((letters, rest.trim().to_string())),
        }
        c.in_explanation = false;
    }

    fn explain(&mut self, rest: &str) {
        if let Some(c) = self.current.as_mut() {
            c.explanation = vec![rest.to_string()];
            c.in_explanation = true;
        }
    }

    fn set_topic(&mut self, title: &str) {
        self.finish();
        let title = text::clean(title);
        if !title.is_empty() {
            self.topic = title;
        }
    }

    /// Options with their letters typed; an "A" after options, or options after a key, start a
    /// question without a stem (which validation reports).
    fn options(&mut self, line: &Line<'_>, pieces: Vec<Piece>) {
        for piece in pieces {
            let restart =
                self.current.as_ref().is_none_or(|c| c.closed() || (piece.letter == 'A' && !c.options.is_empty()));
            if restart {
                self.start(line.para.pos, "");
            }
            if let Some(c) = self.current.as_mut() {
                c.options.push(Choice::from_piece(line, &piece));
            }
        }
    }

    /// An item of a Word list without a typed label: a question when it is the first, follows a
    /// complete question, belongs to the questions' list, or follows options of another list;
    /// otherwise an option, lettered by its order.
    fn list_item(&mut self, line: &Line<'_>, key: ListKey) {
        let new_question = match &self.current {
            None => true,
            Some(c) if c.closed() => true,
            Some(c) if c.options.is_empty() => self.question_key.as_ref() == Some(&key),
            Some(c) => c.options_key.as_ref() != Some(&key),
        };
        if new_question {
            self.start(line.para.pos, &line.text);
            self.question_key = Some(key);
        } else if let Some(c) = self.current.as_mut() {
            c.options.push(Choice::whole(line));
            c.options_key = Some(key);
        }
    }

    /// A paragraph without a label continues what is being read: the stem, the last option, or
    /// the explanation (any text after the key is taken as one). Text before the first question
    /// (a title, instructions) is dropped.
    fn plain(&mut self, t: &str) {
        let Some(c) = self.current.as_mut() else { return };
        if c.closed() {
            c.explanation.push(t.to_string());
        } else if let Some(last) = c.options.last_mut() {
            last.text.push(' ');
            last.text.push_str(t);
        } else {
            c.stem.push(t.to_string());
        }
    }

    /// Ends the question being read and turns it into a draft.
    fn finish(&mut self) {
        let Some(p) = self.current.take() else { return };
        let options: Vec<String> = p.options.iter().map(|c| text::clean(&c.text)).collect();
        let correct = match &p.answer {
            Some((letters, _)) if !letters.is_empty() => letters.clone(),
            Some((_, said)) => letters_of_text(said, &options),
            None => marked(&p.options),
        };
        let explanation = Some(text::clean(&p.explanation.join(" "))).filter(|e| !e.is_empty());
        let draft = QuestionDraft {
            topic: self.topic.clone(),
            stem: text::clean(&p.stem.join(" ")),
            options,
            correct,
            explanation,
        };
        self.done.push((p.pos, draft));
    }
}

/// The letter of the option index `i`.
fn letter(i: usize) -> char {
    u32::try_from(i).ok().and_then(|i| u32::from('A').checked_add(i)).and_then(char::from_u32).unwrap_or('?')
}

/// A key written out in full ("Đáp án: Hà Nội"): the options with that text.
fn letters_of_text(said: &str, options: &[String]) -> Vec<char> {
    let said = text::fold(said);
    options
        .iter()
        .enumerate()
        .filter(|(_, o)| !said.is_empty() && text::fold(o) == said)
        .map(|(i, _)| letter(i))
        .collect()
}

/// The options marked correct when there is no "Đáp án" line. A star wins. Otherwise a format
/// (bold, underline, highlight) counts only where it sets some options apart from the others — on
/// the option's text first, else on its letter — so a question bold throughout, or with every
/// letter bold, marks nothing, and two options set apart give two keys (which validation reports).
fn marked(choices: &[Choice]) -> Vec<char> {
    let stars: Vec<char> = choices.iter().enumerate().filter(|(_, c)| c.star).map(|(i, _)| letter(i)).collect();
    if !stars.is_empty() {
        return stars;
    }
    let picks: [fn(&Choice) -> Option<u8>; 2] = [|c| c.body, |c| c.letter];
    for pick in picks {
        let carriers = choices.iter().filter(|c| pick(c).is_some()).count();
        let mut set = BTreeSet::new();
        for bit in [BOLD, UNDERLINE, HIGHLIGHT] {
            let with: Vec<usize> =
                (0..choices.len()).filter(|i| pick(&choices[*i]).is_some_and(|f| f & bit != 0)).collect();
            if !with.is_empty() && with.len() < carriers {
                set.extend(with);
            }
        }
        if !set.is_empty() {
            return set.into_iter().map(letter).collect();
        }
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------------
// Tables

/// What a table cell holds when a row is one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Ignore,
    Content,
    Answer,
    Topic,
    Explanation,
}

/// Headers of a running-number column, which says nothing about the question.
fn is_number_header(h: &str) -> bool {
    matches!(text::fold(h).as_str(), "stt" | "tt" | "so tt" | "so thu tu")
}

/// A header row: it names the stem column, a running-number column, or a "Câu hỏi…" column.
fn is_header(row: &[String]) -> bool {
    row.iter().any(|h| {
        let f = text::fold(h);
        let stem_like = (f.starts_with("cau hoi") || f.starts_with("noi dung"))
            && f.split(' ').count() <= 6
            && !h.contains('?')
            && question_label(h).is_none();
        is_number_header(h) || questions::column_of(h) == Some(Column::Stem) || stem_like
    })
}

fn header_role(header: Option<&String>) -> Role {
    let Some(h) = header else { return Role::Content };
    if is_number_header(h) {
        return Role::Ignore;
    }
    match questions::column_of(h) {
        Some(Column::Correct) => Role::Answer,
        Some(Column::Topic) => Role::Topic,
        Some(Column::Explanation) => Role::Explanation,
        _ => Role::Content,
    }
}

/// Without a header: a running number is ignored, a lone letter is the key.
fn content_role(cell: &str) -> Role {
    let t = cell.trim().trim_end_matches(['.', ')']);
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        Role::Ignore
    } else if matches!(t, "A" | "B" | "C" | "D" | "E" | "F" | "a" | "b" | "c" | "d" | "e" | "f") {
        Role::Answer
    } else {
        Role::Content
    }
}

fn cell_text(cell: &[Para]) -> String {
    cell.iter().map(Para::text).collect::<Vec<_>>().join(" ")
}

impl Flow {
    /// A table: spreadsheet columns (one question a row, read as an .xlsx is); one question per
    /// row with its options inside a cell; or, right after a stem, a grid of that stem's options.
    fn table(&mut self, rows: &[Row]) -> Result<(), Errors> {
        let texts: Vec<Vec<String>> = rows.iter().map(|r| r.cells.iter().map(|c| cell_text(c)).collect()).collect();
        if let Some(h) = texts.iter().take(3).position(|r| is_header(r)) {
            self.finish();
            if questions::header_columns(&texts[h]).contains_key(&Column::Option(0)) {
                return self.column_table(rows, &texts, h);
            }
            for row in &rows[h + 1..] {
                self.row_question(row, Some(texts[h].as_slice()));
            }
            return Ok(());
        }
        if self.wants_options() && rows.first().and_then(|r| r.cells.iter().flatten().next()).is_some_and(is_options) {
            for p in rows.iter().flat_map(|r| r.cells.iter().flatten()) {
                self.paragraph(p);
            }
            return Ok(());
        }
        self.finish();
        for row in rows {
            self.row_question(row, None);
        }
        Ok(())
    }

    fn wants_options(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.options.is_empty() && !c.closed())
    }

    /// A table with the spreadsheet's columns, read by the spreadsheet reader itself.
    fn column_table(&mut self, rows: &[Row], texts: &[Vec<String>], header: usize) -> Result<(), Errors> {
        let table: Table = rows.iter().zip(texts).skip(header).map(|(r, t)| (r.pos, t.clone())).collect();
        let at = rows[header].pos;
        let drafts = questions::drafts_from_rows(table, &self.topic)
            .map_err(|errors| errors.into_iter().map(|e| format!("Bảng ở đoạn {at}: {e}")).collect::<Vec<_>>())?;
        self.done.extend(drafts);
        Ok(())
    }

    /// One row, one question: the content cells read as paragraphs, the first being the stem even
    /// without a "Câu N:" label; key, topic and explanation cells as their header (or content) says.
    fn row_question(&mut self, row: &Row, header: Option<&[String]>) {
        let mut content: Vec<&Para> = Vec::new();
        let (mut answer, mut topic, mut explanation) = (None, None, None);
        for (i, cell) in row.cells.iter().enumerate() {
            let text = cell_text(cell);
            if text.trim().is_empty() {
                continue;
            }
            let role = match header {
                Some(h) => header_role(h.get(i)),
                None => content_role(&text),
            };
            match role {
                Role::Ignore => {}
                Role::Content => content.extend(cell),
                Role::Answer => answer = Some(text),
                Role::Topic => topic = Some(text),
                Role::Explanation => explanation = Some(text),
            }
        }
        if content.is_empty() && answer.is_none() {
            return;
        }
        let mut flow = Flow::new(topic.map(|t| text::clean(&t)).unwrap_or_else(|| self.topic.clone()));
        let mut paras = content.into_iter();
        match paras.next() {
            Some(first) => flow.first_paragraph(first),
            None => flow.start(row.pos, ""),
        }
        for p in paras {
            flow.paragraph(p);
        }
        if let Some(c) = flow.current.as_mut() {
            if let Some(a) = answer {
                c.answer = Some((questions::correct_marks(&a), a));
            }
            if let Some(e) = explanation {
                c.explanation = vec![e];
            }
        }
        flow.finish();
        self.done.append(&mut flow.done);
    }

    /// The first paragraph of a question cell is its stem, label or not.
    fn first_paragraph(&mut self, para: &Para) {
        let t = para.text();
        if question_label(&t).is_some() || split_options(&t).is_some() {
            self.paragraph(para);
        } else {
            self.start(para.pos, number_label(&t).unwrap_or(&t));
        }
    }
}

fn is_options(para: &Para) -> bool {
    split_options(&para.text()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    fn blocks(body: &str) -> Vec<Block> {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}" xmlns:mc="{COMPAT_NAMESPACE}"><w:body>{body}</w:body></w:document>"#
        );
        parse_body(Capped::new(Cursor::new(xml.into_bytes()), MAX_DOCUMENT_XML_BYTES)).unwrap()
    }

    fn drafts(body: &str) -> Vec<(usize, QuestionDraft)> {
        drafts_from_blocks(&blocks(body)).unwrap()
    }

    /// A paragraph of plain runs; `*text` makes a bold run, `_text` an underlined one.
    fn p(runs: &[&str]) -> String {
        let runs: String = runs
            .iter()
            .map(|r| match (r.strip_prefix('*'), r.strip_prefix('_')) {
                (Some(t), _) => format!(r#"<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{t}</w:t></w:r>"#),
                (_, Some(t)) => {
                    format!(r#"<w:r><w:rPr><w:u w:val="single"/></w:rPr><w:t xml:space="preserve">{t}</w:t></w:r>"#)
                }
                _ => format!(r#"<w:r><w:t xml:space="preserve">{r}</w:t></w:r>"#),
            })
            .collect();
        format!("<w:p>{runs}</w:p>")
    }

    fn texts(blocks: &[Block]) -> Vec<(usize, String)> {
        blocks
            .iter()
            .filter_map(|b| match b {
                Block::Para(p) => Some((p.pos, p.text())),
                Block::Table(_) => None,
            })
            .collect()
    }

    #[test]
    fn question_labels_in_the_forms_organisers_type() {
        assert_eq!(question_label("Câu 1: Ai?"), Some("Ai?"));
        assert_eq!(question_label("CÂU 12. Ai?"), Some("Ai?"));
        assert_eq!(question_label("Câu 3 - Ai?"), Some("Ai?"));
        assert_eq!(question_label("Câu hỏi 4: Ai?"), Some("Ai?"));
        assert_eq!(question_label("Câu số 5: Ai?"), Some("Ai?"));
        assert_eq!(question_label("Câu 6 (0,5 điểm): Ai?"), Some("Ai?"));
        assert_eq!(question_label("Câu 7:"), Some(""));
        assert_eq!(question_label("Câu nói nào sau đây?"), None);
        assert_eq!(question_label("Cau 1: decomposed"), Some("decomposed"));
        // Decomposed (NFD) marks stay in the word.
        assert_eq!(question_label("Ca\u{302}u 2: NFD"), Some("NFD"));
    }

    #[test]
    fn keys_explanations_and_topics() {
        assert_eq!(answer_label("Đáp án: B"), Some(" B"));
        assert_eq!(answer_letters(answer_label("Đáp án đúng: C").unwrap()), vec!['C']);
        assert_eq!(answer_letters(answer_label("ĐA: a").unwrap()), vec!['A']);
        assert_eq!(answer_letters(answer_label("Đáp án: B. Hà Nội").unwrap()), vec!['B']);
        assert_eq!(answer_letters(answer_label("Đáp án: B, C").unwrap()), vec!['B', 'C']);
        assert_eq!(answer_letters(answer_label("Đáp án B").unwrap()), vec!['B']);
        assert_eq!(answer_label("Đáp án nào sau đây đúng?"), None);
        assert_eq!(answer_label("Đa số học sinh?"), None);
        assert_eq!(explanation_label("Giải thích: Vì…"), Some(" Vì…"));
        assert_eq!(explanation_label("Giải thích vì sao?"), None);
        assert_eq!(topic_label("Chủ đề: An toàn giao thông"), Some("An toàn giao thông"));
        assert_eq!(topic_label("Chuyên đề 2: Luật An ninh mạng"), Some("Luật An ninh mạng"));
        assert_eq!(topic_label("PHẦN II: Lịch sử Đoàn"), Some("Lịch sử Đoàn"));
        assert_eq!(topic_label("Phần 3"), Some("Phần 3"));
        assert_eq!(topic_label("Phần mềm nào an toàn?"), None);
        assert_eq!(topic_label("Chủ đề của bài thơ là gì?"), None);
        assert_eq!(number_label("12. Ai?"), Some("Ai?"));
        assert_eq!(number_label("1.5 triệu"), None);
    }

    #[test]
    fn options_split_on_tabs_and_wide_spaces() {
        let text = "A. Đúng\tB. Sai";
        let pieces = split_options(text).unwrap();
        assert_eq!(
            pieces.iter().map(|p| (p.letter, &text[p.body.clone()])).collect::<Vec<_>>(),
            [('A', " Đúng"), ('B', " Sai")]
        );
        let text = "a) Có  b) Không";
        let pieces = split_options(text).unwrap();
        assert_eq!(
            pieces.iter().map(|p| (p.letter, text[p.body.clone()].trim())).collect::<Vec<_>>(),
            [('A', "Có"), ('B', "Không")]
        );
        let text = "A. Có  *B. Không";
        let pieces = split_options(text).unwrap();
        assert_eq!(
            pieces.iter().map(|p| (p.letter, p.star, text[p.body.clone()].trim())).collect::<Vec<_>>(),
            [('A', false, "Có"), ('B', true, "Không")]
        );
        let text = "*C. Hà Nội";
        assert!(split_options(text).unwrap()[0].star);
        let text = "C/ Hà Nội *";
        let piece = &split_options(text).unwrap()[0];
        assert!(piece.star);
        assert_eq!(text[piece.body.clone()].trim(), "Hà Nội");
        // Vitamin B followed by one space is text, not the next option.
        let text = "A. Vitamin B. Canxi";
        assert_eq!(split_options(text).unwrap().len(), 1);
        assert_eq!(split_options("Ai là người?"), None);
        assert_eq!(split_options("Anh ấy là ai?"), None);
    }

    #[test]
    fn runs_join_tabs_split_breaks_are_spaces_and_deleted_text_is_dropped() {
        let body = r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs><w:rPr><w:b/></w:rPr></w:pPr>
            <w:r><w:t>A. Đú</w:t></w:r><w:ins w:id="1"><w:r><w:t>ng</w:t></w:r></w:ins>
            <w:del w:id="2"><w:r><w:delText>XÓA</w:delText></w:r></w:del>
            <w:r><w:tab/><w:t>B. S</w:t><w:br/><w:t>ai &amp; &#7841;</w:t></w:r>
            <w:r><w:rPr><w:vanish/></w:rPr><w:t>ẩn</w:t></w:r>
            <w:r><w:instrText> PAGE </w:instrText></w:r></w:p>"#;
        assert_eq!(texts(&blocks(body)), vec![(1, "A. Đúng\tB. S ai & ạ".to_string())]);
    }

    #[test]
    fn positions_count_paragraphs_and_rows_with_text() {
        let body = format!(
            "{}<w:p/>{}<w:p><w:r><w:t> </w:t></w:r></w:p><w:tbl><w:tblPr/><w:tr><w:tc>{}{}</w:tc><w:tc><w:p/></w:tc></w:tr><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>{}",
            p(&["một"]),
            p(&["hai"]),
            p(&["ba"]),
            p(&["ba tiếp"]),
            p(&["bốn"])
        );
        let blocks = blocks(&body);
        assert_eq!(texts(&blocks), vec![(1, "một".into()), (2, "hai".into()), (4, "bốn".into())]);
        let Block::Table(rows) = &blocks[2] else { panic!("{blocks:?}") };
        assert_eq!(rows.len(), 1, "the empty row is not counted");
        assert_eq!((rows[0].pos, rows[0].cells.len(), rows[0].cells[0][1].pos), (3, 2, 3));
    }

    #[test]
    fn text_boxes_fallbacks_and_other_namespaces_are_skipped() {
        let body = r#"<w:p><w:r><w:t>Câu 1: Ai?</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>hộp</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:t>cũ</w:t></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t xmlns:x="urn:x"><x:y>lạ</x:y> thêm</w:t></w:r></w:p>"#;
        assert_eq!(texts(&blocks(body)), vec![(1, "Câu 1: Ai? thêm".to_string())]);
    }

    #[test]
    fn malformed_xml_and_deep_nesting_are_refused() {
        let broken = format!(r#"<w:document xmlns:w="{W}"><w:body><w:p></w:r></w:body></w:document>"#);
        let e = parse_body(Capped::new(Cursor::new(broken.into_bytes()), 1000)).unwrap_err();
        assert!(e[0].starts_with("Tài liệu Word bị hỏng"), "{e:?}");
        let deep = format!(r#"<w:document xmlns:w="{W}">{}"#, "<w:sdt>".repeat(MAX_DEPTH + 1));
        let e = parse_body(Capped::new(Cursor::new(deep.into_bytes()), 1_000_000)).unwrap_err();
        assert!(e[0].contains("lồng nhau quá"), "{e:?}");
        let truncated = format!(r#"<w:document xmlns:w="{W}"><w:body><w:p>"#);
        let e = parse_body(Capped::new(Cursor::new(truncated.into_bytes()), 1000)).unwrap_err();
        assert!(e[0].contains("cắt cụt"), "{e:?}");
    }

    #[test]
    fn the_cap_stops_reading_one_byte_past_the_limit() {
        let mut capped = Capped::new(Cursor::new(vec![b'<'; 100]), 10);
        let mut out = Vec::new();
        assert!(capped.read_to_end(&mut out).is_err());
        assert!(capped.exceeded && out.len() <= 11);
        let mut exact = Capped::new(Cursor::new(vec![b'<'; 10]), 10);
        assert_eq!(exact.read_to_end(&mut Vec::new()).unwrap(), 10);
        let e = parse_body(Capped::new(Cursor::new(vec![b'a'; 5000]), 1000)).unwrap_err();
        assert_eq!(e, vec![too_big()]);
    }

    #[test]
    fn a_question_with_its_key_line_topic_and_explanation() {
        let body = [
            p(&["NGÂN HÀNG CÂU HỎI"]),
            p(&["Chủ đề: An toàn giao thông"]),
            p(&["*Câu 1:", " Khi gặp đèn vàng,"]),
            p(&["người lái xe phải làm gì?"]),
            p(&["A. Tăng tốc\tB. Dừng lại trước vạch dừng"]),
            p(&["C. Bấm còi", "\u{a0}\u{a0}", "D. Đi tiếp"]),
            p(&["Đáp án: B. Dừng lại"]),
            p(&["Giải thích: Đèn vàng báo hiệu"]),
            p(&["sắp chuyển sang đỏ."]),
        ]
        .concat();
        let d = drafts(&body);
        assert_eq!(d.len(), 1);
        let (pos, q) = &d[0];
        assert_eq!(*pos, 3);
        assert_eq!(q.topic, "An toàn giao thông");
        assert_eq!(q.stem, "Khi gặp đèn vàng, người lái xe phải làm gì?");
        assert_eq!(q.options, ["Tăng tốc", "Dừng lại trước vạch dừng", "Bấm còi", "Đi tiếp"]);
        assert_eq!(q.correct, ['B']);
        assert_eq!(q.explanation.as_deref(), Some("Đèn vàng báo hiệu sắp chuyển sang đỏ."));
        assert!(q.validate().is_ok());
    }

    #[test]
    fn marks_count_only_where_they_set_options_apart() {
        let q = |options: &[&[&str]]| {
            let mut body = p(&["Câu 1: Thủ đô của Việt Nam?"]);
            for o in options {
                body.push_str(&p(o));
            }
            drafts(&body).remove(0).1.correct
        };
        assert_eq!(q(&[&["A. Huế"], &["B. ", "*Hà Nội"], &["C. Đà Nẵng"]]), ['B']);
        assert_eq!(q(&[&["A. Huế"], &["B. ", "_Hà Nội"], &["C. Đà Nẵng"]]), ['B']);
        assert_eq!(q(&[&["A.", " Huế"], &["*B.", " Hà Nội"], &["C.", " Đà Nẵng"]]), ['B'], "the letter alone");
        assert!(q(&[&["*A. Huế"], &["*B. Hà Nội"], &["*C. Đà Nẵng"]]).is_empty(), "all bold marks nothing");
        assert_eq!(q(&[&["*A.", " Huế"], &["*B.", " ", "_Hà Nội"], &["*C.", " Đà Nẵng"]]), ['B']);
        assert_eq!(q(&[&["A. ", "*Huế"], &["B. ", "*Hà Nội"], &["C. Đà Nẵng"]]), ['A', 'B']);
        assert_eq!(q(&[&["A. Huế"], &["B. Hà Nội *"], &["C. Đà Nẵng"]]), ['B']);
        assert!(q(&[&["A. Huế"], &["B. ", "*Hà", " Nội"], &["C. Đà Nẵng"]]).is_empty(), "a part is no mark");
    }

    #[test]
    fn highlight_and_shading_mark_but_white_shading_does_not() {
        let run =
            |props: &str, t: &str| format!("<w:r><w:rPr>{props}</w:rPr><w:t xml:space=\"preserve\">{t}</w:t></w:r>");
        let body = [
            p(&["Câu 1: Số khẩn cấp của công an?"]),
            format!("<w:p>{}</w:p>", run(r#"<w:shd w:val="clear" w:color="auto" w:fill="FFFFFF"/>"#, "A. 114")),
            format!("<w:p>{}</w:p>", run(r#"<w:highlight w:val="yellow"/>"#, "B. 113")),
            format!("<w:p>{}</w:p>", run(r#"<w:highlight w:val="none"/><w:b w:val="0"/>"#, "C. 115")),
            p(&["Câu 2: Số khẩn cấp cứu hỏa?"]),
            p(&["A. 113"]),
            format!("<w:p>{}</w:p>", run(r#"<w:shd w:val="clear" w:fill="FFFF00"/>"#, "B. 114")),
            p(&["C. 115"]),
        ]
        .concat();
        let d = drafts(&body);
        assert_eq!(d.iter().map(|(_, q)| q.correct.clone()).collect::<Vec<_>>(), [vec!['B'], vec!['B']]);
    }

    fn list(num: u32, level: u8, runs: &[&str]) -> String {
        let numbered = p(runs);
        numbered.replacen(
            "<w:p>",
            &format!(r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr></w:pPr>"#),
            1,
        )
    }

    #[test]
    fn auto_numbered_questions_and_lettered_options() {
        let body = [
            r#"<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Lịch sử Đoàn</w:t></w:r></w:p>"#.to_string(),
            list(2, 0, &["Đoàn TNCS Hồ Chí Minh được thành lập ngày nào?"]),
            list(2, 1, &["26/3/1930"]),
            list(2, 1, &["26/3/1931 *"]),
            list(2, 1, &["2/9/1945"]),
            list(2, 0, &["Người đoàn viên đầu tiên?"]),
            list(3, 0, &["Võ Thị Sáu"]),
            list(3, 0, &["*Lý Tự Trọng"]),
            list(3, 0, &["Nguyễn Văn Trỗi"]),
            list(2, 0, &["Câu cuối?"]),
            list(4, 0, &["Một"]),
            list(4, 0, &["Hai"]),
            list(4, 0, &["Ba"]),
            p(&["Đáp án: C"]),
        ]
        .concat();
        let d = drafts(&body);
        let got: Vec<_> =
            d.iter().map(|(pos, q)| (*pos, q.topic.as_str(), q.options.len(), q.correct.clone())).collect();
        assert_eq!(
            got,
            [(2, "Lịch sử Đoàn", 3, vec!['B']), (6, "Lịch sử Đoàn", 3, vec!['B']), (10, "Lịch sử Đoàn", 3, vec!['C'])]
        );
        assert_eq!(d[0].1.options[1], "26/3/1931");
    }

    #[test]
    fn faulty_questions_reach_validation_as_written() {
        let body = [
            p(&["Câu 1: Năm phương án?"]),
            p(&["A. 1\tB. 2\tC. 3\tD. 4\tE. 5"]),
            p(&["Đáp án: A"]),
            p(&["Câu 2: Hai đáp án?"]),
            p(&["A. 1"]),
            p(&["B. 2"]),
            p(&["C. 3"]),
            p(&["Đáp án: B, C"]),
            p(&["Câu 3:"]),
            p(&["A. 1"]),
            p(&["B. 2"]),
            p(&["C. 3"]),
            p(&["Đáp án: A"]),
            p(&["A. lạc"]),
            p(&["B. lõng"]),
            p(&["C. không có câu hỏi"]),
        ]
        .concat();
        let d = drafts(&body);
        let got: Vec<_> = d
            .iter()
            .map(|(pos, q)| (*pos, q.validate().unwrap_err().iter().map(ToString::to_string).collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            got,
            [
                (1, vec!["Câu hỏi phải có 3 hoặc 4 phương án trả lời (đang có 5).".to_string()]),
                (4, vec!["Chỉ được có đúng một đáp án đúng (đang đánh dấu B, C).".to_string()]),
                (9, vec!["Thiếu nội dung câu hỏi.".to_string()]),
                (14, vec!["Thiếu nội dung câu hỏi.".to_string(), "Chưa chỉ ra đáp án đúng.".to_string()]),
            ]
        );
    }

    fn table(rows: &[&[&str]]) -> String {
        let rows: String = rows
            .iter()
            .map(|cells| {
                let cells: String = cells
                    .iter()
                    .map(|c| format!("<w:tc>{}</w:tc>", c.split('\n').map(|l| p(&[l])).collect::<String>()))
                    .collect();
                format!("<w:tr>{cells}</w:tr>")
            })
            .collect();
        format!("<w:tbl><w:tblPr/><w:tblGrid/>{rows}</w:tbl>")
    }

    #[test]
    fn tables_with_columns_with_a_question_per_row_and_option_grids() {
        let body = [
            p(&["Chủ đề: Chuyển đổi số"]),
            table(&[
                &["STT", "Câu hỏi", "A", "B", "C", "D", "Đáp án"],
                &["1", "Ngày Chuyển đổi số quốc gia?", "10/10", "1/1", "2/9", "", "A"],
            ]),
            table(&[
                &["STT", "Nội dung câu hỏi", "Đáp án"],
                &["1", "Ứng dụng định danh điện tử quốc gia?\nA. VNeID\nB. Zalo\nC. Facebook", "A"],
            ]),
            table(&[&["2", "Số cấp cứu y tế?\nA. 113\nB. 114\nC. 115\nĐáp án: C"]]),
            p(&["Câu 9: Số cứu hỏa?"]),
            table(&[&["A. 113", "B. 114"], &["C. 115", "D. 116"]]),
            p(&["Đáp án: B"]),
        ]
        .concat();
        let d = drafts(&body);
        let got: Vec<_> =
            d.iter().map(|(pos, q)| (*pos, q.topic.as_str(), q.options.len(), q.correct.clone())).collect();
        assert_eq!(
            got,
            [
                (3, "Chuyển đổi số", 4, vec!['A']),
                (5, "Chuyển đổi số", 3, vec!['A']),
                (6, "Chuyển đổi số", 3, vec!['C']),
                (7, "Chuyển đổi số", 4, vec!['B'])
            ]
        );
        assert!(d.iter().all(|(_, q)| q.validate().is_ok()), "{d:?}");
        assert_eq!(d[1].1.stem, "Ứng dụng định danh điện tử quốc gia?");
    }

    #[test]
    fn a_column_table_missing_a_column_is_a_file_error() {
        let body = table(&[&["Câu hỏi", "A", "B", "Đáp án"], &["Ai?", "x", "y", "A"]]);
        let e = drafts_from_blocks(&blocks(&body)).unwrap_err();
        assert_eq!(
            e,
            ["Bảng ở đoạn 1: Thiếu cột \"Phương án C\" ở dòng tiêu đề (xem hướng dẫn trong docs/IMPORT.md)."]
        );
    }

    #[test]
    fn signatures_are_named() {
        let first = |b: &[u8]| read_docx(b).unwrap_err().remove(0);
        assert!(first(b"").contains("tệp rỗng"));
        assert!(first(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]).contains("(.doc)"));
        assert!(first(b"%PDF-1.7").contains("tệp PDF"));
        assert!(first(b"Cau 1: xin chao").starts_with(NOT_DOCX));
        assert!(first(b"PK\x03\x04 not a zip").starts_with(NOT_DOCX));
        assert!(looks_like_docx(b"PK\x03\x04 word/document.xml"), "no directory: the name anywhere will do");
        assert!(!looks_like_docx(b"PK\x03\x04 xl/workbook.xml"));
    }
}
