//! `AnalyticsClient`: the handle applications call.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::builder::{AnalyticsClientBuilder, Config};
use crate::error::{Error, Result};
use crate::event::{encode_call, encode_event, encode_properties};
use crate::metrics::Metrics;
use crate::properties::Properties;
use crate::transport::Transport;
use crate::validation::{validate_distinct_id, validate_event_name};
use crate::worker::{Command, Shared, Worker};

/// A client of the Loom Analytics service.
///
/// [`capture`](Self::capture) validates an event and queues it; a background Tokio task sends
/// the queue to `/api/analytics/batch` every `flush_interval`, or as soon as `flush_at` events
/// wait, retrying network errors, 429 and 5xx with backoff. Every event carries a UUIDv7 made
/// here, so a retried batch is stored once.
///
/// [`identify`](Self::identify), [`alias`](Self::alias) and [`set`](Self::set) call the
/// service's endpoints of the same names and wait for the answer. They run on the background
/// task after the events captured before them have been sent, so the service sees them in the
/// order the application made them.
///
/// The client is cheap to clone (clones share one queue and one task). Call
/// [`shutdown`](Self::shutdown) before the program ends: it sends what is queued, within a time
/// limit. A client dropped without it logs a warning and sends what is queued in the background,
/// which is lost if the runtime stops first.
///
/// ```no_run
/// use std::time::Duration;
/// use loom_analytics::{AnalyticsClient, Properties};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), loom_analytics::Error> {
/// let client = AnalyticsClient::builder()
///     .api_key("loom_analytics_write_xxx")
///     .base_url("https://loom.example.com")
///     .flush_interval(Duration::from_secs(10))
///     .build()?;
///
/// client
///     .capture("button_clicked", "user_123", Properties::new().insert("page", "/cart"))
///     .await?;
///
/// client.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AnalyticsClient {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    config: Arc<Config>,
    commands: mpsc::UnboundedSender<Command>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// The service's answer to [`AnalyticsClient::identify`].
///
/// ```no_run
/// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
/// use loom_analytics::Properties;
///
/// let identified = client.identify("anon_abc123", "[email protected]", Properties::new()).await?;
/// if let Some(warning) = identified.warning {
///     // e.g. "already_identified": the anonymous id already belongs to another user.
///     eprintln!("not merged: {warning}");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Identified {
    /// The person both ids now belong to (`per_…`), when the service said.
    #[serde(default)]
    pub person_id: Option<String>,
    /// Whether two persons were merged into one by this call.
    #[serde(default)]
    pub merged: bool,
    /// Why the service did not merge, if it gives a reason (`already_identified`).
    #[serde(default)]
    pub warning: Option<String>,
}

impl AnalyticsClient {
    /// Starts configuring a client.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder();
    /// ```
    pub fn builder() -> AnalyticsClientBuilder {
        AnalyticsClientBuilder::new()
    }

    pub(crate) fn start(config: Config, runtime: &tokio::runtime::Handle) -> Result<Self> {
        let config = Arc::new(config);
        let shared = Arc::new(Shared::new(config.max_queue_size));
        let transport = Transport::new(config.clone(), shared.counters.retries.clone())?;
        let (commands, receiver) = mpsc::unbounded_channel();

        let worker = Worker::new(shared.clone(), config.clone(), transport);
        let task = runtime.spawn(worker.run(receiver));

        Ok(Self {
            inner: Arc::new(Inner {
                shared,
                config,
                commands,
                task: Mutex::new(Some(task)),
            }),
        })
    }

    /// Queues an event; it is sent in the background.
    ///
    /// Returns as soon as the event is queued, without touching the network. Errors are
    /// [`Error::Validation`] (event name not `^[a-z$][a-z0-9_.$]*$` or over 200 characters;
    /// distinct id empty, blank, over 200 characters or with control characters; properties
    /// over 1 MB of JSON or nested over 64 deep) and [`Error::Closed`] after `shutdown`.
    /// A full queue drops its oldest event to make room, counted in [`Metrics::dropped`].
    ///
    /// ```no_run
    /// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
    /// use loom_analytics::Properties;
    ///
    /// client
    ///     .capture(
    ///         "button_clicked",
    ///         "user_123",
    ///         Properties::new().insert("button_name", "checkout").insert("page", "/cart"),
    ///     )
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn capture(
        &self,
        event: impl AsRef<str>,
        distinct_id: impl AsRef<str>,
        properties: Properties,
    ) -> Result<()> {
        self.enqueue(event.as_ref(), distinct_id.as_ref(), properties, Utc::now())
    }

