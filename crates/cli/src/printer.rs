//! The text printer of `fire`: one line per attempt, then a summary.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use veriff_mock_send::{DeliveryEvent, DeliveryId, Summary};

/// What a line says about a delivery.
#[derive(Debug, Clone)]
struct Label {
    kind: String,
    status: String,
}

/// Labels kept after their delivery ends, for attempts still in flight then (a duplicate).
const RETIRED_KEPT: usize = 4096;

/// Keeps the labels of deliveries in progress, and of the last [`RETIRED_KEPT`] that ended (so
/// memory follows what is in flight or waiting for a retry, not the whole run).
#[derive(Debug, Default)]
pub struct TextPrinter {
    labels: HashMap<DeliveryId, Label>,
    /// Deliveries ended, oldest first; their labels go once [`RETIRED_KEPT`] newer ones ended.
    retired: VecDeque<DeliveryId>,
    /// Deliveries left pending cannot be carried on (the embedded receiver died with the run).
    not_resumable: bool,
    /// Where to look up a delivery this run did not queue (a resumed one).
    store: Option<veriff_mock_send::Store>,
}

fn clock() -> String {
    DateTime::<Utc>::from(SystemTime::now())
        .format("%H:%M:%S")
        .to_string()
}

/// `3 ms`, `1.2 s`, `850 µs`.
pub fn human_micros(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 10_000_000 {
        format!("{} ms", (us + 500) / 1_000)
    } else {
        format!("{:.1} s", us as f64 / 1e6)
    }
}

/// `in 59m 59s`, `in 1.0 s`.
fn human_wait(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1e3)
    } else {
        humantime::format_duration(std::time::Duration::from_secs(ms / 1_000)).to_string()
    }
}

impl TextPrinter {
    /// A printer for a run whose pending deliveries `fire --resume` cannot carry on.
    #[must_use]
    pub fn not_resumable() -> Self {
        Self {
            not_resumable: true,
            ..Self::default()
        }
    }

    /// Looks up, in `store`, the deliveries this run did not queue (`fire --resume`, `resend`),
    /// to name them in their lines as the run that queued them did.
    #[must_use]
    pub fn naming_from(mut self, store: veriff_mock_send::Store) -> Self {
        self.store = Some(store);
        self
    }

    /// A delivery ended: its label stays a while, for a duplicate attempt finishing after it.
    fn retire(&mut self, id: DeliveryId) {
        self.retired.push_back(id);
        if self.retired.len() > RETIRED_KEPT
            && let Some(old) = self.retired.pop_front()
        {
            self.labels.remove(&old);
        }
    }

    /// Names a delivery in the lines that follow: `decision approved 3f2c9a1e`, its kind,
    /// status and the start of its session id.
    fn label(
        &mut self,
        id: DeliveryId,
        kind: &str,
        status: Option<&str>,
        session_id: Option<&str>,
    ) {
        let mut label = status.unwrap_or_default().to_owned();
        if let Some(session) = session_id {
            if !label.is_empty() {
                label.push(' ');
            }
            label.extend(session.chars().take(8));
        }
        self.labels.insert(
            id,
            Label {
                kind: kind.to_owned(),
                status: label,
            },
        );
    }

