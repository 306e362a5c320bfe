//! A live terminal UI over veriff-mock's deliveries and retries.
//!
//! The UI is state plus a pure render function: [`App`] holds an [`Aggregate`] (counters, latency
//! percentiles, status-code distribution, per-second rates, a bounded row cache) fed by plain-data
//! [`TuiEvent`]s, and `impl Widget for &App` draws it. Rows beyond the cache and each delivery's
//! detail are read on demand from a [`DetailSource`] (the store). Keys map to [`Command`]s
//! ([`map_key`]); those that concern the dispatcher become [`ControlCommand`]s sent, never
//! awaited, through a [`ControlSink`].
//!
//! The delivery engine hands events to the UI through [`ui_channel`]: the producer
//! [`UiSender::offer`]s without ever waiting, and when the UI is behind only the UI update is
//! dropped (and counted): the store stays the record of truth.
//!
//! [`adapter`] connects the delivery engine: [`adapter::tui_event`] maps its events,
//! `impl ControlSink for veriff_mock_send::Control` takes commands to it, and
//! [`adapter::StoreSource`] serves rows, details and `watch` from its SQLite store.
//!
//! [`run_live`] and [`run_watch`] are the event loops, generic over the ratatui `Backend`;
//! [`TerminalGuard`] and [`install_panic_hook`] restore the terminal on quit, error and panic.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use ratatui::{Terminal, backend::TestBackend};
//! use veriff_mock_contract::Kind;
//! use veriff_mock_tui::{App, AppOptions, DeliveryId, DeliveryRow, HeaderInfo, Mode, TuiEvent};
//!
//! let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
//! let header = HeaderInfo {
//!     targets: vec!["http://127.0.0.1:8080/webhooks".into()],
//!     scenario: "mix".into(),
//!     retry_policy: "veriff: hourly for 7 days".into(),
//!     time_scale: Some(3600.0),
//!     started_at: start,
//! };
//! let mut app = App::new(header, Mode::Live, AppOptions::default());
//! app.apply_event(TuiEvent::Queued(DeliveryRow::queued(
//!     DeliveryId(1), start, Kind::Decision, "approved", "f04bdb47-d3be-4b28", None,
//! )));
//! app.refresh(None);
//! assert_eq!(app.aggregate().counts().queued, 1);
//!
//! let mut terminal = Terminal::new(TestBackend::new(80, 24))?;
//! terminal.draw(|frame| veriff_mock_tui::render(&app, frame))?;
//! assert!(terminal.backend().to_string().contains("f04bdb47"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod adapter;
mod aggregate;
mod app;
mod channel;
mod curl;
mod keys;
mod model;
mod runtime;
mod source;
mod ui;

pub use aggregate::{
    Aggregate, Counts, DEFAULT_RATE_WINDOW, DEFAULT_ROW_CACHE, LatencyHistogram, RateWindow,
    RowCache, SecondStats,
};
pub use app::{App, AppOptions, DetailView, Effect, Mode};
pub use channel::{
    ControlClosed, ControlSink, DEFAULT_CAPACITY, Drained, NoControl, UiReceiver, UiSender,
    ui_channel,
};
pub use curl::{CurlError, CurlExport, curl_command, export_curl, shell_quote};
pub use keys::{Command, InputMode, KEY_HELP, map_key};
pub use model::{
    AttemptDetail, AttemptOutcome, ControlCommand, DeliveryDetail, DeliveryId, DeliveryRow,
    HeaderInfo, Phase, TuiEvent,
};
pub use runtime::{
    CrosstermInput, InputSource, LoopOptions, RunSummary, TerminalGuard, TuiError,
    install_panic_hook, restore_terminal, run_live, run_live_in_terminal, run_watch,
    run_watch_in_terminal, run_watch_until,
};
pub use source::{
    DetailSource, EventBatch, Filter, MemorySource, RowPage, RowQuery, SortKey, SourceError,
    WatchSource,
};
pub use ui::{Areas, areas, fmt_count, fmt_countdown, fmt_latency, fmt_span, pretty_body, render};
