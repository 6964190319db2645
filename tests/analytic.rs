//! The analytic checks have teeth on a real simulator: NEST's generated code for the RC suite
//! passes its exact answer, and the same code with one parameter changed by hand (`tau_m` 10 →
//! 10.5 ms, which moves the steady deflection from 10 to 10.5 mV) fails it, with the error in
//! the message. The exact answer comes from the suite file, so only the simulator's code is
//! perturbed, as a simulator bug would be.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use crosscheck::judge::analytic::judge_analytic;
use crosscheck::results::{CheckStatus, Value};
use crosscheck::suite::native::Simulator;
use crosscheck::suite_job::{read_recordings, SuiteJob};

#[test]
fn a_parameter_changed_in_nests_generated_code_fails_the_exact_answer() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/analytic/rc_step.crosscheck.yaml");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&file)
        .args(["--engine", "NEST", "--keep-workdirs", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .success();
    let report = read_json(&json);
    let workdir = std::path::PathBuf::from(report["tests"][0]["workdir"].as_str().unwrap());
    let suite = crosscheck::suite::native::load::load_suite(&file).unwrap();
    let job = SuiteJob {
        suite: Arc::new(suite),
        id: "rc_step.crosscheck.yaml".into(),
        file: file.clone(),
        simulator: Simulator::Nest,
        point: None,
        seed: None,
        requested_version: None,
        version: None,
        tools: None,
    };
    let judge = |workdir: &Path| {
        let recordings = read_recordings(&job.suite, Simulator::Nest, workdir).unwrap();
        judge_analytic(&job, &recordings)
    };
    let max_relative = |judged: &[crosscheck::results::ObservableResult]| {
        judged
            .iter()
            .find(|o| o.observable == "analytic v max_relative")
            .cloned()
            .unwrap_or_else(|| panic!("{judged:?}"))
    };
    let as_run = max_relative(&judge(&workdir));
    assert_eq!(as_run.status, CheckStatus::Pass, "{}", as_run.message);

    // One parameter of NEST's model, changed in the generated script, which is run again by
    // hand in the managed environment.
    let script = workdir.join("run_nest.py");
    let code = fs::read_to_string(&script).unwrap();
    assert!(code.contains("\"tau_m\": 10.0,"), "{code}");
    fs::write(
        &script,
        code.replace("\"tau_m\": 10.0,", "\"tau_m\": 10.5,"),
    )
    .unwrap();
    fs::remove_dir_all(workdir.join("output")).unwrap();
    let status = std::process::Command::new(shared_home().join("venv/bin/python"))
        .arg("run_nest.py")
        .current_dir(&workdir)
        .env("PYNEST_QUIET", "1")
        .env("HOME", out.path())
        .status()
        .unwrap();
    assert!(status.success());
    let perturbed = max_relative(&judge(&workdir));
    assert_eq!(perturbed.status, CheckStatus::Fail, "{}", perturbed.message);
    // R = τ/C grows by 5 %, and so does the deflection the step reaches.
    let Some(Value::Scalar(error)) = perturbed.observed else {
        panic!("{perturbed:?}")
    };
    assert!((0.03..0.07).contains(&error), "{error}");
    assert!(
        perturbed.message.contains("more than 0.002") && perturbed.message.contains("exact"),
        "{}",
        perturbed.message
    );
    fs::remove_dir_all(&workdir).unwrap();
}
