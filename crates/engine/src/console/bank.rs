//! The question bank as the secretariat works on it: search (accent-insensitive), filter, edit
//! (a new version; attempts keep the text they were asked), retire and restore, and imports that
//! show their report before anything is written.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cuocthi_domain::question::{Question, QuestionDraft};
use cuocthi_domain::text;
use cuocthi_store::{StagedFile, StoredQuestion};
use serde::Serialize;
use serde_json::json;

use super::access::{Action, Staff};
use crate::import::{ImportReport, Progress};
use crate::{Engine, EngineError, Result};

/// How long an uploaded file waits for its confirmation.
const STAGED_FOR: chrono::Duration = chrono::Duration::hours(2);

/// What to show of the bank.
#[derive(Clone, Debug, Default)]
pub struct BankQuery {
    /// Words looked for in the stem and options, without regard to marks or case.
    pub text: String,
    pub topic: String,
    /// `active`, `retired` or empty for both.
    pub status: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BankView {
    pub questions: Vec<StoredQuestion>,
    /// Every topic with its count of active questions.
    pub topics: Vec<(String, usize)>,
    pub active: usize,
    pub retired: usize,
}

/// An uploaded question file and what importing it would do.
#[derive(Clone, Debug, Serialize)]
pub struct ImportPreview {
    pub staged_id: i64,
    pub file_name: String,
    pub report: ImportReport,
    /// How many questions the confirmation would add.
    pub would_import: usize,
}

impl Engine {
    pub async fn bank_view(&self, by: &Staff, slug: &str, q: &BankQuery) -> Result<BankView> {
        let c = self.contest_for(by, slug, Action::ViewBank).await?;
        let all = self.store.current_questions(c.stored.contest.id).await?;
        let mut topics: BTreeMap<String, usize> = BTreeMap::new();
        for s in all.iter().filter(|s| s.status == "active") {
            *topics.entry(s.question.topic.clone()).or_default() += 1;
        }
        let words: Vec<String> = text::fold(&q.text).split_whitespace().map(str::to_string).collect();
        let (active, retired) =
            all.iter().fold((0, 0), |(a, r), s| if s.status == "active" { (a + 1, r) } else { (a, r + 1) });
        let questions = all
            .into_iter()
            .filter(|s| q.status.is_empty() || s.status == q.status)
            .filter(|s| q.topic.is_empty() || s.question.topic == q.topic)
            .filter(|s| {
                if words.is_empty() {
                    return true;
                }
                let hay = text::fold(&format!("{} {}", s.question.stem, s.question.options.join(" ")));
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect();
        Ok(BankView { questions, topics: topics.into_iter().collect(), active, retired })
    }

    /// One question with all its versions, oldest first.
    pub async fn question_versions(&self, by: &Staff, slug: &str, id: i64) -> Result<Vec<StoredQuestion>> {
        let c = self.contest_for(by, slug, Action::ViewBank).await?;
        let q = self.store.questions_by_id(&[id]).await?.into_iter().next().ok_or(EngineError::NotFound("câu hỏi"))?;
        if q.contest_id != c.stored.contest.id {
            return Err(EngineError::NotFound("câu hỏi"));
        }
        Ok(self.store.question_versions(q.lineage).await?)
    }

    fn checked(draft: &QuestionDraft) -> Result<Question> {
        draft.validate().map_err(|errors| {
            EngineError::BadRequest(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "))
        })
    }

    /// Adds one question typed in the console.
    pub async fn add_question(&self, by: &Staff, slug: &str, draft: &QuestionDraft) -> Result<i64> {
        let c = self.contest_for(by, slug, Action::EditBank).await?;
        let q = Engine::checked(draft)?;
        let fingerprint = q.fingerprint();
        if let Some(twin) =
            self.store.bank(c.stored.contest.id).await?.iter().find(|s| s.question.fingerprint() == fingerprint)
        {
            return Err(EngineError::BadRequest(format!("Câu hỏi này đã có trong ngân hàng (câu #{}).", twin.id)));
        }
        let id = self.store.insert_questions(c.stored.contest.id, std::slice::from_ref(&q), self.now()).await?;
        let id = id.first().copied().ok_or_else(|| EngineError::Internal("no id".into()))?;
        self.catalog.forget_bank(c.stored.contest.id);
        self.record(
            Some(by),
            "question.add",
            Some(c.stored.contest.id),
            &format!("question:{id}"),
            json!({"after": q}),
        )
        .await?;
        Ok(id)
    }

    /// Saves an edit as a new version; returns the new id.
    pub async fn revise(&self, by: &Staff, slug: &str, id: i64, draft: &QuestionDraft, reason: &str) -> Result<i64> {
        let versions = self.question_versions(by, slug, id).await?;
        let c = self.contest_for(by, slug, Action::EditBank).await?;
        let old = versions.iter().find(|v| v.id == id).ok_or(EngineError::NotFound("câu hỏi"))?;
        if old.status != "active" {
            return Err(EngineError::Conflict("Chỉ sửa được phiên bản đang dùng của câu hỏi.".into()));
        }
        let q = Engine::checked(draft)?;
        let new_id = self.store.revise_question(id, &q, self.now()).await?;
        self.catalog.forget_bank(c.stored.contest.id);
        self.record(
            Some(by),
            "question.revise",
            Some(c.stored.contest.id),
            &format!("question:{}", old.lineage),
            json!({"reason": reason.trim(), "from": id, "to": new_id, "before": old.question, "after": q}),
        )
        .await?;
        Ok(new_id)
    }

    /// Takes a question out of future draws (`retired`) or puts it back (`active`); attempts
    /// that drew it keep it.
    pub async fn set_question_status(&self, by: &Staff, slug: &str, id: i64, active: bool) -> Result<()> {
        let versions = self.question_versions(by, slug, id).await?;
        let c = self.contest_for(by, slug, Action::EditBank).await?;
        let old = versions.iter().find(|v| v.id == id).ok_or(EngineError::NotFound("câu hỏi"))?;
        let status = if active { "active" } else { "retired" };
        if !self.store.set_question_status(id, status).await? {
            return Err(EngineError::Conflict("Câu hỏi này đã có phiên bản mới hơn.".into()));
        }
        self.catalog.forget_bank(c.stored.contest.id);
        self.record(
            Some(by),
            if active { "question.restore" } else { "question.retire" },
            Some(c.stored.contest.id),
            &format!("question:{}", old.lineage),
            json!({"id": id, "before": old.status, "after": status}),
        )
        .await
    }

    /// Keeps an uploaded question file (for two hours) until its report is read and confirmed;
    /// returns its id, which [`Engine::preview_staged`] and [`Engine::confirm_import`] take. Kept
    /// in the database rather than in memory, so that any node can read and import it.
    pub async fn stage_questions(&self, by: &Staff, slug: &str, file_name: &str, bytes: &[u8]) -> Result<i64> {
        let c = self.contest_for(by, slug, Action::EditBank).await?;
        let now = self.now();
        self.store.drop_staged_file(0, now - STAGED_FOR).await?;
        Ok(self.store.stage_file(by.account_id, c.stored.contest.id, "questions", file_name, bytes, now).await?)
    }

    /// Reads a staged question file and reports what importing it would do; nothing enters the
    /// bank until [`Engine::confirm_import`]. The reading runs on a blocking thread, at most two
    /// files at once, and tells `progress` how far it has got.
    pub async fn preview_staged(
        &self,
        by: &Staff,
        slug: &str,
        staged_id: i64,
        progress: Arc<Progress>,
    ) -> Result<ImportPreview> {
        let c = self.contest_for(by, slug, Action::EditBank).await?;
        let contest_id = c.stored.contest.id;
        let _turn = self.reading.acquire().await.map_err(|e| EngineError::Internal(e.into()))?;
        let staged = self.staged_questions(by, contest_id, staged_id).await?;
        let existing: HashMap<String, i64> =
            self.store.bank(contest_id).await?.into_iter().map(|q| (q.question.fingerprint(), q.id)).collect();
        let kind = crate::import::FileKind::detect(&staged.file_name, &staged.body);
        let body = staged.body;
        let (report, valid) = tokio::task::spawn_blocking(move || {
            let (report, valid) = crate::import::check_file(&body, kind, &existing, &progress);
            (report, valid.len())
        })
        .await
        .map_err(|e| EngineError::Internal(e.into()))?;
        Ok(ImportPreview { staged_id, file_name: staged.file_name, would_import: valid, report })
    }

    /// A staged question file of this contest, uploaded by `by` (nobody else's).
    async fn staged_questions(&self, by: &Staff, contest_id: i64, staged_id: i64) -> Result<StagedFile> {
        self.store
            .staged_file(staged_id)
            .await?
            .filter(|f| f.account_id == by.account_id && f.contest_id == contest_id && f.purpose == "questions")
            .ok_or(EngineError::NotFound("tệp đang chờ nhập (có thể đã quá 2 giờ; hãy tải lên lại)"))
    }

    /// Imports a staged file after its report was read; rows with errors are left out only when
    /// the organiser says so.
    pub async fn confirm_import(
        &self,
        by: &Staff,
        slug: &str,
        staged_id: i64,
        skip_invalid: bool,
    ) -> Result<ImportReport> {
        let c = self.contest_for(by, slug, Action::EditBank).await?;
        let staged = self.staged_questions(by, c.stored.contest.id, staged_id).await?;
        let report = self.import_questions(slug, &staged.file_name, &staged.body, skip_invalid).await?;
        self.store.drop_staged_file(staged_id, self.now() - STAGED_FOR).await?;
        self.record(
            Some(by),
            "question.import",
            Some(c.stored.contest.id),
            &format!("file:{}", staged.file_name),
            json!({"imported": report.imported, "skipped_rows": report.problems.len(), "duplicates": report.duplicates.len()}),
        )
        .await?;
        Ok(report)
    }
}
