//! The passive finite cable with sealed ends and a current step injected at one end:
//! Rallpack 1 (Bhalla, Bilitch & Bower 1992, "Rallpacks: a set of benchmarks for neuronal
//! simulators", Trends Neurosci. 15:453–458), the model NSuite's `rallpack1` validates Arbor
//! and NEURON against.
//!
//! A uniform cable of diameter `d` and length `L`, membrane resistivity `R_m`, specific
//! capacitance `C_m`, axial resistivity `R_a`, at rest (`V = E`) everywhere at t = 0, receives
//! a constant current `I` at `x = 0` from t = 0 on; both ends are sealed (no axial current
//! leaves, so the injection is the boundary condition at `x = 0`). With
//!
//! ```text
//! λ     = sqrt(R_m·d / (4·R_a))          length constant
//! τ     = R_m·C_m                        membrane time constant
//! r_a   = 4·R_a / (π·d²)                 axial resistance per unit length
//! R_inf = r_a·λ = 4·R_a·λ / (π·d²)       input resistance of a semi-infinite cable
//! X = x/λ,  T = t/τ,  ℓ = L/λ
//! ```
//!
//! the deflection `u = V - E` obeys the cable equation `∂u/∂T = ∂²u/∂X² - u` with `∂u/∂X =
//! -I·R_inf` at `X = 0` and `∂u/∂X = 0` at `X = ℓ` (Rall 1959, 1969; Koch 1999, "Biophysics of
//! Computation", ch. 2; Tuckwell 1988, "Introduction to Theoretical Neurobiology", vol. 1). Its steady state is
//!
//! ```text
//! u∞(X) = I·R_inf·cosh(ℓ - X) / sinh(ℓ)
//! ```
//!
//! (input resistance `R_inf·coth ℓ` at `x = 0`). The transient, from separating variables on
//! the eigenfunctions `cos(nπX/ℓ)` of the sealed cable (decay rates `1 + (nπ/ℓ)²` in units of
//! `1/τ`) and projecting `u(X, 0) = 0`, using `∫₀^ℓ cosh(ℓ - X)·cos(kX) dX = sinh ℓ/(1 + k²)`:
//!
//! ```text
//! u(X, T) = I·R_inf·[ cosh(ℓ - X)/sinh ℓ  -  e^-T/ℓ
//!                     - (2/ℓ)·Σ_{n≥1} cos(k_n·X)·e^{-(1 + k_n²)T}/(1 + k_n²) ],   k_n = nπ/ℓ
//! ```
//!
//! (the same series as NSuite's `generate-rallpack1`, which writes it in the distance from the
//! far end). For `ℓ ≫ 1` and small `T` the near end behaves like a semi-infinite cable, `u(0,
//! T) = I·R_inf·erf(√T)`, growing like `2·I·R_inf·√(T/π)` at first (Jack, Noble & Tsien 1975,
//! "Electric Current Flow in Excitable Cells"; Koch 1999, ch. 2).
//!
//! # Convergence of the series
//!
//! The terms after the `N`-th are bounded, whatever `X`, by
//!
//! ```text
//! |tail_N| <= (2/ℓ)·e^{-T(1 + k_{N+1}²)}·Σ_{n>N} 1/k_n²  <=  (2ℓ/(π²·N))·e^{-T(1 + k_{N+1}²)}
//! ```
//!
//! in units of `I·R_inf` (`Σ_{n>N} 1/n² <= 1/N`). Terms are added until this bound is below
//! [`SERIES_TOLERANCE`] (1e-9), so the error is at most `1e-9·|I|·R_inf`: 1e-9 of the largest
//! deflection the cable reaches (the steady state at `x = 0`, `I·R_inf·coth ℓ`), which is what
//! a trace's relative error is measured against. That takes about `(ℓ/π)·sqrt(21/T)` terms:
//! one for `T ≳ 20`, ~90 for Rallpack 1 at 0.01 ms (`T` = 2.5e-4), ~8000 at 1 ns. The count
//! is capped at [`MAX_SERIES_TERMS`] (10⁶), reached only when `T < 21·ℓ²/(π²·10¹²)` (for
//! Rallpack 1, `ℓ` = 1 and `τ` = 40 ms: t < 1e-10 ms); there the truncation error is at most
//! `2ℓ/(π²·10⁶)·|I|·R_inf` (≈ 2e-7·ℓ of `I·R_inf`; 2.6e-5 mV for Rallpack 1; at `x = 0` the
//! value errs towards depolarisation). At exactly `t = 0` the cable is at rest (`V = E`, no
//! series).
//!
//! Units: lengths in µm, times in ms, current in nA, potentials in mV, and NEURON's specific
//! units `R_a` in Ω·cm, `R_m` in Ω·cm², `C_m` in µF/cm² (Rallpack 1's 1 Ω·m, 4 Ω·m², 0.01
//! F/m² are 100 Ω·cm, 40000 Ω·cm², 1 µF/cm²).

