//! Status codes, statuses and reason codes, as Veriff's docs publish them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares a string enum that keeps values it does not know (`Unknown(String)`), so a payload
/// with a status Veriff adds later still parses and re-serializes unchanged.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know; kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every known value, in the docs' order.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            /// The wire spelling.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(s) => s,
                }
            }

            /// Parses a wire value; unknown text becomes [`Self::Unknown`].
            #[must_use]
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($text => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// `true` for values this version knows.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = crate::UnknownValue;
            /// Strict parse for command lines: only known values.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match Self::from_wire(s) {
                    Self::Unknown(_) => Err(crate::UnknownValue {
                        what: stringify!($name),
                        given: s.to_owned(),
                        expected: Self::KNOWN.iter().map(|v| v.as_str().to_owned()).collect(),
                    }),
                    known => Ok(known),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from_wire(&s))
            }
        }
    };
}

/// The code one of Veriff's API pages gives `abandoned` decisions ("9121 - Abandoned"), where the
/// status-codes table gives 9104 and keeps 9121 for `review`. The table is the default.
pub const ABANDONED_API_CODE: u16 = 9121;

open_enum! {
    /// `verification.status` of a decision webhook.
    DecisionStatus {
        /// 9001
        Approved = "approved",
        /// 9102
        Declined = "declined",
        /// 9103
        ResubmissionRequested = "resubmission_requested",
        /// 9121
        Review = "review",
        /// 9104: the session was never started within its 7 days.
        Expired = "expired",
        /// 9104: the session was started but not finished within its 7 days.
        Abandoned = "abandoned",
    }
}

impl DecisionStatus {
    /// The decision `code` for this status (docs table; 9121 is `review`).
    #[must_use]
    pub fn code(&self) -> Option<u16> {
        Some(match self {
            Self::Approved => 9001,
            Self::Declined => 9102,
            Self::ResubmissionRequested => 9103,
            Self::Expired | Self::Abandoned => 9104,
            Self::Review => 9121,
            Self::Unknown(_) => return None,
        })
    }

    /// Whether `code` is a code Veriff documents for this status: [`DecisionStatus::code`], or
    /// for `abandoned` also [`ABANDONED_API_CODE`], which one of Veriff's API pages gives it.
    #[must_use]
    pub fn accepts_code(&self, code: u16) -> bool {
        self.code() == Some(code) || (*self == Self::Abandoned && code == ABANDONED_API_CODE)
    }

    /// Whether a `reason`/`reasonCode` belongs with this status (declined and
    /// resubmission_requested); for the others both are `null`.
    #[must_use]
    pub fn has_reason(&self) -> bool {
        matches!(self, Self::Declined | Self::ResubmissionRequested)
    }

    /// Whether Veriff sends `person`, `document` and `decisionTime` as `null` (no data captured).
    #[must_use]
    pub fn has_no_data(&self) -> bool {
        matches!(self, Self::Expired | Self::Abandoned)
    }

    /// The reason table that applies to this status, if any.
    #[must_use]
    pub fn reasons(&self) -> &'static [Reason] {
        match self {
            Self::Declined => DECLINE_REASONS,
            Self::ResubmissionRequested => RESUBMISSION_REASONS,
            _ => &[],
        }
    }
}

open_enum! {
    /// `action` of an event webhook.
    EventAction {
        /// 7001: the end-user started the flow.
        Started = "started",
        /// 7002: the end-user submitted the flow.
        Submitted = "submitted",
    }
}

impl EventAction {
    /// The event `code`.
    #[must_use]
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Started => Some(7001),
            Self::Submitted => Some(7002),
            Self::Unknown(_) => None,
        }
    }
}

open_enum! {
    /// `matchStatus` of a watchlist-screening webhook.
    MatchStatus {
        /// No hits.
        NoMatch = "no_match",
        /// One or more hits.
        PossibleMatch = "possible_match",
    }
}

open_enum! {
    /// `checkType` of a watchlist-screening webhook.
    CheckType {
        /// First screening, after the session.
        InitialResult = "initial_result",
        /// Ongoing monitoring found a change.
        UpdatedResult = "updated_result",
    }
}

