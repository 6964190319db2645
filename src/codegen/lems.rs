//! LEMS (NeuroML2) code for a native suite, run by jNeuroML (`java -jar <jar> LEMS_<suite>.xml
//! -nogui`).
//!
//! Each library cell type becomes the LEMS component with NEST's semantics, so the jNeuroML
//! run is the same model as the NEST run, integrated by jLEMS's forward Euler:
//!
//! - `lif_curr_exp`/`lif_curr_alpha` → PyNN.xml's `IF_curr_exp`/`IF_curr_alpha` with
//!   `expCurrSynapse`/`alphaCurrSynapse` (PyNN units: nF, ms, mV, nA; weights in nA). The alpha
//!   synapse peaks at its weight at t = tau_syn, like NEST's `iaf_psc_alpha`.
//! - `izhikevich` → `cc_izhikevich2003`, defined in the file: NeuroML's `izhikevichCell` is
//!   written in dimensionless units and has no delta synapse, while NEST's model adds each
//!   event's weight (mV) to v.
//! - `izhikevich2007` → NeuroML's `izhikevich2007Cell` with `expCurrSynapse`; its missing
//!   `i_offset` becomes a constant `pulseGenerator` over the whole run.
//! - `adex_cond_exp` → `cc_aeif_cond_exp` with PyNN's `expCondSynapse` (weights in µS): PyNN.xml's
//!   `EIF_cond_exp_isfa_ista` mixes nS and nA in `w`'s equation and does not cap v in the
//!   exponential the way NEST does.
//! - `hh_curr_alpha` → `cc_hh_psc_alpha` with `alphaCurrSynapse`: PyNN's `HH_cond_exp` uses
//!   Traub's kinetics, NEST's `hh_psc_alpha` the classic squid-axon ones.
//!
//! Spike sources become one `spikeArray` per cell, with the times crosscheck prepared inlined as
//! numbers (LEMS cannot read our input files); connections are explicit
//! `synapticConnectionWD`s. jLEMS writes SI units (s, V, A) into `lems_output/`;
//! [`convert_lems_outputs`] rewrites them into the `output/` files of the contract.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{cells, ms, render, CodegenError, Generated, GeneratedKind, Inputs};
use crate::suite::native::{NativeSuite, Population, Receptor, Stimulus, Variable};
use crate::suite::units::{code_number, parse_unit, Convention, Dimension, Quantity};

const TEMPLATE: &str = include_str!("templates/lems.xml.tera");

/// Where jLEMS writes its raw (SI) recordings, relative to the generated folder.
pub const RAW_OUTPUT: &str = "lems_output";

/// The LEMS file's name for a suite (the suite name is a validated identifier).
pub fn file_name(suite: &NativeSuite) -> String {
    format!("LEMS_{}.xml", suite.name)
}

/// How a parameter reaches a LEMS attribute: (our name, LEMS attribute, unit of the number,
/// suffix written after it). PyNN.xml's types take bare numbers in PyNN's units.
type ParamMap = &'static [(&'static str, &'static str, &'static str, &'static str)];

const PYNN_LIF: ParamMap = &[
    ("cm", "cm", "nF", ""),
    ("tau_m", "tau_m", "ms", ""),
    ("v_rest", "v_rest", "mV", ""),
    ("v_reset", "v_reset", "mV", ""),
    ("v_thresh", "v_thresh", "mV", ""),
    ("tau_refrac", "tau_refrac", "ms", ""),
    ("tau_syn_E", "tau_syn_E", "ms", ""),
    ("tau_syn_I", "tau_syn_I", "ms", ""),
    ("i_offset", "i_offset", "nA", ""),
    ("v_init", "v_init", "mV", ""),
];

const IZHIKEVICH: ParamMap = &[
    ("a", "a", "1/ms", "per_ms"),
    ("b", "b", "1/ms", "per_ms"),
    ("c", "c", "mV", "mV"),
    ("d", "d", "mV/ms", "cc_mV_per_ms"),
    ("v_thresh", "v_thresh", "mV", "mV"),
    ("i_offset", "i_offset", "nA", "nA"),
    ("v_init", "v_init", "mV", "mV"),
    ("u_init", "u_init", "mV/ms", "cc_mV_per_ms"),
];

const IZHIKEVICH2007: ParamMap = &[
    ("cm", "C", "pF", "pF"),
    ("k", "k", "nS/mV", "nS_per_mV"),
    ("v_r", "vr", "mV", "mV"),
    ("v_t", "vt", "mV", "mV"),
    ("v_peak", "vpeak", "mV", "mV"),
    ("a", "a", "1/ms", "per_ms"),
    ("b", "b", "nS", "nS"),
    ("c", "c", "mV", "mV"),
    ("d", "d", "pA", "pA"),
    ("v_init", "v0", "mV", "mV"),
];

