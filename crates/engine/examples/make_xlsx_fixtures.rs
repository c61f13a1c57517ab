//! Writes the sample Excel question banks of `examples/questions/` in the layout of docs/IMPORT.md
//! (a title above the header; columns STT, Chủ đề, Câu hỏi, A, B, C, D, Đáp án, Giải thích), as an
//! organiser would type them, with rust_xlsxwriter, from the questions in `xlsx_fixtures/*.csv`:
//!
//! - `ngan-hang-mau.xlsx`: 25 questions on three topics, all valid;
//! - `ngan-hang-co-loi.xlsx`: 8 questions of which one (row 8, "Ngày Chuyển đổi số quốc gia…")
//!   has an empty "Đáp án" cell, so the import report says "Dòng 8: Chưa chỉ ra đáp án đúng.".
//!
//! The files are committed; run this again only to change them:
//!
//! ```sh
//! cargo run -p cuocthi-engine --example make_xlsx_fixtures
//! ```
//!
//! `tests/browser/console.test.mjs` imports both through the console's import page.

use std::path::Path;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

const HEADER: [&str; 9] = ["STT", "Chủ đề", "Câu hỏi", "A", "B", "C", "D", "Đáp án", "Giải thích"];
const WIDTHS: [f64; 9] = [5.0, 20.0, 60.0, 24.0, 24.0, 24.0, 24.0, 8.0, 45.0];

/// The questions of a CSV with the columns of [`HEADER`] but the first: topic, stem, options A–D
/// (D empty for a 3-option question), key letter (empty for none), explanation (possibly empty).
fn questions(csv_text: &str) -> Result<Vec<csv::StringRecord>, csv::Error> {
    csv::Reader::from_reader(csv_text.as_bytes()).records().collect()
}

fn workbook(path: &Path, title: &str, rows: &[csv::StringRecord]) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Ngân hàng câu hỏi")?;
    let title_format = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center);
    let note_format = Format::new().set_italic().set_align(FormatAlign::Center);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin);
    let wrapped = Format::new().set_text_wrap().set_align(FormatAlign::Top).set_border(FormatBorder::Thin);
    let centred =
        Format::new().set_align(FormatAlign::Top).set_align(FormatAlign::Center).set_border(FormatBorder::Thin);

    let last = u16::try_from(HEADER.len() - 1).expect("nine columns");
    sheet.merge_range(0, 0, 0, last, title, &title_format)?;
    sheet.set_row_height(0, 24)?;
    sheet.merge_range(
        1,
        0,
        1,
        last,
        "(Mỗi câu có một đáp án đúng; cột “Đáp án” ghi chữ cái A, B, C hoặc D. Câu chỉ có 3 phương án thì để trống cột D.)",
        &note_format,
    )?;
    for ((name, width), c) in HEADER.iter().zip(WIDTHS).zip(0u16..) {
        sheet.set_column_width(c, width)?;
        sheet.write_string_with_format(2, c, *name, &header)?;
    }
    for (row, number) in rows.iter().zip(1u32..) {
        let r = number + 2; // under the title, the note and the header
        sheet.write_number_with_format(r, 0, number, &centred)?;
        for (value, c) in row.iter().zip(1u16..) {
            // The key letter is centred; the text columns wrap.
            let format = if c == 7 { &centred } else { &wrapped };
            sheet.write_string_with_format(r, c, value, format)?;
        }
    }
    sheet.set_freeze_panes(3, 0)?;
    book.save(path)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/questions");
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    for (name, title, csv_text) in [
        (
            "ngan-hang-mau.xlsx",
            "NGÂN HÀNG CÂU HỎI CUỘC THI TÌM HIỂU LỊCH SỬ, ĐỊA LÝ VÀ PHÁP LUẬT VIỆT NAM",
            include_str!("xlsx_fixtures/ngan-hang-mau.csv"),
        ),
        (
            "ngan-hang-co-loi.xlsx",
            "NGÂN HÀNG CÂU HỎI KỸ NĂNG SỐ VÀ AN TOÀN CỘNG ĐỒNG (BẢN NHÁP)",
            include_str!("xlsx_fixtures/ngan-hang-co-loi.csv"),
        ),
    ] {
        let path = dir.join(name);
        let rows = questions(csv_text)?;
        workbook(&path, title, &rows)?;
        println!("{} ({} câu)", path.display(), rows.len());
    }
    Ok(())
}
