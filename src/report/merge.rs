//! `crosscheck merge`: the JSON results of shards (`--partition`) into one run.
//!
//! Shards must not overlap: a test (its file, line, engine and sweep label) or a suite's
//! agreement matrix found in two shards is an error naming both files, since a duplicate
//! would be counted twice and a silent choice could hide a failure. The merged run lasted as
//! long as its longest shard (they run side by side), started with the earliest, and was
//! interrupted if any shard was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::results::RunReport;
use crate::results::Summary;

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard's file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The shard's file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A shard's file is not JSON results crosscheck can read.
    #[error("{path} is not crosscheck JSON results: {message}")]
    Parse {
        /// The shard's file.
        path: PathBuf,
        /// What the JSON parser reported.
        message: String,
    },
    /// A shard's results have another `schema_version` than this crosscheck writes.
    #[error("{path} has results schema {found}, this crosscheck reads {expected}")]
    Schema {
        /// The shard's file.
        path: PathBuf,
        /// The shard's `schema_version`.
        found: u32,
        /// The version this crosscheck reads ([`RunReport::SCHEMA_VERSION`]).
        expected: u32,
    },
    /// The same job, or the same suite's agreement matrix, is in two shards.
    #[error("shards overlap: {what} is in both {first} and {second}")]
    Overlap {
        /// The duplicate: a test (id, engine, file, line and model label) or an agreement
        /// matrix.
        what: String,
        /// The shard it was first found in.
        first: PathBuf,
        /// The shard that holds it again.
        second: PathBuf,
    },
    /// No shard files were given.
    #[error("nothing to merge: give the shards' JSON result files")]
    Empty,
}

