//! The cache of compiled NEURON mechanisms.
//!
//! Every NEURON-based job used to run `nrnivmodl` in its own working copy: 5–20 s of C
//! compilation per job (on 2 cores), repeated for every test of a repository that shares one
//! set of `.mod` files, and again on every run. Compiled mechanisms depend only on the sources
//! `nrnivmodl` reads and on the NEURON that compiles them, so they are cached under the
//! crosscheck home, keyed by a SHA-256 of both:
//!
//! ```text
//! <cache>/<key>/          the sources (copied) and what nrnivmodl built (x86_64/…)
//! <cache>/<key>.lock      held while the entry is checked or built
//! ```
//!
//! A job asking for a set takes the entry's lock; when the entry is not built it copies the
//! sources into it and runs `nrnivmodl` there (in place, because `nrnivmodl` writes absolute
//! paths into what it builds), and marks it complete; then it copies the built folder
//! (`x86_64/`) into its working directory, where NEURON looks for it, and releases the lock.
//! Jobs that ask for the same set at once (in one crosscheck process or several) wait on the
//! lock and find the entry built: one compilation. An entry without its completion marker (a
//! crashed or failed compilation) is rebuilt from scratch by the next job.
//!
//! The locks are `flock` locks on separate open files, which exclude each other inside one
//! process as well as across processes.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Extensions of the files `nrnivmodl` reads from a mechanism folder: the `.mod` files, and what
/// they may `INCLUDE` (`.inc`) or `#include` from `VERBATIM` blocks (`.h`, `.hpp`, `.c`, `.cpp`).
const SOURCE_EXTENSIONS: &[&str] = &["mod", "inc", "h", "hpp", "c", "cpp"];

/// Written into an entry once `nrnivmodl` succeeded there: an entry without it is unfinished.
const COMPLETE: &str = ".complete";

/// The cache version: bump it when the layout of entries changes, so old entries are ignored.
const LAYOUT: &str = "crosscheck-mechanisms-1";

/// Why the mechanism cache could not be read or written (the compilation itself failing is
/// not an error here: its output goes to the job's log).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A file-system operation on a source, an entry or a copy failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done, completing "could not ..." (`copy`, `move into place`).
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> CacheError {
    let path = path.to_path_buf();
    move |source| CacheError::Io {
        action,
        path,
        source,
    }
}

/// The mechanism sources of one folder: every `.mod` file and what it may include, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// The folder holding them.
    pub dir: PathBuf,
    /// File names, sorted.
    pub files: Vec<String>,
}

impl Sources {
    /// The sources in `dir`, or `None` when it holds no `.mod` file (nrnivmodl would fail on an
    /// empty set; OMV and crosscheck skip the compilation then).
    pub fn find(dir: &Path) -> Option<Sources> {
        let mut files: Vec<String> = fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| {
                Path::new(name)
                    .extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| SOURCE_EXTENSIONS.contains(&x))
            })
            .collect();
        files.sort();
        files.iter().any(|f| f.ends_with(".mod")).then(|| Sources {
            dir: dir.to_path_buf(),
            files,
        })
    }

    /// The cache key: the sources' names and contents, and the compiler's identity (NEURON
    /// version and the `nrnivmodl` used, so two NEURON installations never share entries).
    pub fn key(&self, compiler: &str) -> Result<String, CacheError> {
        let mut hash = Sha256::new();
        hash.update(LAYOUT.as_bytes());
        hash.update([0]);
        hash.update(compiler.as_bytes());
        hash.update([0]);
        for name in &self.files {
            let path = self.dir.join(name);
            let bytes = fs::read(&path).map_err(io_err("read", &path))?;
            hash.update(name.as_bytes());
            hash.update([0]);
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(&bytes);
        }
        let digest = hash.finalize();
        Ok(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
    }
}

/// The cache folder and its entries.
#[derive(Debug, Clone)]
pub struct MechanismCache {
    root: PathBuf,
}

/// Where one set of sources is (or will be) compiled.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The cache key ([`Sources::key`]), also the entry's folder name.
    pub key: String,
    /// The entry's folder: the copied sources and, once built, what `nrnivmodl` made.
    pub dir: PathBuf,
    lock_path: PathBuf,
}

impl MechanismCache {
    /// The cache in `root` (created when the first entry is locked).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        MechanismCache { root: root.into() }
    }

    /// The cache folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The entry for `key`, built or not (nothing is touched on disk).
    pub fn entry(&self, key: &str) -> Entry {
        Entry {
            key: key.to_string(),
            dir: self.root.join(key),
            lock_path: self.root.join(format!("{key}.lock")),
        }
    }
}

