//! Command-line interface: clap arguments in, calls into the library, documented exit codes out.
//!
//! The data flow of `run` reads top to bottom in [`run`]: load → plan → provision → run →
//! report.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{mpsc, watch};

use crate::engine::{self, Need, Tools};
use crate::env::{Component, EnvError, ManagedEnv, ProgressSink};
use crate::plan::{self, InvalidFile, Job, Loaded};
use crate::report::{self, terminal, RunReport};
use crate::results::{Status, Summary, TestResult};
use crate::runner::{self, Event, RunOptions};

/// Process exit codes. Part of the interface: CI scripts branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Every job passed (or was skipped).
    Success = 0,
    /// At least one job failed, errored or timed out.
    TestsFailed = 1,
    /// Bad command line (clap's own code, kept for our usage errors too).
    Usage = 2,
    /// A report could not be written: the HTML folder is a file, is not writable, or holds
    /// files the report did not write (checked before anything runs), or writing the JSON,
    /// JUnit or HTML report failed (the reports that could be written are complete).
    ReportUnwritable = 3,
    /// No test files were found under the given paths.
    NoTests = 4,
    /// At least one test file is invalid.
    InvalidTestFile = 5,
    /// An engine the selected tests need is missing and could not be installed (with
    /// `--require-all`, also a test whose engine cannot be provisioned here, e.g. XPP).
    EngineUnavailable = 6,
    /// The run was interrupted (Ctrl-C or SIGTERM).
    Interrupted = 130,
}

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

/// Whether a run only checks, or also records reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Run,
    Bless,
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

/// Which report files could not be written (each failure already printed).
struct ReportsWritten {
    /// The JSON or JUnit file.
    failed: bool,
    html_failed: bool,
}

/// Writes the requested JSON, JUnit and HTML reports of `report`, going on past a failure so
/// one unwritable file does not cost the others.
fn write_reports(
    report: &RunReport,
    json: &Option<PathBuf>,
    junit: &Option<PathBuf>,
    html: &Option<PathBuf>,
) -> ReportsWritten {
    let mut written = ReportsWritten {
        failed: false,
        html_failed: false,
    };
    if let Some(path) = json {
        if let Err(e) = report::json::write(path, report) {
            error(format!("could not write {}: {e}", path.display()));
            written.failed = true;
        }
    }
    if let Some(path) = junit {
        if let Err(e) = report::junit::write(path, report) {
            error(format!("could not write {}: {e}", path.display()));
            written.failed = true;
        }
    }
    if let Some(dir) = html {
        match report::html::write(dir, report) {
            Ok(index) => println!("report: {}", report::html::display_path(&index)),
            Err(e) => {
                error(format!("could not write the HTML report: {e}"));
                written.html_failed = true;
            }
        }
    }
    written
}

/// What the history says about the latest run, for the terminal.
fn history_notes(rows: &[crate::history::Row]) -> String {
    use std::fmt::Write as _;
    let runs = crate::history::runs(rows).len();
    let mut out = format!("\nhistory: {runs} run(s) recorded\n");
    let new = crate::history::new_failures(rows);
    if !new.is_empty() {
        let _ = writeln!(out, "new failures since the previous run:");
        for r in &new {
            let _ = writeln!(out, "  {} on {}: {}", r.test, r.engine, r.status);
        }
    }
    for slow in crate::history::duration_regressions(rows, 10, 1.5, 5.0) {
        let _ = writeln!(
            out,
            "slower than usual: {} on {}: {:.1} s (usually {:.1} s)",
            slow.row.test, slow.row.engine, slow.row.duration_s, slow.usual_s
        );
    }
    out
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
    let written = write_reports(&report, &args.json, &args.junit, &args.html);
    if written.failed || written.html_failed {
        return Exit::ReportUnwritable;
    }
    if !report.summary.all_passed() {
        Exit::TestsFailed
    } else {
        Exit::Success
    }
}

fn error(message: impl std::fmt::Display) {
    eprintln!("error: {message}");
}

