//! Fault injection: simulators that die, hang, flood their output or write garbage, reports
//! that cannot be written, interruption, concurrent blesses. Each test asserts the outcome
//! and that no process the test started is left.

mod common;

use crosscheck::exit::Exit;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    assert_all_gone, command_test, crosscheck, process_alive, read_json, shared_home,
    statuses_by_id, write,
};
use predicates::prelude::*;

/// The pids a fault script wrote to `file`, one per line, once `count` are there.
fn wait_for_pids(file: &Path, count: usize) -> Vec<i32> {
    for _ in 0..400 {
        let pids: Vec<i32> = fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if pids.len() >= count {
            return pids;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "the fault script did not start: no {count} pids in {}",
        file.display()
    );
}

/// No process started by a crosscheck run with `home` is left: every step runs with
/// `HOME=<home>/sim-home`, so any such process, in the step's group or escaped from it, shows
/// it in its environment.
fn assert_nothing_left(home: &Path) {
    let marker = format!("HOME={}", home.join("sim-home").display());
    let started_by_us = || -> Vec<i32> {
        crosscheck::process_tag::processes_with_environment_entry(&marker)
            .into_iter()
            .filter(|pid| process_alive(*pid))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !started_by_us().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(started_by_us(), Vec::<i32>::new(), "processes left behind");
}

fn run_json(dir: &Path, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let json = dir.join("r.json");
    let output = crosscheck(&dir.join("home"))
        .arg("run")
        .arg(dir)
        .arg("--json")
        .arg(&json)
        .args(extra)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_nothing_left(&dir.join("home"));
    (output, read_json(&json))
}

fn test_by_id<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no test {id} in {report}"))
}

#[test]
fn simulators_killed_by_signals_are_errors_naming_the_signal_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    for (name, signal) in [("killed", "KILL"), ("aborted", "ABRT"), ("bus", "BUS")] {
        command_test(
            dir.path(),
            name,
            &format!("echo 'working on {name}'; kill -{signal} $$"),
            "[1]",
            "0.1",
        );
    }
    command_test(dir.path(), "fine", "printf '1\\n' > out.dat", "[1]", "0.1");
    let (output, report) = run_json(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(Exit::TestsFailed.code()));
    for (name, signal) in [
        ("killed", "SIGKILL"),
        ("aborted", "SIGABRT"),
        ("bus", "SIGBUS"),
    ] {
        let test = test_by_id(&report, &format!(".test.{name}.omt"));
        assert_eq!(test["status"], "error", "{test}");
        assert!(test["message"].as_str().unwrap().contains(signal), "{test}");
        assert!(test["output_tail"]
            .as_str()
            .unwrap()
            .contains(&format!("working on {name}")));
    }
    assert_eq!(test_by_id(&report, ".test.fine.omt")["status"], "pass");
}

/// A hang past the timeout, whose children ignore SIGTERM and one of which has left the
/// process group with `setsid`: the job times out, the others run, and nothing survives.
#[test]
fn a_hang_whose_children_escape_the_group_is_stopped_completely() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    command_test(
        dir.path(),
        "hang",
        &format!(
            "trap '' TERM\n\
             (trap '' TERM; sleep 300) &\necho $! >> {p}\n\
             setsid sh -c 'echo $$ >> {p}; trap \"\" TERM; sleep 300' &\n\
             echo $$ >> {p}\necho hanging\nsleep 300",
            p = pids.display()
        ),
        "[1]",
        "0.1",
    );
    command_test(dir.path(), "fine", "printf '1\\n' > out.dat", "[1]", "0.1");
    let started = Instant::now();
    let (output, report) = run_json(dir.path(), &["--timeout", "2"]);
    assert_eq!(output.status.code(), Some(Exit::TestsFailed.code()));
    // Timeout, a grace period for SIGTERM, then SIGKILL; the escaped child does not keep the
    // run waiting on its output pipe.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let hang = test_by_id(&report, ".test.hang.omt");
    assert_eq!(hang["status"], "timeout", "{hang}");
    assert!(hang["output_tail"].as_str().unwrap().contains("hanging"));
    assert_eq!(test_by_id(&report, ".test.fine.omt")["status"], "pass");
    let pids = wait_for_pids(&pids, 3);
    assert_all_gone(&pids, "the timeout");
}

