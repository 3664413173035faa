//! Calls to the service's key and query APIs, to set tests up and check what was stored.

#![allow(dead_code)]

use serde_json::{json, Value};

pub struct Api {
    http: reqwest::Client,
    base_url: String,
}

impl Api {
    pub fn new(base_url: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base_url: base_url.to_string(),
        }
    }

    /// Creates an API key (`write` or `read_write`) with the admin token; returns the secret.
    pub async fn create_key(&self, admin_token: &str, key_type: &str) -> String {
        let response = self
            .http
            .post(format!("{}/api/analytics/api-keys", self.base_url))
            .bearer_auth(admin_token)
            .json(&json!({ "name": format!("sdk-rust {key_type}"), "key_type": key_type }))
            .send()
            .await
            .expect("POST /api/analytics/api-keys");
        let status = response.status();
        let body: Value = response.json().await.expect("api-key answer is JSON");
        assert_eq!(
            status.as_u16(),
            201,
            "creating a key answered {status}: {body}"
        );
        body["key"].as_str().expect("key in answer").to_string()
    }

    /// `{person, identities}` of a distinct id, or None on 404.
    pub async fn person(&self, key: &str, distinct_id: &str) -> Option<Value> {
        let response = self
            .http
            .get(format!(
                "{}/api/analytics/persons/by-distinct-id/{}",
                self.base_url,
                encode(distinct_id),
            ))
            .bearer_auth(key)
            .send()
            .await
            .expect("GET person");
        if response.status().as_u16() == 404 {
            return None;
        }
        assert!(
            response.status().is_success(),
            "GET person answered {}",
            response.status()
        );
        Some(response.json().await.expect("person answer is JSON"))
    }

    /// Every stored event of a distinct id, following `next_cursor` to the end.
    pub async fn events(&self, key: &str, distinct_id: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![
                ("distinct_id", distinct_id.to_string()),
                ("limit", "1000".into()),
            ];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            let response = self
                .http
                .get(format!("{}/api/analytics/events", self.base_url))
                .bearer_auth(key)
                .query(&query)
                .send()
                .await
                .expect("GET events");
            let status = response.status();
            let page: Value = response.json().await.expect("events answer is JSON");
            assert!(status.is_success(), "GET events answered {status}: {page}");

            events.extend(page["results"].as_array().expect("results").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) if !next.is_empty() => cursor = Some(next.to_string()),
                _ => return events,
            }
        }
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
