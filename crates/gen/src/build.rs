//! Building the typed payload of each kind from a [`Session`] and a status.

use serde_json::{Map, Number, Value, json};
use veriff_mock_contract::payload::{
    AdditionalVerifiedData, Address, BiometricAuthentication, Curp, CurpData, CurpDetails,
    Decision, DecisionVerification, Document, Event, Extra, FullAuto, FullAutoData,
    FullAutoVerification, Hit, Ine, IneCurp, IneData, IneDetails, Insight, Listing, Listings,
    ParsedAddress, Person, RiskLabel, SearchTerm, TechnicalData, UserDefinedData, UserStatus,
    UserStatusData, UserStatusVerification, Watchlist,
};
use veriff_mock_contract::{
    CheckType, DecisionStatus, EventAction, FullAutoDecision, Kind, MatchStatus, Nullable, Reason,
    Webhook, event_type,
};

use crate::rng::Rand;
use crate::session::{Identity, Session, Unread};
use crate::time::{DAY_MS, MIN_MS, iso_micros, iso_millis};

/// Stream tag of the kind- and status-specific draws.
const STREAM_DETAIL: u64 = 0xDE7A_1100;

/// What the generator knows about a payload besides its body.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub(crate) webhook: Webhook,
    pub(crate) sent_ms: i64,
}

fn s(v: impl Into<String>) -> Nullable<String> {
    Nullable::Present(v.into())
}

fn opt(v: Option<String>) -> Nullable<String> {
    v.into()
}

fn num(x: f64) -> Nullable<Number> {
    Number::from_f64(x).map_or(Nullable::Null, Nullable::Present)
}

fn status_index(kind: Kind, status: &str) -> u64 {
    kind.statuses()
        .iter()
        .position(|s| *s == status)
        .unwrap_or(0) as u64
}

/// The session and detail stream of `(seed, index)` for `kind` and `status`.
pub(crate) fn start(
    kind: Kind,
    status: &str,
    seed: u64,
    index: u64,
    anchor_ms: i64,
) -> (Session, Rand) {
    let country = matches!(kind, Kind::Ine | Kind::Curp | Kind::IneCurp).then_some("MX");
    let session = Session::draw(seed, index, anchor_ms, country);
    (session, detail_rng(kind, status, seed, index))
}

/// The stream of the draws specific to `kind` and `status` for `(seed, index)`.
fn detail_rng(kind: Kind, status: &str, seed: u64, index: u64) -> Rand {
    let kind_tag = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u64;
    Rand::new(
        seed,
        STREAM_DETAIL ^ (kind_tag << 8) ^ status_index(kind, status),
        index,
    )
}

/// What a payload may be beyond its kind and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Options {
    /// Watchlist results are always the first screening (`initial_result`), never a later
    /// ongoing-monitoring update (the `aml` scenario makes its own update).
    pub(crate) initial_watchlist: bool,
}

/// Builds the payload of `kind` with `status` for the session of `(seed, index)`.
pub(crate) fn build(
    kind: Kind,
    status: &str,
    seed: u64,
    index: u64,
    anchor_ms: i64,
    options: Options,
) -> Built {
    let (session, mut rng) = start(kind, status, seed, index, anchor_ms);
    match kind {
        Kind::Decision => decision(session, status, &mut rng),
        Kind::Event => event(&session, status, &mut rng),
        Kind::UserStatus => user_status(&session, &mut rng),
        Kind::Watchlist => watchlist(&session, status, &mut rng, options),
        Kind::FullAuto => {
            // Full Auto has no reason of its own: it reports what the decision of the session
            // (same status) read, so it takes that decision's reason draw and what the reason
            // did to the session (fields unread, the document expired).
            let mut decision_rng = detail_rng(Kind::Decision, status, seed, index);
            let plan = plan_decision(session, status, &mut decision_rng);
            fullauto(&plan.session, plan.reason.map(|r| r.code), status, &mut rng)
        }
        Kind::Ine => ine(&session, status, &mut rng),
        Kind::Curp => curp(&session, status, &mut rng),
        Kind::IneCurp => ine_curp(&session, status, &mut rng),
    }
}

// ------------------------------------------------------------------------------------ decision

const RISK_LABELS: &[(&str, &str)] = &[
    (
        "document_integration_level_crosslinked_with_fraud",
        "document",
    ),
    (
        "document_integration_level_crosslinked_with_multiple_declines",
        "document",
    ),
    (
        "person_appears_in_multiple_sessions_with_different_documents",
        "person",
    ),
    ("device_used_in_multiple_sessions", "device"),
    ("device_emulator_detected", "device"),
    ("ip_address_is_from_high_risk_location", "network"),
    ("ip_address_linked_to_vpn_or_proxy", "network"),
    ("session_velocity_abuse", "crosslinks"),
];

