//! One warm worker: a JVM running the driver ([`super::driver`]), one job at a time.
//!
//! A worker is a long-lived child of crosscheck, started like any step (its own process group,
//! its own process tag) so that stopping it stops everything it started. It reads requests on
//! its standard input and answers on its standard output; when crosscheck goes away, its input
//! ends and it exits by itself.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::watch;

use super::driver::{Driver, MAIN_CLASS};

/// The class whose `main` a worker calls for each job.
pub const JNEUROML_MAIN: &str = "org.neuroml.JNeuroML";

/// How long a worker may take to start before its job runs cold instead.
const START_LIMIT: Duration = Duration::from_secs(60);

/// What every worker of a pool is started with.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `java` the cold commands run (from `PATH`).
    pub java: PathBuf,
    /// The JVM options of the cold commands (`-Xmx1G`, ...), so a warm job has the same heap and
    /// collector as a cold one.
    pub options: Vec<OsString>,
    /// The jNeuroML jar, first on the class path as `java -jar` has it.
    pub jar: PathBuf,
    /// The built driver: the worker's main class and its JNI library.
    pub driver: Driver,
    /// The class whose `main` runs each job: [`JNEUROML_MAIN`], or a stand-in in the tests of
    /// the worker's failure handling.
    pub main_class: String,
    /// Variables on top of crosscheck's environment, as every step gets them.
    pub process_env: Vec<(OsString, OsString)>,
}

/// Why a worker did not start.
#[derive(Debug)]
pub enum StartError {
    /// The driver says it cannot work in this JVM (no JNI, a JDK whose internals differ): no
    /// other worker of this run will do better.
    Unusable(String),
    /// This start failed (too slow, killed, could not be spawned); a later one may succeed.
    Failed(String),
    /// The run was interrupted while the worker started; it has been killed.
    Cancelled,
}

/// How a job in a worker ended.
#[derive(Debug)]
pub enum JobEnd {
    /// jNeuroML's `main` returned; `retire` when something the job started outlived it (then
    /// this JVM is not given another job).
    Done {
        /// Something the job started outlived it: the worker must not be given another job.
        retire: bool,
    },
    /// `main` threw: a cold JVM must run the job.
    Failed(String),
    /// The worker ended during the job: jNeuroML called `System.exit`, or the JVM crashed or
    /// was killed.
    Died(String),
    /// The worker used no CPU for the pool's hang limit: it waits for something that will not
    /// come. It has been killed.
    Hung,
    /// The job's deadline passed; the worker has been killed.
    TimedOut,
    /// The run was interrupted; the worker has been killed.
    Cancelled,
}

/// A running worker.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: Lines<BufReader<ChildStdout>>,
    pid: Option<u32>,
    pgid: Option<Pid>,
    tag: String,
    /// The worker's own folder: its working folder between jobs, its stderr, job logs.
    folder: PathBuf,
    /// Jobs this worker has run.
    pub jobs_run: u32,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("pid", &self.pid)
            .field("folder", &self.folder)
            .field("jobs_run", &self.jobs_run)
            .finish()
    }
}

