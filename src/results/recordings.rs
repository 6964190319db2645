//! What a simulator recorded, read back from its output files: spikes and traces in the
//! output contract's units. Kept apart from how they are read (`native`, `data`) and judged
//! (`judge`), which all use it.

use std::collections::BTreeMap;

/// Recordings of one run, in the output contract's units (ms, mV, ...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recordings {
    /// Per population: `(cell, time_ms)` events, by time.
    pub spikes: BTreeMap<String, Vec<(u32, f64)>>,
    /// Per (population, variable): the trace.
    pub traces: BTreeMap<(String, String), Trace>,
}

/// One recorded variable of a population: a common time axis and a column per cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Sample times, ms.
    pub time_ms: Vec<f64>,
    /// One column per recorded cell, in recording order.
    pub columns: Vec<Vec<f64>>,
}