/// Decline reasons that always come with risk labels.
const FRAUD_REASONS: &[u16] = &[105, 106, 108, 109, 110, 111, 112, 113, 124, 127];

pub(crate) fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// `value`, or `null` when Veriff could not read `field`.
fn read(p: &Identity, field: Unread, value: impl FnOnce() -> String) -> Nullable<String> {
    if p.unread.has(field) {
        Nullable::Null
    } else {
        s(value())
    }
}

fn person(p: &Identity) -> Person {
    let first = upper(p.first);
    let last = upper(&p.last());
    let full = format!("{first} {last}");
    let passport = p.doc.spec.kind == "PASSPORT";
    let addresses = if p.has_address() && !p.unread.has(Unread::ADDRESSES) {
        let (street, house_number) = if p.house_in_street {
            (format!("{} {}", p.house, p.street), "null".to_owned())
        } else {
            (p.street.to_owned(), p.house.to_string())
        };
        vec![Address {
            full_address: s(p.full_address()),
            parsed_address: Nullable::Present(ParsedAddress {
                street: s(street),
                city: read(p, Unread::CITY, || p.city.name.to_owned()),
                state: opt(p.city.state.map(str::to_owned)),
                postcode: s(p.postcode.clone()),
                country: s(p.address_country()),
                unit: opt(p.unit.clone()),
                house_number: s(house_number),
                extra: Extra::new(),
            }),
            extra: Extra::new(),
        }]
    } else {
        Vec::new()
    };
    Person {
        first_name: read(p, Unread::FIRST_NAME, || first),
        last_name: read(p, Unread::LAST_NAME, || last),
        full_name: read(p, Unread::FULL_NAME, || full),
        date_of_birth: read(p, Unread::DATE_OF_BIRTH, || p.dob.iso()),
        year_of_birth: read(p, Unread::YEAR_OF_BIRTH, || p.dob.y.to_string()),
        gender: read(p, Unread::GENDER, || p.gender().to_owned()),
        id_number: match &p.id_number {
            Some(id) => read(p, Unread::ID_NUMBER, || id.clone()),
            None => Nullable::Null,
        },
        nationality: read(p, Unread::NATIONALITY, || p.nationality.code.to_owned()),
        citizenship: Nullable::Null,
        place_of_birth: if passport {
            read(p, Unread::PLACE_OF_BIRTH, || upper(p.birth_city.name))
        } else {
            Nullable::Null
        },
        pep_sanction_match: Nullable::Null,
        addresses: Nullable::Present(addresses),
        ..Person::default()
    }
}

fn document(p: &Identity) -> Document {
    let d = &p.doc;
    let state = (p.country.code == "US" && matches!(d.spec.kind, "ID_CARD" | "DRIVERS_LICENSE"))
        .then(|| p.city.state.unwrap_or_default());
    let when = |field: Unread, date: Option<crate::time::Date>| match date {
        Some(date) => read(p, field, || date.iso()),
        None => Nullable::Null,
    };
    Document {
        kind: read(p, Unread::DOC_TYPE, || d.spec.kind.to_owned()),
        number: read(p, Unread::DOC_NUMBER, || d.number.clone()),
        country: read(p, Unread::DOC_COUNTRY, || p.country.code.to_owned()),
        state: match state {
            Some(state) => read(p, Unread::DOC_STATE, || state.to_owned()),
            None => Nullable::Null,
        },
        valid_from: when(Unread::VALID_FROM, Some(d.valid_from)),
        valid_until: when(Unread::VALID_UNTIL, Some(d.valid_until)),
        place_of_issue: read(p, Unread::PLACE_OF_ISSUE, || upper(p.city.name)),
        first_issue: when(Unread::FIRST_ISSUE, d.first_issue),
        issue_number: match &d.issue_number {
            Some(n) => read(p, Unread::ISSUE_NUMBER, || n.clone()),
            None => Nullable::Null,
        },
        issued_by: read(p, Unread::ISSUED_BY, || d.spec.issued_by.to_owned()),
        ..Document::default()
    }
}

