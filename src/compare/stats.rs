//! Population statistics of network spike events: what a network model is judged by when
//! individual spikes are not expected to agree across simulators (chaotic dynamics, different
//! random streams), but the population's rates, irregularity and synchrony are.
//!
//! Events come as two parallel slices, neuron `ids` and spike `times` (ms), in any order; only
//! their common length is used. A population has `n` neurons with ids `0..n`: events with other
//! ids are ignored, and silent neurons count (a network where half the cells die must not look
//! like one firing at the same rate). Windows are half-open `[start, stop)` in ms; rates are in
//! spikes/s. Nothing here panics; an empty or inverted window gives NaN.

use super::features::isi_cv;

fn in_window(x: f64, start: f64, stop: f64) -> bool {
    x >= start && x < stop
}

/// Window length in seconds, or `None` when the window is empty, inverted or NaN.
fn duration_s(start: f64, stop: f64) -> Option<f64> {
    let d = stop - start;
    (d > 0.0).then_some(d / 1000.0)
}

/// The events in the window grouped by neuron, as a compressed table: neuron `k`'s spike times
/// are `times[offsets[k]..offsets[k + 1]]`, sorted. A counting sort: O(events + n).
fn by_neuron(
    ids: &[u32],
    times: &[f64],
    n: usize,
    start: f64,
    stop: f64,
) -> (Vec<usize>, Vec<f64>) {
    let events = || {
        ids.iter()
            .zip(times)
            .filter(move |&(&id, &t)| (id as usize) < n && in_window(t, start, stop))
    };
    let mut offsets = vec![0usize; n + 1];
    for (&id, _) in events() {
        offsets[id as usize + 1] += 1;
    }
    for k in 0..n {
        offsets[k + 1] += offsets[k];
    }
    let mut fill = offsets.clone();
    let mut grouped = vec![0.0; offsets[n]];
    for (&id, &t) in events() {
        let slot = &mut fill[id as usize];
        grouped[*slot] = t;
        *slot += 1;
    }
    for k in 0..n {
        grouped[offsets[k]..offsets[k + 1]].sort_unstable_by(f64::total_cmp);
    }
    (offsets, grouped)
}

/// Mean firing rate per neuron in spikes/s over `[start, stop)`, silent neurons included:
/// `events in window / n / duration`. NaN when `n = 0` or the window is empty.
pub fn population_rate(ids: &[u32], times: &[f64], n: usize, start: f64, stop: f64) -> f64 {
    let Some(d) = duration_s(start, stop).filter(|_| n > 0) else {
        return f64::NAN;
    };
    let count = ids
        .iter()
        .zip(times)
        .filter(|&(&id, &t)| (id as usize) < n && in_window(t, start, stop))
        .count();
    count as f64 / n as f64 / d
}

/// Mean firing rate per neuron in spikes/s counting spikes in `[start, stop]`, both ends
/// included, over `stop − start`: how NEST's microcircuit example counts (`helpers.firing_rates`),
/// so its published figures are reproduced to the spike. (A spike stamped with the last step's
/// end, `stop`, is in; the half-open windows elsewhere would drop it.)
pub fn population_rate_closed(ids: &[u32], times: &[f64], n: usize, start: f64, stop: f64) -> f64 {
    let Some(d) = duration_s(start, stop).filter(|_| n > 0) else {
        return f64::NAN;
    };
    let count = ids
        .iter()
        .zip(times)
        .filter(|&(&id, &t)| (id as usize) < n && t >= start && t <= stop)
        .count();
    count as f64 / n as f64 / d
}

/// Each neuron's firing rate in spikes/s over `[start, stop)`, indexed by id (`n` values).
/// All NaN when the window is empty.
pub fn per_neuron_rates(ids: &[u32], times: &[f64], n: usize, start: f64, stop: f64) -> Vec<f64> {
    let Some(d) = duration_s(start, stop) else {
        return vec![f64::NAN; n];
    };
    let mut counts = vec![0u64; n];
    for (&id, &t) in ids.iter().zip(times) {
        if let Some(c) = counts.get_mut(id as usize) {
            if in_window(t, start, stop) {
                *c += 1;
            }
        }
    }
    counts.into_iter().map(|c| c as f64 / d).collect()
}

