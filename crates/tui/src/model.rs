//! The plain-data input model: what the UI is told, independent of the delivery engine's types.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use veriff_mock_contract::Kind;

/// A delivery's identifier, as the store numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryId(pub u64);

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Waiting for its first attempt.
    Queued,
    /// An attempt is on the wire.
    InFlight,
    /// The last attempt failed; another is scheduled.
    Retrying,
    /// The receiver answered 200.
    Delivered,
    /// The retry policy gave up.
    Exhausted,
    /// The receiver rejected it, as the scenario meant it to (a deliberately bad signature, say).
    ExpectedRejection,
    /// The receiver accepted what it should have refused (a tampered signature): a receiver bug.
    Unexpected,
}

impl Phase {
    /// Short lower-case name, as shown in the table.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::InFlight => "in flight",
            Phase::Retrying => "retrying",
            Phase::Delivered => "delivered",
            Phase::Exhausted => "exhausted",
            Phase::ExpectedRejection => "rejected as expected",
            Phase::Unexpected => "accepted a tampered payload",
        }
    }

    /// True once nothing more will happen to it without a manual resend.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Phase::Delivered | Phase::Exhausted | Phase::ExpectedRejection | Phase::Unexpected
        )
    }
}

/// How one attempt ended: an HTTP status, or a transport error (which is data, not a failure of the run).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttemptOutcome {
    /// The receiver answered with this HTTP status.
    Status(u16),
    /// No HTTP answer: the error kind, e.g. `timeout`, `connect`, `reset`.
    Error(String),
}

impl AttemptOutcome {
    /// True for the only answer Veriff counts as delivered: HTTP 200.
    #[must_use]
    pub fn is_success(&self) -> bool {
        matches!(self, AttemptOutcome::Status(200))
    }

    /// The HTTP status, when there was one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            AttemptOutcome::Status(s) => Some(*s),
            AttemptOutcome::Error(_) => None,
        }
    }

    /// The transport error kind, when there was one.
    #[must_use]
    pub fn error_kind(&self) -> Option<&str> {
        match self {
            AttemptOutcome::Status(_) => None,
            AttemptOutcome::Error(kind) => Some(kind),
        }
    }

    /// At most seven characters, for narrow columns: the status, or a readable short name of the
    /// error kind (`refused` for `connect_refused`, `closed` for `connection_closed`, …). An
    /// unknown kind longer than that ends in `…`.
    #[must_use]
    pub fn short(&self) -> String {
        let kind = match self {
            AttemptOutcome::Status(s) => return s.to_string(),
            AttemptOutcome::Error(kind) => kind.as_str(),
        };
        let short = match kind {
            "connect_refused" => "refused",
            "connect_timeout" => "conn-to",
            "connection_closed" => "closed",
            "protocol" => "proto",
            "redirect" => "redir",
            "http_status" => "status",
            "cancelled" => "cancel",
            other if other.chars().count() <= 7 => other,
            other => {
                let mut s: String = other.chars().take(6).collect();
                s.push('…');
                return s;
            }
        };
        short.to_owned()
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptOutcome::Status(s) => write!(f, "{s}"),
            AttemptOutcome::Error(kind) => f.write_str(kind),
        }
    }
}

/// One line of the deliveries table: everything the table shows, nothing it does not (no bodies).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    /// Store id.
    pub id: DeliveryId,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// Webhook kind.
    pub kind: Kind,
    /// The payload's status or decision (`approved`, `submitted`, …).
    pub status: String,
    /// The verification session id.
    pub session_id: String,
    /// The payload's `vendorData`, when it has one.
    pub vendor_data: Option<String>,
    /// Current phase.
    pub phase: Phase,
    /// Attempts made so far.
    pub attempts: u32,
    /// How the last attempt ended.
    pub last_outcome: Option<AttemptOutcome>,
    /// Latency of the last attempt.
    pub last_latency: Option<Duration>,
    /// When the next retry is due (real time), while retrying.
    pub next_retry_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    /// A freshly queued row with no attempts.
    #[must_use]
    pub fn queued(
        id: DeliveryId,
        queued_at: DateTime<Utc>,
        kind: Kind,
        status: impl Into<String>,
        session_id: impl Into<String>,
        vendor_data: Option<String>,
    ) -> Self {
        Self {
            id,
            queued_at,
            kind,
            status: status.into(),
            session_id: session_id.into(),
            vendor_data,
            phase: Phase::Queued,
            attempts: 0,
            last_outcome: None,
            last_latency: None,
            next_retry_at: None,
        }
    }

    /// True when it is exhausted, waiting for a retry after a failed attempt, or was accepted
    /// when it should have been refused.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        matches!(
            self.phase,
            Phase::Exhausted | Phase::Retrying | Phase::Unexpected
        )
    }
}

