//! Running crosscheck suites: one job per suite × simulator × sweep point.
//!
//! A job generates the simulator's code into its working directory ([`crate::codegen`]), the
//! runner runs the [`steps`], and [`read_recordings`] reads what the script wrote (the output
//! contract of `codegen`). Checks that need one engine's recordings (features) are judged per
//! job here; checks that need several (agreement between engines, reference data) are judged
//! once every job of a suite has finished.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::codegen;
use crate::compare::{features, stats};
use crate::engine::{Step, Tools};
use crate::env::Component;
use crate::results::{CheckStatus, ObservableResult, Recordings, Trace, Value};
use crate::suite::native::{
    Criterion, Feature, NativeSuite, Simulator, Statistic, Stimulus, Variable,
};
use crate::suite::units::Quantity;

/// One run of a suite on one simulator (at one sweep point, for a sweep).
#[derive(Debug, Clone)]
pub struct NativeJob {
    pub suite: Arc<NativeSuite>,
    /// The suite file's id (path relative to where it was discovered).
    pub id: String,
    pub file: PathBuf,
    pub simulator: Simulator,
    pub point: Option<usize>,
    /// Another seed than the suite's: one of the calibration runs `bless` makes for a
    /// `distributions` check (see [`crate::calibration`]).
    pub seed: Option<u64>,
}

impl NativeJob {
    /// The suite as this job runs it (the sweep value and the seed in place).
    pub fn resolved_suite(&self) -> NativeSuite {
        let mut suite = match self.point {
            Some(point) => codegen::apply_sweep(&self.suite, point),
            None => (*self.suite).clone(),
        };
        if let Some(seed) = self.seed {
            suite.simulation.seed = seed;
        }
        suite
    }

    /// `suite`, `suite[point]` or `suite (seed N)`, as shown in reports.
    pub fn label(&self) -> String {
        let name = match self.point {
            Some(point) => format!("{}[{point}]", self.suite.name),
            None => self.suite.name.to_string(),
        };
        match self.seed {
            Some(seed) => format!("{name} (seed {seed})"),
            None => name,
        }
    }
}

/// What `simulator` needs installed in the managed environment.
pub fn components(simulator: Simulator) -> &'static [Component] {
    match simulator {
        Simulator::Neuron => &[Component::Neuron],
        Simulator::Nest => &[Component::Nest],
        Simulator::Brian2 => &[Component::Brian2],
        Simulator::JNeuroML => &[Component::PyNeuroML],
        Simulator::JNeuroMLNeuron => &[Component::PyNeuroML, Component::Neuron],
    }
}

/// The exact version of `simulator` in the managed environment.
pub fn version(simulator: Simulator, tools: &Tools) -> Option<String> {
    let package = |label: &str, package: &str| {
        tools
            .state
            .versions
            .get(package)
            .map(|v| format!("{label} {v}"))
    };
    match simulator {
        Simulator::Neuron => package("NEURON", "neuron"),
        Simulator::Nest => package("NEST", "nest-simulator"),
        Simulator::Brian2 => package("Brian2", "brian2"),
        Simulator::JNeuroML => tools.jnml_version().map(|v| format!("jNeuroML {v}")),
        Simulator::JNeuroMLNeuron => {
            let jnml = version(Simulator::JNeuroML, tools)?;
            let neuron = version(Simulator::Neuron, tools)?;
            Some(format!("{jnml}; {neuron}"))
        }
    }
}

