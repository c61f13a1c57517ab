//! `results verify`: an untouched store verifies; a score altered directly in the database, or an
//! audit entry edited, is named.

use chrono::Duration;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(verification_names_what_was_altered, sealed_submissions_show_answers_edited_after_submission);

async fn verification_names_what_was_altered(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    for n in 0..6u32 {
        let (who, a) = started(&f, &person(n, 1990)).await;
        for pos in 0..(n as usize).min(a.questions.len()) {
            e.save_answer(who, a.id, pos, Some(u8::try_from(pos % 3).unwrap())).await.unwrap();
        }
        f.clock.advance(Duration::seconds(30));
        e.submit(who, a.id, Some(i64::from(n) * 2)).await.unwrap();
    }
    f.clock.advance(Duration::hours(3));
    e.publish("kiem-thu", Some(1), None).await.unwrap();

    let ok = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert_eq!(ok.attempts_checked, 6);
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    assert!(ok.audit_entries >= 1 && ok.audit_digest.len() == 64);

    // Someone raises a stored score by hand: the attempt is named, and the published table no
    // longer follows from the answers only if the raise changed it — the stored row is named anyway.
    execute(&f.db, "UPDATE attempts SET correct = correct + 3 WHERE id = (SELECT MIN(id) FROM attempts)").await;
    let bad = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert_eq!(bad.problems.len(), 1, "{:?}", bad.problems);
    assert!(bad.problems[0].starts_with("Lượt thi #"), "{:?}", bad.problems);
    assert!(bad.problems[0].contains("chấm lại từ câu trả lời được 0"), "{:?}", bad.problems);

    // An audit entry edited after publication breaks the chain, and is named.
    execute(&f.db, "UPDATE audit_log SET detail = '{}' WHERE id = 1").await;
    let bad = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(bad.problems.iter().any(|p| p.contains("Mục nhật ký #1")), "{:?}", bad.problems);
}

/// Submissions sealed into the audit chain: an answer edited afterwards in the database — even
/// one that changes no score and so no ranking — is found by the seal it breaks.
async fn sealed_submissions_show_answers_edited_after_submission(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    for n in 0..3u32 {
        let (who, a) = started(&f, &person(n, 1990)).await;
        e.save_answer(who, a.id, 0, Some(1)).await.unwrap();
        e.submit(who, a.id, None).await.unwrap();
    }
    assert_eq!(e.seal_submissions().await.unwrap(), 3);
    assert_eq!(e.seal_submissions().await.unwrap(), 0, "each submission is sealed once");
    // A later submission goes into the next seal.
    let (who, a) = started(&f, &person(9, 1990)).await;
    e.submit(who, a.id, None).await.unwrap();
    assert_eq!(e.seal_submissions().await.unwrap(), 1);
    f.clock.advance(Duration::hours(3));
    e.publish("kiem-thu", Some(1), None).await.unwrap();
    let ok = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    assert_eq!(ok.sealed_checked, 4);

    // The stored answer of the first attempt is changed, its score left alone.
    execute(&f.db, "UPDATE attempts SET answers = 'x' || substr(answers, 2) WHERE id = (SELECT MIN(id) FROM attempts)")
        .await;
    let bad = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(
        bad.problems.iter().any(|p| p.contains("niêm phong ở mục nhật ký #") && p.contains("đã bị sửa sau khi nộp")),
        "{:?}",
        bad.problems
    );
}
