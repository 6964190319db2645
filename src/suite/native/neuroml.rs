//! Models given as a NeuroML2 file (`model: {neuroml: net.nml}`): imported into the same
//! [`NativeSuite`](super::NativeSuite) model as an inline description.
//!
//! A NeuroML model runs on each simulator through its own toolchain: jNeuroML runs a LEMS
//! simulation crosscheck writes around the file, NEURON and Brian2 run jNeuroML's exports of
//! it, and NEST runs PyNEST code that crosscheck generates. No existing tool translates
//! NeuroML to NEST, so that translation is this import: every NeuroML abstract cell type that
//! has a NEST built-in becomes the library cell type with the same equations, its
//! `pulseGenerator` inputs become current steps, and its `spikeArray`s spike sources; the
//! library's PyNEST generator does the rest. What the import cannot express (projections,
//! multi-compartment cells, other inputs) does not stop the other simulators: it is recorded in
//! [`NeuroMLModel::nest_blockers`], and the NEST job is skipped with that reason.
//!
//! Mapping (NeuroML's own equations, `NeuroML2CoreTypes/Cells.xml`, on the left):
//!
//! | NeuroML | library | NEST |
//! |---|---|---|
//! | `iafCell`, `iafRefCell` (v starts at `leakReversal`) | `lif_curr_exp`, `tau_m = C / leakConductance` | `iaf_psc_exp` |
//! | `izhikevichCell` (dimensionless a, b, c, d; inputs `pulseGeneratorDL`) | `izhikevich` (1 unit of input = 1 pA through 1 pF) | `izhikevich` |
//! | `izhikevich2007Cell` (u starts at 0) | `izhikevich2007` | `izhikevich`, by a change of variables |
//! | `adExIaFCell` (v starts at `EL`, w at 0) | `adex_cond_exp` | `aeif_cond_exp` |
//! | `spikeArray` | `spike_source` | `spike_generator` |
//! | `pulseGenerator`, `pulseGeneratorDL` | current step | `step_current_generator` |

// `LoadError` carries the file's text for miette; it is built once per failed load, a cold
// path, so boxing it everywhere here would only add noise.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::library::{cell_kind, CellKind, SynapseKind};
use super::{CellSelection, Connector, Ident, Population, Projection, Receptor, Stimulus};
use crate::suite::units::{parse_expecting, Dimension, Quantity};
use crate::suite::{LoadError, Location};

/// Files a model may pull in through `<include>`: a guard against include loops of distinct
/// names and runaway repositories, far above any real model.
const MAX_FILES: usize = 500;
/// Largest NeuroML file read (bytes).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Stands for a NeuroML cell crosscheck does not translate (multi-compartment `cell`s and
/// other component types). jNeuroML and its exports still run it; only its membrane potential
/// can be recorded, and NEST cannot run it.
pub static NEUROML_CELL: CellKind = CellKind {
    name: "neuroml_cell",
    doc: "A NeuroML cell that only jNeuroML and its exports run",
    synapse: SynapseKind::None,
    params: &[],
    state_variables: &[super::library::StateVariable {
        name: "v",
        dimension: Dimension::VOLTAGE,
    }],
    is_source: false,
};

/// What crosscheck keeps of a NeuroML model beyond the populations and stimuli it imports.
#[derive(Debug, Clone)]
pub struct NeuroMLModel {
    /// The file the suite names (absolute).
    pub file: PathBuf,
    /// The folder every model file lies under; a job copies the files below it as they are laid
    /// out, so relative `<include>`s keep working.
    pub root: PathBuf,
    /// Every file read: the named one first, then its includes (absolute, each once).
    pub files: Vec<PathBuf>,
    /// The `<network>` simulated.
    pub network: String,
    /// Per imported population (same order as the suite's populations).
    pub populations: Vec<NeuroMLPopulation>,
    /// Why crosscheck cannot translate the model into the library's cell types at all (then
    /// only jNeuroML and its exports run it); empty when it can.
    pub untranslatable: Vec<String>,
    /// Why NEST cannot run the translation (everything untranslatable, and library types NEST
    /// has no model for); empty when it can.
    pub nest_blockers: Vec<String>,
}

/// How to address the cells of one NeuroML population in LEMS paths.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuroMLPopulation {
    /// The `<population>`'s `id`: the first segment of its LEMS paths, and the population's
    /// name in the suite (`record`, `checks`).
    pub id: String,
    /// The id of the cell component it instantiates (the `component` attribute); the last
    /// segment of a `populationList` cell's path.
    pub component: String,
    /// `populationList`: instance ids in file order (cell `i` of crosscheck is instance
    /// `instances[i]`); `None` for a plain `population` with a `size`.
    pub instances: Option<Vec<u64>>,
    /// crosscheck's state variable name → the NeuroML exposure.
    pub exposures: &'static [(&'static str, &'static str)],
}

impl NeuroMLPopulation {
    /// The LEMS path of cell `cell` (for event selections; add `/<exposure>` for a quantity).
    pub fn cell_path(&self, cell: usize) -> String {
        match &self.instances {
            None => format!("{}[{cell}]", self.id),
            Some(ids) => format!(
                "{}/{}/{}",
                self.id,
                ids.get(cell).copied().unwrap_or(cell as u64),
                self.component
            ),
        }
    }

    /// The NeuroML exposure of crosscheck's state variable `name`.
    pub fn exposure(&self, name: &str) -> Option<&'static str> {
        self.exposures
            .iter()
            .find(|(ours, _)| *ours == name)
            .map(|(_, theirs)| *theirs)
    }
}

/// The result of importing a NeuroML file.
#[derive(Debug, Clone)]
pub struct Imported {
    /// What the suite keeps of the file itself ([`NativeSuite::model`](super::NativeSuite::model)).
    pub model: NeuroMLModel,
    /// The network's populations as library cell types (or [`NEUROML_CELL`]), in file order.
    pub populations: Vec<Population>,
    /// The projections crosscheck translates, as explicit connections (one per receptor,
    /// weight and delay); one it cannot translate is in [`NeuroMLModel::untranslatable`].
    pub projections: Vec<Projection>,
    /// Its `pulseGenerator` and `pulseGeneratorDL` inputs, as current steps on single cells.
    pub stimuli: Vec<Stimulus>,
}

/// One parsed file, kept so element positions can be reported as file:line:column.
struct Parsed {
    path: PathBuf,
    text: Arc<str>,
}

/// A top-level component (`<iafCell id=…>`) with its attributes and where it is.
#[derive(Debug, Clone)]
struct Component {
    tag: String,
    attrs: BTreeMap<String, String>,
    /// `<spike time=…>` children of a `spikeArray`.
    spike_times: Vec<String>,
    location: Location,
}

/// Imports the `<network>` `network` (or the file's only one) of the NeuroML file at `path`.
///
/// `dt` is the simulation step: connections without a delay get one step, the shortest delay
/// NEST allows.
pub fn import(
    path: &Path,
    network: Option<&str>,
    dt: Option<Quantity>,
) -> Result<Imported, LoadError> {
    import_within(
        path,
        network,
        dt,
        &crate::suite::boundary::Boundary::anywhere(),
    )
}

