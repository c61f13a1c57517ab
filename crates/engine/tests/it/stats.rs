//! Live statistics: the counters kept as attempts happen equal a full recount from the attempts,
//! after a random mix of starts, submissions, timeouts, disqualifications, voided questions and
//! merges.

use chrono::Duration;
use cuocthi_domain::attempt::Void;
use cuocthi_domain::draw::SplitMix64;
use cuocthi_domain::stats::CONTEST;
use cuocthi_engine::EngineError;
use cuocthi_engine::console::review::Target;
use cuocthi_testkit::{TestDb, on_both_backends};

use crate::common::*;

on_both_backends!(
    counters_equal_a_recount_after_a_random_mix,
    a_question_the_strongest_get_wrong_is_flagged,
    the_contest_page_counts_one_batch_of_a_backlog,
    the_summary_report_is_a_word_document,
);

/// The summary report (.docx, built with `docx-rs` without its image support) is a Word package
/// whose body names the contest.
async fn the_summary_report_is_a_word_document(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let (who, a) = started(&f, &person(1, 1990)).await;
    e.submit(who, a.id, None).await.expect("submit");
    e.count_attempts().await.expect("counted");
    let report = e.summary_report(&system_admin(), "kiem-thu").await.expect("the report");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(report)).expect("a zip package");
    let mut body = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").expect("a Word body"), &mut body)
        .expect("UTF-8 XML");
    assert!(body.contains("<w:p"), "paragraphs");
    assert!(body.contains("1. Số liệu chung"), "{body}");
}

/// A backlog of uncounted attempts (a bulk import) is the background task's to count: the contest
/// page counts one batch of it and answers (counting a million first took its first view 12 s).
async fn the_contest_page_counts_one_batch_of_a_backlog(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    cuocthi_engine::demo::synthetic(e, "kiem-thu", 1, 12_000, 3).await.expect("synthetic attempts");
    let page = e.contest("kiem-thu").await.expect("contest page");
    assert_eq!(page.rounds[0].attempts, 5_000, "one batch counted before the page answered");
    assert_eq!(e.count_attempts().await.expect("the background count"), 7_000);
}

async fn counters_equal_a_recount_after_a_random_mix(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let by = system_admin();
    let round = f.round;
    let contest =
        e.contest_for(&by, "kiem-thu", cuocthi_engine::console::Action::ViewContest).await.unwrap().stored.contest.id;
    let store = f.db.dyn_store().await;
    let mut rng = SplitMix64::new(7);
    let mut people = Vec::new();
    let mut voids = 0;
    for step in 0..120u32 {
        match rng.below(6) {
            // A new person starts.
            0 | 1 => {
                let (who, a) = started(&f, &person(step, 1980 + i32::try_from(step % 30).unwrap())).await;
                people.push((who, a.id));
            }
            // Someone answers and submits, and may start again (two attempts each).
            2 | 3 if !people.is_empty() => {
                let (who, id) = people[rng.index_below(people.len())];
                let a = e.attempt(who, id).await.unwrap();
                for pos in 0..a.questions.len() {
                    // Refused only once the attempt is closed (submitted, or past its time).
                    match e.save_answer(who, id, pos, Some(u8::try_from(rng.below(3)).unwrap())).await {
                        Ok(_) | Err(EngineError::AttemptSubmitted | EngineError::PastDeadline) => {}
                        Err(other) => panic!("save: {other:?}"),
                    }
                }
                match e.submit(who, id, Some(i64::try_from(rng.below(50)).unwrap())).await {
                    Ok(_) | Err(EngineError::AttemptSubmitted) => {}
                    Err(other) => panic!("submit: {other:?}"),
                }
                match e.start(who, round).await {
                    Ok(next) => {
                        let i = people.iter().position(|(w, _)| w.participant_id == who.participant_id).unwrap();
                        people[i].1 = next.id;
                    }
                    // Both attempts used.
                    Err(EngineError::AttemptLimit(_)) => {}
                    Err(other) => panic!("start again: {other:?}"),
                }
            }
            // A judge disqualifies someone; now and then the committee voids a question asked.
            4 if !people.is_empty() => {
                let (who, id) = people[rng.index_below(people.len())];
                e.disqualify(&by, "kiem-thu", Target::Person(who.participant_id), "Kiểm tra thống kê")
                    .await
                    .expect("a person may be disqualified again");
                if rng.below(4) == 0
                    && let Ok(a) = e.attempt(who, id).await
                    && let Some(q) = a.questions.first()
                {
                    let bank = e.bank_view(&by, "kiem-thu", &Default::default()).await.unwrap();
                    let question = bank.questions.iter().find(|b| b.question.stem == q.stem).map(|b| b.id).unwrap();
                    let mode = if rng.below(2) == 0 { Void::Award } else { Void::Drop };
                    match e
                        .void_question(&by, "kiem-thu", question, Some(mode), "Câu hỏi có hai đáp án đúng", None)
                        .await
                    {
                        Ok(_) => voids += 1,
                        // Voided already by an earlier step.
                        Err(err) => assert!(matches!(err, EngineError::Conflict(_)), "{err:?}"),
                    }
                }
            }
            // Time passes: open attempts past their deadline are submitted by the server.
            _ => {
                f.clock.advance(Duration::minutes(4));
                e.sweep().await.unwrap();
            }
        }
        // Counting runs now and then, as the server's background task does.
        if rng.below(3) == 0 {
            e.count_attempts().await.unwrap();
        }
    }
    e.count_attempts().await.unwrap();
    let kept = stored_counters(&store, contest, round).await;
    assert_eq!(kept, recounted_counters(&store, contest).await, "counters = recount");
    let all = kept.get(&(round, "all".into(), String::new())).copied().unwrap_or_default();
    assert!(all.attempts > 20 && all.completed > 5, "{all:?}");
    assert!(voids > 0, "the mix voided at least one question");
    let c = kept.get(&(CONTEST, "all".into(), String::new())).copied().unwrap_or_default();
    assert_eq!(c.people, all.people, "one round: the contest's people are the round's");
    let live = e.live_counts("kiem-thu").await.unwrap();
    assert_eq!((live.people, live.attempts, live.completed), (c.people, c.attempts, c.completed));

    // Merging two people counts again: the merged person is no longer a person of their own.
    let (a, b) = (people[0].0.participant_id, people[1].0.participant_id);
    f.clock.advance(Duration::minutes(30));
    e.sweep().await.unwrap();
    e.merge_people(&by, "kiem-thu", a, b, "Cùng một người đăng ký hai lần").await.unwrap();
    let kept = stored_counters(&store, contest, round).await;
    assert_eq!(kept, recounted_counters(&store, contest).await, "after a merge");
    let after = kept.get(&(round, "all".into(), String::new())).copied().unwrap_or_default();
    assert_eq!(after.people, all.people - 1);
}

