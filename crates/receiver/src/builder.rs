//! The builder: `Receiver::builder().secret(s).fail_with(503).times(2).then_ok().start().await`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use veriff_mock_contract::SharedSecret;

use crate::{Flaw, ReceiverError, RunningReceiver};

/// Entry point: [`Receiver::builder`].
#[derive(Debug, Clone, Copy)]
pub struct Receiver;

impl Receiver {
    /// A builder with the defaults: 127.0.0.1, a free port, no secret (signatures not checked), no
    /// scripted faults, 1 MiB body limit, the last 10,000 requests recorded, seed 0.
    pub fn builder() -> ReceiverBuilder {
        ReceiverBuilder::default()
    }
}

/// Default body size limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// Default number of recent requests kept.
pub const DEFAULT_RECORD_CAPACITY: usize = 10_000;
/// Default number of payloads whose attempts are counted for a status sequence.
pub const DEFAULT_SEQUENCE_MEMORY: usize = 100_000;
/// Default time in-flight requests get to finish after a shutdown is asked for.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(5);
/// Default capacity of the per-request event channel (per subscriber).
pub const DEFAULT_EVENT_CAPACITY: usize = 4096;

/// Configures and starts a receiver. Methods chain; [`ReceiverBuilder::start`] binds and serves.
#[derive(Clone)]
#[must_use = "a builder does nothing until .start().await"]
pub struct ReceiverBuilder {
    pub(crate) secret: Option<SharedSecret>,
    pub(crate) api_key: Option<String>,
    pub(crate) bind: SocketAddr,
    pub(crate) status_sequence: Vec<u16>,
    pub(crate) fail_rate: f64,
    pub(crate) fail_status: u16,
    pub(crate) drop_rate: f64,
    pub(crate) delay: Duration,
    pub(crate) seed: u64,
    pub(crate) body_limit: usize,
    pub(crate) record_capacity: usize,
    pub(crate) sequence_memory: usize,
    pub(crate) grace_period: Duration,
    pub(crate) event_capacity: usize,
    pub(crate) cancel: Option<CancellationToken>,
    pub(crate) flaw: Option<Flaw>,
}

impl fmt::Debug for ReceiverBuilder {
    /// The settings, with the secret and API key only said to be set or not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverBuilder")
            .field("bind", &self.bind)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .field("status_sequence", &self.status_sequence)
            .field("fail_rate", &self.fail_rate)
            .field("fail_status", &self.fail_status)
            .field("drop_rate", &self.drop_rate)
            .field("delay", &self.delay)
            .field("seed", &self.seed)
            .field("body_limit", &self.body_limit)
            .field("record_capacity", &self.record_capacity)
            .field("sequence_memory", &self.sequence_memory)
            .field("grace_period", &self.grace_period)
            .field("event_capacity", &self.event_capacity)
            .field("cancel", &self.cancel.is_some())
            .field("flaw", &self.flaw)
            .finish()
    }
}

/// Parses a status list as the command line gives it: `500,500,200` (spaces allowed).
///
/// # Errors
/// [`ReceiverError::InvalidStatusList`] for an empty list or an item that is not a number;
/// [`ReceiverError::InvalidStatus`] for a number outside `200..=599`.
pub fn parse_status_sequence(text: &str) -> Result<Vec<u16>, ReceiverError> {
    let invalid = || ReceiverError::InvalidStatusList {
        given: text.to_owned(),
    };
    if text.trim().is_empty() {
        return Err(invalid());
    }
    text.split(',')
        .map(|item| {
            let value: u16 = item.trim().parse().map_err(|_| invalid())?;
            if (200..=599).contains(&value) {
                Ok(value)
            } else {
                Err(ReceiverError::InvalidStatus {
                    what: "status sequence",
                    value,
                })
            }
        })
        .collect()
}

impl Default for ReceiverBuilder {
    fn default() -> Self {
        Self {
            secret: None,
            api_key: None,
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            status_sequence: Vec::new(),
            fail_rate: 0.0,
            fail_status: 500,
            drop_rate: 0.0,
            delay: Duration::ZERO,
            seed: 0,
            body_limit: DEFAULT_BODY_LIMIT,
            record_capacity: DEFAULT_RECORD_CAPACITY,
            sequence_memory: DEFAULT_SEQUENCE_MEMORY,
            grace_period: DEFAULT_GRACE_PERIOD,
            event_capacity: DEFAULT_EVENT_CAPACITY,
            cancel: None,
            flaw: None,
        }
    }
}

