//! The committee's meeting on a round's results (họp Hội đồng/Ban Tổ chức): the draft it is
//! asked to approve — winners with the columns that decided their order, the collective prizes,
//! and what the judges' review took out — shown on the console before any version exists, and its
//! record (biên bản) as a Word document to print and sign, so the approved version can name the
//! document the committee signed.

use chrono::{DateTime, Utc};
use cuocthi_domain::{text, vntime};
use docx_rs::{AlignmentType, Docx, Paragraph, Table, TableCell, TableRow, WidthType};

use crate::console::access::{Action, Staff};
use crate::console::report::{bold, centred, para, run, table};
use crate::shared::catalog::CachedContest;
use crate::shared::views::{CollectiveStructure, CollectiveView, RankingRow, RankingView};
use crate::{Engine, EngineError, Result};

/// A disqualification standing now, as the committee reads it.
#[derive(Clone, Debug)]
pub struct Exclusion {
    pub name: String,
    /// The person in every round; otherwise one attempt.
    pub whole_person: bool,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// What the committee reviews before approving a scope (a round, or the overall ranking).
#[derive(Clone, Debug)]
pub struct MeetingDraft {
    pub contest: String,
    pub organiser: String,
    /// `Đợt 1: Đợt thi` or `Chung cuộc`.
    pub scope: String,
    pub draft: RankingView,
    pub exclusions: Vec<Exclusion>,
}

impl Engine {
    /// The draft ranking of a closed scope with the exclusions standing in it.
    pub async fn meeting_draft(&self, by: &Staff, slug: &str, number: Option<i64>) -> Result<MeetingDraft> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let draft = self.draft_ranking(by, slug, number).await?;
        let scope = match number {
            Some(n) => Self::round_by_number(&c, n).map(|r| format!("Đợt {}: {}", r.number, r.name))?,
            None => "Chung cuộc".into(),
        };
        Ok(MeetingDraft {
            contest: c.spec.title.clone(),
            organiser: c.spec.organiser.clone(),
            scope,
            exclusions: self.standing_exclusions(&c, number).await?,
            draft,
        })
    }

    /// The meeting's record (biên bản) of a closed scope as a .docx, dated today in Vietnam time,
    /// with blank lines for the number, the members present and the signatures.
    pub async fn meeting_record(&self, by: &Staff, slug: &str, number: Option<i64>) -> Result<Vec<u8>> {
        let m = self.meeting_draft(by, slug, number).await?;
        let doc = record(&m, self.now());
        let mut out = std::io::Cursor::new(Vec::new());
        doc.build().pack(&mut out).map_err(|e| EngineError::Internal(e.into()))?;
        Ok(out.into_inner())
    }

    /// The meeting's record (biên bản) of the in-person event's results as a .docx: the teams'
    /// scores per part, totals, the lots drawn and the proposed team prizes, with what still
    /// stops the approval, and lines to sign.
    pub async fn event_meeting_record(&self, by: &Staff, slug: &str) -> Result<Vec<u8>> {
        let c = self.contest_for(by, slug, Action::ViewResults).await?;
        let (draft, problems) = self.event_draft(by, slug).await?;
        let now = self.now();
        let day = vntime::local_date(now);
        let Some(event) = draft.event else { return Err(EngineError::NotFound("hội thi trực tiếp")) };
        let mut doc = Docx::new()
            .add_table(heading(&c.spec.organiser))
            .add_paragraph(para(""))
            .add_paragraph(centred("BIÊN BẢN HỌP", true))
            .add_paragraph(centred(&format!("Xét duyệt kết quả {} – {}", event.name, c.spec.title), true))
            .add_paragraph(para(&format!(
                "Hôm nay, ngày {} (giờ Việt Nam), tại ………………………………, Hội đồng/Ban Tổ chức họp xét duyệt kết quả \
                 các đội thi do hệ thống tổng hợp từ phiếu chấm của Ban Giám khảo.",
                vntime::format_date(day)
            )))
            .add_paragraph(para("Chủ trì: ……………………………………  Thư ký: ……………………………………"))
            .add_paragraph(bold("1. Kết quả các đội thi"));
        let order = if event.tie_breaks.is_empty() {
            "Xếp theo tổng điểm; bằng điểm thì Ban Tổ chức bốc thăm.".to_string()
        } else {
            format!("Xếp theo tổng điểm; bằng điểm thì xét lần lượt {}, rồi bốc thăm.", event.tie_breaks.join(", "))
        };
        doc = doc.add_paragraph(para(&order));
        let mut headings = vec!["Hạng", "Đội thi", "Đơn vị"];
        headings.extend(event.parts.iter().map(|p| p.name.as_str()));
        headings.extend(["Cộng/trừ", "Tổng điểm", "Bốc thăm", "Giải"]);
        let rows: Vec<Vec<String>> = event
            .teams
            .iter()
            .map(|t| {
                let mut row = vec![t.rank.to_string(), t.team.clone(), t.unit.clone()];
                row.extend(t.parts.iter().map(|p| p.clone().unwrap_or_else(|| "—".into())));
                row.extend([
                    t.adjustments.clone(),
                    t.total.clone(),
                    t.lot.map(|l| l.to_string()).unwrap_or_default(),
                    t.prize.clone().unwrap_or_default(),
                ]);
                row
            })
            .collect();
        doc = doc.add_table(table(&headings, &rows)).add_paragraph(bold("2. Những điểm cần Hội đồng quyết định"));
        if problems.is_empty() {
            doc = doc.add_paragraph(para("Không có."));
        }
        for p in problems {
            doc = doc.add_paragraph(para(&format!("– {p}")));
        }
        doc = doc
            .add_paragraph(bold("3. Kết luận"))
            .add_paragraph(para("Hội đồng thống nhất phê duyệt kết quả và giải của các đội thi nêu trên."))
            .add_paragraph(para(&format!(
                "Biên bản lập lúc {} và được các thành viên dự họp thông qua.",
                vntime::format_long(now)
            )))
            .add_table(signatures());
        let mut out = std::io::Cursor::new(Vec::new());
        doc.build().pack(&mut out).map_err(|e| EngineError::Internal(e.into()))?;
        Ok(out.into_inner())
    }

