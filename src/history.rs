//! The run history (`--history FILE`): one row per test per run, appended to a Parquet file
//! read and written with polars, for nightly runs to show trends: each test's status over the
//! last runs, the failures that are new since the previous run, and duration regressions.
//!
//! Appending rewrites the file (Parquet has no append): read, add the new rows, write a
//! temporary file beside it and rename it into place, under an exclusive lock on
//! `FILE.lock`, so two runs appending at once each keep their rows and a reader never sees a
//! half-written file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::results::{CheckStatus, HistorySummary, RunReport, Slowdown, Status, TestTrend};

/// Why the history could not be read or appended to.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The history, its folder or its lock file could not be read, created or written.
    #[error("history {path}: {message}")]
    Io {
        /// The history file.
        path: PathBuf,
        /// The underlying error.
        message: String,
    },
    /// The file is not Parquet with the history's columns (it is left untouched).
    #[error("history {path} is not a crosscheck history (Parquet with its columns): {message}")]
    Format {
        /// The history file.
        path: PathBuf,
        /// What polars reported.
        message: String,
    },
}

/// One test of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// When the run started, RFC 3339 in UTC (so runs sort as text).
    pub run: String,
    /// The commit checked out in the repository of the first path given, if it is in git.
    pub git_commit: Option<String>,
    /// Version of crosscheck that ran the test.
    pub crosscheck_version: String,
    /// Host name of the machine that ran it, when known.
    pub host: Option<String>,
    /// The test's id (its file relative to the path it was discovered under).
    pub test: String,
    /// What it runs: its target files, or a suite run's label (`suite[point]`, ...).
    pub model: String,
    /// The engine it ran on, as in the JSON results.
    pub engine: String,
    /// Exact version of the engine, when known.
    pub engine_version: Option<String>,
    /// The job's status as text: `pass`, `fail`, `error`, `timeout` or `skip`.
    pub status: String,
    /// Wall time of the job, in seconds (NaN when the file holds none).
    pub duration_s: f64,
    /// The pass came from the result cache: the job did not run, so its duration is no
    /// measure of this run and regressions leave it out.
    pub cached: bool,
    /// Observables that did not pass.
    pub failed_checks: u32,
    /// The one-line reason for anything but a pass.
    pub message: Option<String>,
}

impl Row {
    /// The test as the history follows it across runs.
    pub fn key(&self) -> (String, String, String) {
        (self.test.clone(), self.model.clone(), self.engine.clone())
    }

    fn failed(&self) -> bool {
        matches!(self.status.as_str(), "fail" | "error" | "timeout")
    }
}

/// The rows a finished run adds.
pub fn rows(report: &RunReport, git_commit: Option<&str>) -> Vec<Row> {
    let run = chrono::DateTime::parse_from_rfc3339(&report.started_at)
        .map(|t| t.with_timezone(&chrono::Utc).to_rfc3339())
        .unwrap_or_else(|_| report.started_at.clone());
    report
        .tests
        .iter()
        .map(|t| Row {
            run: run.clone(),
            git_commit: git_commit.map(str::to_string),
            crosscheck_version: report.crosscheck_version.clone(),
            host: report.hostname.clone(),
            test: t.id.clone(),
            model: t.model.clone(),
            engine: t.engine.clone(),
            engine_version: t.engine_version.clone(),
            status: t.status.as_str().to_string(),
            duration_s: t.duration_s,
            cached: t.cached,
            failed_checks: t
                .observables
                .iter()
                .filter(|o| o.status != CheckStatus::Pass)
                .count() as u32,
            message: t.message.clone(),
        })
        .collect()
}

/// The commit checked out at `dir`, when it is in a git repository.
pub fn git_commit(dir: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let commit = text.trim();
    (output.status.success() && !commit.is_empty()).then(|| commit.to_string())
}

