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
mod mpi;
pub(crate) mod neuron;
mod python;
mod unavailable;

pub use unavailable::{unavailable, Unavailable};

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
    /// `jNeuroML_NetPyNE` on this many MPI ranks (`_NP2`, `_NP4`).
    JNeuroMLNetPyNEMpi(u32),
    JNeuroMLMoose,
    JNeuroMLPyNNNeuron,
    /// `jnml -validate` (NeuroML 2) or `-validatev1` (NeuroML 1) on every target at once.
    JNeuroMLValidate(&'static str),
    /// A hoc file fed to `nrniv`.
    Neuron,
    /// A Python file run by `nrniv -python`.
    PyNeuron,
    /// `python <t> -nogui` after compiling the model's mechanisms.
    NetPyNE,
    /// `NetPyNE` on this many MPI ranks (`NetPyNE_NP2`, `NetPyNE_NP4`).
    NetPyNEMpi(u32),
    /// `python <t> <args>`, under the simulator named.
    Python(&'static str, &'static [&'static str]),
    /// A PyNN script given its back-end (`neuron`, `nest`, `brian2`, `neuroml`) as argument.
    PyNN(&'static str),
    PyLems,
    PyLemsNeuroML2,
    PyNeuroML,
    Command,
}

/// An engine crosscheck can run.
#[derive(Debug)]
pub struct EngineDef {
    /// The engine name as `.omt` files and `--engine` spell it (OMV's, case-sensitive).
    pub name: &'static str,
    /// One line on what the engine runs and how (the commands it builds, what it installs).
    pub summary: &'static str,
    /// What must be installed before it can run (checked by [`EngineDef::missing`]).
    pub needs: &'static [Need],
    recipe: Recipe,
}

const NETPYNE_MPI: &[Need] = &[
    Need::Python(Component::NetPyNE),
    Need::Python(Component::Mpi),
];
const JNEUROML_NETPYNE_MPI: &[Need] = &[
    Need::Java,
    Need::Python(Component::PyNeuroML),
    Need::Python(Component::NetPyNE),
    Need::Python(Component::Mpi),
];

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
        name: "jNeuroML_NetPyNE_NP2",
        summary: "as jNeuroML_NetPyNE, the export run on 2 MPI ranks: mpiexec -np 2 nrniv -mpi <target>_netpyne.py (MPICH from PyPI, installed on demand; 2 CPUs)",
        needs: JNEUROML_NETPYNE_MPI,
        recipe: Recipe::JNeuroMLNetPyNEMpi(2),
    },
    EngineDef {
        name: "jNeuroML_NetPyNE_NP4",
        summary: "as jNeuroML_NetPyNE, the export run on 4 MPI ranks: mpiexec -np 4 nrniv -mpi <target>_netpyne.py (MPICH from PyPI, installed on demand; 4 CPUs)",
        needs: JNEUROML_NETPYNE_MPI,
        recipe: Recipe::JNeuroMLNetPyNEMpi(4),
    },
    EngineDef {
        name: "jNeuroML_Moose",
        summary: "jNeuroML exports MOOSE code; crosscheck runs it with MOOSE (installed on demand)",
        needs: &[
            Need::Java,
            Need::Python(Component::PyNeuroML),
            Need::Python(Component::Moose),
        ],
        recipe: Recipe::JNeuroMLMoose,
    },
    EngineDef {
        name: "jNeuroML_PyNN_NEURON",
        summary: "jNeuroML exports PyNN code and runs it on NEURON (jnml -pynn -run-neuron)",
        needs: &[
            Need::Java,
            Need::Python(Component::PyNeuroML),
            Need::Python(Component::PyNN),
            Need::Python(Component::Neuron),
        ],
        recipe: Recipe::JNeuroMLPyNNNeuron,
    },
    EngineDef {
        name: "jNeuroML_validate",
        summary: "validates NeuroML 2 files (jnml -validate <targets>); passes when they are valid",
        needs: &[Need::Java, Need::Python(Component::PyNeuroML)],
        recipe: Recipe::JNeuroMLValidate("-validate"),
    },
    EngineDef {
        name: "jNeuroML_validatev1",
        summary: "validates NeuroML 1 files (jnml -validatev1 <targets>)",
        needs: &[Need::Java, Need::Python(Component::PyNeuroML)],
        recipe: Recipe::JNeuroMLValidate("-validatev1"),
    },
    EngineDef {
        name: "NEURON",
        summary: "hoc model: nrnivmodl on the model's .mod files (cached), then nrniv reading load_file(\"<target>\") from stdin",
        needs: &[Need::Python(Component::Neuron)],
        recipe: Recipe::Neuron,
    },
    EngineDef {
        name: "PyNEURON",
        summary: "Python model on NEURON: nrnivmodl on the model's .mod files (cached), then nrniv -python <target> -nogui",
        needs: &[Need::Python(Component::Neuron)],
        recipe: Recipe::PyNeuron,
    },
    EngineDef {
        name: "NetPyNE",
        summary: "NetPyNE model: nrnivmodl on the model's .mod files (cached), then python <target> -nogui",
        needs: &[Need::Python(Component::NetPyNE)],
        recipe: Recipe::NetPyNE,
    },
    EngineDef {
        name: "NetPyNE_NP2",
        summary: "NetPyNE model on 2 MPI ranks: nrnivmodl (cached), then mpiexec -np 2 nrniv -mpi <target> -nogui (MPICH from PyPI, installed on demand; 2 CPUs)",
        needs: NETPYNE_MPI,
        recipe: Recipe::NetPyNEMpi(2),
    },
    EngineDef {
        name: "NetPyNE_NP4",
        summary: "NetPyNE model on 4 MPI ranks: nrnivmodl (cached), then mpiexec -np 4 nrniv -mpi <target> -nogui (MPICH from PyPI, installed on demand; 4 CPUs)",
        needs: NETPYNE_MPI,
        recipe: Recipe::NetPyNEMpi(4),
    },
    EngineDef {
        name: "PyNEST",
        summary: "Python model on NEST: python <target> -nogui",
        needs: &[Need::Python(Component::Nest)],
        recipe: Recipe::Python("NEST", &["-nogui"]),
    },
    EngineDef {
        name: "Brian2",
        summary: "Python model on Brian2: python <target> -nogui",
        needs: &[Need::Python(Component::Brian2)],
        recipe: Recipe::Python("Brian2", &["-nogui"]),
    },
    EngineDef {
        name: "Arbor",
        summary: "Python model on Arbor: python <target> -nogui (installed on demand)",
        needs: &[Need::Python(Component::Arbor)],
        recipe: Recipe::Python("Arbor", &["-nogui"]),
    },
    EngineDef {
        name: "Moose",
        summary: "Python model on MOOSE: python <target> -nogui (installed on demand)",
        needs: &[Need::Python(Component::Moose)],
        recipe: Recipe::Python("MOOSE", &["-nogui"]),
    },
    EngineDef {
        name: "EDEN",
        summary: "Python model on EDEN: python <target> (installed on demand)",
        needs: &[Need::Python(Component::Eden)],
        recipe: Recipe::Python("EDEN", &[]),
    },
    EngineDef {
        name: "PyNN_NEURON",
        summary: "PyNN script: python <target> neuron (PyNN's and the model's mechanisms compiled, cached)",
        needs: &[
            Need::Python(Component::PyNN),
            Need::Python(Component::Neuron),
        ],
        recipe: Recipe::PyNN("neuron"),
    },
    EngineDef {
        name: "PyNN_Nest",
        summary: "PyNN script: python <target> nest",
        needs: &[Need::Python(Component::PyNN), Need::Python(Component::Nest)],
        recipe: Recipe::PyNN("nest"),
    },
    EngineDef {
        name: "PyNN_Brian2",
        summary: "PyNN script: python <target> brian2",
        needs: &[
            Need::Python(Component::PyNN),
            Need::Python(Component::Brian2),
        ],
        recipe: Recipe::PyNN("brian2"),
    },
    EngineDef {
        name: "PyNN_NeuroML",
        summary: "PyNN script: python <target> neuroml (exports NeuroML with libNeuroML)",
        needs: &[
            Need::Python(Component::PyNN),
            Need::Python(Component::PyNeuroML),
        ],
        recipe: Recipe::PyNN("neuroml"),
    },
    EngineDef {
        name: "PyLEMS",
        summary: "LEMS model with pyLEMS: pylems <target> -nogui",
        needs: &[Need::Python(Component::PyLems)],
        recipe: Recipe::PyLems,
    },
    EngineDef {
        name: "PyLEMS_NeuroML2",
        summary: "LEMS/NeuroML2 model with pyLEMS: pylems -I <NeuroML2 core types> <target> -nogui (the core types come from the jNeuroML jar; no network)",
        needs: &[
            Need::Python(Component::PyLems),
            Need::Python(Component::PyNeuroML),
        ],
        recipe: Recipe::PyLemsNeuroML2,
    },
    EngineDef {
        name: "pyNeuroML",
        summary: "LEMS/NeuroML2 model with pyNeuroML: pynml <target> -nogui (needs java)",
        needs: &[Need::Java, Need::Python(Component::PyNeuroML)],
        recipe: Recipe::PyNeuroML,
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
    /// `java` found on `PATH`, if any (jNeuroML engines and warm JVM workers need it).
    pub java: Option<PathBuf>,
    /// The jNeuroML jar shipped inside pyNeuroML, once installed.
    pub jnml_jar: Option<PathBuf>,
    /// The managed environment's Python interpreter.
    pub python: PathBuf,
    /// The managed environment's `bin/` (`nrniv`, `nrnivmodl`, `pylems`, `pynml`, `mpiexec`).
    pub bin_dir: PathBuf,
    /// The managed environment's `site-packages` (PyNN's own mechanisms live there).
    pub site_packages: Option<PathBuf>,
    /// The crosscheck home (for files unpacked once and shared by jobs).
    pub home: PathBuf,
    /// Where compiled NEURON mechanisms are cached (see [`crate::mechanisms`]).
    pub mechanism_cache: PathBuf,
    /// What the managed environment has installed, with the exact package versions that
    /// results report.
    pub state: EnvState,
    /// Environment variables every step gets on top of the run's (a side-by-side environment's
    /// `PATH`, `NEURON_HOME`, ...); empty for the main environment.
    pub process_env: Vec<(OsString, OsString)>,
}

impl Tools {
    /// The tools of the main managed environment: `java` from `PATH`, the rest from `env`.
    pub fn discover(env: &ManagedEnv, state: EnvState) -> Self {
        Tools {
            java: which::which("java").ok(),
            jnml_jar: env.jnml_jar(),
            python: env.python(),
            bin_dir: env.bin_dir(),
            site_packages: env.site_packages(),
            home: env.home().to_path_buf(),
            mechanism_cache: env.mechanism_cache(),
            state,
            process_env: Vec::new(),
        }
    }

    /// The tools of a side-by-side environment ([`ManagedEnv::versioned`]): its interpreter and
    /// programs, and its variables for every step, so nothing of the main environment (its
    /// `NEURON_HOME`, its programs first on `PATH`) leaks into the run.
    pub fn discover_versioned(env: &ManagedEnv, state: EnvState) -> Self {
        Tools {
            process_env: env.process_env(),
            ..Tools::discover(env, state)
        }
    }

    /// Version of the jNeuroML jar, read from its file name (`jNeuroML-0.14.0-jar-with-dependencies.jar`).
    pub fn jnml_version(&self) -> Option<String> {
        let name = self.jnml_jar.as_ref()?.file_name()?.to_str()?;
        let rest = name.strip_prefix("jNeuroML-")?;
        Some(rest.split("-jar").next()?.to_string())
    }

    pub(crate) fn package_version(&self, package: &str) -> Option<&str> {
        self.state.versions.get(package).map(|s| s.as_str())
    }
}

/// Why an engine cannot run here, with what would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is absent (`java (a Java 11+ runtime)`, `neuron==8.2.7 in the managed
    /// environment`).
    pub what: String,
    /// The command that installs it (`crosscheck install neuron`).
    pub how_to_install: String,
}

/// One process a job runs.
#[derive(Debug, Clone)]
pub struct Step {
    /// Short name for progress and reports (`generate NEURON code`, `nrnivmodl`, `simulate`).
    pub label: String,
    /// The program started (by path, or by name looked up on `PATH`).
    pub program: PathBuf,
    /// Its arguments, after the program.
    pub args: Vec<OsString>,
    /// The folder it runs in (inside the job's working copy).
    pub cwd: PathBuf,
    /// Text fed to the process's standard input (NEURON reads hoc commands there, as in OMV);
    /// `None`: standard input is empty.
    pub stdin: Option<String>,
    /// This step compiles NEURON mechanisms through the cache rather than running `program` in
    /// `cwd` (see [`Compile`]).
    pub compile: Option<Compile>,
    /// Variables set on top of the run's environment (from [`Tools::process_env`]).
    pub env: Vec<(OsString, OsString)>,
    /// This step is a jNeuroML command line that a warm JVM may run instead of `program`
    /// ([`crate::jvm`]); `program` and `args` stay the cold `java -jar` command it falls back
    /// to.
    pub jvm: Option<JvmCall>,
}

/// A jNeuroML command line as data: `java <options> -jar <jar> <args>`, in the step's folder.
/// [`jneuroml`] builds the step's command from it, so the two cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JvmCall {
    /// JVM options (`-Xmx1G`, ...): a warm JVM runs the call only when started with the same.
    pub options: Vec<OsString>,
    /// The jNeuroML jar.
    pub jar: PathBuf,
    /// jNeuroML's own arguments, relative paths included (a warm JVM runs in the step's folder
    /// as a cold one does).
    pub args: Vec<OsString>,
    /// Why this call always runs in a fresh JVM, when it must (see [`jneuroml`]).
    pub cold_only: Option<&'static str>,
}

