//! What each page shows: the template contexts, and the plots of a test page.
//!
//! Everything here produces plain strings and numbers for the templates; escaping is the
//! templates' job (tera autoescape), so no value here is ever pre-escaped or marked safe.

use std::collections::BTreeMap;

use serde::Serialize;
use tera::Context;

use super::HtmlError;
use crate::compare::spikes::match_spikes;
use crate::plot::svg::{self, engine_color, Line, RasterBand};
use crate::results::Agreement;
use crate::results::RunReport;
use crate::results::{CheckStatus, Jvm, Status, TestResult, Value};
use crate::results::{DifferenceSeries, SpikeSeries, TraceSeries};

/// Status names in the order the index shows them.
const STATUSES: [Status; 5] = [
    Status::Pass,
    Status::Fail,
    Status::Error,
    Status::Timeout,
    Status::Skip,
];
/// Trace plots per test page at most (one per recorded variable and cell).
const MAX_TRACE_PLOTS: usize = 6;
/// Elements of a list shown in the observables table.
const LIST_SHOWN: usize = 10;

/// The report's pages: where each test's page goes and which tests share a row.
pub struct Pages<'a> {
    report: &'a RunReport,
    paths: Vec<String>,
    /// One index row per model (an invalid file, which has none, per test file): its test
    /// indices, in order of first appearance. The engines of a row share its plots.
    rows: Vec<(String, Vec<usize>)>,
    /// The row of each test.
    row_of_test: Vec<usize>,
    engines: Vec<String>,
    /// The convergence entries, shown on the index and on the pages of their suite's jobs.
    convergence: Vec<super::convergence::ConvergenceView>,
}

