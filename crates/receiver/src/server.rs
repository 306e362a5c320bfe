//! The hyper server: accept loop, connections, graceful shutdown, and the per-request handler.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use veriff_mock_contract::{SharedSecret, VerifyError, Webhook, headers};

use crate::ReceiverError;
use crate::builder::{ReceiverBuilder, ReceiverConfig};
use crate::flaw::{Flaw, SLOW_FLAW_DELAY};
use crate::record::{Answer, RequestRecord, Ring, SignatureCheck};
use crate::script::{Attempts, Dice, Stream, payload_key};
use crate::stats::{Counters, Stats};

const X_HMAC_SIGNATURE: HeaderName = HeaderName::from_static(headers::X_HMAC_SIGNATURE);
const VRF_HMAC_SIGNATURE: HeaderName = HeaderName::from_static(headers::VRF_HMAC_SIGNATURE);
const X_AUTH_CLIENT: HeaderName = HeaderName::from_static(headers::X_AUTH_CLIENT);
const VRF_AUTH_CLIENT: HeaderName = HeaderName::from_static(headers::VRF_AUTH_CLIENT);
const JSON: HeaderValue = HeaderValue::from_static(headers::APPLICATION_JSON);

const OK_BODY: &[u8] = br#"{"status":"ok"}"#;

/// Everything a request handler needs, shared by all connections.
struct State {
    secret: Option<SharedSecret>,
    api_key: Option<Box<[u8]>>,
    status_sequence: Box<[u16]>,
    attempts: Attempts,
    fail_rate: f64,
    fail_status: u16,
    drop_rate: f64,
    delay: Duration,
    dice: Dice,
    body_limit: usize,
    arrivals: AtomicU64,
    /// Requests fully handled (answered, refused or dropped), for [`RunningReceiver::wait_for_requests`].
    handled: AtomicU64,
    /// How many callers wait in [`RunningReceiver::wait_for_requests`]; `handled` is only
    /// notified when some do, to keep the hot path free of locks.
    waiters: AtomicUsize,
    handled_notify: Notify,
    counters: Counters,
    ring: Ring,
    events: broadcast::Sender<RequestRecord>,
    /// The mistake made on purpose, if any.
    flaw: Option<Flaw>,
}

/// A receiver that is serving. Dropping it stops the server (as [`RunningReceiver::shutdown`],
/// without waiting).
pub struct RunningReceiver {
    config: ReceiverConfig,
    state: Arc<State>,
    token: CancellationToken,
    server: Option<JoinHandle<()>>,
}

pub(crate) async fn start(builder: ReceiverBuilder) -> Result<RunningReceiver, ReceiverError> {
    let bind = builder.bind;
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|source| ReceiverError::Bind { addr: bind, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ReceiverError::Bind { addr: bind, source })?;
    let config = builder.config(addr);
    let token = builder
        .cancel
        .as_ref()
        .map_or_else(CancellationToken::new, CancellationToken::child_token);
    let (events, _) = broadcast::channel(builder.event_capacity.max(1));
    let state = Arc::new(State {
        api_key: builder.api_key.map(|k| k.into_bytes().into_boxed_slice()),
        secret: builder.secret,
        status_sequence: builder.status_sequence.into_boxed_slice(),
        attempts: Attempts::new(builder.sequence_memory),
        fail_rate: builder.fail_rate,
        fail_status: builder.fail_status,
        drop_rate: builder.drop_rate,
        delay: if builder.flaw == Some(Flaw::Slow) {
            builder.delay.max(SLOW_FLAW_DELAY)
        } else {
            builder.delay
        },
        dice: Dice::new(builder.seed),
        body_limit: builder.body_limit,
        arrivals: AtomicU64::new(0),
        handled: AtomicU64::new(0),
        waiters: AtomicUsize::new(0),
        handled_notify: Notify::new(),
        counters: Counters::default(),
        ring: Ring::new(builder.record_capacity),
        events,
        flaw: builder.flaw,
    });
    let server = tokio::spawn(serve(
        listener,
        Arc::clone(&state),
        token.clone(),
        builder.grace_period,
    ));
    Ok(RunningReceiver {
        config,
        state,
        token,
        server: Some(server),
    })
}

/// `http://HOST:PORT/` for an address, with an unspecified address (`0.0.0.0`, `::`) replaced by
/// the loopback one so the URL can be used to connect.
pub(crate) fn url_for(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, addr.port()))
}

