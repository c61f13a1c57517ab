//! Word (.docx) question imports and the .xlsx bank export, end to end: the sample files of
//! examples/questions/, files that are not Word documents, zip bombs, and the engine leaving the
//! bank unchanged when a file (Word or Excel) has errors.

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{TimeZone, Utc};
use cuocthi_domain::question::{Question, QuestionDraft};
use cuocthi_domain::text;
use cuocthi_engine::import::{FileKind, ImportReport, RowUnit, parse_questions};
use cuocthi_engine::{Engine, EngineError, ManualClock};
use cuocthi_testkit::{TestDb, on_both_backends};
use zip::write::SimpleFileOptions;

use crate::common::xlsx_bytes;

// --- The sample files --------------------------------------------------------------------------

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/questions").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The questions of a sample, detected as Word by its name.
fn read(name: &str) -> Vec<(usize, QuestionDraft)> {
    let bytes = sample(name);
    assert_eq!(FileKind::detect(name, &bytes), FileKind::Docx);
    assert_eq!(FileKind::detect("tai-len", &bytes), FileKind::Docx, "detected by content too");
    parse_questions(&bytes, FileKind::Docx).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// (position, topic, key, number of options) of each question, after checking that every one is
/// valid and that its text is stored as NFC with white space collapsed.
fn summary(drafts: &[(usize, QuestionDraft)]) -> Vec<(usize, String, char, usize)> {
    drafts
        .iter()
        .map(|(pos, d)| {
            let q: Question = d.validate().unwrap_or_else(|e| panic!("{pos}: {e:?} in {d:?}"));
            for s in std::iter::once(&d.stem).chain(&d.options).chain(&d.explanation) {
                assert_eq!(*s, text::clean(s), "{pos}: text is clean NFC");
            }
            (*pos, q.topic, char::from(b'A' + q.correct), q.options.len())
        })
        .collect()
}

fn rows(expected: &[(usize, &str, char, usize)]) -> Vec<(usize, String, char, usize)> {
    expected.iter().map(|(p, t, k, n)| (*p, t.to_string(), *k, *n)).collect()
}

#[test]
fn cau_dap_an_reads_labels_keys_topics_and_explanations() {
    let d = read("cau-dap-an.docx");
    let traffic = "An toàn giao thông";
    let cyber = "Luật An ninh mạng";
    assert_eq!(
        summary(&d),
        rows(&[
            (4, traffic, 'A', 4),
            (10, traffic, 'B', 4),
            (17, traffic, 'C', 4),
            (23, traffic, 'A', 4),
            (29, cyber, 'B', 4),
            (35, cyber, 'A', 3),
            (41, cyber, 'B', 4),
        ])
    );
    // A line break inside the stem is a space; a stem over two paragraphs is one stem.
    assert_eq!(
        d[2].1.stem,
        "Theo quy định hiện hành, người điều khiển phương tiện tham gia giao thông đường bộ có được phép có nồng độ \
         cồn trong máu hoặc hơi thở không?"
    );
    assert!(d[3].1.stem.starts_with("Theo Luật Trật tự, an toàn giao thông đường bộ năm 2024, trẻ em dưới"));
    // Two options on one line, split at the tab.
    assert_eq!(d[3].1.options[..2], ["Dưới 10 tuổi và dưới 1,35 mét", "Dưới 12 tuổi và dưới 1,5 mét"]);
    assert_eq!(d[5].1.explanation.as_deref(), Some("Luật An ninh mạng số 24/2018/QH14 gồm 7 chương, 43 điều."));
    assert_eq!(d[4].1.options, ["12/6/2018", "01/01/2019", "01/7/2019", "01/01/2020"]);
}

#[test]
fn in_dam_reads_the_key_from_bold_underline_highlight_shading_and_stars() {
    let d = read("in-dam.docx");
    let union = "Lịch sử Đoàn TNCS Hồ Chí Minh";
    let general = "Kiến thức chung";
    assert_eq!(
        summary(&d),
        rows(&[
            (4, union, 'B', 4),    // bold
            (9, union, 'C', 4),    // underline
            (14, union, 'A', 4),   // highlight
            (19, union, 'C', 4),   // shading
            (24, union, 'B', 4),   // the letter alone in bold
            (30, general, 'C', 4), // "C. Hà Nội *"
            (35, general, 'B', 4), // "*B. 10/10"
            (40, general, 'A', 4), // all bold, the key underlined
        ])
    );
    assert_eq!(d[5].1.options[2], "Hà Nội", "the star is not part of the option");
    assert_eq!(d[2].1.options[0], "Hội Việt Nam Cách mạng Thanh niên");
}

#[test]
fn danh_sach_so_reads_numbered_questions_and_lettered_options() {
    let d = read("danh-sach-so.docx");
    let first = "An ninh mạng và chuyển đổi số";
    assert_eq!(
        summary(&d),
        rows(&[
            (3, first, 'A', 4),
            (9, first, 'C', 3),
            (13, first, 'A', 4),
            (19, first, 'B', 4),
            (27, "Lịch sử Đoàn", 'B', 4)
        ])
    );
    assert_eq!(d[0].1.stem, "Luật An ninh mạng năm 2018 được Quốc hội thông qua vào ngày nào?");
    assert_eq!(d[2].1.options, ["VNeID", "VssID", "Zalo", "eTax"]);
}

#[test]
fn bang_reads_column_tables_row_questions_and_option_grids() {
    let d = read("bang.docx");
    let (traffic, digital, union) = ("An toàn giao thông", "Chuyển đổi số", "Lịch sử Đoàn");
    assert_eq!(
        summary(&d),
        rows(&[
            (4, traffic, 'A', 4),
            (5, traffic, 'A', 4),
            (6, digital, 'A', 3),
            (7, digital, 'C', 4),
            (10, union, 'B', 4),
            (11, union, 'B', 4),
            (12, union, 'A', 3),
            (14, "Kiến thức chung", 'B', 4),
        ])
    );
    assert_eq!(
        d[2].1.explanation.as_deref(),
        Some("Theo Quyết định số 505/QĐ-TTg ngày 22/4/2022 của Thủ tướng Chính phủ.")
    );
    assert_eq!(d[4].1.stem, "Đoàn TNCS Hồ Chí Minh được thành lập ngày, tháng, năm nào?");
    assert_eq!(d[7].1.options, ["30/4", "2/9", "1/5", "19/8"]);
}

/// What loi.docx is expected to report, by paragraph.
const LOI_PROBLEMS: [(usize, &str); 5] = [
    (9, "Câu hỏi phải có 3 hoặc 4 phương án trả lời (đang có 5)."),
    (16, "Chỉ được có đúng một đáp án đúng (đang đánh dấu A, C)."),
    (21, "Thiếu nội dung câu hỏi."),
    (26, "Chưa chỉ ra đáp án đúng."),
    (30, "Chỉ được có đúng một đáp án đúng (đang đánh dấu A, B)."),
];

#[test]
fn loi_names_every_bad_question_with_its_reason() {
    let d = read("loi.docx");
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut valid = Vec::new();
    for (pos, draft) in &d {
        match draft.validate() {
            Ok(_) => valid.push(*pos),
            Err(errors) => problems.extend(errors.iter().map(|e| (*pos, e.to_string()))),
        }
    }
    let mut expected: Vec<(usize, String)> = LOI_PROBLEMS.iter().map(|(p, m)| (*p, m.to_string())).collect();
    expected.push((35, "Thiếu nội dung câu hỏi.".into()));
    assert_eq!(problems, expected);
    assert_eq!(valid, [3, 39]);
}

// --- Files that are not Word documents -----------------------------------------------------

fn docx_error(name: &str, bytes: &[u8]) -> Vec<String> {
    let kind = FileKind::detect(name, bytes);
    assert_eq!(kind, FileKind::Docx, "{name}");
    parse_questions(bytes, kind).expect_err(name)
}

#[test]
fn files_that_are_not_word_documents_are_named() {
    assert_eq!(
        docx_error("cau-hoi.docx", "Câu 1: Thủ đô?\nA. Hà Nội".as_bytes()),
        ["Tệp không phải là tài liệu Word (.docx): nội dung không phải là tệp nén của Word. Hãy mở tệp bằng Word rồi \
          lưu lại thành .docx."]
    );
    assert_eq!(
        docx_error("cau-hoi.docx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
        ["Tệp không phải là tài liệu Word (.docx) mà là tệp PDF. Hãy nhập tệp Word gốc (.docx) thay cho bản PDF."]
    );
    assert_eq!(
        docx_error("cau-hoi.docx", &xlsx_bytes(&[&["Câu hỏi", "A", "B", "C", "Đáp án"]])),
        [
            "Tệp không phải là tài liệu Word (.docx) mà là bảng tính Excel (.xlsx). Hãy đổi đuôi tệp thành .xlsx rồi nhập \
          lại."
        ]
    );
    assert_eq!(
        docx_error("cau-hoi.docx", b""),
        ["Tệp không phải là tài liệu Word (.docx): tệp rỗng, không có nội dung."]
    );
    let mut legacy = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    legacy.resize(4096, 0);
    let expected = [
        "Tệp là tài liệu Word đời cũ (.doc) hoặc tài liệu Word có đặt mật khẩu, chưa đọc được. Hãy mở tệp bằng Word (bỏ \
         mật khẩu nếu có), chọn Lưu thành (Save As) → Word Document (*.docx), rồi nhập tệp .docx đó.",
    ];
    assert_eq!(docx_error("de-thi.doc", &legacy), expected);
    assert_eq!(docx_error("de-thi.docx", &legacy), expected);
    // A zip that is neither: no word/document.xml.
    let mut other = zip::ZipWriter::new(Cursor::new(Vec::new()));
    other.start_file("readme.txt", SimpleFileOptions::default()).unwrap();
    other.write_all(b"xin chao").unwrap();
    let other = other.finish().unwrap().into_inner();
    assert_eq!(
        docx_error("cau-hoi.docx", &other),
        ["Tệp không phải là tài liệu Word (.docx): trong tệp nén không có phần nội dung word/document.xml."]
    );
    // A Word document with no question in it.
    let empty = one_part_docx(
        br#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Danh sach</w:t></w:r></w:p></w:body></w:document>"#,
    );
    assert!(docx_error("x.docx", &empty)[0].starts_with("Không tìm thấy câu hỏi nào trong tài liệu Word."));
    let broken = one_part_docx(b"<w:document><w:body></w:document>");
    assert!(
        docx_error("x.docx", &broken)[0]
            .starts_with("Tài liệu Word bị hỏng: nội dung word/document.xml không phải XML")
    );
}

#[test]
fn an_upload_is_detected_by_its_content() {
    let docx = sample("cau-dap-an.docx");
    let xlsx = xlsx_bytes(&[&["Câu hỏi"]]);
    assert_eq!(FileKind::detect("upload", &docx), FileKind::Docx);
    assert_eq!(FileKind::detect("upload", &xlsx), FileKind::Xlsx);
    assert_eq!(FileKind::detect("upload", b"Cau hoi,A,B,C,Dap an"), FileKind::Csv);
    assert_eq!(FileKind::detect("bank.xlsx", &docx), FileKind::Xlsx, "the name wins");
    assert_eq!(FileKind::Docx.unit(), RowUnit::Paragraph);
    assert_eq!(FileKind::Xlsx.unit(), RowUnit::Row);
}

/// A zip holding only `word/document.xml` with `xml`.
fn one_part_docx(xml: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("word/document.xml", SimpleFileOptions::default()).unwrap();
    zip.write_all(xml).unwrap();
    zip.finish().unwrap().into_inner()
}

// --- Zip bombs -----------------------------------------------------------------------------

const BOMB_BYTES: usize = 200 * 1024 * 1024;

/// A .docx whose `word/document.xml` is 200 MB of one byte, deflated as it is written (1 MB at a
/// time), so that building it never holds the 200 MB: about 200 KB.
fn zip_bomb() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(1));
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(b"<Types/>").unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..BOMB_BYTES / chunk.len() {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Rewrites the uncompressed size that the local and central headers of `name` declare.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for at in 0..zip.len().saturating_sub(46) {
        let (size_at, name_len_at, name_at) = match &zip[at..at + 4] {
            b"PK\x03\x04" => (at + 22, at + 26, at + 30),
            b"PK\x01\x02" => (at + 24, at + 28, at + 46),
            _ => continue,
        };
        let len = usize::from(u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]));
        if zip.get(name_at..name_at + len) == Some(name.as_bytes()) {
            zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "both headers of {name}");
}

