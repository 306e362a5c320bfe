//! An independent Veriff webhook receiver for tests: a plain hyper server that checks
//! `X-HMAC-SIGNATURE` with `hmac` + `sha2` directly (no code shared with the contract crate), records
//! every request, and answers 200 for a valid signature, 401 otherwise.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use sha2::Sha256;
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub body: Vec<u8>,
    pub signature: Option<String>,
    pub auth_client: Option<String>,
    pub content_type: Option<String>,
    /// The `vrf-*` trio: signature, API key, integration id.
    pub vrf: [Option<String>; 3],
    pub valid: bool,
}

/// A running independent receiver.
#[derive(Debug, Clone)]
pub struct Independent {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Independent {
    pub fn url(&self) -> String {
        format!("http://{}/webhooks/veriff", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn valid(secret: &[u8], body: &[u8], signature: Option<&str>) -> bool {
    let Some(Ok(given)) = signature.map(|s| hex::decode(s.trim())) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// Starts the receiver on 127.0.0.1:0 inside the current tokio runtime.
pub async fn start(secret: &str) -> Independent {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let secret: Arc<[u8]> = secret.as_bytes().into();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (log, secret) = (log.clone(), secret.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let (log, secret) = (log.clone(), secret.clone());
                    async move {
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        let (signature, auth_client, content_type) = (
                            header("x-hmac-signature"),
                            header("x-auth-client"),
                            header("content-type"),
                        );
                        let vrf = [
                            header("vrf-hmac-signature"),
                            header("vrf-auth-client"),
                            header("vrf-integration-id"),
                        ];
                        let body = req.into_body().collect().await?.to_bytes().to_vec();
                        let valid = valid(&secret, &body, signature.as_deref());
                        log.lock().unwrap().push(Seen {
                            body,
                            signature,
                            auth_client,
                            content_type,
                            vrf,
                            valid,
                        });
                        let status = if valid { 200 } else { 401 };
                        Ok::<_, hyper::Error>(
                            Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
    Independent { addr, seen }
}

#[tokio::test]
async fn the_independent_receiver_checks_the_published_vector() {
    let receiver = start("abcdef12-abcd-abcd-abcd-abcdef012345").await;
    assert!(valid(
        b"abcdef12-abcd-abcd-abcd-abcdef012345",
        b"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7",
        Some("895cb3fd31139d89aeb7b263682e15479ab57651e70591256ad2c14fde4950dd")
    ));
    assert!(!valid(
        b"other",
        b"aea9ba6d-1b47-47fc-a4fc-f72b6d3584a7",
        Some("895c")
    ));
    assert!(receiver.seen().is_empty());
}
