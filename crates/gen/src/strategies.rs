//! Proptest strategies for integrators' and our own tests (feature `proptest`).
//!
//! Every strategy is a public free function returning `impl Strategy`, so it composes with the rest
//! of proptest. Their knobs live in one `#[non_exhaustive]` parameter struct, [`WebhookParams`]
//! (kinds, statuses, countries, optional-field density, `vendorData` length), shared by every kind.
//!
//! | strategy | yields |
//! |---|---|
//! | [`decision`], [`event`], [`user_status`], [`watchlist`], [`fullauto`], [`ine`], [`curp`], [`ine_curp`] | valid payloads of one kind |
//! | [`any_webhook`] | valid payloads of the kinds in the params (every kind by default) |
//! | [`compat_variant`], [`compat_variants`] | a change Veriff may ship without notice, applied to a payload |
//! | [`mangled`], [`mangled_variants`] | a broken body: truncated, wrong types, missing fields, invalid UTF-8 |
//! | [`signed`] | any of the above with the headers Veriff would send |
//!
//! # What the valid payloads cover and omit
//!
//! Covered: every status of every kind; any seed and session index of the seeded [`Generator`]
//! (so every covered country, document type, reason code, watchlist hit count and check type the
//! generator makes); each optional part present or pruned independently (risk labels, biometric
//! authentication, `additionalVerifiedData`, addresses, `endUserId`, watchlist hits beyond the
//! first and their `aka`/`associates`, Full Auto insights); `vendorData` null or any length from 0
//! to [`WebhookParams::max_vendor_data_len`] (1,000 by default, Veriff's limit). Every value
//! parses with the contract and passes [`crate::invariants::check`].
//!
//! Omitted: compatibility changes (use [`compat_variant`]), broken bodies (use [`mangled`]),
//! `--set` overrides and custom time anchors.
//!
//! # Shrinking
//!
//! The "complexity" of a payload is drawn as proptest values that shrink toward zero or false:
//! which optional parts are kept, the `vendorData` length (toward `null`, then toward short), the
//! seed and the session index (toward 0), the status (toward the kind's first) and, for
//! [`any_webhook`], the kind (toward the simplest, [`Kind::Event`]). The payload is then built
//! from those knobs deterministically, so a failing case shrinks to a small, simple payload.
//!
//! # Example: property-test your own parser
//!
//! ```
//! use proptest::prelude::*;
//! use proptest::test_runner::{Config, TestRunner};
//! use veriff_mock_gen::strategies::{any_webhook, mangled_variants, WebhookParams};
//!
//! /// Your parser: it must take every valid payload, and never panic on a broken one.
//! fn my_parser(body: &[u8]) -> Result<serde_json::Value, String> {
//!     let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
//!     value.as_object().ok_or("not an object")?;
//!     Ok(value)
//! }
//!
//! let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
//! runner.run(&any_webhook(&WebhookParams::default()), |payload| {
//!     prop_assert!(my_parser(&payload.body).is_ok(), "{:?}", payload.body);
//!     Ok(())
//! })?;
//! runner.run(&mangled_variants(any_webhook(&WebhookParams::default())), |broken| {
//!     let _ = my_parser(&broken.body); // must not panic
//!     Ok(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use bytes::Bytes;
use proptest::prelude::*;
use serde_json::{Map, Value};
use veriff_mock_contract::{Kind, SharedSecret, headers, sign_hex};

use crate::compat::Mutation;
use crate::session::Session;
use crate::{DEFAULT_ANCHOR_MS, Generator, Payload};

/// How many optional parts a kind can prune (the length of the "keep" knob vector).
const KNOBS: usize = 8;
/// How far past the drawn index to look for a session of a wanted country.
const COUNTRY_SEARCH: u64 = 2_000;

