//! The standard library of point-neuron and input types, and the passive cable: one table,
//! read by the loader (names, dimensions, defaults), the JSON Schema and the documentation, and
//! by each code generator.
//!
//! Every type has the same meaning on every simulator. Parameter names follow PyNN's standard
//! cell types where one exists (`cm`, `tau_m`, `v_rest`, ...), because that is the vocabulary
//! this community already shares; defaults are NEST's, so a parameter left out means what it
//! means in NEST's built-in model of the same cell.

use crate::suite::units::Dimension;

/// How a cell receives synaptic input, which decides the unit of a projection's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynapseKind {
    /// Current-based, exponentially decaying (weight: current).
    CurrentExp,
    /// Current-based, alpha-shaped (weight: current).
    CurrentAlpha,
    /// Conductance-based, exponentially decaying (weight: conductance).
    ConductanceExp,
    /// Each spike moves the membrane potential at once (weight: voltage).
    Delta,
    /// Receives no synaptic input: a source, a NeuroML cell crosscheck does not translate, or
    /// a [`PASSIVE_CABLE`] (a cable driven only by injected current, whose exact answer is
    /// what it is for).
    None,
}

impl SynapseKind {
    /// The dimension of a projection weight onto this kind of cell.
    pub fn weight_dimension(self) -> Option<Dimension> {
        match self {
            SynapseKind::CurrentExp | SynapseKind::CurrentAlpha => Some(Dimension::CURRENT),
            SynapseKind::ConductanceExp => Some(Dimension::CONDUCTANCE),
            SynapseKind::Delta => Some(Dimension::VOLTAGE),
            SynapseKind::None => None,
        }
    }
}

/// One parameter of a cell type.
#[derive(Debug)]
pub struct ParamSpec {
    /// The key a suite writes under a population's `parameters` (`tau_m`, `v_thresh`, ...).
    pub name: &'static str,
    /// What the value must measure; a value in another dimension, or without a unit, is an
    /// error when the suite is loaded.
    pub dimension: Dimension,
    /// The default, in the suite's own syntax (a quantity with its unit).
    pub default: &'static str,
    /// A short description for the JSON Schema and the documentation ("membrane capacitance").
    pub doc: &'static str,
}

/// A cell (or input source) type of the standard library.
#[derive(Debug)]
pub struct CellKind {
    /// The name a suite writes as a population's `cell` (`lif_curr_exp`, `izhikevich`, ...).
    pub name: &'static str,
    /// What the model is and which simulators' built-in models it matches, for the JSON Schema
    /// and the documentation.
    pub doc: &'static str,
    /// How its cells receive synaptic input, which fixes the unit of a weight onto them.
    pub synapse: SynapseKind,
    /// Every parameter it accepts, each with its dimension and default.
    pub params: &'static [ParamSpec],
    /// State variables that can be recorded besides spikes (the membrane potential first), with
    /// their dimensions: trace tolerances are checked against them, and `u` is a voltage rate
    /// in `izhikevich` but a current in `izhikevich2007`.
    pub state_variables: &'static [StateVariable],
    /// Spike sources are driven by given spike times (after crosscheck has drawn them, for
    /// Poisson sources) instead of integrating equations.
    pub is_source: bool,
}

/// A recordable state variable of a cell type.
#[derive(Debug)]
pub struct StateVariable {
    /// The name a suite lists under a recording's `variables` (`v`, `u`, `w`).
    pub name: &'static str,
    /// What it measures, so a trace check's tolerance can be checked against it.
    pub dimension: Dimension,
}

impl CellKind {
    /// The state variable called `name`.
    pub fn state_variable(&self, name: &str) -> Option<&'static StateVariable> {
        self.state_variables.iter().find(|s| s.name == name)
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

const fn p(
    name: &'static str,
    dimension: Dimension,
    default: &'static str,
    doc: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        dimension,
        default,
        doc,
    }
}

const V: Dimension = Dimension::VOLTAGE;
const T: Dimension = Dimension::TIME;
const I: Dimension = Dimension::CURRENT;
const C: Dimension = Dimension::CAPACITANCE;
const G: Dimension = Dimension::CONDUCTANCE;
const PER_T: Dimension = Dimension::FREQUENCY;
/// Izhikevich (2003) writes `u` and `d` in mV/ms. (Spelled out because `Dimension::div` is not
/// a `const fn`; the test `voltage_per_time_is_voltage_over_time` checks it.)
const V_PER_T: Dimension = Dimension {
    time: Dimension::VOLTAGE.time - 1,
    ..Dimension::VOLTAGE
};

