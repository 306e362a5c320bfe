//! Session timelines: causal order, realistic gaps, one session, reproducible.

use std::time::Duration;

use serde_json::Value;
use veriff_mock_contract::{Kind, Webhook};
use veriff_mock_gen::{Generator, Scenario, invariants};

fn describe(steps: &[(Duration, veriff_mock_gen::Payload)]) -> Vec<String> {
    steps
        .iter()
        .map(|(_, p)| format!("{}:{}", p.kind, p.status))
        .collect()
}

#[test]
fn every_scenario_is_ordered_one_session_and_valid() {
    let g = Generator::from_seed(21);
    for scenario in Scenario::ALL {
        for session in 0..30 {
            let steps = scenario.timeline(&g, session);
            assert!(!steps.is_empty());
            let offsets: Vec<Duration> = steps.iter().map(|(d, _)| *d).collect();
            assert!(
                offsets.windows(2).all(|w| w[0] <= w[1]),
                "{scenario}: {offsets:?}"
            );
            let session_id = &steps[0].1.session_id;
            for (_, p) in &steps {
                assert_eq!(&p.session_id, session_id, "{scenario}");
                let w = Webhook::parse(&p.body).unwrap();
                assert_eq!(w.kind(), Some(p.kind));
                if let Err(problems) = invariants::check(&w) {
                    panic!("{scenario} {session} {}: {problems:?}", p.kind);
                }
            }
            assert_eq!(steps, scenario.timeline(&g, session), "reproducible");
            for (_, p) in &steps {
                assert!(scenario.kinds().contains(&p.kind), "{scenario}: {}", p.kind);
            }
        }
    }
}

#[test]
fn approved_has_minutes_between_steps() {
    let steps = Scenario::Approved.timeline(&Generator::from_seed(3), 0);
    assert_eq!(
        describe(&steps),
        ["event:started", "event:submitted", "decision:approved"]
    );
    let gap = steps[1].0 - steps[0].0;
    assert!(
        gap >= Duration::from_secs(60) && gap <= Duration::from_secs(13 * 60),
        "{gap:?}"
    );
    let gap = steps[2].0 - steps[1].0;
    assert!(
        gap >= Duration::from_secs(5) && gap <= Duration::from_secs(7 * 60),
        "{gap:?}"
    );
}

#[test]
fn resubmission_is_held_then_a_new_attempt_is_approved() {
    let steps = Scenario::Resubmission.timeline(&Generator::from_seed(3), 1);
    assert_eq!(
        describe(&steps),
        [
            "event:started",
            "event:submitted",
            "decision:resubmission_requested",
            "event:started",
            "event:submitted",
            "decision:approved"
        ]
    );
    let first_attempt = &steps[0].1.attempt_id;
    assert_eq!(&steps[2].1.attempt_id, first_attempt);
    let second = &steps[3].1.attempt_id;
    assert_ne!(second, first_attempt);
    for (_, p) in &steps[3..] {
        assert_eq!(&p.attempt_id, second);
        assert_eq!(
            Webhook::parse(&p.body).unwrap().attempt_id(),
            Some(second.as_str())
        );
    }
    // The resubmission decision is held 5 minutes after the decision time.
    let v: Value = serde_json::from_slice(&steps[2].1.body).unwrap();
    let decided =
        chrono::DateTime::parse_from_rfc3339(v["verification"]["decisionTime"].as_str().unwrap())
            .unwrap();
    let held = steps[2].1.sent_at.signed_duration_since(decided);
    assert!(
        held >= chrono::Duration::minutes(5) && held < chrono::Duration::minutes(6),
        "{held}"
    );
}

#[test]
fn expired_and_abandoned_come_after_seven_days() {
    for scenario in [Scenario::Expired, Scenario::Abandoned] {
        let steps = scenario.timeline(&Generator::from_seed(4), 2);
        let (offset, last) = steps.last().unwrap();
        assert_eq!(last.kind, Kind::Decision);
        assert!(
            *offset >= Duration::from_secs(7 * 86_400),
            "{scenario}: {offset:?}"
        );
    }
    assert_eq!(
        describe(&Scenario::Expired.timeline(&Generator::from_seed(4), 2)),
        ["decision:expired"]
    );
}

#[test]
fn aml_ends_with_an_ongoing_monitoring_update() {
    let steps = Scenario::Aml.timeline(&Generator::from_seed(5), 3);
    assert_eq!(
        describe(&steps),
        [
            "event:started",
            "event:submitted",
            "decision:approved",
            "watchlist:no_match",
            "watchlist:possible_match"
        ]
    );
    let initial: Value = serde_json::from_slice(&steps[3].1.body).unwrap();
    let update: Value = serde_json::from_slice(&steps[4].1.body).unwrap();
    assert_eq!(initial["checkType"], "initial_result");
    assert_eq!(update["checkType"], "updated_result");
    assert!(steps[4].0 - steps[3].0 >= Duration::from_secs(86_000));
    assert!(update["createdAt"].as_str() > initial["createdAt"].as_str());
}

