//! The simulator-neutral description of a suite's network, computed once and shared by every
//! generator.
//!
//! [`Network`] resolves what the suite states by index and leaves open by default: each
//! population with its cell type, size, parameters and (for sources) the spike trains
//! crosscheck prepared; each projection with its source and target, receptor, weight, delay
//! and connections (the pairs crosscheck drew, or the connector each simulator draws); the
//! current steps and Poisson drives in the suite's order, with their cells; and every
//! recording with its cells and variables. A generator reads this and only maps cell models
//! and parameters to its simulator's names and units (with [`ParamMap`] and [`NameMap`]
//! tables), so what a suite means is decided here, once for every simulator.

use serde::Serialize;

use super::{cells, ms, CodegenError, Inputs};
use crate::suite::native::library::PASSIVE_CABLE;
use crate::suite::native::{
    CellKind, Connectivity, Connector, Ident, NativeSuite, Population, Projection, Receptor,
    Stimulus, Variable,
};
use crate::suite::units::Quantity;

/// A suite's network as every generator reads it.
#[derive(Debug)]
pub struct Network<'a> {
    /// The suite described: its name and simulation settings (step, duration, seed, threads).
    pub suite: &'a NativeSuite,
    /// The populations, in the suite's order (projections and stimuli refer to them by index).
    pub populations: Vec<NetPopulation<'a>>,
    /// The projections, in the suite's order.
    pub projections: Vec<NetProjection<'a>>,
    /// The current steps and Poisson drives, in the suite's order.
    pub stimuli: Vec<NetStimulus>,
    /// What is recorded, in the suite's order.
    pub recordings: Vec<NetRecording<'a>>,
}

/// A population: its cells' type, size and parameters, and a source's spike trains.
#[derive(Debug)]
pub struct NetPopulation<'a> {
    /// Its index in [`Network::populations`].
    pub index: usize,
    /// Its name, a validated identifier.
    pub id: &'a Ident,
    /// The cell type.
    pub kind: &'static CellKind,
    /// Number of cells.
    pub size: usize,
    /// The population as the suite defines it: parameters (defaults filled in), a drawn
    /// initial potential's spread.
    pub def: &'a Population,
    /// For a source: each cell's spike times (ms) as crosscheck prepared them (given, or
    /// drawn from the suite's seed for Poisson sources).
    pub spike_trains: Option<&'a [Vec<f64>]>,
}

impl NetPopulation<'_> {
    /// Whether the cells are spike sources rather than neurons.
    pub fn is_source(&self) -> bool {
        self.kind.is_source
    }

    /// The value of parameter `name` (given or default); `None` if the type has no such one.
    pub fn param(&self, name: &str) -> Option<&Quantity> {
        self.def.param(name)
    }

    /// A source's spike trains (an error, a bug in crosscheck, when none were prepared).
    pub fn trains(&self) -> Result<&[Vec<f64>], CodegenError> {
        self.spike_trains
            .ok_or_else(|| CodegenError::Template(format!("no prepared spikes for `{}`", self.id)))
    }
}

/// Which cell pairs a projection connects.
#[derive(Debug, Clone, Copy)]
pub enum Connections<'a> {
    /// The `(pre, post)` pairs crosscheck drew or listed: the same on every simulator, handed
    /// over in `inputs/connections_<k>.txt`.
    Listed(&'a [(u32, u32)]),
    /// `connectivity: simulator`: each simulator draws this connector itself.
    Drawn(&'a Connector),
}

/// A projection: source and target, synapse, weight, delay and connections.
#[derive(Debug)]
pub struct NetProjection<'a> {
    /// Its index in the suite (it names `inputs/connections_<index>.txt`).
    pub index: usize,
    /// Index of the source population.
    pub source: usize,
    /// Index of the target population.
    pub target: usize,
    /// The target's synapse the connections act on.
    pub receptor: Receptor,
    /// The weight as written (its magnitude; see [`Self::signed_weight`]).
    pub weight: Quantity,
    /// Per-synapse spread of the weight, when each synapse's weight is drawn.
    pub weight_sd: Option<Quantity>,
    /// The delay (with a spread, its mean).
    pub delay: Quantity,
    /// Per-synapse spread of the delay, when each synapse's delay is drawn.
    pub delay_sd: Option<Quantity>,
    /// The pairs, or the connector to draw them with.
    pub connections: Connections<'a>,
    /// The projection as the suite defines it.
    pub def: &'a Projection,
}

