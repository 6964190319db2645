//! Single-cell electrophysiology features: the numbers a modeller reads off a current-clamp
//! sweep, so that simulators can be compared on what matters rather than sample by sample.
//!
//! Spike times and windows are in ms; rates are in spikes/s (Hz), the unit papers report.
//! Windows are half-open, `[start, stop)`, so that adjacent windows count each spike once.
//! Spike trains may be unsorted or contain NaN (dropped); nothing here panics.

use super::spikes::as_sorted;

/// Whether `x` lies in the half-open window `[start, stop)` (false for NaN).
fn in_window(x: f64, start: f64, stop: f64) -> bool {
    x >= start && x < stop
}

/// Number of spikes in `[start, stop)`.
pub fn spike_count(spikes: &[f64], start: f64, stop: f64) -> usize {
    spikes
        .iter()
        .filter(|&&s| in_window(s, start, stop))
        .count()
}

/// Time from `stimulus_start` to the first spike at or after it (ms); `None` without one.
pub fn first_spike_latency(spikes: &[f64], stimulus_start: f64) -> Option<f64> {
    spikes
        .iter()
        .copied()
        .filter(|&s| s >= stimulus_start)
        .min_by(f64::total_cmp)
        .map(|s| s - stimulus_start)
}

/// Mean firing rate in `[start, stop)` in **spikes/s** (times in ms, hence the factor 1000).
/// NaN when the window is empty or inverted: a rate over no time is undefined, and NaN fails
/// any tolerance check instead of passing as 0.
pub fn mean_rate(spikes: &[f64], start: f64, stop: f64) -> f64 {
    let duration = stop - start;
    if duration.is_nan() || duration <= 0.0 {
        return f64::NAN;
    }
    spike_count(spikes, start, stop) as f64 * 1000.0 / duration
}

/// Mean of the trace over `[start, stop]` (closed: a window from a sample to a sample uses
/// both). `None` without samples in the window; a NaN sample in it makes the mean NaN, so a
/// broken trace cannot pass for a resting one.
pub fn resting_potential(t: &[f64], v: &[f64], start: f64, stop: f64) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for (&ti, &vi) in t.iter().zip(v) {
        if ti >= start && ti <= stop {
            sum += vi;
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

/// Inter-spike intervals of the sorted, NaN-free train.
fn isis(spikes: &[f64]) -> Vec<f64> {
    as_sorted(spikes).windows(2).map(|w| w[1] - w[0]).collect()
}

/// Coefficient of variation of the inter-spike intervals, `std/mean`, with the **population**
/// standard deviation (numpy's default `np.std(isi) / np.mean(isi)`, the form most analysis
/// scripts use, so values compare with theirs; a Poisson train gives about 1). `None` with fewer
/// than two intervals (three spikes) or a zero mean interval.
pub fn isi_cv(spikes: &[f64]) -> Option<f64> {
    let isi = isis(spikes);
    if isi.len() < 2 {
        return None;
    }
    let n = isi.len() as f64;
    let mean = isi.iter().sum::<f64>() / n;
    if mean.is_nan() || mean <= 0.0 {
        return None;
    }
    let var = isi.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    Some(var.sqrt() / mean)
}

/// Adaptation index: the mean over consecutive interval pairs of
/// `(ISI_{k+1} − ISI_k) / (ISI_{k+1} + ISI_k)`, the definition of the Allen Institute's IPFX
/// (`adp_index`); eFEL's `adaptation_index2` uses the same ratio (it may leave out the
/// first interval, so compare like with like). Positive when firing slows down, negative when
/// it accelerates, 0 for regular firing, bounded by ±1 and independent of the time unit.
/// Pairs with a zero sum (coincident spikes) are skipped, as numpy's `nanmean` does; `None`
/// with fewer than two intervals (three spikes) or no usable pair.
pub fn adaptation_index(spikes: &[f64]) -> Option<f64> {
    let isi = isis(spikes);
    let (mut sum, mut n) = (0.0, 0usize);
    for w in isi.windows(2) {
        let total = w[1] + w[0];
        if total > 0.0 {
            sum += (w[1] - w[0]) / total;
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn counts_and_rates() {
        let s = [150.0, 100.0, 200.0, f64::NAN, 300.0];
        assert_eq!(spike_count(&s, 100.0, 300.0), 3); // 300 is outside [100, 300)
        assert_eq!(spike_count(&[], 0.0, 1.0), 0);
        assert_eq!(spike_count(&s, 5.0, 5.0), 0);
        assert_eq!(mean_rate(&s, 100.0, 300.0), 15.0); // 3 spikes in 0.2 s
        assert!(mean_rate(&s, 1.0, 1.0).is_nan());
        assert!(mean_rate(&s, 2.0, 1.0).is_nan());
        assert_eq!(mean_rate(&[], 0.0, 1000.0), 0.0);
    }

    #[test]
    fn latency() {
        let s = [150.0, 90.0, 120.5, f64::NAN];
        assert_eq!(first_spike_latency(&s, 100.0), Some(20.5));
        assert_eq!(first_spike_latency(&s, 150.0), Some(0.0));
        assert_eq!(first_spike_latency(&s, 151.0), None);
        assert_eq!(first_spike_latency(&[], 0.0), None);
    }

    #[test]
    fn resting() {
        let t = [0.0, 1.0, 2.0, 3.0];
        let v = [-70.0, -66.0, -64.0, 0.0];
        assert_eq!(resting_potential(&t, &v, 1.0, 2.0), Some(-65.0));
        assert_eq!(resting_potential(&t, &v, 10.0, 20.0), None);
        assert_eq!(resting_potential(&[], &[], 0.0, 1.0), None);
        let r = resting_potential(&t, &[f64::NAN, 0.0, 0.0, 0.0], 0.0, 3.0);
        assert!(r.is_some_and(f64::is_nan));
    }

    #[test]
    fn isi_variability() {
        assert_eq!(isi_cv(&[0.0, 10.0, 20.0, 30.0]), Some(0.0));
        // ISIs 10, 20: mean 15, population std 5 → CV 1/3.
        let cv = isi_cv(&[30.0, 0.0, 10.0]).unwrap_or(f64::NAN); // unsorted on purpose
        assert!(close(cv, 1.0 / 3.0));
        assert_eq!(isi_cv(&[0.0, 10.0]), None);
        assert_eq!(isi_cv(&[]), None);
        assert_eq!(isi_cv(&[5.0, 5.0, 5.0]), None); // zero mean interval
        assert_eq!(isi_cv(&[0.0, f64::NAN, 10.0]), None);
    }

    #[test]
    fn adaptation() {
        assert_eq!(adaptation_index(&[0.0, 10.0, 20.0, 30.0]), Some(0.0));
        // ISIs 10, 20, 40: each pair gives (20-10)/30 = (40-20)/60 = 1/3.
        let a = adaptation_index(&[0.0, 10.0, 30.0, 70.0]).unwrap_or(f64::NAN);
        assert!(close(a, 1.0 / 3.0));
        let a = adaptation_index(&[70.0, 30.0, 10.0, 0.0]).unwrap_or(f64::NAN);
        assert!(close(a, 1.0 / 3.0));
        // Accelerating: ISIs 20, 10 → -1/3.
        let a = adaptation_index(&[0.0, 20.0, 30.0]).unwrap_or(f64::NAN);
        assert!(close(a, -1.0 / 3.0));
        assert_eq!(adaptation_index(&[0.0, 10.0]), None);
        assert_eq!(adaptation_index(&[1.0, 1.0, 1.0]), None);
    }
}
