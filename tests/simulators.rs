//! Real simulators: these tests provision the managed environment on first use (shared with
//! the README's main command, under `.crosscheck/`) and run jNeuroML and NEURON for real.
//! A simulator that cannot be installed fails the test: that is a set-up failure, not a skip.

mod common;

use crosscheck::exit::Exit;
use std::fs;
use std::path::Path;
use std::time::Duration;

use common::*;
use predicates::prelude::*;

/// OMV 0.4.0 with NEURON 8.2.x passes all 30 jNeuroML and all 26 jNeuroML_NEURON tests of the
/// NeuroML2 corpus; crosscheck must give the same verdicts.
#[test]
fn corpus_verdicts_match_omv_on_jneuroml_and_neuron() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("corpus.json");
    let junit = out.path().join("corpus.xml");
    crosscheck(&shared_home())
        .arg("run")
        .arg(corpus())
        .args([
            "--engine",
            "jNeuroML",
            "--engine",
            "jNeuroML_NEURON",
            "-j",
            "2",
        ])
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--html")
        .arg(out.path().join("html"))
        .timeout(Duration::from_secs(3600))
        .assert()
        .success();
    // The HTML report of the corpus renders: a page per job, linked from the index.
    let index = std::fs::read_to_string(out.path().join("html/index.html")).unwrap();
    assert_eq!(index.matches("href=\"tests&#x2F;").count(), 56);
    let report = read_json(&json);
    let statuses = statuses_by_id(&report);
    let count = |engine: &str| {
        statuses
            .iter()
            .filter(|(k, v)| k.ends_with(&format!("[{engine}]")) && v.as_str() == "pass")
            .count()
    };
    assert_eq!(count("jNeuroML"), 30, "{statuses:#?}");
    assert_eq!(count("jNeuroML_NEURON"), 26, "{statuses:#?}");
    assert_eq!(statuses.len(), 56);

    // Every result names the exact versions that ran.
    for test in report["tests"].as_array().unwrap() {
        let version = test["engine_version"].as_str().unwrap_or_default();
        assert!(version.contains("jNeuroML 0.14.0"), "{test}");
        if test["engine"] == "jNeuroML_NEURON" {
            assert!(version.contains("NEURON 8.2.7"), "{test}");
        }
        // Warm JVMs by default: every LEMS simulation ran in one, with no fallback; the NEURON
        // exports always run cold (see src/engine/jneuroml.rs), and say why.
        let command = &test["commands"][0];
        if test["engine"] == "jNeuroML" {
            assert_eq!(test["jvm"], "warm", "{test}");
            assert_eq!(command["jvm"], "warm", "{test}");
        } else {
            assert_eq!(command["jvm"], "cold", "{test}");
            let why = command["cold_jvm_reason"].as_str().unwrap_or_default();
            assert!(why.contains("identity hash"), "{test}");
        }
    }
    // Observables carry the observed numbers.
    let ex0 = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "LEMSexamples/test/.test.ex0.jnml.omt")
        .expect("ex0 ran");
    let observed = ex0["observables"][0]["observed"].as_array().unwrap();
    assert_eq!(observed.len(), 7);
    assert!((observed[0].as_f64().unwrap() - 41.0).abs() < 0.01);
    assert_eq!(report["versions"]["neuron"], "8.2.7");
    assert!(fs::read_to_string(&junit)
        .unwrap()
        .contains("testsuite name=\"jNeuroML_NEURON\""));
}

/// A changed expectation fails on both simulators, and the failure says which spike and by
/// how much.
#[test]
fn a_changed_expectation_fails_with_the_spike_and_the_needed_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let repo = ex0_copy(dir.path(), &[".test.ex0.jnml.omt", ".test.ex0.jnmlnrn.omt"]);
    let mep = repo.join("test/.test.ex0.mep");
    let text = fs::read_to_string(&mep).unwrap();
    // First IaF spike moved from 41.0 to 45.0 ms.
    fs::write(&mep, text.replacen("[41.0,", "[45.0,", 1)).unwrap();
    let json = dir.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&repo)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code())
        .stderr(predicate::str::contains("iafTauPop0"));
    let report = read_json(&json);
    for test in report["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "fail", "{test}");
        let first = &test["observables"][0];
        assert_eq!(first["experiment"], "iafTauPop0");
        assert_eq!(first["status"], "fail");
        let message = first["message"].as_str().unwrap();
        assert!(message.contains("45"), "{message}");
        let needed = first["min_passing_tolerance"].as_f64().unwrap();
        assert!(
            (needed - 4.0 / 45.0).abs() < 1e-3,
            "needed tolerance {needed}"
        );
        // The other experiments still pass.
        assert_eq!(test["observables"][1]["status"], "pass");
    }
}

/// A model that the simulator rejects is an error that shows the simulator's message.
#[test]
fn a_broken_model_is_an_error_with_the_simulator_output() {
    let dir = tempfile::tempdir().unwrap();
    let repo = ex0_copy(dir.path(), &[".test.ex0.jnml.omt", ".test.ex0.jnmlnrn.omt"]);
    let model = repo.join("LEMS_NML2_Ex0_IaF.xml");
    let text = fs::read_to_string(&model).unwrap();
    fs::write(
        &model,
        text.replace("<iafTauCell id=\"iafTau\"", "<iafTauCellTypo id=\"iafTau\""),
    )
    .unwrap();
    let json = dir.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&repo)
        .args(["--engine", "jNeuroML", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let test = &report["tests"][0];
    assert_eq!(test["status"], "error");
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains("exited with status"),
        "{test}"
    );
    assert!(
        test["output_tail"]
            .as_str()
            .unwrap()
            .contains("iafTauCellTypo"),
        "{test}"
    );
}

