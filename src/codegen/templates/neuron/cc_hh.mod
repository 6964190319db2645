COMMENT
crosscheck cc_hh: single-compartment Hodgkin-Huxley cell with alpha-shaped current
synapses, NEST's hh_psc_alpha:
  cm dv/dt = -g_Na m^3 h (v - e_rev_Na) - g_K n^4 (v - e_rev_K) - g_L (v - e_rev_L) + I
with NEST's rate functions (squid axon kinetics shifted to a -65 mV rest, in mV and ms),
m, h, n starting at their steady state for v_init, and alpha currents (a spike of weight w
gives a current peaking at w, tau_syn after the spike).

Integration: NEST uses an adaptive Runge-Kutta-Fehlberg 4(5) solver within each step; here
each step is split into equal substeps of at most 0.005 ms, each one classic Runge-Kutta 4
step, for the whole state (v, m, h, n and the alpha currents). At the end of the step the
spikes arriving then are added (dI += e w / tau_syn). Spike detection is NEST's: a spike is
emitted at the end of a step when v >= 0 mV and v has fallen during the step (a local
maximum above 0 mV), unless within NEST's default 2 ms refractory time (t_ref) of the last
spike.

Fixed text written by crosscheck: suite values reach it only as RANGE parameters set from
the generated script. Units: mV, ms, pA, pF, nS. vm is the mechanism's own variable (the
host section is only a container). Spikes arrive in NET_RECEIVE one step early (the
generated NetCon delays are the suite's delay minus dt) and wait until the end of the step.
NET_RECEIVE kinds: 0 excitatory, 1 inhibitory (pA, signed as in NEST), 2 a change of
injected current (pA) effective from this step on.
ENDCOMMENT

NEURON {
    POINT_PROCESS cc_hh
    RANGE cm, g_Na, g_K, g_L, e_rev_Na, e_rev_K, e_rev_L, tau_syn_E, tau_syn_I
    RANGE i_offset, v_init, t_ref
    RANGE vm, m, h, n, i_ex, di_ex, i_in, di_in, i_stim, in_ex, in_in, spiked, nspikes
}

PARAMETER {
    cm = 100 (pF)
    g_Na = 12000 (nS)
    g_K = 3600 (nS)
    g_L = 30 (nS)
    e_rev_Na = 50 (mV)
    e_rev_K = -77 (mV)
    e_rev_L = -54.402 (mV)
    tau_syn_E = 0.2 (ms)
    tau_syn_I = 2 (ms)
    i_offset = 0 (pA)
    v_init = -65 (mV)
    t_ref = 2 (ms)
}

ASSIGNED {
    : NEURON's fixed time step, set by the generated script to the suite's dt.
    dt (ms)
    vm (mV)
    m
    h
    n
    i_ex (pA)
    di_ex (pA/ms)
    i_in (pA)
    di_in (pA/ms)
    i_stim (pA)
    in_ex (pA)
    in_in (pA)
    spiked
    nspikes
    refr_left
    refr_steps
    nsub
    : One Runge-Kutta stage's derivatives (set by rates_at).
    fv
    fm
    fh
    fn
}

INITIAL {
    vm = v_init
    m = alpha_m(vm) / (alpha_m(vm) + beta_m(vm))
    h = alpha_h(vm) / (alpha_h(vm) + beta_h(vm))
    n = alpha_n(vm) / (alpha_n(vm) + beta_n(vm))
    i_ex = 0
    di_ex = 0
    i_in = 0
    di_in = 0
    i_stim = 0
    in_ex = 0
    in_in = 0
    spiked = 0
    nspikes = 0
    refr_left = 0
    refr_steps = floor(t_ref / dt + 0.5)
    nsub = ceil(dt / 0.005 - 1e-9)
    if (nsub < 1) {
        nsub = 1
    }
}

: z / (exp(z) - 1), continuous at z = 0.
FUNCTION efun(z) {
    if (fabs(z) < 1e-6) {
        efun = 1 - z / 2
    } else {
        efun = z / (exp(z) - 1)
    }
}

: 0.01 (vx + 55) / (1 - exp(-(vx + 55) / 10))
FUNCTION alpha_n(vx) {
    alpha_n = 0.1 * efun(-(vx + 55) / 10)
}

FUNCTION beta_n(vx) {
    beta_n = 0.125 * exp(-(vx + 65) / 80)
}

: 0.1 (vx + 40) / (1 - exp(-(vx + 40) / 10))
FUNCTION alpha_m(vx) {
    alpha_m = efun(-(vx + 40) / 10)
}

FUNCTION beta_m(vx) {
    beta_m = 4 * exp(-(vx + 65) / 18)
}

FUNCTION alpha_h(vx) {
    alpha_h = 0.07 * exp(-(vx + 65) / 20)
}

FUNCTION beta_h(vx) {
    beta_h = 1 / (1 + exp(-(vx + 35) / 10))
}

PROCEDURE rates_at(vx, mm, hh, nn, iex, iin) {
    fv = (-g_Na * mm * mm * mm * hh * (vx - e_rev_Na) - g_K * nn * nn * nn * nn * (vx - e_rev_K) - g_L * (vx - e_rev_L) + iex + iin + i_stim + i_offset) / cm
    fm = alpha_m(vx) * (1 - mm) - beta_m(vx) * mm
    fh = alpha_h(vx) * (1 - hh) - beta_h(vx) * hh
    fn = alpha_n(vx) * (1 - nn) - beta_n(vx) * nn
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    LOCAL j, hs, v_old, kv1, km1, kh1, kn1, kv2, km2, kh2, kn2, kv3, km3, kh3, kn3, kv4, km4, kh4, kn4, pe, qe, pin, qin
    spiked = 0
    v_old = vm
    hs = dt / nsub
    FROM j = 1 TO nsub {
        : The alpha currents are linear and independent of vx: solve them exactly over the
        : substep and hand the stages their exact values at the stage times.
        rates_at(vm, m, h, n, i_ex, i_in)
        kv1 = fv
        km1 = fm
        kh1 = fh
        kn1 = fn
        pe = alpha_i(i_ex, di_ex, tau_syn_E, 0.5 * hs)
        pin = alpha_i(i_in, di_in, tau_syn_I, 0.5 * hs)
        rates_at(vm + 0.5 * hs * kv1, m + 0.5 * hs * km1, h + 0.5 * hs * kh1, n + 0.5 * hs * kn1, pe, pin)
        kv2 = fv
        km2 = fm
        kh2 = fh
        kn2 = fn
        rates_at(vm + 0.5 * hs * kv2, m + 0.5 * hs * km2, h + 0.5 * hs * kh2, n + 0.5 * hs * kn2, pe, pin)
        kv3 = fv
        km3 = fm
        kh3 = fh
        kn3 = fn
        qe = alpha_i(i_ex, di_ex, tau_syn_E, hs)
        qin = alpha_i(i_in, di_in, tau_syn_I, hs)
        rates_at(vm + hs * kv3, m + hs * km3, h + hs * kh3, n + hs * kn3, qe, qin)
        kv4 = fv
        km4 = fm
        kh4 = fh
        kn4 = fn
        vm = vm + hs * (kv1 + 2 * kv2 + 2 * kv3 + kv4) / 6
        m = m + hs * (km1 + 2 * km2 + 2 * km3 + km4) / 6
        h = h + hs * (kh1 + 2 * kh2 + 2 * kh3 + kh4) / 6
        n = n + hs * (kn1 + 2 * kn2 + 2 * kn3 + kn4) / 6
        i_ex = qe
        di_ex = di_ex * exp(-hs / tau_syn_E)
        i_in = qin
        di_in = di_in * exp(-hs / tau_syn_I)
    }
    di_ex = di_ex + exp(1) / tau_syn_E * in_ex
    di_in = di_in + exp(1) / tau_syn_I * in_in
    in_ex = 0
    in_in = 0
    if (refr_left > 0) {
        refr_left = refr_left - 1
    } else if (vm >= 0 && v_old > vm) {
        refr_left = refr_steps
        spiked = 1
        nspikes = nspikes + 1
    }
}

: The alpha current s ms after it was i with derivative term di (I' = dI - I / tau,
: dI' = -dI / tau).
FUNCTION alpha_i(i, di, tau, s) {
    alpha_i = (i + di * s) * exp(-s / tau)
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
