//! The store's one integration test binary: its contract as the engine relies on it, each test
//! on SQLite and on PostgreSQL.

mod audit;
mod backup;
mod contract;
mod event;
mod pg_batch;
mod pg_group_commit;
mod stats;
mod throttle;
