//! The dispatcher under paused tokio time, with a scripted fake transport (no sockets).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use tokio::time::Instant;
use veriff_mock_contract::{Kind, SharedSecret, verify};
use veriff_mock_send::{
    AttemptResult, DeliveryEvent, DeliveryState, EngineConfig, ErrorKind, Job, JobSource, Payload,
    Retarget, RetryPolicy, SendFuture, Signer, Store, Summary, Transport, Trigger,
    start_with_transport,
};

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

type Respond = dyn Fn(&Payload, u32) -> (Duration, AttemptResult) + Send + Sync;

#[derive(Debug, Clone)]
struct Call {
    id: u64,
    at: Duration,
    body: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
}

struct Fake {
    t0: Instant,
    respond: Box<Respond>,
    calls: Mutex<Vec<Call>>,
    per_id: Mutex<HashMap<u64, u32>>,
    inflight: AtomicUsize,
    max_inflight: AtomicUsize,
}

impl Fake {
    fn new(
        respond: impl Fn(&Payload, u32) -> (Duration, AttemptResult) + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            t0: Instant::now(),
            respond: Box::new(respond),
            calls: Mutex::new(Vec::new()),
            per_id: Mutex::new(HashMap::new()),
            inflight: AtomicUsize::new(0),
            max_inflight: AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl Transport for Fake {
    fn send<'a>(&'a self, p: &'a Payload) -> SendFuture<'a> {
        Box::pin(async move {
            let nth = {
                let mut m = self.per_id.lock().unwrap();
                let n = m.entry(p.id).or_default();
                *n += 1;
                *n
            };
            self.calls.lock().unwrap().push(Call {
                id: p.id,
                at: self.t0.elapsed(),
                body: p.body.clone(),
                headers: p.headers.clone(),
            });
            let now = self.inflight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_inflight.fetch_max(now, Ordering::SeqCst);
            let (delay, result) = (self.respond)(p, nth);
            if delay == Duration::MAX {
                std::future::pending::<()>().await;
            } else if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            self.inflight.fetch_sub(1, Ordering::SeqCst);
            result
        })
    }
}

fn status(code: u16) -> AttemptResult {
    AttemptResult {
        status: Some(code),
        latency: Duration::from_millis(1),
        ..AttemptResult::default()
    }
}

fn signer() -> Signer {
    Signer::new(SharedSecret::new(SECRET).unwrap(), "api-key").unwrap()
}

fn jobs(n: usize) -> Vec<Job> {
    (0..n)
        .map(|i| {
            Job::new(
                Kind::Event,
                "http://127.0.0.1:1/hook".parse().unwrap(),
                format!(r#"{{"id":"s-{i}","action":"submitted"}}"#),
            )
        })
        .collect()
}

fn config(dir: &tempfile::TempDir, retry: RetryPolicy) -> EngineConfig {
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("d.db");
    c.retry = retry;
    c
}

/// Runs `jobs` against a receiver that never answers until `started` attempts are on the wire,
/// then stops the run (`c.shutdown_grace` lets them go) and returns its summary.
async fn stopped_after(c: EngineConfig, jobs: Vec<Job>, started: usize) -> Summary {
    let hang = Fake::new(|_, _| (Duration::MAX, status(200)));
    let (engine, mut rx) =
        start_with_transport(c, JobSource::from_iter(signer(), jobs), hang).unwrap();
    let mut seen = 0;
    while seen < started {
        if let Some(DeliveryEvent::AttemptStarted { .. }) = rx.recv().await {
            seen += 1;
        }
    }
    engine.control().stop();
    while rx.recv().await.is_some() {}
    engine.wait().await.unwrap()
}

async fn run_all(
    config: EngineConfig,
    source: JobSource,
    fake: Arc<Fake>,
) -> (Vec<DeliveryEvent>, Summary) {
    let (engine, mut rx) = start_with_transport(config, source, fake).unwrap();
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    (events, engine.wait().await.unwrap())
}

fn near(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= Duration::from_millis(5)
}

#[tokio::test(start_paused = true)]
async fn retry_list_is_followed_to_exhaustion_with_exact_waits() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(503)));
    let policy: RetryPolicy = "5s,1m,10m".parse().unwrap();
    let (events, summary) = run_all(
        config(&dir, policy),
        JobSource::from_iter(signer(), jobs(1)),
        fake.clone(),
    )
    .await;
    let at: Vec<_> = fake.calls().iter().map(|c| c.at).collect();
    let want = [0, 5, 65, 665].map(Duration::from_secs);
    assert_eq!(at.len(), 4, "{at:?}");
    for (a, w) in at.iter().zip(want) {
        assert!(near(*a, w), "{at:?}");
    }
    assert_eq!(summary.exhausted, 1);
    assert_eq!(summary.attempts, 4);
    assert_eq!(summary.retried, 3);
    assert_eq!(summary.exit_code(), 1);
    assert!(matches!(events.first(), Some(DeliveryEvent::Ready { .. })));
    assert!(matches!(
        events.last(),
        Some(DeliveryEvent::Finished { .. })
    ));
    let retries = events
        .iter()
        .filter(|e| matches!(e, DeliveryEvent::RetryScheduled { .. }))
        .count();
    assert_eq!(retries, 3);
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            DeliveryEvent::AttemptFinished { error, status, .. } => Some((*error, *status)),
            _ => None,
        })
        .collect();
    assert!(
        finished
            .iter()
            .all(|f| *f == (Some(ErrorKind::HttpStatus), Some(503)))
    );
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let d = store.delivery(1).unwrap().unwrap();
    assert_eq!(d.delivery.state, DeliveryState::Exhausted);
    assert_eq!(d.attempts.len(), 4);
    assert_eq!(
        d.attempts[0].next_attempt_at_ms.unwrap() - d.attempts[0].finished_at_ms,
        5000
    );
    assert!(d.attempts[3].next_attempt_at_ms.is_none());
}

