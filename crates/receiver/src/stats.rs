//! Counters (atomics on the hot path) and their plain-data snapshot.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use veriff_mock_contract::Kind;

/// A snapshot of the receiver's counters. Every request is counted once in `requests` and once in
/// exactly one of the outcome counters (`ok` … `too_large`); `by_kind` and `unknown_event_type`
/// count the requests whose body parsed as a webhook (whatever the answer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Every request received (including the ones dropped or refused).
    pub requests: u64,
    /// Answered 200.
    pub ok: u64,
    /// Answered 401: missing, malformed or wrong signature, or wrong API key.
    pub unauthorized: u64,
    /// Answered 400: not a Veriff payload.
    pub bad_request: u64,
    /// Answered with a scripted non-200 status (status sequence or fail rate).
    pub failed_on_purpose: u64,
    /// Closed without an answer, on purpose (drop rate).
    pub dropped: u64,
    /// Answered 405: not a POST.
    pub method_not_allowed: u64,
    /// Answered 413: body over the size limit.
    pub too_large: u64,
    /// Requests whose body could not be read (the client went away mid-body).
    pub body_errors: u64,
    /// Parsed webhooks by kind.
    pub by_kind: BTreeMap<Kind, u64>,
    /// Parsed webhooks of an event type this version does not know (accepted, as Veriff requires).
    pub unknown_event_type: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) ok: AtomicU64,
    pub(crate) unauthorized: AtomicU64,
    pub(crate) bad_request: AtomicU64,
    pub(crate) failed_on_purpose: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) method_not_allowed: AtomicU64,
    pub(crate) too_large: AtomicU64,
    pub(crate) body_errors: AtomicU64,
    by_kind: [AtomicU64; Kind::ALL.len()],
    unknown_event_type: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn count_kind(&self, kind: Option<Kind>) {
        match kind.and_then(|k| Kind::ALL.iter().position(|x| *x == k)) {
            Some(i) => Self::bump(&self.by_kind[i]),
            None => Self::bump(&self.unknown_event_type),
        }
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Relaxed),
            ok: self.ok.load(Relaxed),
            unauthorized: self.unauthorized.load(Relaxed),
            bad_request: self.bad_request.load(Relaxed),
            failed_on_purpose: self.failed_on_purpose.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            method_not_allowed: self.method_not_allowed.load(Relaxed),
            too_large: self.too_large.load(Relaxed),
            body_errors: self.body_errors.load(Relaxed),
            by_kind: Kind::ALL
                .iter()
                .zip(&self.by_kind)
                .map(|(k, c)| (*k, c.load(Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            unknown_event_type: self.unknown_event_type.load(Relaxed),
        }
    }
}
