//! Cross-simulator agreement: every pair of engines that ran the same suite (at the same sweep
//! point) is compared with the suite's `checks.agreement` rules.
//!
//! This is the check no single simulator can give: the same model, independent
//! implementations, one verdict. The result is a matrix per suite run (top-level `agreement`
//! in the JSON results) with the reasons for every disagreement.

use crate::compare::{spikes, traces};
use crate::results::{
    Agreement, CheckStatus, PairAgreement, PairCheck, Recordings, Status, TestResult,
};
use crate::suite::native::{NativeSuite, RecordingRules, Variable};
use crate::suite::units::{code_number, Dimension, Quantity};
use crate::suite_job::SuiteJob;
use std::collections::BTreeMap;

/// Compares the recordings of every pair of engines per suite run. Suites without
/// `checks.agreement`, and engines whose job did not run to the end, take no part.
pub fn evaluate(
    jobs: &[(usize, SuiteJob)],
    results: &[TestResult],
    recordings: &BTreeMap<usize, Recordings>,
) -> Vec<Agreement> {
    // Group job indices by suite run, keeping the order of first appearance.
    let mut groups: Vec<(String, &SuiteJob, Vec<usize>)> = Vec::new();
    for (index, job) in jobs {
        let key = format!("{}\u{0}{}", job.file.display(), job.label());
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, members)) => members.push(*index),
            None => groups.push((key, job, vec![*index])),
        }
    }
    let mut out = Vec::new();
    for (_, job, members) in groups {
        let Some(rules) = &job.suite.checks.agreement else {
            continue;
        };
        let ran: Vec<(usize, String)> = members
            .iter()
            .filter(|i| recordings.contains_key(i))
            .filter(|i| {
                results.get(**i).is_some_and(|r| {
                    !matches!(r.status, Status::Error | Status::Timeout | Status::Skip)
                })
            })
            .map(|i| (*i, jobs_simulator(jobs, *i)))
            .collect();
        if ran.len() < 2 {
            continue;
        }
        let engines: Vec<String> = ran.iter().map(|(_, name)| name.clone()).collect();
        let mut matrix = vec![vec!["-".to_string(); engines.len()]; engines.len()];
        let mut pairs = Vec::new();
        for i in 0..ran.len() {
            for j in i + 1..ran.len() {
                let checks = compare_recordings(
                    &job.suite,
                    rules,
                    &recordings[&ran[i].0],
                    &recordings[&ran[j].0],
                );
                let status = if checks.iter().all(|c| c.passed) {
                    CheckStatus::Pass
                } else {
                    CheckStatus::Fail
                };
                let cell = if status == CheckStatus::Pass {
                    "pass"
                } else {
                    "fail"
                };
                matrix[i][j] = cell.to_string();
                matrix[j][i] = cell.to_string();
                pairs.push(PairAgreement {
                    a: engines[i].clone(),
                    b: engines[j].clone(),
                    status,
                    checks,
                });
            }
        }
        out.push(Agreement {
            suite: job.label(),
            file: job.file.clone(),
            engines,
            matrix,
            pairs,
        });
    }
    out
}

fn jobs_simulator(jobs: &[(usize, SuiteJob)], index: usize) -> String {
    jobs.iter()
        .find(|(i, _)| *i == index)
        .map(|(_, j)| j.simulator.name().to_string())
        .unwrap_or_default()
}

/// The unit traces of a dimension are written in (the output contract of `codegen`).
pub fn trace_unit(dimension: Dimension) -> &'static str {
    if dimension == Dimension::VOLTAGE {
        "mV"
    } else if dimension == Dimension::CURRENT {
        "pA"
    } else if dimension == Dimension::CONDUCTANCE {
        "nS"
    } else if dimension == Dimension::VOLTAGE.div(Dimension::TIME) {
        "mV/ms"
    } else {
        "1"
    }
}

