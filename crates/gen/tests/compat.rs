//! Compatibility mutations keep the payload readable while changing its bytes.

use serde_json::Value;
use veriff_mock_contract::{Kind, Webhook};
use veriff_mock_gen::{GenError, Generator, Mutation, invariants};

fn bodies() -> Vec<(Kind, Vec<u8>)> {
    Kind::ALL
        .iter()
        .flat_map(|k| {
            k.statuses().iter().map(move |s| {
                (
                    *k,
                    Generator::from_seed(11)
                        .kind(*k)
                        .status(s)
                        .unwrap()
                        .payload(2)
                        .body
                        .to_vec(),
                )
            })
        })
        .collect()
}

fn value(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap()
}

#[test]
fn layout_mutations_keep_the_value_and_change_the_bytes() {
    for (kind, body) in bodies() {
        for m in [Mutation::ReorderedKeys, Mutation::PrettyPrinted] {
            let out = m.apply(&body, 1).unwrap();
            assert_ne!(out, body, "{kind} {m}");
            assert_eq!(value(&out), value(&body), "{kind} {m}");
            let w = Webhook::parse(&out).unwrap();
            assert_eq!(w.kind(), Some(kind));
            invariants::check(&w).unwrap();
        }
    }
    let pretty = Mutation::PrettyPrinted.apply(&bodies()[0].1, 1).unwrap();
    assert!(pretty.contains(&b'\n'));
}

#[test]
fn reordered_keys_really_reorder() {
    let body = &bodies()[0].1;
    let out = Mutation::ReorderedKeys.apply(body, 1).unwrap();
    let first_key = |b: &[u8]| value(b).as_object().unwrap().keys().next().cloned();
    assert_ne!(first_key(&out), first_key(body));
}

#[test]
fn non_ascii_escaped_and_raw() {
    // Mexican registry payloads carry Spanish text ("válida").
    let body = Generator::from_seed(1)
        .kind(Kind::Ine)
        .payload(0)
        .body
        .to_vec();
    assert!(!body.is_ascii());
    let escaped = Mutation::EscapedNonAscii.apply(&body, 1).unwrap();
    assert!(escaped.is_ascii());
    assert!(String::from_utf8_lossy(&escaped).contains("\\u00e1"));
    assert_eq!(value(&escaped), value(&body));
    let raw = Mutation::RawNonAscii.apply(&escaped, 1).unwrap();
    assert_eq!(
        raw, body,
        "raw undoes the escapes and gives the compact original"
    );
}

#[test]
fn unknown_fields_are_added_at_several_depths_and_survive() {
    for (kind, body) in bodies() {
        let out = Mutation::UnknownFields.apply(&body, 9).unwrap();
        let (before, after) = (value(&body), value(&out));
        assert!(
            after.as_object().unwrap().len() > before.as_object().unwrap().len(),
            "{kind}"
        );
        let text = String::from_utf8_lossy(&out);
        let w = Webhook::parse(&out).unwrap();
        assert_eq!(w.kind(), Some(kind));
        invariants::check(&w).unwrap_or_else(|p| panic!("{kind}: {p:?}\n{text}"));
        // The contract keeps unknown fields: they survive a parse and re-serialization.
        assert_eq!(w.to_value(), after, "{kind}");
        // Nested objects got one too (depth 1), where the payload has nested objects.
        let nested_before = count_keys(&before);
        let nested_after = count_keys(&after);
        let has_nested = before.as_object().unwrap().values().any(Value::is_object);
        let added = if has_nested { 2 } else { 1 };
        assert!(
            nested_after >= nested_before + added,
            "{kind}: {nested_before} -> {nested_after}"
        );
    }
}

fn count_keys(v: &Value) -> usize {
    match v {
        Value::Object(m) => m.len() + m.values().map(count_keys).sum::<usize>(),
        Value::Array(a) => a.iter().map(count_keys).sum(),
        _ => 0,
    }
}

#[test]
fn unknown_event_type_parses_as_unknown() {
    for (kind, body) in bodies() {
        let out = Mutation::UnknownEventType.apply(&body, 3).unwrap();
        let w = Webhook::parse(&out).unwrap();
        assert_eq!(w.kind(), None, "{kind}");
        assert!(matches!(w, Webhook::Unknown(_)));
        let original = Webhook::parse(&body).unwrap();
        assert_eq!(w.session_id(), original.session_id(), "{kind}");
    }
}

#[test]
fn mutations_are_seeded_and_reject_non_json() {
    let body = &bodies()[0].1;
    for m in Mutation::ALL {
        assert_eq!(m.apply(body, 5).unwrap(), m.apply(body, 5).unwrap());
        assert!(matches!(
            m.apply(b"{not json", 5),
            Err(GenError::NotJson(_))
        ));
        assert_eq!(m.name().parse::<Mutation>().unwrap(), m);
    }
}
