//! `AnalyticsClientBuilder`: settings, their defaults and their checks.

use std::time::Duration;

use reqwest::Url;

use crate::backoff::Backoff;
use crate::client::AnalyticsClient;
use crate::error::{Error, Result};

/// Most events the service takes in one `/batch` request.
const SERVICE_MAX_BATCH: usize = 1000;

/// Settings of a client, checked by [`AnalyticsClientBuilder::build`].
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) api_key: String,
    pub(crate) base_url: Url,
    pub(crate) flush_interval: Duration,
    pub(crate) flush_at: usize,
    pub(crate) max_batch_size: usize,
    pub(crate) max_batch_bytes: usize,
    pub(crate) max_queue_size: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) gzip: bool,
    pub(crate) request_timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) backoff: Backoff,
    pub(crate) shutdown_timeout: Duration,
}

/// Builds an [`AnalyticsClient`]; get one from [`AnalyticsClient::builder`].
///
/// Only `api_key` and `base_url` are required. The defaults suit a web service: send every
/// 10 seconds or as soon as 20 events wait, at most 500 events a request and 2 requests at a
/// time, keep at most 10 000 events in memory, retry up to 10 times from 200 ms backing off to
/// 30 s, and give `shutdown` 10 seconds.
///
/// ```
/// use std::time::Duration;
/// use loom_analytics::AnalyticsClient;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), loom_analytics::Error> {
/// let client = AnalyticsClient::builder()
///     .api_key("loom_analytics_write_xxx")
///     .base_url("http://127.0.0.1:3000")
///     .flush_interval(Duration::from_secs(5))
///     .flush_at(50)
///     .max_queue_size(50_000)
///     .build()?;
/// # client.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until build() is called"]
pub struct AnalyticsClientBuilder {
    api_key: Option<String>,
    base_url: Option<String>,
    flush_interval: Duration,
    flush_at: usize,
    max_batch_size: usize,
    max_queue_size: usize,
    max_in_flight: usize,
    gzip: bool,
    request_timeout: Duration,
    max_retries: u32,
    retry_initial_delay: Duration,
    retry_max_delay: Duration,
    shutdown_timeout: Duration,
}

impl Default for AnalyticsClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            flush_interval: Duration::from_secs(10),
            flush_at: 20,
            max_batch_size: 500,
            max_queue_size: 10_000,
            max_in_flight: 2,
            gzip: true,
            request_timeout: Duration::from_secs(10),
            max_retries: 10,
            retry_initial_delay: Duration::from_millis(200),
            retry_max_delay: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

impl AnalyticsClientBuilder {
    /// A builder with every default; same as [`AnalyticsClient::builder`].
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClientBuilder::new();
    /// assert!(builder.build().is_err(), "api_key and base_url are required");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The project's API key: a write key (`loom_analytics_write_…`) is enough, and is the one
    /// to use. Required.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().api_key("loom_analytics_write_xxx");
    /// ```
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// Where the Loom Analytics service answers, `http://` or `https://`, with or without a
    /// path prefix (`https://example.com/loom`). Required.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().base_url("https://loom.example.com");
    /// ```
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// How often queued events are sent even when fewer than `flush_at` wait. Default 10 s;
    /// must be more than zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = loom_analytics::AnalyticsClient::builder().flush_interval(Duration::from_secs(1));
    /// ```
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Send as soon as this many events are queued. Default 20; at least 1.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().flush_at(100);
    /// ```
    pub fn flush_at(mut self, events: usize) -> Self {
        self.flush_at = events;
        self
    }

    /// Most events in one request. Default 500; 1 to 1000 (the service's limit). Requests are
    /// also kept under 4 MB of JSON, whatever this says. Large batches only form when events
    /// arrive faster than they are sent, and then they cost the service less per event.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().max_batch_size(200);
    /// ```
    pub fn max_batch_size(mut self, events: usize) -> Self {
        self.max_batch_size = events;
        self
    }

    /// Most events held in memory waiting to be sent. When full, the oldest is dropped and
    /// counted in [`Metrics::dropped`](crate::Metrics::dropped). Default 10 000; at least 1.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().max_queue_size(100_000);
    /// ```
    pub fn max_queue_size(mut self, events: usize) -> Self {
        self.max_queue_size = events;
        self
    }

