//! The property phases: randomized valid payloads through proptest's runner (shrinking the first
//! failure), then mangled bodies.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use tokio::task::JoinSet;
use tokio::time::Instant;
use veriff_mock_gen::Payload;
use veriff_mock_gen::compat::Mutation;
use veriff_mock_gen::strategies::{
    COMPAT_ORDER, Mangled, WebhookParams, any_webhook, mangled_variants,
};

use crate::probes::{Exchanges, answer_hint, good_headers, info};
use crate::report::Repro;
use crate::target::{Outcome, Target};
use crate::{CheckConfig, CheckResult};

/// Shrinking stops after this long…
const SHRINK_TIME_BUDGET: Duration = Duration::from_secs(20);
/// …or this many requests in the phase.
const SHRINK_RUN_BUDGET: usize = 5_000;
/// Mangled bodies sent at once (at most; never more than the configured concurrency, so a phase
/// stopped by a time-out does not wait out a batch of them one by one).
const MANGLED_BATCH: usize = 8;
/// Stream separating the mangled phase's randomness from the valid phase's.
const MANGLED_STREAM: u64 = 0x6D61_6E67_6C65;

/// One randomized valid case: a payload, maybe with a compatibility change.
#[derive(Debug, Clone)]
struct Case {
    payload: Payload,
    mutation: Option<Mutation>,
    body: Bytes,
}

impl Case {
    fn describe(&self) -> String {
        let change = self.mutation.map(|m| format!(", {m}")).unwrap_or_default();
        format!(
            "{} `{}`{change}, {} bytes",
            self.payload.kind.name(),
            self.payload.status,
            self.body.len()
        )
    }
}