/// [`import`], refusing `<include>`s that leave `boundary`.
pub fn import_within(
    path: &Path,
    network: Option<&str>,
    dt: Option<Quantity>,
    boundary: &crate::suite::boundary::Boundary,
) -> Result<Imported, LoadError> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let files = read_files(&path, boundary)?;
    let (components, networks) = collect_components(&files)?;
    let chosen = choose_network(&networks, network, &path)?;
    check_xml_name(
        &chosen.id,
        "network id",
        &location_at(chosen.file, chosen.offset),
    )?;

    let doc = parse(chosen.file)?;
    let net = doc
        .descendants()
        .find(|n| n.range().start == chosen.offset)
        .ok_or_else(|| LoadError::new(start_of(&path), "network element vanished (a bug)"))?;

    let mut importer = Importer {
        components: &components,
        populations: Vec::new(),
        nml_populations: Vec::new(),
        stimuli: Vec::new(),
        raw_projections: Vec::new(),
        untranslatable: Vec::new(),
        blockers: Vec::new(),
    };
    importer.read_network(net, chosen.file, &doc)?;
    if importer.populations.is_empty() {
        return Err(LoadError::new(
            location_at(chosen.file, chosen.offset),
            format!("network `{}` has no populations", chosen.id),
        ));
    }

    let projections = importer.resolve_projections(dt);
    let root = common_folder(files.iter().map(|f| f.path.as_path()));
    Ok(Imported {
        model: NeuroMLModel {
            file: path,
            root,
            files: files.iter().map(|f| f.path.clone()).collect(),
            network: chosen.id,
            populations: importer.nml_populations,
            untranslatable: importer.untranslatable,
            nest_blockers: importer.blockers,
        },
        populations: importer.populations,
        projections,
        stimuli: importer.stimuli,
    })
}

/// Reads the file at `path` and every file it includes, depth-first in file order, each once
/// however it is named. Refuses an include outside `boundary` (at the `<include>`), and more
/// than [`MAX_FILES`] files.
fn read_files(
    path: &Path,
    boundary: &crate::suite::boundary::Boundary,
) -> Result<Vec<Parsed>, LoadError> {
    let mut files: Vec<Parsed> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue = vec![(path.to_path_buf(), None::<Location>)];
    while let Some((file, included_at)) = queue.pop() {
        let canonical = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
        if !seen.insert(canonical.clone()) {
            continue;
        }
        if files.len() >= MAX_FILES {
            return Err(LoadError::new(
                included_at.unwrap_or_else(|| start_of(path)),
                format!("the model includes more than {MAX_FILES} files"),
            ));
        }
        let text = read_text(&file, included_at.as_ref())?;
        // Canonical, so `a/../b.nml` and `b.nml` are one file and the common folder is right.
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        let includes = includes_of(&file, &text)?;
        files.push(Parsed {
            path: file.clone(),
            text,
        });
        // Depth-first in file order: reverse so the first include is read next.
        for include in includes.into_iter().rev() {
            let (included, at) = &include;
            if let Err(message) =
                boundary.check("include", &included.display().to_string(), included)
            {
                return Err(LoadError::new(
                    at.clone().unwrap_or_else(|| start_of(&file)),
                    message,
                ));
            }
            queue.push(include);
        }
    }
    Ok(files)
}

/// A `<network>` element: its id, its file, and where it starts in that file (to find it
/// again in a fresh parse).
#[derive(Clone)]
struct NetworkAt<'p> {
    id: String,
    file: &'p Parsed,
    offset: usize,
}

/// The top-level components of all `files` by id (a later file's replaces an earlier one's of
/// the same id), and their `<network>`s in file order. Elements without an `id` are skipped.
fn collect_components(
    files: &[Parsed],
) -> Result<(BTreeMap<String, Component>, Vec<NetworkAt<'_>>), LoadError> {
    let mut components: BTreeMap<String, Component> = BTreeMap::new();
    let mut networks = Vec::new();
    for parsed in files {
        let doc = parse(parsed)?;
        for node in doc.root_element().children().filter(|n| n.is_element()) {
            let Some(id) = node.attribute("id") else {
                continue;
            };
            if node.tag_name().name() == "network" {
                networks.push(NetworkAt {
                    id: id.to_string(),
                    file: parsed,
                    offset: node.range().start,
                });
                continue;
            }
            components.insert(id.to_string(), component(parsed, &doc, node));
        }
    }
    Ok((components, networks))
}

/// The [`Component`] a top-level element of `parsed` declares.
fn component(parsed: &Parsed, doc: &roxmltree::Document, node: roxmltree::Node) -> Component {
    let attrs = node
        .attributes()
        .map(|a| (a.name().to_string(), a.value().to_string()))
        .collect();
    let spike_times = node
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "spike")
        .filter_map(|c| c.attribute("time").map(str::to_string))
        .collect();
    Component {
        tag: node.tag_name().name().to_string(),
        attrs,
        spike_times,
        location: location_of(parsed, doc, node.range().start),
    }
}

/// The network to simulate: the one named `wanted`, else the model's only one. Errors (at the
/// start of the named file `path`) list the networks there are.
fn choose_network<'p>(
    networks: &[NetworkAt<'p>],
    wanted: Option<&str>,
    path: &Path,
) -> Result<NetworkAt<'p>, LoadError> {
    let ids: Vec<&str> = networks.iter().map(|n| n.id.as_str()).collect();
    match wanted {
        Some(wanted) => networks
            .iter()
            .find(|n| n.id == wanted)
            .cloned()
            .ok_or_else(|| {
                LoadError::new(
                    start_of(path),
                    format!(
                        "no <network id=\"{wanted}\"> in the model (networks: {})",
                        if ids.is_empty() {
                            "none".to_string()
                        } else {
                            ids.join(", ")
                        }
                    ),
                )
            }),
        None => match networks {
            [one] => Ok(one.clone()),
            [] => Err(LoadError::new(
                start_of(path),
                "the NeuroML file defines no <network> (crosscheck simulates a network; \
                 give a file with one, or an include of one)",
            )),
            _ => Err(LoadError::new(
                start_of(path),
                format!(
                    "the model defines several networks ({}): name one with `network:`",
                    ids.join(", ")
                ),
            )),
        },
    }
}

struct Importer<'c> {
    components: &'c BTreeMap<String, Component>,
    populations: Vec<Population>,
    nml_populations: Vec<NeuroMLPopulation>,
    stimuli: Vec<Stimulus>,
    raw_projections: Vec<RawProjection>,
    untranslatable: Vec<String>,
    blockers: Vec<String>,
}

/// The library parameters one synapse sets on its target (`tau_syn_E`, `e_rev_E`...), SI.
type SynapseParams = Vec<(&'static str, f64)>;

/// A NeuroML `<projection>` as read, before its synapse is mapped onto the library.
struct RawProjection {
    id: String,
    pre: usize,
    post: usize,
    synapse: String,
    /// (pre cell index, post cell index, weight, delay in seconds).
    connections: Vec<(u32, u32, f64, f64)>,
    location: Location,
}

/// A projection's synapse as the library models it (SI).
struct Synapse {
    /// Its time constant: `tau_syn_E` / `tau_syn_I` of the target.
    tau: Quantity,
    /// The current or conductance one unit of connection weight gives.
    base: Quantity,
    /// The reversal potential of a conductance synapse; `None` for a current synapse.
    erev: Option<Quantity>,
}

/// Per (post population, excitatory receptor): the synapse that set its parameters first and
/// those parameters, to refuse two different synapses on one receptor.
type TakenReceptors = BTreeMap<(usize, bool), (String, SynapseParams)>;

/// A projection's connections grouped by (excitatory, weight magnitude bits, delay bits, both
/// SI): (pre cell, post cell) pairs.
type Groups = BTreeMap<(bool, u64, u64), Vec<(u32, u32)>>;

/// One library projection per group of `p`'s connections (see
/// [`Importer::group_connections`]), its weight in `weight_dim`.
fn library_projections(
    p: &RawProjection,
    groups: Groups,
    weight_dim: Dimension,
) -> impl Iterator<Item = Projection> + '_ {
    groups
        .into_iter()
        .map(move |((excitatory, magnitude, delay), pairs)| Projection {
            from: p.pre,
            to: p.post,
            connector: Connector::Explicit(pairs),
            receptor: if excitatory {
                Receptor::Excitatory
            } else {
                Receptor::Inhibitory
            },
            weight: Quantity {
                si: f64::from_bits(magnitude),
                dim: weight_dim,
            },
            delay: Quantity {
                si: f64::from_bits(delay),
                dim: Dimension::TIME,
            },
            weight_sd: None,
            delay_sd: None,
            location: p.location.clone(),
        })
}

