//! Python code driving NEURON (`from neuron import h`) for a native suite, with NMODL
//! mechanisms written by crosscheck.
//!
//! # Design
//!
//! Every cell is one section holding one POINT_PROCESS (`cc_lif_alpha`, `cc_adex`, ...: names
//! fixed here, never derived from suite text) that keeps its own membrane potential `vm` and
//! advances its whole state once per time step in a `SOLVE`d procedure. The section's own
//! voltage is unused. This was chosen over driving the section's cable equation because the
//! library's cells are NEST's models, and their meaning includes NEST's update order within a
//! step (propagate, then add arriving spikes, then the threshold test; refractory clamps
//! counted in steps; AdEx resets inside the step): inside a point process that order can be
//! written down exactly, while NEURON's cable solver would add its own implicit-Euler (or
//! Crank–Nicolson) error, need a voltage clamp for refractoriness, and make resets happen a
//! step late. So `h.secondorder` plays no role: the integration scheme is the mechanism's.
//!
//! - LIF (`iaf_psc_exp`/`iaf_psc_alpha`): NEST's exact propagators, so NEURON matches NEST to
//!   rounding.
//! - `izhikevich`: NEST's forward Euler step (`consistent_integration`), so exact as well.
//! - `izhikevich2007`: the same Euler scheme as jNeuroML (and NEST through its 2003 model),
//!   NeuroML meaning.
//! - `adex_cond_exp`, `hh_curr_alpha`: NEST integrates with adaptive RKF45; here classic RK4
//!   on substeps of at most 5 µs. Differences are integration error only (far below a step in
//!   spike timing; a spike may occasionally land one step away).
//!
//! # Timing
//!
//! NEURON's fixed step (`CVode` off, `h.dt` = the suite's dt) delivers events at the start of
//! the step they fall in (within half a step), before the mechanisms' procedures run at its
//! end. NEST adds a spike that arrives at `T` after propagating the step that ends at `T`.
//! So every synaptic event is scheduled one step early (`delay - dt`, never negative since a
//! suite's delay is at least dt) and parked in the mechanism until the end of that step: the
//! result is NEST's order, and spike times are grid times as in NEST. Injected current
//! changes are events at `start` and `stop` that act from the step beginning there, so the
//! current flows over `[start, stop)`. NEST's models read a device's current one step after
//! it arrives and a device connection has at least one step of delay, so NEST's current
//! starts one step (dt) later than this; with that lag put in by hand, NEURON reproduces NEST
//! to rounding (LIF, Izhikevich) or integration error (AdEx, HH).
//!
//! Spike sources need no mechanism: their spikes are queued on `NetCon(None, target)` with
//! `nc.event(t)` from an `FInitializeHandler` (NEURON 8 has no built-in VecStim). Off-grid
//! times are placed as NEST's spike_generator (`allow_offgrid_times`) places them: rounded to
//! NEST's 1 µs time base, then up to the grid; a spike at 0 stays at 0 (NEST moves it to dt).
//!
//! A `passive_cable` is the exception: it is what NEURON's own cable equation is for. Each
//! cell is one section (`L`, `diam`, `nseg`, `Ra`, `cm`; a taper is two 3-D points, from
//! which NEURON integrates each segment's area and axial resistance) with NEURON's built-in
//! `pas` leak and sealed ends, no crosscheck mechanism, integrated by NEURON's default backward Euler
//! (`h.secondorder = 0`, first order in dt); current steps and `i_offset` are `IClamp`s at
//! `sec(0)`, and `v`, `v_distal` are recorded at `sec(0)` and `sec(1)`, the zero-area end nodes,
//! whose potentials are the sealed ends' (a position strictly inside would give the centre of
//! the segment containing it). An `IClamp`'s current is evaluated at the middle of each step,
//! so it too flows over the steps of `[start, stop)`.
//!
//! Cells signal a spike by setting `spiked` to 1 for the step; a `NetCon` watching that
//! variable (threshold 0.5) fires at the end of the step. A cell spiking in two consecutive
//! steps would be seen once; the script compares each recorded cell's own spike count with
//! the recorded spikes and fails loudly if they differ.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::network::{
    Connections, CurrentStep, NameMap, NetPopulation, NetProjection, NetRecording, Network,
    NormalDraw, ParamMap, Setting,
};
use super::{list_literal, ms, number_in, render, CodegenError, Generated};
use crate::suite::native::library::PASSIVE_CABLE;
use crate::suite::native::{Receptor, SynapseKind};
use crate::suite::units::code_number;

const TEMPLATE: &str = include_str!("templates/neuron.py.tera");
/// The generated NEURON (Python) script's file name, in the output folder.
pub const SCRIPT: &str = "run_neuron.py";

