//! crosscheck's own suite format: a model described once, run on every simulator.
//!
//! A suite file (YAML, documented in `docs/suite-format.md`, JSON Schema in
//! `docs/suite.schema.json`) is loaded into a [`NativeSuite`]: every quantity checked for its
//! dimension, every name resolved to an index, every identifier validated. Code generators
//! read only this model, never the YAML, so nothing from a suite reaches generated code except
//! validated numbers and identifiers.

pub mod closed_form;
pub mod library;
pub mod load;
pub mod neuroml;
pub mod schema;

use crate::suite::units::Quantity;
use crate::suite::Location;

/// The most cells a population may have, in a suite or an imported NeuroML network: bounds
/// that keep a suite runnable on a laptop and every loop in crosscheck finite. Here, not in
/// the loader, because the loader and the NeuroML import both check it.
pub(crate) const MAX_POPULATION_SIZE: i64 = 1_000_000;

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

    /// The validated name.
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
    /// NEURON (`NEURON`): a generated Python script with crosscheck's NMODL mechanisms, or
    /// jNeuroML's NEURON export of a NeuroML model.
    Neuron,
    /// NEST (`NEST`): a generated PyNEST script.
    Nest,
    /// Brian2 (`Brian2`): a generated Python script (jNeuroML's Brian2 export only for a
    /// NeuroML model crosscheck cannot translate).
    Brian2,
    /// jNeuroML (`jNeuroML`): a LEMS file with crosscheck's own component types, or one
    /// written around a NeuroML model.
    JNeuroML,
    /// The suite exported as a NeuroML2 document ([`crate::codegen::neuroml_export`]),
    /// validated by jNeuroML, and run through jNeuroML's NEURON export.
    JNeuroMLNeuron,
}

impl Simulator {
    /// Every engine a suite may name, [`DEFAULT`](Self::DEFAULT) ones first.
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

    /// The engine called `name` (as [`name`](Self::name) spells it, case-sensitive).
    pub fn from_name(name: &str) -> Option<Simulator> {
        Simulator::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A loaded, validated suite.
#[derive(Debug, Clone)]
pub struct NativeSuite {
    /// The `suite:` name; it names generated files and `reference-data/<suite>/`.
    pub name: Ident,
    /// Free text (`description`); never placed in generated code.
    pub description: Option<String>,
    /// Where the suite is defined (the `suite:` key).
    pub location: Location,
    /// The engines to run on (`engines`), in the order written, each once; default
    /// [`Simulator::DEFAULT`].
    pub engines: Vec<Simulator>,
    /// Duration, step, seed, threads and connectivity (`simulation`).
    pub simulation: Simulation,
    /// Set when the model is a NeuroML file (`model: {neuroml: …}`): populations and stimuli
    /// below were imported from it, and jNeuroML, NEURON and Brian2 run the file itself.
    pub model: Option<neuroml::NeuroMLModel>,
    /// The cell groups, in file order; other items refer to them by index.
    pub populations: Vec<Population>,
    /// Connections between populations, in file order.
    pub projections: Vec<Projection>,
    /// Current steps and Poisson drives, in file order.
    pub stimuli: Vec<Stimulus>,
    /// What each simulator writes out (`record`); never empty.
    pub recordings: Vec<Recording>,
    /// One parameter run over several values (`sweep`), if any.
    pub sweep: Option<Sweep>,
    /// What the recordings must show (`checks`); at least one check.
    pub checks: Checks,
}

/// Global simulation settings.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Simulated time (`duration`, required; at most 10⁸ steps of `dt`).
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
    /// The population's name (its key under `populations`, or a NeuroML population id), used
    /// by `record`, `checks` and sweeps and in generated code and recordings.
    pub id: Ident,
    /// Number of cells (`size`), at most 1,000,000 (at least 1 in a suite's `populations`).
    pub size: usize,
    /// The cell type (`cell`) from the standard library, or
    /// [`NEUROML_CELL`](neuroml::NEUROML_CELL) for a NeuroML cell crosscheck does not translate.
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
    /// Where the population is defined (its key in the suite, or its NeuroML element).
    pub location: Location,
}

impl Population {
    /// A passive cable's diameter at x = L: `diameter_distal`, or `diameter` when that is 0
    /// (the default, a uniform cylinder); `None` for any other cell type.
    pub fn distal_diameter(&self) -> Option<&Quantity> {
        let distal = self.param("diameter_distal")?;
        if distal.si > 0.0 {
            Some(distal)
        } else {
            self.param("diameter")
        }
    }

