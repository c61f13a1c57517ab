//! Measures certificate rendering and writes a sample PDF.
//!
//! ```text
//! cargo run -p cuocthi-certificate --release --example render -- /tmp/certificate-sample.pdf 200
//! ```
//!
//! Arguments: the path of the sample PDF to write (default `certificate-sample.pdf`) and how many
//! certificates to render for the measurement (default 100). Prints the first render (which builds
//! the renderer and touches the code and fonts for the first time) apart from the steady state a
//! web server sees, then the cost per certificate of a bulk `render_many`.

use std::time::Instant;

use cuocthi_certificate::{Certificate, Renderer};

fn sample(i: usize) -> Certificate {
    let names = ["Nguyễn Thị Thu Hằng", "Trần Đức Lương", "Lê Hoàng Yến Nhi", "Phạm Quốc Việt", "Vũ Ngọc Ánh"];
    Certificate {
        serial: format!("TDX-2025-V1-{:06}", 123 + i),
        heading: "UBND TỈNH HÀ GIANG\nBAN TỔ CHỨC CUỘC THI".into(),
        contest_title: "Cuộc thi trực tuyến “Tìm hiểu pháp luật về an ninh mạng” năm 2025".into(),
        recipient: names[i % names.len()].into(),
        recipient_detail: vec!["Trường THPT Chuyên Hà Giang".into(), "Phường Hà Giang 1, tỉnh Tuyên Quang".into()],
        award: "Giải Nhất".into(),
        round: Some("Tuần 2".into()),
        place_and_date: "Hà Giang, ngày 20 tháng 11 năm 2025".into(),
        signatory_title: "TM. BAN TỔ CHỨC\nTRƯỞNG BAN".into(),
        signatory_name: "Trần Văn Bình".into(),
        verify_url: format!("https://cuocthi.hagiang.gov.vn/xac-minh/TDX-2025-V1-{:06}", 123 + i),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "certificate-sample.pdf".into());
    let n: usize = match args.next() {
        Some(n) => n.parse()?,
        None => 100,
    };
    let n = n.max(1);

    let start = Instant::now();
    let renderer = Renderer::new();
    let built = start.elapsed();
    let sample_pdf = renderer.render(&sample(0))?;
    let first = start.elapsed();
    std::fs::write(&out, &sample_pdf)?;

    let start = Instant::now();
    let mut bytes = 0;
    for i in 0..n {
        bytes += renderer.render(&sample(i))?.len();
    }
    let single = start.elapsed();

    let certs: Vec<Certificate> = (0..n).map(sample).collect();
    let start = Instant::now();
    let bulk = renderer.render_many(&certs)?;
    let many = start.elapsed();

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!("Renderer::new: {:.1} ms; first render (incl. new): {:.1} ms", ms(built), ms(first));
    println!(
        "render, {n} certificates one at a time: {:.2} ms per certificate, {:.1} KB per PDF",
        ms(single) / n as f64,
        bytes as f64 / n as f64 / 1024.0
    );
    println!(
        "render_many, {n} certificates in one PDF: {:.2} ms per certificate, {:.1} KB in all",
        ms(many) / n as f64,
        bulk.len() as f64 / 1024.0
    );
    println!("sample written to {out} ({} bytes)", sample_pdf.len());
    Ok(())
}
