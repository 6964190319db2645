//! A single passive compartment (an RC circuit) under a current step, and the leaky
//! integrate-and-fire neuron built on it.
//!
//! The membrane equation is
//!
//! ```text
//! C dV/dt = -(V - E_L)/R + I(t),      τ = R·C
//! ```
//!
//! (Dayan & Abbott 2001, "Theoretical Neuroscience", §5.4; Koch 1999, "Biophysics of
//! Computation", ch. 1). Under a constant current `I` it relaxes exponentially towards
//! `V∞ = E_L + I·R`: `V(t) = V∞ + (V(t₀) - V∞)·exp(-(t - t₀)/τ)`. A current step is piecewise
//! constant, so the exact solution is this relaxation on each piece, continued from the value
//! at the end of the previous piece. Units: ms, mV, nA, nF, MΩ.

/// A passive single compartment: capacitance, membrane (leak) resistance and leak reversal
/// potential. Its time constant is `τ = R·C` (MΩ·nF = ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Membrane {
    /// Membrane capacitance `C` (nF).
    pub c_nf: f64,
    /// Membrane (leak) resistance `R` (MΩ).
    pub r_mohm: f64,
    /// Leak reversal (resting) potential `E_L` (mV).
    pub e_l_mv: f64,
}

impl Membrane {
    /// A membrane from its capacitance (nF), resistance (MΩ) and leak reversal (mV).
    pub fn new(c_nf: f64, r_mohm: f64, e_l_mv: f64) -> Self {
        Self {
            c_nf,
            r_mohm,
            e_l_mv,
        }
    }

    /// A membrane from its time constant (ms) and capacitance (nF), as NEST and PyNN specify
    /// it (`tau_m`, `C_m`/`cm`): `R = τ/C`.
    pub fn from_tau(tau_ms: f64, c_nf: f64, e_l_mv: f64) -> Self {
        Self::new(c_nf, tau_ms / c_nf, e_l_mv)
    }

    /// The membrane time constant `τ = R·C` (ms).
    pub fn tau_ms(&self) -> f64 {
        self.r_mohm * self.c_nf
    }

    /// The steady-state potential under a constant current: `V∞ = E_L + I·R` (mV, `i_na` in
    /// nA).
    pub fn v_inf(&self, i_na: f64) -> f64 {
        self.e_l_mv + i_na * self.r_mohm
    }

    /// The exact potential `dt_ms` after the membrane was at `v_mv`, under the constant
    /// current `i_na`: `V = V∞ + (v - V∞)·exp(-dt/τ)`, evaluated as
    /// `v + (V∞ - v)·(1 - exp(-dt/τ))` with `expm1`, so that `dt = 0` returns `v` exactly and
    /// small steps keep full relative precision.
    pub fn relax(&self, v_mv: f64, i_na: f64, dt_ms: f64) -> f64 {
        let v_inf = self.v_inf(i_na);
        v_mv + (v_inf - v_mv) * -(-dt_ms / self.tau_ms()).exp_m1()
    }

    /// Whether the parameters describe a cell: `C` and `R` positive and finite, `E_L` finite.
    fn is_valid(&self) -> bool {
        self.c_nf > 0.0
            && self.c_nf.is_finite()
            && self.r_mohm > 0.0
            && self.r_mohm.is_finite()
            && self.e_l_mv.is_finite()
    }
}

/// A current step: `amp_na` (nA) on `[start_ms, stop_ms)`, zero otherwise (NEURON's `IClamp`
/// with `del = start`, `dur = stop - start`; NEST's `step_current_generator` or a DC source
/// with `start`/`stop`). `stop_ms` may be `f64::INFINITY` (a DC current that stays on). A step
/// with `stop_ms <= start_ms` never injects anything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurrentStep {
    /// Amplitude (nA), positive into the cell.
    pub amp_na: f64,
    /// When the current starts (ms, inclusive).
    pub start_ms: f64,
    /// When the current stops (ms, exclusive); `f64::INFINITY` for never.
    pub stop_ms: f64,
}

impl CurrentStep {
    /// `amp_na` (nA) on `[start_ms, stop_ms)`.
    pub fn new(amp_na: f64, start_ms: f64, stop_ms: f64) -> Self {
        Self {
            amp_na,
            start_ms,
            stop_ms,
        }
    }

    /// A DC current `amp_na` (nA) from t = 0 on, never stopping.
    pub fn dc(amp_na: f64) -> Self {
        Self::new(amp_na, 0.0, f64::INFINITY)
    }

