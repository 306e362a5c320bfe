//! What a run against a real target stores about itself, so `fire --resume` can complete it after
//! a crash: how to regenerate its payloads (seed, kinds or scenario, count, chaos) and how to
//! deliver them. Never the secret or the API key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use veriff_mock_send::Store;

use super::FireArgs;
use crate::config::Routes;

/// The settings of a run, as stored in the store's `runs.spec` (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    v: u32,
    seed: u64,
    kinds: Vec<String>,
    status: Option<String>,
    scenario: Option<String>,
    count: u64,
    default_url: Option<String>,
    urls: BTreeMap<String, String>,
    concurrency: usize,
    rate: Option<f64>,
    retry_schedule: String,
    time_scale: f64,
    accept_2xx: bool,
    jitter: Option<f64>,
    timeout_ms: u64,
    connect_timeout_ms: u64,
    insecure: bool,
    ca: Option<PathBuf>,
    vrf_headers: bool,
    legacy_signature: bool,
    duplicate_rate: f64,
    shuffle: Option<usize>,
    compat: bool,
    tamper_rate: f64,
    /// Absent in the specs of earlier versions: 9104 then.
    #[serde(default = "table_abandoned_code")]
    abandoned_code: u16,
    /// Whether the run signed with a secret of the user's own (never the secret itself).
    #[serde(default)]
    own_secret: bool,
    /// The API key sent in X-AUTH-CLIENT (stored with every request's headers anyway).
    #[serde(default)]
    api_key: Option<String>,
    /// When the run started (Unix ms): its payloads are dated from it. Absent in the specs of
    /// earlier versions, whose payloads were dated from the generator's fixed anchor.
    #[serde(default)]
    start_ms: Option<i64>,
}

fn table_abandoned_code() -> u16 {
    9104
}