/// Reads one shard's results.
pub fn read(path: &Path) -> Result<RunReport, MergeError> {
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let report: RunReport = serde_json::from_str(&text).map_err(|e| MergeError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if report.schema_version != RunReport::SCHEMA_VERSION {
        return Err(MergeError::Schema {
            path: path.to_path_buf(),
            found: report.schema_version,
            expected: RunReport::SCHEMA_VERSION,
        });
    }
    Ok(report)
}

/// Merges shards read from `paths` (in that order).
pub fn merge_files(paths: &[PathBuf]) -> Result<RunReport, MergeError> {
    let shards = paths
        .iter()
        .map(|p| read(p).map(|r| (p.clone(), r)))
        .collect::<Result<Vec<_>, _>>()?;
    merge(shards)
}

/// Merges `(file, results)` shards.
pub fn merge(shards: Vec<(PathBuf, RunReport)>) -> Result<RunReport, MergeError> {
    let mut iter = shards.into_iter();
    let (first_path, mut merged) = iter.next().ok_or(MergeError::Empty)?;
    let mut seen_tests: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut seen_suites: BTreeMap<String, PathBuf> = BTreeMap::new();
    let test_key = |t: &crate::results::TestResult| {
        format!("{} on {} ({}:{})", t.id, t.engine, t.file.display(), t.line)
    };
    let mut hosts: Vec<String> = Vec::new();
    let note = |host: &Option<String>, hosts: &mut Vec<String>| {
        if let Some(h) = host {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
    };
    note(&merged.hostname, &mut hosts);
    for t in &merged.tests {
        // A sweep's points share a test's key; they are told apart by their model label.
        let key = format!("{} [{}]", test_key(t), t.model);
        if let Some(other) = seen_tests.insert(key.clone(), first_path.clone()) {
            return Err(MergeError::Overlap {
                what: key,
                first: other,
                second: first_path,
            });
        }
    }
    for a in &merged.agreement {
        seen_suites.insert(a.suite.clone(), first_path.clone());
    }
    let mut seen_convergence: BTreeMap<String, PathBuf> = merged
        .convergence
        .iter()
        .map(|c| (format!("{} {}", c.suite, c.what), first_path.clone()))
        .collect();
    for (path, shard) in iter {
        for t in &shard.tests {
            let key = format!("{} [{}]", test_key(t), t.model);
            if let Some(first) = seen_tests.insert(key.clone(), path.clone()) {
                return Err(MergeError::Overlap {
                    what: key,
                    first,
                    second: path,
                });
            }
        }
        for a in &shard.agreement {
            if let Some(first) = seen_suites.insert(a.suite.clone(), path.clone()) {
                return Err(MergeError::Overlap {
                    what: format!("the agreement matrix of suite {}", a.suite),
                    first,
                    second: path,
                });
            }
        }
        for c in &shard.convergence {
            let key = format!("{} {}", c.suite, c.what);
            if let Some(first) = seen_convergence.insert(key.clone(), path.clone()) {
                return Err(MergeError::Overlap {
                    what: format!("the convergence of {key}"),
                    first,
                    second: path,
                });
            }
        }
        note(&shard.hostname, &mut hosts);
        merged.duration_s = merged.duration_s.max(shard.duration_s);
        if shard.started_at < merged.started_at {
            merged.started_at = shard.started_at.clone();
        }
        merged.jobs = merged.jobs.max(shard.jobs);
        merged.interrupted |= shard.interrupted;
        for (name, version) in shard.versions {
            let entry = merged
                .versions
                .entry(name)
                .or_insert_with(|| version.clone());
            // Shards on machines with different versions: say so rather than pick one.
            if !entry.split(" | ").any(|v| v == version) {
                entry.push_str(" | ");
                entry.push_str(&version);
            }
        }
        merged.tests.extend(shard.tests);
        merged.agreement.extend(shard.agreement);
        merged.convergence.extend(shard.convergence);
    }
    merged.hostname = (!hosts.is_empty()).then(|| hosts.join(", "));
    merged.summary = Summary::from_results(&merged.tests);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Status, TestResult};

    fn test(id: &str, engine: &str, status: Status) -> TestResult {
        TestResult {
            model: id.into(),
            file: PathBuf::from(id),
            duration_s: 1.0,
            ..TestResult::new(id, engine, status)
        }
    }

    fn shard(tests: Vec<TestResult>, duration: f64, host: &str) -> RunReport {
        RunReport {
            schema_version: RunReport::SCHEMA_VERSION,
            crosscheck_version: "0".into(),
            started_at: format!("2026-01-01T00:00:0{}Z", duration as u32),
            duration_s: duration,
            jobs: 2,
            hostname: Some(host.into()),
            interrupted: false,
            versions: [("neuron".to_string(), "8.2.7".to_string())].into(),
            summary: Summary::from_results(&tests),
            tests,
            agreement: vec![],
            convergence: vec![],
            history: None,
        }
    }

    #[test]
    fn merges_counts_hosts_and_times() {
        let merged = merge(vec![
            (
                "a.json".into(),
                shard(vec![test("x", "NEST", Status::Pass)], 3.0, "h1"),
            ),
            (
                "b.json".into(),
                shard(
                    vec![
                        test("y", "NEST", Status::Fail),
                        test("x", "NEURON", Status::Pass),
                    ],
                    5.0,
                    "h2",
                ),
            ),
        ])
        .unwrap();
        assert_eq!(merged.summary.total, 3);
        assert_eq!(merged.summary.fail, 1);
        assert_eq!(merged.duration_s, 5.0);
        assert_eq!(merged.started_at, "2026-01-01T00:00:03Z");
        assert_eq!(merged.hostname.as_deref(), Some("h1, h2"));
        assert_eq!(merged.versions["neuron"], "8.2.7");
    }

    #[test]
    fn overlapping_shards_are_refused_with_both_files() {
        let err = merge(vec![
            (
                "a.json".into(),
                shard(vec![test("x", "NEST", Status::Pass)], 1.0, "h"),
            ),
            (
                "b.json".into(),
                shard(vec![test("x", "NEST", Status::Pass)], 1.0, "h"),
            ),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("x on NEST") && err.contains("a.json") && err.contains("b.json"),
            "{err}"
        );
        assert!(matches!(merge(vec![]), Err(MergeError::Empty)));
    }

    #[test]
    fn convergence_entries_are_kept_and_a_duplicate_is_refused() {
        let entry = |suite: &str| crate::results::Convergence {
            suite: suite.into(),
            file: PathBuf::from(format!("{suite}.crosscheck.yaml")),
            line: 40,
            what: "cell cell 0: analytic v rms_relative".into(),
            order_band: [0.9, 1.1],
            exact_below: 1e-8,
            engines: vec![],
        };
        let mut a = shard(vec![test("x", "NEST", Status::Pass)], 1.0, "h");
        a.convergence = vec![entry("rc_step_dt")];
        let mut b = shard(vec![test("y", "NEST", Status::Pass)], 1.0, "h");
        b.convergence = vec![entry("psc_exp_dt")];
        let merged = merge(vec![("a.json".into(), a.clone()), ("b.json".into(), b)]).unwrap();
        let suites: Vec<&str> = merged
            .convergence
            .iter()
            .map(|c| c.suite.as_str())
            .collect();
        assert_eq!(suites, ["rc_step_dt", "psc_exp_dt"]);
        let mut again = shard(vec![test("z", "NEST", Status::Pass)], 1.0, "h");
        again.convergence = vec![entry("rc_step_dt")];
        let err = merge(vec![("a.json".into(), a), ("c.json".into(), again)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the convergence of rc_step_dt cell cell 0") && err.contains("c.json"),
            "{err}"
        );
    }

    #[test]
    fn differing_versions_are_kept_side_by_side() {
        let mut other = shard(vec![test("y", "NEST", Status::Pass)], 1.0, "h");
        other.versions.insert("neuron".into(), "9.0.2".into());
        let merged = merge(vec![
            (
                "a.json".into(),
                shard(vec![test("x", "NEST", Status::Pass)], 1.0, "h"),
            ),
            ("b.json".into(), other),
        ])
        .unwrap();
        assert_eq!(merged.versions["neuron"], "8.2.7 | 9.0.2");
    }

    #[test]
    fn unreadable_and_foreign_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"tests\": 3}").unwrap();
        let err = merge_files(std::slice::from_ref(&bad))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bad.json") && err.contains("not crosscheck JSON"),
            "{err}"
        );
        let err = merge_files(&[dir.path().join("none.json")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read"), "{err}");
    }
}
