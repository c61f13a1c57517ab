//! What participants' and staff's use cases share: the in-memory catalog and the look-ups through
//! it, the views both sides return, the names shown for codes, rankings as computed from the
//! scores, certificates' data, the live counters, the clock and the token signer.
//!
//! May use: the domain, the store, `crate::error` and the crate root (`Engine`, `Result`); never
//! `participant`, `console`, `import` or `demo`.

pub mod catalog;
pub mod certificates;
pub mod clock;
pub mod counters;
pub mod lookup;
pub mod naming;
pub mod privacy;
pub mod ranking;
pub mod text;
pub mod throttle;
pub mod token;
pub mod views;
