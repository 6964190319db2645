//! OMV engines beyond the jNeuroML family, on small models written for crosscheck
//! (`tests/fixtures/omv/`), run on the real simulators of the managed environment (provisioned
//! on first use; a simulator that cannot be installed fails the test, never skips it). Each
//! fixture is copied into a temporary folder first, so tests can change expectations and
//! models.

mod common;

use crosscheck::exit::Exit;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use predicates::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/omv")
        .join(name)
}

/// Copies fixture folders side by side into `dir` (relative `mep:` paths between them keep
/// working).
fn copy_fixtures(dir: &Path, names: &[&str]) -> PathBuf {
    let root = dir.join("repo");
    for name in names {
        copy_dir(&fixture(name), &root.join(name));
    }
    root
}

/// `engine → status` of every result.
fn statuses(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["engine"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn result<'a>(report: &'a serde_json::Value, engine: &str) -> &'a serde_json::Value {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["engine"] == engine)
        .unwrap_or_else(|| panic!("no {engine} result in {report}"))
}

/// How many `nrnivmodl` processes a run started.
fn compilations(report: &serde_json::Value) -> usize {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["commands"].as_array().unwrap())
        .filter(|c| c["argv"][0].as_str().unwrap().ends_with("nrnivmodl"))
        .count()
}

/// Cache entries (folders) in a mechanism cache.
fn entries(cache: &Path) -> usize {
    fs::read_dir(cache)
        .map(|d| d.flatten().filter(|e| e.path().is_dir()).count())
        .unwrap_or(0)
}

fn run(root: &Path, cache: &Path, engines: &[&str], json: &Path) -> assert_cmd::assert::Assert {
    let mut cmd = crosscheck(&shared_home());
    cmd.env("CROSSCHECK_MECHANISM_CACHE", cache)
        .arg("run")
        .arg(root)
        .args(["-j", "2", "--json"])
        .arg(json);
    for engine in engines {
        cmd.args(["--engine", engine]);
    }
    cmd.timeout(Duration::from_secs(1800)).assert()
}

