//! The in-person event's tables: a team's members replaced whole, a sheet sent fifty times at
//! once stored (and audited) once, a submitted sheet locked until reopened, answers and lots
//! corrected in place.

use chrono::Utc;
use cuocthi_domain::contest::ContestDef;
use cuocthi_store::{AnswerRow, ConsoleStore, NewAudit, NewSheet, NewTeam, SqlStore, Store, TieLotRow};
use cuocthi_testkit::{TestDb, on_both_backends};

on_both_backends!(
    a_team_is_saved_with_its_members_and_replaced_whole,
    fifty_submissions_of_one_sheet_keep_exactly_one,
    a_reopened_sheet_takes_one_correction,
    answers_and_lots_are_corrected_in_place
);

async fn contest(store: &SqlStore) -> i64 {
    let source = include_str!("../../../../examples/contests/000-quang-ninh-2024.toml");
    let spec = ContestDef::from_toml(source).expect("reads").validate().expect("validates");
    store.insert_contest(&spec, Utc::now()).await.expect("contest")
}

fn members(names: &[&str]) -> Vec<(String, String, bool)> {
    names.iter().enumerate().map(|(i, n)| (n.to_string(), "Chuyên viên".to_string(), i == 0)).collect()
}

async fn team(store: &SqlStore, contest_id: i64, unit: &str) -> i64 {
    let m = members(&["Nguyễn Văn An"]);
    let t = NewTeam { contest_id, unit_code: unit, name: unit, members: &m, at: 1 };
    store.save_team(&t).await.expect("team").id
}

fn entry(contest_id: i64, action: &str) -> NewAudit {
    NewAudit {
        at: Utc::now(),
        account_id: None,
        actor: "thuky".into(),
        action: action.into(),
        contest_id: Some(contest_id),
        subject: "team".into(),
        detail: "{}".into(),
    }
}

fn sheet<'a>(contest_id: i64, judge_id: i64, team_id: i64, scores: &'a str) -> NewSheet<'a> {
    NewSheet { contest_id, judge_id, team_id, part_key: "gioi-thieu", scores, paper: false, entered_by: "gk", at: 1 }
}

async fn audits(store: &SqlStore, action: &str) -> usize {
    store.audit_chain(0, 10_000).await.expect("chain").iter().filter(|a| a.action == action).count()
}

async fn a_team_is_saved_with_its_members_and_replaced_whole(db: TestDb) {
    let store = db.store().await;
    let c = contest(&store).await;
    let m = members(&["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]);
    let first =
        store.save_team(&NewTeam { contest_id: c, unit_code: "A", name: "Đội A", members: &m, at: 1 }).await.unwrap();
    let m2 = members(&["Phạm Thị Dung", "Hoàng Văn Em"]);
    let again = store
        .save_team(&NewTeam { contest_id: c, unit_code: "A", name: "Đội A mới", members: &m2, at: 2 })
        .await
        .unwrap();
    assert_eq!(again.id, first.id, "one team per unit");
    assert_eq!((again.name.as_str(), again.created_at, again.updated_at), ("Đội A mới", 1, 2));
    let stored = store.event_members(c).await.unwrap();
    let names: Vec<&str> = stored.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["Phạm Thị Dung", "Hoàng Văn Em"]);
    assert_eq!(stored.iter().map(|m| m.captain).collect::<Vec<_>>(), vec![1, 0]);
    let b = team(&store, c, "B").await;
    store.set_performance_order(c, &[(b, 1), (first.id, 2)]).await.unwrap();
    let teams = store.event_teams(c).await.unwrap();
    assert_eq!(teams.iter().map(|t| t.performance_order).collect::<Vec<_>>(), vec![Some(2), Some(1)]);
}

async fn fifty_submissions_of_one_sheet_keep_exactly_one(db: TestDb) {
    let store = db.store().await;
    let c = contest(&store).await;
    let judge = store.insert_account("giamkhao", "hash", "staff", Utc::now()).await.unwrap();
    let t = team(&store, c, "A").await;
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let scores = format!("{{\"noi-dung\":{}}}", 100 * i);
                store.submit_sheet(&sheet(c, judge, t, &scores), &entry(c, "event.sheet_submit")).await.expect("submit")
            })
        })
        .collect();
    let mut stored = Vec::new();
    for task in tasks {
        stored.extend(task.await.expect("task"));
    }
    assert_eq!(stored.len(), 1, "of 50 sheets sent at once, one is stored");
    let rows = store.event_sheets(c, Some(judge)).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].scores, stored[0].scores, "the stored one is the one acknowledged");
    assert_eq!(audits(&store, "event.sheet_submit").await, 1, "and recorded once");
}