impl Importer<'_> {
    /// Something the translation cannot express: only jNeuroML's toolchain runs the model.
    fn block(&mut self, reason: String) {
        self.untranslatable.push(reason.clone());
        self.blockers.push(reason);
    }

    /// Imports the children of the `<network>` element `net` of `file` (parsed as `doc`), in
    /// file order: later elements refer to populations defined before them.
    fn read_network(
        &mut self,
        net: roxmltree::Node,
        file: &Parsed,
        doc: &roxmltree::Document,
    ) -> Result<(), LoadError> {
        for node in net.children().filter(|n| n.is_element()) {
            let at = location_of(file, doc, node.range().start);
            match node.tag_name().name() {
                "population" => self.population(node, &at)?,
                "explicitInput" => self.explicit_input(node, &at)?,
                "inputList" => self.input_list(node, &at)?,
                "projection" => self.projection(node, &at)?,
                "continuousProjection"
                | "electricalProjection"
                | "synapticConnection"
                | "synapticConnectionWD" => self.block(format!(
                    "{at}: <{}> (connections are not translated to NEST yet)",
                    node.tag_name().name()
                )),
                _ => {}
            }
        }
        Ok(())
    }

    fn population(&mut self, node: roxmltree::Node, at: &Location) -> Result<(), LoadError> {
        let id = required(node, "id", at)?;
        let ident = Ident::new(id)
            .map_err(|e| LoadError::new(at.clone(), format!("population id: {e}")))?;
        let component_id = required(node, "component", at)?;
        check_xml_name(component_id, "component", at)?;
        let instances: Vec<u64> = node
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "instance")
            .map(|c| {
                c.attribute("id")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or_else(|| LoadError::new(at.clone(), "an <instance> needs a numeric `id`"))
            })
            .collect::<Result<_, _>>()?;
        let is_list = node.attribute("type") == Some("populationList") || !instances.is_empty();
        let size = if is_list {
            instances.len()
        } else {
            let text = required(node, "size", at)?;
            text.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n as i64 <= super::MAX_POPULATION_SIZE)
                .ok_or_else(|| {
                    LoadError::new(
                        at.clone(),
                        format!(
                            "population `{id}`: size `{text}` is not a whole number up to {}",
                            super::MAX_POPULATION_SIZE
                        ),
                    )
                })?
        };
        let component = self.components.get(component_id).ok_or_else(|| {
            LoadError::new(
                at.clone(),
                format!(
                    "population `{id}`: no component `{component_id}` in the model or its includes"
                ),
            )
        })?;
        let cell = self.cell(id, component)?;
        self.nml_populations.push(NeuroMLPopulation {
            id: id.to_string(),
            component: component_id.to_string(),
            instances: is_list.then_some(instances),
            exposures: cell.exposures,
        });
        self.populations.push(Population {
            id: ident,
            size,
            kind: cell.kind,
            params: cell.params,
            spike_times: cell.spike_times,
            v_init_sd: None,
            location: at.clone(),
        });
        Ok(())
    }

    /// The library type, its parameters and exposures for a NeuroML cell component. A
    /// component with no library equivalent becomes a [`NEUROML_CELL`] and blocks the
    /// translation, rather than failing the load: jNeuroML still runs it.
    fn cell(&mut self, pop: &str, c: &Component) -> Result<CellType, LoadError> {
        let mapping = match c.tag.as_str() {
            "iafCell" | "iafRefCell" => iaf_cell(c)?,
            "izhikevichCell" => izhikevich_cell(c)?,
            "izhikevich2007Cell" => izhikevich2007_cell(c)?,
            "adExIaFCell" => adex_cell(c)?,
            "spikeArray" => return spike_array(c),
            other => {
                self.block(format!(
                    "{}: population `{pop}` uses a <{other}>, which has no NEST equivalent in crosscheck",
                    c.location
                ));
                return Ok(CellType {
                    kind: &NEUROML_CELL,
                    params: Vec::new(),
                    exposures: &[("v", "v")],
                    spike_times: Vec::new(),
                });
            }
        };
        let kind = cell_kind(mapping.kind).expect("mapped to a library cell type");
        Ok(CellType {
            kind,
            params: with_defaults(kind, mapping.given),
            exposures: mapping.exposures,
            spike_times: Vec::new(),
        })
    }

    /// Index of population `id` (defined earlier in the network).
    fn population_index(&self, id: &str, at: &Location) -> Result<usize, LoadError> {
        self.populations
            .iter()
            .position(|p| p.id.as_str() == id)
            .ok_or_else(|| {
                LoadError::new(
                    at.clone(),
                    format!("population `{id}` is not defined before it in the network"),
                )
            })
    }

    /// The index of the cell a NeuroML cell reference (`../pop/3/comp`, `../pop[3]`) names in
    /// population `expected`.
    fn cell_index(
        &self,
        reference: &str,
        expected: usize,
        at: &Location,
    ) -> Result<u32, LoadError> {
        let pop = &self.populations[expected];
        let (name, cell) = parse_target(reference).ok_or_else(|| {
            LoadError::new(
                at.clone(),
                format!("cell reference `{reference}`: expected `../population/index/component` or `../population[index]`"),
            )
        })?;
        if name != pop.id.as_str() {
            return Err(LoadError::new(
                at.clone(),
                format!(
                    "cell reference `{reference}` is not in population `{}`",
                    pop.id
                ),
            ));
        }
        let index = match &self.nml_populations[expected].instances {
            Some(ids) => ids.iter().position(|&id| id == cell as u64),
            None => (cell < pop.size).then_some(cell),
        };
        index.map(|i| i as u32).ok_or_else(|| {
            LoadError::new(
                at.clone(),
                format!("`{reference}`: population `{}` has no cell {cell}", pop.id),
            )
        })
    }

    fn projection(&mut self, node: roxmltree::Node, at: &Location) -> Result<(), LoadError> {
        let id = required(node, "id", at)?.to_string();
        let pre = self.population_index(required(node, "presynapticPopulation", at)?, at)?;
        let post = self.population_index(required(node, "postsynapticPopulation", at)?, at)?;
        let synapse = required(node, "synapse", at)?.to_string();
        let mut connections = Vec::new();
        for c in node.children().filter(|c| c.is_element()) {
            let tag = c.tag_name().name();
            if !matches!(tag, "connection" | "connectionWD") {
                continue;
            }
            let a = self.cell_index(required(c, "preCellId", at)?, pre, at)?;
            let b = self.cell_index(required(c, "postCellId", at)?, post, at)?;
            let (weight, delay) = if tag == "connectionWD" {
                let w = required(c, "weight", at)?;
                let weight = w.trim().parse::<f64>().map_err(|_| {
                    LoadError::new(
                        at.clone(),
                        format!("connection weight `{w}` is not a number"),
                    )
                })?;
                let delay = parse_nml(required(c, "delay", at)?, Dimension::TIME, "delay", at)?;
                (weight, delay.si)
            } else {
                (1.0, 0.0)
            };
            if !(weight.is_finite() && delay.is_finite() && delay >= 0.0) {
                return Err(LoadError::new(
                    at.clone(),
                    "connection weights must be finite and delays non-negative",
                ));
            }
            connections.push((a, b, weight, delay));
        }
        self.raw_projections.push(RawProjection {
            id,
            pre,
            post,
            synapse,
            connections,
            location: at.clone(),
        });
        Ok(())
    }

    /// Maps each projection's synapse onto the synapse of the target's library type (setting
    /// the target's synaptic parameters), and splits its connections into library projections
    /// of one weight and delay each. A synapse with no library equivalent makes the model
    /// untranslatable rather than failing the load: jNeuroML still runs it.
    fn resolve_projections(&mut self, dt: Option<Quantity>) -> Vec<Projection> {
        let min_delay = dt.map_or(0.0, |q| q.si);
        let raw = std::mem::take(&mut self.raw_projections);
        let mut taken = TakenReceptors::new();
        let mut out = Vec::new();
        for p in raw {
            let Some(synapse) = self.synapse(&p) else {
                continue;
            };
            if self.populations[p.pre].kind.name == "neuroml_cell" {
                continue; // already untranslatable
            }
            let groups = self.group_connections(&p, &synapse, min_delay);
            let receptors: BTreeSet<bool> = groups.keys().map(|k| k.0).collect();
            if let Some(reason) = self.set_receptors(&p, &synapse, receptors, &mut taken) {
                self.block(reason);
                continue;
            }
            if synapse.erev.is_none() {
                // NeuroML's alphaCurrentSynapse peaks at its weight at t = tau: the library's
                // alpha synapse (NEST iaf_psc_alpha).
                self.populations[p.post].kind =
                    cell_kind("lif_curr_alpha").expect("library has lif_curr_alpha");
            }
            out.extend(library_projections(&p, groups, synapse.base.dim));
        }
        out
    }

    /// The synapse of projection `p`, read for its target's library type: an
    /// `alphaCurrentSynapse` onto a LIF cell or an `expOneSynapse` onto an AdEx cell. Any other
    /// (or a missing or malformed one) blocks the translation and gives `None`.
    fn synapse(&mut self, p: &RawProjection) -> Option<Synapse> {
        let Some(syn) = self.components.get(&p.synapse) else {
            self.block(format!(
                "{}: projection `{}`: no synapse component `{}` in the model",
                p.location, p.id, p.synapse
            ));
            return None;
        };
        let post_kind = self.populations[p.post].kind.name;
        let post_tag = self
            .components
            .get(&self.nml_populations[p.post].component)
            .map_or("?", |c| c.tag.as_str());
        let parsed = match (post_kind, syn.tag.as_str()) {
            ("lif_curr_exp" | "lif_curr_alpha", "alphaCurrentSynapse") => {
                match (
                    quantity(syn, "tau", Dimension::TIME),
                    quantity(syn, "ibase", Dimension::CURRENT),
                ) {
                    (Ok(tau), Ok(base)) => Some(Synapse {
                        tau,
                        base,
                        erev: None,
                    }),
                    _ => None,
                }
            }
            ("adex_cond_exp", "expOneSynapse") => match (
                quantity(syn, "tauDecay", Dimension::TIME),
                quantity(syn, "gbase", Dimension::CONDUCTANCE),
                quantity(syn, "erev", Dimension::VOLTAGE),
            ) {
                (Ok(tau), Ok(base), Ok(erev)) => Some(Synapse {
                    tau,
                    base,
                    erev: Some(erev),
                }),
                _ => None,
            },
            _ => None,
        };
        let Some(synapse) = parsed else {
            self.block(format!(
                "{}: projection `{}`: a <{}> onto a <{post_tag}> has no translation (crosscheck translates alphaCurrentSynapse onto iafCell/iafRefCell and expOneSynapse onto adExIaFCell)",
                p.location, p.id, syn.tag
            ));
            return None;
        };
        Some(synapse)
    }

    /// The connections of `p` grouped by receptor, weight magnitude and delay: one library
    /// projection each. A conductance synapse is excitatory when it reverses at or above the
    /// target's threshold, a current synapse when its weight is non-negative. Delays are at
    /// least `min_delay` (one step: NEST's shortest).
    fn group_connections(&self, p: &RawProjection, synapse: &Synapse, min_delay: f64) -> Groups {
        // Conductance synapses: excitatory when they reverse above the threshold.
        let conductance_receptor = synapse.erev.map(|e| {
            let threshold = self.populations[p.post]
                .param("v_thresh")
                .map_or(-0.05, |q| q.si);
            e.si >= threshold
        });
        let mut groups = Groups::new();
        for (a, b, w, d) in &p.connections {
            let value = synapse.base.si * w;
            let excitatory = conductance_receptor.unwrap_or(value >= 0.0);
            let delay = d.max(min_delay);
            groups
                .entry((excitatory, value.abs().to_bits(), delay.to_bits()))
                .or_default()
                .push((*a, *b));
        }
        groups
    }

    /// Sets `synapse`'s time constant (and reversal potential) on each of `receptors` (true:
    /// excitatory) of `p`'s target, recording them in `taken`. Returns the reason when another
    /// synapse already set different values on one of them (the library has one synapse per
    /// receptor); the receptors without a conflict are still set.
    fn set_receptors(
        &mut self,
        p: &RawProjection,
        synapse: &Synapse,
        receptors: BTreeSet<bool>,
        taken: &mut TakenReceptors,
    ) -> Option<String> {
        let mut conflict = None;
        for excitatory in receptors {
            let suffix = if excitatory { "E" } else { "I" };
            let mut params = vec![(
                if excitatory { "tau_syn_E" } else { "tau_syn_I" },
                synapse.tau.si,
            )];
            if let Some(e) = synapse.erev {
                params.push((if excitatory { "e_rev_E" } else { "e_rev_I" }, e.si));
            }
            match taken.get(&(p.post, excitatory)) {
                Some((other, existing)) if existing != &params => {
                    conflict = Some(format!(
                        "{}: projection `{}`: synapses `{other}` and `{}` differ on the {suffix} receptor of population `{}` (the library has one synapse per receptor)",
                        p.location, p.id, p.synapse, self.populations[p.post].id
                    ));
                }
                _ => {
                    taken.insert((p.post, excitatory), (p.synapse.clone(), params.clone()));
                    let pop = &mut self.populations[p.post];
                    for (name, value) in params {
                        if let Some(slot) = pop.params.iter_mut().find(|(n, _)| *n == name) {
                            slot.1.si = value;
                        }
                    }
                }
            }
        }
        conflict
    }

    fn explicit_input(&mut self, node: roxmltree::Node, at: &Location) -> Result<(), LoadError> {
        let target = required(node, "target", at)?;
        let input = required(node, "input", at)?;
        let (pop, cell) = parse_target(target).ok_or_else(|| {
            LoadError::new(
                at.clone(),
                format!("explicitInput target `{target}`: expected `population[index]` or `population/index/component`"),
            )
        })?;
        self.add_input(&pop, cell, input, 1.0, at)
    }

    fn input_list(&mut self, node: roxmltree::Node, at: &Location) -> Result<(), LoadError> {
        let component = required(node, "component", at)?;
        let population = required(node, "population", at)?;
        for input in node
            .children()
            .filter(|c| c.is_element() && matches!(c.tag_name().name(), "input" | "inputW"))
        {
            let target = required(input, "target", at)?;
            let (pop, cell) = parse_target(target).ok_or_else(|| {
                LoadError::new(
                    at.clone(),
                    format!("input target `{target}`: expected `../population/index/component`"),
                )
            })?;
            if pop != population {
                return Err(LoadError::new(
                    at.clone(),
                    format!("input target `{target}` is not in population `{population}`"),
                ));
            }
            let weight = match input.attribute("weight") {
                Some(w) => w.trim().parse::<f64>().map_err(|_| {
                    LoadError::new(at.clone(), format!("input weight `{w}` is not a number"))
                })?,
                None => 1.0,
            };
            self.add_input(&pop, cell, component, weight, at)?;
        }
        Ok(())
    }

    fn add_input(
        &mut self,
        pop: &str,
        cell: usize,
        input: &str,
        weight: f64,
        at: &Location,
    ) -> Result<(), LoadError> {
        let target = self
            .populations
            .iter()
            .position(|p| p.id.as_str() == pop)
            .ok_or_else(|| {
                LoadError::new(
                    at.clone(),
                    format!("input targets population `{pop}`, which is not defined before it in the network"),
                )
            })?;
        let population = &self.populations[target];
        // A populationList addresses cells by instance id.
        let index = match &self.nml_populations[target].instances {
            Some(ids) => ids.iter().position(|&id| id == cell as u64),
            None => (cell < population.size).then_some(cell),
        }
        .ok_or_else(|| {
            LoadError::new(
                at.clone(),
                format!("input targets cell {cell} of `{pop}`, which has no such cell"),
            )
        })?;
        let component = self.components.get(input).ok_or_else(|| {
            LoadError::new(
                at.clone(),
                format!("no input component `{input}` in the model or its includes"),
            )
        })?;
        let amplitude = match component.tag.as_str() {
            "pulseGenerator" => quantity(component, "amplitude", Dimension::CURRENT)?,
            // Dimensionless input of izhikevichCell: 1 unit moves v by 1 mV/ms, which is 1 pA
            // through the library `izhikevich`'s 1 pF.
            "pulseGeneratorDL" => Quantity {
                si: number(component, "amplitude")? * 1e-12,
                dim: Dimension::CURRENT,
            },
            other => {
                self.block(format!(
                    "{}: input `{input}` is a <{other}>, which crosscheck does not translate to NEST",
                    component.location
                ));
                return Ok(());
            }
        };
        let dl_target = population.kind.name == "izhikevich";
        if dl_target != (component.tag == "pulseGeneratorDL") {
            self.block(format!(
                "{}: input `{input}` (<{}>) on population `{pop}` mixes dimensionless and dimensional currents",
                component.location, component.tag
            ));
        }
        let start = quantity(component, "delay", Dimension::TIME)?;
        let duration = quantity(component, "duration", Dimension::TIME)?;
        self.stimuli.push(Stimulus::Step {
            target,
            cells: CellSelection::Indices(vec![index]),
            amplitude: Quantity {
                si: amplitude.si * weight,
                dim: Dimension::CURRENT,
            },
            start,
            stop: Quantity {
                si: start.si + duration.si,
                dim: Dimension::TIME,
            },
            location: at.clone(),
        });
        Ok(())
    }
}

