//! Writes the sample Excel question banks of `examples/questions/` in the layout of docs/IMPORT.md
//! (a title above the header; columns STT, Chủ đề, Câu hỏi, A, B, C, D, Đáp án, Giải thích), as an
//! organiser would type them, with rust_xlsxwriter:
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

/// One question: topic, stem, options A–D ("" for a 3-option question), key letter ("" for none),
/// explanation ("" for none).
type Row = (&'static str, &'static str, [&'static str; 4], &'static str, &'static str);

const LICH_SU: &str = "Lịch sử Việt Nam";
const DIA_LY: &str = "Địa lý Việt Nam";
const PHAP_LUAT: &str = "Hiến pháp và pháp luật";

const MAU: &[Row] = &[
    (
        LICH_SU,
        "Chủ tịch Hồ Chí Minh đọc bản Tuyên ngôn Độc lập, khai sinh nước Việt Nam Dân chủ Cộng hoà, vào ngày nào?",
        ["19/8/1945", "2/9/1945", "30/4/1975", "7/5/1954"],
        "B",
        "Ngày 2/9/1945, tại Quảng trường Ba Đình (Hà Nội), Chủ tịch Hồ Chí Minh đọc bản Tuyên ngôn Độc lập.",
    ),
    (
        LICH_SU,
        "Chiến dịch Điện Biên Phủ kết thúc thắng lợi vào ngày nào?",
        ["7/5/1954", "21/7/1954", "19/12/1946", "13/3/1954"],
        "A",
        "Chiến dịch mở màn ngày 13/3/1954 và toàn thắng ngày 7/5/1954.",
    ),
    (
        LICH_SU,
        "Đảng Cộng sản Việt Nam được thành lập vào năm nào?",
        ["1925", "1930", "1941", "1945"],
        "B",
        "Hội nghị hợp nhất các tổ chức cộng sản họp từ ngày 6/1 đến 7/2/1930; ngày 3/2 được lấy làm ngày thành lập Đảng.",
    ),
    (
        LICH_SU,
        "Ngô Quyền đánh tan quân Nam Hán trên sông Bạch Đằng vào năm nào?",
        ["938", "981", "1077", "1288"],
        "A",
        "",
    ),
    (
        LICH_SU,
        "Vị vua nào ban Chiếu dời đô từ Hoa Lư ra thành Đại La (sau đổi tên là Thăng Long) năm 1010?",
        ["Đinh Tiên Hoàng", "Lê Đại Hành", "Lý Thái Tổ", "Trần Thái Tông"],
        "C",
        "",
    ),
    (
        LICH_SU,
        "Bài thơ “Nam quốc sơn hà” gắn với cuộc kháng chiến chống quân xâm lược nào?",
        ["Quân Tống thời Lý", "Quân Nguyên – Mông thời Trần", "Quân Minh", "Quân Thanh"],
        "A",
        "Bài thơ gắn với trận chiến trên phòng tuyến sông Như Nguyệt năm 1077 do Lý Thường Kiệt chỉ huy.",
    ),
    (
        LICH_SU,
        "Chiến dịch Hồ Chí Minh, giải phóng hoàn toàn miền Nam, thống nhất đất nước, toàn thắng vào ngày nào?",
        ["30/4/1975", "26/3/1975", "2/9/1975", "29/3/1975"],
        "A",
        "",
    ),
    (
        LICH_SU,
        "Ai là tác giả của “Bình Ngô đại cáo”?",
        ["Lê Lợi", "Nguyễn Trãi", "Trần Hưng Đạo", "Lý Thường Kiệt"],
        "B",
        "Nguyễn Trãi viết “Bình Ngô đại cáo” thay lời Lê Lợi sau khi cuộc khởi nghĩa Lam Sơn thắng lợi (1428).",
    ),
    (
        LICH_SU,
        "Mặt trận Việt Nam Độc lập Đồng minh (Việt Minh) được thành lập năm nào?",
        ["1936", "1939", "1941", "1945"],
        "C",
        "Hội nghị lần thứ 8 Ban Chấp hành Trung ương Đảng (tháng 5/1941, tại Pác Bó) quyết định thành lập Mặt trận Việt Minh.",
    ),
    (
        DIA_LY,
        "Đỉnh núi nào cao nhất Việt Nam?",
        ["Pu Si Lung", "Phan Xi Păng", "Tây Côn Lĩnh", "Ngọc Linh"],
        "B",
        "Đỉnh Phan Xi Păng (3.143 m) thuộc dãy Hoàng Liên Sơn.",
    ),
    (
        DIA_LY,
        "Vịnh Hạ Long, di sản thiên nhiên thế giới, thuộc tỉnh nào?",
        ["Hải Phòng", "Quảng Ninh", "Thanh Hoá", "Nam Định"],
        "B",
        "",
    ),
    (DIA_LY, "Quần đảo Trường Sa thuộc tỉnh nào?", ["Khánh Hoà", "Bình Định", "Quảng Ngãi", "Phú Yên"], "A", ""),
    (
        DIA_LY,
        "Đồng bằng sông Cửu Long được bồi đắp chủ yếu bởi phù sa của hệ thống sông nào?",
        ["Sông Hồng", "Sông Đồng Nai", "Sông Mê Công", "Sông Mã"],
        "C",
        "",
    ),
    (
        DIA_LY,
        "Điểm cực Nam trên đất liền của Việt Nam là nơi nào?",
        ["Mũi Né", "Mũi Đại Lãnh", "Mũi Kê Gà", "Mũi Cà Mau"],
        "D",
        "",
    ),
    (
        DIA_LY,
        "Đường bờ biển của Việt Nam dài khoảng bao nhiêu ki-lô-mét?",
        ["1.650 km", "2.360 km", "3.260 km", "4.550 km"],
        "C",
        "Bờ biển dài khoảng 3.260 km, từ Móng Cái (Quảng Ninh) đến Hà Tiên.",
    ),
    (DIA_LY, "Dãy núi nào dài nhất Việt Nam?", ["Hoàng Liên Sơn", "Trường Sơn", "Bạch Mã", "Con Voi"], "B", ""),
    (
        DIA_LY,
        "Sông Hồng đổ ra biển ở vịnh nào?",
        ["Vịnh Bắc Bộ", "Vịnh Thái Lan", "Vịnh Cam Ranh", "Vịnh Vân Phong"],
        "A",
        "",
    ),
    (
        PHAP_LUAT,
        "Hiến pháp hiện hành của nước Cộng hoà xã hội chủ nghĩa Việt Nam được Quốc hội thông qua năm nào?",
        ["1980", "1992", "2013", "2015"],
        "C",
        "Hiến pháp được Quốc hội khoá XIII thông qua ngày 28/11/2013.",
    ),
    (
        PHAP_LUAT,
        "Theo Hiến pháp năm 2013, cơ quan đại biểu cao nhất của Nhân dân, cơ quan quyền lực nhà nước cao nhất là cơ quan nào?",
        ["Chính phủ", "Quốc hội", "Toà án nhân dân tối cao", "Chủ tịch nước"],
        "B",
        "Điều 69 Hiến pháp năm 2013.",
    ),
    (
        PHAP_LUAT,
        "Theo Bộ luật Dân sự năm 2015, người thành niên là người từ đủ bao nhiêu tuổi trở lên?",
        ["16 tuổi", "18 tuổi", "20 tuổi", "21 tuổi"],
        "B",
        "",
    ),
    (
        PHAP_LUAT,
        "Ngày Pháp luật nước Cộng hoà xã hội chủ nghĩa Việt Nam là ngày nào?",
        ["9/11", "2/9", "26/3", "20/11"],
        "A",
        "Ngày 9/11 hằng năm, theo Luật Phổ biến, giáo dục pháp luật năm 2012.",
    ),
    (
        PHAP_LUAT,
        "Theo Luật Hôn nhân và gia đình năm 2014, nam được kết hôn khi từ đủ bao nhiêu tuổi trở lên?",
        ["18 tuổi", "19 tuổi", "20 tuổi", ""],
        "C",
        "Nam từ đủ 20 tuổi, nữ từ đủ 18 tuổi trở lên.",
    ),
    (
        PHAP_LUAT,
        "Theo Bộ luật Lao động năm 2019, độ tuổi lao động tối thiểu của người lao động (trừ trường hợp luật có quy định khác) là bao nhiêu?",
        ["Đủ 13 tuổi", "Đủ 15 tuổi", "Đủ 16 tuổi", "Đủ 18 tuổi"],
        "B",
        "",
    ),
    (
        PHAP_LUAT,
        "Theo Hiến pháp năm 2013, công dân từ đủ bao nhiêu tuổi trở lên có quyền bầu cử?",
        ["16 tuổi", "18 tuổi", "20 tuổi", "21 tuổi"],
        "B",
        "Công dân đủ 18 tuổi có quyền bầu cử, đủ 21 tuổi có quyền ứng cử vào Quốc hội, Hội đồng nhân dân (Điều 27).",
    ),
    (
        PHAP_LUAT,
        "Theo Luật Căn cước năm 2023, công dân Việt Nam từ đủ bao nhiêu tuổi trở lên phải làm thủ tục cấp thẻ căn cước?",
        ["6 tuổi", "14 tuổi", "16 tuổi", "18 tuổi"],
        "B",
        "Người dưới 14 tuổi được cấp thẻ căn cước theo nhu cầu.",
    ),
];

const KY_NANG_SO: &str = "Kỹ năng số";
const AN_TOAN: &str = "An toàn cộng đồng";

/// The fifth question (row 8 once the title, the note and the header are counted) has no key.
const CO_LOI: &[Row] = &[
    (
        AN_TOAN,
        "Số điện thoại khẩn cấp để báo cháy và gọi lực lượng cứu nạn, cứu hộ là số nào?",
        ["113", "114", "115", "116"],
        "B",
        "113: công an; 114: phòng cháy, chữa cháy và cứu nạn, cứu hộ; 115: cấp cứu y tế.",
    ),
    (AN_TOAN, "Số điện thoại gọi cấp cứu y tế là số nào?", ["113", "114", "115", "1022"], "C", ""),
    (
        KY_NANG_SO,
        "Khi nhận được tin nhắn hoặc cuộc gọi lạ đề nghị đọc mã OTP ngân hàng, bạn nên làm gì?",
        [
            "Đọc mã OTP để được hỗ trợ nhanh",
            "Không cung cấp mã OTP cho bất kỳ ai và báo cho ngân hàng",
            "Gửi mã OTP qua tin nhắn thay vì đọc",
            "Chỉ cung cấp nếu người gọi xưng là công an",
        ],
        "B",
        "",
    ),
    (
        KY_NANG_SO,
        "Mật khẩu nào dưới đây khó đoán nhất?",
        ["123456", "matkhau", "ngaysinh1990", "T!m-2cuoc#Thi7"],
        "D",
        "Mật khẩu mạnh dài, có chữ hoa, chữ thường, chữ số và ký tự đặc biệt.",
    ),
    (
        KY_NANG_SO,
        "Ngày Chuyển đổi số quốc gia là ngày nào trong năm?",
        ["10/10", "9/11", "1/6", "26/3"],
        "",
        "Quyết định số 505/QĐ-TTg ngày 22/4/2022 của Thủ tướng Chính phủ.",
    ),
    (
        AN_TOAN,
        "Khi phát hiện đám cháy trong nhà, việc đầu tiên nên làm là gì?",
        [
            "Hô hoán báo cho mọi người và gọi 114",
            "Mở hết cửa sổ cho thoáng",
            "Đi thang máy xuống tầng trệt",
            "Quay lại lấy tài sản quý",
        ],
        "A",
        "",
    ),
    (KY_NANG_SO, "Tên miền quốc gia của Việt Nam là gì?", [".vi", ".vn", ".viet", ".vnm"], "B", ""),
    (
        KY_NANG_SO,
        "Khi bật xác thực hai lớp, ngoài mật khẩu, người dùng cần thêm gì để đăng nhập?",
        ["Họ và tên đầy đủ", "Ngày sinh", "Mã dùng một lần từ ứng dụng xác thực hoặc tin nhắn", "Địa chỉ thư điện tử"],
        "C",
        "",
    ),
];

const HEADER: [&str; 9] = ["STT", "Chủ đề", "Câu hỏi", "A", "B", "C", "D", "Đáp án", "Giải thích"];
const WIDTHS: [f64; 9] = [5.0, 20.0, 60.0, 24.0, 24.0, 24.0, 24.0, 8.0, 45.0];

fn workbook(path: &Path, title: &str, rows: &[Row]) -> Result<(), XlsxError> {
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

    let last = (HEADER.len() - 1) as u16;
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
    for (c, (name, width)) in HEADER.iter().zip(WIDTHS).enumerate() {
        sheet.set_column_width(c as u16, width)?;
        sheet.write_string_with_format(2, c as u16, *name, &header)?;
    }
    for (i, (topic, stem, options, key, explanation)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_number_with_format(r, 0, (i + 1) as f64, &centred)?;
        sheet.write_string_with_format(r, 1, *topic, &wrapped)?;
        sheet.write_string_with_format(r, 2, *stem, &wrapped)?;
        for (o, option) in options.iter().enumerate() {
            sheet.write_string_with_format(r, 3 + o as u16, *option, &wrapped)?;
        }
        sheet.write_string_with_format(r, 7, *key, &centred)?;
        sheet.write_string_with_format(r, 8, *explanation, &wrapped)?;
    }
    sheet.set_freeze_panes(3, 0)?;
    book.save(path)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/questions");
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    for (name, title, rows) in [
        ("ngan-hang-mau.xlsx", "NGÂN HÀNG CÂU HỎI CUỘC THI TÌM HIỂU LỊCH SỬ, ĐỊA LÝ VÀ PHÁP LUẬT VIỆT NAM", MAU),
        ("ngan-hang-co-loi.xlsx", "NGÂN HÀNG CÂU HỎI KỸ NĂNG SỐ VÀ AN TOÀN CỘNG ĐỒNG (BẢN NHÁP)", CO_LOI),
    ] {
        let path = dir.join(name);
        workbook(&path, title, rows)?;
        println!("{} ({} câu)", path.display(), rows.len());
    }
    Ok(())
}
