//! An embedded Veriff webhook receiver: the default target of `veriff-mock fire`, the test double
//! for senders, and a reference for how a receiver should verify Veriff webhooks.
//!
//! For every `POST` (any path) it reads the body (up to a limit), verifies `X-HMAC-SIGNATURE`
//! (or `vrf-hmac-signature`) over the **raw bytes** in constant time, tells the kind by shape and
//! parses it with the contract, and answers:
//!
//! | answer | when |
//! |---|---|
//! | 200 `{"status":"ok"}` | a signed Veriff payload of a known kind, or of an unknown event type (Veriff may add event types without notice) |
//! | 401 `{"error":"signature mismatch",…}` | missing, malformed or wrong signature; or wrong `X-AUTH-CLIENT` when an API key is required |
//! | 400 `{"error":"not a Veriff webhook: …",…}` | not JSON, not an object, no known shape, or invalid for its kind |
//! | 405 / 413 | not a `POST` / body over the limit (1 MiB by default) |
//!
//! Without a secret it does not check signatures, and its [`ReceiverConfig`] says so.
//!
//! # Scripted faults, in order of precedence
//!
//! 1. Not a `POST`: 405. A body over the limit: 413. (No scripted fault applies to these.)
//! 2. **Drop** ([`ReceiverBuilder::drop_rate`]): close the connection without answering.
//! 3. **Delay** ([`ReceiverBuilder::delay`]): wait, then answer whatever comes next (401 and 400
//!    included).
//! 4. Verification: signature (when a secret is set), then API key (when required): 401.
//! 5. Parsing: 400.
//! 6. **Status sequence** ([`ReceiverBuilder::status_sequence`], [`ReceiverBuilder::fail_with`]):
//!    the `n`-th attempt at a payload (the same exact bytes) gets the sequence's `n`-th status,
//!    a 200 in the sequence included. Only payloads that passed 4 and 5 count as attempts.
//! 7. **Fail rate** ([`ReceiverBuilder::fail_rate`]): the fail status (500) with that probability,
//!    once the payload's sequence (if any) is exhausted.
//! 8. 200.
//!
//! So scripted faults only ever make a valid payload fail (or vanish): an invalid one is always
//! refused truthfully. The dice for drop and fail are seeded ([`ReceiverBuilder::seed`]): the
//! `n`-th request's draws depend only on `(seed, n)`, so a sequential run is reproducible.
//!
//! # Flaws on purpose
//!
//! [`ReceiverBuilder::flaw`] makes the receiver wrong in one way integrators get it wrong, so a
//! conformance suite (`veriff-mock check`) can be shown to catch it: [`Flaw::SkipSignature`],
//! [`Flaw::Restringify`] (hashes re-serialized JSON), [`Flaw::TrimBody`] (hashes the trimmed
//! body), [`Flaw::CaseSensitiveHex`], [`Flaw::PrefixSignature`] (accepts an empty or truncated
//! signature),
//! [`Flaw::StrictSchema`] (400 on unknown fields), [`Flaw::UnknownKind500`],
//! [`Flaw::NullPerson500`] (500 on a null person or document),
//! [`Flaw::NotIdempotent`] (500 on a repeated payload) and [`Flaw::Slow`] (answers after
//! [`SLOW_FLAW_DELAY`]). A flawed receiver says so in its [`ReceiverConfig`] line.
//!
//! # Observing it
//!
//! [`RunningReceiver`] keeps atomic counters ([`RunningReceiver::stats`]), a bounded ring of the
//! last requests ([`RunningReceiver::records`], 10,000 by default), and sends one
//! [`RequestRecord`] per request to each subscriber ([`RunningReceiver::subscribe`]; its
//! `Display` is a one-line summary for printing). [`RunningReceiver::wait_for_requests`] lets a
//! test wait until a number of requests were handled. Memory stays flat however many requests
//! arrive: the ring, the event channels and the per-payload attempt counts are all bounded.
//!
//! # Example
//!
//! ```
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use veriff_mock_contract::{sign_hex, SharedSecret};
//! use veriff_mock_receiver::{Answer, Receiver};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345")?;
//! let receiver = Receiver::builder()
//!     .secret(secret.clone())
//!     .fail_with(503).times(1).then_ok()
//!     .start()
//!     .await?;
//!
//! let body = r#"{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7001,"action":"started","vendorData":null,"endUserId":null}"#;
//! let signature = sign_hex(&secret, body.as_bytes());
//! let mut statuses = Vec::new();
//! for _ in 0..2 {
//!     let mut stream = tokio::net::TcpStream::connect(receiver.addr()).await?;
//!     let request = format!(
//!         "POST /event HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
//!          x-hmac-signature: {signature}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
//!         body.len()
//!     );
//!     stream.write_all(request.as_bytes()).await?;
//!     let mut answer = String::new();
//!     stream.read_to_string(&mut answer).await?;
//!     statuses.push(answer[9..12].to_owned());
//! }
//! assert_eq!(statuses, ["503", "200"]); // the first attempt at this payload fails on purpose
//!
//! let records = receiver.records();
//! assert_eq!(records[1].answer, Answer::Ok);
//! assert_eq!(records[1].status.as_deref(), Some("started"));
//! let stats = receiver.shutdown().await;
//! assert_eq!((stats.ok, stats.failed_on_purpose), (1, 1));
//! # Ok(())
//! # }
//! ```

mod builder;
mod error;
mod flaw;
mod record;
mod script;
mod server;
mod stats;

pub use builder::{
    DEFAULT_BODY_LIMIT, DEFAULT_EVENT_CAPACITY, DEFAULT_GRACE_PERIOD, DEFAULT_RECORD_CAPACITY,
    DEFAULT_SEQUENCE_MEMORY, FailTimes, FailWith, Receiver, ReceiverBuilder, ReceiverConfig,
    parse_status_sequence,
};
pub use error::ReceiverError;
pub use flaw::{Flaw, SLOW_FLAW_DELAY};
pub use record::{Answer, RequestRecord, SignatureCheck};
pub use server::RunningReceiver;
pub use stats::Stats;
/// Re-exported so callers can name the event channel's types.
pub use tokio::sync::broadcast;
/// Re-exported for [`ReceiverBuilder::cancel_on`].
pub use tokio_util::sync::CancellationToken;
