//! Test support shared by the send and check tests: a TLS acceptor with a fresh self-signed
//! certificate for 127.0.0.1 and localhost.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS acceptor and its certificate as PEM (to trust as a CA file).
pub fn self_signed_acceptor() -> (tokio_rustls::TlsAcceptor, String) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    acceptor(cert.cert.pem(), cert.signing_key.serialize_der())
}

/// A TLS acceptor whose self-signed certificate for `names` is marked as a CA, as
/// `openssl req -x509` makes it by default; and the certificate as PEM.
#[allow(dead_code)]
pub fn self_signed_ca_acceptor(names: &[&str]) -> (tokio_rustls::TlsAcceptor, String) {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    acceptor(cert.pem(), key.serialize_der())
}

fn acceptor(pem: String, key_der: Vec<u8>) -> (tokio_rustls::TlsAcceptor, String) {
    let key = PrivateKeyDer::try_from(key_der).unwrap();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), pem)
}