/// Parameters shared by every payload strategy. Build with [`WebhookParams::default`] and the
/// builder methods:
///
/// ```
/// use veriff_mock_contract::Kind;
/// use veriff_mock_gen::strategies::WebhookParams;
///
/// let params = WebhookParams::default()
///     .kinds([Kind::Decision, Kind::Watchlist])
///     .statuses(["declined", "possible_match"])
///     .countries(["EE", "MX"])
///     .density(0.9)
///     .max_vendor_data_len(64);
/// assert_eq!(params.kinds.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WebhookParams {
    /// Only these kinds, for [`any_webhook`] (all kinds when empty). The per-kind strategies
    /// ignore it.
    pub kinds: Vec<Kind>,
    /// Only these statuses (see [`Kind::statuses`]); a kind none of whose statuses is listed keeps
    /// all of them (and [`any_webhook`] leaves it out when other kinds match). Empty: all.
    pub statuses: Vec<String>,
    /// Only sessions of people from these countries (ISO alpha-2, see
    /// [`crate::covered_countries`]); the Mexican registry kinds are always `MX` and ignore it.
    /// Empty: all covered countries, with the generator's weights.
    pub countries: Vec<String>,
    /// Probability (0..1) that each optional part the generator made is kept. Default 0.5.
    pub density: f64,
    /// Longest `vendorData` drawn. Default 1,000 (Veriff's limit).
    pub max_vendor_data_len: usize,
}

impl Default for WebhookParams {
    fn default() -> Self {
        WebhookParams {
            kinds: Vec::new(),
            statuses: Vec::new(),
            countries: Vec::new(),
            density: 0.5,
            max_vendor_data_len: 1_000,
        }
    }
}

impl WebhookParams {
    /// Only these kinds (for [`any_webhook`]).
    #[must_use]
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = Kind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// Only these statuses.
    #[must_use]
    pub fn statuses<S: Into<String>>(mut self, statuses: impl IntoIterator<Item = S>) -> Self {
        self.statuses = statuses.into_iter().map(Into::into).collect();
        self
    }

    /// Only people from these countries (alpha-2 codes, any case).
    #[must_use]
    pub fn countries<S: Into<String>>(mut self, countries: impl IntoIterator<Item = S>) -> Self {
        self.countries = countries
            .into_iter()
            .map(|c| c.into().trim().to_ascii_uppercase())
            .collect();
        self
    }

    /// Probability that each optional part is kept, clamped to 0..1 (0: minimal payloads).
    #[must_use]
    pub fn density(mut self, density: f64) -> Self {
        self.density = if density.is_nan() {
            0.5
        } else {
            density.clamp(0.0, 1.0)
        };
        self
    }

    /// Longest `vendorData` drawn.
    #[must_use]
    pub fn max_vendor_data_len(mut self, len: usize) -> Self {
        self.max_vendor_data_len = len;
        self
    }

    fn statuses_of(&self, kind: Kind) -> Vec<&'static str> {
        let wanted: Vec<&'static str> = kind
            .statuses()
            .iter()
            .copied()
            .filter(|s| self.statuses.iter().any(|w| w == s))
            .collect();
        if wanted.is_empty() {
            kind.statuses().to_vec()
        } else {
            wanted
        }
    }

    fn matches_statuses(&self, kind: Kind) -> bool {
        self.statuses.is_empty()
            || kind
                .statuses()
                .iter()
                .any(|s| self.statuses.iter().any(|w| w == s))
    }
}

/// The knobs a payload is built from; every one shrinks toward a simpler payload.
#[derive(Debug, Clone)]
struct Knobs {
    status: &'static str,
    seed: u64,
    index: u64,
    keep: Vec<bool>,
    vendor_len: Option<usize>,
}

fn knobs(kind: Kind, params: &WebhookParams) -> impl Strategy<Value = Knobs> + use<> {
    let statuses = params.statuses_of(kind);
    (
        proptest::sample::select(statuses),
        any::<u64>(),
        0u64..1_000_000,
        proptest::collection::vec(proptest::bool::weighted(params.density), KNOBS),
        proptest::option::weighted(0.85, 0..=params.max_vendor_data_len),
    )
        .prop_map(|(status, seed, index, keep, vendor_len)| Knobs {
            status,
            seed,
            index,
            keep,
            vendor_len,
        })
}

