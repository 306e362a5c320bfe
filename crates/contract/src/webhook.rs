//! Parsing any webhook body: detect the kind by its shape, then parse it as that kind.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::payload::{Curp, Decision, Event, FullAuto, Ine, IneCurp, UserStatus, Watchlist};
use crate::{Kind, Nullable};

/// Event types (`eventType`, or `type` for CURP) of the kinds this version knows.
pub mod event_type {
    /// User-defined status created.
    pub const USER_STATUS_CREATED: &str = "user-status.created";
    /// Full Auto.
    pub const FULLAUTO: &str = "fullauto";
    /// INE registry.
    pub const INE_REGISTRY: &str = "ine_registry";
    /// CURP registry (in `type`).
    pub const CURP_REGISTRY: &str = "curp_registry";
    /// Combined INE+CURP registry.
    pub const COMBINED_INE_CURP: &str = "combined-ine-curp-registry";
}

/// A parsed webhook of any kind.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Webhook {
    Decision(Box<Decision>),
    Event(Box<Event>),
    UserStatus(Box<UserStatus>),
    Watchlist(Box<Watchlist>),
    FullAuto(Box<FullAuto>),
    Ine(Box<Ine>),
    Curp(Box<Curp>),
    IneCurp(Box<IneCurp>),
    /// A webhook with an event type this version does not know. Veriff may add event types
    /// without notice; a receiver should accept them (answer 200) and ignore or log them.
    Unknown(UnknownWebhook),
}

/// A webhook whose event type is not known to this version; its body is kept whole.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownWebhook {
    /// The unknown `eventType` (or `type`, or event `action`).
    pub event_type: String,
    /// The whole body.
    pub body: Map<String, Value>,
}

/// Why a body is not a webhook this contract can read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON (truncated, invalid UTF-8, trailing garbage…).
    #[error("the body is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// JSON, but not an object.
    #[error("the body is JSON but not an object; every Veriff webhook is a JSON object")]
    NotAnObject,
    /// An object of no known webhook shape.
    #[error(
        "the body is not a Veriff webhook: no `verification`, `eventType`, `type`, `action` or `matchStatus` field to tell its kind by"
    )]
    UnknownShape,
    /// Looks like `kind`, but a required field is missing or has the wrong type.
    #[error("invalid {kind} webhook: {source}")]
    Invalid {
        /// The kind it looked like.
        kind: Kind,
        /// What serde said (field and expected type).
        #[source]
        source: serde_json::Error,
    },
}

/// What the shape of an object says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    /// A known kind.
    Kind(Kind),
    /// An event type this version does not know.
    UnknownEventType(String),
}

/// Tells a webhook's kind by its shape (there is no envelope).
///
/// # Errors
/// [`ParseError::UnknownShape`] for an object no rule matches.
pub fn detect(object: &Map<String, Value>) -> Result<Detected, ParseError> {
    use event_type as et;
    let str_field = |name: &str| object.get(name).and_then(Value::as_str);
    if let Some(t) = str_field("eventType") {
        return Ok(match t {
            et::USER_STATUS_CREATED => Detected::Kind(Kind::UserStatus),
            et::FULLAUTO => Detected::Kind(Kind::FullAuto),
            et::INE_REGISTRY => Detected::Kind(Kind::Ine),
            et::COMBINED_INE_CURP => Detected::Kind(Kind::IneCurp),
            other => Detected::UnknownEventType(other.to_owned()),
        });
    }
    if let Some(t) = str_field("type") {
        return Ok(match t {
            et::CURP_REGISTRY => Detected::Kind(Kind::Curp),
            other => Detected::UnknownEventType(other.to_owned()),
        });
    }
    if object.get("verification").is_some_and(Value::is_object) {
        return Ok(Detected::Kind(Kind::Decision));
    }
    if object.contains_key("matchStatus") || object.contains_key("checkType") {
        return Ok(Detected::Kind(Kind::Watchlist));
    }
    if let Some(action) = str_field("action") {
        return Ok(if crate::EventAction::from_wire(action).is_known() {
            Detected::Kind(Kind::Event)
        } else {
            Detected::UnknownEventType(action.to_owned())
        });
    }
    Err(ParseError::UnknownShape)
}

