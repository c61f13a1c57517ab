//! Tables of questions or lists: .xlsx (first sheet) or .csv (UTF-8, comma or semicolon), one
//! question a row, headed by the column names of docs/IMPORT.md, matched without regard to case or
//! marks; Word tables (`docx`) reuse the header matching here.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use cuocthi_domain::question::QuestionDraft;
use cuocthi_domain::text;

use super::FileKind;
use super::limits::MAX_FILE_BYTES;
use super::progress::{Progress, Stage};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Column {
    Topic,
    Stem,
    Option(usize),
    Correct,
    Explanation,
}

pub(super) fn column_of(header: &str) -> Option<Column> {
    let h = text::fold(header);
    let letter = |s: &str| -> Option<usize> {
        let mut cs = s.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => "abcdef".find(c),
            _ => None,
        }
    };
    if let Some(i) = letter(&h) {
        return Some(Column::Option(i));
    }
    for prefix in ["phuong an ", "dap an ", "lua chon ", "cau tra loi ", "option "] {
        if let Some(i) = h.strip_prefix(prefix).and_then(letter) {
            return Some(Column::Option(i));
        }
    }
    match h.as_str() {
        "chu de" | "chuyen de" | "linh vuc" | "topic" => Some(Column::Topic),
        "cau hoi" | "noi dung" | "noi dung cau hoi" | "question" | "stem" => Some(Column::Stem),
        "dap an" | "dap an dung" | "correct" | "answer" | "key" => Some(Column::Correct),
        "giai thich" | "explanation" => Some(Column::Explanation),
        _ => None,
    }
}

pub(super) fn header_columns(row: &[String]) -> HashMap<Column, usize> {
    let mut columns = HashMap::new();
    for (i, h) in row.iter().enumerate() {
        if let Some(c) = column_of(h) {
            columns.entry(c).or_insert(i);
        }
    }
    columns
}

/// Reads the letters marked correct: "B", "b.", "Đáp án B", "B, C" (two: an error later), "2".
pub(super) fn correct_marks(cell: &str) -> Vec<char> {
    text::fold(cell)
        .split(' ')
        .filter_map(|t| match t {
            "a" | "b" | "c" | "d" | "e" | "f" => t.chars().next().map(|c| c.to_ascii_uppercase()),
            "1" | "2" | "3" | "4" | "5" | "6" => t.parse::<u8>().ok().map(|n| char::from(b'A' + n - 1)),
            _ => None,
        })
        .collect()
}

/// Drafts from a table in the layout of docs/IMPORT.md: the header is the first row (of the first
/// 20) naming the stem column, blank rows are dropped, and `default_topic` stands in when there is
/// no topic column. Shared by spreadsheets and Word tables so both read headers the same way.
pub(super) fn drafts_from_rows(table: Table, default_topic: &str) -> Result<Vec<(usize, QuestionDraft)>, Vec<String>> {
    let rows: Vec<(usize, Vec<String>)> =
        table.into_iter().filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty())).collect();
    if rows.is_empty() {
        return Err(vec!["Tệp không có dữ liệu.".to_string()]);
    }
    // The header is the first row naming the stem column; organisers often put a title above it.
    let header_at = rows.iter().take(20).position(|(_, r)| header_columns(r).contains_key(&Column::Stem)).unwrap_or(0);
    let columns = header_columns(&rows[header_at].1);
    let rows = rows.into_iter().skip(header_at + 1);
    let mut missing = Vec::new();
    for (c, name) in [
        (Column::Stem, "Câu hỏi"),
        (Column::Option(0), "Phương án A"),
        (Column::Option(1), "Phương án B"),
        (Column::Option(2), "Phương án C"),
        (Column::Correct, "Đáp án"),
    ] {
        if !columns.contains_key(&c) {
            missing.push(format!("Thiếu cột \"{name}\" ở dòng tiêu đề (xem hướng dẫn trong docs/IMPORT.md)."));
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    let cell = |row: &[String], c: Column| {
        columns.get(&c).and_then(|i| row.get(*i)).map(|s| s.trim().to_string()).unwrap_or_default()
    };
    let last_option = (0..6).rev().find(|i| columns.contains_key(&Column::Option(*i))).unwrap_or(0);
    Ok(rows
        .map(|(number, r)| {
            let draft = QuestionDraft {
                topic: if columns.contains_key(&Column::Topic) {
                    cell(&r, Column::Topic)
                } else {
                    default_topic.to_string()
                },
                stem: cell(&r, Column::Stem),
                options: (0..=last_option).map(|o| cell(&r, Column::Option(o))).collect(),
                correct: correct_marks(&cell(&r, Column::Correct)),
                explanation: Some(cell(&r, Column::Explanation)).filter(|e| !e.is_empty()),
            };
            (number, draft)
        })
        .collect())
}

/// Rows with their 1-based numbers as the source shows them.
pub(super) type Table = Vec<(usize, Vec<String>)>;

/// The rows of a spreadsheet (.xlsx first sheet, or .csv), for the list importers.
pub(super) fn read_table(name: &str, bytes: &[u8]) -> Result<Table, Vec<String>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(vec![format!("Tệp lớn hơn {} MB.", MAX_FILE_BYTES / 1024 / 1024)]);
    }
    match FileKind::detect(name, bytes) {
        FileKind::Xlsx => read_xlsx(bytes),
        FileKind::Csv => read_csv(bytes),
        FileKind::Docx => {
            Err(vec!["Danh sách cần ở dạng bảng tính Excel (.xlsx) hoặc CSV, không phải tài liệu Word.".into()])
        }
    }
}

