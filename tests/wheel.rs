//! The Python wheel (pyproject.toml, scripts/build-wheel.sh) end to end: built from this tree,
//! installed by pip into a fresh venv without an index, its `crosscheck` is the binary just
//! built, resolves inside the venv, and finds and validates the bundled suites. It guards the
//! second way to install crosscheck (a machine with Python but no Rust toolchain), which no
//! other test builds.
//!
//! The wheel is built with `--profile dev`: maturin hands the profile to cargo, which reuses what
//! is already compiled in target/debug instead of a release build (about ten minutes on 2
//! cores). About 15 s once `cargo build` has run; in a fresh clone (`.ci/run`) about 2 minutes,
//! as a build without the dev-dependencies compiles the dependencies whose features they change
//! (tokio, once_cell, regex-automata, flate2 and what depends on them) once more. Needs
//! `python3` with `venv`, and PyPI the first time (the script installs its pinned maturin once
//! into target/wheel-tools). A failure to build or install the wheel fails the test: it is
//! never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cmd` and fails the test with its output unless it succeeds.
fn run(what: &str, cmd: &mut Command) -> Output {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not start {cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {cmd:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A command that sees neither an enclosing venv nor the caller's crosscheck settings.
fn clean(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for var in [
        "VIRTUAL_ENV",
        "PYTHONHOME",
        "PYTHONPATH",
        "CROSSCHECK_HOME",
        "GITHUB_ACTIONS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn wheel_installs_with_pip_into_a_fresh_venv_and_runs() {
    let version = env!("CARGO_PKG_VERSION");
    let tmp = tempfile::tempdir().unwrap();

    // Build: the script prints the wheel's path (and only that) on stdout.
    let wheels = tmp.path().join("wheels");
    let built = run(
        "scripts/build-wheel.sh --profile dev",
        clean("bash")
            .arg(root().join("scripts/build-wheel.sh"))
            .args(["--profile", "dev", "-o"])
            .arg(&wheels),
    );
    let wheel = PathBuf::from(stdout(&built).trim());
    assert_eq!(wheel.parent(), Some(wheels.as_path()), "{wheel:?}");
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("crosscheck-{version}-")) && name.ends_with(".whl"),
        "{name}"
    );

    // The wheel holds the binary and its metadata, nothing else (no sources, no suites).
    let listing = run(
        "listing the wheel",
        clean("python3").arg("-c").arg(LIST_WHEEL).arg(&wheel),
    );
    let listing = stdout(&listing);
    let mut packed_binary = None;
    for line in listing.lines() {
        let (member, digest) = line.split_once(' ').unwrap();
        if member == format!("crosscheck-{version}.data/scripts/crosscheck") {
            packed_binary = Some(digest.to_string());
        } else {
            assert!(
                member.starts_with(&format!("crosscheck-{version}.dist-info/")),
                "unexpected file in the wheel: {member}\n{listing}"
            );
        }
    }
    let packed_binary =
        packed_binary.unwrap_or_else(|| panic!("no binary in the wheel:\n{listing}"));

    // Install into a fresh venv, from the wheel alone.
    let venv = tmp.path().join("venv");
    run(
        "python3 -m venv",
        clean("python3").args(["-m", "venv"]).arg(&venv),
    );
    let bin = venv.join("bin");
    run(
        "pip install --no-index",
        clean(bin.join("python"))
            .args(["-m", "pip", "install", "--no-index", "--no-cache-dir"])
            .arg(&wheel),
    );

    // The installed crosscheck is the binary packed in the wheel just built (pip copies it
    // unchanged), and it is what `crosscheck` means with the venv's bin first on PATH.
    let exe = bin.join("crosscheck");
    let installed = std::fs::read(&exe).unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    assert!(
        installed.starts_with(b"\x7fELF"),
        "not a binary: {}",
        exe.display()
    );
    assert_eq!(format!("{:x}", Sha256::digest(&installed)), packed_binary);
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let resolved = run(
        "command -v crosscheck",
        clean("sh")
            .args(["-c", "command -v crosscheck"])
            .env("PATH", &path),
    );
    assert_eq!(PathBuf::from(stdout(&resolved).trim()), exe);

    let home = tmp.path().join("home");
    let crosscheck = || {
        let mut cmd = clean(&exe);
        cmd.current_dir(root())
            .env("PATH", &path)
            .env("CROSSCHECK_HOME", &home);
        cmd
    };

    let shown = run("crosscheck --version", crosscheck().arg("--version"));
    assert_eq!(stdout(&shown).trim(), format!("crosscheck {version}"));

    // From the repository root, as a user of the wheel would run it on a checkout: it finds the
    // bundled suites and all of them are valid.
    let validated = run(
        "crosscheck validate suites",
        crosscheck().args(["validate", "suites"]),
    );
    let summary = stdout(&validated);
    let valid: usize = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in: {summary}"));
    assert!(valid > 0, "{summary}");
    assert!(summary.contains(" 0 invalid"), "{summary}");

    // `validate` names no file when all are valid; `list` names each suite it found.
    let listed = stdout(&run(
        "crosscheck list suites",
        crosscheck().args(["list", "suites"]),
    ));
    assert!(
        listed.contains(".crosscheck.yaml"),
        "no suite file named by `crosscheck list suites`:\n{listed}"
    );
}

/// Prints each member of the wheel (argv[1]) with the SHA-256 of its content.
const LIST_WHEEL: &str = r#"
import hashlib, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for info in wheel.infolist():
        if not info.is_dir():
            print(info.filename, hashlib.sha256(wheel.read(info)).hexdigest())
"#;
