//! # loom-analytics
//!
//! The Rust client of Loom Analytics, a self-hostable, PostHog-style
//! product analytics service: capture events from a backend, link anonymous visitors to the
//! users they become, and set person properties.
//!
//! ```no_run
//! use std::time::Duration;
//! use loom_analytics::{AnalyticsClient, Properties};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), loom_analytics::Error> {
//!     let client = AnalyticsClient::builder()
//!         .api_key("loom_analytics_write_xxx")
//!         .base_url("https://loom.example.com")
//!         .flush_interval(Duration::from_secs(10))
//!         .build()?;
//!
//!     // Queued at once; sent in the background, in batches.
//!     client
//!         .capture("button_clicked", "user_123", Properties::new().insert("page", "/cart"))
//!         .await?;
//!
//!     // Sends what was captured before it, then links the two ids on the server.
//!     client
//!         .identify("anon_abc123", "[email protected]", Properties::new().insert("plan", "pro"))
//!         .await?;
//!
//!     // Flushes what is queued, with a time limit.
//!     client.shutdown().await?;
//!     Ok(())
//! }
//! ```
//!
//! ## Guarantees
//!
//! - **Nothing blocks the request path**: [`AnalyticsClient::capture`] validates and queues;
//!   the network is the background task's business.
//! - **Nothing duplicated**: every event gets a UUIDv7 when captured, and the service stores
//!   an id once, so a batch retried after a lost answer is not counted twice.
//! - **Nothing lost that can be kept**: network errors, timeouts, 429 and 5xx are retried with
//!   exponential backoff and jitter; only a full queue (the oldest event is dropped, counted in
//!   [`Metrics::dropped`]), spent retries, or the `shutdown` time limit lose events, and each
//!   is counted and logged.
//!
//! Logging goes through [`tracing`]; install a subscriber to see it.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod backoff;
mod builder;
mod client;
mod error;
mod event;
mod metrics;
mod properties;
mod queue;
mod transport;
mod uuid_v7;
mod validation;
mod worker;

pub use builder::AnalyticsClientBuilder;
pub use client::{AnalyticsClient, Identified};
pub use error::{Error, Result};
pub use metrics::Metrics;
pub use properties::Properties;
pub use validation::{
    validate_distinct_id, validate_event_name, MAX_DISTINCT_ID_LEN, MAX_EVENT_NAME_LEN,
    MAX_PROPERTIES_BYTES, MAX_PROPERTIES_DEPTH,
};

/// Compiles the README's example, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
