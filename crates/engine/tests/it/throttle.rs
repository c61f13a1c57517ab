//! Guessing is throttled with the count and the check in one atomic step (issue 13): of 200
//! guesses sent at once, at most the free tries of a key are checked; the rest wait, told how long.

use chrono::Duration;
use cuocthi_engine::console::SignIn;
use cuocthi_engine::{Engine, EngineError, Role};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(
    parallel_identifications_check_at_most_the_limit,
    parallel_staff_sign_ins_check_at_most_the_limit,
    parallel_result_look_ups_check_at_most_the_limit,
    registration_never_hands_back_a_session_when_a_field_disagrees,
    a_contest_keyed_on_a_public_number_alone_is_refused,
);

/// The free tries of a person's key (`shared::throttle::PERSON_KEY`).
const PERSON_FREE: usize = 5;
/// …and of one address for identification (`PERSON_ADDRESS`) and the look-up (`LOOKUP_ADDRESS`).
const PERSON_ADDRESS_FREE: usize = 100;
const LOOKUP_ADDRESS_FREE: usize = 10;
/// Staff sign-in per (account, address) (`STAFF_PAIR`).
const STAFF_PAIR_FREE: usize = 5;

/// Sends one try per input at the same moment, the i-th made by `attempt(engine, i, input)`, and
/// counts the outcomes: (checked and refused, throttled); panics on anything else.
async fn at_once<T, F>(
    engine: &Engine,
    inputs: Vec<String>,
    refused: fn(&EngineError) -> bool,
    attempt: impl Fn(Engine, usize, String) -> F,
) -> (usize, usize)
where
    T: std::fmt::Debug + Send + 'static,
    F: Future<Output = Result<T, EngineError>> + Send + 'static,
{
    let tries: Vec<_> =
        inputs.into_iter().enumerate().map(|(i, input)| tokio::spawn(attempt(engine.clone(), i, input))).collect();
    let (mut checked, mut throttled) = (0, 0);
    for t in tries {
        match t.await.expect("task") {
            Err(e) if refused(&e) => checked += 1,
            Err(EngineError::Throttled(s)) => {
                assert!(s >= 1, "a wait of at least a second");
                throttled += 1;
            }
            other => panic!("unexpected: {other:?}"),
        }
    }
    (checked, throttled)
}

fn mismatch(e: &EngineError) -> bool {
    matches!(e, EngineError::IdentityMismatch)
}

/// 366 possible dates of one year: 200 of the wrong ones.
fn wrong_dates(year: i32) -> Vec<String> {
    (1..=12)
        .flat_map(|m| (1..=28).map(move |d| format!("{d:02}/{m:02}/{year}")))
        .filter(|d| d != "15/06/1990")
        .take(200)
        .collect()
}

/// The CCCDs of 200 people nobody registered: one address guessing many keys.
fn unknown_keys() -> Vec<String> {
    (0..200u32).map(|n| person(1000 + n, 1990).cccd.unwrap()).collect()
}

/// The fixture with person 1 (born 15/06/1990) registered, and that person's CCCD.
async fn with_person_one(db: TestDb) -> (Fixture, String) {
    let f = fixture(db, "").await;
    let p = person(1, 1990);
    register(&f.engine, "kiem-thu", &p).await;
    (f, p.cccd.unwrap())
}

async fn parallel_identifications_check_at_most_the_limit(db: TestDb) {
    let (f, cccd) = with_person_one(db).await;
    let (checked, throttled) = at_once(&f.engine, wrong_dates(1990), mismatch, |e, i, dob| {
        let cccd = cccd.clone();
        // From many addresses: the person's key alone must hold.
        async move { e.identify("kiem-thu", &cccd, &dob, &format!("10.1.{}.{}", i / 200, i % 200)).await }
    })
    .await;
    assert_eq!(checked + throttled, 200);
    assert!(checked <= PERSON_FREE, "{checked} of 200 parallel guesses were checked");
    assert_eq!(checked, PERSON_FREE, "the free tries are checked");
    // Even the right date waits now; once the wait is over it works and the key starts again.
    let r = f.engine.identify("kiem-thu", &cccd, "15/06/1990", "10.9.9.9").await;
    assert!(matches!(r, Err(EngineError::Throttled(1))), "{r:?}");
    f.clock.advance(Duration::seconds(1));
    f.engine.identify("kiem-thu", &cccd, "15/06/1990", "10.9.9.9").await.expect("the right date after the wait");
    for day in 1..=PERSON_FREE {
        let r = f.engine.identify("kiem-thu", &cccd, &format!("{day:02}/01/1990"), "10.9.9.9").await;
        assert!(matches!(r, Err(EngineError::IdentityMismatch)), "a success starts the key again: {r:?}");
    }

    // One address guessing many keys (unknown ones count like wrong dates) is held by the
    // address's own, higher limit; another address is not.
    let (checked, _) = at_once(&f.engine, unknown_keys(), mismatch, |e, _, cccd| async move {
        e.identify("kiem-thu", &cccd, "15/06/1990", "10.2.0.1").await
    })
    .await;
    assert_eq!(checked, PERSON_ADDRESS_FREE, "{checked} of 200 parallel guesses from one address were checked");
    let other = person(2, 1991);
    register(&f.engine, "kiem-thu", &other).await;
    f.engine
        .identify("kiem-thu", other.cccd.as_deref().unwrap(), "15/06/1991", "10.2.0.2")
        .await
        .expect("another address");
    let r = f.engine.identify("kiem-thu", other.cccd.as_deref().unwrap(), "15/06/1991", "10.2.0.1").await;
    assert!(matches!(r, Err(EngineError::Throttled(_))), "{r:?}");
}

