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

use super::network::{
    Connections, CurrentStep, NameMap, NetPopulation, NetProjection, NetRecording, Network,
    NormalDraw, Setting,
};
use super::{list_literal, number_in, render, CodegenError, Generated};
use crate::suite::native::{Receptor, SynapseKind};
use crate::suite::units::{brian2_expr, code_number, Quantity};

const TEMPLATE: &str = include_str!("templates/brian2.py.tera");
/// The generated Brian2 script's file name, in the output folder.
pub const SCRIPT: &str = "run_brian2.py";

/// Spike detection of NEST's `hh_psc_alpha` pauses for its `t_ref` (default 2 ms, not a
/// parameter of our `hh_curr_alpha`).
const HH_T_REF_MS: f64 = 2.0;

/// One of our cell types as Brian2 equations. Names in the equations are Brian2-side names;
/// the suite's values reach them through the group's `namespace` (never as text).
#[derive(Clone, Copy)]
struct Brian2Model {
    equations: &'static str,
    /// Our parameters and their names in the equations; every one ends up in the namespace.
    params: &'static [NameMap],
    threshold: &'static str,
    reset: &'static str,
    refractory: Refractory,
    method: &'static str,
    /// Why this method (a comment in the generated code).
    method_note: &'static str,
    /// State variables whose initial value is one of our parameters.
    init: &'static [InitFrom],
    /// Further initial values, as Brian2 expressions of the group's own variables (fixed text).
    init_exprs: &'static [InitExpr],
    /// `on_pre` for excitatory and inhibitory projections.
    on_pre: OnPre,
    /// Our recordable variables as Brian2 variables.
    variables: &'static [Brian2Variable],
    /// Code run every step, and its slot in the schedule.
    every_step: Option<EveryStep>,
}

/// A state variable starting at the value of one of our parameters.
#[derive(Clone, Copy)]
struct InitFrom {
    /// The Brian2 state variable.
    variable: &'static str,
    /// Our parameter giving its initial value.
    param: &'static str,
}

/// A state variable starting at a Brian2 expression of the group's own variables.
#[derive(Clone, Copy)]
struct InitExpr {
    /// The Brian2 state variable.
    variable: &'static str,
    /// The expression (fixed text).
    expr: &'static str,
}

/// What a synaptic event does, per receptor; `w_syn` is the (signed) weight (not `w`: Brian2
/// lets synapses read a target's variables unprefixed, and AdEx has a `w`).
#[derive(Clone, Copy)]
struct OnPre {
    excitatory: &'static str,
    inhibitory: &'static str,
}

/// One of our recordable variables as Brian2 records it.
#[derive(Clone, Copy, Serialize)]
struct Brian2Variable {
    /// Our name.
    ours: &'static str,
    /// The Brian2 variable.
    theirs: &'static str,
    /// The contract's unit, as a Brian2 expression.
    unit: &'static str,
}

/// Code run every step (`run_regularly`).
#[derive(Clone, Copy, Serialize)]
struct EveryStep {
    /// The code (fixed text).
    code: &'static str,
    /// Its slot in the schedule (`start`: before integration, `after_groups`: after it).
    when: &'static str,
}

/// The refractory clamp of the linear LIF models. Brian2's `exact` solver would turn
/// `(unless refractory)` into a symbolic factor and divide by zero when `tau_m == tau_syn`,
/// so the LIF equations stay unconditional and `v` is put back to `V_reset` after every step
/// of the refractory period, which is NEST's clamp.
const LIF_CLAMP: Option<EveryStep> = Some(EveryStep {
    code: "v = v*int(not_refractory) + V_reset*(1 - int(not_refractory))",
    when: "after_groups",
});

