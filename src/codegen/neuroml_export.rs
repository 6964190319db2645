//! A native suite exported as a NeuroML2 document, for the `jNeuroML_NEURON` engine.
//!
//! [`super::lems`] gives jNeuroML a LEMS file with crosscheck's own component types and
//! LEMS-only `synapticConnectionWD`s: jLEMS runs it, but it is no NeuroML2 document, so neither
//! the NeuroML validator nor jNeuroML's exports to other simulators take it. This module writes
//! the same network as a standard NeuroML2 document that they do take:
//!
//! - `<suite>.net.nml`: the cells as NeuroML2's PyNN standard types (`lif_curr_exp` →
//!   `IF_curr_exp` with `expCurrSynapse`, `lif_curr_alpha` → `IF_curr_alpha` with
//!   `alphaCurrSynapse`; PyNN's units: nF, ms, mV, nA as bare numbers), one synapse per target
//!   population and receptor, each crosscheck projection as `<projection>`s of `<connectionWD>`s
//!   (each connection's own weight and delay, the pairs crosscheck drew), every spike-source
//!   cell as its own `spikeArray` population (the spike times crosscheck gave or drew, so the
//!   export sees the input every other simulator sees), current steps as `pulseGenerator`s and
//!   Poisson drives as `poissonFiringSynapse`s, both through `<inputList>`s;
//! - `LEMS_<suite>.xml`: the simulation around it (duration, step, the suite's seed for the
//!   Poisson drives), recording spikes and potentials into `lems_output/` in SI units, which
//!   [`super::lems::convert_lems_outputs`] turns into the output contract, as for jNeuroML.
//!
//! The elements are written in the order NeuroML's schema requires (inputs, PyNN cells, PyNN
//! synapses, network), since the validator checks order. Every suite value reaching the XML is
//! a finite number formatted by [`code_number`] or a validated [`Ident`] inside a fixed
//! prefix, so nothing needs escaping; ids get prefixes (`pop_`, `cell_`, `syn_`, `src<n>_`)
//! because jNeuroML's NEURON export turns them into hoc object and NMODL mechanism names, where
//! a bare `hh`, `pas` or `v` would collide with NEURON's own.
//!
//! A network each simulator draws (`connectivity: simulator`: per-synapse normal weights and
//! delays) is drawn by crosscheck for the export ([`super::drawn::draw_synapses`]) and written
//! connection by connection. A drawn initial potential (`v_init: {normal: …}`) is exported as
//! its mean: NeuroML's PyNN cells take one `v_init` per cell type, and one component and
//! population per cell would break every projection into single cells. Networks with drawn
//! potentials leave the opening transient out of their statistics (`start`), which is where
//! the difference shows.
//!
//! A `passive_cable` is a NeuroML2 `<cell>` with a morphology and biophysical properties: a
//! passive `ionChannel` (`cc_leak`) as a channel density, the specific capacitance, the
//! resistivity and the initial potential, and `numberInternalDivisions` (nseg) on the segment
//! group jNeuroML's NEURON export turns into one section. Its population is a
//! `populationList`, so that inputs and recordings can name a segment. jNeuroML 0.14's NEURON
//! export places an input at the segment and `fractionAlong` given, but records a segment's
//! `v` at the segment's centre only (`seg/v` is `sec.v(centre)`, and NEURON's `v(x)` strictly
//! inside a section is the potential of the compartment containing x, not of the point x).
//! So the cable is three segments in one section: a zero-length one at x = 0 (id 0), the
//! cable (id 1) and a zero-length one at x = L (id 2), whose centres are the section's ends:
//! the export records them as `sec.v(0.0)` and `sec.v(1.0)`, the sealed ends' potentials, and
//! the zero-length segments add no membrane and no axial resistance. A taper is the cable
//! segment's two diameters (its proximal one is the near end's distal), which the NEURON export
//! writes as the section's 3-D points. Currents enter at segment
//! 0, `fractionAlong` 0; an `i_offset` is a pulse longer than the run.
//!
//! What has no NeuroML2 standard equivalent with the library's semantics is refused with
//! [`CodegenError::Unsupported`] (the job is then a skip with the reason): delta synapses
//! (`lif_delta`, `izhikevich`), and the other cell types, whose NeuroML/PyNN namesakes are
//! different models (see the notes in [`super::lems`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::lems::{raw_spike_file, raw_trace_file, RAW_OUTPUT};
use super::network::{
    Connections, CurrentStep, NetPopulation, NetProjection, NetRecording, NetStimulus, Network,
    ParamMap, PoissonDrive,
};
use super::{ms, CodegenError, Generated, GeneratedKind, Inputs};
use crate::suite::native::library::PASSIVE_CABLE;
use crate::suite::native::{Ident, NativeSuite, Population, Receptor, Variable};
use crate::suite::units::{code_number, Quantity};

/// One `<connectionWD>`: pre and post cell indices, the weight (nA) and delay (ms) as written.
struct Connection {
    pre: u32,
    post: u32,
    weight: String,
    delay: String,
}

/// The NeuroML2 document's name for a suite (the suite name is a validated identifier).
pub fn network_file_name(suite: &NativeSuite) -> String {
    network_file_for(&suite.name)
}

fn network_file_for(name: &Ident) -> String {
    format!("{name}.net.nml")
}

/// The LEMS simulation file that includes the document: jNeuroML's exports start from it.
pub fn lems_file_name(suite: &NativeSuite) -> String {
    super::lems::file_name(suite)
}

/// The Java heap (MiB) jNeuroML's NEURON export of a document of `document_bytes` gets.
///
/// jNeuroML reads the whole model into one string and then builds its component tree: the
/// 1 GiB crosscheck gives java elsewhere is not enough for large networks. Measured with
/// jNeuroML 0.14: a 19.5 MB document (2,500 cells, 156,000 connections) exports within 1 GiB;
/// a 78.5 MB one (625,000 connections, Brunel's connectivity) runs out of 1 GiB and exports
/// with 4 GiB (4.1 GB resident). So 52 bytes of heap per byte of document, at least 1 GiB and
/// at most 8 GiB (the JVM takes only what it uses).
pub fn export_heap_mib(document_bytes: u64) -> u64 {
    const MIB: u64 = 1 << 20;
    (document_bytes.saturating_mul(52).div_ceil(MIB)).clamp(1024, 8192)
}

/// The PyNN standard cell a library type becomes, and its synapse.
struct Exported {
    tag: &'static str,
    synapse: &'static str,
    /// Where the schema puts the cell and the synapse among their groups' elements
    /// (`IF_curr_alpha` before `IF_curr_exp`, `expCurrSynapse` before `alphaCurrSynapse`).
    rank: usize,
}

/// Parameters of the PyNN LIF types: our names, each in the unit of the bare number.
const PYNN_LIF: &[ParamMap] = &[
    ParamMap::same("cm", "nF"),
    ParamMap::same("tau_m", "ms"),
    ParamMap::same("v_rest", "mV"),
    ParamMap::same("v_reset", "mV"),
    ParamMap::same("v_thresh", "mV"),
    ParamMap::same("tau_refrac", "ms"),
    ParamMap::same("tau_syn_E", "ms"),
    ParamMap::same("tau_syn_I", "ms"),
    ParamMap::same("i_offset", "nA"),
    ParamMap::same("v_init", "mV"),
];

