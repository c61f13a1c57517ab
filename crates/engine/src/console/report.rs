//! The summary report (báo cáo tổng hợp) an organiser sends to the province after a round: the
//! figures it asks for — participants, attempts, participation by unit and locality, the winners —
//! as a Word document (.docx, written with docx-rs) that opens in Word and LibreOffice, to edit
//! and send. Times New Roman 13, as administrative documents are typed.

use cuocthi_domain::stats::CONTEST;
use cuocthi_domain::{text, vntime};
use docx_rs::{AlignmentType, Docx, Paragraph, Run, RunFonts, Table, TableCell, TableRow, WidthType};

use crate::console::access::{Action, Staff};
use crate::console::stats::unit_figures;
use crate::shared::naming::locality_name;
use crate::{Engine, EngineError, Result};

/// Half-points: 13 pt.
pub(super) const SIZE: usize = 26;

pub(super) fn run(t: &str) -> Run {
    Run::new()
        .add_text(t)
        .size(SIZE)
        .fonts(RunFonts::new().ascii("Times New Roman").hi_ansi("Times New Roman").cs("Times New Roman"))
}

pub(super) fn para(t: &str) -> Paragraph {
    Paragraph::new().add_run(run(t))
}

pub(super) fn bold(t: &str) -> Paragraph {
    Paragraph::new().add_run(run(t).bold())
}

pub(super) fn centred(t: &str, strong: bool) -> Paragraph {
    let r = if strong { run(t).bold() } else { run(t).italic() };
    Paragraph::new().align(AlignmentType::Center).add_run(r)
}

pub(super) fn table(headings: &[&str], rows: &[Vec<String>]) -> Table {
    let row =
        |cells: Vec<Paragraph>| TableRow::new(cells.into_iter().map(|p| TableCell::new().add_paragraph(p)).collect());
    let mut all = vec![row(headings.iter().map(|h| bold(h)).collect())];
    all.extend(rows.iter().map(|r| row(r.iter().map(|c| para(c)).collect())));
    Table::new(all).width(5000, WidthType::Pct)
}

impl Engine {
    /// The summary report of a contest, with every round's figures and the published winners.
    pub async fn summary_report(&self, by: &Staff, slug: &str) -> Result<Vec<u8>> {
        let c = self.contest_for(by, slug, Action::ViewStatistics).await?;
        self.count_attempts().await?;
        let id = c.stored.contest.id;
        let now = self.now();
        let n = |v: i64| text::thousands(v);
        let mut doc = Docx::new()
            .add_paragraph(bold(&c.spec.organiser.to_uppercase()))
            .add_paragraph(centred(&format!("BÁO CÁO KẾT QUẢ CUỘC THI {}", c.spec.title.to_uppercase()), true))
            .add_paragraph(centred(&format!("(Số liệu đến {})", vntime::format(now)), false))
            .add_paragraph(bold("1. Số liệu chung"));
        let contest_rows = self.store.counters(id, None).await?;
        let all = contest_rows
            .iter()
            .find(|r| r.round_id == CONTEST && r.dim == "all")
            .map(|r| r.measures())
            .unwrap_or_default();
        doc = doc.add_paragraph(para(&format!(
            "Toàn cuộc thi có {} người tham gia với {} lượt thi, trong đó {} lượt đã nộp bài.",
            n(all.people),
            n(all.attempts),
            n(all.completed)
        )));
        let mut round_rows = Vec::new();
        for r in &c.stored.rounds {
            let m = self
                .store
                .counters(id, Some(r.id))
                .await?
                .into_iter()
                .find(|x| x.round_id == r.id && x.dim == "all")
                .map(|x| x.measures())
                .unwrap_or_default();
            round_rows.push(vec![
                format!("{}: {}", r.number, r.name),
                format!("{} – {}", vntime::format(r.opens_at), vntime::format(r.closes_at)),
                n(m.people),
                n(m.attempts),
                n(m.completed),
                n(m.full_scores),
                r.real_figure.map(n).unwrap_or_else(|| "—".into()),
            ]);
        }
        doc = doc.add_table(table(
            &[
                "Đợt thi",
                "Thời gian",
                "Người tham gia",
                "Lượt thi",
                "Lượt nộp bài",
                "Lượt đúng tất cả",
                "Con số dự đoán thực tế",
            ],
            &round_rows,
        ));
        let units: Vec<&cuocthi_store::CounterRow> =
            contest_rows.iter().filter(|r| r.round_id == CONTEST && r.dim == "unit").collect();
        let mut unit_rows = unit_figures(&c, &units);
        if !unit_rows.is_empty() {
            unit_rows.sort_by(|a, b| b.people.cmp(&a.people).then(a.name.cmp(&b.name)));
            let rows: Vec<Vec<String>> = unit_rows
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    vec![
                        (i + 1).to_string(),
                        u.name.clone(),
                        u.headcount.map(n).unwrap_or_default(),
                        n(u.people),
                        u.rate_permille.map(|r| format!("{},{}%", r / 10, r % 10)).unwrap_or_default(),
                    ]
                })
                .collect();
            doc = doc
                .add_paragraph(bold("2. Tham gia theo đơn vị"))
                .add_table(table(&["TT", "Đơn vị", "Số cán bộ", "Người tham gia", "Tỷ lệ"], &rows));
        }
        let mut places: Vec<(String, i64)> = contest_rows
            .iter()
            .filter(|r| r.round_id == CONTEST && r.dim == "locality")
            .map(|r| (locality_name(&c, Some(&r.bucket)).unwrap_or_else(|| r.bucket.clone()), r.people))
            .collect();
        if !places.is_empty() {
            places.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let rows: Vec<Vec<String>> = places
                .iter()
                .take(30)
                .enumerate()
                .map(|(i, (p, v))| vec![(i + 1).to_string(), p.clone(), n(*v)])
                .collect();
            doc = doc
                .add_paragraph(bold("3. Tham gia theo địa phương"))
                .add_table(table(&["TT", "Địa phương", "Người tham gia"], &rows));
        }
        doc = doc.add_paragraph(bold("4. Kết quả xét giải"));
        let published = self.public_results(slug).await?;
        if published.is_empty() {
            doc = doc.add_paragraph(para("Chưa công bố kết quả xét giải."));
        }
        for p in &published {
            let rows: Vec<Vec<String>> = p
                .view
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.rank.to_string(),
                        r.name.clone(),
                        r.unit.clone().unwrap_or_default(),
                        r.locality.clone().unwrap_or_default(),
                        r.prize.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            doc = doc
                .add_paragraph(para(&format!(
                    "{} (công bố {}, {} người được xếp hạng):",
                    p.view.title,
                    p.view.published_at.map(vntime::format).unwrap_or_default(),
                    text::thousands(p.view.participants)
                )))
                .add_table(table(&["Hạng", "Họ và tên", "Đơn vị", "Địa phương", "Giải"], &rows));
        }
        doc = doc
            .add_paragraph(para(""))
            .add_paragraph(Paragraph::new().align(AlignmentType::Right).add_run(run("TM. BAN TỔ CHỨC").bold()))
            .add_paragraph(para("Nơi nhận:"))
            .add_paragraph(para("- …;"))
            .add_paragraph(para("- Lưu: VT."));
        let mut out = std::io::Cursor::new(Vec::new());
        doc.build().pack(&mut out).map_err(|e| EngineError::Internal(e.into()))?;
        Ok(out.into_inner())
    }
}
