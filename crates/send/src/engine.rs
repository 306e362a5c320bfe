//! The dispatcher: pulls jobs lazily, signs and stores them, runs up to `concurrency` attempts at
//! once, keeps retries in a timer heap, obeys control commands, and shuts down cleanly.
//! All waiting goes through `tokio::time`, so it runs under paused time in tests.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustc_hash::FxHashMap;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::client::{
    AttemptResult, ClientError, HttpConfig, HttpTransport, Transport, now_unix_ms,
};
use crate::event::{DeliveryEvent, Events, Summary, Trigger};
use crate::job::{DeliveryId, Job, JobSource, Payload, Signer, SourceInner};
use crate::outcome::{ErrorKind, Outcome};
use crate::retry::{RetryPolicy, splitmix64};
use crate::store::{DEFAULT_STORE_PATH, DeliveryState, Store, StoreError, StoredDelivery};
use crate::writer::{self, AttemptWrite, QueuedWrite, WriteOp};

/// Chaos options.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Chaos {
    /// Probability (0..=1) that a payload's first attempt is accompanied by an identical copy.
    pub duplicate_rate: f64,
    /// Deliver new jobs out of order within a window of this many jobs (0 or 1: in order).
    pub shuffle_window: usize,
    /// Seed for duplicate and shuffle decisions.
    pub seed: u64,
}

impl Default for Chaos {
    fn default() -> Self {
        Self {
            duplicate_rate: 0.0,
            shuffle_window: 0,
            seed: 0,
        }
    }
}

/// Everything the engine needs besides its jobs. Start from [`EngineConfig::default`] and set
/// fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// SQLite store path (default `.veriff-mock/deliveries.db`; the folder is created).
    pub store_path: PathBuf,
    /// Attempts in flight at once (default 16).
    pub concurrency: usize,
    /// Optional cap on attempts started per second (token bucket).
    pub rate: Option<f64>,
    /// Retry policy, including the time scale.
    pub retry: RetryPolicy,
    /// HTTP client settings.
    pub http: HttpConfig,
    /// Chaos options.
    pub chaos: Chaos,
    /// Carry on with every pending delivery of the store before new jobs.
    pub resume: bool,
    /// Delivery ids to resend at start (trigger `manual`).
    pub resend: Vec<DeliveryId>,
    /// On stop, how long in-flight attempts may finish before they are cancelled (default 5 s).
    pub shutdown_grace: Duration,
    /// How many committed batches of events may wait for the consumer (default 8; a batch holds
    /// the events of one store transaction). A slow consumer slows the engine; nothing is dropped.
    pub event_capacity: usize,
    /// Keep running when idle, until stopped (for an interactive TUI that may resend later).
    pub linger: bool,
    /// Free text stored with the run.
    pub run_label: String,
    /// Above this many deliveries in memory, a payload waiting ≥ 1 s for a retry is dropped from
    /// memory and read back from the store when due (default 10 000), so a week of retries of a
    /// million payloads does not hold their bodies in memory.
    pub max_payloads_in_memory: usize,
    /// The caller's description of how it builds its jobs (opaque to the engine), stored with the
    /// run so an interrupted run can be completed (see [`Store::runs_with_spec`]).
    pub run_spec: Option<String>,
    /// With `resume`: where the pending deliveries go now, instead of the URL stored with them
    /// (their rows are updated, so the store keeps saying where each one was sent).
    pub resume_to: Option<Retarget>,
    /// With `resume`: the time scale the pending deliveries' due times were stored under (the
    /// interrupted run's). A webhook never attempted (a scenario's later webhook) then keeps its
    /// place in the timeline, at this run's time scale. Without it, every stored wait is capped
    /// at this run's longest retry wait.
    pub resumed_time_scale: Option<f64>,
}

/// New targets for the pending deliveries of a resumed run, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retarget {
    /// URL per kind name (`decision`, …).
    pub by_kind: std::collections::BTreeMap<String, http::Uri>,
    /// URL for kinds without one of their own; without it, those keep their stored URL.
    pub default: Option<http::Uri>,
}

impl Retarget {
    /// Every kind to `url`.
    #[must_use]
    pub fn all_to(url: http::Uri) -> Self {
        Self {
            by_kind: std::collections::BTreeMap::new(),
            default: Some(url),
        }
    }

    /// The new URL of a kind's pending deliveries, if it has one.
    #[must_use]
    pub fn url_for(&self, kind: &str) -> Option<&http::Uri> {
        self.by_kind.get(kind).or(self.default.as_ref())
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            store_path: PathBuf::from(DEFAULT_STORE_PATH),
            concurrency: 16,
            rate: None,
            retry: RetryPolicy::veriff(),
            http: HttpConfig::default(),
            chaos: Chaos::default(),
            resume: false,
            resend: Vec::new(),
            shutdown_grace: Duration::from_secs(5),
            event_capacity: 8,
            linger: false,
            run_label: String::new(),
            max_payloads_in_memory: 10_000,
            run_spec: None,
            resume_to: None,
            resumed_time_scale: None,
        }
    }
}

/// The engine could not start or failed while running.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Store problem (the record of truth is unusable, so the run stops).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// HTTP client setup.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A configuration value is out of range.
    #[error("invalid engine configuration: {0}")]
    Config(String),
    /// An engine task failed unexpectedly.
    #[error("delivery engine task failed: {0}")]
    Task(String),
}

/// A command for a running engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Stop starting attempts (in-flight ones finish; manual resends still go).
    Pause,
    /// Start attempts again.
    Resume,
    /// Send these deliveries now, byte-identically, as manual attempts.
    Resend(Vec<DeliveryId>),
    /// Retry every failed delivery now: pending retries are pulled forward, this run's exhausted
    /// deliveries are resent manually.
    RetryFailedNow,
    /// Stop the run (same as cancelling the token).
    Stop,
}

