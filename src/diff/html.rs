//! The diff's HTML report: an index of every test and a page per test with both runs'
//! outputs compared, tables and plots, readable from `file://` with no network and no script.
//!
//! Why it is built this way:
//!
//! - **Escaping is the templates' job.** Test ids, model names, paths, output and column names,
//!   messages and simulator output come from repositories and simulators a report must never
//!   execute. Pages are tera templates named `*.html` (embedded with `include_str!`), so tera
//!   escapes every value; the only `| safe` values are the SVG plots, which plotters writes
//!   with its own escaping of every text and attribute. Pages carry a Content Security Policy
//!   that allows nothing but the report's own stylesheets (inline SVG is part of the page, not a
//!   resource), so even a value that escaped both could not run.
//! - **Plots inline, drawn by the run report's plotting code** ([`crate::plot::svg`], which
//!   decimates long traces to what the pixels show): a page is one file that can be mailed or
//!   attached to an issue, and the plots look like the run report's. Per output that is not
//!   identical: the columns that differ most, both runs overlaid (A wide and pale, B thin on top)
//!   with B − A below, or a raster of both runs' spikes. A page holds at most
//!   [`MAX_PLOTS`] plots (the differences beyond tolerance first) and says how many it left out:
//!   a network's thousand recorded cells must not make a page no browser opens.
//! - **Nothing lost without being asked.** The report shares the run report's ownership rules
//!   and manifest ([`crate::report::html::MANIFEST`]): [`check_dir`] (the run report's) refuses
//!   a folder holding an `index.html`, `assets/` or `tests/` that no crosscheck report wrote,
//!   [`write`] refuses to replace any file its manifest does not list, and removes only stale
//!   files the manifest lists. So a diff can be re-run into its own folder (or a run report's),
//!   and never into someone's website. Every file is written atomically.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tera::{Context, Tera};

use super::outputs::{Output, OutputData};
use super::{DiffReport, OutputDiff, RunSide, TestDiff, TestOutputs, Verdict};
use crate::compare::spikes::{match_spikes, sorted};
use crate::compare::versions::{self, ColumnDiff, SpikeDiff};
use crate::plot::svg::{self, engine_color, Line, RasterBand};
use crate::report::html::page::slug;
use crate::report::html::{parallel, read_manifest};
use plotters::style::RGBColor;

const INDEX_TEMPLATE: &str = include_str!("templates/index.html");
const TEST_TEMPLATE: &str = include_str!("templates/test.html");
/// The run report's stylesheet: the same header, tables, badges and plot frames.
const REPORT_CSS: &str = include_str!("../report/html/templates/report.css");
/// The diff's additions: verdict colours, inline plots.
const DIFF_CSS: &str = include_str!("templates/diff.css");

/// Plots on one test page at most; the rest are counted on the page.
pub const MAX_PLOTS: usize = 20;
/// Columns of one table output plotted at most (those that differ most).
const COLUMNS_PLOTTED: usize = 4;
/// Cells of one spike output in its raster at most (the differing ones first).
const CELLS_PLOTTED: usize = 50;
/// Columns or cells of one output listed in its table at most (the most different ones).
const ROWS_LISTED: usize = 200;

/// Checks, before anything runs, that `dir` can take the report: it is a folder or can be
/// created (it is created), it is writable, and it holds no `index.html`, `assets/` or `tests/`
/// that a crosscheck report (a diff's or a run's) did not write.
pub fn check_dir(dir: &Path) -> Result<(), String> {
    crate::report::html::check_dir(dir).map_err(|e| e.to_string())
}

/// Writes the report into `dir` and returns the path of its `index.html`; `outputs[i]` holds
/// the outputs of `report.tests[i]` (missing entries draw no plots).
///
/// Refuses, before writing anything, when a file it would write exists and the folder's
/// manifest does not list it; removes the files of an earlier report that this one no longer
/// writes (only those its manifest lists).
pub fn write(report: &DiffReport, outputs: &[TestOutputs], dir: &Path) -> Result<PathBuf, String> {
    check_dir(dir)?;
    let previous = read_manifest(dir).unwrap_or_default();
    let files = render(report, outputs)?;
    for file in &files {
        let path = dir.join(&file.path);
        if path.exists() && !previous.contains(&file.path) {
            return Err(format!(
                "{} exists and was not written by a crosscheck report; not overwriting it \
                 (choose an empty folder, or remove it)",
                path.display()
            ));
        }
    }
    let written =
        |path: &Path, e: std::io::Error| format!("could not write {}: {e}", path.display());
    let manifest_path = dir.join(crate::report::html::MANIFEST);
    // The manifest names everything about to be written before it is written, so that an
    // interrupted write still leaves a folder the next report recognises as its own.
    let current: BTreeSet<String> = files.iter().map(|f| f.path.clone()).collect();
    let all: BTreeSet<&String> = current.iter().chain(&previous).collect();
    crate::fsutil::write_atomic(&manifest_path, manifest(all).as_bytes())
        .map_err(|e| written(&manifest_path, e))?;
    for file in &files {
        let path = dir.join(&file.path);
        crate::fsutil::write_atomic(&path, &file.bytes).map_err(|e| written(&path, e))?;
    }
    for stale in previous.difference(&current) {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    crate::fsutil::write_atomic(&manifest_path, manifest(current.iter()).as_bytes())
        .map_err(|e| written(&manifest_path, e))?;
    Ok(dir.join("index.html"))
}

fn manifest<'a>(paths: impl IntoIterator<Item = &'a String>) -> String {
    let mut text = String::from("# files written by a crosscheck HTML report (diff)\n");
    for path in paths {
        text.push_str(path);
        text.push('\n');
    }
    text
}

/// A file of the report: its path relative to the report folder, and its bytes.
struct File {
    path: String,
    bytes: Vec<u8>,
}

