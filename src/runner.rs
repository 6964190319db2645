//! Running jobs: working copies, processes, timeouts, cancellation, and judging the outputs.
//!
//! Every job gets a private copy of the repository (simulators write their outputs beside the
//! model, so parallel jobs would otherwise overwrite each other and the user's tree), runs its
//! engine's steps there, each step in its own process group (started through
//! [`crate::process::Spawn`]), and is judged from the files the steps wrote before it is
//! reported ([`crate::judge`]). `jobs` is a budget of CPUs: a job holds as many as it keeps
//! busy (an MPI job its ranks, any other one), so at most `jobs` CPUs' worth of jobs run at
//! once. Whatever happens to a process (non-zero exit, crash, timeout, Ctrl-C) becomes a
//! result; nothing stops the other jobs, and no process is left behind: after every step the
//! whole process group is killed, children included, and so is any process that left the
//! group but carries the step's tag ([`crate::process_tag`]).

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::Signal;
use tokio::sync::{mpsc, watch, Semaphore};

use crate::engine::{Step, Tools};
use crate::fsutil::CappedOutput;
use crate::plan::{Job, JobEngine, OmvJob, Work};
use crate::process::{Ended, ProcessSpec, Spawn};
use crate::results::{
    CheckStatus, CommandRecord, Jvm, ObservableResult, Recordings, Status, TestResult,
};
use crate::suite_job::{self, SuiteJob};

/// Lines of a job's output kept in its result: the start (where errors are often explained)
/// and the end (where the run stopped).
const OUTPUT_HEAD_LINES: usize = 20;
const OUTPUT_TAIL_LINES: usize = 60;

/// How the runner behaves; one value for the whole run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// CPUs that running jobs may hold at once (`-j`): as many one-CPU jobs, fewer MPI ones.
    pub jobs: usize,
    /// Wall-clock budget of one job (all its steps).
    pub timeout: Duration,
    /// Time between SIGTERM and SIGKILL when stopping a process group.
    pub grace: Duration,
    /// Keep each job's working directory instead of deleting it.
    pub keep_workdirs: bool,
    /// Parent of the per-job working directories.
    pub work_root: PathBuf,
    /// The crosscheck home, never copied into a working directory even when inside the root.
    pub home: PathBuf,
    /// Extra environment for every process (managed environment on PATH, quiet NEST, ...).
    pub process_env: Vec<(OsString, OsString)>,
    /// Bytes of combined stdout/stderr kept per job.
    pub output_cap: usize,
    /// Warm JVMs for jNeuroML steps; `None` runs each in a fresh JVM (`--no-warm-jvm`, or no
    /// driver could be built).
    pub warm_jvms: Option<Arc<crate::jvm::WarmJvms>>,
    /// Checks of a suite job against data stored beside its suite (blessed references,
    /// calibrations), run on the job's own task before its `JobFinished` event, so that the
    /// live line, the reports and the summary all show the same verdict. `None` when blessing:
    /// the stored data is what is being replaced.
    pub stored_checks: Option<Arc<dyn StoredChecks>>,
    /// What starts the steps' processes: [`crate::process::OsProcesses`], or in the runner's
    /// tests a scripted stand-in.
    pub processes: Arc<dyn Spawn>,
}

/// Checks that need one suite job's recordings and data stored for it outside the run. The
/// runner calls them without knowing what they compare: see `reference::StoredData`.
pub trait StoredChecks: Send + Sync + std::fmt::Debug {
    /// The job's further observables (empty when nothing is stored for it).
    fn judge(&self, job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult>;
}

/// What the runner tells reporters as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// A job got its CPUs and starts. Jobs that never start (an interrupted run, a result
    /// from the cache) send no `JobStarted`, only their `JobFinished`.
    JobStarted {
        /// The job's [`Job::index`].
        index: usize,
        /// The test file's id ([`Job::id`]).
        id: String,
        /// The engine as reports name it ([`Job::engine_label`]).
        engine: String,
    },
    /// A job has its verdict, stored checks included: sent once per job, started or not.
    JobFinished {
        /// The job's [`Job::index`].
        index: usize,
        /// Its result, as it will appear in the reports.
        result: Box<TestResult>,
    },
}

