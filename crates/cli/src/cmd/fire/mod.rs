//! `fire`: deliver generated payloads to a receiver the way Veriff does, with its retries.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use veriff_mock_contract::Kind;
use veriff_mock_gen::Generator;
use veriff_mock_gen::compat::Mutation;
use veriff_mock_gen::scenario::Scenario;
use veriff_mock_receiver::{Receiver, RunningReceiver};
use veriff_mock_send::{
    Chaos, EngineConfig, HttpConfig, Job, JobSource, RetryPolicy, Signer, Summary, parse_url,
};

use crate::cmd::receive::parse_duration;
use crate::config::Routes;
use crate::input::secret;
use crate::{DEFAULT_SECRET, Io};

pub(crate) mod spec;

/// Output of `fire` when the terminal UI is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// One line per attempt, then a summary.
    Text,
    /// One JSON object per event (schema `"v":1`), the first a `ready` event.
    Ndjson,
}

/// `veriff-mock fire`
#[derive(Debug, Clone, Args)]
#[command(
    allow_negative_numbers = true,
    after_help = "Without --to or --config, fires at an embedded receiver started in-process.\n\
Veriff retries a failed delivery about hourly for 7 days: pass --time-scale 3600 to play an hour in a second.\n\
Real Veriff only delivers to public HTTPS URLs on port 443; veriff-mock allows http and any port for development.\n\n\
Examples:\n  veriff-mock fire --to http://127.0.0.1:3000/webhooks/veriff --scenario mixed --count 20 --time-scale 3600\n  \
veriff-mock fire --kind decision --count 200 --to http://127.0.0.1:8080/ --retry-schedule 5s,1m,10m\n  \
veriff-mock fire --config veriff-mock.toml --scenario resubmission --output ndjson\n  \
veriff-mock fire --resume                     # carry on the pending deliveries of an interrupted run"
)]
#[allow(clippy::struct_excessive_bools)]
pub struct FireArgs {
    /// Send every kind to this URL.
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    pub to: Option<String>,
    /// A veriff-mock.toml mapping each kind to its URL (`default = …`, `[urls] decision = …`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Fire single payloads of this kind (repeatable; kinds alternate). Without --kind, fires
    /// session scenarios.
    #[arg(long = "kind", short, value_name = "KIND", value_parser = parse_kind, conflicts_with = "scenario")]
    pub kinds: Vec<Kind>,
    /// Status of the --kind payloads (default: the kind's first status).
    #[arg(long, short, requires = "kinds")]
    pub status: Option<String>,
    /// Session timeline to play: approved, resubmission, declined, expired, abandoned, aml,
    /// fullauto, mixed (default when no --kind).
    #[arg(long, value_parser = parse_scenario)]
    pub scenario: Option<Scenario>,
    /// Payloads (with --kind) or sessions (with --scenario).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub count: u64,
    /// Seed for payloads and chaos. Default: random, printed so the run can be repeated.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Code of `abandoned` decisions: 9104 (Veriff's status-codes table) or 9121 (what one of
    /// Veriff's API pages says). `review` is 9121 either way.
    #[arg(long, value_name = "CODE", default_value_t = 9104,
          value_parser = crate::cmd::generate::parse_abandoned_code)]
    pub abandoned_code: u16,
    /// Shared secret key to sign with. Default: the public test secret of Veriff's docs.
    #[arg(long, env = "VERIFF_SHARED_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// API key sent in X-AUTH-CLIENT.
    #[arg(long, env = "VERIFF_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Carry on the pending deliveries of the store (from an interrupted run) before new ones.
    /// Without --kind or --scenario, also fires what the interrupted run had not queued yet.
    /// With --to or --config, the pending deliveries go there instead of their stored URL.
    #[arg(long)]
    pub resume: bool,
    /// Attempts in flight at once.
    #[arg(long, short = 'c', default_value_t = 16)]
    pub concurrency: usize,
    /// At most this many attempts started per second (e.g. 50 or 50/s).
    #[arg(long, value_name = "R/s", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// `veriff` (success is HTTP 200 only; retry hourly for 7 days), `none`, or a list of waits
    /// such as `5s,1m,10m`.
    #[arg(
        long,
        value_name = "veriff|none|LIST",
        allow_hyphen_values = true,
        default_value = "veriff"
    )]
    pub retry_schedule: String,
    /// Divide every wait (retries and scenario gaps) by this: 3600 turns an hour into a second.
    #[arg(long, value_name = "X", default_value_t = 1.0)]
    pub time_scale: f64,
    /// Count any 2xx as success (Veriff counts only 200).
    #[arg(long)]
    pub accept_2xx: bool,
    /// Randomize each retry wait by up to this fraction (seeded), e.g. 0.1.
    #[arg(long, value_name = "F")]
    pub jitter: Option<f64>,
    /// Time limit of one attempt (connect, send, response).
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// Time limit of the TCP connect.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub connect_timeout: Duration,
    /// Accept any TLS certificate (self-signed development certificates).
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file, and any self-signed certificate in it for
    /// the names it was issued for.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Also send vrf-hmac-signature, vrf-auth-client and vrf-integration-id.
    #[arg(long)]
    pub vrf_headers: bool,
    /// Integration id sent in vrf-integration-id with --vrf-headers. Default: a fixed test id,
    /// 00000000-0000-4000-8000-000000000001
    #[arg(
        long,
        value_name = "ID",
        env = "VERIFF_INTEGRATION_ID",
        hide_env_values = true
    )]
    pub integration_id: Option<String>,
    /// Also send the legacy X-SIGNATURE (sha256 of body + secret).
    #[arg(long)]
    pub legacy_signature: bool,
    /// The delivery store (SQLite).
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
    /// Chaos: send this fraction (0..1) of payloads twice (Veriff delivers at least once).
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub duplicate_rate: f64,
    /// Chaos: deliver out of order within windows of N payloads.
    #[arg(long, value_name = "N")]
    pub shuffle: Option<usize>,
    /// Chaos: apply Veriff's backwards-compatible changes to payloads before signing (unknown
    /// fields, reordered keys, pretty-printed or escaped bodies), and add webhooks of new event
    /// types next to them.
    #[arg(long)]
    pub compat: bool,
    /// Chaos: corrupt the signature of this fraction (0..1) of payloads; a correct receiver
    /// rejects them, which counts as an expected rejection, not a failure.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub tamper_rate: f64,
}