fn refused_quickly(bytes: &[u8]) -> Vec<String> {
    let started = Instant::now();
    let errors = parse_questions(bytes, FileKind::detect("bom.docx", bytes)).expect_err("a bomb is refused");
    assert!(started.elapsed() < Duration::from_secs(3), "refused in {:?}", started.elapsed());
    errors
}

#[test]
fn zip_bombs_are_refused_quickly() {
    let honest = zip_bomb();
    assert!(honest.len() < 2 * 1024 * 1024, "the bomb is small: {} bytes", honest.len());
    assert_eq!(
        refused_quickly(&honest),
        ["Nội dung tài liệu Word khi giải nén lớn hơn 30 MB nên không được đọc (tệp quá lớn hoặc là tệp nén bất \
          thường). Hãy chia ngân hàng câu hỏi thành nhiều tệp nhỏ hơn."]
    );
    // The same bomb declaring 1 KB: inflating stops just past what it declared.
    let mut lying = honest;
    declare_size(&mut lying, "word/document.xml", 1024);
    let errors = refused_quickly(&lying);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("Tài liệu Word bị hỏng: không giải nén được word/document.xml"), "{errors:?}");
}

#[test]
fn a_zip_of_too_many_entries_is_refused() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..=cuocthi_engine::import::MAX_ZIP_ENTRIES {
        zip.start_file(format!("word/media/{i}.txt"), options).unwrap();
    }
    zip.start_file("word/document.xml", options).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert_eq!(
        parse_questions(&bytes, FileKind::Docx).unwrap_err(),
        ["Tệp không phải là tài liệu Word (.docx) thông thường: tệp nén chứa hơn 2000 thành phần."]
    );
}

