//! Brian2 code for a native suite: each cell type written out as equations that mean exactly
//! what NEST's built-in model of the same cell means (NeuroML's, for `izhikevich2007`).
//!
//! # Timing conventions, and how they are matched to NEST
//!
//! NEST stamps a spike with the *end* of the step in which the threshold was crossed; Brian2
//! with the step's *start* (`t`, before its clock advances). The script therefore writes
//! Brian2's spike times plus one `dt`, and feeds spike sources one `dt` early, so that every
//! spike in `output/` is stamped as NEST stamps it.
//!
//! NEST adds the synaptic input of a step after integrating it and checks the threshold after
//! that (an Izhikevich cell crosses threshold the very step a delta input arrives). Brian2's
//! default schedule checks thresholds before delivering synaptic events; the script moves the
//! `synapses` slot before `thresholds` and, as the spikes of a step are then delivered from the
//! next step on, shortens every delay by one `dt` (a suite's delay is at least `dt`). With this,
//! a spike stamped `T` (NEST's stamp) reaches its targets' state at `T + delay`, as in NEST.
//!
//! NEST counts a refractory period of `R = round(t_ref / dt)` steps *after* the step of the
//! spike; Brian2 counts from the spike step's start, so its `refractory` is `(R + 1) dt`.
//!
//! A current step from `start` to `stop` reaches a NEST neuron one step late (the generator's
//! connection delay is one `dt`: the current acts on the steps starting at `start + dt` up to
//! `stop + dt`, and never before the first step, as NEST refuses a change at `t = 0`). The
//! script reproduces that exactly by running in segments and setting `I_stim` between them.
//! (The NEST generator must connect its `step_current_generator` with `delay = dt` for this to
//! hold; with NEST's default 1 ms connection delay every step would arrive 1 ms late there.)
//!
//! # Integration methods, and the residual differences from NEST
//!
//! - `lif_curr_exp`, `lif_curr_alpha`: `exact` (the equations are linear, and NEST integrates
//!   them exactly too, with the input current constant over a step): identical up to rounding.
//! - `izhikevich`: `euler`, which is NEST's own scheme (forward Euler on `v` and `u` with the
//!   old values, then delta inputs, then the threshold): identical up to rounding.
//! - `izhikevich2007`: `euler`, as LEMS (jNeuroML) integrates it, and as NEST does through
//!   its 2003 model (see `codegen::nest`).
//! - `adex_cond_exp`: `rk4` at the suite's `dt`, while NEST uses adaptive RKF45 and detects
//!   `V_peak` inside a step (resetting there); Brian2 detects it at the end of a step. Spike
//!   times differ by up to about a step per spike, and the difference grows over a train.
//! - `hh_curr_alpha`: `rk4` (NEST: adaptive RKF45), with NEST's rate functions (written with
//!   `exprel` so `V = -55 mV`, `-40 mV` are not 0/0) and NEST's spike detection: a spike is
//!   a local maximum of `V` at or above 0 mV (the step where `V` starts to fall), then 2 ms
//!   without detection. Spike times differ by a fraction of a step early on.
//!
//! The scripts run on Brian2's `numpy` target: no C++/Cython compilation, so start-up is fast
//! and no compiler caches are written.

use std::path::Path;

use serde::Serialize;

use super::{cells, list_literal, number_in, render, CodegenError, Generated, Inputs};
use crate::suite::native::{Connectivity, NativeSuite, Population, Receptor, Stimulus};
use crate::suite::units::{brian2_expr, code_number, Quantity};

const TEMPLATE: &str = include_str!("templates/brian2.py.tera");
/// The generated Brian2 script's file name, in the output folder.
pub const SCRIPT: &str = "run_brian2.py";

/// Spike detection of NEST's `hh_psc_alpha` pauses for its `t_ref` (default 2 ms, not a
/// parameter of our `hh_curr_alpha`).
const HH_T_REF_MS: f64 = 2.0;

/// One of our cell types as Brian2 equations. Names in the equations are Brian2-side names;
/// the suite's values reach them through the group's `namespace` (never as text).
struct Brian2Model {
    equations: &'static str,
    /// (our parameter, name in the equations); every one ends up in the namespace.
    params: &'static [(&'static str, &'static str)],
    threshold: &'static str,
    reset: &'static str,
    refractory: Refractory,
    method: &'static str,
    /// Why this method (a comment in the generated code).
    method_note: &'static str,
    /// (state variable, our parameter giving its initial value).
    init: &'static [(&'static str, &'static str)],
    /// Further initial values, as Brian2 expressions of the group's own variables (fixed text).
    init_exprs: &'static [(&'static str, &'static str)],
    /// `on_pre` for excitatory and inhibitory projections; `w_syn` is the (signed) weight (not `w`: Brian2 lets synapses read a target's variables unprefixed, and AdEx has a `w`).
    on_pre: [&'static str; 2],
    /// (our variable, Brian2 variable, the contract's unit as a Brian2 expression).
    variables: &'static [(&'static str, &'static str, &'static str)],
    /// Code run every step, and its slot in the schedule (`start`: before integration,
    /// `after_groups`: after it).
    every_step: Option<(&'static str, &'static str)>,
}

