//! Question files: a spreadsheet or CSV (`table`) or a Word document (`docx`), read into drafts
//! with their row or paragraph numbers.

use cuocthi_domain::question::QuestionDraft;

use super::FileKind;
use super::docx;
use super::limits::MAX_FILE_BYTES;
use super::progress::{Progress, Stage};
use super::table::{drafts_from_rows, read_csv_with_progress, read_xlsx};

/// The question rows of a file, with their row numbers (for a Word document, the paragraph
/// numbers of [`docx::read_docx`]), or the reasons the file cannot be read.
pub fn parse_questions(bytes: &[u8], kind: FileKind) -> Result<Vec<(usize, QuestionDraft)>, Vec<String>> {
    parse_questions_with_progress(bytes, kind, &Progress::default())
}

/// [`parse_questions`], telling `progress` how much of the file it has read ([`Stage::Reading`]).
pub fn parse_questions_with_progress(
    bytes: &[u8],
    kind: FileKind,
    progress: &Progress,
) -> Result<Vec<(usize, QuestionDraft)>, Vec<String>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(vec![format!("Tệp lớn hơn {} MB.", MAX_FILE_BYTES / 1024 / 1024)]);
    }
    let table = match kind {
        FileKind::Xlsx => {
            // calamine reads the sheet in one call: nothing to report in between.
            progress.begin(Stage::Reading, bytes.len() as u64);
            let table = read_xlsx(bytes)?;
            progress.set(bytes.len() as u64);
            table
        }
        FileKind::Csv => read_csv_with_progress(bytes, progress)?,
        FileKind::Docx => return docx::read_docx_with_progress(bytes, progress),
    };
    drafts_from_rows(table, "Chung")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_numbers() {
        let csv = "Chủ đề;Câu hỏi;A;B;C;D;Đáp án\n\nAn toàn;Mật khẩu mạnh?;123456;Abc@2024!x;qwerty;;B\n";
        let rows = parse_questions(csv.as_bytes(), FileKind::Csv).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 3);
        assert!(rows[0].1.validate().is_ok());
    }

    #[test]
    fn missing_columns_are_named() {
        let e = parse_questions("Câu hỏi,A,B\nx,y,z\n".as_bytes(), FileKind::Csv).unwrap_err();
        assert!(e.iter().any(|m| m.contains("Phương án C")));
        assert!(e.iter().any(|m| m.contains("Đáp án")));
    }
}
