//! The fixed checks: each sends one or a few requests and expects 200 or a rejection.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use tokio::task::JoinSet;
use veriff_mock_contract::{Kind, SharedSecret, headers, legacy_x_signature, sign_hex};
use veriff_mock_gen::{Generator, Mutation};

use crate::report::Repro;
use crate::target::{NOT_HTTP, Outcome, Target};
use crate::{CheckConfig, CheckResult, property};

/// A check: its name, what it tests, and the mistake it catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// `group/name`. `valid/<kind>` stands for one check per kind (`valid/decision`, …).
    pub name: &'static str,
    /// What is sent and what is expected.
    pub what: &'static str,
    /// What a receiver that fails it should fix.
    pub fix: &'static str,
}

/// Every check, in report order.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        name: "valid/<kind>",
        what: "a correctly signed payload of the kind gets 200",
        fix: "answer 200 to every correctly signed webhook of this kind (tell kinds apart by URL or by shape; answer 200 even when the session is unknown to you)",
    },
    CheckInfo {
        name: "signature/wrong-secret",
        what: "a payload signed with another secret is rejected",
        fix: "verify X-HMAC-SIGNATURE: HMAC-SHA256 of the raw body keyed with the shared secret key, and answer 401 on a mismatch",
    },
    CheckInfo {
        name: "signature/missing",
        what: "a payload without X-HMAC-SIGNATURE is rejected",
        fix: "refuse (401) a webhook without an X-HMAC-SIGNATURE header",
    },
    CheckInfo {
        name: "signature/empty",
        what: "a payload with an empty X-HMAC-SIGNATURE header is rejected",
        fix: "refuse (401) an empty signature: decode the hex and compare all 32 bytes with the HMAC, never test whether the expected hex starts with the given one",
    },
    CheckInfo {
        name: "signature/truncated",
        what: "a payload with only the first half of its correct hex signature is rejected",
        fix: "refuse (401) a signature that is not 64 hex characters: compare the whole HMAC in constant time, never a prefix of it (a prefix match accepts a forgery)",
    },
    CheckInfo {
        name: "signature/api-key-as-secret",
        what: "a payload signed with the API key instead of the shared secret is rejected",
        fix: "key the HMAC with the shared secret key, never the API key (X-AUTH-CLIENT is public)",
    },
    CheckInfo {
        name: "signature/legacy-only",
        what: "a payload with only the legacy X-SIGNATURE (sha256 of body+secret) is rejected",
        fix: "verify X-HMAC-SIGNATURE, not the legacy X-SIGNATURE scheme",
    },
    CheckInfo {
        name: "signature/body-changed",
        what: "a payload changed after signing is rejected",
        fix: "verify the signature over the exact body bytes received, and refuse a mismatch",
    },
    CheckInfo {
        name: "signature/uppercase-hex",
        what: "a signature in upper-case hex gets 200",
        fix: "compare the hex signature case-insensitively (decode the hex, then compare bytes in constant time)",
    },
    CheckInfo {
        name: "compat/pretty-printed",
        what: "a pretty-printed body, signed over those bytes, gets 200",
        fix: "hash the raw body bytes as received; never re-serialize parsed JSON (JSON.stringify(req.body)) before verifying",
    },
    CheckInfo {
        name: "compat/trailing-newline",
        what: "a body ending in a newline, signed over those bytes (the newline included), gets 200",
        fix: "hash the raw body bytes as received; do not trim or strip whitespace from the body before verifying",
    },
    CheckInfo {
        name: "compat/reordered-keys",
        what: "a body with its keys in another order, signed over those bytes, gets 200",
        fix: "hash the raw body bytes as received, and do not rely on key order",
    },
    CheckInfo {
        name: "compat/raw-non-ascii",
        what: "a body with non-ASCII characters as raw UTF-8 gets 200",
        fix: "hash the body as bytes, not as decoded or re-encoded text",
    },
    CheckInfo {
        name: "compat/escaped-non-ascii",
        what: "a body with non-ASCII characters escaped as \\uXXXX, signed over those bytes, gets 200",
        fix: "hash the raw body bytes as received; re-serializing the parsed JSON changes \\uXXXX escapes",
    },
    CheckInfo {
        name: "compat/unknown-fields",
        what: "a payload with properties your schema does not know gets 200",
        fix: "ignore unknown properties (Veriff adds properties without notice); do not validate with additionalProperties: false",
    },
    CheckInfo {
        name: "compat/unknown-event-type",
        what: "a webhook of an event type your code does not know gets 200",
        fix: "answer 200 to (and ignore or log) event types you do not handle; Veriff adds event types without notice",
    },
    CheckInfo {
        name: "compat/null-person-document",
        what: "an expired decision and an expired Full Auto webhook, with null person and document, and a resubmission decision whose person and document fields are all null, get 200 (with the decision or fullauto kind)",
        fix: "accept null person and document (expired and abandoned sessions have none, in decisions and Full Auto webhooks alike) and null fields in them (nothing is read when photos are missing)",
    },
    CheckInfo {
        name: "compat/long-vendor-data",
        what: "a payload with a 1,000-character vendorData gets 200",
        fix: "store vendorData in a column that holds 1,000 characters",
    },
    CheckInfo {
        name: "delivery/duplicate",
        what: "the same payload delivered twice gets 200 both times",
        fix: "be idempotent: Veriff delivers at least once, so a duplicate must get 200 again (dedupe by attemptId, status and time)",
    },
    CheckInfo {
        name: "delivery/response-time",
        what: "every request of the run is answered within the timeout",
        fix: "answer at once and do slow work after answering (a queue); a slow answer counts as a failed delivery and is retried",
    },
    CheckInfo {
        name: "property/valid-payloads",
        what: "randomized valid payloads of the kinds, half of them with a compatibility change, all get 200",
        fix: "accept every valid payload; the minimal failing one is printed with a curl command to reproduce it",
    },
    CheckInfo {
        name: "property/mangled-payloads",
        what: "correctly signed but broken bodies (truncated, wrong types, missing fields, invalid UTF-8) get no 5xx and an answer in time",
        fix: "answer 4xx to a body you cannot parse; never crash or hang on bad input",
    },
];

