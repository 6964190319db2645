//! The command line end to end, with the `command` engine standing in for a simulator where the
//! behaviour under test (exit codes, timeouts, crashes, output checks) is crosscheck's own.
//! Tests of simulator behaviour live in `simulators.rs` and run the real simulators.

mod common;

use crosscheck::exit::Exit;
use std::fs;
use std::time::Duration;

use common::*;
use predicates::prelude::*;

#[test]
fn help_explains_commands_and_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    crosscheck(home.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("run"))
        .stdout(predicate::str::contains("validate"))
        .stdout(predicate::str::contains("Exit codes"))
        .stdout(predicate::str::contains("6    a needed engine is missing"));
}

#[test]
fn malformed_yaml_is_reported_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".test.bad.omt",
        "target: model.xml\nengine: jNeuroML\nexperiments:\n  a: [1, 2\n",
    );
    let output = crosscheck(dir.path())
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(Exit::InvalidTestFile.code())
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".test.bad.omt:4:") || stderr.contains(".test.bad.omt:5:"),
        "no file:line:column in:\n{stderr}"
    );
}

#[test]
fn unknown_engine_suggests_the_nearest_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "model.xml", "<Lems/>");
    write(
        dir.path(),
        ".test.typo.omt",
        "target: model.xml\nengine: jNeuroml_NEURON\n",
    );
    crosscheck(dir.path())
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(Exit::InvalidTestFile.code())
        .stderr(predicate::str::contains(".test.typo.omt:2:9"))
        .stderr(predicate::str::contains("jNeuroML_NEURON"));
}

#[test]
fn unknown_engine_on_the_command_line_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    crosscheck(dir.path())
        .args(["run", "--engine", "jnml_neuron"])
        .arg(dir.path())
        .assert()
        .code(Exit::Usage.code())
        .stderr(predicate::str::contains("unknown engine `jnml_neuron`"));
}

#[test]
fn missing_target_is_an_invalid_test_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".test.missing.omt",
        "target: nowhere/model.xml\nengine: jNeuroML\n",
    );
    crosscheck(dir.path())
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(Exit::InvalidTestFile.code())
        .stderr(predicate::str::contains(".test.missing.omt:1:9"))
        .stderr(predicate::str::contains("nowhere/model.xml"));
}

#[test]
fn mep_without_the_named_experiment_is_an_invalid_test_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "model.xml", "<Lems/>");
    write(
        dir.path(),
        ".test.exp.omt",
        "target: model.xml\nengine: jNeuroML\nmep: exp.mep\nexperiments:\n  missing_one:\n    observables:\n      spike times:\n        file:\n          path: out.dat\n",
    );
    write(
        dir.path(),
        "exp.mep",
        "system: x\nexperiments:\n  other:\n    expected:\n      spike times: [1]\n",
    );
    crosscheck(dir.path())
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(Exit::InvalidTestFile.code())
        .stderr(predicate::str::contains(".test.exp.omt:5:3"))
        .stderr(predicate::str::contains("missing_one"));
}

#[test]
fn an_invalid_file_does_not_stop_the_others_from_running() {
    let dir = tempfile::tempdir().unwrap();
    command_test(
        dir.path(),
        "good",
        "printf '10\\n20\\n' > out.dat",
        "[10, 20]",
        "0.01",
    );
    write(dir.path(), ".test.broken.omt", "target: [\n");
    let json = dir.path().join("r.json");
    crosscheck(dir.path())
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .assert()
        .code(Exit::InvalidTestFile.code());
    let report = read_json(&json);
    let statuses: Vec<(&str, &str)> = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert!(
        statuses.contains(&(".test.good.omt", "pass")),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&(".test.broken.omt", "error")),
        "{statuses:?}"
    );
}

#[test]
fn no_tests_found_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    crosscheck(dir.path())
        .arg("run")
        .arg(dir.path())
        .assert()
        .code(Exit::NoTests.code())
        .stderr(predicate::str::contains("no test files"));
}

#[test]
fn a_path_that_does_not_exist_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    crosscheck(dir.path())
        .arg("run")
        .arg(dir.path().join("nope"))
        .assert()
        .code(Exit::Usage.code())
        .stderr(predicate::str::contains("nope"));
}

