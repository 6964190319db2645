//! Command-line interface: clap arguments in, calls into the library, documented exit codes out.
//!
//! `run` and `bless` check their arguments, load the test files and hand them to a session
//! ([`crate::session`]), which plans, provisions, runs, judges and reports. The other commands
//! are small enough to live here.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::engine::{self, Need, Tools};
use crate::env::{Component, ManagedEnv};
use crate::exit::error;
pub use crate::exit::Exit;
use crate::plan::{self, Job, Loaded};
use crate::report::{self, terminal};
use crate::results::RunReport;
use crate::session::{self, provision, Mode, Outputs, Settings};

const AFTER_HELP: &str = "\
Exit codes:
  0    every job passed (or was skipped)
  1    at least one job failed, errored or timed out, or engines disagreed
  2    usage error (bad option, unknown engine name, path that does not exist)
  3    a report could not be written: the --html folder (or `report -o`) is a
       file, is not writable, or holds files the report did not write (nothing
       was run), or writing the JSON, JUnit or HTML failed (the others are kept)
  4    no test files found
  5    at least one test file is invalid (the others still run)
  6    a needed engine is missing and could not be installed (with --require-all:
       also a test whose engine cannot be provisioned here)
  130  interrupted (Ctrl-C or SIGTERM); partial results are still written

Environment:
  CROSSCHECK_HOME    where the managed simulator environment lives (default: ./.crosscheck)
  CROSSCHECK_PYTHON  the Python used to create it (default: python3.11, else python3)";

/// Run the same neuroscience model on several simulators and check that they all still behave
/// as expected. Reads Open Source Brain OMV test files (`.test.*.omt` + `.mep`) unchanged.
#[derive(Debug, Parser)]
#[command(name = "crosscheck", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Discover tests under the paths and run them on their engines.
    Run(RunArgs),
    /// Run crosscheck suites and record their recordings as reference data (the only command
    /// that writes reference data). Shows what changed; refuses if any job errored.
    Bless(RunArgs),
    /// Show the plan (test × engine) without running anything.
    List(SelectArgs),
    /// Merge the JSON results of shards (`run --partition`) into one set of reports. Exits 1
    /// when the merged results hold a failure, 2 when the shards cannot be merged (unreadable,
    /// or overlapping: a test in two shards).
    Merge(MergeArgs),
    /// Spread a run over a Slurm cluster: `slurm emit` writes a reviewable script (a job array
    /// of shards, then a merge job that waits for them). crosscheck never submits it itself.
    #[command(subcommand)]
    Slurm(SlurmCommand),
    /// Show each engine: available or not, version, executable, how to install it.
    Engines(HomeArgs),
    /// Install engines (or components: pyneuroml, neuron, nest, brian2, eden, netpyne, pynn,
    /// pylems, arbor, moose, mpi) into the managed environment. Without arguments, installs the four required simulators
    /// (pyneuroml, neuron, nest, brian2).
    Install(InstallArgs),
    /// Strictly check test files (.omt with their .mep, and crosscheck suites
    /// `*.crosscheck.yaml`) without running anything.
    Validate(PathsArgs),
    /// Print the JSON Schema of the crosscheck suite format (for editors).
    Schema,
    /// Render the HTML report of saved results (`run --json FILE`), e.g. of a CI shard.
    Report(ReportArgs),
    /// Run every test on two versions of a simulator and compare every output both runs
    /// write (no `.mep` needed): identical files by hash, then per column the largest
    /// difference and where the traces part first, per cell the spike counts and the first
    /// differing spike. `--engine NEURON:8.2.7 --against NEURON:9.0.2` runs every test on
    /// NEURON (NEURON, PyNEURON, jNeuroML_NEURON, ... and suites on NEURON); naming one engine
    /// (`jNeuroML_NEURON:8.2.7`) runs its tests only. Exits 1 when a difference is beyond the
    /// tolerance (or a test fails on one version only), 0 otherwise.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
