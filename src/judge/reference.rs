//! Blessed reference data: what a suite's recordings looked like when someone said "this is
//! right", per engine, with where it came from.
//!
//! Only `crosscheck bless` writes here; `run` reads. Layout, under the reference root (the
//! nearest `reference-data/` folder above the suite, else one beside it):
//!
//! ```text
//! reference-data/<suite>/<engine>[/point-<k>]/spikes_<population>.txt        cell time_ms
//! reference-data/<suite>/<engine>[/point-<k>]/<population>_<variable>.txt    time_ms, one column per cell
//! … each with <file>.provenance.json: engine, version, crosscheck version, date, command, hashes
//! ```
//!
//! Files hold only what the suite's `checks.reference` rules compare, in the output contract's
//! units (ms, mV, pA, mV/ms), as plain text that reviews well in a diff. Every file is written
//! atomically (temporary file, then rename), so an interrupted bless never leaves half a file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::judge::agreement::compare_recordings;
use crate::results::{CheckStatus, ObservableResult, PairCheck, Recordings};
use crate::suite::native::{NativeSuite, RecordingRules, Variable};
use crate::suite::units::code_number;
use crate::suite_job::{read_folder, SuiteJob};

/// Where a reference file came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The suite's name (its `suite:`), as in the reference path.
    pub suite: String,
    /// The 0-based sweep point (`point-<k>`); `None` without a sweep, and for a calibration.
    pub sweep_point: Option<usize>,
    /// The simulator that recorded the data (`NEST`), as in the reference path.
    pub engine: String,
    /// Exact version of the engine, e.g. `NEST 3.10.0`; `None` when it was not known.
    pub engine_version: Option<String>,
    /// The version of crosscheck that blessed it.
    pub crosscheck_version: String,
    /// RFC 3339.
    pub date: String,
    /// The command line that blessed it.
    pub command: Vec<String>,
    /// SHA-256 of the suite file, then of every NeuroML file of its model, by path.
    pub model_files: Vec<(String, String)>,
}

/// An exclusive hold on a reference root for one `crosscheck bless`, released when dropped.
///
/// Two blesses of the same references at once would each write whole files atomically, but
/// could interleave them: half the files from one run, half from the other, with provenance
/// that claims otherwise. The second therefore waits for the first: an `flock` on the folder
/// holding the reference root (the root itself may not exist yet, and a lock file would
/// litter the repository), released by the kernel even if the holder is killed.
#[derive(Debug)]
pub struct BlessLock {
    _file: std::fs::File,
}

/// Takes the bless lock of `root` (creating the folder above it if needed), calling `waiting`
/// once first if another bless holds it.
pub fn lock_for_bless(root: &Path, waiting: impl FnOnce()) -> std::io::Result<BlessLock> {
    let folder = bless_lock_folder(root);
    std::fs::create_dir_all(&folder)?;
    let file = std::fs::File::open(&folder)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            waiting();
            file.lock()?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    Ok(BlessLock { _file: file })
}

/// The folder whose lock guards blessing into `root`.
pub fn bless_lock_folder(root: &Path) -> PathBuf {
    let absolute = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    absolute
        .parent()
        .map_or(absolute.clone(), Path::to_path_buf)
}

/// The reference root for a suite file: the nearest `reference-data/` folder above it, else
/// `reference-data/` beside the suite.
pub fn reference_root(suite_file: &Path) -> PathBuf {
    suite_file
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("reference-data"))
        .find(|candidate| candidate.is_dir())
        .unwrap_or_else(|| {
            suite_file
                .parent()
                .unwrap_or(Path::new("."))
                .join("reference-data")
        })
}

/// The folder holding one job's reference files.
pub fn job_dir(root: &Path, job: &SuiteJob) -> PathBuf {
    let dir = root
        .join(job.suite.name.as_str())
        .join(job.simulator.name());
    match job.point {
        Some(point) => dir.join(format!("point-{point}")),
        None => dir,
    }
}

/// The reference recordings of a job, or `None` when it has never been blessed.
pub fn read(
    root: &Path,
    job: &SuiteJob,
    rules: &RecordingRules,
) -> Result<Option<Recordings>, String> {
    let dir = job_dir(root, job);
    if !dir.is_dir() {
        return Ok(None);
    }
    read_folder(&job.resolved_suite(), &dir, Some(rules)).map(Some)
}

