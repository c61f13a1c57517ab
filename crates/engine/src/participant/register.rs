//! Contests as participants see them, registration (đăng ký dự thi) and identification.

use chrono::Duration;
use cuocthi_domain::attempt::{self, Void};
use cuocthi_domain::identity::IdentityInput;
use cuocthi_domain::{text, vntime};
use cuocthi_store::{ParticipantRow, RoundPhase};

use crate::shared::catalog::CachedContest;
use crate::shared::naming::{locality_name, status_name, unit_name};
use crate::shared::throttle::{PERSON_ADDRESS, PERSON_KEY};
use crate::shared::token::Claims;
use crate::shared::views::*;
use crate::{Engine, EngineError, Result};

/// A participant token lasts until this many days after the contest's last round closes (so the
/// result and the key can still be read), and at least a week.
const TOKEN_DAYS_AFTER_CLOSE: i64 = 30;

/// The version of the personal-data consent text stored with each registration.
pub const CONSENT_VERSION: &str = "2025-07-01";

impl Engine {
    /// Every contest, newest first.
    pub async fn contests(&self) -> Result<Vec<ContestSummary>> {
        let now = self.now();
        let mut out = Vec::new();
        for row in self.store.list_contests().await?.into_iter().rev() {
            let c = self.contest_by_id(row.id).await?;
            let rounds = &c.stored.rounds;
            let (Some(first), Some(last)) =
                (rounds.iter().map(|r| r.opens_at).min(), rounds.iter().map(|r| r.closes_at).max())
            else {
                continue;
            };
            out.push(ContestSummary {
                slug: row.slug,
                title: row.title,
                organiser: row.organiser,
                summary: row.summary,
                phase: phase_name(contest_phase(rounds, now)).into(),
                opens_at: first,
                closes_at: last,
                opens_at_vn: vntime::format(first),
                closes_at_vn: vntime::format(last),
            });
        }
        Ok(out)
    }

    pub async fn contest(&self, slug: &str) -> Result<ContestView> {
        let c = self.contest_by_slug(slug).await?;
        let now = self.now();
        let mut rounds = Vec::new();
        for r in &c.stored.rounds {
            let counts = match self.catalog.counts(r.id) {
                Some(c) => c,
                None => {
                    let c = self.round_live_counts(c.stored.contest.id, r.id).await?;
                    self.catalog.put_counts(r.id, c);
                    c
                }
            };
            rounds.push(RoundView {
                id: r.id,
                number: r.number,
                name: r.name.clone(),
                phase: phase_name(r.phase(now)).into(),
                opens_at: r.opens_at,
                closes_at: r.closes_at,
                opens_at_vn: vntime::format(r.opens_at),
                closes_at_vn: vntime::format(r.closes_at),
                questions_per_attempt: r.rules.questions_per_attempt,
                time_limit_minutes: r.rules.time_limit_minutes,
                attempts_per_person: r.rules.attempts_per_person,
                tiebreak_prompt: r.rules.tiebreak.as_ref().map(|t| t.prompt.clone()),
                prizes: r
                    .rules
                    .prizes
                    .iter()
                    .map(|p| PrizeView { name: p.name.clone(), count: p.count, amount_vnd: p.amount_vnd })
                    .collect(),
                people: counts.people,
                attempts: counts.attempts,
                real_figure: r.real_figure,
            });
        }
        let s = &c.spec;
        let e = &s.settings.eligibility;
        Ok(ContestView {
            slug: s.slug.clone(),
            data_retention: s.settings.data_retention.clone(),
            title: s.title.clone(),
            organiser: s.organiser.clone(),
            summary: s.summary.clone(),
            audience: s.audience.clone(),
            rules: s.rules.clone(),
            required_fields: e.required_fields.iter().map(|f| f.name().to_string()).collect(),
            identity_key: e.identity_key.field().name().into(),
            min_age: e.min_age,
            groups: e.groups.iter().map(|g| CodeName { code: g.code.clone(), name: g.name.clone() }).collect(),
            units: s
                .units
                .iter()
                .map(|u| UnitView { code: u.code.clone(), name: u.name.clone(), parent: u.parent.clone() })
                .collect(),
            locality_scheme: serde_json::to_value(s.settings.locality_scheme)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            province_code: s.settings.province_code.clone(),
            rounds,
        })
    }

