//! Measures the whole pipeline (sign + send + persist every attempt) against a trivial local
//! hyper server, next to a bare hyper client loop at the same concurrency (an `oha`-like
//! baseline). Run by hand, in release:
//!
//! ```text
//! cargo run --release -p veriff-mock-send --example throughput -- [COUNT] [CONCURRENCY] [all|engine|ceiling]
//! ```
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use veriff_mock_contract::{Kind, SharedSecret};
use veriff_mock_send::{
    AttemptResult, EngineConfig, Job, JobSource, Payload, RetryPolicy, SendFuture, Signer,
    Transport, parse_url, start, start_with_transport,
};

/// Answers 200 at once without any I/O: the ceiling of the engine plus the store.
struct Instant200;

impl Transport for Instant200 {
    fn send<'a>(&'a self, _: &'a Payload) -> SendFuture<'a> {
        Box::pin(async {
            AttemptResult {
                status: Some(200),
                ..AttemptResult::default()
            }
        })
    }
}

async fn server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req: Request<Incoming>| async move {
                    let _ = req.into_body().collect().await?;
                    Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

fn body(i: u64) -> Bytes {
    Bytes::from(format!(
        r#"{{"id":"f04bdb47-d3be-4b28-b028-{i:012}","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","feature":"selfid","code":7002,"action":"submitted","vendorData":"{i}","endUserId":null}}"#
    ))
}

async fn baseline(addr: SocketAddr, count: u64, concurrency: usize) -> f64 {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(concurrency)
        .build_http();
    let uri: http::Uri = format!("http://{addr}/hook").parse().expect("uri");
    let next = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, uri, next) = (client.clone(), uri.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let mut req = Request::new(Full::new(body(1)));
                *req.method_mut() = http::Method::POST;
                *req.uri_mut() = uri.clone();
                if let Ok(resp) = client.request(req).await {
                    let _ = resp.into_body().collect().await;
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    count as f64 / t0.elapsed().as_secs_f64()
}

async fn engine(
    addr: SocketAddr,
    count: u64,
    concurrency: usize,
    store: std::path::PathBuf,
    in_process: bool,
) -> Result<(f64, veriff_mock_send::Summary), Box<dyn std::error::Error>> {
    let mut config = EngineConfig::default();
    config.store_path = store;
    config.concurrency = concurrency;
    config.retry = RetryPolicy::none();
    let signer = Signer::new(
        SharedSecret::new("abcdef12-abcd-abcd-abcd-abcdef012345")?,
        "key",
    )?;
    let url = parse_url(&format!("http://{addr}/hook"))?;
    let jobs = (0..count).map(move |i| Job::new(Kind::Event, url.clone(), body(i)));
    let source = JobSource::from_iter(signer, jobs);
    let t0 = Instant::now();
    let (handle, mut events) = if in_process {
        start_with_transport(config, source, Arc::new(Instant200))?
    } else {
        start(config, source)?
    };
    while events.recv().await.is_some() {}
    let summary = handle.wait().await?;
    Ok((
        summary.delivered as f64 / t0.elapsed().as_secs_f64(),
        summary,
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let concurrency: usize = args.next().map_or(Ok(64), |a| a.parse())?;
    let mode = args.next().unwrap_or_else(|| "all".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let addr = server().await;
        let dir = tempfile::tempdir()?;
        if mode == "all" {
            let base = baseline(addr, count, concurrency).await;
            println!("bare hyper client, c={concurrency}: {base:.0} requests/s");
        }
        if mode == "all" || mode == "engine" {
            let store = dir.path().join("deliveries.db");
            let (rate, s) = engine(addr, count, concurrency, store.clone(), false).await?;
            println!(
                "engine (sign + send + store every attempt), c={concurrency}: {rate:.0} deliveries/s \
                 ({} delivered, p50 {} us, p99 {} us)",
                s.delivered, s.latency_p50_us, s.latency_p99_us
            );
            let size = std::fs::metadata(&store)?.len();
            println!("store: {:.1} MB for {count} deliveries", size as f64 / 1e6);
        }
        if mode == "all" || mode == "ceiling" {
            let store = dir.path().join("ceiling.db");
            let (rate, _) = engine(addr, count, concurrency, store, true).await?;
            println!("engine with an instant in-process transport (no network): {rate:.0} deliveries/s");
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
