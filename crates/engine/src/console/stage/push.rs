//! The stage's push: a `watch` channel per contest with a screen open on this node, fed at once
//! by the control steps taken here and, for the steps taken on other app nodes, by a poller that
//! reads the stored version every [`POLL`] while a screen is open (and stops when none is).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cuocthi_store::StageRow;
use tokio::sync::watch;

use super::Staged;
use super::screen::ScreenState;
use crate::{Engine, EngineError, Result};

/// How often a node reads the stored version while one of its screens is open: a change made on
/// another node shows within this time (plus the push).
pub const POLL: Duration = Duration::from_millis(400);

/// Polls between two rebuilds of the state at an unchanged version (2 s).
const REFRESH_EVERY: u32 = 5;

/// The stage's in-process channels: one per contest with a screen open on this node.
#[derive(Default)]
pub struct Hub {
    channels: Mutex<HashMap<i64, watch::Sender<Option<Arc<Frame>>>>>,
}

/// A state pushed to the screens, serialised once for all of them.
#[derive(Debug)]
pub struct Frame {
    pub version: i64,
    pub json: String,
    pub state: ScreenState,
}

impl Engine {
    pub(super) async fn frame(&self, st: &Staged, row: &StageRow) -> Result<Arc<Frame>> {
        let state = self.build_screen(st, row).await?;
        let json = serde_json::to_string(&state).map_err(|e| EngineError::Internal(Box::new(e)))?;
        Ok(Arc::new(Frame { version: row.version, json, state }))
    }

    /// Sends the new state to this node's open screens of the contest, if any.
    pub(super) async fn push_stage(&self, st: &Staged, row: &StageRow) {
        let sender = self.stage_hub.channels.lock().ok().and_then(|m| m.get(&st.id()).cloned());
        let Some(sender) = sender else { return };
        match self.frame(st, row).await {
            Ok(frame) => offer(&sender, frame),
            Err(e) => tracing::warn!(error = %e, "the stage's new state could not be built"),
        }
    }

    /// The stage's states as they change, for a screen or a scoreboard: the current one at once,
    /// then each new one (changes made on other app nodes within [`POLL`]).
    pub async fn stage_updates(&self, slug: &str) -> Result<watch::Receiver<Option<Arc<Frame>>>> {
        let st = self.staged(slug).await?;
        let id = st.id();
        let (rx, start) = {
            let mut map = self.stage_hub.channels.lock().map_err(|_| EngineError::Internal("stage hub".into()))?;
            match map.get(&id) {
                Some(tx) => (tx.subscribe(), false),
                None => {
                    let (tx, rx) = watch::channel(None);
                    map.insert(id, tx);
                    (rx, true)
                }
            }
        };
        if rx.borrow().is_none() {
            let row = self.stage_row(&st).await?;
            let frame = self.frame(&st, &row).await?;
            if let Some(tx) = self.stage_hub.channels.lock().ok().and_then(|m| m.get(&id).cloned()) {
                offer(&tx, frame);
            }
        }
        if start {
            let engine = self.clone();
            let slug = slug.to_string();
            tokio::spawn(async move { engine.poll_stage(id, slug).await });
        }
        Ok(rx)
    }

    /// Reads the stored version every [`POLL`] while a screen of the contest is open on this
    /// node, and sends the state when another node changed it. Every [`REFRESH_EVERY`] polls it
    /// also builds the state again at the same version and sends it if it differs: the standings
    /// change with the judges' sheets and the secretariat's entries too, which are no stage step.
    async fn poll_stage(&self, id: i64, slug: String) {
        let mut polls = 0u32;
        loop {
            tokio::time::sleep(POLL).await;
            polls = polls.wrapping_add(1);
            let sender = {
                let Ok(mut map) = self.stage_hub.channels.lock() else { return };
                let Some(tx) = map.get(&id).cloned() else { return };
                if tx.receiver_count() == 0 {
                    map.remove(&id);
                    return;
                }
                tx
            };
            let shown = sender.borrow().as_ref().map_or(-1, |f| f.version);
            match self.store.stage_version(id).await {
                Ok(Some(v)) if v > shown => {}
                Ok(_) if polls.is_multiple_of(REFRESH_EVERY) => {}
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "the stage's version could not be read");
                    continue;
                }
            }
            let built = async {
                let st = self.staged(&slug).await?;
                let row = self.stage_row(&st).await?;
                self.frame(&st, &row).await
            };
            match built.await {
                Ok(frame) => offer(&sender, frame),
                Err(e) => tracing::warn!(error = %e, "the stage's new state could not be built"),
            }
        }
    }
}

/// Replaces the channel's state with `frame` when it is newer, or of the same version but
/// different (the standings moved); an older or identical one changes nothing.
fn offer(tx: &watch::Sender<Option<Arc<Frame>>>, frame: Arc<Frame>) {
    tx.send_if_modified(|cur| {
        let stale = cur
            .as_ref()
            .is_some_and(|c| c.version > frame.version || (c.version == frame.version && c.json == frame.json));
        if stale {
            return false;
        }
        *cur = Some(frame);
        true
    });
}