impl ReceiverBuilder {
    /// Verify `X-HMAC-SIGNATURE` (or `vrf-hmac-signature`) with this shared secret key. Without a
    /// secret the receiver does not check signatures, and its [`ReceiverConfig`] says so.
    pub fn secret(mut self, secret: SharedSecret) -> Self {
        self.secret = Some(secret);
        self
    }

    /// As [`ReceiverBuilder::secret`], optional (for a CLI flag that may be absent).
    pub fn maybe_secret(mut self, secret: Option<SharedSecret>) -> Self {
        self.secret = secret;
        self
    }

    /// Also require `X-AUTH-CLIENT` (or `vrf-auth-client`) to equal this API key (401 otherwise).
    /// Off by default.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Listen on this port of the bind address; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.bind.set_port(port);
        self
    }

    /// Listen on this address (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: impl Into<SocketAddr>) -> Self {
        self.bind = addr.into();
        self
    }

    /// Answer each payload with these statuses in turn, one per delivery attempt of that exact
    /// payload (its bytes), then with the normal verdict. `[500, 500, 200]` fails the first two
    /// attempts at every payload and accepts the third. Replaces any sequence set before.
    pub fn status_sequence(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.status_sequence = statuses.into_iter().collect();
        self
    }

    /// Start a status sequence that answers `status`: `.fail_with(503).times(2).then_ok()`.
    /// Appends to any status sequence set before.
    pub fn fail_with(self, status: u16) -> FailWith {
        FailWith {
            builder: self,
            status,
        }
    }

    /// Answer a valid payload with the fail status (500 unless [`ReceiverBuilder::fail_status`])
    /// with this probability, drawn from the seeded dice.
    pub fn fail_rate(mut self, rate: f64) -> Self {
        self.fail_rate = rate;
        self
    }

    /// The status [`ReceiverBuilder::fail_rate`] answers (default 500).
    pub fn fail_status(mut self, status: u16) -> Self {
        self.fail_status = status;
        self
    }

    /// Close the connection without answering, with this probability.
    pub fn drop_rate(mut self, rate: f64) -> Self {
        self.drop_rate = rate;
        self
    }

    /// Wait this long before answering each request that is not dropped.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Seed for the fail and drop dice (default 0). The `n`-th request's draws depend only on
    /// `(seed, n)`, so a sequential run is reproducible.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Largest body accepted, in bytes (default 1 MiB); a larger one is answered 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How many recent requests [`RunningReceiver::records`] keeps (default 10,000; 0 keeps none).
    pub fn record_capacity(mut self, records: usize) -> Self {
        self.record_capacity = records;
        self
    }

    /// How many distinct payloads a status sequence keeps counting (default 100,000); the oldest
    /// is forgotten first, and a forgotten payload starts its sequence again.
    pub fn sequence_memory(mut self, payloads: usize) -> Self {
        self.sequence_memory = payloads;
        self
    }

    /// How long in-flight requests may take to finish after a shutdown (default 5 s); then their
    /// connections are closed.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace_period = grace;
        self
    }

    /// Capacity of each subscriber's event channel (default 4096); a subscriber that falls
    /// further behind misses events (and is told how many).
    pub fn event_capacity(mut self, events: usize) -> Self {
        self.event_capacity = events;
        self
    }

    /// Stop (as [`RunningReceiver::shutdown`]) when this token is cancelled.
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Make the receiver wrong on purpose in one way (see [`Flaw`]), to prove a conformance
    /// check catches it. [`Flaw::Slow`] sets the delay to [`crate::SLOW_FLAW_DELAY`] unless a
    /// longer one is set.
    pub fn flaw(mut self, flaw: Flaw) -> Self {
        self.flaw = Some(flaw);
        if flaw == Flaw::Slow && self.delay < crate::SLOW_FLAW_DELAY {
            self.delay = crate::SLOW_FLAW_DELAY;
        }
        self
    }

    /// Checks the configuration, binds and starts serving on the current tokio runtime.
    ///
    /// # Errors
    /// [`ReceiverError::Bind`] when the address cannot be bound; [`ReceiverError::InvalidRate`],
    /// [`ReceiverError::InvalidStatus`] or [`ReceiverError::EmptyApiKey`] for a bad setting.
    pub async fn start(self) -> Result<RunningReceiver, ReceiverError> {
        self.validate()?;
        crate::server::start(self).await
    }

    fn validate(&self) -> Result<(), ReceiverError> {
        for (what, value) in [("fail rate", self.fail_rate), ("drop rate", self.drop_rate)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ReceiverError::InvalidRate { what, value });
            }
        }
        let statuses = self
            .status_sequence
            .iter()
            .map(|s| ("status sequence", *s))
            .chain([("fail status", self.fail_status)]);
        for (what, value) in statuses {
            if !(200..=599).contains(&value) {
                return Err(ReceiverError::InvalidStatus { what, value });
            }
        }
        if self.api_key.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return Err(ReceiverError::EmptyApiKey);
        }
        Ok(())
    }

    pub(crate) fn config(&self, addr: SocketAddr) -> ReceiverConfig {
        ReceiverConfig {
            addr,
            verifies_signatures: self.secret.is_some(),
            requires_api_key: self.api_key.is_some(),
            status_sequence: self.status_sequence.clone(),
            fail_rate: self.fail_rate,
            fail_status: self.fail_status,
            drop_rate: self.drop_rate,
            delay: self.delay,
            seed: self.seed,
            body_limit: self.body_limit,
            record_capacity: self.record_capacity,
            flaw: self.flaw,
        }
    }
}

