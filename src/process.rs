//! Starting and ending a step's processes.
//!
//! [`Spawn`] is the seam between the runner (scheduling, deadlines, cancellation, what a step's
//! end means) and the operating system: [`OsProcesses`] starts each step in a process group of
//! its own, tagged ([`crate::process_tag`]) so that processes leaving the group are found too;
//! the runner's unit tests use a scripted implementation that starts nothing. Ending a group
//! ([`stop_group`], [`reap`]) is shared with the warm jNeuroML workers ([`crate::jvm`]), which
//! live across jobs but end the same way.

use std::ffi::OsString;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::AsyncReadExt;

use crate::fsutil::CappedOutput;

/// A future a [`Running`] process hands back (boxed, so that the traits stay object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A command line to start, in full.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The folder it runs in.
    pub cwd: PathBuf,
    /// Variables on top of crosscheck's own environment, in order (later ones win).
    pub env: Vec<(OsString, OsString)>,
    /// Text for its standard input; `None`: empty input.
    pub stdin: Option<String>,
}

/// How a process ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signalled(i32),
}

/// Starts processes for the runner.
pub trait Spawn: Send + Sync + std::fmt::Debug {
    /// Starts `spec`; what it prints (stdout and stderr) is appended to `output` as it comes.
    fn spawn(
        &self,
        spec: &ProcessSpec,
        output: Arc<Mutex<CappedOutput>>,
    ) -> std::io::Result<Box<dyn Running>>;
}

/// A process started by [`Spawn::spawn`].
pub trait Running: Send {
    /// Waits until the process ends by itself.
    fn wait(&mut self) -> BoxFuture<'_, std::io::Result<Ended>>;
    /// Stops the process and its group now: SIGTERM, `grace` to exit cleanly, then SIGKILL.
    fn stop(&mut self, grace: Duration) -> BoxFuture<'_, ()>;
    /// Once it has ended (by itself or stopped): kills what it left behind (the rest of its
    /// group, processes carrying its tag) and waits until its output has been read.
    fn finish(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// The real [`Spawn`]: every process in a new process group, tagged, killed on drop.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsProcesses;

impl Spawn for OsProcesses {
    fn spawn(
        &self,
        spec: &ProcessSpec,
        output: Arc<Mutex<CappedOutput>>,
    ) -> std::io::Result<Box<dyn Running>> {
        let tag = crate::process_tag::new_tag();
        let mut command = tokio::process::Command::new(&spec.program);
        command
            .args(&spec.args)
            .current_dir(&spec.cwd)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .env(crate::process_tag::TAG_VARIABLE, &tag)
            .stdin(if spec.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let pgid = child.id().map(|id| Pid::from_raw(id as i32));
        if let (Some(input), Some(mut stdin)) = (spec.stdin.clone(), child.stdin.take()) {
            // Written from a task, so a process that does not read its input cannot block the
            // runner; dropping the handle closes the pipe (end of input, as `nrniv` expects).
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let _ = stdin.write_all(input.as_bytes()).await;
            });
        }
        let readers = [
            child.stdout.take().map(|s| spawn_reader(s, output.clone())),
            child.stderr.take().map(|s| spawn_reader(s, output)),
        ];
        Ok(Box::new(OsProcess {
            child,
            pgid,
            tag,
            readers,
        }))
    }
}

/// A process started by [`OsProcesses`].
struct OsProcess {
    child: tokio::process::Child,
    /// Its process group (its own pid), unless it could not be read.
    pgid: Option<Pid>,
    /// The value of its [`crate::process_tag::TAG_VARIABLE`].
    tag: String,
    /// The tasks copying its stdout and stderr into the output.
    readers: [Option<tokio::task::JoinHandle<()>>; 2],
}

impl Running for OsProcess {
    fn wait(&mut self) -> BoxFuture<'_, std::io::Result<Ended>> {
        Box::pin(async move { self.child.wait().await.map(ended) })
    }

    fn stop(&mut self, grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(stop_group(&mut self.child, self.pgid, grace))
    }

    fn finish(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            // Leftovers of the group (background children of a step that exited) go too, and
            // so do processes that left the group (`setsid`), found by the step's tag.
            reap(self.pgid, &self.tag).await;
            for reader in self.readers.into_iter().flatten() {
                // The group is dead, so the pipes close; the bound is a safety net against a
                // pipe held open by a process that left the group.
                let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
            }
        })
    }
}

/// Copies `stream` into `output` until it closes.
fn spawn_reader<R>(mut stream: R, output: Arc<Mutex<CappedOutput>>) -> tokio::task::JoinHandle<()>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut t) = output.lock() {
                        t.extend(&buf[..n]);
                    }
                }
            }
        }
    })
}

fn ended(status: std::process::ExitStatus) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ended::Exited(code),
        (None, Some(signal)) => Ended::Signalled(signal),
        (None, None) => Ended::Exited(-1),
    }
}

/// SIGTERM to the whole group, a grace period to exit cleanly, then SIGKILL.
pub async fn stop_group(child: &mut tokio::process::Child, pgid: Option<Pid>, grace: Duration) {
    if let Some(pgid) = pgid {
        let _ = killpg(pgid, Signal::SIGTERM);
    }
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        if let Some(pgid) = pgid {
            let _ = killpg(pgid, Signal::SIGKILL);
        }
        let _ = child.wait().await;
    }
}

/// SIGKILL to what is left of the group (background children of a process that exited) and
/// to every process carrying `tag` (those that called `setsid`).
pub async fn reap(pgid: Option<Pid>, tag: &str) {
    if let Some(pgid) = pgid {
        let _ = killpg(pgid, Signal::SIGKILL);
    }
    let tag = tag.to_string();
    let _ = tokio::task::spawn_blocking(move || crate::process_tag::kill_tagged(&tag)).await;
}

/// Returns once `cancel` turns true (Ctrl-C, SIGTERM); never, if it cannot any more.
pub async fn cancelled(cancel: &mut tokio::sync::watch::Receiver<bool>) {
    while !*cancel.borrow() {
        if cancel.changed().await.is_err() {
            // The sender is gone: no cancellation can come any more.
            std::future::pending::<()>().await;
        }
    }
}
