//! The managed Python environment that holds the simulators.
//!
//! crosscheck owns one virtual environment per crosscheck home (`.crosscheck/` in the current
//! directory unless `CROSSCHECK_HOME` says otherwise) and installs pinned simulator versions
//! into it from PyPI. Owning it, rather than using whatever `python` is on `PATH`, is what
//! makes verdicts reproducible: OMV silently runs whichever version happens to be installed.
//!
//! Provisioning is idempotent and guarded by a file lock, so two crosscheck processes starting
//! at once on a fresh machine install once and never interleave two `pip` runs in one
//! environment. What is installed is recorded in `state.json` with the exact versions pip
//! resolved, which is also where results get their engine versions from without starting Python.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// A set of Python packages installed together, because an engine needs all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Component {
    /// pyNeuroML, which ships the jNeuroML jar (and pyLEMS).
    PyNeuroML,
    /// NEURON (the `neuron` wheel, with `nrniv` and `nrnivmodl`).
    Neuron,
    /// NEST (`nest-simulator`).
    Nest,
    /// Brian2.
    Brian2,
    /// EDEN, installed on demand for `jNeuroML_EDEN`.
    Eden,
    /// NetPyNE (on NEURON), installed on demand for `jNeuroML_NetPyNE`.
    NetPyNE,
    /// PyNN, installed on demand for the `PyNN_*` engines (the back-ends are their own
    /// components).
    PyNN,
    /// pyLEMS (also a dependency of pyNeuroML), pinned on its own for the `PyLEMS` engines.
    PyLems,
    /// Arbor, installed on demand.
    Arbor,
    /// MOOSE (`pymoose`), installed on demand.
    Moose,
    /// MPI from PyPI (the MPICH wheel's `mpiexec` and `libmpi`, and mpi4py built against it),
    /// installed on demand for the MPI engines (`NetPyNE_NP2`, ...).
    Mpi,
}

/// A pinned PyPI requirement.
pub struct Pin {
    /// Distribution name as pip and `importlib.metadata` know it.
    pub package: &'static str,
    /// The requirement handed to pip.
    pub requirement: &'static str,
}

const fn pin(package: &'static str, requirement: &'static str) -> Pin {
    Pin {
        package,
        requirement,
    }
}

// The single place where simulator versions are pinned (see `Component` for why these).
const PYNEUROML: Pin = pin("pyneuroml", "pyneuroml==1.3.22");
const NEURON: Pin = pin("neuron", "neuron==8.2.7");
const NEST: Pin = pin("nest-simulator", "nest-simulator==3.10.0");
const BRIAN2: Pin = pin("brian2", "brian2==2.9.0");
const EDEN: Pin = pin("eden-simulator", "eden-simulator==0.2.3");
const NETPYNE: Pin = pin("netpyne", "netpyne==1.1.1");
const PYNN: Pin = pin("pynn", "pynn==0.13.0");
const PYLEMS: Pin = pin("pylems", "pylems==0.6.9");
const ARBOR: Pin = pin("arbor", "arbor==0.9.0");
const MOOSE: Pin = pin("pymoose", "pymoose==4.1.4");
const MPICH: Pin = pin("mpich", "mpich==5.0.2");
const MPI4PY: Pin = pin("mpi4py", "mpi4py==4.1.2");
// MOOSE's NeuroML2 reader (what jNeuroML's MOOSE export uses) imports both without declaring
// them; versions are left to pip so they agree with what other components installed.
const PINT: Pin = pin("pint", "pint");
const SCIPY: Pin = pin("scipy", "scipy");
const NUMPY: Pin = pin("numpy", "numpy<2.4");

