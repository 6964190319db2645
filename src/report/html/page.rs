//! What each page shows: the template contexts, and the plots of a test page.
//!
//! Everything here produces plain strings and numbers for the templates; escaping is the
//! templates' job (tera autoescape), so no value here is ever pre-escaped or marked safe.

use std::collections::BTreeMap;

use serde::Serialize;
use tera::Context;

use super::HtmlError;
use crate::agreement::Agreement;
use crate::compare::spikes::match_spikes;
use crate::plot::data::{SpikeSeries, TraceSeries};
use crate::plot::svg::{self, engine_color, Line, RasterBand};
use crate::report::RunReport;
use crate::results::{CheckStatus, Status, TestResult, Value};

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
    /// `(id, model)` → test indices, in order of first appearance: one index row each.
    rows: Vec<((String, String), Vec<usize>)>,
    engines: Vec<String>,
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
        let mut rows: Vec<((String, String), Vec<usize>)> = Vec::new();
        let mut row_of: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut engines: Vec<String> = Vec::new();
        for (i, t) in report.tests.iter().enumerate() {
            let key = (t.id.clone(), t.model.clone());
            match row_of.get(&key) {
                Some(&r) => rows[r].1.push(i),
                None => {
                    row_of.insert(key.clone(), rows.len());
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
            engines,
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
        let t = &self.report.tests[i];
        self.rows
            .iter()
            .find(|((id, model), _)| *id == t.id && *model == t.model)
            .map(|(_, members)| members.as_slice())
            .unwrap_or(&[])
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
            .map(|((id, model), members)| {
                let first = &report.tests[members[0]];
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
        Ok(ctx)
    }

    /// The context of test `i`'s page and its plots (`(path, svg)`, paths relative to the
    /// report folder).
    pub fn test_context(&self, i: usize) -> Result<(Context, Vec<(String, String)>), HtmlError> {
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

        let stem = self.paths[i]
            .trim_start_matches("tests/")
            .trim_end_matches(".html")
            .to_string();
        let mut plots = Plots {
            stem,
            files: Vec::new(),
            traces: Vec::new(),
            rasters: Vec::new(),
            histograms: Vec::new(),
            notes: Vec::new(),
        };
        let siblings: Vec<&TestResult> = self
            .row_of(i)
            .iter()
            .filter(|j| **j != i)
            .map(|j| &report.tests[*j])
            .collect();
        self.native_plots(t, &siblings, &mut plots)?;
        omv_plots(t, &mut plots)?;
        ctx.insert("traces", &plots.traces);
        ctx.insert("rasters", &plots.rasters);
        ctx.insert("histograms", &plots.histograms);
        ctx.insert("plot_notes", &plots.notes);

        ctx.insert("agreement", &self.agreement_of(t).map(heatmap));
        let commands: Vec<CommandView> = t
            .commands
            .iter()
            .map(|c| CommandView {
                argv: shell_line(&c.argv),
                cwd: c.cwd.display().to_string(),
                outcome: match (c.exit_code, c.signal) {
                    (Some(code), _) => format!("exit code {code}"),
                    (None, Some(signal)) => format!("killed by signal {signal}"),
                    (None, None) => "did not finish".to_string(),
                },
                duration: duration(c.duration_s),
            })
            .collect();
        ctx.insert("commands", &commands);
        ctx.insert("files", &generated_files(t.workdir.as_deref()));
        Ok((ctx, plots.files))
    }

    /// Traces, rasters and histograms of a crosscheck-suite job, with the other engines of the
    /// same suite run.
    fn native_plots(
        &self,
        t: &TestResult,
        siblings: &[&TestResult],
        plots: &mut Plots,
    ) -> Result<(), HtmlError> {
        let Some(data) = t.plots.as_deref() else {
            return Ok(());
        };
        let x = (
            0.0,
            if data.duration_ms > 0.0 {
                data.duration_ms
            } else {
                max_time(data)
            },
        );
        let others: Vec<(&str, &crate::plot::PlotData)> = siblings
            .iter()
            .filter_map(|s| Some((s.engine.as_str(), s.plots.as_deref()?)))
            .collect();
        let same = |a: &TraceSeries, b: &TraceSeries| {
            a.population == b.population && a.variable == b.variable && a.cell == b.cell
        };
        if data.traces.len() > MAX_TRACE_PLOTS {
            plots.notes.push(format!(
                "{} of {} recorded traces plotted.",
                MAX_TRACE_PLOTS,
                data.traces.len()
            ));
        }
        for trace in data.traces.iter().take(MAX_TRACE_PLOTS) {
            let mut lines = Vec::new();
            if let Some(r) = data.reference_traces.iter().find(|r| same(r, trace)) {
                lines.push(line("reference", r, 5, 0.3));
            }
            for (engine, other) in &others {
                if let Some(o) = other.traces.iter().find(|o| same(o, trace)) {
                    lines.push(line(engine, o, 1, 0.9));
                }
            }
            lines.push(line(&t.engine, trace, 2, 1.0));
            let differences: Vec<Line> = data
                .differences
                .iter()
                .filter(|d| {
                    d.population == trace.population
                        && d.variable == trace.variable
                        && d.cell == trace.cell
                })
                .map(|d| Line {
                    label: format!("{} − {} (max |Δ| {})", t.engine, d.against, num(d.max_abs)),
                    color: engine_color(&d.against),
                    width: 1,
                    opacity: 1.0,
                    points: pairs(&d.time_ms, &d.values),
                })
                .collect();
            let title = format!(
                "{} {} cell {} ({} samples)",
                trace.population, trace.variable, trace.cell, trace.samples
            );
            let svg = svg::traces_with_difference(&title, &trace.unit, x, &lines, &differences)?;
            plots.add(Kind::Trace, &title, svg);
        }
        let window = data.spike_window_ms.unwrap_or(1.0);
        for spikes in &data.spikes {
            let reference = data
                .reference_spikes
                .iter()
                .find(|r| r.population == spikes.population);
            let mut bands = Vec::new();
            if let Some(r) = reference {
                bands.push(band(
                    "reference",
                    "reference (blessed)",
                    r,
                    &spikes.cells,
                    None,
                    window,
                ));
            }
            bands.push(band(
                &t.engine,
                &if reference.is_some() {
                    format!("{} (vs reference)", t.engine)
                } else {
                    t.engine.clone()
                },
                spikes,
                &spikes.cells,
                reference,
                window,
            ));
            let mut runs: Vec<(String, &SpikeSeries)> = vec![(t.engine.clone(), spikes)];
            if let Some(r) = reference {
                runs.push(("reference".into(), r));
            }
            for (engine, other) in &others {
                if let Some(o) = other
                    .spikes
                    .iter()
                    .find(|o| o.population == spikes.population)
                {
                    bands.push(band(
                        engine,
                        &format!("{engine} (vs {})", t.engine),
                        o,
                        &spikes.cells,
                        Some(spikes),
                        window,
                    ));
                    runs.push((engine.to_string(), o));
                }
            }
            let title = format!("{} spikes", spikes.population);
            if spikes.total > spikes.events.len() {
                plots.notes.push(format!(
                    "{}: {} of {} spikes kept (the first {} cells).",
                    spikes.population,
                    spikes.events.len(),
                    spikes.total,
                    spikes.cells.len()
                ));
            }
            plots.add(Kind::Raster, &title, svg::raster(&title, x, &bands)?);
            if spikes.cells.len() > 1 {
                let seconds = (x.1 - x.0) / 1e3;
                let rates: Vec<(String, plotters::style::RGBColor, Vec<f64>)> = runs
                    .iter()
                    .map(|(name, s)| (name.clone(), engine_color(name), cell_rates(s, seconds)))
                    .collect();
                let isis: Vec<(String, plotters::style::RGBColor, Vec<f64>)> = runs
                    .iter()
                    .map(|(name, s)| (name.clone(), engine_color(name), intervals(s)))
                    .collect();
                let name = format!("{} firing rate per cell", spikes.population);
                plots.add(
                    Kind::Histogram,
                    &name,
                    svg::histogram(&name, "rate (Hz)", &rates, 20)?,
                );
                let name = format!("{} inter-spike intervals", spikes.population);
                plots.add(
                    Kind::Histogram,
                    &name,
                    svg::histogram(&name, "ISI (ms)", &isis, 30)?,
                );
            }
        }
        Ok(())
    }
}

/// Rasters of OMV spike-time observables: expected against observed, with OMV's tolerance as
/// the matching window.
fn omv_plots(t: &TestResult, plots: &mut Plots) -> Result<(), HtmlError> {
    for o in &t.observables {
        let (Some(Value::List(expected)), Some(Value::List(observed))) = (&o.expected, &o.observed)
        else {
            continue;
        };
        if o.observable != "spike times" {
            continue;
        }
        let top = expected
            .iter()
            .chain(observed)
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        // allclose: |o − e| <= atol + rtol·|e|; the widest window that rule allows.
        let window = o.tolerance * top.abs() + 1e-8;
        let as_series = |times: &[f64]| SpikeSeries {
            population: o.experiment.clone(),
            cells: vec![0],
            events: times.iter().map(|t| (0, *t as f32)).collect(),
            total: times.len(),
        };
        let (e, ob) = (as_series(expected), as_series(observed));
        let bands = vec![
            band("expected", "expected", &e, &[0], None, window),
            band(
                "observed",
                "observed (vs expected)",
                &ob,
                &[0],
                Some(&e),
                window,
            ),
        ];
        let title = format!("{}: spike times", o.experiment);
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

struct Plots {
    stem: String,
    files: Vec<(String, String)>,
    traces: Vec<PlotView>,
    rasters: Vec<PlotView>,
    histograms: Vec<PlotView>,
    notes: Vec<String>,
}

impl Plots {
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

fn line(name: &str, s: &TraceSeries, width: u32, opacity: f64) -> Line {
    Line {
        label: name.to_string(),
        color: engine_color(name),
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