/// A hoc model with its own mechanism in `modfiles/` (NEURON) and the same cell in Python with
/// the mechanism beside it (PyNEURON) give the expected spikes. Both have the same `.mod`
/// content, so the first run compiles it once for both; the second run compiles nothing. A
/// changed `.mod` file is compiled anew (never served stale), and a wrong expectation fails.
#[test]
fn neuron_models_with_their_own_mechanisms_compile_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixtures(dir.path(), &["neuron_hoc", "pyneuron"]);
    // The same hoc test at the pinned NEURON version, in OMV's `Engine:version` syntax.
    let omt = fs::read_to_string(root.join("neuron_hoc/.test.cell.omt")).unwrap();
    fs::write(
        root.join("neuron_hoc/.test.cell.v.omt"),
        omt.replace("engine: NEURON", "engine: NEURON:8.2.7"),
    )
    .unwrap();
    let cache = dir.path().join("mechanisms");
    let json = dir.path().join("r.json");

    run(&root, &cache, &["NEURON", "PyNEURON"], &json).success();
    let first = read_json(&json);
    assert_eq!(
        statuses(&first),
        BTreeMap::from([
            ("NEURON".into(), "pass".into()),
            ("NEURON:8.2.7".into(), "pass".into()),
            ("PyNEURON".into(), "pass".into())
        ]),
        "{first}"
    );
    assert_eq!(
        compilations(&first),
        1,
        "one set of sources, one compilation"
    );
    assert_eq!(entries(&cache), 1);
    assert_eq!(result(&first, "NEURON")["engine_version"], "NEURON 8.2.7");
    let nrniv = &result(&first, "NEURON")["commands"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["argv"];
    assert!(nrniv[0].as_str().unwrap().ends_with("/nrniv"), "{nrniv}");
    let observed = &result(&first, "NEURON")["observables"][0]["observed"];
    assert_eq!(observed.as_array().unwrap().len(), 7, "{observed}");

    run(&root, &cache, &["NEURON", "PyNEURON"], &json).success();
    let second = read_json(&json);
    assert_eq!(
        compilations(&second),
        0,
        "second run compiles nothing: {second}"
    );
    for engine in ["NEURON", "PyNEURON"] {
        let t = result(&second, engine);
        assert_eq!(t["status"], "pass", "{t}");
        assert!(
            t["output_tail"]
                .as_str()
                .unwrap()
                .contains("copied from the cache"),
            "{t}"
        );
    }

    // A changed mechanism: twice the drive, so more spikes than expected.
    let mod_file = root.join("pyneuron/drive.mod");
    let text = fs::read_to_string(&mod_file).unwrap();
    fs::write(&mod_file, text.replace("i = -amp", "i = -2 * amp")).unwrap();
    // A wrong expectation for the hoc model: its third spike 1 ms late.
    let mep = root.join("neuron_hoc/.test.cell.mep");
    let text = fs::read_to_string(&mep).unwrap();
    fs::write(&mep, text.replace("31.6,", "32.6,")).unwrap();
    run(&root, &cache, &["NEURON", "PyNEURON"], &json).code(Exit::TestsFailed.code());
    let third = read_json(&json);
    assert_eq!(compilations(&third), 1, "only the changed set is compiled");
    assert_eq!(entries(&cache), 2);
    let hoc = result(&third, "NEURON");
    assert_eq!(hoc["status"], "fail", "{hoc}");
    assert!(
        hoc["message"].as_str().unwrap().contains("32.6"),
        "the failure names the expected spike: {hoc}"
    );
    let py = result(&third, "PyNEURON");
    assert_eq!(py["status"], "fail", "{py}");
    assert!(py["observables"][0]["observed"].as_array().unwrap().len() > 7);
}

/// Two crosscheck processes asking for the same mechanisms at once compile them once: the
/// second waits on the cache entry's lock and links what the first built.
#[test]
fn concurrent_runs_compile_a_mechanism_set_once() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("mechanisms");
    let children: Vec<_> = (0..2)
        .map(|i| {
            let root = copy_fixtures(&dir.path().join(format!("copy{i}")), &["neuron_hoc"]);
            let json = dir.path().join(format!("r{i}.json"));
            let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"))
                .env("CROSSCHECK_HOME", shared_home())
                .env("CROSSCHECK_MECHANISM_CACHE", &cache)
                // Both must really run (the result cache would answer for a test that passed).
                .env("CROSSCHECK_NO_CACHE", "1")
                .arg("run")
                .arg(&root)
                .arg("--json")
                .arg(&json)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (child, json)
        })
        .collect();
    let mut total = 0;
    for (mut child, json) in children {
        assert!(child.wait().unwrap().success());
        let report = read_json(&json);
        assert_eq!(result(&report, "NEURON")["status"], "pass", "{report}");
        total += compilations(&report);
    }
    assert_eq!(total, 1, "two runs at once, one compilation");
    assert_eq!(entries(&cache), 1);
}

