//! The outcome of running and judging tests: the one data model every reporter reads.
//!
//! These types are serialised as-is into the `--json` document, so field names are part of
//! crosscheck's public interface (documented in the README). Add fields; do not rename them.

mod agreement;
mod convergence;
mod plots;
mod recordings;
mod report;

pub use agreement::{Agreement, PairAgreement, PairCheck};
pub use convergence::{Convergence, ConvergencePoint, EngineConvergence};
pub use plots::{DifferenceSeries, PlotData, PopulationSummary, SpikeSeries, TraceSeries};
pub use recordings::{Recordings, Trace};
pub use report::{HistorySummary, RunReport, Slowdown, TestTrend};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Verdict of one job (test × engine), ordered from best to worst so a summary can take the max.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The job ran, and none of its observables or checks failed.
    Pass,
    /// Not run: crosscheck cannot run the test on this engine (yet), or the run was
    /// interrupted before the job started.
    Skip,
    /// The job ran to the end, but an observable or check failed.
    Fail,
    /// The model could not be judged: a crash, a non-zero exit, missing output, an invalid
    /// file, an observable that could not be computed.
    Error,
    /// The job ran past its time limit (`--timeout`) and its process group was stopped.
    Timeout,
}

impl Status {
    /// The status as the reports and the history write it: `pass`, `skip`, `fail`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Timeout => "timeout",
        }
    }

    /// Whether this status makes the run as a whole unsuccessful.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error | Status::Timeout)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Numbers observed or expected for one observable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// One number: a rate, a resting potential, a feature of one cell.
    Scalar(f64),
    /// A sequence of numbers, such as spike times.
    List(Vec<f64>),
    /// A table, as a list of rows.
    Table(Vec<Vec<f64>>),
}

/// Verdict of one observable of one experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// The observed value agrees with the expected one (within tolerance, or in range).
    Pass,
    /// The observed value is out of tolerance (or range), or a suite's feature or statistic
    /// could not be measured (no spikes where some were needed).
    Fail,
    /// The observable could not be computed (missing or unreadable data, bad column...).
    Error,
}

/// The judged result of one observable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservableResult {
    /// What the observable is of: the `.omt` experiment's name; for crosscheck suites
    /// `<population> cell <n>`, `<population> population`, `reference` or `distributions`.
    pub experiment: String,
    /// OMV's name of the observable (`spike times`, `spike rate`, `resting`, `timeseries`).
    pub observable: String,
    /// The observable's verdict; `error` when it could not be computed.
    pub status: CheckStatus,
    /// The tolerance it was judged with: for OMV tests relative to the expected value (OMV's
    /// rule); for crosscheck suites absolute, in the checked value's unit (the KS-distance
    /// baseline for distributions, 0 for reference and range checks).
    pub tolerance: f64,
    /// The expected value; absent when it could not be read, or for checks without a single
    /// expected value (reference, distribution and range checks).
    pub expected: Option<Value>,
    /// The value computed from the simulator's output; absent when it could not be computed.
    pub observed: Option<Value>,
    /// Why it passed or failed, in numbers: the worst element, missing or extra spikes, ...
    pub message: String,
    /// The smallest tolerance with which this observable would pass, when one exists.
    pub min_passing_tolerance: Option<f64>,
    /// Where the observable is defined (the `.omt`), for annotations.
    pub file: PathBuf,
    /// Line of that definition in `file`.
    pub line: usize,
}

/// One command that a job ran, with how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// The command line, program first.
    pub argv: Vec<String>,
    /// The directory the command ran in.
    pub cwd: PathBuf,
    /// Exit code, absent when killed by a signal or not finished.
    pub exit_code: Option<i32>,
    /// Signal that ended the process, if any.
    pub signal: Option<i32>,
    /// Wall time of the command, in seconds.
    pub duration_s: f64,
    /// For a jNeuroML command: whether a warm JVM ran it or a fresh one (`argv` is then the
    /// `java -jar` line a warm run is equivalent to). Absent for other commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jvm: Option<Jvm>,
    /// Why a jNeuroML command ran in a fresh JVM although warm JVMs were on (the warm run
    /// failed, or the command needs another heap, ...). The cold run's outcome is the command's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_jvm_reason: Option<String>,
}

/// Which JVM ran a jNeuroML command (see [`crate::jvm`]); `Cold` is the greater, so a job's
/// is the greatest of its commands'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Jvm {
    /// A long-lived worker JVM, warm from earlier commands.
    Warm,
    /// A fresh `java -jar`.
    Cold,
}

