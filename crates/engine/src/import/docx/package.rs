//! The container: a zip anyone can upload, read within caps (entries, and the unpacked size of
//! `word/document.xml` counted while inflating).

use std::io;
use std::io::Read;

use zip::ZipArchive;

use crate::import::progress::Progress;

use super::{DOCUMENT_PART, Errors, NOT_DOCX, refuse};

/// Whether `bytes` look like a Word document without unpacking anything: a zip whose central
/// directory (where entry names are stored in clear) names `word/document.xml`.
pub(crate) fn looks_like_docx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") && contains(directory_region(bytes), DOCUMENT_PART.as_bytes())
}

pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The end-of-central-directory record: the last `PK\x05\x06` of the final 64 KiB (the record is
/// 22 bytes and its comment at most 65,535).
pub(super) fn end_record(bytes: &[u8]) -> Option<&[u8]> {
    let tail = &bytes[bytes.len().saturating_sub(22 + 65_535)..];
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    tail.get(at..at + 22)
}

pub(super) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The number of entries the archive declares, read before the zip library indexes them all
/// (0xFFFF marks a zip64 archive, which no .docx needs, and is refused as too many).
pub(super) fn declared_entries(bytes: &[u8]) -> Option<usize> {
    end_record(bytes).and_then(|r| le16(r, 10)).map(usize::from)
}

/// The central directory's bytes, or the whole file when the record is missing or points outside.
pub(super) fn directory_region(bytes: &[u8]) -> &[u8] {
    end_record(bytes)
        .and_then(|r| {
            let size = usize::try_from(le32(r, 12)?).ok()?;
            let start = usize::try_from(le32(r, 16)?).ok()?;
            bytes.get(start..start.checked_add(size)?)
        })
        .unwrap_or(bytes)
}

/// Recognises files that are not a .docx by their first bytes, to say what they are instead.
pub(super) fn check_signature(bytes: &[u8]) -> Result<(), Errors> {
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
pub(super) fn other_package<R: Read + io::Seek>(archive: &ZipArchive<R>) -> String {
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

/// A reader that fails once more than `limit` bytes came through (`take` stops it one byte past),
/// so an inflating bomb ends at the cap instead of filling memory; `exceeded` tells that failure
/// from a broken file.
pub(super) struct Capped<'p, R> {
    pub(super) inner: io::Take<R>,
    pub(super) limit: u64,
    pub(super) seen: u64,
    pub(super) exceeded: bool,
    /// Told the bytes seen so far, for the console's progress bar.
    pub(super) progress: Option<&'p Progress>,
}

impl<'p, R: Read> Capped<'p, R> {
    pub(super) fn new(inner: R, limit: u64) -> Capped<'p, R> {
        Capped { inner: inner.take(limit.saturating_add(1)), limit, seen: 0, exceeded: false, progress: None }
    }

    pub(super) fn reporting(self, progress: &'p Progress) -> Capped<'p, R> {
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