pub(crate) fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse()
        .map_err(|e: veriff_mock_contract::UnknownValue| e.to_string())
}

fn parse_scenario(s: &str) -> Result<Scenario, String> {
    s.parse()
        .map_err(|e: veriff_mock_contract::UnknownValue| e.to_string())
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let n = s.trim().trim_end_matches("/s");
    match n.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a positive rate; write e.g. 50 or 50/s"
        )),
    }
}

fn fraction(name: &str, f: f64) -> anyhow::Result<f64> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&f),
        "--{name} must be between 0 and 1, got {f}"
    );
    Ok(f)
}

/// What `fire` and `demo` run: everything decided, nothing clap.
pub struct Plan {
    pub routes: Option<Routes>,
    pub embedded: Option<EmbeddedReceiver>,
    pub work: Work,
    pub seed: u64,
    pub seed_given: bool,
    /// When the run started (Unix ms), which its payloads are dated from (see [`lead_ms`]);
    /// `None` for a run of an earlier version, dated from the generator's fixed anchor.
    pub start_ms: Option<i64>,
    pub secret: veriff_mock_contract::SharedSecret,
    pub api_key: String,
    pub integration_id: String,
    pub vrf_headers: bool,
    pub legacy_signature: bool,
    pub engine: EngineConfig,
    pub compat: bool,
    pub tamper_rate: f64,
    /// `abandoned` decisions get code 9121 instead of 9104.
    pub abandoned_api_code: bool,
    pub output: Output,
    pub tui: bool,
    /// Stream positions already stored by an interrupted run being completed (ascending).
    pub skip: Vec<u64>,
}

/// The embedded receiver's settings.
#[derive(Debug, Clone, Default)]
pub struct EmbeddedReceiver {
    pub fail_rate: f64,
}

/// What to fire.
#[derive(Debug, Clone)]
pub enum Work {
    /// Nothing new (resume only).
    Nothing,
    /// `count` single payloads, kinds alternating.
    Bulk {
        kinds: Vec<Kind>,
        status: Option<String>,
        count: u64,
    },
    /// `count` sessions of a scenario.
    Sessions { scenario: Scenario, count: u64 },
}

impl Plan {
    /// What is fired, for headers.
    pub fn work_label(&self) -> String {
        self.work.label()
    }
}

impl Work {
    fn label(&self) -> String {
        match self {
            Work::Nothing => "resume".into(),
            Work::Bulk { kinds, .. } => {
                kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("+")
            }
            Work::Sessions { scenario, .. } => scenario.name().to_owned(),
        }
    }
}

impl FireArgs {
    /// `--resume` with nothing new to fire: it completes the interrupted run.
    fn completes_a_run(&self) -> bool {
        self.resume && self.kinds.is_empty() && self.scenario.is_none()
    }

    /// A target is given (`--to` or `--config`), rather than taken from the stored run.
    fn retargets(&self) -> bool {
        self.to.is_some() || self.config.is_some()
    }
}

/// `fire --resume` would complete a run that has ended: every payload of the newest run was
/// queued, and none is pending. Looked at before the run's settings, so that an ended run asks
/// for nothing (not even the secret it was signed with).
fn resume_has_ended(args: &FireArgs) -> anyhow::Result<bool> {
    let completing = args.completes_a_run();
    if !completing || !args.store.exists() {
        return Ok(false);
    }
    let retargeted = args.retargets();
    let ended = spec::latest(&args.store)?
        .is_some_and(|(_, spec, unfinished)| !unfinished && (retargeted || !spec.is_embedded()));
    Ok(ended
        && veriff_mock_send::Store::open_read_only(&args.store)
            .and_then(|s| s.counts(None))
            .with_context(|| format!("cannot read the delivery store {}", args.store.display()))?
            .pending
            == 0)
}