async fn parallel_staff_sign_ins_check_at_most_the_limit(db: TestDb) {
    let f = fixture(db, "").await;
    let password = "mật khẩu rất dài 2026";
    f.engine.create_account("btc", password.into(), Role::SystemAdmin).await.unwrap();
    let guesses = (0..200).map(|i| format!("đoán sai số {i}")).collect();
    let refused = |e: &EngineError| matches!(e, EngineError::SignInFailed(_));
    let (checked, throttled) = at_once(&f.engine, guesses, refused, |e, _, guess| async move {
        e.sign_in(SignIn { username: "btc", password: &guess, code: None, address: "203.0.113.8" }).await.map(|_| ())
    })
    .await;
    assert_eq!(checked + throttled, 200);
    assert!(checked <= STAFF_PAIR_FREE, "{checked} of 200 parallel sign-ins were checked");
    // The right password waits too from that address; after the wait it works.
    let right = SignIn { username: "btc", password, code: None, address: "203.0.113.8" };
    assert!(matches!(f.engine.sign_in(right).await, Err(EngineError::Throttled(_))));
    f.clock.advance(Duration::seconds(1));
    let right = SignIn { username: "btc", password, code: None, address: "203.0.113.8" };
    let r = f.engine.sign_in(right).await;
    // A system administrator without an authenticator yet signs in to set one up.
    assert!(r.is_ok() || matches!(r, Err(EngineError::SignInFailed(_))), "{:?}", r.err());
}

async fn parallel_result_look_ups_check_at_most_the_limit(db: TestDb) {
    let (f, cccd) = with_person_one(db).await;
    let (checked, throttled) = at_once(&f.engine, wrong_dates(1990), mismatch, |e, i, dob| {
        let cccd = cccd.clone();
        async move { e.own_standings("kiem-thu", &cccd, &dob, &format!("10.3.0.{i}")).await }
    })
    .await;
    assert_eq!(checked + throttled, 200);
    assert!(checked <= PERSON_FREE, "{checked} of 200 parallel look-ups of one key were checked");
    // One address, many keys.
    let (checked, _) = at_once(&f.engine, unknown_keys(), mismatch, |e, _, cccd| async move {
        e.own_standings("kiem-thu", &cccd, "15/06/1990", "10.4.0.1").await
    })
    .await;
    assert!(checked <= LOOKUP_ADDRESS_FREE, "{checked} of 200 parallel look-ups from one address were checked");
}

async fn registration_never_hands_back_a_session_when_a_field_disagrees(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let p = person(5, 1990);
    let first = e.register("kiem-thu", &p, true, "10.5.0.1").await.unwrap();
    // The same CCCD and date of birth with another name, phone or e-mail: the same refusal as a
    // wrong date, never the person's session.
    let mut other_name = p.clone();
    other_name.full_name = Some("Trần Thị Kẻ Gian".into());
    let mut other_phone = p.clone();
    other_phone.phone = Some("0987654321".into());
    for (n, who) in [other_name, other_phone].iter().enumerate() {
        let r = e.register("kiem-thu", who, true, "10.5.0.2").await;
        assert!(matches!(r, Err(EngineError::IdentityMismatch)), "{n}: {:?}", r.map(|s| s.participant.id));
    }
    let refusal = EngineError::IdentityMismatch.to_string();
    assert!(!refusal.contains("đã đăng ký"), "the refusal does not say the number is registered: {refusal}");
    // The same person, written in lower case without marks, is recognised.
    let mut same = p.clone();
    same.full_name = Some("nguyen van thu 5".into());
    let again = e.register("kiem-thu", &same, false, "10.5.0.1").await.unwrap();
    assert_eq!((again.participant.id, again.created), (first.participant.id, false));
    // Refusals count against the throttle of the person's key.
    let mut liar = p.clone();
    liar.full_name = Some("Trần Thị Kẻ Gian".into());
    for _ in 0..PERSON_FREE {
        assert!(matches!(e.register("kiem-thu", &liar, true, "10.5.0.3").await, Err(EngineError::IdentityMismatch)));
    }
    assert!(matches!(e.register("kiem-thu", &liar, true, "10.5.0.3").await, Err(EngineError::Throttled(_))));
    assert!(matches!(e.register("kiem-thu", &p, true, "10.5.0.1").await, Err(EngineError::Throttled(_))));
}

async fn a_contest_keyed_on_a_public_number_alone_is_refused(db: TestDb) {
    let f = fixture(db, "").await;
    let toml = contest_toml("chi-so-dien-thoai", "identity_key = \"phone\"").replace(
        "required_fields = [\"full_name\", \"date_of_birth\", \"cccd\", \"phone\"]",
        "required_fields = [\"full_name\", \"phone\"]",
    );
    match f.engine.import_contest(&toml, Some(("bank.csv", &bank_csv(10)))).await {
        Err(EngineError::Definition(errors)) => {
            let e = errors.iter().find(|e| e.path == "eligibility.required_fields").expect("{errors:?}");
            assert!(e.message.contains("số điện thoại") && e.message.contains("date_of_birth"), "{}", e.message);
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(f.engine.contest("chi-so-dien-thoai").await.is_err(), "nothing was stored");
}