/// Library parameter values (SI) by parameter name.
type Params = Vec<(&'static str, Quantity)>;

/// crosscheck's state variable name → the NeuroML exposure (see [`NeuroMLPopulation::exposures`]).
type Exposures = &'static [(&'static str, &'static str)];

/// What a NeuroML cell component imports as: a population's type, parameters and exposures.
struct CellType {
    kind: &'static CellKind,
    /// Every parameter of `kind`, defaults filled in (empty for a spike array and for a cell
    /// crosscheck does not translate).
    params: Params,
    exposures: Exposures,
    /// A spike source's spike times (one list for all its cells); empty otherwise.
    spike_times: Vec<Vec<Quantity>>,
}

/// A NeuroML cell component read as a library cell type, before the defaults are filled in.
struct CellMapping {
    /// The library cell type's name.
    kind: &'static str,
    /// The parameters the component sets.
    given: Params,
    exposures: Exposures,
}

/// `iafCell` / `iafRefCell` as `lif_curr_exp` (`tau_m = C / leakConductance`; v starts at
/// `leakReversal`; an `iafCell` has no refractory period).
fn iaf_cell(c: &Component) -> Result<CellMapping, LoadError> {
    use Dimension as D;
    let q = |name: &str, dim: Dimension| quantity(c, name, dim);
    let cm = q("C", D::CAPACITANCE)?;
    let g = q("leakConductance", D::CONDUCTANCE)?;
    if g.si <= 0.0 {
        return Err(LoadError::new(
            c.location.clone(),
            "leakConductance must be positive",
        ));
    }
    let rest = q("leakReversal", D::VOLTAGE)?;
    let refract = if c.tag == "iafRefCell" {
        q("refract", D::TIME)?
    } else {
        Quantity {
            si: 0.0,
            dim: D::TIME,
        }
    };
    Ok(CellMapping {
        kind: "lif_curr_exp",
        given: vec![
            ("cm", cm),
            (
                "tau_m",
                Quantity {
                    si: cm.si / g.si,
                    dim: D::TIME,
                },
            ),
            ("v_rest", rest),
            ("v_reset", q("reset", D::VOLTAGE)?),
            ("v_thresh", q("thresh", D::VOLTAGE)?),
            ("tau_refrac", refract),
            ("v_init", rest),
        ],
        exposures: &[("v", "v")],
    })
}

/// `izhikevichCell` as `izhikevich`: its dimensionless a, b, d are per ms and v in mV
/// (Cells.xml's MSEC/MVOLT constants); u starts at `b * v0`.
fn izhikevich_cell(c: &Component) -> Result<CellMapping, LoadError> {
    use Dimension as D;
    let q = |name: &str, dim: Dimension| quantity(c, name, dim);
    let n = |name: &str| number(c, name);
    let v0 = q("v0", D::VOLTAGE)?;
    let b = n("b")?;
    let per_ms = |x: f64| Quantity {
        si: x * 1e3,
        dim: D::FREQUENCY,
    };
    let mv_per_ms = |x: f64| Quantity {
        si: x,
        dim: Dimension {
            time: D::VOLTAGE.time - 1,
            ..D::VOLTAGE
        },
    };
    Ok(CellMapping {
        kind: "izhikevich",
        given: vec![
            ("a", per_ms(n("a")?)),
            ("b", per_ms(b)),
            (
                "c",
                Quantity {
                    si: n("c")? * 1e-3,
                    dim: D::VOLTAGE,
                },
            ),
            ("d", mv_per_ms(n("d")?)),
            ("v_thresh", q("thresh", D::VOLTAGE)?),
            ("v_init", v0),
            ("u_init", mv_per_ms(v0.si * 1e3 * b)),
        ],
        exposures: &[("v", "v"), ("u", "U")],
    })
}

/// `izhikevich2007Cell` as `izhikevich2007`: the same equations and units.
fn izhikevich2007_cell(c: &Component) -> Result<CellMapping, LoadError> {
    use Dimension as D;
    let q = |name: &str, dim: Dimension| quantity(c, name, dim);
    Ok(CellMapping {
        kind: "izhikevich2007",
        given: vec![
            ("cm", q("C", D::CAPACITANCE)?),
            ("k", q("k", D::CONDUCTANCE_PER_VOLTAGE)?),
            ("v_r", q("vr", D::VOLTAGE)?),
            ("v_t", q("vt", D::VOLTAGE)?),
            ("v_peak", q("vpeak", D::VOLTAGE)?),
            ("a", q("a", D::FREQUENCY)?),
            ("b", q("b", D::CONDUCTANCE)?),
            ("c", q("c", D::VOLTAGE)?),
            ("d", q("d", D::CURRENT)?),
            ("v_init", q("v0", D::VOLTAGE)?),
        ],
        exposures: &[("v", "v"), ("u", "u")],
    })
}

/// `adExIaFCell` as `adex_cond_exp` (v starts at `EL`).
fn adex_cell(c: &Component) -> Result<CellMapping, LoadError> {
    use Dimension as D;
    let q = |name: &str, dim: Dimension| quantity(c, name, dim);
    let el = q("EL", D::VOLTAGE)?;
    Ok(CellMapping {
        kind: "adex_cond_exp",
        given: vec![
            ("cm", q("C", D::CAPACITANCE)?),
            ("g_L", q("gL", D::CONDUCTANCE)?),
            ("v_rest", el),
            ("v_reset", q("reset", D::VOLTAGE)?),
            ("v_thresh", q("VT", D::VOLTAGE)?),
            ("delta_T", q("delT", D::VOLTAGE)?),
            ("v_spike", q("thresh", D::VOLTAGE)?),
            ("tau_w", q("tauw", D::TIME)?),
            ("a", q("a", D::CONDUCTANCE)?),
            ("b", q("b", D::CURRENT)?),
            ("tau_refrac", q("refract", D::TIME)?),
            ("v_init", el),
        ],
        exposures: &[("v", "v"), ("w", "w")],
    })
}

/// `spikeArray` as a `spike_source` firing at its `<spike>` times, sorted.
fn spike_array(c: &Component) -> Result<CellType, LoadError> {
    let mut times = c
        .spike_times
        .iter()
        .map(|t| parse_nml(t, Dimension::TIME, "spike time", &c.location))
        .collect::<Result<Vec<_>, _>>()?;
    times.sort_by(|a, b| a.si.total_cmp(&b.si));
    Ok(CellType {
        kind: cell_kind("spike_source").expect("library has spike_source"),
        params: Vec::new(),
        exposures: &[],
        spike_times: vec![times],
    })
}

/// Every parameter of `kind`, the `given` ones in place of the library defaults.
fn with_defaults(kind: &CellKind, mut given: Params) -> Params {
    kind.params
        .iter()
        .map(|spec| {
            let value = match given.iter().position(|(n, _)| *n == spec.name) {
                Some(i) => given.swap_remove(i).1,
                None => parse_expecting(spec.default, spec.dimension)
                    .expect("library defaults parse (tested in library.rs)"),
            };
            (spec.name, value)
        })
        .collect()
}

/// `pop[3]`, `pop/3/comp` or `../pop/3/comp` → (`pop`, 3).
fn parse_target(target: &str) -> Option<(String, usize)> {
    let t = target.trim().trim_start_matches("../");
    if let Some((pop, rest)) = t.split_once('[') {
        let index = rest.strip_suffix(']')?.trim().parse().ok()?;
        return Some((pop.to_string(), index));
    }
    let mut parts = t.split('/');
    let pop = parts.next()?;
    let index = parts.next()?.parse().ok()?;
    Some((pop.to_string(), index))
}

fn required<'a>(
    node: roxmltree::Node<'a, '_>,
    attr: &str,
    at: &Location,
) -> Result<&'a str, LoadError> {
    node.attribute(attr).ok_or_else(|| {
        LoadError::new(
            at.clone(),
            format!("<{}> needs the attribute `{attr}`", node.tag_name().name()),
        )
    })
}