pub(crate) fn info(name: &str) -> &'static CheckInfo {
    CHECKS.iter().find(|c| c.name == name).unwrap_or(&CHECKS[0])
}

/// The hint for a correctly signed body answered with another 2xx.
const EXACTLY_200: &str = "answer exactly 200: Veriff counts only HTTP 200 as delivered and retries any other status, other 2xx included";
/// The hint for a correctly signed body answered 401 or 403.
const SIGNATURE_REJECTED: &str = "a correctly signed body was rejected: verify X-HMAC-SIGNATURE (not the legacy X-SIGNATURE) with the shared secret key (not the API key), over the raw body bytes as received";
/// The hint for a request that got no answer, and not for want of time.
const NO_ANSWER: &str = "answer every request: the connection failed before an answer (is the receiver running at this URL? did it crash on this body?)";
/// The hint for a reply that is not HTTP.
const NOT_HTTP_HINT: &str =
    "the server at this URL does not speak HTTP: is the port in --to your receiver's?";
/// The hint for a request that never got past the TLS handshake.
const TLS_HINT: &str = "fix the TLS setup as said: the receiver never saw this request";
/// The hint for a correctly signed body answered 409 Conflict: taken for a repeat.
const CONFLICT: &str = "409 Conflict: the receiver took this for a repeat; Veriff sends the same webhook again when it retries, and ids (attemptId, sessionId) recur across a session's webhooks: answer 200 to a repeat and do not require unique ids";
/// The hint for a bad signature answered with a 5xx.
const SERVER_ERROR_NOT_REFUSAL: &str = "a server error is not a refusal: answer 401 when the signature does not match, without throwing (a 5xx says your server broke)";
/// The hint for a bad signature answered with a 3xx.
const REDIRECT_NOT_REFUSAL: &str =
    "a redirect is not a refusal: answer 401 when the signature does not match";
/// The hint for a re-formatted body refused with a status that is not a signature rejection.
const BODY_REFUSED: &str = "the body itself was refused (a signature mismatch is 401): accept valid JSON in any layout (whitespace, key order, \\uXXXX escapes, raw UTF-8) and answer 200";

