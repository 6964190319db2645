//! PyNEST code for a native suite, on NEST's built-in models.
//!
//! NEST's units are mV, pA, ms, pF and nS; the `izhikevich` model is written in mV and ms with
//! currents in pA acting through 1 pF, which is what the library's `izhikevich` type means.
//! NEST has no built-in Izhikevich (2007) model; `izhikevich2007` cells run on NEST's 2003
//! `izhikevich` through an exact change of variables ([`Izhikevich2007OnNest`]).

use std::path::Path;

use serde::Serialize;

use crate::suite::units::{code_number, Dimension, Quantity};

use super::network::{
    Connections, CurrentStep, NameMap, NetPopulation, NetProjection, NetRecording, NetStimulus,
    Network, NormalDraw, ParamMap, PoissonDrive, Setting,
};
use super::{list_literal, number_in, render, CodegenError, Generated};
use crate::suite::native::{Connector, Population, Receptor};

const TEMPLATE: &str = include_str!("templates/nest.py.tera");
/// The generated PyNEST script's file name, in the output folder.
pub const SCRIPT: &str = "run_nest.py";

/// One of our cell types as a NEST model: how our parameters reach the model's, and which
/// recordable holds each of our state variables.
struct NestModel {
    model: &'static str,
    params: &'static [ParamMap],
    variables: &'static [NameMap],
}

const LIF_PARAMS: &[ParamMap] = &[
    ParamMap::new("cm", "C_m", "pF"),
    ParamMap::new("tau_m", "tau_m", "ms"),
    ParamMap::new("v_rest", "E_L", "mV"),
    ParamMap::new("v_reset", "V_reset", "mV"),
    ParamMap::new("v_thresh", "V_th", "mV"),
    ParamMap::new("tau_refrac", "t_ref", "ms"),
    ParamMap::new("tau_syn_E", "tau_syn_ex", "ms"),
    ParamMap::new("tau_syn_I", "tau_syn_in", "ms"),
    ParamMap::new("i_offset", "I_e", "pA"),
    ParamMap::new("v_init", "V_m", "mV"),
];

const IZHIKEVICH_PARAMS: &[ParamMap] = &[
    ParamMap::new("a", "a", "1/ms"),
    ParamMap::new("b", "b", "1/ms"),
    ParamMap::new("c", "c", "mV"),
    ParamMap::new("d", "d", "mV/ms"),
    ParamMap::new("v_thresh", "V_th", "mV"),
    // 1 pA through 1 pF is 1 mV/ms: NEST adds I_e (pA) to dv/dt (mV/ms) directly.
    ParamMap::new("i_offset", "I_e", "pA"),
    ParamMap::new("v_init", "V_m", "mV"),
    ParamMap::new("u_init", "U_m", "mV/ms"),
];

const ADEX_PARAMS: &[ParamMap] = &[
    ParamMap::new("cm", "C_m", "pF"),
    ParamMap::new("g_L", "g_L", "nS"),
    ParamMap::new("v_rest", "E_L", "mV"),
    ParamMap::new("v_reset", "V_reset", "mV"),
    ParamMap::new("v_thresh", "V_th", "mV"),
    ParamMap::new("delta_T", "Delta_T", "mV"),
    ParamMap::new("v_spike", "V_peak", "mV"),
    ParamMap::new("tau_w", "tau_w", "ms"),
    ParamMap::new("a", "a", "nS"),
    ParamMap::new("b", "b", "pA"),
    ParamMap::new("tau_refrac", "t_ref", "ms"),
    ParamMap::new("e_rev_E", "E_ex", "mV"),
    ParamMap::new("e_rev_I", "E_in", "mV"),
    ParamMap::new("tau_syn_E", "tau_syn_ex", "ms"),
    ParamMap::new("tau_syn_I", "tau_syn_in", "ms"),
    ParamMap::new("i_offset", "I_e", "pA"),
    ParamMap::new("v_init", "V_m", "mV"),
];

const HH_PARAMS: &[ParamMap] = &[
    ParamMap::new("cm", "C_m", "pF"),
    ParamMap::new("g_Na", "g_Na", "nS"),
    ParamMap::new("g_K", "g_K", "nS"),
    ParamMap::new("g_L", "g_L", "nS"),
    ParamMap::new("e_rev_Na", "E_Na", "mV"),
    ParamMap::new("e_rev_K", "E_K", "mV"),
    ParamMap::new("e_rev_L", "E_L", "mV"),
    ParamMap::new("tau_syn_E", "tau_syn_ex", "ms"),
    ParamMap::new("tau_syn_I", "tau_syn_in", "ms"),
    ParamMap::new("i_offset", "I_e", "pA"),
    ParamMap::new("v_init", "V_m", "mV"),
];

