//! How close generated payloads come to real Veriff webhooks, measured over thousands of them:
//! the nulls Veriff sends where it reads nothing, its address quirks, the document types of the
//! contract, and the watchlist's totals and ongoing-monitoring results.

use serde_json::Value;
use veriff_mock_contract::{Kind, Webhook};
use veriff_mock_gen::{Generator, invariants};

const N: u64 = 4_000;

/// The parsed `verification` of `n` decisions of `status` (seed 21), each checked against the
/// invariants.
fn decisions(status: &str, n: u64) -> Vec<Value> {
    let g = Generator::from_seed(21).status(status).unwrap();
    (0..n)
        .map(|i| {
            let w = Webhook::parse(&g.payload(i).body).unwrap();
            if let Err(problems) = invariants::check(&w) {
                panic!("{status} {i}: {problems:?}");
            }
            w.to_value()["verification"].take()
        })
        .collect()
}

fn share(part: usize, whole: usize) -> f64 {
    assert!(whole > 0);
    part as f64 / whole as f64
}

fn in_bounds(what: &str, rate: f64, lo: f64, hi: f64) {
    assert!(
        (lo..=hi).contains(&rate),
        "{what}: {:.1}% is outside {:.0}%..{:.0}%",
        rate * 100.0,
        lo * 100.0,
        hi * 100.0
    );
}

#[test]
fn licences_print_no_nationality_and_uk_licences_no_sex() {
    let all = decisions("approved", N);
    let licences: Vec<&Value> = all
        .iter()
        .filter(|v| v["document"]["type"] == "DRIVERS_LICENSE")
        .collect();
    assert!(licences.len() > 300, "{}", licences.len());
    assert!(
        licences
            .iter()
            .all(|v| v["person"]["nationality"].is_null())
    );
    let gb: Vec<&&Value> = licences
        .iter()
        .filter(|v| v["document"]["country"] == "GB")
        .collect();
    assert!(gb.len() > 30, "{}", gb.len());
    assert!(gb.iter().all(|v| v["person"]["gender"].is_null()));
    // Other documents keep their nationality; other licences mostly keep the sex.
    assert!(
        all.iter()
            .filter(|v| v["document"]["type"] == "PASSPORT")
            .all(|v| v["person"]["nationality"].is_string())
    );
    let other_licences = licences
        .iter()
        .filter(|v| v["document"]["country"] != "GB")
        .count();
    let with_sex = licences
        .iter()
        .filter(|v| v["document"]["country"] != "GB" && v["person"]["gender"].is_string())
        .count();
    in_bounds(
        "sex read on non-UK licences",
        share(with_sex, other_licences),
        0.9,
        1.0,
    );
}

