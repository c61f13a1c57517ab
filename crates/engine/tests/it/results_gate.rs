//! Results a province can sign: no approval while an attempt can still change the ranking,
//! collective prizes approved, published and verified with the individual ones, and no new
//! registration once the contest is over.

use chrono::Duration;
use cuocthi_domain::vntime;
use cuocthi_engine::EngineError;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(
    no_publication_while_attempts_are_open_in_the_grace,
    collective_results_are_approved_published_and_verified,
    registration_after_the_last_round_closed_is_refused,
    an_approval_records_who_and_the_meeting,
);

fn refusal(r: Result<impl std::fmt::Debug, EngineError>) -> String {
    match r {
        Err(EngineError::Conflict(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Seed 004 played through the API: a publication during the grace after the close named a
/// winner with the figure 1, and two full scores came in seconds later.
async fn no_publication_while_attempts_are_open_in_the_grace(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let close = t0() + Duration::hours(2);
    let (early, a) = started(&f, &person(1, 1990)).await;
    e.submit(early, a.id, Some(3)).await.unwrap();
    f.clock.set(close - Duration::minutes(5));
    let (late, b) = started(&f, &person(2, 1990)).await;
    f.clock.set(close - Duration::minutes(2));
    let (left_open, _) = started(&f, &person(3, 1990)).await;

    // Inside the grace after the close: two attempts open, whose deadline is close + 10 s.
    f.clock.set(close + Duration::seconds(5));
    let message = refusal(e.publish("kiem-thu", Some(1), None).await);
    assert!(message.contains("còn 2 lượt thi chưa nộp bài"), "{message}");
    assert!(message.contains(&vntime::format_long(close + Duration::seconds(10))), "{message}");
    assert!(message.contains("giờ Việt Nam"), "{message}");
    let refused = e.approve_as(&system_admin(), "kiem-thu", Some(1), "").await;
    assert!(refusal(refused).contains("chưa nộp bài"));

    // One submits in the grace; the other is still open, and the figure is not frozen yet.
    let right = choice(e, b.id, 0, true).await;
    e.save_answer(late, b.id, 0, Some(right)).await.unwrap();
    e.submit(late, b.id, Some(3)).await.unwrap();
    assert!(refusal(e.publish("kiem-thu", Some(1), None).await).contains("còn 1 lượt thi"));

    // After the deadline the publication sweeps the last attempt, freezes the figure and passes.
    f.clock.set(close + Duration::seconds(11));
    let view = e.publish("kiem-thu", Some(1), None).await.unwrap();
    assert_eq!(view.real_figure, Some(3), "every person who submitted, the swept one included");
    assert_eq!(view.participants, 3);
    let row = e.store().attempts_of(left_open.participant_id).await.unwrap().remove(0);
    assert!(row.auto_submitted);
    let check = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

fn contest_with_units() -> String {
    asking_unit(
        "tap-the",
        r#"
[[units]]
code = "SO-B"
name = "Sở B"
headcount = 4

[[units]]
code = "SO-C"
name = "Sở C"
headcount = 50

[[collective_prizes]]
name = "Đơn vị có nhiều người tham gia nhất"
basis = "participants"
tiers = [{ name = "Giải Nhất", count = 1, amount_vnd = 5000000 }, { name = "Giải Nhì", count = 1, amount_vnd = 3000000 }]

[[collective_prizes]]
name = "Đơn vị tích cực"
basis = "participants"
tie_break = "higher_rate"
tiers = [{ name = "Giải Nhất", count = 1, amount_vnd = 2000000 }]
"#,
    )
}

/// Seeds 003 and 004 award collective prizes: they are part of the approved, locked version,
/// published, and checked from the answers; a tie at a boundary follows the definition's rule.
async fn collective_results_are_approved_published_and_verified(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    e.import_contest(&contest_with_units(), Some(("bank.csv", &bank_csv(10)))).await.unwrap();
    let round = round_id(e, "tap-the", 1).await;
    // Sở A (headcount 10) and Sở B (headcount 4): two people each, tied at the first prize; Sở C one.
    for (n, unit) in [(21, "SO-A"), (22, "SO-B"), (23, "SO-A"), (24, "SO-B"), (25, "SO-C")] {
        let mut p = person(n, 1980);
        p.unit = Some(unit.into());
        let who = register(e, "tap-the", &p).await;
        let a = e.start(who, round).await.unwrap();
        e.submit(who, a.id, Some(5)).await.unwrap();
    }
    assert!(matches!(e.published_collective("tap-the").await, Err(EngineError::NotFound(_))));
    f.clock.advance(Duration::hours(3));
    let view = e.publish("tap-the", Some(1), None).await.unwrap();
    let places = |i: usize| -> Vec<(String, u32, Option<String>)> {
        view.collective[i].units.iter().map(|u| (u.unit_code.clone(), u.rank, u.prize.clone())).collect()
    };
    let first = Some("Giải Nhất".to_string());
    assert_eq!(
        places(0),
        vec![("SO-A".into(), 1, first.clone()), ("SO-B".into(), 1, first.clone()), ("SO-C".into(), 3, None)],
        "a shared first place; the second prize's place is used up by the tie"
    );
    assert_eq!(view.collective[0].units[1].unit, "Sở B", "units are named");
    assert_eq!(places(1)[..2], [("SO-B".into(), 1, first), ("SO-A".into(), 2, None)], "the higher rate breaks the tie");

    assert_eq!(e.published_collective("tap-the").await.unwrap(), view.collective);
    let check = e.verify_results("tap-the", Some(1)).await.unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);

    // A collective prize written into the published version by hand is named.
    execute(&f.db, "UPDATE published_rankings SET body = replace(body, '\"prize\":null', '\"prize\":\"Giải Ba\"')")
        .await;
    let bad = e.verify_results("tap-the", Some(1)).await.unwrap();
    assert!(bad.problems.iter().any(|p| p.starts_with("Giải tập thể") && p.contains("Sở C")), "{:?}", bad.problems);
}

async fn registration_after_the_last_round_closed_is_refused(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let known = person(31, 1988);
    register(e, "kiem-thu", &known).await;
    f.clock.advance(Duration::hours(2) + Duration::seconds(1));
    let message = refusal(e.register("kiem-thu", &person(32, 1988), true, "10.0.0.1").await);
    assert!(message.contains("không nhận đăng ký mới"), "{message}");
    assert!(message.contains(&vntime::format_long(t0() + Duration::hours(2))), "{message}");
    // A returning person is still recognised, to read their result.
    let again = e.register("kiem-thu", &known, false, "10.0.0.1").await.unwrap();
    assert!(!again.created);
}

/// Seed 003 approves results in a meeting: the draft is there to review, and the version names
/// who entered the approval and the meeting's record.
async fn an_approval_records_who_and_the_meeting(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let by = system_admin();
    for n in 41..44 {
        let (who, a) = started(&f, &person(n, 1985)).await;
        e.submit(who, a.id, Some(i64::from(n))).await.unwrap();
    }
    f.clock.advance(Duration::hours(3));
    e.sweep().await.unwrap();
    let draft = e.draft_ranking(&by, "kiem-thu", Some(1)).await.unwrap();
    assert_eq!(draft.rows.len(), 3, "three prizes, three people");
    assert!(draft.rows.iter().all(|r| r.prediction.is_some() && r.distance.is_some()), "the deciding columns");
    let too_long = "x".repeat(201);
    let refused = e.approve_in_meeting(&by, "kiem-thu", Some(1), "", &too_long).await;
    assert!(matches!(refused, Err(EngineError::BadRequest(_))));
    let id = e.approve_in_meeting(&by, "kiem-thu", Some(1), "", " Biên bản số 05/BB-BTC ").await.unwrap();
    let versions = e.ranking_versions(&by, "kiem-thu", Some(1)).await.unwrap();
    assert_eq!(versions[0].approved_by.as_deref(), Some("bantochuc"));
    e.make_public_as(&by, "kiem-thu", id).await.unwrap();
    let published = e.published("kiem-thu", Some(f.round)).await.unwrap();
    assert_eq!(published.meeting_reference.as_deref(), Some("Biên bản số 05/BB-BTC"));
    assert_eq!(published.rows, draft.rows, "what was reviewed is what was approved");
    // From the command line (`results publish --meeting`), a second version with its reason.
    let again = e.publish_in_meeting("kiem-thu", Some(1), Some("đính chính"), "Biên bản số 06/BB-BTC").await.unwrap();
    assert_eq!((again.version, again.meeting_reference.as_deref()), (Some(2), Some("Biên bản số 06/BB-BTC")));
    assert!(matches!(
        e.publish_in_meeting("kiem-thu", Some(1), Some("x"), &too_long).await,
        Err(EngineError::BadRequest(_))
    ));
}