const V_ONLY: &[NameMap] = &[NameMap::new("v", "V_m")];
const V_U: &[NameMap] = &[NameMap::new("v", "V_m"), NameMap::new("u", "U_m")];
const V_W: &[NameMap] = &[NameMap::new("v", "V_m"), NameMap::new("w", "w")];

fn nest_model(cell: &str) -> Option<NestModel> {
    let (model, params, variables): (_, _, &[NameMap]) = match cell {
        "lif_curr_exp" => ("iaf_psc_exp", LIF_PARAMS, V_ONLY),
        "lif_curr_alpha" => ("iaf_psc_alpha", LIF_PARAMS, V_ONLY),
        // The LIF table: the synaptic time constants it lacks are skipped.
        "lif_delta" => ("iaf_psc_delta", LIF_PARAMS, V_ONLY),
        "izhikevich" => ("izhikevich", IZHIKEVICH_PARAMS, V_U),
        "adex_cond_exp" => ("aeif_cond_exp", ADEX_PARAMS, V_W),
        "hh_curr_alpha" => ("hh_psc_alpha", HH_PARAMS, V_ONLY),
        _ => return None,
    };
    Some(NestModel {
        model,
        params,
        variables,
    })
}

/// An Izhikevich (2007) cell, `C dv/dt = k (v − v_r)(v − v_t) − u + I`,
/// `du/dt = a (b (v − v_r) − u)`, as NEST's `izhikevich`, `dV/dt = 0.04 V² + 5 V + 140 − U + I'`,
/// `dU/dt = a' (b' V − U)`, in the same time.
///
/// With `V = s (v − c0)` and `U = (s/C) u + K`: the quadratic terms match when
/// `s = k / (0.04 C)`; writing `0.04 (V + p)(V + q)` for the right-hand side with
/// `p = s (c0 − v_r)`, `q = s (c0 − v_t)`, the linear terms match when `p + q = 125`, which
/// fixes `c0`; the constant term differs from NEST's 140 by a fixed amount, which goes into
/// NEST's `I_e`; `K = −(b/C) p` removes the constant from `dU/dt`. Then `a' = a`, `b' = b/C`,
/// the reset and cut-off map through the same affine change, `d' = (s/C) d`, and every input
/// current is scaled by `s/C`. The map is affine with the time unchanged, so NEST's forward
/// Euler step (`consistent_integration`) is exactly the forward Euler step of the 2007 form
/// (the scheme NeuroML's jNeuroML and crosscheck's NEURON mechanism use), up to rounding.
/// The recorded `V_m` and `U_m` are mapped back to `v` and `u` by the generated script.
///
/// NEST's `izhikevich` takes spikes only as jumps of V; the 2007 type's exponential current
/// synapses have no NEST counterpart, so projections onto it are refused.
#[derive(Debug, Clone, Copy)]
struct Izhikevich2007OnNest {
    /// Voltage scale `s` (dimensionless: NEST's mV per model mV).
    s: f64,
    /// Model potential (mV) at NEST's V = 0.
    c0: f64,
    /// Offset `K` of NEST's U (mV/ms).
    u_offset: f64,
    /// NEST current (pA, acting as mV/ms) per model pA: `s/C`.
    input_scale: f64,
    /// NEST's `I_e` with no injected current: the constant term's difference from 140.
    i_e_offset: f64,
}

/// NEST's `izhikevich` has the coefficients 0.04 /(mV ms), 5 /ms, 140 mV/ms built in.
const NEST_IZH_QUADRATIC: f64 = 0.04;
const NEST_IZH_LINEAR: f64 = 5.0;
const NEST_IZH_CONSTANT: f64 = 140.0;

/// How one of our state variables is read from a NEST recordable: ours = NEST's × scale +
/// offset.
#[derive(Debug, Clone, Copy)]
struct Readout {
    recordable: &'static str,
    scale: f64,
    offset: f64,
}

