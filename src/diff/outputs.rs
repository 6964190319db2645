//! What one run of a test wrote, read back for `crosscheck diff`.
//!
//! An OMV test's outputs are the data files its `.omt` names, read as its checks read them
//! (spike files by their `format`, tables whole), plus every other file the run wrote that
//! reads as a numeric table: a test without a `.mep` names no file at all, and simulator
//! exports often write more columns than the checks look at. A file counts as written when
//! the working copy holds it and the repository does not, or holds different bytes: the
//! working copy starts as a copy of the repository, so whatever differs came from the run.
//! Files in compiled-mechanism folders (`x86_64/`, ...) and files that are not text are
//! never data. A crosscheck suite's outputs are its recordings, already in memory.
//!
//! Every output carries its SHA-256 (files) so that identical outputs are found without
//! parsing, and its numbers: a table's time axis (its first column when it has more than one)
//! and value columns, or a spike train per cell.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::plan::OmvJob;
use crate::results::Recordings;
use crate::suite::{DataSource, ObservableKind, SpikeDetection};

/// Output files larger than this are compared by hash only (a 200 MB text table is far past
/// what any model in an OMV repository writes, and parsing it twice would dominate the run).
const MAX_PARSED_BYTES: u64 = 200 * 1024 * 1024;

/// Folders a run writes that never hold outputs: NEURON's compiled mechanisms, Python caches.
const NOT_OUTPUT_FOLDERS: &[&str] = &["x86_64", "aarch64", "arm64", "i686", "__pycache__", ".git"];

/// One output of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// What it is called in reports: a path relative to the test's folder, or a recording
    /// (`pop/v`, `pop spikes`).
    pub name: String,
    /// SHA-256 of the file's bytes (`None` for recordings, which come from memory).
    pub sha256: Option<String>,
    /// Its numbers, or why they could not be read.
    pub data: Result<OutputData, String>,
}

/// The numbers of an output.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputData {
    /// Sampled values on a common time axis.
    Table {
        /// The time axis: the first column of a table with several, else the row index.
        time: Vec<f64>,
        /// The value columns, named (`column 1`, or a recorded cell `pop/v[3]`).
        columns: Vec<(String, Vec<f64>)>,
    },
    /// Spike trains, by cell.
    Spikes(BTreeMap<String, Vec<f64>>),
}

/// The outputs of an OMV job that ran in `workdir`, a working copy of `job.root`.
pub fn of_omv_job(job: &OmvJob, workdir: &Path) -> Vec<Output> {
    let mut outputs: Vec<Output> = Vec::new();
    let mut named: Vec<PathBuf> = Vec::new();
    for experiment in &job.test.experiments {
        for check in &experiment.checks {
            let source = &check.source;
            let Ok(rel) = source.path().strip_prefix(&job.root) else {
                continue;
            };
            let path = workdir.join(rel);
            let name = rel.display().to_string();
            if !named.contains(&path) {
                named.push(path.clone());
                let spike_times = matches!(
                    check.kind,
                    ObservableKind::SpikeTimes | ObservableKind::SpikeRate { .. }
                );
                outputs.push(read_named(&name, &path, source, spike_times));
            }
            // Spikes detected in a trace are compared as spikes too: a spike that moved is
            // what a trace difference usually means, and what the test checks.
            if let DataSource::Table {
                columns,
                header,
                scaling,
                spike_detection: Some(detection),
                ..
            } = source
            {
                let spikes_name = format!("{name} spikes ({})", describe_detection(*detection));
                if !outputs.iter().any(|o| o.name == spikes_name) {
                    outputs.push(detected_spikes(
                        spikes_name,
                        &path,
                        columns,
                        *header,
                        scaling,
                        *detection,
                    ));
                }
            }
        }
    }
    outputs.extend(of_workdir(&job.root, workdir, &named));
    outputs.sort_by(|a, b| a.name.cmp(&b.name));
    outputs
}

/// The numeric tables a run wrote into `workdir` (a working copy of `root`), but for the
/// `already` read ones, named by their path in the working copy.
pub fn of_workdir(root: &Path, workdir: &Path, already: &[PathBuf]) -> Vec<Output> {
    written_tables(root, workdir)
        .into_iter()
        .filter(|path| !already.contains(path))
        .map(|path| {
            let name = path
                .strip_prefix(workdir)
                .unwrap_or(&path)
                .display()
                .to_string();
            read_table_file(&name, &path)
        })
        .collect()
}

