//! The rules every generated payload keeps, checked on a parsed [`Webhook`].
//!
//! [`check`] reports every broken rule (not just the first), each as one line naming the field.
//! It is meant for payloads this crate generates (and mutations of them): Veriff's own docs
//! samples use non-v4 ids and would fail the id rule.
//!
//! Rules, by kind:
//! - all: session and attempt ids (and `endUserId` when present) are UUID v4; timestamps are
//!   ISO-8601 UTC with `Z`.
//! - decision: top-level `status` is `success`; `code` matches `verification.status`; `reason` and
//!   `reasonCode` come from the status's table (1xx declined, 2xx resubmission) and agree, and are
//!   null for other statuses; `decisionTime`, `person`, `document` are null exactly for expired and
//!   abandoned; `acceptanceTime < decisionTime`; `comments` is `[]`; `technicalData` is present;
//!   person: `dateOfBirth` and `yearOfBirth` agree, the holder is 18–80 on the decision day,
//!   `estimatedAge` is within 5 years of the age, `estimatedGender` leans to `gender`, nationality
//!   equals the document country, except on a residence permit or visa, which a national of
//!   another country holds (a Spanish residence card's number is a NIE with its letter); every address's country is the document country's (`USA` for
//!   US, whose `fullAddress` ends in `USA`), a `houseNumber` of `"null"` leaves the number in
//!   `street`; national id numbers carry valid check digits and encode the date of birth and
//!   gender (FI, EE, MX CURP), Spanish DNI letters, Brazilian CPF digits, GB driving-licence
//!   numbers encode the date of birth and gender; driving licences have no nationality, UK ones no
//!   gender; derived fields go with their source: `yearOfBirth` is null exactly with
//!   `dateOfBirth`, `fullName` is `firstName lastName` (null if either is), a DNI card's
//!   `idNumber` is its number (null together), `document.state` (US only) needs the country,
//!   licence categories need `type` `DRIVERS_LICENSE` and their `Until` dates are `validUntil`; with reason 201 every person and document field is null (`addresses` `[]`),
//!   `additionalVerifiedData` is `{}` and there are no `riskLabels` or
//!   `biometricAuthentication`; `biometricAuthentication` only on approvals; with any reason but 201 and 204 the names, date of birth and
//!   document type, number and country are read; document:
//!   `validFrom < validUntil`, issued after birth, valid on the decision day unless `reasonCode` is
//!   207 (then expired before it); licence categories only on a `DRIVERS_LICENSE`.
//! - event: `code` matches `action` (7001/7002), `feature` is `selfid`.
//! - user-status: `eventType` is `user-status.created`; `statusCode` is the snake_case of `status`;
//!   `reasonCode` is the snake_case of `reason`, or null with a free-text `reason`;
//!   `createdAt` (microseconds) is before `time`.
//! - watchlist: `no_match` has no hits and `totalHits` 0; `possible_match` has hits and
//!   `totalHits` is their number; `searchTerm` has a name and a four-digit year.
//! - fullauto: `status` is `success`; `acceptanceTime < time`; `decisionScore` in 0…1 (null for
//!   expired/abandoned, with null `person`/`document`); extracted fields have a known
//!   `confidenceCategory` and sources; the `documentNotExpired` insight, when listed, is `no`
//!   exactly when `document.validUntil` is before the day of `time`.
//! - ine: `active` implies code 200; not found is not 200.
//! - curp / ine-curp: `found` has code 200 and a valid CURP; `not_found` has code 404.

use serde_json::Value;
use veriff_mock_contract::payload::{Decision, Person};
use veriff_mock_contract::{DecisionStatus, FullAutoDecision, MatchStatus, Nullable, Webhook};

use crate::build::snake_case;
use crate::ids;
use crate::time::{Date, parse_instant_micros};

/// Checks a raw body: it must parse as a webhook and pass [`check`].
///
/// # Errors
/// Every problem found, one line each.
pub fn check_bytes(body: &[u8]) -> Result<(), Vec<String>> {
    let webhook = Webhook::parse(body).map_err(|e| vec![e.to_string()])?;
    check(&webhook)
}

