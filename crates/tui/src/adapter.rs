//! The thin layer between the delivery engine (`veriff-mock-send`) and the UI's own model:
//! engine events become [`TuiEvent`]s, UI commands drive the engine's [`Control`], and the
//! SQLite [`Store`] serves the table, the detail pane and `watch`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use veriff_mock_contract::Kind;
use veriff_mock_send::{
    self as send, Command as SendCommand, Control, DeliveryEvent, DeliveryQuery, DeliveryState,
    Store, Trigger,
};

use crate::channel::{ControlClosed, ControlSink, UiSender};
use crate::model::{
    AttemptDetail, AttemptOutcome, ControlCommand, DeliveryDetail, DeliveryId, DeliveryRow,
    HeaderInfo, Phase, TuiEvent,
};
use crate::source::{DetailSource, EventBatch, Filter, RowPage, RowQuery, SortKey, SourceError};

fn time_of(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

fn outcome_of(status: Option<u16>, error: Option<&str>) -> Option<AttemptOutcome> {
    match (status, error) {
        (Some(s), _) => Some(AttemptOutcome::Status(s)),
        (None, Some(e)) => Some(AttemptOutcome::Error(e.to_owned())),
        (None, None) => None,
    }
}

/// Feeds the UI from the engine: reads every engine event as it comes and offers its UI form
/// without ever waiting ([`UiSender::offer`]). The engine's stream is always drained at the
/// engine's pace, so a paused, slow or closed UI never holds the dispatcher back; updates the UI
/// was too far behind to take are counted as dropped, and the UI re-reads its rows from the store.
/// Ends when the engine's stream does.
pub async fn forward(mut events: send::Events, ui: UiSender) {
    while let Some(event) = events.recv().await {
        if let Some(update) = tui_event(&event, DateTime::<Utc>::from(std::time::SystemTime::now()))
        {
            ui.offer(update);
        }
    }
}

/// Maps one engine event to a UI event, stamped `now` where the engine gives no time. `None` for
/// events the UI does not show (`Ready`, the start of a chaos duplicate).
#[must_use]
pub fn tui_event(event: &DeliveryEvent, now: DateTime<Utc>) -> Option<TuiEvent> {
    let id = |id: &send::DeliveryId| DeliveryId(*id);
    Some(match event {
        DeliveryEvent::Ready { .. } => return None,
        DeliveryEvent::Queued {
            id: i,
            kind,
            status,
            session_id,
            vendor_data,
            ..
        } => TuiEvent::Queued(DeliveryRow::queued(
            id(i),
            now,
            kind.parse::<Kind>().ok()?,
            status.clone().unwrap_or_default(),
            session_id.clone().unwrap_or_default(),
            vendor_data.clone(),
        )),
        DeliveryEvent::AttemptStarted {
            trigger: Trigger::Duplicate,
            ..
        } => return None,
        DeliveryEvent::AttemptStarted {
            id: i,
            attempt,
            trigger,
        } => TuiEvent::AttemptStarted {
            id: id(i),
            attempt: *attempt,
            manual: *trigger == Trigger::Manual,
            at: now,
        },
        DeliveryEvent::AttemptFinished {
            id: i,
            attempt,
            trigger,
            status,
            error,
            latency_us,
            ..
        } => TuiEvent::AttemptFinished {
            id: id(i),
            attempt: *attempt,
            outcome: outcome_of(*status, error.map(|e| e.as_str()))
                .unwrap_or_else(|| AttemptOutcome::Error("unknown".to_owned())),
            latency: Duration::from_micros(*latency_us),
            manual: *trigger == Trigger::Manual,
            at: now,
        },
        DeliveryEvent::RetryScheduled {
            id: i, at_unix_ms, ..
        } => TuiEvent::RetryScheduled {
            id: id(i),
            at: time_of(*at_unix_ms),
        },
        DeliveryEvent::Delivered { id: i, .. } => TuiEvent::Delivered { id: id(i), at: now },
        DeliveryEvent::Exhausted { id: i, .. } => TuiEvent::Exhausted { id: id(i), at: now },
        DeliveryEvent::ExpectedRejection { id: i, .. } => {
            TuiEvent::ExpectedRejection { id: id(i), at: now }
        }
        DeliveryEvent::UnexpectedOutcome { id: i, .. } => {
            TuiEvent::Unexpected { id: id(i), at: now }
        }
        DeliveryEvent::NotFound { id: i } => {
            TuiEvent::Notice(format!("resend: no delivery #{i} in the store"))
        }
        DeliveryEvent::Paused => TuiEvent::Paused(true),
        DeliveryEvent::Resumed => TuiEvent::Paused(false),
        DeliveryEvent::Drained { summary } => TuiEvent::Done {
            elapsed: Duration::from_millis(summary.elapsed_ms),
        },
        DeliveryEvent::Finished { .. } => TuiEvent::Finished,
    })
}

/// The engine command for a UI command.
#[must_use]
pub fn send_command(command: ControlCommand) -> SendCommand {
    match command {
        ControlCommand::Pause => SendCommand::Pause,
        ControlCommand::Resume => SendCommand::Resume,
        ControlCommand::Resend(id) => SendCommand::Resend(vec![id.0]),
        ControlCommand::RetryAllFailed => SendCommand::RetryFailedNow,
        ControlCommand::Stop => SendCommand::Stop,
    }
}

impl ControlSink for Control {
    fn send_command(&mut self, command: ControlCommand) -> Result<(), ControlClosed> {
        if self.send(send_command(command)) {
            Ok(())
        } else {
            Err(ControlClosed)
        }
    }
}

/// The phase a stored delivery is in. A pending delivery with attempts and no retry due is taken
/// to be in flight.
#[must_use]
pub fn phase_of(row: &send::DeliveryRow) -> Phase {
    match row.state {
        DeliveryState::Delivered => Phase::Delivered,
        DeliveryState::Exhausted => Phase::Exhausted,
        DeliveryState::Rejected => Phase::ExpectedRejection,
        DeliveryState::Unexpected => Phase::Unexpected,
        DeliveryState::Pending if row.attempts == 0 => Phase::Queued,
        DeliveryState::Pending if row.next_attempt_at_ms.is_some() => Phase::Retrying,
        DeliveryState::Pending => Phase::InFlight,
    }
}

/// A stored delivery as a table row; `None` when its kind is not one the UI knows.
#[must_use]
pub fn row_from_store(row: &send::DeliveryRow) -> Option<DeliveryRow> {
    let phase = phase_of(row);
    Some(DeliveryRow {
        id: DeliveryId(row.id),
        queued_at: time_of(row.created_at_ms),
        kind: row.kind.parse().ok()?,
        status: row.status_label.clone().unwrap_or_default(),
        session_id: row.session_id.clone().unwrap_or_default(),
        vendor_data: row.vendor_data.clone(),
        phase,
        attempts: row.attempts,
        last_outcome: outcome_of(row.last_status, row.last_error.as_deref()),
        last_latency: row.last_latency_us.map(Duration::from_micros),
        next_retry_at: (phase == Phase::Retrying)
            .then(|| row.next_attempt_at_ms.map(time_of))
            .flatten(),
    })
}

fn parse_headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn attempt_from_store(a: &send::AttemptRow) -> AttemptDetail {
    AttemptDetail {
        number: a.attempt,
        started_at: time_of(a.started_at_ms),
        outcome: outcome_of(a.http_status, a.error_kind.as_deref()),
        latency: Some(Duration::from_micros(a.latency_us)),
        error_detail: a.error_detail.clone().filter(|d| !d.is_empty()),
        manual: a.trigger == Trigger::Manual.as_str(),
        response_headers: parse_headers(&a.response_headers),
        response_body: a.response_body.clone(),
    }
}

/// A stored delivery in full, for the detail pane and curl export.
#[must_use]
pub fn detail_from_store(d: &send::DeliveryDetail) -> Option<DeliveryDetail> {
    let mut row = row_from_store(&d.delivery)?;
    row.last_latency = d
        .attempts
        .last()
        .map(|a| Duration::from_micros(a.latency_us));
    Some(DeliveryDetail {
        row,
        url: d.delivery.url.clone(),
        request_headers: parse_headers(&d.request_headers),
        request_body: d.body.clone(),
        attempts: d.attempts.iter().map(attempt_from_store).collect(),
    })
}

/// Rows read per store query while scanning. `Store::list` pages with `before_id`; big pages keep
/// the number of queries (each of which starts from the newest row) small.
const SCAN_PAGE: u32 = 20_000;
/// How long the store's counts are reused (counting scans the table).
pub(crate) const COUNTS_TTL: Duration = Duration::from_secs(2);

/// The SQLite store as the UI's [`DetailSource`] (live mode) and [`WatchSource`](crate::WatchSource)
/// (`veriff-mock watch`).
///
/// Costs, with what the store offers today (`Store::list`: newest first, keyset pages, by state
/// or kind): the default view (newest first, no filter or the `delivered` filter, no search)
/// reads only the rows up to the ones in view; any other filter, search or sort scans the
/// deliveries once per refresh, keeping only `offset + limit` rows. `watch` scans once per poll
/// for rows changed since the last one and reads their attempts.
#[derive(Debug)]
pub struct StoreSource {
    store: Store,
    run_id: Option<u64>,
    header: Option<HeaderInfo>,
    /// Deliveries already reported at the cursor's millisecond.
    seen_at_cursor: HashSet<u64>,
    /// The newest attempt reported per delivery (watch).
    reported: HashMap<u64, u32>,
    /// Counts read recently.
    counts: Option<(Instant, send::Counts)>,
    /// Scenario, retry policy and time scale given by [`StoreSource::describe`].
    description: Option<(String, String, Option<f64>)>,
}

impl StoreSource {
    /// Serves the whole store. The header is derived from the store unless set with
    /// [`StoreSource::with_header`].
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self {
            store,
            run_id: None,
            header: None,
            seen_at_cursor: HashSet::new(),
            reported: HashMap::new(),
            counts: None,
            description: None,
        }
    }

    /// Only this run's deliveries.
    #[must_use]
    pub fn run(mut self, run_id: u64) -> Self {
        self.run_id = Some(run_id);
        self
    }

    /// The header to show (live mode knows it from its configuration).
    #[must_use]
    pub fn with_header(mut self, header: HeaderInfo) -> Self {
        self.header = Some(header);
        self
    }

    /// What the run was, for the header of `watch` (targets and start time still come from the
    /// store): its scenario, retry policy and time scale, as far as the caller knows them (an
    /// empty text or `None` is not shown).
    #[must_use]
    pub fn describe(
        mut self,
        scenario: impl Into<String>,
        retry_policy: impl Into<String>,
        time_scale: Option<f64>,
    ) -> Self {
        self.description = Some((scenario.into(), retry_policy.into(), time_scale));
        self
    }

    fn err(e: &send::StoreError) -> SourceError {
        SourceError::new(e.to_string())
    }

    /// The store's counts, reused for [`COUNTS_TTL`].
    fn counts(&mut self) -> Result<send::Counts, SourceError> {
        if let Some((at, counts)) = self.counts
            && at.elapsed() < COUNTS_TTL
        {
            return Ok(counts);
        }
        let counts = self.store.counts(self.run_id).map_err(|e| Self::err(&e))?;
        self.counts = Some((Instant::now(), counts));
        Ok(counts)
    }

    /// Calls `f` on every stored row, newest first, until it returns `false`; reads at most
    /// `first_page` rows in the first query (then [`SCAN_PAGE`]).
    fn scan(
        &self,
        state: Option<DeliveryState>,
        kind: Option<&str>,
        first_page: u32,
        f: impl FnMut(&send::DeliveryRow) -> bool,
    ) -> Result<(), SourceError> {
        self.scan_rows(state, kind, false, first_page, f)
    }

    /// [`StoreSource::scan`], also reading each row's last latency when `with_latency`.
    fn scan_rows(
        &self,
        state: Option<DeliveryState>,
        kind: Option<&str>,
        with_latency: bool,
        first_page: u32,
        mut f: impl FnMut(&send::DeliveryRow) -> bool,
    ) -> Result<(), SourceError> {
        let mut q = DeliveryQuery::default();
        q.with_latency = with_latency;
        q.run_id = self.run_id;
        q.state = state;
        q.kind = kind.map(str::to_owned);
        q.limit = first_page.clamp(1, SCAN_PAGE);
        loop {
            let page = self.store.list(&q).map_err(|e| Self::err(&e))?;
            for row in &page {
                if !f(row) {
                    return Ok(());
                }
            }
            match page.last() {
                Some(last) if page.len() == q.limit as usize => {
                    q.before_id = Some(last.id);
                    q.limit = SCAN_PAGE;
                }
                _ => return Ok(()),
            }
        }
    }
}

