//! Feedback on questions and voided questions: a participant reports (the rate limit refuses the
//! sixth report in an hour), the secretariat replies, the committee voids a question — `award` or
//! `drop` — and every attempt that had it is scored again: stored scores, the statistics' counters,
//! the published ranking and `results verify` all follow the same rule, and the audit log has it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;
use cuocthi_domain::attempt::Void;
use cuocthi_engine::console::{Action, Grant, Role, Staff};
use cuocthi_engine::shared::token::Claims;
use cuocthi_engine::{Engine, EngineError, Store};
use cuocthi_store::{AuditFilter, AuditRow};
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(
    reports_replies_and_an_award_rescore_every_attempt,
    a_dropped_question_counts_neither_as_asked_nor_as_right,
    reports_sent_at_once_keep_the_hourly_limit
);

fn staff(id: i64, username: &str, contest_id: i64, role: Option<Role>) -> Staff {
    Staff {
        account_id: id,
        username: username.into(),
        full_name: username.into(),
        system_admin: role.is_none(),
        has_totp: true,
        grants: role.map(|role| vec![Grant { id, contest_id, role, unit: None }]).unwrap_or_default(),
        session: String::new(),
    }
}

/// One person's attempt: who, which attempt, and the place of the question under test in it.
struct Taken {
    who: Claims,
    attempt_id: i64,
    target_at: Option<usize>,
    /// Whether the question under test was answered right.
    target_right: bool,
}

/// People start until `want` of them were asked `target` (the first question of the first
/// person); every answer is right except the target's, answered wrong by every other person who
/// has it. Everyone submits except the last person asked the target, whose attempt stays open.
async fn everyone_answers(f: &Fixture, want: usize) -> (i64, Vec<Taken>, Taken) {
    let e = &f.engine;
    let mut taken = Vec::new();
    let mut target = None;
    let mut asked = 0;
    for n in 0..200u32 {
        let (who, a) = started(f, &person(n, 1985)).await;
        let row = e.store().attempt(a.id).await.unwrap().unwrap();
        let target_id = *target.get_or_insert(row.draw[0].question_id);
        let target_at = row.draw.iter().position(|d| d.question_id == target_id);
        let target_right = target_at.is_some() && asked % 2 == 1;
        for pos in 0..row.draw.len() {
            let right = Some(pos) != target_at || target_right;
            e.save_answer(who, a.id, pos, Some(choice(e, a.id, pos, right).await)).await.unwrap();
        }
        let t = Taken { who, attempt_id: a.id, target_at, target_right };
        if target_at.is_some() {
            asked += 1;
            if asked == want {
                return (target_id, taken, t);
            }
        }
        e.submit(who, a.id, Some(i64::from(n))).await.unwrap();
        taken.push(t);
    }
    panic!("fewer than {want} people were asked the question");
}

async fn scores(e: &Engine, taken: &[Taken]) -> HashMap<i64, (u32, u32)> {
    let mut out = HashMap::new();
    for t in taken {
        let r = e.result(t.who, t.attempt_id).await.unwrap();
        out.insert(t.attempt_id, (r.correct, r.questions));
    }
    out
}

/// The store behind the fixture, its round's id and its contest's id.
async fn store_round_contest(f: &Fixture) -> (Arc<dyn Store>, i64, i64) {
    let store = f.db.dyn_store().await;
    let round = f.round;
    let contest = store.contest_by_slug("kiem-thu").await.unwrap().unwrap().contest.id;
    (store, round, contest)
}

/// The contest's latest ten audit entries whose action starts with `prefix`.
async fn audit_log(store: &Arc<dyn Store>, contest: i64, prefix: &str) -> Vec<AuditRow> {
    let filter =
        AuditFilter { contest_id: Some(contest), action_prefix: Some(prefix.into()), limit: 10, ..Default::default() };
    store.audit_entries(&filter).await.unwrap()
}

