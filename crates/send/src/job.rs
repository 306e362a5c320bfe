//! What the engine delivers: [`Job`]s in, signed [`Payload`]s inside.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http::header::{HeaderName, HeaderValue};
use tokio::sync::mpsc;
use veriff_mock_contract::{Kind, SharedSecret, headers, legacy_x_signature, sign};

/// A delivery id: unique within a store, assigned by the engine, shown to people (`resend 42`).
pub type DeliveryId = u64;

/// One payload to deliver: the exact body bytes, where to send them, and a few labels for the
/// record. Routing by kind is the caller's job: put the kind's URL on the job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Webhook kind (a label for the record).
    pub kind: Kind,
    /// Target URL (`http` or `https`).
    pub url: Uri,
    /// The exact body; signed once and never re-serialized.
    pub body: Bytes,
    /// Status label for the record (`approved`, `submitted`, …).
    pub status: Option<String>,
    /// Session id for the record.
    pub session_id: Option<String>,
    /// vendorData for the record.
    pub vendor_data: Option<String>,
    /// Earliest send time, as an offset from run start (scenario gaps); divided by the time scale.
    pub not_before: Option<Duration>,
    /// Send a corrupted signature: a non-2xx answer is then the expected rejection.
    pub tamper: bool,
    /// The job's position in the caller's job stream, stored so an interrupted run can be
    /// completed: a caller that regenerates its stream skips the positions already stored.
    pub source_index: Option<u64>,
}

impl Job {
    /// A job with no labels, due at once, correctly signed.
    #[must_use]
    pub fn new(kind: Kind, url: Uri, body: impl Into<Bytes>) -> Self {
        Self {
            kind,
            url,
            body: body.into(),
            status: None,
            session_id: None,
            vendor_data: None,
            not_before: None,
            tamper: false,
            source_index: None,
        }
    }

    /// Records the job's position in the caller's stream (see [`Job::source_index`]).
    #[must_use]
    pub fn source_index(mut self, index: u64) -> Self {
        self.source_index = Some(index);
        self
    }

    /// Sets the status label.
    #[must_use]
    pub fn status(mut self, status: impl Into<String>) -> Self {
        self.status = Some(status.into());
        self
    }

    /// Sets the session id label.
    #[must_use]
    pub fn session_id(mut self, id: impl Into<String>) -> Self {
        self.session_id = Some(id.into());
        self
    }

    /// Sets the vendorData label.
    #[must_use]
    pub fn vendor_data(mut self, v: impl Into<String>) -> Self {
        self.vendor_data = Some(v.into());
        self
    }

    /// Holds the job until `offset` after run start (scaled by the time scale).
    #[must_use]
    pub fn not_before(mut self, offset: Duration) -> Self {
        self.not_before = Some(offset);
        self
    }

    /// Marks the job as tampered: its signature is corrupted on purpose.
    #[must_use]
    pub fn tampered(mut self, yes: bool) -> Self {
        self.tamper = yes;
        self
    }
}

/// Parses and checks a target URL: `http` or `https`, with a host.
///
/// # Errors
/// [`UrlError`] saying what is wrong.
pub fn parse_url(url: &str) -> Result<Uri, UrlError> {
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|e: http::uri::InvalidUri| UrlError {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(UrlError {
                url: url.to_owned(),
                reason: "the scheme must be http or https".into(),
            });
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(UrlError {
            url: url.to_owned(),
            reason: "no host".into(),
        });
    }
    // `http` accepts a port it cannot read as a number, and a client would then use the scheme's.
    let authority = uri.authority().map_or("", http::uri::Authority::as_str);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let after_host = host_port
        .rfind(']')
        .map_or(host_port, |i| &host_port[i + 1..]);
    let port = after_host.rsplit_once(':').map(|(_, p)| p);
    if port.is_some_and(|p| !p.is_empty() && !p.parse::<u16>().is_ok_and(|p| p > 0)) {
        return Err(UrlError {
            url: url.to_owned(),
            reason: "the port must be a number from 1 to 65535".into(),
        });
    }
    Ok(uri)
}

/// A target URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad target URL {url:?}: {reason}")]
pub struct UrlError {
    /// The URL as given.
    pub url: String,
    /// What is wrong.
    pub reason: String,
}

/// Signs job bodies once, the way Veriff does. Holds the secret; nothing it produces contains it.
#[derive(Debug, Clone)]
pub struct Signer {
    secret: SharedSecret,
    api_key: HeaderValue,
    vrf_headers: bool,
    integration_id: Option<HeaderValue>,
    legacy_signature: bool,
}