/// Compares two recordings of the same suite run with `rules`: per recorded population, its
/// spikes (cell by cell, within the window) and each traced variable (max and RMS error).
/// Used between engines (agreement) and against blessed reference data (`b`).
pub fn compare_recordings(
    suite: &NativeSuite,
    rules: &RecordingRules,
    a: &Recordings,
    b: &Recordings,
) -> Vec<PairCheck> {
    let mut checks = Vec::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        if pop.kind.is_source {
            continue;
        }
        let cells = crate::codegen::cells(&rec.cells, pop.size);
        if let Some(window) = rules
            .spike_window
            .filter(|_| rec.variables.contains(&Variable::Spikes))
        {
            let window_ms = window.si * 1e3;
            let mut failures = Vec::new();
            for cell in &cells {
                let ta = a.spike_times(pop.id.as_str(), *cell as u32);
                let tb = b.spike_times(pop.id.as_str(), *cell as u32);
                let matched = spikes::match_spikes(&ta, &tb, window_ms);
                if !matched.passed() {
                    failures.push(format!(
                        "cell {cell}: {}",
                        matched.describe(&ta, &tb, window_ms)
                    ));
                }
            }
            checks.push(PairCheck {
                what: format!("{} spikes", pop.id),
                passed: failures.is_empty(),
                message: if failures.is_empty() {
                    format!(
                        "all spikes of {} cell(s) match within {} ms",
                        cells.len(),
                        code_number(window_ms)
                    )
                } else {
                    summarize(&failures)
                },
            });
        }
        for rule in &rules.traces {
            let Some(trace_a) = a
                .traces
                .get(&(pop.id.to_string(), rule.variable.to_string()))
            else {
                continue;
            };
            let Some(trace_b) = b
                .traces
                .get(&(pop.id.to_string(), rule.variable.to_string()))
            else {
                continue;
            };
            let unit = pop
                .kind
                .state_variable(rule.variable)
                .map(|v| trace_unit(v.dimension))
                .unwrap_or("1");
            let limit = |q: &Option<Quantity>| q.and_then(|q| q.value_in(unit).ok());
            let (max_abs, rms) = (limit(&rule.max_abs), limit(&rule.rms));
            let mut failures = Vec::new();
            let mut worst = String::new();
            for (column, cell) in cells.iter().enumerate() {
                let (Some(va), Some(vb)) =
                    (trace_a.columns.get(column), trace_b.columns.get(column))
                else {
                    failures.push(format!("cell {cell}: trace missing"));
                    continue;
                };
                let errors = traces::trace_errors(&trace_a.time_ms, va, &trace_b.time_ms, vb, None);
                // NaN (no overlap, missing samples) is never within a limit.
                let within = |value: f64, limit: f64| {
                    matches!(
                        value.partial_cmp(&limit),
                        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                    )
                };
                let too_far = max_abs.is_some_and(|m| !within(errors.max_abs, m));
                let too_rough = rms.is_some_and(|m| !within(errors.rms, m));
                if too_far || too_rough {
                    failures.push(format!("cell {cell}: {}", errors.describe_in(unit)));
                } else if worst.is_empty() {
                    worst = errors.describe_in(unit);
                }
            }
            checks.push(PairCheck {
                what: format!("{} {}", pop.id, rule.variable),
                passed: failures.is_empty(),
                message: if failures.is_empty() {
                    format!("within limits ({worst})")
                } else {
                    summarize(&failures)
                },
            });
        }
    }
    checks
}

fn summarize(failures: &[String]) -> String {
    match failures {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (and {} more cells)", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Trace;
    use proptest::prelude::*;

    /// Three LIF cells recorded for spikes and v, compared with `window` and `rms`.
    fn suite(window: &str, rms: &str) -> NativeSuite {
        crate::codegen::testing::from_yaml(&format!(
            "suite: s\nsimulation: {{duration: 100 ms}}\npopulations:\n  p: {{cell: lif_curr_exp, size: 3}}\n\
             record:\n  - {{population: p, variables: [spikes, v]}}\n\
             checks: {{agreement: {{spikes: {{window: {window}}}, traces: {{v: {{rms: {rms}}}}}}}}}\n"
        ))
    }

    fn verdicts(suite: &NativeSuite, a: &Recordings, b: &Recordings) -> Vec<bool> {
        let rules = suite.checks.agreement.as_ref().expect("agreement rules");
        compare_recordings(suite, rules, a, b)
            .into_iter()
            .map(|c| c.passed)
            .collect()
    }

    /// Recordings with unsorted spike events and a trace on a 1 ms grid.
    fn recordings() -> impl Strategy<Value = Recordings> {
        (
            prop::collection::vec((0u32..3, (0u32..400).prop_map(|k| k as f64 * 0.25)), 0..30),
            prop::collection::vec(-70.0f64..-50.0, 20),
        )
            .prop_map(|(events, v)| {
                let mut r = Recordings::default();
                r.spikes.insert("p".into(), events);
                let time_ms = (0..v.len()).map(|k| k as f64).collect();
                let columns = vec![v.clone(), v.iter().map(|x| x + 1.0).collect(), v];
                r.traces
                    .insert(("p".into(), "v".into()), Trace { time_ms, columns });
                r
            })
    }

    proptest! {
        #[test]
        fn identical_recordings_agree(a in recordings()) {
            let s = suite("0.000001 ms", "0.000001 mV");
            prop_assert!(verdicts(&s, &a, &a).iter().all(|&p| p));
        }

        #[test]
        fn agreement_is_symmetric(a in recordings(), b in recordings(), w in 0.001f64..3.0) {
            let s = suite(&format!("{w} ms"), "2 mV");
            prop_assert_eq!(verdicts(&s, &a, &b), verdicts(&s, &b, &a));
        }

        #[test]
        fn the_order_of_spike_events_does_not_matter(
            a in recordings(), b in recordings(), w in 0.001f64..3.0, seed in any::<u64>()
        ) {
            let s = suite(&format!("{w} ms"), "2 mV");
            let mut shuffled = a.clone();
            let events = shuffled.spikes.get_mut("p").unwrap();
            // A deterministic shuffle from the seed.
            let mut x = seed | 1;
            for i in (1..events.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                events.swap(i, (x % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(verdicts(&s, &a, &b), verdicts(&s, &shuffled, &b));
            // Against itself in another order: every spike found.
            prop_assert!(verdicts(&s, &shuffled, &a).iter().all(|&p| p));
        }

        #[test]
        fn passing_is_monotone_in_the_tolerances(
            a in recordings(), b in recordings(), w in 0.001f64..3.0, dw in 0.001f64..3.0,
            t in 0.001f64..3.0, dt in 0.001f64..3.0
        ) {
            let strict = verdicts(&suite(&format!("{w} ms"), &format!("{t} mV")), &a, &b);
            let loose = verdicts(&suite(&format!("{} ms", w + dw), &format!("{} mV", t + dt)), &a, &b);
            for (s, l) in strict.iter().zip(&loose) {
                prop_assert!(!s || *l);
            }
        }
    }
}
