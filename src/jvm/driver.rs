//! Building the warm worker's driver: a Java class and a small JNI library, compiled on this
//! machine once and kept in the crosscheck home.
//!
//! The sources live in this folder and are compiled with the JDK's `javac` and the C compiler
//! NEURON's `nrnivmodl` also uses; nothing is downloaded. A build is kept under a key made of
//! the sources, the jNeuroML jar (its SHA-256, as pip recorded it or as read) and the
//! compilers, so a changed driver or a new jar never meets an old build; builds go to a
//! temporary folder renamed into place, so concurrent crosscheck runs and interrupted builds
//! never leave a half-built driver behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The Java source of the worker (see its header for the protocol).
pub const JAVA_SOURCE: &str = include_str!("CrosscheckJnmlWorker.java");
/// The JNI library giving the worker `chdir(2)`.
pub const CHDIR_SOURCE: &str = include_str!("chdir.c");
/// The worker's main class.
pub const MAIN_CLASS: &str = "CrosscheckJnmlWorker";
/// The JNI library's file name inside a build.
pub const CHDIR_LIBRARY: &str = "libcrosscheck_chdir.so";

/// A built driver: the folder for the class path and the JNI library's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Driver {
    /// The build folder holding the compiled worker class, put on the worker's class path.
    pub classes: PathBuf,
    /// The compiled JNI library ([`CHDIR_LIBRARY`]) the worker loads to change folder per job.
    pub chdir_library: PathBuf,
}

/// Why the driver could not be built (then every jNeuroML job runs in a fresh JVM).
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// No `javac` beside `java` nor on `PATH`: only a Java runtime, no JDK, is installed.
    #[error("no Java compiler (javac) found beside {java} or on PATH: install a JDK (e.g. openjdk-17-jdk-headless)")]
    NoJavac {
        /// The `java` whose JDK was searched.
        java: PathBuf,
    },
    /// No C compiler to build the JNI library with.
    #[error("no C compiler (cc or gcc) on PATH")]
    NoCompiler,
    /// The JDK lacks the JNI headers the library is compiled against.
    #[error("the JDK of {javac} has no include/jni.h")]
    NoJniHeaders {
        /// The `javac` whose JDK's `include/` was searched.
        javac: PathBuf,
    },
    /// The jar could not be read to hash it for the build key.
    #[error("cannot read the jNeuroML jar {path}: {source}")]
    Jar {
        /// The jNeuroML jar.
        path: PathBuf,
        /// Why reading it failed.
        source: std::io::Error,
    },
    /// `javac` or the C compiler failed, or could not be started.
    #[error("{what} failed: {output}")]
    Compile {
        /// Which compilation (`javac`, `compiling chdir.c`).
        what: String,
        /// The compiler's output (stdout then stderr), or why it could not start.
        output: String,
    },
    /// Writing the build (sources, temporary folder, its rename into place) failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Where builds are kept, in the crosscheck home.
pub fn builds_dir(home: &Path) -> PathBuf {
    home.join("jvm-worker")
}

/// The driver for `jar`, built now unless a build for the same sources, jar and compilers is
/// already in `home`; `on_build` is called before building (about two seconds).
pub fn ensure(
    home: &Path,
    java: &Path,
    jar: &Path,
    on_build: impl FnOnce(),
) -> Result<Driver, DriverError> {
    let javac = find_javac(java).ok_or_else(|| DriverError::NoJavac {
        java: java.to_path_buf(),
    })?;
    let cc = ["cc", "gcc"]
        .iter()
        .find_map(|c| which::which(c).ok())
        .ok_or(DriverError::NoCompiler)?;
    let include = jdk_include(&javac).ok_or_else(|| DriverError::NoJniHeaders {
        javac: javac.clone(),
    })?;
    let key = build_key(&javac, &cc, jar)?;
    let dir = builds_dir(home).join(&key);
    let driver = Driver {
        classes: dir.clone(),
        chdir_library: dir.join(CHDIR_LIBRARY),
    };
    if dir.join(format!("{MAIN_CLASS}.class")).is_file() && driver.chdir_library.is_file() {
        return Ok(driver);
    }
    on_build();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DriverError::Io { path, source }
    };
    std::fs::create_dir_all(builds_dir(home)).map_err(io(&builds_dir(home)))?;
    let tmp = tempfile::Builder::new()
        .prefix(".build-")
        .tempdir_in(builds_dir(home))
        .map_err(io(&builds_dir(home)))?;
    let java_file = tmp.path().join(format!("{MAIN_CLASS}.java"));
    std::fs::write(&java_file, JAVA_SOURCE).map_err(io(&java_file))?;
    let c_file = tmp.path().join("chdir.c");
    std::fs::write(&c_file, CHDIR_SOURCE).map_err(io(&c_file))?;
    // Class files for Java 11, the oldest runtime jNeuroML 0.14 runs on, whatever the JDK.
    run(
        "javac",
        Command::new(&javac)
            .arg("--release")
            .arg("11")
            .arg("-d")
            .arg(tmp.path())
            .arg(&java_file),
    )?;
    run(
        "compiling chdir.c",
        Command::new(&cc)
            .args(["-O2", "-shared", "-fPIC"])
            .arg(format!("-I{}", include.display()))
            .arg(format!("-I{}", include.join("linux").display()))
            .arg("-o")
            .arg(tmp.path().join(CHDIR_LIBRARY))
            .arg(&c_file),
    )?;
    let built = tmp.keep();
    match std::fs::rename(&built, &dir) {
        Ok(()) => Ok(driver),
        // Another run built the same driver meanwhile: use theirs.
        Err(_) if dir.join(format!("{MAIN_CLASS}.class")).is_file() => {
            let _ = std::fs::remove_dir_all(&built);
            Ok(driver)
        }
        Err(source) => {
            let _ = std::fs::remove_dir_all(&built);
            Err(DriverError::Io { path: dir, source })
        }
    }
}

