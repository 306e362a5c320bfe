//! Writing a [`Report`]: a text table, JSON, and JUnit XML for CI; `curl` reproductions.

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use crate::{CheckResult, Report};

/// Failing requests printed in full by [`Report::to_text`].
const MAX_TEXT_REPROS: usize = 4;

/// A request that shows a failure: the exact body and a shell command that sends it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repro {
    /// The exact body bytes.
    pub body: Bytes,
    /// The body as text (invalid UTF-8 replaced), for reports.
    pub body_text: String,
    /// A `curl` command (POSIX shell) that sends the same bytes with the same headers.
    pub curl: String,
}

impl Repro {
    /// A reproduction of sending `body` with `headers` to `url`.
    #[must_use]
    pub fn new(url: &str, body: &[u8], headers: &[(String, String)]) -> Self {
        Repro {
            body: Bytes::copy_from_slice(body),
            body_text: String::from_utf8_lossy(body).into_owned(),
            curl: curl_command(url, body, headers),
        }
    }
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A `curl` command that POSTs exactly `body` with `headers` to `url`. A body that is printable
/// UTF-8 goes inline (`--data-binary '…'`); any other is piped from `printf` with octal escapes,
/// so the bytes, and so the signature, stay exact.
#[must_use]
pub fn curl_command(url: &str, body: &[u8], headers: &[(String, String)]) -> String {
    let mut cmd = String::new();
    let text = std::str::from_utf8(body)
        .ok()
        .filter(|t| !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    if text.is_none() {
        cmd.push_str("printf '%b' '");
        for b in body {
            match b {
                b' '..=b'~' if *b != b'\'' && *b != b'\\' => cmd.push(char::from(*b)),
                _ => {
                    let _ = write!(cmd, "\\0{b:03o}");
                }
            }
        }
        cmd.push_str("' | ");
    }
    let _ = write!(cmd, "curl -sS -i -X POST {}", shell_quote(url));
    for (name, value) in headers {
        // curl drops a header given as `name:` with nothing after it; `name;` sends it empty.
        let header = if value.trim().is_empty() {
            format!("{name};")
        } else {
            format!("{name}: {value}")
        };
        let _ = write!(cmd, " -H {}", shell_quote(&header));
    }
    match text {
        Some(t) => {
            let _ = write!(cmd, " --data-binary {}", shell_quote(t));
        }
        None => cmd.push_str(" --data-binary @-"),
    }
    cmd
}

/// A duration as people write it: `850 ms`, `2 s`, `2.5 s`.
#[must_use]
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

impl Report {
    /// A table of checks (PASS/FAIL/SKIP, name, reason), a summary line, and for each failure
    /// its reproduction. Each row is one line, however long.
    #[must_use]
    pub fn to_text(&self) -> String {
        self.to_text_width(None)
    }

    /// [`Report::to_text`] for a terminal `width` columns wide: a reason too long for its row
    /// goes on under the reason column (or, when that column would be too narrow, under the
    /// name), broken between words.
    #[must_use]
    pub fn to_text_width(&self, width: Option<usize>) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "veriff-mock check {} (seed {}, {} cases, timeout {})",
            self.url,
            self.seed,
            self.cases,
            human(self.timeout)
        );
        let name_width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.checks {
            let verdict = match (c.passed, c.skipped) {
                (_, true) => "SKIP",
                (true, false) => "PASS",
                (false, false) => "FAIL",
            };
            let lead = format!("  {verdict}  {:name_width$}  ", c.name);
            // The reason quotes the receiver's answer: nothing of it is sent to the terminal.
            let reason = escape_controls(&c.reason, false);
            out.push_str(&row(&lead, &reason, width));
        }
        let failed = self.failures().count();
        let skipped = self.checks.iter().filter(|c| c.skipped).count();
        let _ = write!(
            out,
            "{} checks: {} passed, ",
            self.checks.len(),
            self.checks.len() - failed - skipped
        );
        if skipped > 0 {
            let _ = write!(out, "{skipped} skipped, ");
        }
        let _ = writeln!(out, "{failed} failed ({})", human(self.elapsed));
        let with_repro: Vec<&CheckResult> = self.failures().filter(|c| c.repro.is_some()).collect();
        for c in with_repro.iter().take(MAX_TEXT_REPROS) {
            if let Some(r) = &c.repro {
                let _ = writeln!(
                    out,
                    "\n{} failed with this body:\n{}",
                    c.name,
                    escape_controls(&r.body_text, true)
                );
                let _ = writeln!(out, "reproduce with:\n{}", r.curl);
            }
        }
        if with_repro.len() > MAX_TEXT_REPROS {
            let _ = writeln!(
                out,
                "\n({} more failing requests in the JSON and JUnit reports)",
                with_repro.len() - MAX_TEXT_REPROS
            );
        }
        out
    }

