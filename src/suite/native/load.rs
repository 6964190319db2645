//! Loader for crosscheck's own suites (`*.crosscheck.yaml`, `docs/suite-format.md`).
//!
//! Strict by design: a suite is turned into simulator code, so everything that reaches a code
//! generator must already be checked here: every quantity has the dimension its field needs,
//! every name is a safe [`Ident`], every reference to a population, stimulus or projection is
//! resolved to an index and every value is in range. The loader keeps going after a problem so
//! that `crosscheck validate` shows every mistake in one run, each at its line and column (for
//! a bad unit, at the unit itself inside the quoted or plain scalar).

use std::path::Path;

use super::library::{cell_kind, CellKind, ParamSpec, CELL_TYPES};
use super::{
    CellSelection, Checks, Connectivity, Connector, Criterion, Distribution, DistributionCheck,
    Feature, FeatureCheck, Ident, NativeSuite, Population, Projection, PublishedCheck, Receptor,
    Recording, RecordingRules, Simulation, Simulator, Statistic, StatisticCheck, Stimulus, Sweep,
    SweepTarget, TraceRule, Variable,
};
use crate::suggest::nearest;
use crate::suite::source::{check_keys, quoted_list, read_yaml, Source};
use crate::suite::units::{parse_expecting, Dimension, Quantity, UnitError};
use crate::suite::yaml::{Node, NodeKind};
use crate::suite::{LoadError, Location};

/// A population's parameters, in the library's order.
type Parameters = Vec<(&'static str, Quantity)>;

pub(crate) const TOP_KEYS: &[&str] = &[
    "suite",
    "description",
    "engines",
    "simulation",
    "model",
    "populations",
    "projections",
    "stimuli",
    "record",
    "sweep",
    "checks",
];
pub(crate) const MODEL_KEYS: &[&str] = &["neuroml", "network"];
/// Keys a NeuroML model replaces: the file defines the network and its inputs.
const MODEL_EXCLUSIVE_KEYS: &[&str] = &["populations", "projections", "stimuli", "sweep"];
pub(crate) const SIMULATION_KEYS: &[&str] = &["duration", "dt", "seed", "threads", "connectivity"];
pub(crate) const CONNECTIVITIES: &[&str] = &["crosscheck", "simulator"];
/// A per-synapse or per-cell normal distribution: `{normal: {mean: …, sd: …}}`.
pub(crate) const NORMAL_KEYS: &[&str] = &["mean", "sd"];
/// Most threads a suite may ask NEST for: more than any machine this runs on needs, and a
/// typo of 1000 must not oversubscribe the runner.
const MAX_THREADS: i64 = 64;
pub(crate) const POPULATION_KEYS: &[&str] = &["cell", "size", "parameters", "spike_times"];
pub(crate) const PROJECTION_KEYS: &[&str] =
    &["from", "to", "connector", "receptor", "weight", "delay"];
pub(crate) const CONNECTORS: &[&str] = &[
    "all_to_all",
    "one_to_one",
    "fixed_probability",
    "fixed_indegree",
    "fixed_total_number",
];
pub(crate) const FIXED_PROBABILITY_KEYS: &[&str] =
    &["fixed_probability", "seed", "allow_self_connections"];
pub(crate) const FIXED_INDEGREE_KEYS: &[&str] = &[
    "fixed_indegree",
    "seed",
    "allow_self_connections",
    "allow_multapses",
];
pub(crate) const FIXED_TOTAL_NUMBER_KEYS: &[&str] =
    &["fixed_total_number", "seed", "allow_self_connections"];
/// Connections one projection may ask for: the connection list goes through a text file and
/// every simulator's memory (a few million is CI scale; full-scale Potjans–Diesmann is 0.3 G).
pub(crate) const MAX_CONNECTIONS: i64 = 100_000_000;
pub(crate) const RECEPTORS: &[&str] = &["excitatory", "inhibitory"];
pub(crate) const STIMULUS_KINDS: &[&str] = &["step", "poisson"];
pub(crate) const POISSON_KEYS: &[&str] = &["target", "rate", "weight", "receptor", "delay"];
pub(crate) const STEP_KEYS: &[&str] = &["target", "cells", "amplitude", "start", "stop"];
pub(crate) const RECORD_KEYS: &[&str] = &["population", "variables", "cells"];
pub(crate) const SWEEP_KEYS: &[&str] = &["parameter", "values"];
pub(crate) const CHECKS_KEYS: &[&str] = &[
    "reference",
    "agreement",
    "features",
    "statistics",
    "distributions",
    "published",
];
pub(crate) const PUBLISHED_KEYS: &[&str] = &[
    "source",
    "start",
    "stop",
    "tolerance",
    "engines",
    "mean_rate",
];
pub(crate) const DISTRIBUTION_KEYS: &[&str] =
    &["reference", "seeds", "statistics", "start", "margin"];
/// See [`DistributionCheck::margin`].
pub(crate) const DEFAULT_MARGIN: f64 = 1.5;
/// Seeds a `distributions` check may ask `bless` to run (each is a full run of the network).
const MAX_CALIBRATION_SEEDS: usize = 20;
pub(crate) const RULES_KEYS: &[&str] = &["spikes", "traces"];
pub(crate) const TRACE_KEYS: &[&str] = &["max_abs", "rms"];
pub(crate) const FEATURE_KEYS: &[&str] =
    &["feature", "population", "cell", "expected", "tolerance"];
pub(crate) const STATISTIC_KEYS: &[&str] = &[
    "statistic",
    "population",
    "expected",
    "tolerance",
    "min",
    "max",
    "start",
];

/// Bounds that keep a suite runnable on a laptop and every loop in crosscheck finite.
pub(crate) const MAX_POPULATION_SIZE: i64 = 1_000_000;
const MAX_STEPS: f64 = 1e8;
const MAX_SWEEP_POINTS: usize = 1000;
const DEFAULT_DT: &str = "0.025 ms";
const DEFAULT_SEED: u64 = 1;

impl Feature {
    pub const ALL: [Feature; 5] = [
        Feature::SpikeCount,
        Feature::FirstSpikeLatency,
        Feature::MeanRate,
        Feature::RestingPotential,
        Feature::AdaptationIndex,
    ];

    /// The name used in suites.
    pub fn name(self) -> &'static str {
        match self {
            Feature::SpikeCount => "spike_count",
            Feature::FirstSpikeLatency => "first_spike_latency",
            Feature::MeanRate => "mean_rate",
            Feature::RestingPotential => "resting_potential",
            Feature::AdaptationIndex => "adaptation_index",
        }
    }

    /// The dimension of the feature's value (and of its `expected` and `tolerance`).
    pub fn dimension(self) -> Dimension {
        match self {
            Feature::SpikeCount | Feature::AdaptationIndex => Dimension::DIMENSIONLESS,
            Feature::FirstSpikeLatency => Dimension::TIME,
            Feature::MeanRate => Dimension::FREQUENCY,
            Feature::RestingPotential => Dimension::VOLTAGE,
        }
    }

    /// The recorded variable the feature is computed from.
    pub fn needs(self) -> Variable {
        match self {
            Feature::RestingPotential => Variable::State("v"),
            _ => Variable::Spikes,
        }
    }
}

impl Statistic {
    pub const ALL: [Statistic; 6] = [
        Statistic::MeanRate,
        Statistic::CvIsi,
        Statistic::FanoFactor,
        Statistic::Correlation,
        Statistic::PowerPeak,
        Statistic::Synchrony,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Statistic::MeanRate => "mean_rate",
            Statistic::CvIsi => "cv_isi",
            Statistic::FanoFactor => "fano_factor",
            Statistic::Correlation => "correlation",
            Statistic::PowerPeak => "power_peak",
            Statistic::Synchrony => "synchrony",
        }
    }

    pub fn dimension(self) -> Dimension {
        match self {
            Statistic::MeanRate | Statistic::PowerPeak => Dimension::FREQUENCY,
            _ => Dimension::DIMENSIONLESS,
        }
    }
}

/// A unit to show in "e.g. `10 ms`" hints for a dimension.
pub(crate) fn example_unit(dim: Dimension) -> Option<&'static str> {
    let table = [
        (Dimension::TIME, "ms"),
        (Dimension::VOLTAGE, "mV"),
        (Dimension::CURRENT, "pA"),
        (Dimension::CAPACITANCE, "pF"),
        (Dimension::CONDUCTANCE, "nS"),
        (Dimension::FREQUENCY, "Hz"),
        (Dimension::CONDUCTANCE_PER_VOLTAGE, "nS/mV"),
        (Dimension::VOLTAGE.div(Dimension::TIME), "mV/ms"),
    ];
    table.iter().find(|(d, _)| *d == dim).map(|(_, u)| *u)
}

/// Loads and validates the suite at `path`. On failure, every problem found is returned, in
/// file order.
pub fn load_suite(path: &Path) -> Result<NativeSuite, Vec<LoadError>> {
    load_suite_within(path, &crate::suite::boundary::Boundary::anywhere())
}

/// [`load_suite`], refusing a NeuroML model (or an include of it) that leaves `boundary`.
pub fn load_suite_within(
    path: &Path,
    boundary: &crate::suite::boundary::Boundary,
) -> Result<NativeSuite, Vec<LoadError>> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut errors = Vec::new();
    let Some((mut src, root)) = read_yaml(&path, &mut errors) else {
        return Err(errors);
    };
    src.boundary = boundary.clone();
    let mut loader = Loader {
        src: &src,
        errors: Vec::new(),
    };
    let suite = loader.suite(&root);
    let mut errors = loader.errors;
    errors.sort_by_key(|e| (e.location.line, e.location.column));
    match suite {
        Some(suite) if errors.is_empty() => Ok(suite),
        _ => Err(errors),
    }
}

struct Loader<'a> {
    src: &'a Source,
    errors: Vec<LoadError>,
}

/// A population name with the population, if it loaded: names resolve even when the
/// population itself had errors, so one mistake does not cascade into "unknown population".
struct Slot {
    name: String,
    population: Option<Population>,
}

/// What later sections need from earlier ones.
struct Context<'s> {
    simulation: Option<&'s Simulation>,
    slots: &'s [Slot],
}

impl Context<'_> {
    fn names(&self) -> Vec<&str> {
        self.slots.iter().map(|s| s.name.as_str()).collect()
    }

    fn population(&self, index: usize) -> Option<&Population> {
        self.slots.get(index)?.population.as_ref()
    }
}

impl<'a> Loader<'a> {
    fn error(&mut self, node: &Node, message: impl Into<String>) {
        let error = self.src.error(node, message);
        self.errors.push(error);
    }

    fn error_help(&mut self, node: &Node, message: impl Into<String>, help: impl Into<String>) {
        let error = self.src.error(node, message).with_help(help);
        self.errors.push(error);
    }

    /// An unknown name: suggests the nearest candidate or lists them all.
    fn unknown(&mut self, node: &Node, message: String, word: &str, candidates: &[&str]) {
        let help = match nearest(word, candidates) {
            Some(near) => format!("did you mean `{near}`?"),
            None if candidates.is_empty() => "there are none".to_string(),
            None => format!("one of: {}", quoted_list(candidates)),
        };
        self.error_help(node, message, help);
    }

