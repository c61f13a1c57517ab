//! The organisers' console (trang quản trị): staff accounts and roles, sign-in with a second
//! factor, contest set-up, the question bank, participants and the audit log. Every use case
//! takes the signed-in [`Staff`] and checks its role itself.

pub mod access;
mod accounts;
pub mod audit;
mod auth;
mod bank;
mod contests;
mod lists;
mod materials;
mod people;

pub use access::{Action, Grant, Role, Staff};
pub use accounts::{AccountView, MIN_PASSWORD_CHARS};
pub use audit::{ACTION_LABELS, AUDIT_PAGE, ChainCheck, NamedEntry, action_label};
pub use auth::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, SignIn, StaffSession, TotpSetup};
pub use bank::{BankQuery, BankView, ImportPreview};
pub use contests::{ConsoleContest, ConsoleRound, NewContest};
pub use lists::UnitLine;
pub use materials::{MAX_LOGO_BYTES, MAX_MATERIAL_BYTES, MaterialView};
pub use people::{PersonView, SEARCH_LIMIT};
