//! Setting contests up from the console: a short form for a new contest with its first round,
//! the whole definition (the same TOML as `cuocthi contest import`) for everything else, and
//! opening a round. Edits of a contest that has begun are held to `unfair_changes`.

use std::sync::Arc;

use cuocthi_domain::contest::{
    ContestDef, ContestSettings, ContestSpec, DefError, Predicts, RoundDef, RoundRules, Tiebreak, unfair_changes,
};
use cuocthi_domain::ranking::Criterion;
use cuocthi_domain::vntime;
use cuocthi_store::RoundCounts;
use serde::Serialize;
use serde_json::json;

use super::access::{Action, Staff};
use crate::shared::catalog::CachedContest;
use crate::{Engine, EngineError, Result};

/// The short form for a new contest.
#[derive(Clone, Debug, Default)]
pub struct NewContest {
    pub slug: String,
    pub title: String,
    pub organiser: String,
    pub summary: String,
    pub audience: String,
    pub rules: String,
    pub round_name: String,
    /// Vietnam time, `HH:MM DD/MM/YYYY`.
    pub opens: String,
    pub closes: String,
    pub questions_per_attempt: u32,
    pub time_limit_minutes: u32,
    pub attempts_per_person: u32,
    /// The tiebreak question (câu hỏi dự đoán số người tham gia); empty for none.
    pub tiebreak_prompt: String,
}

/// A contest in the console's list.
#[derive(Clone, Debug, Serialize)]
pub struct ConsoleContest {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub organiser: String,
    pub rounds: Vec<ConsoleRound>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConsoleRound {
    pub id: i64,
    pub number: i64,
    pub name: String,
    pub opens_vn: String,
    pub closes_vn: String,
    /// `upcoming`, `open` or `closed`.
    pub phase: &'static str,
    pub counts: RoundCounts,
    pub questions_per_attempt: u32,
}

fn def_error(message: String) -> DefError {
    DefError { path: String::new(), message }
}

impl Engine {
    /// The contest `slug`, if the staff member may do `action` on it.
    pub async fn contest_for(&self, by: &Staff, slug: &str, action: Action) -> Result<Arc<CachedContest>> {
        let c = self.contest_by_slug(slug).await?;
        by.require(action, Some(c.stored.contest.id))?;
        Ok(c)
    }

    /// The contests a staff member has a role on (every contest for a system administrator).
    pub async fn console_contests(&self, by: &Staff) -> Result<Vec<ConsoleContest>> {
        let visible = by.contest_ids();
        let mut out = Vec::new();
        for row in self.store.list_contests().await? {
            if visible.as_ref().is_some_and(|ids| !ids.contains(&row.id)) {
                continue;
            }
            let c = self.contest_by_id(row.id).await?;
            out.push(self.console_contest(&c).await?);
        }
        // The newest first: the contest being set up is the one staff come for.
        out.reverse();
        Ok(out)
    }

    pub async fn console_contest(&self, c: &CachedContest) -> Result<ConsoleContest> {
        let now = self.now();
        let mut rounds = Vec::new();
        for (r, spec) in c.stored.rounds.iter().zip(&c.spec.rounds) {
            let phase = if now < r.opens_at {
                "upcoming"
            } else if now < r.closes_at {
                "open"
            } else {
                "closed"
            };
            rounds.push(ConsoleRound {
                id: r.id,
                number: r.number,
                name: r.name.clone(),
                opens_vn: vntime::format(r.opens_at),
                closes_vn: vntime::format(r.closes_at),
                phase,
                counts: self.store.round_counts(r.id).await?,
                questions_per_attempt: spec.rules.questions_per_attempt,
            });
        }
        let k = &c.stored.contest;
        Ok(ConsoleContest {
            id: k.id,
            slug: k.slug.clone(),
            title: k.title.clone(),
            organiser: k.organiser.clone(),
            rounds,
        })
    }