impl<'a> Pages<'a> {
    pub fn new(report: &'a RunReport) -> Self {
        let paths = report
            .tests
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "tests/{i:04}-{}.html",
                    slug(&format!("{} {}", t.model, t.engine))
                )
            })
            .collect();
        let mut rows: Vec<(String, Vec<usize>)> = Vec::new();
        let mut row_of: BTreeMap<String, usize> = BTreeMap::new();
        let mut row_of_test = Vec::with_capacity(report.tests.len());
        let mut engines: Vec<String> = Vec::new();
        for (i, t) in report.tests.iter().enumerate() {
            let key = if t.model.is_empty() {
                format!("\u{0}{}", t.id)
            } else {
                t.model.clone()
            };
            match row_of.get(&key) {
                Some(&r) => {
                    rows[r].1.push(i);
                    row_of_test.push(r);
                }
                None => {
                    row_of.insert(key.clone(), rows.len());
                    row_of_test.push(rows.len());
                    rows.push((key, vec![i]));
                }
            }
            if !engines.contains(&t.engine) {
                engines.push(t.engine.clone());
            }
        }
        Pages {
            report,
            paths,
            rows,
            row_of_test,
            engines,
            convergence: super::convergence::views(report),
        }
    }

    /// The page of test `i`, relative to the report folder.
    pub fn test_path(&self, i: usize) -> String {
        self.paths[i].clone()
    }

    /// The page of test `i`, relative to another test page.
    fn sibling_href(&self, i: usize) -> String {
        self.paths[i].trim_start_matches("tests/").to_string()
    }

    fn row_of(&self, i: usize) -> &[usize] {
        &self.rows[self.row_of_test[i]].1
    }

    fn agreement_of(&self, t: &TestResult) -> Option<&'a Agreement> {
        self.report
            .agreement
            .iter()
            .find(|a| a.file == t.file && a.suite == t.model)
    }

    pub fn index_context(&self) -> Result<Context, HtmlError> {
        let report = self.report;
        let mut ctx = Context::new();
        let s = &report.summary;
        ctx.insert(
            "summary",
            &IndexSummary {
                total: s.total,
                failed: s.fail + s.error + s.timeout,
            },
        );
        let counts: Vec<Count> = STATUSES
            .iter()
            .map(|st| Count {
                status: st.as_str(),
                count: report.tests.iter().filter(|t| t.status == *st).count(),
            })
            .collect();
        ctx.insert("counts", &counts);
        ctx.insert("statuses", &STATUSES.map(|s| s.as_str()));
        ctx.insert("started_at", &report.started_at);
        ctx.insert("duration", &duration(report.duration_s));
        ctx.insert("jobs", &report.jobs);
        ctx.insert("hostname", &report.hostname);
        ctx.insert("crosscheck_version", &report.crosscheck_version);
        ctx.insert("history", &report.history);
        ctx.insert("interrupted", &report.interrupted);
        let versions: Vec<(&String, &String)> = report.versions.iter().collect();
        ctx.insert("versions", &versions);
        ctx.insert("engines", &self.engines);
        let mut suites: Vec<String> = report.tests.iter().map(suite_of).collect();
        suites.sort();
        suites.dedup();
        ctx.insert("suites", &suites);
        let rows: Vec<Row> = self
            .rows
            .iter()
            .map(|(_, members)| {
                let first = &report.tests[members[0]];
                let model = first.model.clone();
                let mut ids: Vec<&str> = members
                    .iter()
                    .map(|i| report.tests[*i].id.as_str())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                let id = ids.join("\n");
                let mut text = format!("{id} {model}");
                let cells = self
                    .engines
                    .iter()
                    .map(|engine| {
                        let here: Vec<usize> = members
                            .iter()
                            .copied()
                            .filter(|i| report.tests[*i].engine == *engine)
                            .collect();
                        let worst = here.iter().map(|i| report.tests[*i].status).max();
                        let title = here
                            .iter()
                            .filter_map(|i| report.tests[*i].message.clone())
                            .collect::<Vec<_>>()
                            .join("\n");
                        text.push(' ');
                        text.push_str(&title);
                        Cell {
                            engine: engine.clone(),
                            status: worst.map(|s| s.as_str()),
                            title,
                            links: here
                                .iter()
                                .map(|i| Link {
                                    href: self.paths[*i].clone(),
                                    label: report.tests[*i].status.as_str().to_string(),
                                })
                                .collect(),
                        }
                    })
                    .collect::<Vec<_>>();
                let mut statuses: Vec<&str> = members
                    .iter()
                    .map(|i| report.tests[*i].status.as_str())
                    .collect();
                statuses.sort();
                statuses.dedup();
                Row {
                    suite: suite_of(first),
                    text: text.to_lowercase(),
                    statuses: statuses.join(" "),
                    model: model.clone(),
                    id: id.clone(),
                    cells,
                }
            })
            .collect();
        ctx.insert("rows", &rows);
        let agreement: Vec<AgreementRow> = report
            .agreement
            .iter()
            .map(|a| {
                let passed = a
                    .pairs
                    .iter()
                    .filter(|p| p.status == CheckStatus::Pass)
                    .count();
                let href = report
                    .tests
                    .iter()
                    .position(|t| t.file == a.file && t.model == a.suite)
                    .map(|i| self.paths[i].clone());
                AgreementRow {
                    suite: a.suite.clone(),
                    href,
                    engines: a.engines.join(", "),
                    status: if a.passed() { "pass" } else { "fail" },
                    passed,
                    pairs: a.pairs.len(),
                    failures: a
                        .pairs
                        .iter()
                        .filter(|p| p.status != CheckStatus::Pass)
                        .map(|p| {
                            let why: Vec<&str> = p
                                .checks
                                .iter()
                                .filter(|c| !c.passed)
                                .map(|c| c.message.as_str())
                                .collect();
                            format!("{}–{}: {}", p.a, p.b, why.join("; "))
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                }
            })
            .collect();
        ctx.insert(
            "disagreements",
            &report.agreement.iter().filter(|a| !a.passed()).count(),
        );
        ctx.insert("agreement", &agreement);
        ctx.insert("convergence", &self.convergence);
        ctx.insert(
            "convergence_failures",
            &self
                .convergence
                .iter()
                .filter(|c| c.status != "pass")
                .count(),
        );
        Ok(ctx)
    }

    /// The context of test `i`'s page, showing `plots` (those of its row, [`Pages::row_plots`]).
    pub fn test_context(&self, i: usize, plots: &RowPlots) -> Result<Context, HtmlError> {
        let report = self.report;
        let t = &report.tests[i];
        let mut ctx = Context::new();
        let workdir = t.workdir.as_ref().map(|p| p.display().to_string());
        ctx.insert(
            "t",
            &TestView {
                model: if t.model.is_empty() {
                    t.id.clone()
                } else {
                    t.model.clone()
                },
                engine: t.engine.clone(),
                status: t.status.as_str(),
                message: t.message.clone(),
                id: t.id.clone(),
                file: t.file.display().to_string(),
                line: t.line,
                engine_version: t.engine_version.clone(),
                duration: duration(t.duration_s),
                workdir_href: t.workdir.as_deref().map(file_url),
                workdir,
                output_tail: t.output_tail.clone(),
            },
        );
        let siblings: Vec<Sibling> = self
            .row_of(i)
            .iter()
            .filter(|j| **j != i)
            .map(|j| Sibling {
                href: self.sibling_href(*j),
                engine: report.tests[*j].engine.clone(),
                status: report.tests[*j].status.as_str(),
            })
            .collect();
        ctx.insert("siblings", &siblings);
        let observables: Vec<ObservableView> = t
            .observables
            .iter()
            .map(|o| ObservableView {
                experiment: o.experiment.clone(),
                observable: o.observable.clone(),
                status: check_status(o.status),
                expected: o.expected.as_ref().map(show_value).unwrap_or_default(),
                observed: o.observed.as_ref().map(show_value).unwrap_or_default(),
                difference: difference(o.observed.as_ref(), o.expected.as_ref()),
                tolerance: if o.experiment == "reference" {
                    String::new()
                } else {
                    num(o.tolerance)
                },
                min_passing: o.min_passing_tolerance.map(num).unwrap_or_default(),
                message: o.message.clone(),
                location: format!("{}:{}", o.file.display(), o.line),
            })
            .collect();
        ctx.insert("observables", &observables);

        ctx.insert("traces", &plots.traces);
        ctx.insert("rasters", &plots.rasters);
        ctx.insert("histograms", &plots.histograms);
        ctx.insert("plot_notes", &plots.notes);
        ctx.insert("plot_engines", &plots.engines);

        ctx.insert("agreement", &self.agreement_of(t).map(heatmap));
        let convergence: Vec<&super::convergence::ConvergenceView> = self
            .convergence
            .iter()
            .filter(|c| c.file == t.file)
            .collect();
        ctx.insert("convergence", &convergence);
        let commands: Vec<CommandView> = t
            .commands
            .iter()
            .map(|c| CommandView {
                argv: shell_line(&c.argv),
                cwd: c.cwd.display().to_string(),
                outcome: {
                    let ended = match (c.exit_code, c.signal) {
                        (Some(code), _) => format!("exit code {code}"),
                        (None, Some(signal)) => format!("killed by signal {signal}"),
                        (None, None) => "did not finish".to_string(),
                    };
                    match (c.jvm, &c.cold_jvm_reason) {
                        (Some(Jvm::Warm), _) => format!("{ended} · warm JVM"),
                        (Some(Jvm::Cold), Some(why)) => format!("{ended} · fresh JVM ({why})"),
                        (Some(Jvm::Cold), None) => format!("{ended} · fresh JVM"),
                        (None, _) => ended,
                    }
                },
                duration: duration(c.duration_s),
            })
            .collect();
        ctx.insert("commands", &commands);
        ctx.insert("files", &generated_files(t.workdir.as_deref()));
        Ok(ctx)
    }

    /// Rows of the index (suite runs, OMV test files): the plots of row `r` are drawn once and
    /// shown on the page of every engine in it, so a report of many engines does not repeat
    /// the same picture per engine.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// The row of test `i`.
    pub fn row_index(&self, i: usize) -> usize {
        self.row_of_test[i]
    }

    /// Draws the plots of row `r`: for crosscheck suites every engine's traces overlaid with a
    /// reference, each engine's differences, rasters of every engine with missing and extra
    /// spikes against its reference, and rate/ISI histograms for populations; for OMV tests
    /// expected against each engine's observed spike times.
    pub fn row_plots(&self, r: usize) -> Result<RowPlots, HtmlError> {
        let members: Vec<&TestResult> = self.rows[r]
            .1
            .iter()
            .map(|i| &self.report.tests[*i])
            .collect();
        let stem = format!("row{r:04}");
        let mut plots = RowPlots {
            stem,
            ..RowPlots::default()
        };
        plots.engines = members
            .iter()
            .filter(|t| t.plots.is_some())
            .map(|t| t.engine.clone())
            .collect();
        suite_plots(&members, &mut plots)?;
        omv_plots(&members, &mut plots)?;
        Ok(plots)
    }
}

/// Plots of a suite run: every engine with data, one time axis.
fn suite_plots(members: &[&TestResult], plots: &mut RowPlots) -> Result<(), HtmlError> {
    let runs: Vec<(&str, &crate::plot::PlotData)> = members
        .iter()
        .filter_map(|t| Some((t.engine.as_str(), t.plots.as_deref()?)))
        .collect();
    let Some((first_engine, first)) = runs.first().copied() else {
        return Ok(());
    };
    let x = (
        0.0,
        if first.duration_ms > 0.0 {
            first.duration_ms
        } else {
            max_time(first)
        },
    );
    let run = SuiteRun {
        reference_label: format!("reference ({first_engine})"),
        runs: &runs,
        first_engine,
        first,
        x,
    };
    run.trace_plots(plots)?;
    let mut populations: Vec<&str> = Vec::new();
    for (_, data) in &runs {
        for s in &data.spikes {
            if !populations.contains(&s.population.as_str()) {
                populations.push(&s.population);
            }
        }
    }
    for population in populations {
        run.population_plots(population, plots)?;
    }
    Ok(())
}

/// One suite run's plot data by engine, and what its plots share.
struct SuiteRun<'a> {
    /// `(engine, plot data)` of every engine with data, in result order.
    runs: &'a [(&'a str, &'a crate::plot::PlotData)],
    /// The first of them: its reference is drawn, and engines without their own reference are
    /// compared with it.
    first_engine: &'a str,
    first: &'a crate::plot::PlotData,
    /// The common time axis, ms.
    x: (f64, f64),
    /// How the first engine's reference is labelled.
    reference_label: String,
}