    /// Queues an event that happened at `timestamp` rather than now (importing history, or
    /// events buffered elsewhere). Same rules as [`capture`](Self::capture).
    ///
    /// ```no_run
    /// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
    /// use chrono::{Duration, Utc};
    /// use loom_analytics::Properties;
    ///
    /// let an_hour_ago = Utc::now() - Duration::hours(1);
    /// client.capture_at("order_shipped", "user_123", Properties::new(), an_hour_ago).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn capture_at(
        &self,
        event: impl AsRef<str>,
        distinct_id: impl AsRef<str>,
        properties: Properties,
        timestamp: DateTime<Utc>,
    ) -> Result<()> {
        self.enqueue(event.as_ref(), distinct_id.as_ref(), properties, timestamp)
    }

    fn enqueue(
        &self,
        event: &str,
        distinct_id: &str,
        properties: Properties,
        timestamp: DateTime<Utc>,
    ) -> Result<()> {
        validate_event_name(event)?;
        validate_distinct_id("distinct_id", distinct_id)?;
        let encoded = encode_event(event, distinct_id, properties, timestamp)?;

        let queued = {
            let mut state = self.inner.shared.lock();
            if state.closed {
                return Err(Error::Closed);
            }
            state.events.push(encoded)
        };

        if queued >= self.inner.config.flush_at {
            self.inner.shared.wake.notify_one();
        }
        Ok(())
    }

    /// Links an anonymous id to a user id, so both resolve to one person, and sets the
    /// person's `properties`; waits for the service's answer.
    ///
    /// Events captured before this call are sent first. Errors: [`Error::Validation`] for an
    /// invalid id, [`Error::Http`] for the service's refusal (`illegal_distinct_id` for a
    /// placeholder such as `"anonymous"` or `"null"`), and network errors once retries are
    /// spent.
    ///
    /// ```no_run
    /// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
    /// use loom_analytics::Properties;
    ///
    /// client
    ///     .identify(
    ///         "anon_abc123",
    ///         "[email protected]",
    ///         Properties::new().insert("plan", "pro").insert("company", "Acme Inc"),
    ///     )
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn identify(
        &self,
        anonymous_id: impl AsRef<str>,
        user_id: impl AsRef<str>,
        properties: Properties,
    ) -> Result<Identified> {
        let (anonymous_id, user_id) = (anonymous_id.as_ref(), user_id.as_ref());
        validate_distinct_id("distinct_id", anonymous_id)?;
        validate_distinct_id("user_id", user_id)?;
        let properties = encode_properties(properties.into_map())?;

        let body = encode_call(
            &[("distinct_id", anonymous_id), ("user_id", user_id)],
            Some(properties),
        );
        let answer = self.call("api/analytics/identify", body).await?;

        // The call succeeded whatever the body says; an unreadable one only loses the details.
        Ok(serde_json::from_slice(&answer).unwrap_or_default())
    }

    /// Links `alias` to the person of `distinct_id` (the service merges `alias`'s person into
    /// it); waits for the service's answer. Events captured before this call are sent first.
    ///
    /// ```no_run
    /// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
    /// client.alias("[email protected]", "user_legacy_id_456").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn alias(&self, distinct_id: impl AsRef<str>, alias: impl AsRef<str>) -> Result<()> {
        let (distinct_id, alias) = (distinct_id.as_ref(), alias.as_ref());
        validate_distinct_id("distinct_id", distinct_id)?;
        validate_distinct_id("alias", alias)?;

        let body = encode_call(&[("distinct_id", distinct_id), ("alias", alias)], None);
        self.call("api/analytics/alias", body).await.map(drop)
    }

    /// Sets properties on the person of `distinct_id` (creating the person if the id is new);
    /// waits for the service's answer. Events captured before this call are sent first.
    ///
    /// ```no_run
    /// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
    /// use chrono::Utc;
    /// use loom_analytics::Properties;
    ///
    /// client
    ///     .set("[email protected]", Properties::new().insert("last_login", Utc::now().to_rfc3339()))
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set(&self, distinct_id: impl AsRef<str>, properties: Properties) -> Result<()> {
        let distinct_id = distinct_id.as_ref();
        validate_distinct_id("distinct_id", distinct_id)?;
        let properties = encode_properties(properties.into_map())?;

        let body = encode_call(&[("distinct_id", distinct_id)], Some(properties));
        self.call("api/analytics/set", body).await.map(drop)
    }

    /// Sends every event queued so far and waits until the service has them (or they were
    /// given up). Returns the last error if a batch was given up or refused; the events
    /// concerned are counted in [`Metrics::failed`] or [`Metrics::rejected`].
    ///
    /// Retries count: with the service down, `flush` can wait through every retry. Wrap it in
    /// `tokio::time::timeout` to bound it.
    ///
    /// ```no_run
    /// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
    /// client.flush().await?;
    /// assert_eq!(client.metrics().queued, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn flush(&self) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Flush(reply))?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// Sends what is queued and stops the background task, within the `shutdown_timeout`
    /// (10 s by default). Afterwards every call returns [`Error::Closed`]; calling `shutdown`
    /// again returns `Ok(())` at once.
    ///
    /// Returns [`Error::Timeout`] if the time ran out (the events not sent by then are lost
    /// and logged), or the last error of a batch given up.
    ///
    /// ```no_run
    /// # async fn run(client: loom_analytics::AnalyticsClient) -> Result<(), loom_analytics::Error> {
    /// client.shutdown().await?;
    /// client.shutdown().await?; // a second call is harmless
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) -> Result<()> {
        let task = {
            let mut state = self.inner.shared.lock();
            state.closed = true;
            lock_task(&self.inner.task).take()
        };
        let task = match task {
            Some(task) => task,
            None => return Ok(()),
        };

        let (reply, answer) = oneshot::channel();
        if self.inner.commands.send(Command::Shutdown(reply)).is_err() {
            return Ok(());
        }

        let limit = self.inner.config.shutdown_timeout;
        match tokio::time::timeout(limit, answer).await {
            Ok(result) => {
                let _ = task.await;
                result.unwrap_or(Ok(()))
            }
            Err(_) => {
                task.abort();
                let lost = self.inner.shared.lock().events.len();
                tracing::error!(
                    lost,
                    ?limit,
                    "loom-analytics: shutdown timed out; events lost"
                );
                Err(Error::Timeout(limit))
            }
        }
    }

    /// A snapshot of the client's counters: queued, dropped on overflow, sent, rejected,
    /// failed, retried.
    ///
    /// ```no_run
    /// # fn run(client: loom_analytics::AnalyticsClient) {
    /// let metrics = client.metrics();
    /// println!("sent {} dropped {} queued {}", metrics.sent, metrics.dropped, metrics.queued);
    /// # }
    /// ```
    pub fn metrics(&self) -> Metrics {
        let (queued, dropped) = {
            let state = self.inner.shared.lock();
            (state.events.len(), state.events.dropped())
        };
        self.inner.shared.counters.snapshot(queued, dropped)
    }

    async fn call(&self, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Call { path, body, reply })?;
        answer.await.map_err(|_| Error::Closed)?
    }

    fn send(&self, command: Command) -> Result<()> {
        if self.inner.shared.lock().closed {
            return Err(Error::Closed);
        }
        self.inner.commands.send(command).map_err(|_| Error::Closed)
    }
}

impl std::fmt::Debug for AnalyticsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The API key stays out of debug output: it ends up in logs.
        f.debug_struct("AnalyticsClient")
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let state = self.shared.lock();
        if !state.closed {
            tracing::warn!(
                queued = state.events.len(),
                "loom-analytics: AnalyticsClient dropped without shutdown(); queued events are \
                 sent in the background only while the Tokio runtime keeps running",
            );
        }
    }
}

fn lock_task(
    task: &Mutex<Option<JoinHandle<()>>>,
) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
    task.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
