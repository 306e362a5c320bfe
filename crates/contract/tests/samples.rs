//! Veriff's published samples parse, are detected as the right kind, and re-serialize to the same
//! JSON value; unknown fields and event types survive; bad input errors and never panics.

use proptest::prelude::*;
use serde_json::{Value, json};
use veriff_mock_contract::{
    DecisionStatus, Kind, Nullable, ParseError, SharedSecret, Webhook, sign_hex, verify,
};

const SAMPLES: &[(&str, Kind, &str)] = &[
    (
        "decision.json",
        Kind::Decision,
        include_str!("../../../fixtures/veriff-docs/decision.json"),
    ),
    (
        "event.json",
        Kind::Event,
        include_str!("../../../fixtures/veriff-docs/event.json"),
    ),
    (
        "user-status.json",
        Kind::UserStatus,
        include_str!("../../../fixtures/veriff-docs/user-status.json"),
    ),
    (
        "ine.json",
        Kind::Ine,
        include_str!("../../../fixtures/veriff-docs/ine.json"),
    ),
    (
        "curp.json",
        Kind::Curp,
        include_str!("../../../fixtures/veriff-docs/curp.json"),
    ),
];

#[test]
fn docs_samples_round_trip_to_the_same_value() {
    for (name, kind, text) in SAMPLES {
        let webhook =
            Webhook::parse(text.trim_end().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(webhook.kind(), Some(*kind), "{name}");
        let original: Value = serde_json::from_str(text).unwrap();
        let again: Value = serde_json::from_slice(&webhook.to_vec()).unwrap();
        assert_eq!(again, original, "{name} changed in a round trip");
    }
}

#[test]
fn decision_sample_reads_as_documented() {
    let Webhook::Decision(d) = Webhook::parse(SAMPLES[0].2.as_bytes()).unwrap() else {
        panic!("not a decision")
    };
    let v = &d.verification;
    assert_eq!(v.status, DecisionStatus::Approved);
    assert_eq!(v.code, 9001);
    assert_eq!(v.reason_code, Nullable::Null);
    let person = v.person.as_ref().unwrap();
    assert_eq!(person.first_name.as_deref(), Some("SARAH"));
    assert_eq!(person.gender, Nullable::Null);
    assert!(person.full_name.is_missing());
    let address = &person.addresses.as_ref().unwrap()[0];
    // Veriff's quirk: the string "null".
    assert_eq!(
        address
            .parsed_address
            .as_ref()
            .unwrap()
            .house_number
            .as_deref(),
        Some("null")
    );
    assert_eq!(v.risk_labels.as_ref().unwrap().len(), 2);
}

#[test]
fn unknown_fields_survive_a_round_trip_in_order() {
    let body = r#"{"id":"f04bdb47-d3be-4b28-b028-a652feb060b5","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7002,"action":"submitted","vendorData":null,"endUserId":null,"zNew":{"b":1,"a":[true]},"aNew":"x"}"#;
    let webhook = Webhook::parse(body.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(webhook.to_vec()).unwrap(), body);
}

#[test]
fn unknown_event_types_parse_as_unknown() {
    for body in [
        json!({"eventType": "document.expiring", "sessionId": "s", "attemptId": "a", "data": {}}),
        json!({"type": "rfc_registry", "id": "s", "data": {}}),
        json!({"id": "s", "attemptId": "a", "feature": "selfid", "code": 7003, "action": "paused"}),
    ] {
        let webhook = Webhook::from_value(body.clone()).unwrap();
        assert_eq!(webhook.kind(), None, "{body}");
        assert!(matches!(webhook, Webhook::Unknown(_)));
        assert_eq!(webhook.to_value(), body);
        assert_eq!(webhook.session_id(), Some("s"));
    }
}

#[test]
fn expired_decision_with_null_person_and_document_parses() {
    let body = json!({"status":"success","verification":{"id":"s","attemptId":"a","vendorData":null,"endUserId":null,
        "status":"expired","code":9104,"reason":null,"reasonCode":null,"decisionTime":null,"acceptanceTime":"2024-01-01T00:00:00.000Z",
        "person":null,"document":null,"additionalVerifiedData":{},"comments":[]},"technicalData":{"ip":null}});
    let webhook = Webhook::from_value(body.clone()).unwrap();
    assert_eq!(webhook.status().as_deref(), Some("expired"));
    assert_eq!(webhook.to_value(), body);
}

#[test]
fn errors_say_what_is_wrong() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "not valid JSON"),
        (b"{\"status\":\"success\",\"verification\":{", "not valid JSON"),
        (b"[1,2]", "not an object"),
        (b"{\"hello\":\"world\"}", "not a Veriff webhook"),
        (b"{\"status\":\"success\",\"verification\":{\"id\":\"s\",\"status\":\"approved\"}}", "missing field `code`"),
        (b"{\"status\":\"success\",\"verification\":{\"id\":\"s\",\"status\":\"approved\",\"code\":\"9001\"}}", "invalid type"),
        (b"{\"id\":\"s\",\"feature\":\"selfid\",\"code\":7001,\"action\":\"started\"}", "missing field `attemptId`"),
        (b"\xff\xfe{}", "not valid JSON"),
    ];
    for (body, expected) in cases {
        let err = Webhook::parse(body).unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "{:?}: {err}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(matches!(
        Webhook::parse(b"{\"checkType\":1}"),
        Err(ParseError::Invalid {
            kind: Kind::Watchlist,
            ..
        })
    ));
}