impl Izhikevich2007OnNest {
    fn new(pop: &Population) -> Result<Self, CodegenError> {
        let value = |name: &str, unit: &str| -> Result<f64, CodegenError> {
            let q = pop.param(name).ok_or_else(|| {
                CodegenError::Unsupported(format!("population `{}` lacks `{name}`", pop.id))
            })?;
            q.value_in(unit)
                .map_err(|e| CodegenError::Units(e.to_string()))
        };
        let (cm, k) = (value("cm", "pF")?, value("k", "nS/mV")?);
        let (v_r, v_t, b) = (value("v_r", "mV")?, value("v_t", "mV")?, value("b", "nS")?);
        // The loader keeps cm and k positive; a zero k (no quadratic term) has no such map.
        if !(cm > 0.0 && k > 0.0) {
            return Err(CodegenError::Unsupported(format!(
                "population `{}`: NEST's izhikevich needs k > 0 and cm > 0 to express an \
                 izhikevich2007 cell",
                pop.id
            )));
        }
        let s = k / (NEST_IZH_QUADRATIC * cm);
        let p_plus_q = NEST_IZH_LINEAR / NEST_IZH_QUADRATIC;
        let p = (p_plus_q + s * (v_t - v_r)) / 2.0;
        let q = p_plus_q - p;
        let u_offset = -(b / cm) * p;
        Ok(Self {
            s,
            c0: v_r + p / s,
            u_offset,
            input_scale: s / cm,
            i_e_offset: NEST_IZH_QUADRATIC * p * q - NEST_IZH_CONSTANT + u_offset,
        })
    }

    /// A model potential (mV) as NEST's V.
    fn voltage(&self, v: f64) -> f64 {
        self.s * (v - self.c0)
    }

    /// NEST's parameters for the population's cells.
    fn params(&self, pop: &Population) -> Result<Vec<Setting>, CodegenError> {
        let value = |name: &str, unit: &str| -> Result<f64, CodegenError> {
            pop.param(name)
                .expect("checked in new")
                .value_in(unit)
                .map_err(|e| CodegenError::Units(e.to_string()))
        };
        let cm = value("cm", "pF")?;
        Ok(vec![
            Setting::new("a", code_number(value("a", "1/ms")?)),
            Setting::new("b", code_number(value("b", "nS")? / cm)),
            Setting::new("c", code_number(self.voltage(value("c", "mV")?))),
            Setting::new("d", code_number(self.input_scale * value("d", "pA")?)),
            Setting::new("V_th", code_number(self.voltage(value("v_peak", "mV")?))),
            Setting::new(
                "I_e",
                code_number(self.input_scale * value("i_offset", "pA")? + self.i_e_offset),
            ),
            Setting::new("V_m", code_number(self.voltage(value("v_init", "mV")?))),
            // NeuroML's izhikevich2007Cell starts u at 0.
            Setting::new("U_m", code_number(self.u_offset)),
            Setting::new("consistent_integration", "True"),
        ])
    }

    /// How to read the library's `name` from NEST.
    fn variable(&self, name: &str, cm_pf: f64) -> Option<Readout> {
        match name {
            "v" => Some(Readout {
                recordable: "V_m",
                scale: 1.0 / self.s,
                offset: self.c0,
            }),
            "u" => {
                let scale = cm_pf / self.s;
                Some(Readout {
                    recordable: "U_m",
                    scale,
                    offset: -self.u_offset * scale,
                })
            }
            _ => None,
        }
    }
}

/// NEST's tics per ms for a step of `dt_ms`, when its default (1000) cannot express the step:
/// the smallest 1000 × 10^k (k ≤ 6) of which the step is a whole number of tics, else the
/// smallest power of two from 1024 to 2^30 (binary steps such as 2^-13 ms, NEST's own
/// testsuite's, need 10^13 decimal tics per ms but only 8192 binary ones).
pub(super) fn tics_per_ms(dt_ms: f64) -> Option<u64> {
    // Absolute, not relative: at 1e9 tics per ms, half a tic is 5e-10 of the count.
    let whole = |tics: f64| {
        let n = dt_ms * tics;
        (n - n.round()).abs() <= 1e-6
    };
    if whole(1000.0) {
        return None;
    }
    (1..=6)
        .map(|k| 1000 * 10u64.pow(k))
        .chain((10..=30).map(|k| 1u64 << k))
        .find(|&tics| whole(tics as f64))
}

#[derive(Serialize)]
struct Context {
    version: &'static str,
    suite: String,
    /// The printf format of trace values ([`super::network::Network::trace_format`]).
    trace_format: &'static str,
    /// `, sweep point N` when the run is one point of a sweep.
    sweep_label: String,
    dt: String,
    /// `"tics_per_ms": N, ` when the step is no multiple of NEST's default tic (0.001 ms), else
    /// empty: NEST refuses such a resolution unless its tic is made finer first.
    tics: String,
    duration: String,
    seed: u64,
    threads: u32,
    populations: Vec<Pop>,
    projections: Vec<Proj>,
    steps: Vec<Step>,
    drives: Vec<Drive>,
    recordings: Vec<Rec>,
}

#[derive(Serialize)]
struct Pop {
    id: String,
    is_source: bool,
    model: &'static str,
    size: usize,
    params: Vec<Setting>,
    /// Mean and sd in mV when each cell's initial potential is drawn.
    v_init_normal: Option<NormalDraw>,
}

