//! `c`: a delivery as a curl command, its body in a side file byte for byte (shells mangle JSON).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use veriff_mock_contract::headers;

use crate::model::DeliveryDetail;

/// Where an export was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurlExport {
    /// The shell script holding the curl command.
    pub script: PathBuf,
    /// The exact request body.
    pub body: PathBuf,
    /// The curl command of the script, one line: it reads the body from the script's own folder,
    /// so the script works from any directory (and the folder can be moved).
    pub command: String,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[error("writing {path}: {source}")]
pub struct CurlError {
    /// The file or folder that could not be written.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: io::Error,
}

/// Quotes `s` for a POSIX shell.
#[must_use]
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Headers curl sets itself or that would be wrong to replay.
const SKIPPED: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// The header name as Veriff's docs write it.
fn display_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower == headers::CONTENT_TYPE {
        "Content-Type".to_owned()
    } else if lower.starts_with("x-") || lower.starts_with("vrf-") {
        lower.to_ascii_uppercase()
    } else {
        name.to_owned()
    }
}

fn rank(name: &str) -> u8 {
    match name.to_ascii_lowercase().as_str() {
        headers::CONTENT_TYPE => 0,
        headers::X_AUTH_CLIENT => 1,
        headers::X_HMAC_SIGNATURE => 2,
        _ => 3,
    }
}

/// Builds the curl command line that replays `detail`, reading the body from `body_path`.
#[must_use]
pub fn curl_command(detail: &DeliveryDetail, body_path: &Path) -> String {
    command_with_body(detail, &shell_quote(&body_path.to_string_lossy()))
}

/// The curl command with `body`, already quoted for the shell, as the file to send.
fn command_with_body(detail: &DeliveryDetail, body: &str) -> String {
    let mut hdrs: Vec<(String, &str)> = detail
        .request_headers
        .iter()
        .filter(|(name, _)| !SKIPPED.contains(&name.to_ascii_lowercase().as_str()))
        .filter(|(name, _)| !name.to_ascii_lowercase().contains("secret"))
        .map(|(name, value)| (display_name(name), value.as_str()))
        .collect();
    if !hdrs
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(headers::CONTENT_TYPE))
    {
        hdrs.push(("Content-Type".to_owned(), headers::APPLICATION_JSON));
    }
    hdrs.sort_by_key(|(name, _)| rank(name));
    let mut cmd = format!("curl -sS -X POST {}", shell_quote(&detail.url));
    for (name, value) in hdrs {
        cmd.push_str(" -H ");
        cmd.push_str(&shell_quote(&format!("{name}: {value}")));
    }
    cmd.push_str(" --data-binary @");
    cmd.push_str(body);
    cmd
}