#[tokio::test(start_paused = true)]
async fn veriff_schedule_scaled_and_retry_after_honoured() {
    let dir = tempfile::tempdir().unwrap();
    // First answer 429 with Retry-After 2 h (scaled /3600 → 2 s), then 500, then 200.
    let fake = Fake::new(|_, n| {
        let r = match n {
            1 => AttemptResult {
                retry_after: Some(Duration::from_secs(7200)),
                ..status(429)
            },
            2 => status(500),
            _ => status(200),
        };
        (Duration::ZERO, r)
    });
    let (_, summary) = run_all(
        config(&dir, RetryPolicy::veriff().time_scale(3600.0)),
        JobSource::from_iter(signer(), jobs(1)),
        fake.clone(),
    )
    .await;
    let at: Vec<_> = fake.calls().iter().map(|c| c.at).collect();
    assert!(near(at[1], Duration::from_secs(2)), "{at:?}");
    assert!(near(at[2], Duration::from_secs(3)), "{at:?}");
    assert_eq!(summary.delivered, 1);
    assert_eq!(summary.exit_code(), 0);
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_a_hard_cap_and_every_payload_is_signed_once() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::from_secs(1), status(200)));
    let mut c = config(&dir, RetryPolicy::veriff());
    c.concurrency = 4;
    let t0 = Instant::now();
    let (_, summary) = run_all(c, JobSource::from_iter(signer(), jobs(20)), fake.clone()).await;
    assert_eq!(summary.delivered, 20);
    assert_eq!(fake.max_inflight.load(Ordering::SeqCst), 4);
    let el = t0.elapsed();
    assert!(
        el >= Duration::from_secs(5) && el < Duration::from_secs(6),
        "{el:?}"
    );
    let secret = SharedSecret::new(SECRET).unwrap();
    for call in fake.calls() {
        let sig = call
            .headers
            .iter()
            .find(|(n, _)| n == "x-hmac-signature")
            .map(|(_, v)| v.to_str().unwrap());
        verify(&secret, &call.body, sig).unwrap();
        assert!(
            call.headers
                .iter()
                .any(|(n, v)| n == "x-auth-client" && v == "api-key")
        );
    }
}

#[tokio::test(start_paused = true)]
async fn rate_limit_paces_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut c = config(&dir, RetryPolicy::none());
    c.concurrency = 64;
    c.rate = Some(20.0);
    let (_, summary) = run_all(c, JobSource::from_iter(signer(), jobs(100)), fake.clone()).await;
    assert_eq!(summary.delivered, 100);
    let last = fake.calls().last().unwrap().at;
    assert!(
        last >= Duration::from_millis(4800) && last <= Duration::from_millis(5200),
        "{last:?}"
    );
}

/// A tiny `--time-scale` or `--rate` makes waits longer than the clock can hold: they are waits
/// of ages, not a panic.
#[tokio::test(start_paused = true)]
async fn waits_of_ages_do_not_overflow_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(500)));
    let mut js = jobs(3);
    js[0] = js[0].clone().not_before(Duration::from_secs(100));
    let policy: RetryPolicy = "1h".parse().unwrap();
    let mut c = config(&dir, policy.time_scale(1e-20));
    c.rate = Some(1e-300);
    let (engine, mut rx) =
        start_with_transport(c, JobSource::from_iter(signer(), js), fake.clone()).unwrap();
    // The first job goes at once; its retry, the job due "in 100 s" and the rate's next token
    // are all ages away.
    loop {
        match rx.recv().await {
            Some(DeliveryEvent::RetryScheduled { in_ms, .. }) => {
                assert!(in_ms > 1_000_000_000_000, "{in_ms}");
                break;
            }
            Some(_) => {}
            None => panic!("the run ended early"),
        }
    }
    engine.control().stop();
    while rx.recv().await.is_some() {}
    let summary = engine.wait().await.unwrap();
    assert!(summary.stopped && summary.pending >= 1, "{summary:?}");
}

