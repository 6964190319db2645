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
    let mut buffer = Vec::new();
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            environment(pid, &mut buffer)
                .is_some_and(|env| env.split(|&b| b == 0).any(|kv| kv == entry.as_bytes()))
        })
        .collect()
}

/// How long to wait for a process in the middle of an `exec` to show its new environment,
/// in pauses of a millisecond. An `exec` takes well under a millisecond once its program
/// is read; the bound only keeps a scan from waiting long on a process that stays in the
/// middle of one (a program image read from a slow disk).
const EXEC_PAUSES: usize = 50;

/// The raw `/proc/<pid>/environ` of a process, read into `buffer`; `None` if it cannot be
/// read (gone, or not ours).
///
/// While a process `exec`s, the kernel swaps its memory for the new program's before it
/// records where the new environment lies. A read in that moment comes back empty
/// (measured: about one scan in twenty of a process that `exec`s in a loop), and a file
/// read in several system calls, as `std::fs::read` does, can stop part-way, at the swap,
/// without the entry sought. So the file is read in one system call (which the kernel
/// serves from one memory image), and an empty read is looked into: a process still in its
/// `exec` is read again once it is through; any other is read once more (its `exec` may
/// have ended between the two reads) and then taken as it is, so that the few processes
/// with truly empty environments (this machine's init has one) cost no waiting.
fn environment(pid: i32, buffer: &mut Vec<u8>) -> Option<&[u8]> {
    let path = format!("/proc/{pid}/environ");
    let mut length = read_in_one_call(&path, buffer)?;
    for _ in 0..EXEC_PAUSES {
        if length > 0 {
            break;
        }
        match memory_state(pid) {
            MemoryState::None => break,
            MemoryState::Settled => {
                length = read_in_one_call(&path, buffer)?;
                break;
            }
            MemoryState::InExec => {
                std::thread::sleep(std::time::Duration::from_millis(1));
                length = read_in_one_call(&path, buffer)?;
            }
        }
    }
    Some(&buffer[..length])
}

/// Reads the whole of a `/proc` file by a single `read` into `buffer` (grown, and the file
/// read afresh, until the read no longer fills it); returns the length read.
fn read_in_one_call(path: &str, buffer: &mut Vec<u8>) -> Option<usize> {
    use std::io::Read;
    if buffer.is_empty() {
        buffer.resize(64 * 1024, 0);
    }
    loop {
        let read = std::fs::File::open(path).ok()?.read(buffer).ok()?;
        if read < buffer.len() {
            return Some(read);
        }
        let doubled = buffer.len() * 2;
        buffer.resize(doubled, 0);
    }
}

/// What `/proc/<pid>/stat` tells of a process's memory image, for a process whose
/// environment read empty.
#[derive(Debug, PartialEq, Eq)]
enum MemoryState {
    /// No image for good: a zombie, a kernel thread, or gone.
    None,
    /// In the middle of an `exec`: its new image has no environment recorded yet.
    InExec,
    /// Its image is set up (or not ours to see, which a step's own processes always are).
    Settled,
}

fn memory_state(pid: i32) -> MemoryState {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(MemoryState::None, |stat| memory_state_from_stat(&stat))
}

/// Reads [`MemoryState`] from the text of `/proc/<pid>/stat` (proc(5)):
/// `pid (comm) state ppid pgrp session tty_nr tpgid flags ... startcode endcode ...
/// env_start env_end exit_code`. The kernel shows a process it would not let us trace with
/// `startcode` and `endcode` 1 and the addresses after them 0; one of ours mid-`exec` has
/// a real image but `env_end` still 0, set last as the new program's stack is laid out.
fn memory_state_from_stat(stat: &str) -> MemoryState {
    /// `PF_KTHREAD` in the flags field (include/linux/sched.h).
    const KERNEL_THREAD: u64 = 0x0020_0000;
    // The command name may itself hold spaces and parentheses: the fields after it start
    // after the last `)`, at field 3.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return MemoryState::Settled;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3).copied();
    if matches!(field(3), Some("Z" | "X" | "x")) {
        return MemoryState::None;
    }
    let flags = field(9).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    if flags & KERNEL_THREAD != 0 {
        return MemoryState::None;
    }
    let not_ours_to_see = field(26) == Some("1") && field(27) == Some("1");
    match field(51) {
        Some("0") if !not_ours_to_see => MemoryState::InExec,
        _ => MemoryState::Settled,
    }
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

    /// Waits (a few seconds at most) until a scan finds `pid` carrying `tag`: until a child's
    /// first `exec`, `/proc` shows this process's environment, untagged.
    fn wait_until_tagged(tag: &str, pid: i32) {
        for _ in 0..2000 {
            if tagged_processes(tag).contains(&pid) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

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
        let pid = tagged.id() as i32;
        wait_until_tagged(&tag, pid);
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

    /// A process replacing itself by `exec` is, for a moment, without a readable
    /// environment; a scan at that moment must still find it, or a step's `setsid` child
    /// caught mid-`exec` would outlive the step.
    #[test]
    fn finds_a_tagged_process_while_it_execs() {
        let tag = new_tag();
        let script =
            r#"if [ "$1" -gt 0 ]; then exec sh -c "$0" "$0" $(($1 - 1)); fi; exec sleep 60"#;
        let mut chain = std::process::Command::new("sh")
            .args(["-c", script, script, "300"])
            .env(TAG_VARIABLE, &tag)
            .spawn()
            .unwrap();
        let pid = chain.id() as i32;
        let comm = || std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        wait_until_tagged(&tag, pid);
        let (mut scans, mut misses) = (0, 0);
        while comm().trim() != "sleep" {
            assert!(chain.try_wait().unwrap().is_none(), "the chain ended");
            scans += 1;
            if !tagged_processes(&tag).contains(&pid) {
                misses += 1;
            }
        }
        chain.kill().unwrap();
        chain.wait().unwrap();
        assert!(scans > 10, "only {scans} scans while the chain ran");
        assert_eq!(misses, 0, "{misses} of {scans} scans missed the process");
    }

    #[test]
    fn memory_states_read_from_stat() {
        // Fields 3 to 52 of proc(5); `flags` is field 9, startcode/endcode 26/27, env_end 51.
        let stat = |state: &str, flags: u64, code: &str, env_end: &str| {
            let mut fields: Vec<String> = (3..=52).map(|_| "7".to_string()).collect();
            fields[0] = state.to_string();
            fields[9 - 3] = flags.to_string();
            fields[26 - 3] = code.to_string();
            fields[27 - 3] = code.to_string();
            fields[51 - 3] = env_end.to_string();
            format!("42 (a (b) c) {}", fields.join(" "))
        };
        use MemoryState::*;
        assert_eq!(
            memory_state_from_stat(&stat("S", 0, "4096", "140000")),
            Settled
        );
        assert_eq!(memory_state_from_stat(&stat("R", 0, "4096", "0")), InExec);
        assert_eq!(memory_state_from_stat(&stat("S", 0, "1", "0")), Settled);
        assert_eq!(memory_state_from_stat(&stat("Z", 0, "0", "0")), None);
        assert_eq!(
            memory_state_from_stat(&stat("I", 0x0020_0000, "0", "0")),
            None
        );
        assert_eq!(memory_state_from_stat("42 (x) S 1 2"), Settled);
        // This process, read from the kernel: an image set up.
        assert_eq!(memory_state(std::process::id() as i32), Settled);
        assert_eq!(memory_state(-1), None);
    }
}
