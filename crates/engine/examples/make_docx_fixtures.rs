//! Writes the sample Word question banks of `examples/questions/` — one per shape that the .docx
//! importer reads (docs/IMPORT.md, "Word (.docx)") and one with deliberate mistakes — with docx-rs,
//! which writes OOXML that Word and LibreOffice open. The files are committed; run this again only
//! to change them:
//!
//! ```sh
//! cargo run -p cuocthi-engine --example make_docx_fixtures
//! ```
//!
//! `crates/engine/tests/import_docx.rs` checks what the importer reads from each file.

use std::fs::File;
use std::path::{Path, PathBuf};

use docx_rs::{
    AbstractNumbering, AlignmentType, Docx, IndentLevel, Level, LevelJc, LevelText, NumberFormat, Numbering,
    NumberingId, Paragraph, Run, Shading, SpecialIndentType, Start, Style, StyleType, Table, TableCell, TableRow,
};

/// The list of shape c: "Câu 1." at level 0, "A." at level 1 (docx-rs reserves numbering 1).
const LIST: usize = 2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/questions");
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    for (name, doc) in [
        ("cau-dap-an.docx", cau_dap_an()),
        ("in-dam.docx", in_dam()),
        ("danh-sach-so.docx", danh_sach_so()),
        ("bang.docx", bang()),
        ("loi.docx", loi()),
    ] {
        let path: PathBuf = dir.join(name);
        doc.pack(File::create(&path)?)?;
        println!("{}", path.display());
    }
    Ok(())
}

// --- Building blocks -----------------------------------------------------------------------

fn text(t: &str) -> Run {
    Run::new().add_text(t)
}

fn bold(t: &str) -> Run {
    Run::new().add_text(t).bold()
}

fn para(t: &str) -> Paragraph {
    Paragraph::new().add_run(text(t))
}

fn runs(runs: Vec<Run>) -> Paragraph {
    runs.into_iter().fold(Paragraph::new(), Paragraph::add_run)
}

/// "Câu N:" in bold, then the stem, as most banks are typed.
fn question(label: &str, stem: &str) -> Paragraph {
    runs(vec![bold(label), text(" "), text(stem)])
}

/// A document with the styles the samples use: a title and "Heading 1".
fn document() -> Docx {
    Docx::new()
        .add_style(Style::new("Heading1", StyleType::Paragraph).name("heading 1").bold().size(28))
        .add_style(Style::new("Title", StyleType::Paragraph).name("Title").bold().size(32))
}

fn title(t: &str) -> Paragraph {
    Paragraph::new().style("Title").align(AlignmentType::Center).add_run(bold(t))
}

fn heading(t: &str) -> Paragraph {
    Paragraph::new().style("Heading1").outline_lvl(0).add_run(text(t))
}

fn add_all(doc: Docx, paragraphs: Vec<Paragraph>) -> Docx {
    paragraphs.into_iter().fold(doc, Docx::add_paragraph)
}

fn cell(paragraphs: Vec<Paragraph>) -> TableCell {
    paragraphs.into_iter().fold(TableCell::new(), TableCell::add_paragraph)
}

fn cells(texts: &[&str]) -> TableRow {
    TableRow::new(texts.iter().map(|t| cell(vec![para(t)])).collect())
}

// --- Shape a: "Câu N:" paragraphs, options "A." and a "Đáp án" line ---------------------------

