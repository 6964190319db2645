//! Entry points for fuzzing every parser a user's files reach, shared by the cargo-fuzz
//! targets (`fuzz/`, run by `benches/fuzz.sh`) and the regression tests that replay every
//! input a fuzzer ever found (`tests/fuzz_regressions.rs`).
//!
//! Each takes arbitrary bytes, writes them where the parser expects a file (parsers read
//! files: that is how users' input arrives) and parses. Besides "no panic", each asserts the
//! contract for rejected input: the error names the file, and a YAML loader's error carries a
//! line and column inside it. A violated contract panics, so the fuzzer reports it as a crash.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::suite::{LoadError, SpikeFileFormat};

/// A private folder for this thread's inputs, on tmpfs when there is one (fuzzing writes a
/// file per execution). Per thread: the readers memory-map files, and another thread
/// truncating a mapped file would kill the process with SIGBUS. A few small files per thread,
/// left for the system's clean-up of temporary folders.
fn scratch() -> PathBuf {
    thread_local! {
        static DIR: OnceLock<PathBuf> = const { OnceLock::new() };
    }
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    DIR.with(|dir| {
        dir.get_or_init(|| {
            let shm = Path::new("/dev/shm");
            let base = if shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            };
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = base.join(format!("crosscheck-fuzz-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("a scratch folder for fuzz inputs");
            dir
        })
        .clone()
    })
}

fn put(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, data).expect("write a fuzz input");
    path
}

/// Every error located in one of `files`, at a line and column (1-based) of it.
fn assert_located(errors: &[LoadError], files: &[&Path]) {
    assert!(!errors.is_empty(), "a rejected input came with no error");
    for error in errors {
        let location = &error.location;
        assert!(
            files.iter().any(|f| location.file == *f) || location.file.starts_with(scratch()),
            "error located in {} instead of the input: {}",
            location.file.display(),
            error.message
        );
        assert!(
            location.line >= 1 && location.column >= 1,
            "error without a line and column: {location} {}",
            error.message
        );
    }
}

/// A crosscheck suite (`*.crosscheck.yaml`).
pub fn native_suite(data: &[u8]) {
    let path = put("fuzz.crosscheck.yaml", data);
    if let Err(errors) = crate::suite::native::load_suite(&path) {
        assert_located(&errors, &[&path]);
    }
}

/// An OMV `.omt` and the `.mep` it may name, split at the first NUL byte (the `.mep` empty
/// when there is none). The target `model.xml` exists, so inputs can get past it.
pub fn omt_and_mep(data: &[u8]) {
    let (omt, mep) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    put("model.xml", b"<Lems/>");
    let mep_path = put("fuzz.mep", mep);
    let omt_path = put(".test.fuzz.omt", omt);
    if let Err(errors) = crate::suite::omv::load_omt(&omt_path, "fuzz".into()) {
        assert_located(&errors, &[&omt_path, &mep_path]);
    }
}

/// A simulator's output: read as a spike file in each format, as an OMV table and as a
/// crosscheck recording table. Errors must name the file.
pub fn data_file(data: &[u8]) {
    let path = put("out.dat", data);
    let named = |message: String| {
        assert!(
            message.contains(&*path.to_string_lossy()),
            "error does not name the file: {message}"
        )
    };
    for format in [
        SpikeFileFormat::IdTime,
        SpikeFileFormat::TimeId,
        SpikeFileFormat::IdTimeNestDat,
    ] {
        if let Err(e) = crate::data::read_spike_file(&path, format, 1000.0) {
            named(e.to_string());
        }
    }
    if let Err(e) = crate::data::read_table(&path, &[0, 2], 1, &[1.0, 0.001]) {
        named(e.to_string());
    }
    if let Err(e) = crate::data::read_recording_table(&path) {
        named(e.to_string());
    }
}

/// A reference folder as `bless` writes it: a spike file and a trace of one population,
/// split at the first NUL byte, read back as `run` reads references, and a provenance
/// sidecar (the same bytes) parsed as `run` parses it.
pub fn reference(data: &[u8]) {
    static SUITE: OnceLock<crate::suite::native::NativeSuite> = OnceLock::new();
    let suite = SUITE.get_or_init(|| {
        let path = put(
            "reference.crosscheck.yaml",
            b"suite: r\nsimulation: {duration: 10 ms}\npopulations:\n  p: {cell: lif_curr_exp, size: 2}\n\
              record:\n  - {population: p, variables: [spikes, v]}\n\
              checks: {reference: {spikes: {window: 1 ms}, traces: {v: {rms: 1 mV}}}}\n",
        );
        crate::suite::native::load_suite(&path).expect("the reference suite loads")
    });
    let (spikes, trace) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let folder = scratch().join("reference");
    std::fs::create_dir_all(&folder).expect("reference folder");
    std::fs::write(folder.join("spikes_p.txt"), spikes).expect("write");
    std::fs::write(folder.join("p_v.txt"), trace).expect("write");
    if let Err(message) =
        crate::suite_job::read_folder(suite, &folder, suite.checks.reference.as_ref())
    {
        assert!(
            message.contains(&*folder.to_string_lossy()),
            "error does not name the file: {message}"
        );
    }
    let _ = serde_json::from_slice::<crate::judge::reference::Provenance>(data);
}

/// Results JSON as `report` and `merge` read it.
pub fn results_json(data: &[u8]) {
    let path = put("results.json", data);
    if let Err(e) = crate::report::merge::read(&path) {
        let message = e.to_string();
        assert!(
            message.contains(&*path.to_string_lossy()),
            "error does not name the file: {message}"
        );
    }
}

/// A physical quantity as suites write them (`-65 mV`, `0.1 nA`).
pub fn quantity(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(q) = crate::suite::units::parse_quantity(text) {
            // What parses has a finite value.
            assert!(q.si.is_finite(), "{text:?} parsed to {}", q.si);
        }
    }
}

/// A fuzz entry point: parses arbitrary bytes, panicking only on a broken contract.
pub type EntryPoint = fn(&[u8]);

/// Every entry point by the name of its fuzz target.
pub const TARGETS: &[(&str, EntryPoint)] = &[
    ("native_suite", native_suite),
    ("omt_and_mep", omt_and_mep),
    ("data_file", data_file),
    ("reference", reference),
    ("results_json", results_json),
    ("quantity", quantity),
];