// --- Through the engine --------------------------------------------------------------------

const SLUG: &str = "kiem-thu-docx";

fn contest_toml() -> String {
    format!(
        r#"slug = "{SLUG}"
title = "Cuộc thi kiểm thử nhập câu hỏi"
organiser = "Sở Tư pháp"

[eligibility]
required_fields = ["full_name", "date_of_birth", "cccd", "phone"]

[[rounds]]
name = "Đợt 1"
opens = "10/03/2026 09:00"
closes = "10/03/2026 12:00"
questions_per_attempt = 3
time_limit_minutes = 10
attempts_per_person = 1
tiebreak = {{ prompt = "Dự đoán có bao nhiêu người tham gia?", predicts = "people" }}
"#
    )
}

/// A bank of three questions, one with three options and one with an explanation.
const BANK_CSV: &str = "Chủ đề,Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Giải thích\n\
    Kiến thức chung,Số điện thoại khẩn cấp gọi cấp cứu y tế là số nào?,113,114,115,,C,Số 113 là công an; 114 là cứu hỏa.\n\
    An toàn giao thông,\"Khi gặp đèn vàng, người lái xe phải làm gì?\",Tăng tốc,Dừng trước vạch dừng,Bấm còi,Đi tiếp,B,\n\
    Lịch sử Đoàn,Đoàn TNCS Hồ Chí Minh được thành lập năm nào?,1930,1941,1931,1945,C,\n";