impl SuiteRun<'_> {
    /// A trace plot per recorded (population, variable, cell), at most [`MAX_TRACE_PLOTS`]:
    /// the reference, every engine, and each engine's difference.
    fn trace_plots(&self, plots: &mut RowPlots) -> Result<(), HtmlError> {
        // Every (population, variable, cell) any engine recorded, in order of appearance.
        let mut keys: Vec<&TraceSeries> = Vec::new();
        for (_, data) in self.runs {
            for trace in &data.traces {
                if !keys.iter().any(|k| same_trace(k, trace)) {
                    keys.push(trace);
                }
            }
        }
        // Membrane potential first: it is what a reader looks for.
        keys.sort_by_key(|k| {
            (
                k.population.clone(),
                k.variable != "v",
                k.variable.clone(),
                k.cell,
            )
        });
        if keys.len() > MAX_TRACE_PLOTS {
            plots.notes.push(format!(
                "{MAX_TRACE_PLOTS} of {} recorded traces plotted.",
                keys.len()
            ));
        }
        for key in keys.into_iter().take(MAX_TRACE_PLOTS) {
            let mut lines = Vec::new();
            if let Some(r) = self
                .first
                .reference_traces
                .iter()
                .find(|r| same_trace(r, key))
            {
                lines.push(line("reference", &self.reference_label, r, 5, 0.3));
            }
            // The exact answer (analytic checks), the same whichever engine's times sampled it.
            if let Some(e) = self
                .runs
                .iter()
                .find_map(|(_, data)| data.exact_traces.iter().find(|e| same_trace(e, key)))
            {
                lines.push(line("exact", "exact answer", e, 4, 0.45));
            }
            let width = if self.runs.len() > 1 { 1 } else { 2 };
            for (engine, data) in self.runs {
                if let Some(t) = data.traces.iter().find(|t| same_trace(t, key)) {
                    lines.push(line(engine, engine, t, width, 0.9));
                }
            }
            let differences = self.differences(key);
            let title = format!(
                "{} {} cell {} ({} samples)",
                key.population, key.variable, key.cell, key.samples
            );
            let svg = svg::traces_with_difference(&title, &key.unit, self.x, &lines, &differences)?;
            plots.add(Kind::Trace, &title, svg);
        }
        Ok(())
    }

    /// The difference lines of one trace: each engine against its own reference; without one,
    /// against the first engine.
    fn differences(&self, key: &TraceSeries) -> Vec<Line> {
        let mut differences = Vec::new();
        for (engine, data) in self.runs {
            let matching: Vec<&DifferenceSeries> = data
                .differences
                .iter()
                .filter(|d| {
                    d.population == key.population
                        && d.variable == key.variable
                        && d.cell == key.cell
                })
                .collect();
            let chosen = matching
                .iter()
                .find(|d| d.against == "reference")
                .or_else(|| matching.iter().find(|d| d.against == self.first_engine));
            if let Some(d) = chosen {
                differences.push(Line {
                    label: format!("{engine} − {} (max |Δ| {})", d.against, num(d.max_abs)),
                    color: engine_color(engine),
                    width: 1,
                    opacity: 1.0,
                    points: pairs(&d.time_ms, &d.values),
                });
            }
        }
        differences
    }

    /// A population's raster (reference and engines, each against its baseline), its rate
    /// bars, and with more than one cell the distributions a network is judged by.
    fn population_plots(&self, population: &str, plots: &mut RowPlots) -> Result<(), HtmlError> {
        let first_spikes = self
            .runs
            .iter()
            .find_map(|(_, d)| d.spikes.iter().find(|s| s.population == population));
        let Some(first_spikes) = first_spikes else {
            return Ok(());
        };
        let window = self.first.spike_window_ms.unwrap_or(1.0);
        let cells = &first_spikes.cells;
        let mut bands = Vec::new();
        let mut series: Vec<(String, &SpikeSeries)> = Vec::new();
        if let Some(r) = self
            .first
            .reference_spikes
            .iter()
            .find(|r| r.population == population)
        {
            let label = &self.reference_label;
            bands.push(band("reference", label, r, cells, None, window));
            series.push((label.clone(), r));
        }
        for (engine, data) in self.runs {
            let Some(s) = data.spikes.iter().find(|s| s.population == population) else {
                continue;
            };
            let own_reference = data
                .reference_spikes
                .iter()
                .find(|r| r.population == population);
            let (baseline, label) = match own_reference {
                Some(r) => (Some(r), format!("{engine} (vs its reference)")),
                None if *engine != self.first_engine => (
                    Some(first_spikes),
                    format!("{engine} (vs {})", self.first_engine),
                ),
                None => (None, engine.to_string()),
            };
            bands.push(band(engine, &label, s, cells, baseline, window));
            series.push((engine.to_string(), s));
            if s.total > s.events.len() {
                plots.notes.push(format!(
                    "{engine}, {population}: {} of {} spikes kept (the first {} cells).",
                    s.events.len(),
                    s.total,
                    s.cells.len()
                ));
            }
        }
        let title = format!("{population} spikes");
        plots.add(Kind::Raster, &title, svg::raster(&title, self.x, &bands)?);
        rate_bars(self.runs, population, plots)?;
        if cells.len() > 1 {
            self.spike_distributions(population, &series, plots)?;
        }
        Ok(())
    }

    /// Histograms of a population's per-cell rates, inter-spike intervals, CVs of ISIs and
    /// pairwise count correlations, one series per engine (and the reference).
    fn spike_distributions(
        &self,
        population: &str,
        series: &[(String, &SpikeSeries)],
        plots: &mut RowPlots,
    ) -> Result<(), HtmlError> {
        let x = self.x;
        let seconds = (x.1 - x.0) / 1e3;
        let color = |name: &str| {
            engine_color(if name.starts_with("reference") {
                "reference"
            } else {
                name
            })
        };
        let rates: Vec<_> = series
            .iter()
            .map(|(name, s)| (name.clone(), color(name), cell_rates(s, seconds)))
            .collect();
        let isis: Vec<_> = series
            .iter()
            .map(|(name, s)| (name.clone(), color(name), intervals(s)))
            .collect();
        let name = format!("{population} firing rate per cell");
        plots.add(
            Kind::Histogram,
            &name,
            svg::histogram(&name, "rate (Hz)", &rates, 20)?,
        );
        let name = format!("{population} inter-spike intervals");
        plots.add(
            Kind::Histogram,
            &name,
            svg::histogram(&name, "ISI (ms)", &isis, 30)?,
        );
        // The distributions a network is judged by, over the cells the report keeps.
        let cvs: Vec<_> = series
            .iter()
            .map(|(name, s)| (name.clone(), color(name), cell_cvs(s, x)))
            .collect();
        if cvs.iter().any(|(_, _, v)| !v.is_empty()) {
            let name = format!("{population} CV of ISIs per cell");
            plots.add(
                Kind::Histogram,
                &name,
                svg::histogram(&name, "CV of ISIs", &cvs, 20)?,
            );
        }
        let correlations: Vec<_> = series
            .iter()
            .map(|(name, s)| (name.clone(), color(name), pair_correlations(s, x)))
            .collect();
        if correlations.iter().any(|(_, _, v)| !v.is_empty()) {
            let name = format!("{population} pairwise count correlations");
            plots.add(
                Kind::Histogram,
                &name,
                svg::histogram(&name, "correlation (2 ms bins)", &correlations, 30)?,
            );
        }
        Ok(())
    }
}

