//! `cuocthi results verify`: recomputes a published ranking from the raw answers — every attempt
//! scored again from its draw, its answers and the key — and checks it against the publication,
//! and the audit chain against the digest the publication carries; the collective prizes with the
//! structure the version stored; the in-person event's teams from the stored score sheets, each
//! sheet also against the audit entry that recorded it. Any difference is named.

use std::collections::HashMap;

use cuocthi_domain::attempt::{self, Key};
use cuocthi_domain::ranking::{self, Scored};
use cuocthi_store::{AttemptRow, AuditFilter, RoundRow};

use crate::shared::catalog::CachedContest;
use crate::shared::ranking::{EventInputs, RoundResults};
use crate::shared::views::{CollectiveView, EventResultsView, RankingView, TeamRankingRow, UnitRankingRow};
use crate::{Engine, EngineError, Result};

/// Attempts re-scored per read.
const PAGE: i64 = 5_000;

/// What a verification found.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    pub attempts_checked: u64,
    pub audit_entries: u64,
    /// Submitted attempts (of every contest) checked against their seals in the audit chain.
    pub sealed_checked: u64,
    /// The audit chain's digest now.
    pub audit_digest: String,
    /// Every difference found, in Vietnamese, naming the row; empty when all holds.
    pub problems: Vec<String>,
}

impl Engine {
    /// Verifies the published results of round `number` (or the overall ones with `None`).
    pub async fn verify_results(&self, slug: &str, number: Option<i64>) -> Result<Verification> {
        let c = self.contest_by_slug(slug).await?;
        let mut out = self.verify_common(&c).await?;
        let round_id = number.map(|n| Self::round_by_number(&c, n).map(|r| r.id)).transpose()?;
        // The version carrying the collective results is checked against every round's answers.
        let with_collective = Self::collective_scope(&c) == Some(round_id);
        let rounds: Vec<RoundRow> = match round_id {
            Some(id) if !with_collective => c.stored.rounds.iter().filter(|r| r.id == id).cloned().collect(),
            _ => c.stored.rounds.clone(),
        };
        let published = self
            .store
            .published_ranking(c.stored.contest.id, round_id)
            .await?
            .ok_or(EngineError::NotFound("kết quả đã công bố"))?;
        let published_at = published.published_at;
        let published: RankingView =
            serde_json::from_str(&published.body).map_err(|e| EngineError::Internal(e.into()))?;
        self.verify_digest(&published, &mut out.problems).await?;
        // The disqualifications that stood when the committee approved this version.
        let excluded = self.exclusions(c.stored.contest.id, Some(published_at.timestamp_millis())).await?;
        let mut rescored = Vec::new();
        for r in &rounds {
            let mut scored = self.rescore(r, &mut out).await?;
            scored.retain(|s| excluded.keeps(s));
            rescored.push((r, scored));
        }
        let mut per_round = Vec::with_capacity(rescored.len());
        for (r, scored) in &rescored {
            per_round.push(self.rank_scored(&c, r, scored.clone()).await?);
        }
        let results = match round_id {
            Some(id) => per_round.iter().find(|r| r.round_id == id).cloned().ok_or(EngineError::NotFound("đợt thi"))?,
            None => self.overall_from(&c, rescored).await?,
        };
        let winners: Vec<i64> = results.awards.iter().map(|a| a.participant_id).collect();
        let people = self.store.participants_by_id(&winners).await?.into_iter().map(|p| (p.id, p)).collect();
        let mut recomputed = self.public_view(&c, &results, round_id, &people);
        if with_collective {
            // With the structure the committee approved (stored in the version), not today's definition.
            let prizes = match &published.collective_structure {
                Some(s) => {
                    let changed = s
                        .prizes
                        .iter()
                        .flat_map(|p| &p.tiers)
                        .any(|t| (t.count, t.amount_vnd) != (t.defined_count, t.defined_amount_vnd));
                    if changed && s.reason.is_none() {
                        out.problems.push(
                            "Cơ cấu giải tập thể của bản công bố khác định nghĩa mà không ghi lý do của Hội đồng."
                                .into(),
                        );
                    }
                    Self::collective_prizes_of(&c, s)
                }
                None => c.spec.settings.collective_prizes.clone(),
            };
            recomputed.collective = Self::collective_view(&c, &self.collective_of(&c, &per_round, &prizes).await?);
        }
        compare(&published, &recomputed, &mut out.problems);
        compare_collective(&published.collective, &recomputed.collective, &mut out.problems);
        Ok(out)
    }

