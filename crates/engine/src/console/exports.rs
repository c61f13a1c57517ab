//! The results as a workbook organisers send on (.xlsx, Vietnamese headings): the full ranking of
//! a round or overall, the prize list — with the contact data paying the prizes needs only for
//! those who run the contest —, the collective results (as the committee approved them, or the
//! draft marked as such), participation by unit, and the in-person event's sheets: every judge's
//! score per criterion, the aggregation per criterion and part, and the team ranking.

use std::collections::HashMap;

use cuocthi_domain::text;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use cuocthi_domain::event::aggregate::criterion_score;
use cuocthi_domain::event::{PartKind, RoundAt};

use crate::console::access::{Action, Staff};
use crate::shared::catalog::CachedContest;
use crate::shared::naming::{locality_name, unit_name};
use crate::shared::ranking::sheet_scores;
use crate::shared::views::{CollectiveView, RankingView};
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
        let (status, approved) = self.collective_for_workbook(&c).await?;
        let collective: Vec<Vec<String>> = approved
            .into_iter()
            .flat_map(|cr| {
                let status = status.clone();
                cr.units.into_iter().map(move |u| {
                    vec![
                        cr.prize.clone(),
                        u.rank.to_string(),
                        u.unit_code.clone(),
                        u.unit.clone(),
                        u.participants.to_string(),
                        u.rate_per_mille.map(|r| format!("{r}‰")).unwrap_or_default(),
                        u.score.to_string(),
                        u.prize.unwrap_or_default(),
                        u.amount_vnd.to_string(),
                        status.clone(),
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
                ("Trạng thái", 30.0),
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
        self.event_sheets_into(&mut book, &c).await?;
        // Who exported personal data (Luật 91/2025): the file and its fields, never the rows.
        let detail = serde_json::json!({"file": "ket-qua.xlsx", "round": number, "rows": ranking.len(),
            "fields": if contact { "name, unit, locality, date_of_birth, cccd, phone, email" } else { "name, unit, locality" }});
        let contest_id = c.stored.contest.id;
        self.record(Some(by), "personal.export", Some(contest_id), &format!("contest:{contest_id}"), detail).await?;
        book.save_to_buffer().map_err(xlsx)
    }

    /// The collective results for the workbook: those locked in the newest approved version of
    /// the scope that carries them, else the draft; with the status to print beside each row.
    async fn collective_for_workbook(&self, c: &CachedContest) -> Result<(String, Vec<CollectiveView>)> {
        let Some(scope) = Self::collective_scope(c) else { return Ok((String::new(), Vec::new())) };
        if let Some(last) = self.store.ranking_versions(c.stored.contest.id, scope).await?.into_iter().next()
            && let Some((_, body)) = self.store.published_by_id(last.id).await?
        {
            let view: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.into()))?;
            if !view.collective.is_empty() {
                let public = if last.public_at.is_some() { ", đã công bố" } else { ", chưa công bố" };
                return Ok((format!("Phiên bản {} đã phê duyệt{public}", last.version), view.collective));
            }
        }
        let draft = self.collective_results(&c.spec.slug).await?;
        Ok(("Dự thảo, chưa phê duyệt".into(), Self::collective_view(c, &draft)))
    }

    /// The in-person event's sheets, when the contest has one: every judge's score per
    /// criterion, the aggregation per criterion and part, the ranking (approved or draft).
    async fn event_sheets_into(&self, book: &mut Workbook, c: &CachedContest) -> Result<()> {
        let Some(inputs) = self.event_inputs(c).await? else { return Ok(()) };
        let spec = &inputs.spec;
        let team_name = |id: i64| inputs.teams.iter().find(|t| t.id == id).map(|t| t.name.clone()).unwrap_or_default();
        let mut judges = std::collections::BTreeMap::new();
        for s in &inputs.sheets {
            if let std::collections::btree_map::Entry::Vacant(slot) = judges.entry(s.judge_id) {
                slot.insert(self.store.account(s.judge_id).await?.map(|a| a.username).unwrap_or_default());
            }
        }
        let mut scores = Vec::new();
        for s in &inputs.sheets {
            let Some(part) = spec.part(&s.part_key) else { continue };
            let PartKind::Judged { criteria, .. } = &part.kind else { continue };
            let values = sheet_scores(s)?;
            for cr in criteria {
                scores.push(vec![
                    team_name(s.team_id),
                    part.name.clone(),
                    cr.name.clone(),
                    judges.get(&s.judge_id).cloned().unwrap_or_default(),
                    values.get(&cr.key).map(|p| p.exact().display(2)).unwrap_or_default(),
                    cr.max.exact().display(2),
                    if s.status == "submitted" { "Đã nộp".into() } else { "Mở lại, chưa tính".into() },
                    if s.paper != 0 { "Phiếu giấy".into() } else { "Trực tuyến".into() },
                ]);
            }
        }
        let agg = spec.aggregation;
        let mut aggregation = Vec::new();
        for t in &inputs.teams {
            for part in &spec.parts {
                match &part.kind {
                    PartKind::Judged { criteria, .. } => {
                        let mine: Vec<_> =
                            inputs.counted.iter().filter(|s| s.team == t.id && s.part == part.key).collect();
                        for cr in criteria {
                            let values: Vec<_> = mine.iter().filter_map(|s| s.scores.get(&cr.key).copied()).collect();
                            let mean = criterion_score(&values, agg.method);
                            let shown =
                                if agg.round_at == RoundAt::Criterion { mean.round(agg.decimals) } else { mean };
                            aggregation.push(vec![
                                t.name.clone(),
                                part.name.clone(),
                                cr.name.clone(),
                                values.len().to_string(),
                                shown.display(4),
                            ]);
                        }
                    }
                    PartKind::Knowledge { points, .. } => {
                        let correct = inputs.answered.iter().find(|a| a.team == t.id && a.part == part.key);
                        aggregation.push(vec![
                            t.name.clone(),
                            part.name.clone(),
                            format!("Số câu đúng × {}", points.exact().display(2)),
                            correct.map(|a| a.correct.to_string()).unwrap_or_default(),
                            correct
                                .map(|a| {
                                    (points.exact() * cuocthi_domain::event::Exact::new(i128::from(a.correct), 1))
                                        .display(2)
                                })
                                .unwrap_or_default(),
                        ]);
                    }
                }
            }
        }
        let (status, ranking) = match self.store.event_versions(c.stored.contest.id).await?.into_iter().next() {
            Some(last) => {
                let body = self.store.published_by_id(last.id).await?.map(|(_, b)| b).unwrap_or_default();
                let view: RankingView = serde_json::from_str(&body).map_err(|e| EngineError::Internal(e.into()))?;
                (format!("Phiên bản {} đã phê duyệt", last.version), view.event)
            }
            None => ("Dự thảo, chưa phê duyệt".to_string(), self.event_draft_of(c).await?.0.event),
        };
        let ranking_rows: Vec<Vec<String>> = ranking
            .iter()
            .flat_map(|e| &e.teams)
            .map(|t| {
                let mut row = vec![t.rank.to_string(), t.team.clone(), t.unit.clone()];
                row.extend(t.parts.iter().map(|p| p.clone().unwrap_or_default()));
                row.extend([
                    t.adjustments.clone(),
                    t.total.clone(),
                    t.lot.map(|l| l.to_string()).unwrap_or_default(),
                    t.prize.clone().unwrap_or_default(),
                    status.clone(),
                ]);
                row
            })
            .collect();
        sheet(
            book,
            "Hội thi - phiếu chấm",
            &[
                ("Đội thi", 26.0),
                ("Phần thi", 30.0),
                ("Tiêu chí", 26.0),
                ("Giám khảo", 16.0),
                ("Điểm", 8.0),
                ("Tối đa", 8.0),
                ("Trạng thái", 16.0),
                ("Hình thức", 12.0),
            ],
            &scores,
        )
        .map_err(xlsx)?;
        sheet(
            book,
            "Hội thi - tổng hợp",
            &[("Đội thi", 26.0), ("Phần thi", 30.0), ("Tiêu chí", 26.0), ("Số phiếu / câu đúng", 12.0), ("Điểm", 10.0)],
            &aggregation,
        )
        .map_err(xlsx)?;
        let mut headings: Vec<(&str, f64)> = vec![("Hạng", 7.0), ("Đội thi", 26.0), ("Đơn vị", 26.0)];
        headings.extend(spec.parts.iter().map(|p| (p.name.as_str(), 14.0)));
        headings.extend([
            ("Cộng/trừ", 9.0),
            ("Tổng điểm", 10.0),
            ("Bốc thăm", 8.0),
            ("Giải", 14.0),
            ("Trạng thái", 24.0),
        ]);
        sheet(book, "Hội thi - xếp hạng", &headings, &ranking_rows).map_err(xlsx)?;
        Ok(())
    }
}