    /// Most batch requests sent at the same time. Default 2; at least 1. More hides the
    /// service's per-request latency; events of concurrent batches may be stored in any order
    /// (each keeps its own timestamp, and `identify`, `alias`, `set` and `flush` still wait for
    /// every batch before them).
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().max_in_flight(4);
    /// ```
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests;
        self
    }

    /// Whether request bodies of 1 KB or more are sent gzip-compressed (`Content-Encoding:
    /// gzip`, which the service decodes). Default on: batches of similar events shrink several
    /// times. Turn it off to save the client's CPU when the service is on the same host.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().gzip(false);
    /// ```
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.gzip = enabled;
        self
    }

    /// Time limit of one HTTP request. Default 10 s; must be more than zero.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = loom_analytics::AnalyticsClient::builder().request_timeout(Duration::from_secs(3));
    /// ```
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How many times a request is retried after a network error, a timeout, a 429 or a 5xx
    /// before its events are given up (and counted in [`Metrics::failed`](crate::Metrics::failed)).
    /// Default 10; 0 disables retries.
    ///
    /// ```
    /// let builder = loom_analytics::AnalyticsClient::builder().max_retries(3);
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The retry delays: the first retry waits about `initial`, each next one twice as long,
    /// never more than `max`; each delay is jittered down by up to half. Defaults 200 ms and
    /// 30 s; `initial` must be more than zero and at most `max`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = loom_analytics::AnalyticsClient::builder()
    ///     .retry_delays(Duration::from_millis(50), Duration::from_secs(2));
    /// ```
    pub fn retry_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.retry_initial_delay = initial;
        self.retry_max_delay = max;
        self
    }

    /// How long [`AnalyticsClient::shutdown`] may take to send what is queued. Default 10 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = loom_analytics::AnalyticsClient::builder().shutdown_timeout(Duration::from_secs(2));
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Checks the settings and starts the client's background task.
    ///
    /// Must be called inside a Tokio runtime with its I/O and time drivers on (the task is
    /// spawned on it; `#[tokio::main]` and `Builder::enable_all()` turn both on). Returns
    /// [`Error::Config`] for a missing key or URL, a URL that is not `http`/`https`, a zero
    /// interval or size, or no runtime.
    ///
    /// ```
    /// use loom_analytics::{AnalyticsClient, Error};
    ///
    /// let missing_url = AnalyticsClient::builder().api_key("loom_analytics_write_xxx").build();
    /// assert!(matches!(missing_url, Err(Error::Config(_))));
    /// ```
    pub fn build(self) -> Result<AnalyticsClient> {
        let config = self.into_config()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Config("build() must be called inside a Tokio runtime".to_string())
        })?;
        AnalyticsClient::start(config, &runtime)
    }

    pub(crate) fn into_config(self) -> Result<Config> {
        let api_key = match self.api_key {
            Some(key) if !key.trim().is_empty() => key,
            _ => return Err(Error::Config("api_key is required".to_string())),
        };
        if api_key.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Error::Config(
                "api_key must not hold spaces or control characters".into(),
            ));
        }

        let base_url = parse_base_url(self.base_url.as_deref())?;

        require(
            !self.flush_interval.is_zero(),
            "flush_interval must be more than zero",
        )?;
        require(self.flush_at >= 1, "flush_at must be at least 1")?;
        require(
            (1..=SERVICE_MAX_BATCH).contains(&self.max_batch_size),
            "max_batch_size must be 1 to 1000",
        )?;
        require(
            self.max_queue_size >= 1,
            "max_queue_size must be at least 1",
        )?;
        require(self.max_in_flight >= 1, "max_in_flight must be at least 1")?;
        require(
            !self.request_timeout.is_zero(),
            "request_timeout must be more than zero",
        )?;
        require(
            !self.retry_initial_delay.is_zero() && self.retry_initial_delay <= self.retry_max_delay,
            "retry_delays: initial must be more than zero and at most max",
        )?;

        Ok(Config {
            api_key,
            base_url,
            flush_interval: self.flush_interval,
            flush_at: self.flush_at,
            max_batch_size: self.max_batch_size,
            max_batch_bytes: 4 * 1024 * 1024,
            max_queue_size: self.max_queue_size,
            max_in_flight: self.max_in_flight,
            gzip: self.gzip,
            request_timeout: self.request_timeout,
            max_retries: self.max_retries,
            backoff: Backoff {
                initial: self.retry_initial_delay,
                max: self.retry_max_delay,
            },
            shutdown_timeout: self.shutdown_timeout,
        })
    }
}

fn require(ok: bool, message: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Config(message.to_string()))
    }
}

