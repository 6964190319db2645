//! The steady state of a passive tapered cable (a conical frustum) with sealed ends and a
//! constant current injected at one end: NSuite's `cable-steadystate` model (Rallpack 1's
//! resistivities and length, the diameter varying linearly from one end to the other).
//!
//! The radius grows (or shrinks) linearly, `r(x) = r₀ + s·x` with `s = (r_L - r₀)/L`; the
//! membrane is the frustum's lateral surface, `2π·r·√(1+s²)` per unit length (as NEURON
//! computes a tapered segment's area from its 3-D points). In steady state the axial current
//! `-(π·r²/R_a)·dV/dx` loses, per unit length, what leaks through the membrane:
//!
//! ```text
//! (1/R_a)·d/dx(π·r²·du/dx) = 2π·r·√(1+s²)·u/R_m,      u = V - E
//! ```
//!
//! With `d/dx = s·d/dr` this is `r·u'' + 2·u' - c·u = 0` in `r`, `c = 2·R_a·√(1+s²)/(R_m·s²)`,
//! solved by `z⁻¹·I₁(z)` and `z⁻¹·K₁(z)` with `z = 2·√(c·r)` (the form `x·y'' + (ν+1)·y' - y = 0`
//! of DLMF 10.13.6 with ν = 1; the cone's Bessel solution goes back to Rall 1962 and Jack,
//! Noble & Tsien 1975, ch. 7). Their derivatives in `r` are `2c·z⁻²·I₂(z)` and
//! `-2c·z⁻²·K₂(z)` (DLMF 10.29.4). The sealed end `x = L` (`du/dx = 0`) and the injection
//! `-(π·r₀²/R_a)·du/dx = I` at `x = 0` fix the two constants:
//!
//! ```text
//! u(x) = (G/D)·[K₂(z_L)·I₁(z) + I₂(z_L)·K₁(z)]/z,     G = -2·I·R_a/(π·s·r₀),
//! D = I₂(z₀)·K₂(z_L) - I₂(z_L)·K₂(z₀),                z₀ = z(r₀), z_L = z(r_L)
//! ```
//!
//! NSuite's `generate-cable-steadystate` writes the same solution in its own variables (its
//! current enters at the far end). A uniform cable (`s` = 0) is [`PassiveCable`]'s cosh
//! solution, and the formula tends to it as the taper vanishes (tested). The functions are
//! evaluated exponentially scaled ([`super::bessel`]), so large arguments (a slight taper has
//! `z` in the millions) neither overflow nor lose digits: `z_L - z₀` stays near twice the
//! electrotonic length whatever the taper.
//!
//! Units as [`super::cable`]: µm, mV, nA, and NEURON's Ω·cm and Ω·cm².

use super::bessel::{i_scaled, k_scaled};
use super::cable::PassiveCable;

/// A passive cable whose diameter changes linearly from `diameter_um` at `x = 0`, where the
/// current enters, to `diameter_distal_um` at `x = L`; sealed at both ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaperedCable {
    /// Axial resistivity `R_a` (Ω·cm).
    pub ra_ohm_cm: f64,
    /// Membrane resistivity `R_m` (Ω·cm²).
    pub rm_ohm_cm2: f64,
    /// Diameter at `x = 0`, the injection end (µm).
    pub diameter_um: f64,
    /// Diameter at `x = L`, the far end (µm).
    pub diameter_distal_um: f64,
    /// Length `L` (µm).
    pub length_um: f64,
    /// Resting (leak reversal) potential `E` (mV).
    pub e_rest_mv: f64,
    /// Constant current `I` (nA) injected at `x = 0`; positive depolarises.
    pub i_na: f64,
}

impl TaperedCable {
    /// NSuite's `cable-steadystate` with its default parameters, written from the injection
    /// end: Rallpack 1's `R_a` = 1 Ω·m, `R_m` = 4 Ω·m², `L` = 1 mm and 0.1 nA, the diameter
    /// 1.7 µm where the current enters and 1.0 µm at the sealed far end, `E` = 0 mV.
    pub fn nsuite_default() -> Self {
        Self {
            ra_ohm_cm: 100.0,
            rm_ohm_cm2: 40000.0,
            diameter_um: 1.7,
            diameter_distal_um: 1.0,
            length_um: 1000.0,
            e_rest_mv: 0.0,
            i_na: 0.1,
        }
    }

