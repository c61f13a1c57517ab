//! Importing a contest definition with its question bank, importing questions into a contest,
//! and exporting both back.

use std::collections::HashMap;

use cuocthi_domain::contest::ContestDef;
use cuocthi_domain::question::{LETTERS, Question};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::FileKind;
use super::progress::{Progress, Stage};
use super::questions::parse_questions_with_progress;
use super::report::{Duplicate, ImportReport, RowProblem, excerpt};
use crate::{Engine, EngineError, Result};

/// What `contest import` did.
#[derive(Clone, Debug)]
pub struct ImportedContest {
    pub id: i64,
    pub slug: String,
    pub questions: Option<ImportReport>,
}

/// Validates every row and finds duplicates, without writing anything; `progress` follows the
/// reading and then the checking of the questions.
pub(crate) fn check(
    bytes: &[u8],
    kind: FileKind,
    existing: &HashMap<String, i64>,
    progress: &Progress,
) -> (ImportReport, Vec<Question>) {
    let mut report = ImportReport { unit: kind.unit(), ..ImportReport::default() };
    let rows = match parse_questions_with_progress(bytes, kind, progress) {
        Ok(rows) => rows,
        Err(errors) => {
            report.file_errors = errors;
            return (report, Vec::new());
        }
    };
    report.rows = rows.len();
    progress.begin(Stage::Checking, rows.len() as u64);
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut valid = Vec::new();
    for (done, (row, draft)) in rows.into_iter().enumerate() {
        progress.set(done as u64);
        let stem = excerpt(&draft.stem);
        match draft.validate() {
            Err(errors) => report.problems.push(RowProblem {
                row,
                stem,
                messages: errors.iter().map(ToString::to_string).collect(),
            }),
            Ok(q) => {
                let fp = q.fingerprint();
                if let Some(first) = seen.get(&fp) {
                    report.duplicates.push(Duplicate { row, stem, same_as_row: Some(*first), same_as_question: None });
                } else if let Some(id) = existing.get(&fp) {
                    report.duplicates.push(Duplicate { row, stem, same_as_row: None, same_as_question: Some(*id) });
                } else {
                    seen.insert(fp, row);
                    valid.push(q);
                }
            }
        }
    }
    (report, valid)
}

