//! HTTP to the service: one POST with its retries, and the reading of whatever comes back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use crate::builder::Config;
use crate::error::{Error, Result};

const USER_AGENT: &str = concat!("loom-analytics-rust/", env!("CARGO_PKG_VERSION"));

/// Bodies smaller than this go uncompressed: gzip's header and CPU are not worth it.
const GZIP_MIN_BYTES: usize = 1024;

/// Longest server message kept in an error, in characters.
const MAX_MESSAGE_CHARS: usize = 500;

/// What a failed attempt means for the next one.
enum Attempt {
    Done(Vec<u8>),
    Retry {
        error: Error,
        after: Option<Duration>,
    },
    Fail(Error),
}

/// Posts JSON bodies to the service, retrying what may succeed later.
pub(crate) struct Transport {
    http: reqwest::Client,
    config: Arc<Config>,
    retries: Arc<AtomicU64>,
}

impl Transport {
    pub(crate) fn new(config: Arc<Config>, retries: Arc<AtomicU64>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.request_timeout)
            .build()
            .map_err(|err| Error::Config(format!("cannot build the HTTP client: {err}")))?;
        Ok(Self {
            http,
            config,
            retries,
        })
    }

    /// POSTs `make_body()` to `path` (relative to the base URL) and returns the answer's body.
    ///
    /// The body is made again for every attempt, so a batch carries a fresh `sent_at`.
    /// Network errors, timeouts, 429 and 5xx are retried with backoff up to `max_retries`
    /// times; any other non-2xx answer fails at once.
    pub(crate) async fn post(
        &self,
        path: &str,
        make_body: impl Fn() -> Vec<u8>,
    ) -> Result<Vec<u8>> {
        let url =
            self.config.base_url.join(path).map_err(|err| {
                Error::Config(format!("cannot join {path} to the base URL: {err}"))
            })?;

        let mut retry = 0;
        loop {
            let (error, after) = match self.attempt(&url, make_body()).await {
                Attempt::Done(body) => return Ok(body),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { error, after } => (error, after),
            };

            if retry >= self.config.max_retries {
                return Err(error);
            }

            let backoff = self.config.backoff.delay_random(retry);
            let delay = after.map_or(backoff, |after| {
                after.max(backoff).min(self.config.backoff.max)
            });
            tracing::debug!(path, retry, ?delay, %error, "loom-analytics: retrying");
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    async fn attempt(&self, url: &Url, body: Vec<u8>) -> Attempt {
        let mut request = self
            .http
            .post(url.clone())
            .header(AUTHORIZATION, format!("Bearer {}", self.config.api_key))
            .header(CONTENT_TYPE, "application/json");
        let compressed = if self.config.gzip && body.len() >= GZIP_MIN_BYTES {
            gzip(&body)
        } else {
            None
        };
        let body = match compressed {
            Some(compressed) => {
                request = request.header(CONTENT_ENCODING, "gzip");
                compressed
            }
            None => body,
        };
        let sent = request.body(body).send().await;

        let response = match sent {
            Ok(response) => response,
            Err(err) if err.is_timeout() => {
                return Attempt::Retry {
                    error: Error::Timeout(self.config.request_timeout),
                    after: None,
                }
            }
            Err(err) => {
                return Attempt::Retry {
                    error: Error::Transport(Box::new(err)),
                    after: None,
                }
            }
        };

        let status = response.status();
        let retry_after = retry_after(response.headers());
        // A 2xx means the service committed the request, so a body that breaks off afterwards
        // changes nothing; for other statuses the body only improves the message.
        let body = response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();

        if status.is_success() {
            return Attempt::Done(body);
        }

        let error = http_error(status, &body);
        if is_retryable(status) {
            Attempt::Retry {
                error,
                after: retry_after,
            }
        } else {
            Attempt::Fail(error)
        }
    }
}

/// The body gzip-compressed at the fastest level (the point is fewer bytes on the wire, not
/// the fewest); None if compressing failed, and then the body goes as it is.
fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// 429 and 5xx may succeed later; any other refusal will be repeated, so it is final.
fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// The service's error body: `{"statusCode", "error", "message", "details"?}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<serde_json::Value>,
}

/// Turns a non-2xx answer into [`Error::Http`], whatever its body holds.
pub(crate) fn http_error(status: StatusCode, body: &[u8]) -> Error {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|b| b.error.as_ref())
        .and_then(|v| v.as_str())
        .filter(|code| !code.is_empty())
        .unwrap_or("unknown");
    let message = match parsed.as_ref().and_then(|b| b.message.as_ref()) {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map_or_else(|| item.to_string(), str::to_string)
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
        None => String::from_utf8_lossy(body).into_owned(),
    };

    Error::Http {
        status: status.as_u16(),
        code: truncate(code),
        message: truncate(message.trim()),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}

/// `Retry-After` in seconds; the HTTP-date form is rare from an API and is ignored.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn parts(error: Error) -> (u16, String, String) {
        match error {
            Error::Http {
                status,
                code,
                message,
            } => (status, code, message),
            other => panic!("expected an HTTP error, got {other:?}"),
        }
    }

    #[test]
    fn gzip_round_trips_and_shrinks_a_batch() {
        let event = br#"{"event":"button_clicked","distinct_id":"user_123","properties":{}},"#;
        let body: Vec<u8> = event
            .iter()
            .copied()
            .cycle()
            .take(event.len() * 500)
            .collect();
        let compressed = gzip(&body).unwrap();
        assert!(
            compressed.len() * 10 < body.len(),
            "{} of {}",
            compressed.len(),
            body.len()
        );

        let mut decoded = Vec::new();
        let mut decoder = flate2::write::GzDecoder::new(&mut decoded);
        decoder.write_all(&compressed).unwrap();
        decoder.finish().unwrap();
        assert_eq!(decoded, body);
    }

    #[test]
    fn retries_only_429_and_5xx() {
        for code in [429, 500, 502, 503, 504, 599] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [400, 401, 403, 404, 408, 409, 413, 422, 499] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }

    #[test]
    fn reads_the_services_error_body() {
        let body =
            br#"{"statusCode":400,"error":"illegal_distinct_id","message":"no","details":{}}"#;
        let (status, code, message) = parts(http_error(StatusCode::BAD_REQUEST, body));
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            (400, "illegal_distinct_id", "no")
        );
    }

    #[test]
    fn joins_a_list_of_messages() {
        let body = br#"{"error":"validation_failed","message":["a is bad",{"b":1}]}"#;
        let (_, _, message) = parts(http_error(StatusCode::BAD_REQUEST, body));
        assert_eq!(message, r#"a is bad; {"b":1}"#);
    }

    #[test]
    fn survives_bodies_that_are_not_the_services() {
        for body in [
            &b""[..],
            b"<html>bad gateway</html>",
            b"null",
            b"[1,2]",
            b"{\"error\":7}",
            &[0xff, 0xfe],
        ] {
            let (status, code, _) = parts(http_error(StatusCode::BAD_GATEWAY, body));
            assert_eq!((status, code.as_str()), (502, "unknown"));
        }
        let long = "x".repeat(10_000);
        let (_, _, message) = parts(http_error(StatusCode::BAD_GATEWAY, long.as_bytes()));
        assert_eq!(message.len(), MAX_MESSAGE_CHARS);
    }

    #[test]
    fn reads_retry_after_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
