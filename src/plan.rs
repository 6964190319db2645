//! From test files to jobs: discovery, loading, engine filters, and what each job copies.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::{self, EngineDef, Tools};
use crate::env::Component;
use crate::suite::boundary::{git_toplevel, Boundary};
use crate::suite::discover::{discover, DiscoverError, DiscoveredFile, TestFileKind};
use crate::suite::native::{load_suite_within, NativeSuite, Simulator};
use crate::suite::{omv, EngineRequest, LoadError, TestCase};
use crate::suite_job::SuiteJob;

/// A test file that could not be loaded, with every problem found in it.
#[derive(Debug)]
pub struct InvalidFile {
    /// The test file (`.omt` or `*.crosscheck.yaml`) as discovery found it.
    pub file: DiscoveredFile,
    /// Every load error in it, not only the first.
    pub errors: Vec<LoadError>,
}

/// Everything found under the given paths.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Valid tests, each with the directory its jobs copy.
    pub tests: Vec<(Arc<TestCase>, PathBuf)>,
    /// Valid crosscheck suites (`*.crosscheck.yaml`), with the file they came from.
    pub suites: Vec<(Arc<NativeSuite>, DiscoveredFile)>,
    /// Test files that could not be loaded, reported as errors rather than run.
    pub invalid: Vec<InvalidFile>,
}

impl Loaded {
    /// Nothing was found: no tests, no suites, not even an invalid file.
    pub fn is_empty(&self) -> bool {
        self.tests.is_empty() && self.suites.is_empty() && self.invalid.is_empty()
    }
}

/// Finds and loads every test file under `paths`.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, DiscoverError> {
    load_bounded(paths, true)
}

/// [`load`], refusing (as invalid test files) paths that leave the repository being tested
/// unless `allow_outside` (see [`Boundary`]).
pub fn load_bounded(paths: &[PathBuf], allow_outside: bool) -> Result<Loaded, DiscoverError> {
    let mut loaded = Loaded::default();
    for file in discover(paths)? {
        let boundary = if allow_outside {
            Boundary::anywhere()
        } else {
            Boundary::for_test_file(&file.path, &file.root)
        };
        match file.kind {
            TestFileKind::Omv => match omv::load_omt_within(&file.path, file.id.clone(), &boundary)
            {
                Ok(test) => {
                    let mut root = copy_root(&test, &file.root);
                    // Includes of the targets widen the copy; never past the boundary.
                    if let Some(limit) = boundary.root() {
                        if !root.starts_with(limit) {
                            root = limit.to_path_buf();
                        }
                    }
                    loaded.tests.push((Arc::new(test), root));
                }
                Err(errors) => loaded.invalid.push(InvalidFile { file, errors }),
            },
            TestFileKind::Native => match load_suite_within(&file.path, &boundary) {
                Ok(suite) => loaded.suites.push((Arc::new(suite), file)),
                Err(errors) => loaded.invalid.push(InvalidFile { file, errors }),
            },
        }
    }
    Ok(loaded)
}

/// The directory a job copies: the enclosing git repository when there is one (models include
/// files from anywhere in their repository), else the directory the test was discovered under;
/// widened, if needed, to contain every file the test names and every file its LEMS/NeuroML
/// targets include.
pub fn copy_root(test: &TestCase, discovered_under: &Path) -> PathBuf {
    let mut root =
        git_toplevel(&test.location.file).unwrap_or_else(|| discovered_under.to_path_buf());
    let mut paths = test.referenced_paths();
    paths.extend(included_files(&test.targets));
    for path in paths {
        while !path.starts_with(&root) {
            match root.parent() {
                Some(parent) => root = parent.to_path_buf(),
                None => break,
            }
        }
    }
    root
}