fn read_csv(bytes: &[u8]) -> Result<Table, Vec<String>> {
    read_csv_with_progress(bytes, &Progress::default())
}

pub(super) fn read_csv_with_progress(bytes: &[u8], progress: &Progress) -> Result<Table, Vec<String>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(body).map_err(|_| {
        // Not text at all (an image, a PDF…) is a different mistake from a CSV saved in another encoding.
        let binary = body.iter().take(512).any(|b| *b == 0) || !body.iter().take(64).any(|b| b.is_ascii_alphanumeric());
        vec![if binary {
            "Không nhận ra định dạng tệp: hãy dùng tài liệu Word (.docx), bảng tính Excel (.xlsx) hoặc CSV.".to_string()
        } else {
            "Tệp CSV phải được lưu với bảng mã UTF-8.".to_string()
        }]
    })?;
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() { b';' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut out = Vec::new();
    progress.begin(Stage::Reading, text.len() as u64);
    let (mut counted, mut line) = (0usize, 1usize);
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            vec![format!("Dòng {line}: không đọc được ({e}).")]
        })?;
        // csv places a record where the previous one ended, blank lines included: skip those
        // and count lines up to the record's first character.
        let mut byte = rec.position().and_then(|p| usize::try_from(p.byte()).ok()).unwrap_or(0).min(text.len());
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        // Lines are counted from where the previous record's count stopped: counting from the
        // start each time took quadratic time on a file of many thousand rows.
        if byte > counted {
            line += text.as_bytes()[counted..byte].iter().filter(|b| **b == b'\n').count();
            counted = byte;
        }
        out.push((line, rec.iter().map(str::to_string).collect()));
        progress.set(byte as u64);
    }
    progress.set(text.len() as u64);
    Ok(out)
}

pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Table, Vec<String>> {
    let unreadable =
        |_| vec!["Không mở được tệp Excel (.xlsx); tệp có thể bị hỏng hoặc không đúng định dạng.".to_string()];
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(unreadable)?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| vec!["Tệp Excel không có trang tính nào.".to_string()])?
        .map_err(|_| vec!["Không đọc được trang tính đầu tiên của tệp Excel.".to_string()])?;
    // The range starts at its first used cell; number rows as Excel shows them.
    let (first_row, _) = range.start().unwrap_or((0, 0));
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| (first_row as usize + i + 1, row.iter().map(|c| c.to_string()).collect()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_without_marks() {
        assert_eq!(column_of("Phương án A"), Some(Column::Option(0)));
        assert_eq!(column_of("ĐÁP ÁN D"), Some(Column::Option(3)));
        assert_eq!(column_of("Đáp án"), Some(Column::Correct));
        assert_eq!(column_of("Đáp án đúng"), Some(Column::Correct));
        assert_eq!(column_of("Nội dung câu hỏi"), Some(Column::Stem));
        assert_eq!(column_of("Chủ đề"), Some(Column::Topic));
        assert_eq!(column_of("Ghi chú"), None);
    }

    #[test]
    fn correct_marks_read_the_forms_people_type() {
        assert_eq!(correct_marks("B"), vec!['B']);
        assert_eq!(correct_marks(" c. "), vec!['C']);
        assert_eq!(correct_marks("Đáp án D"), vec!['D']);
        assert_eq!(correct_marks("A, C"), vec!['A', 'C']);
        assert_eq!(correct_marks("2"), vec!['B']);
        assert!(correct_marks("").is_empty());
    }
}