    /// The value of parameter `name` (given or default); `None` if the type has no such one.
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
    /// Every cell (`cells: all`, the default).
    All,
    /// The listed cells, 0-based, distinct and below the population's size (`cells: [0, 3]`).
    Indices(Vec<usize>),
}

/// Which cells of the source population connect to which cells of the target (`connector`).
#[derive(Debug, Clone, PartialEq)]
pub enum Connector {
    /// Every source cell to every target cell (`all_to_all`).
    AllToAll {
        /// Whether a cell connects to itself when a population projects onto itself
        /// (default false).
        allow_self_connections: bool,
    },
    /// Cell `i` to cell `i` (`one_to_one`); both populations have the same size.
    OneToOne,
    /// Each pair connected with probability `p`; crosscheck draws the pairs from `seed` and
    /// hands every simulator the same explicit list.
    FixedProbability {
        /// Probability of each pair (`fixed_probability: P`), from 0 to 1.
        p: f64,
        /// Seed of the draw (`seed`, default the simulation's).
        seed: u64,
        /// As for [`AllToAll`](Self::AllToAll).
        allow_self_connections: bool,
    },
    /// Every target cell gets exactly `in_degree` connections from cells drawn uniformly from
    /// the source population (Brunel 2000's `C_E`, `C_I`); drawn by crosscheck from `seed`.
    FixedIndegree {
        /// Inputs per target cell (`fixed_indegree: K`).
        in_degree: usize,
        /// Seed of the draw (`seed`, default the simulation's).
        seed: u64,
        /// As for [`AllToAll`](Self::AllToAll).
        allow_self_connections: bool,
        /// The same pair may be drawn more than once (NEST's default).
        allow_multapses: bool,
    },
    /// Exactly `total` connections, each pair drawn uniformly (multapses allowed), as NEST's
    /// `fixed_total_number` in Potjans & Diesmann (2014); drawn by crosscheck from `seed`.
    FixedTotalNumber {
        /// Number of connections (`fixed_total_number: M`), 1 to 10⁸.
        total: usize,
        /// Seed of the draw (`seed`, default the simulation's; with `connectivity: simulator`
        /// always the simulation's).
        seed: u64,
        /// As for [`AllToAll`](Self::AllToAll).
        allow_self_connections: bool,
    },
    /// The `(pre, post)` pairs as listed (a NeuroML projection's connections).
    Explicit(Vec<(u32, u32)>),
}

/// The synapse a projection or Poisson drive acts on (`receptor`); it gives the weight's sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receptor {
    /// `excitatory`: positive weight; `tau_syn_E`, `e_rev_E`.
    Excitatory,
    /// `inhibitory`: negative current or voltage weight; `tau_syn_I`, `e_rev_I`.
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

/// Synaptic connections from one population to another (an entry of `projections`).
#[derive(Debug, Clone)]
pub struct Projection {
    /// Index into [`NativeSuite::populations`].
    pub from: usize,
    /// Index of the target population, never a source.
    pub to: usize,
    /// Which pairs connect.
    pub connector: Connector,
    /// Which synapse of the target cells the connections act on.
    pub receptor: Receptor,
    /// Dimension set by the target's synapse kind (current, conductance or voltage).
    pub weight: Quantity,
    /// Transmission delay (`delay`), at least `dt` (with a distribution, its mean).
    pub delay: Quantity,
    /// Per-synapse spread (`{normal: {mean, sd}}`): each synapse's weight is drawn from a normal
    /// distribution around `weight` and redrawn until it keeps the receptor's sign (a weight
    /// never turns an excitatory synapse inhibitory), as in Potjans & Diesmann (2014).
    pub weight_sd: Option<Quantity>,
    /// Per-synapse spread of the delay, redrawn until it is at least half a step (so that it
    /// rounds to at least one step).
    pub delay_sd: Option<Quantity>,
    /// Where the projection is defined.
    pub location: Location,
}

/// An input to a population (an entry of `stimuli`).
#[derive(Debug, Clone)]
pub enum Stimulus {
    /// A current step: `amplitude` from `start` until `stop`.
    Step {
        /// Index of the population (a cell population, not a source).
        target: usize,
        /// Which of its cells receive the step (`cells`, default all).
        cells: CellSelection,
        /// Injected current (`amplitude`), e.g. `100 pA`; may be negative.
        amplitude: Quantity,
        /// Onset (`start`), at least 0 ms.
        start: Quantity,
        /// End (`stop`), after `start`.
        stop: Quantity,
        /// Where the stimulus is defined.
        location: Location,
    },
    /// Every cell of `target` receives its own Poisson train of synaptic events at `rate`, of
    /// `weight` on `receptor`, from `start` on. Drawn by each simulator's own generator from
    /// the suite's seed (so the trains differ between simulators): a network's external drive
    /// of thousands of events per second per cell, far too many to hand over as spike files.
    Poisson {
        /// Index of the population driven.
        target: usize,
        /// Events per second per cell (`rate`), e.g. `20 kHz`.
        rate: Quantity,
        /// Size of each event (`weight`), in the dimension of the target's synaptic weights.
        weight: Quantity,
        /// Which synapse the events act on.
        receptor: Receptor,
        /// When the events reach the cells: NEST delivers them after this delay (default one
        /// step). A constant delay changes nothing in a Poisson train's statistics, so the other
        /// simulators start the drive at once; it matters only for reproducing a NEST run bit
        /// for bit (the microcircuit's `delay_poisson`).
        delay: Option<Quantity>,
        /// Where the stimulus is defined.
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
    /// Spike times (`spikes`), the only variable a source records.
    Spikes,
    /// A state variable of the cell type (`v`, `u`, `w`).
    State(&'static str),
}

/// What one population writes out (an entry of `record`).
#[derive(Debug, Clone)]
pub struct Recording {
    /// Index of the population recorded.
    pub population: usize,
    /// What is recorded (`variables`, e.g. `[spikes, v]`).
    pub variables: Vec<Variable>,
    /// Which cells (`cells`, default all).
    pub cells: CellSelection,
    /// Where the recording is defined.
    pub location: Location,
}

/// What a sweep changes.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepTarget {
    /// A current step's amplitude (`stimuli[N].amplitude`).
    StimulusAmplitude {
        /// Index into [`NativeSuite::stimuli`].
        stimulus: usize,
    },
    /// A cell parameter of a population (`populations.NAME.parameters.PARAM`).
    PopulationParam {
        /// Index into [`NativeSuite::populations`].
        population: usize,
        /// The parameter's name in the library.
        param: &'static str,
    },
    /// A projection's weight (`projections[N].weight`).
    ProjectionWeight {
        /// Index into [`NativeSuite::projections`].
        projection: usize,
    },
    /// The integration step (`simulation.dt`): the same model at several time steps, to see
    /// how each simulator converges to an exact answer (`checks.analytic`).
    TimeStep,
}

/// Runs the protocol once per value (an f–I curve: step amplitude swept).
#[derive(Debug, Clone)]
pub struct Sweep {
    /// What is changed (`parameter`).
    pub target: SweepTarget,
    /// The values, in run order (`values`): 1 to 1000, in the swept parameter's dimension.
    pub values: Vec<Quantity>,
    /// Where the sweep is defined.
    pub location: Location,
}

/// Every check a suite asks for.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Each engine against blessed reference data.
    pub reference: Option<RecordingRules>,
    /// Every pair of engines against each other.
    pub agreement: Option<RecordingRules>,
    /// Single-cell features with expected values (`features`).
    pub features: Vec<FeatureCheck>,
    /// Population statistics of networks (`statistics`).
    pub statistics: Vec<StatisticCheck>,
    /// Per-neuron distributions against the reference engine's seed-to-seed spread.
    pub distributions: Option<DistributionCheck>,
    /// Mean rates reported by a publication (`published`).
    pub published: Option<PublishedCheck>,
    /// Recordings against the closed-form answer of the suite's own model (`analytic`).
    pub analytic: Vec<AnalyticCheck>,
}

/// One cell's recordings against the exact answer crosscheck derives from the suite's own
/// model (see [`closed_form`]): an answer no simulator gave, so it says which one is right
/// when they disagree, and when they all agree on something wrong.
#[derive(Debug, Clone)]
pub struct AnalyticCheck {
    /// Index of the population.
    pub population: usize,
    /// The cell, 0-based within the population (`cell`, default 0).
    pub cell: usize,
    /// Bounds on the membrane potential's errors (`v`), on its deflection from rest.
    pub v: Option<AnalyticTraceRule>,
    /// The largest shift of a spike from its exact time (`spikes: {max_shift}`); the spike
    /// counts must be equal.
    pub max_spike_shift: Option<Quantity>,
    /// A passive cable's last recorded potentials against its steady state (`steady_state:
    /// {max_relative}`): the largest |sim − exact| / |exact − rest| at the cable's recorded
    /// ends, as NSuite's `cable-steadystate` judges them.
    pub steady_state_max_relative: Option<f64>,
    /// The order of accuracy expected across a time-step sweep (`convergence`).
    pub convergence: Option<ConvergenceRule>,
    /// Where the check is defined.
    pub location: Location,
}

/// How an analytic check's error must shrink as the step does, across the points of a
/// `simulation.dt` sweep (`convergence`): judged per engine once every point has run
/// ([`crate::judge::convergence`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvergenceRule {
    /// Which of the check's errors is fitted (`error`): one the check bounds at each step.
    pub error: AnalyticMeasure,
    /// The band the fitted order must lie in (`order: [low, high]`), e.g. `[0.9, 1.1]` for a
    /// first-order method: error ∝ dt^order.
    pub order: (f64, f64),
    /// Errors at or below this are rounding, not truncation (`exact_below`, default 1e-8): an
    /// engine under it at every step integrates the model exactly and has no order to fit.
    pub exact_below: f64,
    /// Where the rule is defined.
    pub location: Location,
}