#[tokio::test(start_paused = true)]
async fn not_before_is_scaled_from_run_start() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut js = jobs(2);
    js[0] = js[0].clone().not_before(Duration::from_secs(100));
    let (_, summary) = run_all(
        config(&dir, RetryPolicy::veriff().time_scale(10.0)),
        JobSource::from_iter(signer(), js),
        fake.clone(),
    )
    .await;
    assert_eq!(summary.delivered, 2);
    let calls = fake.calls();
    let by_id: HashMap<u64, Duration> = calls.iter().map(|c| (c.id, c.at)).collect();
    assert!(near(by_id[&2], Duration::ZERO));
    assert!(near(by_id[&1], Duration::from_secs(10)), "{by_id:?}");
}

#[tokio::test(start_paused = true)]
async fn tampered_payloads_rejected_as_expected_or_flagged_when_accepted() {
    // A correct receiver: 401 on a bad signature.
    let good = verifying(401);
    let dir = tempfile::tempdir().unwrap();
    let mut js = jobs(2);
    js[1] = js[1].clone().tampered(true);
    let (events, summary) = run_all(
        config(&dir, RetryPolicy::veriff()),
        JobSource::from_iter(signer(), js.clone()),
        good.clone(),
    )
    .await;
    assert_eq!(good.calls().len(), 2, "a rejection is final, not retried");
    assert_eq!(summary.delivered, 1);
    assert_eq!(summary.expected_rejections, 1);
    assert_eq!(summary.exit_code(), 0);
    assert!(events.iter().any(|e| matches!(
        e,
        DeliveryEvent::ExpectedRejection {
            id: 2,
            status: 401,
            ..
        }
    )));
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    assert_eq!(store.counts(None).unwrap().rejected, 1);

    // A naive receiver that accepts everything: the tampered one is an unexpected outcome.
    let naive = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let dir = tempfile::tempdir().unwrap();
    let (events, summary) = run_all(
        config(&dir, RetryPolicy::veriff()),
        JobSource::from_iter(signer(), js),
        naive,
    )
    .await;
    assert_eq!(summary.unexpected, 1);
    assert_eq!(summary.exit_code(), 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DeliveryEvent::UnexpectedOutcome { id: 2, .. }))
    );

    // A receiver that crashes on a bad signature (500) refuses nothing: unexpected too, not
    // retried, with the fix in the reason.
    let crashing = verifying(500);
    let dir = tempfile::tempdir().unwrap();
    let (events, summary) = run_all(
        config(&dir, RetryPolicy::veriff()),
        JobSource::from_iter(signer(), jobs_with_tampered_second()),
        crashing.clone(),
    )
    .await;
    assert_eq!(crashing.calls().len(), 2);
    assert_eq!((summary.delivered, summary.expected_rejections), (1, 0));
    assert_eq!((summary.unexpected, summary.exit_code()), (1, 1));
    assert!(events.iter().any(|e| matches!(
        e,
        DeliveryEvent::UnexpectedOutcome { id: 2, status: 500, reason, .. }
            if reason.contains("not a refusal") && reason.contains("401")
    )));
}

/// A receiver that answers 200 to a good signature and `bad` to any other.
fn verifying(bad: u16) -> Arc<Fake> {
    let secret = SharedSecret::new(SECRET).unwrap();
    Fake::new(move |p, _| {
        let sig = p
            .headers
            .iter()
            .find(|(n, _)| n == "x-hmac-signature")
            .and_then(|(_, v)| v.to_str().ok());
        let code = if verify(&secret, &p.body, sig).is_ok() {
            200
        } else {
            bad
        };
        (Duration::ZERO, status(code))
    })
}

fn jobs_with_tampered_second() -> Vec<Job> {
    let mut js = jobs(2);
    js[1] = js[1].clone().tampered(true);
    js
}

