//! `crosscheck diff`: the same tests on two versions of a simulator, output by output.
//!
//! A verdict per version (`run -e NEURON:9.0.2`) says whether a model still meets its `.mep`;
//! it cannot say what moved, and a test without a `.mep` says nothing at all. A diff runs
//! every selected test on both versions (side-by-side environments, as `run` provisions
//! them; see [`select`]), keeps both working copies, and compares every output the two runs
//! wrote ([`outputs`]): identical bytes first (by hash, no parsing), then column by column and
//! spike train by spike train under one tolerance ([`crate::compare::versions`]). The report
//! says per test whether its outputs are identical, within the tolerance, or different, with
//! where they part first; [`report`] prints it and writes JSON, [`html`] a page per test with
//! both traces overlaid and their difference.
//!
//! ```text
//! select   --engine NAME:A --against NAME:B → -e filters for both versions
//! run      session::run_only (plan, provision, execute; working copies kept)
//! pair     each test's run on A with its run on B
//! compare  outputs of A against outputs of B
//! report   terminal, --json, --html; working copies removed
//! ```

pub mod html;
pub mod outputs;
pub mod report;
pub mod select;

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::compare::versions::{self, ColumnDiff, SpikeDiff, Tolerance};
use crate::exit::{error, Exit};
use crate::plan::{Job, Loaded, Work};
use crate::results::{Status, TestResult};
use crate::session::{self, Settings};
use outputs::{Output, OutputData};
use select::{Side, Versions};

/// What `crosscheck diff` was asked, beyond the session's settings.
#[derive(Debug, Clone)]
pub struct DiffRequest {
    /// The engine or simulator and its two versions.
    pub versions: Versions,
    /// When two outputs count as different.
    pub tolerance: Tolerance,
    /// `--json FILE`.
    pub json: Option<PathBuf>,
    /// `--html DIR`.
    pub html: Option<PathBuf>,
    /// Keep both runs' working copies (`--keep-workdirs`).
    pub keep_workdirs: bool,
}

/// How a test's (or one output's) two runs compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The same bytes (files) or the same numbers (recordings).
    Identical,
    /// Different, but every difference is within the tolerance.
    WithinTolerance,
    /// A difference beyond the tolerance, an output only one run wrote, an output that could
    /// not be read, or a run that failed on one version only.
    Different,
    /// Nothing to compare: both runs failed or were skipped, or they wrote no data.
    NotCompared,
}

impl Verdict {
    /// The label of the terminal and HTML reports.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Identical => "IDENTICAL",
            Verdict::WithinTolerance => "WITHIN",
            Verdict::Different => "DIFFERENT",
            Verdict::NotCompared => "NOT COMPARED",
        }
    }
}

/// One version's run of a test.
#[derive(Debug, Clone, Serialize)]
pub struct RunSide {
    /// The engine as the run names it (`jNeuroML_NEURON:9.0.2`).
    pub engine: String,
    /// The exact versions it ran with (`jNeuroML 0.14.0; NEURON 9.0.2`).
    pub engine_version: Option<String>,
    /// Its verdict as `run` gives it (pass, fail, error, timeout, skip).
    pub status: Status,
    /// Why, when it did not pass.
    pub message: Option<String>,
    /// Wall time of the run, seconds.
    pub duration_s: f64,
    /// The end of the run's output, when it did not pass.
    pub output_tail: Option<String>,
}

/// One column of a table output, compared.
#[derive(Debug, Clone, Serialize)]
pub struct NamedColumn {
    /// The column (`column 1`, `pop/v[3]`).
    pub name: String,
    /// How run B's column differs from run A's.
    #[serde(flatten)]
    pub diff: ColumnDiff,
}

/// One spike train of an output, compared.
#[derive(Debug, Clone, Serialize)]
pub struct NamedSpikes {
    /// The cell (`cell 0`, `pop[3]`, `detected`).
    pub name: String,
    /// How run B's train differs from run A's.
    #[serde(flatten)]
    pub diff: SpikeDiff,
}