/// Valid payloads of one kind. See the [module docs](self) for what is covered and how it
/// shrinks.
pub fn of_kind(kind: Kind, params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    let countries = params.countries.clone();
    knobs(kind, params).prop_map(move |k| build(kind, &k, &countries))
}

/// Verification decisions (every `verification.status`; null `person`/`document` for expired
/// and abandoned).
pub fn decision(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::Decision, params)
}

/// `started` / `submitted` events.
pub fn event(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::Event, params)
}

/// `user-status.created` webhooks.
pub fn user_status(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::UserStatus, params)
}

/// Watchlist screening results (`no_match`, `possible_match` with 1–3 hits).
pub fn watchlist(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::Watchlist, params)
}

/// Full Auto decisions.
pub fn fullauto(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::FullAuto, params)
}

/// INE registry results (always a Mexican person).
pub fn ine(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::Ine, params)
}

/// CURP registry results (always a Mexican person).
pub fn curp(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::Curp, params)
}

/// Combined INE+CURP registry results (always a Mexican person).
pub fn ine_curp(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    of_kind(Kind::IneCurp, params)
}

/// Valid payloads of the kinds in `params` (every kind when empty), kinds drawn uniformly.
/// Shrinks toward [`Kind::Event`], then toward the order of [`Kind::ALL`].
pub fn any_webhook(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    let mut kinds: Vec<Kind> = if params.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        params.kinds.clone()
    };
    if kinds.iter().any(|k| params.matches_statuses(*k)) {
        kinds.retain(|k| params.matches_statuses(*k));
    }
    // The simplest kind first, so a failing case shrinks toward it.
    kinds.sort_by_key(|k| (*k != Kind::Event, *k));
    kinds.dedup();
    let countries = params.countries.clone();
    let params = params.clone();
    proptest::sample::select(kinds).prop_flat_map(move |kind| {
        let countries = countries.clone();
        knobs(kind, &params).prop_map(move |k| build(kind, &k, &countries))
    })
}

/// `(kind, status)` pairs drawn uniformly over the params' kinds, then over the kind's statuses.
pub fn kind_and_status(
    params: &WebhookParams,
) -> impl Strategy<Value = (Kind, &'static str)> + use<> {
    let kinds = if params.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        params.kinds.clone()
    };
    let params = params.clone();
    proptest::sample::select(kinds).prop_flat_map(move |kind| {
        (
            Just(kind),
            proptest::sample::select(params.statuses_of(kind)),
        )
    })
}

/// Generated payloads exactly as [`Generator::payload`] makes them (nothing pruned): any kind and
/// status of `params`, any seed and index. Shrinks toward small seeds and indices.
pub fn payloads(params: &WebhookParams) -> impl Strategy<Value = Payload> + use<> {
    (kind_and_status(params), any::<u64>(), any::<u64>()).prop_map(
        |((kind, status), seed, index)| {
            let g = Generator::from_seed(seed).kind(kind);
            g.clone().status(status).unwrap_or(g).payload(index)
        },
    )
}

/// Any generated payload, unpruned ([`payloads`] with default params).
pub fn any_payload() -> impl Strategy<Value = Payload> {
    payloads(&WebhookParams::default())
}

// ---------------------------------------------------------------------------------------------
// Building a payload from its knobs.

