//! The inline network's cells: `populations` with their parameters and spike times, and the
//! references to them (a population by name, cells by index) that the other sections make.
//!
//! Separate because populations are read first and resolved once: every later section refers
//! to them through the [`Slot`]s built here.

use super::lists::{Refusal, Repeat};
use super::{Context, Loader, Slot};
use crate::suite::native::library::{
    cell_kind, CellKind, ParamSpec, CELL_TYPES, MAX_NSEG, PASSIVE_CABLE,
};
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
            // One `v_init` per cable: the exact cable answer starts from rest everywhere, and
            // neither export draws a potential per cell.
            let drawable = spec.name == "v_init" && kind.name != PASSIVE_CABLE;
            let value_or_normal =
                self.quantity_or_normal(value, spec.name, spec.dimension, drawable);
            if let Some((_, sd)) = value_or_normal {
                v_init_sd = v_init_sd.or(sd);
            }
            match value_or_normal.map(|(q, _)| q) {
                Some(q) if spec.name == "nseg" && nseg_error(q.si).is_some() => {
                    let message = nseg_error(q.si).unwrap_or_default();
                    self.error(value, message);
                    ok = false;
                }
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
    matches!(name, "cm" | "c_m" | "length" | "diameter" | "ra")
        || (name.starts_with("tau_") && name != "tau_refrac")
}

/// Why `value` is no cable's `nseg` (a number of compartments: a whole number from 1 to
/// [`MAX_NSEG`]), or `None` when it is one. NEURON would round 2.5 compartments silently, and
/// NeuroML's `numberInternalDivisions` is an integer, so both would run a different cable.
pub(crate) fn nseg_error(value: f64) -> Option<String> {
    if value.fract() != 0.0 || !(1.0..=MAX_NSEG as f64).contains(&value) {
        Some(format!(
            "`nseg` must be a whole number of compartments from 1 to {MAX_NSEG}, found {value}"
        ))
    } else {
        None
    }
}

fn param_in_range(name: &str, si: f64) -> bool {
    if strictly_positive(name) {
        return si > 0.0;
    }
    let non_negative = matches!(
        name,
        "tau_refrac" | "rate" | "start" | "stop" | "delta_T" | "diameter_distal"
    ) || name.starts_with("g_");
    !non_negative || si >= 0.0
}

/// The passive cable's loading rules (kept here, beside the parameter checks they test).
#[cfg(test)]
mod cable_tests {
    use crate::suite::native::load::load_suite;
    use crate::suite::native::{NativeSuite, Variable};
    use crate::suite::LoadError;

    /// Rallpack 1 as a suite: the library's defaults are Rallpack 1's.
    const CABLE: &str = "\
suite: cable
simulation: {duration: 20 ms, dt: 0.025 ms}
populations:
  cable:
    cell: passive_cable
    size: 2
    parameters: {nseg: 200, length: 1 mm}
stimuli:
  - step: {target: cable, amplitude: 0.1 nA, start: 0 ms, stop: 20 ms}
record:
  - {population: cable, variables: [v, v_distal]}
checks:
  analytic: [{population: cable, v: {rms_relative: 0.001}}]
";