    /// Disqualifications not lifted: of the person, or of an attempt of this round (every round
    /// for the overall ranking).
    async fn standing_exclusions(&self, c: &CachedContest, number: Option<i64>) -> Result<Vec<Exclusion>> {
        let round_id = number.map(|n| Self::round_by_number(c, n).map(|r| r.id)).transpose()?;
        let rows = self.store.disqualifications(c.stored.contest.id).await?;
        let standing: Vec<_> = rows.into_iter().filter(|d| d.lifted_at.is_none()).collect();
        let ids: Vec<i64> = standing.iter().map(|d| d.participant_id).collect();
        let people = self.store.participants_by_id(&ids).await?;
        let mut out = Vec::new();
        for d in standing {
            if let (Some(attempt), Some(round)) = (d.attempt_id, round_id)
                && self.store.attempt(attempt).await?.is_none_or(|a| a.round_id != round)
            {
                continue;
            }
            let name = people.iter().find(|p| p.id == d.participant_id).and_then(|p| p.identity.full_name.clone());
            out.push(Exclusion {
                name: name.unwrap_or_else(|| format!("#{}", d.participant_id)),
                whole_person: d.attempt_id.is_none(),
                reason: d.reason,
                by: d.created_by,
                at: DateTime::from_timestamp_millis(d.created_at).unwrap_or_default(),
            });
        }
        Ok(out)
    }
}

/// The columns that decided a version's order, in the order its rules compare them (the
/// default order for versions that did not record it); the prediction's only where there is one.
pub fn deciding_order(v: &RankingView) -> Vec<&'static str> {
    let predicted = v.real_figure.is_some() || v.rows.iter().any(|r| r.prediction.is_some());
    let default = ["correct", "prediction", "time", "submitted"];
    let listed: Vec<&str> = if v.columns.is_empty() {
        default[..3].to_vec()
    } else {
        v.columns.iter().filter_map(|c| default.iter().find(|d| **d == c.as_str()).copied()).collect()
    };
    listed.into_iter().filter(|c| *c != "prediction" || predicted).collect()
}

/// The headings of [`deciding_order`]'s columns (the prediction takes two: the number and its
/// distance).
pub fn deciding_headings(order: &[&str]) -> Vec<&'static str> {
    order
        .iter()
        .flat_map(|c| match *c {
            "correct" => vec!["Số câu đúng"],
            "prediction" => vec!["Dự đoán", "Chênh lệch"],
            "time" => vec!["Thời gian"],
            _ => vec!["Nộp bài lúc"],
        })
        .collect()
}