/// Sends commands to a running engine. Cheap to clone; never blocks.
#[derive(Debug, Clone)]
pub struct Control {
    tx: mpsc::UnboundedSender<Command>,
    cancel: CancellationToken,
    hard_cancel: CancellationToken,
    grace: Duration,
    in_flight: Arc<AtomicUsize>,
}

impl Control {
    /// Sends a command; `false` when the engine is gone.
    pub fn send(&self, cmd: Command) -> bool {
        if cmd == Command::Stop {
            self.cancel.cancel();
            return true;
        }
        self.tx.send(cmd).is_ok()
    }

    /// [`Command::Pause`].
    pub fn pause(&self) -> bool {
        self.send(Command::Pause)
    }

    /// [`Command::Resume`].
    pub fn resume(&self) -> bool {
        self.send(Command::Resume)
    }

    /// [`Command::Resend`].
    pub fn resend(&self, ids: impl Into<Vec<DeliveryId>>) -> bool {
        self.send(Command::Resend(ids.into()))
    }

    /// [`Command::RetryFailedNow`].
    pub fn retry_failed_now(&self) -> bool {
        self.send(Command::RetryFailedNow)
    }

    /// [`Command::Stop`].
    pub fn stop(&self) {
        self.cancel.cancel();
    }

    /// Stops the run without waiting out [`EngineConfig::shutdown_grace`]: attempts in flight
    /// end at once, recorded as `cancelled` and left pending.
    pub fn stop_now(&self) {
        self.cancel.cancel();
        self.hard_cancel.cancel();
    }

    /// How long, after [`Control::stop`], attempts in flight may still finish.
    #[must_use]
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// Attempts sent and not yet answered, at this moment.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

/// A running engine. Read its events from the receiver returned by [`start`] until it closes
/// (the last event is [`DeliveryEvent::Finished`]), then [`EngineHandle::wait`].
#[derive(Debug)]
pub struct EngineHandle {
    control: Control,
    run_id: u64,
    task: JoinHandle<Result<Summary, EngineError>>,
}

impl EngineHandle {
    /// A command sender.
    #[must_use]
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// The token that stops the run (hook Ctrl-C to it).
    #[must_use]
    pub fn cancellation_token(&self) -> CancellationToken {
        self.control.cancel.clone()
    }

    /// This run's id in the store.
    #[must_use]
    pub fn run_id(&self) -> u64 {
        self.run_id
    }

    /// Waits for the end of the run: store flushed, summary computed. Keep draining the event
    /// receiver meanwhile (or drop it), or the engine waits for you.
    ///
    /// # Errors
    /// [`EngineError`] when the store failed or a task died.
    pub async fn wait(self) -> Result<Summary, EngineError> {
        self.task
            .await
            .map_err(|e| EngineError::Task(e.to_string()))?
    }
}

/// Starts the engine with the real HTTP transport. Must be called inside a tokio runtime.
///
/// # Errors
/// [`EngineError`]: store cannot be opened, bad TLS setup, bad configuration.
pub fn start(config: EngineConfig, jobs: JobSource) -> Result<(EngineHandle, Events), EngineError> {
    let transport = HttpTransport::new(&config.http, config.concurrency)?;
    start_with_transport(config, jobs, Arc::new(transport))
}

/// [`start`] with another [`Transport`] (a fake one, to drive the dispatcher under paused time).
///
/// # Errors
/// As [`start`].
pub fn start_with_transport(
    config: EngineConfig,
    jobs: JobSource,
    transport: Arc<dyn Transport>,
) -> Result<(EngineHandle, Events), EngineError> {
    if config.concurrency == 0 {
        return Err(EngineError::Config("concurrency must be at least 1".into()));
    }
    if let Some(r) = config.rate
        && !(r.is_finite() && r > 0.0)
    {
        return Err(EngineError::Config(format!(
            "rate must be positive, got {r}"
        )));
    }
    let store = Store::open(&config.store_path)?;
    if config.resume
        && let Some(to) = &config.resume_to
    {
        store.retarget_pending(|kind| to.url_for(kind).map(ToString::to_string))?;
    }
    let (run_id, max_id) =
        store.new_run(&config.run_label, config.run_spec.as_deref(), now_unix_ms())?;
    let resumed = if config.resume {
        // A big backlog is loaded without bodies: each is read back from the store when due.
        let with_bodies = store.pending_count()? <= config.max_payloads_in_memory as u64;
        store.pending(with_bodies)?
    } else {
        Vec::new()
    };
    let ready = DeliveryEvent::Ready {
        run_id,
        store: config.store_path.display().to_string(),
        concurrency: config.concurrency,
        retry: config.retry.to_string(),
        time_scale: config.retry.time_scale,
        resumed: resumed.len() as u64,
    };
    let (events_tx, events_rx) = mpsc::channel(config.event_capacity.max(1));
    let events_rx = Events::new(events_rx);
    let (write_tx, write_rx) = mpsc::channel(8192);
    // A plain thread, not `spawn_blocking`: a long-lived blocking task would stop tokio's paused
    // clock from auto-advancing in tests.
    let (writer_done, writer) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("veriff-mock-store".into())
        .spawn(move || {
            let _ = writer_done.send(writer::run(store, run_id, write_rx, events_tx, ready));
        })
        .map_err(|e| EngineError::Task(format!("cannot start the store writer: {e}")))?;
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let hard_cancel = CancellationToken::new();
    let control = Control {
        tx: ctl_tx,
        cancel: cancel.clone(),
        hard_cancel: hard_cancel.clone(),
        grace: config.shutdown_grace,
        in_flight: Arc::default(),
    };
    let JobSource { signer, inner } = jobs;
    let (iter, chan) = match inner {
        SourceInner::None => (None, None),
        SourceInner::Iter(i) => (Some(i.peekable()), None),
        SourceInner::Channel(c) => (None, Some(c)),
    };
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let bucket = config.rate.map(|rate| Bucket {
        rate,
        burst: (rate / 20.0).max(1.0),
        tokens: 1.0,
        last: Instant::now(),
    });
    let sched = Scheduler {
        policy: Arc::new(config.retry.clone()),
        concurrency: config.concurrency,
        chaos: config.chaos.clone(),
        grace: config.shutdown_grace,
        linger: config.linger,
        resumed_time_scale: config.resumed_time_scale,
        drained: false,
        store_path: config.store_path.clone(),
        transport,
        writer: write_tx,
        done_tx,
        cancel: cancel.clone(),
        hard_cancel,
        iter,
        signer,
        source_done: false,
        next_id: max_id + 1,
        run_id,
        start: Instant::now(),
        entries: FxHashMap::default(),
        heap: BinaryHeap::new(),
        seq: 0,
        delayed_new: 0,
        fresh: VecDeque::new(),
        block_left: 0,
        manual: VecDeque::new(),
        session_first: FxHashMap::default(),
        parked: FxHashMap::default(),
        in_flight: 0,
        in_flight_shared: control.in_flight.clone(),
        paused: false,
        rng: config.chaos.seed,
        bucket,
        rate_wait: None,
        writer_gone: false,
        resend_run: !config.resend.is_empty(),
        max_payloads: config.max_payloads_in_memory,
        reader: Arc::default(),
    };
    let initial_resend = config.resend.clone();
    let task = tokio::spawn(async move {
        let stopped = sched
            .run(resumed, initial_resend, chan, ctl_rx, done_rx)
            .await;
        let summary = writer
            .await
            .map_err(|_| EngineError::Task("the store writer stopped".into()))??;
        let _ = stopped;
        Ok(summary)
    });
    Ok((
        EngineHandle {
            control,
            run_id,
            task,
        },
        events_rx,
    ))
}

struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        self.last = now;
    }

    fn ready(&mut self, now: Instant) -> Result<(), Instant> {
        self.refill(now);
        if self.tokens >= 1.0 {
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / self.rate;
            Err(later(
                now,
                Duration::try_from_secs_f64(wait.max(0.000_1)).unwrap_or(Duration::MAX),
            ))
        }
    }

    fn take(&mut self) {
        self.tokens -= 1.0;
    }
}

