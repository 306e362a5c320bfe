//! Seeded, realistic Veriff webhook payloads of every kind and status.
//!
//! A [`Generator`] turns `(seed, index)` into one payload: the same seed, kind, status, anchor and
//! index give byte-identical output on any machine (ChaCha8 seeded through SplitMix64; no OS
//! randomness, no clock). Every kind generated for the same `(seed, index)` describes the same
//! verification session (same session id, attempt id, person and timeline), so an event, a
//! decision and a watchlist result of one index belong together.
//!
//! The content is internally consistent: the person's name, nationality, document country
//! (which differ only for a residence permit or visa), document number format, national id number (with real check digits where the country has
//! one), place of issue and address agree; dates of birth make an adult; the document is valid on
//! the decision day unless the reason is 207 (document expired); codes, reasons and nulls follow
//! the status. [`invariants::check`] checks all of it on any parsed payload.
//!
//! ```
//! use veriff_mock_contract::{Kind, Webhook};
//! use veriff_mock_gen::{Generator, SetOverride, invariants};
//!
//! let generator = Generator::from_seed(42).kind(Kind::Decision).status("declined")?;
//! let payload = generator.payload(0);
//! assert_eq!(payload.body, generator.payload(0).body); // reproducible
//!
//! let webhook = Webhook::parse(&payload.body)?;
//! assert_eq!(webhook.status().as_deref(), Some("declined"));
//! invariants::check(&webhook).map_err(|problems| problems.join("; "))?;
//!
//! // Overrides are applied before serialization; a status override keeps the payload consistent.
//! let expired = generator.overrides(vec![SetOverride::parse("verification.status=expired")?])?;
//! let webhook = Webhook::parse(&expired.payload(0).body)?;
//! let value = webhook.to_value();
//! assert_eq!(value["verification"]["code"], 9104);
//! assert!(value["verification"]["person"].is_null());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Also here: [`scenario`] (a session's webhooks in causal order with realistic gaps) and
//! [`compat`] (the backwards-compatible changes Veriff may ship without notice).
//!
//! # Choices where Veriff's docs are silent
//!
//! - **Countries**: FI, EE, DE, FR, ES, IT, GB, US, MX, BR ([`covered_countries`]). Last names come
//!   from `fake`'s locales (de_DE, fr_FR, it_IT, pt_BR, en); gendered first names, Spanish, Mexican,
//!   Finnish and Estonian surnames, cities, streets and document formats are curated tables.
//! - **Names** in decisions are uppercase, as read from the document; the watchlist `searchTerm` is
//!   the name as typed (`Sarah Morgan`). Spanish and Mexican people have two surnames.
//! - **Document numbers**: FI passport 2 letters + 7 digits, EE ID card 2 letters + 7 digits, EE
//!   passport `K` + 7 digits, DE `C`/`L` + 8 from the German document alphabet, ES DNI 8 digits +
//!   mod-23 letter (also the licence number), GB driving licence derived from surname, date of
//!   birth, gender and initial (DVLA layout), IT CIE `CA#####LL`, MX INE CIC 9 digits, …
//!   `person.idNumber` is the national id with real check digits where the country has one
//!   (FI henkilötunnus, EE isikukood, ES DNI, MX CURP, BR CPF) and `null` elsewhere.
//! - **Document types**: passports, ID cards and driving licences by country weights; then about
//!   5% of documents are a `RESIDENCE_PERMIT` where the country still issues a card (all but GB;
//!   the US one is a green card, the Spanish one numbered by a NIE with its check letter), 0.5% a
//!   `VISA` and 1% `OTHER` (a military or professional id card: a national document Veriff does
//!   not classify). A permit or visa is held by a national of another covered country who needs
//!   one (no Schengen national in a Schengen state): names, gender tables and `nationality` come
//!   from the home country, `document.country`, the address (DE, ES and IT permits print one) and
//!   `placeOfIssue` from the country of residence (a visa's `placeOfIssue` is the consulate's
//!   city, in the home country), and `idNumber` is `null`. Mexican registry kinds never draw them.
//! - **Addresses** are listed for ID cards and licences of countries whose cards print one (DE,
//!   ES, IT, GB, US, MX), `[]` otherwise; `parsedAddress.country` is the alpha-2 code, except
//!   `USA` for the United States, whose `fullAddress` also ends in `USA` (`1234 Main Street,
//!   Denver, Colorado, 80201 USA`), as in Veriff's docs sample; on half of US addresses the house
//!   number stays in `street` and `houseNumber` is the string `"null"` (the sample's quirk).
//!   `placeOfBirth` is set for passports only; `placeOfIssue` is the holder's city.
//! - **Unread fields** are `null`, as Veriff sends what it cannot read: `nationality` on every
//!   driving licence and `gender` on UK licences (they print none; the docs sample is such a
//!   licence); OCR misses, each on its own: `gender` ~4%, `validFrom` ~12%, `placeOfIssue` and
//!   `issuedBy` ~10%, `parsedAddress.city` ~8% of addresses. Names, date of birth and the
//!   document's type, number and country are always read, except on resubmissions: with 201
//!   (video and/or photos missing) `person` and `document` are objects of `null`s (`addresses:
//!   []`) and `additionalVerifiedData` is `{}`; with 204 (poor image quality) each field is `null`
//!   with probability 30%, and derived fields follow their source: `yearOfBirth` with
//!   `dateOfBirth`, `fullName` with either name, `document.state` with `country`, a DNI card's
//!   `idNumber` with its number, licence categories with `type` (their `Until` dates with
//!   `validUntil`). The Full Auto webhook of the session leaves the same fields `null`.
//! - **Timeline**: session `index` is created at `anchor + (index mod 10^8) × 3 s` (+ jitter);
//!   started 20 s–10 min later, submitted 1–12 min after that, decided 5 s–6 min after that.
//!   `acceptanceTime` is the session's creation (Veriff: "timestamp of the session generation"),
//!   the same in every decision and Full Auto webhook of the session; the
//!   decision is sent 50 ms–1.5 s after `decisionTime`, `resubmission_requested` 5 minutes later (the
//!   SDK hold), expired/abandoned 7 days after creation. `technicalData.ip` is `null` for expired
//!   (never started) and set for abandoned.
//! - **Decisions**: risk labels always for fraud-type declines (105, 106, 108–113, 124, 127), on
//!   ~8% of others, never with 201 (nothing was captured); biometric authentication on ~5% of
//!   approvals; `additionalVerifiedData` holds licence categories for licences and age estimation
//!   on ~55% of decisions (none with 201), else `{}`. Granular
//!   reason codes are not generated (they are opt-in at Veriff).
//! - **User statuses**: a curated list of display names and reasons; ~35% of reasons are free text
//!   (with `reasonCode: null`). `createdAt` is 10 min–3 days after the decision.
//! - **Watchlist**: `possible_match` has 1–3 hits and `totalHits` is their number (0 for
//!   `no_match`); `countries` are English country names; listings from well-known public lists.
//!   About 20% of results are `updated_result` (ongoing monitoring), created 14–180 days after the
//!   decision; the rest are `initial_result`, seconds after it. The `aml` scenario sends its own
//!   `initial_result` and, later, `updated_result`.
//! - **Full Auto** follows the contract doc §4.5; `decisionScore` 0.85–1 approved, 0.3–0.6
//!   resubmission, 0.01–0.3 declined, `null` with null `person`/`document` for expired/abandoned.
//!   It has no reason code, so it takes the reason of the decision of the same session and
//!   status (the decision's own draw): its fields are those the decision read (all `null` with
//!   201, the same gaps with 204, the expired `validUntil` with 207). Declined and resubmitted
//!   sessions have one failing insight (`no` declined, `notApplicable` resubmitted), drawn among
//!   all but `documentNotExpired`, which is `no` exactly with 207; with 201 every document and
//!   face insight is `notApplicable`.
//! - **INE**: `active` → code 200, `active: true`; `inactive` → code 200, `active: false`;
//!   `not_found` → code 404, `active: false`, a "no data" `documentState` (Veriff's API docs).
//!   **CURP** `not_found` → code 404, `statusCurp: null`. **INE+CURP** (body unpublished):
//!   `data = {status: found|not_found, code: 200|404, ine: {status, active, documentState,
//!   ineIdentifier, voterKey, ocr, emissionYear, validUntil} | null, curp: {statusCurp,
//!   description, curp, names, firstSurname, secondSurname, gender, birthDate, birthState} | null}`.
//!   Mexican registry kinds always describe a Mexican person.
//! - **Layout**: compact JSON, fields in the contract types' order, non-ASCII as raw UTF-8.