impl DetailSource for StoreSource {
    fn rows(&mut self, query: &RowQuery) -> Result<RowPage, SourceError> {
        let fast_state = match query.filter {
            Filter::All => Some(None),
            Filter::Delivered => Some(Some(DeliveryState::Delivered)),
            _ => None,
        };
        if let (Some(state), SortKey::Newest, true) =
            (fast_state, query.sort, query.search.is_empty())
        {
            let counts = self.counts()?;
            let total = match state {
                None => counts.total,
                Some(_) => counts.delivered,
            };
            let mut rows = Vec::with_capacity(query.limit);
            let mut skipped = 0;
            let want = u32::try_from(query.offset.saturating_add(query.limit)).unwrap_or(SCAN_PAGE);
            self.scan(state, None, want, |r| {
                if skipped < query.offset {
                    skipped += 1;
                    return true;
                }
                if let Some(row) = row_from_store(r) {
                    rows.push(row);
                }
                rows.len() < query.limit
            })?;
            // The counts are read apart from the rows (and reused for a while): deliveries
            // committed in between must not leave the total below the rows read.
            let mut total = usize::try_from(total).unwrap_or(usize::MAX);
            if !rows.is_empty() {
                total = total.max(query.offset + rows.len());
            }
            return Ok(RowPage { rows, total });
        }
        let kind = match query.filter {
            Filter::Kind(k) => Some(k.name()),
            _ => None,
        };
        let keep = query.offset.saturating_add(query.limit);
        let sort = query.sort;
        let mut total = 0;
        let mut best: Vec<DeliveryRow> = Vec::new();
        // The latency order needs each row's last latency, which costs a read per row.
        let with_latency = sort == SortKey::Latency;
        self.scan_rows(None, kind, with_latency, SCAN_PAGE, |r| {
            if let Some(row) = row_from_store(r).filter(|row| query.matches(row)) {
                total += 1;
                best.push(row);
                if best.len() > keep.saturating_mul(2).max(1_024) {
                    best.sort_by(|a, b| sort.compare(a, b));
                    best.truncate(keep);
                }
            }
            true
        })?;
        best.sort_by(|a, b| sort.compare(a, b));
        best.truncate(keep);
        let rows = best.into_iter().skip(query.offset).collect();
        Ok(RowPage { rows, total })
    }