impl NetProjection<'_> {
    /// The weight signed by the receptor, as NEST signs current and voltage weights.
    pub fn signed_weight(&self) -> Quantity {
        signed(self.receptor, &self.weight)
    }
}

/// A current step or a Poisson drive.
#[derive(Debug)]
pub enum NetStimulus {
    /// A current step into some cells.
    Step(CurrentStep),
    /// A Poisson train of synaptic events into every cell.
    Poisson(PoissonDrive),
}

impl NetStimulus {
    /// Its index among the suite's stimuli.
    pub fn index(&self) -> usize {
        match self {
            NetStimulus::Step(step) => step.index,
            NetStimulus::Poisson(drive) => drive.index,
        }
    }

    /// Index of the population it acts on.
    pub fn target(&self) -> usize {
        match self {
            NetStimulus::Step(step) => step.target,
            NetStimulus::Poisson(drive) => drive.target,
        }
    }
}

/// A current step: `amplitude` into `cells` of `target` from `start` until `stop`.
#[derive(Debug)]
pub struct CurrentStep {
    /// Its index among the suite's stimuli.
    pub index: usize,
    /// Index of the population stepped.
    pub target: usize,
    /// The cells stepped, as indices.
    pub cells: Vec<usize>,
    /// The injected current.
    pub amplitude: Quantity,
    /// Onset.
    pub start: Quantity,
    /// End.
    pub stop: Quantity,
}

/// A Poisson drive: every cell of `target` gets its own train of events at `rate`.
#[derive(Debug)]
pub struct PoissonDrive {
    /// Its index among the suite's stimuli.
    pub index: usize,
    /// Index of the population driven.
    pub target: usize,
    /// Events per second per cell.
    pub rate: Quantity,
    /// The synapse the events act on.
    pub receptor: Receptor,
    /// Each event's weight as written (its magnitude; see [`Self::signed_weight`]).
    pub weight: Quantity,
    /// NEST's delivery delay, when the suite gives one (default one step).
    pub delay: Option<Quantity>,
}

impl PoissonDrive {
    /// The weight signed by the receptor, as NEST signs weights.
    pub fn signed_weight(&self) -> Quantity {
        signed(self.receptor, &self.weight)
    }
}

/// What one population writes out.
#[derive(Debug)]
pub struct NetRecording<'a> {
    /// Index of the population recorded.
    pub population: usize,
    /// The cells recorded, as indices.
    pub cells: Vec<usize>,
    /// The variables, in the suite's order (spikes and state variables).
    pub variables: &'a [Variable],
}

impl NetRecording<'_> {
    /// Splits the variables into "spikes recorded?" and the simulator's entry for each
    /// recorded state variable (`lookup` finds it in the generator's own table; `None` is
    /// unsupported, with the message `unsupported` gives).
    pub(crate) fn split<T>(
        &self,
        lookup: impl Fn(&str) -> Option<T>,
        unsupported: impl Fn(&str) -> String,
    ) -> Result<(bool, Vec<T>), CodegenError> {
        let mut spikes = false;
        let mut variables = Vec::new();
        for variable in self.variables {
            match variable {
                Variable::Spikes => spikes = true,
                Variable::State(name) => variables.push(
                    lookup(name).ok_or_else(|| CodegenError::Unsupported(unsupported(name)))?,
                ),
            }
        }
        Ok((spikes, variables))
    }
}

