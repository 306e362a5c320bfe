//! Delivery engine for Veriff webhooks.
//!
//! Turn payloads into [`Job`]s, [`start`] the engine, read [`DeliveryEvent`]s until the channel
//! closes, then take the [`Summary`] from [`EngineHandle::wait`]. The engine signs each payload
//! once, sends it over a pooled HTTP/1.1 client, retries it per a [`RetryPolicy`], and records
//! every payload and attempt in a SQLite [`Store`] *before* reporting it.
//!
//! Where things are documented: the NDJSON event schema in [`event`], the SQLite schema in
//! [`store`], error kinds in [`outcome`], the retry presets and duration syntax in [`retry`].
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use veriff_mock_contract::{Kind, SharedSecret};
//! use veriff_mock_send::{EngineConfig, Job, JobSource, RetryPolicy, Signer, parse_url, start};
//!
//! let dir = tempfile::tempdir()?;
//! let mut config = EngineConfig::default();
//! config.store_path = dir.path().join("deliveries.db");
//! config.retry = RetryPolicy::none();
//! config.http.connect_timeout = std::time::Duration::from_millis(500);
//! let signer = Signer::new(SharedSecret::new("s3cret")?, "api-key")?;
//! // Port 9 (discard) on loopback: nothing listens, so the attempt fails with connect_refused.
//! let url = parse_url("http://127.0.0.1:9/webhook")?;
//! let jobs = vec![Job::new(Kind::Decision, url, r#"{"status":"success"}"#)];
//! let (engine, mut events) = start(config, JobSource::from_iter(signer, jobs))?;
//! while let Some(event) = events.recv().await {
//!     let _line = serde_json::to_string(&event.ndjson())?; // {"v":1,"type":"ready",...}
//! }
//! let summary = engine.wait().await?;
//! assert_eq!(summary.exhausted, 1);
//! assert_eq!(summary.exit_code(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

mod client;
mod engine;
pub mod event;
mod job;
pub mod outcome;
pub mod retry;
pub mod store;
mod writer;

pub use client::{
    AttemptResult, ClientError, HttpConfig, HttpTransport, RESPONSE_DRAIN_LIMIT,
    RESPONSE_PREFIX_LIMIT, SendFuture, Transport, now_unix_ms, tls_failure,
};
pub use engine::{
    Chaos, Command, Control, EngineConfig, EngineError, EngineHandle, Retarget, start,
    start_with_transport,
};
pub use event::{DeliveryEvent, EVENT_SCHEMA_VERSION, Events, Histogram, Ndjson, Summary, Trigger};
pub use job::{
    DeliveryId, HeaderError, Job, JobSource, Payload, Signer, UrlError, headers_from_text,
    headers_to_text, parse_url,
};
pub use outcome::{ErrorKind, Outcome};
pub use retry::{
    Jitter, ParseError, RetryPolicy, Schedule, VERIFF_RETRIES, parse_duration, parse_retry_after,
};
pub use store::{
    AttemptRow, Counts, DEFAULT_STORE_PATH, DeliveryDetail, DeliveryQuery, DeliveryRow,
    DeliveryState, RunRow, SCHEMA_VERSION, Store, StoreError, lock_path, writer_alive,
};
