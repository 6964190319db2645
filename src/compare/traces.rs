//! Voltage traces `(t, v)`: resampling onto a common grid, error norms, and spike detection
//! with interpolated crossing times.
//!
//! Simulators record on different time grids (NEURON's `dt`, NEST's resolution, CVODE's
//! variable steps), so traces are compared on a common uniform grid over the time range both
//! cover, each interpolated linearly. Times in ms, values in the trace's unit (mV in messages).
//! Time axes must be sorted ascending; only the common length of `t` and `v` is used. Nothing
//! here panics: NaN propagates into the results so that a broken trace never looks fine.

use super::fmt_short;

/// A grid of more points than this is refused (an empty grid), rather than exhausting memory
/// over a nonsensical `dt`.
const MAX_GRID_POINTS: f64 = 1e9;

/// How many evenly spaced steps the median step is estimated from (exact below this).
const STEP_SAMPLE: usize = 10_001;

/// Evaluates a linearly interpolated trace at times that mostly increase, in amortised O(1)
/// per point (it falls back to binary search when the time goes backwards).
struct Interp<'a> {
    t: &'a [f64],
    v: &'a [f64],
    /// Index of the last sample at or before the previous query.
    k: usize,
}

impl<'a> Interp<'a> {
    fn new(t: &'a [f64], v: &'a [f64]) -> Self {
        let n = t.len().min(v.len());
        Interp {
            t: &t[..n],
            v: &v[..n],
            k: 0,
        }
    }

    fn at(&mut self, g: f64) -> f64 {
        let (t, v) = (self.t, self.v);
        let n = t.len();
        // Outside the data (or NaN): no extrapolation.
        let (Some(&first), Some(&last)) = (t.first(), t.last()) else {
            return f64::NAN;
        };
        if !(g >= first && g <= last) {
            return f64::NAN;
        }
        if g < t[self.k] {
            self.k = t.partition_point(|&x| x <= g).saturating_sub(1);
        }
        while self.k + 1 < n && t[self.k + 1] <= g {
            self.k += 1;
        }
        let k = self.k;
        if k + 1 >= n || t[k] == g {
            return v[k];
        }
        let (t0, t1) = (t[k], t[k + 1]);
        let frac = (g - t0) / (t1 - t0);
        v[k] + frac * (v[k + 1] - v[k])
    }
}

/// `v(t)` linearly interpolated at each grid time. Outside `[t_first, t_last]` the value is
/// **NaN, not clamped**: extrapolating a trace would invent data, and NaN makes any later error
/// norm NaN, so a caller that compares beyond the recorded range notices. `t` must be sorted;
/// at a repeated time (a step in the trace) the later sample wins. The grid may be in any
/// order, but ascending is O(n + m).
pub fn resample_linear(t: &[f64], v: &[f64], grid: &[f64]) -> Vec<f64> {
    let mut interp = Interp::new(t, v);
    grid.iter().map(|&g| interp.at(g)).collect()
}

/// The median step of a sorted time axis, from at most [`STEP_SAMPLE`] evenly spaced steps
/// (so it is exact for short traces and O(1)-ish for 10⁷ samples). `None` without a step.
fn median_step(t: &[f64]) -> Option<f64> {
    let steps = t.len().checked_sub(1).filter(|&s| s > 0)?;
    let take = steps.min(STEP_SAMPLE);
    let mut d: Vec<f64> = (0..take)
        .map(|k| {
            let i = k * steps / take;
            t[i + 1] - t[i]
        })
        .filter(|x| !x.is_nan())
        .collect();
    if d.is_empty() {
        return None;
    }
    let mid = d.len() / 2;
    let (_, m, _) = d.select_nth_unstable_by(mid, f64::total_cmp);
    Some(*m)
}

/// The uniform grid parameters `(start, dt, points)` of [`common_grid`], without allocating.
fn grid_spec(t_a: &[f64], t_b: &[f64], dt: Option<f64>) -> Option<(f64, f64, usize)> {
    let start = t_a.first()?.max(*t_b.first()?);
    let stop = t_a.last()?.min(*t_b.last()?);
    if !(start.is_finite() && stop.is_finite() && start <= stop) {
        return None;
    }
    if start == stop {
        // One common instant: a one-point grid, whatever the step.
        return Some((start, 1.0, 1));
    }
    let dt = match dt {
        Some(dt) => dt,
        None => match (median_step(t_a), median_step(t_b)) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b)?,
        },
    };
    if !(dt > 0.0 && dt.is_finite()) {
        return None;
    }
    // A hair of slack so that (stop − start)/dt = 99.99999999 still includes `stop`.
    let intervals = ((stop - start) / dt + 1e-9).floor();
    if intervals.is_nan() || intervals >= MAX_GRID_POINTS {
        return None;
    }
    Some((start, dt, intervals as usize + 1))
}

