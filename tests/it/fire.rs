//! `fire` against real servers on 127.0.0.1: retries, the store, hostile endpoints, chaos flags,
//! NDJSON output and exit codes. Servers run on their own runtime thread, since `fire` starts its
//! own runtime.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use veriff_mock_contract::Webhook;
use veriff_mock_receiver::Receiver;

use crate::independent;
use crate::support::{Output, run};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn ndjson(out: &Output) -> Vec<Value> {
    out.stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A receiver (default secret) that answers 500 to the first 3 attempts of every payload.
fn fails_thrice(rt: &tokio::runtime::Runtime) -> veriff_mock_receiver::RunningReceiver {
    rt.block_on(
        Receiver::builder()
            .secret(veriff_mock_contract::SharedSecret::new(veriff_mock::DEFAULT_SECRET).unwrap())
            .status_sequence([500, 500, 500])
            .start(),
    )
    .unwrap()
}

fn store_count(path: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn three_failures_then_success_for_200_payloads() {
    let rt = runtime();
    let receiver = fails_thrice(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let out = run(&[
        "fire",
        "--to",
        &receiver.url(),
        "--kind",
        "decision",
        "--count",
        "200",
        "--retry-schedule",
        "veriff",
        "--time-scale",
        "36000",
        "--store",
        store.to_str().unwrap(),
        "--seed",
        "1",
        "--no-tui",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout_text()
            .contains("done: 200 delivered, 600 retries, 0 exhausted"),
        "{}",
        out.stdout_text()
    );
    assert_eq!(store_count(&store, "select count(*) from attempts"), 800);
    assert_eq!(
        store_count(
            &store,
            "select count(*) from deliveries where state = 'delivered' and attempts = 4"
        ),
        200
    );
    let stats = rt.block_on(receiver.shutdown());
    assert_eq!(
        (stats.ok, stats.failed_on_purpose, stats.unauthorized),
        (200, 600, 0)
    );
}

#[test]
fn ndjson_output_follows_the_versioned_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let out = run(&[
        "fire",
        "--kind",
        "event",
        "--count",
        "3",
        "--seed",
        "2",
        "--store",
        store.to_str().unwrap(),
        "--output",
        "ndjson",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let events = ndjson(&out);
    assert_eq!(events[0]["type"], "ready");
    assert_eq!(events.last().unwrap()["type"], "finished");
    assert!(
        events.iter().all(|e| e["v"] == 1),
        "every event carries the schema version"
    );
    let count = |t: &str| events.iter().filter(|e| e["type"] == t).count();
    assert_eq!(
        (
            count("queued"),
            count("attempt_started"),
            count("attempt_finished"),
            count("delivered")
        ),
        (3, 3, 3, 3)
    );
    let finished = events
        .iter()
        .find(|e| e["type"] == "attempt_finished")
        .unwrap();
    assert_eq!(finished["status"], 200);
    assert!(finished["latency_us"].is_u64());
    assert_eq!(events.last().unwrap()["summary"]["delivered"], 3);
}

/// Hostile endpoints on 127.0.0.1, each with its own behaviour.
fn hostile(kind: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    if kind == "closed" {
        drop(listener);
        return format!("http://{addr}/hook");
    }
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                let _ = match kind {
                    "silent" => {
                        std::thread::sleep(Duration::from_secs(5));
                        Ok(())
                    }
                    "slow" => {
                        std::thread::sleep(Duration::from_millis(1500));
                        stream.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
                    }
                    "huge" => {
                        let head = "HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\ncontent-length: 10485760\r\n\r\n";
                        stream.write_all(head.as_bytes()).and_then(|()| {
                            let chunk = vec![b'x'; 65536];
                            (0..160).try_for_each(|_| stream.write_all(&chunk))
                        })
                    }
                    "garbage" => stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\nthis is not http\r\n"),
                    "redirect" => stream.write_all(b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:1/\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"),
                    _ => Ok(()),
                };
            });
        }
    });
    format!("http://{addr}/hook")
}

#[test]
fn hostile_endpoints_are_recorded_with_an_error_kind_and_retried() {
    let cases = [
        ("closed", "connect_refused"),
        ("silent", "timeout"),
        ("slow", "timeout"),
        ("huge", "http_status"),
        ("garbage", "protocol"),
        ("redirect", "redirect"),
    ];
    for (kind, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("d.db");
        let started = Instant::now();
        let out = run(&[
            "fire",
            "--to",
            &hostile(kind),
            "--kind",
            "decision",
            "--count",
            "2",
            "--seed",
            "1",
            "--retry-schedule",
            "50ms,50ms",
            "--timeout",
            "1s",
            "--connect-timeout",
            "500ms",
            "--store",
            store.to_str().unwrap(),
            "--output",
            "ndjson",
        ]);
        let elapsed = started.elapsed();
        assert_eq!(
            out.code, 1,
            "{kind}: every delivery is exhausted: {}",
            out.stderr
        );
        assert!(elapsed < Duration::from_secs(12), "{kind} took {elapsed:?}");
        let events = ndjson(&out);
        let finished: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "attempt_finished")
            .collect();
        assert_eq!(finished.len(), 6, "{kind}: 2 payloads × 3 attempts");
        for e in &finished {
            let error = e["error"].as_str().unwrap_or("none");
            assert_eq!(error, expected, "{kind}: {e}");
        }
        assert_eq!(
            events.iter().filter(|e| e["type"] == "exhausted").count(),
            2,
            "{kind}"
        );
        // Stdout is NDJSON; stderr says why the exit code is 1.
        assert!(
            out.stderr
                .contains("exit 1: 2 exhausted, 0 unexpected outcomes"),
            "{kind}: {}",
            out.stderr
        );
        assert_eq!(
            store_count(
                &store,
                "select count(*) from attempts where error_kind is not null"
            ),
            6,
            "{kind}"
        );
    }
}