/// The same recorded trace: population, variable and cell.
fn same_trace(a: &TraceSeries, b: &TraceSeries) -> bool {
    a.population == b.population && a.variable == b.variable && a.cell == b.cell
}

/// Rasters of OMV spike-time observables: the expected spikes, then each engine's observed
/// ones, with OMV's tolerance as the matching window.
fn omv_plots(members: &[&TestResult], plots: &mut RowPlots) -> Result<(), HtmlError> {
    let mut experiments: Vec<(&str, &Vec<f64>, f64)> = Vec::new();
    for t in members {
        for o in &t.observables {
            if o.observable != "spike times" {
                continue;
            }
            if let Some(Value::List(expected)) = &o.expected {
                if !experiments.iter().any(|(e, _, _)| *e == o.experiment) {
                    experiments.push((&o.experiment, expected, o.tolerance));
                }
            }
        }
    }
    for (experiment, expected, tolerance) in experiments {
        let observed: Vec<(&str, &Vec<f64>)> = members
            .iter()
            .filter_map(|t| {
                let o = t
                    .observables
                    .iter()
                    .find(|o| o.experiment == experiment && o.observable == "spike times")?;
                match &o.observed {
                    Some(Value::List(v)) => Some((t.engine.as_str(), v)),
                    _ => None,
                }
            })
            .collect();
        let top = expected
            .iter()
            .chain(observed.iter().flat_map(|(_, v)| v.iter()))
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        // allclose: |o − e| <= atol + rtol·|e|; the widest window that rule allows, plus the
        // rounding of the plot's 32-bit times (a spike exactly at the tolerance stays matched).
        let window = tolerance * top.abs() + 1e-8 + top.abs() * 1e-6;
        let as_series = |times: &[f64]| SpikeSeries {
            population: experiment.to_string(),
            cells: vec![0],
            events: times.iter().map(|t| (0, *t as f32)).collect(),
            total: times.len(),
        };
        let e = as_series(expected);
        let mut bands = vec![band("expected", "expected", &e, &[0], None, window)];
        for (engine, times) in observed {
            let s = as_series(times);
            bands.push(band(
                engine,
                &format!("{engine} (vs expected)"),
                &s,
                &[0],
                Some(&e),
                window,
            ));
        }
        let title = format!("{experiment}: spike times");
        let x = (0.0, if top > 0.0 { top * 1.05 } else { 1.0 });
        plots.add(Kind::Raster, &title, svg::raster(&title, x, &bands)?);
    }
    Ok(())
}

