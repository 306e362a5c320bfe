//! Store read APIs, schema versioning, and the NDJSON event schema.

use std::sync::Arc;
use std::time::Duration;

use veriff_mock_contract::{Kind, SharedSecret};
use veriff_mock_send::{
    AttemptResult, DeliveryEvent, DeliveryQuery, DeliveryState, EngineConfig, ErrorKind, Job,
    JobSource, Payload, RetryPolicy, SendFuture, Signer, Store, StoreError, Transport,
    start_with_transport,
};

/// Answers 200 to payloads whose body mentions "ok", 500 otherwise.
struct ByBody;

impl Transport for ByBody {
    fn send<'a>(&'a self, p: &'a Payload) -> SendFuture<'a> {
        Box::pin(async move {
            let ok = p.body.windows(2).any(|w| w == b"ok");
            AttemptResult {
                status: Some(if ok { 200 } else { 500 }),
                latency: Duration::from_micros(250),
                response_headers: "content-type: text/plain\n".into(),
                body_prefix: bytes::Bytes::from_static(b"answer"),
                ..AttemptResult::default()
            }
        })
    }
}

async fn populate(dir: &tempfile::TempDir) -> Vec<DeliveryEvent> {
    let mut c = EngineConfig::default();
    c.store_path = dir.path().join("nested").join("d.db");
    c.retry = "1s".parse().unwrap();
    let signer = Signer::new(SharedSecret::new("secret-xyz").unwrap(), "key").unwrap();
    let url: http::Uri = "http://127.0.0.1:1/h".parse().unwrap();
    let jobs: Vec<Job> = (0..25)
        .map(|i| {
            let kind = if i % 5 == 0 {
                Kind::Event
            } else {
                Kind::Decision
            };
            let b = if i % 3 == 0 { "fail" } else { "ok" };
            Job::new(kind, url.clone(), format!(r#"{{"n":{i},"b":"{b}"}}"#))
                .status("approved")
                .session_id(format!("s-{i}"))
                .vendor_data(format!("v-{i}"))
        })
        .collect();
    let (engine, mut rx) =
        start_with_transport(c, JobSource::from_iter(signer, jobs), Arc::new(ByBody)).unwrap();
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    engine.wait().await.unwrap();
    events
}

#[tokio::test(start_paused = true)]
async fn read_apis_page_filter_and_count() {
    let dir = tempfile::tempdir().unwrap();
    populate(&dir).await;
    let store = Store::open_read_only(dir.path().join("nested/d.db")).unwrap();
    let counts = store.counts(None).unwrap();
    assert_eq!(counts.total, 25);
    assert_eq!(counts.exhausted, 9); // i % 3 == 0
    assert_eq!(counts.delivered, 16);
    assert_eq!(counts.attempts, 16 + 9 * 2);
    assert_eq!(store.counts(Some(1)).unwrap(), counts);
    assert_eq!(store.counts(Some(2)).unwrap().total, 0);

    // Newest first, paged.
    let mut q = DeliveryQuery::default();
    q.limit = 10;
    let page1 = store.list(&q).unwrap();
    assert_eq!(
        page1.iter().map(|d| d.id).collect::<Vec<_>>(),
        (16..=25).rev().collect::<Vec<_>>()
    );
    q.before_id = Some(16);
    let page2 = store.list(&q).unwrap();
    assert_eq!(page2.first().unwrap().id, 15);
    // Filters.
    let mut q = DeliveryQuery::default();
    q.state = Some(DeliveryState::Exhausted);
    q.kind = Some("event".into());
    let ex = store.list(&q).unwrap();
    assert_eq!(ex.iter().map(|d| d.id).collect::<Vec<_>>(), [16, 1]);
    assert!(
        ex.iter()
            .all(|d| d.attempts == 2 && d.last_status == Some(500))
    );
    assert_eq!(ex[0].last_error.as_deref(), Some("http_status"));
    // One delivery in full.
    let d = store.delivery(2).unwrap().unwrap();
    assert_eq!(d.delivery.session_id.as_deref(), Some("s-1"));
    assert_eq!(d.delivery.vendor_data.as_deref(), Some("v-1"));
    assert_eq!(d.delivery.status_label.as_deref(), Some("approved"));
    assert_eq!(d.delivery.kind, "decision");
    assert_eq!(d.body, br#"{"n":1,"b":"ok"}"#);
    assert_eq!(d.attempts.len(), 1);
    assert_eq!(d.attempts[0].latency_us, 250);
    assert_eq!(d.attempts[0].response_body, b"answer");
    assert_eq!(d.attempts[0].trigger, "scheduled");
    assert!(store.delivery(999).unwrap().is_none());
    assert_eq!(
        store
            .ids_in_state(None, DeliveryState::Exhausted)
            .unwrap()
            .len(),
        9
    );
    // The secret is nowhere in the file.
    drop(store);
    let raw = std::fs::read(dir.path().join("nested/d.db")).unwrap();
    assert!(!raw.windows(10).any(|w| w == b"secret-xyz"));
}

fn pragma(path: &std::path::Path, name: &str) -> String {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row(&format!("PRAGMA {name}"), [], |r| {
        r.get::<_, rusqlite::types::Value>(0)
    })
    .map(|v| match v {
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Text(t) => t,
        other => format!("{other:?}"),
    })
    .unwrap()
}

#[test]
fn a_new_store_uses_16k_pages_in_wal_mode_and_an_existing_one_keeps_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.db");
    drop(Store::open(&new).unwrap());
    assert_eq!(pragma(&new, "page_size"), "16384");
    assert_eq!(pragma(&new, "journal_mode"), "wal");

    // A file whose page size is already fixed (4 KiB, as earlier versions wrote) stays usable.
    let old = dir.path().join("old.db");
    {
        let c = rusqlite::Connection::open(&old).unwrap();
        c.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;")
            .unwrap();
    }
    let store = Store::open(&old).unwrap();
    assert!(store.list(&DeliveryQuery::default()).unwrap().is_empty());
    drop(store);
    assert_eq!(pragma(&old, "page_size"), "4096");
}

#[test]
fn newer_or_garbled_stores_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.db");
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.execute_batch("PRAGMA user_version = 7;").unwrap();
    }
    let err = Store::open(&newer).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerVersion { found: 7, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer"));
    assert!(matches!(
        Store::open_read_only(&newer).unwrap_err(),
        StoreError::NewerVersion { .. }
    ));

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
    let err = Store::open(&garbage).unwrap_err();
    assert!(
        matches!(err, StoreError::Garbled { .. } | StoreError::Open { .. }),
        "{err:?}"
    );

    let other = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t (x);").unwrap();
    }
    assert!(matches!(
        Store::open(&other).unwrap_err(),
        StoreError::Garbled { .. }
    ));

    let missing = dir.path().join("missing.db");
    assert!(matches!(
        Store::open_read_only(&missing).unwrap_err(),
        StoreError::Open { .. }
    ));
    // A fresh store is created with its folder, and opens again.
    let fresh = dir.path().join("a/b/c.db");
    Store::open(&fresh).unwrap();
    Store::open(&fresh).unwrap();
    Store::open_read_only(&fresh).unwrap();
}

