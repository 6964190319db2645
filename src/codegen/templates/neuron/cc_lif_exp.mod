COMMENT
crosscheck cc_lif_exp: leaky integrate-and-fire with exponentially decaying current
synapses, the update of NEST's iaf_psc_exp step by step (exact propagators on the grid).

Fixed text written by crosscheck: suite values reach it only as RANGE parameters set from
the generated script. Units are NEST's (mV, ms, pA, pF). The membrane potential is the
mechanism's own variable vm (the host section is only a container); each time step,
advance() does what NEST does in one step:
  1. propagate vm exactly from the synaptic and injected currents (unless refractory),
  2. decay the synaptic currents, then add the spikes arriving at the end of this step
     (a spike of weight w makes the current jump by w),
  3. threshold: vm >= v_thresh emits a spike (spiked = 1) and clamps vm at v_reset for
     round(tau_refrac / dt) steps.
Spikes arrive in NET_RECEIVE one step early (the generated NetCon delays are the suite's
delay minus dt) and wait in in_ex/in_in until step 2, which reproduces NEST's ring buffer.
NET_RECEIVE kinds: 0 excitatory, 1 inhibitory (weights in pA, signed as in NEST),
2 a change of injected current (pA) effective from this step on.

The Poisson drive (a `poisson` stimulus) adds drive_weight times a Poisson count of mean
drive_rate * dt to the excitatory (drive_weight > 0) or inhibitory current each step, as
NEST's poisson_generator does (one count per step and target, sent with that multiplicity):
a cortical network's background of thousands of events per second per cell would otherwise
go through NEURON's event queue one by one. Counts come from NEURON's scop_random generator,
seeded once by seed_drive(): the drive is statistically, not spike by spike, the others'.
ENDCOMMENT

NEURON {
    POINT_PROCESS cc_lif_exp
    RANGE cm, tau_m, v_rest, v_reset, v_thresh, tau_refrac, tau_syn_E, tau_syn_I
    RANGE i_offset, v_init
    RANGE drive_rate, drive_weight
    RANGE vm, i_ex, i_in, i_stim, in_ex, in_in, spiked, nspikes
}

PARAMETER {
    cm = 250 (pF)
    tau_m = 10 (ms)
    v_rest = -70 (mV)
    v_reset = -70 (mV)
    v_thresh = -55 (mV)
    tau_refrac = 2 (ms)
    tau_syn_E = 2 (ms)
    tau_syn_I = 2 (ms)
    i_offset = 0 (pA)
    v_init = -70 (mV)
    drive_rate = 0 (/ms)
    drive_weight = 0 (pA)
}

ASSIGNED {
    : NEURON's fixed time step, set by the generated script to the suite's dt.
    dt (ms)
    vm (mV)
    i_ex (pA)
    i_in (pA)
    i_stim (pA)
    in_ex (pA)
    in_in (pA)
    spiked
    nspikes
    refr_left
    refr_steps
    p22
    p20
    p11_e
    p21_e
    p11_i
    p21_i
    drive_mean
}

INITIAL {
    vm = v_init
    i_ex = 0
    i_in = 0
    i_stim = 0
    in_ex = 0
    in_in = 0
    spiked = 0
    nspikes = 0
    refr_left = 0
    refr_steps = floor(tau_refrac / dt + 0.5)
    p22 = exp(-dt / tau_m)
    p20 = tau_m / cm * (1 - p22)
    p11_e = exp(-dt / tau_syn_E)
    p21_e = prop21(tau_syn_E)
    p11_i = exp(-dt / tau_syn_I)
    p21_i = prop21(tau_syn_I)
    drive_mean = drive_rate * dt
}

: Effect of an exponentially decaying current on vm over one step (exact solution of
: cm dv/dt = -cm v / tau_m + I, I' = -I / tau_s); a series near tau_s = tau_m, where the
: closed form cancels.
FUNCTION prop21(tau_s) {
    LOCAL x
    x = dt * (1 / tau_s - 1 / tau_m)
    if (fabs(x) < 1e-4) {
        prop21 = exp(-dt / tau_m) * dt / cm * (1 - x / 2 + x * x / 6 - x * x * x / 24)
    } else {
        prop21 = exp(-dt / tau_m) * dt / cm * (1 - exp(-x)) / x
    }
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    spiked = 0
    if (refr_left == 0) {
        vm = v_rest + p22 * (vm - v_rest) + p21_e * i_ex + p21_i * i_in + p20 * (i_stim + i_offset)
    } else {
        refr_left = refr_left - 1
    }
    i_ex = p11_e * i_ex + in_ex
    i_in = p11_i * i_in + in_in
    in_ex = 0
    in_in = 0
    if (drive_mean > 0) {
        if (drive_weight > 0) {
            i_ex = i_ex + drive_weight * poisrand(drive_mean)
        } else {
            i_in = i_in + drive_weight * poisrand(drive_mean)
        }
    }
    if (vm >= v_thresh) {
        refr_left = refr_steps
        vm = v_reset
        spiked = 1
        nspikes = nspikes + 1
    }
}

: Seeds the generator of every cc_lif_exp's Poisson drive (one stream for all cells).
FUNCTION seed_drive(seed) {
    set_seed(seed)
    seed_drive = seed
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
