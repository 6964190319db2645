//! The jNeuroML family: run LEMS directly, or export to a simulator and run the export.
//!
//! The jar shipped inside pyNeuroML is called with `java -jar` directly: the `jnml` wrapper
//! costs about 1.2 s of start-up per run and adds nothing crosscheck needs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{JvmCall, Step, Tools};

/// The JVM options of every jNeuroML run. Headless because CI has no display. The serial
/// collector: jobs already run in parallel, and the JVM's parallel GC threads would only
/// compete with the other jobs for the same cores (measured: slightly less CPU and wall time
/// per job).
pub const JVM_OPTIONS: &[&str] = &["-Xmx1G", "-XX:+UseSerialGC", "-Djava.awt.headless=true"];

/// How a jNeuroML step may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jvm {
    /// In a warm JVM when one is available ([`crate::jvm`]): the command only reads and writes
    /// files, and writes the same bytes in a warm JVM as in a fresh one.
    MayBeWarm,
    /// Always in a fresh JVM, for this reason.
    Cold(&'static str),
}

/// `-pynn -run-neuron` starts NEURON itself.
const STARTS_PROCESSES: &str =
    "jNeuroML starts simulator processes itself here, which must stay in the step's process group";

/// jNeuroML's NEURON export writes a model's synapses in the iteration order of a hash map
/// keyed by object identity. A fresh JVM hands out identity hash codes in the same sequence on
/// every run, so its order is always the same; a JVM that ran other commands is further along
/// that sequence and writes another order (found by `tests/warm_jvm.rs` on the corpus's Ex7
/// and Ex27, whose scripts then differ). The numbers are the same, but only a fresh JVM
/// writes the bytes OMV's `jnml -neuron` writes. No other export or the LEMS simulation showed
/// this (repeated warm runs of the same command write the same bytes).
const IDENTITY_ORDERED: &str =
    "jNeuroML's NEURON export orders synapses by identity hash codes, which only a fresh JVM reproduces";

/// `java <JVM_OPTIONS> -jar <jar> <args…>`, in `dir`.
fn java_jar(
    label: &str,
    dir: &Path,
    tools: &Tools,
    args: Vec<OsString>,
    jvm: Jvm,
) -> Result<Step, String> {
    let java = tools
        .java
        .clone()
        .ok_or("java is not on PATH (install a Java runtime, e.g. openjdk-17-jre-headless)")?;
    let jar = tools
        .jnml_jar
        .clone()
        .ok_or("the jNeuroML jar is missing from the managed environment (run `crosscheck install pyneuroml`)")?;
    let call = JvmCall {
        options: JVM_OPTIONS.iter().map(OsString::from).collect(),
        jar,
        args,
        cold_only: match jvm {
            Jvm::MayBeWarm => None,
            Jvm::Cold(why) => Some(why),
        },
    };
    let mut step = Step::new(label, java, dir);
    step.set_jvm_call(call);
    Ok(step)
}

/// `java -jar <jar> <target's file name> <args…>`, in the target's folder `dir`.
fn on_target(
    label: &str,
    target: &Path,
    dir: &Path,
    tools: &Tools,
    args: &[&str],
    jvm: Jvm,
) -> Result<Step, String> {
    let mut all = vec![file_name(target)?.to_os_string()];
    all.extend(args.iter().map(OsString::from));
    java_jar(label, dir, tools, all, jvm)
}

impl Step {
    /// Makes this step run `call`: its command becomes the call's `java -jar` line.
    pub(crate) fn set_jvm_call(&mut self, call: JvmCall) {
        self.args = call.options.clone();
        self.args.push("-jar".into());
        self.args.push(call.jar.clone().into_os_string());
        self.args.extend(call.args.iter().cloned());
        self.jvm = Some(call);
    }

    /// Gives a jNeuroML step a heap of `mib` MiB instead of the usual 1 GiB.
    pub(crate) fn set_java_heap(&mut self, mib: u64) {
        let Some(mut call) = self.jvm.clone() else {
            return;
        };
        for option in &mut call.options {
            if option.to_str().is_some_and(|o| o.starts_with("-Xmx")) {
                // Written as the usual options write it, so 1024 MiB is still `-Xmx1G`.
                *option = if mib.is_multiple_of(1024) {
                    format!("-Xmx{}G", mib / 1024)
                } else {
                    format!("-Xmx{mib}M")
                }
                .into();
            }
        }
        self.set_jvm_call(call);
    }
}

