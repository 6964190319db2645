//! Where a session's reference data lives and how `crosscheck bless` writes it: the reference
//! folders must stay in their repository, one bless at a time holds each, and nothing is
//! written unless every job ran cleanly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::stored::StoredData;
use crate::exit::{error, Exit};
use crate::judge::reference::BlessLock;
use crate::plan::{self, Job};
use crate::results::{Recordings, RunReport, Status, TestResult};
use crate::suite_job::SuiteJob;

/// The reference folder found above a suite must stay in its Git repository (a
/// `reference-data` symbolic link out of it is refused like any other path), unless given
/// with `--reference-dir`. Outside Git, the nearest `reference-data` above the suite is used.
pub fn check_reference_folders(jobs: &[Job], stored: &StoredData) -> Result<(), Exit> {
    if stored.reference_dir.is_some() {
        return Ok(());
    }
    let mut refused = false;
    for job in jobs {
        let plan::Work::Suite(native) = &job.work else {
            continue;
        };
        let Some(top) = crate::suite::boundary::git_toplevel(&native.file) else {
            continue;
        };
        let boundary = crate::suite::boundary::Boundary::for_test_file(&native.file, &top);
        let root = stored.root(native);
        if let Err(message) = boundary.check("reference folder", &root.display().to_string(), &root)
        {
            error(format!("{}: {message}", native.file.display()));
            refused = true;
        }
    }
    if refused {
        Err(Exit::InvalidTestFile)
    } else {
        Ok(())
    }
}

/// Locks every reference root the jobs bless into, waiting (and saying so) for another bless
/// of the same root to finish. The locks are held until dropped.
pub fn lock_references(jobs: &[Job], stored: &StoredData) -> Result<Vec<BlessLock>, Exit> {
    let roots: BTreeSet<PathBuf> = jobs
        .iter()
        .filter_map(|job| match &job.work {
            plan::Work::Suite(native) => Some(stored.root(native)),
            plan::Work::Omv(_) => None,
        })
        .collect();
    let mut locks = Vec::new();
    for root in roots {
        let waiting = || {
            eprintln!(
                "crosscheck: waiting for another `crosscheck bless` of {} to finish",
                root.display()
            )
        };
        match tokio::task::block_in_place(|| {
            crate::judge::reference::lock_for_bless(&root, waiting)
        }) {
            Ok(lock) => locks.push(lock),
            Err(e) => {
                error(format!(
                    "cannot lock {} for blessing: {e}",
                    crate::judge::reference::bless_lock_folder(&root).display()
                ));
                return Err(Exit::ReportUnwritable);
            }
        }
    }
    Ok(locks)
}

/// Writes the reference data of every suite job, after showing what changes. Nothing is
/// written when any job errored or timed out: a reference must come from a clean run.
pub fn bless(
    jobs: &[(usize, SuiteJob)],
    report: &RunReport,
    recordings: &BTreeMap<usize, Recordings>,
    stored: &StoredData,
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
    let blessing = Blessing {
        jobs,
        report,
        recordings,
        stored,
        command: std::env::args().collect(),
        date: chrono::Local::now().to_rfc3339(),
    };
    let mut written = 0;
    for (index, job) in jobs {
        let Some(recorded) = recordings.get(index) else {
            continue;
        };
        if job.suite.checks.distributions.is_some() && job.seed.is_none() {
            match blessing.calibration(*index, job) {
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
        match blessing.reference(*index, job, recorded) {
            Ok(n) => written += n,
            Err(e) => {
                error(e);
                return Exit::TestsFailed;
            }
        }
    }
    println!("blessed: {written} reference file(s) written");
    Exit::Success
}

/// One bless: the run it blesses and the provenance every file it writes shares.
struct Blessing<'a> {
    jobs: &'a [(usize, SuiteJob)],
    report: &'a RunReport,
    recordings: &'a BTreeMap<usize, Recordings>,
    stored: &'a StoredData,
    /// The command line that blessed.
    command: Vec<String>,
    /// RFC 3339.
    date: String,
}

impl Blessing<'_> {
    /// Where a file blessed from job `index` came from.
    fn provenance(
        &self,
        index: usize,
        job: &SuiteJob,
        sweep_point: Option<usize>,
    ) -> crate::judge::reference::Provenance {
        crate::judge::reference::Provenance {
            suite: job.suite.name.to_string(),
            sweep_point,
            engine: job.simulator.name().to_string(),
            engine_version: self
                .report
                .tests
                .get(index)
                .and_then(|r| r.engine_version.clone()),
            crosscheck_version: env!("CARGO_PKG_VERSION").to_string(),
            date: self.date.clone(),
            command: self.command.clone(),
            model_files: crate::judge::reference::model_file_hashes(&self.stored.root(job), job),
        }
    }

    /// Writes job `index`'s reference recordings after printing what changes; returns the
    /// number of files written.
    fn reference(
        &self,
        index: usize,
        job: &SuiteJob,
        recorded: &Recordings,
    ) -> Result<usize, String> {
        let root = self.stored.root(job);
        let label = format!("{} on {}", job.label(), job.simulator.name());
        for change in crate::judge::reference::changes(&root, job, recorded) {
            println!("bless {label}: {change}");
        }
        let provenance = self.provenance(index, job, job.point);
        crate::judge::reference::write(&root, job, recorded, &provenance)
            .map(|files| files.len())
            .map_err(|e| format!("could not write reference data for {label}: {e}"))
    }

    /// Writes the calibration of job `index`'s suite when the job is its reference engine's
    /// run at the suite's seed: that run and the calibration runs at the check's other seeds.
    /// Returns the number of files written.
    fn calibration(&self, index: usize, job: &SuiteJob) -> Result<usize, String> {
        let Some(check) = &job.suite.checks.distributions else {
            return Ok(0);
        };
        if job.simulator != check.reference || job.point.is_some() {
            return Ok(0);
        }
        let mut runs = vec![(job.suite.simulation.seed, &self.recordings[&index])];
        for (i, other) in self.jobs {
            if other.file == job.file && other.simulator == job.simulator && other.seed.is_some() {
                let Some(recorded) = self.recordings.get(i) else {
                    return Err(format!(
                        "{}: no recordings of the calibration run",
                        other.label()
                    ));
                };
                runs.push((other.seed.unwrap_or_default(), recorded));
            }
        }
        let provenance = self.provenance(index, job, None);
        let Some(calibration) = crate::judge::calibration::calibrate(&job.suite, &runs, provenance)
        else {
            return Ok(0);
        };
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
        crate::judge::calibration::write(&self.stored.root(job), &job.suite, &calibration)
            .map(|_| 1)
            .map_err(|e| format!("could not write the distributions of {}: {e}", job.label()))
    }
}