/// The distribution of the ISI coefficient of variation across a population.
#[derive(Debug, Clone, PartialEq)]
pub struct CvIsi {
    /// Mean over the neurons that have a value; `None` when none has.
    pub mean: Option<f64>,
    /// One value per neuron with at least three spikes in the window, in id order.
    pub values: Vec<f64>,
}

/// CV of the inter-spike intervals ([`isi_cv`]: population std / mean) of every neuron with at
/// least three spikes in `[start, stop)`, and their mean: ~1 for Poisson-like asynchronous
/// irregular firing, ~0 for clock-like firing. Neurons with fewer spikes are left out rather than
/// counted as 0, which would read as perfectly regular.
pub fn cv_isi_distribution(ids: &[u32], times: &[f64], n: usize, start: f64, stop: f64) -> CvIsi {
    let (offsets, grouped) = by_neuron(ids, times, n, start, stop);
    let values: Vec<f64> = offsets
        .windows(2)
        .filter_map(|w| isi_cv(&grouped[w[0]..w[1]]))
        .collect();
    let mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    CvIsi { mean, values }
}

/// Population spike counts in consecutive bins of width `bin` ms from `start` (the last bin
/// ends at or before `stop`, a partial bin being dropped so all bins are comparable). Empty when
/// `bin` is not positive or no whole bin fits.
pub fn population_counts(times: &[f64], bin: f64, start: f64, stop: f64) -> Vec<u64> {
    let bins = n_bins(bin, start, stop);
    let mut counts = vec![0u64; bins];
    for &t in times {
        if let Some(k) = bin_index(t, bin, start, bins) {
            counts[k] += 1;
        }
    }
    counts
}

/// Number of whole bins of width `bin` in `[start, stop)`; 0 for nonsense input.
fn n_bins(bin: f64, start: f64, stop: f64) -> usize {
    let bins = ((stop - start) / bin + 1e-9).floor();
    if bin > 0.0 && (1.0..1e9).contains(&bins) {
        bins as usize
    } else {
        0
    }
}

fn bin_index(t: f64, bin: f64, start: f64, bins: usize) -> Option<usize> {
    let k = ((t - start) / bin).floor();
    // `k >= 0.0` is false for NaN.
    (k >= 0.0 && k < bins as f64).then_some(k as usize)
}

/// Fano factor of counts, `variance / mean` (population variance): 1 for a Poisson process,
/// above 1 when the population fires in synchronous bursts. `None` when empty or the mean is 0.
pub fn fano_factor(counts: &[u64]) -> Option<f64> {
    if counts.is_empty() {
        return None;
    }
    let n = counts.len() as f64;
    let mean = counts.iter().map(|&c| c as f64).sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let var = counts
        .iter()
        .map(|&c| (c as f64 - mean) * (c as f64 - mean))
        .sum::<f64>()
        / n;
    Some(var / mean)
}

/// Mean Pearson correlation of binned spike counts (bins of `bin` ms over `[start, stop)`, as
/// [`population_counts`]) over all pairs of the neurons in `sample`, a measure of synchrony.
///
/// Neurons whose counts do not vary (silent ones in particular) have no defined correlation
/// and are skipped, as are duplicate ids in `sample`. NaN with fewer than two usable neurons.
/// O(events + |sample|² · bins) time, |sample| · bins memory: sample a few hundred neurons.
pub fn pairwise_correlation(
    ids: &[u32],
    times: &[f64],
    sample: &[u32],
    bin: f64,
    start: f64,
    stop: f64,
) -> f64 {
    let pairs = pairwise_correlations(ids, times, sample, bin, start, stop);
    if pairs.is_empty() {
        return f64::NAN;
    }
    pairs.iter().sum::<f64>() / pairs.len() as f64
}

