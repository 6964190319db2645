//! The comparison engine: how crosscheck decides whether two recordings agree.
//!
//! - [`omv`]: OMV's rule (relative tolerance on observables, spike detection, rates, resting
//!   values), re-exported here so that `crate::compare::X` paths keep working.
//! - [`spikes`]: spike trains: one-to-one matching within an absolute time window, and the
//!   van Rossum and Victor–Purpura distances.
//! - [`traces`]: voltage traces: resampling onto a common grid, error norms, and spike
//!   detection with interpolated crossing times.
//! - [`features`]: single-cell electrophysiology features (counts, latency, rates, resting
//!   potential, ISI variability, adaptation).
//! - [`stats`]: population statistics of network spike events (rates, CV of ISIs, Fano
//!   factor, pairwise correlation).
//!
//! Every kernel is a pure function on slices: no I/O, tolerant of unsorted input and NaN, and
//! never panicking, so that a broken simulator output yields a failed check, not a crash.

pub mod features;
pub mod omv;
pub mod spikes;
pub mod stats;
pub mod traces;
pub mod versions;

pub use omv::*;

/// A number for a one-line message: at most three decimals with trailing zeros trimmed, or
/// exponent form for tiny magnitudes so that a difference of 2e-5 does not read as "0".
pub(crate) fn fmt_short(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && a < 1e-3 {
        return format!("{x:.2e}");
    }
    let s = format!("{x:.3}");
    if s.contains('.') {
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".to_string()
        } else {
            s.to_string()
        }
    } else {
        s
    }
}

/// [`fmt_short`] with an explicit sign, for shifts ("+0.31", "-1.2").
pub(crate) fn fmt_signed(x: f64) -> String {
    let s = fmt_short(x);
    if x > 0.0 {
        format!("+{s}")
    } else {
        s
    }
}
