//! PyNEST code for a native suite, on NEST's built-in models.
//!
//! NEST's units are mV, pA, ms, pF and nS; the `izhikevich` model is written in mV and ms with
//! currents in pA acting through 1 pF, which is what the library's `izhikevich` type means.
//! NEST has no built-in Izhikevich (2007) model, so suites using it skip NEST.

use std::path::Path;

use serde::Serialize;

use crate::suite::units::{code_number, Dimension, Quantity};

use super::{cells, list_literal, number_in, render, CodegenError, Generated, Inputs};
use crate::suite::native::{NativeSuite, Population, Receptor, Stimulus};

const TEMPLATE: &str = include_str!("templates/nest.py.tera");
pub const SCRIPT: &str = "run_nest.py";

/// One of our cell types as a NEST model: (our parameter, NEST parameter, NEST unit) and
/// (our state variable, NEST recordable).
struct NestModel {
    model: &'static str,
    params: &'static [(&'static str, &'static str, &'static str)],
    variables: &'static [(&'static str, &'static str)],
}

const LIF_PARAMS: &[(&str, &str, &str)] = &[
    ("cm", "C_m", "pF"),
    ("tau_m", "tau_m", "ms"),
    ("v_rest", "E_L", "mV"),
    ("v_reset", "V_reset", "mV"),
    ("v_thresh", "V_th", "mV"),
    ("tau_refrac", "t_ref", "ms"),
    ("tau_syn_E", "tau_syn_ex", "ms"),
    ("tau_syn_I", "tau_syn_in", "ms"),
    ("i_offset", "I_e", "pA"),
    ("v_init", "V_m", "mV"),
];

fn nest_model(cell: &str) -> Option<NestModel> {
    Some(match cell {
        "lif_curr_exp" => NestModel {
            model: "iaf_psc_exp",
            params: LIF_PARAMS,
            variables: &[("v", "V_m")],
        },
        "lif_curr_alpha" => NestModel {
            model: "iaf_psc_alpha",
            params: LIF_PARAMS,
            variables: &[("v", "V_m")],
        },
        // The LIF table: the synaptic time constants it lacks are skipped.
        "lif_delta" => NestModel {
            model: "iaf_psc_delta",
            params: LIF_PARAMS,
            variables: &[("v", "V_m")],
        },
        "izhikevich" => NestModel {
            model: "izhikevich",
            params: &[
                ("a", "a", "1/ms"),
                ("b", "b", "1/ms"),
                ("c", "c", "mV"),
                ("d", "d", "mV/ms"),
                ("v_thresh", "V_th", "mV"),
                // 1 pA through 1 pF is 1 mV/ms: NEST adds I_e (pA) to dv/dt (mV/ms) directly.
                ("i_offset", "I_e", "pA"),
                ("v_init", "V_m", "mV"),
                ("u_init", "U_m", "mV/ms"),
            ],
            variables: &[("v", "V_m"), ("u", "U_m")],
        },
        "adex_cond_exp" => NestModel {
            model: "aeif_cond_exp",
            params: &[
                ("cm", "C_m", "pF"),
                ("g_L", "g_L", "nS"),
                ("v_rest", "E_L", "mV"),
                ("v_reset", "V_reset", "mV"),
                ("v_thresh", "V_th", "mV"),
                ("delta_T", "Delta_T", "mV"),
                ("v_spike", "V_peak", "mV"),
                ("tau_w", "tau_w", "ms"),
                ("a", "a", "nS"),
                ("b", "b", "pA"),
                ("tau_refrac", "t_ref", "ms"),
                ("e_rev_E", "E_ex", "mV"),
                ("e_rev_I", "E_in", "mV"),
                ("tau_syn_E", "tau_syn_ex", "ms"),
                ("tau_syn_I", "tau_syn_in", "ms"),
                ("i_offset", "I_e", "pA"),
                ("v_init", "V_m", "mV"),
            ],
            variables: &[("v", "V_m"), ("w", "w")],
        },
        "hh_curr_alpha" => NestModel {
            model: "hh_psc_alpha",
            params: &[
                ("cm", "C_m", "pF"),
                ("g_Na", "g_Na", "nS"),
                ("g_K", "g_K", "nS"),
                ("g_L", "g_L", "nS"),
                ("e_rev_Na", "E_Na", "mV"),
                ("e_rev_K", "E_K", "mV"),
                ("e_rev_L", "E_L", "mV"),
                ("tau_syn_E", "tau_syn_ex", "ms"),
                ("tau_syn_I", "tau_syn_in", "ms"),
                ("i_offset", "I_e", "pA"),
                ("v_init", "V_m", "mV"),
            ],
            variables: &[("v", "V_m")],
        },
        _ => return None,
    })
}

#[derive(Serialize)]
struct Context {
    version: &'static str,
    suite: String,
    /// `, sweep point N` when the run is one point of a sweep.
    sweep_label: String,
    dt: String,
    duration: String,
    seed: u64,
    populations: Vec<Pop>,
    projections: Vec<Proj>,
    steps: Vec<Step>,
    drives: Vec<Drive>,
    recordings: Vec<Rec>,
}