async fn engine(db: &TestDb) -> Engine {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap()));
    let engine = Engine::new(db.dyn_store().await, clock).await.expect("engine");
    engine.import_contest(&contest_toml(), Some(("bank.csv", BANK_CSV.as_bytes()))).await.expect("contest");
    engine
}

async fn bank(e: &Engine, slug: &str) -> Vec<Question> {
    let id = e.store().contest_by_slug(slug).await.unwrap().expect("contest").contest.id;
    e.store().bank(id).await.unwrap().into_iter().map(|q| q.question).collect()
}

async fn refused(e: &Engine, name: &str, bytes: &[u8], skip_invalid: bool) -> ImportReport {
    match e.import_questions(SLUG, name, bytes, skip_invalid).await {
        Err(EngineError::Import(report)) => *report,
        other => panic!("{name}: {other:?}"),
    }
}

on_both_backends!(
    a_faulty_word_file_leaves_the_bank_unchanged,
    word_questions_import_once,
    faulty_spreadsheets_leave_the_bank_unchanged,
    the_xlsx_export_reads_back_as_the_same_bank,
);

async fn a_faulty_word_file_leaves_the_bank_unchanged(db: TestDb) {
    let e = engine(&db).await;
    let before = bank(&e, SLUG).await;
    let report = refused(&e, "loi.docx", &sample("loi.docx"), false).await;
    assert_eq!(report.unit, RowUnit::Paragraph);
    assert_eq!((report.rows, report.problems.len(), report.imported), (8, 6, 0));
    let text = report.to_string();
    // Each line names the paragraph and, when the question has a stem, quotes its start.
    for (pos, message) in LOI_PROBLEMS {
        let problem = report.problems.iter().find(|p| p.row == pos).unwrap();
        let line = match &problem.stem {
            Some(stem) => {
                assert!(stem.chars().count() <= 61 && !stem.contains('\n'), "{stem}");
                format!("Đoạn {pos} (“{stem}”): {message}\n")
            }
            None => format!("Đoạn {pos}: {message}\n"),
        };
        assert!(text.contains(&line), "{line} not in:\n{text}");
    }
    assert_eq!(report.problems.iter().filter(|p| p.stem.is_some()).count(), 4, "all but the two without a stem");
    assert!(text.contains("Đoạn 35: Thiếu nội dung câu hỏi.\n"), "{text}");
    assert!(!text.contains("Dòng "), "{text}");
    assert!(text.ends_with("Đã đọc 8 câu hỏi: 6 câu có lỗi, 0 câu trùng, 0 câu được nhập."), "{text}");
    assert_eq!(bank(&e, SLUG).await, before, "a file with errors imports nothing");
    // Not a Word document at all: a file error, and still nothing imported, even when skipping.
    for skip in [false, true] {
        let report = refused(&e, "loi.docx", b"", skip).await;
        assert_eq!(report.file_errors, ["Tệp không phải là tài liệu Word (.docx): tệp rỗng, không có nội dung."]);
    }
    assert_eq!(bank(&e, SLUG).await, before);
    // Skipping the bad questions imports the two good ones.
    let report = e.import_questions(SLUG, "loi.docx", &sample("loi.docx"), true).await.unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(bank(&e, SLUG).await.len(), before.len() + 2);
}

