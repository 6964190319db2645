//! Modified Bessel functions `I_ν` and `K_ν` of integer order, exponentially scaled, for the
//! steady state of a tapered cable ([`super::taper`]).
//!
//! Only what the cable needs: orders 1 and 2, real arguments `z > 0`, to ~1e-15 relative.
//! Scaled so that nothing overflows where the unscaled functions would (`I_ν(z)` exceeds
//! `f64` near z = 713):
//!
//! ```text
//! i_scaled(ν, z) = e^-z·I_ν(z)        k_scaled(ν, z) = e^z·K_ν(z)
//! ```
//!
//! Below `z` = [`ASYMPTOTIC_FROM`] they are integrals (Abramowitz & Stegun 9.6.19 and 9.6.24;
//! DLMF 10.32.3 and 10.32.9), taken by the trapezoidal rule, which converges geometrically
//! for these smooth integrands (Trefethen & Weideman 2014, "The exponentially convergent
//! trapezoidal rule", SIAM Review 56:385–458):
//!
//! ```text
//! e^-z·I_ν(z) = (1/π)·∫₀^π e^{z(cos θ - 1)}·cos(νθ) dθ       (periodic: its error is the
//!                                                            Fourier tail I_{2N±ν}(z)/I_ν(z))
//! e^z·K_ν(z)  = ∫₀^∞ e^{-z(cosh t - 1)}·cosh(νt) dt          (even and decaying doubly
//!                                                            exponentially)
//! ```
//!
//! From [`ASYMPTOTIC_FROM`] on they are the large-argument expansions (A&S 9.7.1 and 9.7.2;
//! DLMF 10.40.1 and 10.40.2), summed until a term is below 1e-17 of the sum; their smallest
//! term, and the exponentially small part the expansion of `I_ν` leaves out, are below
//! e^-2z ≈ 1e-43 there.

/// From this argument on, the asymptotic expansions are used.
pub const ASYMPTOTIC_FROM: f64 = 50.0;

/// `e^-z·I_ν(z)` for `z >= 0` (`I_ν(0)` is 1 for ν = 0, else 0); NaN for negative or NaN `z`.
pub fn i_scaled(nu: u32, z: f64) -> f64 {
    if z.is_nan() || z < 0.0 {
        return f64::NAN;
    }
    if z >= ASYMPTOTIC_FROM {
        return asymptotic(nu, z, -1.0) / (2.0 * std::f64::consts::PI * z).sqrt();
    }
    i_scaled_integral(nu, z)
}

/// `e^z·K_ν(z)` for `z > 0`; NaN for `z <= 0` or NaN (`K_ν` diverges at 0).
pub fn k_scaled(nu: u32, z: f64) -> f64 {
    if z.is_nan() || z <= 0.0 {
        return f64::NAN;
    }
    if z >= ASYMPTOTIC_FROM {
        return asymptotic(nu, z, 1.0) * (std::f64::consts::PI / (2.0 * z)).sqrt();
    }
    k_scaled_integral(nu, z)
}

/// The periodic integral of `e^-z·I_ν(z)` by the trapezoidal rule on `N` = 64 + 20·√z
/// intervals: the rule's error is `I_{2N-ν}(z)/I_ν(z)`, below e^-200 for `z < 50`.
fn i_scaled_integral(nu: u32, z: f64) -> f64 {
    let n = 64 + (20.0 * z.sqrt()).ceil() as usize;
    let h = std::f64::consts::PI / n as f64;
    let f = |theta: f64| (z * (theta.cos() - 1.0)).exp() * (f64::from(nu) * theta).cos();
    let inner: f64 = (1..n).map(|k| f(k as f64 * h)).sum();
    (0.5 * (f(0.0) + f(std::f64::consts::PI)) + inner) * h / std::f64::consts::PI
}

/// The integral of `e^z·K_ν(z)` by the trapezoidal rule over the whole line (the integrand is
/// even), with step `min(0.1, 0.5/√z)`: the error is below e^-40 for every `z` (for large `z`
/// the integrand's width shrinks as 1/√z, and the step with it), and the sum stops once a
/// term is below 1e-18 of it.
fn k_scaled_integral(nu: u32, z: f64) -> f64 {
    let h = (0.5 / z.sqrt()).min(0.1);
    let f = |t: f64| (-z * (t.cosh() - 1.0)).exp() * (f64::from(nu) * t).cosh();
    let mut sum = 0.5 * f(0.0);
    for k in 1.. {
        let term = f(k as f64 * h);
        sum += term;
        if term <= 1e-18 * sum || !term.is_finite() {
            break;
        }
    }
    sum * h
}