    /// The injected current at `t_ms` (nA): `amp_na` on `[start_ms, stop_ms)`, else 0.
    pub fn at(&self, t_ms: f64) -> f64 {
        if (self.start_ms..self.stop_ms).contains(&t_ms) {
            self.amp_na
        } else {
            0.0
        }
    }
}

/// The membrane potential at `t_end`, from `v` at `t`, under `step` (no threshold): the exact
/// relaxation on each constant piece of the current.
fn evolve(m: &Membrane, step: &CurrentStep, mut t: f64, mut v: f64, t_end: f64) -> f64 {
    // The edges are visited in order; with stop <= start the current is zero everywhere and
    // cutting at the edges changes nothing.
    for edge in [step.start_ms, step.stop_ms] {
        if edge > t && edge < t_end {
            v = m.relax(v, step.at(t), edge - t);
            t = edge;
        }
    }
    m.relax(v, step.at(t), t_end - t)
}

/// The time a membrane relaxing from `v0` towards `v_inf` with time constant `tau` takes to
/// reach `v_th` from below: `τ·ln((V∞ - V0)/(V∞ - V_th))`, when `V0 < V_th < V∞`; `None`
/// when it never does (`V∞ <= V_th`) and `Some(0)` when it starts at or above the threshold.
///
/// This is the first-spike latency of a leaky integrate-and-fire neuron under a DC current
/// switched on at `t_start` with the membrane at `V0` (Dayan & Abbott 2001, §5.4;
/// Tuckwell 1988, "Introduction to Theoretical Neurobiology", vol. 1): the first spike
/// is at `t_start + τ·ln((V∞ - V0)/(V∞ - V_th))`, as PyNN's tests check it. Evaluated with
/// `ln_1p` of `(V_th - V0)/(V∞ - V_th)` for precision when `V0` is near the threshold. NaN
/// in gives `None`.
pub fn threshold_crossing_time(
    v0_mv: f64,
    v_inf_mv: f64,
    v_th_mv: f64,
    tau_ms: f64,
) -> Option<f64> {
    if v0_mv.is_nan() || v_inf_mv.is_nan() || v_th_mv.is_nan() || tau_ms.is_nan() {
        return None;
    }
    if v0_mv >= v_th_mv {
        return Some(0.0);
    }
    if v_inf_mv <= v_th_mv {
        return None;
    }
    Some(tau_ms * ((v_th_mv - v0_mv) / (v_inf_mv - v_th_mv)).ln_1p())
}

/// A passive compartment under a current step, from `V(0) = v0_mv` (which may differ from
/// `E_L`): `C dV/dt = -(V - E_L)/R + I(t)`, `I = amp` on `[start, stop)`.
///
/// The exact piecewise solution (Koch 1999, "Biophysics of Computation", ch. 1; Dayan & Abbott
/// 2001, §5.4), with `τ = R·C`, `V∞ = E_L + amp·R`:
///
/// ```text
/// t < start:          V = E_L + (V0 - E_L)·exp(-t/τ)
/// start <= t < stop:  V = V∞  + (V(start) - V∞)·exp(-(t - start)/τ)
/// t >= stop:          V = E_L + (V(stop) - E_L)·exp(-(t - stop)/τ)
/// ```
///
/// `V` is continuous at both edges (its derivative jumps by `±amp/C`). The state is defined
/// from t = 0: a step starting before 0 counts from 0, and a negative time gives `V0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RcStep {
    /// The compartment.
    pub membrane: Membrane,
    /// The injected current.
    pub step: CurrentStep,
    /// The potential at t = 0 (mV).
    pub v0_mv: f64,
}

impl RcStep {
    /// The compartment `membrane` at `v0_mv` at t = 0, under `step`.
    pub fn new(membrane: Membrane, step: CurrentStep, v0_mv: f64) -> Self {
        Self {
            membrane,
            step,
            v0_mv,
        }
    }

    /// The membrane potential (mV) at `t_ms` (ms); `V0` before 0, NaN for invalid parameters
    /// (non-positive or non-finite `C`, `R`) or a NaN time.
    pub fn v(&self, t_ms: f64) -> f64 {
        if !self.membrane.is_valid() {
            return f64::NAN;
        }
        if t_ms <= 0.0 {
            return self.v0_mv;
        }
        evolve(&self.membrane, &self.step, 0.0, self.v0_mv, t_ms)
    }

    /// [`RcStep::v`] at each of `times` (ms, any order).
    pub fn trace(&self, times: &[f64]) -> Vec<f64> {
        times.iter().map(|&t| self.v(t)).collect()
    }
}