#[derive(Serialize)]
struct Proj {
    index: usize,
    pre: String,
    post: String,
    /// NEST's `conn_spec` when NEST draws the connections itself ([`Connections::Drawn`]);
    /// otherwise the pairs come from crosscheck's input file.
    conn_spec: Option<String>,
    /// Python expressions: a number, or a `nest.random` parameter drawn per synapse.
    weight: String,
    delay: String,
}

#[derive(Serialize)]
struct Step {
    target: String,
    cells: String,
    amplitude: String,
    start: String,
    stop: String,
}

#[derive(Serialize)]
struct Drive {
    target: String,
    rate_hz: String,
    weight: String,
    delay: String,
}

#[derive(Serialize)]
struct Rec {
    pop: String,
    cells: String,
    spikes: bool,
    vars: Vec<RecVar>,
}

/// A state variable read from a NEST recordable: ours = NEST's × scale + offset.
#[derive(Serialize)]
struct RecVar {
    ours: &'static str,
    nest: &'static str,
    scale: String,
    offset: String,
}

/// Why spikes cannot reach an izhikevich2007 population on NEST.
fn izhikevich2007_synapses(target: &NetPopulation) -> CodegenError {
    CodegenError::Unsupported(format!(
        "NEST's izhikevich takes spikes only as jumps of V; the exponential current synapses \
         of izhikevich2007 population `{}` have no NEST counterpart",
        target.id
    ))
}

/// NEST's unit for a weight onto `target`.
fn weight_unit(target: &NetPopulation) -> &'static str {
    match target.kind.synapse.weight_dimension() {
        Some(d) if d == Dimension::CONDUCTANCE => "nS",
        Some(d) if d == Dimension::VOLTAGE => "mV",
        _ => "pA",
    }
}

/// The `conn_spec` with which NEST draws `connector` itself. Only connectors that mean the
/// same on every simulator are accepted by the loader under `connectivity: simulator`.
fn nest_conn_spec(connector: &Connector) -> Result<String, CodegenError> {
    let python_bool = |b: bool| if b { "True" } else { "False" };
    match connector {
        Connector::FixedTotalNumber {
            total,
            allow_self_connections,
            ..
        } => Ok(format!(
            "{{\"rule\": \"fixed_total_number\", \"N\": {total}, \"allow_autapses\": {}, \"allow_multapses\": True}}",
            python_bool(*allow_self_connections)
        )),
        Connector::AllToAll {
            allow_self_connections,
        } => Ok(format!(
            "{{\"rule\": \"all_to_all\", \"allow_autapses\": {}}}",
            python_bool(*allow_self_connections)
        )),
        Connector::OneToOne => Ok("{\"rule\": \"one_to_one\"}".to_string()),
        other => Err(CodegenError::Unsupported(format!(
            "with `connectivity: simulator`, NEST does not draw {other:?} connectors"
        ))),
    }
}

/// A weight onto `target` in NEST's unit for its synapse, signed as NEST tells excitatory
/// from inhibitory input: by the sign.
fn signed_weight(
    target: &NetPopulation,
    weight: &Quantity,
    receptor: Receptor,
) -> Result<String, CodegenError> {
    let unit = weight_unit(target);
    let magnitude = weight
        .value_in(unit)
        .map_err(|e| CodegenError::Units(e.to_string()))?;
    Ok(code_number(receptor.sign() * magnitude))
}

/// Per population, the map onto NEST's izhikevich of an izhikevich2007 population.
type Izh2007Maps = [Option<Izhikevich2007OnNest>];

/// Writes the PyNEST script ([`SCRIPT`]) for the network into `dir`; it reads the spike and
/// connection files of the contract's `inputs/` at run time.
pub fn generate(net: &Network, dir: &Path) -> Result<Generated, CodegenError> {
    net.refuse_cables("NEST has no cable model (its neurons are point neurons)")?;
    let mut populations = Vec::new();
    let mut izh2007 = Vec::new();
    for pop in &net.populations {
        let (nest_pop, map) = population(pop)?;
        populations.push(nest_pop);
        izh2007.push(map);
    }
    let projections = net
        .projections
        .iter()
        .map(|proj| projection(net, proj, &izh2007))
        .collect::<Result<_, _>>()?;
    let mut steps = Vec::new();
    let mut drives = Vec::new();
    for stimulus in &net.stimuli {
        match stimulus {
            NetStimulus::Poisson(d) => drives.push(drive(net, d, &izh2007)?),
            NetStimulus::Step(s) => steps.push(step(net, s, &izh2007)?),
        }
    }
    let recordings = net
        .recordings
        .iter()
        .map(|rec| recording(net, rec, &izh2007))
        .collect::<Result<_, _>>()?;
    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        suite: net.suite.name.to_string(),
        sweep_label: String::new(),
        trace_format: net.trace_format(),
        dt: number_in(net.dt(), "ms")?,
        tics: tics_per_ms(net.dt_ms())
            .map(|t| format!("\"tics_per_ms\": {t}, "))
            .unwrap_or_default(),
        duration: number_in(net.duration(), "ms")?,
        seed: net.suite.simulation.seed,
        threads: net.suite.simulation.threads,
        populations,
        projections,
        steps,
        drives,
        recordings,
    };
    let code = render("nest.py", TEMPLATE, &context)?;
    super::write_generated(dir, SCRIPT, &code, super::GeneratedKind::Python)
}

