//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The crosscheck binary, with a private crosscheck home unless the test sets one. The result
/// cache is off (tests share one home, and most must really run their jobs); tests of the
/// cache use [`crosscheck_cached`].
pub fn crosscheck(home: &Path) -> Command {
    let mut cmd = crosscheck_cached(home);
    cmd.env("CROSSCHECK_NO_CACHE", "1");
    cmd
}

/// The crosscheck binary with the result cache on.
pub fn crosscheck_cached(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("crosscheck").expect("binary built");
    cmd.env("CROSSCHECK_HOME", home)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CROSSCHECK_NO_CACHE");
    cmd
}

/// The managed environment shared by every test that runs real simulators, and by the
/// README's main command: provisioned once, on first use.
pub fn shared_home() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".crosscheck")
}

/// The third-party OMV corpus beside the repository. Missing is a set-up failure, not a skip.
pub fn corpus() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/NeuroML2");
    assert!(
        path.join("LEMSexamples/test").is_dir(),
        "the OMV corpus is missing at {}: tests need ../shared/corpus beside the repository",
        path.display()
    );
    path
}

/// Writes `content` to `dir/name`, creating folders.
pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, content).unwrap();
    path
}

/// Writes an executable shell script.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = write(dir, name, &format!("#!/bin/sh\n{body}\n"));
    let mut perms = fs::metadata(&path).unwrap().permissions();
    perms.set_mode(0o755);
    fs::set_permissions(&path, perms).unwrap();
    path
}

/// A `command`-engine test: `script` is the target, one experiment `exp` reading spike times
/// from `out.dat` (first column) and expecting `expected`.
pub fn command_test(dir: &Path, name: &str, body: &str, expected: &str, tolerance: &str) {
    script(dir, &format!("{name}.sh"), body);
    write(
        dir,
        &format!(".test.{name}.omt"),
        &format!(
            "target: {name}.sh\nengine: command\nmep: {name}.mep\nexperiments:\n  exp:\n    observables:\n      spike times:\n        file:\n          path: out.dat\n          columns: [0]\n        tolerance: {tolerance}\n"
        ),
    );
    write(
        dir,
        &format!("{name}.mep"),
        &format!(
            "system: test\nexperiments:\n  exp:\n    expected:\n      spike times: {expected}\n"
        ),
    );
}

/// Parses a JSON results file.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).expect("results written")).expect("valid JSON")
}

/// Whether a process with this pid still exists (and is not a zombie we could ignore).
pub fn process_alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // Field 3 is the state; Z = zombie (dead, waiting to be reaped by its parent).
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("");
            state != "Z"
        }
        Err(_) => false,
    }
}

/// `"<id> [<engine>]"`: what names one result of a JSON report.
pub fn result_key(test: &serde_json::Value) -> String {
    format!(
        "{} [{}]",
        test["id"].as_str().unwrap(),
        test["engine"].as_str().unwrap()
    )
}

/// `"<id> [<engine>]"` → status of every test in a JSON report.
pub fn statuses_by_id(report: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    report["tests"]
        .as_array()
        .expect("tests array")
        .iter()
        .map(|t| (result_key(t), t["status"].as_str().unwrap().to_string()))
        .collect()
}

/// Copies the corpus's Ex0 model and its test files `omts` (with `.test.ex0.mep`) into
/// `dir/repo`, writable, so a test can change an expectation.
pub fn ex0_copy(dir: &Path, omts: &[&str]) -> PathBuf {
    let corpus = corpus().join("LEMSexamples");
    let repo = dir.join("repo");
    fs::create_dir_all(repo.join("test")).unwrap();
    fs::create_dir_all(repo.join("results")).unwrap();
    fs::copy(
        corpus.join("LEMS_NML2_Ex0_IaF.xml"),
        repo.join("LEMS_NML2_Ex0_IaF.xml"),
    )
    .unwrap();
    for name in omts.iter().copied().chain([".test.ex0.mep"]) {
        let text = fs::read_to_string(corpus.join("test").join(name)).unwrap();
        fs::write(repo.join("test").join(name), text).unwrap();
    }
    repo
}

/// Asserts that none of `pids` is alive, giving killed ones a moment to be reaped by their new
/// parent (on a loaded machine that can take a while).
pub fn assert_all_gone(pids: &[i32], what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while pids.iter().any(|&p| process_alive(p)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for &pid in pids {
        assert!(!process_alive(pid), "process {pid} survived {what}");
    }
}

/// Copies the folder `from` (recursively) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// The analytic checks of the suite `file` judged on what `simulator` wrote into `workdir`
/// (a kept working folder, perhaps rerun by hand with its code changed): the job's judgement
/// as the runner makes it, with the exact answer from the suite file.
pub fn judge_analytic_in(
    file: &Path,
    simulator: crosscheck::suite::native::Simulator,
    workdir: &Path,
) -> Vec<crosscheck::results::ObservableResult> {
    let suite = crosscheck::suite::native::load::load_suite(file).expect("suite loads");
    let job = crosscheck::suite_job::SuiteJob::new(suite, file.to_path_buf(), simulator);
    let recordings = crosscheck::suite_job::read_recordings(&job.suite, simulator, workdir)
        .expect("recordings readable");
    crosscheck::judge::analytic::judge_analytic(&job, &recordings)
}