    /// Prints one event (most events print nothing on their own).
    pub fn print(&mut self, event: &DeliveryEvent, out: &mut dyn Write) -> io::Result<()> {
        match event {
            DeliveryEvent::Ready {
                store,
                resumed,
                retry,
                time_scale,
                ..
            } => {
                let scale = if (*time_scale - 1.0).abs() > f64::EPSILON {
                    format!(", time scale {time_scale}")
                } else {
                    String::new()
                };
                let resumed = if *resumed > 0 {
                    format!(", resuming {resumed} pending")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "{} delivering (retry {retry}{scale}, store {store}{resumed})",
                    clock()
                )
            }
            DeliveryEvent::Queued {
                id,
                kind,
                status,
                session_id,
                ..
            } => {
                self.label(*id, kind, status.as_deref(), session_id.as_deref());
                Ok(())
            }
            DeliveryEvent::AttemptFinished {
                id,
                attempt,
                status,
                error,
                detail,
                latency_us,
                trigger,
                ..
            } => {
                if !self.labels.contains_key(id) {
                    let row = self.store.as_ref().and_then(|s| s.delivery_row(*id).ok());
                    if let Some(row) = row.flatten() {
                        self.label(
                            *id,
                            &row.kind,
                            row.status_label.as_deref(),
                            row.session_id.as_deref(),
                        );
                    }
                }
                let (kind, label) = self
                    .labels
                    .get(id)
                    .map_or(("?", ""), |l| (l.kind.as_str(), l.status.as_str()));
                let label = if label.is_empty() {
                    String::new()
                } else {
                    format!(" {label}")
                };
                let answer = match (status, error) {
                    (Some(code), _) => format!("[{code}]"),
                    (None, Some(kind)) => format!("[{kind}]"),
                    (None, None) => "[?]".to_owned(),
                };
                let detail = detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                let manual = if trigger.as_str() == "scheduled" {
                    String::new()
                } else {
                    format!(" {}", trigger.as_str())
                };
                writeln!(
                    out,
                    "{} {kind}{label} #{id} attempt {attempt}{manual} → {answer} {}{detail}",
                    clock(),
                    human_micros(*latency_us)
                )
            }
            DeliveryEvent::RetryScheduled {
                id, attempt, in_ms, ..
            } => {
                writeln!(
                    out,
                    "{}   #{id} retry {attempt} in {}",
                    clock(),
                    human_wait(*in_ms)
                )
            }
            DeliveryEvent::Delivered { id, .. } => {
                self.retire(*id);
                Ok(())
            }
            DeliveryEvent::Exhausted { id, attempts } => {
                self.retire(*id);
                writeln!(
                    out,
                    "{}   #{id} exhausted after {attempts} attempts",
                    clock()
                )
            }
            DeliveryEvent::ExpectedRejection { id, status, .. } => {
                self.retire(*id);
                writeln!(
                    out,
                    "{}   #{id} tampered signature rejected with {status}, as it should be",
                    clock()
                )
            }
            DeliveryEvent::UnexpectedOutcome {
                id, status, reason, ..
            } => {
                self.retire(*id);
                writeln!(out, "{}   #{id} UNEXPECTED {status}: {reason}", clock())
            }
            DeliveryEvent::NotFound { id } => {
                writeln!(out, "{}   #{id} is not in the store", clock())
            }
            DeliveryEvent::Paused => writeln!(out, "{} paused", clock()),
            DeliveryEvent::Resumed => writeln!(out, "{} resumed", clock()),
            DeliveryEvent::Finished { summary } => write_summary(summary, !self.not_resumable, out),
            // Only a lingering engine (the terminal UI) says so; the summary comes at the end.
            DeliveryEvent::AttemptStarted { .. } | DeliveryEvent::Drained { .. } => Ok(()),
        }
    }
}

/// What a stopped run left for later: pending deliveries, and payloads never queued.
fn left_over(s: &Summary, resumable: bool) -> String {
    let unsent = s.stopped && !s.all_queued;
    let left = match (s.pending, unsent) {
        (0, false) => return String::new(),
        (0, true) => ", the rest not sent".to_owned(),
        (n, false) => format!(", {n} pending"),
        (n, true) => format!(", {n} pending and the rest not sent"),
    };
    if resumable {
        format!("{left} (fire --resume carries on)")
    } else {
        format!("{left} (not resumable: the embedded receiver stopped with the run)")
    }
}

