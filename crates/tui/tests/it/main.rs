//! Integration tests of the TUI crate, one binary.
//!
//! - `fixtures`: a fixed run (fixed clock, ports and ids) shared by the tests.
//! - `aggregate`: counts, percentiles, per-second rates, bounded memory, queries.
//! - `commands`: commands on the state and their effects (control channel, curl export).
//! - `engine`: the adapter against the real engine and its SQLite store.
//! - `event_loop`: `run_live` / `run_watch` on a `TestBackend` with scripted keys.
//! - `snapshots`: `insta` snapshots of the screen.

mod aggregate;
mod commands;
mod engine;
mod event_loop;
mod fixtures;
mod paused_ui;
mod snapshots;
