//! Session timelines: the webhooks one verification session produces, in causal order, with
//! realistic gaps, all reproducible from the seed.
//!
//! Every payload of a timeline is generated for the same `(seed, session)` index, so they share
//! the session id, person and `vendorData`. Offsets are measured from the session's creation:
//!
//! | scenario | webhooks |
//! |---|---|
//! | `approved` | started → submitted (minutes) → decision approved (minutes) |
//! | `resubmission` | started → submitted → decision resubmission_requested (held 5 min) → a new attempt (new `attemptId`): started → submitted → approved |
//! | `declined` | started → submitted → decision declined → user-status (minutes to days later) |
//! | `expired` | decision expired, 7 days after creation |
//! | `abandoned` | started → decision abandoned, 7 days after creation |
//! | `aml` | started → submitted → decision approved → watchlist `initial_result` (no_match) → days later watchlist `updated_result` (possible_match, ongoing monitoring) |
//! | `fullauto` | started → submitted → fullauto approved (an Essential-plan session: Full Auto replaces the decision webhook) |
//! | `mixed` | one of the above, drawn per session (mostly approved), or a resubmission whose user resubmits within the 5-minute hold: the held resubmission_requested decision is dropped, and only the new attempt's decision is sent |

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use veriff_mock_contract::{Kind, UnknownValue};

use crate::rng::Rand;
use crate::session::Session;
use crate::time::{DAY_MS, MIN_MS, iso_millis};
use crate::{Generator, Payload};

const STREAM_SCENARIO: u64 = 0x5CE7_A210;
/// How long Veriff holds a `resubmission_requested` decision of an SDK session.
const HOLD_MS: i64 = 5 * MIN_MS;

/// A named session lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Started, submitted, approved.
    Approved,
    /// Resubmission requested, then a new attempt that is approved.
    Resubmission,
    /// Declined, then a user-defined status.
    Declined,
    /// Never started; expired after 7 days.
    Expired,
    /// Started but not finished; abandoned after 7 days.
    Abandoned,
    /// Approved plus watchlist screening, later an ongoing-monitoring update.
    Aml,
    /// An Essential-plan session: events, then the Full Auto webhook (no decision webhook).
    FullAuto,
    /// A mix of the above, drawn per session.
    Mixed,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 8] = [
        Scenario::Approved,
        Scenario::Resubmission,
        Scenario::Declined,
        Scenario::Expired,
        Scenario::Abandoned,
        Scenario::Aml,
        Scenario::FullAuto,
        Scenario::Mixed,
    ];

    /// The command-line name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Scenario::Approved => "approved",
            Scenario::Resubmission => "resubmission",
            Scenario::Declined => "declined",
            Scenario::Expired => "expired",
            Scenario::Abandoned => "abandoned",
            Scenario::Aml => "aml",
            Scenario::FullAuto => "fullauto",
            Scenario::Mixed => "mixed",
        }
    }

    /// The kinds of webhook this scenario sends (the URLs a run of it needs).
    #[must_use]
    pub const fn kinds(self) -> &'static [Kind] {
        match self {
            Scenario::Approved | Scenario::Resubmission | Scenario::Abandoned => {
                &[Kind::Event, Kind::Decision]
            }
            Scenario::Declined => &[Kind::Event, Kind::Decision, Kind::UserStatus],
            Scenario::Expired => &[Kind::Decision],
            Scenario::Aml => &[Kind::Event, Kind::Decision, Kind::Watchlist],
            Scenario::FullAuto => &[Kind::Event, Kind::FullAuto],
            Scenario::Mixed => &[
                Kind::Event,
                Kind::Decision,
                Kind::UserStatus,
                Kind::Watchlist,
                Kind::FullAuto,
            ],
        }
    }

    /// The timeline of session `session` under `generator`'s seed and anchor (its kind, status
    /// and overrides are not used): `(offset from the session's creation, payload)`, ordered by
    /// offset.
    #[must_use]
    pub fn timeline(self, generator: &Generator, session: u64) -> Vec<(Duration, Payload)> {
        let mut rng = Rand::new(generator.seed(), STREAM_SCENARIO, session);
        // `mixed` also plays a resubmission whose user resubmits within the 5-minute hold, so
        // the resubmission_requested webhook is never sent (the 8th weight).
        let (scenario, quick) = match self {
            Scenario::Mixed => {
                let weights = [50, 10, 12, 5, 6, 10, 7, 4];
                match rng.weighted(&weights) {
                    7 => (Scenario::Resubmission, true),
                    i => (Scenario::ALL[i], false),
                }
            }
            other => (other, false),
        };
        let anchor_ms = generator.get_anchor().timestamp_millis();
        let start_ms = Session::draw(generator.seed(), session, anchor_ms, None).created_ms;
        let at = |kind: Kind, status: &str| -> Payload {
            let g = generator.clone().kind(kind);
            let g = g.clone().status(status).unwrap_or(g);
            // The `aml` scenario rewrites its own ongoing-monitoring update below.
            Generator {
                overrides: Vec::new(),
                options: crate::build::Options {
                    initial_watchlist: true,
                },
                ..g
            }
            .payload(session)
        };
        let mut out = Vec::new();
        match scenario {
            Scenario::Approved | Scenario::Mixed => {
                out.extend([
                    at(Kind::Event, "started"),
                    at(Kind::Event, "submitted"),
                    at(Kind::Decision, "approved"),
                ]);
            }
            Scenario::Declined => out.extend([
                at(Kind::Event, "started"),
                at(Kind::Event, "submitted"),
                at(Kind::Decision, "declined"),
                at(Kind::UserStatus, "created"),
            ]),
            Scenario::Expired => out.push(at(Kind::Decision, "expired")),
            Scenario::Abandoned => {
                out.extend([at(Kind::Event, "started"), at(Kind::Decision, "abandoned")])
            }
            Scenario::FullAuto => out.extend([
                at(Kind::Event, "started"),
                at(Kind::Event, "submitted"),
                at(Kind::FullAuto, "approved"),
            ]),
            Scenario::Aml => {
                out.extend([
                    at(Kind::Event, "started"),
                    at(Kind::Event, "submitted"),
                    at(Kind::Decision, "approved"),
                    at(Kind::Watchlist, "no_match"),
                ]);
                let later = at(Kind::Watchlist, "possible_match");
                let shift = rng.range(DAY_MS, 30 * DAY_MS);
                out.push(rewrite(later, shift, None, Some("updated_result")));
            }
            Scenario::Resubmission => {
                let first = [
                    at(Kind::Event, "started"),
                    at(Kind::Event, "submitted"),
                    at(Kind::Decision, "resubmission_requested"),
                ];
                let resubmission_sent = first[2].sent_at.timestamp_millis();
                let original_start = first[0].sent_at.timestamp_millis();
                let attempt = rng.uuid();
                let next_start = if quick {
                    // Resubmitted during the hold: Veriff drops the held decision.
                    let [started, submitted, _held] = first;
                    out.extend([started, submitted]);
                    resubmission_sent - HOLD_MS + rng.range(MIN_MS / 2, 4 * MIN_MS)
                } else {
                    out.extend(first);
                    resubmission_sent + rng.range(2 * MIN_MS, 30 * MIN_MS)
                };
                let shift = next_start - original_start;
                for p in [
                    at(Kind::Event, "started"),
                    at(Kind::Event, "submitted"),
                    at(Kind::Decision, "approved"),
                ] {
                    out.push(rewrite(p, shift, Some(&attempt), None));
                }
            }
        }
        out.sort_by_key(|p| p.sent_at);
        out.into_iter()
            .map(|p| {
                let offset = (p.sent_at.timestamp_millis() - start_ms).max(0);
                (Duration::from_millis(offset.unsigned_abs()), p)
            })
            .collect()
    }
}

