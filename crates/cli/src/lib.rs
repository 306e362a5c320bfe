//! The `veriff-mock` command line: generate, sign and verify Veriff webhook payloads.
//!
//! `main.rs` only parses and calls [`run`], so integration tests drive every command in-process:
//!
//! ```
//! let (mut out, mut err) = (Vec::new(), Vec::new());
//! let mut io = veriff_mock::Io { out: &mut out, err: &mut err, terminal: false };
//! let code = veriff_mock::main_with(["veriff-mock", "sign", "../../fixtures/veriff-docs/signature-vector-3.body"], &mut io);
//! assert_eq!(code, 0);
//! assert_eq!(out, b"895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd\n");
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cmd;
mod config;
mod error;
mod input;
mod live;
mod printer;

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use error::{Failure, exit_code_of, report_error};

/// The shared secret used when none is given: the one Veriff's docs use for their published test
/// vectors. It is public, so it is only fit for local development.
pub const DEFAULT_SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";
/// The API key sent in `X-AUTH-CLIENT` when none is given.
pub const DEFAULT_API_KEY: &str = "00000000-0000-4000-8000-000000000000";
/// The integration id sent in `vrf-integration-id` (with `--vrf-headers`) unless one is given.
pub const DEFAULT_INTEGRATION_ID: &str = "00000000-0000-4000-8000-000000000001";

/// Generate, sign and fire realistic Veriff webhooks at your own server.
#[derive(Debug, Parser)]
#[command(name = "veriff-mock", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses a command line (program name first) like [`Parser::try_parse_from`], then settles
    /// what depends on where a value came from, which clap's own checks cannot tell: a
    /// `VERIFF_*` variable set but empty counts as unset; `receive --no-verify` ignores
    /// `VERIFF_SHARED_SECRET`, and only an explicit `--secret` conflicts with it.
    ///
    /// # Errors
    /// A usage error, as clap reports it.
    pub fn try_parse_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut command = Self::command();
        let matches = command.try_get_matches_from_mut(args)?;
        let mut cli = Self::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        if let Some((_, sub)) = matches.subcommand() {
            cli.command.settle_sources(sub, &mut command)?;
        }
        Ok(cli)
    }
}

