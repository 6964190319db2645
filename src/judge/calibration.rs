//! Cross-simulator statistical agreement, calibrated against the network's own seed-to-seed
//! spread (a suite's `checks.distributions`).
//!
//! Spike-exact agreement is impossible for a chaotic network whose simulators draw their own
//! random input, and a fixed tolerance says nothing about what "close" means for a given
//! network and size. So `crosscheck bless` runs the reference engine (NEST, say) at the suite's
//! seed and at each extra seed of the check, and stores, per recorded population and
//! statistic (per-neuron rates, CVs of ISIs, or the pairwise count correlations of a fixed
//! sample of cells):
//!
//! - the reference distribution (the values at the suite's own seed),
//! - the KS distance between every pair of seeds, and the largest of them: the baseline, how
//!   far two runs of the *same* simulator differ by chance alone,
//! - each seed's mean, for the report's seed band.
//!
//! `run` then computes each engine's distribution at the suite's seed and passes it when its
//! KS distance to the reference lies within the baseline times the check's `margin` (1.5 by
//! default: the largest of P seed pairs is exceeded by a further same-simulator seed about
//! once in P + 1 draws, so the bare maximum would fail agreeing engines that often; measured
//! on a 400-cell network with 3 seeds, Brian2's KS distance was 0.0625 against a maximum of
//! 0.0525 with an effect size of −0.007). The distance, the baseline, the threshold and an
//! effect size (Cohen's d) are reported, not only the verdict.
//!
//! Layout: `reference-data/<suite>/distributions.json`, written atomically by `bless` only,
//! with its provenance inside.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::statistics::{population_events, CORRELATION_BIN_MS, CORRELATION_SAMPLE};
use crate::compare::stats;
use crate::judge::reference::Provenance;
use crate::results::PopulationSummary;
use crate::results::Recordings;
use crate::results::{CheckStatus, ObservableResult, Value};
use crate::suite::native::{Distribution, NativeSuite, Variable};
use crate::suite_job::SuiteJob;

/// What `bless` stores for a suite's `distributions` check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Who blessed it and from what: the reference engine's run at the suite's own seed.
    pub provenance: Provenance,
    /// Every seed run, the suite's own first.
    pub seeds: Vec<u64>,
    /// Start of the analysis window in ms (the check's `start` when blessed); every
    /// distribution, blessed or judged, covers `[start_ms, duration)`.
    pub start_ms: f64,
    /// One per population with recorded spikes (spike sources excluded) and statistic of the
    /// check.
    pub entries: Vec<Entry>,
}

/// One population and statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The population's id in the suite.
    pub population: String,
    /// `rate`, `cv_isi` or `correlation`.
    pub statistic: String,
    /// The reference engine's values at the suite's own seed (per neuron, or per pair).
    pub values: Vec<f64>,
    /// KS distance of every pair of seeds, in the order (0,1), (0,2), …, (1,2), …
    #[serde(deserialize_with = "nan_as_null::vec")]
    pub seed_distances: Vec<f64>,
    /// The largest seed-to-seed KS distance: the agreement threshold.
    #[serde(deserialize_with = "nan_as_null::one")]
    pub baseline: f64,
    /// Mean of the values at each seed (the report's seed band).
    #[serde(deserialize_with = "nan_as_null::vec")]
    pub seed_means: Vec<f64>,
}

/// JSON has no NaN: serde_json writes a NaN (the mean or KS distance of an empty distribution,
/// such as the CVs of a population too quiet for three spikes per cell) as `null`, and these
/// read it back as NaN, so such a calibration stays readable.
mod nan_as_null {
    use serde::{Deserialize, Deserializer};

    pub fn one<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    pub fn vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    }
}

/// Where a suite's calibration lives under the reference root.
pub fn path(root: &Path, suite: &NativeSuite) -> PathBuf {
    root.join(suite.name.as_str()).join("distributions.json")
}

/// The per-neuron values of `statistic` for population `population` (its recorded cells) over
/// `[start_ms, duration)`.
pub fn values(
    suite: &NativeSuite,
    recordings: &Recordings,
    population: usize,
    statistic: Distribution,
    start_ms: f64,
) -> Vec<f64> {
    let (ids, times, n) = population_events(suite, population, recordings);
    let stop = suite.simulation.duration.si * 1e3;
    match statistic {
        Distribution::Rate => stats::per_neuron_rates(&ids, &times, n, start_ms, stop),
        Distribution::CvIsi => stats::cv_isi_distribution(&ids, &times, n, start_ms, stop).values,
        Distribution::Correlation => {
            let sample: Vec<u32> = (0..n.min(CORRELATION_SAMPLE) as u32).collect();
            stats::pairwise_correlations(&ids, &times, &sample, CORRELATION_BIN_MS, start_ms, stop)
        }
    }
}

