//! `resend`: deliver stored payloads again, byte-identically, as manual attempts.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use veriff_mock_send::{
    DeliveryId, EngineConfig, ErrorKind, JobSource, Outcome, RetryPolicy, Summary,
    headers_from_text, parse_retry_after,
};

use crate::Io;
use crate::cmd::fire::Output;
use crate::cmd::receive::parse_duration;

/// `veriff-mock resend ID...`
#[derive(Debug, Args)]
#[command(
    after_help = "Delivery ids are the #N of fire's output and the TUI. The stored body and signed \
headers are sent again unchanged (no secret needed), to the URL stored with them.\n\n\
Example:\n  veriff-mock resend 12 13 --store .veriff-mock/deliveries.db"
)]
pub struct ResendArgs {
    /// Delivery ids.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<u64>,
    /// The delivery store.
    #[arg(long, value_name = "PATH", default_value = veriff_mock_send::DEFAULT_STORE_PATH)]
    pub store: PathBuf,
    /// Retry a resend that is not acknowledged per this schedule (`none` by default: one
    /// attempt each). Exit 1 when some delivery is still not acknowledged.
    #[arg(long, value_name = "veriff|none|LIST", default_value = "none")]
    pub retry_schedule: String,
    /// Time limit of one attempt.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Output.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

pub fn run(args: &ResendArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    anyhow::ensure!(
        args.store.exists(),
        "no delivery store at {}: run `veriff-mock fire` first, or pass --store PATH",
        args.store.display()
    );
    anyhow::ensure!(
        !args.timeout.is_zero(),
        "--timeout must be more than 0s, e.g. --timeout 30s"
    );
    let retry: RetryPolicy = crate::cmd::fire::parse_retry(&args.retry_schedule)?;
    // A running `fire` would go on with its own attempts of these deliveries.
    let _lock = crate::cmd::fire::lock_store(&args.store, "")?;
    let runtime = crate::runtime()?;
    // Each id once, in the order given.
    let mut ids: Vec<DeliveryId> = Vec::new();
    for id in &args.ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    // One round resends every id still unacknowledged; a failed round waits as the schedule says
    // (Retry-After honoured within its bounds), then the next one resends what failed.
    let mut round = 0u32;
    // A receiver that accepted a payload tampered on purpose: reported once, not resent.
    let mut unexpected = 0;
    loop {
        round += 1;
        let (summary, missing) = runtime.block_on(resend_round(args, &retry, &ids, io))?;
        unexpected += summary.unexpected;
        if summary.stopped {
            return Ok(summary.exit_code());
        }
        let failed = unacknowledged(&args.store, &ids, &retry)?;
        if failed.is_empty() {
            return Ok(if missing || unexpected > 0 {
                1
            } else {
                summary.exit_code()
            });
        }
        let wait = failed
            .iter()
            .map(|(id, outcome)| retry.next_delay_for(*id, round, outcome))
            .collect::<Option<Vec<_>>>()
            .and_then(|w| w.into_iter().max());
        let list = |v: &[(DeliveryId, Outcome)]| {
            v.iter()
                .map(|(id, _)| format!("#{id}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(wait) = wait else {
            let hint = if retry.max_attempts() > 1 {
                "the retry schedule is used up; check the receiver"
            } else {
                "pass --retry-schedule (e.g. 5s,1m) to retry, or check the receiver"
            };
            writeln!(
                io.err,
                "not acknowledged after {round} resend(s): {}; {hint}",
                list(&failed)
            )?;
            return Ok(1);
        };
        writeln!(
            io.err,
            "not acknowledged: {}; resending in {wait:?}",
            list(&failed),
        )?;
        ids = failed.into_iter().map(|(id, _)| id).collect();
        let stopped = runtime.block_on(async {
            tokio::select! {
                () = tokio::time::sleep(wait) => false,
                () = crate::shutdown_signal() => true,
            }
        });
        if stopped {
            return Ok(130);
        }
    }
}

/// Resends `ids` once each; the summary, and whether some id is not in the store.
async fn resend_round(
    args: &ResendArgs,
    retry: &RetryPolicy,
    ids: &[DeliveryId],
    io: &mut Io<'_>,
) -> anyhow::Result<(Summary, bool)> {
    let mut config = EngineConfig::default();
    config.store_path.clone_from(&args.store);
    // Manual attempts are not retried by the engine (rounds do that); the schedule is shown.
    config.retry = retry.clone();
    config.http.timeout = args.timeout;
    config.resend = ids.to_vec();
    config.run_label = "resend".into();
    // Name each delivery in the output as fire did (kind, status, session).
    let mut text = crate::printer::TextPrinter::default();
    if let Ok(store) = veriff_mock_send::Store::open_read_only(&args.store) {
        text = text.naming_from(store);
    }
    let (engine, events) =
        veriff_mock_send::start(config, JobSource::none()).context("cannot resend")?;
    let stop = crate::cmd::fire::stop_on_signals(engine.control());
    let printed = crate::cmd::fire::print_events(events, args.output, text, io).await;
    let summary = engine.wait().await.context("the resend failed");
    stop.abort();
    printed?;
    let summary = summary?;
    let missing = summary.manual < ids.len() as u64;
    Ok((summary, missing))
}

/// The ids whose latest manual attempt was not acknowledged, with its outcome. A payload
/// tampered on purpose counts as answered once the receiver gave a status.
fn unacknowledged(
    store: &std::path::Path,
    ids: &[DeliveryId],
    policy: &RetryPolicy,
) -> anyhow::Result<Vec<(DeliveryId, Outcome)>> {
    let store = veriff_mock_send::Store::open_read_only(store).context("cannot resend")?;
    let mut failed = Vec::new();
    for &id in ids {
        let Some(d) = store.delivery(id)? else {
            continue;
        };
        let Some(last) = d.attempts.iter().rev().find(|a| a.trigger == "manual") else {
            continue;
        };
        let outcome = match (last.http_status, last.error_kind.as_deref()) {
            (Some(code), _) => Outcome::Status {
                code,
                retry_after: headers_from_text(&last.response_headers)
                    .into_iter()
                    .find(|(name, _)| name == http::header::RETRY_AFTER)
                    .and_then(|(_, value)| {
                        parse_retry_after(value.to_str().ok()?, last.finished_at_ms)
                    }),
            },
            (None, kind) => Outcome::Error(
                kind.and_then(ErrorKind::from_name)
                    .unwrap_or(ErrorKind::Protocol),
            ),
        };
        // A tampered payload gets a verdict either way: rejected as it should be, or accepted
        // (an unexpected outcome, which resending does not change).
        let acknowledged = match outcome {
            Outcome::Status { .. } if d.delivery.tampered => true,
            Outcome::Status { code, .. } => policy.is_success(code),
            Outcome::Error(_) => false,
        };
        if !acknowledged {
            failed.push((id, outcome));
        }
    }
    Ok(failed)
}
