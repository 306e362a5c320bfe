//! The aggregate view: counters, latency percentiles, status distribution, per-second rates and a
//! bounded cache of recently touched rows. Feeding it an event is O(1) amortised; its memory does not
//! grow with the number of rows except for one phase byte per delivery (see [`Aggregate`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};
use veriff_mock_contract::Kind;

use crate::model::{AttemptOutcome, DeliveryId, DeliveryRow, Phase, TuiEvent};

/// How many deliveries are in each phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting for a first attempt.
    pub queued: u64,
    /// An attempt on the wire.
    pub in_flight: u64,
    /// Answered 200.
    pub delivered: u64,
    /// Waiting for a retry.
    pub retrying: u64,
    /// Given up on.
    pub exhausted: u64,
    /// Rejected as the scenario expected.
    pub expected_rejections: u64,
    /// Accepted when they should have been refused.
    pub unexpected: u64,
}

impl Counts {
    /// Every delivery counted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.queued
            + self.in_flight
            + self.delivered
            + self.retrying
            + self.exhausted
            + self.expected_rejections
            + self.unexpected
    }

    fn slot(&mut self, phase: Phase) -> &mut u64 {
        match phase {
            Phase::Queued => &mut self.queued,
            Phase::InFlight => &mut self.in_flight,
            Phase::Retrying => &mut self.retrying,
            Phase::Delivered => &mut self.delivered,
            Phase::Exhausted => &mut self.exhausted,
            Phase::ExpectedRejection => &mut self.expected_rejections,
            Phase::Unexpected => &mut self.unexpected,
        }
    }

    /// The count for one phase.
    #[must_use]
    pub fn of(&self, phase: Phase) -> u64 {
        let mut copy = *self;
        *copy.slot(phase)
    }
}

const LAT_MIN_US: f64 = 10.0;
const LAT_GROWTH: f64 = 1.05;
const LAT_BUCKETS: usize = 400;

/// A latency histogram with logarithmic buckets (5 % wide, 10 µs to beyond 10 minutes): fixed size,
/// percentiles within 5 % of the true value.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    buckets: Box<[u64; LAT_BUCKETS]>,
    count: u64,
    sum_us: u128,
    min_us: u64,
    max_us: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            buckets: Box::new([0; LAT_BUCKETS]),
            count: 0,
            sum_us: 0,
            min_us: u64::MAX,
            max_us: 0,
        }
    }
}

impl LatencyHistogram {
    fn index(us: u64) -> usize {
        let us = us as f64;
        if us < LAT_MIN_US {
            return 0;
        }
        let i = ((us / LAT_MIN_US).ln() / LAT_GROWTH.ln()).floor();
        (i as usize).min(LAT_BUCKETS - 1)
    }

