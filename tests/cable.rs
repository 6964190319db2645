//! The passive cable (`passive_cable`, Rallpack 1) on the real simulators: crosscheck's NEURON
//! code and the suite's NeuroML2 export (validated, then run through jNeuroML's NEURON export)
//! both pass the cable equation's exact answer at both ends, and the same suite with too few
//! compartments fails it at both ends, with the error in the message (a missing simulator fails
//! these tests: it is a set-up problem, never a skip).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{crosscheck, read_json, shared_home};

/// The analytic observables of the job of `engine` in `report`.
fn analytic<'a>(report: &'a serde_json::Value, engine: &str) -> Vec<&'a serde_json::Value> {
    let job = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["engine"] == engine)
        .unwrap_or_else(|| panic!("no {engine} job in {report}"));
    job["observables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["observable"].as_str().unwrap().starts_with("analytic"))
        .collect()
}

#[test]
fn rallpack1_passes_at_both_ends_and_a_coarse_cable_fails() {
    let out = tempfile::tempdir().unwrap();
    let suite =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/analytic/rallpack1.crosscheck.yaml");
    let json = out.path().join("rallpack1.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&suite)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .success();
    let report = read_json(&json);
    for engine in ["NEURON", "jNeuroML_NEURON"] {
        let judged = analytic(&report, engine);
        let names: Vec<&str> = judged
            .iter()
            .map(|o| o["observable"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "analytic v rms_relative",
                "analytic v max_relative",
                "analytic v_distal rms_relative",
                "analytic v_distal max_relative",
            ],
            "{engine}"
        );
        for o in &judged {
            assert_eq!(o["status"], "pass", "{engine}: {o}");
        }
        // NSuite's figure (RMS below 0.1 %) with a wide margin: about 1e-4 at dt = 0.025 ms.
        for o in judged
            .iter()
            .filter(|o| o["observable"].as_str().unwrap().ends_with("rms_relative"))
        {
            let error = o["observed"].as_f64().unwrap();
            assert!(error < 2e-4, "{engine}: {o}");
        }
    }
    // The export was validated before it ran.
    let export = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["engine"] == "jNeuroML_NEURON")
        .unwrap();
    assert!(
        export["output_tail"]
            .as_str()
            .unwrap()
            .contains("Valid against schema and all tests"),
        "{export}"
    );

    // Ten compartments of a tenth of λ each: the spatial error alone is 0.17–0.2 % RMS.
    let coarse = std::fs::read_to_string(&suite)
        .unwrap()
        .replace("nseg: 1000", "nseg: 10");
    let coarse_file = out.path().join("rallpack1.crosscheck.yaml");
    std::fs::write(&coarse_file, coarse).unwrap();
    let json = out.path().join("coarse.json");
    crosscheck(&shared_home())
        .arg("run")
        .arg(&coarse_file)
        .arg("--json")
        .arg(&json)
        .timeout(Duration::from_secs(900))
        .assert()
        .failure();
    let report = read_json(&json);
    for engine in ["NEURON", "jNeuroML_NEURON"] {
        for end in ["v", "v_distal"] {
            let observable = format!("analytic {end} rms_relative");
            let judged = analytic(&report, engine);
            let o = judged
                .iter()
                .find(|o| o["observable"] == observable.as_str())
                .unwrap_or_else(|| panic!("{engine}: no {observable}"));
            assert_eq!(o["status"], "fail", "{engine}: {o}");
            assert!(
                o["message"].as_str().unwrap().contains("more than 0.001"),
                "{engine}: {o}"
            );
        }
    }
}
