//! Integration tests: one binary, one module per area. Each drives the `veriff-mock` command line
//! in-process through `veriff_mock::main_with`, as a user would run it.

/// Running the command line in-process and reading what it printed.
mod support;

/// `sign` and `verify`: Veriff's published vectors, exit codes, hints.
mod sign_verify;

/// A receiver written independently of our crates (plain hyper + hmac), to check what we send.
mod independent;

/// `generate`: every kind and status, determinism, overrides, output formats, bad input.
mod generate;

/// `fire` and `resend`: retries, the store, hostile endpoints, chaos, NDJSON, exit codes.
mod fire;

/// `check`: the conformance suite against the embedded receiver (correct and with each `--flaw`)
/// and against a receiver in another language (tests/receivers/receiver.py).
mod check;
