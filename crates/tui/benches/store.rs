//! Reads the table from a SQLite store of 100,000 deliveries, as live and watch mode do at each
//! refresh: the default view (newest first) and a view that needs a scan (failed, oldest first).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use veriff_mock_contract::{Kind, SharedSecret};
use veriff_mock_send::{
    EngineConfig, Job, JobSource, RetryPolicy, Signer, Store, parse_url, start,
};
use veriff_mock_tui::adapter::StoreSource;
use veriff_mock_tui::{DetailSource, Filter, RowQuery, SortKey};

const DELIVERIES: usize = 100_000;

#[path = "../tests/support/serve.rs"]
mod serve;
use serve::serve;

fn fill(path: &std::path::Path) {
    let port = serve();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut config = EngineConfig::default();
        config.store_path = path.to_path_buf();
        config.retry = RetryPolicy::none();
        config.concurrency = 32;
        let signer =
            Signer::new(SharedSecret::new("bench-secret").expect("secret"), "key").expect("signer");
        let ok = parse_url(&format!("http://127.0.0.1:{port}/ok")).expect("url");
        let fail = parse_url(&format!("http://127.0.0.1:{port}/fail")).expect("url");
        let jobs = (0..DELIVERIES).map(move |i| {
            let url = if i % 10 == 0 {
                fail.clone()
            } else {
                ok.clone()
            };
            Job::new(Kind::ALL[i % 8], url, format!(r#"{{"n":{i}}}"#))
                .status("approved")
                .session_id(format!("{i:08x}-0000-4000-8000-000000000000"))
                .vendor_data(format!("user-{i}"))
        });
        let (engine, mut events) =
            start(config, JobSource::from_iter(signer, jobs)).expect("engine");
        while events.recv().await.is_some() {}
        engine.wait().await.expect("run");
    });
}

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("deliveries.db");
    fill(&path);
    let mut source = StoreSource::new(Store::open_read_only(&path).expect("store"));
    let first = RowQuery {
        limit: 40,
        ..RowQuery::default()
    };
    assert_eq!(source.rows(&first).expect("rows").total, DELIVERIES);
    c.bench_function("store rows: newest, top page, 100k", |b| {
        b.iter(|| source.rows(&first).expect("rows"));
    });
    let deep = RowQuery {
        offset: 90_000,
        ..first.clone()
    };
    c.bench_function("store rows: newest, offset 90k, 100k", |b| {
        b.iter(|| source.rows(&deep).expect("rows"));
    });
    let failed = RowQuery {
        filter: Filter::Failed,
        sort: SortKey::Oldest,
        ..first.clone()
    };
    assert_eq!(source.rows(&failed).expect("rows").total, DELIVERIES / 10);
    c.bench_function("store rows: failed, oldest first (scan), 100k", |b| {
        b.iter(|| source.rows(&failed).expect("rows"));
    });
    c.bench_function("store detail, 100k", |b| {
        b.iter(|| {
            source
                .detail(veriff_mock_tui::DeliveryId(50_000))
                .expect("detail")
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(3));
    targets = store
}
criterion_main!(benches);