/// The NeuroML2 type of a cell population, or why there is none.
fn exported(pop: &Population) -> Result<Exported, CodegenError> {
    let why = match pop.kind.name {
        "lif_curr_exp" => {
            return Ok(Exported {
                tag: "IF_curr_exp",
                synapse: "expCurrSynapse",
                rank: 1,
            })
        }
        "lif_curr_alpha" => {
            return Ok(Exported {
                tag: "IF_curr_alpha",
                synapse: "alphaCurrSynapse",
                rank: 0,
            })
        }
        "lif_delta" => "NeuroML2 has no standard integrate-and-fire cell with delta synapses (an event moving v directly)",
        "izhikevich" => "NeuroML2's izhikevichCell is written in dimensionless units and has no delta synapse (NEST's izhikevich adds each event's weight to v)",
        "izhikevich2007" => "izhikevich2007Cell takes no PyNN current synapse in NeuroML2's schema, and crosscheck's exponential synapse for it is its own component type",
        "adex_cond_exp" => "NeuroML2's EIF_cond_exp_isfa_ista is not NEST's aeif_cond_exp (it mixes nS and nA in w's equation and does not cap v in the exponential)",
        "hh_curr_alpha" => "NeuroML2's HH_cond_exp uses Traub's kinetics, not the squid-axon kinetics of NEST's hh_psc_alpha",
        other => {
            return Err(CodegenError::Unsupported(format!(
                "no NeuroML2 export for cell type `{other}` (population `{}`)",
                pop.id
            )))
        }
    };
    Err(CodegenError::Unsupported(format!(
        "cannot export population `{}` ({}) to NeuroML2: {why}",
        pop.id, pop.kind.name
    )))
}

/// A finite number for an XML attribute: never `code_number`'s spellings of NaN or infinity.
fn xml_number(x: f64, what: &str) -> Result<String, CodegenError> {
    if !x.is_finite() {
        return Err(CodegenError::Unsupported(format!(
            "{what} is not a finite number; NeuroML cannot express it"
        )));
    }
    Ok(code_number(x))
}

fn number_in(q: &Quantity, unit: &str, what: &str) -> Result<String, CodegenError> {
    let x = q
        .value_in(unit)
        .map_err(|e| CodegenError::Units(e.to_string()))?;
    xml_number(x, what)
}

fn param<'a>(pop: &'a Population, name: &str) -> Result<&'a Quantity, CodegenError> {
    pop.param(name).ok_or_else(|| {
        CodegenError::Units(format!("population `{}` has no parameter `{name}`", pop.id))
    })
}

// Generated ids: each family has its own fixed prefix around a validated identifier (which
// starts with a letter), so two families never give the same id.

fn pop_id(pop: &Population) -> String {
    format!("pop_{}", pop.id)
}

fn source_pop_id(pop: &Population, cell: usize) -> String {
    format!("src{cell}_{}", pop.id)
}

fn source_component_id(pop: &Population, cell: usize) -> String {
    format!("spikes{cell}_{}", pop.id)
}

fn cell_component_id(pop: &Population) -> String {
    format!("cell_{}", pop.id)
}

fn synapse_id(pop: &Population, receptor: Receptor) -> String {
    match receptor {
        Receptor::Excitatory => format!("syn_{}_E", pop.id),
        Receptor::Inhibitory => format!("syn_{}_I", pop.id),
    }
}

/// The LEMS path of cell `cell` of `pop` (as recordings select it).
fn cell_path(pop: &Population, cell: usize) -> String {
    if pop.kind.is_source {
        format!("{}[0]", source_pop_id(pop, cell))
    } else if is_cable(pop) {
        // A populationList's instance, by id.
        format!("{}/{cell}/{}", pop_id(pop), cell_component_id(pop))
    } else {
        format!("{}[{cell}]", pop_id(pop))
    }
}

fn is_cable(pop: &Population) -> bool {
    pop.kind.name == PASSIVE_CABLE
}

/// The passive channel every exported cable's leak density uses.
const CABLE_LEAK: &str = "cc_leak";

/// A cable's segment at its injection end (zero length, x = 0) and at its far end (zero
/// length, x = L): see the module documentation.
const CABLE_NEAR_END: usize = 0;
const CABLE_FAR_END: usize = 2;

/// The segment whose centre is where a cable's state variable is recorded.
fn cable_segment(var: &str) -> Option<usize> {
    match var {
        "v" => Some(CABLE_NEAR_END),
        "v_distal" => Some(CABLE_FAR_END),
        _ => None,
    }
}

/// What the export writes: the two documents' text.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// `<suite>.net.nml`.
    pub network: String,
    /// `LEMS_<suite>.xml`.
    pub lems: String,
}

/// Writes the NeuroML2 document and its LEMS simulation into `dir` (and creates the folder
/// the recordings go to); the script to run is the LEMS file.
pub fn generate(net: &Network, dir: &Path) -> Result<Generated, CodegenError> {
    let suite = net.suite;
    let export = export_network(net)?;
    let network = super::write_file(&dir.join(network_file_name(suite)), &export.network)?;
    let raw = dir.join(RAW_OUTPUT);
    std::fs::create_dir_all(&raw).map_err(|source| CodegenError::Io {
        path: raw.clone(),
        source,
    })?;
    let mut generated = super::write_generated(
        dir,
        &lems_file_name(suite),
        &export.lems,
        GeneratedKind::Lems,
    )?;
    generated.files.insert(0, network);
    Ok(generated)
}

/// Every field of the model the export reads, named: the destructuring is exhaustive on
/// purpose, so a field added to the model later (per-synapse weight or delay distributions,
/// per-cell initial potentials, connectivity drawn by each simulator) stops the build here
/// until the export either writes it or refuses it with [`CodegenError::Unsupported`]
/// (exporting the suite without it would be a different network that still runs).
fn refuse_what_cannot_be_expressed(suite: &NativeSuite) -> Result<(), CodegenError> {
    let crate::suite::native::Simulation {
        duration: _,
        dt: _,
        seed: _,
        // NEST's threads: nothing to export.
        threads: _,
        // Drawn by each simulator: crosscheck draws it for the export ([`drawn_synapses`]).
        connectivity: _,
    } = &suite.simulation;
    for pop in &suite.populations {
        let Population {
            id: _,
            size: _,
            kind: _,
            params: _,
            spike_times: _,
            // NeuroML's PyNN cells take one `v_init` per cell type: a drawn initial potential
            // is exported as its mean (see the module documentation).
            v_init_sd: _,
            location: _,
        } = pop;
    }
    for proj in &suite.projections {
        let crate::suite::native::Projection {
            from: _,
            to: _,
            // Every connector's pairs are drawn by crosscheck (`Inputs::connections`, or
            // `drawn::draw_synapses` when each simulator draws).
            connector: _,
            receptor: _,
            weight: _,
            delay: _,
            // Per-synapse values: written per connection.
            weight_sd: _,
            delay_sd: _,
            location: _,
        } = proj;
    }
    Ok(())
}

/// The NeuroML2 document and LEMS simulation of `suite` with the inputs crosscheck drew.
pub fn export(suite: &NativeSuite, inputs: &Inputs) -> Result<Export, CodegenError> {
    export_network(&Network::new(suite, inputs))
}