#[test]
fn passing_run_writes_json_and_junit_and_leaves_the_tree_alone() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    command_test(
        &repo,
        "spikes",
        "printf '10.0\\n20.5\\n31.0\\n' > out.dat",
        "[10, 20.5, 31]",
        "0.001",
    );
    let json = dir.path().join("out/results.json");
    let junit = dir.path().join("out/results.xml");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(&repo)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .assert()
        .success()
        .stdout(predicate::str::contains("1 jobs: 1 passed, 0 failed"));
    let report = read_json(&json);
    let test = &report["tests"][0];
    assert_eq!(test["id"], ".test.spikes.omt");
    assert_eq!(test["engine"], "command");
    assert_eq!(test["status"], "pass");
    assert!(test["duration_s"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        test["observables"][0]["observed"],
        serde_json::json!([10.0, 20.5, 31.0])
    );
    assert_eq!(report["summary"]["pass"], 1);
    let xml = fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("file=\""), "{xml}");
    assert!(xml.contains(".test.spikes.omt\""), "{xml}");
    assert!(xml.contains("line=\"2\""), "{xml}");
    // The engine ran in a private copy: the user's tree has no output file.
    assert!(!repo.join("out.dat").exists());
}

#[test]
fn failing_run_explains_in_numbers() {
    let dir = tempfile::tempdir().unwrap();
    command_test(
        dir.path(),
        "off",
        "printf '10\\n20\\n33\\n' > out.dat",
        "[10, 20, 30]",
        "0.01",
    );
    command_test(
        dir.path(),
        "short",
        "printf '10\\n20\\n' > out.dat",
        "[10, 20, 30]",
        "0.01",
    );
    let json = dir.path().join("r.json");
    let output = crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .assert()
        .code(Exit::TestsFailed.code())
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FAIL"), "{stderr}");
    let report = read_json(&json);
    let off = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == ".test.off.omt")
        .unwrap();
    assert_eq!(off["status"], "fail");
    let min_tol = off["observables"][0]["min_passing_tolerance"]
        .as_f64()
        .unwrap();
    assert!(
        (min_tol - 0.1).abs() < 1e-6,
        "min passing tolerance {min_tol}"
    );
    let message = off["observables"][0]["message"].as_str().unwrap();
    assert!(message.contains("33"), "{message}");
    let short = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == ".test.short.omt")
        .unwrap();
    let message = short["observables"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("30"),
        "the missing spike must be named: {message}"
    );
}

#[test]
fn a_crash_is_an_error_with_the_output_tail() {
    let dir = tempfile::tempdir().unwrap();
    command_test(
        dir.path(),
        "crash",
        "echo 'about to crash'; kill -SEGV $$",
        "[1]",
        "0.1",
    );
    command_test(dir.path(), "fine", "printf '1\\n' > out.dat", "[1]", "0.1");
    let json = dir.path().join("r.json");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .assert()
        .code(Exit::TestsFailed.code())
        .stderr(predicate::str::contains("about to crash"));
    let report = read_json(&json);
    let tests = report["tests"].as_array().unwrap();
    let crash = tests.iter().find(|t| t["id"] == ".test.crash.omt").unwrap();
    assert_eq!(crash["status"], "error");
    assert!(crash["message"].as_str().unwrap().contains("SIGSEGV"));
    assert!(crash["output_tail"]
        .as_str()
        .unwrap()
        .contains("about to crash"));
    let fine = tests.iter().find(|t| t["id"] == ".test.fine.omt").unwrap();
    assert_eq!(fine["status"], "pass", "the other job must still run");
}

#[test]
fn non_zero_exit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    command_test(
        dir.path(),
        "exit3",
        "echo 'bad input' >&2; exit 3",
        "[1]",
        "0.1",
    );
    let json = dir.path().join("r.json");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .assert()
        .code(Exit::TestsFailed.code());
    let test = &read_json(&json)["tests"][0];
    assert_eq!(test["status"], "error");
    assert!(test["message"].as_str().unwrap().contains("status 3"));
    assert!(test["output_tail"].as_str().unwrap().contains("bad input"));
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    command_test(
        dir.path(),
        "hang",
        &format!(
            "sleep 300 &\necho $! >> {p}\necho $$ >> {p}\necho started\nsleep 300",
            p = pids.display()
        ),
        "[1]",
        "0.1",
    );
    let json = dir.path().join("r.json");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .args(["--timeout", "1", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(Exit::TestsFailed.code());
    let test = &read_json(&json)["tests"][0];
    assert_eq!(test["status"], "timeout");
    assert!(test["output_tail"].as_str().unwrap().contains("started"));
    let pids: Vec<i32> = fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(!process_alive(pid), "process {pid} outlived the timeout");
    }
}

