//! Scripted behaviour: seeded dice and per-payload status sequences.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

/// A stateless, seeded source of uniform numbers: the `n`-th draw of stream `s` is a pure function of
/// `(seed, n, s)`, so a run is reproducible without a shared RNG behind a lock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dice {
    seed: u64,
}

/// Which independent stream a draw comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Drop = 1,
    Fail = 2,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Self {
        Self { seed }
    }

    /// A uniform number in `[0, 1)` for request number `n`.
    pub(crate) fn unit(self, n: u64, stream: Stream) -> f64 {
        let x = splitmix64(self.seed ^ splitmix64(n.wrapping_mul(4).wrapping_add(stream as u64)));
        // The top 53 bits give every representable multiple of 2^-53 in [0, 1).
        (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `rate` (never for 0, always for 1).
    pub(crate) fn roll(self, n: u64, stream: Stream, rate: f64) -> bool {
        rate > 0.0 && self.unit(n, stream) < rate
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The identity of a payload: a 64-bit hash of its exact bytes (fixed keys, so stable across runs).
pub(crate) fn payload_key(body: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    h.finish()
}

/// Counts the arrivals of each payload, for status sequences applied per payload.
///
/// Bounded: it remembers at most `capacity` payloads and forgets the oldest first, so memory stays
/// flat however many payloads arrive. A payload is remembered after its sequence is exhausted too,
/// so a later duplicate gets the normal verdict instead of the sequence again (until forgotten).
#[derive(Debug)]
pub(crate) struct Attempts {
    capacity: usize,
    inner: Mutex<AttemptsInner>,
}

#[derive(Debug, Default)]
struct AttemptsInner {
    counts: HashMap<u64, u32>,
    order: VecDeque<u64>,
}

impl Attempts {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(AttemptsInner::default()),
        }
    }

    /// Records one more arrival of `key` and returns its attempt number, from 1.
    pub(crate) fn bump(&self, key: u64) -> u32 {
        // A poisoned lock only means another request panicked mid-update; the counts stay usable.
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = inner.counts.get_mut(&key) {
            *count = count.saturating_add(1);
            return *count;
        }
        if inner.order.len() >= self.capacity
            && let Some(oldest) = inner.order.pop_front()
        {
            inner.counts.remove(&oldest);
        }
        inner.counts.insert(key, 1);
        inner.order.push_back(key);
        1
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .counts
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_are_reproducible_and_roughly_uniform() {
        let a = Dice::new(7);
        let b = Dice::new(7);
        let c = Dice::new(8);
        let draws_a: Vec<f64> = (0..1000).map(|n| a.unit(n, Stream::Fail)).collect();
        let draws_b: Vec<f64> = (0..1000).map(|n| b.unit(n, Stream::Fail)).collect();
        let draws_c: Vec<f64> = (0..1000).map(|n| c.unit(n, Stream::Fail)).collect();
        assert_eq!(draws_a, draws_b);
        assert_ne!(draws_a, draws_c);
        assert!(draws_a.iter().all(|u| (0.0..1.0).contains(u)));
        let hits = (0..10_000)
            .filter(|&n| a.roll(n, Stream::Fail, 0.25))
            .count();
        assert!((2_200..2_800).contains(&hits), "{hits}");
        assert!((0..1000).all(|n| !a.roll(n, Stream::Drop, 0.0)));
        assert!((0..1000).all(|n| a.roll(n, Stream::Drop, 1.0)));
    }

    #[test]
    fn streams_are_independent() {
        let d = Dice::new(1);
        let same = (0..1000)
            .filter(|&n| d.roll(n, Stream::Fail, 0.5) == d.roll(n, Stream::Drop, 0.5))
            .count();
        assert!((400..600).contains(&same), "{same}");
    }

    #[test]
    fn attempts_count_per_key_and_stay_bounded() {
        let attempts = Attempts::new(3);
        assert_eq!(attempts.bump(10), 1);
        assert_eq!(attempts.bump(10), 2);
        assert_eq!(attempts.bump(20), 1);
        assert_eq!(attempts.bump(10), 3);
        assert_eq!(attempts.bump(30), 1);
        assert_eq!(attempts.bump(40), 1); // forgets 10, the oldest
        assert_eq!(attempts.len(), 3);
        assert_eq!(attempts.bump(10), 1);
        for k in 100..10_000 {
            attempts.bump(k);
        }
        assert_eq!(attempts.len(), 3);
    }

    #[test]
    fn payload_key_is_stable_and_byte_exact() {
        assert_eq!(payload_key(b"{}"), payload_key(b"{}"));
        assert_ne!(payload_key(b"{}"), payload_key(b"{} "));
    }
}
