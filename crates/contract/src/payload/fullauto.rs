use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

use super::Extra;
use crate::{FullAutoDecision, Nullable};

/// The Full Auto webhook (`eventType: "fullauto"`): an automated decision with per-field confidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FullAuto {
    /// Always `"success"`.
    pub status: String,
    /// `fullauto`.
    pub event_type: String,
    /// Session id.
    pub session_id: String,
    /// Attempt id.
    pub attempt_id: String,
    /// The integrator's own id.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub vendor_data: Nullable<String>,
    /// The integrator's end-user UUID.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub end_user_id: Nullable<String>,
    /// Payload version, `1.0.0`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub version: Nullable<String>,
    /// When the end-user submitted.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub acceptance_time: Nullable<String>,
    /// When the webhook was sent.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub time: Nullable<String>,
    /// The decision.
    pub data: FullAutoData,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullAutoData {
    /// `data.verification`.
    pub verification: FullAutoVerification,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `data.verification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FullAutoVerification {
    /// The automated decision.
    pub decision: FullAutoDecision,
    /// Confidence in the decision, 0 … 1.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub decision_score: Nullable<Number>,
    /// Extracted person fields: name → [`ExtractedField`] or `null`; `null` when none.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub person: Nullable<Extra>,
    /// Extracted document fields: name → [`ExtractedField`] or `null`; `null` when none.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub document: Nullable<Extra>,
    /// Insights behind the decision.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub insights: Nullable<Vec<Insight>>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One extracted field of Full Auto's `person` or `document`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractedField {
    /// `high`, `medium`, `low` or `null`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub confidence_category: Nullable<String>,
    /// The value read.
    #[serde(default)]
    pub value: Value,
    /// Where it was read: `VIZ`, `MRZ`, `NFC`, `BARCODE`.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One of `insights`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insight {
    /// What was checked.
    pub label: String,
    /// `yes`, `likelyYes`, `no`, `notApplicable`.
    pub result: String,
    /// e.g. `document`, `face`, `crosslinks`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub category: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