#[test]
fn stale_output_from_the_repository_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    // The data file is in the repository already, with the expected numbers, but the target
    // does not write it: OMV's stale-file guard, which crosscheck keeps.
    command_test(dir.path(), "stale", "echo 'did nothing'", "[10]", "0.1");
    write(dir.path(), "out.dat", "10\n");
    let json = dir.path().join("r.json");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .assert()
        .code(Exit::TestsFailed.code());
    let test = &read_json(&json)["tests"][0];
    assert_eq!(test["status"], "error");
    assert!(test["message"].as_str().unwrap().contains("out.dat"));
}

#[test]
fn missing_output_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    command_test(dir.path(), "none", "true", "[10]", "0.1");
    let json = dir.path().join("r.json");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .assert()
        .code(Exit::TestsFailed.code());
    let test = &read_json(&json)["tests"][0];
    assert_eq!(test["status"], "error");
    assert!(test["message"]
        .as_str()
        .unwrap()
        .contains("not produced by this run"));
}

#[test]
fn dry_run_passes_on_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "ok.sh", "echo hi");
    write(
        dir.path(),
        ".test.dry.omt",
        "target: ok.sh\nengine: command\n",
    );
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .assert()
        .success();
}

#[test]
fn list_shows_the_plan_without_running() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    command_test(
        dir.path(),
        "a",
        &format!("touch {}", marker.display()),
        "[1]",
        "0.1",
    );
    write(dir.path(), "model.xml", "<Lems/>");
    write(
        dir.path(),
        ".test.b.omt",
        "target: model.xml\nengine: XPP\n",
    );
    crosscheck(&dir.path().join("home"))
        .arg("list")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(".test.a.omt"))
        .stdout(predicate::str::contains(
            "skip: XPP cannot be provisioned here: XPP/XPPAUT is not on PyPI",
        ));
    assert!(!marker.exists());
}

#[test]
fn engine_filter_selects_tests() {
    let dir = tempfile::tempdir().unwrap();
    command_test(dir.path(), "a", "printf '1\\n' > out.dat", "[1]", "0.1");
    write(dir.path(), "model.xml", "<Lems/>");
    write(
        dir.path(),
        ".test.b.omt",
        "target: model.xml\nengine: XPP\n",
    );
    crosscheck(&dir.path().join("home"))
        .arg("list")
        .arg(dir.path())
        .args(["--engine", "command"])
        .assert()
        .success()
        .stdout(predicate::str::contains(".test.a.omt"))
        .stdout(predicate::str::contains(".test.b.omt").not());
}

#[test]
fn offline_without_the_engine_exits_6() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "model.xml", "<Lems/>");
    write(
        dir.path(),
        ".test.j.omt",
        "target: model.xml\nengine: jNeuroML\n",
    );
    crosscheck(&dir.path().join("empty-home"))
        .arg("run")
        .arg(dir.path())
        .arg("--offline")
        .assert()
        .code(Exit::EngineUnavailable.code())
        .stderr(predicate::str::contains("crosscheck install"));
    assert!(!dir.path().join("empty-home/venv").exists());
}

#[test]
fn sigterm_stops_the_run_and_leaves_no_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    command_test(
        dir.path(),
        "long",
        &format!(
            "sleep 300 &\necho $! >> {p}\necho $$ >> {p}\nsleep 300",
            p = pids.display()
        ),
        "[1]",
        "0.1",
    );
    let json = dir.path().join("r.json");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"))
        .env("CROSSCHECK_HOME", dir.path().join("home"))
        .arg("run")
        .arg(dir.path())
        .arg("--json")
        .arg(&json)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the job's processes are up.
    for _ in 0..200 {
        if fs::read_to_string(&pids)
            .map(|s| s.lines().count())
            .unwrap_or(0)
            >= 2
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(Exit::Interrupted.code()));
    let report = read_json(&json);
    assert_eq!(report["interrupted"], true);
    assert_eq!(report["tests"][0]["status"], "error");
    for pid in fs::read_to_string(&pids).unwrap().lines() {
        let pid: i32 = pid.trim().parse().unwrap();
        assert!(!process_alive(pid), "process {pid} survived SIGTERM");
    }
}

