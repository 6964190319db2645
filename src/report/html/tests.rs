use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::results::{
    Agreement, Convergence, ConvergencePoint, DifferenceSeries, EngineConvergence, PairAgreement,
    PairCheck, PlotData, PopulationSummary, SpikeSeries, TraceSeries,
};
use crate::results::{
    CheckStatus, CommandRecord, ObservableResult, Status, Summary, TestResult, Value,
};

/// A convergence entry: one exact engine, one first-order, one failing; `text` in every
/// free-text field.
fn convergence(text: &str, file: PathBuf) -> Convergence {
    let engine = |name: &str, errors: [f64; 3], exact: bool, status| EngineConvergence {
        engine: name.to_string(),
        status,
        points: [0.1, 0.05, 0.025]
            .iter()
            .zip(errors)
            .map(|(dt, e)| ConvergencePoint {
                dt_ms: *dt,
                error: Some(e),
            })
            .collect(),
        order: (!exact).then_some(1.0),
        r_squared: None,
        exact,
        message: text.to_string(),
    };
    Convergence {
        suite: text.into(),
        file,
        line: 40,
        what: text.into(),
        order_band: [0.9, 1.1],
        exact_below: 1e-8,
        engines: vec![
            engine("NEURON", [4e-10, 4e-10, 4e-10], true, CheckStatus::Pass),
            engine("NEST", [4e-3, 2e-3, 1e-3], false, CheckStatus::Pass),
            engine(text, [4e-3, 3.9e-3, 3.8e-3], false, CheckStatus::Fail),
        ],
    }
}

const EVIL: &str = "<script>alert(1)</script> \"quoted\" & <img src=x onerror=alert(2)>";

fn result(model: &str, engine: &str, status: Status) -> TestResult {
    TestResult {
        model: model.to_string(),
        file: PathBuf::from(format!("/suites/{model}.crosscheck.yaml")),
        engine_version: Some(format!("{engine} 1.0")),
        duration_s: 1.5,
        message: (status != Status::Pass).then(|| "v cell 0: off by 3 mV".to_string()),
        ..TestResult::new(format!("{model}.crosscheck.yaml"), engine, status)
    }
}

fn trace(cell: u32, shift: f32) -> TraceSeries {
    let time_ms: Vec<f32> = (0..400).map(|i| i as f32 * 0.25).collect();
    let values = time_ms
        .iter()
        .map(|t| {
            if (t + shift) % 20.0 < 0.5 {
                20.0
            } else {
                -65.0 + (t % 20.0)
            }
        })
        .collect();
    TraceSeries {
        population: "cell".into(),
        variable: "v".into(),
        unit: "mV".into(),
        cell,
        time_ms,
        values,
        samples: 4000,
    }
}

fn spikes(shift: f32) -> SpikeSeries {
    SpikeSeries {
        population: "cell".into(),
        cells: vec![0],
        events: (0..5).map(|k| (0, 20.0 * k as f32 + shift)).collect(),
        total: 5,
    }
}

