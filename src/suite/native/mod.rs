//! crosscheck's own suite format: a model described once, run on every simulator.
//!
//! A suite file (YAML, documented in `docs/suite-format.md`, JSON Schema in
//! `docs/suite.schema.json`) is loaded into a [`NativeSuite`]: every quantity checked for its
//! dimension, every name resolved to an index, every identifier validated. Code generators
//! read only this model, never the YAML, so nothing from a suite reaches generated code except
//! validated numbers and identifiers.

pub mod library;
pub mod load;
pub mod neuroml;
pub mod schema;

use crate::suite::units::Quantity;
use crate::suite::Location;

pub use library::{cell_kind, CellKind, ParamSpec, StateVariable, SynapseKind, CELL_TYPES};
pub use load::{load_suite, load_suite_within};

/// A name from a suite that may appear in generated code: `[A-Za-z][A-Za-z0-9_]*`, at most 64
/// characters, and not a Python keyword or builtin that generated code relies on. A leading
/// `_` is refused too (Python treats such names as private, and `__x__` names are magic), which
/// is what the format's documentation and this type's own error message promise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(String);

impl Ident {
    /// Validates `text`; the error says what is wrong.
    pub fn new(text: &str) -> Result<Ident, String> {
        const RESERVED: &[&str] = &[
            "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
            "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
            "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
            "return", "try", "while", "with", "yield", "print", "exec", "eval", "open", "nest",
            "h", "np", "sim",
        ];
        let mut chars = text.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`{}` is not a valid name: use letters, digits and `_`, starting with a letter",
                text.escape_debug()
            ));
        }
        if text.len() > 64 {
            return Err(format!("`{text}` is longer than 64 characters"));
        }
        if text.starts_with("__") {
            return Err(format!("`{text}`: names starting with `__` are reserved"));
        }
        if RESERVED.contains(&text) {
            return Err(format!(
                "`{text}` is reserved in generated code; choose another name"
            ));
        }
        Ok(Ident(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Ident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The simulators a native suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Simulator {
    Neuron,
    Nest,
    Brian2,
    JNeuroML,
    /// The suite exported as a NeuroML2 document ([`crate::codegen::neuroml_export`]),
    /// validated by jNeuroML, and run through jNeuroML's NEURON export.
    JNeuroMLNeuron,
}

impl Simulator {
    pub const ALL: [Simulator; 5] = [
        Simulator::Neuron,
        Simulator::Nest,
        Simulator::Brian2,
        Simulator::JNeuroML,
        Simulator::JNeuroMLNeuron,
    ];

    /// The engines a suite runs on when it names none: the four simulators crosscheck writes
    /// code for (the NeuroML2 export takes only some cell types, so it is asked for by name).
    pub const DEFAULT: [Simulator; 4] = [
        Simulator::Neuron,
        Simulator::Nest,
        Simulator::Brian2,
        Simulator::JNeuroML,
    ];

    /// The engine name used in suites, on the command line and in results.
    pub fn name(self) -> &'static str {
        match self {
            Simulator::Neuron => "NEURON",
            Simulator::Nest => "NEST",
            Simulator::Brian2 => "Brian2",
            Simulator::JNeuroML => "jNeuroML",
            Simulator::JNeuroMLNeuron => "jNeuroML_NEURON",
        }
    }

    pub fn from_name(name: &str) -> Option<Simulator> {
        Simulator::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A loaded, validated suite.
#[derive(Debug, Clone)]
pub struct NativeSuite {
    pub name: Ident,
    pub description: Option<String>,
    /// Where the suite is defined (the `suite:` key).
    pub location: Location,
    pub engines: Vec<Simulator>,
    pub simulation: Simulation,
    /// Set when the model is a NeuroML file (`model: {neuroml: …}`): populations and stimuli
    /// below were imported from it, and jNeuroML, NEURON and Brian2 run the file itself.
    pub model: Option<neuroml::NeuroMLModel>,
    pub populations: Vec<Population>,
    pub projections: Vec<Projection>,
    pub stimuli: Vec<Stimulus>,
    pub recordings: Vec<Recording>,
    pub sweep: Option<Sweep>,
    pub checks: Checks,
}

/// Global simulation settings.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub duration: Quantity,
    /// Integration step (NEST resolution, NEURON dt, Brian2 defaultclock.dt, LEMS step).
    pub dt: Quantity,
    /// Seeds everything crosscheck draws itself (Poisson spike times, random connectivity).
    pub seed: u64,
    /// Threads NEST simulates with (`local_num_threads`); the job holds this many CPUs of the
    /// runner's budget. The other simulators run single-threaded.
    pub threads: u32,
    /// Who draws random connectivity and per-synapse weights and delays.
    pub connectivity: Connectivity,
}

/// Who draws a network's random connectivity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connectivity {
    /// crosscheck draws the pairs from the seed and hands every simulator the same list: the
    /// same network everywhere, so single-cell and small-network runs can agree spike for spike.
    #[default]
    Crosscheck,
    /// Each simulator draws the connections (and per-synapse weights and delays) with its own
    /// generator from the suite's seed: the networks differ in their draws but not in their
    /// statistics. This is how a published network is reproduced bit for bit on the simulator
    /// it was published with (NEST's `fixed_total_number` with `nest.random.normal` weights, in
    /// the order its reference implementation calls them), and how a network of millions of
    /// synapses avoids a connection file per job.
    Simulator,
}

/// A group of identical cells (or sources).
#[derive(Debug, Clone)]
pub struct Population {
    pub id: Ident,
    pub size: usize,
    pub kind: &'static CellKind,
    /// Every parameter of the cell type, defaults filled in, in the library's order.
    pub params: Vec<(&'static str, Quantity)>,
    /// For `spike_source`: spike times, sorted, as given: either one list shared by every cell
    /// (length 1, kept once rather than copied `size` times, so a large population cannot blow
    /// up memory) or one list per cell (length `size`). Read them with
    /// [`Population::spike_times_of`]. Empty for every other cell type.
    pub spike_times: Vec<Vec<Quantity>>,
    /// When `v_init` is a normal distribution (`{normal: {mean, sd}}`): its standard deviation
    /// (the mean is the `v_init` parameter). Each simulator draws each cell's initial potential
    /// from the suite's seed, as NEST's microcircuit does with `nest.random.normal`.
    pub v_init_sd: Option<Quantity>,
    pub location: Location,
}

impl Population {
    pub fn param(&self, name: &str) -> Option<&Quantity> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, q)| q)
    }

    /// The spike times of cell `cell` of a `spike_source` (empty for other types).
    pub fn spike_times_of(&self, cell: usize) -> &[Quantity] {
        match self.spike_times.as_slice() {
            [shared] => shared,
            per_cell => per_cell.get(cell).map_or(&[], Vec::as_slice),
        }
    }
}

