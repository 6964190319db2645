//! Engines whose target is a script run by the managed Python (PyNEST, Brian2, Arbor, MOOSE,
//! EDEN, NetPyNE, PyNN on its back-ends) or by a Python tool (pyLEMS, pyNeuroML).
//!
//! Each runs in the target's folder with OMV's arguments: `-nogui` for most, nothing for EDEN,
//! the back-end's name for PyNN scripts (`python run.py nest`).

use std::path::{Path, PathBuf};

use super::{Step, Tools};

fn file_name(target: &Path) -> Result<String, String> {
    target
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| format!("target {} has no usable file name", target.display()))
}

/// `python <t> <args…>` in the target's folder.
pub(super) fn script(
    target: &Path,
    dir: &Path,
    tools: &Tools,
    simulator: &str,
    args: &[&str],
) -> Result<Step, String> {
    let mut step =
        Step::new(&format!("simulate in {simulator}"), &tools.python, dir).arg(file_name(target)?);
    for a in args {
        step = step.arg(*a);
    }
    Ok(step)
}

/// `NetPyNE`: the model's mechanisms compiled as for NEURON, then `python <t> -nogui`; on
/// `ranks` MPI ranks (`NetPyNE_NP2`, ...), `mpiexec -np <ranks> nrniv -mpi <t> -nogui`, as OMV.
pub(super) fn netpyne(
    target: &Path,
    dir: &Path,
    tools: &Tools,
    ranks: Option<u32>,
) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = super::neuron::compile_model_mechanisms(dir, tools)
        .into_iter()
        .collect();
    steps.push(match ranks {
        None => script(target, dir, tools, "NetPyNE", &["-nogui"])?,
        Some(n) => super::mpi::nrniv(
            &format!("simulate in NetPyNE on {n} MPI ranks"),
            n,
            &file_name(target)?,
            &["-nogui"],
            dir,
            tools,
        ),
    });
    Ok(steps)
}

/// PyNN's NEURON back-end loads its own mechanisms (`pyNN/neuron/nmodl/*.mod`) from their
/// folder inside the installed package, compiled there. OMV compiles them once at installation;
/// crosscheck compiles them through the mechanism cache, so the NEURON version is part of the
/// key, and copies the result into that folder on first use (made under the cache entry's
/// lock, so jobs starting together never see a half-made copy; kept while it is current).
pub(super) fn pynn_mechanisms(tools: &Tools) -> Result<Step, String> {
    let nmodl: PathBuf = tools
        .site_packages
        .as_ref()
        .map(|s| s.join("pyNN/neuron/nmodl"))
        .ok_or(
            "PyNN is not installed in the managed environment (run `crosscheck install pynn`)",
        )?;
    let mut step = super::neuron::compile(&nmodl, &nmodl, tools);
    step.label = "nrnivmodl (PyNN's mechanisms)".into();
    Ok(step)
}

/// A PyNN script on one back-end: `python <t> <backend>`. On NEURON, PyNN's mechanisms and the
/// model's own (target folder, `modfiles/`, `mod_files/`, as OMV) are compiled first.
pub(super) fn pynn(
    target: &Path,
    dir: &Path,
    tools: &Tools,
    backend: &str,
) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    if backend == "neuron" {
        steps.push(pynn_mechanisms(tools)?);
        steps.extend(super::neuron::compile_model_mechanisms(dir, tools));
    }
    let label = match backend {
        "neuron" => "PyNN on NEURON",
        "nest" => "PyNN on NEST",
        "brian2" => "PyNN on Brian2",
        _ => "PyNN to NeuroML",
    };
    steps.push(script(target, dir, tools, label, &[backend])?);
    Ok(steps)
}

/// `pylems <t> -nogui`.
pub(super) fn pylems(target: &Path, dir: &Path, tools: &Tools) -> Result<Step, String> {
    Ok(
        Step::new("simulate in pyLEMS", tools.bin_dir.join("pylems"), dir)
            .arg(file_name(target)?)
            .arg("-nogui"),
    )
}

/// Unpacks the jar's `NeuroML2CoreTypes/` into `dest` unless there already; concurrent jobs
/// each unpack into a private folder and the first rename wins, so readers only ever see a
/// complete folder.
const UNPACK_CORE_TYPES: &str = r#"import os, shutil, sys, tempfile, zipfile
jar, dest = sys.argv[1], sys.argv[2]
if not os.path.isdir(dest):
    parent = os.path.dirname(dest)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent)
    with zipfile.ZipFile(jar) as z:
        for name in z.namelist():
            if name.startswith("NeuroML2CoreTypes/"):
                z.extract(name, tmp)
    try:
        os.rename(os.path.join(tmp, "NeuroML2CoreTypes"), dest)
    except OSError:
        if not os.path.isdir(dest):
            raise
    shutil.rmtree(tmp, ignore_errors=True)
"#;

/// `PyLEMS_NeuroML2`: `pylems -I <NeuroML2CoreTypes> <t> -nogui`. OMV clones the NeuroML2
/// repository from GitHub for the core types; crosscheck takes the very same files from the
/// jNeuroML jar it already has (no network), unpacked once per jNeuroML version under the home.
pub(super) fn pylems_neuroml2(
    target: &Path,
    dir: &Path,
    tools: &Tools,
) -> Result<Vec<Step>, String> {
    let jar = tools
        .jnml_jar
        .clone()
        .ok_or("the jNeuroML jar (for the NeuroML2 core types) is missing from the managed environment (run `crosscheck install pyneuroml`)")?;
    let version = tools.jnml_version().unwrap_or_else(|| "unknown".into());
    let core = tools.home.join("neuroml2-core-types").join(version);
    let unpack = Step::new("unpack the NeuroML2 core types", &tools.python, dir)
        .arg("-c")
        .arg(UNPACK_CORE_TYPES)
        .arg(jar)
        .arg(&core);
    let run = Step::new("simulate in pyLEMS", tools.bin_dir.join("pylems"), dir)
        .arg("-I")
        .arg(&core)
        .arg(file_name(target)?)
        .arg("-nogui");
    Ok(vec![unpack, run])
}

/// `pynml <t> -nogui`.
pub(super) fn pynml(target: &Path, dir: &Path, tools: &Tools) -> Result<Step, String> {
    Ok(
        Step::new("simulate with pyNeuroML", tools.bin_dir.join("pynml"), dir)
            .arg(file_name(target)?)
            .arg("-nogui"),
    )
}
