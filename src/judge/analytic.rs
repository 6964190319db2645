//! A suite job's recordings against the exact answer of its model (`checks.analytic`).
//!
//! The answer comes from [`crate::suite::native::closed_form`] for the job's own suite (sweep
//! value applied), computed by [`crate::analytic`]: spike times solved interval by interval,
//! the membrane in closed form at the recorded times. Trace errors are NSuite's, on the
//! deflection from rest (`v − v_rest`), so a 1 mV response off by 0.1 mV is 10 %, not 0.15 %
//! of −65 mV; spike errors pair spikes in order, and a different count fails by itself. A
//! cable's `steady_state` compares each recorded end's last sample with the potential the
//! cable settles at under the currents then flowing, relative to that deflection (NSuite's
//! `cable-steadystate`).

use crate::analytic::{max_relative_error, rms_relative_error, spike_time_error};
use crate::results::{CheckStatus, ObservableResult, Recordings, Value};
use crate::suite::native::closed_form::{closed_form, ClosedForm};
use crate::suite::native::{AnalyticCheck, CellSelection, NativeSuite, Variable};
use crate::suite_job::SuiteJob;

/// The analytic checks of a job, judged on its own recordings.
pub fn judge_analytic(job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult> {
    if job.suite.checks.analytic.is_empty() {
        return Vec::new();
    }
    let suite = job.resolved_suite();
    let mut out = Vec::new();
    for check in &suite.checks.analytic {
        let result =
            |observable: &str, status, message: String, observed: Option<Value>, tolerance| {
                let min_passing_tolerance = match &observed {
                    Some(Value::Scalar(x)) => Some(*x),
                    _ => None,
                };
                ObservableResult {
                    experiment: format!(
                        "{} cell {}",
                        suite.populations[check.population].id, check.cell
                    ),
                    observable: observable.to_string(),
                    status,
                    tolerance,
                    expected: None,
                    observed,
                    message,
                    min_passing_tolerance,
                    file: check.location.file.clone(),
                    line: check.location.line,
                }
            };
        let exact = match closed_form(&suite, check.population, check.cell) {
            Ok(exact) => exact,
            Err(why) => {
                out.push(result(
                    "analytic",
                    CheckStatus::Error,
                    format!("no exact answer: {why}"),
                    None,
                    0.0,
                ));
                continue;
            }
        };
        if let Some(max_shift) = check.max_spike_shift {
            let (status, message, observed) = judge_spikes(&suite, check, recordings, &exact);
            out.push(result(
                "analytic spikes",
                status,
                message,
                observed,
                max_shift.si * 1e3,
            ));
        }
        if let Some(rule) = check.v {
            for variable in judged_variables(&suite, check, &exact) {
                for (measure_name, bound, measure) in [
                    (
                        "rms_relative",
                        rule.rms_relative,
                        rms_relative_error as fn(&[f64], &[f64]) -> f64,
                    ),
                    ("max_relative", rule.max_relative, max_relative_error),
                ] {
                    let Some(bound) = bound else { continue };
                    let (status, message, observed) =
                        judge_trace(&suite, check, recordings, &exact, variable, bound, measure);
                    let name = format!("analytic {variable} {measure_name}");
                    out.push(result(&name, status, message, observed, bound));
                }
            }
        }
        if let Some(bound) = check.steady_state_max_relative {
            for variable in judged_variables(&suite, check, &exact) {
                let (status, message, observed) =
                    judge_steady_state(&suite, check, recordings, &exact, variable, bound);
                let name = format!("analytic {variable} steady_state");
                out.push(result(&name, status, message, observed, bound));
            }
        }
    }
    out
}

/// A cable's last recorded `variable` against its steady state under the currents flowing
/// then, relative to the steady deflection from rest.
fn judge_steady_state(
    suite: &NativeSuite,
    check: &AnalyticCheck,
    recordings: &Recordings,
    closed: &ClosedForm,
    variable: &'static str,
    bound: f64,
) -> (CheckStatus, String, Option<Value>) {
    let pop = &suite.populations[check.population];
    let last = recorded(suite, check, recordings, variable)
        .and_then(|(time_ms, column)| Some((*time_ms.last()?, *column.last()?)));
    let Some((t_ms, simulated)) = last else {
        return not_recorded(suite, check, variable);
    };
    // The loader checked the suite as written; a sweep point (a longer τ) may not settle.
    if let ClosedForm::Cable(cable) = closed {
        if let Some(why) = cable.unsettled(t_ms) {
            return (
                CheckStatus::Error,
                format!("`{}` {why} at its last sample", pop.id),
                None,
            );
        }
    }
    let Some(exact) = closed.steady_state_of(variable, t_ms) else {
        return (
            CheckStatus::Error,
            format!("`{}` has no steady state to judge", pop.id),
            None,
        );
    };
    let rest = closed.rest_mv();
    let error = ((simulated - exact) / (exact - rest)).abs();
    let at = format!("; at {t_ms} ms: {simulated:.6} mV, exact steady state {exact:.6} mV");
    relative_verdict(error, bound, &at)
}

/// A relative error against its bound, with where it was measured (`at`) in the message.
fn relative_verdict(error: f64, bound: f64, at: &str) -> (CheckStatus, String, Option<Value>) {
    if error.is_finite() && error <= bound {
        (
            CheckStatus::Pass,
            format!("relative error {error:.3e} (≤ {bound}){at}"),
            Some(Value::Scalar(error)),
        )
    } else {
        (
            CheckStatus::Fail,
            format!("relative error {error:.3e}, more than {bound}{at}"),
            Some(Value::Scalar(error)),
        )
    }
}

/// The verdict when the check's cell has no recorded `variable`.
fn not_recorded(
    suite: &NativeSuite,
    check: &AnalyticCheck,
    variable: &str,
) -> (CheckStatus, String, Option<Value>) {
    let pop = &suite.populations[check.population];
    (
        CheckStatus::Error,
        format!(
            "no recorded `{variable}` of cell {} of `{}`",
            check.cell, pop.id
        ),
        None,
    )
}

/// The spike train against the exact spike times: equal counts, shifts within the bound.
fn judge_spikes(
    suite: &NativeSuite,
    check: &AnalyticCheck,
    recordings: &Recordings,
    closed: &ClosedForm,
) -> (CheckStatus, String, Option<Value>) {
    let pop = &suite.populations[check.population];
    let duration_ms = suite.simulation.duration.si * 1e3;
    let exact = closed.spike_times(duration_ms);
    let simulated = recordings.spike_times(pop.id.as_str(), check.cell as u32);
    let error = spike_time_error(&simulated, &exact);
    let bound = check.max_spike_shift.map_or(0.0, |q| q.si * 1e3);
    if error.count_mismatch() != 0 {
        let first = exact
            .first()
            .map_or("none".to_string(), |t| format!("{t:.4} ms"));
        return (
            CheckStatus::Fail,
            format!(
                "{} spike(s) where the exact answer has {} (first exact spike {first})",
                error.simulated, error.exact
            ),
            None,
        );
    }
    match error.max_abs_ms {
        None => (
            CheckStatus::Pass,
            "no spikes, as the exact answer".to_string(),
            Some(Value::Scalar(0.0)),
        ),
        Some(shift) if shift <= bound => (
            CheckStatus::Pass,
            format!(
                "{} spike(s), largest shift from the exact times {shift:.4} ms (≤ {bound} ms)",
                error.exact
            ),
            Some(Value::Scalar(shift)),
        ),
        Some(shift) => (
            CheckStatus::Fail,
            format!(
                "{} spike(s), largest shift from the exact times {shift:.4} ms, more than {bound} ms (first exact spike {:.4} ms)",
                error.exact,
                exact.first().copied().unwrap_or(f64::NAN)
            ),
            Some(Value::Scalar(shift)),
        ),
    }
}

/// The potentials a check's `v` rule bounds: `v`, and for a cable also `v_distal` (its far
/// end, x = L) when the suite records it for the cell, so both ends of the cable are judged.
fn judged_variables(
    suite: &NativeSuite,
    check: &AnalyticCheck,
    exact: &ClosedForm,
) -> Vec<&'static str> {
    let mut variables = vec!["v"];
    if matches!(exact, ClosedForm::Cable(_)) && column_of(suite, check, "v_distal").is_some() {
        variables.push("v_distal");
    }
    variables
}

