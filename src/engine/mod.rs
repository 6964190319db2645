//! Engines: how each simulator runs a target, and which ones exist.

/// Every engine name that OMV 0.4.0 accepts in an `.omt` file (case-sensitive). A name outside
/// this list is a load error (with the nearest name suggested); a name inside it that crosscheck
/// cannot run yet becomes a `skip` with the reason.
pub const OMV_ENGINE_NAMES: &[&str] = &[
    "Arbor",
    "Brian2",
    "EDEN",
    "GENESIS",
    "jLEMS",
    "jNeuroML",
    "jNeuroML_Brian2",
    "jNeuroML_EDEN",
    "jNeuroML_Moose",
    "jNeuroML_NEURON",
    "jNeuroML_NetPyNE",
    "jNeuroML_NetPyNE_NP2",
    "jNeuroML_NetPyNE_NP4",
    "jNeuroML_PyNN_NEURON",
    "jNeuroML_validate",
    "jNeuroML_validatev1",
    "Moose",
    "NEST",
    "NetPyNE",
    "NetPyNE_NP2",
    "NetPyNE_NP4",
    "NEURON",
    "Octave",
    "PyLEMS",
    "PyLEMS_NeuroML2",
    "PyNEST",
    "PyNEURON",
    "pyNeuroML",
    "PyNN_Brian2",
    "PyNN_NEURON",
    "PyNN_Nest",
    "PyNN_NeuroML",
    "Py_neuroConstruct",
    "XPP",
];

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::env::{Component, EnvState, ManagedEnv};

mod command;
pub(crate) mod jneuroml;

/// Something an engine needs before it can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// A Java runtime on `PATH` (jNeuroML); it comes from the machine, not from PyPI.
    Java,
    /// Packages in the managed Python environment.
    Python(Component),
}

/// How an engine turns targets into commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recipe {
    JNeuroML,
    JNeuroMLNeuron,
    JNeuroMLBrian2,
    JNeuroMLEden,
    JNeuroMLNetPyNE,
    Command,
}

/// An engine crosscheck can run.
#[derive(Debug)]
pub struct EngineDef {
    pub name: &'static str,
    pub summary: &'static str,
    pub needs: &'static [Need],
    recipe: Recipe,
}

/// The engines crosscheck runs today. Names follow OMV exactly; `command` is crosscheck's own.
pub static ENGINES: &[EngineDef] = &[
    EngineDef {
        name: "jNeuroML",
        summary: "LEMS/NeuroML2 simulation with the jNeuroML jar (java -jar ... -nogui)",
        needs: &[Need::Java, Need::Python(Component::PyNeuroML)],
        recipe: Recipe::JNeuroML,
    },
    EngineDef {
        name: "jNeuroML_NEURON",
        summary: "jNeuroML exports NEURON code; crosscheck compiles the mechanisms with nrnivmodl and runs the script under NEURON",
        needs: &[
            Need::Java,
            Need::Python(Component::PyNeuroML),
            Need::Python(Component::Neuron),
        ],
        recipe: Recipe::JNeuroMLNeuron,
    },
    EngineDef {
        name: "jNeuroML_Brian2",
        summary: "jNeuroML exports Brian2 code; crosscheck runs it with Brian2",
        needs: &[
            Need::Java,
            Need::Python(Component::PyNeuroML),
            Need::Python(Component::Brian2),
        ],
        recipe: Recipe::JNeuroMLBrian2,
    },
    EngineDef {
        name: "jNeuroML_EDEN",
        summary: "jNeuroML exports EDEN code; crosscheck runs it with EDEN (installed on demand)",
        needs: &[
            Need::Java,
            Need::Python(Component::PyNeuroML),
            Need::Python(Component::Eden),
        ],
        recipe: Recipe::JNeuroMLEden,
    },
    EngineDef {
        name: "jNeuroML_NetPyNE",
        summary: "jNeuroML exports NetPyNE code; crosscheck compiles the mechanisms and runs it with NetPyNE on NEURON (installed on demand)",
        needs: &[
            Need::Java,
            Need::Python(Component::PyNeuroML),
            Need::Python(Component::NetPyNE),
        ],
        recipe: Recipe::JNeuroMLNetPyNE,
    },
    EngineDef {
        name: "command",
        summary: "crosscheck's own: runs each target as a program in its folder (`sh` for non-executable files)",
        needs: &[],
        recipe: Recipe::Command,
    },
];

