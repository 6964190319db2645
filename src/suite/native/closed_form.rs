//! The exact answer of a suite's model, where one exists ([`crate::analytic`]).
//!
//! `checks.analytic` names a population; the closed form comes from the suite itself (the
//! cell's parameters, its injected current, its input spikes), so nothing is written twice and
//! a change to the model changes the answer with it. What has a closed form today:
//!
//! - a leaky integrate-and-fire cell (`lif_curr_exp`, `lif_curr_alpha`, `lif_delta`) with no
//!   synaptic input, driven by a constant `i_offset` or by one current step: its membrane is an
//!   RC circuit between spikes, and its spike times are solved interval by interval (a cell that
//!   never reaches threshold is the passive RC cell under a step);
//! - a `lif_curr_exp` or `lif_curr_alpha` cell at rest receiving spikes of `spike_source`
//!   populations (`all_to_all` or `one_to_one`, one receptor) and nothing else, as long as it
//!   stays below threshold: the sum of exact exponential or alpha PSC responses (the membrane is
//!   linear below threshold);
//! - a `passive_cable` starting at rest, driven by current steps and `i_offset` at x = 0: the
//!   cable equation is linear, so its answer is the sum of each current's exact response
//!   ([`crate::analytic::cable`], Rallpack 1's model), at both recorded ends. A tapered cable
//!   (`diameter_distal`) has its steady state only ([`crate::analytic::taper`], NSuite's
//!   `cable-steadystate`): the loader refuses trace and spike rules on it.
//!
//! Anything else is refused with the reason, at load.

use super::library::PASSIVE_CABLE;
use super::{CellSelection, Connector, NativeSuite, Projection, Receptor, Stimulus};
use crate::analytic::{
    CurrentStep, Lif, Membrane, PassiveCable, PscInput, PscResponse, PscShape, TaperedCable,
};

/// The exact answer of one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum ClosedForm {
    /// A LIF cell under a current (or the RC membrane, when it never spikes).
    Lif(Lif),
    /// A cell below threshold summing its input spikes' PSCs.
    Psc(PscResponse),
    /// A passive cable under currents injected at x = 0.
    Cable(CableResponse),
}

impl ClosedForm {
    /// The spike times on `[0, t_end_ms]` (ms); none for a subthreshold response or a cable.
    pub fn spike_times(&self, t_end_ms: f64) -> Vec<f64> {
        match self {
            ClosedForm::Lif(lif) => lif.spike_times(t_end_ms),
            ClosedForm::Psc(_) | ClosedForm::Cable(_) => Vec::new(),
        }
    }

    /// The membrane potential (mV) at each of `times` (ms); for a cable, at x = 0 (its `v`).
    pub fn trace(&self, times: &[f64]) -> Vec<f64> {
        match self {
            ClosedForm::Lif(lif) => lif.trace(times),
            ClosedForm::Psc(psc) => psc.trace(times),
            ClosedForm::Cable(cable) => cable.trace(0.0, times),
        }
    }

    /// The exact trace (mV) of the recorded state variable `variable` at each of `times`
    /// (ms): `v` for every cell, and a cable's `v_distal` (x = L); `None` for a variable the
    /// closed form does not give.
    pub fn trace_of(&self, variable: &str, times: &[f64]) -> Option<Vec<f64>> {
        match (self, variable) {
            (_, "v") => Some(self.trace(times)),
            (ClosedForm::Cable(cable), "v_distal") => {
                Some(cable.trace(cable.cable.length_um, times))
            }
            _ => None,
        }
    }

    /// A cable's steady-state potential (mV) under the currents flowing at `t_ms`, for the
    /// recorded `variable` (`v` at x = 0, `v_distal` at x = L); `None` for other cells and
    /// variables.
    pub fn steady_state_of(&self, variable: &str, t_ms: f64) -> Option<f64> {
        let ClosedForm::Cable(cable) = self else {
            return None;
        };
        let x_um = match variable {
            "v" => 0.0,
            "v_distal" => cable.cable.length_um,
            _ => return None,
        };
        Some(cable.steady_state_mv(x_um, t_ms))
    }

