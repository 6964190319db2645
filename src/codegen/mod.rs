//! Code generation: a native suite becomes each simulator's own code.
//!
//! Every generator reads only the validated model ([`NativeSuite`]), as the one
//! simulator-neutral description of its network ([`network::Network`]: populations,
//! projections, drives, recordings) that every generator shares, and emits code from a tera
//! template in `templates/`. A generator only maps cell models and parameters to its
//! simulator's names and units. What reaches a template is limited to numbers formatted by
//! [`crate::suite::units::code_number`], identifiers that passed
//! [`Ident`](crate::suite::native::Ident) validation, and fixed strings from crosscheck's own
//! tables; bulk data (spike times, connection lists) goes into plain text files beside the
//! script, which the script loads.
//!
//! The generated scripts share one contract, so reading and comparing results is the same for
//! every simulator (units: ms, mV, and the state variable's own unit from the cell library):
//!
//! - inputs, written by crosscheck: `inputs/spikes_<population>.txt` (`cell time_ms` per line)
//!   for spike sources, `inputs/connections_<k>.txt` (`pre post` per line) for projection `k`;
//! - outputs, written by the script: `output/spikes_<population>.txt` (`cell time_ms`),
//!   `output/<population>_<variable>.txt` (`time_ms` then one column per recorded cell).

pub mod brian2;
pub mod drawn;
#[cfg(test)]
mod golden;
pub mod lems;
pub mod nest;
pub mod network;
pub mod neuroml;
pub mod neuroml_export;
pub mod neuron;
pub mod random;
#[cfg(test)]
pub(crate) mod testing;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::suite::native::{
    CellSelection, Connectivity, Connector, NativeSuite, Population, Projection, Simulator,
    Stimulus, SweepTarget,
};
use crate::suite::units::{code_number, Quantity};

use network::Network;
use random::SplitMix64;

/// Why simulator code could not be generated for a native suite.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// The suite uses something this simulator cannot express; the job is skipped with this.
    #[error("{0}")]
    Unsupported(String),
    /// A generated file or folder could not be written (or, converting jLEMS's recordings, a
    /// raw output file could not be read).
    #[error("could not write {path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Rendering a template failed, or the model lacked what a generator expected: a bug in
    /// crosscheck, since the suite was validated.
    #[error("template error (a bug in crosscheck): {0}")]
    Template(String),
    /// A quantity could not be expressed in the unit the simulator wants: a bug in crosscheck,
    /// since the suite's units were validated.
    #[error("unit conversion failed (a bug in crosscheck): {0}")]
    Units(String),
}

/// What a generator produced: files in the output folder and the command that runs them.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Every file written: the input files, any model or mechanism files, and the script.
    pub files: Vec<PathBuf>,
    /// The file to run, relative to the output folder.
    pub script: String,
    /// What runs `script`.
    pub kind: GeneratedKind,
}

/// What runs a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneratedKind {
    /// A Python script for the managed Python (`python <script>`).
    Python,
    /// A LEMS file for jNeuroML (`java -jar <jar> <script> -nogui`, see
    /// [`crate::engine::jneuroml::simulate`]); afterwards [`lems::convert_lems_outputs`] turns
    /// its SI output into the contract's.
    Lems,
}

/// The same input for every simulator: drawn by crosscheck from the suite's seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// Per population: spike times (ms) of each cell, for spike and Poisson sources.
    pub source_spikes: Vec<Option<Vec<Vec<f64>>>>,
    /// Per projection: the explicit `(pre, post)` pairs.
    pub connections: Vec<Vec<(u32, u32)>>,
}

/// Draws the Poisson trains and the connectivity of `suite`.
pub fn prepare_inputs(suite: &NativeSuite) -> Inputs {
    let source_spikes = suite
        .populations
        .iter()
        .enumerate()
        .map(|(index, pop)| source_spikes(suite, index, pop))
        .collect();
    let connections = suite
        .projections
        .iter()
        .enumerate()
        .map(|(k, proj)| {
            if suite.simulation.connectivity == Connectivity::Simulator {
                // Each simulator draws these itself; nothing to hand over.
                return Vec::new();
            }
            connection_pairs(suite, k, proj)
        })
        .collect();
    Inputs {
        source_spikes,
        connections,
    }
}