/// `.fail_with(status)`, waiting for how many times: see [`FailWith::times`].
#[derive(Debug)]
#[must_use = "say how many times: .fail_with(503).times(2).then_ok()"]
pub struct FailWith {
    builder: ReceiverBuilder,
    status: u16,
}

impl FailWith {
    /// Answer `status` to the first `n` attempts at each payload (after any statuses set before).
    pub fn times(self, n: usize) -> FailTimes {
        let mut builder = self.builder;
        builder
            .status_sequence
            .extend(std::iter::repeat_n(self.status, n));
        FailTimes { builder }
    }

    /// Answer `status` to the first attempt at each payload: `.times(1)`.
    pub fn once(self) -> FailTimes {
        self.times(1)
    }
}

/// `.fail_with(status).times(n)`, waiting for what comes next.
#[derive(Debug)]
#[must_use = "finish with .then_ok() (or chain .then_fail_with(..))"]
pub struct FailTimes {
    builder: ReceiverBuilder,
}

impl FailTimes {
    /// Then answer 200: `fail_with(503).times(2).then_ok()` is `status_sequence([503, 503, 200])`.
    /// Attempts after that get the normal verdict (the fail rate applies again).
    pub fn then_ok(mut self) -> ReceiverBuilder {
        self.builder.status_sequence.push(200);
        self.builder
    }

    /// Then the normal verdict, without a scripted 200: `fail_with(503).times(2).then_normal()` is
    /// `status_sequence([503, 503])`.
    pub fn then_normal(self) -> ReceiverBuilder {
        self.builder
    }

    /// Then fail with another status: `.fail_with(500).times(2).then_fail_with(503).once().then_ok()`.
    pub fn then_fail_with(self, status: u16) -> FailWith {
        self.builder.fail_with(status)
    }
}

/// The settings a receiver runs with, as plain data (no secrets: only whether one is set).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReceiverConfig {
    /// The address it listens on (with the port picked, when 0 was asked for).
    pub addr: SocketAddr,
    /// Whether signatures are checked (a secret is set).
    pub verifies_signatures: bool,
    /// Whether `X-AUTH-CLIENT` must match an API key.
    pub requires_api_key: bool,
    /// Statuses answered per payload, by attempt.
    pub status_sequence: Vec<u16>,
    /// Probability of answering [`ReceiverConfig::fail_status`] to a valid payload.
    pub fail_rate: f64,
    /// The status the fail rate answers.
    pub fail_status: u16,
    /// Probability of closing the connection without answering.
    pub drop_rate: f64,
    /// Wait before answering.
    pub delay: Duration,
    /// Seed of the fail and drop dice.
    pub seed: u64,
    /// Largest body accepted.
    pub body_limit: usize,
    /// How many recent requests are recorded.
    pub record_capacity: usize,
    /// The mistake made on purpose, if any.
    pub flaw: Option<Flaw>,
}

