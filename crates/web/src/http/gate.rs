//! The gate in front of starts. A start is the costliest request of the participant's path (a
//! draw, a write, 20 questions of JSON), and a herd at a round's opening can bring more than the
//! server does in a second. Beyond `Limits::max_starts` starts in progress in this process a new
//! one is refused at once (503 with `Retry-After`): those admitted are answered within about a
//! second (2,000 is 0.4–0.7 s of starts on the 2-core node of docs/PERFORMANCE.md), the others
//! learn at once to come back rather than wait their turn for up to the 30-s timeout, and the
//! answers of the people already in an attempt, which take no place, keep flowing beside the
//! herd. It sits below the server-wide limit of requests in flight (`Limits::max_in_flight`),
//! which would refuse the answers too.

use std::sync::atomic::{AtomicUsize, Ordering};

use cuocthi_engine::EngineError;

/// Counts starts in progress against a limit.
#[derive(Debug)]
pub struct StartGate {
    in_progress: AtomicUsize,
    limit: usize,
}

/// A start's place in the [`StartGate`], given back when dropped (the start answered, failed or
/// abandoned by its client).
pub struct StartPlace<'a>(&'a StartGate);

impl StartGate {
    pub fn new(limit: usize) -> StartGate {
        StartGate { in_progress: AtomicUsize::new(0), limit }
    }

    /// A place, or the refusal (503 with `Retry-After`) when `limit` starts are in progress.
    pub fn enter(&self) -> Result<StartPlace<'_>, EngineError> {
        self.in_progress
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.limit).then_some(n + 1))
            .map(|_| StartPlace(self))
            .map_err(|_| EngineError::Unavailable("overloaded: too many starts in progress".into()))
    }
}

impl Drop for StartPlace<'_> {
    fn drop(&mut self) {
        self.0.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_given_back_when_its_start_ends() {
        let gate = StartGate::new(2);
        let a = gate.enter().expect("first");
        let b = gate.enter().expect("second");
        assert!(matches!(gate.enter(), Err(EngineError::Unavailable(_))), "a third start is refused at once");
        drop(a);
        let _c = gate.enter().expect("a place given back is taken again");
        drop(b);
        assert_eq!(gate.in_progress.load(Ordering::Acquire), 1);
    }

    /// 200 starts at once against 50 places: exactly 50 are let in while they hold their places,
    /// and every place is given back.
    #[test]
    fn two_hundred_at_once_take_exactly_the_places() {
        let gate = StartGate::new(50);
        let barrier = std::sync::Barrier::new(200);
        let admitted = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..200 {
                s.spawn(|| {
                    barrier.wait();
                    let place = gate.enter();
                    if place.is_ok() {
                        admitted.fetch_add(1, Ordering::AcqRel);
                    }
                    // Every thread holds what it got until all have tried.
                    barrier.wait();
                    drop(place);
                });
            }
        });
        assert_eq!(admitted.load(Ordering::Acquire), 50);
        assert_eq!(gate.in_progress.load(Ordering::Acquire), 0);
    }
}