fn cau_dap_an() -> Docx {
    let doc = document().add_paragraph(title("NGÂN HÀNG CÂU HỎI CUỘC THI TÌM HIỂU PHÁP LUẬT NĂM 2025"));
    add_all(
        doc,
        vec![
            para("(Tài liệu dùng để nhập vào hệ thống thi trực tuyến; mỗi câu hỏi có một đáp án đúng.)"),
            para("Chủ đề: An toàn giao thông"),
            question(
                "Câu 1:",
                "Theo Luật Trật tự, an toàn giao thông đường bộ năm 2024, khi điều khiển xe mô tô, xe gắn máy, người lái xe phải làm gì?",
            ),
            para("A. Đội mũ bảo hiểm và cài quai đúng quy cách."),
            para("B. Chỉ đội mũ bảo hiểm khi đi trên quốc lộ."),
            para("C. Chỉ đội mũ bảo hiểm khi trời mưa."),
            para("D. Không bắt buộc đội mũ bảo hiểm."),
            para("Đáp án: A"),
            question("Câu 2.", "Khi gặp đèn tín hiệu giao thông màu vàng, người tham gia giao thông phải làm gì?"),
            para("A) Tăng tốc độ để vượt qua nút giao."),
            para("B) Dừng lại trước vạch dừng; nếu đang ở trên hoặc đã đi qua vạch dừng thì được đi tiếp."),
            para("C) Bấm còi liên tục và đi tiếp."),
            para("D) Được rẽ phải trong mọi trường hợp."),
            para("Đáp án đúng: B"),
            para(
                "Giải thích: Tín hiệu vàng báo hiệu phải dừng lại trước vạch dừng, trừ trường hợp đang ở trên hoặc đã đi qua vạch dừng.",
            ),
            Paragraph::new().add_run(bold("Câu hỏi 3:")).add_run(
                text(" Theo quy định hiện hành, người điều khiển phương tiện tham gia giao thông đường bộ")
                    .add_break(docx_rs::BreakType::TextWrapping)
                    .add_text("có được phép có nồng độ cồn trong máu hoặc hơi thở không?"),
            ),
            para("a. Được, nếu nồng độ cồn dưới 50 miligam/100 mililít máu."),
            para("b. Được, nếu chỉ điều khiển xe đạp."),
            para("c. Không được có nồng độ cồn trong máu hoặc hơi thở."),
            para("d. Được, nếu đi vào ban đêm."),
            para("ĐA: C"),
            question("Câu 4 -", "Theo Luật Trật tự, an toàn giao thông đường bộ năm 2024,"),
            para(
                "trẻ em dưới bao nhiêu tuổi và chiều cao dưới bao nhiêu mét không được ngồi cùng hàng ghế với người lái xe ô tô (trừ xe chỉ có một hàng ghế)?",
            ),
            runs(vec![
                text("A. Dưới 10 tuổi và dưới 1,35 mét"),
                Run::new().add_tab(),
                text("B. Dưới 12 tuổi và dưới 1,5 mét"),
            ]),
            runs(vec![
                text("C. Dưới 6 tuổi và dưới 1,2 mét"),
                Run::new().add_tab(),
                text("D. Dưới 16 tuổi và dưới 1,6 mét"),
            ]),
            para("Đáp án: A. Dưới 10 tuổi và dưới 1,35 mét"),
            heading("PHẦN II: Luật An ninh mạng"),
            question("Câu 5:", "Luật An ninh mạng năm 2018 có hiệu lực thi hành từ ngày nào?"),
            para("A/ 12/6/2018"),
            para("B/ 01/01/2019"),
            para("C/ 01/7/2019"),
            para("D/ 01/01/2020"),
            para("Đáp án: B"),
            question("Câu 6:", "Luật An ninh mạng năm 2018 gồm bao nhiêu chương, bao nhiêu điều?"),
            para("A. 7 chương, 43 điều."),
            para("B. 6 chương, 40 điều."),
            para("C. 8 chương, 45 điều."),
            para("Đáp án: A"),
            para("Giải thích: Luật An ninh mạng số 24/2018/QH14 gồm 7 chương, 43 điều."),
            question(
                "Câu 7:",
                "Theo Luật An ninh mạng năm 2018, cơ quan nào chịu trách nhiệm trước Chính phủ thực hiện quản lý nhà nước về an ninh mạng (trừ nội dung thuộc trách nhiệm của Bộ Quốc phòng)?",
            ),
            para("A. Bộ Thông tin và Truyền thông"),
            para("B. Bộ Công an"),
            para("C. Bộ Tư pháp"),
            para("D. Văn phòng Chính phủ"),
            para("Đáp án: B"),
        ],
    )
}

// --- Shape b: the correct option marked by formatting -----------------------------------------

/// A question whose options are typed "A. …", with `marks[i]` applied to option i's text.
fn marked_question(label: &str, stem: &str, options: [&str; 4], mark: impl Fn(usize, Run) -> Run) -> Vec<Paragraph> {
    let mut out = vec![question(label, stem)];
    for (i, o) in options.iter().enumerate() {
        let letter = ["A", "B", "C", "D"][i];
        out.push(runs(vec![text(&format!("{letter}. ")), mark(i, text(o))]));
    }
    out
}