/// The spike times (ms) of each cell of population `index`, for spike and Poisson sources:
/// as given, or drawn from the suite's seed (one stream per cell).
fn source_spikes(suite: &NativeSuite, index: usize, pop: &Population) -> Option<Vec<Vec<f64>>> {
    match pop.kind.name {
        "spike_source" => Some(
            (0..pop.size)
                .map(|cell| pop.spike_times_of(cell).iter().map(ms).collect())
                .collect(),
        ),
        "poisson_source" => {
            let duration_ms = ms(&suite.simulation.duration);
            let rate = pop.param("rate").map(|q| q.si).unwrap_or(0.0);
            let start = pop.param("start").map(ms).unwrap_or(0.0);
            let stop = pop
                .param("stop")
                .map(ms)
                .unwrap_or(duration_ms)
                .min(duration_ms);
            Some(
                (0..pop.size)
                    .map(|cell| {
                        let stream = ((index as u64) << 32) | cell as u64;
                        let mut rng = SplitMix64::new(suite.simulation.seed, stream);
                        random::poisson_train(&mut rng, rate, start, stop)
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The explicit `(pre, post)` pairs of projection `k`, listed or drawn by crosscheck.
fn connection_pairs(suite: &NativeSuite, k: usize, proj: &Projection) -> Vec<(u32, u32)> {
    let pre = suite.populations[proj.from].size;
    let post = suite.populations[proj.to].size;
    let same = proj.from == proj.to;
    match &proj.connector {
        Connector::AllToAll {
            allow_self_connections,
        } => (0..pre as u32)
            .flat_map(|a| (0..post as u32).map(move |b| (a, b)))
            .filter(|(a, b)| *allow_self_connections || !same || a != b)
            .collect(),
        Connector::OneToOne => (0..pre.min(post) as u32).map(|i| (i, i)).collect(),
        Connector::Explicit(pairs) => pairs.clone(),
        Connector::FixedProbability {
            p,
            seed: proj_seed,
            allow_self_connections,
        } => random::fixed_probability(
            &mut connector_rng(*proj_seed, k),
            pre,
            post,
            *p,
            same && !allow_self_connections,
        ),
        Connector::FixedIndegree {
            in_degree,
            seed: proj_seed,
            allow_self_connections,
            allow_multapses,
        } => random::fixed_indegree(
            &mut connector_rng(*proj_seed, k),
            pre,
            post,
            *in_degree,
            same && !allow_self_connections,
            *allow_multapses,
        ),
        Connector::FixedTotalNumber {
            total,
            seed: proj_seed,
            allow_self_connections,
        } => random::fixed_total_number(
            &mut connector_rng(*proj_seed, k),
            pre,
            post,
            *total,
            same && !allow_self_connections,
        ),
    }
}

/// The generator of projection `k`'s random connectivity.
fn connector_rng(seed: u64, k: usize) -> SplitMix64 {
    SplitMix64::new(seed, 0xC0DE_0000 + k as u64)
}

/// Writes the input files of the contract into `dir`.
pub fn write_inputs(
    dir: &Path,
    suite: &NativeSuite,
    inputs: &Inputs,
) -> Result<Vec<PathBuf>, CodegenError> {
    let folder = dir.join("inputs");
    std::fs::create_dir_all(&folder).map_err(|source| CodegenError::Io {
        path: folder.clone(),
        source,
    })?;
    let mut written = Vec::new();
    for (pop, spikes) in suite.populations.iter().zip(&inputs.source_spikes) {
        if let Some(cells) = spikes {
            let mut text = String::new();
            for (cell, times) in cells.iter().enumerate() {
                for t in times {
                    let _ = writeln!(text, "{cell} {}", code_number(*t));
                }
            }
            written.push(write_file(
                &folder.join(format!("spikes_{}.txt", pop.id)),
                &text,
            )?);
        }
    }
    for (k, pairs) in inputs.connections.iter().enumerate() {
        if suite.simulation.connectivity == Connectivity::Simulator {
            break;
        }
        let mut text = String::with_capacity(pairs.len() * 8);
        for (a, b) in pairs {
            let _ = writeln!(text, "{a} {b}");
        }
        written.push(write_file(
            &folder.join(format!("connections_{k}.txt")),
            &text,
        )?);
    }
    Ok(written)
}

fn write_file(path: &Path, text: &str) -> Result<PathBuf, CodegenError> {
    std::fs::write(path, text).map_err(|source| CodegenError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(path.to_path_buf())
}

/// The suite as run at sweep point `point`: the swept value put in place.
pub fn apply_sweep(suite: &NativeSuite, point: usize) -> NativeSuite {
    let mut run = suite.clone();
    let Some(sweep) = &suite.sweep else {
        return run;
    };
    let Some(value) = sweep.values.get(point).copied() else {
        return run;
    };
    match &sweep.target {
        SweepTarget::StimulusAmplitude { stimulus } => {
            if let Some(Stimulus::Step { amplitude, .. }) = run.stimuli.get_mut(*stimulus) {
                *amplitude = value;
            }
        }
        SweepTarget::PopulationParam { population, param } => {
            if let Some(pop) = run.populations.get_mut(*population) {
                if let Some(slot) = pop.params.iter_mut().find(|(n, _)| n == param) {
                    slot.1 = value;
                }
            }
        }
        SweepTarget::ProjectionWeight { projection } => {
            if let Some(proj) = run.projections.get_mut(*projection) {
                proj.weight = value;
            }
        }
        SweepTarget::TimeStep => run.simulation.dt = value,
    }
    run.sweep = None;
    run
}

/// Generates the code of `suite` for `simulator` into `dir` (inputs included).
pub fn generate(
    suite: &NativeSuite,
    simulator: Simulator,
    dir: &Path,
) -> Result<Generated, CodegenError> {
    if suite.model.is_some() {
        // NeuroML models: jNeuroML's toolchain runs the file itself, or crosscheck runs its
        // translation of it (see `neuroml::runs_neuroml_file`).
        if neuroml::runs_neuroml_file(suite, simulator) {
            return neuroml::generate(suite, simulator, dir);
        }
        if simulator == Simulator::Nest {
            if let Some(reason) = neuroml::nest_blocker(suite) {
                return Err(CodegenError::Unsupported(reason));
            }
        }
    }
    let inputs = prepare_inputs(suite);
    let mut files = write_inputs(dir, suite, &inputs)?;
    let net = Network::new(suite, &inputs);
    let generated = match simulator {
        Simulator::Nest => nest::generate(&net, dir)?,
        Simulator::JNeuroML => lems::generate(&net, dir)?,
        Simulator::Neuron => neuron::generate(&net, dir)?,
        Simulator::Brian2 => brian2::generate(&net, dir)?,
        Simulator::JNeuroMLNeuron => neuroml_export::generate(&net, dir)?,
    };
    files.extend(generated.files);
    Ok(Generated {
        files,
        script: generated.script,
        kind: generated.kind,
    })
}

/// Writes a generated script (or LEMS file) and describes it.
pub(crate) fn write_generated(
    dir: &Path,
    name: &str,
    code: &str,
    kind: GeneratedKind,
) -> Result<Generated, CodegenError> {
    let path = write_file(&dir.join(name), code)?;
    Ok(Generated {
        files: vec![path],
        script: name.to_string(),
        kind,
    })
}

/// A Python list literal of cell indices.
pub(crate) fn list_literal(cells: &[usize]) -> String {
    let items: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// Steady-state gating (m, h, n) of the Hodgkin–Huxley cell at `v_mv`, with NEST
/// `hh_psc_alpha`'s rate functions (v in mV, rates per ms). Generators that cannot compute it
/// in the simulator start the cell from these values, so every simulator starts alike.
pub(crate) fn hh_steady_state(v_mv: f64) -> HhGates {
    // x / (1 - exp(-x / 10)) with its limit 10 at x = 0 (a removable singularity).
    let ratio = |x: f64| {
        if x.abs() < 1e-9 {
            10.0
        } else {
            x / (1.0 - (-x / 10.0).exp())
        }
    };
    let alpha_n = 0.01 * ratio(v_mv + 55.0);
    let beta_n = 0.125 * (-(v_mv + 65.0) / 80.0).exp();
    let alpha_m = 0.1 * ratio(v_mv + 40.0);
    let beta_m = 4.0 * (-(v_mv + 65.0) / 18.0).exp();
    let alpha_h = 0.07 * (-(v_mv + 65.0) / 20.0).exp();
    let beta_h = 1.0 / (1.0 + (-(v_mv + 35.0) / 10.0).exp());
    HhGates {
        m: alpha_m / (alpha_m + beta_m),
        h: alpha_h / (alpha_h + beta_h),
        n: alpha_n / (alpha_n + beta_n),
    }
}

/// The gating variables of the Hodgkin–Huxley cell (see [`hh_steady_state`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HhGates {
    /// Sodium activation.
    pub m: f64,
    /// Sodium inactivation.
    pub h: f64,
    /// Potassium activation.
    pub n: f64,
}

/// A time in ms.
pub(crate) fn ms(q: &Quantity) -> f64 {
    q.si * 1e3
}

/// The cells a selection names, as indices.
pub(crate) fn cells(selection: &CellSelection, size: usize) -> Vec<usize> {
    match selection {
        CellSelection::All => (0..size).collect(),
        CellSelection::Indices(ids) => ids.clone(),
    }
}

/// `q` in `unit`, formatted for code.
pub(crate) fn number_in(q: &Quantity, unit: &str) -> Result<String, CodegenError> {
    q.value_in(unit)
        .map(code_number)
        .map_err(|e| CodegenError::Units(e.to_string()))
}

/// Renders one embedded template. Templates are `.py`/`.xml`, so tera does not autoescape
/// them; every value in the context is a number or a validated identifier.
pub(crate) fn render(
    name: &str,
    template: &str,
    context: &impl serde::Serialize,
) -> Result<String, CodegenError> {
    let mut tera = tera::Tera::default();
    tera.add_raw_template(name, template)
        .map_err(|e| CodegenError::Template(format!("{e:?}")))?;
    let context = tera::Context::from_serialize(context)
        .map_err(|e| CodegenError::Template(e.to_string()))?;
    tera.render(name, &context)
        .map_err(|e| CodegenError::Template(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    /// A suite judged against an exact answer gets every digit of its traces; others get 10.
    #[test]
    fn traces_keep_every_digit_for_analytic_checks_only() {
        let judged = super::testing::from_yaml(
            "suite: rc
simulation: {duration: 5 ms, dt: 0.1 ms}
populations:
  cell: {cell: lif_curr_exp, size: 1, parameters: {i_offset: 100 pA}}
record: [{population: cell, variables: [v]}]
checks:
  analytic: [{population: cell, v: {max_relative: 0.01}}]
",
        );
        let mut plain = judged.clone();
        plain.checks.analytic.clear();
        for simulator in [
            super::Simulator::Nest,
            super::Simulator::Neuron,
            super::Simulator::Brian2,
        ] {
            for (suite, format) in [(&judged, "fmt=\"%.17g\""), (&plain, "fmt=\"%.10g\"")] {
                let dir = tempfile::tempdir().unwrap();
                let generated = super::generate(suite, simulator, dir.path()).unwrap();
                let script = std::fs::read_to_string(dir.path().join(&generated.script)).unwrap();
                assert!(script.contains(format), "{simulator:?} lacks {format}");
            }
        }
    }

    #[test]
    fn hh_steady_state_matches_nests_resting_gates() {
        // NEST hh_psc_alpha's initial Act_m, Inact_h, Act_n (at -65 mV).
        let super::HhGates { m, h, n } = super::hh_steady_state(-65.0);
        assert!((m - 0.052_932_485_257_249_58).abs() < 1e-12, "{m}");
        assert!((h - 0.596_120_753_508_460_3).abs() < 1e-12, "{h}");
        assert!((n - 0.317_676_914_060_697_4).abs() < 1e-12, "{n}");
        // The removable singularities (v = -40 and -55 mV) stay finite.
        let gates = super::hh_steady_state(-40.0);
        assert!(gates.m.is_finite() && gates.n.is_finite());
        let n = super::hh_steady_state(-55.0).n;
        assert!(n.is_finite() && n > 0.0);
    }
}
