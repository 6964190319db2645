COMMENT
crosscheck cc_adex: adaptive exponential integrate-and-fire with conductance-based
exponential synapses, NEST's aeif_cond_exp:
  cm dv/dt = -g_L (v - v_rest) + g_L delta_T exp((v - v_thresh) / delta_T)
             - g_ex (v - e_rev_E) - g_in (v - e_rev_I) - w + I
  tau_w dw/dt = a (v - v_rest) - w,   dg/dt = -g / tau_syn
with NEST's right-hand side: v is read as min(v, v_spike) (so the exponential cannot
overflow), and as v_reset with dv/dt = 0 while refractory.

Integration: NEST uses an adaptive Runge-Kutta-Fehlberg 4(5) solver within each step; here
each step is split into classic Runge-Kutta 4 substeps of at most 0.005 ms, shortened so
that v moves by at most about 0.05 mV in one (the exponential upswing before a spike is
fast, and where exactly the spike falls within the step decides how long the cell
integrates from v_reset before the step ends; fixed 5 us substeps there put spike times a
step off NEST's after a few spikes, these agree). As in NEST, the spike test runs after every substep, so the reset and the
spike-triggered jump w += b happen inside the step and integration goes on from there:
vm >= v_spike (v_thresh when delta_T = 0) emits a spike, vm = v_reset, w += b, and vm is
held at v_reset for round(tau_refrac / dt) whole steps after the current one. At the end of
the step the conductance jumps of the spikes arriving then are added (NEST's order).

Fixed text written by crosscheck: suite values reach it only as RANGE parameters set from
the generated script. Units: mV, ms, pA, pF, nS. vm is the mechanism's own variable (the
host section is only a container). Spikes arrive in NET_RECEIVE one step early (the
generated NetCon delays are the suite's delay minus dt) and wait until the end of the step.
NET_RECEIVE kinds: 0 excitatory, 1 inhibitory (conductance magnitudes in nS, both
positive), 2 a change of injected current (pA) effective from this step on.
ENDCOMMENT

NEURON {
    POINT_PROCESS cc_adex
    RANGE cm, g_L, v_rest, v_reset, v_thresh, delta_T, v_spike, tau_w, a, b
    RANGE tau_refrac, e_rev_E, e_rev_I, tau_syn_E, tau_syn_I, i_offset, v_init
    RANGE vm, w, g_ex, g_in, i_stim, in_ex, in_in, spiked, nspikes
}

PARAMETER {
    cm = 281 (pF)
    g_L = 30 (nS)
    v_rest = -70.6 (mV)
    v_reset = -60 (mV)
    v_thresh = -50.4 (mV)
    delta_T = 2 (mV)
    v_spike = 0 (mV)
    tau_w = 144 (ms)
    a = 4 (nS)
    b = 80.5 (pA)
    tau_refrac = 0 (ms)
    e_rev_E = 0 (mV)
    e_rev_I = -85 (mV)
    tau_syn_E = 0.2 (ms)
    tau_syn_I = 2 (ms)
    i_offset = 0 (pA)
    v_init = -70.6 (mV)
}

ASSIGNED {
    : NEURON's fixed time step, set by the generated script to the suite's dt.
    dt (ms)
    vm (mV)
    w (pA)
    g_ex (nS)
    g_in (nS)
    i_stim (pA)
    in_ex (nS)
    in_in (nS)
    spiked
    nspikes
    refr_left
    refr_steps
    v_peak (mV)
}

INITIAL {
    vm = v_init
    w = 0
    g_ex = 0
    g_in = 0
    i_stim = 0
    in_ex = 0
    in_in = 0
    spiked = 0
    nspikes = 0
    refr_left = 0
    refr_steps = floor(tau_refrac / dt + 0.5)
    if (delta_T > 0) {
        v_peak = v_spike
    } else {
        v_peak = v_thresh
    }
}

: The membrane potential the right-hand side sees (NEST's clamp).
FUNCTION v_seen(vx) {
    if (refr_left > 0) {
        v_seen = v_reset
    } else if (vx > v_peak) {
        v_seen = v_peak
    } else {
        v_seen = vx
    }
}

FUNCTION dvdt(vx, ww, gex, gin) {
    LOCAL vs, ispike
    if (refr_left > 0) {
        dvdt = 0
    } else {
        vs = v_seen(vx)
        ispike = 0
        if (delta_T > 0) {
            ispike = g_L * delta_T * exp((vs - v_thresh) / delta_T)
        }
        dvdt = (-g_L * (vs - v_rest) + ispike - gex * (vs - e_rev_E) - gin * (vs - e_rev_I) - ww + i_stim + i_offset) / cm
    }
}

FUNCTION dwdt(vx, ww) {
    dwdt = (a * (v_seen(vx) - v_rest) - ww) / tau_w
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    LOCAL done, hs, kv1, kw1, kv2, kw2, kv3, kw3, kv4, kw4, ge1, gi1, ge2, gi2, ge3, gi3, ge4, gi4, v1, w1, e1, i1
    spiked = 0
    done = 0
    WHILE (done < dt * (1 - 1e-9)) {
        kv1 = dvdt(vm, w, g_ex, g_in)
        hs = 0.005
        if (fabs(kv1) * hs > 0.05) {
            hs = 0.05 / fabs(kv1)
        }
        : A floor, so that a right-hand side of inf (absurd parameters) cannot stall the loop.
        if (hs < 1e-7) {
            hs = 1e-7
        }
        if (hs > dt - done) {
            hs = dt - done
        }
        kw1 = dwdt(vm, w)
        ge1 = -g_ex / tau_syn_E
        gi1 = -g_in / tau_syn_I
        v1 = vm + 0.5 * hs * kv1
        w1 = w + 0.5 * hs * kw1
        e1 = g_ex + 0.5 * hs * ge1
        i1 = g_in + 0.5 * hs * gi1
        kv2 = dvdt(v1, w1, e1, i1)
        kw2 = dwdt(v1, w1)
        ge2 = -e1 / tau_syn_E
        gi2 = -i1 / tau_syn_I
        v1 = vm + 0.5 * hs * kv2
        w1 = w + 0.5 * hs * kw2
        e1 = g_ex + 0.5 * hs * ge2
        i1 = g_in + 0.5 * hs * gi2
        kv3 = dvdt(v1, w1, e1, i1)
        kw3 = dwdt(v1, w1)
        ge3 = -e1 / tau_syn_E
        gi3 = -i1 / tau_syn_I
        v1 = vm + hs * kv3
        w1 = w + hs * kw3
        e1 = g_ex + hs * ge3
        i1 = g_in + hs * gi3
        kv4 = dvdt(v1, w1, e1, i1)
        kw4 = dwdt(v1, w1)
        ge4 = -e1 / tau_syn_E
        gi4 = -i1 / tau_syn_I
        vm = vm + hs * (kv1 + 2 * kv2 + 2 * kv3 + kv4) / 6
        w = w + hs * (kw1 + 2 * kw2 + 2 * kw3 + kw4) / 6
        g_ex = g_ex + hs * (ge1 + 2 * ge2 + 2 * ge3 + ge4) / 6
        g_in = g_in + hs * (gi1 + 2 * gi2 + 2 * gi3 + gi4) / 6
        done = done + hs
        if (refr_left > 0) {
            vm = v_reset
        } else if (vm >= v_peak) {
            vm = v_reset
            w = w + b
            if (refr_steps > 0) {
                refr_left = refr_steps + 1
            }
            spiked = 1
            nspikes = nspikes + 1
        }
    }
    if (refr_left > 0) {
        refr_left = refr_left - 1
    }
    g_ex = g_ex + in_ex
    g_in = g_in + in_in
    in_ex = 0
    in_in = 0
}

NET_RECEIVE(weight, kind) {
    : Without this block NEURON would zero every weight element but the first at
    : finitialize, and every event would look excitatory.
    INITIAL {
        kind = kind
    }
    if (kind == 0) {
        in_ex = in_ex + weight
    } else if (kind == 1) {
        in_in = in_in + weight
    } else {
        i_stim = i_stim + weight
    }
}
