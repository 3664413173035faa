//! The one error type of the crate.

use std::time::Duration;

/// Everything that can go wrong in this crate, as one enum a caller can match on.
///
/// `capture` only ever returns [`Error::Validation`] or [`Error::Closed`]: it enqueues and returns
/// before anything touches the network. The calls that wait for the server (`identify`, `alias`,
/// `set`, `flush`, `shutdown`) can return any variant.
///
/// ```
/// use loom_analytics::{Error, validate_event_name};
///
/// match validate_event_name("Button Clicked") {
///     Err(Error::Validation { field, .. }) => assert_eq!(field, "event"),
///     other => panic!("expected a validation error, got {other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The builder was given a missing or impossible setting; `build()` returns it.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// An argument breaks the service's rules (event name, distinct id, properties); nothing was
    /// queued or sent.
    #[error("invalid {field}: {message}")]
    Validation {
        /// Which argument: `event`, `distinct_id`, `user_id`, `alias` or `properties`.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },

    /// The server answered with a status that is not a success and will not get better by
    /// retrying (a 4xx other than 429), or a retryable status after every retry was spent.
    #[error("server answered {status} {code}: {message}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The server's machine-readable code (`error` in its JSON body), or `unknown` when the
        /// body had none.
        code: String,
        /// The server's message, or the start of the raw body.
        message: String,
    },

    /// The request never got an answer: connection refused or reset, DNS, TLS. Retried with
    /// backoff before it is returned.
    #[error("transport error: {0}")]
    Transport(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The operation did not finish in time (a request's timeout, or `shutdown`'s time limit).
    #[error("timed out after {0:?}")]
    Timeout(Duration),

    /// The client was shut down; it accepts no more calls.
    #[error("the client is shut down")]
    Closed,
}

impl Error {
    pub(crate) fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation {
            field,
            message: message.into(),
        }
    }
}

/// Shorthand for `Result<T, loom_analytics::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