    /// The resting potential (mV), from which deflections are measured.
    pub fn rest_mv(&self) -> f64 {
        match self {
            ClosedForm::Lif(lif) => lif.membrane.e_l_mv,
            ClosedForm::Psc(psc) => psc.membrane.e_l_mv,
            ClosedForm::Cable(cable) => cable.cable.e_rest_mv,
        }
    }
}

/// A cable is taken to be at its steady state this many membrane time constants after its
/// last current change: its slowest transient decays as e^(-t/τ), and e^-20 ≈ 2e-9 of the
/// deflection is far below any bound (NSuite's `cable-steadystate` runs 20 τ).
pub const STEADY_AFTER_TAUS: f64 = 20.0;

/// A passive cable at rest at t = 0 under currents injected at x = 0: by linearity, the sum
/// of each current's response, a step of `I` on `[start, stop)` being `I` switched on at
/// `start` and `-I` switched on at `stop` ([`PassiveCable::v`] gives the response to a
/// current switched on at t = 0).
#[derive(Debug, Clone, PartialEq)]
pub struct CableResponse {
    /// The cable (NEURON's units, see [`crate::analytic::cable`]) with a unit current,
    /// `i_na` = 1 nA: each step scales its response. Its `diameter_um` is the one at x = 0.
    pub cable: PassiveCable,
    /// The diameter at x = L (µm): `cable.diameter_um` for a uniform cylinder, another for a
    /// taper, whose transient has no closed form here (its [`CableResponse::v`] is NaN).
    pub diameter_distal_um: f64,
    /// The injected currents: the steps onto the cell and the `i_offset` (from 0 ms, never
    /// stopping).
    pub steps: Vec<CurrentStep>,
}

impl CableResponse {
    /// Whether the diameter changes along the cable.
    pub fn is_tapered(&self) -> bool {
        self.diameter_distal_um != self.cable.diameter_um
    }

    /// Why the cable is not at its steady state at `t_ms` (fewer than [`STEADY_AFTER_TAUS`]
    /// time constants after its last current change), or `None` when it is.
    pub fn unsettled(&self, t_ms: f64) -> Option<String> {
        let settled_ms = t_ms - self.last_change_ms(t_ms);
        let needed_ms = STEADY_AFTER_TAUS * self.cable.tau_ms();
        (settled_ms < needed_ms).then(|| {
            format!(
                "settles for {settled_ms} ms after its last current change, short of a steady state: {STEADY_AFTER_TAUS} τ = {needed_ms} ms"
            )
        })
    }

    /// The latest time (ms) before `t_ms` at which an injected current starts or stops (0 for
    /// the start of the run): a step stopping at `t_ms` itself still flowed up to it.
    pub fn last_change_ms(&self, t_ms: f64) -> f64 {
        self.steps
            .iter()
            .flat_map(|s| [s.start_ms, s.stop_ms])
            .filter(|t| t.is_finite() && *t < t_ms)
            .fold(0.0, f64::max)
    }

    /// The steady-state potential (mV) at `x_um` (µm from the injection end) under the
    /// currents that flowed just before `t_ms` (steps with `start < t ≤ stop`, as a sample at
    /// `t` follows the step ending there): where the cable settles if they flow on unchanged.
    /// Exact for a uniform cable ([`PassiveCable::steady_state_mv`]) and a taper
    /// ([`TaperedCable::steady_state_mv`]).
    pub fn steady_state_mv(&self, x_um: f64, t_ms: f64) -> f64 {
        let flowing: f64 = self
            .steps
            .iter()
            .filter(|s| s.start_ms < t_ms && t_ms <= s.stop_ms)
            .map(|s| s.amp_na)
            .sum();
        let c = &self.cable;
        let unit = TaperedCable {
            ra_ohm_cm: c.ra_ohm_cm,
            rm_ohm_cm2: c.rm_ohm_cm2,
            diameter_um: c.diameter_um,
            diameter_distal_um: self.diameter_distal_um,
            length_um: c.length_um,
            e_rest_mv: c.e_rest_mv,
            i_na: 1.0,
        };
        c.e_rest_mv + flowing * (unit.steady_state_mv(x_um) - c.e_rest_mv)
    }

