//! The caps on an uploaded question or list file, in one place: files anyone can upload are read
//! within them whatever they claim.

/// Largest question file accepted (a bank of thousands of questions is a few MB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Largest unpacked `word/document.xml` read: a bank of thousands of questions is a few MB of XML.
pub const MAX_DOCUMENT_XML_BYTES: u64 = 30 * 1024 * 1024;
/// Most entries a .docx may hold: Word writes about a dozen, plus one per picture.
pub const MAX_ZIP_ENTRIES: usize = 2000;