impl RunningReceiver {
    /// The address it listens on (the port picked, when 0 was asked for).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.config.addr
    }

    /// `http://127.0.0.1:PORT/`: the URL to send webhooks to (any path is accepted).
    #[must_use]
    pub fn url(&self) -> String {
        url_for(self.config.addr)
    }

    /// The settings it runs with (no secrets).
    #[must_use]
    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// A snapshot of the counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.state.counters.snapshot()
    }

    /// The most recent requests (up to the record capacity), oldest first.
    #[must_use]
    pub fn records(&self) -> Vec<RequestRecord> {
        self.state.ring.snapshot()
    }

    /// Forgets the recorded requests (the counters stay).
    pub fn clear_records(&self) {
        self.state.ring.clear();
    }

    /// A channel of one [`RequestRecord`] per request from now on, for printing a line per request.
    /// Records are only built while someone subscribes (or records are kept). A subscriber more
    /// than the event capacity behind gets [`broadcast::error::RecvError::Lagged`] and skips ahead;
    /// the channel closes when the receiver stops.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<RequestRecord> {
        self.state.events.subscribe()
    }

    /// Waits until at least `n` requests have been fully handled (answered, refused or dropped)
    /// since the start, and returns how many have. Wrap it in `tokio::time::timeout` in tests.
    pub async fn wait_for_requests(&self, n: u64) -> u64 {
        /// Un-registers the waiter however the wait ends (a timeout drops it mid-wait).
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, SeqCst);
            }
        }
        let state = &self.state;
        state.waiters.fetch_add(1, SeqCst);
        let _waiting = Waiting(&state.waiters);
        loop {
            let notified = state.handled_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let handled = state.handled.load(SeqCst);
            if handled >= n {
                return handled;
            }
            notified.await;
        }
    }

    /// Stops accepting connections, lets in-flight requests finish (within the grace period),
    /// waits for every connection to close, and returns the final counters.
    pub async fn shutdown(mut self) -> Stats {
        self.token.cancel();
        if let Some(server) = self.server.take() {
            // The server task only ends by returning; a join error would mean it panicked, and
            // there is nothing left to wait for either way.
            let _ = server.await;
        }
        self.state.counters.snapshot()
    }

    /// Resolves when the receiver has been told to stop by the token given to
    /// [`ReceiverBuilder::cancel_on`](crate::ReceiverBuilder::cancel_on), so a command can wait
    /// for either that or Ctrl-C, then call [`RunningReceiver::shutdown`].
    pub async fn stopping(&self) {
        self.token.cancelled().await;
    }
}

impl std::fmt::Debug for RunningReceiver {
    /// The config and counters; never the secret, and not the (long) record ring.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningReceiver")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .field("stopping", &self.token.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl Drop for RunningReceiver {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    token: CancellationToken,
    grace: Duration,
) {
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = token.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                tracker.spawn(connection(stream, Arc::clone(&state), token.clone(), grace));
            }
            // Out of file descriptors and the like: back off a little instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
}

