//! Convergence: the order fitted from errors at several time steps, and the error measures
//! between a simulated trace and the exact one sampled at the same times.
//!
//! A consistent integrator of order `p` has a global error `e ≈ C·dt^p` for small `dt`, so
//! `ln e = ln C + p·ln dt` is a line: [`fit_order`] fits it by least squares and reports how
//! well the points lie on it, and the order observed between each pair of consecutive steps.
//! A simulator whose error does not shrink at its scheme's order (1 for implicit Euler, 2 for
//! Crank–Nicolson or NEURON's `secondorder = 2`, and none at all for exact integration as in
//! NEST's `iaf_psc_*`) is wrong somewhere, even if it agrees with another simulator.
//!
//! # Error measures
//!
//! Pointwise relative errors `|sim - exact|/|exact|` are meaningless for membrane potentials,
//! which cross or approach 0 mV. The relative measures here divide by **one scale taken from
//! the exact trace as a whole**, as NSuite's `comparex` does (`relerr = max|Δ| / max|ref|`):
//!
//! - [`max_relative_error`]: `max|sim - exact| / max|exact|` (NSuite's `relerr`, which its
//!   Rallpack 1 check bounds by 1%).
//! - [`rms_relative_error`]: `RMS(sim - exact) / RMS(exact)`, i.e. `‖sim - exact‖₂ /
//!   ‖exact‖₂`, the same normalisation in the 2-norm: it averages over the trace instead of
//!   taking the worst sample, so it is less sensitive to one late-detected spike edge.
//!
//! The scale is the exact trace's magnitude, so it does not depend on the simulator under
//! test, and the measures are symmetric under a sign change. Note that a potential's
//! magnitude includes its resting level (about 65 mV for a cell at -65 mV): a 1 mV PSP
//! simulated 0.1 mV off is then a 0.15% error, not 10%. To judge the **response** rather than
//! the absolute potential, pass deflections (`V - E_rest`, both traces shifted by the same
//! rest); the measures are deliberately not shift-invariant, so that choice stays the
//! caller's and NSuite's thresholds (on absolute potentials) keep their meaning.
//!
//! Spike trains are compared by [`spike_time_error`]: spikes paired in order (the k-th
//! simulated with the k-th exact), the largest `|Δt|` over the pairs, and the counts reported
//! separately, since a missing or extra spike is a different failure than a late one.

/// A straight-line fit of `ln(error)` against `ln(dt)`: `error ≈ constant·dt^order`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFit {
    /// The fitted order `p` (the slope).
    pub order: f64,
    /// The fitted constant `C` (`exp` of the intercept), in the errors' unit per `dt^p`.
    pub constant: f64,
    /// The coefficient of determination of the fit in log–log space, `1 - SS_res/SS_tot`
    /// (1 for points exactly on a line, including all-equal errors).
    pub r_squared: f64,
    /// The order observed between consecutive points, sorted from the coarsest `dt` to the
    /// finest: `ln(e_i/e_{i+1}) / ln(dt_i/dt_{i+1})`; NaN for a pair with equal `dt`.
    pub local_orders: Vec<f64>,
    /// The error reduction per halving of `dt` between consecutive points (coarsest first):
    /// `2^local_order`, which is `e_i/e_{i+1}` when `dt` exactly halves (≈ 2 for first order,
    /// 4 for second order).
    pub halving_ratios: Vec<f64>,
}

impl OrderFit {
    /// The error the fit predicts at time step `dt`: `constant·dt^order`.
    pub fn error_at(&self, dt: f64) -> f64 {
        self.constant * dt.powf(self.order)
    }
}

