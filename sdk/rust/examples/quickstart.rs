//! The product document's Rust snippet, runnable against a service you started:
//!
//! ```sh
//! LOOM_BASE_URL=http://127.0.0.1:3000 LOOM_API_KEY=loom_analytics_write_… \
//!     cargo run --offline --example quickstart
//! ```

use std::time::Duration;

use chrono::Utc;
use loom_analytics::{AnalyticsClient, Properties};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api_key =
        std::env::var("LOOM_API_KEY").unwrap_or_else(|_| "loom_analytics_write_xxx".into());
    let base_url =
        std::env::var("LOOM_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());

    // Initialize client
    let client = AnalyticsClient::builder()
        .api_key(api_key)
        .base_url(base_url)
        .flush_interval(Duration::from_secs(10))
        .build()?;

    // Capture event
    client
        .capture(
            "button_clicked",
            "user_123",
            Properties::new()
                .insert("button_name", "checkout")
                .insert("page", "/cart"),
        )
        .await?;

    // Identify user (link anonymous to authenticated)
    let identified = client
        .identify(
            "anon_abc123",
            "[email protected]",
            Properties::new()
                .insert("plan", "pro")
                .insert("company", "Acme Inc"),
        )
        .await?;
    println!("identified as {:?}", identified.person_id);

    // Set person properties
    client
        .set(
            "[email protected]",
            Properties::new().insert("last_login", Utc::now().to_rfc3339()),
        )
        .await?;

    // Shutdown (flushes pending events)
    client.shutdown().await?;
    println!("done: {:?}", client.metrics());
    Ok(())
}
