//! Warm jNeuroML JVMs: jNeuroML commands run in long-lived JVMs instead of a fresh `java -jar`
//! each.
//!
//! A fresh JVM costs about 1.35 CPU-seconds before jNeuroML reads its first file (start-up,
//! class loading, JIT compilation), most of a small LEMS model's run. A worker pays it once
//! and then runs command after command in 0.03–0.6 s, its JIT-compiled jLEMS simulating
//! faster too. A pool keeps at most one worker per CPU slot (a job holds a worker only while
//! its jNeuroML step runs, and at most `-j` jobs run at once).
//!
//! A warm run must give exactly what a cold one gives, so a job runs cold (in a fresh JVM,
//! after the warm attempt) whenever the worker could not run it as a fresh JVM would:
//! - before it starts: another heap or Java, extra environment, an argument or folder the
//!   line protocol cannot carry ([`WarmJvms::refusal`]), a driver that cannot be built or a
//!   worker that cannot start;
//! - after: jNeuroML threw, called `System.exit` (it does so on every error), the JVM
//!   crashed or was killed, or it used no CPU for [`HANG_LIMIT`] (it waits for something that
//!   will not come). The worker is then killed and a new one started for later jobs.
//!
//! Within a run, a worker resets what jNeuroML may change of the JVM's global state (system
//! properties, locale, time zone, standard streams, working folder; see the driver), waits for
//! the threads a job started as a JVM would before exiting, and retires after
//! [`JOBS_PER_WORKER`] jobs or when a job left a thread running. `tests/warm_jvm.rs` runs
//! every jNeuroML command of the OMV corpus both ways and compares every file written.
//!
//! A job that times out or is interrupted in a worker kills that worker and everything it
//! started, as for any step.

pub mod driver;
pub mod worker;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use crate::engine::{Step, Tools};
use crate::env::ManagedEnv;
use crate::fsutil::CappedOutput;
pub use driver::{Driver, DriverError};
pub use worker::Launch;
use worker::{JobEnd, StartError, Worker};

/// A worker that used no CPU time for this long during a job is taken to hang. A jNeuroML
/// command reads, computes and writes; it never waits this long for anything.
pub const HANG_LIMIT: Duration = Duration::from_secs(30);

/// Jobs a worker runs before it is replaced by a fresh one, bounding what a long run can
/// accumulate in one JVM (heap fragmentation, caches jNeuroML may keep).
pub const JOBS_PER_WORKER: u32 = 200;

/// How the warm JVMs of a run with `tools` start: with the JVM options of the cold commands
/// and the driver, built first if needed (`on_build` is called before a build). `Ok(None)`
/// when the run has no Java or no jNeuroML.
pub fn launch(
    env: &ManagedEnv,
    tools: &Tools,
    on_build: impl FnOnce(),
) -> Result<Option<Launch>, DriverError> {
    let (Some(java), Some(jar)) = (&tools.java, &tools.jnml_jar) else {
        return Ok(None);
    };
    let driver = driver::ensure(env.home(), java, jar, on_build)?;
    Ok(Some(Launch {
        java: java.clone(),
        options: crate::engine::jneuroml::JVM_OPTIONS
            .iter()
            .map(OsString::from)
            .collect(),
        jar: jar.clone(),
        driver,
        main_class: worker::JNEUROML_MAIN.to_string(),
        process_env: env.process_env(),
    }))
}

/// How a step sent to the pool ended.
#[derive(Debug)]
pub enum Outcome {
    /// jNeuroML ran to the end in a warm JVM (a cold run exits 0 then).
    Ran,
    /// The step must run in a fresh JVM, for this reason.
    Fallback(String),
    /// The job's deadline passed in the worker; the worker and its children were killed.
    TimedOut,
    /// The run was interrupted; the worker and its children were killed.
    Cancelled,
}

/// The warm JVMs of one run.
pub struct WarmJvms {
    launch: Launch,
    /// Parent of the workers' own folders.
    root: PathBuf,
    idle: Mutex<Vec<Worker>>,
    started: AtomicUsize,
    /// Set when the driver reports it cannot work here: no worker is started any more.
    unusable: Mutex<Option<String>>,
    hang_limit: Duration,
}

