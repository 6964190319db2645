//! What a session judges suite jobs by besides their own checks: data stored beside the
//! suites (blessed references, calibrations), found from `--reference-dir` or each suite's
//! nearest `reference-data/` folder.

use std::path::PathBuf;

use crate::results::{ObservableResult, Recordings};
use crate::suite_job::SuiteJob;

/// The checks of a suite job against what is stored for it: its blessed reference and, for a
/// `distributions` check, its calibration. Given to the runner, which runs them before it
/// reports the job, so the first verdict shown is the final one.
#[derive(Debug, Clone, Default)]
pub struct StoredData {
    /// `--reference-dir`: the reference root for every suite; else each suite's own
    /// ([`crate::judge::reference::reference_root`]).
    pub reference_dir: Option<PathBuf>,
}

impl StoredData {
    /// The reference root `job` is judged against.
    pub fn root(&self, job: &SuiteJob) -> PathBuf {
        self.reference_dir
            .clone()
            .unwrap_or_else(|| crate::judge::reference::reference_root(&job.file))
    }
}

impl crate::runner::StoredChecks for StoredData {
    fn judge(&self, job: &SuiteJob, recordings: &Recordings) -> Vec<ObservableResult> {
        let root = self.root(job);
        let mut judged = crate::judge::reference::judge(&root, job, recordings);
        judged.extend(crate::judge::calibration::judge(&root, job, recordings));
        judged
    }
}