/// A run whose every text field carries markup, quotes and ampersands.
fn evil_report() -> RunReport {
    let mut a = result(EVIL, "NEST", Status::Fail);
    a.file = PathBuf::from(format!("/x/{EVIL}.crosscheck.yaml"));
    a.id = EVIL.to_string();
    a.message = Some(EVIL.to_string());
    a.output_tail = Some(format!("Traceback\n{EVIL}\n"));
    a.engine_version = Some(EVIL.to_string());
    a.commands = vec![CommandRecord {
        argv: vec!["python".into(), EVIL.into()],
        cwd: PathBuf::from(format!("/tmp/{EVIL}")),
        exit_code: Some(1),
        signal: None,
        duration_s: 0.2,
        jvm: Some(crate::results::Jvm::Cold),
        cold_jvm_reason: Some(EVIL.into()),
    }];
    a.workdir = Some(PathBuf::from(format!("/tmp/{EVIL}")));
    a.observables = vec![ObservableResult {
        experiment: EVIL.into(),
        observable: "spike times".into(),
        status: CheckStatus::Fail,
        tolerance: 0.01,
        expected: Some(Value::List(vec![10.0, 20.0, 30.0])),
        observed: Some(Value::List(vec![10.0, 25.0])),
        message: EVIL.into(),
        min_passing_tolerance: None,
        file: PathBuf::from(EVIL),
        line: 3,
    }];
    a.plots = Some(Box::new(PlotData {
        traces: vec![TraceSeries {
            population: EVIL.into(),
            ..trace(0, 0.0)
        }],
        spikes: vec![SpikeSeries {
            population: EVIL.into(),
            ..spikes(0.0)
        }],
        duration_ms: 100.0,
        ..PlotData::default()
    }));
    let mut versions = BTreeMap::new();
    versions.insert(EVIL.to_string(), EVIL.to_string());
    let tests = vec![a];
    RunReport {
        schema_version: RunReport::SCHEMA_VERSION,
        crosscheck_version: "0.1.0".into(),
        started_at: EVIL.into(),
        duration_s: 3.0,
        jobs: 2,
        hostname: Some(EVIL.into()),
        interrupted: false,
        versions,
        summary: Summary::from_results(&tests),
        agreement: vec![Agreement {
            suite: EVIL.into(),
            file: tests[0].file.clone(),
            engines: vec!["NEST".into(), EVIL.into()],
            matrix: vec![
                vec!["-".into(), "fail".into()],
                vec!["fail".into(), "-".into()],
            ],
            pairs: vec![PairAgreement {
                a: "NEST".into(),
                b: EVIL.into(),
                status: CheckStatus::Fail,
                checks: vec![PairCheck {
                    what: EVIL.into(),
                    passed: false,
                    message: EVIL.into(),
                }],
            }],
        }],
        convergence: vec![convergence(EVIL, tests[0].file.clone())],
        tests,
        history: None,
    }
}