#[test]
fn an_independent_receiver_verifies_every_signature_under_chaos() {
    let rt = runtime();
    let secret = "independent-secret-☃";
    let receiver = rt.block_on(independent::start(secret));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let out = run(&[
        "fire",
        "--to",
        &receiver.url(),
        "--scenario",
        "mixed",
        "--count",
        "40",
        "--seed",
        "11",
        "--secret",
        secret,
        "--api-key",
        "my-api-key",
        "--time-scale",
        "1000000",
        "--compat",
        "--duplicate-rate",
        "0.3",
        "--shuffle",
        "8",
        "--vrf-headers",
        "--integration-id",
        "my-integration",
        "--legacy-signature",
        "--store",
        store.to_str().unwrap(),
        "--no-tui",
    ]);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, out.stdout_text());
    let seen = receiver.seen();
    assert!(
        seen.len() > 80,
        "a mixed run of 40 sessions sends many webhooks: {}",
        seen.len()
    );
    let mut kinds = std::collections::BTreeSet::new();
    for s in &seen {
        assert!(
            s.valid,
            "signature rejected for {}",
            String::from_utf8_lossy(&s.body)
        );
        assert_eq!(s.auth_client.as_deref(), Some("my-api-key"));
        assert_eq!(s.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            s.vrf,
            [
                s.signature.clone(),
                Some("my-api-key".to_owned()),
                Some("my-integration".to_owned())
            ]
        );
        if let Ok(w) = Webhook::parse(&s.body) {
            kinds.insert(w.kind().map_or("unknown".to_owned(), |k| k.to_string()));
        }
    }
    assert!(kinds.len() >= 5, "kinds seen: {kinds:?}");
    assert!(
        out.stdout_text().contains("duplicates"),
        "{}",
        out.stdout_text()
    );
}

#[test]
fn every_kind_is_signed_for_an_independent_receiver() {
    let rt = runtime();
    let receiver = rt.block_on(independent::start("k"));
    for kind in veriff_mock_contract::Kind::ALL {
        let dir = tempfile::tempdir().unwrap();
        let out = run(&[
            "fire",
            "--to",
            &receiver.url(),
            "--kind",
            kind.name(),
            "--count",
            "5",
            "--secret",
            "k",
            "--seed",
            "3",
            "--store",
            dir.path().join("d.db").to_str().unwrap(),
        ]);
        assert_eq!(out.code, 0, "{kind}: {}", out.stderr);
    }
    let seen = receiver.seen();
    assert_eq!(seen.len(), 40);
    assert!(seen.iter().all(|s| s.valid));
}