/// A population as NEST creates it, and the map onto `izhikevich` of an izhikevich2007 one.
fn population(pop: &NetPopulation) -> Result<(Pop, Option<Izhikevich2007OnNest>), CodegenError> {
    let created = |is_source, model, params, v_init_normal| Pop {
        id: pop.id.to_string(),
        is_source,
        model,
        size: pop.size,
        params,
        v_init_normal,
    };
    if pop.kind.name == "izhikevich2007" {
        let map = Izhikevich2007OnNest::new(pop.def)?;
        if pop.def.v_init_sd.is_some() {
            return Err(CodegenError::Unsupported(format!(
                "a drawn `v_init` on izhikevich2007 population `{}` has no NEST counterpart",
                pop.id
            )));
        }
        let params = map.params(pop.def)?;
        return Ok((created(false, "izhikevich", params, None), Some(map)));
    }
    if pop.is_source() {
        return Ok((created(true, "spike_generator", vec![], None), None));
    }
    let model = nest_model(pop.kind.name).ok_or_else(|| {
        CodegenError::Unsupported(format!(
            "NEST has no built-in model for `{}` (population `{}`)",
            pop.kind.name, pop.id
        ))
    })?;
    let mut params = Vec::new();
    for map in model.params {
        if let Some(q) = pop.param(map.ours) {
            params.push(Setting::new(map.theirs, number_in(q, map.unit)?));
        }
    }
    if pop.kind.name == "hh_curr_alpha" {
        // NEST starts the gates at their steady state for -65 mV whatever V_m is; the
        // library's meaning (and the other simulators') is the steady state at v_init.
        let v_init = pop.param("v_init").map(|q| q.si * 1e3).unwrap_or(-65.0);
        let gates = super::hh_steady_state(v_init);
        params.push(Setting::new("Act_m", code_number(gates.m)));
        params.push(Setting::new("Inact_h", code_number(gates.h)));
        params.push(Setting::new("Act_n", code_number(gates.n)));
    }
    let v_init_normal = super::drawn::initial_potential(pop.def)?;
    Ok((created(false, model.model, params, v_init_normal), None))
}

/// A projection as `nest.Connect` takes it: NEST's rule when it draws the pairs itself, the
/// weight and delay (drawn per synapse when the suite gives a spread).
fn projection(
    net: &Network,
    proj: &NetProjection,
    izh2007: &Izh2007Maps,
) -> Result<Proj, CodegenError> {
    let target = &net.populations[proj.target];
    if izh2007[proj.target].is_some() {
        return Err(izhikevich2007_synapses(target));
    }
    let weight = signed_weight(target, &proj.weight, proj.receptor)?;
    let weight = match proj.weight_sd {
        None => weight,
        // Redrawn until the sign is the receptor's, as the microcircuit's reference
        // implementation does (and with its arguments, so the draws are its draws).
        Some(sd) => {
            let unit = weight_unit(target);
            let (min, max) = match proj.receptor {
                Receptor::Excitatory => ("0.0", "np.inf"),
                Receptor::Inhibitory => ("-np.inf", "0.0"),
            };
            format!(
                "nest.math.redraw(nest.random.normal(mean={weight}, std={}), min={min}, max={max})",
                number_in(&sd, unit)?
            )
        }
    };
    let delay = number_in(&proj.delay, "ms")?;
    let delay = match proj.delay_sd {
        None => delay,
        // At least half a step, which NEST rounds to one step.
        Some(sd) => format!(
            "nest.math.redraw(nest.random.normal(mean={delay}, std={}), \
             min=nest.resolution - 0.5 * nest.resolution, max=np.inf)",
            number_in(&sd, "ms")?
        ),
    };
    Ok(Proj {
        index: proj.index,
        pre: net.populations[proj.source].id.to_string(),
        post: target.id.to_string(),
        conn_spec: match proj.connections {
            Connections::Listed(_) => None,
            Connections::Drawn(connector) => Some(nest_conn_spec(connector)?),
        },
        weight,
        delay,
    })
}

