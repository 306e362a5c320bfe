//! What the receiver remembers and reports about each request.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use veriff_mock_contract::Kind;

/// One request as the receiver saw it: kept in a bounded ring (see
/// [`RunningReceiver::records`](crate::RunningReceiver::records)) and sent to subscribers
/// (see [`RunningReceiver::subscribe`](crate::RunningReceiver::subscribe)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// Arrival number, from 0, in the order requests reached the receiver.
    pub seq: u64,
    /// When the request's body had been read.
    pub at: SystemTime,
    /// The request path (Veriff sends each kind to its own URL).
    pub path: String,
    /// Body length in bytes (as far as it was read).
    pub body_len: usize,
    /// The outcome of the signature check.
    pub signature: SignatureCheck,
    /// The kind, when the body parsed as a known webhook kind.
    pub kind: Option<Kind>,
    /// The webhook's status label (`approved`, `submitted`, … see
    /// [`Kind::statuses`]), or the event type of an unknown one.
    pub status: Option<String>,
    /// The session id, when the body parsed.
    pub session_id: Option<String>,
    /// Which attempt at this exact payload this was (from 1), when a status sequence is set.
    pub attempt: Option<u32>,
    /// What the receiver did.
    pub answer: Answer,
    /// Why the request was refused or failed, in words (also the answer body's `error`).
    pub detail: Option<String>,
    /// How long the receiver held the request before answering (the scripted delay included).
    pub elapsed: Duration,
}

/// What the receiver did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Answer {
    /// 200: a signed Veriff payload (of a known kind, or an unknown event type).
    Ok,
    /// 401: missing, malformed or wrong signature, or wrong API key.
    Unauthorized,
    /// 400: not a Veriff payload.
    BadRequest,
    /// A scripted status from the status sequence or the fail rate.
    Scripted(u16),
    /// Closed the connection without answering (drop rate).
    Dropped,
    /// 405: not a POST.
    MethodNotAllowed,
    /// 413: body over the size limit.
    PayloadTooLarge,
    /// The body could not be read (the client went away); nothing was answered.
    BodyError,
}

impl Answer {
    /// The HTTP status answered, or `None` when the connection was closed without an answer.
    #[must_use]
    pub fn http_status(self) -> Option<u16> {
        Some(match self {
            Answer::Ok => 200,
            Answer::Unauthorized => 401,
            Answer::BadRequest => 400,
            Answer::Scripted(status) => status,
            Answer::MethodNotAllowed => 405,
            Answer::PayloadTooLarge => 413,
            Answer::Dropped | Answer::BodyError => return None,
        })
    }

    /// A short label: `ok`, `unauthorized`, `bad-request`, `scripted`, `dropped`, …
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Answer::Ok => "ok",
            Answer::Unauthorized => "unauthorized",
            Answer::BadRequest => "bad-request",
            Answer::Scripted(_) => "scripted",
            Answer::Dropped => "dropped",
            Answer::MethodNotAllowed => "method-not-allowed",
            Answer::PayloadTooLarge => "too-large",
            Answer::BodyError => "body-error",
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.http_status() {
            Some(status) => write!(f, "{status} {}", self.label()),
            None => f.write_str(self.label()),
        }
    }
}

/// The outcome of the signature check on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureCheck {
    /// The signature matched the body.
    Valid,
    /// No `X-HMAC-SIGNATURE` / `vrf-hmac-signature` header, or an empty one.
    Missing,
    /// Not 64 hex characters.
    Malformed,
    /// Well-formed, but not the HMAC of these bytes with the configured secret.
    Mismatch,
    /// Not checked: the receiver runs without a secret, or the request was refused or dropped
    /// before the check.
    NotChecked,
}

impl SignatureCheck {
    /// True for [`SignatureCheck::Valid`].
    #[must_use]
    pub fn is_valid(self) -> bool {
        self == SignatureCheck::Valid
    }

    /// A short label: `valid`, `missing`, `malformed`, `mismatch`, `not-checked`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            SignatureCheck::Valid => "valid",
            SignatureCheck::Missing => "missing",
            SignatureCheck::Malformed => "malformed",
            SignatureCheck::Mismatch => "mismatch",
            SignatureCheck::NotChecked => "not-checked",
        }
    }
}

impl fmt::Display for SignatureCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl fmt::Display for RequestRecord {
    /// One line per request: `#12 /decision 200 ok decision approved session=… sig=valid 1.2ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {} {}", self.seq, self.path, self.answer)?;
        if let Some(kind) = self.kind {
            write!(f, " {kind}")?;
        } else if self.status.is_some() {
            f.write_str(" unknown-event-type")?;
        }
        if let Some(status) = &self.status {
            write!(f, " {status}")?;
        }
        if let Some(session) = &self.session_id {
            write!(f, " session={session}")?;
        }
        if let Some(attempt) = self.attempt {
            write!(f, " attempt={attempt}")?;
        }
        write!(f, " sig={}", self.signature)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        write!(f, " {:.1?}", self.elapsed)
    }
}

/// The last `capacity` records, oldest first.
#[derive(Debug)]
pub(crate) struct Ring {
    capacity: usize,
    records: Mutex<VecDeque<RequestRecord>>,
}

impl Ring {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            records: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    pub(crate) fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RequestRecord>> {
        // A poisoned lock only means a panic elsewhere mid-push; the ring stays consistent.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn push(&self, record: RequestRecord) {
        if self.capacity == 0 {
            return;
        }
        let mut records = self.lock();
        if records.len() >= self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}
