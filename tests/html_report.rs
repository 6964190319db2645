//! `--html DIR` and `crosscheck report`: where reports may be written, exit codes, and old
//! results (without plot data) still rendering.

mod common;

use common::{command_test, crosscheck, read_json};
use crosscheck::exit::Exit;
use predicates::str::contains;

#[test]
fn run_refuses_an_unusable_report_folder_before_running_anything() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    command_test(
        &repo,
        "t",
        "printf '1\\n' > out.dat; touch ran",
        "[1]",
        "0.1",
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    crosscheck(&dir.path().join("home"))
        .args([
            "run",
            repo.to_str().unwrap(),
            "--html",
            file.to_str().unwrap(),
        ])
        .assert()
        .code(Exit::ReportUnwritable.code())
        .stderr(contains("is a file, not a folder"));
    // A folder holding someone else's index.html: refused, untouched.
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    std::fs::write(site.join("index.html"), "my site").unwrap();
    crosscheck(&dir.path().join("home"))
        .args([
            "run",
            repo.to_str().unwrap(),
            "--html",
            site.to_str().unwrap(),
        ])
        .assert()
        .code(Exit::ReportUnwritable.code())
        .stderr(contains("was not written by a crosscheck report"));
    assert_eq!(
        std::fs::read_to_string(site.join("index.html")).unwrap(),
        "my site"
    );
    // Nothing ran: the job would have been copied and run somewhere, never in the repository,
    // but no work folder was even created.
    assert!(!dir.path().join("home/work").exists());
}

#[test]
fn report_renders_saved_results_and_rerenders_into_its_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    command_test(&repo, "good", "printf '1\\n' > out.dat", "[1]", "0.1");
    let json = dir.path().join("r.json");
    crosscheck(&dir.path().join("home"))
        .args([
            "run",
            repo.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .assert()
        .success();
    // Results written before plot data existed have no `plots`: they load all the same.
    assert!(read_json(&json)["tests"][0].get("plots").is_none());
    let out = dir.path().join("out");
    for _ in 0..2 {
        crosscheck(&dir.path().join("home"))
            .args([
                "report",
                json.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .assert()
            .success()
            .stdout(contains("report of 1 jobs: file://"));
    }
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("good.sh"), "{index}");
    let manifest = std::fs::read_to_string(out.join(".crosscheck-report")).unwrap();
    assert!(
        manifest.contains("index.html") && manifest.contains("tests/0000-good-sh-command.html")
    );
}

#[test]
fn report_names_unreadable_results_and_unusable_folders() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    crosscheck(&home)
        .args([
            "report",
            "/nonexistent/r.json",
            "-o",
            dir.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .code(Exit::Usage.code())
        .stderr(contains("cannot read /nonexistent/r.json"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"tests\": 3}").unwrap();
    crosscheck(&home)
        .args([
            "report",
            bad.to_str().unwrap(),
            "-o",
            dir.path().join("o").to_str().unwrap(),
        ])
        .assert()
        .code(Exit::Usage.code())
        .stderr(contains("is not crosscheck JSON results"));
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"{"schema_version": 1, "crosscheck_version": "0.1.0", "started_at": "x", "duration_s": 1.0,
            "jobs": 1, "hostname": null, "interrupted": false, "versions": {},
            "summary": {"total": 0, "pass": 0, "fail": 0, "error": 0, "timeout": 0, "skip": 0},
            "tests": []}"#,
    )
    .unwrap();
    crosscheck(&home)
        .args([
            "report",
            good.to_str().unwrap(),
            "-o",
            bad.to_str().unwrap(),
        ])
        .assert()
        .code(Exit::ReportUnwritable.code())
        .stderr(contains("is a file"));
}

/// A real simulator's recordings reach the report: decimated traces and spikes of the job and
/// of its blessed reference in the JSON, and plots on the page. (NEST only: a few seconds.)
#[test]
fn a_real_suite_run_carries_plot_data_into_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("suites/native/izhikevich_rs.crosscheck.yaml");
    let json = dir.path().join("r.json");
    let html = dir.path().join("html");
    crosscheck(&common::shared_home())
        .arg("run")
        .arg(&suite)
        .args(["--engine", "NEST", "--json"])
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .timeout(std::time::Duration::from_secs(1800))
        .assert()
        .success()
        .stdout(contains("report: file://"));
    let results = read_json(&json);
    let plots = &results["tests"][0]["plots"];
    let traces = plots["traces"].as_array().expect("traces kept");
    assert_eq!(traces.len(), 2, "v and u of the one cell");
    for trace in traces {
        let n = trace["time_ms"].as_array().unwrap().len();
        assert!(n > 50 && n <= 1602, "{n} points");
        // 500 ms at 0.025 ms (NEST records from the first step: 19,999 samples).
        let samples = trace["samples"].as_u64().unwrap();
        assert!((19_990..=20_001).contains(&samples), "{samples} samples");
    }
    // The recording's peak survives decimation (spikes reach about +30 mV).
    let v = traces.iter().find(|t| t["variable"] == "v").unwrap();
    let peak = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(peak > 25.0, "peak {peak}");
    assert_eq!(plots["spikes"][0]["events"].as_array().unwrap().len(), 8);
    assert_eq!(plots["reference_traces"].as_array().unwrap().len(), 2);
    let differences = plots["differences"].as_array().unwrap();
    assert!(differences.iter().all(|d| d["against"] == "reference"));
    // Same simulator, same version: identical to its reference.
    assert!(
        differences
            .iter()
            .all(|d| d["max_abs"].as_f64().unwrap() < 1e-6),
        "{differences:?}"
    );
    let page = std::fs::read_to_string(html.join("tests/0000-izhikevich-rs-nest.html")).unwrap();
    assert!(page.contains("src=\"row0000-0.svg\""), "{page}");
    let trace_svg = std::fs::read_to_string(html.join("tests/row0000-0.svg")).unwrap();
    assert!(trace_svg.contains("reference (NEST)") && trace_svg.contains("<polyline"));
}
