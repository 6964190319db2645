//! `crosscheck diff` on real simulators: two runs of the same version are identical output by
//! output (OMV files and suite recordings), and NEURON 9.0.2 against 8.2.7 finds the spikes
//! that the upgrade moves in the hoc fixture, with where the outputs part first, in the
//! terminal, the JSON and the HTML pages; Brian2 2.8.0.4 and 2.9.0 give the same recordings.
//! Both versions are provisioned in the shared test
//! home (9.0.2 side by side, as `run -e NEURON:9.0.2` does); a version that cannot be
//! installed fails the test.

mod common;

use crosscheck::exit::Exit;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn diff(paths: &[&Path], a: &str, b: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = crosscheck(&shared_home());
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).arg("diff");
    for path in paths {
        cmd.arg(path);
    }
    cmd.args(["--engine", a, "--against", b, "-j", "2"])
        .args(extra)
        .timeout(Duration::from_secs(1800))
        .assert()
}

fn tests_of(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["tests"].as_array().unwrap()
}

/// The same NEURON version twice: the jNeuroML_NEURON example's files and the HH suite's
/// recordings are identical, the jNeuroML-only test is not selected, and the exit is 0.
#[test]
fn identical_versions_report_no_difference() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("diff.json");
    let suite = repo_path("suites/native/hh_step.crosscheck.yaml");
    let assert = diff(
        &[&repo_path("suites/omv"), &suite],
        "NEURON:8.2.7",
        "NEURON:8.2.7",
        &["--json", json.to_str().unwrap()],
    )
    .code(Exit::Success.code());
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let report = read_json(&json);
    let tests = tests_of(&report);
    let engines: Vec<&str> = tests
        .iter()
        .map(|t| t["engine"].as_str().unwrap())
        .collect();
    assert_eq!(engines, ["jNeuroML_NEURON", "NEURON"], "{report}");
    for test in tests {
        assert_eq!(test["verdict"], "identical", "{test}");
        assert_eq!(test["a"]["engine_version"], test["b"]["engine_version"]);
        let outputs = test["outputs"].as_array().unwrap();
        assert!(!outputs.is_empty(), "nothing compared: {test}");
        assert!(
            outputs.iter().all(|o| o["verdict"] == "identical"),
            "{test}"
        );
    }
    // The OMV test's named files, read as its checks read them, and the suite's recordings.
    let names = |i: usize| -> Vec<String> {
        tests[i]["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        names(0).iter().any(|n| n.ends_with("point_neurons.spikes")),
        "{:?}",
        names(0)
    );
    assert!(names(0)
        .iter()
        .any(|n| n.contains("point_neurons_v.dat spikes (threshold 0)")));
    assert!(names(1).iter().any(|n| n.ends_with("/v")), "{:?}", names(1));
    assert_eq!(report["summary"]["identical"], 2);
    assert!(stdout.contains("2 test(s): 2 identical"), "{stdout}");
}

