//! `--set PATH=VALUE` overrides through the generator.

use serde_json::json;
use veriff_mock_contract::{Kind, Webhook};
use veriff_mock_gen::{GenError, Generator, SetOverride, invariants};

fn set(s: &str) -> SetOverride {
    SetOverride::parse(s).unwrap()
}

#[test]
fn status_override_regenerates_consistently() {
    let g = Generator::from_seed(4)
        .overrides(vec![set("verification.status=resubmission_requested")])
        .unwrap();
    for i in 0..50 {
        let p = g.payload(i);
        assert_eq!(p.status, "resubmission_requested");
        let v = Webhook::parse(&p.body).unwrap().to_value();
        assert_eq!(v["verification"]["code"], 9103);
        assert!((201..=207).contains(&v["verification"]["reasonCode"].as_u64().unwrap()));
        invariants::check_bytes(&p.body).unwrap();
    }
    let abandoned = Generator::from_seed(4)
        .overrides(vec![set("verification.status=abandoned")])
        .unwrap()
        .payload(0);
    let v = Webhook::parse(&abandoned.body).unwrap().to_value();
    assert_eq!(v["verification"]["code"], 9104);
    assert!(v["verification"]["decisionTime"].is_null() && v["verification"]["person"].is_null());
}

#[test]
fn other_overrides_are_applied_before_serialization() {
    let g = Generator::from_seed(4)
        .kind(Kind::Event)
        .overrides(vec![
            set("vendorData=user-42"),
            set("endUserId=null"),
            set("extra.nested.flag=true"),
            set("code=7002"),
        ])
        .unwrap();
    let p = g.payload(0);
    let v: serde_json::Value = serde_json::from_slice(&p.body).unwrap();
    assert_eq!(v["vendorData"], "user-42");
    assert_eq!(p.vendor_data.as_deref(), Some("user-42"));
    assert!(v["endUserId"].is_null());
    assert_eq!(v["extra"], json!({"nested": {"flag": true}}));
    assert_eq!(v["code"], 7002);
    // The body is compact and the fast path gives the same bytes.
    let mut buf = Vec::new();
    g.write_body(0, &mut buf).unwrap();
    assert_eq!(buf, p.body.to_vec());
}

#[test]
fn an_unknown_status_is_set_as_is() {
    let p = Generator::from_seed(4)
        .overrides(vec![set("verification.status=on_hold")])
        .unwrap()
        .payload(1);
    let w = Webhook::parse(&p.body).unwrap();
    assert_eq!(w.status().as_deref(), Some("on_hold"));
    assert_eq!(p.status, "on_hold");
    assert!(
        invariants::check(&w).is_err(),
        "an unknown status breaks the code rule"
    );
}

#[test]
fn bad_paths_are_errors_not_panics() {
    let err = Generator::from_seed(4)
        .overrides(vec![set("verification.comments.3=x")])
        .unwrap_err();
    assert!(matches!(err, GenError::OverridePath { .. }), "{err}");
    assert!(err.to_string().contains("verification.comments.3"), "{err}");
    let err = Generator::from_seed(4)
        .overrides(vec![set("status.x=1")])
        .unwrap_err();
    assert!(err.to_string().contains("string"), "{err}");
}

#[test]
fn an_override_that_fits_only_some_payloads() {
    // Hit 2 exists only when a possible match lists three hits: find a seed whose index 0 has
    // three (so `overrides` accepts it), then indices with fewer hits skip just that override.
    let overrides = vec![
        set("hits.0.matchedName=FIRST"),
        set("hits.2.matchedName=THIRD"),
    ];
    let g = (0..200u64)
        .find_map(|seed| {
            Generator::from_seed(seed)
                .kind(Kind::Watchlist)
                .status("possible_match")
                .unwrap()
                .overrides(overrides.clone())
                .ok()
        })
        .expect("some seed lists three hits at index 0");
    let mut skipped = false;
    for i in 0..40 {
        match g.try_payload(i) {
            Ok(p) => assert!(String::from_utf8_lossy(&p.body).contains("\"THIRD\"")),
            Err(e) => {
                skipped = true;
                assert!(e.to_string().contains("past the end"), "{e}");
                // `payload` skips the one override that does not fit and applies the rest.
                let body = g.payload(i).body;
                let text = String::from_utf8_lossy(&body);
                assert!(text.contains("\"FIRST\"") && !text.contains("THIRD"));
            }
        }
    }
    assert!(skipped);
}

#[test]
fn an_overridden_reason_code_brings_its_reason_text() {
    let body = |sets: &[&str]| {
        let p = Generator::from_seed(1)
            .status("declined")
            .unwrap()
            .overrides(sets.iter().map(|s| set(s)).collect())
            .unwrap()
            .payload(0);
        let v: serde_json::Value = serde_json::from_slice(&p.body).unwrap();
        (
            v["verification"]["reasonCode"].clone(),
            v["verification"]["reason"].clone(),
        )
    };
    assert_eq!(
        body(&["verification.reasonCode=102"]),
        (json!(102), json!("Suspected document tampering"))
    );
    assert_eq!(
        body(&["verification.reasonCode=null"]),
        (json!(null), json!(null))
    );
    // A reason given too wins.
    assert_eq!(
        body(&["verification.reasonCode=102", "verification.reason=ours"]),
        (json!(102), json!("ours"))
    );
}