/// A row's cells for [`deciding_order`]'s columns.
pub fn deciding_cells(order: &[&str], r: &RankingRow) -> Vec<String> {
    let [correct, prediction, distance, time] = deciding_columns(r.correct, r.prediction, r.distance, r.time_taken_ms);
    order
        .iter()
        .flat_map(|c| match *c {
            "correct" => vec![correct.clone()],
            "prediction" => vec![prediction.clone(), distance.clone()],
            "time" => vec![time.clone()],
            _ => vec![
                r.submitted_at_ms
                    .and_then(DateTime::from_timestamp_millis)
                    .map(vntime::format)
                    .unwrap_or_else(|| "—".into()),
            ],
        })
        .collect()
}

/// "số câu đúng, rồi độ chênh lệch của dự đoán, rồi thời gian làm bài": the order in words.
pub fn order_in_words(order: &[&str]) -> String {
    order
        .iter()
        .map(|c| match *c {
            "correct" => "số câu đúng",
            "prediction" => "độ chênh lệch của dự đoán",
            "time" => "thời gian làm bài",
            _ => "thời điểm nộp bài",
        })
        .collect::<Vec<_>>()
        .join(", rồi ")
}

/// The collective structure applied, as one sentence per adjusted level, and the reason.
pub fn structure_lines(s: &CollectiveStructure) -> Vec<String> {
    let mut lines = Vec::new();
    for p in &s.prizes {
        for t in p.tiers.iter().filter(|t| (t.count, t.amount_vnd) != (t.defined_count, t.defined_amount_vnd)) {
            lines.push(format!(
                "{} – {}: {} giải, trị giá {} (định nghĩa: {} giải, {}).",
                p.prize,
                t.name,
                t.count,
                text::vnd(t.amount_vnd),
                t.defined_count,
                text::vnd(t.defined_amount_vnd)
            ));
        }
    }
    lines
}

/// The prediction's distance and the time, as the ranking compared them.
pub fn deciding_columns(correct: u32, prediction: Option<i64>, distance: Option<u64>, time_ms: i64) -> [String; 4] {
    [
        correct.to_string(),
        prediction.map(text::thousands).unwrap_or_else(|| "—".into()),
        distance.map(|d| text::thousands(i64::try_from(d).unwrap_or(i64::MAX))).unwrap_or_else(|| "—".into()),
        text::duration(time_ms),
    ]
}

fn record(m: &MeetingDraft, now: DateTime<Utc>) -> Docx {
    let day = vntime::local_date(now);
    let mut doc = Docx::new()
        .add_table(heading(&m.organiser))
        .add_paragraph(para(""))
        .add_paragraph(centred("BIÊN BẢN HỌP", true))
        .add_paragraph(centred(&format!("Xét duyệt kết quả {} – {}", m.scope, m.contest), true))
        .add_paragraph(para(&format!(
            "Hôm nay, ngày {} (giờ Việt Nam), tại ………………………………, Hội đồng/Ban Tổ chức cuộc thi họp xét duyệt \
             bảng xếp hạng và đề xuất giải do hệ thống lập từ bài dự thi.",
            vntime::format_date(day)
        )))
        .add_paragraph(para("Chủ trì: ……………………………………  Thư ký: ……………………………………"))
        .add_paragraph(para("Thành phần tham dự: ……………………………………………………………………………………"));
    doc = winners(doc, &m.draft);
    doc = collective(doc, &m.draft.collective);
    if let Some(s) = &m.draft.collective_structure {
        doc = structure(doc, s);
    }
    doc = exclusions(doc, &m.exclusions);
    doc.add_paragraph(bold("4. Kết luận"))
        .add_paragraph(para(
            "Hội đồng thống nhất phê duyệt bảng xếp hạng và cơ cấu giải nêu trên. Ý kiến khác (nếu có): \
             ……………………………………………………………………",
        ))
        .add_paragraph(para(&format!(
            "Biên bản lập lúc {} và được các thành viên dự họp thông qua.",
            vntime::format_long(now)
        )))
        .add_table(signatures())
}

/// The national motto beside the organiser, as administrative documents open.
fn heading(organiser: &str) -> Table {
    let cell = |lines: &[&str]| {
        lines.iter().fold(TableCell::new(), |c, l| {
            c.add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(run(l).bold()))
        })
    };
    Table::new(vec![TableRow::new(vec![
        cell(&[&organiser.to_uppercase(), "Số: ……/BB-BTC"]),
        cell(&["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc"]),
    ])])
    .width(5000, WidthType::Pct)
}

