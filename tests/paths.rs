//! Test files must not reach outside the repository being tested: every kind of path they
//! name, through `..` or a symbolic link, is refused with its file and line unless the user
//! passes `--allow-outside-paths`.

mod common;

use crosscheck::exit::Exit;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{crosscheck, script, shared_home, write};

/// `outer/repo` with a `.git` folder (a Git work tree for crosscheck's purposes) and a file
/// `outer/secret.dat` outside it.
fn repo() -> (tempfile::TempDir, PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::write(outer.path().join("secret.dat"), "1\n").unwrap();
    fs::write(
        outer.path().join("secret.mep"),
        "system: s\nexperiments: {}\n",
    )
    .unwrap();
    script(
        &outer.path().join("elsewhere"),
        "run.sh",
        "printf '1\\n' > out.dat",
    );
    (outer, repo)
}

/// An OMV test in `repo/tests` whose target, mep and data file are as given.
fn omt(repo: &Path, target: &str, mep: &str, data: &str) -> PathBuf {
    script(&repo.join("tests"), "run.sh", "printf '1\\n' > out.dat");
    write(
        &repo.join("tests"),
        "t.mep",
        "system: s\nexperiments:\n  exp:\n    expected:\n      spike times: [1]\n",
    );
    write(
        &repo.join("tests"),
        ".test.t.omt",
        &format!(
            "target: {target}\nengine: command\nmep: {mep}\nexperiments:\n  exp:\n    observables:\n      spike times:\n        file:\n          path: {data}\n          columns: [0]\n        tolerance: 0.1\n"
        ),
    )
}

/// `crosscheck validate` on `path`: (exit code, stderr).
fn validate(path: &Path, allow: bool) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crosscheck(dir.path());
    cmd.arg("validate").arg(path);
    if allow {
        cmd.arg("--allow-outside-paths");
    }
    let output = cmd.timeout(Duration::from_secs(60)).output().unwrap();
    (
        output.status.code(),
        unwrapped(&String::from_utf8_lossy(&output.stderr)),
    )
}

/// miette's report with its line wrapping undone, so messages can be searched whole.
fn unwrapped(report: &str) -> String {
    let mut out = String::new();
    for line in report.lines() {
        match line.trim_start().strip_prefix('│') {
            Some(rest) => {
                out.push_str(rest.trim_start());
            }
            None => {
                out.push('\n');
                out.push_str(line);
            }
        }
        // miette breaks lines after hyphens too.
        if !out.ends_with([' ', '\n', '-']) {
            out.push(' ');
        }
    }
    out
}