/// Checks every rule that can be read from the payload (see the module docs).
///
/// # Errors
/// Every problem found, one line each.
pub fn check(webhook: &Webhook) -> Result<(), Vec<String>> {
    let mut c = Checker::default();
    match webhook {
        Webhook::Decision(d) => decision(&mut c, d),
        Webhook::Event(e) => {
            c.uuid("id", &e.id);
            c.uuid("attemptId", &e.attempt_id);
            c.nullable_uuid("endUserId", &e.end_user_id);
            c.expect(e.feature == "selfid", || {
                format!("feature is {:?}, expected \"selfid\"", e.feature)
            });
            c.expect(e.action.is_known(), || {
                format!("unknown action {:?}", e.action.as_str())
            });
            c.expect(e.action.code() == Some(e.code), || {
                format!("code {} does not match action {}", e.code, e.action)
            });
        }
        Webhook::UserStatus(u) => {
            c.uuid("sessionId", &u.session_id);
            c.uuid("attemptId", &u.attempt_id);
            c.uuid("data.verification.id", &u.data.verification.id);
            c.nullable_uuid("endUserId", &u.end_user_id);
            c.expect(u.event_type == "user-status.created", || {
                format!("eventType is {:?}", u.event_type)
            });
            let d = &u.data.verification.user_defined_data;
            c.expect(d.status_code == snake_case(&d.status), || {
                format!(
                    "statusCode {:?} is not the snake_case of status {:?}",
                    d.status_code, d.status
                )
            });
            match (&d.reason, &d.reason_code) {
                (Nullable::Present(reason), Nullable::Present(code)) => {
                    c.expect(*code == snake_case(reason), || {
                        format!("reasonCode {code:?} is not the snake_case of reason {reason:?}")
                    });
                }
                (Nullable::Present(reason), _) => {
                    c.expect(!reason.trim().is_empty(), || {
                        "reasonCode is null but reason is empty".to_owned()
                    });
                }
                (_, Nullable::Present(code)) => {
                    c.problem(format!("reasonCode {code:?} without a reason"))
                }
                _ => {}
            }
            let created = c.instant("createdAt", &d.created_at);
            let time = c.instant("time", &u.time);
            c.expect(d.created_at.len() == 27, || {
                format!("createdAt {:?} should have microseconds", d.created_at)
            });
            if let (Some(a), Some(b)) = (created, time) {
                c.expect(a < b, || "createdAt is not before time".to_owned());
            }
        }
        Webhook::Watchlist(w) => {
            c.uuid("sessionId", &w.session_id);
            c.uuid("attemptId", &w.attempt_id);
            c.nullable_uuid("endUserId", &w.end_user_id);
            c.expect(w.check_type.is_known(), || {
                format!("unknown checkType {:?}", w.check_type.as_str())
            });
            let hits = w.hits.as_ref().map_or(0, Vec::len);
            let total = w.total_hits.as_ref().copied();
            match w.match_status {
                MatchStatus::NoMatch => {
                    c.expect(hits == 0, || format!("no_match with {hits} hits"));
                    c.expect(total == Some(0), || {
                        format!("no_match with totalHits {total:?}")
                    });
                }
                MatchStatus::PossibleMatch => {
                    c.expect(hits >= 1, || "possible_match without hits".to_owned());
                    c.expect(total.is_some_and(|t| t as usize == hits), || {
                        format!("totalHits {total:?} is not the {hits} hits listed")
                    });
                }
                MatchStatus::Unknown(ref s) => c.problem(format!("unknown matchStatus {s:?}")),
            }
            match w.search_term.as_ref() {
                Some(term) => {
                    c.expect(
                        term.name.as_deref().is_some_and(|n| !n.trim().is_empty()),
                        || "searchTerm.name is empty".to_owned(),
                    );
                    c.expect(
                        term.year
                            .as_deref()
                            .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())),
                        || format!("searchTerm.year {:?} is not a year", term.year.as_deref()),
                    );
                }
                None => c.problem("searchTerm is missing".to_owned()),
            }
            if let Some(created) = w.created_at.as_deref() {
                c.instant("createdAt", created);
            }
        }
        Webhook::FullAuto(f) => {
            c.uuid("sessionId", &f.session_id);
            c.uuid("attemptId", &f.attempt_id);
            c.nullable_uuid("endUserId", &f.end_user_id);
            c.expect(f.status == "success", || {
                format!("status is {:?}, expected \"success\"", f.status)
            });
            let accepted = f
                .acceptance_time
                .as_deref()
                .and_then(|t| c.instant("acceptanceTime", t));
            let time = f.time.as_deref().and_then(|t| c.instant("time", t));
            if let (Some(a), Some(t)) = (accepted, time) {
                c.expect(a < t, || "acceptanceTime is not before time".to_owned());
            }
            let v = &f.data.verification;
            let no_data = matches!(
                v.decision,
                FullAutoDecision::Expired | FullAutoDecision::Abandoned
            );
            c.expect(v.decision.is_known(), || {
                format!("unknown decision {:?}", v.decision.as_str())
            });
            match v
                .decision_score
                .as_ref()
                .and_then(serde_json::Number::as_f64)
            {
                Some(score) => {
                    c.expect((0.0..=1.0).contains(&score), || {
                        format!("decisionScore {score} is outside 0..1")
                    });
                }
                None => c.expect(no_data, || "decisionScore is missing".to_owned()),
            }
            if no_data {
                c.expect(v.person.is_none() && v.document.is_none(), || {
                    format!("{} with person or document data", v.decision)
                });
            }
            // The document's expiry insight says `no` exactly when its validUntil is past.
            let valid_until = v
                .document
                .as_ref()
                .and_then(|d| d.get("validUntil"))
                .and_then(|f| f.get("value"))
                .and_then(Value::as_str);
            let expired = match (c.date("document.validUntil", valid_until), time) {
                (Some(u), Some(t)) => u < Date::from_days(t.div_euclid(86_400_000_000)),
                _ => false,
            };
            let not_expired = v
                .insights
                .as_ref()
                .into_iter()
                .flatten()
                .find(|i| i.label == "documentNotExpired")
                .map(|i| i.result.as_str());
            if let Some(result) = not_expired {
                c.expect((result == "no") == expired, || {
                    format!(
                        "documentNotExpired is {result:?} with document.validUntil \
                         {valid_until:?}"
                    )
                });
            }
            for (name, fields) in [("person", &v.person), ("document", &v.document)] {
                for (key, field) in fields.as_ref().into_iter().flatten() {
                    if field.is_null() {
                        continue;
                    }
                    let conf = field.get("confidenceCategory");
                    c.expect(
                        matches!(conf, Some(Value::Null))
                            || conf
                                .and_then(Value::as_str)
                                .is_some_and(|s| ["high", "medium", "low"].contains(&s)),
                        || format!("{name}.{key}.confidenceCategory is {conf:?}"),
                    );
                    let sources_ok =
                        field
                            .get("sources")
                            .and_then(Value::as_array)
                            .is_some_and(|s| {
                                s.iter().all(|x| {
                                    x.as_str().is_some_and(|x| {
                                        ["VIZ", "MRZ", "NFC", "BARCODE"].contains(&x)
                                    })
                                })
                            });
                    c.expect(sources_ok, || {
                        format!("{name}.{key}.sources are not VIZ/MRZ/NFC/BARCODE")
                    });
                }
            }
        }
        Webhook::Ine(i) => {
            c.uuid("sessionId", &i.session_id);
            c.uuid("attemptId", &i.attempt_id);
            c.nullable_uuid("endUserId", &i.end_user_id);
            if let Some(t) = i.time.as_deref() {
                c.instant("time", t);
            }
            let code = i.data.code.as_ref().copied();
            match i.data.details.as_ref() {
                Some(details) => {
                    if details.active.as_ref() == Some(&true) {
                        c.expect(code == Some(200), || {
                            format!("an active credential with code {code:?}")
                        });
                    }
                }
                None => c.problem("data.details is missing".to_owned()),
            }
        }
        Webhook::Curp(cp) => {
            c.uuid("id", &cp.id);
            c.uuid("data.attemptId", &cp.data.attempt_id);
            c.nullable_uuid("endUserId", &cp.end_user_id);
            c.expect(cp.kind == "curp_registry", || {
                format!("type is {:?}", cp.kind)
            });
            let code = cp.data.code.as_ref().copied();
            match cp.data.status.as_deref() {
                Some("found") => {
                    c.expect(code == Some(200), || format!("found with code {code:?}"));
                    let number = cp.data.details.as_ref().and_then(|d| d.curp.as_deref());
                    c.expect(number.is_some_and(|n| ids::check_curp(n).is_some()), || {
                        format!("found with an invalid CURP {number:?}")
                    });
                }
                Some("not_found") => c.expect(code == Some(404), || {
                    format!("not_found with code {code:?}")
                }),
                other => c.problem(format!("data.status is {other:?}")),
            }
        }
        Webhook::IneCurp(ic) => {
            c.uuid("sessionId", &ic.session_id);
            c.uuid("attemptId", &ic.attempt_id);
            c.nullable_uuid("endUserId", &ic.end_user_id);
            if let Some(t) = ic.time.as_deref() {
                c.instant("time", t);
            }
            let code = ic.data.get("code").and_then(Value::as_u64);
            match ic.data.get("status").and_then(Value::as_str) {
                Some("found") => {
                    c.expect(code == Some(200), || format!("found with code {code:?}"));
                    c.expect(ic.data.get("ine").is_some_and(Value::is_object), || {
                        "found without ine data".to_owned()
                    });
                    let number = ic.data.pointer("/curp/curp").and_then(Value::as_str);
                    c.expect(number.is_some_and(|n| ids::check_curp(n).is_some()), || {
                        format!("found with an invalid CURP {number:?}")
                    });
                }
                Some("not_found") => c.expect(code == Some(404), || {
                    format!("not_found with code {code:?}")
                }),
                other => c.problem(format!("data.status is {other:?}")),
            }
        }
        Webhook::Unknown(u) => c.problem(format!("unknown event type {:?}", u.event_type)),
    }
    if c.problems.is_empty() {
        Ok(())
    } else {
        Err(c.problems)
    }
}

