//! Properties of every generated payload: it parses back as the kind and status asked for,
//! passes the invariants, re-serializes to the same JSON, and is reproducible from its seed.

use proptest::prelude::*;
use serde_json::Value;
use veriff_mock_contract::{Kind, Webhook};
use veriff_mock_gen::{Generator, SetOverride, invariants};

fn kind_and_status() -> impl Strategy<Value = (Kind, &'static str)> {
    (0..Kind::ALL.len()).prop_flat_map(|k| {
        let kind = Kind::ALL[k];
        (Just(kind), proptest::sample::select(kind.statuses()))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_payload_parses_back_and_keeps_the_invariants(
        (kind, status) in kind_and_status(),
        seed in any::<u64>(),
        index in prop_oneof![0u64..10_000, any::<u64>()],
    ) {
        let payload = Generator::from_seed(seed).kind(kind).status(status).unwrap().payload(index);
        let webhook = Webhook::parse(&payload.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(webhook.kind(), Some(kind));
        let parsed_status = webhook.status();
        prop_assert_eq!(parsed_status.as_deref(), Some(status));
        prop_assert_eq!(payload.status.as_str(), status);
        prop_assert_eq!(webhook.session_id(), Some(payload.session_id.as_str()));
        if let Err(problems) = invariants::check(&webhook) {
            return Err(TestCaseError::fail(format!("{problems:?}\n{}", String::from_utf8_lossy(&payload.body))));
        }
        // Re-serializing the parsed payload gives the same JSON value, and here the same bytes.
        let original: Value = serde_json::from_slice(&payload.body).unwrap();
        prop_assert_eq!(webhook.to_value(), original);
        prop_assert_eq!(webhook.to_vec(), payload.body.to_vec());
        // Compact: no whitespace outside strings.
        prop_assert!(!payload.body.starts_with(b" ") && !payload.body.contains(&b'\n'));
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes(
        (kind, status) in kind_and_status(),
        seed in any::<u64>(),
        index in 0u64..1_000_000,
    ) {
        let g = Generator::from_seed(seed).kind(kind).status(status).unwrap();
        let a = g.payload(index);
        let b = g.clone().payload(index);
        prop_assert_eq!(&a, &b);
        let other = Generator::from_seed(seed.wrapping_add(1)).kind(kind).status(status).unwrap().payload(index);
        prop_assert_ne!(&a.body, &other.body);
        let next = g.payload(index + 1);
        prop_assert_ne!(&a.body, &next.body);
    }

    #[test]
    fn a_status_override_keeps_the_payload_consistent(
        (kind, status) in kind_and_status(),
        seed in any::<u64>(),
        index in 0u64..100_000,
    ) {
        let Some(path) = veriff_mock_gen::status_path(kind) else { return Ok(()) };
        let set = SetOverride::parse(&format!("{path}={status}")).unwrap();
        let g = Generator::from_seed(seed).kind(kind).overrides(vec![set]).unwrap();
        let payload = g.payload(index);
        let webhook = Webhook::parse(&payload.body).unwrap();
        let parsed_status = webhook.status();
        prop_assert_eq!(parsed_status.as_deref(), Some(status));
        prop_assert_eq!(payload.status.as_str(), status);
        prop_assert!(invariants::check(&webhook).is_ok(), "{:?}", invariants::check(&webhook));
        // The same as asking for the status directly.
        let direct = Generator::from_seed(seed).kind(kind).status(status).unwrap().payload(index);
        prop_assert_eq!(payload.body, direct.body);
    }

    #[test]
    fn the_fast_decision_path_writes_the_typed_bytes(
        status in proptest::sample::select(Kind::Decision.statuses()),
        seed in any::<u64>(),
        index in any::<u64>(),
    ) {
        let g = Generator::from_seed(seed).status(status).unwrap();
        let mut fast = Vec::new();
        g.write_body(index, &mut fast).unwrap();
        let mut typed = Vec::new();
        veriff_mock_gen::serialize_into(&g.webhook(index), &mut typed).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&typed));
    }

    #[test]
    fn override_parsing_never_panics(input in ".{0,40}") {
        let _ = SetOverride::parse(&input);
    }

    #[test]
    fn any_anchor_gives_valid_payloads(
        (kind, status) in kind_and_status(),
        millis in -5_000_000_000_000i64..300_000_000_000_000,
        index in any::<u64>(),
    ) {
        use chrono::TimeZone;
        let anchor = chrono::Utc.timestamp_millis_opt(millis).single().unwrap();
        let g = Generator::from_seed(3).kind(kind).status(status).unwrap().anchor(anchor);
        let payload = g.payload(index);
        prop_assert!(invariants::check_bytes(&payload.body).is_ok(), "{:?}", invariants::check_bytes(&payload.body));
    }
}

#[test]
fn every_kind_and_status_many_indices() {
    for kind in Kind::ALL {
        for status in kind.statuses() {
            let g = Generator::from_seed(7).kind(kind).status(status).unwrap();
            for index in 0..150 {
                let p = g.payload(index);
                if let Err(problems) = invariants::check_bytes(&p.body) {
                    panic!(
                        "{kind} {status} {index}: {problems:?}\n{}",
                        String::from_utf8_lossy(&p.body)
                    );
                }
            }
        }
    }
}

#[test]
fn one_index_is_one_session_across_kinds() {
    let at = |kind: Kind, status: &str| {
        Generator::from_seed(9)
            .kind(kind)
            .status(status)
            .unwrap()
            .payload(4)
    };
    let started = at(Kind::Event, "started");
    let submitted = at(Kind::Event, "submitted");
    let decision = at(Kind::Decision, "approved");
    let watchlist = at(Kind::Watchlist, "possible_match");
    let status = at(Kind::UserStatus, "created");
    for p in [&submitted, &decision, &watchlist, &status] {
        assert_eq!(p.session_id, started.session_id);
        assert_eq!(p.attempt_id, started.attempt_id);
        assert_eq!(p.vendor_data, started.vendor_data);
    }
    assert!(started.sent_at < submitted.sent_at);
    assert!(submitted.sent_at < decision.sent_at);
    assert!(decision.sent_at < watchlist.sent_at);
    assert!(decision.sent_at < status.sent_at);
    // The watchlist searched the decision's person.
    let d = Webhook::parse(&decision.body).unwrap().to_value();
    let w = Webhook::parse(&watchlist.body).unwrap().to_value();
    assert_eq!(
        w["searchTerm"]["year"],
        d["verification"]["person"]["yearOfBirth"]
    );
    let first = d["verification"]["person"]["firstName"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        w["searchTerm"]["name"]
            .as_str()
            .unwrap()
            .to_uppercase()
            .starts_with(&first)
    );
}

#[test]
fn the_mix_is_realistic() {
    let g = Generator::from_seed(1);
    let mut countries = std::collections::BTreeSet::new();
    let mut doc_types = std::collections::BTreeSet::new();
    let (mut null_vendor, mut null_end_user, n) = (0usize, 0usize, 600u64);
    for i in 0..n {
        let v = Webhook::parse(&g.payload(i).body).unwrap().to_value();
        let ver = &v["verification"];
        countries.insert(ver["document"]["country"].as_str().unwrap().to_owned());
        doc_types.insert(ver["document"]["type"].as_str().unwrap().to_owned());
        null_vendor += usize::from(ver["vendorData"].is_null());
        null_end_user += usize::from(ver["endUserId"].is_null());
    }
    assert!(countries.len() >= 8, "{countries:?}");
    assert_eq!(countries.len(), veriff_mock_gen::covered_countries().len());
    assert!(
        doc_types.contains("PASSPORT")
            && doc_types.contains("ID_CARD")
            && doc_types.contains("DRIVERS_LICENSE")
    );
    assert!(
        null_vendor > 0 && null_vendor < n as usize / 3,
        "{null_vendor}"
    );
    assert!(
        null_end_user > 0 && null_end_user < n as usize,
        "{null_end_user}"
    );
}

#[test]
fn declines_use_the_decline_table_and_fraud_has_risk_labels() {
    let g = Generator::from_seed(2).status("declined").unwrap();
    let mut codes = std::collections::BTreeSet::new();
    for i in 0..400 {
        let v = Webhook::parse(&g.payload(i).body).unwrap().to_value();
        let code = v["verification"]["reasonCode"].as_u64().unwrap();
        assert!((101..200).contains(&code));
        if code == 106 {
            assert!(
                v["verification"]["riskLabels"]
                    .as_array()
                    .is_some_and(|l| !l.is_empty())
            );
        }
        codes.insert(code);
    }
    assert!(codes.len() >= 15, "{codes:?}");
}

#[test]
fn expired_documents_only_with_reason_207() {
    let g = Generator::from_seed(3)
        .status("resubmission_requested")
        .unwrap();
    let mut seen_207 = false;
    for i in 0..300 {
        let v = Webhook::parse(&g.payload(i).body).unwrap().to_value();
        let ver = &v["verification"];
        let Some(until) = ver["document"]["validUntil"].as_str() else {
            // Unread only when the photos were missing (201) or poor (204).
            assert!(
                matches!(ver["reasonCode"].as_u64(), Some(201 | 204)),
                "{ver}"
            );
            continue;
        };
        let decided = &ver["decisionTime"].as_str().unwrap()[..10];
        let expired = until < decided;
        assert_eq!(expired, ver["reasonCode"] == 207, "{until} {decided}");
        seen_207 |= expired;
    }
    assert!(seen_207);
}