/// Runs every job and returns their results in job order. Events are sent as jobs start and
/// finish; `cancel` turning true stops running processes and skips jobs not yet started.
pub async fn run_jobs(
    jobs: Vec<Job>,
    tools: Arc<Tools>,
    options: Arc<RunOptions>,
    events: mpsc::UnboundedSender<Event>,
    cancel: watch::Receiver<bool>,
) -> RunOutput {
    let recordings: Recorded = Arc::new(Mutex::new(BTreeMap::new()));
    let run_dir = options.work_root.join(format!(
        "run-{}-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        std::process::id()
    ));
    let budget = cpu_budget(options.jobs);
    let slots = Arc::new(Semaphore::new(budget as usize));
    let mut handles = Vec::with_capacity(jobs.len());
    for job in jobs {
        // What to report should the job's task panic (a bug in crosscheck, not in the model).
        let fallback = TestResult {
            message: Some("internal error in crosscheck while running this job".into()),
            ..base_result(&job)
        };
        let slots = slots.clone();
        let tools = tools.clone();
        let options = options.clone();
        let events = events.clone();
        let mut cancel = cancel.clone();
        let run_dir = run_dir.clone();
        let recordings = recordings.clone();
        let cpus = cpus_held(&job, budget);
        let handle = tokio::spawn(async move {
            // Tokio's semaphore queues in order, so a job waiting for several CPUs is not
            // overtaken for ever by one-CPU jobs behind it.
            let permit = tokio::select! {
                permit = slots.acquire_many_owned(cpus) => permit.ok(),
                _ = crate::process::cancelled(&mut cancel) => None,
            };
            let result = if permit.is_none() || *cancel.borrow() {
                not_run(&job, "not run: the run was interrupted")
            } else {
                let _ = events.send(Event::JobStarted {
                    index: job.index,
                    id: job.id().to_string(),
                    engine: job.engine_label(),
                });
                let started_at = timestamp();
                let result = run_job(&job, &tools, &options, &run_dir, cancel, &recordings).await;
                TestResult {
                    cpus,
                    started_at: Some(started_at),
                    finished_at: Some(timestamp()),
                    ..result
                }
            };
            drop(permit);
            let _ = events.send(Event::JobFinished {
                index: job.index,
                result: Box::new(result.clone()),
            });
            result
        });
        handles.push((handle, fallback));
    }
    let mut results = Vec::with_capacity(handles.len());
    for (handle, fallback) in handles {
        // A panicking job must not take the run down: it becomes an error result.
        results.push(handle.await.unwrap_or(fallback));
    }
    if let Some(pool) = &options.warm_jvms {
        pool.shutdown().await;
    }
    // Remove the run folder when it is empty (every job cleaned up after itself).
    let _ = std::fs::remove_dir(&run_dir);
    let recordings = std::mem::take(&mut *recordings.lock().unwrap_or_else(|p| p.into_inner()));
    RunOutput {
        results,
        recordings,
    }
}

/// The run's CPU budget: `-j`, at least 1.
pub fn cpu_budget(jobs: usize) -> u32 {
    u32::try_from(jobs).unwrap_or(u32::MAX).max(1)
}

/// The CPUs `job` holds while it runs: what it keeps busy, at most the whole budget. A job
/// needing more than the budget (`NetPyNE_NP4` under `-j 2`) then runs alone, its ranks
/// sharing the budget's CPUs, rather than waiting for CPUs that never come.
pub fn cpus_held(job: &Job, budget: u32) -> u32 {
    job.cpus().clamp(1, budget)
}

fn timestamp() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// Recordings of crosscheck-suite jobs, by job index, kept for the checks that compare engines.
type Recorded = Arc<Mutex<BTreeMap<usize, Recordings>>>;

/// Everything a run produced.
#[derive(Debug, Default)]
pub struct RunOutput {
    /// One result per job, in job order.
    pub results: Vec<TestResult>,
    /// The recordings of every crosscheck-suite job that ran to the end, by job index.
    pub recordings: BTreeMap<usize, Recordings>,
}

fn base_result(job: &Job) -> TestResult {
    let (file, line) = job.location();
    TestResult {
        model: job.model(),
        file,
        line,
        engine_version: job.engine_version.clone(),
        ..TestResult::new(job.id(), job.engine_label(), Status::Error)
    }
}

fn not_run(job: &Job, why: &str) -> TestResult {
    TestResult {
        status: Status::Skip,
        message: Some(why.to_string()),
        ..base_result(job)
    }
}

/// Runs one job from copy to verdict.
async fn run_job(
    job: &Job,
    tools: &Tools,
    options: &RunOptions,
    run_dir: &Path,
    cancel: watch::Receiver<bool>,
    recordings: &Recorded,
) -> TestResult {
    let started = Instant::now();
    let mut result = base_result(job);
    let workdir = run_dir.join(format!("{:04}-{}", job.index, slug(job.id())));
    let outcome = match &job.work {
        Work::Omv(OmvJob {
            engine: JobEngine::Skip(reason),
            ..
        }) => return not_run(job, reason),
        Work::Omv(OmvJob {
            engine: JobEngine::Refuse(reason),
            ..
        }) => {
            return TestResult {
                message: Some(reason.clone()),
                ..base_result(job)
            }
        }
        Work::Omv(omv) => {
            let JobEngine::Run(engine) = omv.engine else {
                return not_run(job, "no engine");
            };
            // A job on another version of a simulator runs with its side-by-side environment.
            let tools = omv.tools.as_deref().unwrap_or(tools);
            execute_omv(omv, engine, tools, options, &workdir, cancel, &mut result).await
        }
        Work::Suite(native) => {
            let tools = native.tools.as_deref().unwrap_or(tools);
            let (outcome, recorded) =
                execute_suite_job(native, tools, options, &workdir, cancel, &mut result).await;
            if let Some(recorded) = recorded {
                if let Ok(mut map) = recordings.lock() {
                    map.insert(job.index, recorded);
                }
            }
            outcome
        }
    };
    result.status = outcome.0;
    result.message = outcome.1;
    result.duration_s = started.elapsed().as_secs_f64();
    if options.keep_workdirs {
        result.workdir = Some(workdir);
    } else {
        let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(workdir)).await;
    }
    result
}