    /// Creates a contest with one round from the short form; the rest is set in its definition.
    pub async fn new_contest(&self, by: &Staff, form: &NewContest) -> Result<String> {
        by.require(Action::CreateContest, None)?;
        let prompt = form.tiebreak_prompt.trim();
        let tiebreak =
            (!prompt.is_empty()).then(|| Tiebreak { prompt: prompt.to_string(), predicts: Predicts::People });
        // Without a tiebreak question, the prediction criterion has nothing to compare.
        let ranking_order = Criterion::default_order()
            .into_iter()
            .filter(|c| tiebreak.is_some() || *c != Criterion::PredictionDistanceAsc)
            .collect();
        let def = ContestDef {
            slug: form.slug.trim().to_lowercase(),
            title: form.title.trim().into(),
            organiser: form.organiser.trim().into(),
            summary: form.summary.trim().into(),
            audience: form.audience.trim().into(),
            rules: form.rules.trim().into(),
            question_bank: None,
            settings: ContestSettings::default(),
            units: Vec::new(),
            registered: Vec::new(),
            rounds: vec![RoundDef {
                name: form.round_name.trim().into(),
                opens: form.opens.trim().into(),
                closes: form.closes.trim().into(),
                rules: RoundRules {
                    questions_per_attempt: form.questions_per_attempt,
                    quotas: Vec::new(),
                    time_limit_minutes: form.time_limit_minutes,
                    attempts_per_person: form.attempts_per_person,
                    grace_seconds: 15,
                    show_key_after_close: true,
                    tiebreak,
                    ranking_order,
                    prizes: Vec::new(),
                },
            }],
        };
        let spec = def.validate().map_err(EngineError::Definition)?;
        if self.store.contest_by_slug(&spec.slug).await?.is_some() {
            return Err(EngineError::Definition(vec![DefError {
                path: "slug".into(),
                message: format!("Đã có cuộc thi với địa chỉ \"{}\".", spec.slug),
            }]));
        }
        let id = self.store.insert_contest(&spec, self.now()).await?;
        self.record(
            Some(by),
            "contest.create",
            Some(id),
            &format!("contest:{id}"),
            json!({"after": for_the_chain(&def)}),
        )
        .await?;
        Ok(spec.slug)
    }

    /// The whole definition of a contest as TOML, for the editor.
    pub async fn definition(&self, by: &Staff, slug: &str) -> Result<String> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        Ok(ContestDef::from_spec(&c.spec).to_toml())
    }