/// Cell types whose Poisson drive NEURON's and Brian2's generators draw each step: a voltage
/// jump on `lif_delta`, a jump of the synaptic current on `lif_curr_exp`.
pub(crate) const DRIVEN_CELLS: &[&str] = &["lif_delta", "lif_curr_exp"];

impl<'a> Network<'a> {
    /// The printf format the generated scripts write traces with: every digit of a double
    /// (`%.17g`) when the suite has analytic checks, whose exact integrators agree with the
    /// closed form to ~1e-15 and must not be judged on a rounded file; else 10 significant
    /// digits, far finer than any simulator comparison and half the size.
    pub fn trace_format(&self) -> &'static str {
        if self.suite.checks.analytic.is_empty() {
            "%.10g"
        } else {
            "%.17g"
        }
    }

    /// The network of `suite`, with the spike trains and connections crosscheck prepared.
    pub fn new(suite: &'a NativeSuite, inputs: &'a Inputs) -> Network<'a> {
        Network {
            suite,
            populations: populations(suite, inputs),
            projections: projections(suite, inputs),
            stimuli: suite
                .stimuli
                .iter()
                .enumerate()
                .map(|(index, stimulus)| stimulus_of(suite, index, stimulus))
                .collect(),
            recordings: suite
                .recordings
                .iter()
                .map(|rec| NetRecording {
                    population: rec.population,
                    cells: cells(&rec.cells, suite.populations[rec.population].size),
                    variables: &rec.variables,
                })
                .collect(),
        }
    }

    /// The simulation step.
    pub fn dt(&self) -> &'a Quantity {
        &self.suite.simulation.dt
    }

    /// The simulated time.
    pub fn duration(&self) -> &'a Quantity {
        &self.suite.simulation.duration
    }

    /// The simulation step in ms.
    pub fn dt_ms(&self) -> f64 {
        ms(self.dt())
    }

    /// The simulated time in ms.
    pub fn duration_ms(&self) -> f64 {
        ms(self.duration())
    }

    /// The current steps, in the suite's order.
    pub fn steps(&self) -> impl Iterator<Item = &CurrentStep> {
        self.stimuli.iter().filter_map(|s| match s {
            NetStimulus::Step(step) => Some(step),
            NetStimulus::Poisson(_) => None,
        })
    }

    /// The Poisson drives, in the suite's order.
    pub fn drives(&self) -> impl Iterator<Item = &PoissonDrive> {
        self.stimuli.iter().filter_map(|s| match s {
            NetStimulus::Poisson(drive) => Some(drive),
            NetStimulus::Step(_) => None,
        })
    }

    /// Refuses a network with a `passive_cable` population on a simulator that cannot run a
    /// cable, saying why (`why`): the job is then a skip with the reason, not an error.
    pub(crate) fn refuse_cables(&self, why: &str) -> Result<(), CodegenError> {
        match self
            .populations
            .iter()
            .find(|p| p.kind.name == PASSIVE_CABLE)
        {
            Some(pop) => Err(CodegenError::Unsupported(format!(
                "`{}` is a {PASSIVE_CABLE}, a multi-compartment cable: {why}",
                pop.id
            ))),
            None => Ok(()),
        }
    }

    /// The Poisson drives for a generator (`who`) that takes them on [`DRIVEN_CELLS`] only,
    /// one per population.
    pub(crate) fn driven_cells(&self, who: &str) -> Result<Vec<&PoissonDrive>, CodegenError> {
        let mut drives: Vec<&PoissonDrive> = Vec::new();
        for drive in self.drives() {
            let pop = &self.populations[drive.target];
            if !DRIVEN_CELLS.contains(&pop.kind.name) {
                return Err(CodegenError::Unsupported(format!(
                    "{who} takes a Poisson drive on `lif_delta` and `lif_curr_exp` cells only (`{}` is {})",
                    pop.id, pop.kind.name
                )));
            }
            if drives.iter().any(|d| d.target == drive.target) {
                return Err(CodegenError::Unsupported(format!(
                    "more than one Poisson drive onto `{}`: {who} takes one per population",
                    pop.id
                )));
            }
            drives.push(drive);
        }
        Ok(drives)
    }
}