/// The populations a check covers: every population whose spikes are recorded.
fn populations(suite: &NativeSuite) -> Vec<usize> {
    let mut out: Vec<usize> = suite
        .recordings
        .iter()
        .filter(|r| r.variables.contains(&Variable::Spikes))
        .map(|r| r.population)
        .filter(|&p| !suite.populations[p].kind.is_source)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The calibration of `suite` from the reference engine's runs, `runs[0]` at the suite's own
/// seed. `None` when the suite has no `distributions` check or fewer than two runs.
pub fn calibrate(
    suite: &NativeSuite,
    runs: &[(u64, &Recordings)],
    provenance: Provenance,
) -> Option<Calibration> {
    let check = suite.checks.distributions.as_ref()?;
    if runs.len() < 2 {
        return None;
    }
    let start_ms = check.start.si * 1e3;
    let mut entries = Vec::new();
    for population in populations(suite) {
        for &statistic in &check.statistics {
            let per_seed: Vec<Vec<f64>> = runs
                .iter()
                .map(|(_, rec)| values(suite, rec, population, statistic, start_ms))
                .collect();
            let mut seed_distances = Vec::new();
            for (i, a) in per_seed.iter().enumerate() {
                for b in &per_seed[i + 1..] {
                    seed_distances.push(stats::ks_distance(a, b));
                }
            }
            let baseline = seed_distances
                .iter()
                .copied()
                .filter(|d| !d.is_nan())
                .fold(f64::NAN, f64::max);
            entries.push(Entry {
                population: suite.populations[population].id.to_string(),
                statistic: statistic.name().to_string(),
                seed_means: per_seed.iter().map(|v| mean(v)).collect(),
                values: per_seed.into_iter().next().unwrap_or_default(),
                seed_distances,
                baseline,
            });
        }
    }
    Some(Calibration {
        provenance,
        seeds: runs.iter().map(|(seed, _)| *seed).collect(),
        start_ms,
        entries,
    })
}

fn mean(values: &[f64]) -> f64 {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    finite.iter().sum::<f64>() / finite.len() as f64
}

/// Writes a calibration atomically.
pub fn write(
    root: &Path,
    suite: &NativeSuite,
    calibration: &Calibration,
) -> std::io::Result<PathBuf> {
    let path = path(root, suite);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(calibration).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// The blessed calibration of `suite`, or `None` when it has never been blessed.
pub fn read(root: &Path, suite: &NativeSuite) -> Result<Option<Calibration>, String> {
    let path = path(root, suite);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Judges a job's distributions against the blessed ones: one observable per population and
/// statistic, passing when the KS distance lies within the seed-to-seed baseline. Calibration
/// runs themselves (another seed) are not judged.
pub fn judge(root: &Path, job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let suite = &job.suite;
    let Some(check) = &suite.checks.distributions else {
        return vec![];
    };
    if job.seed.is_some() || job.point.is_some() {
        return vec![];
    }
    let observable =
        |what: String, status, message, observed: Option<f64>, baseline: f64| ObservableResult {
            experiment: "distributions".into(),
            observable: what,
            status,
            tolerance: baseline,
            expected: None,
            observed: observed.map(Value::Scalar),
            message,
            min_passing_tolerance: observed,
            file: check.location.file.clone(),
            line: check.location.line,
        };
    let calibration = match read(root, suite) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return vec![observable(
                "calibration".into(),
                CheckStatus::Error,
                format!(
                    "no blessed distributions at {}; record them with `crosscheck bless`",
                    path(root, suite).display()
                ),
                None,
                0.0,
            )]
        }
        Err(e) => {
            return vec![observable(
                "calibration".into(),
                CheckStatus::Error,
                format!("unreadable blessed distributions: {e}"),
                None,
                0.0,
            )]
        }
    };
    let reference = check.reference.name();
    let seeds = calibration.seeds.len();
    let mut out = Vec::new();
    for population in populations(suite) {
        let pop = &suite.populations[population];
        for &statistic in &check.statistics {
            let what = format!("{} {} distribution", pop.id, statistic.name());
            let Some(entry) = calibration
                .entries
                .iter()
                .find(|e| e.population == pop.id.as_str() && e.statistic == statistic.name())
            else {
                out.push(observable(
                    what,
                    CheckStatus::Error,
                    "not in the blessed distributions: bless again".into(),
                    None,
                    0.0,
                ));
                continue;
            };
            let ours = values(
                suite,
                recordings,
                population,
                statistic,
                calibration.start_ms,
            );
            let distance = stats::ks_distance(&ours, &entry.values);
            let effect = stats::effect_size(&ours, &entry.values);
            let (band_lo, band_hi) = entry
                .seed_means
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
                    (lo.min(*m), hi.max(*m))
                });
            let threshold = entry.baseline * check.margin;
            let detail = format!(
                "KS distance {distance:.4} to {reference}'s (baseline: seed-to-seed KS up to {:.4} over {seeds} {reference} seeds, threshold {threshold:.4} = {} × baseline); effect size {effect:+.3}; mean {:.4} ({reference}: {:.4}, seeds {band_lo:.4}–{band_hi:.4})",
                entry.baseline,
                check.margin,
                mean(&ours),
                mean(&entry.values),
            );
            let status = if distance <= threshold {
                CheckStatus::Pass
            } else {
                CheckStatus::Fail
            };
            let message = match status {
                CheckStatus::Pass => detail,
                _ => format!("outside the seed-to-seed spread: {detail}"),
            };
            out.push(observable(
                what,
                status,
                message,
                Some(distance).filter(|d| d.is_finite()),
                threshold,
            ));
        }
    }
    out
}