/// The engine called `name`, if crosscheck can run it.
pub fn lookup(name: &str) -> Option<&'static EngineDef> {
    ENGINES.iter().find(|e| e.name == name)
}

/// Whether `name` is an engine name at all (OMV's or crosscheck's), runnable or not.
pub fn is_known_name(name: &str) -> bool {
    lookup(name).is_some() || OMV_ENGINE_NAMES.contains(&name)
}

/// Every engine name accepted in test files and `--engine`.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    OMV_ENGINE_NAMES
        .iter()
        .copied()
        .chain(ENGINES.iter().map(|e| e.name))
        .filter({
            let mut seen = std::collections::HashSet::new();
            move |n| seen.insert(*n)
        })
}

/// The known engine name closest to `name`, for "did you mean" hints.
pub fn suggest(name: &str) -> Option<&'static str> {
    let names: Vec<&'static str> = all_names().collect();
    crate::suggest::nearest(name, &names)
}

/// Where to find what engines run: resolved once per run.
#[derive(Debug, Clone)]
pub struct Tools {
    pub java: Option<PathBuf>,
    pub jnml_jar: Option<PathBuf>,
    pub python: PathBuf,
    pub bin_dir: PathBuf,
    pub state: EnvState,
}

impl Tools {
    pub fn discover(env: &ManagedEnv, state: EnvState) -> Self {
        Tools {
            java: which::which("java").ok(),
            jnml_jar: env.jnml_jar(),
            python: env.python(),
            bin_dir: env.bin_dir(),
            state,
        }
    }

    /// Version of the jNeuroML jar, read from its file name (`jNeuroML-0.14.0-jar-with-dependencies.jar`).
    pub fn jnml_version(&self) -> Option<String> {
        let name = self.jnml_jar.as_ref()?.file_name()?.to_str()?;
        let rest = name.strip_prefix("jNeuroML-")?;
        Some(rest.split("-jar").next()?.to_string())
    }

    fn package_version(&self, package: &str) -> Option<&str> {
        self.state.versions.get(package).map(|s| s.as_str())
    }
}

/// Why an engine cannot run here, with what would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub what: String,
    pub how_to_install: String,
}

/// One process a job runs.
#[derive(Debug, Clone)]
pub struct Step {
    /// Short name for progress and reports (`generate NEURON code`, `nrnivmodl`, `simulate`).
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// Run only when this folder holds `.mod` files (compiling nothing is an error in nrnivmodl).
    pub only_if_mod_files_in: Option<PathBuf>,
}

impl Step {
    pub(crate) fn new(label: &str, program: impl Into<PathBuf>, cwd: &Path) -> Self {
        Step {
            label: label.to_string(),
            program: program.into(),
            args: Vec::new(),
            cwd: cwd.to_path_buf(),
            only_if_mod_files_in: None,
        }
    }

    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// The command line as text, for reports.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(self.args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect()
    }
}