/// Peak resident memory (kB) of a process over its life, polled from /proc until it exits.
fn run_measuring_peak_rss(mut cmd: std::process::Command) -> (std::process::ExitStatus, u64) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = fs::read_to_string(&status_file) {
            if let Some(kb) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A simulator writing gigabytes: the output kept is capped (its head and tail), crosscheck's
/// memory stays small, the job is judged normally and the run goes on.
#[test]
fn gigabytes_of_output_are_capped_and_the_job_is_still_judged() {
    let dir = tempfile::tempdir().unwrap();
    command_test(
        dir.path(),
        "flood",
        "echo 'first line'\n\
         yes 'all work and no play makes a simulator a dull boy' | head -c 2000000000\n\
         echo 'the end'\nprintf '1\\n' > out.dat",
        "[1]",
        "0.1",
    );
    let json = dir.path().join("r.json");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"));
    cmd.env("CROSSCHECK_HOME", dir.path().join("home"))
        .env("CROSSCHECK_NO_CACHE", "1")
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json);
    let (status, peak_kb) = run_measuring_peak_rss(cmd);
    assert_eq!(status.code(), Some(Exit::Success.code()));
    let report = read_json(&json);
    let flood = test_by_id(&report, ".test.flood.omt");
    assert_eq!(flood["status"], "pass", "{flood}");
    let tail = flood["output_tail"].as_str().unwrap();
    assert!(
        tail.len() < 512 * 1024,
        "{} bytes of output kept",
        tail.len()
    );
    assert!(
        tail.contains("first line") && tail.contains("the end"),
        "{tail}"
    );
    assert!(
        peak_kb < 200 * 1024,
        "crosscheck peaked at {peak_kb} kB reading 2 GB of output"
    );
    assert_nothing_left(&dir.path().join("home"));
}

#[test]
fn truncated_or_non_numeric_data_files_are_errors_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    command_test(
        dir.path(),
        "garbage",
        "printf '1.0\\n2.5\\nnot-a-number\\n' > out.dat",
        "[1, 2.5]",
        "0.1",
    );
    command_test(
        dir.path(),
        "truncated",
        "printf '1.0\\n2.5e' > out.dat",
        "[1, 2.5]",
        "0.1",
    );
    command_test(dir.path(), "empty", ": > out.dat", "[1, 2.5]", "0.1");
    let (output, report) = run_json(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(Exit::TestsFailed.code()));
    let garbage = test_by_id(&report, ".test.garbage.omt");
    assert_eq!(garbage["status"], "error", "{garbage}");
    let message = garbage["message"].as_str().unwrap();
    assert!(
        message.contains("out.dat") && message.contains("3"),
        "{message}"
    );
    assert!(message.contains("not-a-number"), "{message}");
    let truncated = test_by_id(&report, ".test.truncated.omt");
    assert_eq!(truncated["status"], "error", "{truncated}");
    let message = truncated["message"].as_str().unwrap();
    assert!(
        message.contains("out.dat") && message.contains("2"),
        "{message}"
    );
    // An empty file is data (no spikes), judged as such: a failure, not a crash.
    let empty = test_by_id(&report, ".test.empty.omt");
    assert_eq!(empty["status"], "fail", "{empty}");
}

