//! One `crosscheck run` (or `crosscheck bless`), start to end, as the named steps it takes:
//!
//! ```text
//! plan        tests × engines → jobs (filters, partition, calibration runs when blessing)
//! provision   the simulators those jobs need, pinned and side-by-side versions
//! execute     cached results, then the runner: each job runs and is judged (its own checks,
//!             then its stored reference and calibration) before it is reported
//! across      what needs several jobs: plot data, agreement between engines, each engine's
//!             order of accuracy over a time-step sweep
//! output      summary, history, GitHub annotations, JSON / JUnit / HTML files
//! bless       (bless only) the reference data, after showing what changes
//! ```
//!
//! [`run`] reads as that list. The command line (`cli`) parses arguments into [`Settings`],
//! loads the test files and hands them over; everything after loading happens here.

mod bless;
mod execute;
mod output;
pub mod provision;
mod stored;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::exit::{error, Exit};
use crate::plan::{self, InvalidFile, Job, Loaded};
use crate::results::{Status, TestResult};
use crate::runner::{self, RunOptions};
use crate::suite::EngineRequest;
use crate::suite_job::SuiteJob;
use stored::StoredData;

pub use output::write_reports;

/// Whether a run only checks, or also records reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `crosscheck run`: judge every job, write nothing but reports.
    Run,
    /// `crosscheck bless`: run the suites and write their reference data.
    Bless,
}

/// Everything a session needs to know, in plain values (the command line's `run` and `bless`
/// arguments, parsed and checked).
#[derive(Debug)]
pub struct Settings {
    /// Run or bless.
    pub mode: Mode,
    /// The paths given (the first one locates the Git repository for `--history`).
    pub paths: Vec<PathBuf>,
    /// Test files may name paths outside their repository.
    pub allow_outside_paths: bool,
    /// `--engine` filters.
    pub engines: Vec<EngineRequest>,
    /// `--partition`: this shard of the plan only.
    pub partition: Option<crate::partition::Partition>,
    /// The managed environment (crosscheck home).
    pub env: crate::env::ManagedEnv,
    /// CPUs the running jobs may hold at once.
    pub jobs: usize,
    /// Wall-clock budget of one job.
    pub timeout: Duration,
    /// Keep each job's working directory.
    pub keep_workdirs: bool,
    /// Print where each kept working directory is (off when a command keeps them for its own
    /// use and removes them after, as `diff` does).
    pub announce_workdirs: bool,
    /// Never install anything.
    pub offline: bool,
    /// Tests on engines that cannot be provisioned here are errors, not skips.
    pub require_all: bool,
    /// Print details of passing jobs too.
    pub verbose: bool,
    /// `--reference-dir`.
    pub reference_dir: Option<PathBuf>,
    /// Run every job even when the result cache has it.
    pub no_cache: bool,
    /// Run jNeuroML commands in fresh JVMs only.
    pub no_warm_jvm: bool,
    /// Report files to write.
    pub outputs: Outputs,
    /// `--history`: the Parquet file this run's results are appended to.
    pub history: Option<PathBuf>,
}

/// The report files a run writes.
#[derive(Debug, Default, Clone)]
pub struct Outputs {
    /// `--json FILE`.
    pub json: Option<PathBuf>,
    /// `--junit FILE`.
    pub junit: Option<PathBuf>,
    /// `--html DIR`.
    pub html: Option<PathBuf>,
}

/// Runs the session: see the module documentation for its steps. `loaded` are the test files
/// found under `settings.paths` (the invalid ones are reported here, as error results).
pub async fn run(settings: Settings, loaded: Loaded) -> Exit {
    let started = Instant::now();
    let started_at = chrono::Local::now();
    // A report folder that cannot take the report fails now, not after an hour of simulation.
    if let Some(dir) = &settings.outputs.html {
        if let Err(e) = crate::report::html::check_dir(dir) {
            error(e);
            return Exit::ReportUnwritable;
        }
    }
    let (planned, provisioned, stored) = match prepare(&settings, loaded) {
        Ok(prepared) => prepared,
        Err(exit) => return exit,
    };
    let tools = &provisioned.tools;
    // One bless at a time per reference root, held until this session has written its files.
    let _bless_locks = match settings.mode {
        Mode::Bless => match bless::lock_references(&planned.jobs, &stored) {
            Ok(locks) => locks,
            Err(exit) => return exit,
        },
        Mode::Run => Vec::new(),
    };
    let options = run_options(&settings, &provisioned, &stored);
    let mut executed = execute::execute(&settings, planned.jobs, tools, options, &stored).await;
    let across = across_jobs(&mut executed, &stored);
    executed.results.extend(planned.invalid_results);
    let report = output::RunSummary {
        started_at,
        duration_s: started.elapsed().as_secs_f64(),
        jobs: settings.jobs,
        interrupted: executed.interrupted,
    }
    .into_report(tools, executed.results, across);
    let written = output::output(&settings, report);
    if settings.mode == Mode::Bless && !executed.interrupted {
        let blessed = bless::bless(
            &executed.suite_jobs,
            &written.report,
            &executed.recordings,
            &stored,
        );
        return match blessed {
            Exit::Success if planned.had_invalid => Exit::InvalidTestFile,
            other => other,
        };
    }
    exit_code(&written, planned.refused, planned.had_invalid)
}

