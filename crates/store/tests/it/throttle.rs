//! The throttle's count and check are one statement: tries sent at once cannot all read the same
//! count (issue 13).

use chrono::{Duration, TimeZone, Utc};
use cuocthi_store::{ConsoleStore, ThrottleRule};
use cuocthi_testkit::{TestDb, on_both_backends};

on_both_backends!(
    two_hundred_parallel_tries_pass_at_most_the_free_ones,
    waits_double_up_to_the_cap_and_are_forgotten,
    quiet_keys_are_swept_and_waiting_ones_kept
);

const RULE: ThrottleRule = ThrottleRule { free: 5, max_wait_ms: 8_000, forget_after_ms: 86_400_000 };

async fn two_hundred_parallel_tries_pass_at_most_the_free_ones(db: TestDb) {
    let store = db.store().await;
    let now = Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap();
    let tries: Vec<_> = (0..200)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take_try("k", now, &RULE).await.expect("take") })
        })
        .collect();
    let mut passed = 0;
    for t in tries {
        passed += usize::from(t.await.expect("task").is_some());
    }
    assert_eq!(passed, 5, "of 200 tries at once, exactly the free ones pass");
    let row = store.throttle("k").await.unwrap().expect("row");
    assert_eq!((row.failures, row.blocked_until), (5, now.timestamp_millis() + 1000));
}

async fn waits_double_up_to_the_cap_and_are_forgotten(db: TestDb) {
    let store = db.store().await;
    let mut now = Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap();
    let mut waits = Vec::new();
    for _ in 0..9 {
        let row = store.take_try("k", now, &RULE).await.unwrap().expect("not waiting");
        let wait = row.blocked_until - now.timestamp_millis();
        waits.push(wait);
        // One millisecond early is still too early.
        if wait > 0 {
            assert!(store.take_try("k", now + Duration::milliseconds(wait - 1), &RULE).await.unwrap().is_none());
        }
        now += Duration::milliseconds(wait);
    }
    assert_eq!(waits, vec![0, 0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
    // A try given back does not go below zero; a quiet day starts again.
    store.give_back_try("k").await.unwrap();
    assert_eq!(store.throttle("k").await.unwrap().unwrap().failures, 8);
    let later = now + Duration::days(2);
    assert_eq!(store.take_try("k", later, &RULE).await.unwrap().unwrap().failures, 1);
    store.clear_throttle("k").await.unwrap();
    assert!(store.throttle("k").await.unwrap().is_none());
}

/// Rows of keys nobody has tried since a moment are deleted; a key still waiting at that moment,
/// or tried since, stays.
async fn quiet_keys_are_swept_and_waiting_ones_kept(db: TestDb) {
    let store = db.store().await;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap();
    let strict = ThrottleRule { free: 1, max_wait_ms: 60_000, forget_after_ms: 86_400_000 };
    store.take_try("quiet", t0, &RULE).await.unwrap().expect("first try");
    let waiting = store.take_try("waiting", t0, &strict).await.unwrap().expect("first try");
    assert_eq!(waiting.blocked_until, t0.timestamp_millis() + 1000, "waits a second");
    store.take_try("recent", t0 + Duration::days(2), &RULE).await.unwrap().expect("first try");
    assert_eq!(store.forget_throttles(t0).await.unwrap(), 0, "nothing tried before that moment");
    assert_eq!(store.forget_throttles(t0 + Duration::milliseconds(500)).await.unwrap(), 1);
    assert!(store.throttle("quiet").await.unwrap().is_none());
    assert!(store.throttle("waiting").await.unwrap().is_some(), "still waiting then");
    assert!(store.throttle("recent").await.unwrap().is_some());
}