/// A current-based leaky integrate-and-fire neuron under a current step (no synapses): the
/// membrane of [`RcStep`] plus a threshold. When `V` reaches `v_th_mv` from below it spikes,
/// `V` is reset to `v_reset_mv` and held there (clamped; the current is ignored) for
/// `t_ref_ms`, then integrates again from `v_reset_mv` (Lapicque's model as in Dayan & Abbott
/// 2001, §5.4; Tuckwell 1988, vol. 1; NEST's `iaf_psc_*` and PyNN's `IF_curr_*` with
/// no synaptic input).
///
/// Spike times are exact: between events the membrane follows the closed form, and each
/// crossing is solved from it with [`threshold_crossing_time`], so the inter-spike interval
/// under a constant current `I` is `t_ref + τ·ln((V∞ - V_reset)/(V∞ - V_th))`, `V∞ = E_L +
/// I·R`. `V(0) = v0_mv`; a membrane starting at or above the threshold spikes at t = 0.
///
/// Parameters must satisfy `C, R > 0`, `t_ref >= 0` and `V_reset < V_th` (all finite; the
/// step's `stop_ms` may be infinite). Otherwise the model is ill-posed (with `V_reset >= V_th`
/// and no refractory period it would spike infinitely often) and the methods give no spikes
/// and NaN potentials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lif {
    /// The passive membrane.
    pub membrane: Membrane,
    /// The injected current.
    pub step: CurrentStep,
    /// The potential at t = 0 (mV).
    pub v0_mv: f64,
    /// The spike threshold `V_th` (mV).
    pub v_th_mv: f64,
    /// The potential after a spike `V_reset` (mV).
    pub v_reset_mv: f64,
    /// The refractory period `t_ref` (ms), during which `V = V_reset`.
    pub t_ref_ms: f64,
}

impl Lif {
    /// Whether the parameters are well-posed (see the type's documentation).
    pub fn is_valid(&self) -> bool {
        self.membrane.is_valid()
            && self.v0_mv.is_finite()
            && self.v_th_mv.is_finite()
            && self.v_reset_mv.is_finite()
            && self.v_reset_mv < self.v_th_mv
            && self.t_ref_ms >= 0.0
            && self.t_ref_ms.is_finite()
            && self.step.amp_na.is_finite()
            && self.step.start_ms.is_finite()
            && !self.step.stop_ms.is_nan()
    }

    /// The first time at or after `t` (with `V(t) = v`) and not after `horizon` at which the
    /// membrane reaches the threshold, following the current's constant pieces.
    fn next_crossing(&self, mut t: f64, mut v: f64, horizon: f64) -> Option<f64> {
        let m = &self.membrane;
        let tau = m.tau_ms();
        let mut edges = [self.step.start_ms, self.step.stop_ms, f64::INFINITY].into_iter();
        loop {
            // The end of the constant piece starting at t.
            let end = edges.find(|&e| e > t).unwrap_or(f64::INFINITY);
            let i = self.step.at(t);
            if let Some(dt) = threshold_crossing_time(v, m.v_inf(i), self.v_th_mv, tau) {
                let at = t + dt;
                if at <= end && at <= horizon {
                    return Some(at);
                }
            }
            if end >= horizon || end.is_infinite() {
                return None;
            }
            v = m.relax(v, i, end - t);
            t = end;
        }
    }

    /// The time of the first spike (ms), over all t >= 0; `None` when the neuron never
    /// spikes (or the parameters are invalid).
    ///
    /// For a DC current switched on at `start` with the membrane at rest until then (`V0 =
    /// E_L`), this is `start + τ·ln((V∞ - V0)/(V∞ - V_th))` when `V∞ > V_th`, none otherwise
    /// (PyNN's check). With NEST's figures (`I` = 1000 pA, `τ_m` = 10 ms, `C_m` = 250 pF, so
    /// `R` = 40 MΩ and `V∞` = 40 mV above `E_L`; `V_th` 15 mV above) it is
    /// `10·ln(40/25)` = 4.70004 ms.
    pub fn first_spike_time(&self) -> Option<f64> {
        if !self.is_valid() {
            return None;
        }
        self.next_crossing(0.0, self.v0_mv, f64::INFINITY)
    }

