//! The boundary a test file's paths must stay within.
//!
//! crosscheck runs test files from pull requests by strangers. A `.omt` target, `.mep`, data
//! file or a suite's NeuroML model is named by a path relative to the file, and `..` or a
//! symbolic link could make it name anything the CI runner can read (a key, another project's
//! files) and copy it into a job folder, a report or a reference. So every such path must
//! resolve, symbolic links followed, inside the repository being tested: the Git work tree
//! holding the test file, or, outside Git, the folder given on the command line (a file's
//! folder when a file is given). `--allow-outside-paths` lifts the rule for users who mean it.

use std::path::{Path, PathBuf};

/// Where a test file's paths may lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    /// Canonical root; `None` when anything is allowed.
    root: Option<PathBuf>,
    /// How the root was chosen, for error messages.
    why: &'static str,
}

impl Boundary {
    /// No restriction (`--allow-outside-paths`, and library callers that check nothing).
    pub fn anywhere() -> Self {
        Boundary {
            root: None,
            why: "",
        }
    }

    /// The boundary of the test file `file`, discovered under `given` (the canonical folder
    /// given on the command line, or the file's folder when the file itself was given).
    pub fn for_test_file(file: &Path, given: &Path) -> Self {
        match git_toplevel(file) {
            Some(top) => Boundary {
                root: Some(canonical(&top)),
                why: "the Git repository being tested",
            },
            None => Boundary {
                root: Some(canonical(given)),
                why: "the folder given on the command line, as it is not in a Git repository",
            },
        }
    }

    /// The root paths must stay under, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Whether `path` (absolute) resolves inside the boundary, symbolic links followed; a path
    /// that does not exist yet (an output file) is judged by its existing ancestors.
    pub fn contains(&self, path: &Path) -> bool {
        self.root
            .as_ref()
            .is_none_or(|root| resolve_links(path).starts_with(root))
    }

    /// `Ok` when `path` is inside; otherwise the error message for the `what` (e.g. "target")
    /// written as `written` in the file.
    pub fn check(&self, what: &str, written: &str, path: &Path) -> Result<(), String> {
        match &self.root {
            Some(root) if !self.contains(path) => Err(format!(
                "{what} `{written}` resolves to {}, outside {} ({}); crosscheck refuses paths \
                 that leave the repository, through `..` or a symbolic link, unless run with \
                 --allow-outside-paths",
                resolve_links(path).display(),
                root.display(),
                self.why
            )),
            _ => Ok(()),
        }
    }
}

/// The Git work tree holding `file`: the nearest folder above it with a `.git` entry (a
/// folder, or a file in a worktree or submodule).
pub fn git_toplevel(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| lexical(path))
}

use crate::fsutil::normalize_lexically as lexical;

/// Where `path` really leads: the longest existing ancestor canonicalised (links followed),
/// then the rest appended lexically.
fn resolve_links(path: &Path) -> PathBuf {
    let path = lexical(path);
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return lexical(&out);
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn paths_inside_pass_and_dotdot_or_links_out_fail() {
        let outer = tempfile::tempdir().unwrap();
        let repo = outer.path().join("repo");
        fs::create_dir_all(repo.join("models")).unwrap();
        fs::create_dir(repo.join(".git")).unwrap();
        fs::write(outer.path().join("secret"), "key").unwrap();
        fs::write(repo.join("models/m.xml"), "<x/>").unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret"), repo.join("link")).unwrap();
        let test = repo.join("models/.test.m.omt");
        let boundary = Boundary::for_test_file(&test, &repo.join("models"));
        assert_eq!(boundary.root(), Some(canonical(&repo).as_path()));
        assert!(boundary.contains(&repo.join("models/m.xml")));
        assert!(boundary.contains(&repo.join("models/../models/not-yet-written.dat")));
        assert!(!boundary.contains(&repo.join("models/../../secret")));
        assert!(!boundary.contains(&repo.join("link")));
        let err = boundary
            .check("target", "../../secret", &repo.join("models/../../secret"))
            .unwrap_err();
        assert!(
            err.contains("--allow-outside-paths") && err.contains("Git"),
            "{err}"
        );
        assert!(Boundary::anywhere().contains(&repo.join("link")));
    }

    #[test]
    fn outside_git_the_given_folder_is_the_boundary() {
        let outer = tempfile::tempdir().unwrap();
        let given = outer.path().join("tests");
        fs::create_dir(&given).unwrap();
        let boundary = Boundary::for_test_file(&given.join(".test.a.omt"), &given);
        assert!(boundary.contains(&given.join("a.xml")));
        assert!(!boundary.contains(&outer.path().join("a.xml")));
    }
}
