use veriff_mock_contract::{Kind, SharedSecret, Webhook, verify};
use veriff_mock_gen::invariants;

use crate::support::run;

fn lines(stdout: &[u8]) -> Vec<&[u8]> {
    stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn every_kind_and_status_gives_1000_valid_reproducible_payloads() {
    for kind in Kind::ALL {
        for status in kind.statuses() {
            let args = [
                "generate",
                "--kind",
                kind.name(),
                "--status",
                status,
                "--count",
                "1000",
                "--seed",
                "42",
            ];
            let first = run(&args);
            assert_eq!(first.code, 0, "{kind} {status}: {}", first.stderr);
            assert!(
                first.stderr.is_empty(),
                "a given seed prints nothing else: {}",
                first.stderr
            );
            let payloads = lines(&first.stdout);
            assert_eq!(payloads.len(), 1000, "{kind} {status}");
            for body in &payloads {
                let webhook =
                    Webhook::parse(body).unwrap_or_else(|e| panic!("{kind} {status}: {e}"));
                assert_eq!(webhook.kind(), Some(kind));
                assert_eq!(webhook.status().as_deref(), Some(*status), "{kind}");
                if let Err(violations) = invariants::check(&webhook) {
                    panic!(
                        "{kind} {status}: {violations:?}\n{}",
                        String::from_utf8_lossy(body)
                    );
                }
            }
            let mut ids: Vec<_> = payloads
                .iter()
                .map(|b| Webhook::parse(b).unwrap().session_id().unwrap().to_owned())
                .collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), 1000, "{kind} {status}: session ids repeat");

            assert_eq!(
                run(&args).stdout,
                first.stdout,
                "{kind} {status}: a second run differs"
            );
            let mut other = args;
            other[8] = "43";
            assert_ne!(
                run(&other).stdout,
                first.stdout,
                "{kind} {status}: another seed gives the same output"
            );
        }
    }
}

