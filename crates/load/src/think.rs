//! Think time, the pause a person takes between answers: shared by the scenarios and by the
//! connections of the `connections` mode (a phone's connection idles for as long).

use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;

/// Think time between answers: uniform in `min..=max` milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Think {
    pub min_ms: u64,
    pub max_ms: u64,
}

impl Think {
    pub const NONE: Think = Think { min_ms: 0, max_ms: 0 };

    /// `0`, `250` or `30000-90000`.
    pub fn parse(s: &str) -> Result<Think, String> {
        let num = |x: &str| x.trim().parse::<u64>().map_err(|_| format!("{x:?} is not a number of milliseconds"));
        let (min_ms, max_ms) = match s.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => (num(s)?, num(s)?),
        };
        if min_ms > max_ms {
            return Err(format!("think time {min_ms}-{max_ms}: the minimum is above the maximum"));
        }
        if max_ms > 3_600_000 {
            return Err("think time above an hour: a round's time limit is shorter".into());
        }
        Ok(Think { min_ms, max_ms })
    }

    pub fn is_zero(&self) -> bool {
        self.max_ms == 0
    }

    pub fn sample(&self, rng: &mut StdRng) -> Duration {
        Duration::from_millis(if self.is_zero() { 0 } else { rng.random_range(self.min_ms..=self.max_ms) })
    }

    /// The time left until the next answer of someone already in the middle of an attempt: the
    /// residual of a renewal process in its steady state, whose density is proportional to
    /// P(think > t). Starting every taker with a full think time would make the first
    /// `min` seconds silent and then a burst; this spreads them as a real steady state does.
    pub fn residual(&self, rng: &mut StdRng) -> Duration {
        if self.is_zero() {
            return Duration::ZERO;
        }
        let (lo, hi) = (self.min_ms as f64, self.max_ms as f64);
        loop {
            let t = rng.random_range(0.0..=hi);
            let survive = if t <= lo || hi <= lo { 1.0 } else { (hi - t) / (hi - lo) };
            if rng.random_bool(survive.clamp(0.0, 1.0)) {
                // `t` lies in 0..=max_ms, a u64, so the cast neither truncates nor loses a sign.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 ≤ t ≤ max_ms")]
                return Duration::from_millis(t as u64);
            }
        }
    }
}