/// The series stops once its remaining terms are bounded by this, in units of `|I|·R_inf`.
pub const SERIES_TOLERANCE: f64 = 1e-9;

/// The most terms the transient series takes (see the module documentation for the error at
/// the cap).
pub const MAX_SERIES_TERMS: usize = 1_000_000;

/// A passive uniform cable, sealed at both ends, at rest at t = 0, with a constant current
/// injected at `x = 0` from t = 0 on (see the module documentation for the formulas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassiveCable {
    /// Axial resistivity `R_a` (Ω·cm).
    pub ra_ohm_cm: f64,
    /// Membrane resistivity `R_m` (Ω·cm²).
    pub rm_ohm_cm2: f64,
    /// Specific membrane capacitance `C_m` (µF/cm²).
    pub cm_uf_per_cm2: f64,
    /// Diameter `d` (µm).
    pub diameter_um: f64,
    /// Length `L` (µm).
    pub length_um: f64,
    /// Resting (leak reversal) potential `E` (mV), the potential everywhere at t = 0.
    pub e_rest_mv: f64,
    /// Injected current `I` (nA) at `x = 0`, from t = 0 on; positive depolarises.
    pub i_na: f64,
}

impl PassiveCable {
    /// Rallpack 1 (Bhalla, Bilitch & Bower 1992): `R_a` = 1 Ω·m (100 Ω·cm), `R_m` = 4 Ω·m²
    /// (40000 Ω·cm²), `C_m` = 0.01 F/m² (1 µF/cm²), `d` = 1 µm, `L` = 1 mm, `I` = 0.1 nA,
    /// `E` = -65 mV. Then `λ` = 1 mm (so `ℓ` = 1), `τ` = 40 ms and `R_inf` = 4000/π MΩ.
    pub fn rallpack1() -> Self {
        Self {
            ra_ohm_cm: 100.0,
            rm_ohm_cm2: 40000.0,
            cm_uf_per_cm2: 1.0,
            diameter_um: 1.0,
            length_um: 1000.0,
            e_rest_mv: -65.0,
            i_na: 0.1,
        }
    }

    /// The length constant `λ = sqrt(R_m·d/(4·R_a))` (µm).
    pub fn lambda_um(&self) -> f64 {
        // R_m [Ω cm²]·d [cm]/R_a [Ω cm] is in cm²; ×1e4 for µm.
        (self.rm_ohm_cm2 * self.diameter_um * 1e-4 / (4.0 * self.ra_ohm_cm)).sqrt() * 1e4
    }

    /// The membrane time constant `τ = R_m·C_m` (ms).
    pub fn tau_ms(&self) -> f64 {
        // Ω·cm² × µF/cm² = µs.
        self.rm_ohm_cm2 * self.cm_uf_per_cm2 * 1e-3
    }

    /// The electrotonic length `ℓ = L/λ` (dimensionless).
    pub fn electrotonic_length(&self) -> f64 {
        self.length_um / self.lambda_um()
    }

    /// The input resistance of a semi-infinite cable of this kind, `R_inf = 4·R_a·λ/(π·d²)`
    /// (MΩ).
    pub fn r_inf_mohm(&self) -> f64 {
        // Ω·cm × µm / µm² = 1e4 Ω; ×1e-6 for MΩ.
        4.0 * self.ra_ohm_cm * self.lambda_um() / (std::f64::consts::PI * self.diameter_um.powi(2))
            * 1e-2
    }

    /// The steady-state input resistance at `x = 0` of this sealed cable, `R_inf·coth(ℓ)`
    /// (MΩ).
    pub fn input_resistance_mohm(&self) -> f64 {
        self.r_inf_mohm() * cosh_ratio(self.electrotonic_length(), 0.0)
    }

