//! Closed-form answers for small models, and convergence fitting: checks that say which
//! simulator is right, not only whether two simulators agree.
//!
//! Comparing simulators with each other finds disagreements but cannot say who is wrong: two
//! simulators sharing an integration scheme share its error. A few models have exact
//! solutions, and a simulator's output converging to them (at the expected order as the time
//! step shrinks) anchors it to the truth. Arbor's validation suite NSuite does this for a
//! passive cable (Rallpack 1), an RC cell with exponential synapses and a cable's steady state;
//! NEST's testsuite checks its integrate-and-fire models against values computed from their
//! exact solutions. This module provides those exact solutions and the measures to compare
//! a simulated trace with them:
//!
//! - [`point`]: a single passive compartment (RC cell) under a current step, and the leaky
//!   integrate-and-fire neuron under a step (spike times solved exactly, not stepped).
//! - [`psc`]: the membrane response of an RC cell to exponential and alpha-shaped
//!   post-synaptic currents, single input spikes and trains (by superposition).
//! - [`cable`]: the passive finite cable with sealed ends and current injected at one end
//!   (Rallpack 1): steady state and transient (eigenfunction series).
//! - [`taper`]: the steady state of a tapered (conical) cable, NSuite's `cable-steadystate`,
//!   from modified Bessel functions ([`bessel`]).
//! - [`convergence`]: the order of convergence fitted from errors at several time steps, and
//!   the error measures between a simulated and an exact trace (relative RMS and maximum,
//!   spike time errors).
//!
//! Everything is a pure function of plain `f64` values and slices: no I/O, no state, and no
//! panics. Invalid parameters give NaN (or an empty or
//! `None` result, as documented per function), never a plausible-looking number.
//!
//! # Conventions
//!
//! Units are the usual electrophysiology ones, chosen so that no conversion factor appears in
//! the point-neuron formulas: time in **ms**, potential in **mV**, current in **nA**,
//! capacitance in **nF**, resistance in **MΩ** (so that MΩ·nF = ms and nA·MΩ = mV), lengths
//! in **µm**. The cable's specific (per area or length) parameters use NEURON's units, Ω·cm,
//! Ω·cm² and µF/cm². Each function's documentation names its units again; field and argument
//! names carry them as a suffix (`_ms`, `_mv`, `_na`, …).
//!
//! Time 0 is the start of the simulation, where the initial state (`v0_mv`, or rest) is set;
//! a value asked for at a negative time is that initial state. Currents are positive when
//! they flow into the cell (they depolarise it), as for NEURON's `IClamp` and NEST's `I_e`.

pub mod bessel;
pub mod cable;
pub mod convergence;
pub mod point;
pub mod psc;
pub mod taper;

pub use cable::PassiveCable;
pub use convergence::{
    fit_order, max_relative_error, rms_relative_error, spike_time_error, OrderFit, SpikeTimeError,
};
pub use point::{threshold_crossing_time, CurrentStep, Lif, Membrane, RcStep};
pub use psc::{PscInput, PscResponse, PscShape};
pub use taper::TaperedCable;
