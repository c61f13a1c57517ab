//! The contest domain of cuocthi: everything that decides a result, as plain Rust with no HTTP
//! and no SQL, so that it can be tested exhaustively and reused by every front end.
//!
//! The vocabulary follows `shared/GLOSSARY.md`: a [`contest::ContestSpec`] (cuộc thi) has
//! [`contest::RoundSpec`]s (đợt thi); a participant (người dự thi) takes attempts (lượt thi) whose
//! questions come from a [`draw`]; attempts are [`attempt`]-scored, [`ranking`]-ordered and
//! awarded [`prize`]s.
//!
//! [`contest`] composes the rest and nothing imports it back: the rules it holds are defined in
//! the module that uses them ([`draw::TopicQuota`], [`ranking::Predicts`],
//! [`identity::Eligibility`]…) and re-exported from `contest`. `text`, `vntime`, `audit`, `draw`
//! and `ranking` use nothing of the crate; `locality` and `question` use `text`; `stats` uses
//! `vntime`; `attempt` uses `draw`; `identity` uses `locality`, `text`, `vntime`; `prize` uses
//! `ranking`; `review` uses `identity`, `text`; `event` (the in-person event) uses `draw`.

pub mod attempt;
pub mod audit;
pub mod contest;
pub mod draw;
pub mod event;
pub mod identity;
pub mod locality;
pub mod privacy;
pub mod prize;
pub mod question;
pub mod ranking;
pub mod review;
pub mod stats;
pub mod text;
pub mod vntime;
