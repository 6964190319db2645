//! How a suite runs: the engines it runs on and its `simulation` settings (duration, time
//! step, seed, threads, who draws the connections).
//!
//! Separate because every later section depends on these values (times are checked against
//! the duration, delays against the time step) while they depend on nothing else.

use super::lists::{Refusal, Repeat};
use super::Loader;
use crate::suggest::nearest;
use crate::suite::native::{Connectivity, Simulation, Simulator};
use crate::suite::source::quoted_list;
use crate::suite::units::{parse_expecting, Dimension};
use crate::suite::yaml::Node;

/// The keys of `simulation`.
pub(crate) const SIMULATION_KEYS: &[&str] = &["duration", "dt", "seed", "threads", "connectivity"];
/// The values of `simulation.connectivity`: who draws random connections.
pub(crate) const CONNECTIVITIES: &[&str] = &["crosscheck", "simulator"];
/// Most threads a suite may ask NEST for: more than any machine this runs on needs, and a
/// typo of 1000 must not oversubscribe the runner.
const MAX_THREADS: i64 = 64;
/// Most time steps a run may take, so that every loop over them stays finite.
pub(super) const MAX_STEPS: f64 = 1e8;
const DEFAULT_DT: &str = "0.025 ms";
/// The seed of a suite that gives none (and of connectors that give none).
pub(super) const DEFAULT_SEED: u64 = 1;

impl<'a> Loader<'a> {
    /// `engines`: distinct simulator names; the default simulators when absent.
    pub(super) fn engines(&mut self, node: Option<&'a Node>) -> Option<Vec<Simulator>> {
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Some(Simulator::DEFAULT.to_vec());
        };
        let items = self.nonempty_list(
            node,
            "engines",
            "`engines` is empty: leave it out to run on the four default simulators",
        )?;
        let repeat = Repeat::Refuse(Refusal::Fail, |item: &Node, _: &Simulator| {
            let text = item.as_str().unwrap_or_default();
            format!("engine `{text}` is listed twice")
        });
        self.distinct(items, repeat, |l, item| l.engine(item).ok_or(Refusal::Fail))
    }

    /// One simulator name; a near miss is suggested, noting that names are case-sensitive.
    fn engine(&mut self, item: &'a Node) -> Option<Simulator> {
        let text = self.string(item, "engine")?;
        let engine = Simulator::from_name(text);
        if engine.is_none() {
            let names: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
            let message = format!("unknown engine `{}`", text.escape_debug());
            let help = match nearest(text, &names) {
                Some(near) => format!("did you mean `{near}`? (engine names are case-sensitive)"),
                None => format!("one of: {}", quoted_list(&names)),
            };
            self.error_help(item, message, help);
        }
        engine
    }

    /// `simulation`, with the defaults for what it leaves out.
    pub(super) fn simulation(&mut self, node: &'a Node) -> Option<Simulation> {
        self.mapping(node, "simulation", SIMULATION_KEYS)?;
        let before = self.errors.len();
        let duration = self
            .required(node, "duration", node, "`simulation`")
            .and_then(|d| self.positive(d, "duration", Dimension::TIME, true));
        let dt = match node.get("dt") {
            None => parse_expecting(DEFAULT_DT, Dimension::TIME).ok(),
            Some(d) => self.positive(d, "dt", Dimension::TIME, true),
        };
        let seed = match node.get("seed") {
            None => Some(DEFAULT_SEED),
            Some(s) => self.integer(s, "seed", 0, i64::MAX).map(|s| s as u64),
        };
        let threads = match node.get("threads") {
            None => Some(1),
            Some(t) => self.integer(t, "threads", 1, MAX_THREADS).map(|t| t as u32),
        };
        let connectivity = match node.get("connectivity") {
            None => Some(Connectivity::Crosscheck),
            Some(c) => self
                .choice(c, "connectivity", CONNECTIVITIES)
                .map(|c| match c {
                    "simulator" => Connectivity::Simulator,
                    _ => Connectivity::Crosscheck,
                }),
        };
        if let (Some(duration), Some(dt)) = (duration, dt) {
            let at = node.get("dt").or(node.get("duration")).unwrap_or(node);
            if duration.si / dt.si > MAX_STEPS {
                self.error(
                    at,
                    format!(
                        "{:.0} time steps (duration / dt) is more than the limit of {MAX_STEPS:.0}",
                        duration.si / dt.si
                    ),
                );
            } else if dt.si > duration.si {
                self.error(at, "`dt` is longer than `duration`");
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(Simulation {
            duration: duration?,
            dt: dt?,
            seed: seed?,
            threads: threads?,
            connectivity: connectivity?,
        })
    }
}