    /// The potential (mV) at `x_um` (µm from the injection end) and `t_ms` (ms); NaN for a
    /// tapered cable (its transient has no closed form here).
    pub fn v(&self, x_um: f64, t_ms: f64) -> f64 {
        if self.is_tapered() {
            return f64::NAN;
        }
        let rest = self.cable.e_rest_mv;
        // The deflection of the unit current switched on at `on` (0 before it).
        let unit = |on: f64| {
            if on.is_finite() {
                self.cable.v(x_um, t_ms - on) - rest
            } else {
                0.0
            }
        };
        let deflection: f64 = self
            .steps
            .iter()
            .map(|s| s.amp_na * (unit(s.start_ms) - unit(s.stop_ms)))
            .sum();
        rest + deflection
    }

    /// [`CableResponse::v`] at `x_um` for each of `times` (ms).
    pub fn trace(&self, x_um: f64, times: &[f64]) -> Vec<f64> {
        times.iter().map(|&t| self.v(x_um, t)).collect()
    }
}

/// The exact answer for cell `cell` of population `population`, or why there is none (a
/// sentence saying what the suite would need).
pub fn closed_form(
    suite: &NativeSuite,
    population: usize,
    cell: usize,
) -> Result<ClosedForm, String> {
    if suite
        .populations
        .get(population)
        .is_some_and(|p| p.kind.name == PASSIVE_CABLE)
    {
        return cable(suite, population, cell).map(ClosedForm::Cable);
    }
    let receives = |p: &&Projection| p.to == population;
    if suite.projections.iter().any(|p| receives(&p)) {
        psc(suite, population, cell).map(ClosedForm::Psc)
    } else {
        lif(suite, population, cell).map(ClosedForm::Lif)
    }
}

/// The cell types whose synaptic currents have a closed form.
const PSC_TYPES: &[(&str, PscShape)] = &[
    ("lif_curr_exp", PscShape::Exponential),
    ("lif_curr_alpha", PscShape::Alpha),
];

