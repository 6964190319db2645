//! OMV engines crosscheck cannot provision: no PyPI package exists for them (or the one there
//! lacks what the engine needs). Their tests are reported as `skip` with the reason and how to
//! install the engine by hand; `--require-all` makes such a skip an error.

/// Why an OMV engine cannot run here, and how someone could install it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable {
    /// Why crosscheck cannot provision it (`GNU Octave is not on PyPI`).
    pub reason: &'static str,
    /// What someone could do to run the test anyway (a manual install, or another engine).
    pub how_to_install: &'static str,
}

const fn why(reason: &'static str, how_to_install: &'static str) -> Unavailable {
    Unavailable {
        reason,
        how_to_install,
    }
}

/// The reason `name` cannot run, or `None` when crosscheck runs it (or does not know it).
pub fn unavailable(name: &str) -> Option<Unavailable> {
    Some(match name {
        "NEST" => why(
            "SLI scripts need NEST's `nest` interpreter, which the nest-simulator wheel (3.10) no longer ships",
            "build a NEST older than 3.10 (which still has SLI) from source (https://nest-simulator.readthedocs.io), or port the test to PyNEST",
        ),
        "XPP" => why(
            "XPP/XPPAUT is not on PyPI",
            "install xppaut from your distribution or http://www.math.pitt.edu/~bard/xpp/xpp.html",
        ),
        "Octave" => why(
            "GNU Octave is not on PyPI",
            "apt-get install octave",
        ),
        "GENESIS" => why(
            "GENESIS 2 is built from source",
            "see http://genesis-sim.org (OMV's installer builds it from source)",
        ),
        "Py_neuroConstruct" => why(
            "neuroConstruct is a Java application built from its git repository",
            "see https://github.com/NeuralEnsemble/neuroConstruct",
        ),
        "jLEMS" => why(
            "jLEMS is built from its git repository with Maven (OMV's installer); jNeuroML runs the same LEMS interpreter",
            "use the jNeuroML engine, or build https://github.com/LEMS/jLEMS with Maven",
        ),
        _ => return None,
    })
}
