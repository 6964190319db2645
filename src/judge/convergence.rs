//! The order of accuracy across a time-step sweep (`checks.analytic[].convergence`).
//!
//! Each point of a `simulation.dt` sweep is its own job, judged against the exact answer by
//! [`super::analytic`] before it is reported; that gives one error per step. What no single job
//! can tell is whether the error shrinks as the step does, and how fast: a simulator whose
//! error does not fall at its scheme's order (1 for forward or backward Euler, 2 for
//! Crank–Nicolson) has a bug that a small enough tolerance at one step would only hide. So once
//! every job has finished, the errors of each engine are fitted against the step
//! ([`crate::analytic::fit_order`]: least squares of ln error on ln dt) and the order judged
//! against the suite's band.
//!
//! An engine that integrates the model exactly (NEST's and NEURON's exact solutions of linear
//! membranes) has errors at rounding level at every step and no order: it passes as exact when
//! every error is at or below the rule's `exact_below`. The errors are read from the jobs'
//! observables, not recomputed, so a result from the cache is judged as a fresh one.

use std::collections::BTreeSet;

use crate::analytic::fit_order;
use crate::results::{
    CheckStatus, Convergence, ConvergencePoint, EngineConvergence, Status, TestResult, Value,
};
use crate::suite::native::{AnalyticCheck, ConvergenceRule, SweepTarget};
use crate::suite_job::SuiteJob;

/// Fits the order of every engine for every analytic check with a `convergence` rule, over
/// the jobs of that suite's time-step sweep. Engines whose every step was skipped take no
/// part; a step that gave no error fails its engine.
pub fn evaluate(jobs: &[(usize, SuiteJob)], results: &[TestResult]) -> Vec<Convergence> {
    let mut out = Vec::new();
    for (file, suite_jobs) in by_suite(jobs) {
        let suite = &suite_jobs[0].1.suite;
        let Some(sweep) = suite
            .sweep
            .as_ref()
            .filter(|s| s.target == SweepTarget::TimeStep)
        else {
            continue;
        };
        for check in &suite.checks.analytic {
            let Some(rule) = &check.convergence else {
                continue;
            };
            for observable in observables_of(check, rule, &suite_jobs, results) {
                let mut entry = Convergence {
                    suite: suite.name.to_string(),
                    file: file.clone(),
                    line: rule.location.line,
                    what: format!(
                        "{} cell {}: {observable}",
                        suite.populations[check.population].id, check.cell
                    ),
                    order_band: [rule.order.0, rule.order.1],
                    exact_below: rule.exact_below,
                    engines: Vec::new(),
                };
                for (engine, engine_jobs) in by_engine(&suite_jobs) {
                    let steps: Vec<Step> = engine_jobs
                        .iter()
                        .filter_map(|(index, job)| {
                            let dt_ms = job.point.map(|p| sweep.values[p].si * 1e3)?;
                            Some(step(dt_ms, results.get(*index), check, &observable))
                        })
                        .collect();
                    if steps.iter().all(|s| s.skipped) {
                        continue;
                    }
                    entry.engines.push(judge_engine(engine, steps, rule));
                }
                if !entry.engines.is_empty() {
                    out.push(entry);
                }
            }
        }
    }
    out
}

/// The main jobs of each suite file (calibration runs with other seeds are no sweep points),
/// in the order the files first appear.
fn by_suite(jobs: &[(usize, SuiteJob)]) -> Vec<(std::path::PathBuf, Vec<(usize, SuiteJob)>)> {
    let mut groups: Vec<(std::path::PathBuf, Vec<(usize, SuiteJob)>)> = Vec::new();
    for (index, job) in jobs.iter().filter(|(_, job)| job.seed.is_none()) {
        match groups.iter_mut().find(|(file, _)| *file == job.file) {
            Some((_, members)) => members.push((*index, job.clone())),
            None => groups.push((job.file.clone(), vec![(*index, job.clone())])),
        }
    }
    groups
}

/// The engine a job ran on as reports name it: the simulator, with the version asked for.
fn engine_name(job: &SuiteJob) -> String {
    match &job.requested_version {
        Some(version) => format!("{}:{version}", job.simulator.name()),
        None => job.simulator.name().to_string(),
    }
}

/// A suite's jobs per engine, engines in the order they first appear, each engine's jobs from
/// the coarsest step to the finest.
fn by_engine(jobs: &[(usize, SuiteJob)]) -> Vec<(String, Vec<&(usize, SuiteJob)>)> {
    let mut groups: Vec<(String, Vec<&(usize, SuiteJob)>)> = Vec::new();
    for entry in jobs {
        let name = engine_name(&entry.1);
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(entry),
            None => groups.push((name, vec![entry])),
        }
    }
    for (_, members) in &mut groups {
        let dt = |job: &SuiteJob| {
            job.point
                .and_then(|p| Some(job.suite.sweep.as_ref()?.values.get(p)?.si))
                .unwrap_or(0.0)
        };
        members.sort_by(|a, b| dt(&b.1).total_cmp(&dt(&a.1)));
    }
    groups
}

