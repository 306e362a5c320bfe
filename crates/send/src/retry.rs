//! The retry policy: data plus a pure [`RetryPolicy::next_delay`].
//!
//! The `veriff` preset mirrors what Veriff documents ("about once an hour for up to 7 days, or
//! until a 200"): 7 × 24 = **168 retries one hour apart, so at most 169 attempts** per payload.
//! Veriff publishes neither jitter nor the exact count; both are choices documented here.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::outcome::Outcome;

/// Parsing a retry schedule or a duration failed. The message names the bad token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input is empty.
    #[error("empty retry schedule: expected `veriff`, `none` or a list such as `5s,1m,10m`")]
    Empty,
    /// A token is not a duration.
    #[error(
        "bad duration {token:?} in retry schedule ({reason}): write e.g. 500ms, 5s, 1m, 2h, 1d"
    )]
    BadDuration {
        /// The offending token.
        token: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Parses a duration such as `500ms`, `5s`, `1m`, `2h` or `1d`, as every duration flag reads
/// them (`humantime`'s syntax: `1h 30m` and unit names such as `5sec` work too).
///
/// # Errors
/// [`ParseError::BadDuration`] naming the token and what is wrong with it.
pub fn parse_duration(token: &str) -> Result<Duration, ParseError> {
    humantime::parse_duration(token.trim()).map_err(|e| ParseError::BadDuration {
        token: token.to_owned(),
        reason: e.to_string(),
    })
}

/// A duration as [`parse_duration`] reads it, in its largest whole unit: `5s`, `10m`, `1500ms`.
fn short_duration(d: Duration) -> String {
    let ms = d.as_millis();
    [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ]
    .into_iter()
    .find(|(unit, _)| ms > 0 && ms.is_multiple_of(*unit))
    .map_or_else(
        || format!("{ms}ms"),
        |(unit, name)| format!("{}{name}", ms / unit),
    )
}

/// When to retry.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// `retries` retries, each `interval` after the previous attempt (`veriff`: 168 × 1 h).
    Fixed {
        /// The wait between attempts.
        interval: Duration,
        /// How many retries after the first attempt.
        retries: u32,
    },
    /// Retry `i` waits `delays[i - 1]`; exhausted after the list.
    List(Vec<Duration>),
}

/// Seeded jitter: each wait is multiplied by a factor in `[1 - fraction, 1 + fraction]`, drawn
/// deterministically from `(seed, key, attempt)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter {
    /// 0.0 ..= 1.0.
    pub fraction: f64,
    /// Seed; the same seed gives the same waits.
    pub seed: u64,
}

/// Retry policy as data. Build with [`RetryPolicy::veriff`], [`RetryPolicy::none`],
/// [`RetryPolicy::list`] or by parsing `"veriff"`, `"none"`, `"5s,1m,10m"`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// The schedule of waits.
    pub schedule: Schedule,
    /// Accept any 2xx as success (Veriff: only 200).
    pub accept_2xx: bool,
    /// Every wait is divided by this (3600 turns an hour into a second). Values ≤ 0 or NaN act as 1.
    pub time_scale: f64,
    /// Optional seeded jitter.
    pub jitter: Option<Jitter>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::veriff()
    }
}

/// Veriff's documented retry window: hourly for 7 days.
pub const VERIFF_RETRIES: u32 = 7 * 24;

impl RetryPolicy {
    /// Veriff's behaviour: success is HTTP 200 only; anything else is retried hourly, 168 times.
    #[must_use]
    pub fn veriff() -> Self {
        Self::from_schedule(Schedule::Fixed {
            interval: Duration::from_secs(3600),
            retries: VERIFF_RETRIES,
        })
    }

    /// No retries: one attempt per payload.
    #[must_use]
    pub fn none() -> Self {
        Self::from_schedule(Schedule::List(Vec::new()))
    }

    /// A custom list of waits.
    #[must_use]
    pub fn list(delays: Vec<Duration>) -> Self {
        Self::from_schedule(Schedule::List(delays))
    }