/// The bundled suite (the README's main command) passes on every engine it names.
#[test]
fn bundled_suites_pass() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("suites.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("suites"))
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(1800))
        .assert()
        .success();
    let report = read_json(&json);
    let tests = report["tests"].as_array().unwrap();
    let (native, omv): (Vec<_>, Vec<_>) = tests
        .iter()
        .partition(|t| t["id"].as_str().unwrap().ends_with(".crosscheck.yaml"));
    assert!(omv.len() >= 2, "{tests:#?}");
    assert!(omv.iter().all(|t| t["status"] == "pass"), "{tests:#?}");
    // crosscheck suites run on all four simulators, and every job passes its checks.
    for simulator in ["NEURON", "NEST", "Brian2", "jNeuroML"] {
        assert!(
            native.iter().any(|t| t["engine"] == simulator),
            "no {simulator} job in {native:#?}"
        );
    }
    for t in &native {
        assert_eq!(t["status"], "pass", "{t}");
        assert!(!t["observables"].as_array().unwrap().is_empty(), "{t}");
    }
    // The analytic suites are judged against their exact answers on all four simulators.
    for model in ["rc_step", "lif_dc", "psc_exp", "psc_alpha"] {
        let jobs: Vec<_> = native.iter().filter(|t| t["model"] == model).collect();
        assert_eq!(jobs.len(), 4, "{model}: {jobs:#?}");
        for job in jobs {
            let analytic: Vec<_> = job["observables"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["observable"].as_str().unwrap().starts_with("analytic"))
                .collect();
            assert!(!analytic.is_empty(), "{job}");
            assert!(analytic.iter().all(|o| o["status"] == "pass"), "{job}");
        }
    }
    // Each time-step sweep's errors are fitted per simulator: the exact integrators stay at
    // rounding level, the stepping ones converge at order 1, and every verdict passes.
    let convergence = report["convergence"].as_array().unwrap();
    // Every fitted error of `suite` (a cable has one per end) for `engine`.
    let fitted = |suite: &str, engine: &str| {
        let found: Vec<&serde_json::Value> = convergence
            .iter()
            .filter(|c| c["suite"] == suite)
            .filter_map(|c| {
                c["engines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["engine"] == engine)
            })
            .collect();
        assert!(
            !found.is_empty(),
            "no convergence of {engine} on {suite}: {convergence:#?}"
        );
        found
    };
    for (suite, exact, first_order) in [
        (
            "rc_step_dt",
            &["NEURON"][..],
            &["NEST", "Brian2", "jNeuroML"][..],
        ),
        ("iaf_dc_dt", &["NEURON", "NEST", "Brian2"], &["jNeuroML"]),
        ("psc_exp_dt", &["NEURON", "NEST", "Brian2"], &["jNeuroML"]),
        ("lif_dc_dt", &[], &["NEURON", "NEST", "Brian2", "jNeuroML"]),
        ("rallpack1_dt", &[], &["NEURON", "jNeuroML_NEURON"]),
    ] {
        for engine in exact {
            for e in fitted(suite, engine) {
                assert_eq!(e["status"], "pass", "{e}");
                assert_eq!(e["exact"], true, "{e}");
            }
        }
        for engine in first_order {
            for e in fitted(suite, engine) {
                assert_eq!(e["status"], "pass", "{e}");
                let order = e["order"].as_f64().unwrap();
                assert!((0.75..=1.25).contains(&order), "{e}");
                assert!(e["points"].as_array().unwrap().len() >= 4, "{e}");
            }
        }
    }
    // The cable's order is fitted at both ends.
    assert_eq!(
        convergence
            .iter()
            .filter(|c| c["suite"] == "rallpack1_dt")
            .count(),
        2,
        "{convergence:#?}"
    );
    // Rallpack 1, the passive cable, on NEURON and through its NeuroML2 export: judged against
    // the cable equation's exact answer at both ends (`v` at x = 0, `v_distal` at x = L).
    let cable: Vec<_> = native
        .iter()
        .filter(|t| t["model"] == "rallpack1")
        .collect();
    assert_eq!(cable.len(), 2, "{cable:#?}");
    for engine in ["NEURON", "jNeuroML_NEURON"] {
        let job = cable
            .iter()
            .find(|t| t["engine"] == engine)
            .unwrap_or_else(|| panic!("no rallpack1 job on {engine}: {cable:#?}"));
        for end in ["v", "v_distal"] {
            for measure in ["rms_relative", "max_relative"] {
                let name = format!("analytic {end} {measure}");
                let judged = job["observables"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|o| o["observable"] == name.as_str())
                    .unwrap_or_else(|| panic!("no {name} on {engine}: {job}"));
                assert_eq!(judged["status"], "pass", "{judged}");
            }
        }
    }
    // NSuite's tapered cable: its steady state at both ends on both engines.
    for engine in ["NEURON", "jNeuroML_NEURON"] {
        let job = native
            .iter()
            .find(|t| t["model"] == "cable_steadystate" && t["engine"] == engine)
            .unwrap_or_else(|| panic!("no cable_steadystate job on {engine}: {native:#?}"));
        let judged: Vec<&str> = job["observables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["status"] == "pass")
            .filter_map(|o| o["observable"].as_str())
            .filter(|name| name.ends_with("steady_state"))
            .collect();
        assert_eq!(
            judged,
            ["analytic v steady_state", "analytic v_distal steady_state"],
            "{job}"
        );
    }
    // The E/I network also runs as a NeuroML2 export, validated, through jNeuroML's NEURON
    // export.
    assert!(
        native
            .iter()
            .any(|t| t["engine"] == "jNeuroML_NEURON" && t["model"] == "ei_network"),
        "{native:#?}"
    );
    // Brunel's four regimes, each on NEST, NEURON and Brian2, judged by its regime's criteria.
    let brunel: Vec<_> = native
        .iter()
        .filter(|t| t["model"].as_str().unwrap_or("").starts_with("brunel_"))
        .collect();
    assert_eq!(brunel.len(), 12, "{brunel:#?}");
    // The Potjans–Diesmann microcircuit at 10 % scale on the same three; NEST reproduces its
    // reference implementation's published rates (seed 55) to the spike.
    let microcircuit: Vec<_> = native
        .iter()
        .filter(|t| t["model"] == "potjans_diesmann")
        .collect();
    assert_eq!(microcircuit.len(), 3, "{microcircuit:#?}");
    // ... and at 2 % scale through its NeuroML2 export, validated and run by jNeuroML's NEURON
    // export, against NEST's seed spread like the simulators' own code.
    let exported: Vec<_> = native
        .iter()
        .filter(|t| t["model"] == "potjans_diesmann_neuroml")
        .collect();
    assert_eq!(exported.len(), 4, "{exported:#?}");
    let export = exported
        .iter()
        .find(|t| t["engine"] == "jNeuroML_NEURON")
        .expect("the NeuroML2 export ran");
    let distributions = export["observables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["experiment"] == "distributions" && o["status"] == "pass")
        .count();
    assert_eq!(distributions, 8, "{export}");
    let nest_microcircuit = microcircuit.iter().find(|t| t["engine"] == "NEST").unwrap();
    let published: Vec<_> = nest_microcircuit["observables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["observable"] == "published mean_rate")
        .collect();
    assert_eq!(published.len(), 8, "{nest_microcircuit}");
    for o in &published {
        let (observed, expected) = (
            o["observed"].as_f64().unwrap(),
            o["expected"].as_f64().unwrap(),
        );
        assert!((observed - expected).abs() <= 0.0005, "{o}");
    }
    let nest = native.iter().find(|t| t["engine"] == "NEST").unwrap();
    assert!(nest["engine_version"]
        .as_str()
        .unwrap()
        .starts_with("NEST 3.10"));
    // A NeuroML model runs on NEURON as jNeuroML exports it, on NEST as crosscheck
    // translates it.
    let neuroml: Vec<_> = native
        .iter()
        .filter(|t| {
            t["model"]
                .as_str()
                .unwrap_or("")
                .starts_with("neuroml_iaf_cells")
        })
        .collect();
    assert_eq!(neuroml.len(), 4, "{neuroml:#?}");
    let neuron = neuroml.iter().find(|t| t["engine"] == "NEURON").unwrap();
    assert!(
        neuron["engine_version"]
            .as_str()
            .unwrap()
            .contains("exported by jNeuroML"),
        "{neuron}"
    );
    // Every suite run has an agreement matrix, and the engines agree.
    let agreement = report["agreement"].as_array().expect("agreement matrix");
    assert!(agreement.len() >= 3, "{agreement:#?}");
    for entry in agreement {
        let engines: Vec<&str> = entry["engines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        // All four (NEST runs Izhikevich 2007 cells through a change of variables), except
        // where a simulator cannot express the model or see its spikes.
        let expected = if entry["suite"]
            .as_str()
            .is_some_and(|s| s.starts_with("brunel_") || s == "potjans_diesmann")
        {
            // The cortical networks: jNeuroML takes no Poisson drive (and would take minutes).
            vec!["NEURON", "NEST", "Brian2"]
        } else if entry["suite"] == "potjans_diesmann_neuroml" {
            // The microcircuit through its NeuroML2 export as well.
            vec!["NEURON", "NEST", "Brian2", "jNeuroML_NEURON"]
        } else if entry["suite"] == "neuroml_adex_izhikevich" {
            // jNeuroML's NEURON export cannot detect these cells' spikes (see the suite).
            vec!["NEST", "Brian2", "jNeuroML"]
        } else {
            vec!["NEURON", "NEST", "Brian2", "jNeuroML"]
        };
        assert_eq!(engines, expected, "{entry}");
        for pair in entry["pairs"].as_array().unwrap() {
            assert_eq!(pair["status"], "pass", "{pair}");
        }
    }
}

/// After provisioning, `engines` reports the required engines as available with versions.
#[test]
fn engines_lists_installed_simulators() {
    // Provision (no-op when another test already did).
    crosscheck(&shared_home())
        .args(["install", "jNeuroML_NEURON", "jNeuroML_Brian2", "nest"])
        .timeout(Duration::from_secs(1800))
        .assert()
        .success();
    crosscheck(&shared_home())
        .arg("engines")
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"jNeuroML_NEURON\s+yes\s+jNeuroML 0\.14\.0; NEURON 8\.2\.7")
                .unwrap(),
        )
        .stdout(
            predicate::str::is_match(r"jNeuroML_Brian2\s+yes\s+jNeuroML 0\.14\.0; Brian2 2\.9\.0")
                .unwrap(),
        )
        // The simulators crosscheck suites run on.
        .stdout(predicate::str::is_match(r"\nNEST\s+yes\s+NEST 3\.10\.0").unwrap())
        .stdout(predicate::str::is_match(r"\nNEURON\s+yes\s+NEURON 8\.2\.7").unwrap())
        .stdout(predicate::str::is_match(r"\nBrian2\s+yes\s+Brian2 2\.9\.0").unwrap());
}

/// Two crosscheck processes provisioning one fresh home at once: one installs, the other waits
/// for the lock and finds the work done; the environment ends up whole.
#[test]
fn concurrent_provisioning_installs_once() {
    let home = tempfile::tempdir().unwrap();
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("crosscheck"))
            .env("CROSSCHECK_HOME", home.path())
            .args(["install", "pyneuroml"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let first = spawn();
    let second = spawn();
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for output in &outputs {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let pip_runs = outputs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("crosscheck: pip install"))
        .count();
    assert_eq!(pip_runs, 1, "pip must run once, not once per process");
    let state = read_json(&home.path().join("state.json"));
    assert_eq!(state["versions"]["pyneuroml"], "1.3.22");
    crosscheck(home.path())
        .arg("engines")
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"jNeuroML\s+yes\s+jNeuroML 0\.14\.0").unwrap());
}

/// The other jNeuroML exports, against OMV 0.4.0's verdicts on this corpus: jNeuroML_Brian2
/// passes all 3; jNeuroML_EDEN (eden-simulator 0.2.3) passes ex0 and ex9 and fails the 5
/// conductance-based cells, where EDEN crashes generating code (an `error` here, with EDEN's
/// message); jNeuroML_NetPyNE (not tried by OMV) passes all 8. Brian2, EDEN and NetPyNE are
/// installed on demand.
#[test]
fn corpus_verdicts_on_brian2_eden_and_netpyne() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("exports.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(corpus())
        .args(["--engine", "jNeuroML_Brian2", "--engine", "jNeuroML_EDEN"])
        .args(["--engine", "jNeuroML_NetPyNE", "-j", "2", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(3600))
        .assert()
        .code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let statuses = statuses_by_id(&report);
    let with = |engine: &str, status: &str| {
        statuses
            .iter()
            .filter(|(k, v)| k.ends_with(&format!("[{engine}]")) && v.as_str() == status)
            .map(|(k, _)| k.split(' ').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(with("jNeuroML_Brian2", "pass").len(), 3, "{statuses:#?}");
    assert_eq!(with("jNeuroML_NetPyNE", "pass").len(), 8, "{statuses:#?}");
    assert_eq!(
        with("jNeuroML_EDEN", "pass"),
        [
            "LEMSexamples/test/.test.ex0.jnmleden.omt",
            "LEMSexamples/test/.test.ex9.jnmleden.omt"
        ],
        "{statuses:#?}"
    );
    assert_eq!(with("jNeuroML_EDEN", "error").len(), 5, "{statuses:#?}");
    let crashed = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "LEMSexamples/test/.test.ex5.jnmleden.omt")
        .unwrap();
    assert!(crashed["output_tail"]
        .as_str()
        .unwrap()
        .contains("Could not run simulation"));
    assert!(crashed["engine_version"]
        .as_str()
        .unwrap()
        .contains("EDEN 0.2.3"));
}

/// NEURON mechanisms that do not compile make the job an error that shows the compiler's
/// message (as NEURON 9 does with some mechanisms jNeuroML 0.14 generates).
#[test]
fn a_mechanism_that_does_not_compile_is_an_error_with_the_compiler_message() {
    let dir = tempfile::tempdir().unwrap();
    let repo = ex0_copy(dir.path(), &[".test.ex0.jnml.omt", ".test.ex0.jnmlnrn.omt"]);
    fs::write(
        repo.join("broken.mod"),
        "NEURON {\n  SUFFIX broken\n  RANGE g\n}\nPARAMETER { g = 1 (S/cm2\n}\n",
    )
    .unwrap();
    let json = dir.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&repo)
        .args(["--engine", "jNeuroML_NEURON", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code());
    let test = &read_json(&json)["tests"][0];
    assert_eq!(test["status"], "error", "{test}");
    // make's status, which NEURON's nrnivmodl script passes on.
    assert_eq!(test["message"], "nrnivmodl exited with status 2", "{test}");
    let tail = test["output_tail"].as_str().unwrap();
    assert!(
        tail.contains("Syntax error: no closing ')' at line 5 in file broken.mod"),
        "{tail}"
    );
    assert!(
        !tail.contains('\u{1b}'),
        "terminal colour codes must be stripped: {tail}"
    );
}

/// Simulators write their caches (Brian2's Cython cache, matplotlib's config, NEURON's
/// files) inside the crosscheck home, never into the user's home directory.
#[test]
fn simulators_do_not_write_to_the_users_home() {
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    crosscheck(&shared_home())
        .env("HOME", home.path())
        .arg("run")
        .arg(corpus().join("LEMSexamples/test/.test.ex9.jnmlbrian2.omt"))
        .arg(corpus().join("LEMSexamples/test/.test.ex0.jnmlnrn.omt"))
        // The corpus is not a Git repository: its targets in `../` lie outside the folder given.
        .arg("--allow-outside-paths")
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .success();
    assert_eq!(read_json(&json)["summary"]["pass"], 2);
    let written: Vec<_> = fs::read_dir(home.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(written.is_empty(), "written to $HOME: {written:?}");
}

/// A single test file can be run on its own: its job copies enough of the tree for the files
/// the model includes from a sibling folder (`../examples/…`). The corpus is not a Git
/// repository, so reaching beyond the folder given needs `--allow-outside-paths`.
#[test]
fn a_single_test_file_runs_with_the_files_its_model_includes() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(corpus().join("LEMSexamples/test/.test.ex14.jnmlnrn.omt"))
        .arg("--allow-outside-paths")
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .success();
    let test = &read_json(&json)["tests"][0];
    assert_eq!(test["status"], "pass");
    // The copied root widened from `test/` to the corpus root, which holds `examples/`.
    assert_eq!(test["model"], "LEMSexamples/LEMS_NML2_Ex14_PyNN.xml");
}

/// Copies one bundled crosscheck suite and its reference data into `dir`.
fn suite_copy(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = dir.join("suites");
    fs::create_dir_all(&suites).unwrap();
    let file = format!("{name}.crosscheck.yaml");
    fs::copy(repo.join("suites/native").join(&file), suites.join(&file)).unwrap();
    let references = dir.join("reference-data");
    let from = repo.join("reference-data").join(name);
    for entry in walkdir_files(&from) {
        let rel = entry.strip_prefix(&from).unwrap();
        let to = references.join(name).join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(&entry, &to).unwrap();
    }
    (suites.join(file), references)
}

fn walkdir_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walkdir_files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Copies the bundled NeuroML suite `neuroml_iaf_cells` (suite file and model) into
/// `dir/suites` and its reference data into `dir/reference-data`.
fn neuroml_iaf_copy(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suites = dir.join("suites");
    fs::create_dir_all(&suites).unwrap();
    for file in ["iaf_cells.crosscheck.yaml", "iaf_cells.net.nml"] {
        fs::copy(repo.join("suites/neuroml").join(file), suites.join(file)).unwrap();
    }
    let references = dir.join("reference-data");
    let from = repo.join("reference-data/neuroml_iaf_cells");
    for entry in walkdir_files(&from) {
        let to = references
            .join("neuroml_iaf_cells")
            .join(entry.strip_prefix(&from).unwrap());
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(&entry, &to).unwrap();
    }
    (suites, references)
}

/// A NeuroML model: moving the iafRefCell's threshold by 5 mV in the NeuroML file fails the
/// reference checks on the engine that runs the file (jNeuroML) and on the one that runs
/// crosscheck's translation of it (NEST), naming the spikes and the changed file; the two
/// still agree with each other, so the translation follows the file.
#[test]
fn a_changed_neuroml_file_fails_its_reference_checks_on_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let (suites, references) = neuroml_iaf_copy(dir.path());
    let nml = suites.join("iaf_cells.net.nml");
    let text = fs::read_to_string(&nml).unwrap();
    assert_eq!(text.matches(r#"thresh="-50mV""#).count(), 1);
    fs::write(&nml, text.replace(r#"thresh="-50mV""#, r#"thresh="-55mV""#)).unwrap();
    let json = dir.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&suites)
        .args([
            "--engine",
            "NEST",
            "--engine",
            "jNeuroML",
            "--reference-dir",
        ])
        .arg(&references)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2, "{tests:#?}");
    for test in tests {
        assert_eq!(test["status"], "fail", "{test}");
        let spikes = test["observables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["experiment"] == "reference" && o["status"] == "fail")
            .unwrap_or_else(|| panic!("no failing reference check: {test}"));
        let message = spikes["message"].as_str().unwrap();
        assert!(message.contains(" ms"), "{message}");
        assert!(
            message.contains("iaf_cells.net.nml changed since this reference was blessed"),
            "{message}"
        );
    }
    // NEST and jNeuroML still see the same model: the untouched cells agree within the suite's
    // window, and the changed cell fires the same 13 spikes on both (its window of 0.2 ms is
    // tuned to the blessed threshold; at -55 mV Euler's drift reaches 0.25 ms by the end).
    let checks = report["agreement"][0]["pairs"][0]["checks"]
        .as_array()
        .unwrap()
        .clone();
    let check = |what: &str| {
        checks
            .iter()
            .find(|c| c["what"] == what)
            .unwrap_or_else(|| panic!("{what}: {checks:#?}"))
            .clone()
    };
    assert_eq!(check("lif_pop spikes")["passed"], true);
    let changed = check("ref_pop spikes");
    let message = changed["message"].as_str().unwrap();
    assert!(message.contains(" of 13 reference spikes"), "{message}");
    assert!(message.contains("largest shift"), "{message}");
}

/// A job that fails only its blessed reference is FAIL on its live line (printed as the job
/// finishes, before the summary), in the summary table and in the JSON: the reference is judged
/// before the job is reported, not after the run.
#[test]
fn a_job_failing_only_its_reference_is_fail_on_its_live_line() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, references) = suite_copy(dir.path(), "lif_alpha_spike_source");
    // The first blessed spike of the cell, 5 ms later: the model and its own checks are intact.
    let spikes = references.join("lif_alpha_spike_source/NEST/spikes_cell.txt");
    let text = fs::read_to_string(&spikes).unwrap();
    assert!(text.contains("\n0 205.3\n"), "{text}");
    fs::write(&spikes, text.replace("\n0 205.3\n", "\n0 210.3\n")).unwrap();
    let json = dir.path().join("r.json");
    let output = crosscheck(&shared_home())
        .arg("run")
        .arg(&suite)
        .args(["--engine", "NEST", "--reference-dir"])
        .arg(&references)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(600))
        .assert()
        .code(Exit::TestsFailed.code())
        .get_output()
        .clone();
    let report = read_json(&json);
    let test = &report["tests"][0];
    assert_eq!(test["status"], "fail", "{test}");
    let observables = test["observables"].as_array().unwrap();
    let failing: Vec<_> = observables
        .iter()
        .filter(|o| o["status"] != "pass")
        .collect();
    assert!(
        !failing.is_empty() && failing.iter().all(|o| o["experiment"] == "reference"),
        "only reference checks should fail: {observables:#?}"
    );
    // Without a terminal the live lines go to stderr as plain lines: `[1/1] FAIL ... NEST ...`.
    let stderr = String::from_utf8_lossy(&output.stderr);
    let live: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("[1/1]"))
        .collect();
    assert_eq!(live.len(), 1, "{stderr}");
    assert!(
        live[0].contains(" FAIL ") && live[0].contains("NEST"),
        "live line: {}",
        live[0]
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 jobs: 0 passed, 1 failed"), "{stdout}");
}

/// Moving a bundled model's threshold by 5 mV fails its checks, and the messages name the
/// spikes and the size of the differences.
#[test]
fn a_changed_model_parameter_fails_with_the_spike_and_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, references) = suite_copy(dir.path(), "lif_alpha_spike_source");
    let text = fs::read_to_string(&suite).unwrap();
    fs::write(&suite, text.replace("v_thresh: -55 mV", "v_thresh: -60 mV")).unwrap();
    let json = dir.path().join("r.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&suite)
        .args(["--engine", "NEST", "--engine", "Brian2", "--reference-dir"])
        .arg(&references)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code());
    let report = read_json(&json);
    for test in report["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "fail", "{test}");
        let observables = test["observables"].as_array().unwrap();
        let count = observables
            .iter()
            .find(|o| o["observable"] == "spike_count")
            .unwrap();
        assert_eq!(count["status"], "fail");
        assert!(
            count["message"].as_str().unwrap().contains("off by +"),
            "{count}"
        );
        let spikes = observables
            .iter()
            .find(|o| o["experiment"] == "reference" && o["observable"] == "cell spikes")
            .expect("reference spike check");
        assert_eq!(spikes["status"], "fail");
        let message = spikes["message"].as_str().unwrap();
        assert!(message.contains("extra: #"), "{message}");
        assert!(message.contains(" ms"), "{message}");
        assert!(
            message.contains(".crosscheck.yaml changed since this reference was blessed"),
            "{message}"
        );
    }
    // The engines still agree with each other: the model changed, not a simulator.
    assert_eq!(report["agreement"][0]["pairs"][0]["status"], "pass");
}

