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
    let bins = n_bins(bin, start, stop);
    let mut neurons: Vec<u32> = sample.to_vec();
    neurons.sort_unstable();
    neurons.dedup();
    if bins == 0 || neurons.len() < 2 {
        return f64::NAN;
    }
    let mut counts = vec![0.0_f64; neurons.len() * bins];
    for (&id, &t) in ids.iter().zip(times) {
        if let (Ok(slot), Some(k)) = (neurons.binary_search(&id), bin_index(t, bin, start, bins)) {
            counts[slot * bins + k] += 1.0;
        }
    }
    // Centre and normalise each row, keeping only rows that vary.
    let mut rows: Vec<&[f64]> = Vec::new();
    for row in counts.chunks_mut(bins) {
        let mean = row.iter().sum::<f64>() / bins as f64;
        row.iter_mut().for_each(|x| *x -= mean);
        let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|x| *x /= norm);
        }
    }
    for row in counts.chunks(bins) {
        if row.iter().any(|&x| x != 0.0) {
            rows.push(row);
        }
    }
    if rows.len() < 2 {
        return f64::NAN;
    }
    let (mut sum, mut pairs) = (0.0, 0usize);
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            sum += a.iter().zip(b.iter()).map(|(x, y)| x * y).sum::<f64>();
            pairs += 1;
        }
    }
    sum / pairs as f64
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
}
