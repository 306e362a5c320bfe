//! Mexican registry webhooks (legacy solutions): INE, CURP and combined INE+CURP.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Extra;
use crate::Nullable;

/// INE (Mexican electoral registry) webhook, `eventType: "ine_registry"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ine {
    /// `ine_registry`.
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
    /// `1.0.0`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub version: Nullable<String>,
    /// When the webhook was sent.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub time: Nullable<String>,
    /// The registry's answer.
    pub data: IneData,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// INE `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IneData {
    /// Registry status text, in Spanish.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub status: Nullable<String>,
    /// Registry answer code.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub code: Nullable<u16>,
    /// Details.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub details: Nullable<IneDetails>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// INE `data.details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IneDetails {
    /// Whether the credential is active in the registry.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub active: Nullable<bool>,
    /// Human-readable state, in Spanish.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub document_state: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// CURP (Mexican population registry) webhook. Note `type`, not `eventType`: `curp_registry`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Curp {
    /// `curp_registry`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Session id.
    pub id: String,
    /// The integrator's own id.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub vendor_data: Nullable<String>,
    /// The integrator's end-user UUID.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub end_user_id: Nullable<String>,
    /// `1.0.0`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub version: Nullable<String>,
    /// The registry's answer.
    pub data: CurpData,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// CURP `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurpData {
    /// Attempt id.
    pub attempt_id: String,
    /// `curp_registry`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub name: Nullable<String>,
    /// `found` or `not_found`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub status: Nullable<String>,
    /// Registry answer code.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub code: Nullable<u16>,
    /// Details.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub details: Nullable<CurpDetails>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// CURP `data.details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurpDetails {
    /// Registry state code (`AN`, `AH`, `RCN`, `BD`, …).
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub status_curp: Nullable<String>,
    /// The 18-character CURP.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub curp: Nullable<String>,
    /// The state's description, in Spanish.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub description: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Combined INE+CURP webhook, `eventType: "combined-ine-curp-registry"`. Its body is only partly
/// published, so `data` is kept as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IneCurp {
    /// `combined-ine-curp-registry`.
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
    /// `1.0.0`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub version: Nullable<String>,
    /// When the webhook was sent.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub time: Nullable<String>,
    /// Both registries' answers.
    pub data: Value,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