/// One of the error measures of an analytic check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyticMeasure {
    /// `rms_relative` of each recorded potential the check judges.
    RmsRelative,
    /// `max_relative` of each recorded potential the check judges.
    MaxRelative,
    /// `spike_shift`: the largest shift of a spike from its exact time, in ms.
    SpikeShift,
}

impl AnalyticMeasure {
    /// Every measure, in the order the documentation lists them.
    pub const ALL: [AnalyticMeasure; 3] = [
        AnalyticMeasure::RmsRelative,
        AnalyticMeasure::MaxRelative,
        AnalyticMeasure::SpikeShift,
    ];

    /// The name a suite writes (`error: rms_relative`).
    pub fn name(self) -> &'static str {
        match self {
            AnalyticMeasure::RmsRelative => "rms_relative",
            AnalyticMeasure::MaxRelative => "max_relative",
            AnalyticMeasure::SpikeShift => "spike_shift",
        }
    }

    /// Whether a job's analytic observable (as [`crate::judge::analytic`] names them:
    /// `analytic v rms_relative`, `analytic spikes`) reports this measure.
    pub fn reported_by(self, observable: &str) -> bool {
        match self {
            AnalyticMeasure::SpikeShift => observable == "analytic spikes",
            other => {
                observable.starts_with("analytic ")
                    && observable.ends_with(&format!(" {}", other.name()))
            }
        }
    }
}

