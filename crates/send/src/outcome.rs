//! What one delivery attempt ended with, as plain data.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// Why an attempt did not get an HTTP answer the policy accepts. A closed set with stable
/// snake_case names (they appear in the store, in NDJSON events and in the TUI).
///
/// | name | meaning |
/// |---|---|
/// | `connect_refused` | the TCP connection was refused (nothing listens on the port) |
/// | `connect_timeout` | the TCP (or TLS) connection was not established within the connect timeout |
/// | `connect` | any other failure to connect (name resolution, unreachable network, …) |
/// | `tls` | the TLS handshake failed (bad certificate, plain HTTP on an https URL, …) |
/// | `timeout` | connected, but the whole exchange did not finish within the attempt timeout |
/// | `redirect` | the receiver answered 3xx; redirects are never followed |
/// | `http_status` | the receiver answered a status the policy does not accept as success |
/// | `protocol` | the peer did not speak HTTP/1.1 (garbage, malformed response) |
/// | `connection_closed` | the connection was closed before a complete response head arrived |
/// | `io` | another I/O error while sending or receiving |
/// | `cancelled` | the run was stopped while the attempt was in flight; the delivery stays pending |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Connection refused.
    ConnectRefused,
    /// Connect timeout.
    ConnectTimeout,
    /// Other connect failure.
    Connect,
    /// TLS handshake failure.
    Tls,
    /// The attempt timeout elapsed.
    Timeout,
    /// A 3xx answer (not followed).
    Redirect,
    /// A status that is not success under the policy.
    HttpStatus,
    /// Not HTTP.
    Protocol,
    /// Closed before a complete response.
    ConnectionClosed,
    /// Other I/O error.
    Io,
    /// Stopped while in flight.
    Cancelled,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::ConnectRefused,
        ErrorKind::ConnectTimeout,
        ErrorKind::Connect,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Redirect,
        ErrorKind::HttpStatus,
        ErrorKind::Protocol,
        ErrorKind::ConnectionClosed,
        ErrorKind::Io,
        ErrorKind::Cancelled,
    ];

    /// The stable snake_case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Redirect => "redirect",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::Protocol => "protocol",
            ErrorKind::ConnectionClosed => "connection_closed",
            ErrorKind::Io => "io",
            ErrorKind::Cancelled => "cancelled",
        }
    }

    /// Parses a stable name back (as read from the store).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The raw result of one attempt, as the retry policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered with an HTTP status.
    Status {
        /// The status code.
        code: u16,
        /// A `Retry-After` the receiver sent, already converted to a wait.
        retry_after: Option<Duration>,
    },
    /// No usable answer: connect failure, timeout, TLS, protocol error…
    Error(ErrorKind),
}

impl Outcome {
    /// A status answer without `Retry-After`.
    #[must_use]
    pub const fn status(code: u16) -> Self {
        Outcome::Status {
            code,
            retry_after: None,
        }
    }

    /// The HTTP status, if the receiver answered.
    #[must_use]
    pub const fn code(&self) -> Option<u16> {
        match self {
            Outcome::Status { code, .. } => Some(*code),
            Outcome::Error(_) => None,
        }
    }
}
