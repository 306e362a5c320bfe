//! On-demand reads: the table's pages and a delivery's detail come from a [`DetailSource`] (the
//! store, in the binary), so only the rows in view are held in memory.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use veriff_mock_contract::Kind;

use crate::model::{DeliveryDetail, DeliveryId, DeliveryRow, HeaderInfo, Phase, TuiEvent};

/// Which deliveries the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Every delivery.
    #[default]
    All,
    /// Exhausted, waiting for a retry after a failed attempt, or unexpectedly accepted.
    Failed,
    /// Waiting for a retry.
    Retrying,
    /// Delivered.
    Delivered,
    /// One kind.
    Kind(Kind),
}

impl Filter {
    /// True when `row` passes the filter.
    #[must_use]
    pub fn matches(&self, row: &DeliveryRow) -> bool {
        match self {
            Filter::All => true,
            Filter::Failed => row.is_failed(),
            Filter::Retrying => row.phase == Phase::Retrying,
            Filter::Delivered => row.phase == Phase::Delivered,
            Filter::Kind(kind) => row.kind == *kind,
        }
    }

    /// The next filter in the `f` cycle: all, failed, retrying, delivered, then each kind in
    /// `kinds`, then all again.
    #[must_use]
    pub fn next(self, kinds: &[Kind]) -> Filter {
        match self {
            Filter::All => Filter::Failed,
            Filter::Failed => Filter::Retrying,
            Filter::Retrying => Filter::Delivered,
            Filter::Delivered => kinds.first().map_or(Filter::All, |k| Filter::Kind(*k)),
            Filter::Kind(kind) => kinds
                .iter()
                .position(|k| *k == kind)
                .and_then(|i| kinds.get(i + 1))
                .map_or(Filter::All, |k| Filter::Kind(*k)),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::All => f.write_str("all"),
            Filter::Failed => f.write_str("failed"),
            Filter::Retrying => f.write_str("retrying"),
            Filter::Delivered => f.write_str("delivered"),
            Filter::Kind(kind) => write!(f, "kind={kind}"),
        }
    }
}

/// The table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Newest queued first.
    #[default]
    Newest,
    /// Oldest queued first.
    Oldest,
    /// Most attempts first.
    Attempts,
    /// Slowest last attempt first.
    Latency,
    /// By the `http` column: transport errors first, then the highest last HTTP status,
    /// then deliveries not attempted yet.
    Status,
    /// Soonest retry first (deliveries without one last).
    NextRetry,
}

impl SortKey {
    /// The next order in the `s` cycle.
    #[must_use]
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Newest => SortKey::Oldest,
            SortKey::Oldest => SortKey::Attempts,
            SortKey::Attempts => SortKey::Latency,
            SortKey::Latency => SortKey::Status,
            SortKey::Status => SortKey::NextRetry,
            SortKey::NextRetry => SortKey::Newest,
        }
    }

    /// Compares two rows in this order (ties broken by newest id first).
    #[must_use]
    pub fn compare(self, a: &DeliveryRow, b: &DeliveryRow) -> Ordering {
        let tie = || b.id.cmp(&a.id);
        match self {
            SortKey::Newest => b.queued_at.cmp(&a.queued_at).then_with(tie),
            SortKey::Oldest => a.queued_at.cmp(&b.queued_at).then_with(|| a.id.cmp(&b.id)),
            SortKey::Attempts => b.attempts.cmp(&a.attempts).then_with(tie),
            SortKey::Latency => b.last_latency.cmp(&a.last_latency).then_with(tie),
            SortKey::Status => {
                let key = |r: &DeliveryRow| match &r.last_outcome {
                    None => (0, 0),
                    Some(o) => o.status().map_or((2, 0), |s| (1, s)),
                };
                key(b).cmp(&key(a)).then_with(tie)
            }
            SortKey::NextRetry => match (a.next_retry_at, b.next_retry_at) {
                (Some(x), Some(y)) => x.cmp(&y).then_with(tie),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => tie(),
            },
        }
    }
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SortKey::Newest => "newest",
            SortKey::Oldest => "oldest",
            SortKey::Attempts => "attempts",
            SortKey::Latency => "latency",
            SortKey::Status => "http status",
            SortKey::NextRetry => "next retry",
        })
    }
}

/// One page of the table, as asked of a [`DetailSource`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowQuery {
    /// Which rows.
    pub filter: Filter,
    /// Case-insensitive substring of the session id or `vendorData`; empty matches everything.
    pub search: String,
    /// Order.
    pub sort: SortKey,
    /// Rows to skip.
    pub offset: usize,
    /// Rows to return at most.
    pub limit: usize,
}

impl RowQuery {
    /// True when `row` passes the filter and the search.
    #[must_use]
    pub fn matches(&self, row: &DeliveryRow) -> bool {
        if !self.filter.matches(row) {
            return false;
        }
        if self.search.is_empty() {
            return true;
        }
        let needle = self.search.to_lowercase();
        row.session_id.to_lowercase().contains(&needle)
            || row
                .vendor_data
                .as_deref()
                .is_some_and(|v| v.to_lowercase().contains(&needle))
    }

    /// Runs the query over rows held in memory.
    #[must_use]
    pub fn run<'a>(&self, rows: impl IntoIterator<Item = &'a DeliveryRow>) -> RowPage {
        let mut matching: Vec<&DeliveryRow> =
            rows.into_iter().filter(|r| self.matches(r)).collect();
        let total = matching.len();
        let end = self.offset.saturating_add(self.limit).min(total);
        if self.offset < end {
            let sort = self.sort;
            if end < total {
                matching.select_nth_unstable_by(end - 1, |a, b| sort.compare(a, b));
                matching.truncate(end);
            }
            matching.sort_by(|a, b| sort.compare(a, b));
        }
        RowPage {
            rows: matching
                .get(self.offset..end)
                .unwrap_or_default()
                .iter()
                .map(|r| (*r).clone())
                .collect(),
            total,
        }
    }
}

