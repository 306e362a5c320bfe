//! The real HTTP transport against tiny servers on 127.0.0.1:0 (real time, short timeouts).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use veriff_mock_contract::{Kind, SharedSecret, verify};
use veriff_mock_send::{
    DeliveryEvent, DeliveryState, EngineConfig, Job, JobSource, RetryPolicy, Signer, Store,
    parse_url, start,
};

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

type Handler =
    Arc<dyn Fn(&str, &http::HeaderMap, &Bytes) -> (Duration, Response<Full<Bytes>>) + Send + Sync>;

async fn http_server(h: Handler) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let h = h.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let h = h.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await?.to_bytes();
                        let (delay, resp) = h(parts.uri.path(), &parts.headers, &body);
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        Ok::<_, hyper::Error>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

fn resp(code: u16, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(code).unwrap();
    r
}

fn signer() -> Signer {
    Signer::new(SharedSecret::new(SECRET).unwrap(), "api-key").unwrap()
}

fn body(i: usize) -> String {
    format!(r#"{{"status":"success","verification":{{"id":"s-{i}","vendorData":"v{i}"}}}}"#)
}

fn signature_ok(h: &http::HeaderMap, b: &Bytes) -> bool {
    let secret = SharedSecret::new(SECRET).unwrap();
    verify(
        &secret,
        b,
        h.get("x-hmac-signature").and_then(|v| v.to_str().ok()),
    )
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_payload_delivered_after_three_500s() {
    let seen: Arc<Mutex<HashMap<Bytes, u32>>> = Arc::default();
    let bad_sigs = Arc::new(AtomicUsize::new(0));
    let (s2, b2) = (seen.clone(), bad_sigs.clone());
    let addr = http_server(Arc::new(move |_, h, b| {
        if !signature_ok(h, b) {
            b2.fetch_add(1, Ordering::SeqCst);
        }
        let mut m = s2.lock().unwrap();
        let n = m.entry(b.clone()).or_default();
        *n += 1;
        (Duration::ZERO, resp(if *n <= 3 { 500 } else { 200 }, "ok"))
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.retry = RetryPolicy::veriff().time_scale(36000.0);
    c.concurrency = 16;
    let url = parse_url(&format!("http://{addr}/decision")).unwrap();
    let jobs = (0..200).map(move |i| Job::new(Kind::Decision, url.clone(), body(i)));
    let t0 = Instant::now();
    let (engine, mut rx) = start(c, JobSource::from_iter(signer(), jobs)).unwrap();
    let mut delivered = 0;
    while let Some(e) = rx.recv().await {
        if let DeliveryEvent::Delivered {
            attempts, status, ..
        } = e
        {
            assert_eq!((attempts, status), (4, 200));
            delivered += 1;
        }
    }
    let s = engine.wait().await.unwrap();
    assert_eq!(delivered, 200);
    assert_eq!(s.delivered, 200);
    assert_eq!(s.attempts, 800);
    assert_eq!(s.retried, 600);
    assert_eq!(s.exit_code(), 0);
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    assert_eq!(bad_sigs.load(Ordering::SeqCst), 0);
    assert!(seen.lock().unwrap().values().all(|n| *n == 4));
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    assert_eq!(store.attempt_count(None).unwrap(), 800);
    let counts = store.counts(None).unwrap();
    assert_eq!(
        (counts.total, counts.delivered, counts.attempts),
        (200, 200, 800)
    );
    let d = store.delivery(17).unwrap().unwrap();
    assert_eq!(d.attempts.len(), 4);
    assert_eq!(
        d.attempts.iter().map(|a| a.http_status).collect::<Vec<_>>(),
        [Some(500), Some(500), Some(500), Some(200)]
    );
    assert_eq!(d.attempts[0].error_kind.as_deref(), Some("http_status"));
    assert_eq!(d.attempts[0].response_body, b"ok");
    assert!(d.request_headers.contains("x-hmac-signature: "));
    assert!(!d.request_headers.contains(SECRET));
}

async fn raw_server(behaviour: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = l.accept().await {
            match behaviour {
                "silent" => held.push(s),
                "close" => drop(s),
                "stall-body" => {
                    tokio::spawn(async move {
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf).await;
                        let head = "HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\npartial";
                        let _ = s.write_all(head.as_bytes()).await;
                        // The rest of the body never comes.
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    });
                }
                _ => {
                    tokio::spawn(async move {
                        let mut buf = [0u8; 1024];
                        let _ = s.read(&mut buf).await;
                        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01garbage").await;
                        let _ = s.shutdown().await;
                    });
                }
            }
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_modes_get_clear_error_kinds_and_nothing_hangs() {
    let big = Bytes::from(vec![b'x'; 10 * 1024 * 1024]);
    let redirected = Arc::new(AtomicBool::new(false));
    let r2 = redirected.clone();
    let addr = http_server(Arc::new(move |path, _, _| match path {
        "/slow" => (Duration::from_secs(3), resp(200, "late")),
        "/a-bit-slow" => (Duration::from_millis(100), resp(200, "fine")),
        "/big" => (Duration::ZERO, resp(200, big.clone())),
        "/redirect" => {
            let mut r = resp(302, "");
            r.headers_mut()
                .insert("location", "/elsewhere".parse().unwrap());
            (Duration::ZERO, r)
        }
        _ => {
            r2.store(true, Ordering::SeqCst);
            (Duration::ZERO, resp(200, ""))
        }
    }))
    .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let silent = raw_server("silent").await;
    let hangup = raw_server("close").await;
    let garbage = raw_server("garbage").await;
    let stall = raw_server("stall-body").await;
    let urls = [
        format!("http://{closed}/"),
        format!("http://{silent}/"),
        format!("http://{addr}/slow"),
        format!("http://{addr}/big"),
        format!("http://{garbage}/"),
        format!("http://{addr}/redirect"),
        format!("http://{hangup}/"),
        format!("https://{addr}/tls"),
        format!("http://{addr}/a-bit-slow"),
        format!("http://{stall}/"),
    ];
    let expected = [
        ("connect_refused", DeliveryState::Exhausted),
        ("timeout", DeliveryState::Exhausted),
        ("timeout", DeliveryState::Exhausted),
        ("", DeliveryState::Delivered),
        ("protocol", DeliveryState::Exhausted),
        ("redirect", DeliveryState::Exhausted),
        ("connection_closed", DeliveryState::Exhausted),
        ("tls", DeliveryState::Exhausted),
        ("", DeliveryState::Delivered),
        ("", DeliveryState::Delivered),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.retry = "50ms,50ms".parse().unwrap();
    c.http.timeout = Duration::from_millis(500);
    c.http.connect_timeout = Duration::from_millis(500);
    let jobs: Vec<Job> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| Job::new(Kind::Event, parse_url(u).unwrap(), body(i)))
        .collect();
    let t0 = Instant::now();
    let (engine, mut rx) = start(c, JobSource::from_iter(signer(), jobs)).unwrap();
    while rx.recv().await.is_some() {}
    let s = engine.wait().await.unwrap();
    let elapsed = t0.elapsed();
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(s.delivered, 3);
    assert_eq!(s.exhausted, 7);
    assert_eq!(s.exit_code(), 1);
    assert!(
        !redirected.load(Ordering::SeqCst),
        "redirects are not followed"
    );
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    for (i, (kind, state)) in expected.iter().enumerate() {
        let d = store.delivery(i as u64 + 1).unwrap().unwrap();
        assert_eq!(d.delivery.state, *state, "{}", urls[i]);
        if *state == DeliveryState::Exhausted {
            assert_eq!(d.attempts.len(), 3, "{}", urls[i]);
            for a in &d.attempts {
                assert_eq!(a.error_kind.as_deref(), Some(*kind), "{}: {a:?}", urls[i]);
                assert!(a.finished_at_ms - a.started_at_ms < 1500);
            }
        }
    }
    let big = store.delivery(4).unwrap().unwrap();
    assert_eq!(big.attempts[0].response_body.len(), 4096);
    assert!(big.attempts[0].response_truncated);
    // A 200 whose body never completes counts as acknowledged; its latency is the whole
    // attempt, up to the timeout, not the time to the status line.
    let stalled = store.delivery(10).unwrap().unwrap();
    let a = &stalled.attempts[0];
    assert_eq!(a.http_status, Some(200));
    assert!(a.latency_us >= 500_000, "{a:?}");
    assert!(
        a.error_detail
            .as_deref()
            .is_some_and(|d| d.contains("not complete within")),
        "{a:?}"
    );
    let redirect = store.delivery(6).unwrap().unwrap();
    assert_eq!(redirect.attempts[0].http_status, Some(302));
    assert!(
        redirect.attempts[0]
            .response_headers
            .contains("location: /elsewhere")
    );
}

#[test]
fn resume_after_a_crash_delivers_the_rest_and_never_resends_a_recorded_200() {
    let main_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let phase2 = Arc::new(AtomicBool::new(false));
    let hits2: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let (p, h) = (phase2.clone(), hits2.clone());
    let addr = main_rt.block_on(http_server(Arc::new(move |_, _, b| {
        if p.load(Ordering::SeqCst) {
            h.lock().unwrap().push(b.clone());
            return (Duration::ZERO, resp(200, ""));
        }
        // Phase 1: even payloads succeed, odd ones fail; a little latency keeps some in flight.
        let odd = b
            .windows(2)
            .any(|w| w[0].is_ascii_digit() && w[1] == b'"' && (w[0] - b'0') % 2 == 1);
        (
            Duration::from_millis(5),
            resp(if odd { 500 } else { 200 }, ""),
        )
    })));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let url = parse_url(&format!("http://{addr}/hook")).unwrap();
    let n = 100;

    // Phase 1: its own runtime, dropped mid-run (no stop, no flush of in-flight work).
    let (p1, u1) = (path.clone(), url.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut c = EngineConfig::default();
            c.store_path = p1;
            c.concurrency = 4;
            c.retry = RetryPolicy::veriff();
            let jobs = (0..n).map(move |i| Job::new(Kind::Decision, u1.clone(), body(i)));
            let (engine, mut rx) = start(c, JobSource::from_iter(signer(), jobs)).unwrap();
            let mut finished = 0;
            while let Some(e) = rx.recv().await {
                if matches!(e, DeliveryEvent::AttemptFinished { .. }) {
                    finished += 1;
                    if finished == n / 2 {
                        break;
                    }
                }
            }
            std::mem::forget(engine);
        });
        rt.shutdown_background();
    })
    .join()
    .unwrap();
    // Let the orphaned store writer notice and exit.
    std::thread::sleep(Duration::from_millis(200));

    let store = Store::open_read_only(&path).unwrap();
    let before = store.counts(None).unwrap();
    assert!(before.delivered > 0 && before.pending > 0, "{before:?}");
    let mut delivered_bodies = HashSet::new();
    for id in store.ids_in_state(None, DeliveryState::Delivered).unwrap() {
        delivered_bodies.insert(Bytes::from(store.delivery(id).unwrap().unwrap().body));
    }
    drop(store);

    // Phase 2: resume with a fast time scale; the receiver now accepts everything.
    phase2.store(true, Ordering::SeqCst);
    let summary = main_rt.block_on(async {
        let mut c = EngineConfig::default();
        c.store_path = path.clone();
        c.resume = true;
        c.retry = RetryPolicy::veriff().time_scale(36000.0);
        let (engine, mut rx) = start(c, JobSource::none()).unwrap();
        let mut resumed = None;
        while let Some(e) = rx.recv().await {
            if let DeliveryEvent::Ready { resumed: r, .. } = e {
                resumed = Some(r);
            }
        }
        assert_eq!(resumed, Some(before.pending));
        engine.wait().await.unwrap()
    });
    assert_eq!(summary.delivered, before.pending);
    assert_eq!(summary.exit_code(), 0);
    let after = Store::open_read_only(&path).unwrap().counts(None).unwrap();
    assert_eq!(after.delivered, after.total);
    assert_eq!(after.pending, 0);
    let hits = hits2.lock().unwrap();
    assert_eq!(hits.len() as u64, before.pending);
    for b in hits.iter() {
        assert!(
            !delivered_bodies.contains(b),
            "a recorded 200 was sent again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_short_by_the_attempt_timeout_is_a_connect_timeout() {
    // The TLS handshake never gets an answer; the attempt's timeout (300 ms) ends it before
    // the connect timeout (10 s) would.
    let silent = raw_server("silent").await;
    let dir = tempfile::tempdir().unwrap();
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.retry = RetryPolicy::none();
    c.http.timeout = Duration::from_millis(300);
    c.http.connect_timeout = Duration::from_secs(10);
    let url = parse_url(&format!("https://{silent}/")).unwrap();
    let jobs = vec![Job::new(Kind::Event, url, body(0))];
    let (engine, mut rx) = start(c, JobSource::from_iter(signer(), jobs)).unwrap();
    while rx.recv().await.is_some() {}
    assert_eq!(engine.wait().await.unwrap().exhausted, 1);
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let a = &store.delivery(1).unwrap().unwrap().attempts[0];
    assert_eq!(a.error_kind.as_deref(), Some("connect_timeout"), "{a:?}");
    assert!(
        a.error_detail
            .as_deref()
            .is_some_and(|d| d.contains("within the attempt's timeout of 300ms")),
        "{a:?}"
    );
}

#[tokio::test]
async fn tls_options_are_checked_when_the_engine_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.http.ca_file = Some(dir.path().join("missing.pem"));
    let err = start(c.clone(), JobSource::none()).unwrap_err();
    assert!(err.to_string().contains("missing.pem"), "{err}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    c.http.ca_file = Some(empty);
    assert!(start(c.clone(), JobSource::none()).is_err());
    // insecure builds a client that accepts any certificate; with nothing to do the run ends at once.
    c.http.ca_file = None;
    c.http.insecure = true;
    let (engine, mut rx) = start(c, JobSource::none()).unwrap();
    while rx.recv().await.is_some() {}
    let s = engine.wait().await.unwrap();
    assert_eq!((s.attempts, s.exit_code()), (0, 0));
}

#[path = "support/tls.rs"]
mod tls;

/// An https server answering 200 to every request, with a fresh self-signed certificate; its
/// address and the certificate as PEM.
async fn https_server() -> (SocketAddr, String) {
    https_server_with(tls::self_signed_acceptor()).await
}

async fn https_server_with(
    (acceptor, pem): (tokio_rustls::TlsAcceptor, String),
) -> (SocketAddr, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(s).await else {
                    return; // the client refused our certificate
                };
                let svc = service_fn(|req: Request<Incoming>| async move {
                    let body = req.into_body().collect().await?.to_bytes();
                    Ok::<_, hyper::Error>(resp(200, format!("{{\"got\":{}}}", body.len())))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, pem)
}

/// One delivery to `url` with the given TLS settings: how many were delivered and how many
/// attempts failed on TLS, each with advice that names `--ca FILE` and `--insecure`.
async fn deliver_once(url: &str, insecure: bool, ca: Option<std::path::PathBuf>) -> (u64, u64) {
    let (delivered, details) = deliver_once_with_details(url, insecure, ca).await;
    for detail in &details {
        // Says what is wrong and how to fix it, in words.
        assert!(
            detail.contains("--ca FILE") && detail.contains("--insecure"),
            "{detail}"
        );
    }
    (delivered, details.len() as u64)
}

/// One delivery to `url`: how many were delivered, and the detail of each TLS failure.
async fn deliver_once_with_details(
    url: &str,
    insecure: bool,
    ca: Option<std::path::PathBuf>,
) -> (u64, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.retry = RetryPolicy::none();
    c.http.timeout = Duration::from_secs(5);
    c.http.insecure = insecure;
    c.http.ca_file = ca;
    let job = Job::new(Kind::Event, parse_url(url).unwrap(), body(0));
    let (engine, mut rx) = start(c, JobSource::from_iter(signer(), vec![job])).unwrap();
    let mut details = Vec::new();
    while let Some(e) = rx.recv().await {
        if let DeliveryEvent::AttemptFinished {
            error: Some(veriff_mock_send::ErrorKind::Tls),
            detail,
            ..
        } = e
        {
            details.push(detail.unwrap_or_default());
        }
    }
    let s = engine.wait().await.unwrap();
    (s.delivered, details)
}

#[tokio::test]
async fn a_self_signed_ca_certificate_given_with_ca_is_trusted_for_its_own_names() {
    // What `openssl req -x509 -addext subjectAltName=IP:127.0.0.1` makes: self-signed and
    // marked as a CA, which WebPKI alone refuses as a server's own certificate.
    let (addr, pem) = https_server_with(tls::self_signed_ca_acceptor(&["127.0.0.1"])).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("cert.pem");
    std::fs::write(&ca, &pem).unwrap();
    let url = format!("https://{addr}/webhooks");
    assert_eq!(deliver_once(&url, false, None).await, (0, 1));
    assert_eq!(deliver_once(&url, false, Some(ca.clone())).await, (1, 0));

    // Still only for the names it was issued for.
    let (addr, pem) = https_server_with(tls::self_signed_ca_acceptor(&["example.test"])).await;
    std::fs::write(&ca, &pem).unwrap();
    let url = format!("https://{addr}/webhooks");
    let (delivered, details) = deliver_once_with_details(&url, false, Some(ca)).await;
    assert_eq!(delivered, 0);
    assert_eq!(details.len(), 1);
    assert!(
        details[0].contains("not valid for this host name"),
        "{details:?}"
    );
}

#[tokio::test]
async fn https_delivers_with_the_ca_file_or_insecure_and_refuses_an_unknown_certificate() {
    let (addr, pem) = https_server().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let url = format!("https://{addr}/webhooks");

    // Not in the web roots: refused, recorded as a TLS error.
    assert_eq!(deliver_once(&url, false, None).await, (0, 1));
    // Trusted through --ca, or accepted with --insecure: delivered.
    assert_eq!(deliver_once(&url, false, Some(ca)).await, (1, 0));
    assert_eq!(deliver_once(&url, true, None).await, (1, 0));
}

#[tokio::test]
async fn https_to_a_plain_http_server_says_to_use_http() {
    // Answers whatever arrives (a TLS hello) the way plain HTTP servers do: 400, then close.
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.retry = RetryPolicy::none();
    c.http.timeout = Duration::from_secs(5);
    let job = Job::new(
        Kind::Event,
        parse_url(&format!("https://{addr}/")).unwrap(),
        body(0),
    );
    let (engine, mut rx) = start(c, JobSource::from_iter(signer(), vec![job])).unwrap();
    let mut details = Vec::new();
    while let Some(e) = rx.recv().await {
        if let DeliveryEvent::AttemptFinished {
            error: Some(veriff_mock_send::ErrorKind::Tls),
            detail,
            ..
        } = e
        {
            details.push(detail.unwrap_or_default());
        }
    }
    engine.wait().await.unwrap();
    assert_eq!(details.len(), 1);
    assert!(details[0].contains("use http://"), "{}", details[0]);
}

/// A plain HTTP/1.1 server that answers `200 ok` to every request and counts the connections
/// it accepted; with `one_per_connection` it closes each connection after one answer, without
/// saying so (no `connection: close`), as servers with a short keep-alive timeout do.
async fn counting_server(
    one_per_connection: bool,
) -> (SocketAddr, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let conns = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (c, h) = (conns.clone(), heads.clone());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let heads = h.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // One request: the head, then content-length bytes of body.
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_end + len);
                    heads.lock().unwrap().push(head);
                    if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    if one_per_connection {
                        return;
                    }
                }
            });
        }
    });
    (addr, conns, heads)
}