impl Command {
    /// Drops values that only came from the environment where they do not apply.
    fn settle_sources(
        &mut self,
        sub: &clap::ArgMatches,
        command: &mut clap::Command,
    ) -> Result<(), clap::Error> {
        use clap::parser::ValueSource;
        let from_env = |id: &str| {
            sub.ids().any(|i| i == id) && sub.value_source(id) == Some(ValueSource::EnvVariable)
        };
        // A variable set but empty (an unset one exported as `VERIFF_SHARED_SECRET=`) counts as
        // unset; an explicit `--secret ""` stays an error.
        for id in ["secret", "api_key", "integration_id"] {
            if from_env(id)
                && sub
                    .get_one::<String>(id)
                    .is_some_and(|v| v.trim().is_empty())
                && let Some(field) = self.env_field(id)
            {
                *field = None;
            }
        }
        if let Command::Receive(r) = self
            && r.no_verify
            && r.secret.is_some()
        {
            if !from_env("secret") {
                return Err(command.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--no-verify cannot be used with --secret: drop --secret to accept any \
                     signature, or drop --no-verify to check them",
                ));
            }
            r.secret = None;
        }
        Ok(())
    }

    /// The field of an argument that can come from the environment.
    fn env_field(&mut self, id: &str) -> Option<&mut Option<String>> {
        match (self, id) {
            (Command::Generate(a), "secret") => Some(&mut a.secret),
            (Command::Generate(a), "api_key") => Some(&mut a.api_key),
            (Command::Generate(a), "integration_id") => Some(&mut a.integration_id),
            (Command::Sign(a), "secret") => Some(&mut a.secret),
            (Command::Verify(a), "secret") => Some(&mut a.secret),
            (Command::Fire(a), "secret") => Some(&mut a.secret),
            (Command::Fire(a), "api_key") => Some(&mut a.api_key),
            (Command::Fire(a), "integration_id") => Some(&mut a.integration_id),
            (Command::Receive(a), "secret") => Some(&mut a.secret),
            (Command::Check(a), "secret") => Some(&mut a.secret),
            (Command::Check(a), "api_key") => Some(&mut a.api_key),
            _ => None,
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print realistic, consistent Veriff webhook payloads (NDJSON on stdout by default).
    Generate(cmd::generate::GenerateArgs),
    /// Print the X-HMAC-SIGNATURE of a body: lower-case hex HMAC-SHA256 of its exact bytes.
    Sign(cmd::sign::SignArgs),
    /// Check a signature against a body. Exit 0 valid, 1 invalid (reason on stderr).
    Verify(cmd::sign::VerifyArgs),
    /// Deliver payloads to your server the way Veriff does: signed, retried, recorded.
    Fire(Box<cmd::fire::FireArgs>),
    /// Run a receiver that verifies Veriff webhooks the right way, with scripted faults.
    Receive(cmd::receive::ReceiveArgs),
    /// Open the terminal UI over a delivery store (a past run, or one running now).
    Watch(cmd::watch::WatchArgs),
    /// Deliver stored payloads again, byte-identically.
    Resend(cmd::resend::ResendArgs),
    /// Fire a realistic mix at an embedded receiver that fails a third of the time, live.
    Demo(cmd::demo::DemoArgs),
    /// Run a conformance suite against your receiver: signatures, compatibility, duplicates, time-outs.
    Check(cmd::check::CheckArgs),
}

/// Where a command writes: data to `out`, diagnostics to `err`. Tests pass buffers.
#[allow(missing_debug_implementations)]
pub struct Io<'a> {
    /// Data (payloads, signatures, events).
    pub out: &'a mut dyn Write,
    /// Diagnostics.
    pub err: &'a mut dyn Write,
    /// Whether `out` is a terminal that can draw the UI (the TUI opens only then); see
    /// [`can_draw_ui`].
    pub terminal: bool,
}

/// True when stdout is a terminal the UI can be drawn on: `TERM=dumb`, or no `TERM` at all, is
/// treated like a pipe (text output by default, `--tui` refused).
#[must_use]
pub fn can_draw_ui(stdout_is_terminal: bool, term: Option<&std::ffi::OsStr>) -> bool {
    stdout_is_terminal && term.is_some_and(|t| !t.is_empty() && t != "dumb")
}

/// Parses `args` (including the program name), runs the command and returns the exit code:
/// 0 success, 1 a failed check or delivery, 2 usage or configuration error. Every error is
/// reported as one line on `io.err`.
pub fn main_with<I, T>(args: I, io: &mut Io<'_>) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_args(args) {
        Ok(cli) => cli,
        Err(e) => return report_clap_error(&e, io),
    };
    let mut out = DataOut(&mut *io.out);
    let mut io = Io {
        out: &mut out,
        err: &mut *io.err,
        terminal: io.terminal,
    };
    let io = &mut io;
    match run(cli, io) {
        Ok(code) => code,
        Err(error) => {
            report_error(&error, io.err);
            exit_code_of(&error)
        }
    }
}

/// The data output, whose errors say it was stdout that could not be written (a full disk, a
/// closed pipe), in every command. The kind of error is kept, so a closed pipe is still told
/// apart.
struct DataOut<'a>(&'a mut dyn Write);

impl DataOut<'_> {
    fn label(e: std::io::Error) -> std::io::Error {
        std::io::Error::new(e.kind(), format!("cannot write to stdout: {e}"))
    }
}

impl Write for DataOut<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(Self::label)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(Self::label)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(Self::label)
    }
}

