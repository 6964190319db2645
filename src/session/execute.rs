//! Executing a session's jobs: results that are still valid come from the result cache, the
//! rest go to the runner, which judges each job before it reports it; the terminal reporter
//! prints each job's line as its event arrives. New passes are recorded in the cache.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::stored::StoredData;
use super::{Mode, Settings};
use crate::cache::{Entry, ResultCache};
use crate::engine::Tools;
use crate::exit::error;
use crate::plan::{self, Job};
use crate::report::terminal::TerminalReporter;
use crate::results::{Recordings, TestResult};
use crate::runner::{self, Event, RunOptions};
use crate::suite_job::SuiteJob;

/// What executing the jobs gave.
#[derive(Debug)]
pub struct Executed {
    /// Every job's result, at its index.
    pub results: Vec<TestResult>,
    /// The recordings of every suite job that ran to the end (or came from the cache).
    pub recordings: BTreeMap<usize, Recordings>,
    /// The crosscheck-suite jobs, by index (the ones the checks across jobs look at).
    pub suite_jobs: Vec<(usize, SuiteJob)>,
    /// Ctrl-C or SIGTERM stopped the run.
    pub interrupted: bool,
}

/// Runs `jobs` (those the cache does not have) and gathers every result.
pub async fn execute(
    settings: &Settings,
    jobs: Vec<Job>,
    tools: &Tools,
    options: RunOptions,
    stored: &StoredData,
) -> Executed {
    note_jobs_beyond_the_budget(&jobs, settings.jobs);
    let total_jobs = jobs.len();
    let suite_jobs: Vec<(usize, SuiteJob)> = jobs
        .iter()
        .filter_map(|job| match &job.work {
            plan::Work::Suite(native) => Some((job.index, native.clone())),
            plan::Work::Omv(_) => None,
        })
        .collect();
    // Passes whose inputs are unchanged come from the cache (never when blessing: that needs
    // fresh recordings).
    let cache = (settings.mode == Mode::Run && !settings.no_cache && !settings.keep_workdirs)
        .then(|| ResultCache::new(settings.env.home().join("cache").join("results")));
    let lookup = look_up(cache.as_ref(), &jobs, stored);
    let (from_cache, to_run): (Vec<Job>, Vec<Job>) = jobs
        .into_iter()
        .partition(|job| lookup.cached.contains_key(&job.index));
    let mut cached = lookup.cached;

    let (cancel_tx, cancel_rx) = watch::channel(false);
    watch_signals(cancel_tx);
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<Event>();
    let github = crate::report::github::GitHub::from_env().is_some();
    let mut reporter = TerminalReporter::new(total_jobs, settings.verbose, github);
    reporter.show_workdirs(settings.announce_workdirs);
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
    let output = runner::run_jobs(
        to_run,
        Arc::new(tools.clone()),
        Arc::new(options),
        events_tx,
        cancel_rx.clone(),
    )
    .await;
    let _ = reporting.await;
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
    if let Some(cache) = &cache {
        for (index, key) in &lookup.keys {
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
    let interrupted = *cancel_rx.borrow();
    Executed {
        results,
        recordings,
        suite_jobs,
        interrupted,
    }
}

/// The cache's answer for a session's jobs.
#[derive(Default)]
struct Lookup {
    /// Entries found, by job index.
    cached: BTreeMap<usize, Entry>,
    /// Cache keys of the jobs that must run, by job index (their passes are recorded).
    keys: BTreeMap<usize, String>,
}

/// Looks every job up in the cache (none when there is no cache).
fn look_up(cache: Option<&ResultCache>, jobs: &[Job], stored: &StoredData) -> Lookup {
    let mut lookup = Lookup::default();
    let Some(cache) = cache else {
        return lookup;
    };
    for job in jobs {
        // A suite job's key covers its reference data: re-blessing makes it run again.
        let reference_dir = match &job.work {
            plan::Work::Suite(native) => Some(crate::judge::reference::job_dir(
                &stored.root(native),
                native,
            )),
            plan::Work::Omv(_) => None,
        };
        let key = crate::cache::key(job, reference_dir.as_deref());
        match cache.get(&key) {
            Some(entry) => {
                lookup.cached.insert(job.index, entry);
            }
            None => {
                lookup.keys.insert(job.index, key);
            }
        }
    }
    lookup
}

/// Says which engines need more CPUs than `-j` allows: their jobs run alone, on fewer CPUs
/// than ranks, and are slower than they would be with the CPUs they need.
fn note_jobs_beyond_the_budget(jobs: &[Job], jobs_allowed: usize) {
    let budget = runner::cpu_budget(jobs_allowed);
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
