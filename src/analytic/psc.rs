//! The membrane response of a passive compartment (RC cell) to post-synaptic currents.
//!
//! An input spike at `t0` with weight `w` (nA) injects a current `w·k(t - t0)` into the cell
//! of [`Membrane`], at rest (`V = E_L`) before its first input:
//!
//! ```text
//! exponential:  I(t) = w·exp(-s/τ_s)                      s = t - t0 >= 0
//! alpha:        I(t) = w·(s/τ_s)·exp(1 - s/τ_s)           (peak w at s = τ_s)
//! ```
//!
//! The alpha current is normalised to its **peak**: it reaches `w` at `τ_s` after the spike.
//! This is the convention of PyNN's `IF_curr_alpha` (its NEURON mechanism `AlphaISyn`
//! computes `weight·x·exp(1 - x)`, `x = (t - onset)/τ`) and of NEST's `iaf_psc_alpha` (`w·e/τ
//! ·s·exp(-s/τ)`); its integral (charge) is `w·e·τ_s`. The exponential current starts at its
//! peak `w` and carries `w·τ_s`.
//!
//! The membrane equation `C du/dt = -u/R + I(t)` for `u = V - E_L` is linear, so the response
//! is the convolution of the current with the membrane's impulse response `exp(-s/τ_m)/C`
//! (Dayan & Abbott 2001, ch. 5; Koch 1999, ch. 1; Tuckwell 1988, vol. 1), and several
//! input spikes add (superposition). With `a = 1/τ_s - 1/τ_m`:
//!
//! ```text
//! exponential:  u(s) = (w/C)·exp(-s/τ_m)·s·φ₁(a·s)
//!                    = w·R·τ_s/(τ_m - τ_s)·(exp(-s/τ_m) - exp(-s/τ_s))
//! alpha:        u(s) = (w·e/(C·τ_s))·exp(-s/τ_m)·s²·φ₂(a·s)
//!                    = (w·e/(C·τ_s))·(exp(-s/τ_m) - exp(-s/τ_s)·(1 + a·s))/a²
//! φ₁(x) = (1 - e^-x)/x,   φ₂(x) = (1 - e^-x·(1 + x))/x²,   φ₁(0) = 1, φ₂(0) = 1/2
//! ```
//!
//! At `τ_s = τ_m` (`a = 0`) these are the limits `u = (w/C)·s·exp(-s/τ)` and `u = (w·e/(C·τ))
//! ·(s²/2)·exp(-s/τ)`. The textbook forms (second lines) divide a difference of nearly equal
//! exponentials by a nearly zero `a` when the time constants are close, losing about
//! `log10(1/|a·s|)` digits; here `|a·s| < 0.5` is evaluated through `φ₁` (with `expm1`) and
//! `φ₂` (a Taylor series), which keep full precision down to and at `a = 0`, and the
//! two-exponential forms are used otherwise (where they are accurate, and never overflow
//! whatever the sign of `a`). `a` itself is computed as `(τ_m - τ_s)/(τ_m·τ_s)`, exact in the
//! difference, rather than as a difference of reciprocals.

use super::point::Membrane;

/// Below this `|a·s|` the responses use the φ functions (no cancellation), above it the
/// two-exponential forms (cancellation bounded by a factor `1/φ₁(0.5)` ≈ 2.5).
const PHI_SWITCH: f64 = 0.5;

/// `φ₁(x) = (1 - e^-x)/x`, `φ₁(0) = 1`, accurate for all `x` (via `expm1`).
fn phi1(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        -(-x).exp_m1() / x
    }
}

/// `φ₂(x) = (1 - e^-x·(1 + x))/x²` for `|x| < PHI_SWITCH`, from its Taylor series
/// `Σ_j (-1)^j (j+1)/(j+2)! x^j = 1/2 - x/3 + x²/8 - x³/30 + …` (25 terms: the last is below
/// `0.5^24/26!` ≈ 1e-34 of the first).
fn phi2_series(x: f64) -> f64 {
    let mut sum = 0.0;
    // c_j = (-x)^j / (j+2)!, multiplied by (j+1).
    let mut c = 0.5;
    for j in 0..25 {
        sum += (j as f64 + 1.0) * c;
        c *= -x / (j as f64 + 3.0);
    }
    sum
}

/// The shape of a post-synaptic current (see the module documentation for the formulas and
/// the alpha convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PscShape {
    /// `I = w·exp(-s/τ_s)`: a jump to `w` at the spike, then exponential decay (NEST's
    /// `iaf_psc_exp`, PyNN's `IF_curr_exp`, NEURON's `ExpSyn` in current form).
    Exponential,
    /// `I = w·(s/τ_s)·exp(1 - s/τ_s)`: rises from 0 to the peak `w` at `s = τ_s` (NEST's
    /// `iaf_psc_alpha`, PyNN's `IF_curr_alpha`).
    Alpha,
}

