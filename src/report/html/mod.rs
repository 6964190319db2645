//! The HTML report: an index page (summary, model × engine matrix with filters) and a page per
//! job (expectations against observations, traces, rasters, histograms, agreement heatmap,
//! commands and output), readable from `file://` with no network.
//!
//! Safety: everything shown comes from suites, model files and simulator output, which a
//! report must never execute. Templates are tera templates named `*.html`, so tera escapes
//! every value; no template uses `|safe`. Plots are separate SVG files shown with `<img>`
//! (a browser runs no script inside an image), and every page carries a Content Security
//! Policy that allows only the report's own stylesheet and script.
//!
//! Ownership: the report writes into its folder only `index.html`, `assets/`, `tests/` and a
//! manifest (`.crosscheck-report`) listing what it wrote. It refuses to overwrite a file it did
//! not write (an unrelated `index.html`, say), and removes stale files of its own earlier
//! reports only when its manifest lists them.

mod convergence;
pub(crate) mod page;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tera::Tera;

use crate::results::RunReport;

/// The manifest of files a report wrote, one relative path a line.
pub const MANIFEST: &str = ".crosscheck-report";

const INDEX_TEMPLATE: &str = include_str!("templates/index.html");
const TEST_TEMPLATE: &str = include_str!("templates/test.html");
const CONVERGENCE_TEMPLATE: &str = include_str!("templates/convergence.html");
const CSS: &str = include_str!("templates/report.css");
const JS: &str = include_str!("templates/report.js");

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    /// The report's folder is a file.
    #[error("{0} is a file, not a folder: give the HTML report a folder")]
    NotADirectory(PathBuf),
    /// The report's folder cannot be created, or no file can be created in it.
    #[error("cannot write the HTML report into {path}: {source}")]
    NotWritable {
        /// The report's folder.
        path: PathBuf,
        /// Why creating the folder or a probe file in it failed.
        source: std::io::Error,
    },
    /// A file or folder where the report would write was not written by a crosscheck report
    /// (no manifest, or not listed in it).
    #[error(
        "{0} exists and was not written by a crosscheck report; not overwriting it (choose an empty folder, or remove it)"
    )]
    Foreign(PathBuf),
    /// Writing a file of the report failed (disk full, a folder in the way).
    #[error("could not write {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A page template failed to load or render (also reported when rendering a page panicked).
    #[error("report template: {0}")]
    Template(#[from] tera::Error),
    /// An SVG plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] crate::plot::svg::PlotError),
}

/// Checks, before anything runs, that `dir` can take a report: it is a folder or can be
/// created, it is writable, and it holds no unrelated `index.html`, `assets/` or `tests/`.
/// Creates the folder.
pub fn check_dir(dir: &Path) -> Result<(), HtmlError> {
    if dir.exists() && !dir.is_dir() {
        return Err(HtmlError::NotADirectory(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(|source| HtmlError::NotWritable {
        path: dir.to_path_buf(),
        source,
    })?;
    // Creating a file is the only reliable writability test (permissions, read-only mounts).
    let probe = dir.join(format!(".crosscheck-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|source| HtmlError::NotWritable {
        path: dir.to_path_buf(),
        source,
    })?;
    let _ = std::fs::remove_file(&probe);
    let owned = read_manifest(dir);
    if owned.is_none() {
        for name in ["index.html", "assets", "tests"] {
            let path = dir.join(name);
            if path.exists() {
                return Err(HtmlError::Foreign(path));
            }
        }
    }
    Ok(())
}

/// The files an earlier report in `dir` wrote, or `None` when no report was written there
/// (shared by the run and diff reports: either may take a folder the other wrote).
pub(crate) fn read_manifest(dir: &Path) -> Option<BTreeSet<String>> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            // Only plain relative paths of the report's own layout; nothing can point outside.
            .filter(|l| {
                Path::new(l)
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            })
            .map(str::to_string)
            .collect(),
    )
}

fn templates() -> Result<Tera, HtmlError> {
    let mut tera = Tera::default();
    // Names end in `.html`: tera autoescapes every value rendered into them.
    tera.add_raw_templates(vec![
        ("index.html", INDEX_TEMPLATE),
        ("test.html", TEST_TEMPLATE),
        ("convergence.html", CONVERGENCE_TEMPLATE),
    ])?;
    Ok(tera)
}

/// A file of the report: its path relative to the report folder and its content.
struct Output {
    path: String,
    bytes: Vec<u8>,
}

/// Writes the report of `report` into `dir` and returns the index page's path.
pub fn write(dir: &Path, report: &RunReport) -> Result<PathBuf, HtmlError> {
    check_dir(dir)?;
    let previous = read_manifest(dir).unwrap_or_default();
    let outputs = render(report)?;
    // Refuse before writing anything if one of our files would replace a foreign one.
    for out in &outputs {
        let path = dir.join(&out.path);
        if path.exists() && !previous.contains(&out.path) {
            return Err(HtmlError::Foreign(path));
        }
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| HtmlError::Io { path, source }
    };
    let mut written: BTreeSet<String> = BTreeSet::new();
    for sub in ["assets", "tests"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(io(&dir.join(sub)))?;
    }
    // The manifest first names everything we are about to write, so an interrupted write still
    // leaves a folder the next report recognises as its own.
    let mut manifest = String::from("# files written by a crosscheck HTML report\n");
    for out in outputs
        .iter()
        .map(|o| o.path.as_str())
        .chain(previous.iter().map(String::as_str))
    {
        if written.insert(out.to_string()) {
            manifest.push_str(out);
            manifest.push('\n');
        }
    }
    crate::fsutil::write_whole(&dir.join(MANIFEST), manifest.as_bytes())
        .map_err(io(&dir.join(MANIFEST)))?;
    write_all(dir, &outputs)?;
    // Stale files of earlier reports (a test that is gone): ours, so they may go.
    let current: BTreeSet<&str> = outputs.iter().map(|o| o.path.as_str()).collect();
    for stale in previous.iter().filter(|p| !current.contains(p.as_str())) {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let mut manifest = String::from("# files written by a crosscheck HTML report\n");
    for out in &current {
        manifest.push_str(out);
        manifest.push('\n');
    }
    crate::fsutil::write_whole(&dir.join(MANIFEST), manifest.as_bytes())
        .map_err(io(&dir.join(MANIFEST)))?;
    Ok(dir.join("index.html"))
}

/// Writes the files on two threads (a report can be thousands of small files).
fn write_all(dir: &Path, outputs: &[Output]) -> Result<(), HtmlError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let chunk = outputs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = outputs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    for out in part {
                        let path = dir.join(&out.path);
                        // Whole or not at all: a full disk must not leave half a page.
                        crate::fsutil::write_whole(&path, &out.bytes)
                            .map_err(|source| HtmlError::Io { path, source })?;
                    }
                    Ok::<(), HtmlError>(())
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap_or(Ok(()))?;
        }
        Ok(())
    })
}

