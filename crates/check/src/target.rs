//! Sending one request to the receiver under test, with a timeout, as an outcome (never an error).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use veriff_mock_send::{HttpConfig, HttpTransport};

/// How much of an answer's body is kept for reports.
const ANSWER_PREFIX: usize = 160;
/// Answers larger than this are not read further.
const ANSWER_LIMIT: usize = 64 * 1024;

/// What came back for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer: status and the start of its body.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The first characters of the body (lossy UTF-8).
        body: String,
    },
    /// No complete answer within the timeout.
    TimedOut(Duration),
    /// Could not connect, or the connection broke before an answer.
    Transport(String),
    /// The TLS handshake failed: what it means and how to fix it. Nothing was sent.
    Tls(String),
}

impl Outcome {
    /// The HTTP status, when there was an answer.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Answered { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// No answer at all (time-out or broken connection).
    #[must_use]
    pub fn is_transport_failure(&self) -> bool {
        !matches!(self, Outcome::Answered { .. })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Answered { status, body } if body.is_empty() => write!(f, "answered {status}"),
            Outcome::Answered { status, body } => write!(f, "answered {status} {body}"),
            Outcome::TimedOut(t) => write!(f, "no answer within {}", crate::report::human(*t)),
            Outcome::Transport(e) => write!(f, "no answer: {e}"),
            Outcome::Tls(advice) => write!(f, "{TLS_FAILED}: {advice}"),
        }
    }
}

/// How an [`Outcome::Transport`] for an answer that is not HTTP begins.
pub const NOT_HTTP: &str = "the reply is not HTTP";

/// How an [`Outcome::Tls`] begins, so that a report can tell one from its text.
pub const TLS_FAILED: &str = "no answer, the TLS handshake failed";

/// How the checks connect: TCP, and rustls for `https` (the delivery engine's connector).
pub(crate) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// The connector for these TLS settings.
pub(crate) fn connector(
    insecure: bool,
    ca_file: Option<std::path::PathBuf>,
) -> Result<Connector, crate::CheckError> {
    let mut config = HttpConfig::default();
    config.insecure = insecure;
    config.ca_file = ca_file;
    HttpTransport::connector(&config).map_err(|e| crate::CheckError::Tls(e.to_string()))
}

/// The receiver under test.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    client: Client<Connector, Full<Bytes>>,
    pub(crate) uri: Uri,
    pub(crate) timeout: Duration,
    /// Requests in flight at once, shared by every clone: a receiver that serves one request at
    /// a time must not see the others wait behind it.
    in_flight: Arc<Semaphore>,
}

impl Target {
    pub(crate) fn new(
        uri: Uri,
        timeout: Duration,
        concurrency: usize,
        connector: &Connector,
    ) -> Self {
        // The connect timeout is the engine's default; every exchange is bounded by `timeout`.
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(5))
            .build(connector.clone());
        Target {
            client,
            uri,
            timeout,
            in_flight: Arc::new(Semaphore::new(concurrency.clamp(1, crate::MAX_CONCURRENCY))),
        }
    }

    /// POSTs `body` with `headers` once fewer than the concurrency limit are in flight; the whole
    /// exchange (connect, answer, body) within the timeout. The time returned, and the timeout,
    /// run from when the request goes out, not from when it started waiting for its turn.
    pub(crate) async fn send(
        &self,
        body: Bytes,
        headers: &[(String, String)],
    ) -> (Outcome, Duration) {
        // The semaphore is never closed, so this always gets a permit; without one the request
        // would still go out, only unthrottled.
        let _turn = self.in_flight.acquire().await.ok();
        let started = Instant::now();
        let outcome = match tokio::time::timeout(self.timeout, self.exchange(body, headers)).await {
            Ok(outcome) => outcome,
            Err(_) => Outcome::TimedOut(self.timeout),
        };
        (outcome, started.elapsed())
    }

    async fn exchange(&self, body: Bytes, headers: &[(String, String)]) -> Outcome {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone());
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = match request.body(Full::new(body)) {
            Ok(r) => r,
            Err(e) => return Outcome::Transport(format!("cannot build the request: {e}")),
        };
        let response = match self.client.request(request).await {
            Ok(r) => r,
            Err(e) => {
                return match veriff_mock_send::tls_failure(&e) {
                    Some(advice) => Outcome::Tls(advice),
                    None if not_http(&e) => {
                        Outcome::Transport(format!("{NOT_HTTP} ({})", describe(&e)))
                    }
                    None => Outcome::Transport(describe(&e)),
                };
            }
        };
        let status = response.status().as_u16();
        let body = match Limited::new(response.into_body(), ANSWER_LIMIT)
            .collect()
            .await
        {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let text = String::from_utf8_lossy(&body);
        let mut prefix: String = text.trim().chars().take(ANSWER_PREFIX).collect();
        if text.trim().chars().count() > ANSWER_PREFIX {
            prefix.push('…');
        }
        Outcome::Answered {
            status,
            body: prefix,
        }
    }
}

/// The server answered with something HTTP/1.1 cannot parse, or spoke first (another protocol
/// on that port); a head too large is still HTTP.
fn not_http(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(e);
    while let Some(cause) = source {
        if let Some(h) = cause.downcast_ref::<hyper::Error>()
            && (((h.is_parse() || h.is_parse_status()) && !h.is_parse_too_large())
                // Bytes before the request was sent (an SSH or SMTP banner): hyper has no
                // accessor for this kind, only its message.
                || h.to_string().contains("unexpected message"))
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The error and its causes on one line (hyper's top-level message alone says little).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
