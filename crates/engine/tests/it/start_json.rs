//! A start's JSON (issue 16's herd): written from the questions' pieces rendered once per bank
//! snapshot, it must be byte for byte what `serde_json` writes for the attempt's view, on both
//! stores, and a question revised in the console must reach the next start at once.

use cuocthi_domain::question::QuestionDraft;
use cuocthi_engine::review::Origin;
use cuocthi_engine::views::AttemptView;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(
    a_start_answers_the_json_of_its_view,
    a_revised_bank_reaches_the_next_start_at_once,
    the_store_answers_a_start_as_it_reads_it_back,
);

fn json(view: &AttemptView) -> String {
    serde_json::to_string(view).expect("a view serialises")
}

fn text(body: &[u8]) -> String {
    String::from_utf8(body.to_vec()).expect("UTF-8")
}

/// A new attempt, then the same one resumed (with an answer saved): each body is what
/// `serde_json` writes for the view of the attempt as read afterwards.
async fn a_start_answers_the_json_of_its_view(db: TestDb) {
    let (f, who, round) = with_person(db, 21, 1988).await;
    let e = &f.engine;
    let origin = Origin { address: Some([10, 0, 0, 7].into()), device: Some("thiet-bi".into()) };
    let first = e.start_json(who, round, &origin).await.expect("start");
    assert!(!first.resumed);
    let view = e.attempt(who, first.attempt_id).await.expect("the attempt");
    assert_eq!(view.questions.len(), 6);
    assert_eq!(text(&first.body), json(&view), "the new attempt's JSON");

    let right = choice(e, first.attempt_id, 2, true).await;
    e.save_answer(who, first.attempt_id, 2, Some(right)).await.expect("save");
    let again = e.start_json(who, round, &origin).await.expect("resume");
    assert!(again.resumed);
    assert_eq!(again.attempt_id, first.attempt_id);
    let view = e.attempt(who, first.attempt_id).await.expect("the attempt");
    assert_eq!(view.questions[2].answer, Some(right));
    assert_eq!(text(&again.body), json(&AttemptView { resumed: true, ..view }), "the resumed attempt's JSON");

    // The page's start hands back the same attempt.
    let page = e.start_for_page(who, round, &origin).await.expect("the page's start");
    assert_eq!(page, (first.attempt_id, true));
}

/// Every question of the bank revised in the console after a first start has rendered the bank:
/// the next start draws the new versions and shows their text, not the old one's.
async fn a_revised_bank_reaches_the_next_start_at_once(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let admin = system_admin();
    let (first_who, _) = started(&f, &person(31, 1990)).await;
    let before = e.start_json(first_who, f.round, &Origin::default()).await.expect("resume");
    assert!(!text(&before.body).contains("(đã sửa)"));

    let contest = e.store().contest_by_slug("kiem-thu").await.expect("read").expect("contest");
    for q in e.store().bank(contest.contest.id).await.expect("bank") {
        let letter = char::from(b'A' + q.question.correct);
        let draft = QuestionDraft {
            topic: q.question.topic.clone(),
            stem: format!("{} (đã sửa)", q.question.stem),
            options: q.question.options.clone(),
            correct: vec![letter],
            explanation: q.question.explanation.clone(),
        };
        e.revise(&admin, "kiem-thu", q.id, &draft, "Sửa câu chữ").await.expect("revise");
    }

    let second = register(e, "kiem-thu", &person(32, 1991)).await;
    let after = e.start_json(second, f.round, &Origin::default()).await.expect("start");
    let view = e.attempt(second, after.attempt_id).await.expect("the attempt");
    assert_eq!(text(&after.body), json(&view));
    assert!(view.questions.iter().all(|q| q.stem.ends_with("(đã sửa)")), "{:?}", view.questions);

    // The first person's attempt keeps the versions it drew.
    let kept = e.attempt(first_who, before.attempt_id).await.expect("the first attempt");
    assert!(kept.questions.iter().all(|q| !q.stem.contains("(đã sửa)")));
}

/// The row the store answers a start with (built from what it inserted) is the row it reads back.
async fn the_store_answers_a_start_as_it_reads_it_back(db: TestDb) {
    let (f, who, round) = with_person(db, 41, 1979).await;
    let e = &f.engine;
    // A time with sub-millisecond digits: the store keeps milliseconds.
    f.clock.set(t0() + chrono::Duration::nanoseconds(1_234_567_891));
    let a = e.start(who, round).await.expect("start");
    let stored = e.store().attempt(a.id).await.expect("read").expect("the attempt");
    assert_eq!((a.started_at, a.deadline_at, a.seq), (stored.started_at, stored.deadline_at, stored.seq));
    assert_eq!(a.started_at, t0() + chrono::Duration::milliseconds(1_234));
    let again = e.attempt(who, a.id).await.expect("the attempt");
    assert_eq!(json(&a), json(&again));
}
