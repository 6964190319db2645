//! The report's convergence section: per analytic check with a `convergence` rule, the error
//! against the time step on log-log axes (one line per engine, the expected order's slope
//! dashed) and each engine's verdict.

use serde::Serialize;

use super::HtmlError;
use crate::plot::svg::{self, engine_color, ConvergenceLine};
use crate::results::{CheckStatus, Convergence, RunReport};

/// One convergence entry as the index and the test pages show it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ConvergenceView {
    /// The suite's name.
    pub suite: String,
    /// What is fitted (cell and error).
    pub what: String,
    /// The order band, `0.9–1.1`.
    pub band: String,
    /// `pass` or `fail`.
    pub status: &'static str,
    /// The plot, relative to the `tests/` folder (test pages) ...
    pub src: String,
    /// ... and relative to the report's folder (the index).
    pub href: String,
    /// One row per engine.
    pub engines: Vec<EngineRow>,
    /// The suite file, to show the plot on the pages of that suite's jobs.
    #[serde(skip)]
    pub file: std::path::PathBuf,
}

/// One engine's verdict.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EngineRow {
    engine: String,
    status: &'static str,
    /// `1.003`, `exact` or `–`.
    order: String,
    message: String,
}

/// The view of every convergence entry, in the report's order (plot `n` is
/// [`plot_files`]'s `n`-th file).
pub(crate) fn views(report: &RunReport) -> Vec<ConvergenceView> {
    report
        .convergence
        .iter()
        .enumerate()
        .map(|(n, entry)| ConvergenceView {
            suite: entry.suite.clone(),
            what: entry.what.clone(),
            band: entry.band_text(),
            status: status(entry.passed()),
            href: format!("tests/{}", plot_name(n)),
            src: plot_name(n),
            file: entry.file.clone(),
            engines: entry
                .engines
                .iter()
                .map(|e| EngineRow {
                    engine: e.engine.clone(),
                    status: status(e.status == CheckStatus::Pass),
                    order: match (e.exact, e.order) {
                        (true, _) => "exact".to_string(),
                        (false, Some(order)) => format!("{order:.3}"),
                        (false, None) => "–".to_string(),
                    },
                    message: e.message.clone(),
                })
                .collect(),
        })
        .collect()
}

/// The SVG plot of every convergence entry: `(path relative to the report's folder, svg)`.
pub(crate) fn plot_files(report: &RunReport) -> Result<Vec<(String, String)>, HtmlError> {
    report
        .convergence
        .iter()
        .enumerate()
        .map(|(n, entry)| Ok((format!("tests/{}", plot_name(n)), plot(entry)?)))
        .collect()
}

fn plot_name(n: usize) -> String {
    format!("convergence-{n:03}.svg")
}

fn status(passed: bool) -> &'static str {
    if passed {
        "pass"
    } else {
        "fail"
    }
}

/// Error against step, one line per engine. Engines with an order come first, so the expected
/// slope (drawn through the first line's finest point) runs beside a line that converges
/// rather than along the rounding floor of an exact one.
fn plot(entry: &Convergence) -> Result<String, HtmlError> {
    let mut engines: Vec<_> = entry.engines.iter().collect();
    engines.sort_by_key(|e| e.exact);
    let lines: Vec<ConvergenceLine> = engines
        .iter()
        .map(|e| ConvergenceLine {
            label: if e.exact {
                format!("{} (exact)", e.engine)
            } else {
                e.engine.clone()
            },
            color: engine_color(&e.engine),
            points: e
                .points
                .iter()
                .filter_map(|p| Some((p.dt_ms, p.error?)))
                .collect(),
        })
        .collect();
    let middle = (entry.order_band[0] + entry.order_band[1]) / 2.0;
    let title = format!("{}: {}", entry.suite, entry.what);
    Ok(svg::convergence(&title, "ms", &lines, Some(middle))?)
}