#[derive(Default)]
struct Checker {
    problems: Vec<String>,
}

impl Checker {
    fn problem(&mut self, p: String) {
        self.problems.push(p);
    }

    fn expect(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(msg());
        }
    }

    fn uuid(&mut self, field: &str, value: &str) {
        let v4 = uuid::Uuid::parse_str(value).is_ok_and(|u| u.get_version_num() == 4)
            && value.len() == 36
            && value == value.to_ascii_lowercase();
        self.expect(v4, || {
            format!("{field} {value:?} is not a lowercase UUID v4")
        });
    }

    fn nullable_uuid(&mut self, field: &str, value: &Nullable<String>) {
        if let Some(v) = value.as_deref() {
            self.uuid(field, v);
        }
    }

    /// Parses an ISO-8601 UTC instant to microseconds, reporting a bad one.
    fn instant(&mut self, field: &str, value: &str) -> Option<i64> {
        let t = parse_instant_micros(value);
        self.expect(t.is_some(), || {
            format!("{field} {value:?} is not an ISO-8601 UTC time")
        });
        t
    }

    fn date(&mut self, field: &str, value: Option<&str>) -> Option<Date> {
        let v = value?;
        let d = Date::parse(v);
        self.expect(d.is_some(), || {
            format!("{field} {v:?} is not a YYYY-MM-DD date")
        });
        d
    }
}