/// The outputs of a crosscheck suite job: each population's spikes and each recorded variable.
pub fn of_recordings(recordings: &Recordings) -> Vec<Output> {
    let mut outputs = Vec::new();
    for (population, events) in &recordings.spikes {
        let mut trains: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (cell, time) in events {
            trains
                .entry(format!("{population}[{cell}]"))
                .or_default()
                .push(*time);
        }
        outputs.push(Output {
            name: format!("{population} spikes"),
            sha256: None,
            data: Ok(OutputData::Spikes(trains)),
        });
    }
    for ((population, variable), trace) in &recordings.traces {
        let columns = trace
            .columns
            .iter()
            .enumerate()
            .map(|(i, values)| (format!("{population}/{variable}[{i}]"), values.clone()))
            .collect();
        outputs.push(Output {
            name: format!("{population}/{variable}"),
            sha256: None,
            data: Ok(OutputData::Table {
                time: trace.time_ms.clone(),
                columns,
            }),
        });
    }
    outputs
}

fn describe_detection(detection: SpikeDetection) -> String {
    match detection {
        SpikeDetection::Threshold(t) => format!("threshold {t}"),
        SpikeDetection::Derivative => "local maxima".into(),
    }
}

fn hash(path: &Path) -> Option<String> {
    crate::fsutil::file_sha256(path).ok()
}

/// A file the `.omt` names, read the way its check reads it: spike events by their format, a
/// table of spike times (a spike observable's first loaded column, no detection) as a spike
/// train, any other table whole.
fn read_named(name: &str, path: &Path, source: &DataSource, spike_times: bool) -> Output {
    match source {
        DataSource::Table {
            columns,
            header,
            scaling,
            spike_detection: None,
            ..
        } if spike_times => {
            let column = columns.first().copied().unwrap_or(0);
            let data =
                crate::data::read_table(path, &[column], *header, &scaling[..scaling.len().min(1)])
                    .map(|mut table| {
                        OutputData::Spikes(BTreeMap::from([(
                            format!("column {column}"),
                            table.pop().unwrap_or_default(),
                        )]))
                    })
                    .map_err(|e| e.to_string());
            Output {
                name: name.to_string(),
                sha256: hash(path),
                data,
            }
        }
        DataSource::SpikeFile { format, .. } => {
            let data = crate::data::read_spike_file(path, *format, 1.0)
                .map(|events| {
                    let mut trains: BTreeMap<String, Vec<f64>> = BTreeMap::new();
                    for (id, time) in events {
                        trains.entry(format!("cell {id}")).or_default().push(time);
                    }
                    OutputData::Spikes(trains)
                })
                .map_err(|e| e.to_string());
            Output {
                name: name.to_string(),
                sha256: hash(path),
                data,
            }
        }
        DataSource::Table { .. } => read_table_file(name, path),
    }
}

/// A numeric table, whole: its first column is the time axis when it has several.
fn read_table_file(name: &str, path: &Path) -> Output {
    let sha256 = hash(path);
    let too_large = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_PARSED_BYTES);
    let data = if too_large {
        Err(format!(
            "larger than {} MB: compared by hash only",
            MAX_PARSED_BYTES / 1024 / 1024
        ))
    } else {
        crate::data::read_whole_table(path)
            .map(table_data)
            .map_err(|e| e.to_string())
    };
    Output {
        name: name.to_string(),
        sha256,
        data,
    }
}

fn table_data(mut columns: Vec<Vec<f64>>) -> OutputData {
    let rows = columns.first().map_or(0, Vec::len);
    let (time, first) = if columns.len() > 1 {
        (columns.remove(0), 1)
    } else {
        ((0..rows).map(|i| i as f64).collect(), 0)
    };
    OutputData::Table {
        time,
        columns: columns
            .into_iter()
            .enumerate()
            .map(|(i, values)| (format!("column {}", i + first), values))
            .collect(),
    }
}

/// Spikes detected in a trace as the test's check detects them (its columns and scaling).
fn detected_spikes(
    name: String,
    path: &Path,
    columns: &[usize],
    header: usize,
    scaling: &[f64],
    detection: SpikeDetection,
) -> Output {
    let data = crate::data::read_table(path, columns, header, scaling)
        .map_err(|e| e.to_string())
        .and_then(|table| match table.as_slice() {
            [t, v, ..] => Ok(OutputData::Spikes(BTreeMap::from([(
                "detected".to_string(),
                crate::compare::omv::detect_spikes(t, v, detection),
            )]))),
            _ => Err("the check loads fewer than two columns".to_string()),
        });
    Output {
        name,
        sha256: None,
        data,
    }
}

/// Files under `workdir` that the run wrote (absent from `root` or different there) and that
/// read as numeric tables, sorted.
fn written_tables(root: &Path, workdir: &Path) -> Vec<PathBuf> {
    let mut written = Vec::new();
    let walk = walkdir::WalkDir::new(workdir)
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| NOT_OUTPUT_FOLDERS.contains(&n)))
        });
    for entry in walk.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(workdir) else {
            continue;
        };
        if !was_written(&root.join(rel), path) || !looks_numeric(path) {
            continue;
        }
        written.push(path.to_path_buf());
    }
    written.sort();
    written
}

