//! Test definitions: what to run and what it must show.
//!
//! Every test file format (today OMV's `.test.*.omt` + `.mep`; crosscheck's own suites later)
//! is loaded into the same [`TestCase`] model, so planning, running, comparing and reporting
//! never need to know which format a test came from.
//!
//! All paths stored here are absolute: the planner maps them into each job's private copy of
//! the repository, and the comparison reads them from there.

pub mod boundary;
pub mod discover;
pub mod native;
pub mod omv;
pub(crate) mod source;
pub mod units;
pub mod yaml;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};
use serde::Serialize;

/// A position in a source file, 1-based line and column, for messages that point at the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file: an `.omt`, a `.mep`, a suite or a NeuroML file (absolute from the loaders).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A problem in a test file, pointing at the exact place.
///
/// Plain `Display` reads `file:line:column: message` (what editors and CI logs recognise);
/// rendered through miette it also shows the offending line with the span underlined and the
/// `help` (typically a "did you mean" suggestion). Loaders collect as many of these as they can
/// per file, so one `crosscheck validate` run shows every mistake at once.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("{location}: {message}")]
pub struct LoadError {
    /// Where the problem is; `Display` starts with it.
    pub location: Location,
    /// What is wrong, as one sentence without the location.
    pub message: String,
    /// A hint for the fix, typically "did you mean `…`?" or the accepted values.
    #[help]
    pub help: Option<String>,
    /// The file's text, when it could be read, so miette can render a snippet.
    #[source_code]
    pub source_code: Option<NamedSource<Arc<str>>>,
    /// Byte span of the offending text in `source_code`.
    #[label]
    pub span: Option<SourceSpan>,
}

impl LoadError {
    /// An error at `location`, without a snippet (e.g. the file could not be read).
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        LoadError {
            location,
            message: message.into(),
            help: None,
            source_code: None,
            span: None,
        }
    }

    /// Attaches the file's text and the byte span (`offset`, `len`) to underline.
    pub fn with_source(mut self, source: Arc<str>, offset: usize, len: usize) -> Self {
        let name = self.location.file.display().to_string();
        let offset = offset.min(source.len());
        let len = len.min(source.len() - offset);
        self.source_code = Some(NamedSource::new(name, source).with_language("yaml"));
        self.span = Some(SourceSpan::new(offset.into(), len));
        self
    }

    /// Sets the [`help`](Self::help) hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// One test file entry: run `targets` on `engine`, then check `experiments`.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// Stable identifier, the test file's path relative to the directory it was discovered from.
    pub id: String,
    /// Where the test is defined (the `.omt` file, line of its `engine` key).
    pub location: Location,
    /// Engine name exactly as written (OMV names are case-sensitive), with optional `:version`.
    pub engine: EngineRequest,
    /// Files handed to the engine (absolute). OMV allows several, separated by spaces.
    pub targets: Vec<PathBuf>,
    /// The `.mep` file with expected values, absent for a dry run (pass iff the engine exits 0).
    pub mep: Option<PathBuf>,
    /// Checks to perform after the run, in file order.
    pub experiments: Vec<Experiment>,
}

impl TestCase {
    /// Every file the test reads or expects the engine to write, for working out which part
    /// of the repository a job needs a copy of.
    pub fn referenced_paths(&self) -> Vec<PathBuf> {
        let mut paths = self.targets.clone();
        paths.push(self.location.file.clone());
        paths.extend(self.mep.iter().cloned());
        for experiment in &self.experiments {
            for check in &experiment.checks {
                paths.push(check.source.path().clone());
                if let Expected::File { path, .. } = &check.expected {
                    paths.push(path.clone());
                }
            }
        }
        paths
    }

    /// The data files the engine must (re)write during the run.
    pub fn output_files(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        for experiment in &self.experiments {
            for check in &experiment.checks {
                let path = check.source.path();
                if !out.contains(path) {
                    out.push(path.clone());
                }
            }
        }
        out
    }

    /// True when there is nothing to compare: the verdict is the engine's exit status.
    pub fn is_dry_run(&self) -> bool {
        self.mep.is_none()
    }
}

/// An engine as named by a test or on the command line: `jNeuroML` or `NEURON:8.2.7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EngineRequest {
    /// The engine's name as written, case kept (`jNeuroML`, `NEURON`, `jNeuroML_NEURON`).
    pub name: String,
    /// The version after `:`, if one was given (`8.2.7`).
    pub version: Option<String>,
}

impl EngineRequest {
    /// Parses OMV's `Name` or `Name:version` syntax.
    pub fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some((name, version)) if !version.trim().is_empty() => EngineRequest {
                name: name.trim().to_string(),
                version: Some(version.trim().to_string()),
            },
            Some((name, _)) => EngineRequest {
                name: name.trim().to_string(),
                version: None,
            },
            None => EngineRequest {
                name: text.trim().to_string(),
                version: None,
            },
        }
    }
}

