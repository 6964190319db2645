//! The terminal: a progress bar while jobs run, a line per finished job (with the reasons for
//! anything but a pass), then a model × engine matrix and a summary line.
//!
//! Progress goes to stderr and the final table to stdout, so `crosscheck run > table.txt`
//! keeps the table and still shows progress. Without a terminal (CI logs), the bar is hidden
//! and each finished job is printed as a plain line instead, so progress is still visible.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::results::{CheckStatus, Status, Summary, TestResult};
use crate::runner::Event;

/// Shows a run's progress on stderr from the runner's events: a progress bar naming the running
/// jobs, a line per finished job, and the reasons and output of those that did not pass.
pub struct TerminalReporter {
    bar: ProgressBar,
    total: usize,
    done: usize,
    running: BTreeMap<usize, String>,
    verbose: bool,
    /// Inside GitHub Actions: simulator output folded and unable to issue workflow commands.
    github: bool,
    /// Print each kept working directory (`--keep-workdirs`).
    show_workdirs: bool,
}

impl TerminalReporter {
    /// Whether to print where each kept working directory is (on by default: a kept one is
    /// kept for the user to look into).
    pub fn show_workdirs(&mut self, show: bool) {
        self.show_workdirs = show;
    }

    /// A reporter for `total` jobs; `verbose` is `--verbose`, and `github` (inside GitHub
    /// Actions) folds simulator output so it cannot issue workflow commands.
    pub fn new(total: usize, verbose: bool, github: bool) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        TerminalReporter {
            show_workdirs: true,
            bar,
            total,
            done: 0,
            running: BTreeMap::new(),
            verbose,
            github,
        }
    }

    fn print(&self, text: &str) {
        if self.bar.is_hidden() {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{text}");
        } else {
            self.bar.println(text);
        }
    }

    /// Takes one event: a started job joins the bar's message; a finished one advances the bar
    /// and prints its line, its reasons and the output tail of an error or timeout.
    pub fn handle(&mut self, event: &Event) {
        match event {
            Event::JobStarted { index, id, engine } => {
                self.running.insert(*index, format!("{engine} {id}"));
            }
            Event::JobFinished { index, result } => {
                self.running.remove(index);
                self.done += 1;
                self.bar.inc(1);
                let width = self.total.to_string().len();
                let duration = if result.cached {
                    "cached".to_string()
                } else {
                    format!("{:.1}s", result.duration_s)
                };
                // Jobs holding several CPUs of the budget (MPI ranks) say so.
                let cpus = if result.cpus > 1 {
                    format!(" ({} CPUs)", result.cpus)
                } else {
                    String::new()
                };
                self.print(&format!(
                    "[{:>width$}/{}] {:<7} {:>7}  {:<16} {}{cpus}",
                    self.done,
                    self.total,
                    result.status.as_str().to_uppercase(),
                    duration,
                    result.engine,
                    result.id,
                ));
                if result.status != Status::Pass || self.verbose {
                    let details = details(result);
                    if !details.is_empty() {
                        self.print(&details);
                    }
                    if let Some(tail) = output_tail(result) {
                        if self.github {
                            let title = format!(
                                "output of {} on {} ({})",
                                result.id, result.engine, result.status
                            );
                            self.print(&super::github::fold_output(&title, tail));
                        } else {
                            self.print("    --- output (start and end) ---");
                            let quoted: Vec<String> =
                                tail.lines().map(|line| format!("    | {line}")).collect();
                            self.print(&quoted.join("\n"));
                        }
                    }
                }
                // With --keep-workdirs: where the generated code and outputs are, for every job.
                if let Some(dir) = result.workdir.as_ref().filter(|_| self.show_workdirs) {
                    self.print(&format!("    working directory kept at {}", dir.display()));
                }
            }
        }
        let message = self
            .running
            .values()
            .next()
            .map(|first| {
                if self.running.len() > 1 {
                    format!("{first} (+{} running)", self.running.len() - 1)
                } else {
                    first.clone()
                }
            })
            .unwrap_or_default();
        self.bar.set_message(message);
    }

    /// Clears the progress bar, once every job has finished.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The explanation printed under a job that did not pass.
pub fn details(result: &TestResult) -> String {
    let mut out = Vec::new();
    if let Some(message) = &result.message {
        out.push(format!("    {message}"));
    }
    for o in &result.observables {
        if o.status != CheckStatus::Pass {
            out.push(format!(
                "    {} / {} [{}:{}]: {}",
                o.experiment,
                o.observable,
                o.file.display(),
                o.line,
                o.message
            ));
            if let Some(tol) = o.min_passing_tolerance {
                out.push(format!(
                    "      tolerance {} would need to be at least {tol:.6e}",
                    o.tolerance
                ));
            }
        }
    }
    out.join("\n")
}