/// The body of an OMV job; returns its status and a one-line reason, filling `result` as it
/// goes.
async fn execute_omv(
    job: &OmvJob,
    engine: &'static crate::engine::EngineDef,
    tools: &Tools,
    options: &RunOptions,
    workdir: &Path,
    mut cancel: watch::Receiver<bool>,
    result: &mut TestResult,
) -> (Status, Option<String>) {
    // 1. A private copy of the repository.
    let root = job.root.clone();
    let dest = workdir.to_path_buf();
    let exclude = vec![
        options.home.clone(),
        options.work_root.clone(),
        options.home.join("venv"),
        options.home.join("sim-home"),
    ];
    let copied =
        tokio::task::spawn_blocking(move || crate::fsutil::copy_tree(&root, &dest, &exclude)).await;
    match copied {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return (
                Status::Error,
                Some(format!(
                    "could not copy {} to the working directory {}: {e}",
                    job.root.display(),
                    workdir.display()
                )),
            )
        }
        Err(e) => return (Status::Error, Some(format!("internal error: {e}"))),
    }
    let to_workdir = |path: &Path| -> PathBuf {
        match path.strip_prefix(&job.root) {
            Ok(rel) => workdir.join(rel),
            Err(_) => path.to_path_buf(),
        }
    };

    // 2. Remember the state of the output files, to prove the engine wrote them.
    let outputs: Vec<PathBuf> = job.test.output_files();
    let before: HashMap<PathBuf, Option<SystemTime>> = outputs
        .iter()
        .map(|p| {
            let mapped = to_workdir(p);
            let time = std::fs::metadata(&mapped).and_then(|m| m.modified()).ok();
            (p.clone(), time)
        })
        .collect();

    // 3. The engine's steps.
    let targets: Vec<PathBuf> = job.test.targets.iter().map(|t| to_workdir(t)).collect();
    let steps = match engine.steps(&targets, tools) {
        Ok(steps) => steps,
        Err(e) => return (Status::Error, Some(e)),
    };
    if let Some(failure) = run_steps(&steps, options, &mut cancel, result).await {
        return failure;
    }

    // 4. A dry run passes when the engine succeeded.
    if job.test.is_dry_run() {
        return (Status::Pass, None);
    }

    // 5. Every output must have been written during this run.
    let mut stale = Vec::new();
    for (original, old_time) in &before {
        let mapped = to_workdir(original);
        match std::fs::metadata(&mapped).and_then(|m| m.modified()) {
            Err(_) => stale.push(format!(
                "{} was not produced by this run",
                display_relative(original, &job.root)
            )),
            Ok(new_time) if Some(new_time) == *old_time => stale.push(format!(
                "{} was not rewritten by this run (stale file from the repository)",
                display_relative(original, &job.root)
            )),
            Ok(_) => {}
        }
    }
    if !stale.is_empty() {
        stale.sort();
        return (Status::Error, Some(stale.join("; ")));
    }

    // 6. Judge the observables (file reading and numbers: off the async threads).
    let test = job.test.clone();
    let root = job.root.clone();
    let work = workdir.to_path_buf();
    let judged = tokio::task::spawn_blocking(move || {
        let resolve = |path: &Path| -> PathBuf {
            match path.strip_prefix(&root) {
                Ok(rel) => work.join(rel),
                Err(_) => path.to_path_buf(),
            }
        };
        let mut observables = Vec::new();
        for experiment in &test.experiments {
            for check in &experiment.checks {
                observables.push(crate::judge::omv::evaluate(
                    &experiment.name,
                    check,
                    &resolve,
                ));
            }
        }
        observables
    })
    .await;
    let observables: Vec<ObservableResult> = match judged {
        Ok(o) => o,
        Err(e) => return (Status::Error, Some(format!("internal error: {e}"))),
    };
    result.observables = observables;
    verdict(&result.observables)
}