async fn reports_replies_and_an_award_rescore_every_attempt(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let (store, round, contest) = store_round_contest(&f).await;
    let (target, taken, late) = everyone_answers(&f, 5).await;
    let me = &taken[0];
    let other = &taken[1];
    // Submissions are sealed before the void: the seals must still hold after it.
    assert!(e.seal_submissions().await.unwrap() >= 4);
    e.count_attempts().await.unwrap();
    let before = scores(e, &taken).await;

    // Reports: checked, one per question and attempt, five an hour.
    let target_at = me.target_at.unwrap();
    let bad = e.report_question(me.who, me.attempt_id, target_at, " \n ").await.unwrap_err();
    assert!(matches!(bad, EngineError::BadRequest(_)), "{bad}");
    let bad = e.report_question(me.who, me.attempt_id, target_at, &"x".repeat(1001)).await.unwrap_err();
    assert!(bad.to_string().contains("1.000 ký tự"), "{bad}");
    let bad = e.report_question(me.who, me.attempt_id, 6, "Câu này sai.").await.unwrap_err();
    assert_eq!(bad.to_string(), "Bài thi không có câu số 7.");
    let bad = e.report_question(other.who, me.attempt_id, 0, "Không phải bài của tôi.").await.unwrap_err();
    assert!(matches!(bad, EngineError::NotFound(_)), "someone else's attempt: {bad}");
    e.report_question(me.who, me.attempt_id, target_at, "Phương án B và C  đều đúng.\n\nĐề nghị xem lại.")
        .await
        .unwrap();
    let again = e.report_question(me.who, me.attempt_id, target_at, "Gửi lại lần nữa.").await.unwrap_err();
    assert!(again.to_string().contains("Bạn đã gửi góp ý về câu"), "{again}");
    let others: Vec<usize> = (0..6).filter(|p| *p != target_at).collect();
    for p in &others[..4] {
        e.report_question(me.who, me.attempt_id, *p, &format!("Góp ý về câu {}.", p + 1)).await.unwrap();
    }
    let sixth = e.report_question(me.who, me.attempt_id, others[4], "Góp ý thứ sáu.").await.unwrap_err();
    assert!(matches!(sixth, EngineError::Conflict(_)));
    assert_eq!(sixth.to_string(), "Bạn đã gửi 5 góp ý trong một giờ qua. Vui lòng gửi tiếp sau ít phút.");
    // The limit is each person's own: someone else may still report (on a question other than
    // the target, which the draw may have put first in their attempt too).
    let elsewhere = if other.target_at == Some(0) { 1 } else { 0 };
    e.report_question(other.who, other.attempt_id, elsewhere, "Có lỗi chính tả.").await.unwrap();

    // The secretariat reads the queue (open first, newest first) with the question and its key.
    let secretariat = staff(2, "thuky", contest, Some(Role::Secretariat));
    let judge = staff(3, "giamkhao", contest, Some(Role::Judge));
    let viewer = staff(4, "xem", contest, Some(Role::Viewer));
    let organiser = staff(5, "btc", contest, Some(Role::Organiser));
    let queue = e.feedback_queue(&secretariat, "kiem-thu", false).await.unwrap();
    assert_eq!((queue.items.len(), queue.open), (6, 6));
    assert!(queue.can_manage);
    let mine = queue.items.iter().find(|i| i.report.question_id == target).unwrap();
    assert_eq!(mine.report.message, "Phương án B và C đều đúng.\n\nĐề nghị xem lại.");
    assert_eq!(mine.report.attempt_id, me.attempt_id);
    assert!(mine.question.question.stem.starts_with("Câu hỏi số "));
    assert!(e.feedback_queue(&judge, "kiem-thu", false).await.is_ok_and(|q| !q.can_manage), "judges read");
    assert!(matches!(e.feedback_queue(&viewer, "kiem-thu", false).await, Err(EngineError::Forbidden)));

    // A reply (and the report closed): the person reads it with their attempt.
    let denied = e.reply_feedback(&judge, "kiem-thu", mine.report.id, "Không.", true).await;
    assert!(matches!(denied, Err(EngineError::Forbidden)), "judges do not reply");
    let reply = "Cảm ơn bạn. Ban Tổ chức đã kiểm tra: câu hỏi có hai phương án đúng và sẽ được xử lý.";
    e.reply_feedback(&secretariat, "kiem-thu", mine.report.id, reply, true).await.unwrap();
    let seen = e.attempt_feedback(me.who, me.attempt_id).await.unwrap();
    let own = seen.report_at(target_at).unwrap();
    assert_eq!((own.reply.as_deref(), own.closed), (Some(reply), true));
    assert!(seen.voids.is_empty());
    assert!(e.attempt_feedback(other.who, me.attempt_id).await.is_err(), "only one's own attempt");
    let queue = e.feedback_queue(&secretariat, "kiem-thu", true).await.unwrap();
    assert_eq!((queue.items.len(), queue.open), (5, 5), "closed reports leave the open queue");
    let all = e.feedback_queue(&secretariat, "kiem-thu", false).await.unwrap();
    assert_eq!(all.items.last().map(|i| i.report.id), Some(mine.report.id), "closed ones come last");

    // The void: judges and viewers may not; the organiser voids with `award`.
    for who in [&judge, &viewer] {
        let r = e.void_question(who, "kiem-thu", target, Some(Void::Award), "Hai đáp án đúng.", None).await;
        assert!(matches!(r, Err(EngineError::Forbidden)), "{}", who.username);
    }
    let r = e.void_question(&organiser, "kiem-thu", target, None, "Hai đáp án đúng.", None).await;
    assert!(matches!(r, Err(EngineError::BadRequest(_))), "a choice is required");
    let r = e.void_question(&organiser, "kiem-thu", target, Some(Void::Award), " ", None).await;
    assert!(matches!(r, Err(EngineError::BadRequest(_))), "a reason is required");
    let wrong_on_it = taken.iter().filter(|t| t.target_at.is_some() && !t.target_right).count() as u64;
    let had_it = taken.iter().filter(|t| t.target_at.is_some()).count() as u64;
    let outcome = e
        .void_question(
            &organiser,
            "kiem-thu",
            target,
            Some(Void::Award),
            "Phương án B và C đều đúng theo văn bản hiện hành.",
            Some(mine.report.id),
        )
        .await
        .unwrap();
    assert_eq!((outcome.attempts, outcome.raised, outcome.lowered), (had_it, wrong_on_it, 0));
    assert!(wrong_on_it >= 1, "someone had it wrong");
    let twice = e.void_question(&organiser, "kiem-thu", target, Some(Void::Drop), "Lần nữa.", None).await;
    assert!(matches!(twice, Err(EngineError::Conflict(_))), "a question is voided once");

    // Scores: one more for those who had it wrong, nothing else changed.
    let after = scores(e, &taken).await;
    for t in &taken {
        let (c0, q0) = before[&t.attempt_id];
        let gained = u32::from(t.target_at.is_some() && !t.target_right);
        assert_eq!(after[&t.attempt_id], (c0 + gained, q0), "attempt {}", t.attempt_id);
    }
    // The open attempt is scored with the award when it is submitted.
    let r = e.submit(late.who, late.attempt_id, None).await.unwrap();
    assert_eq!((r.correct, r.questions), (6, 6), "five right answers and the awarded question");
    let seen = e.attempt_feedback(me.who, me.attempt_id).await.unwrap();
    assert_eq!(seen.void_at(target_at), Some(Void::Award));

    // No new draw holds it; the question statistics say it was voided.
    assert!(!store.bank(contest).await.unwrap().iter().any(|q| q.id == target));
    let items = e.item_analysis(&organiser, "kiem-thu", 1).await.unwrap();
    let item = items.iter().find(|i| i.question_id == target).unwrap();
    assert!(item.flag.as_deref().is_some_and(|f| f.contains("đã bị hủy")), "{:?}", item.flag);

    // The counters equal a full recount.
    e.count_attempts().await.unwrap();
    let kept = stored_counters(&store, contest, round).await;
    assert_eq!(kept, recounted_counters(&store, contest).await, "counters = recount after the void");

    // The audit log has the void, with its reason and what it changed.
    let log = audit_log(&store, contest, "question.").await;
    let void = log.iter().find(|l| l.action == "question.void").expect("the void is in the log");
    assert_eq!((void.subject.as_str(), void.actor.as_str()), (format!("question:{target}").as_str(), "btc"));
    let detail: serde_json::Value = serde_json::from_str(&void.detail).unwrap();
    assert_eq!(detail["mode"], "award");
    assert_eq!(detail["effect"]["raised"], wrong_on_it);
    assert!(log.iter().any(|l| l.action == "question.feedback_reply"), "the reply is logged too");
    let page = e.question_feedback(&judge, "kiem-thu", target).await.unwrap();
    assert_eq!(page.void_effect.map(|o| o.raised), Some(wrong_on_it));
    assert_eq!(page.reports.len(), 1);

    // An hour later the person may report again.
    f.clock.advance(Duration::minutes(61));
    e.report_question(me.who, me.attempt_id, others[4], "Góp ý thứ sáu, một giờ sau.").await.unwrap();

    // Published after the void, the results verify: scores, seals and the void against the log.
    f.clock.advance(Duration::hours(3));
    e.sweep().await.unwrap();
    e.publish("kiem-thu", Some(1), None).await.unwrap();
    let ok = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    assert!(ok.sealed_checked >= 4);

    // A void removed behind the system's back is named, and so are the scores it explained.
    execute(&f.db, "DELETE FROM question_voids").await;
    let bad = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(bad.problems.iter().any(|p| p.contains("không còn quyết định hủy tương ứng")), "{:?}", bad.problems);
    assert!(bad.problems.iter().any(|p| p.starts_with("Lượt thi #")), "{:?}", bad.problems);
}

