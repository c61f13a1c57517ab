//! Renders certificates and reads them back with Debian's PDF tools: pdftotext, pdfinfo and
//! pdftoppm (poppler-utils), zbarimg (zbar-tools). They check what a reader of the PDF gets: the
//! Vietnamese text as copy/search/screen readers extract it, and the QR code as a phone scans it.
//! A missing tool fails the test with a hint to run `scripts/ensure-pdf-tools`; it never passes
//! silently. With `CERTIFICATE_KEEP_DIR=/some/dir` the layout variants and the longest-fields case
//! are also written there, to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use cuocthi_certificate::{Certificate, CertificateError, Renderer, limits, render, render_many};

/// Every precomposed lowercase Vietnamese letter with a diacritic (67; ×2 with the capitals).
const LOWER: &str = "àáảãạ ăằắẳẵặ âầấẩẫậ èéẻẽẹ êềếểễệ ìíỉĩị òóỏõọ ôồốổỗộ ơờớởỡợ ùúủũụ ưừứửữự ỳýỷỹỵ đ";

/// The line from the task: the letters most often lost by fonts without full Vietnamese support.
const ALPHABET_LINE: &str = "ẮẰẲẴẶắằẳẵặẤẦẨẪẬấầẩẫậĐđẾỀỂỄỆếềểễệỐỒỔỖỘốồổỗộỚỜỞỠỢớờởỡợỨỪỬỮỰứừửữựỲỴỶỸỳỵỷỹ";

fn sample(name: &str) -> Certificate {
    Certificate {
        serial: "TDX-2025-V1-000123".into(),
        heading: "UBND TỈNH HÀ GIANG\nBAN TỔ CHỨC CUỘC THI".into(),
        contest_title: "Cuộc thi trực tuyến “Tìm hiểu pháp luật về an ninh mạng” năm 2025".into(),
        recipient: name.into(),
        recipient_detail: vec!["Trường THPT Chuyên Hà Giang".into(), "Phường Hà Giang 1, tỉnh Tuyên Quang".into()],
        award: "Giải Khuyến khích".into(),
        round: Some("Tuần 2".into()),
        place_and_date: "Hà Giang, ngày 20 tháng 11 năm 2025".into(),
        signatory_title: "TM. BAN TỔ CHỨC\nTRƯỞNG BAN".into(),
        signatory_name: "Trần Văn Bình".into(),
        verify_url: "https://cuocthi.hagiang.gov.vn/xac-minh/TDX-2025-V1-000123?k=9fQ2x".into(),
    }
}

