//! Running jobs: working copies, processes, timeouts, cancellation, and judging the outputs.
//!
//! Every job gets a private copy of the repository (simulators write their outputs beside the
//! model, so parallel jobs would otherwise overwrite each other and the user's tree), runs its
//! engine's steps there, each step in its own process group, and is judged from the files the
//! steps wrote. `jobs` is a budget of CPUs: a job holds as many as it keeps busy (an MPI job its
//! ranks, any other one), so at most `jobs` CPUs' worth of jobs run at once. Whatever happens to a process (non-zero exit,
//! crash, timeout, Ctrl-C) becomes a result; nothing stops the other jobs, and no process is
//! left behind: after every step the whole process group is killed, children included, and
//! so is any process that left the group but carries the step's tag ([`crate::process_tag`]).

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, watch, Semaphore};

use crate::engine::{Step, Tools};
use crate::fsutil::CappedOutput;
use crate::native::{self, NativeJob, Recordings};
use crate::plan::{Job, JobEngine, OmvJob, Work};
use crate::results::{CheckStatus, CommandRecord, Jvm, ObservableResult, Status, TestResult};

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
}

/// Checks that need one suite job's recordings and data stored for it outside the run. The
/// runner calls them without knowing what they compare: see `reference::StoredData`.
pub trait StoredChecks: Send + Sync + std::fmt::Debug {
    /// The job's further observables (empty when nothing is stored for it).
    fn judge(&self, job: &NativeJob, recordings: &Recordings) -> Vec<ObservableResult>;
}

/// What the runner tells reporters as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    JobStarted {
        index: usize,
        id: String,
        engine: String,
    },
    JobFinished {
        index: usize,
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
        id: job.id().to_string(),
        model: job.model(),
        file,
        line,
        engine: job.engine_label(),
        engine_version: job.engine_version.clone(),
        status: Status::Error,
        duration_s: 0.0,
        message: None,
        observables: vec![],
        commands: vec![],
        output_tail: None,
        workdir: None,
        cached: false,
        cpus: 1,
        started_at: None,
        finished_at: None,
        plots: None,
        jvm: None,
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
        Work::Native(native) => {
            let (outcome, recorded) =
                execute_native(native, tools, options, &workdir, cancel, &mut result).await;
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
                observables.push(crate::check::evaluate(&experiment.name, check, &resolve));
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
async fn execute_native(
    job: &NativeJob,
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
        tokio::task::spawn_blocking(move || native::steps(&job, &workdir, &tools)).await
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
            native::read_recordings(&suite, job.simulator, &workdir).map(|recordings| {
                let mut observables = native::judge_features(&job, &recordings);
                observables.extend(native::judge_statistics(&job, &recordings));
                observables.extend(native::judge_published(&job, &recordings));
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

/// Runs one step in its own process group, collecting its output into `tail`, until it exits,
/// the deadline passes or the run is cancelled. In every case the process group is killed
/// before returning, so children that outlive the step (make → compilers, wrappers → java)
/// cannot leak.
async fn run_process(
    step: &Step,
    options: &RunOptions,
    deadline: tokio::time::Instant,
    tail: &mut CappedOutput,
    cancel: &mut watch::Receiver<bool>,
) -> ProcessOutcome {
    let tag = crate::process_tag::new_tag();
    let mut command = tokio::process::Command::new(&step.program);
    command
        .args(&step.args)
        .current_dir(&step.cwd)
        .envs(options.process_env.iter().map(|(k, v)| (k, v)))
        .envs(step.env.iter().map(|(k, v)| (k, v)))
        .env(crate::process_tag::TAG_VARIABLE, &tag)
        .stdin(if step.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return ProcessOutcome::SpawnFailed(e),
    };
    let pgid = child.id().map(|id| Pid::from_raw(id as i32));
    if let (Some(input), Some(mut stdin)) = (step.stdin.clone(), child.stdin.take()) {
        // Written from a task, so a process that does not read its input cannot block the
        // runner; dropping the handle closes the pipe (end of input, as `nrniv` expects).
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = stdin.write_all(input.as_bytes()).await;
        });
    }
    let shared = Arc::new(Mutex::new(std::mem::replace(tail, CappedOutput::new(0))));
    let readers = [
        child.stdout.take().map(|s| spawn_reader(s, shared.clone())),
        child.stderr.take().map(|s| spawn_reader(s, shared.clone())),
    ];

    let outcome = tokio::select! {
        status = child.wait() => match status {
            Ok(status) => exit_outcome(status),
            Err(e) => ProcessOutcome::SpawnFailed(e),
        },
        _ = tokio::time::sleep_until(deadline) => {
            crate::process::stop_group(&mut child, pgid, options.grace).await;
            ProcessOutcome::TimedOut
        }
        _ = crate::process::cancelled(cancel) => {
            crate::process::stop_group(&mut child, pgid, options.grace).await;
            ProcessOutcome::Cancelled
        }
    };
    // Leftovers of the group (background children of a step that exited) go too, and so do
    // processes that left the group (`setsid`), found by the step's tag.
    crate::process::reap(pgid, &tag).await;
    for reader in readers.into_iter().flatten() {
        // The group is dead, so the pipes close; the bound is a safety net against a pipe
        // held open by a process that left the group.
        let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
    }
    *tail = match Arc::try_unwrap(shared) {
        Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
        Err(arc) => arc
            .lock()
            .map(|t| t.clone())
            .unwrap_or_else(|p| p.into_inner().clone()),
    };
    outcome
}

fn spawn_reader<R>(mut stream: R, tail: Arc<Mutex<CappedOutput>>) -> tokio::task::JoinHandle<()>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut t) = tail.lock() {
                        t.extend(&buf[..n]);
                    }
                }
            }
        }
    })
}

fn exit_outcome(status: std::process::ExitStatus) -> ProcessOutcome {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ProcessOutcome::Exited(code),
        (None, Some(signal)) => ProcessOutcome::Signalled(signal),
        (None, None) => ProcessOutcome::Exited(-1),
    }
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

    #[test]
    fn slugs_are_safe() {
        assert_eq!(
            slug("LEMS/test/.test.ex0.jnml.omt"),
            "LEMS_test_.test.ex0.jnml.omt"
        );
        assert_eq!(slug("../../x y"), "x_y");
    }
}