    /// All spike times on `[0, t_end_ms]` (ms), increasing; empty for invalid parameters or
    /// a non-finite `t_end_ms`. Each interval is solved exactly from the closed form (no time
    /// stepping); the count is about `t_end / ISI`, so a tiny ISI (`t_ref = 0` and a huge
    /// current) gives a long vector.
    pub fn spike_times(&self, t_end_ms: f64) -> Vec<f64> {
        let mut spikes = Vec::new();
        if !self.is_valid() || !t_end_ms.is_finite() {
            return spikes;
        }
        let (mut t, mut v) = (0.0, self.v0_mv);
        while let Some(s) = self.next_crossing(t, v, t_end_ms) {
            if spikes.last().is_some_and(|&p| s <= p) {
                // The interval fell below the resolution of the time (an absurd current with
                // no refractory period): stop rather than repeat the same time forever.
                break;
            }
            spikes.push(s);
            t = s + self.t_ref_ms;
            v = self.v_reset_mv;
            if t > t_end_ms {
                break;
            }
        }
        spikes
    }

    /// The inter-spike interval under a constant current `i_na` (nA) once firing is regular:
    /// `t_ref + τ·ln((V∞ - V_reset)/(V∞ - V_th))` (ms), `V∞ = E_L + I·R`; `None` when
    /// `V∞ <= V_th` (no repetitive firing) or the parameters are invalid.
    pub fn isi_ms(&self, i_na: f64) -> Option<f64> {
        if !self.is_valid() {
            return None;
        }
        let m = &self.membrane;
        let climb =
            threshold_crossing_time(self.v_reset_mv, m.v_inf(i_na), self.v_th_mv, m.tau_ms())?;
        Some(self.t_ref_ms + climb)
    }

    /// The potential at `t` given the spikes up to at least `t` (sorted).
    fn v_given(&self, spikes: &[f64], t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        if t < 0.0 {
            return self.v0_mv;
        }
        let last = spikes.partition_point(|&s| s <= t);
        match last.checked_sub(1).map(|k| spikes[k]) {
            None => evolve(&self.membrane, &self.step, 0.0, self.v0_mv, t),
            Some(s) if t < s + self.t_ref_ms => self.v_reset_mv,
            Some(s) => evolve(
                &self.membrane,
                &self.step,
                s + self.t_ref_ms,
                self.v_reset_mv,
                t,
            ),
        }
    }

    /// The membrane potential (mV) at `t_ms` (ms): the closed form between spikes, `V_reset`
    /// during each refractory period `[spike, spike + t_ref)`, and `V_reset` at a spike time
    /// itself (the value just after the reset; the limit from the left is `V_th`). Never NaN
    /// for valid parameters and a non-NaN time; NaN for invalid parameters. `V0` before 0.
    pub fn v(&self, t_ms: f64) -> f64 {
        self.trace(&[t_ms])[0]
    }