#[test]
fn keep_workdirs_keeps_the_engine_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    command_test(&repo, "kept", "printf '5\\n' > out.dat", "[5]", "0.1");
    let json = dir.path().join("r.json");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(&repo)
        .arg("--keep-workdirs")
        .arg("--json")
        .arg(&json)
        .assert()
        .success()
        .stderr(predicate::str::contains("working directory kept at"));
    let workdir = read_json(&json)["tests"][0]["workdir"]
        .as_str()
        .expect("workdir recorded")
        .to_string();
    let kept = std::path::Path::new(&workdir);
    assert!(kept.starts_with(dir.path().join("home")), "{workdir}");
    assert_eq!(fs::read_to_string(kept.join("out.dat")).unwrap(), "5\n");
}

#[test]
fn a_failed_installation_exits_6_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    // A "Python" that cannot create a virtual environment.
    let fake = script(
        dir.path(),
        "python-broken",
        "echo 'venv: no space left' >&2; exit 1",
    );
    write(dir.path(), "repo/model.xml", "<Lems/>");
    write(
        dir.path(),
        "repo/.test.j.omt",
        "target: model.xml\nengine: jNeuroML\n",
    );
    crosscheck(&dir.path().join("home"))
        .env("CROSSCHECK_PYTHON", &fake)
        .arg("run")
        .arg(dir.path().join("repo"))
        .assert()
        .code(Exit::EngineUnavailable.code())
        .stderr(predicate::str::contains(
            "provisioning the managed environment failed",
        ))
        .stderr(predicate::str::contains("venv: no space left"));
}

#[test]
fn validate_checks_crosscheck_suites_with_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.crosscheck.yaml",
        "suite: demo\nsimulation: {duration: 100 ms}\npopulations:\n  p:\n    cell: lif_curr_alpha\n    size: 1\n    parameters: {tau_m: 10 mV}\nrecord:\n  - {population: p, variables: [spikes]}\nchecks:\n  features:\n    - {feature: spike_count, population: p, expected: 0, tolerance: 0}\n",
    );
    crosscheck(dir.path())
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(Exit::InvalidTestFile.code())
        .stderr(predicate::str::contains("bad.crosscheck.yaml:7:"))
        .stderr(predicate::str::contains("time"));
    write(
        dir.path(),
        "bad.crosscheck.yaml",
        "suite: demo\nsimulation: {duration: 100 ms}\npopulations:\n  p:\n    cell: lif_curr_alpha\n    size: 1\n    parameters: {tau_m: 10 ms}\nrecord:\n  - {population: p, variables: [spikes]}\nchecks:\n  features:\n    - {feature: spike_count, population: p, expected: 0, tolerance: 0}\n",
    );
    crosscheck(dir.path())
        .arg("validate")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("1 valid, 0 invalid"));
}

#[test]
fn schema_prints_the_suite_json_schema() {
    let dir = tempfile::tempdir().unwrap();
    let output = crosscheck(dir.path())
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .clone();
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(schema["$schema"]
        .as_str()
        .unwrap()
        .contains("json-schema.org"));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("izhikevich2007"));
    assert_eq!(
        text,
        fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/suite.schema.json")
        )
        .unwrap()
    );
}