/// Generates the job's code into `workdir` and returns the processes that run it.
pub fn steps(
    job: &NativeJob,
    workdir: &Path,
    tools: &Tools,
) -> Result<Vec<Step>, codegen::CodegenError> {
    let suite = job.resolved_suite();
    std::fs::create_dir_all(workdir).map_err(|source| codegen::CodegenError::Io {
        path: workdir.to_path_buf(),
        source,
    })?;
    let generated = codegen::generate(&suite, job.simulator, workdir)?;
    if job.simulator == Simulator::JNeuroMLNeuron {
        return export_steps(&suite, &generated, workdir, tools);
    }
    if codegen::neuroml::runs_neuroml_file(&suite, job.simulator)
        && matches!(job.simulator, Simulator::Neuron | Simulator::Brian2)
    {
        // A NeuroML model runs on NEURON and Brian2 as jNeuroML exports it: export, (compile,)
        // run the exported script, exactly as the OMV engines jNeuroML_NEURON/_Brian2 do.
        let target = workdir.join(&generated.script);
        let steps = match job.simulator {
            Simulator::Neuron => crate::engine::jneuroml::neuron(&target, workdir, tools),
            _ => crate::engine::jneuroml::brian2(&target, workdir, tools),
        };
        return steps.map_err(codegen::CodegenError::Unsupported);
    }
    let label = format!("simulate in {}", job.simulator.name());
    let mut steps = Vec::new();
    if job.simulator == Simulator::Neuron && codegen::neuron::needs_nrnivmodl(&generated) {
        // NEURON loads compiled mechanisms from the working directory.
        // Through the mechanism cache: the generated mechanisms are the same for every job of
        // a suite, so they are compiled once.
        steps.push(crate::engine::neuron::compile(workdir, workdir, tools));
    }
    let step = match generated.kind {
        codegen::GeneratedKind::Python => {
            Step::new(&label, &tools.python, workdir).arg(generated.script)
        }
        codegen::GeneratedKind::Lems => {
            let mut step =
                crate::engine::jneuroml::simulate(&workdir.join(&generated.script), workdir, tools)
                    .map_err(codegen::CodegenError::Unsupported)?;
            step.label = label;
            step
        }
    };
    steps.push(step);
    Ok(steps)
}

/// The steps of `jNeuroML_NEURON`: validate the exported NeuroML2 document (an invalid export
/// stops the job there, with the validator's output), then jNeuroML's NEURON export of the
/// LEMS simulation, its mechanisms compiled (through the cache) and its script run, exactly as
/// the OMV engine `jNeuroML_NEURON` runs a LEMS file.
fn export_steps(
    suite: &NativeSuite,
    generated: &codegen::Generated,
    workdir: &Path,
    tools: &Tools,
) -> Result<Vec<Step>, codegen::CodegenError> {
    let document = workdir.join(codegen::neuroml_export::network_file_name(suite));
    #[cfg(debug_assertions)]
    break_export_for_tests(&document)?;
    let mut validate =
        crate::engine::jneuroml::validate(std::slice::from_ref(&document), "-validate", tools)
            .map_err(codegen::CodegenError::Unsupported)?;
    validate.label = VALIDATE_EXPORT.to_string();
    let mut steps = vec![validate];
    let target = workdir.join(&generated.script);
    let mut run = crate::engine::jneuroml::neuron(&target, workdir, tools)
        .map_err(codegen::CodegenError::Unsupported)?;
    // A large network needs more than the 1 GiB heap jNeuroML gets elsewhere.
    let bytes = std::fs::metadata(&document).map(|m| m.len()).unwrap_or(0);
    if let Some(export) = run.first_mut() {
        export.set_java_heap(codegen::neuroml_export::export_heap_mib(bytes));
    }
    steps.extend(run);
    Ok(steps)
}

/// Test-only hook (debug builds, which `cargo test` runs): with
/// `CROSSCHECK_TEST_BREAK_NEUROML_EXPORT` set, an element NeuroML2 does not know is put into the
/// exported network, so the tests can show that an invalid export stops at validation with the
/// validator's message. Release builds do not have it.
#[cfg(debug_assertions)]
fn break_export_for_tests(document: &Path) -> Result<(), codegen::CodegenError> {
    if std::env::var_os("CROSSCHECK_TEST_BREAK_NEUROML_EXPORT").is_none() {
        return Ok(());
    }
    let io = |source| codegen::CodegenError::Io {
        path: document.to_path_buf(),
        source,
    };
    let text = std::fs::read_to_string(document).map_err(io)?;
    let broken = text.replacen(
        "    </network>",
        "        <crosscheckBrokenElement id=\"broken\"/>\n    </network>",
        1,
    );
    std::fs::write(document, broken).map_err(io)
}

