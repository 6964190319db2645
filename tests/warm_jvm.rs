//! Warm jNeuroML JVMs (src/jvm): a warm run writes exactly what a cold `java -jar` run writes
//! on every jNeuroML command of the OMV corpus, and every way a job can go wrong in a worker
//! (an exception, `System.exit`, a hang, a crash, a timeout, Ctrl-C) ends in a correct result
//! with nothing left behind.
//!
//! The failure modes that real jNeuroML cannot be made to show on demand (throwing, hanging,
//! starting processes) are driven through the pool itself with a stand-in main class compiled
//! here with javac; the others run real jNeuroML through the `crosscheck` binary.

mod common;

use crosscheck::exit::Exit;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{corpus, crosscheck, ex0_copy, process_alive, read_json, shared_home, write};
use crosscheck::engine::{Step, Tools};
use crosscheck::env::ManagedEnv;
use crosscheck::fsutil::CappedOutput;
use crosscheck::jvm::{Launch, Outcome, WarmJvms};
use crosscheck::plan::{JobEngine, Work};
use tokio::sync::watch;

/// Provisions jNeuroML in the shared home and builds the worker's driver (as `install` does).
fn provision_jneuroml() -> (ManagedEnv, Tools) {
    crosscheck(&shared_home())
        .args(["install", "pyneuroml"])
        .timeout(Duration::from_secs(1800))
        .assert()
        .success();
    let env = ManagedEnv::at(shared_home());
    let state = env.state().expect("managed environment readable");
    let tools = Tools::discover(&env, state);
    (env, tools)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Every file under `dir`, by path relative to it.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// jLEMS's run report (`reportFile`) holds the time the run started and how long its stages
/// took: the only bytes that differ between two cold runs of the same command.
fn without_timings(bytes: &[u8]) -> Vec<u8> {
    const TIMINGS: [&str; 4] = [
        "StartTime=",
        "SetupTime=",
        "RealSimulationTime=",
        "SimulationSaveTime=",
    ];
    match std::str::from_utf8(bytes) {
        Ok(text) if text.starts_with("# Report of running simulation with jLEMS") => text
            .lines()
            .filter(|l| !TIMINGS.iter().any(|t| l.starts_with(t)))
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
        _ => bytes.to_vec(),
    }
}

/// One jNeuroML command of a corpus test, in its own copy of the test's folder.
struct Command {
    test: String,
    /// The copy of the test's folder the command runs in (the same path warm and cold).
    copy: PathBuf,
    root: PathBuf,
    step: Step,
}

impl Command {
    fn fresh_copy(&self) {
        let _ = fs::remove_dir_all(&self.copy);
        crosscheck::fsutil::copy_tree(&self.root, &self.copy, &[]).unwrap();
    }
}

/// Every jNeuroML command of every corpus test, in plan order, each in its own folder under
/// `base`, run warm and cold: every file each writes has the same bytes both ways, and every
/// command runs warm (no fallback) except the NEURON exports, which always run cold. The warm
/// runs share one worker, in the order a run would send them, so whatever one leaves in the
/// JVM is seen by the next.
#[test]
fn every_jneuroml_command_of_the_corpus_writes_the_same_files_warm_as_cold() {
    let (env, tools) = provision_jneuroml();
    let launch = crosscheck::jvm::launch(&env, &tools, || {})
        .expect("driver builds")
        .expect("java and jNeuroML provisioned");
    let scratch = tempfile::tempdir().unwrap();
    let base = scratch.path().join("jobs");

    let loaded = crosscheck::plan::load(&[corpus()]).unwrap();
    assert!(loaded.invalid.is_empty(), "corpus files invalid");
    let jobs = crosscheck::plan::plan(&loaded, &[]);
    let mut commands = Vec::new();
    for job in &jobs {
        let Work::Omv(omv) = &job.work else { continue };
        let JobEngine::Run(engine) = omv.engine else {
            continue;
        };
        let copy = base.join(format!("{:03}", commands.len()));
        let targets: Vec<PathBuf> = omv
            .test
            .targets
            .iter()
            .map(|t| copy.join(t.strip_prefix(&omv.root).unwrap()))
            .collect();
        let steps = engine
            .steps(&targets, &tools)
            .unwrap_or_else(|e| panic!("{}: {e}", job.id()));
        for step in steps.into_iter().filter(|s| s.jvm.is_some()) {
            commands.push(Command {
                test: format!("{} [{}]", job.id(), job.engine_label()),
                copy: base.join(format!("{:03}", commands.len())),
                root: omv.root.clone(),
                step,
            });
        }
    }
    // 30 jNeuroML, 26 jNeuroML_NEURON, 8 NetPyNE, 7 EDEN, 3 Brian2 and 1 MOOSE exports.
    assert_eq!(commands.len(), 75, "jNeuroML commands in the corpus");
    // A job's folder name is fixed before its steps are known: one command per job here.
    for command in &commands {
        assert!(
            command.step.cwd.starts_with(&command.copy),
            "{}: {}",
            command.test,
            command.step.cwd.display()
        );
    }

    let pool = WarmJvms::new(launch, scratch.path().join("workers"));

    // Cold, two at a time, each result moved aside (not the commands that only ever run cold).
    let cold_root = scratch.path().join("cold");
    fs::create_dir_all(&cold_root).unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let cold_status: Vec<std::sync::Mutex<Option<bool>>> =
        commands.iter().map(|_| Default::default()).collect();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(command) = commands.get(i) else {
                    break;
                };
                if pool.refusal(&command.step).is_err() {
                    continue;
                }
                command.fresh_copy();
                let status = std::process::Command::new(&command.step.program)
                    .args(&command.step.args)
                    .current_dir(&command.step.cwd)
                    .envs(env.process_env())
                    .envs(command.step.env.iter().cloned())
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                *cold_status[i].lock().unwrap() = Some(status.success());
                fs::rename(&command.copy, cold_root.join(format!("{i:03}"))).unwrap();
            });
        }
    });

    // Warm, one worker, in plan order.
    let (_cancel_tx, mut cancel) = watch::channel(false);
    let mut differences = Vec::new();
    let mut cold_by_rule = Vec::new();
    runtime().block_on(async {
        for (i, command) in commands.iter().enumerate() {
            let args = match pool.refusal(&command.step) {
                Ok(args) => args,
                Err(why) => {
                    cold_by_rule.push((command.step.args.clone(), why));
                    continue;
                }
            };
            command.fresh_copy();
            let mut tail = CappedOutput::new(1 << 20);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
            let outcome = pool
                .run(
                    &args,
                    &command.step.cwd,
                    deadline,
                    &mut cancel,
                    Duration::from_secs(1),
                    &mut tail,
                )
                .await;
            let cold_ok = cold_status[i].lock().unwrap().unwrap();
            match outcome {
                Outcome::Ran if cold_ok => {}
                other => differences.push(format!(
                    "{}: warm {other:?}, cold exited {}",
                    command.test,
                    if cold_ok { "0" } else { "non-zero" }
                )),
            }
            let warm = files_under(&command.copy);
            let cold = files_under(&cold_root.join(format!("{i:03}")));
            for (path, bytes) in &cold {
                match warm.get(path) {
                    None => differences.push(format!(
                        "{}: {} written cold only",
                        command.test,
                        path.display()
                    )),
                    Some(warm_bytes) if without_timings(warm_bytes) != without_timings(bytes) => {
                        differences.push(format!(
                            "{}: {} differs ({} bytes warm, {} cold)",
                            command.test,
                            path.display(),
                            warm_bytes.len(),
                            bytes.len()
                        ))
                    }
                    Some(_) => {}
                }
            }
            for path in warm.keys().filter(|p| !cold.contains_key(*p)) {
                differences.push(format!(
                    "{}: {} written warm only",
                    command.test,
                    path.display()
                ));
            }
            let _ = fs::remove_dir_all(&command.copy);
            let _ = fs::remove_dir_all(cold_root.join(format!("{i:03}")));
        }
        assert_eq!(pool.started(), 1, "one worker ran every command");
        pool.shutdown().await;
    });
    assert!(
        differences.is_empty(),
        "warm and cold runs differ:\n{}",
        differences.join("\n")
    );
    // Only the NEURON exports run cold whatever happens (see `IDENTITY_ORDERED` in
    // src/engine/jneuroml.rs): the 26 jNeuroML_NEURON tests'.
    assert_eq!(cold_by_rule.len(), 26, "{cold_by_rule:?}");
    for (args, why) in &cold_by_rule {
        assert!(args.iter().any(|a| a == "-neuron"), "{args:?}");
        assert!(why.contains("identity hash"), "{why}");
    }
}