    /// Registers a person for a contest, or recognises them if their identity key is known and
    /// the date of birth and every other field they give agree with what they gave before (a
    /// known key is a try against the identification throttle, like [`Engine::identify`]). A new
    /// registration needs consent. `address` is the client's address, as the web layer trusts it.
    pub async fn register(&self, slug: &str, input: &IdentityInput, consent: bool, address: &str) -> Result<Session> {
        let c = self.contest_by_slug(slug).await?;
        let rules = &c.spec.settings.eligibility;
        let identity = input.validate(&c.spec).map_err(EngineError::InvalidIdentity)?;
        let key = identity.key(rules.identity_key).ok_or_else(|| {
            EngineError::InvalidIdentity(vec![cuocthi_domain::identity::FieldError {
                field: rules.identity_key.field().name().into(),
                message: format!("Vui lòng nhập {}.", rules.identity_key.field().label().to_lowercase()),
            }])
        })?;
        let contest_id = c.stored.contest.id;
        if let Some(existing) = self.store.participant_by_key(contest_id, &key).await? {
            return self.recognise(&c, &key, address, |p| p.identity.recognises(&identity), existing).await;
        }
        self.ensure_registration_open(&c)?;
        if !consent {
            return Err(EngineError::ConsentRequired);
        }
        let complete = identity.is_complete(rules);
        let now = self.now();
        let row = match self
            .store
            .insert_participant(contest_id, &key, &identity, complete, Some(CONSENT_VERSION), now)
            .await
        {
            Ok(row) => row,
            // Two registrations with the same key at once: the other one won; this one is
            // recognised against it like any registration of a known key.
            Err(cuocthi_store::StoreError::Conflict(_)) => {
                let existing = self
                    .store
                    .participant_by_key(contest_id, &key)
                    .await?
                    .ok_or(EngineError::NotFound("người dự thi"))?;
                return self.recognise(&c, &key, address, |p| p.identity.recognises(&identity), existing).await;
            }
            Err(e) => return Err(e.into()),
        };
        Ok(self.session(&row, &c, true))
    }

    /// Refuses a new registration once the last round has closed: personal data collected then
    /// would serve no attempt. Returning people are still recognised (to read their results).
    fn ensure_registration_open(&self, c: &CachedContest) -> Result<()> {
        let now = self.now();
        if contest_phase(&c.stored.rounds, now) != RoundPhase::Closed {
            return Ok(());
        }
        let closed = c.stored.rounds.iter().map(|r| r.closes_at).max().unwrap_or(now);
        Err(EngineError::Conflict(format!(
            "Cuộc thi đã kết thúc lúc {} (giờ Việt Nam); không nhận đăng ký mới.",
            vntime::format_long(closed)
        )))
    }

    /// A returning person: the identity key (CCCD by default) and the date of birth. Each try is
    /// counted before it is checked, per (contest, key) and per client address (see
    /// `shared::throttle`); an unknown key and a wrong date get the same refusal.
    pub async fn identify(&self, slug: &str, key: &str, date_of_birth: &str, address: &str) -> Result<Session> {
        let c = self.contest_by_slug(slug).await?;
        let key = cuocthi_domain::identity::normalise_key(&text::clean(key));
        let dob = vntime::parse_date(date_of_birth).map_err(EngineError::BadRequest)?;
        let row = self.store.participant_by_key(c.stored.contest.id, &key).await?;
        let same = |p: &ParticipantRow| p.identity.date_of_birth == Some(dob);
        match row {
            Some(p) => self.recognise(&c, &key, address, same, p).await,
            None => {
                // Counted like a wrong date, so the throttle does not tell which keys exist.
                let (key_throttle, address_throttle) = self.person_throttles(&c, &key, "id", address);
                let taken = self.take_try(&[(&key_throttle, PERSON_KEY), (&address_throttle, PERSON_ADDRESS)]).await?;
                taken.failed();
                Err(EngineError::IdentityMismatch)
            }
        }
    }

