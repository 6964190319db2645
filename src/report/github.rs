//! GitHub Actions: annotations on the failing lines, folded simulator output that cannot inject
//! workflow commands, and a Markdown job summary.
//!
//! Active when `GITHUB_ACTIONS=true` (set by the runner on every step). Workflow commands are
//! plain lines on stdout (`::error file=…,line=…,title=…::message`); GitHub shows at most 10
//! error annotations per step, so the worst failures are annotated and one more annotation
//! counts the rest. Anything a simulator printed goes inside `::stop-commands::<token>` …
//! `::<token>::` with a token nobody can guess, so a model's output (or a stranger's pull
//! request) cannot fake annotations, mask secrets or set outputs.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::results::RunReport;
use crate::results::{CheckStatus, Status, TestResult};

/// GitHub's limit of error annotations per step.
pub const MAX_ERROR_ANNOTATIONS: usize = 10;
/// GitHub's limit for a step summary is 1 MiB; stay clearly under it.
pub const MAX_SUMMARY_BYTES: usize = 1000 * 1000;

/// Where a run reports to GitHub, read from the environment the runner sets.
#[derive(Debug, Clone)]
pub struct GitHub {
    /// `$GITHUB_WORKSPACE`: annotations name files relative to it.
    pub workspace: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY`: the file the Markdown summary is appended to.
    pub step_summary: Option<PathBuf>,
}

impl GitHub {
    /// `Some` inside a GitHub Actions step.
    pub fn from_env() -> Option<GitHub> {
        if std::env::var("GITHUB_ACTIONS").ok().as_deref() != Some("true") {
            return None;
        }
        let path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Some(GitHub {
            workspace: path("GITHUB_WORKSPACE"),
            step_summary: path("GITHUB_STEP_SUMMARY"),
        })
    }

    /// A file as GitHub wants it in an annotation: relative to the workspace.
    fn annotation_path(&self, file: &Path) -> String {
        let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let base = self
            .workspace
            .clone()
            .or_else(|| std::env::current_dir().ok());
        let shown = base
            .as_deref()
            .and_then(|b| absolute.strip_prefix(b).ok())
            .unwrap_or(file);
        shown.display().to_string()
    }

    /// The annotations for a finished run, worst first, within GitHub's per-step limit.
    pub fn annotations(&self, report: &RunReport) -> String {
        let mut failures = failures(report);
        failures.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.file.cmp(&b.file))
                .then(a.line.cmp(&b.line))
        });
        let shown = if failures.len() > MAX_ERROR_ANNOTATIONS {
            MAX_ERROR_ANNOTATIONS - 1
        } else {
            failures.len()
        };
        let mut out = String::new();
        for f in &failures[..shown] {
            let _ = writeln!(
                out,
                "::error file={},line={},title={}::{}",
                escape_property(&self.annotation_path(&f.file)),
                f.line.max(1),
                escape_property(&f.title),
                escape_data(&f.message)
            );
        }
        let rest = failures.len() - shown;
        if rest > 0 {
            let _ = writeln!(
                out,
                "::error title={}::{}",
                escape_property("crosscheck"),
                escape_data(&format!(
                    "{rest} more failure(s) not annotated (GitHub shows {MAX_ERROR_ANNOTATIONS} per step); see the job summary or the reports"
                ))
            );
        }
        out
    }

    /// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY`, if set.
    pub fn write_summary(&self, report: &RunReport) -> std::io::Result<()> {
        let Some(path) = &self.step_summary else {
            return Ok(());
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        file.write_all(step_summary(report).as_bytes())
    }
}

/// One annotation-worthy failure.
#[derive(Debug, Clone)]
struct Failure {
    /// Higher is worse: timeouts, then errors, then failed checks.
    severity: u8,
    file: PathBuf,
    line: usize,
    title: String,
    message: String,
}

fn severity(status: Status) -> u8 {
    match status {
        Status::Timeout => 3,
        Status::Error => 2,
        Status::Fail => 1,
        Status::Pass | Status::Skip => 0,
    }
}

/// Every failing expectation (at its own line), or the test itself when nothing more precise
/// failed (a crash, a timeout).
fn failures(report: &RunReport) -> Vec<Failure> {
    let mut out = Vec::new();
    for test in report.tests.iter().filter(|t| t.status.is_failure()) {
        let title = |what: &str| format!("{} on {}: {what}", test.model, test.engine);
        let failing: Vec<_> = test
            .observables
            .iter()
            .filter(|o| o.status != CheckStatus::Pass)
            .collect();
        if failing.is_empty() || matches!(test.status, Status::Error | Status::Timeout) {
            out.push(Failure {
                severity: severity(test.status),
                file: test.file.clone(),
                line: test.line,
                title: title(test.status.as_str()),
                message: test
                    .message
                    .clone()
                    .unwrap_or_else(|| test.status.as_str().to_string()),
            });
        }
        for o in failing {
            out.push(Failure {
                severity: severity(test.status),
                file: o.file.clone(),
                line: o.line,
                title: title(&format!("{} / {}", o.experiment, o.observable)),
                message: o.message.clone(),
            });
        }
    }
    // An engine whose error does not converge at the suite's order fails the run without any
    // job failing: it is annotated at the suite's `convergence` rule.
    for c in &report.convergence {
        for e in c.engines.iter().filter(|e| e.status != CheckStatus::Pass) {
            out.push(Failure {
                severity: severity(Status::Fail),
                file: c.file.clone(),
                line: c.line,
                title: format!("{} on {}: convergence of {}", c.suite, e.engine, c.what),
                message: e.message.clone(),
            });
        }
    }
    out
}

/// Escapes a workflow command's message (`%`, CR, LF).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`, which end properties).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A token for `::stop-commands::` that does not occur in `text`: random (the standard
/// library's per-process hash keys, mixed with the time), so output cannot predict it.
fn stop_token(text: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    loop {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.write_u32(std::process::id());
        let token = format!("crosscheck-{:016x}", hasher.finish());
        if !text.contains(&token) {
            return token;
        }
    }
}

/// Folds a simulator's output under `title` and stops workflow commands inside it.
pub fn fold_output(title: &str, output: &str) -> String {
    let token = stop_token(output);
    let mut out = String::new();
    // The title is crosscheck's own text but may name a model: no newline may end the line.
    let _ = writeln!(out, "::group::{}", escape_data(title));
    let _ = writeln!(out, "::stop-commands::{token}");
    out.push_str(output);
    if !output.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "::{token}::");
    out.push_str("::endgroup::");
    out
}