/// The option a person picks on a question of the fixture bank: the stem names the question
/// ("Câu hỏi số {i} của chủ đề {t}?"), whose key is i % 4 (i % 3 with three options), and each
/// option's text names its original letter ("Phương án B 2-7").
fn pick(stem: &str, options: &[String], right: bool) -> Option<u8> {
    let i: usize = stem.split("số ").nth(1)?.split(' ').next()?.parse().ok()?;
    let n = options.len();
    let key = if !i.is_multiple_of(5) { i % 4 } else { i % 3 };
    let want = if right { key } else { (key + 1) % n };
    let letter = ["A", "B", "C", "D"][want];
    options.iter().position(|o| o.starts_with(&format!("Phương án {letter} "))).and_then(|p| u8::try_from(p).ok())
}

/// 150 people: the strongest 41 (the top 27%) answer everything right except "Câu hỏi số 1 của
/// chủ đề 1", where they choose another option; the next 60 answer every other position right
/// (3 of 6, in neither group of 27%); the weakest 49 answer everything wrong except that one.
/// The item analysis flags that question, and only that one.
///
/// The draws are random, so the groups are chosen after them: every attempt is started first, then
/// 12 of the people asked the odd question are among the strongest (the flag needs at least 5 of
/// them), and the middle group keeps every question's share of right answers near half, so none
/// falls under the 10% flag by chance. (Groups fixed before the draws made this test fail now and
/// then: too few of the strongest asked a question.)
async fn a_question_the_strongest_get_wrong_is_flagged(db: TestDb) {
    let f = fixture(db, "").await;
    let e = &f.engine;
    let odd = "Câu hỏi số 1 của chủ đề 1?";
    let mut all = Vec::new();
    for n in 0..150u32 {
        all.push(started(&f, &person(n, 1990)).await);
    }
    // Those asked the odd question first (12 of them), then the others: the first 41 are the strongest.
    let asked_odd = |a: &cuocthi_engine::shared::views::AttemptView| a.questions.iter().any(|q| q.stem == odd);
    let (mut with, without): (Vec<_>, Vec<_>) = all.into_iter().partition(|(_, a)| asked_odd(a));
    assert!(with.len() >= 12, "the odd question was drawn for {} people of 150", with.len());
    let rest = with.split_off(12);
    let ordered = with.into_iter().chain(without).chain(rest);
    for (n, (who, a)) in ordered.enumerate() {
        let (strong, middle) = (n < 41, (41..101).contains(&n));
        for (pos, q) in a.questions.iter().enumerate() {
            let right = if middle {
                (n + pos).is_multiple_of(2)
            } else if q.stem == odd {
                !strong
            } else {
                strong
            };
            let choice = pick(&q.stem, &q.options, right);
            e.save_answer(who, a.id, pos, choice).await.unwrap();
        }
        e.submit(who, a.id, None).await.unwrap();
    }
    let stats = e.item_analysis(&system_admin(), "kiem-thu", 1).await.unwrap();
    let flagged: Vec<&str> = stats.iter().filter(|s| s.flag.is_some()).map(|s| s.stem.as_str()).collect();
    assert_eq!(flagged, vec![odd], "{stats:#?}");
    let item = &stats[0];
    assert!(item.flag.as_deref().unwrap().starts_with("Nhóm làm bài tốt nhất chọn C nhiều hơn đáp án B"), "{item:?}");
    let fine = stats.iter().find(|s| s.flag.is_none() && s.discrimination.is_some()).unwrap();
    assert!(fine.discrimination.unwrap() > 0.5, "{fine:?}");
    let total: u64 = stats.iter().map(|s| s.asked).sum();
    assert_eq!(total, 150 * 6);
    assert!(fine.options.iter().any(|o| o.is_key && o.share_percent > 0.0));
}