/// What a check's own hint is about, so which answers it explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnHint {
    /// Parsing and handling the payload: explains a 4xx or 5xx other than 401/403.
    Content,
    /// How the signature header is read: explains any refusal.
    Signature,
    /// Verifying over the exact bytes of a re-formatted body: explains a 401 or 403 only.
    SignedBytes,
}

impl OwnHint {
    fn of(name: &str) -> Self {
        match name {
            "signature/uppercase-hex" => OwnHint::Signature,
            "compat/pretty-printed"
            | "compat/trailing-newline"
            | "compat/reordered-keys"
            | "compat/raw-non-ascii"
            | "compat/escaped-non-ascii" => OwnHint::SignedBytes,
            _ => OwnHint::Content,
        }
    }
}

/// What an answer to a correctly signed body that expected 200 says to fix by itself, whatever
/// the check: no answer in time, no answer at all, another 2xx, a signature rejection.
pub(crate) fn answer_hint(outcome: &Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::TimedOut(_) => Some(info("delivery/response-time").fix),
        Outcome::Transport(e) if e.starts_with(NOT_HTTP) => Some(NOT_HTTP_HINT),
        Outcome::Transport(_) => Some(NO_ANSWER),
        Outcome::Tls(_) => Some(TLS_HINT),
        Outcome::Answered { status, .. } if *status != 200 && (200..300).contains(status) => {
            Some(EXACTLY_200)
        }
        Outcome::Answered {
            status: 401 | 403, ..
        } => Some(SIGNATURE_REJECTED),
        Outcome::Answered { status: 409, .. } => Some(CONFLICT),
        Outcome::Answered { .. } => None,
    }
}

/// What to fix, for step `step` of `probe` that got `outcome` instead of what it expected: what
/// the answer itself says first, the check's own hint where the answer does not explain it.
fn hint(probe: &Probe, step: usize, expect: Expect, outcome: &Outcome) -> String {
    let own = probe.info.fix;
    if expect == Expect::Rejected {
        // Accepted a bad signature (the check's own hint), broke on it, or no answer.
        return match outcome {
            Outcome::Answered { status, .. } if *status >= 500 => SERVER_ERROR_NOT_REFUSAL,
            Outcome::Answered { status, .. } if (300..400).contains(status) => REDIRECT_NOT_REFUSAL,
            Outcome::Answered { .. } => own,
            _ => answer_hint(outcome).unwrap_or(own),
        }
        .to_owned();
    }
    let from_answer = answer_hint(outcome);
    if probe.name == "delivery/duplicate" {
        return if step == 0 {
            format!(
                "not an idempotency problem, the first delivery already failed: {}",
                from_answer.unwrap_or(info("valid/<kind>").fix)
            )
        } else if matches!(outcome.status(), Some(401 | 403 | 409)) {
            // The same signature passed a moment ago: this refuses a replay.
            own.to_owned()
        } else {
            from_answer.unwrap_or(own).to_owned()
        };
    }
    match (from_answer, OwnHint::of(&probe.name)) {
        (Some(SIGNATURE_REJECTED), OwnHint::Signature | OwnHint::SignedBytes) => {
            format!("{SIGNATURE_REJECTED}; for this request: {own}")
        }
        (Some(hint), _) => hint.to_owned(),
        (None, OwnHint::SignedBytes) => BODY_REFUSED.to_owned(),
        (None, OwnHint::Content | OwnHint::Signature) => own.to_owned(),
    }
}

/// What a step expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ok200,
    Rejected,
}

#[derive(Debug, Clone)]
struct Step {
    body: Bytes,
    headers: Vec<(String, String)>,
    expect: Expect,
    /// What a failure calls this step when the steps differ (`fullauto expired`); unlabelled
    /// steps are numbered (`delivery 2 of 2`).
    label: Option<String>,
}

#[derive(Debug, Clone)]
struct Probe {
    name: String,
    info: &'static CheckInfo,
    steps: Vec<Step>,
}

/// Everything a probe sent and got, for the response-time check.
pub(crate) type Exchanges = Vec<(String, Outcome, Duration)>;

