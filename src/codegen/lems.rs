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

use super::network::{
    Connections, CurrentStep, NameMap, NetPopulation, NetProjection, NetRecording, NetStimulus,
    Network, Setting,
};
use super::{cells, ms, render, CodegenError, Generated, GeneratedKind};
use crate::suite::native::{NativeSuite, Population, Receptor, Variable};
use crate::suite::units::{code_number, parse_unit, Convention, Dimension, Quantity};

const TEMPLATE: &str = include_str!("templates/lems.xml.tera");

/// Where jLEMS writes its raw (SI) recordings, relative to the generated folder.
pub const RAW_OUTPUT: &str = "lems_output";

/// The LEMS file's name for a suite (the suite name is a validated identifier).
pub fn file_name(suite: &NativeSuite) -> String {
    format!("LEMS_{}.xml", suite.name)
}

/// How a parameter reaches a LEMS attribute. PyNN.xml's types take bare numbers in PyNN's
/// units.
#[derive(Clone, Copy)]
struct LemsParam {
    /// Our name.
    ours: &'static str,
    /// The LEMS attribute.
    theirs: &'static str,
    /// The unit of the number.
    unit: &'static str,
    /// The LEMS unit symbol written after the number, or nothing for PyNN's bare numbers.
    suffix: &'static str,
}

impl LemsParam {
    const fn new(
        ours: &'static str,
        theirs: &'static str,
        unit: &'static str,
        suffix: &'static str,
    ) -> Self {
        LemsParam {
            ours,
            theirs,
            unit,
            suffix,
        }
    }
}

const PYNN_LIF: &[LemsParam] = &[
    LemsParam::new("cm", "cm", "nF", ""),
    LemsParam::new("tau_m", "tau_m", "ms", ""),
    LemsParam::new("v_rest", "v_rest", "mV", ""),
    LemsParam::new("v_reset", "v_reset", "mV", ""),
    LemsParam::new("v_thresh", "v_thresh", "mV", ""),
    LemsParam::new("tau_refrac", "tau_refrac", "ms", ""),
    LemsParam::new("tau_syn_E", "tau_syn_E", "ms", ""),
    LemsParam::new("tau_syn_I", "tau_syn_I", "ms", ""),
    LemsParam::new("i_offset", "i_offset", "nA", ""),
    LemsParam::new("v_init", "v_init", "mV", ""),
];

const IZHIKEVICH: &[LemsParam] = &[
    LemsParam::new("a", "a", "1/ms", "per_ms"),
    LemsParam::new("b", "b", "1/ms", "per_ms"),
    LemsParam::new("c", "c", "mV", "mV"),
    LemsParam::new("d", "d", "mV/ms", "cc_mV_per_ms"),
    LemsParam::new("v_thresh", "v_thresh", "mV", "mV"),
    LemsParam::new("i_offset", "i_offset", "nA", "nA"),
    LemsParam::new("v_init", "v_init", "mV", "mV"),
    LemsParam::new("u_init", "u_init", "mV/ms", "cc_mV_per_ms"),
];

const IZHIKEVICH2007: &[LemsParam] = &[
    LemsParam::new("cm", "C", "pF", "pF"),
    LemsParam::new("k", "k", "nS/mV", "nS_per_mV"),
    LemsParam::new("v_r", "vr", "mV", "mV"),
    LemsParam::new("v_t", "vt", "mV", "mV"),
    LemsParam::new("v_peak", "vpeak", "mV", "mV"),
    LemsParam::new("a", "a", "1/ms", "per_ms"),
    LemsParam::new("b", "b", "nS", "nS"),
    LemsParam::new("c", "c", "mV", "mV"),
    LemsParam::new("d", "d", "pA", "pA"),
    LemsParam::new("v_init", "v0", "mV", "mV"),
];