fn report_clap_error(e: &clap::Error, io: &mut Io<'_>) -> u8 {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return match write!(io.out, "{}", e.render()).and_then(|()| io.out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                let _ = writeln!(io.err, "veriff-mock: cannot write to stdout: {e}");
                2
            }
            _ => 0,
        };
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = write!(io.err, "{}", e.render());
        return 2;
    }
    // One line: clap's first line, plus its tip when it has one.
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_owned();
    if first.ends_with(':') {
        // A list follows (the required arguments not given): name them on the same line.
        let listed: Vec<&str> = lines
            .clone()
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("tip: "))
            .collect();
        first = format!("{} {}", first, listed.join(", "));
    }
    // The standard library's number parse errors, said as what is expected instead.
    for (said, expected) in [
        ("invalid digit found in string", "expected a whole number"),
        (
            "invalid float literal",
            "expected a number such as 0.5 or 10",
        ),
        (
            "number too large to fit in target type",
            "the number is too large",
        ),
        (
            "cannot parse integer from empty string",
            "expected a whole number",
        ),
    ] {
        if first.ends_with(said) {
            first = format!("{}{expected}", &first[..first.len() - said.len()]);
        }
    }
    if let Some(values) = lines.clone().find(|l| l.starts_with("[possible values: ")) {
        first = format!("{first} {values}");
    }
    let tip = lines.find_map(|l| l.strip_prefix("tip: "));
    let _ = match tip {
        Some(tip) => writeln!(io.err, "veriff-mock: {first}; {tip}; see --help"),
        None => writeln!(io.err, "veriff-mock: {first}; see --help"),
    };
    2
}

/// Runs a parsed command line and returns its exit code.
///
/// # Errors
/// Any failure; [`exit_code_of`] says which exit code it maps to.
pub fn run(cli: Cli, io: &mut Io<'_>) -> anyhow::Result<u8> {
    match cli.command {
        Command::Generate(args) => cmd::generate::run(&args, io),
        Command::Sign(args) => cmd::sign::run_sign(&args, io),
        Command::Verify(args) => cmd::sign::run_verify(&args, io),
        Command::Fire(args) => cmd::fire::run(&args, io),
        Command::Receive(args) => cmd::receive::run(&args, io),
        Command::Watch(args) => cmd::watch::run(&args, io),
        Command::Resend(args) => cmd::resend::run(&args, io),
        Command::Demo(args) => cmd::demo::run(&args, io),
        Command::Check(args) => cmd::check::run(&args, io),
    }
}

/// The async runtime for commands that do I/O: one worker thread per CPU.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    runtime_with(None)
}

