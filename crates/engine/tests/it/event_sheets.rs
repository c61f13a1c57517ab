//! A judge's phone resending a sheet (issue 14): every submission carries the idempotency key the
//! phone gave it when it was typed; a retry with that key never stores anything twice, not even
//! after the secretariat has reopened the sheet while the phone was offline.

use super::*;

on_both_backends!(a_retried_submission_is_stored_once_even_after_a_reopen);

async fn a_retried_submission_is_stored_once_even_after_a_reopen(db: TestDb) {
    let ev = event(db).await;
    let e = &ev.f.engine;
    let ids = teams(&ev).await;
    let j1 = &ev.judges[0];
    e.set_part_open(&ev.secretariat, SLUG, "gioi-thieu", true).await.unwrap();
    let first = scores(&[("noi-dung", 3525), ("trinh-bay", 2750)]);
    let bad_key = e.submit_sheet_once(j1, SLUG, ids[0], "gioi-thieu", &first, Some("khóa có dấu")).await;
    assert!(is_bad_request(&bad_key, "Khóa gửi phiếu"));

    let sheet = e.submit_sheet_once(j1, SLUG, ids[0], "gioi-thieu", &first, Some("k-1")).await.unwrap();
    let again = e.submit_sheet_once(j1, SLUG, ids[0], "gioi-thieu", &first, Some("k-1")).await.unwrap();
    assert_eq!(again, sheet, "the same sheet, answered again");
    let other = scores(&[("noi-dung", 3000), ("trinh-bay", 2750)]);
    let changed = e.submit_sheet_once(j1, SLUG, ids[0], "gioi-thieu", &other, Some("k-2")).await;
    assert!(matches!(changed, Err(EngineError::Conflict(m)) if m.contains("đã khóa")));
    let logged = audit(e, ev.contest_id, "event.sheet_submit").await;
    assert_eq!(logged.len(), 1, "one submission recorded");
    assert_eq!(logged[0]["key"], "k-1");

    // Reopened while the phone still holds its first submission: the stale retry changes nothing.
    e.reopen_sheet(&ev.secretariat, SLUG, sheet.id, "Nhập nhầm tiêu chí").await.unwrap();
    let stale = e.submit_sheet_once(j1, SLUG, ids[0], "gioi-thieu", &first, Some("k-1")).await.unwrap();
    assert_eq!((stale.status.as_str(), stale.reopen_reason.as_deref()), ("reopened", Some("Nhập nhầm tiêu chí")));
    assert_eq!(audit(e, ev.contest_id, "event.sheet_submit").await.len(), 1, "nothing new stored");
    // The correction comes with a key of its own.
    let corrected = e.submit_sheet_once(j1, SLUG, ids[0], "gioi-thieu", &other, Some("k-3")).await.unwrap();
    assert_eq!((corrected.id, corrected.status.as_str(), &corrected.scores), (sheet.id, "submitted", &other));
    assert_eq!(audit(e, ev.contest_id, "event.sheet_submit").await.len(), 2);
    // Another judge's key is theirs alone: the same key from j2 is a new sheet of j2's.
    let j2 = &ev.judges[1];
    let theirs = e.submit_sheet_once(j2, SLUG, ids[0], "gioi-thieu", &first, Some("k-1")).await.unwrap();
    assert_eq!((theirs.judge_id, theirs.status.as_str()), (j2.account_id, "submitted"));
}
