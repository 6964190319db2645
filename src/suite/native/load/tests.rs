//! The loader's tests: whole suites in, a loaded suite or the exact errors (message, help,
//! line and column) out.

use super::simulation::DEFAULT_SEED;
use super::*;
use crate::suite::native::{
    Connectivity, Connector, Criterion, Feature, Receptor, Simulator, Stimulus, SweepTarget,
    Variable,
};
use crate::suite::units::Quantity;
use std::path::PathBuf;

fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/native")
}

/// Loads `text` as a suite file in a temporary directory.
fn load_text(text: &str) -> Result<NativeSuite, Vec<LoadError>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.crosscheck.yaml");
    std::fs::write(&path, text).expect("write");
    load_suite(&path)
}

/// The errors of an invalid suite as (line, column, message, help).
fn errors(text: &str) -> Vec<(usize, usize, String, String)> {
    match load_text(text) {
        Ok(_) => panic!("loaded:\n{text}"),
        Err(errors) => errors
            .into_iter()
            .map(|e| {
                (
                    e.location.line,
                    e.location.column,
                    e.message,
                    e.help.unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// The single error of an invalid suite.
fn error(text: &str) -> (usize, usize, String, String) {
    let mut all = errors(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.remove(0)
}

const MINIMAL: &str = "\
suite: small
simulation: {duration: 100 ms}
populations:
  rs: {cell: izhikevich, size: 2}
stimuli:
  - step: {target: rs, amplitude: 10 pA, start: 10 ms, stop: 90 ms}
record:
  - {population: rs, variables: [spikes, v]}
checks:
  agreement: {spikes: {window: 1 ms}}
";

/// A suite using the NeuroML model `nml` (written beside it as `m.nml`), with `extra` YAML.
fn load_neuroml(nml: &str, extra: &str) -> Result<NativeSuite, Vec<LoadError>> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("m.nml"), nml).expect("write");
    let path = dir.path().join("t.crosscheck.yaml");
    let text = format!(
            "suite: nml\nsimulation: {{duration: 10 ms}}\nmodel: {{neuroml: m.nml}}\n{extra}\
             record:\n  - {{population: p, variables: [spikes, v]}}\nchecks:\n  agreement: {{spikes: {{window: 1 ms}}}}\n"
        );
    std::fs::write(&path, text).expect("write");
    load_suite(&path)
}

const IAF_NML: &str = r#"<neuroml id="m">
<iafCell id="c" leakReversal="-70mV" thresh="-55mV" reset="-70mV" C="0.25nF" leakConductance="12.5nS"/>
<pulseGenerator id="pg" delay="1ms" duration="5ms" amplitude="0.3nA"/>
<network id="net"><population id="p" component="c" size="2"/><explicitInput target="p[1]" input="pg"/></network>
</neuroml>"#;

#[test]
fn a_neuroml_model_loads_its_populations_and_inputs() {
    let suite = load_neuroml(IAF_NML, "").unwrap_or_else(|e| panic!("{e:?}"));
    let model = suite.model.as_ref().expect("model");
    assert_eq!(model.network, "net");
    assert_eq!(suite.populations.len(), 1);
    assert_eq!(suite.populations[0].size, 2);
    assert_eq!(suite.stimuli.len(), 1);
    assert_eq!(suite.recordings[0].population, 0);
}

#[test]
fn a_neuroml_model_excludes_inline_network_keys() {
    let errors = load_neuroml(
        IAF_NML,
        "populations:\n  q: {cell: izhikevich, size: 1}\nstimuli: []\n",
    )
    .unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m == "`populations` cannot be used with `model`"),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m == "`stimuli` cannot be used with `model`"),
        "{messages:?}"
    );
    // Each at its own key.
    assert!(errors.iter().all(|e| e.location.line >= 4), "{errors:?}");
}

#[test]
fn neuroml_model_errors_point_into_both_files() {
    // A missing file: at the path in the suite.
    let errors = self::errors(
            "suite: x\nsimulation: {duration: 1 ms}\nmodel: {neuroml: nowhere.nml}\nrecord: []\nchecks: {}\n",
        );
    let (line, column, message, _) = &errors[0];
    assert_eq!((*line, *column), (3, 18), "{errors:?}");
    assert!(message.contains("not found"), "{message}");
    // An error inside the NeuroML file names it with its line.
    let bad = IAF_NML.replace("0.25nF", "0.25nS");
    let errors = load_neuroml(&bad, "").unwrap_err();
    assert!(
        errors[0].message.contains("m.nml:2:") && errors[0].message.contains("C=\"0.25nS\""),
        "{errors:?}"
    );
    // A recording of a population the file does not define: the nearest name.
    let errors = load_neuroml(&IAF_NML.replace("id=\"p\"", "id=\"pp\""), "").unwrap_err();
    assert!(
        errors.iter().any(|e| e.message.contains("`p`")),
        "{errors:?}"
    );
    // An unknown key in `model`, with the nearest valid one.
    let all = self::errors(
        "suite: x\nsimulation: {duration: 1 ms}\nmodel: {nueroml: m.nml}\nrecord: []\nchecks: {}\n",
    );
    assert!(
        all.iter()
            .any(|e| e.2.contains("unknown key `nueroml`") && e.3 == "did you mean `neuroml`?"),
        "{all:#?}"
    );
}

/// `MINIMAL` with `from` replaced by `to` (exactly once).
fn minimal_with(from: &str, to: &str) -> String {
    assert_eq!(MINIMAL.matches(from).count(), 1, "{from}");
    MINIMAL.replacen(from, to, 1)
}

fn si(q: &Quantity) -> f64 {
    q.si
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-30)
}

