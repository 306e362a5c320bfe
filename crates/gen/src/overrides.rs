//! `--set PATH=VALUE` overrides, applied to a payload's JSON before it is serialized and signed.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};
use veriff_mock_contract::Kind;

use crate::GenError;

/// One override: a dot path into the payload and the value to put there.
///
/// The path's segments are object keys; a segment made of digits indexes an array when the value
/// at that point is an array. The value is parsed as JSON when it is valid JSON (`42`, `null`,
/// `true`, `"x"`, `{"a":1}`), and taken as a plain string otherwise (`declined`).
#[derive(Debug, Clone, PartialEq)]
pub struct SetOverride {
    path: Vec<String>,
    value: Value,
}

impl SetOverride {
    /// Parses `path=value`.
    ///
    /// # Errors
    /// [`GenError::BadOverride`] when `=` is missing, the path is empty, or a segment is empty
    /// (`a..b`, `.a`, `a.`).
    pub fn parse(input: &str) -> Result<Self, GenError> {
        let bad = |reason: &'static str| GenError::BadOverride {
            input: input.to_owned(),
            reason,
        };
        let (path, raw) = input
            .split_once('=')
            .ok_or_else(|| bad("expected PATH=VALUE, e.g. verification.status=declined"))?;
        let path = path.trim();
        if path.is_empty() {
            return Err(bad("the path before `=` is empty"));
        }
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return Err(bad(
                "the path has an empty segment (two dots in a row, or a leading or trailing dot)",
            ));
        }
        if segments.iter().any(|s| s.contains('[') || s.contains(']')) {
            return Err(bad(
                "array items are path segments: write `person.addresses.0`, not `addresses[0]`",
            ));
        }
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
        Ok(SetOverride {
            path: segments,
            value,
        })
    }

    /// A new override from its parts.
    ///
    /// # Errors
    /// As [`SetOverride::parse`], for an empty path or segment.
    pub fn new(path: &str, value: Value) -> Result<Self, GenError> {
        let mut o = Self::parse(&format!("{path}=null"))?;
        o.value = value;
        Ok(o)
    }

    /// The path as written, `a.b.0.c`.
    #[must_use]
    pub fn path(&self) -> String {
        self.path.join(".")
    }

    /// The value.
    #[must_use]
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// If this override sets the status of `kind` to one the generator knows, that status: the
    /// generator then builds the payload with it so the fields that depend on it agree.
    #[must_use]
    pub fn status_for(&self, kind: Kind) -> Option<&'static str> {
        let path = status_path(kind)?;
        let wanted = self.value.as_str()?;
        (self.path.iter().map(String::as_str).eq(path.split('.')))
            .then(|| kind.statuses().iter().copied().find(|s| *s == wanted))
            .flatten()
    }

    /// Sets the value in `root`, creating missing object keys (and replacing a `null` on the way
    /// with an object).
    ///
    /// # Errors
    /// [`GenError::OverridePath`] when the path runs into a string, number or boolean, indexes
    /// an array with a non-number, or indexes past an array's end.
    pub fn apply(&self, root: &mut Value) -> Result<(), GenError> {
        let mut node = root;
        for (depth, segment) in self.path.iter().enumerate() {
            let last = depth + 1 == self.path.len();
            let err = |reason: String| GenError::OverridePath {
                path: self.path(),
                reason,
            };
            if node.is_null() {
                *node = Value::Object(Map::new());
            }
            node = match node {
                Value::Object(map) => {
                    if last {
                        map.insert(segment.clone(), self.value.clone());
                        return Ok(());
                    }
                    map.entry(segment.clone()).or_insert(Value::Null)
                }
                Value::Array(items) => {
                    let i: usize = segment
                        .parse()
                        .map_err(|_| err(format!("`{segment}` indexes an array; use a number")))?;
                    let len = items.len();
                    let slot = items.get_mut(i).ok_or_else(|| {
                        err(format!("index {i} is past the end of an array of {len}"))
                    })?;
                    if last {
                        *slot = self.value.clone();
                        return Ok(());
                    }
                    slot
                }
                other => {
                    let what = match other {
                        Value::Bool(_) => "a boolean",
                        Value::Number(_) => "a number",
                        _ => "a string",
                    };
                    return Err(err(format!(
                        "`{segment}` is inside {what}, which has no fields"
                    )));
                }
            };
        }
        Ok(())
    }
}

