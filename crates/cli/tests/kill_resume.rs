//! `kill -9` in the middle of a run, then `fire --resume`: every payload ends acknowledged and
//! none is sent again after its 200 was recorded. Real processes, real signals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_veriff-mock");

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn receiver(args: &[&str]) -> (Killed, String) {
    let mut child = Command::new(BIN)
        .args(["receive", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the receiver");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("url: ").map(str::to_owned))
        .expect("the receiver prints its URL");
    // Keep draining its per-request lines so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (Killed(child), url)
}

fn query(db: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open the store");
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[test]
fn kill_9_then_resume_acknowledges_every_payload_once() {
    let (_receiver, url) = receiver(&["--status-sequence", "500,500,500"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("deliveries.db");
    let db_arg = db.to_str().expect("utf-8 path");

    // An hour is a second: each payload needs 3 retries, so the run lasts over 3 s.
    let mut fire = Command::new(BIN)
        .args([
            "fire",
            "--to",
            &url,
            "--kind",
            "decision",
            "--count",
            "200",
            "--retry-schedule",
            "veriff",
        ])
        .args([
            "--time-scale",
            "3600",
            "--seed",
            "9",
            "--no-tui",
            "--store",
            db_arg,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start fire");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        fire.try_wait().expect("poll fire").is_none(),
        "the run must still be going when killed"
    );
    fire.kill().expect("kill -9");
    fire.wait().expect("reap");

    let delivered_before = query(
        &db,
        "select count(*) from deliveries where state = 'delivered'",
    );
    assert!(
        delivered_before < 200,
        "killed mid-run: {delivered_before} delivered"
    );

    let started = Instant::now();
    let resume = Command::new(BIN)
        .args(["fire", "--resume", "--no-tui", "--store", db_arg])
        .output()
        .expect("resume");
    assert_eq!(
        resume.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resume.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    // Each resumed delivery's lines name it as the run that queued it did.
    let lines = String::from_utf8_lossy(&resume.stdout);
    let attempts: Vec<&str> = lines.lines().filter(|l| l.contains(" attempt ")).collect();
    assert!(!attempts.is_empty(), "no attempt line in:\n{lines}");
    for line in attempts {
        assert!(
            line.split_whitespace().nth(1) == Some("decision"),
            "a resumed attempt is not named: {line}"
        );
    }

    assert_eq!(
        query(
            &db,
            "select count(*) from deliveries where state = 'delivered'"
        ),
        200
    );
    assert_eq!(
        query(&db, "select count(distinct source_index) from deliveries"),
        200
    );
    assert_eq!(
        query(&db, "select count(*) from deliveries"),
        200,
        "no payload stored twice"
    );
    let attempts_total = query(&db, "select count(*) from attempts");
    let after_200 = query(
        &db,
        "select count(*) from attempts a join attempts ok on a.delivery_id = ok.delivery_id
         and ok.http_status = 200 and a.id > ok.id",
    );
    assert_eq!(after_200, 0, "an attempt was made after a recorded 200");

    // Resumed again, the run has ended: said so, and no empty run is added to the store.
    let runs = query(&db, "select count(*) from runs");
    let again = Command::new(BIN)
        .args(["fire", "--resume", "--no-tui", "--store", db_arg])
        .output()
        .expect("resume again");
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{err}");
    assert!(err.contains("nothing to resume: every delivery"), "{err}");
    assert_eq!(query(&db, "select count(*) from runs"), runs);
    assert_eq!(query(&db, "select count(*) from attempts"), attempts_total);
}

#[test]
fn resume_from_a_store_that_is_not_there_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("none.db");
    let db = db.to_str().expect("utf-8");
    // Without a target, and with one.
    for target in [&[][..], &["--to", "http://127.0.0.1:1/"]] {
        let out = Command::new(BIN)
            .args(["fire", "--resume", "--no-tui", "--store", db])
            .args(target)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        // A mistyped path must not pass for a run with every delivery acknowledged.
        assert_eq!(out.status.code(), Some(2), "{target:?}: {err}");
        assert!(err.contains("no delivery store at"), "{err}");
        assert!(err.contains("--store PATH"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            !std::path::Path::new(db).exists(),
            "resume must not create a store"
        );
    }
}

/// Starts a run against the embedded receiver whose sessions' ongoing-monitoring updates (days
/// later: minutes at this time scale) stay pending, and waits until the store holds them.
fn embedded_run_with_pending(db: &std::path::Path) -> Killed {
    let child = Killed(
        Command::new(BIN)
            .args(["fire", "--scenario", "aml", "--count", "2"])
            .args(["--time-scale", "3600", "--seed", "4", "--no-tui", "--store"])
            .arg(db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fire"),
    );
    wait_until_stored(
        db,
        "SELECT count(*) FROM deliveries WHERE state = 'pending'",
        2,
    );
    child
}

/// Waits (up to a minute) until `count_sql` on the store a running `fire` writes gives `at_least`.
fn wait_until_stored(db: &std::path::Path, count_sql: &str, at_least: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !(db.exists()
        && rusqlite::Connection::open(db)
            .and_then(|c| c.query_row(count_sql, [], |r| r.get::<_, i64>(0)))
            .is_ok_and(|n| n >= at_least))
    {
        assert!(
            Instant::now() < deadline,
            "never true: {count_sql} >= {at_least}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `fire --resume --no-tui --store DB`, plus `extra` arguments.
fn resume_with(db: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["fire", "--resume", "--no-tui"])
        .args(extra)
        .arg("--store")
        .arg(db)
        .stdin(Stdio::null())
        .output()
        .expect("run fire --resume")
}

fn resume(db: &std::path::Path) -> std::process::Output {
    resume_with(db, &[])
}

#[test]
fn an_embedded_receiver_run_is_not_resumed_and_resume_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");

    // Stopped cleanly: its pending deliveries are closed, so there is nothing to resume.
    let db = dir.path().join("stopped.db");
    let mut fire = embedded_run_with_pending(&db);
    let status = Command::new("kill")
        .args(["-INT", &fire.0.id().to_string()])
        .status()
        .expect("send SIGINT");
    assert!(status.success());
    let code = fire.0.wait().expect("wait for fire").code();
    assert_eq!(code, Some(130), "Ctrl-C exits 130");
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'pending'"
        ),
        0
    );
    let out = resume(&db);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to resume"));

    // Killed: the pending deliveries stay, and resume refuses them in one line, at once.
    let db = dir.path().join("killed.db");
    let mut fire = embedded_run_with_pending(&db);
    fire.0.kill().expect("kill -9");
    fire.0.wait().expect("reap");
    let started = Instant::now();
    let out = resume(&db);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("embedded receiver") && err.lines().count() == 1,
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(30), "no waiting");

    // Given a receiver of the user's own, they are delivered there, at their place in the
    // scenario's timeline (days later), which this time scale makes a second or so.
    let (_receiver, url) = receiver(&[]);
    let started = Instant::now();
    let out = resume_with(&db, &["--to", &url, "--time-scale", "500000"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'pending'"
        ),
        0
    );
    assert!(
        query(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'delivered'"
        ) >= 2
    );
    assert!(started.elapsed() < Duration::from_secs(30), "{err}");
}

#[test]
fn resume_to_a_new_target_sends_everything_there_and_completes_the_run() {
    // The first target answers 500 to everything; the run is killed with most payloads unqueued.
    let (_failing, old) = receiver(&["--fail-rate", "1"]);
    let (_working, new) = receiver(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("deliveries.db");
    let mut fire = Killed(
        Command::new(BIN)
            .args(["fire", "--to", &old, "--kind", "decision", "--count", "60"])
            .args(["--rate", "30", "--retry-schedule", "10m", "--seed", "3"])
            .args(["--no-tui", "--store"])
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fire"),
    );
    wait_until_stored(&db, "SELECT count(*) FROM deliveries", 5);
    fire.0.kill().expect("kill -9");
    fire.0.wait().expect("reap");
    let queued = query(&db, "SELECT count(*) FROM deliveries");
    assert!(queued < 60, "killed before queueing everything: {queued}");

    // Resumed at the new target, with the 10-minute retries a second apart.
    let out = resume_with(&db, &["--to", &new, "--time-scale", "600"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // Only the new target answers 200: every payload, queued or not before the kill, went there.
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'delivered'"
        ),
        60
    );
    assert_eq!(
        query(&db, "SELECT count(DISTINCT source_index) FROM deliveries"),
        60
    );
    let conn = rusqlite::Connection::open(&db).expect("open the store");
    let urls: Vec<String> = conn
        .prepare("SELECT DISTINCT url FROM deliveries")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("urls");
    assert_eq!(urls, [new], "the store says where they went");
}

#[test]
fn a_second_ctrl_c_ends_hanging_attempts_at_once() {
    // A server that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("deliveries.db");
    let mut fire = Killed(
        Command::new(BIN)
            .args(["fire", "--to", &url, "--kind", "decision", "--count", "2"])
            .args(["--retry-schedule", "none", "--timeout", "60s", "--no-tui"])
            .arg("--store")
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start fire"),
    );
    wait_until_stored(&db, "SELECT count(*) FROM deliveries", 2);
    let interrupt = || {
        let status = Command::new("kill")
            .args(["-INT", &fire.0.id().to_string()])
            .status()
            .expect("send SIGINT");
        assert!(status.success());
    };
    let started = Instant::now();
    interrupt();
    std::thread::sleep(Duration::from_millis(300));
    interrupt();
    let code = fire.0.wait().expect("wait for fire").code();
    // Without the second signal the attempts would have 5 s to finish.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut fire.0.stderr.take().expect("piped"), &mut err)
        .expect("stderr");
    assert!(
        err.contains("stopping: 2 attempts in flight get up to 5 s to finish; press Ctrl-C again"),
        "{err}"
    );
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM attempts WHERE error_kind = 'cancelled'"
        ),
        2
    );
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'pending'"
        ),
        2,
        "left for fire --resume"
    );
}

/// Starts `fire --kind decision --count 40 --rate 5` (plus `extra`) on `db` and kills it with
/// `kill -9` once 3 deliveries are stored: most of its payloads are not queued yet.
fn kill_9_early(db: &std::path::Path, extra: &[&str]) {
    let fire = Killed(
        Command::new(BIN)
            .args(["fire", "--kind", "decision", "--count", "40", "--rate", "5"])
            .args(extra)
            .args(["--no-tui", "--store"])
            .arg(db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fire"),
    );
    wait_until_stored(db, "SELECT count(*) FROM deliveries", 3);
    drop(fire);
}

#[test]
fn a_killed_embedded_run_resumed_to_a_target_sends_what_it_had_not_queued() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("embedded.db");
    kill_9_early(&db, &["--seed", "1"]);
    let (_receiver, url) = receiver(&[]);
    let out = resume_with(&db, &["--to", &url, "--rate", "1000"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        query(&db, "SELECT count(DISTINCT source_index) FROM deliveries"),
        40,
        "every payload of the run, regenerated from its seed"
    );
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM deliveries WHERE state = 'delivered'"
        ),
        40
    );
}

#[test]
fn resume_completes_a_killed_run_even_after_another_run_used_the_store() {
    let (_receiver, url) = receiver(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("d.db");
    kill_9_early(&db, &["--to", &url, "--seed", "3"]);
    let other = Command::new(BIN)
        .args(["fire", "--to", &url, "--kind", "event", "--count", "3"])
        .args(["--no-tui", "--store"])
        .arg(&db)
        .output()
        .expect("another run");
    assert_eq!(other.status.code(), Some(0));
    let out = resume_with(&db, &["--rate", "1000"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM deliveries WHERE kind = 'decision' AND state = 'delivered'"
        ),
        40,
        "{err}"
    );
    assert_eq!(
        query(&db, "SELECT count(*) FROM deliveries WHERE kind = 'event'"),
        3
    );
    // Completed: a second resume has nothing left to send.
    let again = resume_with(&db, &[]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(query(&db, "SELECT count(*) FROM deliveries"), 43);
}

#[test]
fn resuming_an_ended_run_signed_with_an_own_secret_needs_no_secret() {
    let (_receiver, url) = receiver(&["--secret", "an-own-secret"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("deliveries.db");
    let db_arg = db.to_str().expect("utf-8 path");
    let fire = Command::new(BIN)
        .args(["fire", "--to", &url, "--kind", "decision", "--count", "2"])
        .args(["--secret", "an-own-secret", "--no-tui", "--store", db_arg])
        .env_remove("VERIFF_SHARED_SECRET")
        .output()
        .expect("run fire");
    assert_eq!(
        fire.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fire.stderr)
    );
    // A script's idempotent "finish whatever was interrupted" step: nothing was.
    let out = Command::new(BIN)
        .args(["fire", "--resume", "--no-tui", "--store", db_arg])
        .env_remove("VERIFF_SHARED_SECRET")
        .output()
        .expect("run fire --resume");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("nothing to resume"), "{err}");
}