// ---- The pool's handling of failures, with a stand-in for jNeuroML ----

/// A main class that does what the test asks of it, as a jar: `write <file> <text>`, `exit`,
/// `throw`, `hang` (sleeps), `spin <pid file>` (starts `sleep 600`, writes its pid, then uses
/// CPU for ever), `thread <file>` (a thread that writes the file after `main` returned).
const STAND_IN: &str = r#"
import java.nio.file.Files;
import java.nio.file.Path;

public class StandIn {
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write":
                Files.writeString(Path.of(args[1]), args[2]);
                System.out.println("wrote " + args[1]);
                return;
            case "exit":
                System.out.println("exiting with 3");
                System.exit(3);
            case "throw":
                throw new IllegalStateException("the stand-in failed");
            case "hang":
                Thread.sleep(Long.MAX_VALUE);
                return;
            case "spin": {
                Process child = new ProcessBuilder("sleep", "600").start();
                Files.writeString(Path.of(args[1]), Long.toString(child.pid()));
                long n = 0;
                while (n >= 0) {
                    n = (n + 1) % 1000;
                }
                return;
            }
            case "thread":
                new Thread(() -> {
                    try {
                        Thread.sleep(500);
                        Files.writeString(Path.of(args[1]), "late");
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }).start();
                return;
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }
}
"#;

