//! The agreement between engines that ran the same suite: one matrix per suite run, with the
//! reasons for every disagreement (top-level `agreement` in the JSON results).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::CheckStatus;

/// The agreement of every engine pair on one suite run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// The suite (with `[point]` for a sweep point).
    pub suite: String,
    /// The suite file (`*.crosscheck.yaml`).
    pub file: PathBuf,
    /// Engines in matrix order.
    pub engines: Vec<String>,
    /// `matrix[i][j]`: `pass` or `fail` for engines i and j, `-` on the diagonal.
    pub matrix: Vec<Vec<String>>,
    /// Every engine pair once (`i < j` in matrix order), with its checks.
    pub pairs: Vec<PairAgreement>,
}

impl Agreement {
    /// Every engine pair agrees.
    pub fn passed(&self) -> bool {
        self.pairs.iter().all(|p| p.status == CheckStatus::Pass)
    }
}

/// One engine pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairAgreement {
    /// The first engine (earlier in matrix order).
    pub a: String,
    /// The second engine.
    pub b: String,
    /// `pass` when every check passed, else `fail`.
    pub status: CheckStatus,
    /// The comparisons made by the suite's `checks.agreement` rules.
    pub checks: Vec<PairCheck>,
}

/// One comparison within a pair (one population's spikes, one variable's trace of one cell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairCheck {
    /// What was compared: `<population> spikes` or `<population> <variable>` (e.g. `exc v`).
    pub what: String,
    /// Within the rule's limits (spike window, max/RMS trace error) for every cell.
    pub passed: bool,
    /// The numbers behind the verdict: the window or errors when passing, else the first
    /// failing cell (and how many more failed).
    pub message: String,
}