/// Every file of the report, in memory.
fn render(report: &RunReport) -> Result<Vec<Output>, HtmlError> {
    let tera = templates()?;
    let pages = page::Pages::new(report);
    let mut outputs = vec![
        Output {
            path: "assets/report.css".into(),
            bytes: CSS.as_bytes().to_vec(),
        },
        Output {
            path: "assets/report.js".into(),
            bytes: JS.as_bytes().to_vec(),
        },
        Output {
            path: "index.html".into(),
            bytes: tera
                .render("index.html", &pages.index_context()?)?
                .into_bytes(),
        },
    ];
    // Rows' plots, then pages: each step is independent per item, so it runs on several
    // threads (a report can have thousands of pages).
    let row_plots = parallel(pages.row_count(), |r| pages.row_plots(r), page_panicked)?;
    let mut rendered = parallel(
        report.tests.len(),
        |i| {
            let plots = &row_plots[pages.row_index(i)];
            let context = pages.test_context(i, plots)?;
            Ok(Output {
                path: pages.test_path(i),
                bytes: tera.render("test.html", &context)?.into_bytes(),
            })
        },
        page_panicked,
    )?;
    outputs.append(&mut rendered);
    let convergence_plots = convergence::plot_files(report)?;
    for plots in row_plots {
        outputs.extend(plots.files.into_iter().map(|(path, svg)| Output {
            path,
            bytes: svg.into_bytes(),
        }));
    }
    outputs.extend(convergence_plots.into_iter().map(|(path, svg)| Output {
        path,
        bytes: svg.into_bytes(),
    }));
    Ok(outputs)
}

/// `f(0..n)` on up to four threads, in order; the first error wins. A panicking page becomes
/// the error `panicked()` gives (rendering pages and plots is where report time goes).
pub(crate) fn parallel<T, E, F>(n: usize, f: F, panicked: fn() -> E) -> Result<Vec<T>, E>
where
    T: Send,
    E: Send,
    F: Fn(usize) -> Result<T, E> + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(4));
    let indices: Vec<usize> = (0..n).collect();
    let chunk = n.div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<T>, E>> = std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                scope.spawn(move || part.iter().map(|&i| f(i)).collect())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(panicked())))
            .collect()
    });
    let mut out = Vec::with_capacity(n);
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// The error of a page whose rendering panicked.
fn page_panicked() -> HtmlError {
    HtmlError::Template(tera::Error::msg(
        "internal error: rendering a page panicked",
    ))
}

/// How the terminal shows the index page: a `file://` URL (clickable in most terminals).
pub fn display_path(index: &Path) -> String {
    page::file_url(index)
}

/// Renders the index page and the page of test `index` to strings (for tests).
pub fn render_pages(report: &RunReport, index: usize) -> Result<(String, String), HtmlError> {
    let tera = templates()?;
    let pages = page::Pages::new(report);
    let index_html = tera.render("index.html", &pages.index_context()?)?;
    let plots = pages.row_plots(pages.row_index(index))?;
    let context = pages.test_context(index, &plots)?;
    Ok((index_html, tera.render("test.html", &context)?))
}

#[cfg(test)]
mod tests;