/// The NeuroML2 document and LEMS simulation of a network.
fn export_network(net: &Network) -> Result<Export, CodegenError> {
    let suite = net.suite;
    if suite.model.is_some() {
        return Err(CodegenError::Unsupported(
            "the model is already a NeuroML2 file: the NEURON engine runs jNeuroML's NEURON export of it".into(),
        ));
    }
    refuse_what_cannot_be_expressed(suite)?;
    // Refused first: every cell population must have a standard type (or be a cable, a
    // NeuroML2 `<cell>` of its own).
    let mut types = Vec::with_capacity(net.populations.len());
    for pop in &net.populations {
        types.push(if pop.is_source() || is_cable(pop.def) {
            None
        } else {
            Some(exported(pop.def)?)
        });
    }
    let mut document = Document::default();
    for (pop, exported) in net.populations.iter().zip(&types) {
        match exported {
            None if is_cable(pop.def) => document.add_cable(net, pop)?,
            None => document.add_source(net, pop)?,
            Some(exported) => document.add_cells(pop, exported)?,
        }
    }
    for proj in &net.projections {
        if types[proj.target].is_none() {
            return Err(CodegenError::Unsupported(format!(
                "projection {} targets `{}`, which has no synapses",
                proj.index, net.populations[proj.target].id
            )));
        }
        document.add_projection(net, proj)?;
    }
    for stimulus in &net.stimuli {
        let target = &net.populations[stimulus.target()];
        if let (NetStimulus::Step(step), true) = (stimulus, is_cable(target.def)) {
            document.add_step(net, step)?;
            continue;
        }
        if types[stimulus.target()].is_none() {
            return Err(CodegenError::Unsupported(format!(
                "stimulus {} targets the source `{}`",
                stimulus.index(),
                net.populations[stimulus.target()].id
            )));
        }
        match stimulus {
            NetStimulus::Step(step) => document.add_step(net, step)?,
            NetStimulus::Poisson(drive) => document.add_drive(net, drive)?,
        }
    }
    Ok(Export {
        network: document.text(suite),
        lems: lems_simulation(net)?,
    })
}

/// The elements of the NeuroML2 document, kept apart by the schema's group so they come out
/// in its order.
#[derive(Default)]
struct Document {
    /// `ionChannel`s (the cables' passive leak), then multi-compartment `cell`s: both come
    /// before the inputs in the schema.
    channels: String,
    morphological_cells: String,
    pulses: String,
    arrays: String,
    drives: String,
    /// (rank in the schema's group, element): sorted (stably) before writing.
    cells: Vec<(usize, String)>,
    synapses: Vec<(usize, String)>,
    populations: String,
    projections: String,
    input_lists: String,
}

impl Document {
    /// A source population: every cell its own `spikeArray` population.
    fn add_source(&mut self, net: &Network, pop: &NetPopulation) -> Result<(), CodegenError> {
        let trains = pop.trains()?;
        let (duration_ms, dt_ms) = (net.duration_ms(), net.dt_ms());
        for cell in 0..pop.size {
            let id = source_component_id(pop.def, cell);
            let given = trains.get(cell).map(Vec::as_slice).unwrap_or(&[]);
            // The NEURON export fires a spikeArray's spike through `WATCH (t > time)`, at
            // the first step after its time, and t is a sum of steps: a time on the grid
            // fires on its own step or the next, by rounding. Half a step early fires it
            // on its own step (t = 0 on the first, as NEST does), on jLEMS too. A spikeArray
            // without spikes fires once at t = 0 in jNeuroML 0.14's export (its first event
            // handler is the last spike's): a silent cell gets one spike after the end of
            // the run instead, which never fires.
            let times: Vec<f64> = if given.is_empty() {
                vec![duration_ms + 1.0]
            } else {
                given.iter().map(|t| t.max(dt_ms) - dt_ms / 2.0).collect()
            };
            let _ = writeln!(self.arrays, "    <spikeArray id=\"{id}\">");
            for (k, t) in times.iter().enumerate() {
                let t = xml_number(*t, "a spike time")?;
                let _ = writeln!(self.arrays, "        <spike id=\"{k}\" time=\"{t}ms\"/>");
            }
            let _ = writeln!(self.arrays, "    </spikeArray>");
            let _ = writeln!(
                self.populations,
                "        <population id=\"{}\" component=\"{id}\" size=\"1\"/>",
                source_pop_id(pop.def, cell)
            );
        }
        Ok(())
    }

    /// A passive cable population: its `<cell>` (see the module documentation), the shared
    /// passive channel, a `populationList` population, and the `i_offset` as a pulse.
    fn add_cable(&mut self, net: &Network, pop: &NetPopulation) -> Result<(), CodegenError> {
        let def = pop.def;
        let value = |name: &str, unit: &str| -> Result<String, CodegenError> {
            number_in(param(def, name)?, unit, &format!("`{}` {name}", pop.id))
        };
        let length = value("length", "um")?;
        let diameter = value("diameter", "um")?;
        // A taper is the cable segment's distal diameter (its proximal is the near end's).
        let distal = def.distal_diameter().ok_or_else(|| {
            CodegenError::Template(format!("cable `{}` lacks a diameter", pop.id))
        })?;
        let diameter_distal = number_in(distal, "um", &format!("`{}` diameter_distal", pop.id))?;
        let nseg = param(def, "nseg")?.si;
        if self.channels.is_empty() {
            // Its conductance is only a scale: the density below sets the leak.
            let _ = writeln!(
                self.channels,
                "    <ionChannel id=\"{CABLE_LEAK}\" type=\"ionChannelPassive\" conductance=\"10pS\"/>"
            );
        }
        let id = cell_component_id(def);
        let c = &mut self.morphological_cells;
        let _ = writeln!(c, "    <cell id=\"{id}\">");
        let _ = writeln!(c, "        <morphology id=\"morphology_{}\">", def.id);
        let _ = writeln!(
            c,
            "            <segment id=\"{CABLE_NEAR_END}\" name=\"near_end\">"
        );
        let _ = writeln!(
            c,
            "                <proximal x=\"0.0\" y=\"0.0\" z=\"0.0\" diameter=\"{diameter}\"/>"
        );
        let _ = writeln!(
            c,
            "                <distal x=\"0.0\" y=\"0.0\" z=\"0.0\" diameter=\"{diameter}\"/>"
        );
        let _ = writeln!(c, "            </segment>");
        let _ = writeln!(c, "            <segment id=\"1\" name=\"cable\">");
        let _ = writeln!(c, "                <parent segment=\"{CABLE_NEAR_END}\"/>");
        let _ = writeln!(
            c,
            "                <distal x=\"{length}\" y=\"0.0\" z=\"0.0\" diameter=\"{diameter_distal}\"/>"
        );
        let _ = writeln!(c, "            </segment>");
        let _ = writeln!(
            c,
            "            <segment id=\"{CABLE_FAR_END}\" name=\"far_end\">"
        );
        let _ = writeln!(c, "                <parent segment=\"1\"/>");
        let _ = writeln!(
            c,
            "                <distal x=\"{length}\" y=\"0.0\" z=\"0.0\" diameter=\"{diameter_distal}\"/>"
        );
        let _ = writeln!(c, "            </segment>");
        // The neuroLexId marks the group as one unbranched section for the exports; the
        // NEURON export sets the section's nseg from numberInternalDivisions.
        let _ = writeln!(
            c,
            "            <segmentGroup id=\"cable\" neuroLexId=\"sao864921383\">"
        );
        let _ = writeln!(
            c,
            "                <property tag=\"numberInternalDivisions\" value=\"{}\"/>",
            nseg as u64
        );
        for segment in [CABLE_NEAR_END, 1, CABLE_FAR_END] {
            let _ = writeln!(c, "                <member segment=\"{segment}\"/>");
        }
        let _ = writeln!(c, "            </segmentGroup>");
        let _ = writeln!(c, "            <segmentGroup id=\"all\">");
        let _ = writeln!(c, "                <include segmentGroup=\"cable\"/>");
        let _ = writeln!(c, "            </segmentGroup>");
        let _ = writeln!(c, "        </morphology>");
        let _ = writeln!(
            c,
            "        <biophysicalProperties id=\"biophysics_{}\">",
            def.id
        );
        let _ = writeln!(c, "            <membraneProperties>");
        let _ = writeln!(
            c,
            "                <channelDensity id=\"leak\" ionChannel=\"{CABLE_LEAK}\" condDensity=\"{}mS_per_cm2\" erev=\"{}mV\" ion=\"non_specific\"/>",
            value("g_leak", "mS/cm2")?,
            value("v_rest", "mV")?
        );
        // The schema requires a spike threshold; nothing listens to it (a cable sends no
        // spikes), so it is only there to validate.
        let _ = writeln!(c, "                <spikeThresh value=\"0mV\"/>");
        let _ = writeln!(
            c,
            "                <specificCapacitance value=\"{}uF_per_cm2\"/>",
            value("c_m", "uF/cm2")?
        );
        let _ = writeln!(
            c,
            "                <initMembPotential value=\"{}mV\"/>",
            value("v_init", "mV")?
        );
        let _ = writeln!(c, "            </membraneProperties>");
        let _ = writeln!(c, "            <intracellularProperties>");
        let _ = writeln!(
            c,
            "                <resistivity value=\"{}ohm_cm\"/>",
            value("ra", "ohm*cm")?
        );
        let _ = writeln!(c, "            </intracellularProperties>");
        let _ = writeln!(c, "        </biophysicalProperties>");
        let _ = writeln!(c, "    </cell>");
        let _ = writeln!(
            self.populations,
            "        <population id=\"{}\" component=\"{id}\" size=\"{}\" type=\"populationList\">",
            pop_id(def),
            pop.size
        );
        for cell in 0..pop.size {
            let _ = writeln!(
                self.populations,
                "            <instance id=\"{cell}\"><location x=\"0.0\" y=\"0.0\" z=\"0.0\"/></instance>"
            );
        }
        let _ = writeln!(self.populations, "        </population>");
        let i_offset = param(def, "i_offset")?;
        if i_offset.si != 0.0 {
            // A constant current: a pulse from 0 lasting longer than the run.
            let pulse = CurrentStep {
                // No stimulus of the suite: `add_pulse` names it by its id, not its index.
                index: usize::MAX,
                target: pop.index,
                cells: (0..pop.size).collect(),
                amplitude: *i_offset,
                start: Quantity {
                    si: 0.0,
                    dim: net.duration().dim,
                },
                stop: Quantity {
                    si: 2.0 * net.duration().si,
                    dim: net.duration().dim,
                },
            };
            self.add_pulse(&format!("offset_{}", def.id), pop.def, &pulse)?;
        }
        Ok(())
    }

