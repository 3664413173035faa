//! Measures how many events per second one client gets into a running service.
//!
//! Starts its own service from the repo root's `dist/main.js` (build it with `npm run build`),
//! captures `EVENTS` events (default 50 000) through one client as fast as `capture` returns,
//! and reports events/s from the first capture until `shutdown` has flushed the last one;
//! then checks with the query API that every event was stored once.
//!
//! ```sh
//! cargo run --offline --release --example throughput
//! ```
//!
//! With `LOOM_BASE_URL`, `LOOM_API_KEY` (write) and `LOOM_READ_KEY` (read/write) set, it uses
//! that running service instead, so it can be compared with another client on the same one
//! (`bench/posthog-node-throughput.mjs`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use loom_analytics::{AnalyticsClient, Properties};

#[tokio::main]
async fn main() {
    let events: u64 = std::env::var("EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let batch: usize = std::env::var("BATCH")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let in_flight: usize = std::env::var("IN_FLIGHT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);

    // Kept alive until the end of main: dropping it stops the service this example started.
    let mut _service = None;
    let (base_url, write_key, read_key) = match std::env::var("LOOM_BASE_URL") {
        Ok(base_url) => (
            base_url,
            std::env::var("LOOM_API_KEY").expect("LOOM_API_KEY with LOOM_BASE_URL"),
            std::env::var("LOOM_READ_KEY").expect("LOOM_READ_KEY with LOOM_BASE_URL"),
        ),
        Err(_) => {
            let service = tokio::task::spawn_blocking(support::service::Service::start)
                .await
                .unwrap();
            let api = support::api::Api::new(&service.base_url());
            let write_key = api.create_key(&service.admin_token, "write").await;
            let read_key = api.create_key(&service.admin_token, "read_write").await;
            let base_url = service.base_url();
            _service = Some(service);
            (base_url, write_key, read_key)
        }
    };
    let api = support::api::Api::new(&base_url);
    let distinct_id = format!("bench-user-{}", std::process::id());

    let client = AnalyticsClient::builder()
        .api_key(write_key)
        .base_url(&base_url)
        .max_batch_size(batch)
        .max_in_flight(in_flight)
        .gzip(std::env::var("GZIP").map_or(true, |v| v != "0"))
        .max_queue_size(events as usize)
        .shutdown_timeout(Duration::from_secs(600))
        .build()
        .unwrap();

    let started = Instant::now();
    for seq in 0..events {
        let props = Properties::new().insert("seq", seq).insert("page", "/cart");
        client
            .capture("bench_event", &distinct_id, props)
            .await
            .unwrap();
    }
    let captured = started.elapsed();
    client.shutdown().await.unwrap();
    let elapsed = started.elapsed();

    let stored = api.events(&read_key, &distinct_id).await.len();
    let metrics = client.metrics();
    println!(
        "events={events} batch={batch} in_flight={in_flight} capture_only={:.0}/s end_to_end={:.0}/s ({:.2}s) \
         stored={stored} metrics={metrics:?}",
        events as f64 / captured.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
    );
    assert_eq!(stored as u64, events, "every event stored once");
}