impl fmt::Display for EngineRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}:{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

/// A named experiment of a test: the `.omt` says how to observe, the `.mep` what to expect.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The experiment's key under `experiments:`, the same in the `.omt` and the `.mep`.
    pub name: String,
    /// Where the experiment is defined in the `.omt`.
    pub location: Location,
    /// Its observables, in file order.
    pub checks: Vec<ObservableCheck>,
}

/// One observable of an experiment, with everything needed to compute and judge it.
#[derive(Debug, Clone)]
pub struct ObservableCheck {
    /// What is computed from the data (`spike times`, `spike rate`, ...).
    pub kind: ObservableKind,
    /// The file the engine writes that the observable is computed from.
    pub source: DataSource,
    /// Relative tolerance (OMV: numpy `allclose` rtol; atol is fixed at 1e-8). Default 0.1.
    pub tolerance: f64,
    /// The value the observable must match, from the `.mep`.
    pub expected: Expected,
    /// Where the observable is described (in the `.omt`).
    pub location: Location,
    /// Where its expected value is given (in the `.mep`).
    pub expected_location: Location,
}

/// What is measured from the data.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservableKind {
    /// The list of spike times of one cell.
    SpikeTimes,
    /// A firing rate.
    SpikeRate {
        /// How the rate is computed (`method`, default `isi based`).
        method: RateMethod,
        /// Start of the window (`start_time`, default 0), in the data's time unit after
        /// scaling.
        start_time: f64,
        /// End of the window (`end_time`, default infinity), in the same unit.
        end_time: f64,
    },
    /// Mean of the second loaded column over the last `average_last` rows.
    Resting {
        /// Rows averaged, from the end of the table (`average last`).
        average_last: usize,
    },
    /// The whole loaded table, compared element by element.
    Timeseries,
}

impl ObservableKind {
    /// The name used in OMV files (`spike times`, ...).
    pub fn omv_name(&self) -> &'static str {
        match self {
            ObservableKind::SpikeTimes => "spike times",
            ObservableKind::SpikeRate { .. } => "spike rate",
            ObservableKind::Resting { .. } => "resting",
            ObservableKind::Timeseries => "timeseries",
        }
    }
}

/// How a `spike rate` observable turns spike times into a rate (OMV's `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateMethod {
    /// Number of inter-spike intervals over their sum (OMV's default, `isi based`).
    IsiBased,
    /// Spikes in `[start_time, end_time]` divided by the window length (`duration based`).
    DurationBased,
}

/// Where the observed numbers come from.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// A whitespace-separated numeric table (`file:`).
    Table {
        /// The table the engine writes (absolute).
        path: PathBuf,
        /// Columns to load, 0-based (default `[0, 1]`).
        columns: Vec<usize>,
        /// Rows to skip at the top (default 0).
        header: usize,
        /// One factor per loaded column (default 1 each).
        scaling: Vec<f64>,
        /// When present, spikes are detected in the (time, value) trace; otherwise the first
        /// loaded column is taken as the spike times.
        spike_detection: Option<SpikeDetection>,
    },
    /// A file of spike events (`spiketimes file:`).
    SpikeFile {
        /// The spike file the engine writes (absolute).
        path: PathBuf,
        /// Column layout of each line (`format`, required).
        format: SpikeFileFormat,
        /// Which cells' spikes to read (`ids`, or its alias `id`; default cell 0).
        ids: IdSelection,
        /// Factor applied to every spike time (`scaling`, default 1).
        scaling: f64,
    },
}

impl DataSource {
    /// The data file the engine writes, whichever kind of source it is.
    pub fn path(&self) -> &PathBuf {
        match self {
            DataSource::Table { path, .. } | DataSource::SpikeFile { path, .. } => path,
        }
    }
}

/// How spikes are found in a voltage trace (OMV's `spike detection`: `method`, `threshold`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpikeDetection {
    /// A spike at the first sample above the threshold after one at or below it.
    Threshold(f64),
    /// Every local maximum of the trace (for noiseless traces).
    Derivative,
}

/// Layout of an OMV spike file (`format`: `ID_TIME`, `TIME_ID` or `ID_TIME_NEST_DAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeFileFormat {
    /// `id time` per line.
    IdTime,
    /// `time id` per line.
    TimeId,
    /// NEST's `.dat`: three header lines, then `id time`.
    IdTimeNestDat,
}

/// Which cells of a spike file an observable reads (`ids`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSelection {
    /// `ids: '*'`: every cell in the file.
    All,
    /// Explicit cell ids.
    Ids(Vec<i64>),
}

/// The expected value from the `.mep`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// One number: the expected `spike rate` or `resting` value.
    Scalar(f64),
    /// A list of numbers: expected `spike times`, or a one-column `timeseries`.
    List(Vec<f64>),
    /// A timeseries given inline as rows.
    Table(Vec<Vec<f64>>),
    /// A timeseries in a file relative to the `.mep`, read with the same `columns`/`header`/`scaling` rules.
    File {
        /// The reference table (absolute), read where the `.mep` names it.
        path: PathBuf,
        /// Columns to load, 0-based.
        columns: Vec<usize>,
        /// Rows to skip at the top.
        header: usize,
        /// One factor per loaded column.
        scaling: Vec<f64>,
    },
}
