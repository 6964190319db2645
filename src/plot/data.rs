//! What a result carries for plotting: decimated traces and capped spike trains of one job,
//! and of its blessed reference.
//!
//! The JSON results must stay small enough to keep and to render later (`crosscheck report`),
//! yet a per-test page should show what happened. So traces are decimated with
//! [`super::decimate::for_storage`] (min–max, then dropping what a plot cannot show; spikes and
//! extrema stay exact), stored as `f32` (plots need no more precision, and JSON numbers get
//! short), and spike trains are capped per population.
//! Differences (engine − reference, engine − other engine) are computed here, at full
//! resolution, because a difference of two decimated traces would show decimation artefacts
//! as large as a spike.

use std::collections::BTreeMap;

use crate::compare::traces;
use crate::results::{DifferenceSeries, PlotData, Recordings, SpikeSeries, Trace, TraceSeries};
use crate::suite::native::closed_form::closed_form;
use crate::suite::native::{NativeSuite, Variable};

/// Min–max buckets per trace (at most twice as many points): about one per pixel column of
/// the report's plots, so a plot loses nothing the stored data had.
pub const TRACE_BUCKETS: usize = 800;
/// Min–max buckets of a difference: a difference plot is a thin panel, and min–max keeps its
/// narrow peaks (a shifted spike) at any bucket count.
pub const DIFFERENCE_BUCKETS: usize = 400;
/// Cells of one (population, variable) whose traces are kept; the rest are left out.
pub const MAX_TRACE_CELLS: usize = 8;
/// Spike events kept per population (whole cells, lowest indices first).
pub const MAX_SPIKES_PER_POPULATION: usize = 20_000;

impl PlotData {
    /// Plot data of one job: its recordings, its reference (when blessed) and the other
    /// engines' recordings of the same suite run (for differences), by engine name.
    pub fn from_recordings(
        suite: &NativeSuite,
        recordings: &Recordings,
        reference: Option<&Recordings>,
        others: &[(&str, &Recordings)],
    ) -> PlotData {
        let window = suite
            .checks
            .agreement
            .as_ref()
            .or(suite.checks.reference.as_ref())
            .and_then(|r| r.spike_window)
            .map(|q| q.si * 1e3);
        let mut data = PlotData {
            traces: trace_series(suite, recordings),
            spikes: spike_series(suite, recordings),
            exact_traces: exact_series(suite, recordings),
            spike_window_ms: window,
            duration_ms: suite.simulation.duration.si * 1e3,
            ..PlotData::default()
        };
        if let Some(reference) = reference {
            data.reference_traces = trace_series(suite, reference);
            data.reference_spikes = spike_series(suite, reference);
        }
        // Against the reference when there is one (what changed), else against each other
        // engine (who diverged); not both, to keep results small.
        let against: Vec<(&str, &Recordings)> = match reference {
            Some(r) => vec![("reference", r)],
            None => others.to_vec(),
        };
        for (name, other) in against {
            for_each_trace(suite, recordings, |key, unit, column, cell, trace| {
                let Some(theirs) = other.traces.get(key) else {
                    return;
                };
                let (Some(mine), Some(their_column)) =
                    (trace.columns.get(column), theirs.columns.get(column))
                else {
                    return;
                };
                let (t, d) = difference(&trace.time_ms, mine, &theirs.time_ms, their_column);
                let max_abs = d
                    .iter()
                    .filter(|v| v.is_finite())
                    .fold(0.0f64, |m, v| m.max(v.abs()));
                let (time_ms, values) =
                    to_f32(&super::decimate::for_storage(&t, &d, DIFFERENCE_BUCKETS));
                data.differences.push(DifferenceSeries {
                    population: key.0.clone(),
                    variable: key.1.clone(),
                    unit: unit.to_string(),
                    cell,
                    against: name.to_string(),
                    time_ms,
                    values,
                    max_abs,
                });
            });
        }
        data
    }
}

/// Calls `f` for every kept trace column: key, unit, column index, cell index, trace.
fn for_each_trace<F>(suite: &NativeSuite, recordings: &Recordings, mut f: F)
where
    F: FnMut(&(String, String), &str, usize, u32, &Trace),
{
    for (key, trace) in &recordings.traces {
        let Some((pop, cells)) = recorded_cells(suite, &key.0, Some(&key.1)) else {
            continue;
        };
        let unit = pop
            .kind
            .state_variable(&key.1)
            .map(|v| crate::judge::agreement::trace_unit(v.dimension))
            .unwrap_or("1");
        for (column, cell) in cells.iter().enumerate().take(MAX_TRACE_CELLS) {
            if column < trace.columns.len() {
                f(key, unit, column, *cell as u32, trace);
            }
        }
    }
}

