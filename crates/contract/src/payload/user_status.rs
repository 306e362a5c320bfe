use serde::{Deserialize, Serialize};

use super::Extra;
use crate::Nullable;

/// The user-defined status webhook (`eventType: "user-status.created"`): a person added a custom
/// status to an attempt in Veriff's portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserStatus {
    /// The status and its reason.
    pub data: UserStatusData,
    /// When the webhook was sent.
    pub time: String,
    /// Attempt id.
    pub attempt_id: String,
    /// `user-status.created`.
    pub event_type: String,
    /// Session id.
    pub session_id: String,
    /// The integrator's own id, or `null`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub vendor_data: Nullable<String>,
    /// The integrator's end-user UUID, or `null`.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub end_user_id: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserStatusData {
    /// `data.verification`.
    pub verification: UserStatusVerification,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `data.verification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserStatusVerification {
    /// The id of the user-defined status record.
    pub id: String,
    /// The status.
    pub user_defined_data: UserDefinedData,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `data.verification.userDefinedData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDefinedData {
    /// The reason's name, or the free text of a "Custom" reason.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub reason: Nullable<String>,
    /// The custom status's display name.
    pub status: String,
    /// When the status was added (microseconds).
    pub created_at: String,
    /// snake_case code of the reason; `null` when the reason is free text.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub reason_code: Nullable<String>,
    /// snake_case code of `status`.
    pub status_code: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