pub fn plan(args: &FireArgs, io: &Io<'_>) -> anyhow::Result<Plan> {
    // `fire --resume` with nothing new to fire completes the interrupted run: its settings,
    // unless given again (its target included), and the payloads it had not queued yet.
    let completing = args.completes_a_run();
    // A store that is not there is a mistyped or wrong path, not a finished run: a script that
    // resumes, with a target or without, must not go on as if every delivery had been
    // acknowledged.
    anyhow::ensure!(
        !completing || args.store.exists(),
        "nothing to resume: no delivery store at {}: pass --store PATH with the store of the \
         interrupted run",
        args.store.display()
    );
    let retargeted = args.retargets();
    let interrupted = if completing {
        // A run against an embedded receiver resumes only towards a target given now: its
        // receiver's port died with it.
        spec::latest(&args.store)?.filter(|(_, spec, _)| retargeted || !spec.is_embedded())
    } else {
        None
    };
    let merged;
    let args = match &interrupted {
        Some((_, spec, _)) => {
            merged = spec.merge_into(args)?;
            &merged
        }
        None => args,
    };
    let routes = match (&args.to, &args.config, &interrupted) {
        (Some(url), _, _) => Some(Routes::all_to(url)?),
        (None, Some(path), _) => Some(Routes::from_file(path)?),
        (None, None, Some((_, spec, _))) => Some(spec.routes()?),
        (None, None, None) => None,
    };
    let work = if !args.kinds.is_empty() {
        if let Some(status) = &args.status {
            for kind in &args.kinds {
                kind.check_status(status)?;
            }
        }
        Work::Bulk {
            kinds: args.kinds.clone(),
            status: args.status.clone(),
            count: args.count,
        }
    } else if args.resume && args.scenario.is_none() && interrupted.is_none() {
        Work::Nothing
    } else {
        Work::Sessions {
            scenario: args.scenario.unwrap_or(Scenario::Mixed),
            count: args.count,
        }
    };
    anyhow::ensure!(
        args.time_scale.is_finite() && args.time_scale > 0.0,
        "--time-scale must be a positive number, got {}",
        args.time_scale
    );
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(
        !args.timeout.is_zero(),
        "--timeout must be longer than 0, e.g. 30s"
    );
    anyhow::ensure!(
        !args.connect_timeout.is_zero(),
        "--connect-timeout must be longer than 0, e.g. 10s"
    );
    let seed_given = args.seed.is_some() || interrupted.is_some();
    let seed = args.seed.unwrap_or_else(crate::cmd::generate::random_seed);

    let mut retry = parse_retry(&args.retry_schedule)?
        .accept_2xx(args.accept_2xx)
        .time_scale(args.time_scale);
    if let Some(j) = args.jitter {
        retry = retry.jitter(fraction("jitter", j)?, seed);
    }
    let mut http = HttpConfig::default();
    http.timeout = args.timeout;
    http.connect_timeout = args.connect_timeout;
    http.insecure = args.insecure;
    http.ca_file.clone_from(&args.ca);
    if http.ca_file.is_some() {
        // A missing or unreadable CA file is a usage error, said before anything starts.
        veriff_mock_send::HttpTransport::connector(&http)?;
    }
    let mut chaos = Chaos::default();
    chaos.duplicate_rate = fraction("duplicate-rate", args.duplicate_rate)?;
    chaos.shuffle_window = args.shuffle.unwrap_or(0);
    chaos.seed = seed;
    let mut engine = EngineConfig::default();
    engine.store_path.clone_from(&args.store);
    engine.concurrency = args.concurrency;
    engine.rate = args.rate;
    engine.retry = retry;
    engine.http = http;
    engine.chaos = chaos;
    engine.resume = args.resume;
    // The waits of the pending deliveries were stored under the interrupted run's time scale.
    engine.resumed_time_scale = interrupted.as_ref().map(|(_, spec, _)| spec.time_scale());
    engine.run_label = work.label();
    if args.resume
        && retargeted
        && let Some(routes) = &routes
    {
        engine.resume_to = Some(routes.retarget()?);
    }
    // Runs against a real target record how to regenerate their payloads, so `--resume` can
    // complete them after a crash (an embedded receiver's port does not outlive its run).
    let start_ms = match &interrupted {
        Some((_, spec, _)) => spec.start_ms(),
        None => Some(veriff_mock_send::now_unix_ms()),
    };
    let mut skip = Vec::new();
    match (&interrupted, &routes) {
        (Some((text, spec, _)), Some(routes)) => {
            // Given a new target, the run records it, so that resuming this run again goes on
            // where its pending deliveries now go.
            engine.run_spec = Some(if retargeted {
                spec.with_routes(routes).to_text()
            } else {
                text.clone()
            });
            skip = spec::stored_indices(&args.store, spec)?;
        }
        (None, routes) if !matches!(work, Work::Nothing) => {
            // An embedded receiver's run records no target: `--resume --to URL` completes it.
            let routes = routes.clone().unwrap_or_default();
            engine.run_spec = Some(spec::RunSpec::of(args, &routes, seed, start_ms).to_text());
        }
        _ => {}
    }

    let secret = secret(args.secret.as_deref(), Some(DEFAULT_SECRET))?;
    let api_key = crate::input::api_key(args.api_key.as_deref())?;
    let integration_id = crate::input::integration_id(args.integration_id.as_deref())?;
    // Refuses an API key or integration id that cannot be a header value.
    Signer::new(secret.clone(), &api_key)?.integration_id(&integration_id)?;
    anyhow::ensure!(
        !args.tui || io.terminal,
        "--tui needs a terminal, and stdout is not one (or TERM is dumb or unset); run it in a \
         terminal, or drop --tui (the run then prints a line per attempt)"
    );
    let tui = !args.no_tui && (args.tui || io.terminal);
    Ok(Plan {
        embedded: routes.is_none().then(EmbeddedReceiver::default),
        routes,
        work,
        seed,
        seed_given,
        start_ms,
        secret,
        api_key,
        integration_id,
        vrf_headers: args.vrf_headers,
        legacy_signature: args.legacy_signature,
        engine,
        compat: args.compat,
        tamper_rate: fraction("tamper-rate", args.tamper_rate)?,
        abandoned_api_code: args.abandoned_code == veriff_mock_contract::ABANDONED_API_CODE,
        output: args.output,
        tui,
        skip,
    })
}

