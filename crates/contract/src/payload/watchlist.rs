use serde::{Deserialize, Serialize};

use super::Extra;
use crate::{CheckType, MatchStatus, Nullable};

/// The watchlist-screening webhook (PEP, sanctions, adverse media, ongoing monitoring).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Watchlist {
    /// `initial_result` or `updated_result` (ongoing monitoring).
    pub check_type: CheckType,
    /// Attempt id.
    pub attempt_id: String,
    /// Session id.
    pub session_id: String,
    /// The integrator's own id.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub vendor_data: Nullable<String>,
    /// The integrator's end-user UUID.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub end_user_id: Nullable<String>,
    /// `possible_match` (with hits) or `no_match` (no hits).
    pub match_status: MatchStatus,
    /// What was searched.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub search_term: Nullable<SearchTerm>,
    /// Total number of hits (may exceed the hits listed).
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub total_hits: Nullable<u32>,
    /// When the screening ran.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub created_at: Nullable<String>,
    /// The hits.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub hits: Nullable<Vec<Hit>>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `searchTerm`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchTerm {
    /// Full name searched.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub name: Nullable<String>,
    /// Year of birth searched, as a string.
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub year: Nullable<String>,
    /// Unknown fields (enhanced screening adds lists, countries, exactMatch, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// One of `hits`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Hit {
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub matched_name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub countries: Nullable<Vec<String>>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub date_of_birth: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub date_of_death: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub match_types: Nullable<Vec<String>>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub aka: Nullable<Vec<String>>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub associates: Nullable<Vec<String>>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub listings_related_to_match: Nullable<Listings>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `listingsRelatedToMatch`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Listings {
    #[serde(default)]
    pub warnings: Vec<Listing>,
    #[serde(default)]
    pub sanctions: Vec<Listing>,
    #[serde(default)]
    pub fitness_probity: Vec<Listing>,
    #[serde(default)]
    pub pep: Vec<Listing>,
    #[serde(default)]
    pub adverse_media: Vec<Listing>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One listing of a hit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct Listing {
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub source_name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub source_url: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_missing")]
    pub date: Nullable<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
