//! The engine's event stream and its final [`Summary`].
//!
//! # NDJSON schema, version 1
//! [`DeliveryEvent::ndjson`] gives a `serde::Serialize` view: one JSON object per line, each with
//! `"v":1` and `"type"`, then the variant's fields (snake_case). Times are Unix milliseconds
//! (`*_unix_ms`), durations are integers with their unit in the name (`latency_us`, `in_ms`).
//! Optional fields are present with `null`. New fields may be added within version 1; removing or
//! renaming one bumps `v`.
//!
//! | type | fields |
//! |---|---|
//! | `ready` (always first) | run_id, store, concurrency, retry, time_scale, resumed |
//! | `queued` | id, kind, status, session_id, vendor_data, url, tampered |
//! | `attempt_started` | id, attempt, trigger |
//! | `attempt_finished` | id, attempt, trigger, status, error, detail, latency_us, response_prefix, response_truncated |
//! | `retry_scheduled` | id, attempt (the next one), at_unix_ms, in_ms |
//! | `delivered` | id, attempts, status |
//! | `exhausted` | id, attempts |
//! | `expected_rejection` | id, attempt, status |
//! | `unexpected_outcome` | id, attempt, status, reason |
//! | `not_found` | id (a resend named an unknown delivery) |
//! | `paused`, `resumed` | (none) |
//! | `drained` (only when the engine lingers) | summary: the [`Summary`] fields so far |
//! | `finished` (always last) | summary: the [`Summary`] fields |

use serde::Serialize;
use tokio::sync::mpsc;

use crate::job::DeliveryId;
use crate::outcome::ErrorKind;

/// The engine's event stream, in order, each event sent only after what it reports is committed
/// to the store. Events travel in batches (one per store transaction) over a bounded channel, so
/// a slow consumer applies backpressure and nothing is dropped. Read until `None`: the last event
/// is [`DeliveryEvent::Finished`].
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Vec<DeliveryEvent>>,
    buf: std::collections::VecDeque<DeliveryEvent>,
}

impl Events {
    pub(crate) fn new(rx: mpsc::Receiver<Vec<DeliveryEvent>>) -> Self {
        Self {
            rx,
            buf: std::collections::VecDeque::new(),
        }
    }

    /// The next event; `None` once the engine is done and every event was read.
    pub async fn recv(&mut self) -> Option<DeliveryEvent> {
        loop {
            if let Some(e) = self.buf.pop_front() {
                return Some(e);
            }
            self.buf.extend(self.rx.recv().await?);
        }
    }

    /// The next event if one is ready, without waiting (for a render loop).
    ///
    /// # Errors
    /// `Empty` when nothing is ready yet, `Disconnected` when the stream is over.
    pub fn try_recv(&mut self) -> Result<DeliveryEvent, mpsc::error::TryRecvError> {
        loop {
            if let Some(e) = self.buf.pop_front() {
                return Ok(e);
            }
            self.buf.extend(self.rx.try_recv()?);
        }
    }

    /// [`Events::recv`] for synchronous code (not from inside an async task).
    pub fn blocking_recv(&mut self) -> Option<DeliveryEvent> {
        loop {
            if let Some(e) = self.buf.pop_front() {
                return Some(e);
            }
            self.buf.extend(self.rx.blocking_recv()?);
        }
    }
}

/// Version of the NDJSON event schema.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// First attempt or a retry by the policy.
    Scheduled,
    /// Asked for by a person (resend, retry-failed-now).
    Manual,
    /// The chaos duplicate: an extra identical copy (at-least-once delivery).
    Duplicate,
}

