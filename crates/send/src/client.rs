//! The HTTP side: hyper 1.x HTTP/1.1 connections kept alive between attempts (https through
//! rustls) that make one attempt and turn whatever happens into an [`AttemptResult`], never an
//! error.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HOST, HeaderValue};
use http::uri::{Authority, PathAndQuery};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustc_hash::FxHashMap;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::time::Instant;

use crate::job::{Payload, headers_to_text};
use crate::outcome::ErrorKind;
use crate::retry::parse_retry_after;

/// An idle keep-alive connection older than this is closed rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

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

type Connector = HttpsConnector<HttpConnector>;
type Sender = http1::SendRequest<Full<Bytes>>;

/// What a keep-alive connection is good for: one scheme and authority.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Origin {
    https: bool,
    authority: Authority,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Self> {
        Some(Self {
            https: uri.scheme() == Some(&http::uri::Scheme::HTTPS),
            authority: uri.authority()?.clone(),
        })
    }
}

/// Keep-alive connections waiting for their next request, newest last.
#[derive(Default)]
struct IdleConnections {
    by_origin: FxHashMap<Origin, Vec<(Sender, Instant)>>,
}

/// A failed exchange: what kind, and a short description.
type Failure = (ErrorKind, String);

/// The real transport: HTTP/1.1 over hyper's connection API, with rustls (ring) for https.
///
/// Each attempt takes a kept-alive connection to its origin (or opens one), sends one request
/// and reads the response; a connection whose response was read to the end is kept for the next
/// attempt. The transport runs one task per connection (its HTTP/1.1 state machine) and none per
/// request, and retries no request except one never written because its kept-alive connection
/// had just closed.
#[derive(Clone)]
pub struct HttpTransport {
    connector: Connector,
    idle: Arc<Mutex<IdleConnections>>,
    max_idle: usize,
    timeout: Duration,
    connect_timeout: Duration,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("timeout", &self.timeout)
            .field("max_idle", &self.max_idle)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// The connector the transport uses: TCP (no Nagle, the connect timeout) and, for `https`
    /// URLs, rustls with the web roots, the CA file or, when `insecure`, any certificate. Other
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
            let mut pinned = Vec::new();
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| ca_err(e.to_string()))?;
            for cert in certs {
                let cert = cert.map_err(|e| ca_err(e.to_string()))?;
                roots.add(cert.clone()).map_err(|e| ca_err(e.to_string()))?;
                pinned.push(cert);
            }
            if roots.is_empty() {
                return Err(ca_err("no certificate in it".into()));
            }
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider.clone(),
            )
            .build()
            .map_err(|e| ca_err(e.to_string()))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(CaFileVerifier { webpki, pinned }))
                .with_no_client_auth()
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

    /// Builds the transport. `concurrency` bounds the kept-alive connections per origin when the
    /// config leaves it at 0.
    ///
    /// # Errors
    /// [`ClientError`] for an unusable CA file or TLS setup.
    pub fn new(config: &HttpConfig, concurrency: usize) -> Result<Self, ClientError> {
        let max_idle = if config.pool_max_idle_per_host == 0 {
            concurrency.max(1)
        } else {
            config.pool_max_idle_per_host
        };
        Ok(Self {
            connector: Self::connector(config)?,
            idle: Arc::default(),
            max_idle,
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
        })
    }

    /// A kept-alive connection to `origin`, if one is fresh enough.
    fn checkout(&self, origin: &Origin) -> Option<Sender> {
        let mut idle = self.idle.lock().ok()?;
        let stack = idle.by_origin.get_mut(origin)?;
        while let Some((sender, since)) = stack.pop() {
            if !sender.is_closed() && since.elapsed() < IDLE_TIMEOUT {
                return Some(sender);
            }
        }
        None
    }

    /// Keeps a connection whose last response was read to the end.
    fn checkin(&self, origin: Origin, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            let stack = idle.by_origin.entry(origin).or_default();
            if stack.len() < self.max_idle {
                stack.push((sender, Instant::now()));
            }
        }
    }

    /// Opens a connection (TCP, TLS for https) and starts its HTTP/1.1 state machine.
    async fn connect(&self, uri: &Uri) -> Result<Sender, Failure> {
        use tower_service::Service;
        let mut connector = self.connector.clone();
        std::future::poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| classify_connect(&*e))?;
        let io = connector
            .call(uri.clone())
            .await
            .map_err(|e| match classify_connect(&*e) {
                (ErrorKind::ConnectTimeout, _) => (
                    ErrorKind::ConnectTimeout,
                    format!("no TCP connection within {:?}", self.connect_timeout),
                ),
                failure => failure,
            })?;
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(|e| classify_request(&e))?;
        tokio::spawn(async move {
            let _ = connection.await;
            // Ends when the server closes the connection or the sender is dropped; its errors
            // reach the attempt through the response.
        });
        Ok(sender)
    }

    /// Sends `req` on a kept-alive or new connection. A request that a kept-alive connection
    /// never wrote (it had just closed) goes once more on a new connection.
    async fn exchange(
        &self,
        origin: &Origin,
        uri: &Uri,
        mut req: Request<Full<Bytes>>,
        deadline: Instant,
    ) -> Result<(Response<Incoming>, Sender), Failure> {
        loop {
            let (mut sender, reused) = match self.checkout(origin) {
                Some(sender) => (sender, true),
                // The attempt's timeout may end a connect before the connect timeout does: it
                // is still a connect that timed out.
                None => match tokio::time::timeout_at(deadline, self.connect(uri)).await {
                    Ok(sender) => (sender?, false),
                    Err(_) => {
                        return Err((
                            ErrorKind::ConnectTimeout,
                            format!(
                                "no connection within the attempt's timeout of {:?}",
                                self.timeout
                            ),
                        ));
                    }
                },
            };
            if let Err(e) = sender.ready().await {
                if reused {
                    continue;
                }
                return Err(classify_request(&e));
            }
            match sender.try_send_request(req).await {
                Ok(resp) => return Ok((resp, sender)),
                Err(mut e) => match e.take_message() {
                    Some(unsent) if reused => req = unsent,
                    _ => return Err(classify_request(e.error())),
                },
            }
        }
    }

    async fn attempt(&self, payload: &Payload) -> AttemptResult {
        let start = Instant::now();
        let deadline = crate::engine::later(start, self.timeout);
        let failed = |(kind, detail): Failure| AttemptResult {
            error: Some(kind),
            detail: Some(detail),
            latency: start.elapsed(),
            ..AttemptResult::default()
        };
        let Some(origin) = Origin::of(&payload.url) else {
            return failed((ErrorKind::Connect, "the URL has no host".into()));
        };
        let req = request_for(payload, &origin.authority);
        let (resp, sender) = match tokio::time::timeout_at(
            deadline,
            self.exchange(&origin, &payload.url, req, deadline),
        )
        .await
        {
            Err(_) => {
                return failed((
                    ErrorKind::Timeout,
                    format!("no response within {:?}", self.timeout),
                ));
            }
            Ok(Err(failure)) => return failed(failure),
            Ok(Ok(sent)) => sent,
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
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        };
        match tokio::time::timeout_at(deadline, read).await {
            Ok(Ok(true)) => self.checkin(origin, sender),
            Ok(Ok(false)) => {}
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
        // The attempt lasted until its answer was complete (or given up on), as load tools count.
        out.latency = start.elapsed();
        out.body_prefix = prefix.freeze();
        out
    }
}