#[tokio::test(start_paused = true)]
async fn duplicates_are_byte_identical_copies() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut c = config(&dir, RetryPolicy::veriff());
    c.chaos.duplicate_rate = 1.0;
    let (_, summary) = run_all(c, JobSource::from_iter(signer(), jobs(10)), fake.clone()).await;
    assert_eq!(summary.delivered, 10);
    assert_eq!(summary.duplicates, 10);
    let calls = fake.calls();
    assert_eq!(calls.len(), 20);
    for id in 1..=10u64 {
        let copies: Vec<_> = calls.iter().filter(|c| c.id == id).collect();
        assert_eq!(copies.len(), 2);
        assert_eq!(copies[0].body, copies[1].body);
        assert_eq!(copies[0].headers, copies[1].headers);
    }
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let d = store.delivery(3).unwrap().unwrap();
    let mut triggers: Vec<_> = d.attempts.iter().map(|a| a.trigger.clone()).collect();
    triggers.sort();
    assert_eq!(triggers, ["duplicate", "scheduled"]);
}

#[tokio::test(start_paused = true)]
async fn the_seed_picks_the_same_duplicates_shuffled_or_resumed() {
    // The stream positions whose payloads went out twice.
    async fn duplicated(from: usize, shuffle_window: usize) -> Vec<usize> {
        let dir = tempfile::tempdir().unwrap();
        let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
        let mut c = config(&dir, RetryPolicy::none());
        c.chaos.duplicate_rate = 0.3;
        c.chaos.seed = 7;
        c.chaos.shuffle_window = shuffle_window;
        let js: Vec<Job> = jobs(100)
            .into_iter()
            .enumerate()
            .skip(from)
            .map(|(i, j)| j.source_index(i as u64))
            .collect();
        run_all(c, JobSource::from_iter(signer(), js), fake.clone()).await;
        let mut seen = HashMap::<Bytes, usize>::new();
        for call in fake.calls() {
            *seen.entry(call.body.clone()).or_default() += 1;
        }
        let mut twice: Vec<usize> = (from..100)
            .filter(|i| {
                seen.get(format!(r#"{{"id":"s-{i}","action":"submitted"}}"#).as_bytes()) == Some(&2)
            })
            .collect();
        twice.sort_unstable();
        twice
    }
    let all = duplicated(0, 0).await;
    assert!((15..=45).contains(&all.len()), "{all:?}");
    assert_eq!(duplicated(0, 8).await, all, "shuffled");
    let second_half: Vec<usize> = all.iter().copied().filter(|i| *i >= 50).collect();
    assert_eq!(duplicated(50, 0).await, second_half, "resumed half-way");
}

#[tokio::test(start_paused = true)]
async fn shuffled_jobs_due_now_never_wait_behind_jobs_due_later() {
    // Mostly jobs due in an hour, as a scenario's later webhooks are; every fourth is due now.
    // Pulling stops at 9 jobs waiting for later (4 × concurrency + window), with 3 due now: fewer
    // than a window, which must go out at once all the same.
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut c = config(&dir, RetryPolicy::none());
    c.concurrency = 1;
    c.chaos.shuffle_window = 5;
    let js: Vec<Job> = jobs(12)
        .into_iter()
        .enumerate()
        .map(|(k, j)| {
            if k % 4 == 0 {
                j
            } else {
                j.not_before(Duration::from_secs(3600 + k as u64))
            }
        })
        .collect();
    let (_, s) = run_all(c, JobSource::from_iter(signer(), js), fake.clone()).await;
    assert_eq!(s.delivered, 12);
    let calls = fake.calls();
    let due_now: Vec<&Call> = calls.iter().filter(|c| (c.id - 1) % 4 == 0).collect();
    assert_eq!(due_now.len(), 3);
    for call in due_now {
        assert!(
            call.at < Duration::from_secs(1),
            "#{} sent at {:?}",
            call.id,
            call.at
        );
    }
}

#[tokio::test(start_paused = true)]
async fn shuffle_window_reorders_deterministically() {
    async fn order(seed: u64) -> Vec<u64> {
        let dir = tempfile::tempdir().unwrap();
        let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
        let mut c = config(&dir, RetryPolicy::none());
        c.concurrency = 1;
        c.chaos.shuffle_window = 8;
        c.chaos.seed = seed;
        let (_, s) = run_all(c, JobSource::from_iter(signer(), jobs(50)), fake.clone()).await;
        assert_eq!(s.delivered, 50);
        fake.calls().iter().map(|c| c.id).collect()
    }
    let a = order(1).await;
    let b = order(1).await;
    let c = order(2).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_ne!(a, sorted, "out of order");
    assert_eq!(sorted, (1..=50).collect::<Vec<_>>());
    // Never further than the window from its place, earlier or later.
    for (pos, id) in a.iter().enumerate() {
        assert!(
            (*id as i64 - 1 - pos as i64).unsigned_abs() < 8,
            "{id} at {pos}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn pause_holds_retries_and_resume_releases_them() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(500)));
    let (engine, mut rx) = start_with_transport(
        config(&dir, "10s".parse().unwrap()),
        JobSource::from_iter(signer(), jobs(5)),
        fake.clone(),
    )
    .unwrap();
    let control = engine.control();
    assert!(control.pause());
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(fake.calls().len(), 0, "nothing starts while paused");
    assert!(control.resume());
    let mut saw_pause = false;
    while let Some(e) = rx.recv().await {
        saw_pause |= matches!(e, DeliveryEvent::Paused);
    }
    let summary = engine.wait().await.unwrap();
    assert!(saw_pause);
    assert_eq!(fake.calls().len(), 10);
    assert_eq!(summary.exhausted, 5);
}

#[tokio::test(start_paused = true)]
async fn stop_cancels_in_flight_after_grace_and_leaves_them_pending() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::MAX, status(200)));
    let mut c = config(&dir, RetryPolicy::veriff());
    c.concurrency = 2;
    c.shutdown_grace = Duration::from_secs(1);
    let (engine, mut rx) =
        start_with_transport(c, JobSource::from_iter(signer(), jobs(5)), fake.clone()).unwrap();
    let mut started = 0;
    while started < 2 {
        if let Some(DeliveryEvent::AttemptStarted { .. }) = rx.recv().await {
            started += 1;
        }
    }
    let t0 = Instant::now();
    engine.control().stop();
    let mut last = None;
    while let Some(e) = rx.recv().await {
        last = Some(e);
    }
    let summary = engine.wait().await.unwrap();
    assert!(t0.elapsed() <= Duration::from_secs(2));
    assert!(summary.stopped);
    assert_eq!(summary.exit_code(), 130);
    assert!(matches!(last, Some(DeliveryEvent::Finished { .. })));
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let counts = store.counts(None).unwrap();
    assert_eq!(counts.pending, summary.pending);
    assert!(summary.pending >= 2);
    let d = store.delivery(1).unwrap().unwrap();
    assert_eq!(d.attempts.len(), 1);
    assert_eq!(d.attempts[0].error_kind.as_deref(), Some("cancelled"));
    assert_eq!(d.delivery.state, DeliveryState::Pending);
}

#[tokio::test(start_paused = true)]
async fn resend_is_byte_identical_and_manual() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let (_, s) = run_all(
        config(&dir, RetryPolicy::veriff()),
        JobSource::from_iter(signer(), jobs(2)),
        fake.clone(),
    )
    .await;
    assert_eq!(s.delivered, 2);
    let mut c = config(&dir, RetryPolicy::veriff());
    c.resend = vec![2, 999];
    let (events, s2) = run_all(c, JobSource::none(), fake.clone()).await;
    assert_eq!(s2.manual, 1);
    // A run started to resend reports each verdict: nothing else in it counted them.
    assert_eq!(s2.delivered, 1);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, DeliveryEvent::NotFound { id: 999 }))
    );
    let calls = fake.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[2].id, 2);
    let first = calls.iter().find(|c| c.id == 2).unwrap();
    assert_eq!(first.body, calls[2].body);
    assert_eq!(first.headers, calls[2].headers);
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let d = store.delivery(2).unwrap().unwrap();
    assert_eq!(d.attempts.len(), 2);
    assert_eq!(d.attempts[1].trigger, "manual");
    assert_eq!(d.attempts[1].attempt, 2);
    assert_eq!(d.delivery.state, DeliveryState::Delivered);
    assert!(events.iter().any(|e| matches!(
        e,
        DeliveryEvent::AttemptFinished {
            id: 2,
            trigger: Trigger::Manual,
            status: Some(200),
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn retry_failed_now_pulls_hourly_retries_forward() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, n| (Duration::ZERO, status(if n == 1 { 500 } else { 200 })));
    let (engine, mut rx) = start_with_transport(
        config(&dir, RetryPolicy::veriff()),
        JobSource::from_iter(signer(), jobs(3)),
        fake.clone(),
    )
    .unwrap();
    let mut scheduled = 0;
    while scheduled < 3 {
        if let Some(DeliveryEvent::RetryScheduled { .. }) = rx.recv().await {
            scheduled += 1;
        }
    }
    let t0 = Instant::now();
    engine.control().retry_failed_now();
    while rx.recv().await.is_some() {}
    let s = engine.wait().await.unwrap();
    assert_eq!(s.delivered, 3);
    assert!(t0.elapsed() < Duration::from_secs(60), "{:?}", t0.elapsed());
}

#[tokio::test(start_paused = true)]
async fn jobs_are_pulled_lazily() {
    let dir = tempfile::tempdir().unwrap();
    let pulled = Arc::new(AtomicU64::new(0));
    let max_gap = Arc::new(AtomicU64::new(0));
    let (p2, g2) = (pulled.clone(), max_gap.clone());
    let sent = Arc::new(AtomicU64::new(0));
    let s2 = sent.clone();
    let fake = Fake::new(move |_, _| {
        let done = s2.fetch_add(1, Ordering::SeqCst);
        let gap = p2.load(Ordering::SeqCst).saturating_sub(done);
        g2.fetch_max(gap, Ordering::SeqCst);
        (Duration::from_millis(1), status(200))
    });
    let p3 = pulled.clone();
    let lazy = jobs(1).into_iter().cycle().take(3000).inspect(move |_| {
        p3.fetch_add(1, Ordering::SeqCst);
    });
    let mut c = config(&dir, RetryPolicy::none());
    c.concurrency = 8;
    let (_, s) = run_all(c, JobSource::from_iter(signer(), lazy), fake).await;
    assert_eq!(s.delivered, 3000);
    let gap = max_gap.load(Ordering::SeqCst);
    assert!(gap <= 16, "pulled ahead by {gap}");
}

#[tokio::test(start_paused = true)]
async fn a_manual_resend_can_rescue_an_exhausted_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let failing = Fake::new(|_, _| (Duration::ZERO, status(500)));
    let (_, s) = run_all(
        config(&dir, RetryPolicy::none()),
        JobSource::from_iter(signer(), jobs(1)),
        failing,
    )
    .await;
    assert_eq!(s.exhausted, 1);
    let fixed = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut c = config(&dir, RetryPolicy::none());
    c.resend = vec![1];
    let (_, s) = run_all(c, JobSource::none(), fixed).await;
    assert_eq!((s.delivered, s.manual, s.exit_code()), (1, 1, 0));
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let d = store.delivery(1).unwrap().unwrap();
    assert_eq!(d.delivery.state, DeliveryState::Delivered);
    assert_eq!(d.attempts.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_stopped_run_resumes_where_it_left_off() {
    let dir = tempfile::tempdir().unwrap();
    // First run: everything hangs; stop it with jobs still queued and attempts in flight.
    let mut c = config(&dir, RetryPolicy::veriff());
    c.concurrency = 3;
    c.shutdown_grace = Duration::from_millis(100);
    let mut js = jobs(6);
    js[5] = js[5].clone().not_before(Duration::from_secs(30));
    let first = stopped_after(c, js, 3).await;
    assert!(first.stopped && first.pending >= 3);
    // Second run: resume delivers every stored pending delivery.
    let ok = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut c = config(&dir, RetryPolicy::veriff());
    c.resume = true;
    c.max_payloads_in_memory = 1; // a "big" backlog: loaded without bytes, read back when due
    let (_, s) = run_all(c, JobSource::none(), ok.clone()).await;
    assert_eq!(s.delivered, first.pending);
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let counts = store.counts(None).unwrap();
    assert_eq!(counts.delivered, counts.total);
    assert_eq!(ok.calls().len() as u64, first.pending);
    for call in ok.calls() {
        let stored = store.delivery(call.id).unwrap().unwrap();
        assert_eq!(&call.body[..], &stored.body[..]);
        assert_eq!(
            veriff_mock_send::headers_to_text(call.headers.iter().map(|(a, b)| (a, b))),
            stored.request_headers
        );
    }
}

#[test]
fn a_resumed_scenario_keeps_its_timeline_at_this_run_s_time_scale() {
    // First run, in real time (paused time would jump to the webhooks' due times while the
    // store commits), stopped once both are queued: a scenario's webhooks due in 100 s and
    // 600 s. Neither was attempted.
    async fn run(dir: &tempfile::TempDir) -> Summary {
        let mut js = jobs(2);
        js[0] = js[0].clone().not_before(Duration::from_secs(100));
        js[1] = js[1].clone().not_before(Duration::from_secs(600));
        let hang = Fake::new(|_, _| (Duration::MAX, status(200)));
        let (engine, mut rx) = start_with_transport(
            config(dir, RetryPolicy::none()),
            JobSource::from_iter(signer(), js),
            hang,
        )
        .unwrap();
        let mut queued = 0;
        while queued < 2 {
            if let Some(DeliveryEvent::Queued { .. }) = rx.recv().await {
                queued += 1;
            }
        }
        engine.control().stop();
        while rx.recv().await.is_some() {}
        engine.wait().await.unwrap()
    }
    // Resumed: when each delivery is sent, from the resumed run's start.
    async fn resume(
        dir: &tempfile::TempDir,
        policy: RetryPolicy,
        stored_scale: Option<f64>,
    ) -> Vec<(u64, Duration)> {
        let started = Instant::now();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let ok = Fake::new(move |p, _| {
            log.lock().unwrap().push((p.id, started.elapsed()));
            (Duration::ZERO, status(200))
        });
        let mut c = config(dir, policy);
        c.resume = true;
        c.resumed_time_scale = stored_scale;
        let (_, s) = run_all(c, JobSource::none(), ok).await;
        assert_eq!(s.delivered, 2);
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_unstable();
        seen
    }
    for (policy, stored, at) in [
        // The same time scale: they wait their 100 s and 600 s.
        (RetryPolicy::none(), Some(1.0), [100, 600]),
        // Ten times faster now.
        (RetryPolicy::none().time_scale(10.0), Some(1.0), [10, 60]),
        // Stored under 10, resumed under 1: ten times slower.
        (RetryPolicy::none(), Some(10.0), [1_000, 6_000]),
        // No stored time scale: capped as a retry is, at this run's longest wait (none: 0).
        (RetryPolicy::none(), None, [0, 0]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let real = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(real.block_on(run(&dir)).pending, 2);
        let paused = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let sent = paused.block_on(resume(&dir, policy, stored));
        assert_eq!(sent.len(), 2, "{sent:?}");
        for ((_, sent_at), at) in sent.iter().zip(at) {
            let expected = Duration::from_secs(at);
            assert!(
                sent_at.abs_diff(expected) < Duration::from_secs(2) + expected / 100,
                "{stored:?}: {sent:?}, expected {at:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_run_stopped_before_its_source_ran_dry_says_not_everything_was_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&dir, RetryPolicy::none());
    c.concurrency = 2;
    c.shutdown_grace = Duration::from_millis(100);
    let stopped = stopped_after(c, jobs(500), 2).await;
    assert!(stopped.stopped);
    assert!(!stopped.all_queued, "{stopped:?}");
    let queued = Store::open_read_only(dir.path().join("d.db"))
        .unwrap()
        .counts(None)
        .unwrap()
        .total;
    assert!(queued < 500, "{queued} of 500 queued");

    // A run that ends by itself queued everything.
    let dir = tempfile::tempdir().unwrap();
    let ok = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let (_, s) = run_all(
        config(&dir, RetryPolicy::none()),
        JobSource::from_iter(signer(), jobs(5)),
        ok,
    )
    .await;
    assert!(s.all_queued && !s.stopped, "{s:?}");
}

#[tokio::test(start_paused = true)]
async fn an_attempt_cut_off_by_a_stop_does_not_use_up_the_retry_policy() {
    let dir = tempfile::tempdir().unwrap();
    // No retries at all: a stopped attempt must still leave its delivery one to make.
    let mut c = config(&dir, RetryPolicy::none());
    c.concurrency = 2;
    c.shutdown_grace = Duration::from_millis(100);
    let stopped = stopped_after(c, jobs(2), 2).await;
    assert_eq!(stopped.pending, 2);
    assert!(stopped.all_queued, "both jobs were queued before the stop");

    let ok = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut c = config(&dir, RetryPolicy::none());
    c.resume = true;
    let (_, s) = run_all(c, JobSource::none(), ok.clone()).await;
    assert_eq!((s.delivered, s.exhausted), (2, 0));
    assert_eq!(ok.calls().len(), 2);
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    for id in 1..=2 {
        let d = store.delivery(id).unwrap().unwrap();
        assert_eq!(d.delivery.state, DeliveryState::Delivered);
        assert_eq!(d.attempts.len(), 2, "the cut-off attempt stays on record");
    }
}

#[tokio::test(start_paused = true)]
async fn a_resumed_run_sends_pending_deliveries_where_it_is_told() {
    let dir = tempfile::tempdir().unwrap();
    // First run: every attempt hangs; stop it with deliveries of two kinds pending.
    let mut c = config(&dir, RetryPolicy::veriff());
    c.concurrency = 4;
    c.shutdown_grace = Duration::from_millis(100);
    let mut js = jobs(3);
    js.push(Job::new(
        Kind::Decision,
        "http://127.0.0.1:1/decisions".parse().unwrap(),
        r#"{"status":"success"}"#,
    ));
    assert_eq!(stopped_after(c, js, 4).await.pending, 4);

    // Resumed with a new URL for events only: decisions keep the URL stored with them.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let ok = Fake::new(move |p, _| {
        log.lock()
            .unwrap()
            .push((p.kind.clone(), p.url.to_string()));
        (Duration::ZERO, status(200))
    });
    let mut c = config(&dir, RetryPolicy::veriff());
    c.resume = true;
    c.max_payloads_in_memory = 1; // loaded without bytes: read back from the store when due
    let mut to = Retarget::default();
    to.by_kind
        .insert("event".into(), "http://127.0.0.1:2/new".parse().unwrap());
    c.resume_to = Some(to);
    let (_, s) = run_all(c, JobSource::none(), ok).await;
    assert_eq!(s.delivered, 4);
    let mut seen = seen.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "decision".to_owned(),
                "http://127.0.0.1:1/decisions".to_owned()
            ),
            ("event".to_owned(), "http://127.0.0.1:2/new".to_owned()),
            ("event".to_owned(), "http://127.0.0.1:2/new".to_owned()),
            ("event".to_owned(), "http://127.0.0.1:2/new".to_owned()),
        ]
    );
    // The store says where each one went.
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    for id in 1..=4 {
        let d = store.delivery(id).unwrap().unwrap().delivery;
        let expected = if d.kind == "event" {
            "http://127.0.0.1:2/new"
        } else {
            "http://127.0.0.1:1/decisions"
        };
        assert_eq!(d.url, expected);
    }
}

#[tokio::test(start_paused = true)]
async fn payloads_evicted_during_long_waits_come_back_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, n| (Duration::ZERO, status(if n <= 2 { 500 } else { 200 })));
    let mut c = config(&dir, RetryPolicy::veriff().time_scale(1800.0)); // 2 s waits
    c.max_payloads_in_memory = 0;
    let (_, s) = run_all(c, JobSource::from_iter(signer(), jobs(30)), fake.clone()).await;
    assert_eq!(s.delivered, 30);
    assert_eq!(s.attempts, 90);
    let calls = fake.calls();
    for id in 1..=30u64 {
        let mine: Vec<_> = calls.iter().filter(|c| c.id == id).collect();
        assert_eq!(mine.len(), 3);
        assert!(
            mine.iter()
                .all(|c| c.body == mine[0].body && c.headers == mine[0].headers)
        );
    }
}

