//! A conformance suite for a live Veriff webhook receiver: does it verify signatures the right
//! way, accept every change Veriff may ship without notice, stay idempotent and answer in time?
//!
//! [`run`] sends correctly and incorrectly signed webhooks to the receiver's URL and returns a
//! [`Report`]: one [`CheckResult`] per check, each passed or failed with a reason that says what
//! to fix. Every check is listed in [`CHECKS`] with the mistake it catches. The property phase
//! draws `cases` randomized valid payloads (and compatibility variants) with proptest's runner,
//! seeded, and shrinks the first failure to a minimal payload with a `curl` command that
//! reproduces it; then `cases` mangled payloads must get no 5xx and no hang.
//!
//! Requests go out one at a time by default ([`CheckConfig::concurrency`] allows more), and each
//! request's timeout runs from when it is sent: a receiver that serves one request at a time
//! (a sync worker, `php -S`) is timed on its own answers, never on a queue of the suite's making.
//!
//! Nothing here fails the run: an unreachable receiver is a failed check with its reason.
//! `http` and `https` URLs both work; for a development certificate, trust its CA with
//! [`CheckConfig::tls`] or accept any certificate.
//!
//! ```
//! use veriff_mock_check::{CheckConfig, run};
//! use veriff_mock_contract::SharedSecret;
//! use veriff_mock_receiver::Receiver;
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345")?;
//! let receiver = Receiver::builder().secret(secret.clone()).start().await?;
//!
//! let config = CheckConfig::new(&receiver.url(), secret)?.cases(8).seed(7);
//! let report = run(&config).await;
//! assert!(report.passed(), "{}", report.to_text());
//! assert!(report.checks.iter().any(|c| c.name == "signature/uppercase-hex"));
//! # Ok(())
//! # }
//! ```

mod probes;
mod property;
mod report;
mod target;

use std::time::Duration;

use http::Uri;
use veriff_mock_contract::{Kind, SharedSecret};

pub use probes::{CHECKS, CheckInfo};
pub use report::{Repro, curl_command, human};
pub use target::{NOT_HTTP, Outcome, TLS_FAILED};

/// Default time a receiver gets to answer each request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default number of requests in flight at once: one, so a receiver that serves one request at a
/// time is timed on its own answers, not on requests queued behind each other.
pub const DEFAULT_CONCURRENCY: usize = 1;
/// The most requests in flight at once that [`CheckConfig::concurrency`] allows (more would
/// never be used: the suite has fewer requests ready at any time).
pub const MAX_CONCURRENCY: usize = 1_024;
/// Default number of randomized cases in each property phase.
pub const DEFAULT_CASES: u32 = 64;
/// The most randomized cases per property phase that [`CheckConfig::cases`] allows. Each case
/// is a request, and every exchange and mangled body is kept for the report (tens of megabytes
/// at this count); more cases would take hours one request at a time and find little more.
pub const MAX_CASES: u32 = 10_000;
/// The API key sent in `X-AUTH-CLIENT` when none is given (also the key the
/// `signature/api-key-as-secret` check signs with).
pub const DEFAULT_API_KEY: &str = "00000000-0000-4000-8000-000000000000";

/// Why a check run could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The URL is not an absolute `http://host[:port]/path` URL.
    #[error("invalid URL {url:?}: {reason}")]
    BadUrl {
        /// What was given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The API key is empty.
    #[error("the API key is empty")]
    EmptyApiKey,
    /// The TLS settings are unusable (an unreadable CA file, one with no certificate).
    #[error("{0}")]
    Tls(String),
}

/// What to check and how.
#[derive(Debug, Clone)]
#[must_use]
pub struct CheckConfig {
    uri: Uri,
    secret: SharedSecret,
    api_key: String,
    kinds: Vec<Kind>,
    cases: u32,
    seed: u64,
    timeout: Duration,
    concurrency: usize,
    insecure: bool,
    connector: target::Connector,
}

impl CheckConfig {
    /// Checks the receiver at `url` (absolute `http://` URL) that verifies with `secret`.
    /// Defaults: every kind, [`DEFAULT_CASES`] cases, seed 0, [`DEFAULT_TIMEOUT`],
    /// [`DEFAULT_CONCURRENCY`], [`DEFAULT_API_KEY`].
    ///
    /// # Errors
    /// [`CheckError::BadUrl`] for a URL that is not absolute `http`.
    pub fn new(url: &str, secret: SharedSecret) -> Result<Self, CheckError> {
        let bad = |reason: &str| CheckError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            Some(other) => {
                return Err(bad(&format!(
                    "unsupported scheme {other:?}; use http:// or https://"
                )));
            }
            None => {
                return Err(bad(
                    "not absolute; write e.g. http://127.0.0.1:8080/webhooks",
                ));
            }
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        // The engine's own checks (a port out of range, for one).
        veriff_mock_send::parse_url(url).map_err(|e| bad(&e.reason))?;
        Ok(CheckConfig {
            uri,
            secret,
            api_key: DEFAULT_API_KEY.to_owned(),
            kinds: Kind::ALL.to_vec(),
            cases: DEFAULT_CASES,
            seed: 0,
            timeout: DEFAULT_TIMEOUT,
            concurrency: DEFAULT_CONCURRENCY,
            insecure: false,
            connector: target::connector(false, None)?,
        })
    }