async fn word_questions_import_once(db: TestDb) {
    let e = engine(&db).await;
    let before = bank(&e, SLUG).await.len();
    let report = e.import_questions(SLUG, "cau-dap-an.docx", &sample("cau-dap-an.docx"), false).await.unwrap();
    assert_eq!((report.rows, report.imported), (7, 7));
    let stored = bank(&e, SLUG).await;
    assert_eq!(stored.len(), before + 7);
    assert!(
        stored
            .iter()
            .any(|q| q.stem == "Luật An ninh mạng năm 2018 có hiệu lực thi hành từ ngày nào?" && q.correct == 1)
    );
    // The same file again: every question is a duplicate, named by its paragraph.
    let again = e.import_questions(SLUG, "cau-dap-an.docx", &sample("cau-dap-an.docx"), false).await.unwrap();
    assert_eq!((again.imported, again.duplicates.len()), (0, 7));
    let text = again.to_string();
    assert!(
        text.starts_with(
            "Đoạn 4 (“Theo Luật Trật tự, an toàn giao thông đường bộ năm 2024, khi…”): đã có trong ngân hàng (câu hỏi số "
        ),
        "{text}"
    );
    assert_eq!(bank(&e, SLUG).await.len(), before + 7);
}

async fn faulty_spreadsheets_leave_the_bank_unchanged(db: TestDb) {
    let e = engine(&db).await;
    let before = bank(&e, SLUG).await;
    // A wrong column: "Phương án 3" is not a column the importer knows.
    let wrong = xlsx_bytes(&[
        &["Chủ đề", "Câu hỏi", "Phương án A", "Phương án B", "Phương án 3", "Đáp án"],
        &["Pháp luật", "Câu hỏi đủ ý?", "Một", "Hai", "Ba", "A"],
    ]);
    for skip in [false, true] {
        let report = refused(&e, "ngan-hang.xlsx", &wrong, skip).await;
        assert_eq!(
            report.file_errors,
            ["Thiếu cột \"Phương án C\" ở dòng tiêu đề (xem hướng dẫn trong docs/IMPORT.md)."]
        );
    }
    let faulty = xlsx_bytes(&[
        &["Chủ đề", "Câu hỏi", "A", "B", "C", "D", "E", "Đáp án"],
        &["Pháp luật", "Năm phương án?", "1", "2", "3", "4", "5", "A"],
        &["Pháp luật", "Hai đáp án?", "1", "2", "3", "4", "", "B, C"],
        &["Pháp luật", "", "1", "2", "3", "4", "", "B"],
        &["Pháp luật", "Câu hỏi hợp lệ duy nhất?", "Có", "Không", "Chưa rõ", "", "", "A"],
    ]);
    let report = refused(&e, "ngan-hang.xlsx", &faulty, false).await;
    assert_eq!(report.unit, RowUnit::Row);
    let problems: Vec<(usize, Vec<String>)> = report.problems.iter().map(|p| (p.row, p.messages.clone())).collect();
    assert_eq!(
        problems,
        [
            (2, vec!["Câu hỏi phải có 3 hoặc 4 phương án trả lời (đang có 5).".to_string()]),
            (3, vec!["Chỉ được có đúng một đáp án đúng (đang đánh dấu B, C).".to_string()]),
            (4, vec!["Thiếu nội dung câu hỏi.".to_string()]),
        ]
    );
    assert!(report.to_string().contains("Dòng 4: Thiếu nội dung câu hỏi.\n"));
    assert_eq!(bank(&e, SLUG).await, before, "nothing imported from a file with errors");
}