/// A NeuroML quantity attribute (`-65mV`, `0.7 nS_per_mV`, `0.03per_ms`) of `c`.
fn quantity(c: &Component, name: &str, dim: Dimension) -> Result<Quantity, LoadError> {
    let text = c.attrs.get(name).ok_or_else(|| {
        LoadError::new(
            c.location.clone(),
            format!("<{}> needs the attribute `{name}`", c.tag),
        )
    })?;
    parse_nml(text, dim, name, &c.location)
}

/// A dimensionless attribute.
fn number(c: &Component, name: &str) -> Result<f64, LoadError> {
    let text = c.attrs.get(name).ok_or_else(|| {
        LoadError::new(
            c.location.clone(),
            format!("<{}> needs the attribute `{name}`", c.tag),
        )
    })?;
    text.trim().parse::<f64>().map_err(|_| {
        LoadError::new(
            c.location.clone(),
            format!("`{name}=\"{text}\"` is not a number"),
        )
    })
}

/// Parses NeuroML's quantity syntax into crosscheck's: the number, then NeuroML's unit symbol
/// with `_per_` as `/` (`nS_per_mV` → `nS/mV`, `per_ms` → `/ms`).
pub fn parse_nml(
    text: &str,
    dim: Dimension,
    what: &str,
    at: &Location,
) -> Result<Quantity, LoadError> {
    let trimmed = text.trim();
    let split = trimmed
        .char_indices()
        .find(|&(i, ch)| {
            !(ch.is_ascii_digit()
                || ch == '.'
                || ((ch == '-' || ch == '+')
                    && (i == 0 || matches!(trimmed.as_bytes()[i - 1], b'e' | b'E')))
                || ((ch == 'e' || ch == 'E')
                    && trimmed[i + 1..]
                        .chars()
                        .next()
                        .is_some_and(|n| n.is_ascii_digit() || n == '-' || n == '+')))
        })
        .map_or(trimmed.len(), |(i, _)| i);
    let (number, unit) = trimmed.split_at(split);
    let unit = unit.trim();
    let unit = if let Some(rest) = unit.strip_prefix("per_") {
        format!("/{}", rest.replace("_per_", "/"))
    } else {
        unit.replace("_per_", "/")
    };
    parse_expecting(&format!("{number} {unit}"), dim)
        .map_err(|e| LoadError::new(at.clone(), format!("`{what}=\"{text}\"`: {}", e.message)))
}

