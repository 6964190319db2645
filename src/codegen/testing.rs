//! Helpers shared by the generators' tests.

use std::path::Path;

use crate::suite::native::{load_suite, NativeSuite};

/// Bundled suites every generator is tested on.
pub const EXAMPLES: &[&str] = &[
    "izhikevich_rs.crosscheck.yaml",
    "lif_alpha_spike_source.crosscheck.yaml",
    "fi_curve.crosscheck.yaml",
];

/// A bundled suite from `suites/native`.
pub fn example(name: &str) -> NativeSuite {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("suites/native")
        .join(name);
    load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"))
}

/// A suite from YAML text.
pub fn from_yaml(text: &str) -> NativeSuite {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.crosscheck.yaml");
    std::fs::write(&path, text).unwrap();
    load_suite(&path).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Runs a Python snippet on `path` with `python3` and asserts it succeeds. A missing python3
/// fails the test: it is a set-up problem, never a reason to skip the check.
fn assert_python_accepts(snippet: &str, path: &Path, what: &str) {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(snippet)
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{} is not {what}: {}\n{}",
        path.display(),
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

/// The file is syntactically valid Python.
pub fn assert_parses_as_python(path: &Path) {
    assert_python_accepts(
        "import ast,sys; ast.parse(open(sys.argv[1]).read())",
        path,
        "valid Python",
    );
}

/// The file is well-formed XML.
pub fn assert_well_formed_xml(path: &Path) {
    assert_python_accepts(
        "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])",
        path,
        "well-formed XML",
    );
}