async fn the_xlsx_export_reads_back_as_the_same_bank(db: TestDb) {
    let e = engine(&db).await;
    e.import_questions(SLUG, "bang.docx", &sample("bang.docx"), false).await.unwrap();
    let stored = bank(&e, SLUG).await;
    assert_eq!(stored.len(), 11);
    let xlsx = e.export_questions_xlsx(SLUG).await.unwrap();

    // Re-imported through the spreadsheet reader: the same questions, in order.
    let drafts = parse_questions(&xlsx, FileKind::Xlsx).unwrap();
    let back: Vec<Question> = drafts.iter().map(|(_, d)| d.validate().unwrap()).collect();
    assert_eq!(back, stored);
    assert_eq!(drafts.iter().map(|(row, _)| *row).collect::<Vec<_>>(), (2..=12).collect::<Vec<_>>());
    // The same drafts as the CSV export gives.
    let csv = e.export_questions_csv(SLUG).await.unwrap();
    let from_csv: Vec<QuestionDraft> =
        parse_questions(csv.as_bytes(), FileKind::Csv).unwrap().into_iter().map(|(_, d)| d).collect();
    assert_eq!(drafts.into_iter().map(|(_, d)| d).collect::<Vec<_>>(), from_csv);

    // Read with calamine: one sheet, the Vietnamese header, then the questions.
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Câu hỏi"]);
    let range = book.worksheet_range("Câu hỏi").unwrap();
    let header: Vec<String> = range.rows().next().unwrap().iter().map(Data::to_string).collect();
    assert_eq!(
        header,
        ["Chủ đề", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Phương án D", "Đáp án", "Giải thích"]
    );
    assert_eq!(range.height(), 12);
    assert_eq!(range.get_value((1, 1)), Some(&Data::String(stored[0].stem.clone())));

    // The layout: a frozen, bold header, wrapped stems, and set widths.
    let part = |name: &str| {
        let mut s = String::new();
        zip::ZipArchive::new(Cursor::new(&xlsx)).unwrap().by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    };
    let sheet = part("xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#), "{sheet}");
    assert!(sheet.contains(r#"<col min="2" max="2" width="60.7109375" customWidth="1"/>"#), "{sheet}");
    let styles = part("xl/styles.xml");
    assert!(styles.contains("<b/>") && styles.contains(r#"wrapText="1""#), "{styles}");

    // Imported into a new contest, the export gives the same bank.
    let copy = contest_toml().replace(SLUG, "ban-sao");
    e.import_contest(&copy, Some(("ngan-hang.xlsx", &xlsx))).await.unwrap();
    assert_eq!(bank(&e, "ban-sao").await, stored);
}

/// LibreOffice's CSV export in UTF-8 (comma, double quotes, character set 76).
const CSV_UTF8: &str = "csv:Text - txt - csv (StarCalc):44,34,76";

/// The sample files open in LibreOffice (where it is installed: Debian's libreoffice-writer and
/// libreoffice-calc), with the text of their first question intact; Word's own check is by hand.
#[test]
fn the_sample_files_open_in_libreoffice() {
    for (name, format, want) in [
        ("cau-dap-an.docx", "txt:Text", "Câu 1"),
        ("in-dam.docx", "txt:Text", "Câu"),
        ("danh-sach-so.docx", "txt:Text", "?"),
        ("bang.docx", "txt:Text", "?"),
        ("loi.docx", "txt:Text", "Câu"),
        ("ngan-hang-mau.xlsx", CSV_UTF8, "Câu hỏi"),
        ("ngan-hang-co-loi.xlsx", CSV_UTF8, "Câu hỏi"),
    ] {
        let Some(converted) = cuocthi_testkit::libreoffice_convert(name, &sample(name), format) else {
            eprintln!("LibreOffice is not installed here; {name} was read by the importer only");
            return;
        };
        let text = converted.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(want), "{name} as {format}: {text}");
        assert!(text.contains('ệ') || text.contains('ố') || text.contains('ư'), "{name}: Vietnamese intact: {text}");
    }
}