fn templates() -> Result<Tera, String> {
    let mut tera = Tera::default();
    // Names end in `.html`: tera autoescapes every value rendered into them.
    tera.add_raw_templates(vec![
        ("index.html", INDEX_TEMPLATE),
        ("test.html", TEST_TEMPLATE),
    ])
    .map_err(template_error)?;
    Ok(tera)
}

fn template_error(e: tera::Error) -> String {
    // tera's message names the template; its source says what went wrong.
    let mut text = format!("report template: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// Every file of the report, in memory.
fn render(report: &DiffReport, outputs: &[TestOutputs]) -> Result<Vec<File>, String> {
    let tera = templates()?;
    let paths = page_paths(report);
    let mut files = vec![
        File {
            path: "assets/report.css".into(),
            bytes: REPORT_CSS.as_bytes().to_vec(),
        },
        File {
            path: "assets/diff.css".into(),
            bytes: DIFF_CSS.as_bytes().to_vec(),
        },
        File {
            path: "index.html".into(),
            bytes: tera
                .render("index.html", &index_context(report, &paths))
                .map_err(template_error)?
                .into_bytes(),
        },
    ];
    let empty = TestOutputs::default();
    // Drawing plots is most of the work, and pages are independent: several threads.
    let pages = parallel(
        report.tests.len(),
        |i| {
            let context = test_context(report, i, outputs.get(i).unwrap_or(&empty));
            Ok(File {
                path: paths[i].clone(),
                bytes: tera
                    .render("test.html", &context)
                    .map_err(template_error)?
                    .into_bytes(),
            })
        },
        || "internal error: rendering a page panicked".to_string(),
    )?;
    files.extend(pages);
    Ok(files)
}

/// Each test's page, relative to the report folder: `tests/0007-<id>-<engine>.html`. The
/// index prefix keeps pages apart when one test id runs on several engines.
fn page_paths(report: &DiffReport) -> Vec<String> {
    report
        .tests
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let slug = slug(&format!("{} {}", t.id, t.engine));
            if slug.is_empty() {
                format!("tests/{i:04}.html")
            } else {
                format!("tests/{i:04}-{slug}.html")
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------------

/// The CSS class of a verdict (`v-<class>`, `row-<class>`).
fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Identical => "identical",
        Verdict::WithinTolerance => "within_tolerance",
        Verdict::Different => "different",
        Verdict::NotCompared => "not_compared",
    }
}

/// Order of the index: what needs reading first.
fn index_rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Different => 0,
        Verdict::NotCompared => 1,
        Verdict::WithinTolerance => 2,
        Verdict::Identical => 3,
    }
}

#[derive(Serialize)]
struct Count {
    label: &'static str,
    class: &'static str,
    count: usize,
}

#[derive(Serialize)]
struct IndexRow<'a> {
    verdict: &'static str,
    class: &'static str,
    id: &'a str,
    engine: &'a str,
    model: &'a str,
    detail: String,
    href: &'a str,
}

/// The header's values, shared by the index and the test pages.
fn header(ctx: &mut Context, report: &DiffReport) {
    ctx.insert("engine", &report.engine);
    ctx.insert("version_a", &report.version_a);
    ctx.insert("version_b", &report.version_b);
    ctx.insert("rtol", &crate::compare::omv::fmt_num(report.tolerance.rtol));
    ctx.insert("atol", &crate::compare::omv::fmt_num(report.tolerance.atol));
}

fn index_context(report: &DiffReport, paths: &[String]) -> Context {
    let mut ctx = Context::new();
    header(&mut ctx, report);
    ctx.insert("started_at", &report.started_at);
    ctx.insert("duration", &duration(report.duration_s));
    ctx.insert("crosscheck_version", &report.crosscheck_version);
    ctx.insert("interrupted", &report.interrupted);
    ctx.insert("total", &report.tests.len());
    let s = &report.summary;
    let counts = [
        (Verdict::Different, s.different),
        (Verdict::WithinTolerance, s.within_tolerance),
        (Verdict::Identical, s.identical),
        (Verdict::NotCompared, s.not_compared),
    ]
    .map(|(v, count)| Count {
        label: v.label(),
        class: verdict_class(v),
        count,
    });
    ctx.insert("counts", &counts);
    let mut order: Vec<usize> = (0..report.tests.len()).collect();
    order.sort_by_key(|&i| index_rank(report.tests[i].verdict));
    let rows: Vec<IndexRow> = order
        .into_iter()
        .map(|i| {
            let t = &report.tests[i];
            IndexRow {
                verdict: t.verdict.label(),
                class: verdict_class(t.verdict),
                id: &t.id,
                engine: &t.engine,
                model: &t.model,
                detail: detail(t),
                href: &paths[i],
            }
        })
        .collect();
    ctx.insert("tests", &rows);
    ctx
}

