//! Storage of cuocthi: one [`Store`] trait with domain-level methods, implemented once by
//! [`SqlStore`] for both SQLite (embedded default) and PostgreSQL (several app nodes).
//!
//! The SQL text is shared between the backends (sqlx's SQLite driver binds `$1` placeholders);
//! instants are `BIGINT` milliseconds and flags `0/1` integers so one set of Rust types reads both.
//!
//! Rooms, each using only those listed before it:
//! - `error`: [`StoreError`], every driver error mapped with its cause kept (a leaf);
//! - `pool`: the pools of either backend, and the `on!` and `statement!` macros that run SQL on
//!   whichever is in use (a leaf);
//! - `model`, `review`, `feedback`, `stats`, `privacy`, `console`: what the traits take and hand back, and
//!   [`ConsoleStore`] (types only, no SQL);
//! - `sqlite_direct`: rusqlite on SQLite's participant path (the writer thread, point reads);
//! - `sql`: [`SqlStore`], the SQL of both traits, one module per table family;
//! - `backup`: backups and restores of a whole store, from its URL (uses `error` only).
//! - `copy`: a whole store copied into another, empty one, across backends (uses `error`, `sql`).
//!
//! Each trait's text is held by a macro (`store_trait!`, `console::console_trait!`) that both
//! declares the trait and lets `sql` implement it from the same words, so a method's signature is
//! written in the trait and in its table family's file, and nowhere in between.

pub mod backup;
mod console;
pub mod copy;
mod error;
mod event;
mod feedback;
mod model;
mod pg_writer;
mod pool;
mod privacy;
mod review;
mod sql;
mod sqlite_direct;
mod stage;
mod stats;

