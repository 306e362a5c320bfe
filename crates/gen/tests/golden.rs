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
