//! Participants as staff see them: search by name, CCCD, phone or unit, their attempts, and
//! merging a person registered twice. Personal data is masked unless the role needs it.

use cuocthi_domain::text;
use cuocthi_store::{AttemptRow, ParticipantRow};
use serde::Serialize;
use serde_json::json;

use super::access::{Action, Staff};
use crate::{Engine, EngineError, Result};

/// Most people one search returns.
pub const SEARCH_LIMIT: usize = 200;

/// A participant with personal data masked or not, as the viewer's role allows.
#[derive(Clone, Debug, Serialize)]
pub struct PersonView {
    pub id: i64,
    pub full_name: String,
    pub key: String,
    pub cccd: String,
    pub phone: String,
    pub email: String,
    pub date_of_birth: String,
    pub unit: String,
    pub locality: String,
    pub registered_vn: String,
}

fn mask_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 4 {
        return "****".into();
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}****{tail}")
}

impl Engine {
    fn person_view(
        &self,
        by: &Staff,
        contest_id: i64,
        p: &ParticipantRow,
        unit: String,
        locality: String,
    ) -> PersonView {
        let open = by.can(Action::SeePersonalData, Some(contest_id));
        let who = &p.identity;
        PersonView {
            id: p.id,
            full_name: who.full_name.clone().unwrap_or_default(),
            key: if open { p.person_key.clone() } else { mask_text(&p.person_key) },
            cccd: who.cccd.as_ref().map(|c| if open { c.as_str().to_string() } else { c.masked() }).unwrap_or_default(),
            phone: who
                .phone
                .as_ref()
                .map(|c| if open { c.as_str().to_string() } else { c.masked() })
                .unwrap_or_default(),
            email: who.email.as_deref().map(|e| if open { e.to_string() } else { mask_text(e) }).unwrap_or_default(),
            date_of_birth: match (open, who.date_of_birth) {
                (true, Some(d)) => d.format("%d/%m/%Y").to_string(),
                (false, Some(d)) => d.format("%Y").to_string(),
                _ => String::new(),
            },
            unit,
            locality,
            registered_vn: cuocthi_domain::vntime::format(p.created_at),
        }
    }

    /// Finds participants: digits or an e-mail look up the identity key, CCCD or phone exactly;
    /// words match names without regard to marks. A unit coordinator sees only their units.
    pub async fn find_people(&self, by: &Staff, slug: &str, query: &str, unit: &str) -> Result<Vec<PersonView>> {
        let c = self.contest_for(by, slug, Action::ViewParticipants).await?;
        let id = c.stored.contest.id;
        let scope = by.unit_scope(id).map(|units| self.units_within(&c.spec.units, &units));
        let query = query.trim();
        let unit = Some(unit.trim()).filter(|u| !u.is_empty());
        let exact =
            !query.is_empty() && (query.chars().all(|ch| ch.is_ascii_digit() || ch == '+') || query.contains('@'));
        let rows = if exact || query.is_empty() {
            let key = exact.then(|| cuocthi_domain::identity::normalise_key(query));
            let limit = i64::try_from(SEARCH_LIMIT).unwrap_or(i64::MAX);
            self.store.participants_matching(id, key.as_deref(), unit, limit).await?
        } else {
            let words: Vec<String> = text::fold(query).split_whitespace().map(str::to_string).collect();
            self.store
                .participants_of(id)
                .await?
                .into_iter()
                .filter(|p| unit.is_none_or(|u| p.identity.unit.as_deref() == Some(u)))
                .filter(|p| {
                    let name = text::fold(p.identity.full_name.as_deref().unwrap_or_default());
                    words.iter().all(|w| name.contains(w.as_str()))
                })
                .take(SEARCH_LIMIT)
                .collect()
        };
        let found: Vec<PersonView> = rows
            .iter()
            .filter(|p| scope.as_ref().is_none_or(|s| p.identity.unit.as_ref().is_some_and(|u| s.contains(u))))
            .map(|p| {
                let unit = crate::shared::naming::unit_name(&c, p.identity.unit.as_deref()).unwrap_or_default();
                let locality =
                    crate::shared::naming::locality_name(&c, p.identity.locality.as_deref()).unwrap_or_default();
                self.person_view(by, id, p, unit, locality)
            })
            .collect();
        // Who looked at personal data (Luật 91/2025): the kind of search, never what was typed.
        let kind = if query.is_empty() {
            "list"
        } else if exact {
            "key"
        } else {
            "name"
        };
        let detail = json!({"query": kind, "unit": unit, "results": found.len(),
            "unmasked": by.can(Action::SeePersonalData, Some(id))});
        self.record(Some(by), "personal.search", Some(id), &format!("contest:{id}"), detail).await?;
        Ok(found)
    }

