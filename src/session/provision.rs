//! Provisioning a session's simulators: the managed environment's components the planned jobs
//! need (with visible progress), side-by-side environments for other versions
//! (`-e NEURON:9.0.2`), and the warm jNeuroML JVMs' driver.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Settings;
use crate::engine::Tools;
use crate::env::{Component, EnvError, ManagedEnv, ProgressSink};
use crate::exit::{error, Exit};
use crate::plan::{self, Job};

/// What provisioning a session's jobs gave.
#[derive(Debug)]
pub struct Provisioned {
    /// The pinned environment's tools.
    pub tools: Tools,
    /// Some job runs jNeuroML (so warm JVMs are worth starting).
    pub jneuroml: bool,
}

/// Installs what `jobs` need, checks that every engine they use is there, and points jobs on
/// other simulator versions at their side-by-side environments. Errors are printed; the exit
/// code says what went wrong (6: an engine is missing and cannot be installed).
pub fn for_jobs(settings: &Settings, jobs: &mut [Job]) -> Result<Provisioned, Exit> {
    let env = &settings.env;
    let used = plan::engines_used(jobs);
    let jneuroml = plan::uses_jneuroml(jobs);
    let mut components: Vec<Component> = used.iter().flat_map(|d| d.components()).collect();
    components.extend(
        plan::simulators_used(jobs)
            .iter()
            .flat_map(|s| crate::suite_job::components(*s).iter().copied()),
    );
    if jneuroml {
        components.push(Component::PyNeuroML);
    }
    components.sort();
    components.dedup();
    let tools = tokio::task::block_in_place(|| provision(env, &components, settings.offline))?;
    for def in &used {
        if let Some(m) = def.missing(env, &tools).first() {
            error(format!(
                "engine {} needs {}, which is missing (install: {})",
                def.name, m.what, m.how_to_install
            ));
            return Err(Exit::EngineUnavailable);
        }
    }
    if jneuroml && tools.java.is_none() {
        error("crosscheck suites on jNeuroML need java (a Java 11+ runtime; e.g. apt-get install openjdk-17-jre-headless)");
        return Err(Exit::EngineUnavailable);
    }
    // Simulator versions other than the pinned ones (`NEURON:9.0.2`): side-by-side environments.
    for (version, needed) in plan::versions_requested(jobs) {
        let versioned = env.versioned(version.0, &version.1);
        let state =
            tokio::task::block_in_place(|| provision(&versioned, &needed, settings.offline))?.state;
        let versioned_tools = Tools::discover_versioned(&versioned, state);
        plan::use_versioned_tools(jobs, &version, Arc::new(versioned_tools));
    }
    plan::fill_versions(jobs, &tools);
    Ok(Provisioned {
        jneuroml: components.contains(&Component::PyNeuroML),
        tools,
    })
}

/// A progress display for provisioning: a spinner on a terminal, plain lines in CI logs.
struct ProvisionProgress {
    bar: ProgressBar,
}

impl ProvisionProgress {
    fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(150));
        ProvisionProgress { bar }
    }
}

impl ProgressSink for ProvisionProgress {
    fn stage(&self, message: &str) {
        let line = format!("crosscheck: {message}");
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
            self.bar.set_message(message.to_string());
        }
    }

    fn line(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("  {line}");
        } else {
            self.bar.set_message(line.to_string());
        }
    }
}

impl Drop for ProvisionProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Installs `components`, turning failures into exit code 6 with the reason.
pub fn provision(env: &ManagedEnv, components: &[Component], offline: bool) -> Result<Tools, Exit> {
    let progress = ProvisionProgress::new();
    let state = env.ensure(components, offline, &progress).map_err(|e| {
        progress.bar.finish_and_clear();
        match e {
            EnvError::Offline(..) => error(e),
            other => error(format!(
                "provisioning the managed environment failed: {other}"
            )),
        }
        Exit::EngineUnavailable
    })?;
    Ok(Tools::discover(env, state))
}

/// The warm jNeuroML JVMs of a run, their driver built first if needed; `None` (with a note
/// saying why) when it cannot be built here: every jNeuroML command then runs in a fresh JVM.
pub fn warm_jvms(env: &ManagedEnv, tools: &Tools) -> Option<Arc<crate::jvm::WarmJvms>> {
    let launch = build_jvm_driver(env, tools)?;
    let root = env.work_root().join(format!("jvm-{}", std::process::id()));
    Some(Arc::new(crate::jvm::WarmJvms::new(launch, root)))
}

/// Builds the warm jNeuroML worker's driver unless built already; `None` with a note when it
/// cannot be built (or the environment has no Java or jNeuroML).
pub fn build_jvm_driver(env: &ManagedEnv, tools: &Tools) -> Option<crate::jvm::Launch> {
    let built = crate::jvm::launch(env, tools, || {
        eprintln!("crosscheck: building the warm jNeuroML worker (javac, cc; once)");
    });
    match built {
        Ok(launch) => launch,
        Err(e) => {
            eprintln!(
                "note: warm jNeuroML JVMs are off: {e}; every jNeuroML command runs in a fresh JVM"
            );
            None
        }
    }
}