    /// TLS for `https` URLs: trust the CA certificates of a PEM file instead of the web roots,
    /// or, with `insecure`, accept any certificate (self-signed development certificates).
    ///
    /// # Errors
    /// [`CheckError::Tls`] for an unreadable CA file or one with no certificate.
    pub fn tls(
        mut self,
        insecure: bool,
        ca_file: Option<std::path::PathBuf>,
    ) -> Result<Self, CheckError> {
        self.connector = target::connector(insecure, ca_file)?;
        self.insecure = insecure;
        Ok(self)
    }

    /// Only these kinds (all when empty). The first one is used for the checks that need one
    /// payload.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = Kind>) -> Self {
        let mut list: Vec<Kind> = Vec::new();
        for kind in kinds {
            if !list.contains(&kind) {
                list.push(kind);
            }
        }
        self.kinds = if list.is_empty() {
            Kind::ALL.to_vec()
        } else {
            list
        };
        self
    }

    /// Randomized cases in each property phase (0 skips both property checks' requests; more
    /// than [`MAX_CASES`] is taken as [`MAX_CASES`]).
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases.min(MAX_CASES);
        self
    }

    /// Seed of every payload and of the property phases.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Time each answer must come within (at least 1 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Requests in flight at once (1 to [`MAX_CONCURRENCY`]; 0 is taken as 1). The default, 1,
    /// times each answer alone; more finishes sooner against a receiver that serves requests in
    /// parallel. The timeout of each request runs from when it is sent, never while it waits for
    /// its turn.
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.clamp(1, MAX_CONCURRENCY);
        self
    }

    /// The API key sent in `X-AUTH-CLIENT`.
    ///
    /// # Errors
    /// [`CheckError::EmptyApiKey`].
    pub fn api_key(mut self, key: impl Into<String>) -> Result<Self, CheckError> {
        let key = key.into();
        if key.trim().is_empty() {
            return Err(CheckError::EmptyApiKey);
        }
        self.api_key = key;
        Ok(self)
    }

    /// The URL checked.
    #[must_use]
    pub fn url(&self) -> String {
        self.uri.to_string()
    }

    /// The kinds checked.
    #[must_use]
    pub fn get_kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// The number of property cases.
    #[must_use]
    pub fn get_cases(&self) -> u32 {
        self.cases
    }

    /// The seed.
    #[must_use]
    pub fn get_seed(&self) -> u64 {
        self.seed
    }

    /// The timeout.
    #[must_use]
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The number of requests in flight at once.
    #[must_use]
    pub fn get_concurrency(&self) -> usize {
        self.concurrency
    }
}

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// `group/name`, e.g. `signature/uppercase-hex`.
    pub name: String,
    /// What it checks, one line.
    pub what: &'static str,
    /// Whether the receiver did the right thing. A skipped check counts as passed: nothing
    /// failed.
    pub passed: bool,
    /// Not run (a property phase with `--cases 0`).
    pub skipped: bool,
    /// What happened; for a failure, also what to fix.
    pub reason: String,
    /// Time the check took (for a fixed check, the time its requests took once sent).
    pub elapsed: Duration,
    /// For failures: the (minimal) request that shows it.
    pub repro: Option<Repro>,
}

impl CheckResult {
    /// The group: the part of the name before `/`.
    #[must_use]
    pub fn group(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The URL checked.
    pub url: String,
    /// The seed used.
    pub seed: u64,
    /// Property cases per phase.
    pub cases: u32,
    /// The timeout used.
    pub timeout: Duration,
    /// One result per check, in [`CHECKS`] order (`valid/<kind>` once per kind).
    pub checks: Vec<CheckResult>,
    /// The one cause behind the failures, when the answers point at one (a wrong secret, path or
    /// port), with its fix.
    pub diagnosis: Option<String>,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}

impl Report {
    /// Every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| !c.passed)
    }

    /// The result of the check called `name`.
    #[must_use]
    pub fn check(&self, name: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Runs every check against the receiver, with at most [`CheckConfig::concurrency`] requests in
/// flight at once, and reports. Needs a tokio runtime with the time and I/O drivers enabled; the property phase runs
/// on tokio's blocking pool.
pub async fn run(config: &CheckConfig) -> Report {
    let started = tokio::time::Instant::now();
    let target = target::Target::new(
        config.uri.clone(),
        config.timeout,
        config.concurrency,
        &config.connector,
    );
    let (mut checks, diagnosis) = probes::run_all(config, &target).await;
    if config.insecure {
        // The repro commands must accept the same certificates the checks did.
        for repro in checks.iter_mut().filter_map(|c| c.repro.as_mut()) {
            repro.curl = repro.curl.replacen("curl ", "curl -k ", 1);
        }
    }
    let order = |name: &str| {
        let base = if name.starts_with("valid/") {
            "valid/<kind>"
        } else {
            name
        };
        CHECKS
            .iter()
            .position(|c| c.name == base)
            .unwrap_or(usize::MAX)
    };
    checks.sort_by_key(|c| order(&c.name));
    Report {
        url: config.url(),
        seed: config.seed,
        cases: config.cases,
        timeout: config.timeout,
        checks,
        diagnosis,
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_cases_than_the_maximum_are_taken_as_the_maximum() {
        let secret = SharedSecret::new("s").unwrap();
        let config = CheckConfig::new("http://127.0.0.1:1/", secret).unwrap();
        assert_eq!(config.clone().cases(u32::MAX).get_cases(), MAX_CASES);
        assert_eq!(config.cases(7).get_cases(), 7);
    }
}
