//! Finding test files under the paths given on the command line.
//!
//! OMV's convention is hidden files named `.test.<something>.omt`, anywhere in a repository;
//! crosscheck's own suites are `<name>.crosscheck.yaml` files. Each file found carries its
//! [`TestFileKind`], so the caller picks the right loader without looking at names again.
//! Discovery is sorted by path so that test order, ids and reports are the same on every machine
//! and every run, whatever order the file system lists directories in.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// Directories never searched: version control, build outputs, dependencies and crosscheck's
/// own work area can be huge and never hold tests of the repository itself.
const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".crosscheck"];

/// Which format a test file is in, decided by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestFileKind {
    /// An OMV test (`.test.*.omt`, with the `.mep` it names).
    Omv,
    /// A crosscheck suite (`*.crosscheck.yaml`, `docs/suite-format.md`).
    Native,
}

impl TestFileKind {
    /// The kind of a file found while walking a directory (the naming conventions only).
    pub fn of_name(name: &str) -> Option<TestFileKind> {
        if is_omv_file_name(name) {
            Some(TestFileKind::Omv)
        } else if is_native_file_name(name) {
            Some(TestFileKind::Native)
        } else {
            None
        }
    }
}

/// A test file found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredFile {
    /// Absolute, canonical path of the test file.
    pub path: PathBuf,
    /// Stable identifier: the path relative to `root` (`/` separated), or the file name when the
    /// file was given directly. Used in reports and for selecting tests, so it must not depend
    /// on where the repository is checked out.
    pub id: String,
    /// The canonical directory given, or the file's parent when a file was given.
    pub root: PathBuf,
    /// Which loader reads it: OMV's or the native suite loader.
    pub kind: TestFileKind,
}

/// Why [`discover`] could not search the paths it was given.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// A path given on the command line does not exist (as written by the user).
    #[error("{}: no such file or directory", .0.display())]
    NotFound(PathBuf),
    /// A path could not be resolved or a directory could not be read (e.g. permissions).
    #[error("{}: {source}", path.display())]
    Io {
        /// The path given, or the entry under it that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// True for the names of test files discovery picks up: OMV's `.test.*.omt` and crosscheck's
/// `*.crosscheck.yaml`.
pub fn is_test_file_name(name: &str) -> bool {
    TestFileKind::of_name(name).is_some()
}

/// OMV test file names: `.test.*.omt`.
pub fn is_omv_file_name(name: &str) -> bool {
    name.strip_prefix(".test.")
        .and_then(|rest| rest.strip_suffix(".omt"))
        .is_some_and(|middle| !middle.is_empty())
}

/// crosscheck suite names: `*.crosscheck.yaml`, with a non-empty stem (a bare
/// `.crosscheck.yaml` is more likely a configuration file than a suite).
pub fn is_native_file_name(name: &str) -> bool {
    name.strip_suffix(".crosscheck.yaml")
        .is_some_and(|stem| !stem.is_empty())
}

/// Finds the test files under each of `paths` (directories are searched recursively; files are
/// taken as given when they are `.omt` files). The result is sorted within each argument and
/// free of duplicates (a file reached from two arguments is kept once, with the first id).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<DiscoveredFile>, DiscoverError> {
    let mut found: Vec<DiscoveredFile> = Vec::new();
    for given in paths {
        let root = std::fs::canonicalize(given).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DiscoverError::NotFound(given.clone()),
            _ => DiscoverError::Io {
                path: given.clone(),
                source: e,
            },
        })?;
        let mut batch = if root.is_dir() {
            walk(&root)?
        } else {
            single(&root)
        };
        batch.retain(|f| !found.iter().any(|g| g.path == f.path));
        found.extend(batch);
    }
    Ok(found)
}

/// The `.omt` files in the folder of `mep` whose text names it (`mep: <name>`).
fn tests_using_mep(mep: &Path, name: &str) -> Vec<DiscoveredFile> {
    let Some(dir) = mep.parent() else {
        return Vec::new();
    };
    let mut found: Vec<DiscoveredFile> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "omt"))
        .filter(|p| {
            std::fs::read_to_string(p).is_ok_and(|text| {
                text.lines().any(|line| {
                    line.trim_start()
                        .strip_prefix("mep:")
                        .is_some_and(|v| v.trim().trim_matches(['"', '\'']).ends_with(name))
                })
            })
        })
        .flat_map(|p| single(&p))
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// A file given directly: accepted if it follows a naming convention or at least ends in
/// `.omt` (an explicit request is explicit enough).
fn single(path: &Path) -> Vec<DiscoveredFile> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = match TestFileKind::of_name(&name) {
        Some(kind) => kind,
        None if name.ends_with(".omt") => TestFileKind::Omv,
        // A `.mep` given directly (a pre-commit hook passes changed files): the tests beside it
        // that name it.
        None if name.ends_with(".mep") => return tests_using_mep(path, &name),
        None => return Vec::new(),
    };
    let root = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    vec![DiscoveredFile {
        path: path.to_path_buf(),
        id: name,
        root,
        kind,
    }]
}