/// What running a session's jobs gave, for a command that compares the runs itself
/// ([`crate::diff`]) rather than reporting them as a `run` does.
#[derive(Debug)]
pub struct Ran {
    /// The jobs, at their indices, with the side-by-side tools they ran with.
    pub jobs: Vec<Job>,
    /// Each job's result, at its index (with its `workdir` when `keep_workdirs` was set).
    pub results: Vec<TestResult>,
    /// The recordings of every suite job that ran to the end, by job index.
    pub recordings: std::collections::BTreeMap<usize, crate::results::Recordings>,
    /// Test files that could not be loaded (printed already).
    pub invalid: usize,
    /// Ctrl-C or SIGTERM stopped the run.
    pub interrupted: bool,
}

/// Plans, provisions and runs the jobs as [`run`] does (live lines included), without the
/// checks across jobs and without writing reports.
pub async fn run_only(settings: &Settings, loaded: Loaded) -> Result<Ran, Exit> {
    let (planned, provisioned, stored) = prepare(settings, loaded)?;
    let options = run_options(settings, &provisioned, &stored);
    let jobs = planned.jobs.clone();
    let executed =
        execute::execute(settings, planned.jobs, &provisioned.tools, options, &stored).await;
    Ok(Ran {
        jobs,
        results: executed.results,
        recordings: executed.recordings,
        invalid: planned.invalid_results.len(),
        interrupted: executed.interrupted,
    })
}

/// What every session does before its jobs run: plan, provision, and (unless test files may
/// name paths outside their repository) check that the stored data the suites are judged by
/// lies inside it.
fn prepare(
    settings: &Settings,
    loaded: Loaded,
) -> Result<(Planned, provision::Provisioned, StoredData), Exit> {
    let mut planned = plan(settings, loaded)?;
    let provisioned = provision::for_jobs(settings, &mut planned.jobs)?;
    let stored = StoredData {
        reference_dir: settings.reference_dir.clone(),
    };
    if !settings.allow_outside_paths {
        bless::check_reference_folders(&planned.jobs, &stored)?;
    }
    Ok((planned, provisioned, stored))
}

/// The jobs of a session and what planning found on the way.
struct Planned {
    jobs: Vec<Job>,
    /// Invalid test files, as error results (they are reported with the rest).
    invalid_results: Vec<TestResult>,
    had_invalid: bool,
    /// Jobs refused by `--require-all`.
    refused: usize,
}

/// Expands the loaded test files into jobs: engine filters, partition, and when blessing only
/// the crosscheck suites plus their calibration runs. Prints the invalid test files.
fn plan(settings: &Settings, loaded: Loaded) -> Result<Planned, Exit> {
    let mut jobs = plan::plan(&loaded, &settings.engines);
    if let Some(partition) = settings.partition {
        jobs = crate::partition::select(jobs, partition);
    }
    // Blessing concerns crosscheck suites only (OMV tests keep their values in .mep).
    if settings.mode == Mode::Bless {
        jobs.retain(|job| matches!(job.work, plan::Work::Suite(_)));
        for (index, job) in jobs.iter_mut().enumerate() {
            job.index = index;
        }
        if jobs.is_empty() {
            error("no crosscheck suites (*.crosscheck.yaml) to bless under the given paths");
            return Err(Exit::NoTests);
        }
        // A `distributions` check is calibrated on the reference engine's other seeds.
        for (suite, engine) in plan::uncalibrated_suites(&jobs) {
            eprintln!(
                "note: {suite}: its distributions are calibrated on {engine}, which this bless does not run; the blessed calibration is kept (add -e {engine} to renew it)"
            );
        }
        let calibration = plan::calibration_jobs(&jobs);
        jobs.extend(calibration);
    }
    let refused = if settings.require_all {
        plan::require_all(&mut jobs)
    } else {
        0
    };
    let invalid_results: Vec<TestResult> = loaded.invalid.iter().map(invalid_result).collect();
    let had_invalid = !loaded.invalid.is_empty();
    print_invalid(loaded.invalid);
    // An empty shard is fine: a CI matrix may have more shards than tests.
    if jobs.is_empty() && invalid_results.is_empty() && settings.partition.is_none() {
        error("no tests match the given engines");
        return Err(Exit::NoTests);
    }
    Ok(Planned {
        jobs,
        invalid_results,
        had_invalid,
        refused,
    })
}

