COMMENT
crosscheck cc_izhikevich2007: Izhikevich (2007) as NeuroML's izhikevich2007Cell,
  cm dv/dt = k (v - v_r)(v - v_t) - u + I,  du/dt = a (b (v - v_r) - u),
with current-based exponential synapses (I = i_ex + i_in + injected current).

NEST has no such model; the step follows the same scheme as crosscheck's other NEST-style
mechanisms: one forward Euler step of v and u from their values at the start of the step
(the scheme jNeuroML uses), exact decay of the synaptic currents, then the spikes arriving
at the end of this step are added (a spike of weight w makes the current jump by w), then
the cut-off: vm >= v_peak emits a spike, v = c, u += d.

Fixed text written by crosscheck: suite values reach it only as RANGE parameters set from
the generated script. Units: mV, ms, pA, pF, nS (k in nS/mV). vm is the mechanism's own
variable (the host section is only a container). Spikes arrive in NET_RECEIVE one step early
(the generated NetCon delays are the suite's delay minus dt) and wait until the end of the
step. NET_RECEIVE kinds: 0 excitatory, 1 inhibitory (pA, signed), 2 a change of injected
current (pA) effective from this step on.
ENDCOMMENT

NEURON {
    POINT_PROCESS cc_izhikevich2007
    RANGE cm, k, v_r, v_t, v_peak, a, b, c, d, tau_syn_E, tau_syn_I, i_offset, v_init
    RANGE vm, u, i_ex, i_in, i_stim, in_ex, in_in, spiked, nspikes
}

PARAMETER {
    cm = 100 (pF)
    k = 0.7 (nS/mV)
    v_r = -60 (mV)
    v_t = -40 (mV)
    v_peak = 35 (mV)
    a = 0.03 (/ms)
    b = -2 (nS)
    c = -50 (mV)
    d = 100 (pA)
    tau_syn_E = 2 (ms)
    tau_syn_I = 2 (ms)
    i_offset = 0 (pA)
    v_init = -60 (mV)
}

ASSIGNED {
    : NEURON's fixed time step, set by the generated script to the suite's dt.
    dt (ms)
    vm (mV)
    u (pA)
    i_ex (pA)
    i_in (pA)
    i_stim (pA)
    in_ex (pA)
    in_in (pA)
    spiked
    nspikes
}

INITIAL {
    vm = v_init
    u = 0
    i_ex = 0
    i_in = 0
    i_stim = 0
    in_ex = 0
    in_in = 0
    spiked = 0
    nspikes = 0
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    LOCAL v_old, u_old
    spiked = 0
    v_old = vm
    u_old = u
    vm = vm + dt * (k * (v_old - v_r) * (v_old - v_t) - u_old + i_ex + i_in + i_stim + i_offset) / cm
    u = u + dt * a * (b * (v_old - v_r) - u_old)
    i_ex = i_ex * exp(-dt / tau_syn_E) + in_ex
    i_in = i_in * exp(-dt / tau_syn_I) + in_in
    in_ex = 0
    in_in = 0
    if (vm >= v_peak) {
        vm = c
        u = u + d
        spiked = 1
        nspikes = nspikes + 1
    }
}

NET_RECEIVE(w, kind) {
    : Without this block NEURON would zero every weight element but the first at
    : finitialize, and every event would look excitatory.
    INITIAL {
        kind = kind
    }
    if (kind == 0) {
        in_ex = in_ex + w
    } else if (kind == 1) {
        in_in = in_in + w
    } else {
        i_stim = i_stim + w
    }
}
