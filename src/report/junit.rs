//! JUnit XML (`--junit`), one test suite per engine, and one (`convergence`) for the orders of
//! accuracy fitted across time-step sweeps, which fail a run without any job failing.
//!
//! Each test case carries `file` and `line` attributes pointing at the test file, which is what
//! GitHub's JUnit annotation actions (and most CI systems) use to place failures on the file.
//! The reasons go into the failure's text, the simulator's output into `system-out`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite, XmlString};

use crate::results::RunReport;
use crate::results::{CheckStatus, Convergence, EngineConvergence, Status, TestResult};

/// The JUnit XML of `report`: a `<testsuite>` per engine, a `<testcase>` per job.
pub fn render(report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    let mut junit = Report::new("crosscheck");
    junit.set_time(seconds(report.duration_s));
    let mut by_engine: BTreeMap<&str, Vec<&TestResult>> = BTreeMap::new();
    for test in &report.tests {
        by_engine
            .entry(test.engine.as_str())
            .or_default()
            .push(test);
    }
    for (engine, tests) in by_engine {
        let mut suite = TestSuite::new(engine);
        for test in tests {
            suite.add_test_case(test_case(test));
        }
        junit.add_test_suite(suite);
    }
    if !report.convergence.is_empty() {
        let mut suite = TestSuite::new("convergence");
        for entry in &report.convergence {
            for engine in &entry.engines {
                suite.add_test_case(convergence_case(entry, engine));
            }
        }
        junit.add_test_suite(suite);
    }
    junit.to_string()
}

/// One engine's order of accuracy on one analytic check, at the check's `convergence` rule.
fn convergence_case(entry: &Convergence, engine: &EngineConvergence) -> TestCase {
    let status = if engine.status == CheckStatus::Pass {
        TestCaseStatus::success()
    } else {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_type("fail");
        s.set_message(engine.message.as_str());
        s
    };
    let mut case = TestCase::new(format!("{}: {}", entry.suite, entry.what), status);
    case.set_classname(engine.engine.as_str());
    case.extra.insert(
        XmlString::new("file"),
        XmlString::new(relative_to_cwd(&entry.file)),
    );
    case.extra.insert(
        XmlString::new("line"),
        XmlString::new(entry.line.to_string()),
    );
    case
}

fn test_case(test: &TestResult) -> TestCase {
    let status = match test.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Skip => {
            let mut s = TestCaseStatus::skipped();
            if let Some(m) = &test.message {
                s.set_message(m.as_str());
            }
            s
        }
        Status::Fail | Status::Error | Status::Timeout => {
            let kind = if test.status == Status::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_type(test.status.as_str());
            if let Some(m) = &test.message {
                s.set_message(m.as_str());
            }
            let mut description = String::new();
            for o in &test.observables {
                description.push_str(&format!(
                    "{} / {}: {} — {}\n",
                    o.experiment,
                    o.observable,
                    format!("{:?}", o.status).to_lowercase(),
                    o.message
                ));
            }
            s.set_description(description);
            s
        }
    };
    let mut case = TestCase::new(test.id.as_str(), status);
    case.set_classname(test.engine.as_str());
    case.set_time(seconds(test.duration_s));
    case.extra.insert(
        XmlString::new("file"),
        XmlString::new(relative_to_cwd(&test.file)),
    );
    case.extra.insert(
        XmlString::new("line"),
        XmlString::new(test.line.to_string()),
    );
    if let Some(tail) = &test.output_tail {
        if test.status != Status::Pass {
            case.set_system_out(tail.as_str());
        }
    }
    case
}

/// Annotation tools resolve `file` against the checkout, so a path under the current directory
/// is written relative to it; anything else stays absolute.
fn relative_to_cwd(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// Writes the JUnit XML of `report` to `path` (`--junit`), atomically.
pub fn write(path: &Path, report: &RunReport) -> std::io::Result<()> {
    let xml = render(report).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, xml.as_bytes())
}