/// The request for one attempt: `POST` in origin form, `Host`, then the stored headers in their
/// order, and the exact body.
fn request_for(payload: &Payload, authority: &Authority) -> Request<Full<Bytes>> {
    let mut req = Request::new(Full::new(payload.body.clone()));
    *req.method_mut() = Method::POST;
    *req.uri_mut() = match payload.url.path_and_query() {
        Some(pq) if pq.as_str() != "/" => Uri::from(pq.clone()),
        _ => Uri::from(PathAndQuery::from_static("/")),
    };
    let h = req.headers_mut();
    h.reserve(payload.headers.len() + 1);
    // As browsers and curl send it: the port only when it is not the scheme's default.
    let host = match (authority.port_u16(), payload.url.scheme_str()) {
        (Some(80), Some("http")) | (Some(443), Some("https")) | (None, _) => {
            HeaderValue::from_str(authority.host())
        }
        _ => HeaderValue::from_str(authority.as_str()),
    };
    if let Ok(host) = host {
        h.insert(HOST, host);
    }
    for (n, v) in &payload.headers {
        h.append(n.clone(), v.clone());
    }
    req
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

/// What a failed TLS handshake means and how to fix it, in words, when `e` (a connection or
/// request error) is one; `None` for any other error. `check` explains its failures with it.
#[must_use]
pub fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    causes(e).tls_advice
}