/// The population rate's dominant oscillation: the frequency (Hz) where the periodogram of
/// the population spike counts (bins of `bin` ms over `[start, stop)`, mean removed) peaks,
/// at or above `min_hz` (to skip slow drifts), and the peak's share of the total power in
/// that band (near 0 for broadband asynchronous activity, large for a clean oscillation).
///
/// A direct DFT on the frequencies `k / T` (T the window), O(bins · frequencies): 1 ms bins
/// over a few seconds stay well under a millisecond, and no FFT dependency is needed. `None`
/// when there are fewer than 4 bins, no frequency in the band, or no variation at all.
pub fn power_spectrum_peak(counts: &[u64], bin: f64, min_hz: f64) -> Option<SpectrumPeak> {
    let n = counts.len();
    if n < 4 || bin.is_nan() || bin <= 0.0 {
        return None;
    }
    let mean = counts.iter().sum::<u64>() as f64 / n as f64;
    let x: Vec<f64> = counts.iter().map(|&c| c as f64 - mean).collect();
    let window_s = n as f64 * bin / 1000.0;
    let (mut best, mut total) = (None::<(f64, f64)>, 0.0);
    // Frequencies k / T up to Nyquist, k >= 1.
    for k in 1..=n / 2 {
        let freq = k as f64 / window_s;
        if freq < min_hz {
            continue;
        }
        let w = std::f64::consts::TAU * k as f64 / n as f64;
        // The twiddle by recurrence (one rotation per sample) instead of sin/cos per sample.
        let (step_c, step_s) = (w.cos(), w.sin());
        let (mut c, mut s, mut re, mut im) = (1.0_f64, 0.0_f64, 0.0, 0.0);
        for &v in &x {
            re += v * c;
            im -= v * s;
            (c, s) = (c * step_c - s * step_s, s * step_c + c * step_s);
        }
        let power = re * re + im * im;
        total += power;
        if best.is_none_or(|(_, p)| power > p) {
            best = Some((freq, power));
        }
    }
    let (frequency, power) = best?;
    (total > 0.0).then(|| SpectrumPeak {
        frequency,
        share: power / total,
    })
}

/// See [`power_spectrum_peak`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectrumPeak {
    /// Hz.
    pub frequency: f64,
    /// The peak's power over the band's total power, in (0, 1].
    pub share: f64,
}

/// The two-sample Kolmogorov–Smirnov distance: the largest gap between the empirical
/// distribution functions of `a` and `b` (0 when identical, 1 when disjoint). NaN values are
/// left out; NaN when either sample is then empty. O((|a| + |b|) log) for the sorting.
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    let sorted = |v: &[f64]| {
        let mut v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    let (a, b) = (sorted(a), sorted(b));
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0_f64);
    while i < a.len() && j < b.len() {
        // Step past every copy of the smaller value in both samples, so ties move together.
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d
}

/// Standardised mean difference (Cohen's d with the pooled standard deviation) of `a` against
/// `b`: how far apart the means are in units of the spread, signed (`a` above `b` is
/// positive). NaN values are left out; NaN with fewer than two values on a side, and 0 for two
/// constant samples with equal means (infinite when the means differ).
pub fn effect_size(a: &[f64], b: &[f64]) -> f64 {
    let moments = |v: &[f64]| {
        let v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let ss = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>();
        (n, mean, ss)
    };
    let ((na, ma, ssa), (nb, mb, ssb)) = (moments(a), moments(b));
    if na < 2.0 || nb < 2.0 {
        return f64::NAN;
    }
    let pooled = ((ssa + ssb) / (na + nb - 2.0)).sqrt();
    let diff = ma - mb;
    if pooled > 0.0 {
        diff / pooled
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    }
}

/// Golomb's synchrony measure χ on spike counts in bins of `bin` ms over `[start, stop)`:
/// `χ² = Var_t(mean_i c_i(t)) / mean_i Var_t(c_i(t))` over the `n` neurons (silent ones
/// included). `None` without whole bins or when no neuron's count varies.
pub fn chi_synchrony(
    ids: &[u32],
    times: &[f64],
    n: usize,
    bin: f64,
    start: f64,
    stop: f64,
) -> Option<f64> {
    let bins = n_bins(bin, start, stop);
    if bins < 2 || n == 0 {
        return None;
    }
    // Sparse per neuron: (sum, sum of squares) of its counts over the bins it fired in.
    let mut per_neuron: std::collections::HashMap<(u32, usize), u32> =
        std::collections::HashMap::new();
    let mut population = vec![0.0_f64; bins];
    for (&id, &t) in ids.iter().zip(times) {
        if (id as usize) >= n {
            continue;
        }
        if let Some(k) = bin_index(t, bin, start, bins) {
            *per_neuron.entry((id, k)).or_default() += 1;
            population[k] += 1.0 / n as f64;
        }
    }
    let variance = |sum: f64, squares: f64| squares / bins as f64 - (sum / bins as f64).powi(2);
    let mut sums = vec![(0.0_f64, 0.0_f64); n];
    for (&(id, _), &count) in &per_neuron {
        let c = f64::from(count);
        sums[id as usize].0 += c;
        sums[id as usize].1 += c * c;
    }
    let single = sums.iter().map(|&(s, q)| variance(s, q)).sum::<f64>() / n as f64;
    let (s, q) = population
        .iter()
        .fold((0.0, 0.0), |(s, q), &x| (s + x, q + x * x));
    let pooled = variance(s, q);
    (single > 0.0).then(|| (pooled.max(0.0) / single).sqrt())
}