fn file_name(target: &Path) -> Result<&std::ffi::OsStr, String> {
    target
        .file_name()
        .ok_or_else(|| format!("target {} is not a file", target.display()))
}

/// The exported script's name: jNeuroML writes `<target stem>_<suffix>.py` beside the target.
fn exported_script(target: &Path, suffix: &str) -> Result<String, String> {
    let stem = target
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| format!("target {} has no usable name", target.display()))?;
    Ok(format!("{stem}_{suffix}.py"))
}

pub(crate) fn simulate(target: &Path, dir: &Path, tools: &Tools) -> Result<Step, String> {
    on_target(
        "simulate in jNeuroML",
        target,
        dir,
        tools,
        &["-nogui"],
        Jvm::MayBeWarm,
    )
}

/// Export, compile the generated mechanisms, run the generated script. NEURON loads compiled
/// mechanisms from the working directory, so all three run in the target's folder.
pub(crate) fn neuron(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    export_compile_run(target, dir, tools, "NEURON", "-neuron", "nrn")
}

/// NetPyNE runs on NEURON: the same export → nrnivmodl → run shape as [`neuron`].
/// On `ranks` MPI ranks (`jNeuroML_NetPyNE_NP2`, ...) the export runs as
/// `mpiexec -np <ranks> nrniv -mpi <t>_netpyne.py`, the command `jnml -netpyne -run -np <ranks>`
/// runs (OMV's), launched by crosscheck so that every rank stays in the job's process group
/// (see [`super::mpi`]). jNeuroML writes the same script with or without `-np`.
pub(super) fn netpyne(
    target: &Path,
    dir: &Path,
    tools: &Tools,
    ranks: Option<u32>,
) -> Result<Vec<Step>, String> {
    let mut steps = export_compile_run(target, dir, tools, "NetPyNE", "-netpyne", "netpyne")?;
    if let Some(n) = ranks {
        let script = exported_script(target, "netpyne")?;
        let label = format!("simulate in NetPyNE on {n} MPI ranks");
        if let Some(run) = steps.last_mut() {
            *run = super::mpi::nrniv(&label, n, &script, &[], dir, tools);
        }
    }
    Ok(steps)
}

fn export_compile_run(
    target: &Path,
    dir: &Path,
    tools: &Tools,
    simulator: &str,
    export_flag: &str,
    suffix: &str,
) -> Result<Vec<Step>, String> {
    let jvm = if export_flag == "-neuron" {
        Jvm::Cold(IDENTITY_ORDERED)
    } else {
        Jvm::MayBeWarm
    };
    let export = on_target(
        &format!("export to {simulator}"),
        target,
        dir,
        tools,
        &[export_flag, "-nogui"],
        jvm,
    )?;
    // The mechanisms jNeuroML writes beside the target, with any the folder already had.
    let compile = super::neuron::compile(dir, dir, tools);
    let run = Step::new(&format!("simulate in {simulator}"), &tools.python, dir)
        .arg(exported_script(target, suffix)?)
        .arg("-nogui");
    Ok(vec![export, compile, run])
}

/// EDEN compiles its own code at run time; its exported script takes no `-nogui` (as in OMV).
pub(super) fn eden(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let export = on_target(
        "export to EDEN",
        target,
        dir,
        tools,
        &["-eden"],
        Jvm::MayBeWarm,
    )?;
    let run =
        Step::new("simulate in EDEN", &tools.python, dir).arg(exported_script(target, "eden")?);
    Ok(vec![export, run])
}

pub(crate) fn brian2(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let export = on_target(
        "export to Brian2",
        target,
        dir,
        tools,
        &["-brian2"],
        Jvm::MayBeWarm,
    )?;
    let run = Step::new("simulate in Brian2", &tools.python, dir)
        .arg(exported_script(target, "brian2")?)
        .arg("-nogui");
    Ok(vec![export, run])
}

/// MOOSE: the same export → run shape as [`brian2`].
pub(super) fn moose(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let export = on_target(
        "export to MOOSE",
        target,
        dir,
        tools,
        &["-moose"],
        Jvm::MayBeWarm,
    )?;
    let run = Step::new("simulate in MOOSE", &tools.python, dir)
        .arg(exported_script(target, "moose")?)
        .arg("-nogui");
    Ok(vec![export, run])
}