impl Webhook {
    /// Parses a body of any kind, telling the kind by shape.
    ///
    /// # Errors
    /// A [`ParseError`] that says what is wrong; never panics, whatever the input.
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        let value: Value = serde_json::from_slice(body).map_err(ParseError::Json)?;
        Self::from_value(value)
    }

    /// As [`Webhook::parse`], from a JSON value.
    ///
    /// # Errors
    /// As [`Webhook::parse`].
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let Value::Object(object) = value else {
            return Err(ParseError::NotAnObject);
        };
        match detect(&object)? {
            Detected::Kind(kind) => Self::from_object_as(kind, object),
            Detected::UnknownEventType(event_type) => Ok(Webhook::Unknown(UnknownWebhook {
                event_type,
                body: object,
            })),
        }
    }

    /// Parses a body as the given kind (for receivers that route by URL).
    ///
    /// # Errors
    /// As [`Webhook::parse`].
    pub fn parse_as(kind: Kind, body: &[u8]) -> Result<Self, ParseError> {
        match serde_json::from_slice(body).map_err(ParseError::Json)? {
            Value::Object(object) => Self::from_object_as(kind, object),
            _ => Err(ParseError::NotAnObject),
        }
    }

    fn from_object_as(kind: Kind, object: Map<String, Value>) -> Result<Self, ParseError> {
        fn typed<T: serde::de::DeserializeOwned>(
            kind: Kind,
            object: Map<String, Value>,
        ) -> Result<Box<T>, ParseError> {
            serde_json::from_value(Value::Object(object))
                .map(Box::new)
                .map_err(|source| ParseError::Invalid { kind, source })
        }
        Ok(match kind {
            Kind::Decision => Webhook::Decision(typed(kind, object)?),
            Kind::Event => Webhook::Event(typed(kind, object)?),
            Kind::UserStatus => Webhook::UserStatus(typed(kind, object)?),
            Kind::Watchlist => Webhook::Watchlist(typed(kind, object)?),
            Kind::FullAuto => Webhook::FullAuto(typed(kind, object)?),
            Kind::Ine => Webhook::Ine(typed(kind, object)?),
            Kind::Curp => Webhook::Curp(typed(kind, object)?),
            Kind::IneCurp => Webhook::IneCurp(typed(kind, object)?),
        })
    }

    /// The kind, or `None` for an unknown event type.
    #[must_use]
    pub fn kind(&self) -> Option<Kind> {
        Some(match self {
            Webhook::Decision(_) => Kind::Decision,
            Webhook::Event(_) => Kind::Event,
            Webhook::UserStatus(_) => Kind::UserStatus,
            Webhook::Watchlist(_) => Kind::Watchlist,
            Webhook::FullAuto(_) => Kind::FullAuto,
            Webhook::Ine(_) => Kind::Ine,
            Webhook::Curp(_) => Kind::Curp,
            Webhook::IneCurp(_) => Kind::IneCurp,
            Webhook::Unknown(_) => return None,
        })
    }

    /// The status the generator names it by (see [`Kind::statuses`]), or the event type of an
    /// unknown webhook.
    #[must_use]
    pub fn status(&self) -> Option<String> {
        match self {
            Webhook::Decision(d) => Some(d.verification.status.to_string()),
            Webhook::Event(e) => Some(e.action.to_string()),
            Webhook::UserStatus(u) => u.event_type.strip_prefix("user-status.").map(str::to_owned),
            Webhook::Watchlist(w) => Some(w.match_status.to_string()),
            Webhook::FullAuto(f) => Some(f.data.verification.decision.to_string()),
            Webhook::Ine(i) => {
                let details = i.data.details.as_ref()?;
                Some(
                    match (details.active.as_ref(), i.data.code.as_ref()) {
                        (Some(true), _) => "active",
                        (_, Some(200)) => "inactive",
                        _ => "not_found",
                    }
                    .to_owned(),
                )
            }
            Webhook::Curp(c) => c.data.status.as_deref().map(str::to_owned),
            Webhook::IneCurp(c) => c
                .data
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_owned),
            Webhook::Unknown(u) => Some(u.event_type.clone()),
        }
    }

    /// The session id, wherever this kind keeps it.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Webhook::Decision(d) => Some(&d.verification.id),
            Webhook::Event(e) => Some(&e.id),
            Webhook::UserStatus(u) => Some(&u.session_id),
            Webhook::Watchlist(w) => Some(&w.session_id),
            Webhook::FullAuto(f) => Some(&f.session_id),
            Webhook::Ine(i) => Some(&i.session_id),
            Webhook::Curp(c) => Some(&c.id),
            Webhook::IneCurp(c) => Some(&c.session_id),
            Webhook::Unknown(u) => u
                .body
                .get("sessionId")
                .or_else(|| u.body.get("id"))
                .and_then(Value::as_str),
        }
    }

    /// The attempt id, wherever this kind keeps it.
    #[must_use]
    pub fn attempt_id(&self) -> Option<&str> {
        match self {
            Webhook::Decision(d) => d.verification.attempt_id.as_deref(),
            Webhook::Event(e) => Some(&e.attempt_id),
            Webhook::UserStatus(u) => Some(&u.attempt_id),
            Webhook::Watchlist(w) => Some(&w.attempt_id),
            Webhook::FullAuto(f) => Some(&f.attempt_id),
            Webhook::Ine(i) => Some(&i.attempt_id),
            Webhook::Curp(c) => Some(&c.data.attempt_id),
            Webhook::IneCurp(c) => Some(&c.attempt_id),
            Webhook::Unknown(u) => u.body.get("attemptId").and_then(Value::as_str),
        }
    }

    /// `vendorData`, when present and not null.
    #[must_use]
    pub fn vendor_data(&self) -> Option<&str> {
        let field: &Nullable<String> = match self {
            Webhook::Decision(d) => &d.verification.vendor_data,
            Webhook::Event(e) => &e.vendor_data,
            Webhook::UserStatus(u) => &u.vendor_data,
            Webhook::Watchlist(w) => &w.vendor_data,
            Webhook::FullAuto(f) => &f.vendor_data,
            Webhook::Ine(i) => &i.vendor_data,
            Webhook::Curp(c) => &c.vendor_data,
            Webhook::IneCurp(c) => &c.vendor_data,
            Webhook::Unknown(u) => return u.body.get("vendorData").and_then(Value::as_str),
        };
        field.as_deref()
    }

    /// Serializes compactly, in field order.
    #[must_use]
    pub fn to_vec(&self) -> Vec<u8> {
        fn ser<T: Serialize>(t: &T) -> Vec<u8> {
            serde_json::to_vec(t).expect("payload types serialize infallibly")
        }
        match self {
            Webhook::Decision(p) => ser(p),
            Webhook::Event(p) => ser(p),
            Webhook::UserStatus(p) => ser(p),
            Webhook::Watchlist(p) => ser(p),
            Webhook::FullAuto(p) => ser(p),
            Webhook::Ine(p) => ser(p),
            Webhook::Curp(p) => ser(p),
            Webhook::IneCurp(p) => ser(p),
            Webhook::Unknown(u) => ser(&u.body),
        }
    }

    /// The payload as a JSON value.
    #[must_use]
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.to_vec()).expect("own output is JSON")
    }
}