const ADEX: &[LemsParam] = &[
    LemsParam::new("cm", "C", "pF", "pF"),
    LemsParam::new("g_L", "gL", "nS", "nS"),
    LemsParam::new("v_rest", "EL", "mV", "mV"),
    LemsParam::new("v_thresh", "VT", "mV", "mV"),
    LemsParam::new("v_reset", "v_reset", "mV", "mV"),
    LemsParam::new("tau_w", "tau_w", "ms", "ms"),
    LemsParam::new("a", "a", "nS", "nS"),
    LemsParam::new("b", "b", "pA", "pA"),
    LemsParam::new("tau_refrac", "t_ref", "ms", "ms"),
    LemsParam::new("i_offset", "i_offset", "pA", "pA"),
    LemsParam::new("v_init", "v_init", "mV", "mV"),
];

const HH: &[LemsParam] = &[
    LemsParam::new("cm", "C", "pF", "pF"),
    LemsParam::new("g_Na", "gNa", "nS", "nS"),
    LemsParam::new("g_K", "gK", "nS", "nS"),
    LemsParam::new("g_L", "gL", "nS", "nS"),
    LemsParam::new("e_rev_Na", "ENa", "mV", "mV"),
    LemsParam::new("e_rev_K", "EK", "mV", "mV"),
    LemsParam::new("e_rev_L", "EL", "mV", "mV"),
    LemsParam::new("i_offset", "i_offset", "pA", "pA"),
    LemsParam::new("v_init", "v_init", "mV", "mV"),
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
    params: &'static [LemsParam],
    synapse: Synapse,
    /// The component type of a current step into this cell.
    pulse: &'static str,
    variables: &'static [NameMap],
}

const V: &[NameMap] = &[NameMap::new("v", "v")];
const V_U: &[NameMap] = &[NameMap::new("v", "v"), NameMap::new("u", "u")];
const V_W: &[NameMap] = &[NameMap::new("v", "v"), NameMap::new("w", "w")];