/// The recorded potential `variable` (`v`, or a cable's `v_distal`) against the exact one,
/// on deflections from rest.
fn judge_trace(
    suite: &NativeSuite,
    check: &AnalyticCheck,
    recordings: &Recordings,
    closed: &ClosedForm,
    variable: &'static str,
    bound: f64,
    measure: fn(&[f64], &[f64]) -> f64,
) -> (CheckStatus, String, Option<Value>) {
    let Some((time_ms, column)) = recorded(suite, check, recordings, variable) else {
        return not_recorded(suite, check, variable);
    };
    let Some(exact) = closed.trace_of(variable, time_ms) else {
        return not_recorded(suite, check, variable);
    };
    let rest = closed.rest_mv();
    let exact: Vec<f64> = exact.iter().map(|v| v - rest).collect();
    let simulated: Vec<f64> = column.iter().map(|v| v - rest).collect();
    let error = measure(&simulated, &exact);
    // Where the error is largest, for the message.
    let worst = simulated
        .iter()
        .zip(&exact)
        .enumerate()
        .max_by(|a, b| (a.1 .0 - a.1 .1).abs().total_cmp(&(b.1 .0 - b.1 .1).abs()))
        .map(|(i, (s, e))| (time_ms[i], s + rest, e + rest));
    let at = worst.map_or(String::new(), |(t, s, e)| {
        format!("; largest difference at {t} ms: {s:.4} mV, exact {e:.4} mV")
    });
    relative_verdict(error, bound, &at)
}