/// Which cells of a population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellSelection {
    All,
    Indices(Vec<usize>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Connector {
    AllToAll {
        allow_self_connections: bool,
    },
    OneToOne,
    /// Each pair connected with probability `p`; crosscheck draws the pairs from `seed` and
    /// hands every simulator the same explicit list.
    FixedProbability {
        p: f64,
        seed: u64,
        allow_self_connections: bool,
    },
    /// Every target cell gets exactly `in_degree` connections from cells drawn uniformly from
    /// the source population (Brunel 2000's `C_E`, `C_I`); drawn by crosscheck from `seed`.
    FixedIndegree {
        in_degree: usize,
        seed: u64,
        allow_self_connections: bool,
        /// The same pair may be drawn more than once (NEST's default).
        allow_multapses: bool,
    },
    /// Exactly `total` connections, each pair drawn uniformly (multapses allowed), as NEST's
    /// `fixed_total_number` in Potjans & Diesmann (2014); drawn by crosscheck from `seed`.
    FixedTotalNumber {
        total: usize,
        seed: u64,
        allow_self_connections: bool,
    },
    /// The `(pre, post)` pairs as listed (a NeuroML projection's connections).
    Explicit(Vec<(u32, u32)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receptor {
    Excitatory,
    Inhibitory,
}

impl Receptor {
    /// The sign of a current or voltage weight on this receptor (NEST's convention).
    pub fn sign(self) -> f64 {
        match self {
            Receptor::Excitatory => 1.0,
            Receptor::Inhibitory => -1.0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Projection {
    /// Index into [`NativeSuite::populations`].
    pub from: usize,
    pub to: usize,
    pub connector: Connector,
    pub receptor: Receptor,
    /// Dimension set by the target's synapse kind (current, conductance or voltage).
    pub weight: Quantity,
    pub delay: Quantity,
    /// Per-synapse spread (`{normal: {mean, sd}}`): each synapse's weight is drawn from a normal
    /// distribution around `weight` and redrawn until it keeps the receptor's sign (a weight
    /// never turns an excitatory synapse inhibitory), as in Potjans & Diesmann (2014).
    pub weight_sd: Option<Quantity>,
    /// Per-synapse spread of the delay, redrawn until it is at least half a step (so that it
    /// rounds to at least one step).
    pub delay_sd: Option<Quantity>,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub enum Stimulus {
    /// A current step: `amplitude` from `start` until `stop`.
    Step {
        target: usize,
        cells: CellSelection,
        amplitude: Quantity,
        start: Quantity,
        stop: Quantity,
        location: Location,
    },
    /// Every cell of `target` receives its own Poisson train of synaptic events at `rate`, of
    /// `weight` on `receptor`, from `start` on. Drawn by each simulator's own generator from
    /// the suite's seed (so the trains differ between simulators): a network's external drive
    /// of thousands of events per second per cell, far too many to hand over as spike files.
    Poisson {
        target: usize,
        rate: Quantity,
        weight: Quantity,
        receptor: Receptor,
        /// When the events reach the cells: NEST delivers them after this delay (default one
        /// step). A constant delay changes nothing in a Poisson train's statistics, so the other
        /// simulators start the drive at once; it matters only for reproducing a NEST run bit
        /// for bit (the microcircuit's `delay_poisson`).
        delay: Option<Quantity>,
        location: Location,
    },
}

impl Stimulus {
    /// The population the stimulus acts on.
    pub fn target(&self) -> usize {
        match self {
            Stimulus::Step { target, .. } | Stimulus::Poisson { target, .. } => *target,
        }
    }
}

/// A recorded variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variable {
    Spikes,
    /// A state variable of the cell type (`v`, `u`, `w`).
    State(&'static str),
}

#[derive(Debug, Clone)]
pub struct Recording {
    pub population: usize,
    pub variables: Vec<Variable>,
    pub cells: CellSelection,
    pub location: Location,
}

/// What a sweep changes.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepTarget {
    StimulusAmplitude {
        stimulus: usize,
    },
    PopulationParam {
        population: usize,
        param: &'static str,
    },
    ProjectionWeight {
        projection: usize,
    },
}

/// Runs the protocol once per value (an f–I curve: step amplitude swept).
#[derive(Debug, Clone)]
pub struct Sweep {
    pub target: SweepTarget,
    pub values: Vec<Quantity>,
    pub location: Location,
}

/// Every check a suite asks for.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Each engine against blessed reference data.
    pub reference: Option<RecordingRules>,
    /// Every pair of engines against each other.
    pub agreement: Option<RecordingRules>,
    pub features: Vec<FeatureCheck>,
    pub statistics: Vec<StatisticCheck>,
    pub distributions: Option<DistributionCheck>,
    pub published: Option<PublishedCheck>,
}

/// Mean firing rates a publication reports for this model at this scale: judged on `engines`
/// (the simulator the figures come from, which reproduces them exactly with the same seed and
/// call order) and drawn on every engine's rate bars in the report.
#[derive(Debug, Clone)]
pub struct PublishedCheck {
    /// Where the figures come from, with the scale and the conditions (shown in the report).
    pub source: String,
    /// Spikes counted over `[start, stop]`, both ends included, divided by `stop − start`: the
    /// way NEST's microcircuit example computes its rates (`helpers.firing_rates`).
    pub start: Quantity,
    pub stop: Quantity,
    /// Half a unit of the figures' last printed digit, for an exact reproduction.
    pub tolerance: Quantity,
    pub engines: Vec<Simulator>,
    /// (population index, mean rate).
    pub rates: Vec<(usize, Quantity)>,
    pub location: Location,
}

/// A per-neuron statistic whose distribution across a population is compared between
/// simulators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Each neuron's firing rate.
    Rate,
    /// Each neuron's CV of inter-spike intervals (neurons with at least 3 spikes).
    CvIsi,
    /// Pearson correlation coefficient of the spike counts (2 ms bins) of every pair of a fixed
    /// sample of the population (its first 100 recorded cells; pairs with a silent cell have
    /// none), as in Potjans & Diesmann's analysis.
    Correlation,
}

impl Distribution {
    pub const ALL: [Distribution; 3] = [
        Distribution::Rate,
        Distribution::CvIsi,
        Distribution::Correlation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Distribution::Rate => "rate",
            Distribution::CvIsi => "cv_isi",
            Distribution::Correlation => "correlation",
        }
    }
}

/// Cross-simulator statistical agreement calibrated against seed-to-seed spread: `bless` runs
/// the `reference` engine at the suite's seed and at each of `seeds`, and stores, per recorded
/// population and statistic, the reference distribution and the largest KS distance between
/// two of those seeds (the baseline); `run` passes an engine when its distribution's KS
/// distance to the reference lies within the baseline (times `margin`).
#[derive(Debug, Clone)]
pub struct DistributionCheck {
    pub reference: Simulator,
    /// The seeds besides the suite's own.
    pub seeds: Vec<u64>,
    pub statistics: Vec<Distribution>,
    /// Computed over `[start, duration)`.
    pub start: Quantity,
    /// An engine agrees when its KS distance is at most `margin` times the largest
    /// seed-to-seed distance: the largest of a few seed pairs underestimates the spread (a
    /// further seed exceeds the largest of P pairs about once in P + 1 draws).
    pub margin: f64,
    pub location: Location,
}

/// How two recordings of the same run are compared.
#[derive(Debug, Clone)]
pub struct RecordingRules {
    /// Spikes match when within this absolute time window.
    pub spike_window: Option<Quantity>,
    pub traces: Vec<TraceRule>,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub struct TraceRule {
    pub variable: &'static str,
    pub max_abs: Option<Quantity>,
    pub rms: Option<Quantity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    SpikeCount,
    FirstSpikeLatency,
    MeanRate,
    RestingPotential,
    AdaptationIndex,
}

/// A feature of one cell's recording that must lie within `tolerance` of `expected`; with a
/// sweep, one expected value per sweep point.
#[derive(Debug, Clone)]
pub struct FeatureCheck {
    pub feature: Feature,
    pub population: usize,
    pub cell: usize,
    /// One value per sweep point (a single value in the suite is repeated for every point), or
    /// exactly one value without a sweep.
    pub expected: Vec<Quantity>,
    pub tolerance: Quantity,
    pub location: Location,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    MeanRate,
    CvIsi,
    FanoFactor,
    Correlation,
    /// Frequency of the population rate's strongest oscillation (spectrum peak).
    PowerPeak,
    /// Golomb's χ from spike counts (2 ms bins): the standard deviation of the population's
    /// mean count over that of single cells' counts; ~1/√N for independent cells, 1 for
    /// perfectly synchronous ones.
    Synchrony,
}

/// A population statistic (networks), judged on every engine.
#[derive(Debug, Clone)]
pub struct StatisticCheck {
    pub statistic: Statistic,
    pub population: usize,
    pub criterion: Criterion,
    /// The statistic is computed over `[start, duration)`: a network's opening transient
    /// (every cell starting from the same potential) is no part of its regime.
    pub start: Quantity,
    pub location: Location,
}

/// What a statistic must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub enum Criterion {
    /// Within `tolerance` of `expected`.
    Within {
        expected: Quantity,
        tolerance: Quantity,
    },
    /// Inside `[min, max]` (either bound may be open): a regime's defining property, such as
    /// "irregular: CV at least 0.8".
    Range {
        min: Option<Quantity>,
        max: Option<Quantity>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_validated() {
        assert!(Ident::new("exc_1").is_ok());
        for bad in [
            "",
            "1abc",
            "a-b",
            "a b",
            "x'); import os; ('",
            "__import__",
            "import",
            "a\nb",
            "é",
            "nest",
        ] {
            assert!(Ident::new(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Ident::new(&"a".repeat(65)).is_err());
    }

    #[test]
    fn simulator_names_round_trip() {
        for s in Simulator::ALL {
            assert_eq!(Simulator::from_name(s.name()), Some(s));
        }
    }
}