enum Kind {
    Trace,
    Raster,
    Histogram,
}

/// The plots of one row, shared by the pages of its engines.
#[derive(Default)]
pub struct RowPlots {
    stem: String,
    /// `(path relative to the report folder, svg)`.
    pub files: Vec<(String, String)>,
    traces: Vec<PlotView>,
    rasters: Vec<PlotView>,
    histograms: Vec<PlotView>,
    notes: Vec<String>,
    /// Engines whose recordings are plotted.
    engines: Vec<String>,
}

impl RowPlots {
    fn add(&mut self, kind: Kind, alt: &str, svg: String) {
        let name = format!("{}-{}.svg", self.stem, self.files.len());
        self.files.push((format!("tests/{name}"), svg));
        let view = PlotView {
            src: name,
            alt: alt.to_string(),
        };
        match kind {
            Kind::Trace => self.traces.push(view),
            Kind::Raster => self.rasters.push(view),
            Kind::Histogram => self.histograms.push(view),
        }
    }
}

fn pairs(t: &[f32], v: &[f32]) -> Vec<(f64, f64)> {
    t.iter()
        .zip(v)
        .map(|(a, b)| (*a as f64, *b as f64))
        .collect()
}

fn line(color_of: &str, label: &str, s: &TraceSeries, width: u32, opacity: f64) -> Line {
    Line {
        label: label.to_string(),
        color: engine_color(color_of),
        width,
        opacity,
        points: pairs(&s.time_ms, &s.values),
    }
}