    /// `units` and every unit below them.
    pub(crate) fn units_within(&self, all: &[cuocthi_domain::contest::UnitSpec], units: &[String]) -> Vec<String> {
        let mut out: Vec<String> = units.to_vec();
        let mut i = 0;
        while i < out.len() {
            let parent = out[i].clone();
            for u in all.iter().filter(|u| u.parent.as_deref() == Some(parent.as_str())) {
                if !out.contains(&u.code) {
                    out.push(u.code.clone());
                }
            }
            i += 1;
        }
        out
    }

    /// One participant and their attempts.
    pub async fn person(&self, by: &Staff, slug: &str, id: i64) -> Result<(PersonView, Vec<AttemptRow>)> {
        let c = self.contest_for(by, slug, Action::ViewParticipants).await?;
        let p = self.participant_in(c.stored.contest.id, id).await?;
        if let Some(units) = by.unit_scope(c.stored.contest.id) {
            let within = self.units_within(&c.spec.units, &units);
            if !p.identity.unit.as_ref().is_some_and(|u| within.contains(u)) {
                return Err(EngineError::Forbidden);
            }
        }
        let attempts = self.store.attempts_of(id).await?;
        let unmasked = by.can(Action::SeePersonalData, Some(c.stored.contest.id));
        self.record(
            Some(by),
            "personal.view",
            Some(c.stored.contest.id),
            &format!("participant:{id}"),
            json!({"unmasked": unmasked}),
        )
        .await?;
        let unit = crate::shared::naming::unit_name(&c, p.identity.unit.as_deref()).unwrap_or_default();
        let locality = crate::shared::naming::locality_name(&c, p.identity.locality.as_deref()).unwrap_or_default();
        Ok((self.person_view(by, c.stored.contest.id, &p, unit, locality), attempts))
    }

    /// Merges a person registered twice into one: the attempts of `merged` move to `kept`.
    pub async fn merge_people(&self, by: &Staff, slug: &str, kept: i64, merged: i64, reason: &str) -> Result<()> {
        let c = self.contest_for(by, slug, Action::MergeParticipants).await?;
        if reason.trim().chars().count() < 5 {
            return Err(EngineError::BadRequest("Hãy ghi rõ lý do gộp (ít nhất 5 ký tự).".into()));
        }
        if kept == merged {
            return Err(EngineError::BadRequest("Hãy chọn hai người khác nhau.".into()));
        }
        let id = c.stored.contest.id;
        let (a, b) = (self.participant_in(id, kept).await?, self.participant_in(id, merged).await?);
        if !self.store.merge_participants(kept, merged).await? {
            return Err(EngineError::Conflict(
                "Cả hai đang có lượt thi chưa nộp trong cùng một đợt; hãy chờ nộp bài rồi gộp.".into(),
            ));
        }
        self.record(
            Some(by),
            "participant.merge",
            Some(id),
            &format!("participant:{kept}"),
            // Ids, not identity keys: the chain is never purged, so it holds no CCCD.
            json!({"reason": reason.trim(), "kept_id": a.id, "merged_id": b.id}),
        )
        .await?;
        // Who was whose first attempt changed: the statistics are counted again.
        self.recount_statistics(id).await.map(|_| ())
    }
}