/// One output of a test, compared.
#[derive(Debug, Clone, Serialize)]
pub struct OutputDiff {
    /// The output ([`Output::name`]).
    pub name: String,
    /// How it compares.
    pub verdict: Verdict,
    /// Why it is different without a column to show (written by one run only, unreadable,
    /// other columns), or how it was compared.
    pub note: Option<String>,
    /// Its value columns (tables).
    pub columns: Vec<NamedColumn>,
    /// Its spike trains (spike outputs).
    pub spikes: Vec<NamedSpikes>,
}

/// One test, run on both versions and compared.
#[derive(Debug, Clone, Serialize)]
pub struct TestDiff {
    /// The test file's id.
    pub id: String,
    /// The engine without version (`jNeuroML_NEURON`, or a suite's simulator).
    pub engine: String,
    /// The model (OMV target, or suite label).
    pub model: String,
    /// The test file.
    pub file: PathBuf,
    /// Its line.
    pub line: usize,
    /// How the two runs compare.
    pub verdict: Verdict,
    /// The first thing that differs, or why nothing was compared.
    pub reason: Option<String>,
    /// The run on the baseline version.
    pub a: RunSide,
    /// The run on the other version.
    pub b: RunSide,
    /// Every output, compared.
    pub outputs: Vec<OutputDiff>,
}

/// Counts of tests by verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffSummary {
    /// Tests whose outputs are identical.
    pub identical: usize,
    /// Tests whose outputs differ within the tolerance.
    pub within_tolerance: usize,
    /// Tests with a difference beyond it.
    pub different: usize,
    /// Tests with nothing to compare.
    pub not_compared: usize,
}

/// Everything a diff found.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// crosscheck's version.
    pub crosscheck_version: String,
    /// The engine or simulator compared (`NEURON`).
    pub engine: String,
    /// The baseline version.
    pub version_a: String,
    /// The version compared with it.
    pub version_b: String,
    /// The tolerance used.
    pub tolerance: Tolerance,
    /// When the diff started (local time, RFC 3339).
    pub started_at: String,
    /// Wall time of the whole diff, seconds.
    pub duration_s: f64,
    /// Ctrl-C or SIGTERM stopped the runs.
    pub interrupted: bool,
    /// Counts by verdict.
    pub summary: DiffSummary,
    /// Every test, in plan order.
    pub tests: Vec<TestDiff>,
}

/// A test's outputs on both versions, kept for the HTML pages (the JSON holds summaries).
#[derive(Debug, Clone, Default)]
pub struct TestOutputs {
    /// Run A's outputs.
    pub a: Vec<Output>,
    /// Run B's outputs.
    pub b: Vec<Output>,
}