/// A Poisson drive as a `poisson_generator` (NEST draws every cell's train).
fn drive(net: &Network, d: &PoissonDrive, izh2007: &Izh2007Maps) -> Result<Drive, CodegenError> {
    let pop = &net.populations[d.target];
    if izh2007[d.target].is_some() {
        return Err(izhikevich2007_synapses(pop));
    }
    Ok(Drive {
        target: pop.id.to_string(),
        rate_hz: number_in(&d.rate, "Hz")?,
        weight: signed_weight(pop, &d.weight, d.receptor)?,
        delay: number_in(d.delay.as_ref().unwrap_or(net.dt()), "ms")?,
    })
}

/// A current step as a `step_current_generator`.
fn step(net: &Network, s: &CurrentStep, izh2007: &Izh2007Maps) -> Result<Step, CodegenError> {
    let pop = &net.populations[s.target];
    // NEST refuses a change of current at t = 0; the earliest is the first step.
    let start_ms = super::ms(&s.start).max(net.dt_ms());
    let pa = s
        .amplitude
        .value_in("pA")
        .map_err(|e| CodegenError::Units(e.to_string()))?;
    let scale = izh2007[s.target].map_or(1.0, |m| m.input_scale);
    Ok(Step {
        target: pop.id.to_string(),
        cells: list_literal(&s.cells),
        amplitude: code_number(pa * scale),
        start: code_number(start_ms),
        stop: number_in(&s.stop, "ms")?,
    })
}