fn max_time(data: &crate::plot::PlotData) -> f64 {
    let traces = data.traces.iter().flat_map(|t| t.time_ms.last().copied());
    let spikes = data
        .spikes
        .iter()
        .flat_map(|s| s.events.last().map(|e| e.1));
    traces.chain(spikes).fold(1.0f32, f32::max) as f64
}

/// A raster band of `series`, rows in the order of `cells` (cells not there are left out),
/// with missing/extra spikes against `baseline` when given.
fn band(
    color_of: &str,
    label: &str,
    series: &SpikeSeries,
    cells: &[u32],
    baseline: Option<&SpikeSeries>,
    window: f64,
) -> RasterBand {
    let row: BTreeMap<u32, usize> = cells.iter().enumerate().map(|(r, c)| (*c, r)).collect();
    let by_cell = |s: &SpikeSeries| {
        let mut m: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for (c, t) in &s.events {
            m.entry(*c).or_default().push(*t as f64);
        }
        m
    };
    let events = series
        .events
        .iter()
        .filter_map(|(c, t)| Some((*row.get(c)?, *t as f64)))
        .collect();
    let (mut missing, mut extra) = (Vec::new(), Vec::new());
    if let Some(base) = baseline {
        let mine = by_cell(series);
        let theirs = by_cell(base);
        for (cell, r) in &row {
            let empty = Vec::new();
            let a = mine.get(cell).unwrap_or(&empty);
            let b = theirs.get(cell).unwrap_or(&empty);
            let matched = match_spikes(a, b, window);
            missing.extend(matched.missing.iter().map(|k| (*r, b[*k])));
            extra.extend(matched.extra.iter().map(|k| (*r, a[*k])));
        }
    }
    RasterBand {
        label: label.to_string(),
        color: engine_color(color_of),
        rows: cells.len().max(1),
        events,
        missing,
        extra,
    }
}

/// A network population's mean rate on each simulator, against the reference engine's blessed
/// seed-to-seed range when the suite has a `distributions` check.
fn rate_bars(
    runs: &[(&str, &crate::plot::PlotData)],
    population: &str,
    plots: &mut RowPlots,
) -> Result<(), HtmlError> {
    let summaries: Vec<(&str, &crate::plot::PopulationSummary)> = runs
        .iter()
        .filter_map(|(engine, d)| {
            Some((
                *engine,
                d.populations.iter().find(|p| p.population == population)?,
            ))
        })
        .collect();
    if summaries.is_empty() {
        return Ok(());
    }
    let bars: Vec<(String, _, f64)> = summaries
        .iter()
        .map(|(engine, p)| (engine.to_string(), engine_color(engine), p.mean_rate))
        .collect();
    let band_label;
    let band = match summaries
        .iter()
        .find_map(|(_, p)| Some((p.seed_band?, p.band_engine.as_deref()?)))
    {
        Some(((low, high), engine)) => {
            band_label = format!("{engine} over its seeds");
            Some((low, high, band_label.as_str()))
        }
        None => None,
    };
    let published = summaries.iter().find_map(|(_, p)| p.published);
    let title = format!("{population} mean rate per simulator");
    plots.add(
        Kind::Histogram,
        &title,
        svg::bars(&title, "rate (Hz)", &bars, band, published)?,
    );
    Ok(())
}

fn cell_rates(s: &SpikeSeries, seconds: f64) -> Vec<f64> {
    let mut counts: BTreeMap<u32, usize> = s.cells.iter().map(|c| (*c, 0)).collect();
    for (c, _) in &s.events {
        if let Some(n) = counts.get_mut(c) {
            *n += 1;
        }
    }
    counts
        .values()
        .map(|n| *n as f64 / seconds.max(1e-12))
        .collect()
}

/// The spikes of a series as `(ids, times)` for the statistics module.
fn events_of(s: &SpikeSeries) -> (Vec<u32>, Vec<f64>) {
    s.events.iter().map(|(c, t)| (*c, f64::from(*t))).unzip()
}