#[tokio::test(start_paused = true)]
async fn ndjson_events_follow_schema_v1() {
    let dir = tempfile::tempdir().unwrap();
    let events = populate(&dir).await;
    let lines: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::to_value(e.ndjson()).unwrap())
        .collect();
    assert!(lines.iter().all(|l| l["v"] == 1 && l["type"].is_string()));
    assert_eq!(lines.first().unwrap()["type"], "ready");
    assert_eq!(lines.last().unwrap()["type"], "finished");
    let ready = &lines[0];
    for k in [
        "run_id",
        "store",
        "concurrency",
        "retry",
        "time_scale",
        "resumed",
    ] {
        assert!(ready.get(k).is_some(), "ready.{k}");
    }
    let types: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    for t in [
        "queued",
        "attempt_started",
        "attempt_finished",
        "retry_scheduled",
        "delivered",
        "exhausted",
    ] {
        assert!(types.contains(t), "{t} in {types:?}");
    }
    let fin = lines
        .iter()
        .find(|l| l["type"] == "attempt_finished" && l["status"] == 500)
        .unwrap();
    assert_eq!(fin["error"], "http_status");
    assert_eq!(fin["trigger"], "scheduled");
    assert_eq!(fin["latency_us"], 250);
    assert_eq!(fin["response_prefix"], "answer");
    assert!(fin.get("detail").is_some());
    let ok = lines
        .iter()
        .find(|l| l["type"] == "attempt_finished" && l["status"] == 200)
        .unwrap();
    assert!(ok["error"].is_null());
    let retry = lines
        .iter()
        .find(|l| l["type"] == "retry_scheduled")
        .unwrap();
    assert_eq!(retry["in_ms"], 1000);
    assert!(retry["at_unix_ms"].as_i64().unwrap() > 1_600_000_000_000);
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["delivered"], 16);
    assert_eq!(summary["exhausted"], 9);
    assert_eq!(summary["stopped"], false);
    assert_eq!(summary["all_queued"], true);
    // Unit variants serialize as a bare type.
    assert_eq!(
        serde_json::to_string(&DeliveryEvent::Paused.ndjson()).unwrap(),
        r#"{"v":1,"type":"paused"}"#
    );
    // Error kinds have stable snake_case names.
    for k in ErrorKind::ALL {
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        assert_eq!(ErrorKind::from_name(k.as_str()), Some(k));
    }
    // Queued is committed before it is announced: every announced id is in the store.
    let store = Store::open_read_only(dir.path().join("nested/d.db")).unwrap();
    for e in &events {
        if let DeliveryEvent::Queued { id, .. } = e {
            assert!(store.delivery(*id).unwrap().is_some());
        }
    }
}