#[test]
fn without_a_seed_the_seed_is_printed_so_the_run_can_be_repeated() {
    let out = run(&["generate", "--count", "2"]);
    assert_eq!(out.code, 0);
    let seed = out
        .stderr
        .split("--seed ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let again = run(&["generate", "--count", "2", "--seed", &seed]);
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn set_overrides_keep_the_payload_consistent() {
    let out = run(&[
        "generate",
        "--seed",
        "7",
        "--set",
        "verification.status=declined",
        "--set",
        "verification.vendorData=user-42",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = &value["verification"];
    assert_eq!(v["status"], "declined");
    assert_eq!(v["code"], 9102);
    assert_eq!(v["vendorData"], "user-42");
    let code = v["reasonCode"].as_u64().unwrap() as u16;
    assert_eq!(
        v["reason"].as_str(),
        veriff_mock_contract::reason_text(code)
    );

    let out = run(&[
        "generate",
        "--seed",
        "7",
        "--set",
        "verification.status=expired",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["verification"]["code"], 9104);
    assert!(
        value["verification"]["person"].is_null()
            && value["verification"]["decisionTime"].is_null()
    );

    let out = run(&[
        "generate",
        "--kind",
        "event",
        "--set",
        "newField={\"a\":1}",
        "--seed",
        "1",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["newField"]["a"], 1);
}

#[test]
fn out_dir_writes_bodies_and_signed_headers() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "my-test-secret";
    let out = run(&[
        "generate",
        "--kind",
        "event",
        "--count",
        "3",
        "--seed",
        "5",
        "--secret",
        secret,
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    let secret = SharedSecret::new(secret).unwrap();
    for pair in names.chunks(2) {
        let headers = std::fs::read_to_string(dir.path().join(&pair[0])).unwrap();
        let body = std::fs::read(dir.path().join(&pair[1])).unwrap();
        assert!(
            pair[1].ends_with(".json") && pair[0].ends_with(".headers"),
            "{pair:?}"
        );
        let signature = headers
            .lines()
            .find_map(|l| l.strip_prefix("X-HMAC-SIGNATURE: "))
            .unwrap();
        verify(&secret, &body, Some(signature)).unwrap();
        assert!(headers.contains("Content-Type: application/json"));
        assert!(!headers.contains("my-test-secret"));
    }
}

#[test]
fn http_and_json_formats() {
    let out = run(&[
        "generate", "--count", "2", "--seed", "9", "--format", "json",
    ]);
    let array: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(array.len(), 2);
    let ndjson = run(&["generate", "--count", "2", "--seed", "9"]);
    let json_lines: Vec<&[u8]> = lines(&out.stdout)
        .into_iter()
        .filter(|l| l.starts_with(b"{"))
        .map(|l| l.strip_suffix(b",").unwrap_or(l))
        .collect();
    assert_eq!(
        json_lines,
        lines(&ndjson.stdout),
        "each array element is the exact signed bytes"
    );

    let out = run(&[
        "generate",
        "--seed",
        "9",
        "--format",
        "http",
        "--to",
        "http://127.0.0.1:9999/hook",
    ]);
    let text = out.stdout_text();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("### decision approved"));
    assert_eq!(lines.next(), Some("POST http://127.0.0.1:9999/hook"));
    let signature = text
        .lines()
        .find_map(|l| l.strip_prefix("X-HMAC-SIGNATURE: "))
        .unwrap();
    let body = text.lines().find(|l| l.starts_with('{')).unwrap();
    let secret = SharedSecret::new(veriff_mock::DEFAULT_SECRET).unwrap();
    verify(&secret, body.as_bytes(), Some(signature)).unwrap();
}

#[test]
fn opt_in_headers_are_written_as_fire_sends_them() {
    use sha2::Digest;
    let header = |text: &str, name: &str| -> Option<String> {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
    };
    let plain = run(&["generate", "--seed", "3", "--format", "http"]).stdout_text();
    assert_eq!(header(&plain, "vrf-hmac-signature"), None, "{plain}");
    assert_eq!(header(&plain, "X-SIGNATURE"), None, "{plain}");

    let out = run(&[
        "generate",
        "--seed",
        "3",
        "--format",
        "http",
        "--secret",
        "s3cr3t-key",
        "--api-key",
        "key-1",
        "--vrf-headers",
        "--integration-id",
        "integration-7",
        "--legacy-signature",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout_text();
    let body = text.lines().find(|l| l.starts_with('{')).unwrap();
    let hmac = header(&text, "X-HMAC-SIGNATURE").unwrap();
    verify(
        &SharedSecret::new("s3cr3t-key").unwrap(),
        body.as_bytes(),
        Some(&hmac),
    )
    .unwrap();
    assert_eq!(header(&text, "vrf-hmac-signature"), Some(hmac), "{text}");
    assert_eq!(header(&text, "vrf-auth-client").as_deref(), Some("key-1"));
    assert_eq!(
        header(&text, "vrf-integration-id").as_deref(),
        Some("integration-7")
    );
    let legacy = hex::encode(sha2::Sha256::digest(
        [body.as_bytes(), b"s3cr3t-key"].concat(),
    ));
    assert_eq!(header(&text, "X-SIGNATURE"), Some(legacy), "{text}");
    assert!(!text.contains("s3cr3t-key"));

    // An API key that would break the request's lines is refused.
    let out = run(&["generate", "--format", "http", "--api-key", "a\nb"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("API key"), "{}", out.stderr);
}

#[test]
fn abandoned_code_flag_picks_between_the_two_published_codes() {
    let code = |extra: &[&str]| {
        let mut args = vec!["generate", "--status", "abandoned", "--seed", "4"];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(value["verification"]["status"], "abandoned");
        value["verification"]["code"].as_u64().unwrap()
    };
    assert_eq!(code(&[]), 9104);
    assert_eq!(code(&["--abandoned-code", "9104"]), 9104);
    assert_eq!(code(&["--abandoned-code", "9121"]), 9121);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["generate", "--kind", "decisoin"], "unknown kind"),
        (
            &["generate", "--kind", "event", "--status", "approved"],
            "started, submitted",
        ),
        (&["generate", "--set", "verification.status"], "PATH=VALUE"),
        (&["generate", "--set", "=1"], "invalid override"),
        (&["generate", "--secret", "", "--format", "http"], "empty"),
        (
            &["generate", "--api-key", " ", "--format", "http"],
            "--api-key is empty",
        ),
        (
            &["generate", "--integration-id", "", "--vrf-headers"],
            "--integration-id is empty",
        ),
        (&["generate", "--count", "-3"], "-3"),
        (
            &["generate", "--out", file.path().to_str().unwrap()],
            "cannot create",
        ),
        (&["generate", "--format", "xml"], "xml"),
        (
            &["generate", "--abandoned-code", "9999"],
            "use 9104 (the status-codes table) or 9121",
        ),
    ];
    for (args, expected) in cases {
        let out = run(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    }
}