/// One of our cell types as a crosscheck mechanism: the mechanism's name and NMODL text, the
/// mechanism's unit for every parameter (its RANGE names are ours), and the mechanism's RANGE
/// variable for each of our state variables.
struct Mechanism {
    name: &'static str,
    source: &'static str,
    units: &'static [ParamMap],
    variables: &'static [NameMap],
}

const LIF_UNITS: &[ParamMap] = &[
    ParamMap::same("cm", "pF"),
    ParamMap::same("tau_m", "ms"),
    ParamMap::same("v_rest", "mV"),
    ParamMap::same("v_reset", "mV"),
    ParamMap::same("v_thresh", "mV"),
    ParamMap::same("tau_refrac", "ms"),
    ParamMap::same("tau_syn_E", "ms"),
    ParamMap::same("tau_syn_I", "ms"),
    ParamMap::same("i_offset", "pA"),
    ParamMap::same("v_init", "mV"),
];

const IZHIKEVICH_UNITS: &[ParamMap] = &[
    ParamMap::same("a", "1/ms"),
    ParamMap::same("b", "1/ms"),
    ParamMap::same("c", "mV"),
    ParamMap::same("d", "mV/ms"),
    ParamMap::same("v_thresh", "mV"),
    // 1 pA through 1 pF is 1 mV/ms: the mechanism adds i_offset to dv/dt directly.
    ParamMap::same("i_offset", "pA"),
    ParamMap::same("v_init", "mV"),
    ParamMap::same("u_init", "mV/ms"),
];

const IZHIKEVICH2007_UNITS: &[ParamMap] = &[
    ParamMap::same("cm", "pF"),
    ParamMap::same("k", "nS/mV"),
    ParamMap::same("v_r", "mV"),
    ParamMap::same("v_t", "mV"),
    ParamMap::same("v_peak", "mV"),
    ParamMap::same("a", "1/ms"),
    ParamMap::same("b", "nS"),
    ParamMap::same("c", "mV"),
    ParamMap::same("d", "pA"),
    ParamMap::same("tau_syn_E", "ms"),
    ParamMap::same("tau_syn_I", "ms"),
    ParamMap::same("i_offset", "pA"),
    ParamMap::same("v_init", "mV"),
];

const ADEX_UNITS: &[ParamMap] = &[
    ParamMap::same("cm", "pF"),
    ParamMap::same("g_L", "nS"),
    ParamMap::same("v_rest", "mV"),
    ParamMap::same("v_reset", "mV"),
    ParamMap::same("v_thresh", "mV"),
    ParamMap::same("delta_T", "mV"),
    ParamMap::same("v_spike", "mV"),
    ParamMap::same("tau_w", "ms"),
    ParamMap::same("a", "nS"),
    ParamMap::same("b", "pA"),
    ParamMap::same("tau_refrac", "ms"),
    ParamMap::same("e_rev_E", "mV"),
    ParamMap::same("e_rev_I", "mV"),
    ParamMap::same("tau_syn_E", "ms"),
    ParamMap::same("tau_syn_I", "ms"),
    ParamMap::same("i_offset", "pA"),
    ParamMap::same("v_init", "mV"),
];

const HH_UNITS: &[ParamMap] = &[
    ParamMap::same("cm", "pF"),
    ParamMap::same("g_Na", "nS"),
    ParamMap::same("g_K", "nS"),
    ParamMap::same("g_L", "nS"),
    ParamMap::same("e_rev_Na", "mV"),
    ParamMap::same("e_rev_K", "mV"),
    ParamMap::same("e_rev_L", "mV"),
    ParamMap::same("tau_syn_E", "ms"),
    ParamMap::same("tau_syn_I", "ms"),
    ParamMap::same("i_offset", "pA"),
    ParamMap::same("v_init", "mV"),
];

/// A passive cable's parameters as a NEURON section takes them (`theirs` names a key of the
/// template's `Cable`: section properties and the `pas` mechanism's RANGE variables, which
/// NEURON takes in uF/cm2, S/cm2, ohm cm and um).
const CABLE_UNITS: &[ParamMap] = &[
    ParamMap::new("length", "L", "um"),
    ParamMap::new("diameter", "diam", "um"),
    ParamMap::new("diameter_distal", "diam_distal", "um"),
    ParamMap::same("nseg", "1"),
    ParamMap::new("ra", "Ra", "ohm*cm"),
    ParamMap::new("c_m", "cm", "uF/cm2"),
    ParamMap::new("g_leak", "g_pas", "S/cm2"),
    ParamMap::new("v_rest", "e_pas", "mV"),
    // IClamp takes nA.
    ParamMap::same("i_offset", "nA"),
    ParamMap::same("v_init", "mV"),
];

