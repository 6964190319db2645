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

    /// The next 64 random bits.
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

impl SplitMix64 {
    /// Uniform in `0..n` (`n > 0`), by Lemire's multiply-shift: no modulo bias worth the name
    /// (below 2⁻³² for the sizes here) and no division.
    pub fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.next_u32()) * u64::from(n)) >> 32) as u32
    }

    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
}

/// Source cells for each target: `in_degree` per target cell, drawn uniformly from
/// `0..pre_size` (without `post` itself when `exclude_diagonal`), with repeats when
/// `multapses`. Pairs `(pre, post)` ordered by target. Empty when no source is eligible, or
/// when `in_degree` exceeds the eligible sources without multapses (the loader refuses both).
pub fn fixed_indegree(
    rng: &mut SplitMix64,
    pre_size: usize,
    post_size: usize,
    in_degree: usize,
    exclude_diagonal: bool,
    multapses: bool,
) -> Vec<(u32, u32)> {
    let mut pairs = Vec::with_capacity(post_size.saturating_mul(in_degree).min(1 << 28));
    let mut taken = vec![false; if multapses { 0 } else { pre_size }];
    for post in 0..post_size {
        let eligible = pre_size - usize::from(exclude_diagonal && post < pre_size);
        if eligible == 0 || (!multapses && in_degree > eligible) {
            return Vec::new();
        }
        let first = pairs.len();
        while pairs.len() - first < in_degree {
            let pre = rng.below(pre_size as u32);
            if exclude_diagonal && pre as usize == post {
                continue;
            }
            if !multapses {
                // Rejection: fine while in_degree is a small fraction of the sources (10 % in
                // Brunel's network); at most 2x slower when it is half of them.
                if taken[pre as usize] {
                    continue;
                }
                taken[pre as usize] = true;
            }
            pairs.push((pre, post as u32));
        }
        if !multapses {
            for &(pre, _) in &pairs[first..] {
                taken[pre as usize] = false;
            }
        }
    }
    pairs
}

/// `total` pairs `(pre, post)`, each drawn uniformly (repeats allowed; `pre == post` redrawn
/// when `exclude_diagonal`), in the order drawn. Empty when no pair is eligible.
pub fn fixed_total_number(
    rng: &mut SplitMix64,
    pre_size: usize,
    post_size: usize,
    total: usize,
    exclude_diagonal: bool,
) -> Vec<(u32, u32)> {
    if pre_size == 0 || post_size == 0 || (exclude_diagonal && pre_size == 1 && post_size == 1) {
        return Vec::new();
    }
    let mut pairs = Vec::with_capacity(total.min(1 << 28));
    while pairs.len() < total {
        let pre = rng.below(pre_size as u32);
        let post = rng.below(post_size as u32);
        if exclude_diagonal && pre == post {
            continue;
        }
        pairs.push((pre, post));
    }
    pairs
}

/// A normal deviate (Box–Muller; one of the pair is used, so the stream stays simple).
pub fn normal(rng: &mut SplitMix64, mean: f64, sd: f64) -> f64 {
    let u1 = 1.0 - rng.next_f64(); // (0, 1]: the logarithm is finite
    let u2 = rng.next_f64();
    mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A normal deviate redrawn until it lies in `[low, high]` (NEST's `nest.math.redraw`); the
/// mean itself without spread. Gives up after 1000 draws with the nearest bound, so a nonsense
/// interval cannot hang (the loader's intervals always hold most of the mass).
pub fn normal_within(rng: &mut SplitMix64, mean: f64, sd: Option<f64>, low: f64, high: f64) -> f64 {
    let Some(sd) = sd.filter(|s| *s > 0.0) else {
        return mean;
    };
    for _ in 0..1000 {
        let x = normal(rng, mean, sd);
        if (low..=high).contains(&x) {
            return x;
        }
    }
    mean.clamp(low, high)
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
    fn fixed_indegree_gives_every_target_its_inputs() {
        let mut g = SplitMix64::new(5, 1);
        let pairs = fixed_indegree(&mut g, 50, 30, 10, true, false);
        assert_eq!(pairs.len(), 300);
        for post in 0..30u32 {
            let mut pre: Vec<u32> = pairs.iter().filter(|p| p.1 == post).map(|p| p.0).collect();
            assert_eq!(pre.len(), 10);
            assert!(pre.iter().all(|&a| a != post && a < 50));
            pre.sort_unstable();
            pre.dedup();
            assert_eq!(pre.len(), 10, "no multapses");
        }
        // All sources but one (itself) without repeats: each target gets every other cell.
        let all = fixed_indegree(&mut g, 5, 5, 4, true, false);
        assert_eq!(all.len(), 20);
        assert!(fixed_indegree(&mut g, 5, 5, 5, true, false).is_empty());
        // With multapses, repeats happen and the count is still exact.
        let multi = fixed_indegree(&mut g, 3, 4, 20, false, true);
        assert_eq!(multi.len(), 80);
        assert!(fixed_indegree(&mut g, 1, 1, 1, true, true).is_empty());
    }

    #[test]
    fn fixed_total_number_is_exact_and_uniform() {
        let mut g = SplitMix64::new(9, 2);
        let pairs = fixed_total_number(&mut g, 40, 60, 24_000, true);
        assert_eq!(pairs.len(), 24_000);
        assert!(pairs.iter().all(|&(a, b)| a != b && a < 40 && b < 60));
        let mut per_post = [0u32; 60];
        pairs.iter().for_each(|p| per_post[p.1 as usize] += 1);
        // 400 expected per target; a binomial spread of about 20.
        assert!(
            per_post.iter().all(|&c| (300..500).contains(&c)),
            "{per_post:?}"
        );
        assert!(fixed_total_number(&mut g, 1, 1, 5, true).is_empty());
        assert_eq!(fixed_total_number(&mut g, 1, 1, 5, false).len(), 5);
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

    #[test]
    fn normal_draws_have_their_moments_and_stay_within_bounds() {
        let mut rng = SplitMix64::new(7, 1);
        let xs: Vec<f64> = (0..20_000).map(|_| normal(&mut rng, 2.0, 0.5)).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            (mean - 2.0).abs() < 0.02 && (var.sqrt() - 0.5).abs() < 0.02,
            "{mean} {var}"
        );
        let kept: Vec<f64> = (0..5000)
            .map(|_| normal_within(&mut rng, -1.0, Some(2.0), f64::NEG_INFINITY, 0.0))
            .collect();
        assert!(kept.iter().all(|x| *x <= 0.0));
        assert_eq!(normal_within(&mut rng, 3.0, None, 0.0, 1.0), 3.0);
    }
}