fn decision(c: &mut Checker, d: &Decision) {
    let v = &d.verification;
    c.expect(d.status == "success", || {
        format!("status is {:?}, expected \"success\"", d.status)
    });
    c.uuid("verification.id", &v.id);
    match v.attempt_id.as_deref() {
        Some(a) => c.uuid("verification.attemptId", a),
        None => c.problem("verification.attemptId is missing".to_owned()),
    }
    c.nullable_uuid("verification.endUserId", &v.end_user_id);
    let st = &v.status;
    c.expect(st.is_known(), || {
        format!("unknown verification.status {:?}", st.as_str())
    });
    c.expect(st.accepts_code(v.code), || {
        format!("code {} does not match status {st}", v.code)
    });
    let reason_code = v.reason_code.as_ref().copied();
    if st.has_reason() {
        match st.reasons().iter().find(|r| Some(r.code) == reason_code) {
            Some(r) => c.expect(v.reason.as_deref() == Some(r.text), || {
                format!(
                    "reason {:?} is not the text of reasonCode {}",
                    v.reason.as_deref(),
                    r.code
                )
            }),
            None => c.problem(format!(
                "reasonCode {reason_code:?} is not in the {st} table"
            )),
        }
    } else {
        c.expect(v.reason.is_none() && v.reason_code.is_none(), || {
            format!("{st} with a reason")
        });
    }
    let no_data = st.has_no_data();
    c.expect(v.decision_time.is_none() == no_data, || {
        format!(
            "decisionTime is {} for {st}",
            if no_data { "set" } else { "null" }
        )
    });
    c.expect(
        v.person.is_none() == no_data && v.document.is_none() == no_data,
        || format!("person/document presence does not fit {st}"),
    );
    let decided = v
        .decision_time
        .as_deref()
        .and_then(|t| c.instant("decisionTime", t));
    let accepted = v
        .acceptance_time
        .as_deref()
        .and_then(|t| c.instant("acceptanceTime", t));
    if let (Some(a), Some(dt)) = (accepted, decided) {
        c.expect(a < dt, || {
            "acceptanceTime is not before decisionTime".to_owned()
        });
    }
    c.expect(
        v.biometric_authentication.is_missing() || *st == DecisionStatus::Approved,
        || format!("biometricAuthentication on a {st} decision"),
    );
    c.expect(v.comments.as_ref().is_none_or(Vec::is_empty), || {
        "comments is not []".to_owned()
    });
    c.expect(!d.technical_data.is_missing(), || {
        "technicalData is missing".to_owned()
    });
    let Some(decision_day) = decided.map(|us| Date::from_days(us.div_euclid(86_400_000_000)))
    else {
        return;
    };
    let doc = v.document.as_ref();
    let doc_type = doc.and_then(|x| x.kind.as_deref());
    let nationality = v.person.as_ref().and_then(|p| p.nationality.as_deref());
    let doc_country = doc.and_then(|x| x.country.as_deref());
    // (With the type unread, the document may be a residence permit or a visa: no rule.)
    if let (Some(n), Some(dc), Some(kind)) = (nationality, doc_country, doc_type) {
        if matches!(kind, "RESIDENCE_PERMIT" | "VISA") {
            c.expect(n != dc, || {
                format!(
                    "a {dc} {} held by a national of {n}",
                    doc_type.unwrap_or_default()
                )
            });
        } else {
            c.expect(n == dc, || {
                format!("nationality {n} differs from document country {dc}")
            });
        }
    }
    what_was_read(c, v, reason_code, doc_type, doc_country);
    let dob = v.person.as_ref().and_then(|p| {
        person(
            c,
            p,
            decision_day,
            doc_type,
            doc_country,
            doc.and_then(|x| x.number.as_deref()),
        )
    });
    let age = dob.map(|b| b.years_until(decision_day));
    if let Some(avd) = v.additional_verified_data.as_ref() {
        if let (Some(est), Some(age)) = (
            avd.estimated_age
                .as_ref()
                .and_then(serde_json::Number::as_f64),
            age,
        ) {
            c.expect((est - f64::from(age)).abs() <= 5.0, || {
                format!("estimatedAge {est} is far from the age {age}")
            });
        }
        if let (Some(g), Some(p)) = (
            avd.estimated_gender
                .as_ref()
                .and_then(serde_json::Number::as_f64),
            v.person.as_ref(),
        ) {
            match p.gender.as_deref() {
                Some("M") => c.expect(g < 0.5, || format!("estimatedGender {g} for a man")),
                Some("F") => c.expect(g > 0.5, || format!("estimatedGender {g} for a woman")),
                _ => {}
            }
        }
        let has_categories = !avd.drivers_license_category.is_none()
            || !avd.drivers_license_category_from.is_none()
            || !avd.drivers_license_category_until.is_none();
        if has_categories {
            // The categories prove a licence: never with the type unread.
            c.expect(doc_type == Some("DRIVERS_LICENSE"), || {
                "driving-licence categories without a DRIVERS_LICENSE".to_owned()
            });
        }
        // Categories are valid as long as the licence.
        let valid_until = doc.and_then(|x| x.valid_until.as_deref());
        for (cat, until) in avd
            .drivers_license_category_until
            .as_ref()
            .into_iter()
            .flatten()
        {
            c.expect(
                valid_until.is_some_and(|u| until.as_str() == Some(u)),
                || {
                    format!(
                        "driversLicenseCategoryUntil.{cat} {until} is not document.validUntil \
                     {valid_until:?}"
                    )
                },
            );
        }
    }
    if let Some(state) = doc.and_then(|x| x.state.as_deref()) {
        c.expect(doc_country == Some("US"), || {
            format!("document.state {state:?} with document.country {doc_country:?}")
        });
    }
    if let Some(doc) = doc {
        let from = c.date("document.validFrom", doc.valid_from.as_deref());
        let until = c.date("document.validUntil", doc.valid_until.as_deref());
        if let (Some(f), Some(u)) = (from, until) {
            c.expect(f < u, || {
                "document.validFrom is not before validUntil".to_owned()
            });
        }
        if let (Some(f), Some(b)) = (from, dob) {
            c.expect(f > b, || {
                "document issued before its holder was born".to_owned()
            });
        }
        if let Some(u) = until {
            if reason_code == Some(207) {
                c.expect(u < decision_day, || {
                    "reason 207 (document expired) with a valid document".to_owned()
                });
            } else {
                c.expect(u >= decision_day, || {
                    "document expired on the decision day".to_owned()
                });
            }
        }
        if let Some(f) = from {
            c.expect(f <= decision_day, || {
                "document issued after the decision".to_owned()
            });
        }
    }
}

