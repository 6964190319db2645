//! Population statistics of one network job (rates, irregularity, synchrony, correlations,
//! spectra) and a suite's published figures, judged on the job's own recordings over the
//! recorded cells of each population.

use std::collections::BTreeMap;

use super::features::{not_computed, range_text};
use crate::codegen;
use crate::compare::stats;
use crate::results::{CheckStatus, ObservableResult, Recordings, Value};
use crate::suite::native::{Criterion, NativeSuite, Statistic, Variable};
use crate::suite_job::ms;
use crate::suite_job::SuiteJob;

/// Bin of the population count whose Fano factor is taken.
const FANO_BIN_MS: f64 = 10.0;
/// Bin of the spike counts correlated pairwise (as in Potjans & Diesmann's analysis).
pub(crate) const CORRELATION_BIN_MS: f64 = 2.0;
/// Cells sampled for pairwise correlations (the first ones recorded): all pairs of a large
/// population would cost O(n²).
pub(crate) const CORRELATION_SAMPLE: usize = 100;
/// Bin of the population rate whose spectrum is taken: 1 ms resolves oscillations up to
/// 500 Hz (Brunel's fast oscillations are near 180 Hz, synchronous regular firing ~300 Hz).
const SPECTRUM_BIN_MS: f64 = 1.0;
/// Slower components than this are drift and the opening transient, not an oscillation.
const SPECTRUM_MIN_HZ: f64 = 5.0;

/// The spikes of population `population` as parallel `(ids, times)` slices over its recorded
/// cells, renumbered `0..n` (so silent recorded cells count and unrecorded ones do not), and n.
pub fn population_events(
    suite: &NativeSuite,
    population: usize,
    recordings: &Recordings,
) -> (Vec<u32>, Vec<f64>, usize) {
    let pop = &suite.populations[population];
    let recorded: Vec<usize> = suite
        .recordings
        .iter()
        .filter(|r| r.population == population && r.variables.contains(&Variable::Spikes))
        .flat_map(|r| codegen::cells(&r.cells, pop.size))
        .collect();
    let position: BTreeMap<u32, u32> = recorded
        .iter()
        .enumerate()
        .map(|(i, c)| (*c as u32, i as u32))
        .collect();
    let (ids, times) = recordings
        .spikes
        .get(pop.id.as_str())
        .into_iter()
        .flatten()
        .filter_map(|(cell, t)| position.get(cell).map(|p| (*p, *t)))
        .unzip();
    (ids, times, recorded.len())
}

/// The population statistics of a job (networks), judged on its own recordings over the
/// recorded cells of each population.
pub fn judge_statistics(job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let suite = &job.suite;
    let duration_ms = suite.simulation.duration.si * 1e3;
    let mut out = Vec::new();
    for check in &suite.checks.statistics {
        let pop = &suite.populations[check.population];
        let (ids, times, n) = population_events(suite, check.population, recordings);
        let from = ms(&check.start);
        let observed = match check.statistic {
            Statistic::MeanRate => Some(stats::population_rate(&ids, &times, n, from, duration_ms)),
            Statistic::CvIsi => stats::cv_isi_distribution(&ids, &times, n, from, duration_ms).mean,
            Statistic::FanoFactor => stats::fano_factor(&stats::population_counts(
                &times,
                FANO_BIN_MS,
                from,
                duration_ms,
            )),
            Statistic::Correlation => {
                let sample: Vec<u32> = (0..n.min(CORRELATION_SAMPLE) as u32).collect();
                Some(stats::pairwise_correlation(
                    &ids,
                    &times,
                    &sample,
                    CORRELATION_BIN_MS,
                    from,
                    duration_ms,
                ))
            }
            Statistic::PowerPeak => stats::power_spectrum_peak(
                &stats::population_counts(&times, SPECTRUM_BIN_MS, from, duration_ms),
                SPECTRUM_BIN_MS,
                SPECTRUM_MIN_HZ,
            )
            .map(|peak| peak.frequency),
            Statistic::Synchrony => {
                stats::chi_synchrony(&ids, &times, n, CORRELATION_BIN_MS, from, duration_ms)
            }
        }
        .filter(|v| v.is_finite());
        let name = check.statistic.name();
        // Frequencies are in Hz (SI), the others plain numbers: SI values compare directly.
        let (status, message, expected, tolerance, min_passing_tolerance) = match &check.criterion {
            Criterion::Within {
                expected,
                tolerance,
            } => {
                let (expected, tolerance) = (expected.si, tolerance.si);
                let (status, message) = match observed {
                    Some(o) if (o - expected).abs() <= tolerance => (
                        CheckStatus::Pass,
                        format!("{name} {o:.4} (expected {expected} ± {tolerance})"),
                    ),
                    Some(o) => (
                        CheckStatus::Fail,
                        format!(
                            "{name} {o:.4}, expected {expected} ± {tolerance}: off by {:+.4}",
                            o - expected
                        ),
                    ),
                    None => (CheckStatus::Fail, not_computed(name)),
                };
                let min_passing = observed.map(|o| (o - expected).abs());
                (status, message, Some(expected), tolerance, min_passing)
            }
            Criterion::Range { min, max } => {
                let range = range_text(min.map(|q| q.si), max.map(|q| q.si));
                let (status, message) = match observed {
                    Some(o) => {
                        let below = min.filter(|m| o < m.si).map(|m| m.si - o);
                        let above = max.filter(|m| o > m.si).map(|m| o - m.si);
                        match (below, above) {
                            (Some(by), _) => (
                                CheckStatus::Fail,
                                format!("{name} {o:.4}, expected {range}: below by {by:.4}"),
                            ),
                            (_, Some(by)) => (
                                CheckStatus::Fail,
                                format!("{name} {o:.4}, expected {range}: above by {by:.4}"),
                            ),
                            _ => (CheckStatus::Pass, format!("{name} {o:.4} ({range})")),
                        }
                    }
                    None => (CheckStatus::Fail, not_computed(name)),
                };
                (status, message, None, 0.0, None)
            }
        };
        out.push(ObservableResult {
            experiment: format!("{} population", pop.id),
            observable: name.to_string(),
            status,
            tolerance,
            expected: expected.map(Value::Scalar),
            observed: observed.map(Value::Scalar),
            message,
            min_passing_tolerance,
            file: check.location.file.clone(),
            line: check.location.line,
        });
    }
    out
}