/// The result of one job: one test run on one engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test's identifier (test file path relative to the path it was discovered under).
    pub id: String,
    /// What the test runs: its target file(s), relative to the copied repository root.
    pub model: String,
    /// The test file.
    pub file: PathBuf,
    /// Line of the test in its file.
    pub line: usize,
    /// The engine it ran on: an OMV engine (`jNeuroML_NEURON`, ...) or, for a crosscheck
    /// suite, the simulator (`NEURON`, `NEST`, `Brian2`, `jNeuroML`).
    pub engine: String,
    /// Exact version of the engine (and of what it runs on), e.g. `jNeuroML 0.14.0; NEURON 8.2.7`.
    pub engine_version: Option<String>,
    /// The job's verdict: that of its worst observable, unless the job ended before they
    /// were judged (an error, a timeout, a skip).
    pub status: Status,
    /// Wall time from copying the job's files to its verdict, in seconds; 0 for a job that did
    /// not run, and the recording run's time for a result from the cache.
    pub duration_s: f64,
    /// One line saying why, for anything but a pass.
    pub message: Option<String>,
    /// The judged observables: an OMV test's, or a crosscheck suite's feature, statistics and
    /// reference checks.
    pub observables: Vec<ObservableResult>,
    /// Every process the job ran, in order.
    pub commands: Vec<CommandRecord>,
    /// The last lines of the engine's combined stdout/stderr (always kept for non-passes).
    pub output_tail: Option<String>,
    /// The job's working directory, when kept (`--keep-workdirs`).
    pub workdir: Option<PathBuf>,
    /// True when this result is a recorded pass whose inputs have not changed, taken from the
    /// result cache instead of running the job again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// CPUs the job held from the run's budget (`-j`): its MPI ranks for the MPI engines
    /// (`NetPyNE_NP2`: 2), 1 for the others; at most the whole budget, when a job needs more
    /// than it (the job then ran alone). 1 in results written before it existed.
    #[serde(default = "one_cpu")]
    pub cpus: u32,
    /// When the job took its CPUs and when it gave them back (RFC 3339, milliseconds): what
    /// shows which jobs ran at the same time. Absent for jobs that did not run (skips, results
    /// from the cache) and in older results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the job gave its CPUs back (RFC 3339, milliseconds); absent like `started_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Decimated recordings for the HTML report (crosscheck suites). Absent in results written
    /// before it existed, and left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plots: Option<Box<PlotData>>,
    /// `warm` when every jNeuroML command of the job ran in a warm JVM, `cold` when one ran in
    /// a fresh JVM (see each command's `jvm`); absent when the job ran no jNeuroML command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jvm: Option<Jvm>,
}

impl TestResult {
    /// A result of test `id` on `engine` with `status` and nothing else recorded yet: no model,
    /// location, observables, commands or output; one CPU; not cached.
    pub fn new(id: impl Into<String>, engine: impl Into<String>, status: Status) -> Self {
        TestResult {
            id: id.into(),
            model: String::new(),
            file: PathBuf::new(),
            line: 1,
            engine: engine.into(),
            engine_version: None,
            status,
            duration_s: 0.0,
            message: None,
            observables: vec![],
            commands: vec![],
            output_tail: None,
            workdir: None,
            cached: false,
            cpus: 1,
            started_at: None,
            finished_at: None,
            plots: None,
            jvm: None,
        }
    }
}

fn one_cpu() -> u32 {
    1
}

/// Counts by status, for summary lines and exit codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Jobs in the run.
    pub total: usize,
    /// Jobs that passed (from the cache included).
    pub pass: usize,
    /// Jobs with an observable or check out of tolerance.
    pub fail: usize,
    /// Jobs that ended in an error (crash, non-zero exit, missing output, invalid file).
    pub error: usize,
    /// Jobs stopped at their time limit.
    pub timeout: usize,
    /// Jobs not run (engine not runnable here, or the run was interrupted first).
    pub skip: usize,
}

impl Summary {
    /// Counts `results` by status.
    pub fn from_results<'a>(results: impl IntoIterator<Item = &'a TestResult>) -> Self {
        let mut summary = Summary::default();
        for r in results {
            summary.total += 1;
            match r.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => summary.fail += 1,
                Status::Error => summary.error += 1,
                Status::Timeout => summary.timeout += 1,
                Status::Skip => summary.skip += 1,
            }
        }
        summary
    }

    /// True when no job failed, errored or timed out: skips do not make a run unsuccessful.
    pub fn all_passed(&self) -> bool {
        self.fail + self.error + self.timeout == 0
    }
}