    fn is_valid(&self) -> bool {
        [
            self.ra_ohm_cm,
            self.rm_ohm_cm2,
            self.diameter_um,
            self.diameter_distal_um,
            self.length_um,
        ]
        .iter()
        .all(|p| *p > 0.0 && p.is_finite())
            && self.e_rest_mv.is_finite()
            && self.i_na.is_finite()
    }

    /// The steady-state potential (mV) at `x_um` (µm from the injection end). NaN outside
    /// `[0, L]` or for invalid parameters (non-positive or non-finite resistivities, diameters
    /// or length).
    pub fn steady_state_mv(&self, x_um: f64) -> f64 {
        if !self.is_valid() || !(0.0..=self.length_um).contains(&x_um) {
            return f64::NAN;
        }
        if self.diameter_um == self.diameter_distal_um {
            return self.uniform().steady_state_mv(x_um);
        }
        // Lengths in cm from here on, so that R_a [Ω cm] and R_m [Ω cm²] need no factors.
        let um = 1e-4;
        let r0 = 0.5 * self.diameter_um * um;
        let rl = 0.5 * self.diameter_distal_um * um;
        let length = self.length_um * um;
        let s = (rl - r0) / length;
        let c = 2.0 * self.ra_ohm_cm * (1.0 + s * s).sqrt() / (self.rm_ohm_cm2 * s * s);
        let z_of = |r: f64| 2.0 * (c * r).sqrt();
        let (z0, zl, z) = (z_of(r0), z_of(rl), z_of(r0 + s * x_um * um));
        // G = -2·I·R_a/(π·s·r₀): nA × Ω·cm / cm is nA·Ω, 1e-6 mV.
        let g = -2.0 * self.i_na * self.ra_ohm_cm / (std::f64::consts::PI * s * r0) * 1e-6;
        // Every product below multiplies I's by K's; their scalings leave e^{±(a - b)}.
        let d = i_scaled(2, z0) * k_scaled(2, zl) * (z0 - zl).exp()
            - i_scaled(2, zl) * k_scaled(2, z0) * (zl - z0).exp();
        let bracket = k_scaled(2, zl) * i_scaled(1, z) * (z - zl).exp()
            + i_scaled(2, zl) * k_scaled(1, z) * (zl - z).exp();
        self.e_rest_mv + g / d * bracket / z
    }