    /// A cell population: its PyNN cell, one synapse per receptor, the population.
    fn add_cells(&mut self, pop: &NetPopulation, exported: &Exported) -> Result<(), CodegenError> {
        let def = pop.def;
        let mut cell = format!("    <{} id=\"{}\"", exported.tag, cell_component_id(def));
        for map in PYNN_LIF {
            let name = map.theirs;
            let what = format!("`{}` {name}", pop.id);
            let value = number_in(param(def, map.ours)?, map.unit, &what)?;
            let _ = write!(cell, " {name}=\"{value}\"");
        }
        cell.push_str("/>\n");
        self.cells.push((exported.rank, cell));
        for (receptor, tau) in [
            (Receptor::Excitatory, "tau_syn_E"),
            (Receptor::Inhibitory, "tau_syn_I"),
        ] {
            let tau = number_in(param(def, tau)?, "ms", &format!("`{}` {tau}", pop.id))?;
            self.synapses.push((
                // The synapses' order is the cells' reversed.
                1 - exported.rank,
                format!(
                    "    <{} id=\"{}\" tau_syn=\"{tau}\"/>\n",
                    exported.synapse,
                    synapse_id(def, receptor)
                ),
            ));
        }
        let _ = writeln!(
            self.populations,
            "        <population id=\"{}\" component=\"{}\" size=\"{}\"/>",
            pop_id(def),
            cell_component_id(def),
            pop.size
        );
        Ok(())
    }

    /// A projection: `<projection>`s of `<connectionWD>`s, one per source cell for a source
    /// (every source cell is a population of its own).
    fn add_projection(&mut self, net: &Network, proj: &NetProjection) -> Result<(), CodegenError> {
        let k = proj.index;
        let pre = net.populations[proj.source].def;
        let post = net.populations[proj.target].def;
        let synapse = synapse_id(post, proj.receptor);
        // A projection has one presynaptic population, and every source cell is a population
        // of its own: one projection per source cell with connections.
        let mut groups: BTreeMap<Option<u32>, Vec<Connection>> = BTreeMap::new();
        for connection in connections(net, proj)? {
            let key = pre.kind.is_source.then_some(connection.pre);
            groups.entry(key).or_default().push(connection);
        }
        for (source_cell, pairs) in groups {
            let (id, pre_pop) = match source_cell {
                Some(cell) => (
                    format!("proj{k}_src{cell}"),
                    source_pop_id(pre, cell as usize),
                ),
                None => (format!("proj{k}"), pop_id(pre)),
            };
            let _ = writeln!(
                self.projections,
                "        <projection id=\"{id}\" presynapticPopulation=\"{pre_pop}\" postsynapticPopulation=\"{}\" synapse=\"{synapse}\">",
                pop_id(post)
            );
            for (n, c) in pairs.iter().enumerate() {
                let _ = writeln!(
                    self.projections,
                    "            <connectionWD id=\"{n}\" preCellId=\"../{}\" postCellId=\"../{}\" weight=\"{}\" delay=\"{}ms\"/>",
                    cell_path(pre, c.pre as usize),
                    cell_path(post, c.post as usize),
                    c.weight,
                    c.delay,
                );
            }
            let _ = writeln!(self.projections, "        </projection>");
        }
        Ok(())
    }

    /// A current step: a `pulseGenerator` (`step<k>`) into each of its cells.
    fn add_step(&mut self, net: &Network, step: &CurrentStep) -> Result<(), CodegenError> {
        let pop = net.populations[step.target].def;
        self.add_pulse(&format!("step{}", step.index), pop, step)
    }

    /// A `pulseGenerator` called `id` into each cell of `step` (of `pop`): at a cable's
    /// injection end (segment 0, `fractionAlong` 0), or into a point cell.
    fn add_pulse(
        &mut self,
        id: &str,
        pop: &Population,
        step: &CurrentStep,
    ) -> Result<(), CodegenError> {
        let at = if is_cable(pop) {
            format!(" segmentId=\"{CABLE_NEAR_END}\" fractionAlong=\"0.0\"")
        } else {
            String::new()
        };
        let _ = writeln!(
            self.pulses,
            "    <pulseGenerator id=\"{id}\" delay=\"{}ms\" duration=\"{}ms\" amplitude=\"{}nA\"/>",
            xml_number(ms(&step.start), "a step's start")?,
            xml_number(ms(&step.stop) - ms(&step.start), "a step's duration")?,
            number_in(&step.amplitude, "nA", "a step's amplitude")?,
        );
        let _ = writeln!(
            self.input_lists,
            "        <inputList id=\"{id}_in\" population=\"{}\" component=\"{id}\">",
            pop_id(pop)
        );
        for (n, &cell) in step.cells.iter().enumerate() {
            let _ = writeln!(
                self.input_lists,
                "            <input id=\"{n}\" target=\"../{}\" destination=\"synapses\"{at}/>",
                cell_path(pop, cell)
            );
        }
        let _ = writeln!(self.input_lists, "        </inputList>");
        Ok(())
    }

