//! OMV's MPI engines (`NetPyNE_NP2`, `jNeuroML_NetPyNE_NP4`, ...): the model runs as N MPI ranks
//! of NEURON, `mpiexec -np N nrniv -mpi <script>`, with MPI from the managed environment (the
//! MPICH wheel; NEURON's wheel loads its library through `MPI_LIB_NRN_PATH`, see
//! [`crate::env::ManagedEnv::mpi_library`]).
//!
//! The launcher is MPICH's `mpiexec.gforker`, not its default `mpiexec` (Hydra): Hydra starts
//! its proxy and every rank in a session of their own (`setsid`, seen with `ps`), outside the
//! job's process group, so stopping a timed-out job would rest on Hydra's own clean-up (which
//! did stop the ranks when tried here) instead of on the group kill that stops every other
//! engine's children. gforker forks the ranks itself, inside the group, where the runner's
//! SIGTERM and SIGKILL reach every rank and anything a rank started. The ranks and their
//! command line are otherwise what OMV runs.

use std::path::Path;

use super::{Step, Tools};

/// `mpiexec.gforker -np <ranks> nrniv -mpi <script> <args…>` in `dir`.
pub(super) fn nrniv(
    label: &str,
    ranks: u32,
    script: &str,
    args: &[&str],
    dir: &Path,
    tools: &Tools,
) -> Step {
    let mut step = Step::new(label, tools.bin_dir.join("mpiexec.gforker"), dir)
        .arg("-np")
        .arg(ranks.to_string())
        .arg(tools.bin_dir.join("nrniv"))
        .arg("-mpi")
        .arg(script);
    for a in args {
        step = step.arg(*a);
    }
    step
}
