//! Golden corpus: for each kind and status, a few payloads from fixed seeds in
//! `fixtures/generated/<kind>/<status>.ndjson` (one body per line). The test fails when the
//! generator's output drifts, naming each file that changed.
//!
//! Refresh after an intended change with:
//! `UPDATE_GOLDEN=1 cargo test -p veriff-mock-gen --test golden`

use std::fs;
use std::path::PathBuf;

use veriff_mock_contract::Kind;
use veriff_mock_gen::{Generator, invariants};

/// `(seed, index)` of each line.
const CASES: &[(u64, u64)] = &[(1, 0), (2, 7), (3, 1_000)];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/generated")
}

fn expected(kind: Kind, status: &str) -> String {
    let mut out = String::new();
    for (seed, index) in CASES {
        let p = Generator::from_seed(*seed)
            .kind(kind)
            .status(status)
            .unwrap()
            .payload(*index);
        out.push_str(std::str::from_utf8(&p.body).unwrap());
        out.push('\n');
    }
    out
}

#[test]
fn generated_payloads_match_the_golden_corpus() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut drifted = Vec::new();
    for kind in Kind::ALL {
        for status in kind.statuses() {
            let path = root().join(kind.name()).join(format!("{status}.ndjson"));
            let want = expected(kind, status);
            if update {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, &want).unwrap();
                continue;
            }
            match fs::read_to_string(&path) {
                Ok(have) if have == want => {}
                Ok(have) => {
                    let line = have
                        .lines()
                        .zip(want.lines())
                        .position(|(a, b)| a != b)
                        .map_or(0, |i| i + 1);
                    drifted.push(format!(
                        "{} (first difference on line {line})",
                        path.display()
                    ));
                }
                Err(e) => drifted.push(format!("{} ({e})", path.display())),
            }
        }
    }
    assert!(
        drifted.is_empty(),
        "generated output drifted from the golden corpus in:\n  {}\nrun `UPDATE_GOLDEN=1 cargo test -p veriff-mock-gen --test golden` if the change is intended",
        drifted.join("\n  ")
    );
}

#[test]
fn golden_files_keep_the_invariants() {
    for kind in Kind::ALL {
        for status in kind.statuses() {
            let path = root().join(kind.name()).join(format!("{status}.ndjson"));
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                if let Err(problems) = invariants::check_bytes(line.as_bytes()) {
                    panic!("{}:{}: {problems:?}", path.display(), i + 1);
                }
            }
        }
    }
}

/// A decision shape that parsers built from clean payloads break on, and how to tell it.
struct EdgeCase {
    what: &'static str,
    status: &'static str,
    shows: fn(&serde_json::Value) -> bool,
}

/// The decisions of `decision/edge-cases.ndjson`, one line each, in this order: the first index
/// of seed 1 that shows each shape.
const EDGE_CASES: &[EdgeCase] = &[
    EdgeCase {
        what: "resubmission 201: person and document with every field null",
        status: "resubmission_requested",
        shows: |v| v["reasonCode"] == 201,
    },
    EdgeCase {
        what: "resubmission 204: some fields null",
        status: "resubmission_requested",
        shows: |v| v["reasonCode"] == 204 && v["person"]["firstName"].is_null(),
    },
    EdgeCase {
        what: "UK driving licence: null gender and nationality",
        status: "approved",
        shows: |v| {
            v["document"]["type"] == "DRIVERS_LICENSE"
                && v["document"]["country"] == "GB"
                && v["person"]["gender"].is_null()
        },
    },
    EdgeCase {
        what: "US address: country USA, houseNumber the string \"null\"",
        status: "approved",
        shows: |v| {
            v["person"]["addresses"][0]["parsedAddress"]["houseNumber"] == "null"
                && v["person"]["addresses"][0]["parsedAddress"]["country"] == "USA"
        },
    },
    EdgeCase {
        what: "residence permit of a foreign national",
        status: "approved",
        shows: |v| v["document"]["type"] == "RESIDENCE_PERMIT",
    },
    EdgeCase {
        what: "visa",
        status: "approved",
        shows: |v| v["document"]["type"] == "VISA",
    },
    EdgeCase {
        what: "document type OTHER",
        status: "approved",
        shows: |v| v["document"]["type"] == "OTHER",
    },
    EdgeCase {
        what: "unread validFrom and city",
        status: "approved",
        shows: |v| {
            v["document"]["validFrom"].is_null()
                && v["person"]["addresses"][0]["parsedAddress"]["city"].is_null()
        },
    },
    EdgeCase {
        what: "declined with risk labels",
        status: "declined",
        shows: |v| v["riskLabels"].is_array(),
    },
];

fn edge_cases() -> String {
    let mut out = String::new();
    for case in EDGE_CASES {
        let generator = Generator::from_seed(1)
            .kind(Kind::Decision)
            .status(case.status)
            .unwrap();
        let body = (0..50_000)
            .map(|i| generator.payload(i).body)
            .find(|body| {
                let v: serde_json::Value = serde_json::from_slice(body).unwrap();
                (case.shows)(&v["verification"])
            })
            .unwrap_or_else(|| panic!("no decision shows: {}", case.what));
        out.push_str(std::str::from_utf8(&body).unwrap());
        out.push('\n');
    }
    out
}

#[test]
fn edge_case_decisions_match_the_golden_corpus() {
    let path = root().join("decision").join("edge-cases.ndjson");
    let want = edge_cases();
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        fs::write(&path, &want).unwrap();
        return;
    }
    let have = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} drifted from the generator: run `UPDATE_GOLDEN=1 cargo test -p veriff-mock-gen --test golden` if the change is intended",
        path.display()
    );
    assert_eq!(have.lines().count(), EDGE_CASES.len());
    for (i, line) in have.lines().enumerate() {
        if let Err(problems) = invariants::check_bytes(line.as_bytes()) {
            panic!("{}:{}: {problems:?}", path.display(), i + 1);
        }
    }
}