/// PyNEST and Brian2 scripts, and one PyNN script on three back-ends sharing one `.mep` (how
/// OMV states that simulators agree), plus its NeuroML export (a dry run). PyNN on NEURON
/// compiles PyNN's own mechanisms through the cache. A wrong shared expectation fails all three
/// simulating back-ends.
#[test]
fn python_simulators_and_pynn_on_three_backends() {
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixtures(dir.path(), &["pynest", "brian2", "pynn"]);
    let cache = dir.path().join("mechanisms");
    let json = dir.path().join("r.json");
    let pynn = ["PyNN_NEURON", "PyNN_Nest", "PyNN_Brian2"];
    let mut engines = vec!["PyNEST", "Brian2", "PyNN_NeuroML"];
    engines.extend(pynn);
    run(&root, &cache, &engines, &json).success();
    let report = read_json(&json);
    let statuses = statuses(&report);
    assert_eq!(statuses.len(), 6, "{statuses:?}");
    assert!(statuses.values().all(|s| s == "pass"), "{report}");
    assert_eq!(result(&report, "PyNEST")["engine_version"], "NEST 3.10.0");
    assert_eq!(
        result(&report, "PyNN_Brian2")["engine_version"],
        "PyNN 0.13.0; Brian2 2.9.0"
    );
    // NEURON's spikes come one step later than NEST's and Brian2's, within the tolerance.
    let first_spike = |engine: &str| {
        result(&report, engine)["observables"][0]["observed"][0]
            .as_f64()
            .unwrap()
    };
    assert_eq!(first_spike("PyNN_NEURON"), 27.75);
    assert!((first_spike("PyNN_Nest") - 27.7259).abs() < 1e-3);
    assert!(
        result(&report, "PyNN_NEURON")["commands"][0]["cwd"]
            .as_str()
            .unwrap()
            .starts_with(cache.to_str().unwrap()),
        "PyNN's mechanisms are compiled in the cache"
    );

    let mep = root.join("pynn/.test.lif.mep");
    let text = fs::read_to_string(&mep).unwrap();
    fs::write(&mep, text.replace("57.46", "58.46")).unwrap();
    run(&root, &cache, &pynn, &json).code(Exit::TestsFailed.code());
    let report = read_json(&json);
    for engine in pynn {
        assert_eq!(result(&report, engine)["status"], "fail", "{report}");
    }
    assert_eq!(
        compilations(&report),
        0,
        "PyNN's mechanisms come from the cache"
    );
}

/// `--engine NEURON:8.2.7 --engine NEURON:9.0.2` runs the hoc model on both versions: 8.2.7 in
/// the main environment, 9.0.2 installed side by side (under `versions/`, with its own
/// mechanism cache entries). NEURON 9.0.2 moves three of the seven spikes by up to 0.1 ms,
/// beyond the test's tolerance: the upgrade shows up as a failure on that version only.
#[test]
fn neuron_versions_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixtures(dir.path(), &["neuron_hoc"]);
    let json = dir.path().join("r.json");
    run(
        &root,
        &dir.path().join("mechanisms"),
        &["NEURON:8.2.7", "NEURON:9.0.2"],
        &json,
    )
    .code(Exit::TestsFailed.code());
    let report = read_json(&json);
    assert_eq!(
        statuses(&report),
        BTreeMap::from([
            ("NEURON:8.2.7".into(), "pass".into()),
            ("NEURON:9.0.2".into(), "fail".into()),
        ]),
        "{report}"
    );
    assert_eq!(
        compilations(&report),
        2,
        "one compilation per NEURON version"
    );
    let old = result(&report, "NEURON:8.2.7");
    assert_eq!(old["engine_version"], "NEURON 8.2.7");
    let new = result(&report, "NEURON:9.0.2");
    assert_eq!(new["engine_version"], "NEURON 9.0.2");
    let nrniv = new["commands"].as_array().unwrap().last().unwrap()["argv"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        nrniv.contains("/versions/neuron-9.0.2/venv/bin/nrniv"),
        "{nrniv}"
    );
    assert!(new["output_tail"]
        .as_str()
        .unwrap()
        .contains("NEURON -- VERSION 9.0.2"));
    let observed: Vec<f64> = new["observables"][0]["observed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(observed.len(), 7);
    assert!((observed[5] - 75.575).abs() < 1e-9, "{observed:?}");
}

