//! The network-level checks: `distributions` of spike statistics calibrated across seeds,
//! and `published` firing rates from a paper.
//!
//! Separate because both judge a whole network's spiking rather than one recorded value, and
//! both describe a single model run (neither can go with a sweep).

use super::lists::{Refusal, Repeat};
use super::{Context, Loader};
use crate::suite::native::{
    Distribution, DistributionCheck, PublishedCheck, Recording, Simulator, Variable,
};
use crate::suite::units::{Dimension, Quantity};
use crate::suite::yaml::Node;

/// The keys of `published`.
pub(crate) const PUBLISHED_KEYS: &[&str] = &[
    "source",
    "start",
    "stop",
    "tolerance",
    "engines",
    "mean_rate",
];
/// The keys of `distributions`.
pub(crate) const DISTRIBUTION_KEYS: &[&str] =
    &["reference", "seeds", "statistics", "start", "margin"];
/// See [`DistributionCheck::margin`].
const DEFAULT_MARGIN: f64 = 1.5;
/// Seeds a `distributions` check may ask `bless` to run (each is a full run of the network).
const MAX_CALIBRATION_SEEDS: usize = 20;

/// The error for a calibration seed the list or the suite already uses.
fn seed_used(_: &Node, seed: &u64) -> String {
    format!("seed {seed} is already used: each seed must be new")
}

impl<'a> Loader<'a> {
    /// `distributions`: spike statistics compared with their spread over extra seeds.
    pub(super) fn distributions(
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
        let seeds = self
            .required(node, "seeds", node, what)
            .and_then(|list| self.calibration_seeds(list, cx));
        let statistics = self
            .required(node, "statistics", node, what)
            .and_then(|list| self.distribution_statistics(list));
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

    /// `seeds`: new seeds, none the suite's own; reading stops at the first bad one.
    fn calibration_seeds(&mut self, list: &'a Node, cx: &Context<'_>) -> Option<Vec<u64>> {
        let items = self.list(list, "seeds")?;
        if items.is_empty() || items.len() > MAX_CALIBRATION_SEEDS {
            self.error(
                list,
                format!("`seeds` needs 1 to {MAX_CALIBRATION_SEEDS} seeds besides the suite's"),
            );
            return None;
        }
        let repeat = Repeat::Refuse(Refusal::Stop, seed_used);
        self.distinct(items, repeat, |l, item| {
            let seed = l.integer(item, "seed", 0, i64::MAX).ok_or(Refusal::Stop)? as u64;
            if cx.simulation.is_some_and(|s| s.seed == seed) {
                l.error(item, seed_used(item, &seed));
                return Err(Refusal::Stop);
            }
            Ok(seed)
        })
    }

    /// `statistics` of a `distributions` check: known names, a repeat counting once.
    fn distribution_statistics(&mut self, list: &'a Node) -> Option<Vec<Distribution>> {
        let names: Vec<&str> = Distribution::ALL.iter().map(|d| d.name()).collect();
        let items = self.nonempty_list(
            list,
            "statistics",
            "`statistics` is empty: name any of `rate`, `cv_isi`, `correlation`",
        )?;
        self.distinct(items, Repeat::Drop, |l, item| {
            let name = l.choice(item, "statistic", &names).ok_or(Refusal::Stop)?;
            let found = Distribution::ALL.into_iter().find(|d| d.name() == name);
            found.ok_or(Refusal::Stop)
        })
    }

    /// `published`: mean rates from a paper that some engines must reproduce.
    pub(super) fn published(
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
        let stop = self.published_stop(node, cx);
        if let (Some(a), Some(b)) = (start, stop) {
            if a.si >= b.si {
                let at = node.get("stop").unwrap_or(node);
                self.error(at, "`stop` must be after `start`");
            }
        }
        let tolerance = self
            .required(node, "tolerance", node, what)
            .and_then(|t| self.positive(t, "tolerance", Dimension::FREQUENCY, false));
        let engines = self
            .required(node, "engines", node, what)
            .and_then(|list| self.published_engines(list));
        let rates = self
            .required(node, "mean_rate", node, what)
            .and_then(|map| self.published_rates(map, cx, recordings));
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

    /// The end of the published window: `stop`, by default the end of the simulation.
    fn published_stop(&mut self, node: &'a Node, cx: &Context<'_>) -> Option<Quantity> {
        let Some(t) = node.get("stop") else {
            return cx.simulation.map(|s| s.duration);
        };
        let q = self.positive(t, "stop", Dimension::TIME, true)?;
        let duration = cx.simulation?.duration;
        if q.si > duration.si * (1.0 + 1e-12) {
            self.error(t, "`stop` is after the end of the simulation");
            return None;
        }
        Some(q)
    }

    /// The engines held to the figures: known names, a repeat counting once.
    fn published_engines(&mut self, list: &'a Node) -> Option<Vec<Simulator>> {
        let names: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
        let items = self.nonempty_list(
            list,
            "engines",
            "`engines` is empty: name the engines held to the figures",
        )?;
        self.distinct(items, Repeat::Drop, |l, item| {
            let name = l.choice(item, "engine", &names).ok_or(Refusal::Stop)?;
            Simulator::from_name(name).ok_or(Refusal::Skip)
        })
    }

    /// `mean_rate`: population to published rate; each population's spikes must be recorded.
    fn published_rates(
        &mut self,
        map: &'a Node,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
    ) -> Option<Vec<(usize, Quantity)>> {
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
            let (Some(p), Some(rate)) = (population, rate) else {
                continue;
            };
            let recorded =
                |r: &Recording| r.population == p && r.variables.contains(&Variable::Spikes);
            if recordings.is_some_and(|r| !r.iter().any(recorded)) {
                self.error(key, "record this population's spikes to compare its rate");
            }
            out.push((p, rate));
        }
        Some(out)
    }
}
