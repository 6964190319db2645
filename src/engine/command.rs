//! The `command` engine: run the target itself.
//!
//! Not an OMV engine. It lets a suite run any program under crosscheck's runner (timeouts,
//! process groups, output capture, data checks), and makes those behaviours testable without
//! a simulator.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::Step;

pub(super) fn run(target: &Path, dir: &Path) -> Step {
    let executable = std::fs::metadata(target)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false);
    if executable {
        Step::new("run", target, dir)
    } else {
        Step::new("run", "sh", dir).arg(target)
    }
}
