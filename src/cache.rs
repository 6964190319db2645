//! The result cache: a test whose inputs have not changed since it last passed is not run
//! again (pre-commit hooks and repeated local runs), unless `--no-cache`.
//!
//! A job's key is a SHA-256 over everything its verdict depends on: crosscheck's version, the
//! engine and its exact version, the test's identity, and the content of every file the test
//! reads — for an OMV test its `.omt`, `.mep`, targets, the files they include, and the files
//! beside its targets (scripts, `.mod` files, data); for a crosscheck suite the suite file,
//! its NeuroML files and its blessed reference data. Only passes are stored, with the
//! recordings of suite jobs (the agreement between engines needs them even when a job came
//! from the cache). Entries are written atomically; an unreadable entry is a miss.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::{Job, Work};
use crate::results::{Recordings, Trace};
use crate::results::{Status, TestResult};

/// Files larger than this enter the key by size and modification time rather than content:
/// hashing gigabytes of recorded data on every run would defeat the cache's purpose.
const HASH_LIMIT_BYTES: u64 = 64 * 1024 * 1024;
/// Bound on the files scanned beside a target (a target in a huge folder).
const MAX_FILES_BESIDE: usize = 2000;

/// A folder of cached passes, one JSON file per key.
#[derive(Debug, Clone)]
pub struct ResultCache {
    dir: PathBuf,
}

/// What a cache entry holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The pass as recorded, without what belongs to that one run (working directory, start
    /// and end times, plot data).
    pub result: TestResult,
    /// A crosscheck suite job's recordings, which the agreement between engines and the plots
    /// are computed from; absent for OMV tests.
    #[serde(default)]
    pub recordings: Option<StoredRecordings>,
}

/// [`Recordings`] in a form JSON can hold (tuple keys become fields).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRecordings {
    spikes: Vec<(String, Vec<(u32, f64)>)>,
    traces: Vec<StoredTrace>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTrace {
    population: String,
    variable: String,
    time_ms: Vec<f64>,
    columns: Vec<Vec<f64>>,
}

impl From<&Recordings> for StoredRecordings {
    fn from(r: &Recordings) -> Self {
        StoredRecordings {
            spikes: r
                .spikes
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            traces: r
                .traces
                .iter()
                .map(|((population, variable), t)| StoredTrace {
                    population: population.clone(),
                    variable: variable.clone(),
                    time_ms: t.time_ms.clone(),
                    columns: t.columns.clone(),
                })
                .collect(),
        }
    }
}

impl From<StoredRecordings> for Recordings {
    fn from(s: StoredRecordings) -> Self {
        Recordings {
            spikes: s.spikes.into_iter().collect(),
            traces: s
                .traces
                .into_iter()
                .map(|t| {
                    (
                        (t.population, t.variable),
                        Trace {
                            time_ms: t.time_ms,
                            columns: t.columns,
                        },
                    )
                })
                .collect(),
        }
    }
}

impl ResultCache {
    /// The cache kept in `dir` (`cache/results/` in the crosscheck home), created on first write.
    pub fn new(dir: PathBuf) -> Self {
        ResultCache { dir }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The cached pass for `key`, if there is a readable one.
    pub fn get(&self, key: &str) -> Option<Entry> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        (entry.result.status == Status::Pass).then_some(entry)
    }

    /// Records a pass (anything else is ignored). Atomic: a temporary file renamed into place,
    /// so a concurrent reader sees the old entry or the new one, never half of one.
    pub fn put(
        &self,
        key: &str,
        result: &TestResult,
        recordings: Option<&Recordings>,
    ) -> std::io::Result<()> {
        if result.status != Status::Pass {
            return Ok(());
        }
        let mut result = result.clone();
        // Paths into a deleted working directory mean nothing later.
        result.workdir = None;
        result.cached = false;
        // A later run that takes the pass from the cache does not run the job at all.
        result.started_at = None;
        result.finished_at = None;
        // Plot data is rebuilt from the stored recordings when the entry is used.
        result.plots = None;
        let entry = Entry {
            result,
            recordings: recordings.map(StoredRecordings::from),
        };
        let text = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&self.path(key), text.as_bytes())
    }
}

