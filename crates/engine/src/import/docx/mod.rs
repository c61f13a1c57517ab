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

mod body;
mod labels;
pub(crate) mod package;
mod read;
mod recognise;
#[cfg(test)]
mod tests;

pub use read::read_docx;
pub(crate) use read::read_docx_with_progress;

use super::limits::{MAX_DOCUMENT_XML_BYTES, MAX_ZIP_ENTRIES};

pub(super) const DOCUMENT_PART: &str = "word/document.xml";
pub(super) const DEFAULT_TOPIC: &str = "Chung";

pub(super) type Errors = Vec<String>;

pub(super) fn refuse<T>(message: impl Into<String>) -> Result<T, Errors> {
    Err(vec![message.into()])
}

// ---------------------------------------------------------------------------------------------
// Messages

pub(super) const NOT_DOCX: &str = "Tệp không phải là tài liệu Word (.docx)";

pub(super) fn too_big() -> String {
    format!(
        "Nội dung tài liệu Word khi giải nén lớn hơn {} MB nên không được đọc (tệp quá lớn hoặc là tệp nén \
         bất thường). Hãy chia ngân hàng câu hỏi thành nhiều tệp nhỏ hơn.",
        MAX_DOCUMENT_XML_BYTES / 1024 / 1024
    )
}

pub(super) fn too_many_entries() -> String {
    format!("{NOT_DOCX} thông thường: tệp nén chứa hơn {MAX_ZIP_ENTRIES} thành phần.")
}

pub(super) fn no_questions() -> String {
    "Không tìm thấy câu hỏi nào trong tài liệu Word. Mỗi câu hỏi bắt đầu bằng \"Câu 1:\", \"Câu 2:\"… \
     (hoặc là một mục của danh sách đánh số, hoặc một dòng của bảng), tiếp theo là các phương án \
     \"A.\", \"B.\", \"C.\", \"D.\" (xem hướng dẫn trong docs/IMPORT.md)."
        .to_string()
}