mod build;
pub mod compat;
mod countries;
mod fast;
mod ids;
pub mod invariants;
mod overrides;
mod rng;
pub mod scenario;
mod session;
#[cfg(feature = "proptest")]
pub mod strategies;
mod time;

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use veriff_mock_contract::{ABANDONED_API_CODE, DecisionStatus, Kind, UnknownValue, Webhook};

pub use build::snake_case;
pub use compat::Mutation;
pub use countries::covered_countries;
pub use overrides::{SetOverride, status_path};
pub use scenario::Scenario;
/// The contract's types (`Kind`, `SharedSecret`, `verify`, …), so that a dependency on this crate
/// alone is enough to sign and check what it generates.
pub use veriff_mock_contract as contract;

/// Why a generator could not be configured or a payload built.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The status is not one of the kind's [`Kind::statuses`].
    #[error(transparent)]
    UnknownStatus(#[from] UnknownValue),
    /// A `PATH=VALUE` override that does not parse.
    #[error("invalid override {input:?}: {reason}")]
    BadOverride {
        /// What was given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An override whose path cannot be set in the payload.
    #[error("cannot set {path}: {reason}")]
    OverridePath {
        /// The override's path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A body given to [`compat::Mutation::apply`] is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// Serializing the payload failed (an override put something JSON cannot hold).
    #[error("cannot serialize the payload: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// The default anchor: 2026-01-01T00:00:00Z.
pub const DEFAULT_ANCHOR_MS: i64 = 1_767_225_600_000;
/// Anchors are clamped to this range (1900-01-01 … 9000-01-01) so every date stays four digits.
const ANCHOR_RANGE_MS: (i64, i64) = (-2_208_988_800_000, 221_845_392_000_000);

/// A generated payload: the exact bytes to sign and send, and what they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// The kind.
    pub kind: Kind,
    /// The status (see [`Kind::statuses`]); after an override that set an unknown status, that
    /// value.
    pub status: String,
    /// The generator's seed.
    pub seed: u64,
    /// The index within the seed.
    pub index: u64,
    /// The session id in the payload.
    pub session_id: String,
    /// The attempt id in the payload.
    pub attempt_id: String,
    /// `vendorData`, when not null.
    pub vendor_data: Option<String>,
    /// When Veriff would send it (the `time` field, for kinds that have one).
    pub sent_at: DateTime<Utc>,
    /// Compact JSON, serialized once: exactly the bytes that get signed and sent.
    pub body: Bytes,
}

/// Generates payloads of one kind and status from a seed.
///
/// - `from_seed(seed)` starts with [`Kind::Decision`], its first status (`approved`), the anchor
///   2026-01-01T00:00:00Z and no overrides.
/// - [`Generator::kind`] resets the status to the new kind's first; call [`Generator::status`]
///   after it. `status` is the validation point: an unknown status is an error, never a panic.
/// - Session `index` is created at `anchor + (index mod 10^8) * 3 s` plus up to 3 s of jitter; its
///   events, decision (minutes later), and other kinds follow on that session's timeline.
///   `expired`/`abandoned` decisions are sent 7 days after creation, `resubmission_requested` 5
///   minutes after the decision (the SDK hold).
#[derive(Debug, Clone, PartialEq)]
pub struct Generator {
    seed: u64,
    kind: Kind,
    status: &'static str,
    anchor_ms: i64,
    overrides: Vec<SetOverride>,
    /// Give `abandoned` decisions [`ABANDONED_API_CODE`] instead of the table's 9104.
    abandoned_api_code: bool,
    /// What payloads may be beyond kind and status (set by scenarios).
    options: build::Options,
}

impl Generator {
    /// A generator of approved decisions anchored at 2026-01-01T00:00:00Z.
    #[must_use]
    pub fn from_seed(seed: u64) -> Self {
        Generator {
            seed,
            kind: Kind::Decision,
            status: Kind::Decision.statuses()[0],
            anchor_ms: DEFAULT_ANCHOR_MS,
            overrides: Vec::new(),
            abandoned_api_code: false,
            options: build::Options::default(),
        }
    }

    /// Generate this kind; the status becomes the kind's first (default) status.
    #[must_use]
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self.status = kind.statuses().first().copied().unwrap_or("");
        self
    }

    /// Generate this status (one of [`Kind::statuses`] of the current kind).
    ///
    /// # Errors
    /// [`GenError::UnknownStatus`] listing the statuses the kind has.
    pub fn status(mut self, status: &str) -> Result<Self, GenError> {
        self.kind.check_status(status)?;
        self.status = self
            .kind
            .statuses()
            .iter()
            .copied()
            .find(|s| *s == status)
            .unwrap_or(self.status);
        Ok(self)
    }

    /// The base time of the timeline (default 2026-01-01T00:00:00Z), clamped to 1900…9000.
    #[must_use]
    pub fn anchor(mut self, anchor: DateTime<Utc>) -> Self {
        self.anchor_ms = anchor
            .timestamp_millis()
            .clamp(ANCHOR_RANGE_MS.0, ANCHOR_RANGE_MS.1);
        self
    }

    /// Overrides applied (in order) to every payload before it is serialized. An override of the
    /// kind's status path ([`status_path`]) with a known status makes the generator build that
    /// status instead, so `code`, reasons and nulls follow; an unknown status value is set as is.
    ///
    /// # Errors
    /// The first override that cannot be applied to the payload of index 0 (checked up front so
    /// mistakes show at once; see [`Generator::try_payload`] for other indices).
    pub fn overrides(mut self, overrides: Vec<SetOverride>) -> Result<Self, GenError> {
        self.overrides = overrides;
        self.try_payload(0)?;
        Ok(self)
    }

    /// Give `abandoned` decisions code 9121 ([`ABANDONED_API_CODE`], as one of Veriff's API pages
    /// has it) instead of 9104 (the status-codes table, the default). A receiver that reads
    /// `verification.status` handles both; one that maps codes to statuses does not.
    #[must_use]
    pub fn abandoned_api_code(mut self, yes: bool) -> Self {
        self.abandoned_api_code = yes;
        self
    }

    /// The seed.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The kind generated.
    #[must_use]
    pub fn get_kind(&self) -> Kind {
        self.kind
    }

    /// The status generated (before overrides).
    #[must_use]
    pub fn get_status(&self) -> &'static str {
        self.status
    }

    /// The anchor.
    #[must_use]
    pub fn get_anchor(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.anchor_ms)
            .single()
            .unwrap_or_default()
    }

    fn effective_status(&self) -> &'static str {
        self.overrides
            .iter()
            .rev()
            .find_map(|o| o.status_for(self.kind))
            .unwrap_or(self.status)
    }

    /// The typed payload of `index`. Status overrides are honoured; other overrides are not
    /// (they apply to the JSON, see [`Generator::payload`]).
    #[must_use]
    pub fn webhook(&self, index: u64) -> Webhook {
        self.build(index).webhook
    }

    /// The payload of `index`, overrides applied. An override that cannot be applied to this
    /// particular payload (an array index past the end of a shorter array) is skipped; use
    /// [`Generator::try_payload`] to get that as an error.
    #[must_use]
    pub fn payload(&self, index: u64) -> Payload {
        self.make_payload(index, false).unwrap_or_else(|_| {
            // Only reachable with overrides; retry skipping the ones that fail.
            self.make_payload(index, true)
                .unwrap_or_else(|_| self.plain_payload(index))
        })
    }

    /// The payload of `index`, overrides applied.
    ///
    /// # Errors
    /// The first override that cannot be applied.
    pub fn try_payload(&self, index: u64) -> Result<Payload, GenError> {
        self.make_payload(index, false)
    }

    /// Fast path: serializes the body of `index` into `buf` (cleared first), reusing its
    /// allocation. The bytes are those of [`Generator::payload`]`(index).body`.
    ///
    /// # Errors
    /// As [`Generator::try_payload`].
    pub fn write_body(&self, index: u64, buf: &mut Vec<u8>) -> Result<(), GenError> {
        buf.clear();
        if let Some(plan) = self.fast_decision(index) {
            fast::write_decision(&plan, buf);
            return Ok(());
        }
        let built = self.build(index);
        if self.has_json_overrides() {
            let value = self.overridden_value(&built.webhook, false)?;
            serde_json::to_writer(&mut *buf, &value).map_err(GenError::Serialize)
        } else {
            serialize_into(&built.webhook, buf)
        }
    }

    /// The typed payload of `index` at the effective status, before JSON overrides.
    fn build(&self, index: u64) -> build::Built {
        let mut built = build::build(
            self.kind,
            self.effective_status(),
            self.seed,
            index,
            self.anchor_ms,
            self.options,
        );
        if let Webhook::Decision(d) = &mut built.webhook
            && self.abandoned_api_code
            && d.verification.status == DecisionStatus::Abandoned
        {
            d.verification.code = ABANDONED_API_CODE;
        }
        built
    }

    /// The decision of `index`, planned for the direct JSON writer; `None` when another kind or
    /// JSON overrides need the typed path.
    fn fast_decision(&self, index: u64) -> Option<build::DecisionPlan> {
        if self.kind != Kind::Decision || self.has_json_overrides() {
            return None;
        }
        let status = self.effective_status();
        let (session, mut rng) = build::start(self.kind, status, self.seed, index, self.anchor_ms);
        let mut plan = build::plan_decision(session, status, &mut rng);
        if self.abandoned_api_code && plan.st == DecisionStatus::Abandoned {
            plan.code = ABANDONED_API_CODE;
        }
        Some(plan)
    }

    fn has_json_overrides(&self) -> bool {
        self.overrides
            .iter()
            .any(|o| o.status_for(self.kind).is_none())
    }

    fn overridden_value(&self, webhook: &Webhook, skip_failing: bool) -> Result<Value, GenError> {
        let mut value = webhook.to_value();
        for o in self
            .overrides
            .iter()
            .filter(|o| o.status_for(self.kind).is_none())
        {
            match o.apply(&mut value) {
                Ok(()) => {}
                Err(_) if skip_failing => {}
                Err(e) => return Err(e),
            }
        }
        self.reason_follows_code(&mut value);
        Ok(value)
    }

    /// A decision whose `reasonCode` was overridden (and not its `reason`) gets that code's
    /// published text, or `null` with a `null` code, so the two still agree.
    fn reason_follows_code(&self, value: &mut Value) {
        let set = |path: &str| self.overrides.iter().any(|o| o.path() == path);
        if self.kind != Kind::Decision
            || !set("verification.reasonCode")
            || set("verification.reason")
        {
            return;
        }
        let Some(verification) = value.get_mut("verification").and_then(Value::as_object_mut)
        else {
            return;
        };
        let text = match verification.get("reasonCode") {
            Some(Value::Null) => Some(Value::Null),
            Some(code) => code
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .and_then(veriff_mock_contract::reason_text)
                .map(|t| Value::String(t.to_owned())),
            None => None,
        };
        if let Some(text) = text {
            verification.insert("reason".to_owned(), text);
        }
    }

    fn plain_payload(&self, index: u64) -> Payload {
        let built = self.build(index);
        let mut body = Vec::with_capacity(2048);
        // The typed payloads serialize infallibly (string keys only).
        let _ = serialize_into(&built.webhook, &mut body);
        self.finish(index, &built.webhook, built.sent_ms, body)
    }

    fn make_payload(&self, index: u64, skip_failing: bool) -> Result<Payload, GenError> {
        if let Some(plan) = self.fast_decision(index) {
            let status = self.effective_status();
            let mut body = Vec::with_capacity(2048);
            fast::write_decision(&plan, &mut body);
            let s = plan.session;
            return Ok(Payload {
                kind: self.kind,
                status: status.to_owned(),
                seed: self.seed,
                index,
                session_id: s.session_id,
                attempt_id: s.attempt_id,
                vendor_data: s.vendor_data,
                sent_at: Utc
                    .timestamp_millis_opt(plan.sent_ms)
                    .single()
                    .unwrap_or_default(),
                body: Bytes::from(body),
            });
        }
        let built = self.build(index);
        if !self.has_json_overrides() {
            let mut body = Vec::with_capacity(2048);
            serialize_into(&built.webhook, &mut body)?;
            return Ok(self.finish(index, &built.webhook, built.sent_ms, body));
        }
        let value = self.overridden_value(&built.webhook, skip_failing)?;
        let body = serde_json::to_vec(&value).map_err(GenError::Serialize)?;
        // Describe what was actually produced, when it still parses as this kind.
        let described = Webhook::from_value(value)
            .ok()
            .filter(|w| w.kind() == Some(self.kind));
        Ok(self.finish(
            index,
            described.as_ref().unwrap_or(&built.webhook),
            built.sent_ms,
            body,
        ))
    }

    fn finish(&self, index: u64, webhook: &Webhook, sent_ms: i64, body: Vec<u8>) -> Payload {
        Payload {
            kind: self.kind,
            status: webhook
                .status()
                .unwrap_or_else(|| self.effective_status().to_owned()),
            seed: self.seed,
            index,
            session_id: webhook.session_id().unwrap_or_default().to_owned(),
            attempt_id: webhook.attempt_id().unwrap_or_default().to_owned(),
            vendor_data: webhook.vendor_data().map(str::to_owned),
            sent_at: Utc
                .timestamp_millis_opt(sent_ms)
                .single()
                .unwrap_or_default(),
            body: Bytes::from(body),
        }
    }
}