struct DiffArgs {
    #[command(flatten)]
    paths: PathsArgs,
    #[command(flatten)]
    home: HomeArgs,
    /// The baseline: `NAME:VERSION` (`NEURON:8.2.7`).
    #[arg(long = "engine", short = 'e', value_name = "NAME:VERSION")]
    engine: String,
    /// The version to compare with it: `NAME:VERSION` (`NEURON:9.0.2`), the same NAME.
    #[arg(long, value_name = "NAME:VERSION")]
    against: String,
    /// Relative tolerance, as a fraction of each column's largest magnitude in the baseline
    /// (spike times: of the latest spike): samples a, b differ when |a − b| > atol + rtol ×
    /// scale. The default, 1e-4, is far above double-precision noise and the digits simulators
    /// print, and far below a change anyone would accept unseen (0.01 mV on a 100 mV swing).
    #[arg(long, value_name = "R", default_value_t = crate::compare::versions::Tolerance::DEFAULT.rtol)]
    rtol: f64,
    /// Absolute tolerance, in each output's own unit.
    #[arg(long, value_name = "A", default_value_t = crate::compare::versions::Tolerance::DEFAULT.atol)]
    atol: f64,
    /// CPUs the running jobs may hold at once (default: number of CPUs).
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Time limit of one run, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900.0)]
    timeout: f64,
    /// Write the comparison as JSON to FILE (schema in the README).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write an HTML report into DIR: an index and a page per test with both versions' traces
    /// overlaid and their difference.
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Keep both runs' working directories (under the crosscheck home) for inspection.
    #[arg(long)]
    keep_workdirs: bool,
    /// Never install anything; a missing simulator version is an error (exit 6).
    #[arg(long)]
    offline: bool,
    /// Print the runs' details as they finish.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// Results written by `crosscheck run --json FILE`.
    results: PathBuf,
    /// Folder to write the report into (created; only the report's own files are replaced).
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        default_value = "reports/html"
    )]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct PathsArgs {
    /// Files or directories to search for test files (`.test.*.omt`, `*.crosscheck.yaml`).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Let test files name paths outside the repository being tested. Without it, a target,
    /// `.mep`, data file, NeuroML model or include, or reference folder that resolves (through
    /// `..` or a symbolic link) outside the Git work tree holding the test file — outside Git,
    /// the folder given — makes the test file invalid.
    #[arg(long)]
    allow_outside_paths: bool,
}

#[derive(Debug, Args)]
struct HomeArgs {
    /// crosscheck home holding the managed environment.
    #[arg(long, env = "CROSSCHECK_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
}

impl HomeArgs {
    fn env(&self) -> ManagedEnv {
        match &self.home {
            Some(home) => ManagedEnv::at(std::path::absolute(home).unwrap_or(home.clone())),
            None => ManagedEnv::from_environment(),
        }
    }
}

#[derive(Debug, Args)]
struct SelectArgs {
    #[command(flatten)]
    paths: PathsArgs,
    /// Only tests on this engine (repeatable). `Name` or `Name:version`.
    #[arg(long = "engine", short = 'e', value_name = "NAME")]
    engines: Vec<String>,
    /// Only shard M of N of the plan: `hash:M/N` (stable as tests are added) or `slice:M/N`
    /// (round robin in plan order). A crosscheck suite's engines stay in one shard. Merge the
    /// shards' JSON results with `crosscheck merge`.
    #[arg(long, value_name = "KIND:M/N")]
    partition: Option<crate::partition::Partition>,
}

impl SelectArgs {
    /// The engine filters and the tests found under the paths; a bad engine name or path is a
    /// usage error (already printed).
    fn filters_and_tests(&self) -> Result<(Vec<crate::suite::EngineRequest>, Loaded), Exit> {
        let filters = plan::engine_filters(&self.engines).map_err(|e| {
            error(e);
            Exit::Usage
        })?;
        Ok((filters, load(&self.paths)?))
    }