impl PscShape {
    /// The current (nA) `s_ms` after an input of weight `weight_na` (nA), with synaptic time
    /// constant `tau_syn_ms` (ms); 0 before the input (`s < 0`).
    pub fn current_na(self, weight_na: f64, tau_syn_ms: f64, s_ms: f64) -> f64 {
        if s_ms < 0.0 {
            return 0.0;
        }
        let x = s_ms / tau_syn_ms;
        match self {
            PscShape::Exponential => weight_na * (-x).exp(),
            PscShape::Alpha => weight_na * x * (1.0 - x).exp(),
        }
    }

    /// The membrane deflection `V - E_L` (mV) of a cell at rest, `s_ms` (ms) after one input
    /// of weight `weight_na` (nA), with synaptic time constant `tau_syn_ms` (ms): the exact
    /// convolution given in the module documentation, free of cancellation when `τ_s` is
    /// close or equal to `τ_m`. 0 for `s <= 0` and for an infinite `s`; NaN for invalid
    /// parameters (non-positive `C`, `R` or `τ_s`).
    pub fn response_mv(
        self,
        membrane: &Membrane,
        weight_na: f64,
        tau_syn_ms: f64,
        s_ms: f64,
    ) -> f64 {
        let (c, tau_m, tau_s) = (membrane.c_nf, membrane.tau_ms(), tau_syn_ms);
        if !(c > 0.0
            && membrane.r_mohm > 0.0
            && tau_s > 0.0
            && tau_m.is_finite()
            && tau_s.is_finite())
        {
            return f64::NAN;
        }
        if s_ms.is_nan() {
            return f64::NAN;
        }
        if s_ms <= 0.0 || s_ms.is_infinite() {
            return 0.0;
        }
        let s = s_ms;
        let a = (tau_m - tau_s) / (tau_m * tau_s);
        let x = a * s;
        let em = (-s / tau_m).exp();
        match self {
            PscShape::Exponential => {
                let shape = if x.abs() < PHI_SWITCH {
                    em * s * phi1(x)
                } else {
                    (em - (-s / tau_s).exp()) / a
                };
                weight_na / c * shape
            }
            PscShape::Alpha => {
                let shape = if x.abs() < PHI_SWITCH {
                    em * s * s * phi2_series(x)
                } else {
                    (em - (-s / tau_s).exp() * (1.0 + x)) / (a * a)
                };
                weight_na * std::f64::consts::E / (c * tau_s) * shape
            }
        }
    }
}

/// One input spike: its arrival time (ms) and weight (nA; the current's peak).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PscInput {
    /// Arrival time `t0` (ms).
    pub time_ms: f64,
    /// Weight `w` (nA): the peak current, positive for excitation.
    pub weight_na: f64,
}

/// A passive compartment at rest receiving post-synaptic currents of one shape and time
/// constant: the exact membrane potential, by superposition of the single-input responses
/// of [`PscShape::response_mv`] (the system is linear). The cell is at `E_L` before its first
/// input; inputs may come in any order.
#[derive(Debug, Clone, PartialEq)]
pub struct PscResponse {
    /// The compartment.
    pub membrane: Membrane,
    /// The current's shape.
    pub shape: PscShape,
    /// The synaptic time constant `τ_s` (ms).
    pub tau_syn_ms: f64,
    /// The input spikes.
    pub inputs: Vec<PscInput>,
}

impl PscResponse {
    /// A cell `membrane` receiving `inputs` through currents of `shape` with time constant
    /// `tau_syn_ms` (ms).
    pub fn new(
        membrane: Membrane,
        shape: PscShape,
        tau_syn_ms: f64,
        inputs: Vec<PscInput>,
    ) -> Self {
        Self {
            membrane,
            shape,
            tau_syn_ms,
            inputs,
        }
    }

    /// A single input of weight `weight_na` (nA) at `time_ms` (ms).
    pub fn single(
        membrane: Membrane,
        shape: PscShape,
        tau_syn_ms: f64,
        time_ms: f64,
        weight_na: f64,
    ) -> Self {
        Self::new(
            membrane,
            shape,
            tau_syn_ms,
            vec![PscInput { time_ms, weight_na }],
        )
    }

    /// The total synaptic current (nA) at `t_ms`.
    pub fn current_na(&self, t_ms: f64) -> f64 {
        self.inputs
            .iter()
            .map(|i| {
                self.shape
                    .current_na(i.weight_na, self.tau_syn_ms, t_ms - i.time_ms)
            })
            .sum()
    }