fn lems_model(cell: &str) -> Option<LemsModel> {
    let (tag, params, synapse, pulse, variables): (_, _, _, _, &[NameMap]) = match cell {
        "lif_curr_exp" => (
            "IF_curr_exp",
            PYNN_LIF,
            Synapse::Current("expCurrSynapse"),
            "pulseGenerator",
            V,
        ),
        "lif_curr_alpha" => (
            "IF_curr_alpha",
            PYNN_LIF,
            Synapse::Current("alphaCurrSynapse"),
            "pulseGenerator",
            V,
        ),
        "izhikevich" => (
            "cc_izhikevich2003",
            IZHIKEVICH,
            Synapse::Delta,
            "cc_deltaPulse",
            V_U,
        ),
        "izhikevich2007" => (
            "izhikevich2007Cell",
            IZHIKEVICH2007,
            Synapse::Current("expCurrSynapse"),
            "pulseGenerator",
            V_U,
        ),
        "adex_cond_exp" => (
            "cc_aeif_cond_exp",
            ADEX,
            Synapse::Conductance,
            "pulseGenerator",
            V_W,
        ),
        "hh_curr_alpha" => (
            "cc_hh_psc_alpha",
            HH,
            Synapse::Current("alphaCurrSynapse"),
            "pulseGenerator",
            V,
        ),
        _ => return None,
    };
    Some(LemsModel {
        tag,
        params,
        synapse,
        pulse,
        variables,
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
    attrs: Vec<Setting>,
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
    /// The element's id.
    pub id: String,
    /// The file's name in [`RAW_OUTPUT`].
    pub file: String,
    /// The quantity path of each column.
    pub columns: Vec<String>,
}

/// An `<EventOutputFile>`. Shared with [`super::neuroml`].
#[derive(Serialize)]
pub(crate) struct Spikes {
    /// The element's id.
    pub id: String,
    /// The file's name in [`RAW_OUTPUT`].
    pub file: String,
    /// The cells whose spikes are written.
    pub selections: Vec<Selection>,
}

/// One cell an `<EventOutputFile>` selects: its index (the id written in the file) and the
/// path of the component emitting its spikes.
#[derive(Serialize)]
pub(crate) struct Selection {
    /// The cell's index in its population.
    pub cell: usize,
    /// The emitting component's path.
    pub path: String,
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

/// The name of jLEMS's raw trace file for variable `var` of population `pop`.
pub(crate) fn raw_trace_file(pop: &str, var: &str) -> String {
    format!("{pop}_{var}.dat")
}

/// The name of jLEMS's raw spike file for population `pop`.
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

/// The network part of the LEMS file, filled population by population, then by the
/// projections and the current steps.
#[derive(Default)]
struct LemsNetwork {
    components: Vec<Component>,
    sources: Vec<Source>,
    pulses: Vec<Pulse>,
    populations: Vec<Pop>,
    connections: Vec<Connection>,
    inputs: Vec<Input>,
    uses_izhikevich: bool,
    uses_adex: bool,
    uses_hh: bool,
}

/// Writes the LEMS file ([`file_name`]) for the network into `dir`, with the spike trains and
/// connection lists crosscheck prepared inlined, and creates [`RAW_OUTPUT`] (jLEMS does not
/// create it).
pub fn generate(net: &Network, dir: &Path) -> Result<Generated, CodegenError> {
    net.refuse_cables("jLEMS simulates single-compartment cells only (the NeuroML2 export, jNeuroML_NEURON, runs the cable on NEURON)")?;
    let mut lems = LemsNetwork::default();
    for pop in &net.populations {
        if pop.is_source() {
            lems.add_source(net, pop)?;
        } else {
            lems.add_cells(net, pop)?;
        }
    }
    for proj in &net.projections {
        lems.add_projection(net, proj)?;
    }
    for stimulus in &net.stimuli {
        let NetStimulus::Step(step) = stimulus else {
            return Err(CodegenError::Unsupported(
                "crosscheck's LEMS generation has no Poisson drive (`poisson` stimulus)".into(),
            ));
        };
        lems.add_step(net, step)?;
    }
    let (traces, spikes) = recordings(net)?;
    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        suite: net.suite.name.to_string(),
        uses_izhikevich: lems.uses_izhikevich,
        uses_adex: lems.uses_adex,
        uses_hh: lems.uses_hh,
        dt: number(net.dt(), "ms")?,
        duration: number(net.duration(), "ms")?,
        components: lems.components,
        sources: lems.sources,
        pulses: lems.pulses,
        populations: lems.populations,
        connections: lems.connections,
        inputs: lems.inputs,
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
    super::write_generated(dir, &file_name(net.suite), &code, GeneratedKind::Lems)
}

impl LemsNetwork {
    /// A source population: one `spikeArray` population per cell, its times inlined.
    fn add_source(&mut self, net: &Network, pop: &NetPopulation) -> Result<(), CodegenError> {
        let trains = pop.trains()?;
        let dt_ms = net.dt_ms();
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
            self.sources.push(Source {
                id: id.clone(),
                times,
            });
            self.populations.push(Pop {
                id: source_pop_id(pop.def, cell),
                component: id,
                size: 1,
            });
        }
        Ok(())
    }

    /// A cell population: its cell component, one synapse per receptor, the population.
    fn add_cells(&mut self, net: &Network, pop: &NetPopulation) -> Result<(), CodegenError> {
        let model = lems_model(pop.kind.name).ok_or_else(|| {
            CodegenError::Unsupported(format!(
                "no LEMS model for `{}` (population `{}`)",
                pop.kind.name, pop.id
            ))
        })?;
        let cell_id = format!("cell_{}", pop.id);
        let mut attrs = Vec::new();
        for map in model.params {
            attrs.push(Setting::new(
                map.theirs,
                value(param(pop.def, map.ours)?, map.unit, map.suffix)?,
            ));
        }
        match pop.kind.name {
            "izhikevich" => self.uses_izhikevich = true,
            "hh_curr_alpha" => {
                self.uses_hh = true;
                attrs.extend(hh_gates(pop.def)?);
            }
            "adex_cond_exp" => {
                self.uses_adex = true;
                attrs.extend(adex_attributes(pop.def)?);
            }
            "izhikevich2007" => self.add_offset_pulse(net, pop, &model)?,
            _ => {}
        }
        self.components.push(Component {
            tag: model.tag,
            id: cell_id.clone(),
            attrs,
        });
        // One synapse per receptor; each connection scales it by its own weight.
        for receptor in [Receptor::Excitatory, Receptor::Inhibitory] {
            self.components
                .push(synapse_component(pop.def, model.synapse, receptor)?);
        }
        self.populations.push(Pop {
            id: pop_id(pop.def),
            component: cell_id,
            size: pop.size,
        });
        Ok(())
    }

    /// izhikevich2007Cell has no offset current: a pulse over the whole run into every cell.
    fn add_offset_pulse(
        &mut self,
        net: &Network,
        pop: &NetPopulation,
        model: &LemsModel,
    ) -> Result<(), CodegenError> {
        let offset = param(pop.def, "i_offset")?;
        if offset.si == 0.0 {
            return Ok(());
        }
        let id = format!("offset_{}", pop.id);
        self.pulses.push(Pulse {
            tag: model.pulse,
            id: id.clone(),
            delay: "0.0".to_string(),
            duration: code_number(net.duration_ms() * 2.0 + 1.0),
            amplitude: number(offset, "nA")?,
        });
        for cell in 0..pop.size {
            self.inputs.push(Input {
                target: cell_path(pop.def, cell),
                input: id.clone(),
            });
        }
        Ok(())
    }

    /// A projection as one `synapticConnectionWD` per pair, the weight as the target's
    /// synapse takes it.
    fn add_projection(&mut self, net: &Network, proj: &NetProjection) -> Result<(), CodegenError> {
        let pre = net.populations[proj.source].def;
        let post = net.populations[proj.target].def;
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
        // A network each simulator draws has no pairs to inline: LEMS gets none.
        let pairs = match proj.connections {
            Connections::Listed(pairs) => pairs,
            Connections::Drawn(_) => &[],
        };
        for (a, b) in pairs {
            self.connections.push(Connection {
                from: cell_path(pre, *a as usize),
                to: cell_path(post, *b as usize),
                synapse: synapse.clone(),
                weight: weight.clone(),
                delay: delay.clone(),
            });
        }
        Ok(())
    }

    /// A current step as a pulse (`stim<k>`) into each of its cells.
    fn add_step(&mut self, net: &Network, step: &CurrentStep) -> Result<(), CodegenError> {
        let pop = net.populations[step.target].def;
        let model = lems_model(pop.kind.name).ok_or_else(|| {
            CodegenError::Unsupported(format!("`{}` cannot receive a current step", pop.id))
        })?;
        let id = format!("stim{}", step.index);
        self.pulses.push(Pulse {
            tag: model.pulse,
            id: id.clone(),
            delay: code_number(ms(&step.start)),
            duration: code_number(ms(&step.stop) - ms(&step.start)),
            amplitude: number(&step.amplitude, "nA")?,
        });
        for &cell in &step.cells {
            self.inputs.push(Input {
                target: cell_path(pop, cell),
                input: id.clone(),
            });
        }
        Ok(())
    }
}

/// The gates of an HH cell start at their steady state for v_init, as on every simulator.
fn hh_gates(pop: &Population) -> Result<[Setting; 3], CodegenError> {
    let v_init = param(pop, "v_init")?.si * 1e3;
    let gates = super::hh_steady_state(v_init);
    Ok([
        Setting::new("m0", code_number(gates.m)),
        Setting::new("h0", code_number(gates.h)),
        Setting::new("n0", code_number(gates.n)),
    ])
}

/// The AdEx cell's switches. NEST detects spikes at V_peak, or at V_th when the exponential
/// is off; a zero slope factor would divide by zero in LEMS, so it is replaced by 1 mV and
/// the exponential switched off.
fn adex_attributes(pop: &Population) -> Result<[Setting; 4], CodegenError> {
    let delta_t = param(pop, "delta_T")?;
    let exp_on = delta_t.si > 0.0;
    let detect = if exp_on {
        param(pop, "v_spike")?
    } else {
        param(pop, "v_thresh")?
    };
    let slope = if exp_on {
        value(delta_t, "mV", "mV")?
    } else {
        "1.0mV".to_string()
    };
    let flag = |on: bool| if on { "1" } else { "0" };
    let v_detect = value(detect, "mV", "mV")?;
    let refractory = param(pop, "tau_refrac")?.si > 0.0;
    Ok([
        Setting::new("delta_T", slope),
        Setting::new("exp_on", flag(exp_on)),
        Setting::new("v_detect", v_detect),
        Setting::new("has_refractory", flag(refractory)),
    ])
}

/// The synapse component of `pop` for `receptor`.
fn synapse_component(
    pop: &Population,
    synapse: Synapse,
    receptor: Receptor,
) -> Result<Component, CodegenError> {
    let (tag, attrs) = match synapse {
        Synapse::Current(tag) => {
            let tau = match receptor {
                Receptor::Excitatory => "tau_syn_E",
                Receptor::Inhibitory => "tau_syn_I",
            };
            (
                tag,
                vec![Setting::new("tau_syn", value(param(pop, tau)?, "ms", "")?)],
            )
        }
        Synapse::Conductance => {
            let (tau, rev) = match receptor {
                Receptor::Excitatory => ("tau_syn_E", "e_rev_E"),
                Receptor::Inhibitory => ("tau_syn_I", "e_rev_I"),
            };
            (
                "expCondSynapse",
                vec![
                    Setting::new("tau_syn", value(param(pop, tau)?, "ms", "")?),
                    Setting::new("e_rev", value(param(pop, rev)?, "mV", "")?),
                ],
            )
        }
        Synapse::Delta => ("cc_deltaSynapse", vec![]),
    };
    Ok(Component {
        tag,
        id: synapse_id(pop, receptor),
        attrs,
    })
}

/// The output files of every recording: traces of state variables, and spikes.
fn recordings(net: &Network) -> Result<(Vec<Trace>, Vec<Spikes>), CodegenError> {
    let mut traces = Vec::new();
    let mut spikes = Vec::new();
    for rec in &net.recordings {
        let pop = net.populations[rec.population].def;
        for variable in rec.variables {
            match variable {
                Variable::Spikes => spikes.push(Spikes {
                    id: format!("spk_{}", pop.id),
                    file: raw_spike_file(pop.id.as_str()),
                    selections: rec
                        .cells
                        .iter()
                        .map(|&c| Selection {
                            cell: c,
                            path: cell_path(pop, c),
                        })
                        .collect(),
                }),
                Variable::State(name) => traces.push(trace(pop, rec, name)?),
            }
        }
    }
    Ok((traces, spikes))
}

/// The output file of state variable `name` of the recorded cells.
fn trace(pop: &Population, rec: &NetRecording, name: &str) -> Result<Trace, CodegenError> {
    let exposure = lems_model(pop.kind.name)
        .and_then(|m| m.variables.iter().find(|v| v.ours == name))
        .map(|v| v.theirs)
        .ok_or_else(|| {
            CodegenError::Unsupported(format!("cannot record `{name}` of `{}` in LEMS", pop.id))
        })?;
    Ok(Trace {
        id: format!("out_{}_{name}", pop.id),
        file: raw_trace_file(pop.id.as_str(), name),
        columns: rec
            .cells
            .iter()
            .map(|&c| format!("{}/{exposure}", cell_path(pop, c)))
            .collect(),
    })
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
