//! Whether a Python distribution installed in the managed environment is still whole.
//!
//! pip records every file it installs, with its size, in the distribution's
//! `*.dist-info/RECORD`. A managed environment damaged after installation (a file deleted or
//! truncated by a full disk, an interrupted clean-up, a user's experiment) still looks
//! installed to `state.json`, and would fail later as an obscure import error inside a
//! simulator. Comparing the files against RECORD finds it first, in milliseconds (a `stat` per
//! file, no hashing), so `crosscheck` can say what is damaged and reinstall it.

use std::path::{Path, PathBuf};

/// The `*.dist-info` folder of `distribution` in `site_packages`, matching names as pip
/// normalises them (case, and `-`, `_`, `.` alike).
pub fn dist_info(site_packages: &Path, distribution: &str) -> Option<PathBuf> {
    let wanted = normalise(distribution);
    std::fs::read_dir(site_packages)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".dist-info"))
                .and_then(|n| n.split_once('-'))
                .is_some_and(|(name, _version)| normalise(name) == wanted)
        })
}

fn normalise(name: &str) -> String {
    name.to_ascii_lowercase().replace(['-', '.'], "_")
}

/// What is wrong with `distribution`'s installed files, or `None` when every file RECORD
/// lists with a size is there with that size, or when it is not installed at all (nothing
/// to repair: installing it is pip's ordinary work). A dist-info folder without its RECORD is
/// damage (pip always writes it).
pub fn damage(site_packages: &Path, distribution: &str) -> Option<String> {
    let info = dist_info(site_packages, distribution)?;
    let record_path = info.join("RECORD");
    let record = match std::fs::read_to_string(&record_path) {
        Ok(text) => text,
        Err(e) => return Some(format!("cannot read {}: {e}", record_path.display())),
    };
    for line in record.lines() {
        // `path,sha256=…,size`; paths with commas are quoted, and have no size we need.
        let mut fields = line.rsplitn(3, ',');
        let (Some(size), Some(_hash), Some(path)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(size) = size.trim().parse::<u64>() else {
            // Files pip does not size (RECORD itself, compiled bytecode) are not checked.
            continue;
        };
        let path = path.trim_matches('"');
        // Python rewrites bytecode whenever its source's timestamp or the interpreter says so.
        if path.ends_with(".pyc") {
            continue;
        }
        let file = site_packages.join(path);
        match std::fs::metadata(&file) {
            Ok(meta) if meta.len() == size => {}
            Ok(meta) => {
                return Some(format!(
                    "{} of {distribution} has {} bytes where {size} were installed",
                    file.display(),
                    meta.len()
                ))
            }
            Err(_) => return Some(format!("{} of {distribution} is missing", file.display())),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn fake_install(site: &Path) {
        fs::create_dir_all(site.join("pkg")).unwrap();
        fs::create_dir_all(site.join("My_Pkg-1.0.dist-info")).unwrap();
        fs::write(site.join("pkg/__init__.py"), "x = 1\n").unwrap();
        fs::write(site.join("pkg/data.bin"), [0u8; 10]).unwrap();
        fs::write(
            site.join("My_Pkg-1.0.dist-info/RECORD"),
            "pkg/__init__.py,sha256=abc,6\n\"pkg/data.bin\",sha256=def,10\n\
             pkg/__pycache__/x.pyc,,\npkg/__pycache__/y.pyc,sha256=0,99\n\
             My_Pkg-1.0.dist-info/RECORD,,\n",
        )
        .unwrap();
    }

    #[test]
    fn a_whole_install_has_no_damage() {
        let dir = tempfile::tempdir().unwrap();
        fake_install(dir.path());
        assert_eq!(damage(dir.path(), "my-pkg"), None);
        assert!(dist_info(dir.path(), "MY.PKG").is_some());
    }

    #[test]
    fn missing_truncated_and_unrecorded_installs_are_damage() {
        let dir = tempfile::tempdir().unwrap();
        fake_install(dir.path());
        fs::write(dir.path().join("pkg/data.bin"), [0u8; 3]).unwrap();
        let why = damage(dir.path(), "my_pkg").unwrap();
        assert!(why.contains("data.bin") && why.contains("3 bytes"), "{why}");
        fs::remove_file(dir.path().join("pkg/__init__.py")).unwrap();
        let why = damage(dir.path(), "my_pkg").unwrap();
        assert!(
            why.contains("__init__.py") && why.contains("missing"),
            "{why}"
        );
        assert_eq!(damage(dir.path(), "not-installed"), None);
        fs::remove_file(dir.path().join("My_Pkg-1.0.dist-info/RECORD")).unwrap();
        assert!(damage(dir.path(), "my_pkg").unwrap().contains("RECORD"));
    }
}