fn walk(root: &Path) -> Result<Vec<DiscoveredFile>, DiscoverError> {
    let mut found = Vec::new();
    let walker = WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir()
                    && SKIPPED_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
        });
    for entry in walker {
        let entry = entry.map_err(|e| DiscoverError::Io {
            path: e
                .path()
                .map_or_else(|| root.to_path_buf(), Path::to_path_buf),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(kind) = TestFileKind::of_name(&entry.file_name().to_string_lossy()) else {
            continue;
        };
        let path = entry.path().to_path_buf();
        let id = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        found.push(DiscoveredFile {
            path,
            id,
            root: root.to_path_buf(),
            kind,
        });
    }
    // walkdir already yields siblings by name; sorting by path states the contract explicitly
    // (component-wise order) rather than relying on traversal details.
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = "/work/shared/corpus/NeuroML2/LEMSexamples/test";

    #[test]
    fn test_file_names() {
        assert!(is_test_file_name(".test.ex0.jnml.omt"));
        assert!(is_test_file_name(".test.a.omt"));
        assert!(!is_test_file_name(".test.ex0.mep"));
        assert!(!is_test_file_name("test.ex0.omt"));
        assert!(!is_test_file_name(".test.omt"));
        assert!(is_test_file_name("fi_curve.crosscheck.yaml"));
        assert!(!is_test_file_name(".crosscheck.yaml"));
        assert!(!is_test_file_name("fi_curve.crosscheck.yml"));
        assert!(!is_test_file_name("fi_curve.yaml"));
        assert_eq!(
            TestFileKind::of_name(".test.a.omt"),
            Some(TestFileKind::Omv)
        );
        assert_eq!(
            TestFileKind::of_name("a.crosscheck.yaml"),
            Some(TestFileKind::Native)
        );
    }

    #[test]
    fn finds_native_suites_next_to_omv_tests() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("a/target")).expect("mkdir");
        for file in [
            "a/.test.x.omt",
            "a/rs.crosscheck.yaml",
            "a/notes.yaml",
            "a/target/skipped.crosscheck.yaml",
        ] {
            std::fs::write(dir.path().join(file), "").expect("write");
        }
        let found = discover(&[dir.path().to_path_buf()]).expect("discover");
        let got: Vec<_> = found.iter().map(|f| (f.id.as_str(), f.kind)).collect();
        assert_eq!(
            got,
            [
                ("a/.test.x.omt", TestFileKind::Omv),
                ("a/rs.crosscheck.yaml", TestFileKind::Native),
            ]
        );
        let found = discover(&[dir.path().join("a/rs.crosscheck.yaml")]).expect("discover");
        assert_eq!(found[0].kind, TestFileKind::Native);
        let found = discover(&[dir.path().join("a/notes.yaml")]).expect("discover");
        assert!(found.is_empty());
    }

    #[test]
    fn bundled_native_suites_are_discovered() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/native");
        let expected = std::fs::read_dir(&dir)
            .expect("suites/native")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .ends_with(".crosscheck.yaml")
            })
            .count();
        let found = discover(&[dir]).expect("discover");
        assert!(expected >= 6, "the bundled suites are missing");
        assert_eq!(found.len(), expected);
        assert!(found.iter().all(|f| f.kind == TestFileKind::Native));
        for file in &found {
            crate::suite::native::load_suite(&file.path)
                .unwrap_or_else(|e| panic!("{}: {e:#?}", file.id));
        }
    }

    #[test]
    fn finds_the_corpus_files_sorted_with_relative_ids() {
        let parent = Path::new(CORPUS).parent().expect("parent").to_path_buf();
        let found = discover(std::slice::from_ref(&parent)).expect("discover");
        assert_eq!(found.len(), 80);
        assert!(found.windows(2).all(|w| w[0].path < w[1].path));
        assert_eq!(found[0].id, "morphologies/.test.jnml.omt");
        assert_eq!(found[13].id, "test/.test.ex0.jnml.omt");
        let in_test = found.iter().filter(|f| f.id.starts_with("test/.test."));
        assert_eq!(in_test.count(), 67);
        assert!(found
            .iter()
            .all(|f| f.root == parent && f.path.is_absolute()));
    }

    #[test]
    fn a_file_given_directly_uses_its_name() {
        let file = Path::new(CORPUS).join(".test.ex0.jnml.omt");
        let found = discover(&[file.clone(), PathBuf::from(CORPUS)]).expect("discover");
        assert_eq!(found.len(), 67, "the file given first is not repeated");
        assert_eq!(found[0].id, ".test.ex0.jnml.omt");
        assert_eq!(found[0].root, PathBuf::from(CORPUS));
        assert_eq!(found[0].path, file);
    }

    #[test]
    fn skips_build_and_vcs_dirs_and_accepts_explicit_omt() {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in [
            "a",
            ".git",
            "target",
            "node_modules",
            ".crosscheck",
            "b/target",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
            std::fs::write(dir.path().join(sub).join(".test.x.omt"), "").expect("write");
        }
        std::fs::write(dir.path().join("plain.omt"), "").expect("write");
        let found = discover(&[dir.path().to_path_buf()]).expect("discover");
        let ids: Vec<_> = found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a/.test.x.omt"]);
        let found = discover(&[dir.path().join("plain.omt")]).expect("discover");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, TestFileKind::Omv);
        assert_eq!(found[0].id, "plain.omt");
    }

    #[test]
    fn nonexistent_path_is_an_error() {
        let err = discover(&[PathBuf::from("/nonexistent/tests")]).expect_err("missing");
        assert!(matches!(&err, DiscoverError::NotFound(p) if p == Path::new("/nonexistent/tests")));
        assert!(err.to_string().contains("/nonexistent/tests"));
    }
}