/// `weight` signed by `receptor`.
fn signed(receptor: Receptor, weight: &Quantity) -> Quantity {
    Quantity {
        si: receptor.sign() * weight.si,
        dim: weight.dim,
    }
}

fn populations<'a>(suite: &'a NativeSuite, inputs: &'a Inputs) -> Vec<NetPopulation<'a>> {
    suite
        .populations
        .iter()
        .enumerate()
        .map(|(index, def)| NetPopulation {
            index,
            id: &def.id,
            kind: def.kind,
            size: def.size,
            def,
            spike_trains: inputs
                .source_spikes
                .get(index)
                .and_then(Option::as_ref)
                .map(Vec::as_slice),
        })
        .collect()
}

fn projections<'a>(suite: &'a NativeSuite, inputs: &'a Inputs) -> Vec<NetProjection<'a>> {
    let drawn = suite.simulation.connectivity == Connectivity::Simulator;
    suite
        .projections
        .iter()
        .enumerate()
        .map(|(index, def)| NetProjection {
            index,
            source: def.from,
            target: def.to,
            receptor: def.receptor,
            weight: def.weight,
            weight_sd: def.weight_sd,
            delay: def.delay,
            delay_sd: def.delay_sd,
            connections: if drawn {
                Connections::Drawn(&def.connector)
            } else {
                Connections::Listed(inputs.connections.get(index).map_or(&[], Vec::as_slice))
            },
            def,
        })
        .collect()
}

fn stimulus_of(suite: &NativeSuite, index: usize, stimulus: &Stimulus) -> NetStimulus {
    match stimulus {
        Stimulus::Step {
            target,
            cells: selection,
            amplitude,
            start,
            stop,
            ..
        } => NetStimulus::Step(CurrentStep {
            index,
            target: *target,
            cells: cells(selection, suite.populations[*target].size),
            amplitude: *amplitude,
            start: *start,
            stop: *stop,
        }),
        Stimulus::Poisson {
            target,
            rate,
            weight,
            receptor,
            delay,
            ..
        } => NetStimulus::Poisson(PoissonDrive {
            index,
            target: *target,
            rate: *rate,
            receptor: *receptor,
            weight: *weight,
            delay: *delay,
        }),
    }
}

/// One of the library's parameters as a simulator takes it: the simulator's name for it and
/// the unit of the number written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParamMap {
    /// The library's name.
    pub ours: &'static str,
    /// The simulator's name.
    pub theirs: &'static str,
    /// The unit the simulator takes the number in.
    pub unit: &'static str,
}

impl ParamMap {
    /// `ours` written as `theirs` in `unit`.
    pub const fn new(ours: &'static str, theirs: &'static str, unit: &'static str) -> Self {
        ParamMap { ours, theirs, unit }
    }

    /// A parameter the simulator calls by the library's name, in `unit`.
    pub const fn same(name: &'static str, unit: &'static str) -> Self {
        ParamMap {
            ours: name,
            theirs: name,
            unit,
        }
    }
}

/// One of the library's names (a parameter or state variable) and the simulator's name for
/// the same thing.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct NameMap {
    /// The library's name.
    pub ours: &'static str,
    /// The simulator's name.
    pub theirs: &'static str,
}

impl NameMap {
    /// `ours` called `theirs`.
    pub const fn new(ours: &'static str, theirs: &'static str) -> Self {
        NameMap { ours, theirs }
    }
}

/// A simulator parameter and its value as code, for a template (`name: value`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Setting {
    /// The simulator's name.
    pub name: &'static str,
    /// The value, as code (a number, or an expression).
    pub value: String,
}

impl Setting {
    /// `name` set to `value`.
    pub fn new(name: &'static str, value: impl Into<String>) -> Self {
        Setting {
            name,
            value: value.into(),
        }
    }
}

