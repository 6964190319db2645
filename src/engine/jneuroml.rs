//! The jNeuroML family: run LEMS directly, or export to a simulator and run the export.
//!
//! The jar shipped inside pyNeuroML is called with `java -jar` directly: the `jnml` wrapper
//! costs about 1.2 s of start-up per run and adds nothing crosscheck needs.

use std::path::Path;

use super::{Step, Tools};

/// `java -Xmx… -Djava.awt.headless=true -jar <jar> <target> <args…>`, in the target's folder.
fn java_jar(
    label: &str,
    target: &Path,
    dir: &Path,
    tools: &Tools,
    args: &[&str],
) -> Result<Step, String> {
    let java = tools
        .java
        .clone()
        .ok_or("java is not on PATH (install a Java runtime, e.g. openjdk-17-jre-headless)")?;
    let jar = tools
        .jnml_jar
        .clone()
        .ok_or("the jNeuroML jar is missing from the managed environment (run `crosscheck install pyneuroml`)")?;
    let mut step = Step::new(label, java, dir)
        // Headless because CI has no display. The serial collector: jobs already run in
        // parallel, and the JVM's parallel GC threads would only compete with the other jobs
        // for the same cores (measured: slightly less CPU and wall time per job).
        .arg("-Xmx1G")
        .arg("-XX:+UseSerialGC")
        .arg("-Djava.awt.headless=true")
        .arg("-jar")
        .arg(jar)
        .arg(file_name(target)?);
    for a in args {
        step = step.arg(*a);
    }
    Ok(step)
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
    java_jar("simulate in jNeuroML", target, dir, tools, &["-nogui"])
}

/// Export, compile the generated mechanisms, run the generated script. NEURON loads compiled
/// mechanisms from the working directory, so all three run in the target's folder.
pub(crate) fn neuron(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    export_compile_run(target, dir, tools, "NEURON", "-neuron", "nrn")
}

/// NetPyNE runs on NEURON: the same export → nrnivmodl → run shape as [`neuron`].
pub(super) fn netpyne(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    export_compile_run(target, dir, tools, "NetPyNE", "-netpyne", "netpyne")
}

fn export_compile_run(
    target: &Path,
    dir: &Path,
    tools: &Tools,
    simulator: &str,
    export_flag: &str,
    suffix: &str,
) -> Result<Vec<Step>, String> {
    let export = java_jar(
        &format!("export to {simulator}"),
        target,
        dir,
        tools,
        &[export_flag, "-nogui"],
    )?;
    let mut compile = Step::new("nrnivmodl", tools.bin_dir.join("nrnivmodl"), dir);
    compile.only_if_mod_files_in = Some(dir.to_path_buf());
    let run = Step::new(&format!("simulate in {simulator}"), &tools.python, dir)
        .arg(exported_script(target, suffix)?)
        .arg("-nogui");
    Ok(vec![export, compile, run])
}

/// EDEN compiles its own code at run time; its exported script takes no `-nogui` (as in OMV).
pub(super) fn eden(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let export = java_jar("export to EDEN", target, dir, tools, &["-eden"])?;
    let run =
        Step::new("simulate in EDEN", &tools.python, dir).arg(exported_script(target, "eden")?);
    Ok(vec![export, run])
}

pub(crate) fn brian2(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let export = java_jar("export to Brian2", target, dir, tools, &["-brian2"])?;
    let run = Step::new("simulate in Brian2", &tools.python, dir)
        .arg(exported_script(target, "brian2")?)
        .arg("-nogui");
    Ok(vec![export, run])
}