/// The longest a run's payloads are dated before its start: about the longest a session's own
/// webhooks wait after it (an expired session's decision, a week on). Rarer, later webhooks (an
/// ongoing-monitoring update, weeks or months on) are dated after the run's start instead of
/// dragging every other payload of the run back with them.
const MAX_LEAD_MS: i64 = 8 * 24 * 3_600_000;

/// How long before the run's start a generator's timeline begins, so that the times inside its
/// payloads are the run's, not a fixed date's. A function of what is fired alone, so that a
/// resumed run regenerates the same bytes from the stored start.
///
/// - Bulk payloads are sent at once, so they are dated before the run's start, the newest close
///   to it: session `i` is created `3 × i` seconds after the anchor, and each kind sends its
///   webhook some time after that (minutes for a decision, days for an expired one). Each kind of
///   the run gets its own lead, as every index is one session of one kind.
/// - A scenario plays its sessions' timelines from the run's start: the earliest webhook carries
///   the start, and every other one the time of its session's story, which is when it is sent
///   (with `--time-scale`, sooner than the time it carries).
fn lead_ms(seed: u64, what: Lead<'_>) -> anyhow::Result<i64> {
    let base = veriff_mock_gen::DEFAULT_ANCHOR_MS;
    let offset_ms = |p: &veriff_mock_gen::Payload| p.sent_at.timestamp_millis() - base;
    Ok(match what {
        Lead::Bulk {
            kind,
            status,
            count,
        } => {
            // The longest wait from a session's creation to its webhook over a sample of
            // sessions, then the spacing of the last session.
            let mut g = Generator::from_seed(seed).kind(kind);
            if let Some(s) = status {
                g = g.status(s)?;
            }
            let (mut longest, mut shortest) = (i64::MIN, i64::MAX);
            for i in 0..256u64.min(count) {
                let wait = offset_ms(&g.payload(i)) - i64::try_from(i).unwrap_or(0) * 3_000;
                // Past the cap, a webhook is dated after the run's start: it sets nothing.
                if wait <= MAX_LEAD_MS {
                    longest = longest.max(wait);
                    shortest = shortest.min(wait);
                }
            }
            if longest < shortest {
                return Ok(0);
            }
            // A sample's longest wait can fall short of the longest of a large run: a margin of
            // 1/64 of the waits' spread (about an hour when they range over three days) keeps
            // those in the past too.
            let wait = longest
                .saturating_add((longest - shortest) / 64)
                .min(MAX_LEAD_MS);
            let last = i64::try_from(count.saturating_sub(1)).unwrap_or(i64::MAX / 3_000);
            wait.saturating_add(last.saturating_mul(3_000))
        }
        Lead::Sessions { scenario, count } => {
            // The earliest first webhook: sessions are created 3 s apart and their first
            // webhook comes at most minutes later, so it is among the first 256.
            let g = Generator::from_seed(seed);
            (0..count.min(256))
                .filter_map(|session| {
                    scenario
                        .timeline(&g, session)
                        .first()
                        .map(|(_, p)| offset_ms(p))
                })
                .min()
                .unwrap_or(0)
        }
    })
}

/// What [`lead_ms`] dates.
#[derive(Debug, Clone, Copy)]
enum Lead<'a> {
    /// `count` payloads of `kind` (with `status`).
    Bulk {
        kind: Kind,
        status: Option<&'a str>,
        count: u64,
    },
    /// The first `count` sessions of a scenario.
    Sessions { scenario: Scenario, count: u64 },
}