impl fmt::Display for ReceiverConfig {
    /// One line: `listening on http://127.0.0.1:PORT/, verifying X-HMAC-SIGNATURE; status sequence 500,500,200 per payload`.
    /// An unspecified address (`0.0.0.0`, `::`) is named as bound, with the URL to use from
    /// this machine.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = crate::server::url_for(self.addr);
        if self.addr.ip().is_unspecified() {
            write!(
                f,
                "listening on {} (every interface: reachable from other machines; {url} from this one)",
                self.addr
            )?;
        } else {
            write!(f, "listening on {url}")?;
        }
        if self.verifies_signatures {
            f.write_str(", verifying X-HMAC-SIGNATURE")?;
        } else {
            f.write_str(", NOT verifying signatures (any signature, or none, is accepted)")?;
        }
        if self.requires_api_key {
            f.write_str(", requiring X-AUTH-CLIENT")?;
        }
        let mut faults = Vec::new();
        if !self.status_sequence.is_empty() {
            let list: Vec<String> = self.status_sequence.iter().map(u16::to_string).collect();
            faults.push(format!("status sequence {} per payload", list.join(",")));
        }
        if self.fail_rate > 0.0 {
            faults.push(format!(
                "fail rate {} ({})",
                self.fail_rate, self.fail_status
            ));
        }
        if self.drop_rate > 0.0 {
            faults.push(format!("drop rate {}", self.drop_rate));
        }
        if self.fail_rate > 0.0 || self.drop_rate > 0.0 {
            faults.push(format!("seed {}", self.seed));
        }
        if !self.delay.is_zero() {
            faults.push(format!("delay {:?}", self.delay));
        }
        if !faults.is_empty() {
            write!(f, "; scripted: {}", faults.join(", "))?;
        }
        if let Some(flaw) = self.flaw {
            write!(f, "; FLAWED on purpose: {flaw} ({})", flaw.description())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists_parse_like_the_command_line_writes_them() {
        assert_eq!(
            parse_status_sequence("500,500,200").unwrap(),
            [500, 500, 200]
        );
        assert_eq!(parse_status_sequence(" 503 , 200 ").unwrap(), [503, 200]);
        for bad in ["", " ", "500,,200", "abc", "500;200", "-1", "70000"] {
            assert!(
                matches!(
                    parse_status_sequence(bad),
                    Err(ReceiverError::InvalidStatusList { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_status_sequence("500,99"),
            Err(ReceiverError::InvalidStatus { value: 99, .. })
        ));
    }

    #[test]
    fn an_address_of_every_interface_is_named_as_bound_with_a_usable_url() {
        let line = |addr: &str| {
            Receiver::builder()
                .config(addr.parse().unwrap())
                .to_string()
        };
        let all = line("0.0.0.0:8080");
        assert!(
            all.starts_with(
                "listening on 0.0.0.0:8080 (every interface: reachable from other machines; \
                 http://127.0.0.1:8080/ from this one)"
            ),
            "{all}"
        );
        let all6 = line("[::]:8080");
        assert!(
            all6.starts_with("listening on [::]:8080 (every interface")
                && all6.contains("http://[::1]:8080/"),
            "{all6}"
        );
        assert!(line("127.0.0.1:8080").starts_with("listening on http://127.0.0.1:8080/,"));
    }

    #[test]
    fn debug_hides_the_secret_and_api_key() {
        let secret = SharedSecret::new("very-secret-key").unwrap();
        let builder = Receiver::builder().secret(secret).api_key("the-api-key");
        let debug = format!("{builder:?}");
        assert!(
            !debug.contains("very-secret-key") && !debug.contains("the-api-key"),
            "{debug}"
        );
        assert!(debug.contains("[redacted]"));
    }
}
