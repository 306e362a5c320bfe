//! `watch`: the terminal UI over a delivery store, a past run or one being written right now.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::Args;
use veriff_mock_send::{RunRow, Store};
use veriff_mock_tui::adapter::StoreSource;
use veriff_mock_tui::{LoopOptions, run_watch_in_terminal};

use crate::Io;

/// `veriff-mock watch [--store PATH]`
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The delivery store.
    #[arg(long, value_name = "PATH", default_value = veriff_mock_send::DEFAULT_STORE_PATH)]
    pub store: PathBuf,
}

pub fn run(args: &WatchArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    anyhow::ensure!(
        args.store.exists(),
        "no delivery store at {}: run `veriff-mock fire` first, or pass --store PATH",
        args.store.display()
    );
    anyhow::ensure!(
        io.terminal,
        "watch needs a terminal, and stdout is not one (or TERM is dumb or unset); from a script, query the store with \
         sqlite3 (README: The delivery store), e.g. sqlite3 {} \"select id, kind, state from \
         deliveries\"",
        args.store.display()
    );
    let store = Store::open_read_only(&args.store)
        .with_context(|| format!("cannot open the delivery store {}", args.store.display()))?;
    let (scenario, retry, scale) = describe(&store.runs().unwrap_or_default());
    let mut source = StoreSource::new(store).describe(scenario, retry, scale);
    // Ctrl-C reaches the UI as a key (raw mode); SIGTERM or `kill -INT` ends it as `q` does,
    // so the terminal is restored.
    let close = Arc::new(AtomicBool::new(false));
    let signals = crate::runtime_with(Some(1))?;
    let closer = Arc::clone(&close);
    signals.spawn(async move {
        crate::shutdown_signal().await;
        closer.store(true, Ordering::Relaxed);
    });
    let summary = run_watch_in_terminal(&mut source, &LoopOptions::from_env(), Some(&close))?;
    signals.shutdown_background();
    writeln!(io.out, "{summary}")?;
    Ok(0)
}

/// What the header says about the runs of a store: the newest `fire`'s label (`mixed`,
/// `decision+event`), its retry schedule and time scale from its stored spec. What the store
/// does not record is left empty (and not shown), never guessed.
fn describe(runs: &[RunRow]) -> (String, String, Option<f64>) {
    // Resends and resumes with nothing new to fire are not what the store was filled with.
    let fired: Vec<&RunRow> = runs
        .iter()
        .filter(|r| !matches!(r.label.as_str(), "" | "resend" | "resume"))
        .collect();
    let Some(newest) = fired.first() else {
        return (String::new(), String::new(), None);
    };
    let mut scenario = newest.label.clone();
    if fired.len() > 1 {
        scenario.push_str(&format!(" (newest of {} runs)", fired.len()));
    }
    let spec = newest
        .spec
        .as_deref()
        .and_then(|text| serde_json::from_str::<crate::cmd::fire::spec::RunSpec>(text).ok());
    match spec {
        Some(spec) => (
            scenario,
            spec.retry_schedule().to_owned(),
            Some(spec.time_scale()),
        ),
        None => (scenario, String::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: u64, label: &str, spec: Option<&str>) -> RunRow {
        RunRow {
            id,
            started_at_ms: 0,
            label: label.to_owned(),
            spec: spec.map(str::to_owned),
        }
    }

    #[test]
    fn the_header_names_the_newest_fire_and_only_what_was_stored() {
        assert_eq!(describe(&[]), (String::new(), String::new(), None));
        assert_eq!(
            describe(&[run(2, "resend", None), run(1, "decision", None)]),
            ("decision".to_owned(), String::new(), None)
        );
        let line = [
            "fire",
            "--to",
            "http://127.0.0.1:1/",
            "--scenario",
            "mixed",
            "--time-scale",
            "3600",
            "--retry-schedule",
            "5s,1m",
        ];
        let cli = <crate::Cli as clap::Parser>::try_parse_from(
            std::iter::once("veriff-mock").chain(line),
        )
        .expect("parses");
        let crate::Command::Fire(args) = cli.command else {
            panic!("not fire")
        };
        let routes = crate::config::Routes::all_to("http://127.0.0.1:1/").unwrap();
        let spec = crate::cmd::fire::spec::RunSpec::of(&args, &routes, 7, None).to_text();
        assert_eq!(
            describe(&[
                run(3, "resend", None),
                run(2, "mixed", Some(&spec)),
                run(1, "event", None)
            ]),
            (
                "mixed (newest of 2 runs)".to_owned(),
                "5s,1m".to_owned(),
                Some(3600.0)
            )
        );
    }
}