/// NEURON 9.0.2 against 8.2.7 on the hoc fixture, whose spikes the upgrade moves by up to
/// 0.1 ms: the test is different (exit 1), its spike file parts at a named row with both
/// values, and the HTML report has a page for it with both versions' traces. The HH suite runs
/// on 9.0.2 in its side-by-side environment and is compared too.
#[test]
fn neuron_9_against_8_finds_the_moved_spikes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    copy_dir(
        &repo_path("tests/fixtures/omv/neuron_hoc"),
        &root.join("neuron_hoc"),
    );
    // The same model in a test file that pins its engine's version: it runs at 8.2.7 only.
    copy_dir(
        &repo_path("tests/fixtures/omv/neuron_hoc"),
        &root.join("pinned"),
    );
    let omt = root.join("pinned/.test.cell.omt");
    let text = fs::read_to_string(&omt).unwrap();
    assert!(text.contains("engine: NEURON\n"));
    fs::write(
        &omt,
        text.replace("engine: NEURON\n", "engine: NEURON:8.2.7\n"),
    )
    .unwrap();
    let json = dir.path().join("diff.json");
    let html = dir.path().join("html");
    let suite = repo_path("suites/native/hh_step.crosscheck.yaml");
    let assert = diff(
        &[&root, &suite],
        "NEURON:8.2.7",
        "NEURON:9.0.2",
        &[
            "--json",
            json.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    )
    .code(Exit::TestsFailed.code());
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let report = read_json(&json);
    let tests = tests_of(&report);
    let hoc = tests
        .iter()
        .find(|t| t["engine"] == "NEURON" && t["id"].as_str().unwrap().contains("neuron_hoc/"))
        .unwrap_or_else(|| panic!("no hoc test: {report}"));
    // The pinned test is listed as not compared, with the reason, rather than left out.
    let pinned = tests
        .iter()
        .find(|t| t["id"].as_str().unwrap().contains("pinned/"))
        .unwrap_or_else(|| panic!("the pinned test is missing: {report}"));
    assert_eq!(pinned["verdict"], "not_compared", "{pinned}");
    assert!(
        pinned["reason"]
            .as_str()
            .unwrap()
            .starts_with("ran at 8.2.7 only: its test file pins the engine's version"),
        "{pinned}"
    );
    assert_eq!(pinned["a"]["status"], "pass", "{pinned}");
    assert_eq!(pinned["b"]["status"], "skip", "{pinned}");
    assert_eq!(hoc["verdict"], "different", "{hoc}");
    assert_eq!(hoc["b"]["engine_version"], "NEURON 9.0.2");
    let spikes = hoc["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "neuron_hoc/spikes.dat")
        .unwrap_or_else(|| panic!("spikes.dat not compared: {hoc}"));
    assert_eq!(spikes["verdict"], "different");
    // The spike observable's column, compared as a spike train: same count, spike #2 (0-based)
    // is the first to move (31.6 ms on 8.2.7, 31.575 ms on 9.0.2), none by more than 0.1 ms.
    let train = &spikes["spikes"][0];
    assert_eq!(
        (train["count_a"].as_u64(), train["count_b"].as_u64()),
        (Some(7), Some(7))
    );
    let first = &train["first_difference"];
    assert_eq!(first["index"], 2, "{train}");
    assert!(
        (first["a"].as_f64().unwrap() - 31.6).abs() < 1e-9,
        "{train}"
    );
    assert!(
        (first["b"].as_f64().unwrap() - 31.575).abs() < 1e-9,
        "{train}"
    );
    let shift = train["max_shift"].as_f64().unwrap();
    assert!(shift > 0.05 && shift <= 0.1 + 1e-9, "{train}");
    assert!(
        hoc["reason"]
            .as_str()
            .unwrap()
            .contains("neuron_hoc/spikes.dat: column 0: 7 in both runs, first differs #2"),
        "{hoc}"
    );
    assert!(stdout.contains("DIFFERENT"), "{stdout}");
    assert!(stdout.contains("spikes.dat"), "{stdout}");

    let hh = tests
        .iter()
        .find(|t| t["id"].as_str().unwrap().contains("hh_step"))
        .unwrap_or_else(|| panic!("no HH suite: {report}"));
    assert_eq!(hh["b"]["engine_version"], "NEURON 9.0.2", "{hh}");
    assert_ne!(hh["verdict"], "not_compared", "{hh}");
    assert!(!hh["outputs"].as_array().unwrap().is_empty());

    let index = fs::read_to_string(html.join("index.html")).unwrap();
    assert!(index.contains("9.0.2") && index.contains("DIFFERENT"));
    let pages: Vec<String> = fs::read_dir(html.join("tests"))
        .unwrap()
        .flatten()
        .map(|e| fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        pages
            .iter()
            .any(|p| p.contains("spikes.dat") && p.contains("<svg") && p.contains("9.0.2")),
        "no page with the spike file's plot"
    );
}

/// Brian2 2.8.0.4 against the pinned 2.9.0 on the HH suite: the generated script runs on both
/// (Brian2 2.8's `from brian2 import *` shadows Python's `max` with numpy's, which the
/// generated code must not trip over) and its recordings are identical.
#[test]
fn brian2_versions_give_identical_recordings_of_the_hh_suite() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("diff.json");
    diff(
        &[&repo_path("suites/native/hh_step.crosscheck.yaml")],
        "Brian2:2.8.0.4",
        "Brian2:2.9.0",
        &["--json", json.to_str().unwrap()],
    )
    .code(Exit::Success.code());
    let report = read_json(&json);
    let tests = tests_of(&report);
    assert_eq!(tests.len(), 1, "{report}");
    assert_eq!(tests[0]["a"]["engine_version"], "Brian2 2.8.0.4");
    assert_eq!(tests[0]["b"]["engine_version"], "Brian2 2.9.0");
    assert_eq!(tests[0]["verdict"], "identical", "{report}");
    assert!(!tests[0]["outputs"].as_array().unwrap().is_empty());
}

/// What cannot be a diff is refused before anything runs, with what to write instead.
#[test]
fn a_diff_needs_two_versions_of_one_versioned_engine() {
    let home = tempfile::tempdir().unwrap();
    let suites = repo_path("suites/omv");
    for (a, b, says) in [
        ("NEURON", "NEURON:9.0.2", "name a version"),
        ("NEURON:8.2.7", "NEST:3.10.0", "two versions of one engine"),
        ("jNeuroML:0.14.0", "jNeuroML:0.13.0", "one version only"),
        ("NEURN:8.2.7", "NEURN:9.0.2", "did you mean `NEURON`"),
    ] {
        crosscheck(home.path())
            .arg("diff")
            .arg(&suites)
            .args(["--engine", a, "--against", b])
            .assert()
            .code(Exit::Usage.code())
            .stderr(predicates::str::contains(says));
    }
    crosscheck(home.path())
        .arg("diff")
        .arg(&suites)
        .args(["-e", "NEST:3.10.0", "--against", "NEST:3.10.0"])
        .assert()
        .code(Exit::NoTests.code())
        .stderr(predicates::str::contains(
            "no test under the given paths runs on NEST",
        ));
    assert!(
        !home.path().join("venv").exists(),
        "nothing was provisioned for a refused diff"
    );
}