    fn bucket_mid_us(i: usize) -> f64 {
        LAT_MIN_US * LAT_GROWTH.powf(i as f64 + 0.5)
    }

    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.buckets[Self::index(us)] += 1;
        self.count += 1;
        self.sum_us += u128::from(us);
        self.min_us = self.min_us.min(us);
        self.max_us = self.max_us.max(us);
    }

    /// How many latencies were recorded.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The smallest recorded latency.
    #[must_use]
    pub fn min(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_micros(self.min_us))
    }

    /// The largest recorded latency.
    #[must_use]
    pub fn max(&self) -> Option<Duration> {
        (self.count > 0).then(|| Duration::from_micros(self.max_us))
    }

    /// The mean latency.
    #[must_use]
    pub fn mean(&self) -> Option<Duration> {
        let count = u128::from(self.count);
        (count > 0)
            .then(|| Duration::from_micros(u64::try_from(self.sum_us / count).unwrap_or(u64::MAX)))
    }

    /// The `q` quantile (0.0..=1.0), within one bucket (5 %) of the true value, clamped to the
    /// observed minimum and maximum.
    #[must_use]
    pub fn percentile(&self, q: f64) -> Option<Duration> {
        if self.count == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
        let rank = ((q * self.count as f64).ceil() as u64).max(1);
        // The extremes are known exactly: with few attempts, p99 is the slowest one.
        if rank >= self.count {
            return self.max();
        }
        if rank == 1 {
            return self.min();
        }
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let us = Self::bucket_mid_us(i).clamp(self.min_us as f64, self.max_us as f64);
                return Some(Duration::from_micros(us as u64));
            }
        }
        self.max()
    }

    /// The recorded latencies regrouped into `bins` equal-width bins from the minimum to the
    /// maximum: `(upper bound, count)` pairs.
    #[must_use]
    pub fn bins(&self, bins: usize) -> Vec<(Duration, u64)> {
        if self.count == 0 || bins == 0 {
            return Vec::new();
        }
        let lo = self.min_us as f64;
        let hi = (self.max_us as f64).max(lo + 1.0);
        // No finer than the buckets the latencies were counted in (5 % wide): finer bins would
        // only move counts to the wrong side of a bound.
        let resolution = hi * (LAT_GROWTH - 1.0);
        let bins = bins.min((((hi - lo) / resolution).ceil() as usize).max(1));
        let width = (hi - lo) / bins as f64;
        let mut out: Vec<(Duration, u64)> = (1..=bins)
            .map(|b| (Duration::from_micros((lo + width * b as f64) as u64), 0))
            .collect();
        for (i, n) in self.buckets.iter().enumerate().filter(|(_, n)| **n > 0) {
            let mid = Self::bucket_mid_us(i).clamp(lo, hi);
            let b = (((mid - lo) / width) as usize).min(bins - 1);
            out[b].1 += n;
        }
        out
    }
}

/// One second of activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecondStats {
    /// Unix second.
    pub second: i64,
    /// Attempts that ended in this second.
    pub attempts: u64,
    /// Deliveries that were delivered in this second.
    pub delivered: u64,
    /// Attempts that ended with anything but 200.
    pub failed: u64,
}

/// Per-second activity over a sliding window of event time.
#[derive(Debug, Clone)]
pub struct RateWindow {
    seconds: VecDeque<SecondStats>,
    len: usize,
}

impl RateWindow {
    /// A window of `len` seconds.
    #[must_use]
    pub fn new(len: usize) -> Self {
        Self {
            seconds: VecDeque::with_capacity(len.max(1)),
            len: len.max(1),
        }
    }

    fn slot(&mut self, second: i64) -> Option<&mut SecondStats> {
        let newest = self.seconds.back().map(|s| s.second);
        match newest {
            Some(newest) if second <= newest => {
                let back = usize::try_from(newest - second).ok()?;
                let len = self.seconds.len();
                if back >= len {
                    return None;
                }
                self.seconds.get_mut(len - 1 - back)
            }
            _ => {
                let mut next = newest.map_or(second, |n| (n + 1).max(second - self.len as i64));
                while next <= second {
                    if self.seconds.len() == self.len {
                        self.seconds.pop_front();
                    }
                    self.seconds.push_back(SecondStats {
                        second: next,
                        ..SecondStats::default()
                    });
                    next += 1;
                }
                self.seconds.back_mut()
            }
        }
    }

    fn record_attempt(&mut self, at: DateTime<Utc>, success: bool) {
        if let Some(s) = self.slot(at.timestamp()) {
            s.attempts += 1;
            if !success {
                s.failed += 1;
            }
        }
    }

    fn record_delivered(&mut self, at: DateTime<Utc>) {
        if let Some(s) = self.slot(at.timestamp()) {
            s.delivered += 1;
        }
    }

    /// The newest second seen.
    #[must_use]
    pub fn newest(&self) -> Option<i64> {
        self.seconds.back().map(|s| s.second)
    }