    /// A Poisson drive: a `poissonFiringSynapse` (`drive<k>`) on the receptor's synapse of
    /// every cell.
    fn add_drive(&mut self, net: &Network, drive: &PoissonDrive) -> Result<(), CodegenError> {
        let pop = net.populations[drive.target].def;
        // poissonFiringSynapse scales its synapse's current by the input's weight; the
        // PyNN synapse's unit event is 1 nA, so the weight is the event in nA, signed.
        let id = format!("drive{}", drive.index);
        let synapse = synapse_id(pop, drive.receptor);
        let _ = writeln!(
            self.drives,
            "    <poissonFiringSynapse id=\"{id}\" averageRate=\"{}Hz\" synapse=\"{synapse}\" spikeTarget=\"./{synapse}\"/>",
            number_in(&drive.rate, "Hz", "a Poisson drive's rate")?,
        );
        let magnitude = drive
            .weight
            .value_in("nA")
            .map_err(|e| CodegenError::Units(e.to_string()))?;
        let signed = xml_number(
            drive.receptor.sign() * magnitude,
            "a Poisson drive's weight",
        )?;
        let _ = writeln!(
            self.input_lists,
            "        <inputList id=\"{id}_in\" population=\"{}\" component=\"{id}\">",
            pop_id(pop)
        );
        for cell in 0..pop.size {
            let _ = writeln!(
                self.input_lists,
                "            <inputW id=\"{cell}\" target=\"../{}\" destination=\"synapses\" weight=\"{signed}\"/>",
                cell_path(pop, cell)
            );
        }
        let _ = writeln!(self.input_lists, "        </inputList>");
        Ok(())
    }

    /// The document's text: its elements in the schema's order.
    fn text(mut self, suite: &NativeSuite) -> String {
        let name = &suite.name;
        let mut network = String::new();
        let _ = writeln!(network, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let _ = writeln!(
            network,
            "<neuroml xmlns=\"http://www.neuroml.org/schema/neuroml2\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.neuroml.org/schema/neuroml2 https://raw.github.com/NeuroML/NeuroML2/development/Schemas/NeuroML2/NeuroML_v2.3.1.xsd\" id=\"{name}\">"
        );
        let _ = writeln!(
            network,
            "    <!-- Generated by crosscheck {} from suite {name}: the network with the inputs and\n         connectivity crosscheck drew from the seed of the suite. Validate it with\n         `jnml -validate {}`; run it through {}. -->",
            env!("CARGO_PKG_VERSION"),
            network_file_for(name),
            lems_file_name(suite),
        );
        self.cells.sort_by_key(|(rank, _)| *rank);
        self.synapses.sort_by_key(|(rank, _)| *rank);
        for block in [
            &self.channels,
            &self.morphological_cells,
            &self.pulses,
            &self.arrays,
            &self.drives,
        ] {
            network.push_str(block);
        }
        for (_, element) in self.cells.iter().chain(&self.synapses) {
            network.push_str(element);
        }
        let _ = writeln!(network, "    <network id=\"network_{name}\">");
        network.push_str(&self.populations);
        network.push_str(&self.projections);
        network.push_str(&self.input_lists);
        let _ = writeln!(network, "    </network>");
        let _ = writeln!(network, "</neuroml>");
        network
    }
}

/// Each connection of a projection with its own weight and delay: the projection's on the
/// pairs crosscheck drew, or, in a network each simulator draws, the synapses crosscheck
/// draws for the export. Current synapses take signed weights in nA (PyNN's unit), as NEST
/// does; the receptor gives the sign.
fn connections(net: &Network, proj: &NetProjection) -> Result<Vec<Connection>, CodegenError> {
    let k = proj.index;
    let pairs = match proj.connections {
        Connections::Drawn(_) => {
            return super::drawn::draw_synapses(net.suite, k)?
                .into_iter()
                .map(|s| {
                    Ok(Connection {
                        pre: s.pre,
                        post: s.post,
                        weight: xml_number(s.weight_si * 1e9, &format!("projection {k}'s weight"))?,
                        delay: xml_number(s.delay_ms, &format!("projection {k}'s delay"))?,
                    })
                })
                .collect();
        }
        Connections::Listed(pairs) => pairs,
    };
    let magnitude = proj
        .weight
        .value_in("nA")
        .map_err(|e| CodegenError::Units(e.to_string()))?;
    let weight = xml_number(
        proj.receptor.sign() * magnitude,
        &format!("projection {k}'s weight"),
    )?;
    let delay = number_in(&proj.delay, "ms", &format!("projection {k}'s delay"))?;
    Ok(pairs
        .iter()
        .map(|&(pre, post)| Connection {
            pre,
            post,
            weight: weight.clone(),
            delay: delay.clone(),
        })
        .collect())
}

/// The LEMS simulation around the document: run length, step, seed and the recordings.
fn lems_simulation(net: &Network) -> Result<String, CodegenError> {
    let suite = net.suite;
    let name = &suite.name;
    let mut outputs = String::new();
    for rec in &net.recordings {
        let pop = net.populations[rec.population].def;
        for variable in rec.variables {
            match variable {
                Variable::Spikes => spike_output(&mut outputs, pop, rec),
                Variable::State(var) => trace_output(&mut outputs, pop, rec, var)?,
            }
        }
    }
    let duration = number_in(net.duration(), "ms", "the duration")?;
    let dt = number_in(net.dt(), "ms", "the time step")?;
    let mut lems = String::new();
    let _ = writeln!(lems, "<Lems>");
    let _ = writeln!(
        lems,
        "    <!-- Generated by crosscheck {} for suite {name}: simulates {} for {duration} ms.\n         From this folder: jnml {} -neuron -run -nogui (NEURON_HOME: the environment holding\n         NEURON) or java -jar <jNeuroML jar> {} -neuron, nrnivmodl, python {}_nrn.py -nogui.\n         Recordings go to {RAW_OUTPUT}/ in SI units. -->",
        env!("CARGO_PKG_VERSION"),
        network_file_name(suite),
        lems_file_name(suite),
        lems_file_name(suite),
        lems_file_name(suite).trim_end_matches(".xml"),
    );
    let _ = writeln!(lems, "    <Target component=\"sim_{name}\"/>");
    for include in [
        "NeuroML2CoreTypes.xml",
        "PyNN.xml",
        "Simulation.xml",
        &network_file_name(suite),
    ] {
        let _ = writeln!(lems, "    <Include file=\"{include}\"/>");
    }
    let _ = writeln!(
        lems,
        "    <Simulation id=\"sim_{name}\" length=\"{duration}ms\" step=\"{dt}ms\" target=\"network_{name}\" seed=\"{}\">",
        suite.simulation.seed
    );
    lems.push_str(&outputs);
    let _ = writeln!(lems, "    </Simulation>");
    let _ = writeln!(lems, "</Lems>");
    Ok(lems)
}

/// The `<EventOutputFile>` of a recording's spikes.
fn spike_output(outputs: &mut String, pop: &Population, rec: &NetRecording) {
    let _ = writeln!(
        outputs,
        "        <EventOutputFile id=\"spk_{}\" fileName=\"{RAW_OUTPUT}/{}\" format=\"ID_TIME\">",
        pop.id,
        raw_spike_file(pop.id.as_str())
    );
    for c in &rec.cells {
        let _ = writeln!(
            outputs,
            "            <EventSelection id=\"{c}\" select=\"{}\" eventPort=\"spike\"/>",
            cell_path(pop, *c)
        );
    }
    let _ = writeln!(outputs, "        </EventOutputFile>");
}

/// The `<OutputFile>` of a recorded state variable.
fn trace_output(
    outputs: &mut String,
    pop: &Population,
    rec: &NetRecording,
    var: &str,
) -> Result<(), CodegenError> {
    // The PyNN LIF types expose v only (sources record spikes only); a cable's potentials are
    // recorded at its end segments.
    let segment = if is_cable(pop) {
        cable_segment(var).map(|s| format!("/{s}"))
    } else {
        None
    };
    if (var != "v" && segment.is_none()) || pop.kind.is_source {
        return Err(CodegenError::Unsupported(format!(
            "cannot record `{var}` of `{}` from its NeuroML2 export",
            pop.id
        )));
    }
    let segment = segment.unwrap_or_default();
    let _ = writeln!(
        outputs,
        "        <OutputFile id=\"out_{}_{var}\" fileName=\"{RAW_OUTPUT}/{}\">",
        pop.id,
        raw_trace_file(pop.id.as_str(), var)
    );
    for (n, c) in rec.cells.iter().enumerate() {
        let _ = writeln!(
            outputs,
            "            <OutputColumn id=\"c{n}\" quantity=\"{}{segment}/v\"/>",
            cell_path(pop, *c)
        );
    }
    let _ = writeln!(outputs, "        </OutputFile>");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::prepare_inputs;
    use crate::codegen::testing::{assert_well_formed_xml, example, from_yaml};
    use crate::suite::native::Simulator;

    /// Both kinds of exported cells, both receptors, a spike source with a silent cell, a
    /// Poisson source, a step on some cells, a Poisson drive and a recorded potential.
    const SMALL: &str = r#"
suite: small
engines: [jNeuroML_NEURON]
description: "\" ' <script>alert(1)</script> ]]> &amp; --> __import__('os')"
simulation: {duration: 50 ms, dt: 0.025 ms, seed: 7}
populations:
  src: {cell: spike_source, size: 2, spike_times: [[1 ms, 5 ms], []]}
  noise: {cell: poisson_source, size: 3, parameters: {rate: 200 Hz}}
  le: {cell: lif_curr_exp, size: 2, parameters: {i_offset: 100 pA, tau_syn_I: 5 ms}}
  la: {cell: lif_curr_alpha, size: 3}
projections:
  - {from: src, to: le, connector: all_to_all, receptor: excitatory, weight: 100 pA, delay: 1 ms}
  - {from: noise, to: la, connector: {fixed_probability: 0.5, seed: 1}, receptor: inhibitory, weight: 50 pA, delay: 2.5 ms}
  - {from: le, to: la, connector: all_to_all, receptor: excitatory, weight: 300 pA, delay: 0.5 ms}
stimuli:
  - step: {target: la, cells: [1, 2], amplitude: 400 pA, start: 5 ms, stop: 40 ms}
  - poisson: {target: le, rate: 2 kHz, weight: 30 pA, receptor: inhibitory}
record:
  - {population: src, variables: [spikes]}
  - {population: le, variables: [spikes, v]}
  - {population: la, variables: [v], cells: [2]}
checks:
  agreement:
    spikes: {window: 1 ms}
"#;

    fn exported(suite: &NativeSuite) -> Export {
        export(suite, &prepare_inputs(suite)).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The value of attribute `name` in an element's line.
    fn attr<'a>(line: &'a str, name: &str) -> &'a str {
        let start = line
            .find(&format!(" {name}=\""))
            .unwrap_or_else(|| panic!("no {name} in {line}"))
            + name.len()
            + 3;
        let end = line[start..].find('"').unwrap() + start;
        &line[start..end]
    }