/// The population and its recorded cells (in recording order, i.e. column order), for spikes
/// (`variable` None) or a state variable.
fn recorded_cells<'a>(
    suite: &'a NativeSuite,
    population: &str,
    variable: Option<&str>,
) -> Option<(&'a crate::suite::native::Population, Vec<usize>)> {
    let index = suite
        .populations
        .iter()
        .position(|p| p.id.as_str() == population)?;
    let pop = &suite.populations[index];
    let rec = suite.recordings.iter().find(|r| {
        r.population == index
            && r.variables.iter().any(|v| match (v, variable) {
                (Variable::Spikes, None) => true,
                (Variable::State(name), Some(wanted)) => *name == wanted,
                _ => false,
            })
    })?;
    Some((pop, crate::codegen::cells(&rec.cells, pop.size)))
}

fn trace_series(suite: &NativeSuite, recordings: &Recordings) -> Vec<TraceSeries> {
    let mut out = Vec::new();
    for_each_trace(suite, recordings, |key, unit, column, cell, trace| {
        let y = &trace.columns[column];
        let (time_ms, values) = to_f32(&super::decimate::for_storage(
            &trace.time_ms,
            y,
            TRACE_BUCKETS,
        ));
        out.push(TraceSeries {
            population: key.0.clone(),
            variable: key.1.clone(),
            unit: unit.to_string(),
            cell,
            time_ms,
            values,
            samples: y.len().min(trace.time_ms.len()),
        });
    });
    out
}

/// The exact answer of each analytic check's cell at the recorded times of its potentials
/// (`v`, and a cable's `v_distal`), so it is sampled as the simulator's trace is. Nothing for
/// a cell without a closed form or a tapered cable (no closed-form transient).
fn exact_series(suite: &NativeSuite, recordings: &Recordings) -> Vec<TraceSeries> {
    let mut out: Vec<TraceSeries> = Vec::new();
    for check in &suite.checks.analytic {
        let Ok(exact) = closed_form(suite, check.population, check.cell) else {
            continue;
        };
        let pop = &suite.populations[check.population];
        for variable in ["v", "v_distal"] {
            let key = (pop.id.to_string(), variable.to_string());
            let (Some(trace), Some(state)) = (
                recordings.traces.get(&key),
                pop.kind.state_variable(variable),
            ) else {
                continue;
            };
            let cell = check.cell as u32;
            // Two checks of one cell: its answer once, computed once.
            if out
                .iter()
                .any(|s| s.population == key.0 && s.variable == key.1 && s.cell == cell)
            {
                continue;
            }
            let values = match exact.trace_of(variable, &trace.time_ms) {
                Some(values) if values.iter().all(|v| v.is_finite()) => values,
                _ => continue,
            };
            let (time_ms, values) = to_f32(&super::decimate::for_storage(
                &trace.time_ms,
                &values,
                TRACE_BUCKETS,
            ));
            out.push(TraceSeries {
                population: key.0,
                variable: key.1,
                unit: crate::judge::agreement::trace_unit(state.dimension).to_string(),
                cell,
                time_ms,
                values,
                samples: trace.time_ms.len(),
            });
        }
    }
    out
}

fn spike_series(suite: &NativeSuite, recordings: &Recordings) -> Vec<SpikeSeries> {
    let mut out = Vec::new();
    for (population, events) in &recordings.spikes {
        let cells: Vec<u32> = recorded_cells(suite, population, None)
            .map(|(_, cells)| cells.into_iter().map(|c| c as u32).collect())
            .unwrap_or_else(|| {
                let mut seen: Vec<u32> = events.iter().map(|e| e.0).collect();
                seen.sort_unstable();
                seen.dedup();
                seen
            });
        let (kept_cells, events) = cap_spikes(&cells, events, MAX_SPIKES_PER_POPULATION);
        out.push(SpikeSeries {
            population: population.clone(),
            cells: kept_cells,
            events: events.iter().map(|(c, t)| (*c, *t as f32)).collect(),
            total: recordings.spikes[population].len(),
        });
    }
    out
}

/// Keeps whole cells, lowest first, while their events fit in `cap`: a raster then shows fewer
/// cells completely rather than every cell with holes.
pub fn cap_spikes(cells: &[u32], events: &[(u32, f64)], cap: usize) -> (Vec<u32>, Vec<(u32, f64)>) {
    if events.len() <= cap {
        return (cells.to_vec(), events.to_vec());
    }
    let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
    for (cell, _) in events {
        *counts.entry(*cell).or_default() += 1;
    }
    let mut sorted = cells.to_vec();
    sorted.sort_unstable();
    let mut kept = Vec::new();
    let mut total = 0;
    for cell in sorted {
        let n = counts.get(&cell).copied().unwrap_or(0);
        if total + n > cap {
            break;
        }
        total += n;
        kept.push(cell);
    }
    let keep: std::collections::BTreeSet<u32> = kept.iter().copied().collect();
    let events = events
        .iter()
        .filter(|(c, _)| keep.contains(c))
        .copied()
        .collect();
    (kept, events)
}

