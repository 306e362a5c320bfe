//! The HTTP side: a pooled hyper 1.x client (HTTP/1.1 keep-alive, https through rustls) that
//! makes one attempt and turns whatever happens into an [`AttemptResult`], never an error.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::time::Instant;

use crate::job::{Payload, headers_to_text};
use crate::outcome::ErrorKind;
use crate::retry::parse_retry_after;

/// How much of a response body is kept for the record.
pub const RESPONSE_PREFIX_LIMIT: usize = 4096;
/// After the prefix, at most this much more is read (and discarded) so the connection can be
/// reused; a longer body is abandoned by closing the connection.
pub const RESPONSE_DRAIN_LIMIT: usize = 256 * 1024;

/// HTTP client settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpConfig {
    /// Whole-attempt timeout: connect, send, response head and reading the response prefix.
    pub timeout: Duration,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Accept any server certificate (self-signed development certificates). Never for production.
    pub insecure: bool,
    /// A PEM file of CA certificates to trust instead of the built-in web roots.
    pub ca_file: Option<PathBuf>,
    /// Idle keep-alive connections kept per host (0 = the engine's concurrency).
    pub pool_max_idle_per_host: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            insecure: false,
            ca_file: None,
            pool_max_idle_per_host: 0,
        }
    }
}

/// Building the HTTP client failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The CA file could not be read or holds no certificate.
    #[error("cannot use the CA file {path:?}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Tls(String),
}

/// What one attempt produced: an HTTP answer or an error kind, with timings and the start of the
/// response. Plain data.
#[derive(Debug, Clone, Default)]
pub struct AttemptResult {
    /// The HTTP status, when a response head arrived.
    pub status: Option<u16>,
    /// Transport error (no usable answer). Status-based failures are classified by the engine.
    pub error: Option<ErrorKind>,
    /// A short human description of the error.
    pub detail: Option<String>,
    /// Time to the response head (or to the error).
    pub latency: Duration,
    /// Response headers, one `name: value` per line.
    pub response_headers: String,
    /// `Retry-After`, parsed.
    pub retry_after: Option<Duration>,
    /// The first [`RESPONSE_PREFIX_LIMIT`] bytes of the response body.
    pub body_prefix: Bytes,
    /// Whether the body was longer than the prefix.
    pub body_truncated: bool,
}

/// Boxed future returned by [`Transport::send`].
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = AttemptResult> + Send + 'a>>;

/// Sends one attempt. The engine uses [`HttpTransport`]; tests may plug in a fake to drive the
/// dispatcher under paused time.
pub trait Transport: Send + Sync + 'static {
    /// Sends `payload` once (exact body and stored headers) and reports what happened.
    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a>;
}

type HyperClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The real transport: hyper-util's pooled client over rustls (ring).
#[derive(Clone)]
pub struct HttpTransport {
    client: HyperClient,
    timeout: Duration,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// The connector the client uses: TCP (no Nagle, the connect timeout) and, for `https` URLs,
    /// rustls with the web roots, the CA file or, when `insecure`, any certificate. Other
    /// clients of the workspace (`check`) connect the same way.
    ///
    /// # Errors
    /// [`ClientError`] for an unusable CA file or TLS setup.
    pub fn connector(config: &HttpConfig) -> Result<HttpsConnector<HttpConnector>, ClientError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Tls(e.to_string()))?;
        let tls = if config.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
                .with_no_client_auth()
        } else if let Some(path) = &config.ca_file {
            let ca_err = |reason: String| ClientError::CaFile {
                path: path.clone(),
                reason,
            };
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| ca_err(e.to_string()))?;
            for cert in certs {
                let cert = cert.map_err(|e| ca_err(e.to_string()))?;
                roots.add(cert).map_err(|e| ca_err(e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(ca_err("no certificate in it".into()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            use hyper_rustls::ConfigBuilderExt;
            builder.with_webpki_roots().with_no_client_auth()
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        Ok(HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http))
    }

    /// Builds the client. `concurrency` sizes the keep-alive pool when the config leaves it at 0.
    ///
    /// # Errors
    /// [`ClientError`] for an unusable CA file or TLS setup.
    pub fn new(config: &HttpConfig, concurrency: usize) -> Result<Self, ClientError> {
        let https = Self::connector(config)?;
        let idle = if config.pool_max_idle_per_host == 0 {
            concurrency.max(1)
        } else {
            config.pool_max_idle_per_host
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(idle)
            .build(https);
        Ok(Self {
            client,
            timeout: config.timeout,
        })
    }

    async fn attempt(&self, payload: &Payload) -> AttemptResult {
        let start = Instant::now();
        let deadline = start + self.timeout;
        let mut req = Request::new(Full::new(payload.body.clone()));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = payload.url.clone();
        let h = req.headers_mut();
        h.reserve(payload.headers.len());
        for (n, v) in &payload.headers {
            h.append(n.clone(), v.clone());
        }
        let resp = match tokio::time::timeout_at(deadline, self.client.request(req)).await {
            Err(_) => {
                return AttemptResult {
                    error: Some(ErrorKind::Timeout),
                    detail: Some(format!("no response within {:?}", self.timeout)),
                    latency: start.elapsed(),
                    ..AttemptResult::default()
                };
            }
            Ok(Err(e)) => {
                let (kind, detail) = classify(&e);
                return AttemptResult {
                    error: Some(kind),
                    detail: Some(detail),
                    latency: start.elapsed(),
                    ..AttemptResult::default()
                };
            }
            Ok(Ok(resp)) => resp,
        };
        let latency = start.elapsed();
        let (parts, mut body) = resp.into_parts();
        let retry_after = parts
            .headers
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now_unix_ms()));
        let mut out = AttemptResult {
            status: Some(parts.status.as_u16()),
            latency,
            response_headers: headers_to_text(&parts.headers),
            retry_after,
            ..AttemptResult::default()
        };
        let mut prefix = BytesMut::new();
        let mut drained = 0usize;
        let read = async {
            while let Some(frame) = body.frame().await {
                let frame = match frame {
                    Ok(f) => f,
                    Err(e) => return Err(classify_hyper(&e)),
                };
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                let room = RESPONSE_PREFIX_LIMIT - prefix.len();
                if data.len() <= room {
                    prefix.extend_from_slice(&data);
                } else {
                    prefix.extend_from_slice(&data[..room]);
                    out.body_truncated = true;
                    drained += data.len() - room;
                    if drained > RESPONSE_DRAIN_LIMIT {
                        // Abandon the rest: dropping the body closes the connection.
                        break;
                    }
                }
            }
            Ok(())
        };
        match tokio::time::timeout_at(deadline, read).await {
            Ok(Ok(())) => {}
            Ok(Err((kind, detail))) => {
                out.error = Some(kind);
                out.detail = Some(format!("while reading the response body: {detail}"));
            }
            Err(_) => {
                out.error = Some(ErrorKind::Timeout);
                out.detail = Some(format!(
                    "response body not complete within {:?}",
                    self.timeout
                ));
            }
        }
        out.body_prefix = prefix.freeze();
        out
    }
}

impl Transport for HttpTransport {
    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a> {
        Box::pin(self.attempt(payload))
    }
}

/// Milliseconds since the Unix epoch, by the wall clock.
#[must_use]
pub fn now_unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn classify(e: &hyper_util::client::legacy::Error) -> (ErrorKind, String) {
    // Walk the cause chain; `io::Error` hides a wrapped error from `source()`, so look inside
    // it too (hyper-rustls wraps rustls errors in two layers of io::Error).
    let mut stack: Vec<&(dyn std::error::Error + 'static)> = vec![e];
    let mut tls = false;
    let mut io_kind = None;
    let mut hyper_kind = None;
    let mut innermost = e.to_string();
    let mut guard = 0;
    while let Some(s) = stack.pop() {
        guard += 1;
        if guard > 32 {
            break;
        }
        if s.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() != std::io::ErrorKind::Other || io_kind.is_none() {
                io_kind = Some(io.kind());
            }
            if let Some(inner) = io.get_ref() {
                stack.push(inner);
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            hyper_kind.get_or_insert(classify_hyper(h).0);
        }
        innermost = s.to_string();
        if let Some(next) = s.source() {
            stack.push(next);
        }
    }
    let kind = if tls {
        ErrorKind::Tls
    } else if e.is_connect() {
        match io_kind {
            Some(std::io::ErrorKind::ConnectionRefused) => ErrorKind::ConnectRefused,
            Some(std::io::ErrorKind::TimedOut) => ErrorKind::ConnectTimeout,
            _ => ErrorKind::Connect,
        }
    } else if let Some(k) = hyper_kind {
        k
    } else {
        match io_kind {
            Some(
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionAborted,
            ) => ErrorKind::ConnectionClosed,
            _ => ErrorKind::Io,
        }
    };
    (kind, innermost)
}

fn classify_hyper(e: &hyper::Error) -> (ErrorKind, String) {
    let kind = if e.is_parse() || e.is_parse_status() || e.is_parse_too_large() {
        ErrorKind::Protocol
    } else if e.is_incomplete_message() || e.is_closed() || e.is_canceled() {
        ErrorKind::ConnectionClosed
    } else if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        let mut s: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        let mut k = ErrorKind::Io;
        while let Some(x) = s {
            if let Some(io) = x.downcast_ref::<std::io::Error>()
                && matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::UnexpectedEof
                )
            {
                k = ErrorKind::ConnectionClosed;
            }
            s = x.source();
        }
        k
    };
    (kind, e.to_string())
}

/// `insecure`: accepts any certificate, still checks handshake signatures.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