/// The label of `jNeuroML_NEURON`'s validation step, which names it in a failed job's message.
pub const VALIDATE_EXPORT: &str = "validate the NeuroML2 export (jnml -validate)";

impl Recordings {
    /// Spike times (ms) of one cell of a population, sorted (NaN dropped) whatever order the
    /// simulator wrote them in, so comparisons do not depend on it.
    pub fn spike_times(&self, population: &str, cell: u32) -> Vec<f64> {
        let times: Vec<f64> = self
            .spikes
            .get(population)
            .map(|events| {
                events
                    .iter()
                    .filter(|(c, _)| *c == cell)
                    .map(|(_, t)| *t)
                    .collect()
            })
            .unwrap_or_default();
        crate::compare::spikes::sorted(&times)
    }
}

/// Reads the recordings the suite asked for from `workdir/output/` (after turning jNeuroML's
/// SI output into the contract's units, for `simulator` jNeuroML).
pub fn read_recordings(
    suite: &NativeSuite,
    simulator: Simulator,
    workdir: &Path,
) -> Result<Recordings, String> {
    // jNeuroML, and jNeuroML's exports of a NeuroML model, write LEMS's SI outputs.
    if matches!(simulator, Simulator::JNeuroML | Simulator::JNeuroMLNeuron)
        || codegen::neuroml::runs_neuroml_file(suite, simulator)
    {
        codegen::lems::convert_lems_outputs(workdir, suite).map_err(|e| e.to_string())?;
    }
    read_folder(suite, &workdir.join("output"), None)
}

/// Reads recordings in the output contract's format from `folder`: everything the suite
/// records, or only what `rules` compare (reference data holds no more than that).
pub fn read_folder(
    suite: &NativeSuite,
    folder: &Path,
    rules: Option<&crate::suite::native::RecordingRules>,
) -> Result<Recordings, String> {
    let mut recordings = Recordings::default();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        for variable in &rec.variables {
            match variable {
                Variable::Spikes => {
                    if rules.is_some_and(|r| r.spike_window.is_none()) {
                        continue;
                    }
                    let path = folder.join(format!("spikes_{}.txt", pop.id));
                    let events = read_spikes(&path)?;
                    recordings.spikes.insert(pop.id.to_string(), events);
                }
                Variable::State(name) => {
                    if rules.is_some_and(|r| !r.traces.iter().any(|t| t.variable == *name)) {
                        continue;
                    }
                    let path = folder.join(format!("{}_{name}.txt", pop.id));
                    let mut columns =
                        crate::data::read_recording_table(&path).map_err(|e| e.to_string())?;
                    if columns.is_empty() {
                        return Err(format!("{} holds no data", path.display()));
                    }
                    let time_ms = columns.remove(0);
                    recordings.traces.insert(
                        (pop.id.to_string(), name.to_string()),
                        Trace { time_ms, columns },
                    );
                }
            }
        }
    }
    Ok(recordings)
}

fn read_spikes(path: &Path) -> Result<Vec<(u32, f64)>, String> {
    let columns = crate::data::read_recording_table(path).map_err(|e| e.to_string())?;
    let (cells, times) = match columns.as_slice() {
        [] => return Ok(Vec::new()),
        [cells, times, ..] => (cells, times),
        [_] => return Err(format!("{}: expected `cell time_ms` rows", path.display())),
    };
    let mut events = Vec::with_capacity(times.len());
    for (row, (cell, time)) in cells.iter().zip(times).enumerate() {
        if !(*cell >= 0.0 && cell.fract() == 0.0 && cell <= &(u32::MAX as f64) && time.is_finite())
        {
            return Err(format!(
                "{}: row {}: expected `cell time_ms`, found `{cell} {time}`",
                path.display(),
                row + 1
            ));
        }
        events.push((*cell as u32, *time));
    }
    events.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(events)
}