    #[test]
    fn writes_well_formed_documents_named_after_the_suite() {
        let suite = from_yaml(SMALL);
        let dir = tempfile::tempdir().unwrap();
        let generated = crate::codegen::generate(&suite, Simulator::JNeuroMLNeuron, dir.path())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.script, "LEMS_small.xml");
        assert_eq!(generated.kind, GeneratedKind::Lems);
        for file in ["small.net.nml", "LEMS_small.xml"] {
            assert_well_formed_xml(&dir.path().join(file));
        }
        assert!(dir.path().join(RAW_OUTPUT).is_dir());
        let lems = std::fs::read_to_string(dir.path().join("LEMS_small.xml")).unwrap();
        assert!(lems.contains("<Include file=\"small.net.nml\"/>"), "{lems}");
        assert!(
            lems.contains("length=\"50.0ms\" step=\"0.025ms\" target=\"network_small\" seed=\"7\""),
            "{lems}"
        );
    }

    #[test]
    fn cells_synapses_and_inputs_in_pynn_units() {
        let export = exported(&from_yaml(SMALL));
        let nml = &export.network;
        for needle in [
            // PyNN units: nF, ms, mV, nA as bare numbers.
            "<IF_curr_exp id=\"cell_le\" cm=\"0.25\" tau_m=\"10.0\" v_rest=\"-70.0\" v_reset=\"-70.0\" v_thresh=\"-55.0\" tau_refrac=\"2.0\" tau_syn_E=\"2.0\" tau_syn_I=\"5.0\" i_offset=\"0.1\" v_init=\"-70.0\"/>",
            "<IF_curr_alpha id=\"cell_la\"",
            "<expCurrSynapse id=\"syn_le_E\" tau_syn=\"2.0\"/>",
            "<expCurrSynapse id=\"syn_le_I\" tau_syn=\"5.0\"/>",
            "<alphaCurrSynapse id=\"syn_la_I\" tau_syn=\"2.0\"/>",
            // One spikeArray population per source cell, its spikes half a step early; a
            // silent cell keeps its place, with one spike after the run's end (50 ms).
            "<spikeArray id=\"spikes0_src\">\n        <spike id=\"0\" time=\"0.9875ms\"/>\n        <spike id=\"1\" time=\"4.9875ms\"/>\n    </spikeArray>",
            "<spikeArray id=\"spikes1_src\">\n        <spike id=\"0\" time=\"51.0ms\"/>\n    </spikeArray>",
            "<population id=\"src1_src\" component=\"spikes1_src\" size=\"1\"/>",
            "<population id=\"pop_la\" component=\"cell_la\" size=\"3\"/>",
            // Steps in nA from start for (stop - start), on the selected cells only.
            "<pulseGenerator id=\"step0\" delay=\"5.0ms\" duration=\"35.0ms\" amplitude=\"0.4nA\"/>",
            "<inputList id=\"step0_in\" population=\"pop_la\" component=\"step0\">\n            <input id=\"0\" target=\"../pop_la[1]\" destination=\"synapses\"/>\n            <input id=\"1\" target=\"../pop_la[2]\" destination=\"synapses\"/>\n        </inputList>",
            // The drive on the receptor's synapse, its weight the signed event in nA.
            "<poissonFiringSynapse id=\"drive1\" averageRate=\"2000.0Hz\" synapse=\"syn_le_I\" spikeTarget=\"./syn_le_I\"/>",
            "<inputW id=\"1\" target=\"../pop_le[1]\" destination=\"synapses\" weight=\"-0.03\"/>",
            "<projection id=\"proj2\" presynapticPopulation=\"pop_le\" postsynapticPopulation=\"pop_la\" synapse=\"syn_la_E\">",
        ] {
            assert!(nml.contains(needle), "missing {needle} in\n{nml}");
        }
        // A silent source cell keeps its connections.
        assert!(nml.contains("<projection id=\"proj0_src1\" presynapticPopulation=\"src1_src\" postsynapticPopulation=\"pop_le\" synapse=\"syn_le_E\">"), "{nml}");
        assert!(!nml.contains("&"), "nothing needs escaping: {nml}");
        let lems = &export.lems;
        for needle in [
            "<EventSelection id=\"1\" select=\"src1_src[0]\" eventPort=\"spike\"/>",
            "<EventSelection id=\"1\" select=\"pop_le[1]\" eventPort=\"spike\"/>",
            "fileName=\"lems_output/la_v.dat\">\n            <OutputColumn id=\"c0\" quantity=\"pop_la[2]/v\"/>\n        </OutputFile>",
            "fileName=\"lems_output/spikes_le.spikes\" format=\"ID_TIME\"",
        ] {
            assert!(lems.contains(needle), "missing {needle} in\n{lems}");
        }
    }

    /// Every connection crosscheck drew is there once, from its source cell to its target,
    /// with the projection's signed weight (nA) and delay (ms).
    #[test]
    fn connections_carry_their_own_weight_and_delay() {
        let suite = example("ei_network.crosscheck.yaml");
        let inputs = prepare_inputs(&suite);
        let export = export(&suite, &inputs).unwrap();
        let mut found: Vec<Vec<(u32, u32)>> = vec![Vec::new(); suite.projections.len()];
        let mut projection = None;
        for line in export.network.lines().map(str::trim) {
            if line.starts_with("<projection ") {
                let id = attr(line, "id");
                let k: usize = id["proj".len()..]
                    .split('_')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                projection = Some(k);
            } else if line.starts_with("<connectionWD ") {
                let k = projection.unwrap();
                let proj = &suite.projections[k];
                let expected_weight = proj.receptor.sign() * proj.weight.si * 1e9;
                let weight: f64 = attr(line, "weight").parse().unwrap();
                assert!((weight - expected_weight).abs() < 1e-12, "{line}");
                assert_eq!(
                    attr(line, "delay"),
                    format!("{}ms", code_number(proj.delay.si * 1e3)),
                    "{line}"
                );
                // `../src<cell>_noise[0]` or `../pop_exc[<cell>]`.
                let cell = |path: &str| -> u32 {
                    let path = path.trim_start_matches("../");
                    match path.strip_prefix("src") {
                        Some(rest) => rest.split('_').next().unwrap().parse().unwrap(),
                        None => path
                            .split('[')
                            .nth(1)
                            .unwrap()
                            .trim_end_matches(']')
                            .parse()
                            .unwrap(),
                    }
                };
                found[k].push((
                    cell(attr(line, "preCellId")),
                    cell(attr(line, "postCellId")),
                ));
            }
        }
        for (k, mut pairs) in found.into_iter().enumerate() {
            let mut expected = inputs.connections[k].clone();
            pairs.sort_unstable();
            expected.sort_unstable();
            assert!(!expected.is_empty());
            assert_eq!(pairs, expected, "projection {k}");
        }
        // Inhibitory weights are negative, in nA; delays keep their unit.
        assert!(export.network.contains("weight=\"-0.8\" delay=\"1.5ms\"/>"));
        assert!(export.network.contains("weight=\"0.22\" delay=\"1.0ms\"/>"));
    }

    /// NeuroML's schema fixes the order of a document's elements, and the validator checks it.
    #[test]
    fn elements_come_in_the_schemas_order() {
        let nml = exported(&from_yaml(SMALL)).network;
        let at = |needle: &str| {
            nml.find(needle)
                .unwrap_or_else(|| panic!("no {needle} in {nml}"))
        };
        let order = [
            at("<pulseGenerator "),
            at("<spikeArray "),
            at("<poissonFiringSynapse "),
            at("<IF_curr_alpha "),
            at("<IF_curr_exp "),
            at("<expCurrSynapse "),
            at("<alphaCurrSynapse "),
            at("<network "),
            at("<population "),
            at("<projection "),
            at("<inputList "),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{nml}");
    }

    #[test]
    fn cells_without_a_standard_neuroml_type_are_unsupported_with_the_reason() {
        for (cell, reason) in [
            ("lif_delta", "delta synapses"),
            ("izhikevich", "izhikevichCell"),
            ("izhikevich2007", "izhikevich2007Cell"),
            ("adex_cond_exp", "EIF_cond_exp_isfa_ista"),
            ("hh_curr_alpha", "HH_cond_exp"),
        ] {
            let suite = from_yaml(&format!(
                "suite: s\nsimulation: {{duration: 10 ms}}\npopulations:\n  ok: {{cell: lif_curr_exp, size: 1}}\n  odd: {{cell: {cell}, size: 1}}\nrecord:\n  - {{population: odd, variables: [spikes]}}\nchecks:\n  agreement:\n    spikes: {{window: 1 ms}}\n"
            ));
            let dir = tempfile::tempdir().unwrap();
            let err = crate::codegen::generate(&suite, Simulator::JNeuroMLNeuron, dir.path())
                .unwrap_err();
            let CodegenError::Unsupported(message) = err else {
                panic!("{cell}: {err:?}")
            };
            assert!(
                message.contains("`odd`") && message.contains(cell) && message.contains(reason),
                "{cell}: {message}"
            );
            // Refused before anything is written.
            assert!(!dir.path().join("s.net.nml").exists());
        }
    }

    #[test]
    fn the_export_gets_heap_for_large_documents() {
        assert_eq!(export_heap_mib(0), 1024);
        assert_eq!(export_heap_mib(19_543_426), 1024);
        // Brunel's connectivity: 78.5 MB needed more than 1 GiB; 4 GiB was enough.
        assert_eq!(export_heap_mib(78_506_960), 3894);
        assert_eq!(export_heap_mib(u64::MAX), 8192);
    }

    #[test]
    fn neuroml_models_and_non_finite_numbers_are_refused() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/neuroml/iaf_cells.crosscheck.yaml");
        let model = crate::suite::native::load_suite(&path).unwrap();
        let err = export(&model, &prepare_inputs(&model)).unwrap_err();
        assert!(
            matches!(&err, CodegenError::Unsupported(m) if m.contains("already a NeuroML2 file")),
            "{err}"
        );
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                xml_number(x, "x"),
                Err(CodegenError::Unsupported(_))
            ));
        }
        assert_eq!(xml_number(-0.8, "x").unwrap(), "-0.8");
    }

    /// File names and ids come from validated identifiers inside fixed prefixes: a name that
    /// would need escaping in XML (or in a path) never becomes a suite or population name, and
    /// the free-text description never reaches the documents.
    #[test]
    fn names_that_would_need_escaping_are_refused_and_free_text_stays_out() {
        for bad in ["a\"b", "x y", "a<b", "../up", "a&b", "a.b", "a-b", "é"] {
            assert!(Ident::new(bad).is_err(), "{bad}");
            let yaml = SMALL.replacen(
                "suite: small",
                &format!("suite: \"{}\"", bad.escape_default()),
                1,
            );
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.crosscheck.yaml");
            std::fs::write(&path, yaml).unwrap();
            assert!(crate::suite::native::load_suite(&path).is_err(), "{bad}");
        }
        let export = exported(&from_yaml(SMALL));
        for text in [&export.network, &export.lems] {
            for leaked in ["<script>", "alert", "]]>", "&amp;", "__import__", "'"] {
                assert!(!text.contains(leaked), "{leaked} leaked");
            }
        }
        assert_eq!(network_file_name(&from_yaml(SMALL)), "small.net.nml");
    }

    /// Two cables (one with an `i_offset`) beside a PyNN cell, a step into one cable cell.
    const CABLES: &str = r#"