/// Where a cable's state variables are recorded: `sec(x).v` at the end nodes.
const CABLE_ENDS: &[NameMap] = &[NameMap::new("v", "0"), NameMap::new("v_distal", "1")];

const VM: &[NameMap] = &[NameMap::new("v", "vm")];
const VM_U: &[NameMap] = &[NameMap::new("v", "vm"), NameMap::new("u", "u")];
const VM_W: &[NameMap] = &[NameMap::new("v", "vm"), NameMap::new("w", "w")];

fn mechanism(cell: &str) -> Option<Mechanism> {
    let (name, source, units, variables): (_, _, _, &[NameMap]) = match cell {
        "lif_curr_exp" => (
            "cc_lif_exp",
            include_str!("templates/neuron/cc_lif_exp.mod"),
            LIF_UNITS,
            VM,
        ),
        "lif_curr_alpha" => (
            "cc_lif_alpha",
            include_str!("templates/neuron/cc_lif_alpha.mod"),
            LIF_UNITS,
            VM,
        ),
        // The LIF table: the synaptic time constants it lacks are skipped.
        "lif_delta" => (
            "cc_lif_delta",
            include_str!("templates/neuron/cc_lif_delta.mod"),
            LIF_UNITS,
            VM,
        ),
        "izhikevich" => (
            "cc_izhikevich",
            include_str!("templates/neuron/cc_izhikevich.mod"),
            IZHIKEVICH_UNITS,
            VM_U,
        ),
        "izhikevich2007" => (
            "cc_izhikevich2007",
            include_str!("templates/neuron/cc_izhikevich2007.mod"),
            IZHIKEVICH2007_UNITS,
            VM_U,
        ),
        "adex_cond_exp" => (
            "cc_adex",
            include_str!("templates/neuron/cc_adex.mod"),
            ADEX_UNITS,
            VM_W,
        ),
        "hh_curr_alpha" => (
            "cc_hh",
            include_str!("templates/neuron/cc_hh.mod"),
            HH_UNITS,
            VM,
        ),
        _ => return None,
    };
    Some(Mechanism {
        name,
        source,
        units,
        variables,
    })
}

/// Every mechanism crosscheck can write, by name and NMODL text (for tests and tooling).
pub fn mechanisms() -> Vec<(&'static str, &'static str)> {
    crate::suite::native::CELL_TYPES
        .iter()
        .filter_map(|kind| mechanism(kind.name))
        .map(|m| (m.name, m.source))
        .collect()
}

/// Whether `nrnivmodl` must run in the output folder before the script: true when the
/// generator wrote `.mod` files (every suite with at least one cell population).
pub fn needs_nrnivmodl(generated: &Generated) -> bool {
    generated
        .files
        .iter()
        .any(|f| f.extension().is_some_and(|e| e == "mod"))
}

#[derive(Serialize)]
struct Context {
    version: &'static str,
    suite: String,
    /// The printf format of trace values ([`super::network::Network::trace_format`]).
    trace_format: &'static str,
    dt: String,
    /// NEST's time base for this step (what its script sets): source spike times are rounded
    /// to it before they go up to the grid, as NEST's spike_generator does.
    tics_per_ms: u64,
    duration: String,
    mechanisms: Vec<&'static str>,
    /// Seeds the Poisson drives (NEURON's scop_random, shared by every mechanism), when there
    /// are any, through `drive_mechanism`'s `seed_drive`.
    drive_seed: Option<String>,
    drive_mechanism: &'static str,
    /// The numpy seed of drawn networks (`connectivity: simulator`), and the helpers that draw.
    draw_seed: Option<u64>,
    draw_helpers: &'static str,
    populations: Vec<Pop>,
    projections: Vec<Proj>,
    steps: Vec<Step>,
    recordings: Vec<Rec>,
}

#[derive(Serialize)]
struct Pop {
    id: String,
    is_source: bool,
    /// A passive cable: a section with `pas` (its `params` are the section's), no mechanism.
    is_cable: bool,
    mechanism: &'static str,
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
    from_source: bool,
    /// The weight as the mechanism takes it (signed for current and voltage synapses, as in
    /// NEST; a positive magnitude for conductances).
    weight: String,
    /// NET_RECEIVE kind: 0 excitatory, 1 inhibitory.
    kind: u8,
    delay: String,
    /// Set when the script draws the connections itself.
    drawn: Option<super::drawn::DrawnProjection>,
}

#[derive(Serialize)]
struct Step {
    target: String,
    cells: String,
    /// Into a passive cable: an `IClamp` at x = 0 (amplitude in nA) instead of events to the
    /// mechanism (pA).
    is_cable: bool,
    amplitude: String,
    start: String,
    stop: String,
}