    /// The plan for these arguments: engine filters, then the partition.
    fn plan(&self, loaded: &Loaded, filters: &[crate::suite::EngineRequest]) -> Vec<plan::Job> {
        let jobs = plan::plan(loaded, filters);
        match self.partition {
            Some(partition) => crate::partition::select(jobs, partition),
            None => jobs,
        }
    }
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    select: SelectArgs,
    #[command(flatten)]
    home: HomeArgs,
    /// CPUs the running jobs may hold at once (default: number of CPUs): N one-CPU jobs at
    /// once; an MPI job (`NetPyNE_NP2`) holds one per rank, and one needing more than N runs
    /// alone.
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Time limit of one job, in seconds; a job past it is stopped and reported as `timeout`.
    #[arg(long, value_name = "SECONDS", default_value_t = 900.0)]
    timeout: f64,
    /// Keep each job's working directory (under the crosscheck home) for inspection.
    #[arg(long)]
    keep_workdirs: bool,
    /// Write results as JSON to FILE (schema in the README).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write an HTML report (index.html, a page per job, plots) into DIR; works from file://.
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Never install anything; a missing engine is an error (exit 6).
    #[arg(long)]
    offline: bool,
    /// Tests whose engine cannot be provisioned here (XPP, GENESIS, ...) are errors, not skips
    /// (exit 6).
    #[arg(long)]
    require_all: bool,
    /// Print details for passing jobs too.
    #[arg(short, long)]
    verbose: bool,
    /// Reference data folder (default: the nearest `reference-data/` above each suite).
    #[arg(long, value_name = "DIR")]
    reference_dir: Option<PathBuf>,
    /// Run every test, even those whose inputs (test and model files by content, engine and
    /// version, crosscheck version) are unchanged since they last passed. Without it such
    /// tests are taken from the result cache in the crosscheck home and marked `cached`.
    /// `--keep-workdirs` runs every test too (there is nothing to keep from a cached one).
    #[arg(long, env = "CROSSCHECK_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    no_cache: bool,
    /// Append this run's results (test, engine, version, status, failed checks, duration, date,
    /// git commit) to a Parquet history FILE, and print the failures that are new since the
    /// previous run and the tests that became much slower.
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Run every jNeuroML command in a fresh JVM (`java -jar`), as OMV does. By default they
    /// run in warm JVMs kept alive for the run (one per CPU slot), which saves the JVM's
    /// start-up on every command; a command a warm JVM cannot run exactly as a fresh one would
    /// runs in a fresh one anyway (each command's `jvm` in the JSON results says which ran it).
    #[arg(long, env = "CROSSCHECK_NO_WARM_JVM", value_parser = clap::builder::FalseyValueParser::new())]
    no_warm_jvm: bool,
}

#[derive(Debug, Subcommand)]
enum SlurmCommand {
    /// Print (or write with -o) a bash script that submits the plan as a Slurm job array, one
    /// shard (`run --partition hash:M/N`) per array task, and a merge job depending on it.
    Emit(SlurmEmitArgs),
}

#[derive(Debug, Args)]
struct SlurmEmitArgs {
    #[command(flatten)]
    select: SelectArgs,
    #[command(flatten)]
    home: HomeArgs,
    /// Number of shards (array tasks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    shards: u32,
    /// CPUs per array task (default: the largest shard's job count, at most 8, and at least
    /// the CPUs of the plan's largest job: an MPI job's ranks).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    cpus_per_task: Option<u32>,
    /// Folder (relative to the current one) for shard results, logs and merged reports.
    #[arg(long, value_name = "DIR", default_value = "crosscheck-results")]
    results: PathBuf,
    /// Write the script to FILE instead of printing it.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// The shards' `--json` result files.
    #[arg(required = true, value_name = "SHARD.json")]
    shards: Vec<PathBuf>,
    /// Write the merged results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the merged results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the merged HTML report into DIR (as `run --html`).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct InstallArgs {
    /// Engine names (e.g. jNeuroML_NEURON) or components (pyneuroml, neuron, nest, brian2, eden,
    /// netpyne, pynn, pylems, arbor, moose, mpi).
    names: Vec<String>,
    #[command(flatten)]
    home: HomeArgs,
}