fn build(kind: Kind, k: &Knobs, countries: &[String]) -> Payload {
    let index = session_index(kind, k.seed, k.index, countries);
    let generator = Generator::from_seed(k.seed).kind(kind);
    let generator = generator.clone().status(k.status).unwrap_or(generator);
    let original = generator.payload(index);
    let Ok(mut value) = serde_json::from_slice::<Value>(&original.body) else {
        return original;
    };
    prune(kind, &mut value, &k.keep);
    let vendor = set_vendor_data(&mut value, k.vendor_len, &original);
    let Ok(body) = serde_json::to_vec(&value) else {
        return original;
    };
    Payload {
        vendor_data: vendor,
        body: Bytes::from(body),
        ..original
    }
}

/// The first session index from `index` whose person comes from one of `countries`.
fn session_index(kind: Kind, seed: u64, index: u64, countries: &[String]) -> u64 {
    if countries.is_empty() || matches!(kind, Kind::Ine | Kind::Curp | Kind::IneCurp) {
        return index;
    }
    (index..index.saturating_add(COUNTRY_SEARCH))
        .find(|i| {
            let session = Session::draw(seed, *i, DEFAULT_ANCHOR_MS, None);
            countries.iter().any(|c| c == session.person.country.code)
        })
        .unwrap_or(index)
}