/// The index's line for a test: its first difference, its largest one within tolerance, or
/// why nothing was compared.
fn detail(test: &TestDiff) -> String {
    match test.verdict {
        Verdict::Identical => format!("{} output(s), identical", test.outputs.len()),
        Verdict::WithinTolerance => {
            let worst = test
                .outputs
                .iter()
                .flat_map(|o| o.columns.iter().map(move |c| (o, c)))
                .filter(|(_, c)| c.diff.max_rel.is_finite() && c.diff.max_abs > 0.0)
                .max_by(|x, y| x.1.diff.max_rel.total_cmp(&y.1.diff.max_rel));
            if let Some((output, column)) = worst {
                return format!(
                    "largest difference: {} — {}",
                    output.name,
                    versions::describe_column(&column.name, &column.diff)
                );
            }
            let shifted = test
                .outputs
                .iter()
                .flat_map(|o| o.spikes.iter().map(move |s| (o, s)))
                .max_by(|x, y| x.1.diff.max_shift.total_cmp(&y.1.diff.max_shift));
            match shifted {
                Some((output, spikes)) => format!(
                    "largest shift: {} — {}",
                    output.name,
                    versions::describe_spikes(&spikes.name, &spikes.diff)
                ),
                None => test.reason.clone().unwrap_or_default(),
            }
        }
        Verdict::Different | Verdict::NotCompared => test.reason.clone().unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------------
// A test's page
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct TestView<'a> {
    id: &'a str,
    engine: &'a str,
    model: &'a str,
    file: String,
    line: usize,
    verdict: &'static str,
    class: &'static str,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct RunView<'a> {
    side: &'static str,
    key: &'static str,
    engine: &'a str,
    engine_version: &'a str,
    status: &'static str,
    duration: String,
    message: &'a str,
    output_tail: Option<&'a str>,
}

#[derive(Serialize)]
struct OutputView<'a> {
    name: &'a str,
    anchor: String,
    verdict: &'static str,
    class: &'static str,
    note: Option<&'a str>,
    /// The output's line in the outputs table.
    line: String,
    columns: Vec<ColumnRow<'a>>,
    spikes: Vec<SpikeRow<'a>>,
    /// The columns or cells not listed, when there are.
    rows_hidden: Option<String>,
    plots: Vec<PlotView>,
    plot_notes: Vec<String>,
}

#[derive(Serialize)]
struct ColumnRow<'a> {
    name: &'a str,
    class: &'static str,
    max_abs: String,
    max_abs_time: String,
    max_rel: String,
    beyond: usize,
    samples: usize,
    parting_time: String,
    parting_a: String,
    parting_b: String,
    note: &'a str,
}

#[derive(Serialize)]
struct SpikeRow<'a> {
    name: &'a str,
    class: &'static str,
    count_a: usize,
    count_b: usize,
    max_shift: String,
    first_difference: String,
}

#[derive(Serialize)]
struct PlotView {
    /// A standalone `<svg>` from plotters (which escapes its text), shown with `| safe`.
    svg: String,
    caption: String,
}

fn test_context(report: &DiffReport, i: usize, outputs: &TestOutputs) -> Context {
    let test = &report.tests[i];
    let mut ctx = Context::new();
    header(&mut ctx, report);
    ctx.insert(
        "t",
        &TestView {
            id: &test.id,
            engine: &test.engine,
            model: &test.model,
            file: test.file.display().to_string(),
            line: test.line,
            verdict: test.verdict.label(),
            class: verdict_class(test.verdict),
            reason: test.reason.as_deref(),
        },
    );
    ctx.insert(
        "runs",
        &[run_view("A", "a", &test.a), run_view("B", "b", &test.b)],
    );
    let labels = Labels::new(report, test);
    let mut views: Vec<OutputView> = test
        .outputs
        .iter()
        .enumerate()
        .map(|(k, o)| output_view(k, o))
        .collect();
    let plots_left_out = draw_plots(report, test, outputs, &labels, &mut views);
    let plotted = plots_left_out > 0 || views.iter().any(|v| !v.plots.is_empty());
    ctx.insert("outputs", &views);
    ctx.insert("plotted", &plotted);
    ctx.insert("plots_left_out", &plots_left_out);
    ctx.insert("max_plots", &MAX_PLOTS);
    ctx.insert("columns_plotted", &COLUMNS_PLOTTED);
    ctx.insert("cells_plotted", &CELLS_PLOTTED);
    ctx
}

fn run_view<'a>(side: &'static str, key: &'static str, run: &'a RunSide) -> RunView<'a> {
    RunView {
        side,
        key,
        engine: &run.engine,
        engine_version: run.engine_version.as_deref().unwrap_or(""),
        status: run.status.as_str(),
        duration: duration(run.duration_s),
        message: run.message.as_deref().unwrap_or(""),
        output_tail: run.output_tail.as_deref(),
    }
}

/// How a column or spike train compares, as a CSS class.
fn row_class(exceeds: bool, moved: bool) -> &'static str {
    if exceeds {
        "different"
    } else if moved {
        "within_tolerance"
    } else {
        "identical"
    }
}

fn output_view(k: usize, o: &OutputDiff) -> OutputView<'_> {
    let line = match o.verdict {
        Verdict::Different => super::report::output_line(o),
        _ => o.note.clone().unwrap_or_default(),
    };
    let (columns, identical_columns, more_columns) = listed(
        &o.columns,
        |c| c.diff.exceeds || c.diff.max_abs != 0.0,
        |c| column_rank(&c.diff),
    );
    let (spikes, identical_cells, more_cells) = listed(
        &o.spikes,
        |s| s.diff.exceeds || s.diff.max_shift != 0.0,
        |s| spike_rank(&s.diff),
    );
    let rows_hidden = left_out_rows("column", identical_columns, more_columns)
        .into_iter()
        .chain(left_out_rows("cell", identical_cells, more_cells))
        .reduce(|x, y| format!("{x} {y}"));
    OutputView {
        name: &o.name,
        anchor: format!("output-{k}"),
        verdict: o.verdict.label(),
        class: verdict_class(o.verdict),
        note: o.note.as_deref(),
        line,
        columns: columns
            .into_iter()
            .map(|c| column_row(&c.name, &c.diff))
            .collect(),
        spikes: spikes
            .into_iter()
            .map(|s| spike_row(&s.name, &s.diff))
            .collect(),
        rows_hidden,
        plots: Vec::new(),
        plot_notes: Vec::new(),
    }
}

