//! Errors starting a receiver.

use std::net::SocketAddr;

/// Why a receiver could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiverError {
    /// The address could not be bound (in use, not local, no permission…).
    #[error("cannot listen on {addr}: {source}")]
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