/// Runs `crosscheck diff`: see the module documentation.
pub async fn run(mut settings: Settings, request: DiffRequest, loaded: Loaded) -> Exit {
    let started = Instant::now();
    let started_at = chrono::Local::now();
    if let Some(dir) = &request.html {
        if let Err(e) = html::check_dir(dir) {
            error(e);
            return Exit::ReportUnwritable;
        }
    }
    settings.engines = request.versions.filters(&loaded);
    if settings.engines.is_empty() {
        error(format!(
            "no test under the given paths runs on {}",
            request.versions.name
        ));
        return Exit::NoTests;
    }
    // Both runs' outputs are read after the run: their working copies must outlive it, and a
    // cached result has none.
    settings.keep_workdirs = true;
    settings.no_cache = true;
    let ran = match session::run_only(&settings, loaded).await {
        Ok(ran) => ran,
        Err(exit) => return exit,
    };
    let (tests, kept) = compare_runs(&ran, &request.versions, request.tolerance);
    if !request.keep_workdirs {
        for result in &ran.results {
            if let Some(dir) = &result.workdir {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
    let report = DiffReport {
        crosscheck_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: request.versions.name.clone(),
        version_a: request.versions.a.clone(),
        version_b: request.versions.b.clone(),
        tolerance: request.tolerance,
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        duration_s: started.elapsed().as_secs_f64(),
        interrupted: ran.interrupted,
        summary: summarize(&tests),
        tests,
    };
    report::print(&report);
    let mut unwritable = false;
    if let Some(path) = &request.json {
        if let Err(e) = report::write_json(&report, path) {
            error(format!("could not write {}: {e}", path.display()));
            unwritable = true;
        }
    }
    if let Some(dir) = &request.html {
        match html::write(&report, &kept, dir) {
            Ok(index) => eprintln!("crosscheck: diff report: {}", index.display()),
            Err(e) => {
                error(format!("could not write the HTML report: {e}"));
                unwritable = true;
            }
        }
    }
    if ran.interrupted {
        Exit::Interrupted
    } else if unwritable {
        Exit::ReportUnwritable
    } else if report.summary.different > 0 {
        Exit::TestsFailed
    } else if ran.invalid > 0 {
        Exit::InvalidTestFile
    } else {
        Exit::Success
    }
}

fn summarize(tests: &[TestDiff]) -> DiffSummary {
    let mut summary = DiffSummary::default();
    for test in tests {
        match test.verdict {
            Verdict::Identical => summary.identical += 1,
            Verdict::WithinTolerance => summary.within_tolerance += 1,
            Verdict::Different => summary.different += 1,
            Verdict::NotCompared => summary.not_compared += 1,
        }
    }
    summary
}

/// A job's test without its version: the key pairing the two runs of one test.
fn pairing_key(job: &Job) -> (String, String, String) {
    let (engine, label) = match &job.work {
        Work::Omv(omv) => (omv.test.engine.name.clone(), String::new()),
        Work::Suite(suite) => (suite.simulator.name().to_string(), suite.label()),
    };
    (job.id().to_string(), engine, label)
}

fn requested_version(job: &Job) -> Option<&str> {
    match &job.work {
        Work::Omv(omv) => omv.test.engine.version.as_deref(),
        Work::Suite(suite) => suite.requested_version.as_deref(),
    }
}

/// Pairs every test's two runs and compares them; also returns each test's outputs.
fn compare_runs(
    ran: &session::Ran,
    versions: &Versions,
    tolerance: Tolerance,
) -> (Vec<TestDiff>, Vec<TestOutputs>) {
    type Key = (String, String, String);
    let mut pairs: Vec<(Key, [Option<usize>; 2])> = Vec::new();
    for (position, job) in ran.jobs.iter().enumerate() {
        let Some(side) = versions.side(requested_version(job)) else {
            continue;
        };
        let key = pairing_key(job);
        let slot = match pairs.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                pairs.push((key, [None, None]));
                pairs.len() - 1
            }
        };
        // Two runs at the same version (a check of the diff itself, or of a model's
        // determinism): the second one is B.
        let side = match side {
            Side::A if pairs[slot].1[0].is_some() => Side::B,
            side => side,
        };
        pairs[slot].1[side as usize] = Some(position);
    }
    let mut tests = Vec::new();
    let mut kept = Vec::new();
    for ((id, engine, _), [a, b]) in pairs {
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            // One run only: a test file that pins its engine's version (`engine:
            // NEURON:8.2.7`) is planned at that version alone. Said, not silently dropped; an
            // interrupted run's gaps are just gaps.
            (Some(only), None) | (None, Some(only)) if !ran.interrupted => {
                let job = &ran.jobs[only];
                let result = &ran.results[job.index];
                let on_a = a.is_some();
                tests.push(one_run_only(
                    id,
                    engine,
                    result,
                    requested_version(job),
                    on_a,
                ));
                kept.push(TestOutputs {
                    a: Vec::new(),
                    b: Vec::new(),
                });
                continue;
            }
            _ => continue,
        };
        let (job_a, job_b) = (&ran.jobs[a], &ran.jobs[b]);
        let (result_a, result_b) = (&ran.results[job_a.index], &ran.results[job_b.index]);
        let outputs_a = job_outputs(ran, job_a, result_a);
        let outputs_b = job_outputs(ran, job_b, result_b);
        let (verdict, reason, compared) =
            compare_test(result_a, result_b, &outputs_a, &outputs_b, tolerance);
        tests.push(TestDiff {
            id,
            engine,
            model: result_a.model.clone(),
            file: result_a.file.clone(),
            line: result_a.line,
            verdict,
            reason,
            a: side(result_a),
            b: side(result_b),
            outputs: compared,
        });
        kept.push(TestOutputs {
            a: outputs_a,
            b: outputs_b,
        });
    }
    (tests, kept)
}