impl EngineDef {
    /// The Python components this engine needs installed.
    pub fn components(&self) -> impl Iterator<Item = Component> + '_ {
        self.needs.iter().filter_map(|n| match n {
            Need::Python(c) => Some(*c),
            Need::Java => None,
        })
    }

    /// What is missing for this engine on this machine, if anything.
    pub fn missing(&self, env: &ManagedEnv, tools: &Tools) -> Vec<Missing> {
        let mut missing = Vec::new();
        for need in self.needs {
            match need {
                Need::Java if tools.java.is_none() => missing.push(Missing {
                    what: "java (a Java 11+ runtime)".into(),
                    how_to_install: "apt-get install openjdk-17-jre-headless".into(),
                }),
                Need::Python(c) if !env.has(&tools.state, *c) => missing.push(Missing {
                    what: format!("{} in the managed environment", c.pins()[0].requirement),
                    how_to_install: format!("crosscheck install {}", c.name()),
                }),
                _ => {}
            }
        }
        missing
    }

    /// The exact versions this engine runs with, for results (`jNeuroML 0.14.0; NEURON 8.2.7`).
    pub fn version(&self, tools: &Tools) -> Option<String> {
        let jnml = || tools.jnml_version().map(|v| format!("jNeuroML {v}"));
        let package = |label: &str, package: &str| {
            tools
                .package_version(package)
                .map(|v| format!("{label} {v}"))
        };
        match self.recipe {
            Recipe::JNeuroML => jnml(),
            Recipe::JNeuroMLNeuron => join_versions([jnml(), package("NEURON", "neuron")]),
            Recipe::JNeuroMLBrian2 => join_versions([jnml(), package("Brian2", "brian2")]),
            Recipe::JNeuroMLEden => join_versions([jnml(), package("EDEN", "eden-simulator")]),
            Recipe::JNeuroMLNetPyNE => join_versions([
                jnml(),
                package("NetPyNE", "netpyne"),
                package("NEURON", "neuron"),
            ]),
            Recipe::Command => None,
        }
    }

    /// The processes that run `targets` (paths inside the job's working copy), in order.
    pub fn steps(&self, targets: &[PathBuf], tools: &Tools) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        for target in targets {
            let dir = target
                .parent()
                .ok_or_else(|| format!("target {} has no folder", target.display()))?;
            match self.recipe {
                Recipe::JNeuroML => steps.push(jneuroml::simulate(target, dir, tools)?),
                Recipe::JNeuroMLNeuron => steps.extend(jneuroml::neuron(target, dir, tools)?),
                Recipe::JNeuroMLBrian2 => steps.extend(jneuroml::brian2(target, dir, tools)?),
                Recipe::JNeuroMLEden => steps.extend(jneuroml::eden(target, dir, tools)?),
                Recipe::JNeuroMLNetPyNE => steps.extend(jneuroml::netpyne(target, dir, tools)?),
                Recipe::Command => steps.push(command::run(target, dir)),
            }
        }
        Ok(steps)
    }
}

fn join_versions<const N: usize>(parts: [Option<String>; N]) -> Option<String> {
    let present: Vec<String> = parts.into_iter().flatten().collect();
    (!present.is_empty()).then(|| present.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_nearest_engine() {
        assert_eq!(suggest("jNeuroml_NEURON"), Some("jNeuroML_NEURON"));
        assert_eq!(suggest("zzzzzz"), None);
        assert_eq!(suggest("neuron"), Some("NEURON"));
    }

    #[test]
    fn runnable_engines_are_known_names() {
        for e in ENGINES {
            assert!(is_known_name(e.name));
        }
        assert!(is_known_name("XPP"));
        assert!(!is_known_name("jneuroml"));
    }

    #[test]
    fn jnml_version_from_jar_name() {
        let tools = Tools {
            java: None,
            jnml_jar: Some(PathBuf::from(
                "/x/pyneuroml/lib/jNeuroML-0.14.0-jar-with-dependencies.jar",
            )),
            python: PathBuf::from("python"),
            bin_dir: PathBuf::from("bin"),
            state: EnvState::default(),
        };
        assert_eq!(tools.jnml_version().as_deref(), Some("0.14.0"));
        let def = lookup("jNeuroML_NEURON").unwrap();
        assert_eq!(def.version(&tools).as_deref(), Some("jNeuroML 0.14.0"));
    }

    #[test]
    fn neuron_steps_generate_compile_run() {
        let tools = Tools {
            java: Some(PathBuf::from("/usr/bin/java")),
            jnml_jar: Some(PathBuf::from(
                "/j/jNeuroML-0.14.0-jar-with-dependencies.jar",
            )),
            python: PathBuf::from("/v/bin/python"),
            bin_dir: PathBuf::from("/v/bin"),
            state: EnvState::default(),
        };
        let steps = lookup("jNeuroML_NEURON")
            .unwrap()
            .steps(&[PathBuf::from("/w/m/LEMS_X.xml")], &tools)
            .unwrap();
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            ["export to NEURON", "nrnivmodl", "simulate in NEURON"]
        );
        assert_eq!(
            steps[1].only_if_mod_files_in.as_deref(),
            Some(Path::new("/w/m"))
        );
        assert!(steps[2].argv().contains(&"LEMS_X_nrn.py".to_string()));
        assert_eq!(steps[2].cwd, Path::new("/w/m"));
    }
}
