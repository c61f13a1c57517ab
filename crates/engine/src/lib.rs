//! The use cases of cuocthi — register, identify, start, save, submit, rank, publish, import — as
//! one [`Engine`] over the pure domain and the [`Store`]. Both the web layer and the CLI call it,
//! so a rule is enforced in one place whatever the front end.
//!
//! The engine keeps what every request reads (contests, rules, the question bank) in memory:
//! questions never change in place (an edit is a new version with a new id), so a question read
//! once is valid for ever; contests are re-read after a short time to pick up edits.

pub mod analysis;
mod attempts;
mod cache;
pub mod certificates;
pub mod clock;
pub mod console;
pub mod demo;
mod error;
mod exports;
pub mod feedback;
pub mod import;
mod participants;
mod report;
mod results;
pub mod review;
mod seal;
pub mod stats;
pub mod token;
pub mod units;
pub mod verify;
pub mod views;

use std::sync::Arc;

pub use attempts::AnswerSaved;
pub use clock::{Clock, ManualClock, SystemClock};
pub use console::{MIN_PASSWORD_CHARS, Role};
pub use cuocthi_store::{Store, StoreError};
pub use error::EngineError;

use cache::Catalog;
use token::Signer;

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
}

impl Engine {
    /// Builds an engine; the signing secret is shared through the store so that every app node
    /// accepts the tokens of every other.
    pub async fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<Engine> {
        let candidate = token::random_secret();
        let secret = store.secret("participant-token", &candidate).await?;
        Ok(Engine {
            store,
            clock,
            signer: Signer::new(secret.as_bytes()),
            catalog: Arc::new(Catalog::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(2)),
            reading: Arc::new(tokio::sync::Semaphore::new(2)),
            dummy_hash: Arc::new(std::sync::OnceLock::new()),
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