fn run(what: &str, command: &mut Command) -> Result<(), DriverError> {
    let output = command.output().map_err(|e| DriverError::Compile {
        what: what.to_string(),
        output: e.to_string(),
    })?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Err(DriverError::Compile {
        what: what.to_string(),
        output: text.trim().to_string(),
    })
}

/// The `javac` of the JDK `java` belongs to (so the compiled class suits the runtime), else
/// the first on `PATH`.
fn find_javac(java: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(java).ok()?;
    let beside = real.parent()?.join("javac");
    if beside.is_file() {
        return Some(beside);
    }
    which::which("javac").ok()
}

/// `<jdk>/include`, found from `<jdk>/bin/javac` (symbolic links followed).
fn jdk_include(javac: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(javac).ok()?;
    let include = real.parent()?.parent()?.join("include");
    include.join("jni.h").is_file().then_some(include)
}

/// The build's key: the driver's sources, the jar's content and which compilers built it.
fn build_key(javac: &Path, cc: &Path, jar: &Path) -> Result<String, DriverError> {
    let mut hasher = Sha256::new();
    hasher.update(JAVA_SOURCE.as_bytes());
    hasher.update([0]);
    hasher.update(CHDIR_SOURCE.as_bytes());
    hasher.update([0]);
    hasher.update(jar_sha256(jar)?.as_bytes());
    for compiler in [javac, cc] {
        let real = std::fs::canonicalize(compiler).unwrap_or_else(|_| compiler.to_path_buf());
        hasher.update([0]);
        hasher.update(real.as_os_str().as_encoded_bytes());
    }
    Ok(format!("{:x}", hasher.finalize())[..32].to_string())
}

/// The jar's SHA-256: from pip's RECORD when the jar was installed by pip (no need to read 28
/// MB on every run), else computed.
fn jar_sha256(jar: &Path) -> Result<String, DriverError> {
    if let Some(recorded) = recorded_sha256(jar) {
        return Ok(recorded);
    }
    crate::fsutil::file_sha256(jar).map_err(|source| DriverError::Jar {
        path: jar.to_path_buf(),
        source,
    })
}

/// The hash pip recorded for `file` in the RECORD of the distribution holding it, when the
/// file still has the recorded size.
fn recorded_sha256(file: &Path) -> Option<String> {
    let site_packages = file.ancestors().find(|p| p.ends_with("site-packages"))?;
    let relative = file.strip_prefix(site_packages).ok()?.to_str()?;
    let size = std::fs::metadata(file).ok()?.len();
    for entry in std::fs::read_dir(site_packages).ok()?.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| n.ends_with(".dist-info")) {
            continue;
        }
        let Ok(record) = std::fs::read_to_string(entry.path().join("RECORD")) else {
            continue;
        };
        for line in record.lines() {
            let mut fields = line.rsplitn(3, ',');
            let (Some(recorded_size), Some(hash), Some(path)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            if path.trim_matches('"') == relative
                && recorded_size.trim().parse::<u64>().ok() == Some(size)
            {
                return hash.strip_prefix("sha256=").map(str::to_string);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_hashes_are_read_from_pip_record() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("lib/python3.11/site-packages");
        std::fs::create_dir_all(site.join("pkg/lib")).unwrap();
        std::fs::create_dir_all(site.join("pkg-1.0.dist-info")).unwrap();
        std::fs::write(site.join("pkg/lib/x.jar"), b"abcd").unwrap();
        std::fs::write(
            site.join("pkg-1.0.dist-info/RECORD"),
            "pkg/__init__.py,sha256=zz,0\npkg/lib/x.jar,sha256=HASH,4\n",
        )
        .unwrap();
        assert_eq!(
            recorded_sha256(&site.join("pkg/lib/x.jar")).as_deref(),
            Some("HASH")
        );
        // A jar changed since pip installed it is hashed, not trusted to RECORD.
        std::fs::write(site.join("pkg/lib/x.jar"), b"abcde").unwrap();
        assert_eq!(recorded_sha256(&site.join("pkg/lib/x.jar")), None);
        assert_eq!(
            jar_sha256(&site.join("pkg/lib/x.jar")).unwrap(),
            crate::fsutil::file_sha256(&site.join("pkg/lib/x.jar")).unwrap()
        );
    }
}