/// The anchor of a generator: `lead` before the run's start, or the generator's fixed anchor for
/// a run of an earlier version.
fn anchor(start_ms: Option<i64>, lead: i64) -> chrono::DateTime<chrono::Utc> {
    let ms = start_ms.map_or(veriff_mock_gen::DEFAULT_ANCHOR_MS, |s| {
        s.saturating_sub(lead)
    });
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Parses `veriff`, `none` or a list of waits.
pub fn parse_retry(s: &str) -> anyhow::Result<RetryPolicy> {
    match s.trim() {
        "veriff" => Ok(RetryPolicy::veriff()),
        "none" => Ok(RetryPolicy::none()),
        flag if flag.starts_with("--") => anyhow::bail!(
            "--retry-schedule: {flag} is a flag, not a schedule: give --retry-schedule a value \
             (veriff, none, or a list like 5s,1m,10m)"
        ),
        list => {
            if let Some(negative) = list.split(',').map(str::trim).find(|t| t.starts_with('-')) {
                anyhow::bail!(
                    "--retry-schedule: durations cannot be negative ({negative}); write veriff, \
                     none, or a list like 5s,1m,10m"
                );
            }
            let delays = list
                .split(',')
                .map(|t| veriff_mock_send::parse_duration(t.trim()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "--retry-schedule: {e}; write veriff, none, or a list like 5s,1m,10m"
                    )
                })?;
            Ok(RetryPolicy::list(delays))
        }
    }
}

