//! `resend`: deliver stored payloads again, byte-identically, as manual attempts.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use veriff_mock_send::{EngineConfig, JobSource, RetryPolicy};

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
    /// Retry a failed resend per this schedule (`none` by default: one attempt each).
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
    let retry: RetryPolicy = crate::cmd::fire::parse_retry(&args.retry_schedule)?;
    let mut config = EngineConfig::default();
    config.store_path.clone_from(&args.store);
    config.retry = retry;
    config.http.timeout = args.timeout;
    config.resend.clone_from(&args.ids);
    config.run_label = "resend".into();
    let output = args.output;
    // Name each delivery in the output as fire did (kind, status, session).
    let mut text = crate::printer::TextPrinter::default();
    if let Ok(store) = veriff_mock_send::Store::open_read_only(&args.store) {
        text = text.naming_from(store);
    }
    let runtime = crate::runtime()?;
    let summary = runtime.block_on(async {
        let (engine, events) = veriff_mock_send::start(config, JobSource::none())
            .with_context(|| format!("cannot open the delivery store {}", args.store.display()))?;
        crate::cmd::fire::print_events(events, output, text, io).await?;
        engine.wait().await.context("the resend failed")
    })?;
    let missing = summary.manual < args.ids.len() as u64;
    Ok(if missing && summary.exit_code() == 0 {
        1
    } else {
        summary.exit_code()
    })
}
