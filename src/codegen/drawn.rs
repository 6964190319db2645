//! Networks the simulator scripts draw themselves (`simulation.connectivity: simulator`).
//!
//! NEST draws such a network with `nest.Connect` rules and `nest.random` parameters (see
//! [`super::nest`]), exactly as a published NEST model does, so its runs reproduce the
//! published ones. NEURON and Brian2 have no such rules in common, so their scripts draw the
//! same distributions with numpy, from the suite's seed, with the helpers below: one Python
//! text shared by both generators, so the two cannot drift apart. The networks then differ
//! draw by draw but not in law, which is what the statistical checks of a network compare.
//!
//! The draws come in a fixed order: every drawn initial potential (populations in suite order),
//! then per projection its pairs, its weights, its delays.

use serde::Serialize;

use super::network::{NetProjection, Network, NormalDraw};
use super::{number_in, CodegenError};
use crate::suite::native::{Connector, NativeSuite, Population};
use crate::suite::units::code_number;

/// The Python helpers the NEURON and Brian2 scripts call; `DRAW_SEED` is defined before them.
pub const PYTHON_HELPERS: &str = r#"
# Connectivity, weights, delays and initial potentials drawn by this script from the suite's
# seed (`connectivity: simulator`). NEST draws the same distributions with its own generator:
# the networks are alike in law, not draw by draw.
_draw_rng = np.random.default_rng(DRAW_SEED)


def draw_pairs(rule, n_pre, n_post, total, exclude_self):
    """Source and target indices: `fixed_total_number` draws `total` pairs uniformly (the same
    pair may repeat), `all_to_all` and `one_to_one` list theirs."""
    if rule == "all_to_all":
        pre, post = np.meshgrid(np.arange(n_pre), np.arange(n_post), indexing="ij")
        pre, post = pre.ravel(), post.ravel()
        if exclude_self:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post
    if rule == "one_to_one":
        return np.arange(min(n_pre, n_post)), np.arange(min(n_pre, n_post))
    pre = _draw_rng.integers(0, n_pre, total)
    post = _draw_rng.integers(0, n_post, total)
    while exclude_self:
        same = pre == post
        if not same.any():
            break
        pre[same] = _draw_rng.integers(0, n_pre, int(same.sum()))
        post[same] = _draw_rng.integers(0, n_post, int(same.sum()))
    return pre, post


def draw_normal(mean, sd, n, low, high):
    """`n` values of a normal distribution, each redrawn until it lies in [low, high] (what
    nest.math.redraw does); the mean itself when there is no spread."""
    if sd is None:
        return np.full(n, float(mean))
    values = _draw_rng.normal(mean, sd, n)
    while True:
        bad = (values < low) | (values > high)
        if not bad.any():
            return values
        values[bad] = _draw_rng.normal(mean, sd, int(bad.sum()))


def on_steps(delays_ms, dt_ms):
    """Delays rounded to whole steps, at least one, as NEST rounds them."""
    return np.maximum(np.floor(delays_ms / dt_ms + 0.5), 1.0) * dt_ms
"#;

/// How a script draws one projection: every field is a number, a Python literal or a fixed
/// word, ready for the template.
#[derive(Debug, Serialize)]
pub struct DrawnProjection {
    /// `fixed_total_number`, `all_to_all` or `one_to_one`.
    pub rule: &'static str,
    /// Cells in the source population.
    pub n_pre: usize,
    /// Cells in the target population.
    pub n_post: usize,
    /// Pairs to draw for `fixed_total_number`; 0 (unused) for the other rules.
    pub total: usize,
    /// `True` when a cell may not connect to itself.
    pub exclude_self: &'static str,
    /// The weight in the simulator's unit, signed as it takes it, and its spread (`None`).
    pub weight_mean: String,
    /// The weight's standard deviation in the same unit, or `None` (every weight the mean).
    pub weight_sd: String,
    /// The interval a weight is redrawn into: the sign never changes.
    pub weight_low: &'static str,
    /// The upper end of that interval (`0.0` for negative weights, else `np.inf`).
    pub weight_high: &'static str,
    /// The delay in ms (the script rounds each draw to whole steps, at least one).
    pub delay_mean: String,
    /// The delay's standard deviation in ms, or `None`.
    pub delay_sd: String,
}