    /// `n` consecutive seconds ending with `end` (inclusive), oldest first; seconds outside the
    /// window count as zero.
    #[must_use]
    pub fn series(&self, end: i64, n: usize) -> Vec<SecondStats> {
        let n_i64 = i64::try_from(n).unwrap_or(i64::MAX);
        let start = end.saturating_sub(n_i64).saturating_add(1);
        let mut out: Vec<SecondStats> = (start..=end)
            .map(|second| SecondStats {
                second,
                ..SecondStats::default()
            })
            .collect();
        for s in &self.seconds {
            if s.second >= start
                && s.second <= end
                && let Ok(i) = usize::try_from(s.second - start)
            {
                out[i] = *s;
            }
        }
        out
    }

    /// Mean deliveries per second over the `n` seconds ending with `end`.
    #[must_use]
    pub fn delivered_per_second(&self, end: i64, n: usize) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let total: u64 = self.series(end, n).iter().map(|s| s.delivered).sum();
        total as f64 / n as f64
    }

    /// Mean attempts per second over the `n` seconds ending with `end`.
    #[must_use]
    pub fn attempts_per_second(&self, end: i64, n: usize) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let total: u64 = self.series(end, n).iter().map(|s| s.attempts).sum();
        total as f64 / n as f64
    }
}

/// A bounded cache of the most recently touched rows (least recently touched evicted first).
#[derive(Debug, Clone)]
pub struct RowCache {
    rows: HashMap<DeliveryId, (u64, DeliveryRow)>,
    order: VecDeque<(DeliveryId, u64)>,
    generation: u64,
    capacity: usize,
}

impl RowCache {
    /// A cache holding at most `capacity` rows (at least one).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            rows: HashMap::with_capacity(capacity + 1),
            order: VecDeque::with_capacity(capacity * 2),
            generation: 0,
            capacity,
        }
    }

    /// The most rows it holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Rows held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when it holds no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bookkeeping entries held (bounded by four times the capacity plus one).
    #[must_use]
    pub fn bookkeeping_len(&self) -> usize {
        self.order.len()
    }

    /// Inserts or replaces a row, marking it most recently touched.
    pub fn insert(&mut self, row: DeliveryRow) {
        self.generation += 1;
        let id = row.id;
        self.rows.insert(id, (self.generation, row));
        self.order.push_back((id, self.generation));
        self.evict();
    }

    /// Updates a cached row in place (marking it touched); rows not cached are left to the store.
    pub fn update(&mut self, id: DeliveryId, f: impl FnOnce(&mut DeliveryRow)) {
        if let Some((generation, row)) = self.rows.get_mut(&id) {
            f(row);
            self.generation += 1;
            *generation = self.generation;
            self.order.push_back((id, self.generation));
            self.evict();
        }
    }

    /// The cached row for `id`.
    #[must_use]
    pub fn get(&self, id: DeliveryId) -> Option<&DeliveryRow> {
        self.rows.get(&id).map(|(_, row)| row)
    }

    /// Every cached row, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &DeliveryRow> {
        self.rows.values().map(|(_, row)| row)
    }

    fn evict(&mut self) {
        while self.rows.len() > self.capacity {
            let Some((id, generation)) = self.order.pop_front() else {
                break;
            };
            if self.rows.get(&id).is_some_and(|(g, _)| *g == generation) {
                self.rows.remove(&id);
            }
        }
        if self.order.len() > self.capacity * 4 {
            let rows = &self.rows;
            self.order
                .retain(|(id, generation)| rows.get(id).is_some_and(|(g, _)| g == generation));
        }
    }
}