/// A normal distribution for a template: mean and standard deviation as code numbers.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NormalDraw {
    /// The mean.
    pub mean: String,
    /// The standard deviation.
    pub sd: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::prepare_inputs;
    use crate::codegen::testing::from_yaml;

    const SUITE: &str = "suite: net\nsimulation: {duration: 20 ms, dt: 0.1 ms, seed: 4}\n\
        populations:\n  src: {cell: spike_source, size: 3, spike_times: [1 ms, 3 ms]}\n  \
        le: {cell: lif_curr_exp, size: 3}\n  iz: {cell: izhikevich, size: 1}\n\
        projections:\n  - {from: src, to: le, connector: one_to_one, receptor: inhibitory, \
        weight: 100 pA, delay: 1 ms}\n\
        stimuli:\n  - poisson: {target: le, rate: 1 kHz, weight: 10 pA, receptor: inhibitory}\n  \
        - step: {target: le, cells: [2], amplitude: 50 pA, start: 1 ms, stop: 5 ms}\n\
        record:\n  - {population: le, variables: [v, spikes], cells: [0, 2]}\n\
        checks: {agreement: {spikes: {window: 1 ms}}}\n";

    #[test]
    fn describes_the_suite_once_for_every_simulator() {
        let suite = from_yaml(SUITE);
        let inputs = prepare_inputs(&suite);
        let net = Network::new(&suite, &inputs);
        assert_eq!(net.populations.len(), 3);
        assert_eq!(
            net.populations[0].trains().unwrap(),
            vec![vec![1.0, 3.0]; 3]
        );
        assert!(net.populations[1].trains().is_err());
        let proj = &net.projections[0];
        assert_eq!((proj.source, proj.target), (0, 1));
        assert!(
            matches!(proj.connections, Connections::Listed(p) if p == [(0, 0), (1, 1), (2, 2)])
        );
        assert!(proj.signed_weight().si < 0.0 && proj.weight.si > 0.0);
        // Stimuli keep the suite's order; steps list their cells.
        assert_eq!(
            net.stimuli
                .iter()
                .map(NetStimulus::index)
                .collect::<Vec<_>>(),
            [0, 1]
        );
        let step = net.steps().next().unwrap();
        assert_eq!(
            (step.index, step.target, step.cells.clone()),
            (1, 1, vec![2])
        );
        let drive = net.drives().next().unwrap();
        assert_eq!(drive.signed_weight().si, -10e-12);
        let rec = &net.recordings[0];
        assert_eq!(rec.cells, [0, 2]);
        let (spikes, vars) = rec
            .split(|name| Some(name.to_string()), |_| String::new())
            .unwrap();
        assert!(spikes);
        assert_eq!(vars, ["v"]);
        assert_eq!(net.driven_cells("here").unwrap().len(), 1);
    }

    #[test]
    fn drawn_networks_and_drives_a_generator_cannot_take() {
        let drawn = SUITE
            .replace("seed: 4}", "seed: 4, connectivity: simulator}")
            .replace(
                "{from: src, to: le, connector: one_to_one",
                "{from: le, to: le, connector: one_to_one",
            );
        let suite = from_yaml(&drawn);
        let inputs = prepare_inputs(&suite);
        let net = Network::new(&suite, &inputs);
        assert!(matches!(
            net.projections[0].connections,
            Connections::Drawn(Connector::OneToOne)
        ));
        let onto_izhikevich = SUITE.replace(
            "poisson: {target: le, rate: 1 kHz, weight: 10 pA",
            "poisson: {target: iz, rate: 1 kHz, weight: 1 mV",
        );
        let suite = from_yaml(&onto_izhikevich);
        let inputs = prepare_inputs(&suite);
        let err = Network::new(&suite, &inputs)
            .driven_cells("here")
            .unwrap_err();
        assert!(err.to_string().contains("`iz` is izhikevich"), "{err}");
    }
}