fn in_dam() -> Docx {
    let mut ps = vec![
        para("Ghi chú: phương án đúng được in đậm, gạch chân, tô màu hoặc đánh dấu *."),
        para("Chủ đề: Lịch sử Đoàn TNCS Hồ Chí Minh"),
    ];
    ps.extend(marked_question(
        "Câu 1:",
        "Đoàn Thanh niên Cộng sản Hồ Chí Minh được thành lập vào ngày, tháng, năm nào?",
        ["26/3/1930", "26/3/1931", "3/2/1930", "19/5/1941"],
        |i, r| if i == 1 { r.bold() } else { r },
    ));
    ps.extend(marked_question(
        "Câu 2:",
        "Giải thưởng dành cho cán bộ Đoàn tiêu biểu do Trung ương Đoàn trao tặng mang tên người anh hùng nào?",
        ["Võ Thị Sáu", "Nguyễn Văn Trỗi", "Lý Tự Trọng", "Kim Đồng"],
        |i, r| if i == 2 { r.underline("single") } else { r },
    ));
    ps.extend(marked_question(
        "Câu 3:",
        "Năm 1925, tại Quảng Châu (Trung Quốc), lãnh tụ Nguyễn Ái Quốc thành lập tổ chức nào?",
        [
            "Hội Việt Nam Cách mạng Thanh niên",
            "Việt Nam Quốc dân Đảng",
            "Tân Việt Cách mạng Đảng",
            "Đông Dương Cộng sản Đảng",
        ],
        |i, r| if i == 0 { r.highlight("yellow") } else { r },
    ));
    ps.extend(marked_question(
        "Câu 4:",
        "Đại hội đại biểu toàn quốc Đoàn TNCS Hồ Chí Minh lần thứ XII được tổ chức vào năm nào?",
        ["2017", "2020", "2022", "2023"],
        |i, r| if i == 2 { r.shading(Shading::new().fill("C6EFCE")) } else { r },
    ));
    // Only the letter is bold.
    ps.push(question("Câu 5:", "Bài hát chính thức của Đoàn TNCS Hồ Chí Minh (Đoàn ca) là bài nào?"));
    for (i, o) in
        ["Tiến quân ca", "Thanh niên làm theo lời Bác", "Lên đàng", "Tuổi trẻ thế hệ Bác Hồ"].iter().enumerate()
    {
        let letter = format!("{}.", ["A", "B", "C", "D"][i]);
        let letter = if i == 1 { bold(&letter) } else { text(&letter) };
        ps.push(runs(vec![letter, text(" "), text(o)]));
    }
    ps.extend([
        para("Chủ đề: Kiến thức chung"),
        question("Câu 6:", "Thủ đô của nước Cộng hòa xã hội chủ nghĩa Việt Nam là thành phố nào?"),
        para("A. Thành phố Hồ Chí Minh"),
        para("B. Huế"),
        para("C. Hà Nội *"),
        para("D. Đà Nẵng"),
        question("Câu 7:", "Ngày Chuyển đổi số quốc gia là ngày nào?"),
        para("A. 1/1"),
        para("*B. 10/10"),
        para("C. 2/9"),
        para("D. 19/8"),
    ]);
    // The whole question is bold, as some banks are: only the underline marks the key.
    ps.push(runs(vec![bold("Câu 8: Số điện thoại khẩn cấp của lực lượng Công an là số nào?")]));
    for (i, o) in ["A. 113", "B. 114", "C. 115", "D. 111"].iter().enumerate() {
        let r = bold(o);
        ps.push(runs(vec![if i == 0 { r.underline("single") } else { r }]));
    }
    add_all(document().add_paragraph(title("CÂU HỎI TRẮC NGHIỆM — ĐÁP ÁN ĐƯỢC ĐÁNH DẤU")), ps)
}

// --- Shape c: Word's numbered lists --------------------------------------------------------

fn numbered(level: usize, t: &str) -> Paragraph {
    para(t).numbering(NumberingId::new(LIST), IndentLevel::new(level))
}

fn numbered_bold(level: usize, t: &str) -> Paragraph {
    Paragraph::new().add_run(bold(t)).numbering(NumberingId::new(LIST), IndentLevel::new(level))
}

