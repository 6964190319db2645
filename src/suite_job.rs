//! Running crosscheck suites: one job per suite × simulator × sweep point.
//!
//! A job generates the simulator's code into its working directory ([`crate::codegen`]), the
//! runner runs the [`steps`], and [`read_recordings`] reads what the script wrote (the output
//! contract of `codegen`). The recordings are judged in [`crate::judge`]: a job's own checks
//! as it ends, the agreement between engines once every job of a suite has finished.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::codegen;
use crate::engine::{Step, Tools};
use crate::env::Component;
use crate::results::{Recordings, Trace};
use crate::suite::native::{NativeSuite, Simulator, Variable};
use crate::suite::units::Quantity;

/// One run of a suite on one simulator (at one sweep point, for a sweep).
#[derive(Debug, Clone)]
pub struct SuiteJob {
    /// The loaded suite, shared by all its jobs (sweep value and seed not yet applied: see
    /// [`SuiteJob::resolved_suite`]).
    pub suite: Arc<NativeSuite>,
    /// The suite file's id (path relative to where it was discovered).
    pub id: String,
    /// The suite file (`*.crosscheck.yaml`).
    pub file: PathBuf,
    /// The simulator the job generates code for and runs.
    pub simulator: Simulator,
    /// The 0-based index of the sweep value this job runs; `None` for a suite without a sweep.
    pub point: Option<usize>,
    /// Another seed than the suite's: one of the calibration runs `bless` makes for a
    /// `distributions` check (see [`crate::judge::calibration`]).
    pub seed: Option<u64>,
    /// The simulator version an `--engine NAME:VERSION` filter asked for, as written (shown
    /// in the engine label, `NEURON:9.0.2`); `None` when no filter named a version.
    pub requested_version: Option<String>,
    /// When that version is not the pinned one: the component and version its side-by-side
    /// environment holds.
    pub version: Option<(Component, String)>,
    /// That environment's tools, once provisioned; `None`: the run's tools.
    pub tools: Option<Arc<Tools>>,
}

impl SuiteJob {
    /// A job of `suite` (loaded from `file`, whose name is its id) on `simulator` as written:
    /// no sweep point, the suite's own seed, the pinned simulator version.
    pub fn new(suite: NativeSuite, file: impl Into<PathBuf>, simulator: Simulator) -> Self {
        let file = file.into();
        SuiteJob {
            suite: Arc::new(suite),
            id: file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            file,
            simulator,
            point: None,
            seed: None,
            requested_version: None,
            version: None,
            tools: None,
        }
    }

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

/// The component whose version `--engine SIMULATOR:VERSION` names for a suite on
/// `simulator` (`None`: jNeuroML, which crosscheck runs at its pinned version only).
pub fn versioned_component(simulator: Simulator) -> Option<Component> {
    match simulator {
        Simulator::Neuron | Simulator::JNeuroMLNeuron => Some(Component::Neuron),
        Simulator::Nest => Some(Component::Nest),
        Simulator::Brian2 => Some(Component::Brian2),
        Simulator::JNeuroML => None,
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
    job: &SuiteJob,
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

/// A quantity in ms.
pub fn ms(q: &Quantity) -> f64 {
    q.si * 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

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
