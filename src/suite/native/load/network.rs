//! The inline network's cells: `populations` with their parameters and spike times, and the
//! references to them (a population by name, cells by index) that the other sections make.
//!
//! Separate because populations are read first and resolved once: every later section refers
//! to them through the [`Slot`]s built here.

use super::lists::{Refusal, Repeat};
use super::{Context, Loader, Slot};
use crate::suite::native::library::{cell_kind, CellKind, ParamSpec, CELL_TYPES};
use crate::suite::native::neuroml::Imported;
use crate::suite::native::{CellSelection, Ident, Population, Simulation};
use crate::suite::units::{parse_expecting, Dimension, Quantity};
use crate::suite::yaml::Node;

/// The keys of a population.
pub(crate) const POPULATION_KEYS: &[&str] = &["cell", "size", "parameters", "spike_times"];
pub(crate) use crate::suite::native::MAX_POPULATION_SIZE;

/// A population's parameters, in the library's order.
type Parameters = Vec<(&'static str, Quantity)>;
/// One parameter of a cell type, with its value and the node it came from if given.
type Given<'n> = (&'static ParamSpec, Option<(&'n Node, Quantity)>);

/// The slots of a NeuroML model's populations (all loaded: the import checked them).
pub(super) fn imported_slots(imported: &Imported) -> Vec<Slot> {
    imported
        .populations
        .iter()
        .map(|p| Slot {
            name: p.id.to_string(),
            population: Some(p.clone()),
        })
        .collect()
}

impl<'a> Loader<'a> {
    /// `populations`: a slot for every name, even one whose population has errors.
    pub(super) fn populations(
        &mut self,
        node: &'a Node,
        simulation: Option<&Simulation>,
    ) -> Vec<Slot> {
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
        let kind = self
            .required(node, "cell", key, &what)
            .and_then(|c| self.cell_type(c));
        let size = self
            .required(node, "size", key, &what)
            .and_then(|s| self.integer(s, "size", 1, MAX_POPULATION_SIZE))
            .map(|s| s as usize);
        let kind = kind?;
        let (params, v_init_sd) = match self.parameters(node, kind, simulation) {
            Some((params, sd)) => (Some(params), sd),
            None => (None, None),
        };
        let spike_times = self.population_spike_times(key, node, kind, size, simulation);
        // Kept even when parameters or spike times are wrong (those errors are recorded, so the
        // suite will not load): later sections still check cell indices and variables against
        // the population's type and size.
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

    /// `cell`: a cell type of the library.
    fn cell_type(&mut self, node: &'a Node) -> Option<&'static CellKind> {
        let text = self.string(node, "cell")?;
        let kind = cell_kind(text);
        if kind.is_none() {
            let names: Vec<&str> = CELL_TYPES.iter().map(|k| k.name).collect();
            self.unknown(
                node,
                format!("unknown cell type `{}`", text.escape_debug()),
                text,
                &names,
            );
        }
        kind
    }

    /// `spike_times`, which a `spike_source` needs and no other cell type takes.
    fn population_spike_times(
        &mut self,
        key: &Node,
        node: &'a Node,
        kind: &'static CellKind,
        size: Option<usize>,
        simulation: Option<&Simulation>,
    ) -> Option<Vec<Vec<Quantity>>> {
        match (node.entry("spike_times"), kind.name) {
            (Some((_, times)), "spike_source") => {
                size.and_then(|size| self.spike_times(times, size, simulation))
            }
            (None, "spike_source") => {
                let name = key.key_text().unwrap_or_default();
                self.error(
                    key,
                    format!(
                        "missing required key `spike_times` in population `{name}` (a spike_source)"
                    ),
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
        }
    }

    /// Every parameter of `kind`, given ones checked, the rest from the library's defaults; and
    /// the spread of `v_init` when it is drawn.
    fn parameters(
        &mut self,
        node: &'a Node,
        kind: &'static CellKind,
        simulation: Option<&Simulation>,
    ) -> Option<(Parameters, Option<Quantity>)> {
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
        let mut values: Vec<Given> = kind.params.iter().map(|spec| (spec, None)).collect();
        let (given_ok, v_init_sd) = self.given_parameters(given, kind, &mut values);
        let (params, defaults_ok) = self.with_defaults(node, kind, &values, simulation)?;
        let window_ok =
            kind.name != "poisson_source" || self.poisson_window(node, &params, &values);
        (given_ok && defaults_ok && window_ok).then_some((params, v_init_sd))
    }

    /// Checks the `given` parameters into `values` (one entry per parameter of `kind`): whether
    /// all were valid, and the spread of `v_init` when it is drawn.
    fn given_parameters(
        &mut self,
        given: &'a [(Node, Node)],
        kind: &'static CellKind,
        values: &mut [Given<'a>],
    ) -> (bool, Option<Quantity>) {
        let names: Vec<&str> = kind.params.iter().map(|p| p.name).collect();
        let mut ok = true;
        let mut v_init_sd = None;
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

        (ok, v_init_sd)
    }

    /// The parameters in the library's order, defaults filled in; and whether every default
    /// parsed.
    fn with_defaults(
        &mut self,
        node: &Node,
        kind: &'static CellKind,
        values: &[Given<'_>],
        simulation: Option<&Simulation>,
    ) -> Option<(Parameters, bool)> {
        let mut ok = true;
        let mut params = Vec::new();
        for (spec, value) in values {
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
        Some((params, ok))
    }

    /// A Poisson source's `start` must come before its `stop`; reported at `stop`.
    fn poisson_window(&mut self, node: &'a Node, params: &Parameters, values: &[Given]) -> bool {
        let get = |n: &str| params.iter().find(|(p, _)| *p == n).map(|(_, q)| q.si);
        if let (Some(start), Some(stop)) = (get("start"), get("stop")) {
            if start >= stop {
                let at = values
                    .iter()
                    .find(|(s, _)| s.name == "stop")
                    .and_then(|(_, v)| v.map(|(n, _)| n));
                let at = at.or_else(|| node.get("parameters")).unwrap_or(node);
                self.error(at, "a poisson_source's `start` must be before its `stop`");
                return false;
            }
        }
        true
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
                let message = format!(
                    "`spike_times` has {} lists but the population has {size} cells: \
                     give one list, or one per cell",
                    items.len()
                );
                self.error(node, message);
                return None;
            }
            items.iter().collect()
        } else {
            vec![node]
        };
        self.read_all(lists, |l, list| {
            let times = l.list(list, "spike_times")?;
            let mut cell = l.read_all(times, |l, t| l.spike_time(t, simulation))?;
            cell.sort_by(|a, b| a.si.total_cmp(&b.si));
            Some(cell)
        })
    }

    /// One spike time: not negative, and not after the end of the run.
    fn spike_time(&mut self, node: &Node, simulation: Option<&Simulation>) -> Option<Quantity> {
        let q = self.positive(node, "spike time", Dimension::TIME, false)?;
        if simulation.is_some_and(|sim| q.si > sim.duration.si) {
            self.error(
                node,
                "spike time is after the end of the simulation (`duration`)",
            );
            return None;
        }
        Some(q)
    }

    /// A population name resolved to its index.
    pub(super) fn population_ref(
        &mut self,
        node: &'a Node,
        what: &str,
        cx: &Context<'_>,
    ) -> Option<usize> {
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
    pub(super) fn cells(
        &mut self,
        node: Option<&'a Node>,
        size: Option<usize>,
    ) -> Option<CellSelection> {
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
        let max = size.map_or(MAX_POPULATION_SIZE - 1, |s| s as i64 - 1);
        let repeat = Repeat::Refuse(Refusal::Fail, |_: &Node, i: &usize| {
            format!("cell {i} is listed twice")
        });
        let indices = self.distinct(items, repeat, |l, item| {
            l.cell_index(item, max).ok_or(Refusal::Fail)
        })?;
        Some(CellSelection::Indices(indices))
    }

    /// A cell index from 0 to `max`.
    pub(super) fn cell_index(&mut self, node: &Node, max: i64) -> Option<usize> {
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