fn winners(doc: Docx, v: &RankingView) -> Docx {
    let figure = v.real_figure.map(|f| format!(" Con số thực tế của câu hỏi dự đoán: {}.", text::thousands(f)));
    let order = deciding_order(v);
    let rows: Vec<Vec<String>> = v
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.rank.to_string(),
                r.name.clone(),
                r.unit.clone().or_else(|| r.locality.clone()).unwrap_or_default(),
            ];
            row.extend(deciding_cells(&order, r));
            row.extend([r.prize.clone().unwrap_or_default(), text::vnd(r.amount_vnd)]);
            row
        })
        .collect();
    let doc =
        doc.add_paragraph(bold("1. Bảng xếp hạng dự thảo và đề xuất giải cá nhân")).add_paragraph(para(&format!(
            "{} người được xếp hạng; xếp theo {}.{}",
            text::thousands(v.participants),
            order_in_words(&order),
            figure.unwrap_or_default()
        )));
    if rows.is_empty() {
        return doc.add_paragraph(para("Không có người đủ điều kiện đạt giải."));
    }
    let mut headings = vec!["Hạng", "Họ và tên", "Đơn vị"];
    headings.extend(deciding_headings(&order));
    headings.extend(["Giải", "Trị giá"]);
    doc.add_table(table(&headings, &rows))
}

fn collective(mut doc: Docx, prizes: &[CollectiveView]) -> Docx {
    doc = doc.add_paragraph(bold("2. Giải tập thể"));
    if prizes.is_empty() {
        return doc.add_paragraph(para("Không xét giải tập thể trong phạm vi này."));
    }
    for p in prizes {
        let rows: Vec<Vec<String>> = p
            .units
            .iter()
            .filter(|u| u.prize.is_some())
            .map(|u| {
                vec![
                    u.rank.to_string(),
                    u.unit.clone(),
                    text::thousands(i64::try_from(u.participants).unwrap_or(i64::MAX)),
                    u.rate_per_mille.map(|r| format!("{},{}%", r / 10, r % 10)).unwrap_or_else(|| "—".into()),
                    u.prize.clone().unwrap_or_default(),
                    text::vnd(u.amount_vnd),
                ]
            })
            .collect();
        doc = doc
            .add_paragraph(para(&format!("{}:", p.prize)))
            .add_table(table(&["Hạng", "Đơn vị", "Người tham gia", "Tỷ lệ", "Giải", "Trị giá"], &rows));
    }
    doc
}

/// The committee's adjustment of the collective prize structure, when there is one.
fn structure(mut doc: Docx, s: &CollectiveStructure) -> Docx {
    let lines = structure_lines(s);
    if lines.is_empty() {
        return doc.add_paragraph(para("Cơ cấu giải tập thể theo đúng Thể lệ."));
    }
    doc = doc.add_paragraph(para("Hội đồng điều chỉnh cơ cấu giải tập thể như sau:"));
    for l in lines {
        doc = doc.add_paragraph(para(&format!("– {l}")));
    }
    doc.add_paragraph(para(&format!("Lý do: {}", s.reason.clone().unwrap_or_else(|| "……………………".into()))))
}

fn exclusions(doc: Docx, all: &[Exclusion]) -> Docx {
    let doc = doc.add_paragraph(bold("3. Bài thi bị loại qua rà soát của Ban Giám khảo"));
    if all.is_empty() {
        return doc.add_paragraph(para("Không có bài thi hay người dự thi nào bị loại."));
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|e| {
            vec![
                e.name.clone(),
                if e.whole_person { "Mọi lượt thi".into() } else { "Một lượt thi".into() },
                e.reason.clone(),
                format!("{} · {}", e.by, vntime::format(e.at)),
            ]
        })
        .collect();
    doc.add_table(table(&["Người dự thi", "Phạm vi", "Lý do", "Người quyết định"], &rows))
}

/// Blank lines for the chair, the secretary and the members.
fn signatures() -> Table {
    let cell = |role: &str| {
        TableCell::new()
            .add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(run(role).bold()))
            .add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(run("(Ký, ghi rõ họ tên)").italic()))
            .add_paragraph(para(""))
            .add_paragraph(para(""))
            .add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(run("……………………………")))
    };
    Table::new(vec![
        TableRow::new(vec![cell("THƯ KÝ"), cell("CHỦ TRÌ")]),
        TableRow::new(vec![cell("ĐẠI DIỆN BAN GIÁM KHẢO"), cell("CÁC THÀNH VIÊN")]),
    ])
    .width(5000, WidthType::Pct)
}