/// How the runner behaves in this session.
fn run_options(
    settings: &Settings,
    provisioned: &provision::Provisioned,
    stored: &StoredData,
) -> RunOptions {
    let env = &settings.env;
    RunOptions {
        jobs: settings.jobs,
        timeout: settings.timeout,
        grace: Duration::from_secs(3),
        keep_workdirs: settings.keep_workdirs,
        work_root: env.work_root(),
        home: env.home().to_path_buf(),
        process_env: env.process_env(),
        output_cap: 256 * 1024,
        warm_jvms: if settings.no_warm_jvm || !provisioned.jneuroml {
            None
        } else {
            tokio::task::block_in_place(|| provision::warm_jvms(env, &provisioned.tools))
        },
        // Blessing replaces the stored data rather than judging by it.
        stored_checks: (settings.mode == Mode::Run)
            .then(|| Arc::new(stored.clone()) as Arc<dyn runner::StoredChecks>),
        processes: Arc::new(crate::process::OsProcesses),
    }
}

/// What needs several jobs: every suite job's plot data (its reference and its differences from
/// the other engines), the agreement between engines, and each engine's order of accuracy over
/// a time-step sweep.
fn across_jobs(
    executed: &mut execute::Executed,
    stored: &StoredData,
) -> (
    Vec<crate::results::Agreement>,
    Vec<crate::results::Convergence>,
) {
    attach_plots(
        &executed.suite_jobs,
        &mut executed.results,
        &executed.recordings,
        stored,
    );
    // Calibration runs (other seeds, when blessing) are no engine of their own.
    let main_jobs: Vec<(usize, SuiteJob)> = executed
        .suite_jobs
        .iter()
        .filter(|(_, job)| job.seed.is_none())
        .cloned()
        .collect();
    let agreement =
        crate::judge::agreement::evaluate(&main_jobs, &executed.results, &executed.recordings);
    let convergence = crate::judge::convergence::evaluate(&main_jobs, &executed.results);
    (agreement, convergence)
}

/// The exit code of a `run`: interruption first, then what could not be done, then verdicts.
fn exit_code(written: &output::Written, refused: usize, had_invalid: bool) -> Exit {
    let report = &written.report;
    if report.interrupted {
        Exit::Interrupted
    } else if written.failed {
        Exit::ReportUnwritable
    } else if refused > 0 {
        error(format!(
            "{refused} test(s) need an engine that cannot be provisioned here (--require-all)"
        ));
        Exit::EngineUnavailable
    } else if had_invalid {
        Exit::InvalidTestFile
    } else if !report.all_passed() {
        Exit::TestsFailed
    } else {
        Exit::Success
    }
}

/// Prints every load error with its source snippet.
pub fn print_invalid(invalid: Vec<InvalidFile>) {
    for file in invalid {
        for err in file.errors {
            eprintln!("{:?}", miette::Report::new(err));
        }
    }
}

/// Gives every suite job that recorded something its plot data (decimated recordings, its
/// reference, and its differences from the reference and from the other engines of the same
/// suite run), for the HTML report now or later (`crosscheck report`).
fn attach_plots(
    jobs: &[(usize, SuiteJob)],
    results: &mut [TestResult],
    recordings: &std::collections::BTreeMap<usize, crate::results::Recordings>,
    stored: &StoredData,
) {
    for (index, job) in jobs {
        let Some(recorded) = recordings.get(index) else {
            continue;
        };
        let suite = job.resolved_suite();
        let root = stored.root(job);
        let reference = job.suite.checks.reference.as_ref().and_then(|rules| {
            crate::judge::reference::read(&root, job, rules)
                .ok()
                .flatten()
        });
        let others: Vec<(&str, &crate::results::Recordings)> = jobs
            .iter()
            .filter(|(i, other)| {
                i != index && other.file == job.file && other.label() == job.label()
            })
            .filter_map(|(i, other)| Some((other.simulator.name(), recordings.get(i)?)))
            .collect();
        let mut plots =
            crate::plot::PlotData::from_recordings(&suite, recorded, reference.as_ref(), &others);
        plots.populations = crate::judge::calibration::summaries(&suite, recorded, &root);
        if let Some(result) = results.get_mut(*index) {
            result.plots = Some(Box::new(plots));
        }
    }
}

/// An invalid test file still appears in the results, as an error pointing at the problem.
fn invalid_result(file: &InvalidFile) -> TestResult {
    let first = file.errors.first();
    let message = file
        .errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ");
    TestResult {
        file: file.file.path.clone(),
        line: first.map_or(1, |e| e.location.line),
        message: Some(format!("invalid test file: {message}")),
        ..TestResult::new(file.file.id.clone(), "(invalid)", Status::Error)
    }
}