/// The report's per-population summary of a network run (suites with `statistics` or
/// `distributions` checks): each recorded population's mean rate, and the blessed band of the
/// reference engine's mean rate over its seeds when there is one.
pub fn summaries(
    suite: &NativeSuite,
    recordings: &Recordings,
    root: &Path,
) -> Vec<PopulationSummary> {
    if suite.checks.statistics.is_empty()
        && suite.checks.distributions.is_none()
        && suite.checks.published.is_none()
    {
        return vec![];
    }
    let start_ms = suite
        .checks
        .distributions
        .as_ref()
        .map_or(0.0, |c| c.start.si * 1e3);
    let stop = suite.simulation.duration.si * 1e3;
    let calibration = suite
        .checks
        .distributions
        .as_ref()
        .and_then(|_| read(root, suite).ok().flatten());
    populations(suite)
        .into_iter()
        .map(|population| {
            let (ids, times, n) = population_events(suite, population, recordings);
            let id = suite.populations[population].id.to_string();
            let band = calibration.as_ref().and_then(|c| {
                let entry = c
                    .entries
                    .iter()
                    .find(|e| e.population == id && e.statistic == Distribution::Rate.name())?;
                let low = entry
                    .seed_means
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min);
                let high = entry
                    .seed_means
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max);
                (low <= high).then_some((low, high))
            });
            PopulationSummary {
                mean_rate: stats::population_rate(&ids, &times, n, start_ms, stop),
                seed_band: band,
                band_engine: band.and(calibration.as_ref().map(|c| c.provenance.engine.clone())),
                published: suite.checks.published.as_ref().and_then(|p| {
                    p.rates
                        .iter()
                        .find(|(index, _)| *index == population)
                        .map(|(_, rate)| rate.si)
                }),
                population: id,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const SUITE: &str = "suite: net\nengines: [NEST, Brian2]\nsimulation: {duration: 1000 ms, seed: 1}\npopulations:\n  exc:\n    cell: lif_delta\n    size: 100\nrecord:\n  - {population: exc, variables: [spikes]}\nchecks:\n  distributions: {reference: NEST, seeds: [2, 3], statistics: [rate], start: 100 ms}\n";

    fn suite() -> NativeSuite {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.crosscheck.yaml");
        std::fs::write(&path, SUITE).unwrap();
        crate::suite::native::load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"))
    }

    /// Neuron k fires `base + k % spread` spikes evenly over [100, 1000) ms.
    fn recordings(base: usize, spread: usize) -> Recordings {
        let mut spikes = Vec::new();
        for cell in 0..100usize {
            let count = base + cell % spread;
            for s in 0..count {
                spikes.push((cell as u32, 100.0 + 900.0 * s as f64 / count as f64));
            }
        }
        Recordings {
            spikes: BTreeMap::from([("exc".to_string(), spikes)]),
            ..Default::default()
        }
    }

    fn provenance() -> Provenance {
        Provenance {
            suite: "net".into(),
            sweep_point: None,
            engine: "NEST".into(),
            engine_version: Some("NEST 3.10".into()),
            crosscheck_version: "test".into(),
            date: "2026-11-26".into(),
            command: vec!["crosscheck".into(), "bless".into()],
            model_files: vec![],
        }
    }

    /// A population too quiet for any CV (NaN means and distances) is written as JSON nulls and
    /// read back as NaN, not refused as unreadable.
    #[test]
    fn an_empty_distribution_survives_writing_and_reading() {
        let suite = suite();
        let silent = Recordings {
            spikes: BTreeMap::from([("exc".to_string(), vec![])]),
            ..Default::default()
        };
        let runs: Vec<(u64, &Recordings)> = vec![(1, &silent), (2, &silent)];
        let mut calibration = calibrate(&suite, &runs, provenance()).expect("calibrated");
        calibration.entries[0].baseline = f64::NAN;
        calibration.entries[0].seed_means = vec![f64::NAN, 1.0];
        let root = tempfile::tempdir().unwrap();
        let path = write(root.path(), &suite, &calibration).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("null"));
        let back = read(root.path(), &suite).unwrap().expect("readable");
        assert!(back.entries[0].baseline.is_nan());
        assert!(back.entries[0].seed_means[0].is_nan() && back.entries[0].seed_means[1] == 1.0);
    }

    #[test]
    fn within_the_seed_spread_passes_and_beyond_it_fails_with_the_distances() {
        let suite = suite();
        let seeds = [recordings(10, 5), recordings(10, 6), recordings(11, 5)];
        let runs: Vec<(u64, &Recordings)> = [1, 2, 3].into_iter().zip(seeds.iter()).collect();
        let calibration = calibrate(&suite, &runs, provenance()).expect("calibrated");
        assert_eq!(calibration.seeds, vec![1, 2, 3]);
        let entry = &calibration.entries[0];
        assert_eq!(
            (entry.population.as_str(), entry.statistic.as_str()),
            ("exc", "rate")
        );
        assert_eq!(entry.seed_distances.len(), 3);
        assert!(entry.baseline > 0.0 && entry.baseline <= 1.0, "{entry:?}");

        let root = tempfile::tempdir().unwrap();
        let written = write(root.path(), &suite, &calibration).unwrap();
        assert!(written.ends_with("net/distributions.json"));
        assert_eq!(read(root.path(), &suite).unwrap(), Some(calibration));

        let job = |simulator| SuiteJob::new(suite.clone(), "net.crosscheck.yaml", simulator);
        let brian2 = job(crate::suite::native::Simulator::Brian2);
        let close = judge(root.path(), &brian2, &recordings(10, 6));
        assert_eq!(close.len(), 1);
        assert_eq!(close[0].status, CheckStatus::Pass, "{}", close[0].message);
        // Twice the rates: far outside what another seed does, and the message says by how much.
        let far = judge(root.path(), &brian2, &recordings(20, 5));
        assert_eq!(far[0].status, CheckStatus::Fail);
        assert!(far[0].message.starts_with("outside the seed-to-seed spread: KS distance 1.0000 to NEST's (baseline: seed-to-seed KS up to"), "{}", far[0].message);
        assert!(
            far[0].message.contains("effect size +"),
            "{}",
            far[0].message
        );
        assert_eq!(far[0].observed, Some(Value::Scalar(1.0)));
        // Calibration runs are not judged; an unblessed suite is an error that says what to do.
        let variant = SuiteJob {
            seed: Some(2),
            ..brian2.clone()
        };
        assert!(judge(root.path(), &variant, &recordings(10, 5)).is_empty());
        // The report's summary: the mean rate from `start`, and NEST's band over its seeds.
        let summary = &summaries(&suite, &recordings(10, 6), root.path())[0];
        assert_eq!(summary.population, "exc");
        assert!((summary.mean_rate - 13.8444).abs() < 1e-3, "{summary:?}");
        let (low, high) = summary.seed_band.expect("a band");
        assert!(
            (low - 13.3333).abs() < 1e-3 && (high - 14.4444).abs() < 1e-3,
            "{summary:?}"
        );
        assert_eq!(summary.band_engine.as_deref(), Some("NEST"));
        let empty = tempfile::tempdir().unwrap();
        let missing = judge(empty.path(), &brian2, &recordings(10, 5));
        assert_eq!(missing[0].status, CheckStatus::Error);
        assert!(
            missing[0].message.contains("crosscheck bless"),
            "{}",
            missing[0].message
        );
    }
}
