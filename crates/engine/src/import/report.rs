//! The report of an import: every row that cannot be imported with its reasons, the duplicates
//! skipped, and what the numbers count (rows of a sheet, paragraphs of a Word document).

use std::fmt;

use serde::{Deserialize, Serialize};

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
    /// The start of the question (see [`excerpt`]), when it has one: "Đoạn 14" alone sends the
    /// organiser into the file to find which question that is.
    #[serde(default)]
    pub stem: Option<String>,
    pub messages: Vec<String>,
}

/// A row whose question is already in the file or in the bank (same stem and options once marks,
/// case and punctuation are folded). Duplicates are skipped, never imported twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    pub row: usize,
    /// The start of the question (see [`excerpt`]).
    #[serde(default)]
    pub stem: Option<String>,
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

/// How many characters of a question's stem a report quotes: enough to recognise it.
pub const EXCERPT_CHARS: usize = 60;

/// At most the first [`EXCERPT_CHARS`] characters of a stem on one line (runs of spaces and line
/// breaks made one space), cut after a whole word and marked "…" when longer; `None` for a
/// question without a stem.
pub fn excerpt(stem: &str) -> Option<String> {
    let words: Vec<&str> = stem.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    let line = words.join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return Some(line);
    }
    let mut cut: String = line.chars().take(EXCERPT_CHARS + 1).collect();
    // Cut at the last whole word, unless that leaves too little to recognise.
    match cut.rfind(' ') {
        Some(space) if cut[..space].chars().count() >= EXCERPT_CHARS / 2 => cut.truncate(space),
        _ => cut = cut.chars().take(EXCERPT_CHARS).collect(),
    }
    Some(format!("{}…", cut.trim_end_matches([' ', ',', ';', ':'])))
}

/// "Dòng 3" or, with the question's start, "Dòng 3 (“Mật khẩu nào mạnh nhất?”)".
fn place(label: &str, row: usize, stem: Option<&str>) -> String {
    match stem {
        Some(s) => format!("{label} {row} (“{s}”)"),
        None => format!("{label} {row}"),
    }
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
            let at = place(label, p.row, p.stem.as_deref());
            for m in &p.messages {
                writeln!(f, "{at}: {m}")?;
            }
        }
        for d in &self.duplicates {
            let at = place(label, d.row, d.stem.as_deref());
            match (d.same_as_row, d.same_as_question) {
                (Some(r), _) => writeln!(f, "{at}: trùng với câu hỏi ở {noun} {r}, đã bỏ qua.")?,
                (_, Some(q)) => writeln!(f, "{at}: đã có trong ngân hàng (câu hỏi số {q}), đã bỏ qua.")?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_one_line_of_at_most_sixty_characters() {
        assert_eq!(excerpt("  "), None);
        assert_eq!(excerpt("Mật khẩu nào\n  mạnh nhất?").as_deref(), Some("Mật khẩu nào mạnh nhất?"));
        let long = "Theo Luật An ninh mạng năm 2018, hành vi nào sau đây bị nghiêm cấm trên không gian mạng?";
        let cut = excerpt(long).unwrap_or_default();
        assert_eq!(cut, "Theo Luật An ninh mạng năm 2018, hành vi nào sau đây bị…");
        assert!(cut.chars().count() <= EXCERPT_CHARS + 1);
    }

    #[test]
    fn every_line_of_the_text_report_quotes_its_question() {
        let report = ImportReport {
            unit: RowUnit::Paragraph,
            rows: 3,
            problems: vec![
                RowProblem {
                    row: 14,
                    stem: excerpt("Luật An ninh mạng có hiệu lực từ ngày nào?"),
                    messages: vec!["Chưa chỉ ra đáp án đúng.".into()],
                },
                RowProblem { row: 20, stem: None, messages: vec!["Thiếu nội dung câu hỏi.".into()] },
            ],
            duplicates: vec![Duplicate {
                row: 31,
                stem: excerpt("Câu lặp?"),
                same_as_row: Some(2),
                same_as_question: None,
            }],
            ..ImportReport::default()
        };
        let text = report.to_string();
        assert!(
            text.contains("Đoạn 14 (“Luật An ninh mạng có hiệu lực từ ngày nào?”): Chưa chỉ ra đáp án đúng.\n"),
            "{text}"
        );
        assert!(text.contains("Đoạn 20: Thiếu nội dung câu hỏi.\n"), "{text}");
        assert!(text.contains("Đoạn 31 (“Câu lặp?”): trùng với câu hỏi ở đoạn 2, đã bỏ qua.\n"), "{text}");
    }
}