/// Parses arguments, runs the command, and returns the process exit code.
pub fn main() -> u8 {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Validate(args) => validate(&args),
        Command::Schema => {
            print!("{}", crate::suite::native::schema::json_schema_text());
            Exit::Success
        }
        Command::List(args) => list(&args),
        Command::Report(args) => render_report(&args),
        Command::Merge(args) => merge(&args),
        Command::Slurm(SlurmCommand::Emit(args)) => slurm_emit(&args),
        Command::Engines(args) => engines(&args),
        Command::Install(args) => install(&args),
        Command::Bless(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(run(args, Mode::Bless)),
            Err(e) => {
                eprintln!("error: could not start the async runtime: {e}");
                Exit::TestsFailed
            }
        },
        Command::Diff(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(diff(args)),
            Err(e) => {
                eprintln!("error: could not start the async runtime: {e}");
                Exit::TestsFailed
            }
        },
        Command::Run(args) => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(run(args, Mode::Run)),
            Err(e) => {
                eprintln!("error: could not start the async runtime: {e}");
                Exit::TestsFailed
            }
        },
    };
    outcome as u8
}

fn slurm_emit(args: &SlurmEmitArgs) -> Exit {
    if args.select.partition.is_some() {
        error("`slurm emit` partitions the plan itself: leave out --partition");
        return Exit::Usage;
    }
    let (filters, loaded) = match args.select.filters_and_tests() {
        Ok(found) => found,
        Err(code) => return code,
    };
    let jobs = plan::plan(&loaded, &filters);
    if jobs.is_empty() {
        error("no tests found under the given paths (for the given engines)");
        return Exit::NoTests;
    }
    // CPUs per task from the plan: enough to run the largest shard's jobs side by side.
    let largest = (1..=args.shards)
        .map(|m| {
            let partition = crate::partition::Partition::Hash {
                shard: m,
                count: args.shards,
            };
            crate::partition::select(jobs.clone(), partition).len()
        })
        .max()
        .unwrap_or(1);
    // ... and at least what the plan's largest job holds (an MPI job's ranks), so that no
    // task runs a job on fewer CPUs than it has ranks.
    let widest_job = jobs.iter().map(Job::cpus).max().unwrap_or(1);
    let cpus = args
        .cpus_per_task
        .unwrap_or_else(|| (largest as u32).clamp(1, 8).max(widest_job));
    if cpus < widest_job {
        eprintln!(
            "note: the plan has jobs holding {widest_job} CPUs (MPI ranks or NEST threads), more than --cpus-per-task {cpus}: they will run alone in their task, sharing {cpus} CPU(s)"
        );
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("crosscheck"));
    let workdir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let home = args
        .home
        .home
        .as_ref()
        .map(|h| std::path::absolute(h).unwrap_or(h.clone()));
    let script = crate::slurm::emit(&crate::slurm::SlurmPlan {
        crosscheck: &exe,
        workdir: &workdir,
        paths: &args.select.paths.paths,
        engines: &args.select.engines,
        shards: args.shards,
        cpus_per_task: cpus,
        results: &args.results,
        home: home.as_deref(),
    });
    let script = match script {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return Exit::Usage;
        }
    };
    match &args.output {
        None => {
            print!("{script}");
            Exit::Success
        }
        Some(path) if path.exists() && !args.force => {
            error(format!(
                "{} exists; choose another file or pass --force to replace it",
                path.display()
            ));
            Exit::Usage
        }
        Some(path) => match crate::fsutil::write_atomic(path, script.as_bytes()) {
            Ok(()) => {
                eprintln!(
                    "wrote {} ({} shards, {cpus} CPUs per task); review it, then run: bash {}",
                    path.display(),
                    args.shards,
                    path.display()
                );
                Exit::Success
            }
            Err(e) => {
                error(format!("could not write {}: {e}", path.display()));
                Exit::TestsFailed
            }
        },
    }
}