/// A suite's published mean rates, judged on the engines the figures are held to.
pub fn judge_published(job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let suite = &job.suite;
    let Some(check) = &suite.checks.published else {
        return vec![];
    };
    // The figures are for the suite's own seed; calibration runs at other seeds are not judged.
    if !check.engines.contains(&job.simulator) || job.seed.is_some() || job.point.is_some() {
        return vec![];
    }
    let (start, stop) = (ms(&check.start), ms(&check.stop));
    let tolerance = check.tolerance.si;
    check
        .rates
        .iter()
        .map(|&(population, expected)| {
            let pop = &suite.populations[population];
            let (ids, times, n) = population_events(suite, population, recordings);
            let observed = stats::population_rate_closed(&ids, &times, n, start, stop);
            let expected = expected.si;
            let off = observed - expected;
            let (status, message) = if !observed.is_finite() {
                (CheckStatus::Fail, not_computed("mean_rate"))
            } else if off.abs() <= tolerance {
                (
                    CheckStatus::Pass,
                    format!("mean_rate {observed:.4} (published {expected} ± {tolerance})"),
                )
            } else {
                (
                    CheckStatus::Fail,
                    format!(
                        "mean_rate {observed:.4}, published {expected} ± {tolerance}: off by {off:+.4}"
                    ),
                )
            };
            ObservableResult {
                experiment: format!("{} population", pop.id),
                observable: "published mean_rate".to_string(),
                status,
                tolerance,
                expected: Some(Value::Scalar(expected)),
                observed: observed.is_finite().then_some(Value::Scalar(observed)),
                message,
                min_passing_tolerance: observed.is_finite().then_some(off.abs()),
                file: check.location.file.clone(),
                line: check.location.line,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::suite::native::Simulator;

    const NET: &str = "suite: net\nsimulation: {duration: 1000 ms}\npopulations:\n  exc:\n    cell: lif_curr_exp\n    size: 4\nrecord:\n  - {population: exc, variables: [spikes]}\nchecks:\n  statistics:\n    - {statistic: mean_rate, population: exc, expected: 5 Hz, tolerance: 1 Hz}\n    - {statistic: cv_isi, population: exc, expected: 0, tolerance: 0.01}\n";

    fn job(yaml: &str) -> SuiteJob {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.crosscheck.yaml");
        std::fs::write(&path, yaml).unwrap();
        let suite = crate::suite::native::load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"));
        SuiteJob::new(suite, path, Simulator::Nest)
    }

    #[test]
    fn statistics_count_silent_cells_and_judge_with_the_tolerance() {
        let job = job(NET);
        let mut recordings = Recordings::default();
        // Two regular cells at 10 Hz, two silent: 5 Hz on average, CV 0.
        let events: Vec<(u32, f64)> = (0..10)
            .flat_map(|k| [(0, 50.0 + 100.0 * k as f64), (2, 60.0 + 100.0 * k as f64)])
            .collect();
        recordings.spikes.insert("exc".into(), events);
        let judged = judge_statistics(&job, &recordings);
        assert_eq!(judged.len(), 2);
        assert_eq!(judged[0].status, CheckStatus::Pass, "{}", judged[0].message);
        assert_eq!(judged[0].observed, Some(Value::Scalar(5.0)));
        assert_eq!(judged[1].status, CheckStatus::Pass, "{}", judged[1].message);

        // Half the spikes gone: 2.5 Hz is outside 5 ± 1 Hz, and the message says by how much.
        let events: Vec<(u32, f64)> = (0..5).map(|k| (0, 50.0 + 100.0 * k as f64)).collect();
        let mut halved = Recordings::default();
        halved.spikes.insert("exc".into(), events);
        let judged = judge_statistics(&job, &halved);
        assert_eq!(judged[0].status, CheckStatus::Fail);
        assert!(
            judged[0].message.contains("off by -3.75"),
            "{}",
            judged[0].message
        );
    }
}