/// A pool whose workers run [`STAND_IN`], built in `dir`; its processes carry `marker` in
/// their environment.
fn stand_in_pool(dir: &Path, marker: &str) -> WarmJvms {
    let java = which::which("java").expect("java on PATH (set-up)");
    let src = dir.join("src");
    write(&src, "StandIn.java", STAND_IN);
    let compiled = std::process::Command::new("javac")
        .args(["--release", "11", "-d"])
        .arg(&src)
        .arg(src.join("StandIn.java"))
        .status()
        .expect("javac on PATH (set-up)");
    assert!(compiled.success());
    let jar = dir.join("stand-in.jar");
    let packed = std::process::Command::new("jar")
        .arg("cf")
        .arg(&jar)
        .arg("-C")
        .arg(&src)
        .arg("StandIn.class")
        .status()
        .expect("jar on PATH (set-up)");
    assert!(packed.success());
    let driver = crosscheck::jvm::driver::ensure(&dir.join("home"), &java, &jar, || {})
        .expect("driver builds");
    let launch = Launch {
        java,
        options: vec!["-Xmx256m".into(), "-XX:+UseSerialGC".into()],
        jar,
        driver,
        main_class: "StandIn".into(),
        process_env: vec![("CROSSCHECK_WARM_TEST".into(), marker.into())],
    };
    WarmJvms::new(launch, dir.join("workers"))
}

/// Processes (other than zombies) started with `marker` in their environment.
fn marked_processes(marker: &str) -> Vec<i32> {
    let entry = format!("CROSSCHECK_WARM_TEST={marker}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let alive: Vec<i32> = crosscheck::process_tag::processes_with_environment_entry(&entry)
            .into_iter()
            .filter(|&pid| process_alive(pid))
            .collect();
        if alive.is_empty() || Instant::now() > deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts that `outcome` is a fallback whose reason contains `reason`.
fn assert_falls_back(outcome: Outcome, reason: &str) {
    match outcome {
        Outcome::Fallback(why) => assert!(why.contains(reason), "{why}"),
        other => panic!("expected a fallback ({reason}), got {other:?}"),
    }
}

struct Job<'a> {
    pool: &'a WarmJvms,
    cwd: PathBuf,
    timeout: Duration,
}

impl Job<'_> {
    async fn run(&self, args: &[&str], cancel: &mut watch::Receiver<bool>) -> (Outcome, String) {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let mut tail = CappedOutput::new(1 << 16);
        let deadline = tokio::time::Instant::now() + self.timeout;
        let outcome = self
            .pool
            .run(
                &args,
                &self.cwd,
                deadline,
                cancel,
                Duration::from_millis(500),
                &mut tail,
            )
            .await;
        (outcome, tail.excerpt(100, 100))
    }
}