/// A duration in seconds as JUnit's time: negative or NaN is 0, and a value too large for a
/// `Duration` (a hand-edited or corrupt `--json` given to `merge`) is the largest one rather
/// than a panic.
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{CheckStatus, ObservableResult, Summary, Value};
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn result(id: &str, engine: &str, status: Status, message: Option<&str>) -> TestResult {
        TestResult {
            model: "model.xml".into(),
            file: PathBuf::from(format!("/nowhere/{id}")),
            line: 4,
            engine_version: Some("jNeuroML 0.14.0".into()),
            duration_s: 1.5,
            message: message.map(str::to_string),
            output_tail: (status != Status::Pass).then(|| "last words <&>".to_string()),
            ..TestResult::new(id, engine, status)
        }
    }

    #[test]
    fn one_suite_per_engine_with_located_cases() {
        let mut failing = result(
            ".test.b.omt",
            "jNeuroML",
            Status::Fail,
            Some("spike #2 off"),
        );
        failing.observables.push(ObservableResult {
            experiment: "v".into(),
            observable: "spike times".into(),
            status: CheckStatus::Fail,
            tolerance: 0.01,
            expected: Some(Value::List(vec![1.0, 2.0])),
            observed: Some(Value::List(vec![1.0, 2.5])),
            message: "worst #1: 2.5 vs 2".into(),
            min_passing_tolerance: Some(0.25),
            file: PathBuf::from("/nowhere/.test.b.omt"),
            line: 9,
        });
        let tests = vec![
            result(".test.a.omt", "jNeuroML", Status::Pass, None),
            failing,
            result(
                ".test.c.omt",
                "jNeuroML_NEURON",
                Status::Error,
                Some("nrnivmodl exited with status 1"),
            ),
            result(
                ".test.d.omt",
                "jNeuroML_NEURON",
                Status::Timeout,
                Some("timed out after 900 s"),
            ),
            result(
                ".test.e.omt",
                "XPP",
                Status::Skip,
                Some("crosscheck cannot run the XPP engine yet"),
            ),
        ];
        let report = RunReport {
            schema_version: RunReport::SCHEMA_VERSION,
            crosscheck_version: "0.0.0".into(),
            started_at: "2026-01-01T00:00:00+00:00".into(),
            duration_s: 7.5,
            jobs: 2,
            hostname: None,
            interrupted: false,
            versions: BTreeMap::new(),
            summary: Summary::from_results(&tests),
            tests,
            agreement: vec![],
            convergence: vec![],
            history: None,
        };
        insta::assert_snapshot!(render(&report).unwrap());
    }

    #[test]
    fn each_engines_convergence_is_a_case_at_its_rule() {
        use crate::results::{Convergence, ConvergencePoint, EngineConvergence};
        let engine = |name: &str, status, message: &str| EngineConvergence {
            engine: name.into(),
            status,
            points: vec![ConvergencePoint {
                dt_ms: 0.1,
                error: Some(4e-3),
            }],
            order: Some(1.0),
            r_squared: Some(1.0),
            exact: false,
            message: message.into(),
        };
        let report = RunReport {
            schema_version: RunReport::SCHEMA_VERSION,
            crosscheck_version: "0.0.0".into(),
            started_at: "2026-01-01T00:00:00+00:00".into(),
            duration_s: 7.5,
            jobs: 2,
            hostname: None,
            interrupted: false,
            versions: BTreeMap::new(),
            summary: Summary::from_results(&[]),
            tests: vec![],
            agreement: vec![],
            convergence: vec![Convergence {
                suite: "rc_step_dt".into(),
                file: PathBuf::from("/nowhere/rc.crosscheck.yaml"),
                line: 43,
                what: "cell cell 0: analytic v rms_relative".into(),
                order_band: [1.9, 2.1],
                exact_below: 1e-8,
                engines: vec![
                    engine("NEURON", CheckStatus::Pass, "exact"),
                    engine("NEST", CheckStatus::Fail, "order 1.000, outside 1.9–2.1"),
                ],
            }],
            history: None,
        };
        let xml = render(&report).unwrap();
        assert!(
            xml.contains("<testsuite name=\"convergence\" tests=\"2\""),
            "{xml}"
        );
        assert!(
            xml.contains(
                "name=\"rc_step_dt: cell cell 0: analytic v rms_relative\" classname=\"NEST\""
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"order 1.000, outside 1.9–2.1\" type=\"fail\""),
            "{xml}"
        );
        assert!(
            xml.contains("file=\"/nowhere/rc.crosscheck.yaml\" line=\"43\""),
            "{xml}"
        );
    }

    #[test]
    fn absurd_durations_are_clamped_not_a_panic() {
        assert_eq!(seconds(f64::NAN), Duration::ZERO);
        assert_eq!(seconds(-3.0), Duration::ZERO);
        assert_eq!(seconds(1e20), Duration::MAX);
        assert_eq!(seconds(1.5), Duration::from_millis(1500));
    }
}