fn merge(args: &MergeArgs) -> Exit {
    let report = match report::merge::merge_files(&args.shards) {
        Ok(r) => r,
        Err(e) => {
            error(e);
            return Exit::Usage;
        }
    };
    print!(
        "{}",
        terminal::summary_table(&report.tests, report.duration_s)
    );
    print!("{}", terminal::agreement_table(&report.agreement));
    print!("{}", terminal::convergence_table(&report.convergence));
    let outputs = Outputs {
        json: args.json.clone(),
        junit: args.junit.clone(),
        html: args.html.clone(),
    };
    let written = session::write_reports(&report, &outputs);
    if written.failed || written.html_failed {
        return Exit::ReportUnwritable;
    }
    // As `run` would have exited had it run every shard at once: a failed agreement or
    // convergence verdict fails the merge too.
    if !report.all_passed() {
        Exit::TestsFailed
    } else {
        Exit::Success
    }
}

/// Loads tests, reporting a bad path as a usage error.
fn load(paths: &PathsArgs) -> Result<Loaded, Exit> {
    plan::load_bounded(&paths.paths, paths.allow_outside_paths).map_err(|e| {
        error(e);
        Exit::Usage
    })
}

fn validate(args: &PathsArgs) -> Exit {
    let loaded = match load(args) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if loaded.is_empty() {
        error("no test files (.test.*.omt or *.crosscheck.yaml) found");
        return Exit::NoTests;
    }
    let valid = loaded.tests.len() + loaded.suites.len();
    let invalid = loaded.invalid.len();
    let errors: usize = loaded.invalid.iter().map(|f| f.errors.len()).sum();
    session::print_invalid(loaded.invalid);
    println!("{valid} valid, {invalid} invalid test files ({errors} errors)");
    if invalid > 0 {
        Exit::InvalidTestFile
    } else {
        Exit::Success
    }
}

fn list(args: &SelectArgs) -> Exit {
    let (filters, loaded) = match args.filters_and_tests() {
        Ok(found) => found,
        Err(code) => return code,
    };
    let jobs = args.plan(&loaded, &filters);
    let mut out = std::io::stdout().lock();
    for job in &jobs {
        let what = match &job.work {
            plan::Work::Omv(plan::OmvJob {
                engine: plan::JobEngine::Skip(reason),
                ..
            }) => format!("skip: {reason}"),
            _ if job.cpus() > 1 => format!("run on {} CPUs (MPI ranks)", job.cpus()),
            _ => "run".to_string(),
        };
        let _ = writeln!(
            out,
            "{:<18} {:<45} {:<40} {what}",
            job.engine_label(),
            job.id(),
            job.model()
        );
    }
    let invalid = loaded.invalid.len();
    let _ = writeln!(out, "{} jobs, {invalid} invalid test files", jobs.len());
    drop(out);
    session::print_invalid(loaded.invalid);
    if invalid > 0 {
        Exit::InvalidTestFile
    } else if jobs.is_empty() {
        error("no tests found");
        Exit::NoTests
    } else {
        Exit::Success
    }
}