/// Parses the base URL and makes its path end in `/`, so joining `api/analytics/batch` keeps
/// a path prefix instead of replacing its last segment.
fn parse_base_url(raw: Option<&str>) -> Result<Url> {
    let raw = raw
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .ok_or_else(|| Error::Config("base_url is required".to_string()))?;

    let mut url = Url::parse(raw)
        .map_err(|err| Error::Config(format!("base_url {raw:?} is not a URL: {err}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::Config(format!(
            "base_url {raw:?} must be an http or https URL"
        )));
    }

    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> AnalyticsClientBuilder {
        AnalyticsClientBuilder::new()
            .api_key("loom_analytics_write_abc")
            .base_url("http://127.0.0.1:3000")
    }

    fn config_error(builder: AnalyticsClientBuilder) -> String {
        match builder.into_config() {
            Err(Error::Config(message)) => message,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn applies_the_documented_defaults() {
        let config = valid().into_config().unwrap();
        assert_eq!(config.flush_interval, Duration::from_secs(10));
        assert_eq!(config.flush_at, 20);
        assert_eq!(config.max_batch_size, 500);
        assert_eq!(config.max_queue_size, 10_000);
        assert_eq!(config.max_in_flight, 2);
        assert!(config.gzip);
        assert_eq!(config.max_retries, 10);
        assert_eq!(config.backoff.initial, Duration::from_millis(200));
        assert_eq!(config.backoff.max, Duration::from_secs(30));
        assert_eq!(config.shutdown_timeout, Duration::from_secs(10));
    }

    #[test]
    fn keeps_the_settings_it_is_given() {
        let config = valid()
            .flush_interval(Duration::from_millis(250))
            .flush_at(7)
            .max_batch_size(1000)
            .max_queue_size(3)
            .max_retries(0)
            .retry_delays(Duration::from_millis(1), Duration::from_millis(1))
            .into_config()
            .unwrap();
        assert_eq!(config.flush_interval, Duration::from_millis(250));
        assert_eq!(config.flush_at, 7);
        assert_eq!(config.max_batch_size, 1000);
        assert_eq!(config.max_queue_size, 3);
        assert_eq!(config.max_retries, 0);
    }

    #[test]
    fn requires_a_key_and_a_url() {
        assert!(config_error(valid().api_key("")).contains("api_key"));
        assert!(config_error(valid().api_key("  ")).contains("api_key"));
        assert!(config_error(valid().api_key("loom key")).contains("api_key"));
        assert!(config_error(AnalyticsClientBuilder::new().api_key("k")).contains("base_url"));
    }

    #[test]
    fn rejects_urls_it_cannot_post_to() {
        for url in [
            "",
            "loom.example.com",
            "ftp://loom.example.com",
            "http://",
            "not a url",
        ] {
            assert!(
                config_error(valid().base_url(url)).contains("base_url"),
                "{url}"
            );
        }
    }

    #[test]
    fn keeps_a_path_prefix_of_the_base_url() {
        let config = valid()
            .base_url("https://example.com/loom?x=1")
            .into_config()
            .unwrap();
        let batch = config.base_url.join("api/analytics/batch").unwrap();
        assert_eq!(
            batch.as_str(),
            "https://example.com/loom/api/analytics/batch"
        );

        let config = valid()
            .base_url("http://127.0.0.1:3000/")
            .into_config()
            .unwrap();
        let batch = config.base_url.join("api/analytics/batch").unwrap();
        assert_eq!(batch.as_str(), "http://127.0.0.1:3000/api/analytics/batch");
    }

    #[test]
    fn rejects_zero_sizes_and_intervals() {
        assert!(config_error(valid().flush_interval(Duration::ZERO)).contains("flush_interval"));
        assert!(config_error(valid().flush_at(0)).contains("flush_at"));
        assert!(config_error(valid().max_batch_size(0)).contains("max_batch_size"));
        assert!(config_error(valid().max_batch_size(1001)).contains("max_batch_size"));
        assert!(config_error(valid().max_queue_size(0)).contains("max_queue_size"));
        assert!(config_error(valid().max_in_flight(0)).contains("max_in_flight"));
        assert!(config_error(valid().request_timeout(Duration::ZERO)).contains("request_timeout"));
        let inverted = valid().retry_delays(Duration::from_secs(2), Duration::from_secs(1));
        assert!(config_error(inverted).contains("retry_delays"));
    }

    #[test]
    fn build_needs_a_tokio_runtime() {
        match valid().build() {
            Err(Error::Config(message)) => assert!(message.contains("Tokio")),
            other => panic!("expected a config error, got {other:?}"),
        }
    }
}