impl std::fmt::Debug for WarmJvms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarmJvms")
            .field("launch", &self.launch)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl WarmJvms {
    /// A pool whose workers start with `launch`, keeping their folders under `root`. No JVM
    /// starts before the first step needs one.
    pub fn new(launch: Launch, root: PathBuf) -> Self {
        WarmJvms {
            launch,
            root,
            idle: Mutex::new(Vec::new()),
            started: AtomicUsize::new(0),
            unusable: Mutex::new(None),
            hang_limit: HANG_LIMIT,
        }
    }

    /// The same pool with another hang limit (the tests of hang detection use a short one).
    pub fn with_hang_limit(mut self, limit: Duration) -> Self {
        self.hang_limit = limit;
        self
    }

    /// Workers started so far.
    pub fn started(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }

    /// The process ids of the idle workers (for tests that kill one from outside).
    pub fn idle_pids(&self) -> Vec<u32> {
        self.lock_idle().iter().filter_map(Worker::pid).collect()
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Worker>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// jNeuroML's arguments for `step`, or why a worker cannot run it exactly as its cold
    /// command would.
    pub fn refusal(&self, step: &Step) -> Result<Vec<String>, String> {
        let call = step.jvm.as_ref().ok_or("not a jNeuroML command")?;
        if let Some(why) = call.cold_only {
            return Err(why.to_string());
        }
        if step.program != self.launch.java || call.jar != self.launch.jar {
            return Err("another Java or jNeuroML than the warm JVMs'".into());
        }
        if call.options != self.launch.options {
            return Err(format!(
                "JVM options {} differ from the warm JVMs' {}",
                join(&call.options),
                join(&self.launch.options)
            ));
        }
        if !step.env.is_empty() || step.stdin.is_some() {
            return Err("the step has its own environment or input".into());
        }
        let mut texts = Vec::with_capacity(call.args.len() + 1);
        for text in call
            .args
            .iter()
            .map(OsString::as_os_str)
            .chain(std::iter::once(step.cwd.as_os_str()))
        {
            match text.to_str() {
                // One line per argument; the JNI side reads Java's modified UTF-8, which
                // differs from UTF-8 beyond the Basic Multilingual Plane.
                Some(t)
                    if !t
                        .chars()
                        .any(|c| matches!(c, '\n' | '\r' | '\0') || c > '\u{FFFF}') =>
                {
                    texts.push(t.to_string())
                }
                _ => {
                    return Err(format!(
                        "{:?} cannot be sent to a warm JVM (not plain text on one line)",
                        text
                    ))
                }
            }
        }
        texts.pop();
        Ok(texts)
    }

    /// Runs jNeuroML with `args` in `cwd` in an idle worker (or a new one), appending its
    /// output to `tail`.
    pub async fn run(
        &self,
        args: &[String],
        cwd: &Path,
        deadline: tokio::time::Instant,
        cancel: &mut watch::Receiver<bool>,
        grace: Duration,
        tail: &mut CappedOutput,
    ) -> Outcome {
        if let Some(why) = self.unusable.lock().ok().and_then(|u| u.clone()) {
            return Outcome::Fallback(format!("warm JVMs cannot run here: {why}"));
        }
        let cwd = match std::path::absolute(cwd) {
            Ok(dir) => dir,
            Err(e) => return Outcome::Fallback(format!("{}: {e}", cwd.display())),
        };
        let idle = self.lock_idle().pop();
        let mut worker = match idle {
            Some(worker) => worker,
            None => {
                let n = self.started.fetch_add(1, Ordering::Relaxed);
                let folder = self.root.join(format!("worker-{n}"));
                match Worker::start(&self.launch, folder, deadline, cancel).await {
                    Ok(worker) => worker,
                    Err(StartError::Cancelled) => return Outcome::Cancelled,
                    Err(StartError::Failed(why)) => {
                        return Outcome::Fallback(format!("no warm JVM: {why}"))
                    }
                    Err(StartError::Unusable(why)) => {
                        if let Ok(mut unusable) = self.unusable.lock() {
                            *unusable = Some(why.clone());
                        }
                        return Outcome::Fallback(format!("warm JVMs cannot run here: {why}"));
                    }
                }
            }
        };
        let end = worker
            .run(args, &cwd, deadline, cancel, grace, self.hang_limit)
            .await;
        if let Ok(output) = std::fs::read(worker.log_file()) {
            tail.extend(&output);
        }
        let outcome = match end {
            JobEnd::Done { retire } => {
                if retire || worker.jobs_run >= JOBS_PER_WORKER {
                    worker.quit().await;
                } else {
                    self.lock_idle().push(worker);
                }
                return Outcome::Ran;
            }
            JobEnd::TimedOut => Outcome::TimedOut,
            JobEnd::Cancelled => Outcome::Cancelled,
            JobEnd::Failed(why) => {
                Outcome::Fallback(format!("jNeuroML threw in the warm JVM: {why}"))
            }
            JobEnd::Died(how) => Outcome::Fallback(format!("in the warm JVM, {how}")),
            JobEnd::Hung => Outcome::Fallback(format!(
                "the warm JVM used no CPU for {} s (it hangs) and was stopped",
                self.hang_limit.as_secs()
            )),
        };
        worker.kill(Duration::ZERO).await;
        outcome
    }

    /// Stops every idle worker and removes the pool's folder. Workers busy with a job are
    /// stopped by that job.
    pub async fn shutdown(&self) {
        let idle = std::mem::take(&mut *self.lock_idle());
        for worker in idle {
            worker.quit().await;
        }
        let _ = std::fs::remove_dir(&self.root);
    }
}

fn join(options: &[OsString]) -> String {
    options
        .iter()
        .map(|o| o.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
