//! Staff passwords (issue 13, item 5): one's own password changes only with the current one, and
//! guesses of the current one are counted against the account like failed sign-ins, so a session
//! left open cannot be used to try passwords at leisure.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use cuocthi_engine::console::{Role, SignIn};
use cuocthi_engine::{Engine, EngineError, ManualClock};
use cuocthi_testkit::{TestDb, on_both_backends};

on_both_backends!(guesses_of_the_current_password_are_throttled_and_change_nothing);

/// The free tries of an account (`cuocthi_engine::shared::throttle::STAFF_ACCOUNT`).
const ACCOUNT_FREE: usize = 20;

async fn guesses_of_the_current_password_are_throttled_and_change_nothing(db: TestDb) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap()));
    let e = Engine::new(db.dyn_store().await, clock.clone()).await.unwrap();
    let password = "mật khẩu rất dài 2026";
    e.create_account("btc", password.into(), Role::Viewer).await.unwrap();
    let sign_in = SignIn { username: "btc", password, code: None, address: "10.0.0.1" };
    let session = e.sign_in(sign_in).await.unwrap();
    let staff = e.staff(&session.token).await.unwrap();
    let (mut checked, mut throttled) = (0, 0);
    for i in 0..25 {
        let guess = format!("đoán sai số {i}");
        match e.change_own_password(&staff, &guess, "mật khẩu mới rất dài".into()).await {
            Err(EngineError::BadRequest(m)) => {
                assert_eq!(m, "Mật khẩu hiện tại không đúng; mật khẩu chưa được đổi.");
                checked += 1;
            }
            Err(EngineError::Throttled(_)) => throttled += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((checked, throttled), (ACCOUNT_FREE, 25 - ACCOUNT_FREE));
    assert!(e.staff(&session.token).await.is_ok(), "the session goes on");
    // Nothing changed: after the wait the old password signs in, and changes with itself given.
    clock.advance(Duration::hours(1));
    let sign_in = SignIn { username: "btc", password, code: None, address: "10.0.0.1" };
    assert!(e.sign_in(sign_in).await.is_ok());
    clock.advance(Duration::hours(1));
    e.change_own_password(&staff, password, "mật khẩu mới rất dài".into()).await.unwrap();
    assert!(e.staff(&session.token).await.is_err(), "every session ends with the change");
}