/// Text for a Markdown table cell or list item: no markup, no line breaks.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '`' => out.push('\''),
            '*' | '_' | '[' | ']' | '#' | '\\' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn status_cell(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅ pass",
        Status::Fail => "❌ fail",
        Status::Error => "💥 error",
        Status::Timeout => "⏱ timeout",
        Status::Skip => "⏭ skip",
    }
}

/// The job summary: counts, the model × engine matrix and the failures, under GitHub's size
/// limit (the failure list is cut first, with a note saying how many were left out).
pub fn step_summary(report: &RunReport) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## crosscheck: {}\n",
        if s.all_passed() { "passed" } else { "failed" }
    );
    let _ = writeln!(
        out,
        "{} tests: {} passed, {} failed, {} errors, {} timed out, {} skipped in {:.1} s{}\n",
        s.total,
        s.pass,
        s.fail,
        s.error,
        s.timeout,
        s.skip,
        report.duration_s,
        if report.interrupted {
            " (interrupted: partial results)"
        } else {
            ""
        }
    );
    let mut matrix = matrix(&report.tests);
    if matrix.len() > MAX_SUMMARY_BYTES / 2 {
        matrix = format!(
            "(the model × engine matrix of {} tests is too large for a job summary; see the HTML or JSON report)\n",
            report.tests.len()
        );
    }
    let mut failures = String::new();
    let failing: Vec<&TestResult> = report
        .tests
        .iter()
        .filter(|t| t.status.is_failure())
        .collect();
    let budget = MAX_SUMMARY_BYTES.saturating_sub(out.len() + matrix.len() + 200);
    let mut listed = 0;
    for test in &failing {
        let mut item = format!(
            "- **{}** on {}: {}",
            md(&test.model),
            md(&test.engine),
            md(test.message.as_deref().unwrap_or(test.status.as_str()))
        );
        for o in test
            .observables
            .iter()
            .filter(|o| o.status != CheckStatus::Pass)
        {
            let _ = write!(
                item,
                "\n  - {} / {} ({}:{}): {}",
                md(&o.experiment),
                md(&o.observable),
                md(&o.file.display().to_string()),
                o.line,
                md(&o.message)
            );
        }
        item.push('\n');
        if failures.len() + item.len() > budget {
            break;
        }
        failures.push_str(&item);
        listed += 1;
    }
    out.push_str(&matrix);
    if !failing.is_empty() {
        out.push_str("\n### Failures\n\n");
        out.push_str(&failures);
        if listed < failing.len() {
            let _ = writeln!(
                out,
                "\n…and {} more (the summary is limited to 1 MiB; see the JSON or HTML report).",
                failing.len() - listed
            );
        }
    }
    out.push('\n');
    out
}

