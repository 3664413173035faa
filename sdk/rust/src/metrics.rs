//! Counters the client keeps about its events, and the snapshot it hands out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A snapshot of what a client did with the events it was given, from
/// [`AnalyticsClient::metrics`](crate::AnalyticsClient::metrics).
///
/// Every captured event ends in exactly one of `sent`, `rejected`, `failed` or `dropped`, or is
/// still `queued` (or in the request being sent).
///
/// ```no_run
/// # async fn run(client: loom_analytics::AnalyticsClient) {
/// let metrics = client.metrics();
/// if metrics.dropped > 0 {
///     eprintln!("{} events were dropped because the queue was full", metrics.dropped);
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Events waiting in the queue now.
    pub queued: usize,
    /// Events dropped because the queue was full (the oldest go first).
    pub dropped: u64,
    /// Events the service accepted.
    pub sent: u64,
    /// Events the service refused as invalid (logged with the server's reason); never retried.
    pub rejected: u64,
    /// Events given up: retries spent, or an answer such as 401 that retrying cannot fix.
    pub failed: u64,
    /// Requests retried after a network error, a timeout, a 429 or a 5xx.
    pub retries: u64,
}

/// The live counters, shared by the client and its background task.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) retries: Arc<AtomicU64>,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, queued: usize, dropped: u64) -> Metrics {
        Metrics {
            queued,
            dropped,
            sent: self.sent.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}
