//! `Properties`: the key/value bag attached to an event or a person.

use serde::Serialize;
use serde_json::{Map, Value};

/// A JSON object of properties, built by chaining [`Properties::insert`].
///
/// Values are anything that converts into a [`serde_json::Value`]: strings, numbers, booleans,
/// `Option`s, vectors, or a `serde_json::json!` value. Non-finite floats become `null`, as JSON
/// has no place for them.
///
/// ```
/// use loom_analytics::Properties;
///
/// let props = Properties::new()
///     .insert("button_name", "checkout")
///     .insert("items", 3)
///     .insert("coupon", None::<String>)
///     .insert("tags", serde_json::json!(["a", "b"]));
///
/// assert_eq!(props.len(), 4);
/// assert_eq!(props.get("items"), Some(&serde_json::json!(3)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Properties(Map<String, Value>);

impl Properties {
    /// An empty set of properties.
    ///
    /// ```
    /// assert!(loom_analytics::Properties::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) one property and returns the set, so calls chain.
    ///
    /// ```
    /// use loom_analytics::Properties;
    ///
    /// let props = Properties::new().insert("plan", "free").insert("plan", "pro");
    /// assert_eq!(props.get("plan"), Some(&"pro".into()));
    /// ```
    #[must_use = "insert returns the extended properties; chain it or bind the result"]
    pub fn insert(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The value stored under `key`, if any.
    ///
    /// ```
    /// use loom_analytics::Properties;
    ///
    /// assert_eq!(Properties::new().get("missing"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// How many properties are set.
    ///
    /// ```
    /// use loom_analytics::Properties;
    ///
    /// assert_eq!(Properties::new().insert("a", 1).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no property is set.
    ///
    /// ```
    /// use loom_analytics::Properties;
    ///
    /// assert!(!Properties::new().insert("a", 1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The properties as a JSON map.
    ///
    /// ```
    /// use loom_analytics::Properties;
    ///
    /// let map = Properties::new().insert("a", true).into_map();
    /// assert_eq!(map["a"], serde_json::json!(true));
    /// ```
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

/// Wraps an existing JSON map.
///
/// ```
/// use loom_analytics::Properties;
///
/// let mut map = serde_json::Map::new();
/// map.insert("page".into(), "/cart".into());
/// assert_eq!(Properties::from(map).len(), 1);
/// ```
impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Self {
        Self(map)
    }
}

/// Collects key/value pairs.
///
/// ```
/// use loom_analytics::Properties;
///
/// let props: Properties = [("a", 1), ("b", 2)].into_iter().collect();
/// assert_eq!(props.len(), 2);
/// ```
impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_as_a_plain_object() {
        let props = Properties::new()
            .insert("a", 1)
            .insert("b", "x")
            .insert("c", f64::NAN);
        assert_eq!(
            serde_json::to_value(&props).unwrap(),
            json!({"a": 1, "b": "x", "c": null})
        );
    }
}