#[derive(Serialize)]
struct Pop {
    id: String,
    is_source: bool,
    model: &'static str,
    size: usize,
    params: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct Proj {
    index: usize,
    pre: String,
    post: String,
    weight: String,
    delay: String,
}

#[derive(Serialize)]
struct Step {
    target: String,
    cells: String,
    amplitude: String,
    start: String,
    stop: String,
}

#[derive(Serialize)]
struct Drive {
    target: String,
    rate_hz: String,
    weight: String,
}

#[derive(Serialize)]
struct Rec {
    pop: String,
    cells: String,
    spikes: bool,
    /// (our variable, NEST recordable)
    vars: Vec<(&'static str, &'static str)>,
}

/// A weight onto `target` in NEST's unit for its synapse, signed as NEST tells excitatory
/// from inhibitory input: by the sign.
fn signed_weight(
    target: &Population,
    weight: &Quantity,
    receptor: Receptor,
) -> Result<String, CodegenError> {
    let unit = match target.kind.synapse.weight_dimension() {
        Some(d) if d == Dimension::CONDUCTANCE => "nS",
        Some(d) if d == Dimension::VOLTAGE => "mV",
        _ => "pA",
    };
    let magnitude = weight
        .value_in(unit)
        .map_err(|e| CodegenError::Units(e.to_string()))?;
    Ok(code_number(receptor.sign() * magnitude))
}

pub fn generate(
    suite: &NativeSuite,
    _inputs: &Inputs,
    dir: &Path,
) -> Result<Generated, CodegenError> {
    let mut populations = Vec::new();
    for pop in &suite.populations {
        if pop.kind.is_source {
            populations.push(Pop {
                id: pop.id.to_string(),
                is_source: true,
                model: "spike_generator",
                size: pop.size,
                params: vec![],
            });
            continue;
        }
        let model = nest_model(pop.kind.name).ok_or_else(|| {
            CodegenError::Unsupported(format!(
                "NEST has no built-in model for `{}` (population `{}`)",
                pop.kind.name, pop.id
            ))
        })?;
        let mut params = Vec::new();
        for (ours, theirs, unit) in model.params {
            if let Some(q) = pop.param(ours) {
                params.push((*theirs, number_in(q, unit)?));
            }
        }
        if pop.kind.name == "hh_curr_alpha" {
            // NEST starts the gates at their steady state for -65 mV whatever V_m is; the
            // library's meaning (and the other simulators') is the steady state at v_init.
            let v_init = pop.param("v_init").map(|q| q.si * 1e3).unwrap_or(-65.0);
            let (m, h, n) = super::hh_steady_state(v_init);
            params.push(("Act_m", code_number(m)));
            params.push(("Inact_h", code_number(h)));
            params.push(("Act_n", code_number(n)));
        }
        populations.push(Pop {
            id: pop.id.to_string(),
            is_source: false,
            model: model.model,
            size: pop.size,
            params,
        });
    }

    let mut projections = Vec::new();
    for (index, proj) in suite.projections.iter().enumerate() {
        let target = &suite.populations[proj.to];
        projections.push(Proj {
            index,
            pre: suite.populations[proj.from].id.to_string(),
            post: target.id.to_string(),
            weight: signed_weight(target, &proj.weight, proj.receptor)?,
            delay: number_in(&proj.delay, "ms")?,
        });
    }

    let mut steps = Vec::new();
    let mut drives = Vec::new();
    for stimulus in &suite.stimuli {
        match stimulus {
            Stimulus::Poisson {
                target,
                rate,
                weight,
                receptor,
                ..
            } => {
                let pop = &suite.populations[*target];
                drives.push(Drive {
                    target: pop.id.to_string(),
                    rate_hz: number_in(rate, "Hz")?,
                    weight: signed_weight(pop, weight, *receptor)?,
                });
            }
            Stimulus::Step {
                target,
                cells: selection,
                amplitude,
                start,
                stop,
                ..
            } => {
                let pop = &suite.populations[*target];
                // NEST refuses a change of current at t = 0; the earliest is the first step.
                let dt_ms = super::ms(&suite.simulation.dt);
                let start_ms = super::ms(start).max(dt_ms);
                steps.push(Step {
                    target: pop.id.to_string(),
                    cells: list_literal(&cells(selection, pop.size)),
                    amplitude: number_in(amplitude, "pA")?,
                    start: crate::suite::units::code_number(start_ms),
                    stop: number_in(stop, "ms")?,
                });
            }
        }
    }

    let mut recordings = Vec::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        let model = nest_model(pop.kind.name);
        let (spikes, vars) = super::split_recording(
            rec,
            |name| {
                let model = model.as_ref()?;
                model
                    .variables
                    .iter()
                    .find(|(ours, _)| *ours == name)
                    .copied()
            },
            |name| match &model {
                Some(model) => format!("NEST's {} does not record `{name}`", model.model),
                None => format!("cannot record `{name}` of a source"),
            },
        )?;
        recordings.push(Rec {
            pop: pop.id.to_string(),
            cells: list_literal(&cells(&rec.cells, pop.size)),
            spikes,
            vars,
        });
    }

    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        suite: suite.name.to_string(),
        sweep_label: String::new(),
        dt: number_in(&suite.simulation.dt, "ms")?,
        duration: number_in(&suite.simulation.duration, "ms")?,
        seed: suite.simulation.seed,
        populations,
        projections,
        steps,
        drives,
        recordings,
    };
    let code = render("nest.py", TEMPLATE, &context)?;
    super::write_generated(dir, SCRIPT, &code, super::GeneratedKind::Python)
}

#[cfg(test)]
mod tests {
    use crate::codegen::testing::{assert_parses_as_python, example, EXAMPLES};
    use crate::suite::native::Simulator;

    #[test]
    fn generates_nest_code_for_the_examples() {
        for name in EXAMPLES {
            let suite = crate::codegen::apply_sweep(&example(name), 0);
            let dir = tempfile::tempdir().unwrap();
            let generated = crate::codegen::generate(&suite, Simulator::Nest, dir.path()).unwrap();
            let path = dir.path().join(&generated.script);
            assert_parses_as_python(&path);
            let code = std::fs::read_to_string(path).unwrap();
            assert!(code.contains("nest.Simulate("), "{code}");
        }
    }
}