/// A header value was refused while building a [`Signer`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {what} is not a valid HTTP header value (control characters or non-visible bytes)")]
pub struct HeaderError {
    /// Which value.
    pub what: &'static str,
}

impl Signer {
    /// A signer sending `X-AUTH-CLIENT: api_key` and `X-HMAC-SIGNATURE`.
    ///
    /// # Errors
    /// [`HeaderError`] when the API key cannot be a header value.
    pub fn new(secret: SharedSecret, api_key: &str) -> Result<Self, HeaderError> {
        Ok(Self {
            secret,
            api_key: HeaderValue::from_str(api_key).map_err(|_| HeaderError { what: "API key" })?,
            vrf_headers: false,
            integration_id: None,
            legacy_signature: false,
        })
    }

    /// Also send `vrf-hmac-signature`, `vrf-auth-client` and, if set, `vrf-integration-id`.
    #[must_use]
    pub fn vrf_headers(mut self, yes: bool) -> Self {
        self.vrf_headers = yes;
        self
    }

    /// The integration id sent in `vrf-integration-id` (with [`Signer::vrf_headers`]).
    ///
    /// # Errors
    /// [`HeaderError`] when it cannot be a header value.
    pub fn integration_id(mut self, id: &str) -> Result<Self, HeaderError> {
        self.integration_id = Some(HeaderValue::from_str(id).map_err(|_| HeaderError {
            what: "integration id",
        })?);
        Ok(self)
    }

    /// Also send the legacy `X-SIGNATURE` (plain SHA-256 of body ++ secret).
    #[must_use]
    pub fn legacy_signature(mut self, yes: bool) -> Self {
        self.legacy_signature = yes;
        self
    }

    /// The request headers for `body`; with `tamper`, the signatures are corrupted (one hex
    /// digit changed), so a correct receiver must refuse them.
    #[must_use]
    pub fn headers(&self, body: &[u8], tamper: bool) -> Vec<(HeaderName, HeaderValue)> {
        let mut buf = [0u8; veriff_mock_contract::SIGNATURE_HEX_LEN];
        let sig = sign(&self.secret, body);
        sig.encode_hex(&mut buf);
        if tamper {
            buf[0] = if buf[0] == b'0' { b'1' } else { b'0' };
        }
        let sig = HeaderValue::from_bytes(&buf).unwrap_or_else(|_| HeaderValue::from_static(""));
        let mut h = Vec::with_capacity(7);
        h.push((
            HeaderName::from_static(headers::CONTENT_TYPE),
            HeaderValue::from_static(headers::APPLICATION_JSON),
        ));
        h.push((
            HeaderName::from_static(headers::X_AUTH_CLIENT),
            self.api_key.clone(),
        ));
        h.push((
            HeaderName::from_static(headers::X_HMAC_SIGNATURE),
            sig.clone(),
        ));
        if self.vrf_headers {
            h.push((HeaderName::from_static(headers::VRF_HMAC_SIGNATURE), sig));
            h.push((
                HeaderName::from_static(headers::VRF_AUTH_CLIENT),
                self.api_key.clone(),
            ));
            if let Some(id) = &self.integration_id {
                h.push((
                    HeaderName::from_static(headers::VRF_INTEGRATION_ID),
                    id.clone(),
                ));
            }
        }
        if self.legacy_signature {
            let mut legacy = legacy_x_signature(&self.secret, body).into_bytes();
            if tamper && let Some(first) = legacy.first_mut() {
                *first = if *first == b'0' { b'1' } else { b'0' };
            }
            if let Ok(v) = HeaderValue::from_bytes(&legacy) {
                h.push((HeaderName::from_static(headers::X_SIGNATURE), v));
            }
        }
        h
    }
}

/// A signed payload as the engine keeps it: exactly the bytes and headers that go on the wire.
#[derive(Debug, Clone)]
pub struct Payload {
    /// Delivery id.
    pub id: DeliveryId,
    /// Kind name (`decision`, …).
    pub kind: String,
    /// Target URL.
    pub url: Uri,
    /// Exact body.
    pub body: Bytes,
    /// Signed request headers (no secret in them).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Whether the signature was corrupted on purpose.
    pub tampered: bool,
}

/// Serializes request or response headers for the store: one `name: value` per line.
#[must_use]
pub fn headers_to_text<'a>(
    headers: impl IntoIterator<Item = (&'a HeaderName, &'a HeaderValue)>,
) -> String {
    let headers = headers.into_iter();
    // Most headers are short: one allocation for the common case.
    let mut s = String::with_capacity(headers.size_hint().0 * 64);
    for (n, v) in headers {
        s.push_str(n.as_str());
        s.push_str(": ");
        s.push_str(&String::from_utf8_lossy(v.as_bytes()));
        s.push('\n');
    }
    s
}

