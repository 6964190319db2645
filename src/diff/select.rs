//! Which tests `crosscheck diff` runs, and at which versions.
//!
//! `--engine NEURON:8.2.7 --against NEURON:9.0.2` is a question about a simulator, not about
//! one OMV engine: it selects every test whose engine runs on NEURON (`NEURON`, `PyNEURON`,
//! `jNeuroML_NEURON`, `NetPyNE`, ..., and crosscheck suites on NEURON or `jNeuroML_NEURON`),
//! each run once per version. Naming one engine (`--engine jNeuroML_NEURON:8.2.7`) selects
//! that engine's tests only. The selection becomes ordinary `--engine NAME:VERSION` filters,
//! so the jobs are planned, provisioned (side-by-side environments) and run exactly as
//! `crosscheck run -e NAME:VERSION` runs them.

use crate::env::Component;
use crate::plan::Loaded;
use crate::suite::EngineRequest;

/// The two versions a diff compares, of one simulator or engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// The engine or simulator as given (`NEURON`, `jNeuroML_NEURON`).
    pub name: String,
    /// The simulator whose versions differ.
    pub component: Component,
    /// Whether `name` is the simulator itself, which selects every engine running on it.
    pub whole_simulator: bool,
    /// The baseline version (`--engine`).
    pub a: String,
    /// The version compared with it (`--against`).
    pub b: String,
}

/// Why two `--engine`/`--against` values cannot be compared.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
    /// A value without `:VERSION`.
    #[error("{flag} {value}: name a version, as in `{flag} {value}:VERSION`")]
    NoVersion {
        /// `--engine` or `--against`.
        flag: &'static str,
        /// The value as given.
        value: String,
    },
    /// An engine crosscheck does not know.
    #[error("{flag}: unknown engine `{name}`{}", .suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    Unknown {
        /// `--engine` or `--against`.
        flag: &'static str,
        /// The name as given.
        name: String,
        /// The nearest known engine name.
        suggestion: Option<&'static str>,
    },
    /// The two values name different engines.
    #[error("--engine names {a} and --against names {b}: a diff compares two versions of one engine (`--engine {a}:A --against {a}:B`)")]
    DifferentEngines {
        /// The `--engine` name.
        a: String,
        /// The `--against` name.
        b: String,
    },
    /// The engine's simulator has no versions crosscheck installs side by side.
    #[error("{0} runs at one version only (crosscheck installs other versions side by side for NEURON, NEST and Brian2, and the engines running on them)")]
    NotVersioned(String),
}

/// Reads `--engine NAME:A --against NAME:B`.
pub fn versions(engine: &str, against: &str) -> Result<Versions, SelectError> {
    let a = request("--engine", engine)?;
    let b = request("--against", against)?;
    if a.name != b.name {
        return Err(SelectError::DifferentEngines {
            a: a.name,
            b: b.name,
        });
    }
    let component =
        component_of(&a.name).ok_or_else(|| SelectError::NotVersioned(a.name.clone()))?;
    Ok(Versions {
        whole_simulator: a.name.eq_ignore_ascii_case(component.name()),
        component,
        name: a.name,
        a: a.version.unwrap_or_default(),
        b: b.version.unwrap_or_default(),
    })
}

/// The simulator whose version `name:VERSION` names: an OMV engine's, or a crosscheck suite's
/// simulator's (`NEST` is only the latter: OMV's SLI engine does not run here).
fn component_of(name: &str) -> Option<Component> {
    crate::engine::lookup(name)
        .and_then(|def| def.versioned_component())
        .or_else(|| {
            crate::suite::native::Simulator::from_name(name)
                .and_then(crate::suite_job::versioned_component)
        })
}

fn request(flag: &'static str, value: &str) -> Result<EngineRequest, SelectError> {
    let request = EngineRequest::parse(value);
    if !crate::engine::is_known_name(&request.name) {
        return Err(SelectError::Unknown {
            flag,
            suggestion: crate::engine::suggest(&request.name),
            name: request.name,
        });
    }
    match request.version.as_deref() {
        Some(v) if !v.is_empty() => Ok(request),
        _ => Err(SelectError::NoVersion {
            flag,
            value: request.name,
        }),
    }
}