/// The names of the observables (one per judged potential, or the spikes) through which the
/// jobs report the rule's error for this check, in the order first seen.
fn observables_of(
    check: &AnalyticCheck,
    rule: &ConvergenceRule,
    jobs: &[(usize, SuiteJob)],
    results: &[TestResult],
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut names = Vec::new();
    for (index, _) in jobs {
        let Some(result) = results.get(*index) else {
            continue;
        };
        for o in &result.observables {
            if is_of_check(o, check)
                && rule.error.reported_by(&o.observable)
                && seen.insert(o.observable.clone())
            {
                names.push(o.observable.clone());
            }
        }
    }
    names
}

/// Whether an observable comes from this analytic check (its file and line).
fn is_of_check(o: &crate::results::ObservableResult, check: &AnalyticCheck) -> bool {
    o.line == check.location.line && o.file == check.location.file
}

/// One engine's error at one step, or why there is none.
struct Step {
    dt_ms: f64,
    error: Option<f64>,
    /// The job was skipped (the engine cannot run here, or the run stopped first).
    skipped: bool,
    /// Why there is no error: the job's status and message, or the observable's message.
    missing: String,
}

fn step(dt_ms: f64, result: Option<&TestResult>, check: &AnalyticCheck, observable: &str) -> Step {
    let Some(result) = result else {
        return Step {
            dt_ms,
            error: None,
            skipped: true,
            missing: "not run".to_string(),
        };
    };
    let judged = result
        .observables
        .iter()
        .find(|o| is_of_check(o, check) && o.observable == observable);
    let error = judged.and_then(|o| match o.observed {
        Some(Value::Scalar(x)) if x.is_finite() => Some(x),
        _ => None,
    });
    let missing = match judged {
        Some(o) => o.message.clone(),
        None => format!(
            "the job ended {}{}",
            result.status.as_str(),
            result
                .message
                .as_deref()
                .map(|m| format!(": {}", first_line(m)))
                .unwrap_or_default()
        ),
    };
    Step {
        dt_ms,
        error,
        skipped: result.status == Status::Skip,
        missing,
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The verdict for one engine: exact at every step, or an order fitted and held to the band.
fn judge_engine(engine: String, steps: Vec<Step>, rule: &ConvergenceRule) -> EngineConvergence {
    let points: Vec<ConvergencePoint> = steps
        .iter()
        .map(|s| ConvergencePoint {
            dt_ms: s.dt_ms,
            error: s.error,
        })
        .collect();
    let verdict =
        |status, order: Option<f64>, r_squared, exact, message: String| EngineConvergence {
            engine: engine.clone(),
            status,
            points: points.clone(),
            order,
            r_squared,
            exact,
            message,
        };
    if let Some(gap) = steps.iter().find(|s| s.error.is_none()) {
        return verdict(
            CheckStatus::Fail,
            None,
            None,
            false,
            format!(
                "no error at dt {} ms ({}), so no order",
                gap.dt_ms, gap.missing
            ),
        );
    }
    let errors: Vec<(f64, f64)> = steps
        .iter()
        .filter_map(|s| Some((s.dt_ms, s.error?)))
        .collect();
    let listed = list_errors(&errors);
    let (low, high) = rule.order;
    let above: Vec<(f64, f64)> = errors
        .iter()
        .copied()
        .filter(|(_, e)| *e > rule.exact_below)
        .collect();
    match above.len() {
        0 => verdict(
            CheckStatus::Pass,
            None,
            None,
            true,
            format!(
                "exact: error at rounding level (≤ {:e}) at every step: {listed}",
                rule.exact_below
            ),
        ),
        1 => verdict(
            CheckStatus::Fail,
            None,
            None,
            false,
            format!(
                "error above rounding (> {:e}) at dt {} ms only, so no order: {listed}",
                rule.exact_below, above[0].0
            ),
        ),
        _ => {
            let dts: Vec<f64> = above.iter().map(|p| p.0).collect();
            let errs: Vec<f64> = above.iter().map(|p| p.1).collect();
            let Some(fit) = fit_order(&dts, &errs) else {
                return verdict(
                    CheckStatus::Fail,
                    None,
                    None,
                    false,
                    format!("no order can be fitted: {listed}"),
                );
            };
            let rounding = if above.len() < errors.len() {
                format!(
                    " (fitted on the {} steps above rounding level)",
                    above.len()
                )
            } else {
                String::new()
            };
            let local = fit
                .local_orders
                .iter()
                .map(|o| format!("{o:.2}"))
                .collect::<Vec<_>>()
                .join(", ");
            if (low..=high).contains(&fit.order) {
                verdict(
                    CheckStatus::Pass,
                    Some(fit.order),
                    Some(fit.r_squared),
                    false,
                    format!("order {:.3} in {low}–{high}{rounding}: {listed}", fit.order),
                )
            } else {
                verdict(
                    CheckStatus::Fail,
                    Some(fit.order),
                    Some(fit.r_squared),
                    false,
                    format!(
                        "order {:.3}, outside {low}–{high}{rounding}: {listed}; order between consecutive steps {local}",
                        fit.order
                    ),
                )
            }
        }
    }
}

/// `4.98e-3 at dt 0.1 ms, 2.49e-3 at 0.05 ms, …`
fn list_errors(errors: &[(f64, f64)]) -> String {
    errors
        .iter()
        .enumerate()
        .map(|(i, (dt, e))| {
            let at = if i == 0 { "at dt " } else { "at " };
            format!("{e:.3e} {at}{dt} ms")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::native::AnalyticMeasure;
    use crate::suite::Location;

    fn rule(order: (f64, f64)) -> ConvergenceRule {
        ConvergenceRule {
            error: AnalyticMeasure::RmsRelative,
            order,
            exact_below: 1e-8,
            location: Location {
                file: "s.crosscheck.yaml".into(),
                line: 3,
                column: 1,
            },
        }
    }

    fn steps(errors: &[(f64, Option<f64>)]) -> Vec<Step> {
        errors
            .iter()
            .map(|(dt, e)| Step {
                dt_ms: *dt,
                error: *e,
                skipped: false,
                missing: "the job ended error: NEST crashed".to_string(),
            })
            .collect()
    }

    #[test]
    fn first_order_errors_pass_a_first_order_band() {
        let s = steps(&[
            (0.1, Some(4.98e-3)),
            (0.05, Some(2.49e-3)),
            (0.025, Some(1.245e-3)),
        ]);
        let v = judge_engine("NEST".into(), s, &rule((0.9, 1.1)));
        assert_eq!(v.status, CheckStatus::Pass, "{}", v.message);
        assert!((v.order.unwrap() - 1.0).abs() < 1e-9);
        assert!(!v.exact);
        assert!(v.message.contains("4.980e-3 at dt 0.1 ms"), "{}", v.message);
    }

    #[test]
    fn an_order_outside_the_band_fails_naming_each_step_and_error() {
        // The error stops shrinking after the first halving: a floor an integrator should not have.
        let s = steps(&[(0.1, Some(4e-3)), (0.05, Some(2e-3)), (0.025, Some(1.9e-3))]);
        let v = judge_engine("jNeuroML".into(), s, &rule((0.9, 1.1)));
        assert_eq!(v.status, CheckStatus::Fail);
        let order = v.order.unwrap();
        assert!(order < 0.9, "{order}");
        assert!(v.message.contains("outside 0.9–1.1"), "{}", v.message);
        assert!(v.message.contains("1.900e-3 at 0.025 ms"), "{}", v.message);
        assert!(v.message.contains("1.00, 0.07"), "{}", v.message);
    }

    #[test]
    fn errors_at_rounding_level_everywhere_are_exact() {
        let s = steps(&[
            (0.1, Some(4.3e-10)),
            (0.05, Some(4.1e-10)),
            (0.025, Some(0.0)),
        ]);
        let v = judge_engine("NEURON".into(), s, &rule((0.9, 1.1)));
        assert_eq!(v.status, CheckStatus::Pass);
        assert!(v.exact);
        assert_eq!(v.order, None);
    }

    #[test]
    fn one_error_above_rounding_has_no_order_and_fails() {
        let s = steps(&[(0.1, Some(1e-3)), (0.05, Some(1e-12)), (0.025, Some(1e-12))]);
        let v = judge_engine("Brian2".into(), s, &rule((0.9, 1.1)));
        assert_eq!(v.status, CheckStatus::Fail);
        assert!(v.message.contains("at dt 0.1 ms only"), "{}", v.message);
    }

    #[test]
    fn a_step_without_an_error_fails_with_the_reason() {
        let s = steps(&[(0.1, Some(4e-3)), (0.05, None), (0.025, Some(1e-3))]);
        let v = judge_engine("NEST".into(), s, &rule((0.9, 1.1)));
        assert_eq!(v.status, CheckStatus::Fail);
        assert!(v.message.contains("dt 0.05 ms"), "{}", v.message);
        assert!(v.message.contains("NEST crashed"), "{}", v.message);
    }

    #[test]
    fn second_order_errors_fail_a_first_order_band() {
        let s = steps(&[(0.1, Some(4e-3)), (0.05, Some(1e-3)), (0.025, Some(2.5e-4))]);
        let v = judge_engine("NEURON".into(), s, &rule((0.9, 1.1)));
        assert_eq!(v.status, CheckStatus::Fail);
        assert!((v.order.unwrap() - 2.0).abs() < 1e-9);
    }
}