const VERSION: u32 = 1;

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl RunSpec {
    /// The spec of a run about to start.
    pub fn of(args: &FireArgs, routes: &Routes, seed: u64, start_ms: Option<i64>) -> Self {
        let (default_url, urls) = routes.to_parts();
        Self {
            v: VERSION,
            seed,
            kinds: args.kinds.iter().map(|k| k.name().to_owned()).collect(),
            status: args.status.clone(),
            scenario: args.scenario.map(|s| s.name().to_owned()),
            count: args.count,
            default_url,
            urls,
            concurrency: args.concurrency,
            rate: args.rate,
            retry_schedule: args.retry_schedule.clone(),
            time_scale: args.time_scale,
            accept_2xx: args.accept_2xx,
            jitter: args.jitter,
            timeout_ms: ms(args.timeout),
            connect_timeout_ms: ms(args.connect_timeout),
            insecure: args.insecure,
            ca: args.ca.clone(),
            vrf_headers: args.vrf_headers,
            legacy_signature: args.legacy_signature,
            duplicate_rate: args.duplicate_rate,
            shuffle: args.shuffle,
            compat: args.compat,
            tamper_rate: args.tamper_rate,
            abandoned_code: args.abandoned_code,
            own_secret: args.secret.is_some(),
            api_key: args.api_key.clone(),
            start_ms,
        }
    }

    /// When the run started (Unix ms), if its spec says.
    pub fn start_ms(&self) -> Option<i64> {
        self.start_ms
    }

    /// JSON, as stored.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The retry schedule, as given (`veriff`, `none`, `5s,1m,10m`).
    pub fn retry_schedule(&self) -> &str {
        &self.retry_schedule
    }

    /// The time scale.
    pub fn time_scale(&self) -> f64 {
        self.time_scale
    }

    /// Whether the run fired at an embedded receiver (no target of its own).
    pub fn is_embedded(&self) -> bool {
        self.default_url.is_none() && self.urls.is_empty()
    }

    /// The stored routes.
    pub fn routes(&self) -> anyhow::Result<Routes> {
        Routes::from_parts(self.default_url.clone(), &self.urls)
            .context("the interrupted run's URLs")
    }

    /// The same run sent to `routes`.
    pub fn with_routes(&self, routes: &Routes) -> Self {
        let (default_url, urls) = routes.to_parts();
        Self {
            default_url,
            urls,
            ..self.clone()
        }
    }

    /// Whether both describe the same payloads (whatever their targets).
    fn same_stream(&self, other: &Self) -> bool {
        let untargeted = |s: &Self| Self {
            default_url: None,
            urls: BTreeMap::new(),
            ..s.clone()
        };
        untargeted(self) == untargeted(other)
    }

    /// The resumed run's arguments: what to fire comes from the spec; every delivery setting
    /// comes from the spec unless it was given again on the command line (differs from its
    /// default).
    pub fn merge_into(&self, given: &FireArgs) -> anyhow::Result<FireArgs> {
        let mut a = given.clone();
        a.kinds = self
            .kinds
            .iter()
            .map(|k| k.parse())
            .collect::<Result<_, _>>()?;
        a.status.clone_from(&self.status);
        a.scenario = self.scenario.as_deref().map(str::parse).transpose()?;
        a.count = self.count;
        a.seed = Some(self.seed);
        a.abandoned_code = self.abandoned_code;
        // Payloads not queued yet are signed now: with the run's own secret, never silently
        // with the public test secret instead.
        anyhow::ensure!(
            !self.own_secret || given.secret.is_some(),
            "the interrupted run signed with your own secret, which is never stored: pass \
             --secret or set VERIFF_SHARED_SECRET to resume it"
        );
        if a.api_key.is_none() {
            a.api_key.clone_from(&self.api_key);
        }
        macro_rules! unless_given {
            ($field:ident, $default:expr, $stored:expr) => {
                if a.$field == $default {
                    a.$field = $stored;
                }
            };
        }
        unless_given!(concurrency, 16, self.concurrency);
        unless_given!(rate, None, self.rate);
        unless_given!(retry_schedule, "veriff", self.retry_schedule.clone());
        unless_given!(time_scale, 1.0, self.time_scale);
        unless_given!(accept_2xx, false, self.accept_2xx);
        unless_given!(jitter, None, self.jitter);
        unless_given!(
            timeout,
            Duration::from_secs(30),
            Duration::from_millis(self.timeout_ms)
        );
        unless_given!(
            connect_timeout,
            Duration::from_secs(10),
            Duration::from_millis(self.connect_timeout_ms)
        );
        unless_given!(insecure, false, self.insecure);
        unless_given!(ca, None, self.ca.clone());
        unless_given!(vrf_headers, false, self.vrf_headers);
        unless_given!(legacy_signature, false, self.legacy_signature);
        unless_given!(duplicate_rate, 0.0, self.duplicate_rate);
        unless_given!(shuffle, None, self.shuffle);
        unless_given!(compat, false, self.compat);
        unless_given!(tamper_rate, 0.0, self.tamper_rate);
        Ok(a)
    }
}

/// The run of the store to resume, if the store exists and a run recorded a spec: `(stored
/// text, spec, unfinished)`. `unfinished`: it had not queued all its payloads. Without such a
/// run, the newest one, for its settings.
pub fn latest(store: &Path) -> anyhow::Result<Option<(String, RunSpec, bool)>> {
    if !store.exists() {
        return Ok(None);
    }
    let store = Store::open_read_only(store)
        .with_context(|| format!("cannot open the delivery store {}", store.display()))?;
    // The newest run whose payloads were not all queued (killed or stopped early), unless
    // another run of the same payloads completed them; else the newest run, for its settings.
    let runs = store.runs_with_spec()?;
    let parsed: Vec<(u64, &String, Option<RunSpec>, bool)> = runs
        .iter()
        .map(|(id, text, done)| (*id, text, serde_json::from_str(text).ok(), *done))
        .collect();
    let unfinished = parsed.iter().find(|(_, _, spec, done)| {
        !done
            && spec.as_ref().is_some_and(|s| {
                !parsed
                    .iter()
                    .any(|(_, _, o, d)| *d && o.as_ref().is_some_and(|o| o.same_stream(s)))
            })
    });
    let is_unfinished = unfinished.is_some();
    let Some((run, text)) = unfinished
        .or(parsed.first())
        .map(|(id, text, _, _)| (*id, (*text).clone()))
    else {
        return Ok(None);
    };
    let spec: RunSpec = serde_json::from_str(&text)
        .with_context(|| format!("run {run} of the store was written by another version of veriff-mock; fire it again instead of resuming"))?;
    anyhow::ensure!(
        spec.v == VERSION,
        "run {run} of the store has settings version {}; fire it again instead of resuming",
        spec.v
    );
    Ok(Some((text, spec, is_unfinished)))
}