fn frame(rows: &[Row]) -> PolarsResult<DataFrame> {
    let text = |f: fn(&Row) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let optional = |f: fn(&Row) -> Option<&str>| rows.iter().map(f).collect::<Vec<Option<&str>>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("run".into(), text(|r| &r.run)),
            Column::new("git_commit".into(), optional(|r| r.git_commit.as_deref())),
            Column::new("crosscheck_version".into(), text(|r| &r.crosscheck_version)),
            Column::new("host".into(), optional(|r| r.host.as_deref())),
            Column::new("test".into(), text(|r| &r.test)),
            Column::new("model".into(), text(|r| &r.model)),
            Column::new("engine".into(), text(|r| &r.engine)),
            Column::new(
                "engine_version".into(),
                optional(|r| r.engine_version.as_deref()),
            ),
            Column::new("status".into(), text(|r| &r.status)),
            Column::new(
                "duration_s".into(),
                rows.iter().map(|r| r.duration_s).collect::<Vec<f64>>(),
            ),
            Column::new(
                "cached".into(),
                rows.iter().map(|r| r.cached).collect::<Vec<bool>>(),
            ),
            Column::new(
                "failed_checks".into(),
                rows.iter().map(|r| r.failed_checks).collect::<Vec<u32>>(),
            ),
            Column::new("message".into(), optional(|r| r.message.as_deref())),
        ],
    )
}