/// Bounds on a trace's error against its exact answer, as NSuite measures it: relative to the
/// exact deflection from rest (a pointwise relative error is meaningless near 0 mV).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyticTraceRule {
    /// `rms_relative`: ‖sim − exact‖₂ / ‖exact‖₂ at most this.
    pub rms_relative: Option<f64>,
    /// `max_relative`: max|sim − exact| / max|exact| at most this.
    pub max_relative: Option<f64>,
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
    /// End of the counting window (`stop`, default the end of the run).
    pub stop: Quantity,
    /// Half a unit of the figures' last printed digit, for an exact reproduction.
    pub tolerance: Quantity,
    /// The engines held to the figures (`engines`); the others only show them.
    pub engines: Vec<Simulator>,
    /// (population index, mean rate).
    pub rates: Vec<(usize, Quantity)>,
    /// Where the check is defined.
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
    /// Every distribution a `distributions` check may list.
    pub const ALL: [Distribution; 3] = [
        Distribution::Rate,
        Distribution::CvIsi,
        Distribution::Correlation,
    ];

    /// The name used in suites (`statistics: [rate, cv_isi]`) and in `distributions.json`.
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
    /// The engine whose blessed distributions the others are compared with (`reference`).
    pub reference: Simulator,
    /// The seeds besides the suite's own.
    pub seeds: Vec<u64>,
    /// The distributions compared (`statistics`).
    pub statistics: Vec<Distribution>,
    /// Computed over `[start, duration)`.
    pub start: Quantity,
    /// An engine agrees when its KS distance is at most `margin` times the largest
    /// seed-to-seed distance: the largest of a few seed pairs underestimates the spread (a
    /// further seed exceeds the largest of P pairs about once in P + 1 draws).
    pub margin: f64,
    /// Where the check is defined.
    pub location: Location,
}