    /// The uniform cable of the same diameter (used when there is no taper; its capacitance
    /// plays no part in a steady state).
    fn uniform(&self) -> PassiveCable {
        PassiveCable {
            ra_ohm_cm: self.ra_ohm_cm,
            rm_ohm_cm2: self.rm_ohm_cm2,
            cm_uf_per_cm2: 1.0,
            diameter_um: self.diameter_um,
            length_um: self.length_um,
            e_rest_mv: self.e_rest_mv,
            i_na: self.i_na,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// `u` at x, and its first and second derivatives by central differences (per µm).
    fn derivatives(cable: &TaperedCable, x: f64, h: f64) -> (f64, f64, f64) {
        let u = |x: f64| cable.steady_state_mv(x) - cable.e_rest_mv;
        let (a, b, c) = (u(x - h), u(x), u(x + h));
        (b, (c - a) / (2.0 * h), (c - 2.0 * b + a) / (h * h))
    }

    /// The formula solves the cable's equation inside and meets both boundary conditions,
    /// checked by finite differences in physical units, for widening and narrowing cables.
    #[test]
    fn solves_the_steady_cable_equation_with_its_boundary_conditions() {
        for (d0, dl) in [(1.7, 1.0), (1.0, 1.7), (2.0, 0.2), (0.5, 4.0)] {
            let cable = TaperedCable {
                diameter_um: d0,
                diameter_distal_um: dl,
                ..TaperedCable::nsuite_default()
            };
            let um = 1e-4; // cm
            let s = 0.5 * (dl - d0) / cable.length_um; // dr/dx, dimensionless
            let radius = |x: f64| (0.5 * d0 + s * x) * um;
            for x in [100.0, 333.0, 500.0, 871.0] {
                let (u, du, d2u) = derivatives(&cable, x, 0.5);
                // (1/R_a)·d/dx(π r² u') = (π/R_a)(r² u'' + 2 r r' u'), in cm and mV.
                let r = radius(x);
                let axial =
                    PI / cable.ra_ohm_cm * (r * r * d2u / (um * um) + 2.0 * r * s * du / um);
                let leak = 2.0 * PI * r * (1.0 + s * s).sqrt() * u / cable.rm_ohm_cm2;
                assert!(
                    ((axial - leak) / leak).abs() < 1e-5,
                    "d {d0}→{dl} at {x} µm: axial {axial:e}, leak {leak:e}"
                );
            }
            // Sealed far end: no axial current (its slope against the slope at the middle).
            let (_, slope_end, _) = derivatives(&cable, cable.length_um - 1e-3, 1e-3);
            let (_, slope_mid, _) = derivatives(&cable, 500.0, 1e-3);
            assert!((slope_end / slope_mid).abs() < 1e-4, "{slope_end:e}");
            // Injection end: the axial current is I (nA = 1e-9 A; mV/µm·Ω⁻¹·cm → A).
            let (_, du0, _) = derivatives(&cable, 1e-3, 1e-3);
            let r0 = radius(0.0);
            let current_na = -PI * r0 * r0 / cable.ra_ohm_cm * (du0 / um) * 1e-3 * 1e9;
            assert!(
                ((current_na - cable.i_na) / cable.i_na).abs() < 1e-4,
                "d {d0}→{dl}: {current_na} nA"
            );
        }
    }

    /// A vanishing taper gives the uniform cable's cosh, and the uniform case is that formula.
    #[test]
    fn a_slight_taper_tends_to_the_uniform_cable() {
        let uniform = TaperedCable {
            diameter_um: 1.0,
            diameter_distal_um: 1.0,
            ..TaperedCable::nsuite_default()
        };
        for x in [0.0, 250.0, 1000.0] {
            let exact = PassiveCable {
                e_rest_mv: 0.0,
                ..PassiveCable::rallpack1()
            }
            .steady_state_mv(x);
            assert_eq!(uniform.steady_state_mv(x), exact);
            for eps in [1e-3, 1e-5] {
                let slight = TaperedCable {
                    diameter_distal_um: 1.0 + eps,
                    ..uniform
                };
                let rel = (slight.steady_state_mv(x) - exact) / exact;
                // The first-order change is about eps in size; no loss of digits beyond it.
                assert!(
                    rel.abs() < 2.0 * eps && rel.abs() > 0.01 * eps,
                    "{eps} at {x}: {rel:e}"
                );
            }
        }
    }

    /// NSuite's default taper, pinned: evaluated independently with mpmath 1.3 at 30 digits
    /// from NSuite's own variables (injection at its wide end `b`, `u(x) = b/√x·(K₂(2√a)·I₁(2√x)
    /// + I₂(2√a)·K₁(2√x))/(K₂(2√a)·I₂(2√b) - I₂(2√a)·K₂(2√b))`, potential `-λ·E·u`).
    #[test]
    fn nsuite_default_taper_matches_an_independent_evaluation() {
        let cable = TaperedCable::nsuite_default();
        for (x, want) in [
            (0.0, NSUITE_NEAR),
            (500.0, NSUITE_MID),
            (1000.0, NSUITE_FAR),
        ] {
            let got = cable.steady_state_mv(x);
            assert!(((got - want) / want).abs() < 1e-12, "{x}: {got} vs {want}");
        }
    }

    // The same three values come from integrating the equation in x with mpmath's Taylor
    // solver (`odefun`) from the sealed end, to 17 digits.
    const NSUITE_NEAR: f64 = 109.68222890858398;
    const NSUITE_MID: f64 = 91.47547995803677;
    const NSUITE_FAR: f64 = 83.60005491244583;

    #[test]
    fn invalid_input_is_nan() {
        let cable = TaperedCable::nsuite_default();
        assert!(cable.steady_state_mv(-1.0).is_nan());
        assert!(cable.steady_state_mv(1000.1).is_nan());
        let flat = TaperedCable {
            diameter_distal_um: 0.0,
            ..cable
        };
        assert!(flat.steady_state_mv(10.0).is_nan());
    }
}