/// The name of the passive cable type: a cell with a length, judged against the cable
/// equation's exact answer ([`crate::analytic::cable`]). Code generators and the loader treat
/// it apart from the point neurons (it has no spikes, no synapses, and more than one
/// compartment).
pub const PASSIVE_CABLE: &str = "passive_cable";

/// The most compartments (`nseg`) a passive cable may have: Rallpack 1's 1000 with a wide
/// margin, while a cable's matrix stays small enough to step in milliseconds.
pub const MAX_NSEG: i64 = 100_000;

const fn sv(name: &'static str, dimension: Dimension) -> StateVariable {
    StateVariable { name, dimension }
}

const LIF_PARAMS: &[ParamSpec] = &[
    p("cm", C, "250 pF", "membrane capacitance"),
    p("tau_m", T, "10 ms", "membrane time constant"),
    p("v_rest", V, "-70 mV", "resting (leak reversal) potential"),
    p("v_reset", V, "-70 mV", "potential after a spike"),
    p("v_thresh", V, "-55 mV", "spike threshold"),
    p(
        "tau_refrac",
        T,
        "2 ms",
        "refractory period (potential clamped at v_reset)",
    ),
    p("tau_syn_E", T, "2 ms", "excitatory synaptic time constant"),
    p("tau_syn_I", T, "2 ms", "inhibitory synaptic time constant"),
    p("i_offset", I, "0 pA", "constant injected current"),
    p("v_init", V, "-70 mV", "membrane potential at t = 0"),
];

/// The LIF parameters without synaptic time constants: a delta synapse has none.
const LIF_DELTA_PARAMS: &[ParamSpec] = &[
    p(
        "cm",
        C,
        "250 pF",
        "membrane capacitance (only injected currents see it)",
    ),
    p("tau_m", T, "10 ms", "membrane time constant"),
    p("v_rest", V, "-70 mV", "resting (leak reversal) potential"),
    p("v_reset", V, "-70 mV", "potential after a spike"),
    p("v_thresh", V, "-55 mV", "spike threshold"),
    p(
        "tau_refrac",
        T,
        "2 ms",
        "refractory period (potential clamped at v_reset, arriving spikes ignored)",
    ),
    p("i_offset", I, "0 pA", "constant injected current"),
    p("v_init", V, "-70 mV", "membrane potential at t = 0"),
];

