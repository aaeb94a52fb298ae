//! A small deterministic pseudo-random generator (SplitMix64): the same seed
//! gives the same samples on every machine, so generated files are
//! reproducible byte for byte.

/// SplitMix64 state.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for item `index` of stream `stream` under `seed`: each item
    /// gets its own sequence, independent of the order items are produced in.
    pub fn for_item(seed: u64, stream: u64, index: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let mixed = r.next_u64() ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift keeps the result unbiased enough for test data.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_are_reproducible_and_distinct_per_item() {
        let a: Vec<u64> = (0..3)
            .map(|_| Rng::for_item(1, 2, 3))
            .map(|mut r| r.next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut x = Rng::for_item(1, 2, 3);
        let mut y = Rng::for_item(1, 2, 4);
        assert_ne!(x.next_u64(), y.next_u64());
        let mut r = Rng::for_item(9, 0, 0);
        assert!((0..1000).all(|_| r.below(7) < 7));
        assert_eq!(r.below(0), 0);
    }
}