/// Splits a seed and an index into an independent 64-bit draw.
fn draw(seed: u64, index: u64, salt: u64) -> u64 {
    let mut z = seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn chance(seed: u64, index: u64, salt: u64, p: f64) -> bool {
    p > 0.0 && ((draw(seed, index, salt) >> 11) as f64 / (1u64 << 53) as f64) < p
}

/// Builds the jobs lazily: a million payloads never sit in memory at once.
fn jobs(plan: &Plan, routes: Arc<Routes>) -> anyhow::Result<Box<dyn Iterator<Item = Job> + Send>> {
    // Check every route up front, so a missing URL is a config error, not a late surprise.
    let kinds: Vec<Kind> = match &plan.work {
        Work::Nothing => Vec::new(),
        Work::Bulk { kinds, .. } => kinds.clone(),
        Work::Sessions { scenario, .. } => scenario.kinds().to_vec(),
    };
    let mut urls = HashMap::new();
    for kind in kinds {
        let url = routes.url_for(kind)?;
        urls.insert(kind, parse_url(url)?);
    }
    let (seed, compat, tamper_rate) = (plan.seed, plan.compat, plan.tamper_rate);
    let abandoned_api_code = plan.abandoned_api_code;
    let start_ms = plan.start_ms;
    let mut skip = plan.skip.clone().into_iter().peekable();
    // Positions are visited in ascending order, so the sorted skip list is walked once.
    let mut already_stored = move |index: u64| -> bool {
        while skip.next_if(|s| *s < index).is_some() {}
        skip.next_if_eq(&index).is_some()
    };
    // The payload's job and, when `--compat` picks a new event type, one more: Veriff ships new
    // event types in addition to the webhooks a session gets, never instead of them.
    let finish = move |index: u64, payload: veriff_mock_gen::Payload, url: &http::Uri| {
        let mutation = compat
            .then(|| Mutation::ALL[(draw(seed, index, 1) % Mutation::ALL.len() as u64) as usize]);
        let mutated = |m: Mutation| m.apply(&payload.body, seed ^ index).ok();
        let body = match mutation {
            Some(Mutation::UnknownEventType) | None => payload.body.clone(),
            Some(m) => mutated(m).map_or(payload.body.clone(), Into::into),
        };
        let mut job = Job::new(payload.kind, url.clone(), body)
            .source_index(index)
            .status(payload.status.clone())
            .session_id(payload.session_id.clone())
            .tampered(chance(seed, index, 2, tamper_rate));
        if let Some(v) = &payload.vendor_data {
            job = job.vendor_data(v.clone());
        }
        let extra = (mutation == Some(Mutation::UnknownEventType))
            .then(|| mutated(Mutation::UnknownEventType))
            .flatten()
            .map(|body| {
                // Labelled by its event type; not a position of the stream (a resume regenerates
                // it with its payload, or not at all).
                let event_type = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["eventType"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                let mut extra = Job::new(payload.kind, url.clone(), body)
                    .status(event_type)
                    .session_id(payload.session_id.clone());
                if let Some(v) = &payload.vendor_data {
                    extra = extra.vendor_data(v.clone());
                }
                extra
            });
        std::iter::once(job).chain(extra)
    };
    Ok(match plan.work.clone() {
        Work::Nothing => Box::new(std::iter::empty()),
        Work::Bulk {
            kinds,
            status,
            count,
        } => {
            let mut generators = Vec::new();
            for kind in &kinds {
                let lead = lead_ms(
                    seed,
                    Lead::Bulk {
                        kind: *kind,
                        status: status.as_deref(),
                        count,
                    },
                )?;
                let mut g = Generator::from_seed(seed)
                    .kind(*kind)
                    .anchor(anchor(start_ms, lead))
                    .abandoned_api_code(abandoned_api_code);
                if let Some(s) = &status {
                    g = g.status(s)?;
                }
                generators.push(g);
            }
            Box::new(
                (0..count)
                    .filter(move |i| !already_stored(*i))
                    .flat_map(move |i| {
                        let g = &generators[(i % generators.len() as u64) as usize];
                        let payload = g.payload(i);
                        finish(i, payload, &urls[&g.get_kind()])
                    }),
            )
        }
        Work::Sessions { scenario, count } => {
            let lead = lead_ms(seed, Lead::Sessions { scenario, count })?;
            let anchor = anchor(start_ms, lead);
            let generator = Generator::from_seed(seed)
                .anchor(anchor)
                .abandoned_api_code(abandoned_api_code);
            // Each webhook is sent when it is dated: the earliest one, dated the run's start, at
            // once, and the others after their session's gaps.
            let start = anchor.timestamp_millis().saturating_add(lead);
            let mut index = 0u64;
            Box::new((0..count).flat_map(move |session| {
                let mut jobs = Vec::new();
                for (_, payload) in scenario.timeline(&generator, session) {
                    index += 1;
                    if !already_stored(index) {
                        let url = &urls[&payload.kind];
                        let dated = payload.sent_at.timestamp_millis().saturating_sub(start);
                        let at = Duration::from_millis(dated.max(0).unsigned_abs());
                        jobs.extend(finish(index, payload, url).map(|job| job.not_before(at)));
                    }
                }
                jobs
            }))
        }
    })
}

pub fn run(args: &FireArgs, io: &mut Io<'_>) -> anyhow::Result<u8> {
    if resume_has_ended(args)? {
        // Said, not run: an empty run would become the store's newest, which `watch` shows.
        writeln!(
            io.err,
            "nothing to resume: every delivery in {} has ended (delivered or exhausted); start a \
             new run with `veriff-mock fire`, or `veriff-mock resend ID` to send one again",
            args.store.display()
        )?;
        return Ok(0);
    }
    let plan = plan(args, io)?;
    if matches!(plan.work, Work::Nothing) && plan.routes.is_none() {
        return nothing_to_resume(&args.store, io);
    }
    execute(plan, io)
}

/// `fire --resume` found no interrupted run with a target: says why, rather than waiting on
/// deliveries whose receiver is gone.
fn nothing_to_resume(store: &std::path::Path, io: &mut Io<'_>) -> anyhow::Result<u8> {
    let pending = veriff_mock_send::Store::open_read_only(store)
        .and_then(|s| s.counts(None))
        .with_context(|| format!("cannot read the delivery store {}", store.display()))?
        .pending;
    anyhow::ensure!(
        pending == 0,
        "{pending} deliveries are pending in {} but were sent to an embedded receiver, which \
         stopped with its run; send them to a receiver of yours with `veriff-mock fire --resume --to URL`, \
         or start a new run with `veriff-mock fire`",
        store.display()
    );
    writeln!(
        io.err,
        "nothing to resume: no delivery is pending in {}",
        store.display()
    )?;
    Ok(0)
}

/// Runs a plan: starts the embedded receiver if needed, the engine, and the chosen output.
pub fn execute(plan: Plan, io: &mut Io<'_>) -> anyhow::Result<u8> {
    // Sending gets half the CPUs: the store writer and the output have threads of their own, and
    // the receiver, when it runs on this machine, needs the rest. More workers than that only
    // trade tasks between CPUs. The embedded receiver serves from a runtime of its own, so its
    // tasks and the sender's do not trade places either.
    let half = std::thread::available_parallelism().map_or(1, |n| n.get().div_ceil(2));
    let runtime = crate::runtime_with(Some(half))?;
    let output = plan.output;
    let receiver_runtime = match plan.embedded {
        Some(_) => Some(crate::runtime_with(Some(half))?),
        None => None,
    };
    let result = runtime.block_on(async {
        let receiver = match (&plan.embedded, &receiver_runtime) {
            (Some(embedded), Some(rt)) => Some(start_embedded(&plan, embedded, rt.handle()).await?),
            _ => None,
        };
        let routes = match (&plan.routes, &receiver) {
            (Some(routes), _) => routes.clone(),
            (None, Some(r)) => Routes::all_to(&format!("{}webhooks/veriff", r.url()))?,
            (None, None) => anyhow::bail!("no target: pass --to URL or --config FILE"),
        };
        let targets = routes.targets();
        let jobs = jobs(&plan, Arc::new(routes))?;
        let signer = Signer::new(plan.secret.clone(), &plan.api_key)?
            .integration_id(&plan.integration_id)?
            .vrf_headers(plan.vrf_headers)
            .legacy_signature(plan.legacy_signature);
        let source = JobSource::from_iter(signer, jobs);
        let store = plan.engine.store_path.clone();
        if let Some(parent) = store.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the store folder {}", parent.display()))?;
        }
        let _lock = lock_store(&store, ", or pass --store OTHER.db")?;
        // A file that is not a usable store is said alone, before the run's first lines.
        drop(
            veriff_mock_send::Store::open(&store)
                .with_context(|| format!("cannot start deliveries (store {})", store.display()))?,
        );
        if !plan.seed_given && !matches!(plan.work, Work::Nothing) {
            writeln!(
                io.err,
                "seed {0}: pass --seed {0} to repeat this run",
                plan.seed
            )?;
        }
        if let Some(r) = &receiver {
            writeln!(io.err, "embedded receiver {}", r.config())?;
        }
        let summary = if plan.tui {
            crate::live::run_tui(&plan, source, targets, io).await?
        } else {
            let (engine, events) = veriff_mock_send::start(plan.engine.clone(), source)
                .with_context(|| format!("cannot start deliveries (store {})", store.display()))?;
            let stop = stop_on_signals(engine.control());
            let mut text = if plan.embedded.is_none() {
                crate::printer::TextPrinter::default()
            } else {
                crate::printer::TextPrinter::not_resumable()
            };
            if plan.engine.resume {
                // Resumed deliveries were queued by an earlier run: name them from the store.
                if let Ok(s) = veriff_mock_send::Store::open_read_only(&store) {
                    text = text.naming_from(s);
                }
            }
            let printed = print_events(events, plan.output, text, io).await;
            let summary = engine.wait().await.context("the delivery run failed")?;
            stop.abort();
            printed?;
            summary
        };
        if let Some(r) = receiver {
            r.shutdown().await;
            // Its port is gone: what is left pending can never be delivered, and must not
            // haunt a later `fire --resume`.
            if summary.pending > 0 {
                veriff_mock_send::Store::open(&store)
                    .and_then(|s| s.close_pending(summary.run_id, veriff_mock_send::now_unix_ms()))
                    .context("cannot close the pending deliveries of the embedded receiver")?;
            }
        }
        Ok::<Summary, anyhow::Error>(summary)
    });
    let summary = result?;
    if summary.exit_code() == 1 && matches!(output, Output::Ndjson) {
        // Stdout is for a program; the person reading the CI log learns why here.
        writeln!(
            io.err,
            "veriff-mock: exit 1: {} exhausted, {} unexpected outcomes (the `exhausted` and \
             `unexpected_outcome` events name them)",
            summary.exhausted, summary.unexpected
        )?;
    }
    Ok(summary.exit_code())
}

/// Ctrl-C (or SIGTERM) stops the run; attempts in flight may finish within the grace period,
/// and a second signal ends them at once. Abort the task when the run ends.
pub(crate) fn stop_on_signals(stopper: veriff_mock_send::Control) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        crate::shutdown_signal().await;
        stopper.stop();
        // Said on stderr, so a quiet wait does not look like a hang.
        use std::io::Write as _;
        let _ = match stopper.in_flight() {
            0 => writeln!(std::io::stderr(), "stopping: no attempt is in flight"),
            n => writeln!(
                std::io::stderr(),
                "stopping: {n} attempt{} in flight get{} up to {} s to finish; press Ctrl-C again \
                 to stop now",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
                stopper.grace().as_secs()
            ),
        };
        crate::shutdown_signal().await;
        stopper.stop_now();
    })
}

