//! `check` over https: the embedded receiver behind a TLS terminator with a self-signed
//! certificate, trusted through a CA file or accepted with `insecure`, and refused otherwise.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use veriff_mock_check::{CheckConfig, CheckError, run};
use veriff_mock_contract::SharedSecret;
use veriff_mock_receiver::Receiver;

#[path = "../../send/tests/support/tls.rs"]
mod tls;

const SECRET: &str = "abcdef12-abcd-abcd-abcd-abcdef012345";

/// Accepts TLS on a free port and pipes each connection to `backend` in plain TCP.
async fn tls_terminator(backend: SocketAddr) -> (SocketAddr, String) {
    let (acceptor, pem) = tls::self_signed_acceptor();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return; // the client refused the certificate
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (addr, pem)
}

fn config(url: &str) -> CheckConfig {
    CheckConfig::new(url, SharedSecret::new(SECRET).unwrap())
        .unwrap()
        .cases(8)
        .seed(3)
        .timeout(Duration::from_secs(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_receivers_are_checked_with_a_ca_file_or_insecure() {
    let receiver = Receiver::builder()
        .secret(SharedSecret::new(SECRET).unwrap())
        .start()
        .await
        .unwrap();
    let (addr, pem) = tls_terminator(receiver.addr()).await;
    let url = format!("https://{addr}/webhooks");
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("dev-ca.pem");
    std::fs::write(&ca, &pem).unwrap();

    let trusted = run(&config(&url).tls(false, Some(ca)).unwrap()).await;
    assert!(trusted.passed(), "{}", trusted.to_text());

    let insecure = run(&config(&url).tls(true, None).unwrap()).await;
    assert!(insecure.passed(), "{}", insecure.to_text());

    // An unknown certificate: every request fails at the handshake, and the report says so.
    let refused = run(&config(&url).cases(0)).await;
    assert!(!refused.passed());
    let first = refused.failures().next().unwrap();
    assert!(
        first.reason.to_lowercase().contains("certificate"),
        "the reason names the certificate problem: {}",
        first.reason
    );
    // In words, with the fix, and not blamed on the receiver.
    for failure in refused.failures() {
        assert!(
            failure.reason.contains(veriff_mock_check::TLS_FAILED)
                && failure.reason.contains("--ca FILE")
                && !failure.reason.contains("did it crash"),
            "{}",
            failure.reason
        );
    }
}

#[test]
fn an_unusable_ca_file_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = config("https://127.0.0.1:1/")
        .tls(false, Some(missing))
        .unwrap_err();
    assert!(matches!(err, CheckError::Tls(_)));
    assert!(err.to_string().contains("missing.pem"), "{err}");
}
