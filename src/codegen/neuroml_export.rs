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
//! What has no NeuroML2 standard equivalent with the library's semantics is refused with
//! [`CodegenError::Unsupported`] (the job is then a skip with the reason): delta synapses
//! (`lif_delta`, `izhikevich`), and the other cell types, whose NeuroML/PyNN namesakes are
//! different models (see the notes in [`super::lems`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::lems::{raw_spike_file, raw_trace_file, RAW_OUTPUT};
use super::{cells, ms, CodegenError, Generated, GeneratedKind, Inputs};
use crate::suite::native::{Ident, NativeSuite, Population, Receptor, Stimulus, Variable};
use crate::suite::units::{code_number, Quantity};

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

/// The PyNN standard cell a library type becomes, and its synapse.
struct Exported {
    tag: &'static str,
    synapse: &'static str,
}

/// Parameters of the PyNN LIF types: (ours = theirs, unit of the bare number).
const PYNN_LIF: &[(&str, &str)] = &[
    ("cm", "nF"),
    ("tau_m", "ms"),
    ("v_rest", "mV"),
    ("v_reset", "mV"),
    ("v_thresh", "mV"),
    ("tau_refrac", "ms"),
    ("tau_syn_E", "ms"),
    ("tau_syn_I", "ms"),
    ("i_offset", "nA"),
    ("v_init", "mV"),
];