#[test]
fn policy_display_round_trips() {
    for s in ["veriff", "none"] {
        assert_eq!(s.parse::<RetryPolicy>().unwrap().to_string(), s);
    }
    let p: RetryPolicy = "500ms,5s".parse().unwrap();
    assert_eq!(p.to_string().parse::<RetryPolicy>().unwrap(), p);
}

#[test]
fn a_reader_tells_whether_a_process_holds_the_store_lock_without_keeping_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    Store::open(&store).unwrap();
    assert_eq!(
        veriff_mock_send::writer_alive(&store),
        Some(false),
        "never locked"
    );
    let lock = std::fs::File::create(veriff_mock_send::lock_path(&store)).unwrap();
    lock.try_lock().unwrap();
    assert_eq!(veriff_mock_send::writer_alive(&store), Some(true), "held");
    // Another path to the same store names the same lock.
    let other = dir.path().join(".").join("d.db");
    assert_eq!(veriff_mock_send::writer_alive(&other), Some(true));
    lock.unlock().unwrap();
    assert_eq!(
        veriff_mock_send::writer_alive(&store),
        Some(false),
        "released"
    );
    // The test took the lock only for an instant: a writer can take it now.
    let again = std::fs::File::open(veriff_mock_send::lock_path(&store)).unwrap();
    again.try_lock().unwrap();
}

#[test]
fn runs_are_listed_newest_first_with_their_label_and_spec() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    for label in ["mixed", "resend"] {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut config = EngineConfig::default();
            config.store_path.clone_from(&path);
            config.run_label = label.to_owned();
            config.run_spec = (label == "mixed").then(|| r#"{"v":1}"#.to_owned());
            let (engine, mut events) =
                start_with_transport(config, JobSource::none(), Arc::new(ByBody)).unwrap();
            while events.recv().await.is_some() {}
            engine.wait().await.unwrap();
        });
    }
    let runs = Store::open_read_only(&path).unwrap().runs().unwrap();
    let got: Vec<(&str, Option<&str>)> = runs
        .iter()
        .map(|r| (r.label.as_str(), r.spec.as_deref()))
        .collect();
    assert_eq!(got, [("resend", None), ("mixed", Some(r#"{"v":1}"#))]);
}