    /// Verifies the published results of the in-person event: the audit chain and the digest the
    /// publication carries, then the team ranking and prizes recomputed from the stored sheets,
    /// answers, adjustments and lots with the prize levels the version applied.
    pub async fn verify_event_results(&self, slug: &str) -> Result<Verification> {
        let c = self.contest_by_slug(slug).await?;
        let mut out = self.verify_common(&c).await?;
        let published = self
            .store
            .published_event(c.stored.contest.id)
            .await?
            .ok_or(EngineError::NotFound("kết quả hội thi đã công bố"))?;
        let published: RankingView =
            serde_json::from_str(&published.body).map_err(|e| EngineError::Internal(e.into()))?;
        self.verify_digest(&published, &mut out.problems).await?;
        let inputs = self.event_inputs(&c).await?.ok_or(EngineError::NotFound("hội thi trực tiếp"))?;
        let tiers = published.event.as_ref().map(|e| e.prizes.clone()).unwrap_or_else(|| Self::event_tiers(&c));
        let (recomputed, _) = Self::event_view(&c, &inputs, &tiers)?;
        compare_event(published.event.as_ref(), Some(&recomputed), &mut out.problems);
        self.verify_event_inputs(&c, &inputs, &mut out.problems).await?;
        Ok(out)
    }

    /// Each counted score sheet, and each knowledge-round entry the log recorded, against the
    /// newest audit entry that recorded it: the hash-chained log holds what the judge sent, so a
    /// row changed in the database afterwards is named even where the ranking does not move.
    async fn verify_event_inputs(
        &self,
        c: &CachedContest,
        inputs: &EventInputs,
        problems: &mut Vec<String>,
    ) -> Result<()> {
        let mut sheets: HashMap<(i64, i64, String), serde_json::Value> = HashMap::new();
        let mut answers: HashMap<(i64, String), i64> = HashMap::new();
        let mut before = None;
        loop {
            let filter = AuditFilter {
                contest_id: Some(c.stored.contest.id),
                action_prefix: Some("event.".into()),
                before_id: before,
                limit: PAGE,
                ..Default::default()
            };
            let page = self.store.audit_entries(&filter).await?;
            // Newest first: the first entry seen for a sheet or an answer is what stands.
            for a in &page {
                let Some(team) = a.subject.strip_prefix("team:").and_then(|t| t.parse::<i64>().ok()) else { continue };
                let d: serde_json::Value = serde_json::from_str(&a.detail).unwrap_or_default();
                let part = d["part"].as_str().unwrap_or_default().to_string();
                match a.action.as_str() {
                    "event.sheet_submit" => {
                        let judge = d["judge_id"].as_i64().unwrap_or_default();
                        sheets.entry((judge, team, part)).or_insert_with(|| d["scores"].clone());
                    }
                    "event.answers" => {
                        answers.entry((team, part)).or_insert(d["correct"].as_i64().unwrap_or(-1));
                    }
                    _ => {}
                }
            }
            match page.last() {
                Some(last) if i64::try_from(page.len()).is_ok_and(|n| n == PAGE) => before = Some(last.id),
                _ => break,
            }
        }
        let team =
            |id: i64| inputs.teams.iter().find(|t| t.id == id).map_or_else(|| format!("#{id}"), |t| t.name.clone());
        for s in inputs.sheets.iter().filter(|s| s.status == "submitted") {
            let stored: serde_json::Value = serde_json::from_str(&s.scores).unwrap_or_default();
            if sheets.get(&(s.judge_id, s.team_id, s.part_key.clone())) != Some(&stored) {
                problems.push(format!(
                    "Phiếu chấm #{} (giám khảo #{}, đội “{}”, phần “{}”) khác với điểm ghi trong nhật ký thao tác khi nộp.",
                    s.id,
                    s.judge_id,
                    team(s.team_id),
                    s.part_key
                ));
            }
        }
        for a in &inputs.answered {
            if answers.get(&(a.team, a.part.clone())).is_some_and(|logged| *logged != i64::from(a.correct)) {
                problems.push(format!(
                    "Số câu đúng của đội “{}” ở phần “{}” khác với nhật ký thao tác.",
                    team(a.team),
                    a.part
                ));
            }
        }
        Ok(())
    }