/// Each kept cell's CV of ISIs (cells with at least three spikes).
fn cell_cvs(s: &SpikeSeries, window: (f64, f64)) -> Vec<f64> {
    let (ids, times) = events_of(s);
    let n = s.cells.iter().map(|c| *c as usize + 1).max().unwrap_or(0);
    crate::compare::stats::cv_isi_distribution(&ids, &times, n, window.0, window.1 + 1e-9).values
}

/// Pairwise spike-count correlations (2 ms bins) of the first 100 kept cells.
fn pair_correlations(s: &SpikeSeries, window: (f64, f64)) -> Vec<f64> {
    let (ids, times) = events_of(s);
    let sample: Vec<u32> = s.cells.iter().copied().take(100).collect();
    crate::compare::stats::pairwise_correlations(
        &ids,
        &times,
        &sample,
        2.0,
        window.0,
        window.1 + 1e-9,
    )
    .into_iter()
    .filter(|c| c.is_finite())
    .collect()
}

fn intervals(s: &SpikeSeries) -> Vec<f64> {
    let mut last: BTreeMap<u32, f32> = BTreeMap::new();
    let mut out = Vec::new();
    for (c, t) in &s.events {
        if let Some(prev) = last.insert(*c, *t) {
            out.push((*t - prev) as f64);
        }
    }
    out
}

/// The agreement heatmap of a suite run.
fn heatmap(a: &Agreement) -> HeatmapView {
    let rows = a
        .engines
        .iter()
        .enumerate()
        .map(|(i, engine)| HeatRow {
            engine: engine.clone(),
            cells: a
                .engines
                .iter()
                .enumerate()
                .map(|(j, other)| {
                    let status = a
                        .matrix
                        .get(i)
                        .and_then(|r| r.get(j))
                        .cloned()
                        .unwrap_or_default();
                    let title = a
                        .pairs
                        .iter()
                        .find(|p| {
                            (p.a == *engine && p.b == *other) || (p.b == *engine && p.a == *other)
                        })
                        .map(|p| {
                            p.checks
                                .iter()
                                .map(|c| format!("{}: {}", c.what, c.message))
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .unwrap_or_default();
                    HeatCell {
                        diag: i == j,
                        status: if status == "pass" || status == "fail" {
                            status
                        } else {
                            "skip".into()
                        },
                        title,
                    }
                })
                .collect(),
        })
        .collect();
    let checks = a
        .pairs
        .iter()
        .flat_map(|p| {
            p.checks.iter().map(move |c| PairCheckView {
                pair: format!("{} – {}", p.a, p.b),
                what: c.what.clone(),
                status: if c.passed { "pass" } else { "fail" },
                message: c.message.clone(),
            })
        })
        .collect();
    HeatmapView {
        suite: a.suite.clone(),
        engines: a.engines.clone(),
        rows,
        checks,
    }
}

/// Files in a kept working directory (generated code and outputs), linked with `file://`.
fn generated_files(workdir: Option<&std::path::Path>) -> Vec<FileLink> {
    let Some(dir) = workdir else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("output")] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        let mut here: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        here.sort();
        for path in here.into_iter().take(200) {
            files.push(FileLink {
                href: file_url(&path),
                name: path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
            });
        }
    }
    files
}

/// A `file://` URL for an absolute path, percent-encoding everything but unreserved bytes.
pub fn file_url(path: &std::path::Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// Which suite a test belongs to, for the index's suite filter: a crosscheck suite's file
/// name, or an OMV test's top folder (its repository in a corpus).
pub fn suite_of(t: &TestResult) -> String {
    let name = t
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if let Some(stem) = name.strip_suffix(".crosscheck.yaml") {
        return stem.to_string();
    }
    match t.id.split_once('/') {
        Some((top, _)) => top.to_string(),
        None => name,
    }
}

/// A file-name-safe, readable slug.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    out.trim_matches('-').to_string()
}

fn check_status(s: CheckStatus) -> &'static str {
    match s {
        CheckStatus::Pass => "pass",
        CheckStatus::Fail => "fail",
        CheckStatus::Error => "error",
    }
}

/// A number with at most 6 significant decimals, in scientific notation when very large or
/// small.
pub fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-4..1e7).contains(&a) {
        return format!("{v:.4e}");
    }
    let digits = (6 - a.log10().floor() as i32 - 1).clamp(0, 9) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn list(values: &[f64]) -> String {
    let shown: Vec<String> = values.iter().take(LIST_SHOWN).map(|v| num(*v)).collect();
    if values.len() > LIST_SHOWN {
        format!("[{}, … ({} values)]", shown.join(", "), values.len())
    } else {
        format!("[{}]", shown.join(", "))
    }
}

fn show_value(v: &Value) -> String {
    match v {
        Value::Scalar(x) => num(*x),
        Value::List(xs) => list(xs),
        Value::Table(rows) => format!(
            "table, {} rows × {}",
            rows.len(),
            rows.first().map_or(0, |r| r.len())
        ),
    }
}