async fn a_dropped_question_counts_neither_as_asked_nor_as_right(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let (store, round, contest) = store_round_contest(&f).await;
    let (target, taken, late) = everyone_answers(&f, 4).await;
    e.count_attempts().await.unwrap();
    let before = scores(e, &taken).await;
    let secretariat = staff(2, "thuky", contest, Some(Role::Secretariat));
    assert!(secretariat.can(Action::ManageFeedback, Some(contest)));
    let outcome = e
        .void_question(&secretariat, "kiem-thu", target, Some(Void::Drop), "Câu hỏi có nội dung đã lỗi thời.", None)
        .await
        .unwrap();
    let right_on_it = taken.iter().filter(|t| t.target_at.is_some() && t.target_right).count() as u64;
    assert_eq!((outcome.raised, outcome.lowered), (0, right_on_it));
    for t in &taken {
        let (c0, q0) = before[&t.attempt_id];
        let expected = match t.target_at {
            Some(_) => (c0 - u32::from(t.target_right), q0 - 1),
            None => (c0, q0),
        };
        assert_eq!(scores(e, std::slice::from_ref(t)).await[&t.attempt_id], expected, "attempt {}", t.attempt_id);
    }
    // Everything else right and the dropped question left out: a full score of five.
    let r = e.submit(late.who, late.attempt_id, None).await.unwrap();
    assert_eq!((r.correct, r.questions), (5, 5));
    let seen = e.attempt_feedback(late.who, late.attempt_id).await.unwrap();
    assert_eq!(seen.void_at(late.target_at.unwrap()), Some(Void::Drop));
    // The person's list of attempts counts the questions asked the same way as the result.
    let me = e.me(late.who).await.unwrap();
    let listed = me.attempts.iter().find(|a| a.id == late.attempt_id).unwrap();
    assert_eq!((listed.correct, listed.questions), (Some(5), 5));

    e.count_attempts().await.unwrap();
    let kept = stored_counters(&store, contest, round).await;
    assert_eq!(kept, recounted_counters(&store, contest).await, "counters = recount after the drop");

    f.clock.advance(Duration::hours(3));
    e.sweep().await.unwrap();
    e.seal_submissions().await.unwrap();
    e.publish("kiem-thu", Some(1), None).await.unwrap();
    let ok = e.verify_results("kiem-thu", Some(1)).await.unwrap();
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);
    let log = audit_log(&store, contest, "question.void").await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].actor, "thuky");
}

