//! Client behaviour that needs no service: validation at the call site, the bounded queue, the
//! shutdown time limit. "Down" here is a real closed port on 127.0.0.1, where connecting fails
//! the way it does when the service is stopped.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loom_analytics::{AnalyticsClient, Error, Properties};

fn client_of_a_stopped_service() -> loom_analytics::AnalyticsClientBuilder {
    let port = support::service::free_port();
    AnalyticsClient::builder()
        .api_key("loom_analytics_write_test")
        .base_url(format!("http://127.0.0.1:{port}"))
}

#[test]
fn the_client_and_its_futures_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<AnalyticsClient>();
    send_sync::<Error>();

    fn send<T: Send>(_: &T) {}
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = client_of_a_stopped_service().build().unwrap();
        send(&client.capture("a", "b", Properties::new()));
        send(&client.identify("a", "b", Properties::new()));
        send(&client.flush());
        send(&client.shutdown());
    });
}

#[tokio::test]
async fn capture_refuses_invalid_input_before_queueing_it() {
    let client = client_of_a_stopped_service().build().unwrap();

    let cases = [
        ("Button Clicked", "user", "event"),
        ("", "user", "event"),
        ("ok", "", "distinct_id"),
        ("ok", "   ", "distinct_id"),
        ("ok", "a\u{1}b", "distinct_id"),
    ];
    for (event, distinct_id, expected) in cases {
        match client.capture(event, distinct_id, Properties::new()).await {
            Err(Error::Validation { field, .. }) => assert_eq!(field, expected, "{event:?}"),
            other => panic!("{event:?}/{distinct_id:?} gave {other:?}"),
        }
    }
    let too_long = "x".repeat(201);
    assert!(client
        .capture("ok", &too_long, Properties::new())
        .await
        .is_err());
    assert!(client
        .identify("anon", "", Properties::new())
        .await
        .is_err());
    assert!(client.alias("user", "\n").await.is_err());

    assert_eq!(client.metrics().queued, 0);
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest_and_counts_it() {
    let client = client_of_a_stopped_service()
        .flush_interval(Duration::from_secs(3600))
        .flush_at(1000)
        .max_queue_size(10)
        .shutdown_timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    for seq in 0..30 {
        client
            .capture("e", "u", Properties::new().insert("seq", seq))
            .await
            .unwrap();
    }

    let metrics = client.metrics();
    assert_eq!((metrics.queued, metrics.dropped), (10, 20));
    let _ = client.shutdown().await;
}

#[tokio::test]
async fn shutdown_keeps_its_time_limit_and_is_safe_twice() {
    let client = client_of_a_stopped_service()
        .max_retries(1000)
        .retry_delays(Duration::from_millis(20), Duration::from_millis(50))
        .shutdown_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    client.capture("e", "u", Properties::new()).await.unwrap();

    let started = Instant::now();
    match client.shutdown().await {
        Err(Error::Timeout(limit)) => assert_eq!(limit, Duration::from_millis(500)),
        other => panic!("shutdown against a stopped service gave {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(client.metrics().retries > 0);

    client.shutdown().await.unwrap();
    assert!(matches!(
        client.capture("e", "u", Properties::new()).await,
        Err(Error::Closed)
    ));
    assert!(matches!(client.flush().await, Err(Error::Closed)));
}

#[tokio::test]
async fn spent_retries_fail_the_flush_and_count_the_events() {
    let client = client_of_a_stopped_service()
        .max_retries(2)
        .retry_delays(Duration::from_millis(10), Duration::from_millis(10))
        .build()
        .unwrap();
    for _ in 0..3 {
        client.capture("e", "u", Properties::new()).await.unwrap();
    }

    assert!(matches!(client.flush().await, Err(Error::Transport(_))));
    let metrics = client.metrics();
    assert_eq!((metrics.failed, metrics.retries, metrics.sent), (3, 2, 0));
    client.shutdown().await.unwrap();
}

/// Keeps the WARN-and-above messages logged while it is the default subscriber.
struct Recorder(Arc<Mutex<Vec<String>>>);

struct MessageOf<'a>(&'a mut String);

impl tracing::field::Visit for MessageOf<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            *self.0 = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Recorder {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut message = String::new();
        event.record(&mut MessageOf(&mut message));
        self.0.lock().unwrap().push(message);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

fn warnings_while_dropping(client: AnalyticsClient) -> Vec<String> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    tracing::subscriber::with_default(Recorder(seen.clone()), || drop(client));
    let seen = seen.lock().unwrap().clone();
    seen
}

#[test]
fn dropping_the_client_without_shutdown_logs_a_warning() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let forgotten = runtime.block_on(async {
        let client = client_of_a_stopped_service().build().unwrap();
        client.capture("e", "u", Properties::new()).await.unwrap();
        client
    });
    let warnings = warnings_while_dropping(forgotten);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("dropped without shutdown()"),
        "{warnings:?}"
    );

    let closed = runtime.block_on(async {
        let client = client_of_a_stopped_service()
            .max_retries(0)
            .build()
            .unwrap();
        let clone = client.clone();
        let _ = client.shutdown().await;
        clone
    });
    assert_eq!(warnings_while_dropping(closed), Vec::<String>::new());
}