fn unframe(df: &DataFrame) -> PolarsResult<Vec<Row>> {
    let text = |name: &str| -> PolarsResult<Vec<Option<String>>> {
        Ok(df
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let run = text("run")?;
    let git_commit = text("git_commit")?;
    let version = text("crosscheck_version")?;
    let host = text("host")?;
    let test = text("test")?;
    let model = text("model")?;
    let engine = text("engine")?;
    let engine_version = text("engine_version")?;
    let status = text("status")?;
    let message = text("message")?;
    let duration: Vec<Option<f64>> = df.column("duration_s")?.f64()?.iter().collect();
    let cached: Vec<Option<bool>> = df.column("cached")?.bool()?.iter().collect();
    let failed: Vec<Option<u32>> = df.column("failed_checks")?.u32()?.iter().collect();
    Ok((0..df.height())
        .map(|i| Row {
            run: run[i].clone().unwrap_or_default(),
            git_commit: git_commit[i].clone(),
            crosscheck_version: version[i].clone().unwrap_or_default(),
            host: host[i].clone(),
            test: test[i].clone().unwrap_or_default(),
            model: model[i].clone().unwrap_or_default(),
            engine: engine[i].clone().unwrap_or_default(),
            engine_version: engine_version[i].clone(),
            status: status[i].clone().unwrap_or_default(),
            duration_s: duration[i].unwrap_or(f64::NAN),
            cached: cached[i].unwrap_or(false),
            failed_checks: failed[i].unwrap_or(0),
            message: message[i].clone(),
        })
        .collect())
}

/// Every row of the history at `path` (none when the file does not exist yet).
pub fn read(path: &Path) -> Result<Vec<Row>, HistoryError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let format = |message: String| HistoryError::Format {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| HistoryError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| format(e.to_string()))?;
    unframe(&df).map_err(|e| format(e.to_string()))
}

/// Appends `new` to the history at `path` (created if missing). Returns every row.
pub fn append(path: &Path, new: &[Row]) -> Result<Vec<Row>, HistoryError> {
    let io = |e: std::io::Error| HistoryError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut lock_name = path.as_os_str().to_owned();
    lock_name.push(".lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(PathBuf::from(lock_name))
        .map_err(io)?;
    lock.lock().map_err(io)?;
    let mut rows = read(path)?;
    rows.extend_from_slice(new);
    let mut df = frame(&rows).map_err(|e| HistoryError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .finish(&mut df)
        .map_err(|e| HistoryError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    crate::fsutil::write_atomic(path, &bytes).map_err(io)?;
    drop(lock);
    Ok(rows)
}

/// The runs in the history, oldest first.
pub fn runs(rows: &[Row]) -> Vec<String> {
    let mut runs: Vec<String> = rows.iter().map(|r| r.run.clone()).collect();
    runs.sort();
    runs.dedup();
    runs
}

/// Each test's status in each of the last `n` runs (oldest first; `None` where it did not run),
/// with those runs.
#[allow(clippy::type_complexity)]
pub fn recent_statuses(
    rows: &[Row],
    n: usize,
) -> (
    Vec<String>,
    BTreeMap<(String, String, String), Vec<Option<String>>>,
) {
    let all = runs(rows);
    let recent: Vec<String> = all[all.len().saturating_sub(n)..].to_vec();
    let mut table: BTreeMap<(String, String, String), Vec<Option<String>>> = BTreeMap::new();
    for row in rows {
        if let Some(i) = recent.iter().position(|r| *r == row.run) {
            table
                .entry(row.key())
                .or_insert_with(|| vec![None; recent.len()])[i] = Some(row.status.clone());
        }
    }
    (recent, table)
}

/// Tests failing in the latest run that passed in the run before it.
pub fn new_failures(rows: &[Row]) -> Vec<Row> {
    let all = runs(rows);
    let [.., previous, latest] = all.as_slice() else {
        return Vec::new();
    };
    let passed_before: std::collections::BTreeSet<_> = rows
        .iter()
        .filter(|r| &r.run == previous && r.status == Status::Pass.as_str())
        .map(Row::key)
        .collect();
    rows.iter()
        .filter(|r| &r.run == latest && r.failed() && passed_before.contains(&r.key()))
        .cloned()
        .collect()
}

/// A test that took much longer in the latest run than it used to.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// The test's row in the latest run.
    pub row: Row,
    /// Median duration over the earlier runs considered.
    pub usual_s: f64,
}

/// Tests whose latest duration exceeds `factor` × their median over up to `window` earlier
/// runs, by at least `min_increase_s` (short jobs jitter). Cached results do not count: they
/// did not run.
pub fn duration_regressions(
    rows: &[Row],
    window: usize,
    factor: f64,
    min_increase_s: f64,
) -> Vec<Regression> {
    let all = runs(rows);
    let Some((latest, earlier)) = all.split_last() else {
        return Vec::new();
    };
    let earlier = &earlier[earlier.len().saturating_sub(window)..];
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| &r.run == latest && !r.cached) {
        let mut past: Vec<f64> = rows
            .iter()
            .filter(|r| {
                earlier.contains(&r.run)
                    && !r.cached
                    && r.key() == row.key()
                    && r.duration_s.is_finite()
            })
            .map(|r| r.duration_s)
            .collect();
        if past.is_empty() {
            continue;
        }
        past.sort_by(f64::total_cmp);
        let usual = past[past.len() / 2];
        if row.duration_s > usual * factor && row.duration_s - usual >= min_increase_s {
            out.push(Regression {
                row: row.clone(),
                usual_s: usual,
            });
        }
    }
    out
}

/// The summary of `rows` over the last `n` runs, with the thresholds of the terminal notes.
pub fn summarize(rows: &[Row], n: usize) -> HistorySummary {
    let (runs, table) = recent_statuses(rows, n);
    let latest = runs.last().cloned();
    let statuses_of = |key: &(String, String, String)| {
        table
            .get(key)
            .cloned()
            .unwrap_or_else(|| vec![None; runs.len()])
    };
    let tests = table
        .iter()
        // Tests of the latest run, so a removed test does not linger.
        .filter(|(_, statuses)| latest.is_some() && statuses.last().is_some_and(Option::is_some))
        .map(|((test, model, engine), statuses)| TestTrend {
            test: test.clone(),
            model: model.clone(),
            engine: engine.clone(),
            statuses: statuses.clone(),
        })
        .collect();
    let new_failures = new_failures(rows)
        .into_iter()
        .map(|r| TestTrend {
            statuses: statuses_of(&r.key()),
            test: r.test,
            model: r.model,
            engine: r.engine,
        })
        .collect();
    let slower = duration_regressions(rows, 10, 1.5, 5.0)
        .into_iter()
        .map(|s| Slowdown {
            test: s.row.test,
            model: s.row.model,
            engine: s.row.engine,
            duration_s: s.row.duration_s,
            usual_s: s.usual_s,
        })
        .collect();
    HistorySummary {
        total_runs: self::runs(rows).len(),
        runs,
        tests,
        new_failures,
        slower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(run: &str, test: &str, status: &str, duration: f64) -> Row {
        Row {
            run: run.into(),
            git_commit: Some("abc".into()),
            crosscheck_version: "0.1.0".into(),
            host: None,
            test: test.into(),
            model: "m".into(),
            engine: "NEST".into(),
            engine_version: Some("NEST 3.10.0".into()),
            status: status.into(),
            duration_s: duration,
            cached: false,
            failed_checks: u32::from(status != "pass"),
            message: (status != "pass").then(|| "why".into()),
        }
    }

    #[test]
    fn appends_round_trip_through_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history.parquet");
        let first = vec![row("2026-01-01T00:00:00+00:00", "a", "pass", 1.0)];
        assert_eq!(append(&path, &first).unwrap(), first);
        let mut second = vec![row("2026-01-02T00:00:00+00:00", "a", "fail", 1.5)];
        second[0].host = Some("node1".into());
        second[0].cached = true;
        let all = append(&path, &second).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(read(&path).unwrap(), [first, second].concat());
        // No temporary file left behind.
        let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    }

    #[test]
    fn a_file_that_is_not_a_history_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.parquet");
        std::fs::write(&path, "not parquet").unwrap();
        let err = append(&path, &[row("r", "a", "pass", 1.0)]).unwrap_err();
        assert!(
            err.to_string().contains("not a crosscheck history"),
            "{err}"
        );
        // Untouched.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not parquet");
    }

    #[test]
    fn trends_new_failures_and_regressions() {
        let rows = vec![
            row("2026-01-01T00:00:00+00:00", "a", "pass", 10.0),
            row("2026-01-01T00:00:00+00:00", "b", "pass", 2.0),
            row("2026-01-02T00:00:00+00:00", "a", "pass", 11.0),
            row("2026-01-02T00:00:00+00:00", "b", "fail", 2.0),
            row("2026-01-03T00:00:00+00:00", "a", "fail", 30.0),
            row("2026-01-03T00:00:00+00:00", "b", "fail", 2.1),
            row("2026-01-03T00:00:00+00:00", "c", "pass", 1.0),
        ];
        let (runs, table) = recent_statuses(&rows, 2);
        assert_eq!(runs.len(), 2);
        let key = |t: &str| (t.to_string(), "m".to_string(), "NEST".to_string());
        assert_eq!(
            table[&key("a")],
            vec![Some("pass".to_string()), Some("fail".to_string())]
        );
        assert_eq!(table[&key("c")], vec![None, Some("pass".to_string())]);
        // `a` is new (passed the day before); `b` already failed.
        let new: Vec<String> = new_failures(&rows).into_iter().map(|r| r.test).collect();
        assert_eq!(new, vec!["a"]);
        let summary = summarize(&rows, 2);
        assert_eq!(summary.total_runs, 3);
        assert_eq!(summary.runs.len(), 2);
        assert_eq!(summary.tests.len(), 3);
        assert_eq!(summary.new_failures.len(), 1);
        assert_eq!(
            summary.new_failures[0].statuses,
            vec![Some("pass".to_string()), Some("fail".to_string())]
        );
        // `a` took 30 s against a usual 10–11 s; `b` jittered by 0.1 s.
        let slow = duration_regressions(&rows, 5, 1.5, 1.0);
        assert_eq!(slow.len(), 1);
        assert_eq!(slow[0].row.test, "a");
        assert!((slow[0].usual_s - 11.0).abs() < 1e-9);
    }
}