    /// A mapping whose keys are all in `known` (unknown keys reported with a suggestion).
    fn mapping(
        &mut self,
        node: &'a Node,
        what: &str,
        known: &[&str],
    ) -> Option<&'a [(Node, Node)]> {
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                format!("`{what}` must be a mapping, found {}", node.type_name()),
            );
            return None;
        };
        check_keys(
            self.src,
            entries,
            known,
            &format!("in `{what}`"),
            &mut self.errors,
        );
        Some(entries)
    }

    fn list(&mut self, node: &'a Node, what: &str) -> Option<&'a [Node]> {
        let items = node.as_seq();
        if items.is_none() {
            self.error(
                node,
                format!("`{what}` must be a list, found {}", node.type_name()),
            );
        }
        items
    }

    /// The value of a required key, reported at `at` when missing.
    fn required(&mut self, map: &'a Node, key: &str, at: &Node, what: &str) -> Option<&'a Node> {
        let value = map.get(key);
        if value.is_none() {
            self.error(at, format!("missing required key `{key}` in {what}"));
        }
        value
    }

    fn string(&mut self, node: &'a Node, what: &str) -> Option<&'a str> {
        let text = node.as_str();
        if text.is_none() {
            self.error(
                node,
                format!("`{what}` must be a string, found {}", node.type_name()),
            );
        }
        text
    }

    /// One of `values`, with a suggestion otherwise.
    fn choice(
        &mut self,
        node: &'a Node,
        what: &str,
        values: &[&'static str],
    ) -> Option<&'static str> {
        let text = self.string(node, what)?;
        let found = values.iter().find(|v| **v == text).copied();
        if found.is_none() {
            self.unknown(
                node,
                format!("unknown {what} `{}`", text.escape_debug()),
                text,
                values,
            );
        }
        found
    }

    fn integer(&mut self, node: &Node, what: &str, min: i64, max: i64) -> Option<i64> {
        let Some(value) = node.as_i64() else {
            self.error(
                node,
                format!("`{what}` must be an integer, found {}", node.type_name()),
            );
            return None;
        };
        if value < min || value > max {
            self.error(
                node,
                format!("`{what}` must be between {min} and {max}, found {value}"),
            );
            return None;
        }
        Some(value)
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        let value = match node.kind {
            NodeKind::Bool(b) => Some(b),
            _ => None,
        };
        if value.is_none() {
            self.error(
                node,
                format!("`{what}` must be true or false, found {}", node.type_name()),
            );
        }
        value
    }

    fn ident(&mut self, node: &Node, what: &str) -> Option<Ident> {
        // Numbers are rendered as text so that `1: {...}` gets the identifier rule's message;
        // an empty value or a boolean is not a name at all (and would read as `None`/`True`).
        let text = match &node.kind {
            NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_) => node.key_text(),
            _ => None,
        };
        let Some(text) = text else {
            self.error(
                node,
                format!("expected a {what}, found {}", node.type_name()),
            );
            return None;
        };
        match Ident::new(&text) {
            Ok(ident) => Some(ident),
            Err(message) => {
                self.error(node, format!("invalid {what}: {message}"));
                None
            }
        }
    }

    /// A quantity of dimension `dim`. Plain YAML numbers are accepted only for dimensionless
    /// values; elsewhere a number without unit is reported where the unit belongs.
    fn quantity(&mut self, node: &Node, what: &str, dim: Dimension) -> Option<Quantity> {
        let quantity = match &node.kind {
            NodeKind::Int(_) | NodeKind::Float(_) if dim == Dimension::DIMENSIONLESS => {
                node.as_f64().map(|si| Quantity { si, dim })
            }
            // A YAML number where a unit is needed: parse its source text as a quantity, so
            // the units module words the "missing unit" error, which then points just after
            // the number, where the unit belongs.
            NodeKind::Int(_) | NodeKind::Float(_) => {
                let raw = self.raw_line(node);
                let len = raw
                    .find(|c: char| c.is_whitespace() || ",]}#".contains(c))
                    .unwrap_or(raw.len());
                match parse_expecting(&raw[..len], dim) {
                    Ok(q) => Some(q),
                    Err(e) => {
                        self.unit_error(node, &raw[..len], what, e);
                        return None;
                    }
                }
            }
            NodeKind::Str(text) => match parse_expecting(text, dim) {
                Ok(q) => Some(q),
                Err(e) => {
                    self.unit_error(node, text, what, e);
                    return None;
                }
            },
            _ => {
                let expected = match example_unit(dim) {
                    Some(unit) => format!("a {} such as `1 {unit}`", dim.name()),
                    None => format!("a {}", dim.name()),
                };
                self.error(
                    node,
                    format!("`{what}` must be {expected}, found {}", node.type_name()),
                );
                return None;
            }
        }?;
        if !quantity.si.is_finite() {
            self.error(node, format!("`{what}` must be finite"));
            return None;
        }
        Some(quantity)
    }

    /// The source text from `node` to the end of its line.
    fn raw_line(&self, node: &Node) -> &'a str {
        let text: &'a str = &self.src.text;
        let start = node.offset.min(text.len());
        let rest = text.get(start..).unwrap_or("");
        &rest[..rest.find('\n').unwrap_or(rest.len())]
    }

    /// An error at byte `skip` of `node`'s line (its column computed in characters), spanning
    /// `len` bytes.
    fn at(&self, node: &Node, skip: usize, len: usize, message: String) -> LoadError {
        let raw = self.raw_line(node);
        let skip = (0..=skip.min(raw.len()))
            .rev()
            .find(|&i| raw.is_char_boundary(i))
            .unwrap_or(0);
        let location = Location {
            file: self.src.path.clone(),
            line: node.line,
            column: node.column + raw[..skip].chars().count(),
        };
        let len = len.min(raw.len() - skip);
        LoadError::new(location, message).with_source(
            self.src.text.clone(),
            node.offset + skip,
            len,
        )
    }

    /// Reports a unit problem at the unit's position inside the scalar. `text` is the scalar's
    /// value; in the source it may be quoted, so the value's prefix is located in the raw text
    /// (after an opening quote if any). With escapes or line folding the prefix does not
    /// appear verbatim and the error points at the scalar's start instead.
    fn unit_error(&mut self, node: &Node, text: &str, what: &str, e: UnitError) {
        let raw = self.raw_line(node);
        let prefix = text.get(..e.offset).unwrap_or(text);
        let skip = if raw.starts_with(prefix) {
            Some(prefix.len())
        } else if raw.starts_with(['"', '\'']) && raw[1..].starts_with(prefix) {
            Some(1 + prefix.len())
        } else {
            None
        };
        let error = match skip {
            Some(skip) => {
                let unit = text.get(e.offset..).unwrap_or("").trim_end();
                self.at(node, skip, unit.len(), format!("`{what}`: {}", e.message))
            }
            None => self.src.error(node, format!("`{what}`: {}", e.message)),
        };
        self.errors.push(match e.help {
            Some(help) => error.with_help(help),
            None => error,
        });
    }

    /// A quantity that must be positive (`strict`) or non-negative.
    fn positive(
        &mut self,
        node: &Node,
        what: &str,
        dim: Dimension,
        strict: bool,
    ) -> Option<Quantity> {
        let q = self.quantity(node, what, dim)?;
        if q.si < 0.0 || (strict && q.si == 0.0) {
            let bound = if strict {
                "positive"
            } else {
                "zero or positive"
            };
            self.error(node, format!("`{what}` must be {bound}"));
            return None;
        }
        Some(q)
    }

    /// A quantity, or a normal distribution of it (`{normal: {mean: …, sd: …}}`) where
    /// `distribution_allowed`: the mean, and the standard deviation if one was given.
    fn quantity_or_normal(
        &mut self,
        node: &'a Node,
        what: &str,
        dim: Dimension,
        distribution_allowed: bool,
    ) -> Option<(Quantity, Option<Quantity>)> {
        let Some(entries) = node.as_map() else {
            return self.quantity(node, what, dim).map(|q| (q, None));
        };
        let is_normal =
            matches!(entries, [(key, _)] if key.key_text().as_deref() == Some("normal"));
        if !is_normal {
            self.error_help(
                node,
                format!("`{what}` must be a quantity or `{{normal: {{mean: …, sd: …}}}}`"),
                "the only distribution is `normal`",
            );
            return None;
        }
        if !distribution_allowed {
            self.error(node, format!("`{what}` cannot be a distribution"));
            return None;
        }
        let params = &entries[0].1;
        self.mapping(params, "normal", NORMAL_KEYS)?;
        let mean = self
            .required(params, "mean", params, "`normal`")
            .and_then(|m| self.quantity(m, "mean", dim));
        let sd = self
            .required(params, "sd", params, "`normal`")
            .and_then(|d| self.positive(d, "sd", dim, false));
        Some((mean?, Some(sd?)))
    }

    fn suite(&mut self, root: &'a Node) -> Option<NativeSuite> {
        let Some(entries) = root.as_map() else {
            let message = format!(
                "a suite must be a mapping with `suite`, `simulation`, `populations`, `record` and `checks`, found {}",
                root.type_name()
            );
            let error = if root.is_null() {
                self.src.error_at_start(message)
            } else {
                self.src.error(root, message)
            };
            self.errors.push(error);
            return None;
        };
        check_keys(self.src, entries, TOP_KEYS, "in a suite", &mut self.errors);
        let start = Node {
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
            kind: NodeKind::Null,
        };
        let start = entries.first().map_or(&start, |(k, _)| k);
        let start = start.clone();

        let name = match root.entry("suite") {
            Some((key, value)) => self.ident(value, "suite name").map(|n| (n, key)),
            None => {
                self.error(&start, "missing required key `suite` (the suite's name)");
                None
            }
        };
        let description = match root.get("description") {
            None => None,
            Some(node) if node.is_null() => None,
            Some(node) => self.string(node, "description").map(str::to_string),
        };
        let engines = self.engines(root.get("engines"));
        let simulation = self
            .required(root, "simulation", &start, "a suite")
            .and_then(|node| self.simulation(node));
        let model = match root.entry("model") {
            None => None,
            Some((key, value)) => {
                for exclusive in MODEL_EXCLUSIVE_KEYS {
                    if let Some((other, _)) = root.entry(exclusive) {
                        self.error_help(
                            other,
                            format!("`{exclusive}` cannot be used with `model`"),
                            "the NeuroML file defines the network, its cells and its inputs",
                        );
                    }
                }
                // Without the model nothing below resolves; stop here rather than report
                // every population reference as unknown.
                Some(self.model(key, value, simulation.as_ref().map(|s| s.dt))?)
            }
        };
        let (slots, imported_stimuli, imported_projections) = match &model {
            Some(imported) => (
                imported
                    .populations
                    .iter()
                    .map(|p| Slot {
                        name: p.id.to_string(),
                        population: Some(p.clone()),
                    })
                    .collect(),
                Some(imported.stimuli.clone()),
                Some(imported.projections.clone()),
            ),
            None => match self.required(root, "populations", &start, "a suite") {
                Some(node) => (self.populations(node, simulation.as_ref()), None, None),
                None => (Vec::new(), None, None),
            },
        };
        let cx = Context {
            simulation: simulation.as_ref(),
            slots: &slots,
        };
        let projections = match root.get("projections") {
            _ if imported_projections.is_some() => imported_projections,
            None => Some(Vec::new()),
            Some(node) if node.is_null() => Some(Vec::new()),
            Some(node) => self.projections(node, &cx),
        };
        let stimuli = match root.get("stimuli") {
            _ if imported_stimuli.is_some() => imported_stimuli,
            None => Some(Vec::new()),
            Some(node) if node.is_null() => Some(Vec::new()),
            Some(node) => self.stimuli(node, &cx),
        };
        let recordings = self
            .required(root, "record", &start, "a suite")
            .and_then(|node| self.recordings(node, &cx));
        let sweep = match root.get("sweep") {
            None => None,
            Some(node) => {
                Some(self.sweep(node, &cx, stimuli.as_deref(), projections.as_deref())?)
            }
        };
        let checks = self
            .required(root, "checks", &start, "a suite")
            .and_then(|node| self.checks(node, &cx, recordings.as_deref(), sweep.as_ref()));

        let (name, key) = name?;
        let populations = slots
            .into_iter()
            .map(|s| s.population)
            .collect::<Option<Vec<_>>>()?;
        Some(NativeSuite {
            name,
            description,
            location: self.src.location(key),
            engines: engines?,
            simulation: simulation?,
            model: model.map(|m| m.model),
            populations,
            projections: projections?,
            stimuli: stimuli?,
            recordings: recordings?,
            sweep,
            checks: checks?,
        })
    }

    /// `model: {neuroml: path, network: id}`: imports the NeuroML file (path relative to the
    /// suite). Errors inside the NeuroML file name that file's line and column.
    fn model(
        &mut self,
        key: &Node,
        node: &'a Node,
        dt: Option<Quantity>,
    ) -> Option<super::neuroml::Imported> {
        self.mapping(node, "model", MODEL_KEYS)?;
        let Some(file) = node.get("neuroml") else {
            self.error_help(
                key,
                "`model` needs `neuroml`: the NeuroML2 file that defines the network",
                "e.g. `model: {neuroml: models/cells.net.nml}`",
            );
            return None;
        };
        let file_node = file;
        let file = self.string(file, "neuroml")?;
        let network = match node.get("network") {
            None => None,
            Some(n) => Some(self.string(n, "network")?),
        };
        let path = self.src.within(
            "NeuroML file",
            file,
            self.src.dir().join(file),
            file_node,
            &mut self.errors,
        )?;
        if !path.is_file() {
            self.error(
                file_node,
                format!(
                    "NeuroML file `{}` not found (looked for {})",
                    file,
                    path.display()
                ),
            );
            return None;
        }
        match super::neuroml::import_within(&path, network, dt, &self.src.boundary) {
            Ok(imported) => Some(imported),
            Err(error) => {
                let message = format!("in the NeuroML model: {error}");
                self.error(file_node, message);
                None
            }
        }
    }

    fn engines(&mut self, node: Option<&'a Node>) -> Option<Vec<Simulator>> {
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Some(Simulator::DEFAULT.to_vec());
        };
        let items = self.list(node, "engines")?;
        if items.is_empty() {
            self.error(
                node,
                "`engines` is empty: leave it out to run on the four default simulators",
            );
            return None;
        }
        let names: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
        let mut engines = Vec::new();
        let mut ok = true;
        for item in items {
            let Some(text) = self.string(item, "engine") else {
                ok = false;
                continue;
            };
            match Simulator::from_name(text) {
                Some(s) if engines.contains(&s) => {
                    self.error(item, format!("engine `{text}` is listed twice"));
                    ok = false;
                }
                Some(s) => engines.push(s),
                None => {
                    let message = format!("unknown engine `{}`", text.escape_debug());
                    match nearest(text, &names) {
                        Some(near) => self.error_help(
                            item,
                            message,
                            format!("did you mean `{near}`? (engine names are case-sensitive)"),
                        ),
                        None => self.error_help(
                            item,
                            message,
                            format!("one of: {}", quoted_list(&names)),
                        ),
                    }
                    ok = false;
                }
            }
        }
        ok.then_some(engines)
    }

    fn simulation(&mut self, node: &'a Node) -> Option<Simulation> {
        self.mapping(node, "simulation", SIMULATION_KEYS)?;
        let before = self.errors.len();
        let duration = self
            .required(node, "duration", node, "`simulation`")
            .and_then(|d| self.positive(d, "duration", Dimension::TIME, true));
        let dt = match node.get("dt") {
            None => parse_expecting(DEFAULT_DT, Dimension::TIME).ok(),
            Some(d) => self.positive(d, "dt", Dimension::TIME, true),
        };
        let seed = match node.get("seed") {
            None => Some(DEFAULT_SEED),
            Some(s) => self.integer(s, "seed", 0, i64::MAX).map(|s| s as u64),
        };
        let threads = match node.get("threads") {
            None => Some(1),
            Some(t) => self.integer(t, "threads", 1, MAX_THREADS).map(|t| t as u32),
        };
        let connectivity = match node.get("connectivity") {
            None => Some(Connectivity::Crosscheck),
            Some(c) => self
                .choice(c, "connectivity", CONNECTIVITIES)
                .map(|c| match c {
                    "simulator" => Connectivity::Simulator,
                    _ => Connectivity::Crosscheck,
                }),
        };
        if let (Some(duration), Some(dt)) = (duration, dt) {
            let at = node.get("dt").or(node.get("duration")).unwrap_or(node);
            if duration.si / dt.si > MAX_STEPS {
                self.error(
                    at,
                    format!(
                        "{:.0} time steps (duration / dt) is more than the limit of {MAX_STEPS:.0}",
                        duration.si / dt.si
                    ),
                );
            } else if dt.si > duration.si {
                self.error(at, "`dt` is longer than `duration`");
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(Simulation {
            duration: duration?,
            dt: dt?,
            seed: seed?,
            threads: threads?,
            connectivity: connectivity?,
        })
    }

    fn populations(&mut self, node: &'a Node, simulation: Option<&Simulation>) -> Vec<Slot> {
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                format!(
                    "`populations` must be a mapping of name to population, found {}",
                    node.type_name()
                ),
            );
            return Vec::new();
        };
        if entries.is_empty() {
            self.error(
                node,
                "`populations` is empty: a suite needs at least one population",
            );
        }
        let mut slots: Vec<Slot> = Vec::new();
        for (key, value) in entries {
            let name = key.key_text().unwrap_or_default();
            let id = self.ident(key, "population name");
            if slots.iter().any(|s| s.name == name) {
                self.error(key, format!("population `{name}` is defined twice"));
            }
            let population = self.population(key, value, simulation, id);
            slots.push(Slot { name, population });
        }
        slots
    }

    /// One population; `id` is its validated name (`None` if invalid, already reported).
    fn population(
        &mut self,
        key: &Node,
        node: &'a Node,
        simulation: Option<&Simulation>,
        id: Option<Ident>,
    ) -> Option<Population> {
        let name = key.key_text().unwrap_or_default();
        let what = format!("population `{name}`");
        self.mapping(node, &what, POPULATION_KEYS)?;
        let before = self.errors.len();
        let kind = self.required(node, "cell", key, &what).and_then(|c| {
            let text = self.string(c, "cell")?;
            let kind = cell_kind(text);
            if kind.is_none() {
                let names: Vec<&str> = CELL_TYPES.iter().map(|k| k.name).collect();
                self.unknown(
                    c,
                    format!("unknown cell type `{}`", text.escape_debug()),
                    text,
                    &names,
                );
            }
            kind
        });
        let size = self
            .required(node, "size", key, &what)
            .and_then(|s| self.integer(s, "size", 1, MAX_POPULATION_SIZE))
            .map(|s| s as usize);
        let kind = kind?;
        let (params, v_init_sd) = match self.parameters(node, kind, simulation) {
            Some((params, sd)) => (Some(params), sd),
            None => (None, None),
        };
        let spike_times = match (node.entry("spike_times"), kind.name) {
            (Some((_, times)), "spike_source") => {
                size.and_then(|size| self.spike_times(times, size, simulation))
            }
            (None, "spike_source") => {
                self.error(
                    key,
                    format!("missing required key `spike_times` in {what} (a spike_source)"),
                );
                None
            }
            (Some((k, _)), _) => {
                self.error_help(
                    k,
                    format!(
                        "`spike_times` only applies to `spike_source`, not `{}`",
                        kind.name
                    ),
                    "drive cells through a projection from a spike_source population",
                );
                None
            }
            (None, _) => Some(Vec::new()),
        };
        // Kept even when parameters or spike times are wrong (those errors are recorded, so the
        // suite will not load): later sections still check cell indices and variables against
        // the population's type and size.
        let _ = before;
        Some(Population {
            id: id?,
            size: size?,
            kind,
            params: params.unwrap_or_default(),
            spike_times: spike_times.unwrap_or_default(),
            v_init_sd,
            location: self.src.location(key),
        })
    }

    /// Every parameter of `kind`, given ones checked, the rest from the library's defaults; and
    /// the spread of `v_init` when it is drawn.
    fn parameters(
        &mut self,
        node: &'a Node,
        kind: &'static CellKind,
        simulation: Option<&Simulation>,
    ) -> Option<(Parameters, Option<Quantity>)> {
        let mut v_init_sd = None;
        let given = match node.get("parameters") {
            None => &[][..],
            Some(p) if p.is_null() => &[][..],
            Some(p) => {
                let Some(entries) = p.as_map() else {
                    self.error(
                        p,
                        format!("`parameters` must be a mapping, found {}", p.type_name()),
                    );
                    return None;
                };
                entries
            }
        };
        let names: Vec<&str> = kind.params.iter().map(|p| p.name).collect();
        let mut ok = true;
        let mut values: Vec<(&'static ParamSpec, Option<(&Node, Quantity)>)> =
            kind.params.iter().map(|spec| (spec, None)).collect();
        for (key, value) in given {
            let name = key.key_text().unwrap_or_default();
            let Some(slot) = values.iter_mut().find(|(spec, _)| spec.name == name) else {
                let message = if names.is_empty() {
                    format!("`{}` has no parameters (`{name}` given)", kind.name)
                } else {
                    format!(
                        "unknown parameter `{}` for `{}`",
                        name.escape_debug(),
                        kind.name
                    )
                };
                self.unknown(key, message, &name, &names);
                ok = false;
                continue;
            };
            let spec = slot.0;
            let value_or_normal =
                self.quantity_or_normal(value, spec.name, spec.dimension, spec.name == "v_init");
            if let Some((_, sd)) = value_or_normal {
                v_init_sd = v_init_sd.or(sd);
            }
            match value_or_normal.map(|(q, _)| q) {
                Some(q) if param_in_range(spec.name, q.si) => slot.1 = Some((value, q)),
                Some(_) => {
                    let bound = if strictly_positive(spec.name) {
                        "positive"
                    } else {
                        "zero or positive"
                    };
                    self.error(value, format!("`{}` must be {bound}", spec.name));
                    ok = false;
                }
                None => ok = false,
            }
        }
        let mut params = Vec::new();
        for (spec, value) in &values {
            let quantity = match value {
                Some((_, q)) => *q,
                // A Poisson source's `stop` defaults to the end of the simulation.
                None if kind.name == "poisson_source"
                    && spec.name == "stop"
                    && simulation.is_some() =>
                {
                    simulation.map(|s| s.duration)?
                }
                None => match parse_expecting(spec.default, spec.dimension) {
                    Ok(q) => q,
                    Err(e) => {
                        // Guarded by the library's tests; reported rather than a panic.
                        self.error(
                            node,
                            format!(
                                "internal error: default of `{}.{}` (`{}`): {}",
                                kind.name, spec.name, spec.default, e.message
                            ),
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            params.push((spec.name, quantity));
        }
        if kind.name == "poisson_source" {
            let get = |n: &str| params.iter().find(|(p, _)| *p == n).map(|(_, q)| q.si);
            if let (Some(start), Some(stop)) = (get("start"), get("stop")) {
                if start >= stop {
                    let at = values
                        .iter()
                        .find(|(s, _)| s.name == "stop")
                        .and_then(|(_, v)| v.map(|(n, _)| n));
                    let at = at.or_else(|| node.get("parameters")).unwrap_or(node);
                    self.error(at, "a poisson_source's `start` must be before its `stop`");
                    ok = false;
                }
            }
        }
        ok.then_some((params, v_init_sd))
    }

    /// `spike_times`: one list for every cell, or one list per cell; each time within the run.
    fn spike_times(
        &mut self,
        node: &'a Node,
        size: usize,
        simulation: Option<&Simulation>,
    ) -> Option<Vec<Vec<Quantity>>> {
        let items = self.list(node, "spike_times")?;
        let per_cell = !items.is_empty() && items.iter().all(|i| i.as_seq().is_some());
        let lists: Vec<&Node> = if per_cell {
            if items.len() != size {
                self.error(node, format!("`spike_times` has {} lists but the population has {size} cells: give one list, or one per cell", items.len()));
                return None;
            }
            items.iter().collect()
        } else {
            vec![node]
        };
        let mut out = Vec::new();
        let mut ok = true;
        for list in lists {
            let Some(times) = self.list(list, "spike_times") else {
                ok = false;
                continue;
            };
            let mut cell = Vec::new();
            for t in times {
                match self.positive(t, "spike time", Dimension::TIME, false) {
                    Some(q) => {
                        if let Some(sim) = simulation {
                            if q.si > sim.duration.si {
                                self.error(
                                    t,
                                    "spike time is after the end of the simulation (`duration`)",
                                );
                                ok = false;
                                continue;
                            }
                        }
                        cell.push(q);
                    }
                    None => ok = false,
                }
            }
            cell.sort_by(|a, b| a.si.total_cmp(&b.si));
            out.push(cell);
        }
        ok.then_some(out)
    }

    /// A population name resolved to its index.
    fn population_ref(&mut self, node: &'a Node, what: &str, cx: &Context<'_>) -> Option<usize> {
        let text = self.string(node, what)?;
        let index = cx.slots.iter().position(|s| s.name == text);
        if index.is_none() {
            let names = cx.names();
            self.unknown(
                node,
                format!("unknown population `{}`", text.escape_debug()),
                text,
                &names,
            );
        }
        index
    }

    /// `cells`: `all` or a non-empty list of distinct indices below `size`.
    fn cells(&mut self, node: Option<&'a Node>, size: Option<usize>) -> Option<CellSelection> {
        let Some(node) = node else {
            return Some(CellSelection::All);
        };
        if node.as_str() == Some("all") {
            return Some(CellSelection::All);
        }
        let Some(items) = node.as_seq() else {
            self.error_help(
                node,
                format!(
                    "`cells` must be `all` or a list of cell indices, found {}",
                    node.type_name()
                ),
                "e.g. `cells: [0, 3]`",
            );
            return None;
        };
        if items.is_empty() {
            self.error(node, "`cells` is empty");
            return None;
        }
        let mut indices = Vec::new();
        let mut ok = true;
        for item in items {
            let max = size.map_or(MAX_POPULATION_SIZE - 1, |s| s as i64 - 1);
            match self.cell_index(item, max) {
                Some(i) if indices.contains(&i) => {
                    self.error(item, format!("cell {i} is listed twice"));
                    ok = false;
                }
                Some(i) => indices.push(i),
                None => ok = false,
            }
        }
        ok.then_some(CellSelection::Indices(indices))
    }

    fn cell_index(&mut self, node: &Node, max: i64) -> Option<usize> {
        let Some(i) = node.as_i64() else {
            self.error(
                node,
                format!(
                    "a cell index must be an integer, found {}",
                    node.type_name()
                ),
            );
            return None;
        };
        if i < 0 || i > max {
            self.error(
                node,
                format!(
                    "cell index {i} is out of range: the population has {} cells (0 to {max})",
                    max + 1
                ),
            );
            return None;
        }
        Some(i as usize)
    }

    fn projections(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Vec<Projection>> {
        let items = self.list(node, "projections")?;
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match self.projection(item, cx) {
                Some(p) => out.push(p),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn projection(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Projection> {
        let what = "a projection";
        self.mapping(node, "projection", PROJECTION_KEYS)?;
        let before = self.errors.len();
        let from = self
            .required(node, "from", node, what)
            .and_then(|n| self.population_ref(n, "from", cx));
        let to_node = self.required(node, "to", node, what);
        let to = to_node.and_then(|n| self.population_ref(n, "to", cx));
        let connector = self
            .required(node, "connector", node, what)
            .and_then(|n| self.connector(n, cx));
        let receptor = self
            .required(node, "receptor", node, what)
            .and_then(|n| self.choice(n, "receptor", RECEPTORS))
            .map(|r| match r {
                "inhibitory" => Receptor::Inhibitory,
                _ => Receptor::Excitatory,
            });
        let target = to.and_then(|i| cx.population(i));
        let weight_dim = match (target, to_node) {
            (Some(target), Some(at)) => match target.kind.synapse.weight_dimension() {
                Some(dim) => Some(dim),
                None => {
                    self.error_help(
                        at,
                        format!(
                            "`{}` is a {}: it receives no input",
                            target.id, target.kind.name
                        ),
                        "projections go from a source to cells, not into a source",
                    );
                    None
                }
            },
            _ => None,
        };
        let by_simulator = cx.simulation.map(|s| s.connectivity) == Some(Connectivity::Simulator);
        let mut weight_sd = None;
        let weight = self.required(node, "weight", node, what).and_then(|w| {
            let dim = weight_dim?;
            let q = self
                .quantity_or_normal(w, "weight", dim, true)
                .map(|(q, sd)| {
                    weight_sd = sd;
                    q
                });
            if q.is_none() {
                if let Some(last) = self.errors.last_mut() {
                    if last.help.is_none() {
                        last.help = Some(format!(
                            "`{}` cells ({}) take weights in {} units",
                            target.map_or("", |t| t.kind.name),
                            target.map_or("", |t| t.id.as_str()),
                            dim.name()
                        ));
                    }
                }
            }
            let q = q?;
            if q.si <= 0.0 {
                self.error_help(
                    w,
                    "`weight` must be positive",
                    "the `receptor` gives the sign",
                );
                return None;
            }
            Some(q)
        });
        let mut delay_sd = None;
        let delay = self.required(node, "delay", node, what).and_then(|d| {
            let (q, sd) = self.quantity_or_normal(d, "delay", Dimension::TIME, true)?;
            delay_sd = sd;
            if q.si <= 0.0 {
                self.error(d, "`delay` must be positive");
                return None;
            }
            let dt = cx.simulation?.dt;
            if q.si < dt.si * (1.0 - 1e-9) {
                self.error(d, "`delay` must be at least `dt`");
                return None;
            }
            Some(q)
        });
        for (key, sd) in [("weight", weight_sd), ("delay", delay_sd)] {
            if sd.is_some() && !by_simulator {
                let at = node.get(key).unwrap_or(node);
                self.error_help(
                    at,
                    format!("a per-synapse `{key}` distribution needs the simulators to draw the connections"),
                    "add `connectivity: simulator` to `simulation` (each simulator then draws the synapses from the suite's seed)",
                );
            }
        }
        if let (true, Some(c)) = (by_simulator, &connector) {
            let at = node.get("connector").unwrap_or(node);
            match c {
                Connector::FixedTotalNumber { .. }
                | Connector::AllToAll { .. }
                | Connector::OneToOne => {}
                _ => self.error_help(
                    at,
                    "with `connectivity: simulator`, random connectors must be `fixed_total_number`",
                    "the simulators draw these connections themselves, and `fixed_total_number` means the same on all of them; leave out `connectivity` to have crosscheck draw other connectors",
                ),
            }
            if let Some(seed) = node.get("connector").and_then(|c| c.get("seed")) {
                self.error_help(
                    seed,
                    "a connector's `seed` has no effect with `connectivity: simulator`",
                    "each simulator draws from `simulation.seed`",
                );
            }
        }
        if let (Some(c), Some(f), Some(t)) =
            (&connector, from.and_then(|i| cx.population(i)), target)
        {
            let at = node.get("connector").unwrap_or(node);
            self.connector_fits(at, c, f, t, from == to);
        }
        if let (Some(Connector::OneToOne), Some(f), Some(t)) =
            (&connector, from.and_then(|i| cx.population(i)), target)
        {
            if f.size != t.size {
                let at = node.get("connector").unwrap_or(node);
                self.error(at, format!("`one_to_one` needs populations of equal size: `{}` has {} cells, `{}` has {}", f.id, f.size, t.id, t.size));
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(Projection {
            from: from?,
            to: to?,
            connector: connector?,
            receptor: receptor?,
            weight: weight?,
            delay: delay?,
            weight_sd,
            delay_sd,
            location: self.src.location(node),
        })
    }

    fn connector(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Connector> {
        if node.as_str().is_some() {
            return match self.choice(node, "connector", CONNECTORS)? {
                "all_to_all" => Some(Connector::AllToAll {
                    allow_self_connections: false,
                }),
                "one_to_one" => Some(Connector::OneToOne),
                "fixed_indegree" => {
                    self.error_help(
                        node,
                        "`fixed_indegree` needs the number of inputs per cell",
                        "write `{fixed_indegree: 200, seed: 7}`",
                    );
                    None
                }
                "fixed_total_number" => {
                    self.error_help(
                        node,
                        "`fixed_total_number` needs the number of connections",
                        "write `{fixed_total_number: 10000, seed: 7}`",
                    );
                    None
                }
                _ => {
                    self.error_help(
                        node,
                        "`fixed_probability` needs a probability",
                        "write `{fixed_probability: 0.1, seed: 7}`",
                    );
                    None
                }
            };
        }
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                format!(
                    "`connector` must be a name or a mapping, found {}",
                    node.type_name()
                ),
            );
            return None;
        };
        if node.get("fixed_probability").is_some() {
            check_keys(
                self.src,
                entries,
                FIXED_PROBABILITY_KEYS,
                "in a `fixed_probability` connector",
                &mut self.errors,
            );
            let p = node.get("fixed_probability").and_then(|p| {
                let value = p.as_f64().filter(|v| (0.0..=1.0).contains(v));
                if value.is_none() {
                    self.error(p, "`fixed_probability` must be a number between 0 and 1");
                }
                value
            });
            let (seed, allow) = self.random_connector_options(node, cx);
            return Some(Connector::FixedProbability {
                p: p?,
                seed: seed?,
                allow_self_connections: allow?,
            });
        }
        if let Some(count) = node.get("fixed_indegree") {
            check_keys(
                self.src,
                entries,
                FIXED_INDEGREE_KEYS,
                "in a `fixed_indegree` connector",
                &mut self.errors,
            );
            let in_degree = self.integer(count, "fixed_indegree", 1, MAX_CONNECTIONS);
            let (seed, allow) = self.random_connector_options(node, cx);
            let multapses = match node.get("allow_multapses") {
                None => Some(true),
                Some(a) => self.boolean(a, "allow_multapses"),
            };
            return Some(Connector::FixedIndegree {
                in_degree: in_degree? as usize,
                seed: seed?,
                allow_self_connections: allow?,
                allow_multapses: multapses?,
            });
        }
        if let Some(count) = node.get("fixed_total_number") {
            check_keys(
                self.src,
                entries,
                FIXED_TOTAL_NUMBER_KEYS,
                "in a `fixed_total_number` connector",
                &mut self.errors,
            );
            let total = self.integer(count, "fixed_total_number", 1, MAX_CONNECTIONS);
            let (seed, allow) = self.random_connector_options(node, cx);
            return Some(Connector::FixedTotalNumber {
                total: total? as usize,
                seed: seed?,
                allow_self_connections: allow?,
            });
        }
        if let [(key, options)] = entries {
            match key.key_text().as_deref() {
                Some("all_to_all") => {
                    if options.is_null() {
                        return Some(Connector::AllToAll {
                            allow_self_connections: false,
                        });
                    }
                    self.mapping(options, "all_to_all", &["allow_self_connections"])?;
                    let allow = match options.get("allow_self_connections") {
                        None => Some(false),
                        Some(a) => self.boolean(a, "allow_self_connections"),
                    };
                    return Some(Connector::AllToAll {
                        allow_self_connections: allow?,
                    });
                }
                Some("one_to_one") if options.is_null() => return Some(Connector::OneToOne),
                _ => {}
            }
        }
        let (key, _) = &entries.first()?;
        let text = key.key_text().unwrap_or_default();
        self.unknown(
            key,
            format!("unknown connector `{}`", text.escape_debug()),
            &text,
            CONNECTORS,
        );
        None
    }

    /// `seed` (default: the simulation's) and `allow_self_connections` (default false) of a
    /// connector crosscheck draws.
    fn random_connector_options(
        &mut self,
        node: &Node,
        cx: &Context<'_>,
    ) -> (Option<u64>, Option<bool>) {
        let seed = match node.get("seed") {
            None => cx.simulation.map_or(Some(DEFAULT_SEED), |s| Some(s.seed)),
            Some(s) => self.integer(s, "seed", 0, i64::MAX).map(|s| s as u64),
        };
        let allow = match node.get("allow_self_connections") {
            None => Some(false),
            Some(a) => self.boolean(a, "allow_self_connections"),
        };
        (seed, allow)
    }

    /// Refuses a connector that cannot be drawn between these populations: more inputs per
    /// cell than there are distinct sources, more connections than a projection may have.
    fn connector_fits(
        &mut self,
        at: &Node,
        connector: &Connector,
        from: &Population,
        to: &Population,
        same: bool,
    ) {
        let eligible = |allow_self: bool| from.size - usize::from(same && !allow_self);
        let total = match connector {
            Connector::FixedIndegree {
                in_degree,
                allow_self_connections,
                allow_multapses,
                ..
            } => {
                let sources = eligible(*allow_self_connections);
                if sources == 0 || (!allow_multapses && *in_degree > sources) {
                    self.error_help(
                        at,
                        format!(
                            "`fixed_indegree: {in_degree}` needs that many distinct sources, but `{}` offers {sources}",
                            from.id
                        ),
                        "lower it, or allow repeated pairs with `allow_multapses: true`",
                    );
                    return;
                }
                in_degree.saturating_mul(to.size)
            }
            Connector::FixedTotalNumber {
                total,
                allow_self_connections,
                ..
            } => {
                if from.size == 1 && to.size == 1 && same && !allow_self_connections {
                    self.error(
                        at,
                        "no pair can be drawn: the only pair is a self-connection",
                    );
                    return;
                }
                *total
            }
            _ => return,
        };
        if total > MAX_CONNECTIONS as usize {
            self.error(
                at,
                format!("{total} connections in one projection: at most {MAX_CONNECTIONS}"),
            );
        }
    }

    fn stimuli(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Vec<Stimulus>> {
        let items = self.list(node, "stimuli")?;
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match self.stimulus(item, cx) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn stimulus(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Stimulus> {
        let entries = match node.as_map() {
            Some(entries @ [_]) => entries,
            _ => {
                self.error_help(
                    node,
                    "a stimulus must be a mapping with one key, its kind",
                    "e.g. `- step: {target: rs, amplitude: 100 pA, start: 100 ms, stop: 400 ms}`",
                );
                return None;
            }
        };
        let (kind_key, spec) = &entries[0];
        let kind = kind_key.key_text().unwrap_or_default();
        if !STIMULUS_KINDS.contains(&kind.as_str()) {
            self.unknown(
                kind_key,
                format!("unknown stimulus `{}`", kind.escape_debug()),
                &kind,
                STIMULUS_KINDS,
            );
            return None;
        }
        if kind == "poisson" {
            return self.poisson_stimulus(kind_key, spec, cx);
        }
        let what = "a `step` stimulus";
        self.mapping(spec, "step", STEP_KEYS)?;
        let before = self.errors.len();
        let (target, population) = self.stimulus_target(spec, kind_key, what, cx);
        let cells = self.cells(spec.get("cells"), population.map(|p| p.size));
        let amplitude = self
            .required(spec, "amplitude", kind_key, what)
            .and_then(|a| self.quantity(a, "amplitude", Dimension::CURRENT));
        let start = self
            .required(spec, "start", kind_key, what)
            .and_then(|s| self.positive(s, "start", Dimension::TIME, false));
        let stop_node = self.required(spec, "stop", kind_key, what);
        let stop = stop_node.and_then(|s| self.positive(s, "stop", Dimension::TIME, false));
        if let (Some(start), Some(stop), Some(at)) = (start, stop, stop_node) {
            if start.si >= stop.si {
                self.error(at, "`stop` must be after `start`");
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(Stimulus::Step {
            target: target?,
            cells: cells?,
            amplitude: amplitude?,
            start: start?,
            stop: stop?,
            location: self.src.location(kind_key),
        })
    }

    /// A stimulus's `target`: a population of cells, not a source.
    fn stimulus_target<'c>(
        &mut self,
        spec: &'a Node,
        kind_key: &'a Node,
        what: &str,
        cx: &'c Context<'_>,
    ) -> (Option<usize>, Option<&'c Population>) {
        let target_node = self.required(spec, "target", kind_key, what);
        let target = target_node.and_then(|n| self.population_ref(n, "target", cx));
        let population = target.and_then(|i| cx.population(i));
        if let (Some(p), Some(at)) = (population, target_node) {
            if p.kind.is_source {
                self.error(
                    at,
                    format!(
                        "`{}` is a {}: stimuli apply to cells, not sources",
                        p.id, p.kind.name
                    ),
                );
            }
        }
        (target, population)
    }

    fn poisson_stimulus(
        &mut self,
        kind_key: &'a Node,
        spec: &'a Node,
        cx: &Context<'_>,
    ) -> Option<Stimulus> {
        let what = "a `poisson` stimulus";
        self.mapping(spec, "poisson", POISSON_KEYS)?;
        let before = self.errors.len();
        let (target, population) = self.stimulus_target(spec, kind_key, what, cx);
        let rate = self
            .required(spec, "rate", kind_key, what)
            .and_then(|r| self.positive(r, "rate", Dimension::FREQUENCY, true));
        let weight_dim = population.and_then(|p| p.kind.synapse.weight_dimension());
        let weight = self.required(spec, "weight", kind_key, what).and_then(|w| {
            let q = self.quantity(w, "weight", weight_dim?)?;
            if q.si <= 0.0 {
                self.error_help(
                    w,
                    "`weight` must be positive",
                    "the `receptor` gives the sign",
                );
                return None;
            }
            Some(q)
        });
        let receptor = self
            .required(spec, "receptor", kind_key, what)
            .and_then(|n| self.choice(n, "receptor", RECEPTORS))
            .map(|r| match r {
                "inhibitory" => Receptor::Inhibitory,
                _ => Receptor::Excitatory,
            });
        let delay = match spec.get("delay") {
            None => None,
            Some(d) => match self.positive(d, "delay", Dimension::TIME, true) {
                Some(q) if cx.simulation.is_some_and(|s| q.si < s.dt.si * (1.0 - 1e-9)) => {
                    self.error(d, "`delay` must be at least `dt`");
                    None
                }
                Some(q) => Some(q),
                None => None,
            },
        };
        if self.errors.len() != before {
            return None;
        }
        Some(Stimulus::Poisson {
            target: target?,
            rate: rate?,
            weight: weight?,
            receptor: receptor?,
            delay,
            location: self.src.location(kind_key),
        })
    }

    fn recordings(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Vec<Recording>> {
        let items = self.list(node, "record")?;
        if items.is_empty() {
            self.error(
                node,
                "`record` is empty: record at least the spikes of one population",
            );
            return None;
        }
        let mut out = Vec::new();
        for item in items {
            out.extend(self.recording(item, cx));
        }
        Some(out)
    }

    fn recording(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Recording> {
        let what = "a recording";
        self.mapping(node, "record", RECORD_KEYS)?;
        let population = self
            .required(node, "population", node, what)
            .and_then(|n| self.population_ref(n, "population", cx));
        let pop = population.and_then(|i| cx.population(i));
        let variables = self.required(node, "variables", node, what).and_then(|v| {
            let items = self.list(v, "variables")?;
            if items.is_empty() {
                self.error(v, "`variables` is empty");
                return None;
            }
            let pop = pop?;
            let mut candidates = vec!["spikes"];
            candidates.extend(pop.kind.state_variables.iter().map(|s| s.name));
            let mut out = Vec::new();
            for item in items {
                let text = self.string(item, "variable")?;
                let variable = if text == "spikes" {
                    Variable::Spikes
                } else if let Some(sv) = pop.kind.state_variable(text) {
                    Variable::State(sv.name)
                } else {
                    let message = if pop.kind.is_source {
                        format!(
                            "`{}` is a {}: only `spikes` can be recorded",
                            pop.id, pop.kind.name
                        )
                    } else {
                        format!(
                            "`{}` cells have no variable `{}`",
                            pop.kind.name,
                            text.escape_debug()
                        )
                    };
                    self.unknown(item, message, text, &candidates);
                    continue;
                };
                if out.contains(&variable) {
                    self.error(item, format!("`{text}` is listed twice"));
                    continue;
                }
                out.push(variable);
            }
            Some(out)
        });
        let cells = self.cells(node.get("cells"), pop.map(|p| p.size));
        // Kept with its valid variables even after an error (recorded, so the suite will not
        // load), so that checks referring to it are still validated without cascading.
        Some(Recording {
            population: population?,
            variables: variables?,
            cells: cells.unwrap_or(CellSelection::All),
            location: self.src.location(node),
        })
    }

    fn sweep(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        stimuli: Option<&[Stimulus]>,
        projections: Option<&[Projection]>,
    ) -> Option<Sweep> {
        self.mapping(node, "sweep", SWEEP_KEYS)?;
        let before = self.errors.len();
        let target = self
            .required(node, "parameter", node, "`sweep`")
            .and_then(|p| self.sweep_target(p, cx, stimuli, projections));
        let values = self
            .required(node, "values", node, "`sweep`")
            .and_then(|v| {
                let items = self.list(v, "values")?;
                if items.is_empty() || items.len() > MAX_SWEEP_POINTS {
                    self.error(
                        v,
                        format!(
                            "a sweep needs between 1 and {MAX_SWEEP_POINTS} values, found {}",
                            items.len()
                        ),
                    );
                    return None;
                }
                let (_, dim) = target.as_ref()?;
                let values: Vec<_> = items
                    .iter()
                    .map(|i| self.quantity(i, "sweep value", *dim))
                    .collect();
                values.into_iter().collect::<Option<Vec<_>>>()
            });
        if self.errors.len() != before {
            return None;
        }
        Some(Sweep {
            target: target?.0,
            values: values?,
            location: self.src.location(node),
        })
    }

    /// `stimuli[N].amplitude`, `populations.NAME.parameters.PARAM` or `projections[N].weight`,
    /// with the dimension its values must have.
    fn sweep_target(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        stimuli: Option<&[Stimulus]>,
        projections: Option<&[Projection]>,
    ) -> Option<(SweepTarget, Dimension)> {
        let text = self.string(node, "parameter")?;
        let syntax_help = "write `stimuli[N].amplitude`, `populations.NAME.parameters.PARAM` or `projections[N].weight`";
        let indexed = |prefix: &str, suffix: &str| -> Option<Option<usize>> {
            let rest = text.strip_prefix(prefix)?.strip_suffix(suffix)?;
            Some(
                rest.parse::<usize>()
                    .ok()
                    .filter(|_| rest.bytes().all(|b| b.is_ascii_digit())),
            )
        };
        if let Some(index) = indexed("stimuli[", "].amplitude") {
            let stimuli = stimuli?;
            return match index.filter(|&i| i < stimuli.len()) {
                Some(stimulus) => Some((
                    SweepTarget::StimulusAmplitude { stimulus },
                    Dimension::CURRENT,
                )),
                None => {
                    self.error(node, format!("there is no stimulus `{text}`: the suite has {} stimuli (indices from 0)", stimuli.len()));
                    None
                }
            };
        }
        if let Some(index) = indexed("projections[", "].weight") {
            let projections = projections?;
            return match index.and_then(|i| projections.get(i).map(|p| (i, p))) {
                Some((projection, p)) => {
                    let dim = cx.population(p.to)?.kind.synapse.weight_dimension()?;
                    Some((SweepTarget::ProjectionWeight { projection }, dim))
                }
                None => {
                    self.error(node, format!("there is no projection `{text}`: the suite has {} projections (indices from 0)", projections.len()));
                    None
                }
            };
        }
        let parts: Vec<&str> = text.split('.').collect();
        if let ["populations", name, "parameters", param] = parts.as_slice() {
            let Some(population) = cx.slots.iter().position(|s| s.name == *name) else {
                let names = cx.names();
                self.unknown(
                    node,
                    format!(
                        "unknown population `{}` in sweep parameter",
                        name.escape_debug()
                    ),
                    name,
                    &names,
                );
                return None;
            };
            let kind = cx.population(population)?.kind;
            let Some(spec) = kind.param(param) else {
                let names: Vec<&str> = kind.params.iter().map(|p| p.name).collect();
                self.unknown(
                    node,
                    format!(
                        "`{}` cells have no parameter `{}`",
                        kind.name,
                        param.escape_debug()
                    ),
                    param,
                    &names,
                );
                return None;
            };
            return Some((
                SweepTarget::PopulationParam {
                    population,
                    param: spec.name,
                },
                spec.dimension,
            ));
        }
        self.error_help(
            node,
            format!("cannot sweep `{}`", text.escape_debug()),
            syntax_help,
        );
        None
    }

    fn checks(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
        sweep: Option<&Sweep>,
    ) -> Option<Checks> {
        self.mapping(node, "checks", CHECKS_KEYS)?;
        let before = self.errors.len();
        let mut checks = Checks::default();
        if let Some(n) = node.get("reference") {
            checks.reference = self.rules(n, "reference", cx, recordings);
        }
        if let Some(n) = node.get("agreement") {
            checks.agreement = self.rules(n, "agreement", cx, recordings);
        }
        if let Some(n) = node.get("features").filter(|n| !n.is_null()) {
            if let Some(items) = self.list(n, "features") {
                for item in items {
                    if let Some(f) = self.feature(item, cx, recordings, sweep) {
                        checks.features.push(f);
                    }
                }
            }
        }
        if let Some(n) = node.get("statistics").filter(|n| !n.is_null()) {
            if let Some(items) = self.list(n, "statistics") {
                for item in items {
                    if let Some(s) = self.statistic(item, cx, recordings) {
                        checks.statistics.push(s);
                    }
                }
            }
        }
        if let Some(n) = node.get("distributions") {
            if sweep.is_some() {
                // Calibrated on one run's seeds; each sweep point is another model.
                self.error_help(
                    n,
                    "`distributions` cannot go with a `sweep`",
                    "compare the network's distributions in a suite without a sweep",
                );
            } else {
                checks.distributions = self.distributions(n, cx, recordings);
            }
        }
        if let Some(n) = node.get("published") {
            if sweep.is_some() {
                // Published figures describe one run; each sweep point is another model.
                self.error_help(
                    n,
                    "`published` figures cannot go with a `sweep`",
                    "put the published run in a suite of its own",
                );
            } else {
                checks.published = self.published(n, cx, recordings);
            }
        }
        if self.errors.len() != before {
            return None;
        }
        if checks.reference.is_none()
            && checks.agreement.is_none()
            && checks.features.is_empty()
            && checks.statistics.is_empty()
            && checks.distributions.is_none()
            && checks.published.is_none()
            // Given but not resolved (the simulation it refers to was invalid, reported there).
            && node.get("published").is_none()
        {
            self.error_help(
                node,
                "`checks` is empty: a suite must check something",
                format!("add one of {}", quoted_list(CHECKS_KEYS)),
            );
            return None;
        }
        Some(checks)
    }

    fn distributions(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
    ) -> Option<DistributionCheck> {
        let what = "`distributions`";
        self.mapping(node, "distributions", DISTRIBUTION_KEYS)?;
        let before = self.errors.len();
        let engines: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
        let reference = self
            .required(node, "reference", node, what)
            .and_then(|r| self.choice(r, "reference", &engines))
            .and_then(Simulator::from_name);
        let seeds = self.required(node, "seeds", node, what).and_then(|list| {
            let items = self.list(list, "seeds")?;
            if items.is_empty() || items.len() > MAX_CALIBRATION_SEEDS {
                self.error(
                    list,
                    format!("`seeds` needs 1 to {MAX_CALIBRATION_SEEDS} seeds besides the suite's"),
                );
                return None;
            }
            let mut seeds = Vec::new();
            for item in items {
                let seed = self.integer(item, "seed", 0, i64::MAX)? as u64;
                if seeds.contains(&seed) || cx.simulation.is_some_and(|s| s.seed == seed) {
                    self.error(
                        item,
                        format!("seed {seed} is already used: each seed must be new"),
                    );
                    return None;
                }
                seeds.push(seed);
            }
            Some(seeds)
        });
        let names: Vec<&str> = Distribution::ALL.iter().map(|d| d.name()).collect();
        let statistics = self
            .required(node, "statistics", node, what)
            .and_then(|list| {
                let items = self.list(list, "statistics")?;
                if items.is_empty() {
                    self.error(
                        list,
                        "`statistics` is empty: name any of `rate`, `cv_isi`, `correlation`",
                    );
                    return None;
                }
                let mut out = Vec::new();
                for item in items {
                    let name = self.choice(item, "statistic", &names)?;
                    let d = Distribution::ALL.into_iter().find(|d| d.name() == name)?;
                    if !out.contains(&d) {
                        out.push(d);
                    }
                }
                Some(out)
            });
        let start = self.start_time(node, cx);
        let margin = match node.get("margin") {
            None => Some(DEFAULT_MARGIN),
            Some(m) => {
                let value = m.as_f64().filter(|v| (1.0..=10.0).contains(v));
                if value.is_none() {
                    self.error(m, "`margin` must be a number from 1 to 10");
                }
                value
            }
        };
        if recordings.is_some_and(|r| !r.iter().any(|r| r.variables.contains(&Variable::Spikes))) {
            self.error(
                node,
                "`distributions` compares spikes: record the spikes of a population",
            );
        }
        if self.errors.len() != before {
            return None;
        }
        Some(DistributionCheck {
            reference: reference?,
            seeds: seeds?,
            statistics: statistics?,
            start: start?,
            margin: margin?,
            location: self.src.location(node),
        })
    }

    fn published(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
    ) -> Option<PublishedCheck> {
        let what = "`published`";
        self.mapping(node, "published", PUBLISHED_KEYS)?;
        let before = self.errors.len();
        let source = self
            .required(node, "source", node, what)
            .and_then(|s| self.string(s, "source"))
            .map(str::to_string);
        let start = self.start_time(node, cx);
        let stop = match node.get("stop") {
            None => cx.simulation.map(|s| s.duration),
            Some(t) => self
                .positive(t, "stop", Dimension::TIME, true)
                .and_then(|q| {
                    let duration = cx.simulation?.duration;
                    if q.si > duration.si * (1.0 + 1e-12) {
                        self.error(t, "`stop` is after the end of the simulation");
                        return None;
                    }
                    Some(q)
                }),
        };
        if let (Some(a), Some(b)) = (start, stop) {
            if a.si >= b.si {
                let at = node.get("stop").unwrap_or(node);
                self.error(at, "`stop` must be after `start`");
            }
        }
        let tolerance = self
            .required(node, "tolerance", node, what)
            .and_then(|t| self.positive(t, "tolerance", Dimension::FREQUENCY, false));
        let engine_names: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
        let engines = self.required(node, "engines", node, what).and_then(|list| {
            let items = self.list(list, "engines")?;
            if items.is_empty() {
                self.error(
                    list,
                    "`engines` is empty: name the engines held to the figures",
                );
                return None;
            }
            let mut out = Vec::new();
            for item in items {
                let name = self.choice(item, "engine", &engine_names)?;
                out.extend(Simulator::from_name(name).filter(|s| !out.contains(s)));
            }
            Some(out)
        });
        let rates = self
            .required(node, "mean_rate", node, what)
            .and_then(|map| {
                let Some(entries) = map.as_map() else {
                    self.error(
                        map,
                        format!(
                            "`mean_rate` must map populations to rates, found {}",
                            map.type_name()
                        ),
                    );
                    return None;
                };
                let mut out = Vec::new();
                for (key, value) in entries {
                    let population = self.population_ref(key, "population", cx);
                    let rate = self.positive(value, "mean_rate", Dimension::FREQUENCY, false);
                    if let (Some(p), Some(rate)) = (population, rate) {
                        if recordings.is_some_and(|r| {
                            !r.iter().any(|r| {
                                r.population == p && r.variables.contains(&Variable::Spikes)
                            })
                        }) {
                            self.error(key, "record this population's spikes to compare its rate");
                        }
                        out.push((p, rate));
                    }
                }
                Some(out)
            });
        if self.errors.len() != before {
            return None;
        }
        Some(PublishedCheck {
            source: source?,
            start: start?,
            stop: stop?,
            tolerance: tolerance?,
            engines: engines?,
            rates: rates?,
            location: self.src.location(node),
        })
    }

    /// A check's `start` (default 0 ms), before the end of the simulation.
    fn start_time(&mut self, node: &Node, cx: &Context<'_>) -> Option<Quantity> {
        match node.get("start") {
            None => Some(Quantity {
                si: 0.0,
                dim: Dimension::TIME,
            }),
            Some(t) => self
                .positive(t, "start", Dimension::TIME, false)
                .and_then(|q| {
                    let duration = cx.simulation?.duration;
                    if q.si >= duration.si {
                        self.error(t, "`start` must be before the end of the simulation");
                        return None;
                    }
                    Some(q)
                }),
        }
    }

    fn rules(
        &mut self,
        node: &'a Node,
        what: &str,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
    ) -> Option<RecordingRules> {
        self.mapping(node, what, RULES_KEYS)?;
        let before = self.errors.len();
        let spike_window = match node.get("spikes") {
            None => None,
            Some(s) => {
                self.mapping(s, "spikes", &["window"]);
                self.required(s, "window", s, "`spikes`")
                    .and_then(|w| self.positive(w, "window", Dimension::TIME, true))
            }
        };
        let mut traces = Vec::new();
        if let Some(t) = node.get("traces") {
            // Keys are variable names, checked against what is recorded.
            match (t.as_map(), recordings) {
                (None, _) => self.error(
                    t,
                    format!(
                        "`traces` must be a mapping of variable to bounds, found {}",
                        t.type_name()
                    ),
                ),
                (Some(entries), Some(recordings)) => {
                    for (key, spec) in entries {
                        if let Some(rule) = self.trace_rule(key, spec, cx, recordings) {
                            traces.push(rule);
                        }
                    }
                }
                (Some(_), None) => {}
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(RecordingRules {
            spike_window,
            traces,
            location: self.src.location(node),
        })
    }

    fn trace_rule(
        &mut self,
        key: &Node,
        spec: &'a Node,
        cx: &Context<'_>,
        recordings: &[Recording],
    ) -> Option<TraceRule> {
        let name = key.key_text().unwrap_or_default();
        // The dimension of `name` in every population that records it.
        let mut variable = None;
        let mut dims: Vec<(Dimension, &str)> = Vec::new();
        let mut recorded: Vec<&str> = Vec::new();
        for r in recordings {
            let Some(pop) = cx.population(r.population) else {
                continue;
            };
            for v in &r.variables {
                if let Variable::State(s) = v {
                    recorded.push(s);
                    if *s == name {
                        variable = Some(*s);
                        if let Some(sv) = pop.kind.state_variable(s) {
                            dims.push((sv.dimension, pop.kind.name));
                        }
                    }
                }
            }
        }
        let Some(variable) = variable else {
            recorded.sort_unstable();
            recorded.dedup();
            self.unknown(
                key,
                format!(
                    "no recording records `{}`: trace rules apply to recorded state variables",
                    name.escape_debug()
                ),
                &name,
                &recorded,
            );
            return None;
        };
        dims.dedup_by_key(|(d, _)| *d);
        if let [(a, kind_a), (b, kind_b), ..] = dims.as_slice() {
            self.error(key, format!("`{variable}` is a {} in `{kind_a}` but a {} in `{kind_b}`: one tolerance cannot fit both", a.name(), b.name()));
            return None;
        }
        let dim = dims.first()?.0;
        self.mapping(spec, &name, TRACE_KEYS)?;
        let max_abs = spec
            .get("max_abs")
            .map(|n| self.positive(n, "max_abs", dim, false));
        let rms = spec.get("rms").map(|n| self.positive(n, "rms", dim, false));
        if max_abs.is_none() && rms.is_none() {
            self.error_help(
                spec,
                format!("trace rule for `{variable}` gives no bound"),
                "give `max_abs`, `rms` or both",
            );
            return None;
        }
        Some(TraceRule {
            variable,
            max_abs: max_abs.map_or(Some(None), |q| q.map(Some))?,
            rms: rms.map_or(Some(None), |q| q.map(Some))?,
        })
    }

    /// Reports at `at` unless `variable` of `cell` of `population` is recorded.
    fn require_recorded(
        &mut self,
        at: &Node,
        recordings: &[Recording],
        population: usize,
        cell: Option<usize>,
        variable: &Variable,
        pop_name: &str,
    ) {
        let recorded = recordings.iter().any(|r| {
            r.population == population
                && r.variables.contains(variable)
                && match (&r.cells, cell) {
                    (CellSelection::All, _) | (_, None) => true,
                    (CellSelection::Indices(i), Some(c)) => i.contains(&c),
                }
        });
        if !recorded {
            let name = match variable {
                Variable::Spikes => "spikes",
                Variable::State(s) => s,
            };
            let which = cell.map_or(String::new(), |c| format!(" of cell {c}"));
            self.error_help(
                at,
                format!(
                    "this check needs the `{name}`{which} of `{pop_name}`, which are not recorded"
                ),
                format!("add `{{population: {pop_name}, variables: [{name}]}}` to `record`"),
            );
        }
    }

    fn feature(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
        sweep: Option<&Sweep>,
    ) -> Option<FeatureCheck> {
        let what = "a feature check";
        self.mapping(node, "features", FEATURE_KEYS)?;
        let before = self.errors.len();
        let names: Vec<&'static str> = Feature::ALL.iter().map(|f| f.name()).collect();
        let feature = self
            .required(node, "feature", node, what)
            .and_then(|f| self.choice(f, "feature", &names))
            .and_then(|name| Feature::ALL.into_iter().find(|f| f.name() == name));
        let pop_node = self.required(node, "population", node, what);
        let population = pop_node.and_then(|n| self.population_ref(n, "population", cx));
        let pop = population.and_then(|i| cx.population(i));
        let cell = match node.get("cell") {
            None => Some(0),
            Some(c) => self.cell_index(
                c,
                pop.map_or(MAX_POPULATION_SIZE - 1, |p| p.size as i64 - 1),
            ),
        };
        let points = sweep.map_or(1, |s| s.values.len());
        let expected = self.required(node, "expected", node, what).and_then(|e| {
            let feature = feature?;
            let dim = feature.dimension();
            let values: Vec<Quantity> = match e.as_seq() {
                Some(items) => {
                    if items.len() != points && items.len() != 1 {
                        let message = match sweep {
                            Some(_) => format!(
                                "`expected` has {} values but the sweep has {points} points",
                                items.len()
                            ),
                            None => format!(
                                "`expected` has {} values but there is no sweep: give one value",
                                items.len()
                            ),
                        };
                        self.error_help(
                            e,
                            message,
                            "give one value for every point, or a single value for all",
                        );
                        return None;
                    }
                    items
                        .iter()
                        .map(|i| self.expected_value(i, feature))
                        .collect::<Vec<_>>()
                        .into_iter()
                        .collect::<Option<_>>()?
                }
                None => vec![self.expected_value(e, feature)?],
            };
            let _ = dim;
            Some(if values.len() == 1 {
                vec![values[0]; points]
            } else {
                values
            })
        });
        let tolerance = self
            .required(node, "tolerance", node, what)
            .and_then(|t| self.positive(t, "tolerance", feature?.dimension(), false));
        if let (Some(f), Some(p), Some(i), Some(at), Some(recordings)) =
            (feature, pop, population, pop_node, recordings)
        {
            if p.kind.is_source && f.needs() != Variable::Spikes {
                self.error(
                    at,
                    format!(
                        "`{}` is a {}: it has no membrane potential",
                        p.id, p.kind.name
                    ),
                );
            } else {
                self.require_recorded(at, recordings, i, cell, &f.needs(), p.id.as_str());
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(FeatureCheck {
            feature: feature?,
            population: population?,
            cell: cell?,
            expected: expected?,
            tolerance: tolerance?,
            location: self.src.location(node),
        })
    }

    fn expected_value(&mut self, node: &Node, feature: Feature) -> Option<Quantity> {
        let q = self.quantity(node, "expected", feature.dimension())?;
        if feature == Feature::SpikeCount && (q.si < 0.0 || q.si.fract() != 0.0) {
            self.error(node, "a `spike_count` must be a whole number, zero or more");
            return None;
        }
        Some(q)
    }

    fn statistic(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
    ) -> Option<StatisticCheck> {
        let what = "a statistic check";
        self.mapping(node, "statistics", STATISTIC_KEYS)?;
        let before = self.errors.len();
        let names: Vec<&'static str> = Statistic::ALL.iter().map(|s| s.name()).collect();
        let statistic = self
            .required(node, "statistic", node, what)
            .and_then(|s| self.choice(s, "statistic", &names))
            .and_then(|name| Statistic::ALL.into_iter().find(|s| s.name() == name));
        let pop_node = self.required(node, "population", node, what);
        let population = pop_node.and_then(|n| self.population_ref(n, "population", cx));
        let criterion = statistic.and_then(|s| self.criterion(node, s.dimension()));
        let start = self.start_time(node, cx);
        if let (Some(i), Some(at), Some(recordings)) = (population, pop_node, recordings) {
            if let Some(p) = cx.population(i) {
                self.require_recorded(at, recordings, i, None, &Variable::Spikes, p.id.as_str());
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(StatisticCheck {
            statistic: statistic?,
            population: population?,
            criterion: criterion?,
            start: start?,
            location: self.src.location(node),
        })
    }

    /// `expected` and `tolerance`, or `min` and/or `max`, of dimension `dim`.
    fn criterion(&mut self, node: &'a Node, dim: Dimension) -> Option<Criterion> {
        let has = |key| node.get(key).is_some();
        if has("expected") || has("tolerance") || !(has("min") || has("max")) {
            if let Some(bound) = ["min", "max"].into_iter().find_map(|k| node.get(k)) {
                self.error_help(
                    bound,
                    "a statistic takes `expected` and `tolerance`, or `min` and/or `max`, not both",
                    "`min`/`max` state a range, e.g. `{statistic: cv_isi, population: exc, min: 0.8}`",
                );
                return None;
            }
            let what = "a statistic check (or give `min` and/or `max`)";
            let expected = self
                .required(node, "expected", node, what)
                .and_then(|e| self.quantity(e, "expected", dim));
            let tolerance = self
                .required(node, "tolerance", node, what)
                .and_then(|t| self.positive(t, "tolerance", dim, false));
            return Some(Criterion::Within {
                expected: expected?,
                tolerance: tolerance?,
            });
        }
        let mut bound = |key| match node.get(key) {
            None => Some(None),
            Some(b) => self.quantity(b, key, dim).map(Some),
        };
        let (min, max) = (bound("min")?, bound("max")?);
        if let (Some(lo), Some(hi), Some(at)) = (min, max, node.get("max")) {
            if lo.si > hi.si {
                self.error(at, "`max` must not be below `min`");
                return None;
            }
        }
        Some(Criterion::Range { min, max })
    }
}

/// Parameters that only make sense positive (time constants, capacitance) or non-negative
/// (refractory period, rates, conductances, source times): a negative value would make a
/// simulator fail or silently do something else.
fn strictly_positive(name: &str) -> bool {
    name == "cm" || (name.starts_with("tau_") && name != "tau_refrac")
}

fn param_in_range(name: &str, si: f64) -> bool {
    if strictly_positive(name) {
        return si > 0.0;
    }
    let non_negative = matches!(name, "tau_refrac" | "rate" | "start" | "stop" | "delta_T")
        || name.starts_with("g_");
    !non_negative || si >= 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn suites_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/native")
    }

    /// Loads `text` as a suite file in a temporary directory.
    fn load_text(text: &str) -> Result<NativeSuite, Vec<LoadError>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.crosscheck.yaml");
        std::fs::write(&path, text).expect("write");
        load_suite(&path)
    }

    /// The errors of an invalid suite as (line, column, message, help).
    fn errors(text: &str) -> Vec<(usize, usize, String, String)> {
        match load_text(text) {
            Ok(_) => panic!("loaded:\n{text}"),
            Err(errors) => errors
                .into_iter()
                .map(|e| {
                    (
                        e.location.line,
                        e.location.column,
                        e.message,
                        e.help.unwrap_or_default(),
                    )
                })
                .collect(),
        }
    }

    /// The single error of an invalid suite.
    fn error(text: &str) -> (usize, usize, String, String) {
        let mut all = errors(text);
        assert_eq!(all.len(), 1, "{all:#?}");
        all.remove(0)
    }

    const MINIMAL: &str = "\
suite: small
simulation: {duration: 100 ms}
populations:
  rs: {cell: izhikevich, size: 2}
stimuli:
  - step: {target: rs, amplitude: 10 pA, start: 10 ms, stop: 90 ms}
record:
  - {population: rs, variables: [spikes, v]}
checks:
  agreement: {spikes: {window: 1 ms}}
";

    /// A suite using the NeuroML model `nml` (written beside it as `m.nml`), with `extra` YAML.
    fn load_neuroml(nml: &str, extra: &str) -> Result<NativeSuite, Vec<LoadError>> {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("m.nml"), nml).expect("write");
        let path = dir.path().join("t.crosscheck.yaml");
        let text = format!(
            "suite: nml\nsimulation: {{duration: 10 ms}}\nmodel: {{neuroml: m.nml}}\n{extra}\
             record:\n  - {{population: p, variables: [spikes, v]}}\nchecks:\n  agreement: {{spikes: {{window: 1 ms}}}}\n"
        );
        std::fs::write(&path, text).expect("write");
        load_suite(&path)
    }

    const IAF_NML: &str = r#"<neuroml id="m">
<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<pulseGenerator id="pg" delay="1ms" duration="5ms" amplitude="0.3nA"/>
<network id="net"><population id="p" component="c" size="2"/><explicitInput target="p[1]" input="pg"/></network>
</neuroml>"#;

    #[test]
    fn a_neuroml_model_loads_its_populations_and_inputs() {
        let suite = load_neuroml(IAF_NML, "").unwrap_or_else(|e| panic!("{e:?}"));
        let model = suite.model.as_ref().expect("model");
        assert_eq!(model.network, "net");
        assert_eq!(suite.populations.len(), 1);
        assert_eq!(suite.populations[0].size, 2);
        assert_eq!(suite.stimuli.len(), 1);
        assert_eq!(suite.recordings[0].population, 0);
    }

    #[test]
    fn a_neuroml_model_excludes_inline_network_keys() {
        let errors = load_neuroml(
            IAF_NML,
            "populations:\n  q: {cell: izhikevich, size: 1}\nstimuli: []\n",
        )
        .unwrap_err();
        let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m == "`populations` cannot be used with `model`"),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m == "`stimuli` cannot be used with `model`"),
            "{messages:?}"
        );
        // Each at its own key.
        assert!(errors.iter().all(|e| e.location.line >= 4), "{errors:?}");
    }

    #[test]
    fn neuroml_model_errors_point_into_both_files() {
        // A missing file: at the path in the suite.
        let errors = self::errors(
            "suite: x\nsimulation: {duration: 1 ms}\nmodel: {neuroml: nowhere.nml}\nrecord: []\nchecks: {}\n",
        );
        let (line, column, message, _) = &errors[0];
        assert_eq!((*line, *column), (3, 18), "{errors:?}");
        assert!(message.contains("not found"), "{message}");
        // An error inside the NeuroML file names it with its line.
        let bad = IAF_NML.replace("0.25nF", "0.25nS");
        let errors = load_neuroml(&bad, "").unwrap_err();
        assert!(
            errors[0].message.contains("m.nml:2:") && errors[0].message.contains("C=\"0.25nS\""),
            "{errors:?}"
        );
        // A recording of a population the file does not define: the nearest name.
        let errors = load_neuroml(&IAF_NML.replace("id=\"p\"", "id=\"pp\""), "").unwrap_err();
        assert!(
            errors.iter().any(|e| e.message.contains("`p`")),
            "{errors:?}"
        );
        // An unknown key in `model`, with the nearest valid one.
        let all = self::errors(
            "suite: x\nsimulation: {duration: 1 ms}\nmodel: {nueroml: m.nml}\nrecord: []\nchecks: {}\n",
        );
        assert!(
            all.iter()
                .any(|e| e.2.contains("unknown key `nueroml`") && e.3 == "did you mean `neuroml`?"),
            "{all:#?}"
        );
    }

    /// `MINIMAL` with `from` replaced by `to` (exactly once).
    fn minimal_with(from: &str, to: &str) -> String {
        assert_eq!(MINIMAL.matches(from).count(), 1, "{from}");
        MINIMAL.replacen(from, to, 1)
    }

    fn si(q: &Quantity) -> f64 {
        q.si
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-30)
    }

    #[test]
    fn example_suites_load_with_resolved_values() {
        let rs = load_suite(&suites_dir().join("izhikevich_rs.crosscheck.yaml")).expect("rs");
        assert_eq!(rs.name.as_str(), "izhikevich_rs");
        assert_eq!(rs.engines, Simulator::DEFAULT);
        assert_eq!(rs.simulation.seed, 42);
        assert!(close(si(&rs.simulation.dt), 25e-6));
        let pop = &rs.populations[0];
        assert_eq!(
            (pop.id.as_str(), pop.kind.name, pop.size),
            ("rs", "izhikevich", 1)
        );
        assert!(close(pop.param("c").map(si).expect("c"), -0.065));
        assert!(close(pop.param("a").map(si).expect("a"), 20.0));
        // Not given: the library's defaults.
        assert!(close(
            pop.param("v_thresh").map(si).expect("v_thresh"),
            0.030
        ));
        assert!(close(pop.param("u_init").map(si).expect("u_init"), -13.0));
        assert_eq!(pop.params.len(), pop.kind.params.len());
        let Stimulus::Step {
            target, amplitude, ..
        } = &rs.stimuli[0]
        else {
            panic!("a step")
        };
        assert_eq!(*target, 0);
        assert!(close(amplitude.si, 10e-12));
        assert_eq!(
            rs.recordings[0].variables,
            [Variable::Spikes, Variable::State("v"), Variable::State("u")]
        );
        let reference = rs.checks.reference.as_ref().expect("reference");
        assert_eq!(reference.traces.len(), 2);
        assert_eq!(rs.checks.features[0].feature, Feature::SpikeCount);
        assert_eq!(rs.checks.features[0].expected.len(), 1);
        assert_eq!(rs.location.line, 3);

        let lif =
            load_suite(&suites_dir().join("lif_alpha_spike_source.crosscheck.yaml")).expect("lif");
        assert_eq!(lif.engines.len(), 4);
        assert_eq!(lif.simulation.seed, DEFAULT_SEED);
        let p = &lif.projections[0];
        assert_eq!((p.from, p.to), (0, 1));
        assert_eq!(
            p.connector,
            Connector::AllToAll {
                allow_self_connections: false
            }
        );
        assert_eq!(p.receptor, Receptor::Excitatory);
        assert!(close(p.weight.si, 1e-9));
        assert_eq!(lif.populations[0].spike_times.len(), 1);
        assert_eq!(lif.populations[0].spike_times_of(0).len(), 9);
        assert!(close(lif.populations[0].spike_times_of(0)[0].si, 0.020));
        assert!(close(
            lif.populations[1].param("tau_syn_I").map(si).expect("tau"),
            2e-3
        ));

        let fi = load_suite(&suites_dir().join("fi_curve.crosscheck.yaml")).expect("fi");
        let sweep = fi.sweep.as_ref().expect("sweep");
        assert_eq!(sweep.target, SweepTarget::StimulusAmplitude { stimulus: 0 });
        assert_eq!(sweep.values.len(), 6);
        assert_eq!(fi.checks.features[0].expected.len(), 6);
        assert!(close(fi.checks.features[0].expected[3].si, 22.0));
        // A single expected value is repeated for every sweep point.
        assert_eq!(fi.checks.features[1].expected.len(), 6);
        assert!(close(fi.checks.features[1].expected[5].si, -0.0706));
        assert!(close(
            fi.populations[0].param("cm").map(si).expect("cm"),
            281e-12
        ));
    }

    /// Every ```yaml block of the format's documentation that is a whole suite loads.
    #[test]
    fn the_spec_example_loads() {
        let doc = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/suite-format.md"),
        )
        .expect("spec");
        let blocks: Vec<&str> = doc
            .split("```yaml\n")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .filter(|b| b.starts_with("suite:"))
            .collect();
        assert!(blocks.len() >= 2);
        for block in blocks {
            if block.contains("\nmodel:") {
                // The NeuroML example names the bundled model file, beside which it loads.
                let dir = tempfile::tempdir().expect("tempdir");
                let nml = "iaf_cells.net.nml";
                std::fs::copy(
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("suites/neuroml")
                        .join(nml),
                    dir.path().join(nml),
                )
                .expect("copy");
                let path = dir.path().join("t.crosscheck.yaml");
                std::fs::write(&path, block).expect("write");
                let suite = load_suite(&path).unwrap_or_else(|e| panic!("{e:#?}"));
                assert_eq!(suite.name.as_str(), "neuroml_iaf_cells");
                assert_eq!(suite.model.expect("model").network, "cells");
                continue;
            }
            let suite = load_text(block).unwrap_or_else(|e| panic!("{e:#?}"));
            assert_eq!(suite.name.as_str(), "izhikevich_rs");
            assert!(close(
                suite.populations[0].param("d").map(si).expect("d"),
                8.0
            ));
        }
    }

    #[test]
    fn minimal_suite_fills_defaults() {
        let suite = load_text(MINIMAL).expect("valid");
        assert!(close(suite.simulation.dt.si, 25e-6));
        assert_eq!(suite.simulation.seed, 1);
        assert_eq!(suite.populations[0].size, 2);
        assert!(suite.populations[0].spike_times.is_empty());
        assert!(suite.description.is_none());
        assert!(suite.sweep.is_none());
    }

    #[test]
    fn unknown_key_with_suggestion() {
        let all = errors(&minimal_with("checks:", "checks:\n  agrement: {}\n  x:"));
        assert_eq!(
            (all[0].0, all[0].1, all[0].3.as_str()),
            (10, 3, "did you mean `agreement`?")
        );
        assert_eq!(all[1].2, "unknown key `x` in `checks`");
        assert!(all[1].3.starts_with("known keys: `reference`"), "{all:#?}");
        let all = errors(&minimal_with(
            "simulation: {duration: 100 ms}",
            "simulation: {duration: 100 ms, dtt: 0.1 ms}",
        ));
        assert_eq!(all.len(), 1, "{all:#?}");
        assert_eq!((all[0].0, all[0].1), (2, 32));
        assert!(all[0].2.contains("unknown key `dtt`"), "{all:#?}");
        assert_eq!(all[0].3, "did you mean `dt`?");
        let (line, column, message, help) = error(&format!("{MINIMAL}recod: []\n"));
        assert_eq!((line, column), (11, 1));
        assert!(
            message.contains("unknown key `recod` in a suite"),
            "{message}"
        );
        assert_eq!(help, "did you mean `record`?");
    }

    #[test]
    fn unknown_cell_type_with_suggestion() {
        let (line, column, message, help) =
            error(&minimal_with("cell: izhikevich,", "cell: izhikevitch,"));
        assert_eq!((line, column), (4, 14));
        assert_eq!(message, "unknown cell type `izhikevitch`");
        assert_eq!(help, "did you mean `izhikevich`?");
    }

    #[test]
    fn wrong_dimension_points_at_the_unit() {
        let text = minimal_with("size: 2}", "size: 2, parameters: {a: 0.02 mV}}");
        let (line, column, message, _) = error(&text);
        let line_text = text.lines().nth(3).expect("line 4");
        assert_eq!(line, 4);
        assert_eq!(&line_text[column - 1..column + 1], "mV", "{message}");
        assert!(message.starts_with("`a`: "), "{message}");

        // The same in a block mapping, quoted: the column skips the quote.
        let text = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  exc:\n    cell: lif_curr_exp\n    size: 1\n    parameters:\n      tau_m: \"10 mV\"\n      cm: '250 nS'\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
        let all = errors(text);
        assert_eq!(all.len(), 2, "{all:#?}");
        assert_eq!((all[0].0, all[0].1), (8, 18), "{all:#?}");
        assert_eq!((all[1].0, all[1].1), (9, 16), "{all:#?}");
        assert!(all[0].2.starts_with("`tau_m`: "));
    }

    #[test]
    fn missing_unit_is_reported_where_the_unit_belongs() {
        let text = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  exc:\n    cell: lif_curr_exp\n    size: 1\n    parameters:\n      tau_m: 10\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
        let (line, column, message, help) = error(text);
        assert_eq!((line, column), (8, 16));
        assert!(message.starts_with("`tau_m`: missing unit"), "{message}");
        assert_eq!(help, "write it with a unit, e.g. `10 ms`");
        // A string without a unit is also an error, inside the string.
        let (line, column, message, _) = error(&text.replace("tau_m: 10", "tau_m: '10'"));
        assert_eq!(line, 8);
        assert!((14..=17).contains(&column), "{column} {message}");
    }

    #[test]
    fn unknown_population_in_a_projection() {
        let text = format!(
            "{MINIMAL}projections:\n  - {{from: rz, to: rs, connector: all_to_all, receptor: excitatory, weight: 1 mV, delay: 1 ms}}\n"
        );
        let (line, column, message, help) = error(&text);
        assert_eq!((line, column), (12, 12));
        assert_eq!(message, "unknown population `rz`");
        assert_eq!(help, "did you mean `rs`?");
    }

    #[test]
    fn names_must_be_safe_identifiers() {
        let (line, column, message, _) =
            error(&minimal_with("suite: small", "suite: \"x'); import os #\""));
        assert_eq!((line, column), (1, 8));
        assert!(message.starts_with("invalid suite name: "), "{message}");
        assert!(message.contains("not a valid name"), "{message}");
        for bad in ["__import__", "import", "nest", "print"] {
            let (_, _, message, _) = error(&minimal_with("suite: small", &format!("suite: {bad}")));
            assert!(
                message.contains("reserved") || message.contains("not a valid name"),
                "{message}"
            );
        }
        let (_, _, message, _) = error(&minimal_with("suite: small", "suite:"));
        assert_eq!(message, "expected a suite name, found nothing (null)");
        let (_, _, message, _) = error(&minimal_with("suite: small", "suite: _x"));
        assert!(message.contains("not a valid name"), "{message}");
        let text = MINIMAL.replace("rs", "__import__");
        let all = errors(&text);
        assert_eq!((all[0].0, all[0].1), (4, 3), "{all:#?}");
        assert!(
            all[0].2.starts_with("invalid population name: "),
            "{all:#?}"
        );
        // References to the invalid name do not cascade into "unknown population".
        assert_eq!(all.len(), 1, "{all:#?}");
    }

    #[test]
    fn hostile_strings_stay_data() {
        let hostile = "x'); __import__('os').system('rm -rf /') #\n\"\"\"";
        let text = minimal_with(
            "suite: small",
            &format!(
                "suite: small\ndescription: {}",
                serde_json::to_string(hostile).expect("json")
            ),
        );
        let suite = load_text(&text).expect("description is free text");
        assert_eq!(suite.description.as_deref(), Some(hostile));
        let idents = std::iter::once(suite.name.as_str())
            .chain(suite.populations.iter().map(|p| p.id.as_str()));
        for ident in idents {
            assert!(ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
        for bad in [
            "\"a\\nb\"",
            "\"rs'\"",
            "\"__import__('os')\"",
            "\"a b\"",
            "\"é\"",
            "import",
            "1rs",
        ] {
            let all = errors(&minimal_with("  rs: {cell", &format!("  {bad}: {{cell")));
            assert!(
                all.iter()
                    .any(|e| e.2.starts_with("invalid population name")),
                "{bad}: {all:#?}"
            );
        }
    }

    #[test]
    fn engine_typo_with_suggestion() {
        let all = errors(&minimal_with(
            "suite: small",
            "suite: small\nengines: [neuron, NEST, NEST, Brain2, pynn]",
        ));
        let got: Vec<_> = all.iter().map(|e| (e.0, e.1, e.3.as_str())).collect();
        assert_eq!(
            got,
            [
                (
                    2,
                    11,
                    "did you mean `NEURON`? (engine names are case-sensitive)"
                ),
                (2, 25, ""),
                (
                    2,
                    31,
                    "did you mean `Brian2`? (engine names are case-sensitive)"
                ),
                (
                    2,
                    39,
                    "one of: `NEURON`, `NEST`, `Brian2`, `jNeuroML`, `jNeuroML_NEURON`"
                ),
            ],
            "{all:#?}"
        );
        assert_eq!(all[0].2, "unknown engine `neuron`");
        assert_eq!(all[1].2, "engine `NEST` is listed twice");
    }

    #[test]
    fn one_to_one_needs_equal_sizes() {
        let text = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  input: {cell: spike_source, size: 3, spike_times: [1 ms]}\n  exc: {cell: lif_curr_exp, size: 2}\nprojections:\n  - {from: input, to: exc, connector: one_to_one, receptor: excitatory, weight: 10 pA, delay: 1 ms}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
        let (line, column, message, _) = error(text);
        assert_eq!((line, column), (7, 39));
        assert_eq!(
            message,
            "`one_to_one` needs populations of equal size: `input` has 3 cells, `exc` has 2"
        );
        let ok = text.replace("size: 3", "size: 2");
        let suite = load_text(&ok).expect("equal sizes");
        assert_eq!(suite.projections[0].connector, Connector::OneToOne);
    }

    #[test]
    fn weight_dimension_follows_the_target_synapse() {
        let base = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  input: {cell: spike_source, size: 1, spike_times: [1 ms]}\n  exc: {cell: CELL, size: 1}\nprojections:\n  - {from: input, to: exc, connector: all_to_all, receptor: excitatory, weight: WEIGHT, delay: 1 ms}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
        let case = |cell: &str, weight: &str| base.replace("CELL", cell).replace("WEIGHT", weight);
        for (cell, weight) in [
            ("lif_curr_exp", "10 pA"),
            ("adex_cond_exp", "2 nS"),
            ("izhikevich", "0.5 mV"),
            ("hh_curr_alpha", "0.1 nA"),
        ] {
            load_text(&case(cell, weight)).unwrap_or_else(|e| panic!("{cell}: {e:#?}"));
        }
        let (line, column, message, _) = error(&case("adex_cond_exp", "10 pA"));
        // `weight: 10 pA`: the value starts at column 81, its unit at 84.
        assert_eq!((line, column), (7, 84), "{message}");
        assert!(message.starts_with("`weight`: "), "{message}");
        let (_, _, message, help) = error(&case("lif_curr_exp", "-10 pA"));
        assert_eq!(
            (message.as_str(), help.as_str()),
            ("`weight` must be positive", "the `receptor` gives the sign")
        );
        // Into a source.
        let text = case("lif_curr_exp", "10 pA").replace("to: exc", "to: input");
        let (_, _, message, _) = error(&text);
        assert!(message.contains("receives no input"), "{message}");
    }

    #[test]
    fn feature_expected_count_must_match_the_sweep() {
        let text = format!(
            "{}sweep:\n  parameter: stimuli[0].amplitude\n  values: [0 pA, 5 pA, 10 pA]\n",
            MINIMAL.replace(
                "  agreement: {spikes: {window: 1 ms}}\n",
                "  features:\n    - {feature: spike_count, population: rs, expected: [0, 3], tolerance: 1}\n"
            )
        );
        let (line, column, message, _) = error(&text);
        assert_eq!((line, column), (11, 56));
        assert_eq!(
            message,
            "`expected` has 2 values but the sweep has 3 points"
        );
        let ok = text.replace("[0, 3]", "[0, 3, 7]");
        let suite = load_text(&ok).expect("3 values");
        assert_eq!(suite.checks.features[0].expected.len(), 3);
        let (_, _, message, _) = error(&text.replace("[0, 3]", "[0, 3.5, 7]"));
        assert_eq!(
            message,
            "a `spike_count` must be a whole number, zero or more"
        );
        let (_, _, message, _) = error(&text.replace("[0, 3]", "[0 ms, 3, 7]"));
        assert!(message.starts_with("`expected`: "), "{message}");
    }

    #[test]
    fn sweep_targets_resolve_with_dimensions() {
        let sweep = |parameter: &str, values: &str| {
            format!("{MINIMAL}sweep:\n  parameter: {parameter}\n  values: [{values}]\n")
        };
        let suite =
            load_text(&sweep("populations.rs.parameters.a", "0.02 /ms, 0.1 /ms")).expect("a");
        assert_eq!(
            suite.sweep.expect("sweep").target,
            SweepTarget::PopulationParam {
                population: 0,
                param: "a"
            }
        );
        let (_, _, message, help) = error(&sweep("populations.rs.parameters.tau_m", "1 ms"));
        assert_eq!(message, "`izhikevich` cells have no parameter `tau_m`");
        assert!(
            help.starts_with("one of") || help.starts_with("did you mean"),
            "{help}"
        );
        let (_, _, message, help) = error(&sweep("populations.rz.parameters.a", "1 /ms"));
        assert_eq!(
            (message.as_str(), help.as_str()),
            (
                "unknown population `rz` in sweep parameter",
                "did you mean `rs`?"
            )
        );
        let (_, _, message, _) = error(&sweep("stimuli[1].amplitude", "1 pA"));
        assert!(message.contains("the suite has 1 stimuli"), "{message}");
        let (_, _, message, _) = error(&sweep("stimuli[0].amplitude", "1 mV"));
        assert!(message.starts_with("`sweep value`: "), "{message}");
        let (_, _, message, _) = error(&sweep("stimuli.0.amplitude", "1 pA"));
        assert_eq!(message, "cannot sweep `stimuli.0.amplitude`");
        let (_, _, message, _) = error(&sweep("projections[0].weight", "1 pA"));
        assert!(message.contains("the suite has 0 projections"), "{message}");
    }

    #[test]
    fn many_errors_are_collected_in_file_order() {
        let text = "\
suite: 9lives
engines: [nest]
simulation: {duration: -5 ms, dt: 0.1 ms}
populations:
  exc: {cell: lif, size: 0}
  inh: {cell: lif_curr_exp, size: 2, parameters: {tau_m: 10 mV, v_tresh: -50 mV}}
stimuli:
  - step: {target: inh, cells: [0, 2], amplitude: 1 nA, start: 50 ms, stop: 40 ms}
record:
  - {population: inh, variables: [spikes, w]}
checks:
  reference: {traces: {u: {max_abs: 1 mV}}}
";
        let all = errors(text);
        let positions: Vec<(usize, usize)> = all.iter().map(|e| (e.0, e.1)).collect();
        assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{all:#?}");
        let lines: Vec<usize> = all.iter().map(|e| e.0).collect();
        for line in [1, 2, 3, 5, 6, 8, 10, 12] {
            assert!(lines.contains(&line), "line {line} missing: {all:#?}");
        }
        assert!(all.len() >= 10, "{all:#?}");
    }

    #[test]
    fn spike_times_checks() {
        let base = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  input: {cell: spike_source, size: 2, spike_times: TIMES}\nrecord: [{population: input, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
        let suite = load_text(&base.replace("TIMES", "[[5 ms, 1 ms], [2 ms]]")).expect("per cell");
        let input = &suite.populations[0];
        assert_eq!(input.spike_times.len(), 2);
        assert!(close(input.spike_times_of(0)[0].si, 1e-3), "sorted");
        assert_eq!(input.spike_times_of(1).len(), 1);
        let (_, _, message, _) = error(&base.replace("TIMES", "[[1 ms], [2 ms], [3 ms]]"));
        assert!(
            message.contains("has 3 lists but the population has 2 cells"),
            "{message}"
        );
        let (_, _, message, _) = error(&base.replace("TIMES", "[-1 ms]"));
        assert_eq!(message, "`spike time` must be zero or positive");
        let (_, _, message, _) = error(&base.replace("TIMES", "[101 ms]"));
        assert!(message.contains("after the end"), "{message}");
        let (_, _, message, _) = error(
            &base
                .replace("variables: [spikes]", "variables: [spikes, v]")
                .replace("TIMES", "[1 ms]"),
        );
        assert_eq!(
            message,
            "`input` is a spike_source: only `spikes` can be recorded"
        );
    }

    #[test]
    fn ranges_and_references() {
        let cases = [
            ("size: 2}", "size: 2000000}", "`size` must be between 1 and 1000000, found 2000000"),
            ("duration: 100 ms", "duration: 100 s, dt: 0.0001 ms", "1000000000 time steps (duration / dt) is more than the limit of 100000000"),
            ("duration: 100 ms", "duration: 100 ms, dt: 0 ms", "`dt` must be positive"),
            ("start: 10 ms", "start: 95 ms", "`stop` must be after `start`"),
            ("target: rs,", "target: rs, cells: [2],", "cell index 2 is out of range: the population has 2 cells (0 to 1)"),
            ("[spikes, v]", "[spikes, w]", "`izhikevich` cells have no variable `w`"),
            ("{spikes: {window: 1 ms}}", "{traces: {v: {max_abs: 1 ms}}}", "`max_abs`: "),
            ("{spikes: {window: 1 ms}}", "{traces: {u: {max_abs: 1 mV/ms}}}", "no recording records `u`: trace rules apply to recorded state variables"),
            ("{spikes: {window: 1 ms}}", "{spikes: {}}", "missing required key `window` in `spikes`"),
            ("agreement: {spikes: {window: 1 ms}}", "statistics: [{statistic: mean_rate, population: rs, expected: 5, tolerance: 1 Hz}]", "`expected`: missing unit"),
            ("agreement: {spikes: {window: 1 ms}}", "statistics: [{statistic: cv_isi, population: rs, expected: 0.5, tolerance: 0.1}]", ""),
            ("agreement: {spikes: {window: 1 ms}}", "features: [{feature: resting_potential, population: rs, cell: 1, expected: -70 mV, tolerance: 1 mV}]", ""),
            ("[spikes, v]", "[spikes]", ""),
            ("agreement: {spikes: {window: 1 ms}}", "features: [{feature: latency, population: rs, expected: 1 ms, tolerance: 1 ms}]", "unknown feature `latency`"),
        ];
        for (from, to, expected) in cases {
            let text = minimal_with(from, to);
            if expected.is_empty() {
                load_text(&text).unwrap_or_else(|e| panic!("{to}: {e:#?}"));
                continue;
            }
            let all = errors(&text);
            assert!(
                all.iter().any(|e| e.2.starts_with(expected)),
                "{to}: {all:#?}"
            );
        }
        // A feature needs what it measures to be recorded.
        let text = minimal_with("[spikes, v]", "[spikes]").replace(
            "agreement: {spikes: {window: 1 ms}}",
            "features: [{feature: resting_potential, population: rs, expected: -70 mV, tolerance: 1 mV}]",
        );
        let (_, _, message, _) = error(&text);
        assert_eq!(
            message,
            "this check needs the `v` of cell 0 of `rs`, which are not recorded"
        );
    }

    #[test]
    fn delays_and_connectors() {
        let base = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms}\npopulations:\n  exc: {cell: lif_curr_exp, size: 4}\nprojections:\n  - {from: exc, to: exc, connector: CONN, receptor: inhibitory, weight: 10 pA, delay: DELAY}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
        let case = |conn: &str, delay: &str| base.replace("CONN", conn).replace("DELAY", delay);
        let suite = load_text(&case("{fixed_probability: 0.2}", "0.1 ms")).expect("valid");
        assert_eq!(
            suite.projections[0].connector,
            Connector::FixedProbability {
                p: 0.2,
                seed: 1,
                allow_self_connections: false
            }
        );
        assert_eq!(suite.projections[0].receptor, Receptor::Inhibitory);
        let suite = load_text(&case(
            "{all_to_all: {allow_self_connections: true}}",
            "1 ms",
        ))
        .expect("valid");
        assert_eq!(
            suite.projections[0].connector,
            Connector::AllToAll {
                allow_self_connections: true
            }
        );
        let (_, _, message, _) = error(&case("all_to_all", "0.05 ms"));
        assert_eq!(message, "`delay` must be at least `dt`");
        let (_, _, message, _) = error(&case("{fixed_probability: 1.5, seed: 3}", "1 ms"));
        assert_eq!(
            message,
            "`fixed_probability` must be a number between 0 and 1"
        );
        let (_, _, message, help) = error(&case("all_to_al", "1 ms"));
        assert_eq!(
            (message.as_str(), help.as_str()),
            (
                "unknown connector `all_to_al`",
                "did you mean `all_to_all`?"
            )
        );
        let (_, _, message, help) = error(&case("{fixed_probabilty: 0.1}", "1 ms"));
        assert_eq!(
            (message.as_str(), help.as_str()),
            (
                "unknown connector `fixed_probabilty`",
                "did you mean `fixed_probability`?"
            )
        );
    }

    #[test]
    fn network_connectors_and_their_limits() {
        let base = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms, seed: 9}\npopulations:\n  exc: {cell: lif_delta, size: 4}\n  inh: {cell: lif_delta, size: 2}\nprojections:\n  - {from: exc, to: FROM, connector: CONN, receptor: inhibitory, weight: 0.1 mV, delay: 1 ms}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
        let case = |to: &str, conn: &str| base.replace("FROM", to).replace("CONN", conn);
        let suite = load_text(&case("exc", "{fixed_indegree: 3}")).expect("valid");
        assert_eq!(
            suite.projections[0].connector,
            Connector::FixedIndegree {
                in_degree: 3,
                seed: 9,
                allow_self_connections: false,
                allow_multapses: true
            }
        );
        let suite = load_text(&case("inh", "{fixed_total_number: 7, seed: 2}")).expect("valid");
        assert_eq!(
            suite.projections[0].connector,
            Connector::FixedTotalNumber {
                total: 7,
                seed: 2,
                allow_self_connections: false
            }
        );
        // Without multapses, three inputs from the three other cells fit; four do not.
        load_text(&case("exc", "{fixed_indegree: 3, allow_multapses: false}")).expect("valid");
        let (line, _, message, help) =
            error(&case("exc", "{fixed_indegree: 4, allow_multapses: false}"));
        assert_eq!(line, 7);
        assert_eq!(
            message,
            "`fixed_indegree: 4` needs that many distinct sources, but `exc` offers 3"
        );
        assert!(help.contains("allow_multapses"), "{help}");
        let (_, _, message, _) = error(&case("exc", "{fixed_indegree: 0}"));
        assert!(message.contains("fixed_indegree"), "{message}");
        let (_, _, message, help) = error(&case("exc", "fixed_indegree"));
        assert_eq!(
            message,
            "`fixed_indegree` needs the number of inputs per cell"
        );
        assert_eq!(help, "write `{fixed_indegree: 200, seed: 7}`");
        let (_, _, message, _) = error(&case("exc", "{fixed_total_number: 200000000}"));
        assert!(message.contains("fixed_total_number"), "{message}");
        let (_, _, message, help) = error(&case("exc", "{fixed_indegree: 2, multapses: true}"));
        assert!(message.contains("multapses"), "{message}");
        assert!(help.contains("allow_multapses"), "{help}");
    }

    #[test]
    fn poisson_drive_and_statistic_ranges() {
        let base = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms}\npopulations:\n  exc: {cell: lif_delta, size: 4}\n  cur: {cell: lif_curr_exp, size: 1}\nstimuli:\n  - poisson: {target: TARGET, rate: RATE, weight: WEIGHT, receptor: excitatory}\nrecord: [{population: exc, variables: [spikes]}]\nchecks:\n  statistics:\n    - STAT\n";
        let ok_stat = "{statistic: cv_isi, population: exc, min: 0.8, start: 20 ms}";
        let case = |target: &str, rate: &str, weight: &str, stat: &str| {
            base.replace("TARGET", target)
                .replace("RATE", rate)
                .replace("WEIGHT", weight)
                .replace("STAT", stat)
        };
        let suite = load_text(&case("exc", "20 kHz", "0.1 mV", ok_stat)).expect("valid");
        let Stimulus::Poisson { rate, weight, .. } = &suite.stimuli[0] else {
            panic!("a poisson drive")
        };
        assert!(close(si(rate), 20_000.0) && close(si(weight), 1e-4));
        let check = &suite.checks.statistics[0];
        assert!(close(si(&check.start), 0.02));
        assert!(
            matches!(check.criterion, Criterion::Range { min: Some(m), max: None } if m.si == 0.8)
        );
        // The weight takes the target's synapse dimension: a current onto lif_curr_exp.
        load_text(&case("cur", "1 kHz", "5 pA", ok_stat)).expect("valid");
        let (line, _, message, _) = error(&case("cur", "1 kHz", "5 mV", ok_stat));
        assert_eq!(line, 7);
        assert!(message.contains("weight"), "{message}");
        let (_, _, message, _) = error(&case("exc", "-1 Hz", "0.1 mV", ok_stat));
        assert_eq!(message, "`rate` must be positive");
        let (_, _, message, _) = error(&case(
            "exc",
            "1 Hz",
            "0.1 mV",
            "{statistic: power_peak, population: exc, min: 100 Hz, max: 50 Hz}",
        ));
        assert_eq!(message, "`max` must not be below `min`");
        let (_, _, message, _) = error(&case(
            "exc",
            "1 Hz",
            "0.1 mV",
            "{statistic: mean_rate, population: exc, expected: 5 Hz, tolerance: 1 Hz, max: 9 Hz}",
        ));
        assert!(message.contains("not both"), "{message}");
        let (_, _, message, _) = error(&case(
            "exc",
            "1 Hz",
            "0.1 mV",
            "{statistic: power_peak, population: exc, min: 100}",
        ));
        assert!(message.contains("unit"), "{message}");
        let (_, _, message, _) = error(&case(
            "exc",
            "1 Hz",
            "0.1 mV",
            "{statistic: cv_isi, population: exc, min: 0.5, start: 100 ms}",
        ));
        assert_eq!(message, "`start` must be before the end of the simulation");
    }

    /// A drawn network: `connectivity: simulator`, normal weights, delays and potentials.
    const DRAWN: &str = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms, seed: 55, connectivity: MODE}\npopulations:\n  e: {cell: lif_curr_exp, size: 10, parameters: {v_init: VINIT}}\nprojections:\n  - {from: e, to: e, connector: CONNECTOR, receptor: inhibitory, weight: WEIGHT, delay: DELAY}\nstimuli:\n  - poisson: {target: e, rate: 1 kHz, weight: 80 pA, receptor: excitatory, delay: 1.5 ms}\nrecord: [{population: e, variables: [spikes]}]\nchecks:\n  published: {source: a paper, start: 10 ms, stop: 100 ms, tolerance: 0.5 Hz, engines: [NEST], mean_rate: {e: 4 Hz}}\n";

    fn drawn(conn: &str, vinit: &str, connector: &str, weight: &str, delay: &str) -> String {
        DRAWN
            .replace("MODE", conn)
            .replace("VINIT", vinit)
            .replace("CONNECTOR", connector)
            .replace("WEIGHT", weight)
            .replace("DELAY", delay)
    }

    #[test]
    fn drawn_networks_with_distributions() {
        let normal_w = "{normal: {mean: 351.2 pA, sd: 35.12 pA}}";
        let normal_d = "{normal: {mean: 0.75 ms, sd: 0.375 ms}}";
        let total = "{fixed_total_number: 30, allow_self_connections: true}";
        let normal_v = "{normal: {mean: -68.28 mV, sd: 5.36 mV}}";
        let suite =
            load_text(&drawn("simulator", normal_v, total, normal_w, normal_d)).expect("valid");
        assert_eq!(suite.simulation.connectivity, Connectivity::Simulator);
        let pop = &suite.populations[0];
        assert!(close(si(pop.param("v_init").unwrap()), -0.06828));
        assert!(close(si(pop.v_init_sd.as_ref().unwrap()), 0.00536));
        let proj = &suite.projections[0];
        assert!(
            close(si(&proj.weight), 351.2e-12)
                && close(si(proj.weight_sd.as_ref().unwrap()), 35.12e-12)
        );
        assert!(
            close(si(&proj.delay), 0.75e-3) && close(si(proj.delay_sd.as_ref().unwrap()), 0.375e-3)
        );
        let Stimulus::Poisson { delay, .. } = &suite.stimuli[0] else {
            panic!("a poisson drive")
        };
        assert!(close(si(delay.as_ref().unwrap()), 1.5e-3));
        let published = suite.checks.published.as_ref().expect("published");
        assert_eq!(published.engines, vec![Simulator::Nest]);
        assert_eq!(published.rates.len(), 1);
        assert!(close(si(&published.stop), 0.1) && close(si(&published.tolerance), 0.5));
        // Plain values stay plain; crosscheck draws by default.
        let plain =
            load_text(&drawn("crosscheck", "-65 mV", total, "351.2 pA", "0.75 ms")).expect("valid");
        assert_eq!(plain.simulation.connectivity, Connectivity::Crosscheck);
        assert!(
            plain.projections[0].weight_sd.is_none() && plain.populations[0].v_init_sd.is_none()
        );

        // Distributions need the simulators to draw the synapses.
        let (line, _, message, help) =
            error(&drawn("crosscheck", "-65 mV", total, normal_w, "1 ms"));
        assert_eq!(line, 6);
        assert!(
            message.contains("per-synapse `weight` distribution"),
            "{message}"
        );
        assert!(help.contains("connectivity: simulator"), "{help}");
        // ... which draw fixed_total_number only, from the suite's seed.
        let (line, _, message, _) = error(&drawn(
            "simulator",
            "-65 mV",
            "{fixed_probability: 0.1}",
            "1 pA",
            "1 ms",
        ));
        assert_eq!(line, 6);
        assert!(
            message.contains("must be `fixed_total_number`"),
            "{message}"
        );
        let (_, _, message, _) = error(&drawn(
            "simulator",
            "-65 mV",
            "{fixed_total_number: 3, seed: 4}",
            "1 pA",
            "1 ms",
        ));
        assert!(message.contains("`seed` has no effect"), "{message}");
        // Only `normal`, only where a distribution is allowed, with a non-negative sd.
        let (_, _, message, _) = error(&drawn(
            "simulator",
            "{uniform: {low: 1 mV}}",
            total,
            "1 pA",
            "1 ms",
        ));
        assert!(message.contains("a quantity or `{normal"), "{message}");
        let (_, _, message, _) = error(&drawn(
            "simulator",
            "-65 mV",
            total,
            "{normal: {mean: 1 pA, sd: -1 pA}}",
            "1 ms",
        ));
        assert_eq!(message, "`sd` must be zero or positive");
        let (_, _, message, _) = error(&drawn(
            "simulator",
            "-65 mV",
            total,
            "{normal: {mean: 1 pA}}",
            "1 ms",
        ));
        assert!(message.contains("missing required key `sd`"), "{message}");
        let (_, _, message, _) = error(&drawn("nobody", "-65 mV", total, "1 pA", "1 ms"));
        assert!(message.contains("connectivity"), "{message}");
        let bad_cm = DRAWN.replace("v_init: VINIT", "cm: {normal: {mean: 1 pF, sd: 0.1 pF}}");
        let (_, _, message, _) = error(&drawn_from(&bad_cm, total));
        assert_eq!(message, "`cm` cannot be a distribution");
    }

    fn drawn_from(text: &str, connector: &str) -> String {
        text.replace("MODE", "simulator")
            .replace("CONNECTOR", connector)
            .replace("WEIGHT", "1 pA")
            .replace("DELAY", "1 ms")
    }

    #[test]
    fn published_figures_are_checked() {
        let ok = drawn(
            "simulator",
            "-65 mV",
            "{fixed_total_number: 3}",
            "1 pA",
            "1 ms",
        );
        let case = |from: &str, to: &str| error(&ok.replace(from, to));
        let (line, _, message, _) = case("stop: 100 ms", "stop: 200 ms");
        assert_eq!(line, 11);
        assert_eq!(message, "`stop` is after the end of the simulation");
        let (_, _, message, _) = case("stop: 100 ms", "stop: 5 ms");
        assert_eq!(message, "`stop` must be after `start`");
        let (_, _, message, _) = case("engines: [NEST]", "engines: [NEZT]");
        assert!(message.contains("NEZT"), "{message}");
        let (_, _, message, _) = case("mean_rate: {e: 4 Hz}", "mean_rate: {x: 4 Hz}");
        assert!(message.contains("`x`"), "{message}");
        let (_, _, message, _) = case("mean_rate: {e: 4 Hz}", "mean_rate: {e: 4 mV}");
        assert!(message.contains("mean_rate"), "{message}");
        let (_, _, message, _) = case("source: a paper, ", "");
        assert!(
            message.contains("missing required key `source`"),
            "{message}"
        );
        let (_, _, message, _) = case("delay: 1.5 ms}", "delay: 0.01 ms}");
        assert_eq!(message, "`delay` must be at least `dt`");
        let swept = ok.replace(
            "checks:",
            "sweep: {parameter: populations.e.parameters.tau_m, values: [10 ms, 20 ms]}\nchecks:",
        );
        let (line, _, message, _) = error(&swept);
        assert_eq!(line, 12, "{message}");
        assert_eq!(message, "`published` figures cannot go with a `sweep`");
        let swept_distributions = swept.replace(
            "published: {source: a paper, start: 10 ms, stop: 100 ms, tolerance: 0.5 Hz, engines: [NEST], mean_rate: {e: 4 Hz}}",
            "distributions: {reference: NEST, seeds: [2], statistics: [rate]}",
        );
        let (_, _, message, _) = error(&swept_distributions);
        assert_eq!(message, "`distributions` cannot go with a `sweep`");
    }

    #[test]
    fn unreadable_and_non_utf8_files() {
        let err = load_suite(Path::new("/nonexistent/x.crosscheck.yaml")).expect_err("missing");
        assert_eq!(err.len(), 1);
        assert!(
            err[0].message.starts_with("cannot read file"),
            "{}",
            err[0].message
        );
        assert_eq!((err[0].location.line, err[0].location.column), (1, 1));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.crosscheck.yaml");
        std::fs::write(&path, b"suite: a\xff\n").expect("write");
        let err = load_suite(&path).expect_err("not utf-8");
        assert!(
            err[0].message.contains("not valid UTF-8"),
            "{}",
            err[0].message
        );
        let err = load_text("suite: [unclosed\n").expect_err("syntax");
        assert!(
            err[0].message.starts_with("invalid YAML"),
            "{}",
            err[0].message
        );
        let err = load_text("").expect_err("empty");
        assert!(
            err[0].message.starts_with("a suite must be a mapping"),
            "{}",
            err[0].message
        );
        let err = load_text(&MINIMAL.replace(
            "  rs: {cell: izhikevich, size: 2}\n",
            "  rs: {cell: izhikevich, size: 2}\n  rs: {cell: izhikevich, size: 1}\n",
        ))
        .expect_err("duplicate");
        assert!(err[0].message.contains("duplicate"), "{}", err[0].message);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Arbitrary text, and mutations of a valid suite, never panic the loader.
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = load_text(&text);
        }

        #[test]
        fn mutated_suites_never_panic(at in 0usize..400, insert in "[ -~\\n\"'é:\\[\\]{}]{0,12}") {
            let mut text = MINIMAL.to_string();
            let at = (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text.insert_str(at, &insert);
            let _ = load_text(&text);
        }
    }
}