impl Versions {
    /// Whether a test on `engine` (an OMV engine or a suite's simulator, by name) is one this
    /// diff runs.
    pub fn selects(&self, engine: &str) -> bool {
        if engine == self.name {
            return true;
        }
        self.whole_simulator && component_of(engine) == Some(self.component)
    }

    /// The `--engine` filters that run every selected test of `loaded` at both versions: one
    /// pair per engine name the selected tests use.
    pub fn filters(&self, loaded: &Loaded) -> Vec<EngineRequest> {
        let mut names: Vec<String> = Vec::new();
        let used = loaded
            .tests
            .iter()
            .map(|(test, _)| test.engine.name.clone())
            .chain(
                loaded
                    .suites
                    .iter()
                    .flat_map(|(suite, _)| suite.engines.iter().map(|s| s.name().to_string())),
            );
        for name in used {
            if self.selects(&name) && !names.contains(&name) {
                names.push(name);
            }
        }
        names
            .into_iter()
            .flat_map(|name| {
                [&self.a, &self.b].map(|version| EngineRequest {
                    name: name.clone(),
                    version: Some(version.clone()),
                })
            })
            .collect()
    }

    /// Which run of its test a job is, from the version it asked for (`None`: neither).
    pub fn side(&self, version: Option<&str>) -> Option<Side> {
        match version {
            Some(v) if v == self.a => Some(Side::A),
            Some(v) if v == self.b => Some(Side::B),
            _ => None,
        }
    }
}

/// One of the two runs of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The baseline (`--engine`).
    A,
    /// The version compared with it (`--against`).
    B,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulator_selects_every_engine_running_on_it_an_engine_only_itself() {
        let neuron = versions("NEURON:8.2.7", "NEURON:9.0.2").unwrap();
        assert_eq!(neuron.component, Component::Neuron);
        assert!(neuron.whole_simulator);
        for engine in ["NEURON", "PyNEURON", "jNeuroML_NEURON", "NetPyNE"] {
            assert!(neuron.selects(engine), "{engine}");
        }
        for engine in ["jNeuroML", "NEST", "Brian2", "jNeuroML_EDEN"] {
            assert!(!neuron.selects(engine), "{engine}");
        }
        let export = versions("jNeuroML_NEURON:8.2.7", "jNeuroML_NEURON:9.0.2").unwrap();
        assert!(!export.whole_simulator);
        assert!(export.selects("jNeuroML_NEURON"));
        assert!(!export.selects("NEURON"));
        // NEST is a suite simulator (OMV's SLI engine does not run here): every engine on it.
        let nest = versions("NEST:3.10.0", "NEST:3.10.0").unwrap();
        assert!(nest.selects("NEST") && nest.selects("PyNEST") && nest.selects("PyNN_Nest"));
        let brian2 = versions("Brian2:2.8.0.4", "Brian2:2.9.0").unwrap();
        assert!(brian2.selects("jNeuroML_Brian2") && !brian2.selects("NEST"));
        assert_eq!(export.side(Some("9.0.2")), Some(Side::B));
        assert_eq!(export.side(Some("8.2.7")), Some(Side::A));
        assert_eq!(export.side(None), None);
    }

    #[test]
    fn bad_pairs_are_refused_with_what_to_write() {
        assert_eq!(
            versions("NEURON", "NEURON:9.0.2").unwrap_err(),
            SelectError::NoVersion {
                flag: "--engine",
                value: "NEURON".into()
            }
        );
        assert!(matches!(
            versions("NEURON:8.2.7", "NEST:3.10.0"),
            Err(SelectError::DifferentEngines { .. })
        ));
        assert!(matches!(
            versions("jNeuroML:0.14.0", "jNeuroML:0.13.0"),
            Err(SelectError::NotVersioned(_))
        ));
        let unknown = versions("NEURN:8.2.7", "NEURN:9.0.2").unwrap_err();
        assert!(
            unknown.to_string().contains("did you mean `NEURON`"),
            "{unknown}"
        );
    }
}