fn engines(args: &HomeArgs) -> Exit {
    let env = args.env();
    let state = match env.state() {
        Ok(s) => s,
        Err(e) => {
            error(e);
            return Exit::EngineUnavailable;
        }
    };
    let tools = Tools::discover(&env, state);
    println!("managed environment: {}", env.venv().display());
    println!(
        "{:<21} {:<10} {:<30} {:<45} how to install",
        "engine", "available", "version", "executable"
    );
    for def in engine::ENGINES {
        let missing = def.missing(&env, &tools);
        let executable = if def.needs.contains(&Need::Java) {
            tools
                .java
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "java: not found".into())
        } else if def.needs.is_empty() {
            "(the target itself)".to_string()
        } else {
            tools.python.display().to_string()
        };
        let install = if missing.is_empty() {
            "-".to_string()
        } else {
            missing
                .iter()
                .map(|m| m.how_to_install.clone())
                .collect::<Vec<_>>()
                .join(" && ")
        };
        println!(
            "{:<21} {:<10} {:<30} {:<45} {install}",
            def.name,
            if missing.is_empty() { "yes" } else { "no" },
            if missing.is_empty() {
                def.version(&tools).unwrap_or_else(|| "-".into())
            } else {
                "-".into()
            },
            executable,
        );
    }
    println!("\nsimulators for crosscheck suites (*.crosscheck.yaml):");
    for simulator in crate::suite::native::Simulator::ALL {
        let components = crate::suite_job::components(simulator);
        let mut missing: Vec<String> = components
            .iter()
            .filter(|c| !env.has(&tools.state, **c))
            .map(|c| format!("crosscheck install {}", c.name()))
            .collect();
        let java = matches!(
            simulator,
            crate::suite::native::Simulator::JNeuroML
                | crate::suite::native::Simulator::JNeuroMLNeuron
        );
        if java && tools.java.is_none() {
            missing.push("apt-get install openjdk-17-jre-headless".into());
        }
        let executable = if java {
            tools
                .java
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "java: not found".into())
        } else {
            tools.python.display().to_string()
        };
        println!(
            "{:<21} {:<10} {:<30} {:<45} {}",
            simulator.name(),
            if missing.is_empty() { "yes" } else { "no" },
            if missing.is_empty() {
                crate::suite_job::version(simulator, &tools).unwrap_or_else(|| "-".into())
            } else {
                "-".into()
            },
            executable,
            if missing.is_empty() {
                "-".to_string()
            } else {
                missing.join(" && ")
            },
        );
    }
    println!("\nOMV engines that cannot be provisioned here (their tests are skipped; --require-all makes them errors):");
    for name in engine::OMV_ENGINE_NAMES {
        if let Some(why) = engine::unavailable(name) {
            println!(
                "{name:<22} {} (to run it: {})",
                why.reason, why.how_to_install
            );
        }
    }
    Exit::Success
}

fn install(args: &InstallArgs) -> Exit {
    let mut components: Vec<Component> = Vec::new();
    let mut java_needed = false;
    for name in &args.names {
        if let Some(c) = Component::from_name(name) {
            components.push(c);
        } else if let Some(def) = engine::lookup(name) {
            components.extend(def.components());
            java_needed |= def.needs.contains(&Need::Java);
        } else {
            let hint = engine::suggest(name)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            error(format!(
                "`{name}` is neither an installable engine nor a component (pyneuroml, neuron, nest, brian2, eden, netpyne, pynn, pylems, arbor, moose, mpi){hint}"
            ));
            return Exit::Usage;
        }
    }
    if args.names.is_empty() {
        components = Component::DEFAULT.to_vec();
        java_needed = true;
    }
    components.sort();
    components.dedup();
    let env = args.home.env();
    let tools = match provision::provision(&env, &components, false) {
        Ok(t) => t,
        Err(code) => return code,
    };
    for c in &components {
        let package = c.main_package();
        println!(
            "{:<10} {}",
            c.name(),
            tools
                .state
                .versions
                .get(package)
                .map(|v| format!("{package} {v}"))
                .unwrap_or_else(|| "installed".into())
        );
    }
    println!("managed environment: {}", env.venv().display());
    if components.contains(&Component::PyNeuroML) {
        if let Some(launch) = provision::build_jvm_driver(&env, &tools) {
            println!("warm jNeuroML worker: {}", launch.driver.classes.display());
        }
    }
    if java_needed && tools.java.is_none() {
        error("java is not on PATH: jNeuroML engines need a Java runtime (e.g. apt-get install openjdk-17-jre-headless)");
        return Exit::EngineUnavailable;
    }
    Exit::Success
}

