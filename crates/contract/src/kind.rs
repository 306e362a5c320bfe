//! The webhook kinds, as the command line names them.

use std::fmt;
use std::str::FromStr;

/// A webhook kind. Veriff sends each kind to its own URL; there is no shared envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Verification decision.
    Decision,
    /// Flow event: started / submitted.
    Event,
    /// User-defined status added in the portal.
    UserStatus,
    /// Watchlist screening (PEP, sanctions, adverse media).
    Watchlist,
    /// Full Auto decision.
    FullAuto,
    /// Mexican INE registry (legacy).
    Ine,
    /// Mexican CURP registry (legacy).
    Curp,
    /// Combined INE+CURP registry (legacy).
    IneCurp,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 8] = [
        Kind::Decision,
        Kind::Event,
        Kind::UserStatus,
        Kind::Watchlist,
        Kind::FullAuto,
        Kind::Ine,
        Kind::Curp,
        Kind::IneCurp,
    ];

    /// The command-line name: `decision`, `event`, `user-status`, …
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Decision => "decision",
            Kind::Event => "event",
            Kind::UserStatus => "user-status",
            Kind::Watchlist => "watchlist",
            Kind::FullAuto => "fullauto",
            Kind::Ine => "ine",
            Kind::Curp => "curp",
            Kind::IneCurp => "ine-curp",
        }
    }

    /// The statuses the generator can produce for this kind; the first is the default.
    ///
    /// - decision: `verification.status`
    /// - event: `action`
    /// - user-status: the event type (`created`, i.e. `user-status.created`)
    /// - watchlist: `matchStatus`
    /// - fullauto: `data.verification.decision`
    /// - ine: the credential's state in the registry
    /// - curp, ine-curp: whether the registry found the person
    #[must_use]
    pub const fn statuses(self) -> &'static [&'static str] {
        match self {
            Kind::Decision => &[
                "approved",
                "declined",
                "resubmission_requested",
                "review",
                "expired",
                "abandoned",
            ],
            Kind::Event => &["started", "submitted"],
            Kind::UserStatus => &["created"],
            Kind::Watchlist => &["no_match", "possible_match"],
            Kind::FullAuto => &[
                "approved",
                "declined",
                "resubmission_requested",
                "expired",
                "abandoned",
            ],
            Kind::Ine => &["active", "inactive", "not_found"],
            Kind::Curp | Kind::IneCurp => &["found", "not_found"],
        }
    }

    /// Checks that `status` is one of [`Kind::statuses`].
    ///
    /// # Errors
    /// [`crate::UnknownValue`] listing the statuses this kind has.
    pub fn check_status(self, status: &str) -> Result<(), crate::UnknownValue> {
        if self.statuses().contains(&status) {
            Ok(())
        } else {
            Err(crate::UnknownValue {
                what: match self {
                    Kind::Decision => "decision status",
                    Kind::Event => "event status",
                    Kind::UserStatus => "user-status status",
                    Kind::Watchlist => "watchlist status",
                    Kind::FullAuto => "fullauto status",
                    Kind::Ine => "ine status",
                    Kind::Curp => "curp status",
                    Kind::IneCurp => "ine-curp status",
                },
                given: status.to_owned(),
                expected: self.statuses().iter().map(|s| (*s).to_owned()).collect(),
            })
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = crate::UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == wanted || (wanted == "full-auto" && *k == Kind::FullAuto))
            .ok_or_else(|| crate::UnknownValue {
                what: "kind",
                given: s.to_owned(),
                expected: Kind::ALL.iter().map(|k| k.name().to_owned()).collect(),
            })
    }
}

/// A value outside a closed set, with the values that are allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; expected one of: {}", expected.join(", "))]
pub struct UnknownValue {
    /// What was being parsed.
    pub what: &'static str,
    /// What was given.
    pub given: String,
    /// What is allowed.
    pub expected: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.name().parse::<Kind>().unwrap(), k);
        }
        assert_eq!("user_status".parse::<Kind>().unwrap(), Kind::UserStatus);
        let err = "decisoin".parse::<Kind>().unwrap_err().to_string();
        assert!(
            err.contains("decisoin") && err.contains("ine-curp"),
            "{err}"
        );
    }

    #[test]
    fn statuses_are_checked() {
        assert!(Kind::Decision.check_status("review").is_ok());
        let err = Kind::Event
            .check_status("approved")
            .unwrap_err()
            .to_string();
        assert!(err.contains("started, submitted"), "{err}");
    }
}