/// A subthreshold cell at rest summing the PSCs of its input spikes.
fn psc(suite: &NativeSuite, population: usize, cell: usize) -> Result<PscResponse, String> {
    let pop = &suite.populations[population];
    let Some((_, shape)) = PSC_TYPES.iter().find(|(name, _)| *name == pop.kind.name) else {
        return Err(format!(
            "`{}` is a `{}` cell receiving synaptic input: crosscheck knows the exact answer for lif_curr_exp and lif_curr_alpha cells below threshold",
            pop.id, pop.kind.name
        ));
    };
    let param = |name: &str| pop.param(name).map(|q| q.si).unwrap_or(0.0);
    if suite.stimuli.iter().any(|s| match s {
        Stimulus::Step { target, .. } | Stimulus::Poisson { target, .. } => *target == population,
    }) || param("i_offset") != 0.0
    {
        return Err(format!(
            "`{}` receives synaptic input and a current: the exact answer covers one or the other",
            pop.id
        ));
    }
    if pop.v_init_sd.is_some() || param("v_init") != param("v_rest") {
        return Err(format!(
            "`{}` does not start at rest (`v_init` = `v_rest`): the exact synaptic response starts there",
            pop.id
        ));
    }
    let mut inputs = Vec::new();
    let mut receptors = Vec::new();
    for projection in suite.projections.iter().filter(|p| p.to == population) {
        let source = &suite.populations[projection.from];
        if source.kind.name != "spike_source" {
            return Err(format!(
                "`{}` receives input from `{}`, a `{}` population: the exact answer takes spike_source inputs",
                pop.id, source.id, source.kind.name
            ));
        }
        if projection.weight_sd.is_some() || projection.delay_sd.is_some() {
            return Err(format!("`{}`'s input has drawn weights or delays", pop.id));
        }
        let senders: Vec<usize> = match projection.connector {
            Connector::AllToAll { .. } => (0..source.size).collect(),
            Connector::OneToOne => vec![cell],
            _ => {
                return Err(format!(
                    "`{}`'s input is drawn (a random connector): the exact answer takes all_to_all or one_to_one",
                    pop.id
                ))
            }
        };
        if !receptors.contains(&projection.receptor) {
            receptors.push(projection.receptor);
        }
        let weight_na = projection.receptor.sign() * projection.weight.si * 1e9;
        let delay_ms = projection.delay.si * 1e3;
        for sender in senders {
            for t in source.spike_times_of(sender) {
                inputs.push(PscInput {
                    time_ms: t.si * 1e3 + delay_ms,
                    weight_na,
                });
            }
        }
    }
    let tau_syn = match receptors.as_slice() {
        [Receptor::Excitatory] => param("tau_syn_E"),
        [Receptor::Inhibitory] => param("tau_syn_I"),
        _ => {
            return Err(format!(
                "`{}` receives input on both receptors: the exact answer takes one",
                pop.id
            ))
        }
    };
    let membrane = Membrane::from_tau(
        param("tau_m") * 1e3,
        param("cm") * 1e9,
        param("v_rest") * 1e3,
    );
    let response = PscResponse::new(membrane, *shape, tau_syn * 1e3, inputs);
    // Below threshold only: past it the cell would spike and reset, which the sum of PSCs
    // does not describe. Checked on a grid a hundred times finer than the synapse, coarsened
    // so that a long run with many inputs costs at most ~10⁷ PSC evaluations at load.
    let duration_ms = suite.simulation.duration.si * 1e3;
    let work = (response.inputs.len().max(1) as f64) * duration_ms / 1e7;
    let step = (tau_syn * 1e3 / 100.0).max(work).max(duration_ms / 1e6);
    let threshold = param("v_thresh") * 1e3;
    let mut t = 0.0;
    while t <= duration_ms {
        let v = response.v(t);
        if v >= threshold {
            return Err(format!(
                "`{}` reaches its threshold ({threshold} mV) at {t:.3} ms: the exact synaptic response holds below threshold only",
                pop.id
            ));
        }
        t += step;
    }
    Ok(response)
}

/// The current steps (and a non-zero `i_offset`) injected into cell `cell` of population
/// `population`, in nA and ms; an error if the cell has a Poisson drive.
fn injected(
    suite: &NativeSuite,
    population: usize,
    cell: usize,
) -> Result<Vec<CurrentStep>, String> {
    let pop = &suite.populations[population];
    let mut steps = Vec::new();
    for stimulus in &suite.stimuli {
        match stimulus {
            Stimulus::Poisson { target, .. } if *target == population => {
                return Err(format!(
                    "`{}` has a Poisson drive: it has no exact answer",
                    pop.id
                ))
            }
            Stimulus::Step {
                target,
                cells,
                amplitude,
                start,
                stop,
                ..
            } if *target == population
                && match cells {
                    CellSelection::All => true,
                    CellSelection::Indices(i) => i.contains(&cell),
                } =>
            {
                steps.push(CurrentStep::new(
                    amplitude.si * 1e9,
                    start.si * 1e3,
                    stop.si * 1e3,
                ));
            }
            _ => {}
        }
    }
    let i_offset_na = pop.param("i_offset").map_or(0.0, |q| q.si) * 1e9;
    if i_offset_na != 0.0 {
        steps.push(CurrentStep::dc(i_offset_na));
    }
    Ok(steps)
}