impl DrawnProjection {
    /// `signed_weight` is the weight as the simulator takes it, in `unit` (its sign decides the
    /// interval the draws stay in).
    pub fn new(
        net: &Network,
        proj: &NetProjection,
        signed_weight: f64,
        unit: &str,
    ) -> Result<DrawnProjection, CodegenError> {
        let pre = &net.populations[proj.source];
        let post = &net.populations[proj.target];
        if pre.is_source() {
            return Err(CodegenError::Unsupported(format!(
                "with `connectivity: simulator`, NEURON and Brian2 draw connections between cells only (`{}` is a source)",
                pre.id
            )));
        }
        let same = proj.source == proj.target;
        let (rule, total, allow_self) = match &proj.def.connector {
            Connector::FixedTotalNumber {
                total,
                allow_self_connections,
                ..
            } => ("fixed_total_number", *total, *allow_self_connections),
            Connector::AllToAll {
                allow_self_connections,
            } => ("all_to_all", 0, *allow_self_connections),
            Connector::OneToOne => ("one_to_one", 0, true),
            other => {
                return Err(CodegenError::Unsupported(format!(
                    "with `connectivity: simulator`, the script cannot draw {other:?}"
                )))
            }
        };
        let negative = signed_weight < 0.0;
        let optional = |q: Option<crate::suite::units::Quantity>, unit: &str| match q {
            Some(q) => number_in(&q, unit),
            None => Ok("None".to_string()),
        };
        Ok(DrawnProjection {
            rule,
            n_pre: pre.size,
            n_post: post.size,
            total,
            exclude_self: if same && !allow_self { "True" } else { "False" },
            weight_mean: code_number(signed_weight),
            weight_sd: optional(proj.weight_sd, unit)?,
            weight_low: if negative { "-np.inf" } else { "0.0" },
            weight_high: if negative { "0.0" } else { "np.inf" },
            delay_mean: number_in(&proj.delay, "ms")?,
            delay_sd: optional(proj.delay_sd, "ms")?,
        })
    }
}

/// One synapse of a drawn network, as crosscheck draws it for a target that cannot draw
/// (the NeuroML export): indices, the signed weight in SI units, the delay in ms (whole steps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Synapse {
    /// Index of the source cell in its population.
    pub pre: u32,
    /// Index of the target cell in its population.
    pub post: u32,
    /// The weight in SI units, negative for inhibitory synapses.
    pub weight_si: f64,
    /// The delay in ms, rounded to whole steps (at least one).
    pub delay_ms: f64,
}

/// Draws projection `index` of a `connectivity: simulator` suite with crosscheck's own
/// generator (from the suite's seed, one stream per projection): the same distributions as the
/// simulators' draws, as explicit synapses.
pub fn draw_synapses(suite: &NativeSuite, index: usize) -> Result<Vec<Synapse>, CodegenError> {
    use super::random::{fixed_total_number, normal_within, SplitMix64};
    let proj = &suite.projections[index];
    let (n_pre, n_post) = (
        suite.populations[proj.from].size,
        suite.populations[proj.to].size,
    );
    let same = proj.from == proj.to;
    let mut rng = SplitMix64::new(suite.simulation.seed, 0xD0A7_0000 + index as u64);
    let pairs: Vec<(u32, u32)> = match &proj.connector {
        Connector::FixedTotalNumber {
            total,
            allow_self_connections,
            ..
        } => fixed_total_number(
            &mut rng,
            n_pre,
            n_post,
            *total,
            same && !allow_self_connections,
        ),
        Connector::AllToAll {
            allow_self_connections,
        } => (0..n_pre as u32)
            .flat_map(|a| (0..n_post as u32).map(move |b| (a, b)))
            .filter(|(a, b)| *allow_self_connections || !same || a != b)
            .collect(),
        Connector::OneToOne => (0..n_pre.min(n_post) as u32).map(|i| (i, i)).collect(),
        other => {
            return Err(CodegenError::Unsupported(format!(
                "with `connectivity: simulator`, crosscheck cannot draw {other:?}"
            )))
        }
    };
    let sign = proj.receptor.sign();
    let weight = sign * proj.weight.si;
    let (low, high) = if weight < 0.0 {
        (f64::NEG_INFINITY, 0.0)
    } else {
        (0.0, f64::INFINITY)
    };
    let dt_ms = suite.simulation.dt.si * 1e3;
    let delay_ms = proj.delay.si * 1e3;
    let weight_sd = proj.weight_sd.map(|q| q.si);
    let delay_sd = proj.delay_sd.map(|q| q.si * 1e3);
    let weights: Vec<f64> = pairs
        .iter()
        .map(|_| normal_within(&mut rng, weight, weight_sd, low, high))
        .collect();
    Ok(pairs
        .into_iter()
        .zip(weights)
        .map(|((pre, post), weight_si)| {
            let d = normal_within(&mut rng, delay_ms, delay_sd, 0.5 * dt_ms, f64::INFINITY);
            Synapse {
                pre,
                post,
                weight_si,
                delay_ms: (d / dt_ms + 0.5).floor().max(1.0) * dt_ms,
            }
        })
        .collect())
}