/// Runs `steps` in order under one deadline, recording each command and keeping the output's
/// start and end in `result`. Returns the job's status and reason when a step fails.
async fn run_steps(
    steps: &[Step],
    options: &RunOptions,
    cancel: &mut watch::Receiver<bool>,
    result: &mut TestResult,
) -> Option<(Status, Option<String>)> {
    let deadline = tokio::time::Instant::now() + options.timeout;
    let mut tail = CappedOutput::new(options.output_cap);
    // Which JVM ran the current step, if it is a jNeuroML one, and why a fresh one.
    let mut jvm_record: Option<(Jvm, Option<String>)> = None;
    for step in steps {
        let step_started = Instant::now();
        let (argv, cwd, outcome) = match &step.compile {
            Some(compile) => {
                match compile_mechanisms(step, compile, options, deadline, &mut tail, cancel).await
                {
                    Compiled::NothingToCompile | Compiled::FromCache => continue,
                    Compiled::Ran(argv, cwd, outcome) => (argv, cwd, outcome),
                    Compiled::Failed(message) => {
                        result.output_tail =
                            Some(tail.excerpt(OUTPUT_HEAD_LINES, OUTPUT_TAIL_LINES));
                        return Some((Status::Error, Some(message)));
                    }
                }
            }
            None => {
                tail.extend(format!("$ {}\n", step.argv().join(" ")).as_bytes());
                let (outcome, jvm) = run_step(step, options, deadline, &mut tail, cancel).await;
                jvm_record = jvm;
                (step.argv(), step.cwd.clone(), outcome)
            }
        };
        let (jvm, cold_jvm_reason) = match jvm_record.take() {
            Some((jvm, why)) => (Some(jvm), why),
            None => (None, None),
        };
        let mut record = CommandRecord {
            argv,
            cwd,
            exit_code: None,
            signal: None,
            duration_s: step_started.elapsed().as_secs_f64(),
            jvm,
            cold_jvm_reason,
        };
        let failure = match outcome {
            ProcessOutcome::Exited(0) => {
                record.exit_code = Some(0);
                None
            }
            ProcessOutcome::Exited(code) => {
                record.exit_code = Some(code);
                Some((
                    Status::Error,
                    format!("{} exited with status {code}", step.label),
                ))
            }
            ProcessOutcome::Signalled(signal) => {
                record.signal = Some(signal);
                Some((
                    Status::Error,
                    format!(
                        "{} was killed by signal {}",
                        step.label,
                        signal_name(signal)
                    ),
                ))
            }
            ProcessOutcome::TimedOut => Some((
                Status::Timeout,
                format!(
                    "timed out after {:.0} s (in {}); the process group was stopped",
                    options.timeout.as_secs_f64(),
                    step.label
                ),
            )),
            ProcessOutcome::Cancelled => {
                Some((Status::Error, format!("interrupted during {}", step.label)))
            }
            ProcessOutcome::SpawnFailed(e) => Some((
                Status::Error,
                format!("could not start {}: {e}", step.program.display()),
            )),
        };
        result.commands.push(record);
        // The job's: the coldest any of its commands ran in (`Cold` > `Warm`).
        result.jvm = result.commands.iter().filter_map(|c| c.jvm).max();
        if let Some((status, message)) = failure {
            result.output_tail = Some(tail.excerpt(OUTPUT_HEAD_LINES, OUTPUT_TAIL_LINES));
            return Some((status, Some(message)));
        }
    }
    result.output_tail = Some(tail.excerpt(OUTPUT_HEAD_LINES, OUTPUT_TAIL_LINES));
    None
}

/// Runs one step that is not a mechanism compilation: a jNeuroML step in a warm JVM when the
/// run has them and one can run it exactly as its cold command would, else (and after a warm
/// run that failed, see [`crate::jvm`]) its command in a process of its own. For a jNeuroML
/// step, also says which JVM ran it and why a fresh one.
async fn run_step(
    step: &Step,
    options: &RunOptions,
    deadline: tokio::time::Instant,
    tail: &mut CappedOutput,
    cancel: &mut watch::Receiver<bool>,
) -> (ProcessOutcome, Option<(Jvm, Option<String>)>) {
    if step.jvm.is_none() {
        return (
            run_process(step, options, deadline, tail, cancel).await,
            None,
        );
    }
    let Some(pool) = &options.warm_jvms else {
        let outcome = run_process(step, options, deadline, tail, cancel).await;
        return (outcome, Some((Jvm::Cold, None)));
    };
    let why_cold = match pool.refusal(step) {
        Err(why) => why,
        Ok(args) => {
            match pool
                .run(&args, &step.cwd, deadline, cancel, options.grace, tail)
                .await
            {
                crate::jvm::Outcome::Ran => {
                    return (ProcessOutcome::Exited(0), Some((Jvm::Warm, None)))
                }
                crate::jvm::Outcome::TimedOut => {
                    return (ProcessOutcome::TimedOut, Some((Jvm::Warm, None)))
                }
                crate::jvm::Outcome::Cancelled => {
                    return (ProcessOutcome::Cancelled, Some((Jvm::Warm, None)))
                }
                crate::jvm::Outcome::Fallback(why) => {
                    tail.extend(
                        format!("crosscheck: {why}; running the command in a fresh JVM\n")
                            .as_bytes(),
                    );
                    why
                }
            }
        }
    };
    let outcome = run_process(step, options, deadline, tail, cancel).await;
    (outcome, Some((Jvm::Cold, Some(why_cold))))
}

/// What a mechanism compilation came to.
enum Compiled {
    /// The folder has no `.mod` file (yet): nothing to do.
    NothingToCompile,
    /// The cache had them; they are copied into the run folder.
    FromCache,
    /// `nrnivmodl` ran (argv, folder, outcome); on success the result is copied.
    Ran(Vec<String>, PathBuf, ProcessOutcome),
    /// The cache itself failed (file system).
    Failed(String),
}