/// `bless` then `run` passes; `run` never touches the reference data; `bless` refuses a run
/// that errored and then writes nothing.
#[test]
fn bless_then_run_passes_and_run_never_writes_references() {
    let dir = tempfile::tempdir().unwrap();
    let (suite, _) = suite_copy(dir.path(), "izhikevich_rs");
    let references = dir.path().join("fresh-references");
    // Not blessed yet: the reference check is an error that says what to do.
    let json = dir.path().join("before.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&suite)
        .args(["--engine", "NEST", "--reference-dir"])
        .arg(&references)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code());
    let before = read_json(&json);
    assert!(before["tests"][0]["message"]
        .as_str()
        .unwrap()
        .contains("crosscheck bless"));
    assert!(!references.exists(), "run must not write reference data");

    // A bless whose job times out writes nothing.
    crosscheck(&shared_home())
        .arg("bless")
        .arg(&suite)
        .args(["--engine", "NEST", "--timeout", "0.01", "--reference-dir"])
        .arg(&references)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code())
        .stderr(predicate::str::contains("not blessing"));
    assert!(!references.exists());

    crosscheck(&shared_home())
        .arg("bless")
        .arg(&suite)
        .args(["--engine", "NEST", "--reference-dir"])
        .arg(&references)
        .timeout(Duration::from_secs(900))
        .assert()
        .success()
        .stdout(predicate::str::contains("new reference"));
    let written = walkdir_files(&references);
    assert!(written
        .iter()
        .any(|p| p.ends_with("izhikevich_rs/NEST/spikes_rs.txt")));
    let provenance =
        read_json(&references.join("izhikevich_rs/NEST/spikes_rs.txt.provenance.json"));
    assert_eq!(provenance["engine"], "NEST");
    assert!(provenance["engine_version"]
        .as_str()
        .unwrap()
        .starts_with("NEST 3.10"));
    assert_eq!(provenance["model_files"][0][1].as_str().unwrap().len(), 64);
    let snapshot: Vec<(std::path::PathBuf, Vec<u8>)> = written
        .iter()
        .map(|p| (p.clone(), fs::read(p).unwrap()))
        .collect();

    crosscheck(&shared_home())
        .arg("run")
        .arg(&suite)
        .args(["--engine", "NEST", "--reference-dir"])
        .arg(&references)
        .timeout(Duration::from_secs(900))
        .assert()
        .success();
    for (path, bytes) in snapshot {
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "{} changed",
            path.display()
        );
    }
}

