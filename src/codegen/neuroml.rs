//! A suite whose model is a NeuroML file: the LEMS simulation crosscheck writes around it.
//!
//! jNeuroML runs this file; NEURON and Brian2 run jNeuroML's exports of it (`-neuron`,
//! `-brian2`), so those three engines run the model through NeuroML's own toolchain, and NEST
//! runs the library's PyNEST code for the populations and inputs imported from the file
//! ([`crate::suite::native::neuroml`]). The model's files are copied into the job's folder
//! under `model/`, laid out as in the repository, so the folder runs by hand as crosscheck ran
//! it. Recordings follow [`super::lems`]: SI values in `lems_output/`, converted into the
//! contract by [`super::lems::convert_lems_outputs`].

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::lems::{Selection, Spikes, Trace};
use super::{cells, number_in, render, CodegenError, Generated, GeneratedKind};
use crate::suite::native::neuroml::NeuroMLModel;
use crate::suite::native::{NativeSuite, Simulator, Variable};

const TEMPLATE: &str = include_str!("templates/neuroml_lems.xml.tera");

/// Where the model's files are copied, relative to the job's folder.
pub const MODEL_FOLDER: &str = "model";

#[derive(Serialize)]
struct Context {
    version: &'static str,
    suite: String,
    network: String,
    model_file: String,
    duration: String,
    dt: String,
    /// A membrane potential for the `<Display>` jNeuroML's Brian2 export needs.
    display: Option<String>,
    traces: Vec<Trace>,
    spikes: Vec<Spikes>,
}

/// A path below the model's root as it is written into LEMS: `/`-separated, every part made of
/// characters that need no escaping in XML (the file's name comes from the repository, so it is
/// checked rather than trusted).
fn lems_path(relative: &Path) -> Result<String, CodegenError> {
    let mut parts = Vec::new();
    for component in relative.components() {
        let Component::Normal(part) = component else {
            return Err(CodegenError::Unsupported(format!(
                "model file path `{}` leaves the model's folder",
                relative.display()
            )));
        };
        let part = part.to_str().unwrap_or("");
        let ok = !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'));
        if !ok {
            return Err(CodegenError::Unsupported(format!(
                "model file name `{}`: crosscheck writes only letters, digits, `_`, `-`, `.` and `+` into LEMS; rename the file",
                relative.display().to_string().escape_debug()
            )));
        }
        parts.push(part.to_string());
    }
    Ok(parts.join("/"))
}

/// Copies every file of the model into `dir/model/`, keeping their layout below its root.
pub fn copy_model(model: &NeuroMLModel, dir: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let mut written = Vec::new();
    for file in &model.files {
        let relative = file.strip_prefix(&model.root).map_err(|_| {
            CodegenError::Unsupported(format!(
                "{} is not below the model's folder {}",
                file.display(),
                model.root.display()
            ))
        })?;
        let target = dir.join(MODEL_FOLDER).join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| CodegenError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::copy(file, &target).map_err(|source| CodegenError::Io {
            path: target.clone(),
            source,
        })?;
        written.push(target);
    }
    Ok(written)
}

/// Writes the model's files and `LEMS_<suite>.xml` into `dir`, for `simulator` to run (jNeuroML
/// directly, NEURON and Brian2 through jNeuroML's export).
pub fn generate(
    suite: &NativeSuite,
    simulator: Simulator,
    dir: &Path,
) -> Result<Generated, CodegenError> {
    let model = suite.model.as_ref().ok_or_else(|| {
        CodegenError::Template("NeuroML generator called for an inline model".into())
    })?;
    let mut files = copy_model(model, dir)?;
    let main = model
        .files
        .first()
        .ok_or_else(|| CodegenError::Template("NeuroML model without files".into()))?;
    let relative = main.strip_prefix(&model.root).unwrap_or(main);
    let model_file = format!("{MODEL_FOLDER}/{}", lems_path(relative)?);

    let (traces, spikes) = outputs(suite, model, simulator)?;
    let display = suite
        .populations
        .iter()
        .zip(&model.populations)
        .find(|(pop, nml)| pop.size > 0 && nml.exposure("v").is_some())
        .map(|(_, nml)| format!("{}/v", nml.cell_path(0)));
    let context = Context {
        display,
        version: env!("CARGO_PKG_VERSION"),
        suite: suite.name.to_string(),
        network: model.network.clone(),
        model_file,
        duration: number_in(&suite.simulation.duration, "ms")?,
        dt: number_in(&suite.simulation.dt, "ms")?,
        traces,
        spikes,
    };
    // Not autoescaped (jLEMS does not decode entities); every value is a number, a validated
    // identifier or a checked path.
    let code = render("neuroml_lems.xml.tera", TEMPLATE, &context)?;
    let raw = dir.join(super::lems::RAW_OUTPUT);
    std::fs::create_dir_all(&raw).map_err(|source| CodegenError::Io {
        path: raw.clone(),
        source,
    })?;
    let generated = super::write_generated(
        dir,
        &super::lems::file_name(suite),
        &code,
        GeneratedKind::Lems,
    )?;
    files.extend(generated.files);
    Ok(Generated {
        files,
        script: generated.script,
        kind: GeneratedKind::Lems,
    })
}