/// The headers of a correct delivery of `body`.
pub(crate) fn good_headers(config: &CheckConfig, body: &[u8]) -> Vec<(String, String)> {
    headers_with(config, Some(sign_hex(&config.secret, body)))
}

fn headers_with(config: &CheckConfig, signature: Option<String>) -> Vec<(String, String)> {
    let mut list = vec![
        (
            headers::CONTENT_TYPE.to_owned(),
            headers::APPLICATION_JSON.to_owned(),
        ),
        (headers::X_AUTH_CLIENT.to_owned(), config.api_key.clone()),
    ];
    if let Some(signature) = signature {
        list.push((headers::X_HMAC_SIGNATURE.to_owned(), signature));
    }
    list
}

/// Sets `vendorData` (top level, or in a decision's `verification`).
fn with_vendor_data(body: &[u8], vendor: &str) -> Bytes {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return Bytes::copy_from_slice(body);
    };
    let slot = if value.get("vendorData").is_some() {
        value.get_mut("vendorData")
    } else {
        value
            .get_mut("verification")
            .and_then(|v| v.get_mut("vendorData"))
    };
    match slot {
        Some(slot) => *slot = Value::String(vendor.to_owned()),
        None => {
            if let Some(map) = value.as_object_mut() {
                map.insert("vendorData".into(), Value::String(vendor.to_owned()));
            }
        }
    }
    serde_json::to_vec(&value).map_or_else(|_| Bytes::copy_from_slice(body), Bytes::from)
}

