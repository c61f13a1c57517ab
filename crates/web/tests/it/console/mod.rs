//! The organisers' console through the real router on a real database, one file for each part
//! of it.

mod access;
mod contests;
mod import;
mod results;
mod sign_in;
mod statistics;
mod units;