/// The output files of the suite's recordings, the cells selected by their paths in the
/// model.
fn outputs(
    suite: &NativeSuite,
    model: &NeuroMLModel,
    simulator: Simulator,
) -> Result<(Vec<Trace>, Vec<Spikes>), CodegenError> {
    let mut traces = Vec::new();
    let mut spikes = Vec::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        let nml = &model.populations[rec.population];
        let selected = cells(&rec.cells, pop.size);
        for variable in &rec.variables {
            match variable {
                Variable::Spikes => spikes.push(Spikes {
                    id: format!("crosscheck_spikes_{}", pop.id),
                    file: super::lems::raw_spike_file(pop.id.as_str()),
                    selections: selected
                        .iter()
                        .map(|&c| Selection {
                            cell: c,
                            path: nml.cell_path(c),
                        })
                        .collect(),
                }),
                Variable::State(name) => {
                    if simulator == Simulator::Neuron && pop.kind.name == "izhikevich" {
                        // Measured with jNeuroML 0.14: the export's hoc fails with "v not a
                        // public member" and the run goes on, saving zeros.
                        return Err(CodegenError::Unsupported(format!(
                            "jNeuroML's NEURON export cannot record `{name}` of the izhikevichCell population `{}` (record its spikes only)",
                            pop.id
                        )));
                    }
                    let exposure = nml.exposure(name).ok_or_else(|| {
                        CodegenError::Unsupported(format!(
                            "cannot record `{name}` of `{}` from its NeuroML component",
                            pop.id
                        ))
                    })?;
                    traces.push(Trace {
                        id: format!("crosscheck_{}_{name}", pop.id),
                        file: super::lems::raw_trace_file(pop.id.as_str(), name),
                        columns: selected
                            .iter()
                            .map(|&c| format!("{}/{exposure}", nml.cell_path(c)))
                            .collect(),
                    });
                }
            }
        }
    }
    Ok((traces, spikes))
}

/// Why NEST cannot run `suite`'s NeuroML model, if it cannot.
pub fn nest_blocker(suite: &NativeSuite) -> Option<String> {
    let model = suite.model.as_ref()?;
    if model.nest_blockers.is_empty() {
        return None;
    }
    Some(format!(
        "NEST cannot run this NeuroML model: {}",
        model.nest_blockers.join("; ")
    ))
}

