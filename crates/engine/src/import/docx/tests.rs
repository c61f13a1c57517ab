//! The Word reader's own tests, on XML written here.

use std::io::{Cursor, Read};

use cuocthi_domain::question::QuestionDraft;

use super::body::*;
use super::labels::*;
use super::package::*;
use super::read::*;
use super::*;
use crate::import::limits::MAX_DOCUMENT_XML_BYTES;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

fn blocks(body: &str) -> Vec<Block> {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}" xmlns:mc="{COMPAT_NAMESPACE}"><w:body>{body}</w:body></w:document>"#
    );
    parse_body(Capped::new(Cursor::new(xml.into_bytes()), MAX_DOCUMENT_XML_BYTES)).unwrap()
}

fn drafts(body: &str) -> Vec<(usize, QuestionDraft)> {
    drafts_from_blocks(&blocks(body)).unwrap()
}

/// Each draft as (paragraph, topic, option count, marked keys): what a recognition test checks.
fn outline(d: &[(usize, QuestionDraft)]) -> Vec<(usize, &str, usize, Vec<char>)> {
    d.iter().map(|(pos, q)| (*pos, q.topic.as_str(), q.options.len(), q.correct.clone())).collect()
}

/// A paragraph of plain runs; `*text` makes a bold run, `_text` an underlined one.
fn p(runs: &[&str]) -> String {
    let runs: String = runs
        .iter()
        .map(|r| match (r.strip_prefix('*'), r.strip_prefix('_')) {
            (Some(t), _) => format!(r#"<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{t}</w:t></w:r>"#),
            (_, Some(t)) => {
                format!(r#"<w:r><w:rPr><w:u w:val="single"/></w:rPr><w:t xml:space="preserve">{t}</w:t></w:r>"#)
            }
            _ => format!(r#"<w:r><w:t xml:space="preserve">{r}</w:t></w:r>"#),
        })
        .collect();
    format!("<w:p>{runs}</w:p>")
}

fn texts(blocks: &[Block]) -> Vec<(usize, String)> {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Para(p) => Some((p.pos, p.text())),
            Block::Table(_) => None,
        })
        .collect()
}

#[test]
fn question_labels_in_the_forms_organisers_type() {
    assert_eq!(question_label("Câu 1: Ai?"), Some("Ai?"));
    assert_eq!(question_label("CÂU 12. Ai?"), Some("Ai?"));
    assert_eq!(question_label("Câu 3 - Ai?"), Some("Ai?"));
    assert_eq!(question_label("Câu hỏi 4: Ai?"), Some("Ai?"));
    assert_eq!(question_label("Câu số 5: Ai?"), Some("Ai?"));
    assert_eq!(question_label("Câu 6 (0,5 điểm): Ai?"), Some("Ai?"));
    assert_eq!(question_label("Câu 7:"), Some(""));
    assert_eq!(question_label("Câu nói nào sau đây?"), None);
    assert_eq!(question_label("Cau 1: decomposed"), Some("decomposed"));
    // Decomposed (NFD) marks stay in the word.
    assert_eq!(question_label("Ca\u{302}u 2: NFD"), Some("NFD"));
}

#[test]
fn keys_explanations_and_topics() {
    assert_eq!(answer_label("Đáp án: B"), Some(" B"));
    assert_eq!(answer_letters(answer_label("Đáp án đúng: C").unwrap()), vec!['C']);
    assert_eq!(answer_letters(answer_label("ĐA: a").unwrap()), vec!['A']);
    assert_eq!(answer_letters(answer_label("Đáp án: B. Hà Nội").unwrap()), vec!['B']);
    assert_eq!(answer_letters(answer_label("Đáp án: B, C").unwrap()), vec!['B', 'C']);
    assert_eq!(answer_letters(answer_label("Đáp án B").unwrap()), vec!['B']);
    assert_eq!(answer_label("Đáp án nào sau đây đúng?"), None);
    assert_eq!(answer_label("Đa số học sinh?"), None);
    assert_eq!(explanation_label("Giải thích: Vì…"), Some(" Vì…"));
    assert_eq!(explanation_label("Giải thích vì sao?"), None);
    assert_eq!(topic_label("Chủ đề: An toàn giao thông"), Some("An toàn giao thông"));
    assert_eq!(topic_label("Chuyên đề 2: Luật An ninh mạng"), Some("Luật An ninh mạng"));
    assert_eq!(topic_label("PHẦN II: Lịch sử Đoàn"), Some("Lịch sử Đoàn"));
    assert_eq!(topic_label("Phần 3"), Some("Phần 3"));
    assert_eq!(topic_label("Phần mềm nào an toàn?"), None);
    assert_eq!(topic_label("Chủ đề của bài thơ là gì?"), None);
    assert_eq!(number_label("12. Ai?"), Some("Ai?"));
    assert_eq!(number_label("1.5 triệu"), None);
}

#[test]
fn options_split_on_tabs_and_wide_spaces() {
    let text = "A. Đúng\tB. Sai";
    let pieces = split_options(text).unwrap();
    assert_eq!(
        pieces.iter().map(|p| (p.letter, &text[p.body.clone()])).collect::<Vec<_>>(),
        [('A', " Đúng"), ('B', " Sai")]
    );
    let text = "a) Có  b) Không";
    let pieces = split_options(text).unwrap();
    assert_eq!(
        pieces.iter().map(|p| (p.letter, text[p.body.clone()].trim())).collect::<Vec<_>>(),
        [('A', "Có"), ('B', "Không")]
    );
    let text = "A. Có  *B. Không";
    let pieces = split_options(text).unwrap();
    assert_eq!(
        pieces.iter().map(|p| (p.letter, p.star, text[p.body.clone()].trim())).collect::<Vec<_>>(),
        [('A', false, "Có"), ('B', true, "Không")]
    );
    let text = "*C. Hà Nội";
    assert!(split_options(text).unwrap()[0].star);
    let text = "C/ Hà Nội *";
    let piece = &split_options(text).unwrap()[0];
    assert!(piece.star);
    assert_eq!(text[piece.body.clone()].trim(), "Hà Nội");
    // Vitamin B followed by one space is text, not the next option.
    let text = "A. Vitamin B. Canxi";
    assert_eq!(split_options(text).unwrap().len(), 1);
    assert_eq!(split_options("Ai là người?"), None);
    assert_eq!(split_options("Anh ấy là ai?"), None);
}

#[test]
fn runs_join_tabs_split_breaks_are_spaces_and_deleted_text_is_dropped() {
    let body = r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs><w:rPr><w:b/></w:rPr></w:pPr>
        <w:r><w:t>A. Đú</w:t></w:r><w:ins w:id="1"><w:r><w:t>ng</w:t></w:r></w:ins>
        <w:del w:id="2"><w:r><w:delText>XÓA</w:delText></w:r></w:del>
        <w:r><w:tab/><w:t>B. S</w:t><w:br/><w:t>ai &amp; &#7841;</w:t></w:r>
        <w:r><w:rPr><w:vanish/></w:rPr><w:t>ẩn</w:t></w:r>
        <w:r><w:instrText> PAGE </w:instrText></w:r></w:p>"#;
    assert_eq!(texts(&blocks(body)), vec![(1, "A. Đúng\tB. S ai & ạ".to_string())]);
}

#[test]
fn positions_count_paragraphs_and_rows_with_text() {
    let body = format!(
        "{}<w:p/>{}<w:p><w:r><w:t> </w:t></w:r></w:p><w:tbl><w:tblPr/><w:tr><w:tc>{}{}</w:tc><w:tc><w:p/></w:tc></w:tr><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>{}",
        p(&["một"]),
        p(&["hai"]),
        p(&["ba"]),
        p(&["ba tiếp"]),
        p(&["bốn"])
    );
    let blocks = blocks(&body);
    assert_eq!(texts(&blocks), vec![(1, "một".into()), (2, "hai".into()), (4, "bốn".into())]);
    let Block::Table(rows) = &blocks[2] else { panic!("{blocks:?}") };
    assert_eq!(rows.len(), 1, "the empty row is not counted");
    assert_eq!((rows[0].pos, rows[0].cells.len(), rows[0].cells[0][1].pos), (3, 2, 3));
}

#[test]
fn text_boxes_fallbacks_and_other_namespaces_are_skipped() {
    let body = r#"<w:p><w:r><w:t>Câu 1: Ai?</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>hộp</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:t>cũ</w:t></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t xmlns:x="urn:x"><x:y>lạ</x:y> thêm</w:t></w:r></w:p>"#;
    assert_eq!(texts(&blocks(body)), vec![(1, "Câu 1: Ai? thêm".to_string())]);
}

#[test]
fn malformed_xml_and_deep_nesting_are_refused() {
    let broken = format!(r#"<w:document xmlns:w="{W}"><w:body><w:p></w:r></w:body></w:document>"#);
    let e = parse_body(Capped::new(Cursor::new(broken.into_bytes()), 1000)).unwrap_err();
    assert!(e[0].starts_with("Tài liệu Word bị hỏng"), "{e:?}");
    let deep = format!(r#"<w:document xmlns:w="{W}">{}"#, "<w:sdt>".repeat(MAX_DEPTH + 1));
    let e = parse_body(Capped::new(Cursor::new(deep.into_bytes()), 1_000_000)).unwrap_err();
    assert!(e[0].contains("lồng nhau quá"), "{e:?}");
    let truncated = format!(r#"<w:document xmlns:w="{W}"><w:body><w:p>"#);
    let e = parse_body(Capped::new(Cursor::new(truncated.into_bytes()), 1000)).unwrap_err();
    assert!(e[0].contains("cắt cụt"), "{e:?}");
}

#[test]
fn the_cap_stops_reading_one_byte_past_the_limit() {
    let mut capped = Capped::new(Cursor::new(vec![b'<'; 100]), 10);
    let mut out = Vec::new();
    assert!(capped.read_to_end(&mut out).is_err());
    assert!(capped.exceeded && out.len() <= 11);
    let mut exact = Capped::new(Cursor::new(vec![b'<'; 10]), 10);
    assert_eq!(exact.read_to_end(&mut Vec::new()).unwrap(), 10);
    let e = parse_body(Capped::new(Cursor::new(vec![b'a'; 5000]), 1000)).unwrap_err();
    assert_eq!(e, vec![too_big()]);
}

#[test]
fn a_question_with_its_key_line_topic_and_explanation() {
    let body = [
        p(&["NGÂN HÀNG CÂU HỎI"]),
        p(&["Chủ đề: An toàn giao thông"]),
        p(&["*Câu 1:", " Khi gặp đèn vàng,"]),
        p(&["người lái xe phải làm gì?"]),
        p(&["A. Tăng tốc\tB. Dừng lại trước vạch dừng"]),
        p(&["C. Bấm còi", "\u{a0}\u{a0}", "D. Đi tiếp"]),
        p(&["Đáp án: B. Dừng lại"]),
        p(&["Giải thích: Đèn vàng báo hiệu"]),
        p(&["sắp chuyển sang đỏ."]),
    ]
    .concat();
    let d = drafts(&body);
    assert_eq!(d.len(), 1);
    let (pos, q) = &d[0];
    assert_eq!(*pos, 3);
    assert_eq!(q.topic, "An toàn giao thông");
    assert_eq!(q.stem, "Khi gặp đèn vàng, người lái xe phải làm gì?");
    assert_eq!(q.options, ["Tăng tốc", "Dừng lại trước vạch dừng", "Bấm còi", "Đi tiếp"]);
    assert_eq!(q.correct, ['B']);
    assert_eq!(q.explanation.as_deref(), Some("Đèn vàng báo hiệu sắp chuyển sang đỏ."));
    assert!(q.validate().is_ok());
}

#[test]
fn marks_count_only_where_they_set_options_apart() {
    let q = |options: &[&[&str]]| {
        let mut body = p(&["Câu 1: Thủ đô của Việt Nam?"]);
        for o in options {
            body.push_str(&p(o));
        }
        drafts(&body).remove(0).1.correct
    };
    assert_eq!(q(&[&["A. Huế"], &["B. ", "*Hà Nội"], &["C. Đà Nẵng"]]), ['B']);
    assert_eq!(q(&[&["A. Huế"], &["B. ", "_Hà Nội"], &["C. Đà Nẵng"]]), ['B']);
    assert_eq!(q(&[&["A.", " Huế"], &["*B.", " Hà Nội"], &["C.", " Đà Nẵng"]]), ['B'], "the letter alone");
    assert!(q(&[&["*A. Huế"], &["*B. Hà Nội"], &["*C. Đà Nẵng"]]).is_empty(), "all bold marks nothing");
    assert_eq!(q(&[&["*A.", " Huế"], &["*B.", " ", "_Hà Nội"], &["*C.", " Đà Nẵng"]]), ['B']);
    assert_eq!(q(&[&["A. ", "*Huế"], &["B. ", "*Hà Nội"], &["C. Đà Nẵng"]]), ['A', 'B']);
    assert_eq!(q(&[&["A. Huế"], &["B. Hà Nội *"], &["C. Đà Nẵng"]]), ['B']);
    assert!(q(&[&["A. Huế"], &["B. ", "*Hà", " Nội"], &["C. Đà Nẵng"]]).is_empty(), "a part is no mark");
}

#[test]
fn highlight_and_shading_mark_but_white_shading_does_not() {
    let run = |props: &str, t: &str| format!("<w:r><w:rPr>{props}</w:rPr><w:t xml:space=\"preserve\">{t}</w:t></w:r>");
    let body = [
        p(&["Câu 1: Số khẩn cấp của công an?"]),
        format!("<w:p>{}</w:p>", run(r#"<w:shd w:val="clear" w:color="auto" w:fill="FFFFFF"/>"#, "A. 114")),
        format!("<w:p>{}</w:p>", run(r#"<w:highlight w:val="yellow"/>"#, "B. 113")),
        format!("<w:p>{}</w:p>", run(r#"<w:highlight w:val="none"/><w:b w:val="0"/>"#, "C. 115")),
        p(&["Câu 2: Số khẩn cấp cứu hỏa?"]),
        p(&["A. 113"]),
        format!("<w:p>{}</w:p>", run(r#"<w:shd w:val="clear" w:fill="FFFF00"/>"#, "B. 114")),
        p(&["C. 115"]),
    ]
    .concat();
    let d = drafts(&body);
    assert_eq!(d.iter().map(|(_, q)| q.correct.clone()).collect::<Vec<_>>(), [vec!['B'], vec!['B']]);
}

fn list(num: u32, level: u8, runs: &[&str]) -> String {
    let numbered = p(runs);
    numbered.replacen(
        "<w:p>",
        &format!(r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr></w:pPr>"#),
        1,
    )
}

#[test]
fn auto_numbered_questions_and_lettered_options() {
    let body = [
        r#"<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Lịch sử Đoàn</w:t></w:r></w:p>"#.to_string(),
        list(2, 0, &["Đoàn TNCS Hồ Chí Minh được thành lập ngày nào?"]),
        list(2, 1, &["26/3/1930"]),
        list(2, 1, &["26/3/1931 *"]),
        list(2, 1, &["2/9/1945"]),
        list(2, 0, &["Người đoàn viên đầu tiên?"]),
        list(3, 0, &["Võ Thị Sáu"]),
        list(3, 0, &["*Lý Tự Trọng"]),
        list(3, 0, &["Nguyễn Văn Trỗi"]),
        list(2, 0, &["Câu cuối?"]),
        list(4, 0, &["Một"]),
        list(4, 0, &["Hai"]),
        list(4, 0, &["Ba"]),
        p(&["Đáp án: C"]),
    ]
    .concat();
    let d = drafts(&body);
    assert_eq!(
        outline(&d),
        [(2, "Lịch sử Đoàn", 3, vec!['B']), (6, "Lịch sử Đoàn", 3, vec!['B']), (10, "Lịch sử Đoàn", 3, vec!['C'])]
    );
    assert_eq!(d[0].1.options[1], "26/3/1931");
}

#[test]
fn faulty_questions_reach_validation_as_written() {
    let body = [
        p(&["Câu 1: Năm phương án?"]),
        p(&["A. 1\tB. 2\tC. 3\tD. 4\tE. 5"]),
        p(&["Đáp án: A"]),
        p(&["Câu 2: Hai đáp án?"]),
        p(&["A. 1"]),
        p(&["B. 2"]),
        p(&["C. 3"]),
        p(&["Đáp án: B, C"]),
        p(&["Câu 3:"]),
        p(&["A. 1"]),
        p(&["B. 2"]),
        p(&["C. 3"]),
        p(&["Đáp án: A"]),
        p(&["A. lạc"]),
        p(&["B. lõng"]),
        p(&["C. không có câu hỏi"]),
    ]
    .concat();
    let d = drafts(&body);
    let got: Vec<_> = d
        .iter()
        .map(|(pos, q)| (*pos, q.validate().unwrap_err().iter().map(ToString::to_string).collect::<Vec<_>>()))
        .collect();
    assert_eq!(
        got,
        [
            (1, vec!["Câu hỏi phải có 3 hoặc 4 phương án trả lời (đang có 5).".to_string()]),
            (4, vec!["Chỉ được có đúng một đáp án đúng (đang đánh dấu B, C).".to_string()]),
            (9, vec!["Thiếu nội dung câu hỏi.".to_string()]),
            (14, vec!["Thiếu nội dung câu hỏi.".to_string(), "Chưa chỉ ra đáp án đúng.".to_string()]),
        ]
    );
}

fn table(rows: &[&[&str]]) -> String {
    let rows: String = rows
        .iter()
        .map(|cells| {
            let cells: String = cells
                .iter()
                .map(|c| format!("<w:tc>{}</w:tc>", c.split('\n').map(|l| p(&[l])).collect::<String>()))
                .collect();
            format!("<w:tr>{cells}</w:tr>")
        })
        .collect();
    format!("<w:tbl><w:tblPr/><w:tblGrid/>{rows}</w:tbl>")
}

#[test]
fn tables_with_columns_with_a_question_per_row_and_option_grids() {
    let body = [
        p(&["Chủ đề: Chuyển đổi số"]),
        table(&[
            &["STT", "Câu hỏi", "A", "B", "C", "D", "Đáp án"],
            &["1", "Ngày Chuyển đổi số quốc gia?", "10/10", "1/1", "2/9", "", "A"],
        ]),
        table(&[
            &["STT", "Nội dung câu hỏi", "Đáp án"],
            &["1", "Ứng dụng định danh điện tử quốc gia?\nA. VNeID\nB. Zalo\nC. Facebook", "A"],
        ]),
        table(&[&["2", "Số cấp cứu y tế?\nA. 113\nB. 114\nC. 115\nĐáp án: C"]]),
        p(&["Câu 9: Số cứu hỏa?"]),
        table(&[&["A. 113", "B. 114"], &["C. 115", "D. 116"]]),
        p(&["Đáp án: B"]),
    ]
    .concat();
    let d = drafts(&body);
    assert_eq!(
        outline(&d),
        [
            (3, "Chuyển đổi số", 4, vec!['A']),
            (5, "Chuyển đổi số", 3, vec!['A']),
            (6, "Chuyển đổi số", 3, vec!['C']),
            (7, "Chuyển đổi số", 4, vec!['B'])
        ]
    );
    assert!(d.iter().all(|(_, q)| q.validate().is_ok()), "{d:?}");
    assert_eq!(d[1].1.stem, "Ứng dụng định danh điện tử quốc gia?");
}

#[test]
fn a_column_table_missing_a_column_is_a_file_error() {
    let body = table(&[&["Câu hỏi", "A", "B", "Đáp án"], &["Ai?", "x", "y", "A"]]);
    let e = drafts_from_blocks(&blocks(&body)).unwrap_err();
    assert_eq!(e, ["Bảng ở đoạn 1: Thiếu cột \"Phương án C\" ở dòng tiêu đề (xem hướng dẫn trong docs/IMPORT.md)."]);
}

#[test]
fn signatures_are_named() {
    let first = |b: &[u8]| read_docx(b).unwrap_err().remove(0);
    assert!(first(b"").contains("tệp rỗng"));
    assert!(first(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]).contains("(.doc)"));
    assert!(first(b"%PDF-1.7").contains("tệp PDF"));
    assert!(first(b"Cau 1: xin chao").starts_with(NOT_DOCX));
    assert!(first(b"PK\x03\x04 not a zip").starts_with(NOT_DOCX));
    assert!(looks_like_docx(b"PK\x03\x04 word/document.xml"), "no directory: the name anywhere will do");
    assert!(!looks_like_docx(b"PK\x03\x04 xl/workbook.xml"));
}
