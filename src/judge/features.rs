//! Features of one job's recordings (spike counts, rates, first-spike times, resting and
//! peak values), judged against the ranges the suite states for them.

use crate::codegen;
use crate::compare::features;
use crate::results::{CheckStatus, ObservableResult, Recordings, Value};
use crate::suite::native::{Feature, Stimulus};
use crate::suite_job::SuiteJob;

/// The feature checks of a job, judged on its own recordings.
pub fn judge_features(job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let suite = &job.suite;
    let point = job.point.unwrap_or(0);
    let duration_ms = suite.simulation.duration.si * 1e3;
    let stimulus_start = suite
        .stimuli
        .iter()
        .map(|s| match s {
            Stimulus::Step { start, .. } => start.si * 1e3,
            Stimulus::Poisson { .. } => 0.0,
        })
        .fold(f64::INFINITY, f64::min);
    // The cell is at rest until the first thing that perturbs it: a stimulus or an input spike.
    let first_input = codegen::prepare_inputs(suite)
        .source_spikes
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let rest_until = stimulus_start.min(first_input);
    let rest_until = if rest_until.is_finite() && rest_until > 0.0 {
        rest_until
    } else {
        duration_ms
    };
    let stimulus_start = if stimulus_start.is_finite() {
        stimulus_start
    } else {
        0.0
    };
    let mut out = Vec::new();
    for check in &suite.checks.features {
        let pop = &suite.populations[check.population];
        let expected = check
            .expected
            .get(point)
            .or(check.expected.first())
            .copied();
        let (unit, scale) = feature_unit(check.feature);
        let observed: Option<f64> = match check.feature {
            Feature::SpikeCount => Some(features::spike_count(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
                0.0,
                duration_ms + 1e-9,
            ) as f64),
            Feature::FirstSpikeLatency => features::first_spike_latency(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
                stimulus_start,
            ),
            Feature::MeanRate => Some(features::mean_rate(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
                0.0,
                duration_ms,
            )),
            Feature::AdaptationIndex => features::adaptation_index(
                &recordings.spike_times(pop.id.as_str(), check.cell as u32),
            ),
            Feature::RestingPotential => recordings
                .traces
                .get(&(pop.id.to_string(), "v".to_string()))
                .and_then(|trace| {
                    let column = trace.columns.get(check.cell)?;
                    features::resting_potential(&trace.time_ms, column, 0.0, rest_until)
                }),
        };
        let expected_value = expected.map(|q| q.si * scale);
        let tolerance = check.tolerance.si * scale;
        let (status, message) = match (observed, expected_value) {
            (Some(o), Some(e)) if o.is_finite() => {
                let diff = o - e;
                if diff.abs() <= tolerance {
                    (
                        CheckStatus::Pass,
                        format!(
                            "{} {o:.4}{unit} (expected {e}{unit} ± {tolerance}{unit})",
                            check.feature.name()
                        ),
                    )
                } else {
                    (
                        CheckStatus::Fail,
                        format!(
                            "{} {o:.4}{unit}, expected {e}{unit} ± {tolerance}{unit}: off by {diff:+.4}{unit}",
                            check.feature.name()
                        ),
                    )
                }
            }
            _ => (
                CheckStatus::Fail,
                format!(
                    "{} could not be measured (no spikes or no trace where one was needed)",
                    check.feature.name()
                ),
            ),
        };
        out.push(ObservableResult {
            experiment: format!("{} cell {}", pop.id, check.cell),
            observable: check.feature.name().to_string(),
            status,
            tolerance,
            expected: expected_value.map(Value::Scalar),
            observed: observed.map(Value::Scalar),
            message,
            min_passing_tolerance: match (observed, expected_value) {
                (Some(o), Some(e)) if o.is_finite() => Some((o - e).abs()),
                _ => None,
            },
            file: check.location.file.clone(),
            line: check.location.line,
        });
    }
    out
}

pub(super) fn not_computed(name: &str) -> String {
    format!("{name} could not be computed (too few spikes or recorded cells)")
}

/// `≥ 0.8`, `≤ 40`, `in [20, 80]`.
pub(super) fn range_text(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("in [{lo}, {hi}]"),
        (Some(lo), None) => format!("≥ {lo}"),
        (None, Some(hi)) => format!("≤ {hi}"),
        (None, None) => "any value".to_string(),
    }
}

/// The unit a feature is reported in, and the factor from SI to it.
fn feature_unit(feature: Feature) -> (&'static str, f64) {
    match feature {
        Feature::SpikeCount | Feature::AdaptationIndex => ("", 1.0),
        Feature::FirstSpikeLatency => (" ms", 1e3),
        Feature::MeanRate => (" Hz", 1.0),
        Feature::RestingPotential => (" mV", 1e3),
    }
}
