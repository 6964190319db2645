//! Ending a step's processes (its process group, and whatever left the group but carries the
//! step's tag, see [`crate::process_tag`]) and waiting for the run to be cancelled. Shared by
//! the runner's one-shot steps and the warm jNeuroML workers ([`crate::jvm`]), which live
//! across jobs but end the same way.

use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

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