/// Says which engines need more CPUs than `-j` allows: their jobs run alone, on fewer CPUs
/// than ranks, and are slower than they would be with the CPUs they need.
fn note_jobs_beyond_the_budget(jobs: &[Job], jobs_allowed: usize) {
    let budget = crate::runner::cpu_budget(jobs_allowed);
    let mut noted: Vec<String> = Vec::new();
    for job in jobs.iter().filter(|j| j.cpus() > budget) {
        let engine = job.engine_label();
        if !noted.contains(&engine) {
            eprintln!(
                "note: {engine} holds {} CPUs (MPI ranks or NEST threads), more than the {budget} of -j {jobs_allowed}: its jobs run alone, sharing the {budget} CPU(s)",
                job.cpus()
            );
            noted.push(engine);
        }
    }
}

/// Loads tests, reporting a bad path as a usage error.
fn load(paths: &PathsArgs) -> Result<Loaded, Exit> {
    plan::load_bounded(&paths.paths, paths.allow_outside_paths).map_err(|e| {
        error(e);
        Exit::Usage
    })
}

/// Prints every load error with its source snippet.
fn print_invalid(invalid: Vec<InvalidFile>) {
    for file in invalid {
        for err in file.errors {
            eprintln!("{:?}", miette::Report::new(err));
        }
    }
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
    print_invalid(loaded.invalid);
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
    print_invalid(loaded.invalid);
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
        let components = crate::native::components(simulator);
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
                crate::native::version(simulator, &tools).unwrap_or_else(|| "-".into())
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
fn provision(env: &ManagedEnv, components: &[Component], offline: bool) -> Result<Tools, Exit> {
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
fn warm_jvms(env: &ManagedEnv, tools: &Tools) -> Option<Arc<crate::jvm::WarmJvms>> {
    let launch = build_jvm_driver(env, tools)?;
    let root = env.work_root().join(format!("jvm-{}", std::process::id()));
    Some(Arc::new(crate::jvm::WarmJvms::new(launch, root)))
}

/// Builds the warm jNeuroML worker's driver unless built already; `None` with a note when it
/// cannot be built (or the environment has no Java or jNeuroML).
fn build_jvm_driver(env: &ManagedEnv, tools: &Tools) -> Option<crate::jvm::Launch> {
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
    let tools = match provision(&env, &components, false) {
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
        if let Some(launch) = build_jvm_driver(&env, &tools) {
            println!("warm jNeuroML worker: {}", launch.driver.classes.display());
        }
    }
    if java_needed && tools.java.is_none() {
        error("java is not on PATH: jNeuroML engines need a Java runtime (e.g. apt-get install openjdk-17-jre-headless)");
        return Exit::EngineUnavailable;
    }
    Exit::Success
}

/// Stops the run on Ctrl-C or SIGTERM: running processes get SIGTERM, then SIGKILL.
fn watch_signals(cancel: watch::Sender<bool>) {
    tokio::spawn(async move {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    let _ = cancel.send(true);
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("crosscheck: interrupted; stopping running jobs");
        let _ = cancel.send(true);
    });
}

async fn run(args: RunArgs, mode: Mode) -> Exit {
    let started = Instant::now();
    let started_at = chrono::Local::now();

    // Load.
    let (filters, loaded) = match args.select.filters_and_tests() {
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
    // A report folder that cannot take the report fails now, not after an hour of simulation.
    if let Some(dir) = &args.html {
        if let Err(e) = report::html::check_dir(dir) {
            error(e);
            return Exit::ReportUnwritable;
        }
    }

    // Plan. Blessing concerns crosscheck suites only (OMV tests keep their values in .mep).
    let mut jobs = args.select.plan(&loaded, &filters);
    if mode == Mode::Bless {
        jobs.retain(|job| matches!(job.work, plan::Work::Native(_)));
        for (index, job) in jobs.iter_mut().enumerate() {
            job.index = index;
        }
        if jobs.is_empty() {
            error("no crosscheck suites (*.crosscheck.yaml) to bless under the given paths");
            return Exit::NoTests;
        }
        // A `distributions` check is calibrated on the reference engine's other seeds.
        for (suite, engine) in plan::uncalibrated_suites(&jobs) {
            eprintln!(
                "note: {suite}: its distributions are calibrated on {engine}, which this bless does not run; the blessed calibration is kept (add -e {engine} to renew it)"
            );
        }
        let calibration = plan::calibration_jobs(&jobs);
        jobs.extend(calibration);
    }
    let refused = if args.require_all {
        plan::require_all(&mut jobs)
    } else {
        0
    };
    let invalid_results: Vec<TestResult> = loaded.invalid.iter().map(invalid_result).collect();
    let had_invalid = !loaded.invalid.is_empty();
    print_invalid(loaded.invalid);
    // An empty shard is fine: a CI matrix may have more shards than tests.
    if jobs.is_empty() && invalid_results.is_empty() && args.select.partition.is_none() {
        error("no tests match the given engines");
        return Exit::NoTests;
    }

    // Provision what the planned engines need.
    let env = args.home.env();
    let used = plan::engines_used(&jobs);
    let simulators = plan::simulators_used(&jobs);
    let mut components: Vec<Component> = used.iter().flat_map(|d| d.components()).collect();
    components.extend(
        simulators
            .iter()
            .flat_map(|s| crate::native::components(*s).iter().copied()),
    );
    if plan::uses_jneuroml(&jobs) {
        components.push(Component::PyNeuroML);
    }
    components.sort();
    components.dedup();
    let tools = match tokio::task::block_in_place(|| provision(&env, &components, args.offline)) {
        Ok(t) => t,
        Err(code) => return code,
    };
    for def in &used {
        let missing = def.missing(&env, &tools);
        if let Some(m) = missing.first() {
            error(format!(
                "engine {} needs {}, which is missing (install: {})",
                def.name, m.what, m.how_to_install
            ));
            return Exit::EngineUnavailable;
        }
    }
    if plan::uses_jneuroml(&jobs) && tools.java.is_none() {
        error("crosscheck suites on jNeuroML need java (a Java 11+ runtime; e.g. apt-get install openjdk-17-jre-headless)");
        return Exit::EngineUnavailable;
    }
    // Simulator versions other than the pinned ones (`NEURON:9.0.2`): side-by-side environments.
    for (version, needed) in plan::versions_requested(&jobs) {
        let versioned = env.versioned(version.0, &version.1);
        let provisioned =
            tokio::task::block_in_place(|| provision(&versioned, &needed, args.offline));
        let state = match provisioned {
            Ok(t) => t.state,
            Err(code) => return code,
        };
        let versioned_tools = Tools::discover_versioned(&versioned, state);
        plan::use_versioned_tools(&mut jobs, &version, Arc::new(versioned_tools));
    }
    plan::fill_versions(&mut jobs, &tools);

    // Run.
    let jobs_allowed = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    note_jobs_beyond_the_budget(&jobs, jobs_allowed);
    let options = RunOptions {
        jobs: jobs_allowed,
        timeout: Duration::from_secs_f64(args.timeout),
        grace: Duration::from_secs(3),
        keep_workdirs: args.keep_workdirs,
        work_root: env.work_root(),
        home: env.home().to_path_buf(),
        process_env: env.process_env(),
        output_cap: 256 * 1024,
        warm_jvms: if args.no_warm_jvm || !components.contains(&Component::PyNeuroML) {
            None
        } else {
            tokio::task::block_in_place(|| warm_jvms(&env, &tools))
        },
    };
    let reference_root = |job: &crate::native::NativeJob| {
        args.reference_dir
            .clone()
            .unwrap_or_else(|| crate::reference::reference_root(&job.file))
    };
    // The reference folder found above a suite must stay in its Git repository (a
    // `reference-data` symbolic link out of it is refused like any other path), unless given
    // explicitly or allowed. Outside Git, the nearest `reference-data` above the suite is used.
    if args.reference_dir.is_none() && !args.select.paths.allow_outside_paths {
        let mut refused = false;
        for job in &jobs {
            let plan::Work::Native(native) = &job.work else {
                continue;
            };
            let Some(top) = crate::suite::boundary::git_toplevel(&native.file) else {
                continue;
            };
            let boundary = crate::suite::boundary::Boundary::for_test_file(&native.file, &top);
            let root = reference_root(native);
            if let Err(message) =
                boundary.check("reference folder", &root.display().to_string(), &root)
            {
                error(format!("{}: {message}", native.file.display()));
                refused = true;
            }
        }
        if refused {
            return Exit::InvalidTestFile;
        }
    }
    // One bless at a time per reference root, held until this run has written its files.
    let mut _bless_locks = Vec::new();
    if mode == Mode::Bless {
        let roots: std::collections::BTreeSet<PathBuf> = jobs
            .iter()
            .filter_map(|job| match &job.work {
                plan::Work::Native(native) => Some(reference_root(native)),
                _ => None,
            })
            .collect();
        for root in roots {
            let waiting = || {
                eprintln!(
                    "crosscheck: waiting for another `crosscheck bless` of {} to finish",
                    root.display()
                )
            };
            match tokio::task::block_in_place(|| crate::reference::lock_for_bless(&root, waiting)) {
                Ok(lock) => _bless_locks.push(lock),
                Err(e) => {
                    error(format!(
                        "cannot lock {} for blessing: {e}",
                        crate::reference::bless_lock_folder(&root).display()
                    ));
                    return Exit::ReportUnwritable;
                }
            }
        }
    }

    // Passes whose inputs are unchanged come from the cache (never when blessing: that needs
    // fresh recordings).
    let cache = (mode == Mode::Run && !args.no_cache && !args.keep_workdirs)
        .then(|| crate::cache::ResultCache::new(env.home().join("cache").join("results")));
    let mut cached: BTreeMap<usize, crate::cache::Entry> = BTreeMap::new();
    let mut cache_keys: BTreeMap<usize, String> = BTreeMap::new();
    if let Some(cache) = &cache {
        for job in &jobs {
            let reference_dir = match &job.work {
                plan::Work::Native(native) => {
                    Some(crate::reference::job_dir(&reference_root(native), native))
                }
                plan::Work::Omv(_) => None,
            };
            let key = crate::cache::key(job, reference_dir.as_deref());
            match cache.get(&key) {
                Some(entry) => {
                    cached.insert(job.index, entry);
                }
                None => {
                    cache_keys.insert(job.index, key);
                }
            }
        }
    }
    let total_jobs = jobs.len();
    let (from_cache, jobs): (Vec<plan::Job>, Vec<plan::Job>) = jobs
        .into_iter()
        .partition(|job| cached.contains_key(&job.index));

    let (cancel_tx, cancel_rx) = watch::channel(false);
    watch_signals(cancel_tx);
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<Event>();
    let github = report::github::GitHub::from_env();
    let mut reporter = terminal::TerminalReporter::new(total_jobs, args.verbose, github.is_some());
    for job in &from_cache {
        if let Some(entry) = cached.get_mut(&job.index) {
            entry.result.cached = true;
            // Named as this run names it (ids are relative to the discovery path).
            entry.result.id = job.id().to_string();
            entry.result.model = job.model();
            let _ = events_tx.send(Event::JobFinished {
                index: job.index,
                result: Box::new(entry.result.clone()),
            });
        }
    }
    let reporting = tokio::spawn(async move {
        while let Some(event) = events_rx.recv().await {
            reporter.handle(&event);
        }
        reporter.finish();
    });
    let native_jobs: Vec<(usize, crate::native::NativeJob)> = from_cache
        .iter()
        .chain(jobs.iter())
        .filter_map(|job| match &job.work {
            plan::Work::Native(native) => Some((job.index, native.clone())),
            plan::Work::Omv(_) => None,
        })
        .collect();
    let output = runner::run_jobs(
        jobs,
        Arc::new(tools.clone()),
        Arc::new(options),
        events_tx,
        cancel_rx.clone(),
    )
    .await;
    // Every job's result at its index: cached ones, then those that ran (in job order).
    let mut ran = output.results.into_iter();
    let mut recordings = output.recordings;
    let mut results: Vec<TestResult> = Vec::with_capacity(total_jobs);
    for index in 0..total_jobs {
        match cached.remove(&index) {
            Some(entry) => {
                if let Some(stored) = entry.recordings {
                    recordings.insert(index, stored.into());
                }
                results.push(entry.result);
            }
            None => results.extend(ran.next()),
        }
    }
    if mode == Mode::Run {
        // Each suite job against its blessed reference data.
        for (index, job) in &native_jobs {
            if !cache_keys.contains_key(index) && cache.is_some() {
                continue; // from the cache: judged when it ran
            }
            let (Some(recordings), Some(result)) = (recordings.get(index), results.get_mut(*index))
            else {
                continue;
            };
            let root = reference_root(job);
            let mut judged = crate::reference::judge(&root, job, recordings);
            judged.extend(crate::calibration::judge(&root, job, recordings));
            if judged.is_empty() || !matches!(result.status, Status::Pass | Status::Fail) {
                continue;
            }
            result.observables.extend(judged);
            let (status, message) = runner::verdict(&result.observables);
            result.status = status;
            result.message = message;
        }
    }
    attach_plots(&native_jobs, &mut results, &recordings, &reference_root);
    // Calibration runs (other seeds, when blessing) are no engine of their own.
    let main_jobs: Vec<(usize, crate::native::NativeJob)> = native_jobs
        .iter()
        .filter(|(_, job)| job.seed.is_none())
        .cloned()
        .collect();
    let agreement = crate::agreement::evaluate(&main_jobs, &results, &recordings);
    let _ = reporting.await;
    let interrupted = *cancel_rx.borrow();
    if let Some(cache) = &cache {
        for (index, key) in &cache_keys {
            if let Some(result) = results.get(*index) {
                if let Err(e) = cache.put(key, result, recordings.get(index)) {
                    error(format!(
                        "could not record {} in the result cache: {e}",
                        result.id
                    ));
                }
            }
        }
    }
    results.extend(invalid_results);

    // Report.
    let duration_s = started.elapsed().as_secs_f64();
    let mut versions: BTreeMap<String, String> = tools.state.versions.clone();
    if let Some(v) = tools.jnml_version() {
        versions.insert("jNeuroML".into(), v);
    }
    if let Some(p) = &tools.state.python {
        versions.insert("python".into(), p.clone());
    }
    let mut report = RunReport {
        schema_version: RunReport::SCHEMA_VERSION,
        crosscheck_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started_at.to_rfc3339(),
        duration_s,
        jobs: jobs_allowed,
        hostname: nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok()),
        interrupted,
        versions,
        summary: Summary::from_results(&results),
        tests: results,
        agreement,
        history: None,
    };
    print!("\n{}", terminal::summary_table(&report.tests, duration_s));
    print!("{}", terminal::agreement_table(&report.agreement));
    let mut write_failed = false;
    // The history first, so the reports written below show its trends.
    if let Some(path) = &args.history {
        let dir = args
            .select
            .paths
            .paths
            .first()
            .map(|p| {
                if p.is_dir() {
                    p.clone()
                } else {
                    p.parent().map(PathBuf::from).unwrap_or_default()
                }
            })
            .unwrap_or_else(|| PathBuf::from("."));
        let commit = crate::history::git_commit(&dir);
        let new_rows = crate::history::rows(&report, commit.as_deref());
        match crate::history::append(path, &new_rows) {
            Ok(all) => {
                print!("{}", history_notes(&all));
                report.history = Some(crate::history::summarize(&all, 10));
            }
            Err(e) => {
                error(e);
                write_failed = true;
            }
        }
    }
    if let Some(github) = &github {
        print!("{}", github.annotations(&report));
        if let Err(e) = github.write_summary(&report) {
            error(format!(
                "could not append the job summary to $GITHUB_STEP_SUMMARY: {e}"
            ));
            write_failed = true;
        }
    }
    let written = write_reports(&report, &args.json, &args.junit, &args.html);
    write_failed |= written.failed || written.html_failed;

    if mode == Mode::Bless && !interrupted {
        let blessed = bless(&native_jobs, &report, &recordings, &reference_root);
        if blessed != Exit::Success {
            return blessed;
        }
        return if had_invalid {
            Exit::InvalidTestFile
        } else {
            Exit::Success
        };
    }
    if interrupted {
        Exit::Interrupted
    } else if write_failed {
        Exit::ReportUnwritable
    } else if refused > 0 {
        error(format!(
            "{refused} test(s) need an engine that cannot be provisioned here (--require-all)"
        ));
        Exit::EngineUnavailable
    } else if had_invalid {
        Exit::InvalidTestFile
    } else if !report.summary.all_passed() || report.agreement.iter().any(|a| !a.passed()) {
        Exit::TestsFailed
    } else {
        Exit::Success
    }
}

/// Writes the reference data of every suite job, after showing what changes. Nothing is
/// written when any job errored or timed out: a reference must come from a clean run.
fn bless(
    jobs: &[(usize, crate::native::NativeJob)],
    report: &RunReport,
    recordings: &BTreeMap<usize, crate::native::Recordings>,
    reference_root: &dyn Fn(&crate::native::NativeJob) -> PathBuf,
) -> Exit {
    let broken: Vec<&TestResult> = jobs
        .iter()
        .filter_map(|(index, _)| report.tests.get(*index))
        .filter(|r| matches!(r.status, Status::Error | Status::Timeout))
        .collect();
    if !broken.is_empty() {
        for r in &broken {
            error(format!(
                "{} on {}: {} ({})",
                r.model,
                r.engine,
                r.status,
                r.message.as_deref().unwrap_or("")
            ));
        }
        error(format!(
            "not blessing: {} job(s) did not run cleanly; nothing was written",
            broken.len()
        ));
        return Exit::TestsFailed;
    }
    let command: Vec<String> = std::env::args().collect();
    let date = chrono::Local::now().to_rfc3339();
    let mut written = 0;
    for (index, job) in jobs {
        let Some(recorded) = recordings.get(index) else {
            continue;
        };
        if job.suite.checks.distributions.is_some() && job.seed.is_none() {
            match bless_calibration(
                jobs,
                *index,
                report,
                recordings,
                reference_root,
                &command,
                &date,
            ) {
                Ok(n) => written += n,
                Err(e) => {
                    error(e);
                    return Exit::TestsFailed;
                }
            }
        }
        if job.suite.checks.reference.is_none() || job.seed.is_some() {
            continue;
        }
        let root = reference_root(job);
        let label = format!("{} on {}", job.label(), job.simulator.name());
        for change in crate::reference::changes(&root, job, recorded) {
            println!("bless {label}: {change}");
        }
        let provenance = crate::reference::Provenance {
            suite: job.suite.name.to_string(),
            sweep_point: job.point,
            engine: job.simulator.name().to_string(),
            engine_version: report
                .tests
                .get(*index)
                .and_then(|r| r.engine_version.clone()),
            crosscheck_version: env!("CARGO_PKG_VERSION").to_string(),
            date: date.clone(),
            command: command.clone(),
            model_files: crate::reference::model_file_hashes(&root, job),
        };
        match crate::reference::write(&root, job, recorded, &provenance) {
            Ok(files) => written += files.len(),
            Err(e) => {
                error(format!("could not write reference data for {label}: {e}"));
                return Exit::TestsFailed;
            }
        }
    }
    println!("blessed: {written} reference file(s) written");
    Exit::Success
}

/// Writes the calibration of job `index`'s suite when the job is its reference engine's run at
/// the suite's seed: that run and the calibration runs at the check's other seeds. Returns the
/// number of files written.
fn bless_calibration(
    jobs: &[(usize, crate::native::NativeJob)],
    index: usize,
    report: &RunReport,
    recordings: &BTreeMap<usize, crate::native::Recordings>,
    reference_root: &dyn Fn(&crate::native::NativeJob) -> PathBuf,
    command: &[String],
    date: &str,
) -> Result<usize, String> {
    let Some((_, job)) = jobs.iter().find(|(i, _)| *i == index) else {
        return Ok(0);
    };
    let Some(check) = &job.suite.checks.distributions else {
        return Ok(0);
    };
    if job.simulator != check.reference || job.point.is_some() {
        return Ok(0);
    }
    let mut runs = vec![(job.suite.simulation.seed, &recordings[&index])];
    for (i, other) in jobs {
        if other.file == job.file && other.simulator == job.simulator && other.seed.is_some() {
            let Some(recorded) = recordings.get(i) else {
                return Err(format!(
                    "{}: no recordings of the calibration run",
                    other.label()
                ));
            };
            runs.push((other.seed.unwrap_or_default(), recorded));
        }
    }
    let provenance = crate::reference::Provenance {
        suite: job.suite.name.to_string(),
        sweep_point: None,
        engine: job.simulator.name().to_string(),
        engine_version: report
            .tests
            .get(index)
            .and_then(|r| r.engine_version.clone()),
        crosscheck_version: env!("CARGO_PKG_VERSION").to_string(),
        date: date.to_string(),
        command: command.to_vec(),
        model_files: crate::reference::model_file_hashes(&reference_root(job), job),
    };
    let Some(calibration) = crate::calibration::calibrate(&job.suite, &runs, provenance) else {
        return Ok(0);
    };
    let root = reference_root(job);
    for entry in &calibration.entries {
        println!(
            "bless {} on {}: {} {} distribution, seed-to-seed KS up to {:.4} over {} seeds",
            job.label(),
            job.simulator.name(),
            entry.population,
            entry.statistic,
            entry.baseline,
            calibration.seeds.len()
        );
    }
    crate::calibration::write(&root, &job.suite, &calibration)
        .map(|_| 1)
        .map_err(|e| format!("could not write the distributions of {}: {e}", job.label()))
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

/// Gives every suite job that recorded something its plot data (decimated recordings, its
/// reference, and its differences from the reference and from the other engines of the same
/// suite run), for the HTML report now or later (`crosscheck report`).
fn attach_plots(
    jobs: &[(usize, crate::native::NativeJob)],
    results: &mut [TestResult],
    recordings: &BTreeMap<usize, crate::native::Recordings>,
    reference_root: &dyn Fn(&crate::native::NativeJob) -> PathBuf,
) {
    for (index, job) in jobs {
        let Some(recorded) = recordings.get(index) else {
            continue;
        };
        let suite = job.resolved_suite();
        let reference = job.suite.checks.reference.as_ref().and_then(|rules| {
            crate::reference::read(&reference_root(job), job, rules)
                .ok()
                .flatten()
        });
        let others: Vec<(&str, &crate::native::Recordings)> = jobs
            .iter()
            .filter(|(i, other)| {
                i != index && other.file == job.file && other.label() == job.label()
            })
            .filter_map(|(i, other)| Some((other.simulator.name(), recordings.get(i)?)))
            .collect();
        let mut plots =
            crate::plot::PlotData::from_recordings(&suite, recorded, reference.as_ref(), &others);
        plots.populations = crate::calibration::summaries(&suite, recorded, &reference_root(job));
        if let Some(result) = results.get_mut(*index) {
            result.plots = Some(Box::new(plots));
        }
    }
}

/// An invalid test file still appears in the results, as an error pointing at the problem.
fn invalid_result(file: &InvalidFile) -> TestResult {
    let first = file.errors.first();
    TestResult {
        id: file.file.id.clone(),
        model: String::new(),
        file: file.file.path.clone(),
        line: first.map_or(1, |e| e.location.line),
        engine: "(invalid)".into(),
        engine_version: None,
        status: Status::Error,
        duration_s: 0.0,
        message: Some(format!(
            "invalid test file: {}",
            file.errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )),
        observables: vec![],
        commands: vec![],
        output_tail: None,
        workdir: None,
        cached: false,
        cpus: 1,
        started_at: None,
        finished_at: None,
        plots: None,
        jvm: None,
    }
}
