//! The public proptest strategies (feature `proptest`): every value parses with the contract and
//! keeps the invariants, the parameters are honoured, compatibility variants stay valid, mangled
//! bodies never panic the parser, signatures verify, and a planted failure shrinks to a minimal
//! payload. Run with `cargo test -p veriff-mock-gen --features proptest`.
#![cfg(feature = "proptest")]

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::Value;
use veriff_mock_contract::{Kind, SharedSecret, Webhook, headers, verify};
use veriff_mock_gen::compat::Mutation;
use veriff_mock_gen::strategies::{
    self, Mangling, WebhookParams, any_webhook, compat_variant, mangled, signed,
};
use veriff_mock_gen::{Payload, invariants};

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn valid(p: &Payload, kind: Kind) -> Result<Webhook, TestCaseError> {
    let webhook = Webhook::parse(&p.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(webhook.kind(), Some(kind));
    prop_assert_eq!(p.kind, kind);
    prop_assert!(kind.statuses().contains(&p.status.as_str()));
    let status = webhook.status();
    prop_assert_eq!(status.as_deref(), Some(p.status.as_str()));
    prop_assert_eq!(webhook.vendor_data(), p.vendor_data.as_deref());
    if let Err(problems) = invariants::check(&webhook) {
        return Err(TestCaseError::fail(format!(
            "{problems:?}\n{}",
            String::from_utf8_lossy(&p.body)
        )));
    }
    Ok(webhook)
}

#[test]
fn every_kind_strategy_gives_valid_payloads_thousands_of_times() {
    let params = WebhookParams::default();
    let per_kind: [(Kind, BoxedStrategy<Payload>); 8] = [
        (Kind::Decision, strategies::decision(&params).boxed()),
        (Kind::Event, strategies::event(&params).boxed()),
        (Kind::UserStatus, strategies::user_status(&params).boxed()),
        (Kind::Watchlist, strategies::watchlist(&params).boxed()),
        (Kind::FullAuto, strategies::fullauto(&params).boxed()),
        (Kind::Ine, strategies::ine(&params).boxed()),
        (Kind::Curp, strategies::curp(&params).boxed()),
        (Kind::IneCurp, strategies::ine_curp(&params).boxed()),
    ];
    for (kind, strategy) in per_kind {
        let cases = if kind == Kind::Decision { 800 } else { 400 };
        TestRunner::new(config(cases))
            .run(&strategy, |p| valid(&p, kind).map(drop))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    let kinds_seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
    TestRunner::new(config(1_000))
        .run(&any_webhook(&params), |p| {
            kinds_seen.borrow_mut().insert(p.kind);
            valid(&p, p.kind).map(drop)
        })
        .unwrap();
    assert_eq!(kinds_seen.borrow().len(), 8, "{kinds_seen:?}");
}

#[test]
fn parameters_are_honoured() {
    let params = WebhookParams::default()
        .kinds([Kind::Decision, Kind::Watchlist])
        .statuses(["declined", "possible_match"])
        .countries(["ee", "MX"])
        .max_vendor_data_len(12);
    TestRunner::new(config(300))
        .run(&any_webhook(&params), |p| {
            let webhook = valid(&p, p.kind)?;
            let value = webhook.to_value();
            match p.kind {
                Kind::Decision => {
                    prop_assert_eq!(p.status.as_str(), "declined");
                    let country = value["verification"]["document"]["country"].as_str();
                    prop_assert!(matches!(country, Some("EE" | "MX")), "{:?}", country);
                }
                Kind::Watchlist => prop_assert_eq!(p.status.as_str(), "possible_match"),
                other => prop_assert!(false, "kind {} was not asked for", other),
            }
            prop_assert!(
                p.vendor_data
                    .as_ref()
                    .is_none_or(|v| v.chars().count() <= 12)
            );
            Ok(())
        })
        .unwrap();

    // Density 0: every optional part pruned.
    let sparse = WebhookParams::default().density(0.0);
    TestRunner::new(config(200))
        .run(&strategies::decision(&sparse), |p| {
            let v: Value = serde_json::from_slice(&p.body).unwrap();
            let verification = &v["verification"];
            prop_assert!(verification.get("riskLabels").is_none());
            prop_assert!(verification.get("biometricAuthentication").is_none());
            prop_assert_eq!(&verification["endUserId"], &Value::Null);
            prop_assert_eq!(
                &verification["additionalVerifiedData"],
                &serde_json::json!({})
            );
            Ok(())
        })
        .unwrap();
    TestRunner::new(config(200))
        .run(&strategies::watchlist(&sparse), |p| {
            let v: Value = serde_json::from_slice(&p.body).unwrap();
            prop_assert!(v["hits"].as_array().is_some_and(|h| h.len() <= 1));
            Ok(())
        })
        .unwrap();

    // Density 1 and long vendor data: the generator's optional parts come through, and long
    // vendorData strings appear.
    let dense = WebhookParams::default().density(1.0);
    let with_labels = Cell::new(0usize);
    let longest = Cell::new(0usize);
    TestRunner::new(config(400))
        .run(&strategies::decision(&dense), |p| {
            let v: Value = serde_json::from_slice(&p.body).unwrap();
            with_labels.set(
                with_labels.get() + usize::from(v["verification"].get("riskLabels").is_some()),
            );
            longest.set(
                longest
                    .get()
                    .max(p.vendor_data.as_ref().map_or(0, String::len)),
            );
            Ok(())
        })
        .unwrap();
    assert!(
        with_labels.get() > 0 && longest.get() > 500,
        "{with_labels:?} {longest:?}"
    );
}

#[test]
fn compat_variants_stay_valid_for_a_tolerant_parser() {
    let strategy = any_webhook(&WebhookParams::default()).prop_flat_map(compat_variant);
    TestRunner::new(config(600))
        .run(&strategy, |variant| {
            let webhook = Webhook::parse(&variant.body)
                .map_err(|e| TestCaseError::fail(format!("{}: {e}", variant.mutation)))?;
            let original: Value = serde_json::from_slice(&variant.payload.body).unwrap();
            let changed: Value = serde_json::from_slice(&variant.body).unwrap();
            match variant.mutation {
                Mutation::UnknownEventType => {
                    prop_assert!(matches!(webhook, Webhook::Unknown(_)))
                }
                Mutation::UnknownFields => {
                    prop_assert_eq!(webhook.kind(), Some(variant.payload.kind));
                    prop_assert_ne!(changed, original);
                }
                // Layout only: the same JSON value, so a correct parser reads the same payload.
                _ => {
                    let before = Webhook::parse(&variant.payload.body).unwrap();
                    prop_assert_eq!(webhook.to_value(), before.to_value());
                    prop_assert_eq!(changed, original);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn mangled_bodies_never_panic_the_parser_and_mostly_fail_it() {
    let strategy = any_webhook(&WebhookParams::default()).prop_flat_map(mangled);
    let rejected = Cell::new(0u32);
    TestRunner::new(config(2_000))
        .run(&strategy, |m| {
            let parsed = Webhook::parse(&m.body);
            match &m.mangling {
                Mangling::Truncated(_) | Mangling::InvalidUtf8(_) | Mangling::NotAnObject => {
                    prop_assert!(parsed.is_err(), "{} parsed", m.mangling)
                }
                _ => {}
            }
            rejected.set(rejected.get() + u32::from(parsed.is_err()));
            Ok(())
        })
        .unwrap();
    assert!(rejected.get() > 1_200, "only {rejected:?} of 2000 rejected");
}

#[test]
fn signed_values_verify_over_their_exact_bytes() {
    let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345").unwrap();
    let strategy = signed(
        secret.clone(),
        any_webhook(&WebhookParams::default()).prop_flat_map(mangled),
    );
    TestRunner::new(config(300))
        .run(&strategy, |s| {
            prop_assert_eq!(&s.body, &s.inner.body);
            prop_assert_eq!(
                s.header(headers::CONTENT_TYPE),
                Some(headers::APPLICATION_JSON)
            );
            prop_assert!(verify(&secret, &s.body, s.header(headers::X_HMAC_SIGNATURE)).is_ok());
            Ok(())
        })
        .unwrap();
}

/// A parser with a planted bug (it refuses a `vendorData` longer than 10 characters): the runner
/// finds it and shrinks it to the smallest payload that shows it.
#[test]
fn a_planted_failure_shrinks_to_a_minimal_payload() {
    let buggy = |body: &[u8]| -> Result<(), String> {
        let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let vendor = v
            .get("vendorData")
            .or_else(|| v.get("verification").and_then(|x| x.get("vendorData")));
        match vendor.and_then(Value::as_str) {
            Some(s) if s.len() > 10 => Err(format!("vendorData too long: {}", s.len())),
            _ => Ok(()),
        }
    };
    let mut runner = TestRunner::new(config(256));
    let result = runner.run(&any_webhook(&WebhookParams::default()), |p| {
        buggy(&p.body).map_err(TestCaseError::fail)
    });
    let Err(TestError::Fail(reason, minimal)) = result else {
        panic!("the planted bug was not found: {result:?}");
    };
    assert_eq!(reason.message(), "vendorData too long: 11");
    // The simplest kind, its first status, the smallest seed and index, no optional parts.
    assert_eq!(minimal.kind, Kind::Event);
    assert_eq!(minimal.status, "started");
    assert_eq!((minimal.seed, minimal.index), (0, 0));
    assert_eq!(minimal.vendor_data.as_deref().map(str::len), Some(11));
    let v: Value = serde_json::from_slice(&minimal.body).unwrap();
    assert_eq!(v["endUserId"], Value::Null);
    assert!(
        minimal.body.len() < 220,
        "{}",
        String::from_utf8_lossy(&minimal.body)
    );
}