/// observed − expected, element by element.
fn difference(observed: Option<&Value>, expected: Option<&Value>) -> String {
    match (observed, expected) {
        (Some(Value::Scalar(o)), Some(Value::Scalar(e))) if o - e > 0.0 => {
            format!("+{}", num(o - e))
        }
        (Some(Value::Scalar(o)), Some(Value::Scalar(e))) => num(o - e),
        (Some(Value::List(o)), Some(Value::List(e))) if o.len() == e.len() => {
            let d: Vec<f64> = o.iter().zip(e).map(|(a, b)| a - b).collect();
            let worst = d
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
            match worst {
                Some((k, v)) => format!("{} (max |Δ| {} at [{k}])", list(&d), num(v.abs())),
                None => list(&d),
            }
        }
        (Some(Value::List(o)), Some(Value::List(e))) => {
            format!("lengths differ: {} observed, {} expected", o.len(), e.len())
        }
        _ => String::new(),
    }
}

fn duration(s: f64) -> String {
    if s >= 90.0 {
        format!("{} min {:.0} s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// A command line as one would type it (arguments with special characters single-quoted).
fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Serialize)]
struct IndexSummary {
    total: usize,
    failed: usize,
}

#[derive(Serialize)]
struct Count {
    status: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct Row {
    suite: String,
    text: String,
    statuses: String,
    model: String,
    id: String,
    cells: Vec<Cell>,
}

#[derive(Serialize)]
struct Cell {
    engine: String,
    status: Option<&'static str>,
    title: String,
    links: Vec<Link>,
}

#[derive(Serialize)]
struct Link {
    href: String,
    label: String,
}

#[derive(Serialize)]
struct AgreementRow {
    suite: String,
    href: Option<String>,
    engines: String,
    status: &'static str,
    passed: usize,
    pairs: usize,
    failures: String,
}

#[derive(Serialize)]
struct TestView {
    model: String,
    engine: String,
    status: &'static str,
    message: Option<String>,
    id: String,
    file: String,
    line: usize,
    engine_version: Option<String>,
    duration: String,
    workdir: Option<String>,
    workdir_href: Option<String>,
    output_tail: Option<String>,
}

#[derive(Serialize)]
struct Sibling {
    href: String,
    engine: String,
    status: &'static str,
}

#[derive(Serialize)]
struct ObservableView {
    experiment: String,
    observable: String,
    status: &'static str,
    expected: String,
    observed: String,
    difference: String,
    tolerance: String,
    min_passing: String,
    message: String,
    location: String,
}

#[derive(Serialize)]
struct PlotView {
    src: String,
    alt: String,
}

#[derive(Serialize)]
struct HeatmapView {
    suite: String,
    engines: Vec<String>,
    rows: Vec<HeatRow>,
    checks: Vec<PairCheckView>,
}

#[derive(Serialize)]
struct HeatRow {
    engine: String,
    cells: Vec<HeatCell>,
}

#[derive(Serialize)]
struct HeatCell {
    diag: bool,
    status: String,
    title: String,
}

#[derive(Serialize)]
struct PairCheckView {
    pair: String,
    what: String,
    status: &'static str,
    message: String,
}

#[derive(Serialize)]
struct CommandView {
    argv: String,
    cwd: String,
    outcome: String,
    duration: String,
}

#[derive(Serialize)]
struct FileLink {
    href: String,
    name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_exact_enough() {
        assert_eq!(num(41.0), "41");
        assert_eq!(num(82.595), "82.595");
        assert_eq!(num(-65.00000001), "-65");
        assert_eq!(num(0.00010324534535558631), "0.000103245");
        assert_eq!(num(1.5e-9), "1.5000e-9");
        assert_eq!(num(0.0), "0");
    }

    #[test]
    fn slugs_and_urls_are_safe() {
        assert_eq!(slug("hh_step on NEST"), "hh-step-on-nest");
        assert_eq!(slug("<script>alert(1)</script>"), "script-alert-1-script");
        assert_eq!(
            file_url(std::path::Path::new("/tmp/a b/\"x\".py")),
            "file:///tmp/a%20b/%22x%22.py"
        );
    }

    #[test]
    fn differences_say_where_the_worst_element_is() {
        let d = difference(
            Some(&Value::List(vec![1.0, 2.5, 3.0])),
            Some(&Value::List(vec![1.0, 2.0, 3.0])),
        );
        assert_eq!(d, "[0, 0.5, 0] (max |Δ| 0.5 at [1])");
        assert_eq!(
            difference(Some(&Value::List(vec![1.0])), Some(&Value::List(vec![]))),
            "lengths differ: 1 observed, 0 expected"
        );
        assert_eq!(
            difference(Some(&Value::Scalar(2.0)), Some(&Value::Scalar(2.5))),
            "-0.5"
        );
    }

    #[test]
    fn command_lines_quote_what_needs_it() {
        let argv = vec!["python".into(), "run nest.py".into(), "it's".into()];
        assert_eq!(shell_line(&argv), "python 'run nest.py' 'it'\\''s'");
    }
}