/// `jnml <t> -pynn -run-neuron`, as OMV runs it: jNeuroML exports PyNN code and runs it itself
/// with `python` (the managed one, first on `PATH`). PyNN's own NEURON mechanisms must be
/// compiled first (through the cache, like [`super::python::pynn`]); the exported NeuroML
/// mechanisms are compiled by jNeuroML's run itself.
pub(super) fn pynn_neuron(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let mut steps = vec![super::python::pynn_mechanisms(tools)?];
    steps.push(on_target(
        "export to PyNN and run on NEURON",
        target,
        dir,
        tools,
        &["-pynn", "-run-neuron"],
        Jvm::Cold(STARTS_PROCESSES),
    )?);
    Ok(steps)
}

/// `jnml -validate <files…>` (or `-validatev1`) on every target at once, in the first target's
/// folder. Targets may be globs (`*.nml`), expanded here as OMV expands them with Python's
/// `glob` (sorted here, for stable command lines); a glob matching nothing is an error.
pub(crate) fn validate(targets: &[PathBuf], flag: &str, tools: &Tools) -> Result<Step, String> {
    let first = targets.first().ok_or("no target to validate")?;
    let dir = first
        .parent()
        .ok_or_else(|| format!("target {} has no folder", first.display()))?;
    let mut args = vec![OsString::from(flag)];
    for target in targets {
        let files = expand_glob(target);
        if files.is_empty() {
            return Err(format!(
                "could not determine the files to validate from {}: nothing matches",
                target.display()
            ));
        }
        args.extend(files.into_iter().map(PathBuf::into_os_string));
    }
    java_jar("validate", dir, tools, args, Jvm::MayBeWarm)
}

/// The files matching `pattern` (`*`, `?` and `[...]` in any component, hidden files only when
/// the pattern starts with a dot, as Python's `glob`), sorted. A pattern without wildcards
/// gives itself when it exists.
pub(crate) fn expand_glob(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for component in pattern.components() {
        let text = component.as_os_str().to_string_lossy();
        if !text.contains(['*', '?', '[']) {
            for path in &mut found {
                path.push(component);
            }
            continue;
        }
        let mut next = Vec::new();
        for base in &found {
            let Ok(entries) = std::fs::read_dir(if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base
            }) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && !text.starts_with('.') {
                    continue;
                }
                if wildcard_match(text.as_bytes(), name.as_bytes()) {
                    next.push(base.join(&name));
                }
            }
        }
        found = next;
    }
    found.retain(|p| p.exists());
    found.sort();
    found
}

/// Shell-style matching of one file name: `*`, `?`, `[abc]`, `[a-z]`, `[!a]`.
fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some(b'*') => (0..=name.len()).any(|i| wildcard_match(&pattern[1..], &name[i..])),
        Some(b'?') => !name.is_empty() && wildcard_match(&pattern[1..], &name[1..]),
        Some(b'[') => {
            let Some(close) = pattern
                .iter()
                .skip(2)
                .position(|&c| c == b']')
                .map(|p| p + 2)
            else {
                return name.first() == Some(&b'[') && wildcard_match(&pattern[1..], &name[1..]);
            };
            let Some(&c) = name.first() else { return false };
            let mut set = &pattern[1..close];
            let negate = matches!(set.first(), Some(b'!'));
            if negate {
                set = &set[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && wildcard_match(&pattern[close + 1..], &name[1..])
        }
        Some(&p) => name.first() == Some(&p) && wildcard_match(&pattern[1..], &name[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_python_glob() {
        assert!(wildcard_match(b"*.nml", b"cell.nml"));
        assert!(!wildcard_match(b"*.nml", b"cell.nml.bak"));
        assert!(wildcard_match(b"c?ll.[mn]ml", b"cell.nml"));
        assert!(!wildcard_match(b"[!c]*", b"cell"));
        assert!(wildcard_match(b"[a-d]*", b"cell"));
    }

    #[test]
    fn globs_expand_sorted_without_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.nml", "a.nml", ".hidden.nml", "c.xml"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(
            expand_glob(&dir.path().join("*.nml")),
            [dir.path().join("a.nml"), dir.path().join("b.nml")]
        );
        assert_eq!(
            expand_glob(&dir.path().join("c.xml")),
            [dir.path().join("c.xml")]
        );
        assert!(expand_glob(&dir.path().join("*.swc")).is_empty());
    }
}