fn danh_sach_so() -> Docx {
    let level = |l: usize, format: &str, label: &str, indent: i32| {
        Level::new(l, Start::new(1), NumberFormat::new(format), LevelText::new(label), LevelJc::new("left")).indent(
            Some(indent),
            Some(SpecialIndentType::Hanging(720)),
            None,
            None,
        )
    };
    let doc = document()
        .add_abstract_numbering(
            AbstractNumbering::new(LIST).add_level(level(0, "decimal", "Câu %1.", 720)).add_level(level(
                1,
                "upperLetter",
                "%2.",
                1440,
            )),
        )
        .add_numbering(Numbering::new(LIST, LIST))
        .add_paragraph(title("CÂU HỎI ÔN TẬP (DANH SÁCH ĐÁNH SỐ TỰ ĐỘNG)"));
    add_all(
        doc,
        vec![
            heading("An ninh mạng và chuyển đổi số"),
            numbered(0, "Luật An ninh mạng năm 2018 được Quốc hội thông qua vào ngày nào?"),
            numbered(1, "12/6/2018"),
            numbered(1, "01/01/2019"),
            numbered(1, "20/11/2018"),
            numbered(1, "02/9/2018"),
            para("Đáp án: A"),
            numbered(0, "Số điện thoại khẩn cấp để gọi cấp cứu y tế là số nào?"),
            numbered(1, "113"),
            numbered(1, "114"),
            numbered_bold(1, "115"),
            numbered(0, "Ứng dụng định danh điện tử quốc gia do Bộ Công an xây dựng có tên là gì?"),
            numbered(1, "VNeID"),
            numbered(1, "VssID"),
            numbered(1, "Zalo"),
            numbered(1, "eTax"),
            para("Đáp án: A"),
            numbered(0, "Hành vi nào sau đây bị nghiêm cấm theo Luật An ninh mạng năm 2018?"),
            numbered(1, "Sử dụng mạng xã hội để học tập."),
            numbered(1, "Đăng tải, phát tán thông tin sai sự thật gây hoang mang trong Nhân dân."),
            numbered(1, "Mua sắm trực tuyến trên sàn thương mại điện tử hợp pháp."),
            numbered(1, "Đọc báo điện tử."),
            para("Đáp án: B"),
            para(
                "Giải thích: Đăng tải, phát tán thông tin sai sự thật gây hoang mang trong Nhân dân là hành vi bị nghiêm cấm.",
            ),
            heading("Lịch sử Đoàn"),
            numbered(0, "Đoàn Thanh niên Cộng sản Hồ Chí Minh được thành lập năm nào?"),
            numbered(1, "1930"),
            numbered(1, "1931"),
            numbered(1, "1941"),
            numbered(1, "1945"),
            para("Đáp án: B"),
        ],
    )
}

// --- Shape d: tables -----------------------------------------------------------------------

fn bang() -> Docx {
    let columns = Table::new(vec![
        cells(&[
            "STT",
            "Chủ đề",
            "Câu hỏi",
            "Phương án A",
            "Phương án B",
            "Phương án C",
            "Phương án D",
            "Đáp án",
            "Giải thích",
        ]),
        cells(&[
            "1",
            "An toàn giao thông",
            "Ở nơi có vạch kẻ đường dành cho người đi bộ, người đi bộ qua đường phải đi ở đâu?",
            "Đi trong phạm vi vạch kẻ đường dành cho người đi bộ",
            "Đi chéo qua giữa nút giao",
            "Đi ở bất kỳ vị trí nào",
            "Leo qua dải phân cách",
            "A",
            "",
        ]),
        cells(&[
            "2",
            "An toàn giao thông",
            "Theo quy định, người điều khiển xe mô tô hai bánh trong trường hợp thông thường chỉ được chở tối đa bao nhiêu người ngồi sau?",
            "Một người",
            "Hai người",
            "Ba người",
            "Không giới hạn",
            "A",
            "",
        ]),
        cells(&[
            "3",
            "Chuyển đổi số",
            "Ngày Chuyển đổi số quốc gia là ngày nào?",
            "10/10",
            "1/1",
            "2/9",
            "",
            "A",
            "Theo Quyết định số 505/QĐ-TTg ngày 22/4/2022 của Thủ tướng Chính phủ.",
        ]),
        cells(&[
            "4",
            "Chuyển đổi số",
            "Mã OTP do ngân hàng gửi qua tin nhắn nên được xử lý thế nào?",
            "Gửi cho người tự xưng là nhân viên ngân hàng khi được yêu cầu",
            "Đăng lên mạng xã hội để lưu lại",
            "Tuyệt đối không cung cấp cho bất kỳ ai",
            "Cung cấp cho người lạ nếu họ hứa tặng quà",
            "C",
            "",
        ]),
    ]);
    let question_cell = |stem: &str, options: &[&str]| {
        let mut ps = vec![para(stem)];
        ps.extend(options.iter().map(|o| para(o)));
        cell(ps)
    };
    // A row: the number, the stem and its options in one cell (a paragraph each), the key.
    let question_row = |n: &str, stem: &str, options: &[&str], key: &str| {
        TableRow::new(vec![cell(vec![para(n)]), question_cell(stem, options), cell(vec![para(key)])])
    };
    let per_row = Table::new(vec![
        cells(&["STT", "Nội dung câu hỏi và phương án trả lời", "Đáp án"]),
        question_row(
            "1",
            "Đoàn TNCS Hồ Chí Minh được thành lập ngày, tháng, năm nào?",
            &["A. 26/3/1930", "B. 26/3/1931", "C. 19/5/1941", "D. 2/9/1945"],
            "B",
        ),
        question_row(
            "2",
            "Đại hội đại biểu toàn quốc Đoàn TNCS Hồ Chí Minh lần thứ XII diễn ra vào năm nào?",
            &["A. 2017", "B. 2022", "C. 2019", "D. 2024"],
            "B",
        ),
        question_row("3", "Tháng Thanh niên hằng năm là tháng mấy?", &["A. Tháng 3", "B. Tháng 5", "C. Tháng 9"], "A"),
    ]);
    let grid = Table::new(vec![cells(&["A. 30/4", "B. 2/9"]), cells(&["C. 1/5", "D. 19/8"])]);
    document()
        .add_paragraph(title("BỘ CÂU HỎI TRẮC NGHIỆM DẠNG BẢNG"))
        .add_paragraph(para("Chủ đề: Kiến thức pháp luật"))
        .add_table(columns)
        .add_paragraph(heading("PHẦN II: Lịch sử Đoàn"))
        .add_table(per_row)
        .add_paragraph(para("Chủ đề: Kiến thức chung"))
        .add_paragraph(question("Câu 8:", "Ngày Quốc khánh nước Cộng hòa xã hội chủ nghĩa Việt Nam là ngày nào?"))
        .add_table(grid)
        .add_paragraph(para("Đáp án: B"))
}