    fn load(text: &str) -> Result<NativeSuite, Vec<LoadError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.crosscheck.yaml");
        std::fs::write(&path, text).unwrap();
        load_suite(&path)
    }

    /// The first error of `text`: (line, message, help). A parameter that fails to load also
    /// leaves the analytic check without a cable (a second error, at the check).
    fn error(text: &str) -> (usize, String, String) {
        let errors = load(text)
            .err()
            .unwrap_or_else(|| panic!("loaded:\n{text}"));
        assert!(errors.len() <= 2, "{errors:#?}");
        if let [_, second] = errors.as_slice() {
            assert!(
                second.message.contains("lacks a cable parameter"),
                "{errors:#?}"
            );
        }
        let e = &errors[0];
        (
            e.location.line,
            e.message.clone(),
            e.help.clone().unwrap_or_default(),
        )
    }

    #[test]
    fn a_cable_loads_with_rallpack1_defaults() {
        let suite = load(CABLE).unwrap_or_else(|e| panic!("{e:#?}"));
        let pop = &suite.populations[0];
        let si = |name: &str| pop.param(name).unwrap().si;
        assert_eq!(si("nseg"), 200.0);
        assert!((si("length") - 1e-3).abs() < 1e-15);
        assert!((si("diameter") - 1e-6).abs() < 1e-18);
        // 100 ohm cm = 1 ohm m; 0.025 mS/cm2 = 1/(4 ohm m2); 1 uF/cm2 = 0.01 F/m2.
        assert!((si("ra") - 1.0).abs() < 1e-12);
        assert!((si("g_leak") - 0.25).abs() < 1e-12);
        assert!((si("c_m") - 0.01).abs() < 1e-15);
        assert!((si("v_rest") + 0.065).abs() < 1e-15);
        assert_eq!(
            suite.recordings[0].variables,
            [Variable::State("v"), Variable::State("v_distal")]
        );
    }

    #[test]
    fn nseg_must_be_a_whole_number_of_compartments() {
        for (bad, shown) in [
            ("0", "0"),
            ("2.5", "2.5"),
            ("-3", "-3"),
            ("100001", "100001"),
        ] {
            let (line, message, _) = error(&CABLE.replace("nseg: 200", &format!("nseg: {bad}")));
            assert_eq!(line, 7, "{message}");
            assert_eq!(
                message,
                format!(
                    "`nseg` must be a whole number of compartments from 1 to 100000, found {shown}"
                )
            );
        }
        load(&CABLE.replace("nseg: 200", "nseg: 100000")).unwrap();
        // A unit is no number of compartments.
        let (_, message, _) = error(&CABLE.replace("nseg: 200", "nseg: 3 mV"));
        assert!(message.contains("`nseg`"), "{message}");
        // Swept values are checked the same way.
        let swept = format!(
            "{CABLE}sweep:\n  parameter: populations.cable.parameters.nseg\n  values: [10, 20.5]\n"
        );
        let (line, message, _) = error(&swept);
        assert_eq!(line, 16);
        assert!(message.contains("found 20.5"), "{message}");
    }

    #[test]
    fn lengths_and_specific_properties_must_be_positive() {
        for param in [
            "length: 0 um",
            "diameter: -1 um",
            "ra: 0 ohm*cm",
            "c_m: 0 uF/cm2",
        ] {
            let (_, message, _) = error(&CABLE.replace("length: 1 mm", param));
            assert!(message.ends_with("must be positive"), "{param}: {message}");
        }
        let (_, message, _) =
            error(&CABLE.replace("length: 1 mm", "v_init: {normal: {mean: -65 mV, sd: 1 mV}}"));
        assert_eq!(message, "`v_init` cannot be a distribution");
    }

    #[test]
    fn a_cable_takes_no_synaptic_input_sends_no_spikes_and_records_no_spikes() {
        let with_source = CABLE.replace(
            "populations:\n",
            "populations:\n  input: {cell: spike_source, size: 1, spike_times: [1 ms]}\n",
        );
        let onto = format!("{with_source}projections:\n  - {{from: input, to: cable, connector: all_to_all, receptor: excitatory, weight: 1 nA, delay: 1 ms}}\n");
        let (line, message, help) = error(&onto);
        assert_eq!(line, 16);
        assert_eq!(message, "`cable` is a passive_cable: it receives no input");
        assert!(help.contains("no synapses"), "{help}");

        let with_cell = CABLE.replace(
            "populations:\n",
            "populations:\n  lif: {cell: lif_curr_exp, size: 1}\n",
        );
        let from = format!("{with_cell}projections:\n  - {{from: cable, to: lif, connector: all_to_all, receptor: excitatory, weight: 1 nA, delay: 1 ms}}\n");
        let (_, message, _) = error(&from);
        assert_eq!(
            message,
            "`cable` is a passive_cable: it has no threshold and sends no spikes"
        );

        let (_, message, _) =
            error(&CABLE.replace("variables: [v, v_distal]", "variables: [spikes, v]"));
        assert_eq!(
            message,
            "`cable` is a passive_cable: it has no threshold and no spikes to record"
        );

        let driven = CABLE.replace(
            "stimuli:\n",
            "stimuli:\n  - poisson: {target: cable, rate: 1 kHz, weight: 1 pA, receptor: excitatory}\n",
        );
        let errors = load(&driven).unwrap_err();
        assert!(
            errors[0]
                .message
                .contains("has no synapses for a Poisson drive"),
            "{errors:#?}"
        );
    }

    #[test]
    fn the_analytic_check_needs_a_cable_at_rest() {
        let (line, message, _) = error(&CABLE.replace("length: 1 mm", "v_init: -60 mV"));
        assert_eq!(line, 13, "at the analytic check");
        assert!(message.contains("does not start at rest"), "{message}");
        let (_, message, _) = error(&CABLE.replace("length: 1 mm", "g_leak: 0 mS/cm2"));
        assert!(message.contains("no leak"), "{message}");
    }

    /// A taper: `diameter_distal` (0, the default, is the uniform cylinder), judged by its
    /// steady state only, and only once the cable has settled.
    #[test]
    fn a_tapered_cable_is_judged_by_its_steady_state_once_settled() {
        let uniform = load(CABLE).unwrap();
        assert_eq!(
            uniform.populations[0].distal_diameter().map(|q| q.si),
            Some(1e-6)
        );
        let settled = CABLE
            .replace("duration: 20 ms", "duration: 800 ms")
            .replace("stop: 20 ms", "stop: 800 ms")
            .replace("length: 1 mm}", "length: 1 mm, diameter_distal: 0.5 um}")
            .replace(
                "v: {rms_relative: 0.001}",
                "steady_state: {max_relative: 0.001}",
            );
        let suite = load(&settled).unwrap_or_else(|e| panic!("{e:#?}"));
        let distal = suite.populations[0].distal_diameter().unwrap().si;
        assert!((distal - 0.5e-6).abs() < 1e-18, "{distal}");
        assert_eq!(
            suite.checks.analytic[0].steady_state_max_relative,
            Some(0.001)
        );

        // A trace rule on a taper: there is no exact transient to judge it against.
        let (line, message, help) = error(&settled.replace(
            "steady_state: {max_relative: 0.001}",
            "steady_state: {max_relative: 0.001}, v: {rms_relative: 0.001}",
        ));
        assert_eq!(line, 13);
        assert_eq!(
            message,
            "`cable` tapers (`diameter_distal`), and crosscheck knows a tapered cable's steady state only, not its transient"
        );
        assert!(help.contains("steady_state"), "{help}");

        // Not settled: the step stops 100 ms before the end, and 20 τ is 800 ms.
        let (_, message, _) = error(&settled.replace("stop: 800 ms", "stop: 700 ms"));
        assert_eq!(
            message,
            "`cable` settles for 100 ms after its last current change, short of a steady state: 20 τ = 800 ms"
        );
        let (_, message, _) = error(&settled.replace("duration: 800 ms", "duration: 700 ms"));
        assert!(message.contains("settles for 700 ms"), "{message}");

        let (_, message, _) =
            error(&CABLE.replace("length: 1 mm}", "length: 1 mm, diameter_distal: -1 um}"));
        assert_eq!(message, "`diameter_distal` must be zero or positive");
    }

    #[test]
    fn steady_state_judges_cables_only() {
        let lif = "\
suite: lif
simulation: {duration: 100 ms, dt: 0.1 ms}
populations:
  cell: {cell: lif_curr_exp, size: 1, parameters: {i_offset: 100 pA}}
record: [{population: cell, variables: [v]}]
checks:
  analytic: [{population: cell, steady_state: {max_relative: 0.001}}]
";
        let errors = load(lif).expect_err("loaded");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(
            errors[0].message,
            "`steady_state` judges a passive_cable, and `cell` is a lif_curr_exp"
        );
        assert_eq!(errors[0].location.line, 7);
    }
}