/// Judges a job's recordings against its reference: one observable per comparison.
pub fn judge(root: &Path, job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult> {
    let Some(rules) = &job.suite.checks.reference else {
        return vec![];
    };
    let location = |message: String, status: CheckStatus, what: &str| ObservableResult {
        experiment: "reference".into(),
        observable: what.to_string(),
        status,
        tolerance: 0.0,
        expected: None,
        observed: None,
        message,
        min_passing_tolerance: None,
        file: rules.location.file.clone(),
        line: rules.location.line,
    };
    match read(root, job, rules) {
        Ok(None) => vec![location(
            format!(
                "no reference data at {}; record it with `crosscheck bless`",
                job_dir(root, job).display()
            ),
            CheckStatus::Error,
            "reference data",
        )],
        Err(e) => vec![location(
            format!("unreadable reference data: {e}"),
            CheckStatus::Error,
            "reference data",
        )],
        Ok(Some(reference)) => {
            let note = stale_note(root, job);
            compare_recordings(&job.suite, rules, recordings, &reference)
                .into_iter()
                .map(
                    |PairCheck {
                         what,
                         passed,
                         message,
                     }| {
                        let status = if passed {
                            CheckStatus::Pass
                        } else {
                            CheckStatus::Fail
                        };
                        location(format!("{message}{note}"), status, &what)
                    },
                )
                .collect()
        }
    }
}

/// SHA-256 of the suite file and of every file of its NeuroML model (the suite file first), by
/// path relative to the folder holding `root`, so provenance does not depend on where the
/// repository is checked out. Files that cannot be read are left out.
pub fn model_file_hashes(root: &Path, job: &SuiteJob) -> Vec<(String, String)> {
    let base = root.parent().unwrap_or(root);
    let mut files = vec![job.file.clone()];
    if let Some(model) = &job.suite.model {
        files.extend(model.files.iter().cloned());
    }
    // The suite path may be relative to the working directory, the model's are canonical.
    let base_canonical = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    files
        .iter()
        .filter_map(|file| {
            let hash = crate::fsutil::file_sha256(file).ok()?;
            let shown = file
                .strip_prefix(base)
                .or_else(|_| file.strip_prefix(&base_canonical))
                .unwrap_or(file);
            Some((shown.display().to_string(), hash))
        })
        .collect()
}

/// A note for reference checks whose data was blessed from another version of the suite file
/// or its model files: a failure may then be the suite's change rather than the simulator's.
fn stale_note(root: &Path, job: &SuiteJob) -> String {
    let dir = job_dir(root, job);
    let blessed = std::fs::read_dir(&dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".provenance.json"))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| serde_json::from_str::<Provenance>(&text).ok())
        .map(|prov| prov.model_files);
    let now = model_file_hashes(root, job);
    let changed: Vec<&str> = match &blessed {
        // The same path, else the same file name: references are often blessed in the
        // repository and checked from a copy laid out differently.
        Some(blessed) => now
            .iter()
            .filter(|(path, hash)| {
                let name = |p: &str| Path::new(p).file_name().map(|n| n.to_os_string());
                let same = blessed
                    .iter()
                    .find(|(p, _)| p == path)
                    .or_else(|| blessed.iter().find(|(p, _)| name(p) == name(path)));
                same.is_some_and(|(_, h)| h != hash)
            })
            .map(|(path, _)| path.as_str())
            .collect(),
        None => Vec::new(),
    };
    if changed.is_empty() {
        String::new()
    } else {
        format!(
            " (note: {} changed since this reference was blessed)",
            changed.join(", ")
        )
    }
}

/// What blessing `recordings` would change, one line per file, against the current reference.
pub fn changes(root: &Path, job: &SuiteJob, recordings: &Recordings) -> Vec<String> {
    let Some(rules) = &job.suite.checks.reference else {
        return vec![];
    };
    match read(root, job, rules) {
        Ok(Some(old)) => compare_recordings(&job.suite, rules, recordings, &old)
            .into_iter()
            .map(|c| {
                let verdict = if c.passed {
                    "within the rules"
                } else {
                    "CHANGED"
                };
                format!("{}: {verdict}: {}", c.what, c.message)
            })
            .collect(),
        Ok(None) => vec!["new reference".into()],
        Err(e) => {
            // A suite that gained a recording since it was blessed has no reference file for
            // it yet: say so, rather than call the whole reference unreadable.
            let dir = job_dir(root, job);
            let missing: Vec<String> = compared_files(&job.suite, rules)
                .into_iter()
                .filter(|name| !dir.join(name).is_file())
                .collect();
            if missing.is_empty() {
                vec![format!("replacing unreadable reference ({e})")]
            } else {
                vec![format!(
                    "new recording{} without a reference yet: {} (the others are rewritten as recorded, not compared)",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                )]
            }
        }
    }
}

/// The reference files the rules compare, by name: what [`write`] writes for the suite.
fn compared_files(suite: &NativeSuite, rules: &RecordingRules) -> Vec<String> {
    let mut names = Vec::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        for variable in &rec.variables {
            match variable {
                Variable::Spikes if rules.spike_window.is_some() => {
                    names.push(format!("spikes_{}.txt", pop.id));
                }
                Variable::State(name) if rules.traces.iter().any(|t| t.variable == *name) => {
                    names.push(format!("{}_{name}.txt", pop.id));
                }
                _ => {}
            }
        }
    }
    names
}