/// How two recordings of the same run are compared.
#[derive(Debug, Clone)]
pub struct RecordingRules {
    /// Spikes match when within this absolute time window.
    pub spike_window: Option<Quantity>,
    /// Bounds on the differences between traces (`traces`), one rule per state variable.
    pub traces: Vec<TraceRule>,
    /// Where the rules are defined.
    pub location: Location,
}

/// How far two recordings of one state variable may differ (`traces: {v: {max_abs, rms}}`),
/// after resampling onto a common grid.
#[derive(Debug, Clone)]
pub struct TraceRule {
    /// The state variable (`v`, `u`, `w`), recorded by the suite.
    pub variable: &'static str,
    /// Largest allowed absolute difference (`max_abs`), in the variable's dimension.
    pub max_abs: Option<Quantity>,
    /// Largest allowed root-mean-square difference (`rms`), in the variable's dimension.
    pub rms: Option<Quantity>,
}

/// A single-cell electrophysiology feature (`feature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// `spike_count`: spikes over the whole run (a plain number).
    SpikeCount,
    /// `first_spike_latency`: time from the earliest stimulus onset to the next spike.
    FirstSpikeLatency,
    /// `mean_rate`: spikes over the run divided by its duration (a frequency).
    MeanRate,
    /// `resting_potential`: mean `v` from 0 until the first stimulus or input spike.
    RestingPotential,
    /// `adaptation_index`: mean of `(ISI_k+1 − ISI_k) / (ISI_k+1 + ISI_k)` (a plain number).
    AdaptationIndex,
}

/// A feature of one cell's recording that must lie within `tolerance` of `expected`; with a
/// sweep, one expected value per sweep point.
#[derive(Debug, Clone)]
pub struct FeatureCheck {
    /// What is measured.
    pub feature: Feature,
    /// Index of the population the cell belongs to.
    pub population: usize,
    /// The cell, 0-based within the population (`cell`, default 0).
    pub cell: usize,
    /// One value per sweep point (a single value in the suite is repeated for every point), or
    /// exactly one value without a sweep.
    pub expected: Vec<Quantity>,
    /// Allowed absolute difference (`tolerance`), in the feature's dimension.
    pub tolerance: Quantity,
    /// Where the check is defined.
    pub location: Location,
}

/// A statistic of a population's recorded cells (`statistic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// `mean_rate`: mean firing rate over the recorded cells, silent ones included (Hz).
    MeanRate,
    /// `cv_isi`: mean CV of inter-spike intervals over cells with at least 3 spikes.
    CvIsi,
    /// `fano_factor`: Fano factor of the population's spike count in 10 ms bins.
    FanoFactor,
    /// `correlation`: mean pairwise correlation of 2 ms spike counts over the first 100
    /// recorded cells.
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
    /// What is computed.
    pub statistic: Statistic,
    /// Index of the population, over its recorded cells.
    pub population: usize,
    /// What the value must satisfy.
    pub criterion: Criterion,
    /// The statistic is computed over `[start, duration)`: a network's opening transient
    /// (every cell starting from the same potential) is no part of its regime.
    pub start: Quantity,
    /// Where the check is defined.
    pub location: Location,
}

/// What a statistic must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub enum Criterion {
    /// Within `tolerance` of `expected`.
    Within {
        /// `expected`, in the statistic's dimension.
        expected: Quantity,
        /// `tolerance`: allowed absolute difference, in the same dimension.
        tolerance: Quantity,
    },
    /// Inside `[min, max]` (either bound may be open): a regime's defining property, such as
    /// "irregular: CV at least 0.8".
    Range {
        /// `min`: lowest value allowed, included.
        min: Option<Quantity>,
        /// `max`: highest value allowed, included.
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