#[test]
fn example_suites_load_with_resolved_values() {
    let rs = load_suite(&suites_dir().join("izhikevich_rs.crosscheck.yaml")).expect("rs");
    assert_eq!(rs.name.as_str(), "izhikevich_rs");
    assert_eq!(rs.engines, Simulator::DEFAULT);
    assert_eq!(rs.simulation.seed, 42);
    assert!(close(si(&rs.simulation.dt), 25e-6));
    let pop = &rs.populations[0];
    assert_eq!(
        (pop.id.as_str(), pop.kind.name, pop.size),
        ("rs", "izhikevich", 1)
    );
    assert!(close(pop.param("c").map(si).expect("c"), -0.065));
    assert!(close(pop.param("a").map(si).expect("a"), 20.0));
    // Not given: the library's defaults.
    assert!(close(
        pop.param("v_thresh").map(si).expect("v_thresh"),
        0.030
    ));
    assert!(close(pop.param("u_init").map(si).expect("u_init"), -13.0));
    assert_eq!(pop.params.len(), pop.kind.params.len());
    let Stimulus::Step {
        target, amplitude, ..
    } = &rs.stimuli[0]
    else {
        panic!("a step")
    };
    assert_eq!(*target, 0);
    assert!(close(amplitude.si, 10e-12));
    assert_eq!(
        rs.recordings[0].variables,
        [Variable::Spikes, Variable::State("v"), Variable::State("u")]
    );
    let reference = rs.checks.reference.as_ref().expect("reference");
    assert_eq!(reference.traces.len(), 2);
    assert_eq!(rs.checks.features[0].feature, Feature::SpikeCount);
    assert_eq!(rs.checks.features[0].expected.len(), 1);
    assert_eq!(rs.location.line, 3);

    let lif =
        load_suite(&suites_dir().join("lif_alpha_spike_source.crosscheck.yaml")).expect("lif");
    assert_eq!(lif.engines.len(), 4);
    assert_eq!(lif.simulation.seed, DEFAULT_SEED);
    let p = &lif.projections[0];
    assert_eq!((p.from, p.to), (0, 1));
    assert_eq!(
        p.connector,
        Connector::AllToAll {
            allow_self_connections: false
        }
    );
    assert_eq!(p.receptor, Receptor::Excitatory);
    assert!(close(p.weight.si, 1e-9));
    assert_eq!(lif.populations[0].spike_times.len(), 1);
    assert_eq!(lif.populations[0].spike_times_of(0).len(), 9);
    assert!(close(lif.populations[0].spike_times_of(0)[0].si, 0.020));
    assert!(close(
        lif.populations[1].param("tau_syn_I").map(si).expect("tau"),
        2e-3
    ));

    let fi = load_suite(&suites_dir().join("fi_curve.crosscheck.yaml")).expect("fi");
    let sweep = fi.sweep.as_ref().expect("sweep");
    assert_eq!(sweep.target, SweepTarget::StimulusAmplitude { stimulus: 0 });
    assert_eq!(sweep.values.len(), 6);
    assert_eq!(fi.checks.features[0].expected.len(), 6);
    assert!(close(fi.checks.features[0].expected[3].si, 22.0));
    // A single expected value is repeated for every sweep point.
    assert_eq!(fi.checks.features[1].expected.len(), 6);
    assert!(close(fi.checks.features[1].expected[5].si, -0.0706));
    assert!(close(
        fi.populations[0].param("cm").map(si).expect("cm"),
        281e-12
    ));
}

/// Every ```yaml block of the format's documentation that is a whole suite loads.
#[test]
fn the_spec_example_loads() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/suite-format.md"))
            .expect("spec");
    let blocks: Vec<&str> = doc
        .split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .filter(|b| b.starts_with("suite:"))
        .collect();
    assert!(blocks.len() >= 2);
    for block in blocks {
        if block.contains("\nmodel:") {
            // The NeuroML example names the bundled model file, beside which it loads.
            let dir = tempfile::tempdir().expect("tempdir");
            let nml = "iaf_cells.net.nml";
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("suites/neuroml")
                    .join(nml),
                dir.path().join(nml),
            )
            .expect("copy");
            let path = dir.path().join("t.crosscheck.yaml");
            std::fs::write(&path, block).expect("write");
            let suite = load_suite(&path).unwrap_or_else(|e| panic!("{e:#?}"));
            assert_eq!(suite.name.as_str(), "neuroml_iaf_cells");
            assert_eq!(suite.model.expect("model").network, "cells");
            continue;
        }
        let suite = load_text(block).unwrap_or_else(|e| panic!("{e:#?}"));
        assert_eq!(suite.name.as_str(), "izhikevich_rs");
        assert!(close(
            suite.populations[0].param("d").map(si).expect("d"),
            8.0
        ));
    }
}

#[test]
fn minimal_suite_fills_defaults() {
    let suite = load_text(MINIMAL).expect("valid");
    assert!(close(suite.simulation.dt.si, 25e-6));
    assert_eq!(suite.simulation.seed, 1);
    assert_eq!(suite.populations[0].size, 2);
    assert!(suite.populations[0].spike_times.is_empty());
    assert!(suite.description.is_none());
    assert!(suite.sweep.is_none());
}

#[test]
fn unknown_key_with_suggestion() {
    let all = errors(&minimal_with("checks:", "checks:\n  agrement: {}\n  x:"));
    assert_eq!(
        (all[0].0, all[0].1, all[0].3.as_str()),
        (10, 3, "did you mean `agreement`?")
    );
    assert_eq!(all[1].2, "unknown key `x` in `checks`");
    assert!(all[1].3.starts_with("known keys: `reference`"), "{all:#?}");
    let all = errors(&minimal_with(
        "simulation: {duration: 100 ms}",
        "simulation: {duration: 100 ms, dtt: 0.1 ms}",
    ));
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!((all[0].0, all[0].1), (2, 32));
    assert!(all[0].2.contains("unknown key `dtt`"), "{all:#?}");
    assert_eq!(all[0].3, "did you mean `dt`?");
    let (line, column, message, help) = error(&format!("{MINIMAL}recod: []\n"));
    assert_eq!((line, column), (11, 1));
    assert!(
        message.contains("unknown key `recod` in a suite"),
        "{message}"
    );
    assert_eq!(help, "did you mean `record`?");
}

#[test]
fn unknown_cell_type_with_suggestion() {
    let (line, column, message, help) =
        error(&minimal_with("cell: izhikevich,", "cell: izhikevitch,"));
    assert_eq!((line, column), (4, 14));
    assert_eq!(message, "unknown cell type `izhikevitch`");
    assert_eq!(help, "did you mean `izhikevich`?");
}