/// The feature checks of a job, judged on its own recordings.
pub fn judge_features(job: &NativeJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let suite = &job.suite;
    let point = job.point.unwrap_or(0);
    let duration_ms = suite.simulation.duration.si * 1e3;
    let stimulus_start = suite
        .stimuli
        .iter()
        .map(|s| match s {
            Stimulus::Step { start, .. } => start.si * 1e3,
            Stimulus::Poisson { .. } => 0.0,
        })
        .fold(f64::INFINITY, f64::min);
    // The cell is at rest until the first thing that perturbs it: a stimulus or an input spike.
    let first_input = codegen::prepare_inputs(suite)
        .source_spikes
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let rest_until = stimulus_start.min(first_input);
    let rest_until = if rest_until.is_finite() && rest_until > 0.0 {
        rest_until
    } else {
        duration_ms
    };
    let stimulus_start = if stimulus_start.is_finite() {
        stimulus_start
    } else {
        0.0
    };
    let mut out = Vec::new();
    for check in &suite.checks.features {
        let pop = &suite.populations[check.population];
        let expected = check
            .expected
            .get(point)
            .or(check.expected.first())
            .copied();
        let (unit, scale) = feature_unit(check.feature);
        let observed: Option<f64> = match check.feature {
            Feature::SpikeCount => Some(features::spike_count(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
                0.0,
                duration_ms + 1e-9,
            ) as f64),
            Feature::FirstSpikeLatency => features::first_spike_latency(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
                stimulus_start,
            ),
            Feature::MeanRate => Some(features::mean_rate(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
                0.0,
                duration_ms,
            )),
            Feature::AdaptationIndex => features::adaptation_index(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
            ),
            Feature::RestingPotential => recordings
                .traces
                .get(&(pop.id.to_string(), "v".to_string()))
                .and_then(|trace| {
                    let column = trace.columns.get(check.cell)?;
                    features::resting_potential(&trace.time_ms, column, 0.0, rest_until)
                }),
        };
        let expected_value = expected.map(|q| q.si * scale);
        let tolerance = check.tolerance.si * scale;
        let (status, message) = match (observed, expected_value) {
            (Some(o), Some(e)) if o.is_finite() => {
                let diff = o - e;
                if diff.abs() <= tolerance {
                    (
                        CheckStatus::Pass,
                        format!(
                            "{} {o:.4}{unit} (expected {e}{unit} ± {tolerance}{unit})",
                            check.feature.name()
                        ),
                    )
                } else {
                    (
                        CheckStatus::Fail,
                        format!(
                            "{} {o:.4}{unit}, expected {e}{unit} ± {tolerance}{unit}: off by {diff:+.4}{unit}",
                            check.feature.name()
                        ),
                    )
                }
            }
            _ => (
                CheckStatus::Fail,
                format!(
                    "{} could not be measured (no spikes or no trace where one was needed)",
                    check.feature.name()
                ),
            ),
        };
        out.push(ObservableResult {
            experiment: format!("{} cell {}", pop.id, check.cell),
            observable: check.feature.name().to_string(),
            status,
            tolerance,
            expected: expected_value.map(Value::Scalar),
            observed: observed.map(Value::Scalar),
            message,
            min_passing_tolerance: match (observed, expected_value) {
                (Some(o), Some(e)) if o.is_finite() => Some((o - e).abs()),
                _ => None,
            },
            file: check.location.file.clone(),
            line: check.location.line,
        });
    }
    out
}

