//! `record`: which variables of which cells every simulator records.
//!
//! Separate because the checks can only use what is recorded: they are validated against the
//! recordings read here, so a recording with errors is kept with its valid variables.

use super::lists::{Refusal, Repeat};
use super::{Context, Loader};
use crate::suite::native::library::PASSIVE_CABLE;
use crate::suite::native::{CellSelection, Population, Recording, Variable};
use crate::suite::yaml::Node;

/// The keys of a recording.
pub(crate) const RECORD_KEYS: &[&str] = &["population", "variables", "cells"];

impl<'a> Loader<'a> {
    /// `record`: a non-empty list; the recordings that loaded (the others are reported).
    pub(super) fn recordings(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
    ) -> Option<Vec<Recording>> {
        let items = self.nonempty_list(
            node,
            "record",
            "`record` is empty: record at least the spikes of one population",
        )?;
        Some(self.read_valid(items, |l, item| l.recording(item, cx)))
    }

    /// One recording: a population, its variables, and optionally some of its cells.
    fn recording(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Recording> {
        let what = "a recording";
        self.mapping(node, "record", RECORD_KEYS)?;
        let population = self
            .required(node, "population", node, what)
            .and_then(|n| self.population_ref(n, "population", cx));
        let pop = population.and_then(|i| cx.population(i));
        let variables = self
            .required(node, "variables", node, what)
            .and_then(|v| self.recorded_variables(v, pop));
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

    /// `variables`: `spikes` or state variables of the population's cell type, each once.
    /// Unknown and repeated names are reported and left out.
    fn recorded_variables(
        &mut self,
        node: &'a Node,
        pop: Option<&Population>,
    ) -> Option<Vec<Variable>> {
        let items = self.nonempty_list(node, "variables", "`variables` is empty")?;
        let pop = pop?;
        // A passive cable has no threshold: no simulator detects spikes on it.
        let spikes = pop.kind.name != PASSIVE_CABLE;
        let mut candidates = if spikes { vec!["spikes"] } else { vec![] };
        candidates.extend(pop.kind.state_variables.iter().map(|s| s.name));
        let repeat = Repeat::Refuse(Refusal::Skip, |item: &Node, _: &Variable| {
            let text = item.as_str().unwrap_or_default();
            format!("`{text}` is listed twice")
        });
        self.distinct(items, repeat, |l, item| {
            let text = l.string(item, "variable").ok_or(Refusal::Stop)?;
            if text == "spikes" && spikes {
                return Ok(Variable::Spikes);
            }
            if let Some(sv) = pop.kind.state_variable(text) {
                return Ok(Variable::State(sv.name));
            }
            let message = if text == "spikes" {
                format!(
                    "`{}` is a {}: it has no threshold and no spikes to record",
                    pop.id, pop.kind.name
                )
            } else if pop.kind.is_source {
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
            l.unknown(item, message, text, &candidates);
            Err(Refusal::Skip)
        })
    }
}