/// Inside GitHub Actions: failures become annotations at the expectation's line, a crash's
/// output is folded and cannot issue workflow commands, and the job summary gets the matrix.
#[test]
fn github_actions_gets_annotations_folded_output_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    command_test(
        dir.path(),
        "off",
        "printf '10\\n20\\n33\\n' > out.dat",
        "[10, 20, 30]",
        "0.01",
    );
    command_test(
        dir.path(),
        "crash",
        "echo '::error file=x,line=1::forged'; echo '::endgroup::'; kill -SEGV $$",
        "[1]",
        "0.1",
    );
    let summary = dir.path().join("summary.md");
    fs::write(&summary, "earlier step\n").unwrap();
    let output = crosscheck(&dir.path().join("home"))
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .arg("run")
        .arg(dir.path())
        .assert()
        .code(Exit::TestsFailed.code())
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The failing expectation of `off` is the `spike times` observable, line 6 of its .omt.
    let omt = fs::read_to_string(dir.path().join(".test.off.omt")).unwrap();
    let line = omt
        .lines()
        .position(|l| l.trim_start().starts_with("spike times:"))
        .unwrap()
        + 1;
    assert!(
        stdout.contains(&format!("::error file=.test.off.omt,line={line},title=")),
        "{stdout}"
    );
    // A crash has no failing expectation: it points at the test's engine line.
    assert!(
        stdout.contains("::error file=.test.crash.omt,line=2,title=crash.sh on command%3A error::run was killed by signal SIGSEGV"),
        "{stdout}"
    );
    // The crash's output is inside a group, between stop-commands and its resume token.
    let lines: Vec<&str> = stderr.lines().collect();
    let forged = lines
        .iter()
        .position(|l| *l == "::error file=x,line=1::forged")
        .unwrap_or_else(|| panic!("{stderr}"));
    let stop = lines[..forged]
        .iter()
        .rposition(|l| l.starts_with("::stop-commands::"))
        .expect("stop-commands before the output");
    let token = lines[stop].trim_start_matches("::stop-commands::");
    assert!(lines[stop - 1].starts_with("::group::"), "{stderr}");
    let resume = lines[forged..]
        .iter()
        .position(|l| *l == format!("::{token}::"))
        .expect("commands resumed after the output");
    assert!(
        lines[forged..forged + resume].contains(&"::endgroup::"),
        "the forged endgroup is inside the stopped section"
    );
    // The summary is appended, not overwritten.
    let md = fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n"), "{md}");
    assert!(md.contains("## crosscheck: failed"), "{md}");
    assert!(md.contains("| model | command |"), "{md}");
}