/// Checks the person; returns the date of birth when it is readable.
fn person(
    c: &mut Checker,
    p: &Person,
    day: Date,
    doc_type: Option<&str>,
    doc_country: Option<&str>,
    doc_number: Option<&str>,
) -> Option<Date> {
    let dob = c.date("person.dateOfBirth", p.date_of_birth.as_deref());
    if let (Some(b), Some(y)) = (dob, p.year_of_birth.as_deref()) {
        c.expect(y == b.y.to_string(), || {
            format!("yearOfBirth {y} does not match dateOfBirth {}", b.iso())
        });
    }
    c.expect(
        p.year_of_birth.is_none() == p.date_of_birth.is_none(),
        || "yearOfBirth and dateOfBirth are not read together".to_owned(),
    );
    let joined = match (p.first_name.as_deref(), p.last_name.as_deref()) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        _ => None,
    };
    c.expect(p.full_name.as_deref() == joined.as_deref(), || {
        format!(
            "fullName {:?} is not firstName and lastName joined ({joined:?})",
            p.full_name.as_deref()
        )
    });
    if let Some(b) = dob {
        let age = b.years_until(day);
        c.expect((18..=80).contains(&age), || {
            format!("the holder is {age}, not an adult of 18-80")
        });
    }
    let male = match p.gender.as_deref() {
        Some("M") => Some(true),
        Some("F") => Some(false),
        None => None,
        Some(other) => {
            c.problem(format!("gender {other:?} is not M or F"));
            None
        }
    };
    for (i, a) in p.addresses.as_ref().into_iter().flatten().enumerate() {
        let parsed = a.parsed_address.as_ref();
        if let (Some(country), Some(dc)) = (parsed.and_then(|x| x.country.as_deref()), doc_country)
        {
            // Veriff writes the United States as `USA` (its docs sample), others alpha-2.
            let want = if dc == "US" { "USA" } else { dc };
            c.expect(country == want, || {
                format!("addresses.{i} country {country} is not {want}, the document's")
            });
        }
        if doc_country == Some("US") {
            let full = a.full_address.as_deref().unwrap_or_default();
            c.expect(full.ends_with(" USA"), || {
                format!("addresses.{i}.fullAddress {full:?} does not end with USA")
            });
        }
        if let Some(x) = parsed
            && x.house_number.as_deref() == Some("null")
        {
            let street = x.street.as_deref().unwrap_or_default();
            c.expect(street.starts_with(|c: char| c.is_ascii_digit()), || {
                format!("addresses.{i} houseNumber \"null\" with no number in street {street:?}")
            });
        }
    }
    // A national id number is the nationality's, or the document country's when the document
    // prints no nationality (a driving licence).
    let nationality = p.nationality.as_deref().or(doc_country);
    if let (Some(id), Some(b)) = (p.id_number.as_deref(), dob) {
        let yy = b.y.rem_euclid(100) as u32;
        match nationality {
            Some("FI") => c.expect(
                ids::check_hetu(id).is_some_and(|(d, m)| d == b && male.is_none_or(|x| x == m)),
                || format!("idNumber {id} is not a henkilötunnus of this date of birth and gender"),
            ),
            Some("EE") => c.expect(
                ids::check_isikukood(id)
                    .is_some_and(|(d, m)| d == b && male.is_none_or(|x| x == m)),
                || format!("idNumber {id} is not an isikukood of this date of birth and gender"),
            ),
            Some("ES") => c.expect(ids::check_dni(id), || {
                format!("idNumber {id} has a wrong DNI letter")
            }),
            Some("BR") => c.expect(ids::check_cpf(id), || {
                format!("idNumber {id} has wrong CPF check digits")
            }),
            Some("MX") => c.expect(
                ids::check_curp(id).is_some_and(|(y, m, d, g)| {
                    (y, m, d) == (yy, b.m, b.d) && male.is_none_or(|x| x == g)
                }),
                || format!("idNumber {id} is not a CURP of this date of birth and gender"),
            ),
            _ => {}
        }
    }
    if let (Some("GB"), Some("DRIVERS_LICENSE"), Some(number), Some(b)) =
        (doc_country, doc_type, doc_number, dob)
    {
        let yy = b.y.rem_euclid(100) as u32;
        c.expect(
            ids::check_gb_licence(number).is_some_and(|(y, m, d, g)| {
                (y, m, d) == (yy, b.m, b.d) && male.is_none_or(|m| m == g)
            }),
            || format!("licence number {number} does not encode this date of birth and gender"),
        );
    }
    if let (Some("ES"), Some("RESIDENCE_PERMIT"), Some(number)) =
        (doc_country, doc_type, doc_number)
    {
        c.expect(ids::check_nie(number), || {
            format!("residence card number {number} is not a NIE with its check letter")
        });
    }
    if let (Some("ES"), Some("ID_CARD")) = (nationality, doc_type) {
        // The number printed is the DNI: read (or not) once for both.
        c.expect(p.id_number.as_deref() == doc_number, || {
            "a DNI card whose number is not the idNumber".to_owned()
        });
    }
    dob
}

