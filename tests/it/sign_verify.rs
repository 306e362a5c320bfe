use crate::support::{fixture, run};

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";
const VECTORS: [&str; 3] = [
    "6af6d95822e19e9cc707aec55395d8d363ba2c7bc4625bc04ebeca0c7bf8cd67",
    "0dcab73ddd20062616d104231c7439657546a5c24e4691977da93bb854c31e25",
    "895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd",
];

fn vector_body(n: usize) -> String {
    fixture(&format!("veriff-docs/signature-vector-{n}.body"))
}

#[test]
fn sign_reproduces_the_published_vectors() {
    for (i, expected) in VECTORS.iter().enumerate() {
        let out = run(&["sign", "--secret", SECRET, &vector_body(i + 1)]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout_text(), format!("{expected}\n"));
    }
}

#[test]
fn verify_accepts_the_vectors_in_any_case_and_rejects_a_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    for (i, signature) in VECTORS.iter().enumerate() {
        let body = vector_body(i + 1);
        let ok = run(&[
            "verify",
            "--secret",
            SECRET,
            "--signature",
            signature,
            &body,
        ]);
        assert_eq!(ok.code, 0, "{}", ok.stderr);
        let upper = signature.to_ascii_uppercase();
        assert_eq!(
            run(&["verify", "--secret", SECRET, "--signature", &upper, &body]).code,
            0
        );

        let mut bytes = std::fs::read(&body).unwrap();
        bytes[5] ^= 0x01;
        let changed = dir.path().join(format!("changed-{i}"));
        std::fs::write(&changed, &bytes).unwrap();
        let bad = run(&[
            "verify",
            "--secret",
            SECRET,
            "--signature",
            signature,
            changed.to_str().unwrap(),
        ]);
        assert_eq!(bad.code, 1);
        assert!(bad.stderr.contains("does not match"), "{}", bad.stderr);
        assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    }
}

#[test]
fn verify_hints_at_a_trailing_newline_and_re_serialization() {
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read_to_string(vector_body(1)).unwrap();
    let with_newline = dir.path().join("newline.json");
    std::fs::write(&with_newline, format!("{body}\n")).unwrap();
    let out = run(&[
        "verify",
        "--secret",
        SECRET,
        "--signature",
        VECTORS[0],
        with_newline.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("trailing newline"), "{}", out.stderr);

    let pretty = dir.path().join("pretty.json");
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    std::fs::write(&pretty, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let out = run(&[
        "verify",
        "--secret",
        SECRET,
        "--signature",
        VECTORS[0],
        pretty.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("re-serialized"), "{}", out.stderr);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["sign", "--secret", "", "Cargo.toml"], "empty"),
        (
            &["sign", "--secret", SECRET, "/definitely/not/here.json"],
            "cannot read",
        ),
        (
            &[
                "verify",
                "--secret",
                SECRET,
                "--signature",
                "zz",
                "Cargo.toml",
            ],
            "malformed",
        ),
        (&["sign", "--no-such-flag"], "--no-such-flag"),
        (&["frobnicate"], "frobnicate"),
    ];
    for (args, expected) in cases {
        let out = run(args);
        assert_eq!(
            out.code,
            if args[0] == "verify" { 1 } else { 2 },
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_secret_never_shows_in_help_or_errors() {
    let out = run(&["sign", "--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout_text().contains("VERIFF_SHARED_SECRET"));
    let out = run(&[
        "verify",
        "--secret",
        "s3cr3t-value",
        "--signature",
        "00",
        "/nope",
    ]);
    assert!(!out.stderr.contains("s3cr3t-value"), "{}", out.stderr);
}

#[test]
fn an_empty_body_is_signed_with_a_warning_and_named_when_it_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, b"").unwrap();
    let empty = empty.to_str().unwrap();

    let signed = run(&["sign", "--secret", "s", empty]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    assert_eq!(signed.stdout_text().trim().len(), 64);
    assert_eq!(signed.stderr.lines().count(), 1, "{}", signed.stderr);
    assert!(
        signed.stderr.contains("warning: the body is empty"),
        "{}",
        signed.stderr
    );

    // The signature of another body, checked against the empty one.
    let other = run(&["sign", "--secret", "s", "Cargo.toml"]).stdout_text();
    let out = run(&[
        "verify",
        "--secret",
        "s",
        "--signature",
        other.trim(),
        empty,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not match") && out.stderr.contains("the body is empty"),
        "{}",
        out.stderr
    );
    // An empty body whose signature matches is valid, and said so plainly.
    let own = signed.stdout_text();
    let valid = run(&["verify", "--secret", "s", "--signature", own.trim(), empty]);
    assert_eq!(valid.code, 0, "{}", valid.stderr);
}