    fn is_valid(&self) -> bool {
        [
            self.ra_ohm_cm,
            self.rm_ohm_cm2,
            self.cm_uf_per_cm2,
            self.diameter_um,
            self.length_um,
        ]
        .iter()
        .all(|p| *p > 0.0 && p.is_finite())
            && self.e_rest_mv.is_finite()
            && self.i_na.is_finite()
    }

    /// `X = x/λ`, or `None` when the cable is invalid or `x` is outside `[0, L]` (or NaN).
    fn position(&self, x_um: f64) -> Option<f64> {
        (self.is_valid() && (0.0..=self.length_um).contains(&x_um)).then(|| x_um / self.lambda_um())
    }

    /// The steady-state potential (mV) at `x_um` (µm from the injection end): `E + I·R_inf·
    /// cosh((L - x)/λ)/sinh(L/λ)` (Rall 1959; Koch 1999, ch. 2), evaluated without overflow for
    /// long cables. NaN outside `[0, L]` or for invalid parameters (non-positive or
    /// non-finite `R_a`, `R_m`, `C_m`, `d`, `L`).
    pub fn steady_state_mv(&self, x_um: f64) -> f64 {
        match self.position(x_um) {
            Some(x) => {
                self.e_rest_mv
                    + self.i_na * self.r_inf_mohm() * cosh_ratio(self.electrotonic_length(), x)
            }
            None => f64::NAN,
        }
    }

    /// The potential (mV) at `x_um` (µm from the injection end) and `t_ms` (ms), from the
    /// eigenfunction series to within `1e-9·|I|·R_inf` (see the module documentation; the
    /// cap on the number of terms loosens this only for t below ~2e-12·τ·ℓ²). `E` at and
    /// before t = 0; the steady state at `t = ∞`; NaN outside `[0, L]`, for a NaN time or for
    /// invalid parameters.
    pub fn v(&self, x_um: f64, t_ms: f64) -> f64 {
        let Some(x) = self.position(x_um) else {
            return f64::NAN;
        };
        if t_ms.is_nan() {
            return f64::NAN;
        }
        if t_ms <= 0.0 {
            return self.e_rest_mv;
        }
        let (u, _) = series(
            self.electrotonic_length(),
            x,
            t_ms / self.tau_ms(),
            SERIES_TOLERANCE,
            MAX_SERIES_TERMS,
        );
        self.e_rest_mv + self.i_na * self.r_inf_mohm() * u
    }

    /// [`PassiveCable::v`] at `x_um` (µm) for each of `times` (ms).
    pub fn trace(&self, x_um: f64, times: &[f64]) -> Vec<f64> {
        times.iter().map(|&t| self.v(x_um, t)).collect()
    }

    /// How many terms of the series [`PassiveCable::v`] sums at `t_ms` (ms) (the same at every
    /// `x`): 0 at or before t = 0 or for invalid parameters, at most [`MAX_SERIES_TERMS`].
    pub fn series_terms(&self, t_ms: f64) -> usize {
        if !self.is_valid() || t_ms.is_nan() || t_ms <= 0.0 {
            return 0;
        }
        series(
            self.electrotonic_length(),
            0.0,
            t_ms / self.tau_ms(),
            SERIES_TOLERANCE,
            MAX_SERIES_TERMS,
        )
        .1
    }
}

/// `cosh(ℓ - X)/sinh(ℓ)` as `(e^-X + e^-(2ℓ - X))/(1 - e^-2ℓ)`: no overflow for large `ℓ`.
fn cosh_ratio(l: f64, x: f64) -> f64 {
    ((-x).exp() + (x - 2.0 * l).exp()) / -(-2.0 * l).exp_m1()
}

