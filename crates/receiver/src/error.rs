//! Errors starting a receiver.

use std::net::SocketAddr;

/// Why a receiver could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiverError {
    /// The address could not be bound (in use, not local, no permission…).
    #[error("cannot listen on {addr}: {source}{hint}", hint = bind_hint(source))]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A rate outside `0.0..=1.0` (or not a number).
    #[error("{what} must be between 0 and 1, got {value}")]
    InvalidRate {
        /// `fail rate` or `drop rate`.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A scripted HTTP status outside `200..=599`.
    #[error("{what} must be an HTTP status between 200 and 599, got {value}")]
    InvalidStatus {
        /// Where it was given (`status sequence`, `fail status`).
        what: &'static str,
        /// The value given.
        value: u16,
    },
    /// A status list that is not comma-separated numbers.
    #[error(
        "invalid status list {given:?}: expected comma-separated HTTP statuses like 500,500,200"
    )]
    InvalidStatusList {
        /// The text given.
        given: String,
    },
    /// An empty API key was required.
    #[error("the API key to require is empty")]
    EmptyApiKey,
}

/// What to do about a bind error.
fn bind_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            "; another program has that port: pick another --port, or --port 0 for any free one"
        }
        std::io::ErrorKind::PermissionDenied => {
            "; ports below 1024 need privileges: pick a --port of 1024 or more, or --port 0"
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "; that address is not on this machine: bind 127.0.0.1, or one of its own addresses"
        }
        _ => "",
    }
}