async fn connection(
    stream: TcpStream,
    state: Arc<State>,
    token: CancellationToken,
    grace: Duration,
) {
    // Best effort: answers are small, and Nagle would hold them back behind delayed ACKs.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| handle(Arc::clone(&state), request));
    // No header-read timeout: hyper would start it as soon as a connection opens, so a sender's
    // pool that opens connections ahead of use would see them closed under it after 30 s idle,
    // which makes spurious failed deliveries. On 127.0.0.1 there is no slowloris to fear, and
    // idle connections close when the client closes them or the receiver shuts down.
    let conn = http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    // Connection errors (a client that went away, a dropped request) end the connection; they
    // are the client's business, counted per request where it matters.
    tokio::select! {
        _ = conn.as_mut() => return,
        () = token.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(grace, conn).await;
}

/// Returned by the service to make hyper close the connection without writing an answer.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// The verdict on one request, before it becomes a response.
struct Verdict {
    answer: Answer,
    signature: SignatureCheck,
    detail: Option<String>,
    webhook: Option<Webhook>,
    attempt: Option<u32>,
}

impl Verdict {
    fn new(answer: Answer) -> Self {
        Self {
            answer,
            signature: SignatureCheck::NotChecked,
            detail: None,
            webhook: None,
            attempt: None,
        }
    }

    fn because(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let started = Instant::now();
    let seq = state.arrivals.fetch_add(1, Relaxed);
    Counters::bump(&state.counters.requests);
    let (parts, body) = request.into_parts();

    let (verdict, body_len) = if parts.method == Method::POST {
        match Limited::new(body, state.body_limit).collect().await {
            Ok(collected) => {
                let body = collected.to_bytes();
                let verdict = judge(&state, seq, &parts.headers, &body).await;
                (verdict, body.len())
            }
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => (
                Verdict::new(Answer::PayloadTooLarge)
                    .because(format!("body larger than {} bytes", state.body_limit)),
                state.body_limit,
            ),
            Err(e) => (
                Verdict::new(Answer::BodyError).because(format!("reading the body: {e}")),
                0,
            ),
        }
    } else {
        (
            Verdict::new(Answer::MethodNotAllowed).because(format!(
                "method {} not allowed; webhooks are POST",
                parts.method
            )),
            0,
        )
    };

    count(&state.counters, &verdict);
    let response = respond(&verdict);
    if state.ring.is_enabled() || state.events.receiver_count() > 0 {
        let record = RequestRecord {
            seq,
            at: SystemTime::now(),
            path: parts.uri.path().to_owned(),
            body_len,
            signature: verdict.signature,
            kind: verdict.webhook.as_ref().and_then(Webhook::kind),
            status: verdict.webhook.as_ref().and_then(Webhook::status),
            session_id: verdict
                .webhook
                .as_ref()
                .and_then(Webhook::session_id)
                .map(str::to_owned),
            attempt: verdict.attempt,
            answer: verdict.answer,
            detail: verdict.detail,
            elapsed: started.elapsed(),
        };
        if state.events.receiver_count() > 0 {
            // No subscriber left between the check and the send is fine: nobody to tell.
            let _ = state.events.send(record.clone());
        }
        state.ring.push(record);
    }
    state.handled.fetch_add(1, SeqCst);
    if state.waiters.load(SeqCst) > 0 {
        state.handled_notify.notify_waiters();
    }
    response.ok_or(DropConnection)
}

/// Decides the answer to a POST with a fully read body, in the documented order of precedence.
async fn judge(state: &State, seq: u64, headers: &HeaderMap, body: &[u8]) -> Verdict {
    if state.dice.roll(seq, Stream::Drop, state.drop_rate) {
        return Verdict::new(Answer::Dropped).because("dropped on purpose (drop rate)");
    }
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }

    let mut signature = SignatureCheck::NotChecked;
    let secret = state
        .secret
        .as_ref()
        .filter(|_| state.flaw != Some(Flaw::SkipSignature));
    if let Some(secret) = secret {
        let header = headers
            .get(X_HMAC_SIGNATURE)
            .or_else(|| headers.get(VRF_HMAC_SIGNATURE));
        let checked = match header.map(HeaderValue::to_str) {
            None => Err(VerifyError::Missing),
            Some(Ok(text)) => state
                .flaw
                .and_then(|flaw| flaw.verify(secret, body, Some(text)))
                .unwrap_or_else(|| veriff_mock_contract::verify(secret, body, Some(text))),
            Some(Err(_)) => Err(VerifyError::Malformed {
                reason: "the header is not visible ASCII".to_owned(),
            }),
        };
        signature = match &checked {
            Ok(()) => SignatureCheck::Valid,
            Err(VerifyError::Missing) => SignatureCheck::Missing,
            Err(VerifyError::Malformed { .. }) => SignatureCheck::Malformed,
            Err(VerifyError::Mismatch) => SignatureCheck::Mismatch,
        };
        if let Err(e) = checked {
            let detail = match e {
                VerifyError::Missing => "missing signature".to_owned(),
                VerifyError::Mismatch => "signature mismatch".to_owned(),
                VerifyError::Malformed { reason } => format!("malformed signature: {reason}"),
            };
            let mut verdict = Verdict::new(Answer::Unauthorized).because(detail);
            verdict.signature = signature;
            return verdict;
        }
    }
    if let Some(key) = &state.api_key {
        let given = headers
            .get(X_AUTH_CLIENT)
            .or_else(|| headers.get(VRF_AUTH_CLIENT));
        if given.map(HeaderValue::as_bytes) != Some(&key[..]) {
            let mut verdict = Verdict::new(Answer::Unauthorized).because(if given.is_some() {
                "X-AUTH-CLIENT does not match the API key"
            } else {
                "missing X-AUTH-CLIENT"
            });
            verdict.signature = signature;
            return verdict;
        }
    }

    let webhook = match Webhook::parse(body) {
        Ok(webhook) => webhook,
        Err(e) => {
            // The shape error already says "not a Veriff webhook".
            let reason = match e {
                veriff_mock_contract::ParseError::UnknownShape => e.to_string(),
                _ => format!("not a Veriff webhook: {e}"),
            };
            let mut verdict = Verdict::new(Answer::BadRequest).because(reason);
            verdict.signature = signature;
            return verdict;
        }
    };

    let mut verdict = Verdict::new(Answer::Ok);
    verdict.signature = signature;
    if let Some(flawed) = flawed_answer(state.flaw, &webhook) {
        verdict.answer = flawed.0;
        verdict.detail = Some(flawed.1);
        verdict.webhook = Some(webhook);
        return verdict;
    }
    let counts_attempts =
        !state.status_sequence.is_empty() || state.flaw == Some(Flaw::NotIdempotent);
    let attempt = counts_attempts.then(|| state.attempts.bump(payload_key(body)));
    verdict.attempt = attempt;
    if state.flaw == Some(Flaw::NotIdempotent) && attempt.is_some_and(|a| a > 1) {
        verdict.answer = Answer::Scripted(500);
        verdict.detail = Some(format!(
            "flaw not-idempotent: attempt {} of a payload already processed",
            attempt.unwrap_or(2)
        ));
        verdict.webhook = Some(webhook);
        return verdict;
    }
    if let Some(attempt) = attempt.filter(|_| !state.status_sequence.is_empty()) {
        let scripted = usize::try_from(attempt - 1)
            .ok()
            .and_then(|i| state.status_sequence.get(i));
        if let Some(&status) = scripted {
            if status != 200 {
                verdict.answer = Answer::Scripted(status);
                verdict.detail = Some(format!(
                    "scripted: status sequence, attempt {attempt} of this payload"
                ));
            }
            verdict.webhook = Some(webhook);
            return verdict;
        }
    }
    if state.dice.roll(seq, Stream::Fail, state.fail_rate) {
        verdict.answer = Answer::Scripted(state.fail_status);
        verdict.detail = Some("scripted: fail rate".to_owned());
    }
    verdict.webhook = Some(webhook);
    verdict
}

/// The answer a schema or kind flaw gives to a parsed webhook, if it applies.
fn flawed_answer(flaw: Option<Flaw>, webhook: &Webhook) -> Option<(Answer, String)> {
    match (flaw?, webhook) {
        (Flaw::StrictSchema, _) => Flaw::unknown_field(webhook).map(|field| {
            (
                Answer::BadRequest,
                format!("flaw strict-schema: unknown field `{field}`"),
            )
        }),
        (Flaw::NullPerson500, _) if Flaw::null_person_or_document(webhook) => Some((
            Answer::Scripted(500),
            "flaw null-person-500: person or document is null".to_owned(),
        )),
        (Flaw::UnknownKind500, Webhook::Unknown(u)) => Some((
            Answer::Scripted(500),
            format!(
                "flaw unknown-kind-500: unknown event type {:?}",
                u.event_type
            ),
        )),
        _ => None,
    }
}

fn count(counters: &Counters, verdict: &Verdict) {
    let counter = match verdict.answer {
        Answer::Ok => &counters.ok,
        Answer::Unauthorized => &counters.unauthorized,
        Answer::BadRequest => &counters.bad_request,
        Answer::Scripted(_) => &counters.failed_on_purpose,
        Answer::Dropped => &counters.dropped,
        Answer::MethodNotAllowed => &counters.method_not_allowed,
        Answer::PayloadTooLarge => &counters.too_large,
        Answer::BodyError => &counters.body_errors,
    };
    Counters::bump(counter);
    if let Some(webhook) = &verdict.webhook {
        counters.count_kind(webhook.kind());
    }
}

/// The response for a verdict, or `None` to close the connection without one.
fn respond(verdict: &Verdict) -> Option<Response<Full<Bytes>>> {
    let status = verdict.answer.http_status()?;
    let body = match (&verdict.answer, &verdict.detail) {
        (Answer::Ok, _) => Bytes::from_static(OK_BODY),
        (_, Some(detail)) => {
            Bytes::from(serde_json::json!({ "error": detail, "status": status }).to_string())
        }
        (_, None) => Bytes::from(serde_json::json!({ "status": status }).to_string()),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(CONTENT_TYPE, JSON);
    if verdict.answer == Answer::MethodNotAllowed {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
    }
    Some(response)
}