/// One attempt, as the detail pane shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptDetail {
    /// 1-based attempt number.
    pub number: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How it ended; `None` while on the wire.
    pub outcome: Option<AttemptOutcome>,
    /// Time to the response (or to the error).
    pub latency: Option<Duration>,
    /// What the transport error said (`Connection refused (os error 111)`), when there was one.
    pub error_detail: Option<String>,
    /// True when a person asked for it (`r`, `R`, `veriff-mock resend`).
    pub manual: bool,
    /// Response headers, in order.
    pub response_headers: Vec<(String, String)>,
    /// The start of the response body, as stored.
    pub response_body: Vec<u8>,
}

/// Everything about one delivery, read on demand from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryDetail {
    /// The table row.
    pub row: DeliveryRow,
    /// Target URL.
    pub url: String,
    /// Request headers as sent (API key and signature; the shared secret is never a header).
    pub request_headers: Vec<(String, String)>,
    /// The exact signed body bytes.
    pub request_body: Vec<u8>,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptDetail>,
}

/// What the UI is told about a delivery run. Plain data; the engine's events map onto it.
#[derive(Debug, Clone, PartialEq)]
pub enum TuiEvent {
    /// A new delivery (its row, before any attempt).
    Queued(DeliveryRow),
    /// An attempt went on the wire.
    AttemptStarted {
        /// Delivery.
        id: DeliveryId,
        /// 1-based attempt number.
        attempt: u32,
        /// True when asked for by a person.
        manual: bool,
        /// When.
        at: DateTime<Utc>,
    },
    /// An attempt ended.
    AttemptFinished {
        /// Delivery.
        id: DeliveryId,
        /// 1-based attempt number.
        attempt: u32,
        /// Status or error kind.
        outcome: AttemptOutcome,
        /// Time to the answer.
        latency: Duration,
        /// True when a person asked for it (`r`, `R`, `veriff-mock resend`).
        manual: bool,
        /// When it ended.
        at: DateTime<Utc>,
    },
    /// Another attempt is due at `at` (real time).
    RetryScheduled {
        /// Delivery.
        id: DeliveryId,
        /// When the retry is due.
        at: DateTime<Utc>,
    },
    /// The receiver answered 200.
    Delivered {
        /// Delivery.
        id: DeliveryId,
        /// When.
        at: DateTime<Utc>,
    },
    /// The retry policy gave up.
    Exhausted {
        /// Delivery.
        id: DeliveryId,
        /// When.
        at: DateTime<Utc>,
    },
    /// The receiver rejected it as the scenario expected.
    ExpectedRejection {
        /// Delivery.
        id: DeliveryId,
        /// When.
        at: DateTime<Utc>,
    },
    /// The receiver accepted a payload it should have refused.
    Unexpected {
        /// Delivery.
        id: DeliveryId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Dispatch was paused (`true`) or resumed (`false`).
    Paused(bool),
    /// Something to tell the user in the footer (a resend named an unknown id, say).
    Notice(String),
    /// Every delivery of the run reached its end and nothing more will be queued; the run stays
    /// open (for resends) until the user quits. `elapsed` is the run's time until then.
    Done {
        /// Time from the start of the run until it was done.
        elapsed: Duration,
    },
    /// Nothing more will be queued or attempted in this run.
    Finished,
}

impl TuiEvent {
    /// The delivery the event is about, if any.
    #[must_use]
    pub fn delivery(&self) -> Option<DeliveryId> {
        match self {
            TuiEvent::Queued(row) => Some(row.id),
            TuiEvent::AttemptStarted { id, .. }
            | TuiEvent::AttemptFinished { id, .. }
            | TuiEvent::RetryScheduled { id, .. }
            | TuiEvent::Delivered { id, .. }
            | TuiEvent::Exhausted { id, .. }
            | TuiEvent::ExpectedRejection { id, .. }
            | TuiEvent::Unexpected { id, .. } => Some(*id),
            TuiEvent::Paused(_)
            | TuiEvent::Notice(_)
            | TuiEvent::Done { .. }
            | TuiEvent::Finished => None,
        }
    }
}

/// What the header shows about the run.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderInfo {
    /// Target URL(s).
    pub targets: Vec<String>,
    /// Scenario name (or `mix`, `custom`); empty when not known (not shown then).
    pub scenario: String,
    /// Retry policy, described in a few words (`veriff: hourly for 7 days`); empty when not
    /// known (not shown then).
    pub retry_policy: String,
    /// Time scale: 3600 means an hour of policy time passes in a real second. `None` when not
    /// known: countdowns are then in real time only.
    pub time_scale: Option<f64>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
}

/// What the UI asks the dispatcher to do. Sent over the control channel; never awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlCommand {
    /// Stop starting attempts.
    Pause,
    /// Start attempts again.
    Resume,
    /// Attempt this delivery now, recorded as manual.
    Resend(DeliveryId),
    /// Attempt every failed (retrying or exhausted) delivery now.
    RetryAllFailed,
    /// Stop the run: no new attempts, flush the store.
    Stop,
}