pub use console::*;
pub use error::{BoxError, StoreError};
pub use event::*;
pub use feedback::{NewReport, NewVoid, ReportFilter, ReportRow, Rescore, VoidRow};
pub use model::*;
pub use pg_writer::PoolUse;
pub use pool::Backend;
pub use privacy::{NewPrivacyRequest, PrivacyRequestRow, PurgeCounts};
pub use review::*;
pub use sql::{SqlStore, redact};
pub use stage::*;
pub use stats::{CounterRow, StaffMember};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cuocthi_domain::contest::ContestSpec;
use cuocthi_domain::identity::Identity;
use cuocthi_domain::question::Question;
use cuocthi_domain::ranking::Scored;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Scores an attempt that is being closed: given the row with its final answers, returns (correct
/// answers, time taken in ms). Owned, so that it can run on the SQLite writer's thread.
pub type Scorer = std::sync::Arc<dyn Fn(&AttemptRow) -> (u32, i64) + Send + Sync>;

/// Emits the items it is given: the declaration of a trait whose text a `*_trait!` macro holds
/// (see [`store_trait`]).
macro_rules! declare {
    ($($item:item)*) => {
        $($item)*
    };
}
pub(crate) use declare;

/// The text of [`Store`], handed to the macro `$then`: [`declare`] declares the trait from it and
/// `SqlStore` implements it from the same text (`sql::delegate`), so that each method's signature
/// is written here and once more where its SQL is, not a third time in between.
macro_rules! store_trait {
    ($then:ident) => {
        $then! {
            #[async_trait]
            pub trait Store: ConsoleStore + Send + Sync + 'static {
                fn backend(&self) -> Backend;
                /// Answers when the database does.
                async fn ping(&self) -> Result<()>;

                // Secrets shared by every app node (token signing).
                /// Returns the stored secret `name`, storing `candidate` first if there is none.
                async fn secret(&self, name: &str, candidate: &str) -> Result<String>;

                // Contests.
                async fn insert_contest(&self, spec: &ContestSpec, now: DateTime<Utc>) -> Result<i64>;
                async fn list_contests(&self) -> Result<Vec<ContestRow>>;
                async fn contest_by_slug(&self, slug: &str) -> Result<Option<StoredContest>>;
                async fn contest_by_id(&self, id: i64) -> Result<Option<StoredContest>>;
                async fn round(&self, round_id: i64) -> Result<Option<RoundRow>>;
                /// Freezes the real tiebreak figure once; returns whether this call froze it.
                async fn freeze_figure(&self, round_id: i64, figure: i64, now: DateTime<Utc>) -> Result<bool>;
                async fn is_registered(&self, contest_id: i64, keys: &[String]) -> Result<bool>;

                // The question bank.
                async fn insert_questions(
                    &self,
                    contest_id: i64,
                    questions: &[Question],
                    now: DateTime<Utc>,
                ) -> Result<Vec<i64>>;
                /// Active questions of a contest, in id order.
                async fn bank(&self, contest_id: i64) -> Result<Vec<StoredQuestion>>;
                async fn questions_by_id(&self, ids: &[i64]) -> Result<Vec<StoredQuestion>>;
                /// Replaces a question by a new version; the old one stays for the attempts that drew it.
                async fn revise_question(&self, id: i64, question: &Question, now: DateTime<Utc>) -> Result<i64>;

                // Participants.
                async fn insert_participant(
                    &self,
                    contest_id: i64,
                    key: &str,
                    who: &Identity,
                    complete: bool,
                    consent: Option<&str>,
                    now: DateTime<Utc>,
                ) -> Result<ParticipantRow>;
                async fn participant_by_key(&self, contest_id: i64, key: &str) -> Result<Option<ParticipantRow>>;
                async fn participant(&self, id: i64) -> Result<Option<ParticipantRow>>;
                async fn participants_of(&self, contest_id: i64) -> Result<Vec<ParticipantRow>>;
                async fn participants_by_id(&self, ids: &[i64]) -> Result<Vec<ParticipantRow>>;

                // Attempts.
                /// Starts an attempt unless the person holds an open one (returned instead) or has used every
                /// attempt allowed; safe under simultaneous calls from several app nodes.
                async fn start_attempt(&self, new: &NewAttempt) -> Result<StartOutcome>;
                async fn attempt(&self, id: i64) -> Result<Option<AttemptRow>>;
                async fn attempts_of(&self, participant_id: i64) -> Result<Vec<AttemptRow>>;
                /// An attempt with how many attempts its person has started in its round and its
                /// contest's voids.
                async fn attempt_in_context(&self, id: i64) -> Result<Option<AttemptInContext>>;
                /// Saves one answer slot if the attempt is the person's, open and before its deadline.
                /// Returns whether it was saved.
                async fn save_answer(
                    &self,
                    attempt_id: i64,
                    participant_id: i64,
                    position: usize,
                    slot: char,
                    now: DateTime<Utc>,
                ) -> Result<bool>;
                async fn save_prediction(
                    &self,
                    attempt_id: i64,
                    participant_id: i64,
                    prediction: i64,
                    now: DateTime<Utc>,
                ) -> Result<bool>;
                /// Closes an open attempt and stores its score, in one transaction; `None` if it was not open.
                async fn submit_attempt(
                    &self,
                    attempt_id: i64,
                    submitted_at: DateTime<Utc>,
                    auto: bool,
                    scorer: Scorer,
                ) -> Result<Option<AttemptRow>>;
                /// Open attempts whose deadline has passed, oldest first.
                async fn due_attempts(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<i64>>;
                async fn scored_attempts(&self, round_id: i64) -> Result<Vec<Scored>>;
                async fn round_counts(&self, round_id: i64) -> Result<RoundCounts>;

                /// Stores many people with one submitted, scored attempt each, in large transactions: for
                /// importing results kept elsewhere and for building benchmark stores. Returns how many.
                async fn bulk_insert_submitted(
                    &self,
                    contest_id: i64,
                    round_id: i64,
                    rows: &[BulkAttempt],
                ) -> Result<usize>;

                // Results.
                /// How many attempts of a round are still open and the latest of their deadlines:
                /// a ranking approved before they are in would leave them out.
                async fn open_attempts(&self, round_id: i64) -> Result<(i64, Option<DateTime<Utc>>)>;
                /// The newest ranking version of a scope shown to the public.
                async fn published_ranking(
                    &self,
                    contest_id: i64,
                    round_id: Option<i64>,
                ) -> Result<Option<PublishedRanking>>;
            }
        }
    };
}
pub(crate) use store_trait;

store_trait!(declare);
