//! The question bank pages: list and search, one question with its preview and versions, adding
//! and editing, retiring, and importing a file with its report before confirmation.

use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use cuocthi_domain::question::{LETTERS, QuestionDraft};
use cuocthi_engine::EngineError;
use cuocthi_engine::console::{Action, BankQuery, ImportPreview, Staff};
use serde::Deserialize;

use super::import_jobs::{Seen, progress_text};
use super::{Console, Frame, XLSX, after_form, download};
use crate::AppState;
use crate::http::{Form, PageResult, private, see_other};

/// Most rows the list shows at once.
const LIST_LIMIT: usize = 500;

struct Row {
    id: i64,
    topic: String,
    stem: String,
    correct: char,
    version: i64,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/bank.html")]
struct BankPage {
    frame: Option<Frame>,
    notice: Option<String>,
    slug: String,
    title: String,
    q: String,
    topic: String,
    status: String,
    topics: Vec<(String, usize)>,
    active: usize,
    retired: usize,
    shown: usize,
    more: bool,
    rows: Vec<Row>,
    can_edit: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "chu-de")]
    topic: String,
    #[serde(default, rename = "trang-thai")]
    status: String,
    /// Set by the redirect after an import: how many questions it added.
    #[serde(default, rename = "da-nhap")]
    imported: Option<usize>,
}

pub(super) async fn bank(Console { s, staff, path: slug }: Console, Query(lq): Query<ListQuery>) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::ViewBank).await?;
    let view = s
        .engine
        .bank_view(&staff, &slug, &BankQuery { text: lq.q.clone(), topic: lq.topic.clone(), status: lq.status.clone() })
        .await?;
    let shown = view.questions.len();
    let rows = view
        .questions
        .into_iter()
        .take(LIST_LIMIT)
        .map(|q| Row {
            id: q.id,
            correct: LETTERS.get(usize::from(q.question.correct)).copied().unwrap_or('?'),
            topic: q.question.topic,
            stem: q.question.stem,
            version: q.version,
            active: q.status == "active",
        })
        .collect();
    Ok(private(BankPage {
        frame: Some(Frame::of(&staff)),
        notice: lq.imported.map(|n| format!("Đã nhập {n} câu hỏi vào ngân hàng.")),
        title: c.stored.contest.title.clone(),
        can_edit: staff.can(Action::EditBank, Some(c.stored.contest.id)),
        slug,
        q: lq.q,
        topic: lq.topic,
        status: lq.status,
        topics: view.topics,
        active: view.active,
        retired: view.retired,
        shown,
        more: shown > LIST_LIMIT,
        rows,
    }))
}

struct Preview {
    stem: String,
    options: Vec<(char, String)>,
    correct: char,
    explanation: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/question.html")]
struct QuestionPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    id: i64,
    active: bool,
    can_edit: bool,
    action: String,
    preview: Preview,
    draft: QuestionDraft,
    draft_options: Vec<(String, String)>,
    draft_correct: char,
    draft_explanation: String,
    letters: [char; 4],
    versions: Vec<(i64, String)>,
}

fn page_for(staff: &Staff, slug: &str, id: i64, draft: QuestionDraft, error: Option<String>) -> QuestionPage {
    let draft_options = LETTERS
        .iter()
        .enumerate()
        .map(|(i, l)| (l.to_string(), draft.options.get(i).cloned().unwrap_or_default()))
        .collect();
    QuestionPage {
        frame: Some(Frame::of(staff)),
        notice: None,
        error,
        slug: slug.to_string(),
        id,
        active: true,
        can_edit: true,
        action: if id == 0 {
            format!("/admin/cuoc-thi/{slug}/cau-hoi")
        } else {
            format!("/admin/cuoc-thi/{slug}/cau-hoi/{id}")
        },
        preview: Preview { stem: String::new(), options: Vec::new(), correct: '?', explanation: None },
        draft_correct: draft.correct.first().copied().unwrap_or('A'),
        draft_explanation: draft.explanation.clone().unwrap_or_default(),
        draft_options,
        draft,
        letters: LETTERS,
        versions: Vec::new(),
    }
}

pub(super) async fn new_question(Console { s, staff, path: slug }: Console) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::EditBank).await?;
    Ok(private(page_for(&staff, &slug, 0, QuestionDraft::default(), None)))
}

