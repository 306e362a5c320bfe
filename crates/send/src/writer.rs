//! The store writer: one blocking task that commits batches of records, then forwards their
//! events to the consumer. An outcome is never reported before it is committed.

use std::sync::Arc;
use std::time::Instant;

use rusqlite::{OptionalExtension, params};
use rustc_hash::{FxHashMap, FxHashSet};
use tokio::sync::mpsc;

use crate::client::AttemptResult;
use crate::event::{DeliveryEvent, Histogram, Summary, Trigger};
use crate::job::{DeliveryId, Payload, headers_to_text};
use crate::outcome::ErrorKind;
use crate::store::{DeliveryState, Store, StoreError};

/// Most records per transaction.
const MAX_BATCH: usize = 4096;
/// Below this many queued records, wait [`BATCH_WAIT`] for more before committing.
const SMALL_BATCH: usize = 64;
/// How long a small batch waits for company.
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(2);

fn drain(ops: &mut mpsc::Receiver<WriteOp>, batch: &mut Vec<WriteOp>) {
    while batch.len() < MAX_BATCH {
        match ops.try_recv() {
            Ok(op) => batch.push(op),
            Err(_) => break,
        }
    }
}

pub(crate) struct QueuedWrite {
    pub payload: Arc<Payload>,
    pub status: Option<String>,
    pub session_id: Option<String>,
    pub vendor_data: Option<String>,
    pub source_index: Option<u64>,
    pub created_ms: i64,
    /// When the first attempt is due (Unix ms): now, or later for a `not_before` job.
    pub next_at_ms: i64,
}

pub(crate) struct AttemptWrite {
    pub id: DeliveryId,
    pub attempt: u32,
    pub trigger: Trigger,
    pub started_ms: i64,
    pub finished_ms: i64,
    pub result: AttemptResult,
    /// Final classification of the attempt (transport error or status-based).
    pub error: Option<ErrorKind>,
    pub next_at_ms: Option<i64>,
    pub state: DeliveryState,
    pub attempts: u32,
    pub policy_attempts: u32,
    /// A manual attempt took an exhausted delivery to another final state.
    pub revived: bool,
    /// Events after `attempt_finished` (retry_scheduled, delivered, …).
    pub events: Vec<DeliveryEvent>,
}

pub(crate) enum WriteOp {
    Queued(Box<QueuedWrite>),
    Attempt(Box<AttemptWrite>),
    /// A state change without an attempt (e.g. exhausted on resume under a shorter policy).
    State {
        id: DeliveryId,
        state: DeliveryState,
        event: Option<DeliveryEvent>,
    },
    Event(DeliveryEvent),
    /// A lingering run went idle: every job of its source was stored (when `source_done`) and
    /// every delivery reached its end. The run is recorded as complete, and reported with
    /// [`DeliveryEvent::Drained`].
    Drained {
        source_done: bool,
    },
    Finish {
        pending: u64,
        stopped: bool,
        /// Every job of the run's source was stored.
        source_done: bool,
        /// Nothing happened since the last `Drained`: the run's time ends there.
        idle: bool,
    },
}

/// How the run ended, from its `Finish` record.
#[derive(Clone, Copy)]
struct Ending {
    pending: u64,
    stopped: bool,
    source_done: bool,
    idle: bool,
}

struct Tally {
    summary: Summary,
    hist: Histogram,
    started: Instant,
    /// When the run last went idle (a lingering run), from `started`.
    drained: Option<std::time::Duration>,
}

impl Tally {
    fn see(&mut self, e: &DeliveryEvent) {
        let s = &mut self.summary;
        match e {
            DeliveryEvent::AttemptFinished {
                attempt,
                trigger,
                error,
                latency_us,
                ..
            } => {
                s.attempts += 1;
                match trigger {
                    Trigger::Manual => s.manual += 1,
                    Trigger::Duplicate => s.duplicates += 1,
                    Trigger::Scheduled if *attempt > 1 => s.retried += 1,
                    Trigger::Scheduled => {}
                }
                if *error != Some(ErrorKind::Cancelled) {
                    self.hist.record(*latency_us);
                }
            }
            DeliveryEvent::Delivered { .. } => s.delivered += 1,
            DeliveryEvent::Exhausted { .. } => s.exhausted += 1,
            DeliveryEvent::ExpectedRejection { .. } => s.expected_rejections += 1,
            DeliveryEvent::UnexpectedOutcome { .. } => s.unexpected += 1,
            _ => {}
        }
    }