/// The simulator output shown under a job that errored or timed out.
pub fn output_tail(result: &TestResult) -> Option<&str> {
    match result.status {
        Status::Error | Status::Timeout => result.output_tail.as_deref(),
        _ => None,
    }
}

/// A model × engine matrix of statuses, then the summary line.
pub fn summary_table(results: &[TestResult], duration_s: f64) -> String {
    let engines: BTreeSet<&str> = results.iter().map(|r| r.engine.as_str()).collect();
    let mut rows: BTreeMap<&str, BTreeMap<&str, Vec<Status>>> = BTreeMap::new();
    for r in results {
        let model = if r.model.is_empty() {
            r.id.as_str()
        } else {
            r.model.as_str()
        };
        rows.entry(model)
            .or_default()
            .entry(r.engine.as_str())
            .or_default()
            .push(r.status);
    }
    let model_width = rows.keys().map(|m| m.len()).max().unwrap_or(5).clamp(5, 70);
    let widths: Vec<usize> = engines.iter().map(|e| e.len().max(7)).collect();
    let mut out = String::new();
    out.push_str(&format!("{:<model_width$}", "model"));
    for (engine, w) in engines.iter().zip(&widths) {
        out.push_str(&format!("  {engine:<w$}"));
    }
    out.push('\n');
    for (model, cells) in &rows {
        out.push_str(&format!(
            "{:<model_width$}",
            truncate_left(model, model_width)
        ));
        for (engine, w) in engines.iter().zip(&widths) {
            let cell = match cells.get(engine) {
                Some(statuses) => statuses
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                None => "-".to_string(),
            };
            out.push_str(&format!("  {cell:<w$}"));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&summary_line(&Summary::from_results(results), duration_s));
    out.push('\n');
    out
}

/// The counts by status and the run's duration on one line, e.g. `56 jobs: 56 passed, 0 failed,
/// 0 errors, 0 timed out, 0 skipped in 101.7 s`.
pub fn summary_line(s: &Summary, duration_s: f64) -> String {
    format!(
        "{} jobs: {} passed, {} failed, {} errors, {} timed out, {} skipped in {:.1} s",
        s.total, s.pass, s.fail, s.error, s.timeout, s.skip, duration_s
    )
}

fn truncate_left(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        text.to_string()
    } else {
        let skip = count - width + 1;
        format!("…{}", text.chars().skip(skip).collect::<String>())
    }
}

/// Per analytic check with a `convergence` rule: each engine's verdict, order and errors.
pub fn convergence_table(convergence: &[crate::results::Convergence]) -> String {
    let mut out = String::new();
    for entry in convergence {
        out.push_str(&format!(
            "\nconvergence: {} {} (order {})\n",
            entry.suite,
            entry.what,
            entry.band_text()
        ));
        let width = entry
            .engines
            .iter()
            .map(|e| e.engine.len())
            .max()
            .unwrap_or(4);
        for engine in &entry.engines {
            out.push_str(&format!(
                "  {:<width$}  {:<4}  {}\n",
                engine.engine,
                match engine.status {
                    crate::results::CheckStatus::Pass => "pass",
                    _ => "FAIL",
                },
                engine.message
            ));
        }
    }
    out
}

/// One matrix per suite run, then the reasons for each disagreement.
pub fn agreement_table(agreement: &[crate::results::Agreement]) -> String {
    let mut out = String::new();
    for entry in agreement {
        let width = entry
            .engines
            .iter()
            .map(|e| e.len())
            .max()
            .unwrap_or(4)
            .max(4);
        out.push_str(&format!("\nagreement: {}\n{:<width$}", entry.suite, ""));
        for engine in &entry.engines {
            out.push_str(&format!("  {engine:<width$}"));
        }
        out.push('\n');
        for (engine, row) in entry.engines.iter().zip(&entry.matrix) {
            out.push_str(&format!("{engine:<width$}"));
            for cell in row {
                out.push_str(&format!("  {cell:<width$}"));
            }
            out.push('\n');
        }
        for pair in &entry.pairs {
            for check in pair.checks.iter().filter(|c| !c.passed) {
                out.push_str(&format!(
                    "  {} vs {}: {}: {}\n",
                    pair.a, pair.b, check.what, check.message
                ));
            }
        }
    }
    out
}