/// Whether each test of a JSON report came from the cache, by id.
fn cached_by_id(json: &std::path::Path) -> std::collections::BTreeMap<String, bool> {
    read_json(json)["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["cached"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// A pass whose inputs are unchanged comes from the cache; changing one test's script re-runs
/// only that test; failures are never cached; `--no-cache` runs everything.
#[test]
fn unchanged_passes_come_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let tests = dir.path().join("tests");
    for name in ["a", "b"] {
        let folder = tests.join(name);
        fs::create_dir_all(&folder).unwrap();
        command_test(
            &folder,
            name,
            "printf '1\\n2\\n' > out.dat",
            "[1, 2]",
            "0.01",
        );
    }
    command_test(&tests, "bad", "printf '5\\n' > out.dat", "[1]", "0.01");
    let json = dir.path().join("r.json");
    let run = |extra: &[&str]| {
        crosscheck_cached(&home)
            .arg("run")
            .arg(&tests)
            .args(extra)
            .arg("--json")
            .arg(&json)
            .assert()
            .code(Exit::TestsFailed.code());
        cached_by_id(&json)
    };
    let first = run(&[]);
    assert!(first.values().all(|c| !c), "{first:?}");
    let second = run(&[]);
    assert!(second["a/.test.a.omt"], "{second:?}");
    assert!(second["b/.test.b.omt"], "{second:?}");
    assert!(!second[".test.bad.omt"], "failures always run");
    // Change one model file: only its test runs again.
    fs::write(
        tests.join("a/a.sh"),
        "#!/bin/sh\nprintf '1\\n2.0\\n' > out.dat\n",
    )
    .unwrap();
    let third = run(&[]);
    assert!(!third["a/.test.a.omt"], "{third:?}");
    assert!(third["b/.test.b.omt"], "{third:?}");
    // Its new pass is cached in turn; --no-cache runs everything.
    assert!(run(&[])["a/.test.a.omt"]);
    let fresh = run(&["--no-cache"]);
    assert!(fresh.values().all(|c| !c), "{fresh:?}");
    // The terminal says where a result came from.
    crosscheck_cached(&home)
        .arg("run")
        .arg(tests.join("b"))
        .assert()
        .success()
        .stderr(predicate::str::contains("cached"));
}

/// (id, engine, status) of every test in a JSON report, sorted.
fn verdicts(json: &std::path::Path) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = read_json(json)["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["engine"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Shards run separately and merged give the unsharded run's results: no test lost or doubled,
/// the same statuses and counts; overlapping shards are refused.
#[test]
fn partitioned_runs_merge_back_into_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("tests");
    for i in 0..9 {
        let folder = tests.join(format!("m{i}"));
        fs::create_dir_all(&folder).unwrap();
        // Every third model fails.
        let value = if i % 3 == 0 { "7" } else { "1" };
        command_test(
            &folder,
            &format!("t{i}"),
            &format!("printf '{value}\\n' > out.dat"),
            "[1]",
            "0.01",
        );
    }
    let home = dir.path().join("home");
    let whole = dir.path().join("whole.json");
    crosscheck(&home)
        .arg("run")
        .arg(&tests)
        .arg("--json")
        .arg(&whole)
        .assert()
        .code(Exit::TestsFailed.code());
    let expected = verdicts(&whole);
    assert_eq!(expected.len(), 9);
    for kind in ["hash", "slice"] {
        for n in [2, 4, 12] {
            let mut shards = Vec::new();
            for m in 1..=n {
                let json = dir.path().join(format!("{kind}-{m}-of-{n}.json"));
                let status = crosscheck(&home)
                    .arg("run")
                    .arg(&tests)
                    .args(["--partition", &format!("{kind}:{m}/{n}")])
                    .arg("--json")
                    .arg(&json)
                    .output()
                    .unwrap()
                    .status;
                // An empty shard succeeds (more shards than tests).
                assert!(
                    [Exit::Success.code(), Exit::TestsFailed.code()]
                        .map(Some)
                        .contains(&status.code()),
                    "{status:?}"
                );
                shards.push(json);
            }
            let merged = dir.path().join(format!("{kind}-{n}.json"));
            let junit = dir.path().join(format!("{kind}-{n}.xml"));
            crosscheck(&home)
                .arg("merge")
                .args(&shards)
                .arg("--json")
                .arg(&merged)
                .arg("--junit")
                .arg(&junit)
                .arg("--html")
                .arg(dir.path().join(format!("{kind}-{n}-html")))
                .assert()
                .code(Exit::TestsFailed.code());
            assert_eq!(verdicts(&merged), expected, "{kind} {n}");
            assert!(dir
                .path()
                .join(format!("{kind}-{n}-html/index.html"))
                .is_file());
            let summary = &read_json(&merged)["summary"];
            assert_eq!(summary["total"], 9);
            assert_eq!(summary["fail"], 3);
            assert!(fs::read_to_string(&junit).unwrap().contains("<testsuites"));
        }
    }
    // The same shard twice: refused, naming the test and both files.
    let shard = dir.path().join("hash-1-of-2.json");
    crosscheck(&home)
        .arg("merge")
        .arg(&shard)
        .arg(&shard)
        .assert()
        .code(Exit::Usage.code())
        .stderr(predicate::str::contains("shards overlap"));
}

/// A merge exits as the whole run would have: a shard whose tests all passed but whose
/// convergence verdict failed fails the merge, as it failed its own run.
#[test]
fn merge_fails_on_a_failed_convergence_verdict_as_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    command_test(
        &dir.path().join("m"),
        "t",
        "printf '1\\n' > out.dat",
        "[1]",
        "0.01",
    );
    let shard = dir.path().join("shard.json");
    crosscheck(&home)
        .arg("run")
        .arg(dir.path().join("m"))
        .arg("--json")
        .arg(&shard)
        .assert()
        .success();
    crosscheck(&home)
        .arg("merge")
        .arg(&shard)
        .assert()
        .success();
    let mut report = read_json(&shard);
    report["convergence"] = serde_json::json!([{
        "suite": "rc_step_dt",
        "file": "rc_step_dt.crosscheck.yaml",
        "line": 40,
        "what": "analytic v rms_relative",
        "order_band": [1.9, 2.1],
        "exact_below": 1e-8,
        "engines": [{
            "engine": "NEST",
            "status": "fail",
            "points": [{"dt_ms": 0.1, "error": 5e-3}, {"dt_ms": 0.05, "error": 2.5e-3}],
            "order": 1.0,
            "r_squared": 1.0,
            "exact": false,
            "message": "order 1.00 outside [1.9, 2.1]"
        }]
    }]);
    let failing = dir.path().join("failing.json");
    fs::write(&failing, report.to_string()).unwrap();
    crosscheck(&home)
        .arg("merge")
        .arg(&failing)
        .assert()
        .code(Exit::TestsFailed.code())
        .stdout(predicate::str::contains("order 1.00 outside [1.9, 2.1]"));
}

