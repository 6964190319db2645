//! The plot data a result carries for the HTML report (computed by `plot`, drawn by
//! `report::html`), kept with the results so that `crosscheck report` can draw it later from
//! the JSON alone.

use serde::{Deserialize, Serialize};

/// Plot data of one job (crosscheck suites only; absent for OMV tests, whose plots come from
/// their observables).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlotData {
    /// The job's recorded traces, decimated: at most `plot::MAX_TRACE_CELLS` cells per population
    /// and variable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<TraceSeries>,
    /// The job's spike trains, one per population, capped at `plot::MAX_SPIKES_PER_POPULATION`
    /// events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spikes: Vec<SpikeSeries>,
    /// The job's blessed reference recordings, decimated the same way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_traces: Vec<TraceSeries>,
    /// The blessed reference's spike trains, capped the same way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_spikes: Vec<SpikeSeries>,
    /// The exact answer of each analytic check's cell (`checks.analytic`), at this job's own
    /// recorded times and decimated the same way: what the traces are judged against.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exact_traces: Vec<TraceSeries>,
    /// This job's traces minus its reference's (or, without a reference, minus each other
    /// engine's), at full resolution, then decimated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<DifferenceSeries>,
    /// The window within which spikes of two runs count as the same spike (the suite's
    /// agreement or reference rule), for marking missing and extra spikes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike_window_ms: Option<f64>,
    /// Simulated time, ms (the common time axis of every plot).
    #[serde(default)]
    pub duration_ms: f64,
    /// Network summaries per population (suites with statistics or distributions checks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub populations: Vec<PopulationSummary>,
}

/// One population of a network run, for the report's bars of mean rate per simulator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PopulationSummary {
    /// The population's id in the suite.
    pub population: String,
    /// Mean rate over every recorded cell (not only the plotted ones), spikes/s, from the
    /// distributions check's `start` on (else from 0).
    pub mean_rate: f64,
    /// The blessed range of the reference engine's mean rate over its calibration seeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_band: Option<(f64, f64)>,
    /// The engine that band comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_engine: Option<String>,
    /// The suite's published mean rate of the population (`checks.published`), spikes/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<f64>,
}

/// One recorded variable of one cell, decimated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceSeries {
    /// The population's id in the suite.
    pub population: String,
    /// The recorded state variable (`v`, ...).
    pub variable: String,
    /// Unit of `values` (the output contract's: mV, pA, nS, ...).
    pub unit: String,
    /// The cell's index in its population.
    pub cell: u32,
    /// Times of the decimated samples, ms.
    pub time_ms: Vec<f32>,
    /// The decimated samples, one per `time_ms`, in `unit`.
    pub values: Vec<f32>,
    /// Samples in the full recording.
    pub samples: usize,
}

/// Spike events of one population.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpikeSeries {
    /// The population's id in the suite.
    pub population: String,
    /// Recorded cells (their indices), so silent cells still get a row.
    pub cells: Vec<u32>,
    /// `(cell, time_ms)` by time.
    pub events: Vec<(u32, f32)>,
    /// Events in the full recording; more than `events.len()` when capped.
    pub total: usize,
}

/// `minuend − subtrahend` of one trace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DifferenceSeries {
    /// The population's id in the suite.
    pub population: String,
    /// The recorded state variable (`v`, ...).
    pub variable: String,
    /// Unit of `values` and `max_abs` (that of the trace).
    pub unit: String,
    /// The cell's index in its population.
    pub cell: u32,
    /// What was subtracted: `reference` or an engine's name.
    pub against: String,
    /// Times of the decimated difference, ms (on a grid common to both traces).
    pub time_ms: Vec<f32>,
    /// The decimated difference, one per `time_ms`, in `unit`.
    pub values: Vec<f32>,
    /// Largest absolute difference at full resolution.
    pub max_abs: f64,
}