    fn from_schedule(schedule: Schedule) -> Self {
        Self {
            schedule,
            accept_2xx: false,
            time_scale: 1.0,
            jitter: None,
        }
    }

    /// Sets [`RetryPolicy::accept_2xx`].
    #[must_use]
    pub fn accept_2xx(mut self, yes: bool) -> Self {
        self.accept_2xx = yes;
        self
    }

    /// Sets [`RetryPolicy::time_scale`].
    #[must_use]
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// Sets [`RetryPolicy::jitter`].
    #[must_use]
    pub fn jitter(mut self, fraction: f64, seed: u64) -> Self {
        self.jitter = Some(Jitter {
            fraction: fraction.clamp(0.0, 1.0),
            seed,
        });
        self
    }

    /// The most attempts a payload can get (first attempt included).
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        match &self.schedule {
            Schedule::Fixed { retries, .. } => retries.saturating_add(1),
            Schedule::List(l) => u32::try_from(l.len()).unwrap_or(u32::MAX).saturating_add(1),
        }
    }

    /// The longest wait of the schedule, unscaled.
    #[must_use]
    pub fn max_delay(&self) -> Duration {
        match &self.schedule {
            Schedule::Fixed { interval, .. } => *interval,
            Schedule::List(l) => l.iter().copied().max().unwrap_or_default(),
        }
    }

    /// Whether `code` counts as a successful delivery.
    #[must_use]
    pub fn is_success(&self, code: u16) -> bool {
        code == 200 || (self.accept_2xx && (200..300).contains(&code))
    }

    /// Whether `outcome` is a success.
    #[must_use]
    pub fn is_success_outcome(&self, outcome: &Outcome) -> bool {
        outcome.code().is_some_and(|c| self.is_success(c))
    }

    /// Divides a wait by the time scale.
    #[must_use]
    pub fn scale(&self, d: Duration) -> Duration {
        let s = self.time_scale;
        if s.is_finite() && s > 0.0 && (s - 1.0).abs() > f64::EPSILON {
            Duration::try_from_secs_f64(d.as_secs_f64() / s).unwrap_or(Duration::MAX)
        } else {
            d
        }
    }

    /// The wait before the next attempt after attempt number `attempt` (1-based) ended with
    /// `outcome`, already divided by the time scale; `None` when there is no next attempt
    /// (success, or the schedule is exhausted). Pure: no clock, no I/O.
    #[must_use]
    pub fn next_delay(&self, attempt: u32, outcome: &Outcome) -> Option<Duration> {
        self.next_delay_for(0, attempt, outcome)
    }

    /// [`RetryPolicy::next_delay`] with a per-delivery `key` (the delivery id) mixed into the
    /// jitter, so deliveries that failed together do not retry in lock step.
    #[must_use]
    pub fn next_delay_for(&self, key: u64, attempt: u32, outcome: &Outcome) -> Option<Duration> {
        if self.is_success_outcome(outcome) || attempt == 0 {
            return None;
        }
        let base = match &self.schedule {
            Schedule::Fixed { interval, retries } => (attempt <= *retries).then_some(*interval)?,
            Schedule::List(l) => *l.get(usize::try_from(attempt - 1).ok()?)?,
        };
        let mut wait = base;
        if let Some(j) = self.jitter {
            let r = splitmix64(j.seed ^ splitmix64(key ^ u64::from(attempt).rotate_left(32)));
            // r in [0, 1): factor in [1 - f, 1 + f].
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            let factor = 1.0 + j.fraction * (2.0 * unit - 1.0);
            wait = Duration::try_from_secs_f64(wait.as_secs_f64() * factor).unwrap_or(wait);
        }
        if let Outcome::Status {
            code: 429 | 503,
            retry_after: Some(ra),
        } = outcome
        {
            // A wait the receiver asks for: never sooner than the schedule's (a `Retry-After: 0`
            // must not spend the whole schedule at once), nor past the cap.
            let cap = self.max_delay().saturating_mul(2);
            wait = (*ra).max(wait).min(cap);
        }
        Some(self.scale(wait))
    }
}

