//! `demo`: the `mixed` scenario against an embedded receiver that fails a third of attempts,
//! with a time scale that plays Veriff's hourly retries and week-long waits within about a minute.

use std::path::PathBuf;

use clap::Args;

use crate::Io;
use crate::cmd::fire::{self, EmbeddedReceiver, Output};

/// `veriff-mock demo`
#[derive(Debug, Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "The demo plays sessions of every kind (started, submitted, decisions, resubmissions, \
watchlist screenings, user statuses…) against an embedded receiver that answers 500 to a third of the attempts, so \
you see Veriff's retries. Ten hours of Veriff's time are a second here (--time-scale 36000): hourly retries come \
a tenth of a second apart, expired and abandoned sessions arrive after their 7 days (17 s in), and the last \
watchlist updates within about a minute. --time-scale 3600 plays it ten times slower. Press q to quit the UI."
)]
pub struct DemoArgs {
    /// Sessions to play.
    #[arg(long, short = 'n', default_value_t = 24)]
    pub count: u64,
    /// Seed (default: random, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Divide every wait by this.
    #[arg(long, value_name = "X", default_value_t = 36000.0)]
    pub time_scale: f64,
    /// Fraction of attempts the embedded receiver fails on purpose.
    #[arg(long, value_name = "F", default_value_t = 0.33)]
    pub fail_rate: f64,
    /// The delivery store.
    #[arg(long, value_name = "PATH", default_value = veriff_mock_send::DEFAULT_STORE_PATH)]
    pub store: PathBuf,
    /// Output when the terminal UI is off.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Open the terminal UI (the default when stdout is a terminal).
    #[arg(long, conflicts_with = "no_tui")]
    pub tui: bool,
    /// Never open the terminal UI.
    #[arg(long)]
    pub no_tui: bool,
}

pub fn run(args: &DemoArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    anyhow::ensure!(
        (0.0..1.0).contains(&args.fail_rate),
        "--fail-rate must be at least 0 and below 1, got {}",
        args.fail_rate
    );
    let mut fire_args: Vec<String> = vec![
        "fire".into(),
        "--scenario".into(),
        "mixed".into(),
        "--count".into(),
        args.count.to_string(),
        "--time-scale".into(),
        args.time_scale.to_string(),
        "--store".into(),
        args.store.to_string_lossy().into_owned(),
        "--output".into(),
        match args.output {
            Output::Text => "text".into(),
            Output::Ndjson => "ndjson".into(),
        },
    ];
    if let Some(seed) = args.seed {
        fire_args.extend(["--seed".into(), seed.to_string()]);
    }
    if args.no_tui {
        fire_args.push("--no-tui".into());
    }
    if args.tui {
        fire_args.push("--tui".into());
    }
    let cli =
        crate::Cli::try_parse_args(std::iter::once("veriff-mock".to_owned()).chain(fire_args))?;
    let crate::Command::Fire(fire_args) = cli.command else {
        anyhow::bail!("internal: demo did not build a fire command");
    };
    let mut plan = fire::plan(&fire_args, io)?;
    plan.embedded = Some(EmbeddedReceiver {
        fail_rate: args.fail_rate,
    });
    fire::execute(plan, io)
}