/// The columns of a bank export, as the importer reads them back.
const EXPORT_HEADER: [&str; 8] =
    ["Chủ đề", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Phương án D", "Đáp án", "Giải thích"];

/// Widths (in characters) of the exported workbook's columns: long text gets room, letters little.
const XLSX_WIDTHS: [f64; 8] = [20.0, 60.0, 28.0, 28.0, 28.0, 28.0, 8.0, 40.0];

/// One question in the order of [`EXPORT_HEADER`]; a 3-option question leaves D empty.
fn export_row(q: &Question) -> [String; 8] {
    let option = |i: usize| q.options.get(i).cloned().unwrap_or_default();
    [
        q.topic.clone(),
        q.stem.clone(),
        option(0),
        option(1),
        option(2),
        option(3),
        LETTERS.get(usize::from(q.correct)).map(char::to_string).unwrap_or_default(),
        q.explanation.clone().unwrap_or_default(),
    ]
}

/// A workbook of one sheet: a bold, frozen header over one question a row, long text wrapped and
/// top-aligned so a stem of several lines stays readable beside its options.
fn bank_workbook(rows: &[[String; 8]]) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Câu hỏi")?;
    let header = Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Top);
    let wrapped = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let letter = Format::new().set_align(FormatAlign::Top).set_align(FormatAlign::Center);
    for ((name, width), c) in EXPORT_HEADER.iter().zip(XLSX_WIDTHS).zip(0u16..) {
        sheet.set_column_width(c, width)?;
        sheet.write_string_with_format(0, c, *name, &header)?;
    }
    for (row, r) in rows.iter().zip(1u32..) {
        for (value, c) in row.iter().zip(0u16..).filter(|(v, _)| !v.is_empty()) {
            let format = if c == 6 { &letter } else { &wrapped };
            sheet.write_string_with_format(r, c, value, format)?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

impl Engine {
    /// Imports questions into a contest's bank. With errors and without `skip_invalid`, nothing is
    /// imported and the report comes back as the error.
    pub async fn import_questions(
        &self,
        slug: &str,
        file_name: &str,
        bytes: &[u8],
        skip_invalid: bool,
    ) -> Result<ImportReport> {
        let c = self.contest_by_slug(slug).await?;
        let contest_id = c.stored.contest.id;
        let existing: HashMap<String, i64> =
            self.store.bank(contest_id).await?.into_iter().map(|q| (q.question.fingerprint(), q.id)).collect();
        let (mut report, valid) = check(bytes, FileKind::detect(file_name, bytes), &existing, &Progress::default());
        if !report.file_errors.is_empty() || (report.has_errors() && !skip_invalid) {
            return Err(EngineError::Import(Box::new(report)));
        }
        let ids = self.store.insert_questions(contest_id, &valid, self.now()).await?;
        report.imported = ids.len();
        self.catalog.forget_bank(contest_id);
        Ok(report)
    }

    /// Imports a contest definition and, if given, its question file. Both are checked before
    /// anything is written; an existing slug is refused.
    pub async fn import_contest(&self, source: &str, bank: Option<(&str, &[u8])>) -> Result<ImportedContest> {
        let def = ContestDef::from_toml(source).map_err(EngineError::Definition)?;
        let spec = def.validate().map_err(EngineError::Definition)?;
        if self.store.contest_by_slug(&spec.slug).await?.is_some() {
            return Err(EngineError::Conflict(format!("Cuộc thi mã \"{}\" đã có trong hệ thống.", spec.slug)));
        }
        let checked = bank
            .map(|(name, bytes)| check(bytes, FileKind::detect(name, bytes), &HashMap::new(), &Progress::default()));
        if let Some((report, _)) = &checked
            && report.has_errors()
        {
            return Err(EngineError::Import(Box::new(report.clone())));
        }
        let now = self.now();
        let id = self.store.insert_contest(&spec, now).await?;
        let questions = match checked {
            Some((mut report, valid)) => {
                report.imported = self.store.insert_questions(id, &valid, now).await?.len();
                Some(report)
            }
            None => None,
        };
        Ok(ImportedContest { id, slug: spec.slug, questions })
    }

    /// The definition file of a stored contest (TOML); `contest import` reads it back.
    pub async fn export_contest(&self, slug: &str) -> Result<String> {
        let stored = self.store.contest_by_slug(slug).await?.ok_or(EngineError::NotFound("cuộc thi"))?;
        Ok(ContestDef::from_spec(&stored.spec()).to_toml())
    }

    /// The active question bank of a contest as CSV in the import layout.
    pub async fn export_questions_csv(&self, slug: &str) -> Result<String> {
        let c = self.contest_by_slug(slug).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let internal = |e: csv::Error| EngineError::Internal(e.into());
        w.write_record(EXPORT_HEADER).map_err(internal)?;
        for q in self.store.bank(c.stored.contest.id).await? {
            w.write_record(export_row(&q.question)).map_err(internal)?;
        }
        let bytes = w.into_inner().map_err(|e| EngineError::Internal(e.into()))?;
        String::from_utf8(bytes).map_err(|e| EngineError::Internal(e.into()))
    }

    /// The active question bank of a contest as an Excel workbook (.xlsx) with the columns of
    /// [`Engine::export_questions_csv`], so `questions import` reads it back unchanged; for
    /// organisers who edit the bank in Excel rather than in a text editor.
    pub async fn export_questions_xlsx(&self, slug: &str) -> Result<Vec<u8>> {
        let c = self.contest_by_slug(slug).await?;
        let rows: Vec<[String; 8]> =
            self.store.bank(c.stored.contest.id).await?.iter().map(|q| export_row(&q.question)).collect();
        bank_workbook(&rows).map_err(|e| EngineError::Internal(e.into()))
    }
}
