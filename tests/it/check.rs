//! `veriff-mock check` end to end: against the embedded receiver (correct, then with each flaw on
//! purpose), against a receiver written in Python (tests/receivers/receiver.py), exit codes, JSON
//! and JUnit output.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use veriff_mock_contract::SharedSecret;
use veriff_mock_receiver::{Flaw, Receiver, RunningReceiver};

use crate::support::{self, Output};

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

/// The embedded receiver on its own runtime (the command under test builds its own).
struct Embedded {
    receiver: Option<RunningReceiver>,
    runtime: tokio::runtime::Runtime,
}

impl Embedded {
    fn start(flaw: Option<Flaw>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut builder = Receiver::builder().secret(SharedSecret::new(SECRET).unwrap());
        if let Some(flaw) = flaw {
            builder = builder.flaw(flaw);
        }
        let receiver = runtime.block_on(builder.start()).unwrap();
        Embedded {
            receiver: Some(receiver),
            runtime,
        }
    }

    fn url(&self) -> String {
        self.receiver.as_ref().unwrap().url()
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(r) = self.receiver.take() {
            let _guard = self.runtime.enter();
            drop(r);
        }
    }
}

/// tests/receivers/receiver.py, started with `python3`, killed on drop.
struct Python {
    child: Child,
    url: String,
}

impl Python {
    fn start(flaw: Option<Flaw>) -> Self {
        Self::start_with(flaw, &[])
    }

    /// With more of receiver.py's options (`--serial`, `--delay SECONDS`).
    fn start_with(flaw: Option<Flaw>, options: &[&str]) -> Self {
        let script: PathBuf = [
            env!("CARGO_MANIFEST_DIR"),
            "tests",
            "receivers",
            "receiver.py",
        ]
        .iter()
        .collect();
        let mut command = Command::new("python3");
        command
            .arg(&script)
            .args(["--port", "0", "--secret", SECRET])
            .args(options)
            .env_remove("RECEIVER_FLAW")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(flaw) = flaw {
            command.args(["--flaw", flaw.name()]);
        }
        let mut child = command
            .spawn()
            .expect("python3 runs tests/receivers/receiver.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("url: ")
            .unwrap_or_else(|| panic!("receiver.py printed {line:?}"))
            .to_owned();
        Python { child, url }
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The timeout to run `check` with: the default (2 s) against the slow flaw, which answers after
/// 3 s; a generous one otherwise, so a loaded CI machine cannot turn a slow answer into a failure.
fn timeout_for(flaw: Option<Flaw>) -> &'static str {
    if flaw == Some(Flaw::Slow) {
        "2s"
    } else {
        "10s"
    }
}

/// `--timeout` as [`timeout_for`], and against the slow flaw every request at once (these
/// receivers serve requests in parallel), so the run waits out one timeout, not one per request.
fn timing_for(flaw: Option<Flaw>) -> [&'static str; 4] {
    let concurrency = if flaw == Some(Flaw::Slow) { "64" } else { "1" };
    ["--timeout", timeout_for(flaw), "--concurrency", concurrency]
}

fn check_json(url: &str, extra: &[&str]) -> (Output, Value) {
    let mut args = vec![
        "check", "--to", url, "--secret", SECRET, "--cases", "64", "--seed", "5", "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = support::run(&args);
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout_text(), out.stderr));
    (out, json)
}

fn failed(json: &Value) -> BTreeSet<String> {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

fn check_named<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}"))
}

/// Parses a JUnit file with Python's XML parser: (testcases, failures, names).
fn parse_junit(path: &std::path::Path) -> (usize, usize, Vec<String>) {
    let script = "import sys, xml.etree.ElementTree as E\n\
root = E.parse(sys.argv[1]).getroot()\n\
cases = root.findall('.//testcase')\n\
print(len(cases)); print(sum(1 for c in cases if c.find('failure') is not None))\n\
for c in cases: print(c.get('name'))\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 parses the JUnit file");
    assert!(
        out.status.success(),
        "invalid XML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let cases = lines.next().unwrap().parse().unwrap();
    let failures = lines.next().unwrap().parse().unwrap();
    (cases, failures, lines.map(str::to_owned).collect())
}