fn probes(config: &CheckConfig) -> Vec<Probe> {
    let seed = config.seed;
    let primary = config.kinds.first().copied().unwrap_or(Kind::Decision);
    let payload = |index: u64| Generator::from_seed(seed).kind(primary).payload(index).body;
    let ok = |body: Bytes| Step {
        headers: good_headers(config, &body),
        body,
        expect: Expect::Ok200,
        label: None,
    };
    let rejected = |body: Bytes, headers: Vec<(String, String)>| Step {
        body,
        headers,
        expect: Expect::Rejected,
        label: None,
    };
    let probe = |name: &str, steps: Vec<Step>| Probe {
        name: name.to_owned(),
        info: info(name),
        steps,
    };
    let mutate =
        |m: Mutation, body: Bytes| -> Bytes { m.apply(&body, seed).map_or(body, Bytes::from) };
    let mut list = Vec::new();
    for kind in &config.kinds {
        let body = Generator::from_seed(seed).kind(*kind).payload(0).body;
        list.push(Probe {
            name: format!("valid/{}", kind.name()),
            info: info("valid/<kind>"),
            steps: vec![ok(body)],
        });
    }

    let body = payload(1);
    let other = SharedSecret::new(format!("not-the-shared-secret-{seed}"));
    let wrong = other.map(|s| sign_hex(&s, &body)).unwrap_or_default();
    list.push(probe(
        "signature/wrong-secret",
        vec![rejected(body.clone(), headers_with(config, Some(wrong)))],
    ));
    let body = payload(2);
    list.push(probe(
        "signature/missing",
        vec![rejected(body, headers_with(config, None))],
    ));
    let body = payload(15);
    list.push(probe(
        "signature/empty",
        vec![rejected(body, headers_with(config, Some(String::new())))],
    ));
    let body = payload(16);
    let mut half = sign_hex(&config.secret, &body);
    half.truncate(half.len() / 2);
    list.push(probe(
        "signature/truncated",
        vec![rejected(body, headers_with(config, Some(half)))],
    ));
    let body = payload(3);
    let with_api_key = SharedSecret::new(config.api_key.clone())
        .map(|s| sign_hex(&s, &body))
        .unwrap_or_default();
    list.push(probe(
        "signature/api-key-as-secret",
        vec![rejected(body, headers_with(config, Some(with_api_key)))],
    ));
    let body = payload(4);
    let mut legacy = headers_with(config, None);
    legacy.push((
        headers::X_SIGNATURE.to_owned(),
        legacy_x_signature(&config.secret, &body),
    ));
    list.push(probe("signature/legacy-only", vec![rejected(body, legacy)]));
    let body = payload(5);
    let signature = sign_hex(&config.secret, &body);
    let changed = with_vendor_data(&body, "changed-after-signing");
    list.push(probe(
        "signature/body-changed",
        vec![rejected(changed, headers_with(config, Some(signature)))],
    ));
    let body = payload(6);
    let upper = sign_hex(&config.secret, &body).to_ascii_uppercase();
    list.push(probe(
        "signature/uppercase-hex",
        vec![Step {
            headers: headers_with(config, Some(upper)),
            body,
            expect: Expect::Ok200,
            label: None,
        }],
    ));

    list.push(probe(
        "compat/pretty-printed",
        vec![ok(mutate(Mutation::PrettyPrinted, payload(7)))],
    ));
    let mut trailing = mutate(Mutation::PrettyPrinted, payload(14)).to_vec();
    trailing.push(b'\n');
    list.push(probe(
        "compat/trailing-newline",
        vec![ok(Bytes::from(trailing))],
    ));
    list.push(probe(
        "compat/reordered-keys",
        vec![ok(mutate(Mutation::ReorderedKeys, payload(8)))],
    ));
    let non_ascii = non_ascii_payload(seed, primary);
    list.push(probe(
        "compat/raw-non-ascii",
        vec![ok(mutate(Mutation::RawNonAscii, non_ascii.clone()))],
    ));
    let escaped = with_vendor_data(&non_ascii, "cliente-ñandú-2");
    list.push(probe(
        "compat/escaped-non-ascii",
        vec![ok(mutate(Mutation::EscapedNonAscii, escaped))],
    ));
    list.push(probe(
        "compat/unknown-fields",
        vec![ok(mutate(Mutation::UnknownFields, payload(9)))],
    ));
    list.push(probe(
        "compat/unknown-event-type",
        vec![ok(mutate(Mutation::UnknownEventType, payload(10)))],
    ));
    // Expired sessions have null person and document, in decisions and Full Auto alike.
    let null_person: Vec<Step> = [Kind::Decision, Kind::FullAuto]
        .into_iter()
        .filter(|kind| config.kinds.contains(kind))
        .map(|kind| {
            let generator = Generator::from_seed(seed).kind(kind);
            let expired = generator
                .clone()
                .status("expired")
                .unwrap_or(generator)
                .payload(11)
                .body;
            Step {
                label: Some(format!("{} `expired`", kind.name())),
                ..ok(expired)
            }
        })
        .collect();
    let mut null_person = null_person;
    // After resubmission reason 201 ("Video and/or photos missing") nothing could be read: the
    // person and document objects are there, every field of them null.
    if config.kinds.contains(&Kind::Decision)
        && let Ok(generator) = Generator::from_seed(seed)
            .kind(Kind::Decision)
            .status("resubmission_requested")
        && let Some(unread) = (11..1_000).map(|i| generator.payload(i).body).find(|body| {
            const UNREAD: &[u8] = b"\"reasonCode\":201,";
            body.windows(UNREAD.len()).any(|w| w == UNREAD)
        })
    {
        null_person.push(Step {
            label: Some("decision `resubmission_requested` 201, every field null".to_owned()),
            ..ok(unread)
        });
    }
    if !null_person.is_empty() {
        list.push(probe("compat/null-person-document", null_person));
    }
    let long: String = (0..1_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    list.push(probe(
        "compat/long-vendor-data",
        vec![ok(with_vendor_data(&payload(12), &long))],
    ));
    let body = payload(13);
    list.push(probe(
        "delivery/duplicate",
        vec![ok(body.clone()), ok(body)],
    ));
    list
}

/// A payload of `kind` whose body has non-ASCII text (a name, a city), or one given a non-ASCII
/// `vendorData` when the kind has none in the first indices tried.
fn non_ascii_payload(seed: u64, kind: Kind) -> Bytes {
    let generator = Generator::from_seed(seed).kind(kind);
    (20..220)
        .map(|i| generator.payload(i).body)
        .find(|b| b.iter().any(|x| *x >= 0x80))
        .unwrap_or_else(|| with_vendor_data(&generator.payload(20).body, "usuario-peñón-1"))
}

async fn run_probe(
    target: Arc<Target>,
    probe: Probe,
    config: Arc<CheckConfig>,
) -> (CheckResult, Exchanges) {
    let mut exchanges = Vec::new();
    let mut failure = None;
    let total = probe.steps.len();
    for (i, step) in probe.steps.iter().enumerate() {
        let (outcome, took) = target.send(step.body.clone(), &step.headers).await;
        exchanges.push((probe.name.clone(), outcome.clone(), took));
        let good = match (step.expect, outcome.status()) {
            (Expect::Ok200, Some(200)) => true,
            // A refusal is a 4xx: a 5xx says the receiver broke (Veriff would retry it), a 3xx
            // sends it elsewhere.
            (Expect::Rejected, Some(s)) => (400..500).contains(&s),
            _ => false,
        };
        if !good {
            let which = match &step.label {
                Some(label) if total > 1 => format!("{label}: "),
                _ if total > 1 => format!("delivery {} of {total}: ", i + 1),
                _ => String::new(),
            };
            let expected = match step.expect {
                Expect::Ok200 => "expected 200",
                Expect::Rejected => "expected a rejection (401)",
            };
            let fix = hint(&probe, i, step.expect, &outcome);
            failure = Some((format!("{which}{outcome}, {expected}: {fix}"), step.clone()));
            break;
        }
    }
    let last = exchanges
        .last()
        .map(|(_, o, _)| o.to_string())
        .unwrap_or_default();
    // The time its requests took, not the time they waited for their turn behind other checks.
    let elapsed = exchanges.iter().map(|(_, _, took)| *took).sum();
    let result = match failure {
        None => CheckResult {
            name: probe.name,
            what: probe.info.what,
            passed: true,
            skipped: false,
            reason: match labels(&probe.steps) {
                Some(labels) if total > 1 => format!("{labels}, each {last}"),
                _ if total > 1 => format!("{total} deliveries, each {last}"),
                _ => last,
            },
            elapsed,
            repro: None,
        },
        Some((reason, step)) => CheckResult {
            name: probe.name,
            what: probe.info.what,
            passed: false,
            skipped: false,
            reason,
            elapsed,
            repro: Some(Repro::new(&config.url(), &step.body, &step.headers)),
        },
    };
    (result, exchanges)
}

/// The steps' labels, `decision \`expired\` and fullauto \`expired\``, when every step has one.
fn labels(steps: &[Step]) -> Option<String> {
    let labels: Option<Vec<&str>> = steps.iter().map(|s| s.label.as_deref()).collect();
    labels.map(|l| l.join(" and "))
}

/// Runs the fixed probes, the property phases and the response-time check, all concurrently; the
/// target lets only as many requests out at once as the configured concurrency.
pub(crate) async fn run_all(
    config: &CheckConfig,
    target: &Target,
) -> (Vec<CheckResult>, Option<String>) {
    let target = Arc::new(target.clone());
    let shared = Arc::new(config.clone());
    let mut set = JoinSet::new();
    for (i, probe) in probes(config).into_iter().enumerate() {
        let target = Arc::clone(&target);
        let shared = Arc::clone(&shared);
        set.spawn(async move { (i, run_probe(target, probe, shared).await) });
    }
    let valid = property::valid_phase(Arc::clone(&shared), Arc::clone(&target));
    let mangled = property::mangled_phase(Arc::clone(&shared), Arc::clone(&target));
    let (valid, mangled) = tokio::join!(valid, mangled);
    let mut results: Vec<(usize, CheckResult)> = Vec::new();
    let mut exchanges: Exchanges = Vec::new();
    while let Some(joined) = set.join_next().await {
        // A probe task only ends by returning; a panic would be a bug, reported as a failure.
        match joined {
            Ok((i, (result, seen))) => {
                results.push((i, result));
                exchanges.extend(seen);
            }
            Err(e) => results.push((
                usize::MAX,
                CheckResult {
                    name: "internal".to_owned(),
                    what: "the check itself",
                    passed: false,
                    skipped: false,
                    reason: format!("a check task failed: {e}"),
                    elapsed: Duration::ZERO,
                    repro: None,
                },
            )),
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let mut checks: Vec<CheckResult> = results.into_iter().map(|(_, r)| r).collect();
    for (result, seen) in [valid, mangled] {
        checks.push(result);
        exchanges.extend(seen);
    }
    checks.push(response_time(config.timeout, &exchanges));
    (checks, diagnose(&target.uri, &exchanges))
}

/// The one cause of every correctly signed payload failing, when their answers all say the same
/// thing: the wrong secret or API key, the wrong path, a failed TLS handshake, or not an HTTP
/// server on that port.
fn diagnose(uri: &http::Uri, exchanges: &Exchanges) -> Option<String> {
    let valid: Vec<&Outcome> = exchanges
        .iter()
        .filter(|(name, _, _)| name.starts_with("valid/"))
        .map(|(_, outcome, _)| outcome)
        .collect();
    let first = valid.first()?;
    let all = |f: &dyn Fn(&Outcome) -> bool| valid.iter().all(|o| f(o));
    let status = first.status();
    if all(&|o| matches!(o.status(), Some(401 | 403))) {
        return Some(format!(
            "every correctly signed payload was refused ({}): sign with the shared secret key \
             your receiver verifies with (--secret or VERIFF_SHARED_SECRET; the default is \
             Veriff's public test secret), and pass the API key it expects in X-AUTH-CLIENT \
             with --api-key",
            status.unwrap_or(401)
        ));
    }
    if all(&|o| matches!(o.status(), Some(404 | 405))) {
        return Some(format!(
            "every correctly signed payload got {}: is {} the path your receiver takes \
             webhooks on? fix --to",
            status.unwrap_or(404),
            uri.path()
        ));
    }
    if let Outcome::Tls(advice) = first
        && all(&|o| matches!(o, Outcome::Tls(_)))
    {
        return Some(format!("every request failed the TLS handshake: {advice}"));
    }
    if all(&|o| matches!(o, Outcome::Transport(e) if e.starts_with(NOT_HTTP))) {
        return Some(format!(
            "the server at {} does not speak HTTP: is that your receiver's port? fix --to",
            uri.authority()
                .map_or("this URL", http::uri::Authority::as_str)
        ));
    }
    None
}

fn response_time(timeout: Duration, exchanges: &Exchanges) -> CheckResult {
    let info = info("delivery/response-time");
    // Late: no answer within the timeout. A broken connection or TLS failure is its own
    // check's failure, not a matter of time, unless nothing was answered at all.
    let answered = exchanges
        .iter()
        .filter(|(_, o, _)| !o.is_transport_failure())
        .count();
    let late: Vec<&(String, Outcome, Duration)> = exchanges
        .iter()
        .filter(|(_, o, _)| {
            matches!(o, Outcome::TimedOut(_)) || (answered == 0 && o.is_transport_failure())
        })
        .collect();
    let slowest = exchanges
        .iter()
        .filter(|(_, o, _)| !o.is_transport_failure())
        .map(|(_, _, t)| *t)
        .max()
        .unwrap_or_default();
    if late.is_empty() {
        return CheckResult {
            name: info.name.to_owned(),
            what: info.what,
            passed: true,
            skipped: false,
            reason: format!(
                "{answered} requests answered, slowest in {} (timeout {})",
                crate::human(slowest),
                crate::human(timeout)
            ),
            elapsed: Duration::ZERO,
            repro: None,
        };
    }
    let mut names: Vec<&str> = late.iter().map(|(n, _, _)| n.as_str()).collect();
    names.dedup();
    names.truncate(6);
    CheckResult {
        name: info.name.to_owned(),
        what: info.what,
        passed: false,
        skipped: false,
        reason: if late
            .iter()
            .any(|(_, o, _)| matches!(o, Outcome::TimedOut(_)))
        {
            format!(
                "{} of {} requests got no answer in time, expected each within {} (first: {}; in {}): {}",
                late.len(),
                exchanges.len(),
                crate::human(timeout),
                late[0].1,
                names.join(", "),
                info.fix
            )
        } else {
            format!(
                "none of {} requests got an answer, so none could be timed (first: {})",
                exchanges.len(),
                late[0].1
            )
        },
        elapsed: Duration::ZERO,
        repro: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(name: &str) -> Probe {
        let lookup = if name.starts_with("valid/") {
            "valid/<kind>"
        } else {
            name
        };
        Probe {
            name: name.to_owned(),
            info: info(lookup),
            steps: Vec::new(),
        }
    }

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            body: String::new(),
        }
    }

    #[test]
    fn null_person_document_also_sends_a_decision_with_every_field_null() {
        let secret = veriff_mock_contract::SharedSecret::new("s").unwrap();
        let config = CheckConfig::new("http://127.0.0.1:9/", secret).unwrap();
        let probe = probes(&config)
            .into_iter()
            .find(|p| p.name == "compat/null-person-document")
            .unwrap();
        let unread = probe
            .steps
            .iter()
            .map(|s| serde_json::from_slice::<serde_json::Value>(&s.body).unwrap())
            .find(|v| v["verification"]["reasonCode"] == 201)
            .expect("a 201 resubmission step");
        let v = &unread["verification"];
        assert_eq!(v["status"], "resubmission_requested");
        assert!(v["person"]["firstName"].is_null(), "{v}");
        assert!(v["document"]["number"].is_null(), "{v}");
        assert!(v["person"].is_object() && v["document"].is_object(), "{v}");
    }

    #[test]
    fn no_answer_is_not_blamed_on_the_payload() {
        let late = Outcome::TimedOut(Duration::from_secs(2));
        let timing = info("delivery/response-time").fix;
        for name in ["compat/unknown-fields", "delivery/duplicate", "valid/event"] {
            let hint = hint(&probe(name), 1, Expect::Ok200, &late);
            assert!(hint.ends_with(timing), "{name}: {hint}");
        }
        // A rejection check that got no answer did not accept anything.
        let rejected = hint(&probe("signature/missing"), 0, Expect::Rejected, &late);
        assert_eq!(rejected, timing);
        let refused = Outcome::Transport("connection refused".to_owned());
        let hint = hint(
            &probe("compat/long-vendor-data"),
            0,
            Expect::Ok200,
            &refused,
        );
        assert_eq!(hint, NO_ANSWER);
    }

    #[test]
    fn the_check_s_own_hint_where_the_answer_does_not_explain_it() {
        let unknown = probe("compat/unknown-fields");
        assert_eq!(
            hint(&unknown, 0, Expect::Ok200, &answered(400)),
            unknown.info.fix
        );
        let upper = probe("signature/uppercase-hex");
        assert_eq!(
            hint(&upper, 0, Expect::Ok200, &answered(400)),
            upper.info.fix
        );
        // A second delivery refused after the first passed is a replay refused: idempotency.
        let duplicate = probe("delivery/duplicate");
        for status in [401, 409, 500] {
            assert_eq!(
                hint(&duplicate, 1, Expect::Ok200, &answered(status)),
                duplicate.info.fix
            );
        }
        assert_eq!(
            hint(&duplicate, 1, Expect::Ok200, &answered(202)),
            EXACTLY_200
        );
        // A 409 says "duplicate" whatever the check: the receiver wants unique ids.
        for name in [
            "compat/escaped-non-ascii",
            "valid/event",
            "compat/unknown-fields",
        ] {
            assert_eq!(
                hint(&probe(name), 0, Expect::Ok200, &answered(409)),
                CONFLICT,
                "{name}"
            );
        }
        // An accepted bad signature.
        let wrong = probe("signature/wrong-secret");
        assert_eq!(
            hint(&wrong, 0, Expect::Rejected, &answered(202)),
            wrong.info.fix
        );
        // A bad signature that broke the receiver, or was sent elsewhere: not a refusal.
        for status in [500, 503] {
            assert_eq!(
                hint(&wrong, 0, Expect::Rejected, &answered(status)),
                SERVER_ERROR_NOT_REFUSAL
            );
        }
        assert_eq!(
            hint(&wrong, 0, Expect::Rejected, &answered(302)),
            REDIRECT_NOT_REFUSAL
        );
        // Another protocol on the port.
        let ssh = Outcome::Transport(format!("{NOT_HTTP} (invalid HTTP version parsed)"));
        assert_eq!(
            hint(&probe("valid/decision"), 0, Expect::Ok200, &ssh),
            NOT_HTTP_HINT
        );
    }
}