fn additional(p: &Identity, estimated: Option<(i64, f64)>) -> AdditionalVerifiedData {
    let mut avd = AdditionalVerifiedData::default();
    if !p.doc.categories.is_empty() {
        let mut cat = Extra::new();
        let mut from = Extra::new();
        let mut until = Extra::new();
        for (name, since) in &p.doc.categories {
            cat.insert((*name).to_owned(), Value::Bool(true));
            from.insert((*name).to_owned(), Value::String(since.iso()));
            until.insert((*name).to_owned(), Value::String(p.doc.valid_until.iso()));
        }
        avd.drivers_license_category = Nullable::Present(cat);
        avd.drivers_license_category_from = Nullable::Present(from);
        // The categories are valid as long as the licence: not without its `validUntil`.
        if !p.unread.has(Unread::VALID_UNTIL) {
            avd.drivers_license_category_until = Nullable::Present(until);
        }
    }
    if let Some((age, gender)) = estimated {
        avd.estimated_age = Nullable::Present(Number::from(age));
        avd.estimated_gender = num(gender);
    }
    avd
}

/// Every draw of a decision, made once; both the typed builder and the fast JSON writer read it,
/// so they produce the same payload.
#[derive(Debug)]
pub(crate) struct DecisionPlan {
    pub(crate) session: Session,
    pub(crate) st: DecisionStatus,
    pub(crate) code: u16,
    pub(crate) reason: Option<Reason>,
    pub(crate) no_data: bool,
    pub(crate) sent_ms: i64,
    pub(crate) acceptance_ms: i64,
    /// `(label, category, sessionIds)`.
    pub(crate) risk_labels: Option<Vec<(&'static str, &'static str, Vec<String>)>>,
    /// `matchedSessionId` of a biometric authentication.
    pub(crate) biometric: Option<String>,
    /// `(estimatedAge, estimatedGender)`.
    pub(crate) estimated: Option<(i64, f64)>,
    pub(crate) ip: Option<String>,
}

pub(crate) fn plan_decision(mut session: Session, status: &str, rng: &mut Rand) -> DecisionPlan {
    let st = DecisionStatus::from_wire(status);
    let code = st.code().unwrap_or(9001);
    let reason = (!st.reasons().is_empty()).then(|| *rng.pick(st.reasons()));
    let day = session.decision_day();
    if reason.is_some_and(|r| r.code == 207) {
        session.person.expire_document(day, rng);
    }
    let no_data = st.has_no_data();
    // `acceptanceTime` is when the session was generated (Veriff: "Timestamp of the session
    // generation"), the same in every decision of the session.
    let acceptance_ms = session.created_ms;
    let sent_ms = if no_data {
        session.created_ms + 7 * DAY_MS + rng.range(1_000, 30 * MIN_MS)
    } else if st == DecisionStatus::ResubmissionRequested {
        session.decided_ms + 5 * MIN_MS + rng.range(50, 1_500)
    } else {
        session.decided_ms + rng.range(50, 1_500)
    };
    let mut risk_labels = if no_data {
        None
    } else if reason.is_some_and(|r| FRAUD_REASONS.contains(&r.code)) || rng.pct(8) {
        let n = rng.range(1, 2);
        Some(
            (0..n)
                .map(|_| {
                    let (label, category) = *rng.pick(RISK_LABELS);
                    let ids = (0..rng.range(1, 2)).map(|_| rng.uuid()).collect();
                    (label, category, ids)
                })
                .collect(),
        )
    } else {
        None
    };
    let biometric = (st == DecisionStatus::Approved && rng.pct(5)).then(|| rng.uuid());
    let mut estimated = if no_data || !rng.pct(55) {
        None
    } else {
        let age = session.person.age_on(day);
        let est = (i64::from(age) + rng.range(-4, 4)).max(14);
        let gender = if session.person.male {
            rng.milli(20, 380)
        } else {
            rng.milli(620, 985)
        };
        Some((est, gender))
    };
    let ip = (st != DecisionStatus::Expired).then(|| std::mem::take(&mut session.ip));
    // Drawn last, so that adding them left the earlier draws as they were.
    match reason.map(|r| r.code) {
        // Video and/or photos missing: nothing could be read, nothing to crosslink or estimate.
        Some(201) => {
            session.person.unread = Unread::ALL;
            session.person.doc.categories.clear();
            estimated = None;
            risk_labels = None;
        }
        // Poor image quality: each field unread with probability 30%, derived fields following
        // the fields they come from.
        Some(204) => {
            let unread = &mut session.person.unread;
            for field in Unread::each() {
                if rng.pct(30) {
                    unread.set(field);
                }
            }
            session.person.derive_unread();
        }
        _ => {}
    }
    DecisionPlan {
        session,
        st,
        code,
        reason,
        no_data,
        sent_ms,
        acceptance_ms,
        risk_labels,
        biometric,
        estimated,
        ip,
    }
}