/// Files that LEMS (`<Include file="…">`) and NeuroML (`<include href="…">`) targets include,
/// followed recursively. Includes that do not exist as files are left out: LEMS resolves core
/// type names such as `Cells.xml` from the jar itself.
pub fn included_files(targets: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut pending: Vec<PathBuf> = targets.to_vec();
    // A bound on the walk, against include cycles and huge model trees.
    while let Some(file) = pending.pop() {
        if found.len() > 10_000 {
            break;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Some(dir) = file.parent() else { continue };
        for reference in include_references(&text) {
            let path = crate::fsutil::normalize_lexically(&dir.join(reference));
            if path.is_file() && !found.contains(&path) {
                found.push(path.clone());
                pending.push(path);
            }
        }
    }
    found
}

/// The `file`/`href` values of `<Include …>`/`<include …>` elements.
fn include_references(xml: &str) -> Vec<&str> {
    let mut references = Vec::new();
    let mut rest = xml;
    let next = |text: &str| match (text.find("<Include"), text.find("<include")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    while let Some(start) = next(rest) {
        let element = &rest[start..];
        let end = element.find('>').unwrap_or(element.len());
        let tag = &element[..end];
        for attribute in ["file=\"", "href=\""] {
            if let Some(at) = tag.find(attribute) {
                let value = &tag[at + attribute.len()..];
                if let Some(close) = value.find('"') {
                    references.push(&value[..close]);
                }
            }
        }
        rest = &element[end..];
    }
    references
}

/// How a job's engine will be handled.
#[derive(Debug, Clone)]
pub enum JobEngine {
    /// Run on this engine.
    Run(&'static EngineDef),
    /// A valid engine name crosscheck cannot run (yet); the reason says what to do.
    Skip(String),
    /// As `Skip`, under `--require-all`: the job is an error with the reason.
    Refuse(String),
}

/// `--require-all`: every job that would be skipped because its engine cannot run here becomes
/// an error instead. Returns how many.
pub fn require_all(jobs: &mut [Job]) -> usize {
    let mut refused = 0;
    for job in jobs {
        if let Work::Omv(omv) = &mut job.work {
            if let JobEngine::Skip(reason) = &omv.engine {
                omv.engine = JobEngine::Refuse(format!("{reason} [--require-all]"));
                refused += 1;
            }
        }
    }
    refused
}

/// What a job does.
#[derive(Debug, Clone)]
pub enum Work {
    /// An OMV test on one engine.
    Omv(OmvJob),
    /// A crosscheck suite on one simulator (at one sweep point).
    Suite(SuiteJob),
}

/// An OMV test (one `.omt`) on its engine.
#[derive(Debug, Clone)]
pub struct OmvJob {
    /// The loaded `.omt`, with its `.mep` experiments and engine (at a requested version,
    /// for an `--engine NAME:VERSION` filter).
    pub test: Arc<TestCase>,
    /// Whether the engine runs, or why the job is skipped or refused.
    pub engine: JobEngine,
    /// A simulator version other than the pinned one (`NEURON:9.0.2`): the component and
    /// version its side-by-side environment holds.
    pub version: Option<(Component, String)>,
    /// That environment's tools, once provisioned; `None`: the run's tools.
    pub tools: Option<Arc<Tools>>,
    /// Directory copied into the job's working directory.
    pub root: PathBuf,
}

/// One test on one engine: the unit of scheduling and of results.
#[derive(Debug, Clone)]
pub struct Job {
    /// Position in the run's job list (renumbered after partitioning and for `bless`): keys
    /// the job's results and recordings and prefixes its working directory (`0007-<id>`).
    pub index: usize,
    /// The test or suite run, and on which engine.
    pub work: Work,
    /// Exact engine version, filled in once the environment is known.
    pub engine_version: Option<String>,
}

impl Job {
    /// The test file's id: its path relative to where it was discovered.
    pub fn id(&self) -> &str {
        match &self.work {
            Work::Omv(j) => &j.test.id,
            Work::Suite(j) => &j.id,
        }
    }

    /// The engine as reports name it: the OMV engine (`jNeuroML_NEURON`, with `:VERSION`
    /// when one was asked for) or the suite's simulator (`NEST`).
    pub fn engine_label(&self) -> String {
        match &self.work {
            Work::Omv(j) => j.test.engine.to_string(),
            Work::Suite(j) => match &j.requested_version {
                Some(version) => format!("{}:{version}", j.simulator.name()),
                None => j.simulator.name().to_string(),
            },
        }
    }

    /// Where the test is defined.
    pub fn location(&self) -> (PathBuf, usize) {
        match &self.work {
            Work::Omv(j) => (j.test.location.file.clone(), j.test.location.line),
            Work::Suite(j) => (j.file.clone(), j.suite.location.line),
        }
    }

    /// The CPUs the job keeps busy while it runs (its engine's MPI ranks; 1 for the rest,
    /// crosscheck suites and jobs that will not run included).
    pub fn cpus(&self) -> u32 {
        match &self.work {
            Work::Omv(OmvJob {
                engine: JobEngine::Run(engine),
                ..
            }) => engine.cpus(),
            // NEST's threads (the other simulators run single-threaded).
            Work::Suite(job) if job.simulator == Simulator::Nest => job.suite.simulation.threads,
            _ => 1,
        }
    }

    /// The target(s), relative to the copied root: what a person calls "the model".
    pub fn model(&self) -> String {
        let j = match &self.work {
            Work::Omv(j) => j,
            Work::Suite(j) => return j.label(),
        };
        j.test
            .targets
            .iter()
            .map(|t| t.strip_prefix(&j.root).unwrap_or(t).display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// An `--engine` filter naming no engine at all.
#[derive(Debug, thiserror::Error)]
#[error("unknown engine `{name}`{}", .suggestion.map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
pub struct UnknownEngine {
    /// The engine name as given, without its `:VERSION`.
    pub name: String,
    /// The nearest known engine name, if one is close enough.
    pub suggestion: Option<&'static str>,
}

/// Parses and checks `--engine` values.
pub fn engine_filters(values: &[String]) -> Result<Vec<EngineRequest>, UnknownEngine> {
    values
        .iter()
        .map(|v| {
            let request = EngineRequest::parse(v);
            if engine::is_known_name(&request.name) {
                Ok(request)
            } else {
                Err(UnknownEngine {
                    suggestion: engine::suggest(&request.name),
                    name: request.name,
                })
            }
        })
        .collect()
}

fn matches(filters: &[EngineRequest], engine: &EngineRequest) -> bool {
    filters.is_empty()
        || filters
            .iter()
            .any(|f| f.name == engine.name && (f.version.is_none() || f.version == engine.version))
}

/// `test` once per way the filters select it: as written when a filter names its engine (or
/// there are no filters); and, for a test whose engine has no version, once more per filter
/// naming that engine at a version (`--engine NEURON:8.2.7 --engine NEURON:9.0.2` runs an
/// `engine: NEURON` test on both versions, reported as two engines).
fn at_requested_versions(filters: &[EngineRequest], test: &Arc<TestCase>) -> Vec<Arc<TestCase>> {
    let mut selected = Vec::new();
    if matches(filters, &test.engine) {
        selected.push(test.clone());
    }
    if test.engine.version.is_none() {
        for filter in filters {
            if filter.name == test.engine.name && filter.version.is_some() {
                let mut versioned = (**test).clone();
                versioned.engine = filter.clone();
                selected.push(Arc::new(versioned));
            }
        }
    }
    selected
}

/// The versions a suite runs `simulator` at under `filters`: `None` (the pinned one, unnamed)
/// when there are no filters or one names the simulator without a version; then each version
/// a filter names (`-e NEURON:8.2.7 -e NEURON:9.0.2` runs the suite's NEURON jobs twice,
/// reported as two engines). jNeuroML runs at its pinned version only, so a filter
/// naming a version of it selects nothing.
fn suite_versions(filters: &[EngineRequest], simulator: Simulator) -> Vec<Option<String>> {
    if filters.is_empty() {
        return vec![None];
    }
    let mut versions = Vec::new();
    for filter in filters.iter().filter(|f| f.name == simulator.name()) {
        let wanted = match &filter.version {
            Some(_) if crate::suite_job::versioned_component(simulator).is_none() => continue,
            version => version.clone(),
        };
        // The same version twice runs twice, as for OMV tests (`diff -e X:V --against X:V`
        // compares two runs of one version); the unversioned simulator once.
        if wanted.is_some() || !versions.contains(&wanted) {
            versions.push(wanted);
        }
    }
    versions
}

/// One job per test whose engine passes the filters, in discovery order; then one per
/// crosscheck suite × simulator × sweep point.
pub fn plan(loaded: &Loaded, filters: &[EngineRequest]) -> Vec<Job> {
    let mut work: Vec<Work> = loaded
        .tests
        .iter()
        .flat_map(|(test, root)| {
            at_requested_versions(filters, test)
                .into_iter()
                .map(move |test| (test, root))
        })
        .map(|(test, root)| {
            let engine = match engine::lookup(&test.engine.name) {
                Some(def)
                    if def.versioned_component().is_none()
                        && test
                            .engine
                            .version
                            .as_deref()
                            .is_some_and(|v| !def.runs_version(v)) =>
                {
                    JobEngine::Skip(format!(
                        "{} asked for; crosscheck runs {} only at the version it pins (its simulator has no separate version)",
                        test.engine, def.name
                    ))
                }
                Some(def) => JobEngine::Run(def),
                None => JobEngine::Skip(match engine::unavailable(&test.engine.name) {
                    Some(why) => format!(
                        "{} cannot be provisioned here: {} (to run it: {})",
                        test.engine.name, why.reason, why.how_to_install
                    ),
                    None => format!("crosscheck cannot run the {} engine", test.engine.name),
                }),
            };
            let version = match (&engine, &test.engine.version) {
                (JobEngine::Run(def), Some(v)) if !def.runs_version(v) => {
                    def.versioned_component().map(|c| (c, v.clone()))
                }
                _ => None,
            };
            Work::Omv(OmvJob {
                test: test.clone(),
                engine,
                version,
                tools: None,
                root: root.clone(),
            })
        })
        .collect();
    for (suite, file) in &loaded.suites {
        let points: Vec<Option<usize>> = match &suite.sweep {
            Some(sweep) => (0..sweep.values.len()).map(Some).collect(),
            None => vec![None],
        };
        for simulator in &suite.engines {
            for requested_version in suite_versions(filters, *simulator) {
                // A version other than the pinned one runs in its side-by-side environment.
                let version = requested_version.as_ref().and_then(|v| {
                    let component = crate::suite_job::versioned_component(*simulator)?;
                    (component.pinned_version() != Some(v.as_str())).then(|| (component, v.clone()))
                });
                for point in &points {
                    work.push(Work::Suite(SuiteJob {
                        suite: suite.clone(),
                        id: file.id.clone(),
                        file: file.path.clone(),
                        simulator: *simulator,
                        point: *point,
                        seed: None,
                        requested_version: requested_version.clone(),
                        version: version.clone(),
                        tools: None,
                    }));
                }
            }
        }
    }
    work.into_iter()
        .enumerate()
        .map(|(index, work)| Job {
            index,
            work,
            engine_version: None,
        })
        .collect()
}

/// The calibration runs `bless` adds for suites with a `distributions` check: their
/// reference engine's job again at each of the check's seeds, numbered after `jobs`.
pub fn calibration_jobs(jobs: &[Job]) -> Vec<Job> {
    let mut extra = Vec::new();
    for job in jobs {
        let Work::Suite(native) = &job.work else {
            continue;
        };
        let Some(check) = &native.suite.checks.distributions else {
            continue;
        };
        if native.simulator != check.reference || native.seed.is_some() {
            continue;
        }
        for seed in &check.seeds {
            extra.push(Job {
                index: jobs.len() + extra.len(),
                work: Work::Suite(SuiteJob {
                    seed: Some(*seed),
                    ..native.clone()
                }),
                engine_version: None,
            });
        }
    }
    extra
}

/// Suites whose `distributions` check calibrates on an engine these jobs do not run (a
/// `bless -e` of other engines): `(suite, reference engine)`, each once. Their calibration is
/// left as it is, and `bless` says so rather than skipping it silently.
pub fn uncalibrated_suites(jobs: &[Job]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for job in jobs {
        let Work::Suite(native) = &job.work else {
            continue;
        };
        let Some(check) = &native.suite.checks.distributions else {
            continue;
        };
        let calibrated = jobs.iter().any(|other| {
            matches!(&other.work, Work::Suite(n) if n.file == native.file && n.simulator == check.reference)
        });
        let entry = (native.suite.name.to_string(), check.reference.name());
        if !calibrated && !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// The runnable OMV engines used by `jobs`, each once.
pub fn engines_used(jobs: &[Job]) -> Vec<&'static EngineDef> {
    let mut used: Vec<&'static EngineDef> = Vec::new();
    for job in jobs {
        if let Work::Omv(OmvJob {
            engine: JobEngine::Run(def),
            ..
        }) = &job.work
        {
            if !used.iter().any(|u| u.name == def.name) {
                used.push(def);
            }
        }
    }
    used
}

/// The simulators crosscheck suites in `jobs` run on, each once.
pub fn simulators_used(jobs: &[Job]) -> Vec<Simulator> {
    let mut used = Vec::new();
    for job in jobs {
        if let Work::Suite(native) = &job.work {
            if !used.contains(&native.simulator) {
                used.push(native.simulator);
            }
        }
    }
    used
}

/// Whether any job runs a NeuroML model through jNeuroML's toolchain (jNeuroML itself or its
/// NEURON/Brian2 exports), which needs java and the jNeuroML jar whatever the simulator.
pub fn uses_jneuroml(jobs: &[Job]) -> bool {
    jobs.iter().any(|job| match &job.work {
        Work::Suite(native) => {
            matches!(
                native.simulator,
                Simulator::JNeuroML | Simulator::JNeuroMLNeuron
            ) || crate::codegen::neuroml::runs_neuroml_file(&native.suite, native.simulator)
        }
        Work::Omv(_) => false,
    })
}

/// The simulator versions other than the pinned ones that jobs ask for, each once, with the
/// components their engines need in that version's side-by-side environment.
pub fn versions_requested(jobs: &[Job]) -> Vec<((Component, String), Vec<Component>)> {
    let mut requested: Vec<((Component, String), Vec<Component>)> = Vec::new();
    for job in jobs {
        let (version, components): (_, Vec<Component>) = match &job.work {
            Work::Omv(OmvJob {
                engine: JobEngine::Run(def),
                version: Some(version),
                ..
            }) => (version, def.components().collect()),
            Work::Suite(
                suite @ SuiteJob {
                    version: Some(version),
                    ..
                },
            ) => {
                let mut components = crate::suite_job::components(suite.simulator).to_vec();
                // A suite whose model is a NeuroML file runs jNeuroML's export first.
                if crate::codegen::neuroml::runs_neuroml_file(&suite.suite, suite.simulator) {
                    components.push(Component::PyNeuroML);
                }
                (version, components)
            }
            _ => continue,
        };
        let index = match requested.iter().position(|(v, _)| v == version) {
            Some(i) => i,
            None => {
                requested.push((version.clone(), Vec::new()));
                requested.len() - 1
            }
        };
        let needed = &mut requested[index].1;
        for component in components {
            if !needed.contains(&component) {
                needed.push(component);
            }
        }
    }
    requested
}

/// Gives the jobs asking for `version` the tools of its side-by-side environment.
pub fn use_versioned_tools(jobs: &mut [Job], version: &(Component, String), tools: Arc<Tools>) {
    for job in jobs {
        let (job_version, job_tools) = match &mut job.work {
            Work::Omv(omv) => (&omv.version, &mut omv.tools),
            Work::Suite(suite) => (&suite.version, &mut suite.tools),
        };
        if job_version.as_ref() == Some(version) {
            *job_tools = Some(tools.clone());
        }
    }
}

/// Records the exact engine versions on the jobs.
pub fn fill_versions(jobs: &mut [Job], tools: &Tools) {
    for job in jobs {
        job.engine_version = match &job.work {
            Work::Omv(OmvJob {
                engine: JobEngine::Run(def),
                tools: job_tools,
                ..
            }) => def.version(job_tools.as_deref().unwrap_or(tools)),
            Work::Omv(_) => None,
            Work::Suite(native) => {
                // A job on another version of its simulator reports that environment's.
                let tools = native.tools.as_deref().unwrap_or(tools);
                let version = crate::suite_job::version(native.simulator, tools);
                // NEURON and Brian2 may run jNeuroML's export of a NeuroML model: both matter.
                let exported = native.simulator != Simulator::JNeuroML
                    && crate::codegen::neuroml::runs_neuroml_file(&native.suite, native.simulator);
                match exported {
                    true => version.map(|v| {
                        let jnml = crate::suite_job::version(Simulator::JNeuroML, tools)
                            .unwrap_or_else(|| "jNeuroML ?".into());
                        format!("{v} (exported by {jnml})")
                    }),
                    false => version,
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NEST job of a suite asking for threads holds that many CPUs; its other engines one;
    /// the generated PyNEST code asks NEST for them.
    #[test]
    fn nest_threads_are_declared_cpus() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("t.crosscheck.yaml"),
            "suite: t\nsimulation: {duration: 10 ms, threads: 3}\n\
             populations:\n  p: {cell: lif_curr_exp, size: 2}\n\
             record:\n  - {population: p, variables: [spikes]}\n\
             checks: {agreement: {spikes: {window: 1 ms}}}\n",
        )
        .unwrap();
        let loaded = load(&[dir.path().to_path_buf()]).unwrap();
        assert!(loaded.invalid.is_empty(), "{:?}", loaded.invalid);
        let jobs = plan(&loaded, &[]);
        let cpus: Vec<(String, u32)> = jobs.iter().map(|j| (j.engine_label(), j.cpus())).collect();
        assert!(cpus.contains(&("NEST".into(), 3)), "{cpus:?}");
        assert!(
            cpus.iter()
                .filter(|(e, _)| e != "NEST")
                .all(|(_, c)| *c == 1),
            "{cpus:?}"
        );
        let Work::Suite(nest) = &jobs.iter().find(|j| j.cpus() == 3).unwrap().work else {
            panic!("a suite job")
        };
        let out = tempfile::tempdir().unwrap();
        let generated = crate::codegen::generate(&nest.suite, Simulator::Nest, out.path()).unwrap();
        let code = std::fs::read_to_string(out.path().join(generated.script)).unwrap();
        assert!(code.contains("\"local_num_threads\": 3"), "{code}");
        // Out of range is a load error at the value.
        for bad in ["0", "65", "1.5"] {
            std::fs::write(
                dir.path().join("t.crosscheck.yaml"),
                format!(
                    "suite: t\nsimulation: {{duration: 10 ms, threads: {bad}}}\n\
                     populations:\n  p: {{cell: lif_curr_exp, size: 2}}\n\
                     record:\n  - {{population: p, variables: [spikes]}}\n\
                     checks: {{agreement: {{spikes: {{window: 1 ms}}}}}}\n"
                ),
            )
            .unwrap();
            let loaded = load(&[dir.path().to_path_buf()]).unwrap();
            let errors = &loaded.invalid[0].errors;
            assert!(
                errors[0].message.contains("threads") && errors[0].location.line == 2,
                "{bad}: {errors:?}"
            );
        }
    }

    /// Blessing other engines than a suite's calibration engine names the suite.
    #[test]
    fn suites_whose_calibration_engine_is_not_run_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("net.crosscheck.yaml"),
            "suite: net\nengines: [NEST, Brian2]\nsimulation: {duration: 100 ms}\n\
             populations:\n  p: {cell: lif_delta, size: 10}\n\
             record:\n  - {population: p, variables: [spikes]}\n\
             checks: {distributions: {reference: NEST, seeds: [2], statistics: [rate]}}\n",
        )
        .unwrap();
        let loaded = load(&[dir.path().to_path_buf()]).unwrap();
        assert!(loaded.invalid.is_empty(), "{:?}", loaded.invalid);
        let jobs = plan(&loaded, &[]);
        assert!(uncalibrated_suites(&jobs).is_empty());
        let brian2_only: Vec<Job> = jobs
            .into_iter()
            .filter(|j| j.engine_label() == "Brian2")
            .collect();
        assert_eq!(
            uncalibrated_suites(&brian2_only),
            vec![("net".to_string(), "NEST")]
        );
    }

    #[test]
    fn finds_lems_and_neuroml_includes_recursively() {
        let dir = tempfile::tempdir().unwrap();
        let models = dir.path().join("repo/models");
        let shared = dir.path().join("repo/shared");
        std::fs::create_dir_all(&models).unwrap();
        std::fs::create_dir_all(&shared).unwrap();
        std::fs::write(
            models.join("LEMS_a.xml"),
            "<Lems>\n<Include file=\"Cells.xml\"/>\n<Include file=\"../shared/cell.nml\"/>\n</Lems>",
        )
        .unwrap();
        std::fs::write(
            shared.join("cell.nml"),
            "<Lems><include href=\"chan.nml\"/><Include file=\"cell.nml\"/></Lems>",
        )
        .unwrap();
        std::fs::write(shared.join("chan.nml"), "<neuroml/>").unwrap();
        let found = included_files(&[models.join("LEMS_a.xml")]);
        assert_eq!(found, [shared.join("cell.nml"), shared.join("chan.nml")]);
    }

    #[test]
    fn versioned_filters_run_an_unversioned_test_once_per_version() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cell.hoc"), "").unwrap();
        std::fs::write(
            dir.path().join(".test.cell.omt"),
            "target: cell.hoc\nengine: NEURON\n",
        )
        .unwrap();
        let loaded = load(&[dir.path().to_path_buf()]).unwrap();
        let labels = |filters: &[&str]| -> Vec<String> {
            let filters: Vec<EngineRequest> =
                filters.iter().map(|f| EngineRequest::parse(f)).collect();
            plan(&loaded, &filters)
                .iter()
                .map(|j| j.engine_label())
                .collect()
        };
        assert_eq!(labels(&[]), ["NEURON"]);
        assert_eq!(labels(&["NEURON"]), ["NEURON"]);
        assert_eq!(
            labels(&["NEURON:8.2.7", "NEURON:9.0.2"]),
            ["NEURON:8.2.7", "NEURON:9.0.2"]
        );
        assert_eq!(
            labels(&["NEURON", "NEURON:9.0.2"]),
            ["NEURON", "NEURON:9.0.2"]
        );
        assert!(labels(&["PyNEST:3.10.0"]).is_empty());
        let jobs = plan(&loaded, &[EngineRequest::parse("NEURON:9.0.2")]);
        let Work::Omv(omv) = &jobs[0].work else {
            panic!()
        };
        assert_eq!(
            omv.version,
            Some((Component::Neuron, "9.0.2".to_string())),
            "a side-by-side NEURON 9.0.2"
        );
        let jobs = plan(&loaded, &[EngineRequest::parse("NEURON:8.2.7")]);
        let Work::Omv(omv) = &jobs[0].work else {
            panic!()
        };
        assert_eq!(
            omv.version, None,
            "the pinned version runs in the main environment"
        );
    }

    #[test]
    fn versioned_filters_run_a_suite_once_per_version_named() {
        let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("suites/native/hh_step.crosscheck.yaml");
        let loaded = load(&[suite]).unwrap();
        let jobs = |filters: &[&str]| -> Vec<Job> {
            let filters: Vec<EngineRequest> =
                filters.iter().map(|f| EngineRequest::parse(f)).collect();
            plan(&loaded, &filters)
        };
        let labels = |filters: &[&str]| -> Vec<String> {
            jobs(filters).iter().map(|j| j.engine_label()).collect()
        };
        assert_eq!(
            labels(&["NEURON:8.2.7", "NEURON:9.0.2"]),
            ["NEURON:8.2.7", "NEURON:9.0.2"]
        );
        assert_eq!(labels(&["NEURON:8.2.7", "NEURON:8.2.7"]).len(), 2);
        assert_eq!(labels(&["NEURON", "NEURON"]), ["NEURON"]);
        assert!(
            labels(&["jNeuroML:0.14.0"]).is_empty(),
            "jNeuroML has one version"
        );
        let planned = jobs(&["NEURON:8.2.7", "NEURON:9.0.2"]);
        let versions: Vec<_> = planned
            .iter()
            .map(|j| match &j.work {
                Work::Suite(s) => s.version.clone(),
                Work::Omv(_) => panic!("not a suite job"),
            })
            .collect();
        assert_eq!(
            versions,
            [None, Some((Component::Neuron, "9.0.2".to_string()))],
            "8.2.7 is the pinned NEURON; 9.0.2 runs side by side"
        );
        let requested = versions_requested(&planned);
        assert_eq!(requested.len(), 1);
        assert_eq!(requested[0].1, [Component::Neuron]);
    }
}