/// Everything the screen shows about the run as a whole, fed by [`TuiEvent`]s.
///
/// Memory: fixed-size histograms and windows, a [`RowCache`] of bounded size, one counter per
/// distinct status code or error kind, and one phase byte per delivery id (in a hash map, about
/// 20 bytes per delivery) so that counts stay exact when a delivery changes phase. Rows, bodies and
/// attempts beyond the cache are read from the store on demand.
#[derive(Debug, Clone)]
pub struct Aggregate {
    counts: Counts,
    phases: HashMap<DeliveryId, Phase>,
    /// Deliveries that had ended when an attempt (a resend, a late duplicate) started: where
    /// they ended, to go back to when it finishes without the engine moving them on.
    reopened: HashMap<DeliveryId, Phase>,
    /// Attempts on the wire: the attempt number per delivery (the store learns of an attempt
    /// only when it finishes).
    in_flight: HashMap<DeliveryId, u32>,
    kinds: BTreeMap<Kind, u64>,
    outcomes: BTreeMap<AttemptOutcome, u64>,
    latency: LatencyHistogram,
    rates: RateWindow,
    rows: RowCache,
    attempts: u64,
    manual_attempts: u64,
    last_event_at: Option<DateTime<Utc>>,
    first_event_at: Option<DateTime<Utc>>,
    paused: bool,
    finished: bool,
    /// The run's time when it was last done (nothing happened since).
    done: Option<Duration>,
}

/// Default size of the row cache.
pub const DEFAULT_ROW_CACHE: usize = 2048;
/// Default length of the per-second window.
pub const DEFAULT_RATE_WINDOW: usize = 300;

impl Default for Aggregate {
    fn default() -> Self {
        Self::new(DEFAULT_ROW_CACHE)
    }
}

impl Aggregate {
    /// An empty aggregate whose row cache holds at most `row_cache` rows.
    #[must_use]
    pub fn new(row_cache: usize) -> Self {
        Self {
            counts: Counts::default(),
            phases: HashMap::new(),
            reopened: HashMap::new(),
            in_flight: HashMap::new(),
            kinds: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            latency: LatencyHistogram::default(),
            rates: RateWindow::new(DEFAULT_RATE_WINDOW),
            rows: RowCache::new(row_cache),
            attempts: 0,
            manual_attempts: 0,
            last_event_at: None,
            first_event_at: None,
            paused: false,
            finished: false,
            done: None,
        }
    }

    fn set_phase(&mut self, id: DeliveryId, phase: Phase) {
        if let Some(old) = self.phases.insert(id, phase) {
            let slot = self.counts.slot(old);
            *slot = slot.saturating_sub(1);
        }
        *self.counts.slot(phase) += 1;
        self.rows.update(id, |row| {
            row.phase = phase;
            if phase != Phase::Retrying {
                row.next_retry_at = None;
            }
        });
    }

    fn saw(&mut self, at: DateTime<Utc>) {
        self.last_event_at = Some(self.last_event_at.map_or(at, |t| t.max(at)));
        self.first_event_at = Some(self.first_event_at.map_or(at, |t| t.min(at)));
    }