/// With `--keep-workdirs` the generated code stays, and running it by hand gives exactly what
/// crosscheck recorded.
#[test]
fn kept_generated_code_runs_by_hand_with_the_same_result() {
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("r.json");
    let suite =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/native/izhikevich_rs.crosscheck.yaml");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&suite)
        .args(["--engine", "NEST", "--keep-workdirs", "--json"])
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .success();
    let report = read_json(&json);
    let workdir = std::path::PathBuf::from(report["tests"][0]["workdir"].as_str().unwrap());
    assert!(workdir.join("run_nest.py").is_file());
    let recorded = fs::read(workdir.join("output/spikes_rs.txt")).unwrap();
    fs::remove_dir_all(workdir.join("output")).unwrap();
    let status = std::process::Command::new(shared_home().join("venv/bin/python"))
        .arg("run_nest.py")
        .current_dir(&workdir)
        .env("PYNEST_QUIET", "1")
        .env("HOME", out.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        fs::read(workdir.join("output/spikes_rs.txt")).unwrap(),
        recorded
    );
    fs::remove_dir_all(&workdir).unwrap();
}

/// A Hodgkin–Huxley cell started away from -65 mV: every simulator starts its gates at the
/// steady state for `v_init` (NEST's own default would keep them at the -65 mV values and fire
/// a spurious rebound spike, which the agreement check caught).
#[test]
fn hh_started_away_from_rest_agrees_across_simulators() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("hh_vinit.crosscheck.yaml");
    fs::write(
        &suite,
        "suite: hh_vinit\nengines: [NEST, Brian2]\nsimulation: {duration: 100 ms}\npopulations:\n  hh: {cell: hh_curr_alpha, size: 1, parameters: {v_init: -75 mV}}\nstimuli:\n  - step: {target: hh, amplitude: 1000 pA, start: 50 ms, stop: 90 ms}\nrecord:\n  - {population: hh, variables: [spikes, v]}\nchecks:\n  agreement:\n    spikes: {window: 1 ms}\n",
    )
    .unwrap();
    let json = dir.path().join("r.json");
    run_json(&suite, &json).success();
    let report = read_json(&json);
    let pair = &report["agreement"][0]["pairs"][0];
    assert_eq!(pair["status"], "pass", "{pair}");
}

