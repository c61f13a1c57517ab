//! Imports: contest definitions (TOML) and question files (.xlsx, .csv, Word .docx) in the layout of
//! docs/IMPORT.md. A file is validated whole first; its report lists every bad row with the reason
//! in Vietnamese, and a file with errors imports nothing unless the caller skips invalid rows.
mod contest;
pub(crate) mod docx;
mod limits;
mod lists;
mod progress;
mod questions;
pub(crate) mod report;
mod table;

pub use contest::ImportedContest;
pub(crate) use contest::check as check_file;
pub(crate) use docx::package::looks_like_docx;
pub use docx::read_docx;
pub use limits::{MAX_DOCUMENT_XML_BYTES, MAX_FILE_BYTES, MAX_ZIP_ENTRIES};
pub use lists::{ListError, parse_keys, parse_registered, parse_units};
pub use progress::{Progress, Snapshot, Stage};
pub use questions::{parse_questions, parse_questions_with_progress};
pub use report::{Duplicate, EXCERPT_CHARS, ImportReport, RowProblem, RowUnit, excerpt};

/// Which kind of question file an upload is: by its name, else by its first bytes. Here, above
/// the readers, because the readers of every kind dispatch on it and it peeks into a .docx.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Xlsx,
    Csv,
    /// A Word document (.docx); a legacy .doc is routed here too, to be told how to convert it.
    Docx,
}

impl FileKind {
    /// By the file's name, else by its first bytes: a zip (`PK`) naming `word/document.xml` is a
    /// Word document, another zip an .xlsx, anything else CSV. The name wins, so that a file with
    /// the wrong content for its name gets a message about that name.
    pub fn detect(name: &str, bytes: &[u8]) -> FileKind {
        let lower = name.to_lowercase();
        if lower.ends_with(".docx") || lower.ends_with(".doc") {
            FileKind::Docx
        } else if lower.ends_with(".xlsx") {
            FileKind::Xlsx
        } else if lower.ends_with(".csv") {
            FileKind::Csv
        } else if looks_like_docx(bytes) {
            FileKind::Docx
        } else if bytes.starts_with(b"PK") {
            FileKind::Xlsx
        } else {
            FileKind::Csv
        }
    }

    /// What the position numbers of this kind's questions count.
    pub fn unit(self) -> RowUnit {
        match self {
            FileKind::Xlsx | FileKind::Csv => RowUnit::Row,
            FileKind::Docx => RowUnit::Paragraph,
        }
    }
}
