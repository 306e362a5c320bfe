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
    #[arg(
        long,
        value_name = "veriff|none|LIST",
        allow_hyphen_values = true,
        default_value = "none"
    )]
    pub retry_schedule: String,
    /// Time limit of one attempt.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_duration, allow_hyphen_values = true)]
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
    // (Retry-After honoured within its bounds), then the next one resends what failed. The
    // rounds make one stream: one `ready` first, one summary (`finished`) last.
    let mut rounds = Rounds::new(&ids);
    loop {
        let (summary, missing) = runtime.block_on(resend_round(args, &retry, &ids, &rounds, io))?;
        rounds.add(&summary, missing);
        if summary.stopped {
            return rounds.finish(args, io);
        }
        let failed = unacknowledged(&args.store, &ids, &retry)?;
        if failed.is_empty() {
            return rounds.finish(args, io);
        }
        let wait = failed
            .iter()
            .map(|(id, outcome)| retry.next_delay_for(*id, rounds.done, outcome))
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
            rounds.finish(args, io)?;
            writeln!(
                io.err,
                "veriff-mock: not acknowledged after {} resend(s): {}; {hint}",
                rounds.done,
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
            rounds.total.stopped = true;
            return rounds.finish(args, io);
        }
    }
}

/// The rounds of one `resend`, summed up as one run.
struct Rounds {
    /// Every id given, for the latency figures.
    ids: Vec<DeliveryId>,
    started: std::time::Instant,
    started_ms: i64,
    done: u32,
    total: Summary,
    missing: bool,
}

impl Rounds {
    fn new(ids: &[DeliveryId]) -> Self {
        Self {
            ids: ids.to_vec(),
            started: std::time::Instant::now(),
            started_ms: veriff_mock_send::now_unix_ms(),
            done: 0,
            total: Summary::default(),
            missing: false,
        }
    }

    /// Takes a round's summary in: the resends after the first round are its retries.
    fn add(&mut self, s: &Summary, missing: bool) {
        let t = &mut self.total;
        t.run_id = s.run_id;
        t.delivered += s.delivered;
        t.attempts += s.attempts;
        t.retried += if self.done > 0 { s.attempts } else { s.retried };
        t.exhausted += s.exhausted;
        t.expected_rejections += s.expected_rejections;
        t.unexpected += s.unexpected;
        t.duplicates += s.duplicates;
        t.manual += s.manual;
        t.pending = s.pending;
        t.stopped |= s.stopped;
        self.missing |= missing;
        self.done += 1;
    }

    /// Prints the one summary of every round (latencies from the store: every manual attempt
    /// of these ids since the resend began) and gives the exit code.
    fn finish(&mut self, args: &ResendArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
        let mut hist = veriff_mock_send::Histogram::default();
        if let Ok(store) = veriff_mock_send::Store::open_read_only(&args.store) {
            for &id in &self.ids {
                if let Ok(Some(d)) = store.delivery(id) {
                    d.attempts
                        .iter()
                        .filter(|a| a.trigger == "manual" && a.started_at_ms >= self.started_ms)
                        .for_each(|a| hist.record(a.latency_us));
                }
            }
        }
        let t = &mut self.total;
        t.latency_p50_us = hist.quantile(0.5);
        t.latency_p99_us = hist.quantile(0.99);
        t.latency_max_us = hist.max();
        t.elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let event = veriff_mock_send::DeliveryEvent::Finished { summary: t.clone() };
        let mut out = Vec::new();
        match args.output {
            Output::Ndjson => {
                serde_json::to_writer(&mut out, &event.ndjson())?;
                out.push(b'\n');
            }
            Output::Text => crate::printer::TextPrinter::default().print(&event, &mut out)?,
        }
        io.out.write_all(&out)?;
        io.out.flush()?;
        // Ids still unacknowledged (exit 1) are the caller's to report.
        let code = t.exit_code();
        Ok(if code == 0 && self.missing { 1 } else { code })
    }
}

/// Resends `ids` once each; the summary, and whether some id is not in the store.
async fn resend_round(
    args: &ResendArgs,
    retry: &RetryPolicy,
    ids: &[DeliveryId],
    rounds: &Rounds,
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
    // The summary is printed once, after the last round; `ready` once, before the first.
    let first = rounds.done == 0;
    let keep = move |e: &veriff_mock_send::DeliveryEvent| match e {
        veriff_mock_send::DeliveryEvent::Finished { .. } => false,
        veriff_mock_send::DeliveryEvent::Ready { .. } => first,
        _ => true,
    };
    let printed = crate::cmd::fire::print_events_where(events, args.output, text, io, &keep).await;
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