/// Each cell's initial potential (mV) of a population whose `v_init` is drawn, with
/// crosscheck's own generator; `None` when it is not drawn.
pub fn draw_initial_potentials(suite: &NativeSuite, population: usize) -> Option<Vec<f64>> {
    let pop = &suite.populations[population];
    let sd = pop.v_init_sd?.si * 1e3;
    let mean = pop.param("v_init")?.si * 1e3;
    let mut rng =
        super::random::SplitMix64::new(suite.simulation.seed, 0x0F17_0000 + population as u64);
    Some(
        (0..pop.size)
            .map(|_| super::random::normal(&mut rng, mean, sd))
            .collect(),
    )
}

/// A population's drawn initial potential: mean and sd in mV.
pub(crate) fn initial_potential(pop: &Population) -> Result<Option<NormalDraw>, CodegenError> {
    match (pop.v_init_sd, pop.param("v_init")) {
        (Some(sd), Some(mean)) => Ok(Some(NormalDraw {
            mean: number_in(mean, "mV")?,
            sd: number_in(&sd, "mV")?,
        })),
        _ => Ok(None),
    }
}

/// The seed of the scripts' numpy generator, when the script draws anything (a network or
/// initial potentials); `None` when it needs neither the generator nor [`PYTHON_HELPERS`].
pub fn seed(suite: &NativeSuite) -> Option<u64> {
    let draws = suite.simulation.connectivity == crate::suite::native::Connectivity::Simulator
        || suite.populations.iter().any(|p| p.v_init_sd.is_some());
    draws.then_some(suite.simulation.seed)
}

#[cfg(test)]
mod tests {
    use crate::codegen::testing::{assert_parses_as_python, from_yaml};
    use crate::codegen::{generate, prepare_inputs, write_inputs};
    use crate::suite::native::Simulator;

    /// Two populations with every drawn feature: potentials, a total number of pairs with
    /// normal weights and delays (one inhibitory), a delayed Poisson drive.
    const SUITE: &str = "suite: drawn\nsimulation: {duration: 50 ms, dt: 0.1 ms, seed: 55, connectivity: simulator}\npopulations:\n  e: {cell: lif_curr_exp, size: 20, parameters: {v_init: {normal: {mean: -68.28 mV, sd: 5.36 mV}}}}\n  i: {cell: lif_curr_exp, size: 5}\nprojections:\n  - {from: e, to: i, connector: {fixed_total_number: 40, allow_self_connections: true}, receptor: excitatory, weight: {normal: {mean: 87.8 pA, sd: 8.78 pA}}, delay: {normal: {mean: 1.5 ms, sd: 0.75 ms}}}\n  - {from: i, to: e, connector: {fixed_total_number: 30}, receptor: inhibitory, weight: {normal: {mean: 351.2 pA, sd: 35.12 pA}}, delay: 0.8 ms}\nstimuli:\n  - poisson: {target: e, rate: 1280 Hz, weight: 87.8 pA, receptor: excitatory, delay: 1.5 ms}\nrecord: [{population: e, variables: [spikes]}]\nchecks:\n  statistics: [{statistic: mean_rate, population: e, min: 0 Hz}]\n";

    fn code(simulator: Simulator) -> (String, tempfile::TempDir) {
        let suite = from_yaml(SUITE);
        let dir = tempfile::tempdir().unwrap();
        let inputs = prepare_inputs(&suite);
        assert!(inputs.connections.iter().all(Vec::is_empty));
        write_inputs(dir.path(), &suite, &inputs).unwrap();
        let generated = generate(&suite, simulator, dir.path()).unwrap();
        let path = dir.path().join(&generated.script);
        assert_parses_as_python(&path);
        (std::fs::read_to_string(path).unwrap(), dir)
    }

    #[test]
    fn crosscheck_draws_explicit_synapses_for_targets_that_cannot() {
        let suite = from_yaml(SUITE);
        let inhibitory = super::draw_synapses(&suite, 1).unwrap();
        assert_eq!(inhibitory.len(), 30);
        assert!(inhibitory.iter().all(|s| s.pre < 5 && s.post < 20));
        assert!(inhibitory.iter().all(|s| s.weight_si <= 0.0));
        // A plain delay stays itself (0.8 ms is 8 steps).
        assert!(inhibitory.iter().all(|s| (s.delay_ms - 0.8).abs() < 1e-9));
        let excitatory = super::draw_synapses(&suite, 0).unwrap();
        assert!(excitatory
            .iter()
            .all(|s| s.weight_si >= 0.0 && s.delay_ms >= 0.1 - 1e-12));
        // Delays are whole steps; weights vary around the mean.
        assert!(excitatory
            .iter()
            .all(|s| ((s.delay_ms / 0.1) - (s.delay_ms / 0.1).round()).abs() < 1e-9));
        let distinct: std::collections::BTreeSet<u64> =
            excitatory.iter().map(|s| s.weight_si.to_bits()).collect();
        assert!(distinct.len() > 30, "{excitatory:?}");
        // The same seed draws the same network.
        assert_eq!(excitatory, super::draw_synapses(&suite, 0).unwrap());
        let v = super::draw_initial_potentials(&suite, 0).unwrap();
        assert_eq!(v.len(), 20);
        assert!(v.iter().any(|x| *x != v[0]));
        assert!(super::draw_initial_potentials(&suite, 1).is_none());
    }