/// Pearson correlation of binned spike counts for every pair of the neurons in `sample` (the
/// distribution whose mean is [`pairwise_correlation`]), pairs in sample order. Rules as there.
pub fn pairwise_correlations(
    ids: &[u32],
    times: &[f64],
    sample: &[u32],
    bin: f64,
    start: f64,
    stop: f64,
) -> Vec<f64> {
    let bins = n_bins(bin, start, stop);
    let mut neurons: Vec<u32> = sample.to_vec();
    neurons.sort_unstable();
    neurons.dedup();
    if bins == 0 || neurons.len() < 2 {
        return Vec::new();
    }
    let mut counts = vec![0.0_f64; neurons.len() * bins];
    for (&id, &t) in ids.iter().zip(times) {
        if let (Ok(slot), Some(k)) = (neurons.binary_search(&id), bin_index(t, bin, start, bins)) {
            counts[slot * bins + k] += 1.0;
        }
    }
    // Centre and normalise each row, keeping only rows that vary.
    for row in counts.chunks_mut(bins) {
        let mean = row.iter().sum::<f64>() / bins as f64;
        row.iter_mut().for_each(|x| *x -= mean);
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|x| *x /= norm);
        }
    }
    let rows: Vec<&[f64]> = counts
        .chunks(bins)
        .filter(|row| row.iter().any(|&x| x != 0.0))
        .collect();
    let mut out = Vec::with_capacity(rows.len() * rows.len().saturating_sub(1) / 2);
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            out.push(a.iter().zip(b.iter()).map(|(x, y)| x * y).sum::<f64>());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn rates_count_silent_neurons() {
        // Neuron 0: 4 spikes, neuron 1: 2, neuron 2: silent, id 7 out of range, one NaN time.
        let ids = [0, 1, 0, 0, 1, 0, 7, 0];
        let times = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, f64::NAN];
        assert!(close(population_rate(&ids, &times, 3, 0.0, 1000.0), 2.0));
        assert_eq!(
            per_neuron_rates(&ids, &times, 3, 0.0, 1000.0),
            vec![4.0, 2.0, 0.0]
        );
        // Window [0, 40) keeps 10, 20, 30: 3 spikes / 3 neurons / 0.04 s.
        assert!(close(population_rate(&ids, &times, 3, 0.0, 40.0), 25.0));
        assert!(population_rate(&ids, &times, 0, 0.0, 1000.0).is_nan());
        assert!(population_rate(&ids, &times, 3, 5.0, 5.0).is_nan());
        assert!(per_neuron_rates(&ids, &times, 2, 5.0, 1.0)
            .iter()
            .all(|r| r.is_nan()));
        assert_eq!(population_rate(&[], &[], 3, 0.0, 1.0), 0.0);
        // Mismatched lengths use the common length.
        assert_eq!(per_neuron_rates(&[0, 0], &[1.0], 1, 0.0, 1000.0), vec![1.0]);
    }

    #[test]
    fn closed_window_rates_count_both_ends() {
        // Spikes at the window's ends count, as NEST's microcircuit example counts them.
        let ids = [0, 1, 0, 1];
        let times = [500.0, 1000.0, 1500.0, 1500.1];
        assert!(close(
            population_rate_closed(&ids, &times, 2, 500.0, 1500.0),
            1.5
        ));
        // The half-open window drops the spike at 1500.
        assert!(close(population_rate(&ids, &times, 2, 500.0, 1500.0), 1.0));
        assert!(population_rate_closed(&ids, &times, 0, 0.0, 1.0).is_nan());
    }

    #[test]
    fn chi_is_one_for_identical_cells_and_small_for_independent_ones() {
        // Ten cells firing together in every fifth bin (2 ms bins over 1 s).
        let mut ids = Vec::new();
        let mut times = Vec::new();
        for k in (0..500).step_by(5) {
            for cell in 0..10 {
                ids.push(cell);
                times.push(k as f64 * 2.0 + 0.5);
            }
        }
        let chi = chi_synchrony(&ids, &times, 10, 2.0, 0.0, 1000.0).unwrap();
        assert!(close(chi, 1.0), "{chi}");
        // The same spikes, each cell shifted by its own bin: no two cells share a bin.
        let shifted: Vec<f64> = ids
            .iter()
            .zip(&times)
            .map(|(&c, &t)| t + 2.0 * f64::from(c % 5))
            .collect();
        let ids_half: Vec<u32> = ids.iter().map(|c| c % 5).collect();
        let chi = chi_synchrony(&ids_half, &shifted, 5, 2.0, 0.0, 1000.0).unwrap();
        assert!(chi < 0.2, "{chi}");
        // Silent or windowless: no value.
        assert!(chi_synchrony(&[], &[], 10, 2.0, 0.0, 1000.0).is_none());
        assert!(chi_synchrony(&ids, &times, 10, 2.0, 0.0, 1.0).is_none());
    }

    #[test]
    fn cv_per_neuron() {
        // Neuron 0 regular (CV 0), neuron 1 ISIs 10, 20 (CV 1/3), neuron 2 two spikes (left out).
        let ids = [1, 0, 0, 1, 0, 2, 1, 2, 0];
        let times = [0.0, 0.0, 10.0, 10.0, 20.0, 5.0, 30.0, 6.0, 30.0];
        let cv = cv_isi_distribution(&ids, &times, 3, 0.0, 100.0);
        assert_eq!(cv.values.len(), 2);
        assert_eq!(cv.values[0], 0.0);
        assert!(close(cv.values[1], 1.0 / 3.0));
        assert!(close(cv.mean.unwrap_or(f64::NAN), 1.0 / 6.0));
        let none = cv_isi_distribution(&ids, &times, 3, 0.0, 1.0);
        assert_eq!(
            none,
            CvIsi {
                mean: None,
                values: vec![]
            }
        );
    }

    #[test]
    fn fano_of_binned_counts() {
        let counts = population_counts(&[0.5, 1.5, 1.7, 3.2, f64::NAN, -1.0, 4.0], 1.0, 0.0, 4.0);
        assert_eq!(counts, vec![1, 2, 0, 1]);
        // mean 1, variance (0 + 1 + 1 + 0)/4 = 0.5.
        assert_eq!(fano_factor(&counts), Some(0.5));
        assert_eq!(fano_factor(&[3, 3, 3]), Some(0.0));
        assert_eq!(fano_factor(&[0, 0]), None);
        assert_eq!(fano_factor(&[]), None);
        assert!(population_counts(&[1.0], 0.0, 0.0, 4.0).is_empty());
        assert!(population_counts(&[1.0], 5.0, 0.0, 4.0).is_empty());
        assert_eq!(population_counts(&[9.9], 2.5, 0.0, 9.0).len(), 3); // partial bin dropped
    }

    #[test]
    fn correlation_of_pairs() {
        // Neurons 0 and 1 fire in the same bins, 2 in the others, 3 is silent.
        let ids = [0, 1, 0, 1, 2, 2];
        let times = [0.5, 0.6, 2.5, 2.4, 1.5, 3.5];
        assert!(close(
            pairwise_correlation(&ids, &times, &[0, 1], 1.0, 0.0, 4.0),
            1.0
        ));
        assert!(close(
            pairwise_correlation(&ids, &times, &[0, 2], 1.0, 0.0, 4.0),
            -1.0
        ));
        // Pairs (0,1) = 1, (0,2) = -1, (1,2) = -1; silent 3 and the duplicate 0 skipped.
        let r = pairwise_correlation(&ids, &times, &[3, 0, 1, 2, 0], 1.0, 0.0, 4.0);
        assert!(close(r, -1.0 / 3.0));
        assert!(pairwise_correlation(&ids, &times, &[0, 3], 1.0, 0.0, 4.0).is_nan());
        assert!(pairwise_correlation(&ids, &times, &[0], 1.0, 0.0, 4.0).is_nan());
        assert!(pairwise_correlation(&ids, &times, &[0, 1], 0.0, 0.0, 4.0).is_nan());
        assert!(pairwise_correlation(&[], &[], &[0, 1], 1.0, 0.0, 4.0).is_nan());
    }

    #[test]
    fn ks_distance_of_known_samples() {
        assert_eq!(ks_distance(&[1.0, 2.0, 3.0], &[3.0, 1.0, 2.0]), 0.0);
        assert_eq!(ks_distance(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
        // ECDFs at 1, 2, 3: a = 1/2, 1, 1; b = 0, 1/2, 1 (ties move together).
        assert!(close(ks_distance(&[1.0, 2.0], &[2.0, 3.0]), 0.5));
        assert!(close(ks_distance(&[1.0, f64::NAN, 2.0], &[2.0, 3.0]), 0.5));
        assert!(ks_distance(&[], &[1.0]).is_nan());
        assert!(ks_distance(&[f64::NAN], &[1.0]).is_nan());
    }

    #[test]
    fn effect_size_in_pooled_standard_deviations() {
        // Means 2 and 4, both variance 1 (sample): d = -2.
        assert!(close(effect_size(&[1.0, 2.0, 3.0], &[3.0, 4.0, 5.0]), -2.0));
        assert_eq!(effect_size(&[1.0, 1.0], &[1.0, 1.0]), 0.0);
        assert_eq!(effect_size(&[2.0, 2.0], &[1.0, 1.0]), f64::INFINITY);
        assert!(effect_size(&[1.0], &[1.0, 2.0]).is_nan());
    }

    #[test]
    fn spectrum_peak_finds_an_oscillation() {
        // 40 Hz: a 5 ms burst every 25 ms in 1 ms bins over 2 s, on a flat floor (its
        // harmonics are weaker than the fundamental).
        let counts: Vec<u64> = (0..2000).map(|k| if k % 25 < 5 { 30 } else { 5 }).collect();
        let peak = power_spectrum_peak(&counts, 1.0, 5.0).expect("a peak");
        assert!(close(peak.frequency, 40.0), "{peak:?}");
        assert!(peak.share > 0.1 && peak.share <= 1.0, "{peak:?}");
        // A pure sinusoid at 180 Hz puts (almost) all the power in one frequency.
        let sine: Vec<u64> = (0..1000)
            .map(|k| {
                (100.0 + 50.0 * (std::f64::consts::TAU * 180.0 * k as f64 / 1000.0).sin()).round()
                    as u64
            })
            .collect();
        let peak = power_spectrum_peak(&sine, 1.0, 5.0).expect("a peak");
        assert!(close(peak.frequency, 180.0) && peak.share > 0.9, "{peak:?}");
        assert_eq!(power_spectrum_peak(&[3, 3, 3, 3, 3], 1.0, 0.0), None);
        assert_eq!(power_spectrum_peak(&[1, 2], 1.0, 0.0), None);
        assert_eq!(power_spectrum_peak(&counts, 1.0, 1e6), None);
        assert_eq!(power_spectrum_peak(&counts, f64::NAN, 0.0), None);
    }

    #[test]
    fn correlation_distribution_has_the_pairs() {
        let ids = [0, 1, 0, 1, 2, 2];
        let times = [0.5, 0.6, 2.5, 2.4, 1.5, 3.5];
        let r = pairwise_correlations(&ids, &times, &[2, 1, 0, 3], 1.0, 0.0, 4.0);
        assert_eq!(r.len(), 3);
        let mut sorted = r.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        assert!(close(sorted[0], -1.0) && close(sorted[1], -1.0) && close(sorted[2], 1.0));
    }

    proptest::proptest! {
        #[test]
        fn ks_is_a_bounded_symmetric_distance(
            a in proptest::collection::vec(-100.0f64..100.0, 1..60),
            b in proptest::collection::vec(-100.0f64..100.0, 1..60),
        ) {
            let d = ks_distance(&a, &b);
            proptest::prop_assert!((0.0..=1.0).contains(&d));
            proptest::prop_assert_eq!(d, ks_distance(&b, &a));
            proptest::prop_assert_eq!(ks_distance(&a, &a), 0.0);
            // Shifting one sample past the other makes them disjoint.
            let shifted: Vec<f64> = a.iter().map(|x| x + 1000.0).collect();
            proptest::prop_assert_eq!(ks_distance(&a, &shifted), 1.0);
        }
    }
}
