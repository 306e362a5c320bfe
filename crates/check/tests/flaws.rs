//! `check` against the embedded receiver: correct, then with each flaw on purpose.

use std::collections::BTreeSet;

use veriff_mock_check::{CHECKS, CheckConfig, Report, run};
use veriff_mock_contract::{Kind, SharedSecret};
use veriff_mock_receiver::{Flaw, Receiver};

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

async fn check_against(flaw: Option<Flaw>, cases: u32) -> Report {
    let secret = SharedSecret::new(SECRET).unwrap();
    let mut builder = Receiver::builder().secret(secret.clone());
    if let Some(flaw) = flaw {
        builder = builder.flaw(flaw);
    }
    let receiver = builder.start().await.unwrap();
    let config = CheckConfig::new(&receiver.url(), secret)
        .unwrap()
        .cases(cases)
        .seed(11)
        // The default 2 s against the slow flaw (3 s); generous otherwise, for loaded machines.
        .timeout(if flaw == Some(Flaw::Slow) {
            veriff_mock_check::DEFAULT_TIMEOUT
        } else {
            std::time::Duration::from_secs(10)
        })
        // The embedded receiver serves requests in parallel: against the slow flaw, send them
        // all at once, so the run waits out one timeout instead of one per request.
        .concurrency(if flaw == Some(Flaw::Slow) {
            veriff_mock_check::MAX_CONCURRENCY
        } else {
            veriff_mock_check::DEFAULT_CONCURRENCY
        });
    let report = run(&config).await;
    drop(receiver);
    report
}

fn failed(report: &Report) -> BTreeSet<&str> {
    report.failures().map(|c| c.name.as_str()).collect()
}

