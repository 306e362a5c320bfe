//! `check` against receivers that serve one request at a time, or several, written here with
//! plain std sockets (a sync worker, `php -S`, Python's `HTTPServer` behave the same way): the
//! suite sends one request at a time by default and times each answer alone.

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use veriff_mock_check::{CheckConfig, DEFAULT_TIMEOUT, Report, run};
use veriff_mock_contract::SharedSecret;

mod common;

use common::SECRET;

/// A correct receiver: HMAC-SHA256 of the raw body checked, 200 or 401, after `delay`; one
/// connection per request (HTTP/1.0, as Python's `HTTPServer`).
struct Plain {
    url: String,
    /// The most requests it was handling at once.
    most_at_once: Arc<AtomicUsize>,
}

impl Plain {
    /// `serial`: one request at a time, the next waiting in the listen backlog; otherwise a
    /// thread per connection.
    fn start(serial: bool, delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let most_at_once = Arc::new(AtomicUsize::new(0));
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::clone(&most_at_once);
        // The thread outlives the test's use of it; the process ends it.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (now, most) = (Arc::clone(&now), Arc::clone(&most));
                let serve = move || {
                    let _ = answer(stream, delay, &now, &most);
                };
                if serial {
                    serve();
                } else {
                    std::thread::spawn(serve);
                }
            }
        });
        Plain { url, most_at_once }
    }
}

fn answer(
    stream: TcpStream,
    delay: Duration,
    now: &AtomicUsize,
    most: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (body, signature) = common::read_request(&mut reader)?;
    // Counted from a complete request to just before the answer is written, so the next request
    // of a client that waits for this answer cannot overlap it.
    let at_once = now.fetch_add(1, SeqCst) + 1;
    most.fetch_max(at_once, SeqCst);
    std::thread::sleep(delay);
    let secret = SharedSecret::new(SECRET).unwrap();
    let (status, text) = match veriff_mock_contract::verify(&secret, &body, signature.as_deref()) {
        Ok(()) => ("200 OK", r#"{"status":"ok"}"#),
        Err(_) => ("401 Unauthorized", r#"{"error":"signature"}"#),
    };
    now.fetch_sub(1, SeqCst);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.0 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}

async fn check(url: &str, concurrency: Option<usize>) -> Report {
    let mut config = CheckConfig::new(url, SharedSecret::new(SECRET).unwrap())
        .unwrap()
        .cases(16)
        .seed(3)
        .timeout(DEFAULT_TIMEOUT);
    if let Some(n) = concurrency {
        config = config.concurrency(n);
    }
    run(&config).await
}

/// The audit's receiver: one request at a time, 150 ms each, with the default 2 s timeout. When
/// the suite sent its requests all at once, the later ones waited behind the others and 8 checks
/// failed with "no answer within 2 s".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_receiver_that_serves_one_request_at_a_time_passes() {
    let receiver = Plain::start(true, Duration::from_millis(150));
    let report = check(&receiver.url, None).await;
    assert!(report.passed(), "{}", report.to_text());
    let timing = &report.check("delivery/response-time").unwrap().reason;
    assert!(timing.contains("timeout 2 s"), "{timing}");
    // A check's time is its requests' own, not the time they waited for their turn.
    let valid = report.check("valid/decision").unwrap();
    assert!(
        valid.elapsed < Duration::from_secs(1),
        "{:?}",
        valid.elapsed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_go_one_at_a_time_unless_more_are_allowed() {
    let receiver = Plain::start(false, Duration::from_millis(20));
    let report = check(&receiver.url, None).await;
    assert!(report.passed(), "{}", report.to_text());
    assert_eq!(receiver.most_at_once.load(SeqCst), 1);

    let receiver = Plain::start(false, Duration::from_millis(20));
    let report = check(&receiver.url, Some(4)).await;
    assert!(report.passed(), "{}", report.to_text());
    let most = receiver.most_at_once.load(SeqCst);
    assert!((2..=4).contains(&most), "{most} at once");
}

#[test]
fn concurrency_is_at_least_one() {
    let config =
        CheckConfig::new("http://127.0.0.1:9/", SharedSecret::new(SECRET).unwrap()).unwrap();
    assert_eq!(config.get_concurrency(), 1);
    assert_eq!(config.clone().concurrency(0).get_concurrency(), 1);
    assert_eq!(config.concurrency(8).get_concurrency(), 8);
}