/// `crosscheck report RESULTS.json -o DIR`.
fn render_report(args: &ReportArgs) -> Exit {
    let text = match std::fs::read_to_string(&args.results) {
        Ok(t) => t,
        Err(e) => {
            error(format!("cannot read {}: {e}", args.results.display()));
            return Exit::Usage;
        }
    };
    let report: RunReport = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            error(format!(
                "{} is not crosscheck JSON results (`run --json`): {e}",
                args.results.display()
            ));
            return Exit::Usage;
        }
    };
    match report::html::write(&args.output, &report) {
        Ok(index) => {
            println!(
                "report of {} jobs: {}",
                report.tests.len(),
                report::html::display_path(&index)
            );
            Exit::Success
        }
        Err(e) => {
            error(e);
            Exit::ReportUnwritable
        }
    }
}

/// `crosscheck run` and `crosscheck bless`: the arguments checked and turned into a session's
/// settings, the test files loaded, then the session (see [`crate::session`]).
async fn run(args: RunArgs, mode: Mode) -> Exit {
    let (engines, loaded) = match args.select.filters_and_tests() {
        Ok(found) => found,
        Err(code) => return code,
    };
    if loaded.is_empty() {
        error("no test files (.test.*.omt or *.crosscheck.yaml) found under the given paths");
        return Exit::NoTests;
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        error("--timeout must be a positive number of seconds");
        return Exit::Usage;
    }
    let settings = Settings {
        mode,
        env: args.home.env(),
        paths: args.select.paths.paths,
        allow_outside_paths: args.select.paths.allow_outside_paths,
        engines,
        partition: args.select.partition,
        jobs: args
            .jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        timeout: Duration::from_secs_f64(args.timeout),
        keep_workdirs: args.keep_workdirs,
        announce_workdirs: args.keep_workdirs,
        offline: args.offline,
        require_all: args.require_all,
        verbose: args.verbose,
        reference_dir: args.reference_dir,
        no_cache: args.no_cache,
        no_warm_jvm: args.no_warm_jvm,
        outputs: Outputs {
            json: args.json,
            junit: args.junit,
            html: args.html,
        },
        history: args.history,
    };
    session::run(settings, loaded).await
}

async fn diff(args: DiffArgs) -> Exit {
    let versions = match crate::diff::select::versions(&args.engine, &args.against) {
        Ok(versions) => versions,
        Err(e) => {
            error(e);
            return Exit::Usage;
        }
    };
    let tolerance = crate::compare::versions::Tolerance {
        rtol: args.rtol,
        atol: args.atol,
    };
    let usable = |x: f64| x.is_finite() && x >= 0.0;
    if !usable(tolerance.rtol) || !usable(tolerance.atol) {
        error("--rtol and --atol must be non-negative numbers");
        return Exit::Usage;
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        error("--timeout must be a positive number of seconds");
        return Exit::Usage;
    }
    let loaded = match load(&args.paths) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if loaded.is_empty() {
        error("no test files (.test.*.omt or *.crosscheck.yaml) found under the given paths");
        return Exit::NoTests;
    }
    let settings = Settings {
        mode: Mode::Run,
        env: args.home.env(),
        paths: args.paths.paths,
        allow_outside_paths: args.paths.allow_outside_paths,
        engines: Vec::new(),
        partition: None,
        jobs: args
            .jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        timeout: Duration::from_secs_f64(args.timeout),
        keep_workdirs: true,
        announce_workdirs: args.keep_workdirs,
        offline: args.offline,
        require_all: false,
        verbose: args.verbose,
        reference_dir: None,
        no_cache: true,
        no_warm_jvm: false,
        outputs: Outputs::default(),
        history: None,
    };
    let request = crate::diff::DiffRequest {
        versions,
        tolerance,
        json: args.json,
        html: args.html,
        keep_workdirs: args.keep_workdirs,
    };
    crate::diff::run(settings, request, loaded).await
}