/// The rows to list, in their order: those that moved (`moved`), or all when none did; at most
/// [`ROWS_LISTED`] of them, the first by `rank`. Also how many identical rows and how many
/// others were left out.
fn listed<T, K: PartialOrd>(
    items: &[T],
    moved: impl Fn(&T) -> bool,
    rank: impl Fn(&T) -> K,
) -> (Vec<&T>, usize, usize) {
    let mut keep: Vec<usize> = (0..items.len()).filter(|&i| moved(&items[i])).collect();
    let identical = if keep.is_empty() {
        keep = (0..items.len()).collect();
        0
    } else {
        items.len() - keep.len()
    };
    let mut more = 0;
    if keep.len() > ROWS_LISTED {
        keep.sort_by(|&x, &y| {
            rank(&items[x])
                .partial_cmp(&rank(&items[y]))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        more = keep.len() - ROWS_LISTED;
        keep.truncate(ROWS_LISTED);
        keep.sort_unstable();
    }
    (
        keep.into_iter().map(|i| &items[i]).collect(),
        identical,
        more,
    )
}

/// What [`listed`] left out, said in a sentence (`None` when nothing).
fn left_out_rows(what: &str, identical: usize, more: usize) -> Option<String> {
    let mut parts = Vec::new();
    if identical > 0 {
        parts.push(format!("{identical} identical {what}(s) not listed"));
    }
    if more > 0 {
        parts.push(format!(
            "{more} more {what}(s) that differ not listed (the {ROWS_LISTED} that differ most are)"
        ));
    }
    (!parts.is_empty()).then(|| format!("{}.", parts.join("; ")))
}

/// Sort key of a column, most different first: beyond tolerance, then by relative difference.
fn column_rank(d: &ColumnDiff) -> (u8, f64) {
    let rel = if d.max_rel.is_nan() { 0.0 } else { d.max_rel };
    (u8::from(!d.exceeds), -rel)
}

/// Sort key of a spike train, most different first.
fn spike_rank(d: &SpikeDiff) -> (u8, f64) {
    let shift = if d.max_shift.is_nan() {
        0.0
    } else {
        d.max_shift
    };
    (u8::from(!d.exceeds), -shift)
}

fn column_row<'a>(name: &'a str, d: &'a ColumnDiff) -> ColumnRow<'a> {
    let (parting_time, parting_a, parting_b) = match &d.first_parting {
        Some(p) => {
            let (a, b) = pair(p.a, p.b);
            (num(p.time), a, b)
        }
        None => Default::default(),
    };
    ColumnRow {
        name,
        class: row_class(d.exceeds, d.max_abs != 0.0),
        max_abs: num(d.max_abs),
        max_abs_time: if d.max_abs > 0.0 {
            num(d.max_abs_time)
        } else {
            String::new()
        },
        max_rel: num(d.max_rel),
        beyond: d.beyond,
        samples: d.samples,
        parting_time,
        parting_a,
        parting_b,
        note: d.note.as_deref().unwrap_or(""),
    }
}

fn spike_row<'a>(name: &'a str, d: &SpikeDiff) -> SpikeRow<'a> {
    let first_difference = match &d.first_difference {
        Some(p) => {
            let (a, b) = match (p.a, p.b) {
                (Some(a), Some(b)) => pair(a, b),
                (a, b) => {
                    let show = |x: Option<f64>| x.map_or("none".to_string(), num);
                    (show(a), show(b))
                }
            };
            format!("#{}: {a} vs {b}", p.index)
        }
        None => String::new(),
    };
    SpikeRow {
        name,
        class: row_class(d.exceeds, d.max_shift != 0.0),
        count_a: d.count_a,
        count_b: d.count_b,
        max_shift: num(d.max_shift),
        first_difference,
    }
}

// ---------------------------------------------------------------------------------------------
// Plots
// ---------------------------------------------------------------------------------------------

/// How the two runs are named and coloured in a test's plots.
struct Labels {
    a: String,
    b: String,
    color_a: RGBColor,
    color_b: RGBColor,
}

impl Labels {
    fn new(report: &DiffReport, test: &TestDiff) -> Self {
        let name = |run: &RunSide, version: &str| {
            if run.engine.is_empty() {
                format!("{} {version}", report.engine)
            } else {
                run.engine.clone()
            }
        };
        // Both runs are the same engine, so its colour is A's; B gets a colour that stands out
        // against it.
        let color_a = engine_color(&report.engine);
        let color_b = [
            RGBColor(230, 110, 0),
            RGBColor(214, 39, 40),
            RGBColor(148, 103, 189),
        ]
        .into_iter()
        .find(|c| *c != color_a)
        .unwrap_or(RGBColor(230, 110, 0));
        Labels {
            a: format!("A: {}", name(&test.a, &report.version_a)),
            b: format!("B: {}", name(&test.b, &report.version_b)),
            color_a,
            color_b,
        }
    }
}

/// A plot a page may draw.
enum Plan {
    /// Column `column` of table output `output`.
    Column { output: usize, column: usize },
    /// A raster of spike output `output`.
    Raster { output: usize },
}