/// The closing summary.
/// `resumable`: whether `fire --resume` can carry on what is left pending.
pub fn write_summary(s: &Summary, resumable: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{} {} delivered, {} retries, {} exhausted, {} expected rejections, {} unexpected{}{} · {} attempts{}{} · {:.1} s",
        if s.stopped { "stopped:" } else { "done:" },
        s.delivered,
        s.retried,
        s.exhausted,
        s.expected_rejections,
        s.unexpected,
        if s.duplicates > 0 {
            format!(", {} duplicates", s.duplicates)
        } else {
            String::new()
        },
        left_over(s, resumable),
        s.attempts,
        if s.manual > 0 {
            format!(" ({} manual)", s.manual)
        } else {
            String::new()
        },
        // No latency when no attempt got an answer or an error of its own (all cut off by a stop).
        if s.latency_max_us == 0 {
            String::new()
        } else {
            format!(
                ", latency p50 {} p99 {}",
                human_micros(s.latency_p50_us),
                human_micros(s.latency_p99_us)
            )
        },
        s.elapsed_ms as f64 / 1e3,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary line of a stopped run with 3 delivered.
    fn stopped_line(pending: u64, all_queued: bool, resumable: bool) -> String {
        let s = Summary {
            delivered: 3,
            pending,
            stopped: true,
            all_queued,
            ..Summary::default()
        };
        let mut out = Vec::new();
        write_summary(&s, resumable, &mut out).unwrap();
        String::from_utf8(out).unwrap().trim_end().to_owned()
    }

    fn summary_with_pending(pending: u64) -> String {
        format!(
            "{}|{}",
            stopped_line(pending, true, true),
            stopped_line(pending, true, false)
        )
    }

    #[test]
    fn the_resume_hint_is_given_only_where_resume_can_carry_on() {
        let text = summary_with_pending(9);
        let (resumable, embedded) = text.split_once('|').unwrap();
        assert!(resumable.starts_with("stopped: 3 delivered"), "{resumable}");
        assert!(resumable.contains("9 pending (fire --resume carries on)"));
        assert!(embedded.contains("9 pending (not resumable"), "{embedded}");
        assert!(!embedded.contains("--resume"), "{embedded}");
        assert!(!summary_with_pending(0).contains("pending"));
        // Every attempt cut off by the stop: no latency to give.
        assert!(!text.contains("latency"), "{text}");
        let answered = Summary {
            attempts: 2,
            latency_p50_us: 900,
            latency_p99_us: 2_500,
            latency_max_us: 2_500,
            ..Summary::default()
        };
        let mut out = Vec::new();
        write_summary(&answered, true, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(", latency p50 900 µs p99 3 ms"), "{out}");
    }

    #[test]
    fn a_run_stopped_before_queueing_everything_says_the_rest_was_not_sent() {
        for (pending, resumable, said) in [
            (
                2,
                true,
                ", 2 pending and the rest not sent (fire --resume carries on) ·",
            ),
            (0, true, ", the rest not sent (fire --resume carries on) ·"),
            (
                0,
                false,
                ", the rest not sent (not resumable: the embedded receiver",
            ),
        ] {
            let text = stopped_line(pending, false, resumable);
            assert!(text.contains(said), "{text}");
        }
        // Everything queued and answered: nothing left over to mention.
        let text = stopped_line(0, true, true);
        assert!(
            !text.contains("not sent") && !text.contains("--resume"),
            "{text}"
        );
    }

    #[test]
    fn a_duplicate_finishing_after_its_delivery_ended_is_still_named() {
        let finished = |attempt, trigger| DeliveryEvent::AttemptFinished {
            id: 5,
            attempt,
            trigger,
            status: Some(200),
            error: None,
            detail: None,
            latency_us: 300,
            response_prefix: String::new(),
            response_truncated: false,
        };
        let events = [
            DeliveryEvent::Queued {
                id: 5,
                kind: "decision".into(),
                status: Some("approved".into()),
                session_id: Some("3f2c9a1e-0000".into()),
                vendor_data: None,
                url: "http://127.0.0.1:1/".into(),
                tampered: false,
            },
            finished(1, veriff_mock_send::Trigger::Scheduled),
            DeliveryEvent::Delivered {
                id: 5,
                attempts: 1,
                status: 200,
            },
            finished(2, veriff_mock_send::Trigger::Duplicate),
        ];
        let mut printer = TextPrinter::default();
        let mut out = Vec::new();
        for e in &events {
            printer.print(e, &mut out).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        for line in lines {
            assert!(line.contains(" decision approved 3f2c9a1e #5 "), "{line}");
        }
    }
}