/// Holds `<store>.lock` for the run: two runs would hand out the same delivery ids, and a resend
/// next to a run could send a payload again after its 200 was recorded. The lock goes with the
/// process, however it ends (`kill -9` included). `other`: what else the user can do, after
/// "wait for it to end".
pub(crate) fn lock_store(store: &std::path::Path, other: &str) -> anyhow::Result<std::fs::File> {
    anyhow::ensure!(
        !store.is_dir(),
        "the delivery store {} is a folder, not a file: pass --store FOLDER/deliveries.db",
        store.display()
    );
    // Named after the file itself, so another path to it (a symlink, `./x.db`) shares the lock;
    // `watch` reads it the same way to tell whether a run is writing.
    let path = veriff_mock_send::lock_path(store);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot create the store lock {}: pass --store PATH in a folder you can write",
                path.display()
            )
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another veriff-mock run is using the store {}: wait for it to end{other}",
            store.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock the store {}", path.display()))
        }
    }
}

/// Starts the embedded receiver on `runtime`, which then drives its connections.
async fn start_embedded(
    plan: &Plan,
    embedded: &EmbeddedReceiver,
    runtime: &tokio::runtime::Handle,
) -> anyhow::Result<RunningReceiver> {
    let mut builder = Receiver::builder()
        .secret(plan.secret.clone())
        .seed(plan.seed);
    if embedded.fail_rate > 0.0 {
        builder = builder.fail_rate(embedded.fail_rate);
    }
    runtime
        .spawn(builder.start())
        .await
        .context("the embedded receiver failed to start")?
        .context("cannot start the embedded receiver")
}

/// Prints events as they come: text lines or NDJSON. Returns when the engine closes the channel.
pub(crate) async fn print_events(
    events: veriff_mock_send::Events,
    output: Output,
    text: crate::printer::TextPrinter,
    io: &mut Io<'_>,
) -> anyhow::Result<()> {
    print_events_where(events, output, text, io, &|_| true).await
}

