//! The domain crate's one integration test binary: its public API as the other crates use it.

mod examples;
mod untrusted_input;