/// Whether `copy` differs from `original` (or `original` does not exist).
fn was_written(original: &Path, copy: &Path) -> bool {
    match (std::fs::metadata(original), std::fs::metadata(copy)) {
        (Ok(o), Ok(c)) if o.len() != c.len() => true,
        (Ok(_), Ok(_)) => hash(original) != hash(copy),
        (Err(_), _) => true,
        (_, Err(_)) => false,
    }
}

/// A cheap look before parsing: text whose first line of data is all numbers.
fn looks_numeric(path: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(4096);
    if file.take(4096).read_to_end(&mut head).is_err() || head.contains(&0) {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    let Some(first) = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
    else {
        return false;
    };
    first
        .split_ascii_whitespace()
        .all(|f| f.parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_tables_are_the_numeric_files_the_run_added_or_changed() {
        let root = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let put = |dir: &Path, rel: &str, text: &str| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        put(root.path(), "data/kept.dat", "0 1\n");
        put(work.path(), "data/kept.dat", "0 1\n");
        put(root.path(), "data/changed.dat", "0 1\n");
        put(work.path(), "data/changed.dat", "0 2\n");
        put(work.path(), "new.txt", "# t v\n0 -65\n0.1 -64\n");
        put(work.path(), "model.hoc", "create soma\n");
        put(work.path(), "x86_64/numbers.dat", "1 2\n");
        let found: Vec<String> = written_tables(root.path(), work.path())
            .iter()
            .map(|p| p.strip_prefix(work.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["data/changed.dat", "new.txt"]);
    }

    #[test]
    fn a_perturbed_output_file_is_found_with_its_first_differing_time_and_values() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let rows = |perturbed: bool| -> String {
            (0..200)
                .map(|i| {
                    let t = i as f64 * 0.025;
                    let v = if perturbed && i == 120 {
                        -0.052
                    } else {
                        -0.065 + 1e-4 * t
                    };
                    format!("{t}\t{v}\n")
                })
                .collect()
        };
        std::fs::create_dir(a.path().join("results")).unwrap();
        std::fs::create_dir(b.path().join("results")).unwrap();
        std::fs::write(a.path().join("results/v.dat"), rows(false)).unwrap();
        std::fs::write(b.path().join("results/v.dat"), rows(false)).unwrap();
        let tolerance = crate::compare::versions::Tolerance::DEFAULT;
        let same = crate::diff::compare_outputs(
            &of_workdir(root.path(), a.path(), &[]),
            &of_workdir(root.path(), b.path(), &[]),
            tolerance,
        );
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].name, "results/v.dat");
        assert_eq!(same[0].verdict, crate::diff::Verdict::Identical);

        std::fs::write(b.path().join("results/v.dat"), rows(true)).unwrap();
        let moved = crate::diff::compare_outputs(
            &of_workdir(root.path(), a.path(), &[]),
            &of_workdir(root.path(), b.path(), &[]),
            tolerance,
        );
        assert_eq!(moved[0].verdict, crate::diff::Verdict::Different);
        let parting = moved[0].columns[0].diff.first_parting.unwrap();
        assert_eq!(parting.index, 120);
        assert!((parting.time - 3.0).abs() < 1e-12, "{parting:?}");
        assert!((parting.a - (-0.065 + 3e-4)).abs() < 1e-12, "{parting:?}");
        assert_eq!(parting.b, -0.052);
    }

    #[test]
    fn a_table_with_several_columns_has_its_first_as_time() {
        let OutputData::Table { time, columns } =
            table_data(vec![vec![0.0, 0.1], vec![1.0, 2.0], vec![3.0, 4.0]])
        else {
            panic!("not a table")
        };
        assert_eq!(time, [0.0, 0.1]);
        assert_eq!(columns[0].0, "column 1");
        assert_eq!(columns[1], ("column 2".to_string(), vec![3.0, 4.0]));
        let OutputData::Table { time, columns } = table_data(vec![vec![5.0, 6.0]]) else {
            panic!("not a table")
        };
        assert_eq!(time, [0.0, 1.0]);
        assert_eq!(columns[0].0, "column 0");
    }

    #[test]
    fn recordings_become_spike_trains_per_cell_and_named_columns() {
        let recordings = Recordings {
            spikes: BTreeMap::from([("exc".to_string(), vec![(1, 2.0), (0, 3.0), (1, 4.0)])]),
            traces: BTreeMap::from([(
                ("exc".to_string(), "v".to_string()),
                crate::results::Trace {
                    time_ms: vec![0.0, 0.1],
                    columns: vec![vec![-65.0, -64.0]],
                },
            )]),
        };
        let outputs = of_recordings(&recordings);
        assert_eq!(outputs[0].name, "exc spikes");
        let Ok(OutputData::Spikes(trains)) = &outputs[0].data else {
            panic!("no spikes")
        };
        assert_eq!(trains["exc[1]"], [2.0, 4.0]);
        assert_eq!(trains["exc[0]"], [3.0]);
        assert_eq!(outputs[1].name, "exc/v");
    }
}
