//! Finding every process a step started, including those that left its process group.
//!
//! The runner starts each step in a process group of its own and kills the group when the
//! step ends, times out or is cancelled. A process that calls `setsid` (a daemonising wrapper,
//! `mpiexec`'s helpers, a script's `setsid cmd &`) leaves the group and would survive that,
//! holding CPUs and perhaps the step's output pipes. Every step's environment therefore
//! carries a tag unique to it, which children inherit (environments are copied across `fork`
//! and `exec` unless a program clears them deliberately); after the group is killed, any
//! process still carrying the tag is killed too, found through `/proc/<pid>/environ`.

use std::sync::atomic::{AtomicU64, Ordering};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The environment variable holding a step's tag.
pub const TAG_VARIABLE: &str = "CROSSCHECK_STEP_TAG";

/// A fresh tag: this crosscheck's pid and a counter, so concurrent crosscheck runs and
/// concurrent steps never share one.
pub fn new_tag() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The pids of live processes whose environment holds `TAG_VARIABLE=tag`, this process
/// excepted. Processes whose environment cannot be read (another user's, or gone meanwhile)
/// are not ours to kill anyway.
pub fn tagged_processes(tag: &str) -> Vec<i32> {
    processes_with_environment_entry(&format!("{TAG_VARIABLE}={tag}"))
}

/// The pids of processes (this one excepted) whose environment holds exactly `entry`
/// (`NAME=value`), as far as `/proc/<pid>/environ` can be read.
pub fn processes_with_environment_entry(entry: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|&b| b == 0).any(|kv| kv == entry.as_bytes()))
        })
        .collect()
}

/// Kills every process carrying `tag` with SIGKILL, again while new ones appear (a process
/// may fork between the scan and the kill), at most a few rounds. Returns how many were
/// killed.
pub fn kill_tagged(tag: &str) -> usize {
    let mut killed = 0;
    for _ in 0..10 {
        let pids = tagged_processes(tag);
        if pids.is_empty() {
            break;
        }
        for pid in pids {
            if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                killed += 1;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_kills_a_tagged_process_outside_our_group_only() {
        let tag = new_tag();
        let mut tagged = std::process::Command::new("setsid")
            .args(["sleep", "60"])
            .env(TAG_VARIABLE, &tag)
            .spawn()
            .unwrap();
        let mut other = std::process::Command::new("sleep")
            .arg("60")
            .env(TAG_VARIABLE, new_tag())
            .spawn()
            .unwrap();
        // Until the exec has happened, /proc shows the parent's environment.
        let pid = tagged.id() as i32;
        for _ in 0..200 {
            if tagged_processes(&tag).contains(&pid) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(tagged_processes(&tag), vec![pid]);
        assert_eq!(kill_tagged(&tag), 1);
        let status = tagged.wait().unwrap();
        assert!(!status.success());
        assert!(tagged_processes(&tag).is_empty());
        assert!(
            other.try_wait().unwrap().is_none(),
            "an untagged process was killed"
        );
        other.kill().unwrap();
        other.wait().unwrap();
    }
}