#[tokio::test]
async fn a_lingering_run_says_when_it_is_done_and_its_time_ends_there() {
    let dir = tempfile::tempdir().unwrap();
    let fake = Fake::new(|_, _| (Duration::ZERO, status(200)));
    let mut c = config(&dir, RetryPolicy::none());
    c.linger = true;
    c.run_spec = Some("spec".to_owned());
    let (engine, mut rx) =
        start_with_transport(c, JobSource::from_iter(signer(), jobs(3)), fake).unwrap();
    let drained = loop {
        match rx.recv().await {
            Some(DeliveryEvent::Drained { summary }) => break summary,
            Some(DeliveryEvent::Finished { .. }) | None => panic!("a lingering run went on"),
            Some(_) => {}
        }
    };
    assert_eq!(drained.delivered, 3);
    // Recorded as complete at once, as a run without the UI is, not only when the UI closes.
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    assert!(store.runs_with_spec().unwrap()[0].2);
    // Browsing the finished run for a while does not count as the run's time.
    tokio::time::sleep(Duration::from_millis(400)).await;
    engine.control().stop();
    while rx.recv().await.is_some() {}
    let s = engine.wait().await.unwrap();
    assert_eq!(s.elapsed_ms, drained.elapsed_ms);
    assert_eq!((s.delivered, s.pending), (3, 0));
}