/// The passive cable of cell `cell` of population `population` under its injected currents,
/// or why there is none.
fn cable(suite: &NativeSuite, population: usize, cell: usize) -> Result<CableResponse, String> {
    let pop = &suite.populations[population];
    if suite.projections.iter().any(|p| p.to == population) {
        // Refused at load already; kept so the answer never ignores an input.
        return Err(format!("`{}` is a cable receiving synaptic input", pop.id));
    }
    let steps = injected(suite, population, cell)?;
    // Missing only when the population's parameters failed to load (reported there).
    const NEEDED: [&str; 7] = [
        "ra", "g_leak", "c_m", "diameter", "length", "v_rest", "v_init",
    ];
    if NEEDED.iter().any(|name| pop.param(name).is_none()) {
        return Err(format!("`{}` lacks a cable parameter", pop.id));
    }
    let param = |name: &str| pop.param(name).map_or(f64::NAN, |q| q.si);
    if pop.v_init_sd.is_some() || param("v_init") != param("v_rest") {
        return Err(format!(
            "`{}` does not start at rest (`v_init` = `v_rest`): the exact cable answer starts there",
            pop.id
        ));
    }
    if param("g_leak") <= 0.0 {
        return Err(format!(
            "`{}` has no leak (`g_leak` = 0): the exact cable answer needs a finite membrane resistance",
            pop.id
        ));
    }
    // SI to analytic::cable's NEURON units: Ω·m → Ω·cm (×100), the membrane resistance 1/g
    // in Ω·m² → Ω·cm² (×1e4), F/m² → µF/cm² (×100), m → µm, V → mV.
    let cable = PassiveCable {
        ra_ohm_cm: param("ra") * 100.0,
        rm_ohm_cm2: 1e4 / param("g_leak"),
        cm_uf_per_cm2: param("c_m") * 100.0,
        diameter_um: param("diameter") * 1e6,
        length_um: param("length") * 1e6,
        e_rest_mv: param("v_rest") * 1e3,
        i_na: 1.0,
    };
    let response = CableResponse {
        cable,
        steps,
        diameter_distal_um: pop.distal_diameter().map_or(f64::NAN, |q| q.si * 1e6),
    };
    if !response.steady_state_mv(0.0, f64::INFINITY).is_finite()
        || !response
            .steady_state_mv(cable.length_um, f64::INFINITY)
            .is_finite()
    {
        return Err(format!(
            "`{}`'s parameters give no finite exact answer",
            pop.id
        ));
    }
    Ok(response)
}

/// The cell types with a closed form under a current.
const LIF_TYPES: &[&str] = &["lif_curr_exp", "lif_curr_alpha", "lif_delta"];