/// Six reports of one person sent at the same moment (six questions of one attempt): five are
/// stored and one is refused with the limit's message. Before the count and the insert were one
/// transaction, all six counted four or fewer before any was stored, and all six were kept.
async fn reports_sent_at_once_keep_the_hourly_limit(db: TestDb) {
    let (f, who, round) = with_person(db, 7, 1990).await;
    let e = &f.engine;
    let a = e.start(who, round).await.unwrap();
    assert_eq!(a.questions.len(), 6);
    let sends: Vec<_> = (0..6)
        .map(|pos| {
            let e = e.clone();
            tokio::spawn(async move { e.report_question(who, a.id, pos, &format!("Câu {} có lỗi.", pos + 1)).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for send in sends {
        outcomes.push(send.await.unwrap());
    }
    let refused: Vec<String> = outcomes.iter().filter_map(|r| r.as_ref().err().map(|e| e.to_string())).collect();
    assert_eq!(
        refused,
        vec!["Bạn đã gửi 5 góp ý trong một giờ qua. Vui lòng gửi tiếp sau ít phút.".to_string()],
        "{outcomes:?}"
    );
    let filter = cuocthi_store::ReportFilter { attempt_id: Some(a.id), limit: 100, ..Default::default() };
    let stored = f.db.dyn_store().await.reports(who.contest_id, &filter).await.unwrap();
    assert_eq!(stored.len(), 5);
}
