//! The binary as a process: what depends on the environment, on stdin and on stdout being a pipe
//! or a full device, which the in-process tests cannot set up.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_veriff-mock");

/// A process killed when the test ends, whatever happens.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `veriff-mock ARGS` with a clean environment (no `VERIFF_*` variables) plus `env`.
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("VERIFF_SHARED_SECRET")
        .env_remove("VERIFF_API_KEY")
        .env_remove("VERIFF_INTEGRATION_ID")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    c
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().expect("run veriff-mock")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Starts `receive` and returns it with the first two lines it printed.
fn receive(args: &[&str], env: &[(&str, &str)]) -> Result<(Killed, Vec<String>), String> {
    let mut child = command(&[&["receive"], args].concat(), env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start receive");
    let stdout = child.stdout.take().expect("piped");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take(2)
        .collect();
    if lines.len() < 2 {
        let out = child.wait_with_output().expect("wait");
        return Err(stderr(&out));
    }
    Ok((Killed(child), lines))
}

#[test]
fn no_verify_ignores_the_secret_of_the_environment_but_not_an_explicit_one() {
    for value in ["x", ""] {
        let (_receiver, lines) = receive(
            &["--no-verify", "--port", "0"],
            &[("VERIFF_SHARED_SECRET", value)],
        )
        .unwrap_or_else(|e| panic!("VERIFF_SHARED_SECRET={value:?}: {e}"));
        assert!(lines[0].contains("NOT verifying"), "{lines:?}");
    }
    let out = run(
        &["receive", "--no-verify", "--port", "0", "--secret", "s"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--no-verify cannot be used with --secret"),
        "{err}"
    );
}

#[test]
fn a_variable_set_but_empty_counts_as_unset() {
    let empty = [
        ("VERIFF_SHARED_SECRET", ""),
        ("VERIFF_API_KEY", ""),
        ("VERIFF_INTEGRATION_ID", ""),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("d.db");
    let store = store.to_str().expect("utf-8 path");
    for args in [
        &["generate", "--count", "1", "--seed", "1"][..],
        &[
            "generate", "--count", "1", "--format", "http", "--seed", "1",
        ],
        &["sign", "Cargo.toml"],
        &[
            "demo", "--count", "1", "--seed", "1", "--no-tui", "--store", store,
        ],
    ] {
        let out = run(args, &empty);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    // Without the variables, the same output: the empty ones were taken as unset.
    let with = run(&["sign", "Cargo.toml"], &empty);
    assert_eq!(with.stdout, run(&["sign", "Cargo.toml"], &[]).stdout);
    let verify = run(&["verify", "--signature", "00", "Cargo.toml"], &empty);
    assert_eq!(verify.status.code(), Some(2));
    assert!(
        stderr(&verify).contains("pass --secret"),
        "{}",
        stderr(&verify)
    );
}

#[test]
fn an_explicit_empty_secret_or_key_is_refused_with_a_fix_the_command_has() {
    for (args, fix) in [
        (
            &["sign", "--secret", "", "Cargo.toml"][..],
            "leave --secret out",
        ),
        (&["generate", "--secret", ""], "leave --secret out"),
        (
            &["verify", "--secret", "", "--signature", "00", "Cargo.toml"],
            "pass the integration's shared secret",
        ),
        (
            &["check", "--to", "http://127.0.0.1:1/", "--secret", ""],
            "leave --secret out",
        ),
        (
            &["check", "--to", "http://127.0.0.1:1/", "--api-key", " "],
            "leave --api-key out",
        ),
    ] {
        let out = run(args, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("is empty") && err.contains(fix),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_full_stdout_is_named_by_every_command_that_writes_data() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("d.db");
    let store = store.to_str().expect("utf-8 path");
    let fire = [
        "fire",
        "--to",
        "http://127.0.0.1:1/",
        "--kind",
        "decision",
        "--count",
        "1",
        "--retry-schedule",
        "none",
        "--no-tui",
        "--seed",
        "1",
        "--store",
        store,
    ];
    for (args, code) in [
        (&["sign", "Cargo.toml"][..], 2),
        (&["generate", "--seed", "1"], 2),
        (&["check", "--to", "http://127.0.0.1:1/", "--cases", "0"], 2),
        (&["receive", "--port", "0"], 2),
        // The run goes on to the end (its record is the store), then fails on the lost output,
        // whether its deliveries were exhausted or all delivered.
        (&fire, 2),
        (
            &[
                "fire", "--kind", "event", "--count", "2", "--no-tui", "--output", "ndjson",
                "--store", store,
            ],
            2,
        ),
        (&["resend", "1", "--store", store], 2),
        (&["--help"], 2),
    ] {
        let out = command(args, &[])
            .stdout(std::fs::File::create(full).expect("open /dev/full"))
            .output()
            .expect("run veriff-mock");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            err.contains("cannot write to stdout: No space left on device"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn generate_into_a_closed_pipe_does_not_claim_it_wrote_everything() {
    let mut child = command(&["generate", "--count", "100000000"], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start generate");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut first)
        .expect("a first line");
    assert!(first.starts_with('{'), "{first}");
    // The reader is gone (as with `| head -1`).
    let out = child.wait_with_output().expect("wait");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("generated 100000000"), "{err}");
    assert!(
        err.contains("stdout was closed") && err.contains("pass --seed"),
        "{err}"
    );
}

#[test]
fn an_empty_stdin_is_named_by_sign_and_verify() {
    let sign = run(&["sign"], &[]);
    assert_eq!(sign.status.code(), Some(0), "{}", stderr(&sign));
    assert!(
        stderr(&sign).contains("the body is empty (0 bytes from stdin)"),
        "{}",
        stderr(&sign)
    );
    let verify = run(
        &["verify", "--secret", "s", "--signature", &"0".repeat(64)],
        &[],
    );
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    assert!(
        stderr(&verify)
            .contains("the body is empty (0 bytes from stdin): was it read elsewhere first?"),
        "{}",
        stderr(&verify)
    );
}

/// Runs `veriff-mock watch --store DB` in a pseudo-terminal (python3's `pty`, standard library),
/// sends it SIGTERM once its UI is up, and prints how it ended and whether it left the
/// alternate screen.
const WATCH_IN_A_PTY: &str = r#"
import os, pty, select, signal, sys, time
binary, db = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execv(binary, [binary, "watch", "--store", db])
out = b""
def pump(until):
    global out
    while time.time() < until:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            out += data
deadline = time.time() + 20
while b"\x1b[?1049h" not in out and time.time() < deadline:
    pump(time.time() + 0.1)
pump(time.time() + 0.5)
os.kill(pid, signal.SIGTERM)
pump(time.time() + 5)
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
print(code, b"\x1b[?1049h" in out, b"\x1b[?1049l" in out)
"#;

#[test]
fn watch_ended_by_sigterm_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("d.db");
    let db = db.to_str().expect("utf-8 path");
    let fire = run(
        &[
            "fire", "--kind", "decision", "--count", "3", "--no-tui", "--store", db,
        ],
        &[],
    );
    assert_eq!(fire.status.code(), Some(0), "{}", stderr(&fire));
    let out = Command::new("python3")
        .args(["-c", WATCH_IN_A_PTY, BIN, db])
        .output()
        .expect("python3 (installed by .ci/run)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        report.trim(),
        "0 True True",
        "exit code, entered and left the alternate screen; {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