    /// The deflection from rest `V - E_L` (mV) at `t_ms` (ms).
    pub fn deflection_mv(&self, t_ms: f64) -> f64 {
        self.inputs
            .iter()
            .map(|i| {
                self.shape.response_mv(
                    &self.membrane,
                    i.weight_na,
                    self.tau_syn_ms,
                    t_ms - i.time_ms,
                )
            })
            .sum()
    }

    /// The membrane potential `V` (mV) at `t_ms` (ms).
    pub fn v(&self, t_ms: f64) -> f64 {
        self.membrane.e_l_mv + self.deflection_mv(t_ms)
    }

    /// [`PscResponse::v`] at each of `times` (ms).
    pub fn trace(&self, times: &[f64]) -> Vec<f64> {
        times.iter().map(|&t| self.v(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::f64::consts::E;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
    }

    /// RK4 on `du/dt = -u/τ_m + I(t)/C` with the exact current at the stages.
    fn rk4(m: &Membrane, shape: PscShape, tau_s: f64, s_end: f64, dt: f64) -> f64 {
        let tau_m = m.tau_ms();
        let f = |s: f64, u: f64| -u / tau_m + shape.current_na(1.0, tau_s, s) / m.c_nf;
        let (mut s, mut u) = (0.0, 0.0);
        let n = (s_end / dt).round() as usize;
        for _ in 0..n {
            let k1 = f(s, u);
            let k2 = f(s + dt / 2.0, u + dt / 2.0 * k1);
            let k3 = f(s + dt / 2.0, u + dt / 2.0 * k2);
            let k4 = f(s + dt, u + dt * k3);
            u += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            s += dt;
        }
        u
    }

    #[test]
    fn responses_match_an_ode_integration() {
        let m = Membrane::from_tau(10.0, 0.25, -70.0);
        for shape in [PscShape::Exponential, PscShape::Alpha] {
            for tau_s in [0.5, 2.0, 10.0, 30.0] {
                for s_end in [1.0, 5.0, 20.0] {
                    let exact = shape.response_mv(&m, 1.0, tau_s, s_end);
                    let num = rk4(&m, shape, tau_s, s_end, 1e-3);
                    assert!(
                        (exact - num).abs() < 1e-9,
                        "{shape:?} τs={tau_s} s={s_end}: {exact} vs {num}"
                    );
                }
            }
        }
    }

    #[test]
    fn equal_time_constants_use_the_limit() {
        let m = Membrane::from_tau(10.0, 0.25, 0.0);
        let (w, tau): (f64, f64) = (0.5, 10.0);
        for s in [0.1, 1.0, 10.0, 50.0] {
            let exp_limit = w / 0.25 * s * (-s / tau).exp();
            let alpha_limit = w * E / (0.25 * tau) * s * s / 2.0 * (-s / tau).exp();
            assert!(rel(PscShape::Exponential.response_mv(&m, w, tau, s), exp_limit) < 1e-15);
            assert!(rel(PscShape::Alpha.response_mv(&m, w, tau, s), alpha_limit) < 1e-15);
            // Nearly equal: τ_s = τ_m (1 ± 1e-9) stays within ~1e-9 of the limit, and agrees
            // with the first-order Taylor expansion in a·s to full precision.
            for sign in [-1.0, 1.0] {
                let tau_s = tau * (1.0 + sign * 1e-9);
                let a = (tau - tau_s) / (tau * tau_s);
                let x = a * s;
                let e = PscShape::Exponential.response_mv(&m, w, tau_s, s);
                let al = PscShape::Alpha.response_mv(&m, w, tau_s, s);
                assert!(rel(e, exp_limit) < 1e-8, "{e} vs {exp_limit}");
                assert!(rel(e, exp_limit * (1.0 - x / 2.0 + x * x / 6.0)) < 1e-14);
                let alpha_near = w * E / (0.25 * tau_s)
                    * s
                    * s
                    * (-s / tau).exp()
                    * (0.5 - x / 3.0 + x * x / 8.0);
                assert!(rel(al, alpha_near) < 1e-14, "{al} vs {alpha_near}");
                assert!(rel(al, alpha_limit) < 1e-8);
            }
        }
    }

    #[test]
    fn switch_between_forms_is_seamless() {
        // |a·s| crosses PHI_SWITCH between the two evaluations.
        let m = Membrane::from_tau(10.0, 0.25, 0.0);
        let tau_s = 5.0; // a = 0.1 /ms, switch at s = 5 ms
        for shape in [PscShape::Exponential, PscShape::Alpha] {
            let below = shape.response_mv(&m, 1.0, tau_s, 5.0 * (1.0 - 1e-12));
            let above = shape.response_mv(&m, 1.0, tau_s, 5.0 * (1.0 + 1e-12));
            assert!(rel(below, above) < 1e-11, "{shape:?}: {below} {above}");
            let tau_long = 20.0; // a = -0.05 /ms < 0, switch at s = 10 ms
            let below = shape.response_mv(&m, 1.0, tau_long, 10.0 * (1.0 - 1e-12));
            let above = shape.response_mv(&m, 1.0, tau_long, 10.0 * (1.0 + 1e-12));
            assert!(rel(below, above) < 1e-11, "{shape:?}: {below} {above}");
        }
        assert!((phi2_series(0.3) - (1.0 - (-0.3f64).exp() * 1.3) / 0.09).abs() < 1e-14);
        assert!(
            (phi2_series(-0.49) - (1.0 - (0.49f64).exp() * 0.51) / (0.49 * 0.49)).abs() < 1e-14
        );
    }

    #[test]
    fn textbook_forms_and_conventions() {
        let m = Membrane::from_tau(20.0, 0.5, -65.0); // R = 40 MΩ
        let (w, tau_s) = (0.3, 5.0);
        let s = 7.0;
        let textbook =
            w * 40.0 * tau_s / (20.0 - tau_s) * ((-s / 20.0f64).exp() - (-s / tau_s).exp());
        assert!(rel(PscShape::Exponential.response_mv(&m, w, tau_s, s), textbook) < 1e-14);
        // The alpha current peaks at w, τ_s after the spike.
        assert!((PscShape::Alpha.current_na(w, tau_s, tau_s) - w).abs() < 1e-15);
        assert!(PscShape::Alpha.current_na(w, tau_s, tau_s * 0.9) < w);
        assert!(PscShape::Alpha.current_na(w, tau_s, tau_s * 1.1) < w);
        assert_eq!(PscShape::Exponential.current_na(w, tau_s, 0.0), w);
        assert_eq!(PscShape::Alpha.current_na(w, tau_s, -1.0), 0.0);
        // The exponential PSP peaks at τmτs/(τm-τs)·ln(τm/τs).
        let t_peak = 20.0 * tau_s / (20.0 - tau_s) * (20.0f64 / tau_s).ln();
        let r = PscResponse::single(m, PscShape::Exponential, tau_s, 3.0, w);
        let peak = r.v(3.0 + t_peak);
        assert!(r.v(3.0 + t_peak - 1e-3) < peak && r.v(3.0 + t_peak + 1e-3) < peak);
        assert_eq!(r.v(3.0), -65.0);
        assert_eq!(r.v(0.0), -65.0);
        // Invalid parameters.
        assert!(PscShape::Alpha.response_mv(&m, w, 0.0, 1.0).is_nan());
        assert!(PscShape::Alpha.response_mv(&m, w, tau_s, f64::NAN).is_nan());
        assert_eq!(
            PscShape::Alpha.response_mv(&m, w, tau_s, f64::INFINITY),
            0.0
        );
        assert_eq!(PscShape::Exponential.response_mv(&m, w, 20.0, 1e6), 0.0);
    }

    proptest! {
        #[test]
        fn superposition_is_linear(
            t1 in 0.0f64..50.0,
            t2 in 0.0f64..50.0,
            w1 in -1.0f64..1.0,
            w2 in -1.0f64..1.0,
            tau_s in 0.1f64..40.0,
            t in 0.0f64..100.0,
            alpha in proptest::bool::ANY,
        ) {
            let m = Membrane::from_tau(15.0, 0.2, -60.0);
            let shape = if alpha { PscShape::Alpha } else { PscShape::Exponential };
            let both = PscResponse::new(m, shape, tau_s, vec![
                PscInput { time_ms: t1, weight_na: w1 },
                PscInput { time_ms: t2, weight_na: w2 },
            ]);
            let one = PscResponse::single(m, shape, tau_s, t1, w1);
            let two = PscResponse::single(m, shape, tau_s, t2, w2);
            let sum = one.deflection_mv(t) + two.deflection_mv(t);
            prop_assert!((both.deflection_mv(t) - sum).abs() <= 1e-12 * (1.0 + sum.abs()));
            prop_assert!((both.current_na(t) - one.current_na(t) - two.current_na(t)).abs() < 1e-12);
            // An excitatory input only depolarises.
            let pos = PscResponse::single(m, shape, tau_s, t1, w1.abs());
            prop_assert!(pos.deflection_mv(t) >= 0.0);
        }
    }
}
