//! A session's output once every job is judged: the summary, agreement and convergence tables,
//! the history
//! (first, so the reports show its trends), GitHub annotations and job summary, then the JSON,
//! JUnit and HTML files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Outputs, Settings};
use crate::engine::Tools;
use crate::exit::error;
use crate::report::{self, terminal};
use crate::results::RunReport;
use crate::results::{Agreement, Convergence};
use crate::results::{Summary, TestResult};

/// When and how the session ran, for its report.
pub struct RunSummary {
    /// When it started.
    pub started_at: chrono::DateTime<chrono::Local>,
    /// Wall time, start to end of judging.
    pub duration_s: f64,
    /// `-j`.
    pub jobs: usize,
    /// Stopped by Ctrl-C or SIGTERM.
    pub interrupted: bool,
}

impl RunSummary {
    /// The run's report: these facts, the simulator versions, every result, the agreement and
    /// the convergence.
    pub fn into_report(
        self,
        tools: &Tools,
        results: Vec<TestResult>,
        (agreement, convergence): (Vec<Agreement>, Vec<Convergence>),
    ) -> RunReport {
        let mut versions: BTreeMap<String, String> = tools.state.versions.clone();
        if let Some(v) = tools.jnml_version() {
            versions.insert("jNeuroML".into(), v);
        }
        if let Some(p) = &tools.state.python {
            versions.insert("python".into(), p.clone());
        }
        RunReport {
            schema_version: RunReport::SCHEMA_VERSION,
            crosscheck_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: self.started_at.to_rfc3339(),
            duration_s: self.duration_s,
            jobs: self.jobs,
            hostname: nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok()),
            interrupted: self.interrupted,
            versions,
            summary: Summary::from_results(&results),
            tests: results,
            agreement,
            convergence,
            history: None,
        }
    }
}

/// The report as written, and whether any of it could not be.
pub struct Written {
    /// The report (with its history summary when `--history` was given).
    pub report: RunReport,
    /// The history, a report file or the GitHub job summary could not be written (each
    /// failure already printed).
    pub failed: bool,
}

/// Prints the tables, appends the history, writes GitHub's annotations and every report file.
pub fn output(settings: &Settings, mut report: RunReport) -> Written {
    print!(
        "\n{}",
        terminal::summary_table(&report.tests, report.duration_s)
    );
    print!("{}", terminal::agreement_table(&report.agreement));
    print!("{}", terminal::convergence_table(&report.convergence));
    let mut failed = false;
    if let Some(path) = &settings.history {
        failed |= !append_history(path, &settings.paths, &mut report);
    }
    if let Some(github) = report::github::GitHub::from_env() {
        print!("{}", github.annotations(&report));
        if let Err(e) = github.write_summary(&report) {
            error(format!(
                "could not append the job summary to $GITHUB_STEP_SUMMARY: {e}"
            ));
            failed = true;
        }
    }
    let written = write_reports(&report, &settings.outputs);
    failed |= written.failed || written.html_failed;
    Written { report, failed }
}

/// Appends the run to the history at `path` and prints what it says; false (printed) when the
/// history cannot be read or written.
fn append_history(path: &std::path::Path, paths: &[PathBuf], report: &mut RunReport) -> bool {
    // The commit of the repository holding the first path given.
    let dir = paths
        .first()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                p.parent().map(PathBuf::from).unwrap_or_default()
            }
        })
        .unwrap_or_else(|| PathBuf::from("."));
    let commit = crate::history::git_commit(&dir);
    let new_rows = crate::history::rows(report, commit.as_deref());
    match crate::history::append(path, &new_rows) {
        Ok(all) => {
            print!("{}", history_notes(&all));
            report.history = Some(crate::history::summarize(&all, 10));
            true
        }
        Err(e) => {
            error(e);
            false
        }
    }
}

/// Which report files could not be written (each failure already printed).
pub struct ReportsWritten {
    /// The JSON or JUnit file.
    pub failed: bool,
    /// The HTML report.
    pub html_failed: bool,
}

/// Writes the requested JSON, JUnit and HTML reports of `report`, going on past a failure so
/// one unwritable file does not cost the others.
pub fn write_reports(report: &RunReport, outputs: &Outputs) -> ReportsWritten {
    let mut written = ReportsWritten {
        failed: false,
        html_failed: false,
    };
    if let Some(path) = &outputs.json {
        if let Err(e) = report::json::write(path, report) {
            error(format!("could not write {}: {e}", path.display()));
            written.failed = true;
        }
    }
    if let Some(path) = &outputs.junit {
        if let Err(e) = report::junit::write(path, report) {
            error(format!("could not write {}: {e}", path.display()));
            written.failed = true;
        }
    }
    if let Some(dir) = &outputs.html {
        match report::html::write(dir, report) {
            Ok(index) => println!("report: {}", report::html::display_path(&index)),
            Err(e) => {
                error(format!("could not write the HTML report: {e}"));
                written.html_failed = true;
            }
        }
    }
    written
}

/// What the history says about the latest run, for the terminal.
fn history_notes(rows: &[crate::history::Row]) -> String {
    use std::fmt::Write as _;
    let runs = crate::history::runs(rows).len();
    let mut out = format!("\nhistory: {runs} run(s) recorded\n");
    let new = crate::history::new_failures(rows);
    if !new.is_empty() {
        let _ = writeln!(out, "new failures since the previous run:");
        for r in &new {
            let _ = writeln!(out, "  {} on {}: {}", r.test, r.engine, r.status);
        }
    }
    for slow in crate::history::duration_regressions(rows, 10, 1.5, 5.0) {
        let _ = writeln!(
            out,
            "slower than usual: {} on {}: {:.1} s (usually {:.1} s)",
            slow.row.test, slow.row.engine, slow.row.duration_s, slow.usual_s
        );
    }
    out
}