/// The async runtime, with `workers` worker threads when given (and `TOKIO_WORKER_THREADS` is
/// not set: that still wins), else one per CPU.
fn runtime_with(workers: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers.filter(|_| std::env::var_os("TOKIO_WORKER_THREADS").is_none()) {
        builder.worker_threads(n.max(1));
    }
    builder
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn a_dumb_or_unknown_terminal_cannot_draw_the_ui() {
        use std::ffi::OsStr;
        assert!(can_draw_ui(true, Some(OsStr::new("xterm-256color"))));
        assert!(!can_draw_ui(true, Some(OsStr::new("dumb"))));
        assert!(!can_draw_ui(true, Some(OsStr::new(""))));
        assert!(!can_draw_ui(true, None));
        assert!(!can_draw_ui(false, Some(OsStr::new("xterm"))));
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_negative_duration_is_named_as_such_by_every_duration_flag() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("empty.db");
        std::fs::write(&store, b"").unwrap();
        let store = store.to_str().unwrap();
        let lines: &[(&[&str], &str)] = &[
            (&["fire", "--timeout", "-1s"], "'--timeout"),
            (&["fire", "--connect-timeout", "-1s"], "'--connect-timeout"),
            (&["fire", "--retry-schedule", "5s,-1s"], "--retry-schedule"),
            (&["receive", "--delay", "-1s"], "'--delay"),
            (&["resend", "1", "--timeout", "-1s"], "'--timeout"),
            (
                &["resend", "1", "--store", store, "--retry-schedule", "-1s"],
                "--retry-schedule",
            ),
            (
                &["check", "--to", "http://127.0.0.1:1/", "--timeout", "-1s"],
                "'--timeout",
            ),
        ];
        for (line, flag) in lines {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let mut io = Io {
                out: &mut out,
                err: &mut err,
                terminal: false,
            };
            let code = main_with(
                std::iter::once("veriff-mock").chain(line.iter().copied()),
                &mut io,
            );
            let err = String::from_utf8_lossy(&err);
            assert_eq!(code, 2, "{line:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{line:?}: {err}");
            assert!(
                err.contains(flag) && err.contains("durations cannot be negative"),
                "{line:?}: {err}"
            );
        }
    }

    #[test]
    fn every_flag_parses_into_its_field() {
        let lines: &[&[&str]] = &[
            &[
                "generate",
                "--kind",
                "watchlist",
                "--status",
                "no_match",
                "--count",
                "3",
                "--seed",
                "1",
                "--set",
                "a=1",
                "--set",
                "b=2",
                "--secret",
                "s",
                "--api-key",
                "k",
                "--out",
                "d",
                "--format",
                "http",
                "--to",
                "http://x/",
            ],
            &["sign", "--secret", "s", "-"],
            &["verify", "--secret", "s", "--signature", "00", "f"],
            &[
                "receive",
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--secret",
                "s",
                "--require-api-key",
                "k",
                "--fail-rate",
                "0.5",
                "--status-sequence",
                "500,500,200",
                "--delay",
                "20ms",
                "--drop-rate",
                "0.1",
                "--seed",
                "3",
            ],
            &[
                "fire",
                "--to",
                "http://127.0.0.1:1/",
                "--kind",
                "decision",
                "--kind",
                "event",
                "--count",
                "3",
                "--seed",
                "1",
                "--secret",
                "s",
                "--api-key",
                "k",
                "--resume",
                "--concurrency",
                "4",
                "--rate",
                "10/s",
                "--retry-schedule",
                "5s,1m",
                "--time-scale",
                "3600",
                "--accept-2xx",
                "--jitter",
                "0.1",
                "--timeout",
                "2s",
                "--connect-timeout",
                "1s",
                "--insecure",
                "--ca",
                "ca.pem",
                "--vrf-headers",
                "--integration-id",
                "i",
                "--legacy-signature",
                "--store",
                "x.db",
                "--output",
                "ndjson",
                "--no-tui",
                "--duplicate-rate",
                "0.1",
                "--shuffle",
                "4",
                "--compat",
                "--tamper-rate",
                "0.2",
            ],
            &[
                "fire",
                "--config",
                "veriff-mock.toml",
                "--scenario",
                "resubmission",
                "--tui",
            ],
            &[
                "resend",
                "1",
                "2",
                "--store",
                "x.db",
                "--retry-schedule",
                "none",
                "--timeout",
                "1s",
                "--output",
                "text",
            ],
            &["watch", "--store", "x.db"],
            &[
                "demo",
                "--count",
                "3",
                "--seed",
                "1",
                "--time-scale",
                "60",
                "--fail-rate",
                "0.5",
                "--store",
                "x.db",
                "--output",
                "ndjson",
                "--no-tui",
            ],
        ];
        for line in lines {
            let cli =
                Cli::try_parse_from(std::iter::once("veriff-mock").chain(line.iter().copied()));
            assert!(cli.is_ok(), "{line:?}: {}", cli.unwrap_err());
        }
        let Ok(Cli {
            command: Command::Receive(r),
        }) = Cli::try_parse_from(["veriff-mock", "receive", "--status-sequence", "500,500,200"])
        else {
            panic!("receive did not parse")
        };
        assert_eq!(r.status_sequence.map(|s| s.0), Some(vec![500, 500, 200]));
    }
}