/// The NeuroML2 type of a cell population, or why there is none.
fn exported(pop: &Population) -> Result<Exported, CodegenError> {
    let why = match pop.kind.name {
        "lif_curr_exp" => {
            return Ok(Exported {
                tag: "IF_curr_exp",
                synapse: "expCurrSynapse",
            })
        }
        "lif_curr_alpha" => {
            return Ok(Exported {
                tag: "IF_curr_alpha",
                synapse: "alphaCurrSynapse",
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
    } else {
        format!("{}[{cell}]", pop_id(pop))
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
pub fn generate(
    suite: &NativeSuite,
    inputs: &Inputs,
    dir: &Path,
) -> Result<Generated, CodegenError> {
    let export = export(suite, inputs)?;
    let network = super::write_file(&dir.join(network_file_name(suite)), &export.network)?;
    let raw = dir.join(RAW_OUTPUT);
    std::fs::create_dir_all(&raw).map_err(|source| CodegenError::Io {
        path: raw.clone(),
        source,
    })?;
    let mut generated =
        super::write_generated(dir, &lems_file_name(suite), &export.lems, GeneratedKind::Lems)?;
    generated.files.insert(0, network);
    Ok(generated)
}

/// The NeuroML2 document and LEMS simulation of `suite` with the inputs crosscheck drew.
pub fn export(suite: &NativeSuite, inputs: &Inputs) -> Result<Export, CodegenError> {
    if suite.model.is_some() {
        return Err(CodegenError::Unsupported(
            "the model is already a NeuroML2 file: the NEURON engine runs jNeuroML's NEURON export of it".into(),
        ));
    }
    // Refuse before writing anything: every cell population must have a standard type.
    let mut types = Vec::with_capacity(suite.populations.len());
    for pop in &suite.populations {
        types.push(if pop.kind.is_source {
            None
        } else {
            Some(exported(pop)?)
        });
    }

    // Elements of the document, kept apart by the schema's group so they come out in its order.
    let mut pulses = String::new();
    let mut arrays = String::new();
    let mut drives = String::new();
    let mut cells_xml = String::new();
    let mut synapses = String::new();
    let mut populations = String::new();
    let mut projections = String::new();
    let mut input_lists = String::new();

    for (index, (pop, exported)) in suite.populations.iter().zip(&types).enumerate() {
        let Some(exported) = exported else {
            let trains = inputs
                .source_spikes
                .get(index)
                .and_then(Option::as_ref)
                .ok_or_else(|| {
                    CodegenError::Template(format!("no prepared spikes for `{}`", pop.id))
                })?;
            for cell in 0..pop.size {
                let id = source_component_id(pop, cell);
                let times = trains.get(cell).map(Vec::as_slice).unwrap_or(&[]);
                if times.is_empty() {
                    let _ = writeln!(arrays, "    <spikeArray id=\"{id}\"/>");
                } else {
                    let _ = writeln!(arrays, "    <spikeArray id=\"{id}\">");
                    for (k, t) in times.iter().enumerate() {
                        let t = xml_number(*t, "a spike time")?;
                        let _ = writeln!(arrays, "        <spike id=\"{k}\" time=\"{t}ms\"/>");
                    }
                    let _ = writeln!(arrays, "    </spikeArray>");
                }
                let _ = writeln!(
                    populations,
                    "        <population id=\"{}\" component=\"{id}\" size=\"1\"/>",
                    source_pop_id(pop, cell)
                );
            }
            continue;
        };
        let _ = write!(
            cells_xml,
            "    <{} id=\"{}\"",
            exported.tag,
            cell_component_id(pop)
        );
        for (name, unit) in PYNN_LIF {
            let value = number_in(param(pop, name)?, unit, &format!("`{}` {name}", pop.id))?;
            let _ = write!(cells_xml, " {name}=\"{value}\"");
        }
        cells_xml.push_str("/>\n");
        for (receptor, tau) in [
            (Receptor::Excitatory, "tau_syn_E"),
            (Receptor::Inhibitory, "tau_syn_I"),
        ] {
            let tau = number_in(param(pop, tau)?, "ms", &format!("`{}` {tau}", pop.id))?;
            let _ = writeln!(
                synapses,
                "    <{} id=\"{}\" tau_syn=\"{tau}\"/>",
                exported.synapse,
                synapse_id(pop, receptor)
            );
        }
        let _ = writeln!(
            populations,
            "        <population id=\"{}\" component=\"{}\" size=\"{}\"/>",
            pop_id(pop),
            cell_component_id(pop),
            pop.size
        );
    }

    for (k, proj) in suite.projections.iter().enumerate() {
        let pre = &suite.populations[proj.from];
        let post = &suite.populations[proj.to];
        if types[proj.to].is_none() {
            return Err(CodegenError::Unsupported(format!(
                "projection {k} targets the source `{}`",
                post.id
            )));
        }
        // Current synapses take signed weights in nA (PyNN's unit), as NEST does; the receptor
        // gives the sign. Every connection of a projection has the projection's weight and
        // delay, written per connection so that per-synapse values fit the same element.
        let magnitude = proj
            .weight
            .value_in("nA")
            .map_err(|e| CodegenError::Units(e.to_string()))?;
        let weight = xml_number(
            proj.receptor.sign() * magnitude,
            &format!("projection {k}'s weight"),
        )?;
        let delay = number_in(&proj.delay, "ms", &format!("projection {k}'s delay"))?;
        let synapse = synapse_id(post, proj.receptor);
        let pairs = inputs.connections.get(k).map(Vec::as_slice).unwrap_or(&[]);
        // A projection has one presynaptic population, and every source cell is a population
        // of its own: one projection per source cell with connections.
        let mut groups: BTreeMap<Option<u32>, Vec<(u32, u32)>> = BTreeMap::new();
        for &(a, b) in pairs {
            let key = pre.kind.is_source.then_some(a);
            groups.entry(key).or_default().push((a, b));
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
                projections,
                "        <projection id=\"{id}\" presynapticPopulation=\"{pre_pop}\" postsynapticPopulation=\"{}\" synapse=\"{synapse}\">",
                pop_id(post)
            );
            for (n, (a, b)) in pairs.iter().enumerate() {
                let _ = writeln!(
                    projections,
                    "            <connectionWD id=\"{n}\" preCellId=\"../{}\" postCellId=\"../{}\" weight=\"{weight}\" delay=\"{delay}ms\"/>",
                    cell_path(pre, *a as usize),
                    cell_path(post, *b as usize),
                );
            }
            let _ = writeln!(projections, "        </projection>");
        }
    }

    for (k, stimulus) in suite.stimuli.iter().enumerate() {
        let pop = &suite.populations[stimulus.target()];
        if types[stimulus.target()].is_none() {
            return Err(CodegenError::Unsupported(format!(
                "stimulus {k} targets the source `{}`",
                pop.id
            )));
        }
        match stimulus {
            Stimulus::Step {
                cells: selection,
                amplitude,
                start,
                stop,
                ..
            } => {
                let id = format!("step{k}");
                let _ = writeln!(
                    pulses,
                    "    <pulseGenerator id=\"{id}\" delay=\"{}ms\" duration=\"{}ms\" amplitude=\"{}nA\"/>",
                    xml_number(ms(start), "a step's start")?,
                    xml_number(ms(stop) - ms(start), "a step's duration")?,
                    number_in(amplitude, "nA", "a step's amplitude")?,
                );
                let _ = writeln!(
                    input_lists,
                    "        <inputList id=\"{id}_in\" population=\"{}\" component=\"{id}\">",
                    pop_id(pop)
                );
                for (n, cell) in cells(selection, pop.size).into_iter().enumerate() {
                    let _ = writeln!(
                        input_lists,
                        "            <input id=\"{n}\" target=\"../{}\" destination=\"synapses\"/>",
                        cell_path(pop, cell)
                    );
                }
                let _ = writeln!(input_lists, "        </inputList>");
            }
            Stimulus::Poisson {
                rate,
                weight,
                receptor,
                ..
            } => {
                // poissonFiringSynapse scales its synapse's current by the input's weight; the
                // PyNN synapse's unit event is 1 nA, so the weight is the event in nA, signed.
                let id = format!("drive{k}");
                let synapse = synapse_id(pop, *receptor);
                let _ = writeln!(
                    drives,
                    "    <poissonFiringSynapse id=\"{id}\" averageRate=\"{}Hz\" synapse=\"{synapse}\" spikeTarget=\"./{synapse}\"/>",
                    number_in(rate, "Hz", "a Poisson drive's rate")?,
                );
                let magnitude = weight
                    .value_in("nA")
                    .map_err(|e| CodegenError::Units(e.to_string()))?;
                let signed = xml_number(receptor.sign() * magnitude, "a Poisson drive's weight")?;
                let _ = writeln!(
                    input_lists,
                    "        <inputList id=\"{id}_in\" population=\"{}\" component=\"{id}\">",
                    pop_id(pop)
                );
                for cell in 0..pop.size {
                    let _ = writeln!(
                        input_lists,
                        "            <inputW id=\"{cell}\" target=\"../{}\" destination=\"synapses\" weight=\"{signed}\"/>",
                        cell_path(pop, cell)
                    );
                }
                let _ = writeln!(input_lists, "        </inputList>");
            }
        }
    }

    let name = &suite.name;
    let mut network = String::new();
    let _ = writeln!(network, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        network,
        "<neuroml xmlns=\"http://www.neuroml.org/schema/neuroml2\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.neuroml.org/schema/neuroml2 https://raw.github.com/NeuroML/NeuroML2/development/Schemas/NeuroML2/NeuroML_v2.3.1.xsd\" id=\"{name}\">"
    );
    let _ = writeln!(
        network,
        "    <!-- Generated by crosscheck {} from suite {name}: the network with the inputs and\n         connectivity crosscheck drew from the suite's seed. Validate it with\n         `jnml -validate {}`; run it through {}. -->",
        env!("CARGO_PKG_VERSION"),
        network_file_for(name),
        lems_file_name(suite),
    );
    for block in [
        &pulses,
        &arrays,
        &drives,
        &cells_xml,
        &synapses,
    ] {
        network.push_str(block);
    }
    let _ = writeln!(network, "    <network id=\"network_{name}\">");
    network.push_str(&populations);
    network.push_str(&projections);
    network.push_str(&input_lists);
    let _ = writeln!(network, "    </network>");
    let _ = writeln!(network, "</neuroml>");

    let lems = lems_simulation(suite)?;
    Ok(Export { network, lems })
}

/// The LEMS simulation around the document: run length, step, seed and the recordings.
fn lems_simulation(suite: &NativeSuite) -> Result<String, CodegenError> {
    let name = &suite.name;
    let mut outputs = String::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        let selected = cells(&rec.cells, pop.size);
        for variable in &rec.variables {
            match variable {
                Variable::Spikes => {
                    let _ = writeln!(
                        outputs,
                        "        <EventOutputFile id=\"spk_{}\" fileName=\"{RAW_OUTPUT}/{}\" format=\"ID_TIME\">",
                        pop.id,
                        raw_spike_file(pop.id.as_str())
                    );
                    for c in &selected {
                        let _ = writeln!(
                            outputs,
                            "            <EventSelection id=\"{c}\" select=\"{}\" eventPort=\"spike\"/>",
                            cell_path(pop, *c)
                        );
                    }
                    let _ = writeln!(outputs, "        </EventOutputFile>");
                }
                Variable::State(var) => {
                    // The PyNN LIF types expose v only (sources record spikes only).
                    if *var != "v" || pop.kind.is_source {
                        return Err(CodegenError::Unsupported(format!(
                            "cannot record `{var}` of `{}` from its NeuroML2 export",
                            pop.id
                        )));
                    }
                    let _ = writeln!(
                        outputs,
                        "        <OutputFile id=\"out_{}_{var}\" fileName=\"{RAW_OUTPUT}/{}\">",
                        pop.id,
                        raw_trace_file(pop.id.as_str(), var)
                    );
                    for (n, c) in selected.iter().enumerate() {
                        let _ = writeln!(
                            outputs,
                            "            <OutputColumn id=\"c{n}\" quantity=\"{}/{var}\"/>",
                            cell_path(pop, *c)
                        );
                    }
                    let _ = writeln!(outputs, "        </OutputFile>");
                }
            }
        }
    }
    let duration = number_in(&suite.simulation.duration, "ms", "the duration")?;
    let dt = number_in(&suite.simulation.dt, "ms", "the time step")?;
    let mut lems = String::new();
    let _ = writeln!(lems, "<Lems>");
    let _ = writeln!(
        lems,
        "    <!-- Generated by crosscheck {} for suite {name}: simulates {} for {duration} ms.\n         From this folder: jnml {} -neuron -run -nogui (or java -jar <jNeuroML jar> {} -neuron,\n         nrnivmodl, python {}_nrn.py -nogui). Recordings go to {RAW_OUTPUT}/ in SI units. -->",
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