#[test]
fn declined_is_followed_by_a_user_status() {
    let steps = Scenario::Declined.timeline(&Generator::from_seed(6), 4);
    assert_eq!(
        describe(&steps),
        [
            "event:started",
            "event:submitted",
            "decision:declined",
            "user-status:created"
        ]
    );
}

#[test]
fn mixed_draws_several_scenarios_and_names_parse() {
    let g = Generator::from_seed(7);
    let shapes: std::collections::BTreeSet<Vec<String>> = (0..60)
        .map(|s| describe(&Scenario::Mixed.timeline(&g, s)))
        .collect();
    assert!(shapes.len() >= 4, "{shapes:?}");
    for s in Scenario::ALL {
        assert_eq!(s.name().parse::<Scenario>().unwrap(), s);
    }
    assert!(
        "nope"
            .parse::<Scenario>()
            .unwrap_err()
            .to_string()
            .contains("resubmission")
    );
}

#[test]
fn fullauto_sends_the_full_auto_webhook_instead_of_a_decision() {
    // Essential-plan sessions: "Decision webhook is not used" (Veriff's Essential Plan page).
    for session in 0..10 {
        let steps = Scenario::FullAuto.timeline(&Generator::from_seed(8), session);
        assert_eq!(
            describe(&steps),
            ["event:started", "event:submitted", "fullauto:approved"]
        );
    }
}

fn acceptance_time(p: &veriff_mock_gen::Payload) -> String {
    let v: Value = serde_json::from_slice(&p.body).unwrap();
    v["verification"]["acceptanceTime"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_decision_of_a_session_has_its_creation_as_acceptance_time() {
    // acceptanceTime: "Timestamp of the session generation" — one value per session, before the
    // first event.
    let steps = Scenario::Resubmission.timeline(&Generator::from_seed(3), 1);
    let decisions: Vec<_> = steps
        .iter()
        .filter(|(_, p)| p.kind == Kind::Decision)
        .collect();
    assert_eq!(decisions.len(), 2);
    let accepted = acceptance_time(&decisions[0].1);
    assert_eq!(acceptance_time(&decisions[1].1), accepted);
    let started = Webhook::parse(&steps[0].1.body).unwrap();
    assert_eq!(started.kind(), Some(Kind::Event));
    assert!(
        accepted
            < steps[0]
                .1
                .sent_at
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
    );
    for status in ["approved", "expired", "abandoned", "declined"] {
        let p = Generator::from_seed(3).status(status).unwrap().payload(1);
        assert_eq!(acceptance_time(&p), accepted, "{status}");
    }
}

#[test]
fn mixed_plays_resubmissions_within_the_hold_without_the_held_decision() {
    let g = Generator::from_seed(9);
    let quick: Vec<_> = (0..300)
        .map(|s| Scenario::Mixed.timeline(&g, s))
        .filter(|steps| {
            describe(steps)
                == [
                    "event:started",
                    "event:submitted",
                    "event:started",
                    "event:submitted",
                    "decision:approved",
                ]
        })
        .collect();
    assert!(
        !quick.is_empty(),
        "no resubmission within the hold in 300 sessions"
    );
    for steps in &quick {
        let first = &steps[0].1.attempt_id;
        assert_ne!(&steps[2].1.attempt_id, first, "a new attempt");
        assert_eq!(steps[4].1.attempt_id, steps[2].1.attempt_id);
        // The user came back within the hold: under 5 minutes after the first submission, plus
        // the decision's 5 s–6 min.
        let back = steps[2].0 - steps[1].0;
        assert!(back < Duration::from_secs(11 * 60), "{back:?}");
    }
}

#[test]
fn abandoned_decisions_can_carry_the_api_pages_code() {
    let table = Generator::from_seed(2).status("abandoned").unwrap();
    let api = table.clone().abandoned_api_code(true);
    let code = |g: &Generator, i: u64| {
        let v: Value = serde_json::from_slice(&g.payload(i).body).unwrap();
        v["verification"]["code"].as_u64().unwrap()
    };
    assert_eq!(code(&table, 0), 9104);
    assert_eq!(code(&api, 0), 9121);
    let w = Webhook::parse(&api.payload(0).body).unwrap();
    invariants::check(&w).unwrap();
    // The typed path (JSON overrides) agrees with the direct writer.
    let set = veriff_mock_gen::SetOverride::parse("verification.vendorData=x").unwrap();
    let with_set = api.clone().overrides(vec![set]).unwrap();
    assert_eq!(code(&with_set, 0), 9121);
    // Only abandoned decisions change; review stays 9121 and expired 9104.
    let review = Generator::from_seed(2)
        .status("review")
        .unwrap()
        .abandoned_api_code(true);
    assert_eq!(code(&review, 0), 9121);
    let expired = Generator::from_seed(2)
        .status("expired")
        .unwrap()
        .abandoned_api_code(true);
    assert_eq!(code(&expired, 0), 9104);
    // Scenarios keep the setting.
    let steps = Scenario::Abandoned.timeline(&api, 0);
    let v: Value = serde_json::from_slice(&steps.last().unwrap().1.body).unwrap();
    assert_eq!(v["verification"]["code"], 9121);
}