const ADEX: ParamMap = &[
    ("cm", "C", "pF", "pF"),
    ("g_L", "gL", "nS", "nS"),
    ("v_rest", "EL", "mV", "mV"),
    ("v_thresh", "VT", "mV", "mV"),
    ("v_reset", "v_reset", "mV", "mV"),
    ("tau_w", "tau_w", "ms", "ms"),
    ("a", "a", "nS", "nS"),
    ("b", "b", "pA", "pA"),
    ("tau_refrac", "t_ref", "ms", "ms"),
    ("i_offset", "i_offset", "pA", "pA"),
    ("v_init", "v_init", "mV", "mV"),
];

const HH: ParamMap = &[
    ("cm", "C", "pF", "pF"),
    ("g_Na", "gNa", "nS", "nS"),
    ("g_K", "gK", "nS", "nS"),
    ("g_L", "gL", "nS", "nS"),
    ("e_rev_Na", "ENa", "mV", "mV"),
    ("e_rev_K", "EK", "mV", "mV"),
    ("e_rev_L", "EL", "mV", "mV"),
    ("i_offset", "i_offset", "pA", "pA"),
    ("v_init", "v_init", "mV", "mV"),
];

/// The synapse a cell type's incoming projections use.
#[derive(Clone, Copy)]
enum Synapse {
    /// A PyNN.xml current synapse (`expCurrSynapse`/`alphaCurrSynapse`): weight in nA, signed.
    Current(&'static str),
    /// PyNN.xml's `expCondSynapse`: weight in µS, reversal potential per receptor.
    Conductance,
    /// `cc_deltaSynapse`: weight in mV, signed.
    Delta,
}

/// One cell type as LEMS: component type, parameters, synapse, where step currents attach
/// and its recordable state variables (ours → LEMS exposure).
struct LemsModel {
    tag: &'static str,
    params: ParamMap,
    synapse: Synapse,
    /// The component type of a current step into this cell.
    pulse: &'static str,
    variables: &'static [(&'static str, &'static str)],
}

fn lems_model(cell: &str) -> Option<LemsModel> {
    Some(match cell {
        "lif_curr_exp" => LemsModel {
            tag: "IF_curr_exp",
            params: PYNN_LIF,
            synapse: Synapse::Current("expCurrSynapse"),
            pulse: "pulseGenerator",
            variables: &[("v", "v")],
        },
        "lif_curr_alpha" => LemsModel {
            tag: "IF_curr_alpha",
            params: PYNN_LIF,
            synapse: Synapse::Current("alphaCurrSynapse"),
            pulse: "pulseGenerator",
            variables: &[("v", "v")],
        },
        "izhikevich" => LemsModel {
            tag: "cc_izhikevich2003",
            params: IZHIKEVICH,
            synapse: Synapse::Delta,
            pulse: "cc_deltaPulse",
            variables: &[("v", "v"), ("u", "u")],
        },
        "izhikevich2007" => LemsModel {
            tag: "izhikevich2007Cell",
            params: IZHIKEVICH2007,
            synapse: Synapse::Current("expCurrSynapse"),
            pulse: "pulseGenerator",
            variables: &[("v", "v"), ("u", "u")],
        },
        "adex_cond_exp" => LemsModel {
            tag: "cc_aeif_cond_exp",
            params: ADEX,
            synapse: Synapse::Conductance,
            pulse: "pulseGenerator",
            variables: &[("v", "v"), ("w", "w")],
        },
        "hh_curr_alpha" => LemsModel {
            tag: "cc_hh_psc_alpha",
            params: HH,
            synapse: Synapse::Current("alphaCurrSynapse"),
            pulse: "pulseGenerator",
            variables: &[("v", "v")],
        },
        _ => return None,
    })
}

#[derive(Serialize)]
struct Context {
    version: &'static str,
    suite: String,
    uses_izhikevich: bool,
    uses_adex: bool,
    uses_hh: bool,
    dt: String,
    duration: String,
    components: Vec<Component>,
    sources: Vec<Source>,
    pulses: Vec<Pulse>,
    populations: Vec<Pop>,
    connections: Vec<Connection>,
    inputs: Vec<Input>,
    traces: Vec<Trace>,
    spikes: Vec<Spikes>,
}

/// A component element: `<tag id="id" attr="value" .../>`.
#[derive(Serialize)]
struct Component {
    tag: &'static str,
    id: String,
    attrs: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct Source {
    id: String,
    /// Spike times in ms.
    times: Vec<String>,
}

#[derive(Serialize)]
struct Pulse {
    /// `pulseGenerator`, or `cc_deltaPulse` for cells with delta synapses.
    tag: &'static str,
    id: String,
    delay: String,
    duration: String,
    /// In nA.
    amplitude: String,
}

#[derive(Serialize)]
struct Pop {
    id: String,
    component: String,
    size: usize,
}

#[derive(Serialize)]
struct Connection {
    from: String,
    to: String,
    synapse: String,
    weight: String,
    delay: String,
}

#[derive(Serialize)]
struct Input {
    target: String,
    input: String,
}

/// An `<OutputFile>`: one column per quantity path. Shared with [`super::neuroml`].
#[derive(Serialize)]
pub(crate) struct Trace {
    pub id: String,
    pub file: String,
    pub columns: Vec<String>,
}

/// An `<EventOutputFile>`. Shared with [`super::neuroml`].
#[derive(Serialize)]
pub(crate) struct Spikes {
    pub id: String,
    pub file: String,
    /// (cell index, path of the emitting component)
    pub selections: Vec<(usize, String)>,
}

// Generated names. Every family has its own fixed prefix or suffix around a validated
// identifier, so two families never produce the same name (an identifier starts with a letter,
// so `src<cell>_<id>` parses back uniquely).

fn pop_id(pop: &Population) -> String {
    format!("pop_{}", pop.id)
}

fn source_pop_id(pop: &Population, cell: usize) -> String {
    format!("src{cell}_{}", pop.id)
}

/// The path of cell `cell` of `pop` in the network.
fn cell_path(pop: &Population, cell: usize) -> String {
    if pop.kind.is_source {
        format!("{}[0]", source_pop_id(pop, cell))
    } else {
        format!("{}[{cell}]", pop_id(pop))
    }
}

fn synapse_id(pop: &Population, receptor: Receptor) -> String {
    match receptor {
        Receptor::Excitatory => format!("syn_{}_E", pop.id),
        Receptor::Inhibitory => format!("syn_{}_I", pop.id),
    }
}

pub(crate) fn raw_trace_file(pop: &str, var: &str) -> String {
    format!("{pop}_{var}.dat")
}

pub(crate) fn raw_spike_file(pop: &str) -> String {
    format!("spikes_{pop}.spikes")
}

/// `q` in `unit` followed by `suffix` (a LEMS unit symbol, or nothing for PyNN's bare numbers).
fn value(q: &Quantity, unit: &str, suffix: &str) -> Result<String, CodegenError> {
    Ok(format!("{}{suffix}", number(q, unit)?))
}

fn number(q: &Quantity, unit: &str) -> Result<String, CodegenError> {
    q.value_in(unit)
        .map(code_number)
        .map_err(|e| CodegenError::Units(e.to_string()))
}

fn param<'a>(pop: &'a Population, name: &str) -> Result<&'a Quantity, CodegenError> {
    pop.param(name).ok_or_else(|| {
        CodegenError::Units(format!("population `{}` has no parameter `{name}`", pop.id))
    })
}