fn decision(session: Session, status: &str, rng: &mut Rand) -> Built {
    let plan = plan_decision(session, status, rng);
    let DecisionPlan {
        session,
        st,
        code,
        reason,
        no_data,
        sent_ms,
        acceptance_ms,
        risk_labels,
        biometric,
        estimated,
        ip,
    } = plan;
    let p = &session.person;
    let risk_labels = risk_labels.map_or(Nullable::Missing, |labels| {
        Nullable::Present(
            labels
                .into_iter()
                .map(|(label, category, ids)| RiskLabel {
                    label: label.to_owned(),
                    category: category.to_owned(),
                    session_ids: ids,
                    extra: Extra::new(),
                })
                .collect(),
        )
    });
    let biometric = biometric.map(|id| BiometricAuthentication {
        matched_session_id: s(id),
        matched_session_vendor_data: opt(session.vendor_data.clone()),
        extra: Extra::new(),
    });
    let verification = DecisionVerification {
        id: session.session_id.clone(),
        attempt_id: s(session.attempt_id.clone()),
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        status: st,
        code,
        reason: opt(reason.map(|r| r.text.to_owned())),
        reason_code: reason.map(|r| r.code).into(),
        decision_time: if no_data {
            Nullable::Null
        } else {
            s(iso_millis(session.decided_ms))
        },
        acceptance_time: s(iso_millis(acceptance_ms)),
        person: if no_data {
            Nullable::Null
        } else {
            Nullable::Present(person(p))
        },
        document: if no_data {
            Nullable::Null
        } else {
            Nullable::Present(document(p))
        },
        additional_verified_data: Nullable::Present(if no_data {
            AdditionalVerifiedData::default()
        } else {
            additional(p, estimated)
        }),
        risk_labels,
        biometric_authentication: biometric.map_or(Nullable::Missing, Nullable::Present),
        comments: Nullable::Present(Vec::new()),
        extra: Extra::new(),
    };
    let decision = Decision {
        status: "success".to_owned(),
        verification,
        technical_data: Nullable::Present(TechnicalData {
            ip: opt(ip),
            extra: Extra::new(),
        }),
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::Decision(Box::new(decision)),
        sent_ms,
    }
}

// ------------------------------------------------------------------------------------ event

fn event(session: &Session, status: &str, rng: &mut Rand) -> Built {
    let action = EventAction::from_wire(status);
    let at = if action == EventAction::Submitted {
        session.submitted_ms
    } else {
        session.started_ms
    };
    let e = Event {
        id: session.session_id.clone(),
        attempt_id: session.attempt_id.clone(),
        feature: "selfid".to_owned(),
        code: action.code().unwrap_or(7001),
        action,
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::Event(Box::new(e)),
        sent_ms: at + rng.range(80, 900),
    }
}

// ------------------------------------------------------------------------------------ user status

const USER_STATUSES: &[&str] = &[
    "Custom status for suspicious attempt",
    "Manual review passed",
    "Escalated to compliance",
    "Waiting for additional documents",
    "Confirmed fraud",
    "Approved after callback",
    "High risk customer",
    "Duplicate account",
];

const USER_REASONS: &[&str] = &[
    "Velocity abuse",
    "Document mismatch",
    "Customer contacted support",
    "Address could not be confirmed",
    "Sanctions list review",
    "Suspected synthetic identity",
];

const FREE_TEXT_REASONS: &[&str] = &[
    "Looks like velocity abuse",
    "Called the customer, identity confirmed by phone",
    "Same device seen on three accounts this week",
    "Selfie looks like a photo of a screen",
    "Asked for a proof of address by e-mail",
];

/// `snake_case` of a display name: lowercase ASCII letters and digits, runs of anything else
/// become one `_`, no leading or trailing `_`.
#[must_use]
pub fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending = false;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if pending && !out.is_empty() {
                out.push('_');
            }
            pending = false;
            out.push(c);
        } else {
            pending = true;
        }
    }
    out
}

fn user_status(session: &Session, rng: &mut Rand) -> Built {
    let status = *rng.pick(USER_STATUSES);
    let (reason, reason_code) = if rng.pct(35) {
        ((*rng.pick(FREE_TEXT_REASONS)).to_owned(), Nullable::Null)
    } else {
        let r = *rng.pick(USER_REASONS);
        (r.to_owned(), s(snake_case(r)))
    };
    let created_us =
        (session.decided_ms + rng.range(10 * MIN_MS, 3 * DAY_MS)) * 1000 + rng.range(0, 999);
    let sent_ms = created_us.div_euclid(1000) + rng.range(200, 3_000);
    let u = UserStatus {
        data: UserStatusData {
            verification: UserStatusVerification {
                id: rng.uuid(),
                user_defined_data: UserDefinedData {
                    reason: s(reason),
                    status: status.to_owned(),
                    created_at: iso_micros(created_us),
                    reason_code,
                    status_code: snake_case(status),
                    extra: Extra::new(),
                },
                extra: Extra::new(),
            },
            extra: Extra::new(),
        },
        time: iso_millis(sent_ms),
        attempt_id: session.attempt_id.clone(),
        event_type: event_type::USER_STATUS_CREATED.to_owned(),
        session_id: session.session_id.clone(),
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::UserStatus(Box::new(u)),
        sent_ms,
    }
}