/// The JSON path of the status the generator names a kind's payloads by, where there is one.
#[must_use]
pub fn status_path(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Decision => Some("verification.status"),
        Kind::Event => Some("action"),
        Kind::Watchlist => Some("matchStatus"),
        Kind::FullAuto => Some("data.verification.decision"),
        Kind::Curp | Kind::IneCurp => Some("data.status"),
        Kind::UserStatus | Kind::Ine => None,
    }
}

impl FromStr for SetOverride {
    type Err = GenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for SetOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path(), self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_values_as_json_or_string() {
        let o = SetOverride::parse("verification.status=declined").unwrap();
        assert_eq!(o.path(), "verification.status");
        assert_eq!(o.value(), &json!("declined"));
        assert_eq!(SetOverride::parse("a=42").unwrap().value(), &json!(42));
        assert_eq!(SetOverride::parse("a=null").unwrap().value(), &json!(null));
        assert_eq!(
            SetOverride::parse("a={\"b\":[1]}").unwrap().value(),
            &json!({"b":[1]})
        );
        assert_eq!(SetOverride::parse("a=x=y").unwrap().value(), &json!("x=y"));
        assert_eq!(SetOverride::parse("a=").unwrap().value(), &json!(""));
    }

    #[test]
    fn malformed_overrides_error() {
        for bad in [
            "verification.status",
            "=x",
            " =x",
            "a..b=1",
            ".a=1",
            "a.=1",
            "a.addresses[0]=x",
        ] {
            let err = SetOverride::parse(bad).unwrap_err();
            assert!(matches!(err, GenError::BadOverride { .. }), "{bad}: {err}");
            assert!(
                err.to_string().contains(bad.trim_start()) || bad.starts_with(' '),
                "{err}"
            );
        }
    }

    #[test]
    fn applies_and_creates() {
        let mut v = json!({"a": {"list": [{"x": 1}, {"x": 2}]}, "n": null, "s": "str"});
        SetOverride::parse("a.list.1.x=5")
            .unwrap()
            .apply(&mut v)
            .unwrap();
        SetOverride::parse("a.new.deep=true")
            .unwrap()
            .apply(&mut v)
            .unwrap();
        SetOverride::parse("n.k=1").unwrap().apply(&mut v).unwrap();
        assert_eq!(v["a"]["list"][1]["x"], json!(5));
        assert_eq!(v["a"]["new"]["deep"], json!(true));
        assert_eq!(v["n"]["k"], json!(1));
        let past = SetOverride::parse("a.list.2.x=1")
            .unwrap()
            .apply(&mut v)
            .unwrap_err();
        assert!(past.to_string().contains("past the end"), "{past}");
        let word = SetOverride::parse("a.list.first=1")
            .unwrap()
            .apply(&mut v)
            .unwrap_err();
        assert!(word.to_string().contains("number"), "{word}");
        let scalar = SetOverride::parse("s.x=1")
            .unwrap()
            .apply(&mut v)
            .unwrap_err();
        assert!(scalar.to_string().contains("string"), "{scalar}");
    }

    #[test]
    fn recognises_status_paths() {
        let o = SetOverride::parse("verification.status=declined").unwrap();
        assert_eq!(o.status_for(Kind::Decision), Some("declined"));
        assert_eq!(o.status_for(Kind::Event), None);
        let unknown = SetOverride::parse("verification.status=on_hold").unwrap();
        assert_eq!(unknown.status_for(Kind::Decision), None);
    }
}
