//! The order of accuracy of each engine across a suite's time-step sweep (top-level
//! `convergence` in the JSON results): the analytic error at every step, the fitted order and
//! the verdict against the suite's band.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::CheckStatus;

/// One analytic check's error, fitted against the step for every engine that ran the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// The suite's name.
    pub suite: String,
    /// The suite file (`*.crosscheck.yaml`).
    pub file: PathBuf,
    /// Line of the check's `convergence` in `file`.
    pub line: usize,
    /// What is fitted: the cell and the error, e.g. `cell cell 0: analytic v rms_relative`.
    pub what: String,
    /// The band the order must lie in, `[low, high]`.
    pub order_band: [f64; 2],
    /// Errors at or below this count as rounding (an engine under it everywhere is exact).
    pub exact_below: f64,
    /// One entry per engine, in the order the engines ran.
    pub engines: Vec<EngineConvergence>,
}

impl Convergence {
    /// Every engine converged as the band asks (or integrates the model exactly).
    pub fn passed(&self) -> bool {
        self.engines.iter().all(|e| e.status == CheckStatus::Pass)
    }

    /// The band as text, `0.9–1.1`.
    pub fn band_text(&self) -> String {
        format!("{}–{}", self.order_band[0], self.order_band[1])
    }
}

/// One engine's errors over the steps, and its fitted order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineConvergence {
    /// The engine (with its version when one was asked for, `NEURON:9.0.2`).
    pub engine: String,
    /// `pass` or `fail`.
    pub status: CheckStatus,
    /// The error at each step, coarsest step first.
    pub points: Vec<ConvergencePoint>,
    /// The fitted order (slope of ln error on ln dt), when one was fitted.
    pub order: Option<f64>,
    /// How well the points lie on the fitted line (1 = exactly).
    pub r_squared: Option<f64>,
    /// True when the error is rounding at every step: the engine integrates this model
    /// exactly, and has no order.
    pub exact: bool,
    /// The verdict in numbers: the order and the error at each step, or what is missing.
    pub message: String,
}

/// The error of one engine at one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvergencePoint {
    /// The time step, in ms.
    pub dt_ms: f64,
    /// The analytic error the job reported at that step; absent when the job did not give one
    /// (it failed to run, or its spike count differed from the exact one).
    pub error: Option<f64>,
}
