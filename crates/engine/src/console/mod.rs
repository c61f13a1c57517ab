//! The staff's use cases, the organisers' console (trang quản trị): staff accounts and roles,
//! sign-in with a second factor, the audit log, contest set-up, lists, materials, the question
//! bank, participants; the judges' review, results (approval in versions, publication),
//! verification, the seal of submissions, the secretariat's side of feedback and voids,
//! statistics, units' participation, item analysis, the report and the workbooks. Every use case
//! takes the signed-in [`Staff`] and checks its role itself (`access` is the one role table).
//!
//! May use: `shared`, `import`, `crate::error` and the crate root; never `participant`.

pub mod access;
mod accounts;
pub mod analysis;
pub mod audit;
mod auth;
mod bank;
mod contests;
pub mod event;
pub mod exports;
pub mod feedback;
mod lists;
mod materials;
pub mod meeting;
mod people;
pub mod privacy;
mod report;
pub mod results;
pub mod review;
mod seal;
pub mod stage;
pub mod stats;
pub mod units;
pub mod verify;

pub use access::{Action, Grant, Role, Staff};
pub use accounts::{AccountView, MIN_PASSWORD_CHARS};
pub use audit::{ACTION_LABELS, AUDIT_PAGE, ChainCheck, NamedEntry, action_label};
pub use auth::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, SignIn, StaffSession, TotpSetup};
pub use bank::{BankQuery, BankView, ImportPreview};
pub use contests::{ConsoleContest, ConsoleRound, NewContest};
pub use lists::UnitLine;
pub use materials::{MAX_LOGO_BYTES, MAX_MATERIAL_BYTES, MaterialView};
pub use people::{PersonView, SEARCH_LIMIT};
