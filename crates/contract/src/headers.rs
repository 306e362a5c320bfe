//! Header names Veriff uses on webhook requests, lower-case as HTTP/2 and `http::HeaderName` want them.
//!
//! HTTP header names are case-insensitive; Veriff's docs write them upper-case (`X-HMAC-SIGNATURE`).

/// The integration's API key (public), sent on every webhook.
pub const X_AUTH_CLIENT: &str = "x-auth-client";
/// Lower-case hex HMAC-SHA256 of the exact body bytes, keyed with the shared secret key.
pub const X_HMAC_SIGNATURE: &str = "x-hmac-signature";
/// Newer name of [`X_HMAC_SIGNATURE`]; same value. Opt-in on webhooks.
pub const VRF_HMAC_SIGNATURE: &str = "vrf-hmac-signature";
/// Newer name of [`X_AUTH_CLIENT`]; same value. Opt-in on webhooks.
pub const VRF_AUTH_CLIENT: &str = "vrf-auth-client";
/// The integration's id. Opt-in on webhooks.
pub const VRF_INTEGRATION_ID: &str = "vrf-integration-id";
/// Legacy signature: hex SHA-256 of `body ++ secret` (a plain hash, not an HMAC). Opt-in only.
pub const X_SIGNATURE: &str = "x-signature";
/// `Content-Type` header name.
pub const CONTENT_TYPE: &str = "content-type";
/// The only content type Veriff sends.
pub const APPLICATION_JSON: &str = "application/json";