/// A test that ran at one version only: not compared, with the reason.
fn one_run_only(
    id: String,
    engine: String,
    result: &TestResult,
    version: Option<&str>,
    on_a: bool,
) -> TestDiff {
    let version = version.unwrap_or("its pinned version");
    let ran = side(result);
    let absent = RunSide {
        engine: engine.clone(),
        engine_version: None,
        status: Status::Skip,
        message: Some("not run: the test runs at one version only".into()),
        duration_s: 0.0,
        output_tail: None,
    };
    TestDiff {
        id,
        engine,
        model: result.model.clone(),
        file: result.file.clone(),
        line: result.line,
        verdict: Verdict::NotCompared,
        reason: Some(format!(
            "ran at {version} only: its test file pins the engine's version, so the other version was not run"
        )),
        a: if on_a { ran.clone() } else { absent.clone() },
        b: if on_a { absent } else { ran },
        outputs: Vec::new(),
    }
}

fn side(result: &TestResult) -> RunSide {
    RunSide {
        engine: result.engine.clone(),
        engine_version: result.engine_version.clone(),
        status: result.status,
        message: result.message.clone(),
        duration_s: result.duration_s,
        output_tail: (result.status != Status::Pass)
            .then(|| result.output_tail.clone())
            .flatten(),
    }
}

/// What a job's run left to compare: its files (OMV) or recordings (suites).
fn job_outputs(ran: &session::Ran, job: &Job, result: &TestResult) -> Vec<Output> {
    match &job.work {
        Work::Omv(omv) => match &result.workdir {
            Some(workdir) if ran_to_the_end(result.status) => outputs::of_omv_job(omv, workdir),
            _ => Vec::new(),
        },
        Work::Suite(_) => ran
            .recordings
            .get(&job.index)
            .map(outputs::of_recordings)
            .unwrap_or_default(),
    }
}

/// Whether a run finished (passed or failed its checks): only then are its outputs whole.
fn ran_to_the_end(status: Status) -> bool {
    matches!(status, Status::Pass | Status::Fail)
}

/// How a test's two runs compare: the verdict, its one-line reason, and every output.
fn compare_test(
    a: &TestResult,
    b: &TestResult,
    outputs_a: &[Output],
    outputs_b: &[Output],
    tolerance: Tolerance,
) -> (Verdict, Option<String>, Vec<OutputDiff>) {
    let finished = (ran_to_the_end(a.status), ran_to_the_end(b.status));
    let why = |r: &TestResult| {
        format!(
            "{} on {}{}",
            r.status.as_str(),
            r.engine,
            r.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )
    };
    match finished {
        (false, false) => {
            return (
                Verdict::NotCompared,
                Some(format!("neither run finished ({}; {})", why(a), why(b))),
                Vec::new(),
            )
        }
        (true, false) => return (Verdict::Different, Some(why(b)), Vec::new()),
        (false, true) => return (Verdict::Different, Some(why(a)), Vec::new()),
        (true, true) => {}
    }
    let compared = compare_outputs(outputs_a, outputs_b, tolerance);
    if compared.is_empty() {
        return (
            Verdict::NotCompared,
            Some("the runs wrote no data to compare".into()),
            compared,
        );
    }
    let mut verdict = compared
        .iter()
        .map(|o| o.verdict)
        .max_by_key(|v| severity(*v))
        .unwrap_or(Verdict::Identical);
    let mut reason = compared
        .iter()
        .find(|o| o.verdict == Verdict::Different)
        .map(report::output_line);
    // A verdict that changed is a difference whatever the numbers say: the outputs moved
    // across the test's own tolerance.
    if a.status != b.status {
        verdict = Verdict::Different;
        reason = Some(format!(
            "{} on {}, {} on {}{}",
            a.status.as_str(),
            a.engine,
            b.status.as_str(),
            b.engine,
            reason.map(|r| format!("; {r}")).unwrap_or_default()
        ));
    }
    (verdict, reason, compared)
}

fn severity(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::NotCompared => 0,
        Verdict::Identical => 1,
        Verdict::WithinTolerance => 2,
        Verdict::Different => 3,
    }
}