/// The LIF model of cell `cell` of population `population` under a current, or why there is
/// none.
fn lif(suite: &NativeSuite, population: usize, cell: usize) -> Result<Lif, String> {
    let pop = suite
        .populations
        .get(population)
        .ok_or("no such population")?;
    if !LIF_TYPES.contains(&pop.kind.name) {
        return Err(format!(
            "`{}` is a `{}` cell: crosscheck knows the exact answer for {} cells under a current",
            pop.id,
            pop.kind.name,
            LIF_TYPES.join(", ")
        ));
    }
    if pop.v_init_sd.is_some() {
        return Err(format!(
            "`{}` draws its initial potentials: the exact answer needs one `v_init`",
            pop.id
        ));
    }
    let steps = injected(suite, population, cell)?;
    let param = |name: &str| pop.param(name).map(|q| q.si);
    let i_offset = param("i_offset").unwrap_or(0.0) != 0.0;
    let step = match steps.as_slice() {
        [] => CurrentStep::dc(0.0),
        [one] => *one,
        _ => {
            return Err(format!(
                "cell {cell} of `{}` gets {} current step(s){}: the exact answer takes one step or one `i_offset`",
                pop.id,
                steps.len() - usize::from(i_offset),
                if i_offset { " and an `i_offset`" } else { "" }
            ))
        }
    };
    let (Some(cm), Some(tau_m), Some(v_rest), Some(v_reset), Some(v_thresh)) = (
        param("cm"),
        param("tau_m"),
        param("v_rest"),
        param("v_reset"),
        param("v_thresh"),
    ) else {
        return Err(format!("`{}` lacks a membrane parameter", pop.id));
    };
    let v_init = param("v_init").unwrap_or(v_rest);
    let lif = Lif {
        membrane: Membrane::from_tau(tau_m * 1e3, cm * 1e9, v_rest * 1e3),
        step,
        v0_mv: v_init * 1e3,
        v_th_mv: v_thresh * 1e3,
        v_reset_mv: v_reset * 1e3,
        t_ref_ms: param("tau_refrac").unwrap_or(0.0) * 1e3,
    };
    if lif.is_valid() {
        Ok(lif)
    } else {
        Err(format!(
            "`{}`'s parameters have no well-posed exact answer (`v_reset` must be below `v_thresh`)",
            pop.id
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<NativeSuite, Vec<crate::suite::LoadError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.crosscheck.yaml");
        std::fs::write(&path, yaml).unwrap();
        crate::suite::native::load::load_suite(&path)
    }

    fn suite(yaml: &str) -> NativeSuite {
        load(yaml).unwrap_or_else(|e| panic!("{e:?}"))
    }

    const NEST_FIGURES: &str = "suite: lif_dc
simulation: {duration: 20 ms, dt: 0.1 ms}
populations:
  cell:
    cell: lif_curr_exp
    size: 1
    parameters: {cm: 250 pF, tau_m: 10 ms, v_rest: 0 mV, v_reset: 0 mV, v_thresh: 15 mV, tau_refrac: 2 ms, i_offset: 1000 pA, v_init: 0 mV}
record: [{population: cell, variables: [spikes, v]}]
checks:
  analytic: [{population: cell, spikes: {max_shift: 0.1 ms}}]
";

    #[test]
    fn a_lif_cell_under_i_offset_is_nests_closed_form() {
        let lif = lif(&suite(NEST_FIGURES), 0, 0).unwrap();
        // Below threshold it is the RC answer, V∞ (1 − e^(−t/τ)) with V∞ = I·R = 40 mV; at 5 ms
        // (15.7388 mV without a threshold) this cell has spiked and sits at reset.
        let rc = 40.0 * (1.0 - (-0.4_f64).exp());
        assert!((lif.v(4.0) - rc).abs() < 1e-9, "{}", lif.v(4.0));
        assert_eq!(lif.v(5.0), 0.0);
        assert!((lif.first_spike_time().unwrap() - 4.7000).abs() < 1e-4);
        assert_eq!(lif.t_ref_ms, 2.0);
    }

    #[test]
    fn spike_source_inputs_onto_a_resting_cell_are_a_sum_of_pscs() {
        let yaml = "suite: psc
simulation: {duration: 50 ms, dt: 0.1 ms}
populations:
  input: {cell: spike_source, size: 2, spike_times: [[10 ms], [20 ms, 30 ms]]}
  cell:
    cell: lif_curr_exp
    size: 1
    parameters: {v_rest: -70 mV, v_init: -70 mV, tau_syn_I: 3 ms}
projections:
  - {from: input, to: cell, connector: all_to_all, receptor: inhibitory, weight: 100 pA, delay: 1.5 ms}
record: [{population: cell, variables: [v]}]
checks:
  analytic: [{population: cell, v: {rms_relative: 0.01}}]
";
        let ClosedForm::Psc(psc) = closed_form(&suite(yaml), 1, 0).unwrap() else {
            panic!("not a PSC response")
        };
        let times: Vec<f64> = psc.inputs.iter().map(|i| i.time_ms).collect();
        assert_eq!(times, [11.5, 21.5, 31.5]);
        // Inhibitory weights are given as magnitudes and act negatively (NEST's convention).
        assert!(psc.inputs.iter().all(|i| (i.weight_na + 0.1).abs() < 1e-12));
        assert_eq!((psc.shape, psc.tau_syn_ms), (PscShape::Exponential, 3.0));
        assert!(psc.v(12.0) < -70.0);
        // Strong enough to fire: refused, naming when the threshold is reached.
        let strong = yaml.replace(
            "receptor: inhibitory, weight: 100 pA",
            "receptor: excitatory, weight: 5000 pA",
        );
        let errors = load(&strong).unwrap_err();
        assert!(
            errors[0].to_string().contains("reaches its threshold"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_step_is_taken_and_inputs_are_refused_with_the_reason() {
        let stepped = NEST_FIGURES.replace("i_offset: 1000 pA, ", "")
            + "stimuli: [{step: {target: cell, amplitude: 500 pA, start: 2 ms, stop: 12 ms}}]\n";
        let lif = lif(&suite(&stepped), 0, 0).unwrap();
        assert_eq!((lif.step.start_ms, lif.step.stop_ms), (2.0, 12.0));
        assert!((lif.step.amp_na - 0.5).abs() < 1e-12);
        let both = NEST_FIGURES.to_string()
            + "stimuli: [{step: {target: cell, amplitude: 500 pA, start: 2 ms, stop: 12 ms}}]\n";
        let errors = load(&both).unwrap_err();
        let message = errors[0].to_string();
        assert!(
            message.contains("no exact answer for this check"),
            "{message}"
        );
        assert!(message.contains("one step or one `i_offset`"), "{message}");
        assert_eq!(errors[0].location.line, 10, "at the analytic check");
        let fed = NEST_FIGURES.to_string()
            + "projections: [{from: cell, to: cell, connector: one_to_one, receptor: excitatory, weight: 10 pA, delay: 1 ms}]\n";
        let errors = load(&fed).unwrap_err();
        assert!(
            errors[0].to_string().contains("receives synaptic input"),
            "{errors:?}"
        );
    }

    /// Rallpack 1 as the bundled suite writes it, in SI-convertible units of its own.
    const RALLPACK1: &str = "suite: rallpack1
simulation: {duration: 250 ms, dt: 0.025 ms}
populations:
  cable:
    cell: passive_cable
    size: 3
    parameters: {length: 1 mm, diameter: 1 um, nseg: 100, ra: 1 ohm*m, g_leak: 0.025 mS/cm2, c_m: 0.01 F/m2, v_rest: -65 mV, v_init: -65 mV}
stimuli:
  - step: {target: cable, amplitude: 0.1 nA, start: 0 ms, stop: 250 ms}
record: [{population: cable, variables: [v, v_distal]}]
checks:
  analytic: [{population: cable, v: {rms_relative: 0.001}}]
";

    #[test]
    fn a_cable_in_a_suite_is_rallpack1s_exact_answer_at_both_ends() {
        let ClosedForm::Cable(cable) = closed_form(&suite(RALLPACK1), 0, 0).unwrap() else {
            panic!("not a cable")
        };
        let exact = PassiveCable::rallpack1();
        let unit = PassiveCable { i_na: 1.0, ..exact };
        for (got, want) in [
            (cable.cable.ra_ohm_cm, unit.ra_ohm_cm),
            (cable.cable.rm_ohm_cm2, unit.rm_ohm_cm2),
            (cable.cable.cm_uf_per_cm2, unit.cm_uf_per_cm2),
            (cable.cable.diameter_um, unit.diameter_um),
            (cable.cable.length_um, unit.length_um),
            (cable.cable.e_rest_mv, unit.e_rest_mv),
        ] {
            assert!((got - want).abs() < 1e-9 * want.abs(), "{got} vs {want}");
        }
        assert_eq!(cable.steps, [CurrentStep::new(0.1, 0.0, 250.0)]);
        let closed = ClosedForm::Cable(cable);
        let times = [0.0, 0.025, 1.0, 10.0, 40.0, 249.975];
        let near = closed.trace_of("v", &times).unwrap();
        let far = closed.trace_of("v_distal", &times).unwrap();
        for (k, &t) in times.iter().enumerate() {
            assert!((near[k] - exact.v(0.0, t)).abs() < 1e-9, "x=0 t={t}");
            assert!((far[k] - exact.v(1000.0, t)).abs() < 1e-9, "x=L t={t}");
        }
        assert_eq!(closed.trace(&times), near);
        assert_eq!(closed.rest_mv(), -65.0);
        assert!(closed.spike_times(250.0).is_empty());
        assert!(closed.trace_of("u", &times).is_none());
    }

    /// A cable's steady state under the currents flowing just before a time: Rallpack 1's
    /// cosh solution scaled by the current, none once the step has stopped; and a taper's,
    /// NSuite's cable-steadystate, with no transient.
    #[test]
    fn a_cables_steady_state_follows_the_flowing_current_and_a_taper_has_only_that() {
        let ClosedForm::Cable(cable) = closed_form(&suite(RALLPACK1), 0, 0).unwrap() else {
            panic!("not a cable")
        };
        assert!(!cable.is_tapered());
        let exact = PassiveCable::rallpack1();
        let closed = ClosedForm::Cable(cable.clone());
        for (variable, x) in [("v", 0.0), ("v_distal", 1000.0)] {
            // At 250 ms the sample follows the step that ends there: still flowing.
            let at_end = closed.steady_state_of(variable, 250.0).unwrap();
            assert!(
                (at_end - exact.steady_state_mv(x)).abs() < 1e-9,
                "{variable}"
            );
            assert_eq!(closed.steady_state_of(variable, 250.5), Some(-65.0));
            assert_eq!(closed.steady_state_of(variable, 0.0), Some(-65.0));
        }
        assert_eq!(cable.last_change_ms(250.0), 0.0);
        assert_eq!(cable.last_change_ms(251.0), 250.0);
        assert!(closed.steady_state_of("u", 10.0).is_none());

        let tapered = RALLPACK1
            .replace(
                "diameter: 1 um,",
                "diameter: 1.7 um, diameter_distal: 1 um,",
            )
            .replace(
                "v: {rms_relative: 0.001}",
                "steady_state: {max_relative: 0.001}",
            )
            .replace("duration: 250 ms", "duration: 800 ms")
            .replace("stop: 250 ms", "stop: 800 ms");
        let ClosedForm::Cable(taper) = closed_form(&suite(&tapered), 0, 0).unwrap() else {
            panic!("not a cable")
        };
        assert!(taper.is_tapered());
        assert_eq!(taper.diameter_distal_um, 1.0);
        let nsuite = crate::analytic::TaperedCable {
            e_rest_mv: -65.0,
            ..crate::analytic::TaperedCable::nsuite_default()
        };
        let closed = ClosedForm::Cable(taper);
        for (variable, x) in [("v", 0.0), ("v_distal", 1000.0)] {
            let got = closed.steady_state_of(variable, 100.0).unwrap();
            let want = nsuite.steady_state_mv(x);
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "{variable}: {got} vs {want}"
            );
        }
        assert!(
            closed.trace(&[10.0])[0].is_nan(),
            "no transient for a taper"
        );
    }

    #[test]
    fn currents_into_a_cable_superpose() {
        // A step switched off at 20 ms, another onto cell 1 only, and an i_offset: the
        // response is the sum of the unit responses, each switched on and off.
        let yaml = RALLPACK1
            .replace("stop: 250 ms}", "stop: 20 ms}\n  - step: {target: cable, cells: [1], amplitude: -50 pA, start: 5 ms, stop: 300 ms}")
            .replace("v_init: -65 mV}", "v_init: -65 mV, i_offset: 20 pA}");
        let suite = suite(&yaml);
        let unit = PassiveCable {
            i_na: 1.0,
            ..PassiveCable::rallpack1()
        };
        let u = |x: f64, t: f64| unit.v(x, t) + 65.0;
        for (cell, second) in [(0, 0.0), (1, -0.05)] {
            let ClosedForm::Cable(cable) = closed_form(&suite, 0, cell).unwrap() else {
                panic!("not a cable")
            };
            for t in [1.0, 7.0, 19.9, 20.0, 35.0, 250.0, 400.0] {
                for x in [0.0, 1000.0] {
                    let expected = -65.0
                        + 0.1 * (u(x, t) - u(x, t - 20.0))
                        + second * (u(x, t - 5.0) - u(x, t - 300.0))
                        + 0.02 * u(x, t);
                    assert!(
                        (cable.v(x, t) - expected).abs() < 1e-9,
                        "cell {cell} x={x} t={t}: {} vs {expected}",
                        cable.v(x, t)
                    );
                }
            }
        }
    }
}
