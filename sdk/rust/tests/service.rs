//! The crate against the real service on its embedded PostgreSQL: every test starts
//! `node dist/main.js` from the repo root (build it first with `npm run build`).

// Each test holds the cross-test turn (a std Mutex) for its whole run on purpose: the tests run
// on separate runtimes, and the lock is taken before the first await.
#![allow(clippy::await_holding_lock)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use loom_analytics::{AnalyticsClient, Error, Properties};
use serde_json::Value;

use support::api::Api;
use support::service::Service;

struct Setup {
    service: Service,
    api: Api,
    write_key: String,
    read_key: String,
}

async fn setup() -> Setup {
    let service = tokio::task::block_in_place(Service::start);
    let api = Api::new(&service.base_url());
    let write_key = api.create_key(&service.admin_token, "write").await;
    let read_key = api.create_key(&service.admin_token, "read_write").await;
    Setup {
        service,
        api,
        write_key,
        read_key,
    }
}

/// The `seq` property of every event, asserting each appears once.
fn sequence_numbers(events: &[Value]) -> HashSet<u64> {
    let ids: HashSet<&str> = events
        .iter()
        .map(|e| e["id"].as_str().expect("event id"))
        .collect();
    assert_eq!(ids.len(), events.len(), "an event id is stored twice");

    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["properties"]["seq"].as_u64().expect("seq property"))
        .collect();
    let unique: HashSet<u64> = seqs.iter().copied().collect();
    assert_eq!(unique.len(), seqs.len(), "an event arrived twice");
    unique
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_from_one_client_arrive_exactly_once() {
    let _turn = support::serial();
    let s = setup().await;
    let client = AnalyticsClient::builder()
        .api_key(&s.write_key)
        .base_url(s.service.base_url())
        .build()
        .unwrap();

    for seq in 0..10_000u64 {
        let props = Properties::new().insert("seq", seq).insert("page", "/cart");
        client
            .capture("bulk_event", "bulk-user", props)
            .await
            .unwrap();
    }
    client.shutdown().await.unwrap();

    let metrics = client.metrics();
    assert_eq!(
        (
            metrics.sent,
            metrics.dropped,
            metrics.failed,
            metrics.rejected
        ),
        (10_000, 0, 0, 0)
    );
    let events = s.api.events(&s.read_key, "bulk-user").await;
    assert_eq!(events.len(), 10_000);
    assert_eq!(sequence_numbers(&events), (0..10_000).collect());
    let first = &events[0];
    assert_eq!(first["event"], "bulk_event");
    assert_eq!(first["properties"]["$lib"], "loom-analytics-rust");
    assert_eq!(first["properties"]["page"], "/cart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identify_joins_the_anonymous_and_the_user_id_on_one_person() {
    let _turn = support::serial();
    let s = setup().await;
    let client = AnalyticsClient::builder()
        .api_key(&s.write_key)
        .base_url(s.service.base_url())
        // Long enough that only identify's own flush sends the events captured before it.
        .flush_interval(Duration::from_secs(3600))
        .build()
        .unwrap();

    let anon = "anon_0192f1c2-7c1a-7000-8000-000000000001";
    let user = "[email protected]";
    for page in ["/", "/pricing", "/signup"] {
        client
            .capture("$pageview", anon, Properties::new().insert("page", page))
            .await
            .unwrap();
    }
    let identified = client
        .identify(
            anon,
            user,
            Properties::new()
                .insert("plan", "pro")
                .insert("company", "Acme Inc"),
        )
        .await
        .unwrap();
    client
        .capture("checkout_completed", user, Properties::new())
        .await
        .unwrap();
    client.shutdown().await.unwrap();

    let by_anon = s
        .api
        .person(&s.read_key, anon)
        .await
        .expect("person of the anonymous id");
    let by_user = s
        .api
        .person(&s.read_key, user)
        .await
        .expect("person of the user id");
    let person_id = by_user["person"]["id"].as_str().unwrap().to_string();
    assert_eq!(by_anon["person"]["id"], by_user["person"]["id"]);
    assert_eq!(identified.person_id.as_deref(), Some(person_id.as_str()));
    assert_eq!(by_user["person"]["properties"]["plan"], "pro");
    assert_eq!(by_user["person"]["properties"]["company"], "Acme Inc");

    let identities: HashSet<&str> = by_user["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["distinct_id"].as_str().unwrap())
        .collect();
    assert_eq!(identities, HashSet::from([anon, user]));

    let anon_events = s.api.events(&s.read_key, anon).await;
    assert_eq!(anon_events.len(), 3);
    assert!(anon_events
        .iter()
        .all(|e| e["person_id"] == person_id.as_str()));
    // The service keeps the identify call itself as a `$identify` event of the user id.
    let user_events = s.api.events(&s.read_key, user).await;
    let mut names: Vec<&str> = user_events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["$identify", "checkout_completed"]);
    assert!(user_events
        .iter()
        .all(|e| e["person_id"] == person_id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_changes_person_properties_and_alias_links_ids() {
    let _turn = support::serial();
    let s = setup().await;
    let client = AnalyticsClient::builder()
        .api_key(&s.write_key)
        .base_url(s.service.base_url())
        .build()
        .unwrap();

    let user = "user_set_42";
    client
        .set(
            user,
            Properties::new().insert("plan", "free").insert("seats", 1),
        )
        .await
        .unwrap();
    let person = s
        .api
        .person(&s.read_key, user)
        .await
        .expect("set creates the person");
    assert_eq!(person["person"]["properties"]["plan"], "free");

    client
        .set(
            user,
            Properties::new().insert("plan", "pro").insert("seats", 3),
        )
        .await
        .unwrap();
    let person = s.api.person(&s.read_key, user).await.unwrap();
    assert_eq!(person["person"]["properties"]["plan"], "pro");
    assert_eq!(person["person"]["properties"]["seats"], 3);

    client
        .capture("legacy_login", "legacy_id_456", Properties::new())
        .await
        .unwrap();
    client.alias(user, "legacy_id_456").await.unwrap();
    let legacy = s
        .api
        .person(&s.read_key, "legacy_id_456")
        .await
        .expect("alias has a person");
    assert_eq!(legacy["person"]["id"], person["person"]["id"]);

    client.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_back_as_http_errors_and_are_not_retried() {
    let _turn = support::serial();
    let s = setup().await;

    let client = AnalyticsClient::builder()
        .api_key(&s.write_key)
        .base_url(s.service.base_url())
        .build()
        .unwrap();
    match client.identify("anon_1", "null", Properties::new()).await {
        Err(Error::Http {
            status: 400, code, ..
        }) => assert_eq!(code, "illegal_distinct_id"),
        other => panic!("identify with a placeholder id gave {other:?}"),
    }
    assert_eq!(client.metrics().retries, 0);
    client.shutdown().await.unwrap();

    let wrong_key = AnalyticsClient::builder()
        .api_key("loom_analytics_write_not_a_real_key")
        .base_url(s.service.base_url())
        .build()
        .unwrap();
    for seq in 0..5 {
        wrong_key
            .capture("a", "wrong-key-user", Properties::new().insert("seq", seq))
            .await
            .unwrap();
    }
    match wrong_key.flush().await {
        Err(Error::Http { status: 401, .. }) => {}
        other => panic!("a batch with an unknown key gave {other:?}"),
    }
    let metrics = wrong_key.metrics();
    assert_eq!((metrics.failed, metrics.sent, metrics.retries), (5, 0, 0));
    wrong_key.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_client_still_sends_what_it_had_queued() {
    let _turn = support::serial();
    let s = setup().await;
    let client = AnalyticsClient::builder()
        .api_key(&s.write_key)
        .base_url(s.service.base_url())
        .flush_interval(Duration::from_secs(3600))
        .build()
        .unwrap();

    for seq in 0..10 {
        client
            .capture(
                "late_event",
                "dropped-user",
                Properties::new().insert("seq", seq),
            )
            .await
            .unwrap();
    }
    drop(client);

    let mut events = Vec::new();
    for _ in 0..50 {
        events = s.api.events(&s.read_key, "dropped-user").await;
        if events.len() >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sequence_numbers(&events), (0..10).collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_once_across_a_server_restart() {
    let _turn = support::serial();
    let mut s = setup().await;
    let client = AnalyticsClient::builder()
        .api_key(&s.write_key)
        .base_url(s.service.base_url())
        .flush_interval(Duration::from_millis(100))
        .flush_at(50)
        .max_retries(200)
        .retry_delays(Duration::from_millis(50), Duration::from_millis(500))
        .request_timeout(Duration::from_secs(5))
        .shutdown_timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    let capture_range = |range: std::ops::Range<u64>| {
        let client = client.clone();
        async move {
            for seq in range {
                let props = Properties::new().insert("seq", seq);
                client
                    .capture("restart_event", "restart-user", props)
                    .await
                    .unwrap();
                if seq % 50 == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
    };

    // Events keep coming while the service stops, is down, and starts again.
    let before = tokio::spawn(capture_range(0..1500));
    tokio::time::sleep(Duration::from_millis(80)).await;
    tokio::task::block_in_place(|| s.service.stop());
    capture_range(1500..2000).await;
    before.await.unwrap();
    tokio::task::block_in_place(|| s.service.restart());
    capture_range(2000..3000).await;
    client.shutdown().await.unwrap();

    let metrics = client.metrics();
    assert_eq!(
        (metrics.sent, metrics.failed, metrics.dropped),
        (3000, 0, 0)
    );
    assert!(
        metrics.retries > 0,
        "the outage should have caused retries: {metrics:?}"
    );
    let events = s.api.events(&s.read_key, "restart-user").await;
    assert_eq!(sequence_numbers(&events), (0..3000).collect());
}