/// NetPyNE (the NEURON fixture's cell with its own mechanism, compiled through the cache), EDEN
/// (the LEMS fixture), Arbor (an HH soma) and MOOSE (a passive compartment's resting
/// potential), each against its `.mep`; NetPyNE gives exactly the hoc model's spikes (its
/// `.mep`). A wrong expectation fails on Arbor.
#[test]
fn netpyne_eden_arbor_and_moose() {
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixtures(
        dir.path(),
        &["neuron_hoc", "netpyne", "lems", "eden", "arbor", "moose"],
    );
    let cache = dir.path().join("mechanisms");
    let json = dir.path().join("r.json");
    run(&root, &cache, &["NetPyNE", "EDEN", "Arbor", "Moose"], &json).success();
    let report = read_json(&json);
    assert_eq!(
        statuses(&report),
        BTreeMap::from([
            ("Arbor".into(), "pass".into()),
            ("EDEN".into(), "pass".into()),
            ("Moose".into(), "pass".into()),
            ("NetPyNE".into(), "pass".into()),
        ]),
        "{report}"
    );
    assert_eq!(compilations(&report), 1, "NetPyNE compiles drive.mod");
    assert_eq!(result(&report, "Arbor")["engine_version"], "Arbor 0.9.0");
    assert_eq!(
        result(&report, "NetPyNE")["engine_version"],
        "NetPyNE 1.1.1; NEURON 8.2.7"
    );

    let mep = root.join("arbor/.test.cell.mep");
    let text = fs::read_to_string(&mep).unwrap();
    fs::write(&mep, text.replace("36.8995", "37.8995")).unwrap();
    run(&root, &cache, &["Arbor"], &json).code(Exit::TestsFailed.code());
    assert_eq!(result(&read_json(&json), "Arbor")["status"], "fail");
}

/// A NeuroML2 LEMS model on jNeuroML, pyNeuroML and pyLEMS (with the NeuroML2 core types from
/// the jNeuroML jar: no network), against one `.mep`; a self-contained LEMS model on pyLEMS;
/// validation passes a valid file and is an error on an invalid one, as in OMV.
#[test]
fn lems_engines_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixtures(dir.path(), &["lems", "pylems"]);
    let json = dir.path().join("r.json");
    run(&root, &dir.path().join("mechanisms"), &[], &json).code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let by_id = statuses_by_id(&report);
    assert_eq!(
        by_id,
        BTreeMap::from([
            ("lems/.test.iaf.jnml.omt [jNeuroML]".into(), "pass".into()),
            (
                "lems/.test.iaf.pylems.omt [PyLEMS_NeuroML2]".into(),
                "pass".into()
            ),
            ("lems/.test.iaf.pynml.omt [pyNeuroML]".into(), "pass".into()),
            (
                "lems/.test.validate.omt [jNeuroML_validate]".into(),
                "pass".into()
            ),
            ("pylems/.test.counter.omt [PyLEMS]".into(), "pass".into()),
            (
                "lems/invalid/.test.broken.omt [jNeuroML_validate]".into(),
                "error".into()
            ),
        ]),
        "{report}"
    );
    let pylems = result(&report, "PyLEMS_NeuroML2");
    let argv = pylems["commands"][1]["argv"].as_array().unwrap();
    assert_eq!(argv[1], "-I");
    assert!(argv[2].as_str().unwrap().contains("neuroml2-core-types"));
    // pyLEMS's spikes are a step or two before jNeuroML's (its own tolerance in the .omt).
    let slow = pylems["observables"][0]["observed"][0].as_f64().unwrap();
    assert!((slow - 40.99).abs() < 0.015, "{slow}");
}