    /// [`Lif::v`] at each of `times` (ms, any order); the spikes are solved once, up to the
    /// latest time.
    pub fn trace(&self, times: &[f64]) -> Vec<f64> {
        if !self.is_valid() {
            return vec![f64::NAN; times.len()];
        }
        let t_max = times
            .iter()
            .copied()
            .filter(|t| t.is_finite())
            .fold(0.0, f64::max);
        let spikes = self.spike_times(t_max);
        times.iter().map(|&t| self.v_given(&spikes, t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// NEST's figures: I = 1000 pA, tau_m = 10 ms, C_m = 250 pF, E_L = 0, V0 = 0.
    fn nest_membrane() -> Membrane {
        Membrane::from_tau(10.0, 0.25, 0.0)
    }

    fn nest_lif() -> Lif {
        Lif {
            membrane: nest_membrane(),
            step: CurrentStep::dc(1.0),
            v0_mv: 0.0,
            v_th_mv: 15.0,
            v_reset_mv: 0.0,
            t_ref_ms: 2.0,
        }
    }

    #[test]
    fn nest_figures() {
        let m = nest_membrane();
        assert!(close(m.r_mohm, 40.0, 1e-12));
        assert!(close(m.v_inf(1.0), 40.0, 1e-12));
        let rc = RcStep::new(m, CurrentStep::dc(1.0), 0.0);
        // 40·(1 - e^-0.5)
        assert!(close(rc.v(5.0), 15.7388, 1e-4), "{}", rc.v(5.0));
        assert!(close(rc.v(5.0), 40.0 * (1.0 - (-0.5f64).exp()), 1e-12));
        let first = nest_lif().first_spike_time().unwrap();
        assert!(close(first, 4.7000, 1e-4), "{first}");
        assert!(close(first, 10.0 * (40.0f64 / 25.0).ln(), 1e-12));
        assert!(close(first, 4.700_036_292_457_356, 1e-12), "{first}");
    }

    #[test]
    fn pynn_first_spike_formula() {
        // Step from t_start = 20 ms, rest until then.
        let lif = Lif {
            membrane: Membrane::from_tau(20.0, 1.0, -65.0),
            step: CurrentStep::new(0.8, 20.0, f64::INFINITY),
            v0_mv: -65.0,
            v_th_mv: -50.0,
            v_reset_mv: -70.0,
            t_ref_ms: 2.0,
        };
        let v_inf: f64 = -65.0 + 0.8 * 20.0; // -49 mV
        let expected = 20.0 + 20.0 * ((v_inf - -65.0) / (v_inf - -50.0)).ln();
        assert!(close(lif.first_spike_time().unwrap(), expected, 1e-12));
        // Sub-threshold: V∞ = -51 mV, no spike ever.
        let sub = Lif {
            step: CurrentStep::new(0.7, 20.0, f64::INFINITY),
            ..lif
        };
        assert_eq!(sub.first_spike_time(), None);
        assert!(sub.spike_times(1000.0).is_empty());
        assert_eq!(threshold_crossing_time(-65.0, -51.0, -50.0, 20.0), None);
        assert_eq!(
            threshold_crossing_time(-40.0, -51.0, -50.0, 20.0),
            Some(0.0)
        );
    }

    #[test]
    fn lif_isi_is_exact() {
        let lif = nest_lif();
        let spikes = lif.spike_times(100.0);
        let first = 10.0 * (40.0f64 / 25.0).ln();
        // Reset to 0 = V0, so the climb from reset equals the first latency.
        let isi = 2.0 + 10.0 * (40.0f64 / 25.0).ln();
        assert!(close(lif.isi_ms(1.0).unwrap(), isi, 1e-12));
        assert!(close(spikes[0], first, 1e-12));
        assert!(close(spikes[1], first + isi, 1e-12), "{spikes:?}");
        for (k, s) in spikes.iter().enumerate() {
            assert!(close(*s, first + k as f64 * isi, 1e-9));
        }
        assert_eq!(spikes.len(), ((100.0 - first) / isi) as usize + 1);
        // A reset below rest: the second spike is first + t_ref + τ ln((V∞ - V_reset)/(V∞ - V_th)).
        let low = Lif {
            v_reset_mv: -10.0,
            ..lif
        };
        let s = low.spike_times(30.0);
        let climb = 10.0 * (50.0f64 / 25.0).ln();
        assert!(close(s[1], s[0] + 2.0 + climb, 1e-12), "{s:?}");
    }

    #[test]
    fn lif_trace_is_clamped_and_nan_free() {
        let lif = nest_lif();
        let times: Vec<f64> = (0..=2000).map(|k| k as f64 * 0.01).collect();
        let v = lif.trace(&times);
        let spikes = lif.spike_times(20.0);
        assert!(v
            .iter()
            .all(|x| x.is_finite() && *x < 15.0 + 1e-12 && *x >= 0.0));
        // During refractoriness the membrane sits at reset.
        assert_eq!(lif.v(spikes[0] + 1.0), 0.0);
        assert_eq!(lif.v(spikes[0]), 0.0);
        // Just before the spike it is just below threshold.
        assert!(close(lif.v(spikes[0] - 1e-9), 15.0, 1e-8));
        // After refractoriness it climbs exactly like from t = 0.
        let after = spikes[0] + 2.0 + 1.3;
        assert!(close(
            lif.v(after),
            RcStep::new(nest_membrane(), CurrentStep::dc(1.0), 0.0).v(1.3),
            1e-12
        ));
        assert_eq!(lif.v(-1.0), 0.0);
        assert!(lif.v(f64::NAN).is_nan());
    }

    #[test]
    fn lif_current_stop_and_invalid() {
        // The current stops before the membrane reaches threshold: no spike.
        let lif = Lif {
            step: CurrentStep::new(1.0, 0.0, 4.0),
            ..nest_lif()
        };
        assert_eq!(lif.first_spike_time(), None);
        // Stops exactly at the crossing: that crossing counts.
        let crossing = threshold_crossing_time(0.0, 40.0, 15.0, 10.0).unwrap();
        let lif = Lif {
            step: CurrentStep::new(1.0, 0.0, crossing),
            ..nest_lif()
        };
        assert_eq!(lif.spike_times(100.0).len(), 1);
        // Starting above threshold spikes at once.
        let hot = Lif {
            v0_mv: 20.0,
            ..nest_lif()
        };
        assert_eq!(hot.first_spike_time(), Some(0.0));
        // Ill-posed: reset at threshold.
        let bad = Lif {
            v_reset_mv: 15.0,
            t_ref_ms: 0.0,
            ..nest_lif()
        };
        assert!(bad.spike_times(10.0).is_empty());
        assert!(bad.v(1.0).is_nan());
        assert_eq!(bad.first_spike_time(), None);
        assert!(nest_lif().spike_times(f64::INFINITY).is_empty());
    }

    #[test]
    fn rc_step_on_off_is_continuous() {
        let m = Membrane::new(0.1, 100.0, -70.0); // τ = 10 ms
        let rc = RcStep::new(m, CurrentStep::new(0.2, 5.0, 25.0), -60.0);
        for edge in [5.0, 25.0] {
            let (a, b) = (rc.v(edge - 1e-9), rc.v(edge + 1e-9));
            assert!(close(a, b, 1e-8), "{edge}: {a} {b}");
            assert!(close(rc.v(edge), a, 1e-8));
        }
        // Before the step: relaxing from V0 to E_L.
        assert!(close(rc.v(5.0), -70.0 + 10.0 * (-0.5f64).exp(), 1e-12));
        // On: towards V∞ = -50.
        let v_on = -50.0 + (rc.v(5.0) + 50.0) * (-1.0f64).exp();
        assert!(close(rc.v(15.0), v_on, 1e-12));
        // Off: back to rest.
        let v_stop = -50.0 + (rc.v(5.0) + 50.0) * (-2.0f64).exp();
        assert!(close(
            rc.v(35.0),
            -70.0 + (v_stop + 70.0) * (-1.0f64).exp(),
            1e-12
        ));
        assert_eq!(rc.v(0.0), -60.0);
        assert_eq!(rc.v(-3.0), -60.0);
        assert!(
            RcStep::new(Membrane::new(0.0, 1.0, 0.0), CurrentStep::dc(1.0), 0.0)
                .v(1.0)
                .is_nan()
        );
        // A derivative check: C dV/dt = -(V - E_L)/R + I inside the step.
        let (t, h) = (12.0, 1e-5);
        let dvdt = (rc.v(t + h) - rc.v(t - h)) / (2.0 * h);
        assert!(close(0.1 * dvdt, -(rc.v(t) + 70.0) / 100.0 + 0.2, 1e-8));
    }

    proptest! {
        #[test]
        fn rc_trace_lies_between_v0_and_v_inf(
            tau in 0.5f64..100.0,
            c in 0.01f64..2.0,
            amp in -2.0f64..2.0,
            v0 in -90.0f64..0.0,
            t in 0.0f64..500.0,
        ) {
            let m = Membrane::from_tau(tau, c, -65.0);
            let rc = RcStep::new(m, CurrentStep::dc(amp), v0);
            let v = rc.v(t);
            let (lo, hi) = (v0.min(m.v_inf(amp)), v0.max(m.v_inf(amp)));
            prop_assert!(v >= lo - 1e-9 && v <= hi + 1e-9, "{} not in [{}, {}]", v, lo, hi);
        }

        #[test]
        fn lif_spikes_increase_by_at_least_the_refractory_period(
            amp in 0.0f64..5.0,
            t_ref in 0.0f64..5.0,
            v0 in -80.0f64..-50.5,
            start in 0.0f64..50.0,
        ) {
            let lif = Lif {
                membrane: Membrane::from_tau(20.0, 0.25, -65.0),
                step: CurrentStep::new(amp, start, 150.0),
                v0_mv: v0,
                v_th_mv: -50.0,
                v_reset_mv: -65.0,
                t_ref_ms: t_ref,
            };
            let s = lif.spike_times(200.0);
            prop_assert!(s.windows(2).all(|w| w[1] > w[0] + t_ref));
            prop_assert!(s.iter().all(|&x| (0.0..=150.0).contains(&x)));
            let v = lif.trace(&[0.0, 10.0, 50.0, 100.0, 150.0, 199.0]);
            prop_assert!(v.iter().all(|x| x.is_finite() && *x <= -50.0 + 1e-9));
            if let Some(isi) = lif.isi_ms(amp) {
                let regular: Vec<f64> = s.windows(2).map(|w| w[1] - w[0]).collect();
                prop_assert!(regular.iter().all(|d| (d - isi).abs() < 1e-9));
            }
        }
    }
}
