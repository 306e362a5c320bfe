//! Receivers whose answers all point at one cause: a 5xx to a bad signature is not a refusal, and
//! a wrong secret, a wrong path or a port that does not speak HTTP is named once, with its fix.
//! The servers are plain std sockets, written here, as a user's own would be.

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use veriff_mock_check::{CheckConfig, Report, run};
use veriff_mock_contract::SharedSecret;

mod common;

use common::SECRET;

/// How a test server answers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// 200 to a good signature, 500 (an exception) to any other.
    ThrowsOnBadSignature,
    /// 404 to everything, as a web framework does on a path it has no route for.
    NoRoute,
    /// An SSH banner: another protocol on the port.
    NotHttp,
}

/// Starts a server; its thread lives as long as the test process.
fn serve(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhooks/veriff", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = answer(stream, behaviour);
            });
        }
    });
    url
}

fn answer(stream: TcpStream, behaviour: Behaviour) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    if let Behaviour::NotHttp = behaviour {
        // As an SSH server does: its banner first, then it waits for the client's.
        out.write_all(b"SSH-2.0-OpenSSH_9.2\r\n")?;
        out.flush()?;
        let mut stream = stream;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        let mut sink = [0; 4096];
        while stream.read(&mut sink)? > 0 {}
        return Ok(());
    }
    let mut reader = BufReader::new(stream);
    let (body, signature) = common::read_request(&mut reader)?;
    let secret = SharedSecret::new(SECRET).unwrap();
    let status = match behaviour {
        Behaviour::NoRoute => "404 Not Found",
        _ if veriff_mock_contract::verify(&secret, &body, signature.as_deref()).is_ok() => "200 OK",
        _ => "500 Internal Server Error",
    };
    write!(
        out,
        "HTTP/1.0 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )?;
    out.flush()
}

async fn check(url: &str, secret: &str) -> Report {
    let config = CheckConfig::new(url, SharedSecret::new(secret).unwrap())
        .unwrap()
        .cases(4)
        .seed(5);
    run(&config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_to_a_bad_signature_is_not_a_refusal() {
    let report = check(&serve(Behaviour::ThrowsOnBadSignature), SECRET).await;
    for name in [
        "signature/wrong-secret",
        "signature/missing",
        "signature/truncated",
        "signature/body-changed",
    ] {
        let check = report.check(name).unwrap();
        assert!(!check.passed, "{name} passed\n{}", report.to_text());
        assert!(
            check.reason.contains("answered 500")
                && check
                    .reason
                    .contains("a server error is not a refusal: answer 401"),
            "{name}: {}",
            check.reason
        );
    }
    // Correctly signed payloads are fine, and nothing points at one cause.
    assert!(report.check("valid/decision").unwrap().passed);
    assert!(report.check("compat/unknown-fields").unwrap().passed);
    assert_eq!(report.diagnosis, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_named_once() {
    // The receiver verifies with SECRET; the check signs with another one.
    let url = serve(Behaviour::ThrowsOnBadSignature);
    let report = check(&url, "another-secret").await;
    assert!(!report.passed());
    // It throws (500) instead of answering 401: still not the secret's fault alone to say.
    assert_eq!(report.diagnosis, None, "{}", report.to_text());

    let receiver = veriff_mock_receiver::Receiver::builder()
        .secret(SharedSecret::new(SECRET).unwrap())
        .start()
        .await
        .unwrap();
    let report = check(&receiver.url(), "another-secret").await;
    let diagnosis = report.diagnosis.as_deref().unwrap_or_default();
    assert!(
        diagnosis.starts_with("every correctly signed payload was refused (401)")
            && diagnosis.contains("--secret")
            && diagnosis.contains("--api-key"),
        "{diagnosis}"
    );
    assert_eq!(report.to_json()["diagnosis"], diagnosis);
    // With the right secret, no diagnosis.
    let report = check(&receiver.url(), SECRET).await;
    assert!(report.passed(), "{}", report.to_text());
    assert_eq!(report.diagnosis, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_path_is_named_once() {
    let report = check(&serve(Behaviour::NoRoute), SECRET).await;
    let diagnosis = report.diagnosis.as_deref().unwrap_or_default();
    assert!(
        diagnosis.contains("every correctly signed payload got 404")
            && diagnosis.contains("/webhooks/veriff")
            && diagnosis.contains("fix --to"),
        "{diagnosis}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_does_not_speak_http_is_named_once() {
    let url = serve(Behaviour::NotHttp);
    let report = check(&url, SECRET).await;
    let reason = &report.check("valid/decision").unwrap().reason;
    assert!(
        reason.contains("the reply is not HTTP") && reason.contains("does not speak HTTP"),
        "{reason}"
    );
    let diagnosis = report.diagnosis.as_deref().unwrap_or_default();
    let authority = url
        .trim_start_matches("http://")
        .trim_end_matches("/webhooks/veriff");
    assert!(
        diagnosis.contains(&format!("the server at {authority} does not speak HTTP")),
        "{diagnosis}"
    );
    // Nothing was answered, so nothing could be timed: not a slowness problem.
    let timing = &report.check("delivery/response-time").unwrap().reason;
    assert!(
        timing.contains("none could be timed") && !timing.contains("do slow work"),
        "{timing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn property_phases_with_no_cases_are_skipped_not_passed() {
    let receiver = veriff_mock_receiver::Receiver::builder()
        .secret(SharedSecret::new(SECRET).unwrap())
        .start()
        .await
        .unwrap();
    let config = CheckConfig::new(&receiver.url(), SharedSecret::new(SECRET).unwrap())
        .unwrap()
        .cases(0);
    let report = run(&config).await;
    assert!(report.passed(), "{}", report.to_text());
    let skipped: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.skipped)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        skipped,
        ["property/valid-payloads", "property/mangled-payloads"]
    );
    let text = report.to_text();
    assert!(
        text.contains("  SKIP  property/valid-payloads")
            && text.contains(&format!(
                "{} checks: {} passed, 2 skipped, 0 failed",
                report.checks.len(),
                report.checks.len() - 2
            )),
        "{text}"
    );
    let json = report.to_json();
    let phase = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "property/mangled-payloads")
        .unwrap();
    assert_eq!(phase["skipped"], true);
    let junit = report.to_junit();
    assert!(junit.contains("skipped=\"2\""), "{junit}");
    assert_eq!(junit.matches("<skipped message=").count(), 2, "{junit}");
}
