//! The judges' review, disqualification, and approval in versions: a disqualification after
//! approval changes the draft, not the approved version; the next version needs a reason, is
//! public only when published, and verifies against the disqualifications that stood when it was
//! approved; participants look up their own place.

use chrono::Duration;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::review::Target;
use cuocthi_engine::participant::attempts::Origin;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(a_disqualification_after_approval_makes_a_new_version);

async fn a_disqualification_after_approval_makes_a_new_version(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let by = system_admin();
    let round = f.round;
    let mut attempts = Vec::new();
    // Person n answers n questions right; people 0–2 share one browser; person 4 rushes.
    for n in 0..6u32 {
        let who = register(e, "kiem-thu", &person(n, 1990)).await;
        let device = if n < 3 { "thiet-bi-chung".to_string() } else { format!("thiet-bi-{n}") };
        let origin = Origin { address: "10.0.0.1".parse().ok(), device: Some(device) };
        let a = e.start_from(who, round, &origin).await.unwrap();
        let keys = e.attempt(who, a.id).await.unwrap();
        for (pos, _) in keys.questions.iter().enumerate().take(n as usize) {
            e.save_answer(who, a.id, pos, Some(0)).await.unwrap();
        }
        f.clock.advance(Duration::seconds(if n == 4 { 5 } else { 40 }));
        e.submit(who, a.id, Some(6)).await.unwrap();
        attempts.push((who.participant_id, a.id));
    }
    f.clock.advance(Duration::hours(3));

    let listed = e.review_list(&by, "kiem-thu", 1).await.unwrap();
    let reasons = |pid: i64| -> Vec<String> {
        listed.iter().filter(|s| s.participant_id == pid).flat_map(|s| s.reasons.clone()).collect()
    };
    for (pid, _) in &attempts[..3] {
        assert!(reasons(*pid).iter().any(|r| r.contains("thiết bị") && r.contains("3 người")), "{listed:?}");
    }
    assert!(reasons(attempts[4].0).iter().any(|r| r.starts_with("Làm bài quá nhanh")), "{listed:?}");
    assert!(reasons(attempts[5].0).is_empty(), "{listed:?}");

    // Version 1: approved (locked, not yet public), then published.
    let v1 = e.approve_as(&by, "kiem-thu", Some(1), "").await.unwrap();
    assert!(e.published("kiem-thu", Some(round)).await.is_err(), "approved is not yet public");
    e.make_public_as(&by, "kiem-thu", v1).await.unwrap();
    let public = e.published("kiem-thu", Some(round)).await.unwrap();
    assert_eq!(public.version, Some(1));
    let winner = public.rows[0].name.clone();
    assert_eq!(e.draft_changes(&by, "kiem-thu", Some(1)).await.unwrap(), Some(vec![]));

    // The judge disqualifies the winner: the draft changes, the approved version does not.
    f.clock.advance(Duration::minutes(5));
    let top = e.round_results("kiem-thu", 1).await.unwrap().standings[0].participant_id;
    let short = e.disqualify(&by, "kiem-thu", Target::Person(top), "gì").await;
    assert!(matches!(short, Err(EngineError::BadRequest(_))), "a reason is required");
    let dq =
        e.disqualify(&by, "kiem-thu", Target::Person(top), "Dùng chung thiết bị với hai người khác").await.unwrap();
    assert!(e.round_results("kiem-thu", 1).await.unwrap().standings.iter().all(|s| s.participant_id != top));
    let changes = e.draft_changes(&by, "kiem-thu", Some(1)).await.unwrap().unwrap();
    assert!(!changes.is_empty());
    assert_eq!(e.published("kiem-thu", Some(round)).await.unwrap().rows[0].name, winner);
    assert!(e.verify_results("kiem-thu", Some(1)).await.unwrap().problems.is_empty(), "v1 still verifies");

    // Version 2 needs a reason; it is public only once published.
    f.clock.advance(Duration::minutes(5));
    let again = e.approve_as(&by, "kiem-thu", Some(1), "  ").await;
    assert!(matches!(again, Err(EngineError::BadRequest(_))), "{again:?}");
    let v2 = e.approve_as(&by, "kiem-thu", Some(1), "Loại người đoạt giải Nhất theo biên bản số 2").await.unwrap();
    assert_eq!(e.published("kiem-thu", Some(round)).await.unwrap().version, Some(1));
    e.make_public_as(&by, "kiem-thu", v2).await.unwrap();
    let public = e.published("kiem-thu", Some(round)).await.unwrap();
    assert_eq!(public.version, Some(2));
    assert_ne!(public.rows[0].name, winner);
    let versions = e.ranking_versions(&by, "kiem-thu", Some(1)).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(versions[0].reason.as_deref(), Some("Loại người đoạt giải Nhất theo biên bản số 2"));
    assert!(versions.iter().all(|v| v.public_at.is_some()));
    assert!(e.verify_results("kiem-thu", Some(1)).await.unwrap().problems.is_empty());

    // Lifting the disqualification changes the draft again; version 2 verifies as approved.
    f.clock.advance(Duration::minutes(5));
    e.lift_disqualification(&by, "kiem-thu", dq, "Đã xác minh: hai người kia là người nhà").await.unwrap();
    assert!(!e.draft_changes(&by, "kiem-thu", Some(1)).await.unwrap().unwrap().is_empty());
    let v = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);

    // The winner's certificate of version 1 still verifies, and says it was superseded.
    let v1_serial = e.public_results("kiem-thu").await.unwrap();
    assert!(v1_serial.iter().all(|p| p.ranking_id == v2));
    let certs = e.certificates_of(v1).await.unwrap();
    let old = e.certificate(&certs[0].serial).await.unwrap();
    assert!(old.superseded && old.recipient == winner);

    // Participants look up their own place with their CCCD and date of birth; the person
    // disqualified before version 2 has no place in it; a wrong date is refused like an unknown key.
    for ((pid, _), n) in attempts.iter().zip(0u32..) {
        let cccd = person(n, 1990).cccd.unwrap();
        let mine = e.own_standings("kiem-thu", &cccd, "15/06/1990", "10.0.0.1").await.unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].place.is_none(), *pid == top, "{n}: {mine:?}");
        assert_eq!(mine[0].ranked, 5);
        let wrong = e.own_standings("kiem-thu", &cccd, "16/06/1990", "10.0.0.2").await;
        assert!(matches!(wrong, Err(EngineError::IdentityMismatch)), "{wrong:?}");
    }
    // Guessing one person's date of birth is slowed after 5 refusals of their key, whatever the
    // address (the right date waits too); other people's keys are not.
    let cccd = person(1, 1990).cccd.unwrap();
    for day in 1..=4 {
        let r = e.own_standings("kiem-thu", &cccd, &format!("0{day}/01/1990"), "10.0.0.2").await;
        assert!(matches!(r, Err(EngineError::IdentityMismatch)), "{day}: {r:?}");
    }
    let r = e.own_standings("kiem-thu", &cccd, "05/01/1990", "10.0.0.2").await;
    assert!(matches!(r, Err(EngineError::Throttled(_))), "{r:?}");
    let r = e.own_standings("kiem-thu", &cccd, "15/06/1990", "10.0.0.3").await;
    assert!(matches!(r, Err(EngineError::Throttled(_))), "{r:?}");
    let other = person(2, 1990).cccd.unwrap();
    assert!(e.own_standings("kiem-thu", &other, "15/06/1990", "10.0.0.3").await.is_ok());
}

