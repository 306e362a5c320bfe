//! A paused UI never slows the dispatcher. The engine runs under tokio's paused clock against a
//! transport that answers every attempt after a fixed latency, so the run's virtual duration is
//! set by the dispatcher alone: `count / concurrency × latency` when nothing holds it back. The
//! same run is timed with its events drained as fast as they come, then fed through
//! [`forward`] to a UI that never reads (a paused or frozen UI).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use veriff_mock_contract::{Kind, SharedSecret};
use veriff_mock_send::{
    AttemptResult, EngineConfig, Job, JobSource, Payload, RetryPolicy, SendFuture, Signer, Summary,
    Transport, start_with_transport,
};
use veriff_mock_tui::adapter::forward;
use veriff_mock_tui::ui_channel;

const COUNT: usize = 3_000;
const CONCURRENCY: usize = 16;
const LATENCY: Duration = Duration::from_millis(20);

/// Answers 200 after `LATENCY`, like a receiver at a steady pace.
struct Steady;

impl Transport for Steady {
    fn send<'a>(&'a self, _payload: &'a Payload) -> SendFuture<'a> {
        Box::pin(async {
            tokio::time::sleep(LATENCY).await;
            AttemptResult {
                status: Some(200),
                latency: LATENCY,
                ..AttemptResult::default()
            }
        })
    }
}

fn source() -> JobSource {
    let signer = Signer::new(SharedSecret::new("s3cret-key").unwrap(), "api-key").unwrap();
    let jobs = (0..COUNT).map(|i| {
        Job::new(
            Kind::Event,
            "http://127.0.0.1:1/hook".parse().unwrap(),
            format!(r#"{{"id":"s-{i}","action":"submitted"}}"#),
        )
    });
    JobSource::from_iter(signer, jobs.collect::<Vec<_>>())
}

fn config(dir: &tempfile::TempDir) -> EngineConfig {
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.retry = RetryPolicy::none();
    c.concurrency = CONCURRENCY;
    c
}

/// Virtual time from start to the last delivery, and the summary.
async fn drained() -> (Duration, Summary) {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let (engine, mut events) =
        start_with_transport(config(&dir), source(), Arc::new(Steady)).unwrap();
    while events.recv().await.is_some() {}
    let summary = engine.wait().await.unwrap();
    (t0.elapsed(), summary)
}

#[tokio::test(start_paused = true)]
async fn the_dispatcher_keeps_full_rate_while_the_ui_is_paused() {
    let (baseline, summary) = drained().await;
    assert_eq!(summary.delivered, COUNT as u64);
    let ideal = LATENCY * (COUNT / CONCURRENCY) as u32;
    assert!(
        baseline >= ideal && baseline <= ideal + ideal / 10,
        "baseline {baseline:?} should be close to the ideal {ideal:?}"
    );

    // The UI holds a small channel and never reads it: it is paused for the whole run.
    let dir = tempfile::tempdir().unwrap();
    let (ui_tx, ui_rx) = ui_channel(64);
    let t0 = Instant::now();
    let (engine, events) = start_with_transport(config(&dir), source(), Arc::new(Steady)).unwrap();
    let feeder = tokio::spawn(forward(events, ui_tx));
    let summary = engine.wait().await.unwrap();
    let paused = t0.elapsed();
    feeder.await.unwrap();

    assert_eq!(summary.delivered, COUNT as u64, "every delivery completed");
    assert_eq!(summary.attempts, COUNT as u64);
    assert!(
        ui_rx.dropped() > 0,
        "the paused UI really fell behind (nothing dropped means nothing was tested)"
    );
    assert!(
        paused <= baseline + baseline / 20,
        "with the UI paused the run took {paused:?}, against {baseline:?} drained: the dispatcher was held back"
    );
}
