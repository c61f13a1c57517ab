//! Imports: contest definitions (TOML) and question files (.xlsx, .csv, Word .docx) in the layout of
//! docs/IMPORT.md. A file is validated whole first; its report lists every bad row with the reason
//! in Vietnamese, and a file with errors imports nothing unless the caller skips invalid rows.

mod contest;
mod docx;
mod lists;
mod questions;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use contest::ImportedContest;
pub(crate) use contest::check as check_file;
pub(crate) use docx::looks_like_docx;
pub use docx::{MAX_DOCUMENT_XML_BYTES, MAX_ZIP_ENTRIES, read_docx};
pub use lists::{ListError, parse_keys, parse_registered, parse_units};
pub use questions::{FileKind, MAX_FILE_BYTES, parse_questions};

/// What the numbers of a report count, so that each message points where the organiser looks: a
/// spreadsheet shows row numbers, a Word document has none, so its questions are numbered by
/// paragraph as [`read_docx`] documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowUnit {
    /// A row of the sheet, or a line of the CSV file: "Dòng N".
    #[default]
    Row,
    /// A paragraph or table row of a Word document's body: "Đoạn N".
    Paragraph,
}

impl RowUnit {
    /// The word that starts a message: "Dòng" or "Đoạn".
    pub fn label(self) -> &'static str {
        match self {
            RowUnit::Row => "Dòng",
            RowUnit::Paragraph => "Đoạn",
        }
    }

    /// The same word inside a sentence: "dòng" or "đoạn".
    fn noun(self) -> &'static str {
        match self {
            RowUnit::Row => "dòng",
            RowUnit::Paragraph => "đoạn",
        }
    }
}

/// A row that cannot be imported, with every reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The row number as the spreadsheet shows it (the header is row 1), or for a Word document
    /// the paragraph number (see [`ImportReport::unit`]).
    pub row: usize,
    pub messages: Vec<String>,
}

/// A row whose question is already in the file or in the bank (same stem and options once marks,
/// case and punctuation are folded). Duplicates are skipped, never imported twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    pub row: usize,
    /// The earlier row of the same file, if the twin is there.
    pub same_as_row: Option<usize>,
    /// The question id in the bank, if the twin is there.
    pub same_as_question: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Problems with the file as a whole (unreadable, missing columns).
    pub file_errors: Vec<String>,
    /// What the row numbers below count (rows, or paragraphs of a Word document).
    #[serde(default)]
    pub unit: RowUnit,
    /// Question rows read (blank rows are not counted).
    pub rows: usize,
    pub problems: Vec<RowProblem>,
    pub duplicates: Vec<Duplicate>,
    pub imported: usize,
}

impl ImportReport {
    pub fn has_errors(&self) -> bool {
        !self.file_errors.is_empty() || !self.problems.is_empty()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.file_errors {
            writeln!(f, "Lỗi tệp: {e}")?;
        }
        let (label, noun) = (self.unit.label(), self.unit.noun());
        for p in &self.problems {
            for m in &p.messages {
                writeln!(f, "{label} {}: {m}", p.row)?;
            }
        }
        for d in &self.duplicates {
            match (d.same_as_row, d.same_as_question) {
                (Some(r), _) => writeln!(f, "{label} {}: trùng với câu hỏi ở {noun} {r}, đã bỏ qua.", d.row)?,
                (_, Some(q)) => writeln!(f, "{label} {}: đã có trong ngân hàng (câu hỏi số {q}), đã bỏ qua.", d.row)?,
                _ => {}
            }
        }
        write!(
            f,
            "Đã đọc {} câu hỏi: {} câu có lỗi, {} câu trùng, {} câu được nhập.",
            self.rows,
            self.problems.len(),
            self.duplicates.len(),
            self.imported
        )
    }
}
