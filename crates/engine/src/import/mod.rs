//! Imports: contest definitions (TOML) and question files (.xlsx, .csv) in the layout of
//! docs/IMPORT.md. A file is validated whole first; its report lists every bad row with the reason
//! in Vietnamese, and a file with errors imports nothing unless the caller skips invalid rows.

mod contest;
mod questions;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use contest::ImportedContest;
pub use questions::{FileKind, parse_questions};

/// A row that cannot be imported, with every reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The row number as the spreadsheet shows it (the header is row 1).
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
        for p in &self.problems {
            for m in &p.messages {
                writeln!(f, "Dòng {}: {m}", p.row)?;
            }
        }
        for d in &self.duplicates {
            match (d.same_as_row, d.same_as_question) {
                (Some(r), _) => writeln!(f, "Dòng {}: trùng với câu hỏi ở dòng {r}, đã bỏ qua.", d.row)?,
                (_, Some(q)) => writeln!(f, "Dòng {}: đã có trong ngân hàng (câu hỏi số {q}), đã bỏ qua.", d.row)?,
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