/// Ids that reach the LEMS file crosscheck writes: XML-name characters only, so no quote,
/// `<` or `&` can reach markup.
fn check_xml_name(id: &str, what: &str, at: &Location) -> Result<(), LoadError> {
    let ok = id
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(LoadError::new(
            at.clone(),
            format!(
                "{what} `{}`: crosscheck accepts letters, digits, `_`, `-` and `.` (starting with a letter or `_`)",
                id.escape_debug()
            ),
        ))
    }
}

fn read_text(file: &Path, included_at: Option<&Location>) -> Result<Arc<str>, LoadError> {
    let at = || included_at.cloned().unwrap_or_else(|| start_of(file));
    let meta = std::fs::metadata(file)
        .map_err(|e| LoadError::new(at(), format!("cannot read {}: {e}", file.display())))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(LoadError::new(
            at(),
            format!("{} is larger than {MAX_FILE_BYTES} bytes", file.display()),
        ));
    }
    std::fs::read_to_string(file)
        .map(Arc::from)
        .map_err(|e| LoadError::new(at(), format!("cannot read {}: {e}", file.display())))
}

fn parse(parsed: &Parsed) -> Result<roxmltree::Document<'_>, LoadError> {
    roxmltree::Document::parse(&parsed.text).map_err(|e| {
        let pos = e.pos();
        LoadError::new(
            Location {
                file: parsed.path.clone(),
                line: pos.row as usize,
                column: pos.col as usize,
            },
            format!("not well-formed XML: {e}"),
        )
    })
}

/// The `<include href=…>`s of a NeuroML file, resolved against its folder.
fn includes_of(
    file: &Path,
    text: &Arc<str>,
) -> Result<Vec<(PathBuf, Option<Location>)>, LoadError> {
    let parsed = Parsed {
        path: file.to_path_buf(),
        text: text.clone(),
    };
    let doc = parse(&parsed)?;
    let root = doc.root_element();
    if root.tag_name().name() != "neuroml" {
        return Err(LoadError::new(
            start_of(file),
            format!(
                "expected a NeuroML2 file (root element <neuroml>), found <{}>",
                root.tag_name().name()
            ),
        ));
    }
    let folder = file.parent().unwrap_or(Path::new("."));
    Ok(root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "include")
        .filter_map(|n| {
            let href = n.attribute("href")?;
            let at = location_of(&parsed, &doc, n.range().start);
            Some((folder.join(href), Some(at)))
        })
        .collect())
}

fn location_of(parsed: &Parsed, doc: &roxmltree::Document, offset: usize) -> Location {
    let pos = doc.text_pos_at(offset);
    Location {
        file: parsed.path.clone(),
        line: pos.row as usize,
        column: pos.col as usize,
    }
}