/// Whether `simulator` runs `suite`'s NeuroML file through jNeuroML (directly or exported)
/// rather than crosscheck's translation of it.
///
/// NEST always runs the translation (nothing else exists). Brian2 runs it too when the model
/// translates: jNeuroML 0.14's Brian2 export drops LEMS regimes (so `iafRefCell` and
/// `adExIaFCell` never leave `dv/dt = 0`) and writes no spike files; its export is used only
/// for models crosscheck cannot translate.
pub fn runs_neuroml_file(suite: &NativeSuite, simulator: Simulator) -> bool {
    suite.model.is_some()
        && match simulator {
            Simulator::JNeuroML | Simulator::Neuron => true,
            Simulator::Brian2 => suite
                .model
                .as_ref()
                .is_some_and(|m| !m.untranslatable.is_empty()),
            Simulator::Nest | Simulator::JNeuroMLNeuron => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::testing::assert_well_formed_xml;
    use crate::suite::native::load_suite;

    fn bundled(name: &str) -> NativeSuite {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("suites/neuroml")
            .join(name);
        load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn wraps_the_model_in_a_lems_simulation_with_the_contracts_outputs() {
        let suite = bundled("iaf_cells.crosscheck.yaml");
        let dir = tempfile::tempdir().unwrap();
        let generated = generate(&suite, Simulator::JNeuroML, dir.path()).unwrap();
        assert_eq!(generated.script, "LEMS_neuroml_iaf_cells.xml");
        let lems_file = dir.path().join(&generated.script);
        assert_well_formed_xml(&lems_file);
        let lems = std::fs::read_to_string(&lems_file).unwrap();
        assert!(
            lems.contains(r#"<Include file="model/iaf_cells.net.nml"/>"#),
            "{lems}"
        );
        assert!(lems.contains(r#"target="cells""#), "{lems}");
        assert!(lems.contains(r#"quantity="lif_pop/1/lif/v""#), "{lems}");
        assert!(lems.contains(r#"select="ref_pop[0]""#), "{lems}");
        assert!(lems.contains("<Display"), "Brian2's export needs a display");
        // The model is copied as it is, so the folder runs by hand.
        let copied = std::fs::read(dir.path().join("model/iaf_cells.net.nml")).unwrap();
        let original = std::fs::read(suite.model.as_ref().unwrap().files[0].clone()).unwrap();
        assert_eq!(copied, original);
        assert!(dir.path().join(crate::codegen::lems::RAW_OUTPUT).is_dir());
    }

    #[test]
    fn which_simulator_runs_the_file() {
        let iaf = bundled("iaf_cells.crosscheck.yaml");
        assert!(runs_neuroml_file(&iaf, Simulator::JNeuroML));
        assert!(runs_neuroml_file(&iaf, Simulator::Neuron));
        assert!(!runs_neuroml_file(&iaf, Simulator::Brian2));
        assert!(!runs_neuroml_file(&iaf, Simulator::Nest));
        assert_eq!(nest_blocker(&iaf), None);
        // An untranslatable model runs on Brian2 through jNeuroML's export; NEST cannot run it.
        let mut blocked = iaf.clone();
        let model = blocked.model.as_mut().unwrap();
        model.untranslatable.push("x".into());
        model.nest_blockers.push("x".into());
        assert!(runs_neuroml_file(&blocked, Simulator::Brian2));
        assert!(nest_blocker(&blocked).unwrap().contains("NEST cannot run"));
        let err = crate::codegen::generate(
            &blocked,
            Simulator::Nest,
            tempfile::tempdir().unwrap().path(),
        )
        .unwrap_err();
        assert!(matches!(err, CodegenError::Unsupported(_)), "{err}");
        // An inline suite never runs a NeuroML file.
        let inline = crate::codegen::testing::example("izhikevich_rs.crosscheck.yaml");
        assert!(!runs_neuroml_file(&inline, Simulator::JNeuroML));
    }

    #[test]
    fn the_neuron_export_is_not_asked_for_an_izhikevich_cells_potential() {
        let mut suite = bundled("adex_izhikevich.crosscheck.yaml");
        let dir = tempfile::tempdir().unwrap();
        let err = generate(&suite, Simulator::Neuron, dir.path()).unwrap_err();
        assert!(err.to_string().contains("izh_pop"), "{err}");
        // Spikes only: fine.
        suite.recordings[1].variables = vec![Variable::Spikes];
        generate(&suite, Simulator::Neuron, dir.path()).unwrap();
    }

    #[test]
    fn file_names_that_would_need_escaping_are_refused() {
        for bad in ["a\"b.nml", "x y.nml", "a<b.nml", "../up.nml", "a&b.nml"] {
            let err = lems_path(Path::new(bad)).unwrap_err();
            assert!(matches!(err, CodegenError::Unsupported(_)), "{bad}");
        }
        assert_eq!(
            lems_path(Path::new("cells/Cell_1.v2.nml")).unwrap(),
            "cells/Cell_1.v2.nml"
        );
    }
}