/// The refractory clamp of the linear LIF models. Brian2's `exact` solver would turn
/// `(unless refractory)` into a symbolic factor and divide by zero when `tau_m == tau_syn`,
/// so the LIF equations stay unconditional and `v` is put back to `V_reset` after every step
/// of the refractory period, which is NEST's clamp.
const LIF_CLAMP: Option<(&str, &str)> = Some((
    "v = v*int(not_refractory) + V_reset*(1 - int(not_refractory))",
    "after_groups",
));

#[derive(Clone, Copy)]
enum Refractory {
    None,
    /// NEST's `t_ref` is this parameter of ours.
    Param(&'static str),
    /// A fixed NEST `t_ref`, in ms.
    FixedMs(f64),
}

const LIF_PARAMS: &[(&str, &str)] = &[
    ("cm", "C_m"),
    ("tau_m", "tau_m"),
    ("v_rest", "E_L"),
    ("v_reset", "V_reset"),
    ("v_thresh", "V_th"),
    ("tau_syn_E", "tau_syn_E"),
    ("tau_syn_I", "tau_syn_I"),
    ("i_offset", "I_offset"),
];

/// The AdEx equations with the exponential term. As in NEST, the right-hand side sees `v`
/// capped at `V_peak` (`V`), so a fixed step near the cut-off cannot overflow.
const ADEX_EQUATIONS: &str = "\
dv/dt = (-g_L*(V - E_L) + g_L*Delta_T*exp((V - V_T)/Delta_T) - g_E*(V - E_E) - g_I*(V - E_I) - w + I_offset + I_stim)/C_m : volt (unless refractory)
dw/dt = (a*(V - E_L) - w)/tau_w : amp
dg_E/dt = -g_E/tau_syn_E : siemens
dg_I/dt = -g_I/tau_syn_I : siemens
V = clip(v, -inf*mV, V_peak) : volt
I_stim : amp";

/// NEST's `aeif_cond_exp` with `Delta_T = 0`: no exponential term, and the cut-off is `V_th`.
const ADEX_EQUATIONS_NO_EXP: &str = "\
dv/dt = (-g_L*(V - E_L) - g_E*(V - E_E) - g_I*(V - E_I) - w + I_offset + I_stim)/C_m : volt (unless refractory)
dw/dt = (a*(V - E_L) - w)/tau_w : amp
dg_E/dt = -g_E/tau_syn_E : siemens
dg_I/dt = -g_I/tau_syn_I : siemens
V = clip(v, -inf*mV, V_peak) : volt
I_stim : amp";

const ADEX_PARAMS: &[(&str, &str)] = &[
    ("cm", "C_m"),
    ("g_L", "g_L"),
    ("v_rest", "E_L"),
    ("v_reset", "V_reset"),
    ("v_thresh", "V_T"),
    ("delta_T", "Delta_T"),
    ("v_spike", "V_peak"),
    ("tau_w", "tau_w"),
    ("a", "a"),
    ("b", "b"),
    ("e_rev_E", "E_E"),
    ("e_rev_I", "E_I"),
    ("tau_syn_E", "tau_syn_E"),
    ("tau_syn_I", "tau_syn_I"),
    ("i_offset", "I_offset"),
];

/// `e`, which makes an alpha current of weight `w` peak at `w` (at `t = tau_syn`), as in NEST.
const ALPHA_ON_PRE: [&str; 2] = [
    "x_E_post += 2.718281828459045*w_syn",
    "x_I_post += 2.718281828459045*w_syn",
];

/// A delta synapse onto a LIF cell: ignored while the target is refractory (NEST's
/// iaf_psc_delta without `refractory_input`).
const DELTA_ON_PRE: &str = "v_post += w_syn*int(not_refractory_post)";

/// Binomial draws per step that stand for a Poisson drive: Brian2's `PoissonInput` draws
/// `Binomial(N, rate·dt/N)` per cell and step, which is Poisson within 1/N of its variance
/// once `rate·dt/N` is small; `N` is chosen so that it is at most this.
const DRIVE_MAX_P: f64 = 1e-3;

fn brian2_model(pop: &Population) -> Option<Brian2Model> {
    Some(match pop.kind.name {
        "lif_curr_exp" => Brian2Model {
            equations: "\
dv/dt = (E_L - v)/tau_m + (I_syn_E + I_syn_I + I_offset + I_stim)/C_m : volt
dI_syn_E/dt = -I_syn_E/tau_syn_E : amp
dI_syn_I/dt = -I_syn_I/tau_syn_I : amp
I_stim : amp",
            params: LIF_PARAMS,
            threshold: "v >= V_th",
            reset: "v = V_reset",
            refractory: Refractory::Param("tau_refrac"),
            method: "exact",
            method_note: "linear: integrated exactly, as NEST's iaf_psc_exp does",
            init: &[("v", "v_init")],
            init_exprs: &[],
            on_pre: ["I_syn_E_post += w_syn", "I_syn_I_post += w_syn"],
            variables: &[("v", "v", "mV")],
            every_step: LIF_CLAMP,
        },
        "lif_curr_alpha" => Brian2Model {
            equations: "\
dv/dt = (E_L - v)/tau_m + (I_syn_E + I_syn_I + I_offset + I_stim)/C_m : volt
dI_syn_E/dt = (x_E - I_syn_E)/tau_syn_E : amp
dx_E/dt = -x_E/tau_syn_E : amp
dI_syn_I/dt = (x_I - I_syn_I)/tau_syn_I : amp
dx_I/dt = -x_I/tau_syn_I : amp
I_stim : amp",
            params: LIF_PARAMS,
            threshold: "v >= V_th",
            reset: "v = V_reset",
            refractory: Refractory::Param("tau_refrac"),
            method: "exact",
            method_note: "linear: integrated exactly, as NEST's iaf_psc_alpha does",
            init: &[("v", "v_init")],
            init_exprs: &[],
            on_pre: ALPHA_ON_PRE,
            variables: &[("v", "v", "mV")],
            every_step: LIF_CLAMP,
        },
        "lif_delta" => Brian2Model {
            equations: "\
dv/dt = (E_L - v)/tau_m + (I_offset + I_stim)/C_m : volt
I_stim : amp",
            params: &[
                ("cm", "C_m"),
                ("tau_m", "tau_m"),
                ("v_rest", "E_L"),
                ("v_reset", "V_reset"),
                ("v_thresh", "V_th"),
                ("i_offset", "I_offset"),
            ],
            threshold: "v >= V_th",
            reset: "v = V_reset",
            refractory: Refractory::Param("tau_refrac"),
            method: "exact",
            method_note: "linear: integrated exactly, as NEST's iaf_psc_delta does",
            init: &[("v", "v_init")],
            init_exprs: &[],
            // NEST drops the spikes that arrive while the cell is refractory.
            on_pre: [DELTA_ON_PRE, DELTA_ON_PRE],
            variables: &[("v", "v", "mV")],
            every_step: LIF_CLAMP,
        },
        "izhikevich" => Brian2Model {
            // 1 pA through 1 pF is 1 mV/ms: currents enter dv/dt divided by 1 pF.
            equations: "\
dv/dt = (0.04*v**2/mV + 5*v + 140*mV)/ms - u + (I_offset + I_stim)/pF : volt
du/dt = a*(b*v - u) : volt/second
I_stim : amp",
            params: &[
                ("a", "a"),
                ("b", "b"),
                ("c", "c"),
                ("d", "d"),
                ("v_thresh", "V_th"),
                ("i_offset", "I_offset"),
            ],
            threshold: "v >= V_th",
            reset: "v = c; u += d",
            refractory: Refractory::None,
            method: "euler",
            method_note: "forward Euler on v and u, NEST's own scheme for izhikevich",
            init: &[("v", "v_init"), ("u", "u_init")],
            init_exprs: &[],
            on_pre: ["v_post += w_syn", "v_post += w_syn"],
            variables: &[("v", "v", "mV"), ("u", "u", "(mV/ms)")],
            every_step: None,
        },
        "izhikevich2007" => Brian2Model {
            equations: "\
dv/dt = (k*(v - v_r)*(v - v_t) - u + I_syn_E + I_syn_I + I_offset + I_stim)/C_m : volt
du/dt = a*(b*(v - v_r) - u) : amp
dI_syn_E/dt = -I_syn_E/tau_syn_E : amp
dI_syn_I/dt = -I_syn_I/tau_syn_I : amp
I_stim : amp",
            params: &[
                ("cm", "C_m"),
                ("k", "k"),
                ("v_r", "v_r"),
                ("v_t", "v_t"),
                ("v_peak", "v_peak"),
                ("a", "a"),
                ("b", "b"),
                ("c", "c"),
                ("d", "d"),
                ("tau_syn_E", "tau_syn_E"),
                ("tau_syn_I", "tau_syn_I"),
                ("i_offset", "I_offset"),
            ],
            // NeuroML: `v .gt. vpeak`; u starts at 0 as in NeuroML's izhikevich2007Cell.
            threshold: "v > v_peak",
            reset: "v = c; u += d",
            refractory: Refractory::None,
            method: "euler",
            method_note: "forward Euler, as LEMS (jNeuroML) integrates izhikevich2007Cell",
            init: &[("v", "v_init")],
            init_exprs: &[("u", "0*pA")],
            on_pre: ["I_syn_E_post += w_syn", "I_syn_I_post += w_syn"],
            variables: &[("v", "v", "mV"), ("u", "u", "pA")],
            every_step: None,
        },
        "adex_cond_exp" => {
            let no_exp = pop.param("delta_T").is_some_and(|q| q.si == 0.0);
            Brian2Model {
                equations: if no_exp {
                    ADEX_EQUATIONS_NO_EXP
                } else {
                    ADEX_EQUATIONS
                },
                params: ADEX_PARAMS,
                threshold: "v >= V_peak",
                reset: "v = V_reset; w += b",
                refractory: Refractory::Param("tau_refrac"),
                method: "rk4",
                method_note: "nonlinear: fixed-step RK4 (NEST: adaptive RKF45)",
                init: &[("v", "v_init")],
                init_exprs: &[],
                // Conductances are positive on both receptors.
                on_pre: ["g_E_post += w_syn", "g_I_post += w_syn"],
                variables: &[("v", "v", "mV"), ("w", "w", "pA")],
                every_step: None,
            }
        }
        "hh_curr_alpha" => Brian2Model {
            equations: "\
dv/dt = (-(I_Na + I_K + I_L) + I_syn_E + I_syn_I + I_offset + I_stim)/C_m : volt
I_Na = g_Na*m**3*h*(v - E_Na) : amp
I_K = g_K*n**4*(v - E_K) : amp
I_L = g_L*(v - E_L) : amp
dm/dt = alpha_m*(1 - m) - beta_m*m : 1
dh/dt = alpha_h*(1 - h) - beta_h*h : 1
dn/dt = alpha_n*(1 - n) - beta_n*n : 1
alpha_n = 0.1/exprel(-(v/mV + 55)/10)/ms : Hz
beta_n = 0.125*exp(-(v/mV + 65)/80)/ms : Hz
alpha_m = 1/exprel(-(v/mV + 40)/10)/ms : Hz
beta_m = 4*exp(-(v/mV + 65)/18)/ms : Hz
alpha_h = 0.07*exp(-(v/mV + 65)/20)/ms : Hz
beta_h = 1/(1 + exp(-(v/mV + 35)/10))/ms : Hz
dI_syn_E/dt = (x_E - I_syn_E)/tau_syn_E : amp
dx_E/dt = -x_E/tau_syn_E : amp
dI_syn_I/dt = (x_I - I_syn_I)/tau_syn_I : amp
dx_I/dt = -x_I/tau_syn_I : amp
v_before : volt
I_stim : amp",
            params: &[
                ("cm", "C_m"),
                ("g_Na", "g_Na"),
                ("g_K", "g_K"),
                ("g_L", "g_L"),
                ("e_rev_Na", "E_Na"),
                ("e_rev_K", "E_K"),
                ("e_rev_L", "E_L"),
                ("tau_syn_E", "tau_syn_E"),
                ("tau_syn_I", "tau_syn_I"),
                ("i_offset", "I_offset"),
            ],
            // NEST: a local maximum at or above 0 mV (V fell during the step).
            threshold: "v >= 0*mV and v_before > v",
            reset: "",
            refractory: Refractory::FixedMs(HH_T_REF_MS),
            method: "rk4",
            method_note: "nonlinear: fixed-step RK4 (NEST: adaptive RKF45)",
            init: &[("v", "v_init")],
            // Gates at their steady state for the initial potential.
            init_exprs: &[
                ("m", "alpha_m/(alpha_m + beta_m)"),
                ("h", "alpha_h/(alpha_h + beta_h)"),
                ("n", "alpha_n/(alpha_n + beta_n)"),
                ("v_before", "v"),
            ],
            on_pre: ALPHA_ON_PRE,
            variables: &[("v", "v", "mV")],
            every_step: Some(("v_before = v", "start")),
        },
        _ => return None,
    })
}

#[derive(Serialize)]
struct Context {
    version: &'static str,
    suite: String,
    dt: String,
    duration: String,
    seed: u64,
    /// The numpy seed of drawn networks and potentials, and the helpers that draw.
    draw_seed: Option<u64>,
    draw_helpers: &'static str,
    populations: Vec<Pop>,
    projections: Vec<Proj>,
    steps: Vec<Step>,
    drives: Vec<Drive>,
    recordings: Vec<Rec>,
}

/// A Poisson drive as a `PoissonInput` of `n` inputs at `rate_hz / n` each.
#[derive(Serialize)]
struct Drive {
    target: String,
    /// The variable each event adds to (`v` for delta synapses, a synaptic current).
    variable: &'static str,
    n: u64,
    rate_hz: String,
    /// A Brian2 expression in the target's namespace (the signed weight, masked while
    /// refractory).
    weight: String,
}

#[derive(Serialize)]
struct Pop {
    id: String,
    cell: &'static str,
    is_source: bool,
    size: usize,
    equations: String,
    /// (Brian2 name, Brian2 expression)
    namespace: Vec<(&'static str, String)>,
    threshold: &'static str,
    reset: &'static str,
    /// A Python expression (steps of `defaultclock.dt`), or empty for none.
    refractory: String,
    method: &'static str,
    method_note: &'static str,
    /// (variable, Python expression): numbers from the suite, or fixed expressions.
    init: Vec<(&'static str, String)>,
    every_step: Option<(&'static str, &'static str)>,
    /// `(mean, sd)` in mV when each cell's initial potential is drawn.
    v_init_normal: Option<(String, String)>,
}

#[derive(Serialize)]
struct Proj {
    index: usize,
    pre: String,
    post: String,
    weight: String,
    on_pre: &'static str,
    /// In steps, one less than the suite's (see the module documentation).
    delay_steps: u64,
    /// Set when the script draws the connections itself; weights are then per synapse, in
    /// `weight_unit` (a Brian2 unit name), and `weight_dimension` declares them.
    drawn: Option<super::drawn::DrawnProjection>,
    weight_unit: &'static str,
    weight_dimension: &'static str,
}

#[derive(Serialize)]
struct Step {
    target: String,
    cells: String,
    amplitude_pa: String,
    start_ms: String,
    stop_ms: String,
}

#[derive(Serialize)]
struct Rec {
    pop: String,
    cells: String,
    spikes: bool,
    /// (our variable, Brian2 variable, unit expression)
    vars: Vec<(&'static str, &'static str, &'static str)>,
}

/// `text` with every identifier named in `values` replaced by its value (an expression in
/// parentheses, from [`brian2_expr`]); other identifiers, numbers and operators are kept.
fn substitute(text: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            let starts_like_name = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            match values.iter().find(|(name, _)| *name == word.as_str()) {
                Some((_, value)) if starts_like_name => out.push_str(value),
                _ => out.push_str(word),
            }
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `q / dt` rounded to whole steps, as NEST rounds times to its grid.
fn steps_of(q: &Quantity, dt: &Quantity) -> Result<u64, CodegenError> {
    let steps = (q.si / dt.si).round();
    if (0.0..1e15).contains(&steps) {
        Ok(steps as u64)
    } else {
        Err(CodegenError::Units(format!(
            "{q} is not a whole number of {dt} steps"
        )))
    }
}

/// Writes the Brian2 script ([`SCRIPT`]) for `suite` into `dir`; it reads the spike and
/// connection files of the contract's `inputs/` at run time.
pub fn generate(
    suite: &NativeSuite,
    _inputs: &Inputs,
    dir: &Path,
) -> Result<Generated, CodegenError> {
    let dt = &suite.simulation.dt;
    let dt_ms = super::ms(dt);

    let mut populations = Vec::new();
    for pop in &suite.populations {
        if pop.kind.is_source {
            populations.push(Pop {
                id: pop.id.to_string(),
                cell: pop.kind.name,
                is_source: true,
                size: pop.size,
                equations: String::new(),
                namespace: vec![],
                threshold: "",
                reset: "",
                refractory: String::new(),
                method: "",
                method_note: "",
                init: vec![],
                every_step: None,
                v_init_normal: None,
            });
            continue;
        }
        let model = brian2_model(pop).ok_or_else(|| {
            CodegenError::Unsupported(format!(
                "no Brian2 equations for `{}` (population `{}`)",
                pop.kind.name, pop.id
            ))
        })?;
        let mut namespace = Vec::new();
        for (ours, theirs) in model.params {
            let q = pop.param(ours).ok_or_else(|| {
                CodegenError::Template(format!("`{}` has no parameter `{ours}`", pop.id))
            })?;
            namespace.push((*theirs, brian2_expr(q)));
        }
        let refractory = match model.refractory {
            Refractory::None => String::new(),
            Refractory::Param(name) => {
                let q = pop.param(name).ok_or_else(|| {
                    CodegenError::Template(format!("`{}` has no parameter `{name}`", pop.id))
                })?;
                format!("{}*defaultclock.dt", steps_of(q, dt)? + 1)
            }
            Refractory::FixedMs(t_ref) => {
                let steps = (t_ref / dt_ms).round() as u64;
                format!("{}*defaultclock.dt", steps + 1)
            }
        };
        let mut init = Vec::new();
        for (var, ours) in model.init {
            let q = pop.param(ours).ok_or_else(|| {
                CodegenError::Template(format!("`{}` has no parameter `{ours}`", pop.id))
            })?;
            init.push((*var, brian2_expr(q)));
        }
        for (var, expr) in model.init_exprs {
            // A string: Brian2 evaluates it with the group's own variables.
            init.push((*var, format!("\"{expr}\"")));
        }
        // Brian2's `exact` solver works symbolically; with the parameters as symbols it takes
        // seconds for the alpha LIF and divides by `tau_m - tau_syn` (NaN when they are
        // equal), so linear models get their numbers written into the equations instead.
        // (Thresholds and resets still read the namespace.)
        let equations = if model.method == "exact" {
            substitute(model.equations, &namespace)
        } else {
            model.equations.to_string()
        };
        populations.push(Pop {
            id: pop.id.to_string(),
            cell: pop.kind.name,
            is_source: false,
            size: pop.size,
            equations,
            namespace,
            threshold: model.threshold,
            reset: model.reset,
            refractory,
            method: model.method,
            method_note: model.method_note,
            init,
            every_step: model.every_step,
            v_init_normal: super::drawn::initial_potential(pop)?,
        });
    }

    let mut projections = Vec::new();
    for (index, proj) in suite.projections.iter().enumerate() {
        let target = &suite.populations[proj.to];
        let model = brian2_model(target).ok_or_else(|| {
            CodegenError::Unsupported(format!(
                "projection {index} targets `{}`, which takes no input",
                target.id
            ))
        })?;
        let conductance = target.kind.synapse == crate::suite::native::SynapseKind::ConductanceExp;
        // Current and voltage weights are signed by the receptor, as in NEST; conductances
        // stay positive and go to the inhibitory conductance instead.
        let weight = match proj.receptor {
            Receptor::Inhibitory if !conductance => Quantity {
                si: -proj.weight.si,
                dim: proj.weight.dim,
            },
            _ => proj.weight,
        };
        let on_pre = match proj.receptor {
            Receptor::Excitatory => model.on_pre[0],
            Receptor::Inhibitory => model.on_pre[1],
        };
        let delay_steps = steps_of(&proj.delay, dt)?.max(1) - 1;
        let (weight_unit, weight_dimension) = match target.kind.synapse {
            crate::suite::native::SynapseKind::ConductanceExp => ("nS", "siemens"),
            crate::suite::native::SynapseKind::Delta => ("mV", "volt"),
            _ => ("pA", "amp"),
        };
        let drawn = match suite.simulation.connectivity {
            Connectivity::Crosscheck => None,
            Connectivity::Simulator => {
                let signed = weight
                    .value_in(weight_unit)
                    .map_err(|e| CodegenError::Units(e.to_string()))?;
                Some(super::drawn::DrawnProjection::new(
                    suite,
                    proj,
                    signed,
                    weight_unit,
                )?)
            }
        };
        projections.push(Proj {
            index,
            pre: suite.populations[proj.from].id.to_string(),
            post: target.id.to_string(),
            weight: brian2_expr(&weight),
            on_pre,
            delay_steps,
            drawn,
            weight_unit,
            weight_dimension,
        });
    }

    let mut steps = Vec::new();
    for stimulus in &suite.stimuli {
        match stimulus {
            // Drawn by PoissonInput (see `poisson_drives` below).
            Stimulus::Poisson { .. } => {}
            Stimulus::Step {
                target,
                cells: selection,
                amplitude,
                start,
                stop,
                ..
            } => {
                let pop = &suite.populations[*target];
                steps.push(Step {
                    target: pop.id.to_string(),
                    cells: list_literal(&cells(selection, pop.size)),
                    amplitude_pa: number_in(amplitude, "pA")?,
                    start_ms: number_in(start, "ms")?,
                    stop_ms: number_in(stop, "ms")?,
                });
            }
        }
    }

    let mut recordings = Vec::new();
    for rec in &suite.recordings {
        let pop = &suite.populations[rec.population];
        let (spikes, vars) = super::split_recording(
            rec,
            |name| {
                brian2_model(pop).and_then(|model| {
                    model
                        .variables
                        .iter()
                        .find(|(ours, _, _)| *ours == name)
                        .copied()
                })
            },
            |name| format!("cannot record `{name}` of `{}` on Brian2", pop.id),
        )?;
        recordings.push(Rec {
            pop: pop.id.to_string(),
            cells: list_literal(&cells(&rec.cells, pop.size)),
            spikes,
            vars,
        });
    }

    let mut drives = Vec::new();
    for drive in super::poisson_drives(suite, "crosscheck's Brian2 generation")? {
        let n = (drive.rate.si * dt.si / DRIVE_MAX_P).ceil().clamp(1.0, 1e9) as u64;
        let pop = &suite.populations[drive.target];
        // A delta synapse's input is dropped while refractory (NEST's iaf_psc_delta); a
        // current synapse keeps integrating (iaf_psc_exp clamps only the potential).
        let (variable, weight) = match (pop.kind.name, drive.weight.si < 0.0) {
            ("lif_delta", _) => (
                "v",
                format!("{}*int(not_refractory)", brian2_expr(&drive.weight)),
            ),
            (_, false) => ("I_syn_E", brian2_expr(&drive.weight)),
            (_, true) => ("I_syn_I", brian2_expr(&drive.weight)),
        };
        drives.push(Drive {
            target: pop.id.to_string(),
            variable,
            n,
            rate_hz: code_number(drive.rate.si / n as f64),
            weight,
        });
    }

    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        suite: suite.name.to_string(),
        dt: code_number(dt_ms),
        duration: number_in(&suite.simulation.duration, "ms")?,
        // numpy's seed is 32 bits (only a Poisson drive draws numbers in the script).
        seed: suite.simulation.seed & 0xFFFF_FFFF,
        draw_seed: super::drawn::seed(suite),
        draw_helpers: super::drawn::PYTHON_HELPERS,
        populations,
        projections,
        steps,
        drives,
        recordings,
    };
    let code = render("brian2.py", TEMPLATE, &context)?;
    super::write_generated(dir, SCRIPT, &code, super::GeneratedKind::Python)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::{apply_sweep, generate as generate_for};
    use crate::suite::native::{load_suite, Simulator};

    use crate::codegen::testing::{assert_parses_as_python, example, from_yaml, EXAMPLES};

    /// Generates `suite` into a temporary folder and returns the script's text.
    fn brian2_code(suite: &NativeSuite) -> String {
        let dir = tempfile::tempdir().unwrap();
        let generated = generate_for(suite, Simulator::Brian2, dir.path()).unwrap();
        assert_eq!(generated.script, SCRIPT);
        let path = dir.path().join(&generated.script);
        assert_parses_as_python(&path);
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn generates_brian2_code_for_the_examples() {
        for name in EXAMPLES {
            let suite = example(name);
            let points = suite.sweep.as_ref().map_or(1, |s| s.values.len());
            for point in 0..points {
                let code = brian2_code(&apply_sweep(&suite, point));
                assert!(code.contains("prefs.codegen.target = \"numpy\""), "{code}");
                assert!(code.contains("net.run("), "{code}");
            }
        }
    }

    const EVERY_CELL_TYPE: &str = r#"
suite: every_cell
description: "every type, with \"quotes\" and __import__('os').system('true')"
simulation: {duration: 50 ms, dt: 0.1 ms, seed: 3}
populations:
  src: {cell: spike_source, size: 2, spike_times: [[1 ms, 1.01 ms, 5 ms], [0 ms]]}
  noise: {cell: poisson_source, size: 3, parameters: {rate: 200 Hz}}
  le: {cell: lif_curr_exp, size: 2}
  la: {cell: lif_curr_alpha, size: 2, parameters: {tau_syn_E: 10 ms}}
  iz: {cell: izhikevich, size: 2}
  iz7: {cell: izhikevich2007, size: 2}
  ad: {cell: adex_cond_exp, size: 2, parameters: {tau_refrac: 2 ms}}
  ad0: {cell: adex_cond_exp, size: 1, parameters: {delta_T: 0 mV}}
  hh: {cell: hh_curr_alpha, size: 2, parameters: {v_init: -60 mV}}
  de: {cell: lif_delta, size: 3}
projections:
  - {from: src, to: le, connector: all_to_all, receptor: excitatory, weight: 100 pA, delay: 1 ms}
  - {from: noise, to: la, connector: {fixed_probability: 0.5, seed: 2}, receptor: inhibitory, weight: 50 pA, delay: 0.1 ms}
  - {from: src, to: iz, connector: one_to_one, receptor: excitatory, weight: 5 mV, delay: 2 ms}
  - {from: iz, to: iz7, connector: all_to_all, receptor: inhibitory, weight: 20 pA, delay: 1 ms}
  - {from: noise, to: ad, connector: all_to_all, receptor: inhibitory, weight: 2 nS, delay: 1 ms}
  - {from: src, to: ad0, connector: all_to_all, receptor: excitatory, weight: 2 nS, delay: 1 ms}
  - {from: le, to: hh, connector: all_to_all, receptor: excitatory, weight: 200 pA, delay: 1 ms}
  - {from: de, to: de, connector: {fixed_indegree: 2}, receptor: inhibitory, weight: 0.5 mV, delay: 1.5 ms}
stimuli:
  - poisson: {target: de, rate: 20 kHz, weight: 0.1 mV, receptor: excitatory}
  - step: {target: hh, cells: [1], amplitude: 0.5 nA, start: 0 ms, stop: 20 ms}
  - step: {target: ad, amplitude: 600 pA, start: 10 ms, stop: 40 ms}
record:
  - {population: src, variables: [spikes]}
  - {population: le, variables: [spikes, v]}
  - {population: la, variables: [v], cells: [1]}
  - {population: iz, variables: [spikes, v, u]}
  - {population: iz7, variables: [spikes, v, u]}
  - {population: ad, variables: [spikes, v, w]}
  - {population: ad0, variables: [spikes]}
  - {population: hh, variables: [spikes, v]}
  - {population: de, variables: [spikes, v]}
checks:
  agreement:
    spikes: {window: 1 ms}
"#;

    #[test]
    fn every_cell_type_generates_and_no_suite_text_leaks() {
        let suite = from_yaml(EVERY_CELL_TYPE);
        let code = brian2_code(&suite);
        for needle in ["__import__", "os').system", "quotes", "every type"] {
            assert!(
                !code.contains(needle),
                "`{needle}` reached the code:\n{code}"
            );
        }
        for cell in [
            "lif_curr_exp",
            "lif_curr_alpha",
            "izhikevich;",
            "izhikevich2007",
            "adex_cond_exp",
            "hh_curr_alpha",
            "lif_delta",
        ] {
            assert!(
                code.contains(&format!("# {cell}")),
                "{cell} missing:\n{code}"
            );
        }
        // 20 kHz at 0.1 ms is 2 events a step: 2000 binomial inputs at 10 Hz each, masked
        // while refractory; delta synapses are masked likewise and signed by the receptor.
        assert!(
            code.contains("PoissonInput(pop_de, \"v\", 2000, 10.0*Hz, weight=\"(0.1*mV)*int(not_refractory)\")"),
            "{code}"
        );
        assert!(
            code.contains("v_post += w_syn*int(not_refractory_post)"),
            "{code}"
        );
        // Delta_T = 0 drops the exponential term, as NEST does.
        assert_eq!(code.matches("g_L*Delta_T*exp").count(), 1, "{code}");
    }

    #[test]
    fn delays_and_refractory_periods_follow_nest_step_counting() {
        let suite = from_yaml(EVERY_CELL_TYPE);
        let code = brian2_code(&suite);
        // 1 ms at dt = 0.1 ms is 10 steps, delivered from the next step: 9.
        assert!(code.contains("delay=9*defaultclock.dt"), "{code}");
        assert!(code.contains("delay=0*defaultclock.dt"), "{code}");
        // t_ref 2 ms: NEST clamps 20 steps after the spike step.
        assert!(code.contains("refractory=21*defaultclock.dt"), "{code}");
    }

    /// Writes NEST and Brian2 code of every example (every sweep point) under
    /// `/tmp/crosscheck-brian2-vs-nest/<suite>/<point>/{nest,brian2}` for comparing by hand
    /// (`cargo test -- --ignored write_examples`).
    #[test]
    #[ignore]
    fn write_examples_for_comparison_with_nest() {
        let root = Path::new("/tmp/crosscheck-brian2-vs-nest");
        // Extra suites to compare may be dropped into `<root>/extra/`.
        let extra: Vec<_> = std::fs::read_dir(root.join("extra"))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        let suites = EXAMPLES.iter().map(|name| example(name)).chain(
            extra
                .iter()
                .map(|p| load_suite(p).unwrap_or_else(|e| panic!("{e:?}"))),
        );
        for suite in suites {
            let points = suite.sweep.as_ref().map_or(1, |s| s.values.len());
            for point in 0..points {
                let run = apply_sweep(&suite, point);
                for (sim, folder) in [(Simulator::Nest, "nest"), (Simulator::Brian2, "brian2")] {
                    let dir = root
                        .join(suite.name.as_str())
                        .join(point.to_string())
                        .join(folder);
                    std::fs::create_dir_all(&dir).unwrap();
                    match generate_for(&run, sim, &dir) {
                        // NEST cannot take projections onto izhikevich2007: Brian2 alone then.
                        Err(CodegenError::Unsupported(_)) if sim == Simulator::Nest => {}
                        other => {
                            other.unwrap();
                        }
                    }
                }
            }
        }
        // Every cell type, to run on Brian2 alone (NEST lacks izhikevich2007's synapses).
        let dir = root.join("every_cell").join("brian2");
        std::fs::create_dir_all(&dir).unwrap();
        generate_for(&from_yaml(EVERY_CELL_TYPE), Simulator::Brian2, &dir).unwrap();
    }
}
