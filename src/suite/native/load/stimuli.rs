//! `stimuli`: what drives the cells from outside the network, current steps and Poisson
//! spike trains.
//!
//! Separate because each stimulus is a one-key mapping whose key picks the kind, and each
//! kind has its own keys and checks against the population it targets.

use super::{Context, Loader};
use crate::suite::native::{Population, Stimulus};
use crate::suite::units::Dimension;
use crate::suite::yaml::Node;

/// The kinds of stimulus.
const STIMULUS_KINDS: &[&str] = &["step", "poisson"];
/// The keys of a `poisson` stimulus.
pub(crate) const POISSON_KEYS: &[&str] = &["target", "rate", "weight", "receptor", "delay"];
/// The keys of a `step` stimulus.
pub(crate) const STEP_KEYS: &[&str] = &["target", "cells", "amplitude", "start", "stop"];

impl<'a> Loader<'a> {
    /// `stimuli`: a list, every item a valid stimulus.
    pub(super) fn stimuli(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Vec<Stimulus>> {
        let items = self.list(node, "stimuli")?;
        self.read_all(items, |l, item| l.stimulus(item, cx))
    }

    /// One stimulus: a mapping whose single key is its kind.
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
        self.step_stimulus(kind_key, spec, cx)
    }

    /// `step: {target, cells, amplitude, start, stop}`: a current step.
    fn step_stimulus(
        &mut self,
        kind_key: &'a Node,
        spec: &'a Node,
        cx: &Context<'_>,
    ) -> Option<Stimulus> {
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

    /// `poisson: {target, rate, weight, receptor, delay}`: a Poisson spike train into cells.
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
        if let (Some(p), None) = (population, weight_dim) {
            // A source is refused by `stimulus_target`; anything else without synapses (a
            // passive cable) has nothing for the events to act on.
            if !p.kind.is_source {
                let at = spec.get("target").unwrap_or(kind_key);
                self.error_help(
                    at,
                    format!(
                        "`{}` is a {}: it has no synapses for a Poisson drive",
                        p.id, p.kind.name
                    ),
                    "drive it with a current `step` or `i_offset`",
                );
            }
        }
        let weight = self.required(spec, "weight", kind_key, what).and_then(|w| {
            let q = self.quantity(w, "weight", weight_dim?)?;
            self.positive_weight(w, q)
        });
        let receptor = self.receptor(spec, kind_key, what);
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
}