#[test]
fn wrong_dimension_points_at_the_unit() {
    let text = minimal_with("size: 2}", "size: 2, parameters: {a: 0.02 mV}}");
    let (line, column, message, _) = error(&text);
    let line_text = text.lines().nth(3).expect("line 4");
    assert_eq!(line, 4);
    assert_eq!(&line_text[column - 1..column + 1], "mV", "{message}");
    assert!(message.starts_with("`a`: "), "{message}");

    // The same in a block mapping, quoted: the column skips the quote.
    let text = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  exc:\n    cell: lif_curr_exp\n    size: 1\n    parameters:\n      tau_m: \"10 mV\"\n      cm: '250 nS'\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
    let all = errors(text);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!((all[0].0, all[0].1), (8, 18), "{all:#?}");
    assert_eq!((all[1].0, all[1].1), (9, 16), "{all:#?}");
    assert!(all[0].2.starts_with("`tau_m`: "));
}

#[test]
fn missing_unit_is_reported_where_the_unit_belongs() {
    let text = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  exc:\n    cell: lif_curr_exp\n    size: 1\n    parameters:\n      tau_m: 10\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
    let (line, column, message, help) = error(text);
    assert_eq!((line, column), (8, 16));
    assert!(message.starts_with("`tau_m`: missing unit"), "{message}");
    assert_eq!(help, "write it with a unit, e.g. `10 ms`");
    // A string without a unit is also an error, inside the string.
    let (line, column, message, _) = error(&text.replace("tau_m: 10", "tau_m: '10'"));
    assert_eq!(line, 8);
    assert!((14..=17).contains(&column), "{column} {message}");
}

#[test]
fn unknown_population_in_a_projection() {
    let text = format!(
            "{MINIMAL}projections:\n  - {{from: rz, to: rs, connector: all_to_all, receptor: excitatory, weight: 1 mV, delay: 1 ms}}\n"
        );
    let (line, column, message, help) = error(&text);
    assert_eq!((line, column), (12, 12));
    assert_eq!(message, "unknown population `rz`");
    assert_eq!(help, "did you mean `rs`?");
}

#[test]
fn names_must_be_safe_identifiers() {
    let (line, column, message, _) =
        error(&minimal_with("suite: small", "suite: \"x'); import os #\""));
    assert_eq!((line, column), (1, 8));
    assert!(message.starts_with("invalid suite name: "), "{message}");
    assert!(message.contains("not a valid name"), "{message}");
    for bad in ["__import__", "import", "nest", "print"] {
        let (_, _, message, _) = error(&minimal_with("suite: small", &format!("suite: {bad}")));
        assert!(
            message.contains("reserved") || message.contains("not a valid name"),
            "{message}"
        );
    }
    let (_, _, message, _) = error(&minimal_with("suite: small", "suite:"));
    assert_eq!(message, "expected a suite name, found nothing (null)");
    let (_, _, message, _) = error(&minimal_with("suite: small", "suite: _x"));
    assert!(message.contains("not a valid name"), "{message}");
    let text = MINIMAL.replace("rs", "__import__");
    let all = errors(&text);
    assert_eq!((all[0].0, all[0].1), (4, 3), "{all:#?}");
    assert!(
        all[0].2.starts_with("invalid population name: "),
        "{all:#?}"
    );
    // References to the invalid name do not cascade into "unknown population".
    assert_eq!(all.len(), 1, "{all:#?}");
}