/// What pruning an optional part does.
#[derive(Clone, Copy)]
enum Prune {
    /// Remove the key.
    Remove(&'static str, &'static str),
    /// Set the value at the pointer to `null`, if the key is there.
    Null(&'static str),
    /// Set the value at the pointer to `{}`.
    EmptyObject(&'static str),
    /// Set the value at the pointer to `[]`.
    EmptyArray(&'static str),
    /// Keep the first element of the array at the pointer.
    KeepFirst(&'static str),
    /// Empty these arrays in every element of the array at the pointer.
    EmptyInEach(&'static str, &'static [&'static str]),
}

fn prunes(kind: Kind) -> &'static [Prune] {
    use Prune::*;
    match kind {
        Kind::Decision => &[
            Remove("/verification", "riskLabels"),
            Remove("/verification", "biometricAuthentication"),
            EmptyObject("/verification/additionalVerifiedData"),
            EmptyArray("/verification/person/addresses"),
            Null("/verification/endUserId"),
        ],
        Kind::Watchlist => &[
            KeepFirst("/hits"),
            EmptyInEach("/hits", &["aka", "associates"]),
            Null("/endUserId"),
        ],
        Kind::FullAuto => &[
            EmptyArray("/data/verification/insights"),
            Null("/endUserId"),
        ],
        Kind::Event | Kind::UserStatus | Kind::Ine | Kind::Curp | Kind::IneCurp => {
            &[Null("/endUserId")]
        }
    }
}

fn prune(kind: Kind, value: &mut Value, keep: &[bool]) {
    for (i, p) in prunes(kind).iter().enumerate() {
        if keep.get(i).copied().unwrap_or(false) {
            continue;
        }
        match *p {
            Prune::Remove(parent, key) => {
                if let Some(Value::Object(map)) = value.pointer_mut(parent) {
                    map.shift_remove(key);
                }
            }
            Prune::Null(at) => replace(value, at, Value::Null),
            Prune::EmptyObject(at) => replace(value, at, Value::Object(Map::new())),
            Prune::EmptyArray(at) => replace(value, at, Value::Array(Vec::new())),
            Prune::KeepFirst(at) => {
                if let Some(Value::Array(items)) = value.pointer_mut(at) {
                    items.truncate(1);
                }
                // A watchlist's `totalHits` counts the hits listed.
                if at == "/hits" {
                    let count = value.pointer(at).and_then(Value::as_array).map(Vec::len);
                    if let (Some(count), Some(total)) = (count, value.get_mut("totalHits")) {
                        *total = Value::from(count);
                    }
                }
            }
            Prune::EmptyInEach(at, keys) => {
                if let Some(Value::Array(items)) = value.pointer_mut(at) {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        for key in keys {
                            if let Some(v) = item.get_mut(*key).filter(|v| v.is_array()) {
                                *v = Value::Array(Vec::new());
                            }
                        }
                    }
                }
            }
        }
    }
}

fn replace(value: &mut Value, at: &str, new: Value) {
    if let Some(slot) = value.pointer_mut(at) {
        *slot = new;
    }
}

/// Sets `vendorData` (top level, or in `verification` for decisions) to `null` or to a string of
/// `len` characters made from the generated one (or the session id when it was null).
fn set_vendor_data(value: &mut Value, len: Option<usize>, original: &Payload) -> Option<String> {
    let new = len.map(|len| {
        let source = original
            .vendor_data
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&original.session_id);
        let source = if source.is_empty() { "x" } else { source };
        source.chars().cycle().take(len).collect::<String>()
    });
    let slot = match value {
        Value::Object(map) if map.contains_key("vendorData") => map.get_mut("vendorData"),
        Value::Object(map) => map
            .get_mut("verification")
            .and_then(Value::as_object_mut)
            .and_then(|v| v.get_mut("vendorData")),
        _ => None,
    };
    match slot {
        Some(slot) => {
            *slot = new.clone().map_or(Value::Null, Value::String);
            new
        }
        None => original.vendor_data.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Compatibility variants.

/// A payload after a backwards-compatible change.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The change applied.
    pub mutation: Mutation,
    /// The seed that picked added names and values.
    pub seed: u64,
    /// The original payload.
    pub payload: Payload,
    /// The changed bytes, to sign and send.
    pub body: Bytes,
}

/// The mutations in order of simplicity, so a failing variant shrinks toward the first.
pub const COMPAT_ORDER: [Mutation; 6] = [
    Mutation::RawNonAscii,
    Mutation::ReorderedKeys,
    Mutation::PrettyPrinted,
    Mutation::EscapedNonAscii,
    Mutation::UnknownFields,
    Mutation::UnknownEventType,
];

/// Every change Veriff may ship without notice, applied to `payload`: unknown fields at several
/// depths, a new event type, reordered keys, a pretty-printed body, non-ASCII escaped or raw (see
/// [`crate::compat`]). A correct receiver must answer 200 to each. Shrinks toward the layout-only
/// changes ([`COMPAT_ORDER`]) and seed 0.
///
/// Omits: changes to opaque string formats (ids, messages) and number formatting.
pub fn compat_variant(payload: Payload) -> impl Strategy<Value = Variant> {
    (
        proptest::sample::select(COMPAT_ORDER.to_vec()),
        0u64..COMPAT_SEEDS,
    )
        .prop_map(move |(mutation, seed)| variant(&payload, mutation, seed))
}

/// [`compat_variant`] of every payload of `payloads`, drawn side by side rather than with
/// `prop_flat_map`, so the payload and the change shrink independently (and fast).
pub fn compat_variants<S>(payloads: S) -> impl Strategy<Value = Variant>
where
    S: Strategy<Value = Payload>,
{
    // The change first: proptest shrinks a tuple's elements in order, and a payload can only
    // shrink as far as the change still shows the failure.
    (
        proptest::sample::select(COMPAT_ORDER.to_vec()),
        0u64..COMPAT_SEEDS,
        payloads,
    )
        .prop_map(|(mutation, seed, payload)| variant(&payload, mutation, seed))
}

/// Seeds of the compatibility changes (they only pick names and values of what is added).
const COMPAT_SEEDS: u64 = 1 << 10;

fn variant(payload: &Payload, mutation: Mutation, seed: u64) -> Variant {
    let body = mutation
        .apply(&payload.body, seed)
        .map(Bytes::from)
        .unwrap_or_else(|_| payload.body.clone());
    Variant {
        mutation,
        seed,
        payload: payload.clone(),
        body,
    }
}

// ---------------------------------------------------------------------------------------------
// Mangled bodies.

/// How a body was broken.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mangling {
    /// Cut after this many bytes.
    Truncated(usize),
    /// The value of this top-level key replaced by one of another JSON type.
    WrongType(String),
    /// This top-level key removed (most top-level keys are required; where one is optional the
    /// body may still be valid).
    MissingField(String),
    /// A byte that is never valid UTF-8 (`0xFF`) inserted at this offset.
    InvalidUtf8(usize),
    /// The JSON value wrapped in an array (valid JSON, not an object).
    NotAnObject,
}

impl fmt::Display for Mangling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mangling::Truncated(n) => write!(f, "truncated after {n} bytes"),
            Mangling::WrongType(k) => write!(f, "`{k}` has the wrong JSON type"),
            Mangling::MissingField(k) => write!(f, "`{k}` removed"),
            Mangling::InvalidUtf8(at) => write!(f, "invalid UTF-8 at byte {at}"),
            Mangling::NotAnObject => f.write_str("not a JSON object"),
        }
    }
}