fn matrix(tests: &[TestResult]) -> String {
    let mut engines: Vec<&str> = tests.iter().map(|t| t.engine.as_str()).collect();
    engines.sort_unstable();
    engines.dedup();
    let mut models: Vec<&str> = tests.iter().map(|t| t.model.as_str()).collect();
    models.sort_unstable();
    models.dedup();
    let mut out = String::from("| model |");
    for e in &engines {
        let _ = write!(out, " {} |", md(e));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(engines.len()));
    out.push('\n');
    for m in &models {
        let _ = write!(out, "| {} |", md(m));
        for e in &engines {
            let worst = tests
                .iter()
                .filter(|t| t.model == *m && t.engine == *e)
                .map(|t| t.status)
                .max();
            let _ = write!(out, " {} |", worst.map_or("", status_cell));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{ObservableResult, Summary};
    use std::collections::BTreeMap;

    fn test_result(model: &str, status: Status, failing_lines: &[usize]) -> TestResult {
        TestResult {
            model: model.to_string(),
            file: PathBuf::from("/ws/models/test.omt"),
            line: 3,
            duration_s: 1.0,
            message: Some(format!("{status} because")),
            observables: failing_lines
                .iter()
                .map(|&line| ObservableResult {
                    experiment: "step".into(),
                    observable: "spike times".into(),
                    status: CheckStatus::Fail,
                    tolerance: 0.01,
                    expected: None,
                    observed: None,
                    message: format!("spike #1 off by 2 ms (line {line})"),
                    min_passing_tolerance: None,
                    file: PathBuf::from("/ws/models/test.omt"),
                    line,
                })
                .collect(),
            ..TestResult::new(format!("{model}.omt"), "NEURON", status)
        }
    }

    fn report(tests: Vec<TestResult>) -> RunReport {
        RunReport {
            schema_version: RunReport::SCHEMA_VERSION,
            crosscheck_version: "0".into(),
            started_at: "now".into(),
            duration_s: 2.0,
            jobs: 1,
            hostname: None,
            interrupted: false,
            versions: BTreeMap::new(),
            summary: Summary::from_results(&tests),
            tests,
            agreement: vec![],
            convergence: vec![],
            history: None,
        }
    }

    fn github() -> GitHub {
        GitHub {
            workspace: Some(PathBuf::from("/ws")),
            step_summary: None,
        }
    }

    #[test]
    fn failures_are_annotated_at_their_line_relative_to_the_workspace() {
        let r = report(vec![
            test_result("a", Status::Fail, &[7, 9]),
            test_result("b", Status::Pass, &[]),
        ]);
        let text = github().annotations(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("::error file=models/test.omt,line=7,title=a on NEURON%3A step / spike times::spike #1 off by 2 ms"),
            "{text}"
        );
        assert!(lines[1].contains("line=9"), "{text}");
    }

    #[test]
    fn a_convergence_failure_is_annotated_at_its_rule() {
        use crate::results::{Convergence, ConvergencePoint, EngineConvergence};
        let mut r = report(vec![test_result("rc", Status::Pass, &[])]);
        let engine = |name: &str, status| EngineConvergence {
            engine: name.into(),
            status,
            points: vec![ConvergencePoint {
                dt_ms: 0.1,
                error: Some(4e-3),
            }],
            order: Some(1.0),
            r_squared: Some(1.0),
            exact: false,
            message: "order 1.000, outside 1.9–2.1: 4.000e-3 at dt 0.1 ms".into(),
        };
        r.convergence = vec![Convergence {
            suite: "rc_step_dt".into(),
            file: PathBuf::from("/ws/suites/rc.crosscheck.yaml"),
            line: 43,
            what: "cell cell 0: analytic v rms_relative".into(),
            order_band: [1.9, 2.1],
            exact_below: 1e-8,
            engines: vec![
                engine("NEURON", CheckStatus::Pass),
                engine("NEST", CheckStatus::Fail),
            ],
        }];
        let text = github().annotations(&r);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.starts_with("::error file=suites/rc.crosscheck.yaml,line=43,title=rc_step_dt on NEST%3A convergence of cell cell 0%3A analytic v rms_relative::order 1.000, outside 1.9–2.1: 4.000e-3 at dt 0.1 ms"),
            "{text}"
        );
    }

    #[test]
    fn the_worst_come_first_within_githubs_limit() {
        let mut tests: Vec<TestResult> = (0..12)
            .map(|i| test_result(&format!("f{i}"), Status::Fail, &[10 + i]))
            .collect();
        let mut crash = test_result("crash", Status::Error, &[]);
        crash.line = 2;
        tests.push(crash);
        tests.push(test_result("slow", Status::Timeout, &[]));
        let text = github().annotations(&report(tests));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), MAX_ERROR_ANNOTATIONS, "{text}");
        assert!(
            lines[0].contains("title=slow on NEURON%3A timeout"),
            "{text}"
        );
        assert!(
            lines[1].contains("title=crash on NEURON%3A error"),
            "{text}"
        );
        assert!(
            lines[9].contains("5 more failure(s) not annotated"),
            "14 failures, 9 shown: {text}"
        );
    }

    #[test]
    fn annotation_text_cannot_break_out_of_its_command() {
        let mut t = test_result("m,x:y", Status::Fail, &[1]);
        t.observables[0].message = "50% off\n::error::forged".into();
        let text = github().annotations(&report(vec![t]));
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("title=m%2Cx%3Ay on NEURON"), "{text}");
        assert!(text.contains("50%25 off%0A::error::forged"), "{text}");
    }

    #[test]
    fn simulator_output_is_folded_and_cannot_issue_commands() {
        let hostile = "::error file=x,line=1::forged\n::endgroup::\n::add-mask::secret\n";
        let folded = fold_output("NEURON\nx", hostile);
        let lines: Vec<&str> = folded.lines().collect();
        assert_eq!(lines[0], "::group::NEURON%0Ax");
        let token = lines[1]
            .strip_prefix("::stop-commands::")
            .expect("stop-commands");
        assert!(token.len() >= 16 && !hostile.contains(token));
        // The hostile lines sit between stop-commands and its resume line.
        let resume = lines
            .iter()
            .position(|l| *l == format!("::{token}::"))
            .unwrap();
        assert_eq!(
            &lines[2..resume],
            hostile.lines().collect::<Vec<_>>().as_slice()
        );
        assert_eq!(lines.last(), Some(&"::endgroup::"));
        // Tokens differ between calls: output cannot learn one.
        let again = fold_output("t", "x");
        assert_ne!(again.lines().nth(1), Some(lines[1]));
    }

    #[test]
    fn the_summary_has_the_matrix_and_the_failures_without_markup() {
        let mut bad = test_result("<script>alert(1)</script>", Status::Fail, &[4]);
        bad.engine = "NEST".into();
        let r = report(vec![bad, test_result("ok", Status::Pass, &[])]);
        let md = step_summary(&r);
        assert!(md.contains("## crosscheck: failed"), "{md}");
        assert!(md.contains("| model | NEST | NEURON |"), "{md}");
        assert!(md.contains("❌ fail"), "{md}");
        assert!(md.contains("(/ws/models/test.omt:4)"), "{md}");
        assert!(!md.contains("<script>"), "{md}");
        assert!(md.contains("&lt;script&gt;"), "{md}");
    }

    #[test]
    fn the_summary_stays_under_githubs_limit() {
        let mut tests = Vec::new();
        for i in 0..4000 {
            let mut t = test_result(&format!("model{i}"), Status::Fail, &[1, 2, 3]);
            for o in &mut t.observables {
                o.message = "x".repeat(300);
            }
            tests.push(t);
        }
        let md = step_summary(&report(tests));
        assert!(md.len() <= MAX_SUMMARY_BYTES + 1000, "{}", md.len());
        assert!(
            md.contains("more (the summary is limited to 1 MiB"),
            "cut with a note"
        );
    }
}