    /// The totals so far, the run's time ending at `elapsed`.
    fn summary(&self, elapsed: std::time::Duration) -> Summary {
        let mut s = self.summary.clone();
        s.latency_p50_us = self.hist.quantile(0.5);
        s.latency_p99_us = self.hist.quantile(0.99);
        s.latency_max_us = self.hist.max();
        s.elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        s
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the writer until every sender is gone or a `Finish` arrives. Blocking: call from
/// `spawn_blocking`.
pub(crate) fn run(
    mut store: Store,
    run_id: u64,
    mut ops: mpsc::Receiver<WriteOp>,
    events: mpsc::Sender<Vec<DeliveryEvent>>,
    ready: DeliveryEvent,
) -> Result<Summary, StoreError> {
    let mut tally = Tally {
        summary: Summary {
            run_id,
            ..Summary::default()
        },
        hist: Histogram::default(),
        started: Instant::now(),
        drained: None,
    };
    let mut consumer_alive = events.blocking_send(vec![ready]).is_ok();
    let mut batch: Vec<WriteOp> = Vec::with_capacity(MAX_BATCH);
    let mut out: Vec<DeliveryEvent> = Vec::new();
    let mut finish: Option<Ending> = None;
    let mut carried: Vec<WriteOp> = Vec::new();
    loop {
        // Records held back from the last batch go first, in their order.
        let held = carried.len();
        batch.append(&mut carried);
        if batch.is_empty() {
            let Some(first) = ops.blocking_recv() else {
                break;
            };
            batch.push(first);
        }
        drain(&mut ops, &mut batch);
        if batch.len() < SMALL_BATCH + held && !matches!(batch.last(), Some(WriteOp::Finish { .. }))
        {
            // Under load, wait a moment for more records: one transaction and one wake-up per
            // batch instead of per record. Bounded, so a quiet run still reports promptly.
            std::thread::sleep(BATCH_WAIT);
            drain(&mut ops, &mut batch);
        }
        let revived: Vec<DeliveryId> = batch
            .iter()
            .filter_map(|op| match op {
                WriteOp::Attempt(a) if a.revived => Some(a.id),
                _ => None,
            })
            .collect();
        let settled = settle_in_batch(&batch);
        hold_back(&mut batch, held, &settled, &mut carried);
        commit_settled(
            &mut store,
            run_id,
            &mut batch,
            &settled,
            &mut out,
            &mut finish,
        )?;
        for e in &out {
            tally.see(e);
        }
        for id in revived {
            // Counted once per final state it is in: no longer exhausted, if this run said it was.
            if exhausted_in_run(&store, run_id, id)? {
                tally.summary.exhausted = tally.summary.exhausted.saturating_sub(1);
            }
        }
        for e in &mut out {
            if let DeliveryEvent::Drained { summary } = e {
                let elapsed = tally.started.elapsed();
                tally.drained = Some(elapsed);
                let all_queued = summary.all_queued;
                *summary = tally.summary(elapsed);
                summary.all_queued = all_queued;
            }
        }
        if consumer_alive && !out.is_empty() {
            // One message per batch: no wake-up ping-pong per event with the consumer.
            // The next batch's events get room for as many as this one had, not for the largest
            // possible batch: that would be a fresh allocation of 8,192 events for every batch.
            let room = out.len();
            let sent = std::mem::replace(&mut out, Vec::with_capacity(room));
            consumer_alive = events.blocking_send(sent).is_ok();
        } else {
            out.clear();
        }
        if finish.is_some() {
            break;
        }
    }
    let Ending {
        pending,
        stopped,
        source_done,
        idle,
    } = finish.unwrap_or(Ending {
        pending: 0,
        stopped: true,
        source_done: false,
        idle: false,
    });
    // A run that stayed open after its work was done (the terminal UI) took until then.
    let elapsed = match tally.drained {
        Some(drained) if idle => drained,
        _ => tally.started.elapsed(),
    };
    let mut summary = tally.summary(elapsed);
    summary.pending = pending;
    summary.stopped = stopped;
    summary.all_queued = source_done;
    // Checkpoint so the main file holds everything (a WAL left behind is still valid).
    let _ = store
        .conn_mut()
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    if consumer_alive {
        let _ = events.blocking_send(vec![DeliveryEvent::Finished {
            summary: summary.clone(),
        }]);
    }
    Ok(summary)
}

/// True when a scheduled attempt of this run exhausted `id` (so this run counted it).
fn exhausted_in_run(store: &Store, run_id: u64, id: DeliveryId) -> Result<bool, StoreError> {
    let found: Option<i64> = store
        .conn()
        .prepare_cached(
            "SELECT 1 FROM attempts WHERE delivery_id = ?1 AND trigger = 'scheduled'
               AND finished_at >= (SELECT started_at FROM runs WHERE id = ?2) LIMIT 1",
        )?
        .query_row(
            [
                i64::try_from(id).unwrap_or(i64::MAX),
                i64::try_from(run_id).unwrap_or(i64::MAX),
            ],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.is_some())
}

/// A delivery row's changing columns.
struct RowState {
    state: DeliveryState,
    attempts: u32,
    policy_attempts: u32,
    next_at_ms: Option<i64>,
    last_status: Option<u16>,
    last_error: Option<&'static str>,
    updated_ms: i64,
}

impl RowState {
    /// The columns as an attempt leaves them.
    fn after(a: &AttemptWrite) -> Self {
        Self {
            state: a.state,
            attempts: a.attempts,
            policy_attempts: a.policy_attempts,
            next_at_ms: if a.state.is_final() {
                None
            } else {
                a.next_at_ms
            },
            last_status: a.result.status,
            last_error: a.error.map(ErrorKind::as_str),
            updated_ms: a.finished_ms,
        }
    }
}

/// For deliveries queued in this batch that also finished attempts in it, the row as those
/// attempts leave it, applied in order as the UPDATE would (counts never go down). Their row is
/// inserted in that state at once: one write instead of an insert and an update per attempt.
fn settle_in_batch(batch: &[WriteOp]) -> FxHashMap<DeliveryId, RowState> {
    let mut settled: FxHashMap<DeliveryId, RowState> = FxHashMap::default();
    let mut queued: FxHashSet<DeliveryId> = FxHashSet::default();
    for op in batch {
        match op {
            WriteOp::Queued(q) => {
                queued.insert(q.payload.id);
            }
            WriteOp::Attempt(a) if queued.contains(&a.id) => {
                let mut row = RowState::after(a);
                if let Some(before) = settled.get(&a.id) {
                    row.attempts = row.attempts.max(before.attempts);
                    row.policy_attempts = row.policy_attempts.max(before.policy_attempts);
                }
                settled.insert(a.id, row);
            }
            WriteOp::State { id, .. } => {
                // A state change without an attempt: keep the plain insert-then-update order.
                queued.remove(id);
                settled.remove(id);
            }
            _ => {}
        }
    }
    settled
}

/// Holds back, for one more batch, the records of deliveries first queued in this batch (after
/// the `held` records already held once) whose first attempt has not finished yet: most finish
/// within the next batch, and their row is then written once, in its final state, instead of
/// inserted pending and rewritten by an update. Their `attempt_started` events wait with them, so
/// every consumer still sees a delivery queued before its attempts. Nothing is held back from a
/// batch that ends the run. Nothing whose outcome is known is ever held back: an outcome is still
/// reported only once committed.
fn hold_back(
    batch: &mut Vec<WriteOp>,
    held: usize,
    settled: &FxHashMap<DeliveryId, RowState>,
    carried: &mut Vec<WriteOp>,
) {
    if batch.iter().any(|op| matches!(op, WriteOp::Finish { .. })) {
        return;
    }
    let mut waiting: FxHashSet<DeliveryId> = FxHashSet::default();
    let mut touched: FxHashSet<DeliveryId> = FxHashSet::default();
    for op in &batch[held..] {
        match op {
            WriteOp::Queued(q) if !settled.contains_key(&q.payload.id) => {
                waiting.insert(q.payload.id);
            }
            WriteOp::Attempt(a) => {
                touched.insert(a.id);
            }
            WriteOp::State { id, .. } => {
                touched.insert(*id);
            }
            _ => {}
        }
    }
    waiting.retain(|id| !touched.contains(id));
    if waiting.is_empty() {
        return;
    }
    let rest = batch.split_off(held);
    for op in rest {
        let hold = match &op {
            WriteOp::Queued(q) => waiting.contains(&q.payload.id),
            WriteOp::Event(DeliveryEvent::AttemptStarted { id, .. }) => waiting.contains(id),
            _ => false,
        };
        if hold {
            carried.push(op);
        } else {
            batch.push(op);
        }
    }
}

#[cfg(test)]
fn commit(
    store: &mut Store,
    run_id: u64,
    batch: &mut Vec<WriteOp>,
    out: &mut Vec<DeliveryEvent>,
    finish: &mut Option<Ending>,
) -> Result<(), StoreError> {
    let settled = settle_in_batch(batch);
    commit_settled(store, run_id, batch, &settled, out, finish)
}

fn commit_settled(
    store: &mut Store,
    run_id: u64,
    batch: &mut Vec<WriteOp>,
    settled: &FxHashMap<DeliveryId, RowState>,
    out: &mut Vec<DeliveryEvent>,
    finish: &mut Option<Ending>,
) -> Result<(), StoreError> {
    let tx = store.conn_mut().transaction()?;
    {
        let mut ins_delivery = tx.prepare_cached(
            "INSERT INTO deliveries (id, run_id, kind, status_label, session_id, vendor_data, url, body,
                headers, tampered, state, attempts, policy_attempts, next_attempt_at, created_at, updated_at,
                source_index, last_status, last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?14, ?15, ?16, ?12, ?11, ?17, ?13, ?18, ?19)",
        )?;
        let mut ins_attempt = tx.prepare_cached(
            "INSERT INTO attempts (delivery_id, attempt, trigger, started_at, finished_at, latency_us,
                http_status, error_kind, error_detail, response_headers, response_body,
                response_truncated, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut upd_delivery = tx.prepare_cached(
            "UPDATE deliveries SET state = ?2, attempts = max(attempts, ?3),
                policy_attempts = max(policy_attempts, ?4), next_attempt_at = ?5,
                last_status = ?6, last_error = ?7, updated_at = ?8 WHERE id = ?1",
        )?;
        let mut upd_state = tx.prepare_cached(
            "UPDATE deliveries SET state = ?2, next_attempt_at = NULL WHERE id = ?1",
        )?;
        for op in batch.drain(..) {
            match op {
                WriteOp::Queued(q) => {
                    let p = &q.payload;
                    let url = p.url.to_string();
                    let fresh = RowState {
                        state: DeliveryState::Pending,
                        attempts: 0,
                        policy_attempts: 0,
                        next_at_ms: Some(q.next_at_ms),
                        last_status: None,
                        last_error: None,
                        updated_ms: q.created_ms,
                    };
                    let row = settled.get(&p.id).unwrap_or(&fresh);
                    ins_delivery.execute(params![
                        i64::try_from(p.id).unwrap_or(i64::MAX),
                        i64::try_from(run_id).unwrap_or(i64::MAX),
                        p.kind,
                        q.status,
                        q.session_id,
                        q.vendor_data,
                        url,
                        &p.body[..],
                        headers_to_text(p.headers.iter().map(|(a, b)| (a, b))),
                        p.tampered,
                        q.created_ms,
                        row.next_at_ms,
                        q.source_index.map(|i| i64::try_from(i).unwrap_or(i64::MAX)),
                        row.state.as_str(),
                        row.attempts,
                        row.policy_attempts,
                        row.updated_ms,
                        row.last_status,
                        row.last_error,
                    ])?;
                    let (id, kind, tampered) = (p.id, p.kind.clone(), p.tampered);
                    let q = *q;
                    out.push(DeliveryEvent::Queued {
                        id,
                        kind,
                        status: q.status,
                        session_id: q.session_id,
                        vendor_data: q.vendor_data,
                        url,
                        tampered,
                    });
                }
                WriteOp::Attempt(a) => {
                    let id = i64::try_from(a.id).unwrap_or(i64::MAX);
                    let latency_us =
                        u64::try_from(a.result.latency.as_micros()).unwrap_or(u64::MAX);
                    let error = a.error.map(ErrorKind::as_str);
                    ins_attempt.execute(params![
                        id,
                        a.attempt,
                        a.trigger.as_str(),
                        a.started_ms,
                        a.finished_ms,
                        i64::try_from(latency_us).unwrap_or(i64::MAX),
                        a.result.status,
                        error,
                        a.result.detail,
                        a.result.response_headers,
                        &a.result.body_prefix[..],
                        a.result.body_truncated,
                        a.next_at_ms,
                    ])?;
                    if !settled.contains_key(&a.id) {
                        let row = RowState::after(&a);
                        upd_delivery.execute(params![
                            id,
                            row.state.as_str(),
                            row.attempts,
                            row.policy_attempts,
                            row.next_at_ms,
                            row.last_status,
                            row.last_error,
                            row.updated_ms,
                        ])?;
                    }
                    let a = *a;
                    out.push(DeliveryEvent::AttemptFinished {
                        id: a.id,
                        attempt: a.attempt,
                        trigger: a.trigger,
                        status: a.result.status,
                        error: a.error,
                        detail: a.result.detail,
                        latency_us,
                        response_prefix: lossy(&a.result.body_prefix),
                        response_truncated: a.result.body_truncated,
                    });
                    out.extend(a.events);
                }
                WriteOp::State { id, state, event } => {
                    upd_state.execute(params![
                        i64::try_from(id).unwrap_or(i64::MAX),
                        state.as_str()
                    ])?;
                    out.extend(event);
                }
                WriteOp::Event(e) => out.push(e),
                WriteOp::Drained { source_done } => {
                    if source_done {
                        tx.execute(
                            "UPDATE runs SET source_done = 1 WHERE id = ?1",
                            [i64::try_from(run_id).unwrap_or(i64::MAX)],
                        )?;
                    }
                    // The totals are filled in once the batch's events are counted.
                    out.push(DeliveryEvent::Drained {
                        summary: Summary {
                            all_queued: source_done,
                            ..Summary::default()
                        },
                    });
                }
                WriteOp::Finish {
                    pending,
                    stopped,
                    source_done,
                    idle,
                } => {
                    if source_done {
                        tx.execute(
                            "UPDATE runs SET source_done = 1 WHERE id = ?1",
                            [i64::try_from(run_id).unwrap_or(i64::MAX)],
                        )?;
                    }
                    *finish = Some(Ending {
                        pending,
                        stopped,
                        source_done,
                        idle,
                    });
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::AttemptResult;
    use bytes::Bytes;
    use http::header::{HeaderName, HeaderValue};

    fn queued(id: DeliveryId) -> WriteOp {
        let payload = Arc::new(Payload {
            id,
            kind: "decision".into(),
            url: "http://127.0.0.1:9/hook".parse().unwrap(),
            body: Bytes::from(format!("{{\"n\":{id}}}")),
            headers: vec![(
                HeaderName::from_static("x-hmac-signature"),
                HeaderValue::from_static("00ff"),
            )],
            tampered: false,
        });
        WriteOp::Queued(Box::new(QueuedWrite {
            payload,
            status: Some("approved".into()),
            session_id: None,
            vendor_data: None,
            source_index: Some(id),
            created_ms: 1_000,
            next_at_ms: 1_000,
        }))
    }

    fn attempt(id: DeliveryId, n: u32, status: u16, state: DeliveryState) -> WriteOp {
        WriteOp::Attempt(Box::new(AttemptWrite {
            id,
            attempt: n,
            trigger: Trigger::Scheduled,
            started_ms: 1_000 + i64::from(n) * 10,
            finished_ms: 1_005 + i64::from(n) * 10,
            result: AttemptResult {
                status: Some(status),
                ..AttemptResult::default()
            },
            error: (status != 200).then_some(ErrorKind::HttpStatus),
            next_at_ms: (state == DeliveryState::Pending).then_some(9_000 + i64::from(n)),
            state,
            attempts: n,
            policy_attempts: n,
            revived: false,
            events: Vec::new(),
        }))
    }

    /// A delivery row's id and changing columns: state, attempts, policy attempts, next
    /// attempt, last status, last error, updated.
    type Row = (
        i64,
        String,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        i64,
    );

    /// The ops, committed in the given batches; returns every delivery row.
    fn rows_after(batches: Vec<Vec<WriteOp>>) -> Vec<Row> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.db");
        let mut store = Store::open(&path).unwrap();
        let (run_id, _) = store.new_run("test", None, 0).unwrap();
        let (mut out, mut finish) = (Vec::new(), None);
        for mut batch in batches {
            commit(&mut store, run_id, &mut batch, &mut out, &mut finish).unwrap();
        }
        let mut q = store
            .conn_mut()
            .prepare(
                "SELECT id, state, attempts, policy_attempts, next_attempt_at, last_status, last_error,
                    updated_at FROM deliveries ORDER BY id",
            )
            .unwrap();
        q.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    }

    fn started(id: DeliveryId) -> WriteOp {
        WriteOp::Event(DeliveryEvent::AttemptStarted {
            id,
            attempt: 1,
            trigger: Trigger::Scheduled,
        })
    }

    fn ids(ops: &[WriteOp]) -> Vec<(char, DeliveryId)> {
        ops.iter()
            .map(|op| match op {
                WriteOp::Queued(q) => ('q', q.payload.id),
                WriteOp::Attempt(a) => ('a', a.id),
                WriteOp::State { id, .. } => ('s', *id),
                WriteOp::Event(DeliveryEvent::AttemptStarted { id, .. }) => ('e', *id),
                _ => ('-', 0),
            })
            .collect()
    }

    #[test]
    fn a_delivery_whose_attempt_is_still_out_waits_one_batch_with_its_started_event() {
        use DeliveryState::{Delivered, Exhausted};
        let mut batch = vec![
            queued(1), // held in from the last batch: never held twice
            queued(2),
            started(2),
            queued(3),
            started(3),
            attempt(2, 1, 200, Delivered),
            queued(4),
            WriteOp::State {
                id: 4,
                state: Exhausted,
                event: None,
            },
        ];
        let settled = settle_in_batch(&batch);
        let mut carried = Vec::new();
        hold_back(&mut batch, 1, &settled, &mut carried);
        assert_eq!(ids(&carried), [('q', 3), ('e', 3)]);
        assert_eq!(
            ids(&batch),
            [('q', 1), ('q', 2), ('e', 2), ('a', 2), ('q', 4), ('s', 4)]
        );

        // A batch that ends the run holds nothing back.
        let mut last = vec![
            queued(5),
            WriteOp::Finish {
                pending: 0,
                stopped: false,
                source_done: true,
                idle: false,
            },
        ];
        let mut carried = Vec::new();
        hold_back(&mut last, 0, &FxHashMap::default(), &mut carried);
        assert!(carried.is_empty());
        assert_eq!(last.len(), 2);
    }

    #[test]
    fn held_back_deliveries_are_stored_and_reported_queued_before_their_attempts() {
        use DeliveryState::{Delivered, Pending};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("d.db")).unwrap();
        let (run_id, _) = store.new_run("test", None, 0).unwrap();
        let (tx, rx) = mpsc::channel(64);
        for op in [
            queued(1),
            started(1),
            queued(2),
            started(2),
            attempt(1, 1, 200, Delivered),
        ] {
            tx.try_send(op).unwrap();
        }
        drop(tx);
        let (etx, mut erx) = mpsc::channel(64);
        let summary = run(store, run_id, rx, etx, DeliveryEvent::Paused).unwrap();
        assert_eq!(summary.attempts, 1);
        let mut seen = Vec::new();
        while let Ok(batch) = erx.try_recv() {
            for e in batch {
                match e {
                    DeliveryEvent::Queued { id, .. } => seen.push(('q', id)),
                    DeliveryEvent::AttemptStarted { id, .. } => seen.push(('e', id)),
                    DeliveryEvent::AttemptFinished { id, .. } => seen.push(('a', id)),
                    _ => {}
                }
            }
        }
        assert_eq!(seen, [('q', 1), ('e', 1), ('a', 1), ('q', 2), ('e', 2)]);
        let mut store = Store::open(dir.path().join("d.db")).unwrap();
        let rows: Vec<(i64, String, i64)> = store
            .conn_mut()
            .prepare("SELECT id, state, attempts FROM deliveries ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, Delivered.as_str().to_string(), 1),
                (2, Pending.as_str().to_string(), 0)
            ]
        );
    }

    #[test]
    fn a_delivery_settled_within_its_batch_gets_the_row_the_updates_would_give() {
        use DeliveryState::{Delivered, Exhausted, Pending};
        let ops = || {
            vec![
                queued(1),
                attempt(1, 1, 500, Pending),
                queued(2),
                attempt(1, 2, 200, Delivered),
                queued(3),
                attempt(2, 1, 503, Exhausted),
            ]
        };
        // One op per batch: every row is inserted pending, then updated per attempt.
        let one_by_one = rows_after(ops().into_iter().map(|op| vec![op]).collect());
        let together = rows_after(vec![ops()]);
        assert_eq!(together, one_by_one);
        assert_eq!(together[0].1, "delivered");
        assert_eq!(together[0].2, 2);
        assert_eq!(together[1].1, "exhausted");
        assert_eq!(together[1].4, None, "a final delivery has no next attempt");
        assert_eq!(together[2].1, "pending");
        assert_eq!(together[2].2, 0);
    }
}