#[derive(Serialize)]
struct Rec {
    pop: String,
    cells: String,
    is_source: bool,
    /// A passive cable: each variable's `theirs` is the position `x` of `sec(x).v`.
    is_cable: bool,
    spikes: bool,
    /// Our variable and the mechanism's RANGE variable.
    vars: Vec<NameMap>,
}

fn unsupported_cell(kind: &str, pop: &str) -> CodegenError {
    CodegenError::Unsupported(format!(
        "crosscheck has no NEURON mechanism for `{kind}` (population `{pop}`)"
    ))
}

/// A Poisson drive as parameters of the target's mechanism: `cc_lif_delta` (weight in mV) and
/// `cc_lif_exp` (pA) draw the drive inside their step (a NetStim per cell at tens of kHz would
/// put millions of events a second through NEURON's queue).
struct MechanismDrive {
    /// Index of the population driven.
    target: usize,
    /// `drive_rate`, in 1/ms.
    rate: String,
    /// `drive_weight`, signed.
    weight: String,
}

/// The network's Poisson drives as mechanism parameters (see [`MechanismDrive`]).
fn poisson_drives(net: &Network) -> Result<Vec<MechanismDrive>, CodegenError> {
    net.driven_cells("crosscheck's NEURON mechanisms")?
        .into_iter()
        .map(|d| {
            let unit = if net.populations[d.target].kind.name == "lif_delta" {
                "mV"
            } else {
                "pA"
            };
            Ok(MechanismDrive {
                target: d.target,
                rate: number_in(&d.rate, "1/ms")?,
                weight: number_in(&d.signed_weight(), unit)?,
            })
        })
        .collect()
}

/// Writes the NEURON script ([`SCRIPT`]) for the network into `dir`, with the NMODL `.mod`
/// file of every crosscheck mechanism it uses beside it (for `nrnivmodl` to compile before
/// the run).
pub fn generate(net: &Network, dir: &Path) -> Result<Generated, CodegenError> {
    let drives = poisson_drives(net)?;
    let mut used: Vec<Mechanism> = Vec::new();
    let mut populations = Vec::new();
    for pop in &net.populations {
        populations.push(population(pop, &drives, &mut used)?);
    }
    let projections = net
        .projections
        .iter()
        .map(|proj| projection(net, proj))
        .collect::<Result<_, _>>()?;
    let steps = net
        .steps()
        .map(|s| step(net, s))
        .collect::<Result<_, _>>()?;
    let recordings = net
        .recordings
        .iter()
        .map(|rec| recording(net, rec))
        .collect::<Result<_, _>>()?;
    let mut files = write_mechanisms(dir, &used)?;
    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        suite: net.suite.name.to_string(),
        trace_format: net.trace_format(),
        dt: number_in(net.dt(), "ms")?,
        tics_per_ms: super::nest::tics_per_ms(net.dt().si * 1e3).unwrap_or(1000),
        duration: number_in(net.duration(), "ms")?,
        mechanisms: used.iter().map(|m| m.name).collect(),
        // scop_random's seed is a double; keep it exact.
        drive_seed: (!drives.is_empty())
            .then(|| (net.suite.simulation.seed % (1 << 52)).to_string()),
        drive_mechanism: drives
            .first()
            .and_then(|d| mechanism(net.populations[d.target].kind.name))
            .map_or("", |m| m.name),
        draw_seed: super::drawn::seed(net.suite),
        draw_helpers: super::drawn::PYTHON_HELPERS,
        populations,
        projections,
        steps,
        recordings,
    };
    let code = render("neuron.py", TEMPLATE, &context)?;
    let path = dir.join(SCRIPT);
    std::fs::write(&path, code).map_err(|source| CodegenError::Io {
        path: path.clone(),
        source,
    })?;
    files.push(path);
    Ok(Generated {
        files,
        script: SCRIPT.to_string(),
        kind: super::GeneratedKind::Python,
    })
}

