//! The HTML report at scale: 500 suites × 4 engines, each job with a 100,000-sample membrane
//! trace (and its reference), spikes, and differences against the reference and the three
//! other engines.
//!
//!   cargo bench --bench html_report
//!
//! Prints the time to turn the recordings into plot data (done once per run, by `run`), the
//! time to render and write the report (what `run --html` and `crosscheck report` add), the
//! report folder's total size and the index page's size. Targets: render under 5 s, folder
//! under 50 MB, index under 2 MB. Measured here, never asserted in tests.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crosscheck::plot::PlotData;
use crosscheck::report::html;
use crosscheck::results::{Recordings, Trace};
use crosscheck::results::{RunReport, Status, Summary, TestResult};

/// Suites (500; `BENCH_SUITES` overrides, for a quick look at sizes).
fn suites() -> usize {
    std::env::var("BENCH_SUITES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500)
}
const ENGINES: [&str; 4] = ["NEURON", "NEST", "Brian2", "jNeuroML"];
const SAMPLES: usize = 100_000;
const DT_MS: f64 = 0.01;

const SUITE: &str = "suite: bench\nengines: [NEURON, NEST, Brian2, jNeuroML]\nsimulation: {duration: 1000 ms, dt: 0.01 ms, seed: 1}\npopulations:\n  cell: {cell: izhikevich, size: 1}\nstimuli:\n  - step: {target: cell, amplitude: 10 pA, start: 0 ms, stop: 1000 ms}\nrecord:\n  - {population: cell, variables: [spikes, v]}\nchecks:\n  reference:\n    spikes: {window: 0.5 ms}\n    traces:\n      v: {max_abs: 10 mV}\n  agreement:\n    spikes: {window: 1 ms}\n";

/// A regular-spiking trace: ramps from rest, a spike every `period` ms, shifted by `shift`.
fn recordings(period: f64, shift: f64) -> Recordings {
    let time_ms: Vec<f64> = (0..SAMPLES).map(|i| i as f64 * DT_MS).collect();
    let mut spikes = Vec::new();
    let v: Vec<f64> = time_ms
        .iter()
        .map(|t| {
            let phase = (t + shift).rem_euclid(period);
            if phase < DT_MS {
                spikes.push((0u32, *t));
            }
            if phase < 0.5 {
                30.0 - 60.0 * phase
            } else {
                -70.0 + 15.0 * (phase / period) + 0.3 * (t * 0.7).sin()
            }
        })
        .collect();
    let mut r = Recordings::default();
    r.spikes.insert("cell".into(), spikes);
    r.traces.insert(
        ("cell".into(), "v".into()),
        Trace {
            time_ms,
            columns: vec![v],
        },
    );
    r
}

fn dir_size(dir: &Path) -> (u64, usize) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            let (b, n) = dir_size(&entry.path());
            total = (total.0 + b, total.1 + n);
        } else {
            total = (total.0 + meta.len(), total.1 + 1);
        }
    }
    total
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let suite_file = tmp.path().join("bench.crosscheck.yaml");
    std::fs::write(&suite_file, SUITE).unwrap();
    let suite = Arc::new(crosscheck::suite::native::load_suite(&suite_file).unwrap());

    let mut prepare = std::time::Duration::ZERO;
    let mut tests = Vec::with_capacity(suites() * ENGINES.len());
    for s in 0..suites() {
        let period = 20.0 + (s % 17) as f64;
        let runs: Vec<Recordings> = (0..ENGINES.len())
            .map(|e| recordings(period, e as f64 * 0.05))
            .collect();
        let reference = recordings(period, 0.0);
        for (e, engine) in ENGINES.iter().enumerate() {
            let others: Vec<(&str, &Recordings)> = ENGINES
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != e)
                .map(|(k, name)| (*name, &runs[k]))
                .collect();
            let start = Instant::now();
            let plots = PlotData::from_recordings(&suite, &runs[e], Some(&reference), &others);
            prepare += start.elapsed();
            tests.push(TestResult {
                id: format!("native/bench_{s}.crosscheck.yaml"),
                model: format!("bench_{s}"),
                file: suite_file.clone(),
                line: 1,
                engine: engine.to_string(),
                engine_version: Some(format!("{engine} 1.0")),
                status: if (s + e) % 13 == 0 {
                    Status::Fail
                } else {
                    Status::Pass
                },
                duration_s: 1.0,
                message: None,
                observables: vec![],
                commands: vec![],
                output_tail: Some("simulated 1000 ms\n".into()),
                workdir: None,
                cached: false,
                cpus: 1,
                started_at: None,
                finished_at: None,
                plots: Some(Box::new(plots)),
                jvm: None,
            });
        }
    }
    let report = RunReport {
        schema_version: RunReport::SCHEMA_VERSION,
        crosscheck_version: env!("CARGO_PKG_VERSION").into(),
        started_at: "2026-11-26T00:00:00+00:00".into(),
        duration_s: 0.0,
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
    let json = serde_json::to_vec(&report).unwrap();

    // `BENCH_OUT=DIR` keeps the report for a look.
    let out = std::env::var_os("BENCH_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("report"));
    let start = Instant::now();
    html::write(&out, &report).unwrap();
    let render = start.elapsed();
    let (bytes, files) = dir_size(&out);
    let index = std::fs::metadata(out.join("index.html")).unwrap().len();
    println!(
        "{} jobs × {SAMPLES}-sample traces: plot data {:.2} s (during the run), JSON results {:.1} MB",
        report.tests.len(),
        prepare.as_secs_f64(),
        json.len() as f64 / 1e6
    );
    println!(
        "report: rendered and written in {:.2} s; {files} files, {:.1} MB in total; index.html {:.2} MB",
        render.as_secs_f64(),
        bytes as f64 / 1e6,
        index as f64 / 1e6
    );
}