#[derive(Clone, Copy)]
enum Refractory {
    None,
    /// NEST's `t_ref` is this parameter of ours.
    Param(&'static str),
    /// A fixed NEST `t_ref`, in ms.
    FixedMs(f64),
}

const LIF_PARAMS: &[NameMap] = &[
    NameMap::new("cm", "C_m"),
    NameMap::new("tau_m", "tau_m"),
    NameMap::new("v_rest", "E_L"),
    NameMap::new("v_reset", "V_reset"),
    NameMap::new("v_thresh", "V_th"),
    NameMap::new("tau_syn_E", "tau_syn_E"),
    NameMap::new("tau_syn_I", "tau_syn_I"),
    NameMap::new("i_offset", "I_offset"),
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

const ADEX_PARAMS: &[NameMap] = &[
    NameMap::new("cm", "C_m"),
    NameMap::new("g_L", "g_L"),
    NameMap::new("v_rest", "E_L"),
    NameMap::new("v_reset", "V_reset"),
    NameMap::new("v_thresh", "V_T"),
    NameMap::new("delta_T", "Delta_T"),
    NameMap::new("v_spike", "V_peak"),
    NameMap::new("tau_w", "tau_w"),
    NameMap::new("a", "a"),
    NameMap::new("b", "b"),
    NameMap::new("e_rev_E", "E_E"),
    NameMap::new("e_rev_I", "E_I"),
    NameMap::new("tau_syn_E", "tau_syn_E"),
    NameMap::new("tau_syn_I", "tau_syn_I"),
    NameMap::new("i_offset", "I_offset"),
];

/// `e`, which makes an alpha current of weight `w` peak at `w` (at `t = tau_syn`), as in NEST.
const ALPHA_ON_PRE: OnPre = OnPre {
    excitatory: "x_E_post += 2.718281828459045*w_syn",
    inhibitory: "x_I_post += 2.718281828459045*w_syn",
};

/// A delta synapse onto a LIF cell: ignored while the target is refractory (NEST's
/// iaf_psc_delta without `refractory_input`).
const DELTA_ON_PRE: &str = "v_post += w_syn*int(not_refractory_post)";

/// Binomial draws per step that stand for a Poisson drive: Brian2's `PoissonInput` draws
/// `Binomial(N, rate·dt/N)` per cell and step, which is Poisson within 1/N of its variance
/// once `rate·dt/N` is small; `N` is chosen so that it is at most this.
const DRIVE_MAX_P: f64 = 1e-3;

/// `v` starts at `v_init`.
const INIT_V: &[InitFrom] = &[InitFrom {
    variable: "v",
    param: "v_init",
}];

/// `v`, recorded in mV.
const V_MV: &[Brian2Variable] = &[Brian2Variable {
    ours: "v",
    theirs: "v",
    unit: "mV",
}];

const LIF_CURR_EXP: Brian2Model = Brian2Model {
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
    init: INIT_V,
    init_exprs: &[],
    on_pre: OnPre {
        excitatory: "I_syn_E_post += w_syn",
        inhibitory: "I_syn_I_post += w_syn",
    },
    variables: V_MV,
    every_step: LIF_CLAMP,
};

const LIF_CURR_ALPHA: Brian2Model = Brian2Model {
    equations: "\
dv/dt = (E_L - v)/tau_m + (I_syn_E + I_syn_I + I_offset + I_stim)/C_m : volt
dI_syn_E/dt = (x_E - I_syn_E)/tau_syn_E : amp
dx_E/dt = -x_E/tau_syn_E : amp
dI_syn_I/dt = (x_I - I_syn_I)/tau_syn_I : amp
dx_I/dt = -x_I/tau_syn_I : amp
I_stim : amp",
    method_note: "linear: integrated exactly, as NEST's iaf_psc_alpha does",
    on_pre: ALPHA_ON_PRE,
    ..LIF_CURR_EXP
};

const LIF_DELTA: Brian2Model = Brian2Model {
    equations: "\
dv/dt = (E_L - v)/tau_m + (I_offset + I_stim)/C_m : volt
I_stim : amp",
    params: &[
        NameMap::new("cm", "C_m"),
        NameMap::new("tau_m", "tau_m"),
        NameMap::new("v_rest", "E_L"),
        NameMap::new("v_reset", "V_reset"),
        NameMap::new("v_thresh", "V_th"),
        NameMap::new("i_offset", "I_offset"),
    ],
    method_note: "linear: integrated exactly, as NEST's iaf_psc_delta does",
    // NEST drops the spikes that arrive while the cell is refractory.
    on_pre: OnPre {
        excitatory: DELTA_ON_PRE,
        inhibitory: DELTA_ON_PRE,
    },
    ..LIF_CURR_EXP
};

const IZHIKEVICH: Brian2Model = Brian2Model {
    // 1 pA through 1 pF is 1 mV/ms: currents enter dv/dt divided by 1 pF.
    equations: "\
dv/dt = (0.04*v**2/mV + 5*v + 140*mV)/ms - u + (I_offset + I_stim)/pF : volt
du/dt = a*(b*v - u) : volt/second
I_stim : amp",
    params: &[
        NameMap::new("a", "a"),
        NameMap::new("b", "b"),
        NameMap::new("c", "c"),
        NameMap::new("d", "d"),
        NameMap::new("v_thresh", "V_th"),
        NameMap::new("i_offset", "I_offset"),
    ],
    threshold: "v >= V_th",
    reset: "v = c; u += d",
    refractory: Refractory::None,
    method: "euler",
    method_note: "forward Euler on v and u, NEST's own scheme for izhikevich",
    init: &[
        InitFrom {
            variable: "v",
            param: "v_init",
        },
        InitFrom {
            variable: "u",
            param: "u_init",
        },
    ],
    init_exprs: &[],
    on_pre: OnPre {
        excitatory: "v_post += w_syn",
        inhibitory: "v_post += w_syn",
    },
    variables: &[
        Brian2Variable {
            ours: "v",
            theirs: "v",
            unit: "mV",
        },
        Brian2Variable {
            ours: "u",
            theirs: "u",
            unit: "(mV/ms)",
        },
    ],
    every_step: None,
};

const IZHIKEVICH2007: Brian2Model = Brian2Model {
    equations: "\
dv/dt = (k*(v - v_r)*(v - v_t) - u + I_syn_E + I_syn_I + I_offset + I_stim)/C_m : volt
du/dt = a*(b*(v - v_r) - u) : amp
dI_syn_E/dt = -I_syn_E/tau_syn_E : amp
dI_syn_I/dt = -I_syn_I/tau_syn_I : amp
I_stim : amp",
    params: &[
        NameMap::new("cm", "C_m"),
        NameMap::new("k", "k"),
        NameMap::new("v_r", "v_r"),
        NameMap::new("v_t", "v_t"),
        NameMap::new("v_peak", "v_peak"),
        NameMap::new("a", "a"),
        NameMap::new("b", "b"),
        NameMap::new("c", "c"),
        NameMap::new("d", "d"),
        NameMap::new("tau_syn_E", "tau_syn_E"),
        NameMap::new("tau_syn_I", "tau_syn_I"),
        NameMap::new("i_offset", "I_offset"),
    ],
    // NeuroML: `v .gt. vpeak`; u starts at 0 as in NeuroML's izhikevich2007Cell.
    threshold: "v > v_peak",
    reset: "v = c; u += d",
    refractory: Refractory::None,
    method: "euler",
    method_note: "forward Euler, as LEMS (jNeuroML) integrates izhikevich2007Cell",
    init: INIT_V,
    init_exprs: &[InitExpr {
        variable: "u",
        expr: "0*pA",
    }],
    on_pre: OnPre {
        excitatory: "I_syn_E_post += w_syn",
        inhibitory: "I_syn_I_post += w_syn",
    },
    variables: &[
        Brian2Variable {
            ours: "v",
            theirs: "v",
            unit: "mV",
        },
        Brian2Variable {
            ours: "u",
            theirs: "u",
            unit: "pA",
        },
    ],
    every_step: None,
};

const ADEX_COND_EXP: Brian2Model = Brian2Model {
    equations: ADEX_EQUATIONS,
    params: ADEX_PARAMS,
    threshold: "v >= V_peak",
    reset: "v = V_reset; w += b",
    refractory: Refractory::Param("tau_refrac"),
    method: "rk4",
    method_note: "nonlinear: fixed-step RK4 (NEST: adaptive RKF45)",
    init: INIT_V,
    init_exprs: &[],
    // Conductances are positive on both receptors.
    on_pre: OnPre {
        excitatory: "g_E_post += w_syn",
        inhibitory: "g_I_post += w_syn",
    },
    variables: &[
        Brian2Variable {
            ours: "v",
            theirs: "v",
            unit: "mV",
        },
        Brian2Variable {
            ours: "w",
            theirs: "w",
            unit: "pA",
        },
    ],
    every_step: None,
};

const HH_CURR_ALPHA: Brian2Model = Brian2Model {
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
        NameMap::new("cm", "C_m"),
        NameMap::new("g_Na", "g_Na"),
        NameMap::new("g_K", "g_K"),
        NameMap::new("g_L", "g_L"),
        NameMap::new("e_rev_Na", "E_Na"),
        NameMap::new("e_rev_K", "E_K"),
        NameMap::new("e_rev_L", "E_L"),
        NameMap::new("tau_syn_E", "tau_syn_E"),
        NameMap::new("tau_syn_I", "tau_syn_I"),
        NameMap::new("i_offset", "I_offset"),
    ],
    // NEST: a local maximum at or above 0 mV (V fell during the step).
    threshold: "v >= 0*mV and v_before > v",
    reset: "",
    refractory: Refractory::FixedMs(HH_T_REF_MS),
    method: "rk4",
    method_note: "nonlinear: fixed-step RK4 (NEST: adaptive RKF45)",
    init: INIT_V,
    // Gates at their steady state for the initial potential.
    init_exprs: &[
        InitExpr {
            variable: "m",
            expr: "alpha_m/(alpha_m + beta_m)",
        },
        InitExpr {
            variable: "h",
            expr: "alpha_h/(alpha_h + beta_h)",
        },
        InitExpr {
            variable: "n",
            expr: "alpha_n/(alpha_n + beta_n)",
        },
        InitExpr {
            variable: "v_before",
            expr: "v",
        },
    ],
    on_pre: ALPHA_ON_PRE,
    variables: V_MV,
    every_step: Some(EveryStep {
        code: "v_before = v",
        when: "start",
    }),
};

/// The Brian2 model of a population's cell type (`None` for sources).
fn brian2_model(pop: &NetPopulation) -> Option<Brian2Model> {
    Some(match pop.kind.name {
        "lif_curr_exp" => LIF_CURR_EXP,
        "lif_curr_alpha" => LIF_CURR_ALPHA,
        "lif_delta" => LIF_DELTA,
        "izhikevich" => IZHIKEVICH,
        "izhikevich2007" => IZHIKEVICH2007,
        "adex_cond_exp" => {
            let no_exp = pop.param("delta_T").is_some_and(|q| q.si == 0.0);
            Brian2Model {
                equations: if no_exp {
                    ADEX_EQUATIONS_NO_EXP
                } else {
                    ADEX_EQUATIONS
                },
                ..ADEX_COND_EXP
            }
        }
        "hh_curr_alpha" => HH_CURR_ALPHA,
        _ => return None,
    })
}

#[derive(Serialize)]
struct Context {
    version: &'static str,
    suite: String,
    /// The printf format of trace values ([`super::network::Network::trace_format`]).
    trace_format: &'static str,
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

#[derive(Serialize, Default)]
struct Pop {
    id: String,
    cell: &'static str,
    is_source: bool,
    size: usize,
    equations: String,
    /// Brian2 names and Brian2 expressions.
    namespace: Vec<Setting>,
    threshold: &'static str,
    reset: &'static str,
    /// A Python expression (steps of `defaultclock.dt`), or empty for none.
    refractory: String,
    method: &'static str,
    method_note: &'static str,
    /// Variables and Python expressions: numbers from the suite, or fixed expressions.
    init: Vec<Setting>,
    every_step: Option<EveryStep>,
    /// Mean and sd in mV when each cell's initial potential is drawn.
    v_init_normal: Option<NormalDraw>,
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
    vars: Vec<Brian2Variable>,
}

/// `text` with every identifier named in `values` replaced by its value (an expression in
/// parentheses, from [`brian2_expr`]); other identifiers, numbers and operators are kept.
fn substitute(text: &str, values: &[Setting]) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            let starts_like_name = word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
            match values.iter().find(|s| s.name == word.as_str()) {
                Some(s) if starts_like_name => out.push_str(&s.value),
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

/// Writes the Brian2 script ([`SCRIPT`]) for the network into `dir`; it reads the spike and
/// connection files of the contract's `inputs/` at run time.
pub fn generate(net: &Network, dir: &Path) -> Result<Generated, CodegenError> {
    net.refuse_cables(
        "crosscheck's Brian2 code writes point-neuron equations only (no SpatialNeuron)",
    )?;
    let populations = net
        .populations
        .iter()
        .map(|pop| population(net, pop))
        .collect::<Result<_, _>>()?;
    let projections = net
        .projections
        .iter()
        .map(|proj| projection(net, proj))
        .collect::<Result<_, _>>()?;
    let steps = net
        .steps()
        .map(|s| step(net, s))
        .collect::<Result<_, _>>()?;
    let recordings = net
        .recordings
        .iter()
        .map(|rec| recording(net, rec))
        .collect::<Result<_, _>>()?;
    let drives = poisson_drives(net)?;
    let context = Context {
        version: env!("CARGO_PKG_VERSION"),
        suite: net.suite.name.to_string(),
        trace_format: net.trace_format(),
        dt: code_number(net.dt_ms()),
        duration: number_in(net.duration(), "ms")?,
        // numpy's seed is 32 bits (only a Poisson drive draws numbers in the script).
        seed: net.suite.simulation.seed & 0xFFFF_FFFF,
        draw_seed: super::drawn::seed(net.suite),
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

/// A population as a `NeuronGroup` of its cell type's equations (a `SpikeGeneratorGroup`
/// for sources), the suite's values in its namespace.
fn population(net: &Network, pop: &NetPopulation) -> Result<Pop, CodegenError> {
    if pop.is_source() {
        return Ok(Pop {
            id: pop.id.to_string(),
            cell: pop.kind.name,
            is_source: true,
            size: pop.size,
            ..Pop::default()
        });
    }
    let model = brian2_model(pop).ok_or_else(|| {
        CodegenError::Unsupported(format!(
            "no Brian2 equations for `{}` (population `{}`)",
            pop.kind.name, pop.id
        ))
    })?;
    let mut namespace = Vec::new();
    for map in model.params {
        namespace.push(Setting::new(
            map.theirs,
            brian2_expr(required(pop, map.ours)?),
        ));
    }
    let refractory = refractory(net, pop, model.refractory)?;
    let init = initial_values(pop, &model)?;
    // Brian2's `exact` solver works symbolically; with the parameters as symbols it takes
    // seconds for the alpha LIF and divides by `tau_m - tau_syn` (NaN when they are
    // equal), so linear models get their numbers written into the equations instead.
    // (Thresholds and resets still read the namespace.)
    let equations = if model.method == "exact" {
        substitute(model.equations, &namespace)
    } else {
        model.equations.to_string()
    };
    Ok(Pop {
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
        v_init_normal: super::drawn::initial_potential(pop.def)?,
    })
}

/// Parameter `name` of `pop` (an error, a bug in crosscheck, when the type lacks it).
fn required<'a>(pop: &'a NetPopulation, name: &str) -> Result<&'a Quantity, CodegenError> {
    pop.param(name)
        .ok_or_else(|| CodegenError::Template(format!("`{}` has no parameter `{name}`", pop.id)))
}

/// The group's `refractory`: NEST's `R` steps after the spike step, counted from the spike
/// step's start (see the module documentation), or empty for none.
fn refractory(
    net: &Network,
    pop: &NetPopulation,
    refractory: Refractory,
) -> Result<String, CodegenError> {
    Ok(match refractory {
        Refractory::None => String::new(),
        Refractory::Param(name) => {
            format!(
                "{}*defaultclock.dt",
                steps_of(required(pop, name)?, net.dt())? + 1
            )
        }
        Refractory::FixedMs(t_ref) => {
            let steps = (t_ref / net.dt_ms()).round() as u64;
            format!("{}*defaultclock.dt", steps + 1)
        }
    })
}

/// The initial values of the group's state variables: the suite's, then fixed expressions.
fn initial_values(pop: &NetPopulation, model: &Brian2Model) -> Result<Vec<Setting>, CodegenError> {
    let mut init = Vec::new();
    for from in model.init {
        init.push(Setting::new(
            from.variable,
            brian2_expr(required(pop, from.param)?),
        ));
    }
    for e in model.init_exprs {
        // A string: Brian2 evaluates it with the group's own variables.
        init.push(Setting::new(e.variable, format!("\"{}\"", e.expr)));
    }
    Ok(init)
}

/// A projection as `Synapses` acting on the target's receptor, the weight in its unit.
fn projection(net: &Network, proj: &NetProjection) -> Result<Proj, CodegenError> {
    let target = &net.populations[proj.target];
    let model = brian2_model(target).ok_or_else(|| {
        CodegenError::Unsupported(format!(
            "projection {} targets `{}`, which takes no input",
            proj.index, target.id
        ))
    })?;
    let conductance = target.kind.synapse == SynapseKind::ConductanceExp;
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
        Receptor::Excitatory => model.on_pre.excitatory,
        Receptor::Inhibitory => model.on_pre.inhibitory,
    };
    let delay_steps = steps_of(&proj.delay, net.dt())?.max(1) - 1;
    let (weight_unit, weight_dimension) = match target.kind.synapse {
        SynapseKind::ConductanceExp => ("nS", "siemens"),
        SynapseKind::Delta => ("mV", "volt"),
        _ => ("pA", "amp"),
    };
    let drawn = match proj.connections {
        Connections::Listed(_) => None,
        Connections::Drawn(_) => {
            let signed = weight
                .value_in(weight_unit)
                .map_err(|e| CodegenError::Units(e.to_string()))?;
            Some(super::drawn::DrawnProjection::new(
                net,
                proj,
                signed,
                weight_unit,
            )?)
        }
    };
    Ok(Proj {
        index: proj.index,
        pre: net.populations[proj.source].id.to_string(),
        post: target.id.to_string(),
        weight: brian2_expr(&weight),
        on_pre,
        delay_steps,
        drawn,
        weight_unit,
        weight_dimension,
    })
}

/// A current step, set on the group's `I_stim` between run segments.
fn step(net: &Network, s: &CurrentStep) -> Result<Step, CodegenError> {
    Ok(Step {
        target: net.populations[s.target].id.to_string(),
        cells: list_literal(&s.cells),
        amplitude_pa: number_in(&s.amplitude, "pA")?,
        start_ms: number_in(&s.start, "ms")?,
        stop_ms: number_in(&s.stop, "ms")?,
    })
}

/// A recording: a `SpikeMonitor` and a `StateMonitor` per state variable.
fn recording(net: &Network, rec: &NetRecording) -> Result<Rec, CodegenError> {
    let pop = &net.populations[rec.population];
    let (spikes, vars) = rec.split(
        |name| {
            brian2_model(pop)
                .and_then(|model| model.variables.iter().find(|v| v.ours == name).copied())
        },
        |name| format!("cannot record `{name}` of `{}` on Brian2", pop.id),
    )?;
    Ok(Rec {
        pop: pop.id.to_string(),
        cells: list_literal(&rec.cells),
        spikes,
        vars,
    })
}

/// The Poisson drives as `PoissonInput`s of binomial draws each step (see [`DRIVE_MAX_P`]).
fn poisson_drives(net: &Network) -> Result<Vec<Drive>, CodegenError> {
    let mut drives = Vec::new();
    for drive in net.driven_cells("crosscheck's Brian2 generation")? {
        let n = (drive.rate.si * net.dt().si / DRIVE_MAX_P)
            .ceil()
            .clamp(1.0, 1e9) as u64;
        let pop = &net.populations[drive.target];
        let weight = drive.signed_weight();
        // A delta synapse's input is dropped while refractory (NEST's iaf_psc_delta); a
        // current synapse keeps integrating (iaf_psc_exp clamps only the potential).
        let (variable, weight) = match (pop.kind.name, weight.si < 0.0) {
            ("lif_delta", _) => ("v", format!("{}*int(not_refractory)", brian2_expr(&weight))),
            (_, false) => ("I_syn_E", brian2_expr(&weight)),
            (_, true) => ("I_syn_I", brian2_expr(&weight)),
        };
        drives.push(Drive {
            target: pop.id.to_string(),
            variable,
            n,
            rate_hz: code_number(drive.rate.si / n as f64),
            weight,
        });
    }
    Ok(drives)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::{apply_sweep, generate as generate_for};
    use crate::suite::native::{load_suite, NativeSuite, Simulator};

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