/// A population as cells of its mechanism (added to `used` the first time), its parameters
/// in the mechanism's units and the Poisson drive it draws, if any.
fn population(
    pop: &NetPopulation,
    drives: &[MechanismDrive],
    used: &mut Vec<Mechanism>,
) -> Result<Pop, CodegenError> {
    if pop.is_source() {
        return Ok(Pop {
            id: pop.id.to_string(),
            is_source: true,
            is_cable: false,
            mechanism: "",
            size: pop.size,
            params: vec![],
            v_init_normal: None,
        });
    }
    if pop.kind.name == PASSIVE_CABLE {
        let mut params = Vec::new();
        for map in CABLE_UNITS {
            let lacks =
                || CodegenError::Template(format!("cable `{}` lacks `{}`", pop.id, map.ours));
            // The template sees the far end's actual diameter, never the default's 0.
            let q = if map.ours == "diameter_distal" {
                pop.def.distal_diameter()
            } else {
                pop.param(map.ours)
            };
            params.push(Setting::new(
                map.theirs,
                number_in(q.ok_or_else(lacks)?, map.unit)?,
            ));
        }
        return Ok(Pop {
            id: pop.id.to_string(),
            is_source: false,
            is_cable: true,
            mechanism: "",
            size: pop.size,
            params,
            v_init_normal: None,
        });
    }
    let mech =
        mechanism(pop.kind.name).ok_or_else(|| unsupported_cell(pop.kind.name, pop.id.as_str()))?;
    let mut params = Vec::new();
    for map in mech.units {
        if let Some(q) = pop.param(map.ours) {
            params.push(Setting::new(map.theirs, number_in(q, map.unit)?));
        }
    }
    if let Some(drive) = drives.iter().find(|d| d.target == pop.index) {
        params.push(Setting::new("drive_rate", drive.rate.clone()));
        params.push(Setting::new("drive_weight", drive.weight.clone()));
    }
    let created = Pop {
        id: pop.id.to_string(),
        is_source: false,
        is_cable: false,
        mechanism: mech.name,
        size: pop.size,
        params,
        v_init_normal: super::drawn::initial_potential(pop.def)?,
    };
    if !used.iter().any(|m| m.name == mech.name) {
        used.push(mech);
    }
    Ok(created)
}

/// A projection as NetCons onto the target's mechanism, with the weight as it takes it.
fn projection(net: &Network, proj: &NetProjection) -> Result<Proj, CodegenError> {
    let source = &net.populations[proj.source];
    let target = &net.populations[proj.target];
    let (unit, signed) = match target.kind.synapse {
        SynapseKind::ConductanceExp => ("nS", false),
        SynapseKind::Delta => ("mV", true),
        SynapseKind::CurrentExp | SynapseKind::CurrentAlpha => ("pA", true),
        SynapseKind::None => {
            return Err(CodegenError::Unsupported(format!(
                "population `{}` ({}) has no synapses and cannot receive a projection",
                target.id, target.kind.name
            )))
        }
    };
    let magnitude = proj
        .weight
        .value_in(unit)
        .map_err(|e| CodegenError::Units(e.to_string()))?;
    let (weight, kind) = match proj.receptor {
        Receptor::Excitatory => (magnitude, 0),
        Receptor::Inhibitory if signed => (-magnitude, 1),
        Receptor::Inhibitory => (magnitude, 1),
    };
    let drawn = match proj.connections {
        Connections::Listed(_) => None,
        Connections::Drawn(_) => Some(super::drawn::DrawnProjection::new(net, proj, weight, unit)?),
    };
    Ok(Proj {
        index: proj.index,
        pre: source.id.to_string(),
        post: target.id.to_string(),
        from_source: source.is_source(),
        weight: code_number(weight),
        kind,
        delay: number_in(&proj.delay, "ms")?,
        drawn,
    })
}

/// A current step as events changing the mechanism's injected current at start and stop, or
/// into a cable as an `IClamp`.
fn step(net: &Network, s: &CurrentStep) -> Result<Step, CodegenError> {
    let target = &net.populations[s.target];
    let is_cable = target.kind.name == PASSIVE_CABLE;
    Ok(Step {
        target: target.id.to_string(),
        cells: list_literal(&s.cells),
        is_cable,
        amplitude: number_in(&s.amplitude, if is_cable { "nA" } else { "pA" })?,
        start: code_number(ms(&s.start)),
        stop: code_number(ms(&s.stop)),
    })
}

/// A recording: spikes (a source's own trains) and the mechanism's RANGE variables.
fn recording(net: &Network, rec: &NetRecording) -> Result<Rec, CodegenError> {
    let pop = &net.populations[rec.population];
    let is_cable = pop.kind.name == PASSIVE_CABLE;
    let mech = mechanism(pop.kind.name);
    let (spikes, vars) = rec.split(
        |name| {
            let table = match &mech {
                Some(mech) => mech.variables,
                None if is_cable => CABLE_ENDS,
                None => &[],
            };
            table.iter().find(|v| v.ours == name).copied()
        },
        |name| match &mech {
            Some(mech) => format!("crosscheck's {} does not record `{name}`", mech.name),
            None if is_cable => format!("a passive cable records no `{name}` on NEURON"),
            None => format!("cannot record `{name}` of a source"),
        },
    )?;
    if spikes && is_cable {
        return Err(CodegenError::Unsupported(format!(
            "`{}` is a passive cable: it has no spikes to record",
            pop.id
        )));
    }
    Ok(Rec {
        pop: pop.id.to_string(),
        cells: list_literal(&rec.cells),
        is_source: pop.is_source(),
        is_cable,
        spikes,
        vars,
    })
}