/// A recording: spike recorders and multimeters, each state variable read from NEST's
/// recordable (mapped back for izhikevich2007 cells).
fn recording(
    net: &Network,
    rec: &NetRecording,
    izh2007: &Izh2007Maps,
) -> Result<Rec, CodegenError> {
    let pop = &net.populations[rec.population];
    let model = nest_model(pop.kind.name);
    let map = izh2007[rec.population].as_ref();
    let cm_pf = pop.param("cm").and_then(|q| q.value_in("pF").ok());
    let (spikes, vars) = rec.split(
        |name| {
            let ours = pop.kind.state_variable(name)?.name;
            let readout = match (map, cm_pf) {
                (Some(map), Some(cm)) => map.variable(name, cm)?,
                _ => {
                    let model = model.as_ref()?;
                    let found = model.variables.iter().find(|v| v.ours == name)?;
                    Readout {
                        recordable: found.theirs,
                        scale: 1.0,
                        offset: 0.0,
                    }
                }
            };
            Some(RecVar {
                ours,
                nest: readout.recordable,
                scale: code_number(readout.scale),
                offset: code_number(readout.offset),
            })
        },
        |name| match (&model, map) {
            (_, Some(_)) => format!("NEST's izhikevich does not record `{name}`"),
            (Some(model), _) => format!("NEST's {} does not record `{name}`", model.model),
            (None, None) => format!("cannot record `{name}` of a source"),
        },
    )?;
    Ok(Rec {
        pop: pop.id.to_string(),
        cells: list_literal(&rec.cells),
        spikes,
        vars,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_step_finer_than_nests_tic_gets_a_finer_tic() {
        use super::tics_per_ms;
        assert_eq!(tics_per_ms(0.025), None);
        assert_eq!(tics_per_ms(0.1), None);
        assert_eq!(tics_per_ms(0.0125), Some(10_000));
        assert_eq!(tics_per_ms(0.00625), Some(100_000));
        // Binary steps: decimal tics while 1e9 per ms suffice (2^-9 ms is 1953125 ns), then
        // powers of two.
        assert_eq!(tics_per_ms(0.5f64.powi(9)), Some(1_000_000_000));
        assert_eq!(tics_per_ms(0.5f64.powi(10)), Some(1024));
        assert_eq!(tics_per_ms(0.5f64.powi(11)), Some(2048));
        assert_eq!(tics_per_ms(0.5f64.powi(13)), Some(8192));
    }

    use super::Izhikevich2007OnNest;
    use crate::codegen::testing::{assert_parses_as_python, example, from_yaml, EXAMPLES};
    use crate::codegen::CodegenError;
    use crate::suite::native::Simulator;

    /// Izhikevich (2007) parameter sets (cm pF, k nS/mV, v_r, v_t, v_peak mV, a /ms, b nS,
    /// c mV, d pA, step pA): the book's RS, IB, CH, LTS and FS (without its cubic U), and one
    /// with b > 0 and an offset current.
    const CELLS: &[[f64; 10]] = &[
        [
            100.0, 0.7, -60.0, -40.0, 35.0, 0.03, -2.0, -50.0, 100.0, 100.0,
        ],
        [
            150.0, 1.2, -75.0, -45.0, 50.0, 0.01, 5.0, -56.0, 130.0, 550.0,
        ],
        [
            50.0, 1.5, -60.0, -40.0, 25.0, 0.03, 1.0, -40.0, 150.0, 400.0,
        ],
        [
            100.0, 1.0, -56.0, -42.0, 40.0, 0.03, 8.0, -53.0, 20.0, 120.0,
        ],
        [20.0, 1.0, -55.0, -40.0, 25.0, 0.2, 0.0, -45.0, 0.0, 100.0],
        [60.0, 0.4, -65.0, -50.0, 30.0, 0.1, 3.0, -55.0, 40.0, 80.0],
    ];

    fn population_yaml(c: &[f64; 10], i_offset: f64) -> String {
        format!(
            "suite: t\nsimulation: {{duration: 10 ms, dt: 0.025 ms}}\npopulations:\n  \
             p: {{cell: izhikevich2007, size: 1, parameters: {{cm: {} pF, k: {} nS/mV, \
             v_r: {} mV, v_t: {} mV, v_peak: {} mV, a: {} /ms, b: {} nS, c: {} mV, d: {} pA, \
             i_offset: {i_offset} pA, v_init: {} mV}}}}\nrecord:\n  \
             - {{population: p, variables: [spikes, v, u]}}\n\
             checks: {{agreement: {{spikes: {{window: 1 ms}}}}}}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[2]
        )
    }

    /// NEST's izhikevich parameters as numbers.
    fn nest_params(
        map: &Izhikevich2007OnNest,
        pop: &crate::suite::native::Population,
    ) -> Vec<(&'static str, f64)> {
        map.params(pop)
            .unwrap()
            .into_iter()
            .filter_map(|s| s.value.parse().ok().map(|v| (s.name, v)))
            .collect()
    }

    /// Forward Euler on both forms, step by step: the 2007 cell as NeuroML (and crosscheck's
    /// NEURON mechanism) integrates it, and NEST's `izhikevich` (`consistent_integration`)
    /// with the mapped parameters and input. The map is exact: every spike on the same step,
    /// v and u equal but for rounding.
    #[test]
    fn izhikevich2007_on_nest_is_exact_under_forward_euler() {
        let dt = 0.025;
        for (case, c) in CELLS.iter().enumerate() {
            let i_offset = if case == 5 { 30.0 } else { 0.0 };
            let suite = from_yaml(&population_yaml(c, i_offset));
            let pop = &suite.populations[0];
            let map = Izhikevich2007OnNest::new(pop).unwrap();
            let n: std::collections::HashMap<_, _> = nest_params(&map, pop).into_iter().collect();
            let [cm, k, v_r, v_t, v_peak, a, b, c_reset, d, step] = *c;
            let (mut v, mut u) = (v_r, 0.0);
            let (mut nv, mut nu) = (n["V_m"], n["U_m"]);
            let (mut spikes, mut nest_spikes) = (Vec::new(), Vec::new());
            for i in 0..16_000 {
                // The step is on from 50 ms to 350 ms.
                let input = if (2000..14_000).contains(&i) {
                    step
                } else {
                    0.0
                } + i_offset;
                let nest_input = if (2000..14_000).contains(&i) {
                    step * map.input_scale
                } else {
                    0.0
                };
                let dv = (k * (v - v_r) * (v - v_t) - u + input) / cm;
                let du = a * (b * (v - v_r) - u);
                v += dt * dv;
                u += dt * du;
                if v >= v_peak {
                    spikes.push(i);
                    v = c_reset;
                    u += d;
                }
                let dnv = 0.04 * nv * nv + 5.0 * nv + 140.0 - nu + nest_input + n["I_e"];
                let dnu = n["a"] * (n["b"] * nv - nu);
                nv += dt * dnv;
                nu += dt * dnu;
                if nv >= n["V_th"] {
                    nest_spikes.push(i);
                    nv = n["c"];
                    nu += n["d"];
                }
                let (v_back, u_back) = (nv / map.s + map.c0, (nu - map.u_offset) * cm / map.s);
                // Rounding differences grow on the upstroke of a spike (~1e-6 mV seen).
                assert!(
                    (v_back - v).abs() < 1e-4 && (u_back - u).abs() < 1e-4,
                    "case {case}, step {i}: v {v} vs {v_back}, u {u} vs {u_back}"
                );
                // What the generated script does to the recordings.
                let v_read = map.variable("v", cm).unwrap();
                let u_read = map.variable("u", cm).unwrap();
                assert!((nv * v_read.scale + v_read.offset - v_back).abs() < 1e-9);
                assert!((nu * u_read.scale + u_read.offset - u_back).abs() < 1e-9);
            }
            assert!(
                !spikes.is_empty(),
                "case {case} never fires: not a test of the reset"
            );
            assert_eq!(spikes, nest_spikes, "case {case}");
        }
    }

    /// Every cell type NEST runs, under a description full of code: nothing from the suite
    /// reaches the script but numbers and validated names.
    #[test]
    fn hostile_suite_text_never_reaches_the_nest_script() {
        let suite = from_yaml(
            r#"suite: hostile
description: "x\"); __import__('os').system('echo pwned') #\n''' <script>"
simulation: {duration: 20 ms, dt: 0.1 ms, threads: 2}
populations:
  src: {cell: spike_source, size: 1, spike_times: [1 ms, 5 ms]}
  le: {cell: lif_curr_exp, size: 2}
  la: {cell: lif_curr_alpha, size: 2}
  iz: {cell: izhikevich, size: 1}
  iz7: {cell: izhikevich2007, size: 1}
  ad: {cell: adex_cond_exp, size: 1}
  hh: {cell: hh_curr_alpha, size: 1}
  de: {cell: lif_delta, size: 3}
projections:
  - {from: src, to: le, connector: all_to_all, receptor: excitatory, weight: 100 pA, delay: 1 ms}
  - {from: src, to: iz, connector: all_to_all, receptor: excitatory, weight: 5 mV, delay: 1 ms}
  - {from: src, to: ad, connector: all_to_all, receptor: inhibitory, weight: 2 nS, delay: 1 ms}
  - {from: de, to: de, connector: {fixed_indegree: 2}, receptor: inhibitory, weight: 0.5 mV, delay: 1.5 ms}
stimuli:
  - poisson: {target: de, rate: 20 kHz, weight: 0.1 mV, receptor: excitatory}
  - step: {target: iz7, amplitude: 100 pA, start: 1 ms, stop: 10 ms}
record:
  - {population: le, variables: [spikes, v]}
  - {population: iz7, variables: [spikes, v, u]}
  - {population: hh, variables: [v]}
checks:
  agreement: {spikes: {window: 1 ms}}
"#,
        );
        let dir = tempfile::tempdir().unwrap();
        let generated = crate::codegen::generate(&suite, Simulator::Nest, dir.path()).unwrap();
        let path = dir.path().join(&generated.script);
        assert_parses_as_python(&path);
        let code = std::fs::read_to_string(path).unwrap();
        for needle in ["__import__", "pwned", "'''", "<script>", "system("] {
            assert!(
                !code.contains(needle),
                "{needle} reached the script:\n{code}"
            );
        }
    }

    #[test]
    fn projections_onto_izhikevich2007_skip_nest_with_the_reason() {
        let text = population_yaml(&CELLS[0], 0.0).replace(
            "checks:",
            "projections:\n  - {from: p, to: p, connector: all_to_all, receptor: excitatory, \
             weight: 10 pA, delay: 1 ms}\nchecks:",
        );
        let suite = from_yaml(&text);
        let dir = tempfile::tempdir().unwrap();
        let err = crate::codegen::generate(&suite, Simulator::Nest, dir.path()).unwrap_err();
        match err {
            CodegenError::Unsupported(why) => {
                assert!(why.contains("izhikevich2007 population `p`"), "{why}")
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn izhikevich2007_runs_as_izhikevich_with_scaled_input() {
        let suite = crate::codegen::apply_sweep(&example("izhikevich2007.crosscheck.yaml"), 0);
        let dir = tempfile::tempdir().unwrap();
        let generated = crate::codegen::generate(&suite, Simulator::Nest, dir.path()).unwrap();
        let path = dir.path().join(&generated.script);
        assert_parses_as_python(&path);
        let code = std::fs::read_to_string(path).unwrap();
        assert!(code.contains("nest.Create(\"izhikevich\""), "{code}");
        // RS: 100 pA through C = 100 pF with s = 0.7 / (0.04 × 100) = 0.175 is 0.175.
        assert!(code.contains("\"amplitude_values\": [0.175"), "{code}");
    }

    #[test]
    fn generates_nest_code_for_the_examples() {
        for name in EXAMPLES {
            let suite = crate::codegen::apply_sweep(&example(name), 0);
            let dir = tempfile::tempdir().unwrap();
            let generated = crate::codegen::generate(&suite, Simulator::Nest, dir.path()).unwrap();
            let path = dir.path().join(&generated.script);
            assert_parses_as_python(&path);
            let code = std::fs::read_to_string(path).unwrap();
            assert!(code.contains("nest.Simulate("), "{code}");
        }
    }
}