/// `lif_delta` means NEST's iaf_psc_delta on every simulator: with the same input (spike
/// sources drawn by crosscheck) and the same graph (`fixed_indegree`, `fixed_total_number`),
/// NEURON and Brian2 reproduce NEST's spikes to the step, refractory drops included.
#[test]
fn delta_synapse_network_agrees_spike_for_spike() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("delta_net.crosscheck.yaml");
    fs::write(
        &suite,
        "suite: delta_net
engines: [NEURON, NEST, Brian2]
simulation: {duration: 300 ms, dt: 0.1 ms, seed: 11}
populations:
  noise: {cell: poisson_source, size: 200, parameters: {rate: 40 Hz}}
  exc: {cell: lif_delta, size: 80, parameters: {tau_m: 20 ms, v_rest: 0 mV, v_reset: 10 mV, v_thresh: 20 mV, tau_refrac: 2 ms, v_init: 5 mV}}
  inh: {cell: lif_delta, size: 20, parameters: {tau_m: 20 ms, v_rest: 0 mV, v_reset: 10 mV, v_thresh: 20 mV, tau_refrac: 2 ms}}
projections:
  - {from: noise, to: exc, connector: {fixed_indegree: 60, seed: 1}, receptor: excitatory, weight: 1.2 mV, delay: 0.1 ms}
  - {from: noise, to: inh, connector: {fixed_total_number: 1200, seed: 2}, receptor: excitatory, weight: 1.2 mV, delay: 0.5 ms}
  - {from: exc, to: exc, connector: {fixed_indegree: 8, seed: 3, allow_multapses: false}, receptor: excitatory, weight: 0.5 mV, delay: 1.5 ms}
  - {from: exc, to: inh, connector: {fixed_indegree: 8, seed: 4}, receptor: excitatory, weight: 0.5 mV, delay: 1.5 ms}
  - {from: inh, to: exc, connector: {fixed_indegree: 2, seed: 5}, receptor: inhibitory, weight: 2 mV, delay: 1.5 ms}
  - {from: inh, to: inh, connector: {fixed_indegree: 2, seed: 6}, receptor: inhibitory, weight: 2 mV, delay: 1.5 ms}
record:
  - {population: exc, variables: [spikes, v], cells: [0, 1]}
  - {population: inh, variables: [spikes]}
checks:
  agreement:
    spikes: {window: 0.01 ms}
    traces: {v: {max_abs: 0.001 mV}}
  statistics:
    - {statistic: mean_rate, population: inh, min: 5 Hz}
",
    )
    .unwrap();
    let json = dir.path().join("r.json");
    run_json(&suite, &json).success();
    let report = read_json(&json);
    let entry = &report["agreement"][0];
    let pairs = entry["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3, "{entry}");
    for pair in pairs {
        assert_eq!(pair["status"], "pass", "{pair}");
    }
    // The network is active: the inhibitory cells fire (the statistic passed on all three).
    for test in report["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "pass", "{test}");
    }
}