suite: cables
engines: [jNeuroML_NEURON]
simulation: {duration: 50 ms, dt: 0.025 ms}
populations:
  lif: {cell: lif_curr_exp, size: 1}
  cab: {cell: passive_cable, size: 2, parameters: {nseg: 250, length: 0.5 mm, diameter: 2 um, ra: 1 ohm*m, g_leak: 0.025 mS/cm2, v_init: -70 mV, v_rest: -70 mV}}
  off: {cell: passive_cable, size: 1, parameters: {i_offset: 20 pA, diameter_distal: 0.5 um}}
stimuli:
  - step: {target: cab, cells: [1], amplitude: 0.1 nA, start: 5 ms, stop: 40 ms}
record:
  - {population: cab, variables: [v, v_distal], cells: [1]}
  - {population: off, variables: [v_distal]}
  - {population: lif, variables: [v]}
checks:
  analytic: [{population: cab, cell: 1, v: {rms_relative: 0.001}}]
"#;

    #[test]
    fn a_cable_is_a_neuroml_cell_recorded_at_its_end_segments() {
        let export = exported(&from_yaml(CABLES));
        let nml = &export.network;
        for needle in [
            // One passive channel for every cable.
            "<ionChannel id=\"cc_leak\" type=\"ionChannelPassive\" conductance=\"10pS\"/>",
            "<cell id=\"cell_cab\">",
            // Zero-length end segments around the cable, one section of nseg compartments.
            "<segment id=\"0\" name=\"near_end\">\n                <proximal x=\"0.0\" y=\"0.0\" z=\"0.0\" diameter=\"2.0\"/>\n                <distal x=\"0.0\" y=\"0.0\" z=\"0.0\" diameter=\"2.0\"/>",
            "<distal x=\"500.0\" y=\"0.0\" z=\"0.0\" diameter=\"2.0\"/>\n            </segment>\n            <segment id=\"2\" name=\"far_end\">\n                <parent segment=\"1\"/>\n                <distal x=\"500.0\" y=\"0.0\" z=\"0.0\" diameter=\"2.0\"/>",
            "<segmentGroup id=\"cable\" neuroLexId=\"sao864921383\">\n                <property tag=\"numberInternalDivisions\" value=\"250\"/>",
            "<channelDensity id=\"leak\" ionChannel=\"cc_leak\" condDensity=\"0.025mS_per_cm2\" erev=\"-70.0mV\" ion=\"non_specific\"/>",
            "<specificCapacitance value=\"1.0uF_per_cm2\"/>",
            "<initMembPotential value=\"-70.0mV\"/>",
            "<resistivity value=\"100.0ohm_cm\"/>",
            "<population id=\"pop_cab\" component=\"cell_cab\" size=\"2\" type=\"populationList\">\n            <instance id=\"0\">",
            // The step at x = 0 of cell 1 only.
            "<pulseGenerator id=\"step0\" delay=\"5.0ms\" duration=\"35.0ms\" amplitude=\"0.1nA\"/>",
            "<input id=\"0\" target=\"../pop_cab/1/cell_cab\" destination=\"synapses\" segmentId=\"0\" fractionAlong=\"0.0\"/>",
            // The i_offset: a pulse from 0 longer than the run.
            "<pulseGenerator id=\"offset_off\" delay=\"0.0ms\" duration=\"100.0ms\" amplitude=\"0.02nA\"/>",
            "<input id=\"0\" target=\"../pop_off/0/cell_off\" destination=\"synapses\" segmentId=\"0\" fractionAlong=\"0.0\"/>",
            // A taper: 1 µm at the near end, 0.5 µm at the cable segment's distal point and
            // at the far end.
            "<cell id=\"cell_off\">\n        <morphology id=\"morphology_off\">\n            <segment id=\"0\" name=\"near_end\">\n                <proximal x=\"0.0\" y=\"0.0\" z=\"0.0\" diameter=\"1.0\"/>",
            "<distal x=\"1000.0\" y=\"0.0\" z=\"0.0\" diameter=\"0.5\"/>\n            </segment>\n            <segment id=\"2\" name=\"far_end\">\n                <parent segment=\"1\"/>\n                <distal x=\"1000.0\" y=\"0.0\" z=\"0.0\" diameter=\"0.5\"/>",
        ] {
            assert!(nml.contains(needle), "missing {needle} in\n{nml}");
        }
        assert_eq!(nml.matches("<ionChannel ").count(), 1, "{nml}");
        assert!(!nml.contains("offset_cab"), "no i_offset, no pulse: {nml}");
        let at = |needle: &str| {
            nml.find(needle)
                .unwrap_or_else(|| panic!("no {needle} in {nml}"))
        };
        let order = [
            at("<ionChannel "),
            at("<cell "),
            at("<pulseGenerator "),
            at("<IF_curr_exp "),
            at("<network "),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{nml}");
        // v at the near end's segment, v_distal at the far end's.
        let lems = &export.lems;
        for needle in [
            "fileName=\"lems_output/cab_v.dat\">\n            <OutputColumn id=\"c0\" quantity=\"pop_cab/1/cell_cab/0/v\"/>",
            "fileName=\"lems_output/cab_v_distal.dat\">\n            <OutputColumn id=\"c0\" quantity=\"pop_cab/1/cell_cab/2/v\"/>",
            "fileName=\"lems_output/off_v_distal.dat\">\n            <OutputColumn id=\"c0\" quantity=\"pop_off/0/cell_off/2/v\"/>",
            "<OutputColumn id=\"c0\" quantity=\"pop_lif[0]/v\"/>",
        ] {
            assert!(lems.contains(needle), "missing {needle} in\n{lems}");
        }
    }

    #[test]
    fn point_simulators_refuse_a_cable_with_the_reason() {
        let suite = from_yaml(CABLES);
        for (sim, reason) in [
            (Simulator::Nest, "NEST has no cable model"),
            (Simulator::Brian2, "point-neuron equations only"),
            (
                Simulator::JNeuroML,
                "jLEMS simulates single-compartment cells only",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let err = crate::codegen::generate(&suite, sim, dir.path()).unwrap_err();
            let CodegenError::Unsupported(message) = err else {
                panic!("{sim:?}: {err:?}")
            };
            assert!(
                message.starts_with("`cab` is a passive_cable, a multi-compartment cable: ")
                    && message.contains(reason),
                "{sim:?}: {message}"
            );
        }
    }
}
