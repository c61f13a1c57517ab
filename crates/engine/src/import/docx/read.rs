//! The reading as a whole: the package opened within its caps, the body streamed into paragraphs
//! and tables, and those recognised as questions.

use std::io::Cursor;

use cuocthi_domain::question::QuestionDraft;
use zip::ZipArchive;

use super::body::{Block, parse_body};
use super::package::{Capped, check_signature, declared_entries, other_package};
use super::recognise::Flow;
use super::{DEFAULT_TOPIC, DOCUMENT_PART, Errors, NOT_DOCX, no_questions, refuse, too_big, too_many_entries};
use crate::import::limits::{MAX_DOCUMENT_XML_BYTES, MAX_FILE_BYTES, MAX_ZIP_ENTRIES};
use crate::import::progress::{Progress, Stage};

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

pub(super) fn drafts_from_blocks(blocks: &[Block]) -> Result<Vec<(usize, QuestionDraft)>, Errors> {
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

/// Opens the zip and streams `word/document.xml` into blocks, within the caps.
pub(super) fn read_body(bytes: &[u8], progress: &Progress) -> Result<Vec<Block>, Errors> {
    if bytes.len() > MAX_FILE_BYTES {
        return refuse(format!("Tệp lớn hơn {} MB.", MAX_FILE_BYTES / 1024 / 1024));
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