/// Draws the plots of a test's outputs into `views`, at most [`MAX_PLOTS`] of them (those of
/// different outputs first); returns how many were left out.
fn draw_plots(
    report: &DiffReport,
    test: &TestDiff,
    outputs: &TestOutputs,
    labels: &Labels,
    views: &mut [OutputView],
) -> usize {
    let mut plans: Vec<(Verdict, Plan)> = Vec::new();
    for (k, o) in test.outputs.iter().enumerate() {
        if !matches!(o.verdict, Verdict::Different | Verdict::WithinTolerance) {
            continue;
        }
        let (Some(a), Some(b)) = (data(&outputs.a, &o.name), data(&outputs.b, &o.name)) else {
            continue;
        };
        match (a, b) {
            (OutputData::Table { .. }, OutputData::Table { .. }) => {
                for column in plotted_columns(o) {
                    plans.push((o.verdict, Plan::Column { output: k, column }));
                }
            }
            (OutputData::Spikes(_), OutputData::Spikes(_)) if !o.spikes.is_empty() => {
                plans.push((o.verdict, Plan::Raster { output: k }));
            }
            _ => {}
        }
    }
    plans.sort_by_key(|(v, _)| u8::from(*v != Verdict::Different));
    let left_out = plans.len().saturating_sub(MAX_PLOTS);
    let mut left_out_of = vec![0usize; views.len()];
    for (index, (_, plan)) in plans.iter().enumerate() {
        let output = match plan {
            Plan::Column { output, .. } | Plan::Raster { output } => *output,
        };
        if index >= MAX_PLOTS {
            left_out_of[output] += 1;
            continue;
        }
        let o = &test.outputs[output];
        let (Some(a), Some(b)) = (data(&outputs.a, &o.name), data(&outputs.b, &o.name)) else {
            continue;
        };
        let drawn = match plan {
            Plan::Column { column, .. } => column_plot(o, *column, a, b, labels),
            Plan::Raster { .. } => raster_plot(report, o, a, b, labels),
        };
        match drawn {
            Ok(plot) => views[output].plots.push(plot),
            Err(e) => views[output].plot_notes.push(e),
        }
    }
    for (view, n) in views.iter_mut().zip(left_out_of) {
        if n > 0 {
            view.plot_notes.push(format!(
                "{n} plot(s) of this output left out (at most {MAX_PLOTS} per page)."
            ));
        }
    }
    left_out
}

/// The data of the output named `name`, when it was read.
fn data<'a>(outputs: &'a [Output], name: &str) -> Option<&'a OutputData> {
    outputs
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.data.as_ref().ok())
}