/// An engine that cannot be provisioned here is a skip saying how to install it, and so is a
/// version of an engine that has no separately installable simulator (jNeuroML comes inside
/// pyNeuroML); with `--require-all` they are errors and the run exits 6. Nothing is installed
/// for them.
#[test]
fn unprovisionable_engines_skip_unless_required() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let repo = dir.path().join("repo");
    write(&repo, "model.ode", "# an XPP model\n");
    write(&repo, ".test.xpp.omt", "target: model.ode\nengine: XPP\n");
    write(&repo, "model.g", "// a GENESIS model\n");
    write(
        &repo,
        ".test.genesis.omt",
        "target: model.g\nengine: GENESIS\n",
    );
    write(&repo, "model.xml", "<Lems/>\n");
    write(
        &repo,
        ".test.old.omt",
        "target: model.xml\nengine: jNeuroML:0.13.0\n",
    );
    let json = dir.path().join("r.json");
    crosscheck(&home)
        .arg("run")
        .arg(&repo)
        .arg("--json")
        .arg(&json)
        .assert()
        .success()
        .stdout(predicate::str::contains("skip"));
    let report = read_json(&json);
    assert_eq!(report["summary"]["skip"], 3, "{report}");
    let old = result(&report, "jNeuroML:0.13.0")["message"]
        .as_str()
        .unwrap();
    assert!(old.contains("only at the version it pins"), "{old}");
    let xpp = result(&report, "XPP");
    let message = xpp["message"].as_str().unwrap();
    assert!(
        message.contains("not on PyPI") && message.contains("xppaut"),
        "{message}"
    );
    assert!(
        !home.join("venv").exists(),
        "nothing installed for skipped engines"
    );

    crosscheck(&home)
        .arg("run")
        .arg(&repo)
        .arg("--require-all")
        .arg("--json")
        .arg(&json)
        .assert()
        .code(Exit::EngineUnavailable.code())
        .stderr(predicate::str::contains("--require-all"));
    let report = read_json(&json);
    assert_eq!(report["summary"]["error"], 3, "{report}");
    assert!(result(&report, "GENESIS")["message"]
        .as_str()
        .unwrap()
        .contains("genesis-sim.org"));
}

/// The corpus's PyLEMS_NeuroML2 and jNeuroML_Moose tests, against OMV 0.4.0's verdicts on the
/// same simulators (OMV given the NeuroML2 core types it would otherwise clone from GitHub):
/// the five pyLEMS tests pass; the MOOSE export of jNeuroML 0.14 fails on pymoose 4.1.4 (its
/// NeuroML reader lacks `paths_to_chan_elements`), an error here with MOOSE's message.
#[test]
fn corpus_verdicts_on_pylems_and_moose() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(corpus())
        .args(["--engine", "PyLEMS_NeuroML2", "--engine", "jNeuroML_Moose"])
        .args(["-j", "2", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(1800))
        .assert()
        .code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let tests = report["tests"].as_array().unwrap();
    let with = |engine: &str, status: &str| {
        tests
            .iter()
            .filter(|t| t["engine"] == engine && t["status"] == status)
            .count()
    };
    assert_eq!(with("PyLEMS_NeuroML2", "pass"), 5, "{report}");
    assert_eq!(with("jNeuroML_Moose", "error"), 1, "{report}");
    let moose = result(&report, "jNeuroML_Moose");
    assert!(
        moose["output_tail"]
            .as_str()
            .unwrap()
            .contains("paths_to_chan_elements"),
        "{moose}"
    );
    assert!(moose["engine_version"]
        .as_str()
        .unwrap()
        .contains("MOOSE 4.1.4"));
}

/// The start and end of every job that ran, by `"<id> [<engine>]"`, with the CPUs it held.
fn intervals(
    report: &serde_json::Value,
) -> Vec<(
    String,
    u64,
    chrono::DateTime<chrono::FixedOffset>,
    chrono::DateTime<chrono::FixedOffset>,
)> {
    let time = |t: &serde_json::Value, key: &str| {
        chrono::DateTime::parse_from_rfc3339(
            t[key].as_str().unwrap_or_else(|| panic!("{key} in {t}")),
        )
        .unwrap()
    };
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                result_key(t),
                t["cpus"].as_u64().unwrap(),
                time(t, "started_at"),
                time(t, "finished_at"),
            )
        })
        .collect()
}

