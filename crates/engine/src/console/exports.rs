//! The results as a workbook organisers send on (.xlsx, Vietnamese headings): the full ranking of
//! a round or overall, the prize list — with the contact data paying the prizes needs only for
//! those who run the contest —, the collective results and participation by unit.

use std::collections::HashMap;

use cuocthi_domain::text;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::console::access::{Action, Staff};
use crate::shared::naming::{locality_name, unit_name};
use crate::{Engine, EngineError, Result};

pub(crate) fn xlsx(e: XlsxError) -> EngineError {
    EngineError::Internal(e.into())
}

/// Writes a sheet: a bold, frozen heading row with the given widths, then the rows as text.
pub(crate) fn sheet(
    book: &mut Workbook,
    name: &str,
    headings: &[(&str, f64)],
    rows: &[Vec<String>],
) -> std::result::Result<(), XlsxError> {
    let s: &mut Worksheet = book.add_worksheet();
    s.set_name(name)?;
    let bold = Format::new().set_bold().set_text_wrap();
    for ((h, w), c) in headings.iter().zip(0u16..) {
        s.set_column_width(c, *w)?;
        s.write_string_with_format(0, c, *h, &bold)?;
    }
    for (row, r) in rows.iter().zip(1u32..) {
        for (v, c) in row.iter().zip(0u16..) {
            match v.parse::<i64>() {
                // Numbers as numbers (sums and sorting work), identity numbers stay text.
                Ok(n) if v.len() < 10 && !v.starts_with('0') => s.write_number(r, c, n as f64)?,
                _ => s.write_string(r, c, v)?,
            };
        }
    }
    s.set_freeze_panes(1, 0)?;
    Ok(())
}

