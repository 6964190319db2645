//! `projections`: synaptic connections between populations, with their connectors, receptors,
//! weights and delays.
//!
//! Separate because a projection is checked against both populations it joins (the target's
//! synapse fixes the weight's dimension, the sizes bound what a connector can draw) and
//! against who draws the connections (`simulation.connectivity`).

use super::simulation::DEFAULT_SEED;
use super::{Context, Loader};
use crate::suite::native::library::PASSIVE_CABLE;
use crate::suite::native::{Connectivity, Connector, Population, Projection, Receptor};
use crate::suite::source::check_keys;
use crate::suite::units::{Dimension, Quantity};
use crate::suite::yaml::Node;

/// The keys of a projection.
pub(crate) const PROJECTION_KEYS: &[&str] =
    &["from", "to", "connector", "receptor", "weight", "delay"];
/// The connector names.
const CONNECTORS: &[&str] = &[
    "all_to_all",
    "one_to_one",
    "fixed_probability",
    "fixed_indegree",
    "fixed_total_number",
];
/// The keys of a `fixed_probability` connector.
pub(crate) const FIXED_PROBABILITY_KEYS: &[&str] =
    &["fixed_probability", "seed", "allow_self_connections"];
/// The keys of a `fixed_indegree` connector.
pub(crate) const FIXED_INDEGREE_KEYS: &[&str] = &[
    "fixed_indegree",
    "seed",
    "allow_self_connections",
    "allow_multapses",
];
/// The keys of a `fixed_total_number` connector.
pub(crate) const FIXED_TOTAL_NUMBER_KEYS: &[&str] =
    &["fixed_total_number", "seed", "allow_self_connections"];
/// Connections one projection may ask for: the connection list goes through a text file and
/// every simulator's memory (a few million is CI scale; full-scale Potjans–Diesmann is 0.3 G).
pub(crate) const MAX_CONNECTIONS: i64 = 100_000_000;
/// The values of `receptor` (in projections and Poisson drives).
pub(crate) const RECEPTORS: &[&str] = &["excitatory", "inhibitory"];

impl<'a> Loader<'a> {
    /// `projections`: a list, every item a valid projection.
    pub(super) fn projections(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
    ) -> Option<Vec<Projection>> {
        let items = self.list(node, "projections")?;
        self.read_all(items, |l, item| l.projection(item, cx))
    }