/// OMV's MPI engines on real MPI (MPICH from PyPI) and NEURON: a two-cell NetPyNE network on 2
/// ranks (`NetPyNE_NP2`; cell 1 lives on rank 1) and 4 ranks (`NetPyNE_NP4`) gives the serial
/// run's spikes (one `.mep` for all three), jNeuroML's NetPyNE export on 2 ranks
/// (`jNeuroML_NetPyNE_NP2`) the LEMS fixture's spikes, and a wrong expectation fails. Under
/// `-j 2` an MPI job holds 2 CPUs of the budget, so it never runs beside another job, while
/// one-CPU jobs do run in pairs; `NetPyNE_NP4` needs more CPUs than the budget and runs alone
/// with all of it, with a note.
#[test]
fn mpi_engines_hold_their_ranks_in_the_cpu_budget() {
    let dir = tempfile::tempdir().unwrap();
    let root = copy_fixtures(dir.path(), &["lems", "netpyne_mpi"]);
    let mpi = root.join("netpyne_mpi");
    let np2 = fs::read_to_string(mpi.join(".test.net.netpyne_np2.omt")).unwrap();
    fs::write(
        mpi.join(".test.net.netpyne_np4.omt"),
        np2.replace("engine: NetPyNE_NP2", "engine: NetPyNE_NP4"),
    )
    .unwrap();
    // The NP2 test against a wrong expectation (a shifted first spike).
    let wrong = root.join("wrong");
    let wrong_mep = fs::read_to_string(mpi.join(".test.net.mep")).unwrap();
    write(
        &wrong,
        ".test.net.mep",
        &wrong_mep.replace("[7.225, 23.525", "[7.725, 23.525"),
    );
    write(
        &wrong,
        ".test.net.np2.omt",
        &np2.replace("target: run_net.py", "target: ../netpyne_mpi/run_net.py")
            .replace("path: spikes.dat", "path: ../netpyne_mpi/spikes.dat"),
    );
    // One-CPU jobs long enough to overlap when two run at once.
    let sleepers = root.join("sleepers");
    for name in ["a", "b", "c"] {
        command_test(&sleepers, name, "sleep 1\necho 1 > out.dat", "[1]", "0.1");
    }
    let cache = dir.path().join("mechanisms");
    let json = dir.path().join("r.json");
    let engines = [
        "NetPyNE",
        "NetPyNE_NP2",
        "NetPyNE_NP4",
        "jNeuroML_NetPyNE_NP2",
        "command",
    ];
    run(&root, &cache, &engines, &json)
        .code(Exit::TestsFailed.code())
        .stderr(predicate::str::contains(
            "note: NetPyNE_NP4 holds 4 CPUs (MPI ranks or NEST threads), more than the 2 of -j 2",
        ));
    let report = read_json(&json);
    let mut statuses = statuses_by_id(&report);
    // A wrong expectation fails on the MPI engine as on the serial ones.
    assert_eq!(
        statuses
            .remove("wrong/.test.net.np2.omt [NetPyNE_NP2]")
            .as_deref(),
        Some("fail"),
        "{report}"
    );
    // (The fixture's serial jNeuroML_NetPyNE test, for comparing with OMV, is left out: that
    // engine is tested on the corpus in tests/simulators.rs.)
    assert_eq!(statuses.len(), 7, "{report}");
    assert!(
        statuses.values().all(|s| s == "pass"),
        "{statuses:?}\n{report}"
    );
    // The passing tests' results (the failing NP2 test comes after them, in `wrong/`).
    let result = |engine: &str| {
        report["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["engine"] == engine && t["status"] == "pass")
            .unwrap_or_else(|| panic!("no passing {engine} result in {report}"))
    };
    for (engine, ranks) in [
        ("NetPyNE_NP2", 2),
        ("NetPyNE_NP4", 4),
        ("jNeuroML_NetPyNE_NP2", 2),
    ] {
        let test = result(engine);
        assert_eq!(test["cpus"], 2, "{engine} holds 2 CPUs of -j 2");
        let argv: Vec<&str> = test["commands"].as_array().unwrap().last().unwrap()["argv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(argv[0].ends_with("/mpiexec.gforker"), "{argv:?}");
        assert_eq!(argv[1..3], ["-np", &ranks.to_string()], "{argv:?}");
        assert!(argv[3].ends_with("/nrniv") && argv[4] == "-mpi", "{argv:?}");
        assert!(
            test["engine_version"]
                .as_str()
                .unwrap()
                .ends_with("NEURON 8.2.7; MPICH 5.0.2"),
            "{test}"
        );
    }
    assert_eq!(result("NetPyNE")["cpus"], 1);
    // The model itself says how many ranks it ran on (NetPyNE's sim.nhosts).
    for (engine, ranks) in [("NetPyNE", 1), ("NetPyNE_NP2", 2), ("NetPyNE_NP4", 4)] {
        let tail = result(engine)["output_tail"].as_str().unwrap_or_default();
        assert!(
            tail.contains(&format!("simulated on {ranks} MPI rank(s)")),
            "{engine}: {tail}"
        );
    }

    let jobs = intervals(&report);
    let overlap = |a: &(String, u64, _, _), b: &(String, u64, _, _)| a.2 < b.3 && b.2 < a.3;
    let mut one_cpu_pairs = 0;
    for (i, a) in jobs.iter().enumerate() {
        for b in &jobs[i + 1..] {
            if !overlap(a, b) {
                continue;
            }
            assert!(
                a.1 + b.1 <= 2,
                "{} ({} CPUs) and {} ({} CPUs) ran at once under -j 2",
                a.0,
                a.1,
                b.0,
                b.1
            );
            one_cpu_pairs += 1;
        }
    }
    assert!(one_cpu_pairs > 0, "one-CPU jobs run two at once: {jobs:?}");
}

/// A hanging MPI run times out and leaves no process behind: neither a rank nor the launcher.
#[test]
fn an_mpi_timeout_leaves_no_rank_behind() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("mechanisms");
    let json = dir.path().join("r.json");
    // A run that never ends (given 12 s: time for both ranks to start, with other tests
    // loading the machine): each rank records its pid and its launcher's, then sleeps, deaf
    // to SIGTERM, so only the SIGKILL to the job's process group after the grace period stops
    // it (it reaches the ranks because they are in that group).
    let hang = dir.path().join("hang");
    let pids = dir.path().join("pids");
    write(
        &hang,
        "hang.py",
        &format!(
            "import os, signal, time\nfrom neuron import h\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nrank = int(h.ParallelContext().id())\nwith open({:?} + str(rank), 'w') as f:\n    f.write('%d %d' % (os.getpid(), os.getppid()))\nprint('rank', rank, 'waiting', flush=True)\ntime.sleep(600)\n",
            pids.display().to_string()
        ),
    );
    write(
        &hang,
        ".test.hang.omt",
        "target: hang.py\nengine: NetPyNE_NP2\n",
    );
    crosscheck(&shared_home())
        .env("CROSSCHECK_MECHANISM_CACHE", &cache)
        .arg("run")
        .arg(&hang)
        .args(["--timeout", "12", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(120))
        .assert()
        .code(Exit::TestsFailed.code());
    let test = &read_json(&json)["tests"][0];
    assert_eq!(test["status"], "timeout", "{test}");
    let mut seen = Vec::new();
    for rank in 0..2 {
        let text = fs::read_to_string(format!("{}{rank}", pids.display()))
            .unwrap_or_else(|e| panic!("rank {rank} did not start: {e}\n{test}"));
        for pid in text.split_whitespace() {
            seen.push(pid.parse::<i32>().unwrap());
        }
    }
    assert_eq!(seen.len(), 4);
    assert_all_gone(&seen, "the timeout (a rank or mpiexec)");
}