/// Moves a payload `shift_ms` later (its send time and every timestamp in it), optionally with a
/// new attempt id and watchlist check type.
fn rewrite(
    mut p: Payload,
    shift_ms: i64,
    attempt: Option<&str>,
    check_type: Option<&str>,
) -> Payload {
    let Ok(mut value) = serde_json::from_slice::<Value>(&p.body) else {
        return p;
    };
    shift_times(&mut value, shift_ms);
    if let Some(attempt) = attempt {
        set_attempt(&mut value, attempt);
        p.attempt_id = attempt.to_owned();
    }
    if let (Some(ct), Some(obj)) = (check_type, value.as_object_mut()) {
        obj.insert("checkType".into(), Value::String(ct.to_owned()));
    }
    if let Ok(body) = serde_json::to_vec(&value) {
        p.body = Bytes::from(body);
    }
    let sent = p.sent_at.timestamp_millis() + shift_ms;
    p.sent_at = Utc.timestamp_millis_opt(sent).single().unwrap_or(p.sent_at);
    p
}

/// Timestamps a later webhook of the session moves with. Not `acceptanceTime`: that is when the
/// session was generated, the same in every decision of the session.
const TIME_KEYS: &[&str] = &["decisionTime", "time", "createdAt"];

fn shift_times(v: &mut Value, shift_ms: i64) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if TIME_KEYS.contains(&k.as_str())
                    && let Some(t) = child.as_str().and_then(crate::time::parse_instant_micros)
                {
                    *child = Value::String(iso_millis(t / 1000 + shift_ms));
                } else {
                    shift_times(child, shift_ms);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| shift_times(i, shift_ms)),
        _ => {}
    }
}

fn set_attempt(v: &mut Value, attempt: &str) {
    if let Value::Object(map) = v {
        for (k, child) in map.iter_mut() {
            if k == "attemptId" {
                *child = Value::String(attempt.to_owned());
            } else {
                set_attempt(child, attempt);
            }
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Scenario::ALL
            .into_iter()
            .find(|x| x.name() == wanted)
            .ok_or_else(|| UnknownValue {
                what: "scenario",
                given: s.to_owned(),
                expected: Scenario::ALL.iter().map(|x| x.name().to_owned()).collect(),
            })
    }
}