    /// The report as JSON: `{url, seed, cases, timeout_ms, passed, failed, diagnosis, elapsed_ms,
    /// checks: [{name, group, what, passed, skipped, reason, elapsed_ms, repro: {body, curl} |
    /// null}]}`. A skipped check has `passed: true` and `skipped: true`; `diagnosis` is the one
    /// cause behind the failures, or null.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "group": c.group(),
                    "what": c.what,
                    "passed": c.passed,
                    "skipped": c.skipped,
                    "reason": c.reason,
                    "elapsed_ms": c.elapsed.as_millis() as u64,
                    "repro": c.repro.as_ref().map(|r| json!({"body": r.body_text, "curl": r.curl})),
                })
            })
            .collect();
        json!({
            "url": self.url,
            "seed": self.seed,
            "cases": self.cases,
            "timeout_ms": self.timeout.as_millis() as u64,
            "passed": self.passed(),
            "failed": self.failures().count(),
            "diagnosis": self.diagnosis,
            "elapsed_ms": self.elapsed.as_millis() as u64,
            "checks": checks,
        })
    }

    /// JUnit XML for CI: one `<testsuite>` with one `<testcase>` per check, a `<failure>` with the
    /// reason and reproduction for each failed one. Text is escaped and characters XML 1.0 cannot
    /// hold are replaced.
    #[must_use]
    pub fn to_junit(&self) -> String {
        let failed = self.failures().count();
        let skipped = self.checks.iter().filter(|c| c.skipped).count();
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            x,
            "<testsuites name=\"veriff-mock check\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" time=\"{:.3}\">",
            self.checks.len(),
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            x,
            "  <testsuite name=\"veriff-mock check {}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\">",
            xml_escape(&self.url),
            self.checks.len(),
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(x, "    <properties>");
        for (name, value) in [
            ("url", self.url.clone()),
            ("seed", self.seed.to_string()),
            ("cases", self.cases.to_string()),
            ("timeout", human(self.timeout)),
        ] {
            let _ = writeln!(
                x,
                "      <property name=\"{name}\" value=\"{}\"/>",
                xml_escape(&value)
            );
        }
        let _ = writeln!(x, "    </properties>");
        for c in &self.checks {
            junit_case(&mut x, c);
        }
        x.push_str("  </testsuite>\n</testsuites>\n");
        x
    }
}

fn junit_case(x: &mut String, c: &CheckResult) {
    let _ = write!(
        x,
        "    <testcase classname=\"veriff-mock.check.{}\" name=\"{}\" time=\"{:.3}\"",
        xml_escape(c.group()),
        xml_escape(&c.name),
        c.elapsed.as_secs_f64()
    );
    if c.skipped {
        let _ = writeln!(
            x,
            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
            xml_escape(&c.reason)
        );
        return;
    }
    if c.passed {
        let _ = writeln!(
            x,
            ">\n      <system-out>{}</system-out>\n    </testcase>",
            xml_escape(&c.reason)
        );
        return;
    }
    let mut detail = format!("{}\n{}", c.what, c.reason);
    if let Some(r) = &c.repro {
        let _ = write!(
            detail,
            "\n\nbody:\n{}\n\nreproduce with:\n{}",
            r.body_text, r.curl
        );
    }
    let _ = writeln!(
        x,
        ">\n      <failure type=\"conformance\" message=\"{}\">{}</failure>\n    </testcase>",
        xml_escape(&c.reason),
        xml_escape(&detail)
    );
}

/// One table row: `lead` then `reason`, wrapped to `width` columns when given.
fn row(lead: &str, reason: &str, width: Option<usize>) -> String {
    /// Narrowest reason column worth keeping beside the name.
    const MIN_REASON: usize = 30;
    let lead_width = lead.chars().count();
    let Some(width) = width.filter(|w| lead_width + reason.chars().count() > *w) else {
        return format!("{lead}{reason}\n");
    };
    let indent = if width >= lead_width + MIN_REASON {
        " ".repeat(lead_width)
    } else {
        " ".repeat(8)
    };
    let options = textwrap::Options::new(width.max(indent.len() + 20))
        .initial_indent(lead)
        .subsequent_indent(&indent)
        .break_words(true);
    let mut text = textwrap::fill(reason, options);
    text.push('\n');
    text
}

