//! `receive`: the embedded receiver as a standalone server.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use veriff_mock_receiver::Receiver;
use veriff_mock_receiver::broadcast::error::TryRecvError;

use crate::input::secret;
use crate::{DEFAULT_SECRET, Io};

/// How often the request log is written.
const LOG_TICK: Duration = Duration::from_millis(20);

/// `veriff-mock receive`
#[derive(Debug, Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Answers 200 to a correctly signed Veriff webhook (unknown event types included), 401 to a missing \
or wrong signature, 400 to a body that is not a Veriff webhook. Prints the URL it listens on, then one line per request.\n\n\
Examples:\n  veriff-mock receive --port 8080\n  veriff-mock receive --status-sequence 500,500,200     # every payload fails twice, then succeeds\n  \
veriff-mock receive --fail-rate 0.3 --delay 200ms"
)]
pub struct ReceiveArgs {
    /// Port to listen on; 0 picks a free one (printed).
    #[arg(long, short, default_value_t = 8080)]
    pub port: u16,
    /// Address to bind. Default 127.0.0.1 (this machine only); 0.0.0.0 or :: listens on every
    /// interface, reachable from other machines.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Shared secret key the signatures are checked with. Default: the public test secret of
    /// Veriff's docs (the one `fire` uses by default).
    #[arg(long, env = "VERIFF_SHARED_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Do not check signatures at all (accept any). VERIFF_SHARED_SECRET is then ignored; an
    /// explicit --secret is refused.
    #[arg(long)]
    pub no_verify: bool,
    /// Also require `X-AUTH-CLIENT` to equal this API key.
    #[arg(long, value_name = "KEY")]
    pub require_api_key: Option<String>,
    /// Answer 500 to this fraction (0..1) of valid requests, at random (seeded).
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Statuses to answer, in order, to successive attempts of each payload; after the list, the
    /// normal answer. E.g. `500,500,200`.
    #[arg(long, value_name = "LIST", value_parser = parse_sequence)]
    pub status_sequence: Option<StatusSequence>,
    /// Wait this long before answering, e.g. `200ms`, `2s`.
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true)]
    pub delay: Option<Duration>,
    /// Close this fraction (0..1) of connections without answering.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Seed for --fail-rate and --drop-rate.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Be wrong on purpose, to see `veriff-mock check` catch it: skip-signature, restringify,
    /// trim-body, case-sensitive-hex, prefix-signature, strict-schema, unknown-kind-500,
    /// null-person-500 (a null person, document or first name), not-idempotent, slow (answers
    /// after 3 s).
    #[arg(long, value_name = "NAME", value_parser = parse_flaw)]
    pub flaw: Option<veriff_mock_receiver::Flaw>,
}

fn parse_flaw(s: &str) -> Result<veriff_mock_receiver::Flaw, String> {
    s.parse()
        .map_err(|e: veriff_mock_contract::UnknownValue| e.to_string())
}

/// A list of HTTP statuses, e.g. `500,500,200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSequence(pub Vec<u16>);

fn parse_sequence(s: &str) -> Result<StatusSequence, String> {
    veriff_mock_receiver::parse_status_sequence(s)
        .map(StatusSequence)
        .map_err(|e| e.to_string())
}

/// Parses `500ms`, `5s`, `1m`, `2h`, `1d`. Duration flags take values starting with `-`
/// (`allow_hyphen_values`), so that a negative one gets here and is named as such.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.starts_with("--") {
        return Err("a flag, not a duration: give the flag a value, e.g. 500ms, 5s, 1m".to_owned());
    }
    if s.starts_with('-') {
        return Err("durations cannot be negative; write e.g. 500ms, 5s, 1m, 2h, 1d".to_owned());
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is not a duration ({e}); write e.g. 500ms, 5s, 1m, 2h, 1d"))
}

pub fn run(args: &ReceiveArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    let mut builder = Receiver::builder()
        .bind(SocketAddr::new(args.bind, args.port))
        .fail_rate(args.fail_rate)
        .drop_rate(args.drop_rate)
        .seed(args.seed);
    if !args.no_verify {
        builder = builder.secret(secret(args.secret.as_deref(), Some(DEFAULT_SECRET))?);
    }
    if let Some(key) = &args.require_api_key {
        builder = builder.api_key(key.clone());
    }
    if let Some(sequence) = &args.status_sequence {
        builder = builder.status_sequence(sequence.0.iter().copied());
    }
    if let Some(delay) = args.delay {
        builder = builder.delay(delay);
    }
    if let Some(flaw) = args.flaw {
        builder = builder.flaw(flaw);
    }
    let runtime = crate::runtime()?;
    runtime.block_on(async {
        let receiver = builder.start().await.context("cannot start the receiver")?;
        let mut requests = receiver.subscribe();
        writeln!(io.out, "veriff-mock receiver {}", receiver.config())?;
        writeln!(io.out, "url: {}", receiver.url())?;
        io.out.flush()?;
        let stop = crate::shutdown_signal();
        tokio::pin!(stop);
        // The log is written in batches on a short tick rather than woken per request: a busy
        // receiver is then not slowed by its own log (one write per tick, no wake-up per line).
        let mut tick = tokio::time::interval(LOG_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
        let mut open = true;
        while open {
            tokio::select! {
                () = &mut stop => open = false,
                _ = tick.tick() => {}
            }
            loop {
                match requests.try_recv() {
                    Ok(record) => writeln!(buf, "{record}")?,
                    Err(TryRecvError::Lagged(n)) => {
                        writeln!(io.err, "({n} request lines skipped: printing fell behind)")?;
                    }
                    Err(TryRecvError::Closed) => {
                        open = false;
                        break;
                    }
                    Err(TryRecvError::Empty) => break,
                }
                if buf.len() >= 64 * 1024 {
                    io.out.write_all(&buf)?;
                    buf.clear();
                }
            }
            if !buf.is_empty() {
                io.out.write_all(&buf)?;
                io.out.flush()?;
                buf.clear();
            }
        }
        let stats = receiver.shutdown().await;
        writeln!(
            io.err,
            "received {} requests: {} ok, {} unauthorized, {} bad request, {} failed on purpose, {} dropped",
            stats.requests, stats.ok, stats.unauthorized, stats.bad_request, stats.failed_on_purpose, stats.dropped
        )?;
        Ok(0)
    })
}