/// The same inputs give the same ranking, prizes, tiebreak figure and publication on SQLite and
/// on PostgreSQL: 400 synthetic people (ties included: scores out of 6), one disqualified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgresql_rank_the_same_inputs_the_same_way() {
    let mut outcomes = Vec::new();
    for db in [TestDb::sqlite().await, TestDb::postgres().await] {
        let f = fixture(db, "").await;
        let e = &f.engine;
        cuocthi_engine::demo::synthetic(e, "kiem-thu", 1, 400, 42).await.unwrap();
        f.clock.advance(Duration::hours(3));
        e.sweep().await.unwrap();
        let before = e.round_results("kiem-thu", 1).await.unwrap();
        let third = before.standings[2].participant_id;
        e.disqualify(&system_admin(), "kiem-thu", Target::Person(third), "Kiểm tra tính nhất quán").await.unwrap();
        let after = e.round_results("kiem-thu", 1).await.unwrap();
        let mut published = e.publish("kiem-thu", Some(1), None).await.unwrap();
        published.published_at = None;
        published.audit_digest = None;
        // Public ids are keyed with each database's own secret.
        published.rows.iter_mut().for_each(|r| r.public_id = None);
        let view = serde_json::to_string(&published).unwrap();
        outcomes.push((
            serde_json::to_string(&(&before.standings, &before.awards, before.real_figure)).unwrap(),
            serde_json::to_string(&(&after.standings, &after.awards)).unwrap(),
            view,
        ));
    }
    assert_eq!(outcomes[0].0, outcomes[1].0, "the draft ranking");
    assert_eq!(outcomes[0].1, outcomes[1].1, "after a disqualification");
    assert_eq!(outcomes[0].2, outcomes[1].2, "the publication");
}