/// A worker runs each job in the job's own folder (relative paths resolve there), is reused
/// for the next, and waits for the threads a job started, as a JVM does before exiting.
#[test]
fn a_worker_runs_jobs_in_their_folders_one_after_another() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("reuse-{}", std::process::id());
    let pool = stand_in_pool(dir.path(), &marker);
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    fs::create_dir_all(&first).unwrap();
    fs::create_dir_all(&second).unwrap();
    runtime().block_on(async {
        let (_tx, mut cancel) = watch::channel(false);
        let job = |cwd: &Path| Job {
            pool: &pool,
            cwd: cwd.to_path_buf(),
            timeout: Duration::from_secs(60),
        };
        let (outcome, output) = job(&first)
            .run(&["write", "out.txt", "one"], &mut cancel)
            .await;
        assert!(matches!(outcome, Outcome::Ran), "{outcome:?}: {output}");
        assert!(output.contains("wrote out.txt"), "{output}");
        let (outcome, _) = job(&second)
            .run(&["write", "out.txt", "two"], &mut cancel)
            .await;
        assert!(matches!(outcome, Outcome::Ran), "{outcome:?}");
        let (outcome, _) = job(&second).run(&["thread", "late.txt"], &mut cancel).await;
        assert!(matches!(outcome, Outcome::Ran), "{outcome:?}");
        assert_eq!(pool.started(), 1, "one worker for the three jobs");
        pool.shutdown().await;
    });
    assert_eq!(fs::read_to_string(first.join("out.txt")).unwrap(), "one");
    assert_eq!(fs::read_to_string(second.join("out.txt")).unwrap(), "two");
    assert_eq!(fs::read_to_string(second.join("late.txt")).unwrap(), "late");
    assert_eq!(marked_processes(&marker), Vec::<i32>::new());
}

/// An exception or a `System.exit` in a job gives a fallback with the reason; the worker is
/// replaced, and the next job runs warm in a new one.
#[test]
fn exceptions_and_system_exit_fall_back_and_replace_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("fail-{}", std::process::id());
    let pool = stand_in_pool(dir.path(), &marker);
    runtime().block_on(async {
        let (_tx, mut cancel) = watch::channel(false);
        let job = Job {
            pool: &pool,
            cwd: dir.path().to_path_buf(),
            timeout: Duration::from_secs(60),
        };
        let (outcome, output) = job.run(&["throw"], &mut cancel).await;
        assert_falls_back(outcome, "the stand-in failed");
        assert!(output.contains("IllegalStateException"), "{output}");
        assert!(pool.idle_pids().is_empty(), "the failed worker was kept");

        let (outcome, output) = job.run(&["exit"], &mut cancel).await;
        assert_falls_back(outcome, "status 3");
        assert!(output.contains("exiting with 3"), "{output}");

        let (outcome, _) = job.run(&["write", "ok.txt", "ok"], &mut cancel).await;
        assert!(matches!(outcome, Outcome::Ran), "{outcome:?}");
        assert_eq!(pool.started(), 3, "a new worker after each failure");
        pool.shutdown().await;
    });
    assert_eq!(marked_processes(&marker), Vec::<i32>::new());
}

/// A job that waits for ever (no CPU used) is stopped after the hang limit and falls back.
#[test]
fn a_hanging_job_is_stopped_and_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("hang-{}", std::process::id());
    let pool = stand_in_pool(dir.path(), &marker).with_hang_limit(Duration::from_secs(3));
    let started = Instant::now();
    runtime().block_on(async {
        let (_tx, mut cancel) = watch::channel(false);
        let job = Job {
            pool: &pool,
            cwd: dir.path().to_path_buf(),
            timeout: Duration::from_secs(300),
        };
        let (outcome, _) = job.run(&["hang"], &mut cancel).await;
        assert_falls_back(outcome, "no CPU for 3 s");
        pool.shutdown().await;
    });
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the hang was not detected: {:?}",
        started.elapsed()
    );
    assert_eq!(marked_processes(&marker), Vec::<i32>::new());
}

/// A worker killed in the middle of a job (a JVM crash looks the same) gives a fallback: the
/// job is run again cold.
#[test]
fn a_worker_killed_mid_job_gives_a_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("crash-{}", std::process::id());
    let pool = Arc::new(stand_in_pool(dir.path(), &marker));
    runtime().block_on(async {
        let (_tx, mut cancel) = watch::channel(false);
        let job = Job {
            pool: &pool,
            cwd: dir.path().to_path_buf(),
            timeout: Duration::from_secs(300),
        };
        let (outcome, _) = job.run(&["write", "a.txt", "a"], &mut cancel).await;
        assert!(matches!(outcome, Outcome::Ran), "{outcome:?}");
        let pid = pool.idle_pids()[0];
        let killer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            )
            .unwrap();
        });
        let (outcome, _) = job.run(&["hang"], &mut cancel).await;
        killer.await.unwrap();
        assert_falls_back(outcome, "signal 9");
        pool.shutdown().await;
    });
    assert_eq!(marked_processes(&marker), Vec::<i32>::new());
}