/// Reports that cannot be written (a folder where a file should be, a path under a file):
/// exit 3 with the path in the message, and the reports that could be written are complete.
#[test]
fn unwritable_reports_are_a_clear_error_and_the_others_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    command_test(dir.path(), "fine", "printf '1\\n' > out.dat", "[1]", "0.1");
    let not_a_dir = write(dir.path(), "plain-file", "not a folder\n");
    let junit = dir.path().join("ok.xml");
    let json_dir = dir.path().join("a-folder");
    fs::create_dir(&json_dir).unwrap();
    let output = crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json_dir)
        .arg("--junit")
        .arg(&junit)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(Exit::ReportUnwritable.code()),
        "{stderr}"
    );
    assert!(stderr.contains("a-folder"), "{stderr}");
    let xml = fs::read_to_string(&junit).expect("the JUnit report is still written");
    assert!(xml.contains("</testsuites>"), "{xml}");

    // A JSON path under a plain file, with an HTML report that works.
    let html = dir.path().join("html");
    let output = crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(not_a_dir.join("r.json"))
        .arg("--html")
        .arg(&html)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(Exit::ReportUnwritable.code()),
        "{stderr}"
    );
    assert!(stderr.contains("plain-file"), "{stderr}");
    assert!(html.join("index.html").is_file());
    assert_nothing_left(&dir.path().join("home"));
    // No temporary files left beside the file that failed, nor a half-written report.
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp") || n.starts_with(".r.json"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `crosscheck report` into a file system that runs out of space (a file-size limit, which
/// fails writes as a full disk does): a clear error and exit 3, no half-written page left.
#[test]
fn a_full_disk_while_writing_a_report_is_a_clear_error() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    command_test(dir.path(), "fine", "printf '1\\n' > out.dat", "[1]", "0.1");
    let (_, _) = run_json(dir.path(), &[]);
    let out = dir.path().join("report");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"));
    cmd.arg("report")
        .arg(dir.path().join("r.json"))
        .arg("-o")
        .arg(&out);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // Writes past 2 KiB fail with EFBIG instead of raising SIGXFSZ.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 2048,
                rlim_max: 2048,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(Exit::ReportUnwritable.code()),
        "{stderr}"
    );
    assert!(stderr.contains("report"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Whatever was written is whole: no page stops short of its end.
    for entry in walk(&out) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp"), "temporary file left: {name}");
        if name.ends_with(".html") {
            let text = fs::read_to_string(&entry).unwrap();
            assert!(text.trim_end().ends_with("</html>"), "{name} is cut short");
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Ctrl-C in the middle of a run: the finished job keeps its result, the running one is
/// marked as interrupted, the report says the run was interrupted, and nothing survives.
#[test]
fn ctrl_c_writes_partial_results_marked_as_such_and_leaves_no_process() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    command_test(dir.path(), "quick", "printf '1\\n' > out.dat", "[1]", "0.1");
    command_test(
        dir.path(),
        "slow",
        &format!(
            "sleep 300 &\necho $! >> {p}\nsetsid sleep 300 &\necho $! >> {p}\necho $$ >> {p}\nsleep 300",
            p = pids.display()
        ),
        "[1]",
        "0.1",
    );
    let json = dir.path().join("r.json");
    let junit = dir.path().join("r.xml");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"))
        .env("CROSSCHECK_HOME", dir.path().join("home"))
        .env("CROSSCHECK_NO_CACHE", "1")
        .args(["run", "-j", "2"])
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = wait_for_pids(&pids, 3);
    // Let the quick job finish.
    std::thread::sleep(Duration::from_millis(1500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(Exit::Interrupted.code()));
    let report = read_json(&json);
    assert_eq!(report["interrupted"], true);
    let statuses = statuses_by_id(&report);
    assert_eq!(
        statuses[".test.quick.omt [command]"], "pass",
        "{statuses:?}"
    );
    let slow = test_by_id(&report, ".test.slow.omt");
    assert_eq!(slow["status"], "error");
    assert!(
        slow["message"].as_str().unwrap().contains("interrupt"),
        "{slow}"
    );
    assert!(fs::read_to_string(&junit)
        .unwrap()
        .contains("</testsuites>"));
    assert_all_gone(&started, "Ctrl-C");
    assert_nothing_left(&dir.path().join("home"));
}

/// Two blesses of the same references: the second waits for the first (here the test holds
/// the lock itself, so the wait is certain), then writes whole, consistent files.
#[test]
fn a_second_bless_waits_for_the_first_and_references_stay_whole() {
    let dir = tempfile::tempdir().unwrap();
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/native");
    let suite = dir.path().join("izhikevich_rs.crosscheck.yaml");
    fs::copy(suites.join("izhikevich_rs.crosscheck.yaml"), &suite).unwrap();
    let refs = dir.path().join("reference-data");
    fs::create_dir(&refs).unwrap();
    // Bless locks the folder holding the reference root.
    let lock = fs::File::open(dir.path()).unwrap();
    lock.lock().unwrap();

    let bless = |stderr: &Path| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"))
            .env("CROSSCHECK_HOME", shared_home())
            .env("CROSSCHECK_NO_CACHE", "1")
            .args(["bless", "--engine", "NEST"])
            .arg(&suite)
            .stdout(Stdio::null())
            .stderr(fs::File::create(stderr).unwrap())
            .spawn()
            .unwrap()
    };
    let (err_a, err_b) = (dir.path().join("a.err"), dir.path().join("b.err"));
    let mut a = bless(&err_a);
    let mut b = bless(&err_b);
    // Both wait, and say so, while the lock is held; nothing is written.
    let deadline = Instant::now() + Duration::from_secs(120);
    let waiting = |p: &Path| {
        fs::read_to_string(p)
            .unwrap_or_default()
            .contains("waiting for another")
    };
    while !(waiting(&err_a) && waiting(&err_b)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        waiting(&err_a) && waiting(&err_b),
        "{}",
        fs::read_to_string(&err_a).unwrap()
    );
    assert!(a.try_wait().unwrap().is_none() && b.try_wait().unwrap().is_none());
    assert!(!refs.join("izhikevich_rs").exists(), "written while locked");
    drop(lock);
    assert!(
        a.wait().unwrap().success(),
        "{}",
        fs::read_to_string(&err_a).unwrap()
    );
    assert!(
        b.wait().unwrap().success(),
        "{}",
        fs::read_to_string(&err_b).unwrap()
    );

    // Every file whole, and the reference checks pass against them.
    let nest = refs.join("izhikevich_rs/NEST");
    let spikes = fs::read_to_string(nest.join("spikes_rs.txt")).unwrap();
    let expected = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("reference-data/izhikevich_rs/NEST/spikes_rs.txt"),
    )
    .unwrap();
    assert_eq!(spikes, expected);
    let provenance: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(nest.join("spikes_rs.txt.provenance.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(provenance["engine"], "NEST");
    crosscheck(&shared_home())
        .args(["run", "--engine", "NEST"])
        .arg(&suite)
        .timeout(Duration::from_secs(300))
        .assert()
        .success()
        .stdout(predicate::str::contains("1 passed"));
}

/// A managed environment damaged after installation (a package file truncated, the state
/// record garbled): found before anything runs, named, and repaired by `crosscheck install`,
/// after which the engine runs again. A private home, so no other test sees the damage.
#[test]
fn a_damaged_environment_is_detected_and_repaired_by_install() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/omv/pylems");
    crosscheck(&home)
        .args(["install", "pylems"])
        .timeout(Duration::from_secs(900))
        .assert()
        .success();
    let run_offline = || {
        crosscheck(&home)
            .args(["run", "--offline"])
            .arg(&fixture)
            .timeout(Duration::from_secs(300))
            .output()
            .unwrap()
    };
    assert_eq!(run_offline().status.code(), Some(Exit::Success.code()));

    // Truncate one of pyLEMS's modules: --offline refuses to run on it, naming the file.
    let site = fs::read_dir(home.join("venv/lib"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.is_dir())
        .unwrap();
    let module = site.join("lems/api.py");
    assert!(
        module.is_file(),
        "pyLEMS layout changed: {}",
        module.display()
    );
    fs::write(&module, "").unwrap();
    let output = run_offline();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(Exit::EngineUnavailable.code()),
        "{stderr}"
    );
    assert!(
        stderr.contains("damaged")
            && stderr.contains("api.py")
            && stderr.contains("crosscheck install"),
        "{stderr}"
    );

    // And the record of what is installed garbled as well: install repairs both.
    fs::write(home.join("state.json"), "{\"components\": {\"pyl").unwrap();
    let output = crosscheck(&home)
        .args(["install", "pylems"])
        .timeout(Duration::from_secs(900))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("unreadable") && stderr.contains("reinstalling"),
        "{stderr}"
    );
    assert!(
        fs::metadata(&module).unwrap().len() > 0,
        "api.py not restored"
    );
    let output = run_offline();
    assert_eq!(
        output.status.code(),
        Some(Exit::Success.code()),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_nothing_left(&home);
}
