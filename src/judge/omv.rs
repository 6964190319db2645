//! OMV tests judged: computes each observable of an `.omt` test from the files an engine wrote,
//! and judges it against its `.mep` value with OMV's rule (crosscheck suites are judged by the
//! other modules of [`crate::judge`]).
//!
//! The semantics follow OMV 0.4.0 (see `compare` for the three OMV bugs fixed on purpose).
//! Where OMV is silent or undefined, crosscheck decides as follows:
//!
//! - **Duration-based rate with `end_time: inf`** (OMV's default): OMV divides by infinity and
//!   reports 0 for every model. crosscheck ends the window at the end of the data instead: the
//!   last time sample of a voltage trace, or the last spike time in a file of spike times (for
//!   a spike file, the last spike of any cell, so that all cells share one window). With no
//!   spikes at all the rate is 0.
//! - **A requested cell id absent from a spike file** is a silent cell: no spikes (for
//!   `spike times`) and rate 0 (for `spike rate`), since simulators only write cells that
//!   fired. OMV fails such `spike times` and reports 0 for such rates.
//! - **`ids` listing several cells** for `spike rate`: the mean of their rates (absent cells
//!   count as silent). `spike times` need exactly one cell.
//! - **Timeseries with one loaded column** compare like a list (numpy's `loadtxt` returns a
//!   1-D array then), and a one-element list like a scalar (numpy broadcasting).
//!
//! Data source paths are mapped with `resolve` (the engine wrote them in the job's working
//! copy); expected-value files are reference data and are read from where the test names them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::compare::{self, Comparison};
use crate::data::{self, DataError};
use crate::results::{CheckStatus, ObservableResult, Value};
use crate::suite::{
    DataSource, Expected, IdSelection, ObservableCheck, ObservableKind, RateMethod,
};

/// Why an observable could not be computed.
#[derive(Debug, Error)]
pub enum CheckError {
    /// A data file could not be read. `path` in the error is the test's path; `read_from` is
    /// where it was actually read when that differs (the job's working copy).
    #[error("{error}{}", read_from.as_ref().map(|p| format!(" (read from {})", p.display())).unwrap_or_default())]
    Data {
        /// The read error, naming the file by the test's path.
        error: DataError,
        /// The file actually read (in the job's working copy), when not the test's path.
        read_from: Option<PathBuf>,
    },
    /// The data was read but does not allow computing the observable.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The data source's path as the test names it.
        path: PathBuf,
        /// What is wrong with the data (e.g. `not a spike file`, `the file has no data rows`).
        message: String,
    },
}

