//! Typed payloads, one module per webhook kind.
//!
//! Every struct keeps the fields it does not know in `extra` (in their original order), so a
//! payload with properties Veriff adds later parses and re-serializes unchanged. Fields Veriff may
//! omit or send as `null` are [`Nullable`](crate::Nullable); fields that identify the payload
//! (ids, status, code, event type) are required and their absence is a parse error.

mod decision;
mod event;
mod fullauto;
mod registry;
mod user_status;
mod watchlist;

pub use decision::{
    AdditionalVerifiedData, Address, BiometricAuthentication, Decision, DecisionVerification,
    Document, FraudAssessment, ParsedAddress, Person, ProofOfAddress, RiskLabel, TechnicalData,
};
pub use event::Event;
pub use fullauto::{ExtractedField, FullAuto, FullAutoData, FullAutoVerification, Insight};
pub use registry::{Curp, CurpData, CurpDetails, Ine, IneCurp, IneData, IneDetails};
pub use user_status::{UserDefinedData, UserStatus, UserStatusData, UserStatusVerification};
pub use watchlist::{Hit, Listing, Listings, SearchTerm, Watchlist};

/// Fields this version does not know, kept in their original order.
pub type Extra = serde_json::Map<String, serde_json::Value>;