/// A mechanism compilation: `nrnivmodl` (the step's program) on the `.mod` files of `sources`,
/// compiled once per content in the cache and copied into `run_dir`, where NEURON loads them.
/// Skipped when `sources` has no `.mod` file when the step runs (nrnivmodl fails on none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compile {
    /// The folder whose `.mod` files are compiled.
    pub sources: PathBuf,
    /// The folder NEURON runs in, which receives the compiled mechanisms (`x86_64/`, ...).
    pub run_dir: PathBuf,
    /// The mechanism cache folder ([`Tools::mechanism_cache`]).
    pub cache: PathBuf,
    /// The compiler's identity for cache keys (NEURON version and `nrnivmodl` path).
    pub compiler: String,
}

impl Step {
    pub(crate) fn new(label: &str, program: impl Into<PathBuf>, cwd: &Path) -> Self {
        Step {
            label: label.to_string(),
            program: program.into(),
            args: Vec::new(),
            cwd: cwd.to_path_buf(),
            stdin: None,
            compile: None,
            env: Vec::new(),
            jvm: None,
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

    /// The component whose version `Engine:version` names, as OMV reads it: the simulator
    /// (`NEURON:8.2.7`, `PyNN_NEURON:8.2.7` and `NetPyNE:8.2.7` are NEURON versions,
    /// `PyNEST:3.10.0` a NEST version; `jNeuroML_NEURON:9.0.2` runs jNeuroML's NEURON export
    /// on NEURON 9.0.2). `None` for jNeuroML itself, its validation, its exports to
    /// simulators crosscheck installs at one version only (EDEN, MOOSE), and `command`.
    pub fn versioned_component(&self) -> Option<Component> {
        match self.recipe {
            // jNeuroML's exports: the version is the simulator's (jNeuroML itself is pinned
            // through pyNeuroML and writes the same code whichever simulator version runs it).
            Recipe::Neuron
            | Recipe::PyNeuron
            | Recipe::NetPyNE
            | Recipe::NetPyNEMpi(_)
            | Recipe::JNeuroMLNeuron
            | Recipe::JNeuroMLNetPyNE
            | Recipe::JNeuroMLNetPyNEMpi(_)
            | Recipe::JNeuroMLPyNNNeuron
            | Recipe::PyNN("neuron") => Some(Component::Neuron),
            Recipe::PyNN("nest") => Some(Component::Nest),
            Recipe::PyNN("brian2") | Recipe::JNeuroMLBrian2 => Some(Component::Brian2),
            Recipe::Python(..) | Recipe::PyLems => self.components().next(),
            _ => None,
        }
    }

    /// Whether a request for this engine at `version` is what crosscheck installs (its pin),
    /// so it runs as the plain engine does. Other versions are not installed side by side yet.
    pub fn runs_version(&self, version: &str) -> bool {
        self.versioned_component()
            .and_then(Component::pinned_version)
            .is_some_and(|pinned| pinned == version)
    }

    /// The CPUs one run keeps busy, which the runner counts against its budget (`-j`): the MPI
    /// ranks of the MPI engines, 1 for every other.
    pub fn cpus(&self) -> u32 {
        match self.recipe {
            Recipe::NetPyNEMpi(ranks) | Recipe::JNeuroMLNetPyNEMpi(ranks) => ranks,
            _ => 1,
        }
    }

    /// The exact versions this engine runs with, for results (`jNeuroML 0.14.0; NEURON 8.2.7`).
    pub fn version(&self, tools: &Tools) -> Option<String> {
        let jnml = || tools.jnml_version().map(|v| format!("jNeuroML {v}"));
        let package = |label: &str, package: &str| {
            tools
                .package_version(package)
                .map(|v| format!("{label} {v}"))
        };
        let neuron = || package("NEURON", "neuron");
        let pynn = || package("PyNN", "pynn");
        match self.recipe {
            Recipe::JNeuroML | Recipe::JNeuroMLValidate(_) => jnml(),
            Recipe::JNeuroMLNeuron => join_versions([jnml(), neuron()]),
            Recipe::JNeuroMLBrian2 => join_versions([jnml(), package("Brian2", "brian2")]),
            Recipe::JNeuroMLEden => join_versions([jnml(), package("EDEN", "eden-simulator")]),
            Recipe::JNeuroMLNetPyNE => {
                join_versions([jnml(), package("NetPyNE", "netpyne"), neuron()])
            }
            Recipe::JNeuroMLNetPyNEMpi(_) => join_versions([
                jnml(),
                package("NetPyNE", "netpyne"),
                neuron(),
                package("MPICH", "mpich"),
            ]),
            Recipe::JNeuroMLMoose => join_versions([jnml(), package("MOOSE", "pymoose")]),
            Recipe::JNeuroMLPyNNNeuron => join_versions([jnml(), pynn(), neuron()]),
            Recipe::Neuron | Recipe::PyNeuron => neuron(),
            Recipe::NetPyNE => join_versions([package("NetPyNE", "netpyne"), neuron()]),
            Recipe::NetPyNEMpi(_) => join_versions([
                package("NetPyNE", "netpyne"),
                neuron(),
                package("MPICH", "mpich"),
            ]),
            Recipe::Python(label, _) => {
                let component = self.components().next()?;
                package(label, component.main_package())
            }
            Recipe::PyNN(backend) => {
                let simulator = match backend {
                    "neuron" => neuron(),
                    "nest" => package("NEST", "nest-simulator"),
                    "brian2" => package("Brian2", "brian2"),
                    // PyNN writes NeuroML with libNeuroML, which pyNeuroML brings.
                    _ => package("pyNeuroML", "pyneuroml"),
                };
                join_versions([pynn(), simulator])
            }
            Recipe::PyLems => package("pyLEMS", "pylems"),
            Recipe::PyLemsNeuroML2 => join_versions([
                package("pyLEMS", "pylems"),
                tools
                    .jnml_version()
                    .map(|v| format!("NeuroML2 core types of jNeuroML {v}")),
            ]),
            Recipe::PyNeuroML => join_versions([package("pyNeuroML", "pyneuroml"), jnml()]),
            Recipe::Command => None,
        }
    }

    /// The processes that run `targets` (paths inside the job's working copy), in order.
    pub fn steps(&self, targets: &[PathBuf], tools: &Tools) -> Result<Vec<Step>, String> {
        let mut steps = self.steps_of(targets, tools)?;
        for step in &mut steps {
            // The environment's variables first, so that a step's own ones win.
            let own = std::mem::take(&mut step.env);
            step.env = tools.process_env.iter().cloned().chain(own).collect();
        }
        Ok(steps)
    }

    fn steps_of(&self, targets: &[PathBuf], tools: &Tools) -> Result<Vec<Step>, String> {
        if let Recipe::JNeuroMLValidate(flag) = self.recipe {
            // One run over every target, in the first target's folder, as OMV does.
            return jneuroml::validate(targets, flag, tools).map(|s| vec![s]);
        }
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
                Recipe::JNeuroMLNetPyNE => {
                    steps.extend(jneuroml::netpyne(target, dir, tools, None)?)
                }
                Recipe::JNeuroMLNetPyNEMpi(ranks) => {
                    steps.extend(jneuroml::netpyne(target, dir, tools, Some(ranks))?)
                }
                Recipe::JNeuroMLMoose => steps.extend(jneuroml::moose(target, dir, tools)?),
                Recipe::JNeuroMLPyNNNeuron => {
                    steps.extend(jneuroml::pynn_neuron(target, dir, tools)?)
                }
                Recipe::JNeuroMLValidate(_) => unreachable!("handled above"),
                Recipe::Neuron => steps.extend(neuron::hoc(target, dir, tools)?),
                Recipe::PyNeuron => steps.extend(neuron::python(target, dir, tools)?),
                Recipe::NetPyNE => steps.extend(python::netpyne(target, dir, tools, None)?),
                Recipe::NetPyNEMpi(ranks) => {
                    steps.extend(python::netpyne(target, dir, tools, Some(ranks))?)
                }
                Recipe::Python(label, args) => {
                    steps.push(python::script(target, dir, tools, label, args)?)
                }
                Recipe::PyNN(backend) => steps.extend(python::pynn(target, dir, tools, backend)?),
                Recipe::PyLems => steps.push(python::pylems(target, dir, tools)?),
                Recipe::PyLemsNeuroML2 => {
                    steps.extend(python::pylems_neuroml2(target, dir, tools)?)
                }
                Recipe::PyNeuroML => steps.push(python::pynml(target, dir, tools)?),
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
pub(crate) mod tests {
    use super::*;

    /// Tools as if NEURON 8.2.7, pyLEMS 0.6.9, PyNN 0.13.0 and jNeuroML 0.14.0 were installed
    /// in `/v`, with the home `/h`.
    pub(crate) fn tools() -> Tools {
        let mut state = EnvState::default();
        for (package, version) in [
            ("neuron", "8.2.7"),
            ("pylems", "0.6.9"),
            ("pynn", "0.13.0"),
            ("nest-simulator", "3.10.0"),
        ] {
            state.versions.insert(package.into(), version.into());
        }
        Tools {
            java: Some(PathBuf::from("/usr/bin/java")),
            jnml_jar: Some(PathBuf::from(
                "/j/jNeuroML-0.14.0-jar-with-dependencies.jar",
            )),
            python: PathBuf::from("/v/bin/python"),
            bin_dir: PathBuf::from("/v/bin"),
            site_packages: Some(PathBuf::from("/v/lib/python3.11/site-packages")),
            home: PathBuf::from("/h"),
            mechanism_cache: PathBuf::from("/h/mechanisms"),
            state,
            process_env: Vec::new(),
        }
    }

    #[test]
    fn suggests_nearest_engine() {
        assert_eq!(suggest("jNeuroml_NEURON"), Some("jNeuroML_NEURON"));
        assert_eq!(suggest("zzzzzz"), None);
        assert_eq!(suggest("neuron"), Some("NEURON"));
    }

    #[test]
    fn runnable_engines_are_known_names() {
        for e in ENGINES {
            assert!(is_known_name(e.name), "{}", e.name);
        }
        assert!(is_known_name("XPP"));
        assert!(!is_known_name("jneuroml"));
    }

    #[test]
    fn every_omv_engine_runs_or_says_why_not() {
        for name in OMV_ENGINE_NAMES {
            let runs = lookup(name).is_some();
            let why_not = unavailable(name);
            assert!(
                runs != why_not.is_some(),
                "{name}: exactly one of runnable / unavailable with a reason"
            );
        }
    }

    #[test]
    fn the_pinned_version_of_the_simulator_runs() {
        let neuron = lookup("NEURON").unwrap();
        assert!(neuron.runs_version("8.2.7"));
        assert!(!neuron.runs_version("9.0.2"));
        assert!(lookup("PyNN_NEURON").unwrap().runs_version("8.2.7"));
        assert!(lookup("PyNN_Nest").unwrap().runs_version("3.10.0"));
        assert!(lookup("PyNEST").unwrap().runs_version("3.10.0"));
        assert!(!lookup("PyNEST").unwrap().runs_version("3.7"));
        assert!(lookup("Brian2").unwrap().runs_version("2.9.0"));
        assert!(!lookup("jNeuroML").unwrap().runs_version("0.14.0"));
        // jNeuroML's exports take the version of the simulator they export to.
        assert!(lookup("jNeuroML_NEURON").unwrap().runs_version("8.2.7"));
        assert!(!lookup("jNeuroML_NEURON").unwrap().runs_version("9.0.2"));
        assert_eq!(
            lookup("jNeuroML_Brian2").unwrap().versioned_component(),
            Some(Component::Brian2)
        );
    }

    #[test]
    fn jnml_version_from_jar_name() {
        let mut tools = tools();
        tools.state = EnvState::default();
        tools.jnml_jar = Some(PathBuf::from(
            "/x/pyneuroml/lib/jNeuroML-0.14.0-jar-with-dependencies.jar",
        ));
        assert_eq!(tools.jnml_version().as_deref(), Some("0.14.0"));
        let def = lookup("jNeuroML_NEURON").unwrap();
        assert_eq!(def.version(&tools).as_deref(), Some("jNeuroML 0.14.0"));
    }

    #[test]
    fn versions_name_every_package_that_ran() {
        let tools = tools();
        let version = |name: &str| lookup(name).unwrap().version(&tools);
        assert_eq!(version("NEURON").as_deref(), Some("NEURON 8.2.7"));
        assert_eq!(
            version("PyNN_NEURON").as_deref(),
            Some("PyNN 0.13.0; NEURON 8.2.7")
        );
        assert_eq!(
            version("PyNN_Nest").as_deref(),
            Some("PyNN 0.13.0; NEST 3.10.0")
        );
        assert_eq!(version("PyNEST").as_deref(), Some("NEST 3.10.0"));
        assert_eq!(
            version("PyLEMS_NeuroML2").as_deref(),
            Some("pyLEMS 0.6.9; NeuroML2 core types of jNeuroML 0.14.0")
        );
    }

    #[test]
    fn neuron_steps_generate_compile_run() {
        let tools = tools();
        let steps = lookup("jNeuroML_NEURON")
            .unwrap()
            .steps(&[PathBuf::from("/w/m/LEMS_X.xml")], &tools)
            .unwrap();
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            ["export to NEURON", "nrnivmodl", "simulate in NEURON"]
        );
        let compile = steps[1]
            .compile
            .as_ref()
            .expect("compiled through the cache");
        assert_eq!(compile.sources, Path::new("/w/m"));
        assert_eq!(compile.run_dir, Path::new("/w/m"));
        assert!(steps[2].argv().contains(&"LEMS_X_nrn.py".to_string()));
        assert_eq!(steps[2].cwd, Path::new("/w/m"));
    }

    #[test]
    fn python_engines_run_the_target_with_omv_arguments() {
        let tools = tools();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("model.py");
        let argv = |engine: &str| -> Vec<Vec<String>> {
            lookup(engine)
                .unwrap()
                .steps(std::slice::from_ref(&target), &tools)
                .unwrap()
                .iter()
                .map(|s| {
                    assert_eq!(s.cwd, dir.path(), "{engine} runs in the target's folder");
                    s.argv()
                })
                .collect()
        };
        assert_eq!(argv("PyNEST"), [["/v/bin/python", "model.py", "-nogui"]]);
        assert_eq!(argv("Brian2"), [["/v/bin/python", "model.py", "-nogui"]]);
        assert_eq!(argv("EDEN"), [["/v/bin/python", "model.py"]]);
        assert_eq!(argv("PyNN_Nest"), [["/v/bin/python", "model.py", "nest"]]);
        assert_eq!(
            argv("PyNN_Brian2"),
            [["/v/bin/python", "model.py", "brian2"]]
        );
        assert_eq!(
            argv("PyNN_NeuroML"),
            [["/v/bin/python", "model.py", "neuroml"]]
        );
        assert_eq!(argv("PyLEMS"), [["/v/bin/pylems", "model.py", "-nogui"]]);
        assert_eq!(argv("pyNeuroML"), [["/v/bin/pynml", "model.py", "-nogui"]]);
        // PyNN on NEURON first makes PyNN's own mechanisms loadable (through the cache).
        let pynn_neuron = lookup("PyNN_NEURON")
            .unwrap()
            .steps(std::slice::from_ref(&target), &tools)
            .unwrap();
        let compile = pynn_neuron[0].compile.as_ref().unwrap();
        assert_eq!(
            compile.sources,
            Path::new("/v/lib/python3.11/site-packages/pyNN/neuron/nmodl")
        );
        assert_eq!(compile.run_dir, compile.sources);
        assert_eq!(
            pynn_neuron.last().unwrap().argv(),
            ["/v/bin/python", "model.py", "neuron"]
        );
    }

    #[test]
    fn mpi_engines_run_their_ranks_under_gforker_and_need_that_many_cpus() {
        let tools = tools();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run.py");
        let np4 = lookup("NetPyNE_NP4").unwrap();
        let steps = np4.steps(std::slice::from_ref(&target), &tools).unwrap();
        assert_eq!(
            steps.last().unwrap().argv(),
            [
                "/v/bin/mpiexec.gforker",
                "-np",
                "4",
                "/v/bin/nrniv",
                "-mpi",
                "run.py",
                "-nogui"
            ]
        );
        assert_eq!(np4.cpus(), 4);
        assert!(np4.components().any(|c| c == Component::Mpi));
        assert_eq!(np4.versioned_component(), Some(Component::Neuron));

        let jnml_np2 = lookup("jNeuroML_NetPyNE_NP2").unwrap();
        let steps = jnml_np2
            .steps(&[PathBuf::from("/w/m/LEMS_X.xml")], &tools)
            .unwrap();
        let labels: Vec<&str> = steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "export to NetPyNE",
                "nrnivmodl",
                "simulate in NetPyNE on 2 MPI ranks"
            ]
        );
        assert!(
            !steps[0].argv().contains(&"-run".to_string()),
            "crosscheck launches the ranks"
        );
        assert_eq!(
            steps[2].argv(),
            [
                "/v/bin/mpiexec.gforker",
                "-np",
                "2",
                "/v/bin/nrniv",
                "-mpi",
                "LEMS_X_netpyne.py"
            ]
        );
        assert_eq!(jnml_np2.cpus(), 2);
        assert_eq!(lookup("NetPyNE").unwrap().cpus(), 1);
        assert_eq!(lookup("jNeuroML").unwrap().cpus(), 1);
    }

    #[test]
    fn pylems_neuroml2_unpacks_the_core_types_then_includes_them() {
        let tools = tools();
        let steps = lookup("PyLEMS_NeuroML2")
            .unwrap()
            .steps(&[PathBuf::from("/w/m/LEMS_X.xml")], &tools)
            .unwrap();
        assert_eq!(steps.len(), 2);
        let unpack = steps[0].argv();
        assert!(unpack.contains(&"/j/jNeuroML-0.14.0-jar-with-dependencies.jar".to_string()));
        let core = "/h/neuroml2-core-types/0.14.0";
        assert!(unpack.contains(&core.to_string()), "{unpack:?}");
        assert_eq!(
            steps[1].argv(),
            ["/v/bin/pylems", "-I", core, "LEMS_X.xml", "-nogui"]
        );
    }

    #[test]
    fn validation_checks_every_target_in_one_run() {
        let tools = tools();
        let dir = tempfile::tempdir().unwrap();
        let (m, n) = (dir.path().join("m"), dir.path().join("n"));
        std::fs::create_dir_all(&m).unwrap();
        std::fs::create_dir_all(&n).unwrap();
        for file in [m.join("a.nml"), n.join("b.nml"), n.join("c.nml")] {
            std::fs::write(file, "").unwrap();
        }
        let steps = lookup("jNeuroML_validate")
            .unwrap()
            .steps(&[m.join("a.nml"), n.join("*.nml")], &tools)
            .unwrap();
        assert_eq!(steps.len(), 1);
        let argv = steps[0].argv();
        let files: Vec<String> = [m.join("a.nml"), n.join("b.nml"), n.join("c.nml")]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(argv[argv.len() - 4], "-validate");
        assert_eq!(&argv[argv.len() - 3..], files.as_slice());
        assert_eq!(steps[0].cwd, m);
        let none = lookup("jNeuroML_validate")
            .unwrap()
            .steps(&[m.join("*.swc")], &tools)
            .unwrap_err();
        assert!(none.contains("nothing matches"), "{none}");
    }
}
