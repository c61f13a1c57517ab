//! What participants and the public read of results: the published rankings, a person's own
//! places (found with their key and date of birth), and the check of a certificate's serial.

use crate::shared::catalog::CachedContest;
use crate::shared::certificates::{CertificateData, OwnStanding, PublishedResults, TAG_LEN};
use crate::shared::throttle::{LOOKUP_ADDRESS, PERSON_KEY};
use crate::shared::token::Claims;
use crate::shared::views::{CollectiveView, RankingView};
use crate::{Engine, EngineError, Result};
use cuocthi_domain::identity::normalise_key;
use cuocthi_domain::{text, vntime};

impl Engine {
    /// The newest publication of each round and of the overall ranking, rounds first.
    pub async fn public_results(&self, slug: &str) -> Result<Vec<PublishedResults>> {
        let c = self.contest_by_slug(slug).await?;
        let scopes: Vec<Option<i64>> =
            c.stored.rounds.iter().map(|r| Some(r.id)).chain(std::iter::once(None)).collect();
        let mut out = Vec::new();
        for scope in scopes {
            if let Some(p) = self.store.published_ranking(c.stored.contest.id, scope).await? {
                let view: RankingView = serde_json::from_str(&p.body).map_err(|e| EngineError::Internal(e.into()))?;
                let serials = (0..view.rows.len()).map(|i| self.serial(p.id, i)).collect();
                out.push(PublishedResults { ranking_id: p.id, version: p.version, view, serials });
            }
        }
        Ok(out)
    }

    /// A participant's own places in the published rankings of a contest, found by their key
    /// (CCCD, or what the contest identifies people by) and date of birth. An unknown key and a
    /// wrong date give the same refusal, so the form cannot be used to probe who took part. Each
    /// try is counted before it is checked, per person's key (shared with identification) and per
    /// address (10 free tries, then 1 s, 2 s, 4 s… 15 min): see `shared::throttle`.
    pub async fn own_standings(
        &self,
        slug: &str,
        key: &str,
        date_of_birth: &str,
        address: &str,
    ) -> Result<Vec<OwnStanding>> {
        let c = self.contest_by_slug(slug).await?;
        let key = normalise_key(&text::clean(key));
        let dob = vntime::parse_date(date_of_birth).map_err(EngineError::BadRequest)?;
        let (key_throttle, address_throttle) = self.person_throttles(&c, &key, "lookup", address);
        let taken = self.take_try(&[(&key_throttle, PERSON_KEY), (&address_throttle, LOOKUP_ADDRESS)]).await?;
        let row = self.store.participant_by_key(c.stored.contest.id, &key).await?;
        let Some(person) = row.filter(|p| p.identity.date_of_birth == Some(dob)) else {
            taken.failed();
            return Err(EngineError::IdentityMismatch);
        };
        self.try_succeeded(taken, &[&key_throttle]).await?;
        self.places_of(&c, person.id).await
    }

    /// The signed-in participant's own places in the published rankings of their contest.
    pub async fn my_places(&self, who: Claims) -> Result<Vec<OwnStanding>> {
        let c = self.contest_by_id(who.contest_id).await?;
        self.places_of(&c, who.participant_id).await
    }

    async fn places_of(&self, c: &CachedContest, pid: i64) -> Result<Vec<OwnStanding>> {
        let mut out = Vec::new();
        for p in self.public_results(&c.spec.slug).await? {
            let standing = self.store.standing_in(p.ranking_id, pid).await?;
            out.push(OwnStanding {
                round_id: p.view.round_id,
                version: p.version,
                public_id: self.public_id(c.stored.contest.id, pid),
                title: p.view.title.clone(),
                ranked: p.view.participants,
                place: standing.as_ref().map(|s| s.place),
                correct: standing.as_ref().map(|s| s.correct),
                time_taken_ms: standing.as_ref().map(|s| s.time_taken_ms),
                prize: standing.and_then(|s| s.prize),
            });
        }
        Ok(out)
    }

    /// The certificate a serial names, if the serial is genuine.
    pub async fn certificate(&self, serial: &str) -> Result<CertificateData> {
        let missing = || EngineError::NotFound("giấy chứng nhận với số hiệu này");
        let mut parts = serial.splitn(3, '-');
        let (Some(id), Some(row), Some(tag)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(missing());
        };
        let (Ok(id), Ok(row)) = (id.parse::<i64>(), row.parse::<usize>()) else { return Err(missing()) };
        if row == 0 || !self.signer.check_tag(&format!("certificate:{id}-{row}"), tag) || tag.len() != TAG_LEN {
            return Err(missing());
        }
        // Only versions shown to the public have certificates anyone can verify.
        let (version, _) = self.store.published_by_id(id).await?.ok_or_else(missing)?;
        if version.public_at.is_none() {
            return Err(missing());
        }
        let newest = self.store.published_ranking(version.contest_id, version.round_id).await?;
        let superseded = newest.is_some_and(|n| n.id != id);
        let all = self.certificates_of(id).await?;
        let mut one = all.into_iter().nth(row - 1).ok_or_else(missing)?;
        one.superseded = superseded;
        Ok(one)
    }

    /// The published collective prizes of a contest: those locked with the newest public version
    /// of the ranking that carries them. `NotFound` until that version is public.
    pub async fn published_collective(&self, slug: &str) -> Result<Vec<CollectiveView>> {
        let c = self.contest_by_slug(slug).await?;
        let scope = Self::collective_scope(&c).ok_or(EngineError::NotFound("giải tập thể của cuộc thi"))?;
        let p = self
            .store
            .published_ranking(c.stored.contest.id, scope)
            .await?
            .ok_or(EngineError::NotFound("kết quả giải tập thể đã công bố"))?;
        let view: RankingView = serde_json::from_str(&p.body).map_err(|e| EngineError::Internal(e.into()))?;
        Ok(view.collective)
    }

    /// The published results of a round, by its id.
    pub async fn published_round(&self, round_id: i64) -> Result<RankingView> {
        let round = self.store.round(round_id).await?.ok_or(EngineError::NotFound("đợt thi"))?;
        let c = self.contest_by_id(round.contest_id).await?;
        self.published(&c.spec.slug, Some(round_id)).await
    }

    /// The published results of a round (`Some(round_id)`) or the overall ones (`None`).
    pub async fn published(&self, slug: &str, round_id: Option<i64>) -> Result<RankingView> {
        let c = self.contest_by_slug(slug).await?;
        let p = self
            .store
            .published_ranking(c.stored.contest.id, round_id)
            .await?
            .ok_or(EngineError::NotFound("kết quả đã công bố"))?;
        let mut view: RankingView = serde_json::from_str(&p.body).map_err(|e| EngineError::Internal(e.into()))?;
        view.version = Some(p.version);
        Ok(view)
    }
}