impl Trigger {
    /// Stable name, as stored.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
            Trigger::Duplicate => "duplicate",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        [Trigger::Scheduled, Trigger::Manual, Trigger::Duplicate]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One thing that happened. Plain data; every attempt outcome is committed to the store before
/// its event is sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeliveryEvent {
    /// The engine is running (always the first event).
    Ready {
        /// Run id in the store.
        run_id: u64,
        /// Store path.
        store: String,
        /// Worker count.
        concurrency: usize,
        /// Retry schedule (`veriff`, `none`, list).
        retry: String,
        /// Time scale.
        time_scale: f64,
        /// Pending deliveries loaded from the store (resume).
        resumed: u64,
    },
    /// A new payload was signed and stored.
    Queued {
        /// Delivery id.
        id: DeliveryId,
        /// Kind name.
        kind: String,
        /// Status label (`approved`, `submitted`, …).
        status: Option<String>,
        /// Session id.
        session_id: Option<String>,
        /// vendorData.
        vendor_data: Option<String>,
        /// Target URL.
        url: String,
        /// Signature corrupted on purpose.
        tampered: bool,
    },
    /// An attempt is starting.
    AttemptStarted {
        /// Delivery id.
        id: DeliveryId,
        /// Attempt number (1-based, per delivery).
        attempt: u32,
        /// Why.
        trigger: Trigger,
    },
    /// An attempt ended (and is stored).
    AttemptFinished {
        /// Delivery id.
        id: DeliveryId,
        /// Attempt number.
        attempt: u32,
        /// Why.
        trigger: Trigger,
        /// HTTP status, if any.
        status: Option<u16>,
        /// Error kind, if the attempt failed.
        error: Option<ErrorKind>,
        /// Error detail.
        detail: Option<String>,
        /// Time to the response head or error, in microseconds.
        latency_us: u64,
        /// Start of the response body (lossy UTF-8, at most 4 KiB).
        response_prefix: String,
        /// The body was longer than the prefix.
        response_truncated: bool,
    },
    /// A retry is due later.
    RetryScheduled {
        /// Delivery id.
        id: DeliveryId,
        /// The attempt number it will be.
        attempt: u32,
        /// When, by the wall clock.
        at_unix_ms: i64,
        /// In how long (already time-scaled).
        in_ms: u64,
    },
    /// A success status was recorded; final.
    Delivered {
        /// Delivery id.
        id: DeliveryId,
        /// Attempts it took.
        attempts: u32,
        /// The status.
        status: u16,
    },
    /// Every attempt of the policy failed; final.
    Exhausted {
        /// Delivery id.
        id: DeliveryId,
        /// Attempts made.
        attempts: u32,
    },
    /// A tampered payload was refused with a non-2xx status, as it should be; final, not a failure.
    ExpectedRejection {
        /// Delivery id.
        id: DeliveryId,
        /// Attempt number.
        attempt: u32,
        /// The status.
        status: u16,
    },
    /// The receiver accepted what it should have refused; final, counts as a failure.
    UnexpectedOutcome {
        /// Delivery id.
        id: DeliveryId,
        /// Attempt number.
        attempt: u32,
        /// The status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// A resend asked for a delivery id the store does not hold.
    NotFound {
        /// The unknown id.
        id: DeliveryId,
    },
    /// Dispatch paused.
    Paused,
    /// Dispatch resumed.
    Resumed,
    /// Only when the engine lingers ([`crate::EngineConfig::linger`]): every job was taken from
    /// the source and every delivery reached its end, so the run is recorded as complete; the
    /// engine keeps serving resends until stopped, and says so again if it goes idle again.
    Drained {
        /// Totals so far; `elapsed_ms` is the run's time until now.
        summary: Summary,
    },
    /// The run is over (always the last event).
    Finished {
        /// Totals.
        summary: Summary,
    },
}

impl DeliveryEvent {
    /// The NDJSON form: `{"v":1,"type":"…",…}` when serialized.
    #[must_use]
    pub fn ndjson(&self) -> Ndjson<'_> {
        Ndjson {
            v: EVENT_SCHEMA_VERSION,
            event: self,
        }
    }
}

/// Serializable NDJSON view of an event (see the module docs for the schema).
#[derive(Debug, Serialize)]
pub struct Ndjson<'a> {
    v: u32,
    #[serde(flatten)]
    event: &'a DeliveryEvent,
}

