//! The document a finished run leaves (`--json`): every result, the agreement, the simulator
//! versions and, with `--history`, the trends of the last runs. Read back by `merge`,
//! `report` and the history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Agreement, Convergence, Summary, TestResult};

/// Everything known about a finished run: the document written by `--json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// Version of this document's layout; bumped on incompatible changes.
    pub schema_version: u32,
    /// Version of crosscheck that ran the run (of the first shard, after a merge).
    pub crosscheck_version: String,
    /// Start time, RFC 3339.
    pub started_at: String,
    /// Wall time of the run, in seconds, start to end of judging (the longest shard's, after
    /// a merge).
    pub duration_s: f64,
    /// Parallel jobs allowed.
    pub jobs: usize,
    /// Host name of the machine that ran it, when known; after a merge, every shard's host,
    /// comma-separated.
    pub hostname: Option<String>,
    /// True when the run was stopped (Ctrl-C, SIGTERM) before every job finished.
    pub interrupted: bool,
    /// Exact versions of everything in the managed environment and of the engines used.
    pub versions: BTreeMap<String, String>,
    /// Counts of `tests` by status.
    pub summary: Summary,
    /// One result per job (test × engine).
    pub tests: Vec<TestResult>,
    /// Cross-simulator agreement of crosscheck suites: one matrix per suite run.
    #[serde(default)]
    pub agreement: Vec<Agreement>,
    /// The order of accuracy of each engine across a suite's time-step sweep: one entry per
    /// analytic check with a `convergence` rule (and per error it fits).
    #[serde(default)]
    pub convergence: Vec<Convergence>,
    /// With `--history`: the trends of the last runs (the HTML report shows them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistorySummary>,
}

impl RunReport {
    /// The `schema_version` this crosscheck writes; `merge` refuses shards with another.
    pub const SCHEMA_VERSION: u32 = 1;

    /// Whether every verdict passed: each test, and the across-job ones (agreement between
    /// engines, convergence with the time step), which fail a run as a test does.
    pub fn all_passed(&self) -> bool {
        self.summary.all_passed()
            && self.agreement.iter().all(|a| a.passed())
            && self.convergence.iter().all(|c| c.passed())
    }
}

/// What a report shows of the history: the last runs, each test's statuses in them, the new
/// failures and the slowdowns of the latest run. Kept in the JSON results (`history`), so
/// `crosscheck report` renders it later too.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistorySummary {
    /// The runs shown, oldest first (RFC 3339, UTC).
    pub runs: Vec<String>,
    /// How many runs the history holds in all.
    pub total_runs: usize,
    /// Every test of the latest run, with its statuses over `runs`.
    pub tests: Vec<TestTrend>,
    /// Tests failing in the latest run that passed in the run before it.
    pub new_failures: Vec<TestTrend>,
    /// Tests of the latest run more than 1.5× (and 5 s) slower than their median over the 10
    /// runs before it.
    pub slower: Vec<Slowdown>,
}

/// One test (test id, model and engine) and its status in each of the runs shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TestTrend {
    /// The test's id, as in the JSON results.
    pub test: String,
    /// What it runs, as in the JSON results' `model`.
    pub model: String,
    /// The engine it ran on.
    pub engine: String,
    /// One per run of [`HistorySummary::runs`]; `None` where the test did not run.
    pub statuses: Vec<Option<String>>,
}

/// A test that took much longer in the latest run than usual (see `history::duration_regressions`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Slowdown {
    /// The test's id, as in the JSON results.
    pub test: String,
    /// What it runs, as in the JSON results' `model`.
    pub model: String,
    /// The engine it ran on.
    pub engine: String,
    /// Its duration in the latest run, in seconds.
    pub duration_s: f64,
    /// Its median duration over the earlier runs considered, in seconds.
    pub usual_s: f64,
}
