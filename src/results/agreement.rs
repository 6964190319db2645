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
    pub file: PathBuf,
    /// Engines in matrix order.
    pub engines: Vec<String>,
    /// `matrix[i][j]`: `pass` or `fail` for engines i and j, `-` on the diagonal.
    pub matrix: Vec<Vec<String>>,
    pub pairs: Vec<PairAgreement>,
}

impl Agreement {
    pub fn passed(&self) -> bool {
        self.pairs.iter().all(|p| p.status == CheckStatus::Pass)
    }
}

/// One engine pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairAgreement {
    pub a: String,
    pub b: String,
    pub status: CheckStatus,
    pub checks: Vec<PairCheck>,
}

/// One comparison within a pair (one population's spikes, one variable's trace of one cell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairCheck {
    pub what: String,
    pub passed: bool,
    pub message: String,
}
