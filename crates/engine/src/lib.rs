//! The use cases of cuocthi — register, identify, start, save, submit, rank, publish, import — as
//! one [`Engine`] over the pure domain and the [`Store`]. Both the web layer and the CLI call it,
//! so a rule is enforced in one place whatever the front end.
//!
//! The engine keeps what every request reads (contests, rules, the question bank) in memory:
//! questions never change in place (an edit is a new version with a new id), so a question read
//! once is valid for ever; contests are re-read after a short time to pick up edits.
//!
//! The rooms, by who acts (each module's head says what it may use; no two import each other):
//! - [`participant`]: participants' and the public's use cases;
//! - [`console`]: the staff's use cases (the organisers' console, judges, secretariat, reports);
//! - [`shared`]: what both use (catalog, views, naming, rankings, certificates' data, counters,
//!   clock, tokens);
//! - [`import`]: reading uploaded files (.docx, .xlsx, .csv, contest TOML) into drafts and reports;
//! - [`demo`]: the demo contests and synthetic load.

pub mod console;
pub mod demo;
mod error;
pub mod import;
pub mod participant;
pub mod shared;

use std::sync::Arc;

pub use console::{MIN_PASSWORD_CHARS, Role};
pub use cuocthi_store::{Store, StoreError};
pub use error::{BoxError, EngineError};
pub use participant::attempts::AnswerSaved;
pub use shared::clock::{Clock, ManualClock, SystemClock};

// The paths the web and cli crates used before the rooms above; each names where it now lives.
pub use console::{analysis, units, verify};
pub use shared::{certificates, clock, token, views};

/// Old path of feedback's types: `participant::feedback` (reports) and `console::feedback`
/// (the secretariat's queue and voids); `void_label` is in `shared::naming`.
pub mod feedback {
    pub use crate::console::feedback::*;
    pub use crate::participant::feedback::*;
    pub use crate::shared::naming::void_label;
}

/// Old path of the review's types: `console::review`; `Origin` is in `participant::attempts`.
pub mod review {
    pub use crate::console::review::*;
    pub use crate::participant::attempts::Origin;
}

/// Old path of statistics: `console::stats`; `LiveCounts` is in `shared::counters`.
pub mod stats {
    pub use crate::console::stats::*;
    pub use crate::shared::counters::LiveCounts;
}

use shared::catalog::Catalog;
use shared::token::Signer;

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
/// The application: a store, a clock, the token signer and the in-memory catalog.
#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) signer: Signer,
    pub(crate) catalog: Arc<Catalog>,
    /// Password hashes computed at once (each takes ~19 MiB and tens of ms).
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
    /// Uploaded question files read at once (each keeps a processor busy for seconds when large);
    /// the others wait their turn, and their progress says so.
    pub(crate) reading: Arc<tokio::sync::Semaphore>,
    /// A hash checked when a sign-in names no account, so that case costs the same time.
    pub(crate) dummy_hash: Arc<std::sync::OnceLock<String>>,
    /// The stage's screens open on this node, one channel per contest (`console::stage`).
    pub(crate) stage_hub: Arc<console::stage::Hub>,
}

impl Engine {
    /// Builds an engine; the signing secret is shared through the store so that every app node
    /// accepts the tokens of every other.
    pub async fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<Engine> {
        let candidate = shared::token::random_secret();
        let secret = store.secret("participant-token", &candidate).await?;
        Ok(Engine {
            store,
            clock,
            signer: Signer::new(secret.as_bytes()),
            catalog: Arc::new(Catalog::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(2)),
            reading: Arc::new(tokio::sync::Semaphore::new(2)),
            dummy_hash: Arc::new(std::sync::OnceLock::new()),
            stage_hub: Arc::default(),
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether the database answers, for `/healthz`.
    pub async fn healthy(&self) -> bool {
        self.store.ping().await.is_ok()
    }
}
