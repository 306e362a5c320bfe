//! The per-payload random stream: ChaCha8 seeded from `(seed, stream, index)` through SplitMix64.
//!
//! Only `next_u64` of the ChaCha stream is used, and every helper here is plain integer arithmetic,
//! so the values drawn are the same on every platform and do not depend on `rand`'s distribution
//! code (which may change between versions).

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};

/// SplitMix64 step: the usual mixer for turning a counter into well-spread seeds.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded random stream.
#[derive(Debug, Clone)]
pub(crate) struct Rand(ChaCha8Rng);

impl Rand {
    /// The stream for `(seed, stream, index)`; `stream` separates independent uses of one payload.
    pub(crate) fn new(seed: u64, stream: u64, index: u64) -> Self {
        let mut state = seed;
        let a = splitmix64(&mut state);
        let mut state = a ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ stream.rotate_left(29);
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        Rand(ChaCha8Rng::from_seed(key))
    }

    pub(crate) fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (multiply-shift; `n == 0` gives 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`hi < lo` gives `lo`).
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo).saturating_add(1);
        lo.wrapping_add_unsigned(self.below(span))
    }

    /// `true` with probability `pct` percent.
    pub(crate) fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Callers pass non-empty static tables; `below(len)` is always `< len`.
        let i = self.below(items.len() as u64) as usize;
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// An index chosen by weight.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        self.weighted_by(weights, |w| *w)
    }

    /// An index of `items` chosen by the weight `weight(item)` (no allocation).
    pub(crate) fn weighted_by<T>(&mut self, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
        let total: u64 = items.iter().map(|w| u64::from(weight(w))).sum();
        let mut x = self.below(total);
        for (i, item) in items.iter().enumerate() {
            let w = u64::from(weight(item));
            if x < w {
                return i;
            }
            x -= w;
        }
        items.len().saturating_sub(1)
    }

    /// A decimal digit.
    pub(crate) fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }

    /// An uppercase ASCII letter.
    pub(crate) fn letter(&mut self) -> char {
        char::from(b'A' + self.below(26) as u8)
    }

    /// A UUID v4 from this stream, lowercase hyphenated.
    pub(crate) fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.u64().to_le_bytes());
        let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        id.hyphenated().encode_lower(&mut buf).to_owned()
    }

    /// A float with three decimals in `lo..=hi` (thousandths).
    pub(crate) fn milli(&mut self, lo: i64, hi: i64) -> f64 {
        self.range(lo, hi) as f64 / 1000.0
    }

    /// Fills a pattern: `#` digit, `L` letter, `X` letter-or-digit from the German document
    /// alphabet, `?` postcode letter; anything else is copied.
    pub(crate) fn pattern(&mut self, pattern: &str) -> String {
        const ALNUM: &[u8] = b"CFGHJKLMNPRTVWXYZ0123456789";
        const POST: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
        let mut out = String::with_capacity(pattern.len());
        for c in pattern.chars() {
            match c {
                '#' => out.push(self.digit()),
                'L' => out.push(self.letter()),
                'X' => out.push(char::from(*self.pick(ALNUM))),
                '?' => out.push(char::from(*self.pick(POST))),
                other => out.push(other),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rand::new(1, 0, 5).u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rand::new(1, 0, 5).u64(), Rand::new(2, 0, 5).u64());
        assert_ne!(Rand::new(1, 0, 5).u64(), Rand::new(1, 0, 6).u64());
        assert_ne!(Rand::new(1, 0, 5).u64(), Rand::new(1, 1, 5).u64());
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut r = Rand::new(9, 9, 9);
        for _ in 0..2000 {
            assert!(r.below(7) < 7);
            let x = r.range(-3, 3);
            assert!((-3..=3).contains(&x));
            assert_eq!(r.range(5, 5), 5);
        }
        let id = r.uuid();
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(r.pattern("LL#######").len(), 9);
    }
}
