//! Flaws: the receiver made wrong on purpose, one mistake at a time, the way integrators get it
//! wrong (see [`Flaw`]). Used to prove that `veriff-mock check` catches each mistake.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use veriff_mock_contract::{SharedSecret, UnknownValue, VerifyError, Webhook, sign_hex};

/// How long the [`Flaw::Slow`] receiver waits before answering: longer than `check`'s default
/// 2 s timeout.
pub const SLOW_FLAW_DELAY: Duration = Duration::from_secs(3);

/// One mistake a receiver can make on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flaw {
    /// Accepts any signature, or none.
    SkipSignature,
    /// Verifies the HMAC of the body parsed and re-serialized as compact JSON (what
    /// `JSON.stringify(req.body)` does, as Veriff's own demo receiver) instead of the raw bytes:
    /// breaks on pretty-printed bodies and escaped non-ASCII.
    Restringify,
    /// Verifies the HMAC of the body with its leading and trailing whitespace trimmed (what
    /// `body.strip()` or `trim()` before hashing does) instead of the raw bytes: breaks on a body
    /// that ends in a newline.
    TrimBody,
    /// Compares the hex signature case-sensitively with its own lower-case hex.
    CaseSensitiveHex,
    /// Accepts a signature when its own hex starts with the one given (trimmed, lower-cased), as
    /// `expected.startswith(sig.strip().lower())` does: an empty or truncated signature passes.
    PrefixSignature,
    /// Rejects (400) a payload with a field its schema does not know, at the top level (or in a
    /// decision's `verification`).
    StrictSchema,
    /// Answers 500 to a webhook of an event type it does not know.
    UnknownKind500,
    /// Answers 500 to a decision or Full Auto webhook whose `person` or `document` is null, or
    /// to a decision whose person has a null `firstName` (as code that reads `person.firstName`
    /// without a check crashes on expired sessions, and on resubmissions where nothing could be
    /// read).
    NullPerson500,
    /// Answers 500 to the second (and later) delivery of the same payload.
    NotIdempotent,
    /// Answers after [`SLOW_FLAW_DELAY`].
    Slow,
}

impl Flaw {
    /// Every flaw.
    pub const ALL: [Flaw; 10] = [
        Flaw::SkipSignature,
        Flaw::Restringify,
        Flaw::TrimBody,
        Flaw::CaseSensitiveHex,
        Flaw::PrefixSignature,
        Flaw::StrictSchema,
        Flaw::UnknownKind500,
        Flaw::NullPerson500,
        Flaw::NotIdempotent,
        Flaw::Slow,
    ];

