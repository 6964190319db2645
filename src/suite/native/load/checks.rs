//! `checks`: what a run must satisfy, against the reference data (`reference`), between the
//! simulators (`agreement`), and as measured values (`features`, `statistics`).
//!
//! Separate because checks come last: they refer to the recordings and the sweep, and each
//! check is validated against what is recorded, so a check can never ask for data no
//! simulator writes.

use super::network::MAX_POPULATION_SIZE;
use super::{Context, Loader};
use crate::suite::native::closed_form::ClosedForm;
use crate::suite::native::{
    AnalyticCheck, AnalyticMeasure, AnalyticTraceRule, CellSelection, Checks, ConvergenceRule,
    Criterion, Feature, FeatureCheck, NativeSuite, Recording, RecordingRules, Statistic,
    StatisticCheck, Sweep, SweepTarget, TraceRule, Variable,
};
use crate::suite::source::quoted_list;
use crate::suite::units::{Dimension, Quantity};
use crate::suite::yaml::Node;

/// The keys of `checks`.
pub(crate) const CHECKS_KEYS: &[&str] = &[
    "reference",
    "agreement",
    "features",
    "statistics",
    "distributions",
    "published",
    "analytic",
];
/// The keys of an analytic check.
pub(crate) const ANALYTIC_KEYS: &[&str] = &[
    "population",
    "cell",
    "v",
    "spikes",
    "steady_state",
    "convergence",
];
/// The bound of an analytic check's `steady_state`.
pub(crate) const ANALYTIC_STEADY_KEYS: &[&str] = &["max_relative"];
/// The keys of an analytic check's `convergence`.
pub(crate) const CONVERGENCE_KEYS: &[&str] = &["error", "order", "exact_below"];
/// The fewest time steps a convergence check fits an order on: two points always lie on a
/// line, so a third is the first that can contradict it.
pub(crate) const MIN_CONVERGENCE_STEPS: usize = 3;
/// The bounds of an analytic check's `v`.
pub(crate) const ANALYTIC_TRACE_KEYS: &[&str] = &["rms_relative", "max_relative"];
/// The keys of an analytic check's `spikes`.
pub(crate) const ANALYTIC_SPIKE_KEYS: &[&str] = &["max_shift"];
/// The keys of `reference` and `agreement`.
pub(crate) const RULES_KEYS: &[&str] = &["spikes", "traces"];
/// The bounds of a trace rule.
pub(crate) const TRACE_KEYS: &[&str] = &["max_abs", "rms"];
/// The keys of a feature check.
pub(crate) const FEATURE_KEYS: &[&str] =
    &["feature", "population", "cell", "expected", "tolerance"];
/// The keys of a statistic check.
pub(crate) const STATISTIC_KEYS: &[&str] = &[
    "statistic",
    "population",
    "expected",
    "tolerance",
    "min",
    "max",
    "start",
];

impl Feature {
    /// Every feature, in the order the documentation lists them.
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
    /// Every statistic, in the order the documentation lists them.
    pub const ALL: [Statistic; 6] = [
        Statistic::MeanRate,
        Statistic::CvIsi,
        Statistic::FanoFactor,
        Statistic::Correlation,
        Statistic::PowerPeak,
        Statistic::Synchrony,
    ];

    /// The name used in suites.
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

    /// The dimension of the statistic's value (and of its bounds).
    pub fn dimension(self) -> Dimension {
        match self {
            Statistic::MeanRate | Statistic::PowerPeak => Dimension::FREQUENCY,
            _ => Dimension::DIMENSIONLESS,
        }
    }
}