/// The columns of a table output worth a plot: those that moved at all, beyond tolerance
/// first, then by relative difference; at most [`COLUMNS_PLOTTED`].
fn plotted_columns(o: &OutputDiff) -> Vec<usize> {
    let mut moved: Vec<usize> = (0..o.columns.len())
        .filter(|&c| {
            let d = &o.columns[c].diff;
            d.exceeds || d.max_abs != 0.0
        })
        .collect();
    moved.sort_by(|&x, &y| {
        column_rank(&o.columns[x].diff)
            .partial_cmp(&column_rank(&o.columns[y].diff))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    moved.truncate(COLUMNS_PLOTTED);
    moved
}

/// Both runs' column `column` overlaid, B − A below.
fn column_plot(
    o: &OutputDiff,
    column: usize,
    a: &OutputData,
    b: &OutputData,
    labels: &Labels,
) -> Result<PlotView, String> {
    let (
        OutputData::Table {
            time: time_a,
            columns: columns_a,
        },
        OutputData::Table {
            time: time_b,
            columns: columns_b,
        },
    ) = (a, b)
    else {
        return Err("not a table in both runs".into());
    };
    // The comparison pairs columns by position (A's name): so does the plot.
    let (Some((name, values_a)), Some((_, values_b))) =
        (columns_a.get(column), columns_b.get(column))
    else {
        return Err(format!("column {column} is missing from a run"));
    };
    let diff = &o.columns[column].diff;
    let points = |t: &[f64], v: &[f64]| -> Vec<(f64, f64)> {
        t.iter().copied().zip(v.iter().copied()).collect()
    };
    let (x_lo, x_hi) = span(time_a.iter().chain(time_b.iter()).copied());
    let lines = [
        Line {
            label: labels.a.clone(),
            color: labels.color_a,
            width: 4,
            opacity: 0.45,
            points: points(time_a, values_a),
        },
        Line {
            label: labels.b.clone(),
            color: labels.color_b,
            width: 1,
            opacity: 1.0,
            points: points(time_b, values_b),
        },
    ];
    let (delta, interpolated) = versions::difference_series(time_a, values_a, time_b, values_b);
    let largest = delta
        .iter()
        .map(|p| p.1.abs())
        .fold(0.0_f64, |m, d| if d > m { d } else { m });
    let differences = if delta.is_empty() {
        Vec::new()
    } else {
        vec![Line {
            label: format!(
                "B − A{} (max |Δ| {})",
                if interpolated {
                    ", B interpolated on A's times"
                } else {
                    ""
                },
                num(largest)
            ),
            color: RGBColor(0, 0, 0),
            width: 1,
            opacity: 1.0,
            points: delta,
        }]
    };
    let title = format!("{} · {}", o.name, name);
    let svg = svg::traces_with_difference(&title, "value", (x_lo, x_hi), &lines, &differences)
        .map_err(|e| format!("{}: {e}", o.columns[column].name))?;
    Ok(PlotView {
        svg,
        caption: versions::describe_column(&o.columns[column].name, diff),
    })
}

/// The (min, max) of the finite values, widened when empty or flat.
fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// Both runs' spike trains of an output, one band each, with B's spikes that have no
/// counterpart in A within the tolerance marked.
fn raster_plot(
    report: &DiffReport,
    o: &OutputDiff,
    a: &OutputData,
    b: &OutputData,
    labels: &Labels,
) -> Result<PlotView, String> {
    let (OutputData::Spikes(trains_a), OutputData::Spikes(trains_b)) = (a, b) else {
        return Err("not spikes in both runs".into());
    };
    // The differing cells first, then those that moved within tolerance, then the rest.
    let mut cells: Vec<usize> = (0..o.spikes.len()).collect();
    cells.sort_by_key(|&c| {
        let d = &o.spikes[c].diff;
        if d.exceeds {
            0
        } else if d.max_shift != 0.0 {
            1
        } else {
            2
        }
    });
    cells.truncate(CELLS_PLOTTED);
    let rows = cells.len();
    let empty = Vec::new();
    let mut band_a = RasterBand {
        label: labels.a.clone(),
        color: labels.color_a,
        rows,
        events: Vec::new(),
        missing: Vec::new(),
        extra: Vec::new(),
    };
    let mut band_b = RasterBand {
        label: labels.b.clone(),
        color: labels.color_b,
        rows,
        ..band_a.clone()
    };
    let mut times: Vec<f64> = vec![0.0];
    for (k, &c) in cells.iter().enumerate() {
        // The raster puts row 0 at the bottom: the first cell listed is drawn on top.
        let row = rows - 1 - k;
        let name = &o.spikes[c].name;
        let x = sorted(trains_a.get(name).unwrap_or(&empty));
        let y = sorted(trains_b.get(name).unwrap_or(&empty));
        band_a.events.extend(x.iter().map(|t| (row, *t)));
        band_b.events.extend(y.iter().map(|t| (row, *t)));
        if o.spikes[c].diff.exceeds {
            let scale = x
                .iter()
                .chain(&y)
                .filter(|t| t.is_finite())
                .fold(0.0_f64, |m, t| m.max(t.abs()));
            let matched = match_spikes(&y, &x, report.tolerance.allowed(scale));
            band_b
                .missing
                .extend(matched.missing.iter().map(|&i| (row, x[i])));
            band_b
                .extra
                .extend(matched.extra.iter().map(|&i| (row, y[i])));
        }
        times.extend(x.iter().chain(&y).copied());
    }
    let (lo, hi) = span(times.into_iter());
    let pad = (hi - lo) * 0.01;
    let svg = svg::raster(&o.name, (lo - pad, hi + pad), &[band_a, band_b])
        .map_err(|e| format!("{}: {e}", o.name))?;
    let shown: Vec<&str> = cells.iter().map(|&c| o.spikes[c].name.as_str()).collect();
    const NAMED: usize = 12;
    let mut caption = format!(
        "{} of {} cell(s), the differing ones first; rows from the top: {}",
        rows,
        o.spikes.len(),
        shown[..shown.len().min(NAMED)].join(", ")
    );
    if shown.len() > NAMED {
        caption.push_str(&format!(", … ({} more)", shown.len() - NAMED));
    }
    caption.push('.');
    Ok(PlotView { svg, caption })
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/// A number with at most 6 significant digits, in scientific notation when very large or small.
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-4..1e7).contains(&a) {
        let text = format!("{v:.4e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let digits = (6 - a.log10().floor() as i32 - 1).clamp(0, 9) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `x` in `digits` significant digits, as short as it prints.
fn significant(x: f64, digits: usize) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let rounded: f64 = format!("{:.*e}", digits - 1, x).parse().unwrap_or(x);
    crate::compare::omv::fmt_num(rounded)
}

/// Two values that part, each with enough digits (at least 4) that they never print alike.
fn pair(a: f64, b: f64) -> (String, String) {
    for digits in 4..17 {
        let (x, y) = (significant(a, digits), significant(b, digits));
        if x != y {
            return (x, y);
        }
    }
    (significant(a, 17), significant(b, 17))
}

fn duration(s: f64) -> String {
    if s >= 90.0 {
        format!("{} min {:.0} s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!("{s:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::versions::Tolerance;
    use crate::diff::{compare_outputs, DiffSummary};
    use crate::results::Status;
    use std::collections::BTreeMap;

    const HOSTILE: &str = "<script>alert(1)</script>";

    /// A neuron-like trace: a spike every `period` ms on a slow ramp.
    fn trace(time: &[f64], period: f64) -> Vec<f64> {
        time.iter()
            .map(|t| {
                let phase = t % period;
                if phase < 1.0 {
                    30.0 - 95.0 * phase
                } else {
                    -65.0 + 12.0 * phase / period
                }
            })
            .collect()
    }

    fn table(name: &str, time: &[f64], columns: Vec<(String, Vec<f64>)>) -> Output {
        Output {
            name: name.into(),
            sha256: Some(format!(
                "{:?}",
                columns.iter().map(|c| &c.1).collect::<Vec<_>>()
            )),
            data: Ok(OutputData::Table {
                time: time.to_vec(),
                columns,
            }),
        }
    }

    fn spikes(name: &str, trains: &[(&str, Vec<f64>)]) -> Output {
        Output {
            name: name.into(),
            sha256: None,
            data: Ok(OutputData::Spikes(
                trains
                    .iter()
                    .map(|(c, t)| (c.to_string(), t.clone()))
                    .collect::<BTreeMap<_, _>>(),
            )),
        }
    }

    fn run(engine: &str, status: Status) -> RunSide {
        RunSide {
            engine: engine.into(),
            engine_version: Some(format!("jNeuroML 0.14.0; {engine}")),
            status,
            message: None,
            duration_s: 2.5,
            output_tail: None,
        }
    }

    /// A test whose verdict and reason follow from its outputs, as `compare_test` has them.
    fn test(id: &str, model: &str, a: Vec<Output>, b: Vec<Output>) -> (TestDiff, TestOutputs) {
        let compared = compare_outputs(&a, &b, Tolerance::DEFAULT);
        let verdict = if compared.iter().any(|o| o.verdict == Verdict::Different) {
            Verdict::Different
        } else if compared
            .iter()
            .any(|o| o.verdict == Verdict::WithinTolerance)
        {
            Verdict::WithinTolerance
        } else {
            Verdict::Identical
        };
        let reason = compared
            .iter()
            .find(|o| o.verdict == Verdict::Different)
            .map(crate::diff::report::output_line);
        let diff = TestDiff {
            id: id.into(),
            engine: "jNeuroML_NEURON".into(),
            model: model.into(),
            file: PathBuf::from(format!("{id}/.test.omt")),
            line: 1,
            verdict,
            reason,
            a: run("jNeuroML_NEURON:8.2.7", Status::Pass),
            b: run("jNeuroML_NEURON:9.0.2", Status::Pass),
            outputs: compared,
        };
        (diff, TestOutputs { a, b })
    }

    fn fixture(hostile: bool) -> (DiffReport, Vec<TestOutputs>) {
        let time: Vec<f64> = (0..4001).map(|k| k as f64 * 0.05).collect();
        let v = trace(&time, 20.0);
        let same = table("same.dat", &time, vec![("column 1".into(), v.clone())]);
        // B's neuron fires a little later from the second spike on; column 2 moves slightly.
        let v_b: Vec<f64> = time
            .iter()
            .zip(trace(&time, 20.3))
            .zip(&v)
            .map(|((t, late), early)| if *t < 20.0 { *early } else { late })
            .collect();
        let w: Vec<f64> = time.iter().map(|t| (t / 10.0).sin()).collect();
        let w_b: Vec<f64> = w.iter().map(|x| x * (1.0 + 2e-6)).collect();
        let name = if hostile { HOSTILE } else { "v.dat" };
        let table_a = table(
            name,
            &time,
            vec![("column 1".into(), v.clone()), ("column 2".into(), w)],
        );
        let table_b = table(
            name,
            &time,
            vec![("column 1".into(), v_b), ("column 2".into(), w_b)],
        );
        let mut trains_a = Vec::new();
        let mut trains_b = Vec::new();
        let names: Vec<String> = (0..60).map(|c| format!("pop[{c}]")).collect();
        for (c, cell) in names.iter().enumerate() {
            let train: Vec<f64> = (0..8)
                .map(|k| 5.0 + c as f64 * 0.7 + k as f64 * 24.0)
                .collect();
            let mut moved = train.clone();
            if c % 7 == 3 {
                moved[5] += 1.5;
            }
            if c == 10 {
                moved.pop();
            }
            trains_a.push((cell.as_str(), train));
            trains_b.push((cell.as_str(), moved));
        }
        let (id, model) = if hostile {
            (HOSTILE, HOSTILE)
        } else {
            ("hh_step", "HH step current")
        };
        let tests = vec![
            test("identical", "Izhikevich", vec![same.clone()], vec![same]),
            test(id, model, vec![table_a], vec![table_b]),
            test(
                "network",
                "balanced network",
                vec![spikes("pop spikes", &trains_a)],
                vec![spikes("pop spikes", &trains_b)],
            ),
        ];
        let (mut diffs, outputs): (Vec<TestDiff>, Vec<TestOutputs>) = tests.into_iter().unzip();
        let mut crashed = diffs[0].clone();
        crashed.id = "crashed".into();
        crashed.verdict = Verdict::Different;
        crashed.outputs.clear();
        crashed.b.status = Status::Error;
        crashed.b.message = Some("exit code 1".into());
        crashed.b.output_tail = Some(format!("Traceback: {HOSTILE}\nNEURON: segfault"));
        crashed.reason = Some("error on jNeuroML_NEURON:9.0.2: exit code 1".into());
        diffs.push(crashed);
        let summary = DiffSummary {
            identical: 1,
            within_tolerance: 0,
            different: 3,
            not_compared: 0,
        };
        let report = DiffReport {
            crosscheck_version: "0.0.0-test".into(),
            engine: "NEURON".into(),
            version_a: "8.2.7".into(),
            version_b: "9.0.2".into(),
            tolerance: Tolerance::DEFAULT,
            started_at: "2025-01-01T12:00:00+01:00".into(),
            duration_s: 125.0,
            interrupted: false,
            summary,
            tests: diffs,
        };
        (report, outputs)
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    fn page(dir: &Path, i: usize) -> String {
        let paths = std::fs::read_dir(dir.join("tests"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{i:04}"))
            })
            .collect::<Vec<_>>();
        assert_eq!(paths.len(), 1, "{paths:?}");
        read(&paths[0])
    }

    #[test]
    fn renders_an_index_and_a_page_per_test_with_plots_of_what_differs() {
        let (report, outputs) = fixture(false);
        assert_eq!(report.tests[0].verdict, Verdict::Identical);
        assert_eq!(report.tests[1].verdict, Verdict::Different);
        assert_eq!(report.tests[2].verdict, Verdict::Different);
        let dir = tempfile::tempdir().unwrap();
        let index = write(&report, &outputs, dir.path()).unwrap();
        assert_eq!(index, dir.path().join("index.html"));
        let html = read(&index);
        assert!(
            html.contains("NEURON 8.2.7 (A) against 9.0.2 (B)"),
            "{html}"
        );
        assert!(html.contains("id=\"count-different\">3<"));
        assert!(html.contains("id=\"count-identical\">1<"));
        // Different tests first, each with its first difference.
        let different = html.find("hh_step").unwrap();
        assert!(different < html.find(">identical<").unwrap());
        assert!(html.contains("v.dat: column 1: max |Δ|"));
        assert!(html.contains("1 output(s), identical"));
        // tera escapes `/` too; the browser reads it back.
        assert!(html.contains("href=\"tests&#x2F;0001-hh-step-jneuroml-neuron.html\""));
        for sub in ["assets/report.css", "assets/diff.css"] {
            assert!(dir.path().join(sub).is_file(), "{sub}");
        }

        let identical = page(dir.path(), 0);
        assert!(
            !identical.contains("<svg"),
            "nothing differs, nothing drawn"
        );
        assert!(identical.contains("same.dat"));

        let table = page(dir.path(), 1);
        assert_eq!(
            table.matches("<svg").count(),
            2,
            "both moved columns plotted"
        );
        assert!(table.contains("A: jNeuroML_NEURON:8.2.7"));
        assert!(table.contains("B: jNeuroML_NEURON:9.0.2"));
        assert!(table.contains("B − A"));
        // The column beyond tolerance comes first, with where it parts.
        let first = table.find("v.dat · column 1").unwrap();
        assert!(first < table.find("v.dat · column 2").unwrap());
        assert!(
            table.contains("first parts at t=20"),
            "caption from describe_column"
        );

        let network = page(dir.path(), 2);
        assert_eq!(network.matches("<svg").count(), 1, "one raster");
        assert!(network.contains("50 of 60 cell(s), the differing ones first"));
        assert!(network.contains("rows from the top: pop[10], pop[17], pop[24], pop[31],"));
        assert!(network.contains("<td class=\"num\">8</td><td class=\"num\">7</td>"));
        assert!(network.contains("<circle"), "missing spikes ringed");
        assert!(network.contains("51 identical cell(s) not listed."));
        assert!(
            !network.contains("pop[0]<"),
            "an identical cell is not listed"
        );

        let crashed = page(dir.path(), 3);
        assert!(crashed.contains("Output of run B (tail)"));
        assert!(crashed.contains("NEURON: segfault"));
        assert!(crashed.contains("st-error"));
    }

    #[test]
    fn hostile_names_are_escaped_everywhere() {
        let (report, outputs) = fixture(true);
        let dir = tempfile::tempdir().unwrap();
        write(&report, &outputs, dir.path()).unwrap();
        let mut pages = vec![read(&dir.path().join("index.html"))];
        for entry in std::fs::read_dir(dir.path().join("tests")).unwrap() {
            pages.push(read(&entry.unwrap().path()));
        }
        for html in &pages {
            assert!(!html.contains("<script"), "raw script in {html}");
            assert!(!html.contains(HOSTILE));
        }
        assert!(pages[0].contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
        let table = page(dir.path(), 1);
        assert!(table.contains("<svg"));
        assert!(table.contains("&lt;script&gt;"));
        // The page name is a slug.
        assert!(dir
            .path()
            .join("tests/0001-script-alert-1-script-jneuroml-neuron.html")
            .is_file());
    }

    #[test]
    fn writing_twice_into_the_same_folder_works_and_removes_stale_pages() {
        let (mut report, outputs) = fixture(false);
        let dir = tempfile::tempdir().unwrap();
        write(&report, &outputs, dir.path()).unwrap();
        check_dir(dir.path()).unwrap();
        let last = dir.path().join("tests/0003-crashed-jneuroml-neuron.html");
        assert!(last.is_file());
        report.tests.pop();
        write(&report, &outputs, dir.path()).unwrap();
        assert!(!last.exists(), "a stale page of our own is removed");
        let manifest = read(&dir.path().join(crate::report::html::MANIFEST));
        assert!(manifest.contains("tests/0002-network-jneuroml-neuron.html"));
        assert!(!manifest.contains("0003"));
    }

    #[test]
    fn a_folder_with_foreign_files_is_refused() {
        let (report, outputs) = fixture(false);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "my website").unwrap();
        assert!(check_dir(dir.path()).unwrap_err().contains("index.html"));
        assert!(write(&report, &outputs, dir.path()).is_err());
        assert_eq!(read(&dir.path().join("index.html")), "my website");

        // A report's folder with a file its manifest does not list, where a page would go.
        let dir = tempfile::tempdir().unwrap();
        write(&report, &outputs, dir.path()).unwrap();
        let foreign = dir.path().join("assets/diff.css");
        std::fs::write(
            dir.path().join(crate::report::html::MANIFEST),
            "index.html\n",
        )
        .unwrap();
        std::fs::write(&foreign, "mine").unwrap();
        let e = write(&report, &outputs, dir.path()).unwrap_err();
        assert!(e.contains("not written by a crosscheck report"), "{e}");
        assert_eq!(read(&foreign), "mine");
    }

    #[test]
    fn page_limits_count_what_they_leave_out() {
        let time: Vec<f64> = (0..200).map(|k| k as f64).collect();
        let many = |shift: f64| {
            (0..8)
                .map(|k| {
                    table(
                        &format!("out{k}.dat"),
                        &time,
                        (0..6)
                            .map(|c| {
                                let v = time.iter().map(|t| t + c as f64 + shift).collect();
                                (format!("column {c}"), v)
                            })
                            .collect(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let (diff, outputs) = test("many", "many outputs", many(0.0), many(1.0));
        let (report, _) = fixture(false);
        let report = DiffReport {
            tests: vec![diff],
            ..report
        };
        let ctx = test_context(&report, 0, &outputs);
        assert_eq!(ctx.get("plots_left_out").unwrap(), 8 * 4 - MAX_PLOTS);
        let html = templates().unwrap().render("test.html", &ctx).unwrap();
        assert_eq!(html.matches("<svg").count(), MAX_PLOTS);
        assert!(html.contains("12 plot(s) left out"));
    }

    #[test]
    fn value_pairs_get_just_enough_digits() {
        assert_eq!(
            pair(-63.0001, -63.0002),
            ("-63.0001".into(), "-63.0002".into())
        );
        assert_eq!(pair(-63.0, -60.0), ("-63".into(), "-60".into()));
        assert_eq!(num(2.0e-6), "2e-6");
        assert_eq!(num(-1.25e9), "-1.25e9");
        assert_eq!(num(94.28391), "94.2839");
    }

    /// Writes the sample report to look at in a browser:
    /// `CROSSCHECK_DIFF_HTML_SAMPLE=DIR cargo test --lib sample_report -- --ignored`.
    #[test]
    #[ignore = "writes a sample report for people to look at"]
    fn sample_report() {
        let dir = std::env::var_os("CROSSCHECK_DIFF_HTML_SAMPLE")
            .expect("set CROSSCHECK_DIFF_HTML_SAMPLE to the folder to write into");
        let (report, outputs) = fixture(false);
        let index = write(&report, &outputs, Path::new(&dir)).unwrap();
        assert!(index.is_file());
        eprintln!("{}", index.display());
    }
}