/// Runs a PDF tool; a missing tool fails with the way to install it.
fn run(tool: &str, args: &[&str]) -> String {
    let output = match Command::new(tool).args(args).output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` is not installed: run scripts/ensure-pdf-tools (installs poppler-utils and zbar-tools)")
        }
        Err(e) => panic!("cannot run `{tool}`: {e}"),
    };
    assert!(
        output.status.success(),
        "`{tool} {}` failed ({}): {}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("`{tool}` printed invalid UTF-8: {e}"))
}

fn write_pdf(dir: &Path, name: &str, pdf: &[u8]) -> PathBuf {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let path = dir.join(name);
    std::fs::write(&path, pdf).expect("write PDF");
    path
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// `pdftotext -layout` of one page (or all with `None`), runs of whitespace collapsed to one space:
/// a text that wraps over two lines still matches, while every character must be exact.
fn text(pdf: &Path, page: Option<usize>) -> String {
    let page = page.map(|p| p.to_string());
    let mut args = vec!["-layout", "-enc", "UTF-8"];
    if let Some(page) = &page {
        args.extend(["-f", page, "-l", page]);
    }
    args.extend([path_str(pdf), "-"]);
    collapse(&run("pdftotext", &args))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(&collapse(needle)), "{needle:?} not found in the extracted text:\n{haystack}");
}

fn pages(pdf: &Path) -> usize {
    let info = run("pdfinfo", &[path_str(pdf)]);
    let line = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("pdfinfo prints Pages:");
    line.trim().parse().expect("page count")
}

#[test]
fn text_round_trips_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = sample("Nguyễn Thị Thu Hằng");
    let pdf = write_pdf(dir.path(), "one.pdf", &render(&cert).expect("render"));

    assert_eq!(pages(&pdf), 1);
    // The document title names the recipient; no creation date (the bytes are reproducible).
    let info = run("pdfinfo", &[path_str(&pdf)]);
    assert!(info.lines().any(|l| l == "Title:           Giấy chứng nhận – Nguyễn Thị Thu Hằng"), "{info}");
    assert!(!info.contains("CreationDate:"), "{info}");
    let text = text(&pdf, None);
    for expected in [
        &cert.recipient,
        &cert.award,
        &cert.contest_title,
        &cert.place_and_date,
        &cert.serial,
        &cert.signatory_name,
        &cert.recipient_detail[0],
        &cert.recipient_detail[1],
        "GIẤY CHỨNG NHẬN",
        "Trao tặng",
        "Độc lập - Tự do - Hạnh phúc",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    ] {
        assert_contains(&text, expected);
    }
    // Sanity check on the extraction itself: the name is one precomposed (NFC) run, not letters
    // plus combining marks.
    assert!(!text.chars().any(|c| ('\u{300}'..='\u{36f}').contains(&c)), "combining marks in {text}");
}

#[test]
fn qr_code_scans_to_the_verification_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = sample("Nguyễn Thị Thu Hằng");
    let pdf = write_pdf(dir.path(), "qr.pdf", &render(&cert).expect("render"));

    let prefix = dir.path().join("page");
    run("pdftoppm", &["-r", "150", "-png", "-singlefile", path_str(&pdf), path_str(&prefix)]);
    let png = dir.path().join("page.png");
    let decoded = run("zbarimg", &["--raw", "-q", path_str(&png)]);
    assert_eq!(decoded.trim_end_matches('\n'), cert.verify_url);
}

#[test]
fn render_many_makes_one_page_per_certificate_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let names = ["Nguyễn Thị Thu Hằng", "Trần Đức Lương", "Hoàng Thị Ngọc Ánh"];
    let certs: Vec<Certificate> = names
        .iter()
        .enumerate()
        .map(|(i, name)| Certificate { serial: format!("TDX-2025-V1-00012{i}"), ..sample(name) })
        .collect();
    let pdf = write_pdf(dir.path(), "many.pdf", &render_many(&certs).expect("render_many"));

    assert_eq!(pages(&pdf), 3);
    for (i, cert) in certs.iter().enumerate() {
        let page = text(&pdf, Some(i + 1));
        assert_contains(&page, &cert.recipient);
        assert_contains(&page, &cert.serial);
    }
}

#[test]
fn markup_in_user_text_prints_literally() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = Certificate {
        recipient: "#panic(\"x\")".into(),
        recipient_detail: vec!["*bold* $x$ ]".into(), "#set page(paper: \"a5\") // = Heading".into()],
        award: "_Giải_ \\ #let x = 1 <label> @ref".into(),
        contest_title: "#{ \"inject\" } ``` raw ``` [#sys.inputs]".into(),
        ..sample("")
    };
    let pdf = write_pdf(dir.path(), "markup.pdf", &render(&cert).expect("render must not evaluate user text"));

    assert_eq!(pages(&pdf), 1);
    let text = text(&pdf, None);
    for expected in
        [&cert.recipient, &cert.recipient_detail[0], &cert.recipient_detail[1], &cert.award, &cert.contest_title]
    {
        assert_contains(&text, expected);
    }
}

#[test]
fn every_vietnamese_letter_round_trips_in_every_face() {
    let dir = tempfile::tempdir().expect("tempdir");
    let upper = LOWER.to_uppercase();
    assert_eq!(LOWER.chars().filter(|c| !c.is_whitespace()).count(), 67);
    // The task's line, in groups of ten so that it can wrap at the spaces.
    let chars: Vec<char> = ALPHABET_LINE.chars().collect();
    let line: Vec<String> = chars.chunks(10).map(|c| c.iter().collect()).collect();
    let line = line.join(" ");

    let cert = Certificate {
        recipient: line.clone(),                             // bold, large
        recipient_detail: vec![LOWER.into(), upper.clone()], // regular
        contest_title: format!("{LOWER} {upper}"),           // bold
        place_and_date: LOWER.into(),                        // italic
        signatory_title: upper.replacen("ÔỒ", "\nÔỒ", 1),    // bold, two lines
        ..sample("")
    };
    let pdf = write_pdf(dir.path(), "alphabet.pdf", &render(&cert).expect("render"));
    let text = text(&pdf, None);
    assert_contains(&text, &line);
    assert_contains(&text, LOWER);
    assert_contains(&text, &upper);
    assert_contains(&text, &format!("{LOWER} {upper}"));
}

#[test]
fn longest_accepted_fields_still_fit_one_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Realistic words (wide capitals and diacritics) cut to each field's longest accepted length.
    let text = |n: usize, caps: bool| {
        let base = "Nguyễn Thị Thu Hằng Trường Trung học phổ thông Chuyên Hà Giang ";
        let base = if caps { base.to_uppercase() } else { base.to_owned() };
        base.chars().cycle().take(n).collect::<String>().trim_end().to_owned()
    };
    let block = (0..limits::BLOCK_LINES).map(|_| text(limits::BLOCK_LINE, true)).collect::<Vec<_>>().join("\n");
    let cert = Certificate {
        serial: "S".repeat(limits::SERIAL),
        heading: block.clone(),
        contest_title: text(limits::CONTEST_TITLE, false),
        recipient: text(limits::RECIPIENT, false),
        recipient_detail: (0..limits::DETAIL_LINES).map(|_| text(limits::DETAIL_LINE, false)).collect(),
        award: text(limits::AWARD, true),
        round: Some(text(limits::ROUND, false)),
        place_and_date: text(limits::PLACE_AND_DATE, false),
        signatory_title: block,
        signatory_name: text(limits::SIGNATORY_NAME, true),
        // Mixed letters and digits, as real tokens are; the layout breaks an address after `/`,
        // `-`, `?`…, or anywhere in a run longer than its room.
        verify_url: format!("https://cuocthi.example.gov.vn/xac-minh/{}", "a1b2c3".repeat(100))
            .chars()
            .take(limits::VERIFY_URL)
            .collect(),
    };
    // The renderer refuses a page with anything outside the inner frame, so rendering at all
    // means everything fits.
    let bytes = render(&cert).expect("the longest accepted fields must still render on one page");
    keep("longest.pdf", &bytes);
    let pdf = write_pdf(dir.path(), "long.pdf", &bytes);
    assert_eq!(pages(&pdf), 1);
}

/// Writes `bytes` to `$CERTIFICATE_KEEP_DIR/name` when that variable is set, to look at the result.
fn keep(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("CERTIFICATE_KEEP_DIR") {
        std::fs::write(Path::new(&dir).join(name), bytes).expect("write the kept PDF");
    }
}

#[test]
fn variants_render_on_one_page_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = sample("Nguyễn Thị Thu Hằng");
    let variants = [
        ("overall-no-details", Certificate { round: None, recipient_detail: vec![], ..base.clone() }),
        (
            "collective-three-line-heading",
            Certificate {
                heading: "UBND TỈNH TUYÊN QUANG\nSỞ KHOA HỌC VÀ CÔNG NGHỆ\nBAN TỔ CHỨC CUỘC THI".into(),
                recipient: "Đoàn Thanh niên Sở Khoa học và Công nghệ tỉnh Tuyên Quang".into(),
                recipient_detail: vec!["Đơn vị có số người tham gia đông nhất".into()],
                award: "Giải tập thể".into(),
                round: None,
                signatory_title: "KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN THƯỜNG TRỰC".into(),
                ..base.clone()
            },
        ),
        (
            "minimal",
            Certificate {
                heading: String::new(),
                recipient_detail: vec![],
                round: None,
                place_and_date: String::new(),
                signatory_title: String::new(),
                signatory_name: String::new(),
                ..base.clone()
            },
        ),
    ];
    for (name, cert) in variants {
        let bytes = render(&cert).unwrap_or_else(|e| panic!("{name}: {e}"));
        keep(&format!("{name}.pdf"), &bytes);
        let pdf = write_pdf(dir.path(), &format!("{name}.pdf"), &bytes);
        assert_eq!(pages(&pdf), 1, "{name}");
        let text = text(&pdf, None);
        assert_contains(&text, &cert.recipient);
        assert_contains(&text, &cert.award);
    }
}

#[test]
fn bad_input_is_refused_with_vietnamese_messages() {
    assert_eq!(render_many(&[]), Err(CertificateError::Empty));
    assert_eq!(render_many(&[]).map_err(|e| e.to_string()), Err("Không có giấy chứng nhận nào để xuất.".into()));

    let err = render(&sample("   ")).expect_err("blank name");
    assert_eq!(err.to_string(), "Giấy chứng nhận số TDX-2025-V1-000123 chưa có họ và tên người nhận.");

    let err = render(&Certificate { serial: String::new(), ..sample("A") }).expect_err("blank serial");
    assert_eq!(err.to_string(), "Giấy chứng nhận thứ 1 chưa có số hiệu.");

    let err = render(&sample(&"ễ".repeat(limits::RECIPIENT + 1))).expect_err("long name");
    assert_eq!(
        err.to_string(),
        "Giấy chứng nhận số TDX-2025-V1-000123: họ và tên người nhận quá dài (tối đa 100 ký tự)."
    );

    let err = render(&Certificate { recipient_detail: vec!["x".into(); 4], ..sample("A") }).expect_err("4 lines");
    assert!(matches!(err, CertificateError::TooLong { max: 3, unit: "dòng", .. }), "{err:?}");
}

#[test]
fn same_input_gives_the_same_bytes() {
    // Reproducible output lets the web server cache and ETag a certificate by its content.
    let renderer = Renderer::new();
    let cert = sample("Lê Hoàng Yến Nhi");
    assert_eq!(renderer.render(&cert).expect("render"), renderer.render(&cert).expect("render"));
}

#[test]
fn one_renderer_serves_several_threads() {
    let renderer = Renderer::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = ["Đặng Văn Ân", "Bùi Thị Ổn", "Ngô Ước"]
            .into_iter()
            .map(|name| {
                let renderer = &renderer;
                s.spawn(move || renderer.render(&sample(name)))
            })
            .collect();
        for handle in handles {
            let pdf = handle.join().expect("render thread").expect("render");
            assert!(pdf.starts_with(b"%PDF-"));
        }
    });
}