    #[test]
    fn nest_draws_with_its_own_rules_in_the_reference_implementations_terms() {
        let (code, dir) = code(Simulator::Nest);
        // No connection files: the simulators draw.
        assert!(!dir.path().join("inputs/connections_0.txt").exists());
        assert!(
            code.contains("pop_e.set(V_m=nest.random.normal(-68.28, 5.36))"),
            "{code}"
        );
        assert!(code.contains(
            "nest.Connect(pop_e, pop_i, {\"rule\": \"fixed_total_number\", \"N\": 40, \"allow_autapses\": True, \"allow_multapses\": True}"
        ), "{code}");
        assert!(code.contains("\"weight\": nest.math.redraw(nest.random.normal(mean=87.8, std=8.78), min=0.0, max=np.inf)"), "{code}");
        assert!(code.contains("\"delay\": nest.math.redraw(nest.random.normal(mean=1.5, std=0.75), min=nest.resolution - 0.5 * nest.resolution, max=np.inf)"), "{code}");
        // Inhibitory weights are drawn negative and kept so.
        assert!(
            code.contains("nest.random.normal(mean=-351.2, std=35.12), min=-np.inf, max=0.0)"),
            "{code}"
        );
        assert!(code.contains("\"allow_autapses\": False"), "{code}");
        assert!(code.contains("\"delay\": 0.8,"), "{code}");
        assert!(
            code.contains("{\"weight\": 87.8, \"delay\": 1.5}"),
            "{code}"
        );
    }

    #[test]
    fn neuron_and_brian2_draw_the_same_distributions_with_numpy() {
        for simulator in [Simulator::Neuron, Simulator::Brian2] {
            let (code, _dir) = code(simulator);
            assert!(code.contains("DRAW_SEED = 55"), "{code}");
            assert!(code.contains("def draw_pairs("), "{code}");
            assert!(
                code.contains("draw_normal(-68.28, 5.36, 20, -np.inf, np.inf)"),
                "{code}"
            );
            assert!(
                code.contains("draw_pairs(\"fixed_total_number\", 20, 5, 40, False)"),
                "{code}"
            );
            assert!(
                code.contains("draw_pairs(\"fixed_total_number\", 5, 20, 30, False)"),
                "{code}"
            );
            assert!(
                code.contains("draw_normal(87.8, 8.78, len(_pre), 0.0, np.inf)"),
                "{code}"
            );
            assert!(
                code.contains("draw_normal(-351.2, 35.12, len(_pre), -np.inf, 0.0)"),
                "{code}"
            );
            assert!(code.contains("draw_normal(0.8, None, len(_pre)"), "{code}");
            assert!(!code.contains("inputs/connections_"), "{code}");
        }
        // The Poisson drive onto current synapses adds to the excitatory current.
        let (brian2, _dir) = code(Simulator::Brian2);
        assert!(
            brian2.contains("PoissonInput(pop_e, \"I_syn_E\","),
            "{brian2}"
        );
        let (neuron, _dir) = code(Simulator::Neuron);
        assert!(neuron.contains("\"drive_weight\": 87.8,"), "{neuron}");
        assert!(
            neuron.contains("h.cc_lif_exp(_seed_section(0.5))"),
            "{neuron}"
        );
        // Sources cannot project in a drawn network: both skip with the reason.
        let with_source = SUITE
            .replace(
                "  i: {cell: lif_curr_exp, size: 5}",
                "  i: {cell: poisson_source, size: 5}",
            )
            .replace("{from: e, to: i,", "{from: e, to: e,");
        let suite = from_yaml(&with_source);
        for simulator in [Simulator::Neuron, Simulator::Brian2] {
            let dir = tempfile::tempdir().unwrap();
            let err = generate(&suite, simulator, dir.path()).unwrap_err();
            assert!(err.to_string().contains("`i` is a source"), "{err}");
        }
    }
}