/// `slurm emit` writes a script that passes `bash -n`, names every shard, refuses to overwrite.
#[test]
fn slurm_emit_writes_a_reviewable_array_script() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        command_test(
            &dir.path().join(format!("m{i}")),
            &format!("t{i}"),
            "printf '1\\n' > out.dat",
            "[1]",
            "0.01",
        );
    }
    let script = dir.path().join("submit.sh");
    crosscheck(&dir.path().join("home"))
        .current_dir(dir.path())
        .args(["slurm", "emit", ".", "--shards", "3", "-o"])
        .arg(&script)
        .assert()
        .success();
    let text = fs::read_to_string(&script).unwrap();
    assert!(text.contains("#SBATCH --array=1-3"), "{text}");
    for m in 1..=3 {
        assert!(text.contains(&format!("/shard-{m}.json")), "{text}");
    }
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    crosscheck(&dir.path().join("home"))
        .current_dir(dir.path())
        .args(["slurm", "emit", ".", "--shards", "3", "-o"])
        .arg(&script)
        .assert()
        .code(Exit::Usage.code())
        .stderr(predicate::str::contains("--force"));
}

/// `list` shows what an MPI job holds; its ranks set the CPUs per task (a one-CPU job beside it would give 1 or 2): the
/// array task must hold the 4 CPUs `NetPyNE_NP4` keeps busy; fewer, asked for, get a note.
#[test]
fn slurm_emit_gives_each_task_the_cpus_of_the_largest_job() {
    let dir = tempfile::tempdir().unwrap();
    command_test(dir.path(), "one", "printf '1\\n' > out.dat", "[1]", "0.01");
    write(dir.path(), "net/run.py", "print('a NetPyNE model')\n");
    write(
        dir.path(),
        "net/.test.np4.omt",
        "target: run.py\nengine: NetPyNE_NP4\n",
    );
    let emit = |extra: &[&str]| {
        crosscheck(&dir.path().join("home"))
            .current_dir(dir.path())
            .args(["slurm", "emit", ".", "--shards", "2"])
            .args(extra)
            .assert()
            .success()
    };
    crosscheck(&dir.path().join("home"))
        .current_dir(dir.path())
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("run on 4 CPUs (MPI ranks)"));
    let out = emit(&[]);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("#SBATCH --cpus-per-task=4\n"), "{text}");
    assert!(text.contains("-j \"${SLURM_CPUS_PER_TASK:-4}\""), "{text}");
    emit(&["--cpus-per-task", "2"]).stderr(predicate::str::contains(
        "jobs holding 4 CPUs (MPI ranks or NEST threads), more than --cpus-per-task 2",
    ));
    // Without the MPI test, the one-CPU job alone needs 1.
    fs::remove_file(dir.path().join("net/.test.np4.omt")).unwrap();
    let out = emit(&[]);
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("#SBATCH --cpus-per-task=1\n"), "{text}");
}

/// Every `crosscheck <command> … --flag` in a text, as (command, flags).
fn crosscheck_invocations(text: &str) -> Vec<(String, Vec<String>)> {
    const COMMANDS: &[&str] = &[
        "run", "merge", "validate", "list", "bless", "install", "engines", "schema", "report",
        "slurm",
    ];
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, word) in words.iter().enumerate() {
            let is_crosscheck = *word == "crosscheck" || word.ends_with("/crosscheck");
            let Some(next) = words.get(i + 1) else {
                continue;
            };
            if is_crosscheck && COMMANDS.contains(next) {
                let flags = words[i + 2..]
                    .iter()
                    .filter(|w| w.starts_with("--"))
                    .map(|w| w.split('=').next().unwrap().to_string())
                    .collect();
                out.push((next.to_string(), flags));
            }
        }
    }
    out
}