pub(super) async fn question(Console { s, staff, path: (slug, id) }: Console<(String, i64)>) -> PageResult {
    question_page(&s, &staff, &slug, id, None, None).await
}

async fn question_page(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    id: i64,
    draft: Option<QuestionDraft>,
    error: Option<String>,
) -> PageResult {
    let versions = s.engine.question_versions(staff, slug, id).await?;
    let c = s.engine.contest_for(staff, slug, Action::ViewBank).await?;
    let this = versions.iter().find(|v| v.id == id).ok_or(EngineError::NotFound("câu hỏi"))?;
    let q = &this.question;
    let stored_draft = QuestionDraft {
        topic: q.topic.clone(),
        stem: q.stem.clone(),
        options: q.options.clone(),
        correct: LETTERS.get(usize::from(q.correct)).copied().into_iter().collect(),
        explanation: q.explanation.clone(),
    };
    let refused = error.is_some();
    let mut page = page_for(staff, slug, id, draft.unwrap_or(stored_draft), error);
    page.active = this.status == "active";
    page.can_edit = staff.can(Action::EditBank, Some(c.stored.contest.id));
    page.preview = Preview {
        stem: q.stem.clone(),
        options: LETTERS.iter().copied().zip(q.options.iter().cloned()).collect(),
        correct: LETTERS.get(usize::from(q.correct)).copied().unwrap_or('?'),
        explanation: q.explanation.clone(),
    };
    page.versions = versions
        .iter()
        .map(|v| {
            let state = match v.status.as_str() {
                "active" => "đang dùng",
                "retired" => "đã rút",
                _ => "phiên bản cũ",
            };
            (v.id, format!("phiên bản {} ({state})", v.version))
        })
        .collect();
    Ok(after_form(refused, page))
}

#[derive(Deserialize)]
pub(super) struct QuestionForm {
    #[serde(default)]
    topic: String,
    #[serde(default)]
    stem: String,
    #[serde(default, rename = "opt_A")]
    opt_a: String,
    #[serde(default, rename = "opt_B")]
    opt_b: String,
    #[serde(default, rename = "opt_C")]
    opt_c: String,
    #[serde(default, rename = "opt_D")]
    opt_d: String,
    #[serde(default)]
    correct: String,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    reason: String,
}

impl QuestionForm {
    fn draft(&self) -> QuestionDraft {
        QuestionDraft {
            topic: self.topic.trim().to_string(),
            stem: self.stem.trim().to_string(),
            options: [&self.opt_a, &self.opt_b, &self.opt_c, &self.opt_d]
                .iter()
                .map(|o| o.trim().to_string())
                .collect(),
            correct: self.correct.trim().chars().take(1).collect(),
            explanation: Some(self.explanation.trim().to_string()).filter(|e| !e.is_empty()),
        }
    }
}