#[test]
fn tampered_signatures_are_expected_rejections_unless_accepted() {
    let rt = runtime();
    let strict = rt
        .block_on(
            Receiver::builder()
                .secret(veriff_mock_contract::SharedSecret::new("t").unwrap())
                .start(),
        )
        .unwrap();
    let lax = rt.block_on(Receiver::builder().start()).unwrap(); // verifies nothing
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let args = |url: &str| -> Vec<String> {
        [
            "fire",
            "--to",
            url,
            "--kind",
            "decision",
            "--count",
            "10",
            "--secret",
            "t",
            "--tamper-rate",
            "1",
            "--seed",
            "5",
            "--store",
            store.to_str().unwrap(),
            "--output",
            "ndjson",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    let a = args(&strict.url());
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.code, 0,
        "a receiver that rejects bad signatures passes: {}",
        out.stderr
    );
    assert_eq!(
        ndjson(&out).last().unwrap()["summary"]["expected_rejections"],
        10
    );
    let a = args(&lax.url());
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.code, 1,
        "a receiver that accepts bad signatures fails the run"
    );
    assert_eq!(ndjson(&out).last().unwrap()["summary"]["unexpected"], 10);
}

#[test]
fn config_routes_each_kind_to_its_url() {
    let rt = runtime();
    let decisions = rt.block_on(independent::start(veriff_mock::DEFAULT_SECRET));
    let others = rt.block_on(independent::start(veriff_mock::DEFAULT_SECRET));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("veriff-mock.toml");
    std::fs::write(
        &config,
        format!(
            "default = \"{}\"\n[urls]\ndecision = \"{}\"\n",
            others.url(),
            decisions.url()
        ),
    )
    .unwrap();
    let out = run(&[
        "fire",
        "--config",
        config.to_str().unwrap(),
        "--scenario",
        "approved",
        "--count",
        "3",
        "--time-scale",
        "100000",
        "--store",
        dir.path().join("d.db").to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let decided: Vec<_> = decisions
        .seen()
        .iter()
        .map(|s| Webhook::parse(&s.body).unwrap().kind())
        .collect();
    assert_eq!(decided.len(), 3);
    assert!(
        decided
            .iter()
            .all(|k| *k == Some(veriff_mock_contract::Kind::Decision))
    );
    assert!(others.seen().iter().all(
        |s| Webhook::parse(&s.body).unwrap().kind() == Some(veriff_mock_contract::Kind::Event)
    ));
    assert_eq!(others.seen().len(), 6, "started + submitted per session");

    // Only the kinds a scenario sends need a URL.
    let only_decisions = dir.path().join("decisions.toml");
    std::fs::write(
        &only_decisions,
        format!("[urls]\ndecision = \"{}\"\n", decisions.url()),
    )
    .unwrap();
    let with = |scenario: &str| {
        run(&[
            "fire",
            "--config",
            only_decisions.to_str().unwrap(),
            "--scenario",
            scenario,
            "--count",
            "2",
            "--time-scale",
            "10000000",
            "--store",
            dir.path().join("e.db").to_str().unwrap(),
        ])
    };
    let expired = with("expired");
    assert_eq!(expired.code, 0, "{}", expired.stderr);
    assert_eq!(decisions.seen().len(), 5);
    let approved = with("approved");
    assert_eq!(approved.code, 2, "{}", approved.stderr);
    assert!(
        approved.stderr.contains("no URL for kind event"),
        "{}",
        approved.stderr
    );
}

#[test]
fn usage_and_config_errors_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad_toml = dir.path().join("bad.toml");
    std::fs::write(&bad_toml, "[urls]\ndecisoin = \"http://127.0.0.1:1/\"\n").unwrap();
    let store = dir.path().join("d.db");
    let s = store.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["fire", "--to", "ftp://x/", "--store", s], "http"),
        (
            &[
                "fire",
                "--to",
                "http://127.0.0.1:1/",
                "--retry-schedule",
                "5x",
                "--store",
                s,
            ],
            "retry-schedule",
        ),
        (
            &["fire", "--config", "/nope/veriff-mock.toml", "--store", s],
            "cannot read config",
        ),
        (
            &["fire", "--config", bad_toml.to_str().unwrap(), "--store", s],
            "decisoin",
        ),
        (
            &[
                "fire", "--kind", "event", "--status", "approved", "--store", s,
            ],
            "started, submitted",
        ),
        (&["fire", "--scenario", "happy", "--store", s], "happy"),
        (&["fire", "--time-scale", "0", "--store", s], "time-scale"),
        (
            &["fire", "--time-scale", "fast", "--store", s],
            "'fast' for '--time-scale <X>': expected a number such as 0.5 or 10",
        ),
        (
            &["fire", "--count", "-3", "--store", s],
            "'-3' for '--count <COUNT>': expected a whole number",
        ),
        (&["fire", "--tamper-rate", "2", "--store", s], "tamper-rate"),
        (&["fire", "--secret", "", "--store", s], "empty"),
        (
            &["fire", "--api-key", "", "--store", s],
            "--api-key is empty: pass the integration's API key",
        ),
        (
            &["fire", "--integration-id", "", "--store", s],
            "--integration-id is empty",
        ),
        (
            &["fire", "--retry-schedule", "--no-tui", "--store", s],
            "--no-tui is a flag, not a schedule",
        ),
        (&["fire", "--concurrency", "0", "--store", s], "concurrency"),
        (&["fire", "--timeout", "0s", "--store", s], "--timeout"),
        (
            &["fire", "--tui", "--kind", "decision", "--store", s],
            "--tui needs a terminal",
        ),
        (&["demo", "--tui", "--store", s], "--tui needs a terminal"),
        (
            &["fire", "--connect-timeout", "0ms", "--store", s],
            "--connect-timeout",
        ),
        (
            &["fire", "--to", "http://127.0.0.1:99999/", "--store", s],
            "port",
        ),
        (
            &["check", "--to", "http://127.0.0.1:1/", "--timeout", "0s"],
            "--timeout",
        ),
        (&["verify", "--secret", "s"], "provided: --signature <HEX>"),
        (
            &["generate", "--format", "http", "--to", "notaurl"],
            "not an http:// or https:// URL",
        ),
        (
            &["generate", "--format", "xml"],
            "[possible values: ndjson, json, http]",
        ),
        (
            &["fire", "--count", "-1", "--store", s],
            "invalid value '-1'",
        ),
        (
            &[
                "fire",
                "--to",
                "https://127.0.0.1:1/",
                "--ca",
                "/nonexistent/ca.pem",
                "--store",
                s,
            ],
            "CA file",
        ),
        (
            &["resend", "1", "--store", "/nope/d.db"],
            "no delivery store",
        ),
    ];
    for (args, expected) in cases {
        let out = run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn resend_delivers_the_stored_bytes_again_as_manual() {
    let rt = runtime();
    let receiver = rt.block_on(independent::start("r"));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let s = store.to_str().unwrap();
    assert_eq!(
        run(&[
            "fire",
            "--to",
            &receiver.url(),
            "--kind",
            "watchlist",
            "--count",
            "2",
            "--secret",
            "r",
            "--seed",
            "8",
            "--store",
            s
        ])
        .code,
        0
    );
    let out = run(&["resend", "1", "2", "--store", s]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Each line names the delivery as fire did: its kind first.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("done: 2 delivered,"), "{stdout}");
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(" attempt ")).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for line in lines {
        assert_eq!(line.split_whitespace().nth(1), Some("watchlist"), "{line}");
    }
    let seen = receiver.seen();
    assert_eq!(seen.len(), 4);
    let mut first: Vec<_> = seen[..2]
        .iter()
        .map(|x| (x.body.clone(), x.signature.clone()))
        .collect();
    let mut again: Vec<_> = seen[2..]
        .iter()
        .map(|x| (x.body.clone(), x.signature.clone()))
        .collect();
    first.sort();
    again.sort();
    assert_eq!(first, again, "byte-identical bodies and signatures");
    assert_eq!(
        store_count(
            &store,
            "select count(*) from attempts where trigger = 'manual'"
        ),
        2
    );
    let unknown = run(&["resend", "99", "--store", s]);
    assert_eq!(unknown.code, 1, "an unknown id is a failure");
    // Said on stderr, with what to do; the data stream keeps only the summary.
    assert!(
        unknown.stderr.contains("#99 is not in the store") && unknown.stderr.contains("--store"),
        "{}",
        unknown.stderr
    );
    let stdout = unknown.stdout_text();
    assert!(!stdout.contains("#99"), "{stdout}");
    // NDJSON keeps its documented `not_found` event.
    let ndjson = run(&["resend", "99", "--store", s, "--output", "ndjson"]);
    assert_eq!(ndjson.code, 1);
    assert!(
        ndjson.stdout_text().contains(r#""type":"not_found""#),
        "{}",
        ndjson.stdout_text()
    );
}

#[test]
fn resend_of_a_tampered_payload_reports_the_receiver_s_verdict() {
    let rt = runtime();
    // A correct receiver rejects the bad signature; a receiver that skips verification does not.
    let correct = rt.block_on(independent::start(veriff_mock::DEFAULT_SECRET));
    let careless = rt
        .block_on(
            Receiver::builder()
                .flaw(veriff_mock_receiver::Flaw::SkipSignature)
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let s = store.to_str().unwrap();
    for url in [correct.url(), careless.url()] {
        let fired = run(&[
            "fire",
            "--to",
            &url,
            "--kind",
            "event",
            "--count",
            "1",
            "--tamper-rate",
            "1",
            "--retry-schedule",
            "none",
            "--store",
            s,
        ]);
        assert!(fired.code <= 1, "{}", fired.stderr);
    }
    let rejected = run(&["resend", "1", "--store", s]);
    assert_eq!(rejected.code, 0, "{}", rejected.stderr);
    let out = String::from_utf8_lossy(&rejected.stdout);
    assert!(out.contains("1 expected rejections"), "{out}");
    let accepted = run(&["resend", "2", "--store", s, "--retry-schedule", "1s"]);
    assert_eq!(accepted.code, 1, "{}", accepted.stderr);
    let out = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        out.contains("UNEXPECTED 200") && out.contains("1 unexpected"),
        "{out}"
    );
    assert!(
        !accepted.stderr.contains("not acknowledged"),
        "{}",
        accepted.stderr
    );
    assert_eq!(
        store_count(
            &store,
            "select count(*) from attempts where trigger = 'manual'"
        ),
        2,
        "an accepted tampered payload is not resent again"
    );
}

#[test]
fn resend_exits_1_when_not_acknowledged_and_retries_per_its_schedule() {
    let rt = runtime();
    // Every payload gets 500 three times, then 200.
    let receiver = fails_thrice(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let s = store.to_str().unwrap();
    let url = receiver.url();
    let fired = run(&[
        "fire",
        "--to",
        &url,
        "--kind",
        "decision",
        "--count",
        "1",
        "--retry-schedule",
        "none",
        "--store",
        s,
        "--seed",
        "3",
    ]);
    assert_eq!(fired.code, 1, "exhausted: {}", fired.stderr);
    let once = run(&["resend", "1", "--store", s]);
    assert_eq!(
        once.code, 1,
        "a 500 is not an acknowledgement: {}",
        once.stderr
    );
    assert!(once.stderr.contains("not acknowledged"), "{}", once.stderr);
    assert!(once.stderr.contains("--retry-schedule"), "{}", once.stderr);
    let retried = run(&[
        "resend",
        "1",
        "--store",
        s,
        "--retry-schedule",
        "50ms,50ms",
        "--output",
        "ndjson",
    ]);
    assert_eq!(retried.code, 0, "500 then 200: {}", retried.stderr);
    assert!(
        retried.stderr.contains("resending in"),
        "{}",
        retried.stderr
    );
    // The rounds make one stream: one `ready` first, one `finished` last, summing them up.
    let stdout = String::from_utf8_lossy(&retried.stdout);
    let types: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        types.iter().filter(|t| *t == "\"ready\"").count(),
        1,
        "{stdout}"
    );
    assert_eq!(
        types.first().map(String::as_str),
        Some("\"ready\""),
        "{stdout}"
    );
    assert_eq!(
        types.iter().filter(|t| *t == "\"finished\"").count(),
        1,
        "{stdout}"
    );
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "finished", "{stdout}");
    assert_eq!(last["summary"]["attempts"], 2, "{stdout}");
    assert_eq!(last["summary"]["retried"], 1, "{stdout}");
    assert_eq!(last["summary"]["delivered"], 1, "{stdout}");
    assert_eq!(
        store_count(
            &store,
            "select count(*) from attempts where trigger = 'manual'"
        ),
        3
    );
    assert_eq!(
        store_count(
            &store,
            "select count(*) from deliveries where state = 'delivered'"
        ),
        1
    );
    let zero = run(&["resend", "1", "--store", s, "--timeout", "0s"]);
    assert_eq!(zero.code, 2, "{}", zero.stderr);
}