/// A job past its deadline, or interrupted, in a worker: the worker and the processes the
/// job started are killed.
#[test]
fn a_timeout_or_interruption_in_a_worker_kills_it_and_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("stop-{}", std::process::id());
    let pool = stand_in_pool(dir.path(), &marker);
    runtime().block_on(async {
        let (cancel_tx, mut cancel) = watch::channel(false);
        let job = Job {
            pool: &pool,
            cwd: dir.path().to_path_buf(),
            timeout: Duration::from_secs(4),
        };
        let (outcome, _) = job.run(&["spin", "timeout.pid"], &mut cancel).await;
        assert!(matches!(outcome, Outcome::TimedOut), "{outcome:?}");
        let child: i32 = fs::read_to_string(dir.path().join("timeout.pid"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            !process_alive(child),
            "the job's child survived the timeout"
        );

        let long = Job {
            timeout: Duration::from_secs(300),
            ..job
        };
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            cancel_tx.send(true).unwrap();
            // Keep the sender until the job has seen it.
            tokio::time::sleep(Duration::from_secs(60)).await;
        });
        let (outcome, _) = long.run(&["spin", "cancel.pid"], &mut cancel).await;
        assert!(matches!(outcome, Outcome::Cancelled), "{outcome:?}");
        let child: i32 = fs::read_to_string(dir.path().join("cancel.pid"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(!process_alive(child), "the job's child survived Ctrl-C");
        assert_eq!(pool.started(), 2);
        pool.shutdown().await;
    });
    assert_eq!(marked_processes(&marker), Vec::<i32>::new());
}

// ---- Real jNeuroML through the crosscheck binary ----

fn test_named<'a>(report: &'a serde_json::Value, id_part: &str) -> &'a serde_json::Value {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"].as_str().unwrap().contains(id_part))
        .unwrap_or_else(|| panic!("no test {id_part} in {report}"))
}

/// By default a jNeuroML job runs warm; `--no-warm-jvm` runs it cold; the verdict is the
/// same, and the JSON says which JVM ran each command.
#[test]
fn jneuroml_runs_warm_by_default_and_cold_with_no_warm_jvm() {
    provision_jneuroml();
    let dir = tempfile::tempdir().unwrap();
    let repo = ex0_copy(dir.path(), &[".test.ex0.jnml.omt"]);
    for (flag, jvm) in [(None, "warm"), (Some("--no-warm-jvm"), "cold")] {
        let json = dir.path().join(format!("{jvm}.json"));
        crosscheck(&shared_home())
            .arg("run")
            .arg(&repo)
            .args(flag)
            .arg("--json")
            .arg(&json)
            .timeout(Duration::from_secs(600))
            .assert()
            .success();
        let report = read_json(&json);
        let test = test_named(&report, "ex0.jnml");
        assert_eq!(test["status"], "pass", "{test}");
        assert_eq!(test["jvm"], jvm, "{test}");
        assert_eq!(test["commands"][0]["jvm"], jvm, "{test}");
        assert!(test["commands"][0]["cold_jvm_reason"].is_null(), "{test}");
    }
}

/// jNeuroML failing in a warm JVM (it calls `System.exit(1)` on a missing include) is run
/// again cold: the job's result is the cold run's, with the reason, and the next job runs warm
/// in a new worker.
#[test]
fn a_jneuroml_error_in_a_warm_jvm_is_run_again_cold() {
    provision_jneuroml();
    let dir = tempfile::tempdir().unwrap();
    let repo = ex0_copy(dir.path(), &[".test.ex0.jnml.omt"]);
    write(
        &repo,
        "LEMS_broken.xml",
        "<Lems>\n    <Target component=\"sim1\"/>\n    <Include file=\"NoSuchModel.nml\"/>\n</Lems>\n",
    );
    // Sorted before Ex0's, so that it runs first with -j 1.
    write(
        &repo,
        "test/.test.broken.jnml.omt",
        "target: ../LEMS_broken.xml\nengine: jNeuroML\n",
    );
    let json = dir.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&repo)
        .args(["-j", "1", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(600))
        .assert()
        .code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let broken = test_named(&report, "broken");
    assert_eq!(broken["status"], "error", "{broken}");
    assert_eq!(broken["jvm"], "cold", "{broken}");
    let command = &broken["commands"][0];
    assert_eq!(command["exit_code"], 1, "{broken}");
    let reason = command["cold_jvm_reason"].as_str().unwrap();
    assert!(reason.contains("System.exit"), "{reason}");
    let tail = broken["output_tail"].as_str().unwrap();
    assert!(tail.contains("NoSuchModel.nml"), "{tail}");
    let good = test_named(&report, "ex0.jnml");
    assert_eq!(good["status"], "pass", "{good}");
    assert_eq!(good["jvm"], "warm", "{good}");
}

