//! `fire` and `demo` in the terminal UI: the engine runs on the async runtime, the UI on a
//! blocking thread at its own frame rate, fed through a channel it may fall behind on without
//! ever slowing delivery (the store is the record of truth).

use std::time::SystemTime;

use anyhow::Context;
use chrono::{DateTime, Utc};
use veriff_mock_send::{JobSource, Store, Summary};
use veriff_mock_tui::adapter::StoreSource;
use veriff_mock_tui::{
    DEFAULT_CAPACITY, HeaderInfo, LoopOptions, run_live_in_terminal, ui_channel,
};

use crate::Io;
use crate::cmd::fire::Plan;

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::now())
}

/// Runs the plan's deliveries with the live UI; returns the engine's summary once the UI closed
/// and the store is flushed.
pub async fn run_tui(
    plan: &Plan,
    source: JobSource,
    targets: Vec<String>,
    io: &mut Io<'_>,
) -> anyhow::Result<Summary> {
    let mut config = plan.engine.clone();
    config.linger = true; // keep serving resends after the last delivery, until `q`
    let store_path = config.store_path.clone();
    let (engine, events) = veriff_mock_send::start(config, source)
        .with_context(|| format!("cannot start deliveries (store {})", store_path.display()))?;
    let run_id = engine.run_id();
    let (ui_tx, ui_rx) = ui_channel(DEFAULT_CAPACITY);
    // Ctrl-C reaches the UI as a key (raw mode); a signal (SIGTERM, kill -INT) closes it the
    // same way, so the terminal is restored and the store flushed.
    let closer = ui_tx.clone();
    let signalled = tokio::spawn(async move {
        crate::shutdown_signal().await;
        closer.close_ui();
    });
    let forward = tokio::spawn(veriff_mock_tui::adapter::forward(events, ui_tx));
    let header = HeaderInfo {
        targets,
        scenario: plan.work_label(),
        retry_policy: plan.engine.retry.to_string(),
        time_scale: Some(plan.engine.retry.time_scale),
        started_at: now(),
    };
    let mut control = engine.control();
    let ui = tokio::task::spawn_blocking(move || -> anyhow::Result<veriff_mock_tui::RunSummary> {
        let store = Store::open_read_only(&store_path).context("cannot read the delivery store")?;
        let mut source = StoreSource::new(store).run(run_id);
        let options = LoopOptions::from_env();
        Ok(run_live_in_terminal(
            header,
            &ui_rx,
            &mut control,
            Some(&mut source),
            &options,
        )?)
    });
    let ui_result = ui.await.context("the terminal UI stopped unexpectedly");
    signalled.abort();
    // However the UI ended (q, Ctrl-C, an error), stop the engine so the store is flushed.
    let stopper = engine.control();
    stopper.stop();
    // Attempts in flight get the grace period: say so, as without the UI, and let a second
    // Ctrl-C end them at once.
    let in_flight = ui_result
        .as_ref()
        .ok()
        .and_then(|r| r.as_ref().ok())
        .is_some_and(|s| s.counts.in_flight > 0);
    if in_flight {
        writeln!(
            io.err,
            "stopping: attempts in flight get up to {} s to finish; press Ctrl-C again to stop now",
            stopper.grace().as_secs()
        )?;
    }
    let now = tokio::spawn(async move {
        crate::shutdown_signal().await;
        stopper.stop_now();
    });
    let waited = engine.wait().await;
    now.abort();
    let mut summary = waited.context("the delivery run failed")?;
    let _ = forward.await;
    ui_result??;
    if summary.pending == 0 && summary.all_queued {
        // Quitting after everything was delivered is not an interruption.
        summary.stopped = false;
    }
    // One summary, the engine's: it counts what the store holds (the UI's own view may have
    // missed updates or attempts cut off by the stop).
    crate::printer::write_summary(&summary, plan.embedded.is_none(), io.out)?;
    Ok(summary)
}
