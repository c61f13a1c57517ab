//! The participants' use cases (and the public's): the contest pages, registration and
//! identification, attempts (start, save, submit; the sweeper that submits attempts past their
//! deadline), reports on questions, and what is published of results, with the check of a
//! certificate's serial.
//!
//! May use: `shared`, `crate::error` and the crate root; never `console`.

mod attempt_json;
pub mod attempts;
pub mod feedback;
pub mod privacy;
pub mod register;
pub mod results;