open_enum! {
    /// `data.verification.decision` of a Full Auto webhook.
    FullAutoDecision {
        /// Approved.
        Approved = "approved",
        /// Declined.
        Declined = "declined",
        /// Resubmission requested.
        ResubmissionRequested = "resubmission_requested",
        /// Expired.
        Expired = "expired",
        /// Abandoned.
        Abandoned = "abandoned",
    }
}

/// A reason code and its published text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason {
    /// `reasonCode`.
    pub code: u16,
    /// `reason`.
    pub text: &'static str,
}

const fn r(code: u16, text: &'static str) -> Reason {
    Reason { code, text }
}

/// Reason codes of `declined` decisions.
pub const DECLINE_REASONS: &[Reason] = &[
    r(101, "Physical document not used"),
    r(102, "Suspected document tampering"),
    r(
        103,
        "Person showing the document does not appear to match document photo",
    ),
    r(104, "Name entered does not match name on document"),
    r(105, "Suspicious behaviour"),
    r(106, "Known fraud"),
    r(108, "Velocity/abuse duplicated end-user"),
    r(109, "Velocity/abuse duplicated device"),
    r(110, "Velocity/abuse duplicated ID"),
    r(111, "Session fraudulently accessed"),
    r(112, "Restricted IP location"),
    r(113, "Suspicious behaviour - Identity Farming"),
    r(
        120,
        "Person on the portrait does not appear to match reference photo",
    ),
    r(121, "User ID missing"),
    r(122, "No reference found"),
    r(123, "Unable to pass registry checks"),
    r(124, "Face already exists in the face collection"),
    r(127, "Face match with blocklist"),
    r(128, "End User ID mismatch"),
    r(129, "Invalid workflow"),
];

/// Reason codes of `resubmission_requested` decisions.
pub const RESUBMISSION_REASONS: &[Reason] = &[
    r(201, "Video and/or photos missing"),
    r(202, "Face not clearly visible"),
    r(203, "Full document not visible"),
    r(204, "Poor image quality"),
    r(205, "Document damaged"),
    r(206, "Document type not supported"),
    r(207, "Document expired"),
];

/// Granular reason codes, sent only to integrations that opt in. 539 declines the tenth attempt
/// of a session (after nine resubmissions).
pub const GRANULAR_REASON_CODES: &[u16] = &[
    107, 126, 501, 502, 503, 504, 505, 507, 508, 509, 510, 511, 515, 526, 527, 528, 530, 531, 532,
    533, 534, 535, 536, 537, 539,
];

/// The published text of a decline or resubmission reason code.
#[must_use]
pub fn reason_text(code: u16) -> Option<&'static str> {
    DECLINE_REASONS
        .iter()
        .chain(RESUBMISSION_REASONS)
        .find(|r| r.code == code)
        .map(|r| r.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_docs_table() {
        let table = [
            ("approved", 9001),
            ("declined", 9102),
            ("resubmission_requested", 9103),
            ("expired", 9104),
            ("abandoned", 9104),
            ("review", 9121),
        ];
        for (status, code) in table {
            assert_eq!(status.parse::<DecisionStatus>().unwrap().code(), Some(code));
        }
        assert_eq!(EventAction::Started.code(), Some(7001));
        assert_eq!(EventAction::Submitted.code(), Some(7002));
    }

    #[test]
    fn unknown_values_round_trip() {
        let s: DecisionStatus = serde_json::from_str("\"on_hold\"").unwrap();
        assert_eq!(s, DecisionStatus::Unknown("on_hold".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"on_hold\"");
        assert!("on_hold".parse::<DecisionStatus>().is_err());
    }

    #[test]
    fn reason_tables() {
        assert_eq!(reason_text(102), Some("Suspected document tampering"));
        assert_eq!(reason_text(207), Some("Document expired"));
        assert_eq!(reason_text(539), None);
        assert!(DECLINE_REASONS.iter().all(|r| (100..200).contains(&r.code)));
        assert!(
            RESUBMISSION_REASONS
                .iter()
                .all(|r| (200..300).contains(&r.code))
        );
    }
}