    /// One projection, checked against both populations and the simulation.
    fn projection(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Projection> {
        let what = "a projection";
        self.mapping(node, "projection", PROJECTION_KEYS)?;
        let before = self.errors.len();
        let from_node = self.required(node, "from", node, what);
        let from = from_node.and_then(|n| self.population_ref(n, "from", cx));
        if let (Some(source), Some(at)) = (from.and_then(|i| cx.population(i)), from_node) {
            if source.kind.name == PASSIVE_CABLE {
                self.error_help(
                    at,
                    format!(
                        "`{}` is a {PASSIVE_CABLE}: it has no threshold and sends no spikes",
                        source.id
                    ),
                    "a passive cable is driven by current steps and `i_offset` only",
                );
            }
        }
        let to_node = self.required(node, "to", node, what);
        let to = to_node.and_then(|n| self.population_ref(n, "to", cx));
        let connector = self
            .required(node, "connector", node, what)
            .and_then(|n| self.connector(n, cx));
        let receptor = self.receptor(node, node, what);
        let target = to.and_then(|i| cx.population(i));
        let weight_dim = match (target, to_node) {
            (Some(target), Some(at)) => self.input_dimension(at, target),
            _ => None,
        };
        let (weight, weight_sd) = match self.required(node, "weight", node, what) {
            Some(w) => self.projection_weight(w, weight_dim, target),
            None => (None, None),
        };
        let (delay, delay_sd) = match self.required(node, "delay", node, what) {
            Some(d) => self.projection_delay(d, cx),
            None => (None, None),
        };
        let by_simulator = cx.simulation.map(|s| s.connectivity) == Some(Connectivity::Simulator);
        self.drawn_by_simulators(node, by_simulator, weight_sd, delay_sd, connector.as_ref());
        if let (Some(c), Some(f), Some(t)) =
            (&connector, from.and_then(|i| cx.population(i)), target)
        {
            let at = node.get("connector").unwrap_or(node);
            self.connector_fits(at, c, f, t, from == to);
            if *c == Connector::OneToOne && f.size != t.size {
                let message = format!(
                    "`one_to_one` needs populations of equal size: \
                     `{}` has {} cells, `{}` has {}",
                    f.id, f.size, t.id, t.size
                );
                self.error(at, message);
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

    /// `receptor` of the mapping `node` (a missing key is reported at `at`).
    pub(super) fn receptor(&mut self, node: &'a Node, at: &Node, what: &str) -> Option<Receptor> {
        self.required(node, "receptor", at, what)
            .and_then(|n| self.choice(n, "receptor", RECEPTORS))
            .map(|r| match r {
                "inhibitory" => Receptor::Inhibitory,
                _ => Receptor::Excitatory,
            })
    }

    /// The dimension of the weights `target` takes; a source takes none (reported at `at`).
    fn input_dimension(&mut self, at: &Node, target: &Population) -> Option<Dimension> {
        let dim = target.kind.synapse.weight_dimension();
        if dim.is_none() {
            let help = if target.kind.name == PASSIVE_CABLE {
                // Its exact answer is the cable under injected current; a synapse on it
                // would need a place on the cable and a synapse model it does not have.
                "a passive cable has no synapses: drive it with current steps or `i_offset`"
            } else {
                "projections go from a source to cells, not into a source"
            };
            self.error_help(
                at,
                format!(
                    "`{}` is a {}: it receives no input",
                    target.id, target.kind.name
                ),
                help,
            );
        }
        dim
    }

    /// A projection's `weight` of dimension `dim`, and its spread if drawn. A unit error gets
    /// a hint naming the target's synapse type.
    fn projection_weight(
        &mut self,
        w: &'a Node,
        dim: Option<Dimension>,
        target: Option<&Population>,
    ) -> (Option<Quantity>, Option<Quantity>) {
        let Some(dim) = dim else {
            return (None, None);
        };
        let Some((q, sd)) = self.quantity_or_normal(w, "weight", dim, true) else {
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
            return (None, None);
        };
        (self.positive_weight(w, q), sd)
    }

    /// A weight must be positive: the receptor gives its sign.
    pub(super) fn positive_weight(&mut self, node: &Node, q: Quantity) -> Option<Quantity> {
        if q.si <= 0.0 {
            self.error_help(
                node,
                "`weight` must be positive",
                "the `receptor` gives the sign",
            );
            return None;
        }
        Some(q)
    }

    /// A projection's `delay`, at least one time step, and its spread if drawn.
    fn projection_delay(
        &mut self,
        d: &'a Node,
        cx: &Context<'_>,
    ) -> (Option<Quantity>, Option<Quantity>) {
        let Some((q, sd)) = self.quantity_or_normal(d, "delay", Dimension::TIME, true) else {
            return (None, None);
        };
        if q.si <= 0.0 {
            self.error(d, "`delay` must be positive");
            return (None, sd);
        }
        let Some(dt) = cx.simulation.map(|s| s.dt) else {
            return (None, sd);
        };
        if q.si < dt.si * (1.0 - 1e-9) {
            self.error(d, "`delay` must be at least `dt`");
            return (None, sd);
        }
        (Some(q), sd)
    }

    /// What a projection needs when it has per-synapse distributions, or when the simulators
    /// draw its connections (`connectivity: simulator`).
    fn drawn_by_simulators(
        &mut self,
        node: &'a Node,
        by_simulator: bool,
        weight_sd: Option<Quantity>,
        delay_sd: Option<Quantity>,
        connector: Option<&Connector>,
    ) {
        for (key, sd) in [("weight", weight_sd), ("delay", delay_sd)] {
            if sd.is_some() && !by_simulator {
                let at = node.get(key).unwrap_or(node);
                self.error_help(
                    at,
                    format!(
                        "a per-synapse `{key}` distribution needs the simulators \
                         to draw the connections"
                    ),
                    "add `connectivity: simulator` to `simulation` \
                     (each simulator then draws the synapses from the suite's seed)",
                );
            }
        }
        let (true, Some(c)) = (by_simulator, connector) else {
            return;
        };
        let at = node.get("connector").unwrap_or(node);
        match c {
            Connector::FixedTotalNumber { .. }
            | Connector::AllToAll { .. }
            | Connector::OneToOne => {}
            _ => self.error_help(
                at,
                "with `connectivity: simulator`, random connectors must be `fixed_total_number`",
                "the simulators draw these connections themselves, and `fixed_total_number` \
                 means the same on all of them; \
                 leave out `connectivity` to have crosscheck draw other connectors",
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

    /// `connector`: a name, or a mapping with the connector's parameters.
    fn connector(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Connector> {
        if node.as_str().is_some() {
            return self.named_connector(node);
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
            return self.fixed_probability(node, entries, cx);
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
            let multapses = self.flag(node, "allow_multapses", true);
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
        self.keyed_connector(entries)
    }

    /// A connector given by name alone: those that need a number say which.
    fn named_connector(&mut self, node: &'a Node) -> Option<Connector> {
        let (message, help) = match self.choice(node, "connector", CONNECTORS)? {
            "all_to_all" => {
                return Some(Connector::AllToAll {
                    allow_self_connections: false,
                })
            }
            "one_to_one" => return Some(Connector::OneToOne),
            "fixed_indegree" => (
                "`fixed_indegree` needs the number of inputs per cell",
                "write `{fixed_indegree: 200, seed: 7}`",
            ),
            "fixed_total_number" => (
                "`fixed_total_number` needs the number of connections",
                "write `{fixed_total_number: 10000, seed: 7}`",
            ),
            _ => (
                "`fixed_probability` needs a probability",
                "write `{fixed_probability: 0.1, seed: 7}`",
            ),
        };
        self.error_help(node, message, help);
        None
    }

    /// `{fixed_probability: p, …}`: `p` from 0 to 1.
    fn fixed_probability(
        &mut self,
        node: &'a Node,
        entries: &'a [(Node, Node)],
        cx: &Context<'_>,
    ) -> Option<Connector> {
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
        Some(Connector::FixedProbability {
            p: p?,
            seed: seed?,
            allow_self_connections: allow?,
        })
    }

    /// `{all_to_all: …}` or `{one_to_one: null}`; any other single key is an unknown connector.
    fn keyed_connector(&mut self, entries: &'a [(Node, Node)]) -> Option<Connector> {
        if let [(key, options)] = entries {
            match key.key_text().as_deref() {
                Some("all_to_all") => {
                    if options.is_null() {
                        return Some(Connector::AllToAll {
                            allow_self_connections: false,
                        });
                    }
                    self.mapping(options, "all_to_all", &["allow_self_connections"])?;
                    let allow = self.flag(options, "allow_self_connections", false);
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
        let allow = self.flag(node, "allow_self_connections", false);
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
                            "`fixed_indegree: {in_degree}` needs that many distinct sources, \
                             but `{}` offers {sources}",
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
}
