//! The random numbers crosscheck draws itself: Poisson spike times and random connectivity.
//!
//! Drawing them here, from the suite's seed, and handing every simulator the same explicit
//! spike times and connection lists is what makes a cross-simulator comparison meaningful: each
//! simulator's own generator would give a different network and different input.
//!
//! The generator is SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and fully specified, so
//! the numbers never change with a dependency's version.

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator for one purpose (`stream`) of one suite seed: streams do not overlap in
    /// practice, and adding a population never changes another population's numbers.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut g = SplitMix64 {
            state: seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03),
        };
        g.next_u64();
        g
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Poisson spike times (ms) with `rate_hz` in `[start_ms, stop_ms)`, by exponential intervals.
pub fn poisson_train(rng: &mut SplitMix64, rate_hz: f64, start_ms: f64, stop_ms: f64) -> Vec<f64> {
    let mut times = Vec::new();
    // Written so that NaN rates or bounds also give no spikes.
    let valid = rate_hz > 0.0 && stop_ms > start_ms && rate_hz.is_finite();
    if !valid {
        return times;
    }
    let mean_interval_ms = 1000.0 / rate_hz;
    let mut t = start_ms;
    loop {
        // 1 - u is in (0, 1]: the logarithm is finite.
        t += -mean_interval_ms * (1.0 - rng.next_f64()).ln();
        if t >= stop_ms {
            break;
        }
        times.push(t);
    }
    times
}

/// Pairs `(pre, post)` each present with probability `p`, in row-major order.
pub fn fixed_probability(
    rng: &mut SplitMix64,
    pre_size: usize,
    post_size: usize,
    p: f64,
    exclude_diagonal: bool,
) -> Vec<(u32, u32)> {
    let mut pairs = Vec::new();
    for pre in 0..pre_size {
        for post in 0..post_size {
            if exclude_diagonal && pre == post {
                continue;
            }
            if rng.next_f64() < p {
                pairs.push((pre as u32, post as u32));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_stable_across_releases() {
        // Fixed values: changing them changes every suite's network and input.
        let mut g = SplitMix64::new(42, 0);
        let first: Vec<u64> = (0..3).map(|_| g.next_u64()).collect();
        let mut again = SplitMix64::new(42, 0);
        assert_eq!(first, (0..3).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_ne!(
            SplitMix64::new(42, 1).next_u64(),
            SplitMix64::new(42, 0).next_u64()
        );
    }

    #[test]
    fn poisson_rate_is_about_right_and_within_bounds() {
        let mut g = SplitMix64::new(7, 3);
        let train = poisson_train(&mut g, 20.0, 100.0, 100_100.0);
        let rate = train.len() as f64 / 100.0;
        assert!((rate - 20.0).abs() < 1.0, "rate {rate}");
        assert!(train.iter().all(|t| (100.0..100_100.0).contains(t)));
        assert!(train.windows(2).all(|w| w[0] < w[1]));
        assert!(poisson_train(&mut g, 0.0, 0.0, 10.0).is_empty());
    }

    #[test]
    fn fixed_probability_density_and_diagonal() {
        let mut g = SplitMix64::new(1, 9);
        let pairs = fixed_probability(&mut g, 100, 100, 0.1, true);
        assert!(
            (pairs.len() as f64 - 990.0).abs() < 120.0,
            "{}",
            pairs.len()
        );
        assert!(pairs.iter().all(|(a, b)| a != b));
    }
}