    /// The throttle keys of a person's key in a contest (a keyed tag: no CCCD stored in clear) and
    /// of a client address for the use `what`.
    pub(crate) fn person_throttles(&self, c: &CachedContest, key: &str, what: &str, address: &str) -> (String, String) {
        let tag = self.signer.tag(&format!("throttle:{}:{key}", c.stored.contest.id), 32);
        (format!("person|c:{}|k:{tag}", c.stored.contest.id), format!("{what}|a:{address}"))
    }

    /// Takes a try against the person's key and the address, then checks `same`: a session when
    /// it holds (the key starts again), the one refusal when not (the try stays counted).
    async fn recognise(
        &self,
        c: &CachedContest,
        key: &str,
        address: &str,
        same: impl Fn(&ParticipantRow) -> bool,
        existing: ParticipantRow,
    ) -> Result<Session> {
        let (key_throttle, address_throttle) = self.person_throttles(c, key, "id", address);
        let taken = self.take_try(&[(&key_throttle, PERSON_KEY), (&address_throttle, PERSON_ADDRESS)]).await?;
        if existing.identity.date_of_birth.is_some() && same(&existing) {
            self.try_succeeded(taken, &[&key_throttle]).await?;
            Ok(self.session(&existing, c, false))
        } else {
            taken.failed();
            Err(EngineError::IdentityMismatch)
        }
    }

    fn session(&self, p: &ParticipantRow, c: &CachedContest, created: bool) -> Session {
        let last_close = c.stored.rounds.iter().map(|r| r.closes_at).max().unwrap_or_else(|| self.now());
        let expires_at = (last_close + Duration::days(TOKEN_DAYS_AFTER_CLOSE)).max(self.now() + Duration::days(7));
        let token = self.signer.issue(Claims {
            participant_id: p.id,
            contest_id: c.stored.contest.id,
            expires_at: expires_at.timestamp(),
        });
        Session { token, expires_at, created, participant: participant_view(p, c) }
    }

    /// Checks a participant token.
    pub fn authenticate(&self, token: &str) -> Result<Claims> {
        self.signer.verify(token, self.now().timestamp()).ok_or(EngineError::Unauthenticated)
    }

    pub async fn me(&self, who: Claims) -> Result<MeView> {
        let c = self.contest_by_id(who.contest_id).await?;
        let p = self.store.participant(who.participant_id).await?.ok_or(EngineError::Unauthenticated)?;
        let attempts = self.store.attempts_of(p.id).await?;
        let voids = self.voids(c.stored.contest.id).await?;
        Ok(MeView {
            participant: participant_view(&p, &c),
            contest_slug: c.spec.slug.clone(),
            attempts: attempts
                .iter()
                .map(|a| AttemptSummary {
                    id: a.id,
                    round_id: a.round_id,
                    seq: a.seq,
                    status: status_name(a.status).into(),
                    started_at: a.started_at,
                    deadline_at: a.deadline_at,
                    correct: a.correct,
                    // A question dropped by the committee is no longer counted as asked.
                    questions: attempt::asked(&a.draw, |q| voids.get(&q) == Some(&Void::Drop)),
                    time_taken_ms: a.time_taken_ms,
                    submitted_at: a.submitted_at,
                })
                .collect(),
        })
    }
}

fn participant_view(p: &ParticipantRow, c: &CachedContest) -> ParticipantView {
    let who = &p.identity;
    ParticipantView {
        id: p.id,
        full_name: who.full_name.clone(),
        cccd_masked: who.cccd.as_ref().map(|x| x.masked()),
        phone_masked: who.phone.as_ref().map(|x| x.masked()),
        unit: unit_name(c, who.unit.as_deref()),
        locality: locality_name(c, who.locality.as_deref()),
        group: who
            .group
            .as_ref()
            .and_then(|g| c.spec.settings.eligibility.groups.iter().find(|x| &x.code == g))
            .map(|g| g.name.clone()),
        complete: p.complete,
    }
}