/// No live markup from the data: no tag from it opens, and its escaped forms are there.
fn assert_inert(html: &str) {
    assert!(!html.contains("<script>alert"), "live script tag");
    assert!(!html.contains("<img src=x"), "live img tag");
    assert!(
        !html.contains("\"quoted\""),
        "unescaped quote could end an attribute"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    assert!(html.contains("&quot;quoted&quot; &amp; "));
    // The only scripts are the report's own file (index) or none (test pages).
    let scripts = html.matches("<script").count();
    assert!(scripts <= 1, "{scripts} script tags");
    if scripts == 1 {
        assert!(html.contains("<script src=\"assets/report.js\"></script>"));
    }
}

#[test]
fn values_from_suites_models_and_output_are_escaped() {
    let report = evil_report();
    let (index, page) = render_pages(&report, 0).unwrap();
    assert_inert(&index);
    assert_inert(&page);
    // The escaped values really are shown (not dropped).
    assert!(page.contains("Traceback"));
    assert!(
        index.matches("&lt;script&gt;").count() >= 3,
        "model, id, version, host"
    );
}

#[test]
fn plots_of_evil_names_are_inert_images() {
    let report = evil_report();
    let outputs = render(&report).unwrap();
    let svgs: Vec<&Output> = outputs
        .iter()
        .filter(|o| o.path.ends_with(".svg"))
        .collect();
    assert!(
        svgs.len() >= 3,
        "trace, raster of the suite, raster of the observable"
    );
    for svg in svgs {
        let text = String::from_utf8_lossy(&svg.bytes);
        assert!(!text.contains("<script"), "{}", svg.path);
        assert!(!text.contains("<img"), "{}", svg.path);
    }
    // File names come from slugs: nothing of the markup reaches a path.
    assert!(outputs.iter().all(|o| o
        .path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-._".contains(c))));
}

fn good_report() -> RunReport {
    let mut tests = Vec::new();
    for (engine, status, shift) in [
        ("NEURON", Status::Pass, 0.0),
        ("NEST", Status::Fail, 3.0),
        ("Brian2", Status::Pass, 0.0),
    ] {
        let mut t = result("hh_step", engine, status);
        t.plots = Some(Box::new(PlotData {
            traces: vec![trace(0, shift)],
            spikes: vec![spikes(shift)],
            reference_traces: vec![trace(0, 0.0)],
            reference_spikes: vec![spikes(0.0)],
            exact_traces: vec![],
            differences: vec![DifferenceSeries {
                population: "cell".into(),
                variable: "v".into(),
                unit: "mV".into(),
                cell: 0,
                against: "reference".into(),
                time_ms: vec![0.0, 50.0, 100.0],
                values: vec![0.0, shift, 0.0],
                max_abs: shift as f64,
            }],
            spike_window_ms: Some(1.0),
            duration_ms: 100.0,
            populations: vec![],
        }));
        tests.push(t);
    }
    tests.push(result("lif", "NEST", Status::Skip));
    RunReport {
        schema_version: RunReport::SCHEMA_VERSION,
        crosscheck_version: "0.1.0".into(),
        started_at: "2026-11-26T03:10:00+00:00".into(),
        duration_s: 12.0,
        jobs: 2,
        hostname: Some("ci".into()),
        interrupted: false,
        versions: BTreeMap::new(),
        summary: Summary::from_results(&tests),
        tests,
        agreement: vec![],
        convergence: vec![],
        history: None,
    }
}

/// The exact answer of an analytic check is a line of its trace plot, labelled; a suite
/// without one has no such line.
#[test]
fn an_analytic_checks_exact_answer_is_drawn_with_the_traces() {
    let drawn = |report: &RunReport| {
        render(report)
            .unwrap()
            .iter()
            .filter(|o| String::from_utf8_lossy(&o.bytes).contains("exact answer"))
            .count()
    };
    assert_eq!(drawn(&good_report()), 0);
    let mut report = good_report();
    if let Some(plots) = report.tests[1].plots.as_mut() {
        plots.exact_traces = vec![trace(0, 0.5)];
    }
    assert_eq!(drawn(&report), 1, "one trace plot of the suite's page");
}

#[test]
fn a_convergence_check_gets_its_plot_on_the_index_and_its_suites_pages() {
    let mut report = good_report();
    let file = report.tests[0].file.clone();
    report.convergence = vec![convergence("rc_step", file)];
    let outputs = render(&report).unwrap();
    let svg = outputs
        .iter()
        .find(|o| o.path == "tests/convergence-000.svg")
        .expect("the convergence plot");
    let svg = String::from_utf8_lossy(&svg.bytes);
    for label in ["NEURON (exact)", "NEST", "expected order 1"] {
        assert!(svg.contains(label), "{label} missing from the plot");
    }
    let (index, page) = render_pages(&report, 0).unwrap();
    assert!(index.contains("<section id=\"convergence\">"));
    assert!(
        index.contains("src=\"tests&#x2F;convergence-000.svg\""),
        "{index}"
    );
    assert!(index.contains("check(s) out of their order band"));
    assert!(page.contains("src=\"convergence-000.svg\""));
    // A page of another suite does not show it.
    let other = report
        .tests
        .iter()
        .position(|t| t.file != report.tests[0].file);
    if let Some(other) = other {
        let (_, page) = render_pages(&report, other).unwrap();
        assert!(!page.contains("convergence-000.svg"));
    }
}

#[test]
fn a_suite_run_is_drawn_once_with_the_shifted_engine_marked() {
    let report = good_report();
    let outputs = render(&report).unwrap();
    let page = outputs
        .iter()
        .find(|o| o.path == "tests/0001-hh-step-nest.html")
        .expect("page of NEST");
    let html = String::from_utf8_lossy(&page.bytes);
    assert!(html.contains("hh_step on NEST"));
    assert!(
        html.contains("0000-hh-step-neuron.html"),
        "links to the sibling engines"
    );
    // The three engines' pages show the same two plots of their suite run.
    for engine in ["neuron", "nest", "brian2"] {
        let page = outputs
            .iter()
            .find(|o| o.path.ends_with(&format!("hh-step-{engine}.html")))
            .unwrap();
        let html = String::from_utf8_lossy(&page.bytes);
        assert!(html.contains("src=\"row0000-0.svg\""), "{html}");
        assert!(html.contains("src=\"row0000-1.svg\""));
    }
    let svgs = outputs.iter().filter(|o| o.path.ends_with(".svg")).count();
    assert_eq!(
        svgs, 2,
        "one trace plot and one raster for the suite run, none for the skip"
    );
    let raster = outputs
        .iter()
        .find(|o| o.path == "tests/row0000-1.svg")
        .expect("raster");
    let svg = String::from_utf8_lossy(&raster.bytes);
    // NEST is 3 ms off its reference with a 1 ms window: its 5 spikes are each missing (ring)
    // and extra (cross); NEURON and Brian2 match theirs and get no mark.
    assert!(svg.contains("NEST (vs its reference)"), "{svg}");
    assert!(svg.contains("reference (NEURON)"));
    assert_eq!(svg.matches("<circle").count(), 5, "missing spikes marked");
    let trace = outputs
        .iter()
        .find(|o| o.path == "tests/row0000-0.svg")
        .unwrap();
    let svg = String::from_utf8_lossy(&trace.bytes);
    assert!(svg.contains("NEST − reference (max |Δ| 3)"), "{svg}");
}

#[test]
fn a_network_run_gets_rate_bars_with_the_seed_band() {
    let mut report = good_report();
    for (k, t) in report.tests.iter_mut().enumerate() {
        if let Some(plots) = t.plots.as_mut() {
            plots.populations = vec![PopulationSummary {
                population: "cell".into(),
                mean_rate: 40.0 + k as f64,
                seed_band: Some((38.5, 42.5)),
                band_engine: Some("NEST".into()),
                published: Some(41.25),
            }];
            // Three cells firing irregularly, partly together.
            let events: Vec<(u32, f32)> = (0..60u32)
                .map(|k| (k % 3, (k * k % 97) as f32 + k as f32 * 0.5))
                .collect();
            let mut events = events;
            events.sort_by(|a, b| a.1.total_cmp(&b.1));
            plots.spikes = vec![SpikeSeries {
                population: "cell".into(),
                cells: vec![0, 1, 2],
                total: events.len(),
                events,
            }];
        }
    }
    let outputs = render(&report).unwrap();
    let bars = outputs
        .iter()
        .filter(|o| o.path.ends_with(".svg"))
        .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
        .find(|svg| svg.contains("cell mean rate per simulator"))
        .expect("a bar chart");
    assert!(bars.contains("NEST over its seeds"), "{bars}");
    // The published figure is drawn and named in the legend.
    assert!(bars.contains("\npublished\n"), "{bars}");
    // The distributions a network is judged by, overlaid per simulator.
    let svgs: Vec<String> = outputs
        .iter()
        .filter(|o| o.path.ends_with(".svg"))
        .map(|o| String::from_utf8_lossy(&o.bytes).into_owned())
        .collect();
    for title in [
        "cell CV of ISIs per cell",
        "cell pairwise count correlations",
    ] {
        assert!(svgs.iter().any(|svg| svg.contains(title)), "no {title}");
    }
    for engine in ["NEURON", "NEST", "Brian2"] {
        assert!(bars.contains(engine), "{engine} bar labelled");
    }
}

#[test]
fn the_report_keeps_out_of_files_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let report = good_report();
    // An unrelated index.html: refused, untouched.
    std::fs::write(dir.path().join("index.html"), "mine").unwrap();
    let err = write(dir.path(), &report).unwrap_err();
    assert!(matches!(err, HtmlError::Foreign(_)), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("index.html")).unwrap(),
        "mine"
    );
    std::fs::remove_file(dir.path().join("index.html")).unwrap();

    // Other files stay; a second report replaces the first and drops its stale pages.
    std::fs::write(dir.path().join("notes.txt"), "keep").unwrap();
    let index = write(dir.path(), &report).unwrap();
    assert!(index.ends_with("index.html"));
    assert!(dir.path().join("tests/0003-lif-nest.html").exists());
    let mut smaller = good_report();
    smaller.tests.truncate(1);
    write(dir.path(), &smaller).unwrap();
    assert!(
        !dir.path().join("tests/0003-lif-nest.html").exists(),
        "stale page removed"
    );
    assert!(dir.path().join("tests/0000-hh-step-neuron.html").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "keep"
    );

    // A file where the folder should be.
    let file = dir.path().join("notes.txt");
    assert!(matches!(
        write(&file, &report),
        Err(HtmlError::NotADirectory(_))
    ));
}

#[test]
fn a_manifest_cannot_make_the_report_delete_outside_its_folder() {
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("report");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(outer.path().join("precious"), "x").unwrap();
    std::fs::write(dir.join(MANIFEST), "../precious\n/etc/passwd\n").unwrap();
    write(&dir, &good_report()).unwrap();
    assert!(outer.path().join("precious").exists());
}

/// The index page as a reviewer sees its markup (accept changes with `cargo insta review`).
#[test]
fn index_page_snapshot() {
    let (index, _) = render_pages(&good_report(), 0).unwrap();
    insta::assert_snapshot!(index);
}
