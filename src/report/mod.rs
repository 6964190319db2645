//! Reporters: the terminal while running, and files (JSON, JUnit XML) at the end.
//!
//! The runner knows nothing of reporters; it sends [`crate::runner::Event`]s, and the
//! terminal reporter turns them into progress. File reporters read the finished [`RunReport`].

pub mod github;
pub mod html;
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
    pub agreement: Vec<crate::agreement::Agreement>,
    /// With `--history`: the trends of the last runs (the HTML report shows them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::history::Summary>,
}

impl RunReport {
    /// The `schema_version` this crosscheck writes; `merge` refuses shards with another.
    pub const SCHEMA_VERSION: u32 = 1;
}