/// A uniform grid `start + k·dt` over the range both time axes cover (`[max first, min
/// last]`), never beyond it. `dt` defaults to the coarser of the two median steps: a finer grid
/// would only interpolate the coarser trace, adding samples but no information. Empty when the
/// ranges do not overlap, a time is not finite, or `dt` is not positive.
pub fn common_grid(t_a: &[f64], t_b: &[f64], dt: Option<f64>) -> Vec<f64> {
    match grid_spec(t_a, t_b, dt) {
        Some((start, dt, n)) => (0..n).map(|k| start + k as f64 * dt).collect(),
        None => Vec::new(),
    }
}

/// How far an observed trace is from a reference trace on a common grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceErrors {
    /// Largest |observed − reference|; NaN if any sample is NaN or the traces do not overlap.
    pub max_abs: f64,
    /// Time of the largest difference (of the first NaN, if any); NaN without samples.
    pub max_abs_at: f64,
    /// Root mean square of the difference; NaN as `max_abs`.
    pub rms: f64,
    /// Number of grid points compared.
    pub samples: usize,
}

/// Error norms of `(t_obs, v_obs)` against `(t_ref, v_ref)` on [`common_grid`]`(t_obs, t_ref,
/// dt)`, streaming: neither the grid nor the resampled traces are allocated.
///
/// NaN propagates (`max_abs` and `rms` become NaN, `max_abs_at` the first such time) so that a
/// check `max_abs <= tolerance` fails on a broken trace; no overlap also gives NaN.
pub fn trace_errors(
    t_obs: &[f64],
    v_obs: &[f64],
    t_ref: &[f64],
    v_ref: &[f64],
    dt: Option<f64>,
) -> TraceErrors {
    let mut errors = TraceErrors {
        max_abs: f64::NAN,
        max_abs_at: f64::NAN,
        rms: f64::NAN,
        samples: 0,
    };
    let n_obs = t_obs.len().min(v_obs.len());
    let n_ref = t_ref.len().min(v_ref.len());
    let Some((start, dt, n)) = grid_spec(&t_obs[..n_obs], &t_ref[..n_ref], dt) else {
        return errors;
    };
    let mut obs = Interp::new(t_obs, v_obs);
    let mut reference = Interp::new(t_ref, v_ref);
    let (mut max_abs, mut max_at, mut sum_sq) = (-1.0_f64, f64::NAN, 0.0);
    let mut nan_at = None;
    for k in 0..n {
        let g = start + k as f64 * dt;
        let d = (obs.at(g) - reference.at(g)).abs();
        if d.is_nan() {
            nan_at.get_or_insert(g);
        } else {
            if d > max_abs {
                max_abs = d;
                max_at = g;
            }
            sum_sq += d * d;
        }
    }
    errors.samples = n;
    match nan_at {
        Some(at) => errors.max_abs_at = at,
        None => {
            errors.max_abs = max_abs;
            errors.max_abs_at = max_at;
            errors.rms = (sum_sq / n as f64).sqrt();
        }
    }
    errors
}

impl TraceErrors {
    /// One line in numbers: "max |Δ| 1.8 mV at 123.4 ms, RMS 0.21 mV over 8001 samples".
    pub fn describe(&self) -> String {
        self.describe_in("mV")
    }

    /// As [`TraceErrors::describe`], for a trace in `unit` (`pA` for currents, ...).
    pub fn describe_in(&self, unit: &str) -> String {
        if self.samples == 0 {
            return "the traces do not overlap in time: nothing to compare".to_string();
        }
        if self.max_abs.is_nan() {
            return format!(
                "NaN in a trace at {} ms ({} samples compared)",
                fmt_short(self.max_abs_at),
                self.samples
            );
        }
        format!(
            "max |Δ| {} {unit} at {} ms, RMS {} {unit} over {} samples",
            fmt_short(self.max_abs),
            fmt_short(self.max_abs_at),
            fmt_short(self.rms),
            self.samples
        )
    }
}