/// Why these pins: NEURON 8.2.7 is what OMV installs and what Open Source Brain repositories test
/// with (NEURON 9 will not compile the mechanisms jNeuroML 0.14 generates for spike and Poisson
/// inputs, dropped `neuron.run()` and no longer puts the working directory on Python's path);
/// Brian2 2.9.0 is the newest release for Python 3.11 and breaks on numpy 2.4. EDEN 0.2.3 is
/// what OMV installs. PyNN 0.13.0 rather than OMV's 0.11.0: PyNN up to 0.12.4 calls NEST's SLI
/// interpreter, which NEST 3.10 removed (`nest.ll_api.sr`), so only 0.13 runs on all of NEURON
/// 8.2.7, NEST 3.10 and Brian2 2.9 (checked with one script on the three). pyLEMS 0.6.9 is the
/// version pyNeuroML 1.3.22 brings; Arbor 0.9.0 and MOOSE (pymoose) 4.1.4 are OMV's pins.
/// MPI: the NEURON 8.2.7 wheel loads an MPI library at run time (`MPI_LIB_NRN_PATH`, see
/// [`ManagedEnv::mpi_library`]), so the MPICH 5.0.2 wheel is all it needs, with no system
/// package; mpi4py 4.1.2's wheel loads the same library (checked: both report MPICH 5.0.2
/// under the wheel's `mpiexec`), for models that use mpi4py themselves.
impl Component {
    /// Every component this crosscheck knows how to install.
    pub const ALL: [Component; 11] = [
        Component::PyNeuroML,
        Component::Neuron,
        Component::Nest,
        Component::Brian2,
        Component::Eden,
        Component::NetPyNE,
        Component::PyNN,
        Component::PyLems,
        Component::Arbor,
        Component::Moose,
        Component::Mpi,
    ];

    /// What `crosscheck install` with no arguments installs: the four required simulators.
    /// The others come on demand, when a test needs them.
    pub const DEFAULT: [Component; 4] = [
        Component::PyNeuroML,
        Component::Neuron,
        Component::Nest,
        Component::Brian2,
    ];

    /// The pinned PyPI requirements installed for this component, its main package first (the
    /// one whose version results report, see [`Component::main_package`]).
    pub fn pins(self) -> &'static [Pin] {
        match self {
            Component::PyNeuroML => &[PYNEUROML, NUMPY],
            Component::Neuron => &[NEURON, NUMPY],
            Component::Nest => &[NEST, NUMPY],
            Component::Brian2 => &[BRIAN2, NUMPY],
            Component::Eden => &[EDEN, NUMPY],
            Component::NetPyNE => &[NETPYNE, NEURON, NUMPY],
            Component::PyNN => &[PYNN, NUMPY],
            Component::PyLems => &[PYLEMS, NUMPY],
            Component::Arbor => &[ARBOR, NUMPY],
            Component::Moose => &[MOOSE, PINT, SCIPY, NUMPY],
            Component::Mpi => &[MPICH, MPI4PY],
        }
    }

    /// The lowercase name used on the command line (`crosscheck install nest`) and as the key
    /// in `state.json`.
    pub fn name(self) -> &'static str {
        match self {
            Component::PyNeuroML => "pyneuroml",
            Component::Neuron => "neuron",
            Component::Nest => "nest",
            Component::Brian2 => "brian2",
            Component::Eden => "eden",
            Component::NetPyNE => "netpyne",
            Component::PyNN => "pynn",
            Component::PyLems => "pylems",
            Component::Arbor => "arbor",
            Component::Moose => "moose",
            Component::Mpi => "mpi",
        }
    }

    /// The component called `name` (case-insensitive), as `crosscheck install` accepts it.
    pub fn from_name(name: &str) -> Option<Component> {
        Component::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The package whose version identifies this component in results.
    pub fn main_package(self) -> &'static str {
        self.pins()[0].package
    }

    /// The version of the main package crosscheck pins (`8.2.7` for NEURON).
    pub fn pinned_version(self) -> Option<&'static str> {
        self.pins()[0]
            .requirement
            .split_once("==")
            .map(|(_, version)| version)
    }
}