pub(super) async fn add(Console { s, staff, path: slug }: Console, Form(f): Form<QuestionForm>) -> PageResult {
    let draft = f.draft();
    match s.engine.add_question(&staff, &slug, &draft).await {
        Ok(id) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/cau-hoi/{id}"))),
        Err(EngineError::BadRequest(m)) => {
            Ok(private((StatusCode::UNPROCESSABLE_ENTITY, page_for(&staff, &slug, 0, draft, Some(m)))))
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn revise(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<QuestionForm>,
) -> PageResult {
    // The role first: a refusal must not depend on how the form was filled.
    s.engine.contest_for(&staff, &slug, Action::EditBank).await?;
    let draft = f.draft();
    if f.reason.trim().is_empty() {
        return question_page(&s, &staff, &slug, id, Some(draft), Some("Hãy ghi lý do sửa.".into())).await;
    }
    match s.engine.revise(&staff, &slug, id, &draft, &f.reason).await {
        Ok(new_id) => Ok(see_other(&format!("/admin/cuoc-thi/{slug}/cau-hoi/{new_id}"))),
        Err(EngineError::BadRequest(m)) => question_page(&s, &staff, &slug, id, Some(draft), Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    #[serde(default)]
    active: String,
}

pub(super) async fn set_status(
    Console { s, staff, path: (slug, id) }: Console<(String, i64)>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    s.engine.set_question_status(&staff, &slug, id, f.active == "1").await?;
    Ok(see_other(&format!("/admin/cuoc-thi/{slug}/cau-hoi/{id}")))
}

pub(super) async fn export_csv(Console { s, staff, path: slug }: Console) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::ViewBank).await?;
    let body = s.engine.export_questions_csv(&slug).await?;
    Ok(download("text/csv; charset=utf-8", &format!("{slug}-cau-hoi.csv"), body))
}

pub(super) async fn export_xlsx(Console { s, staff, path: slug }: Console) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::ViewBank).await?;
    let body = s.engine.export_questions_xlsx(&slug).await?;
    Ok(download(XLSX, &format!("{slug}-cau-hoi.xlsx"), body))
}

/// A line of the report: where, the start of the question (empty without a stem), and what.
struct ReportLine {
    row: usize,
    stem: String,
    text: String,
}

struct PreviewView {
    staged_id: i64,
    file_name: String,
    file_errors: Vec<String>,
    rows: usize,
    would_import: usize,
    /// "Dòng" for spreadsheets, "Đoạn" for Word documents.
    unit: &'static str,
    problems: Vec<ReportLine>,
    duplicates: Vec<ReportLine>,
}

impl PreviewView {
    fn of(p: ImportPreview) -> PreviewView {
        let unit = p.report.unit.label();
        PreviewView {
            unit,
            staged_id: p.staged_id,
            rows: p.report.rows,
            would_import: p.would_import,
            file_errors: p.report.file_errors.clone(),
            problems: p
                .report
                .problems
                .iter()
                .map(|pr| ReportLine {
                    row: pr.row,
                    stem: pr.stem.clone().unwrap_or_default(),
                    text: pr.messages.join(" "),
                })
                .collect(),
            duplicates: p
                .report
                .duplicates
                .iter()
                .map(|d| {
                    let with = match (d.same_as_row, d.same_as_question) {
                        (Some(r), _) => format!("{unit} {r} của cùng tệp"),
                        (None, Some(q)) => format!("câu #{q} đã có trong ngân hàng"),
                        _ => String::new(),
                    };
                    ReportLine { row: d.row, stem: d.stem.clone().unwrap_or_default(), text: with }
                })
                .collect(),
            file_name: p.file_name,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/import.html")]
struct ImportPage {
    frame: Option<Frame>,
    notice: Option<String>,
    error: Option<String>,
    slug: String,
    title: String,
    preview: Option<PreviewView>,
    imported: Option<usize>,
}

async fn import_view(
    s: &AppState,
    staff: &Staff,
    slug: &str,
    preview: Option<PreviewView>,
    error: Option<String>,
    imported: Option<usize>,
) -> PageResult {
    let c = s.engine.contest_for(staff, slug, Action::EditBank).await?;
    let status = if error.is_some() || preview.as_ref().is_some_and(|p| !p.file_errors.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(private((
        status,
        ImportPage {
            frame: Some(Frame::of(staff)),
            notice: None,
            error,
            slug: slug.to_string(),
            title: c.stored.contest.title.clone(),
            preview,
            imported,
        },
    )))
}

pub(super) async fn import_page(Console { s, staff, path: slug }: Console) -> PageResult {
    import_view(&s, &staff, &slug, None, None, None).await
}

/// Stages the uploaded file and sends the browser to the page of its reading, which runs in the
/// background (see `import_jobs`): a bank of thousands of questions takes seconds to read.
pub(super) async fn upload(Console { s, staff, path: slug }: Console, multipart: Multipart) -> PageResult {
    // The role first: a refusal must not depend on the file.
    s.engine.contest_for(&staff, &slug, Action::EditBank).await?;
    match super::the_file(multipart).await {
        Ok((name, bytes)) => {
            let staged = s.engine.stage_questions(&staff, &slug, &name, &bytes).await?;
            s.imports.start(&s.engine, &staff, &slug, staged);
            Ok(see_other(&format!("/admin/cuoc-thi/{slug}/nhap-cau-hoi/{staged}")))
        }
        Err(message) => import_view(&s, &staff, &slug, None, Some(message), None).await,
    }
}

/// How long the page of a reading waits for it before showing the progress instead: a small
/// file's report then comes at once.
const REPORT_WAIT: Duration = Duration::from_millis(400);

#[derive(Template, WebTemplate)]
#[template(path = "admin/import_progress.html")]
struct ProgressPage {
    frame: Option<Frame>,
    notice: Option<String>,
    slug: String,
    title: String,
    staged: i64,
    text: String,
    done: u64,
    total: u64,
}

/// The page of a reading: its report when done, else its progress (refreshed by the page itself
/// without JavaScript, by `import.js` with it).
pub(super) async fn import_job(Console { s, staff, path: (slug, staged) }: Console<(String, i64)>) -> PageResult {
    let c = s.engine.contest_for(&staff, &slug, Action::EditBank).await?;
    let mut seen = s.imports.look(&s.engine, &staff, &slug, staged);
    if matches!(seen, Seen::Running(_)) {
        s.imports.wait(&staff, staged, REPORT_WAIT).await;
        seen = s.imports.look(&s.engine, &staff, &slug, staged);
    }
    match seen {
        Seen::Done(Ok(preview)) => import_view(&s, &staff, &slug, Some(PreviewView::of(preview)), None, None).await,
        // Gone (imported, too old, or never this account's): the upload form, and why.
        Seen::Done(Err(e)) if e.status == StatusCode::NOT_FOUND => {
            let page = import_view(&s, &staff, &slug, None, Some(e.message), None).await?;
            Ok((StatusCode::NOT_FOUND, page).into_response())
        }
        Seen::Done(Err(e)) => Err(e),
        Seen::Running(p) => Ok(private(ProgressPage {
            frame: Some(Frame::of(&staff)),
            notice: None,
            title: c.stored.contest.title.clone(),
            slug,
            staged,
            text: progress_text(&p),
            done: p.done,
            total: p.total,
        })),
    }
}

/// `import.js`'s question: how far the reading has got, as JSON.
pub(super) async fn import_progress(Console { s, staff, path: (slug, staged) }: Console<(String, i64)>) -> PageResult {
    s.engine.contest_for(&staff, &slug, Action::EditBank).await?;
    let body = match s.imports.look(&s.engine, &staff, &slug, staged) {
        Seen::Done(_) => serde_json::json!({"finished": true}),
        Seen::Running(p) => serde_json::json!({
            "finished": false,
            "stage": p.stage,
            "done": p.done,
            "total": p.total,
            "text": progress_text(&p),
        }),
    };
    Ok(private(axum::Json(body)))
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    #[serde(default)]
    skip_invalid: Option<String>,
}

pub(super) async fn confirm(
    Console { s, staff, path: (slug, staged) }: Console<(String, i64)>,
    Form(f): Form<ConfirmForm>,
) -> PageResult {
    match s.engine.confirm_import(&staff, &slug, staged, f.skip_invalid.is_some()).await {
        Ok(report) => {
            s.imports.forget(&staff, staged);
            Ok(see_other(&format!("/admin/cuoc-thi/{slug}/cau-hoi?da-nhap={}", report.imported)))
        }
        Err(EngineError::Import(report)) => {
            let message =
                format!("Tệp có {} câu lỗi; hãy đánh dấu bỏ qua các câu lỗi hoặc sửa tệp.", report.problems.len());
            import_view(&s, &staff, &slug, None, Some(message), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page a reading shows until its report: refreshed by itself without JavaScript, by
    /// `import.js` (a file, no inline script) with it.
    #[test]
    fn the_progress_page_refreshes_itself_without_javascript() {
        let page = ProgressPage {
            frame: None,
            notice: None,
            slug: "thi-thu".into(),
            title: "Thi thử".into(),
            staged: 12,
            text: "Đang đọc tệp… 1.234/5.678 KB".into(),
            done: 1_263_616,
            total: 5_814_272,
        }
        .render()
        .unwrap_or_default();
        assert!(page.contains(r#"<noscript><meta http-equiv="refresh" content="1"></noscript>"#), "{page}");
        assert!(page.contains(r#"data-progress-url="/admin/cuoc-thi/thi-thu/nhap-cau-hoi/12/tien-do""#));
        assert!(page.contains(r#"<progress aria-labelledby="dang-doc" value="1263616" max="5814272"></progress>"#));
        assert!(page.contains("Đang đọc tệp… 1.234/5.678 KB"));
        assert!(page.contains(&format!(r#"<script src="{}" defer></script>"#, crate::assets::IMPORT_JS.url())));
        assert!(!page.contains("<script>"));
    }
}
