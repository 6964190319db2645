//! `model`: a NeuroML file that defines the suite's network, cells and inputs.
//!
//! Separate because it replaces the inline network sections rather than adding to them, and
//! because its errors come from another file, reported at that file's line and column.

use super::Loader;
use crate::suite::native::neuroml::{import_within, Imported};
use crate::suite::native::Simulation;
use crate::suite::units::Quantity;
use crate::suite::yaml::Node;

/// The keys of `model`.
pub(crate) const MODEL_KEYS: &[&str] = &["neuroml", "network"];
/// Keys a NeuroML model replaces: the file defines the network and its inputs.
const MODEL_EXCLUSIVE_KEYS: &[&str] = &["populations", "projections", "stimuli", "sweep"];

impl<'a> Loader<'a> {
    /// The `model` entry of the suite at `root`: refuses the keys it replaces, then imports.
    pub(super) fn model_section(
        &mut self,
        root: &'a Node,
        key: &Node,
        node: &'a Node,
        simulation: Option<&Simulation>,
    ) -> Option<Imported> {
        for exclusive in MODEL_EXCLUSIVE_KEYS {
            if let Some((other, _)) = root.entry(exclusive) {
                self.error_help(
                    other,
                    format!("`{exclusive}` cannot be used with `model`"),
                    "the NeuroML file defines the network, its cells and its inputs",
                );
            }
        }
        self.model(key, node, simulation.map(|s| s.dt))
    }

    /// `model: {neuroml: path, network: id}`: imports the NeuroML file (path relative to the
    /// suite). Errors inside the NeuroML file name that file's line and column.
    fn model(&mut self, key: &Node, node: &'a Node, dt: Option<Quantity>) -> Option<Imported> {
        self.mapping(node, "model", MODEL_KEYS)?;
        let Some(file) = node.get("neuroml") else {
            self.error_help(
                key,
                "`model` needs `neuroml`: the NeuroML2 file that defines the network",
                "e.g. `model: {neuroml: models/cells.net.nml}`",
            );
            return None;
        };
        let file_node = file;
        let file = self.string(file, "neuroml")?;
        let network = match node.get("network") {
            None => None,
            Some(n) => Some(self.string(n, "network")?),
        };
        let path = self.src.within(
            "NeuroML file",
            file,
            self.src.dir().join(file),
            file_node,
            &mut self.errors,
        )?;
        if !path.is_file() {
            self.error(
                file_node,
                format!(
                    "NeuroML file `{}` not found (looked for {})",
                    file,
                    path.display()
                ),
            );
            return None;
        }
        match import_within(&path, network, dt, &self.src.boundary) {
            Ok(imported) => Some(imported),
            Err(error) => {
                let message = format!("in the NeuroML model: {error}");
                self.error(file_node, message);
                None
            }
        }
    }
}