/// `text` with its control characters (C0, DEL, C1) and bidirectional-text controls written as
/// escapes (`\n`, `\r`, `\u{0}`, `\u{1b}`, `\u{202e}`), so text from a receiver can neither break
/// a table row nor move the cursor, change colours or reorder what the terminal shows. With
/// `keep_lines`, line feeds and tabs stay (a pretty-printed body keeps its lines).
fn escape_controls(text: &str, keep_lines: bool) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| {
        (c.is_control() && !(keep_lines && matches!(c, '\n' | '\t')))
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Escapes text for XML content and attribute values; characters XML 1.0 forbids become U+FFFD.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_handles_markup_and_forbidden_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}&#10;"
        );
    }

    #[test]
    fn curl_keeps_the_bytes_exact() {
        let h = vec![("x-hmac-signature".to_owned(), "ab".to_owned())];
        let inline = curl_command("http://127.0.0.1:1/", b"{\"a\":\"it's\"}", &h);
        assert!(
            inline.contains(r#"--data-binary '{"a":"it'\''s"}'"#),
            "{inline}"
        );
        let piped = curl_command("http://127.0.0.1:1/", b"{\xff}", &h);
        assert!(
            piped.starts_with("printf '%b' '{\\0377}' | curl"),
            "{piped}"
        );
        assert!(piped.ends_with("--data-binary @-"), "{piped}");
        let empty = vec![("x-hmac-signature".to_owned(), String::new())];
        let sent_empty = curl_command("http://127.0.0.1:1/", b"{}", &empty);
        assert!(
            sent_empty.contains(" -H 'x-hmac-signature;' "),
            "{sent_empty}"
        );
    }

    /// A report of one failed check.
    fn one_failure(name: &str, reason: &str, repro: Repro) -> Report {
        Report {
            url: "http://127.0.0.1:1/".to_owned(),
            seed: 0,
            cases: 0,
            timeout: Duration::from_secs(2),
            checks: vec![CheckResult {
                name: name.to_owned(),
                what: "",
                passed: false,
                skipped: false,
                reason: reason.to_owned(),
                elapsed: Duration::ZERO,
                repro: Some(repro),
            }],
            diagnosis: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn text_output_escapes_what_a_hostile_receiver_answers() {
        let hostile = "answered 500 \u{1b}[2J\u{1b}[31mred\r\nPASS  forged\0\u{9b}\u{202e}txt.exe";
        let report = one_failure(
            "valid/decision",
            hostile,
            Repro::new("http://127.0.0.1:1/", b"{\n  \"a\": \"\x1b[2J\"\n}", &[]),
        );
        let text = report.to_text();
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
            "{text:?}"
        );
        let row = text
            .lines()
            .find(|l| l.starts_with("  FAIL  valid/decision"))
            .unwrap();
        assert!(
            row.ends_with(
                r"answered 500 \u{1b}[2J\u{1b}[31mred\r\nPASS  forged\u{0}\u{9b}\u{202e}txt.exe"
            ),
            "{row}"
        );
        assert!(!text.contains("\nPASS  forged"), "{text}");
        // The body keeps its lines; only the escape is escaped.
        assert!(text.contains("{\n  \"a\": \"\\u{1b}[2J\"\n}"), "{text}");
        // JSON keeps the answer as it was (escaped by JSON itself).
        assert_eq!(report.to_json()["checks"][0]["reason"], hostile);
    }

    #[test]
    fn long_reasons_wrap_under_their_column_on_a_terminal() {
        let reason = "answered 500 Internal Server Error, expected a rejection (401): a server \
                      error is not a refusal: answer 401 when the signature does not match";
        let report = one_failure(
            "signature/wrong-secret",
            reason,
            Repro::new("http://127.0.0.1:1/", &[b'x'; 200], &[]),
        );
        // Without a width (a pipe), one line per check.
        let plain = report.to_text();
        assert!(plain.contains(&format!("  FAIL  signature/wrong-secret  {reason}\n")));
        for (width, indent) in [(80, 32), (50, 8)] {
            let text = report.to_text_width(Some(width));
            let rows: Vec<&str> = text
                .lines()
                .skip(1)
                .take_while(|l| !l.contains(" checks: "))
                .collect();
            assert!(rows.len() > 1, "{width}: {text}");
            assert!(rows.iter().all(|r| r.chars().count() <= width), "{text}");
            assert!(
                rows[1..]
                    .iter()
                    .all(|r| r.starts_with(&" ".repeat(indent)) && !r[indent..].starts_with(' ')),
                "{width}: {text}"
            );
            // Every word is still there, in order.
            let joined: Vec<&str> = rows.iter().flat_map(|r| r.split_whitespace()).collect();
            let expected: Vec<&str> = format!("FAIL signature/wrong-secret {reason}")
                .split_whitespace()
                .map(|w| &*Box::leak(w.to_owned().into_boxed_str()))
                .collect();
            assert_eq!(joined, expected);
            // The body stays whole, to be copied.
            assert!(text.contains(&"x".repeat(200)), "{text}");
        }
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_millis(850)), "850 ms");
        assert_eq!(human(Duration::from_secs(2)), "2 s");
        assert_eq!(human(Duration::from_millis(2500)), "2.5 s");
    }
}