/// What a walk down an error's cause chain found.
struct Causes {
    tls: bool,
    /// A plain explanation of a TLS failure, with its fix.
    tls_advice: Option<String>,
    io_kind: Option<std::io::ErrorKind>,
    hyper_kind: Option<ErrorKind>,
    innermost: String,
}

fn causes(e: &(dyn std::error::Error + 'static)) -> Causes {
    // Walk the cause chain; `io::Error` hides a wrapped error from `source()`, so look inside
    // it too (hyper-rustls wraps rustls errors in two layers of io::Error).
    let mut found = Causes {
        tls: false,
        tls_advice: None,
        io_kind: None,
        hyper_kind: None,
        innermost: e.to_string(),
    };
    let mut stack: Vec<&(dyn std::error::Error + 'static)> = vec![e];
    let mut guard = 0;
    while let Some(s) = stack.pop() {
        guard += 1;
        if guard > 32 {
            break;
        }
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            found.tls = true;
            found.tls_advice.get_or_insert_with(|| tls_advice(tls));
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() != std::io::ErrorKind::Other || found.io_kind.is_none() {
                found.io_kind = Some(io.kind());
            }
            if let Some(inner) = io.get_ref() {
                stack.push(inner);
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            found.hyper_kind.get_or_insert(classify_hyper(h).0);
        }
        found.innermost = s.to_string();
        if let Some(next) = s.source() {
            stack.push(next);
        }
    }
    found
}

/// What a TLS failure means for someone pointing `fire` at a development server, and the fix.
fn tls_advice(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    const FIX: &str = "pass --ca FILE with the certificate of the CA that signed it, or --insecure \
                       for a development server";
    if matches!(
        e,
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
    ) {
        return "the server did not answer in TLS: if it serves plain HTTP, use http:// in the URL"
            .to_owned();
    }
    let rustls::Error::InvalidCertificate(cert) = e else {
        return format!("TLS handshake failed: {e}");
    };
    match cert {
        C::UnknownIssuer => {
            format!("the server's certificate is not signed by a trusted CA: {FIX}")
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => format!(
            "the server's certificate is not valid for this host name: use the name it was issued \
             for in the URL, or --insecure for a development server ({e})"
        ),
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            format!("the server's certificate is out of its validity dates ({e}): {FIX}")
        }
        C::Other(other) if is_ca_used_as_end_entity(other) => {
            "the server's certificate is a CA certificate serving as its own leaf (as \
             `openssl req -x509` makes by default): pass --ca FILE with that very certificate, \
             or --insecure for a development server"
                .to_owned()
        }
        _ => format!("the server's certificate was refused ({e}): {FIX}"),
    }
}

/// A connection could not be opened (TCP or TLS).
fn classify_connect(e: &(dyn std::error::Error + 'static)) -> Failure {
    let c = causes(e);
    if let Some(advice) = c.tls_advice {
        return (ErrorKind::Tls, advice);
    }
    let kind = if c.tls {
        ErrorKind::Tls
    } else {
        match c.io_kind {
            Some(std::io::ErrorKind::ConnectionRefused) => ErrorKind::ConnectRefused,
            Some(std::io::ErrorKind::TimedOut) => ErrorKind::ConnectTimeout,
            _ => ErrorKind::Connect,
        }
    };
    (kind, c.innermost)
}

/// An exchange on an open connection failed.
fn classify_request(e: &hyper::Error) -> Failure {
    let c = causes(e);
    let kind = if c.tls {
        ErrorKind::Tls
    } else if let Some(k) = c.hyper_kind {
        k
    } else {
        match c.io_kind {
            Some(
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionAborted,
            ) => ErrorKind::ConnectionClosed,
            _ => ErrorKind::Io,
        }
    };
    (kind, c.innermost)
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

fn is_ca_used_as_end_entity(e: &rustls::OtherError) -> bool {
    format!("{e:?}").contains("CaUsedAsEndEntity")
}

/// `--ca FILE`: the certificates of the file are trusted as CAs, as usual, and also as
/// themselves. A self-signed certificate made with `openssl req -x509` is marked as a CA, which
/// WebPKI refuses as a server's own certificate; curl and browsers with an exception accept it,
/// and a developer who names it with `--ca` means to trust it. Such a certificate is accepted
/// when the server presents exactly it, and still only for the host names it was issued for.
#[derive(Debug)]
struct CaFileVerifier {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for CaFileVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)))
                if is_ca_used_as_end_entity(&other)
                    && self
                        .pinned
                        .iter()
                        .any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
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