fn payload(url: &str, i: usize) -> veriff_mock_send::Payload {
    let body = Bytes::from(body(i));
    veriff_mock_send::Payload {
        id: i as u64,
        kind: "decision".into(),
        url: parse_url(url).unwrap(),
        headers: signer().headers(&body, false),
        body,
        tampered: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_kept_alive_connection_carries_sequential_attempts() {
    use veriff_mock_send::{HttpConfig, HttpTransport, Transport};
    let (addr, conns, heads) = counting_server(false).await;
    let t = HttpTransport::new(&HttpConfig::default(), 4).unwrap();
    for i in 0..20 {
        let r = t
            .send(&payload(&format!("http://{addr}/hooks/veriff?x=1"), i))
            .await;
        assert_eq!(
            (r.status, r.error),
            (Some(200), None),
            "attempt {i}: {:?}",
            r.detail
        );
        assert_eq!(&r.body_prefix[..], b"ok");
    }
    // Kept alive: a connection goes back to the pool once its response is read, so sequential
    // attempts reuse it (one more may open while the pool takes the last one back).
    let opened = conns.load(Ordering::SeqCst);
    assert!(
        opened <= 5,
        "{opened} connections for 20 sequential attempts"
    );
    let heads = heads.lock().unwrap();
    let first = heads[0].to_ascii_lowercase();
    assert!(
        first.starts_with("post /hooks/veriff?x=1 http/1.1\r\n"),
        "{first}"
    );
    assert!(first.contains(&format!("\r\nhost: {addr}\r\n")), "{first}");
    assert!(first.contains("\r\nx-hmac-signature: "), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_server_closed_while_idle_is_replaced_not_reported() {
    use veriff_mock_send::{HttpConfig, HttpTransport, Transport};
    let (addr, conns, _) = counting_server(true).await;
    let t = HttpTransport::new(&HttpConfig::default(), 4).unwrap();
    for i in 0..10 {
        let r = t.send(&payload(&format!("http://{addr}/"), i)).await;
        assert_eq!(
            (r.status, r.error),
            (Some(200), None),
            "attempt {i}: {:?}",
            r.detail
        );
        // Long enough for the close to reach the client (a request racing the close itself is
        // a failed attempt, retried by the policy, as with any HTTP client).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        conns.load(Ordering::SeqCst),
        10,
        "one connection per attempt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_to_back_attempts_racing_the_servers_closes_never_stall() {
    use veriff_mock_send::{ErrorKind, HttpConfig, HttpTransport, Transport};
    // One server closes each connection after one answer, without `connection: close`; the
    // other keeps them alive. Four tasks fire with no pause at both, so requests meet
    // connections at every point of their close. An attempt may lose that race (the request
    // crossed the close on the wire: `connection_closed`, retried by the policy), but none may
    // wait for its timeout, and most are delivered.
    let (closing, _, _) = counting_server(true).await;
    let (keeping, _, _) = counting_server(false).await;
    let mut config = HttpConfig::default();
    config.timeout = Duration::from_secs(5);
    let t = Arc::new(HttpTransport::new(&config, 4).unwrap());
    let mut tasks = Vec::new();
    for k in 0..4 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut delivered = 0;
            for i in 0..100 {
                let addr = if (i + k) % 3 == 0 { keeping } else { closing };
                let r = t.send(&payload(&format!("http://{addr}/"), i)).await;
                assert!(
                    r.latency < Duration::from_secs(2),
                    "attempt {k}/{i} stalled: {:?} {:?}",
                    r.error,
                    r.detail
                );
                match (r.status, r.error) {
                    (Some(200), None) => delivered += 1,
                    (None, Some(ErrorKind::ConnectionClosed)) => {}
                    other => panic!("attempt {k}/{i}: {other:?} {:?}", r.detail),
                }
            }
            delivered
        }));
    }
    let mut delivered = 0;
    for task in tasks {
        delivered += task.await.unwrap();
    }
    assert!(delivered >= 300, "{delivered} of 400 delivered");
}
