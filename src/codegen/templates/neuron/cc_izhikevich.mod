COMMENT
crosscheck cc_izhikevich: Izhikevich (2003) in NEST's mV/ms form, the update of NEST's
izhikevich model (consistent_integration: forward Euler) step by step:
  dv/dt = 0.04 v^2 + 5 v + 140 - u + I,  du/dt = a (b v - u),
with I in pA acting through 1 pF (1 pA adds 1 mV/ms), as NEST does.

Fixed text written by crosscheck: suite values reach it only as RANGE parameters set from
the generated script. vm is the mechanism's own variable (the host section is only a
container); each time step, advance() does what NEST does in one step:
  1. one Euler step of v and u from their values at the start of the step,
  2. add the weights (mV) of the spikes arriving at the end of this step to v,
  3. threshold after the update: vm >= v_thresh emits a spike, v = c, u += d.
Spikes arrive in NET_RECEIVE one step early (the generated NetCon delays are the suite's
delay minus dt) and wait in in_v until step 2, which reproduces NEST's ring buffer.
NET_RECEIVE kinds: 0 and 1 synaptic (weights in mV, signed as in NEST), 2 a change of
injected current (pA) effective from this step on.
ENDCOMMENT

NEURON {
    POINT_PROCESS cc_izhikevich
    RANGE a, b, c, d, v_thresh, i_offset, v_init, u_init
    RANGE vm, u, i_stim, in_v, spiked, nspikes
}

PARAMETER {
    a = 0.02 (/ms)
    b = 0.2 (/ms)
    c = -65 (mV)
    d = 8 (mV/ms)
    v_thresh = 30 (mV)
    i_offset = 0 (pA)
    v_init = -65 (mV)
    u_init = -13 (mV/ms)
}

ASSIGNED {
    : NEURON's fixed time step, set by the generated script to the suite's dt.
    dt (ms)
    vm (mV)
    u (mV/ms)
    i_stim (pA)
    in_v (mV)
    spiked
    nspikes
}

INITIAL {
    vm = v_init
    u = u_init
    i_stim = 0
    in_v = 0
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
    vm = vm + dt * (0.04 * v_old * v_old + 5 * v_old + 140 - u_old + i_stim + i_offset)
    u = u + dt * a * (b * v_old - u_old)
    vm = vm + in_v
    in_v = 0
    if (vm >= v_thresh) {
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
    if (kind == 2) {
        i_stim = i_stim + w
    } else {
        in_v = in_v + w
    }
}