    fn detail(&mut self, id: DeliveryId) -> Result<Option<DeliveryDetail>, SourceError> {
        let found = self.store.delivery(id.0).map_err(|e| Self::err(&e))?;
        Ok(found.as_ref().and_then(detail_from_store))
    }
}

impl crate::source::WatchSource for StoreSource {
    fn header(&mut self) -> Result<HeaderInfo, SourceError> {
        if let Some(header) = &self.header {
            return Ok(header.clone());
        }
        let mut targets: Vec<String> = Vec::new();
        let mut oldest: Option<i64> = None;
        self.scan(None, None, SCAN_PAGE, |r| {
            if targets.len() < 8 && !targets.contains(&r.url) {
                targets.push(r.url.clone());
            }
            oldest = Some(oldest.map_or(r.created_at_ms, |o| o.min(r.created_at_ms)));
            true
        })?;
        // Only what is known: nothing about the run unless the caller described it.
        let (scenario, retry_policy, time_scale) = self.description.clone().unwrap_or_default();
        let header = HeaderInfo {
            targets,
            scenario,
            retry_policy,
            time_scale,
            started_at: oldest.map(time_of).unwrap_or_default(),
        };
        self.header = Some(header.clone());
        Ok(header)
    }

    /// Whether a process holds the store's lock ([`send::writer_alive`]).
    fn writer(&mut self) -> Option<bool> {
        send::writer_alive(self.store.path())
    }

