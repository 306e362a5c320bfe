//! `watch`: the terminal UI over a delivery store, a past run or one being written right now.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use veriff_mock_send::Store;
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
    let mut source = StoreSource::new(store);
    let summary = run_watch_in_terminal(&mut source, &LoopOptions::from_env())?;
    writeln!(io.out, "{summary}")?;
    Ok(0)
}
