//! A guard for refactoring the generators: every bundled suite's generated code, written
//! under one folder, so two runs (before and after a change) can be compared with `diff -r`.
//!
//! `CODEGEN_GOLDEN_DIR=/tmp/golden cargo test --lib golden -- --ignored` writes, for every
//! suite under `suites/{native,cortical,neuroml}/`, every sweep point and every simulator,
//! the folder [`crate::codegen::generate`] fills (as the runner calls it, see
//! [`crate::suite_job::steps`]), plus `GENERATED.txt` (the files, script and kind it reported,
//! relative to the folder) or `ERROR.txt` (why it refused). Nothing written embeds the output
//! folder, so the layout `<suite folder>/<suite>/<point>/<simulator>/` compares as it is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::codegen::{apply_sweep, generate, Generated};
use crate::suite::native::{load_suite, Simulator};

/// The folders of bundled suites, relative to the crate.
const SUITE_FOLDERS: &[&str] = &["suites/native", "suites/cortical", "suites/neuroml"];

/// Every `*.crosscheck.yaml` under the bundled suite folders, sorted.
fn bundled_suites() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for folder in SUITE_FOLDERS {
        let mut here: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .unwrap_or_else(|e| panic!("{folder}: {e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".crosscheck.yaml"))
            .collect();
        here.sort();
        files.extend(here);
    }
    files
}

/// What `generate` reported, with paths relative to `dir`.
fn describe(generated: &Generated, dir: &Path) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "script: {}", generated.script);
    let _ = writeln!(text, "kind: {:?}", generated.kind);
    for file in &generated.files {
        let relative = file.strip_prefix(dir).unwrap_or(file);
        let _ = writeln!(text, "file: {}", relative.display());
    }
    text
}

#[test]
#[ignore]
fn write_golden_codegen_outputs() {
    let Some(root) = std::env::var_os("CODEGEN_GOLDEN_DIR") else {
        panic!("set CODEGEN_GOLDEN_DIR to the folder to write into");
    };
    let root = PathBuf::from(root);
    let _ = std::fs::remove_dir_all(&root);
    let mut written = 0;
    for path in bundled_suites() {
        let suite = load_suite(&path).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let folder = path
            .parent()
            .and_then(Path::file_name)
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let points: Vec<Option<usize>> = match &suite.sweep {
            Some(sweep) => (0..sweep.values.len()).map(Some).collect(),
            None => vec![None],
        };
        for point in points {
            let run = match point {
                Some(point) => apply_sweep(&suite, point),
                None => suite.clone(),
            };
            let point_name = point.map_or("-".to_string(), |p| p.to_string());
            for simulator in Simulator::ALL {
                let dir = root
                    .join(&folder)
                    .join(suite.name.as_str())
                    .join(&point_name)
                    .join(simulator.name());
                std::fs::create_dir_all(&dir).unwrap();
                let listed = if suite.engines.contains(&simulator) {
                    "listed: yes\n"
                } else {
                    "listed: no\n"
                };
                let (name, text) = match generate(&run, simulator, &dir) {
                    Ok(generated) => ("GENERATED.txt", describe(&generated, &dir)),
                    Err(e) => ("ERROR.txt", format!("{e}\n")),
                };
                std::fs::write(dir.join(name), format!("{listed}{text}")).unwrap();
                written += 1;
            }
        }
    }
    eprintln!("golden: {written} suite × point × simulator folders under {root:?}");
    assert!(written > 0);
}