/// `Σ_k sign^k·a_k(ν)/z^k`, `a_k(ν) = Π_{j=1..k} (4ν² - (2j-1)²)/(k!·8^k)`: the bracket of both
/// large-argument expansions (`sign` -1 for `I_ν`, +1 for `K_ν`).
fn asymptotic(nu: u32, z: f64, sign: f64) -> f64 {
    let mu = 4.0 * f64::from(nu).powi(2);
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..200 {
        let odd = (2 * k - 1) as f64;
        let next = term * sign * (mu - odd * odd) / (k as f64 * 8.0 * z);
        // Past its smallest term the expansion diverges: stop there at the latest.
        if next == 0.0 || next.abs() >= term.abs() && k > 1 {
            break;
        }
        term = next;
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, rel: f64) {
        assert!(
            ((got - want) / want).abs() <= rel,
            "{got:e} vs {want:e} (relative {:e})",
            ((got - want) / want).abs()
        );
    }

    /// Values from mpmath 1.3 at 30 digits (`besseli`, `besselk`).
    #[test]
    fn matches_high_precision_values() {
        for (nu, z, i, k) in [
            (1, 0.1, 0.050062526047092694, 9.853844780870606),
            (1, 1.0, 0.565159103992485, 0.6019072301972346),
            (2, 1.0, 0.13574766976703828, 1.6248388986351776),
            (1, 3.5, 6.205834922258365, 0.022239392925923834),
            (2, 3.5, 3.8320120480778423, 0.032307121699467825),
            (1, 10.0, 2670.9883037012546, 1.8648773453825585e-5),
            (2, 10.0, 2281.5189677260037, 2.150981700693277e-5),
            (1, 60.0, 5.844751588390468e24, 1.4256320265171043e-27),
            (2, 60.0, 5.699252002663452e24, 1.461418908109678e-27),
        ] {
            close(i_scaled(nu, z) * z.exp(), i, 3e-15);
            close(k_scaled(nu, z) * (-z).exp(), k, 3e-15);
        }
    }

    /// The integrals and the expansions agree where one takes over from the other.
    #[test]
    fn integral_and_expansion_agree_at_the_switch() {
        for nu in [0, 1, 2, 3] {
            let z = ASYMPTOTIC_FROM;
            close(
                i_scaled_integral(nu, z),
                asymptotic(nu, z, -1.0) / (2.0 * std::f64::consts::PI * z).sqrt(),
                1e-14,
            );
            close(
                k_scaled_integral(nu, z),
                asymptotic(nu, z, 1.0) * (std::f64::consts::PI / (2.0 * z)).sqrt(),
                1e-14,
            );
        }
    }

    /// The Wronskian `I_ν(z)·K_{ν+1}(z) + I_{ν+1}(z)·K_ν(z) = 1/z` (DLMF 10.28.2), over the
    /// whole range: a check of both functions at once, with no table.
    #[test]
    fn wronskian_holds_from_small_to_large_arguments() {
        for z in [
            1e-3, 0.05, 0.7, 2.0, 9.9, 30.0, 49.9, 50.0, 75.0, 400.0, 1e5,
        ] {
            for nu in [0, 1] {
                let w =
                    i_scaled(nu, z) * k_scaled(nu + 1, z) + i_scaled(nu + 1, z) * k_scaled(nu, z);
                close(w, 1.0 / z, 1e-13);
            }
        }
    }

    #[test]
    fn outside_the_domain_is_nan() {
        assert!(i_scaled(1, -1.0).is_nan());
        assert!(k_scaled(1, 0.0).is_nan());
        assert!(k_scaled(2, f64::NAN).is_nan());
        assert!(i_scaled(1, 0.0).abs() < 1e-16);
        assert!((i_scaled(0, 0.0) - 1.0).abs() < 1e-16);
    }
}