    /// The cursor is a time in Unix milliseconds: rows changed at or after it are read (rows
    /// already reported at exactly that millisecond are skipped), with their attempts not yet
    /// reported.
    fn poll(&mut self, cursor: u64, max: usize) -> Result<EventBatch, SourceError> {
        let since = i64::try_from(cursor).unwrap_or(i64::MAX);
        let mut changed: Vec<send::DeliveryRow> = Vec::new();
        let seen = &self.seen_at_cursor;
        self.scan(None, None, SCAN_PAGE, |r| {
            if r.updated_at_ms > since || (r.updated_at_ms == since && !seen.contains(&r.id)) {
                changed.push(r.clone());
            }
            true
        })?;
        changed.sort_by_key(|r| (r.updated_at_ms, r.id));
        let mut events = Vec::new();
        let mut new_cursor = since;
        let mut i = 0;
        while i < changed.len() {
            // Take every row of one millisecond, or none, so the cursor never splits one.
            let ms = changed[i].updated_at_ms;
            let end = changed[i..]
                .iter()
                .position(|r| r.updated_at_ms != ms)
                .map_or(changed.len(), |n| i + n);
            if !events.is_empty() && events.len() >= max {
                break;
            }
            if ms != new_cursor {
                self.seen_at_cursor.clear();
            }
            for r in &changed[i..end] {
                self.seen_at_cursor.insert(r.id);
                let Some(row) = row_from_store(r) else {
                    continue;
                };
                let detail = self.store.delivery(r.id).map_err(|e| Self::err(&e))?;
                events.push(TuiEvent::Queued(DeliveryRow {
                    last_latency: detail
                        .as_ref()
                        .and_then(|d| d.attempts.last())
                        .map(|a| Duration::from_micros(a.latency_us)),
                    ..row.clone()
                }));
                let reported = self.reported.get(&r.id).copied().unwrap_or(0);
                let mut newest = reported;
                for a in detail.iter().flat_map(|d| &d.attempts) {
                    if a.attempt <= reported {
                        continue;
                    }
                    newest = newest.max(a.attempt);
                    if let Some(outcome) = outcome_of(a.http_status, a.error_kind.as_deref()) {
                        events.push(TuiEvent::AttemptFinished {
                            id: row.id,
                            attempt: a.attempt,
                            outcome,
                            latency: Duration::from_micros(a.latency_us),
                            manual: a.trigger == Trigger::Manual.as_str(),
                            at: time_of(a.finished_at_ms),
                        });
                    }
                }
                if newest > reported {
                    self.reported.insert(r.id, newest);
                    if row.phase == Phase::Delivered {
                        // Feeds the deliveries-per-second chart at the time it happened.
                        events.push(TuiEvent::Delivered {
                            id: row.id,
                            at: time_of(r.updated_at_ms),
                        });
                    }
                }
            }
            new_cursor = ms;
            i = end;
        }
        Ok(EventBatch {
            events,
            cursor: u64::try_from(new_cursor).unwrap_or(cursor),
        })
    }
}
