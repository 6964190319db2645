//! Reporters: the terminal while running, and files (JSON, JUnit XML) at the end.
//!
//! The runner knows nothing of reporters; it sends [`crate::runner::Event`]s, and the
//! terminal reporter turns them into progress. File reporters read the finished [`RunReport`].

pub mod github;
pub mod json;
pub mod junit;
pub mod merge;
pub mod terminal;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::results::{Summary, TestResult};

/// Everything known about a finished run: the document written by `--json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    /// Version of this document's layout; bumped on incompatible changes.
    pub schema_version: u32,
    pub crosscheck_version: String,
    /// Start time, RFC 3339.
    pub started_at: String,
    pub duration_s: f64,
    /// Parallel jobs allowed.
    pub jobs: usize,
    pub hostname: Option<String>,
    /// True when the run was stopped (Ctrl-C, SIGTERM) before every job finished.
    pub interrupted: bool,
    /// Exact versions of everything in the managed environment and of the engines used.
    pub versions: BTreeMap<String, String>,
    pub summary: Summary,
    pub tests: Vec<TestResult>,
    /// Cross-simulator agreement of crosscheck suites: one matrix per suite run.
    #[serde(default)]
    pub agreement: Vec<crate::agreement::Agreement>,
}

impl RunReport {
    pub const SCHEMA_VERSION: u32 = 1;
}