    /// The checks every verification starts with: the audit chain, the seals, the voids.
    async fn verify_common(&self, c: &CachedContest) -> Result<Verification> {
        let mut out = Verification::default();
        match self.verify_audit_chain().await? {
            Ok(check) => {
                out.audit_entries = check.entries;
                out.audit_digest = check.digest;
            }
            Err(e) => out.problems.push(e.to_string()),
        }
        out.sealed_checked = self.verify_seals(&mut out.problems).await?;
        self.verify_voids(c.stored.contest.id, &mut out.problems).await?;
        Ok(out)
    }

    /// The audit entry a publication names still has the hash it recorded.
    async fn verify_digest(&self, published: &RankingView, problems: &mut Vec<String>) -> Result<()> {
        if let (Some(id), Some(digest)) = (published.audit_last_id, &published.audit_digest) {
            match self.store.audit_entry(id).await? {
                Some(e) if &e.hash == digest => {}
                _ => problems.push(format!(
                    "Nhật ký thao tác không còn khớp với mã băm đã công bố (mục #{id}): lịch sử trước khi công bố đã bị sửa."
                )),
            }
        }
        Ok(())
    }

    /// Calls `each` with every submitted attempt of a round and the key of its questions
    /// (the correct original option), a page of attempts at a time.
    pub(crate) async fn each_submitted(
        &self,
        round: &RoundRow,
        mut each: impl FnMut(&AttemptRow, &dyn Fn(i64) -> Option<u8>),
    ) -> Result<()> {
        let mut after = 0;
        loop {
            let page = self.store.submitted_attempts(round.id, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let keys = self.keys_of(page.iter().map(|a| a.draw.as_slice())).await?;
            let key = |q: i64| keys.get(&q).copied();
            for a in &page {
                each(a, &key);
            }
        }
        Ok(())
    }

    /// Every submitted attempt of a round scored again; differences with the stored score go in
    /// `out.problems`. Returns the scores recomputed.
    async fn rescore(&self, round: &RoundRow, out: &mut Verification) -> Result<Vec<Scored>> {
        let (limit, closes) = (round.rules.time_limit_ms(), round.closes_at);
        let mut scored = Vec::new();
        let mut problems = Vec::new();
        // The committee's voids, which every score is derived with (checked against the audit
        // chain by `verify_voids`).
        let voids = self.voids(round.contest_id).await?;
        self.each_submitted(round, |a, key| {
            out.attempts_checked += 1;
            let tally = attempt::tally(&a.draw, &a.answers, |q| Key::of(key(q), voids.get(&q).copied()));
            let correct = tally.correct;
            let submitted_at = a.submitted_at.unwrap_or(a.deadline_at);
            let taken = attempt::time_taken_ms(a.started_at, submitted_at, limit, closes);
            if Some(correct) != a.correct {
                problems.push(format!(
                    "Lượt thi #{} (người dự thi #{}): điểm lưu là {} câu đúng, chấm lại từ câu trả lời được {correct}.",
                    a.id,
                    a.participant_id,
                    a.correct.map(|c| c.to_string()).unwrap_or_else(|| "trống".into())
                ));
            }
            if Some(taken) != a.time_taken_ms {
                problems.push(format!(
                    "Lượt thi #{}: thời gian làm bài lưu là {} ms, tính lại từ giờ bắt đầu và giờ nộp được {taken} ms.",
                    a.id,
                    a.time_taken_ms.unwrap_or_default()
                ));
            }
            scored.push(Scored {
                attempt_id: a.id,
                participant_id: a.participant_id,
                correct,
                questions: tally.questions,
                prediction: a.prediction,
                time_taken_ms: taken,
                submitted_at_ms: submitted_at.timestamp_millis(),
            });
        })
        .await?;
        out.problems.extend(problems);
        Ok(scored)
    }

    async fn overall_from(&self, c: &CachedContest, rounds: Vec<(&RoundRow, Vec<Scored>)>) -> Result<RoundResults> {
        let overall = c.spec.settings.overall.as_ref().ok_or(EngineError::NotFound("xếp hạng chung cuộc"))?;
        let inputs: Vec<(Vec<Scored>, Option<i64>)> = rounds
            .into_iter()
            .map(|(r, s)| {
                let real = self.figure(r, &s);
                (s, real)
            })
            .collect();
        let standings = ranking::rank_overall(&inputs, overall.mode, &overall.ranking_order);
        let awards = self.awards(c, &standings, &overall.prizes).await?;
        Ok(RoundResults { round_id: 0, round_name: "Chung cuộc".into(), real_figure: None, standings, awards })
    }
}

/// The published event results against those recomputed from the stored sheets, team by team.
pub(crate) fn compare_event(
    published: Option<&EventResultsView>,
    recomputed: Option<&EventResultsView>,
    problems: &mut Vec<String>,
) {
    let show = |t: Option<&TeamRankingRow>| match t {
        Some(t) => format!(
            "{} (hạng {}, tổng {}, các phần [{}], {})",
            t.team,
            t.rank,
            t.total,
            t.parts.iter().map(|p| p.clone().unwrap_or_else(|| "—".into())).collect::<Vec<_>>().join("; "),
            t.prize.clone().unwrap_or_else(|| "không giải".into())
        ),
        None => "không có".into(),
    };
    let (p, r) = (published.map_or(&[][..], |e| &e.teams), recomputed.map_or(&[][..], |e| &e.teams));
    for i in 0..p.len().max(r.len()) {
        let same = match (p.get(i), r.get(i)) {
            (Some(a), Some(b)) => {
                (a.rank, a.team_id, &a.parts, &a.adjustments, &a.total, &a.prize, a.amount_vnd, a.lot)
                    == (b.rank, b.team_id, &b.parts, &b.adjustments, &b.total, &b.prize, b.amount_vnd, b.lot)
            }
            _ => false,
        };
        if !same {
            problems.push(format!(
                "Kết quả hội thi, dòng {}: công bố {}, tính lại từ phiếu chấm {}.",
                i + 1,
                show(p.get(i)),
                show(r.get(i))
            ));
        }
    }
}

/// The published collective results against those recomputed from the answers, unit by unit.
pub(crate) fn compare_collective(
    published: &[CollectiveView],
    recomputed: &[CollectiveView],
    problems: &mut Vec<String>,
) {
    let show = |u: Option<&UnitRankingRow>| match u {
        Some(u) => {
            format!("{} (hạng {}, {} người, {})", u.unit, u.rank, u.participants, u.prize.clone().unwrap_or_default())
        }
        None => "không có".into(),
    };
    for i in 0..published.len().max(recomputed.len()) {
        let (p, r) = (published.get(i), recomputed.get(i));
        let name = p.or(r).map(|x| x.prize.as_str()).unwrap_or_default();
        let (pu, ru) = (p.map_or(&[][..], |x| &x.units), r.map_or(&[][..], |x| &x.units));
        for j in 0..pu.len().max(ru.len()) {
            if pu.get(j) != ru.get(j) {
                problems.push(format!(
                    "Giải tập thể “{name}”, dòng {}: công bố {}, tính lại {}.",
                    j + 1,
                    show(pu.get(j)),
                    show(ru.get(j))
                ));
            }
        }
    }
}

/// The published rows against the recomputed ones, row by row.
pub(crate) fn compare(published: &RankingView, recomputed: &RankingView, problems: &mut Vec<String>) {
    if published.real_figure != recomputed.real_figure {
        problems.push(format!(
            "Con số thực tế của câu hỏi dự đoán: công bố {:?}, tính lại {:?}.",
            published.real_figure, recomputed.real_figure
        ));
    }
    if published.participants != recomputed.participants {
        problems.push(format!(
            "Số người được xếp hạng: công bố {}, tính lại {}.",
            published.participants, recomputed.participants
        ));
    }
    let n = published.rows.len().max(recomputed.rows.len());
    for i in 0..n {
        let (p, r) = (published.rows.get(i), recomputed.rows.get(i));
        let same = match (p, r) {
            (Some(p), Some(r)) => {
                (p.rank, &p.name, p.correct, p.time_taken_ms, p.prediction, &p.prize, p.amount_vnd)
                    == (r.rank, &r.name, r.correct, r.time_taken_ms, r.prediction, &r.prize, r.amount_vnd)
            }
            _ => false,
        };
        if !same {
            let show = |row: Option<&crate::shared::views::RankingRow>| match row {
                Some(x) => format!(
                    "{} (hạng {}, {} câu đúng, {} ms, {})",
                    x.name,
                    x.rank,
                    x.correct,
                    x.time_taken_ms,
                    x.prize.clone().unwrap_or_default()
                ),
                None => "không có".into(),
            };
            problems.push(format!("Bảng công bố, dòng {}: công bố {}, tính lại {}.", i + 1, show(p), show(r)));
        }
    }
}