/// The shipped action, example workflows and pre-commit hooks parse as YAML, and every
/// crosscheck command and flag they use exists.
#[test]
fn shipped_workflows_and_hooks_use_real_commands_and_flags() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        "action.yml",
        "docs/workflows/model-repository.yml",
        "docs/workflows/sharded.yml",
        ".pre-commit-hooks.yaml",
    ];
    let mut checked = 0;
    for file in files {
        let text = fs::read_to_string(repo.join(file)).unwrap();
        let docs = <saphyr::Yaml as saphyr::LoadableYamlNode>::load_from_str(&text)
            .unwrap_or_else(|e| panic!("{file} is not valid YAML: {e}"));
        assert_eq!(docs.len(), 1, "{file}");
        for (command, flags) in crosscheck_invocations(&text) {
            let help = crosscheck(std::path::Path::new("/nonexistent"))
                .args([command.as_str(), "--help"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            let help = String::from_utf8_lossy(&help);
            for flag in flags {
                assert!(
                    help.contains(&flag),
                    "{file}: `crosscheck {command}` has no {flag}:\n{help}"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 6,
        "only {checked} flags found: the extraction is broken"
    );
    // The example workflow runs crosscheck through the action, with paths.
    let example = fs::read_to_string(repo.join("docs/workflows/model-repository.yml")).unwrap();
    assert!(example.contains("uses: crosscheck/crosscheck@v1"));
}

/// A `.mep` given to `validate` (as a pre-commit hook does) checks the tests that use it.
#[test]
fn validate_accepts_a_mep_for_the_tests_that_name_it() {
    let dir = tempfile::tempdir().unwrap();
    command_test(dir.path(), "a", "printf '1\\n' > out.dat", "[1]", "0.1");
    command_test(dir.path(), "b", "printf '1\\n' > out.dat", "[1]", "0.1");
    crosscheck(&dir.path().join("home"))
        .arg("validate")
        .arg(dir.path().join("a.mep"))
        .assert()
        .success()
        .stdout(predicate::str::contains("1 valid"));
    // A broken .mep is reported through the test that names it.
    fs::write(dir.path().join("b.mep"), "system: x\nexperiments: [").unwrap();
    crosscheck(&dir.path().join("home"))
        .arg("validate")
        .arg(dir.path().join("b.mep"))
        .assert()
        .code(Exit::InvalidTestFile.code());
}

/// `--history` appends each run to a Parquet file and names the failures that are new since
/// the previous run.
#[test]
fn history_records_runs_and_names_new_failures() {
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("tests");
    command_test(&tests, "steady", "printf '1\\n' > out.dat", "[1]", "0.01");
    command_test(&tests, "flaky", "printf '1\\n' > out.dat", "[1]", "0.01");
    let history = dir.path().join("nightly/history.parquet");
    let run = || {
        crosscheck(&dir.path().join("home"))
            .arg("run")
            .arg(&tests)
            .arg("--history")
            .arg(&history)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success());
    assert!(String::from_utf8_lossy(&first.stdout).contains("history: 1 run(s) recorded"));
    // The next night, one model breaks.
    fs::write(
        tests.join("flaky.sh"),
        "#!/bin/sh\nprintf '9\\n' > out.dat\n",
    )
    .unwrap();
    let second = run();
    assert_eq!(second.status.code(), Some(Exit::TestsFailed.code()));
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(stdout.contains("history: 2 run(s) recorded"), "{stdout}");
    assert!(
        stdout.contains("new failures since the previous run:\n  .test.flaky.omt on command: fail"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(".test.steady.omt on command: fail"),
        "{stdout}"
    );
    let rows = crosscheck::history::read(&history).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(crosscheck::history::runs(&rows).len(), 2);
    // The third night's reports carry the trends: JSON and the HTML index.
    let json = dir.path().join("r.json");
    let html = dir.path().join("html");
    crosscheck(&dir.path().join("home"))
        .arg("run")
        .arg(&tests)
        .arg("--history")
        .arg(&history)
        .arg("--json")
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .assert()
        .code(Exit::TestsFailed.code());
    let trends = &read_json(&json)["history"];
    assert_eq!(trends["total_runs"], 3);
    let flaky = trends["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["test"] == ".test.flaky.omt")
        .unwrap();
    assert_eq!(
        flaky["statuses"],
        serde_json::json!(["pass", "fail", "fail"])
    );
    // Failing twice in a row is no longer new.
    assert_eq!(trends["new_failures"].as_array().unwrap().len(), 0);
    let index = fs::read_to_string(html.join("index.html")).unwrap();
    assert!(index.contains("id=\"history\""), "{index}");
    assert!(index.contains("3 run(s) recorded"), "{index}");
    assert!(
        index.contains("No new failures since the previous run."),
        "{index}"
    );
}