    /// Replaces a contest's definition after checking it whole and checking that nothing unfair
    /// changes for rounds that have opened. Returns the (possibly new) slug.
    pub async fn save_definition(&self, by: &Staff, slug: &str, source: &str, reason: &str) -> Result<String> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        let def = ContestDef::from_toml(source).map_err(EngineError::Definition)?;
        let spec = def.validate().map_err(EngineError::Definition)?;
        let unfair = unfair_changes(&c.spec, &spec, self.now());
        if !unfair.is_empty() {
            return Err(EngineError::Definition(unfair.into_iter().map(def_error).collect()));
        }
        let id = c.stored.contest.id;
        if spec.slug != c.spec.slug && self.store.contest_by_slug(&spec.slug).await?.is_some() {
            return Err(EngineError::Definition(vec![def_error(format!(
                "Đã có cuộc thi với địa chỉ \"{}\".",
                spec.slug
            ))]));
        }
        if event_rules_changed(&c.spec, &spec) && self.event_has_begun(c.stored.contest.id).await? {
            return Err(EngineError::Definition(vec![def_error(
                "Hội thi đã có phiếu chấm hoặc câu trả lời: không được đổi các phần thi, tiêu chí, điểm tối đa, \
                 trọng số, cách tổng hợp điểm hay thứ tự xét khi bằng điểm."
                    .to_string(),
            )]));
        }
        let dropped = c.stored.rounds.iter().skip(spec.rounds.len());
        for r in dropped {
            if self.store.round_counts(r.id).await?.attempts > 0 {
                return Err(EngineError::Definition(vec![def_error(format!(
                    "Đợt {} đã có lượt thi: không được xoá.",
                    r.number
                ))]));
            }
        }
        let before = for_the_chain(&ContestDef::from_spec(&c.spec));
        self.store.update_contest(id, &spec, self.now()).await?;
        self.catalog.forget_contest(id);
        self.record(
            Some(by),
            "contest.update",
            Some(id),
            &format!("contest:{id}"),
            json!({"reason": reason.trim(), "before": before, "after": for_the_chain(&ContestDef::from_spec(&spec))}),
        )
        .await?;
        Ok(spec.slug)
    }

    /// Whether a judge's sheet or a knowledge answer of the event is stored.
    async fn event_has_begun(&self, contest_id: i64) -> Result<bool> {
        Ok(!self.store.event_sheets(contest_id, None).await?.is_empty()
            || !self.store.event_answers(contest_id).await?.is_empty())
    }

    /// Opens a round that has not opened yet, now; refused if the bank cannot fill an attempt.
    pub async fn open_round_now(&self, by: &Staff, slug: &str, number: i64) -> Result<()> {
        let c = self.contest_for(by, slug, Action::EditContest).await?;
        let now = self.now();
        let i = usize::try_from(number - 1)
            .ok()
            .filter(|i| *i < c.spec.rounds.len())
            .ok_or(EngineError::NotFound("đợt thi"))?;
        let round = &c.spec.rounds[i];
        if round.opens_at <= now {
            return Err(EngineError::Conflict("Đợt thi đã mở.".into()));
        }
        if round.closes_at <= now {
            return Err(EngineError::Conflict("Đợt thi đã qua thời điểm kết thúc; hãy sửa thời gian trước.".into()));
        }
        let bank = self.store.bank(c.stored.contest.id).await?;
        let need = round.rules.questions_per_attempt as usize;
        if bank.len() < need {
            return Err(EngineError::Conflict(format!(
                "Ngân hàng mới có {} câu hỏi, chưa đủ {} câu cho một lượt thi.",
                bank.len(),
                need
            )));
        }
        let mut spec = c.spec.clone();
        let before = vntime::format(spec.rounds[i].opens_at);
        spec.rounds[i].opens_at = now;
        self.store.update_contest(c.stored.contest.id, &spec, now).await?;
        self.catalog.forget_contest(c.stored.contest.id);
        self.record(
            Some(by),
            "round.open",
            Some(c.stored.contest.id),
            &format!("round:{}", c.stored.rounds[i].id),
            json!({"before": before, "after": vntime::format(now)}),
        )
        .await
    }
}

/// Whether what decides the in-person event's scores and places changed (its name and the team
/// size may change at any time).
fn event_rules_changed(old: &ContestSpec, new: &ContestSpec) -> bool {
    let rules =
        |s: &ContestSpec| s.settings.event.as_ref().map(|e| (e.parts.clone(), e.aggregation, e.tie_breaks.clone()));
    rules(old) != rules(new)
}

/// A definition as the audit chain keeps it. The registered lists and the exclusions name people
/// by CCCD or phone, and the chain is never purged (a purge must leave no CCCD anywhere), so the
/// chain keeps how many there are and a SHA-256 of each list instead; the lists themselves stay
/// in the contest's settings, where the lists' own audit entries count them.
fn for_the_chain(def: &ContestDef) -> String {
    use sha2::{Digest, Sha256};
    let mut d = def.clone();
    let registered = std::mem::take(&mut d.registered);
    let exclusions = std::mem::take(&mut d.settings.eligibility.exclusions);
    let digest = |lines: Vec<String>| format!("{:x}", Sha256::digest(lines.join("\n").as_bytes()));
    let registered_digest = digest(registered.iter().map(|p| format!("{}\t{}", p.unit, p.key)).collect());
    let excluded = exclusions.len();
    let exclusions_digest = digest(exclusions);
    format!(
        "{}\n# registered: {} (sha256 {registered_digest}); exclusions: {excluded} (sha256 {exclusions_digest})\n",
        d.to_toml().trim_end(),
        registered.len(),
    )
}
