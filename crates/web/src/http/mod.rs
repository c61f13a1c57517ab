//! Generic HTTP helpers every other room of the web crate uses, and nothing specific to one of
//! them: how a refusal becomes a response (JSON for the API, a page for the pages) and how its
//! cause is logged once, the extractors whose rejections are our own, how much of a body each
//! route reads, how many starts run at once (the API's and the contest page's), the client's
//! address, the scheme and the site's public address (believing forwarded headers only from
//! trusted proxies), and the request's trace span. It uses `i18n`
//! (error pages speak the visitor's language) and the crate root's `WebConfig` and `AppState`,
//! nothing else of the crate's rooms. (Cookies are a leaf room of their own, `cookies`, since
//! `i18n` sets one.)

mod client;
mod error;
mod extract;
mod gate;
mod limits;
mod page;
pub(crate) mod trace;

pub use client::{Peer, TrustedProxy, client_address, printed_base, public_base, settle_scheme};
pub use error::{
    ApiError, ErrorBody, cross_site, log_causes, not_found, overloaded, panic_response, retry_after, status_of,
};
pub use extract::{Form, Path, field_of};
pub use gate::StartGate;
pub use limits::{UPLOAD_LIMIT, UPLOAD_ROUTES, limit_body};
pub use page::{PageError, PageResult, no_store, private, see_other};
