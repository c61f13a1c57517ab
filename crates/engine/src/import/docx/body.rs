//! `word/document.xml` as paragraphs and tables, read one XML event at a time, keeping only text
//! and its formatting.

use std::io::BufReader;
use std::io::Read;

use quick_xml::NsReader;
use quick_xml::events::BytesRef;
use quick_xml::events::BytesStart;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::package::Capped;
use super::{Errors, refuse, too_big};

/// Deepest element nesting followed; Word's own documents stay far below.
pub(super) const MAX_DEPTH: usize = 256;
/// WordprocessingML, transitional and strict.
pub(super) const WORD_NAMESPACES: [&str; 2] = [
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];
/// Markup compatibility: `mc:AlternateContent` wraps content Word offers in two forms.
pub(super) const COMPAT_NAMESPACE: &str = "http://schemas.openxmlformats.org/markup-compatibility/2006";

/// Formats that can mark the correct option, as bits.
pub(super) const BOLD: u8 = 1;
pub(super) const UNDERLINE: u8 = 2;
pub(super) const HIGHLIGHT: u8 = 4;

/// Text of one format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) text: String,
    pub(super) format: u8,
}

/// A paragraph that holds text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Para {
    /// Its position (see [`read_docx`]).
    pub(super) pos: usize,
    pub(super) spans: Vec<Span>,
    /// A Heading style or an outline level: a topic title.
    pub(super) heading: bool,
    /// Word's list numbering: `w:numId` and `w:ilvl`; the number itself is not in the text.
    pub(super) num_id: Option<String>,
    pub(super) level: u8,
}

/// A list a paragraph belongs to, and its level in it.
pub(super) type ListKey = (String, u8);

impl Para {
    pub(super) fn push(&mut self, s: &str, format: u8) {
        match self.spans.last_mut() {
            Some(last) if last.format == format => last.text.push_str(s),
            _ => self.spans.push(Span { text: s.to_string(), format }),
        }
    }

    pub(super) fn is_blank(&self) -> bool {
        self.spans.iter().all(|s| s.text.trim().is_empty())
    }

    pub(super) fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }

    pub(super) fn list_key(&self) -> Option<ListKey> {
        self.num_id.as_ref().filter(|id| id.as_str() != "0").map(|id| (id.clone(), self.level))
    }
}

/// A table row that holds text: its cells' paragraphs, empty cells kept so columns line up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Row {
    pub(super) pos: usize,
    pub(super) cells: Vec<Vec<Para>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Block {
    Para(Para),
    Table(Vec<Row>),
}

/// Which namespace an element is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ns {
    Word,
    Compat,
    Other,
}

impl Ns {
    pub(super) fn of(resolved: &ResolveResult<'_>) -> Ns {
        match resolved {
            ResolveResult::Bound(ns) if WORD_NAMESPACES.contains(&ns.0) => Ns::Word,
            ResolveResult::Bound(ns) if ns.0 == COMPAT_NAMESPACE => Ns::Compat,
            _ => Ns::Other,
        }
    }
}

/// The open elements that matter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ctx {
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
pub(super) const SKIPPED: &[&str] = &[
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
pub(super) struct RunProps {
    pub(super) format: u8,
    pub(super) hidden: bool,
}

/// Whether a toggle such as `<w:b/>` or `<w:b w:val="0"/>` is on.
pub(super) fn toggle_on(val: Option<&str>) -> bool {
    !matches!(val, Some("0" | "false" | "off" | "none"))
}

/// An attribute's value by its local name (`w:val` → "val").
pub(super) fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local).map(|a| a.value.to_string())
}

impl RunProps {
    pub(super) fn apply(&mut self, name: &str, e: &BytesStart<'_>) {
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

    pub(super) fn set(&mut self, bit: u8, on: bool) {
        if on {
            self.format |= bit;
        } else {
            self.format &= !bit;
        }
    }
}

/// The state of the streaming read of `word/document.xml`.
#[derive(Default)]
pub(super) struct Body {
    pub(super) blocks: Vec<Block>,
    /// The last position given (see [`read_docx`]).
    pub(super) position: usize,
    pub(super) stack: Vec<Ctx>,
    /// Depth inside a skipped subtree (0: not skipping).
    pub(super) skipping: usize,
    pub(super) para: Option<Para>,
    pub(super) run: RunProps,
    /// Depth of nested tables; an inner table's paragraphs belong to the outer table's cell.
    pub(super) tables: usize,
    pub(super) rows: Vec<Row>,
    pub(super) row: Option<Row>,
    pub(super) cell: Option<Vec<Para>>,
}

/// Reads the body's paragraphs and tables from the XML of `word/document.xml`.
pub(super) fn parse_body<R: Read>(source: Capped<'_, R>) -> Result<Vec<Block>, Errors> {
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
pub(super) fn xml_failure(e: quick_xml::Error, over_the_cap: bool) -> String {
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
    pub(super) fn event(&mut self, ns: Ns, event: Event<'_>) -> Result<bool, Errors> {
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

    pub(super) fn in_text(&self) -> bool {
        self.skipping == 0 && self.stack.last() == Some(&Ctx::Text)
    }

    pub(super) fn start(&mut self, ns: Ns, e: &BytesStart<'_>) -> Result<(), Errors> {
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
    pub(super) fn open_word(&mut self, name: &str, e: &BytesStart<'_>) -> Option<Ctx> {
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
    pub(super) fn property_or_mark(&mut self, name: &str, e: &BytesStart<'_>) {
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

    pub(super) fn with_para(&mut self, f: impl FnOnce(&mut Para)) {
        if let Some(p) = self.para.as_mut() {
            f(p);
        }
    }

    pub(super) fn push_text(&mut self, s: &str) {
        if self.run.hidden {
            return;
        }
        let format = self.run.format;
        self.with_para(|p| p.push(s, format));
    }

    pub(super) fn end(&mut self) {
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

    pub(super) fn close_para(&mut self) {
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

    pub(super) fn close_cell(&mut self) {
        if let (Some(cell), Some(row)) = (self.cell.take(), self.row.as_mut()) {
            row.cells.push(cell);
        }
    }

    pub(super) fn close_row(&mut self) {
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

    pub(super) fn close_table(&mut self) {
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
pub(super) fn entity(r: &BytesRef<'_>) -> Option<char> {
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