/// Stream positions already stored by the runs of this spec's payloads, whatever their targets.
pub fn stored_indices(store: &Path, spec: &RunSpec) -> anyhow::Result<Vec<u64>> {
    let store = Store::open_read_only(store)
        .with_context(|| format!("cannot open the delivery store {}", store.display()))?;
    let mut all = Vec::new();
    for text in store.run_specs()? {
        let same = serde_json::from_str::<RunSpec>(&text).is_ok_and(|s| s.same_stream(spec));
        if same {
            all.extend(store.stored_source_indices(&text)?);
        }
    }
    all.sort_unstable();
    all.dedup();
    Ok(all)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn spec(line: &[&str]) -> RunSpec {
        let cli = Cli::try_parse_from(["veriff-mock", "fire"].iter().chain(line)).expect("parses");
        let Command::Fire(args) = cli.command else {
            panic!("not fire")
        };
        let routes = Routes::all_to(args.to.as_deref().expect("--to")).expect("routes");
        RunSpec::of(&args, &routes, 7, None)
    }

    #[test]
    fn a_new_target_keeps_the_stream_and_other_payloads_do_not() {
        let first = spec(&["--to", "http://127.0.0.1:1/", "--kind", "decision"]);
        let moved = first.with_routes(&Routes::all_to("http://127.0.0.1:2/hook").expect("url"));
        assert_ne!(moved, first);
        assert_eq!(
            moved.routes().expect("routes").targets(),
            ["http://127.0.0.1:2/hook"]
        );
        assert!(moved.same_stream(&first));
        let more = spec(&[
            "--to",
            "http://127.0.0.1:1/",
            "--kind",
            "decision",
            "-n",
            "11",
        ]);
        assert!(!more.same_stream(&first));
        let other = spec(&["--to", "http://127.0.0.1:1/", "--kind", "event"]);
        assert!(!other.same_stream(&first));
        let api = spec(&[
            "--to",
            "http://127.0.0.1:1/",
            "--kind",
            "decision",
            "--abandoned-code",
            "9121",
        ]);
        assert!(!api.same_stream(&first));
    }

    #[test]
    fn the_abandoned_code_is_resumed_and_absent_means_the_table() {
        let api = spec(&["--to", "http://127.0.0.1:1/", "--abandoned-code", "9121"]);
        let given = spec(&["--to", "http://127.0.0.1:1/"]);
        let cli = Cli::try_parse_from(["veriff-mock", "fire", "--resume"]).expect("parses");
        let Command::Fire(args) = cli.command else {
            panic!("not fire")
        };
        assert_eq!(api.merge_into(&args).expect("merges").abandoned_code, 9121);
        // A spec stored before the flag existed.
        let mut old: serde_json::Value = serde_json::from_str(&given.to_text()).expect("json");
        old.as_object_mut()
            .expect("object")
            .remove("abandoned_code");
        let old: RunSpec = serde_json::from_value(old).expect("an older spec still reads");
        assert_eq!(old, given);
    }

    #[test]
    fn resuming_a_run_signed_with_your_secret_needs_it_again_and_keeps_the_api_key() {
        let own = spec(&[
            "--to",
            "http://127.0.0.1:1/",
            "--secret",
            "s3cr3t",
            "--api-key",
            "key-1",
        ]);
        assert!(!own.to_text().contains("s3cr3t"), "never stored");
        let resume = |extra: &[&str]| {
            let cli = Cli::try_parse_from(["veriff-mock", "fire", "--resume"].iter().chain(extra))
                .expect("parses");
            let Command::Fire(args) = cli.command else {
                panic!("not fire")
            };
            own.merge_into(&args)
        };
        let err = resume(&[]).expect_err("no secret given").to_string();
        assert!(err.contains("pass --secret"), "{err}");
        let merged = resume(&["--secret", "s3cr3t"]).expect("merges");
        assert_eq!(merged.api_key.as_deref(), Some("key-1"));
        let merged = resume(&["--secret", "s3cr3t", "--api-key", "key-2"]).expect("merges");
        assert_eq!(merged.api_key.as_deref(), Some("key-2"));
    }
}