#[test]
fn every_check_passes_against_the_embedded_receiver_with_a_valid_junit_file() {
    let receiver = Embedded::start(None);
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("check.xml");
    let out = support::run(&[
        "check",
        "--to",
        &receiver.url(),
        "--secret",
        SECRET,
        "--cases",
        "32",
        "--timeout",
        timeout_for(None),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let text = out.stdout_text();
    assert_eq!(out.code, 0, "{text}\n{}", out.stderr);
    assert!(text.contains("PASS  compat/pretty-printed"), "{text}");
    assert!(text.contains("29 checks: 29 passed, 0 failed"), "{text}");
    let (cases, failures, names) = parse_junit(&junit);
    assert_eq!((cases, failures), (29, 0));
    assert!(
        names.contains(&"delivery/duplicate".to_owned()),
        "{names:?}"
    );
}

#[test]
fn each_flaw_of_the_embedded_receiver_is_caught_by_its_checks() {
    let handles: Vec<_> = Flaw::ALL
        .into_iter()
        .map(|flaw| {
            std::thread::spawn(move || {
                let receiver = Embedded::start(Some(flaw));
                let dir = tempfile::tempdir().unwrap();
                let junit = dir.path().join("check.xml");
                let (out, json) = check_json(
                    &receiver.url(),
                    &[
                        &["--junit", junit.to_str().unwrap()][..],
                        &timing_for(Some(flaw)),
                    ]
                    .concat(),
                );
                (flaw, out, json, parse_junit(&junit))
            })
        })
        .collect();
    for handle in handles {
        let (flaw, out, json, (cases, failures, _)) = handle.join().unwrap();
        assert_eq!(out.code, 1, "{flaw}: {}", out.stderr);
        assert!(out.stderr.contains("checks failed"), "{}", out.stderr);
        let failed = failed(&json);
        for name in flaw.caught_by() {
            assert!(failed.contains(*name), "{flaw}: {name} passed: {json:#}");
            let reason = check_named(&json, name)["reason"].as_str().unwrap();
            assert!(reason.contains(", expected"), "{flaw}: {reason}");
        }
        if flaw != Flaw::Slow {
            let unexpected: Vec<&String> = failed
                .iter()
                .filter(|n| !flaw.caught_by().contains(&n.as_str()) && !n.starts_with("property/"))
                .collect();
            assert!(unexpected.is_empty(), "{flaw}: {unexpected:?}");
        }
        assert_eq!(json["failed"].as_u64().unwrap() as usize, failed.len());
        assert_eq!(
            (cases, failures),
            (json["checks"].as_array().unwrap().len(), failed.len())
        );
        // Where the property phase applies, it shrinks to a minimal payload and says how to
        // reproduce it.
        if matches!(
            flaw,
            Flaw::Restringify | Flaw::StrictSchema | Flaw::UnknownKind500
        ) {
            let property = check_named(&json, "property/valid-payloads");
            assert_eq!(property["passed"], false, "{flaw}: {property:#}");
            let reason = property["reason"].as_str().unwrap();
            assert!(reason.contains("shrunk in"), "{flaw}: {reason}");
            let curl = property["repro"]["curl"].as_str().unwrap();
            assert!(
                curl.starts_with("curl -sS -i -X POST 'http://127.0.0.1:"),
                "{curl}"
            );
            let body = property["repro"]["body"].as_str().unwrap();
            assert!(body.len() < 700, "{flaw}: not minimal: {body}");
        }
    }
}

#[test]
fn a_python_receiver_gets_the_same_verdicts() {
    let flaws: Vec<Option<Flaw>> = std::iter::once(None)
        .chain(Flaw::ALL.into_iter().map(Some))
        .collect();
    let handles: Vec<_> = flaws
        .into_iter()
        .map(|flaw| {
            std::thread::spawn(move || {
                let python = Python::start(flaw);
                let (out, json) = check_json(&python.url, &timing_for(flaw));
                (flaw, out, json)
            })
        })
        .collect();
    for handle in handles {
        let (flaw, out, json) = handle.join().unwrap();
        let failed = failed(&json);
        match flaw {
            None => {
                assert_eq!(out.code, 0, "receiver.py: {json:#}");
                assert!(failed.is_empty());
            }
            Some(flaw) => {
                assert_eq!(out.code, 1, "{flaw}");
                let fixed: BTreeSet<String> = failed
                    .iter()
                    .filter(|n| !n.starts_with("property/"))
                    .cloned()
                    .collect();
                let expected: BTreeSet<String> = if flaw == Flaw::Slow {
                    fixed.clone()
                } else {
                    flaw.caught_by().iter().map(|s| (*s).to_owned()).collect()
                };
                assert_eq!(fixed, expected, "receiver.py --flaw {flaw}");
                for name in flaw.caught_by() {
                    assert!(failed.contains(*name), "receiver.py --flaw {flaw}: {name}");
                }
            }
        }
    }
}

/// The audit's receiver: Python's single-threaded `HTTPServer` (listen backlog 5), 150 ms per
/// request, checked with the defaults. When `check` sent its requests all at once, the later
/// ones waited behind the others and failed with "no answer within 2 s".
#[test]
fn a_python_receiver_that_serves_one_request_at_a_time_passes() {
    let python = Python::start_with(None, &["--serial", "--delay", "0.15"]);
    let out = support::run(&[
        "check",
        "--to",
        &python.url,
        "--secret",
        SECRET,
        "--cases",
        "16",
    ]);
    let text = out.stdout_text();
    assert_eq!(out.code, 0, "{text}\n{}", out.stderr);
    assert!(text.contains("PASS  delivery/response-time"), "{text}");
}

#[test]
fn a_wrong_secret_is_named_in_the_closing_line() {
    let receiver = Embedded::start(None);
    let out = support::run(&[
        "check",
        "--to",
        &receiver.url(),
        "--secret",
        "not-the-receiver-s-secret",
        "--cases",
        "2",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("checks failed: every correctly signed payload was refused (401)")
            && out.stderr.contains("--secret")
            && !out.stderr.contains("not-the-receiver-s-secret"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreachable_receiver_is_a_failed_check_and_bad_arguments_are_usage_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let out = support::run(&["check", "--to", &url, "--cases", "2", "--timeout", "500ms"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = out.stdout_text();
    assert!(
        text.contains("FAIL  valid/decision") && text.contains("no answer"),
        "{text}"
    );
    // One line names the one cause of every failure.
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("nothing answers at 127.0.0.1:")
            && out.stderr.contains("start your receiver"),
        "{}",
        out.stderr
    );
    // Skipped checks (`--cases 0`) do not hide the one cause: here, a name that does not resolve.
    let out = support::run(&[
        "check",
        "--to",
        "http://no-such-host.invalid/",
        "--cases",
        "0",
        "--timeout",
        "500ms",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot resolve no-such-host.invalid")
            && out.stderr.contains("fix --to"),
        "{}",
        out.stderr
    );

    for args in [
        &["check", "--to", "not a url"][..],
        &["check", "--to", "ftp://example.com/"],
        &["check", "--to", &url, "--ca", "no-such-ca.pem"],
        &["check", "--to", &url, "--secret", " "],
        &["check", "--to", &url, "--timeout", "soon"],
        &["check", "--to", &url, "--kind", "passport"],
        &["check", "--to", &url, "--concurrency", "0"],
        &["check", "--to", &url, "--concurrency", "1025"],
        &["check", "--to", &url, "--concurrency", "many"],
        &[
            "check",
            "--to",
            &url,
            "--secret",
            "same",
            "--api-key",
            "same",
        ],
    ] {
        let out = support::run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.starts_with("veriff-mock: "), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn https_to_a_plain_http_receiver_is_named_in_the_closing_line() {
    let receiver = Embedded::start(None);
    let url = receiver.url().replacen("http://", "https://", 1);
    let out = support::run(&["check", "--to", &url, "--cases", "0", "--secret", SECRET]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("every request failed the TLS handshake: the server did not answer in TLS")
            && out.stderr.contains("use http://"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_bad_url_is_named_as_fire_names_it() {
    for url in [
        "http://",
        "https:///path",
        "ftp://example.com/",
        "http://127.0.0.1:99999/",
    ] {
        let check = support::run(&["check", "--to", url]);
        let fire = support::run(&["fire", "--to", url, "--no-tui"]);
        assert_eq!(check.code, 2, "{url}: {}", check.stderr);
        assert_eq!(check.stderr, fire.stderr, "{url}");
    }
    let out = support::run(&["check", "--to", "http://"]);
    assert!(out.stderr.contains("has no host"), "{}", out.stderr);
}

#[test]
fn more_cases_than_the_maximum_is_a_usage_error_said_at_once() {
    let started = std::time::Instant::now();
    let out = support::run(&[
        "check",
        "--to",
        "http://127.0.0.1:1/",
        "--cases",
        "100000000",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("maximum of 10000") && out.stderr.contains("--cases 10000"),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn receive_accepts_a_flaw_name_and_refuses_an_unknown_one() {
    let out = support::run(&["receive", "--flaw", "sloppy"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("restringify"), "{}", out.stderr);
    let help = support::run(&["receive", "--help"]).stdout_text();
    assert!(help.contains("--flaw"), "{help}");
}

#[test]
fn kinds_narrow_the_suite_and_the_seed_replays_it() {
    let receiver = Embedded::start(None);
    let url = receiver.url();
    let run = || {
        check_json(
            &url,
            &[
                "--kind",
                "event",
                "--kind",
                "ine",
                "--timeout",
                timeout_for(None),
            ],
        )
    };
    let (out, json) = run();
    assert_eq!(out.code, 0, "{json:#}");
    let names: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], ["valid/event", "valid/ine"]);
    assert!(!names.contains(&"valid/decision"), "{names:?}");
    // Null person/document only applies to decisions and Full Auto webhooks.
    assert!(!names.contains(&"compat/null-person-document"), "{names:?}");
    assert_eq!(names.len(), 22);
    let (_, again) = run();
    assert_eq!(again["checks"].as_array().unwrap().len(), 22);
}