/// Compiles the mechanisms of `compile.sources` through the cache (see [`crate::mechanisms`])
/// and copies them into `compile.run_dir`. The entry's lock is awaited by polling, so a job
/// waiting for another job's compilation still honours its deadline and Ctrl-C.
async fn compile_mechanisms(
    step: &Step,
    compile: &crate::engine::Compile,
    options: &RunOptions,
    deadline: tokio::time::Instant,
    tail: &mut CappedOutput,
    cancel: &mut watch::Receiver<bool>,
) -> Compiled {
    use crate::mechanisms::{MechanismCache, Sources};
    let Some(sources) = Sources::find(&compile.sources) else {
        return Compiled::NothingToCompile;
    };
    let argv = step.argv();
    let entry = match sources.key(&compile.compiler) {
        Ok(key) => MechanismCache::new(&compile.cache).entry(&key),
        Err(e) => return Compiled::Failed(format!("mechanism cache: {e}")),
    };
    let lock = match entry.lock_file() {
        Ok(lock) => lock,
        Err(e) => return Compiled::Failed(format!("mechanism cache: {e}")),
    };
    loop {
        match lock.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Compiled::Failed(format!(
                    "mechanism cache: could not lock {}: {e}",
                    entry.dir.display()
                ))
            }
        }
        if *cancel.borrow() {
            return Compiled::Ran(argv, entry.dir.clone(), ProcessOutcome::Cancelled);
        }
        if tokio::time::Instant::now() >= deadline {
            return Compiled::Ran(argv, entry.dir.clone(), ProcessOutcome::TimedOut);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let link = |tail: &mut CappedOutput| match entry.install_into(&compile.run_dir) {
        Ok(_) => None,
        Err(e) => {
            tail.extend(format!("crosscheck: {e}\n").as_bytes());
            Some(format!("mechanism cache: {e}"))
        }
    };
    if entry.is_built() {
        tail.extend(
            format!(
                "crosscheck: mechanisms of {} compiled earlier, copied from the cache {}\n",
                compile.sources.display(),
                entry.dir.display()
            )
            .as_bytes(),
        );
        return match link(tail) {
            None => Compiled::FromCache,
            Some(message) => Compiled::Failed(message),
        };
    }
    if let Err(e) = entry.prepare(&sources) {
        return Compiled::Failed(format!("mechanism cache: {e}"));
    }
    tail.extend(
        format!(
            "$ {}  (in the cache {}, for {})\n",
            argv.join(" "),
            entry.dir.display(),
            compile.sources.display()
        )
        .as_bytes(),
    );
    let mut run = step.clone();
    run.cwd = entry.dir.clone();
    run.compile = None;
    let outcome = run_process(&run, options, deadline, tail, cancel).await;
    if matches!(outcome, ProcessOutcome::Exited(0)) {
        if let Err(e) = entry.commit() {
            entry.discard();
            return Compiled::Failed(format!("mechanism cache: {e}"));
        }
        if let Some(message) = link(tail) {
            return Compiled::Failed(message);
        }
    } else {
        entry.discard();
    }
    drop(lock);
    Compiled::Ran(argv, entry.dir.clone(), outcome)
}

/// The body of a crosscheck-suite job: generate the code, run it, read the recordings, judge
/// them (features, statistics, published values, then the stored data).
async fn execute_suite_job(
    job: &SuiteJob,
    tools: &Tools,
    options: &RunOptions,
    workdir: &Path,
    mut cancel: watch::Receiver<bool>,
    result: &mut TestResult,
) -> ((Status, Option<String>), Option<Recordings>) {
    let generate = {
        let job = job.clone();
        let tools = tools.clone();
        let workdir = workdir.to_path_buf();
        tokio::task::spawn_blocking(move || suite_job::steps(&job, &workdir, &tools)).await
    };
    let steps = match generate {
        Ok(Ok(steps)) => steps,
        // What a simulator cannot express (NEST: synapses onto Izhikevich 2007 cells) is a skip.
        Ok(Err(crate::codegen::CodegenError::Unsupported(why))) => {
            return ((Status::Skip, Some(why)), None)
        }
        Ok(Err(e)) => {
            return (
                (Status::Error, Some(format!("code generation failed: {e}"))),
                None,
            )
        }
        Err(e) => return ((Status::Error, Some(format!("internal error: {e}"))), None),
    };
    if let Some(failure) = run_steps(&steps, options, &mut cancel, result).await {
        return (failure, None);
    }
    let read = {
        let job = job.clone();
        let workdir = workdir.to_path_buf();
        let stored_checks = options.stored_checks.clone();
        tokio::task::spawn_blocking(move || {
            let suite = job.resolved_suite();
            suite_job::read_recordings(&suite, job.simulator, &workdir).map(|recordings| {
                let mut observables = crate::judge::features::judge_features(&job, &recordings);
                observables.extend(crate::judge::statistics::judge_statistics(
                    &job,
                    &recordings,
                ));
                observables.extend(crate::judge::statistics::judge_published(&job, &recordings));
                observables.extend(crate::judge::analytic::judge_analytic(&job, &recordings));
                // A job that errored in its own checks is not judged against stored data.
                if let Some(stored) = stored_checks {
                    if verdict(&observables).0 != Status::Error {
                        observables.extend(stored.judge(&job, &recordings));
                    }
                }
                (observables, recordings)
            })
        })
        .await
    };
    match read {
        Ok(Ok((observables, recordings))) => {
            result.observables = observables;
            (verdict(&result.observables), Some(recordings))
        }
        Ok(Err(e)) => ((Status::Error, Some(e)), None),
        Err(e) => ((Status::Error, Some(format!("internal error: {e}"))), None),
    }
}

/// A job's status from its observables: any error makes it an error, any failure a failure.
pub(crate) fn verdict(observables: &[ObservableResult]) -> (Status, Option<String>) {
    for (check_status, status) in [
        (CheckStatus::Error, Status::Error),
        (CheckStatus::Fail, Status::Fail),
    ] {
        let mut matching = observables.iter().filter(|o| o.status == check_status);
        if let Some(o) = matching.next() {
            let others = matching.count();
            let more = if others > 0 {
                format!(" (and {others} more)")
            } else {
                String::new()
            };
            let message = format!("{} / {}: {}{more}", o.experiment, o.observable, o.message);
            return (status, Some(message));
        }
    }
    (Status::Pass, None)
}