/// `a − b` on a common uniform grid (the coarser of the two steps), over the time both
/// cover.
fn difference(t_a: &[f64], a: &[f64], t_b: &[f64], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n_a = t_a.len().min(a.len());
    let n_b = t_b.len().min(b.len());
    let grid = traces::common_grid(&t_a[..n_a], &t_b[..n_b], None);
    let ra = traces::resample_linear(&t_a[..n_a], &a[..n_a], &grid);
    let rb = traces::resample_linear(&t_b[..n_b], &b[..n_b], &grid);
    let d = ra.iter().zip(&rb).map(|(x, y)| x - y).collect();
    (grid, d)
}

fn to_f32(points: &[(f64, f64)]) -> (Vec<f32>, Vec<f32>) {
    points.iter().map(|(t, y)| (*t as f32, *y as f32)).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spike_cap_keeps_whole_cells() {
        let events: Vec<(u32, f64)> = (0..30).map(|i| (i % 3, i as f64)).collect();
        let (cells, kept) = cap_spikes(&[0, 1, 2], &events, 25);
        assert_eq!(cells, vec![0, 1]);
        assert_eq!(kept.len(), 20);
        assert!(kept.iter().all(|(c, _)| *c < 2));
        let (cells, kept) = cap_spikes(&[0, 1, 2], &events, 30);
        assert_eq!((cells.len(), kept.len()), (3, 30));
    }

    #[test]
    fn difference_is_taken_on_a_common_grid() {
        let t: Vec<f64> = (0..=100).map(|i| i as f64 * 0.1).collect();
        let a: Vec<f64> = t.iter().map(|t| 2.0 * t).collect();
        let b: Vec<f64> = t.iter().map(|t| 2.0 * t - 1.5).collect();
        let (grid, d) = difference(&t, &a, &t, &b);
        assert_eq!(grid.len(), d.len());
        assert!(d.iter().all(|v| (v - 1.5).abs() < 1e-9), "{d:?}");
    }

    /// An analytic check's cell gets its exact answer at the recorded times; a tapered cable
    /// (no closed-form transient) and a suite without analytic checks get none.
    #[test]
    fn the_exact_answer_is_sampled_at_the_recorded_times() {
        let yaml = "suite: rc
simulation: {duration: 5 ms, dt: 0.5 ms}
populations:
  cell: {cell: lif_curr_exp, size: 1, parameters: {i_offset: 100 pA, v_rest: 0 mV, v_init: 0 mV, v_thresh: 50 mV}}
record: [{population: cell, variables: [v]}]
checks:
  analytic: [{population: cell, v: {max_relative: 0.01}}]
";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rc.crosscheck.yaml");
        std::fs::write(&path, yaml).unwrap();
        let suite = crate::suite::native::load_suite(&path).unwrap();
        let times: Vec<f64> = (0..=10).map(|i| i as f64 * 0.5).collect();
        let recordings = Recordings {
            traces: BTreeMap::from([(
                ("cell".to_string(), "v".to_string()),
                Trace {
                    time_ms: times.clone(),
                    columns: vec![vec![0.0; times.len()]],
                },
            )]),
            ..Default::default()
        };
        let data = PlotData::from_recordings(&suite, &recordings, None, &[]);
        let [exact] = data.exact_traces.as_slice() else {
            panic!("{:?}", data.exact_traces)
        };
        assert_eq!(
            (exact.population.as_str(), exact.variable.as_str()),
            ("cell", "v")
        );
        assert_eq!(
            (exact.cell, exact.unit.as_str(), exact.samples),
            (0, "mV", 11)
        );
        // V = I·R·(1 − e^(−t/τ)): 100 pA × 40 MΩ = 4 mV, τ = 10 ms.
        let last = *exact.values.last().unwrap() as f64;
        assert!(
            (last - 4.0 * (1.0 - (-0.5f64).exp())).abs() < 1e-5,
            "{last}"
        );

        let mut plain = suite.clone();
        plain.checks.analytic.clear();
        let data = PlotData::from_recordings(&plain, &recordings, None, &[]);
        assert!(data.exact_traces.is_empty());
        let taper = "suite: taper
simulation: {duration: 800 ms, dt: 0.5 ms}
populations:
  cell: {cell: passive_cable, size: 1, parameters: {nseg: 10, diameter_distal: 0.5 um, i_offset: 0.1 nA}}
record: [{population: cell, variables: [v]}]
checks:
  analytic: [{population: cell, steady_state: {max_relative: 0.001}}]
";
        std::fs::write(&path, taper).unwrap();
        let suite = crate::suite::native::load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"));
        let data = PlotData::from_recordings(&suite, &recordings, None, &[]);
        assert!(data.exact_traces.is_empty());
    }
}