/// Writes the event stream: [`Output::Text`] lines or NDJSON, the events `keep` accepts.
pub(crate) async fn print_events_where(
    mut events: veriff_mock_send::Events,
    output: Output,
    mut text: crate::printer::TextPrinter,
    io: &mut Io<'_>,
    keep: &(dyn Fn(&veriff_mock_send::DeliveryEvent) -> bool + Sync),
) -> anyhow::Result<()> {
    let mut broken = false;
    // A write that failed other than on a closed pipe (a full disk): said once, at the end, as
    // the command's error, after the run went on to the end (its store has every attempt).
    let mut failed: Option<std::io::Error> = None;
    // Lines are gathered while events keep coming and written (and flushed) once the stream
    // pauses or the buffer is large: one write per batch, not per line, and never stale output.
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    while let Some(first) = events.recv().await {
        let mut next = Some(first);
        while let Some(event) = next.take() {
            if let (Output::Text, veriff_mock_send::DeliveryEvent::NotFound { id }) =
                (output, &event)
            {
                // A diagnostic, not data: NDJSON has its `not_found` event for it.
                writeln!(
                    io.err,
                    "veriff-mock: #{id} is not in the store: check the id (the #N of fire's \
                     output), or pass the store it is in with --store PATH"
                )?;
            } else if !broken && keep(&event) {
                let written = match output {
                    Output::Ndjson => serde_json::to_writer(&mut buf, &event.ndjson())
                        .map_err(std::io::Error::from)
                        .map(|()| buf.push(b'\n')),
                    Output::Text => text.print(&event, &mut buf),
                };
                // Writing to a Vec fails only on a serialization bug; report it, keep going.
                if let Err(e) = written {
                    writeln!(io.err, "veriff-mock: cannot format an event: {e}")?;
                }
            }
            if buf.len() < 64 * 1024 {
                next = events.try_recv().ok();
            }
        }
        if broken {
            buf.clear();
            continue; // keep draining so the engine never waits on a closed stdout
        }
        let written = io.out.write_all(&buf).and_then(|()| io.out.flush());
        buf.clear();
        if let Err(e) = written {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                failed = Some(e);
            }
            broken = true;
        }
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000_000;

    fn dated(kind: Kind, status: Option<&str>, count: u64) -> Generator {
        dated_with(9, kind, status, count)
    }

    fn dated_with(seed: u64, kind: Kind, status: Option<&str>, count: u64) -> Generator {
        let lead = lead_ms(
            seed,
            Lead::Bulk {
                kind,
                status,
                count,
            },
        )
        .unwrap();
        let g = Generator::from_seed(seed)
            .kind(kind)
            .anchor(anchor(Some(NOW), lead));
        match status {
            Some(s) => g.status(s).unwrap(),
            None => g,
        }
    }

    fn newest(g: &Generator, count: u64) -> i64 {
        (0..count)
            .map(|i| g.payload(i).sent_at.timestamp_millis())
            .max()
            .unwrap()
    }

    #[test]
    fn bulk_payload_times_end_at_the_run_start() {
        for (kind, status, count) in [
            (Kind::Decision, None, 500u64),
            (Kind::Decision, Some("expired"), 40),
            (Kind::UserStatus, None, 3_000),
            (Kind::Watchlist, Some("no_match"), 1),
        ] {
            let newest = newest(&dated(kind, status, count), count);
            // None is sent before its own time, and the newest is the run's, not a fixed date's.
            assert!(newest <= NOW, "{kind} {status:?}: {newest} > {NOW}");
            assert!(
                NOW - newest < 2 * 3_600_000,
                "{kind} {status:?}: {}",
                NOW - newest
            );
        }
    }

    #[test]
    fn a_rare_late_webhook_does_not_drag_the_run_back() {
        // Some watchlist results are ongoing-monitoring updates, weeks or months after their
        // session: the initial results still carry times of the last hours, whatever the seed
        // and however few results the run has.
        for seed in 1..=12 {
            for count in [20u64, 200] {
                let g = dated_with(seed, Kind::Watchlist, None, count);
                let initial: Vec<i64> = (0..count)
                    .map(|i| g.payload(i))
                    .filter(|p| {
                        let v: serde_json::Value = serde_json::from_slice(&p.body).unwrap();
                        v["checkType"] == "initial_result"
                    })
                    .map(|p| p.sent_at.timestamp_millis())
                    .collect();
                assert!(initial.len() * 2 > usize::try_from(count).unwrap());
                let newest = *initial.iter().max().unwrap();
                assert!(
                    newest <= NOW && NOW - newest < 2 * 3_600_000,
                    "seed {seed}, {count}: {}",
                    NOW - newest
                );
            }
        }
    }

    #[test]
    fn a_scenario_s_earliest_webhook_carries_the_run_start() {
        for (scenario, count) in [(Scenario::Declined, 1), (Scenario::Mixed, 300)] {
            let lead = lead_ms(4, Lead::Sessions { scenario, count }).unwrap();
            let g = Generator::from_seed(4).anchor(anchor(Some(NOW), lead));
            let dates: Vec<i64> = (0..count)
                .flat_map(|session| scenario.timeline(&g, session))
                .map(|(_, p)| p.sent_at.timestamp_millis())
                .collect();
            // Sent when dated: the earliest at once, none before the run started.
            assert_eq!(dates.iter().min(), Some(&NOW), "{scenario:?}");
        }
    }

    #[test]
    fn a_run_of_an_earlier_version_keeps_the_fixed_anchor() {
        assert_eq!(
            anchor(None, 12_345).timestamp_millis(),
            veriff_mock_gen::DEFAULT_ANCHOR_MS
        );
    }
}