/// The cache key of `job`; `reference_dir` is where a crosscheck suite's reference data for it
/// lies (they are part of its verdict).
pub fn key(job: &Job, reference_dir: Option<&Path>) -> String {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &str| {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(value.len().to_le_bytes());
        h.update(value.as_bytes());
    };
    field("format", "crosscheck result cache 1");
    field("crosscheck", env!("CARGO_PKG_VERSION"));
    field("engine", &job.engine_label());
    field(
        "engine version",
        job.engine_version.as_deref().unwrap_or("?"),
    );
    // The test's place, not its id: an id is relative to the path it was discovered under,
    // and `crosscheck run models/` and `crosscheck run models/cell1` find the same test.
    let (file, line) = job.location();
    field("location", &format!("{}:{line}", file.display()));
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    match &job.work {
        Work::Omv(omv) => {
            files.extend(omv.test.referenced_paths());
            files.extend(crate::plan::included_files(&omv.test.targets));
            for target in &omv.test.targets {
                if let Some(dir) = target.parent() {
                    files.extend(files_beside(dir));
                }
            }
        }
        Work::Suite(native) => {
            field("sweep point", &format!("{:?}", native.point));
            files.insert(native.file.clone());
            if let Some(model) = &native.suite.model {
                files.extend(model.files.iter().cloned());
            }
            if let Some(dir) = reference_dir {
                field("reference dir", &dir.display().to_string());
                files.extend(walk(dir, 4));
            }
        }
    }
    for file in files {
        field("file", &file.display().to_string());
        field("content", &fingerprint(&file));
    }
    format!("{:x}", h.finalize())
}

/// Content hash of a file; size and time for a very large one; `missing` when absent.
fn fingerprint(path: &Path) -> String {
    let Ok(meta) = std::fs::metadata(path) else {
        return "missing".into();
    };
    if !meta.is_file() {
        return "not a file".into();
    }
    if meta.len() > HASH_LIMIT_BYTES {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        return format!("large {} {modified}", meta.len());
    }
    match std::fs::read(path) {
        Ok(bytes) => format!("{:x}", Sha256::digest(&bytes)),
        Err(e) => format!("unreadable {}", e.kind()),
    }
}

/// The regular files in `dir` (not below it), and `.mod` files up to three levels below
/// (`modfiles/`, `mod_files/`...), which NEURON models compile.
fn files_beside(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .take(MAX_FILES_BESIDE)
        .collect();
    out.extend(
        walk(dir, 3)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "mod")),
    );
    out
}

/// Regular files under `dir`, at most `depth` levels down, skipping hidden folders and build
/// output (`x86_64`, `__pycache__`).
fn walk(dir: &Path, depth: usize) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .max_depth(depth)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0
                || !(name.starts_with('.') && e.file_type().is_dir()
                    || name == "x86_64"
                    || name == "__pycache__")
        })
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .take(MAX_FILES_BESIDE)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass() -> TestResult {
        TestResult {
            model: "m".into(),
            file: PathBuf::from("t.omt"),
            duration_s: 1.0,
            workdir: Some(PathBuf::from("/gone")),
            ..TestResult::new("t", "command", Status::Pass)
        }
    }

    #[test]
    fn passes_round_trip_with_their_recordings() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ResultCache::new(dir.path().join("c"));
        let mut recordings = Recordings::default();
        recordings
            .spikes
            .insert("p".into(), vec![(0, 1.5), (1, 2.0)]);
        recordings.traces.insert(
            ("p".into(), "v".into()),
            Trace {
                time_ms: vec![0.0, 0.1],
                columns: vec![vec![-65.0, -64.9]],
            },
        );
        cache.put("k", &pass(), Some(&recordings)).unwrap();
        let entry = cache.get("k").expect("hit");
        assert_eq!(entry.result.workdir, None);
        assert_eq!(Recordings::from(entry.recordings.unwrap()), recordings);
        assert!(cache.get("other").is_none());
    }

    #[test]
    fn only_passes_are_kept_and_broken_entries_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ResultCache::new(dir.path().to_path_buf());
        let mut failed = pass();
        failed.status = Status::Fail;
        cache.put("f", &failed, None).unwrap();
        assert!(cache.get("f").is_none());
        std::fs::write(dir.path().join("b.json"), "{ not json").unwrap();
        assert!(cache.get("b").is_none());
        // No temporary files left behind.
        cache.put("p", &pass(), None).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    }

    #[test]
    fn fingerprints_follow_content() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, "one").unwrap();
        let first = fingerprint(&a);
        std::fs::write(&a, "one").unwrap();
        assert_eq!(
            fingerprint(&a),
            first,
            "rewriting the same bytes changes nothing"
        );
        std::fs::write(&a, "two").unwrap();
        assert_ne!(fingerprint(&a), first);
        assert_eq!(fingerprint(&dir.path().join("none")), "missing");
    }
}
