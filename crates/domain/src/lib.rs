//! The contest domain of cuocthi: everything that decides a result, as plain Rust with no HTTP
//! and no SQL, so that it can be tested exhaustively and reused by every front end.
//!
//! The vocabulary follows `shared/GLOSSARY.md`: a [`contest::ContestSpec`] (cuộc thi) has
//! [`contest::RoundSpec`]s (đợt thi); a participant (người dự thi) takes attempts (lượt thi) whose
//! questions come from a [`draw`]; attempts are [`attempt`]-scored, [`ranking`]-ordered and
//! awarded [`prize`]s.

pub mod attempt;
pub mod audit;
pub mod contest;
pub mod draw;
pub mod identity;
pub mod locality;
pub mod prize;
pub mod question;
pub mod ranking;
pub mod review;
pub mod stats;
pub mod text;
pub mod vntime;