/// The recorded times and the check's cell's column of `variable`; `None` when not recorded.
fn recorded<'r>(
    suite: &NativeSuite,
    check: &AnalyticCheck,
    recordings: &'r Recordings,
    variable: &str,
) -> Option<(&'r [f64], &'r [f64])> {
    let pop = &suite.populations[check.population];
    let trace = recordings
        .traces
        .get(&(pop.id.to_string(), variable.to_string()))?;
    let column = trace.columns.get(column_of(suite, check, variable)?)?;
    Some((&trace.time_ms, column))
}

/// The column of the check's cell in its population's recording of `variable` (columns are
/// in recording order: the cell's index, or its place among the listed cells); `None` when
/// the cell's `variable` is not recorded.
fn column_of(suite: &NativeSuite, check: &AnalyticCheck, variable: &str) -> Option<usize> {
    let recording = suite.recordings.iter().find(|r| {
        r.population == check.population
            && r.variables
                .iter()
                .any(|v| matches!(v, Variable::State(name) if *name == variable))
    })?;
    match &recording.cells {
        CellSelection::All => Some(check.cell),
        CellSelection::Indices(cells) => cells.iter().position(|c| *c == check.cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const SUITE: &str = "suite: lif_dc
simulation: {duration: 20 ms, dt: 0.1 ms}
populations:
  cell:
    cell: lif_curr_exp
    size: 1
    parameters: {cm: 250 pF, tau_m: 10 ms, v_rest: 0 mV, v_reset: 0 mV, v_thresh: 15 mV, tau_refrac: 2 ms, i_offset: 1000 pA, v_init: 0 mV}
record: [{population: cell, variables: [spikes, v]}]
checks:
  analytic: [{population: cell, v: {rms_relative: 0.01, max_relative: 0.05}, spikes: {max_shift: 0.1 ms}}]
";

    fn job() -> SuiteJob {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.crosscheck.yaml");
        std::fs::write(&path, SUITE).unwrap();
        let suite = crate::suite::native::load::load_suite(&path).unwrap();
        SuiteJob::new(suite, path, crate::suite::native::Simulator::Nest)
    }

    /// Recordings of the exact answer, with the spikes shifted by `shift` ms.
    fn exact_recordings(job: &SuiteJob, shift: f64) -> Recordings {
        let lif = closed_form(&job.suite, 0, 0).unwrap();
        let times: Vec<f64> = (0..=200).map(|i| i as f64 * 0.1).collect();
        Recordings {
            spikes: BTreeMap::from([(
                "cell".to_string(),
                lif.spike_times(20.0)
                    .iter()
                    .map(|t| (0, t + shift))
                    .collect(),
            )]),
            traces: BTreeMap::from([(
                ("cell".to_string(), "v".to_string()),
                crate::results::Trace {
                    columns: vec![lif.trace(&times)],
                    time_ms: times,
                },
            )]),
        }
    }

    #[test]
    fn the_exact_answer_passes_and_a_shifted_spike_fails_with_the_number() {
        let job = job();
        let exact = judge_analytic(&job, &exact_recordings(&job, 0.0));
        assert_eq!(exact.len(), 3, "{exact:?}");
        assert!(
            exact.iter().all(|o| o.status == CheckStatus::Pass),
            "{exact:?}"
        );
        let shifted = judge_analytic(&job, &exact_recordings(&job, 0.25));
        let spikes = shifted
            .iter()
            .find(|o| o.observable == "analytic spikes")
            .unwrap();
        assert_eq!(spikes.status, CheckStatus::Fail);
        assert!(
            spikes
                .message
                .contains("largest shift from the exact times 0.2500 ms, more than 0.1 ms"),
            "{}",
            spikes.message
        );
    }

    #[test]
    fn a_perturbed_trace_fails_and_a_missing_spike_fails_on_the_count() {
        let job = job();
        let mut recordings = exact_recordings(&job, 0.0);
        let trace = recordings
            .traces
            .get_mut(&("cell".to_string(), "v".to_string()))
            .unwrap();
        for v in &mut trace.columns[0] {
            *v *= 1.1;
        }
        recordings.spikes.get_mut("cell").unwrap().pop();
        let judged = judge_analytic(&job, &recordings);
        let by_name = |name: &str| judged.iter().find(|o| o.observable == name).unwrap();
        let rms = by_name("analytic v rms_relative");
        assert_eq!(rms.status, CheckStatus::Fail, "{}", rms.message);
        assert!(rms.message.contains("more than 0.01"), "{}", rms.message);
        assert_eq!(by_name("analytic spikes").status, CheckStatus::Fail);
        assert!(by_name("analytic spikes")
            .message
            .contains("where the exact answer has"));
    }

    const CABLE: &str = "suite: cable
simulation: {duration: 20 ms, dt: 0.1 ms}
populations:
  cable: {cell: passive_cable, size: 2, parameters: {nseg: 10}}
stimuli: [{step: {target: cable, amplitude: 0.1 nA, start: 1 ms, stop: 15 ms}}]
record: [{population: cable, variables: [v, v_distal], cells: [1]}]
checks:
  analytic: [{population: cable, cell: 1, v: {rms_relative: 0.001, max_relative: 0.002}}]
";

    /// A job of `yaml` and recordings of its exact answer for cell 1 at both ends, the far
    /// end scaled by `far_scale` around rest.
    fn cable_job(yaml: &str, far_scale: f64) -> (SuiteJob, Recordings) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.crosscheck.yaml");
        std::fs::write(&path, yaml).unwrap();
        let suite = crate::suite::native::load::load_suite(&path).unwrap();
        let exact = closed_form(&suite, 0, 1).unwrap();
        let times: Vec<f64> = (0..=200).map(|i| i as f64 * 0.1).collect();
        let rest = exact.rest_mv();
        let mut traces = BTreeMap::new();
        for (variable, scale) in [("v", 1.0), ("v_distal", far_scale)] {
            let column = exact
                .trace_of(variable, &times)
                .unwrap()
                .iter()
                .map(|v| rest + scale * (v - rest))
                .collect();
            traces.insert(
                ("cable".to_string(), variable.to_string()),
                crate::results::Trace {
                    columns: vec![column],
                    time_ms: times.clone(),
                },
            );
        }
        let job = SuiteJob::new(suite, path, crate::suite::native::Simulator::Neuron);
        let recordings = Recordings {
            spikes: BTreeMap::new(),
            traces,
        };
        (job, recordings)
    }

    #[test]
    fn a_cable_is_judged_at_both_recorded_ends() {
        let (job, recordings) = cable_job(CABLE, 1.0);
        let judged = judge_analytic(&job, &recordings);
        let names: Vec<&str> = judged.iter().map(|o| o.observable.as_str()).collect();
        assert_eq!(
            names,
            [
                "analytic v rms_relative",
                "analytic v max_relative",
                "analytic v_distal rms_relative",
                "analytic v_distal max_relative",
            ]
        );
        assert!(
            judged.iter().all(|o| o.status == CheckStatus::Pass),
            "{judged:?}"
        );
        assert!(judged.iter().all(|o| o.experiment == "cable cell 1"));
        // A far end 1 % off fails on the far end only, with the number.
        let (job, recordings) = cable_job(CABLE, 1.01);
        let judged = judge_analytic(&job, &recordings);
        for o in &judged {
            let far = o.observable.contains("v_distal");
            assert_eq!(o.status == CheckStatus::Fail, far, "{o:?}");
        }
        let rms = judged
            .iter()
            .find(|o| o.observable == "analytic v_distal rms_relative")
            .unwrap();
        assert!(
            rms.message
                .starts_with("relative error 1.000e-2, more than 0.001"),
            "{}",
            rms.message
        );
        // Only the recorded end is judged.
        let near_only = CABLE.replace("variables: [v, v_distal]", "variables: [v]");
        let (job, recordings) = cable_job(&near_only, 1.0);
        let judged = judge_analytic(&job, &recordings);
        assert_eq!(judged.len(), 2, "{judged:?}");
        assert!(judged.iter().all(|o| !o.observable.contains("v_distal")));
    }

    /// A tapered cable judged by its steady state: the last samples of both ends against the
    /// exact steady state, a far end 1 % off failing with the number, and a recording that
    /// ends before the cable settles an error rather than a verdict.
    #[test]
    fn a_tapered_cable_is_judged_by_its_last_samples_once_settled() {
        let yaml = CABLE
            .replace("duration: 20 ms", "duration: 800 ms")
            .replace("stop: 15 ms", "stop: 800 ms")
            .replace("start: 1 ms", "start: 0 ms")
            .replace(
                "{nseg: 10}",
                "{nseg: 10, diameter: 1.7 um, diameter_distal: 1 um}",
            )
            .replace(
                "v: {rms_relative: 0.001, max_relative: 0.002}",
                "steady_state: {max_relative: 0.001}",
            );
        let judge = |last_ms: f64, far_scale: f64| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.crosscheck.yaml");
            std::fs::write(&path, &yaml).unwrap();
            let suite = crate::suite::native::load::load_suite(&path).unwrap();
            let exact = closed_form(&suite, 0, 1).unwrap();
            let rest = exact.rest_mv();
            let mut traces = BTreeMap::new();
            for (variable, scale) in [("v", 1.0), ("v_distal", far_scale)] {
                let steady = exact.steady_state_of(variable, last_ms).unwrap();
                traces.insert(
                    ("cable".to_string(), variable.to_string()),
                    crate::results::Trace {
                        columns: vec![vec![rest, rest + scale * (steady - rest)]],
                        time_ms: vec![0.0, last_ms],
                    },
                );
            }
            let job = SuiteJob::new(suite, path, crate::suite::native::Simulator::Neuron);
            let recordings = Recordings {
                spikes: BTreeMap::new(),
                traces,
            };
            judge_analytic(&job, &recordings)
        };
        let judged = judge(800.0, 1.0);
        let names: Vec<&str> = judged.iter().map(|o| o.observable.as_str()).collect();
        assert_eq!(
            names,
            ["analytic v steady_state", "analytic v_distal steady_state"]
        );
        assert!(
            judged.iter().all(|o| o.status == CheckStatus::Pass),
            "{judged:?}"
        );
        let judged = judge(800.0, 1.01);
        assert_eq!(judged[0].status, CheckStatus::Pass, "{judged:?}");
        assert_eq!(judged[1].status, CheckStatus::Fail, "{judged:?}");
        assert!(
            judged[1]
                .message
                .starts_with("relative error 1.000e-2, more than 0.001; at 800 ms:"),
            "{}",
            judged[1].message
        );
        let judged = judge(400.0, 1.0);
        assert!(
            judged.iter().all(|o| o.status == CheckStatus::Error
                && o.message.contains("settles for 400 ms")),
            "{judged:?}"
        );
    }
}