/// A copy of `suites/cortical/<name>.crosscheck.yaml` edited by `edit`, in a temporary folder
/// beside a copy of its blessed distributions (so the copy is judged by the real calibration).
fn perturbed_cortical_suite(
    name: &str,
    edit: impl FnOnce(&str) -> String,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        fs::read_to_string(repo.join(format!("suites/cortical/{name}.crosscheck.yaml"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join(format!("{name}.crosscheck.yaml"));
    fs::write(&suite, edit(&text)).unwrap();
    let blessed = dir.path().join("reference-data").join(name);
    fs::create_dir_all(&blessed).unwrap();
    fs::copy(
        repo.join("reference-data")
            .join(name)
            .join("distributions.json"),
        blessed.join("distributions.json"),
    )
    .unwrap();
    (dir, suite)
}

/// The regime checks have teeth: Brunel's asynchronous irregular network with the inhibition
/// weakened (g = 5 → 4) leaves the regime on every simulator, and the failure names the
/// statistics, their values and the bounds they missed (measured on NEST: 136 Hz, CV 0.77,
/// Fano factor 117 against 25–90 Hz, ≥ 0.9 and ≤ 100); against the blessed NEST
/// distributions (of g = 5), the rate distributions lie outside the seed-to-seed spread, and
/// the failure gives the KS distance and the baseline.
#[test]
fn weakened_inhibition_leaves_the_asynchronous_irregular_regime() {
    // g J = 2.5 mV becomes 2 mV on both inhibitory projections.
    let (dir, suite) = perturbed_cortical_suite("brunel_ai", |text| {
        assert_eq!(text.matches("weight: 2.5 mV").count(), 2);
        text.replace("weight: 2.5 mV", "weight: 2.0 mV")
    });
    let json = dir.path().join("r.json");
    run_json(&suite, &json).code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3, "{tests:#?}");
    for test in tests {
        assert_eq!(test["status"], "fail", "{test}");
        let failed: Vec<&str> = test["observables"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["status"] == "fail")
            .map(|o| o["message"].as_str().unwrap())
            .collect();
        // Excitation wins: both populations fire too fast (and, on NEST, too regularly and
        // too synchronously as well), far from NEST's rates at g = 5.
        assert!(failed.len() >= 4, "{failed:?}");
        for population in ["exc", "inh"] {
            let distribution = test["observables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["observable"] == format!("{population} rate distribution"))
                .unwrap_or_else(|| panic!("no {population} rate distribution in {test}"));
            assert_eq!(distribution["status"], "fail", "{distribution}");
            let message = distribution["message"].as_str().unwrap();
            assert!(
                message.starts_with("outside the seed-to-seed spread: KS distance ")
                    && message.contains("to NEST's (baseline: seed-to-seed KS up to 0.")
                    && message.contains("effect size +"),
                "{message}"
            );
            assert!(
                distribution["observed"].as_f64().unwrap()
                    > distribution["tolerance"].as_f64().unwrap()
            );
        }
        assert!(
            failed.iter().any(
                |m| m.starts_with("mean_rate ") && m.contains("expected in [25, 90]: above by")
            ),
            "{failed:?}"
        );
    }
}

/// The numpy helpers with which NEURON's and Brian2's scripts draw a network
/// (`connectivity: simulator`) keep what they promise: pairs in range (no autapses when
/// excluded), weights that keep their sign, delays of at least one step.
#[test]
fn drawn_network_helpers_keep_signs_ranges_and_steps() {
    crosscheck(&shared_home())
        .args(["install", "brian2"])
        .timeout(Duration::from_secs(1800))
        .assert()
        .success();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("check.py");
    fs::write(
        &script,
        format!(
            "import numpy as np\nDRAW_SEED = 3\n{}\n\
             pre, post = draw_pairs('fixed_total_number', 4, 4, 2000, True)\n\
             assert len(pre) == 2000 and (pre != post).all() and pre.max() == 3 and post.min() == 0\n\
             w = draw_normal(-1.0, 2.0, 5000, -np.inf, 0.0)\n\
             assert (w <= 0).all() and -2.0 < np.median(w) < -1.6\n\
             d = on_steps(draw_normal(0.75, 0.375, 5000, 0.05, np.inf), 0.1)\n\
             assert d.min() >= 0.1 and np.allclose(d / 0.1, np.round(d / 0.1))\n\
             a, b = draw_pairs('all_to_all', 3, 3, 0, True)\n\
             assert len(a) == 6 and (a != b).all()\n\
             assert (draw_normal(2.0, None, 3, 0, 9) == 2.0).all()\n\
             print('ok')\n",
            crosscheck::codegen::drawn::PYTHON_HELPERS
        ),
    )
    .unwrap();
    // Median of N(-1, 2) kept in (-inf, 0]: the 0.346 quantile of N(-1, 2), -1.79.
    let output = std::process::Command::new(shared_home().join("venv/bin/python"))
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).trim() == "ok",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The microcircuit's checks have teeth: with layer 4's excitatory background lowered by 10 %
/// (1680 → 1512 Hz per cell), NEST no longer reproduces its published rates, and L4e's rate
/// distribution leaves NEST's own seed-to-seed spread, the failure giving the KS distance and
/// the baseline.
#[test]
fn weaker_layer_4_background_fails_the_microcircuit_checks_with_the_distances() {
    let l4e = "poisson: {target: L4e, rate: 1680.0 Hz,";
    let (dir, suite) = perturbed_cortical_suite("potjans_diesmann", |text| {
        assert_eq!(text.matches(l4e).count(), 1);
        text.replace(l4e, "poisson: {target: L4e, rate: 1512.0 Hz,")
            .replace("engines: [NEST, NEURON, Brian2]", "engines: [NEST]")
    });
    let json = dir.path().join("r.json");
    run_json(&suite, &json).code(Exit::TestsFailed.code());
    let report = read_json(&json);
    let tests = report["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 1, "{tests:#?}");
    let observables = tests[0]["observables"].as_array().unwrap();
    let find = |name: &str, experiment: &str| {
        observables
            .iter()
            .find(|o| o["observable"] == name && o["experiment"] == experiment)
            .unwrap_or_else(|| panic!("no {experiment} / {name} in {observables:#?}"))
    };
    let published = find("published mean_rate", "L4e population");
    assert_eq!(published["status"], "fail", "{published}");
    assert!(
        published["observed"].as_f64().unwrap() < 3.88 - 0.1,
        "{published}"
    );
    let distribution = find("L4e rate distribution", "distributions");
    assert_eq!(distribution["status"], "fail", "{distribution}");
    let message = distribution["message"].as_str().unwrap();
    assert!(
        message.starts_with("outside the seed-to-seed spread: KS distance ")
            && message.contains("to NEST's (baseline: seed-to-seed KS up to 0.")
            && message.contains("effect size -"),
        "{message}"
    );
    assert!(
        distribution["observed"].as_f64().unwrap() > distribution["tolerance"].as_f64().unwrap()
    );
}

/// `bless` calibrates a `distributions` check on the reference engine's other seeds (written
/// with provenance, never by `run`), and `run` then judges every engine against it.
#[test]
fn bless_calibrates_distributions_on_the_reference_seeds_and_run_judges_by_them() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("small_net.crosscheck.yaml");
    fs::write(
        &suite,
        "suite: small_net\nengines: [NEST, Brian2]\nsimulation: {duration: 400 ms, dt: 0.1 ms, seed: 5}\npopulations:\n  exc: {cell: lif_delta, size: 400, parameters: {tau_m: 20 ms, v_rest: 0 mV, v_reset: 10 mV, v_thresh: 20 mV}}\nprojections:\n  - {from: exc, to: exc, connector: {fixed_indegree: 40, seed: 1}, receptor: inhibitory, weight: 1 mV, delay: 1.5 ms}\nstimuli:\n  - poisson: {target: exc, rate: 6 kHz, weight: 0.5 mV, receptor: excitatory}\nrecord:\n  - {population: exc, variables: [spikes]}\nchecks:\n  distributions: {reference: NEST, seeds: [6, 7], statistics: [rate], start: 50 ms}\n",
    )
    .unwrap();
    let blessed = dir
        .path()
        .join("reference-data/small_net/distributions.json");
    // Before blessing, the check cannot be judged: an error that says what to do.
    let unblessed = dir.path().join("r0.json");
    run_json(&suite, &unblessed).code(Exit::TestsFailed.code());
    assert!(!blessed.exists());
    for test in read_json(&unblessed)["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "error", "{test}");
        assert!(
            test.to_string()
                .contains("record them with `crosscheck bless`"),
            "{test}"
        );
    }
    crosscheck(&shared_home())
        .arg("bless")
        .arg(&suite)
        .timeout(Duration::from_secs(900))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "exc rate distribution, seed-to-seed KS up to",
        ))
        .stdout(predicate::str::contains("over 3 seeds"));
    let calibration = read_json(&blessed);
    assert_eq!(calibration["seeds"], serde_json::json!([5, 6, 7]));
    assert_eq!(calibration["provenance"]["engine"], "NEST");
    assert!(calibration["provenance"]["engine_version"]
        .as_str()
        .unwrap()
        .starts_with("NEST 3.10"));
    let entry = &calibration["entries"][0];
    assert_eq!(entry["values"].as_array().unwrap().len(), 400);
    assert_eq!(entry["seed_distances"].as_array().unwrap().len(), 3);
    let json = dir.path().join("r.json");
    run_json(&suite, &json).success();
    let report = read_json(&json);
    for test in report["tests"].as_array().unwrap() {
        let observable = test["observables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["observable"] == "exc rate distribution")
            .unwrap_or_else(|| panic!("{test}"));
        assert_eq!(observable["status"], "pass", "{observable}");
        assert!(observable["message"]
            .as_str()
            .unwrap()
            .starts_with("KS distance "));
    }
}

/// `crosscheck run SUITE --json JSON` in the shared environment, 15 minutes at most.
fn run_json(suite: &Path, json: &Path) -> assert_cmd::assert::Assert {
    crosscheck(&shared_home())
        .arg("run")
        .arg(suite)
        .arg("--json")
        .arg(json)
        .timeout(Duration::from_secs(900))
        .assert()
}

/// Engines that disagree beyond a suite's agreement rules fail the run (exit 1), and the
/// matrix and the message say which pair, which spike and by how much.
#[test]
fn disagreeing_engines_fail_the_run_with_the_pair_and_the_spike() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("tight.crosscheck.yaml");
    // NEST applies a current step one time step (25 µs) later than NEURON, so their spikes
    // differ by about a step: far more than this 1 µs window.
    fs::write(
        &suite,
        "suite: tight\nengines: [NEURON, NEST]\nsimulation: {duration: 200 ms}\npopulations:\n  rs: {cell: izhikevich, size: 1}\nstimuli:\n  - step: {target: rs, amplitude: 10 pA, start: 50 ms, stop: 150 ms}\nrecord:\n  - {population: rs, variables: [spikes]}\nchecks:\n  agreement:\n    spikes: {window: 0.001 ms}\n",
    )
    .unwrap();
    let json = dir.path().join("r.json");
    run_json(&suite, &json)
        .code(Exit::TestsFailed.code())
        .stdout(predicate::str::contains("agreement: tight"))
        .stdout(predicate::str::contains("NEURON vs NEST"));
    let report = read_json(&json);
    // Each job on its own passed: only the comparison between them fails.
    for test in report["tests"].as_array().unwrap() {
        assert_eq!(test["status"], "pass", "{test}");
    }
    let entry = &report["agreement"][0];
    assert_eq!(entry["matrix"][0][1], "fail", "{entry}");
    let message = entry["pairs"][0]["checks"][0]["message"].as_str().unwrap();
    assert!(message.contains("missing: #0 at"), "{message}");
    assert!(message.contains("ms"), "{message}");
}

/// A crosscheck suite from the result cache keeps its agreement matrix (the recordings are
/// cached with the pass), and new reference data invalidates the cached passes.
#[test]
fn cached_suite_runs_keep_their_agreement_and_follow_the_references() {
    let dir = tempfile::tempdir().unwrap();
    let (suites, references) = neuroml_iaf_copy(dir.path());
    // The shared home: its environment, and a cache whose keys are contents, so other tests
    // cannot collide with these entries.
    let json = dir.path().join("r.json");
    let run = || {
        crosscheck_cached(&shared_home())
            .arg("run")
            .arg(&suites)
            .args(["--engine", "NEST", "--engine", "jNeuroML"])
            .arg("--json")
            .arg(&json)
            .timeout(Duration::from_secs(900))
            .assert()
            .success();
        read_json(&json)
    };
    let first = run();
    let second = run();
    for report in [&first, &second] {
        let pair = &report["agreement"][0]["pairs"][0];
        assert_eq!(pair["status"], "pass", "{pair}");
    }
    let cached: Vec<bool> = second["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["cached"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(cached, vec![true, true], "{second}");
    // Re-blessed (here: edited) reference data: the reference checks must run again.
    let nest_spikes = references.join("neuroml_iaf_cells/NEST/spikes_ref_pop.txt");
    let text = fs::read_to_string(&nest_spikes).unwrap();
    fs::write(&nest_spikes, format!("{text}0 199.0\n")).unwrap();
    crosscheck_cached(&shared_home())
        .arg("run")
        .arg(&suites)
        .args(["--engine", "NEST", "--reference-dir"])
        .arg(&references)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .code(Exit::TestsFailed.code());
    let third = read_json(&json);
    assert!(!third["tests"][0]["cached"].as_bool().unwrap_or(false));
    assert_eq!(third["tests"][0]["status"], "fail", "{third}");
}