#[test]
fn hostile_strings_stay_data() {
    let hostile = "x'); __import__('os').system('rm -rf /') #\n\"\"\"";
    let text = minimal_with(
        "suite: small",
        &format!(
            "suite: small\ndescription: {}",
            serde_json::to_string(hostile).expect("json")
        ),
    );
    let suite = load_text(&text).expect("description is free text");
    assert_eq!(suite.description.as_deref(), Some(hostile));
    let idents =
        std::iter::once(suite.name.as_str()).chain(suite.populations.iter().map(|p| p.id.as_str()));
    for ident in idents {
        assert!(ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
    for bad in [
        "\"a\\nb\"",
        "\"rs'\"",
        "\"__import__('os')\"",
        "\"a b\"",
        "\"é\"",
        "import",
        "1rs",
    ] {
        let all = errors(&minimal_with("  rs: {cell", &format!("  {bad}: {{cell")));
        assert!(
            all.iter()
                .any(|e| e.2.starts_with("invalid population name")),
            "{bad}: {all:#?}"
        );
    }
}

#[test]
fn engine_typo_with_suggestion() {
    let all = errors(&minimal_with(
        "suite: small",
        "suite: small\nengines: [neuron, NEST, NEST, Brain2, pynn]",
    ));
    let got: Vec<_> = all.iter().map(|e| (e.0, e.1, e.3.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                2,
                11,
                "did you mean `NEURON`? (engine names are case-sensitive)"
            ),
            (2, 25, ""),
            (
                2,
                31,
                "did you mean `Brian2`? (engine names are case-sensitive)"
            ),
            (
                2,
                39,
                "one of: `NEURON`, `NEST`, `Brian2`, `jNeuroML`, `jNeuroML_NEURON`"
            ),
        ],
        "{all:#?}"
    );
    assert_eq!(all[0].2, "unknown engine `neuron`");
    assert_eq!(all[1].2, "engine `NEST` is listed twice");
}

#[test]
fn one_to_one_needs_equal_sizes() {
    let text = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  input: {cell: spike_source, size: 3, spike_times: [1 ms]}\n  exc: {cell: lif_curr_exp, size: 2}\nprojections:\n  - {from: input, to: exc, connector: one_to_one, receptor: excitatory, weight: 10 pA, delay: 1 ms}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
    let (line, column, message, _) = error(text);
    assert_eq!((line, column), (7, 39));
    assert_eq!(
        message,
        "`one_to_one` needs populations of equal size: `input` has 3 cells, `exc` has 2"
    );
    let ok = text.replace("size: 3", "size: 2");
    let suite = load_text(&ok).expect("equal sizes");
    assert_eq!(suite.projections[0].connector, Connector::OneToOne);
}

#[test]
fn weight_dimension_follows_the_target_synapse() {
    let base = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  input: {cell: spike_source, size: 1, spike_times: [1 ms]}\n  exc: {cell: CELL, size: 1}\nprojections:\n  - {from: input, to: exc, connector: all_to_all, receptor: excitatory, weight: WEIGHT, delay: 1 ms}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
    let case = |cell: &str, weight: &str| base.replace("CELL", cell).replace("WEIGHT", weight);
    for (cell, weight) in [
        ("lif_curr_exp", "10 pA"),
        ("adex_cond_exp", "2 nS"),
        ("izhikevich", "0.5 mV"),
        ("hh_curr_alpha", "0.1 nA"),
    ] {
        load_text(&case(cell, weight)).unwrap_or_else(|e| panic!("{cell}: {e:#?}"));
    }
    let (line, column, message, _) = error(&case("adex_cond_exp", "10 pA"));
    // `weight: 10 pA`: the value starts at column 81, its unit at 84.
    assert_eq!((line, column), (7, 84), "{message}");
    assert!(message.starts_with("`weight`: "), "{message}");
    let (_, _, message, help) = error(&case("lif_curr_exp", "-10 pA"));
    assert_eq!(
        (message.as_str(), help.as_str()),
        ("`weight` must be positive", "the `receptor` gives the sign")
    );
    // Into a source.
    let text = case("lif_curr_exp", "10 pA").replace("to: exc", "to: input");
    let (_, _, message, _) = error(&text);
    assert!(message.contains("receives no input"), "{message}");
}

#[test]
fn feature_expected_count_must_match_the_sweep() {
    let text = format!(
            "{}sweep:\n  parameter: stimuli[0].amplitude\n  values: [0 pA, 5 pA, 10 pA]\n",
            MINIMAL.replace(
                "  agreement: {spikes: {window: 1 ms}}\n",
                "  features:\n    - {feature: spike_count, population: rs, expected: [0, 3], tolerance: 1}\n"
            )
        );
    let (line, column, message, _) = error(&text);
    assert_eq!((line, column), (11, 56));
    assert_eq!(
        message,
        "`expected` has 2 values but the sweep has 3 points"
    );
    let ok = text.replace("[0, 3]", "[0, 3, 7]");
    let suite = load_text(&ok).expect("3 values");
    assert_eq!(suite.checks.features[0].expected.len(), 3);
    let (_, _, message, _) = error(&text.replace("[0, 3]", "[0, 3.5, 7]"));
    assert_eq!(
        message,
        "a `spike_count` must be a whole number, zero or more"
    );
    let (_, _, message, _) = error(&text.replace("[0, 3]", "[0 ms, 3, 7]"));
    assert!(message.starts_with("`expected`: "), "{message}");
}

#[test]
fn sweep_targets_resolve_with_dimensions() {
    let sweep = |parameter: &str, values: &str| {
        format!("{MINIMAL}sweep:\n  parameter: {parameter}\n  values: [{values}]\n")
    };
    let suite = load_text(&sweep("populations.rs.parameters.a", "0.02 /ms, 0.1 /ms")).expect("a");
    assert_eq!(
        suite.sweep.expect("sweep").target,
        SweepTarget::PopulationParam {
            population: 0,
            param: "a"
        }
    );
    let (_, _, message, help) = error(&sweep("populations.rs.parameters.tau_m", "1 ms"));
    assert_eq!(message, "`izhikevich` cells have no parameter `tau_m`");
    assert!(
        help.starts_with("one of") || help.starts_with("did you mean"),
        "{help}"
    );
    let (_, _, message, help) = error(&sweep("populations.rz.parameters.a", "1 /ms"));
    assert_eq!(
        (message.as_str(), help.as_str()),
        (
            "unknown population `rz` in sweep parameter",
            "did you mean `rs`?"
        )
    );
    let (_, _, message, _) = error(&sweep("stimuli[1].amplitude", "1 pA"));
    assert!(message.contains("the suite has 1 stimuli"), "{message}");
    let (_, _, message, _) = error(&sweep("stimuli[0].amplitude", "1 mV"));
    assert!(message.starts_with("`sweep value`: "), "{message}");
    let (_, _, message, _) = error(&sweep("stimuli.0.amplitude", "1 pA"));
    assert_eq!(message, "cannot sweep `stimuli.0.amplitude`");
    let (_, _, message, _) = error(&sweep("projections[0].weight", "1 pA"));
    assert!(message.contains("the suite has 0 projections"), "{message}");
    // The time step: the same model at several steps (a convergence study).
    let steps = load_text(&sweep("simulation.dt", "0.1 ms, 0.05 ms, 0.025 ms")).expect("dt");
    let steps = steps.sweep.expect("sweep");
    assert_eq!(steps.target, SweepTarget::TimeStep);
    let finest = crate::codegen::apply_sweep(
        &load_text(&sweep("simulation.dt", "0.1 ms, 0.05 ms")).expect("dt"),
        1,
    );
    assert!((finest.simulation.dt.si - 5e-5).abs() < 1e-15);
    let (_, _, message, _) = error(&sweep("simulation.dt", "0.1 ms, 0 ms"));
    assert_eq!(message, "a time step must be positive");
    let (_, _, message, _) = error(&sweep("simulation.dt", "1 mV"));
    assert!(message.starts_with("`sweep value`: "), "{message}");
}

#[test]
fn a_time_step_sweep_stays_within_every_delay() {
    let text = "suite: d
simulation: {duration: 10 ms, dt: 0.1 ms}
populations:
  src: {cell: spike_source, size: 1, spike_times: [1 ms]}
  cell: {cell: lif_curr_exp, size: 1}
projections:
  - {from: src, to: cell, connector: all_to_all, receptor: excitatory, weight: 10 pA, delay: 0.5 ms}
record: [{population: cell, variables: [v]}]
checks: {agreement: {traces: {v: {rms: 1 mV}}}}
sweep: {parameter: simulation.dt, values: [0.25 ms, 1 ms]}
";
    let (line, _, message, help) = error(text);
    assert_eq!(line, 10);
    assert_eq!(
        message,
        "a time step of 1 ms is longer than the shortest delay (0.5 ms)"
    );
    assert!(help.contains("no longer than"), "{help}");
}

#[test]
fn many_errors_are_collected_in_file_order() {
    let text = "\
suite: 9lives
engines: [nest]
simulation: {duration: -5 ms, dt: 0.1 ms}
populations:
  exc: {cell: lif, size: 0}
  inh: {cell: lif_curr_exp, size: 2, parameters: {tau_m: 10 mV, v_tresh: -50 mV}}
stimuli:
  - step: {target: inh, cells: [0, 2], amplitude: 1 nA, start: 50 ms, stop: 40 ms}
record:
  - {population: inh, variables: [spikes, w]}
checks:
  reference: {traces: {u: {max_abs: 1 mV}}}
";
    let all = errors(text);
    let positions: Vec<(usize, usize)> = all.iter().map(|e| (e.0, e.1)).collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{all:#?}");
    let lines: Vec<usize> = all.iter().map(|e| e.0).collect();
    for line in [1, 2, 3, 5, 6, 8, 10, 12] {
        assert!(lines.contains(&line), "line {line} missing: {all:#?}");
    }
    assert!(all.len() >= 10, "{all:#?}");
}

#[test]
fn spike_times_checks() {
    let base = "suite: s\nsimulation: {duration: 100 ms}\npopulations:\n  input: {cell: spike_source, size: 2, spike_times: TIMES}\nrecord: [{population: input, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
    let suite = load_text(&base.replace("TIMES", "[[5 ms, 1 ms], [2 ms]]")).expect("per cell");
    let input = &suite.populations[0];
    assert_eq!(input.spike_times.len(), 2);
    assert!(close(input.spike_times_of(0)[0].si, 1e-3), "sorted");
    assert_eq!(input.spike_times_of(1).len(), 1);
    let (_, _, message, _) = error(&base.replace("TIMES", "[[1 ms], [2 ms], [3 ms]]"));
    assert!(
        message.contains("has 3 lists but the population has 2 cells"),
        "{message}"
    );
    let (_, _, message, _) = error(&base.replace("TIMES", "[-1 ms]"));
    assert_eq!(message, "`spike time` must be zero or positive");
    let (_, _, message, _) = error(&base.replace("TIMES", "[101 ms]"));
    assert!(message.contains("after the end"), "{message}");
    let (_, _, message, _) = error(
        &base
            .replace("variables: [spikes]", "variables: [spikes, v]")
            .replace("TIMES", "[1 ms]"),
    );
    assert_eq!(
        message,
        "`input` is a spike_source: only `spikes` can be recorded"
    );
}

#[test]
fn ranges_and_references() {
    let cases = [
            ("size: 2}", "size: 2000000}", "`size` must be between 1 and 1000000, found 2000000"),
            ("duration: 100 ms", "duration: 100 s, dt: 0.0001 ms", "1000000000 time steps (duration / dt) is more than the limit of 100000000"),
            ("duration: 100 ms", "duration: 100 ms, dt: 0 ms", "`dt` must be positive"),
            ("start: 10 ms", "start: 95 ms", "`stop` must be after `start`"),
            ("target: rs,", "target: rs, cells: [2],", "cell index 2 is out of range: the population has 2 cells (0 to 1)"),
            ("[spikes, v]", "[spikes, w]", "`izhikevich` cells have no variable `w`"),
            ("{spikes: {window: 1 ms}}", "{traces: {v: {max_abs: 1 ms}}}", "`max_abs`: "),
            ("{spikes: {window: 1 ms}}", "{traces: {u: {max_abs: 1 mV/ms}}}", "no recording records `u`: trace rules apply to recorded state variables"),
            ("{spikes: {window: 1 ms}}", "{spikes: {}}", "missing required key `window` in `spikes`"),
            ("agreement: {spikes: {window: 1 ms}}", "statistics: [{statistic: mean_rate, population: rs, expected: 5, tolerance: 1 Hz}]", "`expected`: missing unit"),
            ("agreement: {spikes: {window: 1 ms}}", "statistics: [{statistic: cv_isi, population: rs, expected: 0.5, tolerance: 0.1}]", ""),
            ("agreement: {spikes: {window: 1 ms}}", "features: [{feature: resting_potential, population: rs, cell: 1, expected: -70 mV, tolerance: 1 mV}]", ""),
            ("[spikes, v]", "[spikes]", ""),
            ("agreement: {spikes: {window: 1 ms}}", "features: [{feature: latency, population: rs, expected: 1 ms, tolerance: 1 ms}]", "unknown feature `latency`"),
        ];
    for (from, to, expected) in cases {
        let text = minimal_with(from, to);
        if expected.is_empty() {
            load_text(&text).unwrap_or_else(|e| panic!("{to}: {e:#?}"));
            continue;
        }
        let all = errors(&text);
        assert!(
            all.iter().any(|e| e.2.starts_with(expected)),
            "{to}: {all:#?}"
        );
    }
    // A feature needs what it measures to be recorded.
    let text = minimal_with("[spikes, v]", "[spikes]").replace(
            "agreement: {spikes: {window: 1 ms}}",
            "features: [{feature: resting_potential, population: rs, expected: -70 mV, tolerance: 1 mV}]",
        );
    let (_, _, message, _) = error(&text);
    assert_eq!(
        message,
        "this check needs the `v` of cell 0 of `rs`, which are not recorded"
    );
}

#[test]
fn delays_and_connectors() {
    let base = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms}\npopulations:\n  exc: {cell: lif_curr_exp, size: 4}\nprojections:\n  - {from: exc, to: exc, connector: CONN, receptor: inhibitory, weight: 10 pA, delay: DELAY}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
    let case = |conn: &str, delay: &str| base.replace("CONN", conn).replace("DELAY", delay);
    let suite = load_text(&case("{fixed_probability: 0.2}", "0.1 ms")).expect("valid");
    assert_eq!(
        suite.projections[0].connector,
        Connector::FixedProbability {
            p: 0.2,
            seed: 1,
            allow_self_connections: false
        }
    );
    assert_eq!(suite.projections[0].receptor, Receptor::Inhibitory);
    let suite = load_text(&case(
        "{all_to_all: {allow_self_connections: true}}",
        "1 ms",
    ))
    .expect("valid");
    assert_eq!(
        suite.projections[0].connector,
        Connector::AllToAll {
            allow_self_connections: true
        }
    );
    let (_, _, message, _) = error(&case("all_to_all", "0.05 ms"));
    assert_eq!(message, "`delay` must be at least `dt`");
    let (_, _, message, _) = error(&case("{fixed_probability: 1.5, seed: 3}", "1 ms"));
    assert_eq!(
        message,
        "`fixed_probability` must be a number between 0 and 1"
    );
    let (_, _, message, help) = error(&case("all_to_al", "1 ms"));
    assert_eq!(
        (message.as_str(), help.as_str()),
        (
            "unknown connector `all_to_al`",
            "did you mean `all_to_all`?"
        )
    );
    let (_, _, message, help) = error(&case("{fixed_probabilty: 0.1}", "1 ms"));
    assert_eq!(
        (message.as_str(), help.as_str()),
        (
            "unknown connector `fixed_probabilty`",
            "did you mean `fixed_probability`?"
        )
    );
}

#[test]
fn network_connectors_and_their_limits() {
    let base = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms, seed: 9}\npopulations:\n  exc: {cell: lif_delta, size: 4}\n  inh: {cell: lif_delta, size: 2}\nprojections:\n  - {from: exc, to: FROM, connector: CONN, receptor: inhibitory, weight: 0.1 mV, delay: 1 ms}\nrecord: [{population: exc, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";
    let case = |to: &str, conn: &str| base.replace("FROM", to).replace("CONN", conn);
    let suite = load_text(&case("exc", "{fixed_indegree: 3}")).expect("valid");
    assert_eq!(
        suite.projections[0].connector,
        Connector::FixedIndegree {
            in_degree: 3,
            seed: 9,
            allow_self_connections: false,
            allow_multapses: true
        }
    );
    let suite = load_text(&case("inh", "{fixed_total_number: 7, seed: 2}")).expect("valid");
    assert_eq!(
        suite.projections[0].connector,
        Connector::FixedTotalNumber {
            total: 7,
            seed: 2,
            allow_self_connections: false
        }
    );
    // Without multapses, three inputs from the three other cells fit; four do not.
    load_text(&case("exc", "{fixed_indegree: 3, allow_multapses: false}")).expect("valid");
    let (line, _, message, help) =
        error(&case("exc", "{fixed_indegree: 4, allow_multapses: false}"));
    assert_eq!(line, 7);
    assert_eq!(
        message,
        "`fixed_indegree: 4` needs that many distinct sources, but `exc` offers 3"
    );
    assert!(help.contains("allow_multapses"), "{help}");
    let (_, _, message, _) = error(&case("exc", "{fixed_indegree: 0}"));
    assert!(message.contains("fixed_indegree"), "{message}");
    let (_, _, message, help) = error(&case("exc", "fixed_indegree"));
    assert_eq!(
        message,
        "`fixed_indegree` needs the number of inputs per cell"
    );
    assert_eq!(help, "write `{fixed_indegree: 200, seed: 7}`");
    let (_, _, message, _) = error(&case("exc", "{fixed_total_number: 200000000}"));
    assert!(message.contains("fixed_total_number"), "{message}");
    let (_, _, message, help) = error(&case("exc", "{fixed_indegree: 2, multapses: true}"));
    assert!(message.contains("multapses"), "{message}");
    assert!(help.contains("allow_multapses"), "{help}");
}

#[test]
fn poisson_drive_and_statistic_ranges() {
    let base = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms}\npopulations:\n  exc: {cell: lif_delta, size: 4}\n  cur: {cell: lif_curr_exp, size: 1}\nstimuli:\n  - poisson: {target: TARGET, rate: RATE, weight: WEIGHT, receptor: excitatory}\nrecord: [{population: exc, variables: [spikes]}]\nchecks:\n  statistics:\n    - STAT\n";
    let ok_stat = "{statistic: cv_isi, population: exc, min: 0.8, start: 20 ms}";
    let case = |target: &str, rate: &str, weight: &str, stat: &str| {
        base.replace("TARGET", target)
            .replace("RATE", rate)
            .replace("WEIGHT", weight)
            .replace("STAT", stat)
    };
    let suite = load_text(&case("exc", "20 kHz", "0.1 mV", ok_stat)).expect("valid");
    let Stimulus::Poisson { rate, weight, .. } = &suite.stimuli[0] else {
        panic!("a poisson drive")
    };
    assert!(close(si(rate), 20_000.0) && close(si(weight), 1e-4));
    let check = &suite.checks.statistics[0];
    assert!(close(si(&check.start), 0.02));
    assert!(matches!(check.criterion, Criterion::Range { min: Some(m), max: None } if m.si == 0.8));
    // The weight takes the target's synapse dimension: a current onto lif_curr_exp.
    load_text(&case("cur", "1 kHz", "5 pA", ok_stat)).expect("valid");
    let (line, _, message, _) = error(&case("cur", "1 kHz", "5 mV", ok_stat));
    assert_eq!(line, 7);
    assert!(message.contains("weight"), "{message}");
    let (_, _, message, _) = error(&case("exc", "-1 Hz", "0.1 mV", ok_stat));
    assert_eq!(message, "`rate` must be positive");
    let (_, _, message, _) = error(&case(
        "exc",
        "1 Hz",
        "0.1 mV",
        "{statistic: power_peak, population: exc, min: 100 Hz, max: 50 Hz}",
    ));
    assert_eq!(message, "`max` must not be below `min`");
    let (_, _, message, _) = error(&case(
        "exc",
        "1 Hz",
        "0.1 mV",
        "{statistic: mean_rate, population: exc, expected: 5 Hz, tolerance: 1 Hz, max: 9 Hz}",
    ));
    assert!(message.contains("not both"), "{message}");
    let (_, _, message, _) = error(&case(
        "exc",
        "1 Hz",
        "0.1 mV",
        "{statistic: power_peak, population: exc, min: 100}",
    ));
    assert!(message.contains("unit"), "{message}");
    let (_, _, message, _) = error(&case(
        "exc",
        "1 Hz",
        "0.1 mV",
        "{statistic: cv_isi, population: exc, min: 0.5, start: 100 ms}",
    ));
    assert_eq!(message, "`start` must be before the end of the simulation");
}

/// A drawn network: `connectivity: simulator`, normal weights, delays and potentials.
const DRAWN: &str = "suite: s\nsimulation: {duration: 100 ms, dt: 0.1 ms, seed: 55, connectivity: MODE}\npopulations:\n  e: {cell: lif_curr_exp, size: 10, parameters: {v_init: VINIT}}\nprojections:\n  - {from: e, to: e, connector: CONNECTOR, receptor: inhibitory, weight: WEIGHT, delay: DELAY}\nstimuli:\n  - poisson: {target: e, rate: 1 kHz, weight: 80 pA, receptor: excitatory, delay: 1.5 ms}\nrecord: [{population: e, variables: [spikes]}]\nchecks:\n  published: {source: a paper, start: 10 ms, stop: 100 ms, tolerance: 0.5 Hz, engines: [NEST], mean_rate: {e: 4 Hz}}\n";

fn drawn(conn: &str, vinit: &str, connector: &str, weight: &str, delay: &str) -> String {
    DRAWN
        .replace("MODE", conn)
        .replace("VINIT", vinit)
        .replace("CONNECTOR", connector)
        .replace("WEIGHT", weight)
        .replace("DELAY", delay)
}

#[test]
fn drawn_networks_with_distributions() {
    let normal_w = "{normal: {mean: 351.2 pA, sd: 35.12 pA}}";
    let normal_d = "{normal: {mean: 0.75 ms, sd: 0.375 ms}}";
    let total = "{fixed_total_number: 30, allow_self_connections: true}";
    let normal_v = "{normal: {mean: -68.28 mV, sd: 5.36 mV}}";
    let suite = load_text(&drawn("simulator", normal_v, total, normal_w, normal_d)).expect("valid");
    assert_eq!(suite.simulation.connectivity, Connectivity::Simulator);
    let pop = &suite.populations[0];
    assert!(close(si(pop.param("v_init").unwrap()), -0.06828));
    assert!(close(si(pop.v_init_sd.as_ref().unwrap()), 0.00536));
    let proj = &suite.projections[0];
    assert!(
        close(si(&proj.weight), 351.2e-12)
            && close(si(proj.weight_sd.as_ref().unwrap()), 35.12e-12)
    );
    assert!(
        close(si(&proj.delay), 0.75e-3) && close(si(proj.delay_sd.as_ref().unwrap()), 0.375e-3)
    );
    let Stimulus::Poisson { delay, .. } = &suite.stimuli[0] else {
        panic!("a poisson drive")
    };
    assert!(close(si(delay.as_ref().unwrap()), 1.5e-3));
    let published = suite.checks.published.as_ref().expect("published");
    assert_eq!(published.engines, vec![Simulator::Nest]);
    assert_eq!(published.rates.len(), 1);
    assert!(close(si(&published.stop), 0.1) && close(si(&published.tolerance), 0.5));
    // Plain values stay plain; crosscheck draws by default.
    let plain =
        load_text(&drawn("crosscheck", "-65 mV", total, "351.2 pA", "0.75 ms")).expect("valid");
    assert_eq!(plain.simulation.connectivity, Connectivity::Crosscheck);
    assert!(plain.projections[0].weight_sd.is_none() && plain.populations[0].v_init_sd.is_none());

    // Distributions need the simulators to draw the synapses.
    let (line, _, message, help) = error(&drawn("crosscheck", "-65 mV", total, normal_w, "1 ms"));
    assert_eq!(line, 6);
    assert!(
        message.contains("per-synapse `weight` distribution"),
        "{message}"
    );
    assert!(help.contains("connectivity: simulator"), "{help}");
    // ... which draw fixed_total_number only, from the suite's seed.
    let (line, _, message, _) = error(&drawn(
        "simulator",
        "-65 mV",
        "{fixed_probability: 0.1}",
        "1 pA",
        "1 ms",
    ));
    assert_eq!(line, 6);
    assert!(
        message.contains("must be `fixed_total_number`"),
        "{message}"
    );
    let (_, _, message, _) = error(&drawn(
        "simulator",
        "-65 mV",
        "{fixed_total_number: 3, seed: 4}",
        "1 pA",
        "1 ms",
    ));
    assert!(message.contains("`seed` has no effect"), "{message}");
    // Only `normal`, only where a distribution is allowed, with a non-negative sd.
    let (_, _, message, _) = error(&drawn(
        "simulator",
        "{uniform: {low: 1 mV}}",
        total,
        "1 pA",
        "1 ms",
    ));
    assert!(message.contains("a quantity or `{normal"), "{message}");
    let (_, _, message, _) = error(&drawn(
        "simulator",
        "-65 mV",
        total,
        "{normal: {mean: 1 pA, sd: -1 pA}}",
        "1 ms",
    ));
    assert_eq!(message, "`sd` must be zero or positive");
    let (_, _, message, _) = error(&drawn(
        "simulator",
        "-65 mV",
        total,
        "{normal: {mean: 1 pA}}",
        "1 ms",
    ));
    assert!(message.contains("missing required key `sd`"), "{message}");
    let (_, _, message, _) = error(&drawn("nobody", "-65 mV", total, "1 pA", "1 ms"));
    assert!(message.contains("connectivity"), "{message}");
    let bad_cm = DRAWN.replace("v_init: VINIT", "cm: {normal: {mean: 1 pF, sd: 0.1 pF}}");
    let (_, _, message, _) = error(&drawn_from(&bad_cm, total));
    assert_eq!(message, "`cm` cannot be a distribution");
}

fn drawn_from(text: &str, connector: &str) -> String {
    text.replace("MODE", "simulator")
        .replace("CONNECTOR", connector)
        .replace("WEIGHT", "1 pA")
        .replace("DELAY", "1 ms")
}

#[test]
fn published_figures_are_checked() {
    let ok = drawn(
        "simulator",
        "-65 mV",
        "{fixed_total_number: 3}",
        "1 pA",
        "1 ms",
    );
    let case = |from: &str, to: &str| error(&ok.replace(from, to));
    let (line, _, message, _) = case("stop: 100 ms", "stop: 200 ms");
    assert_eq!(line, 11);
    assert_eq!(message, "`stop` is after the end of the simulation");
    let (_, _, message, _) = case("stop: 100 ms", "stop: 5 ms");
    assert_eq!(message, "`stop` must be after `start`");
    let (_, _, message, _) = case("engines: [NEST]", "engines: [NEZT]");
    assert!(message.contains("NEZT"), "{message}");
    let (_, _, message, _) = case("mean_rate: {e: 4 Hz}", "mean_rate: {x: 4 Hz}");
    assert!(message.contains("`x`"), "{message}");
    let (_, _, message, _) = case("mean_rate: {e: 4 Hz}", "mean_rate: {e: 4 mV}");
    assert!(message.contains("mean_rate"), "{message}");
    let (_, _, message, _) = case("source: a paper, ", "");
    assert!(
        message.contains("missing required key `source`"),
        "{message}"
    );
    let (_, _, message, _) = case("delay: 1.5 ms}", "delay: 0.01 ms}");
    assert_eq!(message, "`delay` must be at least `dt`");
    let swept = ok.replace(
        "checks:",
        "sweep: {parameter: populations.e.parameters.tau_m, values: [10 ms, 20 ms]}\nchecks:",
    );
    let (line, _, message, _) = error(&swept);
    assert_eq!(line, 12, "{message}");
    assert_eq!(message, "`published` figures cannot go with a `sweep`");
    let swept_distributions = swept.replace(
            "published: {source: a paper, start: 10 ms, stop: 100 ms, tolerance: 0.5 Hz, engines: [NEST], mean_rate: {e: 4 Hz}}",
            "distributions: {reference: NEST, seeds: [2], statistics: [rate]}",
        );
    let (_, _, message, _) = error(&swept_distributions);
    assert_eq!(message, "`distributions` cannot go with a `sweep`");
}

#[test]
fn unreadable_and_non_utf8_files() {
    let err = load_suite(Path::new("/nonexistent/x.crosscheck.yaml")).expect_err("missing");
    assert_eq!(err.len(), 1);
    assert!(
        err[0].message.starts_with("cannot read file"),
        "{}",
        err[0].message
    );
    assert_eq!((err[0].location.line, err[0].location.column), (1, 1));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.crosscheck.yaml");
    std::fs::write(&path, b"suite: a\xff\n").expect("write");
    let err = load_suite(&path).expect_err("not utf-8");
    assert!(
        err[0].message.contains("not valid UTF-8"),
        "{}",
        err[0].message
    );
    let err = load_text("suite: [unclosed\n").expect_err("syntax");
    assert!(
        err[0].message.starts_with("invalid YAML"),
        "{}",
        err[0].message
    );
    let err = load_text("").expect_err("empty");
    assert!(
        err[0].message.starts_with("a suite must be a mapping"),
        "{}",
        err[0].message
    );
    let err = load_text(&MINIMAL.replace(
        "  rs: {cell: izhikevich, size: 2}\n",
        "  rs: {cell: izhikevich, size: 2}\n  rs: {cell: izhikevich, size: 1}\n",
    ))
    .expect_err("duplicate");
    assert!(err[0].message.contains("duplicate"), "{}", err[0].message);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Arbitrary text, and mutations of a valid suite, never panic the loader.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = load_text(&text);
    }

    #[test]
    fn mutated_suites_never_panic(at in 0usize..400, insert in "[ -~\\n\"'é:\\[\\]{}]{0,12}") {
        let mut text = MINIMAL.to_string();
        let at = (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.insert_str(at, &insert);
        let _ = load_text(&text);
    }
}

/// An RC cell under a step with an analytic check, swept over `steps`, with `convergence`.
fn convergence_suite(steps: &str, check: &str) -> String {
    format!(
        "suite: rc
simulation: {{duration: 50 ms, dt: 0.1 ms}}
populations:
  cell: {{cell: lif_curr_exp, size: 1, parameters: {{v_thresh: 100 mV}}}}
stimuli:
  - step: {{target: cell, amplitude: 100 pA, start: 10 ms, stop: 40 ms}}
record:
  - {{population: cell, variables: [spikes, v]}}
sweep: {{parameter: simulation.dt, values: [{steps}]}}
checks:
  analytic:
    - {check}
"
    )
}

#[test]
fn a_convergence_rule_is_read_and_needs_a_time_step_sweep_and_a_bounded_error() {
    let good = convergence_suite(
        "0.1 ms, 0.05 ms, 0.025 ms",
        "{population: cell, v: {rms_relative: 0.01}, convergence: {error: rms_relative, order: [0.9, 1.1]}}",
    );
    let suite = load_text(&good).expect("valid");
    let rule = suite.checks.analytic[0].convergence.clone().expect("rule");
    assert_eq!(
        rule.error,
        crate::suite::native::AnalyticMeasure::RmsRelative
    );
    assert_eq!(rule.order, (0.9, 1.1));
    assert_eq!(rule.exact_below, 1e-8);
    assert_eq!(rule.location.line, 12);

    // Two steps always lie on a line.
    let (line, _, message, help) = error(&convergence_suite(
        "0.1 ms, 0.05 ms",
        "{population: cell, v: {rms_relative: 0.01}, convergence: {error: rms_relative, order: [0.9, 1.1]}}",
    ));
    assert_eq!(line, 12);
    assert!(
        message.contains("at least 3 time steps, the sweep has 2"),
        "{message}"
    );
    assert!(help.contains("simulation.dt"), "{help}");

    // No sweep of the step at all.
    let (_, _, message, _) = error(&good.replace(
        "sweep: {parameter: simulation.dt, values: [0.1 ms, 0.05 ms, 0.025 ms]}\n",
        "",
    ));
    assert_eq!(
        message,
        "`convergence` needs the suite to sweep the time step"
    );

    // The fitted error must be one the check measures at each step.
    let (_, column, message, help) = error(&convergence_suite(
        "0.1 ms, 0.05 ms, 0.025 ms",
        "{population: cell, v: {rms_relative: 0.01}, convergence: {error: spike_shift, order: [0.9, 1.1]}}",
    ));
    assert!(column > 50, "at the error's value: {column}");
    assert_eq!(
        message,
        "the check does not measure `spike_shift` at each step"
    );
    assert!(help.contains("`spikes: {max_shift: …}`"), "{help}");

    for bad in ["[1.1, 0.9]", "[1]", "[-1, 1]", "[0.9, 11]", "one", "[a, b]"] {
        let (_, _, message, _) = error(&convergence_suite(
            "0.1 ms, 0.05 ms, 0.025 ms",
            &format!("{{population: cell, v: {{rms_relative: 0.01}}, convergence: {{error: rms_relative, order: {bad}}}}}"),
        ));
        assert!(
            message.starts_with("`order` must be two numbers"),
            "{bad}: {message}"
        );
    }
    let (_, _, message, _) = error(&convergence_suite(
        "0.1 ms, 0.05 ms, 0.025 ms",
        "{population: cell, v: {rms_relative: 0.01}, convergence: {error: rms, order: [0.9, 1.1]}}",
    ));
    assert!(message.contains("unknown error `rms`"), "{message}");
    let (_, _, message, _) = error(&convergence_suite(
        "0.1 ms, 0.05 ms, 0.025 ms",
        "{population: cell, v: {rms_relative: 0.01}, convergence: {error: rms_relative, order: [0.9, 1.1], exact_below: 0}}",
    ));
    assert_eq!(message, "`exact_below` must be positive");
}
