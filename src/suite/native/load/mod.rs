//! Loader for crosscheck's own suites (`*.crosscheck.yaml`, `docs/suite-format.md`).
//!
//! Strict by design: a suite is turned into simulator code, so everything that reaches a code
//! generator must already be checked here: every quantity has the dimension its field needs,
//! every name is a safe [`Ident`], every reference to a population, stimulus or projection is
//! resolved to an index and every value is in range. The loader keeps going after a problem so
//! that `crosscheck validate` shows every mistake in one run, each at its line and column (for
//! a bad unit, at the unit itself inside the quoted or plain scalar).
//!
//! One `Loader` reads the whole file; its methods are grouped by the part of the suite they
//! read, one submodule each. This module holds the entry points, the loader with its error
//! reporting, and the top level of a suite, which calls the sections in the order their
//! results are needed (populations before the references to them).
//!
//! [`Ident`]: super::Ident

mod checks;
mod lists;
mod model;
mod network;
mod network_checks;
mod projections;
mod recording;
mod simulation;
mod stimuli;
mod sweep;
#[cfg(test)]
mod tests;
mod values;

use std::path::Path;

use super::{NativeSuite, Population, Simulation};
use crate::suggest::nearest;
use crate::suite::source::{check_keys, quoted_list, read_yaml, Source};
use crate::suite::yaml::{Node, NodeKind};
use crate::suite::LoadError;

pub(crate) use checks::{
    ANALYTIC_KEYS, ANALYTIC_SPIKE_KEYS, ANALYTIC_STEADY_KEYS, ANALYTIC_TRACE_KEYS, CHECKS_KEYS,
    CONVERGENCE_KEYS, FEATURE_KEYS, RULES_KEYS, STATISTIC_KEYS, TRACE_KEYS,
};
pub(crate) use model::MODEL_KEYS;
pub(crate) use network::{MAX_POPULATION_SIZE, POPULATION_KEYS};
pub(crate) use network_checks::{DISTRIBUTION_KEYS, PUBLISHED_KEYS};
pub(crate) use projections::{
    FIXED_INDEGREE_KEYS, FIXED_PROBABILITY_KEYS, FIXED_TOTAL_NUMBER_KEYS, MAX_CONNECTIONS,
    PROJECTION_KEYS, RECEPTORS,
};
pub(crate) use recording::RECORD_KEYS;
pub(crate) use simulation::{CONNECTIVITIES, SIMULATION_KEYS};
pub(crate) use stimuli::{POISSON_KEYS, STEP_KEYS};
pub(crate) use sweep::SWEEP_KEYS;
pub(crate) use values::{example_unit, NORMAL_KEYS};

/// The keys of a suite's top level.
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

/// Reads one suite file, collecting every problem instead of stopping at the first.
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

    /// The whole suite: each section in turn, every one read even after errors in others.
    fn suite(&mut self, root: &'a Node) -> Option<NativeSuite> {
        let start = self.top_level(root)?;
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
            // Without the model nothing below resolves; stop here rather than report every
            // population reference as unknown.
            Some((key, value)) => {
                Some(self.model_section(root, key, value, simulation.as_ref())?)
            }
        };
        let slots = match &model {
            Some(imported) => network::imported_slots(imported),
            None => match self.required(root, "populations", &start, "a suite") {
                Some(node) => self.populations(node, simulation.as_ref()),
                None => Vec::new(),
            },
        };
        let cx = Context {
            simulation: simulation.as_ref(),
            slots: &slots,
        };
        let projections = model.as_ref().map(|m| m.projections.clone()).or_else(|| {
            self.optional_section(root.get("projections"), |l, n| l.projections(n, &cx))
        });
        let stimuli = model
            .as_ref()
            .map(|m| m.stimuli.clone())
            .or_else(|| self.optional_section(root.get("stimuli"), |l, n| l.stimuli(n, &cx)));
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
        let suite = NativeSuite {
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
        };
        self.analytic_models(&suite, root.get("checks"));
        Some(suite)
    }

    /// Checks that `root` is a mapping of known keys; returns the node that errors about
    /// missing keys point at (the first key, or the start of the file).
    fn top_level(&mut self, root: &'a Node) -> Option<Node> {
        let Some(entries) = root.as_map() else {
            let message = format!(
                "a suite must be a mapping with `suite`, `simulation`, `populations`, `record` \
                 and `checks`, found {}",
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
        Some(entries.first().map_or(start, |(k, _)| k.clone()))
    }

    /// An optional list section (`projections`, `stimuli`): absent or null is no items.
    fn optional_section<T>(
        &mut self,
        node: Option<&'a Node>,
        read: impl FnOnce(&mut Self, &'a Node) -> Option<Vec<T>>,
    ) -> Option<Vec<T>> {
        match node {
            None => Some(Vec::new()),
            Some(node) if node.is_null() => Some(Vec::new()),
            Some(node) => read(self, node),
        }
    }
}