#[test]
fn a_second_run_on_a_store_in_use_is_refused_before_it_sends() {
    let rt = runtime();
    let receiver = rt.block_on(independent::start("l"));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let s = store.to_str().unwrap();
    let url = receiver.url();
    let args = [
        "fire", "--to", &url, "--kind", "event", "--count", "3", "--secret", "l", "--store", s,
    ];
    // What a run in progress holds: a lock named after the store's real path.
    let lock = std::fs::canonicalize(dir.path()).unwrap().join("d.db.lock");
    let held = std::fs::File::create(&lock).unwrap();
    held.try_lock().unwrap();
    let refused = run(&args);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("another veriff-mock run is using the store"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(receiver.seen().is_empty(), "nothing sent");
    drop(held);
    let ran = run(&args);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(receiver.seen().len(), 3);

    // Another path to the same store shares its lock.
    let link = dir.path().join("link.db");
    std::os::unix::fs::symlink(&store, &link).unwrap();
    let held = std::fs::File::create(&lock).unwrap();
    held.try_lock().unwrap();
    let via_link = run(&[
        "fire",
        "--to",
        &url,
        "--kind",
        "event",
        "--secret",
        "l",
        "--store",
        link.to_str().unwrap(),
    ]);
    assert_eq!(via_link.code, 2, "{}", via_link.stderr);
    assert_eq!(receiver.seen().len(), 3, "nothing sent");
    // A resend next to a run could send a payload again after its 200 was recorded.
    let resend = run(&["resend", "1", "--store", s]);
    assert_eq!(resend.code, 2, "{}", resend.stderr);
    assert!(
        resend
            .stderr
            .starts_with("veriff-mock: another veriff-mock run is using the store")
            && resend.stderr.lines().count() == 1,
        "{}",
        resend.stderr
    );
    assert_eq!(receiver.seen().len(), 3, "nothing resent");
    drop(held);
    assert_eq!(run(&["resend", "1", "--store", s]).code, 0);
    assert_eq!(receiver.seen().len(), 4);

    // A folder is not a store.
    let folder = run(&[
        "fire",
        "--kind",
        "event",
        "--store",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(folder.code, 2, "{}", folder.stderr);
    assert!(folder.stderr.contains("is a folder"), "{}", folder.stderr);
    assert_eq!(folder.stderr.lines().count(), 1, "{}", folder.stderr);

    // Nor is a text file: said in one line, with no seed or receiver line before it (no --seed,
    // and the embedded receiver), and with the fix.
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "hello\n").unwrap();
    for command in ["fire", "demo"] {
        let out = run(&[command, "--no-tui", "--store", text.to_str().unwrap()]);
        assert_eq!(out.code, 2, "{command}: {}", out.stderr);
        assert!(
            out.stderr.contains("is not a veriff-mock delivery store")
                && out.stderr.contains("--store"),
            "{command}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{command}: {}", out.stderr);
    }
    assert_eq!(std::fs::read(&text).unwrap(), b"hello\n", "left as it was");
}

#[test]
fn a_session_s_webhooks_arrive_in_order_even_when_their_gaps_scale_to_nothing() {
    let rt = runtime();
    let receiver = rt.block_on(independent::start(veriff_mock::DEFAULT_SECRET));
    let dir = tempfile::tempdir().unwrap();
    let sessions = 40u64;
    let count = sessions.to_string();
    // At this scale every gap of a session is well under a millisecond.
    let out = run(&[
        "fire",
        "--to",
        &receiver.url(),
        "--scenario",
        "mixed",
        "--count",
        &count,
        "--seed",
        "6",
        "--time-scale",
        "1000000000",
        "--concurrency",
        "64",
        "--store",
        dir.path().join("d.db").to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let seen = receiver.seen();
    // The run records its start; its earliest webhook carries it.
    let spec: String = rusqlite::Connection::open(dir.path().join("d.db"))
        .unwrap()
        .query_row("SELECT spec FROM runs", [], |r| r.get(0))
        .unwrap();
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let start = spec["start_ms"].as_i64().unwrap();
    let earliest = |g: &veriff_mock_gen::Generator| {
        (0..sessions)
            .map(|s| {
                veriff_mock_gen::Scenario::Mixed.timeline(g, s)[0]
                    .1
                    .sent_at
                    .timestamp_millis()
            })
            .min()
            .unwrap()
    };
    let lead =
        earliest(&veriff_mock_gen::Generator::from_seed(6)) - veriff_mock_gen::DEFAULT_ANCHOR_MS;
    let anchor = chrono::DateTime::from_timestamp_millis(start - lead).unwrap();
    let generator = veriff_mock_gen::Generator::from_seed(6).anchor(anchor);
    assert_eq!(earliest(&generator), start);
    let mut checked = 0;
    for session in 0..sessions {
        let expected: Vec<Vec<u8>> = veriff_mock_gen::Scenario::Mixed
            .timeline(&generator, session)
            .into_iter()
            .map(|(_, p)| p.body.to_vec())
            .collect();
        let arrived: Vec<Vec<u8>> = seen
            .iter()
            .filter(|s| expected.contains(&s.body))
            .map(|s| s.body.clone())
            .collect();
        assert_eq!(arrived, expected, "session {session} out of order");
        checked += expected.len();
    }
    assert_eq!(checked, seen.len());
}

#[test]
fn compat_adds_new_event_types_and_keeps_every_session_whole() {
    let rt = runtime();
    let receiver = rt.block_on(independent::start("c"));
    let url = receiver.url();
    let dir = tempfile::tempdir().unwrap();
    let fire = |store: &Path, compat: bool| {
        let s = store.to_str().unwrap();
        let mut args = vec![
            "fire",
            "--to",
            &url,
            "--scenario",
            "aml",
            "--count",
            "20",
            "--seed",
            "2",
            "--secret",
            "c",
            "--time-scale",
            "3600000",
            "--store",
            s,
        ];
        if compat {
            args.push("--compat");
        }
        let out = run(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
    };
    let (plain, compat) = (dir.path().join("plain.db"), dir.path().join("compat.db"));
    fire(&plain, false);
    fire(&compat, true);
    // The same stream of session webhooks, every one delivered, plus some of new event types.
    let stream =
        "SELECT count(*) FROM deliveries WHERE source_index IS NOT NULL AND state = 'delivered'";
    assert_eq!(store_count(&compat, stream), store_count(&plain, stream));
    let extra = store_count(
        &compat,
        "SELECT count(*) FROM deliveries WHERE source_index IS NULL AND state = 'delivered'
         AND status_label = json_extract(body, '$.eventType')",
    );
    assert!(extra > 0, "no new event type in 100 payloads");
    assert_eq!(
        store_count(
            &compat,
            "SELECT count(*) FROM deliveries WHERE source_index IS NULL"
        ),
        extra
    );
}