fn runner(config: &CheckConfig, stream: u64) -> TestRunner {
    let mut cfg = Config::with_cases(config.cases.max(1));
    cfg.failure_persistence = None;
    // No proptest limits (hitting one makes proptest print); the test function keeps its own
    // budget of requests and time instead.
    cfg.max_shrink_iters = u32::MAX - 1;
    cfg.max_shrink_time = 0;
    let mut seed = [0u8; 32];
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        let word = config.seed ^ stream.rotate_left(i as u32 * 16);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    TestRunner::new_with_rng(cfg, TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
}

fn params(config: &CheckConfig) -> WebhookParams {
    WebhookParams::default().kinds(config.kinds.clone())
}

fn result(
    name: &str,
    passed: bool,
    reason: String,
    started: Instant,
    repro: Option<Repro>,
) -> CheckResult {
    CheckResult {
        name: name.to_owned(),
        what: info(name).what,
        passed,
        skipped: false,
        reason,
        elapsed: started.elapsed(),
        repro,
    }
}

/// A phase not run: `--cases 0`.
fn skipped(name: &str, started: Instant) -> CheckResult {
    CheckResult {
        skipped: true,
        ..result(name, true, "skipped (--cases 0)".to_owned(), started, None)
    }
}

#[derive(Debug, Default)]
struct Seen {
    exchanges: Exchanges,
    /// The case number of the first failure, and what it got.
    first_failure: Option<(usize, String)>,
    /// What the last failing run got (after shrinking, the minimal case's answer).
    last_failure: Option<Outcome>,
    /// Failing runs during shrinking.
    failing_runs: usize,
    /// A time-out or broken connection: stop sending (shrinking over time-outs would take ages).
    aborted: bool,
    /// When the first failure was seen (shrinking has a time budget).
    failing_since: Option<std::time::Instant>,
}

/// `property/valid-payloads`.
pub(crate) async fn valid_phase(
    config: Arc<CheckConfig>,
    target: Arc<Target>,
) -> (CheckResult, Exchanges) {
    const NAME: &str = "property/valid-payloads";
    let started = Instant::now();
    if config.cases == 0 {
        return (skipped(NAME, started), Vec::new());
    }
    let handle = tokio::runtime::Handle::current();
    let cfg = Arc::clone(&config);
    let joined = tokio::task::spawn_blocking(move || valid_blocking(&cfg, &target, &handle)).await;
    match joined {
        Ok((outcome, seen)) => {
            let check = match outcome {
                Ok(()) => result(
                    NAME,
                    true,
                    format!("{} randomized payloads, each answered 200", config.cases),
                    started,
                    None,
                ),
                Err(TestError::Fail(why, case)) => {
                    let (first_no, first_outcome) = seen
                        .first_failure
                        .clone()
                        .unwrap_or((0, why.message().to_owned()));
                    // What the answer says first, the check's own hint where it says nothing.
                    let fix = seen
                        .last_failure
                        .as_ref()
                        .and_then(answer_hint)
                        .unwrap_or(info(NAME).fix);
                    let reason = if seen.aborted {
                        format!(
                            "case {first_no} of {} {first_outcome}; not shrunk (shrinking would wait for every time-out), expected 200: {fix}",
                            config.cases,
                        )
                    } else {
                        format!(
                            "case {first_no} of {} {first_outcome}; shrunk in {} failing runs to a minimal payload ({}) that {}, expected 200: {fix}",
                            config.cases,
                            seen.failing_runs.saturating_sub(1),
                            case.describe(),
                            why.message(),
                        )
                    };
                    result(
                        NAME,
                        false,
                        reason,
                        started,
                        Some(Repro::new(
                            &config.url(),
                            &case.body,
                            &good_headers(&config, &case.body),
                        )),
                    )
                }
                Err(TestError::Abort(why)) => result(
                    NAME,
                    false,
                    format!("the property run stopped: {}", why.message()),
                    started,
                    None,
                ),
            };
            (check, seen.exchanges)
        }
        Err(e) => (
            result(
                NAME,
                false,
                format!("the property run failed: {e}"),
                started,
                None,
            ),
            Vec::new(),
        ),
    }
}

fn valid_blocking(
    config: &CheckConfig,
    target: &Target,
    handle: &tokio::runtime::Handle,
) -> (Result<(), TestError<Case>>, Seen) {
    // The change first: proptest shrinks a tuple's elements in order, so the change settles on
    // the simplest one that still fails before the payload shrinks under it.
    let strategy = (
        proptest::option::of(proptest::sample::select(COMPAT_ORDER.to_vec())),
        0u64..1_000,
        any_webhook(&params(config)),
    )
        .prop_map(|(mutation, seed, payload)| {
            let body = mutation
                .and_then(|m| m.apply(&payload.body, seed).ok())
                .map_or_else(|| payload.body.clone(), Bytes::from);
            Case {
                payload,
                mutation,
                body,
            }
        });
    let seen = Mutex::new(Seen::default());
    let mut runner = runner(config, 0);
    let outcome = runner.run(&strategy, |case| {
        {
            let s = seen.lock().unwrap_or_else(PoisonError::into_inner);
            let over_budget = s.failing_since.is_some_and(|t| {
                t.elapsed() > SHRINK_TIME_BUDGET || s.exchanges.len() > SHRINK_RUN_BUDGET
            });
            if s.aborted || over_budget {
                // Stop shrinking: every simpler candidate "passes", so the last failure stays.
                return Ok(());
            }
        }
        let headers = good_headers(config, &case.body);
        let (outcome, took) = handle.block_on(target.send(case.body.clone(), &headers));
        let mut s = seen.lock().unwrap_or_else(PoisonError::into_inner);
        s.exchanges
            .push(("property/valid-payloads".to_owned(), outcome.clone(), took));
        if outcome.status() == Some(200) {
            return Ok(());
        }
        s.failing_runs += 1;
        if s.failing_since.is_none() {
            s.failing_since = Some(std::time::Instant::now());
        }
        if s.first_failure.is_none() {
            let n = s.exchanges.len();
            s.first_failure = Some((n, format!("({}) {outcome}", case.describe())));
        }
        if outcome.is_transport_failure() {
            s.aborted = true;
        }
        let why = outcome.to_string();
        s.last_failure = Some(outcome);
        Err(TestCaseError::fail(why))
    });
    (
        outcome,
        seen.into_inner().unwrap_or_else(PoisonError::into_inner),
    )
}

/// `property/mangled-payloads`.
pub(crate) async fn mangled_phase(
    config: Arc<CheckConfig>,
    target: Arc<Target>,
) -> (CheckResult, Exchanges) {
    const NAME: &str = "property/mangled-payloads";
    let started = Instant::now();
    if config.cases == 0 {
        return (skipped(NAME, started), Vec::new());
    }
    let bodies = mangled_bodies(&config);
    let mut exchanges: Exchanges = Vec::new();
    let mut bad: Option<(Mangled, Outcome)> = None;
    let mut statuses: Vec<u16> = Vec::new();
    for batch in bodies.chunks(MANGLED_BATCH.min(config.concurrency)) {
        let mut set = JoinSet::new();
        for (i, m) in batch.iter().enumerate() {
            let target = Arc::clone(&target);
            let body = m.body.clone();
            let headers = good_headers(&config, &body);
            set.spawn(async move { (i, target.send(body, &headers).await) });
        }
        let mut answers: Vec<(usize, Outcome, Duration)> = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok((i, (outcome, took))) = joined {
                answers.push((i, outcome, took));
            }
        }
        answers.sort_by_key(|(i, _, _)| *i);
        let mut stop = false;
        for (i, outcome, took) in answers {
            exchanges.push((NAME.to_owned(), outcome.clone(), took));
            let wrong = match outcome.status() {
                Some(s) => s >= 500,
                None => true,
            };
            stop |= outcome.is_transport_failure();
            if let Some(s) = outcome.status() {
                statuses.push(s);
            }
            if wrong
                && bad.is_none()
                && let Some(m) = batch.get(i)
            {
                bad = Some((m.clone(), outcome));
            }
        }
        if stop {
            break;
        }
    }
    let check = match bad {
        None => {
            let rejected = statuses.iter().filter(|s| (400..500).contains(*s)).count();
            result(
                NAME,
                true,
                format!(
                    "{} broken bodies: {rejected} answered 4xx, {} answered 2xx, none 5xx",
                    statuses.len(),
                    statuses.len() - rejected
                ),
                started,
                None,
            )
        }
        Some((m, outcome)) => result(
            NAME,
            false,
            format!(
                "a correctly signed body with {} (from a {} `{}`) {outcome}, expected no 5xx and an answer in time (a 4xx is best): {}",
                m.mangling,
                m.original.kind.name(),
                m.original.status,
                info(NAME).fix
            ),
            started,
            Some(Repro::new(
                &config.url(),
                &m.body,
                &good_headers(&config, &m.body),
            )),
        ),
    };
    (check, exchanges)
}

/// `cases` distinct mangled bodies, drawn from the seed.
fn mangled_bodies(config: &CheckConfig) -> Vec<Mangled> {
    let strategy = mangled_variants(any_webhook(&params(config)));
    let mut runner = runner(config, MANGLED_STREAM);
    let wanted = config.cases as usize;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(wanted);
    for _ in 0..wanted.saturating_mul(4) {
        if out.len() >= wanted {
            break;
        }
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            break;
        };
        let m = tree.current();
        if seen.insert(m.body.clone()) {
            out.push(m);
        }
    }
    out
}