/// Serializes a typed payload compactly into `buf` (appending), in field order: the
/// serialize-only step of [`Generator::write_body`].
///
/// # Errors
/// [`GenError::Serialize`] if serde_json fails (it does not for payloads this crate builds).
pub fn serialize_into(webhook: &Webhook, buf: &mut Vec<u8>) -> Result<(), GenError> {
    let w = &mut *buf;
    match webhook {
        Webhook::Decision(p) => serde_json::to_writer(w, p),
        Webhook::Event(p) => serde_json::to_writer(w, p),
        Webhook::UserStatus(p) => serde_json::to_writer(w, p),
        Webhook::Watchlist(p) => serde_json::to_writer(w, p),
        Webhook::FullAuto(p) => serde_json::to_writer(w, p),
        Webhook::Ine(p) => serde_json::to_writer(w, p),
        Webhook::Curp(p) => serde_json::to_writer(w, p),
        Webhook::IneCurp(p) => serde_json::to_writer(w, p),
        Webhook::Unknown(u) => serde_json::to_writer(w, &u.body),
    }
    .map_err(GenError::Serialize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_resets_status_and_status_is_validated() {
        let g = Generator::from_seed(1).kind(Kind::Watchlist);
        assert_eq!(g.get_status(), "no_match");
        let err = g.clone().status("approved").unwrap_err().to_string();
        assert!(err.contains("no_match, possible_match"), "{err}");
        assert_eq!(
            g.status("possible_match").unwrap().get_status(),
            "possible_match"
        );
    }

    #[test]
    fn write_body_matches_payload() {
        let mut buf = Vec::new();
        for kind in Kind::ALL {
            let g = Generator::from_seed(5).kind(kind);
            g.write_body(3, &mut buf).unwrap();
            assert_eq!(buf, g.payload(3).body.to_vec(), "{kind}");
        }
    }

    #[test]
    fn the_fast_decision_writer_matches_serde() {
        let mut fast = Vec::new();
        for seed in 0..6u64 {
            for status in Kind::Decision.statuses() {
                let g = Generator::from_seed(seed).status(status).unwrap();
                for index in 0..200 {
                    g.write_body(index, &mut fast).unwrap();
                    let mut typed = Vec::new();
                    serialize_into(&g.webhook(index), &mut typed).unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(&fast),
                        String::from_utf8_lossy(&typed),
                        "seed {seed} status {status} index {index}"
                    );
                }
            }
        }
    }

    #[test]
    fn anchor_is_clamped() {
        let far = Utc
            .timestamp_millis_opt(ANCHOR_RANGE_MS.1 * 2)
            .single()
            .unwrap();
        let g = Generator::from_seed(1).anchor(far);
        assert!(g.get_anchor().timestamp_millis() <= ANCHOR_RANGE_MS.1);
        let p = g.payload(u64::MAX);
        assert!(Webhook::parse(&p.body).is_ok());
    }
}