/// Writes `delivery-<id>.sh` (the curl command) and `delivery-<id>.body.json` (the exact body)
/// into `dir`, creating it if needed. The script finds the body next to itself
/// (`$(dirname "$0")`), so it can be run from any directory.
///
/// # Errors
/// [`CurlError`] naming the path that could not be written.
pub fn export_curl(detail: &DeliveryDetail, dir: &Path) -> Result<CurlExport, CurlError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CurlError { path, source }
    };
    fs::create_dir_all(dir).map_err(err(dir))?;
    let id = detail.row.id;
    let body_name = format!("delivery-{id}.body.json");
    let body = dir.join(&body_name);
    let script = dir.join(format!("delivery-{id}.sh"));
    fs::write(&body, &detail.request_body).map_err(err(&body))?;
    let command = command_with_body(
        detail,
        &format!("\"$(dirname \"$0\")\"/{}", shell_quote(&body_name)),
    );
    let text = format!(
        "#!/bin/sh\n# Replays delivery {id} ({kind}, session {session}) byte for byte.\n{command}\n",
        kind = detail.row.kind,
        session = detail.row.session_id,
    );
    fs::write(&script, text).map_err(err(&script))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Runnable as `./delivery-<id>.sh`; `sh delivery-<id>.sh` works regardless.
        let _ = fs::set_permissions(&script, fs::Permissions::from_mode(0o755));
    }
    Ok(CurlExport {
        script,
        body,
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DeliveryId, DeliveryRow};
    use chrono::TimeZone;
    use veriff_mock_contract::Kind;

    fn detail(body: &[u8]) -> DeliveryDetail {
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        DeliveryDetail {
            row: DeliveryRow::queued(
                DeliveryId(42),
                at,
                Kind::Decision,
                "approved",
                "f04bdb47-d3be-4b28-b028-a652feb060b5",
                Some("it's 12".to_owned()),
            ),
            url: "http://127.0.0.1:8080/webhooks/decision?x=1&y=2".to_owned(),
            request_headers: vec![
                ("host".to_owned(), "127.0.0.1:8080".to_owned()),
                ("x-hmac-signature".to_owned(), "ab12".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned()),
                ("x-auth-client".to_owned(), "key-1".to_owned()),
                ("content-length".to_owned(), "99".to_owned()),
                ("vrf-integration-id".to_owned(), "int-7".to_owned()),
            ],
            request_body: body.to_vec(),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(shell_quote("plain"), "'plain'");
    }

    #[test]
    fn command_has_the_veriff_headers_in_order_and_reads_the_body_file() {
        let cmd = curl_command(&detail(b"{}"), Path::new("out/delivery-42.body.json"));
        assert_eq!(
            cmd,
            "curl -sS -X POST 'http://127.0.0.1:8080/webhooks/decision?x=1&y=2' \
             -H 'Content-Type: application/json' -H 'X-AUTH-CLIENT: key-1' \
             -H 'X-HMAC-SIGNATURE: ab12' -H 'VRF-INTEGRATION-ID: int-7' \
             --data-binary @'out/delivery-42.body.json'"
        );
    }

    #[test]
    fn content_type_is_added_when_not_stored() {
        let mut d = detail(b"{}");
        d.request_headers.retain(|(n, _)| n != "content-type");
        let cmd = curl_command(&d, Path::new("b"));
        assert!(cmd.contains("-H 'Content-Type: application/json' -H 'X-AUTH-CLIENT"));
    }

    #[test]
    fn export_writes_body_byte_exact_and_a_script() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/curl");
        let body = "{\n  \"vendorData\": \"it's \\\"quoted\\\" $HOME `x` é\"\n}\r\n".as_bytes();
        let export = export_curl(&detail(body), &out).unwrap();
        assert_eq!(std::fs::read(&export.body).unwrap(), body);
        assert_eq!(export.script, out.join("delivery-42.sh"));
        let script = std::fs::read_to_string(&export.script).unwrap();
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains(&export.command));
        assert!(
            export
                .command
                .ends_with(r#"--data-binary @"$(dirname "$0")"/'delivery-42.body.json'"#),
            "{}",
            export.command
        );
    }

    /// Runs the exported script with the real curl against a one-shot server on 127.0.0.1 and
    /// checks what arrived. Skipped (passes) where no curl is installed.
    #[test]
    fn the_exported_script_replays_the_exact_bytes() {
        use std::io::{Read, Write};
        use std::net::TcpListener;
        use std::time::Duration;

        if std::process::Command::new("curl")
            .arg("--version")
            .output()
            .is_err()
        {
            return;
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = conn.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if got.len() >= end + 4 + len || n == 0 {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .unwrap();
            got
        });
        let mut d = detail(b"");
        d.url = format!("http://127.0.0.1:{port}/hook");
        d.request_body = "{\"a\": \"it's $HOME `x`\",\n \"b\": 1.50}\r\n"
            .as_bytes()
            .to_vec();
        let dir = tempfile::tempdir().unwrap();
        let export = export_curl(&d, &dir.path().join("exported")).unwrap();
        // The folder moved, the script run from elsewhere: it still finds its body.
        let moved = dir.path().join("moved");
        std::fs::rename(dir.path().join("exported"), &moved).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("sh")
            .arg(moved.join(export.script.file_name().unwrap()))
            .current_dir(elsewhere.path())
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("all_proxy")
            .env_remove("ALL_PROXY")
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
        let got = server.join().unwrap();
        let end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
        assert!(head.starts_with("post /hook http/1.1"), "{head}");
        assert!(head.contains("x-hmac-signature: ab12"));
        assert!(head.contains("x-auth-client: key-1"));
        assert!(head.contains("content-type: application/json"));
        assert_eq!(&got[end + 4..], d.request_body.as_slice());
    }

    #[test]
    fn export_into_an_unwritable_place_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let err = export_curl(&detail(b"{}"), &file.join("sub")).unwrap_err();
        assert!(err.to_string().contains("a-file"));
    }
}