// --- Mistakes ------------------------------------------------------------------------------

fn loi() -> Docx {
    let doc = document().add_paragraph(title("NGÂN HÀNG CÂU HỎI (BẢN CÓ LỖI ĐỂ KIỂM TRA)"));
    add_all(
        doc,
        vec![
            para("Chủ đề: An toàn thông tin"),
            question("Câu 1:", "Mật khẩu nào sau đây an toàn nhất?"),
            para("A. 123456"),
            para("B. matkhau"),
            para("C. Hn@2024!xT9"),
            para("D. 01011990"),
            para("Đáp án: C"),
            // Five options.
            question("Câu 2:", "Khi nhận được đường link lạ qua tin nhắn, bạn nên làm gì?"),
            para("A. Bấm vào ngay để xem."),
            para("B. Không bấm vào, kiểm tra lại nguồn gửi."),
            para("C. Chuyển tiếp cho bạn bè."),
            para("D. Nhập mật khẩu để xem nội dung."),
            para("E. Cung cấp mã OTP khi được hỏi."),
            para("Đáp án: B"),
            // Two keys.
            question(
                "Câu 3:",
                "Cơ quan nào chịu trách nhiệm trước Chính phủ về quản lý nhà nước đối với an ninh mạng?",
            ),
            para("A. Bộ Công an"),
            para("B. Bộ Tư pháp"),
            para("C. Bộ Y tế"),
            para("Đáp án: A, C"),
            // No stem.
            question("Câu 4:", ""),
            para("A. 113"),
            para("B. 114"),
            para("C. 115"),
            para("Đáp án: A"),
            // No key at all.
            question("Câu 5:", "Số điện thoại khẩn cấp báo cháy là số nào?"),
            para("A. 113"),
            para("B. 114"),
            para("C. 115"),
            // Two bold options.
            question("Câu 6:", "Ứng dụng nào dùng để định danh điện tử quốc gia?"),
            runs(vec![text("A. "), bold("VNeID")]),
            runs(vec![text("B. "), bold("Zalo")]),
            para("C. Facebook"),
            para("D. TikTok"),
            // Options without a question.
            para("A. Đúng"),
            para("B. Sai"),
            para("C. Không xác định"),
            para("Đáp án: A"),
            question("Câu 8:", "Luật An ninh mạng năm 2018 có hiệu lực thi hành từ ngày nào?"),
            para("A. 01/01/2019"),
            para("B. 12/6/2018"),
            para("C. 01/7/2020"),
            para("Đáp án: A"),
        ],
    )
}
