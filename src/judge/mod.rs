//! Judging: every verdict crosscheck gives, one module per kind of check. Each turns recordings
//! or output files into observables (`results::ObservableResult`) with a status and a reason;
//! the numeric kernels they share (spike matching, trace errors, statistics, OMV's own
//! comparison) are in [`crate::compare`], and what they judge is read by [`crate::data`] and
//! [`crate::suite_job`].
//!
//! | module | judges | needs |
//! |---|---|---|
//! | [`omv`] | an OMV test's observables against its `.mep` | the test's output files |
//! | [`analytic`] | a suite job against the exact answer of its model | the job's recordings |
//! | [`features`] | a suite job's features (counts, rates, first spikes, ...) | the job's recordings |
//! | [`statistics`] | a network job's population statistics and published figures | the job's recordings |
//! | [`reference`] | a suite job against its blessed reference data | the job's recordings |
//! | [`calibration`] | a network job's distributions against their seed-to-seed calibration | the job's recordings |
//! | [`agreement`] | every pair of engines that ran the same suite | all of the suite's recordings |
//! | [`convergence`] | each engine's order of accuracy over a time-step sweep | the sweep's analytic errors |
//!
//! All but `agreement` and `convergence` need only one job, so the runner judges them before
//! it reports the job (the live line shows the final verdict); those two run once every job
//! has finished, and are reported in sections of their own.

pub mod agreement;
pub mod analytic;
pub mod calibration;
pub mod convergence;
pub mod features;
pub mod omv;
pub mod reference;
pub mod statistics;
