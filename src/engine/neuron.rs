//! NEURON: hoc models (`NEURON`), Python models run by `nrniv -python` (`PyNEURON`), and the
//! mechanism compilation every NEURON-based engine shares.
//!
//! As in OMV, the repository's `.mod` files are compiled with `nrnivmodl` before the model runs:
//! those in the target's folder, else those in its `modfiles/` or `mod_files/` subfolder. NEURON
//! loads compiled mechanisms from the working directory (`x86_64/.libs/libnrnmech.so`), so the
//! model runs in the target's folder, where crosscheck copies the compiled mechanisms from its
//! cache (see [`crate::mechanisms`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{Compile, Step, Tools};

/// The subfolders OMV looks in, in order, when the target's folder has no `.mod` file.
const MOD_SUBFOLDERS: &[&str] = &["modfiles", "mod_files"];

/// Where the `.mod` files of a model in `dir` are, as OMV looks for them: `dir` itself when it
/// has any, else the first of `modfiles/`, `mod_files/` that has any. `None`: nothing to compile.
pub fn mod_folder(dir: &Path) -> Option<PathBuf> {
    std::iter::once(dir.to_path_buf())
        .chain(MOD_SUBFOLDERS.iter().map(|s| dir.join(s)))
        .find(|d| crate::mechanisms::Sources::find(d).is_some())
}

/// What identifies the compiler in cache keys: NEURON's version and the `nrnivmodl` path.
fn compiler_id(tools: &Tools, nrnivmodl: &Path) -> String {
    format!(
        "NEURON {} ({})",
        tools.package_version("neuron").unwrap_or("unknown"),
        nrnivmodl.display()
    )
}

/// The `nrnivmodl` to run, with the variables it needs. NEURON's wheel installs a Python
/// wrapper as `bin/nrnivmodl` that sets NEURON's prefix and the compilers, runs the real script
/// (`neuron/.data/bin/nrnivmodl`), then replaces the `special` it built by a wrapper too. Its
/// Python start-up (it imports setuptools to find the compiler) costs 0.5-1.5 s of every
/// compilation; crosscheck sets the same variables and runs the script itself (the mechanism
/// library built is byte-identical; nothing crosscheck runs uses `special`). Without a wheel's
/// layout, the `nrnivmodl` on the environment's `bin`.
fn nrnivmodl(tools: &Tools) -> (PathBuf, Vec<(OsString, OsString)>) {
    let wheel = tools.site_packages.as_ref().map(|s| s.join("neuron"));
    let Some(package) = wheel.filter(|p| p.join(".data/bin/nrnivmodl").is_file()) else {
        return (tools.bin_dir.join("nrnivmodl"), Vec::new());
    };
    let prefix = package.join(".data");
    let mut env: Vec<(OsString, OsString)> = vec![
        ("NEURONHOME".into(), prefix.join("share/nrn").into()),
        ("NRNHOME".into(), prefix.clone().into()),
        ("CORENRNHOME".into(), prefix.clone().into()),
        ("NRN_PYTHONEXE".into(), tools.python.clone().into()),
        ("CORENRN_PYTHONEXE".into(), tools.python.clone().into()),
        ("NRNBIN".into(), package.clone().into()),
    ];
    if let Ok(perl) = which::which("perl") {
        env.push(("CORENRN_PERLEXE".into(), perl.into()));
    }
    // The wrapper only fills these in when unset, from Python's build configuration, which
    // names gcc and g++ on Linux.
    for (name, default) in [
        ("NMODLHOME", prefix.as_os_str()),
        ("CC", "gcc".as_ref()),
        ("CXX", "g++".as_ref()),
    ] {
        if std::env::var_os(name).is_none() {
            env.push((name.into(), default.to_os_string()));
        }
    }
    (prefix.join("bin/nrnivmodl"), env)
}

/// Compiles the `.mod` files of `sources` (through the mechanism cache) so that NEURON started in
/// `run_dir` loads them. The runner skips the step when `sources` holds no `.mod` file at the
/// time it runs (jNeuroML exports write theirs just before).
pub(crate) fn compile(sources: &Path, run_dir: &Path, tools: &Tools) -> Step {
    let (program, env) = nrnivmodl(tools);
    let compiler = compiler_id(tools, &program);
    let mut step = Step::new("nrnivmodl", program, run_dir);
    step.env = env;
    step.compile = Some(Compile {
        sources: sources.to_path_buf(),
        run_dir: run_dir.to_path_buf(),
        cache: tools.mechanism_cache.clone(),
        compiler,
    });
    step
}

/// The compilation OMV does before a NEURON model in `dir`: `nrnivmodl` on the folder
/// [`mod_folder`] finds, nothing when there is none.
pub(crate) fn compile_model_mechanisms(dir: &Path, tools: &Tools) -> Option<Step> {
    mod_folder(dir).map(|sources| compile(&sources, dir, tools))
}