/// Processes whose command line holds `text`.
fn processes_mentioning(text: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(text) && process_alive(pid) {
            found.push(pid);
        }
    }
    found
}

/// Starts crosscheck on a corpus test of the LEMS examples (Ex16: several seconds of jLEMS,
/// Ex15: tens of seconds) and waits until its worker has started the job; returns the child,
/// the worker's pid and the JSON path.
fn in_a_worker(dir: &Path, omt: &str, extra: &[&str]) -> (std::process::Child, i32, PathBuf) {
    provision_jneuroml();
    let json = dir.join("r.json");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"))
        .env("CROSSCHECK_HOME", shared_home())
        .env("CROSSCHECK_NO_CACHE", "1")
        .env_remove("CROSSCHECK_NO_WARM_JVM")
        .arg("run")
        .arg(corpus().join("LEMSexamples/test").join(omt))
        .args(["--allow-outside-paths", "--json"])
        .arg(&json)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pool_dir = ManagedEnv::at(shared_home())
        .work_root()
        .join(format!("jvm-{}", child.id()));
    let job_log = pool_dir.join("worker-0/job.log");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !job_log.exists() {
        assert!(Instant::now() < deadline, "no job started in a worker");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("crosscheck ended ({status}) before a worker started the job");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let workers = processes_mentioning(&pool_dir.to_string_lossy());
    assert_eq!(workers.len(), 1, "one worker: {workers:?}");
    (child, workers[0], json)
}

fn assert_no_worker_left(crosscheck_pid: u32) {
    let pool_dir = ManagedEnv::at(shared_home())
        .work_root()
        .join(format!("jvm-{crosscheck_pid}"));
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut left = processes_mentioning(&pool_dir.to_string_lossy());
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        left = processes_mentioning(&pool_dir.to_string_lossy());
    }
    assert_eq!(left, Vec::<i32>::new(), "workers left behind");
    assert!(!pool_dir.exists(), "{} left behind", pool_dir.display());
}

/// A worker that dies in the middle of a job (killed here; a JVM crash looks the same) loses
/// nothing: the job runs again cold and gets its verdict.
#[test]
fn a_worker_killed_mid_job_runs_the_job_again_cold() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, worker, json) = in_a_worker(dir.path(), ".test.ex16.jnml.omt", &[]);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(worker),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(Exit::Success.code()));
    let report = read_json(&json);
    let test = test_named(&report, "ex16.jnml");
    assert_eq!(test["status"], "pass", "{test}");
    assert_eq!(test["jvm"], "cold", "{test}");
    let reason = test["commands"][0]["cold_jvm_reason"].as_str().unwrap();
    assert!(reason.contains("signal 9"), "{reason}");
    assert_no_worker_left(child.id());
}

/// A job that times out in a worker is a timeout; the worker is stopped with it.
#[test]
fn a_timeout_in_a_warm_jvm_stops_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    // Ex15 takes 15-30 s warm; its worker starts in about a second.
    let (mut child, worker, json) =
        in_a_worker(dir.path(), ".test.ex15.jnml.omt", &["--timeout", "8"]);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(Exit::TestsFailed.code()));
    let report = read_json(&json);
    let test = test_named(&report, "ex15.jnml");
    assert_eq!(test["status"], "timeout", "{test}");
    assert_eq!(test["jvm"], "warm", "{test}");
    assert!(!process_alive(worker));
    assert_no_worker_left(child.id());
}

/// Ctrl-C while a worker runs a job: the run ends as interrupted and the worker is gone.
#[test]
fn ctrl_c_during_a_warm_job_leaves_no_worker() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, worker, json) = in_a_worker(dir.path(), ".test.ex16.jnml.omt", &[]);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(Exit::Interrupted.code()));
    let report = read_json(&json);
    assert_eq!(report["interrupted"], true);
    let test = test_named(&report, "ex16.jnml");
    assert_eq!(test["status"], "error", "{test}");
    assert!(!process_alive(worker));
    assert_no_worker_left(child.id());
}