/// A broken body.
#[derive(Debug, Clone, PartialEq)]
pub struct Mangled {
    /// What was done.
    pub mangling: Mangling,
    /// The original payload.
    pub original: Payload,
    /// The broken bytes.
    pub body: Bytes,
}

/// Broken versions of `payload`: truncated, a top-level value of the wrong type, a top-level key
/// removed, invalid UTF-8 inserted, or not an object. A receiver must answer each with a 4xx (or a
/// 200 where the body is still a valid webhook), never a 5xx, a panic or a hang.
///
/// Omits: bodies that are not derived from a payload (random bytes), huge bodies, and breakage
/// deeper than the top level for wrong types and missing keys.
pub fn mangled(payload: Payload) -> impl Strategy<Value = Mangled> {
    let len = payload.body.len().max(1);
    let keys: Vec<String> = serde_json::from_slice::<Map<String, Value>>(&payload.body)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let keys = if keys.is_empty() {
        vec![String::new()]
    } else {
        keys
    };
    let how = prop_oneof![
        (0..len).prop_map(Mangling::Truncated),
        proptest::sample::select(keys.clone()).prop_map(Mangling::WrongType),
        proptest::sample::select(keys).prop_map(Mangling::MissingField),
        (0..len).prop_map(Mangling::InvalidUtf8),
        Just(Mangling::NotAnObject),
    ];
    how.prop_map(move |mangling| Mangled {
        body: mangle(&payload.body, &mangling),
        mangling,
        original: payload.clone(),
    })
}

/// [`mangled`] versions of every payload of `payloads`, drawn side by side rather than with
/// `prop_flat_map`, so the payload and the breakage shrink independently. Shrinks toward a
/// truncation at byte 0 (an empty body).
pub fn mangled_variants<S>(payloads: S) -> impl Strategy<Value = Mangled>
where
    S: Strategy<Value = Payload>,
{
    (0u8..5, any::<proptest::sample::Index>(), payloads).prop_map(|(how, at, payload)| {
        let keys: Vec<String> = serde_json::from_slice::<Map<String, Value>>(&payload.body)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let key = || {
            if keys.is_empty() {
                String::new()
            } else {
                keys[at.index(keys.len())].clone()
            }
        };
        let len = payload.body.len().max(1);
        let mangling = match how {
            0 => Mangling::Truncated(at.index(len)),
            1 => Mangling::WrongType(key()),
            2 => Mangling::MissingField(key()),
            3 => Mangling::InvalidUtf8(at.index(len)),
            _ => Mangling::NotAnObject,
        };
        Mangled {
            body: mangle(&payload.body, &mangling),
            mangling,
            original: payload,
        }
    })
}

