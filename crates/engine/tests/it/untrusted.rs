//! The parsers of what anyone can upload or send — Word documents, spreadsheets, CSV files (question
//! banks and lists) and participant tokens — on arbitrary bytes: they never panic, and a refusal
//! is a list of messages a person can read (in Vietnamese, never empty, never a debug dump).

use std::io::{Cursor, Write};

use cuocthi_engine::import::{FileKind, parse_keys, parse_questions, parse_registered, parse_units, read_docx};
use cuocthi_engine::shared::token::{Claims, Signer};
use proptest::prelude::*;
use zip::write::SimpleFileOptions;

/// Messages a person can read: at least one, each a sentence with Vietnamese letters in it.
fn readable(messages: &[String]) -> std::result::Result<(), TestCaseError> {
    prop_assert!(!messages.is_empty(), "a refusal without a reason");
    for m in messages {
        prop_assert!(!m.trim().is_empty(), "an empty message in {messages:?}");
        prop_assert!(!m.is_ascii(), "not Vietnamese: {m:?}");
        prop_assert!(!m.contains("panicked") && !m.contains("{ "), "a debug dump: {m:?}");
    }
    Ok(())
}

/// A zip holding `parts` (name, body): a package that passes the first checks, so that what is
/// inside reaches the XML and spreadsheet readers.
fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in parts {
        w.start_file(*name, SimpleFileOptions::default()).expect("a zip entry");
        w.write_all(body).expect("written");
    }
    w.finish().expect("a zip").into_inner()
}

/// XML-ish text: Word's element names, attributes, entities and text in any order, most of it
/// not well-formed.
fn wordish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<w:p>".to_string()),
        Just("</w:p>".to_string()),
        Just("<w:r>".to_string()),
        Just("</w:r>".to_string()),
        Just("<w:t xml:space=\"preserve\">".to_string()),
        Just("</w:t>".to_string()),
        Just("<w:tbl><w:tr><w:tc>".to_string()),
        Just("</w:tc></w:tr></w:tbl>".to_string()),
        Just("<w:rPr><w:b/></w:rPr>".to_string()),
        Just("<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr>".to_string()),
        Just("<w:del><w:r><w:delText>x</w:delText></w:r></w:del>".to_string()),
        Just("&amp;&#7841;&#x1EA1;&bogus;&#99999999;".to_string()),
        Just("Câu 1: ".to_string()),
        Just("A. ".to_string()),
        Just("Đáp án: B".to_string()),
        "[ -~àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễđ<>/=\"]{0,12}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|ps| {
        format!(
            "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{}</w:body></w:document>",
            ps.concat()
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_docx_of_any_bytes_is_read_or_refused_in_words(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Err(messages) = read_docx(&bytes) {
            readable(&messages)?;
        }
        let mut zip_like = b"PK\x03\x04".to_vec();
        zip_like.extend_from_slice(&bytes);
        if let Err(messages) = parse_questions(&zip_like, FileKind::Docx) {
            readable(&messages)?;
        }
    }

    #[test]
    fn a_docx_with_any_document_xml_is_read_or_refused_in_words(xml in wordish(), raw in prop::collection::vec(any::<u8>(), 0..512)) {
        for body in [xml.as_bytes(), raw.as_slice()] {
            let file = zip_of(&[("word/document.xml", body)]);
            if let Err(messages) = read_docx(&file) {
                readable(&messages)?;
            }
        }
    }

    #[test]
    fn an_xlsx_of_any_bytes_is_read_or_refused_in_words(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Err(messages) = parse_questions(&bytes, FileKind::Xlsx) {
            readable(&messages)?;
        }
        let file = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", &bytes)]);
        if let Err(messages) = parse_questions(&file, FileKind::Xlsx) {
            readable(&messages)?;
        }
        if let Err(e) = parse_units("don-vi.xlsx", &file) {
            readable(&e.0)?;
        }
    }

    #[test]
    fn a_csv_of_any_bytes_is_read_or_refused_in_words(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Err(messages) = parse_questions(&bytes, FileKind::Csv) {
            readable(&messages)?;
        }
        if let Err(e) = parse_units("don-vi.csv", &bytes) {
            readable(&e.0)?;
        }
        if let Err(e) = parse_keys("loai-tru.csv", &bytes) {
            readable(&e.0)?;
        }
        if let Err(e) = parse_registered("danh-sach.csv", &bytes, "SO-A") {
            readable(&e.0)?;
        }
    }

    #[test]
    fn a_csv_of_any_text_is_read_or_refused_in_words(text in "[a-zA-Z0-9 ,;\"\\n\\r\\tàáạảãâđêôơư]{0,600}") {
        let with_header = format!("Chủ đề,Câu hỏi,A,B,C,D,Đáp án\n{text}");
        for body in [text.as_str(), with_header.as_str()] {
            if let Err(messages) = parse_questions(body.as_bytes(), FileKind::Csv) {
                readable(&messages)?;
            }
            if let Err(e) = parse_registered("danh-sach.csv", body.as_bytes(), "SO-A") {
                readable(&e.0)?;
            }
        }
    }

    #[test]
    fn a_token_of_any_text_is_refused(token in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let signer = Signer::new(b"the deployment's secret");
        prop_assert_eq!(signer.verify(&token, 0), None);
        prop_assert_eq!(signer.verify(&String::from_utf8_lossy(&bytes), 0), None);
        prop_assert!(!signer.check_tag("certificate:1-1", &token));
    }

    #[test]
    fn a_token_changed_anywhere_is_refused(
        participant_id in any::<i64>(),
        contest_id in any::<i64>(),
        expires_at in 1..i64::MAX,
        at in any::<prop::sample::Index>(),
        by in 1..=255u8,
    ) {
        let signer = Signer::new(b"the deployment's secret");
        let claims = Claims { participant_id, contest_id, expires_at };
        let token = signer.issue(claims);
        prop_assert_eq!(signer.verify(&token, 0), Some(claims));
        let mut changed = token.into_bytes();
        let i = at.index(changed.len());
        changed[i] = changed[i].wrapping_add(by);
        prop_assert_eq!(signer.verify(&String::from_utf8_lossy(&changed), 0), None);
    }
}