/// Fits `error ≈ C·dt^p` by least squares on `(ln dt, ln error)` and returns the order `p`, `C`,
/// the R² and the per-pair orders and halving ratios (see [`OrderFit`]); the points may come in
/// any order.
///
/// `None` when the slices differ in length, there are fewer than 2 points, all `dt` are equal
/// (no slope), or any `dt` or error is zero, negative, infinite or NaN: the logarithm is then
/// undefined, and rather than drop such a point silently (an exact zero error means the method
/// is exact at that step, a NaN that the run broke) the caller decides what it means.
pub fn fit_order(dts: &[f64], errors: &[f64]) -> Option<OrderFit> {
    if dts.len() != errors.len() || dts.len() < 2 {
        return None;
    }
    let positive = |v: &f64| *v > 0.0 && v.is_finite();
    if !dts.iter().all(positive) || !errors.iter().all(positive) {
        return None;
    }
    let mut points: Vec<(f64, f64)> = dts
        .iter()
        .zip(errors)
        .map(|(d, e)| (d.ln(), e.ln()))
        .collect();
    // Coarsest first.
    points.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - mean_y).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let order = sxy / sxx;
    let intercept = mean_y - order * mean_x;
    let ss_res: f64 = points
        .iter()
        .map(|p| (p.1 - intercept - order * p.0).powi(2))
        .sum();
    let r_squared = if syy > 0.0 { 1.0 - ss_res / syy } else { 1.0 };
    let local_orders: Vec<f64> = points
        .windows(2)
        .map(|w| {
            let dx = w[0].0 - w[1].0;
            if dx == 0.0 {
                f64::NAN
            } else {
                (w[0].1 - w[1].1) / dx
            }
        })
        .collect();
    let halving_ratios = local_orders.iter().map(|p| p.exp2()).collect();
    Some(OrderFit {
        order,
        constant: intercept.exp(),
        r_squared,
        local_orders,
        halving_ratios,
    })
}

/// `scale` of the numerator over that of the denominator, NaN for NaN, 0/0 = 0 and x/0 = ∞.
fn ratio(num: f64, den: f64) -> f64 {
    if num.is_nan() || den.is_nan() {
        f64::NAN
    } else if den == 0.0 {
        if num == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        num / den
    }
}

/// The largest `|x|`, NaN if any `x` is NaN.
fn max_abs(values: impl Iterator<Item = f64>) -> f64 {
    let mut m: f64 = 0.0;
    for v in values {
        let a = v.abs();
        if a.is_nan() || a > m {
            m = a;
        }
        if m.is_nan() {
            return f64::NAN;
        }
    }
    m
}

/// The relative RMS error of `simulated` against `exact` sampled at the same times:
/// `sqrt(Σ(sim - exact)²) / sqrt(Σ exact²)` (= RMS of the difference over RMS of the exact
/// trace). Not shift-invariant: pass deflections from rest to normalise by the response (see
/// the module documentation for why this definition).
///
/// NaN when the lengths differ, the traces are empty, or any value is NaN; 0 when both are
/// identically zero and ∞ when only the exact trace is.
pub fn rms_relative_error(simulated: &[f64], exact: &[f64]) -> f64 {
    if simulated.len() != exact.len() || exact.is_empty() {
        return f64::NAN;
    }
    let diff: f64 = simulated
        .iter()
        .zip(exact)
        .map(|(s, e)| (s - e).powi(2))
        .sum();
    let norm: f64 = exact.iter().map(|e| e * e).sum();
    ratio(diff.sqrt(), norm.sqrt())
}

/// The relative maximum error of `simulated` against `exact` sampled at the same times:
/// `max|sim - exact| / max|exact|`, NSuite's `relerr` (see the module documentation).
///
/// NaN when the lengths differ, the traces are empty, or any value is NaN; 0 when both are
/// identically zero and ∞ when only the exact trace is.
pub fn max_relative_error(simulated: &[f64], exact: &[f64]) -> f64 {
    if simulated.len() != exact.len() || exact.is_empty() {
        return f64::NAN;
    }
    let diff = max_abs(simulated.iter().zip(exact).map(|(s, e)| s - e));
    ratio(diff, max_abs(exact.iter().copied()))
}

/// How far simulated spike times are from the exact ones (see [`spike_time_error`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeTimeError {
    /// The largest `|t_sim - t_exact|` (ms) over the paired spikes; `None` when no spike could
    /// be paired (either train is empty). NaN if a paired time is NaN.
    pub max_abs_ms: Option<f64>,
    /// The mean `|t_sim - t_exact|` (ms) over the paired spikes; `None` when none.
    pub mean_abs_ms: Option<f64>,
    /// How many spikes were paired: the smaller of the two counts.
    pub paired: usize,
    /// The number of simulated spikes.
    pub simulated: usize,
    /// The number of exact spikes.
    pub exact: usize,
}

impl SpikeTimeError {
    /// Simulated minus exact spike count: positive for extra spikes, negative for missing
    /// ones, 0 when the counts match.
    pub fn count_mismatch(&self) -> i64 {
        self.simulated as i64 - self.exact as i64
    }
}