impl Engine {
    /// The results workbook of round `number` (or overall with `None`).
    pub async fn results_workbook(&self, by: &Staff, slug: &str, number: Option<i64>) -> Result<Vec<u8>> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let contact = by.can(Action::ManageResults, Some(c.stored.contest.id));
        let results = match number {
            Some(n) => self.round_results(slug, n).await?,
            None => self.overall_results(slug).await?.ok_or(EngineError::NotFound("xếp hạng chung cuộc"))?,
        };
        let ids: Vec<i64> = results.standings.iter().map(|s| s.participant_id).collect();
        let people: HashMap<i64, cuocthi_store::ParticipantRow> =
            self.store.participants_by_id(&ids).await?.into_iter().map(|p| (p.id, p)).collect();
        let prize_of: HashMap<i64, (&str, i64)> =
            results.awards.iter().map(|a| (a.participant_id, (a.prize.as_str(), a.amount_vnd))).collect();
        let name = |pid: i64| people.get(&pid).and_then(|p| p.identity.full_name.clone()).unwrap_or_default();
        let unit =
            |pid: i64| people.get(&pid).and_then(|p| unit_name(&c, p.identity.unit.as_deref())).unwrap_or_default();
        let place = |pid: i64| {
            people.get(&pid).and_then(|p| locality_name(&c, p.identity.locality.as_deref())).unwrap_or_default()
        };
        let ranking: Vec<Vec<String>> = results
            .standings
            .iter()
            .map(|s| {
                vec![
                    s.rank.to_string(),
                    name(s.participant_id),
                    unit(s.participant_id),
                    place(s.participant_id),
                    s.correct.to_string(),
                    text::duration(s.time_taken_ms),
                    s.prediction.map(|p| p.to_string()).unwrap_or_default(),
                    prize_of.get(&s.participant_id).map(|p| p.0.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        let prizes: Vec<Vec<String>> = results
            .awards
            .iter()
            .map(|a| {
                let p = people.get(&a.participant_id);
                let mut row = vec![
                    a.rank.to_string(),
                    a.prize.clone(),
                    a.amount_vnd.to_string(),
                    name(a.participant_id),
                    unit(a.participant_id),
                    place(a.participant_id),
                ];
                if contact {
                    let who = p.map(|p| &p.identity);
                    row.extend([
                        who.and_then(|w| w.date_of_birth).map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default(),
                        who.and_then(|w| w.cccd.as_ref()).map(|x| x.as_str().to_string()).unwrap_or_default(),
                        who.and_then(|w| w.phone.as_ref()).map(|x| x.as_str().to_string()).unwrap_or_default(),
                        who.and_then(|w| w.email.clone()).unwrap_or_default(),
                    ]);
                }
                row
            })
            .collect();
        // Participation by unit: people ranked (they submitted) against the unit's headcount.
        let mut by_unit: HashMap<&str, u64> = HashMap::new();
        for p in people.values() {
            *by_unit.entry(p.identity.unit.as_deref().unwrap_or("")).or_default() += 1;
        }
        let units: Vec<Vec<String>> = c
            .spec
            .units
            .iter()
            .map(|u| {
                let n = by_unit.get(u.code.as_str()).copied().unwrap_or(0);
                let rate = u
                    .headcount
                    .filter(|h| *h > 0)
                    .map(|h| format!("{:.1}%", n as f64 * 100.0 / f64::from(h)))
                    .unwrap_or_default();
                vec![
                    u.code.clone(),
                    u.name.clone(),
                    u.headcount.map(|h| h.to_string()).unwrap_or_default(),
                    n.to_string(),
                    rate,
                ]
            })
            .collect();
        let contest = &*c;
        let collective: Vec<Vec<String>> = self
            .collective_results(slug)
            .await?
            .into_iter()
            .flat_map(|cr| {
                cr.units.into_iter().map(move |u| {
                    vec![
                        cr.prize.clone(),
                        u.rank.to_string(),
                        u.unit.clone(),
                        unit_name(contest, Some(&u.unit)).unwrap_or_default(),
                        u.participants.to_string(),
                        u.rate_per_mille.map(|r| format!("{r}‰")).unwrap_or_default(),
                        u.score.to_string(),
                        u.prize.unwrap_or_default(),
                        u.amount_vnd.to_string(),
                    ]
                })
            })
            .collect();
        let mut book = Workbook::new();
        sheet(
            &mut book,
            "Xếp hạng",
            &[
                ("Hạng", 7.0),
                ("Họ và tên", 28.0),
                ("Đơn vị", 30.0),
                ("Địa bàn", 28.0),
                ("Số câu đúng", 11.0),
                ("Thời gian làm bài", 16.0),
                ("Dự đoán", 10.0),
                ("Giải", 18.0),
            ],
            &ranking,
        )
        .map_err(xlsx)?;
        let mut prize_headings = vec![
            ("Hạng", 7.0),
            ("Giải", 18.0),
            ("Tiền thưởng (đồng)", 16.0),
            ("Họ và tên", 28.0),
            ("Đơn vị", 30.0),
            ("Địa bàn", 28.0),
        ];
        if contact {
            prize_headings.extend([("Ngày sinh", 12.0), ("Số CCCD", 15.0), ("Điện thoại", 13.0), ("E-mail", 26.0)]);
        }
        sheet(&mut book, "Danh sách giải", &prize_headings, &prizes).map_err(xlsx)?;
        sheet(
            &mut book,
            "Giải tập thể",
            &[
                ("Giải", 30.0),
                ("Hạng", 7.0),
                ("Mã", 10.0),
                ("Đơn vị", 30.0),
                ("Số người", 10.0),
                ("Tỷ lệ", 10.0),
                ("Điểm xét", 10.0),
                ("Giải đạt", 18.0),
                ("Tiền thưởng (đồng)", 16.0),
            ],
            &collective,
        )
        .map_err(xlsx)?;
        sheet(
            &mut book,
            "Tham gia theo đơn vị",
            &[("Mã", 10.0), ("Đơn vị", 34.0), ("Số cán bộ", 11.0), ("Số người dự thi", 14.0), ("Tỷ lệ", 9.0)],
            &units,
        )
        .map_err(xlsx)?;
        book.save_to_buffer().map_err(xlsx)
    }
}
