//! `sweep`: one parameter stepped through a list of values, each value a separate run.
//!
//! Separate because its target is a path into the other sections (a stimulus, a population's
//! parameter, a projection's weight) resolved against what they loaded.

use super::{Context, Loader};
use crate::suite::native::{Projection, Stimulus, Sweep, SweepTarget};
use crate::suite::units::Dimension;
use crate::suite::yaml::Node;

/// The keys of `sweep`.
pub(crate) const SWEEP_KEYS: &[&str] = &["parameter", "values"];
/// Most values a sweep may step through (each is a full run on every engine).
const MAX_SWEEP_POINTS: usize = 1000;

impl<'a> Loader<'a> {
    /// `sweep: {parameter, values}`; every value has the dimension of the swept parameter.
    pub(super) fn sweep(
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
                self.read_all(items, |l, i| l.quantity(i, "sweep value", *dim))
            });
        if let (Some((SweepTarget::TimeStep, _)), Some(values), Some(items)) = (
            &target,
            &values,
            node.get("values").and_then(|v| v.as_seq()),
        ) {
            self.time_steps(values, items, cx, projections);
        }
        if let (Some((SweepTarget::PopulationParam { param: "nseg", .. }, _)), Some(values)) =
            (&target, &values)
        {
            // Each value becomes a cable's `nseg`, checked as the parameter itself is.
            let items = node.get("values").and_then(|v| v.as_seq()).unwrap_or(&[]);
            for (value, item) in values.iter().zip(items) {
                if let Some(message) = super::network::nseg_error(value.si) {
                    self.error(item, message);
                }
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(Sweep {
            target: target?.0,
            values: values?,
            location: self.src.location(node),
        })
    }

    /// Time steps of a `simulation.dt` sweep: each positive, at most every projection's delay
    /// (a delay shorter than a step cannot be delivered), and within the step limit.
    fn time_steps(
        &mut self,
        values: &[crate::suite::units::Quantity],
        items: &[Node],
        cx: &Context<'_>,
        projections: Option<&[Projection]>,
    ) {
        let shortest_delay = projections
            .unwrap_or_default()
            .iter()
            .map(|p| p.delay.si)
            .fold(f64::INFINITY, f64::min);
        for (dt, item) in values.iter().zip(items) {
            if dt.si <= 0.0 {
                self.error(item, "a time step must be positive");
            } else if dt.si > shortest_delay * (1.0 + 1e-9) {
                self.error_help(
                    item,
                    format!(
                        "a time step of {} ms is longer than the shortest delay ({} ms)",
                        dt.si * 1e3,
                        shortest_delay * 1e3
                    ),
                    "sweep time steps no longer than every projection's delay",
                );
            } else if let Some(sim) = cx.simulation {
                if sim.duration.si / dt.si > super::simulation::MAX_STEPS {
                    self.error(
                        item,
                        format!(
                            "{:.0} time steps (duration / dt) is more than the limit of {:.0}",
                            sim.duration.si / dt.si,
                            super::simulation::MAX_STEPS
                        ),
                    );
                }
            }
        }
    }

    /// `stimuli[N].amplitude`, `populations.NAME.parameters.PARAM`, `projections[N].weight` or
    /// `simulation.dt`, with the dimension its values must have.
    fn sweep_target(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        stimuli: Option<&[Stimulus]>,
        projections: Option<&[Projection]>,
    ) -> Option<(SweepTarget, Dimension)> {
        let text = self.string(node, "parameter")?;
        let syntax_help = "write `stimuli[N].amplitude`, `populations.NAME.parameters.PARAM`, \
                           `projections[N].weight` or `simulation.dt`";
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
                    let message = format!(
                        "there is no stimulus `{text}`: \
                         the suite has {} stimuli (indices from 0)",
                        stimuli.len()
                    );
                    self.error(node, message);
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
                    let message = format!(
                        "there is no projection `{text}`: \
                         the suite has {} projections (indices from 0)",
                        projections.len()
                    );
                    self.error(node, message);
                    None
                }
            };
        }
        if text == "simulation.dt" {
            return Some((SweepTarget::TimeStep, Dimension::TIME));
        }
        let parts: Vec<&str> = text.split('.').collect();
        if let ["populations", name, "parameters", param] = parts.as_slice() {
            return self.swept_parameter(node, name, param, cx);
        }
        self.error_help(
            node,
            format!("cannot sweep `{}`", text.escape_debug()),
            syntax_help,
        );
        None
    }

    /// `populations.NAME.parameters.PARAM`: a parameter of a population's cell type.
    fn swept_parameter(
        &mut self,
        node: &Node,
        name: &str,
        param: &str,
        cx: &Context<'_>,
    ) -> Option<(SweepTarget, Dimension)> {
        let Some(population) = cx.slots.iter().position(|s| s.name == name) else {
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
        Some((
            SweepTarget::PopulationParam {
                population,
                param: spec.name,
            },
            spec.dimension,
        ))
    }
}