/// Compares spike trains in order: the k-th earliest simulated spike with the k-th earliest
/// exact one (both sorted first; NaN sorts last), for the first `min(counts)` spikes. The
/// timing error is over these pairs only; a count mismatch is reported separately (in
/// [`SpikeTimeError::count_mismatch`]), since pairing by order after a missed spike would pair
/// unrelated spikes and its timing error says little. Times in ms.
pub fn spike_time_error(simulated: &[f64], exact: &[f64]) -> SpikeTimeError {
    let mut sim = simulated.to_vec();
    let mut ex = exact.to_vec();
    sim.sort_by(f64::total_cmp);
    ex.sort_by(f64::total_cmp);
    let paired = sim.len().min(ex.len());
    let deltas = sim.iter().zip(&ex).map(|(s, e)| s - e);
    let (max_abs_ms, mean_abs_ms) = if paired == 0 {
        (None, None)
    } else {
        let max = max_abs(deltas.clone());
        let mean = deltas.map(f64::abs).sum::<f64>() / paired as f64;
        (Some(max), Some(mean))
    };
    SpikeTimeError {
        max_abs_ms,
        mean_abs_ms,
        paired,
        simulated: sim.len(),
        exact: ex.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Deterministic noise in [-1, 1] (a fixed LCG), so the tests are reproducible.
    fn noise(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn recovers_first_and_second_order() {
        let dts: Vec<f64> = (0..6).map(|k| 0.1 / 2f64.powi(k)).collect();
        for (p, c) in [(1.0, 3.0), (2.0, 0.5)] {
            let exact: Vec<f64> = dts.iter().map(|d| c * d.powf(p)).collect();
            let fit = fit_order(&dts, &exact).unwrap();
            assert!((fit.order - p).abs() < 1e-12);
            assert!((fit.constant - c).abs() < 1e-10 * c);
            assert!((fit.r_squared - 1.0).abs() < 1e-12);
            assert_eq!(fit.local_orders.len(), 5);
            assert!(fit.local_orders.iter().all(|q| (q - p).abs() < 1e-12));
            assert!(fit
                .halving_ratios
                .iter()
                .all(|r| (r - 2f64.powf(p)).abs() < 1e-10));
            assert!((fit.error_at(0.01) - c * 0.01f64.powf(p)).abs() < 1e-10);
            // ±5% multiplicative noise.
            let noisy: Vec<f64> = exact
                .iter()
                .zip(noise(p as u64, dts.len()))
                .map(|(e, z)| e * (1.0 + 0.05 * z))
                .collect();
            let fit = fit_order(&dts, &noisy).unwrap();
            assert!((fit.order - p).abs() < 0.05, "{fit:?}");
            assert!(fit.r_squared > 0.99, "{fit:?}");
            assert!(fit
                .halving_ratios
                .iter()
                .all(|r| (r / 2f64.powf(p) - 1.0).abs() < 0.25));
        }
    }

    #[test]
    fn order_fit_is_refused_when_undefined() {
        assert_eq!(fit_order(&[0.1], &[1.0]), None);
        assert_eq!(fit_order(&[], &[]), None);
        assert_eq!(fit_order(&[0.1, 0.05], &[1.0]), None);
        assert_eq!(fit_order(&[0.1, 0.05], &[1.0, 0.0]), None);
        assert_eq!(fit_order(&[0.1, 0.05], &[1.0, f64::NAN]), None);
        assert_eq!(fit_order(&[0.1, 0.05], &[1.0, -1.0]), None);
        assert_eq!(fit_order(&[0.1, 0.0], &[1.0, 0.5]), None);
        assert_eq!(fit_order(&[0.1, 0.1], &[1.0, 0.5]), None);
        assert_eq!(fit_order(&[0.1, f64::INFINITY], &[1.0, 0.5]), None);
        // Unsorted input, a repeated dt among others.
        let fit = fit_order(&[0.025, 0.1, 0.05, 0.05], &[0.025, 0.1, 0.05, 0.05]).unwrap();
        assert!((fit.order - 1.0).abs() < 1e-12);
        assert!(fit.local_orders[1].is_nan() && (fit.local_orders[0] - 1.0).abs() < 1e-12);
        // All errors equal: order 0, a perfect fit.
        let flat = fit_order(&[0.1, 0.05], &[1e-3, 1e-3]).unwrap();
        assert_eq!((flat.order, flat.r_squared), (0.0, 1.0));
    }

    #[test]
    fn relative_errors() {
        let exact = [-65.0, -60.0, -50.0, -65.0];
        let sim = [-65.0, -61.0, -50.0, -63.0];
        // max: 2/65
        assert!((max_relative_error(&sim, &exact) - 2.0 / 65.0).abs() < 1e-15);
        let rms = (1.0f64 + 4.0).sqrt() / (65.0f64 * 65.0 + 3600.0 + 2500.0 + 65.0 * 65.0).sqrt();
        assert!((rms_relative_error(&sim, &exact) - rms).abs() < 1e-15);
        // Deflections from rest: the response's scale.
        let d = |v: &[f64]| v.iter().map(|x| x + 65.0).collect::<Vec<_>>();
        assert!((max_relative_error(&d(&sim), &d(&exact)) - 2.0 / 15.0).abs() < 1e-15);
        // A trace crossing 0 mV is fine (no pointwise division).
        assert!((max_relative_error(&[1.0, 0.1, -1.0], &[1.0, 0.0, -1.0]) - 0.1).abs() < 1e-15);
        assert_eq!(max_relative_error(&exact, &exact), 0.0);
        assert_eq!(rms_relative_error(&exact, &exact), 0.0);
        assert_eq!(rms_relative_error(&[0.0], &[0.0]), 0.0);
        assert_eq!(max_relative_error(&[1.0], &[0.0]), f64::INFINITY);
        assert!(max_relative_error(&[1.0, f64::NAN, 1.0], &[1.0, 1.0, 1.0]).is_nan());
        assert!(max_relative_error(&[1.0, 1.0], &[f64::NAN, 1.0]).is_nan());
        assert!(rms_relative_error(&[f64::NAN], &[1.0]).is_nan());
        assert!(rms_relative_error(&[1.0], &[1.0, 2.0]).is_nan());
        assert!(max_relative_error(&[], &[]).is_nan());
    }

    #[test]
    fn spike_errors() {
        let e = spike_time_error(&[10.1, 20.0, 29.7], &[10.0, 20.0, 30.0]);
        assert!((e.max_abs_ms.unwrap() - 0.3).abs() < 1e-12);
        assert!((e.mean_abs_ms.unwrap() - 0.4 / 3.0).abs() < 1e-12);
        assert_eq!((e.paired, e.count_mismatch()), (3, 0));
        // Unsorted input; an extra spike is counted, not paired.
        let e = spike_time_error(&[20.0, 10.0, 40.0], &[10.0, 20.0]);
        assert_eq!(e.max_abs_ms, Some(0.0));
        assert_eq!(
            (e.paired, e.simulated, e.exact, e.count_mismatch()),
            (2, 3, 2, 1)
        );
        let e = spike_time_error(&[], &[5.0]);
        assert_eq!(
            (e.max_abs_ms, e.mean_abs_ms, e.count_mismatch()),
            (None, None, -1)
        );
        assert!(spike_time_error(&[f64::NAN], &[1.0])
            .max_abs_ms
            .unwrap()
            .is_nan());
    }

    proptest! {
        #[test]
        fn fit_recovers_any_power_law(
            p in 0.5f64..4.0,
            c in 1e-3f64..1e3,
            dt0 in 1e-3f64..1.0,
            n in 2usize..8,
        ) {
            let dts: Vec<f64> = (0..n).map(|k| dt0 / 2f64.powi(k as i32)).collect();
            let errors: Vec<f64> = dts.iter().map(|d| c * d.powf(p)).collect();
            let fit = fit_order(&dts, &errors).unwrap();
            prop_assert!((fit.order - p).abs() < 1e-9);
            prop_assert!((fit.constant / c - 1.0).abs() < 1e-8);
            prop_assert!(fit.r_squared > 1.0 - 1e-9);
        }

        #[test]
        fn relative_errors_are_scale_invariant(
            exact in proptest::collection::vec(-100.0f64..100.0, 1..50),
            shift in -1.0f64..1.0,
            k in 0.1f64..10.0,
        ) {
            prop_assume!(exact.iter().any(|e| e.abs() > 1e-3));
            let sim: Vec<f64> = exact.iter().map(|e| e + shift).collect();
            let ks: Vec<f64> = sim.iter().map(|s| s * k).collect();
            let ke: Vec<f64> = exact.iter().map(|e| e * k).collect();
            let (m, r) = (max_relative_error(&sim, &exact), rms_relative_error(&sim, &exact));
            prop_assert!(m >= 0.0 && r >= 0.0);
            // A constant shift: the same numerator, and RMS(exact) <= max|exact|.
            prop_assert!(r >= m * (1.0 - 1e-12), "rms {} < max {}", r, m);
            prop_assert!((max_relative_error(&ks, &ke) - m).abs() <= 1e-9 * m.max(1.0));
            prop_assert!((rms_relative_error(&ks, &ke) - r).abs() <= 1e-9 * r.max(1.0));
        }
    }
}