/// The standard library. Order is the documentation's order.
pub static CELL_TYPES: &[CellKind] = &[
    CellKind {
        name: "lif_curr_exp",
        doc: "Leaky integrate-and-fire, current-based exponential synapses (NEST iaf_psc_exp, PyNN IF_curr_exp)",
        synapse: SynapseKind::CurrentExp,
        params: LIF_PARAMS,
        state_variables: &[sv("v", V)],
        is_source: false,
    },
    CellKind {
        name: "lif_curr_alpha",
        doc: "Leaky integrate-and-fire, current-based alpha synapses (NEST iaf_psc_alpha, PyNN IF_curr_alpha)",
        synapse: SynapseKind::CurrentAlpha,
        params: LIF_PARAMS,
        state_variables: &[sv("v", V)],
        is_source: false,
    },
    CellKind {
        name: "lif_delta",
        doc: "Leaky integrate-and-fire, delta synapses: a spike moves the membrane potential by its \
              weight at once, and is ignored while the cell is refractory (NEST iaf_psc_delta; the \
              cells of Brunel 2000)",
        synapse: SynapseKind::Delta,
        params: LIF_DELTA_PARAMS,
        state_variables: &[sv("v", V)],
        is_source: false,
    },
    CellKind {
        name: "izhikevich",
        doc: "Izhikevich (2003): dv/dt = 0.04 v² + 5 v + 140 − u + I, du/dt = a (b v − u), in mV and ms; \
              currents act through a 1 pF capacitance (1 pA ↦ 1 mV/ms, as in NEST); synaptic spikes \
              move v by the weight (NEST izhikevich)",
        synapse: SynapseKind::Delta,
        params: &[
            p("a", PER_T, "0.02 /ms", "recovery time scale"),
            p("b", PER_T, "0.2 /ms", "sensitivity of u to v (per ms, as v and u share units)"),
            p("c", V, "-65 mV", "reset potential"),
            p("d", V_PER_T, "8 mV/ms", "reset increment of u"),
            p("v_thresh", V, "30 mV", "spike cut-off"),
            p("i_offset", I, "0 pA", "constant injected current"),
            p("v_init", V, "-65 mV", "membrane potential at t = 0"),
            p("u_init", V_PER_T, "-13 mV/ms", "recovery variable at t = 0"),
        ],
        state_variables: &[sv("v", V), sv("u", V_PER_T)],
        is_source: false,
    },
    CellKind {
        name: "izhikevich2007",
        doc: "Izhikevich (2007): C dv/dt = k (v − v_r)(v − v_t) − u + I, du/dt = a (b (v − v_r) − u); \
              current-based exponential synapses (NeuroML izhikevich2007Cell)",
        synapse: SynapseKind::CurrentExp,
        params: &[
            p("cm", C, "100 pF", "membrane capacitance"),
            p("k", Dimension::CONDUCTANCE_PER_VOLTAGE, "0.7 nS/mV", "scale of the quadratic term"),
            p("v_r", V, "-60 mV", "resting potential"),
            p("v_t", V, "-40 mV", "instantaneous threshold"),
            p("v_peak", V, "35 mV", "spike cut-off"),
            p("a", PER_T, "0.03 /ms", "recovery time scale"),
            p("b", G, "-2 nS", "sensitivity of u to v"),
            p("c", V, "-50 mV", "reset potential"),
            p("d", I, "100 pA", "reset increment of u"),
            p("tau_syn_E", T, "2 ms", "excitatory synaptic time constant"),
            p("tau_syn_I", T, "2 ms", "inhibitory synaptic time constant"),
            p("i_offset", I, "0 pA", "constant injected current"),
            p("v_init", V, "-60 mV", "membrane potential at t = 0"),
        ],
        state_variables: &[sv("v", V), sv("u", I)],
        is_source: false,
    },
    CellKind {
        name: "adex_cond_exp",
        doc: "Adaptive exponential integrate-and-fire (Brette & Gerstner 2005), conductance-based exponential synapses (NEST aeif_cond_exp, PyNN EIF_cond_exp_isfa_ista)",
        synapse: SynapseKind::ConductanceExp,
        params: &[
            p("cm", C, "281 pF", "membrane capacitance"),
            p("g_L", G, "30 nS", "leak conductance"),
            p("v_rest", V, "-70.6 mV", "leak reversal potential"),
            p("v_reset", V, "-60 mV", "potential after a spike"),
            p("v_thresh", V, "-50.4 mV", "exponential threshold (V_T)"),
            p("delta_T", V, "2 mV", "slope factor"),
            p("v_spike", V, "0 mV", "spike detection (cut-off) potential"),
            p("tau_w", T, "144 ms", "adaptation time constant"),
            p("a", G, "4 nS", "subthreshold adaptation"),
            p("b", I, "80.5 pA", "spike-triggered adaptation"),
            p("tau_refrac", T, "0 ms", "refractory period"),
            p("e_rev_E", V, "0 mV", "excitatory reversal potential"),
            p("e_rev_I", V, "-85 mV", "inhibitory reversal potential"),
            p("tau_syn_E", T, "0.2 ms", "excitatory synaptic time constant"),
            p("tau_syn_I", T, "2 ms", "inhibitory synaptic time constant"),
            p("i_offset", I, "0 pA", "constant injected current"),
            p("v_init", V, "-70.6 mV", "membrane potential at t = 0"),
        ],
        state_variables: &[sv("v", V), sv("w", I)],
        is_source: false,
    },
    CellKind {
        name: "hh_curr_alpha",
        doc: "Single-compartment Hodgkin–Huxley cell (squid axon kinetics as in NEST hh_psc_alpha; gates start at their steady state for v_init), current-based alpha synapses",
        synapse: SynapseKind::CurrentAlpha,
        params: &[
            p("cm", C, "100 pF", "membrane capacitance"),
            p("g_Na", G, "12000 nS", "maximal sodium conductance"),
            p("g_K", G, "3600 nS", "maximal potassium conductance"),
            p("g_L", G, "30 nS", "leak conductance"),
            p("e_rev_Na", V, "50 mV", "sodium reversal potential"),
            p("e_rev_K", V, "-77 mV", "potassium reversal potential"),
            p("e_rev_L", V, "-54.402 mV", "leak reversal potential"),
            p("tau_syn_E", T, "0.2 ms", "excitatory synaptic time constant"),
            p("tau_syn_I", T, "2 ms", "inhibitory synaptic time constant"),
            p("i_offset", I, "0 pA", "constant injected current"),
            p("v_init", V, "-65 mV", "membrane potential at t = 0"),
        ],
        state_variables: &[sv("v", V)],
        is_source: false,
    },
    CellKind {
        name: PASSIVE_CABLE,
        doc: "Passive unbranched cable (Rallpack 1; Bhalla, Bilitch & Bower 1992): a uniform cylinder \
              (or a linear taper, NSuite's cable-steadystate) with sealed ends and a leak, `nseg` compartments, current (steps, i_offset) injected at \
              x = 0; records v at x = 0 and v_distal at x = L. No spikes and no synaptic input; runs \
              on NEURON and jNeuroML_NEURON (a NeuroML2 cell)",
        synapse: SynapseKind::None,
        params: &[
            p("length", Dimension::LENGTH, "1000 um", "length L"),
            p("diameter", Dimension::LENGTH, "1 um", "diameter (at x = 0, where a taper starts)"),
            p(
                "diameter_distal",
                Dimension::LENGTH,
                "0 um",
                "diameter at x = L: the cable tapers linearly from `diameter` (a frustum); 0, the \
                 default, is `diameter`, a uniform cylinder",
            ),
            p(
                "nseg",
                Dimension::DIMENSIONLESS,
                "1000",
                "number of compartments (a whole number from 1 to 100000; Rallpack 1 has 1000)",
            ),
            p("ra", Dimension::RESISTIVITY, "100 ohm*cm", "axial resistivity"),
            p(
                "g_leak",
                Dimension::CONDUCTANCE_DENSITY,
                "0.025 mS/cm2",
                "leak conductance density (1/R_m: 4 ohm m2 for Rallpack 1)",
            ),
            p(
                "c_m",
                Dimension::SPECIFIC_CAPACITANCE,
                "1 uF/cm2",
                "specific membrane capacitance",
            ),
            p("v_rest", V, "-65 mV", "leak reversal potential"),
            p("i_offset", I, "0 pA", "constant current injected at x = 0"),
            p("v_init", V, "-65 mV", "membrane potential everywhere at t = 0"),
        ],
        state_variables: &[sv("v", V), sv("v_distal", V)],
        is_source: false,
    },
    CellKind {
        name: "spike_source",
        doc: "Emits spikes at given times (`spike_times`, the same for every cell of the population unless given per cell)",
        synapse: SynapseKind::None,
        params: &[],
        state_variables: &[],
        is_source: true,
    },
    CellKind {
        name: "poisson_source",
        doc: "Poisson spike trains drawn by crosscheck from the suite's seed, then fed to every simulator as spike times, so all simulators see the same input",
        synapse: SynapseKind::None,
        params: &[
            p("rate", PER_T, "10 Hz", "mean rate"),
            p("start", T, "0 ms", "first possible spike"),
            p("stop", T, "1e9 ms", "no spike at or after this time (default: the end of the simulation)"),
        ],
        state_variables: &[],
        is_source: true,
    },
];

/// The cell type called `name`.
pub fn cell_kind(name: &str) -> Option<&'static CellKind> {
    CELL_TYPES.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::units::parse_expecting;

    #[test]
    fn every_default_parses_with_its_dimension() {
        for kind in CELL_TYPES {
            for param in kind.params {
                parse_expecting(param.default, param.dimension).unwrap_or_else(|e| {
                    panic!(
                        "{}.{} default `{}`: {e}",
                        kind.name, param.name, param.default
                    )
                });
            }
        }
    }

    #[test]
    fn voltage_per_time_is_voltage_over_time() {
        assert_eq!(V_PER_T, Dimension::VOLTAGE.div(Dimension::TIME));
    }

    #[test]
    fn names_are_unique_and_identifiers() {
        let mut names: Vec<&str> = CELL_TYPES.iter().map(|k| k.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CELL_TYPES.len());
        for kind in CELL_TYPES {
            let mut params: Vec<&str> = kind.params.iter().map(|p| p.name).collect();
            params.sort();
            params.dedup();
            assert_eq!(params.len(), kind.params.len(), "{}", kind.name);
            for name in params.iter().chain(std::iter::once(&kind.name)) {
                assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            }
        }
    }
}