fn display_relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A file-system-safe version of a test id, for working directory names.
fn slug(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches(['.', '_']).to_string();
    s.chars().take(80).collect()
}

fn signal_name(signal: i32) -> String {
    match Signal::try_from(signal) {
        Ok(s) => format!("{} ({signal})", s.as_str()),
        Err(_) => signal.to_string(),
    }
}

/// How one process ended.
#[derive(Debug)]
enum ProcessOutcome {
    Exited(i32),
    Signalled(i32),
    TimedOut,
    Cancelled,
    SpawnFailed(std::io::Error),
}

/// Runs one step's process (through `options.processes`), collecting its output into `tail`,
/// until it exits, the deadline passes or the run is cancelled. In every case what the
/// process leaves is killed before returning, so children that outlive the step (make →
/// compilers, wrappers → java) cannot leak.
async fn run_process(
    step: &Step,
    options: &RunOptions,
    deadline: tokio::time::Instant,
    tail: &mut CappedOutput,
    cancel: &mut watch::Receiver<bool>,
) -> ProcessOutcome {
    let spec = ProcessSpec {
        program: step.program.clone(),
        args: step.args.clone(),
        cwd: step.cwd.clone(),
        env: options
            .process_env
            .iter()
            .chain(&step.env)
            .cloned()
            .collect(),
        stdin: step.stdin.clone(),
    };
    let shared = Arc::new(Mutex::new(std::mem::replace(tail, CappedOutput::new(0))));
    let outcome = match options.processes.spawn(&spec, shared.clone()) {
        Err(e) => ProcessOutcome::SpawnFailed(e),
        Ok(mut process) => {
            let outcome = tokio::select! {
                ended = process.wait() => match ended {
                    Ok(Ended::Exited(code)) => ProcessOutcome::Exited(code),
                    Ok(Ended::Signalled(signal)) => ProcessOutcome::Signalled(signal),
                    Err(e) => ProcessOutcome::SpawnFailed(e),
                },
                _ = tokio::time::sleep_until(deadline) => {
                    process.stop(options.grace).await;
                    ProcessOutcome::TimedOut
                }
                _ = crate::process::cancelled(cancel) => {
                    process.stop(options.grace).await;
                    ProcessOutcome::Cancelled
                }
            };
            process.finish().await;
            outcome
        }
    };
    *tail = match Arc::try_unwrap(shared) {
        Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
        Err(arc) => arc
            .lock()
            .map(|t| t.clone())
            .unwrap_or_else(|p| p.into_inner().clone()),
    };
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observable(status: CheckStatus, message: &str) -> ObservableResult {
        ObservableResult {
            experiment: "exp".into(),
            observable: "spike times".into(),
            status,
            tolerance: 0.1,
            expected: None,
            observed: None,
            message: message.into(),
            min_passing_tolerance: None,
            file: PathBuf::from("t.omt"),
            line: 3,
        }
    }

    #[test]
    fn errors_outrank_failures_and_the_rest_are_counted() {
        let pass = observable(CheckStatus::Pass, "ok");
        let fail = observable(CheckStatus::Fail, "off by 3");
        let error = observable(CheckStatus::Error, "no file");
        assert_eq!(verdict(std::slice::from_ref(&pass)), (Status::Pass, None));
        let (status, message) = verdict(&[pass.clone(), fail.clone(), fail.clone()]);
        assert_eq!(status, Status::Fail);
        assert_eq!(message.unwrap(), "exp / spike times: off by 3 (and 1 more)");
        let (status, message) = verdict(&[fail, error, pass]);
        assert_eq!(status, Status::Error);
        assert_eq!(message.unwrap(), "exp / spike times: no file");
    }

    /// What a scripted process does.
    #[derive(Debug, Clone, Copy)]
    enum Script {
        /// Prints its name, then exits with `code` after `after`.
        Exit { code: i32, after: Duration },
        /// Never exits by itself.
        Hang,
    }

    /// A [`Spawn`] that starts nothing: each program (by file name) follows its script, and
    /// every start, stop and finish is logged, with the most processes alive at once.
    #[derive(Debug)]
    struct Scripted {
        scripts: HashMap<String, Script>,
        /// For programs without a script.
        default: Script,
        log: Arc<Mutex<Vec<String>>>,
        alive: Arc<Mutex<(usize, usize)>>,
    }

    impl Scripted {
        fn new(default: Script, scripts: &[(&str, Script)]) -> Arc<Scripted> {
            Arc::new(Scripted {
                scripts: scripts.iter().map(|(n, s)| (n.to_string(), *s)).collect(),
                default,
                log: Arc::default(),
                alive: Arc::default(),
            })
        }

        fn log(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }

        fn most_alive(&self) -> usize {
            self.alive.lock().unwrap().1
        }
    }

    struct ScriptedProcess {
        name: String,
        script: Script,
        log: Arc<Mutex<Vec<String>>>,
        alive: Arc<Mutex<(usize, usize)>>,
    }

    impl Spawn for Scripted {
        fn spawn(
            &self,
            spec: &ProcessSpec,
            output: Arc<Mutex<CappedOutput>>,
        ) -> std::io::Result<Box<dyn crate::process::Running>> {
            let name = spec
                .program
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            if name == "missing" {
                return Err(std::io::Error::from(std::io::ErrorKind::NotFound));
            }
            self.log.lock().unwrap().push(format!("spawn {name}"));
            output
                .lock()
                .unwrap()
                .extend(format!("{name} says hello\n").as_bytes());
            let mut alive = self.alive.lock().unwrap();
            alive.0 += 1;
            alive.1 = alive.1.max(alive.0);
            Ok(Box::new(ScriptedProcess {
                script: *self.scripts.get(&name).unwrap_or(&self.default),
                name,
                log: self.log.clone(),
                alive: self.alive.clone(),
            }))
        }
    }

    impl crate::process::Running for ScriptedProcess {
        fn wait(&mut self) -> crate::process::BoxFuture<'_, std::io::Result<Ended>> {
            let script = self.script;
            Box::pin(async move {
                match script {
                    Script::Exit { code, after } => {
                        tokio::time::sleep(after).await;
                        Ok(Ended::Exited(code))
                    }
                    Script::Hang => std::future::pending().await,
                }
            })
        }

        fn stop(&mut self, _grace: Duration) -> crate::process::BoxFuture<'_, ()> {
            self.log.lock().unwrap().push(format!("stop {}", self.name));
            Box::pin(async {})
        }

        fn finish(self: Box<Self>) -> crate::process::BoxFuture<'static, ()> {
            self.log
                .lock()
                .unwrap()
                .push(format!("finish {}", self.name));
            self.alive.lock().unwrap().0 -= 1;
            Box::pin(async {})
        }
    }

    fn options(processes: Arc<Scripted>, jobs: usize, work_root: &Path) -> RunOptions {
        RunOptions {
            jobs,
            timeout: Duration::from_secs(60),
            grace: Duration::from_secs(3),
            keep_workdirs: false,
            work_root: work_root.to_path_buf(),
            home: work_root.join("home"),
            process_env: vec![],
            output_cap: 64 * 1024,
            warm_jvms: None,
            stored_checks: None,
            processes,
        }
    }

    fn step(program: &str) -> Step {
        Step {
            label: format!("step {program}"),
            program: PathBuf::from("/bin").join(program),
            args: vec![],
            cwd: PathBuf::from("/"),
            stdin: None,
            compile: None,
            env: vec![],
            jvm: None,
        }
    }

    fn result() -> TestResult {
        TestResult::new("t", "engine", Status::Error)
    }

    /// A step past the job's deadline is stopped (its group too) and the job is a timeout
    /// naming the step; the steps after it never start.
    #[tokio::test(start_paused = true)]
    async fn a_step_past_the_deadline_is_stopped_and_the_rest_never_start() {
        let work = tempfile::tempdir().unwrap();
        let after = Duration::from_secs(1);
        let scripted = Scripted::new(Script::Exit { code: 0, after }, &[("b", Script::Hang)]);
        let options = options(scripted.clone(), 1, work.path());
        let (_cancel_tx, mut cancel) = watch::channel(false);
        let mut result = result();
        let started = tokio::time::Instant::now();
        let failure = run_steps(
            &[step("a"), step("b"), step("c")],
            &options,
            &mut cancel,
            &mut result,
        )
        .await;
        let (status, message) = failure.expect("a timeout");
        assert_eq!(status, Status::Timeout);
        assert_eq!(
            message.unwrap(),
            "timed out after 60 s (in step b); the process group was stopped"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(60));
        assert_eq!(
            scripted.log(),
            ["spawn a", "finish a", "spawn b", "stop b", "finish b"]
        );
        assert_eq!(result.commands.len(), 2);
        assert_eq!(result.commands[0].exit_code, Some(0));
        assert_eq!(result.commands[1].exit_code, None);
        let tail = result.output_tail.unwrap();
        assert!(tail.contains("$ /bin/b\nb says hello"), "{tail}");
        assert_eq!(
            scripted.alive.lock().unwrap().0,
            0,
            "every process finished"
        );
    }

    /// Ctrl-C during a step stops it; the job is an error saying where it was interrupted.
    #[tokio::test(start_paused = true)]
    async fn cancelling_stops_the_running_step() {
        let work = tempfile::tempdir().unwrap();
        let scripted = Scripted::new(Script::Hang, &[]);
        let options = options(scripted.clone(), 1, work.path());
        let (cancel_tx, mut cancel) = watch::channel(false);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            cancel_tx.send(true).unwrap();
            // Kept alive: a dropped sender would read as "no cancellation can come".
            std::future::pending::<()>().await;
        });
        let mut result = result();
        let started = tokio::time::Instant::now();
        let (status, message) =
            run_steps(&[step("a"), step("b")], &options, &mut cancel, &mut result)
                .await
                .expect("interrupted");
        assert_eq!(status, Status::Error);
        assert_eq!(message.unwrap(), "interrupted during step a");
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        assert_eq!(scripted.log(), ["spawn a", "stop a", "finish a"]);
    }

    /// A step that fails, or cannot start, ends the job with its reason; later steps do not
    /// run.
    #[tokio::test(start_paused = true)]
    async fn a_failing_step_ends_the_job_with_its_status() {
        let work = tempfile::tempdir().unwrap();
        let exit = |code| Script::Exit {
            code,
            after: Duration::from_millis(10),
        };
        let scripted = Scripted::new(exit(0), &[("b", exit(3))]);
        let options = options(scripted.clone(), 1, work.path());
        let (_cancel_tx, mut cancel) = watch::channel(false);
        let mut result = result();
        let (status, message) = run_steps(
            &[step("a"), step("b"), step("c")],
            &options,
            &mut cancel,
            &mut result,
        )
        .await
        .expect("a failure");
        assert_eq!(status, Status::Error);
        assert_eq!(message.unwrap(), "step b exited with status 3");
        assert_eq!(
            scripted.log(),
            ["spawn a", "finish a", "spawn b", "finish b"]
        );
        assert_eq!(result.commands[1].exit_code, Some(3));

        let mut result = self::result();
        let (status, message) = run_steps(
            &[step("missing"), step("a")],
            &options,
            &mut cancel,
            &mut result,
        )
        .await
        .expect("a failure");
        assert_eq!(status, Status::Error);
        assert!(message
            .unwrap()
            .starts_with("could not start /bin/missing: "));
        // Nothing ran the second time.
        assert_eq!(scripted.log().len(), 4);
    }

    /// OMV dry-run tests (the engine's exit status is the verdict) in a temporary folder, as
    /// planned jobs.
    fn dry_run_jobs(dir: &Path, count: usize) -> Vec<Job> {
        std::fs::write(dir.join("model.py"), "print('hi')\n").unwrap();
        for i in 0..count {
            std::fs::write(
                dir.join(format!(".test.t{i}.omt")),
                "target: model.py\nengine: PyNEURON\n",
            )
            .unwrap();
        }
        let loaded = crate::plan::load(&[dir.to_path_buf()]).unwrap();
        assert!(loaded.invalid.is_empty(), "{:?}", loaded.invalid);
        crate::plan::plan(&loaded, &[])
    }

    /// Five jobs under `-j 2`: never more than two processes at once, every job started before
    /// it finished, results in job order.
    #[tokio::test]
    async fn jobs_run_within_the_cpu_budget_and_report_in_order() {
        let root = tempfile::tempdir().unwrap();
        let tests = root.path().join("tests");
        std::fs::create_dir(&tests).unwrap();
        let jobs = dry_run_jobs(&tests, 5);
        assert_eq!(jobs.len(), 5);
        let ids: Vec<String> = jobs.iter().map(|j| j.id().to_string()).collect();
        let scripted = Scripted::new(
            Script::Exit {
                code: 0,
                after: Duration::from_millis(300),
            },
            &[],
        );
        let options = options(scripted.clone(), 2, &root.path().join("work"));
        let (events_tx, mut events_rx) = mpsc::unbounded_channel();
        let (_cancel_tx, cancel) = watch::channel(false);
        let tools = Arc::new(crate::engine::tests::tools());
        let output = run_jobs(jobs, tools, Arc::new(options), events_tx, cancel).await;
        assert_eq!(scripted.most_alive(), 2);
        let statuses: Vec<(String, Status)> = output
            .results
            .iter()
            .map(|r| (r.id.clone(), r.status))
            .collect();
        let expected: Vec<(String, Status)> =
            ids.into_iter().map(|id| (id, Status::Pass)).collect();
        assert_eq!(statuses, expected);
        let mut started = std::collections::BTreeSet::new();
        let mut finished = 0;
        while let Some(event) = events_rx.recv().await {
            match event {
                Event::JobStarted { index, .. } => assert!(started.insert(index)),
                Event::JobFinished { index, result } => {
                    assert!(started.contains(&index), "finished before it started");
                    assert_eq!(result.status, Status::Pass);
                    finished += 1;
                }
            }
        }
        assert_eq!((started.len(), finished), (5, 5));
    }

    /// A run cancelled before its jobs start runs none of them: each is reported skipped.
    #[tokio::test]
    async fn a_cancelled_run_starts_no_job() {
        let root = tempfile::tempdir().unwrap();
        let tests = root.path().join("tests");
        std::fs::create_dir(&tests).unwrap();
        let jobs = dry_run_jobs(&tests, 3);
        let scripted = Scripted::new(Script::Hang, &[]);
        let options = options(scripted.clone(), 2, &root.path().join("work"));
        let (events_tx, _events_rx) = mpsc::unbounded_channel();
        let (cancel_tx, cancel) = watch::channel(true);
        let tools = Arc::new(crate::engine::tests::tools());
        let output = run_jobs(jobs, tools, Arc::new(options), events_tx, cancel).await;
        drop(cancel_tx);
        assert!(scripted.log().is_empty(), "{:?}", scripted.log());
        for result in &output.results {
            assert_eq!(result.status, Status::Skip);
            assert_eq!(
                result.message.as_deref(),
                Some("not run: the run was interrupted")
            );
        }
        assert_eq!(output.results.len(), 3);
    }

    #[test]
    fn slugs_are_safe() {
        assert_eq!(
            slug("LEMS/test/.test.ex0.jnml.omt"),
            "LEMS_test_.test.ex0.jnml.omt"
        );
        assert_eq!(slug("../../x y"), "x_y");
    }
}
