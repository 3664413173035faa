//! The wire form of one event, made at capture time so the background task only concatenates.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::properties::Properties;
use crate::uuid_v7;
use crate::validation::validate_properties;

/// `$lib` and `$lib_version` tell the service (and whoever reads the events) which SDK sent them.
const LIB: &str = "loom-analytics-rust";

pub(crate) fn now_rfc3339() -> String {
    rfc3339(Utc::now())
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Checks the properties and serializes an event with a fresh UUIDv7 and its timestamp:
/// `{"event","distinct_id","properties","timestamp","uuid"}`.
pub(crate) fn encode_event(
    event: &str,
    distinct_id: &str,
    properties: Properties,
    timestamp: DateTime<Utc>,
) -> Result<Vec<u8>> {
    let properties = with_lib(properties.into_map());
    let properties = encode_properties(properties)?;

    let mut out = Vec::with_capacity(properties.len() + event.len() + distinct_id.len() + 128);
    out.extend_from_slice(b"{\"event\":");
    write_json_string(&mut out, event);
    out.extend_from_slice(b",\"distinct_id\":");
    write_json_string(&mut out, distinct_id);
    out.extend_from_slice(b",\"properties\":");
    out.extend_from_slice(&properties);
    out.extend_from_slice(b",\"timestamp\":\"");
    out.extend_from_slice(rfc3339(timestamp).as_bytes());
    out.extend_from_slice(b"\",\"uuid\":\"");
    out.extend_from_slice(uuid_v7::new_v7().to_string().as_bytes());
    out.extend_from_slice(b"\"}");
    Ok(out)
}

/// Checks properties against the service's limits and serializes them.
pub(crate) fn encode_properties(properties: Map<String, Value>) -> Result<Vec<u8>> {
    let value = Value::Object(properties);
    // The depth check runs first: serializing a value nested thousands deep would recurse that
    // deep.
    validate_properties(&value, 0)?;
    let json = serde_json::to_vec(&value)
        .map_err(|err| Error::validation("properties", format!("cannot be serialized: {err}")))?;
    validate_properties(&value, json.len())?;
    Ok(json)
}

/// A direct call's body: string fields, `uuid` and `timestamp`, then `properties` if given
/// (already encoded).
///
/// The service stores identify, alias and set as `$identify`, `$create_alias` and `$set` events;
/// the uuid made here keeps a retried call from being stored twice, and the timestamp orders the
/// call among the person's other updates by when the application made it, not when it arrived.
pub(crate) fn encode_call(fields: &[(&str, &str)], properties: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + properties.as_ref().map_or(0, Vec::len));
    out.push(b'{');
    for (name, value) in fields {
        write_json_string(&mut out, name);
        out.push(b':');
        write_json_string(&mut out, value);
        out.push(b',');
    }
    out.extend_from_slice(b"\"uuid\":\"");
    out.extend_from_slice(uuid_v7::new_v7().to_string().as_bytes());
    out.extend_from_slice(b"\",\"timestamp\":\"");
    out.extend_from_slice(now_rfc3339().as_bytes());
    out.push(b'"');
    if let Some(properties) = properties {
        out.extend_from_slice(b",\"properties\":");
        out.extend_from_slice(&properties);
    }
    out.push(b'}');
    out
}

fn with_lib(mut properties: Map<String, Value>) -> Map<String, Value> {
    properties.entry("$lib").or_insert_with(|| LIB.into());
    properties
        .entry("$lib_version")
        .or_insert_with(|| env!("CARGO_PKG_VERSION").into());
    properties
}

fn write_json_string(out: &mut Vec<u8>, text: &str) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn encodes_every_field_the_batch_endpoint_reads() {
        let at = Utc.with_ymd_and_hms(2026, 1, 18, 12, 0, 0).unwrap();
        let props = Properties::new()
            .insert("page", "/cart")
            .insert("quote", "say \"hi\"\n");
        let bytes = encode_event("button_clicked", "user_123", props, at).unwrap();
        let event: Value = serde_json::from_slice(&bytes).unwrap();

        assert_eq!(event["event"], "button_clicked");
        assert_eq!(event["distinct_id"], "user_123");
        assert_eq!(event["properties"]["page"], "/cart");
        assert_eq!(event["properties"]["quote"], "say \"hi\"\n");
        assert_eq!(event["properties"]["$lib"], LIB);
        assert_eq!(event["timestamp"], "2026-01-18T12:00:00.000Z");
        let uuid = uuid::Uuid::parse_str(event["uuid"].as_str().unwrap()).unwrap();
        assert_eq!(uuid.get_version_num(), 7);
    }

    #[test]
    fn gives_every_event_its_own_uuid() {
        let a = encode_event("a", "d", Properties::new(), Utc::now()).unwrap();
        let b = encode_event("a", "d", Properties::new(), Utc::now()).unwrap();
        let uuid = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap()["uuid"].clone();
        assert_ne!(uuid(&a), uuid(&b));
    }

    #[test]
    fn keeps_a_callers_own_lib_property() {
        let props = Properties::new().insert("$lib", "my-wrapper");
        let bytes = encode_event("a", "d", props, Utc::now()).unwrap();
        let event: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(event["properties"]["$lib"], "my-wrapper");
    }

    #[test]
    fn encodes_a_direct_call() {
        let props = encode_properties(Properties::new().insert("plan", "pro").into_map()).unwrap();
        let body = encode_call(
            &[("distinct_id", "anon \"1\""), ("user_id", "u")],
            Some(props),
        );
        let mut body: Value = serde_json::from_slice(&body).unwrap();

        let uuid = body["uuid"].take();
        let uuid = uuid::Uuid::parse_str(uuid.as_str().unwrap()).unwrap();
        assert_eq!(uuid.get_version_num(), 7);
        let timestamp = body["timestamp"].take();
        assert!(DateTime::parse_from_rfc3339(timestamp.as_str().unwrap()).is_ok());

        let expected = serde_json::json!({
            "distinct_id": "anon \"1\"",
            "user_id": "u",
            "properties": {"plan": "pro"},
            "uuid": null,
            "timestamp": null,
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn refuses_properties_over_a_megabyte() {
        let props = Properties::new().insert("blob", "x".repeat(1024 * 1024));
        match encode_event("a", "d", props, Utc::now()) {
            Err(Error::Validation {
                field: "properties",
                ..
            }) => {}
            other => panic!("expected a properties error, got {other:?}"),
        }
    }
}