impl Entry {
    /// Whether the entry is built: its completion marker is written last, after a successful
    /// compilation.
    pub fn is_built(&self) -> bool {
        self.dir.join(COMPLETE).is_file()
    }

    /// Opens the entry's lock file (creating the cache folder); lock it with
    /// [`File::try_lock`] or [`File::lock`]. Dropping the file releases the lock.
    pub fn lock_file(&self) -> Result<File, CacheError> {
        if let Some(parent) = self.lock_path.parent() {
            fs::create_dir_all(parent).map_err(io_err("create", parent))?;
        }
        fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(io_err("open", &self.lock_path))
    }

    /// Makes the entry's folder afresh (removing what a crashed compilation left) holding
    /// copies of the sources; `nrnivmodl` runs there. Call with the lock held.
    pub fn prepare(&self, sources: &Sources) -> Result<(), CacheError> {
        if self.dir.exists() {
            fs::remove_dir_all(&self.dir).map_err(io_err("remove the unfinished", &self.dir))?;
        }
        fs::create_dir_all(&self.dir).map_err(io_err("create", &self.dir))?;
        for name in &sources.files {
            let from = sources.dir.join(name);
            fs::copy(&from, self.dir.join(name)).map_err(io_err("copy", &from))?;
        }
        Ok(())
    }

    /// Marks the entry built. Call with the lock held, after `nrnivmodl` succeeded.
    pub fn commit(&self) -> Result<(), CacheError> {
        let marker = self.dir.join(COMPLETE);
        fs::write(&marker, b"").map_err(io_err("write", &marker))
    }

    /// Removes a failed compilation (its output is in the job's log). Call with the lock held.
    pub fn discard(&self) {
        let _ = fs::remove_dir_all(&self.dir);
    }