/// Writes the LEMS file ([`file_name`]) for `suite` into `dir`, with `inputs`' spike trains and
/// connection lists inlined, and creates [`RAW_OUTPUT`] (jLEMS does not create it).
pub fn generate(
    suite: &NativeSuite,
    inputs: &Inputs,
    dir: &Path,
) -> Result<Generated, CodegenError> {
    let duration_ms = ms(&suite.simulation.duration);
    let dt_ms = ms(&suite.simulation.dt);
    let mut components = Vec::new();
    let mut sources = Vec::new();
    let mut pulses = Vec::new();
    let mut populations = Vec::new();
    let mut lems_inputs = Vec::new();
    let (mut uses_izhikevich, mut uses_adex, mut uses_hh) = (false, false, false);

    for (index, pop) in suite.populations.iter().enumerate() {
        if pop.kind.is_source {
            let trains = super::source_trains(inputs, index, pop)?;
            for cell in 0..pop.size {
                let id = format!("spikes{cell}_{}", pop.id);
                // jLEMS fires a `spike` at the first step with t >= time, and t is a sum of
                // steps: a time on the grid may fire one step late by rounding. Half a step
                // early fires it on the step of its time, as NEST does (which moves t = 0 to
                // the first step).
                let times = trains
                    .get(cell)
                    .map(|t| {
                        t.iter()
                            .map(|x| code_number(x.max(dt_ms) - dt_ms / 2.0))
                            .collect()
                    })
                    .unwrap_or_default();
                sources.push(Source {
                    id: id.clone(),
                    times,
                });
                populations.push(Pop {
                    id: source_pop_id(pop, cell),
                    component: id,
                    size: 1,
                });
            }
            continue;
        }
        let model = lems_model(pop.kind.name).ok_or_else(|| {
            CodegenError::Unsupported(format!(
                "no LEMS model for `{}` (population `{}`)",
                pop.kind.name, pop.id
            ))
        })?;
        let cell_id = format!("cell_{}", pop.id);
        let mut attrs = Vec::new();
        for (ours, theirs, unit, suffix) in model.params {
            attrs.push((*theirs, value(param(pop, ours)?, unit, suffix)?));
        }
        match pop.kind.name {
            "izhikevich" => uses_izhikevich = true,
            "hh_curr_alpha" => {
                uses_hh = true;
                // The gates start at their steady state for v_init, as on every simulator.
                let v_init = param(pop, "v_init")?.si * 1e3;
                let (m, h, n) = super::hh_steady_state(v_init);
                attrs.push(("m0", code_number(m)));
                attrs.push(("h0", code_number(h)));
                attrs.push(("n0", code_number(n)));
            }
            "adex_cond_exp" => {
                uses_adex = true;
                // NEST detects spikes at V_peak, or at V_th when the exponential is off; a
                // zero slope factor would divide by zero in LEMS, so it is replaced by 1 mV
                // and the exponential switched off.
                let delta_t = param(pop, "delta_T")?;
                let exp_on = delta_t.si > 0.0;
                let detect = if exp_on {
                    param(pop, "v_spike")?
                } else {
                    param(pop, "v_thresh")?
                };
                attrs.push((
                    "delta_T",
                    if exp_on {
                        value(delta_t, "mV", "mV")?
                    } else {
                        "1.0mV".to_string()
                    },
                ));
                attrs.push(("exp_on", if exp_on { "1" } else { "0" }.to_string()));
                attrs.push(("v_detect", value(detect, "mV", "mV")?));
                let refractory = param(pop, "tau_refrac")?.si > 0.0;
                attrs.push((
                    "has_refractory",
                    if refractory { "1" } else { "0" }.to_string(),
                ));
            }
            "izhikevich2007" => {
                // izhikevich2007Cell has no offset current: a pulse over the whole run.
                let offset = param(pop, "i_offset")?;
                if offset.si != 0.0 {
                    let id = format!("offset_{}", pop.id);
                    pulses.push(Pulse {
                        tag: model.pulse,
                        id: id.clone(),
                        delay: "0.0".to_string(),
                        duration: code_number(duration_ms * 2.0 + 1.0),
                        amplitude: number(offset, "nA")?,
                    });
                    for cell in 0..pop.size {
                        lems_inputs.push(Input {
                            target: cell_path(pop, cell),
                            input: id.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
        components.push(Component {
            tag: model.tag,
            id: cell_id.clone(),
            attrs,
        });
        // One synapse per receptor; each connection scales it by its own weight.
        for receptor in [Receptor::Excitatory, Receptor::Inhibitory] {
            let (tag, attrs) = match model.synapse {
                Synapse::Current(tag) => {
                    let tau = match receptor {
                        Receptor::Excitatory => "tau_syn_E",
                        Receptor::Inhibitory => "tau_syn_I",
                    };
                    (tag, vec![("tau_syn", value(param(pop, tau)?, "ms", "")?)])
                }
                Synapse::Conductance => {
                    let (tau, rev) = match receptor {
                        Receptor::Excitatory => ("tau_syn_E", "e_rev_E"),
                        Receptor::Inhibitory => ("tau_syn_I", "e_rev_I"),
                    };
                    (
                        "expCondSynapse",
                        vec![
                            ("tau_syn", value(param(pop, tau)?, "ms", "")?),
                            ("e_rev", value(param(pop, rev)?, "mV", "")?),
                        ],
                    )
                }
                Synapse::Delta => ("cc_deltaSynapse", vec![]),
            };
            components.push(Component {
                tag,
                id: synapse_id(pop, receptor),
                attrs,
            });
        }
        populations.push(Pop {
            id: pop_id(pop),
            component: cell_id,
            size: pop.size,
        });
    }

    let mut connections = Vec::new();
    for (k, proj) in suite.projections.iter().enumerate() {
        let pre = &suite.populations[proj.from];
        let post = &suite.populations[proj.to];
        let model = lems_model(post.kind.name).ok_or_else(|| {
            CodegenError::Unsupported(format!("`{}` cannot receive projections", post.id))
        })?;
        // Current and delta synapses take signed weights, like NEST; conductances are
        // positive and the receptor's reversal potential gives the sign.
        let (unit, signed) = match model.synapse {
            Synapse::Current(_) => ("nA", true),
            Synapse::Conductance => ("uS", false),
            Synapse::Delta => ("mV", true),
        };
        let magnitude = proj
            .weight
            .value_in(unit)
            .map_err(|e| CodegenError::Units(e.to_string()))?;
        let weight = match (proj.receptor, signed) {
            (Receptor::Inhibitory, true) => -magnitude,
            _ => magnitude,
        };
        let weight = code_number(weight);
        let delay = number(&proj.delay, "ms")?;
        let synapse = synapse_id(post, proj.receptor);
        let pairs = inputs.connections.get(k).map(Vec::as_slice).unwrap_or(&[]);
        for (a, b) in pairs {
            connections.push(Connection {
                from: cell_path(pre, *a as usize),
                to: cell_path(post, *b as usize),
                synapse: synapse.clone(),
                weight: weight.clone(),
                delay: delay.clone(),
            });
        }
    }

    for (k, stimulus) in suite.stimuli.iter().enumerate() {
        let Stimulus::Step {
            target,
            cells: selection,
            amplitude,
            start,
            stop,
            ..
        } = stimulus
        else {
            return Err(CodegenError::Unsupported(
                "crosscheck's LEMS generation has no Poisson drive (`poisson` stimulus)".into(),
            ));
        };
        let pop = &suite.populations[*target];
        let model = lems_model(pop.kind.name).ok_or_else(|| {
            CodegenError::Unsupported(format!("`{}` cannot receive a current step", pop.id))
        })?;
        let id = format!("stim{k}");
        pulses.push(Pulse {
            tag: model.pulse,
            id: id.clone(),
            delay: code_number(ms(start)),
            duration: code_number(ms(stop) - ms(start)),
            amplitude: number(amplitude, "nA")?,
        });
        for cell in cells(selection, pop.size) {
            lems_inputs.push(Input {
                target: cell_path(pop, cell),
                input: id.clone(),
            });
        }
    }

    let mut traces = Vec::new();
    let mut spikes = Vec::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        let selected = cells(&rec.cells, pop.size);
        for variable in &rec.variables {
            match variable {
                Variable::Spikes => spikes.push(Spikes {
                    id: format!("spk_{}", pop.id),
                    file: raw_spike_file(pop.id.as_str()),
                    selections: selected.iter().map(|&c| (c, cell_path(pop, c))).collect(),
                }),
                Variable::State(name) => {
                    let exposure = lems_model(pop.kind.name)
                        .and_then(|m| m.variables.iter().find(|(ours, _)| ours == name))
                        .map(|(_, theirs)| *theirs)
                        .ok_or_else(|| {
                            CodegenError::Unsupported(format!(
                                "cannot record `{name}` of `{}` in LEMS",
                                pop.id
                            ))
                        })?;
                    traces.push(Trace {
                        id: format!("out_{}_{name}", pop.id),
                        file: raw_trace_file(pop.id.as_str(), name),
                        columns: selected
                            .iter()
                            .map(|&c| format!("{}/{exposure}", cell_path(pop, c)))
                            .collect(),
                    });
                }
            }
        }
    }

    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        suite: suite.name.to_string(),
        uses_izhikevich,
        uses_adex,
        uses_hh,
        dt: number(&suite.simulation.dt, "ms")?,
        duration: number(&suite.simulation.duration, "ms")?,
        components,
        sources,
        pulses,
        populations,
        connections,
        inputs: lems_inputs,
        traces,
        spikes,
    };
    // The name does not end in `.xml`, so tera does not autoescape: jLEMS's XML reader does not
    // decode entities (`&#x2F;` breaks its paths), and every value here is a number or a
    // validated identifier anyway.
    let code = render("lems.xml.tera", TEMPLATE, &context)?;
    // jLEMS does not create the folders of its output files.
    let raw = dir.join(RAW_OUTPUT);
    std::fs::create_dir_all(&raw).map_err(|source| CodegenError::Io {
        path: raw.clone(),
        source,
    })?;
    super::write_generated(dir, &file_name(suite), &code, GeneratedKind::Lems)
}

/// The contract's unit for a recorded state variable: NEST's unit for its dimension (mV, pA),
/// and mV/ms for the Izhikevich (2003) `u`, which NEST has no single name for.
fn contract_unit(dim: Dimension) -> &'static str {
    Convention::Nest.unit_for(dim).unwrap_or("mV/ms")
}

/// A number as the contract's text: 10 significant digits, like NEST's `%.10g`, so converted
/// times lose the binary noise of `seconds * 1000`.
fn g10(x: f64) -> String {
    let rounded: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    format!("{rounded}")
}

fn read(path: &Path) -> Result<String, CodegenError> {
    std::fs::read_to_string(path).map_err(|source| CodegenError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_row(line: &str, path: &Path) -> Result<Vec<f64>, CodegenError> {
    line.split_whitespace()
        .map(|field| {
            field.parse::<f64>().map_err(|_| CodegenError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("not a number: `{}`", field.escape_debug()),
                ),
            })
        })
        .collect()
}

/// Rewrites jLEMS's raw recordings (SI: seconds, volts, amperes) in `dir/lems_output/` into the
/// contract's `dir/output/` files (ms, mV, the variable's own unit); returns the files written.
///
/// jLEMS can only write SI values, so this runs after the engine, as crosscheck's own step.
pub fn convert_lems_outputs(dir: &Path, suite: &NativeSuite) -> Result<Vec<PathBuf>, CodegenError> {
    let raw = dir.join(RAW_OUTPUT);
    let out = dir.join("output");
    std::fs::create_dir_all(&out).map_err(|source| CodegenError::Io {
        path: out.clone(),
        source,
    })?;
    let mut written = Vec::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        let selected = cells(&rec.cells, pop.size);
        for variable in &rec.variables {
            match variable {
                Variable::Spikes => {
                    let path = raw.join(raw_spike_file(pop.id.as_str()));
                    let mut events = Vec::new();
                    for line in read(&path)?.lines().filter(|l| !l.trim().is_empty()) {
                        let row = parse_row(line, &path)?;
                        if let [cell, time] = row[..] {
                            events.push((cell as u64, time * 1e3));
                        }
                    }
                    events.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                    let mut text = String::new();
                    for (cell, t) in events {
                        let _ = writeln!(text, "{cell} {}", g10(t));
                    }
                    written.push(super::write_file(
                        &out.join(format!("spikes_{}.txt", pop.id)),
                        &text,
                    )?);
                }
                Variable::State(name) => {
                    let dim = pop
                        .kind
                        .state_variable(name)
                        .map(|s| s.dimension)
                        .unwrap_or(Dimension::VOLTAGE);
                    let unit = contract_unit(dim);
                    let (factor, _) =
                        parse_unit(unit).map_err(|e| CodegenError::Units(e.to_string()))?;
                    let path = raw.join(raw_trace_file(pop.id.as_str(), name));
                    let mut text = String::from("# time_ms");
                    for c in &selected {
                        let _ = write!(text, " cell{c}");
                    }
                    text.push('\n');
                    for line in read(&path)?.lines().filter(|l| !l.trim().is_empty()) {
                        let row = parse_row(line, &path)?;
                        let Some((t, values)) = row.split_first() else {
                            continue;
                        };
                        let mut fields = vec![g10(t * 1e3)];
                        fields.extend(values.iter().map(|v| g10(v / factor)));
                        text.push_str(&fields.join(" "));
                        text.push('\n');
                    }
                    written.push(super::write_file(
                        &out.join(format!("{}_{name}.txt", pop.id)),
                        &text,
                    )?);
                }
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::{apply_sweep, generate as generate_all};
    use crate::suite::native::Simulator;

    use crate::codegen::testing::{
        assert_well_formed_xml as assert_well_formed, example as suite, from_yaml as load_text,
        EXAMPLES,
    };

    /// Every cell type, every synapse kind, both receptors, a Poisson source, a step on some
    /// cells, and every recordable variable.
    const ALL_TYPES: &str = r#"
suite: all_types
description: "__import__('os').system('x') \" ' <script>alert(1)</script> ]]> &amp;"
simulation: {duration: 50 ms, dt: 0.025 ms, seed: 3}
populations:
  src: {cell: spike_source, size: 2, spike_times: [[0 ms, 5 ms], [10 ms]]}
  noise: {cell: poisson_source, size: 3, parameters: {rate: 200 Hz}}
  le: {cell: lif_curr_exp, size: 2, parameters: {i_offset: 100 pA}}
  la: {cell: lif_curr_alpha, size: 2}
  iz: {cell: izhikevich, size: 2}
  iz7: {cell: izhikevich2007, size: 2, parameters: {i_offset: 50 pA}}
  ad: {cell: adex_cond_exp, size: 2, parameters: {delta_T: 0 mV, tau_refrac: 2 ms}}
  hh: {cell: hh_curr_alpha, size: 2}
projections:
  - {from: src, to: le, connector: all_to_all, receptor: excitatory, weight: 100 pA, delay: 1 ms}
  - {from: noise, to: la, connector: {fixed_probability: 0.5, seed: 1}, receptor: inhibitory, weight: 50 pA, delay: 1 ms}
  - {from: src, to: iz, connector: one_to_one, receptor: excitatory, weight: 2 mV, delay: 0.5 ms}
  - {from: src, to: iz, connector: one_to_one, receptor: inhibitory, weight: 1 mV, delay: 0.5 ms}
  - {from: src, to: iz7, connector: all_to_all, receptor: excitatory, weight: 20 pA, delay: 1 ms}
  - {from: noise, to: ad, connector: all_to_all, receptor: excitatory, weight: 2 nS, delay: 1 ms}
  - {from: src, to: ad, connector: all_to_all, receptor: inhibitory, weight: 1 nS, delay: 1 ms}
  - {from: le, to: hh, connector: all_to_all, receptor: excitatory, weight: 300 pA, delay: 1 ms}
stimuli:
  - step: {target: iz, cells: [1], amplitude: 10 pA, start: 5 ms, stop: 40 ms}
  - step: {target: hh, amplitude: 500 pA, start: 0 ms, stop: 30 ms}
record:
  - {population: src, variables: [spikes]}
  - {population: noise, variables: [spikes]}
  - {population: le, variables: [spikes, v]}
  - {population: la, variables: [v], cells: [1]}
  - {population: iz, variables: [spikes, v, u]}
  - {population: iz7, variables: [spikes, v, u]}
  - {population: ad, variables: [spikes, v, w]}
  - {population: hh, variables: [spikes, v]}
checks:
  agreement:
    spikes: {window: 1 ms}
"#;

    fn generate_into(run: &NativeSuite) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let generated = generate_all(run, Simulator::JNeuroML, dir.path()).unwrap();
        assert_eq!(generated.kind, GeneratedKind::Lems);
        assert_eq!(generated.script, file_name(run));
        let path = dir.path().join(&generated.script);
        assert_well_formed(&path);
        let xml = std::fs::read_to_string(&path).unwrap();
        (dir, xml)
    }

    #[test]
    fn generates_well_formed_lems_for_the_examples() {
        for name in EXAMPLES {
            let loaded = suite(name);
            let points = loaded.sweep.as_ref().map_or(1, |s| s.values.len());
            for point in 0..points {
                let run = apply_sweep(&loaded, point);
                let (dir, xml) = generate_into(&run);
                assert!(xml.contains("<Simulation id=\"sim\""), "{xml}");
                assert!(dir.path().join(RAW_OUTPUT).is_dir());
            }
        }
        let (_dir, xml) = generate_into(&suite("lif_alpha_spike_source.crosscheck.yaml"));
        assert!(
            xml.contains("<IF_curr_alpha id=\"cell_cell\" cm=\"0.25\""),
            "{xml}"
        );
        assert!(xml.contains("<alphaCurrSynapse id=\"syn_cell_E\" tau_syn=\"2.0\"/>"));
        // 1000 pA in nA; spike times half a step early (see `generate`).
        assert!(xml.contains("synapse=\"syn_cell_E\" weight=\"1.0\" delay=\"1.5ms\""));
        assert!(
            xml.contains("<spike id=\"0\" time=\"19.9875ms\"/>"),
            "{xml}"
        );
    }

    #[test]
    fn generates_every_cell_type() {
        let (_dir, xml) = generate_into(&load_text(ALL_TYPES));
        for needle in [
            "<IF_curr_exp id=\"cell_le\"",
            "<expCurrSynapse id=\"syn_le_E\"",
            "<IF_curr_alpha id=\"cell_la\"",
            "<cc_izhikevich2003 id=\"cell_iz\"",
            "<cc_deltaSynapse id=\"syn_iz_I\"",
            "<izhikevich2007Cell id=\"cell_iz7\"",
            "<pulseGenerator id=\"offset_iz7\"",
            "<cc_aeif_cond_exp id=\"cell_ad\"",
            "exp_on=\"0\"",
            "has_refractory=\"1\"",
            "<expCondSynapse id=\"syn_ad_I\" tau_syn=\"2.0\" e_rev=\"-85.0\"/>",
            "<cc_hh_psc_alpha id=\"cell_hh\"",
            "<population id=\"src1_src\" component=\"spikes1_src\" size=\"1\"/>",
            // Inhibitory current and delta weights are negative; conductances are not.
            "to=\"pop_la[",
            "synapse=\"syn_la_I\" weight=\"-0.05\"",
            "synapse=\"syn_iz_I\" weight=\"-1.0\"",
            "synapse=\"syn_ad_I\" weight=\"0.001\"",
            "<explicitInput target=\"pop_iz[1]\" input=\"stim0\" destination=\"synapses\"/>",
            "<cc_deltaPulse id=\"stim0\"",
            "quantity=\"pop_iz7[1]/u\"",
            "quantity=\"pop_ad[0]/w\"",
            "<EventSelection id=\"2\" select=\"src2_noise[0]\" eventPort=\"spike\"/>",
        ] {
            assert!(xml.contains(needle), "missing {needle}");
        }
        assert!(!xml.contains("pop_iz[0]\" input=\"stim0\""));
        assert!(!xml.contains("&#"), "nothing is escaped: {xml}");
    }

    #[test]
    fn description_never_reaches_the_xml() {
        let (_dir, xml) = generate_into(&load_text(ALL_TYPES));
        for bad in [
            "__import__",
            "('os')",
            "system(",
            "<script>",
            "alert",
            "\"'",
            "]]>",
            "&amp;",
        ] {
            assert!(!xml.contains(bad), "{bad} leaked");
        }
    }

    #[test]
    fn converts_si_outputs_into_the_contract() {
        let run = load_text(ALL_TYPES);
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join(RAW_OUTPUT);
        std::fs::create_dir_all(&raw).unwrap();
        // Everything the suite records, in jLEMS's own formats (SI, tab-separated).
        for rec in &run.recordings {
            let pop = &run.populations[rec.population];
            let n = cells(&rec.cells, pop.size).len();
            for variable in &rec.variables {
                match variable {
                    Variable::Spikes => std::fs::write(
                        raw.join(raw_spike_file(pop.id.as_str())),
                        "1\t0.0125\n0\t0.0125\n0\t0.002\n",
                    )
                    .unwrap(),
                    Variable::State(name) => {
                        let value = match *name {
                            "v" => "-0.065",
                            // izhikevich u: V/s; izhikevich2007 u and adex w: A.
                            "u" if pop.kind.name == "izhikevich" => "-13.0",
                            _ => "8.05E-11",
                        };
                        let row = |t: &str| {
                            let mut line = t.to_string();
                            for _ in 0..n {
                                line.push('\t');
                                line.push_str(value);
                            }
                            line + "\t\n"
                        };
                        let text = row("0.0") + &row("2.5E-5");
                        std::fs::write(raw.join(raw_trace_file(pop.id.as_str(), name)), text)
                            .unwrap();
                    }
                }
            }
        }
        let written = convert_lems_outputs(dir.path(), &run).unwrap();
        assert_eq!(written.len(), 16);
        let out = |f: &str| std::fs::read_to_string(dir.path().join("output").join(f)).unwrap();
        assert_eq!(out("spikes_le.txt"), "0 2\n0 12.5\n1 12.5\n");
        assert_eq!(
            out("le_v.txt"),
            "# time_ms cell0 cell1\n0 -65 -65\n0.025 -65 -65\n"
        );
        assert_eq!(out("la_v.txt"), "# time_ms cell1\n0 -65\n0.025 -65\n");
        assert_eq!(
            out("iz_u.txt"),
            "# time_ms cell0 cell1\n0 -13 -13\n0.025 -13 -13\n"
        );
        assert_eq!(
            out("ad_w.txt"),
            "# time_ms cell0 cell1\n0 80.5 80.5\n0.025 80.5 80.5\n"
        );
        assert_eq!(
            out("iz7_u.txt"),
            "# time_ms cell0 cell1\n0 80.5 80.5\n0.025 80.5 80.5\n"
        );
    }

    #[test]
    fn missing_raw_output_is_an_error() {
        let run = suite("izhikevich_rs.crosscheck.yaml");
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            convert_lems_outputs(dir.path(), &run),
            Err(CodegenError::Io { .. })
        ));
    }

    /// Writes NEST and LEMS code for every example (and a second fi_curve point) under
    /// /tmp/cc-lems-vs-nest for running both by hand.
    #[test]
    #[ignore]
    fn write_examples_for_manual_comparison() {
        let root = PathBuf::from("/tmp/cc-lems-vs-nest");
        // Every type NEST runs with projections (izhikevich2007's synapses have no NEST
        // counterpart).
        let nest_types: String = ALL_TYPES
            .lines()
            .filter(|l| !l.contains("iz7"))
            .map(|l| format!("{l}\n"))
            .collect();
        let run = load_text(&nest_types);
        for sim in [Simulator::Nest, Simulator::JNeuroML] {
            let dir = root.join("all_types_0").join(sim.name());
            std::fs::create_dir_all(&dir).unwrap();
            generate_all(&run, sim, &dir).unwrap();
        }
        for name in EXAMPLES {
            let loaded = suite(name);
            let points: &[usize] = if loaded.sweep.is_some() {
                &[0, 3, 5]
            } else {
                &[0]
            };
            for &point in points {
                let run = apply_sweep(&loaded, point);
                for sim in [Simulator::Nest, Simulator::JNeuroML] {
                    let dir = root.join(format!("{}_{point}", run.name)).join(sim.name());
                    std::fs::create_dir_all(&dir).unwrap();
                    generate_all(&run, sim, &dir).unwrap();
                }
            }
        }
    }

    /// Converts the jLEMS outputs written by running the folders of
    /// `write_examples_for_manual_comparison`.
    #[test]
    #[ignore]
    fn convert_manual_comparison_outputs() {
        let root = PathBuf::from("/tmp/cc-lems-vs-nest");
        let nest_types: String = ALL_TYPES
            .lines()
            .filter(|l| !l.contains("iz7"))
            .map(|l| format!("{l}\n"))
            .collect();
        convert_lems_outputs(&root.join("all_types_0/jNeuroML"), &load_text(&nest_types)).unwrap();
        for name in EXAMPLES {
            let loaded = suite(name);
            let points: &[usize] = if loaded.sweep.is_some() {
                &[0, 3, 5]
            } else {
                &[0]
            };
            for &point in points {
                let run = apply_sweep(&loaded, point);
                let dir = root.join(format!("{}_{point}", run.name)).join("jNeuroML");
                convert_lems_outputs(&dir, &run).unwrap();
            }
        }
    }
}