/// `now + wait`, capped at a year: a tiny `--time-scale` or `--rate` makes waits of ages, longer
/// than the clock can hold (tokio's timer itself stops at about two years from its start), and
/// such a wait never ends within a run anyway.
pub(crate) fn later(now: Instant, wait: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(365 * 86_400);
    now.checked_add(wait.min(FAR)).unwrap_or(now)
}

struct Entry {
    /// `None` while a long retry wait keeps it only in the store (memory stays flat).
    payload: Option<Arc<Payload>>,
    tampered: bool,
    state: DeliveryState,
    attempts: u32,
    policy_attempts: u32,
    in_flight: u32,
    /// Sequence number of the live heap entry (0: none).
    sched_seq: u64,
    next_at_ms: Option<i64>,
    /// Came from the job source in this run.
    new: bool,
    /// Its first attempt goes with a copy (`--duplicate-rate`), chosen by the seed and the
    /// payload's place in the stream, so a resumed run picks the same ones.
    duplicate: bool,
    /// Loaded from the store for a manual resend only; forgotten after it.
    ephemeral: bool,
    /// The session of a timeline job (scenarios): its webhooks go out in order.
    session: Option<Arc<str>>,
}

struct Done {
    id: DeliveryId,
    attempt: u32,
    trigger: Trigger,
    policy_attempt: u32,
    result: AttemptResult,
    started_ms: i64,
    finished_ms: i64,
}

enum Pull {
    Got,
    Empty,
}

struct Scheduler {
    policy: Arc<RetryPolicy>,
    concurrency: usize,
    chaos: Chaos,
    grace: Duration,
    linger: bool,
    /// See [`EngineConfig::resumed_time_scale`].
    resumed_time_scale: Option<f64>,
    /// While lingering: every delivery had reached its end when last looked at, and the writer
    /// was told (one [`WriteOp::Drained`] per time the run goes idle).
    drained: bool,
    store_path: PathBuf,
    transport: Arc<dyn Transport>,
    writer: mpsc::Sender<WriteOp>,
    done_tx: mpsc::UnboundedSender<Done>,
    cancel: CancellationToken,
    hard_cancel: CancellationToken,
    /// Peekable, so a stop can tell whether anything was left unqueued.
    iter: Option<std::iter::Peekable<Box<dyn Iterator<Item = Job> + Send>>>,
    signer: Option<Arc<Signer>>,
    source_done: bool,
    next_id: DeliveryId,
    run_id: u64,
    start: Instant,
    entries: FxHashMap<DeliveryId, Entry>,
    heap: BinaryHeap<Reverse<(Instant, u64, DeliveryId)>>,
    seq: u64,
    delayed_new: usize,
    fresh: VecDeque<DeliveryId>,
    /// How many jobs at the front of `fresh` form the shuffled block being sent; the next block
    /// is shuffled when it is done, so no job moves more than about a window from its place.
    block_left: usize,
    manual: VecDeque<DeliveryId>,
    in_flight: usize,
    /// `in_flight`, for [`Control::in_flight`].
    in_flight_shared: Arc<AtomicUsize>,
    paused: bool,
    rng: u64,
    bucket: Option<Bucket>,
    rate_wait: Option<Instant>,
    writer_gone: bool,
    /// Started to resend stored deliveries (`veriff-mock resend`): each resend reports its
    /// verdict, since nothing else in the run counted them.
    resend_run: bool,
    max_payloads: usize,
    reader: Arc<std::sync::Mutex<Option<Store>>>,
    /// Per session, the delivery whose first attempt is in flight: the session's next webhook
    /// waits for that attempt to end, so a receiver gets a session's webhooks in causal order
    /// however small the scaled gaps between them.
    session_first: FxHashMap<Arc<str>, DeliveryId>,
    /// Deliveries waiting for the first attempt of the key to end.
    parked: FxHashMap<DeliveryId, Vec<DeliveryId>>,
}

