//! The analytic checks have teeth on a real simulator: NEST's generated code for the RC suite
//! passes its exact answer, and the same code with one parameter changed by hand (`tau_m` 10 →
//! 10.5 ms, which moves the steady deflection from 10 to 10.5 mV) fails it, with the error in
//! the message. The exact answer comes from the suite file, so only the simulator's code is
//! perturbed, as a simulator bug would be.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use common::*;
use crosscheck::results::{CheckStatus, Value};
use crosscheck::suite::native::Simulator;

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
    let judge = |workdir: &Path| judge_analytic_in(&file, Simulator::Nest, workdir);
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

/// An order band the simulator does not meet fails the run: NEST's errors on `rc_step_dt`
/// halve with the step (order 1), so a suite that expects second order fails, naming each step
/// and its error, in the terminal summary, the JSON results and the exit code.
#[test]
fn an_order_outside_the_band_fails_the_run_naming_each_step_and_error() {
    let out = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/analytic/rc_step_dt.crosscheck.yaml"),
    )
    .unwrap();
    let band = "convergence: {error: rms_relative, order: [0.9, 1.1]}";
    assert!(original.contains(band));
    let file = out.path().join("rc_step_dt.crosscheck.yaml");
    fs::write(
        &file,
        original.replace(
            band,
            "convergence: {error: rms_relative, order: [1.9, 2.1]}",
        ),
    )
    .unwrap();
    let json = out.path().join("r.json");
    let run = crosscheck(&shared_home())
        .arg("run")
        .arg(&file)
        .args(["--engine", "NEST", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(crosscheck::exit::Exit::TestsFailed.code());
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    // Every job passes its own per-step bound: only the order across them fails.
    assert!(stdout.contains("4 jobs: 4 passed"), "{stdout}");
    assert!(
        stdout.contains(
            "convergence: rc_step_dt cell cell 0: analytic v rms_relative (order 1.9–2.1)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("NEST  FAIL  order 1.000, outside 1.9–2.1"),
        "{stdout}"
    );
    assert!(stdout.contains("4.979e-3 at dt 0.1 ms"), "{stdout}");
    assert!(stdout.contains("6.223e-4 at 0.0125 ms"), "{stdout}");
    let report = read_json(&json);
    let entry = &report["convergence"][0];
    assert_eq!(entry["order_band"], serde_json::json!([1.9, 2.1]));
    let nest = &entry["engines"][0];
    assert_eq!(nest["status"], "fail");
    let order = nest["order"].as_f64().unwrap();
    assert!((order - 1.0).abs() < 0.01, "{order}");
    let dts: Vec<f64> = nest["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["dt_ms"].as_f64().unwrap())
        .collect();
    assert_eq!(dts, [0.1, 0.05, 0.025, 0.0125]);
}