fn assert_refused(path: &Path, what: &str, line: usize) {
    let (code, stderr) = validate(path, false);
    assert_eq!(code, Some(Exit::InvalidTestFile.code()), "{stderr}");
    assert!(
        stderr.contains(&format!("{what} `")) && stderr.contains("outside"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-outside-paths"), "{stderr}");
    assert!(
        stderr.contains(&format!(":{line}:")),
        "no line {line}: {stderr}"
    );
    let (code, stderr) = validate(path, true);
    assert_eq!(
        code,
        Some(Exit::Success.code()),
        "allowed, it loads: {stderr}"
    );
}

#[test]
fn an_omt_target_outside_through_dotdot_is_refused() {
    let (_outer, repo) = repo();
    let test = omt(&repo, "../../elsewhere/run.sh", "t.mep", "out.dat");
    assert_refused(&test, "target", 1);
    // Inside the repository, `..` is fine.
    let test = omt(&repo, "../tests/run.sh", "t.mep", "out.dat");
    assert_eq!(validate(&test, false).0, Some(Exit::Success.code()));
}

#[test]
fn an_omt_target_through_a_symbolic_link_out_is_refused() {
    let (outer, repo) = repo();
    fs::create_dir_all(repo.join("tests")).unwrap();
    symlink(outer.path().join("elsewhere"), repo.join("tests/linked")).unwrap();
    let test = omt(&repo, "linked/run.sh", "t.mep", "out.dat");
    assert_refused(&test, "target", 1);
}

#[test]
fn a_mep_outside_is_refused() {
    let (outer, repo) = repo();
    fs::create_dir_all(repo.join("tests")).unwrap();
    symlink(outer.path().join("secret.mep"), repo.join("tests/link.mep")).unwrap();
    let test = omt(&repo, "run.sh", "link.mep", "out.dat");
    let (code, stderr) = validate(&test, false);
    assert_eq!(code, Some(Exit::InvalidTestFile.code()), "{stderr}");
    assert!(
        stderr.contains("mep `link.mep`") && stderr.contains(":3:"),
        "{stderr}"
    );
}

#[test]
fn a_data_file_outside_is_refused_even_when_it_does_not_exist_yet() {
    let (_outer, repo) = repo();
    let test = omt(&repo, "run.sh", "t.mep", "../../secret.dat");
    assert_refused(&test, "data file", 9);
    let test = omt(&repo, "run.sh", "t.mep", "../../not-written-yet.dat");
    let (code, stderr) = validate(&test, false);
    assert_eq!(code, Some(Exit::InvalidTestFile.code()), "{stderr}");
}

#[test]
fn outside_git_the_folder_given_is_the_boundary() {
    let outer = tempfile::tempdir().unwrap();
    let test = omt(outer.path(), "../elsewhere.sh", "t.mep", "out.dat");
    script(outer.path(), "elsewhere.sh", "true");
    let (code, stderr) = validate(&outer.path().join("tests"), false);
    assert_eq!(code, Some(Exit::InvalidTestFile.code()), "{stderr}");
    assert!(
        stderr.contains("the folder given on the command line"),
        "{stderr}"
    );
    // Given the folder above, the same file is inside.
    assert_eq!(validate(outer.path(), false).0, Some(Exit::Success.code()));
    assert!(test.is_file());
}

const SUITE: &str = "suite: s\nsimulation: {duration: 10 ms}\nmodel: {neuroml: MODEL}\n\
                     record: [{population: p, variables: [spikes]}]\nchecks: {agreement: {spikes: {window: 1 ms}}}\n";

const NML: &str = r#"<neuroml xmlns="http://www.neuroml.org/schema/neuroml2" id="m">
INCLUDE<iafCell id="c" C="1nF" thresh="-50mV" reset="-65mV" leakConductance="10nS" leakReversal="-65mV"/>
<network id="net"><population id="p" component="c" size="1"/></network>
</neuroml>"#;

#[test]
fn a_neuroml_model_or_include_outside_is_refused() {
    let (outer, repo) = repo();
    fs::write(outer.path().join("model.nml"), NML.replace("INCLUDE", "")).unwrap();
    fs::create_dir_all(repo.join("suites")).unwrap();
    symlink(
        outer.path().join("model.nml"),
        repo.join("suites/model.nml"),
    )
    .unwrap();
    let suite = write(
        &repo.join("suites"),
        "s.crosscheck.yaml",
        &SUITE.replace("MODEL", "model.nml"),
    );
    assert_refused(&suite, "NeuroML file", 3);

    // A model inside whose <include> leads out: refused at the include's line.
    fs::remove_file(repo.join("suites/model.nml")).unwrap();
    fs::write(outer.path().join("cells.nml"), NML.replace("INCLUDE", "")).unwrap();
    fs::write(
        repo.join("suites/model.nml"),
        NML.replace("INCLUDE", "<include href=\"../../cells.nml\"/>\n")
            .replace("<iafCell", "<iafCell_unused"),
    )
    .unwrap();
    let (code, stderr) = validate(&suite, false);
    assert_eq!(code, Some(Exit::InvalidTestFile.code()), "{stderr}");
    assert!(
        stderr.contains("include `") && stderr.contains("outside"),
        "{stderr}"
    );
    assert!(stderr.contains("model.nml:2:"), "{stderr}");
}

#[test]
fn a_reference_folder_linked_out_of_the_repository_is_refused() {
    let (outer, repo) = repo();
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/native");
    fs::create_dir_all(repo.join("suites")).unwrap();
    let suite = repo.join("suites/izhikevich_rs.crosscheck.yaml");
    fs::copy(suites.join("izhikevich_rs.crosscheck.yaml"), &suite).unwrap();
    fs::create_dir(outer.path().join("refs")).unwrap();
    symlink(outer.path().join("refs"), repo.join("reference-data")).unwrap();
    for command in ["run", "bless"] {
        let output = crosscheck(&shared_home())
            .args([command, "--engine", "NEST"])
            .arg(&suite)
            .timeout(Duration::from_secs(600))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(Exit::InvalidTestFile.code()),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("reference folder") && stderr.contains("outside"),
            "{stderr}"
        );
    }
    assert_eq!(
        fs::read_dir(outer.path().join("refs")).unwrap().count(),
        0,
        "bless wrote through the link"
    );
}