/// Only retries waiting at least this long are evicted from memory.
const EVICT_MIN_WAIT: Duration = Duration::from_secs(1);

fn ms_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Scheduler {
    async fn write(&mut self, op: WriteOp) {
        if !self.writer_gone && self.writer.send(op).await.is_err() {
            // The writer failed (store error): nothing can be recorded any more, so stop.
            self.writer_gone = true;
            self.cancel.cancel();
        }
    }

    fn random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(1);
        splitmix64(self.rng ^ 0x05EE_D0FC_4A05_u64)
    }

    /// Whether the payload at `key` (its stream position) gets a duplicate: a pure function of
    /// the seed and the key, so it does not depend on timing, shuffling or resuming.
    fn duplicate_for(&self, key: u64) -> bool {
        let p = self.chaos.duplicate_rate;
        if p <= 0.0 {
            return false;
        }
        let r = splitmix64(self.chaos.seed ^ splitmix64(key ^ 0xD0B1_1CA7_E000_0000));
        #[allow(clippy::cast_precision_loss)]
        let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    fn schedule(&mut self, id: DeliveryId, due: Instant) {
        self.seq += 1;
        let seq = self.seq;
        if let Some(e) = self.entries.get_mut(&id) {
            e.sched_seq = seq;
        }
        self.heap.push(Reverse((due, seq, id)));
    }

    fn window(&self) -> usize {
        self.chaos.shuffle_window.max(1)
    }

    fn want_pull(&self) -> bool {
        !self.source_done
            && self.fresh.len() < self.window()
            && self.delayed_new < 4 * self.concurrency + self.window()
    }

    /// Takes a job into the run: id, signature, store record, then the fresh buffer or the heap.
    async fn accept(&mut self, job: Job) {
        let Some(signer) = self.signer.clone() else {
            return;
        };
        let id = self.next_id;
        self.next_id += 1;
        let headers = signer.headers(&job.body, job.tamper);
        let payload = Arc::new(Payload {
            id,
            kind: job.kind.name().to_owned(),
            url: job.url,
            body: job.body,
            headers,
            tampered: job.tamper,
        });
        let now_ms = now_unix_ms();
        let due = job
            .not_before
            .map(|d| self.policy.scale(d))
            .map(|d| later(self.start, d));
        let session = job
            .session_id
            .as_deref()
            .filter(|_| job.not_before.is_some())
            .map(Arc::<str>::from);
        let duplicate = self.duplicate_for(job.source_index.unwrap_or(id));
        self.entries.insert(
            id,
            Entry {
                payload: Some(payload.clone()),
                tampered: payload.tampered,
                state: DeliveryState::Pending,
                attempts: 0,
                policy_attempts: 0,
                in_flight: 0,
                sched_seq: 0,
                next_at_ms: None,
                new: true,
                duplicate,
                ephemeral: false,
                session,
            },
        );
        let due_ms = due.map_or(now_ms, |due| {
            now_ms.saturating_add(ms_of(due.saturating_duration_since(Instant::now())))
        });
        self.write(WriteOp::Queued(Box::new(QueuedWrite {
            payload,
            status: job.status,
            session_id: job.session_id,
            vendor_data: job.vendor_data,
            source_index: job.source_index,
            created_ms: now_ms,
            next_at_ms: due_ms,
        })))
        .await;
        match due {
            Some(due) if due > Instant::now() => {
                self.delayed_new += 1;
                self.schedule(id, due);
            }
            _ => self.fresh.push_back(id),
        }
    }

    async fn pull_iter(&mut self) -> Pull {
        let next = self.iter.as_mut().and_then(Iterator::next);
        match next {
            Some(job) => {
                self.accept(job).await;
                Pull::Got
            }
            None => {
                self.iter = None;
                Pull::Empty
            }
        }
    }

    fn pick_fresh(&mut self) -> Option<DeliveryId> {
        if self.block_left == 0 && self.window() > 1 {
            // The next block: the oldest jobs, up to a window of them, in a seeded random order.
            let n = self.fresh.len().min(self.window());
            for i in (1..n).rev() {
                let j = (self.random() % (i as u64 + 1)) as usize;
                self.fresh.swap(i, j);
            }
            self.block_left = n;
        }
        self.block_left = self.block_left.saturating_sub(1);
        self.fresh.pop_front()
    }

    fn rate_ok(&mut self) -> bool {
        let Some(b) = self.bucket.as_mut() else {
            return true;
        };
        match b.ready(Instant::now()) {
            Ok(()) => {
                self.rate_wait = None;
                true
            }
            Err(at) => {
                self.rate_wait = Some(at);
                false
            }
        }
    }

    /// Starts as many attempts as allowed right now.
    async fn pump(&mut self, chan: &mut Option<mpsc::Receiver<Job>>) {
        loop {
            if self.cancel.is_cancelled() || self.in_flight >= self.concurrency {
                return;
            }
            if let Some(id) = self.manual.pop_front() {
                self.dispatch(id, Trigger::Manual).await;
                continue;
            }
            if self.paused {
                return;
            }
            let now = Instant::now();
            if let Some(Reverse((due, seq, id))) = self.heap.peek().copied()
                && due <= now
            {
                let live = self
                    .entries
                    .get(&id)
                    .is_some_and(|e| e.sched_seq == seq && !e.state.is_final());
                if !live {
                    self.heap.pop();
                    continue;
                }
                if !self.rate_ok() {
                    return;
                }
                self.heap.pop();
                if let Some(e) = self.entries.get_mut(&id) {
                    e.sched_seq = 0;
                    if e.attempts == 0 && e.new {
                        self.delayed_new = self.delayed_new.saturating_sub(1);
                    }
                }
                self.dispatch(id, Trigger::Scheduled).await;
                continue;
            }
            // New jobs: fill the (shuffle) buffer, then take one.
            let mut source_empty_now = self.source_done;
            while self.want_pull() {
                if self.iter.is_some() {
                    if let Pull::Empty = self.pull_iter().await {
                        if chan.is_none() {
                            self.source_done = true;
                        }
                        source_empty_now = true;
                        break;
                    }
                } else if let Some(rx) = chan.as_mut() {
                    match rx.try_recv() {
                        Ok(job) => self.accept(job).await,
                        Err(mpsc::error::TryRecvError::Empty) => {
                            source_empty_now = true;
                            break;
                        }
                        Err(mpsc::error::TryRecvError::Disconnected) => {
                            *chan = None;
                            self.source_done = true;
                            source_empty_now = true;
                            break;
                        }
                    }
                } else {
                    self.source_done = true;
                    source_empty_now = true;
                    break;
                }
            }
            // A full window, or all there is for now: the source has nothing more yet, or so many
            // future jobs wait that no more are pulled (due jobs never wait on those).
            let enough = self.block_left > 0
                || self.fresh.len() >= self.window()
                || source_empty_now
                || !self.want_pull();
            if self.fresh.is_empty() || !enough {
                return;
            }
            if !self.rate_ok() {
                return;
            }
            if let Some(id) = self.pick_fresh() {
                self.dispatch(id, Trigger::Scheduled).await;
            }
        }
    }

    async fn dispatch(&mut self, id: DeliveryId, trigger: Trigger) {
        if self.entries.get(&id).is_some_and(|e| e.payload.is_none()) && !self.reload(id).await {
            // Not readable right now: try again shortly rather than lose it.
            if trigger == Trigger::Scheduled {
                self.schedule(id, Instant::now() + Duration::from_millis(100));
            }
            return;
        }
        if trigger == Trigger::Scheduled && self.park_behind_session(id) {
            return;
        }
        let Some(e) = self.entries.get_mut(&id) else {
            return;
        };
        let Some(payload) = e.payload.clone() else {
            return;
        };
        e.attempts += 1;
        if trigger == Trigger::Scheduled {
            e.policy_attempts += 1;
            if let Some(b) = self.bucket.as_mut() {
                b.take();
            }
        }
        e.in_flight += 1;
        let attempt = e.attempts;
        let policy_attempt = e.policy_attempts;
        let with_copy = trigger == Trigger::Scheduled && e.duplicate && e.policy_attempts == 1;
        self.in_flight += 1;
        self.write(WriteOp::Event(DeliveryEvent::AttemptStarted {
            id,
            attempt,
            trigger,
        }))
        .await;
        self.spawn_attempt(payload, attempt, policy_attempt, trigger);
        if with_copy {
            self.dispatch_duplicate(id).await;
        }
    }

    /// For a timeline job's first attempt: waits (true) while an earlier webhook of its session
    /// is on its first attempt, else marks the session busy with this one. Not with `--shuffle`,
    /// which asks for disorder.
    fn park_behind_session(&mut self, id: DeliveryId) -> bool {
        if self.chaos.shuffle_window > 1 {
            return false;
        }
        let Some(session) = self
            .entries
            .get(&id)
            .filter(|e| e.attempts == 0 && e.new)
            .and_then(|e| e.session.clone())
        else {
            return false;
        };
        match self.session_first.get(&session) {
            Some(&blocker) if blocker != id => {
                self.parked.entry(blocker).or_default().push(id);
                // Woken through the heap, whose pop counts it out of the delayed jobs again.
                self.delayed_new += 1;
                true
            }
            _ => {
                self.session_first.insert(session, id);
                false
            }
        }
    }

    /// The first attempt of `id` ended: its session's next webhook may go.
    fn release_session(&mut self, id: DeliveryId) {
        if let Some(session) = self.entries.get(&id).and_then(|e| e.session.clone())
            && self.session_first.get(&session) == Some(&id)
        {
            self.session_first.remove(&session);
        }
        if let Some(waiting) = self.parked.remove(&id) {
            // Due at the run's start: ahead of any webhook that fell due while they waited, so
            // the session's next one in order goes first.
            let first = self.start;
            for w in waiting {
                self.schedule(w, first);
            }
        }
    }

    async fn dispatch_duplicate(&mut self, id: DeliveryId) {
        let Some(e) = self.entries.get_mut(&id) else {
            return;
        };
        let Some(payload) = e.payload.clone() else {
            return;
        };
        e.attempts += 1;
        e.in_flight += 1;
        let attempt = e.attempts;
        let policy_attempt = e.policy_attempts;
        self.in_flight += 1;
        self.write(WriteOp::Event(DeliveryEvent::AttemptStarted {
            id,
            attempt,
            trigger: Trigger::Duplicate,
        }))
        .await;
        self.spawn_attempt(payload, attempt, policy_attempt, Trigger::Duplicate);
    }

    fn spawn_attempt(
        &self,
        payload: Arc<Payload>,
        attempt: u32,
        policy_attempt: u32,
        trigger: Trigger,
    ) {
        let transport = self.transport.clone();
        let done = self.done_tx.clone();
        let hard = self.hard_cancel.clone();
        self.in_flight_shared.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let started_ms = now_unix_ms();
            let t0 = Instant::now();
            let result = tokio::select! {
                biased;
                () = hard.cancelled() => AttemptResult {
                    error: Some(ErrorKind::Cancelled),
                    detail: Some("the run was stopped during the attempt".into()),
                    latency: t0.elapsed(),
                    ..AttemptResult::default()
                },
                r = transport.send(&payload) => r,
            };
            let _ = done.send(Done {
                id: payload.id,
                attempt,
                trigger,
                policy_attempt,
                result,
                started_ms,
                finished_ms: now_unix_ms(),
            });
        });
    }

    async fn on_done(&mut self, d: Done) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.in_flight_shared.fetch_sub(1, Ordering::Relaxed);
        if d.trigger == Trigger::Scheduled && d.policy_attempt == 1 {
            self.release_session(d.id);
        }
        let policy = self.policy.clone();
        let Some(e) = self.entries.get_mut(&d.id) else {
            return;
        };
        e.in_flight = e.in_flight.saturating_sub(1);
        let mut result = d.result;
        let status = result.status;
        let tampered = e.tampered;
        let success = status.is_some_and(|c| policy.is_success(c));
        let mut error = result.error;
        if success && !tampered && error.is_some() && error != Some(ErrorKind::Cancelled) {
            // The receiver acknowledged; a hiccup reading the rest of the body does not matter.
            error = None;
        }
        if error.is_none()
            && let Some(code) = status
            && !(success || tampered && (200..300).contains(&code))
        {
            error = Some(if (300..400).contains(&code) {
                ErrorKind::Redirect
            } else {
                ErrorKind::HttpStatus
            });
        }
        // In a run started to resend stored deliveries (`veriff-mock resend`), a resend reports
        // its verdict as the run that queued it did: delivered, or a tampered payload rejected as
        // it should be, or accepted. In other runs an ended delivery was counted when it ended.
        let resent_verdict = d.trigger == Trigger::Manual
            && self.resend_run
            && e.ephemeral
            && if tampered {
                result.error.is_none() && status.is_some()
            } else {
                success
            };
        let was_exhausted = e.state == DeliveryState::Exhausted;
        let mut events = Vec::new();
        let mut next_at_ms = None;
        let mut reschedule = None;
        if error == Some(ErrorKind::Cancelled) {
            // Stopped mid-attempt: keep it pending, due at once on resume. The attempt got no
            // answer because the run stopped, so the retry policy does not count it.
            if !e.state.is_final() {
                e.next_at_ms = Some(d.finished_ms);
                next_at_ms = e.next_at_ms;
                if d.trigger == Trigger::Scheduled {
                    e.policy_attempts = e.policy_attempts.saturating_sub(1);
                }
            }
        } else if (e.state.is_final()
            && !(d.trigger == Trigger::Manual && e.state == DeliveryState::Exhausted && success)
            && !resent_verdict)
            || d.trigger == Trigger::Duplicate
        {
            // Final deliveries stay final (a manual resend of an exhausted one that now gets its
            // success status is the exception, below, and so is the verdict on a resend of a
            // delivery from an earlier run); duplicates never change state.
            next_at_ms = e.next_at_ms;
        } else if tampered && result.error.is_none() && status.is_some() {
            let code = status.unwrap_or_default();
            // A refusal is a 4xx. A 2xx accepted the forgery; a 5xx is a crash on the way (an
            // exception in the signature check, say), which for Veriff's own payloads would mean
            // a week of retries; a 3xx or 1xx refuses nothing.
            let unexpected = match code {
                200..=299 => Some(
                    "the receiver accepted a payload whose signature was corrupted on purpose"
                        .to_owned(),
                ),
                400..=499 => None,
                500..=599 => Some(format!(
                    "the receiver answered {code} to a payload whose signature was corrupted on \
                     purpose: a server error, not a refusal; answer 401"
                )),
                _ => Some(format!(
                    "the receiver answered {code} to a payload whose signature was corrupted on \
                     purpose instead of refusing it; answer 401"
                )),
            };
            if let Some(reason) = unexpected {
                e.state = DeliveryState::Unexpected;
                events.push(DeliveryEvent::UnexpectedOutcome {
                    id: d.id,
                    attempt: d.attempt,
                    status: code,
                    reason,
                });
            } else {
                e.state = DeliveryState::Rejected;
                events.push(DeliveryEvent::ExpectedRejection {
                    id: d.id,
                    attempt: d.attempt,
                    status: code,
                });
            }
        } else if success {
            e.state = DeliveryState::Delivered;
            events.push(DeliveryEvent::Delivered {
                id: d.id,
                attempts: e.attempts,
                status: status.unwrap_or_default(),
            });
        } else if d.trigger == Trigger::Scheduled {
            let outcome = match result.error {
                Some(k) => Outcome::Error(k),
                None => Outcome::Status {
                    code: status.unwrap_or_default(),
                    retry_after: result.retry_after,
                },
            };
            match policy.next_delay_for(d.id, d.policy_attempt, &outcome) {
                Some(wait) => {
                    let at = d.finished_ms.saturating_add(ms_of(wait));
                    e.next_at_ms = Some(at);
                    next_at_ms = Some(at);
                    reschedule = Some(wait);
                    events.push(DeliveryEvent::RetryScheduled {
                        id: d.id,
                        attempt: e.attempts + 1,
                        at_unix_ms: at,
                        in_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    });
                }
                None => {
                    e.state = DeliveryState::Exhausted;
                    events.push(DeliveryEvent::Exhausted {
                        id: d.id,
                        attempts: e.attempts,
                    });
                }
            }
        } else {
            next_at_ms = e.next_at_ms;
        }
        if e.state.is_final() {
            e.next_at_ms = None;
        }
        let write = AttemptWrite {
            id: d.id,
            attempt: d.attempt,
            trigger: d.trigger,
            started_ms: d.started_ms,
            finished_ms: d.finished_ms,
            result: std::mem::take(&mut result),
            error,
            next_at_ms,
            state: e.state,
            attempts: e.attempts,
            policy_attempts: e.policy_attempts,
            revived: was_exhausted && e.state != DeliveryState::Exhausted,
            events,
        };
        let forget = e.in_flight == 0 && (e.state.is_final() || (e.ephemeral && e.sched_seq == 0));
        if forget {
            self.entries.remove(&d.id);
        }
        if let Some(wait) = reschedule
            && !self.cancel.is_cancelled()
        {
            self.schedule(d.id, later(Instant::now(), wait));
            // Many deliveries waiting a long time: keep their bytes only in the store.
            if wait >= EVICT_MIN_WAIT
                && self.entries.len() > self.max_payloads
                && let Some(e) = self.entries.get_mut(&d.id)
                && e.in_flight == 0
            {
                e.payload = None;
            }
        }
        self.write(WriteOp::Attempt(Box::new(write))).await;
    }

    /// Reads an evicted payload back from the store (byte-identical body and headers).
    async fn reload(&mut self, id: DeliveryId) -> bool {
        let cell = self.reader.clone();
        let path = self.store_path.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let Ok(mut guard) = cell.lock() else {
                return None;
            };
            if guard.is_none() {
                *guard = Store::open_read_only(&path).ok();
            }
            guard.as_ref()?.stored(id).ok().flatten()
        })
        .await;
        match (loaded, self.entries.get_mut(&id)) {
            (Ok(Some(s)), Some(e)) => {
                e.payload = Some(Arc::new(s.payload));
                true
            }
            _ => false,
        }
    }

    async fn load_for_resend(&mut self, ids: Vec<DeliveryId>) {
        let mut unknown = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            if self.entries.contains_key(&id) {
                self.manual.push_back(id);
            } else {
                missing.push(id);
            }
        }
        if missing.is_empty() {
            return;
        }
        let path = self.store_path.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let store = Store::open_read_only(&path)?;
            missing
                .into_iter()
                .map(|id| store.stored(id).map(|s| (id, s)))
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .await;
        let Ok(Ok(loaded)) = loaded else {
            return;
        };
        for (id, found) in loaded {
            match found {
                Some(s) => {
                    self.insert_stored(s, true);
                    self.manual.push_back(id);
                }
                None => unknown.push(id),
            }
        }
        for id in unknown {
            self.write(WriteOp::Event(DeliveryEvent::NotFound { id }))
                .await;
        }
    }

    fn insert_stored(&mut self, s: StoredDelivery, ephemeral: bool) -> DeliveryId {
        let id = s.payload.id;
        let tampered = s.payload.tampered;
        self.entries.insert(
            id,
            Entry {
                payload: Some(Arc::new(s.payload)),
                tampered,
                state: s.state,
                attempts: s.attempts,
                policy_attempts: s.policy_attempts,
                in_flight: 0,
                sched_seq: 0,
                next_at_ms: s.next_attempt_at_ms,
                new: false,
                duplicate: false,
                ephemeral,
                session: None,
            },
        );
        id
    }

    async fn on_command(&mut self, cmd: Command) {
        match cmd {
            Command::Pause => {
                if !self.paused {
                    self.paused = true;
                    self.write(WriteOp::Event(DeliveryEvent::Paused)).await;
                }
            }
            Command::Resume => {
                if self.paused {
                    self.paused = false;
                    self.write(WriteOp::Event(DeliveryEvent::Resumed)).await;
                }
            }
            Command::Resend(ids) => self.load_for_resend(ids).await,
            Command::RetryFailedNow => {
                let now = Instant::now();
                let due: Vec<DeliveryId> = self
                    .entries
                    .iter()
                    .filter(|(_, e)| e.sched_seq != 0 && !e.state.is_final() && e.attempts > 0)
                    .map(|(id, _)| *id)
                    .collect();
                for id in due {
                    self.schedule(id, now);
                }
                let path = self.store_path.clone();
                let run = self.run_id;
                let exhausted = tokio::task::spawn_blocking(move || {
                    Store::open_read_only(&path)?.ids_in_state(Some(run), DeliveryState::Exhausted)
                })
                .await;
                if let Ok(Ok(ids)) = exhausted
                    && !ids.is_empty()
                {
                    self.load_for_resend(ids).await;
                }
            }
            Command::Stop => self.cancel.cancel(),
        }
    }

    /// Nothing left to do: every job was taken from the source and every delivery has reached
    /// its end.
    fn idle(&self) -> bool {
        self.source_done && self.entries.is_empty() && self.manual.is_empty() && self.in_flight == 0
    }

    fn finished(&self) -> bool {
        !self.linger && self.idle()
    }

    /// A lingering run (the terminal UI) that goes idle tells the writer, which finalizes the
    /// run's record and reports [`DeliveryEvent::Drained`]; it says so again after resends.
    async fn note_drained(&mut self) {
        if !self.linger {
            return;
        }
        let idle = self.idle();
        if idle && !self.drained {
            self.drained = true;
            self.write(WriteOp::Drained {
                source_done: self.source_done,
            })
            .await;
        } else if !idle {
            self.drained = false;
        }
    }

    /// Runs until done or stopped; returns whether it was stopped.
    async fn run(
        mut self,
        resumed: Vec<StoredDelivery>,
        resend: Vec<DeliveryId>,
        mut chan: Option<mpsc::Receiver<Job>>,
        mut ctl: mpsc::UnboundedReceiver<Command>,
        mut done_rx: mpsc::UnboundedReceiver<Done>,
    ) -> bool {
        if self.iter.is_none() && chan.is_none() {
            self.source_done = true;
        }
        let now_ms = now_unix_ms();
        let max_attempts = self.policy.max_attempts();
        // A retry stored under a slower time scale never waits longer than this run's longest wait.
        let cap_ms = ms_of(self.policy.scale(self.policy.max_delay()));
        // A webhook never attempted waits for its turn in the interrupted run's timeline, sped
        // up or slowed down to this run's time scale.
        let stretch = self
            .resumed_time_scale
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|stored| stored / self.policy.time_scale);
        for s in resumed {
            let due_in = s.next_attempt_at_ms.map_or(0, |at| {
                let left = at.saturating_sub(now_ms).max(0);
                match stretch {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
                    Some(stretch) if s.attempts == 0 => (left as f64 * stretch).min(1e15) as i64,
                    _ => left.min(cap_ms),
                }
            });
            let over = s.policy_attempts >= max_attempts;
            // Loaded without its bytes (big backlog): read back from the store when due.
            let without_bytes = s.payload.headers.is_empty();
            let id = self.insert_stored(s, false);
            if without_bytes && let Some(e) = self.entries.get_mut(&id) {
                e.payload = None;
            }
            if over {
                if let Some(e) = self.entries.remove(&id) {
                    self.write(WriteOp::State {
                        id,
                        state: DeliveryState::Exhausted,
                        event: Some(DeliveryEvent::Exhausted {
                            id,
                            attempts: e.attempts,
                        }),
                    })
                    .await;
                }
            } else {
                let due = later(
                    Instant::now(),
                    Duration::from_millis(u64::try_from(due_in).unwrap_or(0)),
                );
                self.schedule(id, due);
            }
        }
        if !resend.is_empty() {
            self.load_for_resend(resend).await;
        }
        let mut ctl_open = true;
        loop {
            // Commands first, so a pause sent right after start holds everything.
            while ctl_open {
                match ctl.try_recv() {
                    Ok(c) => self.on_command(c).await,
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => ctl_open = false,
                }
            }
            self.pump(&mut chan).await;
            if self.cancel.is_cancelled() || self.finished() {
                break;
            }
            self.note_drained().await;
            let can_start = !self.paused && self.in_flight < self.concurrency;
            let heap_due = if can_start {
                self.heap.peek().map(|Reverse((due, _, _))| *due)
            } else {
                None
            };
            let rate_due = if can_start { self.rate_wait } else { None };
            let want_chan = can_start && chan.is_some() && self.want_pull();
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => break,
                Some(d) = done_rx.recv() => {
                    self.on_done(d).await;
                    // Take every other finished attempt too before going round again.
                    while let Ok(d) = done_rx.try_recv() {
                        self.on_done(d).await;
                    }
                }
                cmd = ctl.recv(), if ctl_open => match cmd {
                    Some(c) => self.on_command(c).await,
                    None => ctl_open = false,
                },
                () = tokio::time::sleep_until(heap_due.unwrap_or_else(Instant::now)), if heap_due.is_some() => {}
                () = tokio::time::sleep_until(rate_due.unwrap_or_else(Instant::now)), if rate_due.is_some() => {
                    self.rate_wait = None;
                }
                job = recv_opt(&mut chan), if want_chan => match job {
                    Some(job) => self.accept(job).await,
                    None => {
                        chan = None;
                        if self.iter.is_none() {
                            self.source_done = true;
                        }
                    }
                },
            }
        }
        let stopped = self.cancel.is_cancelled();
        // Stopped right after the last job was queued: the source is done, even if the engine had
        // not yet asked it for more.
        if !self.source_done
            && self.iter.as_mut().is_none_or(|i| i.peek().is_none())
            && chan.as_mut().is_none_or(|c| {
                matches!(c.try_recv(), Err(mpsc::error::TryRecvError::Disconnected))
            })
        {
            self.iter = None;
            self.source_done = true;
        }
        // Let in-flight attempts finish within the grace period, then cancel them.
        let mut deadline = Some(Instant::now() + self.grace);
        while self.in_flight > 0 {
            tokio::select! {
                Some(d) = done_rx.recv() => self.on_done(d).await,
                () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    self.hard_cancel.cancel();
                    deadline = None;
                }
            }
        }
        let pending = self
            .entries
            .values()
            .filter(|e| !e.state.is_final() && !e.ephemeral)
            .count() as u64;
        let source_done = self.source_done;
        let idle = self.drained && self.idle();
        self.write(WriteOp::Finish {
            pending,
            stopped,
            source_done,
            idle,
        })
        .await;
        stopped
    }
}

async fn recv_opt(chan: &mut Option<mpsc::Receiver<Job>>) -> Option<Job> {
    match chan.as_mut() {
        Some(rx) => rx.recv().await,
        None => None,
    }
}