fn location_at(parsed: &Parsed, offset: usize) -> Location {
    match parse(parsed) {
        Ok(doc) => location_of(parsed, &doc, offset),
        Err(_) => start_of(&parsed.path),
    }
}

fn start_of(file: &Path) -> Location {
    Location {
        file: file.to_path_buf(),
        line: 1,
        column: 1,
    }
}

/// The deepest folder containing every path.
fn common_folder<'p>(paths: impl Iterator<Item = &'p Path>) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for path in paths {
        let folder = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        common = Some(match common {
            None => folder,
            Some(c) => {
                let mut shared = PathBuf::new();
                for (a, b) in c.components().zip(folder.components()) {
                    if a != b {
                        break;
                    }
                    shared.push(a);
                }
                shared
            }
        });
    }
    common.unwrap_or_else(|| PathBuf::from("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("suites/neuroml")
            .join(name)
    }

    fn si(pop: &Population, name: &str) -> f64 {
        pop.param(name).unwrap_or_else(|| panic!("{name}")).si
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-30)
    }

    /// Writes `files` (name, text) into a fresh folder and imports the first.
    fn import_files(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Imported, LoadError>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let result = import(&dir.path().join(files[0].0), None, None);
        (dir, result)
    }

    fn nml(body: &str) -> String {
        format!("<neuroml xmlns=\"http://www.neuroml.org/schema/neuroml2\" id=\"t\">\n{body}\n</neuroml>\n")
    }

    const NET: &str = r#"<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<network id="net"><population id="p" component="c" size="2"/></network>"#;

    #[test]
    fn imports_the_bundled_iaf_cells() {
        let imported = import(&bundled("iaf_cells.net.nml"), None, None).unwrap();
        let model = &imported.model;
        assert_eq!(model.network, "cells");
        assert!(model.nest_blockers.is_empty() && model.untranslatable.is_empty());
        let [refr, lif] = imported.populations.as_slice() else {
            panic!("{:?}", imported.populations)
        };
        assert_eq!((refr.id.as_str(), refr.size), ("ref_pop", 1));
        assert_eq!((lif.id.as_str(), lif.size), ("lif_pop", 2));
        assert_eq!(refr.kind.name, "lif_curr_exp");
        // tau_m = C / g = 0.2 nF / 10 nS.
        assert!(close(si(refr, "tau_m"), 20e-3));
        assert!(close(si(refr, "tau_refrac"), 2e-3));
        assert!(close(si(refr, "v_init"), -65e-3));
        assert!(close(si(lif, "tau_m"), 20e-3));
        assert_eq!(si(lif, "tau_refrac"), 0.0);
        assert!(close(si(lif, "v_reset"), -68e-3));
        // Instance-addressed cells get NeuroML's instance paths.
        assert_eq!(model.populations[0].cell_path(0), "ref_pop[0]");
        assert_eq!(model.populations[1].cell_path(1), "lif_pop/1/lif");
        // One explicit input and three list inputs, each a step on one cell.
        let steps: Vec<(usize, Vec<usize>, f64, f64, f64)> = imported
            .stimuli
            .iter()
            .map(|s| match s {
                Stimulus::Step {
                    target,
                    cells: CellSelection::Indices(cells),
                    amplitude,
                    start,
                    stop,
                    ..
                } => (*target, cells.clone(), amplitude.si, start.si, stop.si),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[0].0, 0);
        assert!(
            close(steps[0].2, 0.25e-9) && close(steps[0].3, 20e-3) && close(steps[0].4, 180e-3)
        );
        let on_cell_1: Vec<_> = steps.iter().filter(|s| s.0 == 1 && s.1 == [1]).collect();
        assert_eq!(on_cell_1.len(), 2, "{steps:?}");
    }

    #[test]
    fn imports_adex_and_dimensionless_izhikevich() {
        let imported = import(&bundled("adex_izhikevich.net.nml"), None, None).unwrap();
        let [adex, izh, ch] = imported.populations.as_slice() else {
            panic!()
        };
        assert_eq!(ch.kind.name, "izhikevich2007");
        assert!(close(si(ch, "k"), 1.5e-9 / 1e-3));
        assert_eq!(adex.kind.name, "adex_cond_exp");
        assert!(close(si(adex, "v_thresh"), -50.4e-3));
        assert!(close(si(adex, "v_spike"), -40.4e-3));
        assert!(close(si(adex, "tau_w"), 144e-3));
        assert!(close(si(adex, "b"), 80.5e-12));
        assert_eq!(izh.kind.name, "izhikevich");
        assert!(close(si(izh, "a"), 20.0), "a = 0.02 per ms");
        assert!(close(si(izh, "c"), -65e-3));
        // u starts at b * v0, as NeuroML's OnStart says: 0.2 * -70 (mV/ms, SI V/s).
        assert!(close(si(izh, "u_init"), -14.0));
        assert_eq!(imported.model.populations[1].exposure("u"), Some("U"));
        // The dimensionless step of 10 acts as 10 pA through the library's 1 pF.
        let Stimulus::Step { amplitude, .. } = &imported.stimuli[1] else {
            panic!("a step")
        };
        assert!(close(amplitude.si, 10e-12));
    }

    #[test]
    fn izhikevich_2007_translates_for_nest_too() {
        let (_dir, imported) = import_files(&[(
            "m.nml",
            &nml(
                r#"<izhikevich2007Cell id="rs" v0="-60mV" C="100 pF" k="0.7 nS_per_mV" vr="-60 mV" vt="-40 mV" vpeak="35 mV" a="0.03 per_ms" b="-2 nS" c="-50 mV" d="100 pA"/>
<network id="net"><population id="p" component="rs" size="1"/></network>"#,
            ),
        )]);
        let imported = imported.unwrap();
        let pop = &imported.populations[0];
        assert_eq!(pop.kind.name, "izhikevich2007");
        assert!(close(si(pop, "k"), 0.7e-9 / 1e-3));
        assert!(close(si(pop, "a"), 30.0));
        assert!(imported.model.untranslatable.is_empty());
        assert!(imported.model.nest_blockers.is_empty());
    }

    #[test]
    fn what_cannot_be_translated_is_recorded_not_refused() {
        let (_dir, imported) = import_files(&[(
            "m.nml",
            &nml(
                r#"<cell id="mc"/><sineGenerator id="sg" delay="0ms" phase="0" duration="1ms" amplitude="1nA" period="1ms"/>
<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<network id="net"><population id="p" component="mc" size="1"/><population id="q" component="c" size="1"/>
<explicitInput target="q[0]" input="sg"/>
<projection id="pr" presynapticPopulation="q" postsynapticPopulation="q" synapse="s"/></network>"#,
            ),
        )]);
        let imported = imported.unwrap();
        assert_eq!(imported.populations[0].kind.name, "neuroml_cell");
        let reasons = imported.model.untranslatable.join("\n");
        assert!(reasons.contains("<cell>"), "{reasons}");
        assert!(reasons.contains("<sineGenerator>"), "{reasons}");
        assert!(reasons.contains("projection `pr`"), "{reasons}");
        // Each reason says where.
        assert!(reasons.contains("m.nml:"), "{reasons}");
    }

    #[test]
    fn projections_become_explicit_library_projections() {
        let dt = Quantity {
            si: 0.025e-3,
            dim: Dimension::TIME,
        };
        let imported = import(&bundled("synaptic_input.net.nml"), None, Some(dt)).unwrap();
        assert!(
            imported.model.untranslatable.is_empty(),
            "{:?}",
            imported.model
        );
        let lif = &imported.populations[2];
        let adex = &imported.populations[3];
        // Alpha current synapses make the LIF cell the library's alpha type, with their taus.
        assert_eq!(lif.kind.name, "lif_curr_alpha");
        assert!(close(si(lif, "tau_syn_E"), 2e-3) && close(si(lif, "tau_syn_I"), 5e-3));
        // Conductance synapses set AdEx's reversal potentials and time constants.
        assert!(close(si(adex, "e_rev_E"), 0.0) && close(si(adex, "e_rev_I"), -80e-3));
        assert!(close(si(adex, "tau_syn_I"), 5e-3));
        // One library projection per (receptor, weight, delay).
        let to_lif: Vec<_> = imported.projections.iter().filter(|p| p.to == 2).collect();
        assert_eq!(to_lif.len(), 3, "{to_lif:#?}");
        let inhibitory = to_lif
            .iter()
            .find(|p| p.receptor == Receptor::Inhibitory)
            .unwrap();
        assert!(
            close(inhibitory.weight.si, 0.2e-9),
            "magnitude, sign in the receptor"
        );
        assert_eq!(inhibitory.connector, Connector::Explicit(vec![(0, 0)]));
        let half = to_lif
            .iter()
            .find(|p| close(p.weight.si, 0.2e-9) && p.receptor == Receptor::Excitatory)
            .unwrap();
        assert_eq!(half.connector, Connector::Explicit(vec![(1, 0)]));
        assert!(close(half.delay.si, 2e-3));
        let to_adex: Vec<_> = imported.projections.iter().filter(|p| p.to == 3).collect();
        assert!(to_adex
            .iter()
            .all(|p| p.weight.dim == Dimension::CONDUCTANCE));
    }

    #[test]
    fn untranslatable_synapses_and_zero_delays() {
        let cells = r#"<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<spikeArray id="s"><spike id="0" time="1ms"/></spikeArray>"#;
        // A conductance synapse onto an iafCell has no library equivalent.
        let (_dir, imported) = import_files(&[(
            "m.nml",
            &nml(&format!(
                r#"{cells}<expOneSynapse id="g" gbase="1nS" erev="0mV" tauDecay="2ms"/>
<network id="net"><population id="s" component="s" size="1"/><population id="p" component="c" size="1"/>
<projection id="pr" presynapticPopulation="s" postsynapticPopulation="p" synapse="g"><connection id="0" preCellId="../s/0/s" postCellId="../p/0/c"/></projection></network>"#
            )),
        )]);
        let imported = imported.unwrap();
        assert!(imported.projections.is_empty());
        assert!(
            imported.model.untranslatable[0].contains("expOneSynapse"),
            "{:?}",
            imported.model.untranslatable
        );
        // A plain connection (no delay) gets one step, NEST's minimum.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.nml");
        std::fs::write(&path, nml(&format!(r#"{cells}<alphaCurrentSynapse id="a" tau="1ms" ibase="1nA"/>
<network id="net"><population id="s" component="s" size="1"/><population id="p" component="c" size="1"/>
<projection id="pr" presynapticPopulation="s" postsynapticPopulation="p" synapse="a"><connection id="0" preCellId="../s[0]" postCellId="../p[0]"/></projection></network>"#))).unwrap();
        let dt = Quantity {
            si: 0.1e-3,
            dim: Dimension::TIME,
        };
        let imported = import(&path, None, Some(dt)).unwrap();
        assert!(close(imported.projections[0].delay.si, 0.1e-3));
        // A connection to a cell the population does not have is an error with the line.
        std::fs::write(&path, nml(&format!(r#"{cells}<alphaCurrentSynapse id="a" tau="1ms" ibase="1nA"/>
<network id="net"><population id="s" component="s" size="1"/><population id="p" component="c" size="1"/>
<projection id="pr" presynapticPopulation="s" postsynapticPopulation="p" synapse="a"><connection id="0" preCellId="../s[0]" postCellId="../p[5]"/></projection></network>"#))).unwrap();
        let error = import(&path, None, Some(dt)).unwrap_err().to_string();
        assert!(error.contains("has no cell 5"), "{error}");
    }

    #[test]
    fn includes_are_followed_once_and_the_root_covers_them() {
        let (dir, imported) = import_files(&[
            (
                "net/main.nml",
                &nml(
                    r#"<include href="../cells/cells.nml"/><include href="../cells/cells.nml"/>
<network id="net"><population id="p" component="c" size="1"/></network>"#,
                ),
            ),
            (
                "cells/cells.nml",
                // Includes the main file back: a loop that must end.
                &nml(
                    r#"<include href="../net/main.nml"/><iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>"#,
                ),
            ),
        ]);
        let imported = imported.unwrap();
        assert_eq!(imported.model.files.len(), 2, "{:?}", imported.model.files);
        let root = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(imported.model.root, root);
        assert!(imported.model.files[0].ends_with("net/main.nml"));
    }

    #[test]
    fn errors_name_the_neuroml_file_and_line() {
        let cases: &[(&str, &str)] = &[
            (
                r#"<network id="net">
<population id="p" component="missing" size="1"/></network>"#,
                "no component `missing`",
            ),
            (
                r#"<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25mV" leakConductance="12.5nS"/>
<network id="net"><population id="p" component="c" size="1"/></network>"#,
                "C=\"0.25mV\"",
            ),
            (
                r#"<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<network id="net"><population id="x'); import os; ('" component="c" size="1"/></network>"#,
                "population id",
            ),
            (
                r#"<iafCell id="c&quot;x" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<network id="net"><population id="p" component="c&quot;x" size="1"/></network>"#,
                "component",
            ),
            (
                r#"<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<network id="net"><population id="p" component="c" size="1"/>
<explicitInput target="p[3]" input="c"/></network>"#,
                "no such cell",
            ),
            (
                "<network id=\"a\"/><network id=\"b\"/>",
                "several networks (a, b)",
            ),
            ("", "defines no <network>"),
            ("<network id=\"net\"><population", "not well-formed XML"),
        ];
        for (body, expected) in cases {
            let (_dir, result) = import_files(&[("m.nml", &nml(body))]);
            let error = result.expect_err(body);
            let text = error.to_string();
            assert!(text.contains(expected), "{body}: {text}");
            assert!(text.contains("m.nml:"), "{text}");
            assert!(error.location.line >= 1);
        }
        // The line of the offending element.
        let (_dir, result) = import_files(&[(
            "m.nml",
            &nml("<network id=\"net\">\n\n<population id=\"p\" component=\"missing\" size=\"1\"/></network>"),
        )]);
        assert_eq!(result.unwrap_err().location.line, 4);
    }

    #[test]
    fn a_named_network_is_chosen_and_a_wrong_name_lists_the_others() {
        let body = format!("{NET}<network id=\"other\"/>");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.nml");
        std::fs::write(&path, nml(&body)).unwrap();
        assert_eq!(
            import(&path, Some("net"), None).unwrap().model.network,
            "net"
        );
        let error = import(&path, Some("nett"), None).unwrap_err().to_string();
        assert!(error.contains("networks: net, other"), "{error}");
    }

    #[test]
    fn neuroml_quantities_parse() {
        let at = start_of(Path::new("x.nml"));
        let q = |t: &str, d| parse_nml(t, d, "x", &at).unwrap().si;
        assert!(close(q("-65mV", Dimension::VOLTAGE), -0.065));
        assert!(close(
            q("0.7 nS_per_mV", Dimension::CONDUCTANCE_PER_VOLTAGE),
            0.7e-6
        ));
        assert!(close(q("0.03per_ms", Dimension::FREQUENCY), 30.0));
        assert!(close(q("2.5E+1ms", Dimension::TIME), 0.025));
        assert!(close(q("1e-3 s", Dimension::TIME), 1e-3));
        assert!(parse_nml("10", Dimension::VOLTAGE, "x", &at).is_err());
        assert!(parse_nml("10 nA", Dimension::VOLTAGE, "x", &at).is_err());
    }
}