/// What Veriff could read: nothing with 201 (every person and document field null, no
/// addresses, `additionalVerifiedData` `{}`); with any other reason but 204 (poor image quality),
/// at least the names, date of birth and the document's type, number and country. A driving
/// licence prints no nationality, a UK licence no sex.
fn what_was_read(
    c: &mut Checker,
    v: &veriff_mock_contract::payload::DecisionVerification,
    reason_code: Option<u16>,
    doc_type: Option<&str>,
    doc_country: Option<&str>,
) {
    let (Some(p), Some(d)) = (v.person.as_ref(), v.document.as_ref()) else {
        return;
    };
    if reason_code == Some(201) {
        let all_null = |value: Value, list: &str| {
            value.as_object().is_some_and(|m| {
                m.iter().all(|(k, x)| {
                    x.is_null() || (k == list && x.as_array().is_some_and(Vec::is_empty))
                })
            })
        };
        c.expect(
            serde_json::to_value(p).is_ok_and(|x| all_null(x, "addresses")),
            || "reason 201 (nothing could be read) with a person field read".to_owned(),
        );
        c.expect(
            serde_json::to_value(d).is_ok_and(|x| all_null(x, "")),
            || "reason 201 (nothing could be read) with a document field read".to_owned(),
        );
        let avd_empty = v.additional_verified_data.as_ref().is_none_or(|a| {
            serde_json::to_value(a).is_ok_and(|x| x == Value::Object(Default::default()))
        });
        c.expect(avd_empty, || {
            "reason 201 (nothing could be read) with additionalVerifiedData".to_owned()
        });
        c.expect(v.risk_labels.is_missing(), || {
            "reason 201 (nothing could be read) with riskLabels".to_owned()
        });
        c.expect(v.biometric_authentication.is_missing(), || {
            "reason 201 (nothing could be read) with biometricAuthentication".to_owned()
        });
        return;
    }
    if reason_code != Some(204) {
        for (field, value) in [
            ("person.firstName", &p.first_name),
            ("person.lastName", &p.last_name),
            ("person.dateOfBirth", &p.date_of_birth),
            ("document.type", &d.kind),
            ("document.number", &d.number),
            ("document.country", &d.country),
        ] {
            c.expect(value.as_deref().is_some(), || {
                format!("{field} is not read")
            });
        }
    }
    if doc_type == Some("DRIVERS_LICENSE") {
        c.expect(p.nationality.is_none(), || {
            "a driving licence with a nationality (licences print none)".to_owned()
        });
        if doc_country == Some("GB") {
            c.expect(p.gender.is_none(), || {
                "a UK driving licence with a gender (they print none)".to_owned()
            });
        }
    }
}