impl Worker {
    /// Starts a worker in `folder` (created) and waits until it is ready.
    pub async fn start(
        launch: &Launch,
        folder: PathBuf,
        deadline: tokio::time::Instant,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<Worker, StartError> {
        std::fs::create_dir_all(&folder)
            .map_err(|e| StartError::Failed(format!("{}: {e}", folder.display())))?;
        let stderr = std::fs::File::create(folder.join("worker.stderr"))
            .map_err(|e| StartError::Failed(format!("{}: {e}", folder.display())))?;
        // The jar first, as `java -jar` has it.
        let mut classpath = launch.jar.clone().into_os_string();
        classpath.push(":");
        classpath.push(&launch.driver.classes);
        let tag = crate::process_tag::new_tag();
        let mut command = tokio::process::Command::new(&launch.java);
        command
            .args(&launch.options)
            // The driver points java.io's and java.nio's cached working folder at each job's.
            .arg("--add-opens=java.base/java.io=ALL-UNNAMED")
            .arg("--add-opens=java.base/sun.nio.fs=ALL-UNNAMED")
            .arg("-cp")
            .arg(classpath)
            .arg(MAIN_CLASS)
            .arg(&launch.jar)
            .arg(&launch.main_class)
            .arg(&launch.driver.chdir_library)
            .arg(&folder)
            .current_dir(&folder)
            .envs(launch.process_env.iter().map(|(k, v)| (k, v)))
            .env(crate::process_tag::TAG_VARIABLE, &tag)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| StartError::Failed(format!("{}: {e}", launch.java.display())))?;
        let pid = child.id();
        let pgid = pid.map(|id| Pid::from_raw(id as i32));
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(StartError::Failed("no pipes to the worker".into()));
        };
        let mut worker = Worker {
            child,
            stdin,
            replies: BufReader::new(stdout).lines(),
            pid,
            pgid,
            tag,
            folder,
            jobs_run: 0,
        };
        let limit = deadline.min(tokio::time::Instant::now() + START_LIMIT);
        let reply = tokio::select! {
            line = worker.replies.next_line() => line,
            _ = tokio::time::sleep_until(limit) => {
                worker.kill(Duration::ZERO).await;
                return Err(StartError::Failed("the worker did not start in time".into()));
            }
            _ = crate::process::cancelled(cancel) => {
                worker.kill(Duration::ZERO).await;
                return Err(StartError::Cancelled);
            }
        };
        match reply {
            Ok(Some(line)) if line.starts_with("ready") => Ok(worker),
            Ok(Some(line)) if line.starts_with("unusable") => {
                let why = line.trim_start_matches("unusable").trim().to_string();
                worker.kill(Duration::ZERO).await;
                Err(StartError::Unusable(why))
            }
            other => {
                let stderr = worker.stderr_tail();
                worker.kill(Duration::ZERO).await;
                Err(StartError::Failed(format!(
                    "the worker did not start ({}){}",
                    match other {
                        Ok(Some(line)) => format!("it said {line:?}"),
                        Ok(None) => "it exited".into(),
                        Err(e) => e.to_string(),
                    },
                    if stderr.is_empty() {
                        String::new()
                    } else {
                        format!(": {stderr}")
                    }
                )))
            }
        }
    }

    /// The file a job's output goes to (rewritten by every job).
    pub fn log_file(&self) -> PathBuf {
        self.folder.join("job.log")
    }

    /// Runs jNeuroML with `args` in `cwd` until it returns, the deadline passes, the run is
    /// cancelled or the worker hangs (no CPU time for `hang_after`). In every case but `Done`
    /// and `Failed`, the worker is dead when this returns.
    pub async fn run(
        &mut self,
        args: &[String],
        cwd: &Path,
        deadline: tokio::time::Instant,
        cancel: &mut watch::Receiver<bool>,
        grace: Duration,
        hang_after: Duration,
    ) -> JobEnd {
        self.jobs_run += 1;
        // A worker that dies before opening the log must not pass off the last job's as this one's.
        let _ = std::fs::remove_file(self.log_file());
        let mut request = format!("run {}\n", args.len());
        for line in [
            self.log_file().to_string_lossy().as_ref(),
            cwd.to_string_lossy().as_ref(),
        ]
        .into_iter()
        .chain(args.iter().map(String::as_str))
        {
            request.push_str(line);
            request.push('\n');
        }
        if let Err(e) = self.send(&request).await {
            return self.died(format!("could not send the job: {e}")).await;
        }
        let mut cpu = self.cpu_ticks();
        let mut idle_since = tokio::time::Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                line = self.replies.next_line() => {
                    return match line {
                        Ok(Some(line)) => match line.strip_prefix("done ") {
                            Some("ok") => JobEnd::Done { retire: false },
                            Some("ok retire") => JobEnd::Done { retire: true },
                            Some(failed) => JobEnd::Failed(
                                failed.trim_start_matches("failed").trim().to_string(),
                            ),
                            None => self.died(format!("unexpected reply {line:?}")).await,
                        },
                        Ok(None) => self.died(String::new()).await,
                        Err(e) => self.died(e.to_string()).await,
                    };
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.stop(grace).await;
                    return JobEnd::TimedOut;
                }
                _ = crate::process::cancelled(cancel) => {
                    self.stop(grace).await;
                    return JobEnd::Cancelled;
                }
                _ = tick.tick() => {
                    let now = self.cpu_ticks();
                    if now != cpu {
                        cpu = now;
                        idle_since = tokio::time::Instant::now();
                    } else if idle_since.elapsed() >= hang_after {
                        self.stop(Duration::ZERO).await;
                        return JobEnd::Hung;
                    }
                }
            }
        }
    }

    async fn send(&mut self, text: &str) -> std::io::Result<()> {
        self.stdin.write_all(text.as_bytes()).await?;
        self.stdin.flush().await
    }

    /// The worker ended (or must be ended) during a job: how, for the job's output.
    async fn died(&mut self, detail: String) -> JobEnd {
        let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        self.stop(Duration::ZERO).await;
        let how = match status {
            Ok(Ok(status)) => {
                use std::os::unix::process::ExitStatusExt;
                match (status.code(), status.signal()) {
                    (Some(code), _) => {
                        format!("the JVM exited with status {code} (System.exit in jNeuroML)")
                    }
                    (None, Some(signal)) => format!("the JVM was killed by signal {signal}"),
                    _ => "the JVM ended".to_string(),
                }
            }
            _ => "the JVM stopped answering".to_string(),
        };
        JobEnd::Died(if detail.is_empty() {
            how
        } else {
            format!("{how}: {detail}")
        })
    }

    /// User plus system CPU time of the JVM (all its threads), in clock ticks.
    fn cpu_ticks(&self) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid?)).ok()?;
        // Fields after the command name (which may hold spaces, but ends at the last ')'):
        // state is the first, utime the 12th, stime the 13th.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    }

    fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(self.folder.join("worker.stderr")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(5).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    /// Stops the worker's process group (SIGTERM, `grace`, SIGKILL) and everything carrying
    /// its tag.
    async fn stop(&mut self, grace: Duration) {
        crate::process::stop_group(&mut self.child, self.pgid, grace).await;
        crate::process::reap(self.pgid, &self.tag).await;
    }

    /// Kills the worker and removes its folder.
    pub async fn kill(mut self, grace: Duration) {
        self.stop(grace).await;
        let _ = std::fs::remove_dir_all(&self.folder);
    }

    /// Asks the worker to exit, then makes sure it did, and removes its folder.
    pub async fn quit(mut self) {
        let _ = self.send("quit\n").await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        self.kill(Duration::ZERO).await;
    }

    /// The worker's process id (for tests that kill it from outside).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }
}
