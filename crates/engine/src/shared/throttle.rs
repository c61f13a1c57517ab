//! Throttling of guesses: staff sign-in, participants' identification (key + date of birth) and
//! the results look-up. Each try is counted *before* anything is checked, in one atomic statement
//! of the store (`take_try`), so tries sent at once cannot all pass one reading of the count: of
//! any number of parallel tries, at most the free ones of a key are checked before it must wait.
//! A try that was not a guess (a success, or one refused by another of its keys before anything
//! was checked) is given back.

use chrono::Duration;
use cuocthi_store::ThrottleRule;

use crate::{Engine, EngineError, Result};

const fn rule(free: i64, max_wait: Duration, forget_after: Duration) -> ThrottleRule {
    ThrottleRule { free, max_wait_ms: max_wait.num_milliseconds(), forget_after_ms: forget_after.num_milliseconds() }
}

/// Staff sign-in, per (account, address): 5 free tries, then 1 s, 2 s, 4 s… up to 15 minutes.
pub const STAFF_PAIR: ThrottleRule = rule(5, Duration::minutes(15), Duration::days(1));
/// Staff sign-in, per account from any address: guessing spread over many addresses.
pub const STAFF_ACCOUNT: ThrottleRule = rule(20, Duration::minutes(15), Duration::days(1));
/// Staff sign-in, per address whatever the account (an office shares one address).
pub const STAFF_ADDRESS: ThrottleRule = rule(50, Duration::minutes(15), Duration::days(1));
/// A participant's identity key in one contest (identification, registration of a known key,
/// the results look-up together): 5 free tries, then 1 s, 2 s… up to 6 hours. A CCCD gives the
/// birth year, so at most 366 dates are left: past the free tries the next 14 cost about 4½
/// hours together and each after them 6 hours, so trying every date takes about three months.
/// The cost: someone guessing makes the real person wait too (a success clears the key, and the
/// device they registered on keeps its session).
pub const PERSON_KEY: ThrottleRule = rule(5, Duration::hours(6), Duration::days(2));
/// Participants' identification per client address: a school shares one address, so generous.
pub const PERSON_ADDRESS: ThrottleRule = rule(100, Duration::minutes(15), Duration::hours(1));
/// The results look-up per client address.
pub const LOOKUP_ADDRESS: ThrottleRule = rule(10, Duration::minutes(15), Duration::days(1));

/// The longest a rule remembers a quiet key (`forget_after`, [`PERSON_KEY`]'s): a row untouched
/// for longer, and no longer waiting, is what a try would start again from anyway.
const LONGEST_MEMORY: Duration = Duration::days(2);

/// The keys a try was counted under; give them back or keep them.
#[must_use]
pub(crate) struct Taken(Vec<String>);

impl Engine {
    /// Deletes the throttle rows every rule has forgotten (run by the server now and then), so
    /// that guessing from many addresses or at many keys does not grow the table for ever.
    pub async fn forget_old_tries(&self) -> Result<u64> {
        Ok(self.store.forget_throttles(self.now() - LONGEST_MEMORY).await?)
    }

    /// Counts one try under every `(key, rule)`, in order; refuses with the wait left of the first
    /// key that must wait (and then gives back what this call counted: nothing is checked).
    pub(crate) async fn take_try(&self, keys: &[(&str, ThrottleRule)]) -> Result<Taken> {
        let now = self.now();
        let mut taken: Vec<String> = Vec::with_capacity(keys.len());
        for (key, rule) in keys {
            if self.store.take_try(key, now, rule).await?.is_none() {
                for k in &taken {
                    self.store.give_back_try(k).await?;
                }
                let left = match self.store.throttle(key).await? {
                    Some(t) => t.blocked_until - now.timestamp_millis(),
                    None => 0,
                };
                return Err(EngineError::Throttled(((left + 999) / 1000).max(1)));
            }
            taken.push(key.to_string());
        }
        Ok(Taken(taken))
    }

    /// The try was a success: the keys in `reset` start again from zero (a person's own key), the
    /// others get this try back (a shared address keeps counting only failures).
    pub(crate) async fn try_succeeded(&self, taken: Taken, reset: &[&str]) -> Result<()> {
        for k in &taken.0 {
            if reset.contains(&k.as_str()) {
                self.store.clear_throttle(k).await?;
            } else {
                self.store.give_back_try(k).await?;
            }
        }
        Ok(())
    }

    /// The try was no guess after all (e.g. a form sent without its second step): give it back.
    pub(crate) async fn give_back(&self, taken: Taken) -> Result<()> {
        for k in &taken.0 {
            self.store.give_back_try(k).await?;
        }
        Ok(())
    }
}

impl Taken {
    /// The try counts as a failure: nothing more to do (it was counted when taken).
    pub(crate) fn failed(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rule_remembers_longer_than_the_sweep_keeps() {
        for rule in [STAFF_PAIR, STAFF_ACCOUNT, STAFF_ADDRESS, PERSON_KEY, PERSON_ADDRESS, LOOKUP_ADDRESS] {
            assert!(rule.forget_after_ms <= LONGEST_MEMORY.num_milliseconds());
            assert!(rule.max_wait_ms <= LONGEST_MEMORY.num_milliseconds(), "a wait outlives the sweep");
        }
    }
}