/// SplitMix64 step: a small, well-mixed, seedable hash used for jitter and chaos decisions.
#[must_use]
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl FromStr for RetryPolicy {
    type Err = ParseError;

    /// `veriff`, `none`, or a comma-separated list of durations such as `5s,1m,10m`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "" => Err(ParseError::Empty),
            "veriff" => Ok(Self::veriff()),
            "none" => Ok(Self::none()),
            _ => t
                .split(',')
                .map(parse_duration)
                .collect::<Result<Vec<_>, _>>()
                .map(Self::list),
        }
    }
}

impl fmt::Display for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schedule {
            Schedule::Fixed { interval, retries }
                if *interval == Duration::from_secs(3600) && *retries == VERIFF_RETRIES =>
            {
                f.write_str("veriff")
            }
            Schedule::Fixed { interval, retries } => write!(f, "{retries}x{interval:?}"),
            Schedule::List(l) if l.is_empty() => f.write_str("none"),
            Schedule::List(l) => {
                for (i, d) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(&short_duration(*d))?;
                }
                Ok(())
            }
        }
    }
}

/// Parses a `Retry-After` header value: delay-seconds, or an HTTP date relative to `now_unix_ms`.
/// A date in the past gives zero. Returns `None` when the value is neither.
#[must_use]
pub fn parse_retry_after(value: &str, now_unix_ms: i64) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Delay-seconds; a number too large for u64 is "very long", still capped by the policy.
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let date = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let ms = date.timestamp_millis().saturating_sub(now_unix_ms);
    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ErrorKind;

    const H: Duration = Duration::from_secs(3600);

    #[test]
    fn veriff_retries_hourly_168_times_on_any_non_200() {
        let p = RetryPolicy::veriff();
        assert_eq!(p.max_attempts(), 169);
        for outcome in [
            Outcome::status(500),
            Outcome::status(201),
            Outcome::status(404),
            Outcome::status(302),
            Outcome::Error(ErrorKind::Timeout),
            Outcome::Error(ErrorKind::ConnectRefused),
        ] {
            for attempt in 1..=168 {
                assert_eq!(
                    p.next_delay(attempt, &outcome),
                    Some(H),
                    "{outcome:?} {attempt}"
                );
            }
            assert_eq!(p.next_delay(169, &outcome), None);
            assert_eq!(p.next_delay(500, &outcome), None);
        }
        assert_eq!(p.next_delay(1, &Outcome::status(200)), None);
    }

    #[test]
    fn accept_2xx_and_time_scale() {
        let p = RetryPolicy::veriff().accept_2xx(true).time_scale(3600.0);
        assert_eq!(p.next_delay(1, &Outcome::status(204)), None);
        assert_eq!(
            p.next_delay(1, &Outcome::status(300)),
            Some(Duration::from_secs(1))
        );
        let p = RetryPolicy::veriff().time_scale(36000.0);
        assert_eq!(
            p.next_delay(3, &Outcome::status(500)),
            Some(Duration::from_millis(100))
        );
        // Nonsense scales act as 1.
        for s in [0.0, -3.0, f64::NAN] {
            assert_eq!(
                RetryPolicy::veriff()
                    .time_scale(s)
                    .next_delay(1, &Outcome::status(500)),
                Some(H)
            );
        }
    }

    #[test]
    fn list_uses_each_delay_then_exhausts() {
        let p: RetryPolicy = "5s,1m,10m".parse().unwrap();
        let o = Outcome::status(503);
        assert_eq!(p.next_delay(1, &o), Some(Duration::from_secs(5)));
        assert_eq!(p.next_delay(2, &o), Some(Duration::from_secs(60)));
        assert_eq!(p.next_delay(3, &o), Some(Duration::from_secs(600)));
        assert_eq!(p.next_delay(4, &o), None);
        assert_eq!(p.max_attempts(), 4);
        let none: RetryPolicy = "none".parse().unwrap();
        assert_eq!(none.next_delay(1, &o), None);
        assert_eq!(none.max_attempts(), 1);
        assert_eq!(none.to_string(), "none");
        // Shown as written, and read back the same.
        for schedule in ["5s,1m,10m", "1500ms,2h,1d", "0ms,90s"] {
            let p: RetryPolicy = schedule.parse().unwrap();
            assert_eq!(p.to_string(), schedule);
            assert_eq!(p.to_string().parse::<RetryPolicy>().unwrap(), p);
        }
        assert_eq!(RetryPolicy::veriff().to_string(), "veriff");
        assert_eq!(
            "VERIFF".parse::<RetryPolicy>().unwrap(),
            RetryPolicy::veriff()
        );
    }

    #[test]
    fn durations_parse_and_errors_name_the_token() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["", "5", "s", "5x", "-1s", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        // What is wrong is said: too large is not "not a number".
        let big = parse_duration("99999999999999999999h")
            .unwrap_err()
            .to_string();
        assert!(big.contains("too large"), "{big}");
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        let err = "5s,oops,1m".parse::<RetryPolicy>().unwrap_err();
        assert_eq!(
            err,
            ParseError::BadDuration {
                token: "oops".into(),
                reason: "expected number at 0".into(),
            }
        );
        assert!(err.to_string().contains("\"oops\""));
        assert_eq!("  ".parse::<RetryPolicy>(), Err(ParseError::Empty));
    }

    #[test]
    fn retry_after_is_honoured_within_bounds_on_429_and_503_only() {
        let p = RetryPolicy::veriff();
        let ra = |code, secs| Outcome::Status {
            code,
            retry_after: Some(Duration::from_secs(secs)),
        };
        // Longer than the schedule's wait: waited.
        assert_eq!(p.next_delay(1, &ra(429, 5400)), Some(H + H / 2));
        // Shorter, or zero (a date in the past): the schedule's wait all the same.
        assert_eq!(p.next_delay(1, &ra(429, 10)), Some(H));
        assert_eq!(p.next_delay(1, &ra(503, 0)), Some(H));
        // Capped at twice the longest wait.
        assert_eq!(p.next_delay(1, &ra(503, 999_999)), Some(2 * H));
        // Ignored on other statuses.
        assert_eq!(p.next_delay(1, &ra(500, 10)), Some(H));
        // Never past exhaustion.
        assert_eq!(p.next_delay(169, &ra(429, 10)), None);
        // Scaled like every wait.
        let p = RetryPolicy::veriff().time_scale(10.0);
        assert_eq!(
            p.next_delay(1, &ra(429, 7200)),
            Some(Duration::from_secs(720))
        );
    }

    #[test]
    fn retry_after_header_forms() {
        assert_eq!(
            parse_retry_after(" 120 ", 0),
            Some(Duration::from_secs(120))
        );
        let now = chrono::DateTime::parse_from_rfc2822("Sun, 06 Nov 1994 08:49:37 GMT")
            .unwrap()
            .timestamp_millis();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:40:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        // Too large for u64: very long, so the policy's cap applies rather than no wait at all.
        let huge = parse_retry_after("99999999999999999999", now);
        assert_eq!(huge, Some(Duration::from_secs(u64::MAX)));
        let p = RetryPolicy::list(vec![Duration::from_secs(5)]);
        let o = Outcome::Status {
            code: 429,
            retry_after: huge,
        };
        assert_eq!(p.next_delay(1, &o), Some(Duration::from_secs(10)));
    }

    #[test]
    fn jitter_is_seeded_bounded_and_varies_by_key() {
        let p = RetryPolicy::veriff().jitter(0.1, 7);
        let o = Outcome::status(500);
        let mut distinct = std::collections::HashSet::new();
        for key in 0..200 {
            let d = p.next_delay_for(key, 1, &o).unwrap();
            assert!(
                d >= Duration::from_secs(3240) && d <= Duration::from_secs(3960),
                "{d:?}"
            );
            assert_eq!(Some(d), p.next_delay_for(key, 1, &o));
            distinct.insert(d);
        }
        assert!(distinct.len() > 150);
        let q = RetryPolicy::veriff().jitter(0.1, 8);
        assert_ne!(p.next_delay_for(1, 1, &o), q.next_delay_for(1, 1, &o));
    }
}