/// Spike times of a trace: upward crossings of `threshold` (`v[i] <= threshold < v[i + 1]`),
/// each at the **linearly interpolated** crossing time between the two samples.
///
/// OMV reports the time of the first sample above the threshold instead, which is late by up
/// to one step and differs between simulators with different steps; interpolating removes that
/// grid artefact, which matters when spikes are matched within a fraction of a millisecond. A
/// trace starting above the threshold has no spike at its start, and NaN samples never cross.
pub fn spike_times_from_trace(t: &[f64], v: &[f64], threshold: f64) -> Vec<f64> {
    let n = t.len().min(v.len());
    let (t, v) = (&t[..n], &v[..n]);
    let mut out = Vec::new();
    for i in 1..n {
        let (v0, v1) = (v[i - 1], v[i]);
        if v0 <= threshold && v1 > threshold {
            // v1 > threshold >= v0, so v1 − v0 > 0.
            let frac = (threshold - v0) / (v1 - v0);
            out.push(t[i - 1] + frac * (t[i] - t[i - 1]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn resample_interpolates_and_refuses_to_extrapolate() {
        let t = [0.0, 1.0, 2.0];
        let v = [0.0, 10.0, 30.0];
        let r = resample_linear(
            &t,
            &v,
            &[-0.5, 0.0, 0.5, 1.0, 1.25, 2.0, 2.5, f64::NAN, 0.5],
        );
        assert_eq!(&r[1..6], &[0.0, 5.0, 10.0, 15.0, 30.0]);
        assert!(r[0].is_nan() && r[6].is_nan() && r[7].is_nan());
        assert_eq!(r[8], 5.0);
        assert!(resample_linear(&[], &[], &[1.0])[0].is_nan());
        assert_eq!(resample_linear(&[1.0], &[7.0], &[1.0]), vec![7.0]);
        // A step: the later sample wins at the repeated time.
        assert_eq!(
            resample_linear(&[0.0, 1.0, 1.0, 2.0], &[0.0, 0.0, 5.0, 5.0], &[1.0]),
            vec![5.0]
        );
        // Mismatched lengths use the common length.
        assert_eq!(
            resample_linear(&[0.0, 1.0, 2.0], &[0.0, 2.0], &[0.5]),
            vec![1.0]
        );
    }

    #[test]
    fn grid_over_the_overlap() {
        let a: Vec<f64> = (0..=100).map(|k| k as f64 * 0.1).collect(); // 0..10, dt 0.1
        let b: Vec<f64> = (0..=40).map(|k| 2.0 + k as f64 * 0.25).collect(); // 2..12, dt 0.25
        let g = common_grid(&a, &b, None);
        assert_eq!(g.len(), 33); // 2..10 in steps of 0.25
        assert_eq!(g[0], 2.0);
        assert!(close(*g.last().unwrap_or(&0.0), 10.0));
        assert_eq!(common_grid(&a, &b, Some(1.0)).len(), 9);
        assert!(common_grid(&a, &[20.0, 21.0], None).is_empty());
        assert!(common_grid(&a, &b, Some(0.0)).is_empty());
        assert!(common_grid(&a, &b, Some(f64::NAN)).is_empty());
        assert!(common_grid(&[], &b, None).is_empty());
        assert_eq!(common_grid(&[3.0], &[3.0], None), vec![3.0]);
        assert!(common_grid(&a, &b, Some(1e-12)).is_empty()); // absurdly many points
    }

    #[test]
    fn errors_on_a_common_grid() {
        let t: Vec<f64> = (0..=100).map(|k| k as f64 * 0.1).collect();
        let v_ref: Vec<f64> = t.iter().map(|x| -65.0 + x).collect();
        let mut v_obs = v_ref.clone();
        v_obs[40] += 1.8;
        let e = trace_errors(&t, &v_obs, &t, &v_ref, None);
        assert_eq!(e.samples, 101);
        assert!(close(e.max_abs, 1.8));
        assert!(close(e.max_abs_at, 4.0));
        assert!(close(e.rms, (1.8f64 * 1.8 / 101.0).sqrt()));
        assert_eq!(
            e.describe(),
            "max |Δ| 1.8 mV at 4 ms, RMS 0.179 mV over 101 samples"
        );
        let same = trace_errors(&t, &v_ref, &t, &v_ref, None);
        assert_eq!((same.max_abs, same.rms), (0.0, 0.0));

        v_obs[50] = f64::NAN;
        let e = trace_errors(&t, &v_obs, &t, &v_ref, None);
        assert!(e.max_abs.is_nan() && e.rms.is_nan());
        // The first grid point touching the NaN sample at 5 ms.
        assert!((4.85..=5.0).contains(&e.max_abs_at), "{}", e.max_abs_at);
        assert!(e.describe().starts_with("NaN in a trace"));

        let none = trace_errors(&t, &v_ref, &[50.0, 51.0], &[0.0, 0.0], None);
        assert_eq!(none.samples, 0);
        assert!(none.max_abs.is_nan());
        assert!(none.describe().contains("do not overlap"));
    }

    #[test]
    fn spikes_at_interpolated_crossings() {
        let t = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let v = [-70.0, -10.0, 30.0, -60.0, 0.0, f64::NAN];
        // -10 → 30 crosses 0 a quarter of the way; -60 → 0 does not cross (0 is not > 0).
        assert_eq!(spike_times_from_trace(&t, &v, 0.0), vec![1.25]);
        assert_eq!(
            spike_times_from_trace(&t, &v, -20.0),
            vec![0.8333333333333334, 3.6666666666666665]
        );
        assert!(spike_times_from_trace(&[0.0, 1.0], &[10.0, 20.0], 0.0).is_empty());
        assert!(spike_times_from_trace(&[], &[], 0.0).is_empty());
        assert!(spike_times_from_trace(&[0.0, 1.0], &[-1.0, 1.0], f64::NAN).is_empty());
    }
}
