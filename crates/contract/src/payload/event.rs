use serde::{Deserialize, Serialize};

use super::Extra;
use crate::{EventAction, Nullable};

/// The event webhook: the end-user `started` (7001) or `submitted` (7002) the flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Session id.
    pub id: String,
    /// Attempt id.
    pub attempt_id: String,
    /// Always `"selfid"`.
    pub feature: String,
    /// 7001 or 7002.
    pub code: u16,
    /// `started` or `submitted`.
    pub action: EventAction,
    /// The integrator's own id.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub vendor_data: Nullable<String>,
    /// The integrator's end-user UUID.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub end_user_id: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
