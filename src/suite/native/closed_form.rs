//! The exact answer of a suite's model, where one exists ([`crate::analytic`]).
//!
//! `checks.analytic` names a population; the closed form comes from the suite itself (the
//! cell's parameters, its injected current), so nothing is written twice and a change to the
//! model changes the answer with it. What has a closed form today: a leaky integrate-and-fire
//! cell (`lif_curr_exp`, `lif_curr_alpha`, `lif_delta`) with no synaptic input, driven by a
//! constant `i_offset` or by one current step: its membrane is an RC circuit between spikes,
//! and its spike times are solved interval by interval (a cell that never reaches threshold
//! is the passive RC cell under a step). Anything else is refused with the reason, at load.

use super::{CellSelection, NativeSuite, Projection, Stimulus};
use crate::analytic::{CurrentStep, Lif, Membrane};

/// The cell types with a closed form under a current.
const LIF_TYPES: &[&str] = &["lif_curr_exp", "lif_curr_alpha", "lif_delta"];

/// The exact model of cell `cell` of population `population`, or why there is none (a
/// sentence saying what would make one).
pub fn lif(suite: &NativeSuite, population: usize, cell: usize) -> Result<Lif, String> {
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
    let receives = |p: &Projection| p.to == population;
    if suite.projections.iter().any(receives) {
        return Err(format!(
            "`{}` receives synaptic input: the exact answer covers a cell under a current only",
            pop.id
        ));
    }
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
    let param = |name: &str| pop.param(name).map(|q| q.si);
    let i_offset_na = param("i_offset").unwrap_or(0.0) * 1e9;
    let step = match (steps.as_slice(), i_offset_na != 0.0) {
        ([], _) => CurrentStep::dc(i_offset_na),
        ([one], false) => *one,
        _ => {
            return Err(format!(
                "cell {cell} of `{}` gets {} current step(s){}: the exact answer takes one step or one `i_offset`",
                pop.id,
                steps.len(),
                if i_offset_na != 0.0 { " and an `i_offset`" } else { "" }
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
}