async fn a_reopened_sheet_takes_one_correction(db: TestDb) {
    let store = db.store().await;
    let c = contest(&store).await;
    let judge = store.insert_account("giamkhao", "hash", "staff", Utc::now()).await.unwrap();
    let t = team(&store, c, "A").await;
    let first = store.submit_sheet(&sheet(c, judge, t, "{\"a\":100}"), &entry(c, "s")).await.unwrap().unwrap();
    assert!(store.submit_sheet(&sheet(c, judge, t, "{\"a\":200}"), &entry(c, "s")).await.unwrap().is_none(), "locked");
    let other = c + 1000;
    assert!(
        store.reopen_sheet(other, first.id, "nhầm", &entry(c, "r")).await.unwrap().is_none(),
        "not another contest's"
    );
    let reopened = store.reopen_sheet(c, first.id, "Nhập nhầm điểm", &entry(c, "r")).await.unwrap().unwrap();
    assert_eq!((reopened.status.as_str(), reopened.reopen_reason.as_deref()), ("reopened", Some("Nhập nhầm điểm")));
    assert!(store.reopen_sheet(c, first.id, "lần hai", &entry(c, "r")).await.unwrap().is_none(), "already open");
    let corrected = store.submit_sheet(&sheet(c, judge, t, "{\"a\":300}"), &entry(c, "s")).await.unwrap().unwrap();
    assert_eq!(
        (corrected.id, corrected.status.as_str(), corrected.scores.as_str()),
        (first.id, "submitted", "{\"a\":300}")
    );
    assert!(store.submit_sheet(&sheet(c, judge, t, "{\"a\":400}"), &entry(c, "s")).await.unwrap().is_none());
    assert_eq!((audits(&store, "s").await, audits(&store, "r").await), (2, 1));
}

async fn answers_and_lots_are_corrected_in_place(db: TestDb) {
    let store = db.store().await;
    let c = contest(&store).await;
    let (a, b) = (team(&store, c, "A").await, team(&store, c, "B").await);
    for correct in [3, 4] {
        let row = AnswerRow {
            contest_id: c,
            team_id: a,
            part_key: "kien-thuc".into(),
            correct,
            entered_by: "mc".into(),
            entered_at: 1,
        };
        store.set_answers(&row).await.unwrap();
    }
    let answers = store.event_answers(c).await.unwrap();
    assert_eq!(answers.iter().map(|x| x.correct).collect::<Vec<_>>(), vec![4]);
    let lot = |team_id, lot_order, seed: &str| TieLotRow {
        team_id,
        contest_id: c,
        lot_order,
        seed: seed.into(),
        drawn_by: "btc".into(),
        drawn_at: 1,
    };
    store.set_tie_lots(&[lot(a, 1, "7"), lot(b, 2, "7")]).await.unwrap();
    store.set_tie_lots(&[lot(a, 2, "9"), lot(b, 1, "9")]).await.unwrap();
    let lots = store.event_tie_lots(c).await.unwrap();
    assert_eq!(lots.iter().map(|l| (l.team_id, l.lot_order)).collect::<Vec<_>>(), vec![(b, 1), (a, 2)]);
    store.set_part_open(c, "gioi-thieu", true, "tk", 1).await.unwrap();
    store.set_part_open(c, "gioi-thieu", false, "tk", 2).await.unwrap();
    let parts = store.event_parts(c).await.unwrap();
    assert_eq!((parts.len(), parts[0].is_open), (1, 0));
}
