//! The `--json` document (schema in the README).

use std::path::Path;

use crate::results::RunReport;

/// Writes `report` to `path` as pretty-printed JSON, atomically.
pub fn write(path: &Path, report: &RunReport) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(path, text.as_bytes())
}