fn file_name(target: &Path) -> Result<String, String> {
    target
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| format!("target {} has no usable file name", target.display()))
}

/// `NEURON`: compile, then `nrniv` reading `load_file("noload.hoc")` and `load_file("<t>")` from
/// its standard input, as OMV runs it. `noload.hoc` loads NEURON's standard library without the
/// GUI. Like OMV, a hoc error does not change nrniv's exit status (it reports the error and
/// reads on to the end of its input); the outputs the test reads then go stale and the test
/// fails on them.
pub(crate) fn hoc(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let name = file_name(target)?;
    if name.contains('"') {
        return Err(format!("target {name} has a quote in its name"));
    }
    let mut steps: Vec<Step> = compile_model_mechanisms(dir, tools).into_iter().collect();
    let mut run = Step::new("simulate in NEURON", tools.bin_dir.join("nrniv"), dir);
    run.stdin = Some(format!(
        "load_file(\"noload.hoc\")\nload_file(\"{name}\")\n"
    ));
    steps.push(run);
    Ok(steps)
}

/// `PyNEURON`: compile, then `nrniv -python <t> -nogui`.
pub(crate) fn python(target: &Path, dir: &Path, tools: &Tools) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = compile_model_mechanisms(dir, tools).into_iter().collect();
    steps.push(
        Step::new("simulate in NEURON", tools.bin_dir.join("nrniv"), dir)
            .arg("-python")
            .arg(file_name(target)?)
            .arg("-nogui"),
    );
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::tools;

    #[test]
    fn mod_files_are_found_where_omv_looks() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(mod_folder(d), None);
        std::fs::create_dir_all(d.join("mod_files")).unwrap();
        std::fs::write(d.join("mod_files/b.mod"), "").unwrap();
        assert_eq!(mod_folder(d), Some(d.join("mod_files")));
        std::fs::create_dir_all(d.join("modfiles")).unwrap();
        std::fs::write(d.join("modfiles/a.mod"), "").unwrap();
        assert_eq!(mod_folder(d), Some(d.join("modfiles")));
        std::fs::write(d.join("c.mod"), "").unwrap();
        assert_eq!(mod_folder(d), Some(d.to_path_buf()));
    }

    /// With NEURON's wheel installed, its `nrnivmodl` script runs directly, with the variables
    /// the wheel's Python wrapper would set.
    #[test]
    fn the_wheels_nrnivmodl_runs_without_its_python_wrapper() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site-packages");
        let script = site.join("neuron/.data/bin/nrnivmodl");
        std::fs::create_dir_all(script.parent().unwrap()).unwrap();
        std::fs::write(&script, "").unwrap();
        let mut tools = tools();
        tools.site_packages = Some(site.clone());
        let step = compile(dir.path(), dir.path(), &tools);
        assert_eq!(step.program, script);
        let var = |name: &str| {
            step.env
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| PathBuf::from(v))
        };
        let prefix = site.join("neuron/.data");
        assert_eq!(var("NRNHOME"), Some(prefix.clone()));
        assert_eq!(var("CORENRNHOME"), Some(prefix.clone()));
        assert_eq!(var("NEURONHOME"), Some(prefix.join("share/nrn")));
        assert_eq!(var("NRN_PYTHONEXE"), Some(tools.python.clone()));
        assert_eq!(var("NRNBIN"), Some(site.join("neuron")));
        let compiler = &step.compile.as_ref().unwrap().compiler;
        assert!(
            compiler.ends_with(&format!("({})", script.display())),
            "{compiler}"
        );
    }

    #[test]
    fn hoc_runs_nrniv_fed_from_stdin_after_compiling() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("modfiles")).unwrap();
        std::fs::write(d.join("modfiles/a.mod"), "").unwrap();
        let steps = hoc(&d.join("cell.hoc"), d, &tools()).unwrap();
        assert_eq!(steps.len(), 2);
        let compile = steps[0].compile.as_ref().unwrap();
        assert_eq!(compile.sources, d.join("modfiles"));
        assert_eq!(compile.run_dir, d);
        assert_eq!(compile.cache, Path::new("/h/mechanisms"));
        assert_eq!(compile.compiler, "NEURON 8.2.7 (/v/bin/nrnivmodl)");
        assert_eq!(steps[1].argv(), ["/v/bin/nrniv"]);
        assert_eq!(
            steps[1].stdin.as_deref(),
            Some("load_file(\"noload.hoc\")\nload_file(\"cell.hoc\")\n")
        );
        assert_eq!(steps[1].cwd, d);
    }

    #[test]
    fn pyneuron_without_mod_files_only_runs() {
        let dir = tempfile::tempdir().unwrap();
        let steps = python(&dir.path().join("run.py"), dir.path(), &tools()).unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(
            steps[0].argv(),
            ["/v/bin/nrniv", "-python", "run.py", "-nogui"]
        );
        assert!(steps[0].stdin.is_none());
    }
}
