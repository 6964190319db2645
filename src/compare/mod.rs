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

pub use omv::*;