/// The dimensionless deflection `u/(I·R_inf)` at `X`, `T > 0` for electrotonic length `l`,
/// summing terms until the tail bound `(2ℓ/(π²N))·e^{-T(1 + k_{N+1}²)}` is below `tol` or
/// `cap` terms were taken. Returns the value and the number of terms.
fn series(l: f64, x: f64, t: f64, tol: f64, cap: usize) -> (f64, usize) {
    let k1 = std::f64::consts::PI / l;
    let mut sum = 0.0;
    let mut n = 0;
    while n < cap {
        n += 1;
        let k = n as f64 * k1;
        let rate = 1.0 + k * k;
        sum += (k * x).cos() * (-rate * t).exp() / rate;
        let k_next = (n + 1) as f64 * k1;
        let bound = 2.0 * l / (std::f64::consts::PI.powi(2) * n as f64)
            * (-(1.0 + k_next * k_next) * t).exp();
        if bound <= tol {
            break;
        }
    }
    (cosh_ratio(l, x) - (-t).exp() / l - 2.0 / l * sum, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// erf from its Maclaurin series (fine to ~1e-15 for |z| <= 2).
    fn erf(z: f64) -> f64 {
        let mut term = z; // (-1)^n z^(2n+1)/n!
        let mut sum = 0.0;
        for n in 0..80 {
            sum += term / (2 * n + 1) as f64;
            term *= -z * z / (n + 1) as f64;
        }
        2.0 / PI.sqrt() * sum
    }

    #[test]
    fn rallpack1_constants_and_steady_state() {
        let c = PassiveCable::rallpack1();
        assert!((c.lambda_um() - 1000.0).abs() < 1e-9);
        assert!((c.tau_ms() - 40.0).abs() < 1e-12);
        assert!((c.electrotonic_length() - 1.0).abs() < 1e-12);
        assert!((c.r_inf_mohm() - 4000.0 / PI).abs() < 1e-9);
        // x = 0: E + I·R_inf·coth(1); x = L: E + I·R_inf/sinh(1).
        let r_inf = 4000.0 / PI;
        assert!((c.steady_state_mv(0.0) - (-65.0 + 0.1 * r_inf / 1f64.tanh())).abs() < 1e-9);
        assert!((c.steady_state_mv(1000.0) - (-65.0 + 0.1 * r_inf / 1f64.sinh())).abs() < 1e-9);
        assert!((c.steady_state_mv(0.0) - 102.180_844_913_037_3).abs() < 1e-9);
        assert!((c.steady_state_mv(1000.0) - 43.342_261_020_633_07).abs() < 1e-9);
        assert!((c.steady_state_mv(500.0) - 57.169_546_656_033).abs() < 1e-9);
        assert!((c.input_resistance_mohm() - 1_671.808_449_130_373).abs() < 1e-9);
        assert!(c.steady_state_mv(-1.0).is_nan() && c.steady_state_mv(1000.1).is_nan());
        assert!(c.v(f64::NAN, 1.0).is_nan() && c.v(0.0, f64::NAN).is_nan());
        let bad = PassiveCable {
            diameter_um: 0.0,
            ..c
        };
        assert!(bad.steady_state_mv(0.0).is_nan() && bad.v(0.0, 1.0).is_nan());
        assert_eq!(bad.series_terms(1.0), 0);
        // A very long cable: no overflow, and the semi-infinite steady state e^-X.
        let long = PassiveCable {
            length_um: 1e6,
            ..c
        }; // ℓ = 1000
        assert!((long.steady_state_mv(0.0) - (-65.0 + 0.1 * r_inf)).abs() < 1e-9);
        assert!(
            (long.steady_state_mv(2000.0) - (-65.0 + 0.1 * r_inf * (-2f64).exp())).abs() < 1e-9
        );
    }

    #[test]
    fn rallpack1_transient_matches_an_independent_evaluation() {
        // The series summed from the far end (NSuite's generate-rallpack1 form) in 30-digit
        // arithmetic (mpmath), rounded to 1e-12 mV.
        let c = PassiveCable::rallpack1();
        let reference = [
            (0.1, -57.822_496_865_391, -65.0),
            (1.0, -42.471_716_323_286, -64.999_911_491_427),
            (10.0, 1.473_297_664_162_3, -54.270_689_451_175),
            (40.0, 55.340_533_917_088, -3.497_158_422_328_3),
            (250.0, 101.935_051_858_483, 43.096_467_966_079),
        ];
        // 1e-9·I·R_inf = 1.3e-7 mV.
        let tol = 1e-9 * 0.1 * c.r_inf_mohm();
        for (t, v0, v1) in reference {
            assert!((c.v(0.0, t) - v0).abs() < tol, "x=0 t={t}: {}", c.v(0.0, t));
            assert!(
                (c.v(1000.0, t) - v1).abs() < tol,
                "x=L t={t}: {}",
                c.v(1000.0, t)
            );
        }
    }

    #[test]
    fn transient_starts_at_rest_and_reaches_the_steady_state() {
        let c = PassiveCable::rallpack1();
        assert_eq!(c.v(0.0, 0.0), -65.0);
        assert_eq!(c.v(500.0, -1.0), -65.0);
        assert_eq!(c.series_terms(0.0), 0);
        for x in [0.0, 250.0, 1000.0] {
            // t = 50 τ: e^-50 ≈ 2e-22.
            assert!((c.v(x, 2000.0) - c.steady_state_mv(x)).abs() < 1e-12);
            assert!((c.v(x, f64::INFINITY) - c.steady_state_mv(x)).abs() < 1e-12);
            // Monotone rise at every point (the response to a step is the integral of a
            // positive Green's function).
            let times: Vec<f64> = (1..400).map(|k| k as f64 * 0.5).collect();
            let v = c.trace(x, &times);
            // Up to the series' error, 1e-9·I·R_inf each.
            let tol = 2e-9 * 0.1 * c.r_inf_mohm();
            assert!(v.windows(2).all(|w| w[1] >= w[0] - tol), "x={x}");
            assert!(v
                .iter()
                .all(|&y| y >= -65.0 - tol && y <= c.steady_state_mv(x) + tol));
        }
        assert_eq!(c.series_terms(2000.0), 1);
    }

    #[test]
    fn near_end_follows_the_semi_infinite_sqrt_law() {
        // A long cable (ℓ = 10): u(0, T) = I·R_inf·erf(√T) while the far end is out of reach.
        let c = PassiveCable {
            length_um: 10_000.0,
            ..PassiveCable::rallpack1()
        };
        let scale = 0.1 * c.r_inf_mohm();
        for t in [1e-4, 0.04, 0.4, 4.0, 40.0, 80.0] {
            let expected = -65.0 + scale * erf((t / 40.0f64).sqrt());
            assert!(
                (c.v(0.0, t) - expected).abs() < 1e-9 * scale,
                "t={t}: {} vs {expected}",
                c.v(0.0, t)
            );
        }
        // Rallpack 1 itself (ℓ = 1) at small t: reflections are e^{-1/T}-small.
        let r = PassiveCable::rallpack1();
        for t in [1e-6, 1e-3, 0.01, 0.1] {
            let law = -65.0 + scale * erf((t / 40.0f64).sqrt());
            assert!((r.v(0.0, t) - law).abs() < 1e-9 * scale, "t={t}");
            // ≈ 2·I·R_inf·√(T/π) at first.
            // (erf z = (2/√π)(z - z³/3 + …), so the relative gap is below T/3.)
            let sqrt_law = 2.0 * scale * (t / 40.0 / PI).sqrt();
            let gap = (r.v(0.0, t) + 65.0 - sqrt_law).abs();
            assert!(gap < t / 40.0 / 3.0 * sqrt_law + 1e-9 * scale, "t={t}");
        }
    }

    #[test]
    fn series_meets_its_tolerance_and_cap() {
        let (l, x) = (1.0, 0.3);
        for t in [1e-6, 1e-4, 1e-2, 0.5, 3.0] {
            let (u, n) = series(l, x, t, SERIES_TOLERANCE, MAX_SERIES_TERMS);
            let (brute, _) = series(l, x, t, 0.0, 4 * n + 1000);
            assert!(
                (u - brute).abs() < SERIES_TOLERANCE,
                "T={t}: {u} vs {brute} ({n} terms)"
            );
            assert!(n < MAX_SERIES_TERMS);
        }
        // About (ℓ/π)·sqrt(21/T) terms.
        let c = PassiveCable::rallpack1();
        let n = c.series_terms(0.01);
        assert!((50..150).contains(&n), "{n}");
        assert_eq!(c.series_terms(1e-13), MAX_SERIES_TERMS);
        // At the cap the error is below 2ℓ/(π²·10⁶)·I·R_inf and towards depolarisation.
        let scale = 0.1 * c.r_inf_mohm();
        let bound = 2.0 / (PI * PI * MAX_SERIES_TERMS as f64) * scale;
        let t = 1e-13;
        let law = -65.0 + scale * erf((t / 40.0f64).sqrt());
        let v = c.v(0.0, t);
        assert!(
            v - law <= bound && v - law >= -1e-9 * scale,
            "{v} vs {law} (bound {bound})"
        );
    }
}
