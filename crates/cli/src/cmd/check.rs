//! `check`: the conformance suite against a live receiver.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use veriff_mock_check::{
    CheckConfig, DEFAULT_CASES, DEFAULT_CONCURRENCY, MAX_CASES, MAX_CONCURRENCY,
};
use veriff_mock_contract::Kind;

use crate::cmd::receive::parse_duration;
use crate::input::secret;
use crate::{DEFAULT_SECRET, Io};

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckOutput {
    /// A table: PASS/FAIL, check, reason; then a curl command for each failure.
    Text,
    /// One JSON object with every check.
    Json,
}

/// `veriff-mock check`
#[derive(Debug, Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Sends correctly and incorrectly signed webhooks to your receiver and reports, check by check, \
whether it did what Veriff needs: 200 to every valid delivery (re-formatted bodies, unknown fields and event types, \
duplicates included), a rejection for a bad signature, and an answer within the timeout. Then --cases randomized \
payloads (the first failure is shrunk to a minimal payload, printed with a curl command) and --cases broken bodies \
(no 5xx, no hang). Requests go out one at a time unless --concurrency says otherwise, and each one's timeout \
runs from when it is sent.\n\nExit status: 0 every check passed, 1 some check failed (an unreachable receiver included), \
2 bad arguments.\n\nExamples:\n  veriff-mock check --to http://127.0.0.1:3000/veriff/webhook --secret \"$VERIFF_SHARED_SECRET\"\n  \
veriff-mock check --to http://127.0.0.1:3000/decision --kind decision --junit check.xml\n  \
veriff-mock check --to http://127.0.0.1:8080/ --output json --cases 200 --seed 7"
)]
pub struct CheckArgs {
    /// The receiver's URL, http or https (Veriff calls one URL per kind: pass --kind to check
    /// one).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Shared secret key your receiver verifies with. Default: the public test secret of
    /// Veriff's docs (the one `receive` uses by default).
    #[arg(long, env = "VERIFF_SHARED_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// API key sent in X-AUTH-CLIENT (also the wrong key the api-key-as-secret check signs with).
    #[arg(
        long,
        env = "VERIFF_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,
    /// Only these kinds (repeat the flag); all when not given.
    #[arg(long, short, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Vec<Kind>,
    /// Randomized valid payloads, and as many broken ones, in the property phase (0 skips it;
    /// at most 10000).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CASES)]
    pub cases: u32,
    /// Seed of every payload sent, so a run can be replayed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also write the results as JUnit XML (one testcase per check) to this file, for CI.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = CheckOutput::Text)]
    pub output: CheckOutput,
    /// Time each answer must come within, e.g. `2s`, `500ms`.
    #[arg(long, value_name = "DUR", value_parser = parse_duration, allow_hyphen_values = true, default_value = "2s")]
    pub timeout: Duration,
    /// Requests in flight at once. The default, 1, suits every receiver, one that serves one
    /// request at a time included (a sync worker, `php -S`); more finishes sooner against one
    /// that serves requests in parallel.
    #[arg(long, short = 'c', value_name = "N", default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Accept any TLS certificate (self-signed development certificates).
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file, and any self-signed certificate in it for
    /// the names it was issued for.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse()
        .map_err(|e: veriff_mock_contract::UnknownValue| e.to_string())
}

/// Runs the suite; exit code 0 when every check passed, 1 otherwise.
pub fn run(args: &CheckArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    // The same words as fire's for the same mistake.
    crate::config::check_url(&args.to, "--to")?;
    anyhow::ensure!(
        !args.timeout.is_zero(),
        "--timeout must be longer than 0, e.g. 2s"
    );
    anyhow::ensure!(
        (1..=MAX_CONCURRENCY).contains(&args.concurrency),
        "--concurrency must be between 1 and {MAX_CONCURRENCY}, e.g. 1 (one request at a time)"
    );
    anyhow::ensure!(
        args.cases <= MAX_CASES,
        "--cases {} is more than the maximum of {MAX_CASES}: pass --cases {MAX_CASES} or fewer \
         (each case is a request)",
        args.cases
    );
    let secret = secret(args.secret.as_deref(), Some(DEFAULT_SECRET))?;
    let api_key = crate::input::api_key(args.api_key.as_deref())?;
    let api_key = api_key.as_str();
    // Compared through what each signs, so the secret itself is never handled as text here.
    let same = veriff_mock_contract::SharedSecret::new(api_key).is_ok_and(|key| {
        veriff_mock_contract::sign_hex(&key, b"") == veriff_mock_contract::sign_hex(&secret, b"")
    });
    anyhow::ensure!(
        !same,
        "--api-key is the shared secret itself, so no check can tell a receiver that keys the HMAC \
         with the API key from a correct one; pass the integration's API key"
    );
    let config = CheckConfig::new(&args.to, secret)?
        .api_key(api_key)?
        .kinds(args.kind.iter().copied())
        .cases(args.cases)
        .seed(args.seed)
        .timeout(args.timeout)
        .concurrency(args.concurrency)
        .tls(args.insecure, args.ca.clone())?;
    let runtime = crate::runtime()?;
    let report = runtime.block_on(veriff_mock_check::run(&config));
    if let Some(path) = &args.junit {
        std::fs::write(path, report.to_junit())
            .with_context(|| format!("cannot write the JUnit report to {}", path.display()))?;
    }
    match args.output {
        CheckOutput::Text => {
            // On a terminal, long reasons wrap under their column instead of running off it.
            let width = io
                .terminal
                .then(terminal_size::terminal_size)
                .flatten()
                .map(|(w, _)| usize::from(w.0));
            write!(io.out, "{}", report.to_text_width(width))?;
        }
        CheckOutput::Json => writeln!(io.out, "{}", report.to_json())?,
    }
    io.out.flush()?;
    let failed = report.failures().count();
    if failed == 0 {
        return Ok(0);
    }
    // When nothing listens there, that is the one cause of every failure: say so.
    let cause = if let Some(diagnosis) = &report.diagnosis {
        format!(": {diagnosis}")
    } else if failed == report.checks.iter().filter(|c| !c.skipped).count() {
        unreachable(&config.url(), args.timeout)
            .map(|why| format!(": {why}; start your receiver, or fix --to"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    writeln!(
        io.err,
        "veriff-mock: {failed} of {} checks failed{cause}",
        report.checks.len()
    )?;
    Ok(1)
}

/// Why no TCP connection can be made to `url`'s host and port, if none can.
fn unreachable(url: &str, timeout: std::time::Duration) -> Option<String> {
    use std::net::{TcpStream, ToSocketAddrs};
    let uri: http::Uri = url.parse().ok()?;
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let addrs: Vec<_> = match (host, port).to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        Err(e) => return Some(format!("cannot resolve {host}: {e}")),
    };
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(_) => return None,
            Err(e) => last = Some(e),
        }
    }
    last.map(|e| format!("nothing answers at {host}:{port} ({e})"))
}