    /// Copies what `nrnivmodl` built (the architecture folder, `x86_64/` here) into `dir`,
    /// replacing a folder of the same name there (a stale build copied from the repository). A
    /// copy, not a link: a model that runs `nrnivmodl` itself, or a person in a kept working
    /// directory, must never write into the cache, and PyNN's mechanisms folder inside the
    /// installed package must not depend on where the cache is. A copy already made from this
    /// entry (its marker holds the key) is kept. Call with the lock held: `dir` may be shared
    /// (PyNN's). Returns the copies.
    pub fn install_into(&self, dir: &Path) -> Result<Vec<PathBuf>, CacheError> {
        let mut installed = Vec::new();
        let entries = fs::read_dir(&self.dir).map_err(io_err("read", &self.dir))?;
        for built in entries.flatten() {
            if !built.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let dest = dir.join(built.file_name());
            let marker = dest.join(INSTALLED);
            if fs::read_to_string(&marker).is_ok_and(|k| k == self.key) {
                installed.push(dest);
                continue;
            }
            let partial = dir.join(format!(
                ".{}.partial-{}",
                built.file_name().to_string_lossy(),
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&partial);
            crate::fsutil::copy_tree(&built.path(), &partial, &[])
                .map_err(io_err("copy the compiled mechanisms to", &partial))?;
            fs::write(partial.join(INSTALLED), &self.key).map_err(io_err("write", &partial))?;
            match fs::symlink_metadata(&dest) {
                Ok(m) if m.is_dir() => {
                    fs::remove_dir_all(&dest).map_err(io_err("replace", &dest))?
                }
                Ok(_) => fs::remove_file(&dest).map_err(io_err("replace", &dest))?,
                Err(_) => {}
            }
            fs::rename(&partial, &dest).map_err(io_err("move into place", &dest))?;
            installed.push(dest);
        }
        Ok(installed)
    }
}

/// Names the cache entry a copy made by [`Entry::install_into`] came from.
const INSTALLED: &str = ".crosscheck-mechanisms";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_need_a_mod_file_and_keep_what_mod_files_include() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Sources::find(dir.path()), None);
        fs::write(dir.path().join("helper.inc"), "x").unwrap();
        fs::write(dir.path().join("run.py"), "x").unwrap();
        assert_eq!(
            Sources::find(dir.path()),
            None,
            "no .mod file: nothing to compile"
        );
        fs::write(dir.path().join("b.mod"), "NEURON { SUFFIX b }").unwrap();
        fs::write(dir.path().join("a.mod"), "NEURON { SUFFIX a }").unwrap();
        let sources = Sources::find(dir.path()).unwrap();
        assert_eq!(sources.files, ["a.mod", "b.mod", "helper.inc"]);
    }

    #[test]
    fn key_changes_with_contents_names_and_compiler() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.mod"), "NEURON { SUFFIX a }").unwrap();
        let sources = Sources::find(dir.path()).unwrap();
        let key = sources.key("NEURON 8.2.7").unwrap();
        assert_eq!(key.len(), 32);
        assert_eq!(key, sources.key("NEURON 8.2.7").unwrap(), "deterministic");
        assert_ne!(key, sources.key("NEURON 9.0.2").unwrap());
        fs::write(dir.path().join("a.mod"), "NEURON { SUFFIX a2 }").unwrap();
        assert_ne!(key, sources.key("NEURON 8.2.7").unwrap());
        fs::write(dir.path().join("a.mod"), "NEURON { SUFFIX a }").unwrap();
        assert_eq!(key, sources.key("NEURON 8.2.7").unwrap());
        fs::rename(dir.path().join("a.mod"), dir.path().join("b.mod")).unwrap();
        let renamed = Sources::find(dir.path()).unwrap();
        assert_ne!(key, renamed.key("NEURON 8.2.7").unwrap());
    }

    /// Whether `entry`'s lock can be taken within a few seconds. Not at once: a process
    /// another test forks while the lock is held shares the locked file until its `exec`
    /// closes it (the descriptor is close-on-exec, not close-on-fork), which on a loaded
    /// machine can be a while after the lock's own file is dropped.
    fn lock_comes_free(entry: &Entry) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let file = entry.lock_file().unwrap();
        while file.try_lock().is_err() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    #[test]
    fn prepare_commit_copy() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("a.mod"), "NEURON { SUFFIX a }").unwrap();
        let sources = Sources::find(&src).unwrap();
        let cache = MechanismCache::new(dir.path().join("cache"));
        let entry = cache.entry(&sources.key("n").unwrap());
        assert!(!entry.is_built());
        let lock = entry.lock_file().unwrap();
        lock.lock().unwrap();
        // A second open file of the same lock is excluded, even in the same process.
        assert!(entry.lock_file().unwrap().try_lock().is_err());
        fs::create_dir_all(entry.dir.join("x86_64")).unwrap();
        fs::write(entry.dir.join("x86_64/leftover"), "from a crash").unwrap();
        entry.prepare(&sources).unwrap();
        assert!(entry.dir.join("a.mod").is_file());
        assert!(
            !entry.dir.join("x86_64").exists(),
            "a crashed build is started afresh"
        );
        fs::create_dir_all(entry.dir.join("x86_64/.libs")).unwrap();
        fs::write(entry.dir.join("x86_64/.libs/libnrnmech.so"), "so").unwrap();
        assert!(!entry.is_built());
        entry.commit().unwrap();
        drop(lock);
        assert!(entry.is_built());
        assert!(lock_comes_free(&entry), "the lock outlived its file");

        // A stale build in the run folder is replaced by the copy.
        let run = dir.path().join("run");
        fs::create_dir_all(run.join("x86_64")).unwrap();
        fs::write(run.join("x86_64/old"), "old").unwrap();
        assert_eq!(entry.install_into(&run).unwrap(), [run.join("x86_64")]);
        assert_eq!(
            fs::read_to_string(run.join("x86_64/.libs/libnrnmech.so")).unwrap(),
            "so"
        );
        assert!(!run.join("x86_64/old").exists());
        // Writing into the copy (a model running nrnivmodl itself) never reaches the cache.
        fs::write(run.join("x86_64/.libs/libnrnmech.so"), "rebuilt").unwrap();
        assert_eq!(
            fs::read_to_string(entry.dir.join("x86_64/.libs/libnrnmech.so")).unwrap(),
            "so"
        );

        // A lasting folder gets a copy, made once, replacing a dangling link.
        let lasting = dir.path().join("nmodl");
        fs::create_dir_all(&lasting).unwrap();
        std::os::unix::fs::symlink(dir.path().join("gone"), lasting.join("x86_64")).unwrap();
        assert_eq!(
            entry.install_into(&lasting).unwrap(),
            [lasting.join("x86_64")]
        );
        let so = lasting.join("x86_64/.libs/libnrnmech.so");
        assert!(!fs::symlink_metadata(lasting.join("x86_64"))
            .unwrap()
            .is_symlink());
        assert_eq!(fs::read_to_string(&so).unwrap(), "so");
        fs::write(&so, "kept").unwrap();
        entry.install_into(&lasting).unwrap();
        assert_eq!(fs::read_to_string(&so).unwrap(), "kept", "not copied twice");
    }
}