fn mangle(body: &[u8], how: &Mangling) -> Bytes {
    match how {
        Mangling::Truncated(n) => Bytes::copy_from_slice(&body[..(*n).min(body.len())]),
        Mangling::InvalidUtf8(at) => {
            let at = (*at).min(body.len());
            let mut out = Vec::with_capacity(body.len() + 1);
            out.extend_from_slice(&body[..at]);
            out.push(0xFF);
            out.extend_from_slice(&body[at..]);
            Bytes::from(out)
        }
        Mangling::NotAnObject => {
            let mut out = Vec::with_capacity(body.len() + 2);
            out.push(b'[');
            out.extend_from_slice(body);
            out.push(b']');
            Bytes::from(out)
        }
        Mangling::WrongType(key) | Mangling::MissingField(key) => {
            let Ok(mut map) = serde_json::from_slice::<Map<String, Value>>(body) else {
                return Bytes::copy_from_slice(body);
            };
            if matches!(how, Mangling::MissingField(_)) {
                map.shift_remove(key);
            } else if let Some(v) = map.get_mut(key) {
                *v = wrong_type(v);
            }
            Bytes::from(serde_json::to_vec(&map).unwrap_or_default())
        }
    }
}

fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(_) => Value::from(42),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Object(_) => Value::Array(Vec::new()),
        Value::Array(_) => Value::Object(Map::new()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Null => Value::from(0),
    }
}

// ---------------------------------------------------------------------------------------------
// Signed requests.

/// Anything with a body to sign.
pub trait Body {
    /// The exact bytes that go on the wire.
    fn body(&self) -> &[u8];
}

impl Body for Payload {
    fn body(&self) -> &[u8] {
        &self.body
    }
}
impl Body for Variant {
    fn body(&self) -> &[u8] {
        &self.body
    }
}
impl Body for Mangled {
    fn body(&self) -> &[u8] {
        &self.body
    }
}
impl Body for Bytes {
    fn body(&self) -> &[u8] {
        self
    }
}
impl Body for Vec<u8> {
    fn body(&self) -> &[u8] {
        self
    }
}

/// A value with the request Veriff would send for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed<T> {
    /// What was signed (a [`Payload`], [`Variant`], [`Mangled`] …).
    pub inner: T,
    /// The exact body bytes.
    pub body: Bytes,
    /// `content-type: application/json` and `x-hmac-signature: <lower-case hex>`, lower-case
    /// names as in [`headers`].
    pub headers: Vec<(&'static str, String)>,
}

impl<T> Signed<T> {
    /// The value of a header, by its lower-case name.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Signs every value of `strategy` with `secret` over its exact bytes, as Veriff would send it.
/// Shrinks as `strategy` does.
///
/// ```
/// use proptest::prelude::*;
/// use veriff_mock_contract::{headers, verify, SharedSecret};
/// use veriff_mock_gen::strategies::{compat_variants, event, signed, WebhookParams};
///
/// let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345")?;
/// let requests = signed(secret.clone(), compat_variants(event(&WebhookParams::default())));
/// proptest::test_runner::TestRunner::default().run(&requests, |request| {
///     // What your handler gets: the exact bytes and Veriff's headers.
///     let signature = request.header(headers::X_HMAC_SIGNATURE);
///     prop_assert!(verify(&secret, &request.body, signature).is_ok());
///     Ok(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn signed<S>(secret: SharedSecret, strategy: S) -> impl Strategy<Value = Signed<S::Value>>
where
    S: Strategy,
    S::Value: Body + Clone,
{
    strategy.prop_map(move |inner| {
        let body = Bytes::copy_from_slice(inner.body());
        let headers = vec![
            (headers::CONTENT_TYPE, headers::APPLICATION_JSON.to_owned()),
            (headers::X_HMAC_SIGNATURE, sign_hex(&secret, &body)),
        ];
        Signed {
            inner,
            body,
            headers,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use veriff_mock_contract::Webhook;

    proptest! {
        #[test]
        fn strategies_give_valid_payloads(p in any_webhook(&WebhookParams::default().kinds([Kind::Event, Kind::Curp]))) {
            prop_assert!(matches!(p.kind, Kind::Event | Kind::Curp));
            let w = Webhook::parse(&p.body).unwrap();
            prop_assert!(crate::invariants::check(&w).is_ok());
        }
    }
}