/// Writes a job's reference files (only what the reference rules compare) with provenance.
pub fn write(
    root: &Path,
    job: &SuiteJob,
    recordings: &Recordings,
    provenance: &Provenance,
) -> std::io::Result<Vec<PathBuf>> {
    let Some(rules) = &job.suite.checks.reference else {
        return Ok(vec![]);
    };
    let dir = job_dir(root, job);
    std::fs::create_dir_all(&dir)?;
    let suite = &job.suite;
    let mut written = Vec::new();
    let sidecar = serde_json::to_string_pretty(provenance).map_err(std::io::Error::other)?;
    let mut put = |name: String, text: String| -> std::io::Result<()> {
        let path = dir.join(&name);
        crate::fsutil::write_atomic(&path, text.as_bytes())?;
        crate::fsutil::write_atomic(
            &dir.join(format!("{name}.provenance.json")),
            sidecar.as_bytes(),
        )?;
        written.push(path);
        Ok(())
    };
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        for variable in &rec.variables {
            match variable {
                Variable::Spikes if rules.spike_window.is_some() => {
                    let mut text = format!(
                        "# crosscheck reference: spikes of `{}`; cell time_ms\n",
                        pop.id
                    );
                    for (cell, t) in recordings.spikes.get(pop.id.as_str()).into_iter().flatten() {
                        let _ = writeln!(text, "{cell} {}", code_number(*t));
                    }
                    put(format!("spikes_{}.txt", pop.id), text)?;
                }
                Variable::State(name) if rules.traces.iter().any(|t| t.variable == *name) => {
                    let Some(trace) = recordings
                        .traces
                        .get(&(pop.id.to_string(), name.to_string()))
                    else {
                        continue;
                    };
                    let unit = pop
                        .kind
                        .state_variable(name)
                        .map(|v| crate::judge::agreement::trace_unit(v.dimension))
                        .unwrap_or("1");
                    let mut text = format!(
                        "# crosscheck reference: `{name}` of `{}` in {unit}; time_ms then one column per recorded cell\n",
                        pop.id
                    );
                    for (row, t) in trace.time_ms.iter().enumerate() {
                        text.push_str(&code_number(*t));
                        for column in &trace.columns {
                            text.push(' ');
                            text.push_str(
                                &column.get(row).map_or("nan".into(), |v| code_number(*v)),
                            );
                        }
                        text.push('\n');
                    }
                    put(format!("{}_{name}.txt", pop.id), text)?;
                }
                _ => {}
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// `bless` after a suite gained a recording names the new file instead of calling the
    /// reference unreadable; a damaged file still says unreadable.
    #[test]
    fn a_new_recording_is_named_not_called_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.crosscheck.yaml");
        std::fs::write(
            &path,
            "suite: two\nsimulation: {duration: 10 ms}\npopulations:\n  a: {cell: lif_curr_exp, size: 1}\n  b: {cell: lif_curr_exp, size: 1}\nrecord:\n  - {population: a, variables: [spikes]}\n  - {population: b, variables: [spikes]}\nchecks:\n  reference: {spikes: {window: 1 ms}}\n",
        )
        .unwrap();
        let suite = crate::suite::native::load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"));
        let job = SuiteJob::new(suite, path.clone(), crate::suite::native::Simulator::Nest);
        let recordings = Recordings {
            spikes: BTreeMap::from([
                ("a".to_string(), vec![(0, 1.5)]),
                ("b".to_string(), vec![(0, 2.5)]),
            ]),
            ..Default::default()
        };
        let provenance = Provenance {
            suite: "two".into(),
            sweep_point: None,
            engine: "NEST".into(),
            engine_version: None,
            crosscheck_version: "test".into(),
            date: "2026-11-26".into(),
            command: vec![],
            model_files: vec![],
        };
        let root = dir.path().join("reference-data");
        let written = write(&root, &job, &recordings, &provenance).unwrap();
        assert_eq!(written.len(), 2);
        assert!(changes(&root, &job, &recordings)
            .iter()
            .all(|c| c.contains("within the rules")));
        // Blessed before `b` was recorded.
        let b = written
            .iter()
            .find(|p| p.ends_with("spikes_b.txt"))
            .unwrap();
        std::fs::remove_file(b).unwrap();
        let lines = changes(&root, &job, &recordings);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("new recording without a reference yet: spikes_b.txt"),
            "{lines:?}"
        );
        // A damaged file is another matter.
        std::fs::write(b, "not numbers\n").unwrap();
        let lines = changes(&root, &job, &recordings);
        assert!(
            lines[0].starts_with("replacing unreadable reference"),
            "{lines:?}"
        );
    }
}