/// A page of rows and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowPage {
    /// The rows, in order.
    pub rows: Vec<DeliveryRow>,
    /// How many rows match the query in all.
    pub total: usize,
}

/// Why a read failed. Shown in the status line; the UI keeps running.
#[derive(Debug, thiserror::Error)]
#[error("reading deliveries: {message}")]
pub struct SourceError {
    message: String,
}

impl SourceError {
    /// An error with a message (no secrets in it, please).
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Reads the UI makes on demand, from the UI's own thread, at most a few times a second.
pub trait DetailSource {
    /// A page of the table.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn rows(&mut self, query: &RowQuery) -> Result<RowPage, SourceError>;

    /// One delivery with its request and every attempt; `None` when there is no such delivery.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn detail(&mut self, id: DeliveryId) -> Result<Option<DeliveryDetail>, SourceError>;
}

/// New events read from a store, and where to continue from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventBatch {
    /// Events in store order: for each delivery its `Queued`, then its attempts and outcomes.
    pub events: Vec<TuiEvent>,
    /// Cursor to pass to the next [`WatchSource::poll`].
    pub cursor: u64,
}

/// A store watched by `veriff-mock watch`: a past run, or one another process is writing.
pub trait WatchSource: DetailSource {
    /// What the header shows (targets, scenario, policy, start time).
    ///
    /// # Errors
    /// When the store cannot be read.
    fn header(&mut self) -> Result<HeaderInfo, SourceError>;

    /// Changes recorded after `cursor` (0 at first), at most `max` events, replayed as events so
    /// the same aggregate serves live and watch mode.
    ///
    /// # Errors
    /// When the store cannot be read.
    fn poll(&mut self, cursor: u64, max: usize) -> Result<EventBatch, SourceError>;

    /// Whether a process is writing the store now: `Some(true)` while one is, `Some(false)`
    /// when none is (a past run, or the writer has ended), `None` when it cannot be told.
    fn writer(&mut self) -> Option<bool> {
        None
    }
}

/// An in-memory source: every row, detail and event kept. For tests, benches and small runs;
/// the binary uses the SQLite store.
#[derive(Debug, Clone)]
pub struct MemorySource {
    header: HeaderInfo,
    details: BTreeMap<DeliveryId, DeliveryDetail>,
    events: Vec<TuiEvent>,
}

impl MemorySource {
    /// An empty source with this header.
    #[must_use]
    pub fn new(header: HeaderInfo) -> Self {
        Self {
            header,
            details: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    /// Adds or replaces a delivery's detail (its row included).
    pub fn put(&mut self, detail: DeliveryDetail) {
        self.details.insert(detail.row.id, detail);
    }

    /// Records an event for [`WatchSource::poll`] and keeps the rows in step with it.
    pub fn push_event(&mut self, event: TuiEvent) {
        if let TuiEvent::Queued(row) = &event
            && !self.details.contains_key(&row.id)
        {
            self.put(DeliveryDetail {
                row: row.clone(),
                url: String::new(),
                request_headers: Vec::new(),
                request_body: Vec::new(),
                attempts: Vec::new(),
            });
        }
        if let Some(id) = event.delivery()
            && let Some(detail) = self.details.get_mut(&id)
        {
            apply_to_row(&mut detail.row, &event);
        }
        self.events.push(event);
    }
}

/// Applies an event to a row the way the aggregate does.
fn apply_to_row(row: &mut DeliveryRow, event: &TuiEvent) {
    match event {
        TuiEvent::Queued(_)
        | TuiEvent::Paused(_)
        | TuiEvent::Notice(_)
        | TuiEvent::Done { .. }
        | TuiEvent::Finished => {}
        TuiEvent::AttemptStarted { attempt, .. } => {
            row.phase = Phase::InFlight;
            row.attempts = row.attempts.max(*attempt);
            row.next_retry_at = None;
        }
        TuiEvent::AttemptFinished {
            attempt,
            outcome,
            latency,
            ..
        } => {
            row.attempts = row.attempts.max(*attempt);
            row.last_outcome = Some(outcome.clone());
            row.last_latency = Some(*latency);
        }
        TuiEvent::RetryScheduled { at, .. } => {
            row.phase = Phase::Retrying;
            row.next_retry_at = Some(*at);
        }
        TuiEvent::Delivered { .. } => row.phase = Phase::Delivered,
        TuiEvent::Exhausted { .. } => row.phase = Phase::Exhausted,
        TuiEvent::ExpectedRejection { .. } => row.phase = Phase::ExpectedRejection,
        TuiEvent::Unexpected { .. } => row.phase = Phase::Unexpected,
    }
}

impl DetailSource for MemorySource {
    fn rows(&mut self, query: &RowQuery) -> Result<RowPage, SourceError> {
        Ok(query.run(self.details.values().map(|d| &d.row)))
    }

    fn detail(&mut self, id: DeliveryId) -> Result<Option<DeliveryDetail>, SourceError> {
        Ok(self.details.get(&id).cloned())
    }
}

impl WatchSource for MemorySource {
    fn header(&mut self) -> Result<HeaderInfo, SourceError> {
        Ok(self.header.clone())
    }

    fn poll(&mut self, cursor: u64, max: usize) -> Result<EventBatch, SourceError> {
        let start = usize::try_from(cursor)
            .unwrap_or(usize::MAX)
            .min(self.events.len());
        let end = start.saturating_add(max).min(self.events.len());
        Ok(EventBatch {
            events: self.events[start..end].to_vec(),
            cursor: end as u64,
        })
    }
}