async fn assert_caught(flaw: Flaw) -> Report {
    let report = check_against(Some(flaw), 64).await;
    let failed = failed(&report);
    for name in flaw.caught_by() {
        assert!(
            failed.contains(name),
            "{flaw}: {name} passed\n{}",
            report.to_text()
        );
        let reason = &report.check(name).unwrap().reason;
        assert!(reason.contains(':'), "{reason}");
    }
    if flaw != Flaw::Slow {
        // Nothing else fails, except the property phase where the flaw applies to it.
        let extra: Vec<&&str> = failed
            .iter()
            .filter(|n| !flaw.caught_by().contains(n) && !n.starts_with("property/"))
            .collect();
        assert!(
            extra.is_empty(),
            "{flaw}: also failed {extra:?}\n{}",
            report.to_text()
        );
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_receiver_passes_every_check() {
    let report = check_against(None, 64).await;
    assert!(report.passed(), "{}", report.to_text());
    // Every listed check ran (valid/<kind> once per kind).
    for info in CHECKS {
        if info.name == "valid/<kind>" {
            assert_eq!(
                report
                    .checks
                    .iter()
                    .filter(|c| c.name.starts_with("valid/"))
                    .count(),
                8
            );
        } else {
            assert!(report.check(info.name).is_some(), "{} missing", info.name);
        }
    }
    let text = report.to_text();
    assert!(text.contains("PASS  signature/uppercase-hex"), "{text}");
    assert!(text.contains("0 failed"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_signature_is_caught() {
    let report = assert_caught(Flaw::SkipSignature).await;
    let reason = &report.check("signature/wrong-secret").unwrap().reason;
    assert!(
        reason.contains("answered 200") && reason.contains("HMAC-SHA256"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restringify_is_caught_and_shrunk() {
    let report = assert_caught(Flaw::Restringify).await;
    let reason = &report.check("compat/pretty-printed").unwrap().reason;
    assert!(reason.contains("re-serialize"), "{reason}");
    // The property phase fails too, shrunk to a minimal payload: the simplest kind (an event),
    // pretty-printed or escaped, with no optional parts.
    let property = report.check("property/valid-payloads").unwrap();
    assert!(!property.passed, "{}", report.to_text());
    let repro = property.repro.as_ref().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&repro.body).unwrap();
    assert_eq!(
        body["endUserId"],
        serde_json::Value::Null,
        "{}",
        repro.body_text
    );
    assert!(
        property.reason.contains("event `started`, pretty"),
        "{}",
        property.reason
    );
    assert!(repro.curl.contains("x-hmac-signature: "), "{}", repro.curl);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trim_body_is_caught() {
    let report = assert_caught(Flaw::TrimBody).await;
    let reason = &report.check("compat/trailing-newline").unwrap().reason;
    assert!(
        reason.contains("answered 401") && reason.contains("do not trim"),
        "{reason}"
    );
}

/// Also shows `run` works on a current-thread runtime (the property phase runs on the blocking
/// pool and sends through the runtime's handle).
#[tokio::test]
async fn case_sensitive_hex_is_caught() {
    assert_caught(Flaw::CaseSensitiveHex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefix_signature_is_caught() {
    let report = assert_caught(Flaw::PrefixSignature).await;
    for name in ["signature/empty", "signature/truncated"] {
        let check = report.check(name).unwrap();
        assert!(
            check.reason.starts_with("answered 200") && check.reason.contains("never"),
            "{name}: {}",
            check.reason
        );
    }
    let curl = &report
        .check("signature/empty")
        .unwrap()
        .repro
        .as_ref()
        .unwrap()
        .curl;
    assert!(curl.contains(" -H 'x-hmac-signature;' "), "{curl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_schema_is_caught_and_shrunk() {
    let report = assert_caught(Flaw::StrictSchema).await;
    let property = report.check("property/valid-payloads").unwrap();
    assert!(!property.passed);
    assert!(
        property.reason.contains("unknown-fields"),
        "{}",
        property.reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kind_500_is_caught() {
    assert_caught(Flaw::UnknownKind500).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_person_500_is_caught_in_decisions_and_fullauto() {
    let report = assert_caught(Flaw::NullPerson500).await;
    let reason = &report.check("compat/null-person-document").unwrap().reason;
    assert!(
        reason.starts_with("decision `expired`: answered 500"),
        "{reason}"
    );

    // With Full Auto alone, whose expired webhooks have null person and document too.
    let secret = SharedSecret::new(SECRET).unwrap();
    for flaw in [None, Some(Flaw::NullPerson500)] {
        let mut builder = Receiver::builder().secret(secret.clone());
        if let Some(flaw) = flaw {
            builder = builder.flaw(flaw);
        }
        let receiver = builder.start().await.unwrap();
        let config = CheckConfig::new(&receiver.url(), secret.clone())
            .unwrap()
            .kinds([Kind::FullAuto])
            .cases(8)
            .seed(11)
            .timeout(std::time::Duration::from_secs(10));
        let report = run(&config).await;
        let check = report
            .check("compat/null-person-document")
            .unwrap_or_else(|| panic!("not run with --kind fullauto\n{}", report.to_text()));
        match flaw {
            None => assert!(report.passed(), "{}", report.to_text()),
            Some(_) => {
                assert!(
                    !check.passed && check.reason.starts_with("answered 500"),
                    "{}",
                    check.reason
                );
                let body: serde_json::Value =
                    serde_json::from_slice(&check.repro.as_ref().unwrap().body).unwrap();
                assert_eq!(body["eventType"], "fullauto");
                assert_eq!(
                    body["data"]["verification"]["person"],
                    serde_json::Value::Null
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_idempotent_is_caught() {
    let report = assert_caught(Flaw::NotIdempotent).await;
    let reason = &report.check("delivery/duplicate").unwrap().reason;
    assert!(
        reason.starts_with("delivery 2 of 2: answered 500"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_is_caught_quickly() {
    let started = std::time::Instant::now();
    let report = assert_caught(Flaw::Slow).await;
    assert!(started.elapsed().as_secs() < 8, "{:?}", started.elapsed());
    let reason = &report.check("delivery/response-time").unwrap().reason;
    assert!(reason.contains("expected each within 2 s"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_receiver_is_a_failed_check_not_a_crash() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let config = CheckConfig::new(&url, SharedSecret::new(SECRET).unwrap())
        .unwrap()
        .cases(4);
    let report = run(&config).await;
    assert!(!report.passed());
    let reason = &report.check("valid/decision").unwrap().reason;
    assert!(
        reason.contains("no answer") && reason.to_lowercase().contains("refused"),
        "{reason}"
    );
}

#[test]
fn bad_urls_are_configuration_errors() {
    let secret = SharedSecret::new(SECRET).unwrap();
    for url in [
        "not a url",
        "/relative",
        "ftp://x/",
        "https:///no-host",
        "http://127.0.0.1:99999/",
    ] {
        assert!(CheckConfig::new(url, secret.clone()).is_err(), "{url}");
    }
}

#[test]
fn every_check_a_flaw_names_exists() {
    for flaw in Flaw::ALL {
        for name in flaw.caught_by() {
            assert!(
                CHECKS.iter().any(|c| c.name == *name),
                "{flaw}: no check named {name}"
            );
        }
    }
}
