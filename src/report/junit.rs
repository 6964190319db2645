//! JUnit XML (`--junit`), one test suite per engine.
//!
//! Each test case carries `file` and `line` attributes pointing at the test file, which is what
//! GitHub's JUnit annotation actions (and most CI systems) use to place failures on the file.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite, XmlString};

use super::RunReport;
use crate::results::{Status, TestResult};

pub fn render(report: &RunReport) -> Result<String, quick_junit::SerializeError> {
    let mut junit = Report::new("crosscheck");
    junit.set_time(Duration::from_secs_f64(report.duration_s.max(0.0)));
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
    junit.to_string()
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
            if let Some(tail) = &test.output_tail {
                description.push_str("\n--- output (tail) ---\n");
                description.push_str(tail);
            }
            s.set_description(description);
            s
        }
    };
    let mut case = TestCase::new(test.id.as_str(), status);
    case.set_classname(test.engine.as_str());
    case.set_time(Duration::from_secs_f64(test.duration_s.max(0.0)));
    case.extra.insert(
        XmlString::new("file"),
        XmlString::new(test.file.display().to_string()),
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

pub fn write(path: &Path, report: &RunReport) -> std::io::Result<()> {
    let xml = render(report).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, xml.as_bytes())
}
