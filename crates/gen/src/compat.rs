//! Backwards-compatible changes Veriff may ship without notice, applied to a JSON body before it
//! is signed, so a receiver can be tested against them on purpose:
//!
//! - [`Mutation::UnknownFields`]: new properties at several depths (top level, inside the first
//!   nested object, and one level deeper);
//! - [`Mutation::UnknownEventType`]: a whole payload of an event type no receiver knows yet,
//!   carrying the original's session, attempt and vendor ids;
//! - [`Mutation::ReorderedKeys`]: every object's keys in reverse order;
//! - [`Mutation::PrettyPrinted`]: indented, multi-line JSON;
//! - [`Mutation::EscapedNonAscii`]: non-ASCII characters as `\uXXXX` escapes;
//! - [`Mutation::RawNonAscii`]: compact JSON with non-ASCII characters as raw UTF-8 (the default
//!   layout; undoes escapes).
//!
//! Each keeps the JSON value (except the two that add data), so a correct receiver parses the same
//! thing; only the bytes, and so the signature, change.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value, json};
use veriff_mock_contract::UnknownValue;

use crate::GenError;
use crate::rng::Rand;

const STREAM_COMPAT: u64 = 0xC0_4A7;

/// One backwards-compatible change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// New properties at several depths.
    UnknownFields,
    /// A payload of a new event type.
    UnknownEventType,
    /// Keys in another order.
    ReorderedKeys,
    /// Pretty-printed body.
    PrettyPrinted,
    /// Non-ASCII characters escaped as `\uXXXX`.
    EscapedNonAscii,
    /// Non-ASCII characters as raw UTF-8, compact.
    RawNonAscii,
}

impl Mutation {
    /// Every mutation.
    pub const ALL: [Mutation; 6] = [
        Mutation::UnknownFields,
        Mutation::UnknownEventType,
        Mutation::ReorderedKeys,
        Mutation::PrettyPrinted,
        Mutation::EscapedNonAscii,
        Mutation::RawNonAscii,
    ];

    /// The command-line name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Mutation::UnknownFields => "unknown-fields",
            Mutation::UnknownEventType => "unknown-event-type",
            Mutation::ReorderedKeys => "reordered-keys",
            Mutation::PrettyPrinted => "pretty",
            Mutation::EscapedNonAscii => "escaped-non-ascii",
            Mutation::RawNonAscii => "raw-non-ascii",
        }
    }

    /// Applies the mutation to a JSON body; `seed` picks the names and values of what is added.
    ///
    /// # Errors
    /// [`GenError::NotJson`] when `body` is not JSON.
    pub fn apply(self, body: &[u8], seed: u64) -> Result<Vec<u8>, GenError> {
        let mut value: Value = serde_json::from_slice(body).map_err(GenError::NotJson)?;
        let mut rng = Rand::new(seed, STREAM_COMPAT, self as u64);
        let compact = |v: &Value| serde_json::to_vec(v).map_err(GenError::Serialize);
        match self {
            Mutation::UnknownFields => {
                add_unknown_fields(&mut value, &mut rng);
                compact(&value)
            }
            Mutation::UnknownEventType => compact(&unknown_event(&value, &mut rng)),
            Mutation::ReorderedKeys => {
                reverse_keys(&mut value);
                compact(&value)
            }
            Mutation::PrettyPrinted => {
                serde_json::to_vec_pretty(&value).map_err(GenError::Serialize)
            }
            Mutation::EscapedNonAscii => Ok(veriff_mock_contract::escape_non_ascii(
                &String::from_utf8_lossy(&compact(&value)?),
            )
            .into_bytes()),
            Mutation::RawNonAscii => compact(&value),
        }
    }
}

const NEW_KEYS: &[&str] = &[
    "riskScore",
    "schemaVersion",
    "metadata",
    "flags",
    "region",
    "processingTimeMs",
];

fn new_value(rng: &mut Rand, depth: usize) -> Value {
    match rng.below(4) {
        0 => json!(rng.range(0, 1000)),
        1 => json!(format!("v{}", rng.range(1, 9))),
        2 => Value::Null,
        _ => json!({ "addedAtDepth": depth, "enabled": rng.pct(50) }),
    }
}

fn add_unknown_fields(value: &mut Value, rng: &mut Rand) {
    let mut node = Some(value);
    for depth in 0..3 {
        let Some(Value::Object(map)) = node else {
            break;
        };
        let key = format!(
            "{}{}",
            rng.pick(NEW_KEYS),
            if depth == 0 {
                String::new()
            } else {
                depth.to_string()
            }
        );
        let v = new_value(rng, depth);
        map.insert(key, v);
        node = map.values_mut().find(|v| {
            v.is_object()
                && v.as_object()
                    .is_some_and(|m| !m.contains_key("addedAtDepth"))
        });
    }
}

const NEW_EVENT_TYPES: &[&str] = &[
    "session.archived",
    "document.reviewed",
    "risk-score.updated",
    "attempt.resumed",
];

fn unknown_event(original: &Value, rng: &mut Rand) -> Value {
    let find = |keys: &[&str]| -> Value {
        fn walk(v: &Value, keys: &[&str]) -> Option<Value> {
            let map = v.as_object()?;
            for k in keys {
                if let Some(found) = map.get(*k).filter(|x| x.is_string()) {
                    return Some(found.clone());
                }
            }
            map.values().find_map(|child| walk(child, keys))
        }
        walk(original, keys).unwrap_or(Value::Null)
    };
    let mut map = Map::new();
    map.insert("eventType".into(), json!(rng.pick(NEW_EVENT_TYPES)));
    map.insert("sessionId".into(), find(&["sessionId", "id"]));
    map.insert("attemptId".into(), find(&["attemptId"]));
    map.insert("vendorData".into(), find(&["vendorData"]));
    map.insert("endUserId".into(), find(&["endUserId"]));
    map.insert("version".into(), json!("1.0.0"));
    map.insert(
        "time".into(),
        find(&["time", "decisionTime", "createdAt", "acceptanceTime"]),
    );
    map.insert("data".into(), json!({ "reason": "introduced after this receiver was written", "score": rng.range(0, 100) }));
    Value::Object(map)
}

fn reverse_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let taken = std::mem::take(map);
            let mut entries: Vec<(String, Value)> = taken.into_iter().collect();
            entries.reverse();
            for (k, mut v) in entries {
                reverse_keys(&mut v);
                map.insert(k, v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(reverse_keys),
        _ => {}
    }
}

impl fmt::Display for Mutation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mutation {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Mutation::ALL
            .into_iter()
            .find(|m| m.name() == wanted)
            .ok_or_else(|| UnknownValue {
                what: "mutation",
                given: s.to_owned(),
                expected: Mutation::ALL.iter().map(|m| m.name().to_owned()).collect(),
            })
    }
}