/// Why the managed Python environment could not be read or provisioned.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// No base interpreter to create the virtual environment with (the text says what was
    /// tried).
    #[error("no suitable Python found: {0}")]
    NoPython(String),
    /// A file-system or process operation failed.
    #[error("could not {action}: {source}")]
    Io {
        /// What was being done, completing "could not ..." (`create /path`).
        action: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A provisioning command (`python -m venv`, `pip install`, `pip uninstall`) exited with
    /// failure.
    #[error("{step} failed (exit status {status}); last output:\n{tail}")]
    CommandFailed {
        /// The command, as named in progress output (`pip install`).
        step: String,
        /// Its exit status, as displayed.
        status: String,
        /// Its last lines of output (stdout, then stderr), to show why it failed.
        tail: String,
    },
    /// A component (by name) is missing from the virtual environment (path) and `--offline`
    /// forbids installing it.
    #[error("{0} is not installed in the managed environment {1} and --offline forbids installing it; run `crosscheck install {0}`")]
    Offline(String, PathBuf),
    /// `state.json` (path) could not be read or parsed (the reason).
    #[error("the managed environment state file {0} is unreadable: {1}; run `crosscheck install` to repair it")]
    BadState(PathBuf, String),
    /// A component (by name) has damaged packages (what is damaged) and `--offline` forbids
    /// reinstalling them.
    #[error("the managed environment is damaged: {1}; --offline forbids repairing it; run `crosscheck install {0}`")]
    Damaged(String, String),
}

fn io_err(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> EnvError {
    let action = action.into();
    move |source| EnvError::Io { action, source }
}

/// What has been installed, as recorded after the last successful provisioning.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EnvState {
    /// Python version of the virtual environment.
    pub python: Option<String>,
    /// Components installed, with the requirement strings they were installed from. A changed
    /// pin (a new crosscheck release) no longer matches and triggers reinstallation. Components
    /// this crosscheck does not know (written by a newer one sharing the home) are ignored
    /// rather than making the whole state unreadable.
    #[serde(deserialize_with = "known_components")]
    pub components: BTreeMap<Component, Vec<String>>,
    /// Exact versions of the pinned packages as pip resolved them.
    pub versions: BTreeMap<String, String>,
}

fn known_components<'de, D>(deserializer: D) -> Result<BTreeMap<Component, Vec<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let raw: BTreeMap<String, Vec<String>> = Deserialize::deserialize(deserializer)?;
    Ok(raw
        .into_iter()
        .filter_map(|(name, pins)| {
            serde_json::from_value::<Component>(serde_json::Value::String(name))
                .ok()
                .map(|c| (c, pins))
        })
        .collect())
}

/// The crosscheck home and its virtual environment.
#[derive(Debug, Clone)]
pub struct ManagedEnv {
    home: PathBuf,
    /// Requirements replacing the pins of these packages (a side-by-side environment holding
    /// another version of one simulator, see [`ManagedEnv::versioned`]).
    overrides: BTreeMap<&'static str, String>,
}

/// Receives one line of provisioning output at a time, to show progress.
pub trait ProgressSink {
    /// A new provisioning step begins (`pip install ...`, `waiting for the environment lock`).
    fn stage(&self, message: &str);
    /// One line of output from the running step's command (pip's stdout).
    fn line(&self, line: &str);
}

/// A sink that shows nothing.
pub struct Quiet;
impl ProgressSink for Quiet {
    fn stage(&self, _: &str) {}
    fn line(&self, _: &str) {}
}