/// Writes the NMODL file of every mechanism used into `dir`.
fn write_mechanisms(dir: &Path, used: &[Mechanism]) -> Result<Vec<PathBuf>, CodegenError> {
    let mut files = Vec::new();
    for mech in used {
        let path = dir.join(format!("{}.mod", mech.name));
        std::fs::write(&path, mech.source).map_err(|source| CodegenError::Io {
            path: path.clone(),
            source,
        })?;
        files.push(path);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::apply_sweep;
    use crate::suite::native::{load_suite, NativeSuite, Simulator};

    use crate::codegen::testing::{assert_parses_as_python, example, from_yaml, EXAMPLES};

    /// Every cell type, every kind of projection and receptor, stimuli and recordings; the
    /// description tries to smuggle code in.
    const EVERY_CELL_TYPE: &str = r#"
suite: every_cell
description: "x'); __import__('os').system('echo pwned'); (\"'''"
simulation: {duration: 50 ms, dt: 0.1 ms, seed: 3}
populations:
  src: {cell: spike_source, size: 2, spike_times: [1 ms, 2.05 ms, 0 ms]}
  noise: {cell: poisson_source, size: 3, parameters: {rate: 100 Hz}}
  lexp: {cell: lif_curr_exp, size: 2, parameters: {tau_m: 12.5 ms}}
  lalpha: {cell: lif_curr_alpha, size: 2}
  izh: {cell: izhikevich, size: 2}
  izh7: {cell: izhikevich2007, size: 2}
  adex: {cell: adex_cond_exp, size: 2, parameters: {tau_refrac: 1 ms}}
  hh: {cell: hh_curr_alpha, size: 2}
  delta: {cell: lif_delta, size: 3, parameters: {v_rest: 0 mV, v_thresh: 20 mV}}
  cab: {cell: passive_cable, size: 2, parameters: {nseg: 11, i_offset: 5 pA, length: 0.5 mm}}
projections:
  - {from: src, to: lexp, connector: all_to_all, receptor: excitatory, weight: 100 pA, delay: 1 ms}
  - {from: noise, to: lalpha, connector: {fixed_probability: 0.5, seed: 9}, receptor: inhibitory, weight: 50 pA, delay: 0.1 ms}
  - {from: lexp, to: izh, connector: one_to_one, receptor: inhibitory, weight: 2 mV, delay: 1 ms}
  - {from: izh, to: izh7, connector: all_to_all, receptor: excitatory, weight: 20 pA, delay: 2 ms}
  - {from: izh7, to: adex, connector: all_to_all, receptor: inhibitory, weight: 3 nS, delay: 1 ms}
  - {from: adex, to: hh, connector: all_to_all, receptor: excitatory, weight: 30 pA, delay: 1 ms}
  - {from: hh, to: hh, connector: {all_to_all: {allow_self_connections: true}}, receptor: inhibitory, weight: 10 pA, delay: 1 ms}
  - {from: delta, to: delta, connector: {fixed_indegree: 2, seed: 4, allow_multapses: false}, receptor: inhibitory, weight: 0.5 mV, delay: 1.5 ms}
  - {from: hh, to: delta, connector: {fixed_total_number: 5}, receptor: excitatory, weight: 0.2 mV, delay: 1 ms}
stimuli:
  - poisson: {target: delta, rate: 5 kHz, weight: 0.1 mV, receptor: excitatory}
  - step: {target: adex, cells: [1], amplitude: 0.5 nA, start: 0 ms, stop: 40 ms}
  - step: {target: hh, amplitude: 10 pA, start: 5 ms, stop: 100 ms}
  - step: {target: cab, cells: [1], amplitude: 0.1 nA, start: 2 ms, stop: 30 ms}
record:
  - {population: src, variables: [spikes]}
  - {population: lexp, variables: [spikes, v]}
  - {population: lalpha, variables: [v], cells: [1]}
  - {population: izh, variables: [spikes, v, u]}
  - {population: izh7, variables: [spikes, v, u]}
  - {population: adex, variables: [spikes, v, w]}
  - {population: hh, variables: [spikes, v]}
  - {population: delta, variables: [spikes, v]}
  - {population: cab, variables: [v_distal, v]}
checks:
  agreement:
    spikes: {window: 1 ms}
"#;

    fn generate_into(suite: &NativeSuite, dir: &Path) -> (Generated, String) {
        let generated = crate::codegen::generate(suite, Simulator::Neuron, dir)
            .unwrap_or_else(|e| panic!("{e}"));
        let code = std::fs::read_to_string(dir.join(&generated.script)).unwrap();
        (generated, code)
    }

    /// Source spikes are rounded to NEST's time base before they go up to the grid; a step of
    /// 0.0125 ms is no whole number of 1 µs tics, so the base must be the finer one NEST's
    /// script sets (with 1 µs tics, 12.5 rounded to 12 and every input came 4 % late).
    #[test]
    fn source_spikes_are_rounded_to_the_tic_nest_uses_for_the_step() {
        let dir = tempfile::tempdir().unwrap();
        let mut suite = crate::codegen::testing::example("lif_alpha_spike_source.crosscheck.yaml");
        suite.simulation.dt.si = 1.25e-5;
        let (_, code) = generate_into(&suite, dir.path());
        assert!(code.contains("\nTICS_PER_MS = 10000.0\n"), "{code}");
        suite.simulation.dt.si = 1e-4;
        let (_, code) = generate_into(&suite, dir.path());
        assert!(code.contains("\nTICS_PER_MS = 1000.0\n"), "{code}");
    }

    #[test]
    fn generates_neuron_code_for_every_example_and_sweep_point() {
        for name in EXAMPLES {
            let suite = example(name);
            let points = suite.sweep.as_ref().map_or(1, |s| s.values.len());
            for point in 0..points {
                let run = apply_sweep(&suite, point);
                let dir = tempfile::tempdir().unwrap();
                let (generated, code) = generate_into(&run, dir.path());
                assert!(code.contains("h.fadvance()"), "{code}");
                assert!(needs_nrnivmodl(&generated));
                assert_parses_as_python(&dir.path().join(SCRIPT));
            }
        }
    }

    #[test]
    fn a_suite_with_every_cell_type_generates_valid_python() {
        let suite = from_yaml(EVERY_CELL_TYPE);
        let dir = tempfile::tempdir().unwrap();
        let (generated, code) = generate_into(&suite, dir.path());
        assert_parses_as_python(&dir.path().join(SCRIPT));
        for (name, _) in mechanisms() {
            assert!(code.contains(&format!("\"{name}\"")), "{name} unused");
            assert!(dir.path().join(format!("{name}.mod")).exists());
        }
        assert_eq!(mechanisms().len(), 7);
        // The Poisson drive: 5 kHz is 5 per ms, seeded from the suite's seed.
        assert!(code.contains("\"drive_rate\": 5.0,"), "{code}");
        assert!(code.contains("\"drive_weight\": 0.1,"), "{code}");
        assert!(code.contains(".seed_drive(3)"), "{code}");
        // Delta weights are signed like currents.
        assert!(code.contains("max(1.5 - DT, 0.0), -0.5, 1)"), "{code}");
        assert!(needs_nrnivmodl(&generated));
        // Inhibitory current and voltage weights are negative (NEST's sign), conductances not.
        assert!(code.contains("_nc.weight[0] = -50.0"), "{code}");
        assert!(
            code.contains("(pop_izh[_b].pp, max(1.0 - DT, 0.0), -2.0, 1)"),
            "{code}"
        );
        assert!(
            code.contains("(pop_adex[_b].pp, max(1.0 - DT, 0.0), 3.0, 1)"),
            "{code}"
        );
        assert!(
            code.contains("(pop_hh[_b].pp, max(1.0 - DT, 0.0), -10.0, 1)"),
            "{code}"
        );
        // 0.5 nA becomes 500 pA.
        assert!(code.contains("-(500.0)"), "{code}");
        // The cable is a section with NEURON's pas, in NEURON's section units, its currents
        // IClamps in nA at x = 0 (the i_offset inside `Cable`), its ends recorded at the end
        // nodes.
        for needle in [
            "\"L\": 500.0,",
            "\"diam\": 1.0,",
            // No taper given: the far end's diameter is the near end's, never the default 0.
            "\"diam_distal\": 1.0,",
            "\"nseg\": 11.0,",
            "\"Ra\": 100.0,",
            "\"cm\": 1.0,",
            "\"g_pas\": 2.5e-5,",
            "\"e_pas\": -65.0,",
            "\"i_offset\": 0.005,",
            "pop_cab = [Cable(f\"cab_{_i}\", _params) for _i in range(2)]",
            "for _cell in [1]:\n    pop_cab[_cell].inject(2.0, 30.0 - 2.0, 0.1)",
            "pop_cab[_c].sec(1)._ref_v) for _c in _cells]\n_recorders.append((\"trace\", \"cab_v_distal\"",
            "pop_cab[_c].sec(0)._ref_v) for _c in _cells]\n_recorders.append((\"trace\", \"cab_v\"",
            "h.secondorder = 0",
        ] {
            assert!(code.contains(needle), "missing {needle} in\n{code}");
        }
    }

    #[test]
    fn suite_text_other_than_names_and_numbers_never_reaches_the_code() {
        let suite = from_yaml(EVERY_CELL_TYPE);
        let dir = tempfile::tempdir().unwrap();
        let (generated, _) = generate_into(&suite, dir.path());
        for file in &generated.files {
            let text = std::fs::read_to_string(file).unwrap();
            for bad in ["__import__", "pwned", "'''", "system("] {
                assert!(!text.contains(bad), "{bad} in {}", file.display());
            }
        }
    }

    #[test]
    fn mod_files_are_fixed_text() {
        // Different parameter values, same mechanism files byte for byte.
        let plain = from_yaml(EVERY_CELL_TYPE);
        let odd = from_yaml(
            &EVERY_CELL_TYPE
                .replace("tau_m: 12.5 ms", "tau_m: 3.25 ms, v_thresh: -41 mV")
                .replace(
                    "{cell: hh_curr_alpha, size: 2}",
                    "{cell: hh_curr_alpha, size: 2, parameters: {g_Na: 1 uS}}",
                ),
        );
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        generate_into(&plain, a.path());
        generate_into(&odd, b.path());
        for (name, source) in mechanisms() {
            let file = format!("{name}.mod");
            let x = std::fs::read_to_string(a.path().join(&file)).unwrap();
            let y = std::fs::read_to_string(b.path().join(&file)).unwrap();
            assert_eq!(x, source);
            assert_eq!(y, source);
            // The mechanism declares the name crosscheck uses for it.
            assert!(
                source.contains(&format!("POINT_PROCESS {name}\n")),
                "{name}"
            );
        }
    }

    #[test]
    fn every_parameter_of_every_cell_type_reaches_its_mechanism() {
        for kind in crate::suite::native::CELL_TYPES {
            if kind.name == PASSIVE_CABLE {
                // No mechanism: a section with pas, every parameter a key the template's
                // `Cable` reads, every variable an end of the section.
                let template = TEMPLATE;
                for param in kind.params {
                    let map = CABLE_UNITS.iter().find(|m| m.ours == param.name);
                    let map = map.unwrap_or_else(|| panic!("cable `{}` unmapped", param.name));
                    assert!(
                        template.contains(&format!("params[\"{}\"]", map.theirs)),
                        "`Cable` ignores {}",
                        map.theirs
                    );
                }
                for var in kind.state_variables {
                    assert!(
                        CABLE_ENDS.iter().any(|v| v.ours == var.name),
                        "{}",
                        var.name
                    );
                }
                continue;
            }
            let Some(mech) = mechanism(kind.name) else {
                assert!(kind.is_source, "{} has no mechanism", kind.name);
                continue;
            };
            for param in kind.params {
                let unit = mech.units.iter().find(|m| m.ours == param.name);
                assert!(unit.is_some(), "{}.{} unmapped", kind.name, param.name);
                assert!(
                    mech.source.contains(&format!("    {} = ", param.name)),
                    "{}.{} is not a PARAMETER of {}",
                    kind.name,
                    param.name,
                    mech.name
                );
            }
            for var in kind.state_variables {
                assert!(
                    mech.variables.iter().any(|v| v.ours == var.name),
                    "{}.{} not recordable",
                    kind.name,
                    var.name
                );
            }
        }
    }

    /// Writes NEST and NEURON code for the examples (and an every-cell suite) under
    /// `/tmp/crosscheck-neuron/` for comparing the two by hand:
    /// `cargo test -- --ignored write_comparison_folders`.
    #[test]
    #[ignore]
    fn write_comparison_folders() {
        let root = Path::new("/tmp/crosscheck-neuron");
        let mut runs: Vec<(String, NativeSuite)> = Vec::new();
        for name in EXAMPLES {
            let suite = example(name);
            let stem = name.trim_end_matches(".crosscheck.yaml");
            let points = suite.sweep.as_ref().map_or(1, |s| s.values.len());
            for point in 0..points {
                runs.push((format!("{stem}_{point}"), apply_sweep(&suite, point)));
            }
        }
        if let Ok(extra) = std::env::var("CROSSCHECK_EXTRA_SUITES") {
            for path in extra.split(':').filter(|p| !p.is_empty()) {
                let suite = load_suite(Path::new(path)).unwrap_or_else(|e| panic!("{e:?}"));
                let points = suite.sweep.as_ref().map_or(1, |s| s.values.len());
                for point in 0..points {
                    runs.push((
                        format!("{}_{point}", suite.name),
                        apply_sweep(&suite, point),
                    ));
                }
            }
        }
        for (label, suite) in runs {
            for sim in [Simulator::Nest, Simulator::Neuron] {
                let dir = root.join(&label).join(sim.name());
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir).unwrap();
                if let Err(e) = crate::codegen::generate(&suite, sim, &dir) {
                    eprintln!("{label} {}: {e}", sim.name());
                }
            }
        }
    }
}
