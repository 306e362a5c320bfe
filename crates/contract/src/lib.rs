//! Veriff's identity-verification webhook contract, as Rust types.
//!
//! - [`Webhook::parse`] reads any webhook body, telling its kind by shape, following Veriff's
//!   compatibility rules: unknown fields are kept and survive a round trip, an unknown event type
//!   parses as [`Webhook::Unknown`] instead of failing, and `null` is accepted where Veriff sends it.
//! - [`sign`] / [`verify`] implement `X-HMAC-SIGNATURE`: HMAC-SHA256 over the exact body bytes,
//!   keyed with the integration's [`SharedSecret`], compared in constant time.
//! - [`codes`] holds the status and reason code tables; [`headers`] the header names.
//!
//! No I/O and no randomness: the generator, sender and receiver build on this crate.
//!
//! ```
//! use veriff_mock_contract::{sign_hex, verify, Kind, SharedSecret, Webhook};
//!
//! let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345")?;
//! let body = br#"{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7002,"action":"submitted","vendorData":"12345678","endUserId":null}"#;
//! let signature = sign_hex(&secret, body);
//! verify(&secret, body, Some(&signature))?;
//!
//! let webhook = Webhook::parse(body)?;
//! assert_eq!(webhook.kind(), Some(Kind::Event));
//! assert_eq!(webhook.status().as_deref(), Some("submitted"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod codes;
pub mod headers;
mod kind;
mod nullable;
pub mod payload;
mod signature;
mod webhook;

pub use codes::{
    ABANDONED_API_CODE, CheckType, DecisionStatus, EventAction, FullAutoDecision, MatchStatus,
    Reason, reason_text,
};
pub use kind::{Kind, UnknownValue};
pub use nullable::Nullable;
pub use signature::{
    MismatchHint, SIGNATURE_HEX_LEN, SecretError, SharedSecret, Signature, VerifyError,
    escape_non_ascii, explain_mismatch, legacy_x_signature, sign, sign_hex, verify,
    verify_legacy_x_signature,
};
pub use webhook::{Detected, ParseError, UnknownWebhook, Webhook, detect, event_type};
