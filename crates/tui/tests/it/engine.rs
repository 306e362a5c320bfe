//! The adapter against the real engine and store: a run at a one-file HTTP server on 127.0.0.1,
//! its events mapped into the aggregate, then the store read back as the table, the detail pane
//! and `watch`.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use veriff_mock_contract::{Kind, SharedSecret};
use veriff_mock_send::{
    DeliveryEvent, EngineConfig, ErrorKind, Job, JobSource, RetryPolicy, Signer, Store, Trigger,
    parse_url, start,
};
use veriff_mock_tui::adapter::{StoreSource, send_command, tui_event};
use veriff_mock_tui::{
    Aggregate, AttemptOutcome, ControlCommand, DeliveryId, DetailSource, Filter, Phase, RowQuery,
    SortKey, TuiEvent, WatchSource,
};

#[path = "../support/serve.rs"]
mod serve;
use serve::serve;

fn run_engine(store: &std::path::Path, port: u16) -> Vec<DeliveryEvent> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut config = EngineConfig::default();
        config.store_path = store.to_path_buf();
        config.retry = RetryPolicy::none();
        config.concurrency = 2;
        let signer = Signer::new(SharedSecret::new("s3cret-key").unwrap(), "api-key-1").unwrap();
        let mut jobs = Vec::new();
        for i in 0..5 {
            let url = parse_url(&format!("http://127.0.0.1:{port}/ok")).unwrap();
            jobs.push(
                Job::new(Kind::Decision, url, format!(r#"{{"n":{i}}}"#))
                    .status("approved")
                    .session_id(format!("5e55{i:04}-0000-4000-8000-000000000000"))
                    .vendor_data(format!("user-{i}")),
            );
        }
        for i in 5..7 {
            let url = parse_url(&format!("http://127.0.0.1:{port}/fail")).unwrap();
            jobs.push(
                Job::new(Kind::Event, url, format!(r#"{{"n":{i}}}"#))
                    .status("submitted")
                    .session_id(format!("fa11{i:04}-0000-4000-8000-000000000000"))
                    .vendor_data(format!("user-{i}")),
            );
        }
        let (engine, mut events) = start(config, JobSource::from_iter(signer, jobs)).unwrap();
        let mut all = Vec::new();
        while let Some(e) = events.recv().await {
            all.push(e);
        }
        engine.wait().await.unwrap();
        all
    })
}

#[test]
fn a_real_run_maps_into_the_aggregate_and_reads_back_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deliveries.db");
    let port = serve();
    let events = run_engine(&path, port);

    // Live: engine events through the adapter.
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut live = Aggregate::default();
    for e in &events {
        if let Some(t) = tui_event(e, now) {
            live.apply(t);
        }
    }
    let c = live.counts();
    assert_eq!(
        (c.delivered, c.exhausted, c.total()),
        (5, 2, 7),
        "{events:#?}"
    );
    assert_eq!(live.attempts(), 7);
    assert_eq!(live.outcomes()[&AttemptOutcome::Status(503)], 2);
    assert!(live.is_finished());

    // The store as the table and the detail pane.
    let mut source = StoreSource::new(Store::open_read_only(&path).unwrap());
    let page = source
        .rows(&RowQuery {
            limit: 3,
            ..RowQuery::default()
        })
        .unwrap();
    assert_eq!(page.total, 7);
    assert_eq!(page.rows.len(), 3);
    assert!(page.rows[0].id > page.rows[1].id, "newest first");
    let page = source
        .rows(&RowQuery {
            offset: 5,
            limit: 10,
            ..RowQuery::default()
        })
        .unwrap();
    assert_eq!(page.rows.len(), 2);
    let failed = source
        .rows(&RowQuery {
            filter: Filter::Failed,
            sort: SortKey::Oldest,
            limit: 10,
            ..RowQuery::default()
        })
        .unwrap();
    assert_eq!(failed.total, 2);
    assert!(failed.rows.iter().all(|r| r.phase == Phase::Exhausted));
    assert_eq!(failed.rows[0].kind, Kind::Event);
    assert_eq!(
        failed.rows[0].last_outcome,
        Some(AttemptOutcome::Status(503))
    );
    let found = source
        .rows(&RowQuery {
            search: "USER-3".to_owned(),
            limit: 10,
            ..RowQuery::default()
        })
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].status, "approved");
    assert!(found.rows[0].session_id.starts_with("5e550003"));

    // Slowest last attempt first, by the latencies the store recorded.
    let slowest = source
        .rows(&RowQuery {
            sort: SortKey::Latency,
            limit: 10,
            ..RowQuery::default()
        })
        .unwrap();
    let latencies: Vec<Duration> = slowest
        .rows
        .iter()
        .map(|r| {
            let stored = source.detail(r.id).unwrap().unwrap().attempts[0].latency;
            assert_eq!(r.last_latency, stored, "#{}", r.id);
            r.last_latency.unwrap()
        })
        .collect();
    assert_eq!(latencies.len(), 7);
    assert!(latencies.is_sorted_by(|a, b| a >= b), "{latencies:?}");

    let id = failed.rows[0].id;
    let detail = source.detail(id).unwrap().unwrap();
    assert_eq!(detail.url, format!("http://127.0.0.1:{port}/fail"));
    assert_eq!(detail.request_body, br#"{"n":5}"#);
    assert!(
        detail
            .request_headers
            .iter()
            .any(|(n, v)| n == "x-hmac-signature" && v.len() == 64)
    );
    assert!(
        !format!("{detail:?}").contains("s3cret-key"),
        "never the secret"
    );
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(
        detail.attempts[0].outcome,
        Some(AttemptOutcome::Status(503))
    );
    assert_eq!(detail.attempts[0].response_body, br#"{"error":"boom"}"#);
    assert!(source.detail(DeliveryId(9_999)).unwrap().is_none());

    // Watch: the same counts from the store alone, and nothing new on the next poll.
    let header = source.header().unwrap();
    assert_eq!(header.targets.len(), 2);
    let mut watched = Aggregate::default();
    let mut cursor = 0;
    loop {
        let batch = source.poll(cursor, 4).unwrap();
        if batch.events.is_empty() {
            break;
        }
        cursor = batch.cursor;
        for e in batch.events {
            watched.apply(e);
        }
    }
    let w = watched.counts();
    assert_eq!((w.delivered, w.exhausted, w.total()), (5, 2, 7));
    assert_eq!(watched.attempts(), 7);
    assert!(source.poll(cursor, 100).unwrap().events.is_empty());
}

#[test]
fn engine_events_map_onto_ui_events() {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let map = |e: DeliveryEvent| tui_event(&e, now);
    assert_eq!(
        map(DeliveryEvent::AttemptStarted {
            id: 3,
            attempt: 2,
            trigger: Trigger::Manual
        }),
        Some(TuiEvent::AttemptStarted {
            id: DeliveryId(3),
            attempt: 2,
            manual: true,
            at: now
        })
    );
    assert_eq!(
        map(DeliveryEvent::AttemptStarted {
            id: 3,
            attempt: 3,
            trigger: Trigger::Duplicate
        }),
        None,
        "a chaos duplicate does not move the delivery"
    );
    assert_eq!(
        map(DeliveryEvent::AttemptFinished {
            id: 3,
            attempt: 2,
            trigger: Trigger::Scheduled,
            status: None,
            error: Some(ErrorKind::Timeout),
            detail: None,
            latency_us: 1_500,
            response_prefix: String::new(),
            response_truncated: false,
        }),
        Some(TuiEvent::AttemptFinished {
            id: DeliveryId(3),
            attempt: 2,
            outcome: AttemptOutcome::Error("timeout".to_owned()),
            latency: Duration::from_micros(1_500),
            manual: false,
            at: now
        })
    );
    assert_eq!(
        map(DeliveryEvent::RetryScheduled {
            id: 3,
            attempt: 3,
            at_unix_ms: now.timestamp_millis() + 1_000,
            in_ms: 1_000
        }),
        Some(TuiEvent::RetryScheduled {
            id: DeliveryId(3),
            at: now + chrono::Duration::seconds(1)
        })
    );
    assert_eq!(
        map(DeliveryEvent::UnexpectedOutcome {
            id: 4,
            attempt: 1,
            status: 200,
            reason: "accepted".to_owned()
        }),
        Some(TuiEvent::Unexpected {
            id: DeliveryId(4),
            at: now
        })
    );
    assert_eq!(map(DeliveryEvent::Paused), Some(TuiEvent::Paused(true)));
    assert_eq!(map(DeliveryEvent::Resumed), Some(TuiEvent::Paused(false)));
    assert!(matches!(
        map(DeliveryEvent::NotFound { id: 9 }),
        Some(TuiEvent::Notice(m)) if m.contains("#9")
    ));
    assert!(matches!(
        map(DeliveryEvent::Queued {
            id: 1,
            kind: "user-status".to_owned(),
            status: Some("created".to_owned()),
            session_id: Some("0b10cb53-4f3b".to_owned()),
            vendor_data: Some("user-1".to_owned()),
            url: "http://127.0.0.1:1/".to_owned(),
            tampered: false
        }),
        Some(TuiEvent::Queued(row)) if row.kind == Kind::UserStatus && row.phase == Phase::Queued
            && row.status == "created" && row.session_id == "0b10cb53-4f3b"
            && row.vendor_data.as_deref() == Some("user-1")
    ));
    assert_eq!(
        send_command(ControlCommand::Resend(DeliveryId(7))),
        veriff_mock_send::Command::Resend(vec![7])
    );
    assert_eq!(
        send_command(ControlCommand::RetryAllFailed),
        veriff_mock_send::Command::RetryFailedNow
    );
}

#[test]
fn ui_commands_reach_a_running_engine() {
    use veriff_mock_tui::ControlSink;
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = rt.block_on(async {
        let mut config = EngineConfig::default();
        config.store_path = dir.path().join("d.db");
        config.linger = true;
        let (engine, mut events) = start(config, JobSource::none()).unwrap();
        let mut control = engine.control();
        let mut seen = Vec::new();
        let mut step = 0;
        let timeout = Duration::from_secs(20);
        while let Ok(Some(e)) = tokio::time::timeout(timeout, events.recv()).await {
            let mapped = tui_event(&e, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
            if let Some(t) = mapped {
                seen.push(t);
            }
            let command = match (step, &e) {
                (0, DeliveryEvent::Ready { .. }) => Some(ControlCommand::Pause),
                (1, DeliveryEvent::Paused) => Some(ControlCommand::Resend(DeliveryId(9_999))),
                (2, DeliveryEvent::NotFound { .. }) => Some(ControlCommand::Stop),
                _ => None,
            };
            if let Some(command) = command {
                control.send_command(command).unwrap();
                step += 1;
            }
        }
        engine.wait().await.unwrap();
        seen
    });
    // Nothing to send: the lingering engine is done at once, and says so.
    assert!(
        seen.iter().any(|e| matches!(e, TuiEvent::Done { .. })),
        "{seen:?}"
    );
    let seen: Vec<TuiEvent> = seen
        .into_iter()
        .filter(|e| !matches!(e, TuiEvent::Done { .. }))
        .collect();
    assert_eq!(seen.first(), Some(&TuiEvent::Paused(true)), "{seen:?}");
    assert!(
        matches!(&seen[1], TuiEvent::Notice(m) if m.contains("9999")),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&TuiEvent::Finished));
}

/// Resends `ids` from the store at `store`, as `veriff-mock resend` does (manual attempts).
fn resend(store: &std::path::Path, ids: &[u64]) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut config = EngineConfig::default();
        config.store_path = store.to_path_buf();
        config.retry = RetryPolicy::none();
        config.linger = true;
        let (engine, mut events) = start(config, JobSource::none()).unwrap();
        let control = engine.control();
        let mut finished = 0;
        let timeout = Duration::from_secs(20);
        while let Ok(Some(e)) = tokio::time::timeout(timeout, events.recv()).await {
            match e {
                DeliveryEvent::Ready { .. } => assert!(control.resend(ids.to_vec())),
                DeliveryEvent::AttemptFinished { .. } => {
                    finished += 1;
                    if finished == ids.len() {
                        control.stop();
                    }
                }
                _ => {}
            }
        }
        engine.wait().await.unwrap();
    });
}

#[test]
fn watch_counts_the_manual_attempts_the_store_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deliveries.db");
    let port = serve();
    run_engine(&path, port);
    resend(&path, &[6, 7]);

    let mut source = StoreSource::new(Store::open_read_only(&path).unwrap());
    let mut watched = Aggregate::default();
    let mut cursor = 0;
    loop {
        let batch = source.poll(cursor, 100).unwrap();
        if batch.events.is_empty() {
            break;
        }
        cursor = batch.cursor;
        for e in batch.events {
            watched.apply(e);
        }
    }
    assert_eq!(watched.attempts(), 9);
    assert_eq!(watched.manual_attempts(), 2, "the two resends");
}