/// Bin of the population count whose Fano factor is taken.
const FANO_BIN_MS: f64 = 10.0;
/// Bin of the spike counts correlated pairwise (as in Potjans & Diesmann's analysis).
pub(crate) const CORRELATION_BIN_MS: f64 = 2.0;
/// Cells sampled for pairwise correlations (the first ones recorded): all pairs of a large
/// population would cost O(n²).
pub(crate) const CORRELATION_SAMPLE: usize = 100;
/// Bin of the population rate whose spectrum is taken: 1 ms resolves oscillations up to
/// 500 Hz (Brunel's fast oscillations are near 180 Hz, synchronous regular firing ~300 Hz).
const SPECTRUM_BIN_MS: f64 = 1.0;
/// Slower components than this are drift and the opening transient, not an oscillation.
const SPECTRUM_MIN_HZ: f64 = 5.0;

/// The spikes of population `population` as parallel `(ids, times)` slices over its recorded
/// cells, renumbered `0..n` (so silent recorded cells count and unrecorded ones do not), and n.
pub fn population_events(
    suite: &NativeSuite,
    population: usize,
    recordings: &Recordings,
) -> (Vec<u32>, Vec<f64>, usize) {
    let pop = &suite.populations[population];
    let recorded: Vec<usize> = suite
        .recordings
        .iter()
        .filter(|r| r.population == population && r.variables.contains(&Variable::Spikes))
        .flat_map(|r| codegen::cells(&r.cells, pop.size))
        .collect();
    let position: BTreeMap<u32, u32> = recorded
        .iter()
        .enumerate()
        .map(|(i, c)| (*c as u32, i as u32))
        .collect();
    let (ids, times) = recordings
        .spikes
        .get(pop.id.as_str())
        .into_iter()
        .flatten()
        .filter_map(|(cell, t)| position.get(cell).map(|p| (*p, *t)))
        .unzip();
    (ids, times, recorded.len())
}

/// The population statistics of a job (networks), judged on its own recordings over the
/// recorded cells of each population.
pub fn judge_statistics(job: &NativeJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let suite = &job.suite;
    let duration_ms = suite.simulation.duration.si * 1e3;
    let mut out = Vec::new();
    for check in &suite.checks.statistics {
        let pop = &suite.populations[check.population];
        let (ids, times, n) = population_events(suite, check.population, recordings);
        let from = ms(&check.start);
        let observed = match check.statistic {
            Statistic::MeanRate => Some(stats::population_rate(&ids, &times, n, from, duration_ms)),
            Statistic::CvIsi => stats::cv_isi_distribution(&ids, &times, n, from, duration_ms).mean,
            Statistic::FanoFactor => stats::fano_factor(&stats::population_counts(
                &times,
                FANO_BIN_MS,
                from,
                duration_ms,
            )),
            Statistic::Correlation => {
                let sample: Vec<u32> = (0..n.min(CORRELATION_SAMPLE) as u32).collect();
                Some(stats::pairwise_correlation(
                    &ids,
                    &times,
                    &sample,
                    CORRELATION_BIN_MS,
                    from,
                    duration_ms,
                ))
            }
            Statistic::PowerPeak => stats::power_spectrum_peak(
                &stats::population_counts(&times, SPECTRUM_BIN_MS, from, duration_ms),
                SPECTRUM_BIN_MS,
                SPECTRUM_MIN_HZ,
            )
            .map(|peak| peak.frequency),
            Statistic::Synchrony => {
                stats::chi_synchrony(&ids, &times, n, CORRELATION_BIN_MS, from, duration_ms)
            }
        }
        .filter(|v| v.is_finite());
        let name = check.statistic.name();
        // Frequencies are in Hz (SI), the others plain numbers: SI values compare directly.
        let (status, message, expected, tolerance, min_passing_tolerance) = match &check.criterion {
            Criterion::Within {
                expected,
                tolerance,
            } => {
                let (expected, tolerance) = (expected.si, tolerance.si);
                let (status, message) = match observed {
                    Some(o) if (o - expected).abs() <= tolerance => (
                        CheckStatus::Pass,
                        format!("{name} {o:.4} (expected {expected} ± {tolerance})"),
                    ),
                    Some(o) => (
                        CheckStatus::Fail,
                        format!(
                            "{name} {o:.4}, expected {expected} ± {tolerance}: off by {:+.4}",
                            o - expected
                        ),
                    ),
                    None => (CheckStatus::Fail, not_computed(name)),
                };
                let min_passing = observed.map(|o| (o - expected).abs());
                (status, message, Some(expected), tolerance, min_passing)
            }
            Criterion::Range { min, max } => {
                let range = range_text(min.map(|q| q.si), max.map(|q| q.si));
                let (status, message) = match observed {
                    Some(o) => {
                        let below = min.filter(|m| o < m.si).map(|m| m.si - o);
                        let above = max.filter(|m| o > m.si).map(|m| o - m.si);
                        match (below, above) {
                            (Some(by), _) => (
                                CheckStatus::Fail,
                                format!("{name} {o:.4}, expected {range}: below by {by:.4}"),
                            ),
                            (_, Some(by)) => (
                                CheckStatus::Fail,
                                format!("{name} {o:.4}, expected {range}: above by {by:.4}"),
                            ),
                            _ => (CheckStatus::Pass, format!("{name} {o:.4} ({range})")),
                        }
                    }
                    None => (CheckStatus::Fail, not_computed(name)),
                };
                (status, message, None, 0.0, None)
            }
        };
        out.push(ObservableResult {
            experiment: format!("{} population", pop.id),
            observable: name.to_string(),
            status,
            tolerance,
            expected: expected.map(Value::Scalar),
            observed: observed.map(Value::Scalar),
            message,
            min_passing_tolerance,
            file: check.location.file.clone(),
            line: check.location.line,
        });
    }
    out
}

