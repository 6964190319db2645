//! A diff's report in the terminal and as JSON.
//!
//! The terminal shows one line per test (its verdict, and for a difference where the runs
//! part first), then the outputs that differ, then the counts: what a simulator developer
//! reads to decide whether a release changed a model. The JSON holds every output's
//! comparison, column by column and cell by cell (schema in the README).

use std::path::Path;

use super::{DiffReport, OutputDiff, TestDiff, Verdict};
use crate::compare::versions;

/// Outputs listed under a different test in the terminal; the rest are counted.
const OUTPUTS_SHOWN: usize = 5;

/// The terminal report (stdout).
pub fn print(report: &DiffReport) {
    print!("{}", render(report));
}

/// The terminal report as text.
pub fn render(report: &DiffReport) -> String {
    let mut out = format!(
        "\ncrosscheck diff: {} {} against {} (rtol {}, atol {})\n",
        report.engine,
        report.version_a,
        report.version_b,
        report.tolerance.rtol,
        report.tolerance.atol
    );
    for test in &report.tests {
        out.push_str(&test_line(test));
        if test.verdict == Verdict::Different {
            let different: Vec<&OutputDiff> = test
                .outputs
                .iter()
                .filter(|o| o.verdict == Verdict::Different)
                .collect();
            for output in different.iter().take(OUTPUTS_SHOWN) {
                out.push_str(&format!("      {}\n", output_line(output)));
            }
            if different.len() > OUTPUTS_SHOWN {
                out.push_str(&format!(
                    "      ... and {} more different output(s) (see --json or --html)\n",
                    different.len() - OUTPUTS_SHOWN
                ));
            }
        }
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} test(s): {} identical, {} within tolerance, {} different, {} not compared ({:.1} s){}\n",
        report.tests.len(),
        s.identical,
        s.within_tolerance,
        s.different,
        s.not_compared,
        report.duration_s,
        if report.interrupted {
            "; interrupted"
        } else {
            ""
        }
    ));
    out
}

fn test_line(test: &TestDiff) -> String {
    let detail = match test.verdict {
        Verdict::Identical => format!("{} output(s)", test.outputs.len()),
        Verdict::WithinTolerance => largest_relative(test),
        _ => test.reason.clone().unwrap_or_default(),
    };
    format!(
        "{:<12} {} [{}] {}: {}\n",
        test.verdict.label(),
        test.id,
        test.engine,
        test.model,
        detail
    )
}

/// The largest difference of a test within tolerance, relative to its column.
fn largest_relative(test: &TestDiff) -> String {
    let worst = test
        .outputs
        .iter()
        .flat_map(|o| o.columns.iter().map(move |c| (o, c)))
        .filter(|(_, c)| c.diff.max_rel.is_finite())
        .max_by(|x, y| x.1.diff.max_rel.total_cmp(&y.1.diff.max_rel));
    match worst {
        Some((output, column)) => format!(
            "largest difference {} of its column's scale ({} {})",
            crate::compare::omv::fmt_num(column.diff.max_rel),
            output.name,
            column.name
        ),
        None => "spike times within tolerance".into(),
    }
}

/// The one line saying where an output differs first (or why it is different).
pub fn output_line(output: &OutputDiff) -> String {
    if let Some(c) = output.columns.iter().find(|c| c.diff.exceeds) {
        return format!(
            "{}: {}",
            output.name,
            versions::describe_column(&c.name, &c.diff)
        );
    }
    if let Some(s) = output.spikes.iter().find(|s| s.diff.exceeds) {
        return format!(
            "{}: {}",
            output.name,
            versions::describe_spikes(&s.name, &s.diff)
        );
    }
    format!(
        "{}: {}",
        output.name,
        output.note.as_deref().unwrap_or("differs")
    )
}

/// Writes the report as JSON, atomically (a reader never sees half a file).
pub fn write_json(report: &DiffReport, path: &Path) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, text.as_bytes())
}