// ------------------------------------------------------------------------------------ watchlist

const SOURCES: &[(&str, &str, u8)] = &[
    // (name, url, listing: 0 sanctions, 1 pep, 2 adverse media, 3 warnings, 4 fitness & probity)
    (
        "OFAC SDN List",
        "https://sanctionssearch.ofac.treas.gov/",
        0,
    ),
    (
        "EU Consolidated Financial Sanctions List",
        "https://data.europa.eu/data/datasets/consolidated-list-of-persons-groups-and-entities-subject-to-eu-financial-sanctions",
        0,
    ),
    (
        "UK HM Treasury Consolidated List",
        "https://www.gov.uk/government/publications/financial-sanctions-consolidated-list-of-targets",
        0,
    ),
    (
        "UN Security Council Consolidated List",
        "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list",
        0,
    ),
    ("Every Politician", "https://everypolitician.org/", 1),
    (
        "European Parliament Members",
        "https://www.europarl.europa.eu/meps/en/full-list",
        1,
    ),
    (
        "Adverse media: financial crime",
        "https://www.reuters.com/",
        2,
    ),
    ("Adverse media: fraud", "https://www.bbc.com/news", 2),
    (
        "Interpol Red Notices",
        "https://www.interpol.int/How-we-work/Notices/Red-Notices",
        3,
    ),
    (
        "FCA Prohibited Individuals",
        "https://register.fca.org.uk/",
        4,
    ),
];