/// A suite's published mean rates, judged on the engines the figures are held to.
pub fn judge_published(job: &NativeJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let suite = &job.suite;
    let Some(check) = &suite.checks.published else {
        return vec![];
    };
    // The figures are for the suite's own seed; calibration runs at other seeds are not judged.
    if !check.engines.contains(&job.simulator) || job.seed.is_some() || job.point.is_some() {
        return vec![];
    }
    let (start, stop) = (ms(&check.start), ms(&check.stop));
    let tolerance = check.tolerance.si;
    check
        .rates
        .iter()
        .map(|&(population, expected)| {
            let pop = &suite.populations[population];
            let (ids, times, n) = population_events(suite, population, recordings);
            let observed = stats::population_rate_closed(&ids, &times, n, start, stop);
            let expected = expected.si;
            let off = observed - expected;
            let (status, message) = if !observed.is_finite() {
                (CheckStatus::Fail, not_computed("mean_rate"))
            } else if off.abs() <= tolerance {
                (
                    CheckStatus::Pass,
                    format!("mean_rate {observed:.4} (published {expected} ± {tolerance})"),
                )
            } else {
                (
                    CheckStatus::Fail,
                    format!(
                        "mean_rate {observed:.4}, published {expected} ± {tolerance}: off by {off:+.4}"
                    ),
                )
            };
            ObservableResult {
                experiment: format!("{} population", pop.id),
                observable: "published mean_rate".to_string(),
                status,
                tolerance,
                expected: Some(Value::Scalar(expected)),
                observed: observed.is_finite().then_some(Value::Scalar(observed)),
                message,
                min_passing_tolerance: observed.is_finite().then_some(off.abs()),
                file: check.location.file.clone(),
                line: check.location.line,
            }
        })
        .collect()
}

fn not_computed(name: &str) -> String {
    format!("{name} could not be computed (too few spikes or recorded cells)")
}

/// `≥ 0.8`, `≤ 40`, `in [20, 80]`.
fn range_text(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("in [{lo}, {hi}]"),
        (Some(lo), None) => format!("≥ {lo}"),
        (None, Some(hi)) => format!("≤ {hi}"),
        (None, None) => "any value".to_string(),
    }
}