/// Parses [`headers_to_text`] back; lines that are not valid headers are skipped.
#[must_use]
pub fn headers_from_text(text: &str) -> Vec<(HeaderName, HeaderValue)> {
    text.lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(": ")?;
            Some((
                HeaderName::from_bytes(n.as_bytes()).ok()?,
                HeaderValue::from_str(v).ok()?,
            ))
        })
        .collect()
}

/// Where the engine takes new jobs from, with the signer that signs them. Jobs are pulled lazily
/// (a bounded number at a time), so a million jobs never sit in memory at once.
pub struct JobSource {
    pub(crate) signer: Option<Arc<Signer>>,
    pub(crate) inner: SourceInner,
}

pub(crate) enum SourceInner {
    None,
    Iter(Box<dyn Iterator<Item = Job> + Send>),
    Channel(mpsc::Receiver<Job>),
}

impl std::fmt::Debug for JobSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.inner {
            SourceInner::None => "none",
            SourceInner::Iter(_) => "iterator",
            SourceInner::Channel(_) => "channel",
        };
        f.debug_struct("JobSource").field("source", &what).finish()
    }
}

impl JobSource {
    /// No new jobs (resume or resend only).
    #[must_use]
    pub fn none() -> Self {
        Self {
            signer: None,
            inner: SourceInner::None,
        }
    }

    /// Jobs from an iterator, pulled lazily on the engine's scheduler task.
    #[must_use]
    pub fn from_iter<I>(signer: Signer, jobs: I) -> Self
    where
        I: IntoIterator<Item = Job>,
        I::IntoIter: Send + 'static,
    {
        Self {
            signer: Some(Arc::new(signer)),
            inner: SourceInner::Iter(Box::new(jobs.into_iter())),
        }
    }

    /// Jobs from a bounded channel; the run's input ends when every sender is dropped.
    #[must_use]
    pub fn from_channel(signer: Signer, jobs: mpsc::Receiver<Job>) -> Self {
        Self {
            signer: Some(Arc::new(signer)),
            inner: SourceInner::Channel(jobs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use veriff_mock_contract::verify;

    #[test]
    fn signer_headers_verify_and_tamper_does_not() {
        let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345").unwrap();
        let s = Signer::new(secret.clone(), "key-1")
            .unwrap()
            .vrf_headers(true)
            .integration_id("int-9")
            .unwrap()
            .legacy_signature(true);
        let body = br#"{"a":1}"#;
        let h = s.headers(body, false);
        let get = |h: &[(HeaderName, HeaderValue)], n: &str| {
            h.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.to_str().unwrap().to_owned())
        };
        assert_eq!(get(&h, "content-type").as_deref(), Some("application/json"));
        assert_eq!(get(&h, "x-auth-client").as_deref(), Some("key-1"));
        assert_eq!(get(&h, "vrf-auth-client").as_deref(), Some("key-1"));
        assert_eq!(get(&h, "vrf-integration-id").as_deref(), Some("int-9"));
        let sig = get(&h, "x-hmac-signature").unwrap();
        verify(&secret, body, Some(&sig)).unwrap();
        assert_eq!(get(&h, "vrf-hmac-signature"), Some(sig));
        assert_eq!(
            get(&h, "x-signature").unwrap(),
            legacy_x_signature(&secret, body)
        );
        let t = s.headers(body, true);
        assert!(verify(&secret, body, get(&t, "x-hmac-signature").as_deref()).is_err());
        // The secret appears nowhere.
        let text = headers_to_text(h.iter().map(|(a, b)| (a, b)));
        assert!(!text.contains("abcdef12-abcd"));
        assert_eq!(headers_from_text(&text), h);
    }

    #[test]
    fn urls_are_checked() {
        assert!(parse_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(parse_url("https://example.test/").is_ok());
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("/path").is_err());
        assert!(parse_url("not a url").is_err());
        assert!(parse_url("http://127.0.0.1:65535/").is_ok());
        assert!(parse_url("http://[::1]:8080/").is_ok());
        for port in ["99999", "0", "65536", "8o"] {
            for host in ["127.0.0.1", "[::1]", "user@example.test"] {
                let err = parse_url(&format!("http://{host}:{port}/")).unwrap_err();
                assert!(err.reason.contains("port"), "{port}: {err}");
            }
        }
    }
}