#[test]
fn fields_go_unread_at_small_independent_rates() {
    let all = decisions("approved", N);
    let not_gb_licence: Vec<&Value> = all
        .iter()
        .filter(|v| {
            !(v["document"]["type"] == "DRIVERS_LICENSE" && v["document"]["country"] == "GB")
        })
        .collect();
    let null = |items: &[&Value], f: &dyn Fn(&Value) -> &Value| {
        share(items.iter().filter(|v| f(v).is_null()).count(), items.len())
    };
    let all_refs: Vec<&Value> = all.iter().collect();
    in_bounds(
        "person.gender",
        null(&not_gb_licence, &|v| &v["person"]["gender"]),
        0.02,
        0.07,
    );
    in_bounds(
        "document.validFrom",
        null(&all_refs, &|v| &v["document"]["validFrom"]),
        0.08,
        0.16,
    );
    in_bounds(
        "document.placeOfIssue",
        null(&all_refs, &|v| &v["document"]["placeOfIssue"]),
        0.07,
        0.13,
    );
    in_bounds(
        "document.issuedBy",
        null(&all_refs, &|v| &v["document"]["issuedBy"]),
        0.07,
        0.13,
    );
    let with_address: Vec<&Value> = all
        .iter()
        .filter(|v| {
            v["person"]["addresses"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        })
        .collect();
    assert!(with_address.len() > 500, "{}", with_address.len());
    in_bounds(
        "parsedAddress.city",
        null(&with_address, &|v| {
            &v["person"]["addresses"][0]["parsedAddress"]["city"]
        }),
        0.05,
        0.12,
    );
    // Names, date of birth and the document's number, type and country are always read.
    for v in &all {
        for (part, field) in [
            ("person", "firstName"),
            ("person", "lastName"),
            ("person", "fullName"),
            ("person", "dateOfBirth"),
            ("document", "number"),
            ("document", "type"),
            ("document", "country"),
        ] {
            assert!(v[part][field].is_string(), "{part}.{field}: {v}");
        }
    }
}

#[test]
fn missing_photos_leave_nothing_read_and_poor_images_leave_gaps() {
    let all = decisions("resubmission_requested", N);
    let missing: Vec<&Value> = all.iter().filter(|v| v["reasonCode"] == 201).collect();
    assert!(missing.len() > 100, "{}", missing.len());
    for v in &missing {
        for part in ["person", "document"] {
            let object = v[part].as_object().unwrap();
            assert!(!object.is_empty());
            for (k, x) in object {
                let empty_list = k == "addresses" && x.as_array().is_some_and(Vec::is_empty);
                assert!(x.is_null() || empty_list, "{part}.{k} = {x}");
            }
        }
        assert_eq!(v["additionalVerifiedData"], serde_json::json!({}));
    }
    let poor: Vec<&Value> = all.iter().filter(|v| v["reasonCode"] == 204).collect();
    assert!(poor.len() > 100, "{}", poor.len());
    for (part, field) in [
        ("person", "firstName"),
        ("person", "dateOfBirth"),
        ("document", "number"),
        ("document", "type"),
        ("document", "validUntil"),
    ] {
        let rate = share(
            poor.iter().filter(|v| v[part][field].is_null()).count(),
            poor.len(),
        );
        in_bounds(&format!("204 {part}.{field}"), rate, 0.2, 0.4);
    }
    // Other reasons read the essentials.
    assert!(
        all.iter()
            .filter(|v| !matches!(v["reasonCode"].as_u64(), Some(201 | 204)))
            .all(|v| v["person"]["firstName"].is_string() && v["document"]["number"].is_string())
    );
    // Expired and abandoned sessions keep null person and document: both shapes exist.
    for status in ["expired", "abandoned"] {
        let v = &decisions(status, 1)[0];
        assert!(v["person"].is_null() && v["document"].is_null());
    }
}

#[test]
fn us_addresses_say_usa_and_half_keep_the_number_in_the_street() {
    let all = decisions("approved", N);
    let (mut us, mut quirk, mut others) = (0, 0, 0);
    for v in &all {
        let Some(address) = v["person"]["addresses"].get(0) else {
            continue;
        };
        let parsed = &address["parsedAddress"];
        if v["document"]["country"] == "US" {
            us += 1;
            assert_eq!(parsed["country"], "USA");
            assert!(address["fullAddress"].as_str().unwrap().ends_with(" USA"));
            if parsed["houseNumber"] == "null" {
                quirk += 1;
                let street = parsed["street"].as_str().unwrap();
                assert!(street.starts_with(|c: char| c.is_ascii_digit()), "{street}");
            }
        } else {
            others += 1;
            assert_eq!(parsed["country"], v["document"]["country"]);
            assert_ne!(parsed["houseNumber"], "null");
        }
    }
    assert!(us > 200 && others > 200, "{us} {others}");
    in_bounds("US houseNumber \"null\"", share(quirk, us), 0.4, 0.6);
}

#[test]
fn full_auto_leaves_the_same_fields_null_as_the_decision() {
    let decision = Generator::from_seed(21);
    let fullauto = Generator::from_seed(21).kind(Kind::FullAuto);
    let mut nulls = 0;
    for i in 0..1_000 {
        let d = Webhook::parse(&decision.payload(i).body)
            .unwrap()
            .to_value();
        let f = Webhook::parse(&fullauto.payload(i).body)
            .unwrap()
            .to_value();
        let (dp, fp) = (
            &d["verification"]["person"],
            &f["data"]["verification"]["person"],
        );
        for field in ["gender", "nationality", "firstName", "dateOfBirth"] {
            assert_eq!(dp[field].is_null(), fp[field].is_null(), "{i} {field}");
            if !dp[field].is_null() {
                assert_eq!(dp[field], fp[field]["value"], "{i} {field}");
            }
            nulls += usize::from(fp[field].is_null());
        }
    }
    assert!(nulls > 50, "{nulls}");
}

#[test]
fn watchlist_totals_count_the_hits_and_some_results_are_monitoring_updates() {
    let mut updated = 0;
    let mut n = 0;
    for status in ["no_match", "possible_match"] {
        let g = Generator::from_seed(21)
            .kind(Kind::Watchlist)
            .status(status)
            .unwrap();
        let decisions = Generator::from_seed(21);
        for i in 0..1_500 {
            let w = Webhook::parse(&g.payload(i).body).unwrap();
            invariants::check(&w).unwrap();
            let v = w.to_value();
            let hits = v["hits"].as_array().unwrap().len();
            assert_eq!(v["totalHits"], hits, "{v}");
            assert_eq!(hits == 0, status == "no_match");
            n += 1;
            if v["checkType"] == "updated_result" {
                updated += 1;
                // Ongoing monitoring re-screens days to months after the decision.
                let d = Webhook::parse(&decisions.payload(i).body)
                    .unwrap()
                    .to_value();
                let decided = d["verification"]["decisionTime"].as_str().unwrap();
                let created = v["createdAt"].as_str().unwrap();
                let days = |t: &str| {
                    chrono::DateTime::parse_from_rfc3339(t)
                        .unwrap()
                        .timestamp_millis()
                        / 86_400_000
                };
                let gap = days(created) - days(decided);
                assert!((1..=181).contains(&gap), "{gap} days");
            } else {
                assert_eq!(v["checkType"], "initial_result");
            }
        }
    }
    in_bounds("updated_result", share(updated, n), 0.16, 0.24);
}

#[test]
fn residence_permits_visas_and_other_documents_occur() {
    let all = decisions("approved", N);
    let of = |kind: &str| -> Vec<&Value> {
        all.iter()
            .filter(|v| v["document"]["type"] == kind)
            .collect()
    };
    let (permits, visas, others) = (of("RESIDENCE_PERMIT"), of("VISA"), of("OTHER"));
    // The UK no longer issues residence permit cards.
    let issuing = all
        .iter()
        .filter(|v| v["document"]["country"] != "GB")
        .count();
    in_bounds(
        "RESIDENCE_PERMIT",
        share(permits.len(), issuing),
        0.035,
        0.065,
    );
    in_bounds("VISA", share(visas.len(), all.len()), 0.001, 0.012);
    in_bounds("OTHER", share(others.len(), all.len()), 0.005, 0.017);
    let schengen = ["FI", "EE", "DE", "FR", "ES", "IT"];
    for v in permits.iter().chain(&visas) {
        let country = v["document"]["country"].as_str().unwrap();
        let nationality = v["person"]["nationality"].as_str().unwrap();
        if v["document"]["type"] == "RESIDENCE_PERMIT" {
            assert_ne!(country, "GB");
        }
        assert_ne!(nationality, country, "{v}");
        assert!(
            !(schengen.contains(&nationality) && schengen.contains(&country)),
            "{v}"
        );
        assert!(v["person"]["idNumber"].is_null(), "{v}");
        if let Some(address) = v["person"]["addresses"].get(0) {
            assert_eq!(v["document"]["type"], "RESIDENCE_PERMIT");
            let want = if country == "US" { "USA" } else { country };
            assert_eq!(address["parsedAddress"]["country"], want);
        }
    }
    assert!(
        permits
            .iter()
            .any(|v| v["document"]["country"] == "US" && v["document"]["issuedBy"] == "USCIS"),
        "a green card"
    );
    for v in &others {
        assert_eq!(v["person"]["nationality"], v["document"]["country"], "{v}");
    }
}

#[test]
fn missing_photos_carry_no_risk_labels_age_estimation_or_biometrics() {
    let all = decisions("resubmission_requested", N);
    let missing: Vec<&Value> = all.iter().filter(|v| v["reasonCode"] == 201).collect();
    assert!(missing.len() > 400, "{}", missing.len());
    for v in &missing {
        assert!(v.get("riskLabels").is_none(), "{v}");
        assert!(v.get("biometricAuthentication").is_none(), "{v}");
        assert!(
            v["additionalVerifiedData"].get("estimatedAge").is_none(),
            "{v}"
        );
    }
    // Other resubmissions still carry risk labels now and then.
    let others: Vec<&Value> = all.iter().filter(|v| v["reasonCode"] != 201).collect();
    let labelled = others
        .iter()
        .filter(|v| v.get("riskLabels").is_some())
        .count();
    in_bounds(
        "risk labels on other resubmissions",
        share(labelled, others.len()),
        0.05,
        0.11,
    );
}

#[test]
fn poor_images_keep_derived_fields_with_what_they_derive_from() {
    let all = decisions("resubmission_requested", N);
    // The same sessions, approved: what each document really prints.
    let approved = decisions("approved", N);
    let mut poor = 0;
    let (mut dob_null, mut names_null, mut type_null, mut country_null, mut until_null) =
        (0, 0, 0, 0, 0);
    for (v, a) in all.iter().zip(&approved) {
        if v["reasonCode"] != 204 {
            continue;
        }
        poor += 1;
        let (p, d, avd) = (&v["person"], &v["document"], &v["additionalVerifiedData"]);
        assert_eq!(
            p["dateOfBirth"].is_null(),
            p["yearOfBirth"].is_null(),
            "{v}"
        );
        dob_null += usize::from(p["dateOfBirth"].is_null());
        match (p["firstName"].as_str(), p["lastName"].as_str()) {
            (Some(first), Some(last)) => {
                assert_eq!(p["fullName"], format!("{first} {last}"), "{v}");
            }
            _ => {
                assert!(p["fullName"].is_null(), "{v}");
                names_null += 1;
            }
        }
        if d["type"].is_null() {
            type_null += 1;
            assert!(avd.get("driversLicenseCategory").is_none(), "{v}");
            assert!(avd.get("driversLicenseCategoryFrom").is_none(), "{v}");
        }
        if d["country"].is_null() {
            country_null += 1;
            assert!(d["state"].is_null(), "{v}");
        }
        if d["validUntil"].is_null() {
            until_null += usize::from(avd.get("driversLicenseCategory").is_some());
            assert!(avd.get("driversLicenseCategoryUntil").is_none(), "{v}");
        } else if let Some(until) = avd.get("driversLicenseCategoryUntil") {
            for date in until.as_object().unwrap().values() {
                assert_eq!(date, &d["validUntil"], "{v}");
            }
        }
        // A DNI card's number is the idNumber: read together.
        let a_id = &a["person"]["idNumber"];
        if a_id.is_string() && a_id == &a["document"]["number"] {
            assert_eq!(p["idNumber"].is_null(), d["number"].is_null(), "{v}");
        }
    }
    assert!(poor > 400, "{poor}");
    in_bounds("204 dateOfBirth", share(dob_null, poor), 0.2, 0.4);
    in_bounds("204 a name", share(names_null, poor), 0.4, 0.6);
    in_bounds("204 document.type", share(type_null, poor), 0.2, 0.4);
    in_bounds("204 document.country", share(country_null, poor), 0.2, 0.4);
    assert!(until_null > 10, "{until_null}");
}

/// Full Auto's field names in the decision's `person` and `document`.
const FULL_AUTO_FIELDS: &[(&str, &str)] = &[
    ("person", "firstName"),
    ("person", "lastName"),
    ("person", "dateOfBirth"),
    ("person", "gender"),
    ("person", "idNumber"),
    ("person", "nationality"),
    ("document", "type"),
    ("document", "number"),
    ("document", "country"),
    ("document", "validUntil"),
];

#[test]
fn full_auto_reports_what_the_decision_of_the_session_read() {
    for status in ["approved", "declined", "resubmission_requested"] {
        let decision = Generator::from_seed(21).status(status).unwrap();
        let fullauto = Generator::from_seed(21)
            .kind(Kind::FullAuto)
            .status(status)
            .unwrap();
        let mut by_reason = std::collections::BTreeMap::<u64, usize>::new();
        for i in 0..N {
            let d = Webhook::parse(&decision.payload(i).body).unwrap();
            let f = Webhook::parse(&fullauto.payload(i).body).unwrap();
            if let Err(problems) = invariants::check(&f) {
                panic!("fullauto {status} {i}: {problems:?}");
            }
            let (d, f) = (d.to_value(), f.to_value());
            let (dv, fv) = (&d["verification"], &f["data"]["verification"]);
            let reason = dv["reasonCode"].as_u64().unwrap_or(0);
            *by_reason.entry(reason).or_default() += 1;
            for (part, field) in FULL_AUTO_FIELDS {
                let (x, y) = (&dv[part][field], &fv[part][field]);
                assert_eq!(
                    x.is_null(),
                    y.is_null(),
                    "{status} {i} {reason} {part}.{field}"
                );
                if !x.is_null() {
                    assert_eq!(x, &y["value"], "{status} {i} {reason} {part}.{field}");
                }
            }
            let insight = |label: &str| {
                fv["insights"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["label"] == label)
                    .map(|x| x["result"].as_str().unwrap().to_owned())
                    .unwrap()
            };
            let not_expired = insight("documentNotExpired");
            assert_eq!(not_expired == "no", reason == 207, "{status} {i} {reason}");
            if reason == 201 {
                for label in [
                    "documentAccepted",
                    "documentRecognised",
                    "documentNotExpired",
                    "faceMatch",
                    "faceLiveness",
                ] {
                    assert_eq!(insight(label), "notApplicable", "{i} {label}");
                }
            }
        }
        if status == "resubmission_requested" {
            for reason in [201, 204, 207] {
                assert!(by_reason[&reason] > 400, "{reason}: {by_reason:?}");
            }
        }
    }
}