impl<'a> Loader<'a> {
    /// `checks`: at least one check, each validated against the recordings.
    pub(super) fn checks(
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
                checks.features =
                    self.read_valid(items, |l, item| l.feature(item, cx, recordings, sweep));
            }
        }
        if let Some(n) = node.get("statistics").filter(|n| !n.is_null()) {
            if let Some(items) = self.list(n, "statistics") {
                checks.statistics =
                    self.read_valid(items, |l, item| l.statistic(item, cx, recordings));
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
        if let Some(n) = node.get("analytic").filter(|n| !n.is_null()) {
            if let Some(items) = self.list(n, "analytic") {
                checks.analytic =
                    self.read_valid(items, |l, item| l.analytic(item, cx, recordings, sweep));
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
            && checks.analytic.is_empty()
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

    /// A check's `start` (default 0 ms), before the end of the simulation.
    pub(super) fn start_time(&mut self, node: &Node, cx: &Context<'_>) -> Option<Quantity> {
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

    /// `reference` or `agreement`: a spike window and bounds on recorded traces.
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

    /// The bounds on the state variable `key`, of the dimension it has where recorded.
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
            let message = format!(
                "`{variable}` is a {} in `{kind_a}` but a {} in `{kind_b}`: \
                 one tolerance cannot fit both",
                a.name(),
                b.name()
            );
            self.error(key, message);
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

    /// One analytic check: a cell's recordings against the exact answer of the suite's model
    /// (whether the model has one is checked once the whole suite is read:
    /// [`Loader::analytic_models`]).
    fn analytic(
        &mut self,
        node: &'a Node,
        cx: &Context<'_>,
        recordings: Option<&[Recording]>,
        sweep: Option<&Sweep>,
    ) -> Option<AnalyticCheck> {
        let what = "an analytic check";
        self.mapping(node, "analytic", ANALYTIC_KEYS)?;
        let before = self.errors.len();
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
        let v = node.get("v").and_then(|n| {
            self.mapping(n, "v", ANALYTIC_TRACE_KEYS)?;
            let bound = |l: &mut Self, key: &str| match n.get(key) {
                None => Some(None),
                Some(b) => l
                    .positive(b, key, Dimension::DIMENSIONLESS, true)
                    .map(|q| Some(q.si)),
            };
            let rule = AnalyticTraceRule {
                rms_relative: bound(self, "rms_relative")?,
                max_relative: bound(self, "max_relative")?,
            };
            if rule.rms_relative.is_none() && rule.max_relative.is_none() {
                self.error_help(
                    n,
                    "`v` bounds nothing",
                    format!("give {}", quoted_list(ANALYTIC_TRACE_KEYS)),
                );
                return None;
            }
            Some(rule)
        });
        let max_spike_shift = node.get("spikes").and_then(|n| {
            self.mapping(n, "spikes", ANALYTIC_SPIKE_KEYS)?;
            let shift = self.required(n, "max_shift", n, "`spikes`")?;
            self.positive(shift, "max_shift", Dimension::TIME, false)
        });
        let steady_state_max_relative = node.get("steady_state").and_then(|n| {
            self.mapping(n, "steady_state", ANALYTIC_STEADY_KEYS)?;
            let bound = self.required(n, "max_relative", n, "`steady_state`")?;
            self.positive(bound, "max_relative", Dimension::DIMENSIONLESS, true)
                .map(|q| q.si)
        });
        let convergence = node
            .get("convergence")
            .and_then(|n| self.convergence(n, v, max_spike_shift.is_some(), sweep));
        if ["v", "spikes", "steady_state"]
            .iter()
            .all(|key| node.get(key).is_none())
        {
            self.error_help(
                node,
                "an analytic check must bound `v`, `spikes` or a cable's `steady_state`",
                "add `v: {rms_relative: 0.001}` or `spikes: {max_shift: 0.05 ms}`",
            );
        }
        if let (Some(p), Some(i), Some(at), Some(recordings)) =
            (pop, population, pop_node, recordings)
        {
            if node.get("v").is_some() || node.get("steady_state").is_some() {
                self.require_recorded(
                    at,
                    recordings,
                    i,
                    cell,
                    &Variable::State("v"),
                    p.id.as_str(),
                );
            }
            if node.get("spikes").is_some() {
                self.require_recorded(at, recordings, i, cell, &Variable::Spikes, p.id.as_str());
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(AnalyticCheck {
            population: population?,
            cell: cell?,
            v,
            max_spike_shift,
            steady_state_max_relative,
            convergence,
            location: self.src.location(node),
        })
    }

    /// An analytic check's `convergence`: which of its errors is fitted against the step, and
    /// the band of orders accepted. Needs a `simulation.dt` sweep of enough steps, and an
    /// error the check itself bounds (so each step's job reports it).
    fn convergence(
        &mut self,
        node: &'a Node,
        v: Option<AnalyticTraceRule>,
        spikes: bool,
        sweep: Option<&Sweep>,
    ) -> Option<ConvergenceRule> {
        self.mapping(node, "convergence", CONVERGENCE_KEYS)?;
        let before = self.errors.len();
        let names: Vec<&'static str> = AnalyticMeasure::ALL.iter().map(|m| m.name()).collect();
        let error = self
            .required(node, "error", node, "`convergence`")
            .and_then(|n| {
                let name = self.choice(n, "error", &names)?;
                let measure = AnalyticMeasure::ALL.into_iter().find(|m| m.name() == name)?;
                let bounded = match measure {
                    AnalyticMeasure::RmsRelative => v.is_some_and(|r| r.rms_relative.is_some()),
                    AnalyticMeasure::MaxRelative => v.is_some_and(|r| r.max_relative.is_some()),
                    AnalyticMeasure::SpikeShift => spikes,
                };
                if !bounded {
                    let bound = match measure {
                        AnalyticMeasure::SpikeShift => "`spikes: {max_shift: …}`".to_string(),
                        other => format!("`v: {{{}: …}}`", other.name()),
                    };
                    self.error_help(
                        n,
                        format!("the check does not measure `{name}` at each step"),
                        format!("add {bound} to the check: it bounds the error at every step, and its value is what the order is fitted on"),
                    );
                    return None;
                }
                Some(measure)
            });
        let order = self
            .required(node, "order", node, "`convergence`")
            .and_then(|n| self.order_band(n));
        let exact_below = match node.get("exact_below") {
            None => Some(1e-8),
            Some(n) => self
                .positive(n, "exact_below", Dimension::DIMENSIONLESS, true)
                .map(|q| q.si),
        };
        match sweep {
            Some(s) if s.target == SweepTarget::TimeStep => {
                if s.values.len() < MIN_CONVERGENCE_STEPS {
                    self.error_help(
                        node,
                        format!(
                            "`convergence` needs at least {MIN_CONVERGENCE_STEPS} time steps, the sweep has {}",
                            s.values.len()
                        ),
                        "sweep `simulation.dt` over halvings, e.g. `values: [0.1 ms, 0.05 ms, 0.025 ms, 0.0125 ms]`",
                    );
                }
            }
            _ => self.error_help(
                node,
                "`convergence` needs the suite to sweep the time step",
                "add `sweep: {parameter: simulation.dt, values: [0.1 ms, 0.05 ms, 0.025 ms]}`",
            ),
        }
        if self.errors.len() != before {
            return None;
        }
        Some(ConvergenceRule {
            error: error?,
            order: order?,
            exact_below: exact_below?,
            location: self.src.location(node),
        })
    }

    /// `[low, high]`: two numbers, 0 ≤ low < high ≤ 10 (no method of any simulator here is of
    /// higher order; a larger number is a typo).
    fn order_band(&mut self, node: &'a Node) -> Option<(f64, f64)> {
        let numbers: Option<Vec<f64>> = node
            .as_seq()
            .map(|items| {
                items
                    .iter()
                    .map(|n| n.as_f64())
                    .collect::<Option<Vec<f64>>>()
            })
            .unwrap_or(None);
        match numbers.as_deref() {
            Some(&[low, high])
                if low.is_finite()
                    && high.is_finite()
                    && 0.0 <= low
                    && low < high
                    && high <= 10.0 =>
            {
                Some((low, high))
            }
            _ => {
                self.error_help(
                    node,
                    "`order` must be two numbers `[low, high]` with 0 ≤ low < high ≤ 10",
                    "e.g. `order: [0.9, 1.1]` for a first-order method",
                );
                None
            }
        }
    }

    /// Refuses analytic checks whose population has no exact answer, with the reason (what
    /// the suite would need), at the check: known only once projections and stimuli are read.
    pub(super) fn analytic_models(
        &mut self,
        suite: &crate::suite::native::NativeSuite,
        checks: Option<&'a Node>,
    ) {
        let Some(items) = checks
            .and_then(|c| c.get("analytic"))
            .and_then(|n| n.as_seq())
        else {
            return;
        };
        for (check, item) in suite.checks.analytic.iter().zip(items) {
            match crate::suite::native::closed_form::closed_form(suite, check.population, check.cell)
            {
                Err(why) => self.error_help(
                    item,
                    format!("no exact answer for this check: {why}"),
                    "an analytic check takes a LIF cell under one current step or an `i_offset`, a lif_curr_exp/alpha cell below threshold receiving spike_source spikes, or a passive_cable at rest under current steps",
                ),
                Ok(exact) => self.steady_state_rules(suite, check, item, &exact),
            }
        }
    }

    /// What only a cable's exact answer allows: `steady_state` judges a passive cable that has
    /// settled by the end of the run, and a tapered cable has nothing but its steady state
    /// (no closed-form transient), so a trace rule on one is refused.
    fn steady_state_rules(
        &mut self,
        suite: &NativeSuite,
        check: &AnalyticCheck,
        item: &'a Node,
        exact: &ClosedForm,
    ) {
        let pop = &suite.populations[check.population];
        let at = |key: &str| item.get(key).unwrap_or(item);
        let cable = match exact {
            ClosedForm::Cable(cable) => cable,
            _ if check.steady_state_max_relative.is_some() => {
                self.error_help(
                    at("steady_state"),
                    format!(
                        "`steady_state` judges a passive_cable, and `{}` is a {}",
                        pop.id, pop.kind.name
                    ),
                    "bound a point cell's trace with `v: {max_relative: …}`",
                );
                return;
            }
            _ => return,
        };
        if cable.is_tapered() {
            for key in ["v", "spikes", "convergence"] {
                if item.get(key).is_some() {
                    self.error_help(
                        at(key),
                        format!(
                            "`{}` tapers (`diameter_distal`), and crosscheck knows a tapered cable's steady state only, not its transient",
                            pop.id
                        ),
                        "judge it with `steady_state: {max_relative: 0.001}`",
                    );
                }
            }
        }
        if check.steady_state_max_relative.is_some() {
            if let Some(why) = cable.unsettled(suite.simulation.duration.si * 1e3) {
                self.error_help(
                    at("steady_state"),
                    format!("`{}` {why}", pop.id),
                    "lengthen `simulation.duration`, or end the cable's current steps earlier",
                );
            }
        }
    }

    /// One feature check: a value measured on one cell, within a tolerance.
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
        let expected = self
            .required(node, "expected", node, what)
            .and_then(|e| self.expected_values(e, feature?, sweep));
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

    /// A feature's `expected`: one value, or one per sweep point; one value for every point.
    fn expected_values(
        &mut self,
        node: &'a Node,
        feature: Feature,
        sweep: Option<&Sweep>,
    ) -> Option<Vec<Quantity>> {
        let points = sweep.map_or(1, |s| s.values.len());
        let values: Vec<Quantity> = match node.as_seq() {
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
                        node,
                        message,
                        "give one value for every point, or a single value for all",
                    );
                    return None;
                }
                self.read_all(items, |l, i| l.expected_value(i, feature))?
            }
            None => vec![self.expected_value(node, feature)?],
        };
        Some(if values.len() == 1 {
            vec![values[0]; points]
        } else {
            values
        })
    }

    /// One expected value of `feature`; a spike count is a whole number.
    fn expected_value(&mut self, node: &Node, feature: Feature) -> Option<Quantity> {
        let q = self.quantity(node, "expected", feature.dimension())?;
        if feature == Feature::SpikeCount && (q.si < 0.0 || q.si.fract() != 0.0) {
            self.error(node, "a `spike_count` must be a whole number, zero or more");
            return None;
        }
        Some(q)
    }

    /// One statistic check: a population's spike statistic, near a value or within bounds.
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
                    "`min`/`max` state a range, \
                     e.g. `{statistic: cv_isi, population: exc, min: 0.8}`",
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