/// The unit a feature is reported in, and the factor from SI to it.
fn feature_unit(feature: Feature) -> (&'static str, f64) {
    match feature {
        Feature::SpikeCount | Feature::AdaptationIndex => ("", 1.0),
        Feature::FirstSpikeLatency => (" ms", 1e3),
        Feature::MeanRate => (" Hz", 1.0),
        Feature::RestingPotential => (" mV", 1e3),
    }
}

/// A quantity in ms.
pub fn ms(q: &Quantity) -> f64 {
    q.si * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(yaml: &str) -> NativeJob {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.crosscheck.yaml");
        std::fs::write(&path, yaml).unwrap();
        let suite = crate::suite::native::load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"));
        NativeJob {
            suite: Arc::new(suite),
            id: "net.crosscheck.yaml".into(),
            file: path,
            simulator: Simulator::Nest,
            point: None,
            seed: None,
        }
    }

    const NET: &str = "suite: net\nsimulation: {duration: 1000 ms}\npopulations:\n  exc:\n    cell: lif_curr_exp\n    size: 4\nrecord:\n  - {population: exc, variables: [spikes]}\nchecks:\n  statistics:\n    - {statistic: mean_rate, population: exc, expected: 5 Hz, tolerance: 1 Hz}\n    - {statistic: cv_isi, population: exc, expected: 0, tolerance: 0.01}\n";

    #[test]
    fn statistics_count_silent_cells_and_judge_with_the_tolerance() {
        let job = job(NET);
        let mut recordings = Recordings::default();
        // Two regular cells at 10 Hz, two silent: 5 Hz on average, CV 0.
        let events: Vec<(u32, f64)> = (0..10)
            .flat_map(|k| [(0, 50.0 + 100.0 * k as f64), (2, 60.0 + 100.0 * k as f64)])
            .collect();
        recordings.spikes.insert("exc".into(), events);
        let judged = judge_statistics(&job, &recordings);
        assert_eq!(judged.len(), 2);
        assert_eq!(judged[0].status, CheckStatus::Pass, "{}", judged[0].message);
        assert_eq!(judged[0].observed, Some(Value::Scalar(5.0)));
        assert_eq!(judged[1].status, CheckStatus::Pass, "{}", judged[1].message);

        // Half the spikes gone: 2.5 Hz is outside 5 ± 1 Hz, and the message says by how much.
        let events: Vec<(u32, f64)> = (0..5).map(|k| (0, 50.0 + 100.0 * k as f64)).collect();
        let mut halved = Recordings::default();
        halved.spikes.insert("exc".into(), events);
        let judged = judge_statistics(&job, &halved);
        assert_eq!(judged[0].status, CheckStatus::Fail);
        assert!(
            judged[0].message.contains("off by -3.75"),
            "{}",
            judged[0].message
        );
    }

    #[test]
    fn spike_files_are_read_sorted_and_bad_lines_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spikes_x.txt");
        std::fs::write(&path, "# cell time\n1 5.5\n0 2.0\n").unwrap();
        assert_eq!(read_spikes(&path).unwrap(), vec![(0, 2.0), (1, 5.5)]);
        std::fs::write(&path, "0 2.0\nx 3\n").unwrap();
        let err = read_spikes(&path).unwrap_err();
        assert!(err.contains("spikes_x.txt"), "{err}");
        std::fs::write(&path, "0 2.0\n1.5 3\n").unwrap();
        let err = read_spikes(&path).unwrap_err();
        assert!(err.contains("row 2"), "{err}");
        std::fs::write(&path, "").unwrap();
        assert_eq!(read_spikes(&path).unwrap(), vec![]);
        std::fs::write(&path, "# only a comment\n").unwrap();
        assert_eq!(read_spikes(&path).unwrap(), vec![]);
    }
}