#[tokio::test]
async fn an_exhausted_delivery_is_counted_once_however_often_it_is_resent() {
    let dir = tempfile::tempdir().unwrap();
    // Fails its first attempt and the first resend, then is acknowledged.
    let fake = Fake::new(|_, n| (Duration::ZERO, status(if n <= 2 { 500 } else { 200 })));
    let mut c = config(&dir, RetryPolicy::none());
    c.linger = true;
    let (engine, mut rx) =
        start_with_transport(c, JobSource::from_iter(signer(), jobs(2)), fake).unwrap();
    let mut drained = Vec::new();
    let mut resent = 0;
    while let Some(e) = rx.recv().await {
        if let DeliveryEvent::Drained { summary } = e {
            drained.push(summary);
            if resent < 3 {
                resent += 1;
                engine.control().resend(vec![1]);
            } else {
                engine.control().stop();
            }
        }
    }
    let s = engine.wait().await.unwrap();
    let counts = |s: &Summary| (s.delivered, s.exhausted, s.manual);
    assert_eq!(counts(&drained[0]), (0, 2, 0));
    // A resend that fails again leaves it exhausted: still one each.
    assert_eq!(counts(&drained[1]), (0, 2, 1));
    // Rescued: delivered now, and no longer exhausted.
    assert_eq!(counts(&drained[2]), (1, 1, 2));
    // Resent once more and acknowledged again: it was counted as delivered already.
    assert_eq!(counts(&drained[3]), (1, 1, 3));
    assert_eq!(counts(&s), (1, 1, 3));
    let store = Store::open_read_only(dir.path().join("d.db")).unwrap();
    let stored = store.counts(None).unwrap();
    assert_eq!((stored.delivered, stored.exhausted), (1, 1));
}