/// Every output either run wrote, compared by name (A's order, then B's extra ones).
pub fn compare_outputs(a: &[Output], b: &[Output], tolerance: Tolerance) -> Vec<OutputDiff> {
    let mut names: Vec<&str> = a.iter().map(|o| o.name.as_str()).collect();
    for o in b {
        if !names.contains(&o.name.as_str()) {
            names.push(&o.name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let find = |outputs: &'_ [Output]| outputs.iter().find(|o| o.name == name).cloned();
            compare_output(name, find(a).as_ref(), find(b).as_ref(), tolerance)
        })
        .collect()
}

fn note_only(name: &str, verdict: Verdict, note: String) -> OutputDiff {
    OutputDiff {
        name: name.to_string(),
        verdict,
        note: Some(note),
        columns: Vec::new(),
        spikes: Vec::new(),
    }
}

/// One output of both runs, compared.
fn compare_output(
    name: &str,
    a: Option<&Output>,
    b: Option<&Output>,
    tolerance: Tolerance,
) -> OutputDiff {
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (Some(_), None) => {
            return note_only(name, Verdict::Different, "only run A wrote it".into())
        }
        (None, Some(_)) => {
            return note_only(name, Verdict::Different, "only run B wrote it".into())
        }
        (None, None) => {
            return note_only(name, Verdict::NotCompared, "neither run wrote it".into())
        }
    };
    if a.sha256.is_some() && a.sha256 == b.sha256 {
        return OutputDiff {
            name: name.to_string(),
            verdict: Verdict::Identical,
            note: Some("same bytes".into()),
            columns: Vec::new(),
            spikes: Vec::new(),
        };
    }
    let (data_a, data_b) = match (&a.data, &b.data) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            return note_only(name, Verdict::Different, format!("could not be read: {e}"))
        }
    };
    let mut diff = OutputDiff {
        name: name.to_string(),
        verdict: Verdict::Identical,
        note: None,
        columns: Vec::new(),
        spikes: Vec::new(),
    };
    match (data_a, data_b) {
        (
            OutputData::Table {
                time: time_a,
                columns: columns_a,
            },
            OutputData::Table {
                time: time_b,
                columns: columns_b,
            },
        ) => {
            if columns_a.len() != columns_b.len() {
                diff.note = Some(format!(
                    "run A wrote {} value column(s), run B {}",
                    columns_a.len(),
                    columns_b.len()
                ));
            }
            for ((name_a, values_a), (_, values_b)) in columns_a.iter().zip(columns_b) {
                diff.columns.push(NamedColumn {
                    name: name_a.clone(),
                    diff: versions::diff_column(time_a, values_a, time_b, values_b, tolerance),
                });
            }
        }
        (OutputData::Spikes(trains_a), OutputData::Spikes(trains_b)) => {
            let mut cells: Vec<&String> = trains_a.keys().collect();
            cells.extend(trains_b.keys().filter(|k| !trains_a.contains_key(*k)));
            for cell in cells {
                let empty = Vec::new();
                let x = trains_a.get(cell).unwrap_or(&empty);
                let y = trains_b.get(cell).unwrap_or(&empty);
                diff.spikes.push(NamedSpikes {
                    name: cell.clone(),
                    diff: versions::diff_spikes(x, y, tolerance),
                });
            }
        }
        _ => diff.note = Some("a table in one run, spike events in the other".into()),
    }
    let exceeds = diff.note.is_some()
        || diff.columns.iter().any(|c| c.diff.exceeds)
        || diff.spikes.iter().any(|s| s.diff.exceeds);
    let equal = diff.columns.iter().all(|c| c.diff.max_abs == 0.0)
        && diff.spikes.iter().all(|s| s.diff.max_shift == 0.0);
    diff.verdict = if exceeds {
        Verdict::Different
    } else if equal {
        Verdict::Identical
    } else {
        Verdict::WithinTolerance
    };
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn table(name: &str, time: &[f64], values: &[f64]) -> Output {
        Output {
            name: name.into(),
            sha256: Some(format!("{values:?}")),
            data: Ok(OutputData::Table {
                time: time.to_vec(),
                columns: vec![("column 1".into(), values.to_vec())],
            }),
        }
    }

    #[test]
    fn identical_outputs_are_identical_and_a_perturbed_sample_is_found_with_its_time() {
        let t = [0.0, 0.1, 0.2, 0.3];
        let a = [table("v.dat", &t, &[-65.0, -64.0, -63.0, -62.0])];
        let same = compare_outputs(&a, &a, Tolerance::DEFAULT);
        assert_eq!(same[0].verdict, Verdict::Identical);
        assert_eq!(same[0].note.as_deref(), Some("same bytes"));

        let b = [table("v.dat", &t, &[-65.0, -64.0, -60.0, -62.0])];
        let moved = compare_outputs(&a, &b, Tolerance::DEFAULT);
        assert_eq!(moved[0].verdict, Verdict::Different);
        let parting = moved[0].columns[0].diff.first_parting.unwrap();
        assert_eq!((parting.index, parting.time), (2, 0.2));
        assert_eq!((parting.a, parting.b), (-63.0, -60.0));
        assert!(report::output_line(&moved[0]).starts_with("v.dat: "));

        let tiny = [table("v.dat", &t, &[-65.0, -64.0, -63.000001, -62.0])];
        assert_eq!(
            compare_outputs(&a, &tiny, Tolerance::DEFAULT)[0].verdict,
            Verdict::WithinTolerance
        );
    }

    #[test]
    fn an_output_of_one_run_only_or_of_another_kind_is_different() {
        let t = [0.0, 1.0];
        let a = [table("v.dat", &t, &[1.0, 2.0])];
        let b = [
            table("v.dat", &t, &[1.0, 2.0]),
            table("extra.dat", &t, &[3.0, 4.0]),
        ];
        let compared = compare_outputs(&a, &b, Tolerance::DEFAULT);
        assert_eq!(compared.len(), 2);
        assert_eq!(compared[1].name, "extra.dat");
        assert_eq!(compared[1].verdict, Verdict::Different);
        assert_eq!(compared[1].note.as_deref(), Some("only run B wrote it"));
        let spikes = [Output {
            name: "v.dat".into(),
            sha256: None,
            data: Ok(OutputData::Spikes(BTreeMap::new())),
        }];
        assert_eq!(
            compare_outputs(&a, &spikes, Tolerance::DEFAULT)[0].verdict,
            Verdict::Different
        );
    }

    #[test]
    fn a_lost_spike_is_different() {
        let trains = |t: &[f64]| Output {
            name: "pop spikes".into(),
            sha256: None,
            data: Ok(OutputData::Spikes(BTreeMap::from([(
                "pop[0]".to_string(),
                t.to_vec(),
            )]))),
        };
        let compared = compare_outputs(
            &[trains(&[10.0, 20.0])],
            &[trains(&[10.0])],
            Tolerance::DEFAULT,
        );
        assert_eq!(compared[0].verdict, Verdict::Different);
        assert_eq!(compared[0].spikes[0].diff.count_b, 1);
    }

    #[test]
    fn a_run_failing_on_one_version_only_is_a_difference_on_both_nothing_compared() {
        let ok = TestResult {
            duration_s: 1.0,
            ..TestResult::new("t", "NEURON:8.2.7", Status::Pass)
        };
        let crashed = TestResult {
            message: Some("exit code 1".into()),
            ..TestResult::new("t", "NEURON:9.0.2", Status::Error)
        };
        let (verdict, reason, _) = compare_test(&ok, &crashed, &[], &[], Tolerance::DEFAULT);
        assert_eq!(verdict, Verdict::Different);
        assert_eq!(
            reason.as_deref(),
            Some("error on NEURON:9.0.2: exit code 1")
        );
        let (verdict, _, _) = compare_test(&crashed, &crashed, &[], &[], Tolerance::DEFAULT);
        assert_eq!(verdict, Verdict::NotCompared);
        let failed = TestResult::new("t", "NEURON:9.0.2", Status::Fail);
        let t = [0.0];
        let same = [table("v.dat", &t, &[1.0])];
        let (verdict, reason, _) = compare_test(&ok, &failed, &same, &same, Tolerance::DEFAULT);
        assert_eq!(verdict, Verdict::Different);
        assert!(reason
            .unwrap()
            .starts_with("pass on NEURON:8.2.7, fail on NEURON:9.0.2"));
    }
}
