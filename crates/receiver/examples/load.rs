//! A quick local load test: starts a verifying receiver on 127.0.0.1 and hammers it with signed
//! decision payloads over keep-alive connections, then prints requests per second.
//!
//! `cargo run --release -p veriff-mock-receiver --example load -- [CONNECTIONS] [SECONDS] [serve]`
//!
//! With `serve` as the third argument it only serves (signing secret `load-test-secret`) for
//! SECONDS, so an external tool (wrk, oha) can be pointed at it; with `serve-sequence` it serves
//! without a secret and with the status sequence 500,500,200 per payload (to watch memory stay
//! flat under many distinct payloads).
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use veriff_mock_contract::{SharedSecret, sign_hex};
use veriff_mock_receiver::Receiver;

const BODY: &str = r#"{"status":"success","verification":{"id":"12df6045-3846-3e45-946a-14fa6136d78b","attemptId":"e30122d1-740b-4764-853f-470374a7abf4","code":9001,"person":{"gender":null,"idNumber":null,"lastName":"MORGAN","addresses":[{"fullAddress":"1234 Snowy Ridge Road, Indiana, 56789 USA","parsedAddress":{"city":null,"unit":null,"state":"Indiana","street":"1234 Snowy Ridge Road","country":"USA","postcode":"56789","houseNumber":"null"}}],"firstName":"SARAH","citizenship":null,"dateOfBirth":"1967-03-30","nationality":null,"yearOfBirth":"1967","placeOfBirth":"MADRID","pepSanctionMatch":null},"reason":null,"status":"approved","comments":[],"document":{"type":"DRIVERS_LICENSE","number":"MORGA753116SM9IJ","country":"GB","validFrom":null,"validUntil":"2022-04-20","placeOfIssue":"MADRID","firstIssue":"2015-03-21","issueNumber":"01","issuedBy":"ISSUER"},"reasonCode":null,"vendorData":"12345678","endUserId":null,"decisionTime":"2019-11-06T07:18:36.916Z","acceptanceTime":"2019-11-06T07:15:27.000Z","additionalVerifiedData":{}},"technicalData":{"ip":"186.153.67.122"}}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let connections: usize = args.first().map_or(Ok(64), |a| a.parse())?;
    let seconds: u64 = args.get(1).map_or(Ok(5), |a| a.parse())?;
    let mode = args.get(2).map_or("", String::as_str);
    let serve_only = mode.starts_with("serve");

    let secret = SharedSecret::new("load-test-secret")?;
    let builder = if mode == "serve-sequence" {
        Receiver::builder().status_sequence([500, 500, 200])
    } else {
        Receiver::builder().secret(secret.clone())
    };
    let receiver = builder.start().await?;
    println!("{}", receiver.config());
    if serve_only {
        println!(
            "signature for the built-in body: {}",
            sign_hex(&secret, BODY.as_bytes())
        );
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        println!("{:?}", receiver.shutdown().await);
        return Ok(());
    }

    let signature = sign_hex(&secret, BODY.as_bytes());
    let body = Bytes::from_static(BODY.as_bytes());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let addr = receiver.addr();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (stop, done, body, signature) = (
            Arc::clone(&stop),
            Arc::clone(&done),
            body.clone(),
            signature.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            while !stop.load(Ordering::Relaxed) {
                let request = Request::post("/decision")
                    .header("host", "127.0.0.1")
                    .header("content-type", "application/json")
                    .header("x-hmac-signature", signature.as_str())
                    .body(Full::new(body.clone()))?;
                send.ready().await?;
                let response = send.send_request(request).await?;
                let ok = response.status() == 200;
                response.into_body().collect().await?;
                if ok {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    for task in tasks {
        task.await??;
    }
    let ok = done.load(Ordering::Relaxed);
    let stats = receiver.shutdown().await;
    println!(
        "{connections} connections, {:.1}s: {ok} answered 200, {:.0} requests/s ({} requests seen, {} ok)",
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64(),
        stats.requests,
        stats.ok
    );
    Ok(())
}