impl ManagedEnv {
    /// The crosscheck home: `$CROSSCHECK_HOME`, else `.crosscheck` in the current directory.
    pub fn from_environment() -> Self {
        let home = std::env::var_os("CROSSCHECK_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".crosscheck"));
        let home = std::path::absolute(&home).unwrap_or(home);
        ManagedEnv::at(home)
    }

    /// The crosscheck home at `home`, with the standard pins.
    pub fn at(home: impl Into<PathBuf>) -> Self {
        ManagedEnv {
            home: home.into(),
            overrides: BTreeMap::new(),
        }
    }

    /// A side-by-side environment under this home holding `version` of `component`'s simulator
    /// (`neuron==9.0.2`) instead of the pinned one, with the other pins unchanged: a test asking
    /// for `NEURON:9.0.2` runs on exactly that version, never silently on another (as OMV
    /// does). It lives in `versions/<component>-<version>/` with its own venv and state.
    pub fn versioned(&self, component: Component, version: &str) -> ManagedEnv {
        let package = component.main_package();
        ManagedEnv {
            home: self
                .home
                .join("versions")
                .join(format!("{}-{version}", component.name())),
            overrides: BTreeMap::from([(package, format!("{package}=={version}"))]),
        }
    }

    /// What `component` is installed from here: its pins, with this environment's overrides.
    pub fn requirements(&self, component: Component) -> Vec<String> {
        component
            .pins()
            .iter()
            .map(|p| {
                self.overrides
                    .get(p.package)
                    .cloned()
                    .unwrap_or_else(|| p.requirement.to_string())
            })
            .collect()
    }

    /// The crosscheck home folder itself.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The virtual environment: `venv/` in the home.
    pub fn venv(&self) -> PathBuf {
        self.home.join("venv")
    }

    /// The virtual environment's `bin/`, put first on `PATH` for simulator processes.
    pub fn bin_dir(&self) -> PathBuf {
        self.venv().join("bin")
    }

    /// The managed Python interpreter (whether or not it exists yet).
    pub fn python(&self) -> PathBuf {
        self.bin_dir().join("python")
    }

    fn state_path(&self) -> PathBuf {
        self.home.join("state.json")
    }

    /// Where simulators may write caches (Cython, matplotlib, NEURON): a stand-in `$HOME`
    /// inside the crosscheck home, so nothing is written to the user's home directory.
    pub fn sim_home(&self) -> PathBuf {
        self.home.join("sim-home")
    }

    /// Where compiled NEURON mechanisms are cached: `$CROSSCHECK_MECHANISM_CACHE` when set (a
    /// CI cache can keep it between runs), else `mechanisms/` in the home.
    pub fn mechanism_cache(&self) -> PathBuf {
        std::env::var_os("CROSSCHECK_MECHANISM_CACHE")
            .filter(|v| !v.is_empty())
            .map(|v| {
                let p = PathBuf::from(v);
                std::path::absolute(&p).unwrap_or(p)
            })
            .unwrap_or_else(|| self.home.join("mechanisms"))
    }

    /// The virtual environment's `site-packages` folder, once created.
    pub fn site_packages(&self) -> Option<PathBuf> {
        let lib = self.venv().join("lib");
        fs::read_dir(lib).ok()?.flatten().find_map(|entry| {
            let dir = entry.path().join("site-packages");
            dir.is_dir().then_some(dir)
        })
    }

    /// Where jobs get their private working directories.
    pub fn work_root(&self) -> PathBuf {
        self.home.join("work")
    }

    /// The recorded state, or an empty one when nothing was installed yet.
    pub fn state(&self) -> Result<EnvState, EnvError> {
        let path = self.state_path();
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| EnvError::BadState(path.clone(), e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(EnvState::default()),
            Err(e) => Err(EnvError::BadState(path, e.to_string())),
        }
    }

    /// What is damaged in `component`'s installed packages (a file missing or of another size
    /// than pip installed), if anything; packages not installed at all are not damage.
    pub fn damage(&self, component: Component) -> Option<String> {
        let site = self.site_packages()?;
        component
            .pins()
            .iter()
            .find_map(|pin| crate::installed::damage(&site, pin.package))
    }

    /// True when `component` is installed with today's pins and the interpreter is still there.
    pub fn has(&self, state: &EnvState, component: Component) -> bool {
        let wanted = self.requirements(component);
        state.components.get(&component) == Some(&wanted) && self.python().exists()
    }

    /// The jNeuroML jar shipped inside pyNeuroML, if installed.
    pub fn jnml_jar(&self) -> Option<PathBuf> {
        let lib = self.venv().join("lib");
        let entries = fs::read_dir(&lib).ok()?;
        for entry in entries.flatten() {
            let jar_dir = entry.path().join("site-packages/pyneuroml/lib");
            if let Ok(jars) = fs::read_dir(&jar_dir) {
                let mut found: Vec<PathBuf> = jars
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("jNeuroML") && n.ends_with(".jar"))
                    })
                    .collect();
                found.sort();
                if let Some(jar) = found.pop() {
                    return Some(jar);
                }
            }
        }
        None
    }

    /// NEURON's data directory inside the pip package (what `jnml -neuron -run` wants as
    /// `NEURON_HOME`).
    pub fn neuron_home(&self) -> Option<PathBuf> {
        let lib = self.venv().join("lib");
        fs::read_dir(lib).ok()?.flatten().find_map(|entry| {
            let dir = entry.path().join("site-packages/neuron/.data");
            dir.is_dir().then_some(dir)
        })
    }

    /// Environment variables every simulator process gets: the managed environment first on
    /// `PATH`, side effects redirected away from the user's `$HOME`, quiet NEST.
    pub fn process_env(&self) -> Vec<(OsString, OsString)> {
        let sim_home = self.sim_home();
        let mut path = OsString::from(self.bin_dir());
        if let Some(old) = std::env::var_os("PATH") {
            path.push(":");
            path.push(old);
        }
        let mut vars: Vec<(OsString, OsString)> = vec![
            ("PATH".into(), path),
            ("VIRTUAL_ENV".into(), self.venv().into()),
            ("HOME".into(), sim_home.clone().into()),
            ("XDG_CACHE_HOME".into(), sim_home.join(".cache").into()),
            ("XDG_CONFIG_HOME".into(), sim_home.join(".config").into()),
            ("MPLCONFIGDIR".into(), sim_home.join("matplotlib").into()),
            ("MPLBACKEND".into(), "Agg".into()),
            ("PYNEST_QUIET".into(), "1".into()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
            ("PYTHONUNBUFFERED".into(), "1".into()),
        ];
        if let Some(neuron_home) = self.neuron_home() {
            vars.push(("NEURON_HOME".into(), neuron_home.into()));
        }
        if let Some(libmpi) = self.mpi_library() {
            // NEURON's wheel looks for `libmpi.so`/`libmpich.so` on the loader's path only;
            // this names the MPICH wheel's. Read only when MPI starts (`nrniv -mpi`).
            vars.push(("MPI_LIB_NRN_PATH".into(), libmpi.into()));
        }
        vars
    }

    /// The MPI library of the MPICH wheel, once installed. The versioned file: the wheel's
    /// `libmpi.so` is a linker script (`INPUT(libmpi.so.12)`, wheels hold no symbolic links),
    /// which `dlopen` cannot load.
    pub fn mpi_library(&self) -> Option<PathBuf> {
        let lib = self.venv().join("lib/libmpi.so.12");
        lib.is_file().then_some(lib)
    }

    /// Makes sure every component is installed, installing what is missing unless `offline`.
    ///
    /// Holds an exclusive lock on the home for the whole check-and-install, so concurrent
    /// crosscheck processes serialise here and the second one finds the work already done.
    pub fn ensure(
        &self,
        components: &[Component],
        offline: bool,
        progress: &dyn ProgressSink,
    ) -> Result<EnvState, EnvError> {
        let state = self.state_or_repair(progress)?;
        // Installed but damaged since: reinstalled like missing ones.
        let damaged: Vec<(Component, String)> = components
            .iter()
            .filter_map(|c| self.damage(*c).map(|why| (*c, why)))
            .collect();
        let missing: Vec<Component> = components
            .iter()
            .copied()
            .filter(|c| !self.has(&state, *c) || damaged.iter().any(|(d, _)| d == c))
            .collect();
        if missing.is_empty() {
            return Ok(state);
        }
        if let (true, Some((component, why))) = (offline, damaged.first()) {
            return Err(EnvError::Damaged(component.name().to_string(), why.clone()));
        }
        if offline {
            return Err(EnvError::Offline(
                missing[0].name().to_string(),
                self.venv(),
            ));
        }
        fs::create_dir_all(&self.home)
            .map_err(io_err(format!("create {}", self.home.display())))?;
        let lock_path = self.home.join("env.lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(format!("open {}", lock_path.display())))?;
        progress.stage("waiting for the environment lock");
        lock.lock()
            .map_err(io_err(format!("lock {}", lock_path.display())))?;
        // Another process may have installed (or repaired) while we waited.
        let mut state = self.state().unwrap_or_default();
        let mut missing: Vec<Component> = Vec::new();
        for &component in components {
            if let Some(why) = self.damage(component) {
                // pip would call a damaged distribution satisfied: remove it first (pip
                // uninstalls by RECORD, missing files and all), then install it again.
                progress.stage(&format!(
                    "the managed environment is damaged ({why}); reinstalling {}",
                    component.name()
                ));
                let packages: Vec<&str> = component.pins().iter().map(|p| p.package).collect();
                run_streaming(
                    "pip uninstall",
                    Command::new(self.python())
                        .args([
                            "-m",
                            "pip",
                            "uninstall",
                            "-y",
                            "--disable-pip-version-check",
                        ])
                        .args(&packages),
                    progress,
                )?;
                state.components.remove(&component);
                missing.push(component);
            } else if !self.has(&state, component) {
                missing.push(component);
            }
        }
        if missing.is_empty() {
            return Ok(state);
        }
        if !self.python().exists() {
            let base = find_base_python()?;
            progress.stage(&format!(
                "creating the managed environment {} with {}",
                self.venv().display(),
                base.display()
            ));
            // Start from an empty record: whatever the state said belonged to a dead venv.
            state = EnvState::default();
            let venv = self.venv();
            if venv.exists() {
                fs::remove_dir_all(&venv)
                    .map_err(io_err(format!("remove broken {}", venv.display())))?;
            }
            run_streaming(
                "python -m venv",
                Command::new(&base).arg("-m").arg("venv").arg(&venv),
                progress,
            )?;
        }
        let mut requirements: Vec<String> = Vec::new();
        for component in &missing {
            for requirement in self.requirements(*component) {
                if !requirements.contains(&requirement) {
                    requirements.push(requirement);
                }
            }
        }
        progress.stage(&format!("pip install {}", requirements.join(" ")));
        let mut pip = Command::new(self.python());
        pip.args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        .args(&requirements)
        .env("PIP_NO_INPUT", "1");
        run_streaming("pip install", &mut pip, progress)?;

        progress.stage("recording installed versions");
        let all_packages: Vec<&str> = Component::ALL
            .iter()
            .flat_map(|c| c.pins().iter().map(|p| p.package))
            .collect();
        state.versions = self.query_versions(&all_packages)?;
        state.python = self.query_python_version().ok();
        for component in missing {
            state
                .components
                .insert(component, self.requirements(component));
        }
        self.write_state(&state)?;
        drop(lock);
        Ok(state)
    }

    /// The recorded state; an unreadable record (a truncated or garbled `state.json`) is
    /// reported and treated as empty, so provisioning checks every component again and
    /// writes a good one (pip finds intact packages already satisfied, quickly).
    fn state_or_repair(&self, progress: &dyn ProgressSink) -> Result<EnvState, EnvError> {
        match self.state() {
            Err(EnvError::BadState(path, why)) => {
                progress.stage(&format!(
                    "{} is unreadable ({why}); checking the environment again",
                    path.display()
                ));
                Ok(EnvState::default())
            }
            other => other,
        }
    }

    fn write_state(&self, state: &EnvState) -> Result<(), EnvError> {
        let path = self.state_path();
        let text = serde_json::to_string_pretty(state).unwrap_or_default();
        crate::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(io_err(format!("write {}", path.display())))
    }

    /// Versions of installed distributions, via one Python start.
    fn query_versions(&self, packages: &[&str]) -> Result<BTreeMap<String, String>, EnvError> {
        let script = "import sys\nfrom importlib import metadata\nfor n in sys.argv[1:]:\n    try:\n        print(n, metadata.version(n))\n    except Exception:\n        pass\n";
        let output = Command::new(self.python())
            .arg("-c")
            .arg(script)
            .args(packages)
            .output()
            .map_err(io_err("ask the managed Python for package versions"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(text
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect())
    }

    fn query_python_version(&self) -> Result<String, EnvError> {
        let output = Command::new(self.python())
            .arg("-c")
            .arg("import platform; print(platform.python_version())")
            .output()
            .map_err(io_err("run the managed Python"))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

/// The interpreter used to create the environment: `$CROSSCHECK_PYTHON`, else `python3.11`
/// (known good with every pin), else `python3`.
pub fn find_base_python() -> Result<PathBuf, EnvError> {
    if let Some(p) = std::env::var_os("CROSSCHECK_PYTHON").filter(|p| !p.is_empty()) {
        return which::which(&p).map_err(|e| {
            EnvError::NoPython(format!(
                "CROSSCHECK_PYTHON={} is not runnable: {e}",
                PathBuf::from(&p).display()
            ))
        });
    }
    for name in ["python3.11", "python3"] {
        if let Ok(path) = which::which(name) {
            return Ok(path);
        }
    }
    Err(EnvError::NoPython(
        "neither python3.11 nor python3 is on PATH; install Python 3.11 (e.g. `apt-get install python3 python3-venv`) or set CROSSCHECK_PYTHON".into(),
    ))
}

/// Runs a provisioning command, feeding each output line to `progress` and keeping a tail for
/// the error message. Provisioning failures must be loud (OMV's installer exits 0 on failure).
fn run_streaming(
    step: &str,
    command: &mut Command,
    progress: &dyn ProgressSink,
) -> Result<(), EnvError> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(io_err(format!("start {step}")))?;
    // Drain stderr on a thread so a chatty stderr cannot block the child while we read stdout.
    let stderr = child.stderr.take();
    let stderr_thread = std::thread::spawn(move || {
        let mut lines = Vec::new();
        if let Some(stderr) = stderr {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.push(line);
            }
        }
        lines
    });
    let mut tail = crate::fsutil::TailLines::new(40);
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            progress.line(&line);
            tail.push(&line);
        }
    }
    let status = child.wait().map_err(io_err(format!("wait for {step}")))?;
    for line in stderr_thread.join().unwrap_or_default() {
        tail.push(&line);
    }
    if status.success() {
        Ok(())
    } else {
        Err(EnvError::CommandFailed {
            step: step.to_string(),
            status: status.to_string(),
            tail: tail.joined(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_exact_for_simulators() {
        for c in Component::ALL {
            let main = c.pins()[0].requirement;
            assert!(main.contains("=="), "{main} must be an exact pin");
        }
        assert_eq!(
            Component::Neuron.pins()[0].requirement,
            "neuron==8.2.7",
            "NEURON 9 breaks public models; see the doc comment"
        );
    }

    #[test]
    fn state_with_components_from_a_newer_crosscheck_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let env = ManagedEnv::at(dir.path());
        fs::write(
            dir.path().join("state.json"),
            r#"{"python":"3.11.7","components":{"neuron":["neuron==8.2.7"],"pynn":["pynn==0.13.0"],"future-sim":["x==1"]},"versions":{"neuron":"8.2.7"}}"#,
        )
        .unwrap();
        let state = env.state().unwrap();
        assert_eq!(
            state.components.keys().copied().collect::<Vec<_>>(),
            [Component::Neuron, Component::PyNN]
        );
        let text = serde_json::to_string(&state).unwrap();
        assert!(text.contains("\"pynn\""), "{text}");
    }

    #[test]
    fn a_versioned_environment_lives_apart_and_overrides_one_pin() {
        let env = ManagedEnv::at("/h");
        let v9 = env.versioned(Component::Neuron, "9.0.2");
        assert_eq!(v9.home(), Path::new("/h/versions/neuron-9.0.2"));
        assert_eq!(
            v9.python(),
            Path::new("/h/versions/neuron-9.0.2/venv/bin/python")
        );
        assert_eq!(
            v9.requirements(Component::Neuron),
            ["neuron==9.0.2", "numpy<2.4"]
        );
        assert_eq!(
            v9.requirements(Component::NetPyNE),
            ["netpyne==1.1.1", "neuron==9.0.2", "numpy<2.4"],
            "every component bringing NEURON gets the requested version"
        );
        assert_eq!(
            env.requirements(Component::Neuron),
            ["neuron==8.2.7", "numpy<2.4"]
        );
    }

    #[test]
    fn missing_state_is_empty_and_corrupt_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = ManagedEnv::at(dir.path());
        assert_eq!(env.state().unwrap(), EnvState::default());
        fs::write(dir.path().join("state.json"), "{not json").unwrap();
        assert!(matches!(env.state(), Err(EnvError::BadState(..))));
    }

    #[test]
    fn offline_with_nothing_installed_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let env = ManagedEnv::at(dir.path());
        let err = env.ensure(&[Component::Neuron], true, &Quiet).unwrap_err();
        assert!(matches!(err, EnvError::Offline(ref name, _) if name == "neuron"));
        assert!(
            !dir.path().join("venv").exists(),
            "offline must not create anything"
        );
    }

    #[test]
    fn recorded_component_without_interpreter_is_not_installed() {
        let dir = tempfile::tempdir().unwrap();
        let env = ManagedEnv::at(dir.path());
        let mut state = EnvState::default();
        state.components.insert(
            Component::Neuron,
            Component::Neuron
                .pins()
                .iter()
                .map(|p| p.requirement.to_string())
                .collect(),
        );
        assert!(!env.has(&state, Component::Neuron));
    }
}