    /// The command-line name (`skip-signature`, `restringify`, …).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Flaw::SkipSignature => "skip-signature",
            Flaw::Restringify => "restringify",
            Flaw::TrimBody => "trim-body",
            Flaw::CaseSensitiveHex => "case-sensitive-hex",
            Flaw::PrefixSignature => "prefix-signature",
            Flaw::StrictSchema => "strict-schema",
            Flaw::UnknownKind500 => "unknown-kind-500",
            Flaw::NullPerson500 => "null-person-500",
            Flaw::NotIdempotent => "not-idempotent",
            Flaw::Slow => "slow",
        }
    }

    /// One line on what the flaw does.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Flaw::SkipSignature => "accepts any signature, or none",
            Flaw::Restringify => "hashes re-serialized JSON instead of the raw body",
            Flaw::TrimBody => "hashes the body with surrounding whitespace trimmed",
            Flaw::CaseSensitiveHex => "compares the hex signature case-sensitively",
            Flaw::PrefixSignature => "accepts any prefix of the signature, an empty one included",
            Flaw::StrictSchema => "rejects payloads with unknown fields",
            Flaw::UnknownKind500 => "answers 500 to unknown event types",
            Flaw::NullPerson500 => "answers 500 to a null person, document or first name",
            Flaw::NotIdempotent => "answers 500 to a second delivery of the same payload",
            Flaw::Slow => "answers after 3 s",
        }
    }

    /// The `veriff-mock check` checks that catch this flaw (the property checks may also fail,
    /// where the flaw applies to random payloads).
    #[must_use]
    pub const fn caught_by(self) -> &'static [&'static str] {
        match self {
            Flaw::SkipSignature => &[
                "signature/wrong-secret",
                "signature/missing",
                "signature/empty",
                "signature/truncated",
                "signature/api-key-as-secret",
                "signature/legacy-only",
                "signature/body-changed",
            ],
            Flaw::Restringify => &[
                "compat/pretty-printed",
                "compat/trailing-newline",
                "compat/escaped-non-ascii",
            ],
            Flaw::TrimBody => &["compat/trailing-newline"],
            Flaw::CaseSensitiveHex => &["signature/uppercase-hex"],
            Flaw::PrefixSignature => &["signature/empty", "signature/truncated"],
            Flaw::StrictSchema => &["compat/unknown-fields"],
            Flaw::UnknownKind500 => &["compat/unknown-event-type"],
            Flaw::NullPerson500 => &["compat/null-person-document"],
            Flaw::NotIdempotent => &["delivery/duplicate"],
            Flaw::Slow => &["delivery/response-time"],
        }
    }

    /// The signature check this flaw does instead of the right one, or `None` for the right one.
    pub(crate) fn verify(
        self,
        secret: &SharedSecret,
        body: &[u8],
        header: Option<&str>,
    ) -> Option<Result<(), VerifyError>> {
        match self {
            Flaw::SkipSignature => Some(Ok(())),
            Flaw::Restringify => {
                let restrung = serde_json::from_slice::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| serde_json::to_vec(&v).ok())
                    .unwrap_or_default();
                Some(veriff_mock_contract::verify(secret, &restrung, header))
            }
            Flaw::TrimBody => Some(veriff_mock_contract::verify(
                secret,
                body.trim_ascii(),
                header,
            )),
            Flaw::CaseSensitiveHex => Some(match header.map(str::trim) {
                None | Some("") => Err(VerifyError::Missing),
                Some(given) if given == sign_hex(secret, body) => Ok(()),
                Some(_) => Err(VerifyError::Mismatch),
            }),
            Flaw::PrefixSignature => Some(match header {
                None => Err(VerifyError::Missing),
                Some(given)
                    if sign_hex(secret, body).starts_with(&given.trim().to_ascii_lowercase()) =>
                {
                    Ok(())
                }
                Some(_) => Err(VerifyError::Mismatch),
            }),
            _ => None,
        }
    }

    /// For [`Flaw::NullPerson500`]: the decision or Full Auto webhook has no `person` or no
    /// `document` (null or absent), or the decision's person has no `firstName`.
    pub(crate) fn null_person_or_document(webhook: &Webhook) -> bool {
        match webhook {
            Webhook::Decision(d) => {
                let v = &d.verification;
                v.document.is_none() || v.person.as_ref().is_none_or(|p| p.first_name.is_none())
            }
            Webhook::FullAuto(f) => {
                let v = &f.data.verification;
                v.person.is_none() || v.document.is_none()
            }
            _ => false,
        }
    }

    /// For [`Flaw::StrictSchema`]: the first field of `webhook` its schema does not know.
    pub(crate) fn unknown_field(webhook: &Webhook) -> Option<String> {
        let top = match webhook {
            Webhook::Decision(d) => d
                .extra
                .keys()
                .next()
                .or_else(|| d.verification.extra.keys().next()),
            Webhook::Event(p) => p.extra.keys().next(),
            Webhook::UserStatus(p) => p.extra.keys().next(),
            Webhook::Watchlist(p) => p.extra.keys().next(),
            Webhook::FullAuto(p) => p.extra.keys().next(),
            Webhook::Ine(p) => p.extra.keys().next(),
            Webhook::Curp(p) => p.extra.keys().next(),
            Webhook::IneCurp(p) => p.extra.keys().next(),
            Webhook::Unknown(_) => None,
        };
        top.cloned()
    }
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Flaw {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Flaw::ALL
            .into_iter()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| UnknownValue {
                what: "flaw",
                given: s.to_owned(),
                expected: Flaw::ALL.iter().map(|f| f.name().to_owned()).collect(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_person_covers_a_decision_where_nothing_was_read() {
        let decision = |person: &str, document: &str| {
            let body = format!(
                r#"{{"status":"success","verification":{{"id":"54608146-258b-4950-ad3b-94233041852d","attemptId":"6ff899c6-3011-4170-a54c-39411be3ecf5","vendorData":null,"endUserId":null,"status":"resubmission_requested","code":9103,"reason":"Video and/or photos missing","reasonCode":201,"decisionTime":"2026-01-01T00:13:20.214Z","acceptanceTime":"2026-01-01T00:00:02.580Z","person":{person},"document":{document},"additionalVerifiedData":{{}},"comments":[]}},"technicalData":{{"ip":null}}}}"#
            );
            Webhook::parse(body.as_bytes()).unwrap()
        };
        let unread = r#"{"firstName":null,"lastName":null,"addresses":[]}"#;
        let read = r#"{"firstName":"SARAH","lastName":"MORGAN","addresses":[]}"#;
        let document = r#"{"type":"PASSPORT","number":null}"#;
        assert!(Flaw::null_person_or_document(&decision(unread, document)));
        assert!(Flaw::null_person_or_document(&decision("null", document)));
        assert!(Flaw::null_person_or_document(&decision(read, "null")));
        assert!(!Flaw::null_person_or_document(&decision(read, document)));
    }

    #[test]
    fn names_round_trip() {
        for flaw in Flaw::ALL {
            assert_eq!(flaw.name().parse::<Flaw>().unwrap(), flaw);
        }
        let err = "nope".parse::<Flaw>().unwrap_err().to_string();
        assert!(err.contains("restringify"), "{err}");
    }

    #[test]
    fn flawed_checks_differ_from_the_right_one_where_they_should() {
        let secret = SharedSecret::new("s3cret").unwrap();
        let pretty = b"{\n  \"a\": 1\n}";
        let good = sign_hex(&secret, pretty);
        assert!(veriff_mock_contract::verify(&secret, pretty, Some(&good)).is_ok());
        assert!(
            Flaw::Restringify
                .verify(&secret, pretty, Some(&good))
                .unwrap()
                .is_err()
        );
        let newline = b"{\"a\": 1}\n";
        let signed = sign_hex(&secret, newline);
        assert!(
            Flaw::TrimBody
                .verify(&secret, newline, Some(&signed))
                .unwrap()
                .is_err()
        );
        assert!(
            Flaw::TrimBody
                .verify(&secret, pretty, Some(&good))
                .unwrap()
                .is_ok()
        );
        for forged in ["", &good[..32]] {
            assert!(veriff_mock_contract::verify(&secret, pretty, Some(forged)).is_err());
            assert!(
                Flaw::PrefixSignature
                    .verify(&secret, pretty, Some(forged))
                    .unwrap()
                    .is_ok()
            );
        }
        assert!(
            Flaw::PrefixSignature
                .verify(&secret, pretty, Some(&good[1..]))
                .unwrap()
                .is_err()
        );
        let upper = good.to_ascii_uppercase();
        assert!(
            Flaw::CaseSensitiveHex
                .verify(&secret, pretty, Some(&upper))
                .unwrap()
                .is_err()
        );
        assert!(
            Flaw::CaseSensitiveHex
                .verify(&secret, pretty, Some(&good))
                .unwrap()
                .is_ok()
        );
        assert!(
            Flaw::SkipSignature
                .verify(&secret, pretty, None)
                .unwrap()
                .is_ok()
        );
        assert!(Flaw::Slow.verify(&secret, pretty, None).is_none());
    }
}