/// Computes and judges one observable of `experiment`.
///
/// `resolve` maps a data file's path as written in the test (absolute, in the user's
/// repository) to where the engine wrote it for this job. It is applied to data sources only,
/// never to `Expected::File`, whose reference data stays in the repository.
///
/// Never panics: unreadable or unsuitable data gives `CheckStatus::Error` with the reason.
pub fn evaluate(
    experiment: &str,
    check: &ObservableCheck,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> ObservableResult {
    let mut result = ObservableResult {
        experiment: experiment.to_string(),
        observable: check.kind.omv_name().to_string(),
        status: CheckStatus::Error,
        tolerance: check.tolerance,
        expected: None,
        observed: None,
        message: String::new(),
        min_passing_tolerance: None,
        file: check.location.file.clone(),
        line: check.location.line,
    };
    let expected = match expected_value(&check.expected) {
        Ok(value) => value,
        Err(e) => {
            result.message = format!("cannot read the expected values: {e}");
            return result;
        }
    };
    result.expected = Some(expected.clone());
    let observed = match observe(check, resolve) {
        Ok(value) => value,
        Err(e) => {
            result.message = e.to_string();
            return result;
        }
    };
    let comparison: Comparison = compare::compare(&observed, &expected, check.tolerance);
    let noun = match check.kind {
        ObservableKind::SpikeTimes => "spikes",
        _ => "values",
    };
    result.status = if comparison.passed {
        CheckStatus::Pass
    } else {
        CheckStatus::Fail
    };
    result.message = comparison.describe(noun);
    result.min_passing_tolerance = comparison.min_passing_tolerance;
    result.observed = Some(observed);
    result
}

/// The expected value as a [`Value`]; a file of expected values is read from the test's own
/// path (no `resolve`).
pub fn expected_value(expected: &Expected) -> Result<Value, CheckError> {
    Ok(match expected {
        Expected::Scalar(x) => Value::Scalar(*x),
        Expected::List(xs) => Value::List(xs.clone()),
        Expected::Table(rows) => Value::Table(rows.clone()),
        Expected::File {
            path,
            columns,
            header,
            scaling,
        } => {
            let table = data::read_table(path, columns, *header, scaling).map_err(|error| {
                CheckError::Data {
                    error,
                    read_from: None,
                }
            })?;
            Value::Table(rows_of(&table))
        }
    })
}

/// Computes the observed value of `check` from its data source.
pub fn observe(
    check: &ObservableCheck,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<Value, CheckError> {
    let source = &check.source;
    match &check.kind {
        ObservableKind::SpikeTimes => {
            let spikes = single_train(source, resolve)?;
            Ok(Value::List(spikes))
        }
        ObservableKind::SpikeRate {
            method,
            start_time,
            end_time,
        } => {
            let (trains, data_end) = rate_trains(source, resolve)?;
            let end = if *end_time == f64::INFINITY && *method == RateMethod::DurationBased {
                match data_end {
                    Some(end) => end,
                    // No data at all: no spikes in any window.
                    None => return Ok(Value::Scalar(0.0)),
                }
            } else {
                *end_time
            };
            compare::mean_rate(trains.iter().map(Vec::as_slice), *method, *start_time, end)
                .map(Value::Scalar)
                .ok_or_else(|| {
                    invalid(
                        source,
                        format!(
                            "no rate can be computed in the window [{start_time}, {end}] \
                             (empty window, or spikes at identical times)"
                        ),
                    )
                })
        }
        ObservableKind::Resting { average_last } => {
            let columns = load_table(source, resolve, "resting")?;
            let Some(values) = columns.get(1) else {
                return Err(invalid(
                    source,
                    format!(
                        "resting needs two loaded columns (time and value), but `columns` \
                         loads {}",
                        columns.len()
                    ),
                ));
            };
            compare::resting(values, *average_last)
                .map(Value::Scalar)
                .ok_or_else(|| invalid(source, "the file has no data rows".to_string()))
        }
        ObservableKind::Timeseries => {
            let columns = load_table(source, resolve, "timeseries")?;
            Ok(Value::Table(rows_of(&columns)))
        }
    }
}

fn invalid(source: &DataSource, message: String) -> CheckError {
    CheckError::Invalid {
        path: source.path().clone(),
        message,
    }
}

/// Column-major (as read) to row-major (as written in files and `.mep` tables).
fn rows_of(columns: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = columns.iter().map(Vec::len).min().unwrap_or(0);
    (0..n)
        .map(|i| columns.iter().map(|c| c[i]).collect())
        .collect()
}

fn data_error(error: DataError, original: &Path, resolved: &Path) -> CheckError {
    let read_from = (original != resolved).then(|| resolved.to_path_buf());
    CheckError::Data {
        error: error.with_path(original),
        read_from,
    }
}

/// Reads a `file:` table source; `what` names the observable for the error when the source
/// is a spike file instead.
fn load_table(
    source: &DataSource,
    resolve: &dyn Fn(&Path) -> PathBuf,
    what: &str,
) -> Result<Vec<Vec<f64>>, CheckError> {
    match source {
        DataSource::Table {
            path,
            columns,
            header,
            scaling,
            ..
        } => {
            let resolved = resolve(path);
            data::read_table(&resolved, columns, *header, scaling)
                .map_err(|e| data_error(e, path, &resolved))
        }
        DataSource::SpikeFile { .. } => Err(invalid(
            source,
            format!("{what} needs a `file:` table, not a `spiketimes file:`"),
        )),
    }
}

/// Spike times of a table source, and the end of its data (last time sample of a trace, or
/// last spike time).
fn table_spikes(
    source: &DataSource,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<(Vec<f64>, Option<f64>), CheckError> {
    let DataSource::Table {
        spike_detection, ..
    } = source
    else {
        return Err(invalid(source, "not a table".to_string()));
    };
    let columns = load_table(source, resolve, "spikes")?;
    match spike_detection {
        None => {
            let Some(spikes) = columns.into_iter().next() else {
                return Err(invalid(
                    source,
                    "`columns` loads no column to take spike times from".to_string(),
                ));
            };
            let end = spikes.iter().copied().reduce(f64::max);
            Ok((spikes, end))
        }
        Some(detection) => {
            let (Some(t), Some(v)) = (columns.first(), columns.get(1)) else {
                return Err(invalid(
                    source,
                    format!(
                        "spike detection needs two loaded columns (time and value), but \
                         `columns` loads {}",
                        columns.len()
                    ),
                ));
            };
            let spikes = compare::detect_spikes(t, v, *detection);
            Ok((spikes, t.last().copied()))
        }
    }
}

/// Spike trains by cell id.
type Cells = BTreeMap<i64, Vec<f64>>;

/// Spikes of a spike file grouped by cell id (in file order within a cell), and the last
/// spike time of the file.
fn spike_file_cells(
    source: &DataSource,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<(Cells, Option<f64>), CheckError> {
    let DataSource::SpikeFile {
        path,
        format,
        scaling,
        ..
    } = source
    else {
        return Err(invalid(source, "not a spike file".to_string()));
    };
    let resolved = resolve(path);
    let events = data::read_spike_file(&resolved, *format, *scaling)
        .map_err(|e| data_error(e, path, &resolved))?;
    let end = events.iter().map(|&(_, t)| t).reduce(f64::max);
    let mut cells = Cells::new();
    for (id, t) in events {
        cells.entry(id).or_default().push(t);
    }
    Ok((cells, end))
}

fn id_list(ids: &[i64]) -> String {
    const SHOWN: usize = 10;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

/// The spike train of exactly one cell, as `spike times` requires.
fn single_train(
    source: &DataSource,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<Vec<f64>, CheckError> {
    match source {
        DataSource::Table { .. } => Ok(table_spikes(source, resolve)?.0),
        DataSource::SpikeFile { ids, .. } => {
            let (mut cells, _) = spike_file_cells(source, resolve)?;
            match ids {
                IdSelection::Ids(ids) if ids.len() == 1 => {
                    // A requested cell that never fired is absent from the file: no spikes.
                    Ok(cells.remove(&ids[0]).unwrap_or_default())
                }
                IdSelection::Ids(ids) => Err(invalid(
                    source,
                    format!(
                        "spike times need exactly one cell, but `ids` selects {} ({})",
                        ids.len(),
                        id_list(ids)
                    ),
                )),
                IdSelection::All => {
                    if cells.len() == 1 {
                        Ok(cells.into_values().next().unwrap_or_default())
                    } else if cells.is_empty() {
                        Err(invalid(
                            source,
                            "the file has no spikes, so `ids: '*'` names no cell; give the \
                             cell's id in `ids`"
                                .to_string(),
                        ))
                    } else {
                        let all: Vec<i64> = cells.keys().copied().collect();
                        Err(invalid(
                            source,
                            format!(
                                "spike times need exactly one cell, but the file has spikes \
                                 of {} cells (ids {}); choose one with `ids`",
                                all.len(),
                                id_list(&all)
                            ),
                        ))
                    }
                }
            }
        }
    }
}

/// The spike trains a rate is averaged over, and the end of the data.
fn rate_trains(
    source: &DataSource,
    resolve: &dyn Fn(&Path) -> PathBuf,
) -> Result<(Vec<Vec<f64>>, Option<f64>), CheckError> {
    match source {
        DataSource::Table { .. } => {
            let (spikes, end) = table_spikes(source, resolve)?;
            Ok((vec![spikes], end))
        }
        DataSource::SpikeFile { ids, .. } => {
            let (mut cells, end) = spike_file_cells(source, resolve)?;
            let trains = match ids {
                IdSelection::All => cells.into_values().collect(),
                IdSelection::Ids(ids) if ids.is_empty() => {
                    return Err(invalid(source, "`ids` selects no cell".to_string()));
                }
                IdSelection::Ids(ids) => ids
                    .iter()
                    .map(|id| cells.remove(id).unwrap_or_default())
                    .collect(),
            };
            Ok((trains, end))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::CheckStatus;
    use crate::suite::{Location, SpikeDetection, SpikeFileFormat};
    use std::fs;

    fn location(line: usize) -> Location {
        Location {
            file: PathBuf::from("/repo/test/.test.omt"),
            line,
            column: 7,
        }
    }

    fn table(path: &Path, detection: Option<SpikeDetection>) -> DataSource {
        DataSource::Table {
            path: path.to_path_buf(),
            columns: vec![0, 1],
            header: 0,
            scaling: vec![],
            spike_detection: detection,
        }
    }

    fn check(
        kind: ObservableKind,
        source: DataSource,
        tol: f64,
        expected: Expected,
    ) -> ObservableCheck {
        ObservableCheck {
            kind,
            source,
            tolerance: tol,
            expected,
            location: location(12),
            expected_location: location(3),
        }
    }

    fn identity(p: &Path) -> PathBuf {
        p.to_path_buf()
    }

    fn run(c: &ObservableCheck) -> ObservableResult {
        evaluate("exp", c, &identity)
    }

    /// A trace with threshold crossings at t = 2, 5 (threshold 0).
    fn trace(dir: &Path) -> PathBuf {
        let path = dir.join("v.dat");
        let rows = [
            (0.0, -1.0),
            (1.0, -1.0),
            (2.0, 1.0),
            (3.0, 0.5),
            (4.0, -1.0),
            (5.0, 2.0),
            (6.0, -1.0),
            (7.0, -1.0),
            (8.0, -0.5),
        ];
        let text: String = rows.iter().map(|(t, v)| format!("{t} {v}\n")).collect();
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn spike_times_from_trace_pass_and_fail() {
        let dir = tempfile::tempdir().unwrap();
        let path = trace(dir.path());
        let source = table(&path, Some(SpikeDetection::Threshold(0.0)));
        let c = check(
            ObservableKind::SpikeTimes,
            source.clone(),
            1e-3,
            Expected::List(vec![2.0, 5.0]),
        );
        let r = run(&c);
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        assert_eq!(r.observable, "spike times");
        assert_eq!(r.experiment, "exp");
        assert_eq!(r.observed, Some(Value::List(vec![2.0, 5.0])));
        assert_eq!(r.expected, Some(Value::List(vec![2.0, 5.0])));
        assert_eq!(r.min_passing_tolerance, Some(0.0));
        assert_eq!(r.line, 12);
        assert_eq!(r.file, PathBuf::from("/repo/test/.test.omt"));
        assert!(
            r.message.starts_with("2 spikes within rtol 0.001"),
            "{}",
            r.message
        );

        let c = check(
            ObservableKind::SpikeTimes,
            source,
            1e-3,
            Expected::List(vec![2.0, 5.1]),
        );
        let r = run(&c);
        assert_eq!(r.status, CheckStatus::Fail);
        let t = r.min_passing_tolerance.unwrap();
        assert!((t - (0.1 - 1e-8) / 5.1).abs() < 1e-12);
        assert!(r.message.contains("1 of 2 spikes outside"), "{}", r.message);
    }

    #[test]
    fn spike_times_from_table_column_with_spike_at_zero() {
        // OMV bug 1: a spike at t = 0 is a value, not "could not determine".
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spikes.dat");
        fs::write(&path, "0.0\n0.012\n").unwrap();
        let source = DataSource::Table {
            path: path.clone(),
            columns: vec![0],
            header: 0,
            scaling: vec![1000.0],
            spike_detection: None,
        };
        let c = check(
            ObservableKind::SpikeTimes,
            source,
            0.0,
            Expected::List(vec![0.0, 12.0]),
        );
        let r = run(&c);
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
    }

    #[test]
    fn derivative_detection_through_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = trace(dir.path());
        let c = check(
            ObservableKind::SpikeTimes,
            table(&path, Some(SpikeDetection::Derivative)),
            0.0,
            Expected::List(vec![2.0, 5.0]),
        );
        assert_eq!(run(&c).status, CheckStatus::Pass);
    }

    #[test]
    fn spike_rate_from_voltage_trace() {
        // OMV bug 2: OMV always failed this.
        let dir = tempfile::tempdir().unwrap();
        let path = trace(dir.path());
        let source = table(&path, Some(SpikeDetection::Threshold(0.0)));
        let isi = ObservableKind::SpikeRate {
            method: RateMethod::IsiBased,
            start_time: 0.0,
            end_time: f64::INFINITY,
        };
        let r = run(&check(
            isi,
            source.clone(),
            1e-9,
            Expected::Scalar(1.0 / 3.0),
        ));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        // Duration based with end_time inf: the window ends at the last sample (t = 8).
        let duration = ObservableKind::SpikeRate {
            method: RateMethod::DurationBased,
            start_time: 0.0,
            end_time: f64::INFINITY,
        };
        let r = run(&check(
            duration,
            source.clone(),
            1e-9,
            Expected::Scalar(0.25),
        ));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        assert_eq!(r.observed, Some(Value::Scalar(0.25)));

        let window = ObservableKind::SpikeRate {
            method: RateMethod::DurationBased,
            start_time: 1.0,
            end_time: 3.0,
        };
        let r = run(&check(window, source.clone(), 0.0, Expected::Scalar(0.5)));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        let empty = ObservableKind::SpikeRate {
            method: RateMethod::DurationBased,
            start_time: 3.0,
            end_time: 3.0,
        };
        let r = run(&check(empty, source, 0.0, Expected::Scalar(0.5)));
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.message.contains("window [3, 3]"), "{}", r.message);
    }

    fn spike_file(
        dir: &Path,
        name: &str,
        text: &str,
        format: SpikeFileFormat,
        ids: IdSelection,
    ) -> DataSource {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        DataSource::SpikeFile {
            path,
            format,
            ids,
            scaling: 1.0,
        }
    }

    #[test]
    fn spike_files_of_all_formats() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("a.spikes", "0 1.0\n0 3.0\n", SpikeFileFormat::IdTime),
            ("b.spikes", "1.0 0\n3.0 0\n", SpikeFileFormat::TimeId),
            (
                "c.dat",
                "# NEST\n# header\nsender time_ms\n0.0 1.0\n0.0 3.0\n",
                SpikeFileFormat::IdTimeNestDat,
            ),
        ];
        for (name, text, format) in cases {
            for ids in [IdSelection::All, IdSelection::Ids(vec![0])] {
                let source = spike_file(dir.path(), name, text, format, ids);
                let r = run(&check(
                    ObservableKind::SpikeTimes,
                    source,
                    0.0,
                    Expected::List(vec![1.0, 3.0]),
                ));
                assert_eq!(r.status, CheckStatus::Pass, "{name}: {}", r.message);
            }
        }
    }

    #[test]
    fn spike_file_id_selection() {
        let dir = tempfile::tempdir().unwrap();
        let text = "0 1.0\n1 2.0\n0 3.0\n1 2.5\n";
        let pick = |ids| spike_file(dir.path(), "s.spikes", text, SpikeFileFormat::IdTime, ids);

        let r = run(&check(
            ObservableKind::SpikeTimes,
            pick(IdSelection::Ids(vec![1])),
            0.0,
            Expected::List(vec![2.0, 2.5]),
        ));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        let r = run(&check(
            ObservableKind::SpikeTimes,
            pick(IdSelection::All),
            0.0,
            Expected::List(vec![1.0]),
        ));
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.observed.is_none());
        assert!(r.message.contains("2 cells (ids 0, 1)"), "{}", r.message);

        let r = run(&check(
            ObservableKind::SpikeTimes,
            pick(IdSelection::Ids(vec![0, 1])),
            0.0,
            Expected::List(vec![1.0]),
        ));
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.message.contains("`ids` selects 2"), "{}", r.message);

        // A requested cell that never fired: no spikes.
        let r = run(&check(
            ObservableKind::SpikeTimes,
            pick(IdSelection::Ids(vec![7])),
            0.0,
            Expected::List(vec![]),
        ));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        let empty = spike_file(
            dir.path(),
            "e.spikes",
            "",
            SpikeFileFormat::IdTime,
            IdSelection::All,
        );
        let r = run(&check(
            ObservableKind::SpikeTimes,
            empty,
            0.0,
            Expected::List(vec![]),
        ));
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.message.contains("no spikes"), "{}", r.message);
    }

    #[test]
    fn spike_rate_from_spike_file_is_mean_of_cells() {
        let dir = tempfile::tempdir().unwrap();
        // Cell 0: ISIs 1, 1 -> rate 1. Cell 1: ISI 0.5 -> rate 2. Mean 1.5.
        let text = "0 1.0\n1 2.0\n0 2.0\n1 2.5\n0 3.0\n";
        let isi = ObservableKind::SpikeRate {
            method: RateMethod::IsiBased,
            start_time: 0.0,
            end_time: f64::INFINITY,
        };
        let all = spike_file(
            dir.path(),
            "s.spikes",
            text,
            SpikeFileFormat::IdTime,
            IdSelection::All,
        );
        let r = run(&check(
            isi.clone(),
            all.clone(),
            1e-12,
            Expected::Scalar(1.5),
        ));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        let one = spike_file(
            dir.path(),
            "s.spikes",
            text,
            SpikeFileFormat::IdTime,
            IdSelection::Ids(vec![1]),
        );
        let r = run(&check(isi.clone(), one, 1e-12, Expected::Scalar(2.0)));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        // Absent cell counts as silent: (1 + 0) / 2.
        let with_silent = spike_file(
            dir.path(),
            "s.spikes",
            text,
            SpikeFileFormat::IdTime,
            IdSelection::Ids(vec![0, 9]),
        );
        let r = run(&check(isi, with_silent, 1e-12, Expected::Scalar(0.5)));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        // Duration based, end inf -> last spike of the file (3.0): cell 0 3/3, cell 1 2/3.
        let duration = ObservableKind::SpikeRate {
            method: RateMethod::DurationBased,
            start_time: 0.0,
            end_time: f64::INFINITY,
        };
        let r = run(&check(
            duration.clone(),
            all,
            1e-12,
            Expected::Scalar(5.0 / 6.0),
        ));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);

        let empty = spike_file(
            dir.path(),
            "e.spikes",
            "",
            SpikeFileFormat::IdTime,
            IdSelection::All,
        );
        let r = run(&check(duration, empty, 0.0, Expected::Scalar(0.0)));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
    }

    #[test]
    fn resting_average_of_second_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.dat");
        fs::write(&path, "0 -0.060 9\n1 -0.064 9\n2 -0.066 9\n").unwrap();
        let source = DataSource::Table {
            path: path.clone(),
            columns: vec![0, 1],
            header: 0,
            scaling: vec![1.0, 1000.0],
            spike_detection: None,
        };
        let r = run(&check(
            ObservableKind::Resting { average_last: 2 },
            source,
            1e-9,
            Expected::Scalar(-65.0),
        ));
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        assert!(r.message.contains("expected -65"), "{}", r.message);

        let one_column = DataSource::Table {
            path,
            columns: vec![1],
            header: 0,
            scaling: vec![],
            spike_detection: None,
        };
        let r = run(&check(
            ObservableKind::Resting { average_last: 1 },
            one_column,
            0.1,
            Expected::Scalar(-65.0),
        ));
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.message.contains("two loaded columns"), "{}", r.message);
    }

    #[test]
    fn timeseries_inline_and_from_reference_file() {
        let repo = tempfile::tempdir().unwrap();
        let job = tempfile::tempdir().unwrap();
        // Data written by the engine in the job copy; the reference file only in the repo.
        fs::write(job.path().join("out.dat"), "0 -65\n0.1 -64\n").unwrap();
        fs::write(repo.path().join("ref.dat"), "t v\n0 -65\n0.1 -64.001\n").unwrap();
        let repo_root = repo.path().to_path_buf();
        let job_root = job.path().to_path_buf();
        let resolve = move |p: &Path| match p.strip_prefix(&repo_root) {
            Ok(rel) => job_root.join(rel),
            Err(_) => p.to_path_buf(),
        };
        let source = table(&repo.path().join("out.dat"), None);

        let inline = check(
            ObservableKind::Timeseries,
            source.clone(),
            0.0,
            Expected::Table(vec![vec![0.0, -65.0], vec![0.1, -64.0]]),
        );
        let r = evaluate("exp", &inline, &resolve);
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        assert_eq!(r.observable, "timeseries");
        assert_eq!(
            r.observed,
            Some(Value::Table(vec![vec![0.0, -65.0], vec![0.1, -64.0]]))
        );

        let from_file = |tol| {
            check(
                ObservableKind::Timeseries,
                source.clone(),
                tol,
                Expected::File {
                    path: repo.path().join("ref.dat"),
                    columns: vec![0, 1],
                    header: 1,
                    scaling: vec![],
                },
            )
        };
        let r = evaluate("exp", &from_file(1e-3), &resolve);
        assert_eq!(r.status, CheckStatus::Pass, "{}", r.message);
        let r = evaluate("exp", &from_file(1e-7), &resolve);
        assert_eq!(r.status, CheckStatus::Fail, "{}", r.message);
        assert!(r.message.contains("row 1, column 1"), "{}", r.message);
        assert!(r.min_passing_tolerance.is_some());

        // With a missing reference file: an error about the expected values.
        let missing = check(
            ObservableKind::Timeseries,
            source,
            0.1,
            Expected::File {
                path: repo.path().join("nope.dat"),
                columns: vec![0, 1],
                header: 0,
                scaling: vec![],
            },
        );
        let r = evaluate("exp", &missing, &resolve);
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.message.contains("expected values"), "{}", r.message);
        assert!(r.message.contains("nope.dat"), "{}", r.message);
    }

    #[test]
    fn missing_data_file_is_an_error_naming_both_paths() {
        let job = tempfile::tempdir().unwrap();
        let job_root = job.path().to_path_buf();
        let resolve = move |p: &Path| job_root.join(p.file_name().unwrap_or_default());
        let c = check(
            ObservableKind::SpikeTimes,
            table(
                Path::new("/repo/results/v.dat"),
                Some(SpikeDetection::Threshold(0.0)),
            ),
            0.1,
            Expected::List(vec![1.0]),
        );
        let r = evaluate("exp", &c, &resolve);
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.observed.is_none());
        assert_eq!(r.expected, Some(Value::List(vec![1.0])));
        assert!(r.message.contains("/repo/results/v.dat"), "{}", r.message);
        assert!(r.message.contains("read from"), "{}", r.message);
        assert!(r.message.contains("No such file"), "{}", r.message);
    }

    #[test]
    fn malformed_data_file_reports_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.dat");
        fs::write(&path, "0 1\n1 2\n2 nan?\n").unwrap();
        let c = check(
            ObservableKind::Timeseries,
            table(&path, None),
            0.1,
            Expected::Table(vec![]),
        );
        let r = run(&c);
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.message.contains(":3:"), "{}", r.message);
        assert!(r.message.contains("nan?"), "{}", r.message);
    }

    #[test]
    fn spike_file_source_for_table_observable_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let source = spike_file(
            dir.path(),
            "s.spikes",
            "0 1\n",
            SpikeFileFormat::IdTime,
            IdSelection::All,
        );
        let r = run(&check(
            ObservableKind::Timeseries,
            source,
            0.1,
            Expected::List(vec![]),
        ));
        assert_eq!(r.status, CheckStatus::Error);
        assert!(r.message.contains("`file:` table"), "{}", r.message);
    }

    #[test]
    fn length_mismatch_message_through_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = trace(dir.path());
        let c = check(
            ObservableKind::SpikeTimes,
            table(&path, Some(SpikeDetection::Threshold(0.0))),
            1e-3,
            Expected::List(vec![2.0, 5.0, 7.0]),
        );
        let r = run(&c);
        assert_eq!(r.status, CheckStatus::Fail);
        assert_eq!(r.min_passing_tolerance, None);
        assert!(r.message.contains("1 missing: #2 7"), "{}", r.message);
    }
}
