//! Reading the audit log by an action's prefix: actions are written with `_`
//! (`event.sheet_submit`), which LIKE would otherwise read as a wildcard, or which an earlier
//! version dropped so that such a prefix matched nothing.

use chrono::{TimeZone, Utc};
use cuocthi_store::{AuditFilter, ConsoleStore, NewAudit};
use cuocthi_testkit::{TestDb, on_both_backends};

on_both_backends!(a_prefix_with_an_underscore_is_read_as_written);

async fn a_prefix_with_an_underscore_is_read_as_written(db: TestDb) {
    let store = db.store().await;
    let at = Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap();
    for action in ["event.sheet_submit", "event.sheetXsubmit", "event.sheet_reopen", "event.100%"] {
        let entry = NewAudit {
            at,
            account_id: None,
            actor: "thu-ky".into(),
            action: action.into(),
            contest_id: None,
            subject: "s".into(),
            detail: "{}".into(),
        };
        store.append_audit(&entry).await.expect("append");
    }
    let read = |prefix: &str| {
        let filter = AuditFilter { action_prefix: Some(prefix.into()), limit: 10, ..Default::default() };
        let store = store.clone();
        async move {
            let mut actions: Vec<String> =
                store.audit_entries(&filter).await.expect("read").into_iter().map(|a| a.action).collect();
            actions.sort();
            actions
        }
    };
    assert_eq!(read("event.sheet_").await, ["event.sheet_reopen", "event.sheet_submit"]);
    assert_eq!(read("event.sheet_submit").await, ["event.sheet_submit"]);
    assert_eq!(read("event.1").await, ["event.100%"]);
    assert!(read("event.100\\").await.is_empty(), "a backslash is a letter too");
    assert_eq!(read("event.").await.len(), 4);
}
