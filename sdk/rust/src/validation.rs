//! The service's input rules, checked before anything is queued so a caller learns of a bad
//! argument at the call site instead of in a log line later.

use crate::error::{Error, Result};

/// Longest event name the service accepts, in characters.
pub const MAX_EVENT_NAME_LEN: usize = 200;

/// Longest distinct id the service accepts, in characters.
pub const MAX_DISTINCT_ID_LEN: usize = 200;

/// Largest `properties` object the service accepts, in bytes of JSON.
pub const MAX_PROPERTIES_BYTES: usize = 1024 * 1024;

/// Deepest nesting of objects and arrays the service accepts in `properties`.
pub const MAX_PROPERTIES_DEPTH: usize = 64;

/// Checks an event name against the service's rule `^[a-z$][a-z0-9_.$]*$`, at most 200
/// characters.
///
/// ```
/// use loom_analytics::validate_event_name;
///
/// assert!(validate_event_name("checkout.completed").is_ok());
/// assert!(validate_event_name("$pageview").is_ok());
/// assert!(validate_event_name("1st_visit").is_err());
/// ```
pub fn validate_event_name(event: &str) -> Result<()> {
    if event.is_empty() {
        return Err(Error::validation("event", "must not be empty"));
    }

    if event.len() > MAX_EVENT_NAME_LEN {
        return Err(Error::validation(
            "event",
            format!("must be at most {MAX_EVENT_NAME_LEN} characters"),
        ));
    }

    let mut bytes = event.bytes();
    let first_ok = matches!(bytes.next(), Some(b'a'..=b'z' | b'$'));
    let rest_ok = bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'$'));
    if !first_ok || !rest_ok {
        return Err(Error::validation(
            "event",
            "must start with a lowercase letter or `$` and hold only lowercase letters, digits, \
             `_`, `.` and `$`",
        ));
    }

    Ok(())
}

/// Checks a distinct id: 1 to 200 characters, not only whitespace, no control characters.
///
/// `field` names the argument in the error (`distinct_id`, `user_id`, `alias`). Ids are compared
/// exactly by the service, so nothing is trimmed or case-folded here either.
///
/// ```
/// use loom_analytics::validate_distinct_id;
///
/// assert!(validate_distinct_id("distinct_id", "user_123").is_ok());
/// assert!(validate_distinct_id("distinct_id", "   ").is_err());
/// assert!(validate_distinct_id("distinct_id", "tab\there").is_err());
/// ```
pub fn validate_distinct_id(field: &'static str, id: &str) -> Result<()> {
    let chars = id.chars().count();
    if chars == 0 || chars > MAX_DISTINCT_ID_LEN {
        return Err(Error::validation(
            field,
            format!("must be 1 to {MAX_DISTINCT_ID_LEN} characters, got {chars}"),
        ));
    }

    // The service tests blankness with JavaScript's trim(), which also strips U+FEFF.
    if id.chars().all(|c| c.is_whitespace() || c == '\u{feff}') {
        return Err(Error::validation(field, "must not be blank"));
    }

    if id.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            "must not contain control characters",
        ));
    }

    Ok(())
}

/// Checks serialized properties against the service's size limit and their value against its
/// nesting limit.
pub(crate) fn validate_properties(value: &serde_json::Value, json_len: usize) -> Result<()> {
    if json_len > MAX_PROPERTIES_BYTES {
        return Err(Error::validation(
            "properties",
            format!("are {json_len} bytes of JSON, the limit is {MAX_PROPERTIES_BYTES}"),
        ));
    }

    if depth(value) > MAX_PROPERTIES_DEPTH {
        return Err(Error::validation(
            "properties",
            format!("nest deeper than {MAX_PROPERTIES_DEPTH} levels"),
        ));
    }

    Ok(())
}

/// Nesting depth of objects and arrays; a scalar is 0, `{}` is 1.
fn depth(value: &serde_json::Value) -> usize {
    // An explicit stack: a hostile value nested thousands deep must not overflow the call stack.
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, level)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match value {
            serde_json::Value::Object(map) => Box::new(map.values()),
            serde_json::Value::Array(items) => Box::new(items.iter()),
            _ => continue,
        };
        deepest = deepest.max(level + 1);
        stack.extend(children.map(|child| (child, level + 1)));
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_the_documented_event_names() {
        for name in [
            "button_clicked",
            "$pageview",
            "checkout.completed",
            "a",
            "$",
            "v2.step_3$",
        ] {
            assert!(validate_event_name(name).is_ok(), "{name}");
        }
        assert!(validate_event_name(&"a".repeat(200)).is_ok());
    }

    #[test]
    fn rejects_event_names_the_service_rejects() {
        let too_long = "a".repeat(201);
        for name in [
            "",
            "Button_clicked",
            "1st",
            "_x",
            ".x",
            "button clicked",
            "button-clicked",
            "café",
            "a\n",
            too_long.as_str(),
        ] {
            match validate_event_name(name) {
                Err(Error::Validation { field: "event", .. }) => {}
                other => panic!("{name:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn counts_distinct_id_length_in_characters() {
        assert!(validate_distinct_id("distinct_id", &"é".repeat(200)).is_ok());
        assert!(validate_distinct_id("distinct_id", &"é".repeat(201)).is_err());
        assert!(validate_distinct_id("distinct_id", &"x".repeat(200)).is_ok());
        assert!(validate_distinct_id("distinct_id", &"x".repeat(201)).is_err());
    }

    #[test]
    fn rejects_empty_blank_and_control_distinct_ids() {
        for id in [
            "",
            " ",
            "\t \n",
            "a\u{0}b",
            "a\u{7f}",
            "a\u{85}",
            "line\nbreak",
        ] {
            assert!(validate_distinct_id("user_id", id).is_err(), "{id:?}");
        }
        match validate_distinct_id("user_id", "") {
            Err(Error::Validation {
                field: "user_id", ..
            }) => {}
            other => panic!("wrong field: {other:?}"),
        }
    }

    #[test]
    fn keeps_distinct_ids_exactly_as_given() {
        for id in [
            " padded ",
            "[email protected]",
            "UPPER",
            "anon_0192f1c2",
            "名前",
        ] {
            assert!(validate_distinct_id("distinct_id", id).is_ok(), "{id:?}");
        }
    }

    #[test]
    fn measures_nesting_depth() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({})), 1);
        assert_eq!(depth(&json!({"a": [1, {"b": 2}]})), 3);
    }

    #[test]
    fn rejects_properties_over_the_limits() {
        let mut deep = json!(1);
        for _ in 0..65 {
            deep = json!([deep]);
        }
        assert!(validate_properties(&deep, 10).is_err());

        let mut ok = json!(1);
        for _ in 0..64 {
            ok = json!([ok]);
        }
        assert!(validate_properties(&ok, 10).is_ok());

        assert!(validate_properties(&json!({}), MAX_PROPERTIES_BYTES + 1).is_err());
        assert!(validate_properties(&json!({}), MAX_PROPERTIES_BYTES).is_ok());
    }
}