fn watchlist(session: &Session, status: &str, rng: &mut Rand, options: Options) -> Built {
    let p = &session.person;
    let match_status = MatchStatus::from_wire(status);
    let mut created_ms = session.decided_ms + rng.range(2_000, 40_000);
    let mut sent_ms = created_ms + rng.range(100, 2_000);
    let name = p.full_name();
    let hits: Vec<Hit> = if match_status == MatchStatus::PossibleMatch {
        (0..rng.range(1, 3))
            .map(|i| {
                let exact = i == 0 && rng.pct(60);
                let matched = if exact {
                    name.clone()
                } else {
                    format!("{} {}. {}", p.first, rng.letter(), p.surname1)
                };
                let mut listings = Listings::default();
                for _ in 0..rng.range(1, 2) {
                    let (source, url, which) = *rng.pick(SOURCES);
                    let day = crate::time::Date::from_days(
                        session.decided_ms / DAY_MS - rng.range(30, 3_650),
                    );
                    let listing = Listing {
                        source_name: s(source),
                        source_url: s(url),
                        date: s(day.iso()),
                        extra: Extra::new(),
                    };
                    match which {
                        0 => listings.sanctions.push(listing),
                        1 => listings.pep.push(listing),
                        2 => listings.adverse_media.push(listing),
                        3 => listings.warnings.push(listing),
                        _ => listings.fitness_probity.push(listing),
                    }
                }
                let dob = if rng.pct(50) {
                    p.dob.iso()
                } else {
                    p.dob.y.to_string()
                };
                let match_types = if exact {
                    vec!["name_exact".to_owned(), "year_of_birth".to_owned()]
                } else {
                    vec!["name_fuzzy".to_owned(), "year_of_birth".to_owned()]
                };
                Hit {
                    matched_name: s(matched),
                    countries: Nullable::Present(vec![p.nationality.name.to_owned()]),
                    date_of_birth: s(dob),
                    date_of_death: Nullable::Null,
                    match_types: Nullable::Present(match_types),
                    aka: Nullable::Present(if rng.pct(30) {
                        vec![p.last().to_uppercase()]
                    } else {
                        Vec::new()
                    }),
                    associates: Nullable::Present(Vec::new()),
                    listings_related_to_match: Nullable::Present(listings),
                    extra: Extra::new(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    // Ongoing monitoring: about one result in five is a later re-screening, two weeks to half a
    // year after the decision (drawn last, so the earlier draws stay as they were). Later than
    // any webhook of the session itself (an expired session's, a week on), so that `fire` can
    // date a run by those.
    let check_type = if !options.initial_watchlist && rng.pct(20) {
        created_ms =
            session.decided_ms + rng.range(14 * DAY_MS, 180 * DAY_MS) + rng.range(0, DAY_MS);
        sent_ms = created_ms + rng.range(100, 2_000);
        CheckType::UpdatedResult
    } else {
        CheckType::InitialResult
    };
    let total = u32::try_from(hits.len()).unwrap_or(u32::MAX);
    let w = Watchlist {
        check_type,
        attempt_id: session.attempt_id.clone(),
        session_id: session.session_id.clone(),
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        match_status,
        search_term: Nullable::Present(SearchTerm {
            name: s(name),
            year: s(p.dob.y.to_string()),
            extra: Extra::new(),
        }),
        total_hits: Nullable::Present(total),
        created_at: s(iso_millis(created_ms)),
        hits: Nullable::Present(hits),
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::Watchlist(Box::new(w)),
        sent_ms,
    }
}

// ------------------------------------------------------------------------------------ full auto

const INSIGHTS: &[(&str, &str)] = &[
    ("documentAccepted", "document"),
    ("documentRecognised", "document"),
    ("documentNotExpired", "document"),
    ("faceMatch", "face"),
    ("faceLiveness", "face"),
    ("noFraudCrosslinks", "crosslinks"),
];

/// One extracted field, `{confidenceCategory, value, sources}` (the layout of
/// `payload::ExtractedField`, built as JSON directly since the contract keeps these fields as JSON).
fn field_of(rng: &mut Rand, value: Value, sources: &[&str]) -> Value {
    let confidence = ["high", "high", "high", "medium", "low"];
    let mut m = Map::with_capacity(3);
    m.insert(
        "confidenceCategory".into(),
        Value::String((*rng.pick(&confidence)).to_owned()),
    );
    m.insert("value".into(), value);
    m.insert(
        "sources".into(),
        Value::Array(
            sources
                .iter()
                .map(|x| Value::String((*x).to_owned()))
                .collect(),
        ),
    );
    Value::Object(m)
}

/// Index of `documentNotExpired` in [`INSIGHTS`].
const NOT_EXPIRED: usize = 2;

/// `reason`: the `reasonCode` of the session's decision.
fn fullauto(session: &Session, reason: Option<u16>, status: &str, rng: &mut Rand) -> Built {
    let decision = FullAutoDecision::from_wire(status);
    let no_data = matches!(
        decision,
        FullAutoDecision::Expired | FullAutoDecision::Abandoned
    );
    let p = &session.person;
    let acceptance_ms = session.created_ms;
    let sent_ms = if no_data {
        session.created_ms + 7 * DAY_MS + rng.range(1_000, 30 * MIN_MS)
    } else {
        session.decided_ms + rng.range(50, 1_500)
    };
    let score = match decision {
        FullAutoDecision::Approved => num(rng.milli(850, 999)),
        FullAutoDecision::Declined => num(rng.milli(10, 300)),
        FullAutoDecision::ResubmissionRequested => num(rng.milli(300, 600)),
        _ => Nullable::Null,
    };
    let mrz: &[&str] = if matches!(p.doc.spec.kind, "PASSPORT" | "RESIDENCE_PERMIT" | "VISA") {
        &["VIZ", "MRZ"]
    } else {
        &["VIZ"]
    };
    let (person, document) = if no_data {
        (Nullable::Null, Nullable::Null)
    } else {
        // Every field is drawn, then a field Veriff could not read becomes `null`, as in the
        // decision of the session.
        let mut read = |field: Unread, value: Value, sources: &[&str]| {
            let f = field_of(rng, value, sources);
            if p.unread.has(field) { Value::Null } else { f }
        };
        let mut person = Map::new();
        person.insert(
            "firstName".into(),
            read(Unread::FIRST_NAME, Value::String(upper(p.first)), mrz),
        );
        person.insert(
            "lastName".into(),
            read(Unread::LAST_NAME, Value::String(upper(&p.last())), mrz),
        );
        person.insert(
            "dateOfBirth".into(),
            read(Unread::DATE_OF_BIRTH, Value::String(p.dob.iso()), mrz),
        );
        person.insert(
            "gender".into(),
            read(Unread::GENDER, Value::String(p.gender().into()), mrz),
        );
        let id = p.id_number.clone().map_or(Value::Null, |id| {
            read(Unread::ID_NUMBER, Value::String(id), &["VIZ"])
        });
        person.insert("idNumber".into(), id);
        person.insert(
            "nationality".into(),
            read(
                Unread::NATIONALITY,
                Value::String(p.nationality.code.into()),
                mrz,
            ),
        );
        let mut doc = Map::new();
        doc.insert(
            "type".into(),
            read(
                Unread::DOC_TYPE,
                Value::String(p.doc.spec.kind.into()),
                &["VIZ"],
            ),
        );
        doc.insert(
            "number".into(),
            read(Unread::DOC_NUMBER, Value::String(p.doc.number.clone()), mrz),
        );
        doc.insert(
            "country".into(),
            read(
                Unread::DOC_COUNTRY,
                Value::String(p.country.code.into()),
                mrz,
            ),
        );
        doc.insert(
            "validUntil".into(),
            read(
                Unread::VALID_UNTIL,
                Value::String(p.doc.valid_until.iso()),
                mrz,
            ),
        );
        (Nullable::Present(person), Nullable::Present(doc))
    };
    let insights = if no_data {
        Vec::new()
    } else {
        // The insight that failed: the document's expiry exactly with 207 (document expired),
        // another one otherwise.
        let mut failing = rng.below(INSIGHTS.len() as u64) as usize;
        if reason == Some(207) {
            failing = NOT_EXPIRED;
        } else if failing == NOT_EXPIRED {
            failing = NOT_EXPIRED + 1;
        }
        // Video and/or photos missing (201): nothing to check the document or face on.
        let nothing_captured = reason == Some(201);
        INSIGHTS
            .iter()
            .enumerate()
            .map(|(i, (label, category))| {
                let result = match decision {
                    _ if nothing_captured && matches!(*category, "document" | "face") => {
                        "notApplicable"
                    }
                    _ if i == NOT_EXPIRED && reason == Some(207) => "no",
                    FullAutoDecision::Approved => {
                        if rng.pct(85) {
                            "yes"
                        } else {
                            "likelyYes"
                        }
                    }
                    FullAutoDecision::Declined if i == failing => "no",
                    FullAutoDecision::ResubmissionRequested if i == failing => "notApplicable",
                    _ => {
                        if rng.pct(80) {
                            "yes"
                        } else {
                            "likelyYes"
                        }
                    }
                };
                Insight {
                    label: (*label).to_owned(),
                    result: result.to_owned(),
                    category: s(*category),
                    extra: Extra::new(),
                }
            })
            .collect()
    };
    let f = FullAuto {
        status: "success".to_owned(),
        event_type: event_type::FULLAUTO.to_owned(),
        session_id: session.session_id.clone(),
        attempt_id: session.attempt_id.clone(),
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        version: s("1.0.0"),
        acceptance_time: s(iso_millis(acceptance_ms)),
        time: s(iso_millis(sent_ms)),
        data: FullAutoData {
            verification: FullAutoVerification {
                decision,
                decision_score: score,
                person,
                document,
                insights: Nullable::Present(insights),
                extra: Extra::new(),
            },
            extra: Extra::new(),
        },
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::FullAuto(Box::new(f)),
        sent_ms,
    }
}

// ------------------------------------------------------------------------------------ Mexican registries

fn registry_time(session: &Session, rng: &mut Rand) -> i64 {
    session.decided_ms + rng.range(2_000, 90_000)
}

fn ine_parts(status: &str) -> (&'static str, u16, bool, &'static str) {
    match status {
        "active" => (
            "La credencial es válida",
            200,
            true,
            "El documento es válido.",
        ),
        "inactive" => (
            "La credencial no está vigente",
            200,
            false,
            "El documento no se encuentra vigente como medio de identificación.",
        ),
        _ => (
            "No se encontraron datos",
            404,
            false,
            "No se obtuvo información con los parámetros proporcionados.",
        ),
    }
}

fn ine(session: &Session, status: &str, rng: &mut Rand) -> Built {
    let (text, code, active, state) = ine_parts(status);
    let sent_ms = registry_time(session, rng);
    let i = Ine {
        event_type: event_type::INE_REGISTRY.to_owned(),
        session_id: session.session_id.clone(),
        attempt_id: session.attempt_id.clone(),
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        version: s("1.0.0"),
        time: s(iso_millis(sent_ms)),
        data: IneData {
            status: s(text),
            code: Nullable::Present(code),
            details: Nullable::Present(IneDetails {
                active: Nullable::Present(active),
                document_state: s(state),
                extra: Extra::new(),
            }),
            extra: Extra::new(),
        },
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::Ine(Box::new(i)),
        sent_ms,
    }
}

const CURP_STATES: &[(&str, &str, u32)] = &[
    ("AN", "Alta normal", 45),
    ("AH", "Alta con homonimia", 10),
    ("RCN", "Registro de cambio no afectando a curp", 35),
    ("RCC", "Registro de cambio afectando a curp", 10),
];

fn curp_state(rng: &mut Rand) -> (&'static str, &'static str) {
    let (code, text, _) = CURP_STATES[rng.weighted_by(CURP_STATES, |c| c.2)];
    (code, text)
}

fn curp(session: &Session, status: &str, rng: &mut Rand) -> Built {
    let found = status == "found";
    let number = session.person.id_number.clone();
    let details = if found {
        let (code, text) = curp_state(rng);
        CurpDetails {
            status_curp: s(code),
            curp: opt(number),
            description: s(text),
            extra: Extra::new(),
        }
    } else {
        CurpDetails {
            status_curp: Nullable::Null,
            curp: opt(number),
            description: s("No se encontró el registro de la CURP"),
            extra: Extra::new(),
        }
    };
    let c = Curp {
        kind: event_type::CURP_REGISTRY.to_owned(),
        id: session.session_id.clone(),
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        version: s("1.0.0"),
        data: CurpData {
            attempt_id: session.attempt_id.clone(),
            name: s(event_type::CURP_REGISTRY),
            status: s(if found { "found" } else { "not_found" }),
            code: Nullable::Present(if found { 200 } else { 404 }),
            details: Nullable::Present(details),
            extra: Extra::new(),
        },
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::Curp(Box::new(c)),
        sent_ms: registry_time(session, rng),
    }
}

/// INE's two-digit state number (alphabetical order of the states) for a CURP state code.
fn ine_state_number(curp_state: &str) -> u32 {
    match curp_state {
        "BC" => 2,
        "DF" => 9,
        "GT" => 11,
        "JC" => 14,
        "NL" => 19,
        "PL" => 21,
        "QT" => 22,
        "SR" => 26,
        "VZ" => 30,
        "YN" => 31,
        _ => 15,
    }
}

fn ine_curp(session: &Session, status: &str, rng: &mut Rand) -> Built {
    let p = &session.person;
    let sent_ms = registry_time(session, rng);
    let found = status == "found";
    let data = if found {
        let (text, _, active, state) = ine_parts(if rng.pct(90) { "active" } else { "inactive" });
        let (status_curp, description) = curp_state(rng);
        // The INE credential's number (CIC), even when the session's document was a passport.
        let ine_identifier = if p.doc.spec.kind == "ID_CARD" {
            p.doc.number.clone()
        } else {
            rng.pattern("#########")
        };
        let voter_key = {
            let s1 = crate::ids::fold_upper(p.surname1);
            let s2 = p.surname2.map(crate::ids::fold_upper).unwrap_or_default();
            let f = crate::ids::fold_upper(p.first);
            let two = |x: &str| x.chars().chain("XX".chars()).take(2).collect::<String>();
            format!(
                "{}{}{}{:02}{:02}{:02}{:02}{}{}",
                two(&s1),
                two(&s2),
                two(&f),
                p.dob.y.rem_euclid(100),
                p.dob.m,
                p.dob.d,
                ine_state_number(p.birth_city.curp_state),
                if p.male { 'H' } else { 'M' },
                rng.pattern("###")
            )
        };
        json!({
            "status": "found",
            "code": 200,
            "ine": {
                "status": text,
                "active": active,
                "documentState": state,
                "ineIdentifier": ine_identifier,
                "voterKey": voter_key,
                "ocr": rng.pattern("#############"),
                "emissionYear": p.doc.valid_from.y.to_string(),
                "validUntil": p.doc.valid_until.y.to_string(),
            },
            "curp": {
                "statusCurp": status_curp,
                "description": description,
                "curp": p.id_number,
                "names": upper(p.first),
                "firstSurname": upper(p.surname1),
                "secondSurname": p.surname2.map(upper),
                "gender": if p.male { "HOMBRE" } else { "MUJER" },
                "birthDate": p.dob.iso(),
                "birthState": upper(p.birth_city.state.unwrap_or_default()),
            },
        })
    } else {
        json!({ "status": "not_found", "code": 404, "ine": null, "curp": null })
    };
    let c = IneCurp {
        event_type: event_type::COMBINED_INE_CURP.to_owned(),
        session_id: session.session_id.clone(),
        attempt_id: session.attempt_id.clone(),
        vendor_data: opt(session.vendor_data.clone()),
        end_user_id: opt(session.end_user_id.clone()),
        version: s("1.0.0"),
        time: s(iso_millis(sent_ms)),
        data,
        extra: Extra::new(),
    };
    Built {
        webhook: Webhook::IneCurp(Box::new(c)),
        sent_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_codes() {
        assert_eq!(
            snake_case("Custom status for suspicious attempt"),
            "custom_status_for_suspicious_attempt"
        );
        assert_eq!(
            snake_case("  Approved -- after callback! "),
            "approved_after_callback"
        );
    }
}
