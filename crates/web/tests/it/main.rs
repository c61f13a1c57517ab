//! The one integration test binary of the web crate: the whole application through its real
//! router on a real database. Tests declared with `on_both_backends!` run once on SQLite and once
//! on PostgreSQL; `harness` holds what every file shares.

mod api;
mod console;
mod edge;
mod event;
mod feedback;
mod harness;
mod metrics;
mod pages;
mod privacy;
mod results_structure;
mod rough_edges;
mod staff;
mod stage;
mod start;
mod throttle;