/// Totals of a run; decides the exit code.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Run id.
    pub run_id: u64,
    /// Deliveries acknowledged with a success status.
    pub delivered: u64,
    /// Attempts made (all triggers).
    pub attempts: u64,
    /// Retry attempts (scheduled attempts after the first).
    pub retried: u64,
    /// Deliveries whose every attempt failed.
    pub exhausted: u64,
    /// Tampered payloads refused as expected.
    pub expected_rejections: u64,
    /// Tampered payloads accepted (a receiver bug).
    pub unexpected: u64,
    /// Chaos duplicates sent.
    pub duplicates: u64,
    /// Manual attempts.
    pub manual: u64,
    /// Deliveries still pending when the run ended (stopped early); resumable.
    pub pending: u64,
    /// The run was stopped (Ctrl-C, stop command) rather than finishing.
    pub stopped: bool,
    /// Every payload of the run's source was queued (and stored). False when a stop came first:
    /// the rest were never sent, and `fire --resume` sends them.
    pub all_queued: bool,
    /// Median attempt latency, microseconds.
    pub latency_p50_us: u64,
    /// 99th percentile attempt latency, microseconds.
    pub latency_p99_us: u64,
    /// Largest attempt latency, microseconds.
    pub latency_max_us: u64,
    /// Run duration, milliseconds.
    pub elapsed_ms: u64,
}

impl Summary {
    /// The exit code the CLI should use: 130 when stopped, 1 when any delivery was exhausted or
    /// had an unexpected outcome, else 0.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        if self.stopped {
            130
        } else if self.exhausted > 0 || self.unexpected > 0 {
            1
        } else {
            0
        }
    }

    /// Every delivery was acknowledged (or rejected as expected) and nothing is left.
    #[must_use]
    pub fn all_acknowledged(&self) -> bool {
        self.exit_code() == 0 && self.pending == 0
    }
}

/// A log-linear latency histogram (HDR-like): 32 sub-buckets per power of two, so any
/// percentile is within about 3 % of the true value, in fixed memory (2 K counters).
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    max: u64,
}

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; (64 * SUB) as usize].into_boxed_slice(),
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    fn index(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let e = 63 - u64::from(v.leading_zeros()); // >= SUB_BITS
        let shift = e - u64::from(SUB_BITS);
        let mantissa = (v >> shift) - SUB; // 0..SUB
        ((shift + 1) * SUB + mantissa) as usize
    }

    fn value_of(i: usize) -> u64 {
        let i = i as u64;
        if i < SUB {
            return i;
        }
        let shift = i / SUB - 1;
        let mantissa = i % SUB;
        // Upper edge of the bucket, so percentiles are not under-reported.
        let edge = (u128::from(SUB + mantissa + 1) << shift) - 1;
        u64::try_from(edge).unwrap_or(u64::MAX)
    }

    /// Records one value.
    pub fn record(&mut self, v: u64) {
        if let Some(c) = self.counts.get_mut(Self::index(v)) {
            *c += 1;
        }
        self.total += 1;
        self.max = self.max.max(v);
    }

    /// Values recorded.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.total
    }

    /// No value recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Largest value recorded.
    #[must_use]
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The `q` quantile (0.0..=1.0); 0 when empty.
    #[must_use]
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value_of(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), 0);
        for v in 1..=100_000u64 {
            h.record(v);
        }
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 / 50_000.0 - 1.0).abs() < 0.04, "{p50}");
        assert!((p99 / 99_000.0 - 1.0).abs() < 0.04, "{p99}");
        assert_eq!(h.max(), 100_000);
        assert_eq!(h.quantile(1.0), 100_000);
        let mut small = Histogram::default();
        small.record(7);
        assert_eq!(small.quantile(0.5), 7);
        small.record(u64::MAX);
        assert_eq!(small.quantile(1.0), u64::MAX);
    }

    #[test]
    fn exit_codes() {
        let mut s = Summary::default();
        assert_eq!(s.exit_code(), 0);
        s.unexpected = 1;
        assert_eq!(s.exit_code(), 1);
        s.unexpected = 0;
        s.exhausted = 2;
        assert_eq!(s.exit_code(), 1);
        s.stopped = true;
        assert_eq!(s.exit_code(), 130);
    }
}