    /// Takes one event into account.
    pub fn apply(&mut self, event: TuiEvent) {
        match event {
            TuiEvent::Queued(row) => {
                self.done = None;
                let id = row.id;
                self.saw(row.queued_at);
                if !self.phases.contains_key(&id) {
                    *self.kinds.entry(row.kind).or_default() += 1;
                }
                let phase = row.phase;
                self.rows.insert(row);
                self.set_phase(id, phase);
            }
            TuiEvent::AttemptStarted {
                id, attempt, at, ..
            } => {
                self.saw(at);
                self.done = None;
                self.in_flight.insert(id, attempt);
                if let Some(&ended) = self.phases.get(&id).filter(|p| p.is_final()) {
                    self.reopened.insert(id, ended);
                }
                self.set_phase(id, Phase::InFlight);
                self.rows
                    .update(id, |row| row.attempts = row.attempts.max(attempt));
            }
            TuiEvent::AttemptFinished {
                id,
                attempt,
                outcome,
                latency,
                manual,
                at,
            } => {
                self.saw(at);
                self.in_flight.remove(&id);
                self.attempts += 1;
                // Counted when they finish, like every attempt (and `watch` only sees them then).
                if manual {
                    self.manual_attempts += 1;
                }
                self.latency.record(latency);
                self.rates.record_attempt(at, outcome.is_success());
                *self.outcomes.entry(outcome.clone()).or_default() += 1;
                self.rows.update(id, |row| {
                    row.attempts = row.attempts.max(attempt);
                    row.last_outcome = Some(outcome);
                    row.last_latency = Some(latency);
                });
                // An ended delivery stays ended unless the engine says otherwise next (a resend
                // that turns an exhausted delivery into a delivered one).
                if let Some(ended) = self.reopened.remove(&id)
                    && self.phases.get(&id) == Some(&Phase::InFlight)
                {
                    self.set_phase(id, ended);
                }
            }
            TuiEvent::RetryScheduled { id, at } => {
                self.set_phase(id, Phase::Retrying);
                self.rows.update(id, |row| row.next_retry_at = Some(at));
            }
            TuiEvent::Delivered { id, at } => {
                self.saw(at);
                self.rates.record_delivered(at);
                self.set_phase(id, Phase::Delivered);
            }
            TuiEvent::Exhausted { id, at } => {
                self.saw(at);
                self.set_phase(id, Phase::Exhausted);
            }
            TuiEvent::ExpectedRejection { id, at } => {
                self.saw(at);
                self.set_phase(id, Phase::ExpectedRejection);
            }
            TuiEvent::Unexpected { id, at } => {
                self.saw(at);
                self.set_phase(id, Phase::Unexpected);
            }
            TuiEvent::Paused(paused) => self.paused = paused,
            TuiEvent::Notice(_) => {}
            TuiEvent::Done { elapsed } => self.done = Some(elapsed),
            TuiEvent::Finished => {
                // Nothing is on the wire any more (attempts cut off by a stop never finish).
                self.in_flight.clear();
                self.finished = true;
            }
        }
    }

    /// Deliveries per phase.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The phase of a delivery, if it has been seen.
    #[must_use]
    pub fn phase(&self, id: DeliveryId) -> Option<Phase> {
        self.phases.get(&id).copied()
    }

    /// The attempt on the wire for a delivery, as last reported (`AttemptStarted` without its
    /// `AttemptFinished` yet).
    #[must_use]
    pub fn in_flight_attempt(&self, id: DeliveryId) -> Option<u32> {
        self.in_flight.get(&id).copied()
    }

    /// Deliveries seen per kind.
    #[must_use]
    pub fn kinds(&self) -> &BTreeMap<Kind, u64> {
        &self.kinds
    }

    /// Attempts per outcome (HTTP status or error kind).
    #[must_use]
    pub fn outcomes(&self) -> &BTreeMap<AttemptOutcome, u64> {
        &self.outcomes
    }

    /// The latency histogram of finished attempts.
    #[must_use]
    pub fn latency(&self) -> &LatencyHistogram {
        &self.latency
    }

    /// Per-second activity.
    #[must_use]
    pub fn rates(&self) -> &RateWindow {
        &self.rates
    }

    /// The bounded row cache.
    #[must_use]
    pub fn rows(&self) -> &RowCache {
        &self.rows
    }

    /// Attempts finished.
    #[must_use]
    pub fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Finished attempts a person asked for.
    #[must_use]
    pub fn manual_attempts(&self) -> u64 {
        self.manual_attempts
    }

    /// Time of the newest event seen.
    #[must_use]
    pub fn last_event_at(&self) -> Option<DateTime<Utc>> {
        self.last_event_at
    }

    /// Time of the oldest event seen.
    #[must_use]
    pub fn first_event_at(&self) -> Option<DateTime<Utc>> {
        self.first_event_at
    }

    /// True while dispatch is paused (as last reported).
    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Records a pause or resume the UI asked for, before the engine confirms it.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// The run's time, when it reported that every delivery reached its end and nothing
    /// happened since (it stays open for resends).
    #[must_use]
    pub fn done_elapsed(&self) -> Option<Duration> {
        self.done
    }

    /// True once the run is done or finished: every delivery reached its end.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done.is_some() || self.finished
    }

    /// True once the run reported it has finished.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}