fn mangle(value: &Value, choice: usize, depth: usize) -> Value {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut map = map.clone();
            let key = map.keys().nth(choice % map.len()).unwrap().clone();
            match (choice / 7) % 4 {
                0 => {
                    map.shift_remove(&key);
                }
                1 => {
                    map.insert(key, json!(12345));
                }
                2 => {
                    map.insert(key, json!([{"x": null}]));
                }
                _ if depth < 6 => {
                    let inner = mangle(&map[&key], choice / 3 + 1, depth + 1);
                    map.insert(key, inner);
                }
                _ => {
                    map.insert(key, Value::Null);
                }
            }
            Value::Object(map)
        }
        Value::Array(items) if !items.is_empty() => {
            let mut items = items.clone();
            let i = choice % items.len();
            items[i] = mangle(&items[i], choice / 2 + 1, depth + 1);
            Value::Array(items)
        }
        Value::String(_) => json!(false),
        _ => json!("?"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn truncated_samples_error_and_never_panic(sample in 0..SAMPLES.len(), cut in 0usize..2000) {
        let text = SAMPLES[sample].2.trim_end().as_bytes();
        let cut = cut % text.len();
        prop_assert!(Webhook::parse(&text[..cut]).is_err());
    }

    #[test]
    fn mistyped_or_missing_fields_never_panic(sample in 0..SAMPLES.len(), choice in 0usize..10_000) {
        let value: Value = serde_json::from_str(SAMPLES[sample].2).unwrap();
        let mangled = mangle(&value, choice, 0);
        // Either an error, or a webhook that re-serializes to exactly what was read.
        if let Ok(webhook) = Webhook::from_value(mangled.clone()) {
            prop_assert_eq!(webhook.to_value(), mangled);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Webhook::parse(&bytes);
    }

    #[test]
    fn samples_verify_after_signing_and_fail_after_any_byte_change(sample in 0..SAMPLES.len(), pos in 0usize..2000, delta in 1u8..=255) {
        let secret = SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345").unwrap();
        let body = SAMPLES[sample].2.trim_end().as_bytes();
        let signature = sign_hex(&secret, body);
        prop_assert!(verify(&secret, body, Some(&signature)).is_ok());
        let mut changed = body.to_vec();
        let i = pos % changed.len();
        changed[i] = changed[i].wrapping_add(delta);
        prop_assert!(verify(&secret, &changed, Some(&signature)).is_err());
    }
}
